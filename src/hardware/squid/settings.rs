//! The `squid:` section of a microscope description: how to find the board and how its
//! axes are built. Defaults are Squid's own (`_def.py`); real rigs override them from their
//! ini files. Speeds and accelerations are not here: they come from `stage.xy`/`stage.z`, the
//! same numbers the estimate uses, so estimate and board cannot disagree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::protocol::{AxisScale, Version};
use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;
use crate::protocol::units::{Duration, Length};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SquidSettings {
    /// The serial port (`/dev/ttyACM0`, or a stable `/dev/serial/by-id/…` link).
    #[serde(default)]
    pub port: Option<String>,
    /// The board's USB serial number, when the port is not given: the one Teensy with it.
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Oldest firmware accepted, `major.minor`; older boards are refused at connect.
    #[serde(default = "default_min_version")]
    pub min_version: String,
    /// Accept firmware that reports no version (octopi_firmware_v2): no watchdog, no
    /// execution errors, no ports.
    #[serde(default)]
    pub allow_legacy: bool,
    /// The board turns every light off when it hears nothing for this long (fw ≥ 1.1).
    #[serde(default = "default_watchdog")]
    pub watchdog: Duration,
    /// No valid status for this long means the link is gone.
    #[serde(default = "default_stale")]
    pub stale_after: Duration,
    /// Home the stage at connect (Squid's order: Z, then X, then Y). Off only for a rig
    /// homed by hand; moves are then relative to wherever the board booted.
    #[serde(default = "yes")]
    pub home: bool,
    /// Percent of the DAC range the board drives the lasers with at 100 % intensity.
    #[serde(default = "default_intensity_factor")]
    pub intensity_factor: u8,
    #[serde(default)]
    pub trigger: TriggerSettings,
    #[serde(default = "axis_x")]
    pub x: AxisSettings,
    #[serde(default = "axis_y")]
    pub y: AxisSettings,
    #[serde(default = "axis_z")]
    pub z: AxisSettings,
    #[serde(default = "axis_w")]
    pub w: AxisSettings,
    /// Light sources by the names channels use, mapped to the board's outputs (`D1`–`D5`,
    /// `led-matrix`); added to (and overriding) the standard names.
    #[serde(default)]
    pub sources: BTreeMap<String, Output>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Output {
    D1,
    D2,
    D3,
    D4,
    D5,
    #[serde(rename = "led-matrix")]
    LedMatrix,
}

impl Output {
    /// The illumination source code on the wire (D3 and D4 are swapped: 14 and 13).
    pub fn source_code(self) -> u8 {
        match self {
            Output::D1 => 11,
            Output::D2 => 12,
            Output::D3 => 14,
            Output::D4 => 13,
            Output::D5 => 15,
            Output::LedMatrix => 0,
        }
    }

    /// The output's name among Squid's controller ports (`illumination_channel_config.yaml`):
    /// the LED matrix's full pattern is `USB1`.
    pub fn squid_port(self) -> &'static str {
        match self {
            Output::D1 => "D1",
            Output::D2 => "D2",
            Output::D3 => "D3",
            Output::D4 => "D4",
            Output::D5 => "D5",
            Output::LedMatrix => "USB1",
        }
    }
}

/// The standard names of `microscopes/*.yaml`, mapped as Squid wires its lasers.
pub const STANDARD_SOURCES: [(&str, Output); 6] = [
    ("laser-405", Output::D1),
    ("laser-488", Output::D2),
    ("laser-561", Output::D3),
    ("laser-638", Output::D4),
    ("laser-730", Output::D5),
    ("led-matrix", Output::LedMatrix),
];

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerMode {
    /// A 50 µs pulse; the camera's exposure time decides.
    #[default]
    Edge,
    /// Low for the strobe delay plus the on-time: the pulse is the exposure.
    Level,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerSettings {
    #[serde(default)]
    pub mode: TriggerMode,
    /// Delay from the trigger to the strobe, per trigger channel 0–3 (a rolling shutter
    /// needs the rows to be open first).
    #[serde(default)]
    pub strobe_delay: Vec<Duration>,
    /// The trigger output (0–3) wired to the main camera's trigger line.
    #[serde(default)]
    pub channel: u8,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSettings {
    /// +1 or −1: which way the motor turns for a positive stage move.
    pub sign: i8,
    /// Lead screw pitch (for W: one turn of the wheel).
    pub pitch: Length,
    pub microstepping: u16,
    #[serde(default = "default_full_steps")]
    pub full_steps: u16,
    /// RMS motor current in mA.
    pub current: u16,
    /// Holding current as a fraction of `current`.
    #[serde(default = "default_hold")]
    pub hold: f64,
    /// How far homing backs off its switch.
    pub safety_margin: Length,
    /// Limit switch polarity: `active-low`, `active-high` or `ignored`.
    pub switch: SwitchPolarity,
    /// W only: where position 1 is after homing, in turns of the wheel.
    #[serde(default)]
    pub offset: f64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchPolarity {
    ActiveLow,
    ActiveHigh,
    Ignored,
}

impl SwitchPolarity {
    const ALL: [SwitchPolarity; 3] = [
        SwitchPolarity::ActiveLow,
        SwitchPolarity::ActiveHigh,
        SwitchPolarity::Ignored,
    ];

    pub fn wire(self) -> u8 {
        match self {
            SwitchPolarity::ActiveLow => 0,
            SwitchPolarity::ActiveHigh => 1,
            SwitchPolarity::Ignored => 2,
        }
    }

    /// The polarity Squid's ini numbers the same way (`[LIMIT_SWITCH_POLARITY]`).
    pub fn from_wire(w: u8) -> Option<SwitchPolarity> {
        Self::ALL.into_iter().find(|p| p.wire() == w)
    }

    /// As a description writes it.
    pub fn name(self) -> &'static str {
        match self {
            SwitchPolarity::ActiveLow => "active-low",
            SwitchPolarity::ActiveHigh => "active-high",
            SwitchPolarity::Ignored => "ignored",
        }
    }
}

impl AxisSettings {
    pub fn scale(&self) -> AxisScale {
        AxisScale {
            sign: self.sign,
            pitch_mm: self.pitch.mm(),
            microstepping: self.microstepping,
            full_steps: self.full_steps,
        }
    }
}

fn default_baud() -> u32 {
    2_000_000
}
fn default_min_version() -> String {
    "1.0".into()
}
fn default_watchdog() -> Duration {
    Duration::from_secs_f64(5.0)
}
fn default_stale() -> Duration {
    Duration::from_secs_f64(0.5)
}
fn yes() -> bool {
    true
}
fn default_intensity_factor() -> u8 {
    60
}
fn default_full_steps() -> u16 {
    200
}
fn default_hold() -> f64 {
    0.5
}

fn axis(sign: i8, pitch_mm: f64, microstepping: u16, current: u16, margin_um: f64) -> AxisSettings {
    AxisSettings {
        sign,
        pitch: Length::from_mm(pitch_mm),
        microstepping,
        full_steps: 200,
        current,
        hold: 0.5,
        safety_margin: Length::from_mm(margin_um / 1000.0),
        switch: SwitchPolarity::ActiveHigh,
        offset: 0.0,
    }
}
fn axis_x() -> AxisSettings {
    axis(-1, 1.0, 8, 490, 50.0)
}
fn axis_y() -> AxisSettings {
    axis(1, 1.0, 8, 490, 50.0)
}
fn axis_z() -> AxisSettings {
    AxisSettings {
        switch: SwitchPolarity::Ignored,
        ..axis(-1, 0.3048, 8, 490, 100.0)
    }
}
fn axis_w() -> AxisSettings {
    axis(1, 1.0, 64, 1900, 0.0)
}

impl Default for SquidSettings {
    fn default() -> Self {
        SquidSettings {
            port: None,
            serial_number: None,
            baud: default_baud(),
            min_version: default_min_version(),
            allow_legacy: false,
            watchdog: default_watchdog(),
            stale_after: default_stale(),
            home: true,
            intensity_factor: default_intensity_factor(),
            trigger: TriggerSettings::default(),
            x: axis_x(),
            y: axis_y(),
            z: axis_z(),
            w: axis_w(),
            sources: BTreeMap::new(),
        }
    }
}

impl SquidSettings {
    /// The description's `squid:` section (all defaults when it has none), checked.
    pub fn of(config: &MicroscopeConfig) -> Result<SquidSettings, Diagnostics> {
        let s: SquidSettings = config.section("squid")?.unwrap_or_default();
        let mut out = Diagnostics::default();
        if s.port.is_some() && s.serial_number.is_some() {
            out.push(
                config
                    .error_at(
                        "squid.serial_number",
                        "both `port` and `serial_number` are set",
                    )
                    .help("keep one: the port path, or the serial number to find it by"),
            );
        }
        if s.min_version().is_none() {
            out.push(
                config
                    .error_at(
                        "squid.min_version",
                        format!("`{}` is not a firmware version", s.min_version),
                    )
                    .help("write it as major.minor, e.g. `1.2`"),
            );
        }
        let wd = s.watchdog.secs();
        if wd != 0.0 {
            config.check_range(&mut out, "squid.watchdog", wd, 0.2, 3600.0, "s");
        }
        config.check_range(
            &mut out,
            "squid.stale_after",
            s.stale_after.secs(),
            0.05,
            60.0,
            "s",
        );
        config.check_range(
            &mut out,
            "squid.intensity_factor",
            f64::from(s.intensity_factor),
            1.0,
            100.0,
            "%",
        );
        if s.trigger.channel > 3 {
            out.push(
                config
                    .error_at(
                        "squid.trigger.channel",
                        format!("trigger channel {}", s.trigger.channel),
                    )
                    .help("the board has trigger channels 0–3"),
            );
        }
        if s.trigger.strobe_delay.len() > 4 {
            out.push(
                config
                    .error_at(
                        "squid.trigger.strobe_delay",
                        "the board has 4 trigger channels",
                    )
                    .help("give at most 4 delays, one per channel 0–3"),
            );
        }
        for (name, a) in [("x", &s.x), ("y", &s.y), ("z", &s.z), ("w", &s.w)] {
            let at = |k: &str| format!("squid.{name}.{k}");
            if a.sign != 1 && a.sign != -1 {
                out.push(
                    config
                        .error_at(&at("sign"), format!("sign {} is neither 1 nor -1", a.sign))
                        .help("1 when a positive move turns the motor forward, -1 otherwise"),
                );
            }
            config.check_range(&mut out, &at("pitch"), a.pitch.mm(), 0.001, 65.0, "mm");
            if !a.microstepping.is_power_of_two() || a.microstepping > 256 {
                out.push(
                    config
                        .error_at(
                            &at("microstepping"),
                            format!(
                                "microstepping {} is not one the driver has",
                                a.microstepping
                            ),
                        )
                        .help("one of 1, 2, 4, 8, 16, 32, 64, 128, 256"),
                );
            }
            config.check_range(
                &mut out,
                &at("full_steps"),
                f64::from(a.full_steps),
                1.0,
                10000.0,
                "",
            );
            config.check_range(&mut out, &at("hold"), a.hold, 0.0, 1.0, "");
            config.check_range(
                &mut out,
                &at("safety_margin"),
                a.safety_margin.um(),
                0.0,
                65535.0,
                "µm",
            );
        }
        out.into_result(s)
    }

    pub fn min_version(&self) -> Option<Version> {
        let (a, b) = self.min_version.split_once('.')?;
        let (major, minor) = (a.trim().parse::<u8>().ok()?, b.trim().parse::<u8>().ok()?);
        (major < 16 && minor < 16).then_some(Version { major, minor })
    }

    /// The board output a light source name drives.
    pub fn output(&self, source: &str) -> Option<Output> {
        self.sources.get(source).copied().or_else(|| {
            STANDARD_SOURCES
                .iter()
                .find(|(n, _)| *n == source)
                .map(|(_, o)| *o)
        })
    }

    /// Every source name this board knows, for messages.
    pub fn source_names(&self) -> Vec<String> {
        let mut v: Vec<String> = STANDARD_SOURCES
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        v.extend(self.sources.keys().cloned());
        v.sort();
        v.dedup();
        v
    }
}
