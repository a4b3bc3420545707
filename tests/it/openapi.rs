//! `/openapi.json`: generated from the router's own table and body types, valid OpenAPI 3.1
//! by an independent validator, listing Squid's routes, and fuzzed by schemathesis.

use crate::api::{ADMIN, Api, READ};
use crate::common::*;

#[test]
fn the_openapi_document_is_valid_lists_squids_routes_and_survives_fuzzing() {
    let api = Api::new(0.0);
    let r = api.call("GET", "/openapi.json", None, None);
    assert_eq!(r.status, 200, "open, as Squid's");
    let doc = r.json();
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/v1/healthz",
        "/v1/sample_formats",
        "/v1/system/initialize",
        "/v1/system/reset",
        "/v1/system/status",
        "/v1/system/heartbeat",
        "/v1/system/capabilities",
        "/v1/system/version",
        "/v1/system/auth_status",
        "/v1/system/faults",
        "/v1/system/reserve",
        "/v1/system/release",
        "/v1/system/shutdown",
        "/v1/motion/position",
        "/v1/motion/move",
        "/v1/motion/home",
        "/v1/imaging/channels",
        "/v1/imaging/channel",
        "/v1/imaging/exposure",
        "/v1/imaging/intensity",
        "/v1/imaging/illumination/on",
        "/v1/imaging/illumination/off",
        "/v1/imaging/objectives",
        "/v1/imaging/objective",
        "/v1/imaging/acquire",
        "/v1/imaging/live/start",
        "/v1/imaging/live/stop",
        "/v1/autofocus/run",
        "/v1/autofocus/status",
        "/v1/autofocus/store_reference",
        "/v1/autofocus/correct",
        "/v1/autofocus/acquire_image",
        "/v1/acquisitions/preflight",
        "/v1/acquisitions",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/abort",
        "/v1/jobs/{job_id}/emergency_stop",
        "/v1/methods",
        "/v1/methods/{name}",
        "/v1/methods/{name}/validate",
        "/v1/debug/python_exec",
        "/v1/debug/settings",
        "/v1/events",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    // The body schemas are the routes' own types: an unknown key is refused by both.
    let create = &doc["components"]["schemas"]["CreateBody"];
    assert_eq!(create["additionalProperties"], false, "{create}");
    assert!(doc["components"]["schemas"]["Fault"]["properties"]["scheduler_action"].is_object());
    // Nothing answers that the document does not list.
    let r = api.call("GET", "/v1/nowhere", Some(READ), None);
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_u64()),
        (404, Some(1001))
    );
    let r = api.call("PATCH", "/v1/tasks", Some(ADMIN), None);
    assert_eq!(r.status, 405, "{}", r.text);
    assert!(r.head.contains("Allow: GET, POST"), "{}", r.head);
    let r = api.call("POST", "/v1/imaging/exposure", Some(ADMIN), None);
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_u64()),
        (501, Some(1006))
    );
    // A log with most kinds of event in it: a run to its end, a task cancelled before it
    // ran, the queue held and released, a reservation, the instrument's state changes.
    let p = write(api.path(), "p.yaml", RUN);
    let out = api.path().join("out").display().to_string();
    let set = format!("output.directory={out}");
    assert_eq!(api.run(&["submit", &p, "--set", &set]).code, 0);
    let held = api.run(&["submit", &p, "--hold", "--json"]).json()["task"].clone();
    for args in [
        vec!["move", &*held.to_string(), "--priority", "3"],
        vec!["cancel", &*held.to_string()],
        vec!["hold", "--queue", "--note", "lunch"],
        vec!["release", "--queue"],
        vec!["reserve", "robot", "--ttl", "60s"],
        vec!["reserve", "robot", "--release"],
    ] {
        let r = api.run(&args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
    let _ = api.worker().wait();
    // The independent validator, then every logged event against the document's Event
    // schema, then the fuzzer (its case count and time in the log).
    let out = python_openapi()
        .arg(repo().join("tests/python/openapi_check.py"))
        .arg(format!("http://{}", api.addr()))
        .arg(ADMIN)
        .arg("8")
        .arg(api.path().join("spool/squid-sim/events.ndjson"))
        .output()
        .expect("python");
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "{}{}\nserver: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        api.log()
    );
}
