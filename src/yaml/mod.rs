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

pub use de::{DeError, from_node, from_node_at};
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
    match type_tree_partly(root) {
        (Some((v, _)), d) if d.is_empty() => Ok(v),
        (_, d) => Err(d),
    }
}

/// Type a tree, and when parts of it cannot be typed, the rest without them: every error,
/// and the value of what remains with the tree it was typed from (if that types), so later
/// located checks can report theirs too.
pub fn type_tree_partly<T: serde::de::DeserializeOwned>(
    root: &Node,
) -> (Option<(T, Node)>, Diagnostics) {
    let first = match from_node::<T>(root) {
        Ok(v) => return (Some((v, root.clone())), Diagnostics::default()),
        Err(e) => e,
    };
    let (errors, rest) = more_errors::<T>(root, first);
    (
        rest,
        Diagnostics(errors.into_iter().map(DeError::into_diagnostic).collect()),
    )
}

/// Largest protocol, microscope description or positions CSV read (a 100,000-region CSV is
/// about 4 MB): `/dev/zero` or a runaway generator must not fill memory.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Deepest nesting a protocol may have, in a file (this reader's limit) or by `--set`.
pub const MAX_DEPTH: usize = 64;

/// Read a user's text file with a message that says which file and why it failed. Only
/// regular files are read (a FIFO or device could block or never end), up to
/// [`MAX_INPUT_BYTES`].
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let name = path.display().to_string();
    let fail = |e: std::io::Error| {
        let help = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; relative paths start from the current directory"
            }
            std::io::ErrorKind::PermissionDenied => "check the file's permissions",
            _ => "check that the path names a readable file",
        };
        Diagnostic::new(format!("cannot read {name}: {e}"))
            .in_file(name.clone())
            .help(help)
    };
    let meta = std::fs::metadata(path).map_err(fail)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a pipe, device or socket)"
        };
        return Err(Diagnostic::new(format!("cannot read {name}: it is {what}"))
            .in_file(name.clone())
            .help(
                "give the path of a text file; to pipe a protocol in, use `-` for standard input",
            ));
    }
    // Opened without following into a FIFO swapped in after the check: O_NONBLOCK makes
    // such an open return at once, and the size is checked on what was opened.
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(fail)?;
    if !f.metadata().map_err(fail)?.is_file() {
        return Err(
            Diagnostic::new(format!("cannot read {name}: it is not a regular file"))
                .in_file(name.clone())
                .help("give the path of a text file"),
        );
    }
    let bytes = read_bounded(f, &name)?;
    utf8(bytes, &name)
}

/// Read at most [`MAX_INPUT_BYTES`] from `r`, refusing more (standard input included).
pub fn read_bounded(r: impl std::io::Read, name: &str) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read;
    let mut bytes = Vec::new();
    r.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Diagnostic::new(format!("cannot read {name}: {e}")).in_file(name.to_string())
        })?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Diagnostic::new(format!(
            "{name} is larger than {} MiB, more than any protocol, microscope description or positions list needs",
            MAX_INPUT_BYTES >> 20
        ))
        .in_file(name.to_string())
        .help("check that this is the file you meant; split a huge positions list into several protocols"));
    }
    Ok(bytes)
}

/// The text of `bytes`, or where it stops being UTF-8.
pub fn utf8(bytes: Vec<u8>, name: &str) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
        let line = text.matches('\n').count() + 1;
        let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostic::new(format!(
            "{name} is not UTF-8 text (bad byte at line {line}, column {col})"
        ))
        .in_file(name.to_string())
        .help("save the file as UTF-8")
    })
}

/// Most errors a file may list at once; serde stops at the first, so we find the rest.
const MAX_ERRORS: usize = 20;

/// Serde stops at the first error. To show a user every typo'd key and missing unit in one
/// go, take what each error is about out of a copy of the tree and type it again, for as long
/// as that finds new errors of the user's making. An error about a missing key takes out the
/// mapping that lacks it (a list item, say one channel); later errors are renumbered to the
/// user's own list indices. An error we caused by a removal is never reported: a missing key
/// we took out sends the removal one level up, and any other error at a mapping we took
/// something from ends the search.
fn more_errors<T: serde::de::DeserializeOwned>(
    root: &Node,
    first: DeError,
) -> (Vec<DeError>, Option<(T, Node)>) {
    let mut tree = root.clone();
    // What was taken out: as paths in the pruned tree (to renumber) and in the user's file.
    let (mut removed, mut removed_user): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut target = first.path.clone();
    let mut errors = vec![first];
    while errors.len() < MAX_ERRORS {
        // The whole document is never taken out.
        let Some(path) = target.take().filter(|p| !p.is_empty()) else {
            break;
        };
        if !tree.remove(&path) {
            break;
        }
        removed_user.push(user_path(&path, &removed));
        removed.push(path);
        let mut e = match from_node::<T>(&tree) {
            Ok(v) => return (errors, Some((v, tree))),
            Err(e) => e,
        };
        let at = e.path.clone().unwrap_or_default();
        let at_user = user_path(&at, &removed);
        if let Some(key) = e.missing {
            let full = if at_user.is_empty() {
                key.to_string()
            } else {
                format!("{at_user}.{key}")
            };
            if removed_user.contains(&full) {
                target = Some(at);
                continue;
            }
        }
        if removed_user.iter().any(|r| is_within(r, &at_user)) {
            break;
        }
        e.path = e.path.map(|_| at_user);
        target = Some(at);
        errors.push(e);
    }
    (errors, None)
}

/// Whether `path` lies inside `outer` (or is it).
fn is_within(path: &str, outer: &str) -> bool {
    outer.is_empty()
        || path == outer
        || path
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// A path in the pruned tree as the user's file numbers it: every list item taken out before
/// (earlier removals first) shifts the indices after it.
fn user_path(path: &str, removed: &[String]) -> String {
    let mut p = path.to_string();
    for r in removed.iter().rev() {
        let Some((list, idx)) = r.strip_suffix(']').and_then(|r| r.rsplit_once('[')) else {
            continue;
        };
        let Ok(gone) = idx.parse::<usize>() else {
            continue;
        };
        let Some(rest) = p.strip_prefix(&format!("{list}[")) else {
            continue;
        };
        let Some((n, tail)) = rest.split_once(']') else {
            continue;
        };
        if let Ok(n) = n.parse::<usize>()
            && n >= gone
        {
            p = format!("{list}[{}]{tail}", n + 1);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::{is_within, user_path};

    #[test]
    fn paths_after_removed_list_items_are_renumbered() {
        let one = ["channels[0]".to_string()];
        assert_eq!(
            user_path("channels[0].exposre", &one),
            "channels[1].exposre"
        );
        assert_eq!(user_path("fov.overlap", &one), "fov.overlap");
        // The second removal was made in the already shortened list: items 0 and 1 are gone.
        let two = ["channels[0]".to_string(), "channels[0]".to_string()];
        assert_eq!(user_path("channels[0].name", &two), "channels[2].name");
        let keys = [
            "channels[1].exposure".to_string(),
            "plate.visit".to_string(),
        ];
        assert_eq!(user_path("channels[3].gain", &keys), "channels[3].gain");
        assert!(is_within("channels[1].exposure", "channels[1]"));
        assert!(is_within("channels[1]", "channels"));
        assert!(is_within("z", ""));
        assert!(!is_within("channels[10]", "channels[1]"));
        assert!(!is_within("zoom", "z"));
        let later = ["positions[5]".to_string()];
        assert_eq!(user_path("positions[2].x", &later), "positions[2].x");
        assert_eq!(user_path("positions[12].x", &later), "positions[13].x");
    }
}
