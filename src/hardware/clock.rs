//! The microscope's notion of time. On hardware it is the monotonic clock; on the simulator
//! it is a virtual clock that advances by what the real instrument would have taken, while
//! real time passes `time_scale` times as fast (0: not at all).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub trait Clock: Send + Sync {
    /// Seconds since the clock started.
    fn now_s(&self) -> f64;
    /// Let `seconds` of device work pass (the simulator's devices call this).
    fn spend(&self, seconds: f64);
    /// Wait until `target_s`, returning early (false) as soon as `cancelled()` is true.
    fn wait_until(&self, target_s: f64, cancelled: &dyn Fn() -> bool) -> bool;
    /// Real seconds per clock second: 1 on hardware, the time scale on the simulator.
    fn scale(&self) -> f64;
}

/// Sleep in short slices so a cancel is seen within `slice`.
fn sleep_cancellable(real: Duration, cancelled: &dyn Fn() -> bool) -> bool {
    let slice = Duration::from_millis(20);
    let end = Instant::now() + real;
    loop {
        if cancelled() {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(slice));
    }
}

pub struct RealClock {
    start: Instant,
}

impl RealClock {
    pub fn new() -> Self {
        RealClock {
            start: Instant::now(),
        }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn now_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn spend(&self, seconds: f64) {
        if seconds > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(seconds));
        }
    }

    fn wait_until(&self, target_s: f64, cancelled: &dyn Fn() -> bool) -> bool {
        let now = self.now_s();
        if target_s <= now {
            return !cancelled();
        }
        sleep_cancellable(Duration::from_secs_f64(target_s - now), cancelled)
    }

    fn scale(&self) -> f64 {
        1.0
    }
}

/// Virtual time in nanoseconds, advanced by device work and waits.
pub struct VirtualClock {
    ns: AtomicU64,
    scale: f64,
}

impl VirtualClock {
    pub fn new(scale: f64) -> Self {
        VirtualClock {
            ns: AtomicU64::new(0),
            scale: scale.max(0.0),
        }
    }

    fn advance(&self, seconds: f64) {
        if seconds > 0.0 {
            self.ns
                .fetch_add((seconds * 1e9).round() as u64, Ordering::SeqCst);
        }
    }
}

impl Clock for VirtualClock {
    fn now_s(&self) -> f64 {
        self.ns.load(Ordering::SeqCst) as f64 * 1e-9
    }

    fn spend(&self, seconds: f64) {
        if seconds <= 0.0 {
            return;
        }
        self.advance(seconds);
        if self.scale > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(seconds * self.scale));
        }
    }

    fn wait_until(&self, target_s: f64, cancelled: &dyn Fn() -> bool) -> bool {
        let now = self.now_s();
        if target_s <= now {
            return !cancelled();
        }
        if self.scale <= 0.0 {
            if cancelled() {
                return false;
            }
            self.advance(target_s - now);
            return true;
        }
        // Sleep in slices, moving the virtual clock along, so a countdown shown meanwhile
        // counts down and a cancel is seen within a slice.
        let slice = Duration::from_millis(20);
        let target_ns = (target_s * 1e9).round() as u64;
        loop {
            if cancelled() {
                return false;
            }
            let now_ns = self.ns.load(Ordering::SeqCst);
            if now_ns >= target_ns {
                return true;
            }
            let left_ns = target_ns - now_ns;
            let real = Duration::from_secs_f64(left_ns as f64 * 1e-9 * self.scale).min(slice);
            std::thread::sleep(real);
            // At least a nanosecond, at most what is left: the loop always ends.
            let step = ((real.as_secs_f64() / self.scale * 1e9) as u64).clamp(1, left_ns);
            self.ns.fetch_add(step, Ordering::SeqCst);
        }
    }

    fn scale(&self) -> f64 {
        self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_advances_without_real_time_at_scale_zero() {
        let c = VirtualClock::new(0.0);
        let t0 = Instant::now();
        c.spend(3600.0);
        assert!(c.wait_until(7200.0, &|| false));
        assert!((c.now_s() - 7200.0).abs() < 1e-6);
        assert!(t0.elapsed() < Duration::from_millis(50));
    }

    #[test]
    fn waits_end_at_once_on_cancel() {
        let c = VirtualClock::new(1.0);
        let t0 = Instant::now();
        assert!(!c.wait_until(60.0, &|| true));
        assert!(t0.elapsed() < Duration::from_millis(50));
        assert!(c.now_s() < 1.0);
    }
}
