//! `Idempotency-Key`: a scheduler that retries a POST after a network blip creates one task,
//! also across a `serve` restart; the same key with another request is refused.

use crate::api::{ADMIN, Api, P, READ};

use serde_json::json;

#[test]
fn a_retried_post_creates_one_task_even_across_a_restart() {
    let mut api = Api::new(0.0);
    let body = json!({"protocol": P, "label": "plate-7", "hold": true});
    let key = [("Idempotency-Key", "8d3f7c1e-plate-7")];
    let first = api.call_with("POST", "/v1/tasks", ADMIN, &key, body.clone());
    assert_eq!(first.status, 201, "{}", first.text);
    let id = first.json()["id"].clone();
    for _ in 0..9 {
        let again = api.call_with("POST", "/v1/tasks", ADMIN, &key, body.clone());
        assert_eq!(
            (again.status, again.json()["id"].clone()),
            (201, id.clone()),
            "{}",
            again.text
        );
        assert!(
            again
                .head
                .to_ascii_lowercase()
                .contains("idempotent-replayed: true"),
            "{}",
            again.head
        );
        assert!(
            again.head.contains("Location: /v1/tasks/"),
            "{}",
            again.head
        );
    }
    api.restart(&[]);
    let after = api.call_with("POST", "/v1/tasks", ADMIN, &key, body.clone());
    assert_eq!(
        (after.status, after.json()["id"].clone()),
        (201, id),
        "{}",
        after.text
    );
    let tasks = api
        .call("GET", "/v1/tasks?state=held", Some(READ), None)
        .json();
    assert_eq!(tasks["tasks"].as_array().map(Vec::len), Some(1), "{tasks}");
    // The same key for another request is a 422 naming the key; a new key is a new task.
    let other = json!({"protocol": P, "label": "plate-8", "hold": true});
    let r = api.call_with("POST", "/v1/tasks", ADMIN, &key, other.clone());
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], 1010);
    let r = api.call_with(
        "POST",
        "/v1/tasks",
        ADMIN,
        &[("Idempotency-Key", "plate-8")],
        other,
    );
    assert_eq!(r.status, 201);
    // A refusal is an answer too: the same bad request gets the same fault, once.
    let bad = json!({"protocol": "name: x\nchannels: []\n"});
    let k = [("Idempotency-Key", "bad-1")];
    let a = api.call_with("POST", "/v1/tasks", ADMIN, &k, bad.clone());
    let b = api.call_with("POST", "/v1/tasks", ADMIN, &k, bad);
    assert_eq!((a.status, b.status), (422, 422));
    assert_eq!(
        a.json()["error"]["timestamp"],
        b.json()["error"]["timestamp"]
    );
    // A key is at most 255 characters (a UUID is 36).
    let r = api.call_with(
        "POST",
        "/v1/system/reserve",
        ADMIN,
        &[("Idempotency-Key", "x".repeat(300).as_str())],
        json!({"holder": "robot"}),
    );
    assert_eq!(r.status, 400, "{}", r.text);
}
