//! TIFF's LZW (MSB-first codes of 9 to 12 bits, "early change", a clear code when the table
//! fills), written for speed: the string table is a small open-addressed hash keyed by
//! (prefix code, next byte), and it is emptied by bumping a generation number rather than
//! by clearing memory. The general-purpose encoder this replaced walked a tree per byte and
//! reset its table per strip; this one keeps up with a camera on one core per strip.

const CLEAR: u32 = 256;
const EOI: u32 = 257;
const FIRST: u32 = 258;
/// The table is full (libtiff's rule): a clear code follows and the table starts again.
const FULL: u32 = 4094;
const MIN_BITS: u32 = 9;

/// Slots of the hash table: twice the most codes it holds, so probes stay short.
const SLOT_BITS: u32 = 13;
const SLOTS: usize = 1 << SLOT_BITS;
/// A slot's key: generation (high 12 bits) and the (prefix, byte) pair (low 20 bits).
const PAIR_BITS: u32 = 20;
const GENERATIONS: u32 = 1 << (32 - PAIR_BITS);

/// An encoder whose table is reused from strip to strip (one per thread).
pub struct Lzw {
    keys: Box<[u32]>,
    codes: Box<[u16]>,
    /// Keys of older generations read as empty; 0 is never current (fresh slots are 0).
    generation: u32,
}

impl Default for Lzw {
    fn default() -> Self {
        Lzw {
            keys: vec![0; SLOTS].into_boxed_slice(),
            codes: vec![0; SLOTS].into_boxed_slice(),
            generation: 0,
        }
    }
}

struct Bits<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits<'_> {
    #[inline]
    fn put(&mut self, code: u32, width: u32) {
        self.acc = (self.acc << width) | code as u64;
        self.n += width;
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
    }

    fn flush(&mut self) {
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
            self.n = 0;
        }
    }
}

impl Lzw {
    fn clear(&mut self) {
        self.generation += 1;
        if self.generation == GENERATIONS {
            self.keys.fill(0);
            self.generation = 1;
        }
    }

    #[inline]
    fn slot(pair: u32) -> usize {
        (pair.wrapping_mul(0x9E37_79B1) >> (32 - SLOT_BITS)) as usize
    }

    /// Append `data` LZW-encoded to `out`, as TIFF compression 5 (a clear code first, an
    /// end-of-information code last).
    pub fn encode(&mut self, data: &[u8], out: &mut Vec<u8>) {
        out.reserve(data.len() / 2 + 16);
        let mut bits = Bits { out, acc: 0, n: 0 };
        let mut width = MIN_BITS;
        bits.put(CLEAR, width);
        let Some((&first, rest)) = data.split_first() else {
            bits.put(EOI, width);
            bits.flush();
            return;
        };
        self.clear();
        let mut next = FIRST;
        let mut prefix = first as u32;
        let tag = |g: u32| g << PAIR_BITS;
        for &b in rest {
            let pair = (prefix << 8) | b as u32;
            let key = tag(self.generation) | pair;
            let mut i = Self::slot(pair);
            loop {
                let k = self.keys[i];
                if k == key {
                    prefix = self.codes[i] as u32;
                    break;
                }
                if k >> PAIR_BITS != self.generation {
                    // An empty slot: the string is new.
                    bits.put(prefix, width);
                    self.keys[i] = key;
                    self.codes[i] = next as u16;
                    next += 1;
                    if next == FULL {
                        bits.put(CLEAR, width);
                        self.clear();
                        next = FIRST;
                        width = MIN_BITS;
                    } else if next > (1 << width) - 1 {
                        width += 1;
                    }
                    prefix = b as u32;
                    break;
                }
                i = (i + 1) & (SLOTS - 1);
            }
        }
        // The last string, then (as libtiff does) the code count moves on before the
        // end-of-information code, which a reader takes at the width that follows.
        bits.put(prefix, width);
        next += 1;
        if next == FULL {
            bits.put(CLEAR, width);
            width = MIN_BITS;
        } else if next > (1 << width) - 1 {
            width += 1;
        }
        bits.put(EOI, width);
        bits.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiff::encoder::compression::{CompressionAlgorithm, Lzw as Reference};

    fn decode(bytes: &[u8]) -> Vec<u8> {
        let mut d = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
        d.decode(bytes).expect("a valid TIFF LZW stream")
    }

    fn inputs() -> Vec<Vec<u8>> {
        let mut rng = 0x1234_5678u64;
        let mut noise = |n: usize, spread: u64| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    (rng % spread) as u8
                })
                .collect()
        };
        vec![
            Vec::new(),
            vec![7],
            vec![0; 100_000],
            (0..=255u8).cycle().take(70_000).collect(),
            noise(300_000, 256),
            noise(300_000, 6),
            // A predictor-differenced image row pattern: small steps around zero.
            noise(262_144, 3)
                .iter()
                .map(|v| v.wrapping_sub(1))
                .collect(),
        ]
    }

    #[test]
    fn every_stream_decodes_to_its_input_as_a_tiff_reader_reads_it() {
        let mut e = Lzw::default();
        for data in inputs() {
            let mut out = Vec::new();
            e.encode(&data, &mut out);
            assert_eq!(decode(&out), data, "{} bytes", data.len());
        }
    }

    #[test]
    fn the_table_is_emptied_between_strips_and_across_generations() {
        let mut e = Lzw::default();
        let data = inputs().remove(4);
        let mut first = Vec::new();
        e.encode(&data, &mut first);
        // Past the generation counter's wrap: the same input, the same bytes.
        e.generation = GENERATIONS - 2;
        for _ in 0..3 {
            let mut again = Vec::new();
            e.encode(&data, &mut again);
            assert_eq!(again, first);
        }
    }

    #[test]
    fn its_output_is_as_small_as_the_general_encoders() {
        for data in inputs().into_iter().filter(|d| d.len() > 1000) {
            let mut ours = Vec::new();
            Lzw::default().encode(&data, &mut ours);
            let mut theirs = Vec::new();
            Reference.write_to(&mut theirs, &data).expect("reference");
            assert!(
                ours.len() <= theirs.len() + theirs.len() / 100 + 8,
                "{} vs {}",
                ours.len(),
                theirs.len()
            );
        }
    }
}
