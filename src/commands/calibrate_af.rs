//! `squidctl calibrate-af`: teach a reflection autofocus how its spot follows z, on the rig.

use super::print_json;
use crate::cli::CalibrateAfArgs;
use crate::exit::Exit;
use crate::hardware::reflection_af::{Calibration, CalibrationPlan};
use crate::hardware::{self, BuildOptions, DeviceResult};
use crate::microscope::MicroscopeConfig;

/// Connecting (homing a Squid takes ~13 s) and each step's own deadlines are inside this.
const CONNECT_S: f64 = 120.0;
const PER_POSITION_S: f64 = 10.0;

pub fn run(args: &CalibrateAfArgs) -> Exit {
    let config = match hardware::load(args.microscope.as_deref()) {
        Ok(c) => c,
        Err(d) => return super::invalid(&d),
    };
    let Some(af) = config.desc.laser_autofocus.as_ref() else {
        eprintln!(
            "error: {} has no `laser_autofocus`: there is nothing to calibrate\nhelp: describe the sensor under `laser_autofocus:` (see the README's laser autofocus section)",
            config.source.name
        );
        return Exit::Invalid;
    };
    if af.calibration.is_none() {
        eprintln!(
            "error: {}: `laser_autofocus` names no `calibration:` file to write\nhelp: add `calibration: laser-af.yaml` (next to the description)",
            config.source.name
        );
        return Exit::Invalid;
    }
    let plan = CalibrationPlan {
        steps: args.steps,
        step_um: args.step.um(),
    };
    if !(plan.step_um > 0.0 && plan.step_um <= 100.0) {
        eprintln!(
            "error: --step {} is out of range: give 0.1um to 100um (about a tenth of the sensor's range)",
            args.step
        );
        return Exit::Invalid;
    }
    let name = config.desc.name.clone();
    let _lock = match super::command_lock(&name, "calibrate-af", "calibrate") {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    let z = args.z.map_or(config.desc.stage.focus_z.mm(), |z| z.mm());
    let xy = args.xy.map(|(x, y)| (x.mm(), y.mm()));
    let cfg = config.clone();
    let limit = CONNECT_S + PER_POSITION_S * f64::from(2 * plan.steps + 1);
    match super::on_device_thread("calibrate-af", "laser autofocus", limit, move || {
        calibrate(&cfg, xy, z, &plan)
    }) {
        Ok(c) => {
            report(&config, &c, args.json);
            Exit::Completed
        }
        Err(e) => {
            eprintln!("error: calibration failed: {e}");
            if args.json {
                print_json(
                    &serde_json::json!({"command": "calibrate-af", "ok": false, "error": e}),
                );
            }
            Exit::Failed
        }
    }
}

fn calibrate(
    config: &MicroscopeConfig,
    xy: Option<(f64, f64)>,
    z: f64,
    plan: &CalibrationPlan,
) -> DeviceResult<Calibration> {
    let mut m = hardware::build(
        config,
        &BuildOptions {
            sources: Some(Vec::new()),
            ..BuildOptions::default()
        },
    )?;
    let Some(af) = m.laser_af.as_mut() else {
        return Err(hardware::DeviceError::failed(
            "laser autofocus",
            "the microscope built without its laser autofocus",
        ));
    };
    if let Some((x, y)) = xy {
        m.xy.move_to(x, y)?;
    }
    m.z.move_to(z)?;
    let r = af.calibrate(&mut *m.z, &mut *m.illumination, plan);
    // Lights off whatever happened; the calibration's own error comes first.
    let off = m.illumination.off();
    let c = r?;
    off?;
    Ok(c)
}

fn report(config: &MicroscopeConfig, c: &Calibration, json: bool) {
    let path = config
        .desc
        .laser_autofocus
        .as_ref()
        .and_then(|a| a.calibration.as_deref())
        .map(|p| config.relative_path(p))
        .unwrap_or_default();
    if json {
        print_json(&serde_json::json!({
            "command": "calibrate-af",
            "ok": true,
            "file": path,
            "calibration": c,
        }));
        return;
    }
    println!(
        "calibrated {}: {:+.3} px/um, in focus at {:.1} px (R² {:.5}, residual {:.2} px, {} points at z {:.4} mm)",
        c.camera,
        c.px_per_um,
        c.reference_px,
        c.r2,
        c.residual_px,
        c.points.len(),
        c.focus_z_mm
    );
    println!("wrote {}", path.display());
}
