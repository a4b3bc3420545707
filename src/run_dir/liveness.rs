//! The one answer to "is this still running?". A run holds an exclusive `flock` on its
//! journal for as long as its process lives, so the kernel answers for a run on this host,
//! whatever became of its pid (reused after a reboot or a container restart). A bare pid is
//! only consulted for the microscope lock's "last held by" text.

use std::fs::File;
use std::io;
use std::path::Path;

/// Whether `pid` is a live process on `host`. Another host cannot be asked, so it counts as
/// alive; EPERM means the process exists but belongs to another user.
pub fn process_alive(pid: u32, host: &str) -> bool {
    if host != crate::fsutil::hostname() {
        return true;
    }
    if pid == std::process::id() {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid as i32, 0) } == 0;
    exists || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether a run is being written right now.
#[derive(Debug, PartialEq)]
pub enum Liveness {
    /// A process on this host holds the run's journal.
    Running,
    /// Recorded on another host, which cannot be asked.
    ElsewhereMaybe(String),
    /// Nobody holds it: whatever run.json says, no process is writing this run.
    Stopped,
}

/// Ask the kernel whether a process holds the journal in `root`.
pub fn run_liveness(root: &Path, recorded_host: &str) -> Liveness {
    if !recorded_host.is_empty() && recorded_host != crate::fsutil::hostname() {
        return Liveness::ElsewhereMaybe(recorded_host.to_string());
    }
    let Ok(f) = File::open(root.join(super::JOURNAL)) else {
        return Liveness::Stopped;
    };
    match crate::fsutil::try_flock(&f, libc::LOCK_SH) {
        Ok(false) => Liveness::Running,
        // Taken (released when `f` closes), or flock unsupported here: nobody holds it.
        Ok(true) | Err(_) => Liveness::Stopped,
    }
}
