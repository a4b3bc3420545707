//! `squidctl wait ID…` and `squidctl events`: following the queue from a script.

use std::io::Write;
use std::time::Duration;

use serde_json::json;

use super::queue::{spool_fail, spool_of};
use crate::cli::{EventsArgs, WaitArgs};
use crate::exit::Exit;
use crate::queue::events;
use crate::queue::spool::Spool;

const POLL: Duration = Duration::from_millis(200);

/// Wait until every task has ended; the exit is the first non-zero task exit code in the
/// order given (0 when all completed), or 124 after `timeout`.
pub fn wait_for(spool: &Spool, ids: &[u64], timeout: Option<Duration>, json: bool) -> Exit {
    let sts = match spool.wait_ended(ids, timeout) {
        Ok(s) => s,
        Err(e) => return spool_fail(e),
    };
    if !sts.iter().all(|s| s.state.terminal()) {
        tracing::error!(
            "the tasks had not ended after {:?}",
            timeout.unwrap_or_default()
        );
        if json {
            super::print_json(&json!({"timeout": true, "tasks": ids}));
        }
        return Exit::WaitTimeout;
    }
    let mut exit = Exit::Completed;
    for (id, st) in ids.iter().zip(&sts) {
        let code = st.exit_code.unwrap_or(1);
        if json {
            super::print_json(&json!({
                "task": id, "state": st.state, "exit_code": code,
                "run_dir": st.run_dir, "note": st.note,
            }));
        } else {
            eprintln!(
                "task {id}: {} (exit {code}){}",
                st.state.name(),
                st.run_dir
                    .as_ref()
                    .map(|r| format!(" in {}", r.display()))
                    .unwrap_or_default()
            );
        }
        if exit == Exit::Completed && code != 0 {
            exit = Exit::from_code(code).unwrap_or(Exit::Failed);
        }
    }
    exit
}

pub fn wait(a: &WaitArgs) -> Exit {
    let refs: Vec<&crate::cli::TaskRef> = a.ids.iter().collect();
    let ids: Vec<u64> = a.ids.iter().map(|r| r.id).collect();
    match spool_of(&a.target, &refs) {
        Ok(s) => wait_for(&s, &ids, a.timeout.map(|d| d.std()), a.target.json),
        Err(e) => e,
    }
}

pub fn events(a: &EventsArgs) -> Exit {
    let spool = match spool_of(&a.target, &a.task.iter().collect::<Vec<_>>()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let task = a.task.as_ref().map(|t| t.id);
    let path = spool.events_path();
    let mut offset = 0;
    let mut since = a.since;
    let mut out = std::io::stdout().lock();
    loop {
        let (evs, next) = match events::read_from(&path, offset, since) {
            Ok(x) => x,
            Err(e) => {
                tracing::error!("cannot read {}: {e}", path.display());
                return Exit::Failed;
            }
        };
        offset = next;
        for e in evs {
            since = since.max(e.seq);
            if task.is_some_and(|t| e.task != Some(t)) {
                continue;
            }
            let line = if a.target.json {
                serde_json::to_string(&e).unwrap_or_default()
            } else {
                event_line(&e)
            };
            // A reader that went away (`| head`) ends us quietly.
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return Exit::Completed;
            }
        }
        if !a.follow {
            return Exit::Completed;
        }
        std::thread::sleep(POLL);
    }
}

/// `04:02:50  #41  task 2  progress  t=0 well=A1 fov=0 frames=4 …`
fn event_line(e: &events::Event) -> String {
    let w = crate::clock::WallTime::from_unix(e.unix);
    let (kind, fields) = e.event.parts().unwrap_or_default();
    let mut s = format!(
        "{:02}:{:02}:{:02}  #{:<5} {:<8} {}",
        w.hour,
        w.minute,
        w.second,
        e.seq,
        e.task.map_or(String::new(), |t| format!("task {t}")),
        kind
    );
    for (k, v) in &fields {
        let v = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if n.as_u64().is_none() && n.as_i64().is_none() => format!("{f:.1}"),
                _ => n.to_string(),
            },
            serde_json::Value::Object(o) if o.contains_key("user") => format!(
                "{}@{}",
                o["user"].as_str().unwrap_or("?"),
                o.get("host").and_then(|h| h.as_str()).unwrap_or("?")
            ),
            other => other.to_string(),
        };
        s.push_str(&format!("  {k}={v}"));
    }
    s
}
