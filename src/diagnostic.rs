//! User-facing errors that point at the exact place in what the user wrote.
//!
//! Every error a protocol, microscope description, CSV or `--set` can cause ends up here, so
//! that all of them render the same way: what is wrong, where (file:line:column with the line
//! quoted), and what to do about it.

use std::fmt::Write as _;
use std::sync::Arc;

/// A text the user gave us, kept whole so errors can quote the offending line.
#[derive(Debug)]
pub struct SourceFile {
    /// How to name it in messages: a path, `<stdin>`, `--set`, `built-in microscope`.
    pub name: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            text: text.into(),
        })
    }

    /// The 1-based line, without its newline.
    pub fn line(&self, line: u32) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)? as usize)
    }
}

/// A place in a source: 1-based line and column (in characters), and a length to underline.
#[derive(Clone, Debug)]
pub struct Loc {
    pub file: Arc<SourceFile>,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Loc {
    /// Narrow a location to `needle` when it appears on the same line at or after this column,
    /// e.g. one well inside `wells: "A1:H12, Q3"`.
    pub fn narrowed_to(&self, needle: &str) -> Loc {
        let Some(line) = self.file.line(self.line) else {
            return self.clone();
        };
        let start: usize = line
            .char_indices()
            .nth(self.col.saturating_sub(1) as usize)
            .map_or(line.len(), |(i, _)| i);
        match line[start..].find(needle) {
            Some(off) => Loc {
                file: self.file.clone(),
                line: self.line,
                col: self.col + line[start..start + off].chars().count() as u32,
                len: needle.chars().count() as u32,
            },
            None => self.clone(),
        }
    }
}

/// One error (or warning) for the user.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub message: String,
    pub loc: Option<Loc>,
    /// The file when there is no precise location (unreadable file, empty document).
    pub file: Option<String>,
    /// The key path inside the document, e.g. `channels[1].exposure`.
    pub path: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            loc: None,
            file: None,
            path: None,
            help: None,
        }
    }

    pub fn at(mut self, loc: Option<Loc>) -> Self {
        if self.loc.is_none() {
            self.loc = loc;
        }
        self
    }

    pub fn in_file(mut self, name: impl Into<String>) -> Self {
        self.file = Some(name.into());
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        if self.path.is_none() && !p.is_empty() {
            self.path = Some(p);
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn file_name(&self) -> Option<&str> {
        self.loc
            .as_ref()
            .map(|l| l.file.name.as_str())
            .or(self.file.as_deref())
    }

    /// The rustc-like rendering used on stderr.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "error: {}", self.message);
        if let Some(p) = &self.path {
            let _ = write!(out, " (at `{p}`)");
        }
        out.push('\n');
        match &self.loc {
            Some(loc) => {
                let _ = writeln!(out, "  --> {}:{}:{}", loc.file.name, loc.line, loc.col);
                if let Some(text) = loc.file.line(loc.line) {
                    let text = text.replace('\t', " ");
                    let num = loc.line.to_string();
                    let pad = " ".repeat(num.len());
                    // A very long line (minified YAML, a huge list) is shown around the column.
                    const WINDOW: u32 = 60;
                    let mut col = loc.col.max(1);
                    let text = if text.chars().count() as u32 > 2 * WINDOW {
                        let start = col.saturating_sub(WINDOW / 2).max(1) - 1;
                        let shown: String = text
                            .chars()
                            .skip(start as usize)
                            .take(WINDOW as usize)
                            .collect();
                        let lead = if start > 0 { "…" } else { "" };
                        col = col - start + lead.chars().count() as u32;
                        format!("{lead}{shown}…")
                    } else {
                        text
                    };
                    let width = text.chars().count() as u32;
                    let len = loc.len.clamp(1, width.saturating_sub(col - 1).max(1));
                    let _ = writeln!(out, "{pad} |");
                    let _ = writeln!(out, "{num} | {text}");
                    let _ = writeln!(
                        out,
                        "{pad} | {}{}",
                        " ".repeat(col as usize - 1),
                        "^".repeat(len as usize)
                    );
                }
            }
            None => {
                if let Some(f) = &self.file {
                    let _ = writeln!(out, "  --> {f}");
                }
            }
        }
        if let Some(h) = &self.help {
            let _ = writeln!(out, "  = help: {h}");
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "message": self.message,
            "file": self.file_name(),
            "line": self.loc.as_ref().map(|l| l.line),
            "column": self.loc.as_ref().map(|l| l.col),
            "path": self.path,
            "help": self.help,
        })
    }
}

/// Several diagnostics found in one pass, so the user can fix them all at once.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, more: Diagnostics) {
        self.0.extend(more.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All diagnostics, then a count when there are several.
    pub fn render(&self) -> String {
        let mut s = self
            .0
            .iter()
            .map(Diagnostic::render)
            .collect::<Vec<_>>()
            .join("\n");
        if self.0.len() > 1 {
            s.push_str(&format!("{} problems found\n", self.0.len()));
        }
        s
    }

    /// These diagnostics as one fault: the rendered text, and each one in `detail`.
    pub fn fault(&self, code: crate::fault::Code, component: &str) -> crate::fault::Fault {
        crate::fault::Fault::new(code, self.render().trim_end())
            .component(component)
            .with(
                "diagnostics",
                self.0.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
            )
    }

    /// `Ok(v)` when nothing was reported.
    pub fn into_result<T>(self, v: T) -> Result<T, Diagnostics> {
        if self.0.is_empty() { Ok(v) } else { Err(self) }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_caret_and_help() {
        let f = SourceFile::new("p.yaml", "name: x\nchannels:\n  - exposre: 20ms\n");
        let d = Diagnostic::new("unknown key `exposre`")
            .at(Some(Loc {
                file: f,
                line: 3,
                col: 5,
                len: 7,
            }))
            .help("did you mean `exposure`?");
        let r = d.render();
        assert!(r.contains("--> p.yaml:3:5"), "{r}");
        assert!(r.contains("3 |   - exposre: 20ms"), "{r}");
        assert!(r.contains("  |     ^^^^^^^\n"), "{r}");
        assert!(r.contains("help: did you mean `exposure`?"), "{r}");
    }

    #[test]
    fn narrows_to_a_token_on_the_line() {
        let f = SourceFile::new("p.yaml", "  wells: \"A1:H12, Q3\"\n");
        let loc = Loc {
            file: f,
            line: 1,
            col: 10,
            len: 12,
        };
        let n = loc.narrowed_to("Q3");
        assert_eq!((n.col, n.len), (19, 2));
    }
}
