//! Focus at plate speed: wells per hour on the simulator's clock for a 96-well plate (4
//! fields, 2 channels, a 5-plane stack) by focus strategy, with the share of fields imaged in
//! focus; and a 5-plane stack by the objective piezo against the stepper, per plane.

use super::*;

/// The built-in microscope at `time_scale: 0` with a 256² camera (saving does not set the
/// pace), its z optionally with the objective piezo, its plate placed as the holder says.
fn focus_microscope(name: &str, piezo: bool) -> PathBuf {
    let z = "  z: {speed: 5mm/s, acceleration: 100mm/s2, settle: 10ms}";
    let text = squidctl::microscope::BUILTIN_YAML
        .replace("time_scale: 0.1", "time_scale: 0")
        .replace("width: 2048", "width: 256")
        .replace("height: 2048", "height: 256");
    let text = if piezo {
        text.replace(
            z,
            "  z: {speed: 5mm/s, acceleration: 100mm/s2, settle: 10ms, piezo: {range: 300um, home: 20um, settle: 5ms}}",
        )
    } else {
        text
    };
    let p = scratch().join(format!("bench-{name}.yaml"));
    let _ = std::fs::write(&p, text);
    p
}

/// One screen: (seconds on the microscope's clock, share of fields in focus).
fn screen(m: &Path, set: &[&str]) -> Option<(f64, f64)> {
    let out = bench_out();
    let o = out.display().to_string();
    let ms = m.display().to_string();
    let mut args = vec![
        "acquire",
        "protocols/focus_map_96well.yaml",
        "--microscope",
        &ms,
        "--output",
        &o,
        "-q",
        "--set",
        "z={count: 5, step: 1um, from: center}",
    ];
    for s in set {
        args.extend(["--set", s]);
    }
    run_measured(&args);
    let rd = newest_run(&out)?;
    let j = journal(&rd);
    let clock = j
        .iter()
        .filter(|e| e["kind"] == "frame")
        .filter_map(|e| e["clock_s"].as_f64())
        .fold(f64::NAN, f64::max);
    let rep = Command::new(bin())
        .args(["report", "--json"])
        .arg(&rd)
        .current_dir(repo())
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&rep.stdout).ok()?;
    Some((clock, v["in_focus_fraction"].as_f64().unwrap_or(f64::NAN)))
}

/// Seconds per plane of a 5-plane stack on the clock, from its frames' clock times.
fn per_plane(m: &Path) -> f64 {
    let out = bench_out();
    let proto = scratch().join("bench-stack.yaml");
    let _ = std::fs::write(
        &proto,
        "name: stack\nplate: {format: 96, wells: \"A1:A12\"}\nz: {count: 5, step: 1um, from: center}\nchannels:\n  - {name: GFP, exposure: 5ms, intensity: 50%}\n",
    );
    let (p, ms, o) = (
        proto.display().to_string(),
        m.display().to_string(),
        out.display().to_string(),
    );
    run_measured(&["acquire", &p, "--microscope", &ms, "--output", &o, "-q"]);
    let Some(rd) = newest_run(&out) else {
        return f64::NAN;
    };
    let j = journal(&rd);
    let mut steps = Vec::new();
    let frames: Vec<&serde_json::Value> = j.iter().filter(|e| e["kind"] == "frame").collect();
    for w in frames.windows(2) {
        if w[0]["region"] == w[1]["region"]
            && w[0]["fov"] == w[1]["fov"]
            && let (Some(a), Some(b)) = (w[0]["clock_s"].as_f64(), w[1]["clock_s"].as_f64())
        {
            steps.push(b - a);
        }
    }
    median(steps)
}

pub(crate) fn focus(rows: &mut Vec<Row>) {
    let stepper = focus_microscope("focus-stepper", false);
    let piezo = focus_microscope("focus-piezo", true);
    let strategies: [(&str, &Path, Vec<&str>); 5] = [
        ("focus map + laser every 4th field", &stepper, vec![]),
        ("focus map + laser every 4th field, piezo", &piezo, vec![]),
        ("focus map alone", &stepper, vec!["autofocus.method=none"]),
        (
            "laser autofocus at every field",
            &stepper,
            vec!["focus_map=null", "autofocus.every=fov"],
        ),
        (
            "contrast autofocus at every field",
            &stepper,
            vec![
                "focus_map=null",
                "autofocus={method: contrast, every: fov, range: 20um, step: 1um, channel: BF}",
            ],
        ),
    ];
    let mut wells_h = Vec::new();
    for (label, m, set) in &strategies {
        let Some((clock, in_focus)) = screen(m, set) else {
            eprintln!("focus: `{label}` did not run");
            continue;
        };
        let per_hour = 96.0 * 3600.0 / clock;
        wells_h.push(per_hour);
        rows.push(Row {
            name: format!("wells/h, {label} (in focus {:.1} %)", in_focus * 100.0),
            value: per_hour,
            unit: "/h",
            goal: "≥ 99 % in focus".into(),
            ok: Some(in_focus >= 0.99),
        });
    }
    if let (Some(map), Some(laser)) = (wells_h.first(), wells_h.get(3)) {
        rows.push(Row {
            name: "focus map + laser every 4th ÷ laser at every field".into(),
            value: map / laser,
            unit: "×",
            goal: "≥ 2×".into(),
            ok: Some(map / laser >= 2.0),
        });
    }
    for (label, m) in [("stepper", &stepper), ("piezo", &piezo)] {
        rows.push(Row {
            name: format!("5-plane stack, one plane by {label} (simulator's clock)"),
            value: per_plane(m) * 1000.0,
            unit: "ms",
            goal: String::new(),
            ok: None,
        });
    }
    // The same on the emulated board at the shipped speeds, in real time.
    let z = "  z: {profile: s-curve, speed: 5mm/s, acceleration: 100mm/s2, settle: 25ms}";
    for (label, piezo) in [("stepper", false), ("piezo", true)] {
        let Some(mut rig) = board_rig(&format!("focus-{label}")) else {
            eprintln!("focus: the emulated board did not start");
            return;
        };
        if piezo {
            let text = std::fs::read_to_string(&rig.m).unwrap_or_default().replace(
                z,
                "  z: {profile: s-curve, speed: 5mm/s, acceleration: 100mm/s2, settle: 25ms, piezo: {range: 300um, home: 20um, settle: 20ms}}",
            );
            let _ = std::fs::write(&rig.m, text);
        }
        rows.push(Row {
            name: format!("5-plane stack, one plane by {label} (emulated board, real time)"),
            value: per_plane(&rig.m) * 1000.0,
            unit: "ms",
            goal: String::new(),
            ok: None,
        });
        let _ = rig.board.kill();
        let _ = rig.board.wait();
        let _ = std::fs::remove_dir_all(&rig.dir);
    }
}
