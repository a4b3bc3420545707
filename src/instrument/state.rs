//! `instrument.json`: the last known state of the devices, written whole (atomically) after
//! every action, so a reader never sees half of it.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub const FILE: &str = "instrument.json";

/// Stage position in mm, as the devices last reported it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

/// Which sources were left on by an action (`lights on`); every action but that one ends
/// with all of them off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lights {
    pub on: Vec<String>,
}

/// The last action and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LastAction {
    pub action: String,
    pub ok: bool,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstrumentState {
    pub microscope: String,
    /// `None` until something reported it (nothing has moved the stage since the state was
    /// made).
    pub position: Option<Position>,
    /// Homed by the last connection; `None` when unknown.
    pub homed: Option<bool>,
    pub lights: Lights,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_action: Option<LastAction>,
    pub updated: String,
    pub updated_unix: f64,
}

impl InstrumentState {
    /// What `dir` holds; a missing or unreadable file is an instrument nothing is known of.
    pub fn read(dir: &Path, microscope: &str) -> InstrumentState {
        std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| InstrumentState {
                microscope: microscope.to_string(),
                ..InstrumentState::default()
            })
    }

    pub fn write(&mut self, dir: &Path) -> std::io::Result<()> {
        let now = crate::clock::WallTime::now();
        self.updated = now.rfc3339();
        self.updated_unix = now.unix_s;
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&dir.join(FILE), &text)
    }
}
