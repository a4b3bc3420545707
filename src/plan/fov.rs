//! Fields of view inside a well or around a position: a grid, "as many as fit", or explicit
//! offsets. Offsets are in mm from the region centre, in visiting order.

use crate::protocol::schema::GridOrder;

/// A rows × columns grid centred on the region, with `overlap` (0..1) between neighbours.
pub fn grid(
    rows: u32,
    cols: u32,
    fov: (f64, f64),
    overlap: f64,
    order: GridOrder,
) -> Vec<(f64, f64)> {
    let px = fov.0 * (1.0 - overlap);
    let py = fov.1 * (1.0 - overlap);
    let mut out = Vec::with_capacity((rows * cols) as usize);
    for r in 0..rows {
        let y = (r as f64 - (rows as f64 - 1.0) / 2.0) * py;
        let reverse = order == GridOrder::Snake && r % 2 == 1;
        for k in 0..cols {
            let c = if reverse { cols - 1 - k } else { k };
            let x = (c as f64 - (cols as f64 - 1.0) / 2.0) * px;
            out.push((x, y));
        }
    }
    out
}

/// Every grid tile lying wholly inside a round (diameter `size`) or square (side `size`) scan
/// area. Both grid parities are tried (a tile on the centre, or four around it) and the one
/// holding more tiles wins. At least the centre tile is always returned.
pub fn fill(
    round: bool,
    size: f64,
    fov: (f64, f64),
    overlap: f64,
    order: GridOrder,
) -> Vec<(f64, f64)> {
    let px = fov.0 * (1.0 - overlap);
    let py = fov.1 * (1.0 - overlap);
    let r = size / 2.0;
    let inside = |x: f64, y: f64| {
        let (hx, hy) = (fov.0 / 2.0, fov.1 / 2.0);
        if round {
            [(-hx, -hy), (hx, -hy), (-hx, hy), (hx, hy)]
                .iter()
                .all(|(dx, dy)| (x + dx).powi(2) + (y + dy).powi(2) <= r * r + 1e-12)
        } else {
            (x.abs() + hx) <= r + 1e-12 && (y.abs() + hy) <= r + 1e-12
        }
    };
    let nx_max = (size / px).ceil() as u32 + 2;
    let ny_max = (size / py).ceil() as u32 + 2;
    let mut best: Vec<(f64, f64)> = Vec::new();
    for parity in 0..2u32 {
        let nx = nx_max + (nx_max + parity) % 2;
        let ny = ny_max + (ny_max + parity) % 2;
        let tiles: Vec<(f64, f64)> = grid(ny, nx, fov, overlap, GridOrder::Raster)
            .into_iter()
            .filter(|&(x, y)| inside(x, y))
            .collect();
        if tiles.len() > best.len() {
            best = tiles;
        }
    }
    if best.is_empty() {
        return vec![(0.0, 0.0)];
    }
    // Re-order row by row (snake or raster) for the visiting order.
    let mut rows: Vec<f64> = best.iter().map(|p| p.1).collect();
    rows.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    let mut out = Vec::with_capacity(best.len());
    for (i, y) in rows.iter().enumerate() {
        let mut row: Vec<(f64, f64)> = best
            .iter()
            .filter(|p| (p.1 - y).abs() < 1e-9)
            .copied()
            .collect();
        row.sort_by(|a, b| a.0.total_cmp(&b.0));
        if order == GridOrder::Snake && i % 2 == 1 {
            row.reverse();
        }
        out.extend(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_with_overlap_is_centred_and_snakes() {
        let g = grid(2, 3, (1.0, 1.0), 0.1, GridOrder::Snake);
        assert_eq!(g.len(), 6);
        let xs: Vec<f64> = g.iter().map(|p| (p.0 * 100.0).round() / 100.0).collect();
        assert_eq!(xs, vec![-0.9, 0.0, 0.9, 0.9, 0.0, -0.9]);
        assert!((g[0].1 + 0.45).abs() < 1e-12 && (g[3].1 - 0.45).abs() < 1e-12);
        let r = grid(2, 3, (1.0, 1.0), 0.1, GridOrder::Raster);
        assert!((r[3].0 + 0.9).abs() < 1e-12);
        // Neighbours overlap by exactly 10 % of the FOV.
        assert!(((g[1].0 - g[0].0) - 0.9).abs() < 1e-12);
    }

    #[test]
    fn single_tile_grid_is_the_centre() {
        assert_eq!(
            grid(1, 1, (0.5, 0.5), 0.0, GridOrder::Snake),
            vec![(0.0, 0.0)]
        );
    }

    #[test]
    fn fill_keeps_tiles_inside() {
        let fov = (0.6656, 0.6656);
        for round in [true, false] {
            let tiles = fill(round, 6.4, fov, 0.1, GridOrder::Snake);
            assert!(tiles.len() > 30, "{}", tiles.len());
            for (x, y) in &tiles {
                let h = fov.0 / 2.0;
                if round {
                    assert!(((x.abs() + h).powi(2) + (y.abs() + h).powi(2)).sqrt() <= 3.2 + 1e-9);
                } else {
                    assert!(x.abs() + h <= 3.2 + 1e-9 && y.abs() + h <= 3.2 + 1e-9);
                }
            }
        }
        // A square area holds more tiles than the circle inscribed in it.
        assert!(
            fill(false, 6.4, fov, 0.1, GridOrder::Snake).len()
                > fill(true, 6.4, fov, 0.1, GridOrder::Snake).len()
        );
        // Nothing fits: still image the centre.
        assert_eq!(
            fill(true, 0.1, fov, 0.0, GridOrder::Snake),
            vec![(0.0, 0.0)]
        );
    }

    #[test]
    fn square_fill_count_is_the_closed_form() {
        // n tiles fit along a side when (n-1)·pitch + fov ≤ size.
        let fov = (1.0, 1.0);
        let tiles = fill(false, 5.0, fov, 0.0, GridOrder::Raster);
        assert_eq!(tiles.len(), 25);
        let tiles = fill(false, 4.99, fov, 0.0, GridOrder::Raster);
        assert_eq!(tiles.len(), 16);
    }
}
