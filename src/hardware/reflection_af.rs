//! Reflection (laser) autofocus from a camera that looks at the spot the autofocus laser
//! reflects off the sample's surface. The spot moves sideways in proportion to defocus, so
//! one image and a calibration give the focus offset. Written over the device traits, so any
//! camera driver can be the spot camera and any illumination controller the laser switch.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Camera, DeviceError, DeviceResult, Illumination, LaserAutofocus, ZStage};

const DEVICE: &str = "laser autofocus";

/// How to calibrate: z positions `-steps..=steps` times `step_um` around the focused z.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CalibrationPlan {
    pub steps: u32,
    pub step_um: f64,
}

/// The least fit quality a calibration is kept at: below it the spot did not follow z.
pub const MIN_R2: f64 = 0.995;
/// The least spot shift per calibration step (px): less cannot resolve one step.
pub const MIN_SHIFT_PER_STEP_PX: f64 = 0.5;

/// How the spot follows z, measured on the rig by `squidctl calibrate-af`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Spot shift per µm of z (signed: the direction the spot moves as z rises).
    pub px_per_um: f64,
    /// Where the spot is when the sample is in focus.
    pub reference_px: f64,
    /// RMS distance of the points from the fitted line.
    pub residual_px: f64,
    pub r2: f64,
    /// The z (mm) it was focused at, and the (z offset µm, spot px) points it fitted.
    pub focus_z_mm: f64,
    pub points: Vec<(f64, f64)>,
    /// The spot camera, as it named itself.
    pub camera: String,
}

impl Calibration {
    pub fn load(path: &Path) -> Result<Calibration, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the calibration {}: {e}; run `squidctl calibrate-af` with the sample in focus",
                path.display()
            )
        })?;
        let c: Calibration = serde_saphyr::from_str(&text)
            .map_err(|e| format!("{}: not a laser autofocus calibration: {e}", path.display()))?;
        if !(c.px_per_um.is_finite() && c.px_per_um != 0.0 && c.reference_px.is_finite()) {
            return Err(format!(
                "{}: px_per_um must be a non-zero number and reference_px a number; calibrate again",
                path.display()
            ));
        }
        Ok(c)
    }

    /// Written atomically, so a crash never leaves half a calibration.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_saphyr::to_string(self).map_err(std::io::Error::other)?;
        let head = "# Written by `squidctl calibrate-af`: how the reflected spot follows z.\n";
        crate::fsutil::write_atomic(path, format!("{head}{text}").as_bytes())
    }

    /// Focus displacement (µm, positive: focus above) for a spot at `px`.
    pub fn displacement_um(&self, px: f64) -> f64 {
        (self.reference_px - px) / self.px_per_um
    }
}

/// The spot's position along x (px, sub-pixel): the centroid of the brightest band of
/// columns above the background. Errors say why there is no usable spot.
pub fn spot_x(pixels: &[u16], width: usize) -> Result<f64, String> {
    if width < 8 || pixels.len() < width {
        return Err("the spot image is too small".into());
    }
    let rows = pixels.len() / width;
    let mut cols = vec![0f64; width];
    for row in pixels.chunks_exact(width) {
        for (c, &p) in cols.iter_mut().zip(row) {
            *c += f64::from(p);
        }
    }
    cols.iter_mut().for_each(|c| *c /= rows as f64);
    let mut sorted = cols.clone();
    sorted.sort_by(f64::total_cmp);
    let bg = sorted[width / 2];
    let mut dev: Vec<f64> = cols.iter().map(|c| (c - bg).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let noise = (dev[width / 2] * 1.4826).max(0.5);
    let (peak_at, peak) = cols
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, bg));
    if peak - bg < 10.0 * noise {
        return Err(format!(
            "no spot: the brightest column is {:.1} above the background {bg:.1} (noise {noise:.1}); is the autofocus laser on and the sample in range?",
            peak - bg
        ));
    }
    let half = bg + (peak - bg) / 2.0;
    let (mut lo, mut hi) = (peak_at, peak_at);
    while lo > 0 && cols[lo - 1] > half {
        lo -= 1;
    }
    while hi + 1 < width && cols[hi + 1] > half {
        hi += 1;
    }
    if lo == 0 || hi + 1 == width {
        return Err("the spot is at the edge of the image: the surface is out of range".into());
    }
    // Widen to twice the half-maximum width for the centroid.
    let w = hi - lo + 1;
    let (lo, hi) = (lo.saturating_sub(w / 2), (hi + w / 2).min(width - 1));
    let (mut sum, mut moment) = (0.0, 0.0);
    for (i, c) in cols.iter().enumerate().take(hi + 1).skip(lo) {
        let v = (c - bg).max(0.0);
        sum += v;
        moment += v * i as f64;
    }
    Ok(moment / sum)
}

/// Least-squares line `y = a + b x`: (a, b, RMS residual, R²).
pub fn fit_line(points: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let a = my - b * mx;
    let ss_res: f64 = points.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum();
    let r2 = if syy > 0.0 { 1.0 - ss_res / syy } else { 0.0 };
    (a, b, (ss_res / n).sqrt(), r2)
}

/// The laser plus its spot camera.
pub struct ReflectionAf {
    camera: Box<dyn Camera>,
    /// What the camera calls itself.
    name: String,
    exposure_s: f64,
    range_um: f64,
    calibration_path: PathBuf,
    calibration: Result<Calibration, String>,
}

impl ReflectionAf {
    pub fn new(
        camera: Box<dyn Camera>,
        name: String,
        exposure_s: f64,
        range_um: f64,
        calibration_path: PathBuf,
    ) -> ReflectionAf {
        let calibration = Calibration::load(&calibration_path);
        ReflectionAf {
            camera,
            name,
            exposure_s,
            range_um,
            calibration_path,
            calibration,
        }
    }

    /// The spot's x with the laser on for just this image.
    fn spot(&mut self, lights: &mut dyn Illumination) -> DeviceResult<f64> {
        self.camera.set_exposure(self.exposure_s)?;
        lights.af_laser(true)?;
        let f = self.camera.snap();
        let off = lights.af_laser(false);
        let f = f?;
        off?;
        spot_x(&f.pixels, f.width as usize)
            .map_err(|e| DeviceError::failed(DEVICE, format!("{}: {e}", self.name)))
    }

    fn calibration(&self) -> DeviceResult<&Calibration> {
        self.calibration.as_ref().map_err(|e| DeviceError {
            device: DEVICE.into(),
            kind: crate::hardware::ErrorKind::NotReady,
            message: format!("not calibrated: {e}"),
        })
    }
}

impl LaserAutofocus for ReflectionAf {
    fn measure_um(&mut self, lights: &mut dyn Illumination) -> DeviceResult<f64> {
        self.calibration()?;
        let px = self.spot(lights)?;
        self.calibration().map(|c| c.displacement_um(px))
    }

    fn range_um(&self) -> f64 {
        self.range_um
    }

    fn reconnect(&mut self) -> DeviceResult<()> {
        self.camera.reconnect()
    }

    fn calibrate(
        &mut self,
        z: &mut dyn ZStage,
        lights: &mut dyn Illumination,
        plan: &CalibrationPlan,
    ) -> DeviceResult<Calibration> {
        let z0 = z.position()?;
        let (zmin, zmax) = z.limits();
        let n = plan.steps as i64;
        let span_mm = n as f64 * plan.step_um / 1000.0;
        if z0 - span_mm < zmin || z0 + span_mm > zmax {
            return Err(DeviceError::out_of_range(
                DEVICE,
                format!(
                    "calibrating moves z to {:.4}–{:.4} mm, beyond the travel {zmin}–{zmax} mm",
                    z0 - span_mm,
                    z0 + span_mm
                ),
            ));
        }
        let mut points = Vec::new();
        let mut failure = None;
        for k in -n..=n {
            let dz_um = k as f64 * plan.step_um;
            if let Err(e) = z.move_to(z0 + dz_um / 1000.0) {
                failure = Some(e);
                break;
            }
            let spot = match self.spot(lights) {
                // A frame the camera never delivered (its driver re-arms the stream) is taken
                // once more; a spot that is not there is not.
                Err(e) if e.device != DEVICE && e.kind == crate::hardware::ErrorKind::Failed => {
                    tracing::warn!("at z {dz_um:+.1} um from focus: {e}; taking the spot again");
                    self.spot(lights)
                }
                r => r,
            };
            match spot {
                Ok(px) => points.push((dz_um, px)),
                Err(e) => {
                    failure = Some(DeviceError {
                        message: format!("at z {dz_um:+.1} um from focus: {}", e.message),
                        ..e
                    });
                    break;
                }
            }
        }
        // Back to focus whatever happened.
        let back = z.move_to(z0);
        if let Some(e) = failure {
            return Err(e);
        }
        back?;
        let (a, b, residual, r2) = fit_line(&points);
        let shift = (b * plan.step_um).abs();
        if r2 < MIN_R2 || shift < MIN_SHIFT_PER_STEP_PX {
            return Err(DeviceError::failed(
                DEVICE,
                format!(
                    "poor fit: the spot moved {shift:.2} px per {} um step with R² {r2:.4} (need ≥ {MIN_SHIFT_PER_STEP_PX} px and R² ≥ {MIN_R2}); check the spot image, then calibrate with a larger --step",
                    plan.step_um
                ),
            ));
        }
        let c = Calibration {
            px_per_um: b,
            reference_px: a,
            residual_px: residual,
            r2,
            focus_z_mm: z0,
            points,
            camera: self.name.clone(),
        };
        c.save(&self.calibration_path).map_err(|e| {
            DeviceError::failed(
                DEVICE,
                format!(
                    "cannot write the calibration {}: {e}",
                    self.calibration_path.display()
                ),
            )
        })?;
        self.calibration = Ok(c.clone());
        Ok(c)
    }

    fn details(&self) -> Option<String> {
        Some(match &self.calibration {
            Ok(c) => format!(
                "spot camera {}, {:.3} px/um, reference {:.1} px",
                self.name, c.px_per_um, c.reference_px
            ),
            Err(_) => format!(
                "spot camera {}, not calibrated ({})",
                self.name,
                self.calibration_path.display()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: usize, rows: usize, spot: f64, sigma: f64, amp: f64) -> Vec<u16> {
        let mut v = Vec::new();
        for r in 0..rows {
            for x in 0..width {
                let g = (-(x as f64 - spot).powi(2) / (2.0 * sigma * sigma)).exp();
                let noise = ((x * 31 + r * 17) % 7) as f64;
                v.push((20.0 + noise + amp * g) as u16);
            }
        }
        v
    }

    #[test]
    fn the_spot_is_found_to_a_tenth_of_a_pixel() {
        for spot in [40.3, 128.0, 200.77] {
            let px = spot_x(&image(256, 8, spot, 3.0, 180.0), 256).expect("spot");
            assert!((px - spot).abs() < 0.1, "{px} vs {spot}");
        }
    }

    #[test]
    fn no_spot_and_a_spot_at_the_edge_are_errors() {
        let e = spot_x(&image(256, 8, 100.0, 3.0, 0.0), 256).unwrap_err();
        assert!(e.starts_with("no spot"), "{e}");
        let e = spot_x(&image(256, 8, 1.0, 3.0, 180.0), 256).unwrap_err();
        assert!(e.contains("edge"), "{e}");
    }

    #[test]
    fn a_line_fits_exactly_and_noise_lowers_r2() {
        let pts: Vec<(f64, f64)> = (-4..=4)
            .map(|k| (k as f64, 100.0 - 2.5 * k as f64))
            .collect();
        let (a, b, res, r2) = fit_line(&pts);
        assert!((a - 100.0).abs() < 1e-9 && (b + 2.5).abs() < 1e-9 && res < 1e-9);
        assert!((r2 - 1.0).abs() < 1e-12);
        let noisy: Vec<(f64, f64)> = pts
            .iter()
            .map(|&(x, y)| (x, y + if x as i64 % 2 == 0 { 6.0 } else { -6.0 }))
            .collect();
        assert!(fit_line(&noisy).3 < MIN_R2);
    }

    #[test]
    fn displacement_points_back_to_the_focus() {
        let c = Calibration {
            px_per_um: -2.0,
            reference_px: 300.0,
            residual_px: 0.0,
            r2: 1.0,
            focus_z_mm: 4.0,
            points: vec![],
            camera: "x".into(),
        };
        // 5 µm above focus the spot sits at 300 - 10: the focus is 5 µm below.
        assert!((c.displacement_um(290.0) + 5.0).abs() < 1e-12);
    }
}
