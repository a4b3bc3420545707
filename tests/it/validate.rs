//! `squidctl validate` on good and bad protocols: exit codes, and messages that name the
//! file, line and column and say what to do.

use crate::common::*;

fn bad(text: &str) -> (Run, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let f = write(dir.path(), "p.yaml", text);
    let r = run(&["validate", &f]);
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    (r, f)
}

#[test]
fn examples_are_valid() {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("protocols"))
        .expect("protocols/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.display().to_string())
        .collect();
    files.push(
        repo()
            .join("bench/protocols/huge_1536.yaml")
            .display()
            .to_string(),
    );
    assert!(files.len() >= 5);
    let mut args = vec!["validate", "--json"];
    args.extend(files.iter().map(String::as_str));
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["valid"], true);
    assert_eq!(j["files"].as_array().map(Vec::len), Some(files.len()));
}

#[test]
fn typo_in_a_key_names_line_and_suggests() {
    let (r, f) = bad(&SMALL.replace("    exposure: 20ms", "    exposre: 20ms"));
    assert!(r.stderr.contains("unknown key `exposre`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean `exposure`?"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&format!("{f}:12:5")), "{}", r.stderr);
    assert!(r.stderr.contains("12 |     exposre: 20ms"), "{}", r.stderr);
}

#[test]
fn every_mistake_is_listed_at_once() {
    let text = SMALL
        .replace("  grid: 2x2", "  grid: 2x2\n  overlap: 10")
        .replace(
            "  wells: \"A1:A2\"",
            "  wells: \"A1:A2\"\n  visiting: row-wise",
        )
        .replace(
            "    exposure: 20ms",
            "    exposre: 20ms\n    exposure: 20ms",
        )
        .replace("    exposure: 10ms", "    exposure: 10");
    let (r, f) = bad(&text);
    for (what, at) in [
        ("unknown key `visiting`", ":5:3"),
        ("`10` has no unit", ":8:12"),
        ("`10` has no unit", ":11:15"),
        ("unknown key `exposre`", ":14:5"),
    ] {
        assert!(
            r.stderr.contains(what) && r.stderr.contains(&format!("{f}{at}")),
            "{what} at {at}:\n{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("4 problems found"), "{}", r.stderr);
    // The JSON summary agrees, with the user's own list indices.
    let dir = tempfile::tempdir().expect("tmp");
    let f = write(dir.path(), "p.yaml", &text);
    let j = run(&["validate", "--json", &f]).json();
    let errors = j["files"][0]["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let paths: Vec<&str> = errors.iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(
        paths,
        [
            "plate.visiting",
            "fov.overlap",
            "channels[0].exposure",
            "channels[1].exposre"
        ]
    );
    // A missing key is reported too, then the search goes on past that channel.
    let text = SMALL
        .replace("    exposure: 10ms", "    exposure: 10")
        .replace("    intensity: 50%", "    gain: 5");
    let (r, f) = bad(&text);
    assert!(r.stderr.contains(&format!("{f}:9:15")), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("missing key `intensity` (at `channels[1]`)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&format!("{f}:11:5")), "{}", r.stderr);
    assert!(r.stderr.contains("2 problems found"), "{}", r.stderr);
}

#[test]
fn missing_unit_names_the_unit_to_add() {
    let (r, f) = bad(&SMALL.replace("exposure: 20ms", "exposure: 20"));
    assert!(r.stderr.contains("`20` has no unit"), "{}", r.stderr);
    assert!(r.stderr.contains("`20ms`"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{f}:12:15")), "{}", r.stderr);
    let (r, _) = bad(&SMALL.replace("intensity: 50%", "intensity: 50"));
    assert!(r.stderr.contains("write `50%`"), "{}", r.stderr);
}

#[test]
fn out_of_travel_well_is_named() {
    let text = SMALL.replace(
        "  wells: \"A1:A2\"",
        "  wells: \"A1:A12\"\n  a1_position: {x: 40mm, y: 10mm}",
    );
    let (r, f) = bad(&text);
    assert!(r.stderr.contains("well A11 (and 1 more)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("outside the x travel (0–128 mm)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&format!("{f}:4:")), "{}", r.stderr);
    assert!(r.stderr.contains("a1_position"), "{}", r.stderr);
}

#[test]
fn well_off_the_plate_points_at_the_token() {
    let (r, f) = bad(&SMALL.replace("\"A1:A2\"", "\"A1:A2, I3\""));
    assert!(
        r.stderr.contains("well I3 is not on the plate"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&format!("{f}:4:18")), "{}", r.stderr);
    assert!(
        r.stderr.contains("rows A–H and columns 1–12"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_channel_suggests_the_nearest() {
    let (r, f) = bad(&SMALL.replace("name: GFP", "name: GPF"));
    assert!(r.stderr.contains("unknown channel `GPF`"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `GFP`?"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{f}:11:11")), "{}", r.stderr);
    let (r, _) = bad(&SMALL.replace("name: GFP", "name: gfp"));
    assert!(
        r.stderr.contains("names are case-sensitive"),
        "{}",
        r.stderr
    );
}

#[test]
fn semantic_checks() {
    for (from, to, msg) in [
        (
            "exposure: 20ms",
            "exposure: 20s",
            "outside the camera's range",
        ),
        (
            "grid: 2x2",
            "grid: 2x2\n  overlap: 100%",
            "overlap 100% is out of range",
        ),
        (
            "name: small",
            "name: small\ntime: {every: 0s, count: 3}",
            "the interval must be positive",
        ),
        (
            "name: small",
            "name: small\ntime: {count: 3}",
            "3 time points need an interval",
        ),
        (
            "name: small",
            "name: small\nz: {count: 5}",
            "a z stack needs a `step`",
        ),
        (
            "name: small",
            "name: small\norder: tpgz",
            "the order lacks channel",
        ),
        (
            "name: small",
            "name: small\nautofocus: {method: contrast, channel: DAPI}",
            "not one of this protocol's channels",
        ),
        (
            "name: small",
            "name: small\noutput: {run_name: \"{nme}\"}",
            "unknown placeholder `{nme}`",
        ),
        ("format: 96", "format: 95", "unknown plate format `95`"),
        (
            "name: small",
            "name: small\npositions: [{name: a, x: 1mm, y: 1mm}]",
            "either `plate` or `positions`",
        ),
    ] {
        let (r, _) = bad(&SMALL.replacen(from, to, 1));
        assert!(r.stderr.contains(msg), "expected `{msg}` in:\n{}", r.stderr);
    }
}

#[test]
fn several_problems_are_reported_together() {
    let text = SMALL
        .replace("name: GFP", "name: GPF")
        .replace("exposure: 10ms", "exposure: 20s");
    let (r, _) = bad(&text);
    assert!(
        r.stderr.contains("unknown channel `GPF`")
            && r.stderr.contains("outside the camera's range"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 problems found"), "{}", r.stderr);
}

#[test]
fn syntax_errors_duplicates_and_non_utf8() {
    let (r, f) = bad("name: x\n  plate: [1\n");
    assert!(r.stderr.contains("invalid YAML"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{f}:2:")), "{}", r.stderr);
    let (r, _) = bad(&format!("{SMALL}name: again\n"));
    assert!(r.stderr.contains("duplicate"), "{}", r.stderr);
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("bin.yaml");
    std::fs::write(&p, b"name: \xff\xfe\n").expect("write");
    let r = run(&["validate", &p.display().to_string()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("is not UTF-8 text (bad byte at line 1, column 7)"),
        "{}",
        r.stderr
    );
    let (r, _) = bad("");
    assert!(r.stderr.contains("the file is empty"), "{}", r.stderr);
    let r = run(&["validate", "/nonexistent/p.yaml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read /nonexistent/p.yaml"),
        "{}",
        r.stderr
    );
}

#[test]
fn batch_with_json_reports_each_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = write(dir.path(), "good.yaml", SMALL);
    let badf = write(
        dir.path(),
        "bad.yaml",
        &SMALL.replace("exposure: 20ms", "exposure: 20"),
    );
    let r = run(&["validate", "--json", &good, &badf]);
    assert_eq!(r.code, 2);
    let j = r.json();
    assert_eq!(j["valid"], false);
    assert_eq!(j["files"][0]["valid"], true);
    assert_eq!(j["files"][0]["frames"], 16);
    assert_eq!(j["files"][1]["valid"], false);
    assert_eq!(j["files"][1]["errors"][0]["line"], 12);
    assert_eq!(j["files"][1]["errors"][0]["column"], 15);
    assert!(r.stderr.contains("1 of 2 protocols valid"), "{}", r.stderr);
}

#[test]
fn protocol_from_stdin() {
    let r = run_stdin(&["validate", "-"], SMALL);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run_stdin(&["validate", "-"], &SMALL.replace("10ms", "10"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("<stdin>:9:15"), "{}", r.stderr);
}

#[test]
fn microscope_file_and_environment() {
    let dir = tempfile::tempdir().expect("tmp");
    let builtin =
        std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml")).expect("builtin");
    let small = write(
        dir.path(),
        "m.yaml",
        &builtin
            .replace("x: [0mm, 128mm]", "x: [0mm, 20mm]")
            .replace("loading: {x: 120mm", "loading: {x: 20mm"),
    );
    let p = write(dir.path(), "p.yaml", SMALL);
    let r = run(&["validate", "--microscope", &small, &p]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("outside the x travel (0–20 mm)"),
        "{}",
        r.stderr
    );
    let r = Run::from(
        squidctl(&["validate", &p])
            .env("SQUIDCTL_MICROSCOPE", &small)
            .output()
            .expect("run"),
    );
    assert_eq!(r.code, 2, "the environment variable selects the microscope");
    let broken = write(
        dir.path(),
        "broken.yaml",
        &builtin.replace("readout: 10ms", "readout: 10"),
    );
    let r = run(&["validate", "--microscope", &broken, &p]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{broken}:")) && r.stderr.contains("`10ms`"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_csv_cells_point_into_the_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = write(
        dir.path(),
        "pos.csv",
        "region,x (mm),y (mm)\na,10,10\nb,ten,10\n",
    );
    let p = write(
        dir.path(),
        "p.yaml",
        "name: c\npositions: pos.csv\nchannels: [{name: BF, exposure: 1ms, intensity: 1%}]\n",
    );
    let r = run(&["validate", &p]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("{csv}:3:3")), "{}", r.stderr);
    assert!(r.stderr.contains("`ten` is not a number"), "{}", r.stderr);
}

#[test]
fn set_overrides_reach_the_plan() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", SMALL);
    let r = run(&[
        "validate",
        "--json",
        "--set",
        "plate.wells=A1:B3",
        "--set",
        "fov.grid=1x1",
        &p,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["files"][0]["frames"], 12);
    let r = run(&["validate", "--set", "channels[0].exposure=5", &p]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--set channels[0].exposure:1:1"),
        "{}",
        r.stderr
    );
}

/// A default build names the feature that would give it the GenICam driver.
#[cfg(not(feature = "genicam"))]
#[test]
fn a_genicam_camera_without_the_feature_says_how_to_build_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml"))
        .expect("builtin")
        .replace(
            "camera:\n",
            "camera:\n  driver: {name: genicam, address: 127.0.0.1}\n",
        );
    let m = write(dir.path(), "g.yaml", &text);
    let r = run(&["validate", "protocols/quickstart.yaml", "--microscope", &m]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("built without the `genicam` driver")
            && r.stderr.contains("--features genicam"),
        "{}",
        r.stderr
    );
}
