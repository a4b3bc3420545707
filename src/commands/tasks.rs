//! The verbs that change one task or the whole queue: `cancel`, `hold`, `release`, `move`,
//! `pause`, `unpause`. Each is one change of the spool under its lock, logged as an event;
//! a running task's run reads the change at its next safe point.

use serde_json::json;

use super::queue::{spool_fail, spool_for};
use crate::cli::{CancelArgs, HoldArgs, MoveArgs, PauseArgs, QueueTarget, ReleaseArgs, TaskArgs};
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::queue::events;
use crate::queue::spool::{QueueStatus, Spool, SpoolError};
use crate::queue::task::{CancelRequest, PauseRequest, State, Status};

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

/// Open the spool, apply `f` to task `id`, print the result.
fn change(
    target: &QueueTarget,
    id: u64,
    f: impl FnOnce(&Spool, &mut Status) -> Result<(String, Vec<events::NewEvent>), SpoolError>,
) -> Exit {
    let spool = match spool_for(target.microscope.as_deref()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let s2 = spool.clone();
    match spool.update(id, |_, st| {
        let (msg, evs) = f(&s2, st)?;
        Ok(((msg, st.clone()), evs))
    }) {
        Ok((msg, st)) => {
            if target.json {
                super::print_json(
                    &json!({"task": id, "state": st.state, "note": st.note, "message": msg}),
                );
            } else {
                eprintln!("{msg}");
            }
            Exit::Completed
        }
        Err(e) => spool_fail(e),
    }
}

pub fn cancel(a: &CancelArgs) -> Exit {
    let id = a.id;
    let now = a.now;
    change(&a.target, id, |_, st| match st.state {
        State::Held | State::Queued | State::Interrupted => {
            st.go(State::Cancelled, Some("cancelled before it started".into()));
            st.exit_code = Some(Exit::Interrupted.code());
            Ok((
                format!("task {id} cancelled"),
                vec![events::new(
                    "task_cancelled",
                    Some(id),
                    json!({"exit_code": st.exit_code}),
                )],
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
                if c.host == crate::run_dir::record::hostname() {
                    // SAFETY: a signal to the run process the worker recorded.
                    unsafe { libc::kill(pid as i32, libc::SIGINT) };
                    msg = format!("task {id} stops after the frame in flight (SIGINT sent)");
                } else {
                    msg.push_str(&format!(" (it runs on {}: --now works there only)", c.host));
                }
            }
            Ok((
                msg,
                vec![events::new(
                    "task_cancelling",
                    Some(id),
                    json!({"now": now}),
                )],
            ))
        }
        _ => Err(refused(id, st, "cancelled")),
    })
}

fn queue_change(target: &QueueTarget, held: bool, note: Option<String>) -> Exit {
    let spool = match spool_for(target.microscope.as_deref()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let user = std::env::var("USER").unwrap_or_default();
    let q = QueueStatus {
        held,
        note: note.clone(),
        since: Some(WallTime::now().rfc3339()),
        by: Some(user.clone()),
    };
    let ev = events::new(
        if held { "queue_held" } else { "queue_released" },
        None,
        json!({"note": note, "by": user}),
    );
    if let Err(e) = spool.set_queue_status(&q, ev) {
        return spool_fail(e);
    }
    let msg = if held {
        format!(
            "queue of {} held: no task starts until `squidctl release --queue` (running ones go on)",
            spool.microscope
        )
    } else {
        format!("queue of {} released", spool.microscope)
    };
    if target.json {
        super::print_json(&json!({"microscope": spool.microscope, "held": held, "note": note}));
    } else {
        eprintln!("{msg}");
    }
    Exit::Completed
}

pub fn hold(a: &HoldArgs) -> Exit {
    let Some(id) = a.which.id else {
        return queue_change(&a.target, true, a.note.clone());
    };
    let note = a.note.clone();
    change(&a.target, id, |_, st| match st.state {
        State::Queued | State::Interrupted => {
            st.go(State::Held, note.clone().or(Some("held".into())));
            Ok((
                format!("task {id} held: it starts after `squidctl release {id}`"),
                vec![events::new("task_held", Some(id), json!({"note": note}))],
            ))
        }
        _ => Err(refused(
            id,
            st,
            "held (hold applies to tasks not yet running)",
        )),
    })
}

pub fn release(a: &ReleaseArgs) -> Exit {
    let Some(id) = a.which.id else {
        return queue_change(&a.target, false, None);
    };
    change(&a.target, id, |_, st| match st.state {
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
                vec![events::new("task_released", Some(id), json!({}))],
            ))
        }
        _ => Err(refused(id, st, "released")),
    })
}

pub fn move_(a: &MoveArgs) -> Exit {
    // Positions of the others, read under the same lock as the change.
    let (spool, _g) = match super::queue::locked_spool(a.target.microscope.as_deref()) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let tasks = spool.tasks();
    let other = |oid: u64| {
        tasks
            .iter()
            .find(|t| t.spec.id == oid)
            .map(|t| (t.status.priority, t.status.order))
            .ok_or(SpoolError::NotFound(oid))
    };
    let id = a.id;
    let r = spool.update_locked(id, |_, st| {
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
        let (p, o) = if a.front {
            let p = st.priority;
            (p, same(p).fold(st.order, f64::min) - 1.0)
        } else if a.back {
            let p = st.priority;
            (p, same(p).fold(st.order, f64::max) + 1.0)
        } else if let Some(b) = a.before {
            neighbour(b, true)?
        } else if let Some(b) = a.after {
            neighbour(b, false)?
        } else {
            (a.priority.unwrap_or(st.priority), st.order)
        };
        st.priority = p;
        st.order = o;
        Ok((
            (),
            vec![events::new(
                "task_moved",
                Some(id),
                json!({"priority": p, "order": o}),
            )],
        ))
    });
    match r {
        Ok(()) => {
            if a.target.json {
                super::print_json(&json!({"task": id, "moved": true}));
            } else {
                eprintln!("task {id} moved (see `squidctl queue`)");
            }
            Exit::Completed
        }
        Err(e) => spool_fail(e),
    }
}

pub fn pause(a: &PauseArgs) -> Exit {
    let (id, at, reason) = (a.id, a.at, a.reason.clone());
    change(&a.target, id, |_, st| match st.state {
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
                vec![events::new(
                    "task_pausing",
                    Some(id),
                    json!({"at": at_name, "reason": reason}),
                )],
            ))
        }
        _ => Err(refused(
            id,
            st,
            "paused (pause applies to running tasks; use hold for others)",
        )),
    })
}

pub fn unpause(a: &TaskArgs) -> Exit {
    let id = a.id;
    change(&a.target, id, |_, st| match st.state {
        State::Pausing | State::Paused => {
            st.pause = None;
            st.go(State::Running, Some("unpaused".into()));
            Ok((
                format!("task {id} goes on"),
                vec![events::new("task_unpaused", Some(id), json!({}))],
            ))
        }
        State::Suspended if st.pause.is_some() => {
            st.pause = None;
            Ok((
                format!("task {id}: pause withdrawn (it is still suspended by a hold condition)"),
                vec![events::new("task_unpaused", Some(id), json!({}))],
            ))
        }
        _ => Err(refused(id, st, "unpaused")),
    })
}
