//! The queue's side of a run it started (the `acquire`/`resume` process the worker spawns):
//! at each safe point it reads the task's state for a cancel or a pause and checks the hold
//! conditions; as the run goes it records the run directory and logs progress events.

use crate::queue::events::QueueEvent;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::events::NewEvent;
use super::spool::{Spool, SpoolError, WorkerInfo};
use super::task::{PauseAt, PauseRequest, State, Status};
use crate::plan::Plan;
use crate::run_dir::Subscriber;
use crate::run_dir::journal::{Record, records};
use crate::runner::Tick;
use crate::runner::safe_point::{Boundary, Gate, Idle, SafePoint, Verdict};
use crate::session::Observer;

/// How often a paused or suspended run looks at its task again.
const POLL: Duration = Duration::from_millis(200);
/// Progress events at most this often (plus one per time point): often enough for a status
/// page to follow a run, rarely enough that a night of them is a few megabytes.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

pub struct QueueHook {
    spool: Spool,
    id: u64,
    conditions: WorkerInfo,
    run_dir: Mutex<Option<PathBuf>>,
    last_check: Mutex<Option<Instant>>,
    /// `stop_wanted` answers from this for a moment, so a wait can poll it often.
    stop_cache: Mutex<(Option<Instant>, Option<String>)>,
}

fn boundary_reached(b: Boundary, at: PauseAt) -> bool {
    match at {
        PauseAt::Fov => true,
        PauseAt::Well => b >= Boundary::Well,
        PauseAt::Timepoint => b == Boundary::Timepoint,
    }
}

impl QueueHook {
    pub fn open(task_dir: &Path) -> Result<Arc<Self>, SpoolError> {
        let (spool, id) = Spool::of_task_dir(task_dir)?;
        let conditions = spool.worker_info().unwrap_or_default();
        Ok(Arc::new(QueueHook {
            spool,
            id,
            conditions,
            run_dir: Mutex::new(None),
            last_check: Mutex::new(None),
            stop_cache: Mutex::new((None, None)),
        }))
    }

    fn status(&self) -> Option<Status> {
        match self.spool.status(self.id) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("queue task {}: {e}", self.id);
                None
            }
        }
    }

    /// Change the task's state from what it is now, when `f` says so; never fails the run.
    fn change(&self, f: impl FnOnce(&mut Status) -> Vec<NewEvent>) {
        let r = self.spool.update(self.id, |_, st| {
            let evs = f(st);
            Ok(((), evs))
        });
        if let Err(e) = r {
            tracing::warn!("queue task {}: cannot record its state: {e}", self.id);
        }
    }

    fn pause(&self, p: &SafePoint, req: &PauseRequest, idle: &mut Idle<'_>) -> Verdict {
        (idle.lights_off)();
        (idle.emit)(Record::Paused(records::Paused {
            t: p.t,
            region: p.region.clone(),
            fov: p.fov,
            at: req.at.name().into(),
            reason: req.reason.clone(),
        }));
        let start = Instant::now();
        let verdict = loop {
            if !(idle.pass)(POLL) {
                break Verdict::Go; // cancelled by a signal: the runner stops by itself
            }
            match self.status() {
                Some(s) if s.cancel.is_some() => break Verdict::Stop(self.cancel_reason()),
                Some(s) if s.pause.is_none() => break Verdict::Go,
                _ => {}
            }
        };
        (idle.emit)(Record::Unpaused(records::Unpaused {
            paused_s: start.elapsed().as_secs_f64(),
        }));
        verdict
    }

    fn cancel_reason(&self) -> String {
        format!("cancelled from the queue (task {})", self.id)
    }

    /// The first hold condition that fails now, in words.
    fn failing(&self, p: &SafePoint) -> Option<String> {
        let c = &self.conditions;
        if c.check_disk
            && let Some(rd) = self.run_dir.lock().ok().and_then(|g| g.clone())
            && let Some((free, _)) = crate::fsutil::free_space(&rd)
            && free < p.remaining_bytes
        {
            return Some(format!(
                "free disk: {} left on the run's disk, the rest of the run writes {}",
                crate::human::bytes(free),
                crate::human::bytes(p.remaining_bytes)
            ));
        }
        if let Some(cmd) = &c.check_cmd {
            let env = [("SQUIDCTL_TASK_ID", self.id.to_string())];
            match super::command::run(cmd, b"", &env, CHECK_TIMEOUT) {
                Ok(r) if r.ok() => {}
                Ok(r) => return Some(format!("check command: {}", r.describe(cmd))),
                Err(e) => return Some(format!("check command: cannot run `{cmd}`: {e}")),
            }
        }
        None
    }

    fn hold(&self, p: &SafePoint, idle: &mut Idle<'_>) -> Verdict {
        let every = Duration::from_secs_f64(self.conditions.check_every_s.max(0.0));
        {
            let Ok(mut last) = self.last_check.lock() else {
                return Verdict::Go;
            };
            if last.is_some_and(|l| l.elapsed() < every) {
                return Verdict::Go;
            }
            *last = Some(Instant::now());
        }
        let Some(condition) = self.failing(p) else {
            return Verdict::Go;
        };
        (idle.lights_off)();
        (idle.emit)(Record::Suspended(records::Suspended {
            condition,
            t: p.t,
            region: p.region.clone(),
            fov: p.fov,
        }));
        let settle = Duration::from_secs_f64(self.conditions.settle_s.max(0.0));
        let start = Instant::now();
        let mut checked = Instant::now();
        let mut ok_since: Option<Instant> = None;
        let verdict = loop {
            if !(idle.pass)(POLL) {
                break Verdict::Go;
            }
            if self.status().is_some_and(|s| s.cancel.is_some()) {
                break Verdict::Stop(self.cancel_reason());
            }
            if checked.elapsed() >= every.max(POLL) {
                checked = Instant::now();
                match self.failing(p) {
                    Some(_) => ok_since = None,
                    None => {
                        ok_since.get_or_insert_with(Instant::now);
                    }
                }
            }
            if ok_since.is_some_and(|s| s.elapsed() >= settle) {
                break Verdict::Go;
            }
        };
        let suspended_s = start.elapsed().as_secs_f64();
        (idle.emit)(Record::Recovered(records::Recovered { suspended_s }));
        if let Ok(mut last) = self.last_check.lock() {
            *last = Some(Instant::now());
        }
        verdict
    }
}

/// The queue's side of the run's records: a pause, a suspension and a recovery become the
/// task's state and its events (and the log line that names the task).
impl Subscriber for QueueHook {
    fn record(&self, r: &Record) {
        let id = self.id;
        let at = |t: u32, well: &str, fov: u32| json!({"t": t, "well": well, "fov": fov});
        match r {
            Record::Paused(p) => {
                self.change(|st| {
                    if st.pause.is_none() || st.state.terminal() || st.cancel.is_some() {
                        return vec![];
                    }
                    st.go(
                        State::Paused,
                        Some(format!(
                            "at t={} {} FOV {}, lights off",
                            p.t, p.region, p.fov
                        )),
                    );
                    vec![
                        QueueEvent::TaskPaused {
                            at: at(p.t, &p.region, p.fov),
                            reason: p.reason.clone(),
                        }
                        .about(Some(id)),
                    ]
                });
                tracing::info!(
                    "paused by the queue before t={} {} FOV {} (lights off); `squidctl unpause {id}` goes on",
                    p.t,
                    p.region,
                    p.fov
                );
            }
            Record::Suspended(s) => self.change(|st| {
                if !matches!(st.state, State::Running | State::Pausing) {
                    return vec![];
                }
                st.go(State::Suspended, Some(s.condition.clone()));
                vec![
                    QueueEvent::TaskSuspended {
                        condition: s.condition.clone(),
                        at: at(s.t, &s.region, s.fov),
                    }
                    .about(Some(id)),
                ]
            }),
            Record::Recovered(r) => {
                let mut going_on = false;
                self.change(|st| {
                    if st.state != State::Suspended {
                        return vec![];
                    }
                    going_on = st.cancel.is_none();
                    let back = if st.pause.is_some() {
                        State::Pausing
                    } else {
                        State::Running
                    };
                    st.go(back, None);
                    vec![
                        QueueEvent::TaskRecovered {
                            suspended_s: r.suspended_s,
                        }
                        .about(Some(id)),
                    ]
                });
                if going_on {
                    tracing::info!(
                        "hold condition recovered after {:.1} s: going on",
                        r.suspended_s
                    );
                }
            }
            _ => {}
        }
    }
}

impl Gate for QueueHook {
    fn at(&self, p: &SafePoint, idle: &mut Idle<'_>) -> Verdict {
        let Some(st) = self.status() else {
            return Verdict::Go;
        };
        if st.cancel.is_some() {
            return Verdict::Stop(self.cancel_reason());
        }
        if let Some(req) = &st.pause
            && boundary_reached(p.boundary, req.at)
            && let Verdict::Stop(why) = self.pause(p, req, idle)
        {
            return Verdict::Stop(why);
        }
        self.hold(p, idle)
    }

    fn stop_wanted(&self) -> Option<String> {
        let Ok(mut c) = self.stop_cache.lock() else {
            return None;
        };
        if c.0
            .is_some_and(|t| t.elapsed() < Duration::from_millis(500))
        {
            return c.1.clone();
        }
        let want = self
            .status()
            .filter(|s| s.cancel.is_some())
            .map(|_| self.cancel_reason());
        *c = (Some(Instant::now()), want.clone());
        want
    }
}

/// Records the run directory and logs progress for the queue.
pub struct QueueObserver {
    pub hook: Arc<QueueHook>,
    pub resumed: bool,
    plan: Option<Arc<Plan>>,
    estimate_s: f64,
    last: Option<Instant>,
    last_t: Option<u64>,
}

impl QueueObserver {
    pub fn new(hook: Arc<QueueHook>, resumed: bool) -> Self {
        QueueObserver {
            hook,
            resumed,
            plan: None,
            estimate_s: 0.0,
            last: None,
            last_t: None,
        }
    }
}

impl Observer for QueueObserver {
    fn started(&mut self, plan: &Arc<Plan>, _queue_capacity: u64, estimate_s: f64) {
        self.plan = Some(plan.clone());
        self.estimate_s = estimate_s;
    }

    fn run_dir(&mut self, root: &Path) {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        if let Ok(mut g) = self.hook.run_dir.lock() {
            *g = Some(root.clone());
        }
        let (id, resumed) = (self.hook.id, self.resumed);
        let link = self.hook.spool.task_dir(id).join("run");
        let _ = std::fs::remove_file(&link);
        let _ = std::os::unix::fs::symlink(&root, &link);
        self.hook.change(|st| {
            st.run_dir = Some(root.clone());
            let now = crate::clock::WallTime::now().unix_s;
            st.started_unix.get_or_insert(now);
            vec![
                QueueEvent::TaskStarted {
                    run_dir: root.clone(),
                    attempt: st.attempts,
                    resumed,
                    pid: std::process::id(),
                }
                .about(Some(id)),
            ]
        });
    }

    fn tick(&mut self, tick: &Tick<'_>) {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(plan) = &self.plan else { return };
        let t = tick.stats.current_t.load(Relaxed);
        let due = self.last.is_none_or(|l| l.elapsed() >= PROGRESS_EVERY) || self.last_t != Some(t);
        if !due {
            return;
        }
        self.last = Some(Instant::now());
        self.last_t = Some(t);
        let frames = tick.stats.acquired.load(Relaxed);
        let total = plan.total_frames().max(1);
        let region = tick.stats.current_region.load(Relaxed) as usize;
        let ev = QueueEvent::Progress {
            t,
            t_total: plan.time.count,
            well: plan.regions.get(region).map(|r| r.name.clone()),
            fov: tick.stats.current_fov.load(Relaxed),
            frames,
            frames_total: total,
            eta_s: (self.estimate_s * (1.0 - frames as f64 / total as f64)).max(0.0),
        }
        .about(Some(self.hook.id));
        if let Err(e) = self.hook.spool.emit(vec![ev]) {
            tracing::warn!("queue task {}: cannot log progress: {e}", self.hook.id);
        }
    }
}
