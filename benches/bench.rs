//! `cargo bench`: squidctl's speed and memory figures, measured side by side in one run and
//! printed as one table. Results are also written as JSON (default
//! `target/squidctl-bench.json`, or `$SQUIDCTL_BENCH_OUT`) so two versions can be compared.
//!
//! Timing goals live here, never in tests: a busy CI machine must not fail the build.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
            ..Default::default()
        },
    ) else {
        return;
    };
    let frame_mb = 2048.0 * 2048.0 * 2.0 / 1e6;
    let _ = m.illumination.set("laser-488", 50.0);
    let _ = m.illumination.on();
    let _ = m.camera.set_exposure(0.02);
    let _ = m.camera.snap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok();
    let all = rayon::ThreadPoolBuilder::new().build().ok();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (label, dz_um, pool) in [
        ("1 core, in focus".to_string(), 0.0, &one),
        ("1 core, z-stack ±10 um".to_string(), 10.0, &one),
        (format!("{cores} cores, z-stack ±10 um"), 10.0, &all),
    ] {
        let Some(pool) = pool else { continue };
        let fps = pool.install(|| {
            median(
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
            )
        });
        rows.push(Row {
            name: format!("simulator 2048² u16 frames, {label}"),
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

/// Frames and bytes of `bench/protocols/throughput.yaml`.
const THROUGHPUT_FRAMES: usize = 240;
const THROUGHPUT_MB: usize = THROUGHPUT_FRAMES * 8;

/// Rounds per format: this kind of shared disk swings several-fold from one minute to the
/// next, so runs alternate with `dd` writing the same amount and the median ratio counts.
const SAVING_ROUNDS: usize = 3;

/// FOVs of `bench/protocols/throughput.yaml` (12 wells, 2×5 fields).
const THROUGHPUT_FOVS: usize = 120;

/// One throughput run: image MB/s from the first frame to the end of the run (all synced),
/// and how many files the images took (TIFFs, or everything in an OME-Zarr store).
fn saving_run(microscope: &str, format: &str, compression: &str) -> (f64, usize) {
    let out = bench_out();
    let fmt = format!("output.format={format}");
    let comp = format!("output.compression={compression}");
    let mut args = vec![
        "acquire",
        "bench/protocols/throughput.yaml",
        "--microscope",
        microscope,
        "--output",
    ];
    let out_s = out.display().to_string();
    args.extend([out_s.as_str(), "--set", &fmt, "--set", &comp, "--force"]);
    // Dark frames compress far better than cells would: compressed runs image lit cells.
    if compression != "none" {
        args.extend([
            "--set",
            "channels[0].intensity=60%",
            "--set",
            "channels[0].exposure=20ms",
        ]);
    }
    let _ = run_measured(&args);
    let rd = newest_run(&out);
    let j = rd.as_deref().map(journal).unwrap_or_default();
    let files = rd.map_or(0, |rd| {
        squidctl::saver::layout::walk(&rd)
            .iter()
            .filter(|p| {
                let s = p.display().to_string();
                s.contains(".ome.zarr/") || s.ends_with(".tiff")
            })
            .count()
    });
    let _ = std::fs::remove_dir_all(&out);
    let at = |kind: &str| {
        j.iter()
            .find(|e| e["kind"] == kind)
            .and_then(|e| e["run_s"].as_f64())
    };
    let bytes = THROUGHPUT_FRAMES as f64 * 2048.0 * 2048.0 * 2.0;
    let rate = match (at("frame"), at("end")) {
        (Some(a), Some(b)) if b > a => bytes / 1e6 / (b - a),
        _ => f64::NAN,
    };
    (rate, files)
}

/// Saving throughput against `dd` into the same directory, side by side: each run sits
/// between two `dd` runs of the same size, and the table shows the medians of the rounds.
fn saving(rows: &mut Vec<Row>) {
    let m = microscope_file("zero", 0.0, 1, "");
    let m = m.display().to_string();
    let target = repo().join("target");
    for (format, compression) in [
        ("ome-tiff", "none"),
        ("tiff", "none"),
        ("ome-zarr", "none"),
        ("ome-tiff", "deflate"),
        ("tiff", "deflate"),
        ("ome-zarr", "deflate"),
        ("ome-zarr", "zstd"),
    ] {
        let rounds = if compression == "none" {
            SAVING_ROUNDS
        } else {
            1
        };
        let mut dd_prev = dd_rate(&target, THROUGHPUT_MB);
        let (mut rates, mut dds, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut files = 0;
        for _ in 0..rounds {
            let (rate, n) = saving_run(&m, format, compression);
            files = n;
            let dd_next = dd_rate(&target, THROUGHPUT_MB);
            let dd = (dd_prev + dd_next) / 2.0;
            rates.push(rate);
            dds.push(dd);
            ratios.push(rate / dd);
            dd_prev = dd_next;
        }
        let (rate, dd, ratio) = (median(rates), median(dds), median(ratios));
        rows.push(Row {
            name: format!(
                "saving {format} {compression}{} ({:.0}% of dd at {dd:.0} MB/s, median of {rounds})",
                if compression == "none" { "" } else { ", cells" },
                ratio * 100.0
            ),
            value: rate,
            unit: "MB/s",
            goal: if compression == "none" {
                "≥ 90% of dd".into()
            } else {
                String::new()
            },
            ok: (compression == "none").then_some(ratio >= 0.9),
        });
        if compression == "none" {
            rows.push(Row {
                name: format!("{format}: files per FOV (one channel, 2 planes)"),
                value: files as f64 / THROUGHPUT_FOVS as f64,
                unit: "files",
                goal: String::new(),
                ok: None,
            });
        }
    }
}

/// What the runner costs per event with every delay zero and no images.
fn overhead(rows: &mut Vec<Row>) {
    let m = microscope_file("zero", 0.0, 1, "");
    let t = Instant::now();
    let ok = Command::new(bin())
        .args(["simulate", "bench/protocols/overhead.yaml", "--microscope"])
        .arg(&m)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let secs = t.elapsed().as_secs_f64();
    rows.push(Row {
        name: "runner overhead, no delays, null writer".into(),
        value: if ok { 115_200.0 / secs } else { f64::NAN },
        unit: "ev/s",
        goal: String::new(),
        ok: None,
    });
}

/// `acquire` of the quick start on `microscope` into `out`, quietly.
fn quickstart(microscope: &Path, out: &Path) -> Command {
    let mut c = Command::new(bin());
    c.args(["acquire", "protocols/quickstart.yaml", "--microscope"])
        .arg(microscope)
        .arg("--output")
        .arg(out)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Hang detection beyond the deadline and the thread dump's duration, from the journal.
fn hang(rows: &mut Vec<Row>) {
    let m = microscope_file("hang", 0.0, 4, "{call: capture, at: 5, kind: hang}");
    let mut late = Vec::new();
    let mut dumps = Vec::new();
    let mut threads = 0;
    for _ in 0..5 {
        let out = bench_out();
        let _ = quickstart(&m, &out).status();
        if let Some(rd) = newest_run(&out)
            && let Some(t) = journal(&rd).into_iter().find(|e| e["kind"] == "timeout")
        {
            late.push(
                t["noticed_after_s"].as_f64().unwrap_or(f64::NAN)
                    - t["deadline_s"].as_f64().unwrap_or(f64::NAN),
            );
            dumps.push(t["dump_took_s"].as_f64().unwrap_or(f64::NAN));
            threads = t["dump"]
                .as_str()
                .map_or(0, |d| d.matches("\nthread \"").count());
        }
    }
    if late.is_empty() {
        // A run that never hung (a refused microscope file) is a failed measurement, not none.
        rows.push(Row {
            name: "hang noticed after the deadline: NO RUN HUNG".into(),
            value: f64::NAN,
            unit: "ms",
            goal: "≤ 100 ms".into(),
            ok: Some(false),
        });
        return;
    }
    let worst = late.iter().copied().fold(0.0, f64::max);
    rows.push(Row {
        name: "hang noticed after the deadline (worst of 5)".into(),
        value: worst * 1000.0,
        unit: "ms",
        goal: "≤ 100 ms".into(),
        ok: Some(worst <= 0.1),
    });
    let d = dumps.iter().copied().fold(0.0, f64::max);
    rows.push(Row {
        name: format!("thread dump of {threads} threads (worst of 5)"),
        value: d * 1000.0,
        unit: "ms",
        goal: "< 300 ms, ≥ 8 threads".into(),
        ok: Some(d < 0.3 && threads >= 8),
    });
}

/// From SIGINT to exit, less the time the savers spent writing queued frames.
fn sigint(rows: &mut Vec<Row>) {
    let m = microscope_file("real", 1.0, 1, "");
    let mut beyond = Vec::new();
    for _ in 0..3 {
        let out = bench_out();
        let Ok(mut child) = quickstart(&m, &out).spawn() else {
            return;
        };
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let sent = std::time::SystemTime::now();
        let t = Instant::now();
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let _ = child.wait();
        let total = t.elapsed().as_secs_f64();
        let sent_unix = sent
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let last_write = newest_run(&out)
            .map(|rd| journal(&rd))
            .unwrap_or_default()
            .iter()
            .filter(|e| e["kind"] == "file")
            .filter_map(|e| e["wall"].as_str().and_then(parse_rfc3339))
            .fold(sent_unix, f64::max);
        beyond.push(total - (last_write - sent_unix).max(0.0));
    }
    let worst = beyond.iter().copied().fold(0.0, f64::max);
    rows.push(Row {
        name: "SIGINT to exit beyond draining (worst of 3)".into(),
        value: worst * 1000.0,
        unit: "ms",
        goal: "< 500 ms".into(),
        ok: Some(worst < 0.5),
    });
}

/// Seconds since the epoch from our journal's `2026-11-22T23:59:01.123+01:00`.
fn parse_rfc3339(s: &str) -> Option<f64> {
    let (date, rest) = s.split_once('T')?;
    let mut d = date.split('-').map(|v| v.parse::<i64>().ok());
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let (time, off) = rest.split_at(rest.len().checked_sub(6)?);
    let mut t = time.split(':');
    let (h, mi) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let sec: f64 = t.next()?.parse().ok()?;
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let (oh, om) = (
        off[1..3].parse::<i64>().ok()?,
        off[4..6].parse::<i64>().ok()?,
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86400 + h * 3600 + mi * 60 - sign * (oh * 3600 + om * 60)) as f64 + sec)
}

/// Peak RSS over a 10,000-frame run against the queue's capacity.
fn memory(rows: &mut Vec<Row>) {
    let m = microscope_file("binned", 0.0, 4, "");
    let out = bench_out();
    let queue_mb = 64.0;
    let (_, rss) = run_measured(&[
        "acquire",
        "bench/protocols/memory.yaml",
        "--microscope",
        &m.display().to_string(),
        "--output",
        &out.display().to_string(),
        "--queue-memory",
        "64MB",
        "--force",
    ]);
    let _ = std::fs::remove_dir_all(&out);
    rows.push(Row {
        name: "peak RSS, 10,752 frames (512², queue 64 MB)".into(),
        value: rss,
        unit: "MB",
        goal: format!("< queue + 100 MB ({:.0} MB)", queue_mb + 100.0),
        ok: Some(rss < queue_mb + 100.0),
    });
}

/// The shipped emulated-Squid description on `port`; `fast` speeds the axes up (homing in
/// about a second) for measures that are not about motion.
fn squid_text(port: &Path, fast: bool) -> String {
    let text = std::fs::read_to_string(repo().join("microscopes/squid-emulated.yaml"))
        .unwrap_or_default()
        .replace("port: /tmp/squid-mcu", &format!("port: {}", port.display()));
    if !fast {
        return text;
    }
    text.replace(
        "speed: 30mm/s, acceleration: 500mm/s2",
        "speed: 200mm/s, acceleration: 5000mm/s2",
    )
    .replace(
        "speed: 5mm/s, acceleration: 100mm/s2",
        "speed: 40mm/s, acceleration: 1000mm/s2",
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The Squid board over a pseudo-terminal: one command's round trip (sent, acknowledged by
/// the next status packet), and the quick start's duration against its estimate.
fn squid(rows: &mut Vec<Row>) {
    let Some((emu, _, mut board)) = board_in_process(true, Some(8)) else {
        return;
    };
    let _ = board.set_light("laser-488", 10.0);
    let mut times = Vec::new();
    for i in 0..400 {
        let t = Instant::now();
        let ok = if i % 2 == 0 {
            board.light_on()
        } else {
            board.light_off()
        };
        if ok.is_ok() {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    drop(board);
    drop(emu);
    times.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    rows.push(Row {
        name: "squid command round trip over a pty, p50".into(),
        value: p50,
        unit: "ms",
        goal: "≈ one status period (10 ms)".into(),
        ok: Some(p50 < 15.0),
    });
    rows.push(Row {
        name: "same, p99 (400 commands)".into(),
        value: p99,
        unit: "ms",
        goal: "< 25 ms".into(),
        ok: Some(p99 < 25.0),
    });

    squid_shipped(rows);

    // The quick start at the shipped speeds, wall time with connect and homing, against the
    // estimate (which includes them).
    let dir = repo().join("target/bench-squid");
    let _ = std::fs::create_dir_all(&dir);
    let link = dir.join("ttySquid");
    let Some(mut child) = emulated_board(&link, None) else {
        return;
    };
    let m = dir.join("squid.yaml");
    let _ = std::fs::write(&m, squid_text(&link, false));
    let m = m.display().to_string();
    let out = bench_out();
    let (actual, _) = run_measured(&[
        "acquire",
        "protocols/quickstart.yaml",
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
    ]);
    let _ = child.kill();
    let _ = child.wait();
    let estimate = Command::new(bin())
        .args([
            "simulate",
            "--estimate",
            "--json",
            "protocols/quickstart.yaml",
        ])
        .args(["--microscope", &m])
        .current_dir(repo())
        .stderr(Stdio::null())
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|v| v["estimate"]["duration_s"].as_f64())
        .unwrap_or(f64::NAN);
    let off = (actual / estimate - 1.0) * 100.0;
    rows.push(Row {
        name: format!(
            "quick start on the emulated board, homing included: {actual:.2} s, estimate {estimate:.2} s"
        ),
        value: off,
        unit: "%",
        goal: "within ±20 % (homing depends on where the stage starts)".into(),
        ok: Some(off.abs() <= 20.0),
    });
    let _ = std::fs::remove_dir_all(&out);
}

/// An emulated board on a thread of this process, connected and homed (`fast`: sped-up
/// axes), with its description.
fn board_in_process(
    fast: bool,
    wheel: Option<u32>,
) -> Option<(
    squidctl::emulate::mcu::Running,
    squidctl::microscope::MicroscopeConfig,
    squidctl::hardware::squid::board::Board,
)> {
    use squidctl::emulate::mcu;
    use squidctl::hardware::squid::{board::Board, protocol::Version, settings::SquidSettings};
    let v14 = Version { major: 1, minor: 4 };
    let Ok(emu) = mcu::spawn(None, v14, mcu::Faults::default()) else {
        eprintln!("squid: cannot open a pseudo-terminal");
        return None;
    };
    let text = squid_text(&emu.path, fast);
    let source = squidctl::diagnostic::SourceFile::new("bench-squid.yaml", text);
    let config = squidctl::hardware::from_source(source).ok()?;
    let settings = SquidSettings::of(&config).ok()?;
    match Board::connect(settings, &config.desc, wheel) {
        Ok(b) => Some((emu, config, b)),
        Err(e) => {
            eprintln!("squid: the emulated board did not connect: {e}");
            None
        }
    }
}

/// `squidctl emulate mcu` on `link` (logging to `log`), once it printed its port.
fn emulated_board(link: &Path, log: Option<&Path>) -> Option<std::process::Child> {
    let mut c = Command::new(bin());
    c.args(["emulate", "mcu", "--link"]).arg(link);
    if let Some(l) = log {
        c.arg("--log").arg(l);
    }
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut first = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut first);
    }
    Some(child)
}

/// The board at the shipped speeds, in this process: the per-frame overhead of a z stack
/// (a 2 µm step, light on, light off), and how long a light stays on when its TURN_OFF
/// loses a byte on the way.
fn squid_shipped(rows: &mut Vec<Row>) {
    let Some((emu, config, mut board)) = board_in_process(false, None) else {
        return;
    };
    let _ = board.set_light("laser-488", 10.0);
    let (mut step, mut frame) = (Vec::new(), Vec::new());
    for i in 0..100 {
        let z = 4.0 + 0.002 * f64::from(i % 2);
        let t = Instant::now();
        if board.move_z(z).is_err() {
            continue;
        }
        let moved = t.elapsed().as_secs_f64() * 1000.0;
        if board.light_on().and_then(|_| board.light_off()).is_ok() {
            step.push(moved);
            frame.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    step.sort_by(f64::total_cmp);
    frame.sort_by(f64::total_cmp);
    let z = &config.desc.stage.z;
    let motion = squidctl::microscope::timing::axis_move_secs(0.002, z) * 1000.0;
    rows.push(Row {
        name: format!("squid: a 2 µm z step at the shipped speed, p50 (motion {motion:.1} ms)"),
        value: percentile(&step, 0.5),
        unit: "ms",
        goal: "motion + 0–20 ms for the board to report it".into(),
        ok: Some(percentile(&step, 0.5) < motion + 25.0),
    });
    rows.push(Row {
        name: "squid: per-frame board overhead (z step, light on, light off), p50".into(),
        value: percentile(&frame, 0.5) - motion,
        unit: "ms",
        goal: "three status periods (30 ms)".into(),
        ok: Some(percentile(&frame, 0.5) - motion < 45.0),
    });
    let mut lit = Vec::new();
    for _ in 0..30 {
        if board.light_on().is_err() {
            continue;
        }
        emu.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drop_next_rx();
        if board.light_off().is_err() {
            continue;
        }
        let ev = emu.events_of("light");
        let t = |e: &serde_json::Value| e["t"].as_f64().unwrap_or(f64::NAN);
        if let [.., on, off] = ev.as_slice() {
            lit.push((t(off) - t(on)) * 1000.0);
        }
    }
    lit.sort_by(f64::total_cmp);
    rows.push(Row {
        name: format!(
            "squid: light on around a TURN_OFF that lost a byte, p50 (max {:.0} ms, 30 tries)",
            lit.last().copied().unwrap_or(f64::NAN)
        ),
        value: percentile(&lit, 0.5),
        unit: "ms",
        goal: "< 100 ms (was ≥ 500 ms)".into(),
        ok: Some(lit.last().is_some_and(|m| *m < 100.0)),
    });
}

/// SIGKILL a run on the emulated board at the shipped speeds at random moments of its
/// exposures, 20 times: how long after the last frame the board heard every light is off.
fn watchdog_kills(rows: &mut Vec<Row>) {
    let dir = repo().join("target/bench-watchdog");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let link = dir.join("ttySquid");
    let log = dir.join("board.jsonl");
    let Some(mut board) = emulated_board(&link, Some(&log)) else {
        return;
    };
    let m = dir.join("squid.yaml");
    let _ = std::fs::write(&m, squid_text(&link, false));
    let p = dir.join("long.yaml");
    let _ = std::fs::write(
        &p,
        "name: long\nplate: {format: 96, wells: \"A1\"}\nfov: {grid: 3x3}\nchannels:\n  - {name: GFP, exposure: 700ms, intensity: 20%}\n",
    );
    let events = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let mut rng = squidctl::hardware::faults::SplitMix(0x9e37_79b9_7f4a_7c15);
    let mut latencies = Vec::new();
    for k in 0..20 {
        let from = events().len();
        let out = dir.join(format!("out{k}"));
        let Ok(mut run) = Command::new(bin())
            .args(["acquire", &p.display().to_string(), "--microscope"])
            .arg(&m)
            .arg("--output")
            .arg(&out)
            .current_dir(repo())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            break;
        };
        // Wait for a light, then kill somewhere in the next 700 ms.
        let t = Instant::now();
        while !events()[from..]
            .iter()
            .any(|e| e["kind"] == "light" && e["on"] == true)
            && t.elapsed().as_secs() < 60
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(rng.next_u64() % 700));
        let _ = run.kill();
        let _ = run.wait();
        let t = Instant::now();
        let (last_heard, off) = loop {
            let ev = events()[from..].to_vec();
            let at = |e: &serde_json::Value| e["t"].as_f64().unwrap_or(f64::NAN);
            let heard = ev
                .iter()
                .filter(|e| e["kind"] == "frame")
                .map(at)
                .fold(f64::NAN, f64::max);
            let off = ev
                .iter()
                .filter(|e| e["kind"] == "watchdog" && at(e) > heard)
                .map(at)
                .next();
            if off.is_some() || t.elapsed().as_secs() > 10 {
                break (heard, off);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        latencies.push(off.map_or(f64::INFINITY, |o| o - last_heard));
    }
    let _ = board.kill();
    let _ = board.wait();
    latencies.sort_by(f64::total_cmp);
    rows.push(Row {
        name: format!(
            "squid: every light off after SIGKILL, max over {} kills (min {:.3} s)",
            latencies.len(),
            latencies.first().copied().unwrap_or(f64::NAN)
        ),
        value: latencies.last().copied().unwrap_or(f64::NAN),
        unit: "s",
        goal: "≤ the 2 s watchdog + one status period".into(),
        ok: Some(latencies.last().is_some_and(|l| *l <= 2.02)),
    });
}

/// Aravis's fake GigE camera on 127.0.0.1 in this process, `acquire` through the `genicam`
/// driver in another: frames per second while saving, frames lost, CPU per frame (ours and
/// the fake's, which stands in for the camera's own electronics).
#[cfg(feature = "genicam")]
fn genicam(rows: &mut Vec<Row>) {
    let fake = aravis::GvFakeCamera::new(Some("127.0.0.1"), Some("SQ-BENCH"));
    if !fake.is_running() {
        eprintln!("genicam: the fake camera did not start on 127.0.0.1");
        return;
    }
    let text = squidctl::microscope::BUILTIN_YAML
        .replace(
            "camera:\n",
            "camera:\n  driver: {name: genicam, address: 127.0.0.1, pixel_format: Mono16, buffers: 8}\n",
        )
        .replace("bit_depth: 12", "bit_depth: 16");
    let m = repo().join("target/bench-genicam.yaml");
    let _ = std::fs::write(&m, text);
    let out = bench_out();
    let cpu = || {
        // SAFETY: getrusage fills the zeroed struct we own.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
        t(ru.ru_utime) + t(ru.ru_stime)
    };
    let before = cpu();
    let start = Instant::now();
    let child = Command::new(bin())
        .args(["acquire", "bench/protocols/camera.yaml", "--microscope"])
        .arg(&m)
        .arg("--output")
        .arg(&out)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        return;
    };
    let mut status = 0;
    // SAFETY: wait4 fills the zeroed rusage we own for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
    let _wall = start.elapsed();
    let fake_cpu = cpu() - before;
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    let our_cpu = t(ru.ru_utime) + t(ru.ru_stime);
    let j = newest_run(&out).map(|rd| journal(&rd)).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&out);
    let frames = j.iter().filter(|e| e["kind"] == "frame").count() as f64;
    let first = j
        .iter()
        .find(|e| e["kind"] == "frame")
        .and_then(|e| e["run_s"].as_f64());
    let end = j.iter().find(|e| e["kind"] == "end");
    let last = end.and_then(|e| e["run_s"].as_f64());
    let counts = end.map(|e| e["counts"].clone()).unwrap_or_default();
    let lost = counts["lost"].as_u64().unwrap_or(0)
        + counts["failed"].as_u64().unwrap_or(0)
        + counts["planned"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(counts["saved"].as_u64().unwrap_or(0));
    let fps = match (first, last) {
        (Some(a), Some(b)) if b > a && frames > 1.0 => (frames - 1.0) / (b - a),
        _ => f64::NAN,
    };
    rows.push(Row {
        name: "fake GigE camera → saved OME-TIFF, 2048² Mono16".into(),
        value: fps,
        unit: "fps",
        goal: "(the fake's own ceiling)".into(),
        ok: None,
    });
    rows.push(Row {
        name: format!("same: frames lost of {frames:.0} saved"),
        value: lost as f64,
        unit: "",
        goal: "0".into(),
        ok: Some(lost == 0),
    });
    rows.push(Row {
        name: "same: squidctl CPU per frame (the fake's beside it)".into(),
        value: our_cpu / frames.max(1.0) * 1000.0,
        unit: "ms",
        goal: format!("fake {:.1} ms", fake_cpu / frames.max(1.0) * 1000.0),
        ok: None,
    });
}

/// The first frame record's wall time in the single run under `out`, waiting up to 60 s.
fn first_frame_unix(out: &Path) -> Option<f64> {
    let t = Instant::now();
    while t.elapsed().as_secs() < 60 {
        if let Some(rd) = newest_run(out)
            && let Some(f) = journal(&rd).iter().find(|e| e["kind"] == "frame")
        {
            return f["unix"].as_f64();
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    None
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// squidctl working in `dir` on the spool `dir/spool` of microscope `m`, quietly.
fn queue_cmd(dir: &Path, spool: &str, m: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("SQUIDCTL_SPOOL", dir.join(spool))
        .env("SQUIDCTL_LOCK_DIR", dir.join("locks"))
        .env("SQUIDCTL_MICROSCOPE", m)
        .env_remove("SQUIDCTL_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// The queue: `submit` latency, `queue` over 1,000 tasks, and submit → first frame with an
/// idle worker against `acquire` → first frame (the microscope's own start-up).
fn queue(rows: &mut Vec<Row>) {
    let dir = repo().join("target/bench-queue");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let m = microscope_file("queue", 0.1, 1, "");
    let protocol = repo().join("protocols/quickstart.yaml");
    let p = protocol.display().to_string();
    let cmd = |spool: &str, args: &[&str]| queue_cmd(&dir, spool, &m, args);
    let mut lat = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        let _ = cmd("spool", &["submit", &p, "-q"]).status();
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);
    for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
        rows.push(Row {
            name: format!("`submit` (validate, snapshot, fsync), sequential, {name}"),
            value: percentile(&lat, q),
            unit: "ms",
            goal: String::new(),
            ok: None,
        });
    }
    for (what, args) in [
        ("`queue`", vec!["queue"]),
        ("`queue --json`", vec!["queue", "--json"]),
    ] {
        let t: Vec<f64> = (0..9)
            .map(|_| {
                let s = Instant::now();
                let _ = cmd("spool", &args).status();
                s.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let v = median(t);
        rows.push(Row {
            name: format!("{what} with 1,000 tasks, median of 9"),
            value: v,
            unit: "ms",
            goal: "< 100 ms".into(),
            ok: Some(v < 100.0),
        });
    }
    // The microscope's own start-up: `acquire` to its first frame.
    let mut own = Vec::new();
    let mut queued = Vec::new();
    for i in 0..3 {
        let out = dir.join(format!("acquire-{i}"));
        let t0 = unix_now();
        let child = cmd(
            "spool-direct",
            &["acquire", &p, "--output", &out.display().to_string()],
        )
        .spawn();
        if let (Ok(mut c), Some(f)) = (child, first_frame_unix(&out)) {
            own.push(f - t0);
            let _ = c.wait();
        }
        let spool = format!("spool-first-{i}");
        let qout = dir.join(format!("queued-{i}"));
        let _ = std::fs::create_dir_all(&qout);
        let log = std::fs::File::create(dir.join(format!("worker-{i}.log")));
        let mut wc = cmd(&spool, &["worker"]);
        if let Ok(l) = log {
            wc.stderr(l);
        }
        let Ok(mut w) = wc.spawn() else {
            continue;
        };
        // Idle: past its start-up and recovery.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let t0 = unix_now();
        let _ = cmd(
            &spool,
            &[
                "submit",
                &p,
                "--set",
                &format!("output.directory={}", qout.display()),
            ],
        )
        .status();
        if let Some(f) = first_frame_unix(&qout) {
            queued.push(f - t0);
        }
        let _ = cmd(&spool, &["wait", "1"]).status();
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(w.id() as i32, libc::SIGTERM) };
        let _ = w.wait();
    }
    if own.is_empty() || queued.is_empty() {
        eprintln!("queue: no first frame seen; see target/bench-queue/worker-*.log");
        return;
    }
    let own_s = median(own);
    let queued_s = median(queued);
    rows.push(Row {
        name: "`acquire` quick start → first frame (start-up), median of 3".into(),
        value: own_s * 1e3,
        unit: "ms",
        goal: String::new(),
        ok: None,
    });
    rows.push(Row {
        name: "`submit` → first frame, idle worker, median of 3".into(),
        value: queued_s * 1e3,
        unit: "ms",
        goal: "< 1 s + start-up".into(),
        ok: Some(queued_s < own_s + 1.0),
    });
}

/// `serve` under load: frames per second of a run with no event clients and with 50 SSE
/// clients connected, and how long events take to reach those clients (from the moment the
/// event was logged to the moment a client read it) while the run goes on.
fn api(rows: &mut Vec<Row>) {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let dir = repo().join("target/bench-api");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let m = microscope_file("api", 0.0, 4, "");
    let protocol = dir.join("plate.yaml");
    let _ = std::fs::write(
        &protocol,
        "name: api-bench\nplate: {format: 96, wells: \"A1:H12\"}\nfov: {grid: 2x2}\nz: {count: 3, step: 2um}\n\
         channels:\n  - {name: BF, exposure: 5ms, intensity: 30%}\n  - {name: GFP, exposure: 5ms, intensity: 50%}\n\
         output: {directory: runs}\n",
    );
    let token = "bench-token-0123456789abcdef";
    let tokens = dir.join("tokens");
    let _ = std::fs::write(&tokens, format!("{token} read,submit,control bench\n"));
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600));
    let cmd = |args: &[&str]| queue_cmd(&dir, "spool", &m, args);
    let Ok(mut serve) = cmd(&["serve", "--listen", "127.0.0.1:0", "--token-file"])
        .arg(&tokens)
        .stdout(Stdio::piped())
        .spawn()
    else {
        eprintln!("api: cannot start serve");
        return;
    };
    let mut addr = String::new();
    if let Some(out) = serve.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut addr);
    }
    let addr = addr
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let Ok(mut worker) = cmd(&["worker"]).spawn() else {
        return;
    };
    let call = |method: &str, path: &str| {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            let _ = write!(
                s,
                "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
        }
    };
    let p = protocol.display().to_string();
    let mut id = 0;
    // One run: its frames per second from its journal (first to last frame).
    let run = |id: &mut u64| -> f64 {
        let _ = cmd(&["submit", &p, "-q"]).status();
        *id += 1;
        let _ = cmd(&["wait", &id.to_string()]).status();
        let rd = newest_run(&dir.join("runs"));
        let j = rd.as_ref().map(|d| journal(d)).unwrap_or_default();
        // Each run writes 1.2 GB: the next one should not find a fuller disk.
        if let Some(d) = rd {
            let _ = std::fs::remove_dir_all(d);
        }
        let t: Vec<f64> = j
            .iter()
            .filter(|e| e["kind"] == "frame")
            .filter_map(|e| e["unix"].as_f64())
            .collect();
        match (t.first(), t.last()) {
            (Some(a), Some(b)) if b > a => (t.len() - 1) as f64 / (b - a),
            _ => f64::NAN,
        }
    };
    // 50 clients, each recording when it read each event, until `stop`.
    let seen: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
    let connect = |stop: &Arc<std::sync::atomic::AtomicBool>| {
        let mut clients = Vec::new();
        for _ in 0..50 {
            let (addr, seen, stop) = (addr.clone(), seen.clone(), stop.clone());
            clients.push(std::thread::spawn(move || {
                let Ok(mut s) = std::net::TcpStream::connect(&addr) else {
                    return;
                };
                let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(200)));
                let last = std::fs::read_to_string(
                    repo().join("target/bench-api/spool/squid-sim/events.ndjson"),
                )
                .map(|t| t.lines().count())
                .unwrap_or(0);
                let _ = write!(
                    s,
                    "GET /v1/events?since={last} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                );
                let mut r = BufReader::new(s);
                let mut line = String::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    line.clear();
                    match r.read_line(&mut line) {
                        Ok(0) => return,
                        Ok(_) => {}
                        Err(_) => continue,
                    }
                    if let Some(d) = line.strip_prefix("data: ") {
                        let now = unix_now();
                        if let Ok(v) = serde_json::from_str::<serde_json::Value>(d)
                            && let Some(u) = v["unix"].as_f64()
                            && let Ok(mut s) = seen.lock()
                        {
                            s.push((now - u) * 1e3);
                        }
                    }
                }
            }));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        clients
    };
    // Alternating, so the disk's drift from one minute to the next falls on both.
    let (mut alone, mut with) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        alone.push(run(&mut id));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients = connect(&stop);
        with.push(run(&mut id));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for c in clients {
            let _ = c.join();
        }
    }
    if let Ok(mut s) = seen.lock() {
        s.clear();
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients = connect(&stop);
    // Then for latency, events besides the run's own: the queue held and released 10 times
    // a second (each one two fsyncs), during one more run.
    let ticking = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let ticker = {
        let (ticking, addr) = (ticking.clone(), addr.clone());
        std::thread::spawn(move || {
            let mut held = false;
            while ticking.load(std::sync::atomic::Ordering::Relaxed) {
                held = !held;
                if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                    let _ = write!(
                        s,
                        "POST /v1/queue/{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        if held { "hold" } else { "release" }
                    );
                    let mut out = String::new();
                    let _ = s.read_to_string(&mut out);
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        })
    };
    let ticked = run(&mut id);
    ticking.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = ticker.join();
    call("POST", "/v1/queue/release");
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    // SAFETY: signals to our own children.
    unsafe {
        libc::kill(worker.id() as i32, libc::SIGTERM);
        libc::kill(serve.id() as i32, libc::SIGTERM);
    }
    let _ = worker.wait();
    let _ = serve.wait();
    let mut lat = seen.lock().map(|v| v.clone()).unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let alone_fps = median(alone);
    let with_fps = median(with);
    rows.push(Row {
        name: "run fps, no event clients (512², 2,304 frames), median of 2".into(),
        value: alone_fps,
        unit: "fps",
        goal: String::new(),
        ok: None,
    });
    rows.push(Row {
        name: "run fps, 50 SSE clients connected, median of 2".into(),
        value: with_fps,
        unit: "fps",
        goal: "≥ 95 % of no clients".into(),
        ok: Some(with_fps >= 0.95 * alone_fps),
    });
    rows.push(Row {
        name: "run fps, 50 SSE clients + 10 queue changes/s".into(),
        value: ticked,
        unit: "fps",
        goal: String::new(),
        ok: None,
    });
    if lat.is_empty() {
        eprintln!("api: no events reached the clients");
        return;
    }
    for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
        rows.push(Row {
            name: format!(
                "event delivery to 50 SSE clients during a run, {name} ({} deliveries)",
                lat.len()
            ),
            value: percentile(&lat, q),
            unit: "ms",
            goal: if name == "p99" {
                "< 100 ms".into()
            } else {
                String::new()
            },
            ok: (name == "p99").then(|| percentile(&lat, q) < 100.0),
        });
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
