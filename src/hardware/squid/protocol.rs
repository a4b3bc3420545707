//! The Squid microcontroller's serial protocol: 8-byte commands and 24-byte status packets,
//! each closed by a CRC-8. Pure encoding and decoding, shared by the driver and the firmware
//! emulator, so the two cannot disagree about a byte.

/// Host → board frame: id, code, five parameter bytes, CRC-8.
pub const CMD_LEN: usize = 8;
/// Board → host frame, sent unsolicited about every 10 ms.
pub const STATUS_LEN: usize = 24;

/// CRC-8, polynomial 0x07, init 0, no reflection, no final XOR (the firmware's and Squid's).
pub fn crc8(bytes: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in bytes {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Axis ids as they go on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axis {
    X = 0,
    Y = 1,
    Z = 2,
    Theta = 3,
    Xy = 4,
    W = 5,
    W2 = 6,
}

impl Axis {
    pub fn from_wire(b: u8) -> Option<Axis> {
        Some(match b {
            0 => Axis::X,
            1 => Axis::Y,
            2 => Axis::Z,
            3 => Axis::Theta,
            4 => Axis::Xy,
            5 => Axis::W,
            6 => Axis::W2,
            _ => return None,
        })
    }
}

/// HOME_OR_ZERO's mode byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HomeMode {
    Positive = 0,
    Negative = 1,
    Zero = 2,
}

/// SET_LIM's limit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    XPos = 0,
    XNeg = 1,
    YPos = 2,
    YNeg = 3,
    ZPos = 4,
    ZNeg = 5,
}

impl Limit {
    pub fn from_wire(b: u8) -> Option<Limit> {
        Some(match b {
            0 => Limit::XPos,
            1 => Limit::XNeg,
            2 => Limit::YPos,
            3 => Limit::YNeg,
            4 => Limit::ZPos,
            5 => Limit::ZNeg,
            _ => return None,
        })
    }
}

/// Every command squidctl sends (and the emulator understands), with its payload typed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// Relative move in µsteps (MOVE_X/Y/Z, MOVE_W).
    Move {
        axis: Axis,
        usteps: i32,
    },
    /// Absolute move in µsteps (MOVETO_X/Y/Z/W/W2).
    MoveTo {
        axis: Axis,
        usteps: i32,
    },
    /// HOME_OR_ZERO; `y_dir` is the Y direction when homing XY (never sent by squidctl).
    Home {
        axis: Axis,
        mode: HomeMode,
        y_dir: u8,
    },
    SetLim {
        limit: Limit,
        usteps: i32,
    },
    TurnOnIllumination,
    TurnOffIllumination,
    /// Source code and intensity (0–65535).
    SetIllumination {
        source: u8,
        intensity: u16,
    },
    /// Pattern and the three bytes in Squid's order (G, R, B on the wire).
    SetLedMatrix {
        pattern: u8,
        g: u8,
        r: u8,
        b: u8,
    },
    SetIntensityFactor {
        percent: u8,
    },
    /// 0 active low, 1 active high, 2 ignored.
    SetLimSwitchPolarity {
        axis: Axis,
        polarity: u8,
    },
    /// Microstepping as the firmware takes it (1–256), RMS current in mA, hold current 0–1.
    ConfigureStepperDriver {
        axis: Axis,
        microstepping: u16,
        current_ma: u16,
        hold: u8,
    },
    /// Velocity in mm/s ×100 and acceleration in mm/s² ×10, as on the wire.
    SetMaxVelocityAcceleration {
        axis: Axis,
        v_centi: u16,
        a_deci: u16,
    },
    /// Lead screw pitch in µm.
    SetLeadScrewPitch {
        axis: Axis,
        pitch_um: u16,
    },
    SetHomeSafetyMargin {
        axis: Axis,
        um: u16,
    },
    /// Channel 0–3, whether the MCU strobes the current source, its on-time in µs.
    SendHardwareTrigger {
        channel: u8,
        strobe: bool,
        on_time_us: u32,
    },
    SetStrobeDelay {
        channel: u8,
        us: u32,
    },
    /// 0 edge, 1 level.
    SetTriggerMode {
        level: bool,
    },
    SetPortIntensity {
        port: u8,
        intensity: u16,
    },
    TurnOnPort {
        port: u8,
    },
    TurnOffPort {
        port: u8,
    },
    TurnOffAllPorts,
    /// SET_AXIS_DISABLE_ENABLE: a disabled driver stops its motor where it is (the only way
    /// to stop a move) and loses the axis's homing.
    SetAxisEnable {
        axis: Axis,
        enable: bool,
    },
    SetWatchdogTimeout {
        ms: u32,
    },
    Heartbeat,
    SetPinLevel {
        pin: u8,
        level: u8,
    },
    /// The board's own DAC; channel 7 drives the objective piezo.
    AnalogWriteDac {
        channel: u8,
        value: u16,
    },
    InitFilterWheel,
    Initialize,
    Reset,
}

pub mod code {
    pub const MOVE_X: u8 = 0;
    pub const MOVE_Y: u8 = 1;
    pub const MOVE_Z: u8 = 2;
    pub const MOVE_THETA: u8 = 3;
    pub const MOVE_W: u8 = 4;
    pub const HOME_OR_ZERO: u8 = 5;
    pub const MOVETO_X: u8 = 6;
    pub const MOVETO_Y: u8 = 7;
    pub const MOVETO_Z: u8 = 8;
    pub const SET_LIM: u8 = 9;
    pub const TURN_ON_ILLUMINATION: u8 = 10;
    pub const TURN_OFF_ILLUMINATION: u8 = 11;
    pub const SET_ILLUMINATION: u8 = 12;
    pub const SET_ILLUMINATION_LED_MATRIX: u8 = 13;
    pub const ACK_JOYSTICK_BUTTON_PRESSED: u8 = 14;
    pub const SET_ILLUMINATION_INTENSITY_FACTOR: u8 = 17;
    pub const MOVETO_W: u8 = 18;
    pub const MOVE_W2: u8 = 19;
    pub const SET_LIM_SWITCH_POLARITY: u8 = 20;
    pub const CONFIGURE_STEPPER_DRIVER: u8 = 21;
    pub const SET_MAX_VELOCITY_ACCELERATION: u8 = 22;
    pub const SET_LEAD_SCREW_PITCH: u8 = 23;
    pub const SET_HOME_SAFETY_MERGIN: u8 = 28;
    pub const SEND_HARDWARE_TRIGGER: u8 = 30;
    pub const SET_STROBE_DELAY: u8 = 31;
    pub const SET_AXIS_DISABLE_ENABLE: u8 = 32;
    pub const SET_TRIGGER_MODE: u8 = 33;
    pub const SET_PORT_INTENSITY: u8 = 34;
    pub const TURN_ON_PORT: u8 = 35;
    pub const TURN_OFF_PORT: u8 = 36;
    pub const TURN_OFF_ALL_PORTS: u8 = 39;
    pub const SET_WATCHDOG_TIMEOUT: u8 = 40;
    pub const SET_PIN_LEVEL: u8 = 41;
    pub const ANALOG_WRITE_ONBOARD_DAC: u8 = 15;
    pub const HEARTBEAT: u8 = 42;
    pub const MOVETO_W2: u8 = 43;
    pub const INITFILTERWHEEL: u8 = 253;
    pub const INITIALIZE: u8 = 254;
    pub const RESET: u8 = 255;
}

fn i32_at(p: &[u8], i: usize) -> i32 {
    i32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]])
}

fn u32_at(p: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]])
}

fn u16_at(p: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([p[i], p[i + 1]])
}

impl Command {
    /// The command code and its five parameter bytes (b2–b6).
    pub fn wire(&self) -> (u8, [u8; 5]) {
        use code::*;
        let mut p = [0u8; 5];
        let put32 = |p: &mut [u8; 5], at: usize, v: [u8; 4]| p[at..at + 4].copy_from_slice(&v);
        let put16 = |p: &mut [u8; 5], at: usize, v: [u8; 2]| p[at..at + 2].copy_from_slice(&v);
        let c = match *self {
            Command::Move { axis, usteps } => {
                put32(&mut p, 0, usteps.to_be_bytes());
                match axis {
                    Axis::X => MOVE_X,
                    Axis::Y => MOVE_Y,
                    Axis::Z => MOVE_Z,
                    Axis::Theta | Axis::Xy => MOVE_THETA,
                    Axis::W => MOVE_W,
                    Axis::W2 => MOVE_W2,
                }
            }
            Command::MoveTo { axis, usteps } => {
                put32(&mut p, 0, usteps.to_be_bytes());
                match axis {
                    Axis::X => MOVETO_X,
                    Axis::Y => MOVETO_Y,
                    Axis::Z => MOVETO_Z,
                    Axis::W => MOVETO_W,
                    Axis::W2 => MOVETO_W2,
                    // There is no absolute θ move; the firmware treats an unknown code as a no-op.
                    Axis::Theta | Axis::Xy => MOVE_THETA,
                }
            }
            Command::Home { axis, mode, y_dir } => {
                p[0] = axis as u8;
                p[1] = mode as u8;
                p[2] = y_dir;
                HOME_OR_ZERO
            }
            Command::SetLim { limit, usteps } => {
                p[0] = limit as u8;
                put32(&mut p, 1, usteps.to_be_bytes());
                SET_LIM
            }
            Command::TurnOnIllumination => TURN_ON_ILLUMINATION,
            Command::TurnOffIllumination => TURN_OFF_ILLUMINATION,
            Command::SetIllumination { source, intensity } => {
                p[0] = source;
                put16(&mut p, 1, intensity.to_be_bytes());
                SET_ILLUMINATION
            }
            Command::SetLedMatrix { pattern, g, r, b } => {
                p[..4].copy_from_slice(&[pattern, g, r, b]);
                SET_ILLUMINATION_LED_MATRIX
            }
            Command::SetIntensityFactor { percent } => {
                p[0] = percent;
                SET_ILLUMINATION_INTENSITY_FACTOR
            }
            Command::SetLimSwitchPolarity { axis, polarity } => {
                p[0] = axis as u8;
                p[1] = polarity;
                SET_LIM_SWITCH_POLARITY
            }
            Command::ConfigureStepperDriver {
                axis,
                microstepping,
                current_ma,
                hold,
            } => {
                p[0] = axis as u8;
                // 1 goes as 0 and 256 as 255 (the firmware maps 0 → 1 and > 128 → 256).
                p[1] = match microstepping {
                    0 | 1 => 0,
                    m if m >= 256 => 255,
                    m => m as u8,
                };
                put16(&mut p, 2, current_ma.to_be_bytes());
                p[4] = hold;
                CONFIGURE_STEPPER_DRIVER
            }
            Command::SetMaxVelocityAcceleration {
                axis,
                v_centi,
                a_deci,
            } => {
                p[0] = axis as u8;
                put16(&mut p, 1, v_centi.to_be_bytes());
                put16(&mut p, 3, a_deci.to_be_bytes());
                SET_MAX_VELOCITY_ACCELERATION
            }
            Command::SetLeadScrewPitch { axis, pitch_um } => {
                p[0] = axis as u8;
                put16(&mut p, 1, pitch_um.to_be_bytes());
                SET_LEAD_SCREW_PITCH
            }
            Command::SetHomeSafetyMargin { axis, um } => {
                p[0] = axis as u8;
                put16(&mut p, 1, um.to_be_bytes());
                SET_HOME_SAFETY_MERGIN
            }
            Command::SendHardwareTrigger {
                channel,
                strobe,
                on_time_us,
            } => {
                p[0] = (u8::from(strobe) << 7) | (channel & 0x7f);
                put32(&mut p, 1, on_time_us.to_be_bytes());
                SEND_HARDWARE_TRIGGER
            }
            Command::SetStrobeDelay { channel, us } => {
                p[0] = channel;
                put32(&mut p, 1, us.to_be_bytes());
                SET_STROBE_DELAY
            }
            Command::SetTriggerMode { level } => {
                p[0] = u8::from(level);
                SET_TRIGGER_MODE
            }
            Command::SetPortIntensity { port, intensity } => {
                p[0] = port;
                put16(&mut p, 1, intensity.to_be_bytes());
                SET_PORT_INTENSITY
            }
            Command::TurnOnPort { port } => {
                p[0] = port;
                TURN_ON_PORT
            }
            Command::TurnOffPort { port } => {
                p[0] = port;
                TURN_OFF_PORT
            }
            Command::TurnOffAllPorts => TURN_OFF_ALL_PORTS,
            Command::SetAxisEnable { axis, enable } => {
                p[0] = axis as u8;
                p[1] = u8::from(enable);
                SET_AXIS_DISABLE_ENABLE
            }
            Command::SetWatchdogTimeout { ms } => {
                put32(&mut p, 0, ms.to_be_bytes());
                SET_WATCHDOG_TIMEOUT
            }
            Command::Heartbeat => HEARTBEAT,
            Command::SetPinLevel { pin, level } => {
                p[0] = pin;
                p[1] = level;
                SET_PIN_LEVEL
            }
            Command::AnalogWriteDac { channel, value } => {
                p[0] = channel;
                p[1..3].copy_from_slice(&value.to_be_bytes());
                ANALOG_WRITE_ONBOARD_DAC
            }
            Command::InitFilterWheel => INITFILTERWHEEL,
            Command::Initialize => INITIALIZE,
            Command::Reset => RESET,
        };
        (c, p)
    }

    /// The 8 bytes sent for this command with this id.
    pub fn encode(&self, id: u8) -> [u8; CMD_LEN] {
        let (c, p) = self.wire();
        let mut f = [id, c, p[0], p[1], p[2], p[3], p[4], 0];
        f[7] = crc8(&f[..7]);
        f
    }

    /// The command a code and payload stand for (`None`: a code squidctl never sends, which
    /// the firmware treats as a no-op).
    pub fn decode(c: u8, p: &[u8; 5]) -> Option<Command> {
        use code::*;
        let axis = |b: u8| Axis::from_wire(b);
        Some(match c {
            MOVE_X => Command::Move {
                axis: Axis::X,
                usteps: i32_at(p, 0),
            },
            MOVE_Y => Command::Move {
                axis: Axis::Y,
                usteps: i32_at(p, 0),
            },
            MOVE_Z => Command::Move {
                axis: Axis::Z,
                usteps: i32_at(p, 0),
            },
            MOVE_W => Command::Move {
                axis: Axis::W,
                usteps: i32_at(p, 0),
            },
            MOVE_W2 => Command::Move {
                axis: Axis::W2,
                usteps: i32_at(p, 0),
            },
            MOVETO_X => Command::MoveTo {
                axis: Axis::X,
                usteps: i32_at(p, 0),
            },
            MOVETO_Y => Command::MoveTo {
                axis: Axis::Y,
                usteps: i32_at(p, 0),
            },
            MOVETO_Z => Command::MoveTo {
                axis: Axis::Z,
                usteps: i32_at(p, 0),
            },
            MOVETO_W => Command::MoveTo {
                axis: Axis::W,
                usteps: i32_at(p, 0),
            },
            MOVETO_W2 => Command::MoveTo {
                axis: Axis::W2,
                usteps: i32_at(p, 0),
            },
            HOME_OR_ZERO => Command::Home {
                axis: axis(p[0])?,
                mode: match p[1] {
                    0 => HomeMode::Positive,
                    1 => HomeMode::Negative,
                    2 => HomeMode::Zero,
                    _ => return None,
                },
                y_dir: p[2],
            },
            SET_LIM => Command::SetLim {
                limit: Limit::from_wire(p[0])?,
                usteps: i32_at(p, 1),
            },
            TURN_ON_ILLUMINATION => Command::TurnOnIllumination,
            TURN_OFF_ILLUMINATION => Command::TurnOffIllumination,
            SET_ILLUMINATION => Command::SetIllumination {
                source: p[0],
                intensity: u16_at(p, 1),
            },
            SET_ILLUMINATION_LED_MATRIX => Command::SetLedMatrix {
                pattern: p[0],
                g: p[1],
                r: p[2],
                b: p[3],
            },
            SET_ILLUMINATION_INTENSITY_FACTOR => Command::SetIntensityFactor { percent: p[0] },
            SET_LIM_SWITCH_POLARITY => Command::SetLimSwitchPolarity {
                axis: axis(p[0])?,
                polarity: p[1],
            },
            CONFIGURE_STEPPER_DRIVER => Command::ConfigureStepperDriver {
                axis: axis(p[0])?,
                microstepping: match p[1] {
                    0 => 1,
                    m if m > 128 => 256,
                    m => u16::from(m),
                },
                current_ma: u16_at(p, 2),
                hold: p[4],
            },
            SET_MAX_VELOCITY_ACCELERATION => Command::SetMaxVelocityAcceleration {
                axis: axis(p[0])?,
                v_centi: u16_at(p, 1),
                a_deci: u16_at(p, 3),
            },
            SET_LEAD_SCREW_PITCH => Command::SetLeadScrewPitch {
                axis: axis(p[0])?,
                pitch_um: u16_at(p, 1),
            },
            SET_HOME_SAFETY_MERGIN => Command::SetHomeSafetyMargin {
                axis: axis(p[0])?,
                um: u16_at(p, 1),
            },
            SEND_HARDWARE_TRIGGER => Command::SendHardwareTrigger {
                channel: p[0] & 0x7f,
                strobe: p[0] & 0x80 != 0,
                on_time_us: u32_at(p, 1),
            },
            SET_STROBE_DELAY => Command::SetStrobeDelay {
                channel: p[0],
                us: u32_at(p, 1),
            },
            SET_TRIGGER_MODE if p[0] <= 1 => Command::SetTriggerMode { level: p[0] == 1 },
            SET_PORT_INTENSITY => Command::SetPortIntensity {
                port: p[0],
                intensity: u16_at(p, 1),
            },
            TURN_ON_PORT => Command::TurnOnPort { port: p[0] },
            TURN_OFF_PORT => Command::TurnOffPort { port: p[0] },
            TURN_OFF_ALL_PORTS => Command::TurnOffAllPorts,
            SET_AXIS_DISABLE_ENABLE => Command::SetAxisEnable {
                axis: axis(p[0])?,
                enable: p[1] != 0,
            },
            SET_WATCHDOG_TIMEOUT => Command::SetWatchdogTimeout { ms: u32_at(p, 0) },
            HEARTBEAT => Command::Heartbeat,
            SET_PIN_LEVEL => Command::SetPinLevel {
                pin: p[0],
                level: p[1],
            },
            ANALOG_WRITE_ONBOARD_DAC => Command::AnalogWriteDac {
                channel: p[0],
                value: u16::from_be_bytes([p[1], p[2]]),
            },
            INITFILTERWHEEL => Command::InitFilterWheel,
            INITIALIZE => Command::Initialize,
            RESET => Command::Reset,
            _ => return None,
        })
    }

    /// Whether it only ever turns a light off: resent first and fast, since every
    /// millisecond it waits is light on the sample.
    pub fn turns_light_off(&self) -> bool {
        match *self {
            Command::TurnOffIllumination
            | Command::TurnOffAllPorts
            | Command::TurnOffPort { .. } => true,
            Command::SetPinLevel { level, .. } => level == 0,
            Command::SetIllumination { intensity, .. } => intensity == 0,
            Command::SetLedMatrix { g, r, b, .. } => (g, r, b) == (0, 0, 0),
            _ => false,
        }
    }

    /// Whether sending it twice does what sending it once does. A trigger sent twice is an
    /// extra exposure; a relative move sent twice moves twice.
    pub fn idempotent(&self) -> bool {
        !matches!(
            self,
            Command::SendHardwareTrigger { .. } | Command::Move { .. } | Command::Home { .. }
        )
    }
}

/// b1 of a status packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Completed,
    InProgress,
    ChecksumError,
    ExecutionError,
    Other(u8),
}

impl State {
    pub fn from_wire(b: u8) -> State {
        match b {
            0 => State::Completed,
            1 => State::InProgress,
            2 => State::ChecksumError,
            4 => State::ExecutionError,
            o => State::Other(o),
        }
    }

    pub fn wire(self) -> u8 {
        match self {
            State::Completed => 0,
            State::InProgress => 1,
            State::ChecksumError => 2,
            State::ExecutionError => 4,
            State::Other(o) => o,
        }
    }
}

/// Firmware version from b22: `(major << 4) | minor`; 0 is legacy firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
}

impl Version {
    pub fn from_wire(b: u8) -> Version {
        Version {
            major: b >> 4,
            minor: b & 0x0f,
        }
    }

    pub fn wire(self) -> u8 {
        (self.major << 4) | (self.minor & 0x0f)
    }

    pub fn at_least(self, major: u8, minor: u8) -> bool {
        self >= Version { major, minor }
    }

    pub fn legacy(self) -> bool {
        self.major == 0 && self.minor == 0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.legacy() {
            f.write_str("legacy (no version)")
        } else {
            write!(f, "{}.{}", self.major, self.minor)
        }
    }
}

/// One status packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Id of the last packet the board received (even one that failed its CRC).
    pub id: u8,
    pub state: State,
    /// Actual positions in µsteps.
    pub x: i32,
    pub y: i32,
    pub z: i32,
    pub buttons: u8,
    pub version: Version,
}

impl Status {
    pub fn encode(&self) -> [u8; STATUS_LEN] {
        let mut f = [0u8; STATUS_LEN];
        f[0] = self.id;
        f[1] = self.state.wire();
        f[2..6].copy_from_slice(&self.x.to_be_bytes());
        f[6..10].copy_from_slice(&self.y.to_be_bytes());
        f[10..14].copy_from_slice(&self.z.to_be_bytes());
        f[18] = self.buttons;
        f[22] = self.version.wire();
        f[23] = crc8(&f[..23]);
        f
    }

    /// A 24-byte window, if it is one: its CRC holds, and the bytes the firmware always
    /// sends as 0 (θ, b19–21, the unused button bits) are 0 and the status is one it sends.
    /// The CRC alone lets one window of noise in 256 pass; with the zeros, about none does.
    pub fn decode(f: &[u8]) -> Option<Status> {
        if f.len() != STATUS_LEN || crc8(&f[..23]) != f[23] {
            return None;
        }
        let reserved_zero = f[14..18].iter().chain(&f[19..22]).all(|b| *b == 0);
        if !reserved_zero || f[18] & !0x03 != 0 || matches!(State::from_wire(f[1]), State::Other(_))
        {
            return None;
        }
        Some(Status {
            id: f[0],
            state: State::from_wire(f[1]),
            x: i32_at(f, 2),
            y: i32_at(f, 6),
            z: i32_at(f, 10),
            buttons: f[18],
            version: Version::from_wire(f[22]),
        })
    }
}

/// Finds status packets in a byte stream that may have lost, gained or changed bytes.
///
/// In step, each 24-byte window must be a packet ([`Status::decode`]). Out of step (at the
/// start, or after a bad window), a window is believed only when the window right after it
/// is a packet too. Unlike Squid's host, a window whose CRC byte is 0 is never taken on trust
/// (all-zero noise would pass).
#[derive(Default)]
pub struct StatusReader {
    buf: Vec<u8>,
    in_step: bool,
    /// Take packets with version byte 0 (legacy firmware). Off, all-zero noise (whose CRC is
    /// 0, so it passes) is never a packet.
    pub allow_legacy: bool,
    /// Bytes dropped while searching, since the reader was made.
    pub skipped: u64,
}

impl StatusReader {
    /// Feed bytes; returns the packets completed by them, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Status> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            let left = self.buf.len() - i;
            if self.in_step {
                if left < STATUS_LEN {
                    break;
                }
                match self.decode(&self.buf[i..i + STATUS_LEN]) {
                    Some(s) => {
                        out.push(s);
                        i += STATUS_LEN;
                    }
                    None => self.in_step = false,
                }
            } else {
                if left < 2 * STATUS_LEN {
                    break;
                }
                let first = self.decode(&self.buf[i..i + STATUS_LEN]);
                let next = &self.buf[i + STATUS_LEN..i + 2 * STATUS_LEN];
                match first {
                    Some(s) if self.decode(next).is_some() => {
                        out.push(s);
                        i += STATUS_LEN;
                        self.in_step = true;
                    }
                    _ => {
                        i += 1;
                        self.skipped += 1;
                    }
                }
            }
        }
        self.buf.drain(..i);
        out
    }

    fn decode(&self, f: &[u8]) -> Option<Status> {
        Status::decode(f).filter(|s| self.allow_legacy || !s.version.legacy())
    }

    /// Whether the last bytes read were whole, valid packets.
    pub fn in_step(&self) -> bool {
        self.in_step
    }

    /// Forget partial input (after a flush of the port).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.in_step = false;
    }
}

/// Conversion between millimetres and the board's µsteps for one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisScale {
    /// +1 or −1: the direction the motor turns for a positive move.
    pub sign: i8,
    pub pitch_mm: f64,
    pub microstepping: u16,
    pub full_steps: u16,
}

impl AxisScale {
    /// Millimetres per µstep, signed.
    pub fn mm_per_ustep(&self) -> f64 {
        f64::from(self.sign) * self.pitch_mm
            / (f64::from(self.microstepping) * f64::from(self.full_steps))
    }

    /// µsteps for a position or distance, `None` when it does not fit an i32.
    pub fn usteps(&self, mm: f64) -> Option<i32> {
        let u = (mm / self.mm_per_ustep()).round();
        (u.is_finite() && u >= f64::from(i32::MIN) && u <= f64::from(i32::MAX)).then_some(u as i32)
    }

    pub fn mm(&self, usteps: i32) -> f64 {
        f64::from(usteps) * self.mm_per_ustep()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::faults::SplitMix;

    #[test]
    fn crc8_matches_the_firmware_vectors() {
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc8(&[0x01]), 0x07);
        assert_eq!(crc8(&[0, 1, 2, 3, 4, 5]), 0xBC);
        assert_eq!(crc8(&[]), 0);
    }

    #[test]
    #[rustfmt::skip]
    fn commands_encode_byte_for_byte() {
        use Axis::*;
        let cases: Vec<(Command, u8, [u8; 7])> = vec![
            (Command::Move { axis: X, usteps: 1000 }, 1, [1, 0, 0, 0, 3, 0xe8, 0]),
            (Command::MoveTo { axis: Y, usteps: -2 }, 2, [2, 7, 0xff, 0xff, 0xff, 0xfe, 0]),
            (Command::MoveTo { axis: Z, usteps: 0x0102_0304 }, 3, [3, 8, 1, 2, 3, 4, 0]),
            (Command::MoveTo { axis: W, usteps: 5 }, 4, [4, 18, 0, 0, 0, 5, 0]),
            (Command::MoveTo { axis: W2, usteps: 5 }, 4, [4, 43, 0, 0, 0, 5, 0]),
            (Command::Home { axis: Z, mode: HomeMode::Negative, y_dir: 0 }, 5, [5, 5, 2, 1, 0, 0, 0]),
            (Command::SetLim { limit: Limit::YNeg, usteps: -1 }, 6, [6, 9, 3, 0xff, 0xff, 0xff, 0xff]),
            (Command::SetIllumination { source: 14, intensity: 0x8000 }, 7, [7, 12, 14, 0x80, 0, 0, 0]),
            (Command::SetLedMatrix { pattern: 0, g: 1, r: 2, b: 3 }, 8, [8, 13, 0, 1, 2, 3, 0]),
            (Command::SetIntensityFactor { percent: 60 }, 9, [9, 17, 60, 0, 0, 0, 0]),
            (Command::SetLimSwitchPolarity { axis: Z, polarity: 2 }, 10, [10, 20, 2, 2, 0, 0, 0]),
            (Command::ConfigureStepperDriver { axis: X, microstepping: 256, current_ma: 490, hold: 127 }, 11, [11, 21, 0, 255, 0x01, 0xea, 127]),
            (Command::ConfigureStepperDriver { axis: W, microstepping: 1, current_ma: 1900, hold: 0 }, 11, [11, 21, 5, 0, 0x07, 0x6c, 0]),
            (Command::SetMaxVelocityAcceleration { axis: Y, v_centi: 2500, a_deci: 5000 }, 12, [12, 22, 1, 0x09, 0xc4, 0x13, 0x88]),
            (Command::SetLeadScrewPitch { axis: Z, pitch_um: 300 }, 13, [13, 23, 2, 0x01, 0x2c, 0, 0]),
            (Command::SetHomeSafetyMargin { axis: X, um: 50 }, 14, [14, 28, 0, 0, 50, 0, 0]),
            (Command::SendHardwareTrigger { channel: 0, strobe: true, on_time_us: 20_000 }, 15, [15, 30, 0x80, 0, 0, 0x4e, 0x20]),
            (Command::SetStrobeDelay { channel: 1, us: 650 }, 16, [16, 31, 1, 0, 0, 0x02, 0x8a]),
            (Command::SetTriggerMode { level: true }, 17, [17, 33, 1, 0, 0, 0, 0]),
            (Command::SetPortIntensity { port: 2, intensity: 65535 }, 18, [18, 34, 2, 0xff, 0xff, 0, 0]),
            (Command::TurnOnPort { port: 3 }, 19, [19, 35, 3, 0, 0, 0, 0]),
            (Command::TurnOffPort { port: 3 }, 20, [20, 36, 3, 0, 0, 0, 0]),
            (Command::TurnOffAllPorts, 21, [21, 39, 0, 0, 0, 0, 0]),
            (Command::SetWatchdogTimeout { ms: 5000 }, 22, [22, 40, 0, 0, 0x13, 0x88, 0]),
            (Command::Heartbeat, 23, [23, 42, 0, 0, 0, 0, 0]),
            (Command::SetPinLevel { pin: 15, level: 1 }, 24, [24, 41, 15, 1, 0, 0, 0]),
            (Command::AnalogWriteDac { channel: 7, value: 0x1112 }, 25, [25, 15, 7, 0x11, 0x12, 0, 0]),
            (Command::TurnOnIllumination, 25, [25, 10, 0, 0, 0, 0, 0]),
            (Command::TurnOffIllumination, 26, [26, 11, 0, 0, 0, 0, 0]),
            (Command::InitFilterWheel, 27, [27, 253, 0, 0, 0, 0, 0]),
            (Command::Initialize, 1, [1, 254, 0, 0, 0, 0, 0]),
            (Command::Reset, 0, [0, 255, 0, 0, 0, 0, 0]),
        ];
        for (cmd, id, want) in cases {
            let f = cmd.encode(id);
            assert_eq!(&f[..7], &want, "{cmd:?}");
            assert_eq!(f[7], crc8(&want), "{cmd:?}");
            let p = [f[2], f[3], f[4], f[5], f[6]];
            assert_eq!(Command::decode(f[1], &p), Some(cmd), "{cmd:?} round trip");
        }
        // The sheet's worked example.
        assert_eq!(
            Command::Move { axis: X, usteps: 1000 }.encode(1),
            [0x01, 0x00, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x89]
        );
    }

    #[test]
    fn status_packets_round_trip() {
        let s = Status {
            id: 9,
            state: State::ExecutionError,
            x: -123_456,
            y: 7,
            z: i32::MAX,
            buttons: 1,
            version: Version { major: 1, minor: 4 },
        };
        let f = s.encode();
        assert_eq!(f[22], 0x14);
        assert_eq!(Status::decode(&f), Some(s));
        let mut bad = f;
        bad[5] ^= 0x10;
        assert_eq!(Status::decode(&bad), None);
    }

    /// The reader finds every valid packet that has a valid neighbour (the board sends them
    /// back to back), whatever noise, loss or corruption sits between, and returns nothing
    /// that was not sent.
    #[test]
    fn the_reader_finds_every_packet_in_noise_and_accepts_no_corrupted_one() {
        let mut rng = SplitMix(0x5eed);
        let mut total = 0;
        for round in 0..300 {
            let mut stream = Vec::new();
            // (packet, valid, contiguous with the one before)
            let mut sent: Vec<(Status, bool, bool)> = Vec::new();
            for k in 0..60u8 {
                let gap = rng.next_u64().is_multiple_of(8);
                if gap {
                    for _ in 0..(rng.next_u64() % 30 + 1) {
                        stream.push(rng.next_u64() as u8);
                    }
                }
                let s = Status {
                    id: k,
                    state: State::from_wire((rng.next_u64() % 3) as u8),
                    x: rng.next_u64() as i32,
                    y: rng.next_u64() as i32,
                    z: rng.next_u64() as i32,
                    buttons: 0,
                    version: Version { major: 1, minor: 4 },
                };
                let mut f = s.encode();
                let roll = rng.next_u64() % 10;
                let valid = match roll {
                    // A flipped bit.
                    0 => {
                        let bit = (rng.next_u64() % (STATUS_LEN as u64 * 8)) as usize;
                        f[bit / 8] ^= 1 << (bit % 8);
                        false
                    }
                    // A lost byte.
                    1 => {
                        let at = (rng.next_u64() % STATUS_LEN as u64) as usize;
                        stream.extend_from_slice(&f[..at]);
                        stream.extend_from_slice(&f[at + 1..]);
                        sent.push((s, false, !gap));
                        continue;
                    }
                    _ => true,
                };
                stream.extend_from_slice(&f);
                sent.push((s, valid, !gap));
            }
            let mut r = StatusReader::default();
            let mut got = Vec::new();
            let mut rest = &stream[..];
            while !rest.is_empty() {
                let n = ((rng.next_u64() % 50) as usize + 1).min(rest.len());
                got.extend(r.push(&rest[..n]));
                rest = &rest[n..];
            }
            for (i, (s, valid, joined)) in sent.iter().enumerate() {
                let prev_ok = i > 0 && *joined && sent[i - 1].1;
                let next_ok = sent.get(i + 1).is_some_and(|n| n.1 && n.2);
                if *valid && (prev_ok || next_ok) {
                    assert!(got.contains(s), "round {round}: packet {i} missed");
                }
                if !valid {
                    assert!(
                        !got.contains(s),
                        "round {round}: damaged packet {i} accepted"
                    );
                }
            }
            for g in &got {
                assert!(
                    sent.iter().any(|(s, v, _)| s == g && *v),
                    "round {round}: {g:?} was never sent"
                );
            }
            total += got.len();
        }
        assert!(total > 300 * 40, "{total}");
    }

    #[test]
    fn zeros_are_not_packets_unless_legacy_firmware_is_allowed() {
        let zeros = [0u8; 3 * STATUS_LEN];
        assert!(
            Status::decode(&zeros[..STATUS_LEN]).is_some(),
            "its CRC passes"
        );
        assert!(StatusReader::default().push(&zeros).is_empty());
        let mut legacy = StatusReader {
            allow_legacy: true,
            ..StatusReader::default()
        };
        assert_eq!(legacy.push(&zeros).len(), 3);
    }

    #[test]
    fn millimetres_and_microsteps() {
        // Squid defaults for X: pitch 1 mm, 8 µsteps, 200 full steps, sign −1.
        let x = AxisScale {
            sign: -1,
            pitch_mm: 1.0,
            microstepping: 8,
            full_steps: 200,
        };
        assert_eq!(x.usteps(1.0), Some(-1600));
        assert!((x.mm(-1600) - 1.0).abs() < 1e-12);
        let z = AxisScale {
            sign: -1,
            pitch_mm: 0.3048,
            microstepping: 8,
            full_steps: 200,
        };
        assert_eq!(z.usteps(0.0015), Some(-8));
        assert_eq!(x.usteps(1e9), None);
        assert_eq!(x.usteps(f64::NAN), None);
    }

    #[test]
    fn versions_gate_features() {
        let v = Version::from_wire(0x12);
        assert!(v.at_least(1, 1) && v.at_least(1, 2) && !v.at_least(1, 3));
        assert!(Version::from_wire(0).legacy());
        assert_eq!(Version::from_wire(0x14).to_string(), "1.4");
    }
}
