//! Device interfaces: one small trait per device kind, and the [`Microscope`] that bundles
//! them. Every call blocks and returns a typed error; devices are `Send` so they can live on
//! the acquisition thread while a supervisor watches the clock from another.
//!
//! A driver is a folder (like `sim/`) with a [`Driver`] registered in [`DRIVERS`]; each device
//! of a description names its driver, and `assemble` puts the microscope together. The
//! runner never names a driver.

pub mod assemble;
pub mod autofocus;
pub mod clock;
pub mod faults;
pub mod frame_pool;
pub mod genicam;
pub mod piezo;
pub mod reflection_af;
pub mod sim;
pub mod squid;

use std::fmt;
use std::sync::Arc;

pub use crate::microscope::description::DeviceKind;
pub use crate::microscope::link_health::LinkHealth;
pub use assemble::{Devices, Request, build, builtin, check, from_source, load, startup, timing};
pub use autofocus::{AfRequest, AfResult, Autofocus};
pub use clock::Clock;

use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;

/// The device calls a step can be made of; fault injection and deadlines are keyed by these.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    MoveXy,
    MoveZ,
    Capture,
    Illumination,
    Autofocus,
    /// A saver writing one plane: not a device, but scripted the same way (`call: save`) to
    /// rehearse a slow, failing or hung disk.
    Save,
}

impl CallKind {
    /// The calls devices make (a saver's `save` is not one).
    pub const ALL: [CallKind; 5] = [
        CallKind::MoveXy,
        CallKind::MoveZ,
        CallKind::Capture,
        CallKind::Illumination,
        CallKind::Autofocus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CallKind::MoveXy => "move_xy",
            CallKind::MoveZ => "move_z",
            CallKind::Capture => "capture",
            CallKind::Illumination => "illumination",
            CallKind::Autofocus => "autofocus",
            CallKind::Save => "save",
        }
    }
}

impl fmt::Display for CallKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The call failed; a retry may succeed.
    Failed,
    /// The device no longer answers until it is reconnected.
    Disconnected,
    /// The request is outside what the device can do (travel, exposure range).
    OutOfRange,
    /// The device lost what it needs to go on and only re-homing restores it (a controller
    /// that restarted forgot where its stage is): retrying the same call cannot help.
    NeedsHoming,
    /// The device cannot do this until it is set up (a laser autofocus with no calibration):
    /// retrying cannot help, a person must prepare it.
    NotReady,
}

/// A device call that did not succeed.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceError {
    pub device: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl DeviceError {
    pub fn failed(device: &str, message: impl Into<String>) -> Self {
        DeviceError {
            device: device.into(),
            kind: ErrorKind::Failed,
            message: message.into(),
        }
    }

    pub fn disconnected(device: &str) -> Self {
        DeviceError {
            device: device.into(),
            kind: ErrorKind::Disconnected,
            message: "device disconnected".into(),
        }
    }

    pub fn out_of_range(device: &str, message: impl Into<String>) -> Self {
        DeviceError {
            device: device.into(),
            kind: ErrorKind::OutOfRange,
            message: message.into(),
        }
    }
}

impl DeviceError {
    /// The fault a scheduler sees for it: the kind decides the code, the device the component.
    pub fn fault(&self) -> crate::fault::Fault {
        use crate::fault::{Code, Fault};
        let autofocus = self.device.contains("autofocus");
        let code = match self.kind {
            ErrorKind::OutOfRange => Code::OutOfRange,
            ErrorKind::NotReady if autofocus => Code::AutofocusNotReady,
            ErrorKind::NotReady => Code::CapabilityMissing,
            ErrorKind::NeedsHoming => Code::NeedsHoming,
            ErrorKind::Disconnected => Code::DeviceDisconnected,
            ErrorKind::Failed if autofocus => Code::AutofocusFailed,
            ErrorKind::Failed => Code::DeviceFault,
        };
        Fault::new(code, self.to_string()).component(component_name(&self.device))
    }
}

/// A device's name as a fault's component: `xy stage` → `stage.xy`.
pub fn component_name(device: &str) -> String {
    match device {
        "xy stage" => "stage.xy".into(),
        "z stage" => "stage.z".into(),
        "laser autofocus" => "autofocus.laser".into(),
        d => d.replace(' ', "_"),
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.device, self.message)
    }
}

impl std::error::Error for DeviceError {}

pub type DeviceResult<T> = Result<T, DeviceError>;

/// A camera region of interest, in sensor pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roi {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// One image from the camera.
#[derive(Clone, Debug)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// Row-major, `width × height` values of at most `bit_depth` bits.
    pub pixels: Vec<u16>,
    pub meta: FrameMeta,
}

pub use crate::run_dir::journal::records::FrameMeta;

pub trait XyStage: Send {
    fn move_to(&mut self, x_mm: f64, y_mm: f64) -> DeviceResult<()>;
    fn position(&mut self) -> DeviceResult<(f64, f64)>;
    /// ((xmin, xmax), (ymin, ymax)) in mm.
    fn limits(&self) -> ((f64, f64), (f64, f64));
    fn reconnect(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// Connect and home again after a [`ErrorKind::NeedsHoming`] error (a protocol allows
    /// it with `on_error.rehome`); a device that needs nothing does nothing.
    fn rehome(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// What the controller says of itself (firmware, homing), for `squidctl devices`.
    fn details(&mut self) -> Option<String> {
        None
    }
    /// How its link is doing (named: the controller and its port), for the journal,
    /// `report` and `devices`.
    fn link_health(&self) -> Option<(String, LinkHealth)> {
        None
    }
}

pub trait ZStage: Send {
    fn move_to(&mut self, z_mm: f64) -> DeviceResult<()>;
    fn position(&mut self) -> DeviceResult<f64>;
    fn limits(&self) -> (f64, f64);
    fn reconnect(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// See [`XyStage::rehome`].
    fn rehome(&mut self) -> DeviceResult<()> {
        Ok(())
    }
}

pub trait Camera: Send {
    fn set_exposure(&mut self, seconds: f64) -> DeviceResult<()>;
    fn set_gain(&mut self, gain: f64) -> DeviceResult<()>;
    fn set_binning(&mut self, binning: u32) -> DeviceResult<()>;
    /// `None` is the full sensor.
    fn set_roi(&mut self, roi: Option<Roi>) -> DeviceResult<()>;
    fn roi(&self) -> Option<Roi>;
    fn snap(&mut self) -> DeviceResult<Frame>;
    /// (width, height) of the full sensor in pixels.
    fn sensor_size(&self) -> (u32, u32);
    fn reconnect(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// A camera in external-trigger mode: frames start on its trigger line, which the
    /// illumination's controller pulses with the strobe (see [`Illumination::strobe`]).
    fn waits_for_trigger(&self) -> bool {
        false
    }
    /// How long past the exposure a snap may wait before it fails by itself (its own frame
    /// timeout and the check that follows). The runner's capture deadline is never shorter,
    /// so a camera that stops sending is a recorded error, not a hang.
    fn own_timeout_s(&self) -> f64 {
        0.0
    }
    /// One frame started by `fire` (the hardware trigger); the camera is armed first, so a
    /// pulse is never sent before it can be seen.
    fn snap_on_trigger(
        &mut self,
        fire: &mut dyn FnMut() -> DeviceResult<()>,
    ) -> DeviceResult<Frame> {
        let _ = fire;
        Err(DeviceError::failed(
            "camera",
            "this camera takes no hardware trigger",
        ))
    }
}

pub trait Illumination: Send {
    /// Select a source and its intensity (0–100 %); the light stays off until `on`.
    fn set(&mut self, source: &str, intensity_pct: f64) -> DeviceResult<()>;
    fn on(&mut self) -> DeviceResult<()>;
    fn off(&mut self) -> DeviceResult<()>;
    fn reconnect(&mut self) -> DeviceResult<()> {
        Ok(())
    }
    /// Switch the reflection autofocus laser (on Squid, a pin of the same board).
    fn af_laser(&mut self, on: bool) -> DeviceResult<()> {
        let _ = on;
        Err(DeviceError::failed(
            "illumination",
            "this illumination has no autofocus laser: drive the board that has one",
        ))
    }
    /// Pulse the camera's trigger line and light the selected source for `exposure_s`.
    fn strobe(&mut self, exposure_s: f64) -> DeviceResult<()> {
        let _ = exposure_s;
        Err(DeviceError::failed(
            "illumination",
            "this illumination sends no camera trigger: set the camera to software triggering",
        ))
    }
}

pub trait FilterWheel: Send {
    fn select(&mut self, position: u32) -> DeviceResult<()>;
    fn position(&mut self) -> DeviceResult<u32>;
}

/// A reflection (laser) autofocus sensor: reads how far the sample surface is from the
/// reference plane, so one move corrects the focus.
pub trait LaserAutofocus: Send {
    /// Displacement in µm: positive means the focus is above the current z. `lights` is the
    /// microscope's illumination, whose controller may own the autofocus laser.
    fn measure_um(&mut self, lights: &mut dyn Illumination) -> DeviceResult<f64>;
    fn range_um(&self) -> f64;
    /// Learn how the sensor's reading follows z by moving `z` around the current (focused)
    /// position; only sensors that need it (a camera looking at a spot) can.
    fn calibrate(
        &mut self,
        z: &mut dyn ZStage,
        lights: &mut dyn Illumination,
        plan: &reflection_af::CalibrationPlan,
    ) -> DeviceResult<reflection_af::Calibration> {
        let _ = (z, lights, plan);
        Err(DeviceError::failed(
            "laser autofocus",
            "this laser autofocus needs no calibration",
        ))
    }
    /// What the sensor is and how it is calibrated, for `squidctl devices`.
    fn details(&self) -> Option<String> {
        None
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        Ok(())
    }
}

/// The devices of one microscope, built from its description.
pub struct Microscope {
    pub name: String,
    pub xy: Box<dyn XyStage>,
    pub z: Box<dyn ZStage>,
    pub camera: Box<dyn Camera>,
    pub illumination: Box<dyn Illumination>,
    pub filter_wheel: Option<Box<dyn FilterWheel>>,
    pub laser_af: Option<Box<dyn LaserAutofocus>>,
    pub autofocus: Box<dyn Autofocus>,
    /// The microscope's clock: real time, or the simulator's virtual time.
    pub clock: Arc<dyn Clock>,
}

impl Microscope {
    /// One exposure with the selected light: switched on around a software-triggered snap,
    /// or strobed by the trigger pulse of a camera that waits for one.
    pub fn expose(&mut self, exposure_s: f64) -> DeviceResult<Frame> {
        if self.camera.waits_for_trigger() {
            let lights = &mut *self.illumination;
            return self
                .camera
                .snap_on_trigger(&mut || lights.strobe(exposure_s));
        }
        self.illumination.on()?;
        let f = self.camera.snap();
        let off = self.illumination.off();
        let f = f?;
        off?;
        Ok(f)
    }

    /// Run an autofocus with the devices it needs.
    pub fn run_autofocus(&mut self, req: &AfRequest) -> DeviceResult<AfResult> {
        let devs = autofocus::AfDevices {
            camera: &mut *self.camera,
            z: &mut *self.z,
            illumination: &mut *self.illumination,
            laser: match &mut self.laser_af {
                Some(l) => Some(&mut **l),
                None => None,
            },
        };
        self.autofocus.run(devs, req)
    }

    /// The links that report their health (a serial controller), by name.
    pub fn link_health(&self) -> Vec<(String, LinkHealth)> {
        self.xy.link_health().into_iter().collect()
    }

    /// Re-home whatever lost its homing (the stages' controller restarted).
    pub fn rehome(&mut self) -> DeviceResult<()> {
        self.xy.rehome()?;
        self.z.rehome()
    }

    /// Reconnect whichever devices a call kind uses (after a `Disconnected` error). A capture
    /// lights the sample too, and an autofocus moves z: whichever of them lost its link is
    /// reopened (a device whose link is alive does nothing).
    pub fn reconnect(&mut self, kind: CallKind) -> DeviceResult<()> {
        match kind {
            CallKind::MoveXy => self.xy.reconnect(),
            CallKind::MoveZ => self.z.reconnect(),
            CallKind::Capture => {
                let lights = self.illumination.reconnect();
                self.camera.reconnect().and(lights)
            }
            CallKind::Illumination => self.illumination.reconnect(),
            CallKind::Autofocus => {
                let lights = self.illumination.reconnect();
                let z = self.z.reconnect();
                match &mut self.laser_af {
                    Some(l) => l.reconnect(),
                    None => self.camera.reconnect(),
                }
                .and(lights)
                .and(z)
            }
            // Savers have no link to reopen.
            CallKind::Save => Ok(()),
        }
    }
}

/// A driver: the devices it can be, how it checks their settings, and how it opens them.
/// A new driver is a new folder here and one line in [`DRIVERS`]; nothing else names it.
pub trait Driver: Sync {
    /// What descriptions write after `driver:`.
    fn name(&self) -> &'static str;
    fn kinds(&self) -> &'static [DeviceKind];
    /// A top-level section of the description with settings all of this driver's devices
    /// share (the simulator's `sim:` world), if it has one.
    fn world_key(&self) -> Option<&'static str> {
        None
    }
    /// Check the settings of the devices it is asked for, with errors located in the file.
    fn check(&self, config: &MicroscopeConfig, request: &Request, out: &mut Diagnostics);
    /// Seconds from opening to ready (connecting, homing): (typical, at most), for the
    /// estimates and for the first deadline of `devices`.
    fn startup_s(&self, config: &MicroscopeConfig, request: &Request) -> (f64, f64) {
        let _ = (config, request);
        (0.0, 0.0)
    }
    /// Open the devices it is asked for, together (they may share a connection).
    fn open(
        &self,
        config: &MicroscopeConfig,
        request: &Request,
        options: &BuildOptions,
    ) -> DeviceResult<Devices>;
}

/// Per-run choices that are not part of the microscope description.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Override the simulator's `time_scale` (`simulate` runs in accelerated time).
    pub time_scale: Option<f64>,
    /// Skip rendering images (a dry run that keeps no frames only needs the timing).
    pub skip_images: bool,
    /// The light sources the run will turn on (above 0 %), so a driver can get ready for
    /// just those (the simulator builds their textures); `None`: all of them.
    pub sources: Option<Vec<String>>,
    /// Where the stage was last left (x, y, z in mm), for a device that cannot ask its
    /// hardware: the simulator starts there, so actions in separate processes follow on
    /// from each other as they do on a real stage.
    pub stage_at: Option<(f64, f64, f64)>,
}

/// Every driver squidctl knows. A new driver is a new folder and one line here.
pub static DRIVERS: &[&dyn Driver] = &[
    &sim::SimDriver,
    &squid::SquidDriver,
    #[cfg(feature = "genicam")]
    &genicam::GenicamDriver,
];

/// The cargo feature that builds an optional driver, when this build lacks it.
pub fn feature_of(driver: &str) -> Option<&'static str> {
    match driver {
        "genicam" if cfg!(not(feature = "genicam")) => Some("genicam"),
        _ => None,
    }
}

/// The names of every driver, for messages.
pub fn driver_names() -> Vec<&'static str> {
    DRIVERS.iter().map(|d| d.name()).collect()
}
