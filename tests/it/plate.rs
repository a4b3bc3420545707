//! Plate calibration on a simulated plate that sits offset and rotated in its holder:
//! `calibrate-plate` finds it from the wells' walls (or takes the positions the user jogged
//! to), stores it beside the description, and every plan of that plate places its wells
//! from it — judged against the simulator's truth.

use crate::common::*;

/// Where the simulated 96-well plate truly is: 570 µm right of and 530 µm above where the
/// holder should put A1, turned 0.35° (H12 lands ~0.6 mm off).
pub const TRUE_PLATE: &str =
    "plate: {format: 96, a1: {x: 14.95mm, y: 10.71mm}, rotation_deg: 0.35}";

/// The built-in microscope at full speed with the misplaced plate in its holder.
pub fn plated_microscope(dir: &std::path::Path, faults: &[&str]) -> String {
    let m = microscope(dir, 0.0, faults);
    let text = std::fs::read_to_string(&m)
        .expect("written")
        .replace("  seed: 1\n", &format!("  seed: 1\n  {TRUE_PLATE}\n"));
    assert!(text.contains("rotation_deg"), "the sim section moved");
    write(dir, "microscope.yaml", &text)
}

/// Every well of the plate, one field each, in bright field.
const EVERY_WELL: &str = "name: every-well
plate: {format: 96, wells: A1-H12}
fov: {grid: 1x1}
channels:
  - {name: BF, exposure: 5ms, intensity: 50%}
";

fn placement(dir: &std::path::Path, m: &str, protocol: &str, name: &str) -> serde_json::Value {
    let out = dir.join(name).display().to_string();
    let r = run(&["acquire", protocol, "--microscope", m, "--output", &out]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    crate::focus::report(&dir.join(name))
}

#[test]
fn a_calibrated_plate_puts_every_well_within_20um_and_the_uncalibrated_one_does_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = plated_microscope(dir.path(), &[]);
    let p = write(dir.path(), "every.yaml", EVERY_WELL);

    // Before: validate warns, and the plan says the plate is where the holder should put it.
    let v = run(&["validate", &p, "--microscope", &m, "--json"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(v.stderr.contains("has no calibration"), "{}", v.stderr);
    assert_eq!(
        v.json()["files"][0]["warnings"].as_array().map(Vec::len),
        Some(1)
    );
    let before = placement(dir.path(), &m, &p, "before");
    assert_eq!(before["plate_placement"]["from"], "nominal", "{before}");
    assert_eq!(before["placement"]["fields"], 96, "{}", before["placement"]);
    assert!(
        before["placement"]["error_max_um"].as_f64() > Some(200.0),
        "{}",
        before["placement"]
    );

    // Found from the walls of three corner wells, in bright field.
    let c = run(&[
        "calibrate-plate",
        "--microscope",
        &m,
        "--plate",
        "96",
        "--json",
    ]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let cal = &c.json()["calibration"];
    assert_eq!(cal["method"], "edges", "{cal}");
    assert_eq!(cal["wells"].as_array().map(Vec::len), Some(3), "{cal}");
    assert!(
        (cal["rotation_deg"].as_f64().unwrap_or(0.0) - 0.35).abs() < 0.01,
        "{cal}"
    );
    assert!(
        (cal["a1"][0].as_f64().unwrap_or(0.0) - 14.95).abs() < 0.01,
        "{cal}"
    );
    let file = dir.path().join("microscope.plates.yaml");
    assert!(file.exists(), "stored beside the description");

    let v = run(&["validate", &p, "--microscope", &m]);
    assert!(!v.stderr.contains("warning"), "{}", v.stderr);
    assert!(v.stderr.contains("calibration of"), "{}", v.stderr);
    let after = placement(dir.path(), &m, &p, "after");
    assert_eq!(after["plate_placement"]["from"], "calibration", "{after}");
    assert!(
        after["plate_placement"]["calibrated"].as_str().is_some(),
        "the plan says which calibration: {after}"
    );
    assert_eq!(after["placement"]["fields"], 96, "{}", after["placement"]);
    assert!(
        after["placement"]["error_max_um"].as_f64() < Some(20.0),
        "{}",
        after["placement"]
    );
    // The run keeps the calibration it was planned with, for a resume.
    assert!(
        run_dir(&dir.path().join("after"))
            .join("plates.yaml")
            .exists()
    );
}

#[test]
fn positions_the_user_jogged_to_calibrate_without_moving_and_nonsense_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = plated_microscope(dir.path(), &[]);
    let file = dir.path().join("microscope.plates.yaml");
    // A1 where it truly is, and A12 at `a12`.
    let jogged = |a12: &str| {
        run(&[
            "calibrate-plate",
            "--microscope",
            &m,
            "--plate",
            "96",
            "--at",
            "A1=14.95mm,10.71mm",
            "--at",
            a12,
        ])
    };
    let ok = jogged("A12=113.948mm,11.315mm");
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let text = std::fs::read_to_string(&file).expect("stored");
    assert!(text.contains("method: given"), "{text}");
    assert!(text.contains("plate: 96-well"), "{text}");

    // A well named for another: the fit is implausible and nothing is stored.
    let bad = jogged("A12=104.948mm,11.315mm");
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("mis-found or mis-named"),
        "{}",
        bad.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), text);

    for (args, what) in [
        (vec!["--plate", "96"], "built-in microscope"),
        (
            vec!["--microscope", &m, "--plate", "97"],
            "no such plate format",
        ),
        (
            vec!["--microscope", &m, "--plate", "96", "--at", "Z99=1mm,1mm"],
            "Z99",
        ),
        (
            vec!["--microscope", &m, "--plate", "96", "--wells", "A1,M3"],
            "M3",
        ),
    ] {
        let mut a = vec!["calibrate-plate"];
        a.extend(args);
        let r = run(&a);
        assert_eq!(r.code, 2, "{a:?}: {}", r.stderr);
        assert!(r.stderr.contains(what), "{a:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

#[test]
fn a_dark_channel_or_an_empty_holder_fails_with_the_reason_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = plated_microscope(dir.path(), &[]);
    // The plate is in the holder, but the channel asked for is dark.
    let r = run(&[
        "calibrate-plate",
        "--microscope",
        &m,
        "--plate",
        "96",
        "--intensity",
        "0.0001",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("dark"), "{}", r.stderr);
    assert!(!dir.path().join("microscope.plates.yaml").exists());
    // No plate in the holder: no wall anywhere near.
    let empty = microscope(dir.path(), 0.0, &[]);
    let r = run(&["calibrate-plate", "--microscope", &empty, "--plate", "96"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no wall of A1"), "{}", r.stderr);
    assert!(!dir.path().join("microscope.plates.yaml").exists());
}
