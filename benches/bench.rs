//! `cargo bench`: squidctl's speed and memory figures, measured side by side in one run and
//! printed as one table. Results are also written as JSON (default
//! `target/squidctl-bench.json`, or `$SQUIDCTL_BENCH_OUT`) so two versions can be compared.
//!
//! Timing goals live here, never in tests: a busy CI machine must not fail the build.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Row {
    name: String,
    value: f64,
    unit: &'static str,
    goal: String,
    ok: Option<bool>,
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_squidctl"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run to completion; (wall seconds, peak RSS in MB) from the kernel's accounting.
fn run_measured(args: &[&str]) -> (f64, f64) {
    let start = Instant::now();
    let child = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        return (f64::NAN, f64::NAN);
    };
    let mut status = 0;
    // SAFETY: wait4 fills the zeroed rusage we own for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    (start.elapsed().as_secs_f64(), ru.ru_maxrss as f64 / 1024.0)
}

/// Seconds until the first line of stdout arrives; the child is then dropped.
fn first_line(args: &[&str]) -> f64 {
    let start = Instant::now();
    let Ok(mut child) = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return f64::NAN;
    };
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let t = start.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    t
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn planning(rows: &mut Vec<Row>) {
    let huge = "bench/protocols/huge_1536.yaml";
    let runs: Vec<(f64, f64)> = (0..5)
        .map(|_| run_measured(&["simulate", "--estimate", huge]))
        .collect();
    let t = median(runs.iter().map(|r| r.0).collect());
    let rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    rows.push(Row {
        name: "simulate --estimate, 960M events: time".into(),
        value: t * 1000.0,
        unit: "ms",
        goal: "< 1000 ms".into(),
        ok: Some(t < 1.0),
    });
    rows.push(Row {
        name: "simulate --estimate, 960M events: peak RSS".into(),
        value: rss,
        unit: "MB",
        goal: "< 30 MB".into(),
        ok: Some(rss < 30.0),
    });
    let first = median(
        (0..9)
            .map(|_| first_line(&["plan", "--format", "csv", huge]))
            .collect(),
    );
    rows.push(Row {
        name: "plan --format csv | head -1: first line".into(),
        value: first * 1000.0,
        unit: "ms",
        goal: "< 100 ms".into(),
        ok: Some(first < 0.1),
    });
}

/// Frames per second the simulated camera produces at `time_scale: 0`, on this thread.
fn simulator(rows: &mut Vec<Row>, disk_mb_s: f64) {
    use squidctl::hardware::autofocus::{AfMethod, AfRequest};
    use squidctl::hardware::{BuildOptions, build};
    use squidctl::microscope::MicroscopeConfig;
    let Ok(cfg) = MicroscopeConfig::builtin() else {
        return;
    };
    let Ok(mut m) = build(
        &cfg,
        &BuildOptions {
            time_scale: Some(0.0),
        },
    ) else {
        return;
    };
    let frame_mb = 2048.0 * 2048.0 * 2.0 / 1e6;
    let _ = m.illumination.set("laser-488", 50.0);
    let _ = m.illumination.on();
    let _ = m.camera.set_exposure(0.02);
    let _ = m.camera.snap();
    for (label, dz_um) in [("in focus", 0.0), ("z-stack, ±10 um", 10.0)] {
        let fps = median(
            (0..3)
                .map(|trial| {
                    let n = 40;
                    let t = Instant::now();
                    let mut rendering = 0.0;
                    for i in 0..n {
                        let k = (i % 21) as f64 - 10.0;
                        let _ = m.xy.move_to(20.0 + trial as f64 + i as f64 * 0.7, 30.0);
                        // Find the focal surface (cheap laser autofocus), then image around it.
                        let focus = m.run_autofocus(&AfRequest {
                            method: AfMethod::Laser { range_um: 200.0 },
                            reference_z_mm: 4.0,
                            exposure_s: 0.02,
                            gain: None,
                            source: "laser-488".into(),
                            intensity_pct: 50.0,
                        });
                        let z = focus.map_or(4.0, |r| r.z_mm);
                        let _ = m.z.move_to(z + k * dz_um / 10_000.0);
                        let t = Instant::now();
                        let _ = m.camera.snap();
                        rendering += t.elapsed().as_secs_f64();
                    }
                    let _ = t;
                    n as f64 / rendering
                })
                .collect(),
        );
        rows.push(Row {
            name: format!("simulator 2048² u16 frames, 1 core, {label}"),
            value: fps,
            unit: "fps",
            goal: format!("> disk ({:.0} fps)", disk_mb_s / frame_mb),
            ok: Some(fps * frame_mb > disk_mb_s),
        });
    }
}

/// Sequential write rate of `dd` with fsync into `dir`, MB/s.
fn dd_rate(dir: &Path, mb: usize) -> f64 {
    let file = dir.join("squidctl-bench-dd.tmp");
    let t = Instant::now();
    let ok = Command::new("dd")
        .args([
            "if=/dev/zero",
            &format!("of={}", file.display()),
            "bs=8M",
            &format!("count={}", mb / 8),
            "conv=fsync",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let secs = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    if ok {
        (mb / 8 * 8) as f64 * 1.048576 / secs
    } else {
        f64::NAN
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

fn main() {
    // `cargo bench` passes `--bench`; ignore harness flags.
    let mut rows = Vec::new();
    let target = repo().join("target");
    let disk = dd_rate(&target, 1024);
    rows.push(Row {
        name: "dd with fsync into target/ (reference)".into(),
        value: disk,
        unit: "MB/s",
        goal: String::new(),
        ok: None,
    });
    planning(&mut rows);
    simulator(&mut rows, disk);
    let m = machine();
    println!("\nsquidctl benchmarks — {m}\n");
    println!("{:<48} {:>12}  {:<10}", "measure", "value", "goal");
    for r in &rows {
        let verdict = match r.ok {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        println!(
            "{:<48} {:>9.1} {:<3} {:<10} {verdict}",
            r.name, r.value, r.unit, r.goal
        );
    }
    let out = std::env::var_os("SQUIDCTL_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/squidctl-bench.json"));
    let json = serde_json::json!({
        "machine": m,
        "version": env!("CARGO_PKG_VERSION"),
        "rows": rows.iter().map(|r| serde_json::json!({
            "name": r.name, "value": r.value, "unit": r.unit, "goal": r.goal, "ok": r.ok,
        })).collect::<Vec<_>>(),
    });
    if let Some(dir) = Path::new(&out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&out, format!("{json:#}\n")) {
        Ok(()) => println!("\nresults written to {}", out.display()),
        Err(e) => eprintln!("cannot write {}: {e}", out.display()),
    }
}
