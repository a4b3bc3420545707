//! The serial link to the board: one I/O thread owns the port and puts every frame on the
//! wire, heartbeats included, one at a time. A command is never sent before the previous one
//! is answered (the firmware's checksum path flushes everything queued, so a pipelined frame
//! would be lost), and it is resent only when the board provably did not execute it.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded, unbounded};

use super::protocol::{Command, State, Status, StatusReader, Version};

/// b0 ≠ id this long after a write: the frame never arrived (Squid's rule).
const NOT_HEARD: Duration = Duration::from_millis(500);
/// Checksum errors reported this soon after a write may predate it (the flag is sticky, and
/// packets already queued carry it): 2.5 status periods.
const QUIET: Duration = Duration::from_millis(25);
/// Squid gives up after 5 resends.
const MAX_RESENDS: u32 = 5;

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

/// What the board last said, and counters for `devices` and the benchmarks.
pub struct Shared {
    pub latest: Mutex<Option<Status>>,
    last_write: Mutex<Instant>,
    next_id: AtomicU8,
    /// An id other than 0 was seen since the last RESET: a 0 now means a reboot.
    nonzero_seen: AtomicBool,
    /// A RESET was sent and its 0 not seen yet: older packets still carry the old id.
    after_reset: AtomicBool,
    pub dead: Mutex<Option<LinkError>>,
    pub frames: AtomicU64,
    pub resends: AtomicU64,
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        Arc::new(Shared {
            latest: Mutex::new(None),
            last_write: Mutex::new(Instant::now()),
            next_id: AtomicU8::new(0),
            nonzero_seen: AtomicBool::new(false),
            after_reset: AtomicBool::new(false),
            dead: Mutex::new(None),
            frames: AtomicU64::new(0),
            resends: AtomicU64::new(0),
        })
    }

    /// How long since a frame was last written (the board's watchdog counts the same).
    pub fn since_write(&self) -> Duration {
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

    /// A reconnect starts a new link on the same sequence.
    pub fn revive(&self) {
        *self.dead.lock().unwrap_or_else(|p| p.into_inner()) = None;
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
}

/// How the link behaves; from the `squid:` settings.
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    pub stale_after: Duration,
    /// Send a heartbeat after this long without a frame (the watchdog's half), if any.
    pub heartbeat: Option<Duration>,
    pub allow_legacy: bool,
    /// The version the board reported at connect: another one is a different boot.
    pub version: Version,
}

/// The port, and the I/O thread that owns it.
pub struct Link {
    jobs: Sender<Job>,
    urgent: Sender<Job>,
    pub shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A port as the link needs it: reads that wait briefly (a few ms) and then time out.
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
            IoThread {
                port,
                reader,
                sh,
                config,
                jobs: rx,
                urgent: urx,
                inflight: None,
                last_valid: Instant::now(),
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

    /// Ahead of anything queued or in flight (which is then abandoned): for turning the
    /// lights off when the run is in trouble.
    pub fn call_urgent(&self, cmd: Command, deadline: Duration) -> LinkResult {
        self.submit(&self.urgent, cmd, Until::Heard, deadline)
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

    /// A sender that can turn the lights off without the board's lock (for the safety hooks).
    pub fn urgent_sender(&self) -> UrgentOff {
        UrgentOff {
            urgent: self.urgent.clone(),
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
}

impl UrgentOff {
    /// Queue TURN_OFF_ALL_PORTS and the autofocus laser's pin low ahead of everything, and
    /// wait up to `wait` for the board to hear both.
    pub fn all_off(&self, wait: Duration) -> bool {
        let until = std::time::Instant::now() + wait;
        [
            Command::TurnOffAllPorts,
            Command::SetPinLevel {
                pin: super::board::AF_LASER_PIN,
                level: 0,
            },
        ]
        .into_iter()
        .all(|cmd| {
            let (tx, rx) = bounded(1);
            let left = until.saturating_duration_since(std::time::Instant::now());
            let job = Job {
                cmd,
                until: Until::Heard,
                deadline: left,
                reply: Some(tx),
            };
            self.urgent.send(job).is_ok() && matches!(rx.recv_timeout(left), Ok(Ok(_)))
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
}

struct IoThread {
    port: Box<dyn Port>,
    reader: StatusReader,
    sh: Arc<Shared>,
    config: LinkConfig,
    jobs: Receiver<Job>,
    urgent: Receiver<Job>,
    inflight: Option<InFlight>,
    last_valid: Instant,
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
            if self.inflight.is_none()
                && let Some(hb) = self.config.heartbeat
                && self.sh.since_write() >= hb
            {
                let job = Job {
                    cmd: Command::Heartbeat,
                    until: Until::Heard,
                    deadline: hb,
                    reply: None,
                };
                if let Err(e) = self.begin(job) {
                    return self.die(e);
                }
            }
            match self.port.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => {
                    let packets = self.reader.push(&buf[..n]);
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
        }
    }

    fn die(mut self, e: LinkError) {
        self.sh.set_dead(e.clone());
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
        *self.sh.last_write.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.sh.frames.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn begin(&mut self, job: Job) -> Result<(), LinkError> {
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
        });
        Ok(())
    }

    fn resend(&mut self, why: &str) -> Result<(), LinkError> {
        let Some(f) = self.inflight.as_mut() else {
            return Ok(());
        };
        if f.resends >= MAX_RESENDS {
            let f = self.inflight.take();
            if let Some(f) = f {
                let msg = format!(
                    "{:?} given up after {MAX_RESENDS} resends ({why})",
                    f.job.cmd
                );
                reply(f.job, Err(LinkError::Aborted(msg)));
            }
            return Ok(());
        }
        f.resends += 1;
        let bytes = f.bytes;
        tracing::debug!("squid: resending {:?} ({why})", f.job.cmd);
        self.sh.resends.fetch_add(1, Ordering::Relaxed);
        self.write(&bytes)?;
        if let Some(f) = self.inflight.as_mut() {
            f.written = Instant::now();
        }
        Ok(())
    }

    fn on_status(&mut self, s: Status) -> Result<(), LinkError> {
        self.last_valid = Instant::now();
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
        let Some(f) = self.inflight.as_mut() else {
            return Ok(());
        };
        if s.state == State::ChecksumError {
            // The board failed a frame's checksum and executed nothing: ours, mangled on the
            // way (whatever its id byte became). Packets from before the last write can still
            // carry the sticky flag, hence the quiet window.
            if f.written.elapsed() >= QUIET {
                return self.resend("checksum error");
            }
            return Ok(());
        }
        if s.id != f.id {
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
        if !f.heard && f.written.elapsed() > NOT_HEARD {
            // b0 ≠ id: the frame never arrived (the board records the id even of a frame
            // that fails its checksum), so sending it again cannot execute it twice.
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
