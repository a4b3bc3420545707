//! OME-Zarr (NGFF 0.5, Zarr v3): one store per run, `<name>.ome.zarr`, laid out as a
//! high-content-screening plate — row / column / field — or, for `positions:`, position /
//! field. Each field is one image with axes t, c, z, y, x, and one array whose shards hold a
//! FOV visit: a channel's z stack (`grouping: channel`) or all channels (`grouping: fov`).
//!
//! Time is an axis, not a plate "acquisition": a time-lapse is one acquisition of one plate,
//! viewers give a t axis a slider, and one array per field keeps a night's time points in one
//! image instead of thousands of image groups.
//!
//! All metadata is written before the first frame, so a store cut short at any moment opens
//! (what was not saved reads as zeros); shards are written under `.partial` names and renamed
//! when finished, like the TIFF stacks.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use super::zarr_shard::{ShardGrid, ShardWriter, TileCodec, read_planes};
use super::{
    FileDone, FileKey, Footprint, Layout, ReadBack, StackWriter, partial_path, pixel_crc, rel,
    safe_name, stack_files,
};
use crate::plan::{Event, Plan, PlanChannel};
use crate::protocol::schema::Grouping;
use crate::saver::FrameMsg;

/// Tiles (inner chunks) are at most this many pixels a side: a compressed 2048² frame is 4
/// tiles, encoded on as many cores, and a viewer can read a quarter of it. Uncompressed tiles
/// are full-width bands of this many rows, written straight from the frame without a copy.
const TILE: u32 = 1024;
/// The one resolution level's array inside each image group.
const ARRAY: &str = "0";

pub struct OmeZarrFormat;

impl super::Format for OmeZarrFormat {
    fn file_count(&self, plan: &Plan) -> u64 {
        stack_files::file_count(plan)
    }

    fn layout(&self, plan: &Arc<Plan>, root: PathBuf, started: &str) -> Arc<dyn Layout> {
        Arc::new(OmeZarrLayout {
            store: Store::new(plan.clone(), started),
            root,
        })
    }

    /// Exact for uncompressed stores: every tile at full size, every shard's index, and the
    /// metadata documents as written.
    fn footprint(&self, plan: &Plan) -> Footprint {
        // Any start time this century has as many digits as the run's will.
        let store = Store::new(Arc::new(plan.clone()), "2026-01-01T00:00:00.000+00:00");
        let shards = stack_files::file_count(plan);
        let (mut docs, mut doc_bytes) = (0u64, 0u64);
        store.each_document(&mut |_, doc| {
            docs += 1;
            doc_bytes += document_bytes(&doc).len() as u64;
        });
        Footprint {
            files: shards + docs,
            bytes: plan.total_frames()
                * store.grid.tiles_per_plane() as u64
                * store.grid.tile_len()
                + shards * store.grid.index_len()
                + doc_bytes,
        }
    }
}

/// What the store looks like, from the plan alone (no run directory): paths and metadata.
struct Store {
    plan: Arc<Plan>,
    /// The store's folder name in the run directory.
    dir: String,
    grid: ShardGrid,
    codec: TileCodec,
    /// The run's start (milliseconds since 1970), for the plate's acquisition.
    started_ms: Option<i64>,
}

impl Store {
    fn new(plan: Arc<Plan>, started: &str) -> Store {
        let f = plan.frame;
        let codec = TileCodec::of(plan.output.compression).unwrap_or(TileCodec::Raw);
        let tile_w = match codec {
            TileCodec::Raw => f.width.max(1),
            _ => f.width.clamp(1, TILE),
        };
        Store {
            dir: format!("{}.ome.zarr", safe_name(&plan.name)),
            grid: ShardGrid {
                channels: match plan.output.grouping {
                    Grouping::Channel => 1,
                    Grouping::Fov => plan.channels.len() as u32,
                },
                planes: plan.z_offsets_um.len() as u32,
                height: f.height,
                width: f.width,
                tile: (f.height.clamp(1, TILE), tile_w),
            },
            codec,
            started_ms: unix_ms(started),
            plan,
        }
    }

    /// A region's group in the store: `B/3` for a well, the position's name otherwise.
    fn region_path(&self, region: u32) -> String {
        let r = &self.plan.regions[region as usize];
        match (&self.plan.plate, r.well) {
            (Some(_), Some(w)) => format!("{}/{}", crate::plan::wells::row_label(w.row), w.col + 1),
            _ => safe_name(&r.name),
        }
    }

    fn image_path(&self, region: u32, fov: u32) -> String {
        format!("{}/{fov}", self.region_path(region))
    }

    /// The shard of a file key, relative to the run directory.
    fn shard_path(&self, key: &FileKey) -> String {
        format!(
            "{}/{}/{ARRAY}/c/{}/{}/0/0/0",
            self.dir,
            self.image_path(key.region, key.fov),
            key.t,
            key.channel.unwrap_or(0)
        )
    }

    fn array_doc(&self) -> Value {
        let p = &self.plan;
        let g = self.grid;
        let (ny, nx) = g.tiles();
        let little = json!({"name": "bytes", "configuration": {"endian": "little"}});
        let mut codecs = vec![little.clone()];
        codecs.extend(self.codec.metadata());
        json!({
            "zarr_format": 3,
            "node_type": "array",
            "shape": [p.time.count, p.channels.len(), g.planes, g.height, g.width],
            "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {
                "chunk_shape": [1, g.channels, g.planes, ny * g.tile.0, nx * g.tile.1]
            }},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": 0,
            "codecs": [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [1, 1, 1, g.tile.0, g.tile.1],
                "codecs": codecs,
                "index_codecs": [little, {"name": "crc32c"}],
                "index_location": "end"
            }}],
            "dimension_names": ["t", "c", "z", "y", "x"],
            "attributes": {}
        })
    }

    /// One field's image group: axes, physical scales, where it is on the stage (a
    /// translation in stage micrometres, so viewers can place fields side by side), channel
    /// names and colours.
    fn image_doc(&self, region: u32, fov: u32) -> Value {
        let p = &self.plan;
        let r = &p.regions[region as usize];
        let (x_mm, y_mm) = r.fovs[fov as usize];
        let f = p.frame;
        let px = f.pixel_um;
        let dt = p.time.interval.secs();
        let dz = p.z_step_um;
        let positive = |v: f64| if v > 0.0 { v } else { 1.0 };
        let z0_um = r.z_mm * 1000.0 + p.z_offsets_um.first().copied().unwrap_or(0.0);
        let x0_um = x_mm * 1000.0 - f64::from(f.width) * px / 2.0;
        let y0_um = y_mm * 1000.0 - f64::from(f.height) * px / 2.0;
        let max = (1u64 << f.bit_depth.clamp(1, 16)) - 1;
        let channels: Vec<Value> = p
            .channels
            .iter()
            .map(|c| {
                json!({
                    "label": c.name,
                    "color": colour(c),
                    "active": true,
                    "coefficient": 1,
                    "family": "linear",
                    "inverted": false,
                    "window": {"start": 0, "end": max, "min": 0, "max": max}
                })
            })
            .collect();
        group(json!({
            "ome": {
                "version": "0.5",
                "multiscales": [{
                    "name": format!("{} fov {fov}", r.name),
                    "axes": [
                        {"name": "t", "type": "time", "unit": "second"},
                        {"name": "c", "type": "channel"},
                        {"name": "z", "type": "space", "unit": "micrometer"},
                        {"name": "y", "type": "space", "unit": "micrometer"},
                        {"name": "x", "type": "space", "unit": "micrometer"}
                    ],
                    "datasets": [{
                        "path": ARRAY,
                        "coordinateTransformations": [
                            {"type": "scale", "scale": [positive(dt), 1.0, positive(dz), px, px]},
                            {"type": "translation", "translation": [0.0, 0.0, z0_um, y0_um, x0_um]}
                        ]
                    }]
                }],
                "omero": {"channels": channels, "rdefs": {"model": "color"}}
            },
            "squidctl": {
                "region": r.name,
                "fov": fov,
                "stage_mm": {"x": x_mm, "y": y_mm, "focus_z": r.z_mm},
                "z_offsets_um": p.z_offsets_um,
                "channels": p.channels.iter().map(channel_json).collect::<Vec<_>>(),
                "note": "planned positions; coordinates.csv has where each frame was taken, after autofocus"
            }
        }))
    }

    /// The store's root: the plate (rows, columns, wells, fields, the run as its one
    /// acquisition), or for positions the list of images.
    fn root_doc(&self) -> Value {
        let p = &self.plan;
        let run = json!({
            "name": p.name,
            "description": p.description,
            "metadata": p.metadata,
            "timepoints": p.time.count,
            "interval_s": p.time.interval.secs(),
        });
        let Some(plate) = &p.plate else {
            let images: Vec<String> = (0..p.regions.len() as u32)
                .flat_map(|r| (0..p.regions[r as usize].fovs.len() as u32).map(move |f| (r, f)))
                .map(|(r, f)| self.image_path(r, f))
                .collect();
            return group(json!({"squidctl": {"run": run, "images": images}}));
        };
        let wells: Vec<Value> = p
            .regions
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.well.map(|w| (i, w)))
            .map(|(i, w)| {
                json!({
                    "path": self.region_path(i as u32),
                    "rowIndex": w.row,
                    "columnIndex": w.col
                })
            })
            .collect();
        let mut acquisition =
            json!({"id": 0, "name": p.name, "maximumfieldcount": p.max_fovs.max(1)});
        if let Some(ms) = self.started_ms {
            acquisition["starttime"] = json!(ms);
        }
        group(json!({
            "ome": {
                "version": "0.5",
                "plate": {
                    "version": "0.5",
                    "name": p.name,
                    "rows": (0..plate.rows).map(|r| json!({"name": crate::plan::wells::row_label(r)})).collect::<Vec<_>>(),
                    "columns": (0..plate.cols).map(|c| json!({"name": (c + 1).to_string()})).collect::<Vec<_>>(),
                    "wells": wells,
                    "field_count": p.max_fovs.max(1),
                    "acquisitions": [acquisition]
                }
            },
            "squidctl": {"run": run, "plate": plate.label}
        }))
    }

    /// Every metadata document of the store (its folder relative to the store, and the
    /// document), parents before children.
    fn each_document(&self, f: &mut dyn FnMut(&str, Value)) {
        let p = &self.plan;
        f("", self.root_doc());
        let array = self.array_doc();
        let mut rows_done = std::collections::BTreeSet::new();
        for (i, r) in p.regions.iter().enumerate() {
            let i = i as u32;
            let region = self.region_path(i);
            match (&p.plate, r.well) {
                (Some(_), Some(w)) => {
                    if rows_done.insert(w.row) {
                        f(&crate::plan::wells::row_label(w.row), group(json!({})));
                    }
                    let images: Vec<Value> = (0..r.fovs.len())
                        .map(|fov| json!({"path": fov.to_string(), "acquisition": 0}))
                        .collect();
                    f(
                        &region,
                        group(json!({"ome": {"version": "0.5", "well": {"images": images}}})),
                    );
                }
                _ => f(&region, group(json!({"squidctl": {"region": r.name}}))),
            }
            for fov in 0..r.fovs.len() as u32 {
                let image = self.image_path(i, fov);
                f(&image, self.image_doc(i, fov));
                f(&format!("{image}/{ARRAY}"), array.clone());
            }
        }
    }
}

fn group(attributes: Value) -> Value {
    json!({"zarr_format": 3, "node_type": "group", "attributes": attributes})
}

fn document_bytes(doc: &Value) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(doc).unwrap_or_default();
    b.push(b'\n');
    b
}

fn channel_json(c: &PlanChannel) -> Value {
    json!({
        "name": c.name,
        "source": c.source,
        "exposure_ms": c.exposure.secs() * 1000.0,
        "intensity_pct": c.intensity_pct,
        "excitation_nm": c.wavelength_nm,
        "emission_nm": c.emission_nm,
        "every": c.every,
        "z_stack": c.stack,
    })
}

/// The display colour viewers start with, from the emission wavelength: blue, green, red,
/// magenta for far red. A channel without one is transmitted light: white.
fn colour(c: &PlanChannel) -> &'static str {
    match c.emission_nm {
        None => "FFFFFF",
        Some(nm) if nm < 490.0 => "0000FF",
        Some(nm) if nm < 570.0 => "00FF00",
        Some(nm) if nm < 650.0 => "FF0000",
        Some(_) => "FF00FF",
    }
}

/// Milliseconds since 1970 of the RFC 3339 time our records carry
/// (`2026-12-05T09:22:03.123+01:00`).
fn unix_ms(s: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = num(20..23).unwrap_or(0);
    let tz = s.get(s.len().checked_sub(6)?..)?;
    let off = match tz.as_bytes().first() {
        Some(b'+') | Some(b'-') => {
            let v =
                tz.get(1..3)?.parse::<i64>().ok()? * 3600 + tz.get(4..6)?.parse::<i64>().ok()? * 60;
            if tz.starts_with('-') { -v } else { v }
        }
        _ => 0,
    };
    // Days from the civil date (proleptic Gregorian).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss - off) * 1000 + ms)
}

/// The first place two JSON documents differ, as a path (`attributes.ome.plate.wells[2]`).
fn first_difference(want: &Value, got: &Value, at: &str) -> Option<String> {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let path = |k: &str| {
                if at.is_empty() {
                    k.to_string()
                } else {
                    format!("{at}.{k}")
                }
            };
            for (k, v) in a {
                let here = path(k);
                match b.get(k) {
                    None => return Some(format!("{here} is missing")),
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &here) {
                            return Some(d);
                        }
                    }
                }
            }
            b.keys()
                .find(|k| !a.contains_key(*k))
                .map(|k| format!("{} was added", path(k)))
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{at} has {} entries, not {}", b.len(), a.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (v, w))| first_difference(v, w, &format!("{at}[{i}]")))
        }
        _ if want == got => None,
        _ => Some(format!("{at} is {got}, not {want}")),
    }
}

/// The OME-Zarr store of one run.
pub struct OmeZarrLayout {
    root: PathBuf,
    store: Store,
}

impl OmeZarrLayout {
    fn store_dir(&self) -> PathBuf {
        self.root.join(&self.store.dir)
    }

    fn planes_of(&self, path: &Path, last_only: bool) -> Result<Vec<Vec<u16>>, String> {
        let mut out = Vec::new();
        read_planes(
            path,
            self.store.grid,
            self.store.codec,
            last_only,
            |_, _, px| out.push(px),
        )?;
        Ok(out)
    }
}

impl Layout for OmeZarrLayout {
    fn key(&self, ev: &Event) -> FileKey {
        stack_files::key(self.store.plan.output.grouping, ev)
    }

    fn expected_planes(&self, key: &FileKey) -> u32 {
        stack_files::expected_planes(&self.store.plan, key)
    }

    fn open(&self, key: &FileKey) -> io::Result<Box<dyn StackWriter>> {
        let path = self.path(key);
        if !self.store_dir().is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "the OME-Zarr store {} vanished during the run (deleted, moved or unmounted)",
                    self.store_dir().display()
                ),
            ));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Box::new(ZarrStack {
            writer: ShardWriter::create(partial_path(&path), self.store.grid, self.store.codec)?,
            key: *key,
            expected: self.expected_planes(key),
            crcs: Vec::new(),
            zc: Vec::new(),
            path,
            root: self.root.clone(),
        }))
    }

    fn path(&self, key: &FileKey) -> PathBuf {
        self.root.join(self.store.shard_path(key))
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn files_within_visit(&self) -> bool {
        stack_files::files_within_visit(&self.store.plan, self.store.plan.output.grouping)
    }

    fn file_count(&self) -> u64 {
        stack_files::file_count(&self.store.plan)
    }

    /// Planes decoded tile by tile. A shard holds no metadata of its own beyond its
    /// checksummed index; the store's documents are checked by [`Layout::check_store`], and
    /// a damaged one is written again by `resume` without acquiring its images again.
    fn read_back(&self, path: &Path) -> ReadBack {
        ReadBack {
            planes: self
                .planes_of(path, false)
                .map(|ps| ps.iter().map(|p| pixel_crc(p)).collect()),
            metadata: Ok(()),
        }
    }

    fn last_plane(&self, path: &Path) -> Result<Vec<u16>, String> {
        self.planes_of(path, true)?
            .pop()
            .ok_or_else(|| "the shard holds no plane".to_string())
    }

    /// Every group's and array's `zarr.json`, before the first frame. A resumed run rewrites
    /// only those that differ.
    fn begin(&self) -> io::Result<()> {
        let base = self.store_dir();
        if !self.root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("the run directory {} is gone", self.root.display()),
            ));
        }
        let mut result = Ok(());
        self.store.each_document(&mut |dir, doc| {
            if result.is_err() {
                return;
            }
            result = (|| {
                let folder = base.join(dir);
                std::fs::create_dir_all(&folder)?;
                let path = folder.join("zarr.json");
                let bytes = document_bytes(&doc);
                if std::fs::read(&path).is_ok_and(|b| b == bytes) {
                    return Ok(());
                }
                let tmp = partial_path(&path);
                std::fs::write(&tmp, &bytes)?;
                std::fs::rename(&tmp, &path)
            })();
        });
        result?;
        crate::fsutil::sync_fs(&base)
    }

    fn check_store(&self) -> Vec<(String, String)> {
        let base = self.store_dir();
        let mut out = Vec::new();
        self.store.each_document(&mut |dir, want| {
            let path = base.join(dir).join("zarr.json");
            if let Err(e) = check_document(&path, &want) {
                out.push((rel(&self.root, &path), e));
            }
        });
        out
    }
}

/// A metadata document on disk is, byte for byte, the one this run writes; the message
/// names the first value that differs.
fn check_document(path: &Path, want: &Value) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    if text == document_bytes(want) {
        return Ok(());
    }
    let got: Value =
        serde_json::from_slice(&text).map_err(|e| format!("does not parse as JSON: {e}"))?;
    Err(first_difference(want, &got, "")
        .unwrap_or_else(|| "not the bytes this run wrote (same values, other text)".into()))
}

struct ZarrStack {
    writer: ShardWriter,
    key: FileKey,
    expected: u32,
    crcs: Vec<u32>,
    /// (z, channel in the shard) of each plane, in the order written.
    zc: Vec<(u32, u32)>,
    path: PathBuf,
    root: PathBuf,
}

impl StackWriter for ZarrStack {
    fn add(&mut self, f: &FrameMsg, crc: u32) -> io::Result<()> {
        let c = match self.key.channel {
            Some(_) => 0,
            None => f.ev.channel,
        };
        self.writer.add(c, f.ev.z, &f.pixels, Some(crc))?;
        self.crcs.push(crc);
        self.zc.push((f.ev.z, c));
        Ok(())
    }

    fn planes(&self) -> u32 {
        self.writer.planes()
    }

    fn temp_path(&self) -> &Path {
        self.writer.path()
    }

    fn close_handle(&mut self) {
        self.writer.close_handle();
    }

    fn finish(self: Box<Self>) -> io::Result<FileDone> {
        let s = *self;
        let planes = s.writer.planes();
        let tmp = s.writer.path().to_path_buf();
        let (bytes, crc) = s.writer.finish()?;
        std::fs::rename(&tmp, &s.path)?;
        Ok(FileDone {
            path: rel(&s.root, &s.path),
            t: s.key.t,
            region: s.key.region,
            fov: s.key.fov,
            channel: s.key.channel,
            z: s.key.z,
            planes,
            expected: s.expected,
            bytes,
            plane_crc32: s.crcs,
            plane_zc: s.zc,
            file_crc32: Some(crc),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_times_convert_to_unix_milliseconds() {
        assert_eq!(unix_ms("1970-01-01T00:00:00.000+00:00"), Some(0));
        assert_eq!(
            unix_ms("2026-12-05T09:22:03.123+00:00"),
            Some(1_796_462_523_123)
        );
        assert_eq!(
            unix_ms("2026-12-05T10:22:03.123+01:00"),
            unix_ms("2026-12-05T09:22:03.123+00:00")
        );
        assert_eq!(
            unix_ms("2024-02-29T23:59:59.999-05:30"),
            Some(1_709_270_999_999)
        );
        assert_eq!(unix_ms(""), None);
        assert_eq!(unix_ms("yesterday"), None);
    }

    #[test]
    fn differences_are_named_by_path() {
        let a = json!({"a": {"b": [1, 2, {"c": "x"}]}});
        assert_eq!(first_difference(&a, &a, ""), None);
        let b = json!({"a": {"b": [1, 2, {"c": "y"}]}});
        assert_eq!(
            first_difference(&a, &b, "").as_deref(),
            Some("a.b[2].c is \"y\", not \"x\"")
        );
        let c = json!({"a": {"b": [1, 2]}});
        assert!(
            first_difference(&a, &c, "")
                .unwrap_or_default()
                .contains("2 entries")
        );
        let d = json!({"a": {"b": [1, 2, {"c": "x"}]}, "z": 1});
        assert_eq!(first_difference(&a, &d, "").as_deref(), Some("z was added"));
    }

    #[test]
    fn a_plate_store_has_every_group_and_exact_estimates() {
        let mut plan =
            crate::test_support::plan_from(include_str!("../../../protocols/quickstart.yaml"));
        plan.output.format = crate::protocol::schema::ImageFormat::OmeZarr;
        let store = Store::new(Arc::new(plan.clone()), "2026-12-05T09:22:03.123+00:00");
        let mut dirs = Vec::new();
        store.each_document(&mut |d, _| dirs.push(d.to_string()));
        // Root, row A, wells A/1–A/3, each with 4 fields and their arrays.
        assert_eq!(dirs.len(), 1 + 1 + 3 * (1 + 4 * 2));
        assert_eq!(&dirs[..4], ["", "A", "A/1", "A/1/0"]);
        let root = store.root_doc();
        assert_eq!(
            root["attributes"]["ome"]["plate"]["rows"]
                .as_array()
                .map(Vec::len),
            Some(8)
        );
        assert_eq!(
            root["attributes"]["ome"]["plate"]["acquisitions"][0]["starttime"],
            json!(1_796_462_523_123i64)
        );
        let key = FileKey {
            t: 0,
            region: 2,
            fov: 3,
            channel: Some(1),
            z: None,
        };
        assert_eq!(
            store.shard_path(&key),
            "quickstart.ome.zarr/A/3/3/0/c/0/1/0/0/0"
        );
        let fp = super::super::Format::footprint(&OmeZarrFormat, &plan);
        assert_eq!(fp.files, 24 + dirs.len() as u64);
    }
}
