//! `squidctl emulate mcu`: the Squid board's firmware behind a pseudo-terminal, so squidctl
//! (or anything that speaks the protocol) can be rehearsed without the hardware.

pub mod firmware;
pub mod pty;
pub mod transport;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::hardware::faults::SplitMix;
use crate::hardware::squid::protocol::Version;
use firmware::Firmware;
pub use transport::{Event, Faults};

/// Status packets go out this often, plus up to 2 ms of jitter (the firmware's "> 10 ms").
const STATUS_EVERY_S: f64 = 0.010;

pub struct Options {
    pub link: Option<PathBuf>,
    pub version: Version,
    pub log: Option<PathBuf>,
    pub faults: Faults,
}

/// What a camera wired to the board can see of it: where the stage is, what is lit, the
/// autofocus laser and the trigger pulses sent (the emulated camera draws from this).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    /// X, Y, Z, W in mm from the board's own pitch and microstepping (no host signs).
    pub positions_mm: [f64; 4],
    /// The lit source's code (LED matrix 0), and the one the last strobed pulse lit.
    pub lit: Option<u8>,
    pub last_strobe: Option<u8>,
    pub af_laser: bool,
    pub triggers: u64,
}

/// The board, its port, and what is scripted to go wrong with them.
pub struct Emulator {
    pty: Option<pty::Pty>,
    link: Option<PathBuf>,
    /// The current pty (a new one after each unplug).
    pub path: PathBuf,
    pub fw: Firmware,
    pub faults: Arc<Mutex<Faults>>,
    pub outputs: Arc<Mutex<Outputs>>,
    start: Instant,
    rng: SplitMix,
    next_status: f64,
    silent_until: f64,
    stall_until: f64,
    rx_paused_until: f64,
    replug_at: Option<f64>,
}

impl Emulator {
    pub fn open(link: Option<PathBuf>, version: Version, faults: Faults) -> std::io::Result<Self> {
        let pty = pty::Pty::open()?;
        if let Some(l) = &link {
            relink(l, &pty.path)?;
        }
        let mut faults = faults;
        let mut fw = Firmware::new(version);
        fw.lose = std::mem::take(&mut faults.lose);
        // The wall time of t = 0, so a test can set the log's times beside its own.
        fw.note(
            0.0,
            serde_json::json!({"kind": "started", "unix": crate::clock::WallTime::now().unix_s}),
        );
        Ok(Emulator {
            path: pty.path.clone(),
            pty: Some(pty),
            link,
            fw,
            faults: Arc::new(Mutex::new(faults)),
            outputs: Arc::default(),
            start: Instant::now(),
            rng: SplitMix(0x5155_1d00),
            next_status: 0.0,
            silent_until: 0.0,
            stall_until: 0.0,
            rx_paused_until: 0.0,
            replug_at: None,
        })
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One turn of the firmware's loop: at most a few ms.
    pub fn step(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        let now = self.now();
        if let Some(at) = self.replug_at {
            if now < at {
                std::thread::sleep(std::time::Duration::from_millis(1));
                return Ok(());
            }
            self.replug_at = None;
            let pty = pty::Pty::open()?;
            if let Some(l) = &self.link {
                relink(l, &pty.path)?;
            }
            self.path = pty.path.clone();
            self.pty = Some(pty);
            self.fw.note(
                now,
                serde_json::json!({"kind": "replug", "path": self.path}),
            );
        }
        if now < self.stall_until {
            std::thread::sleep(std::time::Duration::from_secs_f64(
                (self.stall_until - now).min(0.001),
            ));
            return Ok(());
        }
        let Some(pty) = self.pty.as_mut() else {
            return Ok(());
        };
        let wait_ms = ((self.next_status - now) * 1000.0).clamp(0.0, 2.0) as i32;
        if now >= self.rx_paused_until {
            if pty.wait_readable(wait_ms) {
                match pty.master.read(buf) {
                    Ok(n) => {
                        let bytes = self.faults().receive(&buf[..n]);
                        let at = self.now();
                        self.fw.receive(&bytes, at);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    // No host has the port open: nothing to read.
                    Err(e) if e.raw_os_error() == Some(libc::EIO) => {}
                    Err(e) => return Err(e),
                }
            }
        } else {
            std::thread::sleep(std::time::Duration::from_millis(wait_ms.max(0) as u64));
        }
        let now = self.now();
        self.fw.tick(now);
        self.publish();
        let due = self.faults().due(self.fw.commands, &self.fw.executed);
        for e in due {
            self.apply(e, now);
        }
        if now >= self.next_status && self.replug_at.is_none() {
            let packet = self.fw.status();
            let lost = match self.fw.last_exec {
                Some((id, code, k)) if packet[0] == id => self.faults().drops_ack(code, k),
                _ => false,
            };
            if lost {
                self.fw.note(
                    now,
                    serde_json::json!({"kind": "ack_dropped", "id": packet[0]}),
                );
            }
            if now >= self.silent_until && !lost {
                let bytes = self.faults().send(&packet);
                if let Some(pty) = self.pty.as_mut() {
                    // Never blocks: a full pty drops the packet, as the board's USB would.
                    let _ = pty.master.write(&bytes);
                }
            }
            self.next_status = now + STATUS_EVERY_S + (self.rng.next_u64() % 2000) as f64 / 1e6;
        }
        Ok(())
    }

    fn publish(&self) {
        let o = Outputs {
            positions_mm: self.fw.positions_mm(),
            lit: self.fw.lit(),
            last_strobe: self.fw.last_strobe,
            af_laser: self.fw.af_laser(),
            triggers: self.fw.triggers,
        };
        *self.outputs.lock().unwrap_or_else(|p| p.into_inner()) = o;
    }

    fn apply(&mut self, e: Event, now: f64) {
        let secs = |d: std::time::Duration| d.as_secs_f64();
        self.fw.note(
            now,
            serde_json::json!({"kind": "fault", "fault": format!("{e:?}")}),
        );
        match e {
            Event::Silence(d) => self.silent_until = now + secs(d),
            Event::Stall(d) => self.stall_until = now + secs(d),
            Event::Delay(d) => self.rx_paused_until = now + secs(d),
            Event::Unplug(d) => {
                // The port goes away: the host's reads and writes fail.
                self.pty = None;
                if let Some(l) = &self.link {
                    let _ = std::fs::remove_file(l);
                }
                self.replug_at = Some(now + secs(d));
            }
            Event::Reboot => self.fw.reboot(now),
            Event::LateFinalize(u) => self.fw.late_finalize_usteps = f64::from(u),
        }
    }

    fn remove_link(&self) {
        if let Some(link) = &self.link {
            let _ = std::fs::remove_file(link);
        }
    }
}

/// An emulator on its own thread, for tests in this process.
pub struct Running {
    pub path: PathBuf,
    pub faults: Arc<Mutex<Faults>>,
    pub outputs: Arc<Mutex<Outputs>>,
    /// Everything the board logged, as it happened.
    pub events: Arc<Mutex<Vec<serde_json::Value>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    pub fn events_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|e| e["kind"] == kind)
            .cloned()
            .collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Start an emulator on a thread (the board's loop runs until the handle is dropped).
pub fn spawn(link: Option<PathBuf>, version: Version, faults: Faults) -> std::io::Result<Running> {
    let mut emu = Emulator::open(link, version, faults)?;
    let path = emu.path.clone();
    let faults = emu.faults.clone();
    let outputs = emu.outputs.clone();
    let events = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ev, st) = (events.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("emulated-mcu".into())
        .spawn(move || {
            let mut buf = [0u8; 4096];
            let r = loop {
                if st.load(std::sync::atomic::Ordering::SeqCst) {
                    break Ok(());
                }
                if let Err(e) = emu.step(&mut buf) {
                    break Err(e);
                }
                if !emu.fw.events.is_empty() {
                    ev.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .append(&mut emu.fw.events);
                }
            };
            emu.remove_link();
            r
        })?;
    Ok(Running {
        path,
        faults,
        outputs,
        events,
        stop,
        thread: Some(thread),
    })
}

/// Serve until SIGINT or SIGTERM (blocked by the caller, so they wait to be noticed here).
/// Prints the port's path as the first line of stdout. `attach` wires devices that watch the
/// board (an emulated camera) before that line, and they live as long as the board.
pub fn serve<T>(
    opts: Options,
    attach: impl FnOnce(&Arc<Mutex<Outputs>>) -> std::io::Result<T>,
) -> std::io::Result<()> {
    let mut emu = Emulator::open(opts.link, opts.version, opts.faults)?;
    let _attached = match attach(&emu.outputs) {
        Ok(a) => a,
        Err(e) => {
            emu.remove_link();
            return Err(e);
        }
    };
    let mut log = match &opts.log {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => {
                emu.remove_link();
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot create the log {}: {e}", p.display()),
                ));
            }
        },
        None => None,
    };
    // Last, so that a reader of this line finds the link and the log in place.
    let mut out = std::io::stdout();
    writeln!(out, "{}", emu.path.display())?;
    out.flush()?;
    let mut buf = [0u8; 4096];
    let result = loop {
        if crate::supervisor::signals::pending_cancel_signal().is_some() {
            break Ok(());
        }
        if let Err(e) = emu.step(&mut buf) {
            break Err(e);
        }
        if let Some(l) = log.as_mut() {
            for e in emu.fw.events.drain(..) {
                writeln!(l, "{e}")?;
            }
            l.flush()?;
        } else {
            emu.fw.events.clear();
        }
    };
    emu.remove_link();
    result
}

/// Point `link` at the pty (replacing an old link, never a regular file).
fn relink(link: &Path, target: &Path) -> std::io::Result<()> {
    if let Ok(m) = std::fs::symlink_metadata(link) {
        if !m.file_type().is_symlink() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not a symlink; choose another --link",
                    link.display()
                ),
            ));
        }
        std::fs::remove_file(link)?;
    }
    std::os::unix::fs::symlink(target, link)
}
