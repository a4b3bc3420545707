//! Autofocus, written once over the device traits so it works on any driver: a contrast
//! z-scan on the camera with a focus metric and a peak fit, or one correction from a laser
//! (reflection) autofocus sensor.

use super::{Camera, DeviceError, DeviceResult, Illumination, LaserAutofocus, Roi, ZStage};
use crate::microscope::timing::contrast_af_planes;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FocusMetric {
    /// Variance divided by mean intensity: robust to brightness changes.
    NormalizedVariance,
    /// Sum of squared differences two pixels apart along rows.
    Brenner,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AfMethod {
    Contrast {
        range_um: f64,
        step_um: f64,
        metric: FocusMetric,
    },
    Laser {
        range_um: f64,
    },
}

impl AfMethod {
    /// The search a protocol's (or an action's) autofocus plan asks for.
    pub fn of_plan(plan: &crate::plan::AutofocusPlan) -> AfMethod {
        match plan.method {
            crate::protocol::schema::AfMethod::Laser => AfMethod::Laser {
                range_um: plan.range_um,
            },
            _ => AfMethod::Contrast {
                range_um: plan.range_um,
                step_um: plan.step_um,
                metric: FocusMetric::NormalizedVariance,
            },
        }
    }
}

/// What to focus and how; the illumination settings are those of the autofocus channel.
#[derive(Clone, Debug, PartialEq)]
pub struct AfRequest {
    pub method: AfMethod,
    /// Where to search around (the current focus estimate).
    pub reference_z_mm: f64,
    pub exposure_s: f64,
    pub gain: Option<f64>,
    pub source: String,
    pub intensity_pct: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AfResult {
    pub z_mm: f64,
    /// Images (contrast) or measurements (laser) it took.
    pub samples: u32,
    /// (z, score) of each contrast plane.
    pub scores: Vec<(f64, f64)>,
}

pub struct AfDevices<'a> {
    pub camera: &'a mut dyn Camera,
    pub z: &'a mut dyn ZStage,
    pub illumination: &'a mut dyn Illumination,
    pub laser: Option<&'a mut dyn LaserAutofocus>,
}

pub trait Autofocus: Send {
    fn run(&mut self, devs: AfDevices<'_>, req: &AfRequest) -> DeviceResult<AfResult>;
}

/// Contrast or laser autofocus on whatever devices the driver provides.
pub struct StandardAutofocus;

impl Autofocus for StandardAutofocus {
    fn run(&mut self, devs: AfDevices<'_>, req: &AfRequest) -> DeviceResult<AfResult> {
        match &req.method {
            AfMethod::Contrast {
                range_um,
                step_um,
                metric,
            } => contrast(devs, req, *range_um, *step_um, *metric),
            AfMethod::Laser { range_um } => laser(devs, req, *range_um),
        }
    }
}

/// Side of the central square the contrast scan images (AF does not need the whole sensor).
const AF_ROI: u32 = 512;

pub fn score(pixels: &[u16], width: usize, metric: FocusMetric) -> f64 {
    if pixels.is_empty() || width == 0 {
        return 0.0;
    }
    match metric {
        FocusMetric::NormalizedVariance => {
            let n = pixels.len() as f64;
            let sum: f64 = pixels.iter().map(|&p| p as f64).sum();
            let mean = sum / n;
            if mean <= 0.0 {
                return 0.0;
            }
            let var: f64 = pixels
                .iter()
                .map(|&p| (p as f64 - mean).powi(2))
                .sum::<f64>()
                / n;
            var / mean
        }
        FocusMetric::Brenner => pixels
            .chunks_exact(width)
            .map(|row| {
                row.windows(3)
                    .map(|w| {
                        let d = w[2] as f64 - w[0] as f64;
                        d * d
                    })
                    .sum::<f64>()
            })
            .sum(),
    }
}

/// Sub-step peak position from the best sample and its neighbours (a parabola through three
/// points), as an offset in steps within [-0.5, 0.5].
pub fn parabolic_offset(left: f64, mid: f64, right: f64) -> f64 {
    let denom = left - 2.0 * mid + right;
    if denom >= 0.0 {
        return 0.0;
    }
    (0.5 * (left - right) / denom).clamp(-0.5, 0.5)
}

fn contrast(
    devs: AfDevices<'_>,
    req: &AfRequest,
    range_um: f64,
    step_um: f64,
    metric: FocusMetric,
) -> DeviceResult<AfResult> {
    let AfDevices {
        camera,
        z,
        illumination,
        ..
    } = devs;
    let (zmin, zmax) = z.limits();
    let planes = contrast_af_planes(range_um, step_um);
    let start = req.reference_z_mm - (planes - 1) as f64 * step_um / 2000.0;
    let (w, h) = camera.sensor_size();
    let side_w = AF_ROI.min(w);
    let side_h = AF_ROI.min(h);
    let previous = camera.roi();
    camera.set_roi(Some(Roi {
        x: (w - side_w) / 2,
        y: (h - side_h) / 2,
        width: side_w,
        height: side_h,
    }))?;
    camera.set_exposure(req.exposure_s)?;
    if let Some(g) = req.gain {
        camera.set_gain(g)?;
    }
    illumination.set(&req.source, req.intensity_pct)?;
    illumination.on()?;
    let mut scores = Vec::with_capacity(planes as usize);
    let scan = (|| -> DeviceResult<()> {
        for i in 0..planes {
            let zi = (start + i as f64 * step_um / 1000.0).clamp(zmin, zmax);
            z.move_to(zi)?;
            let f = camera.snap()?;
            scores.push((zi, score(&f.pixels, f.width as usize, metric)));
        }
        Ok(())
    })();
    let off = illumination.off();
    camera.set_roi(previous)?;
    scan?;
    off?;
    let (best, _) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .ok_or_else(|| DeviceError::failed("autofocus", "the scan took no images"))?;
    let mut z_best = scores[best].0;
    if best > 0 && best + 1 < scores.len() {
        let d = parabolic_offset(scores[best - 1].1, scores[best].1, scores[best + 1].1);
        z_best += d * step_um / 1000.0;
    }
    let z_best = z_best.clamp(zmin, zmax);
    z.move_to(z_best)?;
    Ok(AfResult {
        z_mm: z_best,
        samples: planes,
        scores,
    })
}

fn laser(devs: AfDevices<'_>, req: &AfRequest, range_um: f64) -> DeviceResult<AfResult> {
    let AfDevices {
        z,
        laser,
        illumination,
        ..
    } = devs;
    let Some(laser) = laser else {
        return Err(DeviceError::failed(
            "autofocus",
            "this microscope has no laser autofocus",
        ));
    };
    let (zmin, zmax) = z.limits();
    let mut current = req.reference_z_mm.clamp(zmin, zmax);
    let mut samples = 0;
    // Measure, correct, and confirm; a second correction at most.
    for _ in 0..3 {
        let d = laser.measure_um(&mut *illumination)?;
        samples += 1;
        if d.abs() > range_um / 2.0 {
            return Err(DeviceError::out_of_range(
                "laser autofocus",
                format!(
                    "the surface is {d:.1} um away, beyond the ±{:.0} um search range",
                    range_um / 2.0
                ),
            ));
        }
        if d.abs() < 0.05 {
            break;
        }
        current = (current + d / 1000.0).clamp(zmin, zmax);
        z.move_to(current)?;
    }
    Ok(AfResult {
        z_mm: current,
        samples,
        scores: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parabola_finds_the_vertex() {
        // y = -(x - 0.3)^2 sampled at -1, 0, 1.
        let f = |x: f64| -(x - 0.3f64).powi(2);
        let d = parabolic_offset(f(-1.0), f(0.0), f(1.0));
        assert!((d - 0.3).abs() < 1e-12, "{d}");
        assert_eq!(parabolic_offset(1.0, 1.0, 1.0), 0.0);
    }

    #[test]
    fn sharper_scores_higher() {
        let sharp: Vec<u16> = (0..64)
            .map(|i| if (i / 2) % 2 == 0 { 100 } else { 300 })
            .collect();
        let soft: Vec<u16> = (0..64).map(|i| 200 + (i % 2) as u16 * 10).collect();
        for m in [FocusMetric::NormalizedVariance, FocusMetric::Brenner] {
            assert!(score(&sharp, 8, m) > score(&soft, 8, m));
        }
    }
}
