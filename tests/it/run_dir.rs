//! The run directory: SIGKILL at random moments then `resume` ends with the same planes an
//! uninterrupted run saves; `verify` names damaged files; a modified protocol copy is
//! refused; one run per microscope; `report` on finished and running runs.

use crate::common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

const PROTOCOL: &str = "name: rd
plate: {format: 96, wells: \"B2:B3\"}
fov: {grid: 2x2, overlap: 10%}
z: {count: 3, step: 2um, from: center}
channels:
  - {name: BF, exposure: 10ms, intensity: 30%}
  - {name: GFP, exposure: 20ms, intensity: 50%}
autofocus: {method: contrast, every: well, channel: BF}
";

fn setup(time_scale: f64) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = microscope(dir.path(), time_scale, &[]);
    (dir, p, m)
}

/// Start an acquisition and SIGKILL it `after` its run directory's journal appears.
fn kill_after(args: &[&str], out: &std::path::Path, after: Duration) {
    let mut child = start_run(args, out);
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

/// Start an acquisition into `out` and SIGKILL it after `after`.
fn acquire_killed(p: &str, m: &str, out: &std::path::Path, after: Duration) {
    let o = out.display().to_string();
    kill_after(
        &["acquire", p, "--microscope", m, "--output", &o],
        out,
        after,
    );
}

fn acquire_to(p: &str, m: &str, out: &std::path::Path) -> Run {
    run(&[
        "acquire",
        p,
        "--microscope",
        m,
        "--output",
        &out.display().to_string(),
    ])
}

#[test]
fn sigkill_then_resume_gives_the_uninterrupted_planes() {
    let (dir, p, m) = setup(0.3);
    let full = dir.path().join("full");
    let r = acquire_to(&p, &m, &full);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reference = saved_planes(&run_dir(&full));
    assert_eq!(reference.len(), 16);
    // Deterministic "random" moments across the run (about 2.5 s long at this scale).
    for (i, delay_ms) in [0u64, 400, 1100, 1900].into_iter().enumerate() {
        let out = dir.path().join(format!("killed-{i}"));
        acquire_killed(&p, &m, &out, Duration::from_millis(delay_ms));
        let rd = run_dir(&out);
        let before = run(&["verify", &rd.display().to_string()]);
        let r = run(&["resume", &rd.display().to_string()]);
        assert_eq!(r.code, 0, "resume after {delay_ms} ms:\n{}", r.stderr);
        let v = run(&["verify", &rd.display().to_string(), "--json"]);
        assert_eq!(
            v.code, 0,
            "verify after resume ({delay_ms} ms):\n{}",
            v.stdout
        );
        assert_eq!(v.json()["intact_files"], 16);
        assert_eq!(
            saved_planes(&rd),
            reference,
            "planes after a kill at {delay_ms} ms (verify before resume said:\n{})",
            before.stdout
        );
        let rec = run_json(&rd);
        assert_eq!(rec["state"], "completed");
        assert_eq!(rec["sessions"].as_array().map(Vec::len), Some(2));
        assert!(rd.join(".done").exists());
        assert_eq!(kinds(&journal(&rd), "resume").len(), 1);
    }
}

#[test]
fn a_kill_during_resume_is_resumed_too() {
    let (dir, p, m) = setup(0.3);
    let full = dir.path().join("full");
    assert_eq!(acquire_to(&p, &m, &full).code, 0);
    let reference = saved_planes(&run_dir(&full));
    let out = dir.path().join("twice");
    acquire_killed(&p, &m, &out, Duration::from_millis(1000));
    let rd = run_dir(&out);
    let before = kinds(&journal(&rd), "frame").len();
    let mut child = squidctl(&["resume", &rd.display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Killed once the resume is acquiring.
    let t = Instant::now();
    while kinds(&journal(&rd), "frame").len() < before + 2 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the resume acquired nothing"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&["verify", &rd.display().to_string()]).code, 0);
    assert_eq!(saved_planes(&rd), reference);
}

#[test]
fn verify_names_damaged_and_missing_files() {
    let (dir, p, m) = setup(0.0);
    let out = dir.path().join("out");
    assert_eq!(acquire_to(&p, &m, &out).code, 0);
    let rd = run_dir(&out);
    let ok = run(&["verify", &rd.display().to_string()]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("ok: 16 of 16 files intact (48 planes)"),
        "{}",
        ok.stdout
    );
    // Flip pixels in one file, cut another short, delete a third.
    let flipped = rd.join("0/B2_0_GFP.ome.tiff");
    let mut bytes = std::fs::read(&flipped).expect("read");
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xff;
    }
    std::fs::write(&flipped, bytes).expect("write");
    let cut = rd.join("0/B2_1_BF.ome.tiff");
    let len = std::fs::metadata(&cut).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cut)
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    std::fs::remove_file(rd.join("0/B3_3_GFP.ome.tiff")).expect("delete");
    let r = run(&["verify", &rd.display().to_string()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("FAILED: 13 of 16 files intact"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("0/B2_0_GFP.ome.tiff: corrupt: the pixels of plane"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("0/B2_1_BF.ome.tiff: corrupt: cannot be read"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("0/B3_3_GFP.ome.tiff: missing"),
        "{}",
        r.stdout
    );
    let j = run(&["verify", &rd.display().to_string(), "--json"]).json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["problems"].as_array().map(Vec::len), Some(3));
    // Resume mends exactly those.
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&["verify", &rd.display().to_string()]).code, 0);
}

/// Every byte is checked, not only pixels: an edit inside the OME-XML (4 bytes, 64 before
/// the end) and one in a TIFF tag are both named.
#[test]
fn verify_catches_changed_metadata_and_header_bytes() {
    let (dir, p, m) = setup(0.0);
    let out = dir.path().join("out");
    assert_eq!(acquire_to(&p, &m, &out).code, 0);
    let rd = run_dir(&out);
    let poke = |rel: &str, at: Box<dyn Fn(usize) -> usize>, with: &[u8]| {
        let f = rd.join(rel);
        let mut bytes = std::fs::read(&f).expect("read");
        let i = at(bytes.len());
        bytes[i..i + with.len()].copy_from_slice(with);
        std::fs::write(&f, bytes).expect("write");
    };
    // Inside the XML's last characters: still XML-ish text, pixels untouched.
    poke("0/B2_0_GFP.ome.tiff", Box::new(|n| n - 64), b"9999");
    // An XML that no longer parses: `</OME>` becomes `<<<<E>`.
    poke("0/B2_0_BF.ome.tiff", Box::new(|n| n - 8), b"<<<<");
    // The NewSubfileType tag's value in the first IFD of another file: pixels and XML read
    // back unchanged, only the whole-file checksum sees it.
    let f = rd.join("0/B2_1_BF.ome.tiff");
    let bytes = std::fs::read(&f).expect("read");
    let ifd = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let n = u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]) as usize;
    let entry = (0..n)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes([bytes[e], bytes[e + 1]]) == 254)
        .expect("a NewSubfileType tag");
    poke("0/B2_1_BF.ome.tiff", Box::new(move |_| entry + 8), &[2, 0]);
    let r = run(&["verify", &rd.display().to_string()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("FAILED: 13 of 16 files intact"),
        "{}",
        r.stdout
    );
    for want in [
        "0/B2_0_GFP.ome.tiff: corrupt",
        "0/B2_0_BF.ome.tiff: corrupt metadata: the OME-XML does not parse",
        "0/B2_1_BF.ome.tiff: corrupt: the file changed after it was written",
    ] {
        assert!(
            r.stdout.contains(want),
            "missing `{want}` in:\n{}",
            r.stdout
        );
    }
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&["verify", &rd.display().to_string()]).code, 0);
}

#[test]
fn verify_counts_skipped_fovs_as_not_saved() {
    let (dir, p, _) = setup(0.0);
    let faults = [
        "{call: capture, at: 3, kind: error}",
        "{call: capture, at: 4, kind: error}",
        "{call: capture, at: 5, kind: error}",
    ];
    let m = microscope(dir.path(), 0.0, &faults);
    let out = dir.path().join("out");
    assert_eq!(acquire_to(&p, &m, &out).code, 3);
    let r = run(&["verify", &run_dir(&out).display().to_string()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("not saved") || r.stdout.contains("incomplete"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_modified_protocol_copy_is_refused() {
    let (dir, p, m) = setup(0.0);
    let out = dir.path().join("out");
    acquire_killed(&p, &m, &out, Duration::from_millis(50));
    let rd = run_dir(&out);
    let copy = rd.join("protocol.yaml");
    let text = std::fs::read_to_string(&copy).expect("copy");
    std::fs::write(&copy, text.replace("exposure: 20ms", "exposure: 40ms")).expect("write");
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("protocol.yaml in")
            && r.stderr.contains("was modified after the run started"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("restore the original copy"),
        "{}",
        r.stderr
    );
}

#[test]
fn one_run_per_microscope() {
    let (dir, p, m) = setup(1.0);
    let locks = dir.path().join("locks");
    let with_locks = |args: &[&str]| {
        let mut c = squidctl(args);
        c.env("SQUIDCTL_LOCK_DIR", &locks);
        c
    };
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let first = with_locks(&["acquire", &p, "--microscope", &m, "--output", &out_s])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait for the first to hold the lock.
    let t = Instant::now();
    while !locks.join("squid-sim.lock").exists() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Its run directory made: the lock names it (not the output folder).
    let first_rd = wait_for_frames(&out, 0);
    let second = Run::from(
        with_locks(&["acquire", &p, "--microscope", &m, "--output", &out_s])
            .output()
            .expect("run"),
    );
    assert_eq!(second.code, 6, "{}", second.stderr);
    assert!(
        !second.stderr.contains("waiting for the microscope"),
        "refused at once: {}",
        second.stderr
    );
    assert!(
        second.stderr.contains("the microscope `squid-sim` is busy")
            && second.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("--wait-lock"), "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains(&format!("run {}", first_rd.display())),
        "{}",
        second.stderr
    );
    let timed = Run::from(
        with_locks(&[
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &out_s,
            "--wait-lock",
            "300ms",
        ])
        .output()
        .expect("run"),
    );
    assert_eq!(timed.code, 6, "{}", timed.stderr);
    // Having waited, it is not told to wait.
    assert!(
        timed.stderr.contains("still, after waiting 300ms")
            && !timed.stderr.contains("wait for it with"),
        "{}",
        timed.stderr
    );
    // Waiting without a limit gets the microscope once the first run ends.
    let waiter = Run::from(
        with_locks(&[
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &out_s,
            "--wait-lock",
        ])
        .output()
        .expect("run"),
    );
    assert_eq!(waiter.code, 0, "{}", waiter.stderr);
    let first = Run::from(first.wait_with_output().expect("first"));
    assert_eq!(first.code, 0, "{}", first.stderr);
}

#[test]
fn a_stale_lock_is_taken_over() {
    let (dir, p, m) = setup(0.0);
    let locks = dir.path().join("locks");
    std::fs::create_dir_all(&locks).expect("dir");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    std::fs::write(
        locks.join("squid-sim.lock"),
        format!("pid 999999\nhost {}\nsince earlier\n", host.trim()),
    )
    .expect("write");
    let out = dir.path().join("out");
    let r = Run::from(
        squidctl(&[
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &out.display().to_string(),
        ])
        .env("SQUIDCTL_LOCK_DIR", &locks)
        .output()
        .expect("run"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("taking over the lock left by pid 999999"),
        "{}",
        r.stderr
    );
}

#[test]
fn report_on_a_finished_and_a_running_run() {
    let (dir, p, m) = setup(0.0);
    let out = dir.path().join("done");
    assert_eq!(acquire_to(&p, &m, &out).code, 0);
    let rd = run_dir(&out);
    let r = run(&["report", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for s in [
        "state       completed",
        "48 of 48 acquired (100.0%), 48 saved",
        "p50",
        "p99",
        "max",
        "capture",
        "move_xy",
        "move_z",
        "autofocus",
    ] {
        assert!(r.stdout.contains(s), "missing `{s}`:\n{}", r.stdout);
    }
    let j = run(&["report", &rd.display().to_string(), "--json"]).json();
    assert_eq!(j["steps"]["capture"]["count"], 48);
    assert!(j["steps"]["capture"]["p99_s"].as_f64().is_some());

    // A live run.
    let m_slow = microscope(dir.path(), 1.0, &[]);
    let live = dir.path().join("live");
    let mut child = squidctl(&[
        "acquire",
        &p,
        "--microscope",
        &m_slow,
        "--output",
        &live.display().to_string(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    let rd = wait_for_frames(&live, 3);
    let r = run(&["report", &rd.display().to_string()]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        r.stdout.contains("state       running (pid"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("of 48 acquired") && r.stdout.contains("remaining   about"),
        "{}",
        r.stdout
    );
    // Killed, it is possibly stalled.
    let r = run(&["report", &rd.display().to_string()]);
    assert!(
        r.stdout.contains("POSSIBLY STALLED")
            && r.stdout.contains("no squidctl process holds the run"),
        "{}",
        r.stdout
    );
}

/// With run.json gone, the resume gap comes from the journal's own times (once it read a
/// `unix` field no record wrote: a gap of about 1.7e9 s, and every time point late).
#[test]
fn without_run_json_the_resume_gap_is_the_real_one() {
    let (dir, p, m) = setup(0.3);
    let out = dir.path().join("out");
    acquire_killed(&p, &m, &out, Duration::from_millis(800));
    let rd = run_dir(&out);
    std::fs::remove_file(rd.join("run.json")).expect("remove run.json");
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let resumes = kinds(&journal(&rd), "resume");
    let gap = resumes[0]["gap_s"].as_f64().expect("gap_s");
    assert!((0.0..120.0).contains(&gap), "gap {gap} s");
    assert_eq!(run(&["verify", &rd.display().to_string()]).code, 0);
}

/// One liveness answer for report and resume: a run recorded as running on another host
/// with a fresh heartbeat is "running" to report, and resume will not touch it.
#[test]
fn a_run_live_on_another_host_is_neither_stalled_nor_resumed() {
    let (dir, p, m) = setup(0.0);
    let out = dir.path().join("out");
    assert_eq!(acquire_to(&p, &m, &out).code, 0);
    let rd = run_dir(&out);
    let mut rec = run_json(&rd);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    rec["state"] = "running".into();
    rec["host"] = "imaging-pc-2".into();
    rec["heartbeat_unix"] = now.into();
    std::fs::write(rd.join("run.json"), rec.to_string()).expect("write run.json");
    // The journal's end record says finished; make it a run still going on that host.
    let text = std::fs::read_to_string(rd.join("journal.jsonl")).expect("journal");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"kind\":\"end\""))
        .collect();
    std::fs::write(rd.join("journal.jsonl"), kept.join("\n") + "\n").expect("journal");
    let _ = std::fs::remove_file(rd.join(".done"));
    let r = run(&["report", &rd.display().to_string()]);
    assert!(!r.stdout.contains("STALLED"), "{}", r.stdout);
    assert!(r.stdout.contains("running"), "{}", r.stdout);
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("on host imaging-pc-2"), "{}", r.stderr);
}

/// `verify runs/quickstart_*` after a second run: each run directory is judged on its own,
/// `--json` is one object with every run, and the exit is 0 only when all pass.
#[test]
fn verify_and_report_take_every_run_a_glob_names() {
    let (dir, p, m) = setup(0.0);
    let out = dir.path().join("out");
    let mut rds = Vec::new();
    for name in ["one", "two"] {
        let mut args = acquire_args(&p, &m, &out);
        args.extend(["--set".into(), format!("output.run_name={name}")]);
        let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(r.code, 0, "{}", r.stderr);
        rds.push(out.join(name).display().to_string());
    }
    let v = run(&["verify", &rds[0], &rds[1], "--json"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert_eq!(v.stdout.trim().lines().count(), 1, "{}", v.stdout);
    assert_eq!(
        v.json()["runs"].as_array().map(Vec::len),
        Some(2),
        "{}",
        v.stdout
    );
    let r = run(&["report", &rds[0], &rds[1]]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.matches("run         ").count(), 2, "{}", r.stdout);
    // One damaged: that run fails, the other still passes, and the exit says so.
    std::fs::remove_file(out.join("two").join("coordinates.csv")).expect("rm");
    let v = run(&["verify", &rds[0], &rds[1]]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(
        v.stdout.contains("ok: ") && v.stdout.contains("FAILED"),
        "{}",
        v.stdout
    );
    // resume takes one: given several it changes nothing and shows the loop that works.
    let r = run(&["resume", &rds[0], &rds[1], "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.json()["reason"]
            .as_str()
            .is_some_and(|m| m.contains("resume takes one run directory")
                && m.contains("for d in")),
        "{}",
        r.stdout
    );
    let r = run(&["resume", &rds[0], "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["reason"], "already complete", "{}", r.stdout);
}

/// A time point that a kill interrupted and a resume carried on is one time point in the
/// report: it started on time and was continued late, not "t=0 on time" then "t=0 late".
#[test]
fn report_tells_an_interrupted_time_point_once() {
    let (dir, _, m) = setup(1.0);
    let p = write(
        dir.path(),
        "tl.yaml",
        &PROTOCOL.replace("autofocus:", "time: {every: 1s, count: 2}\nautofocus:"),
    );
    let out = dir.path().join("tl");
    let o = out.display().to_string();
    let mut child = start_run(&["acquire", &p, "--microscope", &m, "--output", &o], &out);
    let rd = wait_for_frames(&out, 6);
    let _ = child.kill();
    let _ = child.wait();
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["report", &rd.display().to_string(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tps = r.json()["time_points"].clone();
    let ts: Vec<u64> = tps
        .as_array()
        .expect("time points")
        .iter()
        .filter_map(|t| t["t"].as_u64())
        .collect();
    assert_eq!(ts, vec![0, 1], "{tps}");
    assert!(tps[0]["continued_late_s"].as_f64().is_some(), "{tps}");
    assert_eq!(r.stderr.matches("t=0 ").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("interrupted, continued by resume"),
        "{}",
        r.stderr
    );
}
