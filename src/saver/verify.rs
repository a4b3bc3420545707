//! Checking a run's files against its journal: present, readable, the right number of planes,
//! and every plane's pixels matching the CRC-32 taken before they were written.

use std::collections::BTreeMap;
use std::path::Path;

use crate::journal_of;
use crate::run_dir::journal::Entry;

use crate::run_dir::journal::FileDone;
use crate::saver::layout::Layout;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// Planned, but no file records it as saved.
    NotSaved,
    /// Recorded as saved, but the file is gone.
    Missing,
    /// The file cannot be read as a TIFF.
    Unreadable { error: String },
    /// The file holds a different number of planes than recorded.
    WrongPlanes { found: u32, recorded: u32 },
    /// A plane's pixels differ from what was acquired.
    Checksum { plane: u32 },
    /// The file's metadata does not parse or does not match its planes.
    Metadata { error: String },
    /// Pixels and metadata read back, yet some byte differs from the file as written.
    Bytes { got: u32, want: u32 },
    /// Fewer planes than planned (a stack cut short).
    Incomplete { planes: u32, expected: u32 },
    /// coordinates.csv differs from the rows the journal holds.
    Coordinates { detail: String },
    /// Two planned files have one path: one overwrote the other.
    SharedPath { first: String, second: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotSaved => write!(f, "not saved (the journal has no record of it)"),
            Problem::Missing => write!(f, "missing (recorded as saved, but the file is gone)"),
            Problem::Unreadable { error } => write!(f, "corrupt: cannot be read ({error})"),
            Problem::WrongPlanes { found, recorded } => {
                write!(f, "corrupt: holds {found} planes, {recorded} were written")
            }
            Problem::Checksum { plane } => write!(
                f,
                "corrupt: the pixels of plane {plane} do not match what was acquired"
            ),
            Problem::Metadata { error } => write!(f, "corrupt metadata: {error}"),
            Problem::Bytes { got, want } => write!(
                f,
                "corrupt: the file changed after it was written (whole-file CRC-32 {got:08x}, written {want:08x}); its pixels and metadata still read, so a tag or header byte was altered"
            ),
            Problem::Incomplete { planes, expected } => {
                write!(f, "incomplete: {planes} of {expected} planes")
            }
            Problem::Coordinates { detail } => write!(f, "does not match the journal: {detail}"),
            Problem::SharedPath { first, second } => write!(
                f,
                "overwritten: {first} and {second} were both written to this one file (their names become the same file name); rename them and acquire again"
            ),
        }
    }
}

/// The planes in the latest record of each file the run's layout puts where the record
/// says: a record added by hand (`../x`, or a file this run never writes) counts for nothing.
pub fn saved_planes(journal: &[Entry], layout: &dyn Layout) -> u64 {
    saved_files(journal, layout)
        .values()
        .map(|f| u64::from(f.planes))
        .sum()
}

/// The latest record of each file in a journal (a resumed run may rewrite a file). Only
/// records whose path is exactly where the layout puts their key count: a journal is a file
/// anyone with write access can edit, and `resume` deletes what it names, so a path like
/// `../x` or `/etc/x` must never get that far.
pub fn saved_files(journal: &[Entry], layout: &dyn Layout) -> BTreeMap<String, FileDone> {
    let mut out = BTreeMap::new();
    for f in journal_of!(journal, File) {
        let want = layout.path(&f.key());
        let want = want.strip_prefix(layout.root()).unwrap_or(&want);
        if Path::new(&f.path) != want || !want.is_relative() {
            tracing::warn!(
                "ignoring a journal record for {}: that is not where this run puts its file ({})",
                f.path,
                want.display()
            );
            continue;
        }
        out.insert(f.path.clone(), f.clone());
    }
    out
}

/// Check one recorded file on disk; `None` when it is exactly what the journal says. The
/// format reads it back (planes and metadata); the whole-file checksum catches any other byte.
pub fn check(layout: &dyn Layout, rec: &FileDone) -> Option<Problem> {
    let path = layout.root().join(&rec.path);
    if !path.exists() {
        return Some(Problem::Missing);
    }
    let back = layout.read_back(&path);
    let crcs = match back.planes {
        Ok(c) => c,
        Err(error) => return Some(Problem::Unreadable { error }),
    };
    if crcs.len() as u32 != rec.planes {
        return Some(Problem::WrongPlanes {
            found: crcs.len() as u32,
            recorded: rec.planes,
        });
    }
    if let Some(i) = crcs.iter().zip(&rec.plane_crc32).position(|(a, b)| a != b) {
        return Some(Problem::Checksum { plane: i as u32 });
    }
    if let Err(error) = back.metadata {
        return Some(Problem::Metadata { error });
    }
    if let Some(want) = rec.file_crc32 {
        match crate::saver::layout::file_crc(&path) {
            Ok(got) if got == want => {}
            Ok(got) => return Some(Problem::Bytes { got, want }),
            Err(e) => {
                return Some(Problem::Unreadable {
                    error: e.to_string(),
                });
            }
        }
    }
    if rec.planes < rec.expected {
        return Some(Problem::Incomplete {
            planes: rec.planes,
            expected: rec.expected,
        });
    }
    None
}
