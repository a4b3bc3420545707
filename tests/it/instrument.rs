//! The instrument for robots and schedulers, through the real binary on the simulator: actions
//! as queue tasks, the reservation lease, the emergency stop and its reset, one state in the
//! CLI and the API, and Squid's Core Service routes.

use crate::api::{ADMIN, Api, READ, wait_until};
use crate::common::*;

use std::process::{Child, Stdio};

use serde_json::{Value, json};

/// A worker that stays up (the robot's actions come one by one); stopped when dropped.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

fn worker(api: &Api) -> Worker {
    let log = std::fs::File::create(api.path().join("worker.log")).expect("log");
    let w = api
        .cmd(&["worker"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("worker");
    wait_until(30, "the worker serves", || {
        api.call("GET", "/v1/status", Some(READ), None).json()["queue"]["worker"] == true
    });
    Worker(w)
}

fn cli_status(api: &Api) -> Value {
    let r = api.run(&["status", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).expect("status json")
}

/// The API's cached state catches up with the files within its look interval.
fn api_state_becomes(api: &Api, state: &str) {
    wait_until(30, &format!("the API says {state}"), || {
        api.call("GET", "/v1/status", Some(READ), None).json()["state"] == state
    });
}

/// CLI, API and Squid's status route say the same.
fn all_say(api: &Api, state: &str, squid: &str) {
    api_state_becomes(api, state);
    assert_eq!(cli_status(api)["state"], state);
    let s = api
        .call("GET", "/v1/system/status", Some(READ), None)
        .json();
    assert_eq!(s["state"], squid, "{s}");
    assert_eq!(
        api.call("GET", "/v1/system/heartbeat", Some(READ), None)
            .json()["state"],
        squid
    );
}

#[test]
fn a_robots_cycle_reserve_load_scan_run_release() {
    let api = Api::new(0.0);
    let _w = worker(&api);
    all_say(&api, "uninitialized", "UNINITIALIZED");
    // Reserve for the robot; the state says so everywhere.
    let r = api.call(
        "POST",
        "/v1/system/reserve",
        Some(ADMIN),
        Some(json!({"holder": "robot", "ttl_s": 600})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    all_say(&api, "reserved", "RESERVED");
    // Another client's action is refused at once when it asks not to wait.
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"action": "move_stage", "parameters": {"x": 10}, "on_reserved": "refuse"})),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.error().contains("reserved by robot"), "{}", r.text);
    // And from the command line, unless it acts as the holder.
    let r = api.run(&["move", "--to", "loading"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("reserved by robot"), "{}", r.stderr);
    // The robot: to the loading position (Squid's route, a named position)…
    let r = api.call(
        "POST",
        "/v1/motion/move",
        Some(ADMIN),
        Some(json!({"to": "loading", "holder": "robot"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["position"],
        json!({"x_mm": 120.0, "y_mm": 80.0, "z_mm": 1.0})
    );
    // …[plate swap]… then to the scanning position as a native task, waited for.
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"name": "to scan", "action": "move_stage",
                    "parameters": {"position": "scanning"}, "holder": "robot", "wait_s": 60})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.head.contains("Location: /v1/tasks/"), "{}", r.head);
    let t = r.json();
    assert_eq!(t["status"]["state"], "completed", "{t}");
    assert_eq!(t["status"]["result"]["position"]["x_mm"], 14.38);
    // One image, returned as a readable OME-TIFF and a thumbnail.
    let r = api.call(
        "POST",
        "/v1/imaging/acquire",
        Some(ADMIN),
        Some(json!({"channel": "BF", "holder": "robot"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let snap = r.json();
    assert_eq!(snap["shape"], json!([2048, 2048]));
    let path = snap["path"].as_str().expect("path");
    assert!(std::path::Path::new(snap["thumbnail"].as_str().expect("png")).exists());
    let out = python_reader()
        .args([
            "-c",
            "import sys, tifffile; t = tifffile.TiffFile(sys.argv[1]); assert t.is_ome; print(t.series[0].shape)",
            path,
        ])
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The holder's protocol runs; the state is running while it does.
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"protocol": crate::api::P, "holder": "robot"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_u64().expect("id");
    let w = api.wait_task(id);
    assert_eq!(w["state"], "completed", "{w}");
    // Squid's job view of the same task.
    let j = api
        .call("GET", &format!("/v1/jobs/{id}"), Some(READ), None)
        .json();
    assert_eq!(
        (j["state"].clone(), j["outcome"].clone()),
        (json!("COMPLETED"), json!("SUCCESS")),
        "{j}"
    );
    assert_eq!(
        j["progress"]["images_acquired"], j["progress"]["total_images"],
        "{j}"
    );
    assert_eq!(j["progress"]["total_images"], 32);
    // Released: idle again, the same everywhere, and the stage where the robot left it.
    let r = api.call(
        "POST",
        "/v1/system/release",
        Some(ADMIN),
        Some(json!({"holder": "robot"})),
    );
    assert_eq!(
        (r.status, r.json()["released"].clone()),
        (200, json!(true)),
        "{}",
        r.text
    );
    all_say(&api, "idle", "INITIALIZED");
    let p = api
        .call("GET", "/v1/motion/position", Some(READ), None)
        .json();
    assert_eq!(p["x_mm"], 14.38, "{p}");
    // Every step is in the event log, with the state changes pushed.
    let evs =
        std::fs::read_to_string(api.path().join("spool/squid-sim/events.ndjson")).expect("events");
    for kind in [
        "reserved",
        "action_started",
        "reservation_released",
        "instrument_state",
    ] {
        assert!(
            evs.contains(&format!("\"type\":\"{kind}\"")),
            "no {kind} in {evs}"
        );
    }
}

#[test]
fn an_expired_lease_releases_itself_and_the_next_clients_task_starts() {
    let api = Api::new(0.0);
    let _w = worker(&api);
    let r = api.run(&["reserve", "robot", "--ttl", "3s", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Another client's action waits in the queue for the lease…
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"action": "home"})),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.json()["id"].as_u64().expect("id");
    let q = api.run(&["queue", "--json"]);
    assert!(q.stdout.contains("reserved by robot"), "{}", q.stdout);
    // …which nobody renews: it expires, says so, and the task runs.
    let w = api.wait_task(id);
    assert_eq!(w["state"], "completed", "{w}");
    let evs =
        std::fs::read_to_string(api.path().join("spool/squid-sim/events.ndjson")).expect("events");
    assert!(evs.contains("\"type\":\"reservation_expired\""), "{evs}");
    assert!(cli_status(&api)["reservation"].is_null());
}

#[test]
fn without_a_worker_an_action_is_refused_at_once() {
    let api = Api::new(0.0);
    let r = api.call(
        "POST",
        "/v1/motion/move",
        Some(ADMIN),
        Some(json!({"x": 10, "y": 10})),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    let f = &r.json()["error"];
    assert_eq!(
        (f["category"].clone(), f["code"].clone()),
        (json!("PROTOCOL"), json!(1002)),
        "{f}"
    );
    assert!(
        f["message"].as_str().unwrap_or("").contains("no worker"),
        "{f}"
    );
    // A bad value is Squid's INVALID_PARAM; a read-only token may not act.
    let _w = worker(&api);
    let r = api.call(
        "POST",
        "/v1/motion/move",
        Some(ADMIN),
        Some(json!({"x": 500})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["error"]["category"], "INVALID_PARAM");
    let r = api.call("POST", "/v1/motion/move", Some(READ), Some(json!({"x": 5})));
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], 1005);
    // `status=` is `state=`; an unknown value is a 400, never ignored.
    assert_eq!(
        api.call("GET", "/v1/tasks?status=completed", Some(READ), None)
            .status,
        200
    );
    let r = api.call("GET", "/v1/tasks?status=done", Some(READ), None);
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.error().contains("status `done`"), "{}", r.text);
}

#[test]
fn an_emergency_stop_ends_the_run_blocks_everything_until_reset_and_resume_continues() {
    let api = Api::new(1.0);
    let _w = worker(&api);
    let id = api.submit(ADMIN)["spec"]["id"].as_u64().expect("id");
    wait_until(60, "the run saves a frame", || {
        api.call("GET", &format!("/v1/tasks/{id}/run"), Some(READ), None)
            .json()["frames"]
            .as_u64()
            .is_some_and(|f| f >= 2)
    });
    let r = api.run(&["stop", "--now", "--reason", "door opened", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s: Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(s["emergency_stop"]["signalled"].is_u64(), "{s}");
    let w = api.wait_task(id);
    assert_eq!(w["state"], "cancelled", "{w}");
    let rd = std::path::PathBuf::from(w["run_dir"].as_str().expect("run dir"));
    let j = journal(&rd);
    let e = kinds(&j, "emergency_stop");
    assert_eq!(e.len(), 1, "{j:?}");
    assert_eq!(e[0]["lights_off_confirmed"], true);
    let end = kinds(&j, "end");
    assert!(
        end[0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("emergency stop"),
        "{end:?}"
    );
    all_say(&api, "error", "ERROR");
    assert!(
        cli_status(&api)["latest_fault"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("door opened")
    );
    // Nothing starts: not a queued task, not an action, not a run by hand.
    let next = api.submit(ADMIN)["spec"]["id"].as_u64().expect("id");
    let r = api.run(&["home"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("emergency-stopped"), "{}", r.stderr);
    let r = api.run(&["resume", rd.to_str().expect("utf-8")]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert_eq!(
        api.call("GET", &format!("/v1/tasks/{next}"), Some(READ), None)
            .json()["status"]["state"],
        "queued"
    );
    // Reset: the queue goes on, and the stopped run is resumed to the end.
    let r = api.call("POST", "/v1/system/reset", Some(ADMIN), None);
    assert_eq!(r.status, 200, "{}", r.text);
    let w = api.wait_task(next);
    assert_eq!(w["state"], "completed", "{w}");
    let r = api.run(&["resume", rd.to_str().expect("utf-8"), "--wait-lock"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = api.run(&["verify", rd.to_str().expect("utf-8")]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

/// A client written only from Squid's Core Service document (`tests/python/squid_client.py`,
/// httpx) runs against `squidctl serve` with nothing changed but the base URL and token.
#[test]
fn a_client_written_from_squids_document_works_unchanged() {
    let api = Api::new(0.0);
    let _w = worker(&api);
    let out = python_httpx()
        .arg(repo().join("tests/python/squid_client.py"))
        .arg(format!("http://{}", api.addr()))
        .arg(ADMIN)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}{}\nserver: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        api.log()
    );
}

/// The robot's cycle on the emulated board at the shipped speeds: the moves end where the
/// description's positions say (the board's own position), the holder's protocol runs, and
/// no light is left on.
#[test]
fn a_robots_cycle_on_the_emulated_board() {
    let board = McuProcess::start(&[]);
    let api = Api::with(|d| board.shipped_microscope(d, "2s"));
    let _w = worker(&api);
    let r = api.call(
        "POST",
        "/v1/system/reserve",
        Some(ADMIN),
        Some(json!({"holder": "robot", "ttl_s": 900})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let to = |name: &str| {
        let r = api.call(
            "POST",
            "/v1/motion/move",
            Some(ADMIN),
            Some(json!({"to": name, "holder": "robot"})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["position"].clone()
    };
    let p = to("loading");
    assert!(
        (p["x_mm"].as_f64().unwrap_or(0.0) - 110.0).abs() < 0.001,
        "{p}"
    );
    let p = to("scanning");
    assert!(
        (p["y_mm"].as_f64().unwrap_or(0.0) - 11.24).abs() < 0.001,
        "{p}"
    );
    let one_well = "name: robot\nplate: {format: 96, wells: \"B2\"}\nchannels:\n  - {name: GFP, exposure: 20ms, intensity: 20%}\n";
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"protocol": one_well, "holder": "robot"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_u64().expect("id");
    let w = api
        .call(
            "GET",
            &format!("/v1/tasks/{id}/wait?timeout=300"),
            Some(READ),
            None,
        )
        .json();
    assert_eq!(w["state"], "completed", "{w}");
    let r = api.call(
        "POST",
        "/v1/system/release",
        Some(ADMIN),
        Some(json!({"holder": "robot"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    all_say(&api, "idle", "INITIALIZED");
    let lit: Vec<_> = light_intervals(&board.events())
        .into_iter()
        .filter(|i| i.2.is_none())
        .collect();
    assert!(lit.is_empty(), "left on: {lit:?}");
}
