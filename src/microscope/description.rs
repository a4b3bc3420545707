//! The microscope description YAML: what the hardware can do, which the plan checks the
//! protocol against and the drivers are built from.

use serde::{Deserialize, Serialize};

use crate::hardware::faults::FaultSpec;
use crate::protocol::units::{Accel, Duration, Length, Slope, Speed};

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
    /// Settings of the simulated microscope (`driver: sim` only).
    #[serde(default)]
    pub sim: Option<SimDesc>,
    /// Scripted failures, wrapped around whichever driver's devices.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimDesc {
    /// Real seconds per simulated second: 0 instant, 1 real time, 0.01 a hundred times faster.
    #[serde(default = "default_time_scale")]
    pub time_scale: f64,
    /// Seeds the sample and the noise: same seed and position, same image.
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub sample: SampleKind,
    /// The focal surface: tilted and curved like a real plate, so autofocus matters.
    #[serde(default)]
    pub focus: FocusSurfaceDesc,
    /// Moved to the top level (faults wrap every driver); kept only to say so.
    #[serde(default, skip_serializing)]
    pub faults: Option<serde::de::IgnoredAny>,
}

fn default_time_scale() -> f64 {
    0.1
}

impl Default for SimDesc {
    fn default() -> Self {
        SimDesc {
            time_scale: default_time_scale(),
            seed: 0,
            sample: SampleKind::default(),
            focus: FocusSurfaceDesc::default(),
            faults: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SampleKind {
    /// Nuclei, cytoplasm and bright-field outlines.
    #[default]
    Cells,
    /// Fluorescent beads.
    Beads,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FocusSurfaceDesc {
    #[serde(default = "default_tilt_x")]
    pub tilt_x: Slope,
    #[serde(default = "default_tilt_y")]
    pub tilt_y: Slope,
    /// Sag of the surface 50 mm from its centre.
    #[serde(default = "default_curvature")]
    pub curvature: Length,
    /// Where the surface is at `stage.focus_z` (default: the centre of the travel).
    #[serde(default)]
    pub center: Option<XY>,
    /// Defocus at which images are clearly blurred.
    #[serde(default = "default_dof")]
    pub depth_of_field: Length,
}

fn default_tilt_x() -> Slope {
    Slope(0.15)
}

fn default_tilt_y() -> Slope {
    Slope(-0.1)
}

fn default_curvature() -> Length {
    Length(8.0)
}

fn default_dof() -> Length {
    Length(1.5)
}

impl Default for FocusSurfaceDesc {
    fn default() -> Self {
        FocusSurfaceDesc {
            tilt_x: default_tilt_x(),
            tilt_y: default_tilt_y(),
            curvature: default_curvature(),
            center: None,
            depth_of_field: default_dof(),
        }
    }
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
