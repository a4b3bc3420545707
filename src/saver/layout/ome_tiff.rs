//! OME-TIFF: one multi-page file per time point × region × FOV × channel (z planes as pages),
//! or per FOV with all channels (`output.grouping: fov`), with OME-XML in the first page.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::stack_files;
use super::tiff_common::{PartialTiff, read_back};
use super::{FileDone, FileKey, Layout, ReadBack, StackWriter, safe_name};
use crate::plan::{Event, Plan};
use crate::protocol::schema::{Axis, BigTiff, Compression, Grouping};
use crate::saver::FrameMsg;
use crate::saver::ome_xml::{ChannelMeta, PlaneMeta, StackMeta};

/// Files of a whole plan: as [`stack_files::file_count`].
pub struct OmeTiffFormat;

impl super::Format for OmeTiffFormat {
    fn file_count(&self, plan: &Plan) -> u64 {
        stack_files::file_count(plan)
    }

    fn layout(&self, plan: &Arc<Plan>, root: PathBuf, started: &str) -> Arc<dyn Layout> {
        Arc::new(OmeTiffLayout::new(plan.clone(), root, started))
    }
}

/// The OME-XML parses, has an `OME` root, and maps exactly the file's pages: one `TiffData`
/// and one `Plane` per page, every IFD once.
fn check_xml(xml: &str, pages: usize) -> Result<(), String> {
    use quick_xml::events::Event as X;
    if xml.is_empty() {
        return Err("the first page has no OME-XML description".into());
    }
    let mut r = quick_xml::Reader::from_str(xml);
    let mut root = None;
    let mut ifds = vec![0u32; pages];
    let mut planes = 0usize;
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let ev = r.read_event().map_err(|e| {
            format!(
                "the OME-XML does not parse at byte {}: {e}",
                r.error_position()
            )
        })?;
        let el = match &ev {
            X::Start(e) | X::Empty(e) => e.clone(),
            X::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            X::Eof => break,
            _ => continue,
        };
        roots += usize::from(depth == 0);
        depth += usize::from(matches!(ev, X::Start(_)));
        let name = el.local_name().as_ref().to_string();
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        {
            return Err(format!(
                "the OME-XML does not parse: malformed element name `{name}`"
            ));
        }
        if root.is_none() {
            root = Some(name.clone());
        }
        match name.as_str() {
            "Plane" => planes += 1,
            "TiffData" => {
                let ifd = el
                    .try_get_attribute("IFD")
                    .ok()
                    .flatten()
                    .and_then(|a| a.value.parse::<usize>().ok())
                    .ok_or("a TiffData element has no valid IFD attribute")?;
                match ifds.get_mut(ifd) {
                    Some(n) => *n += 1,
                    None => {
                        return Err(format!(
                            "the OME-XML names IFD {ifd}, but the file has {pages} pages"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if depth != 0 || roots != 1 {
        return Err("the OME-XML does not parse: its elements are not closed into one root".into());
    }
    if root.as_deref() != Some("OME") {
        return Err(format!(
            "the description is not OME-XML (its root element is {})",
            root.unwrap_or_else(|| "missing".into())
        ));
    }
    if let Some(i) = ifds.iter().position(|&n| n != 1) {
        return Err(format!(
            "the OME-XML maps page {i} {} times, not once",
            ifds[i]
        ));
    }
    if planes != pages {
        return Err(format!(
            "the OME-XML describes {planes} planes, the file has {pages}"
        ));
    }
    Ok(())
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
    pub fn new(plan: Arc<Plan>, root: PathBuf, started: &str) -> Self {
        OmeTiffLayout {
            root,
            grouping: plan.output.grouping,
            compression: plan.output.compression,
            bigtiff: plan.output.bigtiff,
            started: started.to_string(),
            plan,
        }
    }

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
        stack_files::key(self.grouping, ev)
    }

    fn expected_planes(&self, key: &FileKey) -> u32 {
        stack_files::expected_planes(&self.plan, key)
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
        let channel_ids = stack_files::channels(&self.plan, key);
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

    fn file_count(&self) -> u64 {
        stack_files::file_count(&self.plan)
    }

    fn read_back(&self, path: &Path) -> ReadBack {
        read_back(path, check_xml)
    }

    fn files_within_visit(&self) -> bool {
        stack_files::files_within_visit(&self.plan, self.grouping)
    }
}

fn channel_meta(c: &crate::plan::PlanChannel) -> ChannelMeta {
    ChannelMeta {
        name: c.name.clone(),
        excitation_nm: c.wavelength_nm,
        emission_nm: c.emission_nm,
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
        self.tiff
            .file
            .write_page(&f.pixels, f.width, f.height, Some(crc))?;
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
            exposure_s: f.camera.exposure_s,
            frame_number: f.camera.frame_number,
            camera_timestamp_s: f.camera.timestamp_s,
            gain: f.camera.gain,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_that_does_not_match_its_pages_is_named() {
        let ok = r#"<?xml version="1.0"?><OME><Image><Pixels><TiffData IFD="0"/><TiffData IFD="1"/><Plane/><Plane/></Pixels></Image></OME>"#;
        assert_eq!(check_xml(ok, 2), Ok(()));
        assert!(check_xml(ok, 3).unwrap_err().contains("page 2"));
        assert!(
            check_xml(&ok.replace("</Image>", "</Imag>"), 2)
                .unwrap_err()
                .contains("does not parse")
        );
        assert!(check_xml("", 1).unwrap_err().contains("no OME-XML"));
        assert!(check_xml("<x/>", 0).unwrap_err().contains("not OME-XML"));
        let cut = ok.replace("</OME>", "<<<<E>");
        assert!(check_xml(&cut, 2).unwrap_err().contains("OME-XML"), "{cut}");
    }
}
