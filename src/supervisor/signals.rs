//! Stopping a run: a typed state machine fed by signals, the watchdog and the run itself.
//!
//! SIGINT, SIGTERM and SIGHUP are taken by one thread with `sigwait` (so we know which signal
//! came, and nothing runs in a signal handler). The first drains: the frame in flight is
//! finished and everything queued is written. The second stops fast: savers get a grace
//! period, every file is still finalised. The third exits at once; what is on disk stays
//! consistent because files are only renamed into place when complete and the journal is
//! append-only. A hang the watchdog declares, or a stop the run asks for itself (a lost
//! lock), drains too but is not counted as a signal: the user's first Ctrl-C still means
//! "drain". SIGUSR1 writes a thread dump. A SIGINT or SIGHUP ignored by whoever started us
//! (`nohup`, a background job) stays ignored.
//!
//! (The `ctrlc` crate cannot tell SIGINT from SIGTERM, ignores SIGHUP and SIGUSR1, so it
//! could not give 130 vs 143 or the on-demand dump.)

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use crate::exit::Exit;
use crate::run_dir::RunState;
use crate::run_dir::journal::{End, Record};

/// How far stopping has gone, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    #[default]
    Running,
    /// Finish the frame in flight, write everything queued.
    Draining,
    /// Stop now; savers get a grace period to finalise their files.
    Fast,
    /// Leave the process at once.
    Exit,
}

/// What the control loop should do after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing new (a repeated internal stop, a hang during a stop).
    Nothing,
    /// Say that a drain began, because of this signal (0: a hang or an internal stop).
    Drain(i32),
    /// Say that the stop is now fast; end the wait for the worker.
    Fast(i32),
    /// Exit the process now with this code.
    ExitNow(Exit),
}

/// The stop state: pure, so the control rules are tested without processes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Machine {
    pub level: Level,
    /// Cancelling signals received so far (hangs and internal stops are not counted).
    pub signals: u8,
    /// The first cancelling signal, 0 when none.
    pub first_signal: i32,
    /// An internal stop asked for before any signal, with its outcome.
    pub internal: Option<(Exit, String)>,
    pub hung: bool,
}

impl Machine {
    pub fn on_signal(&mut self, sig: i32) -> Action {
        self.signals = self.signals.saturating_add(1);
        if self.first_signal == 0 {
            self.first_signal = sig;
        }
        let want = match self.signals {
            1 => Level::Draining,
            2 => Level::Fast,
            _ => Level::Exit,
        };
        self.level = self.level.max(want);
        match want {
            Level::Draining => Action::Drain(sig),
            Level::Fast => Action::Fast(sig),
            _ => Action::ExitNow(signal_exit(self.first_signal)),
        }
    }

    /// The emergency stop: at least a fast stop, ending as an interrupt (130) unless a
    /// signal came first, so the run stays resumable.
    pub fn on_emergency(&mut self) -> Action {
        if self.first_signal == 0 {
            self.first_signal = libc::SIGINT;
        }
        self.signals = self.signals.max(2);
        if self.level >= Level::Fast {
            return Action::Nothing;
        }
        self.level = Level::Fast;
        Action::Fast(self.first_signal)
    }

    /// The watchdog declared a step hung: the worker must stop, the user's count stays.
    pub fn on_hang(&mut self) -> Action {
        self.hung = true;
        self.raise_to_drain()
    }

    /// The run stops itself (a lost lock), ending with this exit unless a signal came first.
    pub fn on_internal(&mut self, exit: Exit, why: String) -> Action {
        if self.internal.is_none() && self.first_signal == 0 {
            self.internal = Some((exit, why));
        }
        self.raise_to_drain()
    }

    fn raise_to_drain(&mut self) -> Action {
        if self.level == Level::Running {
            self.level = Level::Draining;
            Action::Drain(0)
        } else {
            Action::Nothing
        }
    }

    /// The internal stop's outcome, when no signal came before it.
    pub fn internal_stop(&self) -> Option<(Exit, String)> {
        if self.first_signal != 0 {
            return None;
        }
        self.internal.clone()
    }
}

/// The exit a cancelling signal gives: 130 for SIGINT, 143 for SIGTERM and SIGHUP.
pub fn signal_exit(sig: i32) -> Exit {
    if sig == libc::SIGINT {
        Exit::Interrupted
    } else {
        Exit::Terminated
    }
}

/// The stop state shared by the run's threads; `level` is kept apart so the acquisition
/// thread's frequent checks take no lock.
#[derive(Default)]
pub struct Cancel {
    level: AtomicU8,
    /// Set before the lights are cut: a frame the worker has not handed on yet is dropped.
    emergency: std::sync::atomic::AtomicBool,
    machine: Mutex<Machine>,
}

impl Cancel {
    fn apply(&self, f: impl FnOnce(&mut Machine) -> Action) -> Action {
        let mut m = self.machine.lock().unwrap_or_else(|p| p.into_inner());
        let a = f(&mut m);
        self.level.store(m.level as u8, Ordering::SeqCst);
        a
    }

    pub fn on_signal(&self, sig: i32) -> Action {
        self.apply(|m| m.on_signal(sig))
    }

    pub fn on_hang(&self) -> Action {
        self.apply(Machine::on_hang)
    }

    /// Mark the emergency before the lights go off (see [`Cancel::emergency`]).
    pub fn emergency_begins(&self) {
        self.emergency.store(true, Ordering::SeqCst);
    }

    /// An emergency stop came: frames acquired from now on may be dark.
    pub fn emergency(&self) -> bool {
        self.emergency.load(Ordering::SeqCst)
    }

    pub fn on_emergency(&self) -> Action {
        self.emergency_begins();
        self.apply(Machine::on_emergency)
    }

    /// A graceful stop asked for by the run itself (not a signal), with its outcome.
    pub fn stop_because(&self, exit: Exit, why: String) {
        self.apply(|m| m.on_internal(exit, why));
    }

    /// Any stop asked for: the worker finishes the frame in flight and ends.
    pub fn requested(&self) -> bool {
        self.level.load(Ordering::SeqCst) >= Level::Draining as u8
    }

    /// A fast stop: frames no longer wait for room in the saver queue.
    pub fn fast(&self) -> bool {
        self.level.load(Ordering::SeqCst) >= Level::Fast as u8
    }

    pub fn internal_stop(&self) -> Option<(Exit, String)> {
        self.snapshot().internal_stop()
    }

    /// The signal that started the cancel (0 when none, or an internal stop).
    pub fn signal(&self) -> i32 {
        self.snapshot().first_signal
    }

    pub fn snapshot(&self) -> Machine {
        self.machine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The third signal: record the end in the journal, make it durable, and leave. Files being
/// written keep their `.partial` names (never a half file under a final name), so `verify`
/// and `resume` see exactly what was finished.
pub fn exit_now(sig: i32, exit: Exit, records: &crate::run_dir::Records) -> ! {
    let reason = format!(
        "cancelled by {} three times: exited at once",
        signal_name(sig)
    );
    eprintln!(
        "squidctl: {reason}; unfinished files stay .partial — `squidctl resume` completes the run"
    );
    crate::supervisor::safety::all_lights_off("forced exit");
    records.emit(Record::End(End {
        state: RunState::Cancelled,
        reason: reason.clone(),
        counts: None,
        clock_s: None,
        exit_code: Some(exit.code()),
        fault: crate::fault::Fault::from_exit(exit, reason.clone()).map(|f| f.component("runner")),
    }));
    records.sync();
    std::process::exit(i32::from(exit.code()))
}

/// The emergency stop (`squidctl stop --now`): every light off at once, then a fast stop. A
/// real-time signal, so it is never one a shell or a terminal sends by accident.
pub fn estop_signal() -> libc::c_int {
    libc::SIGRTMIN() + 1
}

/// The emergency stop with `--cut-motors`: the lights, then the stage's motor drivers.
pub fn estop_cut_signal() -> libc::c_int {
    libc::SIGRTMIN() + 2
}

/// The signals the run handles itself.
fn run_signals() -> [libc::c_int; 6] {
    [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGUSR1,
        estop_signal(),
        estop_cut_signal(),
    ]
}

/// The signals that cancel a run.
const CANCEL_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Signals that were ignored when the process started, as a bit mask: `nohup` ignores SIGHUP
/// and a shell ignores SIGINT for its background jobs, and such a signal must not cancel a
/// night's run. They stay ignored (as Python and the shells do). SIGTERM is always obeyed.
static IGNORED_AT_START: AtomicU64 = AtomicU64::new(0);

fn ignored_at_start(sig: libc::c_int) -> bool {
    IGNORED_AT_START.load(Ordering::SeqCst) & (1 << sig) != 0
}

fn signal_set(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: plain sigset manipulation on a zeroed local.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            if !ignored_at_start(s) {
                libc::sigaddset(&mut set, s);
            }
        }
        set
    }
}

/// Block the run's signals in the calling thread and every thread it spawns afterwards; call
/// this first thing, before any other thread exists. Also ignore SIGXFSZ so a file-size limit
/// shows up as an I/O error we can report rather than killing the process, and SIGPIPE.
pub fn block_signals() {
    for s in [libc::SIGINT, libc::SIGHUP] {
        // SAFETY: reads the disposition only (no new action).
        let ignored = unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(s, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
        };
        if ignored {
            IGNORED_AT_START.fetch_or(1 << s, Ordering::SeqCst);
        }
    }
    let set = signal_set(&run_signals());
    // SAFETY: changes only this thread's mask and the dispositions of our own signals.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        // Blocked is not enough: the serialport crate polls with an empty signal mask, so
        // during a read a signal can land on the board's I/O thread, where the default
        // action would kill the process. A handler hands it on to the thread that waits for it.
        for &sig in &run_signals() {
            if ignored_at_start(sig) {
                continue;
            }
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = forward as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Per signal number, the thread that waits for it (0: the main thread, whose pending
/// signals `pending_cancel_signal` reads).
static WAITER: [std::sync::atomic::AtomicI32; 65] =
    [const { std::sync::atomic::AtomicI32::new(0) }; 65];

/// Runs only in a thread that had the signal unblocked (inside a foreign `ppoll`): re-send
/// it to the thread that waits for it, where it is blocked and stays pending until taken.
/// Async-signal-safe: atomics and two system calls.
extern "C" fn forward(sig: libc::c_int) {
    let tid = usize::try_from(sig)
        .ok()
        .and_then(|i| WAITER.get(i))
        .map_or(0, |w| w.load(Ordering::SeqCst));
    if tid > 0 {
        // SAFETY: getpid and tgkill are async-signal-safe system calls.
        unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, sig) };
    } else if (0..64).contains(&sig) {
        FORWARDED.fetch_or(1 << sig, Ordering::SeqCst);
    }
}

/// Signals handed on before any thread waited for them, as bits.
static FORWARDED: AtomicU64 = AtomicU64::new(0);

/// Take one of `signals` from [`FORWARDED`].
fn take_forwarded(signals: &[libc::c_int]) -> Option<i32> {
    signals.iter().copied().find(|&s| {
        (0..64).contains(&s) && FORWARDED.fetch_and(!(1 << s), Ordering::SeqCst) & (1 << s) != 0
    })
}

/// Make the calling thread the one `signals` are handed to.
fn wait_here(signals: &[libc::c_int]) {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    for &s in signals {
        if let Some(w) = usize::try_from(s).ok().and_then(|i| WAITER.get(i)) {
            w.store(tid, Ordering::SeqCst);
        }
    }
}

/// Wait for one of the run's signals (blocked everywhere, so only this sees them).
pub fn wait_signal() -> i32 {
    wait_here(&run_signals());
    if let Some(s) = take_forwarded(&run_signals()) {
        return s;
    }
    let set = signal_set(&run_signals());
    let mut sig: libc::c_int = 0;
    // SAFETY: sigwait with a valid set and out pointer.
    let r = unsafe { libc::sigwait(&set, &mut sig) };
    if r == 0 { sig } else { 0 }
}

/// Wait for the emergency stop only (an action's process, whose other signals stay pending
/// for [`pending_cancel_signal`]); whether the motors are to be cut too.
pub fn wait_estop() -> Option<bool> {
    let stops = [estop_signal(), estop_cut_signal()];
    wait_here(&stops);
    if let Some(s) = take_forwarded(&stops) {
        return Some(s == estop_cut_signal());
    }
    let set = signal_set(&stops);
    let mut sig: libc::c_int = 0;
    // SAFETY: sigwait with a valid set and out pointer.
    (unsafe { libc::sigwait(&set, &mut sig) } == 0).then(|| sig == estop_cut_signal())
}

/// A cancelling signal already pending (they are blocked during a run), without waiting.
pub fn pending_cancel_signal() -> Option<i32> {
    let set = signal_set(&CANCEL_SIGNALS);
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: sigtimedwait with a zero timeout on a valid set.
    let s = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &ts) };
    (s > 0)
        .then_some(s)
        .or_else(|| take_forwarded(&CANCEL_SIGNALS))
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGUSR1 => "SIGUSR1",
        s if s == estop_signal() || s == estop_cut_signal() => "the emergency stop",
        _ => "signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_two_three_signals_drain_then_stop_fast_then_exit() {
        let mut m = Machine::default();
        assert_eq!(m.on_signal(libc::SIGTERM), Action::Drain(libc::SIGTERM));
        assert_eq!(m.level, Level::Draining);
        assert_eq!(m.on_signal(libc::SIGINT), Action::Fast(libc::SIGINT));
        assert_eq!(m.level, Level::Fast);
        // The exit code follows the first signal.
        assert_eq!(m.on_signal(libc::SIGINT), Action::ExitNow(Exit::Terminated));
        assert_eq!(m.level, Level::Exit);
        assert_eq!(m.first_signal, libc::SIGTERM);
    }

    #[test]
    fn a_hang_does_not_use_up_the_first_ctrl_c() {
        let mut m = Machine::default();
        assert_eq!(m.on_hang(), Action::Drain(0));
        assert_eq!(m.on_hang(), Action::Nothing);
        assert_eq!(m.signals, 0);
        // The user's first Ctrl-C after a hang still drains, the second is the fast stop.
        assert_eq!(m.on_signal(libc::SIGINT), Action::Drain(libc::SIGINT));
        assert_eq!(m.on_signal(libc::SIGINT), Action::Fast(libc::SIGINT));
        assert_eq!(
            m.on_signal(libc::SIGINT),
            Action::ExitNow(Exit::Interrupted)
        );
    }

    #[test]
    fn an_internal_stop_keeps_its_outcome_unless_a_signal_came_first() {
        let mut m = Machine::default();
        assert_eq!(
            m.on_internal(Exit::Busy, "lock lost".into()),
            Action::Drain(0)
        );
        assert_eq!(m.internal_stop(), Some((Exit::Busy, "lock lost".into())));
        assert_eq!(m.on_signal(libc::SIGINT), Action::Drain(libc::SIGINT));
        assert_eq!(
            m.internal_stop(),
            None,
            "the user's signal decides the exit"
        );
        let mut m = Machine::default();
        m.on_signal(libc::SIGTERM);
        assert_eq!(m.on_internal(Exit::Busy, "late".into()), Action::Nothing);
        assert_eq!(m.internal_stop(), None);
    }

    #[test]
    fn the_shared_state_reads_what_the_machine_decided() {
        let c = Cancel::default();
        assert!(!c.requested() && !c.fast());
        c.on_hang();
        assert!(c.requested() && !c.fast());
        c.on_signal(libc::SIGINT);
        assert!(!c.fast());
        c.on_signal(libc::SIGINT);
        assert!(c.fast());
        assert_eq!(c.signal(), libc::SIGINT);
    }
}
