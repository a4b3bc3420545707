//! Reading other programs' YAML and JSON (useq-schema sequences, Squid's acquisition files)
//! from the located tree, so every complaint points at the line it is about.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::yaml::{Node, Value};

pub fn load(path: &Path) -> Result<Node, Diagnostics> {
    let text = crate::yaml::read_text(path)?;
    Ok(Node::parse(&SourceFile::new(
        path.display().to_string(),
        text,
    ))?)
}

pub fn err(n: &Node, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(msg).at(Some(n.loc.clone()))
}

/// A mapping's entries by key text; anything else has none.
pub fn entries(n: &Node) -> Vec<(String, &Node)> {
    match &n.value {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v))
            .collect(),
        _ => Vec::new(),
    }
}

/// A key's value; an explicit `null` counts as absent, as it does for pydantic.
pub fn get<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.entry(key)
        .map(|(_, v)| v)
        .filter(|v| !matches!(v.value, Value::Null))
}

/// Where a key is written, for errors about the key itself rather than its value.
pub fn key<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.entry(key).map(|(k, _)| k)
}

pub fn is_map(n: &Node) -> bool {
    matches!(n.value, Value::Map(_))
}

pub fn items(n: &Node) -> Option<&[Node]> {
    match &n.value {
        Value::Seq(s) => Some(s),
        _ => None,
    }
}

pub fn num(n: &Node, what: &str) -> Result<f64, Diagnostic> {
    match &n.value {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) if f.is_finite() => Ok(*f),
        Value::Str(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| err(n, format!("{what} is \"{s}\", not a number"))),
        _ => Err(err(n, format!("{what} is {}, not a number", n.describe()))),
    }
}

pub fn opt_num(parent: &Node, key: &str) -> Result<Option<f64>, Diagnostic> {
    get(parent, key)
        .map(|n| num(n, &format!("`{key}`")))
        .transpose()
}

pub fn whole(n: &Node, what: &str) -> Result<u32, Diagnostic> {
    let v = num(n, what)?;
    if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
        Ok(v as u32)
    } else {
        Err(err(
            n,
            format!("{what} is {v}, not a whole number of 0 or more"),
        ))
    }
}

pub fn text(n: &Node, what: &str) -> Result<String, Diagnostic> {
    match &n.value {
        Value::Seq(_) | Value::Map(_) | Value::Null => {
            Err(err(n, format!("{what} is {}, not text", n.describe())))
        }
        _ => Ok(n.scalar_text().unwrap_or_default()),
    }
}

pub fn flag(n: &Node, what: &str) -> Result<bool, Diagnostic> {
    match &n.value {
        Value::Bool(b) => Ok(*b),
        _ => Err(err(
            n,
            format!("{what} is {}, not true or false", n.describe()),
        )),
    }
}
