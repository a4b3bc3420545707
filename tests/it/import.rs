//! `squidctl import`: Squid configuration files and acquisition folders, useq-schema
//! sequences. Inputs are the samples in `examples/import/`, in the shapes Squid and useq-schema
//! write; useq round trips are checked against useq-schema's own iteration.

use crate::common::*;

use std::path::{Path, PathBuf};

fn sample(rel: &str) -> String {
    repo()
        .join("examples/import")
        .join(rel)
        .display()
        .to_string()
}

/// Every one of `wants` appears in `text`.
fn assert_has(text: &str, wants: &[&str]) {
    for want in wants {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
}

const RIG_INI: &str = "squid/configurations/configuration_lab_rig.ini";
const PLATE7: &str = "squid/plate7_2026-03-04_10-11-12.123456";
const LEGACY: &str = "squid/legacy_2025-06-01_09-00-00.000001";

/// The lab rig's microscope description, imported into `dir`.
fn rig(dir: &Path) -> PathBuf {
    let out = dir.join("rig.yaml");
    let r = run(&[
        "import",
        "squid-config",
        &sample(RIG_INI),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

#[test]
fn squid_config_becomes_a_microscope_and_names_every_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = rig(dir.path());
    let text = std::fs::read_to_string(&out).expect("read");
    assert_has(
        &text,
        &[
            "driver: squid",
            "x: [10mm, 112.5mm]",
            "z: [0.05mm, 6mm]",
            // The slower of x and y, the longer settle plus the board's report.
            "speed: 20mm/s",
            "acceleration: 400mm/s2",
            "settle: 50ms",
            "focus_z: 2.287mm",
            // Squid's 96-well A1 (11.31, 10.75) + offset (0.1, -0.2) − SBS A1 (14.38, 11.24).
            "plate_origin: {x: -2.97mm, y: -0.69mm}",
            "width: 2800",
            "binning: 2",
            "bit_depth: 12",
            "pixel_size: 1.85um",
            // 20x designed for 180 mm behind Squid's 50 mm tube lens.
            "magnification: 5.555555556",
            "serial_number: \"12345670\"",
            "intensity_factor: 60",
            "x: {sign: 1, pitch: 2.54mm, microstepping: 16, full_steps: 200, current: 1000, hold: 0.25, switch: active-high",
            "z: {sign: -1, pitch: 0.3mm, microstepping: 16, full_steps: 200, current: 500, hold: 0.5, switch: ignored",
            "positions: 8",
            // The rig's own channel table, found where Squid keeps it.
            "- {name: Fluorescence 488 nm Ex, source: laser-488, wavelength: 488nm}  # D2",
            "- {name: Fluorescence 640 nm Ex, source: laser-638, wavelength: 640nm}  # D4",
            "# laser_autofocus:",
        ],
    );
    // Every key of the ini is either used (named beside its value and in the list) or listed
    // as having no equivalent: nothing is dropped silently.
    let ini = std::fs::read_to_string(sample(RIG_INI)).expect("ini");
    let (read, unused) = text
        .split_once("# Not used")
        .expect("a list of unused keys");
    let read = &read[read.find("# Read from").expect("a list of used keys")..];
    let mut section = String::new();
    let mut options = 0;
    for line in ini.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[') {
            section = s.trim_end_matches(']').to_string();
            continue;
        }
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.starts_with('_') {
            options += 1;
            continue;
        }
        let named = if section == "GENERAL" {
            key.to_string()
        } else {
            format!("[{section}] {key}")
        };
        let listed = |list: &str| {
            list.split([',', '\n', ':'])
                .map(|w| w.trim_start_matches('#').trim())
                .any(|w| w == named)
        };
        assert!(
            listed(read) ^ listed(unused),
            "`{named}` must be listed once, as read or not used:\n{text}"
        );
    }
    assert!(unused.contains(&format!("also {options} `_…_options` GUI lists")));
}

/// A rig whose z is a stepper and an objective piezo: Squid's piezo keys become
/// `stage.z.piezo`, and a stepper-only rig has none.
#[test]
fn squid_config_reads_the_objective_piezo() {
    let dir = tempfile::tempdir().expect("tmp");
    let plain = std::fs::read_to_string(rig(dir.path())).expect("read");
    assert!(!plain.contains("piezo:"), "{plain}");
    let ini = std::fs::read_to_string(sample(RIG_INI))
        .expect("ini")
        .replace(
            "Z_MOTOR_CONFIG = \"STEPPER\"",
            "Z_MOTOR_CONFIG = \"STEPPER + PIEZO\"\nOBJECTIVE_PIEZO_RANGE_UM = 250\nOBJECTIVE_PIEZO_HOME_UM = 25\nMULTIPOINT_PIEZO_DELAY_MS = 15\nOBJECTIVE_PIEZO_FLIP_DIR = True",
        );
    assert!(
        ini.contains("STEPPER + PIEZO"),
        "the sample's z config moved"
    );
    let src = dir.path().join("configuration_piezo.ini");
    std::fs::write(&src, ini).expect("write");
    let out = dir.path().join("piezo.yaml");
    let r = run(&[
        "import",
        "squid-config",
        &src.display().to_string(),
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&out).expect("read");
    assert_has(
        &text,
        &[
            "    piezo:",
            "range: 250um",
            "home: 25um",
            "settle: 15ms",
            "flip: true",
        ],
    );
    let p = write(
        dir.path(),
        "stack.yaml",
        "name: stack\nplate: {format: 96, wells: [B2]}\nz: {count: 5, step: 1um}\nchannels:\n  - {name: Fluorescence 405 nm Ex, exposure: 10ms, intensity: 20%}\n",
    );
    let d = run(&["validate", &p, "--microscope", &out.display().to_string()]);
    assert_eq!(d.code, 0, "the imported description loads: {}", d.stderr);
}

#[test]
fn squid_config_channels_come_from_the_rig_table_or_squids_standard_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let r = run(&["import", "squid-config", &sample(RIG_INI)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("DF LED matrix"));
    assert!(
        r.stderr.contains("left out: DF LED matrix (USB4)"),
        "{}",
        r.stderr
    );
    // Alone, the ini gets Squid's standard table, and says so.
    let lone = dir.path().join("configuration_lab_rig.ini");
    std::fs::copy(sample(RIG_INI), &lone).expect("copy");
    let lone = lone.to_str().expect("utf-8");
    let r = run(&["import", "squid-config", lone]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_has(
        &r.stdout,
        &["- {name: Fluorescence 730 nm Ex, source: laser-730, wavelength: 730nm}  # D5"],
    );
    assert!(r.stderr.contains("Squid's standard table"), "{}", r.stderr);
    // --channels names the table; a table without channels is refused where it is wrong.
    let table = sample("squid/machine_configs/illumination_channel_config.yaml");
    let r = run(&["import", "squid-config", lone, "--channels", &table]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Fluorescence 640 nm Ex"));
    let bad = write(
        dir.path(),
        "table.yaml",
        "version: 1\nchannels:\n  - {name: X}\n",
    );
    let r = run(&["import", "squid-config", lone, "--channels", &bad]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("table.yaml:3") && r.stderr.contains("no `controller_port`"),
        "{}",
        r.stderr
    );
}

/// The command exits 2 and its stderr says each of `wants`.
fn refused(args: &[&str], wants: &[&str]) {
    let r = run(args);
    assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    assert_has(&r.stderr, wants);
}

#[test]
fn squid_config_errors_point_at_the_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases = [
        (
            "configuration_bad.ini",
            "[GENERAL]\nscrew_pitch_x_mm = two\nmax_velocity_x_mm = 30\nthis line has no equals sign\n",
            &["configuration_bad.ini:4", "nothing was written"][..],
        ),
        (
            "configuration_bad2.ini",
            "[GENERAL]\nscrew_pitch_x_mm = two\n[SOFTWARE_POS_LIMIT]\nx_negative = 50\nx_positive = 10\n",
            &["configuration_bad2.ini:2", "not a number", "no travel"][..],
        ),
    ];
    for (name, text, wants) in cases {
        let bad = write(dir.path(), name, text);
        refused(&["import", "squid-config", &bad], wants);
    }
    refused(
        &[
            "import",
            "squid-config",
            &sample(RIG_INI),
            "--objective",
            "25x",
        ],
        &["unknown objective `25x`"],
    );
    let none = dir.path().join("none.ini").display().to_string();
    refused(&["import", "squid-config", &none], &["none.ini"]);
}

#[test]
fn squid_acquisition_repeats_on_the_imported_rig() {
    let dir = tempfile::tempdir().expect("tmp");
    let rig = rig(dir.path());
    let rig = rig.to_str().expect("utf-8");
    let out = dir.path().join("plate7.yaml");
    let r = run(&[
        "import",
        "squid-acquisition",
        &sample(PLATE7),
        "--microscope",
        rig,
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&out).expect("read");
    assert_has(
        &text,
        &[
            "name: plate7",
            "positions: plate7_coordinates.csv",
            "count: 3  # Nz",
            "step: 1.5um",
            "from: bottom",
            "- {name: BF LED matrix full, exposure: 12ms, intensity: 20%, gain: 0}",
            "- {name: Fluorescence 488 nm Ex, exposure: 100ms, intensity: 35%, gain: 10, z_offset: 1.5um}",
            "every: 600s",
            "count: 4  # Nt",
            "method: contrast",
            "every: 3",
        ],
    );
    // The positions are Squid's own file, byte for byte, beside the protocol.
    assert_eq!(
        std::fs::read(dir.path().join("plate7_coordinates.csv")).expect("copy"),
        std::fs::read(Path::new(&sample(PLATE7)).join("coordinates.csv")).expect("orig")
    );
    // Valid from anywhere, and planned as Squid ran it: 8 FOVs × 3 planes × 2 channels × 4.
    let r = run(&[
        "validate",
        out.to_str().expect("utf-8"),
        "--microscope",
        rig,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&[
        "plan",
        out.to_str().expect("utf-8"),
        "--microscope",
        rig,
        "--format",
        "jsonl",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(events.len(), 192);
    assert_eq!(events[0]["region"], "B2");
    assert!((events[0]["x_mm"].as_f64().unwrap_or(0.0) - 20.0).abs() < 1e-9);
    assert!((events[0]["z_mm"].as_f64().unwrap_or(0.0) - 2.31).abs() < 1e-9);
    // Standard output: the positions stay where Squid wrote them.
    let r = run(&[
        "import",
        "squid-acquisition",
        &sample(PLATE7),
        "--microscope",
        rig,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("/coordinates.csv"), "{}", r.stdout);
}

#[test]
fn legacy_squid_acquisition_reads_its_channel_xml_and_grid() {
    let dir = tempfile::tempdir().expect("tmp");
    let rig_path = rig(dir.path());
    // Against the rig as imported: it has no laser autofocus, which the acquisition used.
    let r = run(&[
        "import",
        "squid-acquisition",
        &sample(LEGACY),
        "--microscope",
        rig_path.to_str().expect("utf-8"),
        "-o",
        dir.path().join("legacy.yaml").to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no laser autofocus"), "{}", r.stderr);
    assert!(!dir.path().join("legacy.yaml").exists());
    assert!(!dir.path().join("legacy_coordinates.csv").exists());
    // With the laser autofocus described, the same folder imports.
    let mut text = std::fs::read_to_string(&rig_path).expect("rig");
    text.push_str("laser_autofocus:\n  driver: sim\n  range: 200um\n  measure_time: 40ms\n");
    let af_rig = write(dir.path(), "rig-af.yaml", &text);
    let r = run(&[
        "import",
        "squid-acquisition",
        &sample(LEGACY),
        "--microscope",
        &af_rig,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_has(
        &r.stdout,
        &[
            // Only the selected modes, with their exposure, gain and intensity.
            "- {name: BF LED matrix full, exposure: 8ms, intensity: 15%, gain: 0}",
            "- {name: Fluorescence 561 nm Ex, exposure: 80ms, intensity: 60%, gain: 5}",
            "method: laser",
            "every: fov",
            // Nx 2 × Ny 2 around the one position, snaking.
            "- {x: -0.45mm, y: -0.4mm}",
            "- {x: 0.45mm, y: -0.4mm}",
            "- {x: 0.45mm, y: 0.4mm}",
            "- {x: -0.45mm, y: 0.4mm}",
        ],
    );
    assert!(!r.stdout.contains("405"), "an unselected mode was imported");
    assert!(!r.stdout.contains("time:"), "Nt 1 is no time-lapse");
}

#[test]
fn squid_acquisition_refuses_what_is_not_one() {
    let dir = tempfile::tempdir().expect("tmp");
    // Each parameters file, and what the error must say about it.
    let cases: [(Option<&str>, &[&str]); 3] = [
        (None, &["acquisition parameters.json"]),
        (
            Some("{\"Nz\": 3, \"dz(um)\": [1]"),
            &["acquisition parameters.json:1"],
        ),
        (
            Some("{\"Nz\": \"three\", \"Nx\": 1.5}"),
            &[
                "not a number",
                "`Nx` is 1.5",
                "coordinates.csv",
                "acquisition_channels.yaml",
            ],
        ),
    ];
    for (params, wants) in cases {
        if let Some(text) = params {
            write(dir.path(), "acquisition parameters.json", text);
        }
        let r = run(&[
            "import",
            "squid-acquisition",
            dir.path().to_str().expect("utf-8"),
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        for want in wants {
            assert!(r.stderr.contains(want), "missing `{want}`: {}", r.stderr);
        }
    }
}

/// `import useq` then `plan`, compared event by event with useq-schema's iteration.
fn round_trip(name: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("p.yaml");
    let out_s = out.to_str().expect("utf-8");
    let r = run(&[
        "import",
        "useq",
        &sample(&format!("useq/{name}")),
        "--intensity",
        "30%",
        "-o",
        out_s,
    ]);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    let r = run(&["plan", out_s, "--format", "jsonl"]);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    let events = write(dir.path(), "events.jsonl", &r.stdout);
    // The built-in microscope's FOV: 2048 px × 6.5 µm ÷ 20.
    let fov = "665.6";
    let check = python_useq()
        .arg(repo().join("tests/python/check_useq.py"))
        .args([&sample(&format!("useq/{name}")), &events, fov, fov])
        .output()
        .expect("python3");
    assert!(
        check.status.success(),
        "{name}: {}{}\nprotocol:\n{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr),
        std::fs::read_to_string(&out).unwrap_or_default()
    );
    assert!(String::from_utf8_lossy(&check.stdout).starts_with("ok "));
}

#[test]
fn useq_documented_example_round_trips() {
    round_trip("documented_example.yaml");
}

#[test]
fn useq_grid_stack_and_channel_options_round_trip() {
    round_trip("grid_stack.yaml");
}

#[test]
fn useq_well_plate_plan_json_round_trips() {
    round_trip("well_plate.json");
}

#[test]
fn useq_refuses_by_name_what_has_no_equivalent() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("p.yaml");
    let r = run(&[
        "import",
        "useq",
        &sample("useq/unsupported.yaml"),
        "--intensity",
        "10",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_has(
        &r.stderr,
        &[
            "`autofocus_plan` has no equivalent",
            "channel `DAPI` has no exposure",
            "ZTopBottom",
            "MultiPhaseTimePlan",
            "position's `sequence`",
            "unsupported.yaml:",
            "nothing was written",
        ],
    );
    assert!(!out.exists());
    let odd = write(
        dir.path(),
        "odd.yaml",
        "stage_positions: [[100, 100, 30]]\nchannels: [{config: DAPI, exposure: 5, do_stack: false}]\nz_plan: {range: 3, step: 1}\ngrid_plan: {num_points: 3, max_width: 100, max_height: 100}\nspeed: fast\n",
    );
    refused(
        &["import", "useq", &odd, "--intensity", "10"],
        &[
            "RandomPoints",
            "unknown key `speed`",
            "do_stack: false` needs a z plan centred on the position with an odd number",
        ],
    );
    // A section in a shape useq does not take says which it takes, where; a section that
    // could not be read is not also reported as missing.
    let shapes = write(
        dir.path(),
        "shapes.yaml",
        "stage_positions: 5\nchannels: [{config: GFP, exposure: fast}]\n",
    );
    let r = run(&["import", "useq", &shapes, "--intensity", "10"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_has(
        &r.stderr,
        &[
            "expected a list or a mapping, found the number 5 (at `stage_positions`)",
            "shapes.yaml:1:18",
            "expected a number, found the text \"fast\" (at `channels[0].exposure`)",
        ],
    );
    for follow_up in [
        "has no stage_positions",
        "has no exposure",
        "has no channels",
    ] {
        assert!(!r.stderr.contains(follow_up), "{}", r.stderr);
    }
}

#[test]
fn useq_intensity_must_be_given_per_channel_or_for_all() {
    let seq = sample("useq/documented_example.yaml");
    let useq = |more: &[&'static str]| {
        let mut args = vec!["import", "useq", seq.as_str()];
        args.extend_from_slice(more);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: [(&[&str], &[&str]); 4] = [
        (&[], &["records no light intensity", "--intensity"]),
        (&["--intensity", "DAPI=12%"], &["none was given for `GFP`"]),
        (
            &["--intensity", "FITC=12%", "--intensity", "5"],
            &["`FITC`, which is not a channel"],
        ),
        (&["--intensity", "150%"], &["not between 0% and 100%"]),
    ];
    for (more, wants) in cases {
        let args = useq(more);
        refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), wants);
    }
    let args = useq(&["--intensity", "DAPI=12%", "--intensity", "GFP=40"]);
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_has(
        &r.stdout,
        &[
            "{name: DAPI, exposure: 50ms, intensity: 12%}",
            "{name: GFP, exposure: 20ms, intensity: 40%}",
        ],
    );
}

#[test]
fn an_import_never_replaces_a_file_unless_forced() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = write(dir.path(), "p.yaml", "mine\n");
    let args = [
        "import",
        "useq",
        &sample("useq/documented_example.yaml"),
        "--intensity",
        "5",
        "-o",
        &out,
    ];
    let r = run(&args);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("exists") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "mine\n");
    let mut forced = args.to_vec();
    forced.push("--force");
    let r = run(&forced);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::read_to_string(&out)
            .expect("read")
            .contains("name: documented_example")
    );
    // A relative -o in the current directory works too.
    let r = run_in(
        dir.path(),
        &[
            "import",
            "useq",
            &sample("useq/documented_example.yaml"),
            "--intensity",
            "5",
            "-o",
            "here.yaml",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("here.yaml").exists());
}

#[test]
fn json_summaries_report_what_was_written_or_why_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("rig.yaml");
    let out_s = out.to_str().expect("utf-8");
    let r = run(&[
        "import",
        "squid-config",
        &sample(RIG_INI),
        "-o",
        out_s,
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["command"], "import");
    assert_eq!(j["from"], "squid-config");
    assert_eq!(j["written"][0], out_s);
    assert!(j["notes"].as_array().is_some_and(|n| !n.is_empty()));
    let r = run(&[
        "import",
        "useq",
        &sample("useq/unsupported.yaml"),
        "-o",
        dir.path().join("p.yaml").to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(r.code, 2);
    let j = r.json();
    assert_eq!(j["exit_code"], 2);
    assert_eq!(j["written"].as_array().map(Vec::len), Some(0));
    assert!(j["errors"].as_array().is_some_and(|e| e.len() >= 5), "{j}");
}

#[test]
fn useq_back_to_back_time_points_become_the_shortest_interval() {
    let dir = tempfile::tempdir().expect("tmp");
    let seq = write(
        dir.path(),
        "fast.yaml",
        "stage_positions: [[1000, 2000, 3000]]\nchannels: [{config: DAPI, exposure: 5}]\ntime_plan: {interval: 0, loops: 3}\n",
    );
    let r = run(&["import", "useq", &seq, "--intensity", "5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_has(&r.stdout, &["every: 0.001s", "count: 3", "back to back"]);
}
