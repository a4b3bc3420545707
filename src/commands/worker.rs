//! `squidctl worker` (carry out the queue) and `squidctl gc` (forget old ended tasks).

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use serde_json::json;

use super::queue::{spool_fail, spool_for};
use crate::cli::{GcArgs, WorkerArgs};
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::queue::events;
use crate::queue::spool::WorkerInfo;
use crate::queue::task::boot_id;
use crate::queue::worker::{Options, Worker};

pub fn worker(a: &WorkerArgs) -> Exit {
    let spool = match spool_for(a.target.microscope.as_deref()) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let _lock = match spool.claim_worker() {
        Ok(Some(f)) => f,
        Ok(None) => {
            let who = spool
                .worker_info()
                .map(|w| format!(" (pid {} on {})", w.pid, w.host))
                .unwrap_or_default();
            tracing::error!(
                "a worker already serves the queue of {}{who}: one worker per microscope",
                spool.microscope
            );
            return Exit::Busy;
        }
        Err(e) => return spool_fail(e),
    };
    let info = WorkerInfo {
        pid: std::process::id(),
        host: crate::fsutil::hostname(),
        boot_id: boot_id(),
        started: WallTime::now().rfc3339(),
        microscope_file: a
            .target
            .microscope
            .as_ref()
            .map(|m| std::path::absolute(m).unwrap_or(m.clone())),
        check_cmd: a.check_cmd.clone(),
        check_every_s: a.check_every.secs(),
        settle_s: a.settle.secs(),
        check_disk: !a.no_disk_check,
    };
    if let Err(e) = spool.set_worker_info(&info) {
        return spool_fail(e);
    }
    // Signals were blocked in main: one thread takes them and asks the worker to stop.
    let stop = Arc::new(AtomicI32::new(0));
    {
        let stop = stop.clone();
        let _ = crate::supervisor::spawn("signals", move || {
            loop {
                let sig = crate::supervisor::signals::wait_signal();
                if matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP)
                    && stop.swap(sig, Ordering::SeqCst) != 0
                {
                    // Asked twice: leave now; the run gets SIGTERM from the kernel.
                    std::process::exit(128 + sig);
                }
            }
        });
    }
    let _ = spool.emit(vec![
        events::QueueEvent::WorkerStarted {
            pid: info.pid,
            host: info.host.clone(),
            check_cmd: info.check_cmd.clone(),
        }
        .about(None),
    ]);
    tracing::info!(
        "worker for the queue of {} ({}); stop with Ctrl-C or SIGTERM",
        spool.microscope,
        spool.dir.display()
    );
    let mut w = Worker::new(
        spool.clone(),
        Options {
            microscope_file: info.microscope_file.clone(),
            exit_when_empty: a.exit_when_empty,
            on_finish: a.on_finish.clone(),
            hold_on_fail: a.hold_on_fail,
            retry_backoff_s: a.retry_backoff.secs(),
            json: a
                .target
                .json
                .then_some(super::print_json as fn(&serde_json::Value)),
        },
        stop.clone(),
    );
    let r = w.serve();
    let sig = stop.load(Ordering::SeqCst);
    let _ = spool.emit(vec![
        events::QueueEvent::WorkerStopped {
            pid: info.pid,
            signal: (sig != 0).then(|| crate::supervisor::signals::signal_name(sig).into()),
        }
        .about(None),
    ]);
    match r {
        Ok(()) => Exit::Completed,
        Err(e) => spool_fail(e),
    }
}

pub fn gc(a: &GcArgs) -> Exit {
    let spool = match super::queue::spool_of(&a.target, &[]) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let _g = match spool.lock() {
        Ok(g) => g,
        Err(e) => return spool_fail(e),
    };
    let cutoff = WallTime::now().unix_s - a.keep.secs();
    let mut removed = Vec::new();
    for t in spool.tasks() {
        if t.status.state.terminal() && t.status.ended_unix.is_some_and(|e| e < cutoff) {
            if !a.dry_run
                && let Err(e) = std::fs::remove_dir_all(spool.task_dir(t.spec.id))
            {
                tracing::error!("cannot remove task {}: {e}", t.spec.id);
                return Exit::Failed;
            }
            removed.push(t.spec.id);
        }
    }
    // The event log keeps what is younger than the cutoff, and always its last event (its
    // numbering goes on from there).
    let path = spool.events_path();
    let (evs, _) = events::read_from(&path, 0, 0).unwrap_or_default();
    let last = evs.last().map(|e| e.seq);
    let kept: Vec<&events::Event> = evs
        .iter()
        .filter(|e| e.unix >= cutoff || Some(e.seq) == last)
        .collect();
    let dropped = evs.len() - kept.len();
    if !a.dry_run && dropped > 0 {
        let mut text = String::new();
        for e in &kept {
            text.push_str(&serde_json::to_string(e).unwrap_or_default());
            text.push('\n');
        }
        if let Err(e) = crate::fsutil::write_durable(&path, text.as_bytes()) {
            tracing::error!("cannot rewrite {}: {e}", path.display());
            return Exit::Failed;
        }
    }
    if a.target.json {
        super::print_json(
            &json!({"removed_tasks": removed, "dropped_events": dropped, "dry_run": a.dry_run}),
        );
    } else {
        eprintln!(
            "{} {} ended task(s) and {dropped} event(s) older than {}{}",
            if a.dry_run { "would remove" } else { "removed" },
            removed.len(),
            crate::human::duration(a.keep.secs()),
            if removed.is_empty() {
                String::new()
            } else {
                format!(": {removed:?} (their run directories stay)")
            }
        );
    }
    Exit::Completed
}
