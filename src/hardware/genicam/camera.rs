//! One GenICam camera through Aravis: software-triggered frames from a continuously armed
//! stream, each wait bounded, every buffer checked before its pixels are used.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use aravis::prelude::*;
use aravis::{AcquisitionMode, Buffer, BufferStatus, GvDevice, Stream};

use super::pixels;
use super::settings::{GenicamSettings, Locator, PixelFormat};
use crate::hardware::{
    Camera, DeviceError, DeviceResult, ErrorKind, Frame, FrameMeta, Roi, frame_pool,
};

const DEVICE: &str = "camera";

/// How long a GigE camera gets to answer one register read before it counts as gone.
const PROBE: std::time::Duration = std::time::Duration::from_millis(400);

/// The most the check after a missed frame takes (a GVCP probe, or one register read through
/// Aravis for a USB camera).
const CHECK_S: f64 = 1.0;

/// What the camera applied, read back after each change (exposures get rounded).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Applied {
    pub exposure_s: f64,
    pub gain: f64,
    pub binning: u32,
}

pub struct GenicamCamera {
    settings: GenicamSettings,
    format: PixelFormat,
    cam: Option<aravis::Camera>,
    stream: Option<Stream>,
    lost: Arc<AtomicBool>,
    sensor: (u32, u32),
    roi: Option<Roi>,
    applied: Applied,
    /// Frames handed out, and buffers the camera delivered broken (never saved).
    frames: u64,
    incomplete: u64,
    opened: Instant,
    pub description: String,
}

fn err(kind: ErrorKind, message: String) -> DeviceError {
    DeviceError {
        device: DEVICE.into(),
        kind,
        message,
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> DeviceError {
    err(ErrorKind::Failed, format!("{what}: {e}"))
}

/// How long to wait for a GigE camera that another controller holds: a controller that died
/// loses it when its heartbeat times out (GevHeartbeatTimeout, 3 s by default).
const CONTROL_WAIT: std::time::Duration = std::time::Duration::from_millis(4500);

/// Take the camera's control channel, waiting out a controller that went away without
/// releasing it; a live one is named as the reason.
fn take_control(device: &GvDevice, what: &str) -> DeviceResult<()> {
    let until = Instant::now() + CONTROL_WAIT;
    while !device.is_controller() {
        if Instant::now() >= until {
            return Err(failed(
                what,
                format!(
                    "another program controls this camera (a viewer, or squidctl still running) and kept it for {:.1} s: close it, then try again",
                    CONTROL_WAIT.as_secs_f64()
                ),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        let _ = device.take_control();
    }
    Ok(())
}

/// The local address that routes to `to`: the interface a GigE camera must stream to.
fn local_address_for(to: std::net::Ipv4Addr) -> Option<std::net::Ipv4Addr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect((to, 3956)).ok()?;
    match s.local_addr().ok()?.ip() {
        std::net::IpAddr::V4(a) => Some(a),
        std::net::IpAddr::V6(_) => None,
    }
}

impl GenicamCamera {
    pub fn open(settings: GenicamSettings, bit_depth: u32) -> DeviceResult<Self> {
        let format = settings.format(bit_depth);
        let mut c = GenicamCamera {
            settings,
            format,
            cam: None,
            stream: None,
            lost: Arc::new(AtomicBool::new(false)),
            sensor: (0, 0),
            roi: None,
            applied: Applied {
                exposure_s: 0.01,
                gain: 0.0,
                binning: 1,
            },
            frames: 0,
            incomplete: 0,
            opened: Instant::now(),
            description: String::new(),
        };
        c.connect()?;
        Ok(c)
    }

    fn locator_text(&self) -> String {
        match self.settings.locator() {
            Locator::Address(a) => a.to_string(),
            Locator::Id(s) => s,
        }
    }

    /// Open the camera, configure it for software triggers, and arm its stream.
    fn connect(&mut self) -> DeviceResult<()> {
        let gone = |e: String| err(ErrorKind::Disconnected, e);
        let cam = match self.settings.locator() {
            Locator::Address(a) => {
                if !super::gvcp::answers(a, PROBE) {
                    return Err(gone(format!(
                        "no GigE Vision camera answers at {a} (is it powered, on this subnet, and its address right?)"
                    )));
                }
                let local = local_address_for(a).ok_or_else(|| {
                    gone(format!("no network interface routes to the camera at {a}"))
                })?;
                let iface = gio::InetAddress::from_string(&local.to_string())
                    .ok_or_else(|| gone(format!("bad local address {local}")))?;
                let dev = gio::InetAddress::from_string(&a.to_string())
                    .ok_or_else(|| gone(format!("bad camera address {a}")))?;
                let device = GvDevice::new(&iface, &dev).map_err(|e| {
                    gone(format!(
                        "no GigE Vision camera answers at {a}: {e} (is it powered, on this subnet, and not held by another program?)"
                    ))
                })?;
                aravis::Camera::with_device(&device)
                    .map_err(|e| gone(format!("camera at {a}: {e}")))?
            }
            Locator::Id(id) => aravis::Camera::new(Some(&id)).map_err(|e| {
                gone(format!(
                    "no GenICam camera `{id}`: {e} (list them with `arv-tool-0.8`; a USB camera needs read/write access to its device)"
                ))
            })?,
        };
        if let Some(gv) = cam
            .device()
            .and_then(|d| gio::glib::prelude::Cast::downcast::<GvDevice>(d).ok())
        {
            take_control(&gv, &format!("camera {}", self.locator_text()))?;
        }
        // A program that died while acquiring leaves the camera streaming to its old address
        // (and a real camera refuses a new region while it acquires): stop it first.
        let _ = cam.stop_acquisition();
        let lost = self.lost.clone();
        lost.store(false, Ordering::SeqCst);
        if let Some(d) = cam.device() {
            d.connect_control_lost(move |_| lost.store(true, Ordering::SeqCst));
        }
        let (w, h) = cam
            .sensor_size()
            .map_err(|e| failed("reading SensorWidth/SensorHeight", e))?;
        self.sensor = (w.max(0) as u32, h.max(0) as u32);
        let formats = cam
            .dup_available_pixel_formats_as_strings()
            .unwrap_or_default();
        if !formats.iter().any(|f| f.as_str() == self.format.name()) {
            return Err(err(
                ErrorKind::OutOfRange,
                format!(
                    "the camera offers no {} pixels (it has: {})",
                    self.format.name(),
                    formats
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        cam.set_pixel_format_from_string(self.format.name())
            .map_err(|e| failed("setting PixelFormat", e))?;
        cam.set_acquisition_mode(AcquisitionMode::Continuous)
            .map_err(|e| failed("setting AcquisitionMode", e))?;
        let source = self.settings.trigger.line().unwrap_or("Software");
        cam.set_trigger(source).map_err(|e| {
            failed(
                &format!("setting TriggerMode On, TriggerSource {source}"),
                e,
            )
        })?;
        if cam.is_gv_device() {
            // The largest packet the path carries; a failure keeps the camera's default.
            let _ = cam.gv_auto_packet_size();
        }
        self.description = format!(
            "{} {} (serial {}) at {}, {}",
            cam.vendor_name().map(|s| s.to_string()).unwrap_or_default(),
            cam.model_name().map(|s| s.to_string()).unwrap_or_default(),
            cam.device_serial_number()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            self.locator_text(),
            self.format.name()
        );
        self.cam = Some(cam);
        // Back to what was asked before a reconnect (or the defaults at first open).
        let a = self.applied;
        self.apply_region(self.roi, a.binning)?;
        self.set_exposure(a.exposure_s)?;
        self.set_gain(a.gain)?;
        Ok(())
    }

    fn cam(&self) -> DeviceResult<&aravis::Camera> {
        self.cam
            .as_ref()
            .ok_or_else(|| err(ErrorKind::Disconnected, "the camera is closed".into()))
    }

    /// Arm a stream with fresh buffers of the current payload (none is running).
    fn restart_stream(&mut self) -> DeviceResult<()> {
        let cam = self.cam()?.clone();
        let payload = cam
            .payload()
            .map_err(|e| failed("reading PayloadSize", e))? as usize;
        let stream = cam
            .create_stream()
            .map_err(|e| failed("opening the stream", e))?;
        for _ in 0..self.settings.buffers {
            stream.push_buffer(Buffer::new_allocate(payload));
        }
        cam.start_acquisition()
            .map_err(|e| failed("AcquisitionStart", e))?;
        self.stream = Some(stream);
        Ok(())
    }

    fn apply_region(&mut self, roi: Option<Roi>, binning: u32) -> DeviceResult<()> {
        let cam = self.live()?.clone();
        self.stop_stream();
        let can_bin = cam.is_binning_available().unwrap_or(false);
        if binning != 1 && !can_bin {
            return Err(err(
                ErrorKind::OutOfRange,
                format!("binning {binning}: the camera cannot bin"),
            ));
        }
        if can_bin {
            let b = binning as i32;
            cam.set_binning(b, b)
                .map_err(|e| failed(&format!("setting binning {binning}"), e))?;
        }
        let full = Roi {
            x: 0,
            y: 0,
            width: self.sensor.0 / binning.max(1),
            height: self.sensor.1 / binning.max(1),
        };
        let r = roi.unwrap_or(full);
        cam.set_region(r.x as i32, r.y as i32, r.width as i32, r.height as i32)
            .map_err(|e| failed("setting OffsetX/OffsetY/Width/Height", e))?;
        let got = cam
            .region()
            .map_err(|e| failed("reading the region back", e))?;
        if got != (r.x as i32, r.y as i32, r.width as i32, r.height as i32) {
            return Err(err(
                ErrorKind::OutOfRange,
                format!(
                    "the camera made the region {r:?} into x {} y {} {}×{} (its increments)",
                    got.0, got.1, got.2, got.3
                ),
            ));
        }
        self.roi = roi;
        self.applied.binning = binning;
        self.restart_stream()
    }

    pub fn applied(&self) -> Applied {
        self.applied
    }

    /// Broken buffers seen since opening (each one a failed snap, never a saved image).
    pub fn incomplete(&self) -> u64 {
        self.incomplete
    }

    /// One frame started by `fire`, after the stream is armed and stale frames dropped.
    fn frame(&mut self, fire: &mut dyn FnMut() -> DeviceResult<()>) -> DeviceResult<Frame> {
        if let Some(e) = self.control_lost() {
            return Err(e);
        }
        if self.stream.is_none() {
            self.restart_stream()?;
        }
        let Some(stream) = self.stream.as_ref() else {
            return Err(err(ErrorKind::Disconnected, "no stream".into()));
        };
        // A frame left over from an earlier, abandoned wait is not this trigger's.
        while let Some(stale) = stream.try_pop_buffer() {
            stream.push_buffer(stale);
        }
        fire()?;
        let wait_s = self.applied.exposure_s + self.settings.frame_timeout.secs();
        let Some(buf) = stream.timeout_pop_buffer((wait_s * 1e6) as u64) else {
            let e = self.diagnose_timeout(wait_s);
            if e.kind == ErrorKind::Failed {
                // The camera answers but its stream delivered nothing: the next frame arms a
                // new stream rather than wait on this one again.
                self.stop_stream();
            }
            return Err(e);
        };
        let status = buf.status();
        let (w, h) = (
            buf.image_width().max(0) as u32,
            buf.image_height().max(0) as u32,
        );
        let (data, len) = buf.data();
        let mut pixels = frame_pool::take(w as usize * h as usize);
        // SAFETY: Aravis owns `len` bytes at `data` until the buffer is pushed back below.
        let bytes = if data.is_null() {
            &[][..]
        } else {
            unsafe { std::slice::from_raw_parts(data, len) }
        };
        let whole = status == BufferStatus::Success
            && w > 0
            && h > 0
            && pixels::unpack(self.format, bytes, &mut pixels);
        stream.push_buffer(buf);
        if !whole {
            self.incomplete += 1;
            frame_pool::give_back(pixels);
            return Err(err(
                ErrorKind::Failed,
                format!(
                    "the camera delivered a broken frame ({status:?}, {w}×{h}, {len} bytes); {} broken so far",
                    self.incomplete
                ),
            ));
        }
        self.frames += 1;
        Ok(Frame {
            width: w,
            height: h,
            pixels,
            meta: FrameMeta {
                frame_number: self.frames,
                timestamp_s: self.opened.elapsed().as_secs_f64(),
                exposure_s: self.applied.exposure_s,
                gain: self.applied.gain,
                bit_depth: self.format.bit_depth(),
                defocus_um: None,
                well_offset_um: None,
            },
        })
    }

    /// Aravis's heartbeat found the camera gone.
    fn control_lost(&self) -> Option<DeviceError> {
        self.lost.load(Ordering::SeqCst).then(|| {
            err(
                ErrorKind::Disconnected,
                format!(
                    "{}: the camera stopped answering (control lost)",
                    self.locator_text()
                ),
            )
        })
    }

    /// The camera, once it is known to answer: Aravis waits 5 × 500 ms on each register of a
    /// GigE camera that is gone, so a quick probe first keeps a setting inside its deadline.
    fn live(&self) -> DeviceResult<&aravis::Camera> {
        if let Some(e) = self.control_lost() {
            return Err(e);
        }
        if let Locator::Address(a) = self.settings.locator()
            && !super::gvcp::answers(a, PROBE)
        {
            return Err(err(
                ErrorKind::Disconnected,
                format!("{a}: the camera stopped answering"),
            ));
        }
        self.cam()
    }

    /// Stop acquiring and let go of the stream and its buffers.
    fn stop_stream(&mut self) {
        if let (Some(cam), Some(_)) = (&self.cam, &self.stream) {
            let _ = cam.stop_acquisition();
        }
        self.stream = None;
    }

    /// After a wait ran out: a camera that no longer answers is gone, not slow.
    fn diagnose_timeout(&self, waited_s: f64) -> DeviceError {
        if let Some(e) = self.control_lost() {
            return e;
        }
        let answers = match self.settings.locator() {
            Locator::Address(a) => {
                if super::gvcp::answers(a, PROBE) {
                    Ok(())
                } else {
                    Err(failed("reading a register", "no answer"))
                }
            }
            Locator::Id(_) => self
                .cam()
                .and_then(|c| {
                    c.exposure_time()
                        .map_err(|e| failed("reading ExposureTime", e))
                })
                .map(|_| ()),
        };
        match answers {
            Ok(_) => err(
                ErrorKind::Failed,
                format!(
                    "no frame within {waited_s:.2} s of the trigger ({} delivered, {} broken so far)",
                    self.frames, self.incomplete
                ),
            ),
            Err(e) => err(
                ErrorKind::Disconnected,
                format!(
                    "{}: no frame within {waited_s:.2} s and the camera does not answer ({})",
                    self.locator_text(),
                    e.message
                ),
            ),
        }
    }
}

impl Camera for GenicamCamera {
    fn set_exposure(&mut self, seconds: f64) -> DeviceResult<()> {
        let cam = self.live()?;
        let (lo, hi) = cam
            .exposure_time_bounds()
            .map_err(|e| failed("reading the ExposureTime range", e))?;
        let us = seconds * 1e6;
        if !(us.is_finite() && us >= lo && us <= hi) {
            return Err(err(
                ErrorKind::OutOfRange,
                format!(
                    "exposure {seconds} s: the camera takes {} µs to {} µs",
                    lo, hi
                ),
            ));
        }
        cam.set_exposure_time(us)
            .map_err(|e| failed("setting ExposureTime", e))?;
        let got = cam
            .exposure_time()
            .map_err(|e| failed("reading ExposureTime back", e))?;
        self.applied.exposure_s = got / 1e6;
        Ok(())
    }

    fn set_gain(&mut self, gain: f64) -> DeviceResult<()> {
        let cam = self.live()?;
        if !cam.is_gain_available().unwrap_or(false) {
            return if gain == 0.0 {
                Ok(())
            } else {
                Err(err(
                    ErrorKind::OutOfRange,
                    format!("gain {gain}: the camera has no Gain"),
                ))
            };
        }
        let (lo, hi) = cam
            .gain_bounds()
            .map_err(|e| failed("reading the Gain range", e))?;
        if !(gain.is_finite() && gain >= lo && gain <= hi) {
            return Err(err(
                ErrorKind::OutOfRange,
                format!("gain {gain}: the camera takes {lo} to {hi}"),
            ));
        }
        cam.set_gain(gain).map_err(|e| failed("setting Gain", e))?;
        self.applied.gain = cam.gain().map_err(|e| failed("reading Gain back", e))?;
        Ok(())
    }

    fn set_binning(&mut self, binning: u32) -> DeviceResult<()> {
        if binning == self.applied.binning {
            return Ok(());
        }
        if binning == 0
            || !self.sensor.0.is_multiple_of(binning)
            || !self.sensor.1.is_multiple_of(binning)
        {
            return Err(err(ErrorKind::OutOfRange, format!("binning {binning}")));
        }
        self.apply_region(None, binning)
    }

    fn set_roi(&mut self, roi: Option<Roi>) -> DeviceResult<()> {
        if roi == self.roi && self.stream.is_some() {
            return Ok(());
        }
        let b = self.applied.binning.max(1);
        if let Some(r) = roi
            && (r.width == 0
                || r.height == 0
                || r.x + r.width > self.sensor.0 / b
                || r.y + r.height > self.sensor.1 / b)
        {
            return Err(err(
                ErrorKind::OutOfRange,
                format!("ROI {r:?} is not on the sensor"),
            ));
        }
        self.apply_region(roi, b)
    }

    fn roi(&self) -> Option<Roi> {
        self.roi
    }

    fn snap(&mut self) -> DeviceResult<Frame> {
        let cam = self.cam()?.clone();
        let at = self.locator_text();
        let line = self.settings.trigger.line();
        // A camera wired to a trigger line takes this one frame on software's command.
        if line.is_some() {
            cam.set_trigger_source("Software").map_err(|e| {
                err(
                    ErrorKind::Failed,
                    format!(
                        "{at}: TriggerSource Software (for a snap outside the trigger line): {e}"
                    ),
                )
            })?;
        }
        let f = self.frame(&mut || {
            cam.software_trigger().map_err(|e| {
                err(
                    ErrorKind::Disconnected,
                    format!("{at}: TriggerSoftware: {e}"),
                )
            })
        });
        if let Some(l) = line {
            cam.set_trigger_source(l)
                .map_err(|e| failed(&format!("TriggerSource {l}"), e))?;
        }
        f
    }

    fn waits_for_trigger(&self) -> bool {
        self.settings.trigger.line().is_some()
    }
    fn own_timeout_s(&self) -> f64 {
        // The frame wait, then one register read to tell "slow" from "gone".
        self.settings.frame_timeout.secs() + CHECK_S
    }

    fn snap_on_trigger(
        &mut self,
        fire: &mut dyn FnMut() -> DeviceResult<()>,
    ) -> DeviceResult<Frame> {
        self.frame(fire)
    }

    fn sensor_size(&self) -> (u32, u32) {
        self.sensor
    }

    fn reconnect(&mut self) -> DeviceResult<()> {
        // Closing a camera that is gone waits out Aravis's retries: not on this thread.
        let old = (self.cam.take(), self.stream.take());
        let _ = std::thread::Builder::new()
            .name("genicam-close".into())
            .spawn(move || {
                if let Some(c) = &old.0 {
                    let _ = c.stop_acquisition();
                }
                drop(old);
            });
        self.connect()
    }
}

impl Drop for GenicamCamera {
    fn drop(&mut self) {
        self.stop_stream();
    }
}
