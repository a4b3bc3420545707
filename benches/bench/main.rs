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
    let p = repo().join("target").join(format!("bench-{name}.yaml"));
    let _ = std::fs::write(&p, text);
    p
}

fn bench_out() -> PathBuf {
    let p = repo().join("target/bench-runs");
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
    let target = repo().join("target");
    if want("planning") {
        planning(&mut rows);
    }
    if want("simulator") {
        let disk = dd_rate(&target, 1024);
        rows.push(Row {
            name: "dd with fsync into target/ (reference)".into(),
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
