//! An action as API clients write it: squidctl's own words (`move`, `snap`, `focus`, …, with
//! the CLI's keys) or the task vocabulary facility schedulers already speak (`move_stage`,
//! `capture_image`, `adjust_focus`, with `x`/`y`/`z`, `mode`, `save_path`). Both become one
//! [`Action`], checked strictly: an unknown key is an error, never ignored.

use serde_json::{Map, Value};

use crate::actions::Action;

/// The action names accepted, each with the squidctl action it is.
const NAMES: &[(&str, &str)] = &[
    ("home", "home"),
    ("move", "move"),
    ("move_stage", "move"),
    ("snap", "snap"),
    ("capture_image", "snap"),
    ("acquire_image", "snap"),
    ("focus", "focus"),
    ("adjust_focus", "focus"),
    ("autofocus", "focus"),
    ("lights", "lights"),
    ("filter", "filter"),
];

/// Other clients' keys, per squidctl action: (their key, ours).
fn aliases(action: &str) -> &'static [(&'static str, &'static str)] {
    match action {
        "move" => &[
            ("x", "x_mm"),
            ("y", "y_mm"),
            ("z", "z_mm"),
            ("position", "to"),
            ("named_position", "to"),
        ],
        "snap" => &[
            ("save_path", "output"),
            ("exposure", "exposure_ms"),
            ("intensity", "intensity_pct"),
        ],
        "focus" => &[("mode", "method")],
        "lights" => &[("intensity", "intensity_pct"), ("duration_s", "for_s")],
        _ => &[],
    }
}

/// `name` with `parameters` (an object, or absent) as an [`Action`].
pub fn parse(name: &str, parameters: Option<&Value>) -> Result<Action, String> {
    let Some((_, ours)) = NAMES.iter().find(|(n, _)| *n == name) else {
        return Err(format!(
            "action `{}`: one of {}",
            crate::human::clip(name, 40),
            NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ));
    };
    let params = match parameters {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("parameters: an object, e.g. {\"x\": 10.5}".into()),
    };
    let mut fields = Map::new();
    for (k, v) in params {
        let key = aliases(ours)
            .iter()
            .find(|(theirs, _)| *theirs == k)
            .map_or(k.clone(), |(_, o)| o.to_string());
        let v = match (*ours, key.as_str(), &v) {
            // Squid's move says `mode: absolute | relative`.
            ("move", "mode", Value::String(m)) => {
                fields.insert(
                    "relative".into(),
                    Value::Bool(match m.as_str() {
                        "relative" => true,
                        "absolute" => false,
                        other => {
                            return Err(format!(
                                "mode `{}`: absolute or relative",
                                crate::human::clip(other, 40)
                            ));
                        }
                    }),
                );
                continue;
            }
            // The move ends before the reply either way (bounded by the request's wait).
            ("move", "block_until_complete", _) => continue,
            // Squid's reflection autofocus is squidctl's laser one.
            ("focus", "method", Value::String(m)) if m == "reflection" => {
                Value::String("laser".into())
            }
            _ => v,
        };
        if fields.insert(key.clone(), v).is_some() {
            return Err(format!(
                "parameters: `{key}` is given twice (under two names)"
            ));
        }
    }
    fields.insert("action".into(), Value::String(ours.to_string()));
    serde_json::from_value(Value::Object(fields)).map_err(|e| format!("parameters: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_vocabularies_give_the_same_action() {
        let a = parse("move_stage", Some(&json!({"x": 10.0, "mode": "relative"}))).expect("move");
        let b = parse("move", Some(&json!({"x_mm": 10.0, "relative": true}))).expect("move");
        assert_eq!(a, b);
        let s = parse(
            "capture_image",
            Some(&json!({"channel": "BF", "exposure": 5})),
        )
        .expect("snap");
        assert_eq!(s.name(), "snap");
        let f = parse("adjust_focus", Some(&json!({"mode": "reflection"}))).expect("focus");
        assert_eq!(f.to_json()["method"], "laser");
        assert_eq!(parse("home", None).expect("home").name(), "home");
    }

    #[test]
    fn unknown_names_keys_and_values_are_errors() {
        assert!(parse("dance", None).unwrap_err().contains("move_stage"));
        assert!(
            parse("move", Some(&json!({"w": 1})))
                .unwrap_err()
                .contains("`w`")
        );
        assert!(parse("move", Some(&json!({"mode": "sideways"}))).is_err());
        assert!(parse("move", Some(&json!({"x": 1, "x_mm": 2}))).is_err());
        assert!(parse("snap", Some(&json!([1]))).is_err());
        assert!(
            parse("snap", Some(&json!({})))
                .unwrap_err()
                .contains("channel")
        );
    }
}
