//! The supervised runner on the simulated microscope with injected faults: hangs end with a
//! thread dump and exit 4, errors are retried or skipped or abort, panics are contained,
//! signals cancel cleanly, and nothing acquired is lost.

use crate::common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

struct Case {
    dir: tempfile::TempDir,
    out: std::path::PathBuf,
}

fn case(protocol: &str, time_scale: f64, faults: &[&str]) -> (Case, String, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", protocol);
    let m = microscope(dir.path(), time_scale, faults);
    let out = dir.path().join("out");
    (Case { dir, out }, p, m)
}

fn acquire(c: &Case, p: &str, m: &str) -> Run {
    run(&[
        "acquire",
        p,
        "--microscope",
        m,
        "--output",
        &c.out.display().to_string(),
    ])
}

fn assert_nothing_lost(dir: &std::path::Path) {
    let r = run_json(dir);
    let acquired = r["counts"]["acquired"].as_u64().expect("acquired");
    assert_eq!(r["counts"]["saved"].as_u64(), Some(acquired), "{r}");
    assert_eq!(r["counts"]["lost"].as_u64(), Some(0), "{r}");
    assert_eq!(
        planes_on_disk(dir),
        acquired,
        "every acquired frame is in a readable file"
    );
    assert_eq!(kinds(&journal(dir), "frame").len() as u64, acquired);
}

fn assert_hung(c: &Case, r: &Run, step: &str, through: &str) {
    assert_eq!(r.code, 4, "{}", r.stderr);
    let dir = run_dir(&c.out);
    let dump =
        std::fs::read_to_string(dir.join("thread-dump-1.txt")).expect("dump saved in the run");
    assert!(dump.contains("thread \"acquisition\""), "{dump}");
    assert!(
        dump.contains(&format!("doing: {step} t=0 well=B2")),
        "{dump}"
    );
    assert!(
        dump.contains(through),
        "the stack goes through {through}:\n{dump}"
    );
    assert!(
        dump.contains("squidctl::hardware::faults::hang_forever at src/hardware/faults.rs:"),
        "{dump}"
    );
    assert!(
        dump.contains("thread \"watchdog\"") && dump.contains("thread \"saver-0\""),
        "{dump}"
    );
    assert!(
        r.stderr.contains("=== squidctl thread dump"),
        "the dump is printed too"
    );
    let rec = run_json(&dir);
    assert_eq!(rec["state"], "timed_out");
    assert_eq!(rec["exit_code"], 4);
    let timeouts = kinds(&journal(&dir), "timeout");
    assert_eq!(timeouts.len(), 1);
    assert_eq!(timeouts[0]["step"], step);
    assert_nothing_lost(&dir);
}

#[test]
fn hang_in_capture() {
    let (c, p, m) = case(RUN, 0.0, &["{call: capture, at: 7, kind: hang}"]);
    let t = Instant::now();
    let r = acquire(&c, &p, &m);
    assert!(t.elapsed() < Duration::from_secs(30));
    assert_hung(
        &c,
        &r,
        "capture",
        "<squidctl::hardware::faults::FaultyCamera as squidctl::hardware::Camera>::snap",
    );
    assert_eq!(run_json(&run_dir(&c.out))["counts"]["acquired"], 6);
}

#[test]
fn hang_in_a_stage_move() {
    let (c, p, m) = case(RUN, 0.0, &["{call: move_xy, at: 3, kind: hang}"]);
    let r = acquire(&c, &p, &m);
    assert_hung(
        &c,
        &r,
        "move_xy",
        "<squidctl::hardware::faults::FaultyXy as squidctl::hardware::XyStage>::move_to",
    );
    assert_eq!(run_json(&run_dir(&c.out))["counts"]["acquired"], 12);
}

#[test]
fn hang_in_autofocus() {
    let protocol = format!("{RUN}autofocus: {{method: contrast, every: fov, channel: BF}}\n");
    let (c, p, m) = case(&protocol, 0.0, &["{call: autofocus, at: 2, kind: hang}"]);
    let r = acquire(&c, &p, &m);
    assert_hung(
        &c,
        &r,
        "autofocus",
        "<squidctl::hardware::faults::FaultyAutofocus as squidctl::hardware::autofocus::Autofocus>::run",
    );
    assert_eq!(run_json(&run_dir(&c.out))["counts"]["acquired"], 6);
}

#[test]
fn an_error_is_retried_and_the_run_completes() {
    let (c, p, m) = case(
        RUN,
        0.0,
        &["{call: capture, at: 3, kind: error, message: missed trigger}"],
    );
    let r = acquire(&c, &p, &m);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = run_dir(&c.out);
    let rec = run_json(&dir);
    assert_eq!(rec["state"], "completed");
    assert_eq!(rec["counts"]["retries"], 1);
    assert_eq!(rec["counts"]["acquired"], 24);
    let errs = kinds(&journal(&dir), "step_error");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0]["error"], "camera: missed trigger");
    assert_eq!(errs[0]["will_retry"], true);
    assert!(dir.join(".done").exists());
    assert_nothing_lost(&dir);
}

#[test]
fn exhausted_retries_skip_the_fov() {
    let faults = [
        "{call: capture, at: 3, kind: error}",
        "{call: capture, at: 4, kind: error}",
        "{call: capture, at: 5, kind: error}",
    ];
    let (c, p, m) = case(RUN, 0.0, &faults);
    let r = acquire(&c, &p, &m);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let dir = run_dir(&c.out);
    let rec = run_json(&dir);
    assert_eq!(rec["state"], "completed_with_errors");
    assert_eq!(rec["counts"]["skipped_fovs"], 1);
    // FOV 0 had 2 frames taken; its other 4 are skipped; 18 frames from FOVs 1–3.
    assert_eq!(rec["counts"]["acquired"], 20);
    assert_eq!(rec["counts"]["skipped"], 4);
    let skipped = kinds(&journal(&dir), "fov_skipped");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["fov"], 0);
    assert!(r.stderr.contains("skipping FOV 0 of B2"), "{}", r.stderr);
    assert_nothing_lost(&dir);
    // The report names the well, as the protocol does.
    let rep = run(&["report", &dir.display().to_string()]);
    assert!(
        rep.stdout.contains("skipped t=0 B2 fov 0:"),
        "{}",
        rep.stdout
    );
}

/// A capture that fails after the camera took the next channel's exposure leaves the camera
/// there: every later frame still has its own channel's exposure (the camera's own report,
/// in coordinates.csv), never the one of the channel that failed.
#[test]
fn a_failed_capture_never_leaves_the_next_frame_at_another_channels_exposure() {
    let protocol = RUN
        .replace("exposure: 20ms", "exposure: 30ms")
        .replace("retries: 2", "retries: 0");
    // Capture 2 is GFP's first frame; failing, its FOV is skipped, and BF comes next.
    let (c, p, m) = case(&protocol, 0.0, &["{call: capture, at: 2, kind: error}"]);
    let r = acquire(&c, &p, &m);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let dir = run_dir(&c.out);
    let csv = std::fs::read_to_string(dir.join("coordinates.csv")).expect("csv");
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (channel, exposure) = (col("channel"), col("exposure (ms)"));
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // BF of FOV 0, then 18 frames of FOVs 1–3.
    assert_eq!(rows.len(), 19, "{csv}");
    for row in rows {
        let want = if row[channel] == "BF" { 10.0 } else { 30.0 };
        let got: f64 = row[exposure].parse().expect("a number");
        assert!(
            (got - want).abs() < 1e-6,
            "{} taken at {got} ms:\n{csv}",
            row[channel]
        );
    }
    assert_nothing_lost(&dir);
}

#[test]
fn abort_policy_stops_the_run() {
    let protocol = RUN.replace(
        "on_error: {retries: 2, backoff: 10ms}",
        "on_error: {retries: 1, backoff: 10ms, then: abort}",
    );
    let (c, p, m) = case(
        &protocol,
        0.0,
        &["{call: move_z, every: 1, kind: error, message: z drive stalled}"],
    );
    let r = acquire(&c, &p, &m);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let dir = run_dir(&c.out);
    assert_eq!(run_json(&dir)["state"], "failed");
    assert!(
        run_json(&dir)["end_reason"]
            .as_str()
            .is_some_and(|s| s.contains("z drive stalled"))
    );
    assert!(!dir.join(".done").exists());
}

#[test]
fn a_panicking_driver_is_contained() {
    let (c, p, m) = case(RUN, 0.0, &["{call: move_z, at: 2, kind: panic}"]);
    let r = acquire(&c, &p, &m);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = run_dir(&c.out);
    let errs = kinds(&journal(&dir), "step_error");
    eprintln!("DURATION {}", errs[0]["duration_s"]);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("simulated panic in z stage")),
        "{}",
        errs[0]
    );
    assert!(
        errs[0]["backtrace"]
            .as_str()
            .is_some_and(|b| b.contains("hardware::faults")),
        "{}",
        errs[0]
    );
    assert!(
        !r.stderr.contains("internal error"),
        "the panic is reported as an outcome, not a crash:\n{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("move_z failed at t=0 well=B2 fov=0 z=1 channel=BF: driver panicked at"),
        "{}",
        r.stderr
    );
    assert_nothing_lost(&dir);
}

#[test]
fn a_disconnected_device_is_reconnected() {
    let (c, p, m) = case(RUN, 0.0, &["{call: illumination, at: 2, kind: disconnect}"]);
    let r = acquire(&c, &p, &m);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = journal(&run_dir(&c.out));
    assert_eq!(kinds(&j, "reconnect").len(), 1);
}

/// Start an acquisition in the background; returns the child and the output dir.
fn spawn_acquire(c: &Case, p: &str, m: &str) -> std::process::Child {
    squidctl(&[
        "acquire",
        p,
        "--microscope",
        m,
        "--output",
        &c.out.display().to_string(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn")
}

fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: kill on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

/// The child's stderr, line by line as it comes (the child's own pipe is taken).
fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let err = child.stderr.take().expect("a piped stderr");
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// Lines into `seen` until one contains `what`.
fn await_line(lines: &std::sync::mpsc::Receiver<String>, what: &str, seen: &mut Vec<String>) {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => {
                let hit = l.contains(what);
                seen.push(l);
                if hit {
                    return;
                }
            }
            Err(_) => panic!("no line with {what:?} in:\n{}", seen.join("\n")),
        }
    }
}

fn finish(child: std::process::Child) -> Run {
    Run::from(child.wait_with_output().expect("wait"))
}

/// Wait until the run has acquired at least `n` frames (from its journal).
fn wait_frames(c: &Case, n: usize) {
    wait_for_frames(&c.out, n);
}

#[test]
fn sigint_and_sigterm_at_several_moments_keep_every_frame() {
    let protocol = RUN.replace("\"B2\"", "\"B2:B3\"");
    for (sig, code, after) in [
        (libc::SIGINT, 130, 1),
        (libc::SIGTERM, 143, 9),
        (libc::SIGINT, 130, 30),
        (libc::SIGTERM, 143, 0),
    ] {
        let (c, p, m) = case(&protocol, 1.0, &[]);
        let child = spawn_acquire(&c, &p, &m);
        if after > 0 {
            wait_frames(&c, after);
        } else {
            std::thread::sleep(Duration::from_millis(150));
        }
        let t = Instant::now();
        signal(&child, sig);
        let r = finish(child);
        assert_eq!(r.code, code, "{}", r.stderr);
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "a graceful stop is quick"
        );
        let dir = run_dir(&c.out);
        let rec = run_json(&dir);
        assert_eq!(rec["state"], "cancelled", "{rec}");
        assert!(rec["counts"]["acquired"].as_u64() < Some(48));
        assert!(!dir.join(".done").exists());
        assert_nothing_lost(&dir);
        drop(c.dir);
    }
}

#[test]
fn sigint_during_a_resume_cancels_it_and_a_second_resume_finishes() {
    let protocol = RUN.replace("\"B2\"", "\"B2:B3\"");
    let (c, p, m) = case(&protocol, 1.0, &[]);
    let mut child = spawn_acquire(&c, &p, &m);
    wait_frames(&c, 3);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let dir = run_dir(&c.out);
    let rd = dir.display().to_string();
    let before = kinds(&journal(&dir), "frame").len();
    let child = squidctl(&["resume", &rd])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_frames(&c, before + 3);
    signal(&child, libc::SIGINT);
    let r = finish(child);
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(r.stderr.contains("SIGINT received"), "{}", r.stderr);
    assert_eq!(run_json(&dir)["state"], "cancelled");
    let r = run(&["resume", &rd]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The killed session's frames count too, though it died before its next heartbeat.
    let rec = run_json(&dir);
    assert_eq!(
        rec["counts"]["acquired"].as_u64(),
        Some(kinds(&journal(&dir), "frame").len() as u64),
        "{rec}"
    );
    let r = run(&["verify", &rd]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn signals_ignored_by_whoever_started_the_run_stay_ignored() {
    // As under `nohup` (SIGHUP) or as a background job of a script (SIGINT): the run goes on.
    let (c, p, m) = case(RUN, 1.0, &[]);
    let out = c.out.display().to_string();
    let script = format!(
        "trap '' HUP INT; exec '{}' acquire '{p}' --microscope '{m}' --output '{out}'",
        bin().display()
    );
    let child = clean_env(&mut std::process::Command::new("sh"))
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_frames(&c, 3);
    signal(&child, libc::SIGHUP);
    signal(&child, libc::SIGINT);
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rec = run_json(&run_dir(&c.out));
    assert_eq!(rec["state"], "completed");
    assert_eq!(rec["counts"]["saved"], 24);
}

#[test]
fn a_second_sigint_stops_at_once() {
    // The second capture takes a minute (real time), so the first Ctrl-C would have to wait
    // for it; a bound far below that shows it did not, however busy the machine.
    let (c, p, m) = case(
        RUN,
        0.0,
        &["{call: capture, at: 2, kind: slow, delay: 60s}"],
    );
    let protocol = RUN.replace("on_error:", "timeouts: {capture: 120s}\non_error:");
    std::fs::write(&p, protocol).expect("write");
    let child = spawn_acquire(&c, &p, &m);
    wait_frames(&c, 1);
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, libc::SIGINT);
    let r = finish(child);
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "did not wait for the slow capture: {:?}",
        t.elapsed()
    );
    assert!(r.stderr.contains("received again"), "{}", r.stderr);
    assert_eq!(run_json(&run_dir(&c.out))["state"], "cancelled");
}

/// The third Ctrl-C leaves at once even while the savers are still busy, and what is on disk
/// stays consistent: finished files verify, unfinished ones are `.partial`, and resume
/// completes the run.
#[test]
fn a_third_sigint_exits_at_once_and_resume_completes_the_run() {
    // One saver compressing full frames cannot keep up: the queue holds seconds of work.
    let (c, p, m) = case(
        &RUN.replace(
            "on_error:",
            "z: {count: 8, step: 2um, from: center}\noutput: {compression: deflate}\non_error:",
        )
        .replace("z: {count: 3, step: 2um, from: center}\n", ""),
        0.0,
        &[],
    );
    let mut child = squidctl(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &c.out.display().to_string(),
        "--savers",
        "1",
        "--queue-frames",
        "64",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let lines = stderr_lines(&mut child);
    wait_frames(&c, 20);
    // Each signal once the run said it took the one before (signals of one kind merge), and
    // no later: all three land while the first one's drain is still going.
    let mut seen = Vec::new();
    for ack in ["SIGINT received: stopping", "SIGINT received again"] {
        signal(&child, libc::SIGINT);
        await_line(&lines, ack, &mut seen);
    }
    signal(&child, libc::SIGINT);
    let mut r = finish(child);
    seen.extend(lines.iter());
    r.stderr = seen.join("\n");
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cancelled by SIGINT three times: exited at once"),
        "{}",
        r.stderr
    );
    let dir = run_dir(&c.out);
    let ends = kinds(&journal(&dir), "end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["state"], "cancelled");
    // Whatever the journal calls saved reads back; the rest is acquired again.
    assert_files_read_back(&dir, "after three SIGINTs");
    let r = run(&["resume", &dir.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&["verify", &dir.display().to_string()]).code, 0);
    assert_eq!(run_json(&dir)["counts"]["saved"], 64);
}

#[test]
fn sigusr1_dumps_threads_and_the_run_goes_on() {
    let (c, p, m) = case(RUN, 1.0, &[]);
    let child = spawn_acquire(&c, &p, &m);
    wait_frames(&c, 3);
    signal(&child, libc::SIGUSR1);
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("reason: requested with SIGUSR1"),
        "{}",
        r.stderr
    );
    let dir = run_dir(&c.out);
    let dump = std::fs::read_to_string(dir.join("thread-dump-1.txt")).expect("dump");
    assert!(dump.contains("thread \"acquisition\""), "{dump}");
    assert_eq!(run_json(&dir)["counts"]["saved"], 24);
}

#[test]
fn overrunning_time_points_all_run_late() {
    let protocol = format!("{RUN}time: {{every: 1s, count: 4}}\n");
    let (c, p, m) = case(&protocol, 0.0, &[]);
    let r = run(&["simulate", &p, "--microscope", &m, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["counts"]["acquired"], 96);
    let rounds = j["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 4);
    assert!(
        rounds[1..]
            .iter()
            .all(|r| r["late_s"].as_f64().unwrap_or(0.0) > 0.0),
        "{rounds:?}"
    );
    assert!(rounds.iter().all(|r| r["skipped"] == false));
    assert!(r.stderr.contains("OVERRUNS"), "{}", r.stderr);
    drop(c);
}

#[test]
fn skip_policy_records_skipped_time_points() {
    let protocol = format!("{RUN}time: {{every: 1s, count: 5, overrun: skip}}\n");
    let (c, p, m) = case(&protocol, 0.0, &[]);
    let r = run(&["simulate", &p, "--microscope", &m, "--json"]);
    assert_eq!(r.code, 3, "skipped time points are errors: {}", r.stderr);
    let j = r.json();
    let rounds = j["rounds"].as_array().expect("rounds");
    let skipped = rounds.iter().filter(|r| r["skipped"] == true).count() as u64;
    assert!(skipped > 0, "{rounds:?}");
    assert_eq!(j["counts"]["skipped"].as_u64(), Some(skipped * 24));
    drop(c);
}

#[test]
fn a_twelve_hour_time_lapse_simulates_in_seconds() {
    let t = Instant::now();
    let r = run(&[
        "simulate",
        "protocols/overnight_96well_timelapse.yaml",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(t.elapsed() < Duration::from_secs(60));
    let j = r.json();
    assert!(j["clock_s"].as_f64().unwrap_or(0.0) > 12.0 * 3600.0);
    assert_eq!(j["counts"]["acquired"], 7296);
    assert!(r.stderr.contains("t=1,3,…,23 (12 rounds)"), "{}", r.stderr);
}
