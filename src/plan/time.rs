//! Time points: how many, how far apart, and what a late one does.

use super::*;

#[derive(Clone, Copy, Debug)]
pub struct TimePlan {
    pub count: u32,
    pub interval: Duration,
    pub overrun: Overrun,
}

impl TimePlan {
    /// How late a time point may start under `overrun: skip` before it is skipped instead:
    /// a tenth of the interval.
    pub fn skip_grace_s(&self) -> f64 {
        0.1 * self.interval.secs()
    }
}

impl Builder<'_> {
    pub(super) fn time_plan(&mut self) -> TimePlan {
        let t = &self.lp.spec.time;
        let interval = t.every.unwrap_or_default();
        if t.every.is_some() && interval.0 == 0 {
            self.err_help(
                "time.every",
                "the interval must be positive",
                "write e.g. `every: 30m`",
            );
        }
        let count = match (t.count, t.for_, t.every) {
            (Some(_), Some(_), _) => {
                self.err_help(
                    "time.for",
                    "give either `count` or `for`, not both",
                    "e.g. `every: 30m` with `count: 24`, or with `for: 12h`",
                );
                1
            }
            (Some(0), _, _) => {
                self.err_help(
                    "time.count",
                    "a time-lapse has at least one time point",
                    "use `count: 1` or more",
                );
                1
            }
            (Some(n), None, None) if n > 1 => {
                self.err_help(
                    "time",
                    format!("{n} time points need an interval"),
                    "add `every:`, e.g. `every: 30m`",
                );
                1
            }
            (Some(n), None, _) => n,
            (None, Some(_), None) => {
                self.err_help(
                    "time",
                    "`for` needs an interval",
                    "add `every:`, e.g. `every: 30m`",
                );
                1
            }
            (None, Some(d), Some(e)) if e.0 > 0 => {
                (d.0 / e.0).saturating_add(1).min(u32::MAX as u64) as u32
            }
            (None, None, Some(_)) => {
                self.err_help(
                    "time",
                    "an interval needs a number of time points",
                    "add `count: N` or `for: 12h`",
                );
                1
            }
            _ => 1,
        };
        const MAX_TIMEPOINTS: u32 = 100_000_000;
        let count = if count > MAX_TIMEPOINTS {
            self.err_help(
                "time",
                format!(
                    "{count} time points is more than squidctl plans for (at most 100 million)"
                ),
                "check the interval and duration units",
            );
            1
        } else {
            count
        };
        TimePlan {
            count,
            interval,
            overrun: t.overrun,
        }
    }
}
