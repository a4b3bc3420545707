//! The fault model through real paths: the same typed fault (code, category, advice) for the
//! same cause in the API, a command's `--json`, the journal and the queue's history.

use crate::api::{ADMIN, Api, READ, wait_until};
use crate::common::*;

use serde_json::{Value, json};

/// The parts a scheduler branches on.
fn key(f: &Value) -> (Value, Value, Value, Value) {
    (
        f["code"].clone(),
        f["category"].clone(),
        f["scheduler_action"].clone(),
        f["recoverable"].clone(),
    )
}

fn documented(code: u64) -> squidctl::fault::CodeInfo {
    squidctl::fault::Code::from_number(code as u32)
        .unwrap_or_else(|| panic!("code {code} is not in the table"))
        .info()
}

/// A fault as documented: its name, category and advice are its code's row.
fn assert_documented(f: &Value, code: u64, action: &str) {
    assert_eq!(f["code"], code, "{f}");
    let i = documented(code);
    assert_eq!(f["name"], i.name, "{f}");
    assert_eq!(f["category"], i.category.name(), "{f}");
    assert_eq!(f["scheduler_action"], action, "{f}");
    assert_eq!(i.action.name(), action);
    assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
    assert!(f["timestamp"].is_string(), "{f}");
}

#[test]
fn a_bad_protocol_is_the_same_fault_on_the_command_line_and_in_the_api() {
    let api = Api::new(0.0);
    let bad =
        "name: bad\nplate: {format: 96, wells: \"Z99\"}\nchannels: [{name: BF, exposure: 10ms}]\n";
    let p = write(api.path(), "bad.yaml", bad);
    let cli = api.run(&["acquire", &p, "--json"]);
    assert_eq!(cli.code, 2, "{}", cli.stderr);
    let cli = cli.json()["fault"].clone();
    assert_documented(&cli, 2003, "REJECT_PLATE");
    assert_eq!(cli["component"], "protocol");
    assert!(
        cli["detail"]["diagnostics"][0]["message"].is_string(),
        "{cli}"
    );
    let r = api.call(
        "POST",
        "/v1/tasks",
        Some(ADMIN),
        Some(json!({"protocol": bad})),
    );
    assert_eq!(r.status, 422, "{}", r.text);
    let web = r.json()["error"].clone();
    assert_eq!(key(&web), key(&cli), "{web}\n{cli}");
    // A refusal is answered, not kept in the history.
    assert_eq!(web["sequence"], 0);
    let h = api.call("GET", "/v1/system/faults", Some(READ), None);
    assert_eq!(h.json()["faults"], json!([]), "{}", h.text);
}

#[test]
fn an_out_of_range_move_is_invalid_param_2001_everywhere() {
    let api = Api::new(0.0);
    let cli = api.run(&["move", "--x", "500mm", "--json"]);
    assert_eq!(cli.code, 2, "{}", cli.stderr);
    let cli = cli.json()["fault"].clone();
    assert_documented(&cli, 2001, "REJECT_PLATE");
    assert_eq!(cli["component"], "stage.x");
    assert_eq!(cli["detail"]["target_mm"], 500.0);
    let mut w = api
        .cmd(&["worker"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("worker");
    wait_until(30, "the worker serves", || {
        api.call("GET", "/v1/status", Some(READ), None).json()["queue"]["worker"] == true
    });
    for (path, body) in [
        ("/v1/motion/move", json!({"x": 500})),
        (
            "/v1/tasks",
            json!({"action": "move", "parameters": {"x_mm": 500}}),
        ),
    ] {
        let r = api.call("POST", path, Some(ADMIN), Some(body));
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert_eq!(key(&r.json()["error"]), key(&cli), "{path}: {}", r.text);
        assert_eq!(r.json()["error"]["component"], "stage.x");
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(w.id() as i32, libc::SIGTERM) };
    let _ = w.wait();
}

/// A camera that hangs: `acquire --json`, the journal's records, the queued task's status,
/// its end event and the history all carry HARDWARE_TRANSIENT_TIMEOUT for the camera.
#[test]
fn a_hung_camera_is_one_timeout_fault_in_the_run_the_queue_and_the_history() {
    let api = Api::with(|d| microscope(d, 0.0, &["{call: capture, at: 3, kind: hang}"]));
    let p = write(api.path(), "p.yaml", RUN);
    let out = api.path().join("out");
    let o = out.display().to_string();
    let direct = api.run(&["acquire", &p, "--output", &o, "--json"]);
    assert_eq!(direct.code, 4, "{}", direct.stderr);
    let direct = direct.json()["fault"].clone();
    assert_documented(&direct, 4001, "RETRY");
    assert_eq!(direct["component"], "camera");
    assert_eq!(direct["detail"]["step"], "capture");
    let j = journal(&run_dir(&out));
    for kind in ["timeout", "end"] {
        let rec = kinds(&j, kind);
        assert_eq!(key(&rec[0]["fault"]), key(&direct), "{kind}: {}", rec[0]);
    }
    assert_eq!(kinds(&j, "end")[0]["fault"]["detail"]["exit_code"], 4);

    // The same run as a queued task.
    let s = api.run(&[
        "submit",
        &p,
        "--set",
        &format!("output.directory={o}/q"),
        "--json",
    ]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    let id = s.json()["task"].as_u64().expect("task id");
    let mut w = api.worker();
    let _ = w.wait();
    let t = api
        .call("GET", &format!("/v1/tasks/{id}"), Some(READ), None)
        .json();
    let f = &t["status"]["fault"];
    assert_eq!(key(f), key(&direct), "{t}");
    let job = api
        .call("GET", &format!("/v1/jobs/{id}"), Some(READ), None)
        .json();
    assert_eq!(
        (job["outcome"].clone(), key(&job["error"])),
        (json!("FAILURE"), key(&direct))
    );
    let h = api
        .call("GET", "/v1/system/faults", Some(READ), None)
        .json();
    let list = h["faults"].as_array().expect("faults");
    assert_eq!(list.len(), 1, "{h}");
    let seq = list[0]["sequence"].as_u64().expect("sequence");
    assert!(seq > 0);
    assert_eq!(list[0]["detail"]["task"], id);
    assert_eq!(key(&list[0]), key(&direct));
    // The task's end event carries it under the same number; `since` pages past it.
    let ev = api.run(&["events", "--json"]);
    let ended: Vec<Value> = ev
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "task_failed")
        .collect();
    assert_eq!(ended[0]["seq"], seq, "{ended:?}");
    assert_eq!(ended[0]["fault"]["sequence"], seq);
    let after = api.call(
        "GET",
        &format!("/v1/system/faults?since={seq}"),
        Some(READ),
        None,
    );
    assert_eq!(after.json()["faults"], json!([]));
    let cli = api.run(&["faults", "--json"]);
    assert_eq!(cli.json()["sequence"], seq, "{}", cli.stdout);
    let bad = api.call("GET", "/v1/system/faults?since=x", Some(READ), None);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], 2002);
}

#[test]
fn every_code_has_a_row_and_the_cli_prints_them() {
    let r = run(&["faults", "--codes", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), squidctl::fault::Code::ALL.len());
    let cats: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| r["category"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(cats.len(), 8, "every category has codes: {cats:?}");
}

/// A camera error its retries do not clear, under `then: abort`: HARDWARE_FAULT for the
/// camera in `--json`, the journal's abort and end; under `skip-fov` the run completes with
/// errors, ACQUISITION_PARTIAL, and each skip carries the camera's fault.
#[test]
fn a_device_error_is_a_hardware_fault_and_skipped_fields_make_a_partial_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = microscope(
        dir.path(),
        0.0,
        &["{call: capture, at: 3, kind: error, message: sensor fault}"],
    );
    let abort = write(
        dir.path(),
        "abort.yaml",
        &RUN.replace(
            "on_error: {retries: 2, backoff: 10ms}",
            "on_error: {retries: 0, then: abort}",
        ),
    );
    let out = dir.path().join("abort");
    let r = run(&[
        "acquire",
        &abort,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = r.json()["fault"].clone();
    assert_documented(&f, 5001, "ESCALATE_OPERATOR");
    assert_eq!(f["component"], "camera");
    let j = journal(&run_dir(&out));
    assert_eq!(key(&kinds(&j, "abort")[0]["fault"]), key(&f));
    assert_eq!(key(&kinds(&j, "end")[0]["fault"]), key(&f));
    assert_eq!(
        kinds(&j, "step_error")[0]["fault"]["detail"]["step"],
        "capture"
    );
    let skip = write(
        dir.path(),
        "skip.yaml",
        &RUN.replace(
            "on_error: {retries: 2, backoff: 10ms}",
            "on_error: {retries: 0, then: skip-fov}",
        ),
    );
    let out = dir.path().join("skip");
    let r = run(&[
        "acquire",
        &skip,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
        "--json",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_documented(&r.json()["fault"], 6003, "ESCALATE_OPERATOR");
    let j = journal(&run_dir(&out));
    assert_eq!(kinds(&j, "fov_skipped")[0]["fault"]["code"], 5001);
}
