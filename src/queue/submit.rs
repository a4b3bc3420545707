//! Queueing a checked protocol: what `squidctl submit` and `POST /v1/tasks` share, so a task
//! is the same (snapshot, plan summary, dependencies) and refused with the same words
//! whichever way it came.

use std::path::PathBuf;

use super::spool::{Spool, SpoolError, TASK_PROTOCOL};
use super::task::{PlanSummary, Spec, State, Status, Submitter, Task};
use super::when;
use crate::clock::WallTime;
use crate::session::Loaded;

/// The choices a submitter makes beyond the protocol itself.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The protocol as the submitter named it (the snapshot is what runs).
    pub protocol_file: String,
    pub sets: Vec<String>,
    /// Where the run starts, so a relative `output.directory` means what it meant there.
    pub cwd: PathBuf,
    pub label: Option<String>,
    pub priority: i32,
    /// `--at` as written: a time of day, a date and time, or `+DURATION`.
    pub at: Option<String>,
    pub expires: Option<String>,
    pub after: Vec<u64>,
    pub after_ok: Vec<u64>,
    pub retries: u32,
    /// Arrive held, for this reason.
    pub held: Option<String>,
    pub again_of: Option<u64>,
}

#[derive(Debug)]
pub enum Refused {
    /// The request is wrong (exit 2, HTTP 422): which field, and what is wrong with it.
    Invalid(&'static str, String),
    Spool(SpoolError),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Invalid(field, m) => write!(f, "{field}: {m}"),
            Refused::Spool(e) => write!(f, "{e}"),
        }
    }
}

/// Queue the loaded protocol `l` as a new task.
pub fn submit(
    spool: &Spool,
    l: &Loaded,
    r: Request,
    submitter: Submitter,
) -> Result<Task, Refused> {
    let now = WallTime::now();
    // The run directory's name is rendered when the run starts; a template that cannot be
    // rendered must be refused now, not at 3 a.m.
    let vars = l.plan.template_vars(&now);
    if let Err(m) = crate::protocol::template::render(&l.plan.output.directory, &vars) {
        return Err(Refused::Invalid(
            "output.directory",
            m.replace("\nhelp: ", "; "),
        ));
    }
    let at = match r.at.as_deref().map(|s| when::at(s, now.unix_s)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return Err(Refused::Invalid("at", e.to_string())),
    };
    let expires = match r.expires.as_deref().map(|s| when::expires(s, now.unix_s)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return Err(Refused::Invalid("expires", e.to_string())),
    };
    let known = spool.ids();
    if let Some(d) = r
        .after
        .iter()
        .chain(&r.after_ok)
        .find(|d| !known.contains(d))
    {
        return Err(Refused::Invalid(
            if r.after.contains(d) {
                "after"
            } else {
                "after_ok"
            },
            format!("there is no task {d} in the queue of {}", spool.microscope),
        ));
    }
    let plan = &l.plan;
    let summary = PlanSummary {
        name: plan.name.clone(),
        frames: plan.total_frames(),
        fovs: plan.total_fovs(),
        bytes: plan.total_frames() * plan.frame.bytes(),
        estimate_s: plan.estimate(&l.microscope.timing()).duration_s,
    };
    let created = spool.create(|id, dir| {
        let text = crate::session::standalone_copy(l, dir).map_err(|e| match e {
            crate::session::CopyError::Csv(e) => {
                SpoolError::Io(format!("cannot copy the positions CSV into the queue: {e}"))
            }
            crate::session::CopyError::Yaml(m) => SpoolError::Io(m),
        })?;
        crate::fsutil::write_durable(&dir.join(TASK_PROTOCOL), text.as_bytes())
            .map_err(|e| SpoolError::Io(format!("cannot write the protocol snapshot: {e}")))?;
        let spec = Spec {
            id,
            microscope: spool.microscope.clone(),
            protocol_file: r.protocol_file.clone(),
            sets: r.sets.clone(),
            cwd: r.cwd.clone(),
            label: r.label.clone(),
            at_unix: at,
            expires_unix: expires,
            after: r.after.clone(),
            after_ok: r.after_ok.clone(),
            retries: r.retries,
            created: now.rfc3339(),
            created_unix: now.unix_s,
            submitter: submitter.clone(),
            plan: summary.clone(),
            again_of: r.again_of,
        };
        let state = if r.held.is_some() {
            State::Held
        } else {
            State::Queued
        };
        Ok((
            spec,
            Status::new(state, r.priority, id as f64, r.held.clone()),
        ))
    });
    created.map(|(t, _)| t).map_err(Refused::Spool)
}
