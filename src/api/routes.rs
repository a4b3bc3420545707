//! The `/v1` routes: each a thin wrapper over what the CLI verb calls (the spool, the queue
//! verbs, the submit core, the listing), so the API and the CLI see and change the same
//! queue with the same words.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Grant, Scopes};
use super::http::{Request, Response};
use super::run_view::RunViews;
use super::stream::Hub;
use crate::diagnostic::SourceFile;
use crate::queue::spool::{Spool, SpoolError};
use crate::queue::submit::{Refused, Request as SubmitRequest};
use crate::queue::task::{PauseAt, State, Submitter};
use crate::queue::verbs::{self, Changed, Place};

/// One microscope this server fronts.
pub struct Microscope {
    pub spool: Spool,
    /// Its description file (`None`: the built-in simulated microscope).
    pub file: Option<PathBuf>,
    pub hub: Arc<Hub>,
}

pub struct Ctx {
    pub microscopes: Vec<Microscope>,
    /// Where tasks submitted through the API start (like a `submit` from there).
    pub cwd: PathBuf,
    pub heartbeat: Duration,
    pub views: RunViews,
}

/// What a route answers: a whole response, or an event stream the connection carries on.
pub enum Reply {
    Done(Response),
    Events {
        hub: Arc<Hub>,
        since: u64,
        task: Option<u64>,
    },
}

impl From<Response> for Reply {
    fn from(r: Response) -> Reply {
        Reply::Done(r)
    }
}

/// How long a long poll may be asked to wait.
const MAX_WAIT: Duration = Duration::from_secs(3600);
const WAIT_POLL: Duration = Duration::from_millis(100);

fn spool_error(e: SpoolError) -> Response {
    let status = match e {
        SpoolError::NotFound(_) => 404,
        SpoolError::Refused(_) => 409,
        SpoolError::Io(_) => 500,
    };
    Response::error(status, e.to_string())
}

fn need(
    grant: Option<&Grant>,
    scope: fn(&Scopes) -> bool,
    name: &str,
    what: &str,
) -> Option<Response> {
    match grant {
        None => Some(
            Response::error(
                401,
                format!("{what} needs a token with the `{name}` scope: send `Authorization: Bearer TOKEN`"),
            )
            .with("WWW-Authenticate", "Bearer realm=\"squidctl\""),
        ),
        Some(g) if !scope(&g.scopes) => Some(Response::error(
            403,
            format!(
                "{what} needs the `{name}` scope; this token has: {}",
                g.scopes.names().join(", ")
            ),
        )),
        Some(_) => None,
    }
}

impl Ctx {
    fn microscope(&self, req: &Request, body: Option<&str>) -> Result<&Microscope, Response> {
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
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let m = req.method.as_str();
        let read = |what: &str| need(grant, |s| s.read, "read", what);
        let control = |what: &str| need(grant, |s| s.control, "control", what);
        let r: Result<Reply, Response> = (|| match (m, parts.as_slice()) {
            ("GET", ["v1", "health"]) => Ok(self.health().into()),
            ("GET", ["v1", "microscopes"]) => {
                read("listing microscopes").map_or(Ok(()), Err)?;
                Ok(self.microscopes_json().into())
            }
            ("GET", ["v1", "tasks"]) => {
                read("listing tasks").map_or(Ok(()), Err)?;
                self.list(req).map(Reply::from)
            }
            ("POST", ["v1", "tasks"]) => {
                need(grant, |s| s.submit, "submit", "submitting a task").map_or(Ok(()), Err)?;
                self.create(req, grant, unix).map(Reply::from)
            }
            ("GET", ["v1", "events"]) => {
                read("the event stream").map_or(Ok(()), Err)?;
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
                Ok(Reply::Events {
                    hub: mic.hub.clone(),
                    since,
                    task,
                })
            }
            ("POST", ["v1", "queue", verb @ ("hold" | "release")]) => {
                control("holding or releasing the queue").map_or(Ok(()), Err)?;
                let mic = self.microscope(req, None)?;
                let body: NoteBody = json_body(req)?;
                let held = *verb == "hold";
                let by = grant.map_or("api".into(), |g| g.who.clone());
                let msg = verbs::hold_queue(&mic.spool, held, body.note.clone(), &by)
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
                self.task_route(m, id, rest, mic, req, &read, &control)
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

    #[allow(clippy::too_many_arguments)]
    fn task_route(
        &self,
        m: &str,
        id: u64,
        rest: &[&str],
        mic: &Microscope,
        req: &Request,
        read: &dyn Fn(&str) -> Option<Response>,
        control: &dyn Fn(&str) -> Option<Response>,
    ) -> Result<Reply, Response> {
        let spool = &mic.spool;
        let changed = |r: Result<Changed, SpoolError>, status: u16| -> Result<Reply, Response> {
            let c = r.map_err(spool_error)?;
            let status = if status == 0 {
                if c.status.state == State::Cancelled {
                    200
                } else {
                    202
                }
            } else {
                status
            };
            Ok(Response::json(
                status,
                &json!({"task": id, "state": c.status.state, "note": c.status.note, "message": c.message}),
            )
            .into())
        };
        let check = |r: Option<Response>| r.map_or(Ok(()), Err);
        match (m, rest) {
            ("GET", []) => {
                check(read("reading a task"))?;
                let t = spool.task(id).map_err(spool_error)?;
                Ok(Response::json(200, &crate::commands::queue::task_json(spool, &t)).into())
            }
            ("DELETE", []) => {
                check(control("cancelling a task"))?;
                let now = matches!(req.param("now"), Some("1" | "true" | ""));
                changed(verbs::cancel(spool, id, now), 0)
            }
            ("GET", ["wait"]) => {
                check(read("waiting for a task"))?;
                Ok(self.wait(spool, id, req)?.into())
            }
            ("GET", ["run"]) => {
                check(read("reading a task's run"))?;
                let t = spool.task(id).map_err(spool_error)?;
                let Some(dir) = &t.status.run_dir else {
                    return Err(Response::error(
                        404,
                        format!("task {id} has no run yet ({})", t.status.state.name()),
                    ));
                };
                let v = super::run_view::view(&self.views, dir, t.status.state.active())
                    .map_err(|e| Response::error(500, e))?;
                Ok(Response::json(200, &v).into())
            }
            ("GET", ["thumbnail.png"]) => {
                check(read("a task's thumbnail"))?;
                let t = spool.task(id).map_err(spool_error)?;
                let Some(dir) = &t.status.run_dir else {
                    return Err(Response::error(404, format!("task {id} has no run yet")));
                };
                match super::run_view::thumbnail(&self.views, dir) {
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
                check(control(&format!("{verb} of a task")))?;
                match *verb {
                    "pause" => {
                        let b: PauseBody = json_body(req)?;
                        changed(
                            verbs::pause(spool, id, b.at.unwrap_or(PauseAt::Fov), b.reason),
                            200,
                        )
                    }
                    "unpause" => changed(verbs::unpause(spool, id), 200),
                    "hold" => {
                        let b: NoteBody = json_body(req)?;
                        changed(verbs::hold(spool, id, b.note), 200)
                    }
                    "release" => changed(verbs::release(spool, id), 200),
                    "move" => {
                        let b: MoveBody = json_body(req)?;
                        changed(verbs::move_(spool, id, b.place()?), 200)
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
        for s in req
            .param("state")
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
        {
            use clap::ValueEnum;
            filter.push(State::from_str(s, true).map_err(|_| {
                Response::error(
                    400,
                    format!(
                        "state `{s}`: one of {}",
                        State::value_variants()
                            .iter()
                            .map(|v| v.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?);
        }
        let mic = self.microscope(req, None)?;
        let (v, _) = crate::commands::queue::listing(&mic.spool, &filter);
        Ok(Response::json(200, &v))
    }

    fn wait(&self, spool: &Spool, id: u64, req: &Request) -> Result<Response, Response> {
        let timeout = match req.param("timeout") {
            None => Duration::from_secs(600),
            Some(t) => Duration::from_secs_f64(
                t.parse::<f64>()
                    .ok()
                    .filter(|t| t.is_finite() && *t >= 0.0)
                    .ok_or_else(|| {
                        Response::error(400, format!("timeout `{t}`: seconds, e.g. 600"))
                    })?,
            )
            .min(MAX_WAIT),
        };
        let start = Instant::now();
        loop {
            let st = spool.status(id).map_err(spool_error)?;
            let ended = st.state.terminal();
            if ended || start.elapsed() >= timeout {
                return Ok(Response::json(
                    200,
                    &json!({
                        "task": id, "ended": ended, "state": st.state,
                        "exit_code": st.exit_code.filter(|_| ended),
                        "run_dir": st.run_dir, "note": st.note,
                    }),
                ));
            }
            std::thread::sleep(WAIT_POLL);
        }
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
        let mic = self.microscope(req, body.microscope.as_deref())?;
        let (source, base) = match (&body.protocol, &body.protocol_path) {
            (Some(text), None) => (SourceFile::new("<request>", text.clone()), self.cwd.clone()),
            (None, Some(p)) if unix => {
                let path = self.cwd.join(p);
                let text = crate::yaml::read_text(&path).map_err(|d| invalid(&d.into()))?;
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (SourceFile::new(path.display().to_string(), text), base)
            }
            (None, Some(_)) => {
                return Err(Response::error(
                    422,
                    "protocol_path is accepted on the Unix socket only: send the protocol's text as `protocol`",
                ));
            }
            _ => {
                return Err(Response::error(
                    422,
                    "give the protocol: its YAML text as `protocol` (or, on the Unix socket, `protocol_path`)",
                ));
            }
        };
        let microscope = crate::hardware::load(mic.file.as_deref()).map_err(|d| invalid(&d))?;
        let protocol =
            crate::protocol::LoadedProtocol::from_source(source.clone(), base, &body.set)
                .map_err(|d| invalid(&d))?;
        let plan = crate::plan::Plan::build(&protocol, &microscope).map_err(|d| invalid(&d))?;
        let loaded = crate::session::Loaded {
            protocol,
            microscope,
            plan,
        };
        let who = grant.map_or("api".to_string(), |g| g.who.clone());
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
            protocol_file: body.protocol_path.clone().map_or_else(
                || source.name.clone(),
                |p| self.cwd.join(p).display().to_string(),
            ),
            sets: body.set.clone(),
            cwd: self.cwd.clone(),
            label: body.label.clone(),
            priority: body.priority,
            at: body.at.clone(),
            expires: body.expires.clone(),
            after: body.after.clone(),
            after_ok: body.after_ok.clone(),
            retries: body.retries,
            held,
            again_of: None,
        };
        let mut submitter = Submitter::this_process("api");
        submitter.user = who.clone();
        let task = crate::queue::submit::submit(&mic.spool, &loaded, sreq, submitter).map_err(
            |e| match e {
                Refused::Invalid(..) => Response::error(422, e.to_string()),
                Refused::Spool(e) => spool_error(e),
            },
        )?;
        let id = task.spec.id;
        Ok(
            Response::json(201, &crate::commands::queue::task_json(&mic.spool, &task)).with(
                "Location",
                format!("/v1/tasks/{id}?microscope={}", mic.spool.microscope),
            ),
        )
    }
}

/// A bad protocol: 422 with the located message the CLI prints, and each diagnostic.
fn invalid(d: &crate::diagnostic::Diagnostics) -> Response {
    Response::json(
        422,
        &json!({
            "error": d.render().trim_end(),
            "diagnostics": d.0.iter().map(|x| x.to_json()).collect::<Vec<_>>(),
        }),
    )
}

fn json_body<T: for<'de> Deserialize<'de> + Default>(req: &Request) -> Result<T, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&req.body)
        .map_err(|e| Response::error(422, format!("request body: {e}")))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    note: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseBody {
    at: Option<PauseAt>,
    reason: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
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

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    protocol: Option<String>,
    protocol_path: Option<String>,
    microscope: Option<String>,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    priority: i32,
    at: Option<String>,
    expires: Option<String>,
    #[serde(default)]
    after: Vec<u64>,
    #[serde(default)]
    after_ok: Vec<u64>,
    #[serde(default)]
    hold: bool,
    label: Option<String>,
    #[serde(default)]
    retries: u32,
}

fn num<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, Response> {
    v.parse()
        .map_err(|_| Response::error(422, format!("{k}=`{v}`: not a number in range")))
}

impl CreateBody {
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
                "hold" => b.hold = matches!(v.as_str(), "" | "1" | "true"),
                "label" => b.label = Some(v.clone()),
                "retries" => b.retries = num(k, v)?,
                other => {
                    return Err(Response::error(
                        422,
                        format!(
                            "unknown query parameter `{other}`: microscope, set, priority, at, expires, after, after_ok, hold, label, retries"
                        ),
                    ));
                }
            }
        }
        Ok(b)
    }
}
