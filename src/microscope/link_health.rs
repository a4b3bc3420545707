//! How a device's link is doing: a failing USB cable or a board that stalls shows here long
//! before it loses a night, so every run records it and `report` and `devices` show it.

use serde::{Deserialize, Serialize};

/// Counts since the device was opened. Zero everywhere is a healthy link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkHealth {
    /// Frames written (commands, resends and heartbeats).
    pub frames: u64,
    /// Frames written again because the first copy was lost or mangled.
    pub resends: u64,
    /// Times the device reported a frame that failed its checksum.
    pub checksum_errors: u64,
    /// Times the reader lost step with the device's packets and searched for it again.
    pub resyncs: u64,
    /// Status packets that arrived unreadable (corrupted or cut) and were skipped.
    pub status_unreadable: u64,
    /// Status packets that came ≥ 100 ms after the one before (the device or host stalled).
    pub status_late: u64,
    /// Times the device's safety watchdog may have fired (nothing it provably heard for its
    /// timeout): it was re-armed and the lights made known again before the next command.
    pub watchdog_lapses: u64,
    /// Reconnects (the port reopened after it failed or went silent).
    pub reconnects: u64,
}

impl LinkHealth {
    /// Resends per frame sent, the rate warned about.
    pub fn resend_rate(&self) -> f64 {
        if self.frames == 0 {
            0.0
        } else {
            self.resends as f64 / self.frames as f64
        }
    }

    /// Whether anything went wrong at all.
    pub fn clean(&self) -> bool {
        LinkHealth { frames: 0, ..*self } == LinkHealth::default()
    }

    /// Counters added (a run over several sessions or links).
    pub fn add(&mut self, o: &LinkHealth) {
        self.frames += o.frames;
        self.resends += o.resends;
        self.checksum_errors += o.checksum_errors;
        self.resyncs += o.resyncs;
        self.status_unreadable += o.status_unreadable;
        self.status_late += o.status_late;
        self.watchdog_lapses += o.watchdog_lapses;
        self.reconnects += o.reconnects;
    }

    /// The counters that are not zero, for one line of text.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
            (self.resends, "resent"),
            (self.checksum_errors, "checksum errors"),
            (self.resyncs, "resyncs"),
            (self.status_unreadable, "status unreadable"),
            (self.status_late, "status late"),
            (self.watchdog_lapses, "watchdog lapses"),
            (self.reconnects, "reconnects"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            format!("{} frames, clean", self.frames)
        } else {
            format!("{} frames, {}", self.frames, parts.join(", "))
        }
    }
}

/// A rate of resends above this is worth a warning: a good cable resends about none.
pub const RESEND_WARN_RATE: f64 = 0.01;
