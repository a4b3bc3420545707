//! The `genicam` driver: the camera a description names, checked and opened.

use super::camera::GenicamCamera;
use super::settings::GenicamSettings;
use crate::diagnostic::Diagnostics;
use crate::hardware::assemble::{Devices, Request};
use crate::hardware::{BuildOptions, DeviceError, DeviceKind, DeviceResult, Driver};
use crate::microscope::MicroscopeConfig;

pub struct GenicamDriver;

const KINDS: [DeviceKind; 1] = [DeviceKind::Camera];

impl Driver for GenicamDriver {
    fn name(&self) -> &'static str {
        "genicam"
    }

    fn kinds(&self) -> &'static [DeviceKind] {
        &KINDS
    }

    fn check(&self, config: &MicroscopeConfig, request: &Request, out: &mut Diagnostics) {
        for u in &request.devices {
            if let Err(d) = GenicamSettings::of(config, &u.path, u.settings.as_ref()) {
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
            let s = GenicamSettings::of(config, &u.path, u.settings.as_ref())
                .map_err(|d| DeviceError::failed("camera", d.render().trim_end().to_string()))?;
            let desc = &config.desc.camera;
            let cam = GenicamCamera::open(s, desc.bit_depth)?;
            let (w, h) = crate::hardware::Camera::sensor_size(&cam);
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
