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
/// How to cut the stage's motor drivers (the emergency stop's `--cut-motors`).
static MOTOR_HOOKS: Mutex<Hooks> = Mutex::new(Vec::new());
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
    for hooks in [&HOOKS, &MOTOR_HOOKS] {
        hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(k, _)| *k != token);
    }
}

/// Register (or replace) how to cut the motors, under the same token as the lights' hook.
pub fn register_motors(token: u64, hook: Arc<dyn LightsOff>) {
    let mut h = MOTOR_HOOKS.lock().unwrap_or_else(|p| p.into_inner());
    h.retain(|(k, _)| *k != token);
    h.push((token, hook));
}

/// Cut every registered stage's drivers; whether every board acknowledged it.
pub fn cut_motors(why: &str) -> bool {
    if MOTOR_HOOKS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_empty()
    {
        tracing::error!("no stage driver to cut ({why}): no board is connected");
        return false;
    }
    run_hooks(
        &MOTOR_HOOKS,
        &format!("the stage's motor drivers are cut ({why}): home before moving"),
        &format!("could not confirm the motor drivers are cut ({why})"),
    )
}

/// Call every hook in `hooks`, saying what each did; whether all confirmed.
fn run_hooks(hooks: &Mutex<Hooks>, done: &str, failed: &str) -> bool {
    let hooks: Hooks = hooks.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut all = true;
    for (_, h) in hooks {
        if h.all_off() {
            tracing::warn!("{done}");
        } else {
            all = false;
            tracing::error!("{failed}");
        }
    }
    all
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
    run_hooks(
        &HOOKS,
        &format!("every light turned off ({why})"),
        &format!("could not confirm every light is off ({why}): check the lasers"),
    )
}

/// An emergency stop being carried out (lights, then motors) on some thread.
static EMERGENCY_BUSY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run the emergency stop's device commands, marked as under way so that the process does
/// not end (its run or action failing from the interrupted command) before they are sent.
pub fn emergency<T>(f: impl FnOnce() -> T) -> T {
    EMERGENCY_BUSY.store(true, Ordering::SeqCst);
    let r = f();
    EMERGENCY_BUSY.store(false, Ordering::SeqCst);
    r
}

/// Before ending: let an emergency stop under way finish sending (bounded by `max`).
pub fn settle(max: std::time::Duration) {
    let t = std::time::Instant::now();
    while EMERGENCY_BUSY.load(Ordering::SeqCst) && t.elapsed() < max {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
