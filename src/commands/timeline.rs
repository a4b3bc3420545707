//! A time-lapse timeline for people: rounds that took the same time folded into one line
//! (`t=1,3,…,23 (12 rounds): takes 59.7s`). Estimates and dry runs print the same way.

use crate::human;
use crate::plan::round::Round;

/// Rounds folded into classes that take the same time, in order of first appearance.
pub fn lines(rounds: &[Round], total: u64, interval: f64) -> Vec<String> {
    struct Class {
        key: String,
        ts: Vec<u32>,
        late_max: f64,
        first_start: f64,
    }
    let key = |r: &Round| -> String {
        if r.skipped {
            "skipped: its start had passed".to_string()
        } else {
            let mut s = format!("takes {}", human::duration(r.end_s - r.start_s));
            if r.overran {
                s.push_str(&format!(
                    ", OVERRUNS the {} interval",
                    human::duration(interval)
                ));
            }
            s
        }
    };
    let mut classes: Vec<Class> = Vec::new();
    for r in rounds {
        let k = key(r);
        match classes.iter_mut().find(|c| c.key == k) {
            Some(c) => {
                c.ts.push(r.t);
                c.late_max = c.late_max.max(r.late_s);
            }
            None => classes.push(Class {
                key: k,
                ts: vec![r.t],
                late_max: r.late_s,
                first_start: r.start_s,
            }),
        }
    }
    let sweeps = rounds.iter().map(|r| r.sweep).max().unwrap_or(0) + 1;
    let mut lines: Vec<String> = classes
        .iter()
        .take(30)
        .map(|c| {
            let n = c.ts.len() as u64;
            let label = if n == 1 {
                format!("t={}", c.ts[0])
            } else {
                format!("t={} ({} rounds)", compress(&c.ts), human::count(n))
            };
            let late = if c.late_max > 1e-6 {
                format!(", starting up to {} late", human::duration(c.late_max))
            } else {
                String::new()
            };
            let at = if n == 1 {
                format!(" at {}", human::duration(c.first_start))
            } else {
                String::new()
            };
            format!("{label}{at}: {}{late}", c.key)
        })
        .collect();
    if sweeps > 1 {
        lines.push(format!(
            "({} time-lapse sweeps: time is not the outermost loop)",
            human::count(sweeps)
        ));
    }
    if total > rounds.len() as u64 {
        lines.push(format!(
            "(first {} of {} rounds shown)",
            human::count(rounds.len() as u64),
            human::count(total)
        ));
    }
    lines
}

/// `0–24`, `0,2,…,24`, or the first few then `…`.
fn compress(ts: &[u32]) -> String {
    let mut v = ts.to_vec();
    v.sort_unstable();
    v.dedup();
    if v.len() >= 3 {
        let step = v[1] - v[0];
        if v.windows(2).all(|w| w[1] - w[0] == step) {
            let (a, b) = (v[0], v[v.len() - 1]);
            return if step == 1 {
                format!("{a}–{b}")
            } else {
                format!("{a},{},…,{b}", a + step)
            };
        }
    }
    let shown: Vec<String> = v.iter().take(6).map(u32::to_string).collect();
    if v.len() > 6 {
        format!("{},…", shown.join(","))
    } else {
        shown.join(",")
    }
}
