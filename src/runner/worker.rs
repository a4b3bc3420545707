//! The acquisition thread: walks the plan's events, runs each device call as a supervised
//! step, applies the error policy, keeps the time-lapse schedule, and hands frames to the
//! savers. It stops between frames when asked to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::deadlines::Deadlines;
use super::safe_point::{Boundary, Gate, Idle, SafePoint, Verdict};
use crate::fault::{Code, Fault};
use crate::hardware::autofocus::{AfMethod as HwAf, AfRequest, AfResult};
use crate::hardware::{CallKind, DeviceError, ErrorKind, Microscope};
use crate::plan::focus_map::FocusMapPlan;
use crate::plan::round::Round;
use crate::plan::surface::{Surface, SurfaceKind};
use crate::plan::{AutofocusPlan, Event, Plan};
use crate::protocol::schema::{AfMethod, ErrorAction, Overrun};
use crate::run_dir::Records;
use crate::run_dir::journal::{Record, records};
use crate::saver::{FrameMsg, SaveFailure, Sink, SinkError};
use crate::supervisor::registry;
use crate::supervisor::signals::Cancel;

/// Says whether an event is already safely saved (by an earlier session of a resumed run).
pub type DoneFilter = Arc<dyn Fn(&Event) -> bool + Send + Sync>;

/// Live counters, read by the heartbeat and progress display.
#[derive(Default)]
pub struct Stats {
    pub acquired: AtomicU64,
    pub skipped_frames: AtomicU64,
    pub skipped_fovs: AtomicU64,
    pub failed_steps: AtomicU64,
    pub retries: AtomicU64,
    pub autofocus_runs: AtomicU64,
    /// Index of the event in progress (for progress lines).
    pub current_seq: AtomicU64,
    pub current_t: AtomicU64,
    pub current_region: AtomicU64,
    pub current_fov: AtomicU64,
    /// While waiting for a time point: its start on the microscope clock (f64 bits), else 0.
    pub waiting_until: AtomicU64,
}

/// The links' health as last read, and which were warned about (once per run session).
#[derive(Default)]
pub struct LinkWatch {
    pub latest: Vec<(String, crate::hardware::LinkHealth)>,
    warned: Vec<String>,
}

/// A wait for the savers this long is journaled (shorter ones are only counted).
const BACKPRESSURE_NOTED: std::time::Duration = std::time::Duration::from_millis(250);

/// Look at the links every this many frames (a lock and a few counters).
const LINK_CHECK_FRAMES: u64 = 50;
/// A rate is only meaningful over this many frames sent.
const LINK_MIN_FRAMES: u64 = 200;

/// Where frames go: the saver pool, or nowhere (a dry run without `--write`).
pub enum Output {
    Savers(Sink),
    Discard,
}

#[derive(Debug)]
pub enum WorkerEnd {
    Completed,
    Cancelled,
    /// A step failed after its retries and the policy is `abort` (with the step's fault).
    Aborted(String, Option<Fault>),
    OutputFailed(SaveFailure),
}

pub struct Worker {
    pub plan: Arc<Plan>,
    pub m: Microscope,
    pub output: Output,
    pub cancel: Arc<Cancel>,
    pub records: Arc<Records>,
    pub deadlines: Deadlines,
    pub stats: Arc<Stats>,
    pub rounds: Arc<Mutex<Vec<Round>>>,
    /// Event numbers already safely saved by an earlier session (resume skips them).
    pub done: Option<DoneFilter>,
    pub initial_focus: HashMap<u32, f64>,
    pub known_focus: HashMap<(u32, u32, u32), f64>,
    pub run_start_unix: f64,
    /// Clock time the schedule counts from (0 for a new run; a resume continues the schedule).
    pub schedule_origin_s: f64,
    pub gate: Option<Arc<dyn Gate>>,
    pub links: Arc<Mutex<LinkWatch>>,
}

/// A step that failed after its retries.
struct StepFailure {
    kind: CallKind,
    message: String,
    fault: Fault,
    /// A device lost its homing: no policy but `on_error.rehome` may go on.
    needs_homing: bool,
}

#[derive(Default)]
struct Hw {
    xy: Option<(f64, f64)>,
    z: Option<f64>,
    light: Option<(String, f64)>,
    exposure: Option<f64>,
    gain: Option<f64>,
}

/// A frame is kept only when the camera reports the exposure and gain its channel asked for
/// (within the camera's rounding): a frame taken at another channel's setting is an error.
fn as_asked(
    meta: &crate::hardware::FrameMeta,
    channel: &str,
    exposure_s: f64,
    gain: Option<f64>,
) -> Result<(), DeviceError> {
    // Cameras round the exposure to their line time: a few per cent, or 50 µs.
    let exp_ok = (meta.exposure_s - exposure_s).abs() <= (exposure_s * 0.02).max(50e-6);
    let gain_ok = gain.is_none_or(|g| (meta.gain - g).abs() <= 0.05);
    if exp_ok && gain_ok {
        return Ok(());
    }
    Err(DeviceError::failed(
        "camera",
        format!(
            "the frame came at exposure {} ms, gain {}, but {channel} asks for {} ms{}: the frame is not kept",
            crate::protocol::units::fmt_num(meta.exposure_s * 1e3),
            crate::protocol::units::fmt_num(meta.gain),
            crate::protocol::units::fmt_num(exposure_s * 1e3),
            gain.map(|g| format!(", gain {}", crate::protocol::units::fmt_num(g)))
                .unwrap_or_default()
        ),
    ))
}

fn coords(plan: &Plan, ev: &Event) -> String {
    super::log_lines::place(plan, ev.t, ev.region, ev.fov, ev.z, ev.channel)
}

impl Worker {
    /// Read the links' counters: warn once (and journal it) when one resends more than
    /// [`RESEND_WARN_RATE`](crate::microscope::link_health::RESEND_WARN_RATE) of its
    /// frames; at the end, journal every link's counts for `report`.
    fn watch_links(&mut self, at_end: bool) {
        use crate::microscope::link_health::RESEND_WARN_RATE;
        let links = self.m.link_health();
        let mut w = self.links.lock().unwrap_or_else(|p| p.into_inner());
        for (device, h) in &links {
            let bad = h.frames >= LINK_MIN_FRAMES && h.resend_rate() > RESEND_WARN_RATE;
            let first = bad && !w.warned.contains(device);
            if first {
                w.warned.push(device.clone());
                tracing::warn!(
                    "the link to the {device} resends {:.1} % of its frames ({}): a failing USB cable, hub or port is the commonest cause of a lost night; replace the cable or plug the board straight into the PC",
                    h.resend_rate() * 100.0,
                    h.summary()
                );
            }
            if first || at_end {
                self.records.emit(Record::Link(records::LinkReport {
                    device: device.clone(),
                    health: *h,
                }));
            }
        }
        w.latest = links;
    }

    /// Run one device call as a supervised step, with the retry policy.
    fn step<T>(
        &mut self,
        kind: CallKind,
        ev: &Event,
        deadline: Duration,
        times: &mut Vec<(CallKind, f64)>,
        mut f: impl FnMut(&mut Microscope) -> Result<T, DeviceError>,
    ) -> Result<T, StepFailure> {
        let policy = self.plan.on_error.clone();
        let detail = coords(&self.plan, ev);
        let mut attempt = 0u32;
        loop {
            registry::set_crumb(kind.name(), detail.clone(), Some(deadline));
            let start = Instant::now();
            let r = crate::supervisor::panics::catch(|| f(&mut self.m));
            registry::clear_crumb();
            let took = start.elapsed().as_secs_f64();
            let needs_homing = matches!(&r, Ok(Err(e)) if e.kind == ErrorKind::NeedsHoming);
            let (message, disconnected, retriable, backtrace, fault) = match r {
                Ok(Ok(v)) => {
                    times.push((kind, took));
                    return Ok(v);
                }
                Ok(Err(e)) => (
                    e.to_string(),
                    e.kind == ErrorKind::Disconnected,
                    !matches!(e.kind, ErrorKind::OutOfRange | ErrorKind::NotReady),
                    None,
                    e.fault(),
                ),
                Err(p) => {
                    let m = format!("driver {p}");
                    let f = Fault::new(Code::Internal, m.clone())
                        .component(crate::fault::component_of_step(kind.name()));
                    (m, false, true, Some(p.backtrace_text()), f)
                }
            };
            let fault = fault
                .with("step", kind.name())
                .with("at", &detail)
                .with("attempt", attempt + 1);
            attempt += 1;
            let will_retry = retriable
                && (!needs_homing || policy.rehome)
                && attempt <= policy.retries
                && !self.cancel.requested();
            self.records.emit(Record::StepError(records::StepError {
                step: kind.name().into(),
                seq: ev.seq,
                t: ev.t,
                region: ev.region,
                fov: ev.fov,
                z: ev.z,
                channel: ev.channel,
                attempt,
                error: message.clone(),
                duration_s: took,
                will_retry,
                backtrace,
                fault: Some(fault.clone()),
            }));
            if !will_retry {
                self.stats.failed_steps.fetch_add(1, Ordering::SeqCst);
                return Err(StepFailure {
                    kind,
                    message,
                    fault,
                    needs_homing,
                });
            }
            self.stats.retries.fetch_add(1, Ordering::SeqCst);
            let backoff = policy.backoff.secs() * 2f64.powi(attempt as i32 - 1);
            let clock = self.m.clock.clone();
            let cancel = self.cancel.clone();
            registry::set_crumb(
                "backoff",
                format!("before retry {attempt} of {kind} at {detail}"),
                None,
            );
            let waited = clock.wait_until(clock.now_s() + backoff, &|| cancel.requested());
            registry::clear_crumb();
            if !waited {
                return Err(StepFailure {
                    kind,
                    message,
                    fault,
                    needs_homing,
                });
            }
            if needs_homing || disconnected {
                // Re-homing takes as long as homing: its own calls have deadlines.
                let (what, limit) = if needs_homing {
                    ("re-homing", None)
                } else {
                    ("reconnecting", Some(deadline))
                };
                registry::set_crumb(what, format!("{kind} device at {detail}"), limit);
                let r = crate::supervisor::panics::catch(|| {
                    if needs_homing {
                        self.m.rehome()
                    } else {
                        self.m.reconnect(kind)
                    }
                });
                registry::clear_crumb();
                match r {
                    Ok(Ok(())) => self.records.emit(Record::Reconnect(records::Reconnect {
                        step: kind.name().into(),
                        seq: ev.seq,
                    })),
                    Ok(Err(e)) => tracing::warn!("{what} the {kind} device failed: {e}"),
                    Err(p) => tracing::warn!("{what} the {kind} device: driver {p}"),
                }
            }
        }
    }

    fn af_request(&self, af: &AutofocusPlan, reference_z: f64) -> AfRequest {
        let ch = &self.plan.channels[af.channel.min(self.plan.channels.len().saturating_sub(1))];
        AfRequest {
            method: HwAf::of_plan(af),
            reference_z_mm: reference_z,
            exposure_s: ch.exposure.secs(),
            gain: ch.gain,
            source: ch.source.clone(),
            intensity_pct: ch.intensity_pct,
        }
    }

    /// One autofocus where the stage is, counted in the round; the light, exposure and z it
    /// leaves are set again before the next frame.
    fn autofocus_here(
        &mut self,
        ev: &Event,
        hw: &mut Hw,
        req: &AfRequest,
        deadline: Duration,
        times: &mut Vec<(CallKind, f64)>,
        round: &mut Round,
    ) -> Result<AfResult, StepFailure> {
        let t0 = self.m.clock.now_s();
        hw.z = None;
        hw.light = None;
        hw.exposure = None;
        let r = self.step(CallKind::Autofocus, ev, deadline, times, |m| {
            m.run_autofocus(req)
        })?;
        round.autofocus_s += self.m.clock.now_s() - t0;
        round.autofocus_runs += 1;
        self.stats.autofocus_runs.fetch_add(1, Ordering::SeqCst);
        hw.z = Some(r.z_mm);
        Ok(r)
    }

    /// The stage to the event's x, y, unless it is there.
    fn xy_to(
        &mut self,
        ev: &Event,
        hw: &mut Hw,
        times: &mut Vec<(CallKind, f64)>,
    ) -> Result<(), StepFailure> {
        if hw.xy != Some((ev.x_mm, ev.y_mm)) {
            let d = self
                .deadlines
                .move_xy(hw.xy.map(|(x, y)| (ev.x_mm - x, ev.y_mm - y)));
            hw.xy = None;
            self.step(CallKind::MoveXy, ev, d, times, |m| {
                m.xy.move_to(ev.x_mm, ev.y_mm)
            })?;
            hw.xy = Some((ev.x_mm, ev.y_mm));
        }
        Ok(())
    }

    /// The focus to `z`, unless it is there.
    fn z_to(
        &mut self,
        ev: &Event,
        hw: &mut Hw,
        z: f64,
        times: &mut Vec<(CallKind, f64)>,
    ) -> Result<(), StepFailure> {
        if hw.z != Some(z) {
            let d = self.deadlines.move_z(hw.z.map(|from| z - from));
            hw.z = None;
            self.step(CallKind::MoveZ, ev, d, times, |m| m.z.move_to(z))?;
            hw.z = Some(z);
        }
        Ok(())
    }

    /// Acquire one event; returns the frame. With a focus `map`, `focus` holds each region's
    /// correction to the map (mm) rather than its focus.
    fn acquire(
        &mut self,
        ev: &Event,
        hw: &mut Hw,
        focus: &mut HashMap<u32, f64>,
        map: Option<&Surface>,
        round: &mut Round,
    ) -> Result<Option<FrameMsg>, StepFailure> {
        let plan = self.plan.clone();
        let region = &plan.regions[ev.region as usize];
        let on_map = map.map(|s| s.at(ev.x_mm, ev.y_mm));
        let base = |focus: &HashMap<u32, f64>| match on_map {
            Some(m) => m + focus.get(&ev.region).copied().unwrap_or(0.0),
            None => focus.get(&ev.region).copied().unwrap_or(region.z_mm),
        };
        let mut times = Vec::with_capacity(5);
        self.xy_to(ev, hw, &mut times)?;
        if ev.autofocus
            && let Some(&z) = self.known_focus.get(&(ev.t, ev.region, ev.fov))
        {
            // Measured by an earlier session of this run: use it as it was.
            focus.insert(ev.region, on_map.map_or(z, |m| z - m));
        } else if ev.autofocus && plan.autofocus.method != AfMethod::None {
            let reference = base(focus);
            self.z_to(ev, hw, reference, &mut times)?;
            let req = self.af_request(&plan.autofocus, reference);
            let d = self.deadlines.autofocus();
            let r = self.autofocus_here(ev, hw, &req, d, &mut times, round)?;
            focus.insert(ev.region, on_map.map_or(r.z_mm, |m| r.z_mm - m));
            self.records.emit(Record::Autofocus(records::Autofocus {
                seq: ev.seq,
                t: ev.t,
                region: ev.region,
                fov: ev.fov,
                z_mm: r.z_mm,
                samples: r.samples,
                from_z_mm: reference,
                from_map_um: on_map.map(|m| ((r.z_mm - m) * 1e7).round() / 1e4),
            }));
        }
        let z = base(focus) + ev.z_offset_um / 1000.0;
        self.z_to(ev, hw, z, &mut times)?;
        let ch = &plan.channels[ev.channel as usize];
        let light = (ch.source.clone(), ch.intensity_pct);
        if hw.light.as_ref() != Some(&light) {
            let d = self.deadlines.illumination();
            hw.light = None;
            self.step(CallKind::Illumination, ev, d, &mut times, |m| {
                m.illumination.set(&light.0, light.1)
            })?;
            hw.light = Some(light);
        }
        let exposure = ch.exposure.secs();
        let gain = ch.gain;
        let (mut set_exp, mut set_gain) = (
            hw.exposure != Some(exposure),
            gain.is_some() && hw.gain != gain,
        );
        // Unknown until this step succeeds: a failed attempt may have left the camera at
        // either value, so a retry, and the next frame, set them again.
        hw.exposure = None;
        if gain.is_some() {
            hw.gain = None;
        }
        let d = self
            .deadlines
            .capture(exposure, self.m.camera.own_timeout_s());
        let channel = ch.name.clone();
        let frame = self.step(CallKind::Capture, ev, d, &mut times, |m| {
            if set_exp {
                m.camera.set_exposure(exposure)?;
            }
            if let (true, Some(g)) = (set_gain, gain) {
                m.camera.set_gain(g)?;
            }
            (set_exp, set_gain) = (true, gain.is_some());
            let f = m.expose(exposure)?;
            as_asked(&f.meta, &channel, exposure, gain)?;
            Ok(f)
        })?;
        hw.exposure = Some(exposure);
        if gain.is_some() {
            hw.gain = gain;
        }
        self.stats.acquired.fetch_add(1, Ordering::SeqCst);
        round.frames += 1;
        if self.records.journaled() {
            let steps = times
                .iter()
                .map(|(k, s)| (k.name().to_string(), (s * 1e6).round() / 1e6))
                .collect();
            self.records.emit(Record::Frame(records::Frame {
                seq: ev.seq,
                t: ev.t,
                region: ev.region,
                fov: ev.fov,
                z: ev.z,
                channel: ev.channel,
                clock_s: self.m.clock.now_s(),
                steps,
                focus_error_um: frame
                    .meta
                    .defocus_um
                    .map(|d| ((d - ev.z_offset_um) * 1e4).round() / 1e4),
                placement_error_um: frame.meta.well_offset_um.and_then(|[tx, ty]| {
                    let c = self.plan.regions.get(ev.region as usize)?.centre;
                    let planned = ((ev.x_mm - c.0) * 1e3, (ev.y_mm - c.1) * 1e3);
                    Some(((tx - planned.0).hypot(ty - planned.1) * 10.0).round() / 10.0)
                }),
            }));
        }
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(self.run_start_unix, |d| d.as_secs_f64());
        Ok(Some(FrameMsg {
            ev: ev.clone(),
            camera: frame.meta,
            pixels: frame.pixels,
            width: frame.width,
            height: frame.height,
            stage_mm: (ev.x_mm, ev.y_mm, z),
            elapsed_s: self.m.clock.now_s(),
            wall_unix_s: wall,
        }))
    }

    fn push_round(&self, mut r: Round, now: f64) {
        r.close(now, self.plan.time.interval.secs(), self.plan.time.count);
        self.rounds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(r);
    }

    /// Ask the gate at the safe point before `ev`; `Some(why)` stops the run here.
    fn safe_point(
        &mut self,
        gate: &Arc<dyn Gate>,
        ev: &Event,
        boundary: Boundary,
        hw: &mut Hw,
    ) -> Option<String> {
        let plan = self.plan.clone();
        let point = SafePoint {
            boundary,
            t: ev.t,
            region: plan
                .regions
                .get(ev.region as usize)
                .map_or_else(|| ev.region.to_string(), |r| r.name.clone()),
            fov: ev.fov,
            remaining_bytes: plan.total_frames().saturating_sub(ev.seq) * plan.frame.bytes(),
        };
        let clock = self.m.clock.clone();
        let cancel = self.cancel.clone();
        let pass = move |d: Duration| {
            let scale = clock.scale();
            if scale > 0.0 {
                clock.wait_until(clock.now_s() + d.as_secs_f64() / scale, &|| {
                    cancel.requested()
                })
            } else {
                std::thread::sleep(d);
                !cancel.requested()
            }
        };
        let records = self.records.clone();
        let emit = move |r: Record| records.emit(r);
        let illumination = &mut self.m.illumination;
        let dark = std::cell::Cell::new(false);
        let mut lights_off = || {
            let _ = crate::supervisor::panics::catch(|| illumination.off());
            dark.set(true);
        };
        registry::set_crumb(
            "safe point",
            format!("before t={} {} FOV {}", point.t, point.region, point.fov),
            None,
        );
        let verdict = gate.at(
            &point,
            &mut Idle {
                lights_off: &mut lights_off,
                pass: &pass,
                emit: &emit,
            },
        );
        registry::clear_crumb();
        if dark.get() {
            // The next frame must switch its light on again.
            hw.light = None;
        }
        match verdict {
            Verdict::Go => None,
            Verdict::Stop(why) => Some(why),
        }
    }

    /// One focus-map point: to the well's centre, z to `reference`, and an autofocus.
    fn map_point(
        &mut self,
        fm: &FocusMapPlan,
        ev: &Event,
        hw: &mut Hw,
        reference: f64,
        round: &mut Round,
    ) -> Result<f64, StepFailure> {
        let mut times = Vec::new();
        self.xy_to(ev, hw, &mut times)?;
        self.z_to(ev, hw, reference, &mut times)?;
        let req = self.af_request(&fm.autofocus, reference);
        let d = self.deadlines.autofocus_of(&fm.autofocus, req.exposure_s);
        let r = self.autofocus_here(ev, hw, &req, d, &mut times, round)?;
        Ok(r.z_mm)
    }

    /// Measure the focus map before time point `at.t` is imaged and fit its surface; `Err`
    /// with why the plate cannot be imaged from it (`None`: cancelled).
    fn measure_map(
        &mut self,
        fm: &FocusMapPlan,
        at: &Event,
        hw: &mut Hw,
        previous: Option<&Surface>,
        round: &mut Round,
    ) -> Result<Surface, Option<String>> {
        let mut points = Vec::new();
        let mut measured = Vec::new();
        for (well, x, y, region) in &fm.points {
            if self.cancel.requested() {
                return Err(None);
            }
            let ev = Event {
                region: *region,
                fov: 0,
                x_mm: *x,
                y_mm: *y,
                autofocus: true,
                ..at.clone()
            };
            let reference =
                previous.map_or(self.plan.regions[*region as usize].z_mm, |s| s.at(*x, *y));
            let r = self.map_point(fm, &ev, hw, reference, round);
            if r.is_err() && self.cancel.requested() {
                return Err(None);
            }
            if let Ok(z) = r {
                measured.push((*region, *x, *y, z));
            }
            points.push(records::FocusMapPoint {
                well: well.clone(),
                x_mm: *x,
                y_mm: *y,
                z_mm: r.as_ref().ok().copied(),
                residual_um: None,
                error: r.err().map(|f| f.message),
            });
        }
        let surface = match fm.surface {
            SurfaceKind::Bilinear => Surface::fit_per_well(&measured),
            kind => Surface::fit(
                kind,
                &measured.iter().map(|m| (m.1, m.2, m.3)).collect::<Vec<_>>(),
            ),
        };
        let mut record = records::FocusMap {
            t: at.t,
            points,
            surface: surface.clone(),
            rms_um: None,
            max_residual_um: None,
            failed: None,
        };
        let outcome = match surface {
            None => Err(format!(
                "focus map: {} of {} points measured, too few to fit a {} (it needs {} that are not all in a line)",
                measured.len(),
                fm.points.len(),
                fm.surface.name(),
                fm.surface.terms()
            )),
            Some(s) => {
                let mut sum = 0.0;
                let mut worst: (f64, &str) = (0.0, "");
                for p in &mut record.points {
                    if let Some(z) = p.z_mm {
                        let r = (z - s.at(p.x_mm, p.y_mm)) * 1000.0;
                        p.residual_um = Some((r * 1e4).round() / 1e4);
                        sum += r * r;
                        if r.abs() > worst.0 {
                            worst = (r.abs(), &p.well);
                        }
                    }
                }
                record.rms_um = Some((sum / measured.len() as f64).sqrt());
                record.max_residual_um = Some(worst.0);
                if worst.0 > fm.max_residual_um {
                    Err(format!(
                        "focus map: {} is {:.2} µm from the fitted {} (the limit is {} µm); the sample is not the shape the map assumes, or a point focused on something else",
                        worst.1,
                        worst.0,
                        fm.surface.name(),
                        fm.max_residual_um
                    ))
                } else {
                    Ok(s)
                }
            }
        };
        record.failed = outcome.as_ref().err().cloned();
        self.records.emit(Record::FocusMap(record));
        outcome.map_err(Some)
    }

    pub fn run(mut self) -> WorkerEnd {
        let plan = self.plan.clone();
        let mut hw = Hw::default();
        let mut focus: HashMap<u32, f64> = std::mem::take(&mut self.initial_focus);
        // The focus map the current time point is imaged from, with its period.
        let mut map: Option<(u32, Surface)> = None;
        if plan.focus_map.is_some() {
            // Resumed runs measure their map again: the focus an earlier session kept is
            // absolute, not a correction to it.
            focus.clear();
        }
        // An autofocus due on a skipped (already saved) event moves to the next one taken
        // in the same visit.
        let mut af_due = false;
        let mut sweep_origin = self.schedule_origin_s;
        let mut sweep: u64 = 0;
        let mut first_sweep = true;
        let mut round: Option<Round> = None;
        let mut skipping_round = false;
        let mut skip_visit = false;
        let mut last_region: Option<u32> = None;
        let clock = self.m.clock.clone();
        let end = 'events: {
            for ev in plan.events() {
                self.stats.current_seq.store(ev.seq, Ordering::Relaxed);
                self.stats
                    .current_region
                    .store(ev.region as u64, Ordering::Relaxed);
                self.stats
                    .current_fov
                    .store(ev.fov as u64, Ordering::Relaxed);
                if self.cancel.requested() {
                    break 'events WorkerEnd::Cancelled;
                }
                if let Output::Savers(s) = &self.output
                    && let Some(f) = s.failure()
                {
                    break 'events WorkerEnd::OutputFailed(f);
                }
                if (ev.visit_start || ev.round_start)
                    && let Some(gate) = self.gate.clone()
                {
                    let boundary = if ev.round_start {
                        Boundary::Timepoint
                    } else if last_region != Some(ev.region) {
                        Boundary::Well
                    } else {
                        Boundary::Fov
                    };
                    if let Some(why) = self.safe_point(&gate, &ev, boundary, &mut hw) {
                        self.cancel
                            .stop_because(crate::exit::Exit::Interrupted, why);
                        break 'events WorkerEnd::Cancelled;
                    }
                }
                last_region = Some(ev.region);
                if ev.round_start {
                    if let Some(r) = round.take() {
                        self.push_round(r, clock.now_s());
                    }
                    if ev.sweep_start {
                        if !first_sweep {
                            sweep_origin = clock.now_s();
                            sweep += 1;
                        }
                        first_sweep = false;
                    }
                    self.stats.current_t.store(ev.t as u64, Ordering::Relaxed);
                    let scheduled = sweep_origin + plan.scheduled_s(ev.t);
                    if clock.now_s() < scheduled {
                        registry::set_crumb(
                            "wait",
                            format!("for time point t={} (starts at {:.1} s)", ev.t, scheduled),
                            None,
                        );
                        let cancel = self.cancel.clone();
                        self.stats
                            .waiting_until
                            .store(scheduled.to_bits(), Ordering::Relaxed);
                        let gate = self.gate.clone();
                        let ok = clock.wait_until(scheduled, &|| {
                            cancel.requested()
                                || gate.as_ref().is_some_and(|g| g.stop_wanted().is_some())
                        });
                        self.stats.waiting_until.store(0, Ordering::Relaxed);
                        registry::clear_crumb();
                        if !ok {
                            if let Some(why) = self.gate.as_ref().and_then(|g| g.stop_wanted()) {
                                self.cancel
                                    .stop_because(crate::exit::Exit::Interrupted, why);
                            }
                            break 'events WorkerEnd::Cancelled;
                        }
                    }
                    let now = clock.now_s();
                    let late = (now - scheduled).max(0.0);
                    skipping_round =
                        plan.time.overrun == Overrun::Skip && late > plan.time.skip_grace_s();
                    let tp = records::TimePoint {
                        t: ev.t,
                        sweep,
                        scheduled_s: scheduled,
                        clock_s: now,
                        late_s: late,
                    };
                    self.records.emit(if skipping_round {
                        Record::TimepointSkipped(tp)
                    } else {
                        Record::TimepointStart(tp)
                    });
                    round = Some(Round::start(ev.t, sweep, scheduled, now, skipping_round));
                }
                if skipping_round {
                    self.stats.skipped_frames.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                if ev.visit_start {
                    skip_visit = false;
                }
                if skip_visit {
                    self.stats.skipped_frames.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                if ev.visit_start {
                    af_due = false;
                }
                if self.done.as_ref().is_some_and(|d| d(&ev)) {
                    af_due |= ev.autofocus;
                    continue;
                }
                let mut ev = ev;
                if af_due {
                    ev.autofocus = true;
                    af_due = false;
                }
                let Some(r) = round.as_mut() else { continue };
                if let Some(fm) = &plan.focus_map
                    && map.as_ref().is_none_or(|(p, _)| *p != fm.period(ev.t))
                {
                    let previous = map.take().map(|(_, s)| s);
                    match self.measure_map(fm, &ev, &mut hw, previous.as_ref(), r) {
                        Ok(s) => {
                            // Corrections were to the old map.
                            focus.clear();
                            map = Some((fm.period(ev.t), s));
                        }
                        Err(None) => break 'events WorkerEnd::Cancelled,
                        Err(Some(why)) => {
                            let fault = Fault::new(Code::AutofocusFailed, why.clone())
                                .component("focus_map");
                            break 'events WorkerEnd::Aborted(why, Some(fault));
                        }
                    }
                }
                match self.acquire(&ev, &mut hw, &mut focus, map.as_ref().map(|(_, s)| s), r) {
                    Ok(Some(frame)) => {
                        if self
                            .stats
                            .acquired
                            .load(Ordering::SeqCst)
                            .is_multiple_of(LINK_CHECK_FRAMES)
                        {
                            self.watch_links(false);
                        }
                        if self.cancel.emergency() {
                            // Its exposure may have seen the light cut: not a frame to keep
                            // (resume takes it again).
                            self.stats.acquired.fetch_sub(1, Ordering::SeqCst);
                            break 'events WorkerEnd::Cancelled;
                        }
                        if let Output::Savers(s) = &self.output {
                            let cancel = self.cancel.clone();
                            let seq = ev.seq;
                            match s.send(frame, &|| cancel.fast()) {
                                Ok(waited) if waited >= BACKPRESSURE_NOTED => {
                                    self.records.emit(Record::BackPressure(
                                        records::BackPressure {
                                            seq,
                                            waited_s: waited.as_secs_f64(),
                                            queued: s.shared.queued.load(Ordering::SeqCst),
                                        },
                                    ));
                                }
                                Ok(_) => {}
                                Err(SinkError::Failed(f)) => {
                                    break 'events WorkerEnd::OutputFailed(f);
                                }
                                Err(SinkError::Cancelled) => break 'events WorkerEnd::Cancelled,
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(fail) => {
                        if self.cancel.requested() {
                            break 'events WorkerEnd::Cancelled;
                        }
                        let then = if fail.needs_homing {
                            ErrorAction::Abort
                        } else {
                            plan.on_error.then
                        };
                        match then {
                            ErrorAction::Abort => {
                                let msg = format!(
                                    "{} failed at {}: {}",
                                    fail.kind,
                                    coords(&plan, &ev),
                                    fail.message
                                );
                                let mut fault = fail.fault.clone();
                                fault.message = msg.clone();
                                self.records.emit(Record::Abort(records::Abort {
                                    seq: ev.seq,
                                    error: msg.clone(),
                                    fault: Some(fault.clone()),
                                }));
                                break 'events WorkerEnd::Aborted(msg, Some(fault));
                            }
                            ErrorAction::SkipFov => {
                                skip_visit = true;
                                self.stats.skipped_fovs.fetch_add(1, Ordering::SeqCst);
                                self.stats.skipped_frames.fetch_add(1, Ordering::SeqCst);
                                self.records.emit(Record::FovSkipped(records::FovSkipped {
                                    seq: ev.seq,
                                    t: ev.t,
                                    region: ev.region,
                                    fov: ev.fov,
                                    step: fail.kind.name().into(),
                                    error: fail.message.clone(),
                                    fault: Some(fail.fault.clone()),
                                }));
                                if let Output::Savers(s) = &self.output {
                                    s.end_visit(ev.t, ev.region, ev.fov);
                                }
                            }
                        }
                    }
                }
            }
            WorkerEnd::Completed
        };
        if let Some(r) = round.take() {
            self.push_round(r, clock.now_s());
        }
        // Leave the light off whatever happened.
        let _ = crate::supervisor::panics::catch(|| self.m.illumination.off());
        self.watch_links(true);
        end
    }
}
