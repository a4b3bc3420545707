//! The API's contract under load: a `/metrics` scrape over a long history (1,000 tasks,
//! 50 runs), and how fast WebSocket clients get events during a run.

use super::*;

const TINY: &str = "name: tiny
plate: {format: 96, wells: \"A1\"}
channels:
  - {name: BF, exposure: 1ms, intensity: 10%}
  - {name: GFP, exposure: 1ms, intensity: 10%}
output: {directory: runs}
";

const RUN: &str = "name: ws
plate: {format: 96, wells: \"A1:B6\"}
fov: {grid: 2x2}
channels:
  - {name: BF, exposure: 1ms, intensity: 10%}
output: {directory: runs}
";

pub(crate) fn contract(rows: &mut Vec<Row>) {
    let dir = scratch().join("bench-contract");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let m = microscope_file("contract", 0.0, 8, "");
    let cmd = |args: &[&str]| queue_cmd(&dir, "spool", &m, args);
    let tiny = dir.join("tiny.yaml");
    let run = dir.join("run.yaml");
    let _ = std::fs::write(&tiny, TINY);
    let _ = std::fs::write(&run, RUN);
    let t = tiny.display().to_string();
    for _ in 0..50 {
        let _ = cmd(&["submit", &t]).stdout(Stdio::null()).status();
    }
    let _ = cmd(&["worker", "--exit-when-empty"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let Some((mut serve, addr)) = start_serve(&dir, &m) else {
        eprintln!("contract: cannot start serve");
        return;
    };
    let Some(mut c) = Conn::open(&addr, BENCH_TOKEN) else {
        let _ = serve.kill();
        return;
    };
    let body = serde_json::json!({"protocol": TINY, "hold": true}).to_string();
    for _ in 0..950 {
        let _ = c.call("POST", "/v1/tasks", &body);
    }
    // The first scrape reads the 50 journals; later ones read on from where it stopped.
    let mut scrape = || {
        let t = Instant::now();
        let ok = c
            .call("GET", "/metrics", "")
            .is_some_and(|(s, b)| s == 200 && b.contains("squidctl_queue_tasks"));
        ok.then(|| t.elapsed().as_secs_f64() * 1000.0)
    };
    let cold = scrape().unwrap_or(f64::NAN);
    let mut warm: Vec<f64> = (0..20).filter_map(|_| scrape()).collect();
    warm.sort_by(f64::total_cmp);
    rows.push(Row {
        name: "GET /metrics, 1,000 tasks and 50 runs, first scrape".into(),
        value: cold,
        unit: "ms",
        goal: String::new(),
        ok: None,
    });
    let p50 = percentile(&warm, 0.5);
    rows.push(Row {
        name: "GET /metrics, same history, p50 of 20 later scrapes".into(),
        value: p50,
        unit: "ms",
        goal: "< 20 ms".into(),
        ok: Some(p50 < 20.0),
    });
    websockets(rows, &addr, &cmd, &run);
    let _ = serve.kill();
    let _ = serve.wait();
}

/// 50 WebSocket clients follow the log while a run goes: how long from an event's write
/// (its `unix`) to each client's receipt.
fn websockets(rows: &mut Vec<Row>, addr: &str, cmd: &dyn Fn(&[&str]) -> Command, run: &Path) {
    use tungstenite::client::IntoClientRequest;
    let since = squidctl::queue::events::last(
        &scratch().join("bench-contract/spool/squid-sim/events.ndjson"),
    );
    let (tx, rx) = std::sync::mpsc::channel::<Vec<f64>>();
    let ready = std::sync::Arc::new(std::sync::Barrier::new(51));
    for _ in 0..50 {
        let (tx, ready, addr) = (tx.clone(), ready.clone(), addr.to_string());
        std::thread::spawn(move || {
            let mut lat = Vec::new();
            let conn = (|| {
                let mut req = format!("ws://{addr}/v1/ws?since={since}")
                    .into_client_request()
                    .ok()?;
                req.headers_mut().insert(
                    "Authorization",
                    format!("Bearer {BENCH_TOKEN}").parse().ok()?,
                );
                let s = std::net::TcpStream::connect(&addr).ok()?;
                tungstenite::client::client(req, s).ok().map(|(ws, _)| ws)
            })();
            ready.wait();
            let Some(mut ws) = conn else {
                let _ = tx.send(lat);
                return;
            };
            while let Ok(m) = ws.read() {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                let Ok(v) = serde_json::from_str::<serde_json::Value>(m.to_text().unwrap_or(""))
                else {
                    continue;
                };
                if let Some(u) = v["unix"].as_f64() {
                    lat.push((now - u) * 1000.0);
                }
                if v["type"] == "task_completed" {
                    break;
                }
            }
            let _ = ws.close(None);
            let _ = tx.send(lat);
        });
    }
    drop(tx);
    ready.wait();
    let r = run.display().to_string();
    let _ = cmd(&["submit", &r]).stdout(Stdio::null()).status();
    // The 950 held tasks stay held: the worker runs this one and stops.
    let _ = cmd(&["worker", "--exit-when-empty"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let mut all: Vec<f64> = rx.iter().flatten().collect();
    all.sort_by(f64::total_cmp);
    for (p, name) in [(0.5, "p50"), (0.99, "p99")] {
        rows.push(Row {
            name: format!(
                "WebSocket event delivery to 50 clients during a run, {name} of {}",
                all.len()
            ),
            value: percentile(&all, p),
            unit: "ms",
            goal: String::new(),
            ok: None,
        });
    }
}
