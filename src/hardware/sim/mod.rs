//! The simulated microscope: devices that take the time the real ones would (on a virtual
//! clock, slept `time_scale` times as fast), see a synthetic sample, and fail exactly as the
//! microscope description's `faults:` script says (through the wrapper every driver gets).

pub mod plate;
pub mod sample;
pub mod settings;

pub use settings::{FocusSurfaceDesc, SampleKind, SimDeviceSettings, SimPlateDesc, SimSettings};

use std::sync::{Arc, Mutex, MutexGuard};

use super::clock::{Clock, RealClock, VirtualClock};
use super::piezo::{PiezoDac, focus_drive};
use super::{
    BuildOptions, Camera, DeviceError, DeviceKind, DeviceResult, Devices, Driver, FilterWheel,
    Frame, FrameMeta, Illumination, LaserAutofocus, Request, Roi, XyStage, ZStage,
};
use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;
use crate::microscope::timing::Timing;
use sample::{Sample, Shot};

pub struct SimDriver;

impl Driver for SimDriver {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn kinds(&self) -> &'static [DeviceKind] {
        &DeviceKind::ALL
    }

    fn world_key(&self) -> Option<&'static str> {
        Some("sim")
    }

    fn check(&self, config: &MicroscopeConfig, request: &Request, out: &mut Diagnostics) {
        if let Err(d) = SimSettings::of(config) {
            out.extend(d);
        }
        for d in &request.devices {
            if let Some(s) = &d.settings
                && let Err(e) = crate::yaml::from_node_at::<SimDeviceSettings>(s, &d.path)
            {
                out.push(
                    e.into_diagnostic()
                        .help("a `sim` device takes no settings: write `driver: sim`"),
                );
            }
        }
    }

    fn open(
        &self,
        config: &MicroscopeConfig,
        request: &Request,
        options: &BuildOptions,
    ) -> DeviceResult<Devices> {
        let sim = SimSettings::of(config)
            .map_err(|d| DeviceError::failed("simulator", d.render().trim_end().to_string()))?;
        let shared = Arc::new(SimShared::new(config, &sim, request.sole, options));
        if shared.render && request.wants(DeviceKind::Camera) {
            let used: Vec<(String, Option<f64>)> = shared
                .sources
                .iter()
                .filter(|(s, _)| options.sources.as_ref().is_none_or(|u| u.contains(s)))
                .cloned()
                .collect();
            shared.sample.prepare(&used);
        }
        let d = &config.desc;
        let want = |k| request.wants(k);
        Ok(Devices {
            xy: want(DeviceKind::XyStage)
                .then(|| Box::new(SimXy { sh: shared.clone() }) as Box<dyn XyStage>),
            z: want(DeviceKind::ZStage).then(|| {
                focus_drive(
                    Box::new(SimZ { sh: shared.clone() }),
                    d.stage.z.piezo,
                    |desc| {
                        Box::new(SimPiezo {
                            sh: shared.clone(),
                            desc,
                        })
                    },
                )
            }),
            camera: want(DeviceKind::Camera)
                .then(|| Box::new(SimCamera { sh: shared.clone() }) as Box<dyn Camera>),
            illumination: want(DeviceKind::Illumination)
                .then(|| Box::new(SimIllumination { sh: shared.clone() }) as Box<dyn Illumination>),
            filter_wheel: d
                .filter_wheel
                .as_ref()
                .filter(|_| want(DeviceKind::FilterWheel))
                .map(|w| {
                    Box::new(SimFilterWheel {
                        sh: shared.clone(),
                        positions: w.positions,
                        step_s: w.step_time.secs(),
                        at: 1,
                    }) as Box<dyn FilterWheel>
                }),
            laser_af: d
                .laser_autofocus
                .as_ref()
                .filter(|_| want(DeviceKind::LaserAutofocus))
                .map(|l| {
                    Box::new(SimLaserAf {
                        sh: shared.clone(),
                        range_um: l.range.um(),
                        measure_s: l.measure_time.secs(),
                    }) as Box<dyn LaserAutofocus>
                }),
            clock: Some(shared.clock.clone()),
        })
    }
}

struct State {
    x: f64,
    y: f64,
    /// The stepper's z; the focal plane is this plus the piezo's excursion from its home.
    z: f64,
    piezo_mm: f64,
    source: Option<String>,
    wavelength_nm: Option<f64>,
    intensity: f64,
    light_on: bool,
    exposure_s: f64,
    gain: f64,
    roi: Option<Roi>,
    binning: u32,
    frame_number: u64,
}

/// What all simulated devices share: they sit on one instrument and look at one sample.
pub struct SimShared {
    pub clock: Arc<dyn Clock>,
    pub sample: Sample,
    timing: Timing,
    travel: [(f64, f64); 3],
    sensor: (u32, u32),
    bit_depth: u32,
    /// (source, wavelength) of each channel, to tell what a source excites.
    sources: Vec<(String, Option<f64>)>,
    render: bool,
    state: Mutex<State>,
}

impl SimShared {
    /// Alone, the simulator runs on its virtual clock; next to real devices, in real time.
    fn new(
        config: &MicroscopeConfig,
        sim: &SimSettings,
        sole: bool,
        options: &BuildOptions,
    ) -> Self {
        let d = &config.desc;
        let sim = sim.clone();
        let scale = options.time_scale.unwrap_or(sim.time_scale);
        let clock: Arc<dyn Clock> = if sole {
            Arc::new(VirtualClock::new(scale))
        } else {
            Arc::new(RealClock::new())
        };
        let t = d.stage.travel;
        let travel = [
            (t.x[0].mm(), t.x[1].mm()),
            (t.y[0].mm(), t.y[1].mm()),
            (t.z[0].mm(), t.z[1].mm()),
        ];
        let center = sim.focus.center.map_or(
            (
                (travel[0].0 + travel[0].1) / 2.0,
                (travel[1].0 + travel[1].1) / 2.0,
            ),
            |c| (c.x.mm(), c.y.mm()),
        );
        let start = options.stage_at.unwrap_or((
            d.stage.plate_origin.x.mm(),
            d.stage.plate_origin.y.mm(),
            d.stage.focus_z.mm(),
        ));
        SimShared {
            clock,
            sample: Sample::new(
                sim.seed,
                sim.sample,
                d.stage.focus_z.mm(),
                sim.focus,
                center,
            )
            .with_plate(sim_plate(config, &sim)),
            timing: Timing::new(d),
            travel,
            sensor: (d.camera.width, d.camera.height),
            bit_depth: d.camera.bit_depth,
            sources: d
                .channels
                .iter()
                .map(|c| (c.source.clone(), c.wavelength.map(|w| w.um() * 1000.0)))
                .collect(),
            render: !options.skip_images,
            state: Mutex::new(State {
                x: start.0.clamp(travel[0].0, travel[0].1),
                y: start.1.clamp(travel[1].0, travel[1].1),
                z: start.2.clamp(travel[2].0, travel[2].1),
                piezo_mm: 0.0,
                source: None,
                wavelength_nm: None,
                intensity: 0.0,
                light_on: false,
                exposure_s: 0.01,
                gain: 0.0,
                roi: None,
                binning: d.camera.binning.max(1),
                frame_number: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_range(
        &self,
        device: &str,
        axis: &str,
        v: f64,
        (lo, hi): (f64, f64),
    ) -> DeviceResult<()> {
        if !v.is_finite() || v < lo - 1e-9 || v > hi + 1e-9 {
            return Err(DeviceError::out_of_range(
                device,
                format!("{axis} = {v:.4} mm is outside the travel {lo}–{hi} mm"),
            ));
        }
        Ok(())
    }
}

struct SimXy {
    sh: Arc<SimShared>,
}

impl XyStage for SimXy {
    fn move_to(&mut self, x_mm: f64, y_mm: f64) -> DeviceResult<()> {
        self.sh
            .check_range("xy stage", "x", x_mm, self.sh.travel[0])?;
        self.sh
            .check_range("xy stage", "y", y_mm, self.sh.travel[1])?;
        let (dx, dy) = {
            let mut st = self.sh.lock();
            let d = (x_mm - st.x, y_mm - st.y);
            st.x = x_mm;
            st.y = y_mm;
            d
        };
        self.sh.clock.spend(self.sh.timing.xy_move_s(dx, dy));
        Ok(())
    }

    fn position(&mut self) -> DeviceResult<(f64, f64)> {
        let st = self.sh.lock();
        Ok((st.x, st.y))
    }

    fn limits(&self) -> ((f64, f64), (f64, f64)) {
        (self.sh.travel[0], self.sh.travel[1])
    }
}

struct SimZ {
    sh: Arc<SimShared>,
}

impl ZStage for SimZ {
    fn move_to(&mut self, z_mm: f64) -> DeviceResult<()> {
        self.sh
            .check_range("z stage", "z", z_mm, self.sh.travel[2])?;
        let dz = {
            let mut st = self.sh.lock();
            let d = z_mm - st.z;
            st.z = z_mm;
            d
        };
        self.sh.clock.spend(self.sh.timing.stepper_z_move_s(dz));
        Ok(())
    }

    fn position(&mut self) -> DeviceResult<f64> {
        Ok(self.sh.lock().z)
    }

    fn limits(&self) -> (f64, f64) {
        self.sh.travel[2]
    }
}

/// The objective piezo: the focal plane follows it after its settle time.
struct SimPiezo {
    sh: Arc<SimShared>,
    desc: crate::microscope::description::PiezoDesc,
}

impl PiezoDac for SimPiezo {
    fn write_um(&mut self, um: f64) -> DeviceResult<()> {
        let um = um.clamp(0.0, self.desc.range.um());
        self.sh.lock().piezo_mm = (um - self.desc.home.um()) / 1000.0;
        self.sh.clock.spend(self.desc.settle.secs());
        Ok(())
    }
}

struct SimCamera {
    sh: Arc<SimShared>,
}

impl Camera for SimCamera {
    fn set_exposure(&mut self, seconds: f64) -> DeviceResult<()> {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(DeviceError::out_of_range(
                "camera",
                format!("exposure {seconds} s"),
            ));
        }
        self.sh.lock().exposure_s = seconds;
        Ok(())
    }

    fn set_gain(&mut self, gain: f64) -> DeviceResult<()> {
        self.sh.lock().gain = gain;
        Ok(())
    }

    fn set_binning(&mut self, binning: u32) -> DeviceResult<()> {
        if binning == 0
            || !self.sh.sensor.0.is_multiple_of(binning)
            || !self.sh.sensor.1.is_multiple_of(binning)
        {
            return Err(DeviceError::out_of_range(
                "camera",
                format!("binning {binning}"),
            ));
        }
        self.sh.lock().binning = binning;
        Ok(())
    }

    fn set_roi(&mut self, roi: Option<Roi>) -> DeviceResult<()> {
        if let Some(r) = roi
            && (r.width == 0
                || r.height == 0
                || r.x + r.width > self.sh.sensor.0
                || r.y + r.height > self.sh.sensor.1)
        {
            return Err(DeviceError::out_of_range(
                "camera",
                format!("ROI {r:?} is not on the sensor"),
            ));
        }
        self.sh.lock().roi = roi;
        Ok(())
    }

    fn roi(&self) -> Option<Roi> {
        self.sh.lock().roi
    }

    fn snap(&mut self) -> DeviceResult<Frame> {
        let (shot_state, frame_number) = {
            let mut st = self.sh.lock();
            st.frame_number += 1;
            let roi = st.roi.unwrap_or(Roi {
                x: 0,
                y: 0,
                width: self.sh.sensor.0,
                height: self.sh.sensor.1,
            });
            (
                (
                    st.x,
                    st.y,
                    st.z + st.piezo_mm,
                    if st.light_on { st.source.clone() } else { None },
                    st.wavelength_nm,
                    st.intensity,
                    st.exposure_s,
                    st.gain,
                    roi,
                    st.binning,
                ),
                st.frame_number,
            )
        };
        let (x, y, z, source, wl, intensity, exposure_s, gain, roi, binning) = shot_state;
        let shot = Shot {
            x_mm: x,
            y_mm: y,
            z_mm: z,
            source: source.as_deref(),
            wavelength_nm: wl,
            intensity_pct: intensity,
            exposure_s,
            gain_db: gain,
            roi: (roi.x, roi.y, roi.width, roi.height),
            binning,
            bit_depth: self.sh.bit_depth,
        };
        let mut pixels = Vec::new();
        if self.sh.render || roi.width * roi.height < 1 << 20 {
            let b = binning.max(1);
            pixels =
                crate::hardware::frame_pool::take(((roi.width / b) * (roi.height / b)) as usize);
            self.sh.sample.render(&shot, &mut pixels);
        }
        self.sh.clock.spend(self.sh.timing.frame_s(exposure_s));
        Ok(Frame {
            width: roi.width / binning,
            height: roi.height / binning,
            pixels,
            meta: FrameMeta {
                frame_number,
                timestamp_s: self.sh.clock.now_s(),
                exposure_s,
                gain,
                bit_depth: self.sh.bit_depth,
                defocus_um: Some((z - self.sh.sample.focus_at(x, y)) * 1000.0),
                well_offset_um: self.sh.sample.well_offset_um(x, y),
            },
        })
    }

    fn sensor_size(&self) -> (u32, u32) {
        self.sh.sensor
    }
}

struct SimIllumination {
    sh: Arc<SimShared>,
}

impl Illumination for SimIllumination {
    fn set(&mut self, source: &str, intensity_pct: f64) -> DeviceResult<()> {
        let Some((_, wl)) = self.sh.sources.iter().find(|(s, _)| s == source) else {
            return Err(DeviceError::out_of_range(
                "illumination",
                format!("no light source named `{source}`"),
            ));
        };
        if !(0.0..=100.0).contains(&intensity_pct) {
            return Err(DeviceError::out_of_range(
                "illumination",
                format!("intensity {intensity_pct}%"),
            ));
        }
        let changed = {
            let mut st = self.sh.lock();
            let changed = st.source.as_deref() != Some(source) || st.intensity != intensity_pct;
            st.source = Some(source.to_string());
            st.wavelength_nm = *wl;
            st.intensity = intensity_pct;
            changed
        };
        if changed {
            self.sh.clock.spend(self.sh.timing.switch_s);
        }
        Ok(())
    }

    fn on(&mut self) -> DeviceResult<()> {
        self.sh.lock().light_on = true;
        self.sh.clock.spend(self.sh.timing.light_s / 2.0);
        Ok(())
    }

    fn off(&mut self) -> DeviceResult<()> {
        self.sh.lock().light_on = false;
        self.sh.clock.spend(self.sh.timing.light_s / 2.0);
        Ok(())
    }
}

/// A wheel that turns position by position, the shorter way round, like a Squid's.
struct SimFilterWheel {
    sh: Arc<SimShared>,
    positions: u32,
    step_s: f64,
    at: u32,
}

impl FilterWheel for SimFilterWheel {
    fn select(&mut self, position: u32) -> DeviceResult<()> {
        if !(1..=self.positions).contains(&position) {
            return Err(DeviceError::out_of_range(
                "filter wheel",
                format!(
                    "position {position} does not exist (the wheel has 1 to {})",
                    self.positions
                ),
            ));
        }
        let ahead = (position + self.positions - self.at) % self.positions;
        let steps = ahead.min(self.positions - ahead);
        self.sh.clock.spend(steps as f64 * self.step_s);
        self.at = position;
        Ok(())
    }

    fn position(&mut self) -> DeviceResult<u32> {
        Ok(self.at)
    }
}

struct SimLaserAf {
    sh: Arc<SimShared>,
    range_um: f64,
    measure_s: f64,
}

impl LaserAutofocus for SimLaserAf {
    fn measure_um(&mut self, _lights: &mut dyn Illumination) -> DeviceResult<f64> {
        let (x, y, z) = {
            let st = self.sh.lock();
            (st.x, st.y, st.z + st.piezo_mm)
        };
        self.sh.clock.spend(self.measure_s);
        let d = (self.sh.sample.focus_at(x, y) - z) * 1000.0;
        if d.abs() > self.range_um / 2.0 {
            return Err(DeviceError::out_of_range(
                "laser autofocus",
                format!(
                    "no reflection spot: the surface is beyond ±{:.0} um",
                    self.range_um / 2.0
                ),
            ));
        }
        // The spot fit is good to about 0.1 µm; deterministic per position.
        let jitter = ((x * 7919.0 + y * 104_729.0).sin() * 0.1).clamp(-0.1, 0.1);
        Ok(d + jitter)
    }

    fn range_um(&self) -> f64 {
        self.range_um
    }
}

/// Re-export so tests and benches can drive the simulator's sample directly.
pub use sample::Sample as SimSample;

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<SimXy>();
    is_send::<SimCamera>();
    let _ = SimSettings::default();
}

#[cfg(test)]
mod tests;

/// The simulated world's plate, where `sim.plate` puts it.
pub fn sim_plate(config: &MicroscopeConfig, sim: &SimSettings) -> Option<plate::SimPlate> {
    let d = &config.desc;
    let p = sim.plate.as_ref()?;
    let geometry = crate::plan::plate::PlateGeometry::sbs(p.format.0)?;
    let a1 = p.a1.map_or_else(
        || geometry.nominal(&d.stage.plate_origin).a1_mm,
        |a| (a.x.mm(), a.y.mm()),
    );
    Some(plate::SimPlate {
        geometry,
        at: crate::microscope::plate_calibration::Placement {
            a1_mm: a1,
            rotation_deg: p.rotation_deg,
            scale: p.scale,
        },
        pixel_mm: config.pixel_mm(),
        sensor: (d.camera.width, d.camera.height),
    })
}
