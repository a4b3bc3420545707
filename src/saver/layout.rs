//! Which file each frame goes to, and how those files are written: one writer per format,
//! behind one trait.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::FrameMsg;
use super::ome_xml::{ChannelMeta, PlaneMeta, StackMeta};
use super::tiff_file::TiffFile;
use crate::plan::{Event, Plan};
use crate::protocol::schema::{Axis, BigTiff, Compression, Grouping};

/// Identifies one output file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileKey {
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub channel: Option<u32>,
    pub z: Option<u32>,
}

/// A finished (or cut-short) file, as the journal records it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct FileDone {
    /// Relative to the run directory.
    pub path: String,
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub channel: Option<u32>,
    pub z: Option<u32>,
    pub planes: u32,
    pub expected: u32,
    pub bytes: u64,
    /// CRC-32 of each plane's pixels (little-endian u16), in file order.
    pub plane_crc32: Vec<u32>,
    /// (z, channel) of each plane, in file order.
    pub plane_zc: Vec<(u32, u32)>,
}

impl FileDone {
    pub fn complete(&self) -> bool {
        self.planes == self.expected
    }
}

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
}

pub use crate::plan::names::safe_name;

/// CRC-32 of a plane's pixels as little-endian u16 (what verify recomputes from the file).
pub fn pixel_crc(pixels: &[u16]) -> u32 {
    crc32fast::hash(&super::tiff_file::le_bytes(pixels))
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// OME-TIFF stacks: one file per time point × region × FOV × channel (z planes as pages), or
/// per FOV with all channels.
pub struct OmeTiffLayout {
    pub root: PathBuf,
    pub plan: Arc<Plan>,
    pub grouping: Grouping,
    pub compression: Compression,
    pub bigtiff: BigTiff,
    pub started: String,
}

impl OmeTiffLayout {
    fn file_path(&self, key: &FileKey) -> PathBuf {
        let r = safe_name(&self.plan.regions[key.region as usize].name);
        let name = match key.channel {
            Some(c) => format!(
                "{r}_{}_{}.ome.tiff",
                key.fov,
                safe_name(&self.plan.channels[c as usize].name)
            ),
            None => format!("{r}_{}.ome.tiff", key.fov),
        };
        self.root.join(key.t.to_string()).join(name)
    }

    /// Whether channels vary faster than z inside a FOV file.
    fn channel_inner(&self) -> bool {
        self.plan.level(Axis::Channel) > self.plan.level(Axis::Z)
    }
}

impl Layout for OmeTiffLayout {
    fn key(&self, ev: &Event) -> FileKey {
        FileKey {
            t: ev.t,
            region: ev.region,
            fov: ev.fov,
            channel: match self.grouping {
                Grouping::Channel => Some(ev.channel),
                Grouping::Fov => None,
            },
            z: None,
        }
    }

    fn expected_planes(&self, key: &FileKey) -> u32 {
        let chans: Vec<&crate::plan::PlanChannel> = match key.channel {
            Some(c) => vec![&self.plan.channels[c as usize]],
            None => self
                .plan
                .channels
                .iter()
                .filter(|c| c.active_at(key.t))
                .collect(),
        };
        chans.iter().map(|c| self.plan.planes(c) as u32).sum()
    }

    fn open(&self, key: &FileKey) -> io::Result<Box<dyn StackWriter>> {
        let expected = self.expected_planes(key);
        let frame = self.plan.frame;
        let max_bytes = expected as u64 * (frame.bytes() + frame.bytes() / 100 + 65536) + (1 << 20);
        let big = match self.bigtiff {
            BigTiff::Always => true,
            BigTiff::Auto => max_bytes > (u32::MAX as u64) / 100 * 98,
        };
        let tiff =
            PartialTiff::create(&self.root, self.file_path(key), *key, big, self.compression)?;
        // Channels in the file: the one, or those taken at this time point.
        let channel_ids: Vec<u32> = match key.channel {
            Some(c) => vec![c],
            None => (0..self.plan.channels.len() as u32)
                .filter(|&c| self.plan.channels[c as usize].active_at(key.t))
                .collect(),
        };
        let channels: Vec<ChannelMeta> = channel_ids
            .iter()
            .map(|&c| channel_meta(&self.plan.channels[c as usize]))
            .collect();
        let region = &self.plan.regions[key.region as usize].name;
        let name = match key.channel {
            Some(c) => format!(
                "{region} fov {} {} t={}",
                key.fov, self.plan.channels[c as usize].name, key.t
            ),
            None => format!("{region} fov {} t={}", key.fov, key.t),
        };
        Ok(Box::new(OmeTiffStack {
            tiff,
            expected,
            crcs: Vec::new(),
            meta: StackMeta {
                name,
                acquisition_date: self.started.clone(),
                width: frame.width,
                height: frame.height,
                bit_depth: frame.bit_depth,
                pixel_um: frame.pixel_um,
                z_step_um: (self.plan.z_offsets_um.len() > 1).then_some(self.plan.z_step_um),
                dimension_order: if self.channel_inner() {
                    "XYCZT"
                } else {
                    "XYZCT"
                },
                channels,
                planes: Vec::new(),
            },
            channel_ids,
        }))
    }

    fn path(&self, key: &FileKey) -> PathBuf {
        self.file_path(key)
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn files_within_visit(&self) -> bool {
        let visit = self.plan.level(Axis::Fov).max(self.plan.level(Axis::Well));
        let z = self.plan.level(Axis::Z) > visit;
        let c = self.grouping == Grouping::Channel || self.plan.level(Axis::Channel) > visit;
        z && c
    }
}

fn channel_meta(c: &crate::plan::PlanChannel) -> ChannelMeta {
    ChannelMeta {
        name: c.name.clone(),
        excitation_nm: c.wavelength_nm,
        emission_nm: c.emission_nm,
    }
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

/// A TIFF being written under its `.partial` name, renamed into place when finished: what
/// every TIFF writer shares.
struct PartialTiff {
    file: TiffFile,
    path: PathBuf,
    tmp: PathBuf,
    key: FileKey,
    root: PathBuf,
}

impl PartialTiff {
    fn create(
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
    fn finish(
        self,
        description: &str,
        expected: u32,
        plane_crc32: Vec<u32>,
        plane_zc: Vec<(u32, u32)>,
    ) -> io::Result<FileDone> {
        let planes = self.file.pages();
        let bytes = self.file.finish(description)?;
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
        })
    }
}

struct OmeTiffStack {
    tiff: PartialTiff,
    expected: u32,
    crcs: Vec<u32>,
    meta: StackMeta,
    /// Plan channel index of each OME channel in this file.
    channel_ids: Vec<u32>,
}

impl StackWriter for OmeTiffStack {
    fn add(&mut self, f: &FrameMsg, crc: u32) -> io::Result<()> {
        self.tiff.file.write_page(&f.pixels, f.width, f.height)?;
        self.crcs.push(crc);
        let the_c = self
            .channel_ids
            .iter()
            .position(|&c| c == f.ev.channel)
            .unwrap_or(0) as u32;
        // A channel's planes are its z levels in the order taken.
        let the_z = self.meta.planes.iter().filter(|p| p.the_c == the_c).count() as u32;
        self.meta.planes.push(PlaneMeta {
            the_z,
            the_c,
            delta_t_s: f.elapsed_s,
            exposure_s: f.exposure_s,
            position_mm: f.stage_mm,
        });
        Ok(())
    }

    fn planes(&self) -> u32 {
        self.tiff.file.pages()
    }

    fn temp_path(&self) -> &Path {
        &self.tiff.tmp
    }

    fn close_handle(&mut self) {
        self.tiff.file.close_handle();
    }

    fn finish(self: Box<Self>) -> io::Result<FileDone> {
        let s = *self;
        let zc = s.meta.planes.iter().map(|p| (p.the_z, p.the_c)).collect();
        s.tiff.finish(&s.meta.to_xml(), s.expected, s.crcs, zc)
    }
}

/// Plain TIFFs, one per frame, in Squid's layout: `<t>/<region>_<fov>_<z>_<channel>.tiff`.
pub struct PlainTiffLayout {
    pub root: PathBuf,
    pub plan: Arc<Plan>,
    pub compression: Compression,
}

impl Layout for PlainTiffLayout {
    fn key(&self, ev: &Event) -> FileKey {
        FileKey {
            t: ev.t,
            region: ev.region,
            fov: ev.fov,
            channel: Some(ev.channel),
            z: Some(ev.z),
        }
    }

    fn expected_planes(&self, _key: &FileKey) -> u32 {
        1
    }

    fn path(&self, key: &FileKey) -> PathBuf {
        let r = safe_name(&self.plan.regions[key.region as usize].name);
        let c = key.channel.map_or_else(String::new, |c| {
            safe_name(&self.plan.channels[c as usize].name)
        });
        self.root.join(key.t.to_string()).join(format!(
            "{r}_{}_{}_{c}.tiff",
            key.fov,
            key.z.unwrap_or(0)
        ))
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn open(&self, key: &FileKey) -> io::Result<Box<dyn StackWriter>> {
        let path = Layout::path(self, key);
        Ok(Box::new(PlainTiff {
            tiff: PartialTiff::create(&self.root, path, *key, false, self.compression)?,
            crc: None,
            description: String::new(),
        }))
    }

    fn files_within_visit(&self) -> bool {
        true
    }
}

struct PlainTiff {
    tiff: PartialTiff,
    crc: Option<u32>,
    description: String,
}

impl StackWriter for PlainTiff {
    fn add(&mut self, f: &FrameMsg, crc: u32) -> io::Result<()> {
        self.tiff.file.write_page(&f.pixels, f.width, f.height)?;
        self.crc = Some(crc);
        self.description = serde_json::json!({
            "x_mm": f.stage_mm.0, "y_mm": f.stage_mm.1, "z_mm": f.stage_mm.2,
            "exposure_s": f.exposure_s, "elapsed_s": f.elapsed_s,
        })
        .to_string();
        Ok(())
    }

    fn planes(&self) -> u32 {
        self.tiff.file.pages()
    }

    fn temp_path(&self) -> &Path {
        &self.tiff.tmp
    }

    fn close_handle(&mut self) {
        self.tiff.file.close_handle();
    }

    fn finish(self: Box<Self>) -> io::Result<FileDone> {
        let s = *self;
        let key = s.tiff.key;
        let zc = vec![(key.z.unwrap_or(0), key.channel.unwrap_or(0))];
        s.tiff
            .finish(&s.description, 1, s.crc.into_iter().collect(), zc)
    }
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
