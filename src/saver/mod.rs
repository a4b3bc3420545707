//! The saver pool: a bounded queue in front of N saver threads, each owning the files routed
//! to it (so the pages of a stack stay in order in one file). When the queue is full the
//! acquisition waits — frames are never dropped — and that wait is supervised like any step.
//! A write error or a panic in a saver stops acquisition and is reported, never swallowed.

pub mod coordinates;
pub mod layout;
pub mod lzw;
pub mod ome_xml;
pub mod running_crc;
pub mod thumbnail;
pub mod tiff_file;
pub mod verify;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, bounded};

use crate::hardware::CallKind;
use crate::hardware::faults::FaultInjector;
use crate::plan::Event;
use crate::supervisor::registry;
pub use coordinates::Coordinates;
pub use layout::{FileDone, FileKey, Layout, StackWriter};

/// One acquired frame on its way to disk.
pub struct FrameMsg {
    pub ev: Event,
    pub pixels: Vec<u16>,
    pub width: u32,
    pub height: u32,
    /// Where the stage actually was (z after autofocus).
    pub stage_mm: (f64, f64, f64),
    /// What the camera reported for this frame (real cameras round and clamp exposures),
    /// not what the plan asked for.
    pub camera: crate::hardware::FrameMeta,
    /// Seconds on the microscope clock since the run started.
    pub elapsed_s: f64,
    pub wall_unix_s: f64,
}

pub enum SaverMsg {
    Frame(Box<FrameMsg>),
    /// The runner skipped the rest of this FOV visit: its files get nothing more.
    EndVisit {
        t: u32,
        region: u32,
        fov: u32,
    },
}

#[derive(Clone, Debug)]
pub struct PoolConfig {
    pub savers: usize,
    /// Frames that may wait in the queue (all savers together).
    pub capacity: usize,
    /// Savers making no progress for this long while the queue is full is a hang.
    pub save_deadline: Duration,
    /// The microscope's scripted `call: save` faults (a slow, failing or hung disk).
    pub faults: Option<Arc<FaultInjector>>,
}

impl PoolConfig {
    /// Defaults: one saver per core (at least 2), and a queue of at most 1/8 of the available
    /// memory or 512 MiB, whichever is smaller, at least 4 frames. A bigger queue only
    /// postpones back-pressure when the disk is slower than the camera, and every frame it
    /// holds is a fresh buffer the kernel must zero (2 GiB of them doubled the CPU a frame
    /// cost with LZW on a busy machine); it is for bursts, not for outrunning the disk.
    pub fn default_for(frame_bytes: u64) -> PoolConfig {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let avail = crate::fsutil::available_memory().unwrap_or(4 << 30);
        let budget = (avail / 8).min(512 << 20);
        PoolConfig {
            savers: cores.max(2),
            capacity: ((budget / frame_bytes.max(1)) as usize).max(4),
            save_deadline: Duration::from_secs(60),
            faults: None,
        }
    }
}

/// Why saving stopped.
#[derive(Clone, Debug)]
pub struct SaveFailure {
    pub message: String,
    pub path: Option<PathBuf>,
    pub free_bytes: Option<u64>,
}

impl std::fmt::Display for SaveFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(p) = &self.path {
            write!(f, " (file {})", p.display())?;
        }
        if let Some(b) = self.free_bytes {
            write!(f, "; {} free on that disk", crate::human::bytes(b))?;
        }
        Ok(())
    }
}

/// Counters and the first failure, shared by the savers, the sink and the runner.
#[derive(Default)]
pub struct PoolShared {
    pub planes_written: AtomicU64,
    /// Planes in finished files whose journal record was written: what is proven saved.
    pub planes_saved: AtomicU64,
    pub bytes_written: AtomicU64,
    pub queued: AtomicU64,
    pub lost: AtomicU64,
    /// Frames that found the queue full and waited for a saver (back-pressure), and the
    /// time they waited in all (ns): not device time, and never against a device deadline.
    pub waits: AtomicU64,
    pub waited_ns: AtomicU64,
    failure: Mutex<Option<SaveFailure>>,
    stop: AtomicBool,
    abort: AtomicBool,
    files: Mutex<Vec<FileDone>>,
    /// Called once when saving first fails (frees the run's space reserve).
    on_failure: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl PoolShared {
    pub fn failure(&self) -> Option<SaveFailure> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn fail(&self, f: SaveFailure) {
        let mut g = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none() {
            tracing::error!("saving failed: {f}");
            *g = Some(f);
            drop(g);
            if let Some(cb) = self
                .on_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
            {
                cb();
            }
        }
    }

    pub fn files(&self) -> Vec<FileDone> {
        self.files.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Called on the saver thread for each file finished (the journal records it).
pub type OnFile = Arc<dyn Fn(&FileDone) + Send + Sync>;

pub struct SaverPool {
    handles: Vec<std::thread::JoinHandle<()>>,
    /// Each saver's finished files not yet journaled: a saver that hangs in a write leaves
    /// its batch here, and `finish` journals it (those files were complete before the hang).
    pending: Vec<Arc<Mutex<Pending>>>,
    on_file: OnFile,
    pub shared: Arc<PoolShared>,
    coords: Option<Arc<Coordinates>>,
}

/// The runner's end of the queue.
#[derive(Clone)]
pub struct Sink {
    txs: Vec<Sender<SaverMsg>>,
    layout: Arc<dyn Layout>,
    pub shared: Arc<PoolShared>,
    save_deadline: Duration,
}

#[derive(Debug)]
pub enum SinkError {
    /// Saving failed; acquisition must stop.
    Failed(SaveFailure),
    /// A forced cancel: stop waiting for room in the queue.
    Cancelled,
}

/// Every saver thread is gone: nothing will write this frame.
fn savers_stopped() -> SinkError {
    SinkError::Failed(SaveFailure {
        message: "the savers stopped".into(),
        path: None,
        free_bytes: None,
    })
}

fn route(key: &FileKey, n: usize) -> usize {
    let h = (key.t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (key.region as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (key.fov as u64).wrapping_mul(0x1656_67B1_9E37_79F9)
        ^ key
            .channel
            .map_or(0, |c| c as u64 + 1)
            .wrapping_mul(0x27D4_EB2F_1656_67C5)
        ^ key.z.map_or(0, |z| z as u64 + 1).wrapping_mul(0x9E37_79B9);
    (h % n.max(1) as u64) as usize
}

impl Sink {
    /// Queue a frame. Waits while the queue is full (back-pressure) and says how long: the
    /// wait is the `save` step, whose deadline restarts whenever the savers make progress, so
    /// only savers that write nothing for that long are a hang.
    pub fn send(&self, f: FrameMsg, forced: &dyn Fn() -> bool) -> Result<Duration, SinkError> {
        let key = self.layout.key(&f.ev);
        let idx = route(&key, self.txs.len());
        let detail = format!("queueing frame {} for saver {idx}", f.ev.seq);
        let msg = SaverMsg::Frame(Box::new(f));
        if let Some(e) = self.shared.failure() {
            return Err(SinkError::Failed(e));
        }
        self.shared.queued.fetch_add(1, Ordering::SeqCst);
        let mut crumb = false;
        let mut progress = self.shared.planes_written.load(Ordering::SeqCst);
        let mut msg = match self.txs[idx].try_send(msg) {
            Ok(()) => return Ok(Duration::ZERO),
            Err(crossbeam_channel::TrySendError::Full(m)) => m,
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => {
                self.shared.queued.fetch_sub(1, Ordering::SeqCst);
                return Err(savers_stopped());
            }
        };
        let waiting = Instant::now();
        let result = loop {
            match self.txs[idx].send_timeout(msg, Duration::from_millis(20)) {
                Ok(()) => break Ok(()),
                Err(SendTimeoutError::Timeout(m)) => {
                    msg = m;
                    if !crumb {
                        registry::set_crumb("save", detail.clone(), Some(self.save_deadline));
                        crumb = true;
                    }
                    if let Some(e) = self.shared.failure() {
                        break Err(SinkError::Failed(e));
                    }
                    if forced() {
                        break Err(SinkError::Cancelled);
                    }
                    let p = self.shared.planes_written.load(Ordering::SeqCst);
                    if p != progress {
                        progress = p;
                        registry::touch_crumb();
                    }
                }
                Err(SendTimeoutError::Disconnected(_)) => break Err(savers_stopped()),
            }
        };
        if crumb {
            registry::clear_crumb();
        }
        let waited = waiting.elapsed();
        self.shared.waits.fetch_add(1, Ordering::SeqCst);
        self.shared
            .waited_ns
            .fetch_add(waited.as_nanos() as u64, Ordering::SeqCst);
        match result {
            Ok(()) => Ok(waited),
            Err(e) => {
                self.shared.queued.fetch_sub(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    /// Tell the savers a FOV visit was cut short (its files are final as they are).
    pub fn end_visit(&self, t: u32, region: u32, fov: u32) {
        if !self.layout.files_within_visit() {
            return;
        }
        for tx in &self.txs {
            let _ = tx.send_timeout(
                SaverMsg::EndVisit { t, region, fov },
                Duration::from_secs(1),
            );
        }
    }

    pub fn failure(&self) -> Option<SaveFailure> {
        self.shared.failure()
    }
}

/// Most stack files a saver keeps open at once; beyond this the least recently used one's
/// handle is closed (its state stays in memory, and it reopens on its next plane).
const MAX_OPEN_HANDLES: usize = 64;

impl SaverPool {
    pub fn start(
        layout: Arc<dyn Layout>,
        cfg: &PoolConfig,
        on_file: OnFile,
        coords: Option<Arc<Coordinates>>,
        on_failure: Option<Box<dyn FnOnce() + Send>>,
    ) -> std::io::Result<(SaverPool, Sink)> {
        let shared = Arc::new(PoolShared {
            on_failure: Mutex::new(on_failure),
            ..PoolShared::default()
        });
        let n = cfg.savers.max(1);
        let per = (cfg.capacity / n).max(1);
        let mut txs = Vec::new();
        let mut handles = Vec::new();
        let mut pendings = Vec::new();
        for i in 0..n {
            let (tx, rx) = bounded::<SaverMsg>(per);
            txs.push(tx);
            let pending = Arc::new(Mutex::new(Pending {
                files: Vec::new(),
                since: None,
                dir: layout.root().to_path_buf(),
            }));
            pendings.push(pending.clone());
            let (layout, shared, on_file, coords) = (
                layout.clone(),
                shared.clone(),
                on_file.clone(),
                coords.clone(),
            );
            let faults = cfg.faults.clone();
            handles.push(crate::supervisor::spawn(
                &format!("saver-{i}"),
                move || {
                    saver_loop(rx, layout, shared, on_file, coords, faults, pending);
                },
            )?);
        }
        let sink = Sink {
            txs,
            layout,
            shared: shared.clone(),
            save_deadline: cfg.save_deadline,
        };
        Ok((
            SaverPool {
                handles,
                pending: pendings,
                on_file,
                shared,
                coords,
            },
            sink,
        ))
    }

    /// Let the savers write everything queued, then finish every open file. With a grace
    /// period, stop writing when it runs out and count what was left as lost.
    pub fn finish(self, sink: Sink, grace: Option<Duration>) -> PoolReport {
        drop(sink);
        self.shared.stop.store(true, Ordering::SeqCst);
        let start = Instant::now();
        if let Some(g) = grace {
            while self.handles.iter().any(|h| !h.is_finished()) && start.elapsed() < g {
                std::thread::sleep(Duration::from_millis(10));
            }
            if self.handles.iter().any(|h| !h.is_finished()) {
                self.shared.abort.store(true, Ordering::SeqCst);
            }
        }
        // Savers notice `abort` within a write; a saver stuck in a dead disk is not waited for
        // beyond the grace period.
        let deadline = grace.map(|g| g + Duration::from_secs(5));
        for (h, pending) in self.handles.into_iter().zip(&self.pending) {
            if let Some(d) = deadline {
                while !h.is_finished() && start.elapsed() < d {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if !h.is_finished() {
                    // Hung: the files it finished before are synced and journaled here
                    // (unless it hangs in that very sync, holding them).
                    if let Ok(mut p) = pending.try_lock() {
                        p.flush(&self.shared, &self.on_file);
                    }
                    continue;
                }
            }
            let _ = h.join();
        }
        let coords_error = self.coords.as_ref().and_then(|c| c.finish().err());
        PoolReport {
            planes_written: self.shared.planes_written.load(Ordering::SeqCst),
            planes_saved: self.shared.planes_saved.load(Ordering::SeqCst),
            bytes_written: self.shared.bytes_written.load(Ordering::SeqCst),
            lost: self.shared.lost.load(Ordering::SeqCst)
                + self.shared.queued.load(Ordering::SeqCst),
            waits: self.shared.waits.load(Ordering::SeqCst),
            waited: Duration::from_nanos(self.shared.waited_ns.load(Ordering::SeqCst)),
            failure: self.shared.failure(),
            files: self.shared.files(),
            coords_error,
        }
    }
}

pub struct PoolReport {
    /// Planes handed to writers (some may be in files that could not be finished).
    pub planes_written: u64,
    /// Planes in finished files recorded in the journal.
    pub planes_saved: u64,
    pub bytes_written: u64,
    /// Frames acquired but not written (saving failed, or a forced stop ran out of time).
    pub lost: u64,
    /// Frames that waited for room in the queue, and for how long in all.
    pub waits: u64,
    pub waited: Duration,
    pub failure: Option<SaveFailure>,
    pub files: Vec<FileDone>,
    pub coords_error: Option<String>,
}

fn io_failure(e: &std::io::Error, path: Option<PathBuf>, what: &str) -> SaveFailure {
    let free = path
        .as_ref()
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
        .and_then(|d| crate::fsutil::free_space(&d))
        .map(|(b, _)| b);
    let kind = match e.raw_os_error() {
        Some(libc::ENOSPC) => "the disk is full",
        Some(libc::EDQUOT) => "the disk quota is exceeded",
        Some(libc::EFBIG) => "the file size limit was reached",
        Some(libc::EACCES) | Some(libc::EPERM) => "permission denied",
        Some(libc::EROFS) => "the file system is read-only",
        _ => "I/O error",
    };
    // ENOENT mid-run: a folder that existed is gone; name the highest one that vanished.
    if e.kind() == std::io::ErrorKind::NotFound
        && let Some(gone) = path.as_ref().and_then(|p| {
            p.ancestors()
                .skip(1)
                .take_while(|a| !a.exists())
                .last()
                .map(std::path::Path::to_path_buf)
        })
    {
        return SaveFailure {
            message: format!(
                "cannot {what}: {} vanished during the run (deleted, moved or unmounted)",
                gone.display()
            ),
            path,
            free_bytes: free,
        };
    }
    SaveFailure {
        message: format!("cannot {what}: {kind} ({e})"),
        path,
        free_bytes: free,
    }
}

/// Finished files wait here until one `syncfs` makes a batch of them durable; only then are
/// they reported (journaled) as saved. One sync per batch instead of one per file keeps a
/// run of small files (plain TIFF) at the disk's speed.
struct Pending {
    files: Vec<FileDone>,
    since: Option<Instant>,
    dir: PathBuf,
}

/// A batch is synced at this many files, or when its oldest has waited this long.
const SYNC_BATCH: usize = 64;
const SYNC_AFTER: Duration = Duration::from_millis(500);

impl Pending {
    fn push(&mut self, d: FileDone) {
        self.since.get_or_insert_with(Instant::now);
        self.files.push(d);
    }

    fn due(&self) -> bool {
        self.files.len() >= SYNC_BATCH || self.since.is_some_and(|t| t.elapsed() >= SYNC_AFTER)
    }

    fn flush(&mut self, shared: &PoolShared, on_file: &OnFile) {
        if self.files.is_empty() {
            return;
        }
        let r = crate::fsutil::sync_fs(&self.dir);
        match r {
            Ok(()) => {
                for d in self.files.drain(..) {
                    on_file(&d);
                    shared
                        .planes_saved
                        .fetch_add(d.planes as u64, Ordering::SeqCst);
                    shared
                        .files
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(d);
                }
            }
            Err(e) => {
                shared.fail(io_failure(
                    &e,
                    Some(self.dir.clone()),
                    "make finished files durable (sync)",
                ));
                self.files.clear();
            }
        }
        self.since = None;
    }
}

/// A scripted `call: save` fault, carried out in the saver as a disk would: a delay, an
/// error, a panic, or a write that never returns (a saver hang, on this thread's stack).
fn scripted(inj: &FaultInjector) -> std::io::Result<()> {
    let action = inj.on_call(CallKind::Save, "saver");
    inj.apply(action)
        .map_err(|e| std::io::Error::other(e.message))
}

struct Open {
    writer: Box<dyn StackWriter>,
    expected: u32,
    last_used: u64,
}

fn saver_loop(
    rx: Receiver<SaverMsg>,
    layout: Arc<dyn Layout>,
    shared: Arc<PoolShared>,
    on_file: OnFile,
    coords: Option<Arc<Coordinates>>,
    faults: Option<Arc<FaultInjector>>,
    pending: Arc<Mutex<Pending>>,
) {
    let mut open: HashMap<FileKey, Open> = HashMap::new();
    let mut tick: u64 = 0;
    let pending = || pending.lock().unwrap_or_else(|p| p.into_inner());
    let finish = |key: FileKey, o: Open, shared: &PoolShared| {
        let path = o.writer.temp_path().to_path_buf();
        let _ = key;
        // Its first plane never got in (the disk filled during it): the file holds nothing
        // to keep, and finished it would be a TIFF without a page. `resume` writes it anew.
        if o.writer.planes() == 0 {
            let _ = std::fs::remove_file(&path);
            return;
        }
        let r = crate::supervisor::panics::catch(move || o.writer.finish());
        match r {
            Ok(Ok(done)) => pending().push(done),
            Ok(Err(e)) => shared.fail(io_failure(&e, Some(path), "finish the file")),
            Err(p) => shared.fail(SaveFailure {
                message: format!("a saver {p}"),
                path: None,
                free_bytes: None,
            }),
        }
    };
    loop {
        if shared.abort.load(Ordering::SeqCst) {
            break;
        }
        {
            let mut p = pending();
            if p.due() {
                p.flush(&shared, &on_file);
            }
        }
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(SaverMsg::Frame(mut f)) => {
                shared.queued.fetch_sub(1, Ordering::SeqCst);
                if shared.failure().is_some() {
                    // Saving already failed: this frame cannot be written; count it.
                    shared.lost.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                tick += 1;
                let key = layout.key(&f.ev);
                if let std::collections::hash_map::Entry::Vacant(slot) = open.entry(key) {
                    match crate::supervisor::panics::catch(|| layout.open(&key)) {
                        Ok(Ok(w)) => {
                            slot.insert(Open {
                                writer: w,
                                expected: layout.expected_planes(&key),
                                last_used: tick,
                            });
                        }
                        Ok(Err(e)) => {
                            shared.fail(io_failure(&e, Some(layout.path(&key)), "create the file"));
                            shared.lost.fetch_add(1, Ordering::SeqCst);
                            continue;
                        }
                        Err(p) => {
                            shared.fail(SaveFailure {
                                message: format!("a saver {p}"),
                                path: None,
                                free_bytes: None,
                            });
                            shared.lost.fetch_add(1, Ordering::SeqCst);
                            continue;
                        }
                    }
                }
                let Some(o) = open.get_mut(&key) else {
                    continue;
                };
                o.last_used = tick;
                let crc = layout::pixel_crc(&f.pixels);
                let add = || {
                    if let Some(inj) = &faults {
                        scripted(inj)?;
                    }
                    o.writer.add(&f, crc)
                };
                match crate::supervisor::panics::catch(add) {
                    Ok(Ok(())) => {
                        shared.planes_written.fetch_add(1, Ordering::SeqCst);
                        shared
                            .bytes_written
                            .fetch_add(f.pixels.len() as u64 * 2, Ordering::SeqCst);
                        if let Some(c) = &coords {
                            c.record(&f);
                        }
                        crate::hardware::frame_pool::give_back(std::mem::take(&mut f.pixels));
                    }
                    Ok(Err(e)) => {
                        shared.lost.fetch_add(1, Ordering::SeqCst);
                        shared.fail(io_failure(
                            &e,
                            Some(o.writer.temp_path().to_path_buf()),
                            &format!("write frame {}", f.ev.seq),
                        ));
                        // Keep what the file already holds: finish it as it is if possible.
                        if let Some(o) = open.remove(&key) {
                            finish(key, o, &shared);
                        }
                        continue;
                    }
                    Err(p) => {
                        shared.lost.fetch_add(1, Ordering::SeqCst);
                        shared.fail(SaveFailure {
                            message: format!("a saver {p}"),
                            path: None,
                            free_bytes: None,
                        });
                        continue;
                    }
                }
                if o.writer.planes() >= o.expected
                    && let Some(o) = open.remove(&key)
                {
                    finish(key, o, &shared);
                }
                if open.len() > MAX_OPEN_HANDLES {
                    let mut by_age: Vec<(u64, FileKey)> =
                        open.iter().map(|(k, o)| (o.last_used, *k)).collect();
                    by_age.sort_unstable();
                    for (_, k) in by_age.iter().take(open.len() - MAX_OPEN_HANDLES) {
                        if let Some(o) = open.get_mut(k) {
                            o.writer.close_handle();
                        }
                    }
                }
            }
            Ok(SaverMsg::EndVisit { t, region, fov }) => {
                let keys: Vec<FileKey> = open
                    .keys()
                    .filter(|k| k.t == t && k.region == region && k.fov == fov)
                    .copied()
                    .collect();
                for k in keys {
                    if let Some(o) = open.remove(&k) {
                        finish(k, o, &shared);
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if shared.stop.load(Ordering::SeqCst) && rx.is_empty() {
                    break;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    // Whatever is still queued after an abort was acquired but not written.
    while let Ok(m) = rx.try_recv() {
        if let SaverMsg::Frame(_) = m {
            shared.queued.fetch_sub(1, Ordering::SeqCst);
            shared.lost.fetch_add(1, Ordering::SeqCst);
        }
    }
    // Stacks cut short are finished as they are: their metadata says how many planes they hold.
    let mut keys: Vec<FileKey> = open.keys().copied().collect();
    keys.sort_unstable();
    for k in keys {
        if let Some(o) = open.remove(&k) {
            finish(k, o, &shared);
        }
    }
    pending().flush(&shared, &on_file);
}
