//! Z stacks: planes as offsets (µm) from the focus reference, in acquisition order.

use super::Builder;
use crate::protocol::schema::ZFrom;

/// Offsets of `count` planes `step` apart. `bottom`: the focus is the lowest plane and the
/// stack goes up; `top`: the focus is the highest and the stack goes down; `center`: the
/// focus is in the middle and the stack goes up.
pub fn offsets(count: u32, step_um: f64, from: ZFrom) -> Vec<f64> {
    let n = count.max(1);
    (0..n)
        .map(|i| {
            let i = i as f64;
            match from {
                ZFrom::Bottom => i * step_um,
                ZFrom::Top => -i * step_um,
                ZFrom::Center => (i - (n as f64 - 1.0) / 2.0) * step_um,
            }
        })
        .collect()
}

/// Planes in a `range` (first to last) at `step`: range/step + 1, rounding the range down to
/// a whole number of steps.
pub fn count_for_range(range_um: f64, step_um: f64) -> u32 {
    let steps = (range_um / step_um + 1e-6).floor();
    if steps.is_finite() && steps >= 0.0 && steps < (u32::MAX - 1) as f64 {
        steps as u32 + 1
    } else {
        // Absurd stacks are refused by the caller's size check, not wrapped around.
        u32::MAX
    }
}

/// The plane closest to the focus, for channels that take one plane instead of the stack.
pub fn reference_index(offsets: &[f64]) -> usize {
    offsets
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or(0, |(i, _)| i)
}

impl Builder<'_> {
    pub(super) fn z_plan(&mut self) -> (Vec<f64>, f64) {
        let z = &self.lp.spec.z;
        let step = z.step.map(|s| s.um());
        if let Some(s) = step
            && s <= 0.0
        {
            self.err_help(
                "z.step",
                "the z step must be positive",
                "write e.g. `step: 1.5um`",
            );
            return (vec![0.0], 0.0);
        }
        let count = match (z.range, z.count, step) {
            (None, None, _) => return (vec![0.0], step.unwrap_or(0.0)),
            (Some(_), Some(_), _) => {
                self.err_help(
                    "z.count",
                    "give either `range` or `count`, not both",
                    "a stack is range + step, or count + step",
                );
                return (vec![0.0], 0.0);
            }
            (_, _, None) => {
                self.err_help("z", "a z stack needs a `step`", "add e.g. `step: 1um`");
                return (vec![0.0], 0.0);
            }
            (Some(r), None, Some(s)) => {
                if r.um() < 0.0 {
                    self.err("z.range", "the z range must not be negative");
                    return (vec![0.0], s);
                }
                count_for_range(r.um(), s)
            }
            (None, Some(n), Some(_)) => {
                if n == 0 {
                    self.err_help(
                        "z.count",
                        "a stack has at least one plane",
                        "use `count: 1` or more",
                    );
                    return (vec![0.0], 0.0);
                }
                n
            }
        };
        if count > 100_000 {
            self.err_help(
                "z",
                format!("{count} planes per stack is more than any objective's depth"),
                "check the range and step units",
            );
            return (vec![0.0], 0.0);
        }
        let s = step.unwrap_or(0.0);
        (offsets(count, s, z.from), s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_from_each_reference() {
        assert_eq!(offsets(3, 2.0, ZFrom::Bottom), vec![0.0, 2.0, 4.0]);
        assert_eq!(offsets(3, 2.0, ZFrom::Top), vec![0.0, -2.0, -4.0]);
        assert_eq!(offsets(3, 2.0, ZFrom::Center), vec![-2.0, 0.0, 2.0]);
        assert_eq!(offsets(4, 1.0, ZFrom::Center), vec![-1.5, -0.5, 0.5, 1.5]);
        assert_eq!(offsets(1, 5.0, ZFrom::Center), vec![0.0]);
    }

    #[test]
    fn range_and_step() {
        assert_eq!(count_for_range(10.0, 1.0), 11);
        assert_eq!(count_for_range(10.0, 3.0), 4);
        assert_eq!(count_for_range(0.3, 0.1), 4);
        assert_eq!(reference_index(&offsets(5, 1.0, ZFrom::Center)), 2);
        assert_eq!(reference_index(&offsets(5, 1.0, ZFrom::Top)), 0);
        assert_eq!(count_for_range(3e25, 1.0), u32::MAX);
        assert_eq!(count_for_range(f64::INFINITY, 1.0), u32::MAX);
    }
}
