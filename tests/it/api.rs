//! `squidctl serve`: every route with and without the right token scope, the Unix socket's
//! peer check, the refusal of an open bind, SSE replay after a reconnect, and the API and
//! the CLI seeing one queue — through the real binary, over 127.0.0.1 only.

use crate::common::*;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One well, 2×2 FOVs, 2 planes, 2 channels: 16 frames in 4 FOV visits.
pub(crate) const P: &str = "name: api
plate: {format: 96, wells: \"B2:B3\"}
fov: {grid: 2x2}
z: {count: 2, step: 2um}
channels:
  - {name: BF, exposure: 20ms, intensity: 30%}
  - {name: GFP, exposure: 40ms, intensity: 50%}
";

pub(crate) const READ: &str = "read-only-token-0123456789";
pub(crate) const SUBMIT: &str = "submit-only-token-0123456789";
pub(crate) const ADMIN: &str = "admin-token-0123456789abcdef";

/// A server of its own: spool, locks, microscope, token file and working directory.
pub(crate) struct Api {
    dir: tempfile::TempDir,
    microscope: String,
    server: Option<Child>,
    addr: String,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Api {
    /// Stop the server (a test restarts it with other options).
    pub(crate) fn stop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }

    pub(crate) fn new(time_scale: f64) -> Api {
        Api::with(|d| microscope(d, time_scale, &[]))
    }

    /// A server for the microscope `describe` writes into the server's directory.
    pub(crate) fn with(describe: impl FnOnce(&Path) -> String) -> Api {
        let dir = tempfile::tempdir().expect("tmp");
        let microscope = describe(dir.path());
        let tokens = dir.path().join("tokens");
        std::fs::write(
            &tokens,
            format!(
                "# test tokens\n{READ} read dashboard\n{SUBMIT} submit robot\n{ADMIN} read,submit,control admin\n"
            ),
        )
        .expect("tokens");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let mut a = Api {
            dir,
            microscope,
            server: None,
            addr: String::new(),
        };
        a.restart(&[]);
        a
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = queue_cmd(
            self.path(),
            &self.path().join("locks"),
            &self.microscope,
            args,
        );
        c.env("XDG_RUNTIME_DIR", self.path().join("run"));
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("spawn"))
    }

    /// Start `serve`; its first stdout line is its address.
    pub(crate) fn start(&mut self, args: &[&str]) {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let c = self.cmd(&all);
        self.start_cmd(c);
    }

    /// Start a `serve` command made by [`Api::cmd`] (with settings of its own).
    pub(crate) fn start_cmd(&mut self, mut c: Command) {
        let log = std::fs::File::create(self.path().join("serve.log")).expect("log");
        let mut c = c.stdout(Stdio::piped()).stderr(log).spawn().expect("serve");
        let mut line = String::new();
        BufReader::new(c.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("address line");
        assert!(!line.is_empty(), "serve printed no address: {}", self.log());
        self.addr = line
            .trim()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        self.server = Some(c);
    }

    /// Long-poll task `id` until it ends (a minute at most); the `wait` route's answer.
    pub(crate) fn wait_task(&self, id: u64) -> Value {
        self.call(
            "GET",
            &format!("/v1/tasks/{id}/wait?timeout=60"),
            Some(READ),
            None,
        )
        .json()
    }

    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("serve.log")).unwrap_or_default()
    }

    pub(crate) fn worker(&self) -> Child {
        let log = std::fs::File::create(self.path().join("worker.log")).expect("log");
        self.cmd(&["worker", "--exit-when-empty"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("worker")
    }

    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        self.raw(method, path, token, body)
    }

    pub(crate) fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let s = TcpStream::connect(&self.addr).expect("connect");
        request(s, method, path, token, body)
    }

    /// A JSON request with more headers (`Idempotency-Key`).
    pub(crate) fn call_with(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Reply {
        let s = TcpStream::connect(&self.addr).expect("connect");
        let body = ("application/json", body.to_string().into_bytes());
        request_with(s, method, path, Some(token), headers, Some(body))
    }

    pub(crate) fn submit(&self, token: &str) -> Value {
        let r = self.raw(
            "POST",
            "/v1/tasks?label=api",
            Some(token),
            Some(("application/yaml", P.as_bytes().to_vec())),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()
    }
}

pub(crate) struct Reply {
    pub status: u16,
    pub head: String,
    pub text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text))
    }
    /// The fault's message (every error reply is `{"error": Fault}`).
    pub(crate) fn error(&self) -> String {
        let v = self.json();
        let f = &v["error"];
        assert!(
            f["code"].as_u64().is_some() && f["scheduler_action"].is_string(),
            "not a fault: {} {}",
            self.status,
            self.text
        );
        f["message"].as_str().unwrap_or("").to_string()
    }
}

/// One request on its own connection (`Connection: close`), read to the end.
fn request<S: Read + Write>(
    s: S,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    request_with(s, method, path, token, &[], body)
}

/// [`request`] with more headers.
fn request_with<S: Read + Write>(
    mut s: S,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or(("application/json", Vec::new()));
    req.push_str(&format!(
        "Content-Type: {}\r\nContent-Length: {}\r\n\r\n",
        body.0,
        body.1.len()
    ));
    s.write_all(req.as_bytes()).expect("send");
    s.write_all(&body.1).expect("send body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, text) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply {
        status,
        head: head.to_string(),
        text: text.to_string(),
    }
}

/// An SSE client: reads `(id, type)` pairs until `stop` says so or `secs` pass.
fn sse(
    addr: &str,
    path: &str,
    last_id: Option<u64>,
    secs: u64,
    mut stop: impl FnMut(&[(u64, String)]) -> bool,
) -> (Vec<(u64, String)>, usize) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut req =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {READ}\r\n");
    if let Some(id) = last_id {
        req.push_str(&format!("Last-Event-ID: {id}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut r = BufReader::new(s);
    let (mut got, mut heartbeats) = (Vec::new(), 0);
    let (mut id, mut line) = (None, String::new());
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) && !stop(&got) {
        // A read timeout keeps what it read of the line (the rest comes with the next read).
        match r.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line.ends_with('\n') => {}
            _ => continue, // the read timeout: look at `stop` again
        }
        let whole = std::mem::take(&mut line);
        let l = whole.trim_end();
        if let Some(v) = l.strip_prefix("id: ") {
            id = v.parse().ok();
        } else if let Some(k) = l.strip_prefix("event: ") {
            match id.take() {
                Some(i) => got.push((i, k.to_string())),
                // Squid's opening event is not in the log, so it has no id; it comes first.
                None => assert!(
                    k == "session_started" && got.is_empty(),
                    "{k} without an id"
                ),
            }
        } else if l == ": heartbeat" {
            heartbeats += 1;
        }
    }
    (got, heartbeats)
}

pub(crate) fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_route_answers_with_the_right_scope_and_refuses_without_it() {
    let api = Api::new(0.0);
    // No token: only health answers.
    let h = api.call("GET", "/v1/health", None, None);
    assert_eq!((h.status, h.json()["ok"].clone()), (200, json!(true)));
    for (m, p) in [
        ("GET", "/v1/microscopes"),
        ("GET", "/v1/tasks"),
        ("POST", "/v1/tasks"),
        ("GET", "/v1/tasks/1"),
        ("DELETE", "/v1/tasks/1"),
        ("POST", "/v1/tasks/1/hold"),
        ("POST", "/v1/queue/hold"),
        ("GET", "/v1/tasks/1/wait?timeout=0"),
        ("GET", "/v1/tasks/1/run"),
        ("GET", "/v1/tasks/1/thumbnail.png"),
        ("POST", "/v1/tasks/1/pause"),
        ("POST", "/v1/tasks/1/move"),
        ("GET", "/v1/events"),
        ("GET", "/"),
    ] {
        let r = api.call(m, p, None, None);
        assert_eq!(r.status, 401, "{m} {p} without a token: {}", r.text);
        let wrong = api.call(m, p, Some("not-a-token-at-all-0000"), None);
        assert_eq!(wrong.status, 401, "{m} {p} with an unknown token");
    }
    // A read token cannot submit or control.
    let r = api.raw(
        "POST",
        "/v1/tasks",
        Some(READ),
        Some(("application/yaml", P.as_bytes().to_vec())),
    );
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.error().contains("`submit` scope"), "{}", r.error());

    // A submit-only token's task arrives held; an admin's is queued.
    let held = api.submit(SUBMIT);
    assert_eq!(held["status"]["state"], "held", "{held}");
    assert!(
        held["status"]["note"]
            .as_str()
            .unwrap_or("")
            .contains("release"),
        "{held}"
    );
    assert_eq!(held["spec"]["submitter"]["user"], "api:robot");
    let queued = api.submit(ADMIN);
    assert_eq!(queued["status"]["state"], "queued");
    let (a, b) = (
        held["spec"]["id"].as_u64().expect("id"),
        queued["spec"]["id"].as_u64().expect("id"),
    );
    let created = api.raw(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some((
            "application/json",
            json!({"protocol": P, "priority": 5, "label": "json"})
                .to_string()
                .into_bytes(),
        )),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created.head.contains("Location: /v1/tasks/3"),
        "{}",
        created.head
    );

    // The submit-only token may not release its own task, nor read; no route changes the
    // queue for a token without `control`.
    let control = ["pause", "unpause", "hold", "release", "move"]
        .map(|v| ("POST", format!("/v1/tasks/{a}/{v}")))
        .into_iter()
        .chain([
            ("DELETE", format!("/v1/tasks/{a}")),
            ("POST", "/v1/queue/hold".to_string()),
            ("POST", "/v1/queue/release".to_string()),
        ]);
    for (m, p) in control {
        for t in [READ, SUBMIT] {
            let r = api.call(m, &p, Some(t), None);
            assert_eq!(r.status, 403, "{m} {p}: {}", r.text);
            assert!(r.error().contains("`control` scope"), "{}", r.error());
        }
    }
    for p in [
        "/v1/microscopes".to_string(),
        "/v1/tasks".into(),
        format!("/v1/tasks/{a}"),
        format!("/v1/tasks/{a}/wait?timeout=0"),
        format!("/v1/tasks/{a}/run"),
        format!("/v1/tasks/{a}/thumbnail.png"),
        "/v1/events".into(),
        "/".into(),
    ] {
        let r = api.call("GET", &p, Some(SUBMIT), None);
        assert_eq!(
            r.status, 403,
            "GET {p} with a submit-only token: {}",
            r.text
        );
    }

    // Reads.
    let list = api.call("GET", "/v1/tasks", Some(READ), None);
    assert_eq!(list.status, 200);
    let ids: Vec<u64> = list.json()["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["id"].as_u64().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [3, 1, 2],
        "priority 5 first, then in order of submission"
    );
    let held_only = api
        .call("GET", "/v1/tasks?state=held", Some(READ), None)
        .json();
    assert_eq!(held_only["tasks"].as_array().map(Vec::len), Some(1));
    let bad_state = api.call("GET", "/v1/tasks?state=done", Some(READ), None);
    assert_eq!(bad_state.status, 400);
    assert!(
        bad_state.error().contains("completed"),
        "{}",
        bad_state.error()
    );
    let one = api.call("GET", &format!("/v1/tasks/{b}"), Some(READ), None);
    assert_eq!(
        (one.status, one.json()["spec"]["id"].as_u64()),
        (200, Some(b))
    );
    assert_eq!(
        api.call("GET", "/v1/tasks/99", Some(READ), None).status,
        404
    );
    let mics = api.call("GET", "/v1/microscopes", Some(READ), None).json();
    assert_eq!(mics["microscopes"][0]["name"], "squid-sim");
    assert_eq!(mics["microscopes"][0]["queued"], 3);
    let nomic = api.call("GET", "/v1/tasks?microscope=other", Some(READ), None);
    assert_eq!(nomic.status, 404);
    assert!(nomic.error().contains("squid-sim"), "{}", nomic.error());
    let w = api.call(
        "GET",
        &format!("/v1/tasks/{b}/wait?timeout=0.2"),
        Some(READ),
        None,
    );
    assert_eq!((w.status, w.json()["ended"].clone()), (200, json!(false)));
    let norun = api.call("GET", &format!("/v1/tasks/{b}/run"), Some(READ), None);
    assert_eq!(norun.status, 404, "{}", norun.text);
    let nothumb = api.call(
        "GET",
        &format!("/v1/tasks/{b}/thumbnail.png"),
        Some(READ),
        None,
    );
    assert_eq!(nothumb.status, 404);

    // Control: the same refusals, with the same words, as the CLI.
    let c = |m: &str, p: String, body: Option<Value>| api.call(m, &p, Some(ADMIN), body);
    let r = c("POST", format!("/v1/tasks/{b}/pause"), None);
    assert_eq!(r.status, 409, "{}", r.text);
    let cli = api.run(&["pause", &b.to_string()]);
    assert_eq!(cli.code, 1);
    assert!(
        cli.stderr.contains(&r.error()),
        "{}\nvs {}",
        cli.stderr,
        r.error()
    );
    assert_eq!(
        c("POST", format!("/v1/tasks/{b}/unpause"), None).status,
        409
    );
    let r = c(
        "POST",
        format!("/v1/tasks/{b}/hold"),
        Some(json!({"note": "wait for me"})),
    );
    assert_eq!((r.status, r.json()["state"].clone()), (200, json!("held")));
    let r = c("POST", format!("/v1/tasks/{b}/release"), None);
    assert_eq!(
        (r.status, r.json()["state"].clone()),
        (200, json!("queued"))
    );
    let r = c(
        "POST",
        format!("/v1/tasks/{b}/move"),
        Some(json!({"before": 3})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c(
        "POST",
        format!("/v1/tasks/{b}/move"),
        Some(json!({"front": true, "back": true})),
    );
    assert_eq!(r.status, 422);
    let r = c(
        "POST",
        format!("/v1/tasks/{b}/move"),
        Some(json!({"sideways": 1})),
    );
    assert_eq!(r.status, 422);
    assert!(r.error().contains("unknown field"), "{}", r.error());
    let first = api.call("GET", "/v1/tasks", Some(READ), None).json()["tasks"][0]["id"].clone();
    assert_eq!(first, json!(b), "moved before task 3");
    let r = c(
        "POST",
        "/v1/queue/hold".into(),
        Some(json!({"note": "service"})),
    );
    assert_eq!((r.status, r.json()["held"].clone()), (200, json!(true)));
    assert_eq!(
        api.call("GET", "/v1/tasks", Some(READ), None).json()["held"],
        true
    );
    assert_eq!(c("POST", "/v1/queue/release".into(), None).status, 200);
    // Cancel a queued task: 200, and it is over.
    let r = c("DELETE", format!("/v1/tasks/{a}"), None);
    assert_eq!(
        (r.status, r.json()["state"].clone()),
        (200, json!("cancelled"))
    );
    let w = api
        .call("GET", &format!("/v1/tasks/{a}/wait"), Some(READ), None)
        .json();
    assert_eq!(
        (w["ended"].clone(), w["exit_code"].clone()),
        (json!(true), json!(130))
    );
    assert_eq!(c("DELETE", format!("/v1/tasks/{a}"), None).status, 409);

    // A bad protocol: 422 with the located message the CLI prints.
    let bad = "name: bad\nplate: {format: 96, wells: \"A1\"}\nfov: {grid: 1x1}\nchanels: []\n";
    let r = api.raw(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(("application/yaml", bad.into())),
    );
    assert_eq!(r.status, 422, "{}", r.text);
    let cli = api.run_stdin_submit(bad);
    assert_eq!(cli.code, 2);
    let located = r.error();
    assert!(located.contains("<request>:4:1"), "{located}");
    assert!(located.contains("unknown key `chanels`"), "{located}");
    assert!(
        cli.stderr.contains("unknown key `chanels`"),
        "{}",
        cli.stderr
    );
    assert_eq!(r.json()["diagnostics"][0]["line"], 4);
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"protocol_path": "p.yaml"})),
    );
    assert_eq!(r.status, 422, "TCP callers may not name server files");
    assert!(r.error().contains("Unix socket"), "{}", r.error());
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"protocol": P, "after": [77]})),
    );
    assert_eq!(r.status, 422);
    assert!(r.error().contains("no task 77"), "{}", r.error());
    let r = api.raw(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(("application/json", b"{not json".to_vec())),
    );
    assert_eq!(r.status, 422);

    // Unknown routes and methods; a malformed request.
    assert_eq!(api.call("GET", "/v1/nothing", Some(READ), None).status, 404);
    assert_eq!(api.call("PUT", "/v1/tasks", Some(ADMIN), None).status, 405);
    let mut s = TcpStream::connect(&api.addr).expect("connect");
    s.write_all(b"NOT HTTP\r\n\r\n").expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");

    // The page: a token in the address becomes a read-only cookie.
    let r = api.call("GET", &format!("/?token={READ}"), None, None);
    assert_eq!(r.status, 303);
    assert!(r.head.contains("HttpOnly; SameSite=Strict"), "{}", r.head);
    let page = api.call("GET", "/", Some(READ), None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<title>squidctl"), "{}", page.text);
    let mut s = TcpStream::connect(&api.addr).expect("connect");
    write!(
        s,
        "DELETE /v1/tasks/{b} HTTP/1.1\r\nHost: x\r\nCookie: squidctl_token={ADMIN}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(
        out.starts_with("HTTP/1.1 403"),
        "a cookie only reads: {out}"
    );
}

impl Api {
    fn run_stdin_submit(&self, text: &str) -> Run {
        let mut c = self
            .cmd(&["submit", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        Run::from(c.wait_with_output().expect("wait"))
    }
}

#[test]
fn a_running_task_cancelled_through_the_api_stops_at_a_safe_point_with_202() {
    let api = Api::new(0.5);
    let id = api.submit(ADMIN)["spec"]["id"].as_u64().expect("id");
    let mut worker = api.worker();
    wait_until(60, "the task runs", || {
        api.call("GET", &format!("/v1/tasks/{id}"), Some(READ), None)
            .json()["status"]["state"]
            == "running"
    });
    // The run view and thumbnail, once a file is saved.
    wait_until(60, "a file saved", || {
        api.call("GET", &format!("/v1/tasks/{id}/run"), Some(READ), None)
            .json()["last_file"]
            .is_string()
    });
    let v = api
        .call("GET", &format!("/v1/tasks/{id}/run"), Some(READ), None)
        .json();
    assert_eq!(v["plate"]["rows"], 8);
    assert_eq!(v["wells"][0]["name"], "B2");
    assert!(v["frames"].as_u64() >= Some(4), "{v}");
    let t = api.call(
        "GET",
        &format!("/v1/tasks/{id}/thumbnail.png"),
        Some(READ),
        None,
    );
    assert_eq!(t.status, 200);
    assert!(t.head.contains("image/png"), "{}", t.head);
    let r = api.call("DELETE", &format!("/v1/tasks/{id}"), Some(ADMIN), None);
    assert_eq!(
        (r.status, r.json()["state"].clone()),
        (202, json!("cancelling")),
        "{}",
        r.text
    );
    let w = api.wait_task(id);
    assert_eq!(w["state"], "cancelled", "{w}");
    assert_eq!(w["exit_code"], 130);
    let status = worker.wait().expect("worker");
    assert!(status.success());
    // The run view of an ended run: the wells not reached are skipped.
    let v = api
        .call("GET", &format!("/v1/tasks/{id}/run"), Some(READ), None)
        .json();
    let states: BTreeSet<&str> = v["wells"]
        .as_array()
        .expect("wells")
        .iter()
        .filter_map(|w| w["state"].as_str())
        .collect();
    assert!(states.contains("skipped"), "{v}");
}

#[test]
fn an_sse_client_that_reconnects_with_last_event_id_gets_every_event_exactly_once() {
    let api = Api::new(0.0);
    // Two tasks run while the client comes and goes.
    api.submit(ADMIN);
    api.submit(ADMIN);
    let (first, _) = sse(&api.addr, "/v1/events", None, 20, |g| !g.is_empty());
    assert_eq!(first.first().map(|e| e.0), Some(1));
    let cut = first.last().expect("one").0;
    let mut worker = api.worker();
    // Disconnected while the worker logs events; then back with the last id seen.
    let log = api.path().join("spool/squid-sim/events.ndjson");
    wait_until(60, "events logged while no client listens", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.lines().count() as u64 > cut + 2)
    });
    let ended = |g: &[(u64, String)]| g.iter().filter(|e| e.1 == "task_completed").count() >= 2;
    let (rest, _) = sse(&api.addr, "/v1/events", Some(cut), 120, ended);
    assert!(worker.wait().expect("worker").success());
    let ids: Vec<u64> = first.iter().chain(&rest).map(|e| e.0).collect();
    let log: Vec<u64> = std::fs::read_to_string(api.path().join("spool/squid-sim/events.ndjson"))
        .expect("log")
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["seq"]
                .as_u64()
                .expect("seq")
        })
        .filter(|s| *s <= *ids.last().expect("some"))
        .collect();
    assert_eq!(ids, log, "every event once, in order");
    // `?since=` replays the same; `?task=` keeps one task's events.
    let (since, _) = sse(&api.addr, "/v1/events?since=1&task=2", None, 5, |g| {
        g.iter().any(|e| e.1 == "task_completed")
    });
    assert!(since.iter().all(|e| e.0 > 1), "{since:?}");
    assert_eq!(since.first().map(|e| e.1.as_str()), Some("task_submitted"));
    // A quiet stream carries heartbeats.
    let (_, beats) = sse(
        &api.addr,
        &format!("/v1/events?since={}", log.len() + 100),
        None,
        2,
        |_| false,
    );
    assert!(beats >= 2, "heartbeats: {beats}");
    let r = api.call("GET", "/v1/events?since=x", Some(READ), None);
    assert_eq!(r.status, 400);
}

#[test]
fn the_api_and_the_cli_see_the_same_queue() {
    let api = Api::new(0.0);
    let p = write(api.path(), "p.yaml", P);
    let cli_id = api
        .run(&["submit", &p, "--json", "--label", "from-cli"])
        .json()["task"]
        .as_u64()
        .expect("id");
    let api_id = api.submit(ADMIN)["spec"]["id"].as_u64().expect("id");
    assert_eq!((cli_id, api_id), (1, 2));
    let cli_q = api.run(&["queue", "--json"]).json();
    let api_q = api.call("GET", "/v1/tasks", Some(READ), None).json();
    let strip = |mut v: Value| {
        for t in v["tasks"].as_array_mut().expect("tasks") {
            // Predictions are computed at the moment of asking.
            t.as_object_mut().map(|o| {
                o.remove("predicted_start_unix");
                o.remove("predicted_end_unix")
            });
        }
        v
    };
    assert_eq!(strip(cli_q), strip(api_q));
    assert!(api.run(&["hold", "2"]).code == 0);
    let t = api.call("GET", "/v1/tasks/2", Some(READ), None).json();
    assert_eq!(t["status"]["state"], "held");
    let r = api.call("DELETE", "/v1/tasks/1", Some(ADMIN), None);
    assert_eq!(r.status, 200);
    assert_eq!(
        api.run(&["show", "1", "--json"]).json()["status"]["state"],
        "cancelled"
    );
    let ev = api.run(&["events", "--json"]).stdout;
    assert!(ev.contains("\"api:admin\""), "{ev}");
}

#[test]
fn binds_that_would_expose_the_microscope_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let env = |c: &mut Command| {
        c.current_dir(dir.path())
            .env("SQUIDCTL_SPOOL", dir.path().join("spool"))
            .env("XDG_RUNTIME_DIR", dir.path().join("run"));
    };
    let mut c = squidctl(&["serve", "--listen", "0.0.0.0:0"]);
    env(&mut c);
    let r = Run::from(c.output().expect("spawn"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("without a token file"), "{}", r.stderr);
    let tokens = write(
        dir.path(),
        "tokens",
        &format!("{ADMIN} read,submit,control\n"),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut c = squidctl(&["serve", "--listen", "127.0.0.1:0", "--token-file", &tokens]);
    env(&mut c);
    let r = Run::from(c.output().expect("spawn"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("chmod 600"), "{}", r.stderr);
    let mut c = squidctl(&["serve", "--listen", "nowhere"]);
    env(&mut c);
    let r = Run::from(c.output().expect("spawn"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unix:PATH"), "{}", r.stderr);
}

#[test]
fn the_unix_socket_serves_its_owner_without_a_token_and_accepts_protocol_paths() {
    let mut api = Api::new(0.0);
    api.stop();
    api.start(&[]);
    let sock = api.path().join("run/squidctl.sock");
    assert_eq!(api.addr, format!("unix:{}", sock.display()));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock)
        .expect("socket")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o660);
    let unix = |m: &str, p: &str, body: Option<Value>| {
        let s = UnixStream::connect(&sock).expect("connect");
        request(
            s,
            m,
            p,
            None,
            body.map(|b| ("application/json", b.to_string().into_bytes())),
        )
    };
    write(api.path(), "p.yaml", P);
    let r = unix(
        "POST",
        "/v1/tasks",
        Some(json!({"protocol_path": "p.yaml", "hold": true})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["status"]["state"], "held");
    assert!(
        r.json()["spec"]["protocol_file"]
            .as_str()
            .unwrap_or("")
            .ends_with("p.yaml"),
        "{}",
        r.text
    );
    assert_eq!(unix("GET", "/v1/tasks", None).status, 200);
    // A second server on the same socket is refused while the first answers.
    let again = api.run(&["serve"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("another `squidctl serve`"),
        "{}",
        again.stderr
    );
    // SIGTERM: the socket file goes with the server.
    let pid = api.server.as_ref().expect("server").id();
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let status = api.server.take().expect("server").wait().expect("wait");
    assert!(status.success());
    assert!(!sock.exists());
}

/// Debian's Chromium and playwright-core (installed under target/ on first use, like the
/// Python TIFF reader). `None` when Chromium is missing and no one asked for the browser
/// tests (`.ci/run` installs Chromium and sets SQUIDCTL_REQUIRE_BROWSER=1).
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let required = std::env::var("SQUIDCTL_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    if !chromium.exists() {
        assert!(
            !required,
            "SQUIDCTL_REQUIRE_BROWSER=1 but there is no {}: apt-get install chromium",
            chromium.display()
        );
        eprintln!(
            "SKIPPED: the status page's browser test needs Chromium (apt-get install chromium); .ci/run installs it"
        );
        return None;
    }
    let dir = repo().join("target/browser-test");
    // `.ci/run` may be installing it already, under this lock.
    std::fs::create_dir_all(repo().join("target")).expect("create target/");
    let _lock = hold_lock(&repo().join("target/browser-test.lock"));
    if !dir.join("node_modules/playwright-core").exists() {
        let ok = Command::new("npm")
            .args(["install", "--prefix"])
            .arg(&dir)
            .args([
                include_str!("../browser/npm.txt").trim(),
                "--no-audit",
                "--no-fund",
            ])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "npm install playwright-core into {} failed",
            dir.display()
        );
    }
    Some((chromium, dir))
}

#[test]
fn the_status_page_is_true_while_running_paused_and_after_the_end_and_a_failure() {
    let Some((chromium, modules)) = browser() else {
        return;
    };
    // Slow enough that the run outlasts a page load and a pause on a busy machine.
    let mut api = Api::new(0.5);
    // A second microscope whose stage fails its third move: one run aborts on it, the next
    // skips that FOV and goes on.
    let text = std::fs::read_to_string(&api.microscope).expect("microscope");
    let faulty = write(
        api.path(),
        "scope-f.yaml",
        &text
            .replace("name: squid-sim", "name: scope-f")
            .replace("time_scale: 0.5", "time_scale: 0")
            .replace(
                "\nfaults: []",
                "\nfaults:\n  - {call: move_xy, at: 3, kind: error, message: \"stage did not reach target\"}",
            ),
    );
    assert!(
        std::fs::read_to_string(&faulty)
            .expect("faulty")
            .contains("stage did not reach target")
    );
    let on_f = |args: &[&str]| {
        let mut c = api.cmd(args);
        c.env("SQUIDCTL_MICROSCOPE", &faulty);
        c
    };
    let fp = write(
        api.path(),
        "f.yaml",
        &format!("{P}on_error: {{retries: 0, then: abort}}\n"),
    );
    let r = Run::from(on_f(&["submit", &fp, "--json"]).output().expect("submit"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let failed = r.json()["task"].as_u64().expect("id");
    let sp = write(
        api.path(),
        "s.yaml",
        &format!("{P}on_error: {{retries: 0}}\n"),
    );
    let r = Run::from(on_f(&["submit", &sp, "--json"]).output().expect("submit"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let w = Run::from(
        on_f(&["worker", "--exit-when-empty"])
            .output()
            .expect("worker"),
    );
    assert_eq!(w.code, 0, "{}", w.stderr);
    let h = Run::from(on_f(&["history", "--json"]).output().expect("history")).json();
    let states: Vec<&str> = h["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["state"].as_str())
        .collect();
    assert_eq!(states, ["failed", "completed_with_errors"], "{h}");
    // Held, with a start time: the page says when it would start.
    let r = Run::from(
        on_f(&["submit", &sp, "--hold", "--at", "+3h", "--json"])
            .output()
            .expect("submit"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = api.microscope.clone();
    api.restart(&["--microscope", &a, "--microscope", &faulty]);

    let protocol = format!(
        "{P}autofocus: {{method: contrast, channel: BF, every: well, range: 10um, step: 2.5um}}\nfocus_map: {{points: [B2, B4, C2, C4], surface: plane, max_residual: 5um}}\n"
    )
    .replace("B2:B3", "B2:C4");
    let r = api.raw(
        "POST",
        "/v1/tasks?label=plate-7&microscope=squid-sim",
        Some(ADMIN),
        Some(("application/yaml", protocol.into_bytes())),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["spec"]["id"].as_u64().expect("id");
    let mut worker = api.worker();
    wait_until(60, "the task runs", || {
        api.call("GET", &format!("/v1/tasks/{id}"), Some(READ), None)
            .json()["status"]["state"]
            == "running"
    });
    // The script is run from a copy beside its node_modules, so `import` finds them.
    let script = modules.join("status_page.mjs");
    std::fs::copy(repo().join("tests/browser/status_page.mjs"), &script).expect("copy");
    let shot = repo().join("target/status-page.png");
    let args = json!({
        "api": format!("http://{}", api.addr),
        "admin": ADMIN,
        "task": id,
        "faulty": {"name": "scope-f", "failed": failed},
    });
    let out = Command::new("node")
        .arg(&script)
        .arg(format!("http://{}/?token={READ}", api.addr))
        .arg(&shot)
        .arg(args.to_string())
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node");
    let text = String::from_utf8_lossy(&out.stdout);
    let seen: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "the page script said ({e}): {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "{seen}\nserve log:\n{}", api.log());
    assert!(worker.wait().expect("worker").success());
    eprintln!("status page: {seen}\nscreenshot: {}", shot.display());
    assert_eq!(seen["errors"], json!([]), "the page logged errors: {seen}");
    let (first, second) = (&seen["first"], &seen["second"]);
    // The focus map over the plate: its surface under all six wells, the four measured ones
    // outlined.
    assert_eq!(first["map"], true, "{first}");
    assert_eq!(
        first["surface"],
        json!(["B2:measured", "B4:measured", "C2:measured", "C4:measured"]),
        "{first}"
    );
    assert_eq!(first["surfaced"], 6, "{first}");
    assert_eq!(
        first["url"], "/",
        "the token became a cookie and left the address"
    );
    // While running: the running well, the last frame, following new frames.
    let well = first["well"].as_str().expect("well");
    assert!(
        ["B2", "B3", "B4", "C2", "C3", "C4"].contains(&well),
        "{first}"
    );
    let plate = |v: &Value| -> Vec<String> {
        v["plate"]
            .as_array()
            .expect("plate")
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    assert_eq!(plate(first).len(), 6, "{first}");
    assert!(plate(first).contains(&format!("{well}:running")), "{first}");
    assert_eq!(first["thumb"], json!([256, 256]));
    assert!(
        second["frames"].as_u64() > first["frames"].as_u64(),
        "{seen}"
    );
    assert_ne!(second["frame"], first["frame"]);
    assert!(second["updates"].as_u64() > first["updates"].as_u64());
    assert_eq!(second["conn"], "live");
    // Time points count from 1, as on the command line; the start time is shown.
    let task_line = first["task"].as_str().unwrap_or("");
    assert!(task_line.contains("t 1/1"), "{first}");
    assert!(
        first["eta"].as_str().unwrap_or("").contains("started "),
        "{first}"
    );
    assert!(
        first["eta"].as_str().unwrap_or("").contains("ends ≈"),
        "{first}"
    );
    // Free disk on the run's disk, and never a stray `null`.
    assert!(
        first["sub"]
            .as_str()
            .unwrap_or("")
            .contains("free on the run's disk"),
        "{first}"
    );
    // Focus found in a well shows as µm from the plan.
    let focus = second["focus"].as_array().expect("focus");
    assert!(
        focus.iter().any(|f| f
            .as_str()
            .is_some_and(|f| f.contains(':') && !f.ends_with(':'))),
        "{seen}"
    );
    // Paused: said, and no end time counting down.
    // The instrument's state, as `status` and the API say it, at each step.
    assert_eq!(
        [
            &first["state"],
            &seen["paused"]["state"],
            &seen["ended"]["state"]
        ],
        [&json!("running"), &json!("paused"), &json!("idle")],
        "{seen}"
    );
    let eta = seen["paused"]["eta"].as_str().unwrap_or("");
    assert!(eta.contains("paused") && !eta.contains("ends ≈"), "{seen}");
    // Over: idle, nothing running, the run kept with its outcome and a link to its view.
    let ended = &seen["ended"];
    assert!(ended["idle"].as_bool().unwrap_or(false), "{ended}");
    assert_eq!(ended["head"], "last run", "{ended}");
    assert!(
        !plate(ended).iter().any(|w| w.ends_with(":running")),
        "{ended}"
    );
    assert!(
        ended["task"].as_str().unwrap_or("").contains("cancelled"),
        "{ended}"
    );
    assert!(
        ended["hist"]
            .as_array()
            .expect("hist")
            .iter()
            .any(|h| h.as_str() == Some(&format!("{id}:cancelled:?microscope=squid-sim&task={id}"))),
        "{ended}"
    );
    for v in [first, second, ended] {
        assert!(!v["sub"].as_str().unwrap_or("").contains("null"), "{v}");
    }
    // The faulty microscope: both runs in its history; the last one's well with a skipped
    // FOV is partial (not failed), and the stage's error is named at that well.
    let f = &seen["faulty"];
    assert_eq!(
        f["hist"],
        json!(["2:completed_with_errors", format!("{failed}:failed")]),
        "{f}"
    );
    let q = f["queue"].as_array().expect("queue");
    assert!(
        q.len() == 1
            && q[0]
                .as_str()
                .is_some_and(|r| r.starts_with("3held") && r.contains("once released")),
        "{f}"
    );
    let fp = plate(f);
    assert!(fp.iter().any(|w| w.ends_with(":partial")), "{f}");
    assert!(!fp.iter().any(|w| w.ends_with(":failed")), "{f}");
    assert!(
        f["errors"].as_array().expect("errors").iter().any(|e| e
            .as_str()
            .is_some_and(|e| e.contains("stage did not reach target") && e.contains("skipped"))),
        "{f}"
    );
    // Its failed run's link shows that run: failed, with why, at the well where it failed.
    let c = &seen["chosen"];
    assert!(
        c["errors"].as_array().expect("errors").iter().any(|e| e
            .as_str()
            .is_some_and(|e| e.starts_with("B2 FOV 2 t 1: failed"))),
        "{c}"
    );
    assert_eq!(c["state"], "failed", "{c}");
    assert_eq!(
        c["url"],
        format!("/?microscope=scope-f&task={failed}"),
        "{c}"
    );
    assert!(
        c["task"]
            .as_str()
            .unwrap_or("")
            .contains("stage did not reach target"),
        "{c}"
    );
}

#[test]
fn one_server_fronts_several_microscopes() {
    let mut api = Api::new(0.0);
    api.stop();
    let text = std::fs::read_to_string(&api.microscope).expect("microscope");
    let b = write(
        api.path(),
        "scope-b.yaml",
        &text.replace("name: squid-sim", "name: scope-b"),
    );
    let tokens = api.path().join("tokens").display().to_string();
    let a = api.microscope.clone();
    api.start(&[
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        &tokens,
        "--microscope",
        &a,
        "--microscope",
        &b,
    ]);
    let mics = api.call("GET", "/v1/microscopes", Some(READ), None).json();
    let names: Vec<&str> = mics["microscopes"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, ["squid-sim", "scope-b"]);
    let r = api.raw(
        "POST",
        "/v1/tasks?microscope=scope-b&hold=1",
        Some(ADMIN),
        Some(("application/yaml", P.as_bytes().to_vec())),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["microscope"], "scope-b");
    assert!(
        r.head.contains("Location: /v1/tasks/1?microscope=scope-b"),
        "{}",
        r.head
    );
    // The CLI sees it in that microscope's queue, not the other's.
    let q = api.run(&["queue", "--json", "--microscope", &b]).json();
    assert_eq!(q["tasks"][0]["id"], 1);
    let other = api.call("GET", "/v1/tasks", Some(READ), None).json();
    assert_eq!(other["microscope"], "squid-sim");
    assert_eq!(other["tasks"], json!([]));
    let twice = api.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--microscope",
        &b,
        "--microscope",
        &b,
    ]);
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("served once"), "{}", twice.stderr);
}

// ---- What a hostile client must not be able to do (issue 30) ----

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The server's resident memory, from the kernel.
fn rss_mb(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .expect("VmRSS")
        / 1024.0
}

impl Api {
    fn pid(&self) -> u32 {
        self.server.as_ref().expect("server").id()
    }

    fn spool_dir(&self) -> PathBuf {
        let r = self.run(&["queue", "--json"]);
        PathBuf::from(r.json()["spool"].as_str().expect("spool"))
    }

    pub(crate) fn restart(&mut self, extra: &[&str]) {
        self.stop();
        let tf = self.path().join("tokens").display().to_string();
        let mut args = vec![
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            &tf,
            "--heartbeat",
            "0.3",
        ];
        args.extend_from_slice(extra);
        self.start(&args);
    }
}

#[test]
fn a_submit_token_can_read_no_file_of_the_server() {
    let api = Api::new(0.0);
    let secret = api.path().join("tokens");
    let yaml = |positions: &str| {
        format!(
            "name: leak\npositions: {positions}\nchannels:\n  - {{name: BF, exposure: 20ms, intensity: 30%}}\n"
        )
    };
    // The token file itself, a system file, the process's environment: each named as the
    // positions CSV, in the protocol or by --set, with YAML or JSON.
    for target in [
        secret.display().to_string(),
        "/etc/passwd".into(),
        "/proc/self/environ".into(),
        "../tokens".into(),
    ] {
        let r = api.raw(
            "POST",
            "/v1/tasks",
            Some(SUBMIT),
            Some(("application/yaml", yaml(&target).into_bytes())),
        );
        assert_eq!(r.status, 422, "{target}: {}", r.text);
        assert!(
            r.error().contains("names a file on the server"),
            "{}",
            r.text
        );
        for leaked in [ADMIN, READ, "root:", "PATH="] {
            assert!(
                !r.text.contains(leaked),
                "{target} leaked `{leaked}`: {}",
                r.text
            );
        }
        let set = format!("/v1/tasks?set=positions%3D{}", target.replace('/', "%2F"));
        let r = api.raw(
            "POST",
            &set,
            Some(SUBMIT),
            Some(("application/yaml", P.as_bytes().to_vec())),
        );
        assert_eq!(r.status, 422, "--set {target}: {}", r.text);
        assert!(!r.text.contains(ADMIN), "{}", r.text);
    }
    // The CSV comes in the request instead, and runs from the task's own copy.
    let csv = "region,x (mm),y (mm)\nA,20,20\nA,20.5,20\nB,30,30\n";
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(SUBMIT),
        Some(json!({"protocol": yaml("plate_positions.csv"), "positions_csv": csv})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    assert_eq!(v["spec"]["plan"]["fovs"], 3, "{}", r.text);
    let dir = PathBuf::from(v["task_dir"].as_str().expect("task dir"));
    assert_eq!(
        std::fs::read_to_string(dir.join("positions.csv")).expect("copy"),
        csv
    );
    // A bad sent CSV is quoted back (it is the client's own text), located.
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(SUBMIT),
        Some(json!({"protocol": yaml("p.csv"), "positions_csv": "region,x (mm),y (mm)\nA,twenty,1\n"})),
    );
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.error().contains("positions_csv"), "{}", r.text);
    // protocol_path is for the Unix socket's trusted peers only.
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"protocol_path": secret})),
    );
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(!r.text.contains(ADMIN), "{}", r.text);
}

#[test]
fn api_tasks_write_only_below_the_output_root() {
    let mut api = Api::new(0.0);
    let root = api.path().join("runs-root");
    std::fs::create_dir_all(root.join("inside")).expect("root");
    let root_s = root.display().to_string();
    api.restart(&["--output-root", &root_s]);
    let submit = |dir: &str| {
        api.raw(
            "POST",
            &format!(
                "/v1/tasks?hold=1&set=output.directory%3D{}",
                dir.replace('/', "%2F")
            ),
            Some(ADMIN),
            Some(("application/yaml", P.as_bytes().to_vec())),
        )
    };
    let outside = api.path().join("elsewhere").display().to_string();
    let link = root.join("link");
    std::os::unix::fs::symlink(api.path(), &link).expect("symlink");
    for bad in [
        outside.as_str(),
        "/tmp",
        &format!("{root_s}/../x"),
        &format!("{}/x", link.display()),
    ] {
        let r = submit(bad);
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert!(r.error().contains("written below"), "{}", r.text);
    }
    let r = submit(&format!("{root_s}/inside/new/{{date}}"));
    assert_eq!(r.status, 201, "{}", r.text);
    // The CLI's own submit is its user's business: no root applies.
    let p = write(api.path(), "p.yaml", P);
    let cli = api.run(&[
        "submit",
        &p,
        "--hold",
        "--set",
        &format!("output.directory={outside}"),
    ]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
}

#[test]
fn long_labels_and_names_are_refused_and_never_break_a_listing() {
    let api = Api::new(0.0);
    let p = write(api.path(), "p.yaml", P);
    let long = "L".repeat(70_000);
    let r = api.run(&["submit", &p, "--label", &long]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the limit is 200"),
        "{}",
        &r.stderr[..r.stderr.len().min(400)]
    );
    assert!(r.stderr.len() < 2000, "the message repeats the label");
    let r = api.run(&["submit", &p, "--set", &format!("name={long}")]);
    assert_eq!(r.code, 2);
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(SUBMIT),
        Some(json!({"protocol": P, "label": long})),
    );
    assert_eq!(r.status, 422, "{}", &r.text[..r.text.len().min(300)]);
    assert!(r.text.len() < 2000);
    let r = api.call(
        "POST",
        "/v1/tasks/1/hold",
        Some(ADMIN),
        Some(json!({"note": long})),
    );
    assert!(matches!(r.status, 404 | 422), "{}", r.status);
    // The longest label allowed lists fine, with --json and without.
    let max = "M".repeat(200);
    assert_eq!(api.run(&["submit", &p, "--hold", "--label", &max]).code, 0);
    let q = api.run(&["queue"]);
    assert_eq!(q.code, 0, "{}", q.stderr);
    assert!(
        q.stdout.lines().all(|l| l.chars().count() < 300),
        "{}",
        q.stdout
    );
    let q = api.run(&["queue", "--json"]);
    assert_eq!(q.json()["tasks"][0]["label"], json!(max));
    assert_eq!(api.call("GET", "/v1/tasks", Some(READ), None).status, 200);
    assert_eq!(api.run(&["history"]).code, 0);
}

/// Random labels, names and `--set` values of random lengths through submit, the listings
/// and the API: nothing panics, and whatever is refused is refused with exit 2 or 422.
#[test]
fn random_submitted_strings_never_panic_anything() {
    let api = Api::new(0.0);
    let p = write(api.path(), "p.yaml", P);
    let mut x = seed() | 1;
    eprintln!("seed {x} (SQUIDCTL_TEST_SEED repeats it)");
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pieces = [
        "a", "é", "🙂", " ", "{", "}", "\t", "%", "|", "-", "0", "\u{202e}",
    ];
    for _ in 0..12 {
        let len = [0, 1, 79, 80, 81, 199, 200, 201, 5000, 70_000][(next() % 10) as usize];
        let text: String = (0..len)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect();
        let which = next() % 3;
        let args: Vec<String> = match which {
            0 => vec!["--label".into(), text.clone()],
            1 => vec!["--set".into(), format!("name=x{text}")],
            _ => vec!["--set".into(), format!("metadata.note={text}")],
        };
        let mut all = vec!["submit", p.as_str(), "--hold"];
        all.extend(args.iter().map(String::as_str));
        let r = api.run(&all);
        assert!(matches!(r.code, 0 | 2), "{which} len {len}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        let body = json!({"protocol": P, "label": text, "hold": true});
        let a = api.call("POST", "/v1/tasks", Some(ADMIN), Some(body));
        assert!(
            matches!(a.status, 201 | 422),
            "{} {}",
            a.status,
            a.text.len()
        );
    }
    for args in [&["queue"][..], &["queue", "--json"], &["history", "--json"]] {
        let r = api.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
    assert_eq!(api.call("GET", "/v1/tasks", Some(READ), None).status, 200);
    assert_eq!(
        api.call("GET", "/v1/microscopes", Some(READ), None).status,
        200
    );
    assert!(rss_mb(api.pid()) < 300.0);
}

#[test]
fn strangers_cannot_exhaust_the_server() {
    let mut api = Api::new(0.0);
    // A service's usual descriptor limit, soft and hard: the cap must come from it.
    api.stop();
    let tf = api.path().join("tokens").display().to_string();
    let mut c = api.cmd(&["serve", "--listen", "127.0.0.1:0", "--token-file", &tf]);
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit only, between fork and exec.
    unsafe {
        c.pre_exec(|| {
            let l = libc::rlimit {
                rlim_cur: 1024,
                rlim_max: 1024,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
            Ok(())
        });
    }
    api.start_cmd(c);
    let addr = api.addr.clone();
    // 600 slowloris connections: a head begun and never finished.
    let mut slow = Vec::new();
    for _ in 0..600 {
        if let Ok(mut s) = TcpStream::connect(&addr) {
            let _ = s.write_all(b"GET /v1/tasks HTTP/1.1\r\nX-Slow: ");
            slow.push(s);
        }
    }
    // 200 unauthenticated 4 MiB bodies, each sent whole.
    let body = vec![b'x'; 4 * 1024 * 1024 - 1];
    let mut bodies = Vec::new();
    for _ in 0..200 {
        if let Ok(mut s) = TcpStream::connect(&addr) {
            let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
            let _ = s.write_all(
                format!(
                    "POST /v1/tasks HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            let _ = s.write_all(&body);
            bodies.push(s);
        }
    }
    // An authenticated client is still served.
    let t = Instant::now();
    let r = api.call("GET", "/v1/tasks", Some(READ), None);
    let took = t.elapsed();
    assert_eq!(r.status, 200, "{}\n{}", r.text, api.log());
    let rss = rss_mb(api.pid());
    eprintln!(
        "600 slow + 200 unauthenticated bodies: authenticated request served in {} ms; server RSS {rss:.0} MB",
        took.as_millis()
    );
    assert!(rss < 300.0, "RSS {rss} MB");
    // A stranger's body got 401 from its head alone.
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.write_all(b"POST /v1/tasks HTTP/1.1\r\nContent-Length: 4000000\r\n\r\n")
        .expect("head");
    let mut answer = String::new();
    let _ = BufReader::new(s).read_line(&mut answer);
    assert!(answer.contains(" 401 "), "{answer}");
    // A head sent a byte at a time is cut off at its deadline, not served for ever.
    let mut drip = TcpStream::connect(&addr).expect("connect");
    drip.set_read_timeout(Some(Duration::from_millis(900)))
        .expect("timeout");
    let t = Instant::now();
    let mut closed = false;
    for b in b"GET /v1/health HTTP/1.1\r\nX-Drip: "
        .iter()
        .cycle()
        .take(60)
    {
        if drip.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        // An answer (408) or the end of the connection: either way it was cut off.
        if let Ok(n) = drip.read(&mut buf) {
            assert!(n == 0 || buf.starts_with(b"HTTP/1.1 408"), "{n}");
            closed = true;
            break;
        }
    }
    assert!(closed, "a dripping head was served for {:?}", t.elapsed());
    drop(slow);
    drop(bodies);
    assert_eq!(api.call("GET", "/v1/health", None, None).status, 200);
}

#[test]
fn twenty_event_streams_of_a_long_log_stay_small() {
    let api = Api::new(0.0);
    let spool = api.spool_dir();
    // 300,000 events (two weeks of a busy queue), written as the log writes them.
    let mut log = String::with_capacity(80 << 20);
    for seq in 1..=300_000u64 {
        log.push_str(&format!(
            "{{\"seq\":{seq},\"time\":\"2026-12-01T00:00:00Z\",\"unix\":1796083200.0,\"microscope\":\"m\",\"task\":{},\"type\":\"task_progress\",\"frames\":{seq},\"region\":\"B2\",\"fov\":3,\"padding\":\"{}\"}}\n",
            seq % 50,
            "p".repeat(60)
        ));
    }
    std::fs::write(spool.join("events.ndjson"), &log).expect("log");
    drop(log);
    let mut api = api;
    api.restart(&[]);
    // Twenty clients from the top, none reading: the server holds what the sockets do.
    let mut idle = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&api.addr).expect("connect");
        s.write_all(
            format!("GET /v1/events HTTP/1.1\r\nAuthorization: Bearer {READ}\r\n\r\n").as_bytes(),
        )
        .expect("send");
        idle.push(s);
    }
    // One reads it all, in order.
    let (got, _) = sse(&api.addr, "/v1/events", None, 300, |g| {
        g.last().is_some_and(|(id, _)| *id == 300_000)
    });
    assert_eq!(got.len(), 300_000);
    assert!(got.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    let rss = rss_mb(api.pid());
    eprintln!("21 event streams of a 300k-event log: server RSS {rss:.0} MB");
    assert!(rss < 300.0, "RSS {rss} MB");
    drop(idle);
}

#[test]
fn small_holes_are_closed() {
    let mut api = Api::new(0.0);
    // A huge long-poll timeout is clamped, not a panic.
    let id = api.submit(ADMIN)["id"].as_u64().expect("id");
    assert_eq!(
        api.call("DELETE", &format!("/v1/tasks/{id}"), Some(ADMIN), None)
            .status,
        200
    );
    for t in ["1e20", "1e308", "18446744073709551616"] {
        let r = api.call(
            "GET",
            &format!("/v1/tasks/{id}/wait?timeout={t}"),
            Some(READ),
            None,
        );
        assert_eq!(r.status, 200, "timeout={t}: {}", r.text);
        assert_eq!(r.json()["ended"], true);
    }
    // Two Content-Lengths: refused (request smuggling).
    let mut s = TcpStream::connect(&api.addr).expect("connect");
    s.write_all(
        format!("POST /v1/queue/hold HTTP/1.1\r\nAuthorization: Bearer {ADMIN}\r\nContent-Length: 2\r\nContent-Length: 0\r\n\r\n{{}}").as_bytes(),
    )
    .expect("send");
    let mut answer = String::new();
    let _ = BufReader::new(s).read_line(&mut answer);
    assert!(answer.contains(" 400 "), "{answer}");
    assert_eq!(api.run(&["queue", "--json"]).json()["held"], false);
    // `--listen unix:PATH` never deletes a file that is not a socket.
    let file = api.path().join("precious.txt");
    std::fs::write(&file, "data").expect("write");
    let r = api.run(&["serve", "--listen", &format!("unix:{}", file.display())]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a socket"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "data");
    if root() {
        // A token file someone else owns could be rewritten by them: refused.
        let tf = api.path().join("tokens");
        // SAFETY: chown of the test's own file.
        let c = std::ffi::CString::new(tf.display().to_string()).expect("path");
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
        let r = api.run(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            &tf.display().to_string(),
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("belongs to uid 65534"), "{}", r.stderr);
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 0, 0) }, 0);
        api.restart(&[]);
    }
}

/// A member of the socket's group through a supplementary group is served; but the server
/// opens no file for a peer that is not its own user.
#[test]
fn the_unix_socket_serves_supplementary_group_members_but_opens_files_only_for_its_user() {
    // The system's Python, which another user can run (a pyenv under /root is not).
    let python = Path::new("/usr/bin/python3");
    if !root() || !python.exists() {
        eprintln!("skipped: needs root to act as another user, and /usr/bin/python3");
        return;
    }
    let mut api = Api::new(0.0);
    api.stop();
    api.start(&[]);
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let sock = api.path().join("run/squidctl.sock");
    for d in [api.path().to_path_buf(), api.path().join("run")] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    write(api.path(), "p.yaml", P);
    let gid = std::fs::metadata(&sock).expect("socket").gid();
    let client = |groups: &str, body: &str| {
        let script = format!(
            "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect({:?})\nb={body:?}.encode()\ns.sendall(b'POST /v1/tasks HTTP/1.1\\r\\nContent-Type: application/json\\r\\nConnection: close\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(b) + b)\nout=b''\nwhile True:\n  c=s.recv(65536)\n  if not c: break\n  out+=c\nsys.stdout.write(out.decode('utf-8','replace'))\n",
            sock.display().to_string()
        );
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534"]);
        if groups.is_empty() {
            c.arg("--clear-groups");
        } else {
            c.arg(format!("--groups={groups}"));
        }
        let o = c
            .arg(python)
            .args(["-c", &script])
            .output()
            .expect("setpriv");
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let by_path = json!({"protocol_path": "p.yaml", "hold": true}).to_string();
    let by_text = json!({"protocol": P, "hold": true}).to_string();
    // A stranger is stopped by the socket's mode (or, failing that, a 403).
    let stranger = client("", &by_text);
    assert!(!stranger.contains(" 201 "), "{stranger}");
    let member = client(&gid.to_string(), &by_text);
    assert!(member.contains(" 201 "), "{member}");
    let member_path = client(&gid.to_string(), &by_path);
    assert!(member_path.contains(" 403 "), "{member_path}");
    assert!(member_path.contains("not yours"), "{member_path}");
}
