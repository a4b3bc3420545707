//! `serve` under load.

use super::*;

/// The token [`start_serve`] accepts, with every scope.
pub(crate) const BENCH_TOKEN: &str = "bench-token-0123456789abcdef";

/// `serve` on 127.0.0.1 for the queue in `dir` (spool `spool`), accepting [`BENCH_TOKEN`];
/// the child and its `host:port`.
pub(crate) fn start_serve(dir: &Path, m: &Path) -> Option<(std::process::Child, String)> {
    let tokens = dir.join("tokens");
    let _ = std::fs::write(
        &tokens,
        format!("{BENCH_TOKEN} read,submit,control bench\n"),
    );
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600));
    let mut serve = queue_cmd(
        dir,
        "spool",
        m,
        &["serve", "--listen", "127.0.0.1:0", "--token-file"],
    )
    .arg(&tokens)
    .stdout(Stdio::piped())
    .spawn()
    .ok()?;
    let mut addr = String::new();
    if let Some(out) = serve.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut addr);
    }
    let addr = addr
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    Some((serve, addr))
}

/// `serve` under load: frames per second of a run with no event clients and with 50 SSE
/// clients connected, and how long events take to reach those clients (from the moment the
/// event was logged to the moment a client read it) while the run goes on.
pub(crate) fn api(rows: &mut Vec<Row>) {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let dir = scratch().join("bench-api");
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
    let token = BENCH_TOKEN;
    let cmd = |args: &[&str]| queue_cmd(&dir, "spool", &m, args);
    let Some((mut serve, addr)) = start_serve(&dir, &m) else {
        eprintln!("api: cannot start serve");
        return;
    };
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
                    scratch().join("bench-api/spool/squid-sim/events.ndjson"),
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
