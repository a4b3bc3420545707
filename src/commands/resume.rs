//! `squidctl resume RUN_DIR`: continue an interrupted run in its own directory — keep what
//! the journal proves saved, write again what is incomplete or damaged, and go on.

use super::run::{RunRequest, Target, execute, fail};
use crate::cli::ResumeArgs;
use crate::exit::Exit;
use crate::session::resume::{Resumable, prepare};

pub fn run(args: &ResumeArgs) -> Exit {
    let (loaded, state) = match prepare(&args.run_dir) {
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
