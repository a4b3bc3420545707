//! The focus map: where the focus is measured before imaging, with which autofocus, and how
//! the surface through those points is judged.

use super::autofocus::{AutofocusPlan, CONTRAST_RANGE_UM, CONTRAST_STEP_UM};
use super::surface::SurfaceKind;
use super::*;
use crate::protocol::schema::{AfMethod, FocusPoints};

#[derive(Clone, Debug)]
pub struct FocusMapPlan {
    /// (well, x mm, y mm, region index): each point at its well's centre.
    pub points: Vec<(String, f64, f64, u32)>,
    pub surface: SurfaceKind,
    pub max_residual_um: f64,
    /// Measured again every this many time points (0: once).
    pub every: u32,
    /// The autofocus that measures each point.
    pub autofocus: AutofocusPlan,
}

impl FocusMapPlan {
    /// Which map a time point is imaged from: maps are measured at the first time point of
    /// each period.
    pub fn period(&self, t: u32) -> u32 {
        t.checked_div(self.every).unwrap_or(0)
    }
}

/// The default limit on a point's distance from the fitted surface.
const MAX_RESIDUAL_UM: f64 = 2.0;

impl Builder<'_> {
    pub(super) fn focus_map(
        &mut self,
        regions: &[&Region],
        autofocus: &AutofocusPlan,
    ) -> Option<FocusMapPlan> {
        let spec = self.lp.spec.focus_map.clone()?;
        let method = spec.method.unwrap_or(match autofocus.method {
            AfMethod::None if self.m.desc.laser_autofocus.is_some() => AfMethod::Laser,
            AfMethod::None => AfMethod::Contrast,
            m => m,
        });
        let mut af = autofocus.clone();
        af.method = method;
        match method {
            AfMethod::None => {
                self.err_help(
                    "focus_map.method",
                    "a focus map measures with an autofocus",
                    "use `method: laser` or `method: contrast`",
                );
            }
            AfMethod::Laser => match &self.m.desc.laser_autofocus {
                None => {
                    self.err_help(
                        "focus_map.method",
                        format!("the microscope `{}` has no laser autofocus", self.m.desc.name),
                        "use `method: contrast`, or describe `laser_autofocus` in the microscope file",
                    );
                }
                Some(l) if autofocus.method != AfMethod::Laser => af.range_um = l.range.um(),
                Some(_) => {}
            },
            AfMethod::Contrast if autofocus.method != AfMethod::Contrast => {
                af.range_um = CONTRAST_RANGE_UM;
                af.step_um = CONTRAST_STEP_UM;
                af.channel = 0;
            }
            AfMethod::Contrast => {}
        }
        let max_residual_um = spec.max_residual.map_or(MAX_RESIDUAL_UM, |r| r.um());
        if max_residual_um <= 0.0 {
            self.err("focus_map.max_residual", "the limit must be positive");
        }
        let wells: Vec<(String, f64, f64, u32)> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), r.centre.0, r.centre.1, i as u32))
            .collect();
        let points = match &spec.points {
            FocusPoints::Count(n) => spread(&wells, *n as usize),
            FocusPoints::Grid(rows, cols) => grid(&wells, *rows, *cols),
            FocusPoints::Corners => corners(regions, self.m.fov_mm()),
            FocusPoints::Wells(names) => {
                let mut out = Vec::new();
                for name in names {
                    match wells.iter().find(|w| w.0.eq_ignore_ascii_case(name)) {
                        Some(w) => out.push(w.clone()),
                        None => {
                            let known: Vec<&str> = wells.iter().map(|w| w.0.as_str()).collect();
                            self.err_help(
                                "focus_map.points",
                                format!("`{name}` is not one of the wells this protocol images"),
                                crate::suggest::did_you_mean(name, known),
                            );
                        }
                    }
                }
                out
            }
        };
        if spec.surface == SurfaceKind::Bilinear && spec.points != FocusPoints::Corners {
            self.err_help(
                "focus_map.surface",
                "a bilinear surface per well is fitted to each well's four corners",
                "add `points: corners`, or use `surface: plane` or `quadratic`",
            );
        }
        let need = spec.surface.terms();
        if !wells.is_empty() && points.len() < need {
            self.err_help(
                "focus_map.points",
                format!(
                    "a {} needs at least {need} points, and this map has {}",
                    spec.surface.name(),
                    points.len()
                ),
                if wells.len() < need {
                    "image more wells, or use `surface: plane` (3 points)".to_string()
                } else {
                    format!("use `points: {}` or more", need + need / 2)
                },
            );
        }
        Some(FocusMapPlan {
            points,
            surface: spec.surface,
            max_residual_um,
            every: spec.every,
            autofocus: af,
        })
    }
}

/// `n` wells spread over the plate: its four corners first (so the surface is interpolated,
/// never extrapolated, where the plate is imaged), then each time the well furthest from
/// those already chosen.
fn spread(wells: &[(String, f64, f64, u32)], n: usize) -> Vec<(String, f64, f64, u32)> {
    type W = (String, f64, f64, u32);
    let corner = |f: &dyn Fn(&W) -> f64| wells.iter().max_by(|a, b| f(a).total_cmp(&f(b)));
    let mut chosen: Vec<W> = Vec::new();
    for c in [
        corner(&|w| -(w.1 + w.2)),
        corner(&|w| w.1 + w.2),
        corner(&|w| w.1 - w.2),
        corner(&|w| w.2 - w.1),
    ]
    .into_iter()
    .flatten()
    {
        if chosen.len() < n && !chosen.iter().any(|k| k.3 == c.3) {
            chosen.push(c.clone());
        }
    }
    while chosen.len() < n.min(wells.len()) {
        let gap = |w: &W| {
            chosen
                .iter()
                .map(|c| (c.1 - w.1).hypot(c.2 - w.2))
                .fold(f64::INFINITY, f64::min)
        };
        let far = wells
            .iter()
            .filter(|w| !chosen.iter().any(|c| c.3 == w.3))
            .max_by(|a, b| gap(a).total_cmp(&gap(b)));
        match far {
            Some(w) => chosen.push(w.clone()),
            None => break,
        }
    }
    chosen
}

/// The bounding box of points: (min x, max x, min y, max y).
fn extent(points: impl IntoIterator<Item = (f64, f64)>) -> (f64, f64, f64, f64) {
    points.into_iter().fold(
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
        |(x0, x1, y0, y1), (x, y)| (x0.min(x), x1.max(x), y0.min(y), y1.max(y)),
    )
}

/// The four corners of each region's fields (inset a tenth of a field, so each point
/// images the sample its fields do), named by the region.
fn corners(regions: &[&Region], fov_mm: (f64, f64)) -> Vec<(String, f64, f64, u32)> {
    let (hx, hy) = (fov_mm.0 * 0.4, fov_mm.1 * 0.4);
    let mut out = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        let (x0, x1, y0, y1) = if r.fovs.is_empty() {
            extent([r.centre])
        } else {
            extent(r.fovs.iter().copied())
        };
        for (x, y) in [
            (x0 - hx, y0 - hy),
            (x1 + hx, y0 - hy),
            (x0 - hx, y1 + hy),
            (x1 + hx, y1 + hy),
        ] {
            out.push((r.name.clone(), x, y, i as u32));
        }
    }
    out
}

/// The imaged wells nearest the nodes of a `rows` × `cols` grid laid evenly over their
/// extent (corners included), each well once.
fn grid(wells: &[(String, f64, f64, u32)], rows: u32, cols: u32) -> Vec<(String, f64, f64, u32)> {
    let (x0, x1, y0, y1) = extent(wells.iter().map(|w| (w.1, w.2)));
    let at = |i: u32, n: u32, lo: f64, hi: f64| {
        if n <= 1 {
            (lo + hi) / 2.0
        } else {
            lo + (hi - lo) * f64::from(i) / f64::from(n - 1)
        }
    };
    let mut chosen: Vec<(String, f64, f64, u32)> = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let (x, y) = (at(c, cols, x0, x1), at(r, rows, y0, y1));
            let near = wells.iter().min_by(|a, b| {
                (a.1 - x)
                    .hypot(a.2 - y)
                    .total_cmp(&(b.1 - x).hypot(b.2 - y))
            });
            if let Some(w) = near
                && !chosen.iter().any(|k| k.3 == w.3)
            {
                chosen.push(w.clone());
            }
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_takes_the_wells_nearest_its_nodes_corners_included() {
        let wells: Vec<_> = (0..8u32)
            .flat_map(|r| (0..12u32).map(move |c| (r, c)))
            .enumerate()
            .map(|(i, (r, c))| {
                let name = format!("{}{}", char::from(b'A' + r as u8), c + 1);
                (name, 9.0 * f64::from(c), 9.0 * f64::from(r), i as u32)
            })
            .collect();
        let names: Vec<String> = grid(&wells, 3, 4).into_iter().map(|w| w.0).collect();
        assert_eq!(
            names,
            [
                "A1", "A5", "A8", "A12", "D1", "D5", "D8", "D12", "H1", "H5", "H8", "H12"
            ]
        );
        assert_eq!(grid(&wells[..2], 3, 3).len(), 2, "each well once");
    }

    #[test]
    fn points_spread_to_the_corners_first() {
        let mut wells = Vec::new();
        for (r, row) in ["A", "B", "C", "D", "E", "F", "G", "H"].iter().enumerate() {
            for c in 0..12 {
                let name = format!("{row}{}", c + 1);
                wells.push((
                    name,
                    14.38 + 9.0 * c as f64,
                    11.24 + 9.0 * r as f64,
                    wells.len() as u32,
                ));
            }
        }
        let mut names: Vec<String> = spread(&wells, 4).into_iter().map(|w| w.0).collect();
        assert_eq!(names[..2], ["A1", "H12"]);
        names.sort();
        assert_eq!(names, ["A1", "A12", "H1", "H12"]);
        assert_eq!(spread(&wells, 9).len(), 9);
        assert_eq!(spread(&wells[..2], 9).len(), 2);
    }
}
