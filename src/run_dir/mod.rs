//! The run directory: everything a run leaves behind — the resolved protocol and microscope,
//! `run.json` (state, counts, heartbeat; replaced atomically), `journal.jsonl` (append-only),
//! the log, `coordinates.csv`, thread dumps, the images, and `.done` when complete.

pub mod focus;
pub mod journal;
pub mod liveness;
pub mod lock;
pub mod record;
pub mod stream;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use journal::Journal;
pub use record::{Counts, RunRecord, RunState};
pub use stream::{Records, Subscriber};

pub const RUN_JSON: &str = "run.json";
pub const JOURNAL: &str = "journal.jsonl";
pub const LOG: &str = "squidctl.log";
pub const PROTOCOL_COPY: &str = "protocol.yaml";
pub const MICROSCOPE_COPY: &str = "microscope.yaml";
/// The plate calibrations the run was planned with, so a resume places the wells the same.
pub const PLATES_COPY: &str = "plates.yaml";
pub const DONE: &str = ".done";
/// A positions CSV the protocol names, copied so the run directory stands alone.
pub const POSITIONS_COPY: &str = "positions.csv";
/// Space set aside at the start so the final records can be written even on a full disk.
pub const RESERVE: &str = ".space-reserve";
pub const RESERVE_BYTES: usize = 2 << 20;

#[derive(Clone, Debug)]
pub struct RunDir {
    pub root: PathBuf,
}

impl RunDir {
    /// Create `<parent>/<name>`, adding `-2`, `-3`, … if it exists (two runs in one second).
    pub fn create(parent: &Path, name: &str) -> io::Result<RunDir> {
        std::fs::create_dir_all(parent)?;
        for n in 1..1000 {
            let candidate = if n == 1 {
                parent.join(name)
            } else {
                parent.join(format!("{name}-{n}"))
            };
            match std::fs::create_dir(&candidate) {
                Ok(()) => return Ok(RunDir { root: candidate }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!(
            "too many runs named {name} in {}",
            parent.display()
        )))
    }

    pub fn open(root: &Path) -> RunDir {
        RunDir {
            root: root.to_path_buf(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Replace a file atomically: write a temporary, make it durable, rename over.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        crate::fsutil::write_atomic(&self.root.join(name), bytes)
    }

    /// Set aside [`RESERVE_BYTES`] on the disk (released by [`RunDir::release_reserve`]).
    pub fn reserve_space(&self) -> io::Result<()> {
        let mut f = std::fs::File::create(self.root.join(RESERVE))?;
        f.write_all(&vec![0u8; RESERVE_BYTES])?;
        f.sync_data()
    }

    pub fn release_reserve(&self) {
        let _ = std::fs::remove_file(self.root.join(RESERVE));
    }

    /// Save a thread dump as `thread-dump-N.txt`; returns its name.
    pub fn save_dump(&self, text: &str) -> io::Result<String> {
        for n in 1..10_000 {
            let name = format!("thread-dump-{n}.txt");
            let p = self.root.join(&name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
            {
                Ok(mut f) => {
                    f.write_all(text.as_bytes())?;
                    f.sync_data()?;
                    return Ok(name);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("too many thread dumps"))
    }
}

/// Rewrite an existing file's bytes in place: no new name is needed in its directory, so it
/// works where [`crate::fsutil::write_atomic`] cannot (a directory made read-only, no room for a second
/// copy). Not crash-safe on its own; a fallback for a record that must not stay wrong.
pub fn overwrite_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)?;
    f.set_len(bytes.len() as u64)?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_that_cannot_be_replaced_is_rewritten_in_place() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join(RUN_JSON);
        crate::fsutil::write_atomic(&p, b"{\"state\": \"running\", \"padding\": \"xxxxxxxx\"}")
            .expect("write");
        // No new name can be made beside it (as in a directory made read-only).
        std::fs::create_dir(d.path().join("run.json.tmp")).expect("block the temporary name");
        assert!(crate::fsutil::write_atomic(&p, b"{\"state\": \"failed\"}").is_err());
        overwrite_in_place(&p, b"{\"state\": \"failed\"}").expect("in place");
        assert_eq!(
            std::fs::read_to_string(&p).expect("read"),
            "{\"state\": \"failed\"}"
        );
        // It never makes a file that was not there.
        assert!(overwrite_in_place(&d.path().join("absent"), b"x").is_err());
    }
}
