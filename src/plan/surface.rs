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
    /// Per well (`bilinear`): each well's own surface about its centroid; a point takes the
    /// nearest well's, and this one (a plane through every point) where no well has one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wells: Vec<Surface>,
    /// A well's surface holds this far from its centroid (mm): half again its points' reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach_mm: Option<f64>,
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
            wells: Vec::new(),
            reach_mm: None,
        })
    }

    /// A bilinear surface per well through each well's points (`(well, x, y, z)`), over a
    /// plane through all of them for wells that have none (too few of their points measured).
    pub fn fit_per_well(points: &[(u32, f64, f64, f64)]) -> Option<Surface> {
        let all: Vec<(f64, f64, f64)> = points.iter().map(|p| (p.1, p.2, p.3)).collect();
        let mut base = Surface::fit(SurfaceKind::Plane, &all)?;
        let mut wells: Vec<u32> = points.iter().map(|p| p.0).collect();
        wells.sort_unstable();
        wells.dedup();
        for w in wells {
            let own: Vec<(f64, f64, f64)> = points
                .iter()
                .filter(|p| p.0 == w)
                .map(|p| (p.1, p.2, p.3))
                .collect();
            if let Some(mut s) = Surface::fit(SurfaceKind::Bilinear, &own) {
                let far = own
                    .iter()
                    .map(|p| (p.0 - s.origin_mm.0).hypot(p.1 - s.origin_mm.1))
                    .fold(0.0, f64::max);
                s.reach_mm = Some(far * 1.5);
                base.wells.push(s);
            }
        }
        base.kind = SurfaceKind::Bilinear;
        Some(base)
    }

    /// The surface's z (mm) at (x, y).
    pub fn at(&self, x_mm: f64, y_mm: f64) -> f64 {
        let d = |s: &Surface| (s.origin_mm.0 - x_mm).hypot(s.origin_mm.1 - y_mm);
        let near = self
            .wells
            .iter()
            .filter(|w| d(w) <= w.reach_mm.unwrap_or(f64::INFINITY))
            .min_by(|a, b| d(a).total_cmp(&d(b)));
        if let Some(w) = near {
            return w.at(x_mm, y_mm);
        }
        // A per-well map's own terms are its plane's.
        let kind = match self.kind {
            SurfaceKind::Bilinear if self.coefficients.len() == 3 => SurfaceKind::Plane,
            k => k,
        };
        terms(kind, x_mm - self.origin_mm.0, y_mm - self.origin_mm.1)
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
        SurfaceKind::Bilinear => vec![1.0, dx, dy, dx * dy],
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

    #[test]
    fn each_well_gets_its_own_bilinear_surface_and_the_rest_the_plane() {
        // Two wells, each its own saddle-free tilt plus a twist; a third with one point.
        let f = |w: u32, x: f64, y: f64| 4.0 + 0.001 * f64::from(w) + 0.0002 * x * y;
        let mut pts = Vec::new();
        for (w, cx) in [(0u32, 10.0), (1, 30.0)] {
            for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
                let (x, y) = (cx + dx, 10.0 + dy);
                pts.push((w, x, y, f(w, x, y)));
            }
        }
        pts.push((2, 50.0, 10.0, 4.01));
        let s = Surface::fit_per_well(&pts).expect("fits");
        assert_eq!(s.wells.len(), 2);
        for (w, cx) in [(0u32, 10.0), (1, 30.0)] {
            let (x, y) = (cx + 0.3, 10.0 - 0.6);
            assert!((s.at(x, y) - f(w, x, y)).abs() < 1e-9);
        }
        // The lone point's well takes the plane through every point.
        let plane = Surface::fit(
            SurfaceKind::Plane,
            &pts.iter().map(|p| (p.1, p.2, p.3)).collect::<Vec<_>>(),
        )
        .expect("plane");
        assert!((s.at(50.0, 10.0) - plane.at(50.0, 10.0)).abs() < 1e-12);
        let back: Surface =
            serde_json::from_str(&serde_json::to_string(&s).expect("json")).expect("read");
        assert_eq!(back, s);
    }

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
