//! The simulator's own settings: the `sim:` section of a microscope description (the
//! simulated world every `sim` device shares) and the settings of one `sim` device. Read from
//! the located tree, so their errors point into the file like every other key's.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;
use crate::microscope::description::XY;
use crate::protocol::units::{Length, Slope};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
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
    /// A plate in the holder, truly placed (none: the sample has no walls).
    #[serde(default)]
    pub plate: Option<SimPlateDesc>,
    /// Moved to the top level (faults wrap every driver); kept only to say so.
    #[serde(default, skip_serializing)]
    pub faults: Option<serde::de::IgnoredAny>,
}

fn default_time_scale() -> f64 {
    0.1
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            time_scale: default_time_scale(),
            seed: 0,
            sample: SampleKind::default(),
            focus: FocusSurfaceDesc::default(),
            plate: None,
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

/// Where the simulated plate truly sits: what `calibrate-plate` must find.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimPlateDesc {
    pub format: crate::protocol::schema::PlateFormat,
    /// True stage position of A1's centre (default: where the holder should put it).
    #[serde(default)]
    pub a1: Option<XY>,
    /// The plate's twist in the holder, degrees (positive turns x towards y).
    #[serde(default)]
    pub rotation_deg: f64,
    #[serde(default = "unit")]
    pub scale: f64,
}

fn unit() -> f64 {
    1.0
}

/// A `sim` device takes no settings of its own: `driver: sim` or `driver: {name: sim}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimDeviceSettings {}

impl SimSettings {
    /// The `sim:` section of a description (defaults when it has none), checked.
    pub fn of(config: &MicroscopeConfig) -> Result<SimSettings, Diagnostics> {
        let Some(sim) = config.section::<SimSettings>("sim")? else {
            return Ok(SimSettings::default());
        };
        let mut out = Diagnostics::default();
        if !(0.0..=100.0).contains(&sim.time_scale) {
            out.push(
                config
                    .error_at(
                        "sim.time_scale",
                        format!("time_scale {} is out of range", sim.time_scale),
                    )
                    .help("0 is instant, 1 real time, 0.01 a hundred times faster"),
            );
        }
        if sim.faults.is_some() {
            out.push(
                config.error_at("sim.faults", "`faults` is no longer a `sim` setting")
                    .help("move the `faults:` list out of `sim:` to the top level of the microscope description (no indent): faults now wrap the devices of any driver"),
            );
        }
        let f = &sim.focus;
        config.check_range(
            &mut out,
            "sim.focus.tilt_x",
            f.tilt_x.0,
            -1000.0,
            1000.0,
            " µm/mm",
        );
        config.check_range(
            &mut out,
            "sim.focus.tilt_y",
            f.tilt_y.0,
            -1000.0,
            1000.0,
            " µm/mm",
        );
        config.check_range(
            &mut out,
            "sim.focus.curvature",
            f.curvature.um(),
            -10_000.0,
            10_000.0,
            " µm",
        );
        if f.depth_of_field.0 <= 0.0 {
            out.push(config.error_at(
                "sim.focus.depth_of_field",
                "the depth of field must be positive",
            ));
        } else {
            config.check_range(
                &mut out,
                "sim.focus.depth_of_field",
                f.depth_of_field.um(),
                0.0,
                1000.0,
                " µm",
            );
        }
        if let Some(p) = &sim.plate {
            config.check_range(
                &mut out,
                "sim.plate.rotation_deg",
                p.rotation_deg,
                -10.0,
                10.0,
                "°",
            );
            config.check_range(&mut out, "sim.plate.scale", p.scale, 0.9, 1.1, "");
        }
        out.into_result(sim)
    }
}
