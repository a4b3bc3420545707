//! Wall-clock time in the local zone, for run names and records (no timezone crate needed:
//! the C library already knows the zone).

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment, broken down in local time.
#[derive(Clone, Debug)]
pub struct WallTime {
    pub unix_s: f64,
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Offset from UTC in seconds.
    pub utc_offset_s: i64,
}

impl WallTime {
    pub fn now() -> Self {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self::from_unix(d.as_secs_f64())
    }

    pub fn from_unix(unix_s: f64) -> Self {
        let t = unix_s.floor() as libc::time_t;
        // SAFETY: localtime_r writes into the zeroed struct we own and only reads `t`.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
        if !ok {
            tm = unsafe { std::mem::zeroed() };
            tm.tm_year = 70;
            tm.tm_mday = 1;
        }
        WallTime {
            unix_s,
            year: tm.tm_year + 1900,
            month: (tm.tm_mon + 1) as u32,
            day: tm.tm_mday as u32,
            hour: tm.tm_hour as u32,
            minute: tm.tm_min as u32,
            second: tm.tm_sec as u32,
            utc_offset_s: tm.tm_gmtoff,
        }
    }

    /// `2026-11-22`
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `223905` (path-safe: no colons)
    pub fn time(&self) -> String {
        format!("{:02}{:02}{:02}", self.hour, self.minute, self.second)
    }

    /// `20261122T223905`
    pub fn stamp(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Squid's time stamp format: `2026-11-22_23-59-01.123456`.
    pub fn squid_time(&self) -> String {
        let us = (self.unix_s.fract() * 1e6).floor() as u32;
        format!(
            "{}_{:02}-{:02}-{:02}.{us:06}",
            self.date(),
            self.hour,
            self.minute,
            self.second
        )
    }

    /// RFC 3339 with the local offset and milliseconds, for records.
    pub fn rfc3339(&self) -> String {
        let off = self.utc_offset_s;
        let sign = if off < 0 { '-' } else { '+' };
        let off = off.abs();
        let ms = ((self.unix_s.fract()) * 1000.0).floor() as u32;
        format!(
            "{}T{:02}:{:02}:{:02}.{ms:03}{sign}{:02}:{:02}",
            self.date(),
            self.hour,
            self.minute,
            self.second,
            off / 3600,
            (off % 3600) / 60
        )
    }
}
