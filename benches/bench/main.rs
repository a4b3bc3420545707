//! `cargo bench`: squidctl's speed and memory figures, measured side by side in one run and
//! printed as one table. Results are also written as JSON (default
//! `target/squidctl-bench.json`, or `$SQUIDCTL_BENCH_OUT`) so two versions can be compared.
//!
//! Timing goals live here, never in tests: a busy CI machine must not fail the build.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod api;
mod contract;
mod focus;
#[cfg(feature = "genicam")]
mod genicam;
mod instrument;
mod planning;
mod queue;
mod runner;
mod saving;
mod simulator;
mod squid;

use api::*;
use contract::*;
use focus::*;
#[cfg(feature = "genicam")]
use genicam::*;
use instrument::*;
use planning::*;
use queue::*;
use runner::*;
use saving::*;
use simulator::*;
use squid::*;

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

/// Where the benches write (cargo's scratch directory for benches, wherever the target
/// directory is), made if missing: a bench that cannot write must not print NaN silently.
fn scratch() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if let Err(e) = std::fs::create_dir_all(&p) {
        eprintln!("cannot make {}: {e}", p.display());
    }
    p
}

/// Run to completion; (wall seconds, peak RSS in MB) from the kernel's accounting.
fn run_measured(args: &[&str]) -> (f64, f64) {
    let (wall, rss, _) = run_cpu(args);
    (wall, rss)
}

/// Run to completion; (wall seconds, peak RSS in MB, CPU seconds: user + system).
fn run_cpu(args: &[&str]) -> (f64, f64, f64) {
    let start = Instant::now();
    let child = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        return (f64::NAN, f64::NAN, f64::NAN);
    };
    let mut status = 0;
    // SAFETY: wait4 fills the zeroed rusage we own for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        start.elapsed().as_secs_f64(),
        ru.ru_maxrss as f64 / 1024.0,
        secs(ru.ru_utime) + secs(ru.ru_stime),
    )
}

/// Busy loops on all cores but one until dropped: the CPU hog of a microscope PC that is
/// also running a viewer, an analysis or a virus scan.
struct Hog {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Hog {
    fn start() -> Hog {
        let n =
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 1u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = std::hint::black_box(
                                x.wrapping_mul(6364136223846793005).wrapping_add(1),
                            );
                        }
                    }
                })
            })
            .collect();
        Hog { stop, threads }
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
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

/// The built-in microscope at `time_scale`, optionally binned, with faults, as a file.
fn microscope_file(name: &str, time_scale: f64, binning: u32, faults: &str) -> PathBuf {
    let text = squidctl::microscope::BUILTIN_YAML
        .replace("time_scale: 0.1", &format!("time_scale: {time_scale}"))
        .replace("binning: 1", &format!("binning: {binning}"))
        .replace("\nfaults: []", &format!("\nfaults: [{faults}]"));
    let p = scratch().join(format!("bench-{name}.yaml"));
    let _ = std::fs::write(&p, text);
    p
}

fn bench_out() -> PathBuf {
    let p = scratch().join("bench-runs");
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::create_dir_all(&p);
    p
}

fn newest_run(out: &Path) -> Option<PathBuf> {
    std::fs::read_dir(out)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .max()
}

fn journal(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
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
    // `cargo bench -- saving memory` runs just those groups.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |g: &str| only.is_empty() || only.iter().any(|o| o == g);
    let mut rows = Vec::new();
    let target = scratch();
    if want("planning") {
        planning(&mut rows);
    }
    if want("simulator") {
        let disk = dd_rate(&target, 1024);
        rows.push(Row {
            name: "dd with fsync into the scratch directory (reference)".into(),
            value: disk,
            unit: "MB/s",
            goal: String::new(),
            ok: None,
        });
        simulator(&mut rows, disk);
    }
    if want("saving") {
        saving(&mut rows);
    }
    if want("busy") {
        saving_busy(&mut rows);
    }
    if want("overhead") {
        overhead(&mut rows);
    }
    if want("hang") {
        hang(&mut rows);
    }
    if want("sigint") {
        sigint(&mut rows);
    }
    if want("memory") {
        memory(&mut rows);
    }
    // Twenty runs at the shipped speeds, about five minutes: only when asked for by name.
    if only.iter().any(|o| o == "watchdog") {
        watchdog_kills(&mut rows);
    }
    if want("squid") {
        squid(&mut rows);
    }
    if want("queue") {
        queue(&mut rows);
    }
    if want("api") {
        api(&mut rows);
    }
    if want("instrument") {
        instrument(&mut rows);
    }
    if want("contract") {
        contract(&mut rows);
    }
    if want("focus") {
        focus(&mut rows);
    }
    #[cfg(feature = "genicam")]
    if want("genicam") {
        genicam(&mut rows);
    }
    let m = machine();
    println!("\nsquidctl benchmarks — {m}\n");
    let w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(48);
    println!("{:<w$} {:>12}  {:<10}", "measure", "value", "goal");
    for r in &rows {
        let verdict = match r.ok {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        println!(
            "{:<w$} {:>9.1} {:<3} {:<10} {verdict}",
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
