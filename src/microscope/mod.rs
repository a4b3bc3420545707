//! The microscope description: loading, checking, the built-in simulated default, and the
//! timing model shared by estimates and the simulator.

pub mod description;
pub mod link_health;
pub mod plate_calibration;
pub mod timing;

use std::sync::Arc;

pub use description::MicroscopeDesc;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::yaml::Node;
use description::DeviceKind;

/// The built-in simulated microscope, used when no `--microscope` or `SQUIDCTL_MICROSCOPE`
/// is given.
pub const BUILTIN_YAML: &str = include_str!("../../microscopes/squid-sim.yaml");

/// A checked microscope description and the tree it came from (for located errors).
#[derive(Clone, Debug)]
pub struct MicroscopeConfig {
    pub desc: MicroscopeDesc,
    pub root: Node,
    pub source: Arc<SourceFile>,
    pub builtin: bool,
    /// The plate calibrations stored beside the description (none for the built-in one).
    pub plates: plate_calibration::PlateCalibrations,
}

impl MicroscopeConfig {
    /// A path the description names, relative to the description's own directory.
    pub fn relative_path(&self, p: &str) -> std::path::PathBuf {
        let p = std::path::Path::new(p);
        if self.builtin || p.is_absolute() {
            return p.to_path_buf();
        }
        std::path::Path::new(&self.source.name)
            .parent()
            .map_or_else(|| p.to_path_buf(), |d| d.join(p))
    }

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
        let mut m = Self::from_source(SourceFile::new(path.display().to_string(), text))?;
        m.plates = m.load_plates()?;
        Ok(m)
    }

    /// Where `calibrate-plate` stores this microscope's plate calibrations (none for the
    /// built-in description: it has no file to sit beside).
    pub fn plates_path(&self) -> Option<std::path::PathBuf> {
        if self.builtin {
            return None;
        }
        Some(plate_calibration::path_beside(
            std::path::Path::new(&self.source.name),
            self.desc.plate_calibration.as_deref(),
        ))
    }

    fn load_plates(&self) -> Result<plate_calibration::PlateCalibrations, Diagnostics> {
        let Some(path) = self.plates_path() else {
            return Ok(Default::default());
        };
        if !path.exists() {
            return Ok(Default::default());
        }
        let text = crate::yaml::read_text(&path)?;
        let source = SourceFile::new(path.display().to_string(), text);
        crate::yaml::load::<plate_calibration::PlateCalibrations>(&source)
            .map(|(c, _)| c)
            .map_err(|mut d| {
                d.push(Diagnostic::new(format!(
                    "the plate calibration {} cannot be read",
                    path.display()
                ))
                .help("run `squidctl calibrate-plate` again, or remove the file to use the nominal plate positions"));
                d
            })
    }

    /// The description alone, parsed and checked. `hardware::load` also checks what belongs
    /// to the drivers: which driver runs each device, their settings, and the fault script.
    pub fn from_source(source: Arc<SourceFile>) -> Result<Self, Diagnostics> {
        let (desc, root) = crate::yaml::load::<MicroscopeDesc>(&source)?;
        let m = MicroscopeConfig {
            desc,
            root,
            source,
            builtin: false,
            plates: Default::default(),
        };
        m.check()?;
        Ok(m)
    }

    /// The same microscope with every device on the simulator: `simulate` must never open,
    /// home or move real hardware, whatever drivers the description names. Per-device driver
    /// settings belong to the real drivers and are dropped; the `sim` and `faults` sections
    /// and the description's timing stay, so the dry run costs what the real one would.
    pub fn for_simulation(&self) -> Self {
        let mut m = self.clone();
        let d = &mut m.desc;
        d.driver = Some("sim".into());
        d.stage.xy.driver = None;
        d.stage.z.driver = None;
        d.camera.driver = None;
        d.illumination.driver = None;
        if let Some(w) = d.filter_wheel.as_mut() {
            w.driver = None;
        }
        if let Some(af) = d.laser_autofocus.as_mut() {
            af.driver = None;
        }
        m
    }

    /// Whether some device runs on a driver other than the simulator.
    pub fn has_real_devices(&self) -> bool {
        DeviceKind::ALL
            .into_iter()
            .filter(|k| self.desc.has(*k))
            .any(|k| self.desc.driver_of(k).is_some_and(|(d, _)| d != "sim"))
    }

    /// A top-level section typed by whoever owns it (a driver's shared settings, the fault
    /// script), with located errors; `None` when the description has no such section.
    pub fn section<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, Diagnostics> {
        match self.root.lookup(key) {
            None => Ok(None),
            Some(node) => crate::yaml::from_node_at(node, key)
                .map(Some)
                .map_err(|e| Diagnostics::from(e.into_diagnostic())),
        }
    }

    /// An error located at `path` in the description (for drivers checking their settings).
    pub fn error_at(&self, path: &str, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(msg)
            .at(Some(self.root.best_loc(path)))
            .path(path)
    }

    fn check(&self) -> Result<(), Diagnostics> {
        let d = &self.desc;
        let mut out = Diagnostics::default();
        for (axis, t) in [
            ("x", d.stage.travel.x),
            ("y", d.stage.travel.y),
            ("z", d.stage.travel.z),
        ] {
            if t[0].0 >= t[1].0 {
                out.push(
                    self.error_at(
                        &format!("stage.travel.{axis}"),
                        format!("the {axis} travel is empty: {} to {}", t[0], t[1]),
                    )
                    .help("write [min, max] with min below max"),
                );
            }
        }
        self.check_positions(&mut out);
        let fz = d.stage.focus_z;
        if fz < d.stage.travel.z[0] || fz > d.stage.travel.z[1] {
            out.push(self.error_at(
                "stage.focus_z",
                format!("focus_z {fz} is outside the z travel"),
            ));
        }
        for (name, a) in [("xy", &d.stage.xy), ("z", &d.stage.z)] {
            if a.speed.0 <= 0.0 || a.acceleration.0 <= 0.0 {
                out.push(self.error_at(
                    &format!("stage.{name}"),
                    "speed and acceleration must be positive",
                ));
            }
        }
        if d.stage.xy.piezo.is_some() {
            out.push(
                self.error_at(
                    "stage.xy.piezo",
                    "a piezo moves the objective: it belongs to `stage.z`",
                )
                .help("move `piezo:` under `stage.z`"),
            );
        }
        if let Some(p) = &d.stage.z.piezo {
            self.check_range(
                &mut out,
                "stage.z.piezo.range",
                p.range.um(),
                1.0,
                2000.0,
                " µm",
            );
            if p.home.um() < 0.0 || p.home.um() > p.range.um() {
                out.push(
                    self.error_at(
                        "stage.z.piezo.home",
                        format!(
                            "home {} is outside the piezo's range 0 to {}",
                            p.home, p.range
                        ),
                    )
                    .help("Squid rests its piezo at 20um of 300um"),
                );
            }
            self.check_range(
                &mut out,
                "stage.z.piezo.settle",
                p.settle.secs(),
                0.0,
                1.0,
                " s",
            );
        }
        let c = &d.camera;
        if c.width == 0 || c.height == 0 {
            out.push(self.error_at("camera", "the sensor must have at least one pixel"));
        }
        if c.pixel_size.0 <= 0.0 {
            out.push(self.error_at("camera.pixel_size", "pixel size must be positive"));
        }
        if !(8..=16).contains(&c.bit_depth) {
            out.push(
                self.error_at(
                    "camera.bit_depth",
                    format!("bit depth {} is not supported", c.bit_depth),
                )
                .help("cameras deliver 8 to 16 bits per pixel"),
            );
        }
        if c.exposure_min > c.exposure_max {
            out.push(self.error_at("camera.exposure_min", "exposure_min is above exposure_max"));
        }
        if c.gain_min > c.gain_max {
            out.push(self.error_at("camera.gain_min", "gain_min is above gain_max"));
        }
        if c.binning == 0
            || !c.width.is_multiple_of(c.binning.max(1))
            || !c.height.is_multiple_of(c.binning.max(1))
        {
            out.push(self.error_at(
                "camera.binning",
                "binning must be 1 or more and divide the sensor size",
            ));
        }
        if d.objective
            .na
            .is_some_and(|na| !description::ObjectiveDesc::na_is_plausible(na))
        {
            out.push(self.error_at(
                "objective.na",
                "the numerical aperture must be above 0 and at most 1.7",
            ));
        }
        if d.objective.magnification <= 0.0 {
            out.push(self.error_at("objective.magnification", "magnification must be positive"));
        }
        self.sane_ranges(&mut out);
        if d.channels.is_empty() {
            out.push(self.error_at("channels", "the channel table is empty"));
        }
        for (i, ch) in d.channels.iter().enumerate() {
            if d.channels[..i].iter().any(|o| o.name == ch.name) {
                out.push(self.error_at(
                    &format!("channels[{i}].name"),
                    format!("channel `{}` is listed twice", ch.name),
                ));
            }
        }
        if let Some(w) = &d.filter_wheel
            && !(1..=64).contains(&w.positions)
        {
            out.push(
                self.error_at(
                    "filter_wheel.positions",
                    format!("a filter wheel with {} positions", w.positions),
                )
                .help("filter wheels have 1 to 64 positions"),
            );
        }
        out.into_result(())
    }

    /// Every physical value within what a real microscope can have: absurd values (a stage
    /// speed of 1e-300 mm/s, a 4-billion-pixel sensor) would otherwise validate and then
    /// make deadlines of centuries or allocations of terabytes.
    fn sane_ranges(&self, out: &mut Diagnostics) {
        let d = &self.desc;
        let c = &d.camera;
        let mut check = |path: &str, v: f64, lo: f64, hi: f64, unit: &str| {
            self.check_range(out, path, v, lo, hi, unit)
        };
        for (axis, t) in [
            ("x", d.stage.travel.x),
            ("y", d.stage.travel.y),
            ("z", d.stage.travel.z),
        ] {
            for (i, end) in t.iter().enumerate() {
                check(
                    &format!("stage.travel.{axis}[{i}]"),
                    end.mm(),
                    -1000.0,
                    1000.0,
                    " mm",
                );
            }
        }
        let table: [(&str, f64, f64, f64, &str); 16] = [
            ("stage.xy.speed", d.stage.xy.speed.0, 0.01, 1000.0, " mm/s"),
            ("stage.z.speed", d.stage.z.speed.0, 0.0001, 100.0, " mm/s"),
            (
                "stage.xy.acceleration",
                d.stage.xy.acceleration.0,
                0.01,
                1e5,
                " mm/s2",
            ),
            (
                "stage.z.acceleration",
                d.stage.z.acceleration.0,
                0.0001,
                1e5,
                " mm/s2",
            ),
            ("stage.xy.settle", d.stage.xy.settle.secs(), 0.0, 10.0, " s"),
            ("stage.z.settle", d.stage.z.settle.secs(), 0.0, 10.0, " s"),
            ("camera.width", c.width as f64, 1.0, 20000.0, " px"),
            ("camera.height", c.height as f64, 1.0, 20000.0, " px"),
            ("camera.pixel_size", c.pixel_size.um(), 0.1, 100.0, " µm"),
            ("camera.readout", c.readout.secs(), 0.0, 10.0, " s"),
            (
                "camera.exposure_max",
                c.exposure_max.secs(),
                0.0,
                3600.0,
                " s",
            ),
            ("camera.gain_min", c.gain_min, -100.0, 1000.0, ""),
            ("camera.gain_max", c.gain_max, -100.0, 1000.0, ""),
            (
                "objective.magnification",
                d.objective.magnification,
                0.1,
                1000.0,
                "×",
            ),
            (
                "illumination.switch_time",
                d.illumination.switch_time.secs(),
                0.0,
                10.0,
                " s",
            ),
            (
                "laser_autofocus.range",
                d.laser_autofocus.as_ref().map_or(0.0, |l| l.range.um()),
                0.0,
                10_000.0,
                " µm",
            ),
        ];
        for (path, v, lo, hi, unit) in table {
            check(path, v, lo, hi, unit);
        }
        if let Some(l) = &d.laser_autofocus {
            check(
                "laser_autofocus.measure_time",
                l.measure_time.secs(),
                0.0,
                10.0,
                " s",
            );
        }
    }

    /// Named positions: plain names (they are typed on command lines and in URLs), inside
    /// the travel (a robot must not learn of a typo by a refused move at the plate swap).
    fn check_positions(&self, out: &mut Diagnostics) {
        let d = &self.desc;
        for (name, p) in &d.positions {
            let at = format!("positions.{name}");
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                out.push(
                    self.error_at(
                        &at,
                        format!("the position name `{name}` is not a plain name"),
                    )
                    .help("use letters, digits, `-` and `_` (e.g. `loading`)"),
                );
            }
            let mut axes = vec![("x", p.x, d.stage.travel.x), ("y", p.y, d.stage.travel.y)];
            if let Some(z) = p.z {
                axes.push(("z", z, d.stage.travel.z));
            }
            for (axis, v, t) in axes {
                if !(v.0.is_finite() && v >= t[0] && v <= t[1]) {
                    out.push(
                        self.error_at(
                            &format!("{at}.{axis}"),
                            format!(
                                "position `{name}` has {axis} = {v}, outside the {axis} travel {} to {}",
                                t[0], t[1]
                            ),
                        )
                        .help(format!("give a {axis} within stage.travel.{axis}")),
                    );
                }
            }
        }
    }

    /// Push an error when `v` is not a value a real microscope can have.
    pub fn check_range(
        &self,
        out: &mut Diagnostics,
        path: &str,
        v: f64,
        lo: f64,
        hi: f64,
        unit: &str,
    ) {
        use crate::protocol::units::fmt_num;
        if !(v.is_finite() && v >= lo && v <= hi) {
            out.push(
                self.error_at(
                    path,
                    format!("{path} = {}{unit} is out of range", fmt_num(v)),
                )
                .help(format!(
                    "a real microscope has {}{unit} to {}{unit}",
                    fmt_num(lo),
                    fmt_num(hi)
                )),
            );
        }
    }

    /// One sensor pixel on the sample, in mm: pixel size ÷ magnification (unbinned).
    pub fn pixel_mm(&self) -> f64 {
        self.desc.camera.pixel_size.mm() / self.desc.objective.magnification
    }

    /// Field of view on the sample, in mm: sensor pixels × pixel size ÷ magnification.
    pub fn fov_mm(&self) -> (f64, f64) {
        let c = &self.desc.camera;
        let px_mm = self.pixel_mm();
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
    fn the_depth_of_field_comes_from_the_na_or_the_objectives_name() {
        let m = MicroscopeConfig::builtin().expect("builtin");
        let dof = m.desc.objective.depth_of_field_um(6.5).expect("an NA");
        assert!((dof - (0.55 / 0.5625 + 6.5 / 15.0)).abs() < 1e-9, "{dof}");
        let named = |name: &str| description::ObjectiveDesc {
            name: name.into(),
            magnification: 40.0,
            na: None,
        };
        assert_eq!(named("40x/0.95 air").numerical_aperture(), Some(0.95));
        assert_eq!(named("40x oil").numerical_aperture(), None);
        assert_eq!(named("40x/9").numerical_aperture(), None);
        let bad = BUILTIN_YAML.replace("na: 0.75", "na: 2.5");
        let Err(e) = MicroscopeConfig::from_source(SourceFile::new("m.yaml", bad)) else {
            panic!("an NA of 2.5 was accepted");
        };
        assert!(format!("{e:?}").contains("objective.na"), "{e:?}");
    }
}
