//! `squidctl resume RUN_DIR`: continue an interrupted run in its own directory — keep what
//! the journal proves saved, write again what is incomplete or damaged, and go on.

use super::run::{RunRequest, Target, execute, fail};
use crate::cli::ResumeArgs;
use crate::exit::Exit;
use crate::session::resume::{Resumable, prepare};

pub fn run(args: &ResumeArgs) -> Exit {
    // One run at a time drives the microscope, and a Ctrl-C must stop the one under way
    // without starting the next: several are a shell loop's job, which the message shows.
    let run_dir = match &args.run_dirs[..] {
        [one] => one,
        several => {
            let msg = format!(
                "resume takes one run directory, and {} were given ({}, {}{}); to continue several one after the other, loop over the same paths: `for d in PATHS; do squidctl resume \"$d\" || break; done` (a complete run answers at once with exit 0)",
                several.len(),
                several[0].display(),
                several[1].display(),
                if several.len() > 2 { ", …" } else { "" }
            );
            return fail(args.json, "resume", Exit::Invalid, msg);
        }
    };
    let (loaded, state) = match prepare(run_dir) {
        Ok(Resumable::Go(go)) => *go,
        Ok(Resumable::Complete) => {
            if args.json {
                super::print_json(
                    &serde_json::json!({"command": "resume", "state": "completed", "exit_code": 0, "reason": "already complete"}),
                );
            }
            return Exit::Completed;
        }
        Err(r) => return fail(args.json, "resume", r.exit, r.message),
    };
    execute(RunRequest {
        command: "resume",
        loaded: &loaded,
        target: Target::Resume(Box::new(state)),
        lock: Some(args.lock.wait()),
        time_scale: None,
        force: true,
        json: args.json,
        savers: args.savers.clone(),
        progress: args.progress.clone(),
        queue_task: args.queue_task.as_deref(),
    })
}
