//! File names from user-given names. Every layout builds names as
//! `<region>_<fov>[_<z>][_<channel>]`, so two regions or channels can share a file only if
//! their safe names are equal, or one region's safe name is another's followed by `_<fov>`.
//! Both are refused at plan time, which makes every path unique by construction.

use std::collections::HashMap;

/// A name safe as one path component on any file system: ASCII letters, digits, `-`, `.`
/// and `+` stay (Squid replaces spaces); anything else, and a leading `.` (a hidden file, or
/// `.`/`..`), becomes `_`.
pub fn safe_name(s: &str) -> String {
    let out: String = s
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let keep = c.is_ascii_alphanumeric() || matches!(c, '-' | '+') || (c == '.' && i > 0);
            if keep { c } else { '_' }
        })
        .collect();
    if out.is_empty() { "_".into() } else { out }
}

/// Longest run directory name: NAME_MAX (255) less room for `-999` and temporary suffixes.
pub const MAX_RUN_NAME: usize = 200;

/// Whether a rendered run name can be a directory of its own; the message says why not.
pub fn check_run_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the run name is empty\nhelp: give `output.run_name` some text, e.g. `{name}_{timestamp}`".into());
    }
    if name == "." || name == ".." {
        return Err(format!(
            "the run name `{name}` names a directory that already exists\nhelp: use a real name, e.g. `{{name}}_{{timestamp}}`"
        ));
    }
    if name.contains(['/', '\\']) {
        return Err("the run name must not contain a path separator\nhelp: put folders in `output.directory`".into());
    }
    if name.chars().any(char::is_control) {
        return Err("the run name contains a control character (a newline or tab)\nhelp: use letters, digits and punctuation only".into());
    }
    if name.len() > MAX_RUN_NAME {
        return Err(format!(
            "the run name is {} bytes long, more than the {MAX_RUN_NAME} a directory name can safely have\nhelp: shorten `output.run_name` or the values it uses",
            name.len()
        ));
    }
    Ok(())
}

/// Two user names that would write to one file.
#[derive(Debug, PartialEq)]
pub struct Clash {
    /// Index of the later name (the one to report).
    pub index: usize,
    /// Index of the earlier name it clashes with.
    pub with: usize,
    pub why: String,
}

/// How names are compared: case-insensitively, since exFAT, NTFS and macOS disks (where
/// data often ends up) fold case.
fn folded(s: &str) -> String {
    safe_name(s).to_ascii_lowercase()
}

/// Names that become the same file name (channels, or anything named without a FOV index).
pub fn same_safe_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Clash> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, n) in names.into_iter().enumerate() {
        let key = folded(n);
        match seen.get(&key) {
            Some(&j) => out.push(Clash {
                index: i,
                with: j,
                why: format!("both become the file name part `{}`", safe_name(n)),
            }),
            None => {
                seen.insert(key, i);
            }
        }
    }
    out
}

/// Regions (name and FOV count) whose files would collide: equal safe names, or a name that
/// reads as another region's name plus one of its FOV numbers (`well` with 3 FOVs and
/// `well_1`: `well_1_0_…` could be either).
pub fn region_clashes<'a>(regions: impl IntoIterator<Item = (&'a str, usize)>) -> Vec<Clash> {
    let regions: Vec<(&str, usize)> = regions.into_iter().collect();
    let mut out = same_safe_names(regions.iter().map(|r| r.0));
    let dup: std::collections::HashSet<usize> = out.iter().map(|c| c.index).collect();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, (n, _)) in regions.iter().enumerate() {
        if !dup.contains(&i) {
            by_key.insert(folded(n), i);
        }
    }
    for (i, (n, _)) in regions.iter().enumerate() {
        if dup.contains(&i) {
            continue;
        }
        let key = folded(n);
        // Every `<prefix>_<digits>` split whose prefix is another region.
        for (pos, _) in key.match_indices('_') {
            let (prefix, rest) = (&key[..pos], &key[pos + 1..]);
            let digits = rest.split('_').next().unwrap_or("");
            let canonical = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'));
            let Some(&j) = by_key.get(prefix) else {
                continue;
            };
            if canonical && digits.parse::<usize>().is_ok_and(|f| f < regions[j].1) {
                out.push(Clash {
                    index: i.max(j),
                    with: i.min(j),
                    why: format!(
                        "`{}` reads as `{}` followed by its FOV number {digits}, so their file names can coincide",
                        safe_name(n),
                        safe_name(regions[j].0)
                    ),
                });
                break;
            }
        }
    }
    out.sort_by_key(|c| (c.index, c.with));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_relative_names_are_neutralised() {
        assert_eq!(safe_name(".hidden"), "_hidden");
        assert_eq!(safe_name(".."), "_.");
        assert_eq!(safe_name("."), "_");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("a/../b"), "a_.._b");
        assert_eq!(safe_name("A1.5"), "A1.5");
    }

    #[test]
    fn names_that_sanitise_alike_clash() {
        let c = region_clashes([("Zelle ä", 1), ("Zelle ö", 1)]);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].index, c[0].with), (1, 0));
        assert_eq!(region_clashes([("well 1", 1), ("well_1", 1)]).len(), 1);
        assert_eq!(region_clashes([("~", 1), ("=", 1)]).len(), 1);
        assert_eq!(region_clashes([("cell", 1), ("CELL", 1)]).len(), 1);
        assert!(region_clashes([("A1", 4), ("A2", 4), ("B1", 4)]).is_empty());
    }

    #[test]
    fn a_name_that_reads_as_another_plus_a_fov_clashes() {
        assert_eq!(region_clashes([("well", 3), ("well_1", 1)]).len(), 1);
        assert_eq!(region_clashes([("well_2_x", 1), ("well", 3)]).len(), 1);
        // FOV 5 does not exist, and `01` is never printed as a FOV number.
        assert!(region_clashes([("well", 3), ("well_5", 1)]).is_empty());
        assert!(region_clashes([("well", 3), ("well_01", 1)]).is_empty());
        assert!(region_clashes([("well", 3), ("well_b", 1)]).is_empty());
    }

    /// Brute force over random names: whenever two (region, fov, channel) triples give one
    /// file name, the check must have refused the set.
    #[test]
    fn no_unrefused_set_of_random_names_shares_a_file() {
        let alphabet = ['a', 'A', '_', '1', '0', ' ', 'ä', '.', '-'];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let word = |next: &mut dyn FnMut(usize) -> usize, len: usize| -> String {
            let n = 1 + next(len);
            (0..n).map(|_| alphabet[next(alphabet.len())]).collect()
        };
        for _ in 0..3000 {
            let nr = 1 + next(4);
            let regions: Vec<(String, usize)> = (0..nr)
                .map(|_| {
                    let w = word(&mut next, 4);
                    (w, 1 + next(3))
                })
                .collect();
            let nc = 1 + next(3);
            let channels: Vec<String> = (0..nc).map(|_| word(&mut next, 3)).collect();
            let refused = !region_clashes(regions.iter().map(|(n, f)| (n.as_str(), *f))).is_empty()
                || !same_safe_names(channels.iter().map(String::as_str)).is_empty();
            // One map per layout: channel files, FOV files, and plain per-plane files.
            let mut maps: [HashMap<String, (usize, usize, usize, usize)>; 3] = Default::default();
            let mut shared = false;
            for (r, (name, fovs)) in regions.iter().enumerate() {
                let rn = safe_name(name);
                for f in 0..*fovs {
                    for (c, ch) in channels.iter().enumerate() {
                        let cn = safe_name(ch);
                        let files = [
                            (format!("{rn}_{f}_{cn}"), (r, f, c, 0)),
                            (format!("{rn}_{f}"), (r, f, 0, 0)),
                            (format!("{rn}_{f}_0_{cn}"), (r, f, c, 0)),
                            (format!("{rn}_{f}_1_{cn}"), (r, f, c, 1)),
                        ];
                        for (i, (file, id)) in files.into_iter().enumerate() {
                            let map = &mut maps[i.min(2)];
                            let old = map.insert(file.to_ascii_lowercase(), id);
                            shared |= old.is_some_and(|o| o != id);
                        }
                    }
                }
            }
            assert!(
                refused || !shared,
                "{regions:?} {channels:?} share a file but were accepted"
            );
        }
    }
}
