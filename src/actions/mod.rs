//! Actions: short, exclusive operations on the instrument between (never during) runs — home,
//! move, snap one image, focus once, lights, filter. Each takes the microscope lock like a
//! run, opens the devices on their own thread, runs under a deadline derived from the
//! microscope's timing like every run step, leaves every light off (unless it was asked to
//! turn one on), and is journaled in the instrument log with what it did.

mod device;
mod request;
mod snap;

use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use request::{Action, FocusRequest, LightsRequest, MoveRequest, SnapRequest};

use crate::clock::WallTime;
use crate::exit::Exit;
use crate::fault::{Code, Fault};
use crate::hardware::{self, BuildOptions};
use crate::instrument::{self, ActionEntry, ActionLog, InstrumentState, state::LastAction};
use crate::microscope::MicroscopeConfig;
use crate::run_dir::lock::{self, LockError};

/// How long to wait for a busy microscope: `None` not at all, `Some(None)` for ever.
pub type Wait = Option<Option<Duration>>;

/// What an action did, for its caller (the CLI's text and `--json`, a queue task's result).
#[derive(Debug, Clone)]
pub struct Done {
    pub result: serde_json::Value,
    pub state: InstrumentState,
    pub took_s: f64,
}

/// Why an action did not happen or did not finish; the exit says which kind.
#[derive(Debug, Clone)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    /// What a scheduler sees: the same object in `--json`, the result file and the API.
    pub fault: Fault,
}

impl Failure {
    fn new(exit: Exit, message: impl Into<String>) -> Failure {
        let message = message.into();
        let fault = Fault::from_exit(exit, message.clone())
            .unwrap_or_else(|| Fault::new(Code::Internal, message.clone()));
        Failure {
            exit,
            message,
            fault,
        }
    }

    /// A failure whose fault is known; the exit follows from the fault's category.
    fn of(fault: Fault) -> Failure {
        Failure {
            exit: fault.exit(),
            message: fault.message.clone(),
            fault,
        }
    }
}

/// What the device thread reports: it opened the devices (at this clock scale), then ended.
enum Progress {
    Opened(f64),
    Ended(Result<device::Outcome, Fault>),
}

/// Do `action` on the microscope `config` describes: check it, take the lock (waiting as
/// `wait` says), run it under its deadline, and journal it. A device that hangs past the
/// deadline turns every light off and ends this process with [`Exit::Hung`] after a thread
/// dump, as a run would: the device thread cannot be taken back.
pub fn perform(config: &MicroscopeConfig, action: &Action, wait: Wait) -> Result<Done, Failure> {
    action.check(config).map_err(Failure::of)?;
    let name = config.desc.name.clone();
    let dir = instrument::dir(&name).map_err(|m| Failure::new(Exit::OutputError, m))?;
    let _lock = take_lock(&name, action, wait)?;
    if let Some(e) = instrument::estop::latched(&dir) {
        let mut f = Failure::new(Exit::Busy, instrument::estop::refusal(&e));
        f.fault = Fault::new(Code::EmergencyStopped, f.message.clone());
        return Err(f);
    }
    watch_for_emergency_stop();
    let before = InstrumentState::read(&dir, &name);
    // A relative move is from where the last action left the stage: a board that homes on
    // connecting (the Squid's) is no longer there when the devices open.
    let checked = match (action, before.position) {
        (Action::Move(m), Some(p)) if m.relative => Action::Move(MoveRequest {
            x_mm: m.x_mm.map(|v| p.x + v),
            y_mm: m.y_mm.map(|v| p.y + v),
            z_mm: m.z_mm.map(|v| p.z + v),
            relative: false,
            to: None,
        }),
        _ => action.clone(),
    }
    .check(config)
    .map_err(Failure::of)?;
    let start = Instant::now();
    // Homing starts from nowhere known.
    let at = match checked {
        request::Checked::Home => None,
        _ => before.position.map(|p| (p.x, p.y, p.z)),
    };
    let outcome = run_on_device(config, &checked, &dir, at);
    let took_s = start.elapsed().as_secs_f64();
    let now = WallTime::now();
    let mut state = before;
    let entry = ActionEntry {
        at: now.rfc3339(),
        unix: now.unix_s,
        pid: std::process::id(),
        action: action.name().to_string(),
        request: action.to_json(),
        ok: outcome.is_ok(),
        result: outcome
            .as_ref()
            .map(|o| o.result.clone())
            .unwrap_or_default(),
        error: outcome.as_ref().err().map(|f| f.message.clone()),
        took_s,
    };
    match &outcome {
        Ok(o) => {
            state.position = o.position.or(state.position);
            state.homed = o.homed.or(state.homed);
            state.lights.on = o.lights_on.clone();
        }
        // A failed action turned every light off on its way out (or hung, and never got here).
        Err(_) => state.lights.on.clear(),
    }
    // Motors cut by an emergency stop during the action: the homing is gone.
    if instrument::estop::latched(&dir).is_some_and(|e| e.cut_motors) {
        state.homed = Some(false);
    }
    state.microscope = name;
    state.last_action = Some(LastAction {
        action: entry.action.clone(),
        ok: entry.ok,
        at: entry.at.clone(),
        error: entry.error.clone(),
    });
    let log = ActionLog::in_dir(&dir);
    if let Err(e) = log.append(&entry) {
        tracing::warn!(
            "cannot write the instrument log {}: {e}",
            log.path().display()
        );
    }
    if let Err(e) = state.write(&dir) {
        tracing::warn!(
            "cannot write the instrument state in {}: {e}",
            dir.display()
        );
    }
    let o = outcome?;
    Ok(Done {
        result: o.result,
        state,
        took_s,
    })
}

/// `squidctl stop --now` signals whoever holds the lock: every light off at once (the
/// registered hooks need no device lock), then the action is interrupted as by Ctrl-C.
fn watch_for_emergency_stop() {
    let _ = crate::supervisor::spawn("estop", || {
        if let Some(cut) = crate::supervisor::signals::wait_estop() {
            tracing::debug!("emergency stop received (cut the motors: {cut})");
            let confirmed = crate::supervisor::safety::emergency(|| {
                let off = crate::supervisor::safety::all_lights_off("emergency stop");
                if cut {
                    crate::supervisor::safety::cut_motors("emergency stop");
                }
                off
            });
            eprintln!(
                "squidctl: emergency stop: every light off{}",
                if confirmed {
                    ""
                } else {
                    " (NOT confirmed by every device: check the lasers)"
                }
            );
            // SAFETY: signalling this process; SIGINT is blocked and taken as an interrupt.
            unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
        }
    });
}

fn take_lock(name: &str, action: &Action, wait: Wait) -> Result<lock::MicroscopeLock, Failure> {
    let owner = lock::owner_text("action", std::path::Path::new(action.name()));
    let cancelled = crate::supervisor::signals::pending_cancel_signal;
    lock::acquire(name, wait, &owner, &cancelled).map_err(|e| match e {
        LockError::Busy { holder, path } => Failure::new(
            Exit::Busy,
            format!(
                "the microscope `{name}` is busy ({}; lock {}) — {}",
                holder.replace('\n', ", ").trim_end_matches(", "),
                path.display(),
                if wait.is_some() {
                    "still, after waiting: try again later, or wait longer with --wait-lock"
                } else {
                    "wait for it with --wait-lock [DURATION]"
                }
            ),
        ),
        LockError::Interrupted(sig) => Failure::new(
            crate::supervisor::signals::signal_exit(sig),
            "cancelled while waiting for the microscope",
        ),
        LockError::Io(e, path) => Failure::new(
            Exit::Failed,
            format!("cannot take the microscope lock {}: {e}", path.display()),
        ),
    })
}

/// Open the devices and act on a thread of their own, so a hung device cannot hang the
/// caller: opening gets the drivers' own startup bound, the action its derived deadline.
fn run_on_device(
    config: &MicroscopeConfig,
    action: &request::Checked,
    dir: &std::path::Path,
    stage_at: Option<(f64, f64, f64)>,
) -> Result<device::Outcome, Failure> {
    let (tx, rx) = mpsc::channel();
    let cfg = config.clone();
    let act = action.clone();
    let out_dir = dir.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name(format!("action-{}", action.name()))
        .spawn(move || {
            let tell = tx.clone();
            let r = crate::supervisor::panics::catch(move || {
                let mut m = hardware::build(
                    &cfg,
                    &BuildOptions {
                        sources: Some(act.sources()),
                        stage_at,
                        ..BuildOptions::default()
                    },
                )
                .map_err(|e| e.fault())?;
                let _ = tell.send(Progress::Opened(m.clock.scale()));
                device::act(&mut m, &cfg, &act, &out_dir)
            })
            .unwrap_or_else(|p| Err(Fault::new(Code::Internal, format!("driver {p}"))));
            let _ = tx.send(Progress::Ended(r));
        });
    if let Err(e) = spawned {
        return Err(Failure::new(
            Exit::Failed,
            format!("cannot start the action: {e}"),
        ));
    }
    let open_limit = Duration::from_secs_f64(hardware::startup(config).1)
        + crate::runner::deadlines::MARGIN * 10;
    let fail = |f: Fault| Failure {
        exit: Exit::Failed,
        message: f.message.clone(),
        fault: f,
    };
    let scale = match rx.recv_timeout(open_limit) {
        Ok(Progress::Opened(s)) => s,
        Ok(Progress::Ended(r)) => return r.map_err(fail),
        Err(_) => hung(dir, "opening the devices", open_limit),
    };
    let limit = action.deadline(config, scale);
    match rx.recv_timeout(limit) {
        Ok(Progress::Ended(r)) => r.map_err(fail),
        Ok(Progress::Opened(_)) => Err(Failure::new(
            Exit::Failed,
            "the device thread reported twice",
        )),
        Err(_) => hung(dir, action.name(), limit),
    }
}

/// A device did not answer in time: lights off, a thread dump beside the instrument log,
/// and out — the hung thread holds the devices, so nothing more can be done here.
fn hung(dir: &std::path::Path, what: &str, limit: Duration) -> ! {
    crate::supervisor::safety::all_lights_off("an action hung");
    let d = crate::supervisor::dump::dump(&format!(
        "{what} missed its deadline of {:.1} s",
        limit.as_secs_f64()
    ));
    let path = dir.join(format!("hang-{}.txt", WallTime::now().unix_s as u64));
    let saved = crate::fsutil::write_atomic(&path, d.text.as_bytes()).is_ok();
    eprintln!(
        "error: HUNG: {what} did not finish within {:.1} s; every light was turned off{}",
        limit.as_secs_f64(),
        if saved {
            format!("; thread dump: {}", path.display())
        } else {
            String::new()
        }
    );
    std::process::exit(i32::from(Exit::Hung.code()))
}
