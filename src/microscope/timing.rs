//! How long the microscope takes to do things. One model, used by the plan's estimate and by
//! the simulator's virtual clock, so a dry run and an estimate agree.

use super::description::{AxisDesc, MicroscopeDesc, MotionProfile};

/// Time to move one axis by `distance` (mm) from rest to rest, settle not included.
pub fn axis_move_secs(distance_mm: f64, axis: &AxisDesc) -> f64 {
    let d = distance_mm.abs();
    if d == 0.0 {
        return 0.0;
    }
    let v = axis.speed.0.max(1e-9);
    let a = axis.acceleration.0.max(1e-9);
    match axis.profile {
        // Trapezoid, or a triangle when the move is too short to reach full speed.
        MotionProfile::Trapezoid if d < v * v / a => 2.0 * (d / a).sqrt(),
        MotionProfile::Trapezoid => d / v + v / a,
        // The S-curve of a motion controller whose bows are all a²/v (jerk j), like the
        // TMC4361A on a Squid: full speed needs 2v²/a; shorter moves are jerk-limited.
        MotionProfile::SCurve if d < 2.0 * v * v / a => (32.0 * d * v / (a * a)).cbrt(),
        MotionProfile::SCurve => d / v + 2.0 * v / a,
    }
}

/// The timing-relevant numbers of a microscope, in seconds and millimetres.
#[derive(Clone, Debug)]
pub struct Timing {
    pub xy: AxisDesc,
    pub z: AxisDesc,
    pub readout_s: f64,
    pub switch_s: f64,
    /// Light on and off around each exposure.
    pub light_s: f64,
    pub laser_af_s: Option<f64>,
    /// Connecting and homing the devices before the first frame (a stage controller's
    /// homing takes seconds); the drivers fill it in (`hardware::timing`).
    pub startup_s: f64,
}

impl Timing {
    pub fn new(m: &MicroscopeDesc) -> Self {
        Timing {
            xy: m.stage.xy.clone(),
            z: m.stage.z.clone(),
            readout_s: m.camera.readout.secs(),
            switch_s: m.illumination.switch_time.secs(),
            light_s: m.illumination.on_off_time.secs(),
            laser_af_s: m.laser_autofocus.as_ref().map(|l| l.measure_time.secs()),
            startup_s: 0.0,
        }
    }

    /// X and Y move together; the longer axis decides, then the stage settles.
    pub fn xy_move_s(&self, dx_mm: f64, dy_mm: f64) -> f64 {
        if dx_mm == 0.0 && dy_mm == 0.0 {
            return 0.0;
        }
        axis_move_secs(dx_mm, &self.xy).max(axis_move_secs(dy_mm, &self.xy)) + self.xy.settle.secs()
    }

    /// A focus move: the piezo's settle when it can make it (a stack's step, a channel's
    /// offset), else the stepper's.
    pub fn z_move_s(&self, dz_mm: f64) -> f64 {
        match self.z.piezo {
            Some(p) if dz_mm.abs() >= 1e-12 && self.piezo_reaches(dz_mm) => p.settle.secs(),
            _ => self.stepper_z_move_s(dz_mm),
        }
    }

    /// Whether a move of `dz_mm` from the piezo's home is within its range.
    fn piezo_reaches(&self, dz_mm: f64) -> bool {
        self.z.piezo.is_some_and(|p| {
            let um = p.home.um() + dz_mm * 1000.0;
            (0.0..=p.range.um()).contains(&um)
        })
    }

    /// The longest a focus move can take, for its deadline: with a piezo, one move may return
    /// the piezo home and then move the stepper.
    pub fn z_move_worst_s(&self, dz_mm: f64) -> f64 {
        self.stepper_z_move_s(dz_mm) + self.z.piezo.map_or(0.0, |p| p.settle.secs())
    }

    /// The stepper's own move and settle.
    pub fn stepper_z_move_s(&self, dz_mm: f64) -> f64 {
        if dz_mm.abs() < 1e-12 {
            return 0.0;
        }
        axis_move_secs(dz_mm, &self.z) + self.z.settle.secs()
    }

    /// One frame: exposure then sensor readout.
    pub fn frame_s(&self, exposure_s: f64) -> f64 {
        exposure_s + self.readout_s
    }

    /// Contrast autofocus: go to the bottom of the range, image each plane on the way up,
    /// then return to the best plane (on average the middle).
    pub fn contrast_af_s(&self, range_um: f64, step_um: f64, exposure_s: f64) -> f64 {
        let planes = contrast_af_planes(range_um, step_um);
        let half = range_um / 2000.0;
        self.z_move_s(half)
            + (planes - 1) as f64 * self.z_move_s(step_um / 1000.0)
            + planes as f64 * self.frame_s(exposure_s)
            + self.z_move_s(half)
    }

    /// Laser autofocus where the focus is not known yet: one spot measurement, one
    /// corrective move (a few µm), a confirmation.
    pub fn laser_af_s(&self) -> f64 {
        let m = self.laser_af_s.unwrap_or(0.0);
        2.0 * m + self.z_move_s(0.005)
    }

    /// Laser autofocus on a region focused before (an earlier time point): the runner starts
    /// from that focus, so one measurement confirms it. A sample that drifted between time
    /// points adds a move and a measurement.
    pub fn laser_refocus_s(&self) -> f64 {
        self.laser_af_s.unwrap_or(0.0)
    }
}

/// Most planes one contrast autofocus scan may image (a 40 µm range at 0.1 µm is 401); the
/// plan refuses more, and this cap keeps any caller from allocating without bound.
pub const MAX_AF_PLANES: u32 = 1000;

/// Planes a contrast autofocus scan images (uncapped, as f64, for validation).
pub fn contrast_af_planes_f64(range_um: f64, step_um: f64) -> f64 {
    if step_um.is_nan() || step_um <= 0.0 || !range_um.is_finite() {
        return f64::INFINITY;
    }
    (range_um / step_um + 1e-9).floor().max(1.0) + 1.0
}

/// Planes a contrast autofocus scan images, at most [`MAX_AF_PLANES`].
pub fn contrast_af_planes(range_um: f64, step_um: f64) -> u32 {
    let n = contrast_af_planes_f64(range_um, step_um);
    if n.is_finite() && n <= MAX_AF_PLANES as f64 {
        n as u32
    } else {
        MAX_AF_PLANES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::units::{Accel, Duration, Speed};

    fn axis() -> AxisDesc {
        AxisDesc {
            driver: None,
            profile: MotionProfile::Trapezoid,
            speed: Speed(10.0),
            acceleration: Accel(100.0),
            settle: Duration(0),
            piezo: None,
        }
    }

    #[test]
    fn long_moves_are_trapezoidal() {
        // 10 mm at 10 mm/s, 100 mm/s²: 0.1 s to accelerate, 0.1 s to stop, 0.9 s cruising.
        let t = axis_move_secs(10.0, &axis());
        assert!((t - 1.1).abs() < 1e-9, "{t}");
    }

    #[test]
    fn short_moves_are_triangular() {
        // 0.25 mm: never reaches 10 mm/s; t = 2 sqrt(d/a) = 0.1 s.
        let t = axis_move_secs(0.25, &axis());
        assert!((t - 0.1).abs() < 1e-9, "{t}");
        assert_eq!(axis_move_secs(0.0, &axis()), 0.0);
        // Continuous at the boundary d = v²/a = 1 mm.
        let a = axis_move_secs(1.0 - 1e-9, &axis());
        let b = axis_move_secs(1.0 + 1e-9, &axis());
        assert!((a - b).abs() < 1e-6);
    }

    /// The Squid sheet's worked examples: a 9 mm XY hop at 25 mm/s, 500 mm/s² and a 1.5 µm z
    /// step at 2 mm/s, 20 mm/s².
    #[test]
    fn s_curves_match_the_firmware_examples_and_are_continuous() {
        let s = |v: f64, a: f64| AxisDesc {
            profile: MotionProfile::SCurve,
            speed: Speed(v),
            acceleration: Accel(a),
            ..axis()
        };
        let hop = axis_move_secs(9.0, &s(25.0, 500.0));
        assert!((hop - 0.46).abs() < 0.005, "{hop}");
        let step = axis_move_secs(0.0015, &s(2.0, 20.0));
        assert!((step - 0.062).abs() < 0.001, "{step}");
        // Slower than the trapezoid it replaces, and continuous at d = 2v²/a.
        assert!(
            step > 3.0
                * axis_move_secs(
                    0.0015,
                    &AxisDesc {
                        speed: Speed(2.0),
                        acceleration: Accel(20.0),
                        ..axis()
                    }
                )
        );
        let edge = 2.0 * 25.0 * 25.0 / 500.0;
        let (a, b) = (
            axis_move_secs(edge - 1e-9, &s(25.0, 500.0)),
            axis_move_secs(edge + 1e-9, &s(25.0, 500.0)),
        );
        assert!((a - b).abs() < 1e-6, "{a} {b}");
    }

    #[test]
    fn af_planes() {
        assert_eq!(contrast_af_planes(40.0, 2.0), 21);
        assert_eq!(contrast_af_planes(1.0, 2.0), 2);
        assert_eq!(contrast_af_planes(8000.0, 2.5e-6), MAX_AF_PLANES);
        assert_eq!(contrast_af_planes(8000.0, 1e-33), MAX_AF_PLANES);
        assert_eq!(contrast_af_planes(40.0, 0.0), MAX_AF_PLANES);
    }
}
