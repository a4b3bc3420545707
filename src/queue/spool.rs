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
//!                     tasks/<id>/{task.json, protocol.yaml, state.json, output.log}
//! ```

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::events::{self, Event, NewEvent};
use super::task::{Spec, Status, Task};
use crate::fsutil::write_durable;

pub const TASK_SPEC: &str = "task.json";
pub const TASK_STATE: &str = "state.json";
pub const TASK_PROTOCOL: &str = "protocol.yaml";
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
}

impl std::fmt::Display for SpoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpoolError::NotFound(id) => write!(
                f,
                "there is no task {id} in this queue (see `squidctl queue --all` or `squidctl history`)"
            ),
            SpoolError::Refused(m) | SpoolError::Io(m) => f.write_str(m),
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

/// Where spools live: `$SQUIDCTL_SPOOL`, else `$XDG_STATE_HOME/squidctl/spool`, else
/// `~/.local/state/squidctl/spool` — never /tmp, which a reboot may empty.
pub fn root() -> Result<PathBuf, String> {
    // Absolute: run processes work in their submitter's directory, not the worker's.
    if let Some(d) = std::env::var_os("SQUIDCTL_SPOOL").filter(|d| !d.is_empty()) {
        return std::path::absolute(PathBuf::from(&d))
            .map_err(|e| format!("SQUIDCTL_SPOOL={}: {e}", PathBuf::from(d).display()));
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("squidctl/spool"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/state/squidctl/spool")),
        None => Err(
            "no place for the queue: set SQUIDCTL_SPOOL (e.g. /var/spool/squidctl) or HOME".into(),
        ),
    }
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
        Ok(Guard { _file: f })
    }

    pub fn task_dir(&self, id: u64) -> PathBuf {
        self.dir.join("tasks").join(id.to_string())
    }

    pub fn events_path(&self) -> PathBuf {
        self.dir.join(EVENTS)
    }

    /// Task ids, ascending.
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = std::fs::read_dir(self.dir.join("tasks"))
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
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

    /// Make a task: the next id, its files, its first event — all under the lock.
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
        let id = last.max(self.ids().last().copied().unwrap_or(0)) + 1;
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
        // The task appears whole or not at all.
        std::fs::rename(&tmp, &dir).map_err(|e| io_err("create", &dir, e))?;
        let _ = crate::fsutil::sync_dir(&self.dir.join("tasks"));
        let ev = events::new(
            "task_submitted",
            Some(id),
            serde_json::json!({
                "state": status.state,
                "label": spec.label,
                "protocol": spec.protocol_file,
                "priority": status.priority,
                "submitter": spec.submitter,
            }),
        );
        let mut written = self.emit_locked(vec![ev])?;
        let ev = written.remove(0);
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
            Ok(f) => matches!(
                crate::run_dir::liveness::try_flock(&f, libc::LOCK_SH),
                Ok(false)
            ),
            Err(_) => false,
        }
    }

    /// Take `worker.lock` for this process's life; `None` when another worker has it.
    pub fn claim_worker(&self) -> Result<Option<File>, SpoolError> {
        let (f, path) = self.lock_file("worker.lock")?;
        match crate::run_dir::liveness::try_flock(&f, libc::LOCK_EX) {
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
}
