//! squidctl driving the emulated Squid board as a user would: `squidctl emulate mcu` in one
//! process, `squidctl acquire` in another, talking over a pseudo-terminal.

mod common;
use common::*;

use std::time::{Duration, Instant};

use serde_json::Value;

/// Every light the board switched on was switched off again, and nothing was executed twice.
fn board_ends_clean(board: &McuProcess) {
    let lights = board.events_of("light");
    let mut lit = std::collections::BTreeSet::new();
    for e in &lights {
        let port = e["port"].to_string();
        if e["on"] == true {
            lit.insert(port);
        } else if port == "\"all\"" {
            lit.clear();
        } else {
            lit.remove(&port);
        }
    }
    assert!(lit.is_empty(), "left on: {lit:?}");
    let execs = board.events_of("exec");
    for w in execs.windows(2) {
        assert!(
            !(w[0]["id"] == w[1]["id"] && w[0]["command"] == w[1]["command"]),
            "executed twice: {}",
            w[1]
        );
    }
}

#[test]
fn the_quick_start_runs_on_the_emulated_board_and_verifies() {
    let board = McuProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let m = board.microscope(dir.path(), "2s", &[]);
    let d = run(&["devices", "--microscope", &m, "--timeout", "30s"]);
    assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);
    assert!(d.stdout.contains("firmware 1.4, homed"), "{}", d.stdout);
    let out = dir.path().join("out");
    let r = run(&[
        "acquire",
        "protocols/quickstart.yaml",
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rd = run_dir(&out);
    assert_eq!(run_json(&rd)["counts"]["saved"], 72);
    let v = run(&["verify", &rd.display().to_string()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    // Homed in Squid's order, then every frame lit by its own source, and dark at the end.
    let homed: Vec<u64> = board
        .events_of("homed")
        .iter()
        .filter_map(|e| e["axis"].as_u64())
        .collect();
    assert_eq!(&homed[..3], &[2, 0, 1], "Z, then X, then Y");
    let on: Vec<Value> = board
        .events_of("light")
        .into_iter()
        .filter(|e| e["on"] == true)
        .collect();
    assert_eq!(on.len(), 72, "one switch-on per frame");
    board_ends_clean(&board);
}

#[test]
fn simulate_never_opens_the_board_and_acquire_says_which_port_is_missing() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = squid_microscope_text("/nonexistent/ttySquid", "2s");
    let m = write(dir.path(), "squid.yaml", &text);
    let s = run(&["simulate", "protocols/quickstart.yaml", "--microscope", &m]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert!(
        s.stderr.contains("no real device is opened"),
        "{}",
        s.stderr
    );
    let a = run(&[
        "acquire",
        "protocols/quickstart.yaml",
        "--microscope",
        &m,
        "--output",
        &dir.path().join("out").display().to_string(),
    ]);
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert!(
        a.stderr.contains("/nonexistent/ttySquid")
            && a.stderr.contains("cannot open the microscope"),
        "{}",
        a.stderr
    );
}

/// A runner killed with SIGKILL in the middle of a long exposure cannot turn its laser off;
/// the firmware watchdog it armed does, one watchdog period after the last heartbeat.
#[test]
fn the_watchdog_turns_the_laser_off_after_the_runner_is_killed() {
    let board = McuProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let m = board.microscope(dir.path(), "2s", &[]);
    let p = write(
        dir.path(),
        "long.yaml",
        "name: long\nplate: {format: 96, wells: \"A1\"}\nchannels:\n  - {name: GFP, exposure: 8s, intensity: 20%}\n",
    );
    let out = dir.path().join("out");
    let mut child = squidctl(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("spawn");
    let t = Instant::now();
    let lit = loop {
        if let Some(e) = board
            .events_of("light")
            .into_iter()
            .find(|e| e["on"] == true && e["port"] != "matrix")
        {
            break e;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the laser never came on"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Longer than one heartbeat period (half the watchdog), so a heartbeat lands mid-exposure.
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let t = Instant::now();
    let fired = loop {
        if let Some(e) = board.events_of("watchdog").into_iter().next() {
            break e;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the watchdog never fired"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // On the board's own clock: the last thing it heard, then 2 s of silence.
    let at = |e: &Value| e["t"].as_f64().unwrap_or(f64::NAN);
    let heard = board
        .events_of("exec")
        .iter()
        .map(at)
        .filter(|t| *t < at(&fired))
        .fold(f64::NAN, f64::max);
    let silence = at(&fired) - heard;
    assert!(
        (1.95..3.0).contains(&silence),
        "watchdog after {silence} s of silence"
    );
    assert!(
        at(&lit) < heard,
        "heartbeats kept the board alive while the runner lived"
    );
    board_ends_clean(&board);
}

#[test]
fn emulator_faults_that_do_not_parse_are_refused() {
    let r = run(&["emulate", "mcu", "--fault", "stall:1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--fault stall:1") && r.stderr.contains("stall:N:DUR"),
        "{}",
        r.stderr
    );
    let r = run(&["emulate", "mcu", "--noise", "2"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a probability"), "{}", r.stderr);
}
