//! `journal.jsonl`: one JSON object per line, appended and handed to the OS as it happens, so
//! that a SIGKILL loses at most what was in flight. Lines about saved files are also made
//! durable (fsync) every few seconds for power cuts. What a line may hold is `records`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub mod records;

pub use records::*;

/// An [`Entry`] as written: the record borrowed, so every listener of a run's stream sees
/// the same one without a copy.
#[derive(serde::Serialize)]
struct EntryOut<'a> {
    wall: String,
    unix: f64,
    run_s: f64,
    #[serde(flatten)]
    record: &'a Record,
}

pub struct Journal {
    file: Mutex<(File, Instant)>,
    start: Instant,
}

/// How often file records are fsynced at the latest.
const SYNC_EVERY: Duration = Duration::from_secs(2);

impl Journal {
    pub fn open(path: &Path) -> io::Result<Journal> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        // Held for the life of the process: how `resume` and `report` tell a live run.
        if !crate::fsutil::try_flock(&file, libc::LOCK_EX)? {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "another squidctl process is writing this run (its journal is locked)",
            ));
        }
        Ok(Journal {
            file: Mutex::new((file, Instant::now())),
            start: Instant::now(),
        })
    }

    /// Append one record with the time it was written. Errors are returned but a journal
    /// that cannot be written never stops acquisition by itself.
    pub fn write(&self, record: &Record) -> io::Result<()> {
        let now = crate::clock::WallTime::now();
        let entry = EntryOut {
            wall: now.rfc3339(),
            unix: (now.unix_s * 1000.0).round() / 1000.0,
            run_s: (self.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            record,
        };
        let mut line = serde_json::to_string(&entry).map_err(io::Error::other)?;
        line.push('\n');
        let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        g.0.write_all(line.as_bytes())?;
        if matches!(record, Record::File(_)) && g.1.elapsed() >= SYNC_EVERY {
            g.0.sync_data()?;
            g.1 = Instant::now();
        }
        Ok(())
    }

    pub fn sync(&self) -> io::Result<()> {
        let g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        g.0.sync_data()
    }
}

/// The last session's end record from the journal's tail only (a night's journal runs to
/// tens of MB; its end is in its last lines): what a queue worker reads when a run ends.
pub fn tail_end(path: &Path) -> Option<records::End> {
    use std::io::{Read, Seek, SeekFrom};
    const TAIL: u64 = 1 << 20;
    let mut f = File::open(path).ok()?;
    let len = f.seek(SeekFrom::End(0)).ok()?;
    f.seek(SeekFrom::Start(len.saturating_sub(TAIL))).ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    for line in text.lines().rev() {
        match serde_json::from_str::<Entry>(line).map(|e| e.record) {
            Ok(Record::End(e)) => return Some(e),
            Ok(Record::Start(_) | Record::Resume(_)) => return None,
            _ => {}
        }
    }
    None
}

/// Read a journal, skipping a torn last line (the process died mid-write) and lines this
/// version cannot read (said once, with how many).
pub fn read(path: &Path) -> io::Result<Vec<Entry>> {
    let text = std::fs::read_to_string(path)?;
    let mut unreadable = 0usize;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        match serde_json::from_str::<Entry>(l) {
            Ok(e) => out.push(e),
            // The last line may be torn by a kill; anything else is worth a word.
            Err(_) if i + 1 == lines.len() => {}
            Err(e) => {
                if unreadable == 0 {
                    tracing::warn!(
                        "{}: line {} cannot be read ({e}); skipped",
                        path.display(),
                        i + 1
                    );
                }
                unreadable += 1;
            }
        }
    }
    if unreadable > 1 {
        tracing::warn!(
            "{}: {unreadable} lines could not be read in all",
            path.display()
        );
    }
    Ok(out)
}

/// The records of one kind, e.g. `journal_of!(journal, File)` for every saved-file record.
#[macro_export]
macro_rules! journal_of {
    ($journal:expr, $kind:ident) => {
        $journal.iter().filter_map(|e| match &e.record {
            $crate::run_dir::journal::Record::$kind(r) => Some(r),
            _ => None,
        })
    };
}
