//! What a person sees while a run goes on. On a terminal: a progress bar (frames, percentage,
//! time left) and a status line (time point, well, FOV, rate, saver queue, MB/s, or a
//! countdown to the next time point), with log lines printed above them. Elsewhere (cron,
//! pipes) or with `--progress never`: no bars and no escape codes, but a plain progress line
//! every 30 s (`--progress-interval`) so a log shows where the run is.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::human;
use crate::plan::Plan;
use crate::run_dir::journal::Record;
use crate::runner::Tick;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Bars on a terminal, plain lines otherwise.
    Auto,
    /// Bars even when stderr is not a terminal.
    Always,
    /// Never bars: plain lines only.
    Never,
}

pub struct Display {
    plan: Arc<Plan>,
    bar: Option<ProgressBar>,
    plain_every: Duration,
    last_plain: Instant,
    started: Instant,
    queue_capacity: u64,
    /// Frames already taken before this session (a resumed run).
    offset: u64,
    last_bytes: Option<(Instant, u64)>,
    mb_s: f64,
    /// The plan's modelled duration: time left in a time-lapse is measured against it.
    estimated_s: f64,
    /// Held while the bars are on screen.
    quiet_echo: Option<crate::terminal::QuietControlEcho>,
    /// Why the run stands still (paused or suspended by the queue), from its records.
    held: Option<String>,
}

impl Display {
    pub fn new(
        mode: ProgressMode,
        plain_every: Duration,
        plan: Arc<Plan>,
        queue_capacity: u64,
        offset: u64,
        estimated_s: f64,
    ) -> Display {
        let bars = match mode {
            ProgressMode::Always => true,
            ProgressMode::Never => false,
            ProgressMode::Auto => std::io::stderr().is_terminal(),
        };
        let bar = bars.then(|| {
            let b = ProgressBar::with_draw_target(
                Some(plan.total_frames()),
                // Our own ticks (4 a second) set the pace; the limit only has to let all
                // three updates of a tick through, or the two lines show different moments.
                ProgressDrawTarget::stderr_with_hz(20),
            );
            let style = ProgressStyle::with_template(
                "{bar:20.cyan/blue} {pos}/{len} frames ({percent}%){prefix}\n  {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("█▉▊▋▌▍▎▏ ");
            b.set_style(style);
            b.set_position(offset);
            crate::logging::set_bar(Some(b.clone()));
            b
        });
        let quiet_echo = bar
            .as_ref()
            .and_then(|_| crate::terminal::QuietControlEcho::on_stderr());
        Display {
            plan,
            bar,
            plain_every,
            last_plain: Instant::now(),
            started: Instant::now(),
            queue_capacity,
            offset,
            last_bytes: None,
            mb_s: 0.0,
            estimated_s,
            quiet_echo,
            held: None,
        }
    }

    /// A record of the run: a pause or a suspension is shown until the run goes on.
    pub fn record(&mut self, r: &Record) {
        match r {
            Record::Paused(p) => {
                self.held = Some(format!(
                    "paused before well {} · fov {} · lights off",
                    p.region, p.fov
                ));
            }
            Record::Suspended(s) => {
                self.held = Some(format!("suspended ({}) · lights off", s.condition));
            }
            Record::Unpaused(_) | Record::Recovered(_) | Record::End(_) => self.held = None,
            _ => {}
        }
    }

    /// Time left (the bar's first line, after the counts; both lines fit 80 columns).
    fn pace(&self, t: &Tick<'_>) -> Option<String> {
        self.time_left(t)
            .map(|left| format!("about {} left", human::duration(left)))
    }

    /// Where the run is, its rate, and how the savers keep up (the bar's second line).
    fn whereabouts(&self, t: &Tick<'_>) -> Vec<String> {
        let s = t.stats;
        let tp = s.current_t.load(Ordering::Relaxed);
        let region = s.current_region.load(Ordering::Relaxed) as usize;
        let fov = s.current_fov.load(Ordering::Relaxed);
        let name = self
            .plan
            .regions
            .get(region)
            .map_or("?", |r| r.name.as_str());
        let mut parts = Vec::new();
        let waiting = f64::from_bits(s.waiting_until.load(Ordering::Relaxed));
        let timepoint = format!("t={}/{}", tp + 1, self.plan.time.count);
        if let Some(held) = &self.held {
            parts.push(held.clone());
        } else if waiting > 0.0 {
            parts.push(format!(
                "{timepoint} starts in {}",
                human::duration((waiting - t.clock_s) * t.clock_scale)
            ));
        } else {
            if self.plan.time.count > 1 {
                parts.push(timepoint);
            }
            parts.push(format!("well {name} · fov {fov}"));
        }
        let done = s.acquired.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed().as_secs_f64();
        if done > 0 && elapsed > 0.0 {
            parts.push(format!("{:.1} frames/s", done as f64 / elapsed));
        }
        if self.queue_capacity > 0 {
            parts.push(format!("queue {}/{}", t.queued, self.queue_capacity));
            parts.push(format!("{:.0} MB/s", self.mb_s));
        }
        parts
    }

    /// Time left: the time-lapse schedule when there is one, else the current rate.
    fn time_left(&self, t: &Tick<'_>) -> Option<f64> {
        let done = t.stats.acquired.load(Ordering::Relaxed);
        let planned = self.plan.total_frames().saturating_sub(self.offset);
        if done == 0 || done >= planned {
            return None;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let by_rate = (planned - done) as f64 * elapsed / done as f64;
        if self.plan.time.count > 1 && t.clock_scale > 0.0 {
            // A time-lapse is paced by its schedule: what is left of the modelled duration,
            // in wall-clock seconds (the simulator's clock may run faster).
            return Some((self.estimated_s - t.clock_s).max(0.0) * t.clock_scale);
        }
        Some(by_rate)
    }

    pub fn tick(&mut self, t: &Tick<'_>) {
        let now = Instant::now();
        if let Some((then, bytes)) = self.last_bytes {
            let dt = now.duration_since(then).as_secs_f64();
            if dt >= 1.0 {
                let rate = (t.bytes_written.saturating_sub(bytes)) as f64 / 1e6 / dt;
                self.mb_s = if self.mb_s == 0.0 {
                    rate
                } else {
                    0.7 * self.mb_s + 0.3 * rate
                };
                self.last_bytes = Some((now, t.bytes_written));
            }
        } else {
            self.last_bytes = Some((now, t.bytes_written));
        }
        let acquired = self.offset + t.stats.acquired.load(Ordering::Relaxed);
        match &self.bar {
            Some(b) => {
                b.set_prefix(self.pace(t).map_or_else(String::new, |p| format!(" · {p}")));
                b.set_message(self.whereabouts(t).join(" · "));
                b.set_position(acquired);
            }
            None => {
                if self.last_plain.elapsed() >= self.plain_every {
                    self.last_plain = now;
                    let planned = self.plan.total_frames();
                    tracing::info!(
                        "progress: {} of {} frames ({:.1}%), {}",
                        human::count(acquired),
                        human::count(planned),
                        acquired as f64 / planned.max(1) as f64 * 100.0,
                        self.whereabouts(t)
                            .into_iter()
                            .chain(self.pace(t))
                            .collect::<Vec<_>>()
                            .join(" · ")
                    );
                }
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            crate::logging::set_bar(None);
            b.finish_and_clear();
        }
        self.quiet_echo = None;
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_dir::journal::records;

    #[test]
    fn a_held_run_says_why_until_it_goes_on() {
        let plan = Arc::new(crate::test_support::plan_from(
            "name: p\nplate: {format: 96, wells: \"B2:B3\"}\nchannels: [{name: BF, exposure: 10ms, intensity: 20%}]\n",
        ));
        let mut d = Display::new(
            ProgressMode::Never,
            Duration::from_secs(3600),
            plan,
            8,
            0,
            10.0,
        );
        let stats = crate::runner::Stats::default();
        let tick = Tick {
            stats: &stats,
            planes_written: 0,
            bytes_written: 0,
            queued: 0,
            clock_s: 0.0,
            clock_scale: 1.0,
        };
        let line = |d: &Display| d.whereabouts(&tick).join(" · ");
        assert!(line(&d).starts_with("well B2 · fov 0"), "{}", line(&d));
        d.record(&Record::Paused(records::Paused {
            t: 0,
            region: "B3".into(),
            fov: 1,
            at: "fov".into(),
            reason: None,
        }));
        assert!(
            line(&d).starts_with("paused before well B3 · fov 1 · lights off"),
            "{}",
            line(&d)
        );
        d.record(&Record::Unpaused(records::Unpaused { paused_s: 3.0 }));
        assert!(line(&d).starts_with("well B2"), "{}", line(&d));
        d.record(&Record::Suspended(records::Suspended {
            condition: "free disk: 1 GB left".into(),
            t: 0,
            region: "B2".into(),
            fov: 0,
        }));
        assert!(
            line(&d).starts_with("suspended (free disk: 1 GB left) · lights off"),
            "{}",
            line(&d)
        );
        d.record(&Record::Recovered(records::Recovered { suspended_s: 1.0 }));
        assert!(line(&d).starts_with("well B2"), "{}", line(&d));
    }
}
