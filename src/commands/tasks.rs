//! The verbs that change one task or the whole queue: `cancel`, `hold`, `release`, `move`,
//! `pause`, `unpause`. The changes themselves are in `queue::verbs` (the HTTP API makes the
//! same ones); this prints them.

use serde_json::json;

use super::queue::{spool_fail, spool_of};
use crate::cli::{
    CancelArgs, HoldArgs, MoveArgs, PauseArgs, QueueTarget, ReleaseArgs, TaskArgs, TaskRef,
};
use crate::exit::Exit;
use crate::queue::spool::{Spool, SpoolError};
use crate::queue::verbs::{self, Changed, Place};

/// Open the spool, make the change to task `id`, print the result. `also`: other tasks the
/// command names (they must be on the same queue).
fn change(
    target: &QueueTarget,
    id: &TaskRef,
    also: &[&TaskRef],
    f: impl FnOnce(&Spool, u64) -> Result<Changed, SpoolError>,
) -> Exit {
    let refs: Vec<&TaskRef> = std::iter::once(id).chain(also.iter().copied()).collect();
    let spool = match spool_of(target, &refs) {
        Ok(s) => s,
        Err(e) => return e,
    };
    match f(&spool, id.id) {
        Ok(c) => {
            if target.json {
                super::print_json(&json!({
                    "task": id.id, "microscope": spool.microscope, "state": c.status.state, "note": c.status.note, "message": c.message,
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
    change(&a.target, &a.id, &[], |s, id| verbs::cancel(s, id, a.now))
}

fn queue_change(target: &QueueTarget, held: bool, note: Option<String>) -> Exit {
    let spool = match spool_of(target, &[]) {
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
    match &a.which.id {
        None => queue_change(&a.target, true, a.note.clone()),
        Some(id) => change(&a.target, id, &[], |s, id| {
            verbs::hold(s, id, a.note.clone())
        }),
    }
}

pub fn release(a: &ReleaseArgs) -> Exit {
    match &a.which.id {
        None => queue_change(&a.target, false, None),
        Some(id) => change(&a.target, id, &[], verbs::release),
    }
}

pub fn move_(a: &MoveArgs) -> Exit {
    let Some(task) = &a.id else {
        return super::action::move_stage(a);
    };
    if !(a.front || a.back || a.before.is_some() || a.after.is_some() || a.priority.is_some()) {
        eprintln!(
            "error: say where task {task} goes: --front, --back, --before ID, --after ID or --priority N"
        );
        return Exit::Invalid;
    }
    let place = if a.front {
        Place::Front
    } else if a.back {
        Place::Back
    } else if let Some(b) = &a.before {
        Place::Before(b.id)
    } else if let Some(b) = &a.after {
        Place::After(b.id)
    } else {
        Place::Priority(a.priority.unwrap_or_default())
    };
    let others: Vec<&TaskRef> = a.before.iter().chain(a.after.iter()).collect();
    change(&a.target, task, &others, |s, id| verbs::move_(s, id, place))
}

pub fn pause(a: &PauseArgs) -> Exit {
    change(&a.target, &a.id, &[], |s, id| {
        verbs::pause(s, id, a.at, a.reason.clone())
    })
}

pub fn unpause(a: &TaskArgs) -> Exit {
    change(&a.target, &a.id, &[], verbs::unpause)
}
