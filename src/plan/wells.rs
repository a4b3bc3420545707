//! Well names and selections: `A1`, `AF48`, `"A1:H12, C3, D5:D7"`.

use std::collections::BTreeSet;

/// A well by zero-based row and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Well {
    pub row: u32,
    pub col: u32,
}

impl Well {
    pub fn name(self) -> String {
        format!("{}{}", row_label(self.row), self.col + 1)
    }
}

/// Row letters past Z continue as AA, AB, … (1536-well plates use A–Z then AA–AF).
pub fn row_label(row: u32) -> String {
    let mut n = row + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Parse `B7`, `af48`, `A01`.
pub fn parse_well(s: &str) -> Result<Well, String> {
    let t = s.trim();
    let letters: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &t[letters.len()..];
    if letters.is_empty()
        || letters.len() > 2
        || digits.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err(format!(
            "`{t}` is not a well name\nhelp: a well is a row letter and a column number, e.g. `A1`, `H12` or `AF48`"
        ));
    }
    let mut row: u32 = 0;
    for c in letters.to_ascii_uppercase().bytes() {
        row = row * 26 + u32::from(c - b'A' + 1);
    }
    let col: u32 = digits
        .parse()
        .map_err(|_| format!("`{t}` has a column number that is too large"))?;
    if col == 0 {
        return Err(format!("`{t}`: columns are numbered from 1"));
    }
    Ok(Well {
        row: row - 1,
        col: col - 1,
    })
}

/// One item of a selection that failed, with the text to point at.
#[derive(Debug, PartialEq)]
pub struct SelectionError {
    pub token: String,
    pub message: String,
}

/// Parse a selection against a plate of `rows` × `cols`. Items are separated by commas,
/// semicolons or spaces; `A1:H12` is the rectangle between two corners; `all` is every well.
/// Duplicates are kept once.
pub fn parse_selection(
    items: &[String],
    rows: u32,
    cols: u32,
) -> Result<BTreeSet<Well>, SelectionError> {
    let mut out = BTreeSet::new();
    let plate = || {
        format!(
            "this plate has rows A–{} and columns 1–{cols}",
            row_label(rows.saturating_sub(1))
        )
    };
    let check = |w: Well, token: &str| -> Result<Well, SelectionError> {
        if w.row < rows && w.col < cols {
            Ok(w)
        } else {
            Err(SelectionError {
                token: token.to_string(),
                message: format!("well {} is not on the plate\nhelp: {}", w.name(), plate()),
            })
        }
    };
    for item in items {
        for token in item
            .split([',', ';', ' ', '\t', '\n'])
            .filter(|s| !s.is_empty())
        {
            if token.eq_ignore_ascii_case("all") {
                for row in 0..rows {
                    for col in 0..cols {
                        out.insert(Well { row, col });
                    }
                }
                continue;
            }
            let err = |m: String| SelectionError {
                token: token.to_string(),
                message: m,
            };
            match token.split_once([':', '-']) {
                Some((a, b)) => {
                    let a = check(parse_well(a).map_err(err)?, token)?;
                    let b = check(parse_well(b).map_err(err)?, token)?;
                    for row in a.row.min(b.row)..=a.row.max(b.row) {
                        for col in a.col.min(b.col)..=a.col.max(b.col) {
                            out.insert(Well { row, col });
                        }
                    }
                }
                None => {
                    out.insert(check(parse_well(token).map_err(err)?, token)?);
                }
            }
        }
    }
    if out.is_empty() {
        return Err(SelectionError {
            token: String::new(),
            message: "no wells are selected\nhelp: write e.g. `wells: \"A1:H12\"` or `wells: all`"
                .into(),
        });
    }
    Ok(out)
}

/// Visiting order. Serpentine reverses every other visited row so the stage never flies back.
pub fn order_wells(wells: &BTreeSet<Well>, serpentine: bool) -> Vec<Well> {
    let mut out: Vec<Well> = Vec::with_capacity(wells.len());
    let mut rows: Vec<u32> = wells.iter().map(|w| w.row).collect();
    rows.dedup();
    for (i, row) in rows.iter().enumerate() {
        let mut in_row: Vec<Well> = wells.iter().filter(|w| w.row == *row).copied().collect();
        if serpentine && i % 2 == 1 {
            in_row.reverse();
        }
        out.extend(in_row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(s: &str, r: u32, c: u32) -> Result<BTreeSet<Well>, SelectionError> {
        parse_selection(&[s.to_string()], r, c)
    }

    #[test]
    fn names_round_trip_past_z() {
        assert_eq!(row_label(0), "A");
        assert_eq!(row_label(25), "Z");
        assert_eq!(row_label(26), "AA");
        assert_eq!(row_label(31), "AF");
        assert_eq!(parse_well("AF48"), Ok(Well { row: 31, col: 47 }));
        assert_eq!(parse_well("af48"), Ok(Well { row: 31, col: 47 }));
        assert_eq!(parse_well("A01"), Ok(Well { row: 0, col: 0 }));
        for r in 0..32 {
            let w = Well { row: r, col: 5 };
            assert_eq!(parse_well(&w.name()), Ok(w));
        }
    }

    #[test]
    fn bad_names() {
        assert!(parse_well("12").is_err());
        assert!(parse_well("A").is_err());
        assert!(parse_well("A0").is_err());
        assert!(parse_well("A1B").is_err());
        assert!(parse_well("ABC1").is_err());
    }

    #[test]
    fn ranges_lists_and_singles() {
        assert_eq!(sel("A1:H12", 8, 12).map(|s| s.len()), Ok(96));
        let s = sel("A1:A12, C3, D5:D7", 8, 12).expect("ok");
        assert_eq!(s.len(), 12 + 1 + 3);
        assert!(s.contains(&Well { row: 2, col: 2 }));
        // Corners in any order, duplicates once.
        assert_eq!(sel("H12:A1", 8, 12).map(|s| s.len()), Ok(96));
        assert_eq!(sel("A1, A1, a1", 8, 12).map(|s| s.len()), Ok(1));
        assert_eq!(sel("all", 32, 48).map(|s| s.len()), Ok(1536));
        assert!(sel("AF48", 32, 48).is_ok());
    }

    #[test]
    fn off_plate_wells_name_the_token() {
        let e = sel("A1:H12, I1", 8, 12).unwrap_err();
        assert_eq!(e.token, "I1");
        assert!(
            e.message.contains("rows A–H and columns 1–12"),
            "{}",
            e.message
        );
        let e = sel("A1:A13", 8, 12).unwrap_err();
        assert_eq!(e.token, "A1:A13");
        assert!(sel("", 8, 12).is_err());
    }

    #[test]
    fn serpentine_and_row_wise() {
        let s = sel("A1:B3", 8, 12).expect("ok");
        let names = |v: Vec<Well>| v.into_iter().map(Well::name).collect::<Vec<_>>().join(" ");
        assert_eq!(names(order_wells(&s, true)), "A1 A2 A3 B3 B2 B1");
        assert_eq!(names(order_wells(&s, false)), "A1 A2 A3 B1 B2 B3");
    }
}
