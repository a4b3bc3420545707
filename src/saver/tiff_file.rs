//! A multi-page 16-bit grayscale TIFF (or BigTIFF) written page by page.
//!
//! Each page is assembled in memory — IFD, its out-of-line values, then the strips, compressed
//! in parallel — and written with one call; the previous IFD's next pointer is then patched.
//! The first page's ImageDescription is written last, at the end of the file, once the number
//! of planes is known: a stack cut short still describes exactly what it holds.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tiff::encoder::compression::{CompressionAlgorithm, Deflate, DeflateLevel};

use crate::protocol::schema::Compression;
use crate::saver::running_crc::RunningCrc;
use crate::supervisor::pools::Work;

/// Pixels as little-endian bytes: the memory itself on little-endian machines.
pub fn le_bytes(pixels: &[u16]) -> Cow<'_, [u8]> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: u16 has no padding and u8 has alignment 1; same memory, same lifetime.
        Cow::Borrowed(unsafe {
            std::slice::from_raw_parts(pixels.as_ptr().cast::<u8>(), pixels.len() * 2)
        })
    }
    #[cfg(not(target_endian = "little"))]
    {
        Cow::Owned(pixels.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

const SHORT: u16 = 3;
const LONG: u16 = 4;
const ASCII: u16 = 2;
const LONG8: u16 = 16;

/// zstd's fastest level with a gain (as for OME-Zarr): the savers must keep up.
const ZSTD_LEVEL: i32 = 1;

thread_local! {
    /// Each encoding thread's LZW table, reused strip after strip.
    static LZW: std::cell::RefCell<crate::saver::lzw::Lzw> = Default::default();
}

/// Rows per strip when compressing: 64 rows of 2048 px is 256 KB, enough strips to keep
/// every core busy.
const ROWS_PER_STRIP: u32 = 64;

pub struct TiffFile {
    path: PathBuf,
    file: Option<File>,
    pos: u64,
    big: bool,
    compression: Compression,
    software: String,
    /// Where the previous IFD's next-IFD pointer is, to link the next page.
    prev_next_ptr: u64,
    /// Where the first IFD's ImageDescription entry is, to fill in at the end.
    desc_entry: Option<u64>,
    pages: u32,
    /// The file's CRC-32 as written; None once a write went where it was not expected
    /// (then the finished file is read back instead).
    crc: Option<RunningCrc>,
}

struct Entry {
    tag: u16,
    ty: u16,
    count: u64,
    /// Inline value, or the out-of-line bytes (placed after the IFD).
    data: Vec<u8>,
}

fn type_size(ty: u16) -> usize {
    match ty {
        SHORT => 2,
        LONG => 4,
        LONG8 => 8,
        _ => 1,
    }
}

impl TiffFile {
    pub fn create(path: &Path, big: bool, compression: Compression) -> io::Result<TiffFile> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let header: Vec<u8> = if big {
            let mut h = b"II".to_vec();
            h.extend_from_slice(&43u16.to_le_bytes());
            h.extend_from_slice(&8u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&0u64.to_le_bytes());
            h
        } else {
            let mut h = b"II".to_vec();
            h.extend_from_slice(&42u16.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h
        };
        file.write_all(&header)?;
        // The first IFD's offset is filled in when the first page is linked.
        let link_at = if big { 8 } else { 4 };
        let mut crc = RunningCrc::default();
        crc.append(&header[..link_at]);
        crc.append_hole(&header[link_at..]);
        Ok(TiffFile {
            path: path.to_path_buf(),
            file: Some(file),
            pos: header.len() as u64,
            big,
            compression,
            software: format!("squidctl {}", env!("CARGO_PKG_VERSION")),
            prev_next_ptr: if big { 8 } else { 4 },
            desc_entry: None,
            pages: 0,
            crc: Some(crc),
        })
    }

    pub fn pages(&self) -> u32 {
        self.pages
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }

    /// Give the file handle back to the OS (many stacks open at once); reopened on demand.
    pub fn close_handle(&mut self) {
        self.file = None;
    }

    fn file(&mut self) -> io::Result<&File> {
        if self.file.is_none() {
            self.file = Some(OpenOptions::new().write(true).open(&self.path)?);
        }
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("file handle unavailable"))
    }

    fn offset_bytes(&self, v: u64) -> Vec<u8> {
        if self.big {
            v.to_le_bytes().to_vec()
        } else {
            (v as u32).to_le_bytes().to_vec()
        }
    }

    /// Rows as strips: the pixels themselves when uncompressed (no copy on little-endian
    /// machines), else compressed with the horizontal predictor, strips in parallel.
    fn strips<'p>(
        &self,
        pixels: &'p [u16],
        width: u32,
        height: u32,
    ) -> io::Result<(u32, Vec<Cow<'p, [u8]>>)> {
        let w = width as usize;
        if self.compression == Compression::None {
            return Ok((height.max(1), vec![le_bytes(pixels)]));
        }
        let rows = ROWS_PER_STRIP.min(height).max(1);
        let chunks: Vec<&[u16]> = pixels.chunks(w * rows as usize).collect();
        let comp = self.compression;
        let encode = || {
            chunks
                .par_iter()
                .map(|chunk| {
                    let mut bytes = Vec::with_capacity(chunk.len() * 2);
                    for row in chunk.chunks(w) {
                        let mut prev = 0u16;
                        for &v in row {
                            bytes.extend_from_slice(&v.wrapping_sub(prev).to_le_bytes());
                            prev = v;
                        }
                    }
                    let mut out = Vec::with_capacity(bytes.len() / 2);
                    match comp {
                        Compression::Lzw => LZW.with(|e| e.borrow_mut().encode(&bytes, &mut out)),
                        Compression::Zstd => {
                            out = zstd::bulk::compress(&bytes, ZSTD_LEVEL)?;
                        }
                        _ => {
                            Deflate::with_level(DeflateLevel::Fast).write_to(&mut out, &bytes)?;
                        }
                    };
                    Ok(Cow::Owned(out))
                })
                .collect::<io::Result<Vec<Cow<'p, [u8]>>>>()
        };
        let strips = crate::supervisor::pools::on(Work::Encode, encode);
        Ok((rows, strips?))
    }

    /// Append one page; returns the bytes the page took. `pixels_crc`, the CRC-32 of the
    /// pixels' little-endian bytes when the caller has it, saves hashing an uncompressed
    /// plane twice.
    pub fn write_page(
        &mut self,
        pixels: &[u16],
        width: u32,
        height: u32,
        pixels_crc: Option<u32>,
    ) -> io::Result<u64> {
        if pixels.len() != width as usize * height as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "pixel count does not match the frame size",
            ));
        }
        let (rows, strips) = self.strips(pixels, width, height)?;
        let compression_code: u16 = match self.compression {
            Compression::None => 1,
            Compression::Lzw => 5,
            // As libtiff and tifffile number it.
            Compression::Zstd => 50000,
            Compression::Deflate => 8,
        };
        let first = self.pages == 0;
        let off_ty = if self.big { LONG8 } else { LONG };
        let short = |tag: u16, v: u16| Entry {
            tag,
            ty: SHORT,
            count: 1,
            data: v.to_le_bytes().to_vec(),
        };
        let long = |tag: u16, v: u32| Entry {
            tag,
            ty: LONG,
            count: 1,
            data: v.to_le_bytes().to_vec(),
        };
        let mut entries = vec![
            long(254, 0),
            long(256, width),
            long(257, height),
            short(258, 16),
            short(259, compression_code),
            short(262, 1),
        ];
        if first {
            // Placeholder, filled in by `finish`.
            entries.push(Entry {
                tag: 270,
                ty: ASCII,
                count: 1,
                data: vec![0],
            });
        }
        let counts: Vec<u64> = strips.iter().map(|s| s.len() as u64).collect();
        entries.push(Entry {
            tag: 273,
            ty: off_ty,
            count: strips.len() as u64,
            data: Vec::new(),
        });
        entries.push(short(277, 1));
        entries.push(long(278, rows));
        entries.push(Entry {
            tag: 279,
            ty: off_ty,
            count: counts.len() as u64,
            data: counts.iter().flat_map(|c| self.offset_bytes(*c)).collect(),
        });
        entries.push(short(284, 1));
        let mut sw = self.software.clone().into_bytes();
        sw.push(0);
        entries.push(Entry {
            tag: 305,
            ty: ASCII,
            count: sw.len() as u64,
            data: sw,
        });
        if self.compression != Compression::None {
            entries.push(short(317, 2));
        }
        entries.push(short(339, 1));

        let (count_size, entry_size, next_size, inline) = if self.big {
            (8, 20, 8, 8)
        } else {
            (2, 12, 4, 4)
        };
        let ifd_start = self.pos + (self.pos & 1);
        let ifd_len = count_size + entries.len() * entry_size + next_size;
        // Out-of-line values follow the IFD; then the strips.
        let strip_offset_bytes = strips.len() * type_size(off_ty);
        let mut extra_pos = ifd_start + ifd_len as u64;
        let mut layout: Vec<(u64, usize)> = Vec::new();
        for e in &entries {
            let len = if e.tag == 273 {
                strip_offset_bytes
            } else {
                e.data.len()
            };
            if len > inline {
                layout.push((extra_pos, len));
                extra_pos += len as u64 + (len as u64 & 1);
            } else {
                layout.push((0, len));
            }
        }
        let data_start = extra_pos;
        let mut offs = Vec::with_capacity(strips.len());
        let mut p = data_start;
        for s in &strips {
            offs.push(p);
            p += s.len() as u64;
        }
        if !self.big && p > u32::MAX as u64 {
            return Err(io::Error::other(
                "this stack would pass 4 GiB in a classic TIFF (BigTIFF was not chosen)",
            ));
        }
        let offsets_data: Vec<u8> = offs.iter().flat_map(|o| self.offset_bytes(*o)).collect();

        let mut buf: Vec<u8> = Vec::with_capacity((data_start - self.pos) as usize);
        buf.resize((ifd_start - self.pos) as usize, 0);
        if self.big {
            buf.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        } else {
            buf.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        }
        let mut desc_entry = None;
        for (e, (at, len)) in entries.iter().zip(&layout) {
            if e.tag == 270 {
                desc_entry = Some(self.pos + buf.len() as u64);
            }
            buf.extend_from_slice(&e.tag.to_le_bytes());
            buf.extend_from_slice(&e.ty.to_le_bytes());
            if self.big {
                buf.extend_from_slice(&e.count.to_le_bytes());
            } else {
                buf.extend_from_slice(&(e.count as u32).to_le_bytes());
            }
            let data = if e.tag == 273 { &offsets_data } else { &e.data };
            let mut field = vec![0u8; inline];
            if *len > inline {
                field.copy_from_slice(&self.offset_bytes(*at));
            } else {
                field[..data.len()].copy_from_slice(data);
            }
            buf.extend_from_slice(&field);
        }
        let next_ptr = self.pos + buf.len() as u64;
        buf.extend_from_slice(&vec![0u8; next_size]);
        for (e, (at, len)) in entries.iter().zip(&layout) {
            if *len > inline {
                debug_assert_eq!(self.pos + buf.len() as u64, *at);
                let data = if e.tag == 273 { &offsets_data } else { &e.data };
                buf.extend_from_slice(data);
                if len & 1 == 1 {
                    buf.push(0);
                }
            }
        }
        debug_assert_eq!(self.pos + buf.len() as u64, data_start);
        let start = self.pos;
        if let Some(c) = &mut self.crc {
            // The page's own holes: its link to the next page, and (first page) the
            // description entry filled in by `finish`.
            let rel = |at: u64| (at - start) as usize;
            let mut from = 0;
            let holes = desc_entry
                .map(|d| (rel(d), entry_size))
                .into_iter()
                .chain([(rel(next_ptr), next_size)]);
            for (at, len) in holes {
                c.append(&buf[from..at]);
                c.append_hole(&buf[at..at + len]);
                from = at + len;
            }
            c.append(&buf[from..]);
            for s in &strips {
                match pixels_crc {
                    Some(h) if self.compression == Compression::None => {
                        c.append_hashed(h, s.len() as u64)
                    }
                    _ => c.append(s),
                }
            }
        }
        let prev = self.prev_next_ptr;
        let link = self.offset_bytes(ifd_start);
        let f = self.file()?;
        f.write_all_at(&buf, start)?;
        for (s, at) in strips.iter().zip(&offs) {
            f.write_all_at(s, *at)?;
        }
        // Link the new page in only once it is completely written.
        f.write_all_at(&link, prev)?;
        // Start writing it back now, without waiting: the final fsync is then short and
        // dirty pages do not pile up in memory.
        // SAFETY: a hint on our own open file descriptor.
        unsafe {
            libc::sync_file_range(
                f.as_raw_fd(),
                start as i64,
                (p - start) as i64,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        if let Some(c) = &mut self.crc {
            if c.fill(prev, &link) {
                c.settle(prev);
            } else {
                self.crc = None;
            }
        }
        let total = p - start;
        self.pos = p;
        self.prev_next_ptr = next_ptr;
        if first {
            self.desc_entry = desc_entry;
        }
        self.pages += 1;
        Ok(total)
    }

    /// Write the description (UTF-8, NUL-terminated); the file's length and, unless a
    /// write went astray, its CRC-32 as written. Durability is the saver's job: it syncs
    /// finished files in batches before reporting them saved.
    pub fn finish(mut self, description: &str) -> io::Result<(u64, Option<u32>)> {
        if let Some(entry) = self.desc_entry {
            let mut bytes = description.as_bytes().to_vec();
            bytes.push(0);
            let at = self.pos + (self.pos & 1);
            let mut field = Vec::new();
            field.extend_from_slice(&270u16.to_le_bytes());
            field.extend_from_slice(&ASCII.to_le_bytes());
            if self.big {
                field.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                field.extend_from_slice(&at.to_le_bytes());
            } else {
                if at + bytes.len() as u64 > u32::MAX as u64 {
                    return Err(io::Error::other("file passed 4 GiB without BigTIFF"));
                }
                field.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                field.extend_from_slice(&(at as u32).to_le_bytes());
            }
            let f = self.file()?;
            f.write_all_at(&bytes, at)?;
            f.write_all_at(&field, entry)?;
            if let Some(c) = &mut self.crc {
                // An odd length leaves one unwritten byte before the text: it reads as 0.
                c.append(&vec![0; (at - self.pos) as usize]);
                c.append(&bytes);
                if !c.fill(entry, &field) {
                    self.crc = None;
                }
            }
            self.pos = at + bytes.len() as u64;
        }
        // A page whose write failed part-way was hashed but not kept (the file may hold some
        // of it past the end): then only a read-back tells what the file holds.
        let crc = self
            .crc
            .take()
            .filter(|c| c.len() == self.pos)
            .map(RunningCrc::finish);
        Ok((self.pos, crc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(path: &Path) -> Vec<Vec<u16>> {
        let mut pages = Vec::new();
        crate::saver::layout::each_page(path, |_, p| pages.push(p)).expect("a 16-bit TIFF");
        pages
    }

    #[test]
    fn pages_round_trip_in_every_container_and_compression() {
        let dir = tempfile::tempdir().expect("tmp");
        let (w, h) = (300u32, 130u32);
        let pages: Vec<Vec<u16>> = (0..3u16)
            .map(|k| {
                (0..w * h)
                    .map(|i| ((i * 7 + k as u32 * 1000) % 4096) as u16)
                    .collect()
            })
            .collect();
        for big in [false, true] {
            for comp in [
                Compression::None,
                Compression::Deflate,
                Compression::Lzw,
                Compression::Zstd,
            ] {
                let p = dir.path().join(format!("t-{big}-{comp:?}.tif"));
                let mut t = TiffFile::create(&p, big, comp).expect("create");
                for (i, pg) in pages.iter().enumerate() {
                    // Hashed by the caller or by the writer; a handle closed between pages.
                    let known = (i % 2 == 0).then(|| crate::saver::layout::pixel_crc(pg));
                    t.write_page(pg, w, h, known).expect("page");
                    t.close_handle();
                }
                let (len, crc) = t
                    .finish("<?xml version=\"1.0\"?><OME>µm</OME>")
                    .expect("finish");
                assert_eq!(read_back(&p), pages, "big={big} {comp:?}");
                // The CRC kept while writing is the file's, as a read-back computes it.
                assert_eq!(len, std::fs::metadata(&p).expect("stat").len());
                assert_eq!(
                    crc,
                    Some(crate::saver::layout::file_crc(&p).expect("read back")),
                    "big={big} {comp:?}"
                );
                let mut d = tiff::decoder::Decoder::new(std::fs::File::open(&p).expect("open"))
                    .expect("dec");
                let desc = d
                    .get_tag_ascii_string(tiff::tags::Tag::ImageDescription)
                    .expect("desc");
                assert!(desc.contains("µm"), "{desc}");
            }
        }
    }

    #[test]
    fn a_file_reopened_after_closing_its_handle_goes_on() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("r.tif");
        let mut t = TiffFile::create(&p, false, Compression::Deflate).expect("create");
        let a: Vec<u16> = (0..64 * 64).map(|i| i as u16).collect();
        t.write_page(&a, 64, 64, None).expect("1");
        t.close_handle();
        t.write_page(&a, 64, 64, None).expect("2");
        t.finish("x").expect("finish");
        assert_eq!(read_back(&p).len(), 2);
    }
}
