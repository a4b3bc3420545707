//! The instrument for robots: polling its state, an action's latency (request → done) on the
//! simulator through the API and on the emulated board from the CLI, and the emergency
//! stop's latency (request → every light off, from the board's own log).

use super::*;

/// One keep-alive HTTP/1.1 connection: requests answered in turn.
pub(crate) struct Conn {
    r: BufReader<std::net::TcpStream>,
    token: String,
}

impl Conn {
    pub(crate) fn open(addr: &str, token: &str) -> Option<Conn> {
        let s = std::net::TcpStream::connect(addr).ok()?;
        let _ = s.set_nodelay(true);
        Some(Conn {
            r: BufReader::new(s),
            token: token.into(),
        })
    }

    /// (status, body).
    pub(crate) fn call(&mut self, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.token,
            body.len()
        );
        self.r.get_mut().write_all(req.as_bytes()).ok()?;
        let mut line = String::new();
        self.r.read_line(&mut line).ok()?;
        let status = line.split(' ').nth(1)?.parse().ok()?;
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            self.r.read_line(&mut h).ok()?;
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().ok()?;
            }
        }
        let mut b = vec![0; len];
        self.r.read_exact(&mut b).ok()?;
        Some((status, String::from_utf8_lossy(&b).into_owned()))
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

pub(crate) fn instrument(rows: &mut Vec<Row>) {
    instrument_api(rows);
    instrument_board(rows);
}

/// On the simulator, through `serve` and a worker.
fn instrument_api(rows: &mut Vec<Row>) {
    let dir = scratch().join("bench-instrument");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let m = microscope_file("instrument", 0.0, 4, "");
    let token = BENCH_TOKEN;
    let cmd = |args: &[&str]| queue_cmd(&dir, "spool", &m, args);
    let Some((mut serve, addr)) = start_serve(&dir, &m) else {
        eprintln!("instrument: cannot start serve");
        return;
    };
    let Ok(mut worker) = cmd(&["worker"]).spawn() else {
        let _ = serve.kill();
        return;
    };
    let Some(mut c) = Conn::open(&addr, token) else {
        let _ = serve.kill();
        let _ = worker.kill();
        return;
    };
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        if c.call("GET", "/v1/status", "")
            .is_some_and(|(_, b)| b.contains("\"worker\": true"))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Polling the state: a keep-alive client asking as fast as it can.
    let mut polls = Vec::new();
    for _ in 0..5000 {
        let t = Instant::now();
        if c.call("GET", "/v1/status", "")
            .is_some_and(|(s, _)| s == 200)
        {
            polls.push(ms_since(t));
        }
    }
    polls.sort_by(f64::total_cmp);
    let p99 = percentile(&polls, 0.99);
    rows.push(Row {
        name: "GET /v1/status, p99 of 5000 (keep-alive, simulator)".into(),
        value: p99,
        unit: "ms",
        goal: "< 1 ms, no device I/O".into(),
        ok: Some(p99 < 1.0),
    });
    // Each action: request → 200 with its result (the worker starts one process per action).
    for (name, body) in [
        (
            "move",
            r#"{"action": "move", "parameters": {"to": "scanning"}, "wait_s": 60}"#,
        ),
        (
            "snap",
            r#"{"action": "snap", "parameters": {"channel": "BF"}, "wait_s": 60}"#,
        ),
        (
            "lights (on 0.1 s, then off)",
            r#"{"action": "lights", "parameters": {"on": true, "channel": "BF", "for_s": 0.1}, "wait_s": 60}"#,
        ),
    ] {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            if c.call("POST", "/v1/tasks", body)
                .is_some_and(|(s, _)| s == 200)
            {
                times.push(ms_since(t));
            }
        }
        rows.push(Row {
            name: format!("API action {name} on the simulator, request → done, median of 10"),
            value: if times.is_empty() {
                f64::NAN
            } else {
                median(times)
            },
            unit: "ms",
            goal: String::new(),
            ok: None,
        });
    }
    let _ = worker.kill();
    let _ = worker.wait();
    let _ = serve.kill();
    let _ = serve.wait();
}

/// On the emulated board at the shipped speeds, from the CLI (every action connects and homes).
fn instrument_board(rows: &mut Vec<Row>) {
    let Some(BoardRig {
        dir,
        mut board,
        m,
        log,
    }) = board_rig("instrument-board")
    else {
        return;
    };
    let cmd = |args: &[&str]| queue_cmd(&dir, "spool", &m, args);
    for (name, args) in [
        ("move --to loading", &["move", "--to", "loading"][..]),
        (
            "snap --channel GFP",
            &["snap", "--channel", "GFP", "-o", "snaps"][..],
        ),
        (
            "lights on --for 0.1s",
            &["lights", "on", "--channel", "GFP", "--for", "0.1s"][..],
        ),
    ] {
        let t = Instant::now();
        let ok = cmd(args).status().is_ok_and(|s| s.success());
        rows.push(Row {
            name: format!("board action {name} (connect + home + act), shipped speeds"),
            value: if ok { ms_since(t) / 1000.0 } else { f64::NAN },
            unit: "s",
            goal: String::new(),
            ok: None,
        });
    }
    // The emergency stop while a light is on: request → the board's every-light-off.
    let events = || board_events(&log);
    let start = events()
        .iter()
        .find(|e| e["kind"] == "started")
        .and_then(|e| e["unix"].as_f64())
        .unwrap_or(f64::NAN);
    let mut lat = Vec::new();
    for _ in 0..10 {
        let from = events().len();
        let Ok(mut lit) = cmd(&["lights", "on", "--channel", "GFP", "--for", "60s"]).spawn() else {
            break;
        };
        let t = Instant::now();
        let on = loop {
            let ev = events();
            if ev[from.min(ev.len())..]
                .iter()
                .any(|e| e["kind"] == "light" && e["on"] == true)
            {
                break true;
            }
            if t.elapsed() > Duration::from_secs(60) {
                break false;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if !on {
            let _ = lit.kill();
            break;
        }
        let asked = squidctl::clock::WallTime::now().unix_s;
        let _ = cmd(&["stop", "--now"]).status();
        let _ = lit.wait();
        let off = events()[from..]
            .iter()
            .filter(|e| e["kind"] == "light" && e["on"] == false)
            .filter_map(|e| e["t"].as_f64())
            .map(|t| start + t)
            .filter(|t| *t >= asked)
            .fold(f64::NAN, f64::min);
        lat.push((off - asked) * 1000.0);
        let _ = cmd(&["reset"]).status();
    }
    lat.retain(|v| v.is_finite());
    lat.sort_by(f64::total_cmp);
    let n = lat.len();
    rows.push(Row {
        name: format!("emergency stop → every light off (board log), p50 of {n}"),
        value: percentile(&lat, 0.5),
        unit: "ms",
        goal: String::new(),
        ok: None,
    });
    let worst = lat.last().copied().unwrap_or(f64::NAN);
    rows.push(Row {
        name: format!("same, worst of {n} (the p99 at this count)"),
        value: worst,
        unit: "ms",
        goal: "< 100 ms".into(),
        ok: Some(worst < 100.0),
    });
    let _ = board.kill();
    let _ = board.wait();
}
