//! Routes shaped like Squid's Core Service (`software/docs/core-service-api.md` on Cephla's
//! `feat/squid-core-service` branch): the same paths, request keys and response keys, so a
//! scheduler driver written for Squid runs here with only its base URL and token changed.
//! Every one is a view of squidctl's own machinery — actions are queue tasks carried out
//! by the worker, jobs are tasks, status is the cached instrument state — and squidctl
//! implements what Squid leaves at 501: reserve/release and the emergency stop. Errors are
//! Squid's `{"error": Fault}`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Grant;
use super::http::{Request, Response};
use super::routes::{CreateBody, Ctx, MAX_WAIT, Microscope, control, json_body, read, spool_error};
use crate::actions::{Action, FocusRequest, MoveRequest, SnapRequest};
use crate::fault::{Code, Fault};
use crate::queue::submit::Request as SubmitRequest;
use crate::queue::task::{State, Task};

/// How long a blocking call (`block_until_complete`) waits for its task by default.
const BLOCK_WAIT: Duration = Duration::from_secs(600);

/// An action task that ended without success: its own fault (the action's), else what its
/// exit means, with this route's component when the fault names none.
fn failed_action(t: &Task, component: &str) -> Response {
    let message = t
        .status
        .result
        .as_ref()
        .and_then(|r| r["error"].as_str().map(String::from))
        .or(t.status.note.clone())
        .unwrap_or_else(|| format!("task {} ended {}", t.spec.id, t.status.state.name()));
    let mut f = t.status.fault.clone().unwrap_or_else(|| {
        let code = match t.status.exit_code.and_then(crate::exit::Exit::from_code) {
            Some(e) => Code::for_exit(e).unwrap_or(Code::Internal),
            None => Code::RunFailed,
        };
        Fault::new(code, message)
    });
    if f.component.is_none() {
        f.component = Some(component.into());
    }
    Response::fault(&f)
}

fn position(v: &Value) -> Value {
    if v.is_null() {
        json!({"x_mm": null, "y_mm": null, "z_mm": null})
    } else {
        v.clone()
    }
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "MotionMoveBody")]
#[serde(deny_unknown_fields)]
pub(super) struct MoveBody {
    mode: Option<String>,
    x: Option<f64>,
    y: Option<f64>,
    z: Option<f64>,
    block_until_complete: Option<bool>,
    /// squidctl: a named position of the description instead of x/y/z.
    to: Option<String>,
    holder: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AcquireBody {
    channel: Option<String>,
    save_path: Option<String>,
    exposure_ms: Option<f64>,
    intensity: Option<f64>,
    holder: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AutofocusBody {
    mode: Option<String>,
    target_um: Option<f64>,
    holder: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InitializeBody {
    #[serde(default)]
    home: bool,
    holder: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct HomeBody {
    holder: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReserveBody {
    holder: Option<String>,
    ttl_s: Option<f64>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReleaseBody {
    holder: Option<String>,
    /// The operator's override: end anyone's reservation.
    #[serde(default)]
    force: bool,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct StopBody {
    reason: Option<String>,
    #[serde(default)]
    cut_motors: bool,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AbortBody {
    timeout_s: Option<f64>,
}

/// Squid's inline grid scan: wells, channels by name, an nx × ny grid of fields per well.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct GridBody {
    wells: String,
    channels: Vec<String>,
    #[serde(default = "two")]
    nx: u32,
    #[serde(default = "two")]
    ny: u32,
    #[serde(default = "ten")]
    overlap_percent: f64,
    #[serde(default = "ninety_six")]
    wellplate_format: String,
}

fn two() -> u32 {
    2
}
fn ten() -> f64 {
    10.0
}
fn ninety_six() -> String {
    "96 well plate".into()
}

/// The grid as a squidctl protocol. Squid takes each channel's exposure and intensity from
/// its own channel table; squidctl's description has none, so a grid images every channel
/// at the snap defaults (10 ms, 50 %) — a protocol sent as `protocol` sets its own.
fn grid_protocol(g: &GridBody, name: &str) -> Result<String, Response> {
    let bad = |m: String| Response::error(400, format!("grid: {m}"));
    if g.channels.is_empty() {
        return Err(bad("channels: name at least one".into()));
    }
    if !(1..=100).contains(&g.nx) || !(1..=100).contains(&g.ny) {
        return Err(bad("nx and ny: 1 to 100".into()));
    }
    if !(0.0..=50.0).contains(&g.overlap_percent) {
        return Err(bad("overlap_percent: 0 to 50".into()));
    }
    let format: String = g
        .wellplate_format
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if format.is_empty() {
        return Err(bad(format!(
            "wellplate_format `{}`: a plate such as \"96 well plate\"",
            crate::human::clip(&g.wellplate_format, 40)
        )));
    }
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let channels: Vec<String> = g
        .channels
        .iter()
        .map(|c| format!("  - {{name: {}, exposure: 10ms, intensity: 50%}}", q(c)))
        .collect();
    Ok(format!(
        "name: {}\nplate: {{format: {format}, wells: {}}}\nfov: {{grid: {}x{}, overlap: {}%}}\nchannels:\n{}\n",
        q(name),
        q(&g.wells),
        g.ny,
        g.nx,
        g.overlap_percent,
        channels.join("\n")
    ))
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AcquisitionBody {
    /// squidctl: the protocol's YAML text (or Squid's configuration as text).
    protocol: Option<String>,
    /// A stored method's name (`/v1/methods`).
    method: Option<String>,
    grid: Option<GridBody>,
    /// A protocol file on the server (Unix socket only, as `protocol_path`).
    yaml_path: Option<String>,
    experiment_id: Option<String>,
    operator: Option<String>,
    scheduler_job_id: Option<String>,
    holder: Option<String>,
    #[serde(default)]
    overrides: Overrides,
    /// Squid's `{"reflection": bool?, "contrast": bool?}`: which autofocus runs.
    autofocus: Option<AfOverride>,
    /// Squid's z baseline; squidctl focuses each well from the description's `focus_z` or
    /// its autofocus, so only `"current"` (the default) has an equivalent.
    z_reference: Option<Value>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Overrides {
    /// squidctl: `--set` overrides of the protocol (`plate.wells=B2:B5`).
    #[serde(default)]
    set: Vec<String>,
    wells: Option<String>,
    output_path: Option<String>,
    sample_format: Option<String>,
    /// squidctl: metadata to add to the run (`metadata.KEY`).
    #[serde(default)]
    metadata: serde_json::Map<String, Value>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AfOverride {
    reflection: Option<bool>,
    contrast: Option<bool>,
}

/// `POST /v1/methods`, `PUT /v1/methods/NAME`: Squid's `config`, or squidctl's `protocol`.
#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MethodBody {
    name: Option<String>,
    config: Option<Value>,
    protocol: Option<String>,
}

/// An acquisition request as a task body, with the audit keys Squid's answer repeats.
struct AcquisitionTask {
    body: CreateBody,
    experiment_id: Option<String>,
    operator: Option<String>,
    scheduler_job_id: Option<String>,
}

impl AcquisitionBody {
    /// The request as a task's body: its one source, and every override as a `--set`.
    fn into_task(self, grant: Option<&Grant>) -> Result<AcquisitionTask, Response> {
        let sources = [
            self.protocol.is_some(),
            self.method.is_some(),
            self.yaml_path.is_some(),
            self.grid.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(Response::fault_as(
                422,
                &Fault::new(
                    Code::SchemaViolation,
                    "give exactly one of: method, yaml_path, grid (or squidctl's protocol text)",
                )
                .component("api"),
            ));
        }
        match &self.z_reference {
            None => {}
            Some(Value::String(s)) if s == "current" => {}
            Some(other) => {
                return Err(Response::fault(
                    &Fault::new(
                        Code::NoEquivalent,
                        format!(
                            "z_reference {other} has no squidctl equivalent: each well is focused from the microscope's focus_z (or the protocol's autofocus); send \"current\" or leave it out"
                        ),
                    )
                    .component("stage.z")
                    .with("key", "z_reference"),
                ));
            }
        }
        let q = |v: &str| serde_json::to_string(v).unwrap_or_default();
        let mut set = self.overrides.set;
        if let Some(f) = &self.overrides.sample_format {
            let n = crate::import::squid_method::plate_format(f).ok_or_else(|| {
                Response::fault(
                    &Fault::new(
                        Code::NoEquivalent,
                        format!(
                            "overrides.sample_format `{}` is not a multi-well plate",
                            crate::human::clip(f, 60)
                        ),
                    )
                    .component("plate")
                    .with("key", "overrides.sample_format"),
                )
            })?;
            set.push(format!("plate.format={n}"));
        }
        if let Some(w) = &self.overrides.wells {
            set.push(format!("plate.wells={}", q(w)));
        }
        if let Some(o) = &self.overrides.output_path {
            set.push(format!("output.directory={}", q(o)));
        }
        for (k, v) in [
            ("experiment_id", &self.experiment_id),
            ("operator", &self.operator),
            ("scheduler_job_id", &self.scheduler_job_id),
        ] {
            if let Some(v) = v {
                set.push(format!("metadata.{k}={}", q(v)));
            }
        }
        for (k, v) in &self.overrides.metadata {
            let v = match v {
                Value::String(s) => q(s),
                other => other.to_string(),
            };
            set.push(format!("metadata.{k}={v}"));
        }
        if let Some(af) = &self.autofocus {
            let method = match (af.reflection, af.contrast) {
                (Some(true), _) => Some("laser"),
                (_, Some(true)) => Some("contrast"),
                (Some(false), Some(false)) | (Some(false), None) | (None, Some(false)) => {
                    Some("none")
                }
                (None, None) => None,
            };
            if let Some(m) = method {
                set.push(format!("autofocus.method={m}"));
            }
        }
        let protocol = match &self.grid {
            Some(g) => Some(grid_protocol(
                g,
                self.scheduler_job_id
                    .as_deref()
                    .or(self.experiment_id.as_deref())
                    .unwrap_or("grid"),
            )?),
            None => self.protocol,
        };
        let label = self.scheduler_job_id.clone().or(self.experiment_id.clone());
        Ok(AcquisitionTask {
            body: CreateBody {
                protocol,
                protocol_path: self.yaml_path,
                method: self.method,
                set,
                label,
                holder: holder_of(self.holder, grant),
                ..CreateBody::default()
            },
            experiment_id: self.experiment_id,
            operator: self.operator,
            scheduler_job_id: self.scheduler_job_id,
        })
    }
}

/// A reservation holder: the one named, else the token's name.
fn holder_of(named: Option<String>, grant: Option<&Grant>) -> Option<String> {
    named.or_else(|| grant.map(|g| g.who.clone()))
}

fn job_state(s: State) -> (&'static str, Option<&'static str>) {
    match s {
        State::Completed => ("COMPLETED", Some("SUCCESS")),
        State::CompletedWithErrors => ("COMPLETED", Some("PARTIAL")),
        State::Cancelled => ("COMPLETED", Some("ABORTED")),
        State::Failed | State::Expired | State::Skipped => ("COMPLETED", Some("FAILURE")),
        s if s.active() => ("RUNNING", None),
        _ => ("ACCEPTED", None),
    }
}

impl Ctx {
    /// A preflight report (200 even when not ready: the report is the answer).
    fn preflight(
        &self,
        req: &Request,
        grant: Option<&Grant>,
        unix: bool,
        body: &CreateBody,
        holder: Option<&str>,
    ) -> Response {
        let mic = match self.microscope(req, None) {
            Ok(m) => m,
            Err(r) => return r,
        };
        let loaded = self
            .load_protocol(req, grant, unix, body)
            .map(|(_, l, _)| l)
            .map_err(|r| {
                serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| serde_json::from_value::<Fault>(v["error"].clone()).ok())
                    .unwrap_or_else(|| {
                        Fault::new(Code::for_http(r.status), "the protocol does not load")
                    })
            });
        let holder = holder
            .map(String::from)
            .or_else(|| grant.map(|g| g.who.clone()));
        let report = crate::queue::preflight::report(
            &mic.spool,
            loaded.as_ref(),
            holder.as_deref(),
            &self.cwd,
        );
        Response::json(200, &report)
    }

    /// The Squid-shaped routes; `None` when the path is not one of them.
    pub(super) fn squid_route(
        &self,
        req: &Request,
        grant: Option<&Grant>,
        unix: bool,
    ) -> Option<Response> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let m = req.method.as_str();
        let known = matches!(
            parts.as_slice(),
            ["v1", "healthz" | "status"]
                | [
                    "v1",
                    "system" | "motion" | "imaging" | "autofocus" | "jobs",
                    ..
                ]
                | [
                    "v1",
                    "acquisitions" | "methods" | "debug" | "sample_formats",
                    ..
                ]
        );
        if !known {
            return None;
        }
        let r: Result<Response, Response> = (|| {
            let mic = self.microscope(req, None)?;
            let state = || mic.state.get();
            match (m, parts.as_slice()) {
                ("GET", ["v1", "healthz"]) => Ok(Response::json(200, &json!({"alive": true}))),
                ("GET", ["v1", "system", "auth_status"]) => Ok(Response::json(
                    200,
                    &json!({"auth_enabled": true, "bind_to_tls": false, "scheme": "bearer"}),
                )),
                ("GET", ["v1", "status"]) => {
                    read(grant, "the instrument's state")?;
                    Ok(Response::json(200, &state()))
                }
                ("GET", ["v1", "system", "status"]) => {
                    read(grant, "the instrument's state")?;
                    Ok(Response::json(200, &self.system_status(mic, &state())))
                }
                ("GET", ["v1", "system", "heartbeat"]) => {
                    read(grant, "the heartbeat")?;
                    let s = state();
                    Ok(Response::json(
                        200,
                        &json!({"alive": true, "monotonic_ns": monotonic_ns(), "state": s["squid_state"]}),
                    ))
                }
                ("GET", ["v1", "system", "faults"]) => {
                    read(grant, "the fault history")?;
                    faults_since(mic, req)
                }
                ("GET", ["v1", "system", "version"]) => {
                    read(grant, "the version")?;
                    Ok(Response::json(200, &version()))
                }
                ("GET", ["v1", "system", "capabilities"]) => {
                    read(grant, "the capabilities")?;
                    self.capabilities(mic)
                }
                ("GET", ["v1", "motion", "position"]) => {
                    read(grant, "the stage position")?;
                    Ok(Response::json(200, &position(&state()["position"])))
                }
                ("GET", ["v1", "imaging", "channels"]) => {
                    read(grant, "the channels")?;
                    let c = crate::hardware::load(mic.file.as_deref())
                        .map_err(|d| Response::error(500, d.render()))?;
                    Ok(Response::json(
                        200,
                        &json!({"channels": c.desc.channels.iter().map(|ch| json!({"name": ch.name, "source": ch.source})).collect::<Vec<_>>()}),
                    ))
                }
                ("POST", ["v1", "system", "reserve"]) => {
                    control(grant, "reserving the microscope")?;
                    let b: ReserveBody = json_body(req)?;
                    let holder = holder_of(b.holder, grant)
                        .ok_or_else(|| Response::error(400, "holder: name who reserves"))?;
                    let l = crate::queue::lease::reserve(
                        &mic.spool,
                        &holder,
                        b.ttl_s.unwrap_or(300.0),
                        &super::routes::who(grant),
                    )
                    .map_err(spool_error)?;
                    Ok(Response::json(
                        200,
                        &json!({"reserved": true, "reservation": l, "state": "RESERVED"}),
                    ))
                }
                ("POST", ["v1", "system", "release"]) => {
                    control(grant, "releasing the microscope")?;
                    let b: ReleaseBody = json_body(req)?;
                    let holder = holder_of(b.holder, grant);
                    let was = crate::queue::lease::release(
                        &mic.spool,
                        holder.as_deref(),
                        b.force,
                        &super::routes::who(grant),
                    )
                    .map_err(spool_error)?;
                    Ok(Response::json(
                        200,
                        &json!({"released": was.is_some(), "reservation": was}),
                    ))
                }
                ("POST", ["v1", "system", "emergency_stop"])
                | ("POST", ["v1", "jobs", _, "emergency_stop"]) => {
                    control(grant, "the emergency stop")?;
                    let b: StopBody = json_body(req)?;
                    let s = crate::queue::emergency::stop(
                        &mic.spool,
                        &super::routes::who(grant),
                        b.reason,
                        b.cut_motors,
                    )
                    .map_err(spool_error)?;
                    Ok(Response::json(
                        200,
                        &json!({"stopped": true, "state": "ERROR", "emergency_stop": s}),
                    ))
                }
                ("POST", ["v1", "system", "reset"]) => {
                    control(grant, "resetting the instrument")?;
                    let t = Instant::now();
                    let was =
                        crate::queue::emergency::reset(&mic.spool, &super::routes::who(grant))
                            .map_err(spool_error)?;
                    Ok(Response::json(
                        200,
                        &json!({"state": crate::queue::status::status(&mic.spool)["squid_state"],
                                "no_op": was.is_none(), "duration_s": t.elapsed().as_secs_f64(), "cleared": was}),
                    ))
                }
                ("POST", ["v1", "system", "initialize"]) => {
                    let b: InitializeBody = json_body(req)?;
                    let t = Instant::now();
                    if !b.home {
                        read(grant, "initialize")?;
                        let s = state();
                        return Ok(Response::json(
                            200,
                            &json!({"state": s["squid_state"], "no_op": true, "duration_s": 0.0, "home_performed": false}),
                        ));
                    }
                    let task = self.act(mic, grant, Action::Home, b.holder, true)?;
                    if task.status.state != State::Completed {
                        return Err(failed_action(&task, "stage"));
                    }
                    Ok(Response::json(
                        200,
                        &json!({"state": "INITIALIZED", "no_op": false, "duration_s": t.elapsed().as_secs_f64(), "home_performed": true, "job_id": task.spec.id.to_string()}),
                    ))
                }
                ("POST", ["v1", "motion", "home"]) => {
                    let b: HomeBody = json_body(req)?;
                    let task = self.act(mic, grant, Action::Home, b.holder, true)?;
                    done(
                        &task,
                        "stage",
                        |r| json!({"homed": true, "position": r["position"]}),
                    )
                }
                ("POST", ["v1", "motion", "move"]) => {
                    let b: MoveBody = json_body(req)?;
                    let relative = match b.mode.as_deref() {
                        None | Some("absolute") => false,
                        Some("relative") => true,
                        Some(o) => {
                            return Err(Response::error(
                                400,
                                format!(
                                    "mode `{}`: absolute or relative",
                                    crate::human::clip(o, 40)
                                ),
                            ));
                        }
                    };
                    let action = Action::Move(MoveRequest {
                        to: b.to,
                        x_mm: b.x,
                        y_mm: b.y,
                        z_mm: b.z,
                        relative,
                    });
                    let block = b.block_until_complete.unwrap_or(true);
                    let task = self.act(mic, grant, action, b.holder, block)?;
                    if !block {
                        return Ok(accepted(mic, &task));
                    }
                    done(&task, "stage", |r| json!({"position": r["position"]}))
                }
                ("POST", ["v1", "imaging", "acquire"]) => {
                    let b: AcquireBody = json_body(req)?;
                    let config = crate::hardware::load(mic.file.as_deref())
                        .map_err(|d| Response::error(500, d.render()))?;
                    let channel = match b.channel {
                        Some(c) => c,
                        None => config
                            .desc
                            .channels
                            .first()
                            .map(|c| c.name.clone())
                            .ok_or_else(|| Response::error(422, "the microscope has no channel"))?,
                    };
                    // Squid's save_path names the file; squidctl names its files, in that folder.
                    let output = b.save_path.map(|p| {
                        let p = std::path::PathBuf::from(p);
                        match (p.extension(), p.parent()) {
                            (Some(_), Some(d)) => d.to_path_buf(),
                            _ => p,
                        }
                    });
                    let action = Action::Snap(SnapRequest {
                        channel,
                        exposure_ms: b.exposure_ms,
                        intensity_pct: b.intensity,
                        output,
                    });
                    let task = self.act(mic, grant, action, b.holder, true)?;
                    done(&task, "camera", |r| {
                        let s = &r["result"];
                        json!({"acquired": true, "shape": [s["height"], s["width"]], "dtype": "uint16",
                               "path": s["path"], "thumbnail": s["thumbnail"], "channel": s["channel"],
                               "exposure_ms": s["exposure_ms"], "position": r["position"]})
                    })
                }
                ("POST", ["v1", "autofocus", "run"]) => {
                    let b: AutofocusBody = json_body(req)?;
                    let method = match b.mode.as_deref() {
                        None | Some("reflection") | Some("laser") => "laser",
                        Some("contrast") => "contrast",
                        Some(o) => {
                            return Err(Response::error(
                                400,
                                format!(
                                    "mode `{}`: reflection or contrast",
                                    crate::human::clip(o, 40)
                                ),
                            ));
                        }
                    };
                    if b.target_um.is_some_and(|t| t != 0.0) {
                        return Err(Response::error(
                            400,
                            "target_um: squidctl focuses on the calibrated reference (0); an offset is a protocol's z setting",
                        ));
                    }
                    let action = Action::Focus(FocusRequest {
                        method: Some(method.into()),
                        ..FocusRequest::default()
                    });
                    let task = self.act(mic, grant, action, b.holder, true)?;
                    done(&task, "autofocus", |r| {
                        let s = &r["result"];
                        json!({"autofocus": "ok", "position": r["position"], "z_mm": s["z_mm"], "quality": s["quality"], "method": s["method"]})
                    })
                }
                ("POST", ["v1", "acquisitions"]) => {
                    super::routes::need_submit(grant)?;
                    let b: AcquisitionBody = json_body(req)?;
                    let AcquisitionTask {
                        body,
                        experiment_id,
                        operator,
                        scheduler_job_id,
                    } = b.into_task(grant)?;
                    let (mic, task) = self.submit_protocol(req, grant, unix, &body)?;
                    let id = task.spec.id;
                    Ok(Response::json(
                        202,
                        &json!({"job_id": id.to_string(), "kind": "acquisition",
                                "experiment_id": experiment_id, "operator": operator,
                                "scheduler_job_id": scheduler_job_id,
                                "method": task.spec.method,
                                "expected_fov_count": task.spec.plan.fovs,
                                "expected_image_count": task.spec.plan.frames,
                                "estimated_duration_s": task.spec.plan.estimate_s,
                                "state": job_state(task.status.state).0,
                                "accepted_at": task.spec.created}),
                    )
                    .with(
                        "Location",
                        format!("/v1/jobs/{id}?microscope={}", mic.spool.microscope),
                    ))
                }
                ("POST", ["v1", "acquisitions", "preflight"]) => {
                    read(grant, "a preflight")?;
                    let b: AcquisitionBody = json_body(req)?;
                    let holder = b.holder.clone();
                    let body = b.into_task(grant)?.body;
                    Ok(self.preflight(req, grant, unix, &body, holder.as_deref()))
                }
                ("GET", ["v1", "methods"]) => {
                    read(grant, "the methods")?;
                    let list: Vec<Value> = crate::queue::methods::list(&mic.spool)
                        .iter()
                        .map(method_summary)
                        .collect();
                    Ok(Response::json(200, &json!({"methods": list})))
                }
                ("GET", ["v1", "methods", name]) => {
                    read(grant, "a method")?;
                    let m = crate::queue::methods::read(&mic.spool, name)
                        .map_err(|f| Response::fault(&f))?;
                    let text = crate::queue::methods::protocol_text(&mic.spool, name)
                        .map_err(|f| Response::fault(&f))?;
                    Ok(Response::json(
                        200,
                        &json!({"name": m.name, "config": m.config, "protocol": text, "summary": method_summary(&m)}),
                    ))
                }
                ("POST", ["v1", "methods"]) | ("PUT", ["v1", "methods", _]) => {
                    super::routes::need_submit(grant)?;
                    let b: MethodBody = json_body(req)?;
                    let replace = m == "PUT";
                    let name = match (parts.get(2), &b.name) {
                        (Some(n), None) => n.to_string(),
                        (Some(n), Some(b)) if n == b => n.to_string(),
                        (None, Some(b)) => b.clone(),
                        _ => {
                            return Err(Response::fault_as(
                                422,
                                &Fault::new(
                                    Code::SchemaViolation,
                                    if replace {
                                        "the method's name is in the path; a `name` in the body must be the same"
                                    } else {
                                        "name the method: {\"name\": …, \"config\": …}"
                                    },
                                )
                                .component("methods"),
                            ));
                        }
                    };
                    let source = match (b.config, b.protocol) {
                        (Some(c), None) => crate::queue::methods::Source::Squid(c),
                        (None, Some(text)) => {
                            crate::queue::methods::Source::from_text(text, self.cwd.clone())
                        }
                        _ => {
                            return Err(Response::fault_as(
                                422,
                                &Fault::new(
                                    Code::SchemaViolation,
                                    "give the method as Squid's `config` (its acquisition configuration) or squidctl's `protocol` (YAML text), one of them",
                                )
                                .component("methods"),
                            ));
                        }
                    };
                    let microscope = crate::hardware::load(mic.file.as_deref())
                        .map_err(|d| super::routes::invalid_microscope(&d))?;
                    let stored = crate::queue::methods::store(
                        &mic.spool,
                        &microscope,
                        &name,
                        source,
                        replace,
                    )
                    .map_err(|f| Response::fault(&f))?;
                    let mut v = json!({"name": name, "method": method_summary(&stored)});
                    v[if replace { "updated" } else { "created" }] = json!(true);
                    Ok(Response::json(if replace { 200 } else { 201 }, &v)
                        .with("Location", format!("/v1/methods/{name}")))
                }
                ("DELETE", ["v1", "methods", name]) => {
                    super::routes::need_submit(grant)?;
                    crate::queue::methods::remove(&mic.spool, name)
                        .map_err(|f| Response::fault(&f))?;
                    Ok(Response::json(200, &json!({"name": name, "deleted": true})))
                }
                ("POST", ["v1", "methods", name, "validate"]) => {
                    read(grant, "a method")?;
                    let body = CreateBody {
                        method: Some(name.to_string()),
                        ..CreateBody::default()
                    };
                    Ok(self.preflight(req, grant, unix, &body, None))
                }
                ("GET", ["v1", "jobs", which]) => {
                    read(grant, "a job")?;
                    let id = match *which {
                        "last" => mic
                            .spool
                            .ids()
                            .into_iter()
                            .max()
                            .ok_or_else(|| Response::error(404, "no job yet"))?,
                        n => job_id(n)?,
                    };
                    let t = mic.spool.task(id).map_err(spool_error)?;
                    Ok(Response::json(200, &job(&t)))
                }
                ("POST", ["v1", "jobs", n, "abort"]) => {
                    control(grant, "aborting a job")?;
                    let id = job_id(n)?;
                    let b: AbortBody = json_body(req)?;
                    let timeout =
                        Duration::from_secs_f64(b.timeout_s.unwrap_or(60.0).clamp(0.0, 600.0));
                    let t0 = Instant::now();
                    crate::queue::verbs::cancel(&mic.spool, id, true).map_err(spool_error)?;
                    let st = mic
                        .spool
                        .wait_ended(&[id], Some(timeout))
                        .map_err(spool_error)?
                        .remove(0);
                    let t = mic.spool.task(id).map_err(spool_error)?;
                    Ok(Response::json(
                        200,
                        &json!({"clean": st.state == State::Cancelled, "timed_out": !st.state.terminal(),
                                                    "duration_s": t0.elapsed().as_secs_f64(), "job": job(&t)}),
                    ))
                }
                (_, ["v1", "system", "shutdown"]) => Err(Response::error(
                    501,
                    "shutdown: stop `squidctl serve` and the worker through their service manager",
                )),
                (_, path) => match not_implemented(path) {
                    Some(why) => Err(Response::error(501, why)),
                    None => Err(Response::error(
                        404,
                        format!("no route {m} {}: see /openapi.json", req.path),
                    )),
                },
            }
        })();
        Some(r.unwrap_or_else(|e| e))
    }

    /// Queue an action for `holder` (else the token's name) and, if `block`, wait for it.
    fn act(
        &self,
        mic: &Microscope,
        grant: Option<&Grant>,
        action: Action,
        holder: Option<String>,
        block: bool,
    ) -> Result<Task, Response> {
        let sreq = SubmitRequest {
            holder: holder_of(holder, grant),
            ..SubmitRequest::default()
        };
        let wait = block.then_some(BLOCK_WAIT.min(MAX_WAIT));
        self.enqueue_action(mic, grant, &action, sreq, false, wait)
    }

    fn system_status(&self, mic: &Microscope, s: &Value) -> Value {
        let tasks = mic.spool.tasks();
        let last = tasks
            .iter()
            .filter(|t| t.spec.action.is_none() && t.status.state.terminal())
            .max_by_key(|t| t.spec.id);
        json!({
            "state": s["squid_state"],
            "current_job_id": s["running"]["task"].as_u64().map(|i| i.to_string()),
            "latest_fault": s["latest_fault"],
            "last_acquisition": last.map(|t| json!({
                "job_id": t.spec.id.to_string(),
                "outcome": job_state(t.status.state).1,
                "completed_at": t.status.ended_unix.map(|u| crate::clock::WallTime::from_unix(u).rfc3339()),
            })),
            "session_id": format!("squidctl-{}", std::process::id()),
            "server_time": crate::clock::WallTime::now().rfc3339(),
            "instrument": s,
        })
    }

    fn capabilities(&self, mic: &Microscope) -> Result<Response, Response> {
        let c = crate::hardware::load(mic.file.as_deref())
            .map_err(|d| Response::error(500, d.render()))?;
        let d = &c.desc;
        let range = |r: &[crate::protocol::units::Length; 2]| json!([r[0].mm(), r[1].mm()]);
        Ok(Response::json(
            200,
            &json!({
                "channels": d.channels.iter().map(|ch| json!({"name": ch.name})).collect::<Vec<_>>(),
                "stage": {"x_range_mm": range(&d.stage.travel.x), "y_range_mm": range(&d.stage.travel.y), "z_range_mm": range(&d.stage.travel.z)},
                "camera": {"model": d.camera.model, "sensor_size_px": [d.camera.width, d.camera.height], "pixel_size_um": d.camera.pixel_size.um()},
                "reflection_af_hardware": d.laser_autofocus.is_some(),
                "named_positions": d.positions.keys().collect::<Vec<_>>(),
                "simulation": d.driver.as_deref().is_none_or(|x| x == "sim"),
                "reservation": true,
                "emergency_stop": true,
            }).as_object().map(|o| {
                let mut o = o.clone();
                if let Value::Object(v) = version() { o.extend(v); }
                Value::Object(o)
            }).unwrap_or(Value::Null),
        ))
    }
}

/// Squid's routes squidctl answers with a 501 and what to do instead (as Squid answers its
/// own deferred routes): the route is in /openapi.json and a driver gets a fault, not a 404.
fn not_implemented(path: &[&str]) -> Option<&'static str> {
    Some(match path {
        ["v1", "sample_formats"] => {
            "plate formats: a protocol's `plate.format` (6 to 1536 wells) or `plate.custom`"
        }
        ["v1", "imaging", "channel" | "exposure" | "intensity"] => {
            "squidctl keeps no selected channel: give channel, exposure_ms and intensity to /v1/imaging/acquire (or in the protocol)"
        }
        ["v1", "imaging", "illumination", "on" | "off"] => {
            "lights: queue the `lights` action (POST /v1/tasks {\"action\": \"lights\", \"parameters\": {\"on\": true, \"channel\": …, \"for_s\": …}}); a light is never left on without a limit"
        }
        ["v1", "imaging", "objective" | "objectives"] => {
            "a microscope description has one objective: describe each objective setup as its own microscope"
        }
        ["v1", "imaging", "live", "start" | "stop"] => {
            "no live view: snap with /v1/imaging/acquire"
        }
        [
            "v1",
            "autofocus",
            "status" | "store_reference" | "correct" | "acquire_image",
        ] => {
            "the laser autofocus is calibrated with `squidctl calibrate-af` on the rig and used by /v1/autofocus/run and protocols; preflight says whether it is calibrated"
        }
        ["v1", "debug", ..] => "squidctl runs no code sent to it",
        _ => return None,
    })
}

/// A blocking action's reply: its result shaped by `shape`, or its fault; still running
/// after the wait: 202 with where to follow it.
fn done(
    task: &Task,
    component: &str,
    shape: impl Fn(&Value) -> Value,
) -> Result<Response, Response> {
    match task.status.state {
        State::Completed => {
            let r = task.status.result.clone().unwrap_or(Value::Null);
            let mut v = shape(&r);
            if let Value::Object(o) = &mut v {
                o.insert("job_id".into(), json!(task.spec.id.to_string()));
            }
            Ok(Response::json(200, &v))
        }
        s if s.terminal() => Err(failed_action(task, component)),
        _ => {
            Ok(Response::json(202, &job(task))
                .with("Location", format!("/v1/jobs/{}", task.spec.id)))
        }
    }
}

fn accepted(mic: &Microscope, t: &Task) -> Response {
    Response::json(202, &job(t)).with(
        "Location",
        format!("/v1/jobs/{}?microscope={}", t.spec.id, mic.spool.microscope),
    )
}

fn job_id(n: &str) -> Result<u64, Response> {
    n.parse().map_err(|_| {
        Response::error(
            404,
            format!("`{}` is not a job id", crate::human::clip(n, 40)),
        )
    })
}

/// A task as Squid's job record.
fn job(t: &Task) -> Value {
    let (state, outcome) = job_state(t.status.state);
    let run = crate::queue::view::run_record(t);
    json!({
        "job_id": t.spec.id.to_string(),
        "kind": if t.spec.action.is_some() { "action" } else { "acquisition" },
        "state": state,
        "outcome": outcome,
        "squidctl_state": t.status.state,
        "accepted_at": t.spec.created,
        "completed_at": t.status.ended_unix.map(|u| crate::clock::WallTime::from_unix(u).rfc3339()),
        "progress": {
            "images_acquired": run.as_ref().map_or(0, |r| r.counts.saved),
            "total_images": t.spec.plan.frames,
        },
        "result": match (&t.spec.action, &run) {
            (Some(_), _) => t.status.result.clone().unwrap_or(Value::Null),
            (None, Some(r)) => json!({"end_reason": r.end_reason, "output_dir": r.run_dir,
                                      "image_count_written": r.counts.saved, "exit_code": r.exit_code}),
            (None, None) => Value::Null,
        },
        "note": t.status.note,
        "error": t.status.fault,
    })
}

/// `GET /v1/system/faults?since=&limit=`: the history, oldest first — every fault a task,
/// an action or an emergency stop ended with, numbered by its event in the spool's log (so
/// it outlives a `serve` restart). Refusals of bad requests are answered, not kept.
fn faults_since(mic: &Microscope, req: &Request) -> Result<Response, Response> {
    let num = |k: &str, d: u64| -> Result<u64, Response> {
        req.param(k).map_or(Ok(d), |v| {
            v.parse().map_err(|_| {
                Response::error(
                    400,
                    format!("{k}=`{}`: not a whole number", crate::human::clip(v, 40)),
                )
            })
        })
    };
    let since = num("since", 0)?;
    let limit = num("limit", 100)?.clamp(1, 1000) as usize;
    let out = crate::queue::faults::since(&mic.spool, since, limit)
        .map_err(|e| Response::error(500, format!("cannot read the event log: {e}")))?;
    Ok(Response::json(200, &json!({"faults": out})))
}

/// A method as Squid's list shows it, with squidctl's estimate (Squid's is always null).
fn method_summary(m: &crate::queue::methods::Method) -> Value {
    json!({
        "name": m.name,
        "widget_type": "wellplate",
        "form": m.form,
        "channels": m.channels,
        "objective": m.config.as_ref().and_then(|c| c["objective"]["name"].as_str().map(String::from)),
        "wellplate_format": m.config.as_ref().and_then(|c| c["sample"]["wellplate_format"].as_str().map(String::from)),
        "wells": m.wells,
        "nz": m.nz,
        "nt": m.nt,
        "frames": m.frames,
        "bytes": m.bytes,
        "estimated_duration_s": m.estimated_duration_s,
        "created": m.created,
        "updated": m.updated,
        "notes": m.notes,
    })
}

fn version() -> Value {
    json!({"software_version": format!("squidctl {}", env!("CARGO_PKG_VERSION")), "api_version": "v1", "firmware_version": "unknown"})
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime with a valid out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}
