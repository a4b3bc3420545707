//! The microscope lock for one run: taken before anything is touched, checked on every tick.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{Loaded, Refusal, Target};
use crate::exit::Exit;
use crate::run_dir::journal::{LockEvent, Record, records};
use crate::run_dir::{self, Records, lock::LockError, lock::MicroscopeLock};
use crate::runner::Cancel;
use crate::runner::safe_point::{Gate, Idle, SafePoint, Verdict};

/// How long to wait for a busy microscope: `None` not at all, `Some(None)` for ever.
pub type Wait = Option<Option<std::time::Duration>>;

/// Take the lock of the microscope `l` names, or say why not.
pub fn take(l: &Loaded, target: &Target, wait: Wait) -> Result<MicroscopeLock, Refusal> {
    // A new run's directory does not exist yet: its folder until it does (see `named`).
    let (what, where_) = match target {
        Target::Resume(r) => ("run", r.rd.root.clone()),
        Target::New(p) => ("output", p.clone()),
        Target::Discard => ("run", PathBuf::from("(a dry run)")),
    };
    let name = &l.microscope.desc.name;
    let owner = run_dir::lock::owner_text(what, &where_);
    let cancelled = crate::supervisor::signals::pending_cancel_signal;
    run_dir::lock::acquire(name, wait, &owner, &cancelled).map_err(|e| match e {
        LockError::Busy { holder, path } => Refusal::new(
            Exit::Busy,
            format!(
                "the microscope `{name}` is busy ({}; lock {}) — {}",
                holder.replace('\n', ", ").trim_end_matches(", "),
                path.display(),
                match wait {
                    Some(Some(d)) => format!(
                        "still, after waiting {}: try again later, or wait longer with --wait-lock",
                        crate::human::duration(d.as_secs_f64())
                    ),
                    _ => "wait for it with --wait-lock [DURATION]".into(),
                }
            ),
        ),
        LockError::Interrupted(sig) => Refusal::new(
            if sig == libc::SIGINT {
                Exit::Interrupted
            } else {
                Exit::Terminated
            },
            "cancelled while waiting for the microscope",
        ),
        LockError::Io(e, path) => Refusal::new(
            Exit::Failed,
            format!("cannot take the microscope lock {}: {e}", path.display()),
        ),
    })
}

/// Keep the microscope lock meaningful: a lock file deleted under us (a tmp cleaner) is made
/// again at once; if another run got there first, this one stops, since two runs must
/// never drive one microscope.
pub fn check(lock: &mut MicroscopeLock, cancel: &Cancel, records: &Records) {
    use run_dir::lock::LockCheck;
    match lock.check() {
        LockCheck::Held => {}
        LockCheck::Retaken => records.emit(Record::Lock(records::Lock {
            event: LockEvent::Retaken,
            path: lock.path.display().to_string(),
            holder: None,
        })),
        LockCheck::Lost(who) => {
            let lost = records::Lock {
                event: LockEvent::Lost,
                path: lock.path.display().to_string(),
                holder: Some(who.to_string()),
            };
            let why = lost.describe();
            records.emit(Record::Lock(lost));
            cancel.stop_because(Exit::Busy, why);
        }
    }
}

/// [`check`] on a lock shared by the run's tick and its safe points.
pub fn check_shared(lock: &Mutex<MicroscopeLock>, cancel: &Cancel, records: &Records) {
    let mut l = lock.lock().unwrap_or_else(|p| p.into_inner());
    check(&mut l, cancel, records);
}

/// A gate that checks the microscope lock at every safe point, before the gate it wraps
/// (the queue's) is asked: the first FOV, not only the first tick, is protected.
pub struct LockGate {
    pub lock: Arc<Mutex<MicroscopeLock>>,
    pub cancel: Arc<Cancel>,
    pub records: Arc<Records>,
    pub inner: Option<Arc<dyn Gate>>,
}

impl Gate for LockGate {
    fn at(&self, point: &SafePoint, idle: &mut Idle<'_>) -> Verdict {
        check_shared(&self.lock, &self.cancel, &self.records);
        if let Some((_, why)) = self.cancel.internal_stop() {
            return Verdict::Stop(why);
        }
        match &self.inner {
            Some(g) => g.at(point, idle),
            None => Verdict::Go,
        }
    }

    fn stop_wanted(&self) -> Option<String> {
        self.inner.as_ref().and_then(|g| g.stop_wanted())
    }
}
