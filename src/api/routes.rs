//! The `/v1` routes: each a thin wrapper over what the CLI verb calls (the spool, the queue
//! verbs, the submit core, the listing), so the API and the CLI see and change the same
//! queue with the same words.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Grant, Scopes};
use super::http::{Request, Response};
use super::run_view::RunViews;
use super::stream::Hub;
use crate::diagnostic::SourceFile;
use crate::fault::{Code, Fault};
use crate::protocol::{Files, LoadedProtocol};
use crate::queue::spool::{Spool, SpoolError};
use crate::queue::submit::{Refused, Request as SubmitRequest};
use crate::queue::task::{PauseAt, State, Submitter};
use crate::queue::verbs::{self, Changed, Place};
use crate::session::Loaded;

/// One microscope this server fronts.
pub struct Microscope {
    pub spool: Spool,
    /// Its description file (`None`: the built-in simulated microscope).
    pub file: Option<PathBuf>,
    pub hub: Arc<Hub>,
    /// The instrument's state, kept fresh by its own thread: polling it is free.
    pub state: Arc<super::state_cache::StateCache>,
}

pub struct Ctx {
    pub microscopes: Vec<Microscope>,
    /// Where tasks submitted through the API start (like a `submit` from there).
    pub cwd: PathBuf,
    pub heartbeat: Duration,
    pub views: RunViews,
    /// API tasks' runs are written below this directory only (`serve --output-root`).
    pub output_root: PathBuf,
    /// Answers kept for clients that send `Idempotency-Key`.
    pub(super) idempotency: super::idempotency::Store,
    pub(super) metrics: super::metrics::Metrics,
}

/// How messages name what a request sent.
const SENT_PROTOCOL: &str = "<request>";
const SENT_CSV: &str = "<request positions_csv>";

/// What a route answers: a whole response, or an event stream the connection carries on.
pub enum Reply {
    Done(Response),
    Events {
        hub: Arc<Hub>,
        since: u64,
        task: Option<u64>,
        /// Squid's `session_started`, the stream's first message.
        hello: Value,
        /// A WebSocket's `Sec-WebSocket-Key`; `None`: Server-Sent Events.
        websocket: Option<String>,
    },
}

/// This server's session, as Squid's streams name it: a new one at each start.
fn session_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        format!(
            "{}-{}",
            std::process::id(),
            crate::clock::WallTime::now().unix_s as u64
        )
    })
}

impl From<Response> for Reply {
    fn from(r: Response) -> Reply {
        Reply::Done(r)
    }
}

/// How long a long poll may be asked to wait.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(3600);

pub(super) fn spool_error(e: SpoolError) -> Response {
    let component = if matches!(e, SpoolError::Io(_)) {
        "spool"
    } else {
        "queue"
    };
    Response::fault(&e.fault(component))
}

/// 401 without a grant, 403 with one that lacks the scope `name`.
fn need(
    grant: Option<&Grant>,
    scope: fn(&Scopes) -> bool,
    name: &str,
    what: &str,
) -> Result<(), Response> {
    match grant {
        None => Err(Response::error(
            401,
            format!(
                "{what} needs a token with the `{name}` scope: send `Authorization: Bearer TOKEN`"
            ),
        )
        .with("WWW-Authenticate", "Bearer realm=\"squidctl\"")),
        Some(g) if !scope(&g.scopes) => Err(Response::error(
            403,
            format!(
                "{what} needs the `{name}` scope; this token has: {}",
                g.scopes.names().join(", ")
            ),
        )),
        Some(_) => Ok(()),
    }
}

pub(super) fn read(grant: Option<&Grant>, what: &str) -> Result<(), Response> {
    need(grant, |s| s.read, "read", what)
}

pub(super) fn need_submit(grant: Option<&Grant>) -> Result<(), Response> {
    need(grant, |s| s.submit, "submit", "submitting a task")
}

pub(super) fn control(grant: Option<&Grant>, what: &str) -> Result<(), Response> {
    need(grant, |s| s.control, "control", what)
}

/// How the event log and the task name the caller.
pub(super) fn who(grant: Option<&Grant>) -> String {
    grant.map_or("api".into(), |g| g.who.clone())
}

/// A query flag: present empty, `1` or `true`.
pub(super) fn flag(v: Option<&str>) -> bool {
    matches!(v, Some("" | "1" | "true"))
}

impl Ctx {
    pub(super) fn microscope(
        &self,
        req: &Request,
        body: Option<&str>,
    ) -> Result<&Microscope, Response> {
        let Some(name) = body.or(req.param("microscope")) else {
            return self
                .microscopes
                .first()
                .ok_or_else(|| Response::error(500, "this server fronts no microscope"));
        };
        self.microscopes
            .iter()
            .find(|m| m.spool.microscope == name)
            .ok_or_else(|| {
                Response::error(
                    404,
                    format!(
                        "no microscope `{name}` here: this server serves {}",
                        self.microscopes
                            .iter()
                            .map(|m| m.spool.microscope.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn route(&self, req: &Request, grant: Option<&Grant>, unix: bool) -> Reply {
        // Only what the catalog lists is a route (and is in /openapi.json).
        match super::catalog::find(&req.method, &req.path) {
            Ok(()) => {}
            Err((404, _)) => {
                return Response::error(
                    404,
                    format!(
                        "no route {} {}: /openapi.json lists them",
                        req.method,
                        crate::human::clip(&req.path, 120)
                    ),
                )
                .into();
            }
            Err((status, allowed)) => {
                return Response::error(
                    status,
                    format!(
                        "{} {} is not a route: it takes {}",
                        req.method,
                        crate::human::clip(&req.path, 120),
                        allowed.join(", ")
                    ),
                )
                .with("Allow", allowed.join(", "))
                .into();
            }
        }
        let reply = self.route_idempotent(req, grant, unix);
        // A change made here is in the state the next read gets (strangers change nothing).
        if req.method != "GET" && grant.is_some() {
            for m in &self.microscopes {
                m.state.refresh(&m.spool);
            }
        }
        reply
    }

    /// A request that changes something and carries `Idempotency-Key` is answered once:
    /// again with the same key, the first answer comes back and nothing is done twice.
    fn route_idempotent(&self, req: &Request, grant: Option<&Grant>, unix: bool) -> Reply {
        use super::idempotency::{Begin, Store};
        let (Some(g), true) = (
            grant,
            matches!(req.method.as_str(), "POST" | "PUT" | "DELETE" | "PATCH"),
        ) else {
            return self.route_one(req, grant, unix);
        };
        let key = match Store::key(req) {
            Ok(Some(k)) => k,
            Ok(None) => return self.route_one(req, grant, unix),
            Err(r) => return r.into(),
        };
        match self.idempotency.begin(key, &g.who, req) {
            Err(r) => r.into(),
            Ok(Begin::Done(r)) => r.into(),
            Ok(Begin::New(file)) => {
                let reply = self.route_one(req, grant, unix);
                match &reply {
                    Reply::Done(r) => self.idempotency.finish(&file, r),
                    // A stream is not an answer to keep.
                    Reply::Events { .. } => self.idempotency.forget(&file),
                }
                reply
            }
        }
    }

    fn route_one(&self, req: &Request, grant: Option<&Grant>, unix: bool) -> Reply {
        if let Some(r) = self.squid_route(req, grant, unix) {
            return Reply::Done(r);
        }
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let m = req.method.as_str();
        let r: Result<Reply, Response> = (|| match (m, parts.as_slice()) {
            ("GET", ["v1", "health"]) => Ok(self.health().into()),
            ("GET", ["openapi.json"]) => Ok(Response::json(200, &super::catalog::openapi()).into()),
            ("GET", ["metrics"]) => {
                read(grant, "the metrics")?;
                Ok(Response::bytes(
                    200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    self.metrics.render(&self.microscopes).into_bytes(),
                )
                .into())
            }
            ("GET", ["v1", "microscopes"]) => {
                read(grant, "listing microscopes")?;
                Ok(self.microscopes_json().into())
            }
            ("GET", ["v1", "tasks"]) => {
                read(grant, "listing tasks")?;
                self.list(req).map(Reply::from)
            }
            ("POST", ["v1", "tasks"]) => {
                need_submit(grant)?;
                self.create(req, grant, unix).map(Reply::from)
            }
            ("GET", ["v1", stream @ ("events" | "ws")]) => {
                read(grant, "the event stream")?;
                let websocket = match *stream {
                    "ws" => Some(super::websocket::handshake_key(req)?),
                    // An upgrade sent here would otherwise wait for an SSE reply it cannot read.
                    _ if req
                        .header("upgrade")
                        .is_some_and(|u| u.eq_ignore_ascii_case("websocket")) =>
                    {
                        return Err(Response::fault_as(
                            400,
                            &Fault::new(
                                Code::SchemaViolation,
                                "/v1/events is Server-Sent Events, not a WebSocket: connect WebSockets to /v1/ws",
                            )
                            .component("api"),
                        ));
                    }
                    _ => None,
                };
                let mic = self.microscope(req, None)?;
                let since = req
                    .header("last-event-id")
                    .or(req.param("since"))
                    .map(|s| {
                        s.parse::<u64>().map_err(|_| {
                            Response::error(
                                400,
                                format!("since / Last-Event-ID `{s}`: not an event number"),
                            )
                        })
                    })
                    .transpose()?
                    .unwrap_or(0);
                let task = self.task_param(req)?;
                let hello = json!({
                    "session_id": session_id(),
                    "current_state": mic.state.get()["squid_state"],
                    "last_event_id": crate::queue::events::last(&mic.spool.events_path()),
                });
                Ok(Reply::Events {
                    hub: mic.hub.clone(),
                    since,
                    task,
                    hello,
                    websocket,
                })
            }
            ("POST", ["v1", "queue", verb @ ("hold" | "release")]) => {
                control(grant, "holding or releasing the queue")?;
                let mic = self.microscope(req, None)?;
                let body: NoteBody = json_body(req)?;
                let held = *verb == "hold";
                let msg = verbs::hold_queue(&mic.spool, held, body.note.clone(), &who(grant))
                    .map_err(spool_error)?;
                Ok(Response::json(
                    200,
                    &json!({"microscope": mic.spool.microscope, "held": held, "note": body.note, "message": msg}),
                )
                .into())
            }
            (_, ["v1", "tasks", id, rest @ ..]) => {
                let id: u64 = id.parse().map_err(|_| {
                    Response::error(404, format!("`{id}` is not a task id (a number)"))
                })?;
                let mic = self.microscope(req, None)?;
                self.task_route(m, id, rest, &mic.spool, req, grant)
            }
            ("GET" | "POST" | "DELETE", _) => Err(Response::error(
                404,
                format!("no route {} {}: see the README's API section", m, req.path),
            )),
            _ => Err(Response::error(
                405,
                format!("{m} {} is not a route of this server", req.path),
            )),
        })();
        r.unwrap_or_else(Reply::Done)
    }

    fn task_route(
        &self,
        m: &str,
        id: u64,
        rest: &[&str],
        spool: &Spool,
        req: &Request,
        grant: Option<&Grant>,
    ) -> Result<Reply, Response> {
        let reply = |c: Changed, status: u16| -> Result<Reply, Response> {
            Ok(Response::json(
                status,
                &json!({"task": id, "state": c.status.state, "note": c.status.note, "message": c.message}),
            )
            .into())
        };
        let changed = |r: Result<Changed, SpoolError>| reply(r.map_err(spool_error)?, 200);
        // The task's run directory, or 404 saying why there is none yet.
        let run_dir = || -> Result<(PathBuf, bool), Response> {
            let t = spool.task(id).map_err(spool_error)?;
            match t.status.run_dir {
                Some(d) => Ok((d, t.status.state.active())),
                None => Err(Response::error(
                    404,
                    format!("task {id} has no run yet ({})", t.status.state.name()),
                )),
            }
        };
        match (m, rest) {
            ("GET", []) => {
                read(grant, "reading a task")?;
                let t = spool.task(id).map_err(spool_error)?;
                Ok(Response::json(200, &crate::queue::view::task_json(spool, &t)).into())
            }
            ("DELETE", []) => {
                control(grant, "cancelling a task")?;
                let c = verbs::cancel(spool, id, flag(req.param("now"))).map_err(spool_error)?;
                // A task that had not started is over; a running one stops at a safe point.
                let status = if c.status.state == State::Cancelled {
                    200
                } else {
                    202
                };
                reply(c, status)
            }
            ("GET", ["wait"]) => {
                read(grant, "waiting for a task")?;
                Ok(self.wait(spool, id, req)?.into())
            }
            ("GET", ["run"]) => {
                read(grant, "reading a task's run")?;
                let (dir, live) = run_dir()?;
                let v = super::run_view::view(&self.views, &dir, live)
                    .map_err(|e| Response::error(500, e))?;
                Ok(Response::json(200, &v).into())
            }
            ("GET", ["thumbnail.png"]) => {
                read(grant, "a task's thumbnail")?;
                let (dir, _) = run_dir()?;
                match super::run_view::thumbnail(&self.views, &dir) {
                    Ok(Some((frame, png))) => Ok(Response::bytes(200, "image/png", png)
                        .with("X-Squidctl-Frame", frame)
                        .into()),
                    Ok(None) => Err(Response::error(
                        404,
                        format!("task {id} has saved no file yet"),
                    )),
                    Err(e) => Err(Response::error(500, e)),
                }
            }
            ("POST", [verb]) => {
                control(grant, &format!("{verb} of a task"))?;
                match *verb {
                    "pause" => {
                        let b: PauseBody = json_body(req)?;
                        changed(verbs::pause(
                            spool,
                            id,
                            b.at.unwrap_or(PauseAt::Fov),
                            b.reason,
                        ))
                    }
                    "unpause" => changed(verbs::unpause(spool, id)),
                    "hold" => {
                        let b: NoteBody = json_body(req)?;
                        changed(verbs::hold(spool, id, b.note))
                    }
                    "release" => changed(verbs::release(spool, id)),
                    "move" => {
                        let b: MoveBody = json_body(req)?;
                        changed(verbs::move_(spool, id, b.place()?))
                    }
                    other => Err(Response::error(
                        404,
                        format!("no verb `{other}`: pause, unpause, hold, release, move"),
                    )),
                }
            }
            _ => Err(Response::error(404, format!("no route {m} {}", req.path))),
        }
    }

    fn task_param(&self, req: &Request) -> Result<Option<u64>, Response> {
        req.param("task")
            .map(|t| {
                t.parse::<u64>()
                    .map_err(|_| Response::error(400, format!("task `{t}`: not a task id")))
            })
            .transpose()
    }

    fn health(&self) -> Response {
        Response::json(
            200,
            &json!({
                "ok": true,
                "version": env!("CARGO_PKG_VERSION"),
                "microscopes": self.microscopes.iter().map(|m| m.spool.microscope.clone()).collect::<Vec<_>>(),
            }),
        )
    }

    fn microscopes_json(&self) -> Response {
        let list: Vec<Value> = self
            .microscopes
            .iter()
            .map(|m| {
                let alive = m.spool.worker_alive();
                let tasks = m.spool.tasks();
                let count =
                    |f: &dyn Fn(State) -> bool| tasks.iter().filter(|t| f(t.status.state)).count();
                let q = m.spool.queue_status();
                json!({
                    "name": m.spool.microscope,
                    "description_file": m.file,
                    "worker": m.spool.worker_info().filter(|_| alive),
                    "held": q.held,
                    "held_note": q.note,
                    "running": tasks.iter().find(|t| t.status.state.active()).map(|t| t.spec.id),
                    "queued": count(&|s| !s.terminal() && !s.active()),
                    "ended": count(&|s| s.terminal()),
                    "event_clients": m.hub.clients(),
                    "last_event": crate::queue::events::last(&m.spool.events_path()),
                })
            })
            .collect();
        Response::json(200, &json!({"microscopes": list}))
    }

    fn list(&self, req: &Request) -> Result<Response, Response> {
        let mut filter = Vec::new();
        // `status=` is the seeds' clients' word for it.
        let asked: Vec<(&String, &str)> = req
            .query
            .iter()
            .filter(|(k, _)| k == "state" || k == "status")
            .flat_map(|(k, v)| v.split(',').map(move |s| (k, s)))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        for (key, s) in asked {
            use clap::ValueEnum;
            // The names the API itself prints (`completed_with_errors`), or the CLI's.
            let named = State::value_variants()
                .iter()
                .find(|v| v.name() == s)
                .copied();
            filter.push(
                named
                    .map_or_else(|| State::from_str(s, true), Ok)
                    .map_err(|_| {
                        Response::error(
                            400,
                            format!(
                                "{key} `{}`: one of {}",
                                crate::human::clip(s, 40),
                                State::value_variants()
                                    .iter()
                                    .map(|v| v.name())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?,
            );
        }
        let mic = self.microscope(req, None)?;
        let (v, _) = crate::queue::view::listing(&mic.spool, &filter, false);
        Ok(Response::json(200, &v))
    }

    fn wait(&self, spool: &Spool, id: u64, req: &Request) -> Result<Response, Response> {
        let timeout = match req.param("timeout") {
            None => Duration::from_secs(600),
            // Clamped before it becomes a Duration, which panics on 1e20 seconds.
            Some(t) => Duration::from_secs_f64(
                t.parse::<f64>()
                    .ok()
                    .filter(|t| t.is_finite() && *t >= 0.0)
                    .ok_or_else(|| {
                        Response::error(
                            400,
                            format!("timeout `{}`: seconds, e.g. 600", crate::human::clip(t, 40)),
                        )
                    })?
                    .min(MAX_WAIT.as_secs_f64()),
            ),
        };
        let st = spool
            .wait_ended(&[id], Some(timeout))
            .map_err(spool_error)?
            .remove(0);
        let ended = st.state.terminal();
        Ok(Response::json(
            200,
            &json!({
                "task": id, "ended": ended, "state": st.state,
                "exit_code": st.exit_code.filter(|_| ended),
                "run_dir": st.run_dir, "note": st.note,
            }),
        ))
    }

    fn create(
        &self,
        req: &Request,
        grant: Option<&Grant>,
        unix: bool,
    ) -> Result<Response, Response> {
        // JSON when it says so, or when it says nothing useful (curl's form default) and
        // looks like JSON; otherwise the body is the protocol's YAML.
        let json_type = match req.header("content-type") {
            Some(t) if t.starts_with("application/json") => true,
            None | Some("application/x-www-form-urlencoded") => req
                .body
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'{'),
            Some(_) => false,
        };
        let body: CreateBody = if json_type {
            json_body(req)?
        } else {
            // A YAML body is the protocol; the choices come in the query.
            let text = String::from_utf8(req.body.clone())
                .map_err(|_| Response::error(422, "the protocol is not UTF-8 text"))?;
            CreateBody::from_query(req, text)?
        };
        body.check_lengths()?;
        if let Some(name) = &body.action {
            return self.create_action(req, grant, name, &body);
        }
        let (mic, task) = self.submit_protocol(req, grant, unix, &body)?;
        let id = task.spec.id;
        Ok(
            Response::json(201, &crate::queue::view::task_json(&mic.spool, &task)).with(
                "Location",
                format!("/v1/tasks/{id}?microscope={}", mic.spool.microscope),
            ),
        )
    }

    /// Queue the protocol a request sent (its text, or on the Unix socket its path).
    pub(super) fn submit_protocol(
        &self,
        req: &Request,
        grant: Option<&Grant>,
        unix: bool,
        body: &CreateBody,
    ) -> Result<(&Microscope, crate::queue::task::Task), Response> {
        let (mic, loaded, protocol_file) = self.load_protocol(req, grant, unix, body)?;
        self.submit_loaded(mic, grant, body, &loaded, protocol_file)
    }

    /// The protocol a request names, checked against its microscope: its text (squidctl's
    /// YAML or Squid's acquisition configuration), a stored method, or on the Unix socket
    /// a file's path.
    pub(super) fn load_protocol(
        &self,
        req: &Request,
        grant: Option<&Grant>,
        unix: bool,
        body: &CreateBody,
    ) -> Result<(&Microscope, Loaded, String), Response> {
        let mic = self.microscope(req, body.microscope.as_deref())?;
        let microscope =
            crate::hardware::load(mic.file.as_deref()).map_err(|d| invalid_microscope(&d))?;
        if let Some(name) = &body.method {
            let l = crate::queue::methods::loaded(&mic.spool, name, &microscope, &body.set)
                .map_err(|f| Response::fault(&f))?;
            return Ok((mic, l, format!("method {name}")));
        }
        // Squid's acquisition configuration, sent or named: converted, then checked. `None`:
        // the text is squidctl's protocol.
        let squid = |text: &str, what: &str| -> Option<Result<Loaded, Response>> {
            use crate::queue::methods::{Source, load_source};
            let Source::Squid(config) = Source::from_text(text.to_string(), self.cwd.clone())
            else {
                return None;
            };
            let name = crate::human::clip(what, 60).to_string();
            Some(
                load_source(&name, &Source::Squid(config), &microscope, &body.set)
                    .map(|(l, _)| l)
                    .map_err(|f| Response::fault(&f)),
            )
        };
        match (&body.protocol, &body.protocol_path) {
            (Some(text), None) => {
                let label = body.label.as_deref().unwrap_or("squid");
                if let Some(l) = squid(text, label) {
                    return Ok((mic, l?, SENT_PROTOCOL.into()));
                }
            }
            (None, Some(p)) => {
                if let Err(m) = super::auth::may_open_files(grant.and_then(|g| g.uid)) {
                    return Err(Response::error(if unix { 403 } else { 422 }, m));
                }
                let path = self.cwd.join(p);
                // Squid names the file `acquisition.yaml` in the experiment's folder.
                let stem = path
                    .file_stem()
                    .map_or("squid".into(), |s| s.to_string_lossy().to_string());
                let stem = if stem == "acquisition" {
                    path.parent()
                        .and_then(|d| d.file_name())
                        .map_or(stem.clone(), |d| d.to_string_lossy().to_string())
                } else {
                    stem
                };
                let name: String = stem
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                if let Ok(text) = std::fs::read_to_string(&path)
                    && let Some(l) = squid(&text, &name)
                {
                    return Ok((mic, l?, path.display().to_string()));
                }
            }
            _ => {}
        }
        let (protocol, protocol_file) = match (&body.protocol, &body.protocol_path) {
            (Some(text), None) => {
                // The protocol and its CSV come in the request: the server opens no file
                // the protocol names, and every message quotes only what was sent.
                let csv = body
                    .positions_csv
                    .as_ref()
                    .map(|t| SourceFile::new(SENT_CSV, t.clone()));
                (
                    LoadedProtocol::from_source(
                        SourceFile::new(SENT_PROTOCOL, text.clone()),
                        self.cwd.clone(),
                        &body.set,
                    )
                    .map(|mut p| {
                        p.files = Files::Sent(csv);
                        p
                    }),
                    SENT_PROTOCOL.to_string(),
                )
            }
            (None, Some(p)) => {
                // Only a Unix socket peer has a uid.
                if let Err(m) = super::auth::may_open_files(grant.and_then(|g| g.uid)) {
                    return Err(Response::error(if unix { 403 } else { 422 }, m));
                }
                if body.positions_csv.is_some() {
                    return Err(Response::error(
                        422,
                        "positions_csv goes with `protocol` (the text), not with protocol_path",
                    ));
                }
                // Joined to an absolute directory, so never `-` (the server's stdin).
                let path = self.cwd.join(p).display().to_string();
                (LoadedProtocol::load(&path, &body.set), path)
            }
            _ => {
                return Err(Response::error(
                    422,
                    "give the protocol: its YAML text as `protocol` (or, on the Unix socket, `protocol_path`)",
                ));
            }
        };
        let loaded =
            Loaded::new(protocol.map_err(|d| invalid(&d))?, microscope).map_err(|d| invalid(&d))?;
        Ok((mic, loaded, protocol_file))
    }

    /// Queue a checked protocol as the request asks (held for a submit-only token).
    fn submit_loaded<'a>(
        &self,
        mic: &'a Microscope,
        grant: Option<&Grant>,
        body: &CreateBody,
        loaded: &Loaded,
        protocol_file: String,
    ) -> Result<(&'a Microscope, crate::queue::task::Task), Response> {
        let who = who(grant);
        let submit_only = grant.is_some_and(|g| !g.scopes.control);
        let held = if submit_only {
            Some(format!(
                "submitted by {who}, whose token may not start runs: `squidctl release ID` approves it"
            ))
        } else if body.hold {
            Some("submitted held".into())
        } else {
            None
        };
        let sreq = SubmitRequest {
            protocol_file,
            sets: body.set.clone(),
            cwd: self.cwd.clone(),
            held,
            holder: body.holder.clone().or_else(|| grant.map(|g| g.who.clone())),
            method: body.method.clone(),
            output_root: Some(self.output_root.clone()),
            ..body.choices()
        };
        let mut submitter = Submitter::this_process("api");
        submitter.user = who.clone();
        let task =
            crate::queue::submit::submit(&mic.spool, loaded, sreq, submitter).map_err(refused)?;
        Ok((mic, task))
    }
}

impl Ctx {
    /// An action as a task: queued in order with the runs, carried out by the worker, 202 +
    /// `Location` (200 with its result if it ended within the asked `wait_s`).
    fn create_action(
        &self,
        req: &Request,
        grant: Option<&Grant>,
        name: &str,
        body: &CreateBody,
    ) -> Result<Response, Response> {
        control(grant, "acting on the instrument")?;
        if body.protocol.is_some() || body.protocol_path.is_some() {
            return Err(Response::error(
                422,
                "give an action or a protocol, not both",
            ));
        }
        let mic = self.microscope(req, body.microscope.as_deref())?;
        let action = super::action_body::parse(name, body.parameters.as_ref())
            .map_err(|m| Response::error(422, m))?;
        let wait = wait_s(req, body.wait_s)?;
        let sreq = SubmitRequest {
            held: body.hold.then(|| "submitted held".to_string()),
            holder: body.holder.clone(),
            ..body.choices()
        };
        let refuse = body.on_reserved == Some(OnReserved::Refuse);
        let task = self.enqueue_action(mic, grant, &action, sreq, refuse, wait)?;
        let status = if task.status.state.terminal() {
            200
        } else {
            202
        };
        Ok(
            Response::json(status, &crate::queue::view::task_json(&mic.spool, &task)).with(
                "Location",
                format!(
                    "/v1/tasks/{}?microscope={}",
                    task.spec.id, mic.spool.microscope
                ),
            ),
        )
    }

    /// Queue `action` for the worker and wait up to `wait` for it to end; the task as it is
    /// then. Refused at once (409) when no worker serves the microscope — a robot must never
    /// wait for nobody — and, with `refuse_if_reserved`, while another client holds it.
    pub(super) fn enqueue_action(
        &self,
        mic: &Microscope,
        grant: Option<&Grant>,
        action: &crate::actions::Action,
        mut sreq: SubmitRequest,
        refuse_if_reserved: bool,
        wait: Option<Duration>,
    ) -> Result<crate::queue::task::Task, Response> {
        control(grant, "acting on the instrument")?;
        // A client's tasks belong to its reservation: the token's name unless it names one.
        if sreq.holder.is_none() {
            sreq.holder = grant.map(|g| g.who.clone());
        }
        if !mic.spool.worker_alive() {
            return Err(Response::error(
                409,
                format!(
                    "no worker serves the microscope `{}`: start one (`squidctl worker`, or its systemd unit); actions are carried out by the worker, in queue order",
                    mic.spool.microscope
                ),
            ));
        }
        if refuse_if_reserved
            && let Err(why) = crate::queue::lease::admits(
                crate::queue::lease::current(&mic.spool).as_ref(),
                sreq.holder.as_deref(),
            )
        {
            return Err(Response::error(409, why));
        }
        let config =
            crate::hardware::load(mic.file.as_deref()).map_err(|d| invalid_microscope(&d))?;
        sreq.cwd = self.cwd.clone();
        sreq.output_root = Some(self.output_root.clone());
        let mut submitter = Submitter::this_process("api");
        submitter.user = who(grant);
        let task =
            crate::queue::submit::submit_action(&mic.spool, &config, action, sreq, submitter)
                .map_err(refused)?;
        let id = task.spec.id;
        match wait {
            Some(w) => {
                mic.spool.wait_ended(&[id], Some(w)).map_err(spool_error)?;
                mic.spool.task(id).map_err(spool_error)
            }
            None => Ok(task),
        }
    }
}

/// How long a request asked to wait (`wait_s` in its body, or `?wait=` seconds), bounded.
pub(super) fn wait_s(req: &Request, body: Option<f64>) -> Result<Option<Duration>, Response> {
    let asked = match (body, req.param("wait")) {
        (Some(w), _) => Some(w),
        (None, Some(t)) => Some(t.parse::<f64>().map_err(|_| {
            Response::error(
                400,
                format!("wait `{}`: seconds, e.g. 30", crate::human::clip(t, 40)),
            )
        })?),
        (None, None) => None,
    };
    match asked {
        None => Ok(None),
        Some(w) if w.is_finite() && w >= 0.0 => {
            Ok(Some(Duration::from_secs_f64(w.min(MAX_WAIT.as_secs_f64()))))
        }
        Some(w) => Err(Response::error(
            400,
            format!("wait {w}: seconds, 0 or more"),
        )),
    }
}

/// A bad protocol: 422 with the located message the CLI prints, and each diagnostic. Lines
/// are quoted only from what the request sent: a location in any other file (the server's
/// own) keeps its message but loses its quoted text.
/// A protocol that does not load or fit the microscope.
pub(super) fn invalid(d: &crate::diagnostic::Diagnostics) -> Response {
    invalid_as(d, Code::InvalidProtocol, "protocol")
}

/// The server's own microscope file does not load.
pub(super) fn invalid_microscope(d: &crate::diagnostic::Diagnostics) -> Response {
    invalid_as(d, Code::InvalidMicroscope, "microscope")
}

fn invalid_as(d: &crate::diagnostic::Diagnostics, code: Code, component: &str) -> Response {
    let mut d = d.clone();
    for x in &mut d.0 {
        let sent =
            |name: &str| name == SENT_PROTOCOL || name == SENT_CSV || name.starts_with("--set ");
        if x.loc.as_ref().is_some_and(|l| !sent(&l.file.name)) {
            x.loc = None;
        }
        if x.file.as_deref().is_some_and(|f| !sent(f)) {
            x.file = None;
        }
    }
    let f = d.fault(code, component);
    Response::json(
        f.http_status(),
        &json!({
            "error": f,
            "diagnostics": d.0.iter().map(|x| x.to_json()).collect::<Vec<_>>(),
        }),
    )
}

pub(super) fn json_body<T: for<'de> Deserialize<'de> + Default>(
    req: &Request,
) -> Result<T, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&req.body)
        .map_err(|e| Response::error(422, format!("request body: {e}")))
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NoteBody {
    note: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PauseBody {
    at: Option<PauseAt>,
    reason: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "TaskMoveBody")]
#[serde(deny_unknown_fields)]
pub(super) struct MoveBody {
    #[serde(default)]
    front: bool,
    #[serde(default)]
    back: bool,
    before: Option<u64>,
    after: Option<u64>,
    priority: Option<i32>,
}

impl MoveBody {
    fn place(&self) -> Result<Place, Response> {
        let places: Vec<Place> = [
            self.front.then_some(Place::Front),
            self.back.then_some(Place::Back),
            self.before.map(Place::Before),
            self.after.map(Place::After),
            self.priority.map(Place::Priority),
        ]
        .into_iter()
        .flatten()
        .collect();
        match places.as_slice() {
            [p] => Ok(*p),
            _ => Err(Response::error(
                422,
                "give exactly one of front, back, before, after, priority",
            )),
        }
    }
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateBody {
    pub(super) protocol: Option<String>,
    /// The positions CSV a protocol's `positions:` names, sent with it.
    pub(super) positions_csv: Option<String>,
    pub(super) protocol_path: Option<String>,
    pub(super) microscope: Option<String>,
    #[serde(default)]
    pub(super) set: Vec<String>,
    #[serde(default)]
    pub(super) priority: i32,
    pub(super) at: Option<String>,
    pub(super) expires: Option<String>,
    #[serde(default)]
    pub(super) after: Vec<u64>,
    #[serde(default)]
    pub(super) after_ok: Vec<u64>,
    #[serde(default)]
    pub(super) hold: bool,
    pub(super) label: Option<String>,
    #[serde(default)]
    pub(super) retries: u32,
    pub(super) holder: Option<String>,
    /// An action instead of a protocol (`move`, `move_stage`, `snap`, `capture_image`, …).
    pub(super) action: Option<String>,
    pub(super) parameters: Option<Value>,
    /// The task's name, as the seeds' clients send it (a synonym of `label`).
    pub(super) name: Option<String>,
    /// Wait this many seconds for the task to end before replying.
    pub(super) wait_s: Option<f64>,
    /// `refuse`: a 409 at once while another client holds the reservation, rather than
    /// waiting in the queue for it to end.
    pub(super) on_reserved: Option<OnReserved>,
    /// A stored method instead of a protocol (Squid's `POST /v1/acquisitions {"method"}`).
    #[serde(skip)]
    pub(super) method: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum OnReserved {
    Wait,
    Refuse,
}

fn num<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, Response> {
    v.parse()
        .map_err(|_| Response::error(422, format!("{k}=`{v}`: not a number in range")))
}

/// A submit refused: 422 for what the request got wrong, else the spool's status.
pub(super) fn refused(e: Refused) -> Response {
    match e {
        Refused::Invalid(field, m) => Response::fault_as(
            422,
            &Fault::new(Code::BadValue, format!("{field}: {m}"))
                .component("api")
                .with("field", field),
        ),
        Refused::Fault(f) => Response::fault(&f),
        Refused::Spool(e) => spool_error(e),
    }
}

impl CreateBody {
    /// The queue choices every task takes from the body (when, order, retries, label).
    fn choices(&self) -> SubmitRequest {
        SubmitRequest {
            label: self.label.clone().or(self.name.clone()),
            priority: self.priority,
            at: self.at.clone(),
            expires: self.expires.clone(),
            after: self.after.clone(),
            after_ok: self.after_ok.clone(),
            retries: self.retries,
            ..SubmitRequest::default()
        }
    }

    /// Bounds on what a request may make the queue keep and every listing show.
    fn check_lengths(&self) -> Result<(), Response> {
        let long = |what: &str, v: &str, max: usize| match crate::human::too_long(v, max) {
            Some(_) => Err(Response::error(
                422,
                format!("{what} is over {max} characters: shorten it"),
            )),
            None => Ok(()),
        };
        if let Some(p) = &self.protocol_path {
            long("protocol_path", p, 4096)?;
        }
        long("microscope", self.microscope.as_deref().unwrap_or(""), 200)?;
        Ok(())
    }

    fn from_query(req: &Request, protocol: String) -> Result<CreateBody, Response> {
        let mut b = CreateBody {
            protocol: Some(protocol),
            ..CreateBody::default()
        };
        for (k, v) in &req.query {
            match k.as_str() {
                "microscope" => b.microscope = Some(v.clone()),
                "set" => b.set.push(v.clone()),
                "priority" => b.priority = num(k, v)?,
                "at" => b.at = Some(v.clone()),
                "expires" => b.expires = Some(v.clone()),
                "after" => b.after.push(num(k, v)?),
                "after_ok" => b.after_ok.push(num(k, v)?),
                "hold" => b.hold = flag(Some(v)),
                "label" => b.label = Some(v.clone()),
                "holder" => b.holder = Some(v.clone()),
                "retries" => b.retries = num(k, v)?,
                other => {
                    return Err(Response::error(
                        422,
                        format!(
                            "unknown query parameter `{other}`: microscope, set, priority, at, expires, after, after_ok, hold, label, retries, holder"
                        ),
                    ));
                }
            }
        }
        Ok(b)
    }
}
