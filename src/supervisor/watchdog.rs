//! The watchdog: every 20 ms it looks at every thread's breadcrumb, and the first step found
//! past its deadline is a hang — it dumps all threads and reports once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::dump::{ThreadDump, dump};
use super::registry::{self, Crumb};

/// How often breadcrumbs are checked: a missed deadline is noticed within this much.
pub const TICK: Duration = Duration::from_millis(20);

pub struct Hang {
    pub thread: String,
    pub crumb: Crumb,
    /// How long the step had run when it was noticed.
    pub noticed_after: Duration,
    pub dump: ThreadDump,
}

/// A watchdog tick this much later than planned means the process was stopped (or the whole
/// machine paused), not that a device hung.
pub const PAUSE_GAP: Duration = Duration::from_millis(250);

/// Watch until `stop` is set or a hang is found (then `on_hang` is called once).
pub fn start(
    stop: Arc<AtomicBool>,
    on_hang: impl FnOnce(Hang) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    super::spawn("watchdog", move || {
        let mut last = std::time::Instant::now();
        while !stop.load(Ordering::SeqCst) {
            // Measured first thing after waking, before any deadline is judged.
            let gap = last.elapsed();
            if gap > PAUSE_GAP {
                registry::credit_pause(gap.saturating_sub(TICK));
                tracing::info!(
                    "the process did not run for {:.1} s (stopped or paused); step deadlines are extended by that",
                    gap.as_secs_f64()
                );
            }
            for e in registry::entries() {
                let Some(c) = e.crumb() else { continue };
                let Some(deadline) = c.deadline else { continue };
                let elapsed = c.started.elapsed();
                if elapsed > deadline {
                    let h = Hang {
                        thread: e.name.clone(),
                        noticed_after: elapsed,
                        dump: dump(&format!(
                            "step `{}` ({}) on thread \"{}\" missed its {:.2} s deadline",
                            c.step,
                            c.detail,
                            e.name,
                            deadline.as_secs_f64()
                        )),
                        crumb: c,
                    };
                    on_hang(h);
                    return;
                }
            }
            last = std::time::Instant::now();
            std::thread::sleep(TICK);
        }
    })
}
