//! The part of an action that touches the devices, on the action's device thread. Every
//! path out — done, failed — turns the lights off.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::request::Checked;
use crate::fault::{Code, Fault};
use crate::hardware::autofocus::{AfMethod as HwAf, AfRequest};
use crate::hardware::{DeviceResult, Microscope};
use crate::instrument::Position;
use crate::microscope::MicroscopeConfig;
use crate::protocol::schema::AfMethod;

/// What the device part found.
pub struct Outcome {
    pub result: serde_json::Value,
    pub position: Option<Position>,
    pub homed: Option<bool>,
    pub lights_on: Vec<String>,
}

fn position(m: &mut Microscope) -> DeviceResult<Position> {
    let (x, y) = m.xy.position()?;
    let z = m.z.position()?;
    Ok(Position { x, y, z })
}

fn pos_json(p: &Position) -> serde_json::Value {
    json!({"x_mm": p.x, "y_mm": p.y, "z_mm": p.z})
}

pub fn act(
    m: &mut Microscope,
    config: &MicroscopeConfig,
    action: &Checked,
    out_dir: &Path,
) -> Result<Outcome, Fault> {
    let r = act_inner(m, config, action, out_dir);
    // Whatever happened: no action leaves a light on behind it. The action's own error
    // comes first; a light that will not go off is an error of its own.
    let off = m.illumination.off();
    let mut o = r?;
    off.map_err(|e| {
        let mut f = e.fault();
        f.message = format!("could not turn the lights off: {e}");
        f
    })?;
    o.lights_on.clear();
    Ok(o)
}

fn act_inner(
    m: &mut Microscope,
    config: &MicroscopeConfig,
    action: &Checked,
    out_dir: &Path,
) -> Result<Outcome, Fault> {
    let e = |e: crate::hardware::DeviceError| e.fault();
    let mut homed = None;
    let result = match action {
        Checked::Home => {
            // Opening the devices connected and homed them (the Squid board homes on every
            // connection); what is left is to say where that left the stage.
            homed = Some(true);
            json!({"homed": true})
        }
        Checked::Move {
            x,
            y,
            z,
            relative,
            to,
            travel,
        } => {
            let here = position(m).map_err(e)?;
            let target = |v: Option<f64>, cur: f64| match v {
                Some(v) if *relative => cur + v,
                Some(v) => v,
                None => cur,
            };
            let t = Position {
                x: target(*x, here.x),
                y: target(*y, here.y),
                z: target(*z, here.z),
            };
            for (axis, v, tr) in [
                ("x", t.x, travel[0]),
                ("y", t.y, travel[1]),
                ("z", t.z, travel[2]),
            ] {
                if v < tr[0] || v > tr[1] {
                    return Err(Fault::new(Code::OutOfRange, format!(
                        "the move would take {axis} to {v:.4} mm, outside the travel {} to {} mm; nothing was moved",
                        tr[0], tr[1]
                    ))
                    .component(format!("stage.{axis}"))
                    .with("axis", axis)
                    .with("target_mm", v));
                }
            }
            // The objective travels lowered: z goes to the lower of its two heights before
            // xy moves, and to its target after.
            let safe_z = t.z.min(here.z);
            if safe_z != here.z {
                m.z.move_to(safe_z).map_err(e)?;
            }
            if (t.x, t.y) != (here.x, here.y) {
                m.xy.move_to(t.x, t.y).map_err(e)?;
            }
            if t.z != safe_z {
                m.z.move_to(t.z).map_err(e)?;
            }
            json!({"from": pos_json(&here), "to": pos_json(&t), "named": to})
        }
        Checked::Snap {
            channel,
            source,
            exposure_s,
            intensity_pct,
            output,
        } => {
            m.illumination.set(source, *intensity_pct).map_err(e)?;
            m.camera.set_exposure(*exposure_s).map_err(e)?;
            let frame = m.expose(*exposure_s).map_err(e)?;
            m.illumination.off().map_err(e)?;
            let p = position(m).map_err(e)?;
            let dir = output.clone().unwrap_or_else(|| out_dir.join("snaps"));
            let saved = super::snap::save(
                config,
                &dir,
                channel,
                *exposure_s,
                *intensity_pct,
                &p,
                &frame,
            )?;
            json!({
                "channel": channel,
                "exposure_ms": exposure_s * 1000.0,
                "intensity_pct": intensity_pct,
                "path": saved.path,
                "thumbnail": saved.thumbnail,
                "width": frame.width,
                "height": frame.height,
                "position": pos_json(&p),
            })
        }
        Checked::Focus {
            plan,
            source,
            channel,
            exposure_s,
            intensity_pct,
        } => {
            let before = m.z.position().map_err(e)?;
            let req = AfRequest {
                method: HwAf::of_plan(plan),
                reference_z_mm: before,
                exposure_s: *exposure_s,
                gain: None,
                source: source.clone(),
                intensity_pct: *intensity_pct,
            };
            let r = m.run_autofocus(&req).map_err(e)?;
            let quality = focus_quality(m, plan.method, &r.scores)?;
            json!({
                "method": if plan.method == AfMethod::Laser { "laser" } else { "contrast" },
                "channel": channel,
                "z_mm": r.z_mm,
                "moved_um": (r.z_mm - before) * 1000.0,
                "samples": r.samples,
                "quality": quality,
            })
        }
        Checked::Lights { on: None } => json!({"on": []}),
        Checked::Lights {
            on: Some((channel, source, pct, secs)),
        } => {
            m.illumination.set(source, *pct).map_err(e)?;
            m.illumination.on().map_err(e)?;
            let (on_s, stopped) = hold_on(Duration::from_secs_f64(*secs));
            m.illumination.off().map_err(e)?;
            json!({"channel": channel, "intensity_pct": pct, "on_s": on_s, "ended_early_by": stopped})
        }
        Checked::Filter { position } => {
            let w = m.filter_wheel.as_mut().ok_or_else(|| {
                Fault::new(
                    Code::CapabilityMissing,
                    "the microscope built without its filter wheel",
                )
                .component("filter_wheel")
            })?;
            w.select(*position).map_err(e)?;
            let at = w.position().map_err(e)?;
            json!({"position": at})
        }
    };
    let p = position(m).map_err(e)?;
    Ok(Outcome {
        result,
        position: Some(p),
        homed,
        lights_on: Vec::new(),
    })
}

/// How sure the focus is: for a contrast search, how far the best plane's score stands
/// above the search's median (1 is no peak at all); for a laser, what one more reading
/// says is left to correct, in µm.
fn focus_quality(
    m: &mut Microscope,
    method: AfMethod,
    scores: &[(f64, f64)],
) -> Result<serde_json::Value, Fault> {
    if method == AfMethod::Laser {
        let lights = &mut *m.illumination;
        let residual = match m.laser_af.as_mut() {
            Some(l) => l.measure_um(lights).map_err(|e| e.fault())?,
            None => return Ok(serde_json::Value::Null),
        };
        return Ok(json!({"residual_um": residual}));
    }
    let mut s: Vec<f64> = scores.iter().map(|(_, v)| *v).collect();
    s.sort_by(f64::total_cmp);
    let (Some(best), Some(median)) = (s.last(), s.get(s.len() / 2)) else {
        return Ok(serde_json::Value::Null);
    };
    Ok(json!({"peak_to_median": if *median > 0.0 { best / median } else { 0.0 }}))
}

/// Keep a light on for `d`, ending early at Ctrl-C or SIGTERM: how long it was on, and the
/// signal that ended it early, if one did.
fn hold_on(d: Duration) -> (f64, Option<&'static str>) {
    let start = Instant::now();
    let end = start + d;
    let mut stopped = None;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if let Some(sig) = crate::supervisor::signals::pending_cancel_signal() {
            stopped = Some(crate::supervisor::signals::signal_name(sig));
            // Pending again for the whole process, so the command still exits as cancelled.
            // SAFETY: kill to our own pid; the signal is blocked, so it only waits.
            unsafe { libc::kill(libc::getpid(), sig) };
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(20)));
    }
    (start.elapsed().as_secs_f64(), stopped)
}
