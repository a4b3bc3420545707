//! Regions: the plate's wells or named positions (from the protocol or a CSV), each with
//! its FOV centres, and where each came from for located errors.

use super::*;

/// A place to image: a well or a named position, with its FOV centres (stage mm).
#[derive(Clone, Debug)]
pub struct Region {
    pub name: String,
    pub well: Option<Well>,
    pub centre: (f64, f64),
    /// Focus reference for this region (a position's own z, else the microscope's focus_z).
    pub z_mm: f64,
    pub fovs: Vec<(f64, f64)>,
}

/// Where a region was defined, so out-of-travel errors can point at it.
pub(super) enum Origin {
    Wells(Loc),
    Position(String),
    Csv(Loc),
}

impl Builder<'_> {
    /// Wells or positions, each with its FOV centres.
    pub(super) fn regions(
        &mut self,
        fov_mm: (f64, f64),
    ) -> (Option<PlateGeometry>, Vec<(Region, Origin)>) {
        let p = &self.lp.spec;
        let focus = self.m.desc.stage.focus_z.mm();
        match (&p.plate, &p.positions) {
            (None, None) => {
                self.err_help(
                    "plate",
                    "the protocol does not say where to image",
                    "add `plate:` with `format:` and `wells:`, or `positions:`",
                );
                (None, Vec::new())
            }
            (Some(_), Some(_)) => {
                self.err_help(
                    "positions",
                    "give either `plate` or `positions`, not both",
                    "remove one of them",
                );
                (None, Vec::new())
            }
            (Some(spec), None) => {
                let mut sized = true;
                let geom = match (spec.format, &spec.custom) {
                    (Some(f), None) => PlateGeometry::sbs(f.0),
                    (None, Some(c)) => {
                        let g = PlateGeometry::custom(c);
                        sized = self.check_custom(&g);
                        Some(g)
                    }
                    (Some(_), Some(_)) => {
                        self.err_help(
                            "plate.custom",
                            "give either `format` or `custom`, not both",
                            "remove one of them",
                        );
                        None
                    }
                    (None, None) => {
                        self.err_help(
                            "plate",
                            "the plate has no `format`",
                            "add e.g. `format: 96`, or describe it under `custom:`",
                        );
                        None
                    }
                };
                let Some(geom) = geom else {
                    return (None, Vec::new());
                };
                if !sized {
                    return (Some(geom), Vec::new());
                }
                let selected = match wells::parse_selection(&spec.wells.0, geom.rows, geom.cols) {
                    Ok(s) => s,
                    Err(e) => {
                        let idx = spec.wells.0.iter().position(|s| s.contains(&e.token));
                        let path = match (idx, spec.wells.0.len()) {
                            (Some(i), n) if n > 1 => format!("plate.wells[{i}]"),
                            _ => "plate.wells".to_string(),
                        };
                        let loc = self.lp.root.best_loc(&path);
                        let loc = if e.token.is_empty() {
                            loc
                        } else {
                            loc.narrowed_to(&e.token)
                        };
                        self.err_split(&path, &e.message, Some(loc));
                        return (Some(geom), Vec::new());
                    }
                };
                let ordered = wells::order_wells(&selected, spec.order == WellOrder::Serpentine);
                let a1 = spec.a1_position.map(|pt| (pt.x.mm(), pt.y.mm()));
                let placed = super::plate::place(self.m, &geom, a1);
                let a1 = placed.placement;
                self.placed = Some(placed);
                let offsets = self.fov_offsets(fov_mm, Some(&geom));
                let wells_loc = self.lp.root.best_loc("plate.wells");
                let regions = ordered
                    .into_iter()
                    .map(|w| {
                        let c = geom.well_centre(w, &a1);
                        let region = Region {
                            name: w.name(),
                            well: Some(w),
                            centre: c,
                            z_mm: focus,
                            fovs: offsets.iter().map(|o| (c.0 + o.0, c.1 + o.1)).collect(),
                        };
                        (region, Origin::Wells(wells_loc.narrowed_to(&w.name())))
                    })
                    .collect();
                (Some(geom), regions)
            }
            (None, Some(spec)) => {
                let offsets = self.fov_offsets(fov_mm, None);
                (None, self.positions(spec, &offsets, focus))
            }
        }
    }

    /// False when the plate's size is unusable (nothing further can be checked).
    pub(super) fn check_custom(&mut self, g: &PlateGeometry) -> bool {
        let sized = g.rows > 0
            && g.cols > 0
            && g.rows <= 702
            && g.cols <= 10_000
            && g.rows as u64 * g.cols as u64 <= 100_000;
        if !sized {
            self.err_help(
                "plate.custom",
                "a plate needs 1 to 702 rows, 1 to 10,000 columns and at most 100,000 wells",
                "set `rows` and `columns`",
            );
        }
        if (g.cols > 1 && g.spacing_x_mm <= 0.0) || (g.rows > 1 && g.spacing_y_mm <= 0.0) {
            self.err_help(
                "plate.custom",
                "the well spacing is missing or not positive",
                "add `spacing: 9mm` (or `spacing_x` and `spacing_y`)",
            );
        }
        if g.well_size_mm <= 0.0 {
            self.err("plate.custom.well_size", "the well size must be positive");
        }
        sized
    }

    pub(super) fn fov_offsets(
        &mut self,
        fov_mm: (f64, f64),
        plate: Option<&PlateGeometry>,
    ) -> Vec<(f64, f64)> {
        let f = &self.lp.spec.fov;
        let overlap = f.overlap.fraction().clamp(0.0, 0.99);
        let given = [f.grid.is_some(), f.fill.is_some(), f.offsets.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 {
            self.err_help(
                "fov",
                "give only one of `grid`, `fill` and `offsets`",
                "remove the others",
            );
            return vec![(0.0, 0.0)];
        }
        if let Some(g) = f.grid {
            if g.rows == 0 || g.columns == 0 || g.rows as u64 * g.columns as u64 > 1_000_000 {
                self.err_help(
                    "fov.grid",
                    "a grid needs 1 or more rows and columns (and fewer than a million FOVs)",
                    "e.g. `grid: 3x3`",
                );
                return vec![(0.0, 0.0)];
            }
            return fov::grid(g.rows, g.columns, fov_mm, overlap, f.order);
        }
        if let Some(fill) = &f.fill {
            let (round, size) = match (fill.shape, plate, fill.size) {
                (FillShape::Well, Some(p), s) => (
                    p.shape == WellShape::Round,
                    s.map_or(p.well_size_mm, |s| s.mm()),
                ),
                (FillShape::Well, None, _) => {
                    self.err_help(
                        "fov.fill.shape",
                        "`shape: well` needs a plate",
                        "with positions, use `shape: round` or `square` and a `size`",
                    );
                    return vec![(0.0, 0.0)];
                }
                (shape, p, s) => match s.map(|s| s.mm()).or(p.map(|p| p.well_size_mm)) {
                    Some(size) => (shape == FillShape::Round, size),
                    None => {
                        self.err_help(
                            "fov.fill.size",
                            "the scan area has no size",
                            "add e.g. `size: 2mm`",
                        );
                        return vec![(0.0, 0.0)];
                    }
                },
            };
            if size <= 0.0 || size > 200.0 {
                self.err(
                    "fov.fill.size",
                    "the scan area size must be positive and smaller than a plate",
                );
                return vec![(0.0, 0.0)];
            }
            return fov::fill(round, size, fov_mm, overlap, f.order);
        }
        if let Some(offs) = &f.offsets {
            if offs.is_empty() {
                self.err("fov.offsets", "the offset list is empty");
                return vec![(0.0, 0.0)];
            }
            return offs.iter().map(|p| (p.x.mm(), p.y.mm())).collect();
        }
        vec![(0.0, 0.0)]
    }

    pub(super) fn positions(
        &mut self,
        spec: &PositionsSpec,
        offsets: &[(f64, f64)],
        focus: f64,
    ) -> Vec<(Region, Origin)> {
        let mut out: Vec<(Region, Origin)> = Vec::new();
        let expand = |c: (f64, f64)| offsets.iter().map(move |o| (c.0 + o.0, c.1 + o.1));
        match spec {
            PositionsSpec::List(list) => {
                if list.is_empty() {
                    self.err("positions", "the position list is empty");
                }
                let mut seen = std::collections::HashSet::new();
                for (i, p) in list.iter().enumerate() {
                    if p.name.trim().is_empty() {
                        self.err(&format!("positions[{i}].name"), "a position needs a name");
                    }
                    if !seen.insert(p.name.as_str()) {
                        self.err_help(
                            &format!("positions[{i}].name"),
                            format!("position `{}` is listed twice", p.name),
                            "names label output files; make them unique",
                        );
                    }
                    let c = (p.x.mm(), p.y.mm());
                    out.push((
                        Region {
                            name: p.name.clone(),
                            well: None,
                            centre: c,
                            z_mm: p.z.map_or(focus, |z| z.mm()),
                            fovs: expand(c).collect(),
                        },
                        Origin::Position(format!("positions[{i}]")),
                    ));
                }
            }
            PositionsSpec::Csv(path) => {
                let full = self.lp.base_dir.join(path);
                let read = match &self.lp.files {
                    crate::protocol::Files::Disk => crate::protocol::positions_csv::read(&full),
                    crate::protocol::Files::Sent(Some(csv)) => {
                        crate::protocol::positions_csv::parse(csv.clone())
                    }
                    crate::protocol::Files::Sent(None) => {
                        self.err_help(
                            "positions",
                            format!(
                                "`positions: {}` names a file on the server, which a protocol sent over the API may not",
                                crate::human::clip(path, 80)
                            ),
                            "list the positions in the protocol, or send the CSV's text in the same request (`positions_csv` in the JSON body)",
                        );
                        return out;
                    }
                };
                let rows = match read {
                    Ok(r) => r,
                    Err(d) => {
                        let here = self.lp.err(
                            "positions",
                            format!("in the positions CSV {}", full.display()),
                        );
                        for e in d.0 {
                            let mut e = e;
                            if e.loc.is_none() && e.help.is_none() {
                                e.help = here
                                    .loc
                                    .as_ref()
                                    .map(|l| format!("named at {}:{}", l.file.name, l.line));
                            }
                            self.errors.push(e);
                        }
                        return out;
                    }
                };
                // Rows of one region need not be adjacent; an index keeps this linear.
                let mut index: std::collections::HashMap<String, usize> = Default::default();
                for r in rows {
                    match index.get(&r.region) {
                        Some(&i) => out[i].0.fovs.extend(expand((r.x_mm, r.y_mm))),
                        None => {
                            index.insert(r.region.clone(), out.len());
                            out.push((
                                Region {
                                    name: r.region.clone(),
                                    well: None,
                                    centre: (r.x_mm, r.y_mm),
                                    z_mm: r.z_mm.unwrap_or(focus),
                                    fovs: expand((r.x_mm, r.y_mm)).collect(),
                                },
                                Origin::Csv(r.loc.clone()),
                            ))
                        }
                    }
                }
            }
        }
        out
    }
}
