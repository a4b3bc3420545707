//! One run per microscope: an exclusive `flock` on a lock file named after the microscope.
//! The kernel drops the lock when its holder dies, so a lock left by a dead process is simply
//! taken over; the file's text only says who held it last.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::fsutil::try_flock;
use std::time::{Duration, Instant};

/// Where lock files live: `$SQUIDCTL_LOCK_DIR`, else `/run/lock/squidctl` (a tmpfs that is
/// emptied at boot, which suits locks, and that tmp cleaners leave alone), else
/// `/tmp/squidctl-locks`.
pub fn lock_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SQUIDCTL_LOCK_DIR") {
        return PathBuf::from(d);
    }
    if Path::new("/run/lock").is_dir() {
        PathBuf::from("/run/lock/squidctl")
    } else {
        PathBuf::from("/tmp/squidctl-locks")
    }
}

/// Held for the life of the run (released when dropped or when the process ends).
pub struct MicroscopeLock {
    file: File,
    pub path: PathBuf,
    owner: String,
}

impl Drop for MicroscopeLock {
    /// A clean end leaves an empty file: only a holder that died leaves its name behind.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

#[derive(Debug)]
pub enum LockError {
    /// Another live process holds it; the text says who.
    Busy {
        holder: String,
        path: PathBuf,
    },
    /// A signal asked us to stop while waiting.
    Interrupted(i32),
    Io(io::Error, PathBuf),
}

fn read_text(f: &mut File) -> String {
    let mut s = String::new();
    let _ = f.rewind();
    let _ = (&*f).take(4096).read_to_string(&mut s);
    s.trim().to_string()
}

/// Who holds a busy lock. The holder rewrites its text once (when its run directory exists),
/// so a read can land mid-write: read again until the text names a pid, for a moment at most.
fn holder_text(f: &mut File) -> String {
    let mut text = read_text(f);
    for _ in 0..50 {
        if recorded_pid(&text).is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        text = read_text(f);
    }
    if text.is_empty() {
        "holder not recorded".into()
    } else {
        text
    }
}

/// The pid a lock text names.
fn recorded_pid(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix("pid "))?
        .trim()
        .parse()
        .ok()
}

/// Whether the pid written in a lock text is a live process on this host.
fn holder_alive(text: &str) -> Option<(u32, bool)> {
    let pid = recorded_pid(text)?;
    let host = text
        .lines()
        .find_map(|l| l.strip_prefix("host "))
        .unwrap_or("")
        .trim();
    Some((pid, super::liveness::process_alive(pid, host)))
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, msg)
}

/// The mode a new lock directory gets: its owner and group (the microscope's users) may make
/// lock files; nobody else may, since whoever can make the lock file can hold it and stop
/// every run (setgid, so lock files keep the directory's group).
const DIR_MODE: u32 = 0o2770;

/// The lock directory, made if missing, and refused when another user could swap files in
/// it or plant and hold the lock: it must be a real directory (not a symlink) owned by us or
/// root, and not writable by everyone.
fn checked_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    if std::fs::symlink_metadata(dir).is_err() {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
            // umask cleared here: the group must be able to make lock files.
            Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    let m = std::fs::symlink_metadata(dir)?;
    if !m.file_type().is_dir() {
        return Err(invalid(format!(
            "{} is not a directory (a symlink or file was put there); remove it, or set SQUIDCTL_LOCK_DIR",
            dir.display()
        )));
    }
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if m.uid() != me && m.uid() != 0 {
        return Err(invalid(format!(
            "{} belongs to another user (uid {}), who could replace the lock files; remove it, or set SQUIDCTL_LOCK_DIR",
            dir.display(),
            m.uid()
        )));
    }
    if m.mode() & 0o002 != 0 {
        return Err(invalid(format!(
            "{} is writable by everyone, so any local user could make the microscope's lock file and hold it, stopping every run; run `chmod o-w {}` (and `chgrp` it to the microscope users' group), or set SQUIDCTL_LOCK_DIR",
            dir.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Open the lock file without following a symlink, and only if it is a plain file with one
/// link: a planted symlink or hard link must not make us write through it. Never chmod.
fn open_lock_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let open = |write: bool| {
        OpenOptions::new()
            .read(true)
            .write(write)
            .create(write)
            .truncate(false)
            .mode(0o664)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
    };
    // Another user's lock file may be read-only to us; flock works on a read-only descriptor.
    let f = match open(true) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => open(false)?,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(invalid(format!(
                "{} is a symbolic link; squidctl never follows one there — remove it",
                path.display()
            )));
        }
        r => r?,
    };
    let m = f.metadata()?;
    if !m.file_type().is_file() || m.nlink() != 1 {
        return Err(invalid(format!(
            "{} is not a plain file of its own (a device, pipe or hard link was put there); remove it",
            path.display()
        )));
    }
    Ok(f)
}

/// Whether `path` still names the open file `f` (a tmp cleaner may have deleted it).
fn names_file(path: &Path, f: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(path), f.metadata()) {
        (Ok(p), Ok(m)) => p.dev() == m.dev() && p.ino() == m.ino(),
        _ => false,
    }
}

/// The lock file's path for a microscope.
pub fn lock_path(microscope: &str) -> PathBuf {
    lock_dir().join(format!(
        "{}.lock",
        super::super::plan::names::safe_name(microscope)
    ))
}

/// Who holds the microscope right now, without taking or touching its lock: `None` when it
/// is free (a queue worker asks before starting a task, and then says what it waits on).
pub fn holder(microscope: &str) -> Option<String> {
    let path = lock_path(microscope);
    let mut f = File::open(&path).ok()?;
    match try_flock(&f, libc::LOCK_SH) {
        Ok(false) => Some(holder_text(&mut f).replace('\n', ", ")),
        _ => None,
    }
}

/// The process holding the microscope, as its lock file records it.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// What it holds it for: `run DIR`, `action move`, `output DIR`.
    pub what: String,
}

/// Who holds the microscope now (the emergency stop signals it); `None` when free.
pub fn holding(microscope: &str) -> Option<Holder> {
    let path = lock_path(microscope);
    let mut f = File::open(&path).ok()?;
    if !matches!(try_flock(&f, libc::LOCK_SH), Ok(false)) {
        return None;
    }
    let text = holder_text(&mut f);
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.trim().to_string())
    };
    Some(Holder {
        pid: recorded_pid(&text)?,
        host: field("host ").unwrap_or_default(),
        what: text
            .lines()
            .find(|l| !["pid ", "host ", "since "].iter().any(|p| l.starts_with(p)))
            .unwrap_or("")
            .to_string(),
    })
}

/// Take the lock for `microscope`. `wait`: `None` fails at once when busy; `Some(None)` waits
/// as long as it takes; `Some(Some(d))` waits up to `d`. `owner` is written into the file.
/// `cancelled` is asked while waiting: the signal that asked us to stop, if one did.
pub fn acquire(
    microscope: &str,
    wait: Option<Option<Duration>>,
    owner: &str,
    cancelled: &dyn Fn() -> Option<i32>,
) -> Result<MicroscopeLock, LockError> {
    let path = lock_path(microscope);
    let io_err = |e: io::Error| LockError::Io(e, path.clone());
    if let Some(dir) = path.parent() {
        checked_dir(dir).map_err(io_err)?;
    }
    let start = Instant::now();
    let mut told = false;
    let mut f = loop {
        let mut f = open_lock_file(&path).map_err(io_err)?;
        if try_flock(&f, libc::LOCK_EX).map_err(io_err)? {
            // Deleted or replaced between our open and our lock: that file protects nothing.
            if names_file(&path, &f) {
                break f;
            }
            continue;
        }
        let holder = holder_text(&mut f);
        match wait {
            None => return Err(LockError::Busy { holder, path }),
            Some(limit) => {
                if limit.is_some_and(|l| start.elapsed() >= l) {
                    return Err(LockError::Busy { holder, path });
                }
                if !told {
                    tracing::info!("waiting for the microscope: {}", holder.replace('\n', ", "));
                    told = true;
                }
                if let Some(sig) = cancelled() {
                    return Err(LockError::Interrupted(sig));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    let previous = read_text(&mut f);
    if let Some((pid, false)) = holder_alive(&previous) {
        tracing::warn!("taking over the lock left by pid {pid}, which is no longer running");
    }
    write_owner(&mut f, owner);
    Ok(MicroscopeLock {
        file: f,
        path,
        owner: owner.to_string(),
    })
}

/// Say who holds the lock; a read-only descriptor (another user's file) leaves it as it was.
/// Written over the old text and then cut to length, so a reader never finds it empty.
fn write_owner(f: &mut File, owner: &str) {
    if f.rewind().is_ok() && f.write_all(owner.as_bytes()).is_ok() {
        let _ = f.set_len(owner.len() as u64);
        let _ = f.sync_data();
    }
}

/// What a check of a held lock found.
#[derive(Debug, PartialEq)]
pub enum LockCheck {
    Held,
    /// The file had vanished or been replaced, and a new one was made and locked.
    Retaken,
    /// The file had vanished and another process has locked its replacement: two runs may
    /// be driving the microscope.
    Lost(String),
}

impl MicroscopeLock {
    /// Say who holds it more precisely (the run directory, once it exists).
    pub fn set_owner(&mut self, owner: String) {
        write_owner(&mut self.file, &owner);
        self.owner = owner;
    }

    /// Make sure the lock still protects the microscope; called every few seconds by a run.
    pub fn check(&mut self) -> LockCheck {
        if names_file(&self.path, &self.file) {
            return LockCheck::Held;
        }
        let Some(dir) = self.path.parent() else {
            return LockCheck::Lost("the lock has no directory".into());
        };
        if let Err(e) = checked_dir(dir) {
            return LockCheck::Lost(e.to_string());
        }
        match open_lock_file(&self.path) {
            Ok(mut f) => match try_flock(&f, libc::LOCK_EX) {
                Ok(true) if names_file(&self.path, &f) => {
                    write_owner(&mut f, &self.owner);
                    self.file = f;
                    LockCheck::Retaken
                }
                Ok(true) => LockCheck::Lost("the lock file keeps changing".into()),
                Ok(false) => LockCheck::Lost(holder_text(&mut f).replace('\n', ", ")),
                Err(e) => LockCheck::Lost(e.to_string()),
            },
            Err(e) => LockCheck::Lost(e.to_string()),
        }
    }
}

/// The text written into the lock file: `run DIR` names the run directory, `output DIR`
/// the folder a run is about to be made in.
pub fn owner_text(what: &str, dir: &std::path::Path) -> String {
    format!(
        "pid {}\nhost {}\nsince {}\n{what} {}\n",
        std::process::id(),
        crate::fsutil::hostname(),
        crate::clock::WallTime::now().rfc3339(),
        dir.display()
    )
}
