//! useq's time plans as squidctl's time points (every, count), and its time deltas in
//! seconds: a number, ISO 8601 (`PT1M30S`, `P1DT2H`) or `[D days, ]HH:MM:SS[.f]`, the forms
//! pydantic reads.

use super::model::{Delta, No, Shape, TimePlan};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::import::tree::err;
use crate::import::yaml_out::num as fmt;
use crate::yaml::Node;

/// (every s, count, description)
pub fn time_plan(t: &TimePlan, n: &Node) -> Result<Option<(f64, u32, String)>, Diagnostics> {
    if t.phases.is_some() {
        return Err(err(n, "a MultiPhaseTimePlan has no equivalent in squidctl")
            .help("import each phase as its own protocol, or use one interval")
            .into());
    }
    let seconds = |d: &Option<Shape<Delta, No, No>>, k: &str| match d {
        None => Ok(None),
        Some(Shape::Scalar(d)) => seconds(d, n.lookup(k).unwrap_or(n), k).map(Some),
        Some(Shape::List(no) | Shape::Map(no)) => match *no {},
    };
    let (interval, duration, loops) = (
        seconds(&t.interval, "interval")?,
        seconds(&t.duration, "duration")?,
        t.loops,
    );
    if interval.is_some_and(|v| v < 0.0) || duration.is_some_and(|v| v < 0.0) {
        return Err(err(n, "a negative interval or duration").into());
    }
    let out = match (interval, duration, loops) {
        (Some(i), None, Some(l)) => (
            i,
            l,
            format!("useq TIntervalLoops interval {} s, loops {l}", fmt(i)),
        ),
        (None, Some(d), Some(l)) => {
            let every = if l > 1 { d / (l - 1) as f64 } else { 0.0 };
            (
                every,
                l,
                format!("useq TDurationLoops duration {} s, loops {l}", fmt(d)),
            )
        }
        (Some(i), Some(d), None) => {
            if i <= 0.0 {
                return Err(err(n, "an interval of 0 with a duration never ends").into());
            }
            let l = (d / i + 1e-9).floor() as u32 + 1;
            (
                i,
                l,
                format!(
                    "useq TIntervalDuration interval {} s, duration {} s",
                    fmt(i),
                    fmt(d)
                ),
            )
        }
        _ => {
            return Err(err(n, "cannot tell which useq time plan this is")
                .help("give interval and loops, duration and loops, or interval and duration")
                .into());
        }
    };
    if out.1 == 0 {
        return Err(err(n, "loops must be 1 or more").into());
    }
    // Back to back: squidctl schedules at an interval, and a late time point starts as
    // soon as the one before ends (overrun: run-late), so the shortest interval does it.
    let out = if out.0 == 0.0 && out.1 > 1 {
        (
            0.001,
            out.1,
            format!("{}; back to back, as 1 ms and run-late", out.2),
        )
    } else {
        out
    };
    Ok(Some(out))
}

pub fn seconds(d: &Delta, n: &Node, what: &str) -> Result<f64, Diagnostic> {
    let s = match d {
        Delta::Seconds(v) => return Ok(*v),
        Delta::Text(s) => s,
    };
    let bad = || {
        err(n, format!("{what} \"{s}\" is not a duration"))
            .help("write seconds (90), ISO 8601 (PT1M30S) or HH:MM:SS")
    };
    let t = s.trim();
    if let Ok(v) = t.parse::<f64>() {
        return Ok(v);
    }
    if let Some(iso) = t.strip_prefix('P') {
        let mut total = 0.0;
        let mut in_time = false;
        let mut num = String::new();
        for c in iso.chars() {
            match c {
                'T' => in_time = true,
                '0'..='9' | '.' => num.push(c),
                unit => {
                    let v: f64 = num.parse().map_err(|_| bad())?;
                    num.clear();
                    total += v * match (unit, in_time) {
                        ('W', false) => 604_800.0,
                        ('D', false) => 86_400.0,
                        ('H', true) => 3_600.0,
                        ('M', true) => 60.0,
                        ('S', true) => 1.0,
                        _ => return Err(bad()),
                    };
                }
            }
        }
        return if num.is_empty() {
            Ok(total)
        } else {
            Err(bad())
        };
    }
    let (days, clock) = match t.split_once(',') {
        Some((d, c)) => {
            let d = d
                .trim()
                .trim_end_matches("days")
                .trim_end_matches("day")
                .trim();
            (d.parse::<f64>().map_err(|_| bad())?, c.trim())
        }
        None => (0.0, t),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let v: Vec<f64> = parts
        .iter()
        .map(|p| p.parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    Ok(days * 86_400.0 + v[0] * 3_600.0 + v[1] * 60.0 + v[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<f64> {
        let file = crate::diagnostic::SourceFile::new("t.yaml", "x: 1\n");
        let n = Node::parse(&file).ok()?;
        seconds(&Delta::Text(text.into()), &n, "interval").ok()
    }

    #[test]
    fn pydantic_durations_read_as_seconds() {
        assert_eq!(secs("PT1M30S"), Some(90.0));
        assert_eq!(secs("P1DT2H"), Some(93_600.0));
        assert_eq!(secs("00:01:30.5"), Some(90.5));
        assert_eq!(secs("2 days, 00:00:01"), Some(172_801.0));
        assert_eq!(secs("12"), Some(12.0));
        assert_eq!(secs("PT1X"), None);
        assert_eq!(secs("1:30"), None);
    }
}
