//! The Squid board over a pseudo-terminal and in process, at the shipped speeds too.

use super::*;

/// The shipped emulated-Squid description on `port`; `fast` speeds the axes up (homing in
/// about a second) for measures that are not about motion.
pub(crate) fn squid_text(port: &Path, fast: bool) -> String {
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

/// The Squid board over a pseudo-terminal: one command's round trip (sent, acknowledged by
/// the next status packet), and the quick start's duration against its estimate.
pub(crate) fn squid(rows: &mut Vec<Row>) {
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
    let dir = scratch().join("bench-squid");
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
pub(crate) fn board_in_process(
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
pub(crate) fn emulated_board(link: &Path, log: Option<&Path>) -> Option<std::process::Child> {
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
pub(crate) fn squid_shipped(rows: &mut Vec<Row>) {
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

/// An emulated board at the shipped speeds in `<scratch>/bench-NAME`, logging to `log`, and the
/// shipped description pointing at it (`m`).
pub(crate) struct BoardRig {
    pub dir: PathBuf,
    pub board: std::process::Child,
    pub m: PathBuf,
    pub log: PathBuf,
}

pub(crate) fn board_rig(name: &str) -> Option<BoardRig> {
    let dir = scratch().join(format!("bench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let link = dir.join("ttySquid");
    let log = dir.join("board.jsonl");
    let board = emulated_board(&link, Some(&log))?;
    let m = dir.join("squid.yaml");
    let _ = std::fs::write(&m, squid_text(&link, false));
    Some(BoardRig { dir, board, m, log })
}

/// What the emulated board logged so far.
pub(crate) fn board_events(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// SIGKILL a run on the emulated board at the shipped speeds at random moments of its
/// exposures, 20 times: how long after the last frame the board heard every light is off.
pub(crate) fn watchdog_kills(rows: &mut Vec<Row>) {
    let Some(BoardRig {
        dir,
        mut board,
        m,
        log,
    }) = board_rig("watchdog")
    else {
        return;
    };
    let p = dir.join("long.yaml");
    let _ = std::fs::write(
        &p,
        "name: long\nplate: {format: 96, wells: \"A1\"}\nfov: {grid: 3x3}\nchannels:\n  - {name: GFP, exposure: 700ms, intensity: 20%}\n",
    );
    let events = || board_events(&log);
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
