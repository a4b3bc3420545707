//! A dump of every thread of the process: name, OS thread id, state, breadcrumb, and native
//! stack with function names and file:line — like `jstack` or Python's
//! `faulthandler.dump_traceback(all_threads=True)`.
//!
//! Each thread's stack is captured by signalling it (`tgkill` with SIGUSR2); the handler only
//! records raw return addresses into a slot, and symbols are resolved afterwards, outside the
//! handler. A thread that does not answer within [`PER_THREAD`] is reported without a stack so
//! it cannot stall the dump.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use super::registry::{self, gettid};

const MAX_FRAMES: usize = 128;
pub const PER_THREAD: Duration = Duration::from_millis(50);
const SIGNAL: libc::c_int = libc::SIGUSR2;

/// Where a signalled thread writes its return addresses.
struct Slot {
    tid: AtomicI32,
    ips: [AtomicUsize; MAX_FRAMES],
    len: AtomicUsize,
    done: AtomicBool,
}

impl Slot {
    fn new(tid: i32) -> Box<Slot> {
        Box::new(Slot {
            tid: AtomicI32::new(tid),
            ips: std::array::from_fn(|_| AtomicUsize::new(0)),
            len: AtomicUsize::new(0),
            done: AtomicBool::new(false),
        })
    }
}

static SLOT: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
static INSTALL: Once = Once::new();

extern "C" fn on_signal(_sig: libc::c_int, _info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: only atomics, gettid and the unwinder run here; errno is restored for the
    // interrupted code.
    unsafe {
        let errno = *libc::__errno_location();
        let slot = SLOT.load(Ordering::Acquire);
        if !slot.is_null() && (*slot).tid.load(Ordering::Acquire) == gettid() {
            let s = &*slot;
            let mut n = 0;
            backtrace::trace_unsynchronized(|f| {
                if n < MAX_FRAMES {
                    s.ips[n].store(f.ip() as usize, Ordering::Relaxed);
                    n += 1;
                    true
                } else {
                    false
                }
            });
            s.len.store(n, Ordering::Release);
            s.done.store(true, Ordering::Release);
        }
        *libc::__errno_location() = errno;
    }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: a plain sigaction with SA_RESTART so interrupted system calls resume and the
        // run is not disturbed.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(SIGNAL, &sa, std::ptr::null_mut());
        }
    });
}

/// Resolve symbols once in the background so the first real dump is fast.
pub fn warm_up() {
    install();
    let _ = std::thread::Builder::new()
        .name("symbols-warmup".into())
        .spawn(|| {
            backtrace::trace(|f| {
                backtrace::resolve(f.ip(), |_| {});
                true
            });
        });
}

/// Raw return addresses of thread `tid`, or None when it did not answer in time.
fn capture(tid: i32) -> Option<Vec<usize>> {
    if tid == gettid() {
        let mut v = Vec::new();
        backtrace::trace(|f| {
            v.push(f.ip() as usize);
            v.len() < MAX_FRAMES
        });
        return Some(v);
    }
    let slot = Box::into_raw(Slot::new(tid));
    SLOT.store(slot, Ordering::Release);
    // SAFETY: tgkill to a thread of our own process with a signal we handle.
    let sent = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, SIGNAL) } == 0;
    let start = Instant::now();
    // SAFETY: `slot` stays valid: we free it only if the handler finished with it.
    let s = unsafe { &*slot };
    while sent && !s.done.load(Ordering::Acquire) && start.elapsed() < PER_THREAD {
        std::thread::sleep(Duration::from_micros(200));
    }
    SLOT.store(std::ptr::null_mut(), Ordering::Release);
    if s.done.load(Ordering::Acquire) {
        let n = s.len.load(Ordering::Acquire);
        let v = (0..n).map(|i| s.ips[i].load(Ordering::Relaxed)).collect();
        // SAFETY: the handler is finished with it and no one else holds it.
        drop(unsafe { Box::from_raw(slot) });
        Some(v)
    } else {
        // A late handler may still write to it: leak it rather than free it under its feet.
        None
    }
}

/// One resolved frame: function and, where known, file:line.
fn resolve(ip: usize, first: bool) -> Vec<String> {
    let mut out = Vec::new();
    // Return addresses point after the call; look up the call itself.
    let lookup = if first { ip } else { ip.saturating_sub(1) };
    backtrace::resolve(lookup as *mut libc::c_void, |sym| {
        let name = sym
            .name()
            .map_or_else(|| "???".to_string(), |n| format!("{n:#}"));
        let place = match (sym.filename(), sym.lineno()) {
            (Some(f), Some(l)) => format!(" at {}:{l}", shorten(f)),
            _ => String::new(),
        };
        out.push(format!("{name}{place}"));
    });
    if out.is_empty() {
        out.push(format!("0x{ip:x} (no symbol)"));
    }
    out
}

/// Trim a source path to what a reader needs (`src/…`, `library/std/…`, `crate-1.0/src/…`),
/// wherever the checkout, toolchain or cargo registry happens to live.
fn shorten(p: &std::path::Path) -> String {
    if let Ok(rest) = p.strip_prefix(env!("CARGO_MANIFEST_DIR")) {
        return rest.display().to_string();
    }
    let s = p.display().to_string();
    for marker in ["/rustc/", "/registry/src/"] {
        if let Some(i) = s.find(marker) {
            let rest = &s[i + marker.len()..];
            // Drop the toolchain hash or the registry index directory.
            if let Some(j) = rest.find('/') {
                return rest[j + 1..].to_string();
            }
        }
    }
    s
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// State letter from /proc/…/stat and a word for it.
fn state(tid: i32) -> String {
    let stat = read(&format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let letter = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.trim_start().chars().next())
        .unwrap_or('?');
    let word = match letter {
        'R' => "running",
        'S' => "sleeping",
        'D' => "uninterruptible (disk) sleep",
        'T' => "stopped",
        't' => "tracing stop",
        'Z' => "zombie",
        'I' => "idle",
        _ => "unknown",
    };
    format!("{letter} ({word})")
}

pub struct ThreadDump {
    pub text: String,
    pub threads: usize,
    pub took: Duration,
}

/// Dump every thread. `reason` heads the dump ("capture missed its deadline", "SIGUSR1").
pub fn dump(reason: &str) -> ThreadDump {
    install();
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let start = Instant::now();
    let mut tids: Vec<i32> = std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    // Capture every stack first (fast, close together in time), then resolve symbols.
    let captured: Vec<(i32, Option<Vec<usize>>)> = tids.iter().map(|&t| (t, capture(t))).collect();
    let mut text = String::new();
    let now = crate::clock::WallTime::now();
    let _ = writeln!(
        text,
        "=== squidctl thread dump: {} threads, pid {}, {} ===\nreason: {reason}",
        tids.len(),
        std::process::id(),
        now.rfc3339()
    );
    let me = gettid();
    for (tid, ips) in captured {
        let comm = read(&format!("/proc/self/task/{tid}/comm")).unwrap_or_default();
        let entry = registry::by_tid(tid);
        let name = entry
            .as_ref()
            .map_or_else(|| comm.trim().to_string(), |e| e.name.clone());
        let _ = writeln!(
            text,
            "\nthread \"{name}\" (tid {tid}{}) state {}",
            if tid == me { ", this thread" } else { "" },
            state(tid)
        );
        if let Some(c) = entry.as_ref().and_then(|e| e.crumb()) {
            let el = c.started.elapsed().as_secs_f64();
            let deadline = c.deadline.map_or_else(String::new, |d| {
                format!(", deadline {:.2} s", d.as_secs_f64())
            });
            let _ = writeln!(
                text,
                "  doing: {} {} — for {el:.2} s{deadline}",
                c.step, c.detail
            );
        }
        match ips {
            None => {
                let _ = writeln!(
                    text,
                    "  (stack not captured: the thread did not answer within {} ms)",
                    PER_THREAD.as_millis()
                );
            }
            Some(ips) => {
                let frames: Vec<String> = ips
                    .iter()
                    .enumerate()
                    .flat_map(|(i, &ip)| resolve(ip, i == 0))
                    .collect();
                // Drop the capture machinery at the top of the stack (the handler and the
                // signal trampoline for other threads; the dump itself for this one).
                let marker = if tid == me {
                    "supervisor::dump::"
                } else {
                    "supervisor::dump::on_signal"
                };
                let mut skip = frames
                    .iter()
                    .rposition(|f| f.contains(marker))
                    .map_or(0, |i| i + 1);
                if tid != me
                    && frames
                        .get(skip)
                        .is_some_and(|f| f.contains("(no symbol)") || f.contains("__restore_rt"))
                {
                    skip += 1;
                }
                for (n, f) in frames.iter().skip(skip).enumerate() {
                    let _ = writeln!(text, "  #{n:<3} {f}");
                }
            }
        }
    }
    let took = start.elapsed();
    let _ = writeln!(
        text,
        "\n=== end of thread dump ({:.0} ms) ===",
        took.as_secs_f64() * 1000.0
    );
    ThreadDump {
        text,
        threads: tids.len(),
        took,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[inline(never)]
    fn distinctive_blocking_function(rx: mpsc::Receiver<()>) {
        let _ = rx.recv();
    }

    #[test]
    fn dump_shows_every_thread_with_stack_and_breadcrumb() {
        let (tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let h = crate::supervisor::spawn("test-blocked", move || {
            registry::set_crumb(
                "capture",
                "t=0 well=B2 fov=1".into(),
                Some(Duration::from_secs(1)),
            );
            let _ = ready_tx.send(());
            distinctive_blocking_function(rx);
        })
        .expect("spawn");
        ready_rx.recv().expect("ready");
        std::thread::sleep(Duration::from_millis(20));
        let d = dump("test");
        let _ = tx.send(());
        let _ = h.join();
        assert!(d.text.contains("thread \"test-blocked\""), "{}", d.text);
        assert!(
            d.text.contains("doing: capture t=0 well=B2 fov=1"),
            "{}",
            d.text
        );
        assert!(
            d.text.contains("distinctive_blocking_function"),
            "{}",
            d.text
        );
        assert!(d.text.contains("src/supervisor/dump.rs:"), "{}", d.text);
        assert!(d.threads >= 2);
        if std::env::var_os("SHOW_DUMP").is_some() {
            eprintln!("{}", d.text);
        }
    }

    #[test]
    fn source_paths_are_shortened_wherever_the_checkout_lives() {
        use std::path::Path;
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/runner/mod.rs");
        assert_eq!(shorten(&here), "src/runner/mod.rs");
        assert_eq!(
            shorten(Path::new("/rustc/5980761/library/std/src/rt.rs")),
            "library/std/src/rt.rs"
        );
        assert_eq!(
            shorten(Path::new(
                "/home/u/.cargo/registry/src/index.crates.io-1949/rayon-1.10.0/src/lib.rs"
            )),
            "rayon-1.10.0/src/lib.rs"
        );
        assert_eq!(shorten(Path::new("/opt/x/y.rs")), "/opt/x/y.rs");
    }
}
