//! The serial link to the board: one I/O thread owns the port and puts every frame on the
//! wire, heartbeats included. A command is never sent before the previous one is answered
//! (the firmware's checksum path flushes everything queued, so a pipelined frame would be
//! lost); only heartbeats go out while a long command (homing, a move) is under way, so the
//! board's watchdog stays fed. A command that is not idempotent is resent only when the
//! board provably did not execute it; a light-off is resent first and fast.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded, unbounded};

use super::protocol::{Command, State, Status, StatusReader, Version};
use crate::hardware::LinkHealth;

/// b0 ≠ id this long after a write: the frame never arrived (Squid's rule).
const NOT_HEARD: Duration = Duration::from_millis(500);
/// For light-offs and heartbeats (idempotent, and late ones cost light or the watchdog):
/// three status periods without their id.
const FAST_NOT_HEARD: Duration = Duration::from_millis(30);
/// Checksum errors reported this soon after a write may predate it (the flag is sticky, and
/// packets already queued carry it): 2.5 status periods.
const QUIET: Duration = Duration::from_millis(25);
/// Squid gives up after 5 resends; a light-off keeps trying longer.
const MAX_RESENDS: u32 = 5;
const MAX_FAST_RESENDS: u32 = 20;
/// Status packets (10 ms apart) showing another id, after the quiet window, that prove the
/// board is running and did not hear a frame: its main loop reads the port between them.
const PROOF_PACKETS: u32 = 20;
/// The board sends a status every 10 ms; a gap this long is a late packet (Squid warns at it).
const LATE_STATUS: Duration = Duration::from_millis(100);
/// When a command counts as answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// Received and not refused: in progress or done.
    Accepted,
    /// Done (b1 = 0).
    Done,
    /// Done, and the reported positions (X, Y, Z in µsteps) are these: a move that stopped on
    /// a switch clears busy short of its target.
    At([Option<i32>; 3]),
    /// Any answer but a checksum error (a heartbeat leaves the last status as it was).
    Heard,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LinkError {
    /// The port failed, closed, or went silent.
    Disconnected(String),
    /// The board restarted: its id went back to 0 (or its version changed).
    Rebooted,
    /// Status 4: the board refused or failed the command.
    Rejected,
    /// Done, but not at the target: stopped on a switch or by another axis.
    StoppedShort(Status),
    /// No answer within the deadline (the board is still there).
    Timeout(String),
    /// Given up: resent too often, or interrupted to turn the lights off.
    Aborted(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Disconnected(m) => write!(f, "link lost: {m}"),
            LinkError::Rebooted => f.write_str("the board restarted"),
            LinkError::Rejected => f.write_str("the board refused the command (status 4)"),
            LinkError::StoppedShort(s) => write!(
                f,
                "the move ended short of its target (board at x {} y {} z {} µsteps)",
                s.x, s.y, s.z
            ),
            LinkError::Timeout(m) => write!(f, "no answer: {m}"),
            LinkError::Aborted(m) => f.write_str(m),
        }
    }
}

pub type LinkResult = Result<Status, LinkError>;

struct Job {
    cmd: Command,
    until: Until,
    deadline: Duration,
    reply: Option<Sender<LinkResult>>,
}

/// What the board last said, how the link is doing, and whether the board's watchdog may
/// have fired.
pub struct Shared {
    pub latest: Mutex<Option<Status>>,
    last_write: Mutex<Instant>,
    next_id: AtomicU8,
    /// An id other than 0 was seen since the last RESET: a 0 now means a reboot.
    nonzero_seen: AtomicBool,
    /// A RESET was sent and its 0 not seen yet: older packets still carry the old id.
    after_reset: AtomicBool,
    /// Nothing the board provably heard for (almost) its watchdog timeout: it may have
    /// turned every light off and disarmed itself.
    lapsed: AtomicBool,
    pub dead: Mutex<Option<LinkError>>,
    health: Mutex<LinkHealth>,
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        Arc::new(Shared {
            latest: Mutex::new(None),
            last_write: Mutex::new(Instant::now()),
            next_id: AtomicU8::new(0),
            nonzero_seen: AtomicBool::new(false),
            after_reset: AtomicBool::new(false),
            lapsed: AtomicBool::new(false),
            dead: Mutex::new(None),
            health: Mutex::new(LinkHealth::default()),
        })
    }

    /// How long since a frame was last written.
    fn since_write(&self) -> Duration {
        self.last_write
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }

    /// The id of the last frame written.
    pub fn last_id(&self) -> u8 {
        self.next_id.load(Ordering::SeqCst)
    }

    fn take_id(&self, cmd: &Command) -> u8 {
        if matches!(cmd, Command::Reset) {
            // The board sets its id to 0 on RESET; the host follows (Squid does the same).
            self.next_id.store(0, Ordering::SeqCst);
            self.nonzero_seen.store(false, Ordering::SeqCst);
            self.after_reset.store(true, Ordering::SeqCst);
            return 0;
        }
        // 1…255: 0 is left to RESET and reboots, so a 0 from the board is never ours.
        let id = match self.next_id.load(Ordering::SeqCst) {
            255 => 1,
            n => n + 1,
        };
        self.next_id.store(id, Ordering::SeqCst);
        id
    }

    /// A reconnect starts a new link on the same sequence; the watchdog may have fired in
    /// the gap.
    pub fn revive(&self) {
        *self.dead.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.lapsed.store(true, Ordering::SeqCst);
        self.count(|h| h.reconnects += 1);
    }

    fn set_dead(&self, e: LinkError) {
        let mut d = self.dead.lock().unwrap_or_else(|p| p.into_inner());
        if d.is_none() {
            *d = Some(e);
        }
    }

    pub fn dead(&self) -> Option<LinkError> {
        self.dead.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether the watchdog may have fired since it was last armed; taken by re-arming it.
    pub fn take_lapsed(&self) -> bool {
        self.lapsed.swap(false, Ordering::SeqCst)
    }

    pub fn lapsed(&self) -> bool {
        self.lapsed.load(Ordering::SeqCst)
    }

    /// Re-arming failed: the lapse is still to be answered.
    pub fn mark_lapsed(&self) {
        self.lapsed.store(true, Ordering::SeqCst);
    }

    /// Continue the counts of an earlier link to the same board.
    pub fn carry(&self, earlier: LinkHealth) {
        self.count(|h| {
            let mut sum = earlier;
            sum.add(h);
            sum.reconnects += 1;
            *h = sum;
        });
    }

    pub fn health(&self) -> LinkHealth {
        *self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count(&self, f: impl FnOnce(&mut LinkHealth)) {
        f(&mut self.health.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// How the link behaves; from the `squid:` settings.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// What turns every light off on this firmware: written without waiting when the board
    /// falls silent, so a board that only stalled turns them off as soon as it reads again.
    pub off: Vec<Command>,
    pub stale_after: Duration,
    /// The board's watchdog timeout, when it is armed: heartbeats go out four times per
    /// timeout, and a longer gap in what the board heard is a possible lapse.
    pub watchdog: Option<Duration>,
    pub allow_legacy: bool,
    /// The version the board reported at connect: another one is a different boot.
    pub version: Version,
}

impl LinkConfig {
    fn heartbeat(&self) -> Option<Duration> {
        self.watchdog.map(|w| w / 4)
    }

    /// Nothing heard for this long: the watchdog may have fired (two status periods and a
    /// margin early, as the board's clock and ours differ).
    fn lapse_after(&self) -> Option<Duration> {
        self.watchdog
            .map(|w| w.saturating_sub(Duration::from_millis(100)))
    }
}

/// The port, and the I/O thread that owns it.
pub struct Link {
    jobs: Sender<Job>,
    urgent: Sender<Job>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the link needs of a port: a serial port, or a pty in tests.
pub trait Port: Read + Write + Send {}
impl<T: Read + Write + Send> Port for T {}

impl Link {
    /// Start the I/O thread on a port already in step ([`resync`]), continuing `shared`'s
    /// id sequence (a reconnect keeps it, so a board that did not restart still answers to
    /// the last id).
    pub fn start(
        port: Box<dyn Port>,
        reader: StatusReader,
        shared: Arc<Shared>,
        config: LinkConfig,
    ) -> std::io::Result<Link> {
        let (jobs, rx) = unbounded();
        let (urgent, urx) = unbounded();
        let sh = shared.clone();
        let thread = crate::supervisor::spawn(super::IO_THREAD, move || {
            crate::supervisor::safety::this_thread_drives_lights();
            let now = Instant::now();
            IoThread {
                last_skipped: reader.skipped,
                port,
                reader,
                sh,
                config,
                jobs: rx,
                urgent: urx,
                inflight: None,
                beat: None,
                last_valid: now,
                unconfirmed: std::collections::VecDeque::new(),
                confirmed_at: now,
                last_crc: false,
            }
            .run()
        })?;
        Ok(Link {
            jobs,
            urgent,
            shared,
            thread: Some(thread),
        })
    }

    /// Send one command and wait for its answer.
    pub fn call(&self, cmd: Command, until: Until, deadline: Duration) -> LinkResult {
        self.submit(&self.jobs, cmd, until, deadline)
    }

    fn submit(
        &self,
        to: &Sender<Job>,
        cmd: Command,
        until: Until,
        deadline: Duration,
    ) -> LinkResult {
        if let Some(e) = self.shared.dead() {
            return Err(e);
        }
        let (tx, rx) = bounded(1);
        let job = Job {
            cmd,
            until,
            deadline,
            reply: Some(tx),
        };
        if to.send(job).is_err() {
            return Err(self
                .shared
                .dead()
                .unwrap_or_else(|| LinkError::Disconnected("the I/O thread has stopped".into())));
        }
        // The thread answers by the deadline; the margin only covers a thread that died.
        match rx.recv_timeout(deadline + Duration::from_secs(1)) {
            Ok(r) => r,
            Err(_) => Err(self.shared.dead().unwrap_or_else(|| {
                LinkError::Timeout("the serial I/O thread did not answer".into())
            })),
        }
    }

    /// A sender that turns the lights off with `commands` (what this board's firmware
    /// executes) without the board's lock, for the safety hooks.
    pub fn urgent_sender(&self, commands: Vec<Command>) -> UrgentOff {
        UrgentOff {
            urgent: self.urgent.clone(),
            commands: Arc::new(commands),
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Closing both channels stops the thread after what it has in flight.
        let (dead_tx, _) = unbounded();
        self.jobs = dead_tx.clone();
        self.urgent = dead_tx;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Turns every light off through a link, from any thread.
#[derive(Clone)]
pub struct UrgentOff {
    urgent: Sender<Job>,
    commands: Arc<Vec<Command>>,
}

impl UrgentOff {
    /// Queue the light-offs ahead of everything (abandoning what is in flight), and wait up
    /// to `wait` in all for the board to acknowledge them; true only when every one was.
    /// Every command is sent even when an earlier one is not acknowledged: a board busy with
    /// a move reports nothing done until it stops, yet it carries each command out at once.
    pub fn all_off(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        self.commands.iter().fold(true, |all, &cmd| {
            let (tx, rx) = bounded(1);
            let left = until.saturating_duration_since(Instant::now());
            let job = Job {
                cmd,
                until: Until::Done,
                deadline: left,
                reply: Some(tx),
            };
            let confirmed =
                self.urgent.send(job).is_ok() && matches!(rx.recv_timeout(left), Ok(Ok(_)));
            all && confirmed
        })
    }
}

struct InFlight {
    job: Job,
    id: u8,
    bytes: [u8; 8],
    started: Instant,
    written: Instant,
    resends: u32,
    /// The board has answered to this id.
    heard: bool,
    /// Heartbeats written while it was under way: the board reports the id of the last
    /// frame it received, so their ids answer for it.
    beats: Vec<u8>,
    /// Packets since the last write (after the quiet window) with another id and no
    /// checksum error: the board is running and has not heard this frame.
    unheard: u32,
    /// Checksum-error packets in a row since the quiet window.
    crc_run: u32,
}

impl InFlight {
    fn fast(&self) -> bool {
        self.job.cmd.turns_light_off()
    }
}

/// A heartbeat not yet seen by the board.
struct Beat {
    id: u8,
    bytes: [u8; 8],
    written: Instant,
    resends: u32,
    packets: u32,
}

struct IoThread {
    port: Box<dyn Port>,
    reader: StatusReader,
    sh: Arc<Shared>,
    config: LinkConfig,
    jobs: Receiver<Job>,
    urgent: Receiver<Job>,
    inflight: Option<InFlight>,
    beat: Option<Beat>,
    last_valid: Instant,
    /// Frames written and not yet seen in a status (id, when), oldest first.
    unconfirmed: std::collections::VecDeque<(u8, Instant)>,
    /// When the last frame the board provably received was written (its watchdog restarts).
    confirmed_at: Instant,
    last_skipped: u64,
    last_crc: bool,
}

impl IoThread {
    fn run(mut self) {
        let mut buf = [0u8; 4096];
        let mut closed = false;
        loop {
            match self.urgent.try_recv() {
                Ok(job) => {
                    if let Some(f) = self.inflight.take() {
                        reply(
                            f.job,
                            Err(LinkError::Aborted(
                                "interrupted: every light is being turned off".into(),
                            )),
                        );
                    }
                    if let Err(e) = self.begin(job) {
                        return self.die(e);
                    }
                }
                Err(TryRecvError::Disconnected) => closed = true,
                Err(TryRecvError::Empty) => {}
            }
            if self.inflight.is_none() {
                match self.jobs.try_recv() {
                    Ok(job) => {
                        if let Err(e) = self.begin(job) {
                            return self.die(e);
                        }
                    }
                    Err(TryRecvError::Disconnected) => closed = true,
                    Err(TryRecvError::Empty) => {}
                }
            }
            if closed && self.inflight.is_none() {
                return;
            }
            if let Err(e) = self.heartbeat() {
                return self.die(e);
            }
            match self.port.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => {
                    let packets = self.reader.push(&buf[..n]);
                    self.count_skipped();
                    for s in packets {
                        if let Err(e) = self.on_status(s) {
                            return self.die(e);
                        }
                    }
                }
                Err(e) if nothing_yet(&e) => {}
                Err(e) => {
                    return self.die(LinkError::Disconnected(format!("reading the port: {e}")));
                }
            }
            let silent = self.last_valid.elapsed();
            if silent > self.config.stale_after {
                return self.die(LinkError::Disconnected(format!(
                    "no status from the board for {:.2} s",
                    silent.as_secs_f64()
                )));
            }
            if let Err(e) = self.timers() {
                return self.die(e);
            }
            self.check_lapse();
        }
    }

    fn die(mut self, e: LinkError) {
        if matches!(e, LinkError::Disconnected(_)) {
            // Last words: a board that stalled reads these first when it wakes (a light it
            // turned on may be unanswered). Best effort: the reconnect turns them off for sure.
            for cmd in self.config.off.clone() {
                let id = self.sh.take_id(&cmd);
                if self.write(&cmd.encode(id)).is_err() {
                    break;
                }
            }
        }
        self.sh.set_dead(e.clone());
        self.sh.lapsed.store(true, Ordering::SeqCst);
        if let Some(f) = self.inflight.take() {
            reply(f.job, Err(e.clone()));
        }
        // Whatever is still queued learns it at once.
        for j in self.urgent.try_iter().chain(self.jobs.try_iter()) {
            reply(j, Err(e.clone()));
        }
    }

    fn write(&mut self, bytes: &[u8; 8]) -> Result<(), LinkError> {
        self.port
            .write_all(bytes)
            .and_then(|_| self.port.flush())
            .map_err(|e| LinkError::Disconnected(format!("writing the port: {e}")))?;
        let now = Instant::now();
        *self.sh.last_write.lock().unwrap_or_else(|p| p.into_inner()) = now;
        self.sh.count(|h| h.frames += 1);
        if self.unconfirmed.len() >= 256 {
            self.unconfirmed.pop_front();
        }
        self.unconfirmed.push_back((bytes[0], now));
        Ok(())
    }

    fn begin(&mut self, job: Job) -> Result<(), LinkError> {
        // The new frame feeds the watchdog itself; a heartbeat still unconfirmed is not
        // resent behind it (its id would hide the command's answer).
        self.beat = None;
        let id = self.sh.take_id(&job.cmd);
        let bytes = job.cmd.encode(id);
        self.write(&bytes)?;
        let now = Instant::now();
        self.inflight = Some(InFlight {
            job,
            id,
            bytes,
            started: now,
            written: now,
            resends: 0,
            heard: false,
            beats: Vec::new(),
            unheard: 0,
            crc_run: 0,
        });
        Ok(())
    }

    /// Feed the board's watchdog: when nothing was written for a quarter of its timeout, and
    /// no command is waiting to be heard (its own frame and resends feed it).
    fn heartbeat(&mut self) -> Result<(), LinkError> {
        let Some(every) = self.config.heartbeat() else {
            return Ok(());
        };
        if self.beat.is_some()
            || self.inflight.as_ref().is_some_and(|f| !f.heard)
            || self.sh.since_write() < every
        {
            return Ok(());
        }
        let id = self.sh.take_id(&Command::Heartbeat);
        let bytes = Command::Heartbeat.encode(id);
        self.write(&bytes)?;
        if let Some(f) = self.inflight.as_mut() {
            if f.beats.len() >= 64 {
                f.beats.remove(0);
            }
            f.beats.push(id);
        }
        self.beat = Some(Beat {
            id,
            bytes,
            written: Instant::now(),
            resends: 0,
            packets: 0,
        });
        Ok(())
    }

    fn resend_beat(&mut self, why: &str) -> Result<(), LinkError> {
        let Some(b) = self.beat.as_mut() else {
            return Ok(());
        };
        if b.resends >= MAX_FAST_RESENDS {
            // The lapse check re-arms the watchdog if the board heard none of them.
            self.beat = None;
            return Ok(());
        }
        b.resends += 1;
        b.packets = 0;
        let bytes = b.bytes;
        tracing::debug!("squid: resending a heartbeat ({why})");
        self.sh.count(|h| h.resends += 1);
        self.write(&bytes)?;
        if let Some(b) = self.beat.as_mut() {
            b.written = Instant::now();
        }
        Ok(())
    }

    fn resend(&mut self, why: &str) -> Result<(), LinkError> {
        let Some(f) = self.inflight.as_mut() else {
            return Ok(());
        };
        let max = if f.fast() {
            MAX_FAST_RESENDS
        } else {
            MAX_RESENDS
        };
        if f.resends >= max {
            let f = self.inflight.take();
            if let Some(f) = f {
                let msg = format!("{:?} given up after {max} resends ({why})", f.job.cmd);
                reply(f.job, Err(LinkError::Aborted(msg)));
            }
            return Ok(());
        }
        f.resends += 1;
        f.unheard = 0;
        f.crc_run = 0;
        let bytes = f.bytes;
        tracing::debug!("squid: resending {:?} ({why})", f.job.cmd);
        self.sh.count(|h| h.resends += 1);
        self.write(&bytes)?;
        if let Some(f) = self.inflight.as_mut() {
            f.written = Instant::now();
        }
        Ok(())
    }

    fn count_skipped(&mut self) {
        let skipped = self.reader.skipped;
        if skipped > self.last_skipped {
            let lost = (skipped - self.last_skipped).div_ceil(super::protocol::STATUS_LEN as u64);
            self.sh.count(|h| {
                h.resyncs += 1;
                h.status_unreadable += lost;
            });
            self.last_skipped = skipped;
        }
    }

    /// The board saw the frame with this id (and its checksum held): it and every frame
    /// before it arrived; the watchdog restarted when it was received.
    fn confirm(&mut self, id: u8) {
        let Some(i) = self.unconfirmed.iter().rposition(|(x, _)| *x == id) else {
            return;
        };
        let written = self.unconfirmed[i].1;
        self.unconfirmed.drain(..=i);
        if written > self.confirmed_at {
            self.confirmed_at = written;
        }
        if let Some(b) = &self.beat
            && !self.unconfirmed.iter().any(|(x, _)| *x == b.id)
        {
            self.beat = None;
        }
    }

    fn check_lapse(&mut self) {
        if let Some(after) = self.config.lapse_after()
            && self.confirmed_at.elapsed() >= after
            && !self.sh.lapsed.swap(true, Ordering::SeqCst)
        {
            // Counted once per lapse; the board re-arms before its next command.
            self.sh.count(|h| h.watchdog_lapses += 1);
            tracing::warn!(
                "squid: the board heard nothing for {:.2} s: its watchdog may have turned the lights off; re-arming it",
                self.confirmed_at.elapsed().as_secs_f64()
            );
            self.confirmed_at = Instant::now();
        }
    }

    fn on_status(&mut self, s: Status) -> Result<(), LinkError> {
        let now = Instant::now();
        if now.duration_since(self.last_valid) >= LATE_STATUS {
            self.sh.count(|h| h.status_late += 1);
        }
        self.last_valid = now;
        if s.version != self.config.version && !(self.config.allow_legacy && s.version.legacy()) {
            return Err(LinkError::Rebooted);
        }
        if self.sh.after_reset.load(Ordering::SeqCst) {
            if s.id == 0 {
                self.sh.after_reset.store(false, Ordering::SeqCst);
            }
        } else if s.state != State::ChecksumError {
            if s.id == 0 {
                if self.sh.nonzero_seen.load(Ordering::SeqCst) {
                    return Err(LinkError::Rebooted);
                }
            } else {
                self.sh.nonzero_seen.store(true, Ordering::SeqCst);
            }
        }
        *self.sh.latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(s);
        let crc = s.state == State::ChecksumError;
        if crc && !self.last_crc {
            self.sh.count(|h| h.checksum_errors += 1);
        }
        self.last_crc = crc;
        if !crc {
            self.confirm(s.id);
        }
        if let Some(b) = self.beat.as_mut()
            && b.written.elapsed() >= QUIET
        {
            b.packets += 1;
        }
        // The last frame written was a heartbeat (the command, if any, was heard before it):
        // a checksum error now is the heartbeat's, never the command's.
        let beat_last = self
            .beat
            .as_ref()
            .is_some_and(|b| self.inflight.as_ref().is_none_or(|f| b.written > f.written));
        if crc && beat_last {
            if self
                .beat
                .as_ref()
                .is_some_and(|b| b.written.elapsed() >= QUIET)
            {
                return self.resend_beat("checksum error");
            }
            return Ok(());
        }
        let Some(f) = self.inflight.as_mut() else {
            return Ok(());
        };
        if crc {
            // The board failed a frame's checksum and executed nothing: ours, mangled on the
            // way (whatever its id byte became). Packets from before the last write can still
            // carry the sticky flag, hence the quiet window; a command that must not run
            // twice wants the error twice in a row (a stale packet is followed by a clean
            // one once the frame executed).
            if f.heard || f.written.elapsed() < QUIET {
                return Ok(());
            }
            f.crc_run += 1;
            let needed = if f.job.cmd.idempotent() { 1 } else { 2 };
            if f.crc_run >= needed {
                return self.resend("checksum error");
            }
            return Ok(());
        }
        f.crc_run = 0;
        if s.id != f.id && !f.beats.contains(&s.id) {
            if f.written.elapsed() >= QUIET {
                f.unheard += 1;
            }
            return Ok(());
        }
        f.heard = true;
        let done = match (s.state, f.job.until) {
            (_, Until::Heard) => Some(Ok(s)),
            (State::ExecutionError, _) => Some(Err(LinkError::Rejected)),
            (State::InProgress, Until::Accepted) => Some(Ok(s)),
            (State::InProgress, _) => None,
            (State::Completed, Until::At(want)) => {
                let at = [s.x, s.y, s.z];
                let ok = want.iter().zip(at).all(|(w, a)| w.is_none_or(|w| w == a));
                Some(if ok {
                    Ok(s)
                } else {
                    Err(LinkError::StoppedShort(s))
                })
            }
            (State::Completed, _) => Some(Ok(s)),
            (State::ChecksumError | State::Other(_), _) => None,
        };
        if let Some(r) = done
            && let Some(f) = self.inflight.take()
        {
            reply(f.job, r);
        }
        Ok(())
    }

    fn timers(&mut self) -> Result<(), LinkError> {
        if let Some(b) = &self.beat
            && b.written.elapsed() > FAST_NOT_HEARD
            && b.packets >= 2
            && self.inflight.as_ref().is_none_or(|f| f.heard)
        {
            self.resend_beat("not heard")?;
        }
        let Some(f) = self.inflight.as_ref() else {
            return Ok(());
        };
        if f.started.elapsed() > f.job.deadline {
            let msg = format!(
                "{:?} not done within {:.2} s",
                f.job.cmd,
                f.job.deadline.as_secs_f64()
            );
            if let Some(f) = self.inflight.take() {
                reply(f.job, Err(LinkError::Timeout(msg)));
            }
            return Ok(());
        }
        if f.heard {
            return Ok(());
        }
        // b0 ≠ id: the frame never arrived (the board records the id even of a frame that
        // fails its checksum). A light-off goes again after three status periods; a command
        // that must not run twice only once the board has kept reporting another id for a
        // while (silence proves nothing: its status may be what was lost).
        let (wait, proven) = if f.fast() {
            (FAST_NOT_HEARD, f.unheard >= 2)
        } else if f.job.cmd.idempotent() {
            (NOT_HEARD, true)
        } else {
            (NOT_HEARD, f.unheard >= PROOF_PACKETS)
        };
        if f.written.elapsed() > wait && proven {
            return self.resend("not heard");
        }
        Ok(())
    }
}

fn reply(job: Job, r: LinkResult) {
    if let Some(tx) = job.reply {
        let _ = tx.send(r);
    }
}

/// Read until `needed` whole status packets in a row (the stream is in step), or `within`
/// runs out. Returns the reader (holding what came after) and the last packet.
pub fn resync(
    port: &mut dyn Port,
    allow_legacy: bool,
    needed: u32,
    within: Duration,
) -> Result<(StatusReader, Status), String> {
    let mut reader = StatusReader::default();
    reader.allow_legacy = allow_legacy;
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let mut got = 0u64;
    let mut run = 0u32;
    let mut legacy_seen = false;
    while start.elapsed() < within {
        match port.read(&mut buf) {
            Ok(n) => {
                got += n as u64;
                let before = reader.skipped;
                if !allow_legacy
                    && buf[..n].len() >= 24
                    && Status::decode(&buf[..24]).is_some_and(|s| s.version.legacy())
                {
                    legacy_seen = true;
                }
                let packets = reader.push(&buf[..n]);
                if reader.skipped != before {
                    run = 0;
                }
                for s in packets {
                    run += 1;
                    if run >= needed {
                        return Ok((reader, s));
                    }
                }
            }
            Err(e) if nothing_yet(&e) => {}
            Err(e) => return Err(format!("reading the port: {e}")),
        }
    }
    let secs = within.as_secs_f64();
    Err(if got == 0 {
        format!(
            "the port sent nothing in {secs:.1} s: is this the Squid board, and is its firmware running?"
        )
    } else if legacy_seen {
        "the board sends status packets without a firmware version (legacy firmware); set `squid.allow_legacy: true` to drive it with a reduced feature set, or update its firmware".to_string()
    } else {
        format!(
            "{got} bytes in {secs:.1} s and not one valid status packet: this port is not a Squid board, or its baud rate is wrong"
        )
    })
}

/// A read that timed out or was interrupted: no data yet, the port is still there.
fn nothing_yet(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut
            | std::io::ErrorKind::WouldBlock
            | std::io::ErrorKind::Interrupted
    )
}
