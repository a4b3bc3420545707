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
        Duration::from_secs_f64((modelled_s * self.scale * FACTOR).max(0.0)) + MARGIN
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
            .map_or_else(|| self.derived(self.timing.z_move_s(dz)), |d| d.std())
    }

    pub fn capture(&self, exposure_s: f64) -> Duration {
        self.overrides.capture.map_or_else(
            || self.derived(self.timing.frame_s(exposure_s)),
            |d| d.std(),
        )
    }

    pub fn illumination(&self) -> Duration {
        self.overrides
            .illumination
            .map_or_else(|| self.derived(self.timing.switch_s), |d| d.std())
    }

    pub fn autofocus(&self) -> Duration {
        let modelled = match self.af.method {
            AfMethod::None => 0.0,
            AfMethod::Contrast => {
                self.timing
                    .contrast_af_s(self.af.range_um, self.af.step_um, self.af_exposure_s)
            }
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
