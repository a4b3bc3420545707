//! `squidctl plan` streams events in every format; `simulate --estimate` reports totals.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn csv_has_a_header_and_one_line_per_event() {
    let r = run(&["plan", "--format", "csv", "protocols/quickstart.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("index,t,region,fov,z,channel,x_mm,y_mm,z_mm"));
    assert_eq!(lines.len(), 1 + 72);
    assert!(lines[1].starts_with("0,0,A1,0,0,BF,"), "{}", lines[1]);
    assert!(lines[72].starts_with("71,0,A3,3,2,GFP,"), "{}", lines[72]);
}

#[test]
fn jsonl_parses_and_limit_stops() {
    let r = run(&[
        "plan",
        "--format",
        "jsonl",
        "--limit",
        "5",
        "protocols/384well_multichannel_zstack.yaml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(events.len(), 5);
    assert_eq!(events[0]["region"], "A1");
    assert_eq!(events[0]["autofocus"], true);
    assert_eq!(events[1]["autofocus"], false);
    assert_eq!(events[0]["channel"], "DAPI");
    assert_eq!(events[4]["index"], 4);
}

#[test]
fn table_is_aligned() {
    let r = run(&["plan", "--limit", "3", "protocols/from_coordinates.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].contains("region") && lines[1].contains("organoid-1"));
    assert_eq!(lines[1].len(), lines[2].len());
}

#[test]
fn a_billion_event_plan_starts_streaming_at_once_and_stops_when_the_reader_does() {
    let start = Instant::now();
    let mut child = squidctl(&["plan", "--format", "csv", "bench/protocols/huge_1536.yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read");
    assert!(line.starts_with("index,"));
    line.clear();
    reader.read_line(&mut line).expect("read");
    assert!(line.starts_with("0,0,A1,0,0,BF,"), "{line}");
    drop(reader);
    // Closing the pipe ends the run quietly, like `| head`.
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn estimate_reports_totals_and_free_space() {
    let r = run(&[
        "simulate",
        "--estimate",
        "protocols/overnight_96well_timelapse.yaml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for s in [
        "frames      7,296",
        "25 time points every 30m",
        "free space",
        "rounds",
        "t=1,3,…,23 (12 rounds)",
        "overruns    none",
    ] {
        assert!(r.stdout.contains(s), "missing `{s}` in:\n{}", r.stdout);
    }
}

/// The estimate and the run agree on the number of files for each grouping (the estimate
/// once said 24 for `grouping: fov`, where 12 are written).
#[test]
fn estimate_counts_the_files_the_run_writes() {
    for (grouping, files) in [("channel", 24u64), ("fov", 12)] {
        let set = format!("output.grouping={grouping}");
        let est = run(&[
            "simulate",
            "--estimate",
            "--json",
            "protocols/quickstart.yaml",
            "--set",
            &set,
        ]);
        assert_eq!(est.code, 0, "{}", est.stderr);
        assert_eq!(
            est.json()["estimate"]["files"],
            files,
            "{grouping}: {}",
            est.stdout
        );
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("out");
        let r = run(&[
            "simulate",
            "protocols/quickstart.yaml",
            "--set",
            &set,
            "--write",
            &out.display().to_string(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let rd = run_dir(&out);
        let written = squidctl::saver::layout::walk(&rd)
            .iter()
            .filter(|p| p.to_string_lossy().ends_with(".ome.tiff"))
            .count() as u64;
        assert_eq!(written, files, "{grouping}");
        let start = kinds(&journal(&rd), "start");
        assert_eq!(
            start[0]["files"], files,
            "{grouping}: the journal's start record"
        );
    }
}

#[test]
fn estimate_json_flags_overruns_and_missing_space() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(
        dir.path(),
        "p.yaml",
        "name: busy\nplate: {format: 96, wells: all}\nfov: {grid: 3x3}\nchannels: [{name: BF, exposure: 100ms, intensity: 5%}]\ntime: {every: 1m, count: 4}\n",
    );
    let r = run(&["simulate", "--estimate", "--json", &p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let e = &j["estimate"];
    assert_eq!(e["frames"], 96 * 9 * 4);
    assert_eq!(e["rounds_total"], 4);
    assert_eq!(e["overruns"], 4);
    assert!(e["duration_s"].as_f64().unwrap_or(0.0) > 4.0 * 60.0);
    // About 29 GB: whether it fits depends on this machine's disk, and the answer must agree.
    let free = j["free_bytes"].as_u64().expect("free_bytes");
    let bytes = e["bytes"].as_u64().expect("bytes");
    assert_eq!(
        j["enough_space"],
        free >= bytes,
        "{free} free, {bytes} needed"
    );
    // Human text still goes to stderr with --json.
    assert!(r.stderr.contains("OVERRUNS"), "{}", r.stderr);
    let r = run(&[
        "simulate",
        "--estimate",
        "--json",
        "--set",
        "overrun=skip",
        &p,
    ]);
    assert_eq!(
        r.code, 2,
        "an unknown top-level key is refused: {}",
        r.stderr
    );
    let r = run(&[
        "simulate",
        "--estimate",
        "--json",
        "--set",
        "time.overrun=skip",
        &p,
    ]);
    let e = &r.json()["estimate"];
    assert!(e["skipped"].as_u64().unwrap_or(0) > 0);
    assert!(e["frames_acquired"].as_u64() < e["frames"].as_u64());
}

#[test]
fn estimate_says_when_the_disk_is_too_small() {
    let r = run(&["simulate", "--estimate", "bench/protocols/huge_1536.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("NOT ENOUGH"), "{}", r.stdout);
    assert!(r.stdout.contains("960,000,000"), "{}", r.stdout);
}

/// The estimate's autofocus time is the dry run's, time point by time point: a laser
/// refocusing a well it focused before only confirms it (the runner starts from that focus).
#[test]
fn estimate_and_dry_run_agree_on_autofocus_time() {
    let p = repo()
        .join("protocols/overnight_96well_timelapse.yaml")
        .display()
        .to_string();
    let sets = ["--set", "plate.wells=A1:A4", "--set", "time.for=1h"];
    let mut args = vec!["simulate", "--estimate", "--json", &p];
    args.extend(sets);
    let est = run(&args).json();
    let mut args = vec!["simulate", "--json", &p];
    args.extend(sets);
    let dry = run(&args).json();
    let (er, dr) = (&est["estimate"]["rounds"], &dry["rounds"]);
    assert_eq!(er.as_array().map(Vec::len), Some(3), "{est}");
    for t in 0..3 {
        let (e, d) = (
            er[t]["autofocus_s"].as_f64().expect("estimate"),
            dr[t]["autofocus_s"].as_f64().expect("dry run"),
        );
        assert!(
            (e - d).abs() <= 0.05 * d.max(0.01),
            "t={t}: estimate {e} s, dry run {d} s"
        );
    }
}

/// `validate` and the estimate give the same data size (824.7 GB for the 384-well screen, not
/// 824.6 GB in one and 824.7 GB in the other).
#[test]
fn validate_and_estimate_say_the_same_size() {
    let p = "protocols/384well_multichannel_zstack.yaml";
    let v = run(&["validate", p, "--json"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    let e = run(&["simulate", "--estimate", "--json", p]).json();
    let bytes = e["estimate"]["bytes"].as_u64().expect("bytes");
    assert_eq!(
        v.json()["files"][0]["bytes"].as_u64(),
        Some(bytes),
        "{}",
        v.stdout
    );
    assert!(v.stderr.contains("824.7 GB"), "{}", v.stderr);
}
