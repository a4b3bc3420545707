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

impl Hang {
    pub fn summary(&self) -> String {
        format!(
            "step `{}` ({}) on thread \"{}\" missed its {:.2} s deadline (noticed after {:.2} s)",
            self.crumb.step,
            self.crumb.detail,
            self.thread,
            self.crumb.deadline.map_or(0.0, |d| d.as_secs_f64()),
            self.noticed_after.as_secs_f64()
        )
    }
}

/// Watch until `stop` is set or a hang is found (then `on_hang` is called once).
pub fn start(
    stop: Arc<AtomicBool>,
    on_hang: impl FnOnce(Hang) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    super::spawn("watchdog", move || {
        while !stop.load(Ordering::SeqCst) {
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
            std::thread::sleep(TICK);
        }
    })
}
