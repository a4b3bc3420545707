//! `squidctl queue`, `show` and `history`: reading a microscope's queue. Also the helpers
//! every queue verb shares (which spool, how a spool error ends the command).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{HistoryArgs, QueueArgs, QueueTarget, TaskArgs, TaskRef};
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::queue::schedule::{self, Block};
use crate::queue::spool::{Spool, SpoolError};
use crate::queue::task::{State, Task};
use crate::run_dir::record::RunRecord;

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
        if used.len() > 1 {
            return Ok(used);
        }
        if let [one] = &used[..] {
            return Ok(vec![Spool::open(&one.microscope).map_err(spool_fail)?]);
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

/// `22:30:05` today, `12-24 22:30` another day.
pub fn when(unix: f64, now: f64) -> String {
    let (w, n) = (WallTime::from_unix(unix), WallTime::from_unix(now));
    if w.date() == n.date() {
        format!("{:02}:{:02}:{:02}", w.hour, w.minute, w.second)
    } else {
        format!("{:02}-{:02} {:02}:{:02}", w.month, w.day, w.hour, w.minute)
    }
}

fn run_record(t: &Task) -> Option<RunRecord> {
    RunRecord::read(t.status.run_dir.as_ref()?)
}

/// Seconds the running task still needs, from its progress and its estimate.
fn left_s(t: &Task) -> f64 {
    let est = t.spec.plan.estimate_s;
    match run_record(t) {
        Some(r) if r.counts.planned > 0 => {
            est * (1.0 - r.counts.acquired as f64 / r.counts.planned as f64).clamp(0.0, 1.0)
        }
        _ => est,
    }
}

/// The state a listing shows: waiting for a task that cannot start now; a running task
/// whose worker is gone is shown as interrupted (the next worker continues it).
fn shown(t: &Task, block: &Block, worker_alive: bool) -> (&'static str, Option<String>) {
    let st = t.status.state;
    if st.active() && !worker_alive {
        return (
            "interrupted",
            Some("its worker is gone; the next worker continues the run".into()),
        );
    }
    match block {
        Block::Wait { on, until_unix } if schedule::pending(st) => (
            "waiting",
            Some(match until_unix {
                Some(u) => format!("{on} ({})", when(*u, now())),
                None => on.clone(),
            }),
        ),
        _ => (st.name(), t.status.note.clone()),
    }
}

fn now() -> f64 {
    WallTime::now().unix_s
}

fn label(t: &Task) -> String {
    t.spec
        .label
        .clone()
        .unwrap_or_else(|| t.spec.plan.name.clone())
}

/// One spool's listing as JSON (what `queue --json` prints and `GET /v1/tasks` returns), and
/// its text table when `text` asks for it.
pub fn listing(spool: &Spool, filter: &[State], text: bool) -> (Value, String) {
    let tasks = spool.tasks();
    let states = schedule::states(&tasks);
    let q = spool.queue_status();
    let alive = spool.worker_alive();
    let now = now();
    let left: HashMap<u64, f64> = tasks
        .iter()
        .filter(|t| t.status.state.active())
        .map(|t| (t.spec.id, left_s(t)))
        .collect();
    let predicted = schedule::predict(&tasks, &left, q.held, now);
    // The next task waits for whoever holds the microscope (a manual run) to let it go.
    let lock_holder = if tasks.iter().any(|t| t.status.state.active()) {
        None
    } else {
        crate::run_dir::lock::holder(&spool.microscope)
    };
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for t in schedule::ordered(&tasks) {
        let st = t.status.state;
        let wanted = if filter.is_empty() {
            !st.terminal()
        } else {
            filter.contains(&st)
        };
        if !wanted {
            continue;
        }
        let block = match (schedule::pending(st), &lock_holder) {
            (false, _) => Block::Ready,
            (true, holder) => match (schedule::block(t, &states, q.held, now), holder) {
                (Block::Ready, Some(h)) => Block::Wait {
                    on: format!("the microscope ({h})"),
                    until_unix: None,
                },
                (b, _) => b,
            },
        };
        let (state, mut note) = shown(t, &block, alive);
        // A held task keeps its start time: say it, since releasing it does not start it now.
        if st == State::Held
            && let Some(at) = t.spec.at_unix.filter(|at| *at > now)
        {
            let at = format!("starts at {} once released", when(at, now));
            note = Some(match note {
                Some(n) => format!("{n}; {at}"),
                None => at,
            });
        }
        let p = predicted.get(&t.spec.id);
        items.push(json!({
            "id": t.spec.id,
            "state": st,
            "shown": state,
            "priority": t.status.priority,
            "label": t.spec.label,
            "name": t.spec.plan.name,
            "protocol": t.spec.protocol_file,
            "note": note,
            "waiting_on": match &block { Block::Wait { on, .. } => Some(on.clone()), _ => None },
            "predicted_start_unix": p.map(|p| p.0),
            "predicted_end_unix": p.map(|p| p.1),
            "estimate_s": t.spec.plan.estimate_s,
            "run_dir": t.status.run_dir,
            "attempts": t.status.attempts,
            "at_unix": t.spec.at_unix,
            "started_unix": t.status.started_unix,
            "ended_unix": t.status.ended_unix,
            "exit_code": t.status.exit_code,
        }));
        if !text {
            continue;
        }
        rows.push([
            t.spec.id.to_string(),
            state.to_string(),
            t.status.priority.to_string(),
            label(t),
            p.map_or("-".into(), |p| when(p.0, now)),
            p.map_or("-".into(), |p| when(p.1, now)),
            note.unwrap_or_default(),
        ]);
    }
    let worker = spool.worker_info().filter(|_| alive);
    let v = json!({
        "microscope": spool.microscope,
        "spool": spool.dir,
        "worker": worker,
        "held": q.held,
        "held_note": q.note,
        "tasks": items,
    });
    if !text {
        return (v, String::new());
    }
    let mut text = format!("queue of {}", spool.microscope);
    match &worker {
        Some(w) => text.push_str(&format!(" — worker pid {} on {}", w.pid, w.host)),
        None => text.push_str(" — no worker running (start one: squidctl worker)"),
    }
    text.push('\n');
    if q.held {
        text.push_str(&format!(
            "HELD{}: nothing new starts until `squidctl release --queue`\n",
            q.note
                .as_deref()
                .map(|n| format!(" ({})", crate::human::clip(n, 200)))
                .unwrap_or_default()
        ));
    }
    if rows.is_empty() {
        text.push_str("  (no tasks)\n");
    } else {
        text.push_str(&table(
            &["ID", "STATE", "PRI", "LABEL", "START", "END", "NOTE"],
            &rows,
        ));
    }
    (v, text)
}

/// The widest a table cell is shown (a longer label or note is cut, with `…`).
const CELL: usize = 80;

/// Columns padded to their widest cell; the last is left ragged. Cells are cut to [`CELL`]
/// characters, so no one's label can make a listing unreadable (or its padding overflow).
pub fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let clip = |c: &str| crate::human::clip(&c.replace(['\n', '\r', '\t'], " "), CELL).into_owned();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clip(c)).collect())
        .collect();
    let mut w = [0usize; N];
    for (i, h) in head.iter().enumerate() {
        w[i] = h.chars().count();
    }
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i + 1 < N {
                let pad = w[i].saturating_sub(c.chars().count()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(head.to_vec());
    for r in &rows {
        out.push_str(&line(r.iter().map(|c| c.as_str()).collect()));
    }
    out
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

/// One task whole: what `show --json` prints and `GET /v1/tasks/ID` returns.
pub fn task_json(spool: &Spool, t: &Task) -> Value {
    json!({
        "id": t.spec.id,
        "microscope": spool.microscope,
        "task_dir": spool.task_dir(t.spec.id),
        "spec": t.spec,
        "status": t.status,
        "run": run_record(t),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_cell_of_any_length_never_panics_and_is_cut() {
        let long = "x".repeat(70_000);
        let t = table(
            &["ID", "LABEL", "NOTE"],
            &[
                ["1".into(), long.clone(), "ok".into()],
                ["2".into(), "short\nwith a newline".into(), long],
            ],
        );
        assert!(t.lines().count() == 3, "{t}");
        assert!(t.lines().all(|l| l.chars().count() < 200), "{t}");
        assert!(t.contains('…'));
        // Columns still line up.
        let at: Vec<usize> = t.lines().map(|l| l.find("ok").unwrap_or(0)).collect();
        assert!(at[1] > 80, "{t}");
    }
}
