//! `squidctl worker`: drains one microscope's queue, one task at a time. Each task runs as its
//! own `squidctl acquire` (or `resume`) process, so a crash of one run cannot take the worker
//! with it, and the worker's death stops the run cleanly (it gets SIGTERM) to be continued by
//! the next worker through `resume`. The microscope lock is taken by each run only, so a
//! manual `acquire` between tasks still works: the worker waits for it.

use crate::queue::events::{End, QueueEvent};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::events::NewEvent;
use super::schedule::{self, Block};
use super::sdnotify::Notifier;
use super::spool::{Spool, SpoolError, TASK_LOG, TASK_PROTOCOL, TASK_RESULT};
use super::task::{Claim, State, Status, Task, boot_id};
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::fault::{Code, Fault};
use crate::run_dir::{self, RUN_JSON, record::RunRecord};

/// An interrupted run is continued this many times beyond its `--retries` before it fails.
const INTERRUPTIONS_ALLOWED: u32 = 3;
/// Shorter than the systemd unit's WatchdogSec: the hook runs on the worker's loop.
const ON_FINISH_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Options {
    pub microscope_file: Option<PathBuf>,
    pub exit_when_empty: bool,
    pub on_finish: Option<String>,
    /// Hold the queue after a failed run (exit 1) too, not only after a hang or a disk error.
    pub hold_on_fail: bool,
    /// Seconds before the first retry; doubled for each next one, at most 10 min.
    pub retry_backoff_s: f64,
    /// Where each ended task's one JSON line goes (`worker --json`); `None` prints none.
    pub json: Option<fn(&serde_json::Value)>,
}

/// What the worker should do now.
enum Next {
    Start(u64),
    /// Nothing can start; something may at `wake` (a start time, a retry).
    Idle {
        wake: Option<f64>,
    },
    /// The emergency stop is latched: nothing starts until a reset.
    Latched,
}

fn now_unix() -> f64 {
    WallTime::now().unix_s
}

/// The run's directory and whether its run.json says it ended, with which exit code.
fn run_end(rd: &Path) -> Option<u8> {
    let rec = RunRecord::read(rd)?;
    if rec.state.finished() {
        rec.exit_code
    } else {
        None
    }
}

/// An ended task's fault: its action's, its run's (`run_fault`, from the journal), else what
/// its state and exit mean. None when it completed.
fn task_fault(st: &Status, run_fault: Option<Fault>) -> Option<Fault> {
    if st.state == State::Completed {
        return None;
    }
    let own = st
        .result
        .as_ref()
        .and_then(|r| serde_json::from_value::<Fault>(r.get("fault")?.clone()).ok())
        .or(run_fault);
    if let Some(f) = own {
        return Some(f);
    }
    let why = st.note.clone().unwrap_or_else(|| st.state.name().into());
    let code = match st.state {
        State::Cancelled => Code::Cancelled,
        State::Skipped | State::Expired => Code::WrongState,
        _ => st
            .exit_code
            .and_then(Exit::from_code)
            .and_then(Code::for_exit)
            .unwrap_or(Code::RunFailed),
    };
    Some(
        Fault::new(code, why)
            .component("queue")
            .with("exit_code", st.exit_code),
    )
}

/// The fault a run's journal ended with (read before the spool is locked).
fn journal_fault(run_dir: Option<&std::path::Path>) -> Option<Fault> {
    crate::run_dir::journal::tail_end(&run_dir?.join(crate::run_dir::JOURNAL))?.fault
}

/// How a run's exit code leaves its task. `stopping`: the worker itself is stopping (its
/// run was stopped for it, not cancelled).
fn classify(
    id: u64,
    st: &mut Status,
    retries: u32,
    code: Option<i32>,
    stopping: bool,
    policy: &Options,
    run_fault: Option<Fault>,
) -> (Vec<NewEvent>, Option<String>) {
    let hold_on_fail = policy.hold_on_fail;
    let mut evs = Vec::new();
    let mut hold = None;
    let retry_or_fail = |st: &mut Status, evs: &mut Vec<NewEvent>, why: String| {
        // Attempts that failed; interrupted ones were continued, not retried.
        let failures = st.attempts.saturating_sub(st.interruptions);
        if failures <= retries {
            let backoff =
                (policy.retry_backoff_s * 2f64.powi(failures.saturating_sub(1) as i32)).min(600.0);
            st.retry_after_unix = Some(now_unix() + backoff);
            st.go(
                State::Queued,
                Some(format!(
                    "{why}; retry {failures} of {retries} in {backoff:.0} s"
                )),
            );
            evs.push(
                QueueEvent::TaskRetrying {
                    attempt: st.attempts + 1,
                    retry: failures,
                    after_s: backoff,
                    why,
                }
                .about(Some(id)),
            );
        } else {
            st.go(State::Failed, Some(why));
        }
    };
    match code {
        Some(0) => st.go(State::Completed, None),
        Some(3) => st.go(
            State::CompletedWithErrors,
            Some("some FOVs were skipped after errors".into()),
        ),
        Some(130) | Some(143) | None if st.cancel.is_some() => {
            st.go(State::Cancelled, Some("cancelled from the queue".into()))
        }
        Some(130) | Some(143) | None if stopping => {
            st.interruptions += 1;
            st.go(
                State::Interrupted,
                Some("the worker was stopped; the run is continued when a worker starts".into()),
            )
        }
        Some(130) | Some(143) => st.go(
            State::Cancelled,
            Some("the run process was stopped by a signal".into()),
        ),
        None if st.interruptions < retries + INTERRUPTIONS_ALLOWED => {
            st.interruptions += 1;
            st.go(
                State::Interrupted,
                Some("the run process was killed; it is continued through resume".into()),
            )
        }
        None => st.go(
            State::Failed,
            Some("the run process was killed, again".into()),
        ),
        Some(2) => st.go(
            State::Failed,
            Some("invalid protocol or microscope at run time (exit 2); see output.log".into()),
        ),
        Some(c) => {
            let meaning = Exit::from_code(c as u8).map_or("failed", |e| e.meaning());
            let why = format!("exit {c}: {meaning}");
            if matches!(c, 4 | 5) || (c == 1 && hold_on_fail) {
                hold = Some(format!("task {id} ended with {why}"));
            }
            retry_or_fail(st, &mut evs, why);
        }
    }
    if st.state.terminal() {
        st.exit_code = code.map(|c| c as u8).or(Some(1));
        st.fault = task_fault(st, run_fault);
        evs.push(
            QueueEvent::ended(
                st.state,
                End {
                    exit_code: st.exit_code,
                    run_dir: st.run_dir.clone(),
                    why: st.note.clone(),
                    fault: st.fault.clone(),
                },
            )
            .about(Some(id)),
        );
    }
    (evs, hold)
}

pub struct Worker {
    spool: Spool,
    opts: Options,
    notify: Notifier,
    /// The signal that asked us to stop (0: none yet).
    stop: Arc<AtomicI32>,
    waiting_told: Option<String>,
    /// Tasks this worker could not claim (see [`Worker::skip`]).
    unclaimable: std::collections::HashSet<u64>,
}

impl Worker {
    pub fn new(spool: Spool, opts: Options, stop: Arc<AtomicI32>) -> Self {
        Worker {
            spool,
            opts,
            notify: Notifier::from_env(),
            stop,
            waiting_told: None,
            unclaimable: Default::default(),
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) != 0
    }

    fn emit(&self, evs: Vec<NewEvent>) {
        if let Err(e) = self.spool.emit(evs) {
            tracing::warn!("{e}");
        }
    }

    /// Serve until stopped (or, with `--exit-when-empty`, until nothing is left to start).
    pub fn serve(&mut self) -> Result<(), SpoolError> {
        self.recover()?;
        self.notify.ready("idle");
        loop {
            self.notify.alive();
            if self.stopping() {
                self.notify.stopping();
                return Ok(());
            }
            match self.next()? {
                Next::Start(id) => {
                    if let Some(holder) = run_dir::lock::holder(&self.spool.microscope) {
                        self.tell_waiting(id, &holder);
                        self.idle(Some(now_unix() + 1.0));
                        continue;
                    }
                    self.waiting_told = None;
                    match self.run_task(id) {
                        Ok(()) => {}
                        // Claimed by nobody: a cancel landed between the pick and the claim
                        // (look again), or the task cannot be read or changed (a damaged
                        // or duplicated directory): skip it, say why, serve the rest.
                        Err(SpoolError::Refused(why)) => {
                            tracing::info!("task {id} was not started: {why}");
                        }
                        Err(e) => self.skip(id, &e.to_string()),
                    }
                }
                Next::Latched => {
                    self.waiting_told = Some("estop".into());
                    self.idle(Some(now_unix() + 5.0));
                }
                Next::Idle { wake } => {
                    if self.opts.exit_when_empty && wake.is_none() {
                        tracing::info!(
                            "nothing left to start: the worker exits (--exit-when-empty)"
                        );
                        return Ok(());
                    }
                    self.notify.status("idle");
                    self.idle(wake);
                }
            }
        }
    }

    fn tell_waiting(&mut self, id: u64, holder: &str) {
        if self.waiting_told.as_deref() == Some(holder) {
            return;
        }
        tracing::info!("task {id} waits for the microscope: {holder}");
        self.notify
            .status(&format!("task {id} waits for the microscope"));
        self.emit(vec![
            QueueEvent::TaskWaiting {
                on: "the microscope lock".into(),
                holder: holder.to_string(),
            }
            .about(Some(id)),
        ]);
        self.waiting_told = Some(holder.to_string());
    }

    /// Sleep until the spool changes, `wake` comes, or a few seconds pass.
    fn idle(&mut self, wake: Option<f64>) {
        let stamp = |s: &Spool| {
            let len = std::fs::metadata(s.events_path()).map_or(0, |m| m.len());
            let q = std::fs::metadata(s.dir.join("queue.json"))
                .and_then(|m| m.modified())
                .ok();
            (len, q)
        };
        let before = stamp(&self.spool);
        let start = Instant::now();
        let limit = wake
            .map(|w| (w - now_unix()).clamp(0.0, 5.0))
            .unwrap_or(5.0);
        while start.elapsed().as_secs_f64() < limit && !self.stopping() {
            std::thread::sleep(Duration::from_millis(50));
            self.notify.alive();
            if stamp(&self.spool) != before {
                return;
            }
        }
    }

    /// Tasks whose worker died: finished runs are recorded, others become interrupted.
    fn recover(&mut self) -> Result<(), SpoolError> {
        let me = boot_id();
        for t in self.spool.tasks() {
            if !t.status.state.active() {
                continue;
            }
            let why = match &t.status.claim {
                Some(c) if c.boot_id != me => {
                    "the machine restarted while it ran (boot id changed)".to_string()
                }
                Some(c) => format!("its worker (pid {}) ended while it ran", c.pid),
                None => "its worker ended while it ran".to_string(),
            };
            let ended = t.status.run_dir.as_deref().and_then(run_end);
            let run_fault = journal_fault(t.status.run_dir.as_deref());
            let (retries, opts) = (t.spec.retries, &self.opts);
            let hold = self.spool.update(t.spec.id, |_, st| {
                if !st.state.active() {
                    return Ok((None, vec![]));
                }
                let id = t.spec.id;
                let (evs, hold) = match ended {
                    // It ended on its own before anyone could record it.
                    Some(code) if !matches!(code, 130 | 143) => classify(
                        id,
                        st,
                        retries,
                        Some(code as i32),
                        false,
                        opts,
                        run_fault.clone(),
                    ),
                    _ if st.cancel.is_some() => {
                        classify(id, st, retries, Some(130), false, opts, run_fault.clone())
                    }
                    _ => {
                        st.interruptions += 1;
                        st.go(State::Interrupted, Some(why.clone()));
                        (
                            vec![QueueEvent::TaskInterrupted { why: why.clone() }.about(Some(id))],
                            None,
                        )
                    }
                };
                st.claim = None;
                st.child_pid = None;
                Ok((hold, evs))
            })?;
            tracing::warn!("task {}: {why}", t.spec.id);
            if let Some(h) = hold {
                self.hold_queue(&h)?;
            }
        }
        Ok(())
    }

    /// A task this worker cannot claim: never picked again by it, and recorded where it
    /// can be (its state, else the event log).
    fn skip(&mut self, id: u64, why: &str) {
        tracing::error!("task {id} cannot be started and is skipped: {why}");
        self.unclaimable.insert(id);
        let why = format!("cannot be started: {why}");
        let recorded = self.spool.update(id, |_, st| {
            st.go(State::Skipped, Some(why.clone()));
            st.exit_code = Some(1);
            st.fault = task_fault(st, None);
            Ok((
                (),
                vec![
                    QueueEvent::TaskSkipped(End {
                        exit_code: st.exit_code,
                        why: Some(why.clone()),
                        fault: st.fault.clone(),
                        run_dir: None,
                    })
                    .about(Some(id)),
                ],
            ))
        });
        if recorded.is_err() {
            self.emit(vec![QueueEvent::TaskUnclaimable { why }.about(Some(id))]);
        }
    }

    /// Decide under the lock; expire and skip what can never start.
    fn next(&mut self) -> Result<Next, SpoolError> {
        // An emergency stop starts nothing until it is reset (the reset's event wakes us).
        if let Some(e) = crate::instrument::dir(&self.spool.microscope)
            .ok()
            .and_then(|d| crate::instrument::estop::latched(&d))
        {
            if self.waiting_told.as_deref() != Some("estop") {
                tracing::warn!("{}", crate::instrument::estop::refusal(&e));
                self.notify.status("emergency-stopped: waiting for a reset");
            }
            return Ok(Next::Latched);
        }
        // Read before the spool lock: ending an expired lease takes it.
        let lease = super::lease::current(&self.spool);
        let _g = self.spool.lock()?;
        let tasks = self.spool.tasks();
        let states = schedule::states(&tasks);
        let held = self.spool.queue_status().held;
        let now = now_unix();
        let mut wake: Option<f64> = None;
        let mut start = None;
        let mut ends: Vec<(u64, State, String)> = Vec::new();
        for t in schedule::ordered(&tasks) {
            if !schedule::pending(t.status.state) || self.unclaimable.contains(&t.spec.id) {
                continue;
            }
            match schedule::block(t, &states, held, lease.as_ref(), now) {
                Block::Ready => {
                    start = Some(t.spec.id);
                    break;
                }
                Block::Wait {
                    until_unix: Some(u),
                    ..
                } => wake = Some(wake.map_or(u, |w: f64| w.min(u))),
                Block::Wait { .. } => {
                    // Waiting on a task that will run or is running: look again soon. One
                    // waiting on a held task, or on the held queue, needs someone's help.
                    let moving = t.spec.after.iter().chain(&t.spec.after_ok).any(|d| {
                        states
                            .get(d)
                            .is_some_and(|s| schedule::pending(*s) || s.active())
                    });
                    if moving && !held {
                        wake = Some(wake.map_or(now + 5.0, |w| w.min(now + 5.0)));
                    }
                }
                Block::Expire => ends.push((
                    t.spec.id,
                    State::Expired,
                    "not started before its --expires time".into(),
                )),
                Block::Skip { why } => ends.push((t.spec.id, State::Skipped, why)),
            }
        }
        for (id, state, why) in ends {
            self.spool.update_locked(id, |_, st| {
                st.go(state, Some(why.clone()));
                st.exit_code = Some(1);
                st.fault = task_fault(st, None);
                let end = End {
                    exit_code: st.exit_code,
                    why: Some(why),
                    fault: st.fault.clone(),
                    run_dir: None,
                };
                Ok(((), vec![QueueEvent::ended(state, end).about(Some(id))]))
            })?;
        }
        Ok(match start {
            Some(id) => Next::Start(id),
            None => Next::Idle { wake },
        })
    }

    fn hold_queue(&self, why: &str) -> Result<(), SpoolError> {
        tracing::error!("holding the queue: {why} (`squidctl release --queue` goes on)");
        let q = super::spool::QueueStatus {
            held: true,
            note: Some(why.to_string()),
            since: Some(WallTime::now().rfc3339()),
            by: Some("worker".into()),
        };
        self.spool.set_queue_status(
            &q,
            QueueEvent::QueueHeld {
                note: Some(why.to_string()),
                by: "worker".into(),
            }
            .about(None),
        )?;
        self.on_finish_hook(None, Some(why));
        Ok(())
    }

    /// Claim, start, watch and record one task.
    fn run_task(&mut self, id: u64) -> Result<(), SpoolError> {
        let claim = Claim {
            pid: std::process::id(),
            host: crate::fsutil::hostname(),
            boot_id: boot_id(),
            since_unix: now_unix(),
        };
        let task: Task = self.spool.update(id, |spec, st| {
            if !schedule::pending(st.state) {
                return Err(SpoolError::Refused(format!(
                    "task {id} is {} now",
                    st.state.name()
                )));
            }
            st.attempts += 1;
            st.claim = Some(claim.clone());
            st.retry_after_unix = None;
            st.go(State::Running, None);
            Ok((
                Task {
                    spec: spec.clone(),
                    status: st.clone(),
                },
                vec![],
            ))
        })?;
        // Continue the run it already has, unless that run ended on its own.
        let resume = task
            .status
            .run_dir
            .clone()
            .filter(|rd| rd.join(RUN_JSON).exists());
        if let Some(rd) = &resume {
            self.wait_for_old_run(rd);
            if self.stopping() {
                return self.record_end(id, &task, None);
            }
            if let Some(code) = run_end(rd).filter(|c| matches!(c, 0 | 3)) {
                return self.record_end(id, &task, Some(code as i32));
            }
        }
        let label = task
            .spec
            .label
            .clone()
            .unwrap_or_else(|| task.spec.plan.name.clone());
        tracing::info!(
            "task {id} ({label}): {}",
            if resume.is_some() {
                "continuing its run"
            } else {
                "starting"
            }
        );
        self.notify.status(&format!("running task {id} ({label})"));
        let mut child = match self.spawn(&task, resume.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("task {id}: cannot start its run process: {e}");
                return self.record_end(id, &task, Some(1));
            }
        };
        let pid = child.id();
        let started = task.spec.action.as_ref().map(|a| {
            QueueEvent::ActionStarted {
                action: a.name().into(),
                attempt: task.status.attempts,
                pid,
            }
            .about(Some(id))
        });
        let _ = self.spool.update(id, |_, st| {
            st.child_pid = Some(pid);
            if started.is_some() {
                st.started_unix.get_or_insert(now_unix());
            }
            Ok(((), started.into_iter().collect()))
        });
        let code = self.watch(&mut child);
        self.record_end(id, &task, code)
    }

    /// A run process of the task's earlier worker may still be stopping: let it finish.
    fn wait_for_old_run(&mut self, rd: &Path) {
        let host = crate::fsutil::hostname();
        let mut told = false;
        while !self.stopping()
            && crate::run_dir::liveness::run_liveness(rd, &host)
                == crate::run_dir::liveness::Liveness::Running
        {
            if !told {
                tracing::info!(
                    "waiting for the earlier run process of {} to stop",
                    rd.display()
                );
                told = true;
            }
            self.notify.alive();
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn spawn(&self, t: &Task, resume: Option<&Path>) -> std::io::Result<Child> {
        use std::os::unix::process::CommandExt;
        let dir = self.spool.task_dir(t.spec.id);
        let exe = std::env::current_exe()?;
        let mut c = Command::new(exe);
        if let Some(action) = &t.spec.action {
            let _ = std::fs::remove_file(dir.join(TASK_RESULT));
            c.arg("act")
                .arg(action.to_json().to_string())
                .arg("--result")
                .arg(dir.join(TASK_RESULT))
                .args(["--json", "--wait-lock"]);
        } else {
            match resume {
                Some(rd) => c.arg("resume").arg(rd),
                None => c.arg("acquire").arg(dir.join(TASK_PROTOCOL)),
            };
            c.args([
                "--json",
                "--progress",
                "never",
                "--progress-interval",
                "60s",
            ])
            .arg("--queue-task")
            .arg(&dir)
            .arg("--wait-lock");
        }
        if let Some(m) = &self.opts.microscope_file {
            c.env("SQUIDCTL_MICROSCOPE", m);
        }
        // systemd hears from the worker alone.
        c.env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID");
        // Relative output directories resolve as they would have for the submitter.
        c.current_dir(if t.spec.cwd.is_dir() {
            &t.spec.cwd
        } else {
            &dir
        });
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(TASK_LOG))?;
        c.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // A Ctrl-C at the worker's terminal reaches the worker, which stops the run.
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; only the child's own state is changed.
        unsafe {
            c.pre_exec(|| {
                // The run stops cleanly (as on SIGTERM) if the worker dies, whatever killed it.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        c.spawn()
    }

    /// Wait for the run process; pass a stop on to it. Its exit code, `None` if killed.
    fn watch(&mut self, child: &mut Child) -> Option<i32> {
        let mut signalled = false;
        loop {
            match child.try_wait() {
                Ok(Some(st)) => return st.code(),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!("cannot wait for the run process: {e}");
                    return None;
                }
            }
            if self.stopping() && !signalled {
                tracing::warn!(
                    "stopping: the run stops cleanly and is continued by the next worker"
                );
                self.notify.stopping();
                // SAFETY: signalling our own child.
                unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
                signalled = true;
            }
            self.notify.alive();
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn record_end(&mut self, id: u64, task: &Task, code: Option<i32>) -> Result<(), SpoolError> {
        let stopping = self.stopping();
        let (retries, opts) = (task.spec.retries, &self.opts);
        // An action's process left what it did (or why it failed) beside its request.
        let result = task
            .spec
            .action
            .as_ref()
            .and_then(|_| std::fs::read(self.spool.task_dir(id).join(TASK_RESULT)).ok())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        let run_fault = journal_fault(task.status.run_dir.as_deref());
        let (st, hold) = self.spool.update(id, |_, st| {
            if result.is_some() {
                st.result = result.clone();
            }
            let (evs, hold) = classify(id, st, retries, code, stopping, opts, run_fault.clone());
            st.claim = None;
            st.child_pid = None;
            Ok(((st.clone(), hold), evs))
        })?;
        tracing::info!(
            "task {id}: {}{}",
            st.state.name(),
            st.note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
        if let Some(print) = self.opts.json {
            print(&json!({
                "task": id, "state": st.state, "exit_code": st.exit_code,
                "run_dir": st.run_dir, "note": st.note, "result": st.result,
            }));
        }
        if st.state.terminal() {
            self.on_finish_hook(Some(id), None);
        }
        if let Some(h) = hold {
            self.hold_queue(&h)?;
        }
        Ok(())
    }

    /// `--on-finish CMD`: the task (or the queue's hold) as JSON on its standard input.
    fn on_finish_hook(&self, id: Option<u64>, queue_held: Option<&str>) {
        let Some(cmd) = &self.opts.on_finish else {
            return;
        };
        let task = id.and_then(|id| self.spool.task(id).ok());
        let body =
            json!({"microscope": self.spool.microscope, "task": task, "queue_held": queue_held});
        let mut env = vec![("SQUIDCTL_MICROSCOPE_NAME", self.spool.microscope.clone())];
        if let Some(t) = &task {
            env.push(("SQUIDCTL_TASK_ID", t.spec.id.to_string()));
            env.push(("SQUIDCTL_TASK_STATE", t.status.state.name().to_string()));
            env.push((
                "SQUIDCTL_EXIT_CODE",
                t.status.exit_code.map_or(String::new(), |c| c.to_string()),
            ));
            if let Some(rd) = &t.status.run_dir {
                env.push(("SQUIDCTL_RUN_DIR", rd.display().to_string()));
            }
        }
        if let Some(h) = queue_held {
            env.push(("SQUIDCTL_QUEUE_HELD", h.to_string()));
        }
        match super::command::run(cmd, body.to_string().as_bytes(), &env, ON_FINISH_TIMEOUT) {
            Ok(r) if r.ok() => {}
            Ok(r) => tracing::warn!("--on-finish: {}", r.describe(cmd)),
            Err(e) => tracing::warn!("--on-finish: cannot run `{cmd}`: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(hold_on_fail: bool) -> Options {
        Options {
            microscope_file: None,
            exit_when_empty: true,
            on_finish: None,
            hold_on_fail,
            retry_backoff_s: 10.0,
            json: None,
        }
    }

    fn st() -> Status {
        let mut s = Status::new(State::Running, 0, 1.0, None);
        s.attempts = 1;
        s
    }

    #[test]
    fn exit_codes_decide_the_task() {
        let mut s = st();
        classify(1, &mut s, 0, Some(0), false, &opts(false), None);
        assert_eq!(s.state, State::Completed);
        let mut s = st();
        let (_, hold) = classify(1, &mut s, 0, Some(4), false, &opts(false), None);
        assert_eq!(s.state, State::Failed);
        assert!(hold.is_some(), "a hang holds the queue");
        let mut s = st();
        let (evs, hold) = classify(1, &mut s, 2, Some(1), false, &opts(false), None);
        assert_eq!(s.state, State::Queued, "retried");
        assert!(s.retry_after_unix.is_some() && hold.is_none());
        assert!(matches!(evs[0].event, QueueEvent::TaskRetrying { .. }));
        let mut s = st();
        classify(1, &mut s, 0, Some(143), true, &opts(false), None);
        assert_eq!(s.state, State::Interrupted, "the worker's own stop");
        let mut s = st();
        classify(1, &mut s, 0, Some(143), false, &opts(false), None);
        assert_eq!(s.state, State::Cancelled);
        let mut s = st();
        classify(1, &mut s, 0, None, false, &opts(false), None);
        assert_eq!(s.state, State::Interrupted, "killed: continued");
        let mut s = st();
        let (_, hold) = classify(1, &mut s, 0, Some(1), false, &opts(true), None);
        assert!(hold.is_some(), "--hold-on-fail");
    }

    #[test]
    fn interruptions_use_up_no_retries() {
        // --retries 1: killed twice, then the third attempt fails: that is its first failure,
        // so it is retried once; the retry failing too ends it.
        let mut s = st();
        for _ in 0..2 {
            classify(1, &mut s, 1, None, false, &opts(false), None);
            assert_eq!(s.state, State::Interrupted);
            s.attempts += 1;
        }
        classify(1, &mut s, 1, Some(1), false, &opts(false), None);
        assert_eq!(
            s.state,
            State::Queued,
            "an interruption is not a failed attempt"
        );
        assert!(
            s.note.as_deref().unwrap_or("").contains("retry 1 of 1"),
            "{:?}",
            s.note
        );
        s.attempts += 1;
        classify(1, &mut s, 1, Some(1), false, &opts(false), None);
        assert_eq!(s.state, State::Failed);
        // The worker's own stops are interruptions too.
        let mut s = st();
        classify(1, &mut s, 0, Some(143), true, &opts(false), None);
        s.attempts += 1;
        classify(1, &mut s, 0, Some(1), false, &opts(false), None);
        assert_eq!(
            s.state,
            State::Failed,
            "--retries 0: the one real failure ends it"
        );
        let mut s = st();
        classify(1, &mut s, 1, Some(143), true, &opts(false), None);
        s.attempts += 1;
        classify(1, &mut s, 1, Some(1), false, &opts(false), None);
        assert_eq!(s.state, State::Queued, "--retries 1 still has its retry");
    }
}
