//! `squidctl devices`: the resolved microscope, each device checked, failures named.

use crate::common::*;

fn microscope_with(dir: &std::path::Path, faults: &str) -> String {
    let text = std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml")).expect("builtin");
    write(
        dir,
        "m.yaml",
        &text.replace("\nfaults: []", &format!("\nfaults:\n{faults}")),
    )
}

#[test]
fn builtin_devices_answer() {
    let r = run(&["devices"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for s in [
        "squid-sim",
        "driver sim",
        "FOV 0.666 × 0.666 mm",
        "camera        ok",
        "laser AF      ok",
        "GFP",
    ] {
        assert!(r.stdout.contains(s), "missing `{s}`:\n{}", r.stdout);
    }
    let r = run(&["devices", "--json"]);
    let j = r.json();
    assert_eq!(j["ok"], true);
    assert_eq!(j["microscope"]["camera"]["width"], 2048);
    assert_eq!(j["checks"].as_array().map(Vec::len), Some(5));
}

#[test]
fn a_failing_device_is_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = microscope_with(
        dir.path(),
        "    - {call: capture, at: 1, kind: error, message: sensor overheated}\n",
    );
    let r = run(&["devices", "--microscope", &m]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("camera        FAIL camera: sensor overheated"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("fault         capture at call 1: error"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_panicking_driver_is_contained() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = microscope_with(dir.path(), "    - {call: capture, at: 1, kind: panic}\n");
    let r = run(&["devices", "--microscope", &m]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("camera        FAIL driver panicked at"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("illumination  ok"),
        "checks go on after a panic:\n{}",
        r.stdout
    );
}

#[test]
fn a_hung_device_is_named_and_the_command_still_exits() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = microscope_with(dir.path(), "    - {call: capture, at: 1, kind: hang}\n");
    let start = std::time::Instant::now();
    let r = run(&["devices", "--microscope", &m, "--timeout", "1s"]);
    assert_eq!(r.code, 4, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("camera        HUNG did not answer within 1s"),
        "{}",
        r.stdout
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn bad_fault_specs_are_located() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = microscope_with(dir.path(), "    - {call: capture, kind: hang}\n");
    let r = run(&["devices", "--microscope", &m]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("exactly one of `at`, `every` and `probability`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("m.yaml:"), "{}", r.stderr);
    let m = microscope_with(dir.path(), "    - {call: capture, at: 1, kind: hnag}\n");
    let r = run(&["devices", "--microscope", &m]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `hang`?"), "{}", r.stderr);
    let m = microscope_with(dir.path(), "    - {call: snap, at: 1, kind: hang}\n");
    let r = run(&["devices", "--microscope", &m]);
    assert!(r.stderr.contains("unknown value `snap`"), "{}", r.stderr);
}

/// Faults used to live under `sim:`; such a file gets a message saying exactly what to move.
#[test]
fn faults_under_sim_are_refused_with_what_to_change() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml")).expect("builtin");
    let old = text.replace(
        "    depth_of_field: 1.5um\n",
        "    depth_of_field: 1.5um\n  faults:\n    - {call: capture, at: 3, kind: hang}\n",
    );
    assert_ne!(old, text);
    let m = write(dir.path(), "old.yaml", &old);
    let r = run(&["devices", "--microscope", &m]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("old.yaml:"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("move the `faults:` list out of `sim:` to the top level"),
        "{}",
        r.stderr
    );
}

/// Each device names its own driver; a filter wheel is checked like the rest; a driver
/// setting it does not know is refused where it is written, before any device is opened.
#[test]
fn devices_name_their_own_drivers_and_their_settings_are_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml")).expect("builtin");
    let per_device = text
        .replace("driver: sim\n", "")
        .replace("  xy: {", "  xy: {driver: sim, ")
        .replace("  z: {", "  z: {driver: {name: sim}, ")
        .replace("camera:\n", "camera:\n  driver: sim\n")
        .replace("illumination:\n", "illumination:\n  driver: sim\n")
        .replace("laser_autofocus:\n", "laser_autofocus:\n  driver: sim\n")
        + "filter_wheel: {driver: sim, positions: 6, step_time: 40ms}\n";
    let m = write(dir.path(), "m.yaml", &per_device);
    let r = run(&["devices", "--microscope", &m]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for s in [
        "driver sim",
        "filter wheel  6 positions, 40ms per step",
        "filter wheel  ok   at position 1; turned to 2 and back",
    ] {
        assert!(r.stdout.contains(s), "missing `{s}`:\n{}", r.stdout);
    }
    // A run on it works as on the built-in one.
    let p = write(dir.path(), "p.yaml", RUN);
    let out = dir.path().join("out");
    let r = run(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The run keeps the description as written: its drivers' settings and the `sim:` world
    // are what `resume` reopens the devices with.
    let copy = std::fs::read_to_string(run_dir(&out).join("microscope.yaml")).expect("copy");
    assert_eq!(copy, per_device);

    let bad = per_device.replace(
        "camera:\n  driver: sim\n",
        "camera:\n  driver: {name: sim, serial: \"1234\"}\n",
    );
    let m = write(dir.path(), "bad.yaml", &bad);
    let line = bad
        .lines()
        .position(|l| l.contains("serial"))
        .expect("line")
        + 1;
    for cmd in ["devices", "validate"] {
        let mut args = vec![cmd, "--microscope", &m];
        if cmd == "validate" {
            args.push(&p);
        }
        let r = run(&args);
        assert_eq!(r.code, 2, "{cmd}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(&format!("bad.yaml:{line}")),
            "{cmd}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("serial"), "{}", r.stderr);
        assert!(
            r.stderr.contains("a `sim` device takes no settings"),
            "{}",
            r.stderr
        );
    }
    let none = per_device.replace("camera:\n  driver: sim\n", "camera:\n");
    let m = write(dir.path(), "none.yaml", &none);
    let r = run(&["devices", "--microscope", &m]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the camera names no driver"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("add `driver: sim`"), "{}", r.stderr);
}
