//! The board as the devices see it: connected, configured and homed in Squid's order, moved
//! only by absolute targets checked on the host, its lights tracked so they can be restored
//! after a gap, and a restart reported as "re-home required", never smoothed over.

use std::sync::Arc;
use std::time::Duration;

use super::link::{Link, LinkConfig, LinkError, Port, Shared, Until, UrgentOff, resync};
use super::port;
use super::protocol::{Axis, AxisScale, Command, HomeMode, Limit, Status, StatusReader, Version};
use super::settings::{AxisSettings, Output, SquidSettings, TriggerMode};
use crate::hardware::{DeviceError, DeviceResult, LinkHealth};
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

/// The light the host asked for, and whether the board's lights are known to match it.
#[derive(Clone, Copy, Debug, Default)]
struct Lights {
    selected: Option<(Output, u16)>,
    on: bool,
    af_laser: bool,
    /// False (as at connect) after a light command went unanswered, a reconnect or a
    /// possible watchdog lapse: anything may be lit, so every light is turned off before the
    /// next command.
    known: bool,
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
    /// Axes (X, Y, Z) whose homing ended before they reached the switch: the board then
    /// refuses the homed end of the travel.
    pub short_homed: [bool; 3],
}

fn to_device(e: String) -> DeviceError {
    DeviceError::failed(DEVICE, e)
}

/// Open `path` and read until the status stream is in step: the port, its reader (holding
/// what came after) and the last packet.
fn open_in_step(
    path: &str,
    s: &SquidSettings,
) -> Result<(Box<dyn Port>, StatusReader, Status), String> {
    let mut p = port::open(path, s.baud)?;
    let (reader, first) =
        resync(&mut *p, s.allow_legacy, IN_STEP, HELLO).map_err(|e| format!("{path}: {e}"))?;
    Ok((p, reader, first))
}

impl Board {
    /// Open the port, get in step, check the firmware, configure and home everything.
    pub fn connect(
        settings: SquidSettings,
        desc: &MicroscopeDesc,
        wheel_positions: Option<u32>,
    ) -> DeviceResult<Board> {
        let path = port::find(&settings).map_err(to_device)?;
        let (p, reader, first) = open_in_step(&path, &settings).map_err(to_device)?;
        let version = first.version;
        let min = settings
            .min_version()
            .unwrap_or(Version { major: 1, minor: 0 });
        if !version.legacy() && version < min {
            return Err(to_device(format!(
                "{path}: firmware {version} is older than squid.min_version {min}; update the board's firmware, or lower min_version to run without what it lacks"
            )));
        }
        let wd = settings.watchdog.std();
        if !wd.is_zero() && !version.at_least(1, 1) {
            return Err(to_device(format!(
                "{path}: firmware {version} has no safety watchdog, but squid.watchdog is {}: if squidctl died with a light on, nothing would turn it off. Update the board's firmware (1.1 or later), or write `watchdog: 0s` under `squid:` to run without one knowingly",
                settings.watchdog
            )));
        }
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
            travel: travel_of(desc),
            focus_z: desc.stage.focus_z.mm(),
            lights: Lights::default(),
            wheel: wheel_positions.map(|n| (n, 1)),
            short_homed: [false; 3],
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
        LinkConfig {
            off: self.off_commands(),
            stale_after: self.settings.stale_after.std(),
            watchdog: self.watchdog_on().then(|| self.settings.watchdog.std()),
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

    /// Refused while the board needs homing again (it restarted): nothing is sent to it.
    fn homing_kept(&self) -> DeviceResult<()> {
        match &self.rehome {
            Some(why) => Err(DeviceError {
                device: DEVICE.into(),
                kind: crate::hardware::ErrorKind::NeedsHoming,
                message: why.clone(),
            }),
            None => Ok(()),
        }
    }

    /// One command, waited for; link failures become device errors (a restart is kept).
    fn call(&mut self, cmd: Command, until: Until, deadline: Duration) -> DeviceResult<Status> {
        self.homing_kept()?;
        let Some(link) = &self.link else {
            return Err(DeviceError::disconnected(DEVICE));
        };
        let r = link.call(cmd, until, deadline);
        r.map_err(|e| {
            if touches_light(&cmd) || matches!(e, LinkError::Disconnected(_) | LinkError::Rebooted)
            {
                // Executed or not, the board's lights are no longer known.
                self.lights.known = false;
            }
            self.error(cmd, e)
        })
    }

    fn error(&mut self, cmd: Command, e: LinkError) -> DeviceError {
        use crate::hardware::ErrorKind;
        let (kind, message) = match e {
            LinkError::Rebooted => {
                let why = format!(
                    "re-home required: the board on {} restarted (power, USB or a firmware reset) and lost its homing and settings; nothing more is sent to it. `squidctl resume` re-homes and acquires what is missing (or allow it during a run with `on_error: {{rehome: true}}`)",
                    self.path
                );
                self.rehome = Some(why.clone());
                self.homed = false;
                (ErrorKind::NeedsHoming, why)
            }
            LinkError::Disconnected(m) => (ErrorKind::Disconnected, format!("{}: {m}", self.path)),
            LinkError::Rejected if matches!(cmd, Command::MoveTo { .. } | Command::Move { .. }) => {
                (ErrorKind::OutOfRange, self.refused_move(cmd))
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
        tracing::info!(
            "squid board: connecting on {} (firmware {})",
            self.path,
            self.version
        );
        self.call(Command::Reset, Until::Heard, ACK)?;
        self.ack(Command::Initialize)?;
        for axis in [Axis::X, Axis::Y, Axis::Z] {
            self.configure_axis(axis)?;
        }
        self.ack(Command::SetIntensityFactor {
            percent: self.settings.intensity_factor,
        })?;
        self.go_dark()?;
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
        // Armed from here on: a lapse before this point is answered by this very command
        // (and still pending if it fails).
        self.shared.take_lapsed();
        let r = self.ack(Command::SetWatchdogTimeout { ms }).map(|_| ());
        if r.is_err() {
            self.shared.mark_lapsed();
        }
        r
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
    /// because homing turns the board's virtual stops off. Each step says what it does and
    /// how long it may take: homing a long stage takes many seconds.
    fn home_stage(&mut self) -> DeviceResult<()> {
        let span = |i: usize, t: &[(f64, f64); 3]| t[i].1 - t[i].0;
        let t = self.travel;
        let steps = homing_steps(&self.settings, &self.xy, &self.z, &t, self.focus_z);
        let say = |i: usize| {
            if let Some(s) = steps.get(i) {
                tracing::info!("squid board: {} (up to {:.1} s)", s.what, s.max_s);
            }
        };
        say(1);
        self.home(Axis::Z, span(2, &t))?;
        say(2);
        self.nudge(Axis::Y, HOME_Y_CLEAR_MM.min(span(1, &t)))?;
        say(3);
        self.home(Axis::X, span(0, &t))?;
        say(4);
        self.nudge(Axis::X, HOME_X_CLEAR_MM.min(span(0, &t)))?;
        say(5);
        self.home(Axis::Y, span(1, &t))?;
        self.set_limits()?;
        self.homed = true;
        say(6);
        self.probe_homed_ends()?;
        say(7);
        // As Squid's GUI does, Z waits at a safe height: here the usual focus.
        self.move_z(self.focus_z)
    }

    /// Each axis sits at its homed 0: ask the board to go there. Firmware 1.2+ refuses it
    /// when the homing finalized before the axis reached its switch (its 500 ms timeout),
    /// which leaves the range gate just inside the travel; say so now, not at the first well.
    fn probe_homed_ends(&mut self) -> DeviceResult<()> {
        if !self.version.at_least(1, 2) {
            return Ok(());
        }
        for (i, axis) in [(0, Axis::X), (1, Axis::Y), (2, Axis::Z)] {
            let cmd = Command::MoveTo { axis, usteps: 0 };
            let at = {
                let mut w = [None; 3];
                w[i] = Some(0);
                Until::At(w)
            };
            let now = self.latest()?;
            let from = self.scale(axis).mm([now.x, now.y, now.z][i]);
            let desc = if axis == Axis::Z { &self.z } else { &self.xy };
            let deadline = move_deadline(axis_move_secs(from, desc));
            match self.call(cmd, at, deadline) {
                // Status 4 (a refused move) is the only way a call ends out of range.
                Err(e) if e.kind == crate::hardware::ErrorKind::OutOfRange => {
                    self.short_homed[i] = true;
                    tracing::warn!("{}", self.short_homing_note(i));
                }
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
        Ok(())
    }

    fn short_homing_note(&self, i: usize) -> String {
        let name = ["x", "y", "z"][i];
        // Homing goes toward the low end of the stage, whatever the motor's sign.
        let end = self.travel[i].0;
        format!(
            "homing {name} ended before the axis reached its limit switch (the firmware finalizes a homing after 500 ms whether or not the axis is there), so the board refuses {name} = {end} mm and a few µm inside it. Home again (run `squidctl devices`, which homes); if it recurs, check the {name} switch, or move that end of `stage.travel.{name}` in by 0.05mm"
        )
    }

    /// Why the board refused a move (status 4), and what to do.
    fn refused_move(&self, cmd: Command) -> String {
        let (Command::MoveTo { axis, usteps } | Command::Move { axis, usteps }) = cmd else {
            return format!("the board refused {cmd:?}");
        };
        let i = match axis {
            Axis::X => 0,
            Axis::Y => 1,
            Axis::Z => 2,
            _ => return format!("the board refused {cmd:?}: outside its homed range"),
        };
        let name = ["x", "y", "z"][i];
        let (lo, hi) = self.travel[i];
        let mm = self.scale(axis).mm(usteps);
        let shown = crate::protocol::units::fmt_num(mm);
        if matches!(cmd, Command::MoveTo { .. }) && mm >= lo - 1e-9 && mm <= hi + 1e-9 {
            format!(
                "the board refused to move {name} to {shown} mm, inside the travel [{lo}, {hi}] mm: {}",
                self.short_homing_note(i)
            )
        } else {
            format!("the board refused to move {name} to {shown} mm: outside its homed range")
        }
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
        self.homing_kept()?;
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

    /// Before any command: if the board heard nothing for its watchdog's timeout (it may have
    /// turned every light off and disarmed itself), re-arm it; if the lights are not known
    /// (an unanswered light command, a reconnect, a lapse), turn every one off and select
    /// the source again, dark. Returns whether the watchdog may have fired.
    fn before_command(&mut self) -> DeviceResult<bool> {
        let lapsed = self.watchdog_on() && self.shared.lapsed();
        if lapsed {
            self.lights.known = false;
            self.arm_watchdog()?;
        }
        if !self.lights.known {
            self.go_dark()?;
        }
        Ok(lapsed)
    }

    /// The commands that turn every light off on this board's firmware. TURN_OFF_ALL_PORTS
    /// (which also clears the LED matrix) needs 1.0; older firmware ignores it, and its
    /// TURN_OFF_ILLUMINATION turns off only the selected source, so each source is selected
    /// at zero intensity and turned off in turn. Then the autofocus laser's pin.
    pub fn off_commands(&self) -> Vec<Command> {
        let mut c = Vec::new();
        if self.ports() {
            c.push(Command::TurnOffAllPorts);
        } else {
            c.push(Command::TurnOffIllumination);
            for o in [
                Output::D1,
                Output::D2,
                Output::D3,
                Output::D4,
                Output::D5,
                Output::LedMatrix,
            ] {
                c.push(source_command(o, 0));
                c.push(Command::TurnOffIllumination);
            }
        }
        c.push(Command::SetPinLevel {
            pin: AF_LASER_PIN,
            level: 0,
        });
        c
    }

    /// Every light off, each command acknowledged, then the selected source again (dark):
    /// only now are the board's lights known.
    fn go_dark(&mut self) -> DeviceResult<()> {
        for cmd in self.off_commands() {
            self.ack(cmd)?;
        }
        self.lights.on = false;
        self.lights.af_laser = false;
        if let Some((o, i)) = self.lights.selected {
            self.ack(source_command(o, i))?;
        }
        self.lights.known = true;
        Ok(())
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
        self.ack(source_command(o, intensity))?;
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

    /// Off, and proof that the light was on for the whole exposure: if the board may have
    /// heard nothing for its watchdog's timeout meanwhile, the watchdog may have cut the
    /// light, and the frame is refused.
    pub fn light_off(&mut self) -> DeviceResult<()> {
        let was_on = self.lights.on;
        let lapsed = self.before_command()?;
        if self.lights.on {
            self.ack(Command::TurnOffIllumination)?;
            self.lights.on = false;
        }
        if lapsed && was_on {
            return Err(DeviceError::failed(
                DEVICE,
                "the board heard nothing for its watchdog's timeout while the light was on: the watchdog may have cut the light during the exposure, so the frame is not kept",
            ));
        }
        Ok(())
    }

    /// Set the onboard DAC's `channel` (7: the objective piezo).
    pub fn write_dac(&mut self, channel: u8, value: u16) -> DeviceResult<()> {
        self.before_command()?;
        self.ack(Command::AnalogWriteDac { channel, value })?;
        Ok(())
    }

    /// The reflection-autofocus laser on [`AF_LASER_PIN`].
    pub fn af_laser(&mut self, on: bool) -> DeviceResult<()> {
        self.before_command()?;
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

    /// Start again from RESET: settings, watchdog and homing, after the board restarted and
    /// lost them. Only when the protocol allows it (`on_error.rehome`); a board that needs
    /// nothing is left alone.
    pub fn rehome(&mut self) -> DeviceResult<()> {
        if self.rehome.is_none() && self.link.is_some() && self.shared.dead().is_none() {
            return Ok(());
        }
        tracing::warn!(
            "re-homing the board on {}: it restarted and lost its homing (on_error.rehome allows this)",
            self.path
        );
        self.link = None;
        let (p, reader, first) = open_in_step(&self.path, &self.settings).map_err(to_device)?;
        if first.version != self.version {
            return Err(to_device(format!(
                "{}: the board now runs firmware {}, not {}: check what was flashed, then start the run again",
                self.path, first.version, self.version
            )));
        }
        let health = self.shared.health();
        self.shared = Shared::new();
        self.shared.carry(health);
        self.rehome = None;
        self.homed = false;
        self.short_homed = [false; 3];
        self.lights = Lights {
            selected: self.lights.selected,
            ..Lights::default()
        };
        if let Some(w) = self.wheel.as_mut() {
            w.1 = 1;
        }
        self.link = Some(
            Link::start(p, reader, self.shared.clone(), self.link_config())
                .map_err(|e| to_device(e.to_string()))?,
        );
        self.initialize()
    }

    /// Reopen the port without RESET or INITIALIZE (either would lose the homing); a board
    /// that restarted meanwhile is reported, not re-homed behind the user's back.
    pub fn reconnect(&mut self) -> DeviceResult<()> {
        self.homing_kept()?;
        if self.shared.dead().is_none() && self.link.is_some() {
            return Ok(());
        }
        self.link = None;
        let (p, reader, first) =
            open_in_step(&self.path, &self.settings).map_err(|message| DeviceError {
                device: DEVICE.into(),
                kind: crate::hardware::ErrorKind::Disconnected,
                message,
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
        // Whatever was lit before the gap (a light command it executed but never answered)
        // goes off before anything else.
        self.lights.known = false;
        if self.watchdog_on() {
            self.arm_watchdog()?;
        }
        self.go_dark()
    }

    /// For the safety hooks: turns every light off without this board's lock.
    pub fn urgent_off(&self) -> Option<UrgentOff> {
        self.link
            .as_ref()
            .map(|l| l.urgent_sender(self.off_commands()))
    }

    /// Cut the x, y and z drivers from any thread: the emergency stop's `--cut-motors`.
    pub fn urgent_cut(&self) -> Option<UrgentOff> {
        self.link.as_ref().map(|l| {
            l.urgent_sender(
                [Axis::X, Axis::Y, Axis::Z]
                    .map(|axis| Command::SetAxisEnable {
                        axis,
                        enable: false,
                    })
                    .to_vec(),
            )
        })
    }

    /// The safety watchdog as `devices` shows it.
    pub fn watchdog_state(&self) -> String {
        if self.watchdog_on() {
            format!(
                "watchdog {} (every light off if squidctl goes silent)",
                self.settings.watchdog
            )
        } else if self.version.at_least(1, 1) {
            "no watchdog (squid.watchdog is 0s)".into()
        } else {
            format!("no watchdog (firmware {} has none)", self.version)
        }
    }

    /// How the serial link is doing since connect (for `devices`, runs and benchmarks).
    pub fn health(&self) -> LinkHealth {
        self.shared.health()
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        if self.link.is_some() && self.rehome.is_none() && self.shared.dead().is_none() {
            for cmd in self.off_commands() {
                let _ = self.ack(cmd);
            }
        }
    }
}

/// The command that selects an output at an intensity (0–65535) without lighting it.
fn source_command(o: Output, intensity: u16) -> Command {
    match o {
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
    }
}

/// Commands that light the sample or may leave it lit when unanswered.
fn touches_light(c: &Command) -> bool {
    matches!(
        c,
        Command::SetIllumination { .. }
            | Command::SetLedMatrix { .. }
            | Command::TurnOnIllumination
            | Command::TurnOffIllumination
            | Command::TurnOnPort { .. }
            | Command::TurnOffPort { .. }
            | Command::TurnOffAllPorts
            | Command::SendHardwareTrigger { strobe: true, .. }
            | Command::SetPinLevel { .. }
    )
}

/// The stage's travel, (low, high) mm for X, Y and Z.
pub fn travel_of(desc: &MicroscopeDesc) -> [(f64, f64); 3] {
    let t = desc.stage.travel;
    [
        (t.x[0].mm(), t.x[1].mm()),
        (t.y[0].mm(), t.y[1].mm()),
        (t.z[0].mm(), t.z[1].mm()),
    ]
}

/// One step of connecting and homing: what it does, how long it usually takes, and at most.
pub struct Step {
    pub what: &'static str,
    pub typical_s: f64,
    pub max_s: f64,
}

/// Connecting and homing, step by step. A homing search goes at the firmware's search
/// speed (0.8 of the top speed for X and Y, half for Z) from wherever the axis is: across
/// the whole travel at most, half of it on average. For the progress lines, the estimate
/// (typical) and `devices`' first deadline (at most).
pub fn homing_steps(
    s: &SquidSettings,
    xy: &AxisDesc,
    z: &AxisDesc,
    travel: &[(f64, f64); 3],
    focus_z: f64,
) -> Vec<Step> {
    let span = |i: usize| travel[i].1 - travel[i].0;
    let search = |what, i: usize, a: &AxisDesc, factor: f64| {
        let v = a.speed.0 * factor;
        let ramp = 2.0 * v / a.acceleration.0 + 0.1;
        Step {
            what,
            typical_s: span(i) / 2.0 / v + ramp,
            max_s: span(i) / v + ramp,
        }
    };
    let travel_step = |what, d: f64, a: &AxisDesc| {
        let t = axis_move_secs(d, a);
        Step {
            what,
            typical_s: t,
            max_s: t,
        }
    };
    // RESET, INITIALIZE and some forty settings, each answered within a status period or two.
    let mut steps = vec![Step {
        what: "connecting",
        typical_s: 0.6,
        max_s: 1.0,
    }];
    if !s.home {
        return steps;
    }
    let clear_x = HOME_X_CLEAR_MM.min(span(0));
    steps.extend([
        search("homing z", 2, z, 0.5),
        travel_step("clearing y", HOME_Y_CLEAR_MM.min(span(1)), xy),
        search("homing x", 0, xy, 0.8),
        travel_step("clearing x", clear_x, xy),
        search("homing y", 1, xy, 0.8),
        travel_step("checking the homed ends", clear_x, xy),
        travel_step("z to its focus", focus_z - travel[2].0, z),
    ]);
    steps
}

/// How long the board may take for a move modelled at `t` seconds: the S-curve, the
/// firmware's 0–20 ms to notice the end, and one resend.
fn move_deadline(t: f64) -> Duration {
    Duration::from_secs_f64(t * 1.25 + 0.6)
}
