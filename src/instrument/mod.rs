//! The microscope as an instrument between runs: where its stage is, which lights are on,
//! whether it is homed, and what was last done to it. Actions (`move`, `snap`, …) write
//! this; `status`, the API and the page read it without touching a device, so polling costs
//! a file read, never a round trip to the board.
//!
//! It lives beside the microscope's queue (`<spool root>/<microscope>/`): one place per
//! microscope that survives a reboot.

pub mod estop;
pub mod log;
pub mod state;

use std::path::PathBuf;

pub use log::{ActionEntry, ActionLog};
pub use state::{InstrumentState, Lights, Position};

/// Where per-microscope state lives: `$SQUIDCTL_SPOOL`, else `$XDG_STATE_HOME/squidctl/spool`,
/// else `~/.local/state/squidctl/spool` — never /tmp, which a reboot may empty.
pub fn state_root() -> Result<PathBuf, String> {
    // Absolute: run processes work in their submitter's directory, not the worker's.
    if let Some(d) = std::env::var_os("SQUIDCTL_SPOOL").filter(|d| !d.is_empty()) {
        return std::path::absolute(PathBuf::from(&d))
            .map_err(|e| format!("SQUIDCTL_SPOOL={}: {e}", PathBuf::from(d).display()));
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("squidctl/spool"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/state/squidctl/spool")),
        None => Err(
            "no place for the queue: set SQUIDCTL_SPOOL (e.g. /var/spool/squidctl) or HOME".into(),
        ),
    }
}

/// The directory of one microscope's queue and instrument state, made if missing.
pub fn dir(microscope: &str) -> Result<PathBuf, String> {
    let d = state_root()?.join(crate::plan::names::safe_name(microscope));
    std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    Ok(d)
}
