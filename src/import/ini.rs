//! The INI dialect of Squid's `configuration_*.ini` (Python's configparser): `[SECTION]`,
//! `key = value`, `#`/`;` comment lines, keys compared without case. Every read is
//! remembered, so the importer can list what it did not use instead of dropping it silently.

use std::cell::Cell;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Loc, SourceFile};

pub struct Entry {
    pub section: String,
    pub key: String,
    pub value: String,
    line: u32,
    used: Cell<bool>,
}

pub struct Ini {
    pub file: Arc<SourceFile>,
    pub entries: Vec<Entry>,
}

impl Ini {
    pub fn parse(file: Arc<SourceFile>) -> Result<Ini, Diagnostic> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut section: Option<String> = None;
        for (i, raw) in file.text.lines().enumerate() {
            let line = i as u32 + 1;
            let text = raw.trim_start_matches('\u{feff}');
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let at = |msg: String, help: &str| {
                Diagnostic::new(msg)
                    .at(Some(Loc {
                        file: file.clone(),
                        line,
                        col: 1,
                        len: raw.chars().count().max(1) as u32,
                    }))
                    .help(help)
            };
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(at(
                        "a section header without its closing `]`".into(),
                        "write it as `[SECTION]`",
                    ));
                };
                section = Some(name.trim().to_string());
                continue;
            }
            if text.starts_with([' ', '\t']) {
                // configparser's continuation line: part of the previous value.
                if let Some(last) = entries.last_mut() {
                    last.value.push('\n');
                    last.value.push_str(trimmed);
                    continue;
                }
            }
            let Some(split) = trimmed.find(['=', ':']) else {
                return Err(at(
                    format!("cannot read `{trimmed}` as `key = value`"),
                    "each line of a Squid configuration file is `key = value`, a `[SECTION]` or a comment",
                ));
            };
            let Some(sec) = section.clone() else {
                return Err(at(
                    "a key before the first `[SECTION]`".into(),
                    "Squid's files start with `[GENERAL]`; is this a Squid configuration file?",
                ));
            };
            let key = trimmed[..split].trim().to_string();
            let value = trimmed[split + 1..].trim().to_string();
            if let Some(prev) = entries
                .iter()
                .find(|e| e.section == sec && e.key.eq_ignore_ascii_case(&key))
            {
                return Err(at(
                    format!(
                        "`{key}` appears twice in [{sec}] (first on line {})",
                        prev.line
                    ),
                    "keep one of them (Squid refuses such a file too)",
                ));
            }
            entries.push(Entry {
                section: sec,
                key,
                value,
                line,
                used: Cell::new(false),
            });
        }
        if entries.is_empty() {
            return Err(Diagnostic::new("the file has no settings")
                .in_file(&file.name)
                .help("give a Squid configuration file (configuration_*.ini)"));
        }
        Ok(Ini { file, entries })
    }

    /// The entry, marked as used.
    pub fn get(&self, section: &str, key: &str) -> Option<&Entry> {
        let e = self
            .entries
            .iter()
            .find(|e| e.section.eq_ignore_ascii_case(section) && e.key.eq_ignore_ascii_case(key))?;
        e.used.set(true);
        Some(e)
    }

    /// A text value; `None`, empty and `""` count as unset (Squid writes all three).
    pub fn text(&self, section: &str, key: &str) -> Option<String> {
        let v = self
            .get(section, key)?
            .value
            .trim()
            .trim_matches('"')
            .trim();
        if v.is_empty() || v.eq_ignore_ascii_case("none") {
            None
        } else {
            Some(v.to_string())
        }
    }

    pub fn number(&self, section: &str, key: &str) -> Result<Option<f64>, Diagnostic> {
        let Some(e) = self.get(section, key) else {
            return Ok(None);
        };
        let v = e.value.trim().trim_matches('"');
        if v.eq_ignore_ascii_case("none") || v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(self
                .error(e, format!("`{key}` is `{v}`, not a number"))
                .help("write a plain number, as Squid's own files do")),
        }
    }

    pub fn flag(&self, section: &str, key: &str) -> Result<Option<bool>, Diagnostic> {
        let Some(e) = self.get(section, key) else {
            return Ok(None);
        };
        match e.value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Some(true)),
            "false" | "0" | "no" | "off" => Ok(Some(false)),
            other => Err(self
                .error(e, format!("`{key}` is `{other}`, neither True nor False"))
                .help("write True or False")),
        }
    }

    pub fn error(&self, e: &Entry, msg: impl Into<String>) -> Diagnostic {
        let len = self
            .file
            .line(e.line)
            .map_or(1, |l| l.chars().count().max(1) as u32);
        Diagnostic::new(msg).at(Some(Loc {
            file: self.file.clone(),
            line: e.line,
            col: 1,
            len,
        }))
    }

    /// Keys never read, in file order; configparser's `_…_options` lists (the GUI's
    /// choices for a key) are counted apart.
    pub fn unused(&self) -> (Vec<&Entry>, usize) {
        let mut keys = Vec::new();
        let mut options = 0;
        for e in self.entries.iter().filter(|e| !e.used.get()) {
            if e.key.starts_with('_') && e.key.to_ascii_lowercase().ends_with("_options") {
                options += 1;
            } else {
                keys.push(e);
            }
        }
        (keys, options)
    }

    pub fn used(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.used.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ini(text: &str) -> Result<Ini, Diagnostic> {
        Ini::parse(SourceFile::new("t.ini", text))
    }

    #[test]
    fn reads_sections_keys_and_marks_use() {
        let i = ini("[GENERAL]\n# c\nA_Key = 1.5\nflag = True\nname = \"x\"\n\n[AF]\nsn = None\n")
            .unwrap_or_else(|e| panic!("{}", e.render()));
        assert_eq!(i.number("general", "a_key").ok().flatten(), Some(1.5));
        assert_eq!(i.flag("GENERAL", "FLAG").ok().flatten(), Some(true));
        assert_eq!(i.text("GENERAL", "name").as_deref(), Some("x"));
        assert_eq!(i.text("AF", "sn"), None);
        assert_eq!(i.unused().0.len(), 0);
        assert!(i.number("GENERAL", "missing").ok().flatten().is_none());
    }

    #[test]
    fn errors_are_located() {
        let e = ini("[G]\nx = 1\nx = 2\n").err().map(|e| e.render());
        assert!(
            e.as_deref()
                .is_some_and(|r| r.contains("t.ini:3") && r.contains("twice"))
        );
        let e = ini("x = 1\n").err().map(|e| e.render());
        assert!(e.is_some_and(|r| r.contains("before the first")));
        let i = ini("[G]\nx = abc\n").unwrap_or_else(|e| panic!("{}", e.render()));
        let e = i.number("G", "x").err().map(|e| e.render());
        assert!(e.is_some_and(|r| r.contains("t.ini:2") && r.contains("not a number")));
    }

    #[test]
    fn option_lists_are_counted_apart() {
        let i = ini("[G]\nx = 1\n_x_options = [1, 2]\ny = 2\n")
            .unwrap_or_else(|e| panic!("{}", e.render()));
        let _ = i.get("G", "x");
        let (keys, options) = i.unused();
        assert_eq!(options, 1);
        assert_eq!(
            keys.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["y"]
        );
    }
}
