//! What `acquire` and `simulate` share: open the microscope, make the run directory, start
//! the savers, run, record, and report.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use super::Loaded;
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::hardware::{self, BuildOptions};
use crate::human;
use crate::plan::Plan;
use crate::plan::round::Round;
use crate::protocol::schema::ImageFormat;
use crate::protocol::template;
use crate::run_dir::{self, Counts, Journal, RunDir, RunRecord, RunState};
use crate::runner::{self, Cancel, RunInput, RunOutcome, Stats, deadlines::Deadlines};
use crate::saver::layout::{Layout, OmeTiffLayout, PlainTiffLayout};
use crate::saver::{Coordinates, PoolConfig, SaverPool};

pub struct RunRequest<'a> {
    pub command: &'static str,
    pub loaded: &'a Loaded,
    /// Parent of the run directory; `None` keeps no images (a dry run).
    pub output_parent: Option<PathBuf>,
    pub time_scale: Option<f64>,
    pub force: bool,
    pub json: bool,
    pub savers: crate::cli::SaverArgs,
}

/// The parent directory runs of this protocol go to.
pub fn output_parent(l: &Loaded, cli: Option<&PathBuf>, now: &WallTime) -> Result<PathBuf, String> {
    if let Some(p) = cli {
        return Ok(p.clone());
    }
    let vars = l.plan.template_vars(now);
    template::render(&l.plan.output.directory, &vars).map(PathBuf::from)
}

fn fail(json: bool, command: &str, exit: Exit, message: String) -> Exit {
    tracing::error!("{message}");
    if json {
        super::print_json(
            &json!({"command": command, "state": "failed", "exit_code": exit.code(), "reason": message}),
        );
    }
    exit
}

fn record(rd: &RunDir, r: &RunRecord) {
    match serde_json::to_vec_pretty(r) {
        Ok(bytes) => {
            if let Err(e) = rd.write_atomic(run_dir::RUN_JSON, &bytes) {
                tracing::warn!("cannot update run.json: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot encode run.json: {e}"),
    }
}

fn layout_for(plan: &Arc<Plan>, root: PathBuf, started: &WallTime) -> Arc<dyn Layout> {
    match plan.output.format {
        ImageFormat::OmeTiff => Arc::new(OmeTiffLayout {
            root,
            plan: plan.clone(),
            grouping: plan.output.grouping,
            compression: plan.output.compression,
            bigtiff: plan.output.bigtiff,
            started: started.rfc3339(),
        }),
        ImageFormat::Tiff => Arc::new(PlainTiffLayout {
            root,
            plan: plan.clone(),
            compression: plan.output.compression,
        }),
    }
}

pub fn execute(req: RunRequest<'_>) -> Exit {
    let l = req.loaded;
    let plan = Arc::new(l.plan.clone());
    let started = WallTime::now();
    if l.microscope.builtin {
        tracing::info!(
            "using the built-in simulated microscope (give --microscope FILE or set SQUIDCTL_MICROSCOPE for another)"
        );
    }
    let mut sources: Vec<String> = plan.channels.iter().map(|c| c.source.clone()).collect();
    sources.dedup();
    let opts = BuildOptions {
        time_scale: req.time_scale,
        skip_images: req.output_parent.is_none(),
        sources: Some(sources),
    };
    let microscope = match crate::panics::catch(|| hardware::build(&l.microscope, &opts)) {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => {
            return fail(
                req.json,
                req.command,
                Exit::Failed,
                format!("cannot open the microscope: {e}"),
            );
        }
        Err(p) => {
            return fail(
                req.json,
                req.command,
                Exit::Failed,
                format!("cannot open the microscope: driver {p}"),
            );
        }
    };
    let scale = microscope.clock.scale();
    let af_exposure = plan
        .channels
        .get(plan.autofocus.channel)
        .map_or(0.0, |c| c.exposure.secs());
    let tr = l.microscope.desc.stage.travel;
    let travel = (
        tr.x[1].mm() - tr.x[0].mm(),
        tr.y[1].mm() - tr.y[0].mm(),
        tr.z[1].mm() - tr.z[0].mm(),
    );
    let deadlines = Deadlines::new(
        l.microscope.timing(),
        travel,
        scale,
        plan.timeouts.clone(),
        plan.autofocus.clone(),
        af_exposure,
    );
    let cancel = Arc::new(Cancel::default());
    let stats = Arc::new(Stats::default());
    let run_start_unix = started.unix_s;

    let mut run_dir = None;
    let mut savers = None;
    let mut journal = None;
    let mut base_record = None;
    if let Some(parent) = &req.output_parent {
        let estimate = plan.estimate(&l.microscope.timing());
        if let Some((free, at)) = crate::fsutil::free_space(parent)
            && free < estimate.bytes
            && !req.force
        {
            return fail(
                req.json,
                req.command,
                Exit::OutputError,
                format!(
                    "the run needs about {} but only {} is free on {} — free space, choose another --output, or pass --force to start anyway",
                    human::bytes(estimate.bytes),
                    human::bytes(free),
                    at.display()
                ),
            );
        }
        let vars = plan.template_vars(&started);
        let name = match template::render(&plan.output.run_name, &vars) {
            Ok(n) => n,
            Err(m) => {
                return fail(
                    req.json,
                    req.command,
                    Exit::Invalid,
                    format!("output.run_name: {}", m.replace("\nhelp: ", "; ")),
                );
            }
        };
        let rd = match RunDir::create(parent, &name) {
            Ok(rd) => rd,
            Err(e) => {
                return fail(
                    req.json,
                    req.command,
                    Exit::OutputError,
                    format!(
                        "cannot create the run directory in {}: {e}",
                        parent.display()
                    ),
                );
            }
        };
        if let Err(e) = rd.reserve_space() {
            rd.release_reserve();
            return fail(
                req.json,
                req.command,
                Exit::OutputError,
                format!(
                    "cannot write in the run directory {}: {e}",
                    rd.root.display()
                ),
            );
        }
        if let Err(e) = crate::logging::set_log_file(&rd.path(run_dir::LOG)) {
            tracing::warn!("cannot write the log file: {e}");
        }
        let protocol_yaml = serde_saphyr::to_string(&l.protocol.spec).unwrap_or_default();
        let microscope_yaml = serde_saphyr::to_string(&l.microscope.desc).unwrap_or_default();
        for (file, text) in [
            (run_dir::PROTOCOL_COPY, &protocol_yaml),
            (run_dir::MICROSCOPE_COPY, &microscope_yaml),
        ] {
            if let Err(e) = rd.write_atomic(file, text.as_bytes()) {
                return fail(
                    req.json,
                    req.command,
                    Exit::OutputError,
                    format!("cannot write {} in {}: {e}", file, rd.root.display()),
                );
            }
        }
        let j = match Journal::open(&rd.path(run_dir::JOURNAL)) {
            Ok(j) => Arc::new(j),
            Err(e) => {
                return fail(
                    req.json,
                    req.command,
                    Exit::OutputError,
                    format!("cannot create the journal in {}: {e}", rd.root.display()),
                );
            }
        };
        let _ = j.record(
            "start",
            json!({"name": plan.name, "protocol": l.protocol.source.name, "microscope": l.microscope.desc.name,
                   "planned_frames": plan.total_frames(), "files": plan.file_count(), "pid": std::process::id(),
                   "protocol_crc32": crc32fast::hash(protocol_yaml.as_bytes())}),
        );
        let rec = RunRecord {
            squidctl_version: env!("CARGO_PKG_VERSION").into(),
            state: RunState::Running,
            pid: std::process::id(),
            host: run_dir::record::hostname(),
            name: plan.name.clone(),
            protocol_file: l.protocol.source.name.clone(),
            microscope: l.microscope.desc.name.clone(),
            run_dir: rd.root.display().to_string(),
            started: started.rfc3339(),
            started_unix: started.unix_s,
            heartbeat: started.rfc3339(),
            heartbeat_unix: started.unix_s,
            ended: None,
            counts: Counts {
                planned: plan.total_frames(),
                ..Counts::default()
            },
            end_reason: None,
            exit_code: None,
            sessions: Vec::new(),
        };
        record(&rd, &rec);
        let layout = layout_for(&plan, rd.root.clone(), &started);
        let coords = match Coordinates::new(rd.root.clone(), plan.clone()) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                return fail(
                    req.json,
                    req.command,
                    Exit::OutputError,
                    format!("cannot create coordinates.csv: {e}"),
                );
            }
        };
        let mut cfg = PoolConfig::default_for(plan.frame.bytes());
        cfg.save_deadline = deadlines.save();
        if let Some(n) = req.savers.savers {
            cfg.savers = n.max(1);
        }
        if let Some(n) = req.savers.queue_frames {
            cfg.capacity = n.max(1);
        }
        if let Some(b) = req.savers.queue_memory {
            cfg.capacity = cfg
                .capacity
                .min((b / plan.frame.bytes().max(1)).max(1) as usize);
        }
        let jf = j.clone();
        let on_file: crate::saver::OnFile = Arc::new(move |f| {
            let _ = jf.record("file", serde_json::to_value(f).unwrap_or_default());
        });
        let rd_reserve = rd.clone();
        let on_failure: Box<dyn FnOnce() + Send> = Box::new(move || rd_reserve.release_reserve());
        match SaverPool::start(layout, &cfg, on_file, coords, Some(on_failure)) {
            Ok(p) => savers = Some(p),
            Err(e) => {
                return fail(
                    req.json,
                    req.command,
                    Exit::Failed,
                    format!("cannot start the savers: {e}"),
                );
            }
        }
        tracing::info!(
            "run directory {} ({} savers, queue of {} frames)",
            rd.root.display(),
            cfg.savers,
            cfg.capacity
        );
        run_dir = Some(rd);
        journal = Some(j);
        base_record = Some(rec);
    }
    tracing::info!(
        "{} `{}`: {} frames in {} FOVs{}",
        if req.command == "simulate" {
            "simulating"
        } else {
            "acquiring"
        },
        plan.name,
        human::count(plan.total_frames()),
        human::count(plan.total_fovs()),
        if plan.time.count > 1 {
            format!(
                ", {} time points every {}",
                plan.time.count, plan.time.interval
            )
        } else {
            String::new()
        }
    );

    let input = RunInput {
        plan: plan.clone(),
        microscope,
        savers,
        journal,
        run_dir: run_dir.clone(),
        deadlines,
        cancel,
        stats,
        done: None,
        schedule_origin_s: 0.0,
        run_start_unix,
    };
    let mut last_beat = std::time::Instant::now();
    let rd_beat = run_dir.clone();
    let mut beat_rec = base_record.clone();
    let outcome = runner::run(input, |tick| {
        if last_beat.elapsed() < std::time::Duration::from_secs(2) {
            return;
        }
        last_beat = std::time::Instant::now();
        if let (Some(rd), Some(rec)) = (&rd_beat, beat_rec.as_mut()) {
            let now = WallTime::now();
            rec.heartbeat = now.rfc3339();
            rec.heartbeat_unix = now.unix_s;
            rec.counts.acquired = tick
                .stats
                .acquired
                .load(std::sync::atomic::Ordering::Relaxed);
            rec.counts.saved = tick.planes_written;
            record(rd, rec);
        }
    });
    if let (Some(rd), Some(mut rec)) = (&run_dir, base_record) {
        rd.release_reserve();
        let now = WallTime::now();
        rec.state = outcome.state;
        rec.counts = outcome.counts.clone();
        rec.ended = Some(now.rfc3339());
        rec.heartbeat = now.rfc3339();
        rec.heartbeat_unix = now.unix_s;
        rec.end_reason = Some(outcome.reason.clone());
        rec.exit_code = Some(outcome.exit.code());
        record(rd, &rec);
        if matches!(
            outcome.state,
            RunState::Completed | RunState::CompletedWithErrors
        ) && let Err(e) = rd.write_atomic(run_dir::DONE, b"")
        {
            tracing::warn!("cannot write .done: {e}");
        }
    }
    report(&req, &plan, &outcome, run_dir.as_ref());
    outcome.exit
}

fn report(req: &RunRequest<'_>, plan: &Plan, o: &RunOutcome, rd: Option<&RunDir>) {
    let c = &o.counts;
    let mut text = String::new();
    let where_ = rd.map_or_else(String::new, |r| format!(" in {}", r.root.display()));
    text.push_str(&format!("\n{}: {}{where_}\n", o.state.name(), o.reason));
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
    if let Some(d) = &o.dump_file {
        text.push_str(&format!(
            "  dump       {}\n",
            rd.map_or_else(|| d.clone(), |r| r.path(d).display().to_string())
        ));
    }
    if req.command == "simulate" {
        text.push_str("  timeline\n");
        for line in timeline(plan, &o.rounds) {
            text.push_str(&format!("    {line}\n"));
        }
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
    if req.json {
        super::print_json(&json!({
            "command": req.command,
            "state": o.state,
            "exit_code": o.exit.code(),
            "reason": o.reason,
            "run_dir": rd.map(|r| r.root.display().to_string()),
            "counts": c,
            "clock_s": o.clock_s,
            "files": o.files.len(),
            "dump_file": o.dump_file,
            "rounds": o.rounds,
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
