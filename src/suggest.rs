//! "Did you mean …?" for keys, values, channel names and units.

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps), case-insensitive,
/// because the typos people make in YAML are mostly swaps and dropped letters.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// The closest candidate, if it is close enough to be a plausible typo.
pub fn closest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (input.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(input, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A help line: "did you mean `x`?" or, failing that, the list of valid choices.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    match closest(input, candidates.clone()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("expected one of: {}", quoted_list(candidates)),
    }
}

/// `a`, `b`, `c` — for listing valid choices in messages.
pub fn quoted_list<'a, I: IntoIterator<Item = &'a str>>(items: I) -> String {
    items
        .into_iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_and_drops_are_close() {
        assert_eq!(distance("exposre", "exposure"), 1);
        assert_eq!(distance("welsl", "wells"), 1);
        assert_eq!(
            closest("exposre", ["exposure", "intensity"]),
            Some("exposure")
        );
        assert_eq!(closest("zzzzzz", ["exposure", "intensity"]), None);
    }

    #[test]
    fn help_lists_choices_when_nothing_is_close() {
        let h = did_you_mean("qqq", ["snake", "raster"]);
        assert_eq!(h, "expected one of: `snake`, `raster`");
    }
}
