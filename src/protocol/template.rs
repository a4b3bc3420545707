//! Output path templates: `runs/{name}/{date}` with `{name}`, `{date}`, `{time}`,
//! `{timestamp}` and any `metadata` key (which `--set metadata.plate=P001` can fill in).

use std::collections::BTreeMap;

/// The placeholders in a template, or a message about an unbalanced brace.
pub fn placeholders(t: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(format!(
                "unmatched `}}` in `{t}`\nhelp: placeholders look like `{{name}}`"
            ));
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!(
                "unclosed `{{` in `{t}`\nhelp: placeholders look like `{{name}}`"
            ));
        };
        let name = after[..close].trim();
        if name.is_empty() || name.contains('{') {
            return Err(format!("empty or nested placeholder in `{t}`"));
        }
        out.push(name.to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Fill in placeholders. Values are made safe as one path component each.
pub fn render(t: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = t;
    placeholders(t)?;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').unwrap_or(after.len());
        let name = after[..close].trim();
        match vars.get(name) {
            Some(v) => out.push_str(&sanitize(v)),
            None => {
                let known: Vec<&str> = vars.keys().map(String::as_str).collect();
                return Err(format!(
                    "unknown placeholder `{{{name}}}` in `{t}`\nhelp: {}",
                    crate::suggest::did_you_mean(name, known)
                ));
            }
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

/// Keep a value to one safe path component: no separators, no leading dots, no controls.
pub fn sanitize(v: &str) -> String {
    let s: String = v
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || c == ':' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let s = s.trim().trim_start_matches('.').to_string();
    if s.is_empty() { "_".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_reports() {
        let mut v = BTreeMap::new();
        v.insert("name".to_string(), "plate run".to_string());
        v.insert("plate".to_string(), "P/001".to_string());
        assert_eq!(
            render("out/{name}_{plate}", &v),
            Ok("out/plate run_P_001".into())
        );
        let e = render("{nmae}", &v).unwrap_err();
        assert!(e.contains("did you mean `name`?"), "{e}");
        assert!(placeholders("a{b").is_err());
        assert!(placeholders("a}b").is_err());
        assert_eq!(placeholders("{a}/{b}").map(|v| v.len()), Ok(2));
        assert_eq!(sanitize(".."), "_");
    }
}
