//! `coordinates.csv`: Squid's columns (region, FOV, z level, stage position, time), then the
//! channel and what the camera reported for that frame — one row per frame, so a Squid tool
//! wanting one row per z level keeps the first of each (region, fov, z_level). One per time
//! point folder (where Squid's tools look for it) and one for the whole run with the time
//! point first.
//!
//! Each row is a journal record first (durable with it), then one unbuffered line in each
//! file, so a SIGKILL loses nothing the journal holds. A resumed run rebuilds both files from
//! the journal, the latest row per place winning, and `verify` compares them with it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::FrameMsg;
use crate::journal_of;
use crate::plan::Plan;
use crate::protocol::units::fmt_num;
use crate::run_dir::Records;
pub use crate::run_dir::journal::records::CoordRow;
use crate::run_dir::journal::{Entry, Record};

/// Squid's seven columns, then the frame's channel and what the camera reported for it.
const HEADER: &str = "region,fov,z_level,x (mm),y (mm),z (um),time,channel,exposure (ms),gain,camera frame,camera time (s),bit depth";
pub const FILE: &str = "coordinates.csv";
/// FOV visits remembered for de-duplication (savers may finish visits out of order).
const RECENT_VISITS: usize = 64;

impl CoordRow {
    fn key(&self) -> (u32, u32, u32, u32, u32) {
        (self.t, self.region, self.fov, self.z, self.channel)
    }

    fn line(&self, plan: &Plan) -> String {
        let region = plan.regions.get(self.region as usize).map_or_else(
            || "_".to_string(),
            |r| crate::plan::names::safe_name(&r.name),
        );
        let channel = plan.channels.get(self.channel as usize).map_or_else(
            || "_".to_string(),
            |c| crate::plan::names::safe_name(&c.name),
        );
        let camera = self.camera.as_ref().map_or_else(
            || ",,,,".to_string(),
            |c| {
                format!(
                    "{},{},{},{:.6},{}",
                    fmt_num(c.exposure_s * 1000.0),
                    fmt_num(c.gain),
                    c.frame_number,
                    c.timestamp_s,
                    c.bit_depth
                )
            },
        );
        format!(
            "{region},{},{},{:.6},{:.6},{:.3},{},{channel},{camera}",
            self.fov, self.z, self.x_mm, self.y_mm, self.z_um, self.time
        )
    }
}

struct State {
    all: Option<File>,
    per_t: HashMap<u32, File>,
    /// (z level, channel) already written for the last few FOV visits.
    seen: HashMap<(u32, u32, u32), HashSet<(u32, u32)>>,
    order: VecDeque<(u32, u32, u32)>,
    error: Option<String>,
}

pub struct Coordinates {
    root: PathBuf,
    plan: Arc<Plan>,
    records: Option<Arc<Records>>,
    state: Mutex<State>,
}

fn open_append(path: &Path, header: &str) -> io::Result<File> {
    let exists = path.metadata().is_ok_and(|m| m.len() > 0);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if !exists {
        f.write_all(format!("{header}\n").as_bytes())?;
    }
    Ok(f)
}

impl Coordinates {
    /// Rows are appended to the files in `root` (a resumed run rebuilds them first with
    /// [`rebuild`]) and recorded in `journal`.
    pub fn new(root: PathBuf, plan: Arc<Plan>, records: Option<Arc<Records>>) -> io::Result<Self> {
        let all = open_append(&root.join(FILE), &format!("t,{HEADER}"))?;
        Ok(Coordinates {
            root,
            plan,
            records,
            state: Mutex::new(State {
                all: Some(all),
                per_t: HashMap::new(),
                seen: HashMap::new(),
                order: VecDeque::new(),
                error: None,
            }),
        })
    }

    /// Record a saved frame: one row per frame, with what the camera reported for it.
    pub fn record(&self, f: &FrameMsg) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.error.is_some() {
            return;
        }
        let visit = (f.ev.t, f.ev.region, f.ev.fov);
        if !st.seen.contains_key(&visit) {
            if st.order.len() >= RECENT_VISITS
                && let Some(old) = st.order.pop_front()
            {
                st.seen.remove(&old);
            }
            st.order.push_back(visit);
        }
        if !st
            .seen
            .entry(visit)
            .or_default()
            .insert((f.ev.z, f.ev.channel))
        {
            return;
        }
        // Recorded at the precision the file shows, so the file and the journal hold the
        // same numbers (a value that rounds differently after a round trip never arises).
        let mut camera = f.camera;
        camera.timestamp_s = round_to(camera.timestamp_s, 1e6);
        let row = CoordRow {
            t: f.ev.t,
            region: f.ev.region,
            fov: f.ev.fov,
            z: f.ev.z,
            x_mm: round_to(f.stage_mm.0, 1e6),
            y_mm: round_to(f.stage_mm.1, 1e6),
            z_um: round_to(f.stage_mm.2 * 1000.0, 1e3),
            time: crate::clock::WallTime::from_unix(f.wall_unix_s).squid_time(),
            channel: f.ev.channel,
            camera: Some(camera),
        };
        if let Some(r) = &self.records {
            r.emit(Record::Coord(row.clone()));
        }
        let line = row.line(&self.plan);
        let r = (|| -> io::Result<()> {
            let w = match st.per_t.entry(row.t) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let dir = self.root.join(row.t.to_string());
                    super::layout::time_point_dir(&self.root, &dir)?;
                    v.insert(open_append(&dir.join(FILE), HEADER)?)
                }
            };
            w.write_all(format!("{line}\n").as_bytes())?;
            if let Some(a) = st.all.as_mut() {
                a.write_all(format!("{},{line}\n", row.t).as_bytes())?;
            }
            Ok(())
        })();
        if let Err(e) = r {
            st.error = Some(e.to_string());
        }
    }

    /// The first error met, if any (rows are written as they come; nothing is buffered).
    pub fn finish(&self) -> Result<(), String> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &st.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

/// `v` rounded to 1/`per` (1e6: six decimals): written with as many decimals, it reads back
/// as the same f64, and the journal (JSON, parsed exactly) holds it bit for bit.
fn round_to(v: f64, per: f64) -> f64 {
    let r = (v * per).round() / per;
    if r.is_finite() { r } else { v }
}

/// The first place two versions of a file differ: its row (1 is the first after the header),
/// the column's name and both cells; `None` when the lines are the same.
fn first_difference(have: &str, want: &str) -> Option<String> {
    let header: Vec<&str> = want.lines().next().unwrap_or_default().split(',').collect();
    let (mut h, mut w) = (have.lines(), want.lines());
    let mut row = 0usize;
    loop {
        let (a, b) = (h.next(), w.next());
        match (a, b) {
            (None, None) => return None,
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                let (ac, bc): (Vec<&str>, Vec<&str>) =
                    (a.split(',').collect(), b.split(',').collect());
                let i = (0..ac.len().max(bc.len()))
                    .find(|&i| ac.get(i) != bc.get(i))
                    .unwrap_or(0);
                let column = header.get(i).copied().unwrap_or("?");
                return Some(format!(
                    "row {row}, column `{column}`: the file has `{}`, the journal `{}`",
                    ac.get(i).copied().unwrap_or(""),
                    bc.get(i).copied().unwrap_or("")
                ));
            }
            (Some(a), None) => {
                return Some(format!("row {row} is not in the journal: `{a}`"));
            }
            (None, Some(b)) => return Some(format!("row {row} is missing: the journal has `{b}`")),
        }
        row += 1;
    }
}

/// What the files should hold according to the journal: the run-wide file and one per time
/// point, keyed by its folder name.
pub fn expected(plan: &Plan, journal: &[Entry]) -> (String, BTreeMap<u32, String>) {
    let mut latest: HashMap<(u32, u32, u32, u32, u32), usize> = HashMap::new();
    let mut rows: Vec<CoordRow> = Vec::new();
    for r in journal_of!(journal, Coord) {
        match latest.get(&r.key()) {
            Some(&i) => rows[i] = r.clone(),
            None => {
                latest.insert(r.key(), rows.len());
                rows.push(r.clone());
            }
        }
    }
    let mut all = format!("t,{HEADER}\n");
    let mut per_t: BTreeMap<u32, String> = BTreeMap::new();
    for r in &rows {
        let line = r.line(plan);
        all.push_str(&format!("{},{line}\n", r.t));
        let t = per_t.entry(r.t).or_insert_with(|| format!("{HEADER}\n"));
        t.push_str(&line);
        t.push('\n');
    }
    (all, per_t)
}

/// Journals written before rows were journaled have none; their files are left as they are.
fn journaled(journal: &[Entry]) -> bool {
    journal.iter().any(|e| match &e.record {
        Record::Coord(_) => true,
        Record::Start(s) => s.coords,
        _ => false,
    })
}

/// Rewrite the files from the journal (atomically, each), as a resumed run starts and ends.
pub fn rebuild(root: &Path, plan: &Plan, journal: &[Entry]) -> io::Result<()> {
    if !journaled(journal) {
        return Ok(());
    }
    let (all, per_t) = expected(plan, journal);
    for (t, text) in &per_t {
        let dir = root.join(t.to_string());
        std::fs::create_dir_all(&dir)?;
        crate::fsutil::write_atomic(&dir.join(FILE), text.as_bytes())?;
    }
    crate::fsutil::write_atomic(&root.join(FILE), all.as_bytes())
}

/// The coordinate files that differ from the journal, with what is wrong.
pub fn check(root: &Path, plan: &Plan, journal: &[Entry]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !journaled(journal) {
        return out;
    }
    let (all, per_t) = expected(plan, journal);
    let mut compare = |rel: String, want: &str| {
        let rows = want.lines().count().saturating_sub(1);
        match std::fs::read_to_string(root.join(&rel)) {
            Ok(have) if have == want => {}
            Ok(have) => out.push((
                rel,
                format!(
                    "holds {} rows, the journal has {rows}; {}",
                    have.lines().count().saturating_sub(1),
                    first_difference(&have, want)
                        .unwrap_or_else(|| "the line endings differ".into())
                ),
            )),
            Err(e) => out.push((
                rel,
                format!("cannot be read ({e}); the journal has {rows} rows"),
            )),
        }
    };
    compare(FILE.to_string(), &all);
    for (t, text) in &per_t {
        compare(format!("{t}/{FILE}"), text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::faults::SplitMix;

    /// Random values, extreme and ordinary: rounded as a row records them, each survives the
    /// journal (JSON) and the file (six or three decimals) as the same value.
    #[test]
    fn every_number_reads_back_as_written() {
        let mut rng = SplitMix(0xc00d_5eed);
        for i in 0..200_000u64 {
            let bits = rng.next_u64();
            let v = match i % 3 {
                0 => f64::from_bits(bits),
                1 => (bits >> 11) as f64 / (1u64 << 53) as f64 * 200.0 - 100.0,
                _ => (bits % 100_000_000) as f64 / 1e6 + 0.5e-6,
            };
            if !v.is_finite() || v.abs() > 1e9 {
                continue;
            }
            for (per, decimals) in [(1e6, 6), (1e3, 3)] {
                let r = round_to(v, per);
                let json = serde_json::to_string(&r).expect("json");
                let back: f64 = serde_json::from_str(&json).expect("parse");
                assert_eq!(back.to_bits(), r.to_bits(), "{v} → {json}");
                let text = format!("{r:.decimals$}");
                let read: f64 = text.parse().expect("parse");
                assert_eq!(read.to_bits(), r.to_bits(), "{v} → {text}");
            }
        }
        // The value that broke the README's screen.
        let back: f64 = serde_json::from_str("15.694444500000001").expect("parse");
        assert_eq!(back, 15.694444500000001);
    }

    #[test]
    fn a_difference_is_named_by_row_column_and_both_cells() {
        let want = "a,b,c\n1,2,3\n4,5,6\n";
        assert_eq!(first_difference(want, want), None);
        assert_eq!(
            first_difference("a,b,c\n1,2,3\n4,7,6\n", want).as_deref(),
            Some("row 2, column `b`: the file has `7`, the journal `5`")
        );
        assert_eq!(
            first_difference("a,b,c\n1,2,3\n", want).as_deref(),
            Some("row 2 is missing: the journal has `4,5,6`")
        );
    }
}
