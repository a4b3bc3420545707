//! Numbers for people: durations, sizes, counts.

/// `2h 05m 03s`, `4m 12s`, `12.3s`, `45ms`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "∞".into();
    }
    let s = secs.max(0.0);
    if s == 0.0 {
        return "0s".into();
    }
    if s < 1.0 {
        return format!("{:.0}ms", s * 1000.0);
    }
    if s < 60.0 {
        return format!("{s:.1}s");
    }
    let total = s.round() as u64;
    let (d, h, m, sec) = (
        total / 86400,
        (total / 3600) % 24,
        (total / 60) % 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}h {m:02}m")
    } else if h > 0 {
        format!("{h}h {m:02}m {sec:02}s")
    } else {
        format!("{m}m {sec:02}s")
    }
}

/// Decimal units, as disks are sold and `df -H` prints: `1.2 GB`.
pub fn bytes(b: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// `1,234,567`
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 frame", "3 frames"
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// How many characters `s` has when that is more than `max` (a bound on what someone may
/// make squidctl keep and show), else `None`.
pub fn too_long(s: &str, max: usize) -> Option<usize> {
    let n = s.chars().count();
    (n > max).then_some(n)
}

/// At most `n` characters of someone's text, for a message or a table cell: a 70,000-character
/// label must not make a line, an error or a table that long.
pub fn clip(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]).into(),
        None => s.into(),
    }
}

/// Shortest decimal form: `20`, `1.5`, `0.325`; huge or tiny values in exponent form
/// (`1e300`, not three hundred digits), which the parsers read back.
pub fn num(n: f64) -> String {
    let a = n.abs();
    if a != 0.0 && a.is_finite() && !(1e-9..1e15).contains(&a) {
        return format!("{n:e}");
    }
    let r = (n * 1e9).round() / 1e9;
    let s = format!("{r}");
    if s == "-0" { "0".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(0.045), "45ms");
        assert_eq!(duration(12.34), "12.3s");
        assert_eq!(duration(252.0), "4m 12s");
        assert_eq!(duration(7503.0), "2h 05m 03s");
        assert_eq!(duration(90000.0), "1d 01h 00m");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_234_000_000), "1.2 GB");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(plural(1, "frame", "frames"), "1 frame");
    }
}
