//! The life of one run, whoever asks for it (`acquire`, `resume`, `simulate`, and the queue
//! worker to come): take the microscope lock, open the devices, create or reopen the run
//! directory, start the savers, run, record the outcome. Driven by plain [`Settings`], not
//! command-line types; it returns an outcome or a [`Refusal`] and prints no report.

pub mod lock;
mod prepare;
pub mod resume;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::WallTime;
use crate::exit::Exit;
use crate::hardware::{self, BuildOptions};
use crate::human;
use crate::microscope::MicroscopeConfig;
use crate::plan::Plan;
use crate::protocol::LoadedProtocol;
use crate::run_dir::journal::Record;
use crate::run_dir::{self, Records, RunDir, RunState, Subscriber};
use crate::runner::{self, Cancel, RunInput, RunOutcome, Stats, Tick, deadlines::Deadlines};
use crate::saver::{Coordinates, PoolConfig, SaverPool};

pub use prepare::{CopyError, standalone_copy, write_record};
pub use resume::ResumeState;

/// A protocol checked against its microscope and expanded.
pub struct Loaded {
    pub protocol: LoadedProtocol,
    pub microscope: MicroscopeConfig,
    pub plan: Plan,
}

impl Loaded {
    /// Check `protocol` against `microscope` and expand it into its plan.
    pub fn new(
        protocol: LoadedProtocol,
        microscope: MicroscopeConfig,
    ) -> Result<Loaded, crate::diagnostic::Diagnostics> {
        let plan = Plan::build(&protocol, &microscope)?;
        Ok(Loaded {
            protocol,
            microscope,
            plan,
        })
    }
}

/// Why a run makes images: the log line and nothing else depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Acquire,
    Simulate,
}

/// How one run is carried out, whoever asked for it.
#[derive(Clone)]
pub struct Settings {
    pub purpose: Purpose,
    /// Override the simulator's time scale.
    pub time_scale: Option<f64>,
    /// Start even when the disk looks too small.
    pub force: bool,
    /// Saver threads, frames queued, and memory queued (`None`: from the machine).
    pub savers: Option<usize>,
    pub queue_frames: Option<usize>,
    pub queue_memory: Option<u64>,
    /// Take the microscope's lock, waiting as `--wait-lock` says; `None`: no lock (dry runs).
    pub lock: Option<lock::Wait>,
    /// Asked at every safe point: the queue's pause, cancel and hold conditions.
    pub gate: Option<Arc<dyn crate::runner::safe_point::Gate>>,
    /// Told every record of the run as it is emitted, on the emitting thread (the queue).
    pub listeners: Vec<Arc<dyn Subscriber>>,
}

/// A run that did not start: the exit a command gives, and the message saying why.
#[derive(Debug)]
pub struct Refusal {
    pub exit: Exit,
    pub message: String,
}

impl Refusal {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Refusal {
            exit,
            message: message.into(),
        }
    }
}

/// A run that started, however it ended.
pub struct Finished {
    pub outcome: RunOutcome,
    pub run_dir: Option<RunDir>,
}

/// Watches a run as it goes (a progress display, the queue's status).
pub trait Observer {
    /// The run begins: its savers queue at most `queue_capacity` frames.
    fn started(&mut self, _plan: &Arc<Plan>, _queue_capacity: u64, _estimate_s: f64) {}
    /// The run directory exists (after the lock, before the first frame).
    fn run_dir(&mut self, _root: &std::path::Path) {}
    /// About every runner tick.
    fn tick(&mut self, _tick: &Tick<'_>) {}
    /// A record of the run (not per frame or file: the counts carry those), on the thread
    /// that calls `tick`, before the tick that follows it.
    fn record(&mut self, _record: &Record) {}
    /// The run has ended; nothing more will come.
    fn finished(&mut self) {}
}

/// Hands the run's records to the observer's thread; per-frame records stay behind.
struct Forward(crossbeam_channel::Sender<Record>);

impl Subscriber for Forward {
    fn record(&self, r: &Record) {
        if !matches!(r, Record::Frame(_) | Record::Coord(_) | Record::File(_)) {
            let _ = self.0.send(r.clone());
        }
    }
}

/// An observer that watches nothing.
pub struct Unobserved;
impl Observer for Unobserved {}

/// Where a run's output goes.
pub enum Target {
    /// A dry run that keeps no images.
    Discard,
    /// A new run directory under this parent.
    New(PathBuf),
    /// Continue an interrupted run in its own directory.
    Resume(Box<ResumeState>),
}

/// The whole life of one run: lock, devices, run directory, savers, run, record. Refuses
/// (with the exit a command should give) before anything is acquired, else returns how the
/// run ended; never prints a report or exits the process.
pub fn run(
    l: &Loaded,
    target: Target,
    settings: &Settings,
    observer: &mut dyn Observer,
) -> Result<Finished, Refusal> {
    let plan = Arc::new(l.plan.clone());
    let started = WallTime::now();
    if l.microscope.builtin {
        tracing::info!(
            "using the built-in simulated microscope (give --microscope FILE or set SQUIDCTL_MICROSCOPE for another)"
        );
    }
    // Where the time before the first frame goes, at -v.
    let t0 = std::time::Instant::now();
    let took = |what: &str| {
        tracing::debug!("{what} after {:.0} ms", t0.elapsed().as_secs_f64() * 1000.0);
    };

    // One run per microscope: take its lock before touching anything.
    let lock = match settings.lock {
        None => None,
        Some(wait) => Some(Arc::new(std::sync::Mutex::new(lock::take(
            l, &target, wait,
        )?))),
    };
    // An emergency stop holds until someone resets it: no run starts under it.
    if lock.is_some()
        && let Some(e) = crate::instrument::dir(&l.microscope.desc.name)
            .ok()
            .and_then(|d| crate::instrument::estop::latched(&d))
    {
        return Err(Refusal::new(
            Exit::Busy,
            crate::instrument::estop::refusal(&e),
        ));
    }
    let records = Records::new(None);
    records.subscribe(runner::log_lines::LogLines::new(plan.clone()));
    for s in &settings.listeners {
        records.subscribe(s.clone());
    }
    let (forward, heard) = crossbeam_channel::unbounded();
    records.subscribe(Arc::new(Forward(forward)));
    let microscope = open_devices(
        l,
        &plan,
        &target,
        settings,
        lock.as_deref(),
        &records,
        &took,
    )?;
    let scale = microscope.clock.scale();
    let deadlines = deadlines_for(l, &plan, scale);
    // Whoever finds the microscope busy learns which run holds it, from before its start record.
    let name_run = |root: &Path| {
        if let Some(lk) = &lock {
            lk.lock()
                .unwrap_or_else(|p| p.into_inner())
                .set_owner(run_dir::lock::owner_text("run", root));
        }
    };
    let (prepared, mut carried) =
        prepare_dir(l, &plan, &target, settings, &started, &records, &name_run)?;
    if let Target::Resume(state) = &target {
        // The schedule goes on from where it was: the gap counts as time passed.
        carried.schedule_origin_s = -(state.clock_s + state.gap_s * scale);
    }
    took("run directory prepared");
    let mut saver_config = PoolConfig::default_for(plan.frame.bytes());
    saver_config.save_deadline = deadlines.save();
    saver_config.faults = save_faults(&l.microscope);
    let (savers, done_filter, queue_capacity) = match &prepared {
        Some(p) => {
            let (pool, done, capacity) = start_savers(
                p,
                &plan,
                &target,
                settings,
                &started,
                saver_config,
                &records,
            )?;
            took("savers started");
            (Some(pool), done, capacity)
        }
        None => (None, None, 0),
    };
    tracing::info!(
        "{} `{}`: {} frames in {} FOVs{}",
        match (&target, settings.purpose) {
            (Target::Resume(_), _) => "resuming",
            (_, Purpose::Simulate) => "simulating",
            (_, Purpose::Acquire) => "acquiring",
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
    if let Some(rd) = &run_dir {
        observer.run_dir(&rd.root);
    }
    let Carried {
        initial_focus,
        known_focus,
        schedule_origin_s,
        prior,
    } = carried;
    let cancel = Arc::new(Cancel::default());
    let input = RunInput {
        plan: plan.clone(),
        microscope,
        savers,
        records: records.clone(),
        run_dir: run_dir.clone(),
        deadlines,
        cancel: cancel.clone(),
        stats: Arc::new(Stats::default()),
        done: done_filter,
        initial_focus,
        known_focus,
        schedule_origin_s,
        run_start_unix: started.unix_s,
        // Every safe point (before each FOV's first move) checks the lock too, so no FOV
        // starts while another run holds the microscope.
        gate: match &lock {
            Some(lk) => Some(Arc::new(lock::LockGate {
                lock: lk.clone(),
                cancel: cancel.clone(),
                records: records.clone(),
                inner: settings.gate.clone(),
            }) as Arc<dyn crate::runner::safe_point::Gate>),
            None => settings.gate.clone(),
        },
    };
    let mut last_beat = std::time::Instant::now();
    let mut beat = prepared.as_ref().map(|p| (p.rd.clone(), p.record.clone()));
    observer.started(
        &plan,
        queue_capacity,
        plan.estimate(
            &crate::hardware::timing(&l.microscope),
            crate::saver::layout::footprint(&plan),
        )
        .duration_s,
    );
    let outcome = runner::run(input, |tick| {
        for r in heard.try_iter() {
            observer.record(&r);
        }
        observer.tick(tick);
        // Two stat calls: cheap enough for every tick, so a deleted lock is made again
        // before another run can slip in.
        if let Some(l) = &lock {
            lock::check_shared(l, &cancel, &records);
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
    for r in heard.try_iter() {
        observer.record(&r);
    }
    observer.finished();
    Ok(match prepared {
        Some(p) => record_end(p, &plan, prior.as_ref(), outcome),
        None => Finished {
            outcome,
            run_dir: None,
        },
    })
}

/// Open the devices (a dry run's become the simulator's), making sure first that the lock is
/// still ours.
fn open_devices(
    l: &Loaded,
    plan: &Plan,
    target: &Target,
    settings: &Settings,
    lock: Option<&std::sync::Mutex<run_dir::lock::MicroscopeLock>>,
    records: &Records,
    took: &dyn Fn(&str),
) -> Result<hardware::Microscope, Refusal> {
    // A channel at 0 % lights nothing: its source needs no getting ready (the simulator
    // would build a texture no frame shows).
    let mut sources: Vec<String> = plan
        .channels
        .iter()
        .filter(|c| c.intensity_pct > 0.0)
        .map(|c| c.source.clone())
        .collect();
    sources.sort();
    sources.dedup();
    let opts = BuildOptions {
        time_scale: settings.time_scale,
        skip_images: matches!(target, Target::Discard),
        sources: Some(sources),
        stage_at: None,
    };
    // A dry run never touches hardware: its devices become the simulator's.
    let simulated;
    let config = if matches!(settings.purpose, Purpose::Simulate) && l.microscope.has_real_devices()
    {
        tracing::info!(
            "simulating {} ({}) on the simulator: no real device is opened",
            l.microscope.desc.name,
            l.microscope.desc.drivers_summary()
        );
        simulated = l.microscope.for_simulation();
        &simulated
    } else {
        &l.microscope
    };
    // Still ours before the first device command (a lock file deleted and taken by another
    // run since must stop this one before it touches anything).
    if let Some(lk) = lock {
        let early = Cancel::default();
        lock::check_shared(lk, &early, records);
        if let Some((exit, why)) = early.internal_stop() {
            return Err(Refusal { exit, message: why });
        }
    }
    took("microscope lock taken");
    let fail = |message: String| {
        Err(Refusal {
            exit: Exit::Failed,
            message,
        })
    };
    match crate::supervisor::panics::catch(|| hardware::build(config, &opts)) {
        Ok(Ok(m)) => {
            took("devices opened");
            Ok(m)
        }
        Ok(Err(e)) => fail(format!("cannot open the microscope: {e}")),
        Err(p) => fail(format!("cannot open the microscope: driver {p}")),
    }
}

/// Every step's deadline, from the microscope's timing, its travel and the protocol's timeouts.
fn deadlines_for(l: &Loaded, plan: &Plan, scale: f64) -> Deadlines {
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
    Deadlines::new(
        l.microscope.timing(),
        travel,
        scale,
        plan.timeouts.clone(),
        plan.autofocus.clone(),
        af_exposure,
    )
}

/// What a resumed run carries over from its earlier sessions.
#[derive(Default)]
struct Carried {
    initial_focus: HashMap<u32, f64>,
    known_focus: HashMap<(u32, u32, u32), f64>,
    schedule_origin_s: f64,
    prior: Option<run_dir::Counts>,
}

/// Make the new run's directory, or reopen the interrupted one; none for a dry run. The
/// caller sets a resumed schedule's origin, which needs the opened clock.
fn prepare_dir(
    l: &Loaded,
    plan: &Arc<Plan>,
    target: &Target,
    settings: &Settings,
    started: &WallTime,
    records: &Records,
    name_run: &dyn Fn(&Path),
) -> Result<(Option<prepare::Prepared>, Carried), Refusal> {
    let mut prepared = None;
    let mut initial_focus = HashMap::new();
    let mut known_focus = HashMap::new();
    let mut prior = None;
    match target {
        Target::Discard => {}
        Target::New(parent) => {
            prepared = Some(prepare::new_run(
                l,
                settings.force,
                parent,
                plan,
                started,
                records,
                name_run,
            )?);
        }
        Target::Resume(state) => {
            prepared = Some(prepare::resumed_run(state, plan, started, records)?);
            initial_focus = state.focus.clone();
            known_focus = state.focused.clone();
            prior = Some(state.record.counts.clone());
        }
    }
    Ok((
        prepared,
        Carried {
            initial_focus,
            known_focus,
            schedule_origin_s: 0.0,
            prior,
        },
    ))
}

/// The microscope's scripted `call: save` faults, for the savers (the devices take the rest).
fn save_faults(m: &MicroscopeConfig) -> Option<Arc<crate::hardware::faults::FaultInjector>> {
    let specs: Vec<_> = crate::hardware::faults::specs(m)
        .ok()?
        .into_iter()
        .filter(|s| s.call == crate::hardware::CallKind::Save)
        .collect();
    (!specs.is_empty()).then(|| Arc::new(crate::hardware::faults::FaultInjector::new(specs)))
}

/// The saver pool and its sink, what a resumed run skips, and the pool's queue length.
type Started = (
    (SaverPool, crate::saver::Sink),
    Option<runner::DoneFilter>,
    u64,
);

/// The output's metadata, coordinates.csv and the saver pool; for a resumed run also what is
/// already done (skipped) and the files a killed session left, made whole from the journal.
fn start_savers(
    p: &prepare::Prepared,
    plan: &Arc<Plan>,
    target: &Target,
    settings: &Settings,
    started: &WallTime,
    mut cfg: PoolConfig,
    records: &Arc<Records>,
) -> Result<Started, Refusal> {
    let refuse = |exit: Exit, message: String| Err(Refusal { exit, message });
    let mut done_filter = None;
    // A resumed run keeps the start it was given (OME-XML dates, the plate's acquisition).
    let run_started = match &target {
        Target::Resume(state) => state.record.started.clone(),
        _ => started.rfc3339(),
    };
    let layout = crate::saver::layout::for_plan(plan, p.rd.root.clone(), &run_started);
    if let Err(e) = layout.begin() {
        return refuse(
            Exit::OutputError,
            format!(
                "cannot write the image store's metadata in {}: {e}",
                p.rd.root.display()
            ),
        );
    }
    if let Target::Resume(state) = &target {
        let done = state.done.clone();
        let layout = layout.clone();
        done_filter = Some(
            Arc::new(move |ev: &crate::plan::Event| done.contains(&layout.key(ev)))
                as runner::DoneFilter,
        );
    }
    if let Target::Resume(state) = &target {
        // What a killed session left is made whole from the journal before going on.
        if let Err(e) = crate::saver::coordinates::rebuild(&p.rd.root, plan, &state.journal) {
            return refuse(
                Exit::OutputError,
                format!("cannot rebuild coordinates.csv from the journal: {e}"),
            );
        }
    }
    let coords = match Coordinates::new(p.rd.root.clone(), plan.clone(), Some(records.clone())) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            return refuse(
                Exit::OutputError,
                format!("cannot write coordinates.csv: {e}"),
            );
        }
    };
    if let Some(n) = settings.savers {
        cfg.savers = n.max(1);
    }
    if let Some(n) = settings.queue_frames {
        cfg.capacity = n.max(1);
    }
    if let Some(b) = settings.queue_memory {
        cfg.capacity = cfg
            .capacity
            .min((b / plan.frame.bytes().max(1)).max(1) as usize);
    }
    let file_records = records.clone();
    let on_file: crate::saver::OnFile =
        Arc::new(move |f| file_records.emit(Record::File(f.clone())));
    let rd_reserve = p.rd.clone();
    let on_failure: Box<dyn FnOnce() + Send> = Box::new(move || rd_reserve.release_reserve());
    let pool = match SaverPool::start(layout, &cfg, on_file, coords, Some(on_failure)) {
        Ok(pool) => pool,
        Err(e) => return refuse(Exit::Failed, format!("cannot start the savers: {e}")),
    };
    tracing::info!(
        "run directory {} ({} saver{}, queue of {} frame{})",
        p.rd.root.display(),
        cfg.savers,
        if cfg.savers == 1 { "" } else { "s" },
        cfg.capacity,
        if cfg.capacity == 1 { "" } else { "s" }
    );
    Ok((pool, done_filter, cfg.capacity as u64))
}

/// The run's record at its end: counts (a resumed run's add up over its sessions), state,
/// reason and exit; `.done` when it completed.
fn record_end(
    p: prepare::Prepared,
    plan: &Arc<Plan>,
    prior: Option<&run_dir::Counts>,
    mut outcome: RunOutcome,
) -> Finished {
    let (rd, mut rec) = (p.rd, p.record);
    rd.release_reserve();
    if let Some(prior) = prior {
        let c = &mut outcome.counts;
        c.acquired += prior.acquired;
        c.retries += prior.retries;
        c.failed += prior.failed;
        c.autofocus_runs += prior.autofocus_runs;
        c.backpressure_waits += prior.backpressure_waits;
        c.backpressure_s += prior.backpressure_s;
        let journal = run_dir::journal::read(&rd.path(run_dir::JOURNAL)).unwrap_or_default();
        let layout = crate::saver::layout::for_plan(plan, rd.root.clone(), &rec.started);
        c.saved = crate::saver::verify::saved_planes(&journal, layout.as_ref());
        // Rows of places acquired again replace the earlier session's.
        if let Err(e) = crate::saver::coordinates::rebuild(&rd.root, plan, &journal) {
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
    Finished {
        outcome,
        run_dir: Some(rd),
    }
}
