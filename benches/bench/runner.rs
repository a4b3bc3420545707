//! The runner: per-event overhead, hang detection, SIGINT to exit, memory.

use super::*;

/// What the runner costs per event with every delay zero and no images.
pub(crate) fn overhead(rows: &mut Vec<Row>) {
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
pub(crate) fn quickstart(microscope: &Path, out: &Path) -> Command {
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
pub(crate) fn hang(rows: &mut Vec<Row>) {
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
pub(crate) fn sigint(rows: &mut Vec<Row>) {
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
pub(crate) fn parse_rfc3339(s: &str) -> Option<f64> {
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
pub(crate) fn memory(rows: &mut Vec<Row>) {
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
