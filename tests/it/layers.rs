//! Layers run one way (`../shared/design.md`): a module imports only from the layers below it
//! or its own. This reads every `crate::…` and `super::…` path in `src/` and names each one
//! that reaches up.

use crate::common::repo;
use std::path::{Path, PathBuf};

/// Top to bottom; a module may use its own layer and every one with a smaller number.
const LAYERS: &[(u32, &[&str])] = &[
    (90, &["main", "lib", "cli", "commands"]),
    (80, &["api"]),
    (70, &["queue"]),
    (60, &["session", "actions"]),
    (50, &["runner", "progress"]),
    (40, &["saver"]),
    (35, &["import", "emulate"]),
    (30, &["hardware"]),
    (20, &["supervisor"]),
    (15, &["run_dir", "instrument"]),
    (10, &["plan", "microscope", "protocol"]),
    (
        0,
        &[
            "yaml",
            "fsutil",
            "diagnostic",
            "exit",
            "fault",
            "clock",
            "human",
            "suggest",
            "terminal",
            "logging",
            "test_support",
        ],
    ),
];

fn rank(module: &str) -> Option<u32> {
    LAYERS
        .iter()
        .find(|(_, ms)| ms.contains(&module))
        .map(|(r, _)| *r)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/a/b.rs` → [a, b]; `src/a/mod.rs` → [a].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a file names: `crate::x`, `crate::{x, y}`, and `super::…` paths
/// that climb out of the file's own top-level module.
fn named_tops(text: &str, path: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            if let Some(list) = after.strip_prefix('{') {
                let list = &list[..list.find('}').unwrap_or(list.len())];
                for item in list.split(',') {
                    let id = ident(item.trim());
                    if !id.is_empty() {
                        out.push((n + 1, id.to_string()));
                    }
                }
            } else {
                out.push((n + 1, ident(after).to_string()));
            }
            rest = after;
        }
        let mut rest = line;
        while let Some(i) = rest.find("super::") {
            let mut after = &rest[i..];
            let mut ups = 0;
            while let Some(a) = after.strip_prefix("super::") {
                ups += 1;
                after = a;
            }
            // `super` from a file's module climbs `ups` levels of its path.
            if ups >= path.len() {
                out.push((n + 1, ident(after).to_string()));
            }
            rest = after;
        }
    }
    out
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = repo().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "{} files", files.len());
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("in src");
        let path = module_path(rel);
        let top = path.first().cloned().unwrap_or_default();
        let Some(mine) = rank(&top) else {
            unknown.push(rel.display().to_string());
            continue;
        };
        let text = std::fs::read_to_string(f).expect("read");
        for (line, other) in named_tops(&text, &path) {
            match rank(&other) {
                Some(theirs) if theirs > mine => wrong.push(format!(
                    "src/{}:{line}: `{top}` uses `{other}`, a layer above it",
                    rel.display()
                )),
                // A name that is no top-level module (a macro, `crate::Foo` of lib.rs).
                _ => {}
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "top-level modules missing from the table: {unknown:?}"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
