//! Zarr v3 shards (the `sharding_indexed` codec). Each plane is cut into tiles (the inner
//! chunks), encoded on all cores and appended as it comes; the index — offset and length of
//! every tile, then its CRC-32C — is written at the end when the shard is finished. Zarr lets
//! tiles sit in any order, so a shard streams to disk like a TIFF stack, never rewritten.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::protocol::schema::Compression;

/// What follows the `bytes` codec (little-endian u16) for each tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileCodec {
    Raw,
    Gzip,
    Zstd,
}

/// Fast levels, as for TIFF's deflate: the savers must keep up with the camera.
const GZIP_LEVEL: u32 = 1;
const ZSTD_LEVEL: i32 = 1;
/// An index entry of a tile that was never written (the Zarr spec's marker).
const EMPTY: u64 = u64::MAX;

impl TileCodec {
    /// `None` for LZW, which Zarr has no codec for.
    pub fn of(c: Compression) -> Option<TileCodec> {
        match c {
            Compression::None => Some(TileCodec::Raw),
            Compression::Deflate => Some(TileCodec::Gzip),
            Compression::Zstd => Some(TileCodec::Zstd),
            Compression::Lzw => None,
        }
    }

    /// The codec's entry in the array metadata, after `bytes`.
    pub fn metadata(self) -> Option<Value> {
        match self {
            TileCodec::Raw => None,
            TileCodec::Gzip => {
                Some(json!({"name": "gzip", "configuration": {"level": GZIP_LEVEL}}))
            }
            TileCodec::Zstd => Some(json!({
                "name": "zstd",
                "configuration": {"level": ZSTD_LEVEL, "checksum": false}
            })),
        }
    }

    fn encode(self, raw: Vec<u8>) -> io::Result<Vec<u8>> {
        match self {
            TileCodec::Raw => Ok(raw),
            TileCodec::Gzip => {
                let mut e = flate2::write::GzEncoder::new(
                    Vec::with_capacity(raw.len() / 2),
                    flate2::Compression::new(GZIP_LEVEL),
                );
                e.write_all(&raw)?;
                e.finish()
            }
            TileCodec::Zstd => zstd::bulk::compress(&raw, ZSTD_LEVEL),
        }
    }

    fn decode(self, data: &[u8], len: usize) -> Result<Vec<u8>, String> {
        let out = match self {
            TileCodec::Raw => data.to_vec(),
            TileCodec::Gzip => {
                let mut out = Vec::with_capacity(len);
                flate2::read::GzDecoder::new(data)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("a gzip tile does not decode: {e}"))?;
                out
            }
            TileCodec::Zstd => zstd::bulk::decompress(data, len)
                .map_err(|e| format!("a zstd tile does not decode: {e}"))?,
        };
        if out.len() != len {
            return Err(format!("a tile decodes to {} bytes, not {len}", out.len()));
        }
        Ok(out)
    }
}

/// The inner-chunk grid of one shard: channels × z planes × each plane's tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardGrid {
    pub channels: u32,
    pub planes: u32,
    pub height: u32,
    pub width: u32,
    /// Tile height and width.
    pub tile: (u32, u32),
}

impl ShardGrid {
    /// Tiles down and across a plane.
    pub fn tiles(&self) -> (u32, u32) {
        (
            self.height.div_ceil(self.tile.0),
            self.width.div_ceil(self.tile.1),
        )
    }

    pub fn tiles_per_plane(&self) -> usize {
        let (ny, nx) = self.tiles();
        ny as usize * nx as usize
    }

    fn slots(&self) -> usize {
        self.channels as usize * self.planes as usize * self.tiles_per_plane()
    }

    /// Bytes of the index at the end of every shard (16 per tile, and its CRC-32C).
    pub fn index_len(&self) -> u64 {
        self.slots() as u64 * 16 + 4
    }

    /// Bytes of one tile before compression (edge tiles are padded to full size).
    pub fn tile_len(&self) -> u64 {
        self.tile.0 as u64 * self.tile.1 as u64 * 2
    }

    /// Index position of a tile: C order over (channel, z, tile row, tile column).
    fn slot(&self, c: u32, z: u32, ty: u32, tx: u32) -> usize {
        let (ny, nx) = self.tiles();
        (((c as usize * self.planes as usize + z as usize) * ny as usize + ty as usize)
            * nx as usize)
            + tx as usize
    }

    /// A plane's tile as little-endian bytes, edges padded with the fill value (0): a copy
    /// of whole rows, never pixel by pixel.
    fn cut(&self, px: &[u16], ty: u32, tx: u32) -> Vec<u8> {
        let (th, tw) = (self.tile.0 as usize, self.tile.1 as usize);
        let (w, h) = (self.width as usize, self.height as usize);
        let (y0, x0) = (ty as usize * th, tx as usize * tw);
        let n = tw.min(w - x0);
        let mut out = Vec::with_capacity(th * tw * 2);
        for y in y0..y0 + th {
            if y < h {
                let row = &px[y * w + x0..y * w + x0 + n];
                out.extend_from_slice(&crate::saver::tiff_file::le_bytes(row));
            }
            out.resize((y - y0 + 1) * tw * 2, 0);
        }
        out
    }

    fn paste(&self, plane: &mut [u16], tile: &[u8], ty: u32, tx: u32) {
        let (th, tw) = (self.tile.0 as usize, self.tile.1 as usize);
        let (w, h) = (self.width as usize, self.height as usize);
        let (y0, x0) = (ty as usize * th, tx as usize * tw);
        for r in 0..th.min(h - y0) {
            let n = tw.min(w - x0);
            let dst = &mut plane[(y0 + r) * w + x0..(y0 + r) * w + x0 + n];
            for (d, s) in dst.iter_mut().zip(tile[r * tw * 2..].chunks_exact(2)) {
                *d = u16::from_le_bytes([s[0], s[1]]);
            }
        }
    }
}

/// A shard being written under its temporary name.
pub struct ShardWriter {
    path: PathBuf,
    file: Option<File>,
    grid: ShardGrid,
    codec: TileCodec,
    index: Vec<[u64; 2]>,
    len: u64,
    /// CRC-32 of every byte written, in order: the journal's whole-file checksum without
    /// reading the shard back.
    crc: crc32fast::Hasher,
    planes: u32,
}

impl ShardWriter {
    pub fn create(path: PathBuf, grid: ShardGrid, codec: TileCodec) -> io::Result<ShardWriter> {
        let file = File::create(&path)?;
        Ok(ShardWriter {
            path,
            file: Some(file),
            index: vec![[EMPTY, EMPTY]; grid.slots()],
            grid,
            codec,
            len: 0,
            crc: crc32fast::Hasher::new(),
            planes: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn planes(&self) -> u32 {
        self.planes
    }

    /// Append one plane at (channel, z) of this shard. `pixels_crc`, the CRC-32 of the
    /// pixels' little-endian bytes when the caller has it, saves hashing a raw plane twice.
    pub fn add(&mut self, c: u32, z: u32, px: &[u16], pixels_crc: Option<u32>) -> io::Result<()> {
        let g = self.grid;
        if c >= g.channels || z >= g.planes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "plane (channel {c}, z {z}) is outside this shard ({} channels, {} planes)",
                    g.channels, g.planes
                ),
            ));
        }
        if px.len() != g.width as usize * g.height as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a frame of {} pixels, the store is {}×{}",
                    px.len(),
                    g.width,
                    g.height
                ),
            ));
        }
        let (ny, nx) = g.tiles();
        let tiles: Vec<(u32, u32)> = (0..ny)
            .flat_map(|ty| (0..nx).map(move |tx| (ty, tx)))
            .collect();
        let codec = self.codec;
        // Uncompressed full-width bands are the frame's own bytes: written without a copy.
        let band = |ty: u32| {
            let rows = g.tile.0 as usize;
            let start = ty as usize * rows * g.width as usize;
            (codec == TileCodec::Raw && g.tile.1 == g.width)
                .then(|| px.get(start..start + rows * g.width as usize))
                .flatten()
        };
        let encoded: Vec<io::Result<std::borrow::Cow<[u8]>>> =
            crate::supervisor::pools::on(crate::supervisor::pools::Work::Encode, || {
                tiles
                    .par_iter()
                    .map(|&(ty, tx)| match band(ty) {
                        Some(rows) => Ok(crate::saver::tiff_file::le_bytes(rows)),
                        None => codec.encode(g.cut(px, ty, tx)).map(std::borrow::Cow::Owned),
                    })
                    .collect()
            });
        // Whole raw bands in order are the plane's bytes: its CRC joins the shard's as is.
        let known = pixels_crc.filter(|_| {
            codec == TileCodec::Raw && g.tile.1 == g.width && g.height.is_multiple_of(g.tile.0)
        });
        let start = self.len;
        for (&(ty, tx), bytes) in tiles.iter().zip(encoded) {
            let bytes = bytes?;
            self.put(&bytes, known.is_none())?;
            self.index[g.slot(c, z, ty, tx)] = [self.len - bytes.len() as u64, bytes.len() as u64];
        }
        if let Some(h) = known {
            self.crc.combine(&crc32fast::Hasher::new_with_initial_len(
                h,
                self.len - start,
            ));
        }
        // Start writing the plane back now, without waiting: the final fsync is then short
        // and the kernel's writeback is not left to the process at the end.
        if let Some(f) = &self.file {
            // SAFETY: a hint on our own open file descriptor.
            unsafe {
                libc::sync_file_range(
                    std::os::fd::AsRawFd::as_raw_fd(f),
                    start as i64,
                    (self.len - start) as i64,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        self.planes += 1;
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.put(data, true)
    }

    fn put(&mut self, data: &[u8], hash: bool) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(OpenOptions::new().append(true).open(&self.path)?);
        }
        if let Some(f) = &mut self.file {
            f.write_all(data)?;
        }
        if hash {
            self.crc.update(data);
        }
        self.len += data.len() as u64;
        Ok(())
    }

    /// Release the OS file handle (reopened for the next plane).
    pub fn close_handle(&mut self) {
        self.file = None;
    }

    /// Write the index; the shard's length and CRC-32.
    pub fn finish(mut self) -> io::Result<(u64, u32)> {
        let mut idx = Vec::with_capacity(self.grid.index_len() as usize);
        for [off, n] in &self.index {
            idx.extend_from_slice(&off.to_le_bytes());
            idx.extend_from_slice(&n.to_le_bytes());
        }
        let c = crc32c(&idx);
        idx.extend_from_slice(&c.to_le_bytes());
        self.write(&idx)?;
        Ok((self.len, self.crc.finalize()))
    }
}

/// The planes a shard holds, in the order they were written (by where their first tile
/// starts), each with its (channel, z) in the shard. With `last_only`, only the last one.
pub fn read_planes(
    path: &Path,
    grid: ShardGrid,
    codec: TileCodec,
    last_only: bool,
    mut each: impl FnMut(u32, u32, Vec<u16>),
) -> Result<(), String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let il = grid.index_len();
    if len < il {
        return Err(format!(
            "the shard is {len} bytes, shorter than its {il}-byte index"
        ));
    }
    let mut idx = vec![0u8; il as usize];
    f.read_exact_at(&mut idx, len - il)
        .map_err(|e| e.to_string())?;
    let (body, tail) = idx.split_at(idx.len() - 4);
    let want = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    if crc32c(body) != want {
        return Err("the shard index fails its CRC-32C".into());
    }
    let entry = |i: usize| {
        let b = &body[i * 16..i * 16 + 16];
        let mut o = [0u8; 8];
        let mut n = [0u8; 8];
        o.copy_from_slice(&b[..8]);
        n.copy_from_slice(&b[8..]);
        (u64::from_le_bytes(o), u64::from_le_bytes(n))
    };
    let (ny, nx) = grid.tiles();
    let mut planes: Vec<(u64, u32, u32)> = Vec::new();
    for c in 0..grid.channels {
        for z in 0..grid.planes {
            let mut present = 0usize;
            let mut first = u64::MAX;
            for ty in 0..ny {
                for tx in 0..nx {
                    let (o, n) = entry(grid.slot(c, z, ty, tx));
                    if (o, n) == (EMPTY, EMPTY) {
                        continue;
                    }
                    if o.checked_add(n).is_none_or(|end| end > len - il) {
                        return Err(format!(
                            "the index points past the shard's data (channel {c}, z {z})"
                        ));
                    }
                    present += 1;
                    first = first.min(o);
                }
            }
            match present {
                0 => {}
                p if p == grid.tiles_per_plane() => planes.push((first, c, z)),
                p => {
                    return Err(format!(
                        "plane (channel {c}, z {z}) has {p} of {} tiles",
                        grid.tiles_per_plane()
                    ));
                }
            }
        }
    }
    planes.sort_unstable();
    let skip = if last_only {
        planes.len().saturating_sub(1)
    } else {
        0
    };
    let tile_len = grid.tile_len() as usize;
    for &(_, c, z) in &planes[skip..] {
        let mut plane = vec![0u16; grid.width as usize * grid.height as usize];
        for ty in 0..ny {
            for tx in 0..nx {
                let (o, n) = entry(grid.slot(c, z, ty, tx));
                let mut data = vec![0u8; n as usize];
                f.read_exact_at(&mut data, o).map_err(|e| e.to_string())?;
                grid.paste(&mut plane, &codec.decode(&data, tile_len)?, ty, tx);
            }
        }
        each(c, z, plane);
    }
    Ok(())
}

/// CRC-32C (Castagnoli), the `crc32c` codec that guards every shard index.
pub fn crc32c(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0x82F6_3B78 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    !data.iter().fold(!0u32, |c, &b| {
        TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }

    fn plane(w: u32, h: u32, seed: u16) -> Vec<u16> {
        (0..w * h)
            .map(|i| (i as u16).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn planes_come_back_in_the_order_written_with_padded_edges_cut_off() {
        let dir = tempfile::tempdir().expect("tmp");
        // Tiles of 3×4 over a 13×10 plane: ragged edges on both axes; and full-width bands,
        // which uncompressed shards write straight from the frame (the last one padded).
        for (codec, tile) in [
            (TileCodec::Raw, (3, 4)),
            (TileCodec::Raw, (3, 13)),
            // Whole bands only: the caller's pixel CRC stands for the plane's bytes.
            (TileCodec::Raw, (5, 13)),
            (TileCodec::Gzip, (3, 4)),
            (TileCodec::Zstd, (3, 4)),
        ] {
            let grid = ShardGrid {
                channels: 2,
                planes: 3,
                height: 10,
                width: 13,
                tile,
            };
            let p = dir.path().join(format!("{codec:?}{tile:?}"));
            let mut w = ShardWriter::create(p.clone(), grid, codec).expect("create");
            let order = [(1, 2), (0, 0), (1, 0), (0, 2)];
            for (i, &(c, z)) in order.iter().enumerate() {
                let pl = plane(13, 10, i as u16);
                let known = (i % 2 == 0).then(|| crate::saver::layout::pixel_crc(&pl));
                w.add(c, z, &pl, known).expect("add");
                if i == 1 {
                    w.close_handle();
                }
            }
            let (len, crc) = w.finish().expect("finish");
            let bytes = std::fs::read(&p).expect("read");
            assert_eq!(len, bytes.len() as u64);
            assert_eq!(crc, crc32fast::hash(&bytes));
            let mut got = Vec::new();
            read_planes(&p, grid, codec, false, |c, z, px| got.push((c, z, px))).expect("read");
            assert_eq!(got.len(), 4);
            for (i, (c, z, px)) in got.iter().enumerate() {
                assert_eq!((*c, *z), order[i], "{codec:?}");
                assert_eq!(*px, plane(13, 10, i as u16), "{codec:?} plane {i}");
            }
            let mut last = Vec::new();
            read_planes(&p, grid, codec, true, |c, z, _| last.push((c, z))).expect("read");
            assert_eq!(last, vec![(0, 2)]);
        }
    }

    #[test]
    fn a_damaged_index_or_a_cut_shard_is_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let grid = ShardGrid {
            channels: 1,
            planes: 1,
            height: 8,
            width: 8,
            tile: (4, 4),
        };
        let p = dir.path().join("s");
        let mut w = ShardWriter::create(p.clone(), grid, TileCodec::Raw).expect("create");
        w.add(0, 0, &plane(8, 8, 1), None).expect("add");
        w.finish().expect("finish");
        let good = std::fs::read(&p).expect("read");
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 10] ^= 1;
        std::fs::write(&p, &bad).expect("write");
        let e = read_planes(&p, grid, TileCodec::Raw, false, |_, _, _| {}).unwrap_err();
        assert!(e.contains("CRC-32C"), "{e}");
        std::fs::write(&p, &good[..20]).expect("write");
        let e = read_planes(&p, grid, TileCodec::Raw, false, |_, _, _| {}).unwrap_err();
        assert!(e.contains("shorter than its"), "{e}");
        let e = ShardWriter::create(dir.path().join("t"), grid, TileCodec::Raw)
            .expect("create")
            .add(0, 1, &plane(8, 8, 0), None)
            .unwrap_err();
        assert!(e.to_string().contains("outside this shard"), "{e}");
    }
}
