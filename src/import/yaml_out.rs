//! Writing the imported YAML by hand: the output keeps the user's units and carries comments
//! (where a value came from, what has no equivalent), which a serializer cannot write.

use crate::protocol::units::fmt_num;

/// A scalar that reads back as the same string whatever it contains: JSON's quoting is valid
/// YAML, and plain words stay plain.
pub fn text(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && !s.ends_with(' ')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

pub fn num(v: f64) -> String {
    fmt_num(v)
}

pub fn um(v: f64) -> String {
    format!("{}um", fmt_num(v))
}

pub fn mm(v: f64) -> String {
    format!("{}mm", fmt_num(v))
}

pub fn ms(v: f64) -> String {
    format!("{}ms", fmt_num(v))
}

pub fn secs(v: f64) -> String {
    format!("{}s", fmt_num(v))
}

pub fn pct(v: f64) -> String {
    format!("{}%", fmt_num(v))
}

/// A protocol channel as one flow mapping: name, exposure, intensity, then `extra` settings.
pub fn channel(name: &str, exposure_ms: f64, intensity_pct: f64, extra: &[String]) -> String {
    let mut parts = vec![
        format!("name: {}", text(name)),
        format!("exposure: {}", ms(exposure_ms)),
        format!("intensity: {}", pct(intensity_pct)),
    ];
    parts.extend_from_slice(extra);
    format!("- {{{}}}", parts.join(", "))
}

/// Wrap `words` into comment lines of at most `width` columns, each starting with `# `.
pub fn comment_lines(prefix: &str, words: &[String], width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = format!("# {prefix}");
    for (i, w) in words.iter().enumerate() {
        let piece = if i + 1 < words.len() {
            format!("{w},")
        } else {
            w.clone()
        };
        if line.len() + 1 + piece.len() > width && line.len() > 2 {
            out.push(line);
            line = "#  ".to_string();
        }
        line.push(' ');
        line.push_str(&piece);
    }
    out.push(line);
    out
}

/// Lines of YAML, each with an optional trailing comment.
#[derive(Default)]
pub struct Doc {
    lines: Vec<String>,
}

impl Doc {
    pub fn comment(&mut self, indent: usize, text: &str) {
        for l in text.lines() {
            self.lines
                .push(format!("{:indent$}# {l}", "").trim_end().to_string());
        }
    }

    pub fn line(&mut self, indent: usize, text: &str) {
        self.lines.push(format!("{:indent$}{text}", ""));
    }

    /// `key: value  # note`
    pub fn kv(&mut self, indent: usize, key: &str, value: &str, note: &str) {
        if note.is_empty() {
            self.line(indent, &format!("{key}: {value}"));
        } else {
            self.line(indent, &format!("{key}: {value}  # {note}"));
        }
    }

    pub fn raw(&mut self, line: String) {
        self.lines.push(line);
    }

    pub fn blank(&mut self) {
        self.lines.push(String::new());
    }

    pub fn finish(self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_only_when_needed() {
        assert_eq!(text("BF LED matrix full"), "BF LED matrix full");
        assert_eq!(text("yes"), "\"yes\"");
        assert_eq!(text("A1: top"), "\"A1: top\"");
        assert_eq!(text("1x"), "\"1x\"");
        assert_eq!(text(""), "\"\"");
        assert_eq!(text("#5"), "\"#5\"");
    }

    #[test]
    fn units_are_written() {
        assert_eq!(um(1.5), "1.5um");
        assert_eq!(mm(0.1 + 0.2), "0.3mm");
        assert_eq!(ms(12.0), "12ms");
    }
}
