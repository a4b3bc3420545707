//! What every TIFF format shares: writing under a `.partial` name, the whole-file checksum,
//! and reading planes and descriptions back with the `tiff` crate's decoder.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{FileDone, FileKey, ReadBack, partial_path, pixel_crc, rel, time_point_dir};
use crate::protocol::schema::Compression;
use crate::saver::tiff_file::TiffFile;

/// A TIFF being written under its `.partial` name, renamed into place when finished: what
/// every TIFF writer shares.
pub(super) struct PartialTiff {
    pub(super) file: TiffFile,
    path: PathBuf,
    pub(super) tmp: PathBuf,
    pub(super) key: FileKey,
    root: PathBuf,
}

impl PartialTiff {
    pub(super) fn create(
        root: &Path,
        path: PathBuf,
        key: FileKey,
        big: bool,
        compression: Compression,
    ) -> io::Result<PartialTiff> {
        if let Some(dir) = path.parent() {
            time_point_dir(root, dir)?;
        }
        let tmp = partial_path(&path);
        Ok(PartialTiff {
            file: TiffFile::create(&tmp, big, compression)?,
            path,
            tmp,
            key,
            root: root.to_path_buf(),
        })
    }

    /// Write the description, rename into place, and say what the file holds.
    pub(super) fn finish(
        self,
        description: &str,
        expected: u32,
        plane_crc32: Vec<u32>,
        plane_zc: Vec<(u32, u32)>,
    ) -> io::Result<FileDone> {
        let planes = self.file.pages();
        let (bytes, crc) = self.file.finish(description)?;
        // Hashed as written; read back only if the writer lost track.
        let file_crc32 = Some(match crc {
            Some(c) => c,
            None => file_crc(&self.tmp)?,
        });
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(FileDone {
            path: rel(&self.root, &self.path),
            t: self.key.t,
            region: self.key.region,
            fov: self.key.fov,
            channel: self.key.channel,
            z: self.key.z,
            planes,
            expected,
            bytes,
            plane_crc32,
            plane_zc,
            file_crc32,
        })
    }
}

/// CRC-32 of a whole file, read back from disk (the page cache, just after writing).
pub fn file_crc(path: &Path) -> io::Result<u32> {
    let mut f = std::fs::File::open(path)?;
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finalize());
        }
        h.update(&buf[..n]);
    }
}

/// Each plane's pixel CRC-32 and each page's ImageDescription (empty when it has none).
pub struct TiffPages {
    pub crcs: Vec<u32>,
    pub descriptions: Vec<String>,
}

pub fn read_pages(path: &Path) -> Result<TiffPages, String> {
    let mut out = TiffPages {
        crcs: Vec::new(),
        descriptions: Vec::new(),
    };
    each_page(path, |desc, pixels| {
        out.descriptions.push(desc);
        out.crcs.push(pixel_crc(&pixels));
    })?;
    Ok(out)
}

/// Every page of a 16-bit TIFF in order, with its description (empty when it has none).
pub fn each_page(path: &Path, mut page: impl FnMut(String, Vec<u16>)) -> Result<(), String> {
    use tiff::decoder::{Decoder, DecodingResult};
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut d = Decoder::new(io::BufReader::new(f)).map_err(|e| e.to_string())?;
    loop {
        let desc = d
            .get_tag_ascii_string(tiff::tags::Tag::ImageDescription)
            .unwrap_or_default();
        if d.get_tag_u32(tiff::tags::Tag::Compression).ok() == Some(ZSTD) {
            page(desc, zstd_page(path, &mut d)?);
        } else {
            match d.read_image().map_err(|e| e.to_string())? {
                DecodingResult::U16(v) => page(desc, v),
                _ => return Err("not a 16-bit image".into()),
            }
        }
        if !d.more_images() {
            return Ok(());
        }
        d.next_image().map_err(|e| e.to_string())?;
    }
}

/// TIFF's zstd compression number (libtiff's, tifffile's).
const ZSTD: u32 = 50000;

/// A zstd page as squidctl writes it (16-bit, one sample, strips, horizontal predictor):
/// the `tiff` crate does not decode zstd, so its directory is read with it and the strips
/// here.
fn zstd_page<R: io::Read + io::Seek>(
    path: &Path,
    d: &mut tiff::decoder::Decoder<R>,
) -> Result<Vec<u16>, String> {
    use std::os::unix::fs::FileExt;
    use tiff::tags::Tag;
    let bad = |what: &str| format!("{}: {what}", path.display());
    let (w, h) = d.dimensions().map_err(|e| e.to_string())?;
    let bits = d
        .get_tag_u32(Tag::BitsPerSample)
        .map_err(|e| e.to_string())?;
    if bits != 16 {
        return Err(bad("not a 16-bit image"));
    }
    let predictor = d.get_tag_u32(Tag::Predictor).unwrap_or(1);
    let offsets = d
        .get_tag_u64_vec(Tag::StripOffsets)
        .map_err(|e| e.to_string())?;
    let counts = d
        .get_tag_u64_vec(Tag::StripByteCounts)
        .map_err(|e| e.to_string())?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let want = w as usize * h as usize * 2;
    let mut bytes = Vec::with_capacity(want);
    for (&at, &n) in offsets.iter().zip(&counts) {
        let mut strip = vec![0u8; n as usize];
        file.read_exact_at(&mut strip, at)
            .map_err(|e| bad(&format!("strip at {at}: {e}")))?;
        let raw = zstd::bulk::decompress(&strip, want - bytes.len())
            .map_err(|e| bad(&format!("strip at {at} does not decompress: {e}")))?;
        bytes.extend_from_slice(&raw);
    }
    if bytes.len() != want {
        return Err(bad("the strips hold fewer pixels than the image has"));
    }
    let mut px: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    if predictor == 2 {
        for row in px.chunks_mut(w as usize) {
            for i in 1..row.len() {
                row[i] = row[i].wrapping_add(row[i - 1]);
            }
        }
    }
    Ok(px)
}

/// A TIFF read back: its planes, and its first page's description checked by the format's
/// own rule (given the description and the number of pages).
pub fn read_back(path: &Path, check: impl Fn(&str, usize) -> Result<(), String>) -> ReadBack {
    match read_pages(path) {
        Err(e) => ReadBack {
            planes: Err(e),
            metadata: Ok(()),
        },
        Ok(p) => ReadBack {
            metadata: check(p.descriptions.first().map_or("", |s| s), p.crcs.len()),
            planes: Ok(p.crcs),
        },
    }
}

/// The pixels of a TIFF's last page. Only the directories of the others are read, so a
/// 50-plane stack costs one plane's decoding, not fifty, on the acquisition machine.
pub fn last_page(path: &Path) -> Result<Vec<u16>, String> {
    use tiff::decoder::{Decoder, DecodingResult};
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut d = Decoder::new(std::io::BufReader::new(f)).map_err(|e| e.to_string())?;
    while d.more_images() {
        d.next_image().map_err(|e| e.to_string())?;
    }
    if d.get_tag_u32(tiff::tags::Tag::Compression).ok() == Some(ZSTD) {
        return zstd_page(path, &mut d);
    }
    match d.read_image().map_err(|e| e.to_string())? {
        DecodingResult::U16(v) => Ok(v),
        _ => Err("not a 16-bit image".into()),
    }
}
