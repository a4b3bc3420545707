//! The emergency stop and its reset, as `squidctl stop --now` and the API do them: latch
//! the stop first (nothing new may start), then signal whoever holds the microscope, whose
//! signal thread turns every light off before anything else and stops at the frame in
//! flight. The task it ran ends `cancelled`; its run directory stays resumable.

use crate::fault::{Code, Fault};
use serde::Serialize;

use super::events::QueueEvent;
use super::spool::{Spool, SpoolError};
use super::task::{CancelRequest, State};
use crate::clock::WallTime;
use crate::instrument::estop::{self, EStop};
use crate::run_dir::lock;

#[derive(Clone, Debug, Serialize)]
pub struct Stopped {
    pub latched: EStop,
    /// The process signalled (none: the microscope was idle, or held on another host).
    pub signalled: Option<u32>,
    /// What that process held the microscope for.
    pub holder: Option<String>,
    /// The queue task it ran, if it was one.
    pub task: Option<u64>,
    /// Request → signal sent, in ms (the lights go off in the holder right after).
    pub took_ms: f64,
}

/// Stop now: latch, signal the holder, record it.
pub fn stop(
    spool: &Spool,
    by: &str,
    reason: Option<String>,
    cut_motors: bool,
) -> Result<Stopped, SpoolError> {
    let t0 = std::time::Instant::now();
    let dir = crate::instrument::dir(&spool.microscope).map_err(SpoolError::Io)?;
    let holder = lock::holding(&spool.microscope);
    let here = crate::fsutil::hostname();
    let now = WallTime::now();
    let e = EStop {
        at: now.rfc3339(),
        unix: now.unix_s,
        by: by.to_string(),
        reason: reason.clone(),
        stopped_pid: holder.as_ref().map(|h| h.pid),
        stopped: holder.as_ref().map(|h| h.what.clone()),
        cut_motors,
    };
    // Latched before the signal, so the holder can read whether to cut the motors too.
    estop::latch(&dir, &e).map_err(|err| {
        SpoolError::Io(format!("cannot latch the stop in {}: {err}", dir.display()))
    })?;
    let mut signalled = None;
    if let Some(h) = holder
        .as_ref()
        .filter(|h| h.host == here || h.host.is_empty())
    {
        let sig = if cut_motors {
            crate::supervisor::signals::estop_cut_signal()
        } else {
            crate::supervisor::signals::estop_signal()
        };
        // SAFETY: a signal to the pid the lock names; it blocks and handles this signal.
        if unsafe { libc::kill(h.pid as i32, sig) } == 0 {
            signalled = Some(h.pid);
        }
    }
    let took_ms = t0.elapsed().as_secs_f64() * 1000.0;
    if cut_motors {
        // Whatever the stage says next, its homing is gone.
        let mut st = crate::instrument::InstrumentState::read(&dir, &spool.microscope);
        st.homed = Some(false);
        if let Err(err) = st.write(&dir) {
            tracing::warn!("cannot record the lost homing in {}: {err}", dir.display());
        }
    }
    let what = holder.as_ref().map(|h| h.what.clone());
    // The task it ran ends cancelled (not retried, not continued by itself).
    let task = spool
        .tasks()
        .into_iter()
        .find(|t| {
            t.status.state.active() && t.status.child_pid.is_some_and(|p| Some(p) == signalled)
        })
        .map(|t| t.spec.id);
    if let Some(id) = task {
        let _ = spool.update(id, |_, st| {
            if st.state.active() {
                st.cancel = Some(CancelRequest {
                    now: true,
                    requested_unix: now.unix_s,
                });
                st.go(State::Cancelling, Some("emergency stop".into()));
            }
            Ok(((), vec![]))
        });
    }
    spool.emit(vec![
        QueueEvent::EmergencyStop {
            fault: Fault::new(
                Code::EmergencyStopped,
                crate::instrument::estop::refusal(&e),
            )
            .component("emergency_stop")
            .with("by", by)
            .with("cut_motors", cut_motors),
            by: by.to_string(),
            reason,
            signalled,
            holder: what.clone(),
            cut_motors,
        }
        .about(task),
    ])?;
    Ok(Stopped {
        latched: e,
        signalled,
        holder: what,
        task,
        took_ms,
    })
}

/// Clear the stop: the queue and actions may start again.
pub fn reset(spool: &Spool, by: &str) -> Result<Option<EStop>, SpoolError> {
    let dir = crate::instrument::dir(&spool.microscope).map_err(SpoolError::Io)?;
    let was = estop::reset(&dir)
        .map_err(|e| SpoolError::Io(format!("cannot clear the stop in {}: {e}", dir.display())))?;
    if let Some(w) = &was {
        spool.emit(vec![
            QueueEvent::EmergencyReset {
                by: by.to_string(),
                since: w.at.clone(),
                cut_motors: w.cut_motors,
            }
            .about(None),
        ])?;
    }
    Ok(was)
}
