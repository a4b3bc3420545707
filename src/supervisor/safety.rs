//! Lights off when the run is in trouble: a driver that can light a sample registers how to
//! turn everything off, and the supervisor (a hung step), the signal handler (a forced exit)
//! and the panic hook call [`all_lights_off`]. Each hook must work without the device's lock,
//! which the stuck or panicking thread may hold.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub trait LightsOff: Send + Sync {
    /// Turn every light off, waiting a bounded time; whether the device confirmed it.
    fn all_off(&self) -> bool;
}

type Hooks = Vec<(u64, Arc<dyn LightsOff>)>;

static HOOKS: Mutex<Hooks> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Register (or, with the same token, replace) a hook; returns its token.
pub fn register(token: Option<u64>, hook: Arc<dyn LightsOff>) -> u64 {
    let t = token.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::SeqCst));
    let mut h = HOOKS.lock().unwrap_or_else(|p| p.into_inner());
    h.retain(|(k, _)| *k != t);
    h.push((t, hook));
    t
}

pub fn unregister(token: u64) {
    HOOKS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|(k, _)| *k != token);
}

thread_local! {
    static DRIVES_LIGHTS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called by a driver's thread that itself sends the light commands (a serial I/O thread):
/// a panic there must not wait on that same thread to turn the lights off.
pub fn this_thread_drives_lights() {
    DRIVES_LIGHTS.with(|d| d.set(true));
}

/// Whether this thread said it sends the light commands itself.
pub fn on_lights_thread() -> bool {
    DRIVES_LIGHTS.with(|d| d.get())
}

/// Turn every registered light off; says so in the log when there was anything to do.
/// Whether every device confirmed it.
pub fn all_lights_off(why: &str) -> bool {
    let hooks: Hooks = HOOKS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut all = true;
    for (_, h) in hooks {
        if h.all_off() {
            tracing::warn!("every light turned off ({why})");
        } else {
            all = false;
            tracing::error!("could not confirm every light is off ({why}): check the lasers");
        }
    }
    all
}
