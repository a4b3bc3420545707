//! What a queue listing and a task look like to a reader: the JSON `queue --json`, `show
//! --json` and the HTTP API print alike, and the text table of `squidctl queue`.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::clock::WallTime;
use crate::queue::schedule::{self, Block};
use crate::queue::spool::Spool;
use crate::queue::task::{State, Task};
use crate::run_dir::record::RunRecord;

/// `22:30:05` today, `12-24 22:30` another day.
pub fn when(unix: f64, now: f64) -> String {
    let (w, n) = (WallTime::from_unix(unix), WallTime::from_unix(now));
    if w.date() == n.date() {
        format!("{:02}:{:02}:{:02}", w.hour, w.minute, w.second)
    } else {
        format!("{:02}-{:02} {:02}:{:02}", w.month, w.day, w.hour, w.minute)
    }
}

pub fn run_record(t: &Task) -> Option<RunRecord> {
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

pub fn now() -> f64 {
    WallTime::now().unix_s
}

pub fn label(t: &Task) -> String {
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
    let lease = super::lease::current(spool);
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
            (true, holder) => match (
                schedule::block(t, &states, q.held, lease.as_ref(), now),
                holder,
            ) {
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
