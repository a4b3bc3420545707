//! Preflight: everything that can be known about a plate's run before the robot fetches the
//! plate, in one report, changing nothing — the protocol against the microscope, the
//! estimate, free disk against the need, the instrument (emergency stop, lock, worker,
//! reservation) and the autofocus calibration. Each blocker is a fault, as the run would
//! have failed with it. The devices are not opened: opening a Squid board homes its stage,
//! which is a side effect a check must not have.

use serde_json::{Value, json};

use super::spool::Spool;
use crate::fault::{Code, Fault};
use crate::protocol::schema::AfMethod;
use crate::session::Loaded;

/// The run would need this much more than the estimate (headroom for metadata and the
/// journal), as `acquire` asks.
const DISK_MARGIN: f64 = 1.02;

struct Report {
    checks: Vec<Value>,
    blockers: Vec<Fault>,
    warnings: Vec<Fault>,
}

impl Report {
    fn check(&mut self, name: &str, detail: Value, blocker: Option<Fault>) {
        // `name`, `ok` and `message` are Squid's report's keys.
        self.checks.push(json!({
            "name": name,
            "ok": blocker.is_none(),
            "message": blocker.as_ref().map_or("", |f| f.message.as_str()),
            "detail": detail,
            "fault": blocker,
        }));
        self.blockers.extend(blocker);
    }

    fn warn(&mut self, name: &str, detail: Value, f: Fault) {
        self.checks.push(json!({
            "name": name, "ok": true, "warning": true, "message": f.message,
            "detail": detail, "fault": f,
        }));
        self.warnings.push(f);
    }
}

/// The report for `loaded` (or why it did not load) on `spool`'s microscope, run as `holder`
/// from `cwd` (where a relative `output.directory` is).
pub fn report(
    spool: &Spool,
    loaded: Result<&Loaded, &Fault>,
    holder: Option<&str>,
    cwd: &std::path::Path,
) -> Value {
    let mut r = Report {
        checks: Vec::new(),
        blockers: Vec::new(),
        warnings: Vec::new(),
    };
    let mut estimate = Value::Null;
    match loaded {
        Err(f) => r.check("protocol", json!({}), Some(f.clone())),
        Ok(l) => {
            r.check(
                "protocol",
                json!({"name": l.plan.name, "microscope": l.microscope.desc.name}),
                None,
            );
            let plan = &l.plan;
            let e = plan.estimate(
                &crate::hardware::timing(&l.microscope),
                crate::saver::layout::footprint(plan),
            );
            estimate = json!({
                "duration_s": e.duration_s,
                "frames": plan.total_frames(),
                "fovs": plan.total_fovs(),
                "bytes": e.bytes,
            });
            disk(&mut r, l, e.bytes, cwd);
            autofocus(&mut r, l);
        }
    }
    instrument(&mut r, spool, holder);
    let free = r
        .checks
        .iter()
        .find(|c| c["name"] == "disk")
        .map(|c| c["detail"]["free_bytes"].clone());
    json!({
        "microscope": spool.microscope,
        "ready": r.blockers.is_empty(),
        "ok": r.blockers.is_empty(),
        "free_bytes": free,
        "estimate": estimate,
        "checks": r.checks,
        "faults": r.blockers,
        "warnings": r.warnings,
    })
}

/// Free space where the run directory would be made (its nearest existing folder).
fn disk(r: &mut Report, l: &Loaded, bytes: u64, cwd: &std::path::Path) {
    let vars = l.plan.template_vars(&crate::clock::WallTime::now());
    let rendered = crate::protocol::template::render(&l.plan.output.directory, &vars)
        .unwrap_or_else(|_| l.plan.output.directory.clone());
    let dir = cwd.join(rendered);
    let need = (bytes as f64 * DISK_MARGIN) as u64;
    match crate::fsutil::free_space(&dir) {
        Some((free, at)) => {
            let detail = json!({"directory": dir, "measured_at": at, "free_bytes": free, "need_bytes": need});
            let short = (free < need).then(|| {
                Fault::new(
                    Code::InsufficientDisk,
                    format!(
                        "the run needs about {} but only {} is free on {}",
                        crate::human::bytes(need),
                        crate::human::bytes(free),
                        at.display()
                    ),
                )
                .component("disk")
                .with("free_bytes", free)
                .with("need_bytes", need)
            });
            r.check("disk", detail, short);
        }
        None => r.check(
            "disk",
            json!({"directory": dir}),
            Some(
                Fault::new(
                    Code::PathNotWritable,
                    format!("cannot find the free space for {}", dir.display()),
                )
                .component("disk"),
            ),
        ),
    }
}

/// A laser autofocus needs its calibration (`calibrate-af` writes it) to be there and read.
fn autofocus(r: &mut Report, l: &Loaded) {
    if l.plan.autofocus.method != AfMethod::Laser {
        r.check(
            "autofocus",
            json!({"method": l.plan.autofocus.method}),
            None,
        );
        return;
    }
    let af = l.microscope.desc.laser_autofocus.as_ref();
    let Some(file) = af.and_then(|a| a.calibration.as_deref()) else {
        // A laser autofocus that keeps no calibration of its own (the simulator's).
        r.check("autofocus", json!({"method": "laser"}), None);
        return;
    };
    let path = l.microscope.relative_path(file);
    let bad = crate::hardware::reflection_af::Calibration::load(&path).err();
    r.check(
        "autofocus",
        json!({"method": "laser", "calibration": path}),
        bad.map(|e| {
            Fault::new(
                Code::AutofocusNotReady,
                format!("the laser autofocus is not calibrated: {e}"),
            )
            .component("autofocus.laser")
            .with("calibration", &path)
        }),
    );
}

/// The emergency stop, the lock, the worker and the reservation: what would stop or delay
/// the run now. Only the stop blocks; the rest make it wait, and are said as warnings.
fn instrument(r: &mut Report, spool: &Spool, holder: Option<&str>) {
    if let Ok(dir) = crate::instrument::dir(&spool.microscope)
        && let Some(e) = crate::instrument::estop::latched(&dir)
    {
        r.check(
            "emergency_stop",
            json!({"since": e.at}),
            Some(
                Fault::new(
                    Code::EmergencyStopped,
                    crate::instrument::estop::refusal(&e),
                )
                .component("emergency_stop"),
            ),
        );
    } else {
        r.check("emergency_stop", json!({"latched": false}), None);
    }
    match crate::run_dir::lock::holding(&spool.microscope) {
        Some(h) => r.warn(
            "lock",
            json!({"held_by": h.what, "pid": h.pid}),
            Fault::new(
                Code::WrongState,
                format!(
                    "the microscope is busy ({}): a queued run waits for it",
                    h.what
                ),
            )
            .component("lock"),
        ),
        None => r.check("lock", json!({"free": true}), None),
    }
    if spool.worker_alive() {
        r.check("worker", json!({"running": true}), None);
    } else {
        r.warn(
            "worker",
            json!({"running": false}),
            Fault::new(
                Code::WrongState,
                "no worker serves this microscope's queue: a submitted run waits until `squidctl worker` runs",
            )
            .component("queue"),
        );
    }
    let lease = super::lease::current(spool);
    match super::lease::admits(lease.as_ref(), holder) {
        Ok(()) => r.check(
            "reservation",
            json!({"holder": lease.map(|l| l.holder)}),
            None,
        ),
        Err(why) => r.warn(
            "reservation",
            json!({"holder": lease.map(|l| l.holder)}),
            Fault::new(
                Code::Reserved,
                format!("{why}: the run waits until it ends"),
            )
            .component("reservation"),
        ),
    }
}
