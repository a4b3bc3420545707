//! Plain TIFF: one single-page file per frame, in Squid's layout
//! `<t>/<region>_<fov>_<z>_<channel>.tiff`, with the stage position and exposure as JSON in
//! the ImageDescription.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::tiff_common::{PartialTiff, read_back};
use super::{FileDone, FileKey, Layout, ReadBack, StackWriter, safe_name};
use crate::plan::{Event, Plan};
use crate::protocol::schema::Compression;
use crate::saver::FrameMsg;

/// One file per frame.
pub struct PlainTiffFormat;

impl super::Format for PlainTiffFormat {
    fn file_count(&self, plan: &Plan) -> u64 {
        file_count(plan)
    }

    fn layout(&self, plan: &Arc<Plan>, root: PathBuf, _started: &str) -> Arc<dyn Layout> {
        Arc::new(PlainTiffLayout::new(plan.clone(), root))
    }
}

pub fn file_count(plan: &Plan) -> u64 {
    plan.total_frames()
}

/// The description is the JSON object this writer puts there, with its position.
fn check_description(text: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("the ImageDescription is not the JSON written: {e}"))?;
    for k in ["x_mm", "y_mm", "z_mm", "exposure_s"] {
        if !v[k].is_number() {
            return Err(format!("the ImageDescription has no number `{k}`"));
        }
    }
    Ok(())
}

/// Plain TIFFs, one per frame, in Squid's layout: `<t>/<region>_<fov>_<z>_<channel>.tiff`.
pub struct PlainTiffLayout {
    pub root: PathBuf,
    pub plan: Arc<Plan>,
    pub compression: Compression,
}

impl PlainTiffLayout {
    pub fn new(plan: Arc<Plan>, root: PathBuf) -> Self {
        PlainTiffLayout {
            root,
            compression: plan.output.compression,
            plan,
        }
    }
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

    fn file_count(&self) -> u64 {
        file_count(&self.plan)
    }

    fn read_back(&self, path: &Path) -> ReadBack {
        read_back(path, |d, _| check_description(d))
    }
}

struct PlainTiff {
    tiff: PartialTiff,
    crc: Option<u32>,
    description: String,
}

impl StackWriter for PlainTiff {
    fn add(&mut self, f: &FrameMsg, crc: u32) -> io::Result<()> {
        self.tiff
            .file
            .write_page(&f.pixels, f.width, f.height, Some(crc))?;
        self.crc = Some(crc);
        self.description = serde_json::json!({
            "x_mm": f.stage_mm.0, "y_mm": f.stage_mm.1, "z_mm": f.stage_mm.2,
            "exposure_s": f.camera.exposure_s, "elapsed_s": f.elapsed_s,
            "gain": f.camera.gain, "frame_number": f.camera.frame_number,
            "camera_timestamp_s": f.camera.timestamp_s, "bit_depth": f.camera.bit_depth,
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
