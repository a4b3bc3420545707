//! Focus quality judged against the simulator's true surface: `report`'s `in_focus_fraction`
//! and the distribution of |focus error|, which focus methods are compared by.

use crate::common::*;

/// `protocols/laser_autofocus.yaml` on the built-in microscope (its sample tilts and bows by
/// several µm across the plate): `report` says which share of the fields were within the
/// objective's depth of field.
fn in_focus(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out = dir.join(extra.len().to_string());
    let o = out.display().to_string();
    let mut args = vec!["acquire", "protocols/laser_autofocus.yaml", "--output", &o];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    report(&out)
}

/// `report --json` of the run under `dir`.
pub(crate) fn report(dir: &std::path::Path) -> serde_json::Value {
    let r = run(&["report", &run_dir(dir).display().to_string(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[test]
fn a_laser_autofocus_keeps_every_field_in_focus_and_focus_z_alone_does_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let af = in_focus(dir.path(), &[]);
    let q = &af["focus"];
    assert_eq!(q["fields"], 5, "{af}");
    // 20x/0.75 with 6.5 µm pixels: 0.98 µm + 0.43 µm.
    let dof = q["depth_of_field_um"].as_f64().expect("dof");
    assert!((dof - 1.411).abs() < 0.01, "{q}");
    assert_eq!(af["in_focus_fraction"], 1.0, "{q}");
    assert!(q["abs_error_max_um"].as_f64() < Some(dof / 2.0), "{q}");

    let plain = in_focus(dir.path(), &["--set", "autofocus.method=none"]);
    let fraction = plain["in_focus_fraction"].as_f64().expect("judged");
    assert!(fraction < 0.5, "{}", plain["focus"]);
    assert!(
        plain["focus"]["abs_error_max_um"].as_f64() > Some(3.0),
        "{}",
        plain["focus"]
    );
}

/// The built-in microscope at full speed with a 256² camera (a 96-well plate in seconds),
/// `faults` as YAML items, and a plate that sits offset and rotated in its holder.
fn small_microscope(dir: &std::path::Path, faults: &[&str]) -> String {
    let m = crate::plate::plated_microscope(dir, faults);
    let text = std::fs::read_to_string(&m)
        .expect("written")
        .replace("width: 2048", "width: 256")
        .replace("height: 2048", "height: 256");
    write(dir, "microscope.yaml", &text)
}

/// `protocols/focus_map_96well.yaml` (96 wells × 4 fields × 2 channels) into `dir/name`.
fn screen(dir: &std::path::Path, m: &str, name: &str, set: &[&str]) -> Run {
    let out = dir.join(name).display().to_string();
    let mut args = vec![
        "acquire",
        "protocols/focus_map_96well.yaml",
        "--microscope",
        m,
        "--output",
        &out,
    ];
    for s in set {
        args.extend(["--set", s]);
    }
    run(&args)
}

/// The shipped focus-map screen on a sample that tilts and bows by several µm across the
/// plate, which sits offset and rotated in its holder and is calibrated first: every field
/// within the depth of field and within 20 µm of its planned place; the same plate from `focus_z` alone mostly
/// not. The map, its points and their residuals are in the journal and the report.
#[test]
fn a_plate_imaged_from_a_focus_map_is_in_focus_and_one_from_focus_z_is_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = small_microscope(dir.path(), &[]);
    // Where the plate really is, from its wells' walls.
    let c = run(&["calibrate-plate", "--microscope", &m, "--plate", "96"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let r = screen(dir.path(), &m, "map", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&dir.path().join("map"));
    assert_eq!(rep["focus"]["fields"], 384, "{}", rep["focus"]);
    assert!(
        rep["placement"]["error_max_um"].as_f64() < Some(20.0),
        "{}",
        rep["placement"]
    );
    assert!(
        rep["in_focus_fraction"].as_f64() >= Some(0.99),
        "{}",
        rep["focus"]
    );
    let map = &rep["focus_maps"][0];
    assert_eq!(map["points"].as_array().map(Vec::len), Some(9), "{map}");
    assert_eq!(map["surface"]["kind"], "quadratic", "{map}");
    assert!(map["max_residual_um"].as_f64() < Some(2.0), "{map}");
    assert!(map.get("failed").is_none(), "{map}");
    // The laser autofocus every 4th field corrects on top and says by how much.
    let j = journal(&run_dir(&dir.path().join("map")));
    let corrections: Vec<f64> = kinds(&j, "autofocus")
        .iter()
        .filter_map(|a| a["from_map_um"].as_f64())
        .collect();
    assert_eq!(corrections.len(), 96, "one per well's first field");
    assert!(corrections.iter().all(|c| c.abs() < 1.0), "{corrections:?}");

    let plain = screen(
        dir.path(),
        &m,
        "plain",
        &["focus_map=null", "autofocus.method=none"],
    );
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let rep = report(&dir.path().join("plain"));
    assert!(
        rep["in_focus_fraction"].as_f64() < Some(0.5),
        "{}",
        rep["focus"]
    );
}

/// Points whose autofocus fails are dropped with their reason; too few left to fit the
/// surface, or a point too far from it, fail the plate before any image is taken (exit 1,
/// AUTOFOCUS_FAILED), never a plate of blur.
#[test]
fn failed_points_are_dropped_and_a_map_that_cannot_hold_fails_the_plate_before_imaging() {
    let dir = tempfile::tempdir().expect("tmp");
    let faults = [
        "{call: autofocus, at: 2, kind: error, message: \"no reflection spot\"}",
        "{call: autofocus, at: 5, kind: error, message: \"no reflection spot\"}",
    ];
    let m = small_microscope(dir.path(), &faults);
    let no_retry = "on_error={retries: 0, then: skip-fov}";
    let r = screen(dir.path(), &m, "dropped", &[no_retry, "fov.grid=1x1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&dir.path().join("dropped"));
    let points = rep["focus_maps"][0]["points"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dropped: Vec<&serde_json::Value> =
        points.iter().filter(|p| p.get("z_mm").is_none()).collect();
    assert_eq!(dropped.len(), 2, "{points:?}");
    assert!(dropped.iter().all(|p| {
        p["error"]
            .as_str()
            .is_some_and(|e| e.contains("no reflection"))
    }));
    assert!(
        rep["in_focus_fraction"].as_f64() >= Some(0.99),
        "{}",
        rep["focus"]
    );

    // Seven points, two of them lost: five cannot fit a quadratic.
    let few = screen(dir.path(), &m, "few", &[no_retry, "focus_map.points=7"]);
    assert_eq!(few.code, 1, "{}", few.stderr);
    assert!(
        few.stderr.contains("too few to fit a quadratic"),
        "{}",
        few.stderr
    );
    let rd = run_dir(&dir.path().join("few"));
    assert!(kinds(&journal(&rd), "frame").is_empty(), "nothing imaged");
    let rep = report(&dir.path().join("few"));
    assert_eq!(rep["fault"]["code"], 8001, "{}", rep["fault"]);

    // A plane cannot follow the sample's 8 µm bow to within half a µm.
    let m = small_microscope(dir.path(), &[]);
    let flat = screen(
        dir.path(),
        &m,
        "flat",
        &["focus_map.surface=plane", "focus_map.max_residual=0.5um"],
    );
    assert_eq!(flat.code, 1, "{}", flat.stderr);
    assert!(
        flat.stderr.contains("from the fitted plane"),
        "{}",
        flat.stderr
    );
    let rd = run_dir(&dir.path().join("flat"));
    assert!(kinds(&journal(&rd), "frame").is_empty(), "nothing imaged");
    assert!(kinds(&journal(&rd), "focus_map")[0]["failed"].is_string());
}

/// A 5-plane stack with the objective piezo (`stage.z.piezo`) on the simulator: the planes
/// land where the stepper's would (the same focus errors), in less time on the microscope's
/// clock, and the estimate knows it.
#[test]
fn a_piezo_stack_focuses_like_the_stepper_in_less_time_and_the_estimate_knows() {
    let dir = tempfile::tempdir().expect("tmp");
    let stepper = small_microscope(dir.path(), &[]);
    let text = std::fs::read_to_string(&stepper).expect("written");
    let z = "  z: {speed: 5mm/s, acceleration: 100mm/s2, settle: 10ms}";
    assert!(text.contains(z), "the built-in z line moved");
    let piezo = write(
        dir.path(),
        "piezo.yaml",
        &text.replace(
            z,
            "  z: {speed: 5mm/s, acceleration: 100mm/s2, settle: 10ms, piezo: {range: 300um, home: 20um, settle: 2ms}}",
        ),
    );
    let protocol = write(
        dir.path(),
        "stack.yaml",
        "name: stack\nplate: {format: 96, wells: [A1, B2, C3]}\nfov: {grid: 2x2}\nz: {count: 5, step: 1um, from: center}\nchannels:\n  - {name: DAPI, exposure: 5ms, intensity: 50%}\n",
    );
    let mut seen = Vec::new();
    for (name, m) in [("stepper", &stepper), ("piezo", &piezo)] {
        let e = run(&[
            "simulate",
            "--estimate",
            "--json",
            &protocol,
            "--microscope",
            m,
        ]);
        assert_eq!(e.code, 0, "{}", e.stderr);
        let estimate = e.json()["estimate"]["duration_s"]
            .as_f64()
            .expect("duration_s");
        let out = dir.path().join(name);
        let r = run(&[
            "acquire",
            &protocol,
            "--microscope",
            m,
            "--output",
            &out.display().to_string(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let j = journal(&run_dir(&out));
        let frames = kinds(&j, "frame");
        let clock = frames
            .iter()
            .filter_map(|f| f["clock_s"].as_f64())
            .fold(0.0, f64::max);
        let errors: Vec<f64> = frames
            .iter()
            .filter_map(|f| f["focus_error_um"].as_f64())
            .collect();
        assert_eq!(errors.len(), 60, "{name}");
        seen.push((estimate, clock, errors));
    }
    let (s, p) = (&seen[0], &seen[1]);
    for (a, b) in s.2.iter().zip(&p.2) {
        assert!(
            (a - b).abs() < 0.01,
            "the piezo's planes are the stepper's: {a} vs {b}"
        );
    }
    assert!(
        p.1 < s.1,
        "the piezo stack is quicker on the clock: {} vs {}",
        p.1,
        s.1
    );
    assert!(p.0 < s.0, "and the estimate says so: {} vs {}", p.0, s.0);
}

/// `points: grid 3x4` measures at the wells nearest a 3 × 4 grid over the imaged wells; a
/// grid that is not one is refused where it is written.
#[test]
fn a_focus_map_on_a_grid_of_wells_and_a_bad_grid_refused() {
    let r = run(&[
        "validate",
        "protocols/focus_map_96well.yaml",
        "--set",
        "focus_map.points=grid 3x4",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("quadratic at 12 (A1 A5 A8 A12 D1 D5 D8 D12 H1 H5 H8 H12)"),
        "{}",
        r.stderr
    );
    let bad = run(&[
        "validate",
        "protocols/focus_map_96well.yaml",
        "--set",
        "focus_map.points=grid 3by4",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("rows x columns"), "{}", bad.stderr);
}

/// `points: corners` with `surface: bilinear`: each well's own surface from its fields'
/// four corners, and every field in focus from it on the tilted, bowed sample; a bilinear
/// surface without corners is refused where it is written.
#[test]
fn a_bilinear_surface_per_well_from_its_corners_keeps_every_field_in_focus() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = small_microscope(dir.path(), &[]);
    let per_well = "focus_map={points: corners, surface: bilinear}";
    let r = screen(
        dir.path(),
        &m,
        "corners",
        &[per_well, "plate.wells=A1:B3", "autofocus.method=none"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&dir.path().join("corners"));
    assert_eq!(rep["focus"]["fields"], 24, "{}", rep["focus"]);
    assert_eq!(rep["in_focus_fraction"], 1.0, "{}", rep["focus"]);
    let j = journal(&run_dir(&dir.path().join("corners")));
    let map = &kinds(&j, "focus_map")[0];
    assert_eq!(map["points"].as_array().map(Vec::len), Some(24), "{map}");
    assert_eq!(map["surface"]["kind"], "bilinear", "{map}");
    assert_eq!(
        map["surface"]["wells"].as_array().map(Vec::len),
        Some(6),
        "{map}"
    );

    let bad = run(&[
        "validate",
        "protocols/focus_map_96well.yaml",
        "--set",
        "focus_map.surface=bilinear",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("points: corners"), "{}", bad.stderr);
}
