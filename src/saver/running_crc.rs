//! The CRC-32 of a file computed as it is written, not by reading it back. A TIFF is written
//! in order except for a few bytes filled in later (each page's link to the next, the first
//! page's description entry): those stay holes, each run of bytes between holes is hashed as
//! it is written, and the runs are joined with CRC combination once a hole is filled. The
//! result is the CRC of the bytes the file holds, as a read-back would compute it.

use crc32fast::Hasher;

enum Part {
    Bytes(Hasher),
    /// Bytes at `at` that may still change; `now` is what the file holds there.
    Hole {
        at: u64,
        now: Vec<u8>,
    },
}

#[derive(Default)]
pub struct RunningCrc {
    /// What came before the latest hole, in order.
    parts: Vec<Part>,
    /// The run of bytes since the latest hole.
    tail: Hasher,
    len: u64,
}

impl RunningCrc {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes appended at the end of the file.
    pub fn append(&mut self, bytes: &[u8]) {
        self.tail.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Bytes appended whose CRC is already known (a plane's pixels, hashed once for both).
    pub fn append_hashed(&mut self, crc: u32, len: u64) {
        self.tail.combine(&Hasher::new_with_initial_len(crc, len));
        self.len += len;
    }

    /// Bytes appended at the end that will be overwritten later (with as many bytes).
    pub fn append_hole(&mut self, bytes: &[u8]) {
        let run = std::mem::take(&mut self.tail);
        self.parts.push(Part::Bytes(run));
        self.parts.push(Part::Hole {
            at: self.len,
            now: bytes.to_vec(),
        });
        self.len += bytes.len() as u64;
    }

    /// Overwrite a hole's bytes. Returns false (and changes nothing) when no hole of that
    /// size is at `at`: the caller wrote somewhere it had not said it would.
    pub fn fill(&mut self, at: u64, bytes: &[u8]) -> bool {
        match self.parts.iter_mut().find_map(|p| match p {
            Part::Hole { at: a, now } if *a == at && now.len() == bytes.len() => Some(now),
            _ => None,
        }) {
            Some(now) => {
                now.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }

    /// The CRC-32 of everything written, holes as they now are.
    pub fn finish(self) -> u32 {
        let mut out = Hasher::new();
        for p in self.parts {
            match p {
                Part::Bytes(h) => out.combine(&h),
                Part::Hole { now, .. } => out.update(&now),
            }
        }
        out.combine(&self.tail);
        out.finalize()
    }

    /// Join runs whose holes will not change again, so a long stack keeps a few parts.
    pub fn settle(&mut self, at: u64) {
        let mut merged: Vec<Part> = Vec::with_capacity(self.parts.len());
        for p in std::mem::take(&mut self.parts) {
            match (merged.last_mut(), p) {
                (Some(Part::Bytes(h)), Part::Hole { at: a, now }) if a == at => h.update(&now),
                (Some(Part::Bytes(h)), Part::Bytes(next)) => h.combine(&next),
                (_, p) => merged.push(p),
            }
        }
        self.parts = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_filled_later_give_the_crc_of_the_final_bytes() {
        let mut file = vec![0u8; 0];
        let mut c = RunningCrc::default();
        let mut write = |c: &mut RunningCrc, bytes: &[u8], hole: bool| {
            file.extend_from_slice(bytes);
            if hole {
                c.append_hole(bytes)
            } else {
                c.append(bytes)
            }
        };
        write(&mut c, b"II*\0", false);
        write(&mut c, &[0; 4], true);
        write(&mut c, b"first page", false);
        write(&mut c, b"DESC", true);
        write(&mut c, &[0; 4], true);
        let pixels: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        c.append_hashed(crc32fast::hash(&pixels), pixels.len() as u64);
        file.extend_from_slice(&pixels);
        assert!(c.fill(4, &[8, 0, 0, 0]));
        file[4..8].copy_from_slice(&[8, 0, 0, 0]);
        c.settle(4);
        let desc_at = 18;
        assert!(c.fill(desc_at, b"desc"));
        file[18..22].copy_from_slice(b"desc");
        assert!(!c.fill(5, &[1, 2, 3, 4]), "not a hole");
        assert!(!c.fill(22, &[1]), "not that size");
        assert_eq!(c.len(), file.len() as u64);
        assert_eq!(c.finish(), crc32fast::hash(&file));
    }
}
