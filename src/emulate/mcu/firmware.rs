//! A model of the Squid board's firmware (v1.x) as a host sees it through the serial port:
//! its framing, status packets, the one busy flag, S-curve motion, the three limit
//! mechanisms, homing, RESET and INITIALIZE, illumination ports, the watchdog and trigger
//! pulses. Time is passed in (seconds), so the model is tested without a clock.

use crate::hardware::squid::board::AF_LASER_PIN;
use serde_json::json;

use crate::hardware::squid::protocol::{
    Axis, Command, HomeMode, Limit, STATUS_LEN, State, Status, Version, code, crc8,
};

/// Physical travel of each stage axis behind its limit switches, in mm from where the board
/// booted: switches at both ends, the stage starting somewhere in between.
const TRAVEL_MM: [(f64, f64); 4] = [
    (-10.0, 120.0),
    (-10.0, 80.0),
    (-2.0, 8.0),
    // The filter wheel's home flag, a little behind where it booted; it turns freely on.
    (-0.1, 1000.0),
];
/// Time the firmware takes to finish a homing once the switch is found.
const HOMING_FINALIZE_S: f64 = 0.05;
const FULL_STEPS: f64 = 200.0;

/// One motor axis, in µsteps.
#[derive(Clone, Debug)]
struct Motor {
    pos: f64,
    from: f64,
    to: f64,
    start_s: f64,
    dur_s: f64,
    moving: bool,
    /// Stops here instead (a virtual limit, the focus clamp or a switch), `to` never reached.
    stop_at: Option<f64>,
    /// The stop is one the firmware never reports done (a limit, not a switch): busy stays.
    never_arrives: bool,
    /// Servoed to a focus position clamped to the SET_LIM values (Z).
    focus_servo: bool,
    pitch_mm: f64,
    pending_pitch_mm: f64,
    microstepping: f64,
    vmax: f64,
    amax: f64,
    /// SET_LIM values: the clamp for relative moves, and the virtual stops while enabled.
    lim_neg: f64,
    lim_pos: f64,
    virtual_limits: bool,
    /// The driver's range gate, set by homing: a MOVETO outside is status 4.
    gate: (f64, f64),
    /// Physical switch positions in the axis's current coordinates.
    switch_neg: f64,
    switch_pos: f64,
    homing: Option<HomeMode>,
    finalize_at: Option<f64>,
    /// SET_AXIS_DISABLE_ENABLE cut the driver: the motor holds still whatever it is told.
    disabled: bool,
}

impl Motor {
    fn boot(axis: usize) -> Motor {
        let (pitch, vmax, amax, lim) = match axis {
            2 => (0.3, 2.0, 20.0, 20.0),
            _ => (2.54, 50.0, 200.0, 130.0),
        };
        let per_mm = 256.0 * FULL_STEPS / pitch;
        let (lo, hi) = TRAVEL_MM[axis.min(3)];
        Motor {
            pos: 0.0,
            from: 0.0,
            to: 0.0,
            start_s: 0.0,
            dur_s: 0.0,
            moving: false,
            stop_at: None,
            never_arrives: false,
            focus_servo: axis == 2,
            pitch_mm: pitch,
            pending_pitch_mm: pitch,
            microstepping: 256.0,
            vmax,
            amax,
            lim_neg: -lim * per_mm,
            lim_pos: lim * per_mm,
            virtual_limits: false,
            gate: (f64::NEG_INFINITY, f64::INFINITY),
            switch_neg: lo * per_mm,
            switch_pos: hi * per_mm,
            homing: None,
            finalize_at: None,
            disabled: false,
        }
    }

    fn per_mm(&self) -> f64 {
        self.microstepping * FULL_STEPS / self.pitch_mm
    }

    /// S-curve duration for a distance in µsteps (bows a²/v, as the TMC4361A is set up).
    fn duration(&self, usteps: f64, speed_factor: f64) -> f64 {
        let d = usteps.abs() / self.per_mm();
        let (v, a) = (self.vmax * speed_factor, self.amax);
        if d == 0.0 {
            0.0
        } else if d < 2.0 * v * v / a {
            (32.0 * d * v / (a * a)).cbrt()
        } else {
            d / v + 2.0 * v / a
        }
    }

    /// Where motion would really end, and whether that stop is never reported done: a
    /// virtual stop, or Z's focus clamp outside homing, parks the axis with busy set; a
    /// switch in the way ends the move (busy clears, short of the target).
    fn stop_for(&self, target: f64) -> (Option<f64>, bool) {
        let clamps = self.virtual_limits || (self.focus_servo && self.homing.is_none());
        let mut stop = None;
        if clamps {
            if target > self.lim_pos {
                stop = Some(self.lim_pos);
            } else if target < self.lim_neg {
                stop = Some(self.lim_neg);
            }
        }
        let parked = stop.is_some();
        let t = stop.unwrap_or(target);
        if t > self.switch_pos {
            (Some(self.switch_pos), false)
        } else if t < self.switch_neg {
            (Some(self.switch_neg), false)
        } else {
            (stop, parked)
        }
    }

    /// Make the current position 0, moving the switches with it; the shift.
    fn zero_here(&mut self) -> f64 {
        let shift = self.pos;
        self.pos = 0.0;
        self.switch_neg -= shift;
        self.switch_pos -= shift;
        shift
    }

    fn start(&mut self, target: f64, now: f64, speed_factor: f64) {
        (self.stop_at, self.never_arrives) = self.stop_for(target);
        let end = self.stop_at.unwrap_or(target);
        self.from = self.pos;
        self.to = target;
        self.start_s = now;
        self.dur_s = self.duration(end - self.pos, speed_factor);
        self.moving = true;
    }

    /// Advance to `now`; true when this axis came to rest now.
    fn tick(&mut self, now: f64) -> bool {
        if !self.moving {
            return false;
        }
        let end = self.stop_at.unwrap_or(self.to);
        let f = if self.dur_s <= 0.0 {
            1.0
        } else {
            ((now - self.start_s) / self.dur_s).clamp(0.0, 1.0)
        };
        // Smooth in and out, like the ramp.
        let s = f * f * (3.0 - 2.0 * f);
        self.pos = self.from + (end - self.from) * s;
        if f >= 1.0 {
            self.pos = end;
            self.moving = false;
            return true;
        }
        false
    }
}

/// What one command did, for the status.
enum Outcome {
    Done,
    Busy,
    Failed,
}

/// The illumination outputs: five laser ports (D1–D5) and the LED matrix.
#[derive(Clone, Debug, Default)]
struct Lights {
    port_on: [bool; 16],
    port_intensity: [u16; 16],
    matrix_on: bool,
    /// The source SET_ILLUMINATION selected, and whether TURN_ON turned it on.
    source: Option<u8>,
}

/// Port index (D-number − 1) of a TTL source code; `None` for the LED matrix.
pub fn port_of_source(source: u8) -> Option<usize> {
    match source {
        11 => Some(0),
        12 => Some(1),
        14 => Some(2),
        13 => Some(3),
        15 => Some(4),
        _ => None,
    }
}

/// The firmware's state, driven by bytes received and time passing.
pub struct Firmware {
    pub version: Version,
    cmd_id: u8,
    last: State,
    checksum_error: bool,
    busy: bool,
    /// Busy that nothing clears but RESET (homing θ or XY).
    stuck: bool,
    rx: Vec<u8>,
    motors: [Motor; 4],
    filter_wheel_ready: bool,
    lights: Lights,
    level_trigger: bool,
    strobe_delay_us: [u32; 4],
    pub triggers: u64,
    /// The source the last strobed pulse lit (source code; the LED matrix is 0).
    pub last_strobe: Option<u8>,
    /// Valid commands executed, heartbeats not counted (what scripted faults count).
    pub commands: u64,
    /// Valid frames received, by command code (heartbeats too).
    pub executed: [u64; 256],
    /// The last valid frame: its id, code and which execution of that code it was.
    pub last_exec: Option<(u8, u8, u64)>,
    /// Frames to lose on the wire, (code, k-th arrival), and arrivals counted per code.
    pub lose: Vec<(u8, u64)>,
    arrived: [u64; 256],
    /// Homing's finalize fires this many µsteps before the axis reaches its latch (the
    /// 500 ms timeout case): the range gate ends just inside, and a move to 0 is refused.
    pub late_finalize_usteps: f64,
    watchdog: Option<(f64, f64)>,
    /// Lights turned off by a strobe at this time.
    strobe_off_at: Option<(f64, Option<usize>)>,
    /// The reflection-autofocus laser (a plain pin; boot leaves it low).
    af_laser: bool,
    /// The onboard DAC's eight channels (boot: 0).
    dac: [u16; 8],
    /// JSON lines of what happened, for a log and for tests.
    pub events: Vec<serde_json::Value>,
}

impl Firmware {
    pub fn new(version: Version) -> Firmware {
        Firmware {
            version,
            cmd_id: 0,
            last: State::Completed,
            checksum_error: false,
            busy: false,
            stuck: false,
            rx: Vec::new(),
            motors: [
                Motor::boot(0),
                Motor::boot(1),
                Motor::boot(2),
                Motor::boot(3),
            ],
            filter_wheel_ready: false,
            lights: Lights::default(),
            level_trigger: false,
            strobe_delay_us: [0; 4],
            triggers: 0,
            last_strobe: None,
            commands: 0,
            executed: [0; 256],
            last_exec: None,
            lose: Vec::new(),
            arrived: [0; 256],
            late_finalize_usteps: 0.0,
            watchdog: None,
            strobe_off_at: None,
            af_laser: false,
            dac: [0; 8],
            events: Vec::new(),
        }
    }

    /// Log something that happened around the board (a fault, a replug).
    pub fn note(&mut self, now: f64, v: serde_json::Value) {
        self.event(now, v);
    }

    fn event(&mut self, now: f64, v: serde_json::Value) {
        let mut v = v;
        v["t"] = json!((now * 1e6).round() / 1e6);
        self.events.push(v);
    }

    /// The status packet the board would send now.
    pub fn status(&self) -> [u8; STATUS_LEN] {
        let state = if self.checksum_error {
            State::ChecksumError
        } else if self.busy || self.stuck {
            State::InProgress
        } else {
            self.last
        };
        let p = |i: usize| self.motors[i].pos.round() as i32;
        Status {
            id: self.cmd_id,
            state,
            x: p(0),
            y: p(1),
            z: p(2),
            buttons: 0,
            version: self.version,
        }
        .encode()
    }

    /// Bytes from the host. Frames are 8 bytes with no timeout, so a lost byte shifts every
    /// later frame; a bad CRC flushes what is buffered and sets a sticky checksum error.
    pub fn receive(&mut self, bytes: &[u8], now: f64) {
        self.rx.extend_from_slice(bytes);
        while self.rx.len() >= 8 {
            let f: [u8; 8] = match self.rx[..8].try_into() {
                Ok(f) => f,
                Err(_) => return,
            };
            let ok = crc8(&f[..7]) == f[7];
            if ok {
                self.arrived[f[1] as usize] += 1;
                let k = self.arrived[f[1] as usize];
                if let Some(i) = self.lose.iter().position(|l| *l == (f[1], k)) {
                    self.lose.swap_remove(i);
                    self.rx.drain(..8);
                    self.event(now, json!({"kind": "lost", "bytes": hex(&f)}));
                    continue;
                }
            }
            self.cmd_id = f[0];
            self.event(
                now,
                json!({"kind": "frame", "bytes": hex(&f), "crc_ok": ok}),
            );
            if !ok {
                self.checksum_error = true;
                self.rx.clear();
                return;
            }
            self.rx.drain(..8);
            self.checksum_error = false;
            if let Some((timeout, _)) = self.watchdog {
                self.watchdog = Some((timeout, now));
            }
            if f[1] != code::HEARTBEAT {
                self.last = State::Completed;
                self.commands += 1;
            }
            let payload = [f[2], f[3], f[4], f[5], f[6]];
            self.executed[f[1] as usize] += 1;
            self.last_exec = Some((f[0], f[1], self.executed[f[1] as usize]));
            // A code newer than this firmware is unknown to it: a no-op, status 0.
            let cmd = Command::decode(f[1], &payload).filter(|_| self.knows(f[1]));
            self.event(now, json!({"kind": "exec", "id": f[0], "code": f[1], "command": cmd.map(|c| format!("{c:?}"))}));
            let outcome = match cmd {
                Some(c) => self.execute(c, now),
                None => Outcome::Done,
            };
            match outcome {
                Outcome::Done => {}
                Outcome::Busy => self.busy = true,
                Outcome::Failed => {
                    // Before 1.2 a rejected move is dropped without a word.
                    if self.version.at_least(1, 2) {
                        self.last = State::ExecutionError;
                    }
                    self.busy = false;
                }
            }
        }
    }

    /// Whether this firmware version has the command: ports (34–39) came with 1.0, the
    /// watchdog and heartbeat (40, 42) with 1.1, MOVETO_W2 (43) with 1.2.
    fn knows(&self, c: u8) -> bool {
        let v = self.version;
        match c {
            34..=39 => v.at_least(1, 0),
            40 | 42 => v.at_least(1, 1),
            43 => v.at_least(1, 2),
            _ => true,
        }
    }

    fn axis_index(axis: Axis) -> Option<usize> {
        match axis {
            Axis::X => Some(0),
            Axis::Y => Some(1),
            Axis::Z => Some(2),
            Axis::W => Some(3),
            _ => None,
        }
    }

    fn execute(&mut self, c: Command, now: f64) -> Outcome {
        match c {
            Command::Move { axis, usteps } | Command::MoveTo { axis, usteps } => {
                let Some(i) = Self::axis_index(axis) else {
                    return Outcome::Done;
                };
                if i == 3 && !self.filter_wheel_ready {
                    return Outcome::Failed;
                }
                if self.motors[i].disabled {
                    // The counter may move; the motor does not. Logged, done at once.
                    self.event(
                        now,
                        json!({"kind": "ignored", "axis": i, "why": "driver disabled"}),
                    );
                    return Outcome::Done;
                }
                let m = &self.motors[i];
                let target = match c {
                    // Relative moves are clamped to the SET_LIM values.
                    Command::Move { .. } => (m.pos + f64::from(usteps)).clamp(m.lim_neg, m.lim_pos),
                    _ => f64::from(usteps),
                };
                if target < m.gate.0 || target > m.gate.1 {
                    return Outcome::Failed;
                }
                self.motors[i].start(target, now, 1.0);
                Outcome::Busy
            }
            Command::Home { axis, mode, .. } => {
                let Some(i) = Self::axis_index(axis) else {
                    // θ or XY: busy forever (a firmware quirk; squidctl never sends these).
                    if mode != HomeMode::Zero {
                        self.stuck = true;
                    }
                    return Outcome::Done;
                };
                if mode == HomeMode::Zero {
                    self.rezero(i);
                    return Outcome::Done;
                }
                let m = &mut self.motors[i];
                m.virtual_limits = false;
                let factor = if i == 2 { 0.5 } else { 0.8 };
                let target = if mode == HomeMode::Negative {
                    m.switch_neg
                } else {
                    m.switch_pos
                };
                m.homing = Some(mode);
                m.start(target, now, factor);
                if i == 3 {
                    self.filter_wheel_ready = true;
                }
                Outcome::Busy
            }
            Command::SetLim { limit, usteps } => {
                let u = f64::from(usteps);
                let (i, pos) = match limit {
                    Limit::XPos => (0, true),
                    Limit::XNeg => (0, false),
                    Limit::YPos => (1, true),
                    Limit::YNeg => (1, false),
                    Limit::ZPos => (2, true),
                    Limit::ZNeg => (2, false),
                };
                let m = &mut self.motors[i];
                if pos {
                    m.lim_pos = u;
                } else {
                    m.lim_neg = u;
                }
                m.virtual_limits = true;
                Outcome::Done
            }
            Command::ConfigureStepperDriver {
                axis,
                microstepping,
                ..
            } => {
                if let Some(i) = Self::axis_index(axis) {
                    let m = &mut self.motors[i];
                    let before = m.per_mm();
                    // Pitch takes effect here, not when it was sent.
                    m.pitch_mm = m.pending_pitch_mm;
                    m.microstepping = f64::from(microstepping.max(1));
                    // The switches stay where they are physically: new µstep numbers.
                    let r = m.per_mm() / before;
                    m.switch_neg = m.pos + (m.switch_neg - m.pos) * r;
                    m.switch_pos = m.pos + (m.switch_pos - m.pos) * r;
                }
                Outcome::Done
            }
            Command::SetLeadScrewPitch { axis, pitch_um } => {
                if let Some(i) = Self::axis_index(axis) {
                    self.motors[i].pending_pitch_mm = f64::from(pitch_um.max(1)) / 1000.0;
                }
                Outcome::Done
            }
            Command::SetMaxVelocityAcceleration {
                axis,
                v_centi,
                a_deci,
            } => {
                if let Some(i) = Self::axis_index(axis) {
                    let m = &mut self.motors[i];
                    m.vmax = (f64::from(v_centi) / 100.0).max(1e-3);
                    m.amax = (f64::from(a_deci) / 10.0).max(1e-3);
                }
                Outcome::Done
            }
            Command::InitFilterWheel => {
                self.filter_wheel_ready = true;
                Outcome::Done
            }
            Command::SetIllumination { source, intensity } => {
                if let Some(p) = port_of_source(source) {
                    self.lights.port_intensity[p] = intensity;
                }
                // A light already on stays on, and the new source comes on too.
                let lit = self.any_light();
                self.lights.source = Some(source);
                if lit {
                    self.set_source(source, true, now);
                }
                Outcome::Done
            }
            Command::SetLedMatrix { .. } => {
                self.lights.source = Some(0);
                Outcome::Done
            }
            Command::TurnOnIllumination => {
                if let Some(s) = self.lights.source {
                    self.set_source(s, true, now);
                }
                Outcome::Done
            }
            Command::TurnOffIllumination => {
                if let Some(s) = self.lights.source {
                    self.set_source(s, false, now);
                }
                Outcome::Done
            }
            Command::SetPortIntensity { port, intensity } => {
                if let Some(i) = self.lights.port_intensity.get_mut(port as usize) {
                    *i = intensity;
                }
                Outcome::Done
            }
            Command::TurnOnPort { port } => {
                self.set_port(port as usize, true, now);
                Outcome::Done
            }
            Command::TurnOffPort { port } => {
                self.set_port(port as usize, false, now);
                Outcome::Done
            }
            Command::TurnOffAllPorts => {
                self.all_off(now);
                Outcome::Done
            }
            Command::SetWatchdogTimeout { ms } => {
                let ms = if ms == 0 { 5000 } else { ms.min(3_600_000) };
                self.watchdog = Some((f64::from(ms) / 1000.0, now));
                Outcome::Done
            }
            Command::SetTriggerMode { level } => {
                self.level_trigger = level;
                Outcome::Done
            }
            Command::SetStrobeDelay { channel, us } => {
                if let Some(d) = self.strobe_delay_us.get_mut(channel as usize) {
                    *d = us;
                }
                Outcome::Done
            }
            Command::SendHardwareTrigger {
                channel,
                strobe,
                on_time_us,
            } => {
                self.triggers += 1;
                let delay = self
                    .strobe_delay_us
                    .get(channel as usize)
                    .copied()
                    .unwrap_or(0);
                self.event(now, json!({"kind": "trigger", "channel": channel, "strobe": strobe, "on_time_us": on_time_us, "n": self.triggers}));
                self.last_strobe = if strobe { self.lights.source } else { None };
                if strobe && let Some(s) = self.lights.source {
                    let on_at = now + f64::from(delay) / 1e6;
                    self.set_source(s, true, on_at);
                    self.strobe_off_at =
                        Some((on_at + f64::from(on_time_us) / 1e6, port_of_source(s)));
                }
                Outcome::Done
            }
            Command::Reset => {
                // Flags and the id go; motors keep running.
                self.busy = false;
                self.stuck = false;
                self.cmd_id = 0;
                self.level_trigger = false;
                for m in &mut self.motors {
                    m.homing = None;
                    m.finalize_at = None;
                    m.never_arrives = false;
                }
                Outcome::Done
            }
            Command::SetAxisEnable { axis, enable } => {
                let Some(i) = Self::axis_index(axis) else {
                    return Outcome::Done;
                };
                let m = &mut self.motors[i];
                if !enable {
                    // The motor stops where it is; the move in flight ends there (busy
                    // clears), and the axis is no longer homed.
                    m.tick(now);
                    m.moving = false;
                    m.never_arrives = false;
                    m.homing = None;
                    m.finalize_at = None;
                    m.gate = (f64::NEG_INFINITY, f64::INFINITY);
                }
                m.disabled = !enable;
                let pos = m.pos;
                self.event(
                    now,
                    json!({"kind": "driver", "axis": i, "enabled": enable, "pos": pos}),
                );
                Outcome::Done
            }
            Command::Initialize => {
                for m in &mut self.motors {
                    m.disabled = false;
                    m.moving = false;
                    m.never_arrives = false;
                    m.zero_here();
                    m.virtual_limits = false;
                }
                self.level_trigger = false;
                Outcome::Done
            }
            Command::Heartbeat
            | Command::SetIntensityFactor { .. }
            | Command::SetLimSwitchPolarity { .. }
            | Command::SetHomeSafetyMargin { .. } => Outcome::Done,
            Command::SetPinLevel { pin, level } => {
                let high = level != 0;
                if pin == AF_LASER_PIN && high != self.af_laser {
                    self.af_laser = high;
                    self.event(now, json!({"kind": "af_laser", "on": high}));
                }
                Outcome::Done
            }
            Command::AnalogWriteDac { channel, value } => {
                if let Some(d) = self.dac.get_mut(usize::from(channel)) {
                    *d = value;
                }
                self.event(
                    now,
                    json!({"kind": "dac", "channel": channel, "value": value}),
                );
                Outcome::Done
            }
        }
    }

    /// The onboard DAC's output on `channel` (channel 7: the objective piezo).
    pub fn dac(&self, channel: usize) -> Option<u16> {
        self.dac.get(channel).copied()
    }

    /// Make the current position 0, shifting the switches and range gate with it.
    fn rezero(&mut self, i: usize) {
        let m = &mut self.motors[i];
        let shift = m.zero_here();
        m.gate = (m.gate.0 - shift, m.gate.1 - shift);
    }

    fn any_light(&self) -> bool {
        self.lights.matrix_on || self.lights.port_on.iter().any(|p| *p)
    }

    fn set_source(&mut self, source: u8, on: bool, now: f64) {
        match port_of_source(source) {
            Some(p) => self.set_port(p, on, now),
            None => {
                if self.lights.matrix_on != on {
                    self.lights.matrix_on = on;
                    self.event(now, json!({"kind": "light", "port": "matrix", "on": on}));
                }
            }
        }
    }

    fn set_port(&mut self, p: usize, on: bool, now: f64) {
        if let Some(slot) = self.lights.port_on.get_mut(p)
            && *slot != on
        {
            *slot = on;
            self.event(now, json!({"kind": "light", "port": p, "on": on}));
        }
    }

    fn all_off(&mut self, now: f64) {
        for p in 0..16 {
            self.set_port(p, false, now);
        }
        // Source 0 is the LED matrix.
        self.set_source(0, false, now);
    }

    /// Let time pass: motion, homing, the strobe and the watchdog.
    pub fn tick(&mut self, now: f64) {
        let mut all_rest = true;
        for i in 0..4 {
            let arrived = self.motors[i].tick(now);
            let m = &mut self.motors[i];
            if arrived && m.homing.take().is_some() {
                m.finalize_at = Some(now + HOMING_FINALIZE_S);
            }
            if let Some(at) = m.finalize_at
                && now >= at
            {
                m.finalize_at = None;
                // The latched switch becomes 0 and bounds the range.
                let was_neg = (m.pos - m.switch_neg).abs() < (m.pos - m.switch_pos).abs();
                self.rezero(i);
                let late = self.late_finalize_usteps;
                let m = &mut self.motors[i];
                if i == 3 && self.version.at_least(1, 4) {
                    // Since 1.4 homing the wheel resets its range to the full turn (#560).
                    m.gate = (f64::NEG_INFINITY, f64::INFINITY);
                } else if was_neg {
                    m.gate.0 = late;
                } else {
                    m.gate.1 = -late;
                }
                self.event(now, json!({"kind": "homed", "axis": i}));
            }
            let m = &self.motors[i];
            if m.moving || m.finalize_at.is_some() || m.homing.is_some() {
                all_rest = false;
            }
        }
        if self.busy && all_rest && !self.motors.iter().any(|m| m.never_arrives) {
            self.busy = false;
            self.event(now, json!({"kind": "idle"}));
        }
        if let Some((off_at, port)) = self.strobe_off_at
            && now >= off_at
        {
            self.strobe_off_at = None;
            match port {
                Some(p) => self.set_port(p, false, now),
                None => self.set_source(0, false, now),
            }
        }
        if let Some((timeout, last)) = self.watchdog
            && now - last > timeout
        {
            self.watchdog = None;
            self.event(now, json!({"kind": "watchdog"}));
            self.all_off(now);
        }
    }

    /// A restart (power, USB, brown-out): boot defaults, positions 0, id 0, lights off. The
    /// stage stays where it physically is, so its switches do too.
    pub fn reboot(&mut self, now: f64) {
        let mut next = Firmware::new(self.version);
        for (old, new) in self.motors.iter().zip(next.motors.iter_mut()) {
            let r = new.per_mm() / old.per_mm();
            new.switch_neg = (old.switch_neg - old.pos) * r;
            new.switch_pos = (old.switch_pos - old.pos) * r;
        }
        next.commands = self.commands;
        next.executed = self.executed;
        next.arrived = self.arrived;
        next.lose = std::mem::take(&mut self.lose);
        next.late_finalize_usteps = self.late_finalize_usteps;
        next.triggers = self.triggers;
        let lit = self.any_light();
        next.events = std::mem::take(&mut self.events);
        *self = next;
        if lit {
            self.event(now, json!({"kind": "light", "port": "all", "on": false}));
        }
        self.event(now, json!({"kind": "reboot"}));
    }

    /// Whether the reflection-autofocus laser's pin is high.
    pub fn af_laser(&self) -> bool {
        self.af_laser
    }

    /// Positions in mm as the board's pitch and microstepping make them (X, Y, Z, W), without
    /// the host's signs.
    pub fn positions_mm(&self) -> [f64; 4] {
        [0, 1, 2, 3].map(|i| self.motors[i].pos / self.motors[i].per_mm())
    }

    /// Positions in µsteps (X, Y, Z, W).
    pub fn positions(&self) -> [i32; 4] {
        [0, 1, 2, 3].map(|i| self.motors[i].pos.round() as i32)
    }

    pub fn lights_on(&self) -> bool {
        self.any_light()
    }

    /// The source code of a lit output (the LED matrix is 0), if any.
    pub fn lit(&self) -> Option<u8> {
        if self.lights.matrix_on {
            return Some(0);
        }
        let port = (0..16).find(|&p| self.lights.port_on[p])?;
        (11..=15).find(|&c| port_of_source(c) == Some(port))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw() -> Firmware {
        Firmware::new(Version { major: 1, minor: 4 })
    }

    fn status(f: &Firmware) -> Status {
        Status::decode(&f.status()).expect("a valid packet")
    }

    fn run_until_idle(f: &mut Firmware, mut now: f64) -> f64 {
        for _ in 0..100_000 {
            now += 0.001;
            f.tick(now);
            if status(f).state != State::InProgress {
                break;
            }
        }
        now
    }

    #[test]
    fn a_lost_byte_shifts_every_later_frame_and_a_bad_crc_flushes_the_rest() {
        let mut f = fw();
        let a = Command::TurnOffAllPorts.encode(1);
        let b = Command::Heartbeat.encode(2);
        // The first frame loses a byte: the board takes 7 of it and 1 of the next.
        let mut bytes = a[1..].to_vec();
        bytes.extend_from_slice(&b);
        f.receive(&bytes, 0.0);
        let s = status(&f);
        assert_eq!(s.state, State::ChecksumError);
        // The rest of what was buffered went with the bad frame: nothing else executed.
        assert!(!f.events.iter().any(|e| e["kind"] == "exec"));
        // The next good frame clears the sticky error.
        f.receive(&Command::TurnOffAllPorts.encode(3), 0.01);
        assert_eq!((status(&f).id, status(&f).state), (3, State::Completed));
    }

    #[test]
    fn homing_zeroes_the_axis_and_gates_moves_below_it() {
        let mut f = fw();
        f.receive(
            &Command::Home {
                axis: Axis::X,
                mode: HomeMode::Negative,
                y_dir: 0,
            }
            .encode(1),
            0.0,
        );
        assert_eq!(status(&f).state, State::InProgress);
        let now = run_until_idle(&mut f, 0.0);
        assert_eq!(status(&f).state, State::Completed);
        assert_eq!(f.positions()[0], 0);
        f.receive(
            &Command::MoveTo {
                axis: Axis::X,
                usteps: -10,
            }
            .encode(2),
            now,
        );
        assert_eq!(
            status(&f).state,
            State::ExecutionError,
            "below the homed switch"
        );
        // A heartbeat does not clear the error; another command does.
        f.receive(&Command::Heartbeat.encode(3), now);
        assert_eq!(status(&f).state, State::ExecutionError);
        f.receive(
            &Command::MoveTo {
                axis: Axis::X,
                usteps: 100,
            }
            .encode(4),
            now,
        );
        let now = run_until_idle(&mut f, now);
        assert_eq!(
            (status(&f).state, f.positions()[0]),
            (State::Completed, 100)
        );
        let _ = now;
    }

    #[test]
    fn before_1_2_a_rejected_move_is_dropped_without_a_word() {
        let mut f = Firmware::new(Version { major: 1, minor: 1 });
        f.receive(
            &Command::MoveTo {
                axis: Axis::W,
                usteps: 10,
            }
            .encode(1),
            0.0,
        );
        assert_eq!(status(&f).state, State::Completed);
        assert_eq!(f.positions()[3], 0);
        let mut g = fw();
        g.receive(
            &Command::MoveTo {
                axis: Axis::W,
                usteps: 10,
            }
            .encode(1),
            0.0,
        );
        assert_eq!(
            status(&g).state,
            State::ExecutionError,
            "W before INITFILTERWHEEL"
        );
    }

    #[test]
    fn reset_keeps_positions_and_initialize_zeroes_them() {
        let mut f = fw();
        f.receive(
            &Command::MoveTo {
                axis: Axis::Y,
                usteps: 5000,
            }
            .encode(1),
            0.0,
        );
        let now = run_until_idle(&mut f, 0.0);
        f.receive(&Command::Reset.encode(0), now);
        assert_eq!((status(&f).id, f.positions()[1]), (0, 5000));
        f.receive(&Command::Initialize.encode(1), now);
        assert_eq!(f.positions()[1], 0);
    }

    #[test]
    fn a_z_target_beyond_its_limit_never_completes() {
        let mut f = fw();
        f.receive(
            &Command::SetLim {
                limit: Limit::ZPos,
                usteps: 1000,
            }
            .encode(1),
            0.0,
        );
        f.receive(
            &Command::MoveTo {
                axis: Axis::Z,
                usteps: 2000,
            }
            .encode(2),
            0.0,
        );
        let now = run_until_idle(&mut f, 0.0);
        assert!(now > 50.0, "still busy after {now} s");
        assert_eq!(status(&f).state, State::InProgress);
        assert_eq!(f.positions()[2], 1000, "parked at the limit");
        // RESET clears the motion flags: a later X move completes although Z stays parked.
        f.receive(&Command::Reset.encode(0), now);
        f.receive(
            &Command::MoveTo {
                axis: Axis::X,
                usteps: 100,
            }
            .encode(1),
            now,
        );
        run_until_idle(&mut f, now);
        assert_eq!(
            (status(&f).state, f.positions()[0]),
            (State::Completed, 100)
        );
    }

    #[test]
    fn d3_and_d4_are_swapped_and_turn_off_affects_the_current_source_only() {
        assert_eq!(port_of_source(14), Some(2));
        assert_eq!(port_of_source(13), Some(3));
        let mut f = fw();
        f.receive(
            &Command::SetIllumination {
                source: 11,
                intensity: 100,
            }
            .encode(1),
            0.0,
        );
        f.receive(&Command::TurnOnIllumination.encode(2), 0.0);
        // Switching source while lit leaves the old one on too.
        f.receive(
            &Command::SetIllumination {
                source: 13,
                intensity: 100,
            }
            .encode(3),
            0.0,
        );
        assert!(f.lights.port_on[0] && f.lights.port_on[3]);
        f.receive(&Command::TurnOffIllumination.encode(4), 0.0);
        assert!(f.lights.port_on[0] && !f.lights.port_on[3]);
        f.receive(&Command::TurnOffAllPorts.encode(5), 0.0);
        assert!(!f.lights_on());
    }

    #[test]
    fn each_trigger_is_one_pulse_and_a_strobe_lights_the_source_for_its_on_time() {
        let mut f = fw();
        f.receive(
            &Command::SetIllumination {
                source: 12,
                intensity: 100,
            }
            .encode(1),
            0.0,
        );
        for i in 0..5u8 {
            let t = f64::from(i) * 0.1;
            f.receive(
                &Command::SendHardwareTrigger {
                    channel: 0,
                    strobe: true,
                    on_time_us: 20_000,
                }
                .encode(2 + i),
                t,
            );
            assert!(f.lights.port_on[1], "lit during the exposure");
            f.tick(t + 0.021);
            assert!(!f.lights.port_on[1], "off after it");
        }
        assert_eq!(f.triggers, 5);
    }
}
