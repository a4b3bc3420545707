//! `/v1/ws`: the event log over a WebSocket (Python's `websockets` client), replayed from a
//! sequence number on connect, then live, each event once and in order.

use crate::api::{ADMIN, Api, READ};
use crate::common::*;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;

fn log_seqs(api: &Api, after: u64) -> Vec<u64> {
    api.run(&["events", "--json", "--since", &after.to_string()])
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["seq"].as_u64())
        .collect()
}

fn client(api: &Api, since: u64, stop: &str) -> std::process::Child {
    python_httpx()
        .arg(repo().join("tests/python/ws_client.py"))
        .arg(format!("ws://{}", api.addr()))
        .arg(READ)
        .arg(since.to_string())
        .arg(stop)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python")
}

fn messages(c: std::process::Child) -> Vec<Value> {
    let out = c.wait_with_output().expect("client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON message"))
        .collect()
}

#[test]
fn a_websocket_replays_after_a_disconnect_and_gets_each_event_once_in_order() {
    let api = Api::new(0.0);
    let p = write(api.path(), "p.yaml", RUN);
    for _ in 0..3 {
        assert_eq!(api.run(&["submit", &p, "--hold"]).code, 0);
    }
    assert_eq!(api.run(&["cancel", "1"]).code, 0);
    let all = log_seqs(&api, 0);
    assert!(all.len() >= 4, "{all:?}");
    // First connection: from the start, up to the cancel; then it goes away.
    let first = messages(client(&api, 0, "task_cancelled"));
    assert_eq!(first[0]["type"], "session_started", "{first:?}");
    assert!(first[0]["session_id"].is_string() && first[0]["last_event_id"].is_u64());
    let got: Vec<u64> = first[1..]
        .iter()
        .map(|m| m["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(got, all, "the whole log, in order");
    for m in &first[1..] {
        assert!(
            m["timestamp"].is_string() && m.get("task_id").is_some(),
            "{m}"
        );
        assert_eq!(m["task_id"], m["task"]);
    }
    let seen = *got.last().expect("some");
    // Meanwhile more happens; the client comes back with what it saw and waits for more.
    assert_eq!(api.run(&["cancel", "2"]).code, 0);
    let mut c = client(&api, seen, "task_released");
    // Live events reach it once it is connected: wait for its session_started line.
    let mut lines = BufReader::new(c.stdout.take().expect("stdout")).lines();
    let hello: Value =
        serde_json::from_str(&lines.next().expect("hello").expect("line")).expect("json");
    assert_eq!(hello["type"], "session_started");
    let r = api.call("POST", "/v1/tasks/3/release", Some(ADMIN), None);
    assert_eq!(r.status, 200, "{}", r.text);
    let rest: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.expect("line")).expect("json"))
        .collect();
    let status = c.wait().expect("client");
    assert!(status.success());
    let got: Vec<u64> = rest
        .iter()
        .map(|m| m["seq"].as_u64().expect("seq"))
        .collect();
    let expect: Vec<u64> = log_seqs(&api, seen)
        .into_iter()
        .take_while(|s| *s <= *got.last().unwrap_or(&0))
        .collect();
    assert_eq!(got, expect, "after {seen}: each once, in order");
    assert!(
        rest.iter()
            .any(|m| m["type"] == "task_cancelled" && m["task_id"] == 2)
    );
    // Not an upgrade: 426 naming the headers it needs.
    let r = api.call("GET", "/v1/ws", Some(READ), None);
    assert_eq!(r.status, 426, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], 1003);
}
