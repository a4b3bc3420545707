//! The emulated board's camera: Aravis's fake GigE camera, wired to the board's trigger
//! output and drawing what a camera on the rig would see: the simulated sample at the
//! board's stage position under its lit source, or the autofocus laser's reflected spot,
//! displaced by how far z is from the sample's surface.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aravis::GvFakeCamera;
use gio::glib::translate::ToGlibPtr;

use super::mcu::Outputs;
use crate::diagnostic::Diagnostics;
use crate::hardware::sim::sample::Shot;
use crate::hardware::sim::{SimSample, SimSettings};
use crate::hardware::squid::settings::SquidSettings;
use crate::microscope::MicroscopeConfig;

/// The fake camera's TriggerSoftware register: a write is one trigger.
const TRIGGER_SOFTWARE: u32 = 0x30c;
const SENSOR_WIDTH: u32 = 0x11c;
const SENSOR_HEIGHT: u32 = 0x118;
/// How often the fake camera looks for a trigger.
const TRIGGER_POLL_HZ: f64 = 2000.0;
/// Spot shift per µm of defocus (a Squid+ reflection autofocus moves its spot a few px/µm).
pub const SPOT_PX_PER_UM: f64 = 3.0;
/// The spot's half-widths (px) along x and y.
const SPOT_SIGMA: (f64, f64) = (4.0, 3.0);

/// Where the sample's surface is and what each source shows: from the description the host
/// uses, so the emulated rig and squidctl agree on axes, signs and channels.
pub struct Scene {
    sample: SimSample,
    /// The host's signs for X, Y, Z.
    signs: [f64; 3],
    /// Source code on the wire → the source's name and wavelength.
    sources: Vec<(u8, String, Option<f64>)>,
}

impl Scene {
    pub fn of(config: &MicroscopeConfig) -> Result<Scene, Diagnostics> {
        let squid = SquidSettings::of(config)?;
        let sim = SimSettings::of(config)?;
        let d = &config.desc;
        let t = d.stage.travel;
        let center = sim.focus.center.map_or(
            (
                (t.x[0].mm() + t.x[1].mm()) / 2.0,
                (t.y[0].mm() + t.y[1].mm()) / 2.0,
            ),
            |c| (c.x.mm(), c.y.mm()),
        );
        let sources: Vec<(u8, String, Option<f64>)> = d
            .channels
            .iter()
            .filter_map(|c| {
                let code = squid.output(&c.source)?.source_code();
                Some((
                    code,
                    c.source.clone(),
                    c.wavelength.map(|w| w.um() * 1000.0),
                ))
            })
            .collect();
        let sample = SimSample::new(
            sim.seed,
            sim.sample,
            d.stage.focus_z.mm(),
            sim.focus,
            center,
        );
        Ok(Scene {
            sample,
            signs: [squid.x.sign, squid.y.sign, squid.z.sign].map(f64::from),
            sources,
        })
    }

    /// Build each source's texture (about a second each): before the first frame, not in it.
    fn prepare(&self) {
        let used: Vec<(String, Option<f64>)> =
            self.sources.iter().map(|s| (s.1.clone(), s.2)).collect();
        self.sample.prepare(&used);
    }

    /// The stage position in the host's coordinates (mm).
    pub fn host_xyz(&self, o: &Outputs) -> (f64, f64, f64) {
        let p = o.positions_mm;
        (
            self.signs[0] * p[0],
            self.signs[1] * p[1],
            self.signs[2] * p[2],
        )
    }

    /// The sample's surface height (mm) under the objective at (x, y).
    pub fn surface_at(&self, x_mm: f64, y_mm: f64) -> f64 {
        self.sample.focus_at(x_mm, y_mm)
    }

    /// One frame into `out` (row-major, `region` of a `sensor`-sized chip, values up to
    /// 2^depth − 1).
    fn draw(&self, o: &Outputs, lit: Option<u8>, frame: &FrameSpec, out: &mut Vec<u16>) {
        let (x, y, z) = self.host_xyz(o);
        let (rx, ry, rw, rh) = frame.region;
        let max = f64::from((1u32 << frame.depth) - 1);
        if o.af_laser {
            // The spot sits at the middle of the sensor when z is on the surface.
            let defocus_um = (z - self.surface_at(x, y)) * 1000.0;
            let cx = f64::from(frame.sensor.0) / 2.0 + SPOT_PX_PER_UM * defocus_um;
            let cy = f64::from(frame.sensor.1) / 2.0;
            let amp = max * 0.7 * (frame.exposure_s / 0.002).min(1.0);
            let mut noise = Noise(frame.seed);
            out.clear();
            for row in 0..rh {
                let dy = (f64::from(ry + row) - cy) / SPOT_SIGMA.1;
                for col in 0..rw {
                    let dx = (f64::from(rx + col) - cx) / SPOT_SIGMA.0;
                    let v = max * 0.02 + amp * (-(dx * dx + dy * dy) / 2.0).exp();
                    out.push((v + noise.next() * max * 0.004).clamp(0.0, max) as u16);
                }
            }
            return;
        }
        let source = lit.and_then(|c| self.sources.iter().find(|s| s.0 == c));
        let shot = Shot {
            x_mm: x,
            y_mm: y,
            z_mm: z,
            source: source.map(|s| s.1.as_str()),
            wavelength_nm: source.and_then(|s| s.2),
            intensity_pct: 50.0,
            exposure_s: frame.exposure_s,
            gain_db: 0.0,
            roi: frame.region,
            binning: 1,
            bit_depth: frame.depth,
        };
        self.sample.render(&shot, out);
    }
}

struct FrameSpec {
    sensor: (u32, u32),
    region: (u32, u32, u32, u32),
    depth: u32,
    exposure_s: f64,
    seed: u64,
}

/// Cheap, deterministic noise in about ±1.7 (uniform, unit variance).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 40) as f64 / f64::from(1u32 << 24) - 0.5) * 3.464
    }
}

/// What the fill callback reads: the board's outputs, the scene, and its own scratch.
struct Painter {
    outputs: Arc<Mutex<Outputs>>,
    scene: Scene,
    sensor: (u32, u32),
    /// Trigger pulses already drawn, so a frame a pulse started shows that pulse's light.
    pulses_seen: u64,
    frames: u64,
    scratch: Vec<u16>,
}

/// Called by the fake camera's thread for each frame it sends.
unsafe extern "C" fn paint(
    buffer: *mut aravis_sys::ArvBuffer,
    data: *mut std::ffi::c_void,
    exposure_us: u32,
    _gain: u32,
    format: aravis_sys::ArvPixelFormat,
) {
    // A panic must not unwind into C.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: `data` is the Painter this module boxed for the camera; only this callback
        // (on the camera's one thread) touches it until the rig is dropped.
        let p = unsafe { &mut *data.cast::<Painter>() };
        // SAFETY: the buffer the fake camera is filling, valid for this call.
        unsafe { p.paint(buffer, exposure_us, format) };
    }));
}

impl Painter {
    unsafe fn paint(
        &mut self,
        buffer: *mut aravis_sys::ArvBuffer,
        exposure_us: u32,
        format: aravis_sys::ArvPixelFormat,
    ) {
        let (mut x, mut y, mut w, mut h) = (0, 0, 0, 0);
        // The size `arv_buffer_get_data` reports is what the pattern filled so far (0 for a
        // fresh buffer); the fake calls this only for a buffer of at least its payload,
        // width × height × the pixel format's bytes, and then sends that many bytes.
        let mut filled = 0usize;
        // SAFETY: a live buffer (see `paint`); out-pointers to locals.
        let data = unsafe {
            aravis_sys::arv_buffer_get_image_region(buffer, &mut x, &mut y, &mut w, &mut h);
            aravis_sys::arv_buffer_get_data(buffer, &mut filled)
        };
        let (bytes_per_px, depth) = match format {
            aravis_sys::ARV_PIXEL_FORMAT_MONO_8 => (1, 8),
            aravis_sys::ARV_PIXEL_FORMAT_MONO_12 => (2, 12),
            aravis_sys::ARV_PIXEL_FORMAT_MONO_16 => (2, 16),
            _ => return,
        };
        let px = (w.max(0) as usize) * (h.max(0) as usize);
        if data.is_null() || px == 0 {
            return;
        }
        // SAFETY: the buffer holds at least the payload, `px * bytes_per_px` (see above).
        let out = unsafe { std::slice::from_raw_parts_mut(data, px * bytes_per_px) };
        let o = self
            .outputs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let lit = if o.triggers > self.pulses_seen {
            self.pulses_seen = o.triggers;
            o.last_strobe.or(o.lit)
        } else {
            o.lit
        };
        self.frames += 1;
        let spec = FrameSpec {
            sensor: self.sensor,
            region: (x as u32, y as u32, w as u32, h as u32),
            depth,
            exposure_s: f64::from(exposure_us) / 1e6,
            seed: self.frames,
        };
        let mut pixels = std::mem::take(&mut self.scratch);
        self.scene.draw(&o, lit, &spec, &mut pixels);
        if bytes_per_px == 1 {
            for (b, v) in out.iter_mut().zip(&pixels) {
                *b = *v as u8;
            }
        } else {
            for (b, v) in out.chunks_exact_mut(2).zip(&pixels) {
                b.copy_from_slice(&v.to_le_bytes());
            }
        }
        self.scratch = pixels;
    }
}

/// The fake camera's own GenICam XML with a Daheng MER2's trigger input: `Line2` takes the
/// value the fake's software trigger waits on, so a TriggerSoftware write is a pulse on Line2.
pub fn mer2_like_xml() -> Result<String, String> {
    let (xml, _) = aravis::FakeCamera::new("SQ-XML").genicam_xml();
    let software = "<EnumEntry Name=\"Software\"";
    let line2 = "<EnumEntry Name=\"Line2\" NameSpace=\"Standard\">\n\t\t\t<Value>1</Value>\n\t\t</EnumEntry>\n\t\t<EnumEntry Name=\"Software\"";
    if !xml.contains(software) {
        return Err("this Aravis's fake camera has no TriggerSource Software entry".into());
    }
    Ok(xml.replacen(software, line2, 1))
}

/// The fake camera on the board's wire; drop it to take the camera away.
pub struct FakeRig {
    fake: Option<GvFakeCamera>,
    painter: *mut Painter,
    stop: Arc<AtomicBool>,
    wire: Option<std::thread::JoinHandle<()>>,
}

// SAFETY: `painter` is only dereferenced by the fake camera's thread until drop, which stops
// that thread before freeing it.
unsafe impl Send for FakeRig {}

impl FakeRig {
    /// A MER2-like fake at `address` (GVCP on port 3956) whose Line2 is the board's trigger
    /// output; with a scene, its image follows the board.
    pub fn start(
        address: &str,
        serial: &str,
        outputs: Arc<Mutex<Outputs>>,
        scene: Option<Scene>,
    ) -> Result<FakeRig, String> {
        let xml =
            std::env::temp_dir().join(format!("squidctl-fake-{}-{serial}.xml", std::process::id()));
        std::fs::write(&xml, mer2_like_xml()?)
            .map_err(|e| format!("cannot write {}: {e}", xml.display()))?;
        let xml_name = xml.display().to_string();
        let fake = GvFakeCamera::new_full(Some(address), Some(serial), Some(&xml_name));
        // The fake has read it into memory: nothing is left behind, even after a SIGKILL.
        let _ = std::fs::remove_file(&xml);
        let mut rig = FakeRig {
            fake: None,
            painter: std::ptr::null_mut(),
            stop: Arc::new(AtomicBool::new(false)),
            wire: None,
        };
        if !fake.is_running() {
            return Err(format!(
                "the fake camera cannot serve on {address}: is another camera (or emulator) using its GVCP port 3956 there?"
            ));
        }
        let fc = fake
            .fake_camera()
            .ok_or("the fake camera has no camera model")?;
        // The fake looks for a trigger once per "trigger period" (25 Hz by default, up to
        // 40 ms late); a real camera answers its line within microseconds.
        fc.set_trigger_frequency(TRIGGER_POLL_HZ);
        if let Some(scene) = scene {
            scene.prepare();
            let w = fc.read_register(SENSOR_WIDTH).unwrap_or(2048);
            let h = fc.read_register(SENSOR_HEIGHT).unwrap_or(2048);
            let painter = Box::into_raw(Box::new(Painter {
                outputs: outputs.clone(),
                scene,
                sensor: (w, h),
                pulses_seen: 0,
                frames: 0,
                scratch: Vec::new(),
            }));
            rig.painter = painter;
            let raw: *mut aravis_sys::ArvFakeCamera = fc.to_glib_none().0;
            // SAFETY: a live fake camera; `painter` outlives it (freed in drop after it).
            unsafe {
                aravis_sys::arv_fake_camera_set_fill_pattern(raw, Some(paint), painter.cast());
            }
        }
        rig.fake = Some(fake);
        let stop = rig.stop.clone();
        rig.wire = Some(
            std::thread::Builder::new()
                .name("trigger-wire".into())
                .spawn(move || wire(&outputs, &fc, &stop))
                .map_err(|e| format!("cannot start the trigger wire: {e}"))?,
        );
        Ok(rig)
    }
}

/// Each pulse the board sends is a trigger on the camera's Line2.
fn wire(outputs: &Mutex<Outputs>, fc: &aravis::FakeCamera, stop: &AtomicBool) {
    let mut seen = outputs.lock().unwrap_or_else(|e| e.into_inner()).triggers;
    while !stop.load(Ordering::SeqCst) {
        let pulses = outputs.lock().unwrap_or_else(|e| e.into_inner()).triggers;
        for _ in seen..pulses {
            fc.write_register(TRIGGER_SOFTWARE, 1);
        }
        seen = pulses;
        std::thread::sleep(Duration::from_micros(500));
    }
}

impl Drop for FakeRig {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.wire.take() {
            let _ = t.join();
        }
        // Stops the camera's thread before the painter it calls is freed.
        drop(self.fake.take());
        if !self.painter.is_null() {
            // SAFETY: boxed in `start`, no longer reachable from the camera.
            drop(unsafe { Box::from_raw(self.painter) });
        }
    }
}
