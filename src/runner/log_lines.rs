//! The log's side of a run's records: the warnings and errors a person reads on stderr and
//! in `squidctl.log`, said from the same record the journal keeps, with the plan's names.

use std::sync::Arc;

use crate::plan::Plan;
use crate::run_dir::Subscriber;
use crate::run_dir::journal::{LockEvent, Record};

pub struct LogLines {
    plan: Arc<Plan>,
    /// Back-pressure is said once a run (the journal and the counts keep every wait).
    said_backpressure: std::sync::atomic::AtomicBool,
}

impl LogLines {
    pub fn new(plan: Arc<Plan>) -> Arc<LogLines> {
        Arc::new(LogLines {
            plan,
            said_backpressure: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn region(&self, i: u32) -> String {
        region_name(&self.plan, i)
    }
}

fn region_name(plan: &Plan, i: u32) -> String {
    plan.regions
        .get(i as usize)
        .map_or_else(|| i.to_string(), |r| r.name.clone())
}

/// Where a step happened, as log lines, breadcrumbs and abort reasons name it.
pub fn place(plan: &Plan, t: u32, region: u32, fov: u32, z: u32, channel: u32) -> String {
    format!(
        "t={t} well={} fov={fov} z={z} channel={}",
        region_name(plan, region),
        plan.channels
            .get(channel as usize)
            .map_or_else(|| channel.to_string(), |c| c.name.clone())
    )
}

impl Subscriber for LogLines {
    fn record(&self, r: &Record) {
        match r {
            Record::StepError(e) => tracing::warn!(
                "{} failed at {}: {}{}",
                e.step,
                place(&self.plan, e.t, e.region, e.fov, e.z, e.channel),
                e.error,
                if e.will_retry {
                    format!(" (retry {} of {})", e.attempt, self.plan.on_error.retries)
                } else {
                    String::new()
                }
            ),
            Record::TimepointSkipped(tp) => tracing::warn!(
                "skipping time point t={}: its start passed {:.1} s ago (overrun: skip)",
                tp.t,
                tp.late_s
            ),
            Record::TimepointStart(tp) if tp.late_s > 0.5 && self.plan.time.count > 1 => {
                tracing::warn!(
                    "time point t={} starts {:.1} s late (overrun: run-late)",
                    tp.t,
                    tp.late_s
                )
            }
            Record::FovSkipped(s) => tracing::warn!(
                "skipping FOV {} of {} at t={} after {} failed: {}",
                s.fov,
                self.region(s.region),
                s.t,
                s.step,
                s.error
            ),
            Record::Timeout(t) => {
                tracing::error!("HUNG: {}", t.summary());
                eprintln!("{}", t.dump);
            }
            Record::BackPressure(b)
                if !self
                    .said_backpressure
                    .swap(true, std::sync::atomic::Ordering::Relaxed) =>
            {
                tracing::warn!(
                    "the savers are behind the camera: frame {} waited {:.1} s for room in their queue ({} frames); acquisition goes on at the disk's pace (back-pressure, not a fault)",
                    b.seq,
                    b.waited_s,
                    b.queued
                )
            }
            Record::Lock(l) if l.event == LockEvent::Retaken => tracing::warn!("{}", l.describe()),
            Record::Lock(l) => tracing::error!("{}", l.describe()),
            Record::Suspended(s) => tracing::warn!(
                "suspended before t={} {} FOV {} (lights off): {}",
                s.t,
                s.region,
                s.fov,
                s.condition
            ),
            _ => {}
        }
    }
}
