//! The microscope description: loading, checking, the built-in simulated default, and the
//! timing model shared by estimates and the simulator.

pub mod description;
pub mod timing;

use std::sync::Arc;

pub use description::MicroscopeDesc;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::suggest;
use crate::yaml::Node;

/// The built-in simulated microscope, used when no `--microscope` or `SQUIDCTL_MICROSCOPE`
/// is given.
pub const BUILTIN_YAML: &str = include_str!("../../microscopes/squid-sim.yaml");

/// Drivers squidctl can build devices with.
pub const DRIVERS: [&str; 1] = ["sim"];

/// A checked microscope description and the tree it came from (for located errors).
#[derive(Clone, Debug)]
pub struct MicroscopeConfig {
    pub desc: MicroscopeDesc,
    pub root: Node,
    pub source: Arc<SourceFile>,
    pub builtin: bool,
}

impl MicroscopeConfig {
    pub fn builtin() -> Result<Self, Diagnostics> {
        let mut m = Self::from_source(SourceFile::new(
            "built-in microscope (squid-sim)",
            BUILTIN_YAML,
        ))?;
        m.builtin = true;
        Ok(m)
    }

    /// Load from a path, or the built-in simulator when `path` is `None`.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, Diagnostics> {
        let Some(path) = path else {
            return Self::builtin();
        };
        let text = crate::yaml::read_text(path)?;
        Self::from_source(SourceFile::new(path.display().to_string(), text))
    }

    pub fn from_source(source: Arc<SourceFile>) -> Result<Self, Diagnostics> {
        let (desc, root) = crate::yaml::load::<MicroscopeDesc>(&source)?;
        let m = MicroscopeConfig {
            desc,
            root,
            source,
            builtin: false,
        };
        m.check()?;
        Ok(m)
    }

    fn err(&self, path: &str, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(msg)
            .at(Some(self.root.best_loc(path)))
            .path(path)
    }

    fn check(&self) -> Result<(), Diagnostics> {
        let d = &self.desc;
        let mut out = Diagnostics::default();
        if !DRIVERS.contains(&d.driver.as_str()) {
            out.push(
                self.err("driver", format!("unknown driver `{}`", d.driver))
                    .help(suggest::did_you_mean(&d.driver, DRIVERS)),
            );
        }
        for (axis, t) in [
            ("x", d.stage.travel.x),
            ("y", d.stage.travel.y),
            ("z", d.stage.travel.z),
        ] {
            if t[0].0 >= t[1].0 {
                out.push(
                    self.err(
                        &format!("stage.travel.{axis}"),
                        format!("the {axis} travel is empty: {} to {}", t[0], t[1]),
                    )
                    .help("write [min, max] with min below max"),
                );
            }
        }
        let fz = d.stage.focus_z;
        if fz < d.stage.travel.z[0] || fz > d.stage.travel.z[1] {
            out.push(self.err(
                "stage.focus_z",
                format!("focus_z {fz} is outside the z travel"),
            ));
        }
        for (name, a) in [("xy", &d.stage.xy), ("z", &d.stage.z)] {
            if a.speed.0 <= 0.0 || a.acceleration.0 <= 0.0 {
                out.push(self.err(
                    &format!("stage.{name}"),
                    "speed and acceleration must be positive",
                ));
            }
        }
        let c = &d.camera;
        if c.width == 0 || c.height == 0 {
            out.push(self.err("camera", "the sensor must have at least one pixel"));
        }
        if c.pixel_size.0 <= 0.0 {
            out.push(self.err("camera.pixel_size", "pixel size must be positive"));
        }
        if !(8..=16).contains(&c.bit_depth) {
            out.push(
                self.err(
                    "camera.bit_depth",
                    format!("bit depth {} is not supported", c.bit_depth),
                )
                .help("cameras deliver 8 to 16 bits per pixel"),
            );
        }
        if c.exposure_min > c.exposure_max {
            out.push(self.err("camera.exposure_min", "exposure_min is above exposure_max"));
        }
        if c.gain_min > c.gain_max {
            out.push(self.err("camera.gain_min", "gain_min is above gain_max"));
        }
        if c.binning == 0
            || !c.width.is_multiple_of(c.binning.max(1))
            || !c.height.is_multiple_of(c.binning.max(1))
        {
            out.push(self.err(
                "camera.binning",
                "binning must be 1 or more and divide the sensor size",
            ));
        }
        if d.objective.magnification <= 0.0 {
            out.push(self.err("objective.magnification", "magnification must be positive"));
        }
        if d.channels.is_empty() {
            out.push(self.err("channels", "the channel table is empty"));
        }
        for (i, ch) in d.channels.iter().enumerate() {
            if d.channels[..i].iter().any(|o| o.name == ch.name) {
                out.push(self.err(
                    &format!("channels[{i}].name"),
                    format!("channel `{}` is listed twice", ch.name),
                ));
            }
        }
        if let Some(sim) = &d.sim {
            if d.driver != "sim" {
                out.push(self.err("sim", "the `sim` section only applies to `driver: sim`"));
            }
            if !(0.0..=100.0).contains(&sim.time_scale) {
                out.push(
                    self.err(
                        "sim.time_scale",
                        format!("time_scale {} is out of range", sim.time_scale),
                    )
                    .help("0 is instant, 1 real time, 0.01 a hundred times faster"),
                );
            }
            if sim.focus.depth_of_field.0 <= 0.0 {
                out.push(self.err(
                    "sim.focus.depth_of_field",
                    "the depth of field must be positive",
                ));
            }
            for (i, f) in sim.faults.iter().enumerate() {
                if let Err(m) = f.check() {
                    out.push(self.err(&format!("sim.faults[{i}]"), m));
                }
            }
        }
        out.into_result(())
    }

    /// Field of view on the sample, in mm: sensor pixels × pixel size ÷ magnification.
    pub fn fov_mm(&self) -> (f64, f64) {
        let c = &self.desc.camera;
        let px_mm = c.pixel_size.mm() / self.desc.objective.magnification;
        (c.width as f64 * px_mm, c.height as f64 * px_mm)
    }

    /// Size of the sample one output pixel covers, in µm (binning included).
    pub fn pixel_um(&self) -> f64 {
        let c = &self.desc.camera;
        c.pixel_size.um() * c.binning as f64 / self.desc.objective.magnification
    }

    /// Output frame size in pixels (after binning).
    pub fn frame_dims(&self) -> (u32, u32) {
        let c = &self.desc.camera;
        let b = c.binning.max(1);
        (c.width / b, c.height / b)
    }

    pub fn channel(&self, name: &str) -> Option<&description::ChannelDesc> {
        self.desc.channels.iter().find(|c| c.name == name)
    }

    pub fn timing(&self) -> timing::Timing {
        timing::Timing::new(&self.desc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads_and_has_a_665um_fov() {
        let m = MicroscopeConfig::builtin().expect("builtin");
        let (w, h) = m.fov_mm();
        assert!((w - 0.6656).abs() < 1e-9 && (h - 0.6656).abs() < 1e-9);
        assert!((m.pixel_um() - 0.325).abs() < 1e-12);
        assert!(m.channel("GFP").is_some());
    }

    #[test]
    fn rejects_unknown_driver_with_suggestion() {
        let text = BUILTIN_YAML.replace("driver: sim", "driver: simm");
        let e = MicroscopeConfig::from_source(SourceFile::new("m.yaml", text)).unwrap_err();
        let d = &e.0[0];
        assert!(d.message.contains("unknown driver `simm`"));
        assert_eq!(d.help.as_deref(), Some("did you mean `sim`?"));
        assert_eq!(d.loc.as_ref().map(|l| l.line), Some(4));
    }
}
