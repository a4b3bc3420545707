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
    for (seq, e) in (first..).zip(events) {
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
