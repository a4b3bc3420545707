//! Checking a run's files against its journal: present, readable, the right number of planes,
//! and every plane's pixels matching the CRC-32 taken before they were written.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::saver::FileDone;
use crate::saver::layout::pixel_crc;

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
    /// Fewer planes than planned (a stack cut short).
    Incomplete { planes: u32, expected: u32 },
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
            Problem::Incomplete { planes, expected } => {
                write!(f, "incomplete: {planes} of {expected} planes")
            }
        }
    }
}

/// The latest record of each file in a journal (a resumed run may rewrite a file).
pub fn saved_files(journal: &[Value]) -> BTreeMap<String, FileDone> {
    let mut out = BTreeMap::new();
    for e in journal.iter().filter(|e| e["kind"] == "file") {
        if let Ok(f) = serde_json::from_value::<FileDone>(e.clone()) {
            out.insert(f.path.clone(), f);
        }
    }
    out
}

/// CRC-32 of every plane of a TIFF, read with the `tiff` crate's decoder.
pub fn plane_crcs(path: &Path) -> Result<Vec<u32>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut d =
        tiff::decoder::Decoder::new(std::io::BufReader::new(f)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    loop {
        match d.read_image().map_err(|e| e.to_string())? {
            tiff::decoder::DecodingResult::U16(v) => out.push(pixel_crc(&v)),
            _ => return Err("not a 16-bit image".into()),
        }
        if !d.more_images() {
            break;
        }
        d.next_image().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Check one recorded file on disk; `None` when it is exactly what the journal says.
pub fn check(root: &Path, rec: &FileDone) -> Option<Problem> {
    let path = root.join(&rec.path);
    if !path.exists() {
        return Some(Problem::Missing);
    }
    let crcs = match plane_crcs(&path) {
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
    if rec.planes < rec.expected {
        return Some(Problem::Incomplete {
            planes: rec.planes,
            expected: rec.expected,
        });
    }
    None
}
