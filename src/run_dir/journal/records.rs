//! Every kind of journal record, typed: the one place their fields are named, so the writers
//! (runner, savers, session) and the readers (resume, report, verify) cannot drift apart.
//! Fields added after a record kind first shipped are optional, so old journals still read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::microscope::link_health::LinkHealth;
use crate::run_dir::{Counts, RunState};

/// One line of `journal.jsonl`: when it was written, and what happened.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, local time.
    #[serde(default)]
    pub wall: String,
    /// Seconds since 1970; absent in journals of versions before 0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix: Option<f64>,
    /// Seconds since this process opened the journal.
    #[serde(default)]
    pub run_s: f64,
    #[serde(flatten)]
    pub record: Record,
}

impl Entry {
    /// When it was written; `None` when unknown (old journals), never 1970.
    pub fn unix(&self) -> Option<f64> {
        self.unix.filter(|u| *u > 0.0)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Start(Start),
    Resume(Resume),
    TimepointStart(TimePoint),
    TimepointSkipped(TimePoint),
    Frame(Frame),
    StepError(StepError),
    Reconnect(Reconnect),
    Link(LinkReport),
    Autofocus(Autofocus),
    FocusMap(FocusMap),
    FovSkipped(FovSkipped),
    Abort(Abort),
    Timeout(Timeout),
    Dump(Dump),
    Coord(CoordRow),
    File(FileDone),
    Lock(Lock),
    Paused(Paused),
    Unpaused(Unpaused),
    Suspended(Suspended),
    Recovered(Recovered),
    EmergencyStop(EmergencyStop),
    BackPressure(BackPressure),
    End(End),
    /// A kind this version does not know (written by a newer one): kept out of every count.
    #[serde(other)]
    Unknown,
}

impl Record {
    /// The microscope clock at this record, for records that carry it.
    pub fn clock_s(&self) -> Option<f64> {
        match self {
            Record::Frame(f) => Some(f.clock_s),
            Record::TimepointStart(t) | Record::TimepointSkipped(t) => Some(t.clock_s),
            Record::End(e) => e.clock_s,
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Start {
    pub name: String,
    pub protocol: String,
    pub microscope: String,
    pub planned_frames: u64,
    pub files: u64,
    pub pid: u32,
    /// The run journals its coordinates rows (every version since 0.1).
    #[serde(default)]
    pub coords: bool,
    #[serde(default)]
    pub protocol_crc32: Option<u32>,
    #[serde(default)]
    pub microscope_crc32: Option<u32>,
    /// The objective's depth of field (µm), which `report` judges focus errors by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_of_field_um: Option<f64>,
    /// Where the plate's wells were placed from: the protocol, a calibration (which), or
    /// the nominal holder position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate_placement: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Resume {
    pub pid: u32,
    pub gap_s: f64,
    pub from_clock_s: f64,
    pub files_kept: usize,
    #[serde(default)]
    pub redo: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimePoint {
    pub t: u32,
    pub sweep: u64,
    pub scheduled_s: f64,
    pub clock_s: f64,
    pub late_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Frame {
    pub seq: u64,
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub z: u32,
    pub channel: u32,
    pub clock_s: f64,
    /// Seconds each step of this frame took, by step name.
    #[serde(default)]
    pub steps: BTreeMap<String, f64>,
    /// The field's focus against the sample's true surface (µm): the camera's defocus less
    /// the plane's planned offset. Only on the simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_error_um: Option<f64>,
    /// How far the field landed from where the plan meant it on its well (µm): the true
    /// offset from the well's centre less the planned one. Only on a simulated plate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_error_um: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepError {
    pub step: String,
    pub seq: u64,
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub z: u32,
    pub channel: u32,
    pub attempt: u32,
    pub error: String,
    pub duration_s: f64,
    pub will_retry: bool,
    /// Set when the driver panicked.
    #[serde(default)]
    pub backtrace: Option<String>,
    /// What a scheduler sees (the same object as the API's and `--json`'s); absent in
    /// journals written before the fault model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<crate::fault::Fault>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reconnect {
    pub step: String,
    pub seq: u64,
}

/// How a device's link did this session so far (its counters start at each connect):
/// written at the session's end, and when its resend rate first crossed the warning line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LinkReport {
    pub device: String,
    pub health: LinkHealth,
}

/// The last session's end record, if it wrote one (none while it runs or after a crash).
pub fn last_end(entries: &[Entry]) -> Option<&End> {
    entries
        .iter()
        .rev()
        .take_while(|e| !matches!(e.record, Record::Start(_) | Record::Resume(_)))
        .find_map(|e| match &e.record {
            Record::End(end) => Some(end),
            _ => None,
        })
}

/// Each device's link over the whole run: the last report of each session, added up.
pub fn link_totals(entries: &[Entry]) -> Vec<(String, LinkHealth)> {
    let mut totals: BTreeMap<String, LinkHealth> = BTreeMap::new();
    let mut session: BTreeMap<String, LinkHealth> = BTreeMap::new();
    let mut commit = |session: &mut BTreeMap<String, LinkHealth>| {
        for (d, h) in std::mem::take(session) {
            totals.entry(d).or_default().add(&h);
        }
    };
    for e in entries {
        match &e.record {
            Record::Start(_) | Record::Resume(_) => commit(&mut session),
            Record::Link(l) => {
                session.insert(l.device.clone(), l.health);
            }
            _ => {}
        }
    }
    commit(&mut session);
    totals.into_iter().collect()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Autofocus {
    pub seq: u64,
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub z_mm: f64,
    pub samples: u32,
    /// The focus it started from (the region's last, or the plan's).
    pub from_z_mm: f64,
    /// With a focus map: how far the measured focus was from the map there (µm), the
    /// correction the rest of the well's fields get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_map_um: Option<f64>,
}

/// A focus map measured before imaging time point `t`: its points, the surface through them,
/// and whether the plate was imaged from it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FocusMap {
    pub t: u32,
    pub points: Vec<FocusMapPoint>,
    /// The fitted surface; absent when too few points were measured to fit one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<crate::plan::surface::Surface>,
    /// Root mean square and largest distance of the measured points from the surface (µm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rms_um: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_residual_um: Option<f64>,
    /// Why the plate is not imaged from this map (too few points, a residual over the limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FocusMapPoint {
    pub well: String,
    pub x_mm: f64,
    pub y_mm: f64,
    /// The measured focus; absent when the autofocus failed there (`error` says how).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_um: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FovSkipped {
    pub seq: u64,
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub step: String,
    pub error: String,
    /// What a scheduler sees (the same object as the API's and `--json`'s); absent in
    /// journals written before the fault model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<crate::fault::Fault>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Abort {
    pub seq: u64,
    pub error: String,
    /// What a scheduler sees (the same object as the API's and `--json`'s); absent in
    /// journals written before the fault model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<crate::fault::Fault>,
}

/// `squidctl stop --now` reached the run: every light was turned off (confirmed by the
/// devices, or not), then the run stopped fast. The frame exposed at that moment may have
/// seen the light cut, so it is not kept as saved: `resume` takes it again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EmergencyStop {
    pub lights_off_confirmed: bool,
    /// `--cut-motors`: whether the boards acknowledged the driver cut (none: not asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motors_cut: Option<bool>,
    pub took_ms: f64,
}

/// A step that overran its deadline, with the thread dump taken then.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timeout {
    pub step: String,
    pub detail: String,
    pub thread: String,
    pub deadline_s: Option<f64>,
    pub noticed_after_s: f64,
    pub dump_file: Option<String>,
    pub dump: String,
    pub dump_took_s: f64,
    /// What a scheduler sees (the same object as the API's and `--json`'s); absent in
    /// journals written before the fault model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<crate::fault::Fault>,
}

impl Timeout {
    /// The hang in one sentence: the log line, the run's end reason and `report` say it.
    pub fn summary(&self) -> String {
        if self.step == "save" {
            // The acquisition only waits here; what stopped is a saver.
            return format!(
                "saver hang: the savers wrote nothing for {:.2} s while the acquisition waited for room in their queue ({}); their stacks are in the thread dump",
                self.deadline_s.unwrap_or(0.0),
                self.detail
            );
        }
        format!(
            "step `{}` ({}) on thread \"{}\" missed its {:.2} s deadline (noticed after {:.2} s)",
            self.step,
            self.detail,
            self.thread,
            self.deadline_s.unwrap_or(0.0),
            self.noticed_after_s
        )
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dump {
    pub reason: String,
    pub file: String,
    pub threads: usize,
    pub took_s: f64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LockEvent {
    /// The lock file was deleted and made again; this run still holds it.
    Retaken,
    /// Another process took the lock: this run stops.
    Lost,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Lock {
    pub event: LockEvent,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

impl Lock {
    /// What happened to the lock, for the log and (when lost) the run's end reason.
    pub fn describe(&self) -> String {
        match self.event {
            LockEvent::Retaken => format!(
                "the lock file {} was deleted while this run held it (a tmp cleaner?); it was made again and is held",
                self.path
            ),
            LockEvent::Lost => format!(
                "the microscope lock {} was deleted while this run held it, and another process now holds it ({}); stopping so that two runs do not drive one microscope",
                self.path,
                self.holder.as_deref().unwrap_or("unknown")
            ),
        }
    }
}

/// The queue paused the run at a safe point, before this FOV; the lights are off.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Paused {
    pub t: u32,
    pub region: String,
    pub fov: u32,
    /// The boundary asked for: fov, well or timepoint.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Unpaused {
    /// Wall-clock seconds the run stood still.
    pub paused_s: f64,
}

/// A hold condition failed at a safe point; the run waits, lights off, until it recovers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Suspended {
    pub condition: String,
    pub t: u32,
    pub region: String,
    pub fov: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Recovered {
    pub suspended_s: f64,
}

/// A frame waited this long for room in the savers' queue: the disk is slower than the
/// camera. Not a device step and not a fault; the run goes on (the wait's own deadline,
/// `timeouts.save`, only ends it when the savers write nothing at all for that long).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackPressure {
    pub seq: u64,
    pub waited_s: f64,
    /// Frames in the queue when it found room.
    pub queued: u64,
}

/// How a session ended. A third signal exits before the counts are known.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct End {
    pub state: RunState,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
    /// Why the run did not complete cleanly, as a fault (none when it did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<crate::fault::Fault>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_kind_and_fields_and_unknown_kinds_are_set_aside() {
        let line = r#"{"kind":"frame","wall":"2026-01-01T00:00:00+00:00","unix":1767225600.0,"run_s":1.5,"seq":7,"t":0,"region":1,"fov":2,"z":3,"channel":0,"clock_s":4.25,"steps":{"capture":0.01}}"#;
        let e: Entry = serde_json::from_str(line).expect("a frame line");
        let Record::Frame(f) = &e.record else {
            panic!("not a frame: {e:?}")
        };
        assert_eq!((f.seq, f.region, f.fov, f.z), (7, 1, 2, 3));
        assert_eq!(e.record.clock_s(), Some(4.25));
        let again: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&e).expect("serializes")).expect("json");
        let first: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(again, first, "written back the same");

        // Old journals have no `unix`; newer kinds are read as Unknown, not as an error.
        let old =
            r#"{"kind":"lock","wall":"w","run_s":0.0,"event":"lost","path":"/x","holder":"pid 9"}"#;
        let e: Entry = serde_json::from_str(old).expect("a lock line");
        assert_eq!(e.unix(), None);
        assert!(matches!(
            e.record,
            Record::Lock(Lock {
                event: LockEvent::Lost,
                ..
            })
        ));
        let newer = r#"{"kind":"stage_drift","wall":"w","run_s":0.0,"um":3}"#;
        let e: Entry = serde_json::from_str(newer).expect("an unknown kind still reads");
        assert!(matches!(e.record, Record::Unknown));
    }
}

// What the savers and the camera record. Defined here, with the other records, so the
// journal and what reads it (resume, verify, report) need nothing from the layers above.

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
    /// CRC-32 of the whole file as written, so a changed byte anywhere (metadata, tags, not
    /// only pixels) is caught. Absent in journals of versions before 0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_crc32: Option<u32>,
}

impl FileDone {
    pub fn key(&self) -> FileKey {
        FileKey {
            t: self.t,
            region: self.region,
            fov: self.fov,
            channel: self.channel,
            z: self.z,
        }
    }

    pub fn complete(&self) -> bool {
        self.planes == self.expected
    }
}

/// One row, as the journal records it (`kind: "coord"`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CoordRow {
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub z: u32,
    pub x_mm: f64,
    pub y_mm: f64,
    pub z_um: f64,
    pub time: String,
    /// Absent in journals of versions before 0.1, whose rows were one per z level.
    #[serde(default)]
    pub channel: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<FrameMeta>,
}

/// What the camera reported for a frame.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrameMeta {
    /// Counts every frame the camera delivered since it was opened.
    pub frame_number: u64,
    /// Seconds on the microscope's clock at the end of the exposure.
    pub timestamp_s: f64,
    pub exposure_s: f64,
    pub gain: f64,
    pub bit_depth: u32,
    /// How far the focal plane was from the sample's surface (µm, positive above it): only a
    /// simulated camera knows, so focus methods can be judged against the truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defocus_um: Option<f64>,
    /// How far the field was from the true centre of its well (µm, x and y): only a simulated
    /// plate knows, so a plate's calibration can be judged against the truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub well_offset_um: Option<[f64; 2]>,
}
