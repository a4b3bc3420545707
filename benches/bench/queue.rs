//! The queue: submit latency, listing, submit to first frame.

use super::*;

/// The first frame record's wall time in the single run under `out`, waiting up to 60 s.
pub(crate) fn first_frame_unix(out: &Path) -> Option<f64> {
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

pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// squidctl working in `dir` on the spool `dir/spool` of microscope `m`, quietly.
pub(crate) fn queue_cmd(dir: &Path, spool: &str, m: &Path, args: &[&str]) -> Command {
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
pub(crate) fn queue(rows: &mut Vec<Row>) {
    let dir = scratch().join("bench-queue");
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
        eprintln!("queue: no first frame seen; see target/tmp/bench-queue/worker-*.log");
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
