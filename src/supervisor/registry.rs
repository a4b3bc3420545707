//! Our threads, by name and OS thread id, each with a breadcrumb saying what it is doing.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a thread is doing right now.
#[derive(Clone, Debug)]
pub struct Crumb {
    /// The step kind: `move_xy`, `capture`, `save`, `wait`, …
    pub step: String,
    /// The event coordinates and anything else that helps: `t=0 well=A1 fov=2 z=1 channel=GFP`.
    pub detail: String,
    pub started: Instant,
    /// Missing this is a hang; `None` for work without a deadline.
    pub deadline: Option<Duration>,
}

pub struct ThreadEntry {
    pub name: String,
    pub tid: i32,
    crumb: Mutex<Option<Crumb>>,
}

impl ThreadEntry {
    pub fn crumb(&self) -> Option<Crumb> {
        self.crumb.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, c: Option<Crumb>) {
        *self.crumb.lock().unwrap_or_else(|p| p.into_inner()) = c;
    }
}

static REGISTRY: Mutex<Vec<Arc<ThreadEntry>>> = Mutex::new(Vec::new());

thread_local! {
    static ME: RefCell<Option<Arc<ThreadEntry>>> = const { RefCell::new(None) };
}

fn registry() -> MutexGuard<'static, Vec<Arc<ThreadEntry>>> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// The OS thread id (what `/proc/self/task` lists and `tgkill` takes).
pub fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

/// Register the calling thread; it is removed when the guard drops.
pub fn register(name: &str) -> Registration {
    let entry = Arc::new(ThreadEntry {
        name: name.to_string(),
        tid: gettid(),
        crumb: Mutex::new(None),
    });
    registry().push(entry.clone());
    ME.with(|m| *m.borrow_mut() = Some(entry));
    Registration
}

pub struct Registration;

impl Drop for Registration {
    fn drop(&mut self) {
        let tid = gettid();
        registry().retain(|e| e.tid != tid);
        ME.with(|m| *m.borrow_mut() = None);
    }
}

/// Spawn a named, registered thread.
pub fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<T>> {
    let n = name.to_string();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let _r = register(&n);
            f()
        })
}

/// Set the calling thread's breadcrumb.
pub fn set_crumb(step: &str, detail: String, deadline: Option<Duration>) {
    ME.with(|m| {
        if let Some(e) = m.borrow().as_ref() {
            e.set(Some(Crumb {
                step: step.to_string(),
                detail,
                started: Instant::now(),
                deadline,
            }));
        }
    });
}

pub fn clear_crumb() {
    ME.with(|m| {
        if let Some(e) = m.borrow().as_ref() {
            e.set(None);
        }
    });
}

/// The whole process was not running for `gap` (SIGSTOP, Ctrl-Z, a debugger, a paused VM):
/// that time is no step's fault, so every step's start moves forward by it.
pub fn credit_pause(gap: Duration) {
    for e in entries() {
        let mut c = e.crumb.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = c.as_mut() {
            c.started = c
                .started
                .checked_add(gap)
                .unwrap_or(c.started)
                .min(Instant::now());
        }
    }
}

/// Move the start of the current step to now (work is progressing, e.g. savers draining).
pub fn touch_crumb() {
    ME.with(|m| {
        if let Some(e) = m.borrow().as_ref() {
            let mut c = e.crumb.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = c.as_mut() {
                c.started = Instant::now();
            }
        }
    });
}

pub fn entries() -> Vec<Arc<ThreadEntry>> {
    registry().clone()
}

pub fn by_tid(tid: i32) -> Option<Arc<ThreadEntry>> {
    registry().iter().find(|e| e.tid == tid).cloned()
}
