//! Queueing a checked protocol: what `squidctl submit` and `POST /v1/tasks` share, so a task
//! is the same (snapshot, plan summary, dependencies) and refused with the same words
//! whichever way it came.

use std::path::{Path, PathBuf};

use super::spool::{Spool, SpoolError, TASK_PROTOCOL};
use super::task::{PlanSummary, Spec, State, Status, Submitter, Task};
use super::when;
use crate::actions::Action;
use crate::clock::WallTime;
use crate::microscope::MicroscopeConfig;
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
    /// Whose reservation the task belongs to (see [`super::lease`]).
    pub holder: Option<String>,
    /// The stored method the protocol came from (see [`super::methods`]).
    pub method: Option<String>,
    /// The run must be written below this directory (`serve --output-root`); `None`: the
    /// submitter's own `submit`, which writes where its user may.
    pub output_root: Option<PathBuf>,
}

/// What one task may make the queue keep, and every listing show.
pub const MAX_LABEL: usize = 200;
const MAX_SETS: usize = 256;
const MAX_SET: usize = 4096;
const MAX_WHEN: usize = 64;

#[derive(Debug)]
pub enum Refused {
    /// The request is wrong (exit 2, HTTP 422): which field, and what is wrong with it.
    Invalid(&'static str, String),
    /// The request asks what the microscope cannot do, with the fault that says so.
    Fault(crate::fault::Fault),
    Spool(SpoolError),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Invalid(field, m) => write!(f, "{field}: {m}"),
            Refused::Fault(x) => write!(f, "{}", x.message),
            Refused::Spool(e) => write!(f, "{e}"),
        }
    }
}

fn check_lengths(r: &Request) -> Result<(), Refused> {
    let long = |field: &'static str, v: &str, max: usize| match crate::human::too_long(v, max) {
        Some(n) => Err(Refused::Invalid(
            field,
            format!("{n} characters; the limit is {max}"),
        )),
        None => Ok(()),
    };
    long("label", r.label.as_deref().unwrap_or(""), MAX_LABEL)?;
    long("at", r.at.as_deref().unwrap_or(""), MAX_WHEN)?;
    long("expires", r.expires.as_deref().unwrap_or(""), MAX_WHEN)?;
    if r.sets.len() > MAX_SETS {
        return Err(Refused::Invalid(
            "set",
            format!("{} overrides; the limit is {MAX_SETS}", r.sets.len()),
        ));
    }
    for s in &r.sets {
        long("set", s, MAX_SET)?;
    }
    Ok(())
}

/// Whether `dir` (absolute) lies below `root`, judged on the real directories: `..` is
/// resolved, and so are symlinks in the part that exists already.
pub fn confine(root: &Path, dir: &Path) -> Result<(), String> {
    let root_real = root
        .canonicalize()
        .map_err(|e| format!("the output root {} cannot be read: {e}", root.display()))?;
    let mut normal = PathBuf::new();
    for c in dir.components() {
        match c {
            std::path::Component::ParentDir => {
                normal.pop();
            }
            std::path::Component::CurDir => {}
            c => normal.push(c),
        }
    }
    // The deepest part that exists, resolved; the rest is appended as written.
    let mut existing = normal.clone();
    let mut rest = Vec::new();
    let real = loop {
        match existing.canonicalize() {
            Ok(r) => break r,
            Err(_) => match (existing.file_name().map(|n| n.to_owned()), existing.pop()) {
                (Some(n), true) => rest.push(n),
                _ => break existing.clone(),
            },
        }
    };
    let full = rest.iter().rev().fold(real, |p, n| p.join(n));
    if full.starts_with(&root_real) {
        Ok(())
    } else {
        Err(format!(
            "runs submitted through this server are written below {}; {} is not (write a relative output.directory, or ask the operator to start `serve --output-root` higher up)",
            root_real.display(),
            crate::human::clip(&dir.display().to_string(), 200)
        ))
    }
}

/// When to start and what to wait for, read from the request: the same for runs and actions.
struct Timing {
    now: WallTime,
    at: Option<f64>,
    expires: Option<f64>,
}

fn timing(spool: &Spool, r: &Request, now: WallTime) -> Result<Timing, Refused> {
    check_lengths(r)?;
    if let Some(h) = &r.holder {
        super::lease::check_holder(h).map_err(|m| Refused::Invalid("holder", m))?;
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
    Ok(Timing { now, at, expires })
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
    let dir = match crate::protocol::template::render(&l.plan.output.directory, &vars) {
        Ok(d) => d,
        Err(m) => {
            return Err(Refused::Invalid(
                "output.directory",
                m.replace("\nhelp: ", "; "),
            ));
        }
    };
    if let Some(root) = &r.output_root {
        confine(root, &r.cwd.join(&dir)).map_err(|m| Refused::Invalid("output.directory", m))?;
    }
    let when = timing(spool, &r, now)?;
    let plan = &l.plan;
    let summary = PlanSummary {
        name: plan.name.clone(),
        frames: plan.total_frames(),
        fovs: plan.total_fovs(),
        bytes: plan.total_frames() * plan.frame.bytes(),
        estimate_s: plan
            .estimate(
                &crate::hardware::timing(&l.microscope),
                crate::saver::layout::footprint(&l.plan),
            )
            .duration_s,
    };
    create(spool, &r, &submitter, when, summary, None, |dir| {
        let text = crate::session::standalone_copy(l, dir).map_err(|e| match e {
            crate::session::CopyError::Csv(e) => {
                SpoolError::Io(format!("cannot copy the positions CSV into the queue: {e}"))
            }
            crate::session::CopyError::Yaml(m) => SpoolError::Io(m),
        })?;
        crate::fsutil::write_durable(&dir.join(TASK_PROTOCOL), text.as_bytes())
            .map_err(|e| SpoolError::Io(format!("cannot write the protocol snapshot: {e}")))
    })
}

/// Queue an action on the instrument, checked against its microscope now (a position out of
/// travel is refused here, not when its turn comes).
pub fn submit_action(
    spool: &Spool,
    config: &MicroscopeConfig,
    action: &Action,
    r: Request,
    submitter: Submitter,
) -> Result<Task, Refused> {
    let now = WallTime::now();
    // A snap's folder means what it meant where it was asked from.
    let action = &match action {
        Action::Snap(s) => Action::Snap(crate::actions::SnapRequest {
            output: s.output.as_ref().map(|o| r.cwd.join(o)),
            ..s.clone()
        }),
        other => other.clone(),
    };
    let checked = action.check(config).map_err(Refused::Fault)?;
    if let (Some(root), Action::Snap(s)) = (&r.output_root, action)
        && let Some(out) = &s.output
    {
        confine(root, out).map_err(|m| Refused::Invalid("output", m))?;
    }
    let when = timing(spool, &r, now)?;
    let summary = PlanSummary {
        name: action.name().to_string(),
        frames: u64::from(matches!(action, Action::Snap(_))),
        fovs: 0,
        bytes: 0,
        estimate_s: checked.deadline(config, 1.0).as_secs_f64(),
    };
    // The spec keeps the action: nothing else to write.
    create(
        spool,
        &r,
        &submitter,
        when,
        summary,
        Some(action.clone()),
        |_| Ok(()),
    )
}

fn create(
    spool: &Spool,
    r: &Request,
    submitter: &Submitter,
    when: Timing,
    summary: PlanSummary,
    action: Option<Action>,
    write: impl FnOnce(&Path) -> Result<(), SpoolError>,
) -> Result<Task, Refused> {
    let created = spool.create(|id, dir| {
        write(dir)?;
        let spec = Spec {
            id,
            microscope: spool.microscope.clone(),
            protocol_file: match &action {
                Some(a) => format!("<{} action>", a.name()),
                None => r.protocol_file.clone(),
            },
            sets: r.sets.clone(),
            cwd: r.cwd.clone(),
            label: r.label.clone(),
            at_unix: when.at,
            expires_unix: when.expires,
            after: r.after.clone(),
            after_ok: r.after_ok.clone(),
            retries: r.retries,
            created: when.now.rfc3339(),
            created_unix: when.now.unix_s,
            submitter: submitter.clone(),
            plan: summary,
            again_of: r.again_of,
            action,
            holder: r.holder.clone(),
            method: r.method.clone(),
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
