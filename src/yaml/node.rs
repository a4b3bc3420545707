use std::fmt;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, Loc, SourceFile};

/// One YAML node with the place it was written.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
    /// The source text of a plain (unquoted) scalar, so `y`, `no` or `007` can still be read
    /// as the text the user typed when a string is wanted.
    pub raw: Option<Box<str>>,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Parse a whole document. Syntax errors come back located.
    /// Levels of nesting below and including this node (a scalar is 1).
    pub fn depth(&self) -> usize {
        // Iterative: a hostile tree must not overflow the stack here either.
        let mut deepest = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((n, d)) = stack.pop() {
            deepest = deepest.max(d);
            match &n.value {
                Value::Seq(items) => stack.extend(items.iter().map(|c| (c, d + 1))),
                Value::Map(entries) => stack.extend(entries.iter().map(|(_, c)| (c, d + 1))),
                _ => {}
            }
        }
        deepest
    }

    pub fn parse(file: &Arc<SourceFile>) -> Result<Node, Diagnostic> {
        if file.text.trim().is_empty() {
            return Err(Diagnostic::new("the file is empty")
                .in_file(&file.name)
                .help("write a YAML mapping; see the examples in protocols/"));
        }
        match serde_saphyr::from_str::<Spanned<RawNode>>(&file.text) {
            Ok(raw) => Ok(Node::from_raw(raw, file)),
            Err(e) => Err(saphyr_error(&e, file)),
        }
    }

    fn from_raw(raw: Spanned<RawNode>, file: &Arc<SourceFile>) -> Node {
        let l = raw.referenced;
        let span = l.span();
        let loc = Loc {
            file: file.clone(),
            line: l.line().max(1) as u32,
            col: l.column().max(1) as u32,
            len: span.len().max(1) as u32,
        };
        let raw_text = match (&raw.value, span.byte_offset(), span.byte_len()) {
            (
                RawNode::Bool(_) | RawNode::Int(_) | RawNode::Float(_) | RawNode::Null,
                Some(o),
                Some(n),
            ) => file
                .text
                .get(o as usize..(o + n) as usize)
                .filter(|s| !s.is_empty())
                .map(Into::into),
            _ => None,
        };
        let value = match raw.value {
            RawNode::Null => Value::Null,
            RawNode::Bool(b) => Value::Bool(b),
            RawNode::Int(i) => Value::Int(i),
            RawNode::Float(f) => Value::Float(f),
            RawNode::Str(s) => Value::Str(s),
            RawNode::Seq(v) => Value::Seq(v.into_iter().map(|n| Node::from_raw(n, file)).collect()),
            RawNode::Map(v) => Value::Map(
                v.into_iter()
                    .map(|(k, n)| (Node::from_raw(k, file), Node::from_raw(n, file)))
                    .collect(),
            ),
        };
        Node {
            value,
            loc,
            raw: raw_text,
        }
    }

    /// The text of a scalar as the user wrote it (for keys and string fields).
    pub fn scalar_text(&self) -> Option<String> {
        if let Some(r) = &self.raw {
            return Some(r.to_string());
        }
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Null => Some(String::new()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// What kind of value this is, for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "nothing (an empty value)".into(),
            Value::Bool(b) => format!("`{b}`"),
            Value::Int(_) | Value::Float(_) => {
                format!("the number `{}`", self.scalar_text().unwrap_or_default())
            }
            Value::Str(s) => format!("the text \"{s}\""),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }

    /// One step down a path: a mapping's key or a list's item.
    fn child(&self, seg: &Segment<'_>) -> Option<&Node> {
        match (seg, &self.value) {
            (Segment::Key(k), _) => self.entry(k).map(|(_, v)| v),
            (Segment::Index(i), Value::Seq(items)) => items.get(*i),
            _ => None,
        }
    }

    /// A mapping's entry by the key's text: the key, where it is written, and its value.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.scalar_text().as_deref() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    fn child_mut(&mut self, seg: &Segment<'_>) -> Option<&mut Node> {
        match (seg, &mut self.value) {
            (Segment::Key(k), Value::Map(entries)) => entries
                .iter_mut()
                .find(|(key, _)| key.scalar_text().as_deref() == Some(*k))
                .map(|(_, v)| v),
            (Segment::Index(i), Value::Seq(items)) => items.get_mut(*i),
            _ => None,
        }
    }

    /// Follow a path like `channels[1].exposure`.
    pub fn lookup(&self, path: &str) -> Option<&Node> {
        split_path(path).try_fold(self, |node, seg| node.child(&seg))
    }

    /// The location of the deepest existing node along `path`: an error about a missing or
    /// defaulted key still points at its parent.
    pub fn best_loc(&self, path: &str) -> Loc {
        let mut node = self;
        for seg in split_path(path) {
            match node.child(&seg) {
                Some(n) => node = n,
                None => break,
            }
        }
        node.loc.clone()
    }

    /// Take the key or list item at `path` out of its parent; false when there is none.
    pub fn remove(&mut self, path: &str) -> bool {
        let segs: Vec<Segment> = split_path(path).collect();
        let Some((last, parents)) = segs.split_last() else {
            return false;
        };
        let mut node = self;
        for seg in parents {
            match node.child_mut(seg) {
                Some(n) => node = n,
                None => return false,
            }
        }
        match (last, &mut node.value) {
            (Segment::Key(k), Value::Map(entries)) => {
                let before = entries.len();
                entries.retain(|(key, _)| key.scalar_text().as_deref() != Some(*k));
                entries.len() < before
            }
            (Segment::Index(i), Value::Seq(items)) if *i < items.len() => {
                items.remove(*i);
                true
            }
            _ => false,
        }
    }

    /// Replace (or create) the value at `path`, making intermediate mappings as needed.
    /// Used by `--set`; fails when the path crosses a scalar or a list index out of range.
    pub fn set(&mut self, path: &str, value: Node) -> Result<(), String> {
        let segs: Vec<Segment> = split_path(path).collect();
        if segs.is_empty() {
            return Err("empty key path".into());
        }
        let mut node = self;
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            if matches!(node.value, Value::Null) {
                node.value = Value::Map(Vec::new());
            }
            let loc = value.loc.clone();
            node = match (seg, &mut node.value) {
                (Segment::Key(k), Value::Map(entries)) => {
                    let pos = entries
                        .iter()
                        .position(|(key, _)| key.scalar_text().as_deref() == Some(*k));
                    let pos = match pos {
                        Some(p) => p,
                        None => {
                            let key = Node {
                                value: Value::Str((*k).to_string()),
                                loc: loc.clone(),
                                raw: None,
                            };
                            let empty = Node {
                                value: Value::Null,
                                loc,
                                raw: None,
                            };
                            entries.push((key, empty));
                            entries.len() - 1
                        }
                    };
                    &mut entries[pos].1
                }
                (Segment::Index(idx), Value::Seq(items)) => {
                    let n = items.len();
                    items
                        .get_mut(*idx)
                        .ok_or_else(|| format!("index [{idx}] is past the end of a list of {n}"))?
                }
                (Segment::Key(k), _) => {
                    return Err(format!("cannot set `{k}`: its parent is not a mapping"));
                }
                (Segment::Index(idx), _) => {
                    return Err(format!("cannot set [{idx}]: its parent is not a list"));
                }
            };
            if last {
                *node = value;
                return Ok(());
            }
        }
        Ok(())
    }

    /// Free-form YAML (such as `metadata`) as JSON for run records.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(v) => J::Array(v.iter().map(Node::to_json).collect()),
            Value::Map(v) => J::Object(
                v.iter()
                    .map(|(k, n)| (k.scalar_text().unwrap_or_default(), n.to_json()))
                    .collect(),
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[2].c` → a, b, [2], c. A bracket that is not a number stays part of the key.
fn split_path(path: &str) -> impl Iterator<Item = Segment<'_>> {
    path.split('.').filter(|s| !s.is_empty()).flat_map(|part| {
        let mut out = Vec::new();
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(end) = rest.find(']') {
            match rest[1..end].parse::<usize>() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => out.push(Segment::Key(&rest[..=end])),
            }
            rest = &rest[end + 1..];
        }
        out
    })
}

/// A saphyr error as our diagnostic: its message without the location suffix it appends,
/// located in our file.
fn saphyr_error(e: &serde_saphyr::Error, file: &Arc<SourceFile>) -> Diagnostic {
    let fmt = serde_saphyr::UserMessageFormatter;
    let mut msg = e.render_with_options(serde_saphyr::render_options! {
        formatter: &fmt,
        snippets: serde_saphyr::SnippetMode::Off,
    });
    if let Some(i) = msg.rfind(" at line ") {
        msg.truncate(i);
    }
    let mut msg = msg.trim().to_string();
    // saphyr names a breached limit in Rust debug form; say it in words.
    if let Some(i) = msg.find("limits breached:") {
        let what = &msg[i + "limits breached:".len()..];
        let n: String = what.chars().filter(char::is_ascii_digit).collect();
        let words = if what.contains("Depth") {
            format!("it nests deeper than {} levels", super::MAX_DEPTH)
        } else if what.contains("Nodes") {
            format!(
                "it has more than {} values",
                n.parse::<u64>()
                    .map_or(n.clone(), |v| crate::human::count(v.saturating_sub(1)))
            )
        } else {
            "it is larger or more complex than a protocol can be".to_string()
        };
        msg = format!("the document is too large or too complex: {words}");
    }
    let loc = e.location().filter(|l| l.line() > 0).map(|l| Loc {
        file: file.clone(),
        line: l.line() as u32,
        col: l.column().max(1) as u32,
        len: 1,
    });
    let mut d = Diagnostic::new(format!("invalid YAML: {msg}")).in_file(&file.name);
    d = d.at(loc);
    if msg.contains("recursion limit") || msg.contains("budget") {
        d = d.help("the document is nested too deeply or is too large for a protocol");
    } else if msg.contains("duplicate") {
        d = d.help("each key may appear once in a mapping; remove or rename one of them");
    } else if msg.contains("mapping values are not allowed") {
        d = d.help("check the indentation of this line and the one before, or quote a value that contains `: `");
    }
    d
}

/// What saphyr hands us: values with their spans, before we attach our file.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<RawNode>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawNode;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
                Ok(RawNode::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
                Ok(RawNode::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawNode, E> {
                Ok(i64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
            }
            fn visit_i128<E>(self, v: i128) -> Result<RawNode, E> {
                Ok(i64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
            }
            fn visit_u128<E>(self, v: u128) -> Result<RawNode, E> {
                Ok(i64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
                Ok(RawNode::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
                Ok(RawNode::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
                Ok(RawNode::Str(v))
            }
            fn visit_unit<E>(self) -> Result<RawNode, E> {
                Ok(RawNode::Null)
            }
            fn visit_none<E>(self) -> Result<RawNode, E> {
                Ok(RawNode::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
                RawNode::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<RawNode, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(RawNode::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<RawNode, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    v.push(entry);
                }
                Ok(RawNode::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Node {
        Node::parse(&SourceFile::new("t.yaml", s)).expect("valid yaml")
    }

    #[test]
    fn keeps_plain_scalar_text_and_locations() {
        let n = parse("a:\n  y: 1\n  n: 007\nb: [x, 2]\n");
        let y = n.lookup("a.y").expect("a.y");
        assert_eq!((y.loc.line, y.loc.col), (2, 6));
        assert_eq!(
            n.lookup("a.n").and_then(Node::scalar_text).as_deref(),
            Some("007")
        );
        assert_eq!(n.lookup("b[1]").map(|n| n.loc.col), Some(8));
        assert!(n.lookup("b[2]").is_none());
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = Node::parse(&SourceFile::new("t.yaml", "a: 1\n  b: [1\n")).unwrap_err();
        assert!(e.loc.is_some());
        let e = Node::parse(&SourceFile::new("t.yaml", "a: 1\na: 2\n")).unwrap_err();
        assert_eq!(e.loc.map(|l| l.line), Some(2));
        assert!(e.message.contains("duplicate"), "{}", e.message);
    }

    #[test]
    fn set_creates_and_replaces() {
        let mut n = parse("plate:\n  wells: A1\n");
        let v = parse("B2");
        n.set("plate.wells", v).expect("set");
        assert_eq!(
            n.lookup("plate.wells")
                .and_then(Node::scalar_text)
                .as_deref(),
            Some("B2")
        );
        n.set("time.count", parse("3")).expect("set new");
        assert!(n.lookup("time.count").is_some());
        assert!(n.set("plate.wells.x", parse("1")).is_err());
    }
}
