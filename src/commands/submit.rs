//! `squidctl submit FILE`: check a protocol against its microscope now and queue a snapshot
//! of it (overrides applied, positions CSV copied), so what runs at 3 a.m. is what was
//! checked at 6 p.m.

use serde_json::json;

use super::queue::{spool_fail, spool_for};
use crate::cli::{ProtocolInput, SubmitArgs};
use crate::exit::Exit;
use crate::queue::spool::TASK_PROTOCOL;
use crate::queue::submit::{Refused, Request, submit};
use crate::queue::task::Submitter;

pub fn run(a: &SubmitArgs) -> Exit {
    let spool = match spool_for(a.input.microscope.as_deref()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    // Dependencies and `--again` name tasks of this microscope's queue.
    let named = a.again.iter().chain(&a.after).chain(&a.after_ok);
    if let Some(other) = named.clone().find(|r| {
        r.microscope
            .as_ref()
            .is_some_and(|m| *m != spool.microscope)
    }) {
        tracing::error!(
            "task {other} is not on the queue of `{}`, which this submits to; a task can only follow or repeat tasks of its own microscope (name that microscope with --microscope FILE)",
            spool.microscope
        );
        return Exit::Invalid;
    }
    let ids = |v: &[crate::cli::TaskRef]| v.iter().map(|r| r.id).collect::<Vec<u64>>();
    // `--again ID`: the snapshot as it was queued, in the directory it was queued from.
    let method = match &a.method {
        Some(name) => match crate::queue::methods::protocol_path(&spool, name) {
            Ok(p) => Some((name.clone(), p)),
            Err(f) => {
                crate::fault::remember(&f);
                tracing::error!("{}", f.message);
                return Exit::Invalid;
            }
        },
        None => None,
    };
    let (file, input, cwd, again) = match a.again.as_ref().map(|r| r.id) {
        Some(id) => match spool.spec(id) {
            Ok(old) => (
                spool.task_dir(id).join(TASK_PROTOCOL).display().to_string(),
                ProtocolInput {
                    microscope: a.input.microscope.clone(),
                    sets: a.input.sets.clone(),
                },
                old.cwd.clone(),
                Some(old),
            ),
            Err(e) => return spool_fail(e),
        },
        None => (
            method
                .as_ref()
                .map(|(_, p)| p.display().to_string())
                .or(a.file.clone())
                .unwrap_or_default(),
            a.input.clone(),
            std::env::current_dir().unwrap_or_default(),
            None,
        ),
    };
    let l = match super::load(&file, &input) {
        Ok(l) => l,
        Err(d) => return super::invalid(&d),
    };
    let label = a
        .label
        .clone()
        .or_else(|| again.as_ref().and_then(|o| o.label.clone()));
    let protocol_file = match &again {
        Some(o) => o.protocol_file.clone(),
        None if method.is_some() => file.clone(),
        None if file == "-" => "<stdin>".into(),
        None => std::path::absolute(&file)
            .map(|p| p.display().to_string())
            .unwrap_or(file.clone()),
    };
    let sets = match &again {
        Some(o) => o.sets.iter().chain(&a.input.sets).cloned().collect(),
        None => a.input.sets.clone(),
    };
    let req = Request {
        protocol_file,
        sets,
        cwd,
        label,
        priority: a.priority,
        at: a.at.clone(),
        expires: a.expires.clone(),
        after: ids(&a.after),
        after_ok: ids(&a.after_ok),
        retries: a.retries,
        held: a.hold.then(|| "submitted with --hold".to_string()),
        again_of: again.as_ref().map(|o| o.id),
        holder: a.holder.clone(),
        method: method
            .map(|(n, _)| n)
            .or_else(|| again.as_ref().and_then(|o| o.method.clone())),
        output_root: None,
    };
    let task = match submit(&spool, &l, req, Submitter::this_process("cli")) {
        Ok(t) => t,
        Err(Refused::Invalid(field, m)) => {
            let field = match field {
                "output.directory" => field.to_string(),
                flag => format!("--{}", flag.replace('_', "-")),
            };
            tracing::error!("{field}: {m}");
            return Exit::Invalid;
        }
        Err(Refused::Fault(f)) => {
            tracing::error!("{}", f.message);
            return Exit::Invalid;
        }
        Err(Refused::Spool(e)) => return spool_fail(e),
    };
    let id = task.spec.id;
    if a.json {
        super::print_json(&json!({
            "task": id,
            "microscope": spool.microscope,
            "state": task.status.state,
            "task_dir": spool.task_dir(id),
            "estimate_s": task.spec.plan.estimate_s,
        }));
    } else {
        tracing::info!(
            "task {id} submitted to {} ({}; estimate {}){}",
            spool.microscope,
            task.status.state.name(),
            crate::human::duration(task.spec.plan.estimate_s),
            if spool.worker_alive() {
                String::new()
            } else {
                " — no worker is running: start one with `squidctl worker`".into()
            }
        );
        println!("{id}");
    }
    if a.wait {
        return super::wait::wait_for(&spool, &[id], None, a.json);
    }
    Exit::Completed
}
