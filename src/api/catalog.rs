//! Every route the server answers, in one table: its method, path, scope, body and reply.
//! The router answers only what is listed here (anything else is a 404 or 405 before any
//! route code runs), so a route cannot exist without its entry, and `GET /openapi.json` is
//! generated from this table and from the very body types the routes deserialize.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::routes::{CreateBody, NoteBody, PauseBody};
use super::squid;
use crate::fault::Fault;

/// Who may call it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Open,
    Read,
    Submit,
    Control,
}

/// What a successful reply carries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Json,
    /// JSON, or YAML protocol text (`POST /v1/tasks`).
    JsonOrYaml,
    Text,
    Html,
    Png,
    EventStream,
    WebSocket,
    /// Squid's deferred route: always a 501 fault.
    NotImplemented,
}

pub struct Route {
    pub method: &'static str,
    /// OpenAPI's template: `/v1/tasks/{id}/wait`.
    pub path: &'static str,
    pub scope: Scope,
    pub summary: &'static str,
    /// The body's schema, from the type the route deserializes.
    pub body: Option<fn(&mut SchemaGenerator) -> Schema>,
    pub reply: Reply,
    /// Success statuses.
    pub ok: &'static [u16],
    /// Query parameters: name, JSON type.
    pub query: &'static [(&'static str, &'static str)],
    /// A Squid Core Service route (same path and meaning).
    pub squid: bool,
}

fn body<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

const fn r(method: &'static str, path: &'static str, scope: Scope, summary: &'static str) -> Route {
    Route {
        method,
        path,
        scope,
        summary,
        body: None,
        reply: Reply::Json,
        ok: &[200],
        query: &[],
        squid: false,
    }
}

const MIC: (&str, &str) = ("microscope", "string");

/// The table. Order is the document's.
pub fn routes() -> Vec<Route> {
    use Reply as R;
    use Scope::*;
    let mut all = vec![
        Route {
            reply: R::Html,
            ..r(
                "GET",
                "/",
                Open,
                "the status page (a token or its cookie to see the queue)",
            )
        },
        Route {
            ..r("GET", "/openapi.json", Open, "this document")
        },
        r(
            "GET",
            "/v1/health",
            Open,
            "liveness, version and the microscopes served",
        ),
        Route {
            squid: true,
            ..r("GET", "/v1/healthz", Open, "Squid's liveness check")
        },
        Route {
            squid: true,
            ..r(
                "GET",
                "/v1/system/auth_status",
                Open,
                "whether a token is needed",
            )
        },
        Route {
            reply: R::Text,
            query: &[MIC],
            ..r(
                "GET",
                "/metrics",
                Read,
                "Prometheus metrics of every microscope",
            )
        },
        r(
            "GET",
            "/v1/microscopes",
            Read,
            "the microscopes this server fronts, with their queues",
        ),
        Route {
            query: &[
                MIC,
                ("state", "string"),
                ("status", "string"),
                ("limit", "integer"),
            ],
            ..r("GET", "/v1/tasks", Read, "the queue's tasks")
        },
        Route {
            body: Some(body::<CreateBody>),
            reply: R::JsonOrYaml,
            ok: &[201, 202, 200],
            query: &[
                MIC,
                ("set", "string"),
                ("priority", "integer"),
                ("at", "string"),
                ("expires", "string"),
                ("after", "integer"),
                ("after_ok", "integer"),
                ("hold", "boolean"),
                ("label", "string"),
                ("retries", "integer"),
                ("holder", "string"),
                ("wait", "number"),
            ],
            ..r(
                "POST",
                "/v1/tasks",
                Submit,
                "queue a protocol (JSON or its YAML text) or an action",
            )
        },
        Route {
            reply: R::EventStream,
            query: &[MIC, ("since", "integer"), ("task", "integer")],
            ..r(
                "GET",
                "/v1/events",
                Read,
                "the event log as Server-Sent Events (opens with session_started)",
            )
        },
        Route {
            reply: R::WebSocket,
            ok: &[101],
            query: &[MIC, ("since", "integer"), ("task", "integer")],
            ..r("GET", "/v1/ws", Read, "the event log over a WebSocket")
        },
        Route {
            body: Some(body::<NoteBody>),
            query: &[MIC],
            ..r("POST", "/v1/queue/hold", Control, "hold the whole queue")
        },
        Route {
            body: Some(body::<NoteBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/queue/release",
                Control,
                "release the whole queue",
            )
        },
        Route {
            query: &[MIC],
            ..r(
                "GET",
                "/v1/tasks/{id}",
                Read,
                "one task: spec, status (fault), run",
            )
        },
        Route {
            ok: &[200, 202],
            query: &[MIC, ("now", "boolean")],
            ..r("DELETE", "/v1/tasks/{id}", Control, "cancel a task")
        },
        Route {
            query: &[MIC, ("timeout", "number")],
            ..r(
                "GET",
                "/v1/tasks/{id}/wait",
                Read,
                "wait for a task to end (long poll)",
            )
        },
        Route {
            query: &[MIC],
            ..r(
                "GET",
                "/v1/tasks/{id}/run",
                Read,
                "a task's run: wells, errors, end, free space",
            )
        },
        Route {
            reply: R::Png,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/tasks/{id}/thumbnail.png",
                Read,
                "a task's last saved frame as a PNG",
            )
        },
        Route {
            body: Some(body::<PauseBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/tasks/{id}/pause",
                Control,
                "pause a running task at its next safe point",
            )
        },
        Route {
            query: &[MIC],
            ..r(
                "POST",
                "/v1/tasks/{id}/unpause",
                Control,
                "let a paused task go on",
            )
        },
        Route {
            body: Some(body::<NoteBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/tasks/{id}/hold",
                Control,
                "hold a waiting task",
            )
        },
        Route {
            query: &[MIC],
            ..r(
                "POST",
                "/v1/tasks/{id}/release",
                Control,
                "release a held task",
            )
        },
        Route {
            body: Some(body::<super::routes::MoveBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/tasks/{id}/move",
                Control,
                "reorder a waiting task",
            )
        },
        Route {
            query: &[MIC],
            ..r(
                "GET",
                "/v1/status",
                Read,
                "the instrument's state (as `squidctl status --json`)",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/system/status",
                Read,
                "Squid's status: state, current job, latest fault",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/system/heartbeat",
                Read,
                "cheap liveness with the state",
            )
        },
        Route {
            squid: true,
            query: &[MIC, ("since", "integer"), ("limit", "integer")],
            ..r("GET", "/v1/system/faults", Read, "the fault history")
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/system/version",
                Read,
                "software and API versions",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/system/capabilities",
                Read,
                "channels, travel, camera, named positions",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::ReserveBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/system/reserve",
                Control,
                "reserve the microscope (a lease)",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::ReleaseBody>),
            query: &[MIC],
            ..r("POST", "/v1/system/release", Control, "end the reservation")
        },
        Route {
            squid: true,
            body: Some(body::<squid::StopBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/system/emergency_stop",
                Control,
                "emergency stop: every light off, the run stopped, latched",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "POST",
                "/v1/system/reset",
                Control,
                "clear the emergency stop",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::InitializeBody>),
            ok: &[200, 202],
            query: &[MIC],
            ..r(
                "POST",
                "/v1/system/initialize",
                Control,
                "initialize (home) the instrument",
            )
        },
        Route {
            squid: true,
            reply: R::NotImplemented,
            ok: &[],
            ..r(
                "POST",
                "/v1/system/shutdown",
                Open,
                "not done: stop the service through its manager",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/motion/position",
                Read,
                "the last known stage position",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::HomeBody>),
            ok: &[200, 202],
            query: &[MIC],
            ..r("POST", "/v1/motion/home", Control, "home every axis")
        },
        Route {
            squid: true,
            body: Some(body::<squid::MoveBody>),
            ok: &[200, 202],
            query: &[MIC],
            ..r("POST", "/v1/motion/move", Control, "move the stage")
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/imaging/channels",
                Read,
                "the microscope's channels",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::AcquireBody>),
            ok: &[200, 202],
            query: &[MIC],
            ..r("POST", "/v1/imaging/acquire", Control, "snap one image")
        },
        Route {
            squid: true,
            body: Some(body::<squid::AutofocusBody>),
            ok: &[200, 202],
            query: &[MIC],
            ..r(
                "POST",
                "/v1/autofocus/run",
                Control,
                "run the autofocus once",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::AcquisitionBody>),
            ok: &[202],
            query: &[MIC],
            ..r(
                "POST",
                "/v1/acquisitions",
                Submit,
                "start an acquisition (method, grid, yaml_path or protocol)",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::AcquisitionBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/acquisitions/preflight",
                Read,
                "check an acquisition without starting it",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/methods",
                Read,
                "the stored methods with their estimates",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::MethodBody>),
            ok: &[201],
            query: &[MIC],
            ..r(
                "POST",
                "/v1/methods",
                Submit,
                "store a method (Squid's config or squidctl's protocol)",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/methods/{name}",
                Read,
                "one method: its config, protocol and summary",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::MethodBody>),
            query: &[MIC],
            ..r("PUT", "/v1/methods/{name}", Submit, "replace a method")
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "DELETE",
                "/v1/methods/{name}",
                Submit,
                "delete a method no waiting task uses",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "POST",
                "/v1/methods/{name}/validate",
                Read,
                "preflight a stored method",
            )
        },
        Route {
            squid: true,
            query: &[MIC],
            ..r(
                "GET",
                "/v1/jobs/{job_id}",
                Read,
                "a task as Squid's job (also `last`)",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::AbortBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/jobs/{job_id}/abort",
                Control,
                "cancel a job and wait for it to stop",
            )
        },
        Route {
            squid: true,
            body: Some(body::<squid::StopBody>),
            query: &[MIC],
            ..r(
                "POST",
                "/v1/jobs/{job_id}/emergency_stop",
                Control,
                "emergency stop (as /v1/system/emergency_stop)",
            )
        },
    ];
    // Squid's routes that squidctl answers with a 501 fault saying what to do instead.
    let deferred = |method, path| Route {
        squid: true,
        reply: R::NotImplemented,
        ok: &[],
        ..r(
            method,
            path,
            Open,
            "not done by squidctl: the 501 fault says what to use instead",
        )
    };
    for (m, p) in [
        ("GET", "/v1/sample_formats"),
        ("POST", "/v1/imaging/channel"),
        ("POST", "/v1/imaging/exposure"),
        ("POST", "/v1/imaging/intensity"),
        ("POST", "/v1/imaging/illumination/on"),
        ("POST", "/v1/imaging/illumination/off"),
        ("GET", "/v1/imaging/objectives"),
        ("GET", "/v1/imaging/objective"),
        ("POST", "/v1/imaging/objective"),
        ("POST", "/v1/imaging/live/start"),
        ("POST", "/v1/imaging/live/stop"),
        ("GET", "/v1/autofocus/status"),
        ("POST", "/v1/autofocus/store_reference"),
        ("POST", "/v1/autofocus/correct"),
        ("POST", "/v1/autofocus/acquire_image"),
        ("POST", "/v1/debug/python_exec"),
        ("GET", "/v1/debug/python_exec/status"),
        ("GET", "/v1/debug/settings"),
        ("POST", "/v1/debug/settings"),
    ] {
        all.push(deferred(m, p));
    }
    all
}

/// Whether `path` fits the template (`{x}` matches one non-empty segment).
fn fits(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

/// The route a request is for: `Err(404)` when no path fits, `Err(405)` when one does but
/// not with this method (with the methods it takes).
pub fn find(method: &str, path: &str) -> Result<(), (u16, Vec<&'static str>)> {
    let fitting: Vec<Route> = routes()
        .into_iter()
        .filter(|r| fits(r.path, path))
        .collect();
    if fitting.iter().any(|r| r.method == method) {
        return Ok(());
    }
    if fitting.is_empty() {
        Err((404, Vec::new()))
    } else {
        Err((405, fitting.iter().map(|r| r.method).collect()))
    }
}

/// The OpenAPI 3.1 document.
pub fn openapi() -> Value {
    let mut g = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let fault = g.subschema_for::<Fault>();
    let event = g.subschema_for::<crate::queue::events::QueueEvent>();
    let mut paths = Map::new();
    let error = json!({
        "description": "a fault: `{\"error\": Fault}` (see the fault table); the status is advice",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FaultEnvelope"}}}
    });
    for r in routes() {
        let mut op = Map::new();
        op.insert("summary".into(), r.summary.into());
        let id = format!(
            "{}{}",
            r.method.to_ascii_lowercase(),
            r.path.replace(['/', '.', '{', '}'], "_")
        );
        op.insert("operationId".into(), id.into());
        op.insert(
            "tags".into(),
            json!([if r.squid { "squid" } else { "squidctl" }]),
        );
        if r.scope == Scope::Open {
            op.insert("security".into(), json!([]));
        } else {
            op.insert(
                "description".into(),
                format!(
                    "Needs a token with the `{}` scope.",
                    match r.scope {
                        Scope::Read => "read",
                        Scope::Submit => "submit",
                        _ => "control",
                    }
                )
                .into(),
            );
        }
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|n| {
                json!({"name": n, "in": "path", "required": true,
                       "schema": if n == "id" { json!({"type": "integer", "minimum": 0}) } else { json!({"type": "string"}) }})
            })
            .collect();
        params.extend(r.query.iter().map(
            |(n, t)| json!({"name": n, "in": "query", "required": false, "schema": {"type": t}}),
        ));
        if r.reply == Reply::EventStream {
            params.push(json!({"name": "Last-Event-ID", "in": "header", "required": false, "schema": {"type": "integer"}}));
        }
        if r.method != "GET" {
            params.push(
                json!({"name": "Idempotency-Key", "in": "header", "required": false,
                               "schema": {"type": "string", "minLength": 1, "maxLength": 255}}),
            );
        }
        if !params.is_empty() {
            op.insert("parameters".into(), params.into());
        }
        if let Some(b) = r.body {
            let schema = b(&mut g);
            let mut content = json!({"application/json": {"schema": schema}});
            if r.reply == Reply::JsonOrYaml {
                content["application/yaml"] = json!({"schema": {"type": "string"}});
            }
            op.insert(
                "requestBody".into(),
                json!({"required": false, "content": content}),
            );
        }
        let ok = match r.reply {
            Reply::Json | Reply::JsonOrYaml => {
                json!({"description": "done", "content": {"application/json": {"schema": {"type": "object"}}}})
            }
            Reply::Text => {
                json!({"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}})
            }
            Reply::Html => {
                json!({"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}})
            }
            Reply::Png => {
                json!({"description": "a PNG", "content": {"image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}})
            }
            Reply::EventStream => {
                json!({"description": "Server-Sent Events until the client goes: `id` is the event's `seq`, `event` its `type`, `data` an Event (#/components/schemas/Event)", "content": {"text/event-stream": {"schema": {"type": "string"}}}})
            }
            Reply::WebSocket => {
                json!({"description": "switching to the WebSocket protocol: each text message is an Event (#/components/schemas/Event)"})
            }
            Reply::NotImplemented => Value::Null,
        };
        let mut responses = Map::new();
        if r.reply == Reply::NotImplemented {
            op.insert("x-squidctl-not-implemented".into(), true.into());
            responses.insert(
                "501".into(),
                json!({"description": "not done by squidctl: the fault says what to use instead",
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FaultEnvelope"}}}}),
            );
        }
        for s in r.ok {
            responses.insert(s.to_string(), ok.clone());
        }
        responses.insert("default".into(), error.clone());
        op.insert("responses".into(), responses.into());
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_ascii_lowercase()] = Value::Object(op);
    }
    let mut schemas: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    // One line of the event log, as every stream sends it: the envelope and one typed event.
    // A client must accept a `type` it does not know (a newer squidctl's) and skip it.
    schemas.insert(
        "Event".into(),
        json!({"allOf": [
            {"type": "object", "required": ["seq", "time", "unix", "microscope", "type"],
             "properties": {"seq": {"type": "integer", "minimum": 1}, "time": {"type": "string"},
                            "unix": {"type": "number"}, "microscope": {"type": "string"},
                            "task": {"type": "integer", "minimum": 0}}},
            event,
        ]}),
    );
    schemas.insert(
        "FaultEnvelope".into(),
        json!({"type": "object", "required": ["error"], "properties": {"error": fault}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "squidctl",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The queue, the instrument and Squid Core Service's routes of `squidctl serve`. Every error is `{\"error\": Fault}`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    })
}
