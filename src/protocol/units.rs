//! Quantities with explicit units: `20ms`, `1.5um`, `2mm`, `30m`, `12h`, `10%`, `30mm/s`.
//!
//! A bare number where a unit belongs is an error that names the units to add: a protocol
//! that says `exposure: 20` is a guess we refuse to make.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::suggest;

/// Split `" 1.5 um"` into (1.5, "um"). `None` when there is no leading number.
fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || ((c == '-' || c == '+') && (i == 0 || s[..i].ends_with(['e', 'E'])))
                || ((c == 'e' || c == 'E')
                    && i > 0
                    && s[i + 1..]
                        .starts_with(|d: char| d.is_ascii_digit() || d == '-' || d == '+')))
        })
        .map_or(s.len(), |(i, _)| i);
    let n: f64 = s[..end].parse().ok()?;
    n.is_finite().then_some((n, s[end..].trim()))
}

fn bare_number_error(n: &str, kind: &str, examples: &[&str]) -> String {
    let with: Vec<String> = examples.iter().map(|u| format!("`{n}{u}`")).collect();
    let list = match with.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => with.join(""),
    };
    format!("`{n}` has no unit\nhelp: a {kind} needs a unit: write {list}")
}

/// A time span, stored as integer nanoseconds so `20ms` stays exactly 20 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

const NS: [(&str, f64); 11] = [
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("μs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("sec", 1e9),
    ("m", 60e9),
    ("min", 60e9),
    ("h", 3600e9),
    ("d", 86400e9),
];

impl Duration {
    pub fn from_secs_f64(s: f64) -> Self {
        Duration((s.max(0.0) * 1e9).round() as u64)
    }

    pub fn secs(self) -> f64 {
        // Divided, not multiplied by 1e-9 (inexact): 30 s reads back as 30, not 30.000000000000004.
        self.0 as f64 / 1e9
    }

    pub fn std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.0)
    }

    /// Parse `20ms`, `1.5s`, `1h30m`, `2m30s`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let text = s.trim();
        if let Some((n, "")) = split_number(text) {
            return Err(bare_number_error(
                &fmt_num(n),
                "duration",
                &["ms", "s", "m", "h"],
            ));
        }
        let mut rest = text;
        let mut total = 0.0f64;
        while !rest.is_empty() {
            let Some((n, after)) = split_number(rest) else {
                return Err(format!(
                    "cannot read `{text}` as a duration\nhelp: write e.g. `20ms`, `1.5s`, `30m`, `12h` or `1h30m`"
                ));
            };
            let unit_len = after
                .char_indices()
                .find(|(_, c)| c.is_ascii_digit() || *c == '.' || c.is_whitespace())
                .map_or(after.len(), |(i, _)| i);
            let unit = &after[..unit_len];
            let Some(&(_, mult)) = NS.iter().find(|(u, _)| *u == unit) else {
                let units = ["ns", "us", "ms", "s", "m", "h"];
                return Err(format!(
                    "unknown time unit `{unit}` in `{text}`\nhelp: {}",
                    suggest::did_you_mean(unit, units)
                ));
            };
            if n < 0.0 {
                return Err(format!(
                    "`{text}` is negative\nhelp: durations must be zero or more"
                ));
            }
            total += n * mult;
            rest = after[unit_len..].trim_start();
        }
        if total > u64::MAX as f64 / 2.0 {
            return Err(format!("`{text}` is too long a duration"));
        }
        Ok(Duration(total.round() as u64))
    }
}

impl fmt::Display for Duration {
    /// The most natural exact unit, so the resolved protocol reads like the original.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        let units: [(u64, &str); 6] = [
            (3_600_000_000_000, "h"),
            (60_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
            (1, "ns"),
        ];
        if ns == 0 {
            return f.write_str("0s");
        }
        for (mult, name) in units {
            if ns.is_multiple_of(mult) {
                return write!(f, "{}{name}", ns / mult);
            }
            // Past a millisecond, a fraction of one reads better than many microseconds
            // (`50.5ms`, not `50500us`).
            if name == "ms" && ns > mult && ns.is_multiple_of(1_000) {
                return write!(f, "{}ms", fmt_num(ns as f64 / 1e6));
            }
        }
        write!(f, "{ns}ns")
    }
}

/// A length, stored in micrometres (the natural unit for z steps and offsets).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Length(pub f64);

impl Length {
    pub fn um(self) -> f64 {
        self.0
    }

    pub fn mm(self) -> f64 {
        self.0 / 1000.0
    }

    pub fn from_mm(mm: f64) -> Self {
        Length(mm * 1000.0)
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let text = s.trim();
        let Some((n, unit)) = split_number(text) else {
            return Err(format!(
                "cannot read `{text}` as a length\nhelp: write e.g. `1.5um` or `2mm`"
            ));
        };
        let mult = match unit {
            "" => return Err(bare_number_error(&fmt_num(n), "length", &["um", "mm"])),
            "nm" => return Ok(Length(n / 1e3)),
            "um" | "µm" | "μm" | "micron" | "microns" => 1.0,
            "mm" => 1e3,
            "cm" => 1e4,
            other => {
                return Err(format!(
                    "unknown length unit `{other}` in `{text}`\nhelp: {}",
                    suggest::did_you_mean(other, ["nm", "um", "µm", "mm", "cm"])
                ));
            }
        };
        Ok(Length(n * mult))
    }
}

impl fmt::Display for Length {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let um = self.0;
        if um != 0.0 && um.abs() >= 1000.0 {
            write!(f, "{}mm", fmt_num(um / 1000.0))
        } else if um != 0.0 && um.abs() < 1.0 {
            write!(f, "{}nm", fmt_num(um * 1000.0))
        } else {
            write!(f, "{}um", fmt_num(um))
        }
    }
}

/// A percentage such as `10%` (overlap, intensity), stored as the number before `%`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Percent(pub f64);

impl Percent {
    pub fn fraction(self) -> f64 {
        self.0 / 100.0
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let text = s.trim();
        match split_number(text) {
            Some((n, "%")) => Ok(Percent(n)),
            Some((n, "")) => Err(format!(
                "`{}` has no unit\nhelp: a percentage needs `%`: write `{}%`",
                fmt_num(n),
                fmt_num(n)
            )),
            _ => Err(format!(
                "cannot read `{text}` as a percentage\nhelp: write e.g. `10%`"
            )),
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", fmt_num(self.0))
    }
}

/// A stage speed, in mm/s.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Speed(pub f64);

impl Speed {
    pub fn parse(s: &str) -> Result<Self, String> {
        let text = s.trim();
        let Some((n, unit)) = split_number(text) else {
            return Err(format!(
                "cannot read `{text}` as a speed\nhelp: write e.g. `30mm/s`"
            ));
        };
        let mult = match unit {
            "" => return Err(bare_number_error(&fmt_num(n), "speed", &["mm/s", "um/s"])),
            "mm/s" => 1.0,
            "um/s" | "µm/s" | "μm/s" => return Ok(Speed(n / 1e3)),
            other => {
                return Err(format!(
                    "unknown speed unit `{other}`\nhelp: use `mm/s` or `um/s`"
                ));
            }
        };
        Ok(Speed(n * mult))
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}mm/s", fmt_num(self.0))
    }
}

/// A stage acceleration, in mm/s².
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Accel(pub f64);

impl Accel {
    pub fn parse(s: &str) -> Result<Self, String> {
        let text = s.trim();
        let Some((n, unit)) = split_number(text) else {
            return Err(format!(
                "cannot read `{text}` as an acceleration\nhelp: write e.g. `500mm/s2`"
            ));
        };
        let mult = match unit {
            "" => return Err(bare_number_error(&fmt_num(n), "acceleration", &["mm/s2"])),
            "mm/s2" | "mm/s^2" | "mm/s²" => 1.0,
            "um/s2" | "um/s^2" | "um/s²" | "µm/s2" | "µm/s²" => return Ok(Accel(n / 1e3)),
            other => {
                return Err(format!(
                    "unknown acceleration unit `{other}`\nhelp: use `mm/s2`"
                ));
            }
        };
        Ok(Accel(n * mult))
    }
}

impl fmt::Display for Accel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}mm/s2", fmt_num(self.0))
    }
}

/// A slope of a surface, in µm of height per mm across (`0.15um/mm`).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Slope(pub f64);

impl Slope {
    pub fn parse(s: &str) -> Result<Self, String> {
        let text = s.trim();
        match text.strip_suffix("/mm") {
            Some(len) => Length::parse(len).map(|l| Slope(l.um())),
            None => match split_number(text) {
                Some((n, "")) => Err(bare_number_error(&fmt_num(n), "slope", &["um/mm"])),
                _ => Err(format!(
                    "cannot read `{text}` as a slope\nhelp: write e.g. `0.15um/mm`"
                )),
            },
        }
    }
}

impl fmt::Display for Slope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}um/mm", fmt_num(self.0))
    }
}

pub use crate::human::num as fmt_num;

/// serde glue: each unit type reads from text (or refuses a bare number with a hint) and
/// writes back as text.
macro_rules! unit_serde {
    ($t:ty, $what:literal) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$t, E> {
                        <$t>::parse(v).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$t, E> {
                        <$t>::parse(&v.to_string()).map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$t, E> {
                        <$t>::parse(&v.to_string()).map_err(E::custom)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$t, E> {
                        <$t>::parse(&fmt_num(v)).map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

unit_serde!(Duration, "a duration such as `20ms` or `30m`");
unit_serde!(Length, "a length such as `1.5um` or `2mm`");
unit_serde!(Percent, "a percentage such as `10%`");
unit_serde!(Speed, "a speed such as `30mm/s`");
unit_serde!(Accel, "an acceleration such as `500mm/s2`");
unit_serde!(Slope, "a slope such as `0.15um/mm`");

#[cfg(test)]
mod tests {
    use super::*;

    /// What a user wrote comes back as the same decimal in JSON: no `30.000000000000004`.
    #[test]
    fn decimals_survive_into_seconds_and_millimetres() {
        for (text, secs) in [
            ("30s", 30.0),
            ("0.1s", 0.1),
            ("2.5ms", 0.0025),
            ("1h30m", 5400.0),
        ] {
            let d = Duration::parse(text).expect("parse");
            assert_eq!(d.secs().to_string(), secs.to_string(), "{text}");
        }
        for n in 1..10_000u64 {
            let d = Duration(n * 1_000_000);
            assert_eq!(
                d.secs().to_string(),
                (n as f64 / 1000.0).to_string(),
                "{n} ms"
            );
        }
        assert_eq!(Length::parse("300nm").expect("nm").0.to_string(), "0.3");
        assert_eq!(Duration::parse("50.5ms").expect("ms").to_string(), "50.5ms");
        assert_eq!(Duration::parse("500us").expect("us").to_string(), "500us");
        assert_eq!(Duration::parse("1500ms").expect("ms").to_string(), "1500ms");
        assert_eq!(Speed::parse("700um/s").expect("um/s").0.to_string(), "0.7");
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("20ms"), Ok(Duration(20_000_000)));
        assert_eq!(Duration::parse("1.5 s"), Ok(Duration(1_500_000_000)));
        assert_eq!(Duration::parse("30m").map(Duration::secs), Ok(1800.0));
        assert_eq!(Duration::parse("12h").map(Duration::secs), Ok(43200.0));
        assert_eq!(Duration::parse("1h30m").map(Duration::secs), Ok(5400.0));
        assert_eq!(Duration::parse("250us"), Ok(Duration(250_000)));
        assert_eq!(Duration::parse("250µs"), Ok(Duration(250_000)));
        let e = Duration::parse("20").unwrap_err();
        assert!(
            e.contains("`20` has no unit") && e.contains("`20ms`"),
            "{e}"
        );
        let e = Duration::parse("20 msec").unwrap_err();
        assert!(e.contains("unknown time unit `msec`"), "{e}");
        assert!(Duration::parse("-3s").is_err());
        assert!(Duration::parse("fast").is_err());
    }

    #[test]
    fn durations_print_back_exactly() {
        for s in ["20ms", "30m", "12h", "1500ms", "250us", "0s", "90s"] {
            let d = Duration::parse(s).expect(s);
            assert_eq!(Duration::parse(&d.to_string()), Ok(d));
        }
        assert_eq!(
            Duration::parse("1.5s").map(|d| d.to_string()),
            Ok("1500ms".into())
        );
    }

    #[test]
    fn lengths() {
        assert_eq!(Length::parse("1.5um"), Ok(Length(1.5)));
        assert_eq!(Length::parse("1.5µm"), Ok(Length(1.5)));
        assert_eq!(Length::parse("2mm"), Ok(Length(2000.0)));
        assert_eq!(Length::parse("-3um"), Ok(Length(-3.0)));
        assert_eq!(Length::parse("488nm").map(|l| l.um()), Ok(0.488));
        assert!(Length::parse("3").unwrap_err().contains("`3um` or `3mm`"));
        assert!(
            Length::parse("3m")
                .unwrap_err()
                .contains("unknown length unit `m`")
        );
        assert_eq!(Length(2000.0).to_string(), "2mm");
        assert_eq!(Length(1.5).to_string(), "1.5um");
    }

    #[test]
    fn percent_speed_accel() {
        assert_eq!(Percent::parse("10%"), Ok(Percent(10.0)));
        assert!(Percent::parse("10").unwrap_err().contains("`10%`"));
        assert_eq!(Speed::parse("30mm/s"), Ok(Speed(30.0)));
        assert_eq!(Accel::parse("500mm/s2"), Ok(Accel(500.0)));
        assert_eq!(Accel::parse("500mm/s²"), Ok(Accel(500.0)));
        assert_eq!(split_number("1e3ms"), Some((1000.0, "ms")));
        assert_eq!(Slope::parse("0.15um/mm"), Ok(Slope(0.15)));
        assert!(Slope::parse("0.15").unwrap_err().contains("`0.15um/mm`"));
    }
}
