//! Times on the command line (`--at`, `--expires`), in local time as a person at the
//! microscope says them.

use crate::protocol::units::Duration;

fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<f64> {
    // SAFETY: mktime reads and normalises the zeroed struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = y - 1900;
    tm.tm_mon = mo as i32 - 1;
    tm.tm_mday = d as i32;
    tm.tm_hour = h as i32;
    tm.tm_min = mi as i32;
    tm.tm_sec = s as i32;
    tm.tm_isdst = -1;
    let t = unsafe { libc::mktime(&mut tm) };
    (t != -1).then_some(t as f64)
}

fn clock_time(s: &str) -> Option<(u32, u32, u32)> {
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let n: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (h, m, sec) = (n[0], n[1], n.get(2).copied().unwrap_or(0));
    (h < 24 && m < 60 && sec < 60).then_some((h, m, sec))
}

fn date(s: &str) -> Option<(i32, u32, u32)> {
    let p: Vec<&str> = s.split('-').collect();
    if p.len() != 3 {
        return None;
    }
    let (y, m, d) = (p[0].parse().ok()?, p[1].parse().ok()?, p[2].parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

const HELP: &str = "write a time as 22:30 (the next one), 2026-12-24T22:30, or +2h (from now)";

/// A start time: `22:30` (today, or tomorrow if that has passed), `2026-12-24 22:30[:00]`,
/// `2026-12-24T22:30`, `+2h` / `in 2h`, or `now`. Unix seconds.
pub fn at(s: &str, now_unix: f64) -> Result<f64, String> {
    let s = s.trim();
    if s == "now" {
        return Ok(now_unix);
    }
    if let Some(d) = s.strip_prefix('+').or_else(|| s.strip_prefix("in ")) {
        let d = Duration::parse(d.trim()).map_err(|e| format!("`{s}`: {e}"))?;
        return Ok(now_unix + d.secs());
    }
    if let Some((h, m, sec)) = clock_time(s) {
        let today = crate::clock::WallTime::from_unix(now_unix);
        let t = local(today.year, today.month, today.day, h, m, sec)
            .ok_or_else(|| format!("`{s}` is not a time here"))?;
        return Ok(if t <= now_unix { t + 86_400.0 } else { t });
    }
    let (d, t) = s
        .split_once(['T', ' '])
        .ok_or_else(|| format!("`{s}` is not a time: {HELP}"))?;
    let ((y, mo, day), (h, m, sec)) = date(d)
        .zip(clock_time(t))
        .ok_or_else(|| format!("`{s}` is not a time: {HELP}"))?;
    local(y, mo, day, h, m, sec).ok_or_else(|| format!("`{s}` is not a time here"))
}

/// An expiry: a duration from now (`12h`) or a time as [`at`] takes it.
pub fn expires(s: &str, now_unix: f64) -> Result<f64, String> {
    match Duration::parse(s.trim()) {
        Ok(d) => Ok(now_unix + d.secs()),
        Err(_) => at(s, now_unix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_people_write() {
        let now = local(2026, 12, 5, 10, 0, 0).expect("a time");
        assert_eq!(at("+2h", now), Ok(now + 7200.0));
        assert_eq!(at("in 30min", now), Ok(now + 1800.0));
        assert_eq!(at("22:30", now), Ok(now + 12.5 * 3600.0));
        assert_eq!(
            at("09:00", now),
            Ok(now + 23.0 * 3600.0),
            "passed: tomorrow"
        );
        assert_eq!(at("2026-12-05T11:00", now), Ok(now + 3600.0));
        assert_eq!(at("2026-12-05 11:00:30", now), Ok(now + 3630.0));
        assert_eq!(expires("12h", now), Ok(now + 43200.0));
        assert!(at("25:00", now).is_err());
        assert!(at("tomorrow", now).unwrap_err().contains("22:30"));
    }
}
