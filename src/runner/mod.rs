//! The supervised runner: one acquisition thread doing the plan's steps, a watchdog holding
//! each step to its deadline, a signal thread turning Ctrl-C/SIGTERM into a clean stop, and
//! the saver pool — ending every run with a state and what it acquired safely on disk.

pub mod deadlines;
pub mod log_lines;
pub mod safe_point;
pub mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, unbounded};

use crate::exit::Exit;
use crate::fault::{Code, Fault};
use crate::hardware::Microscope;
use crate::plan::Plan;
use crate::plan::round::Round;
use crate::run_dir::journal::{Record, records};
use crate::run_dir::{Counts, Records, RunDir, RunState};
use crate::saver::{FileDone, SaverPool, Sink};
pub use crate::supervisor::signals::Cancel;
use crate::supervisor::signals::{self, Action};
use crate::supervisor::{dump, watchdog};
use deadlines::Deadlines;
pub use worker::{DoneFilter, Stats};
use worker::{Output, Worker, WorkerEnd};

/// Saving after a hang in the savers themselves, or after a second Ctrl-C, gets this long.
pub const GRACE: Duration = Duration::from_secs(3);

pub struct RunInput {
    pub plan: Arc<Plan>,
    pub microscope: Microscope,
    /// `None`: frames are discarded (a dry run without `--write`).
    pub savers: Option<(SaverPool, Sink)>,
    /// Where the run's records go: the journal and its subscribers.
    pub records: Arc<Records>,
    pub run_dir: Option<RunDir>,
    pub deadlines: Deadlines,
    pub cancel: Arc<Cancel>,
    pub stats: Arc<Stats>,
    pub done: Option<worker::DoneFilter>,
    /// Focus found earlier for each region (a resumed run focuses redone FOVs as before).
    pub initial_focus: std::collections::HashMap<u32, f64>,
    /// Focus already measured at (time point, region, FOV) visits by an earlier session.
    pub known_focus: std::collections::HashMap<(u32, u32, u32), f64>,
    pub schedule_origin_s: f64,
    pub run_start_unix: f64,
    /// Asked at every safe point (the queue's pause, cancel and hold conditions).
    pub gate: Option<Arc<dyn safe_point::Gate>>,
}

pub struct RunOutcome {
    pub state: RunState,
    pub exit: Exit,
    pub reason: String,
    /// Why it did not complete cleanly, for a scheduler (none when it did).
    pub fault: Option<Fault>,
    pub counts: Counts,
    pub rounds: Vec<Round>,
    /// Seconds on the microscope's clock (virtual on the simulator).
    pub clock_s: f64,
    pub files: Vec<FileDone>,
    pub dump_file: Option<String>,
    /// Each device link's counters this session (a serial controller's resends and errors).
    pub links: Vec<(String, crate::hardware::LinkHealth)>,
}

enum Control {
    WorkerDone(WorkerEnd),
    Hung(watchdog::Hang),
    Signal(Action),
}

/// A periodic look at the run (heartbeat, progress display).
pub struct Tick<'a> {
    pub stats: &'a Stats,
    pub planes_written: u64,
    pub bytes_written: u64,
    pub queued: u64,
    pub clock_s: f64,
    /// Wall seconds per second of the microscope's clock (1 on hardware, the simulator's
    /// `time_scale`, 0 when it runs as fast as it can).
    pub clock_scale: f64,
}

pub fn run(input: RunInput, mut on_tick: impl FnMut(&Tick<'_>)) -> RunOutcome {
    let RunInput {
        plan,
        microscope,
        savers,
        records,
        run_dir,
        deadlines,
        cancel,
        stats,
        done,
        initial_focus,
        known_focus,
        schedule_origin_s,
        run_start_unix,
        gate,
    } = input;
    dump::warm_up();
    let (tx, rx) = unbounded::<Control>();
    let clock = microscope.clock.clone();
    let rounds = Arc::new(Mutex::new(Vec::new()));
    let links: Arc<Mutex<worker::LinkWatch>> = Arc::default();
    let dump_files: Arc<Mutex<Vec<String>>> = Arc::default();

    spawn_signal_thread(
        tx.clone(),
        cancel.clone(),
        run_dir.clone(),
        records.clone(),
        dump_files.clone(),
    );
    let stop_watch = Arc::new(AtomicBool::new(false));
    {
        let tx = tx.clone();
        if let Err(e) = watchdog::start(stop_watch.clone(), move |h| {
            // From the watchdog's thread: the hung one may hold the devices' locks.
            crate::supervisor::safety::all_lights_off("a step hung");
            let _ = tx.send(Control::Hung(h));
        }) {
            tracing::error!("cannot start the watchdog: {e}");
        }
    }
    let (pool, sink) = match savers {
        Some((p, s)) => (Some(p), Some(s)),
        None => (None, None),
    };
    let shared = pool.as_ref().map(|p| p.shared.clone());
    let worker = Worker {
        plan: plan.clone(),
        m: microscope,
        output: sink.clone().map_or(Output::Discard, Output::Savers),
        cancel: cancel.clone(),
        records: records.clone(),
        deadlines,
        stats: stats.clone(),
        rounds: rounds.clone(),
        done,
        initial_focus,
        known_focus,
        run_start_unix,
        schedule_origin_s,
        gate,
        links: links.clone(),
    };
    {
        let wtx = tx.clone();
        if let Err(e) = crate::supervisor::spawn("acquisition", move || {
            let end = worker.run();
            let _ = wtx.send(Control::WorkerDone(end));
        }) {
            let _ = tx.send(Control::WorkerDone(WorkerEnd::Aborted(
                format!("cannot start the acquisition thread: {e}"),
                None,
            )));
        }
    }

    // Wait for the end, ticking for the heartbeat and progress display.
    let tick = |on_tick: &mut dyn FnMut(&Tick<'_>)| {
        on_tick(&Tick {
            stats: &stats,
            planes_written: shared
                .as_ref()
                .map_or(0, |s| s.planes_written.load(Ordering::SeqCst)),
            bytes_written: shared
                .as_ref()
                .map_or(0, |s| s.bytes_written.load(Ordering::SeqCst)),
            queued: shared
                .as_ref()
                .map_or(0, |s| s.queued.load(Ordering::SeqCst)),
            clock_s: clock.now_s(),
            clock_scale: clock.scale(),
        })
    };
    let end = wait_for_end(&rx, || tick(&mut on_tick));
    stop_watch.store(true, Ordering::SeqCst);

    let (grace, reason_hang, dump_file, hang_fault) = match &end {
        End::Hung(h) => {
            let (grace, timeout, dump) = record_hang(h, run_dir.as_ref(), &records);
            cancel.on_hang();
            (grace, Some(timeout.summary()), dump, timeout.fault)
        }
        End::Forced => (Some(GRACE), None, None, None),
        End::Worker(_) => (None, None, None, None),
    };
    let report = pool.zip(sink).map(|(p, s)| p.finish(s, grace));
    let acquired = stats.acquired.load(Ordering::SeqCst);
    // Saved means proven saved: in a finished file the journal records, not merely written
    // into a temporary file that could not be finished.
    let saved = report.as_ref().map_or(acquired, |r| r.planes_saved);
    let mut counts = Counts {
        planned: plan.total_frames(),
        acquired,
        saved,
        failed: stats.failed_steps.load(Ordering::SeqCst),
        skipped: stats.skipped_frames.load(Ordering::SeqCst),
        skipped_fovs: stats.skipped_fovs.load(Ordering::SeqCst),
        retries: stats.retries.load(Ordering::SeqCst),
        lost: 0,
        autofocus_runs: stats.autofocus_runs.load(Ordering::SeqCst),
        backpressure_waits: report.as_ref().map_or(0, |r| r.waits),
        backpressure_s: report.as_ref().map_or(0.0, |r| r.waited.as_secs_f64()),
    };
    if report.is_some() {
        counts.lost = acquired.saturating_sub(saved);
    }
    let failure = report.as_ref().and_then(|r| r.failure.clone());
    // An emergency stop's own commands are sent before the run ends. (A board waits for
    // them when it is dropped; a fast stop ends without waiting for the acquisition thread
    // that holds the devices, so that drop may never come.)
    crate::supervisor::safety::settle(Duration::from_secs(3));
    let cause = match &end {
        End::Hung(_) => hang_fault,
        End::Worker(WorkerEnd::Aborted(_, f)) => f.clone(),
        _ => None,
    };
    let emergency = cancel.emergency();
    let ending = match end {
        End::Hung(_) => Ending::Hung(reason_hang.unwrap_or_default()),
        // The emergency stop is a fast stop that says what it was.
        End::Forced | End::Worker(WorkerEnd::Cancelled) if cancel.emergency() => Ending::Cancelled {
            signal: cancel.signal(),
            internal: Some((
                Exit::Interrupted,
                "emergency stop: every light turned off and the run stopped at once; `squidctl reset`, then `squidctl resume` continues it".into(),
            )),
        },
        End::Forced => Ending::Forced(cancel.signal()),
        End::Worker(WorkerEnd::Cancelled) => Ending::Cancelled {
            signal: cancel.signal(),
            internal: cancel.internal_stop(),
        },
        End::Worker(WorkerEnd::Aborted(m, _)) => Ending::Aborted(m),
        End::Worker(WorkerEnd::OutputFailed(f)) => Ending::OutputFailed(f.to_string()),
        End::Worker(WorkerEnd::Completed) => Ending::Completed,
    };
    let (state, exit, reason) = outcome(ending, failure.map(|f| f.to_string()), &counts);
    if let Some(r) = &report
        && let Some(e) = &r.coords_error
    {
        tracing::warn!("coordinates.csv could not be fully written: {e}");
    }
    let fault = run_fault(exit, &reason, cause, emergency);
    records.emit(Record::End(records::End {
        state,
        reason: reason.clone(),
        counts: Some(counts.clone()),
        clock_s: Some(clock.now_s()),
        exit_code: None,
        fault: fault.clone(),
    }));
    records.sync();
    let rounds = rounds.lock().unwrap_or_else(|p| p.into_inner()).clone();
    RunOutcome {
        state,
        exit,
        reason,
        fault,
        counts,
        rounds,
        clock_s: clock.now_s(),
        files: report.map(|r| r.files).unwrap_or_default(),
        dump_file,
        links: std::mem::take(&mut links.lock().unwrap_or_else(|p| p.into_inner()).latest),
    }
}

/// The run's fault: the step's own when one caused the end (a hang, an abort), else what
/// the exit means, with the run's end reason as its message.
fn run_fault(exit: Exit, reason: &str, cause: Option<Fault>, emergency: bool) -> Option<Fault> {
    let mut f = match cause {
        Some(mut f) => {
            f.message = reason.to_string();
            f
        }
        None if emergency => Fault::new(Code::EmergencyStop, reason).component("emergency_stop"),
        None => {
            let f = Fault::from_exit(exit, reason)?;
            match exit {
                Exit::OutputError => f.component("disk"),
                _ => f.component("runner"),
            }
        }
    };
    f.detail.insert("exit_code".into(), exit.code().into());
    Some(f).filter(|_| exit != Exit::Completed)
}

/// How the control loop ended.
enum End {
    Worker(WorkerEnd),
    Hung(watchdog::Hang),
    Forced,
}

/// The control loop: wait for the acquisition to end, a step to hang, or a second signal,
/// ticking every 250 ms meanwhile.
fn wait_for_end(rx: &crossbeam_channel::Receiver<Control>, mut tick: impl FnMut()) -> End {
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(Control::WorkerDone(e)) => break End::Worker(e),
            Ok(Control::Hung(h)) => break End::Hung(h),
            Ok(Control::Signal(Action::Drain(sig))) => {
                tracing::warn!(
                    "{} received: stopping after the frame in flight and writing everything queued (send it again to stop faster)",
                    signals::signal_name(sig)
                );
            }
            Ok(Control::Signal(Action::Fast(sig))) => {
                tracing::warn!(
                    "{} received again: stopping now; queued frames get {} s to be written and every file is finalised (a third exits at once)",
                    signals::signal_name(sig),
                    GRACE.as_secs()
                );
                break End::Forced;
            }
            Ok(Control::Signal(_)) => {}
            Err(RecvTimeoutError::Timeout) => tick(),
            Err(RecvTimeoutError::Disconnected) => {
                break End::Worker(WorkerEnd::Aborted(
                    "internal: control channel closed".into(),
                    None,
                ));
            }
        }
    }
}

/// Signals: the first asks for a graceful stop, the second a fast one, the third exits at
/// once; SIGUSR1 dumps every thread's stack and the run goes on.
fn spawn_signal_thread(
    tx: crossbeam_channel::Sender<Control>,
    cancel: Arc<Cancel>,
    run_dir: Option<RunDir>,
    records: Arc<Records>,
    dump_files: Arc<Mutex<Vec<String>>>,
) {
    let _ = crate::supervisor::spawn("signals", move || {
        loop {
            let sig = signals::wait_signal();
            if sig == 0 {
                continue;
            }
            if sig == signals::estop_signal() || sig == signals::estop_cut_signal() {
                // Lights first, without the devices' locks; the stop comes after. A frame
                // not yet handed to the savers is dropped from this moment.
                let t = std::time::Instant::now();
                let (confirmed, motors_cut) = crate::supervisor::safety::emergency(|| {
                    cancel.emergency_begins();
                    let off = crate::supervisor::safety::all_lights_off("emergency stop");
                    let cut = (sig == signals::estop_cut_signal())
                        .then(|| crate::supervisor::safety::cut_motors("emergency stop"));
                    (off, cut)
                });
                eprintln!(
                    "squidctl: emergency stop: every light off{}; the run stops now (`squidctl resume` continues it)",
                    if confirmed {
                        ""
                    } else {
                        " (NOT confirmed by every device: check the lasers)"
                    }
                );
                records.emit(Record::EmergencyStop(records::EmergencyStop {
                    lights_off_confirmed: confirmed,
                    motors_cut,
                    took_ms: t.elapsed().as_secs_f64() * 1000.0,
                }));
                let _ = tx.send(Control::Signal(cancel.on_emergency()));
                continue;
            }
            if sig == libc::SIGUSR1 {
                let d = dump::dump("requested with SIGUSR1");
                eprintln!("{}", d.text);
                if let Some(rd) = &run_dir
                    && let Ok(name) = rd.save_dump(&d.text)
                {
                    records.emit(Record::Dump(records::Dump {
                        reason: "SIGUSR1".into(),
                        file: name.clone(),
                        threads: d.threads,
                        took_s: d.took.as_secs_f64(),
                    }));
                    dump_files
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(name);
                }
                continue;
            }
            let action = cancel.on_signal(sig);
            if let Action::ExitNow(exit) = action {
                signals::exit_now(sig, exit, &records);
            }
            let _ = tx.send(Control::Signal(action));
        }
    });
}

/// A step past its deadline: say so, keep the dump beside the run and in the journal. The
/// savers get a grace period only when they are what hung (a hang there cannot be waited out).
fn record_hang(
    h: &watchdog::Hang,
    run_dir: Option<&RunDir>,
    records: &Records,
) -> (Option<Duration>, records::Timeout, Option<String>) {
    // Said (and journaled) before the dump is saved: a hung disk may hang that too.
    let mut timeout = records::Timeout {
        step: h.crumb.step.to_string(),
        detail: h.crumb.detail.clone(),
        thread: h.thread.clone(),
        deadline_s: h.crumb.deadline.map(|d| d.as_secs_f64()),
        noticed_after_s: h.noticed_after.as_secs_f64(),
        dump_file: None,
        dump: h.dump.text.clone(),
        dump_took_s: h.dump.took.as_secs_f64(),
        fault: None,
    };
    timeout.fault = Some(
        Fault::new(Code::Timeout, timeout.summary())
            .component(crate::fault::component_of_step(&h.crumb.step))
            .with("step", &h.crumb.step)
            .with("at", &h.crumb.detail),
    );
    records.emit(Record::Timeout(timeout.clone()));
    let mut dump_file = None;
    if let Some(rd) = run_dir {
        match rd.save_dump(&h.dump.text) {
            Ok(name) => {
                records.emit(Record::Dump(records::Dump {
                    reason: format!("hang: {}", h.crumb.step),
                    file: name.clone(),
                    threads: h.dump.threads,
                    took_s: h.dump.took.as_secs_f64(),
                }));
                tracing::error!("thread dump saved to {}", rd.path(&name).display());
                dump_file = Some(name);
            }
            Err(e) => tracing::error!("cannot save the thread dump: {e}"),
        }
    }
    let grace = (h.crumb.step == "save").then_some(GRACE);
    (grace, timeout, dump_file)
}

/// How the run ended, as the outcome decision sees it.
#[derive(Debug)]
pub enum Ending {
    /// A step hung past its deadline (the summary).
    Hung(String),
    /// A second Ctrl-C or SIGTERM (the signal).
    Forced(i32),
    /// Stopped at a safe point: by a signal, or by the queue (`internal`: its exit and why).
    Cancelled {
        signal: i32,
        internal: Option<(Exit, String)>,
    },
    Aborted(String),
    OutputFailed(String),
    Completed,
}

/// The run's state, exit code and reason: from how it ended, whether saving failed, and what
/// it counted. A pure decision, so each rule has its own test.
pub fn outcome(
    ending: Ending,
    save_failure: Option<String>,
    counts: &Counts,
) -> (RunState, Exit, String) {
    let cancelled_by = |sig: i32| format!("cancelled by {}", signals::signal_name(sig));
    match ending {
        Ending::Hung(summary) => (RunState::TimedOut, Exit::Hung, summary),
        Ending::Forced(sig) => (
            RunState::Cancelled,
            signals::signal_exit(sig),
            format!("{} (twice)", cancelled_by(sig)),
        ),
        Ending::Cancelled {
            internal: Some((exit, why)),
            ..
        } => (RunState::Cancelled, exit, why),
        Ending::Cancelled { signal, .. } => (
            RunState::Cancelled,
            signals::signal_exit(signal),
            cancelled_by(signal),
        ),
        Ending::Aborted(m) => (RunState::Failed, Exit::Failed, m),
        Ending::OutputFailed(m) => (RunState::Failed, Exit::OutputError, m),
        Ending::Completed => match (save_failure, counts.lost, counts.skipped_fovs) {
            (Some(f), _, _) => (RunState::Failed, Exit::OutputError, f),
            (None, lost, _) if lost > 0 => (
                RunState::Failed,
                Exit::OutputError,
                format!("{lost} acquired frames were not saved"),
            ),
            (None, _, n) if n > 0 || counts.skipped > 0 => (
                RunState::CompletedWithErrors,
                Exit::CompletedWithErrors,
                format!(
                    "completed; {n} FOV visits and {} frames skipped",
                    counts.skipped
                ),
            ),
            _ => (RunState::Completed, Exit::Completed, "completed".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(lost: u64, skipped_fovs: u64, skipped: u64) -> Counts {
        Counts {
            planned: 10,
            acquired: 10,
            saved: 10 - lost,
            lost,
            skipped_fovs,
            skipped,
            ..Counts::default()
        }
    }

    #[test]
    fn a_clean_end_is_completed_and_skips_make_it_completed_with_errors() {
        let (s, e, r) = outcome(Ending::Completed, None, &counts(0, 0, 0));
        assert_eq!(
            (s, e, r.as_str()),
            (RunState::Completed, Exit::Completed, "completed")
        );
        let (s, e, r) = outcome(Ending::Completed, None, &counts(0, 1, 4));
        assert_eq!(
            (s, e),
            (RunState::CompletedWithErrors, Exit::CompletedWithErrors)
        );
        assert_eq!(r, "completed; 1 FOV visits and 4 frames skipped");
    }

    #[test]
    fn a_frame_not_saved_or_a_saver_failure_fails_the_run_before_any_skip_counts() {
        let (s, e, r) = outcome(Ending::Completed, None, &counts(2, 1, 0));
        assert_eq!((s, e), (RunState::Failed, Exit::OutputError));
        assert_eq!(r, "2 acquired frames were not saved");
        let (s, e, r) = outcome(
            Ending::Completed,
            Some("disk full".into()),
            &counts(0, 1, 0),
        );
        assert_eq!(
            (s, e, r.as_str()),
            (RunState::Failed, Exit::OutputError, "disk full")
        );
    }

    #[test]
    fn signals_give_their_exit_and_the_queue_its_own() {
        let (s, e, r) = outcome(
            Ending::Cancelled {
                signal: libc::SIGINT,
                internal: None,
            },
            None,
            &counts(0, 0, 0),
        );
        assert_eq!(
            (s, e, r.as_str()),
            (
                RunState::Cancelled,
                Exit::Interrupted,
                "cancelled by SIGINT"
            )
        );
        let (_, e, r) = outcome(Ending::Forced(libc::SIGTERM), None, &counts(0, 0, 0));
        assert_eq!(
            (e, r.as_str()),
            (Exit::Terminated, "cancelled by SIGTERM (twice)")
        );
        let (s, e, r) = outcome(
            Ending::Cancelled {
                signal: 0,
                internal: Some((
                    Exit::Interrupted,
                    "cancelled from the queue (task 3)".into(),
                )),
            },
            Some("ignored: the cancel decides".into()),
            &counts(0, 0, 0),
        );
        assert_eq!((s, e), (RunState::Cancelled, Exit::Interrupted));
        assert_eq!(r, "cancelled from the queue (task 3)");
    }

    #[test]
    fn a_hang_or_an_abort_is_never_called_completed() {
        let (s, e, _) = outcome(Ending::Hung("capture hung".into()), None, &counts(0, 0, 0));
        assert_eq!((s, e), (RunState::TimedOut, Exit::Hung));
        let (s, e, _) = outcome(Ending::Aborted("stage".into()), None, &counts(0, 0, 0));
        assert_eq!((s, e), (RunState::Failed, Exit::Failed));
        let (s, e, _) = outcome(Ending::OutputFailed("EIO".into()), None, &counts(0, 0, 0));
        assert_eq!((s, e), (RunState::Failed, Exit::OutputError));
    }
}
