use std::fmt;

use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

use super::node::{Node, Value};
use crate::diagnostic::{Diagnostic, Loc};
use crate::suggest;

/// A deserialization error that knows where it happened.
///
/// Custom messages may carry a help line after `"\nhelp: "`; the unit parsers use this to say
/// which unit to add.
#[derive(Debug)]
pub struct DeError {
    pub message: String,
    pub help: Option<String>,
    pub loc: Option<Loc>,
    pub path: Option<String>,
    /// The key a `missing key` error is about.
    pub missing: Option<&'static str>,
}

impl DeError {
    fn located(mut self, node: &Node, path: &str) -> Self {
        if self.loc.is_none() {
            self.loc = Some(node.loc.clone());
            if !path.is_empty() {
                self.path = Some(path.to_string());
            }
        }
        self
    }

    pub fn into_diagnostic(self) -> Diagnostic {
        let mut d = Diagnostic::new(self.message).at(self.loc);
        if let Some(p) = self.path {
            d = d.path(p);
        }
        if let Some(h) = self.help {
            d = d.help(h);
        }
        d
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let text = msg.to_string();
        let (message, help) = match text.split_once("\nhelp: ") {
            Some((m, h)) => (m.to_string(), Some(h.to_string())),
            None => (text, None),
        };
        DeError {
            message,
            help,
            loc: None,
            path: None,
            missing: None,
        }
    }

    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        de::Error::custom(format!("expected {exp}, found {}", describe(&unexp)))
    }

    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        de::Error::custom(format!("expected {exp}, found {}", describe(&unexp)))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut e: DeError = de::Error::custom(format!("unknown key `{field}`"));
        e.help = Some(if expected.is_empty() {
            "this mapping takes no keys".to_string()
        } else {
            suggest::did_you_mean(field, expected.iter().copied())
        });
        e
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut e: DeError = de::Error::custom(format!("unknown value `{variant}`"));
        e.help = Some(suggest::did_you_mean(variant, expected.iter().copied()));
        e
    }

    fn missing_field(field: &'static str) -> Self {
        let mut e: DeError = de::Error::custom(format!("missing key `{field}`"));
        e.help = Some(format!("add `{field}:` to this mapping"));
        e.missing = Some(field);
        e
    }

    fn duplicate_field(field: &'static str) -> Self {
        de::Error::custom(format!("key `{field}` is given twice"))
    }
}

fn describe(u: &de::Unexpected) -> String {
    match u {
        de::Unexpected::Str(s) => format!("the text \"{s}\""),
        de::Unexpected::Map => "a mapping".into(),
        de::Unexpected::Seq => "a list".into(),
        de::Unexpected::Unit | de::Unexpected::Option => "nothing (an empty value)".into(),
        de::Unexpected::Signed(i) => format!("the number `{i}`"),
        de::Unexpected::Unsigned(i) => format!("the number `{i}`"),
        de::Unexpected::Float(f) => format!("the number `{}`", crate::human::num(*f)),
        other => other.to_string(),
    }
}

/// Deserialize a typed value from a located tree.
pub fn from_node<'a, T: de::Deserialize<'a>>(node: &'a Node) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        path: String::new(),
    })
}

/// Like [`from_node`] for a part of a document at `path`, so errors name the whole key
/// (`camera.driver.port`, not `port`).
pub fn from_node_at<'a, T: de::Deserialize<'a>>(node: &'a Node, path: &str) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        path: path.to_string(),
    })
}

struct NodeDe<'a> {
    node: &'a Node,
    path: String,
}

impl<'a> NodeDe<'a> {
    fn child(&self, node: &'a Node, seg: &str) -> NodeDe<'a> {
        let path = if seg.starts_with('[') || self.path.is_empty() {
            format!("{}{seg}", self.path)
        } else {
            format!("{}.{seg}", self.path)
        };
        NodeDe { node, path }
    }

    fn fail<T>(&self, e: DeError) -> Result<T, DeError> {
        Err(e.located(self.node, &self.path))
    }

    fn type_error<T>(&self, expected: &str) -> Result<T, DeError> {
        let e: DeError = de::Error::custom(format!(
            "expected {expected}, found {}",
            self.node.describe()
        ));
        self.fail(e)
    }

    fn integer(&self) -> Option<i64> {
        match self.node.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    fn visit_map_node<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let empty: &[(Node, Node)] = &[];
        let entries = match &self.node.value {
            Value::Map(m) => m.as_slice(),
            Value::Null => empty,
            _ => return self.type_error("a mapping"),
        };
        let access = MapAcc {
            parent: &self,
            iter: entries.iter(),
            value: None,
        };
        let r = visitor.visit_map(access);
        r.map_err(|e: DeError| e.located(self.node, &self.path))
    }
}

macro_rules! int_method {
    ($name:ident, $visit:ident, $t:ty) => {
        fn $name<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.integer() {
                Some(i) => match <$t>::try_from(i) {
                    Ok(v) => visitor
                        .$visit(v)
                        .map_err(|e: DeError| e.located(self.node, &self.path)),
                    Err(_) => self.fail(de::Error::custom(format!(
                        "the number `{i}` is out of range (allowed {} to {})",
                        <$t>::MIN,
                        <$t>::MAX
                    ))),
                },
                None => self.type_error("a whole number"),
            }
        }
    };
}

impl<'a> de::Deserializer<'a> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit::<DeError>(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => {
                return visitor
                    .visit_seq(SeqAcc {
                        parent: &self,
                        iter: items.iter().enumerate(),
                    })
                    .map_err(|e: DeError| e.located(self.node, &self.path));
            }
            Value::Map(_) => return self.visit_map_node(visitor),
        };
        r.map_err(|e: DeError| e.located(self.node, &self.path))
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Bool(b) => visitor
                .visit_bool(b)
                .map_err(|e: DeError| e.located(self.node, &self.path)),
            _ => self.type_error("`true` or `false`"),
        }
    }

    int_method!(deserialize_i8, visit_i8, i8);
    int_method!(deserialize_i16, visit_i16, i16);
    int_method!(deserialize_i32, visit_i32, i32);
    int_method!(deserialize_i64, visit_i64, i64);
    int_method!(deserialize_u8, visit_u8, u8);
    int_method!(deserialize_u16, visit_u16, u16);
    int_method!(deserialize_u32, visit_u32, u32);
    int_method!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let f = match self.node.value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => return self.type_error("a number"),
        };
        if !f.is_finite() {
            return self.fail(de::Error::custom("the number must be finite"));
        }
        visitor
            .visit_f64(f)
            .map_err(|e: DeError| e.located(self.node, &self.path))
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match (&self.node.value, self.node.scalar_text()) {
            (Value::Null, _) => self.type_error("text"),
            (_, Some(s)) => visitor
                .visit_string(s)
                .map_err(|e: DeError| e.located(self.node, &self.path)),
            (_, None) => self.type_error("text"),
        }
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => {
                let (node, path) = (self.node, self.path.clone());
                visitor
                    .visit_some(self)
                    .map_err(|e: DeError| e.located(node, &path))
            }
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_unit::<DeError>(),
            _ => self.type_error("an empty value"),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path.clone());
        visitor
            .visit_newtype_struct(self)
            .map_err(|e: DeError| e.located(node, &path))
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Seq(items) => visitor
                .visit_seq(SeqAcc {
                    parent: &self,
                    iter: items.iter().enumerate(),
                })
                .map_err(|e: DeError| e.located(self.node, &self.path)),
            _ => self.type_error("a list"),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.visit_map_node(visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.visit_map_node(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Map(m) if m.len() == 1 => {
                let (k, v) = &m[0];
                let key = k.scalar_text().unwrap_or_default();
                let payload = self.child(v, &key);
                visitor
                    .visit_enum(EnumAcc {
                        key_node: k,
                        key,
                        payload: Some(payload),
                        path: self.path.clone(),
                    })
                    .map_err(|e: DeError| e.located(self.node, &self.path))
            }
            Value::Seq(_) | Value::Map(_) | Value::Null => {
                self.type_error("one of the listed words")
            }
            _ => {
                let key = self.node.scalar_text().unwrap_or_default();
                visitor
                    .visit_enum(EnumAcc {
                        key_node: self.node,
                        key,
                        payload: None,
                        path: self.path.clone(),
                    })
                    .map_err(|e: DeError| e.located(self.node, &self.path))
            }
        }
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqAcc<'p, 'a> {
    parent: &'p NodeDe<'a>,
    iter: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
}

impl<'a> SeqAccess<'a> for SeqAcc<'_, 'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.iter.next() {
            Some((i, node)) => {
                let child = self.parent.child(node, &format!("[{i}]"));
                let path = child.path.clone();
                seed.deserialize(child)
                    .map(Some)
                    .map_err(|e: DeError| e.located(node, &path))
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapAcc<'p, 'a> {
    parent: &'p NodeDe<'a>,
    iter: std::slice::Iter<'a, (Node, Node)>,
    value: Option<(&'a Node, String)>,
}

impl<'a> MapAccess<'a> for MapAcc<'_, 'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                let key = k.scalar_text().unwrap_or_default();
                let key_de = self.parent.child(k, &key);
                let key_path = key_de.path.clone();
                self.value = Some((v, key));
                seed.deserialize(key_de)
                    .map(Some)
                    .map_err(|e: DeError| e.located(k, &key_path))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((node, key)) = self.value.take() else {
            return Err(de::Error::custom("internal: value requested before key"));
        };
        let child = self.parent.child(node, &key);
        let path = child.path.clone();
        seed.deserialize(child)
            .map_err(|e: DeError| e.located(node, &path))
    }
}

struct EnumAcc<'a> {
    key_node: &'a Node,
    key: String,
    payload: Option<NodeDe<'a>>,
    path: String,
}

impl<'a> EnumAccess<'a> for EnumAcc<'a> {
    type Error = DeError;
    type Variant = VariantAcc<'a>;

    fn variant_seed<V: DeserializeSeed<'a>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), DeError> {
        let key_de: de::value::StringDeserializer<DeError> = self.key.clone().into_deserializer();
        let v = seed
            .deserialize(key_de)
            .map_err(|e: DeError| e.located(self.key_node, &self.path))?;
        Ok((
            v,
            VariantAcc {
                payload: self.payload,
                key_node: self.key_node,
                path: self.path,
            },
        ))
    }
}

struct VariantAcc<'a> {
    payload: Option<NodeDe<'a>>,
    key_node: &'a Node,
    path: String,
}

impl<'a> VariantAccess<'a> for VariantAcc<'a> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.payload {
            None => Ok(()),
            Some(p) if matches!(p.node.value, Value::Null) => Ok(()),
            Some(p) => p.fail(de::Error::custom("this value takes no settings")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'a>>(self, seed: T) -> Result<T::Value, DeError> {
        match self.payload {
            Some(p) => seed.deserialize(p),
            None => {
                Err(DeError::from_msg("this value needs settings")
                    .located(self.key_node, &self.path))
            }
        }
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        match self.payload {
            Some(p) => de::Deserializer::deserialize_seq(p, visitor),
            None => {
                Err(DeError::from_msg("this value needs a list").located(self.key_node, &self.path))
            }
        }
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.payload {
            Some(p) => de::Deserializer::deserialize_map(p, visitor),
            None => {
                Err(DeError::from_msg("this value needs settings")
                    .located(self.key_node, &self.path))
            }
        }
    }
}

impl DeError {
    fn from_msg(m: &str) -> Self {
        de::Error::custom(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Chan {
        name: String,
        exposure: u32,
        #[serde(default)]
        order: Option<Order>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Order {
        Snake,
        Raster,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        channels: Vec<Chan>,
    }

    fn load(s: &str) -> Result<Doc, DeError> {
        let n = Node::parse(&SourceFile::new("t.yaml", s)).expect("yaml");
        let n: &'static Node = Box::leak(Box::new(n));
        from_node(n)
    }

    #[test]
    fn unknown_key_is_located_with_suggestion() {
        let e = load("channels:\n  - name: a\n    exposre: 3\n").unwrap_err();
        assert_eq!(e.message, "unknown key `exposre`");
        assert_eq!(e.help.as_deref(), Some("did you mean `exposure`?"));
        let l = e.loc.expect("loc");
        assert_eq!((l.line, l.col), (3, 5));
        assert_eq!(e.path.as_deref(), Some("channels[0].exposre"));
    }

    #[test]
    fn type_errors_point_at_the_value() {
        let e = load("channels:\n  - name: a\n    exposure: lots\n").unwrap_err();
        assert!(
            e.message.contains("expected a whole number"),
            "{}",
            e.message
        );
        let l = e.loc.expect("loc");
        assert_eq!((l.line, l.col), (3, 15));
    }

    #[test]
    fn missing_keys_point_at_the_mapping() {
        let e = load("channels:\n  - name: a\n").unwrap_err();
        assert_eq!(e.message, "missing key `exposure`");
        assert_eq!(e.path.as_deref(), Some("channels[0]"));
    }

    #[test]
    fn enums_suggest_variants() {
        let e = load("channels:\n  - {name: a, exposure: 1, order: snak}\n").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `snake`?"));
        let d = load("channels:\n  - {name: y, exposure: 1, order: raster}\n").expect("ok");
        assert_eq!(d.channels[0].order, Some(Order::Raster));
        assert_eq!(d.channels[0].name, "y");
        assert_eq!(d.channels[0].exposure, 1);
    }
}
