//! Cancellation by signal. SIGINT, SIGTERM and SIGHUP are taken by one thread with
//! `sigwait` (so we know which signal came, and nothing runs in a signal handler); the first
//! asks for a graceful stop, the second for a fast one. SIGUSR1 writes a thread dump. A
//! SIGINT or SIGHUP ignored by whoever started us (`nohup`, a background job) stays ignored.
//!
//! (The `ctrlc` crate cannot tell SIGINT from SIGTERM, ignores SIGHUP and SIGUSR1, so it
//! could not give 130 vs 143 or the on-demand dump.)

use std::sync::atomic::{AtomicI32, AtomicU8, AtomicU64, Ordering};

/// How far a cancel has gone: 0 none, 1 graceful, 2 forced.
#[derive(Default)]
pub struct Cancel {
    level: AtomicU8,
    first_signal: AtomicI32,
    /// Why an internal stop was asked for, and how the process should exit.
    internal: std::sync::Mutex<Option<(crate::exit::Exit, String)>>,
}

impl Cancel {
    pub fn level(&self) -> u8 {
        self.level.load(Ordering::SeqCst)
    }

    pub fn requested(&self) -> bool {
        self.level() > 0
    }

    /// Record a request (by signal number, or 0 for an internal stop); returns the new level.
    pub fn request(&self, signal: i32) -> u8 {
        let _ = self
            .first_signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        let prev = self.level.fetch_add(1, Ordering::SeqCst);
        if prev >= 2 {
            self.level.store(2, Ordering::SeqCst);
        }
        (prev + 1).min(2)
    }

    /// A graceful stop asked for by the run itself (not a signal), with its outcome.
    pub fn stop_because(&self, exit: crate::exit::Exit, why: String) {
        if let Ok(mut g) = self.internal.lock()
            && g.is_none()
        {
            *g = Some((exit, why));
        }
        if self.level() == 0 {
            self.request(0);
        }
    }

    /// The outcome of an internal stop, if one was asked for before any signal.
    pub fn internal_stop(&self) -> Option<(crate::exit::Exit, String)> {
        if self.signal() != 0 {
            return None;
        }
        self.internal.lock().ok().and_then(|g| g.clone())
    }

    /// The signal that started the cancel (0 when none, or an internal stop).
    pub fn signal(&self) -> i32 {
        self.first_signal.load(Ordering::SeqCst)
    }
}

/// The signals the run handles itself.
pub const RUN_SIGNALS: [libc::c_int; 4] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGUSR1];

/// The signals that cancel a run.
const CANCEL_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Signals that were ignored when the process started, as a bit mask: `nohup` ignores SIGHUP
/// and a shell ignores SIGINT for its background jobs, and such a signal must not cancel a
/// night's run. They stay ignored (as Python and the shells do). SIGTERM is always obeyed.
static IGNORED_AT_START: AtomicU64 = AtomicU64::new(0);

fn ignored_at_start(sig: libc::c_int) -> bool {
    IGNORED_AT_START.load(Ordering::SeqCst) & (1 << sig) != 0
}

fn signal_set(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: plain sigset manipulation on a zeroed local.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            if !ignored_at_start(s) {
                libc::sigaddset(&mut set, s);
            }
        }
        set
    }
}

/// Block the run's signals in the calling thread and every thread it spawns afterwards; call
/// this first thing, before any other thread exists. Also ignore SIGXFSZ so a file-size limit
/// shows up as an I/O error we can report rather than killing the process, and SIGPIPE.
pub fn block_signals() {
    for s in [libc::SIGINT, libc::SIGHUP] {
        // SAFETY: reads the disposition only (no new action).
        let ignored = unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(s, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
        };
        if ignored {
            IGNORED_AT_START.fetch_or(1 << s, Ordering::SeqCst);
        }
    }
    let set = signal_set(&RUN_SIGNALS);
    // SAFETY: changes only this thread's mask and two dispositions.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Wait for one of the run's signals (blocked everywhere, so only this sees them).
pub fn wait_signal() -> i32 {
    let set = signal_set(&RUN_SIGNALS);
    let mut sig: libc::c_int = 0;
    // SAFETY: sigwait with a valid set and out pointer.
    let r = unsafe { libc::sigwait(&set, &mut sig) };
    if r == 0 { sig } else { 0 }
}

/// A cancelling signal already pending (they are blocked during a run), without waiting.
pub fn pending_cancel_signal() -> Option<i32> {
    let set = signal_set(&CANCEL_SIGNALS);
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: sigtimedwait with a zero timeout on a valid set.
    let s = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &ts) };
    (s > 0).then_some(s)
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGUSR1 => "SIGUSR1",
        _ => "signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_first_signal() {
        let c = Cancel::default();
        assert!(!c.requested());
        assert_eq!(c.request(libc::SIGTERM), 1);
        assert_eq!(c.request(libc::SIGINT), 2);
        assert_eq!(c.request(libc::SIGINT), 2);
        assert_eq!(c.signal(), libc::SIGTERM);
    }
}
