//! `squidctl queue`, `show` and `history`: reading a microscope's queue. Also the helpers
//! every queue verb shares (which spool, how a spool error ends the command). What a listing
//! holds is `queue::view`, which the HTTP API serves too.

use std::path::Path;

use serde_json::json;

use crate::cli::{HistoryArgs, QueueArgs, QueueTarget, TaskArgs, TaskRef};
use crate::exit::Exit;
use crate::queue::spool::{Spool, SpoolError};
use crate::queue::view::{label, listing, now, run_record, table, task_json, when};

/// The spool of the microscope a verb names (its description's `name`).
pub fn spool_for(microscope: Option<&Path>) -> Result<Spool, Exit> {
    let m = crate::hardware::load(microscope).map_err(|d| super::invalid(&d))?;
    Spool::open(&m.desc.name).map_err(spool_fail)
}

/// Refuse a command line, saying why (exit 2).
fn refuse(msg: String) -> Exit {
    tracing::error!("{msg}");
    Exit::Invalid
}

/// The queues that hold tasks, as `name (N tasks)`.
fn queues_text(spools: &[Spool]) -> String {
    spools
        .iter()
        .map(|s| {
            let n = s.ids().len();
            format!(
                "{} ({n} task{})",
                s.microscope,
                if n == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every queue that holds at least one task.
fn used_spools() -> Result<Vec<Spool>, Exit> {
    let all = Spool::all().map_err(spool_fail)?;
    Ok(all.into_iter().filter(|s| !s.ids().is_empty()).collect())
}

/// The queue a verb acts on: the microscope its ids name (`scope-a/5`), else the one
/// `--microscope` names, else the only microscope with tasks. Task ids count per microscope,
/// so with several queues and none named this refuses and lists them rather than guess.
pub fn spool_of(target: &QueueTarget, refs: &[&TaskRef]) -> Result<Spool, Exit> {
    let mut names: Vec<&str> = refs
        .iter()
        .filter_map(|r| r.microscope.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.len() > 1 {
        return Err(refuse(format!(
            "the task ids name several microscopes ({}): one command acts on one queue",
            names.join(", ")
        )));
    }
    if let Some(name) = names.first() {
        if let Some(file) = target.microscope.as_deref() {
            let s = spool_for(Some(file))?;
            if s.microscope != *name {
                return Err(refuse(format!(
                    "task {} is on the queue of `{name}`, but --microscope (or SQUIDCTL_MICROSCOPE) names `{}` ({}): drop one of them",
                    refs.iter()
                        .find(|r| r.microscope.is_some())
                        .map_or(String::new(), |r| r.to_string()),
                    s.microscope,
                    file.display()
                )));
            }
            return Ok(s);
        }
        let all = Spool::all().map_err(spool_fail)?;
        let known = queues_text(&all);
        return all
            .into_iter()
            .find(|s| s.microscope == *name)
            .ok_or_else(|| {
                refuse(format!(
                    "no queue for a microscope named `{name}`; {}",
                    if known.is_empty() {
                        "there is no queue yet".to_string()
                    } else {
                        format!("the queues here: {known}")
                    }
                ))
            });
    }
    if target.microscope.is_some() {
        return spool_for(target.microscope.as_deref());
    }
    let mut used = used_spools()?;
    match used.len() {
        0 => spool_for(None),
        1 => Ok(used.remove(0)),
        _ => {
            let how = match refs.first() {
                Some(r) => format!("`{}/{}`, or --microscope FILE", used[0].microscope, r.id),
                None => "--microscope FILE (its description's name)".into(),
            };
            Err(refuse(format!(
                "several microscopes have queues: {}; say which one: {how}",
                queues_text(&used)
            )))
        }
    }
}

/// The spools a listing covers: one, or every one with `--all` — or when none is named and
/// several microscopes have tasks (a listing shows them all rather than pick one).
fn spools(target: &QueueTarget, all: bool) -> Result<Vec<Spool>, Exit> {
    if all {
        return Spool::all().map_err(spool_fail);
    }
    if target.microscope.is_none() {
        let used = used_spools()?;
        if !used.is_empty() {
            return Ok(used);
        }
    }
    spool_for(target.microscope.as_deref()).map(|s| vec![s])
}

/// Report a spool error; its exit: 2 for an unknown task, 1 otherwise.
pub fn spool_fail(e: SpoolError) -> Exit {
    tracing::error!("{e}");
    match e {
        SpoolError::NotFound(_) | SpoolError::Invalid(_) => Exit::Invalid,
        _ => Exit::Failed,
    }
}

pub fn queue(a: &QueueArgs) -> Exit {
    let spools = match spools(&a.target, a.all) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut out = String::new();
    for s in &spools {
        let (v, text) = listing(s, &a.state, !a.target.json);
        if a.target.json {
            super::print_json(&v);
        } else {
            out.push_str(&text);
        }
    }
    if !a.target.json {
        print!("{out}");
    }
    Exit::Completed
}

pub fn show(a: &TaskArgs) -> Exit {
    let spool = match spool_of(&a.target, &[&a.id]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let t = match spool.task(a.id.id) {
        Ok(t) => t,
        Err(e) => return spool_fail(e),
    };
    let run = run_record(&t);
    if a.target.json {
        super::print_json(&task_json(&spool, &t));
        return Exit::Completed;
    }
    let s = &t.spec;
    let mut out = format!(
        "task {} on {}: {}\n  label      {}\n  protocol   {} ({} frames, {} FOVs, estimate {})\n  submitted  {} by {}@{} from {}\n",
        s.id,
        spool.microscope,
        t.status.state.name(),
        label(&t),
        s.protocol_file,
        crate::human::count(s.plan.frames),
        crate::human::count(s.plan.fovs),
        crate::human::duration(s.plan.estimate_s),
        s.created,
        s.submitter.user,
        s.submitter.host,
        s.cwd.display(),
    );
    if !s.sets.is_empty() {
        out.push_str(&format!("  --set      {}\n", s.sets.join(" ")));
    }
    let now = now();
    if let Some(at) = s.at_unix {
        out.push_str(&format!("  at         {}\n", when(at, now)));
    }
    if let Some(e) = s.expires_unix {
        out.push_str(&format!("  expires    {}\n", when(e, now)));
    }
    if !s.after.is_empty() || !s.after_ok.is_empty() {
        out.push_str(&format!(
            "  after      {:?}  after-ok {:?}\n",
            s.after, s.after_ok
        ));
    }
    out.push_str(&format!(
        "  priority   {}   attempts {}   retries {}\n",
        t.status.priority, t.status.attempts, s.retries
    ));
    if let Some(n) = &t.status.note {
        out.push_str(&format!("  note       {n}\n"));
    }
    if t.status.state.active() && !spool.worker_alive() {
        out.push_str("  worker     gone: the next worker continues the run (`squidctl worker`)\n");
    }
    if let Some(rd) = &t.status.run_dir {
        out.push_str(&format!("  run        {}\n", rd.display()));
    }
    if let Some(r) = &run {
        out.push_str(&format!(
            "  progress   {} of {} frames acquired, {} saved; run {}{}\n",
            crate::human::count(r.counts.acquired),
            crate::human::count(r.counts.planned),
            crate::human::count(r.counts.saved),
            r.state.name(),
            r.exit_code
                .map(|c| format!(" (exit {c})"))
                .unwrap_or_default()
        ));
    }
    if let Some(c) = t.status.exit_code {
        out.push_str(&format!("  exit code  {c}\n"));
    }
    out.push_str("  history\n");
    for h in &t.status.history {
        out.push_str(&format!(
            "    {}  {}{}\n",
            h.time,
            h.state.name(),
            h.why
                .as_deref()
                .map(|w| format!(" — {w}"))
                .unwrap_or_default()
        ));
    }
    print!("{out}");
    Exit::Completed
}

pub fn history(a: &HistoryArgs) -> Exit {
    let spools = match spools(&a.target, a.all) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let now = now();
    let since = a.since.map(|d| now - d.secs());
    let mut rows = Vec::new();
    let mut listed = Vec::new();
    for s in &spools {
        for t in s.tasks() {
            let st = t.status.state;
            let ended = t.status.ended_unix.unwrap_or(0.0);
            if !st.terminal()
                || (!a.state.is_empty() && !a.state.contains(&st))
                || since.is_some_and(|s| ended < s)
            {
                continue;
            }
            if a.target.json {
                listed.push(json!({
                    "microscope": s.microscope, "id": t.spec.id, "state": st,
                    "exit_code": t.status.exit_code, "ended_unix": t.status.ended_unix,
                    "label": t.spec.label, "name": t.spec.plan.name,
                    "run_dir": t.status.run_dir, "note": t.status.note,
                }));
            }
            rows.push([
                if a.all || spools.len() > 1 {
                    format!("{}/{}", s.microscope, t.spec.id)
                } else {
                    t.spec.id.to_string()
                },
                st.name().to_string(),
                t.status.exit_code.map_or("-".into(), |c| c.to_string()),
                when(ended, now),
                label(&t),
                t.status
                    .run_dir
                    .as_ref()
                    .map_or(String::new(), |r| r.display().to_string()),
            ]);
        }
    }
    if a.target.json {
        // A listing is one object with its rows in `tasks`, as `queue --json` prints it.
        super::print_json(&json!({"command": "history", "tasks": listed}));
    } else {
        if rows.is_empty() {
            println!("(no ended tasks)");
        } else {
            print!(
                "{}",
                table(&["ID", "STATE", "EXIT", "ENDED", "LABEL", "RUN"], &rows)
            );
        }
    }
    Exit::Completed
}
