//! `squidctl move | home | snap | focus | lights | filter`: one action on the instrument,
//! under the microscope lock, as `acquire` takes it (`--wait-lock` to wait for a run).

use super::print_json;
use crate::actions::{self, Action, FocusRequest, LightsRequest, MoveRequest, SnapRequest};
use crate::cli::{
    ActArgs, ActionTarget, FilterArgs, FocusArgs, FocusMethodArg, HomeArgs, LightsArgs, MoveArgs,
    OnOff, SnapArgs,
};
use crate::exit::Exit;
use crate::fault::{Code, Fault};
use crate::protocol::units::fmt_num;

pub fn move_stage(a: &MoveArgs) -> Exit {
    let target = ActionTarget {
        microscope: a.target.microscope.clone(),
        lock: crate::cli::LockArgs {
            wait_lock: a.wait_lock,
        },
        holder: a.holder.clone(),
        json: a.target.json,
    };
    let req = MoveRequest {
        to: a.to.clone(),
        x_mm: a.x.map(|v| v.mm()),
        y_mm: a.y.map(|v| v.mm()),
        z_mm: a.z.map(|v| v.mm()),
        relative: a.by,
    };
    run(&target, &Action::Move(req))
}

pub fn home(a: &HomeArgs) -> Exit {
    run(&a.target, &Action::Home)
}

pub fn snap(a: &SnapArgs) -> Exit {
    let output = match std::path::absolute(&a.output) {
        Ok(p) => p,
        Err(e) => {
            return fail(
                Exit::Invalid,
                &format!("--output {}: {e}", a.output.display()),
            );
        }
    };
    run(
        &a.target,
        &Action::Snap(SnapRequest {
            channel: a.channel.clone(),
            exposure_ms: a.exposure.map(|d| d.secs() * 1000.0),
            intensity_pct: a.intensity,
            output: Some(output),
        }),
    )
}

pub fn focus(a: &FocusArgs) -> Exit {
    run(
        &a.target,
        &Action::Focus(FocusRequest {
            method: a.method.map(|m| {
                match m {
                    FocusMethodArg::Laser => "laser",
                    FocusMethodArg::Contrast => "contrast",
                }
                .to_string()
            }),
            channel: a.channel.clone(),
            range_um: a.range.map(|r| r.um()),
            step_um: a.step.map(|s| s.um()),
            exposure_ms: a.exposure.map(|d| d.secs() * 1000.0),
        }),
    )
}

pub fn lights(a: &LightsArgs) -> Exit {
    run(
        &a.target,
        &Action::Lights(LightsRequest {
            on: a.state == OnOff::On,
            channel: a.channel.clone(),
            intensity_pct: a.intensity,
            for_s: a.for_.map(|d| d.secs()),
        }),
    )
}

pub fn filter(a: &FilterArgs) -> Exit {
    run(
        &a.target,
        &Action::Filter {
            position: a.position,
        },
    )
}

/// Say why; with `--json`, main's fallback line carries the same reason and exit code.
fn fail(exit: Exit, message: &str) -> Exit {
    eprintln!("error: {message}");
    super::remember_error(message);
    exit
}

fn run(t: &ActionTarget, action: &Action) -> Exit {
    let config = match crate::hardware::load(t.microscope.as_deref()) {
        Ok(c) => c,
        Err(d) => return super::invalid_microscope(&d),
    };
    // A reservation keeps everyone but its holder off (the worker checks its own tasks).
    if let Ok(spool) = crate::queue::spool::Spool::open(&config.desc.name)
        && let Err(why) = crate::queue::lease::admits(
            crate::queue::lease::current(&spool).as_ref(),
            t.holder.as_deref(),
        )
    {
        let m = format!("{why}: act as its holder with --holder NAME, or wait for it to end");
        crate::fault::remember(&Fault::new(Code::Reserved, m.clone()).component("reservation"));
        return fail(Exit::Busy, &m);
    }
    perform(t, &config, action, None)
}

/// `squidctl act JSON`: what a worker runs for an action task.
pub fn act(a: &ActArgs) -> Exit {
    let action: Action = match serde_json::from_str(&a.action) {
        Ok(x) => x,
        Err(e) => return fail(Exit::Invalid, &format!("not an action: {e}")),
    };
    let config = match crate::hardware::load(a.target.microscope.as_deref()) {
        Ok(c) => c,
        Err(d) => return super::invalid_microscope(&d),
    };
    perform(&a.target, &config, &action, a.result.as_deref())
}

fn perform(
    t: &ActionTarget,
    config: &crate::microscope::MicroscopeConfig,
    action: &Action,
    result_file: Option<&std::path::Path>,
) -> Exit {
    let done = match actions::perform(config, action, t.lock.wait()) {
        Ok(d) => d,
        Err(f) => {
            if let Some(p) = result_file {
                keep_result(
                    p,
                    &serde_json::json!({
                        "command": action.name(), "ok": false, "exit_code": f.exit.code(),
                        "microscope": config.desc.name, "request": action.to_json(),
                        "error": f.message, "fault": f.fault,
                    }),
                );
            }
            return super::fault_exit(&f.fault, f.exit);
        }
    };
    // A Ctrl-C that came during the action (signals wait while it runs, so its lights are
    // turned off in order) still means "interrupted".
    let signal = crate::supervisor::signals::pending_cancel_signal();
    let exit = signal.map_or(Exit::Completed, crate::supervisor::signals::signal_exit);
    let summary = serde_json::json!({
        "command": action.name(),
        "ok": true,
        "exit_code": exit.code(),
        "microscope": config.desc.name,
        "request": action.to_json(),
        "result": done.result,
        "position": done.state.position.map(|p| serde_json::json!({"x_mm": p.x, "y_mm": p.y, "z_mm": p.z})),
        "took_s": done.took_s,
    });
    if let Some(p) = result_file {
        keep_result(p, &summary);
    }
    if t.json {
        print_json(&summary);
    } else {
        println!("{}", describe(action, &done));
    }
    exit
}

/// The queue task's copy of the result; the worker reads it when the process ends.
fn keep_result(path: &std::path::Path, v: &serde_json::Value) {
    if let Err(e) = crate::fsutil::write_durable(path, v.to_string().as_bytes()) {
        tracing::warn!("cannot write the result {}: {e}", path.display());
    }
}

/// One line a person reads: what was done, and where the stage is now.
fn describe(action: &Action, done: &actions::Done) -> String {
    let r = &done.result;
    let mm = |v: &serde_json::Value| v.as_f64().map_or("?".into(), |v| format!("{v:.3}"));
    let at = done.state.position.map_or(String::new(), |p| {
        // + 0.0: a homed axis reads -0.0, shown as 0.000.
        format!(
            "stage at x {:.3} y {:.3} z {:.3} mm",
            p.x + 0.0,
            p.y + 0.0,
            p.z + 0.0
        )
    });
    let took = format!("{:.1} s", done.took_s);
    match action {
        Action::Home => format!("homed; {at} ({took})"),
        Action::Move(m) => match &m.to {
            Some(n) => format!("moved to {n}: {at} ({took})"),
            None => format!("moved: {at} ({took})"),
        },
        Action::Snap(_) => format!(
            "saved {} ({}×{}, {} ms) and its thumbnail {}; {at} ({took})",
            r["path"].as_str().unwrap_or("?"),
            r["width"],
            r["height"],
            fmt_num(r["exposure_ms"].as_f64().unwrap_or(0.0)),
            r["thumbnail"].as_str().unwrap_or("?"),
        ),
        Action::Focus(_) => format!(
            "focused ({}) at z {} mm, moved {} µm, quality {}; {at} ({took})",
            r["method"].as_str().unwrap_or("?"),
            mm(&r["z_mm"]),
            r["moved_um"]
                .as_f64()
                .map_or("?".into(), |v| format!("{v:+.2}")),
            r["quality"],
        ),
        Action::Lights(l) if l.on => format!(
            "{} was on for {:.1} s{}, and every light is off again ({took})",
            r["channel"].as_str().unwrap_or("?"),
            r["on_s"].as_f64().unwrap_or(0.0),
            r["ended_early_by"]
                .as_str()
                .map_or(String::new(), |s| format!(" (ended early by {s})")),
        ),
        Action::Lights(_) => format!("every light is off ({took})"),
        Action::Filter { .. } => format!("filter wheel at position {} ({took})", r["position"]),
    }
}
