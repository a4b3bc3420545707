//! A located YAML tree and a serde deserializer over it.
//!
//! We parse once into [`Node`]s that remember where every key and value came from, then
//! deserialize our typed structs from that tree. This gives every error — syntax, type,
//! unknown key, missing unit, and the semantic checks done later — a file, line and column,
//! and lets `--set key.path=value` overrides be applied before typing.

mod de;
mod node;

use std::path::Path;
use std::sync::Arc;

pub use de::{DeError, from_node};
pub use node::{Node, Value};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};

/// Parse and type a document, keeping the tree for later located checks.
pub fn load<T: serde::de::DeserializeOwned>(
    source: &Arc<SourceFile>,
) -> Result<(T, Node), Diagnostics> {
    let root = Node::parse(source)?;
    let value = type_tree(&root)?;
    Ok((value, root))
}

/// Type an already parsed (and possibly overridden) tree.
pub fn type_tree<T: serde::de::DeserializeOwned>(root: &Node) -> Result<T, Diagnostics> {
    if !matches!(root.value, Value::Map(_)) {
        return Err(Diagnostic::new(format!(
            "expected a mapping of keys at the top, found {}",
            root.describe()
        ))
        .at(Some(root.loc.clone()))
        .into());
    }
    from_node::<T>(root).map_err(|e| e.into_diagnostic().into())
}

/// Read a user's text file with a message that says which file and why it failed.
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| {
        let help = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; relative paths start from the current directory"
            }
            std::io::ErrorKind::PermissionDenied => "check the file's permissions",
            _ => "check that the path names a readable file",
        };
        Diagnostic::new(format!("cannot read {}: {e}", path.display()))
            .in_file(path.display().to_string())
            .help(help)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
        let line = text.matches('\n').count() + 1;
        let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostic::new(format!(
            "{} is not UTF-8 text (bad byte at line {line}, column {col})",
            path.display()
        ))
        .in_file(path.display().to_string())
        .help("save the file as UTF-8")
    })
}
