//! Methods stored with a microscope's queue and the preflight a scheduler runs before
//! fetching a plate, through the real binary: the command line and the API agree.

use crate::api::{ADMIN, Api, READ};
use crate::common::*;

use serde_json::{Value, json};

const SQUID_CONFIG: &str = "acquisition: {widget_type: wellplate}
sample: {wellplate_format: 96 well plate}
z_stack: {nz: 2, delta_z_mm: 0.002, config: FROM BOTTOM}
time_series: {nt: 1, delta_t_s: 0}
channels: [{name: BF, exposure_time: 5, illumination_intensity: 20}]
autofocus: {contrast_af: false, laser_af: false}
wellplate_scan: {scan_size_mm: 0.1, overlap_percent: 10, wells: \"A1:A2\"}
";

#[test]
fn methods_are_stored_checked_listed_submitted_and_kept_while_used() {
    let api = Api::new(0.0);
    let squid = write(api.path(), "acquisition.yaml", SQUID_CONFIG);
    let ours = write(api.path(), "p.yaml", RUN);
    for (name, file) in [("daily", &squid), ("run", &ours)] {
        let r = api.run(&["methods", "add", name, file, "--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.json()["method"]["estimated_duration_s"].as_f64() > Some(0.0),
            "{}",
            r.stdout
        );
    }
    let l = api.run(&["methods", "list", "--json"]).json();
    let forms: Vec<(Value, Value)> = l["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .map(|m| (m["name"].clone(), m["form"].clone()))
        .collect();
    assert_eq!(
        forms,
        [
            (json!("daily"), json!("squid")),
            (json!("run"), json!("squidctl"))
        ]
    );
    assert_eq!(l["methods"][0]["frames"], 4, "2 wells × 2 planes: {l}");
    // Stored twice is refused, --force replaces; a protocol that does not fit is never stored.
    assert_eq!(api.run(&["methods", "add", "daily", &squid]).code, 1);
    assert_eq!(
        api.run(&["methods", "add", "daily", &squid, "--force"])
            .code,
        0
    );
    let bad = write(
        api.path(),
        "bad.yaml",
        &SQUID_CONFIG.replace("name: BF", "name: UV"),
    );
    let r = api.run(&["methods", "add", "uv", &bad, "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.json()["fault"]["code"], 2003, "{}", r.stdout);
    let r = api.run(&["methods", "add", "../escape", &squid, "--json"]);
    assert_eq!(
        (r.code, r.json()["fault"]["code"].clone()),
        (2, json!(2002))
    );
    assert_eq!(api.run(&["methods", "show", "uv"]).code, 2);
    // Submitted by name with an override; the method stays while a task of it waits.
    let s = api.run(&[
        "submit",
        "--method",
        "daily",
        "--set",
        "plate.wells=B2",
        "--hold",
        "--json",
    ]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    let id = s.json()["task"].as_u64().expect("id");
    let t = api.run(&["show", &id.to_string(), "--json"]).json();
    assert_eq!(t["spec"]["method"], "daily", "{t}");
    assert_eq!(t["spec"]["plan"]["frames"], 2, "one well now: {t}");
    let r = api.run(&["methods", "rm", "daily", "--json"]);
    assert_ne!(r.code, 0);
    assert_eq!(r.json()["fault"]["code"], 1002, "{}", r.stdout);
    let r = api.call("DELETE", "/v1/methods/daily", Some(ADMIN), None);
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (409, json!(1002)),
        "{}",
        r.text
    );
    assert_eq!(api.run(&["cancel", &id.to_string()]).code, 0);
    assert_eq!(api.run(&["methods", "rm", "daily"]).code, 0);
    let r = api.call("GET", "/v1/methods/daily", Some(READ), None);
    assert_eq!(r.status, 404);
    // The API sees the CLI's methods, and the reverse.
    let r = api.call(
        "POST",
        "/v1/methods",
        Some(ADMIN),
        Some(json!({"name": "web", "protocol": RUN})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let shown = api.run(&["methods", "show", "web", "--json"]).json();
    assert_eq!(shown["method"]["frames"], 24, "{shown}");
    let r = api.call("GET", "/v1/methods", Some(READ), None).json();
    assert_eq!(r["methods"].as_array().map(Vec::len), Some(2), "{r}");
}

/// More than the disk holds: the need is the estimate, the free space the output's.
const HUGE: &str = "name: huge
plate: {format: 96, wells: \"A1:H12\"}
fov: {grid: 5x5}
z: {count: 50, step: 1um}
time: {every: 1h, count: 1000}
channels: [{name: BF, exposure: 1ms, intensity: 10%}]
";

#[test]
fn preflight_refuses_a_plate_for_disk_space_the_same_in_the_cli_and_the_api() {
    let api = Api::new(0.0);
    let p = write(api.path(), "huge.yaml", HUGE);
    let r = api.run(&["preflight", &p, "--json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let cli = r.json();
    assert_eq!(cli["ready"], false);
    assert_eq!(cli["faults"][0]["code"], 7004, "{cli}");
    assert_eq!(cli["faults"][0]["scheduler_action"], "PAUSE_INSTRUMENT");
    let disk = &cli["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "disk")
        .cloned()
        .expect("disk check");
    assert!(
        disk["detail"]["need_bytes"].as_u64() > disk["detail"]["free_bytes"].as_u64(),
        "{disk}"
    );
    let web = api
        .call(
            "POST",
            "/v1/acquisitions/preflight",
            Some(READ),
            Some(json!({"protocol": HUGE})),
        )
        .json();
    assert_eq!(web["ok"], false, "{web}");
    assert_eq!(web["faults"][0]["code"], 7004, "{web}");
    // Nothing was queued or made.
    assert_eq!(api.run(&["queue", "--json"]).json()["tasks"], json!([]));
    // A protocol that does not load is the report's first fault, and exit 2.
    let bad = write(api.path(), "bad.yaml", "name: bad\nchannels: []\n");
    let r = api.run(&["preflight", &bad, "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.json()["faults"][0]["code"], 2003);
    // A plate that fits is ready.
    let ok = write(api.path(), "ok.yaml", RUN);
    let r = api.run(&["preflight", &ok]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ready"), "{}", r.stdout);
}

#[test]
fn preflight_refuses_a_laser_autofocus_without_its_calibration() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = dir.path().join("rig.yaml");
    std::fs::copy(repo().join("microscopes/squid-laser-af-emulated.yaml"), &m).expect("copy");
    let p = write(
        dir.path(),
        "af.yaml",
        "name: af\nplate: {format: 96, wells: \"A1\"}\nchannels: [{name: BF, exposure: 10ms, intensity: 10%}]\nautofocus: {method: laser, every: well}\n",
    );
    let m = m.display().to_string();
    let r = Run::from(
        queue_cmd(
            dir.path(),
            &dir.path().join("locks"),
            &m,
            &["preflight", &p, "--json"],
        )
        .output()
        .expect("spawn"),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = &r.json()["faults"][0];
    assert_eq!(
        (f["code"].clone(), f["component"].clone()),
        (json!(8002), json!("autofocus.laser")),
        "{f}"
    );
    assert_eq!(f["scheduler_action"], "ESCALATE_OPERATOR");
}
