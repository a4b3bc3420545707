//! `instrument.jsonl`: every action on the microscope, one JSON line each, appended and
//! synced before the action's answer is given — the instrument's journal between runs.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const FILE: &str = "instrument.jsonl";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActionEntry {
    pub at: String,
    pub unix: f64,
    pub pid: u32,
    pub action: String,
    /// What was asked, as given.
    pub request: serde_json::Value,
    pub ok: bool,
    /// What it did (the position reached, the file saved, the z found).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub result: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub took_s: f64,
}

pub struct ActionLog {
    path: PathBuf,
}

impl ActionLog {
    pub fn in_dir(dir: &Path) -> ActionLog {
        ActionLog {
            path: dir.join(FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One line, written with one `write` and synced: a kill leaves whole lines only.
    pub fn append(&self, e: &ActionEntry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(e).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(&line)?;
        f.sync_data()
    }

    /// Every whole line, oldest first (a torn last line is skipped).
    pub fn read(&self) -> Vec<ActionEntry> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}
