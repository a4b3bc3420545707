//! `squidctl acquire FILE`: run a protocol on the microscope.

use crate::cli::AcquireArgs;
use crate::exit::Exit;

use super::run::{RunRequest, execute, output_parent};

pub fn run(args: &AcquireArgs) -> Exit {
    let l = match super::load(&args.file, &args.input) {
        Ok(l) => l,
        Err(d) => return super::invalid(&d),
    };
    let parent = match output_parent(&l, args.output.as_ref(), args.json, "acquire") {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    execute(RunRequest {
        command: "acquire",
        loaded: &l,
        target: super::run::Target::New(parent),
        lock: Some(args.lock.wait()),
        time_scale: None,
        force: args.force,
        json: args.json,
        savers: args.savers.clone(),
        progress: args.progress.clone(),
        queue_task: args.queue_task.as_deref(),
    })
}
