//! What `acquire` and `simulate` share: open the microscope, make the run directory, start
//! the savers, run, record, and report.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;

use super::Loaded;
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::hardware::{self, BuildOptions};
use crate::human;
use crate::plan::Plan;
use crate::plan::round::Round;
use crate::protocol::template;
use crate::run_dir::{self, Counts, Journal, RunDir, RunRecord, RunState};
use crate::runner::{self, Cancel, RunInput, RunOutcome, Stats, deadlines::Deadlines};
use crate::saver::{Coordinates, FileKey, PoolConfig, SaverPool};

/// Where a run's output goes.
pub enum Target {
    /// A dry run that keeps no images.
    Discard,
    /// A new run directory under this parent.
    New(PathBuf),
    /// Continue an interrupted run in its own directory.
    Resume(Box<ResumeState>),
}

/// What `resume` found in the run directory.
pub struct ResumeState {
    pub rd: RunDir,
    pub record: RunRecord,
    /// Files the journal proves saved (present, complete, checksums matching).
    pub done: HashSet<FileKey>,
    /// The last autofocus result of each region, so redone FOVs are focused as before.
    pub focus: HashMap<u32, f64>,
    /// Autofocus results already measured, by (time point, region, FOV): a redone visit
    /// reuses its focus rather than searching again, so its planes come out the same.
    pub focused: HashMap<(u32, u32, u32), f64>,
    /// How far the time-lapse had gone on the microscope's clock when the run stopped.
    pub clock_s: f64,
    /// Wall-clock seconds between the run's last record and now.
    pub gap_s: f64,
    /// The journal as `resume` read it (the run's coordinates are rebuilt from it).
    pub journal: Vec<serde_json::Value>,
    /// Files that will be written again, and why.
    pub redo: Vec<String>,
}

pub struct RunRequest<'a> {
    pub command: &'static str,
    pub loaded: &'a Loaded,
    pub target: Target,
    pub time_scale: Option<f64>,
    pub force: bool,
    pub json: bool,
    pub savers: crate::cli::SaverArgs,
    pub progress: crate::cli::ProgressArgs,
    /// Take the microscope's lock; `Some(wait)` as for `--wait-lock`.
    pub lock: Option<Option<Option<std::time::Duration>>>,
}

/// The parent directory runs of this protocol go to.
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

pub fn fail(json: bool, command: &str, exit: Exit, message: String) -> Exit {
    tracing::error!("{message}");
    if json {
        super::print_json(
            &json!({"command": command, "state": "failed", "exit_code": exit.code(), "reason": message}),
        );
    }
    exit
}

fn write_record(rd: &RunDir, r: &RunRecord) {
    match serde_json::to_vec_pretty(r) {
        Ok(bytes) => {
            if let Err(e) = rd.write_atomic(run_dir::RUN_JSON, &bytes) {
                tracing::warn!("cannot update run.json: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot encode run.json: {e}"),
    }
}

/// Open the microscope, prepare the output, run, record, report.
pub fn execute(req: RunRequest<'_>) -> Exit {
    let l = req.loaded;
    let plan = Arc::new(l.plan.clone());
    let started = WallTime::now();
    if l.microscope.builtin {
        tracing::info!(
            "using the built-in simulated microscope (give --microscope FILE or set SQUIDCTL_MICROSCOPE for another)"
        );
    }
    let fail = |exit: Exit, message: String| fail(req.json, req.command, exit, message);

    // One run per microscope: take its lock before touching anything.
    let mut lock = match req.lock {
        None => None,
        Some(wait) => {
            let where_ = match &req.target {
                Target::Resume(r) => r.rd.root.clone(),
                Target::New(p) => p.clone(),
                Target::Discard => PathBuf::new(),
            };
            match run_dir::lock::acquire(
                &l.microscope.desc.name,
                wait,
                &run_dir::lock::owner_text(&where_),
            ) {
                Ok(lock) => Some(lock),
                Err(run_dir::lock::LockError::Busy { holder, path }) => {
                    return fail(
                        Exit::Busy,
                        format!(
                            "the microscope `{}` is busy ({}; lock {}) — wait for it with --wait-lock [DURATION]",
                            l.microscope.desc.name,
                            holder.replace('\n', ", ").trim_end_matches(", "),
                            path.display()
                        ),
                    );
                }
                Err(run_dir::lock::LockError::Interrupted(sig)) => {
                    return fail(
                        if sig == libc::SIGINT {
                            Exit::Interrupted
                        } else {
                            Exit::Terminated
                        },
                        "cancelled while waiting for the microscope".into(),
                    );
                }
                Err(run_dir::lock::LockError::Io(e, path)) => {
                    return fail(
                        Exit::Failed,
                        format!("cannot take the microscope lock {}: {e}", path.display()),
                    );
                }
            }
        }
    };

    let mut sources: Vec<String> = plan.channels.iter().map(|c| c.source.clone()).collect();
    sources.dedup();
    let opts = BuildOptions {
        time_scale: req.time_scale,
        skip_images: matches!(req.target, Target::Discard),
        sources: Some(sources),
    };
    let microscope = match crate::panics::catch(|| hardware::build(&l.microscope, &opts)) {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return fail(Exit::Failed, format!("cannot open the microscope: {e}")),
        Err(p) => {
            return fail(
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

    let mut prepared = None;
    let mut done_filter = None;
    let mut initial_focus = HashMap::new();
    let mut known_focus = HashMap::new();
    let mut schedule_origin_s = 0.0;
    let mut prior = None;
    match req.target {
        Target::Discard => {}
        Target::New(ref parent) => match new_run(&req, parent, &plan, &started) {
            Ok(p) => prepared = Some(p),
            Err((exit, message)) => return fail(exit, message),
        },
        Target::Resume(ref state) => {
            match resumed_run(&req, state, &plan, &started) {
                Ok(p) => prepared = Some(p),
                Err((exit, message)) => return fail(exit, message),
            }
            // The schedule goes on from where it was: the gap counts as time passed.
            schedule_origin_s = -(state.clock_s + state.gap_s * scale);
            initial_focus = state.focus.clone();
            known_focus = state.focused.clone();
            prior = Some(state.record.counts.clone());
        }
    }
    let mut savers = None;
    let mut queue_capacity = 0u64;
    if let Some(p) = &prepared {
        let layout = crate::saver::layout::for_plan(&plan, p.rd.root.clone(), &started.rfc3339());
        if let Target::Resume(state) = &req.target {
            let done = state.done.clone();
            let layout = layout.clone();
            done_filter =
                Some(
                    Arc::new(move |ev: &crate::plan::Event| done.contains(&layout.key(ev)))
                        as runner::DoneFilter,
                );
        }
        if let Target::Resume(state) = &req.target {
            // What a killed session left is made whole from the journal before going on.
            if let Err(e) = crate::saver::coordinates::rebuild(&p.rd.root, &plan, &state.journal) {
                return fail(
                    Exit::OutputError,
                    format!("cannot rebuild coordinates.csv from the journal: {e}"),
                );
            }
        }
        let coords =
            match Coordinates::new(p.rd.root.clone(), plan.clone(), Some(p.journal.clone())) {
                Ok(c) => Some(Arc::new(c)),
                Err(e) => {
                    return fail(
                        Exit::OutputError,
                        format!("cannot write coordinates.csv: {e}"),
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
        let jf = p.journal.clone();
        let on_file: crate::saver::OnFile = Arc::new(move |f| {
            let _ = jf.record("file", serde_json::to_value(f).unwrap_or_default());
        });
        let rd_reserve = p.rd.clone();
        let on_failure: Box<dyn FnOnce() + Send> = Box::new(move || rd_reserve.release_reserve());
        queue_capacity = cfg.capacity as u64;
        match SaverPool::start(layout, &cfg, on_file, coords, Some(on_failure)) {
            Ok(pool) => savers = Some(pool),
            Err(e) => return fail(Exit::Failed, format!("cannot start the savers: {e}")),
        }
        tracing::info!(
            "run directory {} ({} savers, queue of {} frames)",
            p.rd.root.display(),
            cfg.savers,
            cfg.capacity
        );
    }
    tracing::info!(
        "{} `{}`: {} frames in {} FOVs{}",
        match req.command {
            "simulate" => "simulating",
            "resume" => "resuming",
            _ => "acquiring",
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

    let run_dir = prepared.as_ref().map(|p| p.rd.clone());
    let cancel = Arc::new(Cancel::default());
    let input = RunInput {
        plan: plan.clone(),
        microscope,
        savers,
        journal: prepared.as_ref().map(|p| p.journal.clone()),
        run_dir: run_dir.clone(),
        deadlines,
        cancel: cancel.clone(),
        stats: Arc::new(Stats::default()),
        done: done_filter,
        initial_focus,
        known_focus,
        schedule_origin_s,
        run_start_unix: started.unix_s,
    };
    let mut last_beat = std::time::Instant::now();
    let journal = prepared.as_ref().map(|p| p.journal.clone());
    let mut beat = prepared.as_ref().map(|p| (p.rd.clone(), p.record.clone()));
    let mut display = crate::progress::Display::new(
        req.progress.progress,
        req.progress.progress_interval.std(),
        plan.clone(),
        queue_capacity,
        0,
        plan.estimate(&l.microscope.timing()).duration_s,
    );
    let mut outcome = runner::run(input, |tick| {
        display.tick(tick);
        // Two stat calls: cheap enough for every tick, so a deleted lock is made again
        // before another run can slip in.
        if let Some(l) = lock.as_mut() {
            check_lock(l, &cancel, journal.as_deref());
        }
        if last_beat.elapsed() < std::time::Duration::from_secs(2) {
            return;
        }
        last_beat = std::time::Instant::now();
        if let Some((rd, rec)) = beat.as_mut() {
            let now = WallTime::now();
            rec.heartbeat = now.rfc3339();
            rec.heartbeat_unix = now.unix_s;
            rec.counts.acquired = tick
                .stats
                .acquired
                .load(std::sync::atomic::Ordering::Relaxed)
                + prior.as_ref().map_or(0, |c| c.acquired);
            rec.counts.saved = tick.planes_written;
            write_record(rd, rec);
        }
    });
    display.finish();
    if let Some(p) = prepared {
        let (rd, mut rec) = (p.rd, p.record);
        rd.release_reserve();
        if let Some(prior) = &prior {
            let c = &mut outcome.counts;
            c.acquired += prior.acquired;
            c.retries += prior.retries;
            c.failed += prior.failed;
            c.autofocus_runs += prior.autofocus_runs;
            let journal = run_dir::journal::read(&rd.path(run_dir::JOURNAL)).unwrap_or_default();
            c.saved = run_dir::verify::saved_planes(&journal);
            // Rows of places acquired again replace the earlier session's.
            if let Err(e) = crate::saver::coordinates::rebuild(&rd.root, &plan, &journal) {
                tracing::warn!("cannot rebuild coordinates.csv from the journal: {e}");
            }
        }
        let now = WallTime::now();
        rec.state = outcome.state;
        rec.counts = outcome.counts.clone();
        rec.pid = std::process::id();
        rec.ended = Some(now.rfc3339());
        rec.heartbeat = now.rfc3339();
        rec.heartbeat_unix = now.unix_s;
        rec.end_reason = Some(outcome.reason.clone());
        rec.exit_code = Some(outcome.exit.code());
        if let Some(s) = rec.sessions.last_mut() {
            s.ended = Some(now.rfc3339());
            s.state = Some(outcome.state);
        }
        write_record(&rd, &rec);
        if matches!(
            outcome.state,
            RunState::Completed | RunState::CompletedWithErrors
        ) && let Err(e) = rd.write_atomic(run_dir::DONE, b"")
        {
            tracing::warn!("cannot write .done: {e}");
        }
        report(&req, &plan, &outcome, Some(&rd));
    } else {
        report(&req, &plan, &outcome, None);
    }
    outcome.exit
}

/// Keep the microscope lock meaningful: a lock file deleted under us (a tmp cleaner) is made
/// again at once; if another run got there first, this one stops, since two runs must
/// never drive one microscope.
fn check_lock(
    lock: &mut run_dir::lock::MicroscopeLock,
    cancel: &Cancel,
    journal: Option<&Journal>,
) {
    use run_dir::lock::LockCheck;
    match lock.check() {
        LockCheck::Held => {}
        LockCheck::Retaken => {
            tracing::warn!(
                "the lock file {} was deleted while this run held it (a tmp cleaner?); it was made again and is held",
                lock.path.display()
            );
            if let Some(j) = journal {
                let _ = j.record(
                    "lock",
                    json!({"event": "retaken", "path": lock.path.display().to_string()}),
                );
            }
        }
        LockCheck::Lost(who) => {
            let why = format!(
                "the microscope lock {} was deleted while this run held it, and another process now holds it ({who}); stopping so that two runs do not drive one microscope",
                lock.path.display()
            );
            tracing::error!("{why}");
            if let Some(j) = journal {
                let _ = j.record("lock", json!({"event": "lost", "path": lock.path.display().to_string(), "holder": who}));
            }
            cancel.stop_because(Exit::Busy, why);
        }
    }
}

/// The run directory, journal and record of a run in progress.
struct Prepared {
    rd: RunDir,
    journal: Arc<Journal>,
    record: RunRecord,
}

type Refusal = (Exit, String);

fn out_error(rd: &RunDir, what: &str, e: std::io::Error) -> Refusal {
    (
        Exit::OutputError,
        format!("cannot write {what} in {}: {e}", rd.root.display()),
    )
}

/// Set aside the space reserve and send the log into the run directory.
fn claim(rd: &RunDir) -> Result<(), Refusal> {
    if let Err(e) = rd.reserve_space() {
        rd.release_reserve();
        return Err(out_error(rd, "the space reserve", e));
    }
    if let Err(e) = crate::logging::set_log_file(&rd.path(run_dir::LOG)) {
        tracing::warn!("cannot write the log file: {e}");
    }
    Ok(())
}

fn session(started: &WallTime) -> run_dir::record::Session {
    run_dir::record::Session {
        pid: std::process::id(),
        started: started.rfc3339(),
        ended: None,
        state: None,
    }
}

/// Create a new run directory with copies of the protocol and microscope.
fn new_run(
    req: &RunRequest<'_>,
    parent: &Path,
    plan: &Arc<Plan>,
    started: &WallTime,
) -> Result<Prepared, Refusal> {
    let l = req.loaded;
    let estimate = plan.estimate(&l.microscope.timing());
    if let Some((free, at)) = crate::fsutil::free_space(parent)
        && free < estimate.bytes
        && !req.force
    {
        return Err((
            Exit::OutputError,
            format!(
                "the run needs about {} but only {} is free on {} — free space, choose another --output, or pass --force to start anyway",
                human::bytes(estimate.bytes),
                human::bytes(free),
                at.display()
            ),
        ));
    }
    let vars = plan.template_vars(started);
    let name = template::render(&plan.output.run_name, &vars)
        .and_then(|n| crate::plan::names::check_run_name(&n).map(|()| n))
        .map_err(|m| {
            (
                Exit::Invalid,
                format!("output.run_name: {}", m.replace("\nhelp: ", "; ")),
            )
        })?;
    let rd = RunDir::create(parent, &name).map_err(|e| {
        (
            Exit::OutputError,
            format!(
                "cannot create the run directory in {}: {e}",
                parent.display()
            ),
        )
    })?;
    let out_err = |what: &str, e: std::io::Error| out_error(&rd, what, e);
    claim(&rd)?;
    // The copy must stand alone: a positions CSV comes along into the run directory.
    let mut spec = l.protocol.spec.clone();
    if let Some(crate::protocol::schema::PositionsSpec::Csv(csv)) = &spec.positions {
        let from = l.protocol.base_dir.join(csv);
        std::fs::copy(&from, rd.path(run_dir::POSITIONS_COPY))
            .map_err(|e| out_err("the positions CSV", e))?;
        spec.positions = Some(crate::protocol::schema::PositionsSpec::Csv(
            run_dir::POSITIONS_COPY.into(),
        ));
    }
    let protocol_yaml = serde_saphyr::to_string(&spec)
        .map_err(|e| (Exit::Failed, format!("cannot write the protocol copy: {e}")))?;
    let microscope_yaml = serde_saphyr::to_string(&l.microscope.desc).map_err(|e| {
        (
            Exit::Failed,
            format!("cannot write the microscope copy: {e}"),
        )
    })?;
    rd.write_atomic(run_dir::PROTOCOL_COPY, protocol_yaml.as_bytes())
        .map_err(|e| out_err(run_dir::PROTOCOL_COPY, e))?;
    rd.write_atomic(run_dir::MICROSCOPE_COPY, microscope_yaml.as_bytes())
        .map_err(|e| out_err(run_dir::MICROSCOPE_COPY, e))?;
    let journal =
        Arc::new(Journal::open(&rd.path(run_dir::JOURNAL)).map_err(|e| out_err("the journal", e))?);
    let _ = journal.record(
        "start",
        json!({"name": plan.name, "protocol": l.protocol.source.name, "microscope": l.microscope.desc.name,
               "planned_frames": plan.total_frames(), "files": crate::saver::layout::planned_files(plan), "pid": std::process::id(), "coords": true,
               "protocol_crc32": crc32fast::hash(protocol_yaml.as_bytes()),
               "microscope_crc32": crc32fast::hash(microscope_yaml.as_bytes())}),
    );
    let record = RunRecord {
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
        sessions: vec![session(started)],
    };
    write_record(&rd, &record);
    Ok(Prepared {
        rd,
        journal,
        record,
    })
}

/// Reopen an interrupted run: its journal goes on, its record gets a new session.
fn resumed_run(
    req: &RunRequest<'_>,
    state: &ResumeState,
    plan: &Arc<Plan>,
    started: &WallTime,
) -> Result<Prepared, Refusal> {
    let rd = state.rd.clone();
    let out_err = |what: &str, e: std::io::Error| out_error(&rd, what, e);
    claim(&rd)?;
    let journal =
        Arc::new(Journal::open(&rd.path(run_dir::JOURNAL)).map_err(|e| out_err("the journal", e))?);
    let _ = journal.record(
        "resume",
        json!({"pid": std::process::id(), "gap_s": state.gap_s, "from_clock_s": state.clock_s,
               "files_kept": state.done.len(), "redo": state.redo}),
    );
    tracing::info!(
        "resuming after a gap of {}: {} files kept, {} to write again",
        human::duration(state.gap_s),
        state.done.len(),
        state.redo.len()
    );
    for r in &state.redo {
        tracing::info!("  again: {r}");
    }
    let mut record = state.record.clone();
    record.state = RunState::Running;
    record.pid = std::process::id();
    record.ended = None;
    record.end_reason = None;
    record.exit_code = None;
    record.heartbeat = started.rfc3339();
    record.heartbeat_unix = started.unix_s;
    record.counts.planned = plan.total_frames();
    record.sessions.push(session(started));
    let _ = req;
    crate::run_dir::write_atomic(
        &rd.path(run_dir::RUN_JSON),
        &serde_json::to_vec_pretty(&record).unwrap_or_default(),
    )
    .map_err(|e| out_err(run_dir::RUN_JSON, e))?;
    let _ = std::fs::remove_file(rd.path(run_dir::DONE));
    Ok(Prepared {
        rd,
        journal,
        record,
    })
}

fn report(req: &RunRequest<'_>, plan: &Plan, o: &RunOutcome, rd: Option<&RunDir>) {
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
