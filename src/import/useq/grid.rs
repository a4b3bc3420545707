//! useq's grid plans as FOV offsets around a position (or, from absolute edges, as points
//! on the stage), in useq's own visiting orders.

use super::model::GridPlan;
use crate::diagnostic::Diagnostics;
use crate::import::tree::err;
use crate::import::yaml_out::num as fmt;
use crate::yaml::Node;

/// Offsets (µm) of a relative grid, or absolute points of a grid from edges, each with a
/// description for the comment.
pub enum Grid {
    Relative(Vec<(f64, f64)>, String),
    Absolute(Vec<(f64, f64)>, String),
}

pub fn grid_plan(g: &GridPlan, n: &Node, fov_um: (f64, f64)) -> Result<Option<Grid>, Diagnostics> {
    if g.num_points.is_some() {
        return Err(err(n, "a RandomPoints plan has no equivalent in squidctl")
            .help("squidctl's fields of view are the same on every run; use GridRowsColumns")
            .into());
    }
    let (fw, fh) = (g.fov_width, g.fov_height);
    let (w, h) = (fw.unwrap_or(fov_um.0), fh.unwrap_or(fov_um.1));
    let fov_note = if fw.is_some() && fh.is_some() {
        format!("FOV {} × {} µm (the plan's)", fmt(w), fmt(h))
    } else {
        format!("FOV {} × {} µm (this microscope's)", fmt(w), fmt(h))
    };
    let (ox, oy) = match &g.overlap {
        None => (0.0, 0.0),
        Some(o) => o.pair().ok_or_else(|| {
            err(
                n.lookup("overlap").unwrap_or(n),
                "overlap is one percentage or two (x, y)",
            )
        })?,
    };
    let dx = w - w * ox / 100.0;
    let dy = h - h * oy / 100.0;
    if dx <= 0.0 || dy <= 0.0 {
        return Err(err(n, "an overlap of 100% or more leaves no step between FOVs").into());
    }
    let mode = g.mode.clone().unwrap_or_else(|| "row_wise_snake".into());
    let centred = match g.relative_to.as_deref() {
        None | Some("center") => true,
        Some("top_left") => false,
        Some(other) => {
            return Err(err(
                n.lookup("relative_to").unwrap_or(n),
                format!("relative_to `{other}` is neither center nor top_left"),
            )
            .into());
        }
    };
    // Rows, columns, and for absolute edges the first centre; relative grids sit at the
    // position, or centred on it.
    let (rows, cols, start, kind) = if let (Some(top), Some(left), Some(bottom), Some(right)) =
        (g.top, g.left, g.bottom, g.right)
    {
        let span = |a: f64, b: f64, fov: f64, step: f64, given: bool| -> u32 {
            let s = (a - b).abs();
            if !given {
                ((s + step) / step).ceil() as u32
            } else if s <= fov {
                1
            } else {
                (((s - fov) / step).ceil() as u32).saturating_add(1)
            }
        };
        let rows = span(top, bottom, h, dy, fh.is_some());
        let cols = span(right, left, w, dx, fw.is_some());
        let start = (
            left.min(right) + fw.unwrap_or(0.0) / 2.0,
            top.max(bottom) - fh.unwrap_or(0.0) / 2.0,
        );
        (rows, cols, Some(start), "useq GridFromEdges".to_string())
    } else if let (Some(r), Some(c)) = (g.rows, g.columns) {
        let (rows, cols) = (r.max(1), c.max(1));
        (
            rows,
            cols,
            None,
            format!("useq GridRowsColumns {rows}×{cols}"),
        )
    } else if let (Some(width), Some(height)) = (g.width, g.height) {
        let rows = (height / dy).ceil().max(1.0) as u32;
        let cols = (width / dx).ceil().max(1.0) as u32;
        let kind = format!("useq GridWidthHeight {} × {} µm", fmt(width), fmt(height));
        (rows, cols, None, kind)
    } else {
        return Err(err(n, "cannot tell which useq grid plan this is")
            .help("give rows and columns, width and height, or top, left, bottom and right")
            .into());
    };
    if rows as u64 * cols as u64 > 100_000 {
        return Err(err(n, format!("a grid of {rows} × {cols} fields of view"))
            .help("check the FOV size and overlap")
            .into());
    }
    let absolute = start.is_some();
    let (x0, y0) = match start {
        Some(s) => s,
        None if centred => (
            -((cols - 1) as f64 * dx) / 2.0,
            ((rows - 1) as f64 * dy) / 2.0,
        ),
        None => (0.0, 0.0),
    };
    let order = indices(rows, cols, &mode).ok_or_else(|| {
        err(n, format!("grid mode `{mode}` is unknown"))
            .help("use row_wise_snake, row_wise, column_wise_snake, column_wise or spiral")
    })?;
    let points: Vec<(f64, f64)> = order
        .into_iter()
        .map(|(r, c)| (x0 + c as f64 * dx, y0 - r as f64 * dy))
        .collect();
    let what = format!(
        "{kind}, overlap {}/{} %, {mode}, {fov_note}",
        fmt(ox),
        fmt(oy)
    );
    Ok(Some(if absolute {
        Grid::Absolute(points, what)
    } else {
        Grid::Relative(points, what)
    }))
}

/// useq's visiting orders of a rows × columns grid, as (row, column).
pub fn indices(rows: u32, cols: u32, mode: &str) -> Option<Vec<(u32, u32)>> {
    let mut out = Vec::with_capacity((rows * cols) as usize);
    match mode {
        "row_wise" | "row_wise_snake" => {
            for r in 0..rows {
                for k in 0..cols {
                    let c = if mode == "row_wise_snake" && r % 2 == 1 {
                        cols - 1 - k
                    } else {
                        k
                    };
                    out.push((r, c));
                }
            }
        }
        "column_wise" | "column_wise_snake" => {
            for c in 0..cols {
                for k in 0..rows {
                    let r = if mode == "column_wise_snake" && c % 2 == 1 {
                        rows - 1 - k
                    } else {
                        k
                    };
                    out.push((r, c));
                }
            }
        }
        "spiral" => {
            // Outward from the centre, first down and then clockwise.
            let (xs, ys) = (((cols - 1) / 2) as i64, ((rows - 1) / 2) as i64);
            let (mut x, mut yv, mut dx, mut dy) = (0i64, 0i64, 0i64, -1i64);
            let n = rows.max(cols) as i64;
            for _ in 0..n * n {
                let (c2, r2) = (cols as f64 / 2.0, rows as f64 / 2.0);
                if (-c2 < x as f64 && x as f64 <= c2) && (-r2 < yv as f64 && yv as f64 <= r2) {
                    out.push(((yv + ys) as u32, (x + xs) as u32));
                }
                if x == yv || (x < 0 && x == -yv) || (x > 0 && x == 1 - yv) {
                    (dx, dy) = (-dy, dx);
                }
                x += dx;
                yv += dy;
            }
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_orders_match_useq() {
        assert_eq!(
            indices(2, 3, "row_wise_snake"),
            Some(vec![(0, 0), (0, 1), (0, 2), (1, 2), (1, 1), (1, 0)])
        );
        assert_eq!(
            indices(2, 2, "column_wise_snake"),
            Some(vec![(0, 0), (1, 0), (1, 1), (0, 1)])
        );
        // As useq-schema 0.9 iterates them (OrderMode.spiral.generate_indices).
        assert_eq!(
            indices(3, 3, "spiral"),
            Some(vec![
                (1, 1),
                (1, 2),
                (2, 2),
                (2, 1),
                (2, 0),
                (1, 0),
                (0, 0),
                (0, 1),
                (0, 2)
            ])
        );
        assert_eq!(
            indices(2, 4, "spiral"),
            Some(vec![
                (0, 1),
                (0, 2),
                (1, 2),
                (1, 1),
                (1, 0),
                (0, 0),
                (0, 3),
                (1, 3)
            ])
        );
        assert_eq!(indices(2, 2, "zigzag"), None);
    }
}
