//! The spool's numbered, append-only event log (`events.ndjson`): one JSON object per line,
//! `seq` rising by one, fsync'd per event. Anyone may replay it from any point; the same
//! objects are what `events`, `--json` and the API speak.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::clock::WallTime;
use crate::fault::Fault;
use crate::queue::task::{State, Submitter};

/// One logged event: where it sits in the log, and what happened. On the wire it is one flat
/// object, `{"seq", "time", "unix", "microscope", "task"?, "type", …fields}`, with the fields
/// sorted, so a line reads the same whichever version of squidctl wrote it.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "Wire")]
pub struct Event {
    pub seq: u64,
    pub time: String,
    pub unix: f64,
    pub microscope: String,
    pub task: Option<u64>,
    pub event: QueueEvent,
}

/// An event before the log numbers it.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub task: Option<u64>,
    pub event: QueueEvent,
}

/// How a task ended: the same four fields whichever way it ended (null where they do not
/// apply), so a client reads `task_completed` and `task_skipped` alike.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct End {
    #[serde(default)]
    pub exit_code: Option<u8>,
    /// The run's directory, if it ran.
    #[serde(default)]
    pub run_dir: Option<PathBuf>,
    #[serde(default)]
    pub why: Option<String>,
    #[serde(default)]
    pub fault: Option<Fault>,
}

/// Every kind of queue event, typed: the one place each one's fields are named, written and
/// read. A line whose type this version does not know (a newer squidctl wrote it) is read as
/// [`QueueEvent::Other`] and printed back unchanged.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QueueEvent {
    TaskSubmitted {
        state: State,
        label: Option<String>,
        protocol: String,
        priority: i32,
        submitter: Submitter,
    },
    TaskHeld {
        note: Option<String>,
    },
    TaskReleased {},
    TaskMoved {
        priority: i32,
        order: f64,
    },
    TaskPausing {
        at: String,
        reason: Option<String>,
    },
    /// `at`: the safe point (time point, well, FOV).
    TaskPaused {
        at: Value,
        reason: Option<String>,
    },
    TaskUnpaused {},
    TaskSuspended {
        condition: String,
        at: Value,
    },
    TaskRecovered {
        suspended_s: f64,
    },
    TaskCancelling {
        now: bool,
    },
    TaskWaiting {
        on: String,
        holder: String,
    },
    TaskStarted {
        run_dir: PathBuf,
        attempt: u32,
        resumed: bool,
        pid: u32,
    },
    /// An action task's process started (a run's says `task_started`, with its directory).
    ActionStarted {
        action: String,
        attempt: u32,
        pid: u32,
    },
    Progress {
        t: u64,
        t_total: u32,
        well: Option<String>,
        fov: u64,
        frames: u64,
        frames_total: u64,
        eta_s: f64,
    },
    TaskRetrying {
        attempt: u32,
        retry: u32,
        after_s: f64,
        why: String,
    },
    TaskInterrupted {
        why: String,
    },
    TaskUnclaimable {
        why: String,
    },
    TaskCompleted(End),
    TaskCompletedWithErrors(End),
    TaskFailed(End),
    /// Cancelled, whether it ran or not (`run_dir` says which).
    TaskCancelled(End),
    /// Not started before its `--expires` time.
    TaskExpired(End),
    /// An `--after-ok` dependency did not complete, or its files could not be read.
    TaskSkipped(End),
    QueueHeld {
        note: Option<String>,
        by: String,
    },
    QueueReleased {
        note: Option<String>,
        by: String,
    },
    Reserved {
        holder: String,
        ttl_s: f64,
        expires: String,
        renewed: bool,
        by: String,
    },
    ReservationReleased {
        holder: String,
        by: String,
    },
    /// Nobody renewed it: the queue is open to every client again.
    ReservationExpired {
        holder: String,
        expired: String,
    },
    /// `stop --now`: latched, and the holder (if any) signalled to turn every light off.
    EmergencyStop {
        by: String,
        reason: Option<String>,
        signalled: Option<u32>,
        holder: Option<String>,
        cut_motors: bool,
        fault: Fault,
    },
    EmergencyReset {
        by: String,
        since: String,
        cut_motors: bool,
    },
    /// The instrument's state changed (see `queue::status`); about the task that runs, if one does.
    InstrumentState {
        state: String,
        previous: Option<String>,
        lights_on: Value,
        reservation: Option<String>,
    },
    WorkerStarted {
        pid: u32,
        host: String,
        check_cmd: Option<String>,
    },
    WorkerStopped {
        pid: u32,
        signal: Option<String>,
    },
    /// A type this version does not know, kept as it was read. squidctl never writes one.
    #[serde(skip)]
    Other {
        kind: String,
        fields: Map<String, Value>,
    },
}

impl QueueEvent {
    /// This event, about `task` (none for the queue's or the worker's own).
    pub fn about(self, task: Option<u64>) -> NewEvent {
        NewEvent { task, event: self }
    }

    /// Every type name this version writes, from the same definition the log serializes with
    /// (the status page listens for each; a hand-kept list missed new ones).
    pub fn type_names() -> Vec<String> {
        let schema = schemars::schema_for!(QueueEvent);
        let mut names = Vec::new();
        let variants = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array);
        for v in variants.into_iter().flatten() {
            let ty = v.pointer("/properties/type");
            let one = ty.and_then(|t| t.get("const")).and_then(Value::as_str);
            let listed = ty.and_then(|t| t.get("enum")).and_then(Value::as_array);
            names.extend(one.map(str::to_string));
            names.extend(
                listed
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
        }
        names
    }

    /// The event that ends a task in `state` (a terminal state; any other is logged as
    /// `task_failed`, which is what a task stopped there would be).
    pub fn ended(state: State, end: End) -> QueueEvent {
        match state {
            State::Completed => QueueEvent::TaskCompleted(end),
            State::CompletedWithErrors => QueueEvent::TaskCompletedWithErrors(end),
            State::Cancelled => QueueEvent::TaskCancelled(end),
            State::Expired => QueueEvent::TaskExpired(end),
            State::Skipped => QueueEvent::TaskSkipped(end),
            _ => QueueEvent::TaskFailed(end),
        }
    }

    /// How a task ended, if this event ends one.
    pub fn end(&self) -> Option<&End> {
        match self {
            QueueEvent::TaskCompleted(e)
            | QueueEvent::TaskCompletedWithErrors(e)
            | QueueEvent::TaskFailed(e)
            | QueueEvent::TaskCancelled(e)
            | QueueEvent::TaskExpired(e)
            | QueueEvent::TaskSkipped(e) => Some(e),
            _ => None,
        }
    }

    /// The fault this event reports, if any (an unknown type's too, if it has one that reads).
    pub fn fault(&self) -> Option<Fault> {
        match self {
            QueueEvent::EmergencyStop { fault, .. } => Some(fault.clone()),
            QueueEvent::Other { fields, .. } => fields
                .get("fault")
                .and_then(|f| serde_json::from_value(f.clone()).ok()),
            e => e.end().and_then(|e| e.fault.clone()),
        }
    }

    fn fault_mut(&mut self) -> Option<&mut Fault> {
        match self {
            QueueEvent::EmergencyStop { fault, .. } => Some(fault),
            QueueEvent::TaskCompleted(e)
            | QueueEvent::TaskCompletedWithErrors(e)
            | QueueEvent::TaskFailed(e)
            | QueueEvent::TaskCancelled(e)
            | QueueEvent::TaskExpired(e)
            | QueueEvent::TaskSkipped(e) => e.fault.as_mut(),
            _ => None,
        }
    }

    /// The type's name and its fields, as the log writes them.
    pub fn parts(&self) -> Result<(String, Map<String, Value>), serde_json::Error> {
        if let QueueEvent::Other { kind, fields } = self {
            return Ok((kind.clone(), fields.clone()));
        }
        let mut fields = match serde_json::to_value(self)? {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let kind = match fields.remove("type") {
            Some(Value::String(k)) => k,
            _ => String::new(),
        };
        Ok((kind, fields))
    }

    /// Read back from its parts: a type this version does not know, or whose fields it cannot
    /// read, is kept as [`QueueEvent::Other`] so nothing in the log is lost in the reading.
    pub fn from_parts(kind: String, mut fields: Map<String, Value>) -> QueueEvent {
        fields.insert("type".into(), Value::String(kind.clone()));
        let tagged = Value::Object(fields);
        QueueEvent::deserialize(&tagged).unwrap_or_else(|_| {
            let mut fields = match tagged {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            fields.remove("type");
            QueueEvent::Other { kind, fields }
        })
    }
}

/// An event's line as it is in the log.
#[derive(Deserialize)]
struct Wire {
    seq: u64,
    time: String,
    unix: f64,
    microscope: String,
    #[serde(default)]
    task: Option<u64>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

impl From<Wire> for Event {
    fn from(w: Wire) -> Event {
        Event {
            seq: w.seq,
            time: w.time,
            unix: w.unix,
            microscope: w.microscope,
            task: w.task,
            event: QueueEvent::from_parts(w.kind, w.fields),
        }
    }
}

impl Event {
    /// The event's type and its line, from one serialization (a stream names each event).
    pub fn typed_line(&self) -> Result<(String, String), serde_json::Error> {
        let (kind, fields) = self.event.parts()?;
        let line = serde_json::to_string(&Flat {
            e: self,
            kind: &kind,
            fields: &fields,
        })?;
        Ok((kind, line))
    }
}

/// An event with its parts worked out, as the log writes it.
struct Flat<'a> {
    e: &'a Event,
    kind: &'a str,
    fields: &'a Map<String, Value>,
}

impl Serialize for Flat<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("seq", &self.e.seq)?;
        m.serialize_entry("time", &self.e.time)?;
        m.serialize_entry("unix", &self.e.unix)?;
        m.serialize_entry("microscope", &self.e.microscope)?;
        if let Some(t) = self.e.task {
            m.serialize_entry("task", &t)?;
        }
        m.serialize_entry("type", self.kind)?;
        for (k, v) in self.fields {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (kind, fields) = self.event.parts().map_err(S::Error::custom)?;
        Flat {
            e: self,
            kind: &kind,
            fields: &fields,
        }
        .serialize(s)
    }
}

/// The last sequence number written, from the log's tail (a torn last line is skipped).
fn last_seq(f: &mut File) -> io::Result<u64> {
    let len = f.seek(SeekFrom::End(0))?;
    let mut back = 4096u64;
    loop {
        let from = len.saturating_sub(back);
        f.seek(SeekFrom::Start(from))?;
        let mut buf = Vec::new();
        f.take(len - from).read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        let mut lines: Vec<&str> = text.lines().collect();
        if from > 0 && !lines.is_empty() {
            lines.remove(0); // may be cut
        }
        for line in lines.iter().rev() {
            if let Ok(e) = serde_json::from_str::<Event>(line) {
                return Ok(e.seq);
            }
        }
        if from == 0 {
            return Ok(0);
        }
        back *= 4;
    }
}

/// The sequence number of the log's last event (0 for none), so a follower can start there.
pub fn last(path: &Path) -> u64 {
    File::open(path)
        .and_then(|mut f| last_seq(&mut f))
        .unwrap_or(0)
}

/// Append events, numbering them on from the log. The caller holds the spool lock.
pub fn append(path: &Path, microscope: &str, events: Vec<NewEvent>) -> io::Result<Vec<Event>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let first = last_seq(&mut f)? + 1;
    // A line torn by a crash is ended, so the next event starts a line of its own.
    let len = f.seek(SeekFrom::End(0))?;
    let mut out = String::new();
    if len > 0 {
        f.seek(SeekFrom::Start(len - 1))?;
        let mut last = [0u8; 1];
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            out.push('\n');
        }
    }
    let now = WallTime::now();
    let mut written = Vec::with_capacity(events.len());
    for (seq, mut e) in (first..).zip(events) {
        // A fault's number in the history is its event's.
        if let Some(f) = e.event.fault_mut() {
            f.sequence = seq;
        }
        let ev = Event {
            seq,
            time: now.rfc3339(),
            unix: now.unix_s,
            microscope: microscope.to_string(),
            task: e.task,
            event: e.event,
        };
        out.push_str(&serde_json::to_string(&ev).map_err(io::Error::other)?);
        out.push('\n');
        written.push(ev);
    }
    f.write_all(out.as_bytes())?;
    f.sync_data()?;
    Ok(written)
}

/// Events after byte `offset` with `seq > since`, and the offset to read on from (only whole
/// lines are consumed, so a line being written is read next time).
pub fn read_from(path: &Path, offset: u64, since: u64) -> io::Result<(Vec<Event>, u64)> {
    let (evs, next) = read_at(path, offset, since)?;
    Ok((evs.into_iter().map(|(_, e)| e).collect(), next))
}

/// [`read_from`], with the byte offset each event's line starts at (a follower can keep a
/// few of them to replay from the middle of a long log).
pub fn read_at(path: &Path, offset: u64, since: u64) -> io::Result<(Vec<(u64, Event)>, u64)> {
    let mut out = Vec::new();
    let next = scan(path, offset, since, |at, e| {
        out.push((at, e));
        Ok(true)
    })?;
    Ok((out, next))
}

/// Each event after byte `offset` with `seq > since`, handed to `f` one at a time (a replay
/// of months of events holds one line in memory); `f` returns false to stop. Lines that are
/// not events (garbage, a torn line) are skipped. Returns the offset to read on from.
pub fn scan(
    path: &Path,
    offset: u64,
    since: u64,
    mut f: impl FnMut(u64, Event) -> io::Result<bool>,
) -> io::Result<u64> {
    let next = crate::fsutil::try_lines_from(path, offset, |at, line| {
        match serde_json::from_str::<Event>(line) {
            Ok(e) if e.seq > since => f(at, e),
            _ => Ok(true),
        }
    });
    match next {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        r => r,
    }
}

/// An event of any type, for tests of the log's mechanics.
#[cfg(test)]
pub(crate) fn other(kind: &str, task: Option<u64>, fields: Value) -> NewEvent {
    let fields = match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    QueueEvent::Other {
        kind: kind.into(),
        fields,
    }
    .about(task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(e: &QueueEvent) -> String {
        e.parts().expect("parts").0
    }

    fn line(e: &Event) -> String {
        serde_json::to_string(e).expect("serialize")
    }

    fn logged(evs: Vec<NewEvent>) -> Vec<Event> {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("events.ndjson");
        append(&p, "m", evs).expect("append");
        read_from(&p, 0, 0).expect("read").0
    }

    #[test]
    fn a_typed_event_is_its_type_name_and_its_sorted_fields() {
        let (k, f) = QueueEvent::TaskMoved {
            priority: 2,
            order: 1.5,
        }
        .parts()
        .expect("parts");
        assert_eq!(
            (k.as_str(), Value::Object(f).to_string()),
            ("task_moved", r#"{"order":1.5,"priority":2}"#.into())
        );
        assert_eq!(name(&QueueEvent::TaskReleased {}), "task_released");
        let end = End {
            exit_code: Some(3),
            ..End::default()
        };
        let e = QueueEvent::ended(State::CompletedWithErrors, end.clone());
        assert_eq!(name(&e), "task_completed_with_errors");
        assert_eq!(
            Value::Object(e.parts().expect("parts").1).to_string(),
            r#"{"exit_code":3,"fault":null,"run_dir":null,"why":null}"#
        );
        for (state, name) in [
            (State::Completed, "task_completed"),
            (State::Failed, "task_failed"),
            (State::Cancelled, "task_cancelled"),
            (State::Expired, "task_expired"),
            (State::Skipped, "task_skipped"),
        ] {
            let e = QueueEvent::ended(state, end.clone());
            assert_eq!((self::name(&e).as_str(), e.end()), (name, Some(&end)));
        }
    }

    #[test]
    fn every_event_reads_back_as_the_variant_written_and_its_fault_gets_the_events_number() {
        let fault = crate::fault::Fault::new(crate::fault::Code::Cancelled, "stop");
        let written = logged(vec![
            QueueEvent::TaskPausing {
                at: "well".into(),
                reason: None,
            }
            .about(Some(4)),
            QueueEvent::ended(
                State::Cancelled,
                End {
                    exit_code: Some(5),
                    run_dir: Some("/runs/a".into()),
                    why: Some("asked".into()),
                    fault: Some(fault),
                },
            )
            .about(Some(4)),
            QueueEvent::InstrumentState {
                state: "running".into(),
                previous: Some("idle".into()),
                lights_on: json!([]),
                reservation: None,
            }
            .about(Some(4)),
        ]);
        assert!(
            matches!(&written[0].event, QueueEvent::TaskPausing { at, reason: None } if at == "well")
        );
        let end = written[1].event.end().expect("an end");
        assert_eq!(end.run_dir.as_deref(), Some(Path::new("/runs/a")));
        let f = written[1].event.fault().expect("its fault");
        assert_eq!((f.sequence, f.code), (2, 6004));
        assert!(matches!(
            written[2].event,
            QueueEvent::InstrumentState { .. }
        ));
        assert_eq!(written[2].task, Some(4));
        // What is read prints as it was written.
        let again: Event = serde_json::from_str(&line(&written[1])).expect("read");
        assert_eq!(line(&again), line(&written[1]));
    }

    #[test]
    fn the_type_names_are_every_variant_written() {
        let names = QueueEvent::type_names();
        for e in [
            QueueEvent::TaskReleased {},
            QueueEvent::TaskInterrupted { why: "x".into() },
            QueueEvent::TaskUnclaimable { why: "x".into() },
            QueueEvent::ended(State::Skipped, End::default()),
            QueueEvent::EmergencyReset {
                by: "a".into(),
                since: "t".into(),
                cut_motors: false,
            },
        ] {
            assert!(names.contains(&name(&e)), "{} not in {names:?}", name(&e));
        }
        assert!(!names.iter().any(|n| n == "other"), "{names:?}");
        assert_eq!(names.len(), 33, "{names:?}");
    }

    #[test]
    fn a_type_this_version_does_not_know_is_kept_and_printed_back_unchanged() {
        for text in [
            // A newer squidctl's event.
            r#"{"seq":7,"time":"t","unix":1.5,"microscope":"m","task":3,"type":"plate_loaded","barcode":"P1","slot":{"n":2}}"#,
            // A known type whose fields this version cannot read.
            r#"{"seq":8,"time":"t","unix":1.5,"microscope":"m","type":"task_moved","order":"first","priority":2}"#,
        ] {
            let e: Event = serde_json::from_str(text).expect("read");
            assert!(matches!(e.event, QueueEvent::Other { .. }), "{e:?}");
            assert_eq!(line(&e), text);
        }
    }

    #[test]
    fn lines_written_before_the_ends_were_typed_still_read_as_ends() {
        // The shapes 0.x wrote: a cancel before the run had no run_dir or why; an
        // instrument_state carried its task among its fields.
        let old = [
            r#"{"seq":1,"time":"t","unix":1,"microscope":"m","task":2,"type":"task_cancelled","exit_code":5,"fault":null}"#,
            r#"{"seq":2,"time":"t","unix":1,"microscope":"m","task":2,"type":"task_skipped","exit_code":1,"fault":null,"why":"dep failed"}"#,
            r#"{"seq":3,"time":"t","unix":1,"microscope":"m","type":"instrument_state","lights_on":[],"previous":null,"reservation":null,"state":"idle","task":9}"#,
        ];
        let evs: Vec<Event> = old
            .iter()
            .map(|l| serde_json::from_str(l).expect("read"))
            .collect();
        assert_eq!(evs[0].event.end().and_then(|e| e.exit_code), Some(5));
        assert_eq!(
            evs[1].event.end().and_then(|e| e.why.clone()).as_deref(),
            Some("dep failed")
        );
        assert!(matches!(evs[2].event, QueueEvent::InstrumentState { .. }));
        assert_eq!(evs[2].task, Some(9));
    }

    #[test]
    fn numbers_go_on_after_a_torn_line() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("events.ndjson");
        append(&p, "m", vec![other("a", Some(1), json!({"x": 1}))]).expect("append");
        append(&p, "m", vec![other("b", None, json!({}))]).expect("append");
        // A crash in the middle of a line.
        OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| f.write_all(b"{\"seq\":3,\"ti"))
            .expect("tear");
        let w = append(&p, "m", vec![other("c", None, json!({}))]).expect("append");
        assert_eq!(w[0].seq, 3);
        let (all, end) = read_from(&p, 0, 0).expect("read");
        assert_eq!(
            all.iter()
                .map(|e| (e.seq, name(&e.event)))
                .collect::<Vec<_>>(),
            [(1, "a".into()), (2, "b".into()), (3, "c".into())]
        );
        assert!(line(&all[0]).ends_with(r#""type":"a","x":1}"#));
        let (none, _) = read_from(&p, end, 0).expect("read");
        assert!(none.is_empty());
        let (since, _) = read_from(&p, 0, 2).expect("read");
        assert_eq!(since.len(), 1);
    }

    #[test]
    fn a_line_that_is_not_utf8_does_not_stop_the_log() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("events.ndjson");
        append(&p, "m", vec![other("a", Some(1), json!({}))]).expect("append");
        // A power cut tore a line: one invalid byte inside an event, then a garbage line.
        OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| {
                f.write_all(b"{\"seq\":2,\"time\":\"t\",\"unix\":0,\"microscope\":\"m\",\"type\":\"b\xff\"}\n\xfe\xfe\n")
            })
            .expect("tear");
        append(&p, "m", vec![other("c", None, json!({}))]).expect("append");
        let (all, _) = read_from(&p, 0, 0).expect("a bad byte is not an error");
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(name(&all[1].event), "b\u{fffd}");
    }
}
