//! The spool's numbered, append-only event log (`events.ndjson`): one JSON object per line,
//! `seq` rising by one, fsync'd per event. Anyone may replay it from any point; the same
//! objects are what `events`, `--json` and the API speak.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::WallTime;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub time: String,
    pub unix: f64,
    pub microscope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<u64>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub data: Map<String, Value>,
}

/// An event before the log numbers it.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: String,
    pub task: Option<u64>,
    pub data: Map<String, Value>,
}

/// Every kind of queue event, typed: the one place each one's fields are named. Written to
/// the log as `{"type": "task_paused", …fields}`, in the same bytes `events`, `--json` and the
/// API's streams have always printed (the fields are stored sorted).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QueueEvent {
    TaskSubmitted {
        state: crate::queue::task::State,
        label: Option<String>,
        protocol: String,
        priority: i32,
        submitter: crate::queue::task::Submitter,
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
        at: &'static str,
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
    /// A task cancelled before it ran.
    TaskCancelled {
        exit_code: Option<u8>,
        fault: Option<crate::fault::Fault>,
    },
    TaskWaiting {
        on: &'static str,
        holder: String,
    },
    TaskStarted {
        run_dir: std::path::PathBuf,
        attempt: u32,
        resumed: bool,
        pid: u32,
    },
    /// An action task's process started (a run's says `task_started`, with its directory).
    ActionStarted {
        action: &'static str,
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
    /// A run ended: `task_completed`, `task_failed`, … as its state says.
    #[serde(skip)]
    Ended {
        state: crate::queue::task::State,
        exit_code: Option<u8>,
        run_dir: Option<std::path::PathBuf>,
        why: Option<String>,
        fault: Option<crate::fault::Fault>,
    },
    /// A task ended without a run (skipped, or its files could not be read).
    #[serde(skip)]
    EndedUnrun {
        state: crate::queue::task::State,
        why: String,
        fault: Option<crate::fault::Fault>,
    },
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
        fault: crate::fault::Fault,
    },
    EmergencyReset {
        by: String,
        since: String,
        cut_motors: bool,
    },
    /// The instrument's state changed (see `queue::status`).
    InstrumentState {
        state: String,
        previous: Option<String>,
        lights_on: Value,
        task: Option<u64>,
        reservation: Option<String>,
    },
    WorkerStarted {
        pid: u32,
        host: String,
        check_cmd: Option<String>,
    },
    WorkerStopped {
        pid: u32,
        signal: Option<&'static str>,
    },
}

impl QueueEvent {
    /// This event, about `task` (none for the queue's or the worker's own).
    pub fn about(self, task: Option<u64>) -> NewEvent {
        let (kind, data) = match self {
            QueueEvent::Ended {
                state,
                exit_code,
                run_dir,
                why,
                fault,
            } => {
                let mut v =
                    serde_json::json!({"exit_code": exit_code, "run_dir": run_dir, "why": why});
                if let Some(f) = fault {
                    v["fault"] = f.to_value();
                }
                (format!("task_{}", state.name()), v)
            }
            QueueEvent::EndedUnrun { state, why, fault } => (
                format!("task_{}", state.name()),
                serde_json::json!({"why": why, "exit_code": 1, "fault": fault}),
            ),
            typed => {
                let mut v = serde_json::to_value(&typed).unwrap_or(Value::Null);
                let kind = v
                    .as_object_mut()
                    .and_then(|m| m.remove("type"))
                    .and_then(|k| k.as_str().map(String::from))
                    .unwrap_or_default();
                (kind, v)
            }
        };
        new(kind, task, data)
    }
}

/// `data` must be a JSON object (anything else is dropped).
pub fn new(kind: impl Into<String>, task: Option<u64>, data: Value) -> NewEvent {
    NewEvent {
        kind: kind.into(),
        task,
        data: match data {
            Value::Object(m) => m,
            _ => Map::new(),
        },
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
        if let Some(Value::Object(f)) = e.data.get_mut("fault") {
            f.insert("sequence".into(), seq.into());
        }
        let ev = Event {
            seq,
            time: now.rfc3339(),
            unix: now.unix_s,
            microscope: microscope.to_string(),
            task: e.task,
            kind: e.kind,
            data: e.data,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_event_is_its_type_name_and_its_fields() {
        let e = QueueEvent::TaskMoved {
            priority: 2,
            order: 1.5,
        }
        .about(Some(7));
        assert_eq!((e.kind.as_str(), e.task), ("task_moved", Some(7)));
        assert_eq!(
            Value::Object(e.data).to_string(),
            r#"{"order":1.5,"priority":2}"#
        );
        let e = QueueEvent::TaskReleased {}.about(Some(1));
        assert_eq!((e.kind.as_str(), e.data.len()), ("task_released", 0));
        let e = QueueEvent::Ended {
            state: crate::queue::task::State::CompletedWithErrors,
            exit_code: Some(3),
            run_dir: None,
            why: None,
            fault: None,
        }
        .about(Some(1));
        assert_eq!(e.kind, "task_completed_with_errors");
        assert_eq!(
            Value::Object(e.data).to_string(),
            r#"{"exit_code":3,"run_dir":null,"why":null}"#
        );
        let e = QueueEvent::WorkerStopped {
            pid: 9,
            signal: None,
        }
        .about(None);
        assert_eq!((e.kind.as_str(), e.task), ("worker_stopped", None));
    }
    use serde_json::json;

    #[test]
    fn numbers_go_on_after_a_torn_line() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("events.ndjson");
        append(&p, "m", vec![new("a", Some(1), json!({"x": 1}))]).expect("append");
        append(&p, "m", vec![new("b", None, json!({}))]).expect("append");
        // A crash in the middle of a line.
        OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| f.write_all(b"{\"seq\":3,\"ti"))
            .expect("tear");
        let w = append(&p, "m", vec![new("c", None, json!({}))]).expect("append");
        assert_eq!(w[0].seq, 3);
        let (all, end) = read_from(&p, 0, 0).expect("read");
        assert_eq!(
            all.iter()
                .map(|e| (e.seq, e.kind.as_str()))
                .collect::<Vec<_>>(),
            [(1, "a"), (2, "b"), (3, "c")]
        );
        assert_eq!(all[0].data.get("x"), Some(&json!(1)));
        let (none, _) = read_from(&p, end, 0).expect("read");
        assert!(none.is_empty());
        let (since, _) = read_from(&p, 0, 2).expect("read");
        assert_eq!(since.len(), 1);
    }

    #[test]
    fn a_line_that_is_not_utf8_does_not_stop_the_log() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("events.ndjson");
        append(&p, "m", vec![new("a", Some(1), json!({}))]).expect("append");
        // A power cut tore a line: one invalid byte inside an event, then a garbage line.
        OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| {
                f.write_all(b"{\"seq\":2,\"time\":\"t\",\"unix\":0,\"microscope\":\"m\",\"type\":\"b\xff\"}\n\xfe\xfe\n")
            })
            .expect("tear");
        append(&p, "m", vec![new("c", None, json!({}))]).expect("append");
        let (all, _) = read_from(&p, 0, 0).expect("a bad byte is not an error");
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(all[1].kind, "b\u{fffd}");
    }
}
