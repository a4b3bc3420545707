//! Z stacks: planes as offsets (µm) from the focus reference, in acquisition order.

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
    ((range_um / step_um + 1e-6).floor() as u32) + 1
}

/// The plane closest to the focus, for channels that take one plane instead of the stack.
pub fn reference_index(offsets: &[f64]) -> usize {
    offsets
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or(0, |(i, _)| i)
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
    }
}
