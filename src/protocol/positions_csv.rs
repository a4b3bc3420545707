//! Positions from a CSV in the layout Squid writes: `region,x (mm),y (mm)[,z (mm)]`.
//! Several rows may share a region: they are that region's FOV centres, in file order.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics, Loc, SourceFile};

#[derive(Clone, Debug)]
pub struct CsvPosition {
    pub region: String,
    pub x_mm: f64,
    pub y_mm: f64,
    pub z_mm: Option<f64>,
    pub loc: Loc,
}

/// Split one CSV line (RFC 4180 quoting) into fields with their 1-based start columns.
fn fields(line: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 1u32;
    let mut col = 0u32;
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        col += 1;
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
                col += 1;
            }
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push((std::mem::take(&mut cur), start));
                start = col + 1;
            }
            _ => cur.push(c),
        }
    }
    out.push((cur, start));
    out
}

/// Which column holds what, and the factor to mm for coordinates given in µm.
struct Header {
    region: usize,
    x: (usize, f64),
    y: (usize, f64),
    z: Option<(usize, f64)>,
}

fn header(cols: &[(String, u32)]) -> Result<Header, String> {
    let norm = |n: &str| n.trim().to_ascii_lowercase().replace(' ', "");
    let mut seen = std::collections::HashSet::new();
    for (name, _) in cols {
        if !name.trim().is_empty() && !seen.insert(norm(name)) {
            return Err(format!(
                "the column `{}` appears twice in the header, so it is unclear which one to use",
                name.trim()
            ));
        }
    }
    let find = |axis: &str| -> Option<(usize, f64)> {
        cols.iter().enumerate().find_map(|(i, (name, _))| {
            let n = name.trim().to_ascii_lowercase().replace(' ', "");
            let rest = n.strip_prefix(axis)?;
            match rest {
                "" | "(mm)" | "_mm" | "mm" => Some((i, 1.0)),
                "(um)" | "(µm)" | "_um" | "um" => Some((i, 1e-3)),
                _ => None,
            }
        })
    };
    let region = cols.iter().position(|(n, _)| {
        matches!(
            n.trim().to_ascii_lowercase().as_str(),
            "region" | "name" | "well"
        )
    });
    match (region, find("x"), find("y")) {
        (Some(region), Some(x), Some(y)) => Ok(Header { region, x, y, z: find("z") }),
        _ => Err("the header must name the columns `region`, `x (mm)`, `y (mm)` and optionally `z (mm)` or `z (um)`".into()),
    }
}

pub fn read(path: &Path) -> Result<Vec<CsvPosition>, Diagnostics> {
    let text = crate::yaml::read_text(path)?;
    parse(SourceFile::new(path.display().to_string(), text))
}

pub fn parse(file: Arc<SourceFile>) -> Result<Vec<CsvPosition>, Diagnostics> {
    let mut errors = Diagnostics::default();
    let mut out = Vec::new();
    let mut lines = file
        .text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u32 + 1, l.trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let loc = |line: u32, col: u32, len: u32| Loc {
        file: file.clone(),
        line,
        col,
        len,
    };
    let Some((hline, htext)) = lines.next() else {
        return Err(Diagnostic::new("the positions CSV is empty")
            .in_file(&file.name)
            .help("the first line is a header: region,x (mm),y (mm),z (mm)")
            .into());
    };
    let h = match header(&fields(htext)) {
        Ok(h) => h,
        Err(m) => {
            return Err(Diagnostic::new(m)
                .at(Some(loc(hline, 1, htext.chars().count() as u32)))
                .help("Squid writes: region,x (mm),y (mm),z (mm)")
                .into());
        }
    };
    for (n, text) in lines {
        let f = fields(text);
        let get = |i: usize| f.get(i).map(|(s, c)| (s.trim(), *c));
        let num = |(i, scale): (usize, f64), what: &str| -> Result<f64, Diagnostic> {
            match get(i) {
                Some((s, c)) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .map(|v| v * scale)
                    .ok_or_else(|| {
                        Diagnostic::new(format!("`{s}` is not a number in column `{what}`"))
                            .at(Some(loc(n, c, s.chars().count().max(1) as u32)))
                    }),
                None => Err(Diagnostic::new(format!("this row has no `{what}` value"))
                    .at(Some(loc(n, 1, text.chars().count() as u32)))),
            }
        };
        let region = match get(h.region) {
            Some((s, _)) if !s.is_empty() => s.to_string(),
            _ => {
                errors.push(Diagnostic::new("this row has no region name").at(Some(loc(n, 1, 1))));
                continue;
            }
        };
        let x = num(h.x, "x");
        let y = num(h.y, "y");
        let z = h.z.map(|zc| num(zc, "z")).transpose();
        match (x, y, z) {
            (Ok(x_mm), Ok(y_mm), Ok(z_mm)) => out.push(CsvPosition {
                region,
                x_mm,
                y_mm,
                z_mm,
                loc: loc(n, 1, text.chars().count() as u32),
            }),
            (x, y, z) => {
                for e in [x.err(), y.err(), z.err()].into_iter().flatten() {
                    errors.push(e);
                }
            }
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(
            Diagnostic::new("the positions CSV has a header but no rows").in_file(&file.name),
        );
    }
    errors.into_result(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_squid_layout() {
        let f = SourceFile::new(
            "p.csv",
            "region,x (mm),y (mm),z (mm)\nB3,20.5,30,4.1\n\"B 4\",21,31,4.2\n",
        );
        let p = parse(f).expect("ok");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].region, "B 4");
        assert_eq!(p[0].z_mm, Some(4.1));
    }

    #[test]
    fn z_in_um_and_no_z() {
        let p = parse(SourceFile::new(
            "p.csv",
            "Region,X (mm),Y (mm),z (um)\nA,1,2,4000\n",
        ))
        .expect("ok");
        assert!((p[0].z_mm.unwrap_or(0.0) - 4.0).abs() < 1e-12);
        let p = parse(SourceFile::new("p.csv", "region,x (mm),y (mm)\nA,1,2\n")).expect("ok");
        assert_eq!(p[0].z_mm, None);
    }

    #[test]
    fn bad_cells_are_located() {
        let e = parse(SourceFile::new(
            "p.csv",
            "region,x (mm),y (mm)\nA,1,2\nB,one,2\n",
        ))
        .unwrap_err();
        let d = &e.0[0];
        assert!(d.message.contains("`one` is not a number"));
        let l = d.loc.as_ref().expect("loc");
        assert_eq!((l.line, l.col), (3, 3));
        assert!(parse(SourceFile::new("p.csv", "a,b\n1,2\n")).is_err());
    }
}
