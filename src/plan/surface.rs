//! A focus surface fitted to measured focus points: z(x, y) as a plane or a quadratic, by
//! least squares about the points' centroid (so millimetre coordinates stay well conditioned).

use serde::{Deserialize, Serialize};

pub use crate::protocol::schema::SurfaceKind;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Surface {
    pub kind: SurfaceKind,
    /// The centroid the terms are taken about (mm).
    pub origin_mm: (f64, f64),
    /// a, b, c[, d, e, f] in mm, mm/mm and 1/mm.
    pub coefficients: Vec<f64>,
}

impl Surface {
    /// The least-squares fit through `points` (x, y, z in mm); `None` when there are fewer
    /// points than terms or they do not pin the surface down (all on one line, say).
    pub fn fit(kind: SurfaceKind, points: &[(f64, f64, f64)]) -> Option<Surface> {
        let n = kind.terms();
        if points.len() < n {
            return None;
        }
        let k = points.len() as f64;
        let origin = (
            points.iter().map(|p| p.0).sum::<f64>() / k,
            points.iter().map(|p| p.1).sum::<f64>() / k,
        );
        // Normal equations AᵀA·c = Aᵀz.
        let mut m = vec![vec![0.0; n + 1]; n];
        for &(x, y, z) in points {
            let row = terms(kind, x - origin.0, y - origin.1);
            for i in 0..n {
                for j in 0..n {
                    m[i][j] += row[i] * row[j];
                }
                m[i][n] += row[i] * z;
            }
        }
        let coefficients = solve(m)?;
        Some(Surface {
            kind,
            origin_mm: origin,
            coefficients,
        })
    }

    /// The surface's z (mm) at (x, y).
    pub fn at(&self, x_mm: f64, y_mm: f64) -> f64 {
        terms(self.kind, x_mm - self.origin_mm.0, y_mm - self.origin_mm.1)
            .iter()
            .zip(&self.coefficients)
            .map(|(t, c)| t * c)
            .sum()
    }
}

fn terms(kind: SurfaceKind, dx: f64, dy: f64) -> Vec<f64> {
    match kind {
        SurfaceKind::Plane => vec![1.0, dx, dy],
        SurfaceKind::Quadratic => vec![1.0, dx, dy, dx * dx, dx * dy, dy * dy],
    }
}

/// Gaussian elimination with partial pivoting on an augmented n × (n+1) matrix.
fn solve(mut m: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = m.len();
    let scale = m
        .iter()
        .flat_map(|r| r[..n].iter())
        .fold(0.0f64, |a, v| a.max(v.abs()));
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() <= scale * 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (v, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *v -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| m[i][n] / m[i][i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bowl(x: f64, y: f64) -> f64 {
        4.0 + 0.00015 * (x - 64.0) - 0.0001 * (y - 43.0)
            + 0.008 * ((x - 64.0).powi(2) + (y - 43.0).powi(2)) / 2500.0
    }

    fn grid(f: impl Fn(f64, f64) -> f64) -> Vec<(f64, f64, f64)> {
        let mut p = Vec::new();
        for x in [14.0, 64.0, 113.0] {
            for y in [11.0, 43.0, 74.0] {
                p.push((x, y, f(x, y)));
            }
        }
        p
    }

    #[test]
    fn a_quadratic_recovers_a_tilted_bowl_and_a_plane_cannot() {
        let q = Surface::fit(SurfaceKind::Quadratic, &grid(bowl)).expect("fits");
        let p = Surface::fit(SurfaceKind::Plane, &grid(bowl)).expect("fits");
        let (mut worst_q, mut worst_p) = (0.0f64, 0.0f64);
        for x in [20.0, 50.0, 90.0, 110.0] {
            for y in [15.0, 40.0, 70.0] {
                worst_q = worst_q.max((q.at(x, y) - bowl(x, y)).abs());
                worst_p = worst_p.max((p.at(x, y) - bowl(x, y)).abs());
            }
        }
        assert!(worst_q * 1000.0 < 1e-6, "{worst_q}");
        assert!(
            worst_p * 1000.0 > 1.0,
            "a plane misses the bow by over 1 µm: {worst_p}"
        );
    }

    #[test]
    fn a_plane_through_three_points_is_exact_and_points_on_a_line_are_not_enough() {
        let pts = [(0.0, 0.0, 1.0), (10.0, 0.0, 1.01), (0.0, 10.0, 0.99)];
        let s = Surface::fit(SurfaceKind::Plane, &pts).expect("fits");
        for &(x, y, z) in &pts {
            assert!((s.at(x, y) - z).abs() < 1e-12);
        }
        assert!((s.at(10.0, 10.0) - 1.0).abs() < 1e-12);
        let line = [(0.0, 0.0, 1.0), (5.0, 5.0, 1.0), (10.0, 10.0, 1.0)];
        assert_eq!(Surface::fit(SurfaceKind::Plane, &line), None);
        assert_eq!(Surface::fit(SurfaceKind::Quadratic, &pts), None);
    }
}
