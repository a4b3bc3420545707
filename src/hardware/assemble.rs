//! From a description to a [`Microscope`]: which driver runs each device, checking every
//! driver's settings where they are written, opening the devices driver by driver (devices
//! of one driver open together: they may share a serial link, or the simulator's world), and
//! putting the fault script around whatever came out.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::autofocus::StandardAutofocus;
use super::clock::{Clock, RealClock};
use super::{
    BuildOptions, Camera, DRIVERS, DeviceError, DeviceResult, Driver, FilterWheel, Illumination,
    LaserAutofocus, Microscope, XyStage, ZStage, faults,
};
use crate::diagnostic::{Diagnostics, SourceFile};
use crate::microscope::MicroscopeConfig;
use crate::microscope::description::DeviceKind;
use crate::suggest;
use crate::yaml::{Node, Value};

/// One device a driver is asked for.
pub struct DeviceUse {
    pub kind: DeviceKind,
    /// The key that named the driver (`camera.driver`, or the top-level `driver`).
    pub path: String,
    /// The device's own driver settings (its `driver:` mapping without `name`), if any.
    pub settings: Option<Node>,
}

/// Everything one driver is asked to open.
pub struct Request {
    pub devices: Vec<DeviceUse>,
    /// This driver runs every device of the microscope (the simulator then keeps its
    /// virtual clock; alongside real devices it must live in real time).
    pub sole: bool,
}

impl Request {
    pub fn wants(&self, kind: DeviceKind) -> bool {
        self.devices.iter().any(|d| d.kind == kind)
    }
}

/// What a driver opened; only the devices it was asked for.
#[derive(Default)]
pub struct Devices {
    pub xy: Option<Box<dyn XyStage>>,
    pub z: Option<Box<dyn ZStage>>,
    pub camera: Option<Box<dyn Camera>>,
    pub illumination: Option<Box<dyn Illumination>>,
    pub filter_wheel: Option<Box<dyn FilterWheel>>,
    pub laser_af: Option<Box<dyn LaserAutofocus>>,
    /// The driver's own clock, used when it runs the whole microscope.
    pub clock: Option<Arc<dyn Clock>>,
}

/// A description with its drivers checked too: what every command loads.
pub fn load(path: Option<&Path>) -> Result<MicroscopeConfig, Diagnostics> {
    let c = MicroscopeConfig::load(path)?;
    check(&c)?;
    Ok(c)
}

pub fn from_source(source: Arc<SourceFile>) -> Result<MicroscopeConfig, Diagnostics> {
    let c = MicroscopeConfig::from_source(source)?;
    check(&c)?;
    Ok(c)
}

pub fn builtin() -> Result<MicroscopeConfig, Diagnostics> {
    let c = MicroscopeConfig::builtin()?;
    check(&c)?;
    Ok(c)
}

/// Check which driver runs each device, each driver's settings, and the fault script.
pub fn check(config: &MicroscopeConfig) -> Result<(), Diagnostics> {
    let mut out = Diagnostics::default();
    match requests(config) {
        Ok(reqs) => {
            for (d, req) in &reqs {
                d.check(config, req, &mut out);
            }
            for d in DRIVERS {
                if let Some(key) = d.world_key()
                    && config.root.lookup(key).is_some()
                    && !reqs.iter().any(|(r, _)| r.name() == d.name())
                {
                    out.push(
                        config
                            .error_at(key, format!("the `{key}` section is for devices that use `driver: {}`, and none does", d.name()))
                            .help(format!("remove it, or set `driver: {}` on a device", d.name())),
                    );
                }
            }
        }
        Err(d) => out.extend(d),
    }
    if let Err(d) = faults::specs(config) {
        out.extend(d);
    }
    out.into_result(())
}

/// The devices of the description grouped by driver, in the order of [`DeviceKind::ALL`].
fn requests(config: &MicroscopeConfig) -> Result<Vec<(&'static dyn Driver, Request)>, Diagnostics> {
    let desc = &config.desc;
    let mut out = Diagnostics::default();
    let mut by: BTreeMap<&'static str, (&'static dyn Driver, Vec<DeviceUse>)> = BTreeMap::new();
    let names = super::driver_names();
    for kind in DeviceKind::ALL.into_iter().filter(|k| desc.has(*k)) {
        let Some((name, path)) = desc.driver_of(kind) else {
            out.push(
                config
                    .error_at(kind.section(), format!("the {} names no driver", kind.name()))
                    .help(format!(
                        "add `driver: sim` (the built-in simulator) to `{}`, or a top-level `driver:` for every device that names none",
                        kind.section()
                    )),
            );
            continue;
        };
        let Some(driver) = DRIVERS.iter().copied().find(|d| d.name() == name) else {
            if let Some(feature) = super::feature_of(name) {
                out.push(
                    config
                        .error_at(&path, format!("this squidctl was built without the `{name}` driver"))
                        .help(format!(
                            "build it with `cargo build --release --features {feature}` (see the README for the libraries it needs)"
                        )),
                );
                continue;
            }
            out.push(
                config
                    .error_at(
                        &path,
                        format!("unknown driver `{name}` for the {}", kind.name()),
                    )
                    .help(suggest::did_you_mean(name, names.iter().copied())),
            );
            continue;
        };
        if !driver.kinds().contains(&kind) {
            let can: Vec<&str> = DRIVERS
                .iter()
                .filter(|d| d.kinds().contains(&kind))
                .map(|d| d.name())
                .collect();
            out.push(
                config
                    .error_at(&path, format!("driver `{name}` has no {}", kind.name()))
                    .help(format!(
                        "a {} can be driven by: {}",
                        kind.name(),
                        can.join(", ")
                    )),
            );
            continue;
        }
        let settings = config.root.lookup(&path).and_then(|n| match &n.value {
            Value::Map(_) => {
                let mut n = n.clone();
                n.remove("name");
                Some(n)
            }
            _ => None,
        });
        by.entry(driver.name())
            .or_insert_with(|| (driver, Vec::new()))
            .1
            .push(DeviceUse {
                kind,
                path,
                settings,
            });
    }
    let sole = by.len() == 1;
    out.into_result(
        by.into_values()
            .map(|(d, devices)| (d, Request { devices, sole }))
            .collect(),
    )
}

/// The microscope's timing with what its drivers usually need before the first frame.
pub fn timing(config: &MicroscopeConfig) -> crate::microscope::timing::Timing {
    let mut t = config.timing();
    t.startup_s = startup(config).0;
    t
}

/// Opening every device, connecting and homing: (typical, at most) seconds.
pub fn startup(config: &MicroscopeConfig) -> (f64, f64) {
    requests(config).map_or((0.0, 0.0), |reqs| {
        reqs.iter()
            .map(|(d, r)| d.startup_s(config, r))
            .fold((0.0, 0.0), |(t, m), (a, b)| (t + a, m + b))
    })
}

/// Open every device with its driver, behind the description's fault script.
pub fn build(config: &MicroscopeConfig, options: &BuildOptions) -> DeviceResult<Microscope> {
    let invalid =
        |d: Diagnostics| DeviceError::failed("microscope", d.render().trim_end().to_string());
    let reqs = requests(config).map_err(invalid)?;
    let specs = faults::specs(config).map_err(invalid)?;
    let mut all = Devices::default();
    let sole = reqs.len() == 1;
    for (driver, req) in &reqs {
        let got = driver.open(config, req, options)?;
        macro_rules! take {
            ($($field:ident: $kind:ident),*) => {$(
                if req.wants(DeviceKind::$kind) {
                    match got.$field {
                        Some(dev) => all.$field = Some(dev),
                        None => return Err(DeviceError::failed(
                            "microscope",
                            format!("driver `{}` did not open the {}", driver.name(), DeviceKind::$kind.name()),
                        )),
                    }
                }
            )*};
        }
        take!(xy: XyStage, z: ZStage, camera: Camera, illumination: Illumination,
              filter_wheel: FilterWheel, laser_af: LaserAutofocus);
        if sole {
            all.clock = got.clock;
        }
    }
    let missing = |what: DeviceKind| {
        DeviceError::failed("microscope", format!("no {} was opened", what.name()))
    };
    let m = Microscope {
        name: config.desc.name.clone(),
        xy: all.xy.ok_or_else(|| missing(DeviceKind::XyStage))?,
        z: all.z.ok_or_else(|| missing(DeviceKind::ZStage))?,
        camera: all.camera.ok_or_else(|| missing(DeviceKind::Camera))?,
        illumination: all
            .illumination
            .ok_or_else(|| missing(DeviceKind::Illumination))?,
        filter_wheel: all.filter_wheel,
        laser_af: all.laser_af,
        autofocus: Box::new(StandardAutofocus),
        clock: all.clock.unwrap_or_else(|| Arc::new(RealClock::new())),
    };
    Ok(faults::wrap(m, &specs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::microscope::BUILTIN_YAML;

    fn errors(text: &str) -> Vec<crate::diagnostic::Diagnostic> {
        match from_source(SourceFile::new("m.yaml", text.to_string())) {
            Ok(_) => Vec::new(),
            Err(d) => d.0,
        }
    }

    fn line_of(text: &str, needle: &str) -> u32 {
        text.lines()
            .position(|l| l.contains(needle))
            .map_or(0, |i| i as u32 + 1)
    }

    #[test]
    fn an_unknown_driver_is_located_with_a_suggestion() {
        let text = BUILTIN_YAML.replace("driver: sim", "driver: simm");
        let e = errors(&text);
        assert!(e[0].message.contains("unknown driver `simm`"), "{e:?}");
        assert_eq!(e[0].help.as_deref(), Some("did you mean `sim`?"));
        assert_eq!(
            e[0].loc.as_ref().map(|l| l.line),
            Some(line_of(&text, "driver: simm"))
        );
    }

    #[test]
    fn each_device_can_name_its_own_driver() {
        let text = BUILTIN_YAML
            .replace("driver: sim\n", "")
            .replace("  xy: {", "  xy: {driver: sim, ")
            .replace("  z: {", "  z: {driver: {name: sim}, ")
            .replace("camera:\n", "camera:\n  driver: sim\n")
            .replace("illumination:\n", "illumination:\n  driver: sim\n")
            .replace("laser_autofocus:\n", "laser_autofocus:\n  driver: sim\n");
        assert!(errors(&text).is_empty(), "{:?}", errors(&text));
        let c = from_source(SourceFile::new("m.yaml", text)).expect("valid");
        assert_eq!(c.desc.drivers_summary(), "driver sim");
        let m = build(
            &c,
            &BuildOptions {
                skip_images: true,
                ..BuildOptions::default()
            },
        )
        .expect("builds");
        assert!(m.laser_af.is_some() && m.filter_wheel.is_none());
        // Alone, the simulator keeps its accelerated clock.
        assert!(m.clock.scale() < 1.0);
    }

    #[test]
    fn a_device_without_a_driver_says_what_to_add() {
        let text = BUILTIN_YAML
            .replace("driver: sim\n", "")
            .replace("camera:\n", "camera:\n  driver: sim\n");
        let e = errors(&text);
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert!(msgs.contains(&"the xy stage names no driver"), "{msgs:?}");
        assert!(!msgs.iter().any(|m| m.contains("camera")), "{msgs:?}");
        let xy = e
            .iter()
            .find(|d| d.message.contains("xy stage"))
            .expect("xy");
        assert!(
            xy.help
                .as_deref()
                .is_some_and(|h| h.contains("driver: sim"))
        );
        assert_eq!(
            xy.loc.as_ref().map(|l| l.line),
            Some(line_of(&text, "  xy: {"))
        );
    }

    #[test]
    fn a_driver_checks_its_own_settings_where_they_are_written() {
        let text = BUILTIN_YAML.replace(
            "camera:\n",
            "camera:\n  driver: {name: sim, port: /dev/ttyACM0}\n",
        );
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("port"), "{e:?}");
        assert_eq!(e[0].path.as_deref(), Some("camera.driver.port"));
        assert_eq!(
            e[0].loc.as_ref().map(|l| l.line),
            Some(line_of(&text, "port: /dev"))
        );
        assert!(
            e[0].help
                .as_deref()
                .is_some_and(|h| h.contains("no settings"))
        );
    }

    #[test]
    fn the_sim_world_is_checked_by_its_driver() {
        let text = BUILTIN_YAML.replace("time_scale: 0.1", "time_scale: 1000");
        let e = errors(&text);
        assert!(
            e[0].message.contains("time_scale 1000 is out of range"),
            "{e:?}"
        );
        assert_eq!(
            e[0].loc.as_ref().map(|l| l.line),
            Some(line_of(&text, "time_scale: 1000"))
        );
        // Description-only loading knows nothing of the simulator's settings.
        assert!(MicroscopeConfig::from_source(SourceFile::new("m.yaml", text)).is_ok());
    }

    #[test]
    fn a_filter_wheel_turns_the_short_way_round() {
        let text = format!("{BUILTIN_YAML}filter_wheel: {{positions: 8, step_time: 50ms}}\n");
        let c = from_source(SourceFile::new("m.yaml", text)).expect("valid");
        let mut m = build(
            &c,
            &BuildOptions {
                skip_images: true,
                ..BuildOptions::default()
            },
        )
        .expect("builds");
        let w = m.filter_wheel.as_mut().expect("a wheel");
        let t0 = m.clock.now_s();
        w.select(8).expect("select 8");
        assert!(
            (m.clock.now_s() - t0 - 0.05).abs() < 1e-9,
            "1 → 8 is one step back"
        );
        assert_eq!(w.position().expect("position"), 8);
        assert!(w.select(9).is_err());
        let bad = format!("{BUILTIN_YAML}filter_wheel: {{positions: 0}}\n");
        assert!(errors(&bad)[0].message.contains("0 positions"));
    }
}
