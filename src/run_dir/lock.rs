//! One run per microscope: an exclusive `flock` on a lock file named after the microscope.
//! The kernel drops the lock when its holder dies, so a lock left by a dead process is simply
//! taken over; the file's text only says who held it last.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where lock files live: `$SQUIDCTL_LOCK_DIR`, else a directory shared by all users.
pub fn lock_dir() -> PathBuf {
    std::env::var_os("SQUIDCTL_LOCK_DIR")
        .map_or_else(|| PathBuf::from("/tmp/squidctl-locks"), PathBuf::from)
}

/// Held for the life of the run (released when dropped or when the process ends).
pub struct MicroscopeLock {
    file: File,
    pub path: PathBuf,
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

fn try_flock(f: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

fn holder_text(f: &mut File) -> String {
    let mut s = String::new();
    let _ = f.rewind();
    let _ = f.read_to_string(&mut s);
    s.trim().to_string()
}

/// Whether the pid written in a lock text is a live process on this host.
fn holder_alive(text: &str) -> Option<(u32, bool)> {
    let pid: u32 = text
        .lines()
        .find_map(|l| l.strip_prefix("pid "))?
        .trim()
        .parse()
        .ok()?;
    let host = text
        .lines()
        .find_map(|l| l.strip_prefix("host "))
        .unwrap_or("")
        .trim();
    if host != super::record::hostname() {
        return Some((pid, true));
    }
    // SAFETY: signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid as i32, 0) } == 0
        || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    Some((pid, alive))
}

/// Take the lock for `microscope`. `wait`: `None` fails at once when busy; `Some(None)` waits
/// as long as it takes; `Some(Some(d))` waits up to `d`. `owner` is written into the file.
pub fn acquire(
    microscope: &str,
    wait: Option<Option<Duration>>,
    owner: &str,
) -> Result<MicroscopeLock, LockError> {
    let dir = lock_dir();
    let path = dir.join(format!(
        "{}.lock",
        crate::saver::layout::safe_name(microscope)
    ));
    let io_err = |e: io::Error| LockError::Io(e, path.clone());
    if !dir.exists() {
        std::fs::create_dir_all(&dir).map_err(io_err)?;
        use std::os::unix::fs::PermissionsExt;
        // Shared by every user of the microscope (like /tmp itself).
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777));
    }
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err)?;
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = f.set_permissions(std::fs::Permissions::from_mode(0o666));
    }
    let start = Instant::now();
    let mut told = false;
    loop {
        if try_flock(&f).map_err(io_err)? {
            break;
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
                if let Some(sig) = crate::runner::cancel::pending_cancel_signal() {
                    return Err(LockError::Interrupted(sig));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
    let previous = holder_text(&mut f);
    if let Some((pid, false)) = holder_alive(&previous) {
        tracing::warn!("taking over the lock left by pid {pid}, which is no longer running");
    }
    f.set_len(0).map_err(io_err)?;
    f.rewind().map_err(io_err)?;
    f.write_all(owner.as_bytes()).map_err(io_err)?;
    let _ = f.sync_data();
    Ok(MicroscopeLock { file: f, path })
}

/// The text written into the lock file.
pub fn owner_text(run_dir: &std::path::Path) -> String {
    format!(
        "pid {}\nhost {}\nsince {}\nrun {}\n",
        std::process::id(),
        super::record::hostname(),
        crate::clock::WallTime::now().rfc3339(),
        run_dir.display()
    )
}
