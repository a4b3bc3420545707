//! The nights a microscope actually has: SIGKILL at random moments (then resume), SIGINT and
//! SIGTERM at random moments (also twice in quick succession), an output that becomes
//! read-only mid-run, and a long time-lapse soak with flat memory. Random moments come from a
//! seed printed on failure; `SQUIDCTL_TEST_SEED=N` replays one.

use crate::common::*;
use squidctl::hardware::faults::SplitMix;
use std::process::Stdio;
use std::time::{Duration, Instant};

const PROTOCOL: &str = "name: night
plate: {format: 96, wells: \"E5:E6\"}
fov: {grid: 2x2, overlap: 10%}
z: {count: 3, step: 2um, from: center}
channels:
  - {name: BF, exposure: 10ms, intensity: 30%}
  - {name: GFP, exposure: 20ms, intensity: 50%}
autofocus: {method: laser, every: well}
time: {every: 4s, count: 2}
";

#[test]
fn sigkill_at_random_moments_then_resume() {
    let seed = seed();
    let mut rng = SplitMix(seed);
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = microscope(dir.path(), 0.2, &[]);
    let full = dir.path().join("full");
    let t = Instant::now();
    let r = run(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &full.display().to_string(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let length = t.elapsed().as_secs_f64();
    let reference = saved_planes(&run_dir(&full));
    assert_eq!(reference.len(), 32);
    for i in 0..4 {
        let at = rng.next_f64() * length;
        let out = dir.path().join(format!("k{i}"));
        let args = [
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &out.display().to_string(),
        ];
        let mut child = start_run(&args, &out);
        std::thread::sleep(Duration::from_secs_f64(at));
        let _ = child.kill();
        let _ = child.wait();
        let rd = run_dir(&out);
        // Sometimes the resume is killed too.
        if rng.next_u64().is_multiple_of(3) {
            let mut again = start_run(&["resume", &rd.display().to_string()], &out);
            std::thread::sleep(Duration::from_secs_f64(rng.next_f64() * length / 2.0));
            let _ = again.kill();
            let _ = again.wait();
        }
        let r = run(&["resume", &rd.display().to_string()]);
        assert_eq!(r.code, 0, "seed {seed}, kill at {at:.2} s:\n{}", r.stderr);
        let v = run(&["verify", &rd.display().to_string()]);
        assert_eq!(v.code, 0, "seed {seed}, kill at {at:.2} s:\n{}", v.stdout);
        assert_eq!(
            saved_planes(&rd),
            reference,
            "seed {seed}, kill at {at:.2} s: the planes differ from an uninterrupted run"
        );
    }
}

#[test]
fn signals_at_random_moments_once_or_twice() {
    let seed = seed();
    let mut rng = SplitMix(seed ^ 0x5151);
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = microscope(dir.path(), 0.2, &[]);
    for i in 0..4 {
        let sig = if rng.next_u64().is_multiple_of(2) {
            libc::SIGINT
        } else {
            libc::SIGTERM
        };
        let twice = rng.next_u64().is_multiple_of(3);
        let at = rng.next_f64() * 3.0;
        let out = dir.path().join(format!("s{i}"));
        let child = start_run(
            &[
                "acquire",
                &p,
                "--microscope",
                &m,
                "--output",
                &out.display().to_string(),
            ],
            &out,
        );
        std::thread::sleep(Duration::from_secs_f64(at));
        let sent = Instant::now();
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        if twice {
            std::thread::sleep(Duration::from_millis(30));
            unsafe { libc::kill(child.id() as i32, sig) };
        }
        let r = Run::from(child.wait_with_output().expect("wait"));
        let label = format!(
            "seed {seed}: {} at {at:.2} s{}",
            if sig == libc::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            },
            if twice { " twice" } else { "" }
        );
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "{label}: took {:?} to stop",
            sent.elapsed()
        );
        let rd = run_dir(&out);
        let rec = run_json(&rd);
        if r.code == 0 {
            // The run may have finished before the signal arrived.
            assert_eq!(rec["state"], "completed", "{label}");
            continue;
        }
        assert_eq!(
            r.code,
            if sig == libc::SIGINT { 130 } else { 143 },
            "{label}:\n{}",
            r.stderr
        );
        assert_eq!(rec["state"], "cancelled", "{label}");
        let c = &rec["counts"];
        assert_eq!(
            c["acquired"].as_u64(),
            Some(c["saved"].as_u64().unwrap_or(0) + c["lost"].as_u64().unwrap_or(0)),
            "{label}: {c}"
        );
        if !twice {
            assert_eq!(c["lost"], 0, "{label}: a graceful stop loses nothing");
        }
        assert_eq!(
            planes_on_disk(&rd),
            c["saved"].as_u64().unwrap_or(0),
            "{label}"
        );
        assert!(
            !walk(&rd)
                .iter()
                .any(|p| p.display().to_string().ends_with(".partial")),
            "{label}: no half files"
        );
        // And the run can be finished.
        let r = run(&["resume", &rd.display().to_string()]);
        assert_eq!(r.code, 0, "{label}: resume:\n{}", r.stderr);
        assert_eq!(
            run(&["verify", &rd.display().to_string()]).code,
            0,
            "{label}"
        );
    }
}

#[test]
fn a_directory_that_becomes_unwritable_mid_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = microscope(dir.path(), 0.6, &[]);
    binned(&m, 4);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("out");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    // Root ignores permissions, so the run is made as nobody; the change comes from outside.
    let mut cmd = squidctl_unprivileged();
    // A long enough interval that the change lands while waiting for the second time point.
    let child = cmd
        .args([
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &out.display().to_string(),
            "--set",
            "time.every=10s",
        ])
        .current_dir("/")
        .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
        .env_remove("SQUIDCTL_MICROSCOPE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // When the first time point's 16 files are saved, take away write permission.
    let t = Instant::now();
    let rd = loop {
        if let Ok(mut e) = std::fs::read_dir(&out)
            && let Some(Ok(d)) = e.next()
            && d.path().join("journal.jsonl").exists()
            && kinds(&journal(&d.path()), "file").len() >= 16
        {
            break d.path();
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the first time point never finished"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    std::fs::set_permissions(&rd, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let r = Run::from(child.wait_with_output().expect("wait"));
    std::fs::set_permissions(&rd, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("permission denied"), "{}", r.stderr);
    // Every file saved before is intact.
    assert!(kinds(&journal(&rd), "file").len() >= 16);
    assert_files_read_back(&rd, "unwritable mid-run");
    // run.json could not be replaced at the end; the journal says how the run ended.
    let rep = run(&["report", &rd.display().to_string()]);
    assert!(
        rep.stdout.contains("state       failed") && !rep.stdout.contains("STALLED"),
        "{}",
        rep.stdout
    );
}

/// Resident memory of a process, in MB.
fn rss_mb(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

#[test]
fn a_twelve_hour_soak_keeps_memory_flat() {
    // The overnight 96-well protocol (7,296 frames over 12 h) in accelerated time, writing
    // binned frames, with memory sampled throughout.
    let dir = tempfile::tempdir().expect("tmp");
    let m = microscope(dir.path(), 0.0, &[]);
    binned(&m, 8);
    let out = dir.path().join("soak");
    let child = squidctl(&[
        "simulate",
        "protocols/overnight_96well_timelapse.yaml",
        "--microscope",
        &m,
        "--write",
        &out.display().to_string(),
        "--queue-frames",
        "64",
        "--json",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    let pid = child.id();
    let mut samples = Vec::new();
    let t = Instant::now();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d2 = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut v = Vec::new();
        while !d2.load(std::sync::atomic::Ordering::SeqCst) {
            if let Some(r) = rss_mb(pid) {
                v.push(r);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        v
    });
    let r = Run::from(child.wait_with_output().expect("wait"));
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    samples.extend(sampler.join().unwrap_or_default());
    assert_eq!(r.code, 0);
    let j = r.json();
    assert_eq!(j["counts"]["saved"], 7296);
    assert!(j["clock_s"].as_f64().unwrap_or(0.0) >= 12.0 * 3600.0);
    assert!(t.elapsed() < Duration::from_secs(180));
    assert!(samples.len() > 10, "{} samples", samples.len());
    // Flat: the second half of the run never needs more than the first half plus a margin.
    let half = samples.len() / 2;
    let first = samples[..half].iter().copied().fold(0.0, f64::max);
    let second = samples[half..].iter().copied().fold(0.0, f64::max);
    assert!(
        second <= first + 16.0,
        "memory grew from {first:.1} MB to {second:.1} MB"
    );
}
