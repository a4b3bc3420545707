//! `squidctl submit FILE`: check a protocol against its microscope now and queue a snapshot
//! of it (overrides applied, positions CSV copied), so what runs at 3 a.m. is what was
//! checked at 6 p.m.

use serde_json::json;

use super::queue::{spool_fail, spool_for};
use crate::cli::{ProtocolInput, SubmitArgs};
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::queue::spool::{SpoolError, TASK_PROTOCOL};
use crate::queue::task::{PlanSummary, Spec, State, Status, Submitter};
use crate::queue::when;

pub fn run(a: &SubmitArgs) -> Exit {
    let spool = match spool_for(a.input.microscope.as_deref()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    // `--again ID`: the snapshot as it was queued, in the directory it was queued from.
    let (file, input, cwd, again) = match a.again {
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
            a.file.clone().unwrap_or_default(),
            a.input.clone(),
            std::env::current_dir().unwrap_or_default(),
            None,
        ),
    };
    let l = match super::load(&file, &input) {
        Ok(l) => l,
        Err(d) => return super::invalid(&d),
    };
    if let Err(exit) = super::run::output_parent(&l, None, a.json, "submit") {
        return exit;
    }
    let now = WallTime::now();
    let bad = |m: String| {
        tracing::error!("{m}");
        Exit::Invalid
    };
    let at = match a.at.as_deref().map(|s| when::at(s, now.unix_s)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return bad(format!("--at: {e}")),
    };
    let expires = match a.expires.as_deref().map(|s| when::expires(s, now.unix_s)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return bad(format!("--expires: {e}")),
    };
    let known = spool.ids();
    if let Some(d) = a
        .after
        .iter()
        .chain(&a.after_ok)
        .find(|d| !known.contains(d))
    {
        return bad(format!(
            "--after/--after-ok {d}: there is no task {d} in the queue of {}",
            spool.microscope
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
    let label = a
        .label
        .clone()
        .or_else(|| again.as_ref().and_then(|o| o.label.clone()));
    let protocol_file = match &again {
        Some(o) => o.protocol_file.clone(),
        None if file == "-" => "<stdin>".into(),
        None => std::path::absolute(&file)
            .map(|p| p.display().to_string())
            .unwrap_or(file.clone()),
    };
    let sets = match &again {
        Some(o) => o.sets.iter().chain(&a.input.sets).cloned().collect(),
        None => a.input.sets.clone(),
    };
    let created = spool.create(|id, dir| {
        let text = crate::session::standalone_copy(&l, dir).map_err(|e| match e {
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
            protocol_file: protocol_file.clone(),
            sets: sets.clone(),
            cwd: cwd.clone(),
            label: label.clone(),
            at_unix: at,
            expires_unix: expires,
            after: a.after.clone(),
            after_ok: a.after_ok.clone(),
            retries: a.retries,
            created: now.rfc3339(),
            created_unix: now.unix_s,
            submitter: Submitter::this_process("cli"),
            plan: summary.clone(),
            again_of: again.as_ref().map(|o| o.id),
        };
        let (state, why) = if a.hold {
            (State::Held, Some("submitted with --hold".to_string()))
        } else {
            (State::Queued, None)
        };
        Ok((spec, Status::new(state, a.priority, id as f64, why)))
    });
    let (task, _) = match created {
        Ok(t) => t,
        Err(e) => return spool_fail(e),
    };
    let id = task.spec.id;
    if a.json {
        super::print_json(&json!({
            "task": id,
            "microscope": spool.microscope,
            "state": task.status.state,
            "task_dir": spool.task_dir(id),
            "estimate_s": summary.estimate_s,
        }));
    } else {
        tracing::info!(
            "task {id} queued on {} ({}; estimate {}){}",
            spool.microscope,
            task.status.state.name(),
            crate::human::duration(summary.estimate_s),
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
