//! `run.json`: the run's state and counts, rewritten atomically at the start, every few
//! seconds while running (the heartbeat), and at the end.

use serde::{Deserialize, Serialize};

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

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
