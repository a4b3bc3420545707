//! The changes a person or a program makes to a queue: cancel, hold, release, move, pause,
//! unpause, and holding the whole queue. The CLI verbs and the HTTP API both call these, so
//! a change means the same, and is refused with the same words, whichever way it came.

use crate::queue::events::QueueEvent;

use super::events::NewEvent;
use super::spool::{QueueStatus, Spool, SpoolError};
use super::task::{CancelRequest, PauseAt, PauseRequest, State, Status};
use crate::clock::WallTime;

/// A change made: what to tell whoever asked, and the task's state after it.
#[derive(Debug)]
pub struct Changed {
    pub message: String,
    pub status: Status,
}

fn refused(id: u64, st: &Status, verb: &str) -> SpoolError {
    SpoolError::Refused(format!(
        "task {id} is {}: it cannot be {verb}{}",
        st.state.name(),
        st.note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    ))
}

/// Apply `f` to task `id` under the spool's lock.
fn change(
    spool: &Spool,
    id: u64,
    f: impl FnOnce(&mut Status) -> Result<(String, Vec<NewEvent>), SpoolError>,
) -> Result<Changed, SpoolError> {
    spool.update(id, |_, st| {
        let (message, evs) = f(st)?;
        Ok((
            Changed {
                message,
                status: st.clone(),
            },
            evs,
        ))
    })
}

/// Cancel: a task not yet running ends now; a running one stops at its next safe point,
/// or (with `now`, on this host) after the frame in flight.
pub fn cancel(spool: &Spool, id: u64, now: bool) -> Result<Changed, SpoolError> {
    change(spool, id, |st| match st.state {
        State::Held | State::Queued | State::Interrupted => {
            st.go(State::Cancelled, Some("cancelled before it started".into()));
            st.exit_code = Some(crate::exit::Exit::Interrupted.code());
            st.fault = Some(
                crate::fault::Fault::new(
                    crate::fault::Code::Cancelled,
                    "cancelled before it started",
                )
                .component("queue"),
            );
            Ok((
                format!("task {id} cancelled"),
                vec![
                    QueueEvent::TaskCancelled(super::events::End {
                        exit_code: st.exit_code,
                        fault: st.fault.clone(),
                        ..Default::default()
                    })
                    .about(Some(id)),
                ],
            ))
        }
        s if s.active() => {
            st.cancel = Some(CancelRequest {
                now,
                requested_unix: WallTime::now().unix_s,
            });
            // A paused run must not wait for an unpause to see the cancel.
            st.pause = None;
            st.go(State::Cancelling, None);
            let mut msg = format!("task {id} stops at its next safe point");
            if now && let (Some(pid), Some(c)) = (st.child_pid, &st.claim) {
                if c.host == crate::fsutil::hostname() {
                    // SAFETY: a signal to the run process the worker recorded.
                    unsafe { libc::kill(pid as i32, libc::SIGINT) };
                    msg = format!("task {id} stops after the frame in flight (SIGINT sent)");
                } else {
                    msg.push_str(&format!(" (it runs on {}: --now works there only)", c.host));
                }
            }
            Ok((
                msg,
                vec![QueueEvent::TaskCancelling { now }.about(Some(id))],
            ))
        }
        _ => Err(refused(id, st, "cancelled")),
    })
}

/// The longest note or reason a verb keeps (it shows in every listing).
pub const MAX_NOTE: usize = 1000;

fn bounded(what: &str, v: &Option<String>) -> Result<(), SpoolError> {
    match v
        .as_deref()
        .and_then(|t| crate::human::too_long(t, MAX_NOTE))
    {
        Some(n) => Err(SpoolError::Invalid(format!(
            "the {what} is {n} characters long; the limit is {MAX_NOTE}"
        ))),
        None => Ok(()),
    }
}

/// Hold a task that has not started (or was interrupted) until someone releases it.
pub fn hold(spool: &Spool, id: u64, note: Option<String>) -> Result<Changed, SpoolError> {
    bounded("note", &note)?;
    change(spool, id, |st| match st.state {
        State::Queued | State::Interrupted => {
            st.go(State::Held, note.clone().or(Some("held".into())));
            Ok((
                format!("task {id} held: it starts after `squidctl release {id}`"),
                vec![QueueEvent::TaskHeld { note }.about(Some(id))],
            ))
        }
        _ => Err(refused(
            id,
            st,
            "held (hold applies to tasks not yet running)",
        )),
    })
}

pub fn release(spool: &Spool, id: u64) -> Result<Changed, SpoolError> {
    change(spool, id, |st| match st.state {
        State::Held => {
            // A run it already has is continued, not started again.
            let back = if st.run_dir.is_some() {
                State::Interrupted
            } else {
                State::Queued
            };
            st.go(back, Some("released".into()));
            Ok((
                format!("task {id} released"),
                vec![QueueEvent::TaskReleased {}.about(Some(id))],
            ))
        }
        _ => Err(refused(id, st, "released")),
    })
}

/// Where `move` puts a task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    /// First among its priority.
    Front,
    /// Last among its priority.
    Back,
    /// Just before this task (taking its priority).
    Before(u64),
    /// Just after this task (taking its priority).
    After(u64),
    /// This priority, keeping its place among the others of it.
    Priority(i32),
}

pub fn move_(spool: &Spool, id: u64, place: Place) -> Result<Changed, SpoolError> {
    // Positions of the others, read under the same lock as the change.
    let _g = spool.lock()?;
    let tasks = spool.tasks();
    let other = |oid: u64| {
        tasks
            .iter()
            .find(|t| t.spec.id == oid)
            .map(|t| (t.status.priority, t.status.order))
            .ok_or(SpoolError::NotFound(oid))
    };
    spool.update_locked(id, |_, st| {
        if !matches!(st.state, State::Queued | State::Held | State::Interrupted) {
            return Err(refused(id, st, "moved"));
        }
        let same = |p: i32| {
            tasks
                .iter()
                .filter(move |t| {
                    t.spec.id != id && t.status.priority == p && !t.status.state.terminal()
                })
                .map(|t| t.status.order)
        };
        let neighbour = |oid: u64, before: bool| -> Result<(i32, f64), SpoolError> {
            let (p, o) = other(oid)?;
            let beyond = same(p)
                .filter(|x| if before { *x < o } else { *x > o })
                .fold(None, |acc: Option<f64>, x| {
                    Some(acc.map_or(x, |a| if before { a.max(x) } else { a.min(x) }))
                });
            Ok((
                p,
                match beyond {
                    Some(b) => (b + o) / 2.0,
                    None if before => o - 1.0,
                    None => o + 1.0,
                },
            ))
        };
        let (p, o) = match place {
            Place::Front => (
                st.priority,
                same(st.priority).fold(st.order, f64::min) - 1.0,
            ),
            Place::Back => (
                st.priority,
                same(st.priority).fold(st.order, f64::max) + 1.0,
            ),
            Place::Before(b) => neighbour(b, true)?,
            Place::After(b) => neighbour(b, false)?,
            Place::Priority(p) => (p, st.order),
        };
        st.priority = p;
        st.order = o;
        Ok((
            Changed {
                message: format!("task {id} moved (see `squidctl queue`)"),
                status: st.clone(),
            },
            vec![
                QueueEvent::TaskMoved {
                    priority: p,
                    order: o,
                }
                .about(Some(id)),
            ],
        ))
    })
}

pub fn pause(
    spool: &Spool,
    id: u64,
    at: PauseAt,
    reason: Option<String>,
) -> Result<Changed, SpoolError> {
    bounded("reason", &reason)?;
    change(spool, id, |st| match st.state {
        State::Running | State::Pausing | State::Suspended => {
            st.pause = Some(PauseRequest {
                at,
                reason: reason.clone(),
                requested_unix: WallTime::now().unix_s,
            });
            if st.state != State::Suspended {
                st.go(State::Pausing, reason.clone());
            }
            let at_name = at.name();
            Ok((
                format!(
                    "task {id} pauses at its next {at_name} boundary, lights off; `squidctl unpause {id}` goes on"
                ),
                vec![
                    QueueEvent::TaskPausing {
                        at: at_name.into(),
                        reason,
                    }
                    .about(Some(id)),
                ],
            ))
        }
        _ => Err(refused(
            id,
            st,
            "paused (pause applies to running tasks; use hold for others)",
        )),
    })
}

pub fn unpause(spool: &Spool, id: u64) -> Result<Changed, SpoolError> {
    change(spool, id, |st| match st.state {
        State::Pausing | State::Paused => {
            st.pause = None;
            st.go(State::Running, Some("unpaused".into()));
            Ok((
                format!("task {id} goes on"),
                vec![QueueEvent::TaskUnpaused {}.about(Some(id))],
            ))
        }
        State::Suspended if st.pause.is_some() => {
            st.pause = None;
            Ok((
                format!("task {id}: pause withdrawn (it is still suspended by a hold condition)"),
                vec![QueueEvent::TaskUnpaused {}.about(Some(id))],
            ))
        }
        _ => Err(refused(id, st, "unpaused")),
    })
}

/// Hold or release the whole queue; `by` names who did it in the event log.
pub fn hold_queue(
    spool: &Spool,
    held: bool,
    note: Option<String>,
    by: &str,
) -> Result<String, SpoolError> {
    bounded("note", &note)?;
    let q = QueueStatus {
        held,
        note: note.clone(),
        since: Some(WallTime::now().rfc3339()),
        by: Some(by.to_string()),
    };
    let (note, by) = (note.clone(), by.to_string());
    let ev = if held {
        QueueEvent::QueueHeld { note, by }
    } else {
        QueueEvent::QueueReleased { note, by }
    }
    .about(None);
    spool.set_queue_status(&q, ev)?;
    Ok(if held {
        format!(
            "queue of {} held: no task starts until `squidctl release --queue` (running ones go on)",
            spool.microscope
        )
    } else {
        format!("queue of {} released", spool.microscope)
    })
}
