//! `/metrics` in Prometheus's text format, parsed by Prometheus's own parser, with values
//! matching what `show --json` (run.json), `report --json` and the fault history say.

use crate::api::{Api, READ};
use crate::common::*;

use serde_json::Value;

fn scrape(api: &Api) -> Vec<Value> {
    let r = api.call("GET", "/metrics", Some(READ), None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.head.contains("text/plain; version=0.0.4"), "{}", r.head);
    let mut py = python_httpx()
        .arg(repo().join("tests/python/metrics_parse.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    use std::io::Write;
    py.stdin
        .take()
        .expect("stdin")
        .write_all(r.text.as_bytes())
        .expect("write");
    let out = py.wait_with_output().expect("parse");
    assert!(
        out.status.success(),
        "Prometheus's parser refused it:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        r.text
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("sample"))
        .collect()
}

fn value(samples: &[Value], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][k] == *v))
        .and_then(|s| s["value"].as_f64())
        .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
}

#[test]
fn metrics_parse_and_agree_with_the_queue_the_report_and_the_faults() {
    let api = Api::new(0.0);
    let p = write(api.path(), "p.yaml", RUN);
    let out = api.path().join("out").display().to_string();
    let s = api.run(&[
        "submit",
        &p,
        "--set",
        &format!("output.directory={out}"),
        "--json",
    ]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    let id = s.json()["task"].as_u64().expect("id");
    let held = api.run(&["submit", &p, "--hold", "--json"]).json()["task"].clone();
    assert_eq!(api.run(&["cancel", &held.to_string()]).code, 0);
    let mut w = api.worker();
    let _ = w.wait();
    let t = api.run(&["show", &id.to_string(), "--json"]).json();
    assert_eq!(t["status"]["state"], "completed", "{t}");
    let rd = t["status"]["run_dir"]
        .as_str()
        .expect("run dir")
        .to_string();
    let report = api.run(&["report", &rd, "--json"]).json();
    let m = scrape(&api);
    let mic = [("microscope", "squid-sim")];
    fn with(extra: (&'static str, &'static str)) -> [(&'static str, &'static str); 2] {
        [("microscope", "squid-sim"), extra]
    }
    assert_eq!(
        value(&m, "squidctl_frames_total", &with(("kind", "saved"))),
        t["run"]["counts"]["saved"].as_f64().expect("saved")
    );
    assert_eq!(
        value(&m, "squidctl_frames_total", &with(("kind", "acquired"))),
        24.0
    );
    assert_eq!(
        value(&m, "squidctl_frames_total", &with(("kind", "lost"))),
        0.0
    );
    assert_eq!(
        value(&m, "squidctl_bytes_written_total", &mic),
        report["bytes_written"].as_f64().expect("bytes")
    );
    assert_eq!(
        value(
            &m,
            "squidctl_step_seconds_count",
            &with(("step", "capture"))
        ),
        report["steps"]["capture"]["count"]
            .as_f64()
            .expect("captures"),
    );
    assert_eq!(
        value(
            &m,
            "squidctl_step_seconds_bucket",
            &[mic[0], ("step", "capture"), ("le", "+Inf")]
        ),
        24.0
    );
    assert_eq!(
        value(&m, "squidctl_queue_tasks", &with(("state", "completed"))),
        1.0
    );
    assert_eq!(
        value(&m, "squidctl_queue_tasks", &with(("state", "cancelled"))),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "squidctl_faults_total",
            &with(("category", "ACQUISITION"))
        ),
        1.0
    );
    let history = api
        .call("GET", "/v1/system/faults", Some(READ), None)
        .json();
    assert_eq!(
        history["faults"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
    // One state at a time, the one the API's state says (the same cache).
    let states: Vec<&Value> = m
        .iter()
        .filter(|s| s["name"] == "squidctl_instrument_state")
        .collect();
    assert_eq!(
        states
            .iter()
            .filter_map(|s| s["value"].as_f64())
            .sum::<f64>(),
        1.0,
        "{states:?}"
    );
    let on = states
        .iter()
        .find(|s| s["value"] == 1.0)
        .expect("one state");
    let api_state = api.call("GET", "/v1/status", Some(READ), None).json()["state"].clone();
    let later = scrape(&api);
    let now_on = later
        .iter()
        .find(|s| s["name"] == "squidctl_instrument_state" && s["value"] == 1.0)
        .expect("one state");
    assert!(
        on["labels"]["state"] == api_state || now_on["labels"]["state"] == api_state,
        "{on} {now_on} {api_state}"
    );
    assert_eq!(value(&m, "squidctl_worker_up", &mic), 0.0);
    assert!(value(&m, "squidctl_output_free_bytes", &mic) > 0.0);
    // A second scrape reads on from where the first stopped: the same numbers, not twice.
    let again = scrape(&api);
    assert_eq!(
        value(
            &again,
            "squidctl_step_seconds_count",
            &with(("step", "capture"))
        ),
        value(
            &m,
            "squidctl_step_seconds_count",
            &with(("step", "capture"))
        )
    );
    // Without a token: 401, as every read route.
    assert_eq!(api.call("GET", "/metrics", None, None).status, 401);
}
