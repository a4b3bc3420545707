//! The protocol: its YAML schema, units, and loading with located errors and `--set`
//! overrides.

pub mod positions_csv;
pub mod schema;
pub mod template;
pub mod units;

use std::path::PathBuf;
use std::sync::Arc;

pub use schema::Protocol;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::yaml::{Node, Value};

/// A typed protocol plus what located checks and relative paths need.
#[derive(Clone, Debug)]
pub struct LoadedProtocol {
    pub spec: Protocol,
    pub root: Node,
    pub source: Arc<SourceFile>,
    /// Relative paths inside the protocol (a positions CSV) start here.
    pub base_dir: PathBuf,
    /// Which files the protocol may name.
    pub files: Files,
}

/// Which files a protocol may make squidctl open. A protocol from the command line names
/// files with its user's own rights; one sent over the API must not make the server open
/// anything of its own (`positions: /etc/shadow`), so it brings its CSV in the request.
#[derive(Clone, Debug, Default)]
pub enum Files {
    #[default]
    Disk,
    /// Sent over the API, with the positions CSV's text if the request carried one.
    Sent(Option<Arc<SourceFile>>),
}

impl LoadedProtocol {
    /// Load `path` (`-` reads standard input) and apply `key.path=value` overrides.
    pub fn load(path: &str, overrides: &[String]) -> Result<Self, Diagnostics> {
        let (source, base_dir) = if path == "-" {
            let bytes =
                crate::yaml::read_bounded(std::io::stdin().lock(), "<stdin>").map_err(|d| {
                    d.help("pipe a UTF-8 YAML protocol into squidctl, or give a file path")
                })?;
            let text = crate::yaml::utf8(bytes, "<stdin>")?;
            (
                SourceFile::new("<stdin>", text),
                std::env::current_dir().unwrap_or_default(),
            )
        } else {
            let p = PathBuf::from(path);
            let text = crate::yaml::read_text(&p)?;
            let base = p.parent().map(PathBuf::from).unwrap_or_default();
            (SourceFile::new(path, text), base)
        };
        Self::from_source(source, base_dir, overrides)
    }

    pub fn from_source(
        source: Arc<SourceFile>,
        base_dir: PathBuf,
        overrides: &[String],
    ) -> Result<Self, Diagnostics> {
        let mut root = Node::parse(&source)?;
        apply_overrides(&mut root, overrides)?;
        let spec: Protocol = crate::yaml::type_tree(&root)?;
        if spec.version != 1 {
            return Err(Diagnostic::new(format!(
                "protocol version {} is not supported",
                spec.version
            ))
            .at(Some(root.best_loc("version")))
            .help("this squidctl reads `version: 1` protocols")
            .into());
        }
        Ok(LoadedProtocol {
            spec,
            root,
            source,
            base_dir,
            files: Files::Disk,
        })
    }

    /// Error at a key path of the protocol (or its nearest existing parent).
    pub fn err(&self, path: &str, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(msg)
            .at(Some(self.root.best_loc(path)))
            .path(path)
    }
}

pub use crate::yaml::MAX_DEPTH;

/// Key paths have no empty parts (`plate..format`, `.plate`, `plate.`).
fn check_key_path(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key path is empty".into());
    }
    if key.split('.').any(str::is_empty) {
        return Err(format!(
            "the key path `{key}` has an empty part (two dots, or a dot at an end)"
        ));
    }
    Ok(())
}

fn key_depth(key: &str) -> usize {
    key.split('.').map(|p| 1 + p.matches('[').count()).sum()
}

/// A flow mapping of bare keys only (`{plate}`, `{name}`): what a template looks like.
fn is_template_like(n: &Node) -> bool {
    matches!(&n.value, Value::Map(entries) if !entries.is_empty()
        && entries.iter().all(|(_, v)| matches!(v.value, Value::Null)))
        && n.loc.file.text.trim_start().starts_with('{')
}

/// Apply `--set key.path=value`. The value is read as YAML, so `3`, `true`, `[a, b]` and
/// `20ms` mean what they would in the file; errors in it point at the `--set`.
pub fn apply_overrides(root: &mut Node, overrides: &[String]) -> Result<(), Diagnostics> {
    let mut errors = Diagnostics::default();
    for o in overrides {
        let Some((key, value)) = o.split_once('=') else {
            errors.push(
                Diagnostic::new(format!("`--set {o}` has no `=`"))
                    .help("write --set key.path=value, e.g. --set time.count=3"),
            );
            continue;
        };
        let key = key.trim();
        if let Err(m) = check_key_path(key) {
            errors.push(Diagnostic::new(format!("`--set {o}`: {m}")).help(
                "write the key path as in the file, e.g. --set plate.format=96 or --set channels[0].exposure=20ms",
            ));
            continue;
        }
        let source = SourceFile::new(format!("--set {key}"), value.to_string());
        let node = if value.trim().is_empty() {
            Node {
                value: Value::Str(String::new()),
                loc: crate::diagnostic::Loc {
                    file: source,
                    line: 1,
                    col: 1,
                    len: 1,
                },
                raw: None,
            }
        } else {
            // Read as YAML (`3`, `true`, `[a, b]`, `20ms`); what is not YAML is plain text, so
            // `--set output.run_name={plate}_{name}` needs no quoting.
            // `{plate}` alone reads as a flow mapping of one bare key: a template, as text.
            let text = || Node {
                value: Value::Str(value.to_string()),
                loc: crate::diagnostic::Loc {
                    file: source.clone(),
                    line: 1,
                    col: 1,
                    len: value.chars().count().max(1) as u32,
                },
                raw: None,
            };
            match Node::parse(&source) {
                Ok(n) if is_template_like(&n) => text(),
                Ok(n) => n,
                Err(_) => text(),
            }
        };
        // Containers from the top down to the deepest value, as the file reader counts them.
        let depth = key_depth(key) + node.depth() - 1;
        if depth > MAX_DEPTH {
            errors.push(
                Diagnostic::new(format!(
                    "`--set {}…` nests {depth} levels deep; protocols may nest at most {MAX_DEPTH}",
                    o.chars().take(40).collect::<String>()
                ))
                .help("no protocol key is that deep: check the key path"),
            );
            continue;
        }
        if let Err(m) = root.set(key, node) {
            errors.push(Diagnostic::new(format!("cannot apply `--set {o}`: {m}")));
        }
    }
    errors.into_result(())
}
