//! What `acquire`, `resume` and `simulate` share on the command side: settings from the
//! command line, a progress display, the report and the JSON line. The run itself is
//! [`crate::session`].

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use super::Loaded;
use crate::cli::{ProgressArgs, SaverArgs};
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::human;
use crate::plan::Plan;
use crate::plan::round::Round;
use crate::protocol::template;
use crate::run_dir::RunDir;
use crate::run_dir::journal::Record;
use crate::runner::{RunOutcome, Tick};
pub use crate::session::Target;
use crate::session::{self, Finished, Observer, Purpose, Settings};

/// What a command asks of one run.
pub struct RunRequest<'a> {
    pub command: &'static str,
    pub loaded: &'a Loaded,
    pub target: Target,
    pub time_scale: Option<f64>,
    pub force: bool,
    pub json: bool,
    pub savers: SaverArgs,
    pub progress: ProgressArgs,
    /// Take the microscope's lock, waiting as `--wait-lock` says.
    pub lock: Option<session::lock::Wait>,
    /// The queue task this run carries out (the worker's `--queue-task`).
    pub queue_task: Option<&'a std::path::Path>,
}

/// The progress lines on the terminal.
struct Progress {
    args: ProgressArgs,
    display: Option<crate::progress::Display>,
}

/// Two observers of one run: the display and the queue.
struct Both<'a>(&'a mut dyn Observer, &'a mut dyn Observer);

impl Observer for Both<'_> {
    fn started(&mut self, plan: &Arc<Plan>, queue_capacity: u64, estimate_s: f64) {
        self.0.started(plan, queue_capacity, estimate_s);
        self.1.started(plan, queue_capacity, estimate_s);
    }
    fn run_dir(&mut self, root: &std::path::Path) {
        self.0.run_dir(root);
        self.1.run_dir(root);
    }
    fn tick(&mut self, tick: &Tick<'_>) {
        self.0.tick(tick);
        self.1.tick(tick);
    }
    fn record(&mut self, r: &Record) {
        self.0.record(r);
        self.1.record(r);
    }
    fn finished(&mut self) {
        self.0.finished();
        self.1.finished();
    }
}

impl Observer for Progress {
    fn started(&mut self, plan: &Arc<Plan>, queue_capacity: u64, estimate_s: f64) {
        self.display = Some(crate::progress::Display::new(
            self.args.progress,
            self.args.progress_interval.std(),
            plan.clone(),
            queue_capacity,
            0,
            estimate_s,
        ));
    }

    fn tick(&mut self, tick: &Tick<'_>) {
        if let Some(d) = self.display.as_mut() {
            d.tick(tick);
        }
    }

    fn record(&mut self, r: &Record) {
        if let Some(d) = self.display.as_mut() {
            d.record(r);
        }
    }

    fn finished(&mut self) {
        if let Some(d) = self.display.as_mut() {
            d.finish();
        }
    }
}

/// Run through the session layer, then report.
pub fn execute(req: RunRequest<'_>) -> Exit {
    let hook = match req.queue_task.map(crate::queue::hook::QueueHook::open) {
        None => None,
        Some(Ok(h)) => Some(h),
        Some(Err(e)) => return fail(req.json, req.command, Exit::Invalid, e.to_string()),
    };
    let settings = Settings {
        purpose: if req.command == "simulate" {
            Purpose::Simulate
        } else {
            Purpose::Acquire
        },
        time_scale: req.time_scale,
        force: req.force,
        savers: req.savers.savers,
        queue_frames: req.savers.queue_frames,
        queue_memory: req.savers.queue_memory,
        lock: req.lock,
        gate: hook
            .clone()
            .map(|h| h as Arc<dyn crate::runner::safe_point::Gate>),
        listeners: hook
            .iter()
            .map(|h| h.clone() as Arc<dyn crate::run_dir::Subscriber>)
            .collect(),
    };
    let mut progress = Progress {
        args: req.progress.clone(),
        display: None,
    };
    let resumed = matches!(req.target, Target::Resume(_));
    let mut queue = hook.map(|h| crate::queue::hook::QueueObserver::new(h, resumed));
    let observer: &mut dyn Observer = match queue.as_mut() {
        Some(q) => &mut Both(&mut progress, q),
        None => &mut progress,
    };
    match session::run(req.loaded, req.target, &settings, observer) {
        Ok(Finished { outcome, run_dir }) => {
            report(
                req.command,
                req.json,
                &req.loaded.plan,
                &outcome,
                run_dir.as_ref(),
            );
            outcome.exit
        }
        Err(r) => fail(req.json, req.command, r.exit, r.message),
    }
}

/// The parent directory runs of this protocol go to: `--output`, else `output.directory`
/// rendered now. A template error is reported (as JSON too) and becomes the exit.
pub fn output_parent(
    l: &Loaded,
    cli: Option<&PathBuf>,
    json: bool,
    command: &str,
) -> Result<PathBuf, Exit> {
    if let Some(p) = cli {
        return Ok(p.clone());
    }
    let vars = l.plan.template_vars(&WallTime::now());
    template::render(&l.plan.output.directory, &vars)
        .map(PathBuf::from)
        .map_err(|m| {
            fail(
                json,
                command,
                Exit::Invalid,
                format!("output.directory: {}", m.replace("\nhelp: ", "; ")),
            )
        })
}

/// The run could not start: say why, and with `--json` the fault (a failure before the
/// first frame is `ACQUISITION_START_FAILED`, an output error its I/O code).
pub fn fail(json: bool, command: &str, exit: Exit, message: String) -> Exit {
    tracing::error!("{message}");
    let fault = crate::fault::first().or_else(|| match exit {
        Exit::Failed => Some(crate::fault::Fault::new(
            crate::fault::Code::StartFailed,
            message.clone(),
        )),
        _ => crate::fault::Fault::from_exit(exit, message.clone()),
    });
    if let Some(f) = &fault {
        crate::fault::remember(f);
    }
    if json {
        super::print_json(&json!({
            "command": command, "state": "failed", "exit_code": exit.code(),
            "reason": message, "fault": fault,
        }));
    }
    exit
}

fn report(command: &str, json: bool, plan: &Plan, o: &RunOutcome, rd: Option<&RunDir>) {
    let c = &o.counts;
    let mut text = String::new();
    let where_ = rd.map_or_else(String::new, |r| format!(" in {}", r.root.display()));
    if o.reason == o.state.name() {
        text.push_str(&format!("\n{}{where_}\n", o.state.name()));
    } else {
        text.push_str(&format!("\n{}: {}{where_}\n", o.state.name(), o.reason));
    }
    let saved = if rd.is_some() {
        format!("{} saved", human::count(c.saved))
    } else {
        "none kept (dry run; --write DIR keeps them)".into()
    };
    text.push_str(&format!(
        "  frames     {} planned, {} acquired, {saved}{}{}\n",
        human::count(c.planned),
        human::count(c.acquired),
        if c.skipped > 0 {
            format!(", {} skipped", human::count(c.skipped))
        } else {
            String::new()
        },
        if c.lost > 0 {
            format!(", {} LOST (acquired but not saved)", human::count(c.lost))
        } else {
            String::new()
        },
    ));
    if c.retries + c.failed + c.skipped_fovs > 0 {
        text.push_str(&format!(
            "  errors     {} retries, {} failed steps, {} FOV visits skipped\n",
            c.retries, c.failed, c.skipped_fovs
        ));
    }
    text.push_str(&format!(
        "  time       {} on the microscope's clock\n",
        human::duration(o.clock_s)
    ));
    for (device, h) in &o.links {
        text.push_str(&format!("  link       {device}: {}\n", h.summary()));
    }
    if let Some(d) = &o.dump_file {
        text.push_str(&format!(
            "  dump       {}\n",
            rd.map_or_else(|| d.clone(), |r| r.path(d).display().to_string())
        ));
    }
    if command == "simulate" {
        text.push_str("  timeline\n");
        for line in timeline(plan, &o.rounds) {
            text.push_str(&format!("    {line}\n"));
        }
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
    if json {
        super::print_json(&json!({
            "command": command,
            "state": o.state,
            "exit_code": o.exit.code(),
            "reason": o.reason,
            "fault": o.fault,
            "run_dir": rd.map(|r| r.root.display().to_string()),
            "counts": c,
            "clock_s": o.clock_s,
            "files": o.files.len(),
            "dump_file": o.dump_file,
            "rounds": o.rounds,
            "links": o.links.iter().map(|(d, h)| json!({"device": d, "health": h})).collect::<Vec<_>>(),
        }));
    }
}

/// The simulated timeline and its totals.
fn timeline(plan: &Plan, rounds: &[Round]) -> Vec<String> {
    let mut out = super::timeline::lines(rounds, rounds.len() as u64, plan.time.interval.secs());
    let total = rounds.last().map_or(0.0, |r| r.end_s);
    let busy: f64 = rounds.iter().map(|r| r.end_s - r.start_s).sum();
    let af: f64 = rounds.iter().map(|r| r.autofocus_s).sum();
    let late = rounds
        .iter()
        .filter(|r| r.late_s > 0.5 && !r.skipped)
        .count();
    let skipped = rounds.iter().filter(|r| r.skipped).count();
    out.push(format!(
        "total {} ({} busy, autofocus {}); {} of {} time points late, {} skipped",
        human::duration(total),
        human::duration(busy),
        human::duration(af),
        late,
        rounds.len(),
        skipped
    ));
    out
}
