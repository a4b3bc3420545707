//! The microscope description YAML: what the hardware can do, which the plan checks the
//! protocol against and the drivers are built from.

use serde::{Deserialize, Serialize};

use crate::protocol::units::{Accel, Duration, Length, Speed};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MicroscopeDesc {
    pub name: String,
    /// Which driver folder builds the devices; `sim` is the built-in simulator.
    pub driver: String,
    pub stage: StageDesc,
    pub camera: CameraDesc,
    pub objective: ObjectiveDesc,
    #[serde(default)]
    pub illumination: IlluminationDesc,
    pub channels: Vec<ChannelDesc>,
    #[serde(default)]
    pub laser_autofocus: Option<LaserAfDesc>,
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
pub struct XY {
    pub x: Length,
    pub y: Length,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Travel {
    pub x: [Length; 2],
    pub y: [Length; 2],
    pub z: [Length; 2],
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AxisDesc {
    pub speed: Speed,
    pub acceleration: Accel,
    pub settle: Duration,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CameraDesc {
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
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IlluminationDesc {
    /// Time to switch source or intensity before an exposure.
    #[serde(default)]
    pub switch_time: Duration,
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
    /// How far from the reference the reflection spot can still be read.
    pub range: Length,
    /// Time for one measurement (spot image and fit).
    pub measure_time: Duration,
}
