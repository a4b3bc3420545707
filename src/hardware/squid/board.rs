//! The board as the devices see it: connected, configured and homed in Squid's order, moved
//! only by absolute targets checked on the host, its lights tracked so they can be restored
//! after a gap, and a restart reported as "re-home required", never smoothed over.

use std::sync::Arc;
use std::time::Duration;

use super::link::{Link, LinkConfig, LinkError, Port, Shared, Until, UrgentOff, resync};
use super::port;
use super::protocol::{Axis, AxisScale, Command, HomeMode, Limit, Status, Version};
use super::settings::{AxisSettings, Output, SquidSettings, TriggerMode};
use crate::hardware::{DeviceError, DeviceResult};
use crate::microscope::description::{AxisDesc, MicroscopeDesc};
use crate::microscope::timing::axis_move_secs;

/// The name devices report errors under.
pub const DEVICE: &str = "squid board";
/// Answers to simple commands come with the next status packet or two.
const ACK: Duration = Duration::from_millis(1000);
/// Consecutive valid packets that prove the stream is in step.
const IN_STEP: u32 = 3;
/// A board that is there says so within this.
const HELLO: Duration = Duration::from_secs(2);
/// Squid's homing order moves Y this far before homing X, and X before homing Y.
const HOME_Y_CLEAR_MM: f64 = 20.0;
const HOME_X_CLEAR_MM: f64 = 50.0;

/// The light the host asked for, to restore after the watchdog or a reconnect.
#[derive(Clone, Copy, Debug, Default)]
struct Lights {
    selected: Option<(Output, u16)>,
    on: bool,
    af_laser: bool,
}

/// The Teensy pin Squid wires its reflection-autofocus laser to (its _def.py).
pub const AF_LASER_PIN: u8 = 15;

pub struct Board {
    settings: SquidSettings,
    pub path: String,
    link: Option<Link>,
    shared: Arc<Shared>,
    pub version: Version,
    pub homed: bool,
    /// Why the board cannot be used until it is homed again (it restarted).
    pub rehome: Option<String>,
    xy: AxisDesc,
    z: AxisDesc,
    travel: [(f64, f64); 3],
    focus_z: f64,
    lights: Lights,
    /// Filter wheel: positions, and the current one (after homing, 1).
    wheel: Option<(u32, u32)>,
}

fn to_device(e: String) -> DeviceError {
    DeviceError::failed(DEVICE, e)
}

impl Board {
    /// Open the port, get in step, check the firmware, configure and home everything.
    pub fn connect(
        settings: SquidSettings,
        desc: &MicroscopeDesc,
        wheel_positions: Option<u32>,
    ) -> DeviceResult<Board> {
        let path = port::find(&settings).map_err(to_device)?;
        let mut p = port::open(&path, settings.baud).map_err(to_device)?;
        let (reader, first) = resync(&mut *p, settings.allow_legacy, IN_STEP, HELLO)
            .map_err(|e| to_device(format!("{path}: {e}")))?;
        let version = first.version;
        let min = settings
            .min_version()
            .unwrap_or(Version { major: 1, minor: 0 });
        if !version.legacy() && version < min {
            return Err(to_device(format!(
                "{path}: firmware {version} is older than squid.min_version {min}; update the board's firmware, or lower min_version to run without what it lacks"
            )));
        }
        let t = desc.stage.travel;
        let shared = Shared::new();
        let mut b = Board {
            path: path.clone(),
            link: None,
            shared: shared.clone(),
            version,
            homed: false,
            rehome: None,
            xy: desc.stage.xy.clone(),
            z: desc.stage.z.clone(),
            travel: [
                (t.x[0].mm(), t.x[1].mm()),
                (t.y[0].mm(), t.y[1].mm()),
                (t.z[0].mm(), t.z[1].mm()),
            ],
            focus_z: desc.stage.focus_z.mm(),
            lights: Lights::default(),
            wheel: wheel_positions.map(|n| (n, 1)),
            settings,
        };
        b.link = Some(
            Link::start(p, reader, shared, b.link_config())
                .map_err(|e| to_device(e.to_string()))?,
        );
        b.initialize()?;
        Ok(b)
    }

    fn link_config(&self) -> LinkConfig {
        let wd = self.settings.watchdog.std();
        LinkConfig {
            stale_after: self.settings.stale_after.std(),
            heartbeat: (self.watchdog_on() && !wd.is_zero()).then(|| wd / 2),
            allow_legacy: self.settings.allow_legacy,
            version: self.version,
        }
    }

    fn watchdog_on(&self) -> bool {
        !self.settings.watchdog.std().is_zero() && self.version.at_least(1, 1)
    }

    fn ports(&self) -> bool {
        self.version.at_least(1, 0)
    }

    /// One command, waited for; link failures become device errors (a restart is kept).
    fn call(&mut self, cmd: Command, until: Until, deadline: Duration) -> DeviceResult<Status> {
        if let Some(why) = &self.rehome {
            return Err(DeviceError {
                device: DEVICE.into(),
                kind: crate::hardware::ErrorKind::Disconnected,
                message: why.clone(),
            });
        }
        let Some(link) = &self.link else {
            return Err(DeviceError::disconnected(DEVICE));
        };
        link.call(cmd, until, deadline)
            .map_err(|e| self.error(cmd, e))
    }

    fn error(&mut self, cmd: Command, e: LinkError) -> DeviceError {
        use crate::hardware::ErrorKind;
        let (kind, message) = match e {
            LinkError::Rebooted => {
                let why = format!(
                    "re-home required: the board on {} restarted (power, USB or a firmware reset) and lost its homing and settings; nothing more is sent to it",
                    self.path
                );
                self.rehome = Some(why.clone());
                self.homed = false;
                (ErrorKind::Disconnected, why)
            }
            LinkError::Disconnected(m) => (ErrorKind::Disconnected, format!("{}: {m}", self.path)),
            LinkError::Rejected if matches!(cmd, Command::MoveTo { .. } | Command::Move { .. }) => {
                (
                    ErrorKind::OutOfRange,
                    format!("the board refused {cmd:?}: outside its homed range"),
                )
            }
            e => (ErrorKind::Failed, format!("{cmd:?}: {e}")),
        };
        DeviceError {
            device: DEVICE.into(),
            kind,
            message,
        }
    }

    fn ack(&mut self, cmd: Command) -> DeviceResult<Status> {
        self.call(cmd, Until::Done, ACK)
    }

    fn axis_settings(&self, axis: Axis) -> &AxisSettings {
        match axis {
            Axis::X => &self.settings.x,
            Axis::Y => &self.settings.y,
            Axis::Z => &self.settings.z,
            _ => &self.settings.w,
        }
    }

    pub fn scale(&self, axis: Axis) -> AxisScale {
        self.axis_settings(axis).scale()
    }

    /// (speed mm/s, acceleration mm/s²) the axis is configured with.
    fn motion(&self, axis: Axis) -> (f64, f64) {
        match axis {
            Axis::X | Axis::Y => (self.xy.speed.0, self.xy.acceleration.0),
            Axis::Z => (self.z.speed.0, self.z.acceleration.0),
            // Squid's W defaults.
            _ => (3.19, 300.0),
        }
    }

    /// RESET, INITIALIZE, the axes, the lights, watchdog and trigger; then homing.
    fn initialize(&mut self) -> DeviceResult<()> {
        self.call(Command::Reset, Until::Heard, ACK)?;
        self.ack(Command::Initialize)?;
        for axis in [Axis::X, Axis::Y, Axis::Z] {
            self.configure_axis(axis)?;
        }
        self.ack(Command::SetIntensityFactor {
            percent: self.settings.intensity_factor,
        })?;
        self.all_off_now()?;
        if self.watchdog_on() {
            self.arm_watchdog()?;
        }
        self.configure_trigger()?;
        self.set_limits()?;
        if self.settings.home {
            self.home_stage()?;
        }
        if self.wheel.is_some() {
            self.home_wheel()?;
        }
        Ok(())
    }

    fn configure_axis(&mut self, axis: Axis) -> DeviceResult<()> {
        let a = self.axis_settings(axis).clone();
        let (v, acc) = self.motion(axis);
        // Pitch first: the board applies it at the next CONFIGURE_STEPPER_DRIVER.
        self.ack(Command::SetLeadScrewPitch {
            axis,
            pitch_um: (a.pitch.mm() * 1000.0).round().clamp(1.0, 65535.0) as u16,
        })?;
        self.ack(Command::ConfigureStepperDriver {
            axis,
            microstepping: a.microstepping,
            current_ma: a.current,
            hold: (a.hold * 255.0).round().clamp(0.0, 255.0) as u8,
        })?;
        self.ack(Command::SetMaxVelocityAcceleration {
            axis,
            v_centi: (v * 100.0).round().clamp(1.0, 65535.0) as u16,
            a_deci: (acc * 10.0).round().clamp(1.0, 65535.0) as u16,
        })?;
        if axis != Axis::W {
            self.ack(Command::SetLimSwitchPolarity {
                axis,
                polarity: a.switch.wire(),
            })?;
            self.ack(Command::SetHomeSafetyMargin {
                axis,
                um: a.safety_margin.um().round().clamp(0.0, 65535.0) as u16,
            })?;
        }
        Ok(())
    }

    fn arm_watchdog(&mut self) -> DeviceResult<()> {
        let ms = (self.settings.watchdog.secs() * 1000.0).round() as u32;
        self.ack(Command::SetWatchdogTimeout { ms }).map(|_| ())
    }

    fn configure_trigger(&mut self) -> DeviceResult<()> {
        self.ack(Command::SetTriggerMode {
            level: self.settings.trigger.mode == TriggerMode::Level,
        })?;
        let delays = self.settings.trigger.strobe_delay.clone();
        for (channel, d) in delays.iter().enumerate() {
            self.ack(Command::SetStrobeDelay {
                channel: channel as u8,
                us: (d.secs() * 1e6).round() as u32,
            })?;
        }
        Ok(())
    }

    /// SET_LIM for X, Y and Z at the travel's ends, in the board's coordinates: an axis
    /// with sign −1 has its positive limit at the travel's low end.
    fn set_limits(&mut self) -> DeviceResult<()> {
        for (i, axis, (pos, neg)) in [
            (0, Axis::X, (Limit::XPos, Limit::XNeg)),
            (1, Axis::Y, (Limit::YPos, Limit::YNeg)),
            (2, Axis::Z, (Limit::ZPos, Limit::ZNeg)),
        ] {
            let s = self.scale(axis);
            let (lo, hi) = self.travel[i];
            let (Some(a), Some(b)) = (s.usteps(lo), s.usteps(hi)) else {
                return Err(DeviceError::out_of_range(
                    DEVICE,
                    format!("the {axis:?} travel does not fit the board's 32-bit positions"),
                ));
            };
            self.ack(Command::SetLim {
                limit: pos,
                usteps: a.max(b),
            })?;
            self.ack(Command::SetLim {
                limit: neg,
                usteps: a.min(b),
            })?;
        }
        Ok(())
    }

    /// Toward the low end of the stage: the homing direction is (sign + 1) / 2.
    fn home_mode(&self, axis: Axis) -> HomeMode {
        if self.axis_settings(axis).sign > 0 {
            HomeMode::Negative
        } else {
            HomeMode::Positive
        }
    }

    fn home_deadline(&self, axis: Axis, span_mm: f64) -> Duration {
        let (v, a) = self.motion(axis);
        let factor = if axis == Axis::Z { 0.5 } else { 0.8 };
        // From anywhere: the whole span (and some beyond it) at the search speed.
        Duration::from_secs_f64((span_mm * 1.5 + 10.0) / (factor * v) + 2.0 * v / a + 2.0)
    }

    fn home(&mut self, axis: Axis, span_mm: f64) -> DeviceResult<()> {
        let mode = self.home_mode(axis);
        let deadline = self.home_deadline(axis, span_mm);
        self.call(
            Command::Home {
                axis,
                mode,
                y_dir: 0,
            },
            Until::Done,
            deadline,
        )?;
        Ok(())
    }

    /// A relative move on the way to homing (never resent on a checksum doubt: see link).
    fn nudge(&mut self, axis: Axis, mm: f64) -> DeviceResult<()> {
        let s = self.scale(axis);
        let usteps = s.usteps(mm).unwrap_or(0);
        let (v, a) = self.motion(axis);
        let axis_desc = AxisDesc {
            speed: crate::protocol::units::Speed(v),
            acceleration: crate::protocol::units::Accel(a),
            ..self.xy.clone()
        };
        let deadline = move_deadline(axis_move_secs(mm, &axis_desc));
        self.call(Command::Move { axis, usteps }, Until::Done, deadline)?;
        Ok(())
    }

    /// Squid's order: Z first (out of the way), Y clear, X, X clear, Y; then the limits again,
    /// because homing turns the board's virtual stops off.
    fn home_stage(&mut self) -> DeviceResult<()> {
        let span = |i: usize, t: &[(f64, f64); 3]| t[i].1 - t[i].0;
        let t = self.travel;
        self.home(Axis::Z, span(2, &t))?;
        self.nudge(Axis::Y, HOME_Y_CLEAR_MM.min(span(1, &t)))?;
        self.home(Axis::X, span(0, &t))?;
        self.nudge(Axis::X, HOME_X_CLEAR_MM.min(span(0, &t)))?;
        self.home(Axis::Y, span(1, &t))?;
        self.set_limits()?;
        self.homed = true;
        // As Squid's GUI does, Z waits at a safe height: here the usual focus.
        self.move_z(self.focus_z)
    }

    fn home_wheel(&mut self) -> DeviceResult<()> {
        self.ack(Command::InitFilterWheel)?;
        self.configure_axis(Axis::W)?;
        let turn = self.settings.w.pitch.mm();
        self.home(Axis::W, turn)?;
        if let Some(w) = self.wheel.as_mut() {
            w.1 = 0;
        }
        self.select_filter(1)
    }

    /// Refused on the host when outside the travel: nothing is sent.
    fn check_travel(&self, i: usize, mm: f64) -> DeviceResult<()> {
        let (lo, hi) = self.travel[i];
        if !(mm.is_finite() && mm >= lo - 1e-9 && mm <= hi + 1e-9) {
            return Err(DeviceError::out_of_range(
                DEVICE,
                format!(
                    "{} = {mm} mm is outside the travel [{lo}, {hi}] mm",
                    ["x", "y", "z"][i]
                ),
            ));
        }
        Ok(())
    }

    fn latest(&mut self) -> DeviceResult<Status> {
        if let Some(why) = &self.rehome {
            return Err(DeviceError {
                device: DEVICE.into(),
                kind: crate::hardware::ErrorKind::Disconnected,
                message: why.clone(),
            });
        }
        if let Some(e) = self.shared.dead() {
            return Err(self.error(Command::Heartbeat, e));
        }
        (*self.shared.latest.lock().unwrap_or_else(|p| p.into_inner()))
            .ok_or_else(|| DeviceError::disconnected(DEVICE))
    }

    fn usteps(&self, axis: Axis, mm: f64) -> DeviceResult<i32> {
        self.scale(axis).usteps(mm).ok_or_else(|| {
            DeviceError::out_of_range(
                DEVICE,
                format!("{mm} mm does not fit the board's positions"),
            )
        })
    }

    /// X and Y together: X is sent and accepted, then Y; done when both are at their targets.
    pub fn move_xy(&mut self, x: f64, y: f64) -> DeviceResult<()> {
        self.check_travel(0, x)?;
        self.check_travel(1, y)?;
        self.before_command()?;
        let (ux, uy) = (self.usteps(Axis::X, x)?, self.usteps(Axis::Y, y)?);
        let now = self.latest()?;
        let sx = self.scale(Axis::X);
        let sy = self.scale(Axis::Y);
        let t = axis_move_secs(sx.mm(ux) - sx.mm(now.x), &self.xy)
            .max(axis_move_secs(sy.mm(uy) - sy.mm(now.y), &self.xy));
        let deadline = move_deadline(t);
        let at = Until::At([Some(ux), Some(uy), None]);
        match (ux != now.x, uy != now.y) {
            (false, false) => Ok(()),
            (true, false) => self
                .call(
                    Command::MoveTo {
                        axis: Axis::X,
                        usteps: ux,
                    },
                    at,
                    deadline,
                )
                .map(|_| ()),
            (false, true) => self
                .call(
                    Command::MoveTo {
                        axis: Axis::Y,
                        usteps: uy,
                    },
                    at,
                    deadline,
                )
                .map(|_| ()),
            (true, true) => {
                self.call(
                    Command::MoveTo {
                        axis: Axis::X,
                        usteps: ux,
                    },
                    Until::Accepted,
                    ACK,
                )?;
                self.call(
                    Command::MoveTo {
                        axis: Axis::Y,
                        usteps: uy,
                    },
                    at,
                    deadline,
                )
                .map(|_| ())
            }
        }
    }

    pub fn move_z(&mut self, z: f64) -> DeviceResult<()> {
        self.check_travel(2, z)?;
        self.before_command()?;
        let uz = self.usteps(Axis::Z, z)?;
        let now = self.latest()?;
        if uz == now.z {
            return Ok(());
        }
        let s = self.scale(Axis::Z);
        let deadline = move_deadline(axis_move_secs(s.mm(uz) - s.mm(now.z), &self.z));
        self.call(
            Command::MoveTo {
                axis: Axis::Z,
                usteps: uz,
            },
            Until::At([None, None, Some(uz)]),
            deadline,
        )
        .map(|_| ())
    }

    pub fn position_xy(&mut self) -> DeviceResult<(f64, f64)> {
        let s = self.latest()?;
        Ok((self.scale(Axis::X).mm(s.x), self.scale(Axis::Y).mm(s.y)))
    }

    pub fn position_z(&mut self) -> DeviceResult<f64> {
        let s = self.latest()?;
        Ok(self.scale(Axis::Z).mm(s.z))
    }

    pub fn travel(&self, i: usize) -> (f64, f64) {
        self.travel[i]
    }

    /// After a gap longer than the watchdog (a stall, a reconnect) the board has turned
    /// every light off and disarmed itself: re-arm it and put the lights back first.
    fn before_command(&mut self) -> DeviceResult<()> {
        if self.watchdog_on() && self.shared.since_write() >= self.settings.watchdog.std() {
            self.arm_watchdog()?;
            self.restore_lights()?;
        }
        Ok(())
    }

    fn restore_lights(&mut self) -> DeviceResult<()> {
        let l = self.lights;
        if let Some((o, i)) = l.selected {
            self.send_source(o, i)?;
            if l.on {
                self.ack(Command::TurnOnIllumination)?;
            }
        }
        Ok(())
    }

    fn send_source(&mut self, o: Output, intensity: u16) -> DeviceResult<()> {
        let cmd = match o {
            Output::LedMatrix => {
                let v = ((f64::from(intensity) / 65535.0) * 255.0)
                    .round()
                    .min(255.0) as u8;
                // Pattern 0: the full matrix, white.
                Command::SetLedMatrix {
                    pattern: 0,
                    g: v,
                    r: v,
                    b: v,
                }
            }
            o => Command::SetIllumination {
                source: o.source_code(),
                intensity,
            },
        };
        self.ack(cmd).map(|_| ())
    }

    /// Select a source: the light stays off until [`light_on`](Self::light_on) or a strobe.
    pub fn set_light(&mut self, source: &str, pct: f64) -> DeviceResult<()> {
        let Some(o) = self.settings.output(source) else {
            return Err(DeviceError::out_of_range(
                DEVICE,
                format!(
                    "no light source `{source}` on this board (known: {}); map it under squid.sources",
                    self.settings.source_names().join(", ")
                ),
            ));
        };
        if !(0.0..=100.0).contains(&pct) {
            return Err(DeviceError::out_of_range(
                DEVICE,
                format!("intensity {pct} % is outside 0–100 %"),
            ));
        }
        self.before_command()?;
        // Selecting a new source while one is lit leaves the old one on as well.
        if self.lights.on && self.lights.selected.map(|s| s.0) != Some(o) {
            self.light_off()?;
        }
        let intensity = (pct / 100.0 * 65535.0).round() as u16;
        self.send_source(o, intensity)?;
        self.lights.selected = Some((o, intensity));
        Ok(())
    }

    pub fn light_on(&mut self) -> DeviceResult<()> {
        if self.lights.selected.is_none() {
            return Err(DeviceError::failed(DEVICE, "no light source selected"));
        }
        self.before_command()?;
        self.ack(Command::TurnOnIllumination)?;
        self.lights.on = true;
        Ok(())
    }

    pub fn light_off(&mut self) -> DeviceResult<()> {
        self.ack(Command::TurnOffIllumination)?;
        self.lights.on = false;
        Ok(())
    }

    fn all_off_now(&mut self) -> DeviceResult<()> {
        let cmd = if self.ports() {
            Command::TurnOffAllPorts
        } else {
            Command::TurnOffIllumination
        };
        self.ack(cmd)?;
        self.lights.on = false;
        if self.lights.af_laser {
            self.af_laser(false)?;
        }
        Ok(())
    }

    /// The reflection-autofocus laser on [`AF_LASER_PIN`].
    pub fn af_laser(&mut self, on: bool) -> DeviceResult<()> {
        if on {
            self.before_command()?;
        }
        self.ack(Command::SetPinLevel {
            pin: AF_LASER_PIN,
            level: u8::from(on),
        })?;
        self.lights.af_laser = on;
        Ok(())
    }

    /// The camera's trigger pulse on `squid.trigger.channel`, strobing the selected source.
    pub fn strobe(&mut self, exposure_s: f64) -> DeviceResult<()> {
        self.trigger(self.settings.trigger.channel, exposure_s, true)
    }

    /// Pulse trigger channel `channel`; with `strobe`, the selected source is lit for the
    /// exposure by the board itself (set the source first: the strobe uses the current one).
    pub fn trigger(&mut self, channel: u8, exposure_s: f64, strobe: bool) -> DeviceResult<()> {
        if channel > 3 {
            return Err(DeviceError::out_of_range(
                DEVICE,
                format!("trigger channel {channel} (the board has 0–3)"),
            ));
        }
        if strobe && self.lights.selected.is_none() {
            return Err(DeviceError::failed(
                DEVICE,
                "a strobed trigger needs a light source selected first",
            ));
        }
        let on_time_us = (exposure_s * 1e6).round();
        if !(0.0..=f64::from(u32::MAX)).contains(&on_time_us) {
            return Err(DeviceError::out_of_range(
                DEVICE,
                format!("exposure {exposure_s} s"),
            ));
        }
        self.before_command()?;
        // The board stalls for a strobe of up to 30 ms (it busy-waits in its interrupt).
        let deadline = ACK + Duration::from_secs_f64(exposure_s.min(0.03));
        self.call(
            Command::SendHardwareTrigger {
                channel,
                strobe,
                on_time_us: on_time_us as u32,
            },
            Until::Done,
            deadline,
        )
        .map(|_| ())
    }

    pub fn select_filter(&mut self, position: u32) -> DeviceResult<()> {
        let Some((n, at)) = self.wheel else {
            return Err(DeviceError::failed(DEVICE, "no filter wheel is configured"));
        };
        if position < 1 || position > n {
            return Err(DeviceError::out_of_range(
                DEVICE,
                format!("filter position {position} (the wheel has 1–{n})"),
            ));
        }
        if position == at {
            return Ok(());
        }
        self.before_command()?;
        let s = self.scale(Axis::W);
        let turns = self.settings.w.offset + f64::from(position - 1) / f64::from(n);
        let usteps = s.usteps(turns * self.settings.w.pitch.mm()).unwrap_or(0);
        let (v, a) = self.motion(Axis::W);
        let w = AxisDesc {
            speed: crate::protocol::units::Speed(v),
            acceleration: crate::protocol::units::Accel(a),
            profile: crate::microscope::description::MotionProfile::SCurve,
            ..self.z.clone()
        };
        let deadline = move_deadline(axis_move_secs(self.settings.w.pitch.mm(), &w));
        let cmd = Command::MoveTo {
            axis: Axis::W,
            usteps,
        };
        // Squid retries once on a refused wheel move (fw < 1.4 could refuse after homing).
        match self.call(cmd, Until::Done, deadline) {
            Err(e) if e.kind == crate::hardware::ErrorKind::OutOfRange => {
                self.call(cmd, Until::Done, deadline)?;
            }
            r => {
                r?;
            }
        }
        self.wheel = Some((n, position));
        Ok(())
    }

    pub fn filter(&self) -> DeviceResult<u32> {
        self.wheel
            .map(|w| w.1)
            .ok_or_else(|| DeviceError::failed(DEVICE, "no filter wheel is configured"))
    }

    /// Reopen the port without RESET or INITIALIZE (either would lose the homing); a board
    /// that restarted meanwhile is reported, not re-homed behind the user's back.
    pub fn reconnect(&mut self) -> DeviceResult<()> {
        if let Some(why) = &self.rehome {
            return Err(DeviceError {
                device: DEVICE.into(),
                kind: crate::hardware::ErrorKind::Disconnected,
                message: why.clone(),
            });
        }
        if self.shared.dead().is_none() && self.link.is_some() {
            return Ok(());
        }
        self.link = None;
        let mut p: Box<dyn Port> =
            port::open(&self.path, self.settings.baud).map_err(|e| DeviceError {
                device: DEVICE.into(),
                kind: crate::hardware::ErrorKind::Disconnected,
                message: e,
            })?;
        let (reader, first) =
            resync(&mut *p, self.settings.allow_legacy, IN_STEP, HELLO).map_err(|e| {
                DeviceError {
                    device: DEVICE.into(),
                    kind: crate::hardware::ErrorKind::Disconnected,
                    message: format!("{}: {e}", self.path),
                }
            })?;
        let restarted =
            (first.id == 0 && self.shared.last_id() != 0) || first.version != self.version;
        if restarted {
            return Err(self.error(Command::Heartbeat, LinkError::Rebooted));
        }
        self.shared.revive();
        self.link = Some(
            Link::start(p, reader, self.shared.clone(), self.link_config())
                .map_err(|e| to_device(e.to_string()))?,
        );
        if self.watchdog_on() {
            self.arm_watchdog()?;
        }
        self.restore_lights()
    }

    /// For the safety hooks: turns every light off without this board's lock.
    pub fn urgent_off(&self) -> Option<UrgentOff> {
        self.link.as_ref().map(|l| l.urgent_sender())
    }

    /// Frames written and resent since connect (for `devices` and the benchmarks).
    pub fn counters(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering;
        (
            self.shared.frames.load(Ordering::Relaxed),
            self.shared.resends.load(Ordering::Relaxed),
        )
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        if self.link.is_some() && self.rehome.is_none() && self.shared.dead().is_none() {
            let _ = self.all_off_now();
        }
    }
}

/// How long the board may take for a move modelled at `t` seconds: the S-curve, the
/// firmware's 0–20 ms to notice the end, and one resend.
fn move_deadline(t: f64) -> Duration {
    Duration::from_secs_f64(t * 1.25 + 0.6)
}
