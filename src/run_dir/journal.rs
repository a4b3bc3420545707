//! `journal.jsonl`: one JSON object per line, appended and handed to the OS as it happens, so
//! that a SIGKILL loses at most what was in flight. Lines about saved files are also made
//! durable (fsync) every few seconds for power cuts.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

pub struct Journal {
    file: Mutex<(File, Instant)>,
    start: Instant,
}

/// How often file records are fsynced at the latest.
const SYNC_EVERY: Duration = Duration::from_secs(2);

impl Journal {
    pub fn open(path: &Path) -> io::Result<Journal> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        // Held for the life of the process: how `resume` and `report` tell a live run.
        if !super::liveness::try_flock(&file, libc::LOCK_EX)? {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "another squidctl process is writing this run (its journal is locked)",
            ));
        }
        Ok(Journal {
            file: Mutex::new((file, Instant::now())),
            start: Instant::now(),
        })
    }

    /// Append `{"kind": kind, "wall": …, "unix": …, "run_s": …, ...fields}`. Errors are returned but a
    /// journal that cannot be written never stops acquisition by itself.
    pub fn record(&self, kind: &str, fields: Value) -> io::Result<()> {
        let mut obj = Map::new();
        obj.insert("kind".into(), Value::String(kind.into()));
        let now = crate::clock::WallTime::now();
        obj.insert("wall".into(), Value::String(now.rfc3339()));
        obj.insert(
            "unix".into(),
            serde_json::Number::from_f64((now.unix_s * 1000.0).round() / 1000.0)
                .map_or(Value::Null, Value::Number),
        );
        obj.insert(
            "run_s".into(),
            serde_json::Number::from_f64(
                (self.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            )
            .map_or(Value::Null, Value::Number),
        );
        if let Value::Object(m) = fields {
            for (k, v) in m {
                obj.insert(k, v);
            }
        }
        let mut line = Value::Object(obj).to_string();
        line.push('\n');
        let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        g.0.write_all(line.as_bytes())?;
        if kind == "file" && g.1.elapsed() >= SYNC_EVERY {
            g.0.sync_data()?;
            g.1 = Instant::now();
        }
        Ok(())
    }

    pub fn sync(&self) -> io::Result<()> {
        let g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        g.0.sync_data()
    }
}

/// Read a journal, skipping a torn last line (the process died mid-write).
pub fn read(path: &Path) -> io::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// When a record was written (seconds since 1970). Journals written before records carried
/// `unix` have none: their time is unknown rather than 1970.
pub fn unix_of(e: &Value) -> Option<f64> {
    e["unix"].as_f64().filter(|u| *u > 0.0)
}
