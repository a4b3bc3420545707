//! What an unattended night and a hostile user found (issue 19): file names that collide,
//! lock files that follow symlinks or vanish, coordinates lost on SIGKILL, journal paths
//! outside the run, inputs without bounds, and outcomes that say something false.

use crate::common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn positions(names: &[&str]) -> String {
    let list: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("  - {{name: \"{n}\", x: {}mm, y: 20mm}}\n", 20 + i * 3))
        .collect();
    format!(
        "name: names\npositions:\n{list}channels:\n  - {{name: BF, exposure: 10ms, intensity: 30%}}\n"
    )
}

/// Acquire positions with these names on the instant simulator; the run directory.
fn acquire_positions(dir: &std::path::Path, names: &[&str]) -> std::path::PathBuf {
    let p = write(dir, "p.yaml", &positions(names));
    let m = microscope(dir, 0.0, &[]);
    acquired(&p, &m, &dir.join("out"))
}

#[test]
fn names_that_become_one_file_name_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    for pair in [
        ["Zelle ä", "Zelle ö"],
        ["well 1", "well_1"],
        ["~", "="],
        ["cell", "CELL"],
    ] {
        let p = write(dir.path(), "p.yaml", &positions(&pair));
        let r = run(&["validate", &p]);
        assert_eq!(r.code, 2, "{pair:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("would write to the same files") && r.stderr.contains("rename one"),
            "{pair:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("p.yaml:"), "located: {}", r.stderr);
    }
    // A name that reads as another plus a FOV number.
    let p = write(
        dir.path(),
        "p.yaml",
        &positions(&["well", "well_0"]).replace("positions:", "fov: {grid: 2x1}\npositions:"),
    );
    let r = run(&["validate", &p]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("FOV number 0"), "{}", r.stderr);
}

#[test]
fn a_name_starting_with_a_dot_makes_no_hidden_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = acquire_positions(dir.path(), &[".hidden", ".."]);
    let images: Vec<String> = walk(&rd)
        .iter()
        .filter(|p| p.display().to_string().contains(".tif"))
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(images.len(), 2, "{images:?}");
    assert!(images.iter().all(|n| !n.starts_with('.')), "{images:?}");
}

/// A run made by an older squidctl that accepted clashing names: verify must say so.
#[test]
fn verify_flags_two_planned_files_sharing_a_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = acquire_positions(dir.path(), &["Zelle ä", "other"]);
    assert_eq!(run(&["verify", &rd.display().to_string()]).code, 0);
    // Rename `other` to `Zelle ö` in the copy, and keep the journal's checksum in step, as an
    // older squidctl would have written it.
    let copy = std::fs::read_to_string(rd.join("protocol.yaml")).expect("copy");
    let changed = copy.replace("other", "Zelle ö");
    assert_ne!(copy, changed);
    std::fs::write(rd.join("protocol.yaml"), &changed).expect("write");
    let journal = std::fs::read_to_string(rd.join("journal.jsonl")).expect("journal");
    let old = format!("\"protocol_crc32\":{}", crc32fast::hash(copy.as_bytes()));
    assert!(journal.contains(&old), "{journal}");
    let new = format!("\"protocol_crc32\":{}", crc32fast::hash(changed.as_bytes()));
    std::fs::write(rd.join("journal.jsonl"), journal.replace(&old, &new)).expect("write");
    let v = run(&["verify", &rd.display().to_string()]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("were both written to this one file"),
        "{}",
        v.stdout
    );
}

fn lock_env(c: &mut std::process::Command, locks: &std::path::Path) {
    c.env("SQUIDCTL_LOCK_DIR", locks);
}

#[test]
fn a_planted_symlink_or_hard_link_at_the_lock_is_never_written_through() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", SMALL);
    let m = microscope(dir.path(), 0.0, &[]);
    let locks = dir.path().join("locks");
    std::fs::create_dir(&locks).expect("dir");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").expect("write");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = dir.path().join("out").display().to_string();
    let acquire = || {
        let mut c = squidctl(&["acquire", &p, "--microscope", &m, "--output", &out]);
        lock_env(&mut c, &locks);
        Run::from(c.output().expect("run"))
    };
    std::os::unix::fs::symlink(&victim, locks.join("squid-sim.lock")).expect("symlink");
    let r = acquire();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    std::fs::remove_file(locks.join("squid-sim.lock")).expect("rm");
    std::fs::hard_link(&victim, locks.join("squid-sim.lock")).expect("link");
    let r = acquire();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("hard link"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
    let mode = std::fs::metadata(&victim)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the victim was chmodded");
    // A lock file of ours keeps its mode: squidctl never chmods it.
    std::fs::remove_file(locks.join("squid-sim.lock")).expect("rm");
    std::fs::write(locks.join("squid-sim.lock"), "").expect("write");
    std::fs::set_permissions(
        locks.join("squid-sim.lock"),
        std::fs::Permissions::from_mode(0o640),
    )
    .expect("chmod");
    assert_eq!(acquire().code, 0);
    let mode = std::fs::metadata(locks.join("squid-sim.lock"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    // A lock directory anyone may write to is refused, sticky or not: any local user could
    // plant the lock file there and hold it, so that every run exits 6.
    for mode in [0o777, 0o1777] {
        std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let r = acquire();
        assert_eq!(r.code, 1, "{mode:o}: {}", r.stderr);
        assert!(r.stderr.contains("writable by everyone"), "{}", r.stderr);
        assert!(r.stderr.contains("chmod o-w"), "{}", r.stderr);
    }
    // A new lock directory is its owner's and group's only.
    let fresh = dir.path().join("fresh-locks");
    let mut c = squidctl(&["acquire", &p, "--microscope", &m, "--output", &out]);
    lock_env(&mut c, &fresh);
    assert_eq!(Run::from(c.output().expect("run")).code, 0);
    let mode = std::fs::metadata(&fresh)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o2770);
}

#[test]
fn a_lock_file_deleted_mid_run_is_made_again_and_keeps_a_second_run_out() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", SMALL);
    let m = microscope(dir.path(), 1.0, &[]);
    let locks = dir.path().join("locks");
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let mut first = squidctl(&["acquire", &p, "--microscope", &m, "--output", &out_s]);
    lock_env(&mut first, &locks);
    let mut first = first
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_frames(&out, 1);
    std::fs::remove_file(locks.join("squid-sim.lock")).expect("a tmp cleaner deletes the lock");
    // The run checks its lock four times a second, and makes it again.
    let t = Instant::now();
    while !locks.join("squid-sim.lock").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the lock was never made again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut second = squidctl(&["acquire", &p, "--microscope", &m, "--output", &out_s]);
    lock_env(&mut second, &locks);
    let second = Run::from(second.output().expect("run"));
    let _ = first.kill();
    let first = Run::from(first.wait_with_output().expect("wait"));
    assert_eq!(
        second.code, 6,
        "second: {}\nfirst: {}",
        second.stderr, first.stderr
    );
    assert!(
        first.stderr.contains("was deleted while this run held it"),
        "{}",
        first.stderr
    );
}

/// `acquire` of `protocol` in the background, once its run has `frames` frames.
fn running(
    dir: &std::path::Path,
    protocol: &str,
    time_scale: f64,
    frames: usize,
) -> (std::process::Child, std::path::PathBuf) {
    let p = write(dir, "p.yaml", protocol);
    let m = microscope(dir, time_scale, &[]);
    let out = dir.join("out");
    let args = [
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
    ];
    let child = start_run(&args, &out);
    (child, wait_for_frames(&out, frames))
}

/// A run SIGKILLed after `after_frames` frames; its run directory.
fn killed_run(
    dir: &std::path::Path,
    protocol: &str,
    time_scale: f64,
    after_frames: usize,
) -> std::path::PathBuf {
    let (mut child, rd) = running(dir, protocol, time_scale, after_frames);
    let _ = child.kill();
    let _ = child.wait();
    rd
}

fn csv_rows(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn coordinates_survive_sigkill_and_resume_leaves_each_row_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = killed_run(dir.path(), RUN, 0.5, 8);
    let coords = kinds(&journal(&rd), "coord").len();
    let rows = csv_rows(&rd.join("coordinates.csv"));
    assert!(rows[0].starts_with("t,region,fov"), "{rows:?}");
    // Every journaled row is on disk (one more may be in flight between the two writes).
    assert!(
        rows.len() > coords.saturating_sub(1) && coords >= 1,
        "{} rows, {coords} journaled",
        rows.len()
    );
    let rds = rd.display().to_string();
    let r = run(&["resume", &rds]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // One well, 2×2 FOVs, 3 z levels, 2 channels: 24 frames, each once, under one header.
    let rows = csv_rows(&rd.join("coordinates.csv"));
    assert_eq!(rows.len(), 25, "{rows:#?}");
    let unique: std::collections::HashSet<&String> = rows.iter().collect();
    assert_eq!(unique.len(), 25, "{rows:#?}");
    // Each place once: a frame acquired again replaces the earlier session's row.
    let places: std::collections::HashSet<String> = rows
        .iter()
        .skip(1)
        .map(|r| {
            let c: Vec<&str> = r.split(',').collect();
            format!("{},{},{},{},{}", c[0], c[1], c[2], c[3], c[8])
        })
        .collect();
    assert_eq!(places.len(), 24, "{rows:#?}");
    assert_eq!(csv_rows(&rd.join("0/coordinates.csv")).len(), 25);
    assert_eq!(run(&["verify", &rds]).code, 0);
    // A row lost from the file is noticed, and resume puts it back.
    let text = std::fs::read_to_string(rd.join("coordinates.csv")).expect("csv");
    let cut: Vec<&str> = text.lines().take(12).collect();
    std::fs::write(rd.join("coordinates.csv"), cut.join("\n") + "\n").expect("write");
    let v = run(&["verify", &rds]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(
        v.stdout
            .contains("coordinates.csv: does not match the journal")
            && v.stdout.contains("row 12 is missing"),
        "{}",
        v.stdout
    );
    assert_eq!(run(&["resume", &rds]).code, 0);
    assert_eq!(run(&["verify", &rds]).code, 0);
    // One cell changed: verify names its row, its column and both values.
    let text = std::fs::read_to_string(rd.join("0/coordinates.csv")).expect("csv");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    let was = cells[3].clone();
    cells[3] = "99.5".into();
    lines[3] = cells.join(",");
    std::fs::write(rd.join("0/coordinates.csv"), lines.join("\n") + "\n").expect("write");
    let v = run(&["verify", &rds]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(
        v.stdout.contains(&format!(
            "row 3, column `x (mm)`: the file has `99.5`, the journal `{was}`"
        )),
        "{}",
        v.stdout
    );
}

/// The README's OME-Zarr screen, complete and untouched, verifies: every number written to
/// coordinates.csv reads back from the journal as the same text (a camera time of
/// 15.6944445 once came back 15.694444 and failed it).
#[test]
fn the_readmes_screen_verifies_untouched() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let r = run(&[
        "acquire",
        "protocols/screen_ome_zarr.yaml",
        "--set",
        "plate.wells=B2:B3",
        "--output",
        &out.display().to_string(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = run(&["verify", &run_dir(&out).display().to_string()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

#[test]
fn resume_deletes_nothing_outside_the_run_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = killed_run(dir.path(), RUN, 0.5, 4);
    let victim = dir.path().join("victim.ome.tiff");
    std::fs::write(&victim, "not a tiff").expect("write");
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "keep").expect("write");
    let mut j = std::fs::OpenOptions::new()
        .append(true)
        .open(rd.join("journal.jsonl"))
        .expect("journal");
    use std::io::Write;
    for path in [
        "../../victim.ome.tiff".to_string(),
        outside.display().to_string(),
    ] {
        let rec = serde_json::json!({"kind": "file", "path": path, "t": 0, "region": 0, "fov": 0,
            "channel": 0, "z": null, "planes": 3, "expected": 3, "bytes": 10,
            "plane_crc32": [1, 2, 3], "plane_zc": [[0, 0], [1, 0], [2, 0]]});
        writeln!(j, "{rec}").expect("append");
    }
    drop(j);
    // A symlink to the outside with a `.partial` file behind it is not followed either.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("dir");
    std::fs::write(elsewhere.join("x.partial"), "keep").expect("write");
    std::os::unix::fs::symlink(&elsewhere, rd.join("link")).expect("symlink");
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(victim.exists() && outside.exists() && elsewhere.join("x.partial").exists());
    assert!(
        r.stderr.contains("ignoring a journal record"),
        "{}",
        r.stderr
    );
    // Nor are they counted: saved is what the plan's files hold, not 2 more records' worth.
    let rds = rd.display().to_string();
    let rec = run_json(&rd);
    let planned = rec["counts"]["planned"].as_u64().expect("planned");
    assert_eq!(rec["counts"]["saved"].as_u64(), Some(planned), "{rec}");
    let rep = run(&["report", &rds, "--json"]);
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    let saved = rep.json()["saved"].clone();
    assert_eq!(saved.as_u64(), Some(planned), "{}", rep.stdout);
}

#[test]
fn liveness_is_the_journal_lock_not_a_pid() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = killed_run(dir.path(), RUN, 0.5, 4);
    // After a reboot the recorded pid may belong to a live, unrelated process.
    let mut rec = run_json(&rd);
    rec["pid"] = std::process::id().into();
    rec["state"] = "running".into();
    std::fs::write(rd.join("run.json"), rec.to_string()).expect("write");
    let rep = run(&["report", &rd.display().to_string()]);
    assert!(
        rep.stdout.contains("no squidctl process holds the run"),
        "{}",
        rep.stdout
    );
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn an_empty_run_json_is_rebuilt_from_the_journal() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = killed_run(dir.path(), RUN, 0.5, 4);
    std::fs::write(rd.join("run.json"), "").expect("truncate");
    let rds = rd.display().to_string();
    let rep = run(&["report", &rds]);
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    let v = run(&["verify", &rds]);
    assert_eq!(
        v.code, 1,
        "incomplete, not refused: {}{}",
        v.stdout, v.stderr
    );
    let r = run(&["resume", &rds]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&["verify", &rds]).code, 0);
}

/// Without run.json the gap is measured from the journal's last record, not from 1970.
#[test]
fn a_resume_without_run_json_measures_the_gap_from_the_journal() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = killed_run(
        dir.path(),
        &format!("{RUN}time: {{every: 2s, count: 3}}\n"),
        0.05,
        4,
    );
    std::fs::remove_file(rd.join("run.json")).expect("rm");
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let resumed = kinds(&journal(&rd), "resume");
    let gap = resumed[0]["gap_s"].as_f64().expect("gap_s");
    assert!((0.0..60.0).contains(&gap), "gap of {gap} s");
}

#[test]
fn endless_or_special_inputs_are_refused_not_read_forever() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = Instant::now();
    let r = run(&["validate", "/dev/zero"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    // A FIFO as positions CSV: nobody writes to it, and squidctl must not wait.
    let fifo = dir.path().join("pos.csv");
    let c = std::ffi::CString::new(fifo.display().to_string()).expect("path");
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let p = write(
        dir.path(),
        "p.yaml",
        "name: x\npositions: pos.csv\nchannels:\n  - {name: BF, exposure: 10ms, intensity: 30%}\n",
    );
    let r = run(&["validate", &p]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    // Endless standard input stops at the limit.
    let r = Run::from(
        squidctl(&["validate", "-"])
            .stdin(std::fs::File::open("/dev/zero").expect("zero"))
            .output()
            .expect("run"),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("larger than"), "{}", r.stderr);
    // A big regular file too.
    let big = dir.path().join("big.yaml");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(100 << 20).expect("sparse file");
    let r = run(&["validate", &big.display().to_string()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("larger than"), "{}", r.stderr);
    assert!(t.elapsed() < Duration::from_secs(60));
}

/// SIGSTOP (Ctrl-Z, a debugger, a paused VM) for longer than any step's deadline, three
/// times, then SIGCONT: the run finishes; stopped time is not a device hang.
#[test]
fn a_stopped_process_is_not_a_hung_device() {
    let dir = tempfile::tempdir().expect("tmp");
    let protocol = RUN
        .replace("exposure: 20ms", "exposure: 300ms")
        .replace("exposure: 10ms", "exposure: 300ms");
    let (child, _rd) = running(dir.path(), &protocol, 1.0, 1);
    for _ in 0..3 {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGSTOP) };
        std::thread::sleep(Duration::from_millis(2500));
        // SAFETY: as above.
        unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
        std::thread::sleep(Duration::from_millis(400));
    }
    let r = Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("did not run for"), "{}", r.stderr);
}

mod properties {
    use squidctl::diagnostic::SourceFile;
    use squidctl::hardware::faults::SplitMix;
    use squidctl::microscope::{BUILTIN_YAML, MicroscopeConfig};
    use squidctl::plan::Plan;
    use squidctl::protocol::LoadedProtocol;

    /// A value anywhere from 1e-40 to 1e40, of either sign, or a special one.
    fn wild(rng: &mut SplitMix) -> String {
        match rng.next_u64() % 10 {
            0 => "0".into(),
            1 => "-1".into(),
            2 => "1e308".into(),
            _ => {
                let exp = (rng.next_u64() % 81) as i32 - 40;
                let mant = 1.0 + (rng.next_u64() % 900) as f64 / 100.0;
                format!("{mant}e{exp}")
            }
        }
    }

    fn protocol(extra: &str) -> Result<LoadedProtocol, squidctl::diagnostic::Diagnostics> {
        let text = format!(
            "name: p\nplate: {{format: 96, wells: A1}}\nchannels:\n  - {{name: BF, exposure: 10ms, intensity: 30%}}\n{extra}"
        );
        LoadedProtocol::from_source(SourceFile::new("p.yaml", text), std::env::temp_dir(), &[])
    }

    /// Contrast autofocus with random ranges and steps: refused, or at most MAX_AF_PLANES.
    #[test]
    fn random_autofocus_steps_never_make_an_unbounded_scan() {
        let m = MicroscopeConfig::builtin().expect("builtin");
        let mut rng = SplitMix(7);
        for _ in 0..2000 {
            let (r, s) = (wild(&mut rng), wild(&mut rng));
            let units = ["nm", "um", "mm"];
            let ru = units[(rng.next_u64() % 3) as usize];
            let su = units[(rng.next_u64() % 3) as usize];
            let extra = format!("autofocus: {{method: contrast, range: {r}{ru}, step: {s}{su}}}\n");
            let Ok(lp) = protocol(&extra) else { continue };
            if let Ok(plan) = Plan::build(&lp, &m) {
                let n = squidctl::microscope::timing::contrast_af_planes(
                    plan.autofocus.range_um,
                    plan.autofocus.step_um,
                );
                assert!(
                    n <= squidctl::microscope::timing::MAX_AF_PLANES,
                    "{extra}: {n} planes"
                );
                let est = plan.estimate(&m.timing(), Default::default());
                assert!(est.duration_s.is_finite(), "{extra}");
            }
        }
    }

    /// Random physical values in the microscope description: refused, or within range, and
    /// then planning and estimating never panic.
    #[test]
    fn random_microscope_values_are_refused_or_sane() {
        let mut rng = SplitMix(11);
        let keys = [
            ("speed: ", "mm/s"),
            ("acceleration: ", "mm/s2"),
            ("readout: ", "s"),
            ("magnification: ", ""),
            ("width: ", ""),
            ("height: ", ""),
            ("pixel_size: ", "um"),
            ("settle: ", "ms"),
        ];
        for _ in 0..600 {
            let (key, unit) = keys[(rng.next_u64() % keys.len() as u64) as usize];
            let v = wild(&mut rng);
            let v = if unit.is_empty() && key != "magnification: " {
                format!("{}", (rng.next_u64() % 5_000_000_000))
            } else {
                format!("{v}{unit}")
            };
            let mut text = String::new();
            let mut done = false;
            for line in BUILTIN_YAML.lines() {
                if !done && line.trim_start().starts_with(key) {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    text.push_str(&format!("{indent}{key}{v}\n"));
                    done = true;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
            let r = std::panic::catch_unwind(|| {
                let Ok(m) =
                    squidctl::hardware::from_source(SourceFile::new("m.yaml", text.clone()))
                else {
                    return;
                };
                let c = &m.desc.camera;
                assert!(c.width <= 20000 && c.height <= 20000, "{key}{v}");
                assert!(m.desc.stage.xy.speed.0 >= 0.01, "{key}{v}");
                if let Ok(lp) = protocol("")
                    && let Ok(plan) = Plan::build(&lp, &m)
                {
                    let _ = plan.estimate(&m.timing(), Default::default());
                }
            });
            assert!(r.is_ok(), "panicked with {key}{v}");
        }
    }

    /// `--set` paths of random depth and shape: refused with a message or applied, never a
    /// panic or a stack overflow, and never deeper than a file may be.
    #[test]
    fn random_set_paths_are_bounded() {
        let mut rng = SplitMix(5);
        for _ in 0..300 {
            let depth = 1 + (rng.next_u64() % 200) as usize;
            let parts: Vec<String> = (0..depth)
                .map(|i| match rng.next_u64() % 6 {
                    0 => String::new(),
                    1 => format!("k{i}[0]"),
                    _ => format!("k{i}"),
                })
                .collect();
            let set = format!(
                "metadata.{}={}",
                parts.join("."),
                ["1", "[1, [2]]", "{a: {b: 1}}", "{x}"][(rng.next_u64() % 4) as usize]
            );
            let text = "name: p\nplate: {format: 96, wells: A1}\nchannels:\n  - {name: BF, exposure: 10ms, intensity: 30%}\n";
            let r = std::panic::catch_unwind(|| {
                LoadedProtocol::from_source(
                    SourceFile::new("p.yaml", text.to_string()),
                    std::env::temp_dir(),
                    std::slice::from_ref(&set),
                )
                .map(|lp| lp.root.depth())
            });
            match r {
                Err(_) => panic!("panicked on --set {set}"),
                Ok(Ok(d)) => assert!(
                    d <= squidctl::protocol::MAX_DEPTH + 1,
                    "accepted depth {d}: {set}"
                ),
                Ok(Err(e)) => assert!(!e.0.is_empty()),
            }
        }
    }
}

/// Saving fails while stacks are half written (their folder became read-only): "saved" is
/// what the journal proves saved, not planes that sat in temporary files.
#[test]
fn saved_counts_only_what_the_journal_proves() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let protocol = RUN.replace("count: 3", "count: 12").replace("B2", "B2:B3");
    let p = write(dir.path(), "p.yaml", &protocol);
    let m = microscope(dir.path(), 0.5, &[]);
    binned(&m, 4);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("out");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    // Root ignores permissions, so the run is made as nobody.
    let child = squidctl_unprivileged()
        .args([
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &out.display().to_string(),
        ])
        .current_dir("/")
        .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
        .env_remove("SQUIDCTL_MICROSCOPE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Once the first files are saved and more are being written, freeze their folder.
    let rd = wait_for_frames(&out, 1);
    let t = Instant::now();
    while kinds(&journal(&rd), "file").len() < 2 {
        assert!(t.elapsed() < Duration::from_secs(30), "no file was saved");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::set_permissions(rd.join("0"), std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let r = Run::from(child.wait_with_output().expect("wait"));
    std::fs::set_permissions(rd.join("0"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(r.code, 5, "{}", r.stderr);
    let journaled: u64 = saved_planes(&rd).values().map(|c| c.len() as u64).sum();
    let counts = &run_json(&rd)["counts"];
    assert_eq!(
        counts["saved"].as_u64(),
        Some(journaled),
        "{counts}\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("{journaled} saved")),
        "{}",
        r.stderr
    );
}

/// The run directory deleted mid-run: saving stops and says so; nothing re-creates it.
#[test]
fn a_run_directory_that_vanishes_is_named_and_not_recreated() {
    let dir = tempfile::tempdir().expect("tmp");
    let protocol = format!("{RUN}time: {{every: 1s, count: 4}}\n");
    let (child, rd) = running(dir.path(), &protocol, 0.5, 2);
    // Gone at once, as `mv` or a cleanup script would take it: a `rm -rf` racing the run's
    // writers can fail with "Directory not empty" on a busy machine.
    let gone = dir.path().join("gone");
    std::fs::rename(&rd, &gone).expect("the run taken away");
    let _ = std::fs::remove_dir_all(&gone);
    let r = Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("vanished during the run"), "{}", r.stderr);
    assert!(!rd.exists(), "the run directory was re-created");
}

/// `validate` of the quick start with `--set` overrides.
fn quickstart_with(sets: &[&str]) -> Run {
    let mut args = vec!["validate", "protocols/quickstart.yaml"];
    for s in sets {
        args.extend(["--set", s]);
    }
    run(&args)
}

/// Messages that were cut, in Rust debug form, 300 digits long or wrong.
#[test]
fn messages_say_what_is_wrong_in_words() {
    let dir = tempfile::tempdir().expect("tmp");
    let list: String = std::iter::repeat_n("1", 260_000)
        .collect::<Vec<_>>()
        .join(",");
    let big = write(
        dir.path(),
        "big.yaml",
        &format!("name: x\nmetadata:\n  l: [{list}]\n"),
    );
    let r = run(&["validate", &big]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("more than 250,000 values") && !r.stderr.contains("Nodes {"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.len() < 2000,
        "a 500,000-column line is shown around the error: {}",
        r.stderr.len()
    );
    let huge = format!("1{}%", "0".repeat(300));
    let r = quickstart_with(&[&format!("fov.overlap={huge}")]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("overlap 1e300% is out of range") && r.stderr.len() < 600,
        "{}",
        r.stderr
    );
    // Numbers a message repeats are short, whichever key they came from.
    for set in [
        "channels[0].gain=1e300",
        "channels[0].gain=-1e300",
        "plate.format=1e300",
    ] {
        let r = quickstart_with(&[set]);
        assert_eq!(r.code, 2);
        let numbers = r
            .stderr
            .lines()
            .filter(|l| !l.contains(" | "))
            .any(|l| l.contains("0000000000"));
        assert!(!numbers && r.stderr.contains("e300"), "{set}: {}", r.stderr);
    }
    let r = quickstart_with(&["plate..format=96"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("empty part"), "{}", r.stderr);
    let r = quickstart_with(&["output.run_name={name}"]);
    assert_eq!(r.code, 0, "a template is text: {}", r.stderr);
    let r = quickstart_with(&["metadata.tags=[a, b]", "output.run_name={tags}"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("metadata `tags` is a list"),
        "{}",
        r.stderr
    );
    for name in ["", ".", "..", "a\nb"] {
        let r = quickstart_with(&[&format!(
            "output.run_name=\"{}\"",
            name.replace('\n', "\\n")
        )]);
        assert_eq!(r.code, 2, "run name {name:?}: {}", r.stderr);
    }
    let long = "x".repeat(300);
    let r = quickstart_with(&[&format!("output.run_name={long}")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("300 bytes long"), "{}", r.stderr);
    let csv = write(
        dir.path(),
        "pos.csv",
        "region,x (mm),y (mm),x (mm)\nA,20,20,21\n",
    );
    let p = write(
        dir.path(),
        "p.yaml",
        &format!(
            "name: x\npositions: {csv}\nchannels:\n  - {{name: BF, exposure: 10ms, intensity: 30%}}\n"
        ),
    );
    let r = run(&["validate", &p]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("appears twice"), "{}", r.stderr);
}
