//! `squidctl devices`: the resolved microscope, and a check that each device answers.

use std::io::Write;
use std::sync::mpsc;
use std::time::Instant;

use super::print_json;
use crate::cli::DevicesArgs;
use crate::exit::Exit;
use crate::hardware::{self, BuildOptions, ErrorKind, Microscope};
use crate::microscope::MicroscopeConfig;
use crate::protocol::units::fmt_num;

struct Check {
    device: &'static str,
    ok: bool,
    detail: String,
}

/// How long closing the devices may take once they answered.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub fn run(args: &DevicesArgs) -> Exit {
    let config = match hardware::load(args.microscope.as_deref()) {
        Ok(c) => c,
        Err(d) => return super::invalid(&d),
    };
    let mut text = Vec::new();
    let _ = describe(&mut text, &config);
    let (tx, rx) = mpsc::channel::<Check>();
    // Disconnected once the thread has closed the devices (its sender is dropped last).
    let (closed_tx, closed_rx) = mpsc::channel::<()>();
    let cfg = config.clone();
    // Devices are checked on their own thread so a hung device cannot hang this command.
    let spawned = std::thread::Builder::new()
        .name("device-check".into())
        .spawn(move || {
            let _closed = closed_tx;
            let m = match crate::supervisor::panics::catch(|| {
                hardware::build(
                    &cfg,
                    &BuildOptions {
                        sources: Some(Vec::new()),
                        ..BuildOptions::default()
                    },
                )
            }) {
                Ok(Ok(m)) => m,
                Ok(Err(e)) => {
                    let _ = tx.send(Check {
                        device: "microscope",
                        ok: false,
                        detail: e.to_string(),
                    });
                    return;
                }
                Err(p) => {
                    let _ = tx.send(Check {
                        device: "microscope",
                        ok: false,
                        detail: format!("driver {p}"),
                    });
                    return;
                }
            };
            check_all(m, &cfg, &tx);
        });
    if let Err(e) = spawned {
        eprintln!("error: cannot start the device check: {e}");
        return Exit::Failed;
    }
    let mut checks = Vec::new();
    let mut hung = None;
    let expected = 4
        + usize::from(config.desc.filter_wheel.is_some())
        + usize::from(config.desc.laser_autofocus.is_some());
    let start = Instant::now();
    // Opening includes connecting and homing, which the drivers know the length of.
    let mut wait =
        args.timeout.std() + std::time::Duration::from_secs_f64(hardware::startup(&config).1);
    while checks.len() < expected {
        let got = rx.recv_timeout(wait);
        wait = args.timeout.std();
        match got {
            Ok(c) => {
                let stop = c.device == "microscope";
                checks.push(c);
                if stop {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                hung = Some(next_device(checks.len(), &config));
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = writeln!(
        text,
        "\nchecks ({:.0} ms)",
        start.elapsed().as_secs_f64() * 1000.0
    );
    for c in &checks {
        let _ = writeln!(
            text,
            "  {:<13} {:<4} {}",
            c.device,
            if c.ok { "ok" } else { "FAIL" },
            c.detail
        );
    }
    if let Some(d) = hung {
        let _ = writeln!(
            text,
            "  {d:<13} HUNG did not answer within {}",
            args.timeout
        );
    }
    let all_ok = hung.is_none() && checks.len() >= expected && checks.iter().all(|c| c.ok);
    if args.json {
        let _ = std::io::stderr().write_all(&text);
        print_json(&serde_json::json!({
            "command": "devices",
            "ok": all_ok,
            "microscope": config.desc,
            "faults": hardware::faults::specs(&config).unwrap_or_default(),
            "builtin": config.builtin,
            "checks": checks.iter().map(|c| serde_json::json!({"device": c.device, "ok": c.ok, "detail": c.detail})).collect::<Vec<_>>(),
            "hung": hung,
        }));
    } else {
        let _ = std::io::stdout().write_all(&text);
    }
    if hung.is_none() {
        wait_closed(&closed_rx);
    }
    match (hung, all_ok) {
        (Some(_), _) => {
            // The hung thread cannot be joined; leave without waiting for it.
            let _ = std::io::stdout().flush();
            std::process::exit(Exit::Hung.code() as i32);
        }
        (None, true) => Exit::Completed,
        (None, false) => Exit::Failed,
    }
}

/// Waits for the devices to be let go: a GigE camera left open stays held by this process's
/// address until its heartbeat runs out (3 s or more), and the next command must wait that out.
fn wait_closed(closed: &mpsc::Receiver<()>) {
    if let Err(mpsc::RecvTimeoutError::Timeout) = closed.recv_timeout(CLOSE_WAIT) {
        eprintln!(
            "warning: the devices did not close within {} s; a camera may stay held until its heartbeat runs out",
            CLOSE_WAIT.as_secs()
        );
    }
}

fn next_device(done: usize, c: &MicroscopeConfig) -> &'static str {
    let mut order = vec!["xy stage", "z stage", "camera", "illumination"];
    if c.desc.filter_wheel.is_some() {
        order.push("filter wheel");
    }
    if c.desc.laser_autofocus.is_some() {
        order.push("laser AF");
    }
    order.get(done).copied().unwrap_or("microscope")
}

fn check_all(mut m: Microscope, cfg: &MicroscopeConfig, tx: &mpsc::Sender<Check>) {
    let send = |device: &'static str,
                r: Result<
        Result<String, hardware::DeviceError>,
        crate::supervisor::panics::PanicReport,
    >| {
        let (ok, detail) = match r {
            Ok(Ok(s)) => (true, s),
            Ok(Err(e)) if e.kind == ErrorKind::OutOfRange && device == "laser AF" => {
                (true, format!("answers ({})", e.message))
            }
            Ok(Err(e)) => (false, e.to_string()),
            Err(p) => (false, format!("driver {p}")),
        };
        let _ = tx.send(Check { device, ok, detail });
    };
    send(
        "xy stage",
        crate::supervisor::panics::catch(|| {
            let at = m.xy.position()?;
            let mut s = format!("at x {:.3} mm, y {:.3} mm", at.0, at.1);
            if let Some(d) = m.xy.details() {
                s = format!("{s}; {d}");
            }
            Ok(s)
        }),
    );
    send(
        "z stage",
        crate::supervisor::panics::catch(|| m.z.position().map(|z| format!("at z {z:.4} mm"))),
    );
    send(
        "camera",
        crate::supervisor::panics::catch(|| {
            let t = Instant::now();
            m.camera.snap().map(|f| {
                let mean =
                    f.pixels.iter().map(|&v| v as f64).sum::<f64>() / f.pixels.len().max(1) as f64;
                format!(
                    "snapped {}×{} in {:.0} ms (dark level {mean:.0})",
                    f.width,
                    f.height,
                    t.elapsed().as_secs_f64() * 1000.0
                )
            })
        }),
    );
    let source = cfg
        .desc
        .channels
        .first()
        .map(|c| c.source.clone())
        .unwrap_or_default();
    send(
        "illumination",
        crate::supervisor::panics::catch(|| {
            m.illumination.set(&source, 0.0)?;
            m.illumination.off()?;
            Ok(format!("selected {source} at 0% and switched off"))
        }),
    );
    if let Some(w) = m.filter_wheel.as_mut() {
        send(
            "filter wheel",
            crate::supervisor::panics::catch(|| {
                let from = w.position()?;
                let to = if from == 1 {
                    2.min(cfg.desc.filter_wheel.as_ref().map_or(1, |f| f.positions))
                } else {
                    1
                };
                w.select(to)?;
                w.select(from)?;
                Ok(format!("at position {from}; turned to {to} and back"))
            }),
        );
    }
    if let Some(l) = m.laser_af.as_mut() {
        let lights = &mut *m.illumination;
        send(
            "laser AF",
            crate::supervisor::panics::catch(|| {
                let what = l.details().map(|d| format!(" ({d})")).unwrap_or_default();
                l.measure_um(lights)
                    .map(|d| format!("reads the surface {d:+.2} um away{what}"))
            }),
        );
    }
}

fn describe(out: &mut dyn Write, c: &MicroscopeConfig) -> std::io::Result<()> {
    let d = &c.desc;
    let t = d.stage.travel;
    writeln!(
        out,
        "microscope    {} ({}), {}",
        d.name,
        if c.builtin {
            "built-in simulated microscope".to_string()
        } else {
            c.source.name.clone()
        },
        d.drivers_summary()
    )?;
    writeln!(
        out,
        "stage xy      travel x {}–{} mm, y {}–{} mm; {}, {}, settle {}",
        fmt_num(t.x[0].mm()),
        fmt_num(t.x[1].mm()),
        fmt_num(t.y[0].mm()),
        fmt_num(t.y[1].mm()),
        d.stage.xy.speed,
        d.stage.xy.acceleration,
        d.stage.xy.settle
    )?;
    writeln!(
        out,
        "stage z       travel {}–{} mm; {}, {}, settle {}; focus at {}",
        fmt_num(t.z[0].mm()),
        fmt_num(t.z[1].mm()),
        d.stage.z.speed,
        d.stage.z.acceleration,
        d.stage.z.settle,
        d.stage.focus_z
    )?;
    let cam = &d.camera;
    writeln!(
        out,
        "camera        {} {}×{} px of {}, {}-bit, readout {}, exposure {}–{}, gain {}–{}, binning {}",
        if cam.model.is_empty() {
            "camera"
        } else {
            &cam.model
        },
        cam.width,
        cam.height,
        cam.pixel_size,
        cam.bit_depth,
        cam.readout,
        cam.exposure_min,
        cam.exposure_max,
        fmt_num(cam.gain_min),
        fmt_num(cam.gain_max),
        cam.binning
    )?;
    let (fw, fh) = c.fov_mm();
    writeln!(
        out,
        "objective     {} {}×: FOV {:.3} × {:.3} mm, {} um per pixel",
        d.objective.name,
        fmt_num(d.objective.magnification),
        fw,
        fh,
        fmt_num(c.pixel_um())
    )?;
    writeln!(
        out,
        "illumination  switch time {}, on and off {}",
        d.illumination.switch_time, d.illumination.on_off_time
    )?;
    match &d.laser_autofocus {
        Some(l) => writeln!(
            out,
            "laser AF      range {}, {} per measurement",
            l.range, l.measure_time
        )?,
        None => writeln!(out, "laser AF      none")?,
    }
    if let Some(w) = &d.filter_wheel {
        writeln!(
            out,
            "filter wheel  {} positions, {} per step",
            w.positions, w.step_time
        )?;
    }
    if d.sim.is_some()
        && let Ok(sim) = hardware::sim::SimSettings::of(c)
    {
        writeln!(
            out,
            "simulation    time scale {}, seed {}, {} sample, focus tilt {} / {}, curvature {}",
            fmt_num(sim.time_scale),
            sim.seed,
            format!("{:?}", sim.sample).to_lowercase(),
            sim.focus.tilt_x,
            sim.focus.tilt_y,
            sim.focus.curvature
        )?;
    }
    let faults = hardware::faults::specs(c).unwrap_or_default();
    if faults.is_empty() {
        writeln!(out, "faults        none")?;
    }
    for f in &faults {
        writeln!(out, "fault         {}", f.describe())?;
    }
    writeln!(out, "channels")?;
    for ch in &d.channels {
        let wl = match (ch.wavelength, ch.emission) {
            (Some(w), Some(e)) => format!("{w} → {e}"),
            (Some(w), None) => w.to_string(),
            _ => String::new(),
        };
        writeln!(out, "  {:<12} {:<12} {wl}", ch.name, ch.source)?;
    }
    Ok(())
}
