//! File-system facts the planner and savers need.

use std::ffi::CString;
use std::path::{Path, PathBuf};

/// Bytes available to us on the file system holding `path` (or its nearest existing
/// ancestor, since the output directory usually does not exist yet).
pub fn free_space(path: &Path) -> Option<(u64, PathBuf)> {
    let mut p = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    loop {
        if p.exists() {
            break;
        }
        if !p.pop() {
            return None;
        }
    }
    let c = CString::new(p.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs only writes into the zeroed struct we own; `c` is a valid C string.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some((s.f_bavail as u64 * s.f_frsize as u64, p))
}

/// Replace `path` so that a crash or power cut leaves either the old bytes or the new ones:
/// temporary file, fsync, rename, fsync of the directory (the rename itself must survive).
pub fn write_durable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic(path, bytes)?;
    match path.parent() {
        // `file.yaml` lives in the current directory, whose path is "".
        Some(dir) if dir.as_os_str().is_empty() => sync_dir(Path::new(".")),
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// Make everything written to the file system holding `path` durable (one `syncfs`, not an
/// fsync per file).
pub fn sync_fs(path: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let d = std::fs::File::open(path)?;
    // SAFETY: syncfs on a descriptor we hold open.
    if unsafe { libc::syncfs(d.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Make the entries of `dir` (a create, a rename) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// The whole lines of an append-only text file from byte `offset` on, each with the offset
/// it starts at; returns the offset to read on from. A line still being written (no newline
/// yet) is left for next time; a file now shorter than `offset` (rewritten) is read from its
/// start.
pub fn lines_from(
    path: &Path,
    offset: u64,
    mut line: impl FnMut(u64, &str),
) -> std::io::Result<u64> {
    try_lines_from(path, offset, |at, l| {
        line(at, l);
        Ok(true)
    })
}

/// [`lines_from`] for a reader that may stop (`Ok(false)`) or fail (a client gone) part way;
/// it reads one line at a time, so a log of any length costs one line of memory. A line
/// that is not UTF-8 (torn by a power cut) is decoded lossily, with a warning, rather than
/// ending every reader of the file for good.
pub fn try_lines_from(
    path: &Path,
    offset: u64,
    mut line: impl FnMut(u64, &str) -> std::io::Result<bool>,
) -> std::io::Result<u64> {
    use std::io::{BufRead, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let offset = if offset > f.metadata()?.len() {
        0
    } else {
        offset
    };
    f.seek(SeekFrom::Start(offset))?;
    let mut r = std::io::BufReader::new(f);
    let mut pos = offset;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = r.read_until(b'\n', &mut raw)?;
        if n == 0 || raw.last() != Some(&b'\n') {
            return Ok(pos);
        }
        let text = match std::str::from_utf8(&raw) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => {
                tracing::warn!(
                    "{}: the line at byte {pos} is not UTF-8 (torn by a crash?); read with its bad bytes replaced",
                    path.display()
                );
                String::from_utf8_lossy(&raw)
            }
        };
        let go_on = line(pos, text.trim_end())?;
        pos += n as u64;
        if !go_on {
            return Ok(pos);
        }
    }
}

/// Replace `path` with `bytes` through a temporary file renamed over it (fsync'd first), so a
/// reader never sees half of it; [`write_durable`] also makes the rename itself survive.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_data()?;
    }
    std::fs::rename(&tmp, path)
}

/// This machine's name, as run records and queue claims note it.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// A non-blocking `flock`: false when another open file holds a conflicting lock.
pub fn try_flock(f: &std::fs::File, how: i32) -> std::io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(f), how | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// MemAvailable from /proc/meminfo, in bytes.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
