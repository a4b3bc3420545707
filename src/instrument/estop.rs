//! The emergency stop's latch, `estop.json` in the instrument's directory: from the stop
//! until someone resets it, the instrument is in `error`, the queue starts nothing and no
//! action runs — the person who pressed it decides when the microscope may move again.

use std::path::Path;

use serde::{Deserialize, Serialize};

const FILE: &str = "estop.json";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EStop {
    pub at: String,
    pub unix: f64,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The process that held the microscope and was stopped (none: it was idle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_pid: Option<u32>,
    /// What it held it for ("run …", "action move").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The motor drivers were cut: every axis must be homed again.
    pub cut_motors: bool,
}

/// The latched stop, if any.
pub fn latched(dir: &Path) -> Option<EStop> {
    let b = std::fs::read(dir.join(FILE)).ok()?;
    // An unreadable latch is still a latch: safer to stay stopped than to forget it.
    Some(serde_json::from_slice(&b).unwrap_or_else(|_| EStop {
        at: String::new(),
        unix: 0.0,
        by: "unknown (estop.json unreadable)".into(),
        reason: None,
        stopped_pid: None,
        stopped: None,
        cut_motors: false,
    }))
}

pub fn latch(dir: &Path, e: &EStop) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let text = serde_json::to_vec_pretty(e).map_err(std::io::Error::other)?;
    crate::fsutil::write_durable(&dir.join(FILE), &text)
}

/// Clear the latch; the stop it was, if there was one.
pub fn reset(dir: &Path) -> std::io::Result<Option<EStop>> {
    let was = latched(dir);
    match std::fs::remove_file(dir.join(FILE)) {
        Ok(()) => Ok(was),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Why nothing may start, in words with what to do.
pub fn refusal(e: &EStop) -> String {
    format!(
        "the microscope is emergency-stopped (since {} by {}{}): nothing starts until `squidctl reset` (or POST /v1/system/reset){}",
        if e.at.is_empty() { "?" } else { &e.at },
        e.by,
        e.reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default(),
        if e.cut_motors {
            "; the motors were cut, so the stage must be homed again"
        } else {
            ""
        }
    )
}
