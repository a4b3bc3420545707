//! One state of the instrument, the same for `squidctl status`, the API and the status page:
//! worked out from files only (the emergency-stop latch, the queue's tasks, the microscope
//! lock, the reservation, the last action's `instrument.json`), never from a device.

use crate::fault::{Code, Fault};
use serde::Serialize;
use serde_json::{Value, json};

use super::events::QueueEvent;
use super::spool::{Spool, SpoolError};
use super::task::State;
use crate::clock::WallTime;
use crate::instrument::{self, InstrumentState, estop};

/// Where the instrument stands, in the order the checks are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Uninitialized,
    Initializing,
    Idle,
    Reserved,
    Running,
    Paused,
    Stopping,
    Error,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Uninitialized => "uninitialized",
            Phase::Initializing => "initializing",
            Phase::Idle => "idle",
            Phase::Reserved => "reserved",
            Phase::Running => "running",
            Phase::Paused => "paused",
            Phase::Stopping => "stopping",
            Phase::Error => "error",
        }
    }

    /// The word Squid's Core Service uses for it.
    pub fn squid(self) -> &'static str {
        match self {
            Phase::Uninitialized => "UNINITIALIZED",
            Phase::Initializing => "INITIALIZING",
            Phase::Idle => "INITIALIZED",
            Phase::Reserved => "RESERVED",
            Phase::Running | Phase::Paused => "ACQUIRING",
            Phase::Stopping => "PROCESSING",
            Phase::Error => "ERROR",
        }
    }
}

/// The whole picture, as JSON (`squidctl status --json`, `GET /v1/status`).
pub fn status(spool: &Spool) -> Value {
    let now = WallTime::now();
    let dir = instrument::dir(&spool.microscope).ok();
    let latch = dir.as_deref().and_then(estop::latched);
    let inst = dir
        .as_deref()
        .map(|d| InstrumentState::read(d, &spool.microscope))
        .unwrap_or_default();
    let tasks = spool.tasks();
    let active = tasks.iter().find(|t| t.status.state.active());
    let holder = crate::run_dir::lock::holding(&spool.microscope);
    let lease = super::lease::current(spool);
    let ran_before = inst.last_action.is_some() || tasks.iter().any(|t| t.status.attempts > 0);
    let phase = if latch.is_some() {
        Phase::Error
    } else if let Some(t) = active {
        match t.status.state {
            State::Cancelling => Phase::Stopping,
            State::Paused | State::Pausing | State::Suspended => Phase::Paused,
            _ if t.spec.action.as_ref().is_some_and(|a| a.name() == "home") => Phase::Initializing,
            _ => Phase::Running,
        }
    } else if let Some(h) = &holder {
        if h.what.starts_with("action home") {
            Phase::Initializing
        } else {
            Phase::Running
        }
    } else if lease.is_some() {
        Phase::Reserved
    } else if ran_before || inst.homed == Some(true) {
        Phase::Idle
    } else {
        Phase::Uninitialized
    };
    // The latest fault: the stop, else the newest task or action that ended with one.
    let latest_fault = match &latch {
        Some(e) => Some(
            Fault::new(Code::EmergencyStopped, estop::refusal(e))
                .component("emergency_stop")
                .to_value(),
        ),
        None => tasks
            .iter()
            .filter(|t| t.status.fault.is_some())
            .max_by(|a, b| {
                a.status
                    .ended_unix
                    .unwrap_or(0.0)
                    .total_cmp(&b.status.ended_unix.unwrap_or(0.0))
            })
            .and_then(|t| {
                let mut f = t.status.fault.clone()?;
                f.detail.insert("task".into(), t.spec.id.into());
                Some(f.to_value())
            }),
    };
    let q = spool.queue_status();
    json!({
        "microscope": spool.microscope,
        "state": phase.name(),
        "squid_state": phase.squid(),
        "position": inst.position.map(|p| json!({"x_mm": p.x, "y_mm": p.y, "z_mm": p.z})),
        "homed": inst.homed,
        "lights_on": inst.lights.on,
        "running": active.map(|t| json!({
            "task": t.spec.id,
            "kind": if t.spec.action.is_some() { "action" } else { "run" },
            "name": t.spec.label.clone().unwrap_or_else(|| t.spec.plan.name.clone()),
            "state": t.status.state,
            "run_dir": t.status.run_dir,
            "holder": t.spec.holder,
        })),
        "lock_holder": holder.map(|h| json!({"pid": h.pid, "host": h.host, "for": h.what})),
        "reservation": lease,
        "emergency_stop": latch,
        "latest_fault": latest_fault,
        "last_action": inst.last_action,
        "queue": {
            "held": q.held,
            "waiting": tasks.iter().filter(|t| super::schedule::pending(t.status.state) || t.status.state == State::Held).count(),
            "worker": spool.worker_alive(),
        },
        "time": now.rfc3339(),
    })
}

/// The last state said in the events, so each change is said once whoever notices it.
const LAST: &str = "instrument_state.json";

/// Log `instrument_state` if the state differs from the last one logged; the new status.
pub fn publish_change(spool: &Spool) -> Result<Value, SpoolError> {
    let v = status(spool);
    let key = |v: &Value| {
        json!({"state": v["state"], "lights_on": v["lights_on"], "task": v["running"]["task"],
               "reservation": v["reservation"]["holder"]})
    };
    let path = spool.dir.join(LAST);
    let _g = spool.lock()?;
    let last: Option<Value> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let now = key(&v);
    if last.as_ref() != Some(&now) {
        crate::fsutil::write_atomic(&path, now.to_string().as_bytes())
            .map_err(|e| SpoolError::Io(format!("cannot write {}: {e}", path.display())))?;
        spool.emit_locked(vec![
            QueueEvent::InstrumentState {
                state: v["state"].as_str().unwrap_or("").to_string(),
                previous: last.and_then(|l| l["state"].as_str().map(String::from)),
                lights_on: v["lights_on"].clone(),
                reservation: v["reservation"]["holder"].as_str().map(String::from),
            }
            .about(v["running"]["task"].as_u64()),
        ])?;
    }
    Ok(v)
}
