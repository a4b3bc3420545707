//! The verbs that change one task or the whole queue: `cancel`, `hold`, `release`, `move`,
//! `pause`, `unpause`. The changes themselves are in `queue::verbs` (the HTTP API makes the
//! same ones); this prints them.

use serde_json::json;

use super::queue::{spool_fail, spool_for};
use crate::cli::{CancelArgs, HoldArgs, MoveArgs, PauseArgs, QueueTarget, ReleaseArgs, TaskArgs};
use crate::exit::Exit;
use crate::queue::spool::{Spool, SpoolError};
use crate::queue::verbs::{self, Changed, Place};

/// Open the spool, make the change to task `id`, print the result.
fn change(
    target: &QueueTarget,
    id: u64,
    f: impl FnOnce(&Spool) -> Result<Changed, SpoolError>,
) -> Exit {
    let spool = match spool_for(target.microscope.as_deref()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    match f(&spool) {
        Ok(c) => {
            if target.json {
                super::print_json(&json!({
                    "task": id, "state": c.status.state, "note": c.status.note, "message": c.message,
                }));
            } else {
                eprintln!("{}", c.message);
            }
            Exit::Completed
        }
        Err(e) => spool_fail(e),
    }
}

pub fn cancel(a: &CancelArgs) -> Exit {
    change(&a.target, a.id, |s| verbs::cancel(s, a.id, a.now))
}

fn queue_change(target: &QueueTarget, held: bool, note: Option<String>) -> Exit {
    let spool = match spool_for(target.microscope.as_deref()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let user = std::env::var("USER").unwrap_or_default();
    let msg = match verbs::hold_queue(&spool, held, note.clone(), &user) {
        Ok(m) => m,
        Err(e) => return spool_fail(e),
    };
    if target.json {
        super::print_json(&json!({"microscope": spool.microscope, "held": held, "note": note}));
    } else {
        eprintln!("{msg}");
    }
    Exit::Completed
}

pub fn hold(a: &HoldArgs) -> Exit {
    match a.which.id {
        None => queue_change(&a.target, true, a.note.clone()),
        Some(id) => change(&a.target, id, |s| verbs::hold(s, id, a.note.clone())),
    }
}

pub fn release(a: &ReleaseArgs) -> Exit {
    match a.which.id {
        None => queue_change(&a.target, false, None),
        Some(id) => change(&a.target, id, |s| verbs::release(s, id)),
    }
}

pub fn move_(a: &MoveArgs) -> Exit {
    let place = if a.front {
        Place::Front
    } else if a.back {
        Place::Back
    } else if let Some(b) = a.before {
        Place::Before(b)
    } else if let Some(b) = a.after {
        Place::After(b)
    } else {
        // clap requires one of the five.
        Place::Priority(a.priority.unwrap_or_default())
    };
    change(&a.target, a.id, |s| verbs::move_(s, a.id, place))
}

pub fn pause(a: &PauseArgs) -> Exit {
    change(&a.target, a.id, |s| {
        verbs::pause(s, a.id, a.at, a.reason.clone())
    })
}

pub fn unpause(a: &TaskArgs) -> Exit {
    change(&a.target, a.id, |s| verbs::unpause(s, a.id))
}
