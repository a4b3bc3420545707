//! Output formats: which file each frame goes to, how it is written, and how `verify` reads
//! it back. One file per format: a [`Format`] and its [`Layout`]; [`format`] is the one
//! registry.
//!
//! A new format is a new file here, a variant of `output.format`, and one line in [`format`].

mod ome_tiff;
mod ome_zarr;
mod plain_tiff;
mod stack_files;
mod tiff_common;
mod zarr_shard;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::FrameMsg;
use crate::plan::{Event, Plan};
use crate::protocol::schema::ImageFormat;

pub use ome_tiff::OmeTiffLayout;
pub use plain_tiff::PlainTiffLayout;
pub use tiff_common::{each_page, file_crc, read_pages};

pub trait StackWriter: Send {
    fn add(&mut self, f: &FrameMsg, crc: u32) -> io::Result<()>;
    fn planes(&self) -> u32;
    /// The file being written (its temporary name).
    fn temp_path(&self) -> &Path;
    /// Release the OS file handle (reopened on the next plane).
    fn close_handle(&mut self);
    /// Write the metadata, make it durable, and give it its final name.
    fn finish(self: Box<Self>) -> io::Result<FileDone>;
}

pub trait Layout: Send + Sync {
    fn key(&self, ev: &Event) -> FileKey;
    fn expected_planes(&self, key: &FileKey) -> u32;
    fn open(&self, key: &FileKey) -> io::Result<Box<dyn StackWriter>>;
    /// Where the file for `key` goes (its final name).
    fn path(&self, key: &FileKey) -> PathBuf;
    /// The directory everything is written under.
    fn root(&self) -> &Path;
    /// True when all planes of a file are taken during one FOV visit, so a skipped visit
    /// means its files will get nothing more.
    fn files_within_visit(&self) -> bool;
    /// How many files the whole plan writes (closed form: plans can have a billion events).
    fn file_count(&self) -> u64;
    /// Read a file back with an independent decoder, as `verify` does.
    fn read_back(&self, path: &Path) -> ReadBack;
    /// The pixels of the last plane written to a finished file (the status page's
    /// thumbnail).
    fn last_plane(&self, path: &Path) -> Result<Vec<u16>, String> {
        tiff_common::last_page(path)
    }
    /// Write what must exist before the first frame (a store's metadata); a resumed run
    /// calls it again.
    fn begin(&self) -> io::Result<()> {
        Ok(())
    }
    /// Problems with files that are not frames (a store's metadata), as (path, problem).
    fn check_store(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

pub use crate::plan::estimate::Footprint;
pub use crate::run_dir::journal::records::{FileDone, FileKey};

/// A TIFF page's tags and IFD, about.
const PAGE_OVERHEAD: u64 = 512;
/// A TIFF file's header and OME-XML, about.
const FILE_OVERHEAD: u64 = 4096;

/// What reading a finished file back found.
#[derive(Debug)]
pub struct ReadBack {
    /// CRC-32 of each plane's pixels in file order, or why the file cannot be decoded.
    pub planes: Result<Vec<u32>, String>,
    /// Whether the file's own metadata parses and agrees with its planes.
    pub metadata: Result<(), String>,
}

/// An output format, as `output.format` names it.
pub trait Format: Sync {
    /// How many files a plan writes, without a run directory (closed form: estimates and the
    /// journal's start record need it for plans of a billion events).
    fn file_count(&self, plan: &Plan) -> u64;
    /// The layout that writes a run's files under `root`.
    fn layout(&self, plan: &Arc<Plan>, root: PathBuf, started: &str) -> Arc<dyn Layout>;
    /// Files and bytes before compression (closed form, like `file_count`).
    fn footprint(&self, plan: &Plan) -> Footprint {
        let files = self.file_count(plan);
        Footprint {
            files,
            bytes: plan.total_frames() * (plan.frame.bytes() + PAGE_OVERHEAD)
                + files * FILE_OVERHEAD,
        }
    }
}

/// Every output format: the one place they are listed.
pub fn format(f: ImageFormat) -> &'static dyn Format {
    match f {
        ImageFormat::OmeTiff => &ome_tiff::OmeTiffFormat,
        ImageFormat::Tiff => &plain_tiff::PlainTiffFormat,
        ImageFormat::OmeZarr => &ome_zarr::OmeZarrFormat,
    }
}

/// The writer for a plan's `output.format`.
pub fn for_plan(plan: &Arc<Plan>, root: PathBuf, started: &str) -> Arc<dyn Layout> {
    format(plan.output.format).layout(plan, root, started)
}

/// Files a plan writes, without a run directory.
pub fn planned_files(plan: &Plan) -> u64 {
    format(plan.output.format).file_count(plan)
}

/// Files and bytes a plan writes, without a run directory.
pub fn footprint(plan: &Plan) -> Footprint {
    format(plan.output.format).footprint(plan)
}

pub use crate::plan::names::safe_name;

/// CRC-32 of a plane's pixels as little-endian u16 (what verify recomputes from the file).
pub fn pixel_crc(pixels: &[u16]) -> u32 {
    crc32fast::hash(&super::tiff_file::le_bytes(pixels))
}

pub(crate) fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Make a folder inside the run directory, never the run directory itself: if that vanished
/// (deleted, or its disk unmounted), saying so beats re-creating it with one stray image.
pub fn time_point_dir(root: &Path, dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if !root.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "the run directory {} vanished during the run (deleted, moved or unmounted)",
                root.display()
            ),
        ));
    }
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// The temporary name a file has while it is being written.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(".partial");
    PathBuf::from(s)
}

/// Every file under `dir`, sorted. Symbolic links are listed, never followed: a link to `/`
/// inside a run directory must not take `resume`'s clean-up outside it.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
