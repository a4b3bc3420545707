//! Default deadlines, derived from the work: the modelled duration (in real seconds at the
//! clock's scale) twice over plus a fixed margin; the protocol's `timeouts` override them.

use std::time::Duration;

use crate::microscope::timing::Timing;
use crate::plan::AutofocusPlan;
use crate::protocol::schema::{AfMethod, Timeouts};

/// Added to every derived deadline: covers software latency and the simulator's rendering.
pub const MARGIN: Duration = Duration::from_secs(1);
/// Deadlines are this many times the expected duration, plus the margin.
pub const FACTOR: f64 = 2.0;
/// The saver queue may make no progress for this long before it counts as hung.
pub const SAVE_DEFAULT: Duration = Duration::from_secs(60);

/// No derived deadline is longer than this: whatever the model says, a step that has not
/// finished in two hours is hung (`timeouts:` can say otherwise).
pub const MAX_DERIVED_S: f64 = 7200.0;

pub struct Deadlines {
    timing: Timing,
    /// Full travel (x, y, z) in mm: the worst case when the start position is unknown.
    travel: (f64, f64, f64),
    scale: f64,
    overrides: Timeouts,
    af: AutofocusPlan,
    af_exposure_s: f64,
}

impl Deadlines {
    pub fn new(
        timing: Timing,
        travel: (f64, f64, f64),
        scale: f64,
        overrides: Timeouts,
        af: AutofocusPlan,
        af_exposure_s: f64,
    ) -> Self {
        Deadlines {
            timing,
            travel,
            scale,
            overrides,
            af,
            af_exposure_s,
        }
    }

    fn derived(&self, modelled_s: f64) -> Duration {
        let s = modelled_s * self.scale * FACTOR;
        let s = if s.is_finite() {
            s.clamp(0.0, MAX_DERIVED_S)
        } else {
            MAX_DERIVED_S
        };
        Duration::from_secs_f64(s) + MARGIN
    }

    /// A move by (dx, dy), or from an unknown position (`None`: the whole travel).
    pub fn move_xy(&self, delta: Option<(f64, f64)>) -> Duration {
        let (dx, dy) = delta.unwrap_or((self.travel.0, self.travel.1));
        self.overrides
            .move_xy
            .map_or_else(|| self.derived(self.timing.xy_move_s(dx, dy)), |d| d.std())
    }

    pub fn move_z(&self, delta: Option<f64>) -> Duration {
        let dz = delta.unwrap_or(self.travel.2);
        self.overrides
            .move_z
            .map_or_else(|| self.derived(self.timing.z_move_worst_s(dz)), |d| d.std())
    }

    /// `camera_s`: how long past the exposure the camera waits before failing by itself;
    /// the derived deadline leaves it the margin on top, so its own error is what is seen.
    pub fn capture(&self, exposure_s: f64, camera_s: f64) -> Duration {
        self.overrides.capture.map_or_else(
            || {
                let own = exposure_s * self.scale + camera_s;
                let own = if own.is_finite() {
                    own.clamp(0.0, MAX_DERIVED_S)
                } else {
                    0.0
                };
                self.derived(self.timing.frame_s(exposure_s))
                    .max(Duration::from_secs_f64(own) + MARGIN)
            },
            |d| d.std(),
        )
    }

    pub fn illumination(&self) -> Duration {
        self.overrides
            .illumination
            .map_or_else(|| self.derived(self.timing.switch_s), |d| d.std())
    }

    pub fn autofocus(&self) -> Duration {
        self.autofocus_of(&self.af, self.af_exposure_s)
    }

    /// An autofocus other than the protocol's own (a focus map's).
    pub fn autofocus_of(&self, af: &AutofocusPlan, exposure_s: f64) -> Duration {
        let modelled = match af.method {
            AfMethod::None => 0.0,
            AfMethod::Contrast => self
                .timing
                .contrast_af_s(af.range_um, af.step_um, exposure_s),
            AfMethod::Laser => self.timing.laser_af_s() * 2.0,
        };
        self.overrides
            .autofocus
            .map_or_else(|| self.derived(modelled) + MARGIN, |d| d.std())
    }

    pub fn save(&self) -> Duration {
        self.overrides.save.map_or(SAVE_DEFAULT, |d| d.std())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_deadlines_are_capped_and_never_panic() {
        let m = crate::microscope::MicroscopeConfig::builtin().expect("builtin");
        let mut t = m.timing();
        let af = AutofocusPlan {
            method: AfMethod::None,
            every: Default::default(),
            first_timepoint_only: false,
            range_um: 0.0,
            step_um: 0.0,
            channel: 0,
        };
        for speed in [1e-300, 0.0, f64::NAN, f64::INFINITY] {
            t.xy.speed.0 = speed;
            let d = Deadlines::new(
                t.clone(),
                (100.0, 100.0, 5.0),
                1.0,
                Timeouts::default(),
                af.clone(),
                0.0,
            );
            assert!(d.move_xy(None) <= Duration::from_secs_f64(MAX_DERIVED_S) + MARGIN);
        }
    }
}
