//! The `genicam` driver: the main camera a description names, and a spot camera for a
//! reflection autofocus, checked and opened.

use super::camera::GenicamCamera;
use super::settings::{GenicamSettings, Trigger};
use crate::diagnostic::Diagnostics;
use crate::hardware::assemble::{DeviceUse, Devices, Request};
use crate::hardware::reflection_af::ReflectionAf;
use crate::hardware::{BuildOptions, Camera, DeviceError, DeviceKind, DeviceResult, Driver};
use crate::microscope::MicroscopeConfig;

pub struct GenicamDriver;

const KINDS: [DeviceKind; 2] = [DeviceKind::Camera, DeviceKind::LaserAutofocus];

/// A spot camera's exposure when the description gives none.
const SPOT_EXPOSURE_S: f64 = 0.002;

fn settings_of(config: &MicroscopeConfig, u: &DeviceUse) -> Result<GenicamSettings, Diagnostics> {
    let depth = (u.kind == DeviceKind::Camera).then_some(config.desc.camera.bit_depth);
    let s = GenicamSettings::of(config, &u.path, u.settings.as_ref(), depth)?;
    if u.kind != DeviceKind::LaserAutofocus {
        return Ok(s);
    }
    let mut out = Diagnostics::default();
    if s.trigger != Trigger::Software {
        out.push(
            config
                .error_at(
                    &format!("{}.trigger", u.path),
                    "a spot camera is triggered in software",
                )
                .help("remove `trigger`: the autofocus laser is switched on for each spot image"),
        );
    }
    let af = config.desc.laser_autofocus.as_ref();
    if af.and_then(|a| a.calibration.as_ref()).is_none() {
        out.push(
            config
                .error_at("laser_autofocus", "a camera-based laser autofocus needs a calibration file")
                .help("add `calibration: laser-af.yaml` (next to this file); `squidctl calibrate-af` writes it"),
        );
    }
    if let Some(e) = af.and_then(|a| a.exposure) {
        config.check_range(
            &mut out,
            "laser_autofocus.exposure",
            e.secs(),
            1e-5,
            1.0,
            "s",
        );
    }
    out.into_result(s)
}

fn undiagnose(d: Diagnostics) -> DeviceError {
    DeviceError::failed("camera", d.render().trim_end().to_string())
}

impl Driver for GenicamDriver {
    fn name(&self) -> &'static str {
        "genicam"
    }

    fn kinds(&self) -> &'static [DeviceKind] {
        &KINDS
    }

    fn check(&self, config: &MicroscopeConfig, request: &Request, out: &mut Diagnostics) {
        for u in &request.devices {
            if let Err(d) = settings_of(config, u) {
                out.extend(d);
            }
        }
    }

    fn open(
        &self,
        config: &MicroscopeConfig,
        request: &Request,
        _options: &BuildOptions,
    ) -> DeviceResult<Devices> {
        let mut devices = Devices::default();
        for u in &request.devices {
            let s = settings_of(config, u).map_err(undiagnose)?;
            if u.kind == DeviceKind::LaserAutofocus {
                devices.laser_af = Some(Box::new(spot_sensor(config, s)?));
                continue;
            }
            let desc = &config.desc.camera;
            let cam = GenicamCamera::open(s, desc.bit_depth)?;
            let (w, h) = cam.sensor_size();
            if (w, h) != (desc.width, desc.height) {
                return Err(DeviceError::out_of_range(
                    "camera",
                    format!(
                        "{} has a {w}×{h} sensor, but the description says camera.width {} and camera.height {}: make them {w} and {h}",
                        cam.description, desc.width, desc.height
                    ),
                ));
            }
            tracing::info!("camera: {}", cam.description);
            devices.camera = Some(Box::new(cam));
        }
        Ok(devices)
    }
}

/// The spot camera behind a reflection autofocus, reading a band across the sensor's middle
/// (the spot moves along x; a band is quicker to read than the sensor).
fn spot_sensor(config: &MicroscopeConfig, s: GenicamSettings) -> DeviceResult<ReflectionAf> {
    let af =
        config.desc.laser_autofocus.as_ref().ok_or_else(|| {
            DeviceError::failed("laser autofocus", "no `laser_autofocus` section")
        })?;
    let depth = s.format(8).bit_depth();
    let mut cam = GenicamCamera::open(s, depth)?;
    let (w, h) = cam.sensor_size();
    let band = h.min(SPOT_BAND_ROWS);
    cam.set_roi(Some(crate::hardware::Roi {
        x: 0,
        y: ((h - band) / 2) & !1,
        width: w,
        height: band,
    }))?;
    tracing::info!("laser autofocus spot camera: {}", cam.description);
    let name = cam.description.clone();
    let path = config.relative_path(af.calibration.as_deref().unwrap_or("laser-af.yaml"));
    Ok(ReflectionAf::new(
        Box::new(cam),
        name,
        af.exposure.map_or(SPOT_EXPOSURE_S, |e| e.secs()),
        af.range.um(),
        path,
    ))
}

/// Rows of the spot band.
const SPOT_BAND_ROWS: u32 = 64;
