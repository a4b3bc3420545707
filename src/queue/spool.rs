//! The spool: one directory of plain files per microscope, every change made under one
//! `flock` and written durably, so each verb is a file operation that works with no worker
//! running and a crash leaves the queue as it was.
//!
//! ```text
//! <root>/<microscope>/spool.lock   flock, held only while changing something
//!                     seq          last task id
//!                     queue.json   the whole queue held or not, and the note
//!                     worker.json  the worker serving it: pid, boot, hold conditions
//!                     worker.lock  flock held by that worker for its life
//!                     events.ndjson
//!                     tasks/<id>/{task.json, protocol.yaml or (an action) result.json, state.json, output.log}
//! ```

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::{self, Event, NewEvent};
use super::task::{Spec, Status, Task};
use crate::fsutil::write_durable;

pub const TASK_SPEC: &str = "task.json";
pub const TASK_STATE: &str = "state.json";
pub const TASK_PROTOCOL: &str = "protocol.yaml";
/// What an action task's process gave back.
pub const TASK_RESULT: &str = "result.json";
pub const TASK_LOG: &str = "output.log";
pub const EVENTS: &str = "events.ndjson";
/// How often [`Spool::wait_ended`] looks at the tasks again.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// What can go wrong with a verb on the spool; each maps to an exit code.
#[derive(Debug)]
pub enum SpoolError {
    /// No such task: bad input (exit 2).
    NotFound(u64),
    /// The task is not in a state this verb applies to (exit 1).
    Refused(String),
    /// The spool could not be read or written (exit 1).
    Io(String),
    /// What was asked is malformed (too long, out of range): bad input (exit 2).
    Invalid(String),
}

impl SpoolError {
    /// As a fault of `component`: a missing task, a verb that does not apply now, a request
    /// the queue refuses, or the disk (its own I/O code).
    pub fn fault(&self, component: &str) -> crate::fault::Fault {
        use crate::fault::{Code, Fault, io_code};
        let code = match self {
            SpoolError::NotFound(_) => Code::UnknownResource,
            SpoolError::Refused(_) => Code::WrongState,
            SpoolError::Invalid(_) => Code::SchemaViolation,
            SpoolError::Io(m) => io_code(m),
        };
        Fault::new(code, self.to_string()).component(component)
    }
}

impl std::fmt::Display for SpoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpoolError::NotFound(id) => write!(
                f,
                "there is no task {id} in this queue (see `squidctl queue --all` or `squidctl history`)"
            ),
            SpoolError::Refused(m) | SpoolError::Io(m) | SpoolError::Invalid(m) => f.write_str(m),
        }
    }
}

/// `queue.json`: the operator's lock on the whole queue.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueueStatus {
    pub held: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// `worker.json`: the serving worker and the hold conditions its runs check.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WorkerInfo {
    pub pid: u32,
    pub host: String,
    pub boot_id: String,
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microscope_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_cmd: Option<String>,
    pub check_every_s: f64,
    pub settle_s: f64,
    /// Suspend when the disk holding the run has less free space than the rest needs.
    pub check_disk: bool,
}

/// Held while changing the spool; released when dropped.
pub struct Guard {
    _file: File,
}

#[derive(Clone, Debug)]
pub struct Spool {
    pub dir: PathBuf,
    pub microscope: String,
}

/// Where spools live: see [`crate::instrument::state_root`] (one directory per microscope
/// holds its queue and its instrument state).
pub fn root() -> Result<PathBuf, String> {
    crate::instrument::state_root()
}

/// The id a task directory's name gives, when it is one: decimal, no sign or leading zero.
fn task_id(name: &std::ffi::OsStr) -> Option<u64> {
    let n = name.to_str()?;
    let id: u64 = n.parse().ok()?;
    (id.to_string() == n).then_some(id)
}

/// Where `create` leaves the event of a task it is making until the event is in the log, so
/// a kill at any moment leaves the task with its event or neither (see `recover_locked`).
const PENDING: &str = "pending";

/// A task being made: its first event, and how long the log was before it.
#[derive(Serialize, Deserialize)]
struct PendingEvent {
    id: u64,
    log_len: u64,
    kind: String,
    data: serde_json::Map<String, Value>,
}

fn io_err(what: &str, path: &Path, e: io::Error) -> SpoolError {
    SpoolError::Io(format!("cannot {what} {}: {e}", path.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SpoolError> {
    let bytes = std::fs::read(path).map_err(|e| io_err("read", path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        SpoolError::Io(format!(
            "{} is damaged ({e}); fix or remove it",
            path.display()
        ))
    })
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<(), SpoolError> {
    let mut text = serde_json::to_vec_pretty(v).map_err(|e| SpoolError::Io(e.to_string()))?;
    text.push(b'\n');
    write_durable(path, &text).map_err(|e| io_err("write", path, e))
}

impl Spool {
    /// The spool of `microscope` under `root`, made if missing.
    pub fn open_in(root: &Path, microscope: &str) -> Result<Spool, SpoolError> {
        let dir = root.join(crate::plan::names::safe_name(microscope));
        let tasks = dir.join("tasks");
        std::fs::create_dir_all(&tasks).map_err(|e| io_err("create the queue", &tasks, e))?;
        Ok(Spool {
            dir,
            microscope: microscope.to_string(),
        })
    }

    pub fn open(microscope: &str) -> Result<Spool, SpoolError> {
        Self::open_in(&root().map_err(SpoolError::Io)?, microscope)
    }

    /// Every spool under the root (`--all`).
    pub fn all() -> Result<Vec<Spool>, SpoolError> {
        let root = root().map_err(SpoolError::Io)?;
        let mut out = Vec::new();
        let Ok(rd) = std::fs::read_dir(&root) else {
            return Ok(out);
        };
        for e in rd.flatten() {
            let dir = e.path();
            if !dir.join("tasks").is_dir() {
                continue;
            }
            let name = std::fs::read_to_string(dir.join("microscope"))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| e.file_name().to_string_lossy().into_owned());
            out.push(Spool {
                dir,
                microscope: name,
            });
        }
        out.sort_by(|a, b| a.microscope.cmp(&b.microscope));
        Ok(out)
    }

    /// The spool a task directory belongs to, and the task's id (run processes get this).
    pub fn of_task_dir(task_dir: &Path) -> Result<(Spool, u64), SpoolError> {
        let bad = || {
            SpoolError::Io(format!(
                "{} is not a task directory of a squidctl queue",
                task_dir.display()
            ))
        };
        let id: u64 = task_dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad)?;
        let dir = task_dir
            .parent()
            .and_then(|p| p.parent())
            .ok_or_else(bad)?
            .to_path_buf();
        let spec: Spec = read_json(&task_dir.join(TASK_SPEC))?;
        Ok((
            Spool {
                dir,
                microscope: spec.microscope,
            },
            id,
        ))
    }

    /// A lock file of the spool, made if missing.
    fn lock_file(&self, name: &str) -> Result<(File, PathBuf), SpoolError> {
        let path = self.dir.join(name);
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err("open", &path, e))?;
        Ok((f, path))
    }

    /// Take the spool's lock, first finishing whatever a killed process left half-made.
    pub fn lock(&self) -> Result<Guard, SpoolError> {
        use std::os::fd::AsRawFd;
        let (f, path) = self.lock_file("spool.lock")?;
        // SAFETY: flock on a descriptor we own; blocks until the holder is done (milliseconds).
        loop {
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
                break;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(io_err("lock", &path, e));
            }
        }
        let g = Guard { _file: f };
        self.recover_locked();
        Ok(g)
    }

    /// Under the lock, nobody is making a task: a `pending/` event is from a `create` that
    /// was killed. Its task, if it was renamed into place, gets its event (unless the log
    /// already has it); if not, the leftovers go. `.N.new` directories are leftovers too.
    fn recover_locked(&self) {
        let pending = self.dir.join(PENDING);
        let Ok(rd) = std::fs::read_dir(&pending) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Some(pe) = std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice::<PendingEvent>(&b).ok())
            else {
                let _ = std::fs::remove_file(&p);
                continue;
            };
            let made = self.task_dir(pe.id).join(TASK_SPEC).exists();
            if made && !self.logged_submit(pe.id, pe.log_len) {
                let ev =
                    events::QueueEvent::from_parts(pe.kind.clone(), pe.data).about(Some(pe.id));
                if let Err(e) = self.emit_locked(vec![ev]) {
                    tracing::warn!(
                        "task {}: its submitted event is still not logged: {e}",
                        pe.id
                    );
                    continue;
                }
                tracing::warn!(
                    "task {}: its submit was stopped before logging it; logged now",
                    pe.id
                );
            }
            let _ = std::fs::remove_dir_all(self.dir.join("tasks").join(format!(".{}.new", pe.id)));
            let _ = std::fs::remove_file(&p);
        }
        if let Ok(rd) = std::fs::read_dir(self.dir.join("tasks")) {
            for e in rd.flatten() {
                let n = e.file_name();
                let n = n.to_string_lossy();
                if n.starts_with('.') && n.ends_with(".new") {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }

    /// Whether the log, from byte `from` on, has task `id`'s submitted event.
    fn logged_submit(&self, id: u64, from: u64) -> bool {
        let mut found = false;
        let _ = events::scan(&self.events_path(), from, 0, |_, e| {
            found =
                e.task == Some(id) && matches!(e.event, events::QueueEvent::TaskSubmitted { .. });
            Ok(!found)
        });
        found
    }

    pub fn task_dir(&self, id: u64) -> PathBuf {
        self.dir.join("tasks").join(id.to_string())
    }

    pub fn events_path(&self) -> PathBuf {
        self.dir.join(EVENTS)
    }

    /// Task ids, ascending. Only directories named as the spool names them (`7`, never
    /// `007` or `+7`, which a restore or a hand could add) are tasks: a second directory for
    /// one id would make two tasks of it.
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = std::fs::read_dir(self.dir.join("tasks"))
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| task_id(&e.file_name()))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    pub fn spec(&self, id: u64) -> Result<Spec, SpoolError> {
        let p = self.task_dir(id).join(TASK_SPEC);
        if !p.exists() {
            return Err(SpoolError::NotFound(id));
        }
        read_json(&p)
    }

    pub fn status(&self, id: u64) -> Result<Status, SpoolError> {
        let p = self.task_dir(id).join(TASK_STATE);
        if !p.exists() {
            return Err(SpoolError::NotFound(id));
        }
        read_json(&p)
    }

    pub fn task(&self, id: u64) -> Result<Task, SpoolError> {
        Ok(Task {
            spec: self.spec(id)?,
            status: self.status(id)?,
        })
    }

    /// Every readable task; a damaged one is reported and left out.
    pub fn tasks(&self) -> Vec<Task> {
        self.ids()
            .into_iter()
            .filter_map(|id| match self.task(id) {
                Ok(t) => Some(t),
                // Being created right now (its files come one by one under the lock).
                Err(SpoolError::NotFound(_)) => None,
                Err(e) => {
                    tracing::warn!("task {id}: {e}");
                    None
                }
            })
            .collect()
    }

    /// Make a task: the next id, its files, its first event — all under the lock, and all
    /// or nothing: a failure at any step (a full disk) leaves no task, and a kill at any
    /// step is finished or undone by the next lock (see `recover_locked`).
    /// `build` gets the id and the task directory (to put its protocol snapshot in).
    pub fn create(
        &self,
        build: impl FnOnce(u64, &Path) -> Result<(Spec, Status), SpoolError>,
    ) -> Result<(Task, Event), SpoolError> {
        let _g = self.lock()?;
        let seq_path = self.dir.join("seq");
        let last: u64 = std::fs::read_to_string(&seq_path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        // Never reuse an id, even one whose directory `gc` removed or whose seq was lost.
        let Some(id) = last
            .max(self.ids().last().copied().unwrap_or(0))
            .checked_add(1)
        else {
            return Err(SpoolError::Io(format!(
                "no task id is left after {}: a task directory or the `seq` file in {} holds the largest id; remove it",
                u64::MAX,
                self.dir.display()
            )));
        };
        write_durable(&seq_path, format!("{id}\n").as_bytes())
            .map_err(|e| io_err("write", &seq_path, e))?;
        let name_file = self.dir.join("microscope");
        if !name_file.exists() {
            let _ = write_durable(&name_file, format!("{}\n", self.microscope).as_bytes());
        }
        let dir = self.task_dir(id);
        let tmp = self.dir.join("tasks").join(format!(".{id}.new"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| io_err("create", &tmp, e))?;
        let made = build(id, &tmp).and_then(|(spec, status)| {
            write_json(&tmp.join(TASK_SPEC), &spec)?;
            write_json(&tmp.join(TASK_STATE), &status)?;
            Ok((spec, status))
        });
        let (spec, status) = match made {
            Ok(x) => x,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        let ev = events::QueueEvent::TaskSubmitted {
            state: status.state,
            label: spec.label.clone(),
            protocol: spec.protocol_file.clone(),
            priority: status.priority,
            submitter: spec.submitter.clone(),
        }
        .about(Some(id));
        // The event waits beside the queue until it is in the log.
        let pending_dir = self.dir.join(PENDING);
        let marker = pending_dir.join(format!("{id}.json"));
        let (kind, data) = ev
            .event
            .parts()
            .map_err(|e| SpoolError::Io(e.to_string()))?;
        let pe = PendingEvent {
            id,
            log_len: std::fs::metadata(self.events_path()).map_or(0, |m| m.len()),
            kind,
            data,
        };
        let undo = |e: SpoolError| {
            let _ = std::fs::remove_dir_all(&tmp);
            let _ = std::fs::remove_file(&marker);
            e
        };
        std::fs::create_dir_all(&pending_dir)
            .map_err(|e| io_err("create", &pending_dir, e))
            .and_then(|()| write_json(&marker, &pe))
            .map_err(undo)?;
        // The task appears whole or not at all.
        std::fs::rename(&tmp, &dir)
            .map_err(|e| io_err("create", &dir, e))
            .map_err(undo)?;
        let _ = crate::fsutil::sync_dir(&self.dir.join("tasks"));
        let written = match self.emit_locked(vec![ev]) {
            Ok(w) => w,
            Err(e) => {
                // No event, no task: a client told "failed" must not find it run.
                let back = std::fs::rename(&dir, &tmp);
                let _ = std::fs::remove_dir_all(&tmp);
                if back.is_ok() {
                    let _ = std::fs::remove_file(&marker);
                    let _ = crate::fsutil::sync_dir(&self.dir.join("tasks"));
                }
                return Err(e);
            }
        };
        let _ = std::fs::remove_file(&marker);
        let ev = written.into_iter().next().ok_or_else(|| {
            SpoolError::Io("the event log wrote no event for the new task".into())
        })?;
        Ok((Task { spec, status }, ev))
    }

    /// Change one task under the lock. `f` sees the task and changes its status, returning
    /// the events to log; an error leaves the task untouched.
    pub fn update<R>(
        &self,
        id: u64,
        f: impl FnOnce(&Spec, &mut Status) -> Result<(R, Vec<NewEvent>), SpoolError>,
    ) -> Result<R, SpoolError> {
        let _g = self.lock()?;
        self.update_locked(id, f)
    }

    /// [`Spool::update`] for a caller that already holds the lock.
    pub fn update_locked<R>(
        &self,
        id: u64,
        f: impl FnOnce(&Spec, &mut Status) -> Result<(R, Vec<NewEvent>), SpoolError>,
    ) -> Result<R, SpoolError> {
        let spec = self.spec(id)?;
        let mut status = self.status(id)?;
        let (r, evs) = f(&spec, &mut status)?;
        write_json(&self.task_dir(id).join(TASK_STATE), &status)?;
        self.emit_locked(evs)?;
        Ok(r)
    }

    /// Log events; the caller holds the lock.
    pub fn emit_locked(&self, evs: Vec<NewEvent>) -> Result<Vec<Event>, SpoolError> {
        let p = self.events_path();
        events::append(&p, &self.microscope, evs).map_err(|e| io_err("append to", &p, e))
    }

    pub fn emit(&self, evs: Vec<NewEvent>) -> Result<Vec<Event>, SpoolError> {
        let _g = self.lock()?;
        self.emit_locked(evs)
    }

    /// Poll until every task in `ids` has ended, or `timeout` has passed: their statuses as
    /// they are then (the caller sees from them which it was).
    pub fn wait_ended(
        &self,
        ids: &[u64],
        timeout: Option<std::time::Duration>,
    ) -> Result<Vec<Status>, SpoolError> {
        let start = std::time::Instant::now();
        loop {
            let sts = ids
                .iter()
                .map(|&id| self.status(id))
                .collect::<Result<Vec<_>, _>>()?;
            if sts.iter().all(|s| s.state.terminal())
                || timeout.is_some_and(|t| start.elapsed() >= t)
            {
                return Ok(sts);
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    pub fn queue_status(&self) -> QueueStatus {
        read_json(&self.dir.join("queue.json")).unwrap_or_default()
    }

    /// Replace `queue.json` under the lock, logging `ev`.
    pub fn set_queue_status(&self, q: &QueueStatus, ev: NewEvent) -> Result<(), SpoolError> {
        let _g = self.lock()?;
        write_json(&self.dir.join("queue.json"), q)?;
        self.emit_locked(vec![ev])?;
        Ok(())
    }

    pub fn worker_info(&self) -> Option<WorkerInfo> {
        read_json(&self.dir.join("worker.json")).ok()
    }

    pub fn set_worker_info(&self, w: &WorkerInfo) -> Result<(), SpoolError> {
        write_json(&self.dir.join("worker.json"), w)
    }

    /// Whether a worker process serves this spool now (it holds `worker.lock` for its life).
    pub fn worker_alive(&self) -> bool {
        match File::open(self.dir.join("worker.lock")) {
            Ok(f) => matches!(crate::fsutil::try_flock(&f, libc::LOCK_SH), Ok(false)),
            Err(_) => false,
        }
    }

    /// Take `worker.lock` for this process's life; `None` when another worker has it.
    pub fn claim_worker(&self) -> Result<Option<File>, SpoolError> {
        let (f, path) = self.lock_file("worker.lock")?;
        match crate::fsutil::try_flock(&f, libc::LOCK_EX) {
            Ok(true) => Ok(Some(f)),
            Ok(false) => Ok(None),
            Err(e) => Err(io_err("lock", &path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::task::State;
    use super::*;

    use super::super::task::test_spec as spec;

    #[test]
    fn ids_rise_and_a_failed_build_leaves_nothing() {
        let d = tempfile::tempdir().expect("tempdir");
        let s = Spool::open_in(d.path(), "scope a").expect("open");
        let ok = |id: u64, _: &Path| Ok((spec(id), Status::new(State::Queued, 0, id as f64, None)));
        assert_eq!(s.create(ok).expect("create").0.spec.id, 1);
        let bad = s.create(|_, _| Err(SpoolError::Refused("no".into())));
        assert!(bad.is_err());
        assert_eq!(s.create(ok).expect("create").0.spec.id, 3);
        assert_eq!(s.ids(), [1, 3]);
        let refused = s.update(1, |_, _| -> Result<((), _), _> {
            Err(SpoolError::Refused("not now".into()))
        });
        assert!(matches!(refused, Err(SpoolError::Refused(_))));
        s.update(1, |_, st| {
            st.go(State::Held, Some("test".into()));
            Ok(((), vec![]))
        })
        .expect("update");
        assert_eq!(s.status(1).expect("status").state, State::Held);
        assert!(matches!(s.status(2), Err(SpoolError::NotFound(2))));
        let (evs, _) = events::read_from(&s.events_path(), 0, 0).expect("events");
        assert_eq!(evs.len(), 2);
    }

    #[test]
    fn a_task_whose_event_cannot_be_logged_is_not_queued() {
        let d = tempfile::tempdir().expect("tempdir");
        let s = Spool::open_in(d.path(), "scope").expect("open");
        let ok = |id: u64, _: &Path| Ok((spec(id), Status::new(State::Queued, 0, id as f64, None)));
        // The log cannot be appended to (a full disk, here a directory in its place).
        std::fs::create_dir(s.events_path()).expect("block the log");
        assert!(matches!(s.create(ok), Err(SpoolError::Io(_))));
        assert!(s.ids().is_empty(), "refused, yet queued: {:?}", s.ids());
        assert!(s.tasks().is_empty());
        std::fs::remove_dir(s.events_path()).expect("unblock");
        let (t, ev) = s.create(ok).expect("create");
        assert_eq!((t.spec.id, ev.task), (2, Some(2)), "an id is never reused");
        let leftovers: Vec<_> = std::fs::read_dir(s.dir.join(PENDING))
            .expect("pending")
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_submit_killed_half_way_is_finished_or_undone_by_the_next_lock() {
        let d = tempfile::tempdir().expect("tempdir");
        let s = Spool::open_in(d.path(), "scope").expect("open");
        let ok = |id: u64, _: &Path| Ok((spec(id), Status::new(State::Queued, 0, id as f64, None)));
        s.create(ok).expect("create");
        // Killed after the rename, before the event: the task is there, its event is not.
        s.create(ok).expect("create");
        let log = std::fs::read_to_string(s.events_path()).expect("log");
        let first = log.lines().next().expect("line").to_string() + "\n";
        std::fs::write(s.events_path(), &first).expect("drop the second event");
        let dropped: events::Event =
            serde_json::from_str(log.lines().nth(1).expect("second line")).expect("an event");
        let (kind, data) = dropped.event.parts().expect("parts");
        let pe = PendingEvent {
            id: 2,
            log_len: first.len() as u64,
            kind,
            data,
        };
        std::fs::create_dir_all(s.dir.join(PENDING)).expect("pending");
        write_json(&s.dir.join(PENDING).join("2.json"), &pe).expect("marker");
        // Killed before the rename: a `.3.new` directory and its marker.
        let tmp = s.dir.join("tasks/.3.new");
        std::fs::create_dir_all(&tmp).expect("tmp");
        write_json(&tmp.join(TASK_SPEC), &spec(3)).expect("spec");
        write_json(
            &s.dir.join(PENDING).join("3.json"),
            &PendingEvent { id: 3, ..pe },
        )
        .expect("marker");
        // And an older leftover with no marker at all.
        std::fs::create_dir_all(s.dir.join("tasks/.9.new")).expect("old tmp");
        drop(s.lock().expect("the next spool operation"));
        let (evs, _) = events::read_from(&s.events_path(), 0, 0).expect("events");
        let submitted: Vec<_> = evs
            .iter()
            .filter(|e| matches!(e.event, events::QueueEvent::TaskSubmitted { .. }))
            .map(|e| e.task)
            .collect();
        assert_eq!(submitted, [Some(1), Some(2)], "task 2 got its event, once");
        assert!(!tmp.exists() && !s.dir.join("tasks/.9.new").exists());
        assert_eq!(
            std::fs::read_dir(s.dir.join(PENDING)).expect("dir").count(),
            0
        );
        assert_eq!(s.ids(), [1, 2]);
        // Recovery is idempotent: a marker whose event is already logged adds none.
        write_json(
            &s.dir.join(PENDING).join("2.json"),
            &PendingEvent {
                id: 2,
                log_len: 0,
                kind: "task_submitted".into(),
                data: serde_json::Map::new(),
            },
        )
        .expect("marker");
        drop(s.lock().expect("lock"));
        let (evs, _) = events::read_from(&s.events_path(), 0, 0).expect("events");
        assert_eq!(evs.iter().filter(|e| e.task == Some(2)).count(), 1);
    }

    #[test]
    fn odd_task_directories_neither_duplicate_a_task_nor_wrap_the_ids() {
        let d = tempfile::tempdir().expect("tempdir");
        let s = Spool::open_in(d.path(), "scope").expect("open");
        let ok = |id: u64, _: &Path| Ok((spec(id), Status::new(State::Queued, 0, id as f64, None)));
        s.create(ok).expect("create");
        // A restore added `007`-style names for the same id: not a second task 1.
        for n in ["01", "+1", "1.0"] {
            std::fs::create_dir_all(s.dir.join("tasks").join(n)).expect("dir");
        }
        assert_eq!(s.ids(), [1]);
        assert_eq!(s.tasks().len(), 1);
        std::fs::create_dir_all(s.task_dir(u64::MAX)).expect("dir");
        match s.create(ok) {
            Err(SpoolError::Io(m)) => assert!(m.contains("no task id is left"), "{m}"),
            other => panic!("the id wrapped: {:?}", other.map(|(t, _)| t.spec.id)),
        }
        assert!(!s.ids().contains(&0));
    }
}
