//! `run.json`: the run's state and counts, rewritten atomically at the start, every few
//! seconds while running (the heartbeat), and at the end.

use serde::{Deserialize, Serialize};

use super::journal::{Entry, Record};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Pending,
    Running,
    Completed,
    CompletedWithErrors,
    Cancelled,
    Failed,
    TimedOut,
}

impl RunState {
    pub fn finished(self) -> bool {
        !matches!(self, RunState::Pending | RunState::Running)
    }

    pub fn name(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Completed => "completed",
            RunState::CompletedWithErrors => "completed_with_errors",
            RunState::Cancelled => "cancelled",
            RunState::Failed => "failed",
            RunState::TimedOut => "timed_out",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Counts {
    /// Frames the plan asks for.
    pub planned: u64,
    /// Frames the camera delivered.
    pub acquired: u64,
    /// Planes written to finished files.
    pub saved: u64,
    /// Steps that failed after their retries.
    pub failed: u64,
    /// Frames not taken because their FOV or time point was skipped.
    pub skipped: u64,
    pub skipped_fovs: u64,
    pub retries: u64,
    /// Frames acquired but not written (saving failed or a forced stop ran out of time).
    pub lost: u64,
    pub autofocus_runs: u64,
    /// Frames that found the savers' queue full and waited (back-pressure), and the time they
    /// waited in all: the disk was slower than the camera. Not a failure.
    #[serde(default)]
    pub backpressure_waits: u64,
    #[serde(default)]
    pub backpressure_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub squidctl_version: String,
    pub state: RunState,
    pub pid: u32,
    pub host: String,
    pub name: String,
    pub protocol_file: String,
    pub microscope: String,
    pub run_dir: String,
    pub started: String,
    pub started_unix: f64,
    pub heartbeat: String,
    pub heartbeat_unix: f64,
    #[serde(default)]
    pub ended: Option<String>,
    pub counts: Counts,
    #[serde(default)]
    pub end_reason: Option<String>,
    #[serde(default)]
    pub exit_code: Option<u8>,
    /// Earlier processes that worked on this run (resume).
    #[serde(default)]
    pub sessions: Vec<Session>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub pid: u32,
    pub started: String,
    #[serde(default)]
    pub ended: Option<String>,
    #[serde(default)]
    pub state: Option<RunState>,
}

impl RunRecord {
    /// A record rebuilt from the journal's start record, for a run killed before run.json
    /// was first written, or whose run.json was damaged or could not be replaced.
    pub fn from_journal(journal: &[Entry], root: &std::path::Path) -> Option<RunRecord> {
        let (entry, start) = journal.iter().find_map(|e| match &e.record {
            Record::Start(s) => Some((e, s)),
            _ => None,
        })?;
        let unix = entry.unix().unwrap_or(0.0);
        let last_unix = journal.iter().filter_map(Entry::unix).fold(unix, f64::max);
        let pid = start.pid;
        // The last session's end record, if it wrote one.
        let end = crate::run_dir::journal::records::last_end(journal);
        let state = end.map_or(RunState::Running, |e| e.state);
        let mut counts = end.and_then(|e| e.counts.clone()).unwrap_or_default();
        counts.planned = start.planned_frames;
        let started = entry.wall.clone();
        Some(RunRecord {
            squidctl_version: env!("CARGO_PKG_VERSION").into(),
            state,
            pid,
            host: crate::fsutil::hostname(),
            name: start.name.clone(),
            protocol_file: start.protocol.clone(),
            microscope: start.microscope.clone(),
            run_dir: root.display().to_string(),
            started: started.clone(),
            started_unix: unix,
            heartbeat: crate::clock::WallTime::from_unix(last_unix).rfc3339(),
            heartbeat_unix: last_unix,
            ended: None,
            counts,
            end_reason: end.map(|e| e.reason.clone()),
            exit_code: None,
            sessions: vec![Session {
                pid,
                started,
                ended: None,
                state: None,
            }],
        })
    }

    /// run.json as its process last wrote it; `None` when missing or unreadable (a quick look
    /// for a listing, not the journal-backed truth of [`RunRecord::read_or_rebuild`]).
    pub fn read(root: &std::path::Path) -> Option<RunRecord> {
        serde_json::from_slice(&std::fs::read(root.join(super::RUN_JSON)).ok()?).ok()
    }

    /// run.json, or when it is missing, empty or damaged, the record rebuilt from the
    /// journal (which holds everything that matters); `Err` only when neither is usable.
    pub fn read_or_rebuild(root: &std::path::Path, journal: &[Entry]) -> Result<RunRecord, String> {
        let path = root.join(super::RUN_JSON);
        let why = match std::fs::read_to_string(&path) {
            Ok(t) => match serde_json::from_str::<RunRecord>(&t) {
                // A run whose directory became unwritable could not replace run.json at the
                // end, but its journal (appended, not replaced) says how it ended.
                Ok(mut r) if r.state == RunState::Running => {
                    if let Some(j) = RunRecord::from_journal(journal, root)
                        && j.state != RunState::Running
                    {
                        r.state = j.state;
                        r.end_reason = j.end_reason;
                        r.counts = j.counts;
                        r.ended = Some(j.heartbeat.clone());
                        r.heartbeat = j.heartbeat;
                        r.heartbeat_unix = j.heartbeat_unix;
                    }
                    return Ok(r);
                }
                Ok(r) => return Ok(r),
                Err(_) if t.trim().is_empty() => "is empty".to_string(),
                Err(e) => format!("is damaged ({e})"),
            },
            Err(e) => format!("cannot be read ({e})"),
        };
        match RunRecord::from_journal(journal, root) {
            Some(r) => {
                if path.exists() {
                    tracing::warn!("{} {why}; using the journal instead", path.display());
                }
                Ok(r)
            }
            None => Err(format!(
                "{} {why}, and the journal has no start record",
                path.display()
            )),
        }
    }
}
