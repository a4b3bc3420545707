//! The microscope description YAML: what the hardware can do, which the plan checks the
//! protocol against and the drivers are built from.

use serde::{Deserialize, Serialize};

use crate::protocol::units::{Accel, Duration, Length, Speed};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MicroscopeDesc {
    pub name: String,
    /// The driver of every device that names none of its own (`sim`: the built-in simulator).
    #[serde(default)]
    pub driver: Option<String>,
    pub stage: StageDesc,
    pub camera: CameraDesc,
    pub objective: ObjectiveDesc,
    #[serde(default)]
    pub illumination: IlluminationDesc,
    #[serde(default)]
    pub filter_wheel: Option<FilterWheelDesc>,
    pub channels: Vec<ChannelDesc>,
    #[serde(default)]
    pub laser_autofocus: Option<LaserAfDesc>,
    /// Stage positions known by name (`loading` for a plate robot, `scanning` to start
    /// from), so a robot's script says where, not numbers that differ per rig.
    #[serde(default)]
    pub positions: std::collections::BTreeMap<String, NamedPosition>,
    /// Where `calibrate-plate` keeps the plate calibrations, relative to this file
    /// (default: `<this file's stem>.plates.yaml` beside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate_calibration: Option<String>,
    /// The simulated world (clock, sample, focus surface): read and checked by the
    /// simulator's driver, which owns its settings.
    #[serde(default, skip_serializing)]
    pub sim: Option<serde::de::IgnoredAny>,
    /// The Squid board (port, axes, sources): read and checked by the `squid` driver.
    #[serde(default, skip_serializing)]
    pub squid: Option<serde::de::IgnoredAny>,
    /// Scripted failures, wrapped around whichever driver's devices: read and checked by
    /// `hardware::faults`.
    #[serde(default, skip_serializing)]
    pub faults: Option<serde::de::IgnoredAny>,
}

/// The devices a description can name a driver for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKind {
    XyStage,
    ZStage,
    Camera,
    Illumination,
    FilterWheel,
    LaserAutofocus,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 6] = [
        DeviceKind::XyStage,
        DeviceKind::ZStage,
        DeviceKind::Camera,
        DeviceKind::Illumination,
        DeviceKind::FilterWheel,
        DeviceKind::LaserAutofocus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::XyStage => "xy stage",
            DeviceKind::ZStage => "z stage",
            DeviceKind::Camera => "camera",
            DeviceKind::Illumination => "illumination",
            DeviceKind::FilterWheel => "filter wheel",
            DeviceKind::LaserAutofocus => "laser autofocus",
        }
    }

    /// Where the device is described (its `driver:` key sits inside).
    pub fn section(self) -> &'static str {
        match self {
            DeviceKind::XyStage => "stage.xy",
            DeviceKind::ZStage => "stage.z",
            DeviceKind::Camera => "camera",
            DeviceKind::Illumination => "illumination",
            DeviceKind::FilterWheel => "filter_wheel",
            DeviceKind::LaserAutofocus => "laser_autofocus",
        }
    }
}

/// A device's driver: `driver: sim`, or `driver: {name: …, …settings}` whose settings the
/// named driver reads and checks itself (they are kept in the located tree, not here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriverRef {
    pub name: String,
}

impl Serialize for DriverRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for DriverRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DriverRef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a driver name (`driver: sim`) or a mapping with its `name` and settings",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DriverRef, E> {
                Ok(DriverRef { name: v.into() })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<DriverRef, A::Error> {
                let mut name = None;
                while let Some(k) = m.next_key::<String>()? {
                    if k == "name" {
                        name = Some(m.next_value::<String>()?);
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                name.map(|name| DriverRef { name })
                    .ok_or_else(|| serde::de::Error::missing_field("name"))
            }
        }
        d.deserialize_any(V)
    }
}

impl MicroscopeDesc {
    /// Whether the description has this device (a filter wheel and a laser autofocus are
    /// optional; the rest every microscope has).
    pub fn has(&self, kind: DeviceKind) -> bool {
        match kind {
            DeviceKind::FilterWheel => self.filter_wheel.is_some(),
            DeviceKind::LaserAutofocus => self.laser_autofocus.is_some(),
            _ => true,
        }
    }

    /// The device's own driver, if it names one.
    pub fn own_driver(&self, kind: DeviceKind) -> Option<&DriverRef> {
        match kind {
            DeviceKind::XyStage => self.stage.xy.driver.as_ref(),
            DeviceKind::ZStage => self.stage.z.driver.as_ref(),
            DeviceKind::Camera => self.camera.driver.as_ref(),
            DeviceKind::Illumination => self.illumination.driver.as_ref(),
            DeviceKind::FilterWheel => self.filter_wheel.as_ref()?.driver.as_ref(),
            DeviceKind::LaserAutofocus => self.laser_autofocus.as_ref()?.driver.as_ref(),
        }
    }

    /// Which drivers run the devices, for one-line summaries: `sim`, or each device's.
    pub fn drivers_summary(&self) -> String {
        let used: Vec<(DeviceKind, &str)> = DeviceKind::ALL
            .into_iter()
            .filter(|k| self.has(*k))
            .map(|k| (k, self.driver_of(k).map_or("none", |(d, _)| d)))
            .collect();
        match used.first() {
            Some((_, first)) if used.iter().all(|(_, d)| d == first) => format!("driver {first}"),
            _ => used
                .iter()
                .map(|(k, d)| format!("{} {d}", k.name()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The driver that runs the device, and the key that named it (for located errors).
    pub fn driver_of(&self, kind: DeviceKind) -> Option<(&str, String)> {
        match self.own_driver(kind) {
            Some(d) => Some((&d.name, format!("{}.driver", kind.section()))),
            None => self.driver.as_deref().map(|d| (d, "driver".to_string())),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct XY {
    pub x: Length,
    pub y: Length,
}

/// A place on the stage; z stays where it is unless given.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamedPosition {
    pub x: Length,
    pub y: Length,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<Length>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StageDesc {
    pub travel: Travel,
    /// Stage position of the plate holder's top-left corner (plate coordinates origin).
    #[serde(default = "origin")]
    pub plate_origin: XY,
    /// Height of the sample's focal plane when nothing better is known.
    pub focus_z: Length,
    pub xy: AxisDesc,
    pub z: AxisDesc,
}

fn origin() -> XY {
    XY {
        x: Length(0.0),
        y: Length(0.0),
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Travel {
    pub x: [Length; 2],
    pub y: [Length; 2],
    pub z: [Length; 2],
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AxisDesc {
    #[serde(default)]
    pub driver: Option<DriverRef>,
    /// How the controller ramps speed; estimates and deadlines follow it.
    #[serde(default)]
    pub profile: MotionProfile,
    pub speed: Speed,
    pub acceleration: Accel,
    pub settle: Duration,
    /// An objective piezo on the focus drive (`stage.z` only): small z moves go to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub piezo: Option<PiezoDesc>,
}

/// The objective piezo of a Squid (driven by the board's DAC channel 7): z-stacks and focus
/// offsets within its range move it, not the stepper — faster and without backlash.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PiezoDesc {
    /// Its full travel (Squid: OBJECTIVE_PIEZO_RANGE_UM, 300 µm); the DAC's 0–65535 spans it.
    pub range: Length,
    /// Where it rests while the stepper focuses (Squid: OBJECTIVE_PIEZO_HOME_UM).
    #[serde(default = "piezo_home")]
    pub home: Length,
    /// Time to settle after a step (Squid: MULTIPOINT_PIEZO_DELAY_MS).
    #[serde(default = "piezo_settle")]
    pub settle: Duration,
    /// The DAC counts down as the objective rises (Squid: OBJECTIVE_PIEZO_FLIP_DIR).
    #[serde(default)]
    pub flip: bool,
}

fn piezo_home() -> Length {
    Length(20.0)
}

fn piezo_settle() -> Duration {
    Duration::from_secs_f64(0.02)
}

impl PiezoDesc {
    /// The DAC value for a piezo position (µm from its zero), clamped to its range.
    pub fn dac(&self, um: f64) -> u16 {
        let f = (um / self.range.um().max(1e-9)).clamp(0.0, 1.0);
        let v = (f * 65535.0).round() as u16;
        if self.flip { 65535 - v } else { v }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum MotionProfile {
    /// Constant acceleration to full speed (most stage controllers).
    #[default]
    Trapezoid,
    /// Jerk-limited ramps (the Squid board's TMC4361A): slower to start and stop.
    SCurve,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CameraDesc {
    #[serde(default)]
    pub driver: Option<DriverRef>,
    #[serde(default)]
    pub model: String,
    pub width: u32,
    pub height: u32,
    pub pixel_size: Length,
    pub bit_depth: u32,
    /// Sensor readout after each exposure.
    pub readout: Duration,
    pub exposure_min: Duration,
    pub exposure_max: Duration,
    #[serde(default)]
    pub gain_min: f64,
    #[serde(default = "default_gain_max")]
    pub gain_max: f64,
    #[serde(default = "one")]
    pub binning: u32,
}

fn default_gain_max() -> f64 {
    24.0
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveDesc {
    #[serde(default)]
    pub name: String,
    pub magnification: f64,
    /// Numerical aperture: sets the depth of field that decides whether a field was in focus.
    /// Absent, it is read from a name like `20x/0.75`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub na: Option<f64>,
}

impl ObjectiveDesc {
    /// The NAs objectives have: above 0, up to 1.7 (high-index immersion).
    pub fn na_is_plausible(na: f64) -> bool {
        na > 0.0 && na <= 1.7
    }

    pub fn numerical_aperture(&self) -> Option<f64> {
        self.na.or_else(|| {
            let (_, after) = self.name.split_once('/')?;
            let digits: String = after
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            digits.parse().ok().filter(|na| Self::na_is_plausible(*na))
        })
    }

    /// Depth of field (µm) for green light in air: the wave-optical term λ/NA² plus the
    /// geometric one a camera pixel adds (pixel / (M·NA)); `None` without an NA.
    pub fn depth_of_field_um(&self, pixel_um: f64) -> Option<f64> {
        const GREEN_UM: f64 = 0.55;
        let na = self.numerical_aperture()?;
        Some(GREEN_UM / (na * na) + pixel_um / (self.magnification * na))
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IlluminationDesc {
    #[serde(default)]
    pub driver: Option<DriverRef>,
    /// Time to switch source or intensity before an exposure.
    #[serde(default)]
    pub switch_time: Duration,
    /// Time to turn the light on before each exposure and off after it, together (on a
    /// serial controller: two round trips).
    #[serde(default)]
    pub on_off_time: Duration,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilterWheelDesc {
    #[serde(default)]
    pub driver: Option<DriverRef>,
    /// Filter positions, numbered from 1.
    pub positions: u32,
    /// Time to turn from one position to the next.
    #[serde(default)]
    pub step_time: Duration,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDesc {
    pub name: String,
    /// The illumination source this channel turns on.
    pub source: String,
    #[serde(default)]
    pub wavelength: Option<Length>,
    #[serde(default)]
    pub emission: Option<Length>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LaserAfDesc {
    #[serde(default)]
    pub driver: Option<DriverRef>,
    /// How far from the reference the reflection spot can still be read.
    pub range: Length,
    /// Time for one measurement (spot image and fit).
    pub measure_time: Duration,
    /// A spot camera's exposure (a camera-based sensor, e.g. `driver: genicam`).
    #[serde(default)]
    pub exposure: Option<Duration>,
    /// Where `squidctl calibrate-af` keeps how the spot follows z, relative to this file.
    #[serde(default)]
    pub calibration: Option<String>,
}
