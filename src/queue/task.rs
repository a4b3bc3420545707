//! One queued run: what was asked at submit time (never changed afterwards) and where it
//! stands now, with every transition it went through.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::clock::WallTime;

/// Where a task stands. Stored states only: "waiting" is worked out when the queue is read.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Held,
    Queued,
    Running,
    /// A pause was asked for; the run goes on to its next safe point.
    Pausing,
    Paused,
    /// A hold condition failed at a safe point; the run waits for it to recover.
    Suspended,
    /// A cancel was asked for; the run goes on to its next safe point.
    Cancelling,
    /// Its worker died (kill -9, a reboot): continued through `resume` by the next worker.
    Interrupted,
    Completed,
    CompletedWithErrors,
    Failed,
    Cancelled,
    /// Not started before its `--expires` time.
    Expired,
    /// An `--after-ok` dependency did not complete.
    Skipped,
}

impl State {
    pub const ALL: [State; 14] = [
        State::Held,
        State::Queued,
        State::Running,
        State::Pausing,
        State::Paused,
        State::Suspended,
        State::Cancelling,
        State::Interrupted,
        State::Completed,
        State::CompletedWithErrors,
        State::Failed,
        State::Cancelled,
        State::Expired,
        State::Skipped,
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Held => "held",
            State::Queued => "queued",
            State::Running => "running",
            State::Pausing => "pausing",
            State::Paused => "paused",
            State::Suspended => "suspended",
            State::Cancelling => "cancelling",
            State::Interrupted => "interrupted",
            State::Completed => "completed",
            State::CompletedWithErrors => "completed_with_errors",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
            State::Skipped => "skipped",
        }
    }

    /// Finished for good: nothing will run it again unless someone submits it `--again`.
    pub fn terminal(self) -> bool {
        matches!(
            self,
            State::Completed
                | State::CompletedWithErrors
                | State::Failed
                | State::Cancelled
                | State::Expired
                | State::Skipped
        )
    }

    /// A run process is (or was, if its worker died) driving the microscope for it.
    pub fn active(self) -> bool {
        matches!(
            self,
            State::Running | State::Pausing | State::Paused | State::Suspended | State::Cancelling
        )
    }
}

/// How wide a boundary a pause waits for.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PauseAt {
    Fov,
    Well,
    Timepoint,
}

impl PauseAt {
    /// As the command line and the journal write it.
    pub fn name(self) -> &'static str {
        match self {
            PauseAt::Fov => "fov",
            PauseAt::Well => "well",
            PauseAt::Timepoint => "timepoint",
        }
    }
}

/// Who submitted a task, from where.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Submitter {
    pub uid: u32,
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub via: String,
}

impl Submitter {
    pub fn this_process(via: &str) -> Self {
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        Submitter {
            uid,
            user: std::env::var("USER").unwrap_or_else(|_| uid.to_string()),
            host: crate::fsutil::hostname(),
            pid: std::process::id(),
            via: via.into(),
        }
    }
}

/// The figures `queue` predicts with, taken from the plan at submit time.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PlanSummary {
    pub name: String,
    pub frames: u64,
    pub fovs: u64,
    pub bytes: u64,
    pub estimate_s: f64,
}

/// `task.json`: written once at submit time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Spec {
    pub id: u64,
    pub microscope: String,
    /// The protocol file as given (the snapshot in the task directory is what runs).
    pub protocol_file: String,
    pub sets: Vec<String>,
    /// Relative output directories resolve here, as they would have for `acquire`.
    pub cwd: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_unix: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_unix: Option<f64>,
    #[serde(default)]
    pub after: Vec<u64>,
    #[serde(default)]
    pub after_ok: Vec<u64>,
    #[serde(default)]
    pub retries: u32,
    pub created: String,
    pub created_unix: f64,
    pub submitter: Submitter,
    pub plan: PlanSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub again_of: Option<u64>,
    /// An action on the instrument instead of a protocol run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<crate::actions::Action>,
    /// The reservation this task belongs to: while the microscope is reserved, only its
    /// holder's tasks start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// The stored method it was submitted from (deleting that method is refused meanwhile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// The worker that claimed a task: enough to tell, later, that it is gone.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claim {
    pub pid: u32,
    pub host: String,
    pub boot_id: String,
    pub since_unix: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PauseRequest {
    pub at: PauseAt,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub requested_unix: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CancelRequest {
    /// Stop after the frame in flight (SIGINT) rather than at the next safe point.
    pub now: bool,
    pub requested_unix: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Transition {
    pub state: State,
    pub time: String,
    pub unix: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// `state.json`: replaced atomically on every change, under the spool lock.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Status {
    pub state: State,
    #[serde(default)]
    pub priority: i32,
    /// Position among equal priorities (`move` rewrites it).
    pub order: f64,
    /// Why it is in this state, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
    /// Run processes started for it so far.
    #[serde(default)]
    pub attempts: u32,
    /// Of those, the ones that were interrupted (killed, the worker stopped or died): they
    /// are continued, and use up none of `--retries`.
    #[serde(default)]
    pub interruptions: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<PauseRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel: Option<CancelRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_unix: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_unix: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_unix: Option<f64>,
    /// What an action task gave back (its `--json` line: result, position, error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Why it did not complete (an ended task's, for a scheduler): its run's or action's
    /// own fault, else what its exit means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<crate::fault::Fault>,
    pub history: Vec<Transition>,
}

impl Status {
    pub fn new(state: State, priority: i32, order: f64, why: Option<String>) -> Self {
        let mut s = Status {
            state,
            priority,
            order,
            note: None,
            run_dir: None,
            interruptions: 0,
            exit_code: None,
            attempts: 0,
            claim: None,
            child_pid: None,
            pause: None,
            cancel: None,
            retry_after_unix: None,
            started_unix: None,
            ended_unix: None,
            result: None,
            fault: None,
            history: Vec::new(),
        };
        s.go(state, why);
        s
    }

    /// Move to `state`, remembering when and why.
    pub fn go(&mut self, state: State, why: Option<String>) {
        let now = WallTime::now();
        self.state = state;
        self.note = why.clone();
        if state.terminal() {
            self.ended_unix = Some(now.unix_s);
            self.pause = None;
            self.child_pid = None;
        }
        self.history.push(Transition {
            state,
            time: now.rfc3339(),
            unix: now.unix_s,
            why,
        });
    }
}

/// A task as read from its directory.
#[derive(Clone, Debug, Serialize)]
pub struct Task {
    pub spec: Spec,
    pub status: Status,
}

/// This boot's id: a task claimed under another boot was cut off by a restart, whatever its
/// pid says now. `SQUIDCTL_BOOT_ID` stands in for the kernel's (tests simulate a reboot).
pub fn boot_id() -> String {
    if let Ok(b) = std::env::var("SQUIDCTL_BOOT_ID") {
        return b;
    }
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A task spec with nothing set, for unit tests of the queue's rules.
#[cfg(test)]
pub fn test_spec(id: u64) -> Spec {
    Spec {
        id,
        microscope: "m".into(),
        protocol_file: "p.yaml".into(),
        sets: vec![],
        cwd: ".".into(),
        label: None,
        at_unix: None,
        expires_unix: None,
        after: vec![],
        after_ok: vec![],
        retries: 0,
        created: String::new(),
        created_unix: 0.0,
        submitter: Submitter::this_process("test"),
        plan: PlanSummary::default(),
        again_of: None,
        action: None,
        holder: None,
        method: None,
    }
}
