//! One time point of one time-lapse sweep, as estimated or as it happened. The estimate and
//! the runner both produce these, so a dry run and an estimate print the same timeline.

/// Times are seconds on the microscope's clock from the start of the run.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Round {
    pub t: u32,
    pub sweep: u64,
    pub scheduled_s: f64,
    pub start_s: f64,
    pub end_s: f64,
    pub late_s: f64,
    pub frames: u64,
    pub autofocus_runs: u64,
    pub autofocus_s: f64,
    /// Took longer than the interval, so the next time point starts late (or is skipped).
    pub overran: bool,
    pub skipped: bool,
}

impl Round {
    pub fn start(t: u32, sweep: u64, scheduled_s: f64, now_s: f64, skipped: bool) -> Round {
        Round {
            t,
            sweep,
            scheduled_s,
            start_s: now_s,
            end_s: now_s,
            late_s: (now_s - scheduled_s).max(0.0),
            frames: 0,
            autofocus_runs: 0,
            autofocus_s: 0.0,
            overran: false,
            skipped,
        }
    }

    /// Close the round at `now_s`; whether it overran depends on the plan's interval.
    pub fn close(&mut self, now_s: f64, interval_s: f64, timepoints: u32) {
        if self.skipped {
            return;
        }
        self.end_s = now_s;
        self.overran =
            timepoints > 1 && interval_s > 0.0 && self.end_s - self.start_s > interval_s + 1e-9;
    }
}
