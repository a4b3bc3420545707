//! useq's stage positions: a list of positions, or a well plate plan whose wells (and the
//! points in each) become named positions in stage µm.

use super::grid::{Grid, grid_plan};
use super::map::{Point, at};
use super::model::{No, PlateName, Position, SelectedWells, Shape, WellPlatePlan};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::import::tree::err;
use crate::import::yaml_out::num as fmt;
use crate::yaml::Node;

pub type StagePositions = (
    Vec<Point>,
    Option<(Vec<(f64, f64)>, String)>,
    Option<String>,
);

/// The positions, the points inside each well of a plate plan, and a note on the plate.
pub fn stage_positions(
    sp: Option<&Shape<No, Vec<super::model::PositionSpec>, WellPlatePlan>>,
    root: &Node,
    fov_um: (f64, f64),
) -> Result<StagePositions, Diagnostics> {
    let list = match sp {
        None => return Ok((Vec::new(), None, None)),
        Some(Shape::Map(plate)) => return well_plate(plate, at(root, "stage_positions"), fov_um),
        Some(Shape::List(list)) => list,
        Some(Shape::Scalar(no)) => match *no {},
    };
    let mut out: Vec<Point> = Vec::new();
    let width = list.len().saturating_sub(1).to_string().len();
    for (i, p) in list.iter().enumerate() {
        let n = at(root, &format!("stage_positions[{i}]"));
        let (x, yv, z, name) = match p {
            Shape::List(v) => {
                if !(2..=3).contains(&v.len()) {
                    return Err(err(n, "a position as a list is [x, y] or [x, y, z]").into());
                }
                (Some(v[0]), Some(v[1]), v.get(2).copied(), None)
            }
            Shape::Map(Position {
                x,
                y,
                z,
                name,
                sequence,
                properties,
            }) => {
                for (k, given) in [
                    ("sequence", sequence.is_some()),
                    ("properties", properties.is_some()),
                ] {
                    if given {
                        return Err(err(n.lookup(k).unwrap_or(n), format!("a position's `{k}` has no equivalent in squidctl")).help(
                            if k == "sequence" {
                                "squidctl runs one plan at every position; import the sub-sequence as its own protocol"
                            } else {
                                "squidctl sets no device properties per position; remove them"
                            },
                        ).into());
                    }
                }
                (*x, *y, *z, name.clone())
            }
            Shape::Scalar(no) => match *no {},
        };
        let (Some(x), Some(yv)) = (x, yv) else {
            return Err(err(n, "a position without x and y")
                .help("useq then stays where the stage is; squidctl needs x and y (µm)")
                .into());
        };
        let mut name = name.unwrap_or_else(|| format!("pos{i:0width$}"));
        if out.iter().any(|q| q.name == name) {
            let mut k = 2;
            while out.iter().any(|q| q.name == format!("{name}-{k}")) {
                k += 1;
            }
            name = format!("{name}-{k}");
        }
        out.push(Point { name, x, y: yv, z });
    }
    Ok((out, None, None))
}

fn well_plate(
    wp: &WellPlatePlan,
    n: &Node,
    fov_um: (f64, f64),
) -> Result<StagePositions, Diagnostics> {
    let plate = wp
        .plate
        .as_ref()
        .ok_or_else(|| err(n, "a well plate plan without `plate`"))?;
    let (rows, cols, sx, sy, label) = plate_geometry(plate, n.lookup("plate").unwrap_or(n))?;
    let a1 = wp.a1_center_xy.as_ref().ok_or_else(|| {
        err(n, "a well plate plan without `a1_center_xy`")
            .help("give the stage position of the centre of A1, [x, y] in µm")
    })?;
    let (a1x, a1y) = match a1.as_slice() {
        [x, yv] => (*x, *yv),
        _ => {
            return Err(err(
                n.lookup("a1_center_xy").unwrap_or(n),
                "a1_center_xy is [x, y] in µm",
            )
            .into());
        }
    };
    let rot = wp.rotation.unwrap_or(0.0);
    let wells: Vec<(u32, u32)> = match &wp.selected_wells {
        None => (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .collect(),
        Some(s) => selected_wells(s, n.lookup("selected_wells").unwrap_or(n), rows, cols)?,
    };
    let points_node = n.lookup("well_points_plan").unwrap_or(n);
    let (points, points_note) = match &wp.well_points_plan {
        None => (vec![(0.0, 0.0)], None),
        Some(w) if w.is_grid() => match grid_plan(w, points_node, fov_um)? {
            Some(Grid::Relative(p, what)) => (p, Some(what)),
            _ => return Err(err(points_node, "well points from absolute edges").into()),
        },
        Some(w) => (vec![(w.x.unwrap_or(0.0), w.y.unwrap_or(0.0))], None),
    };
    let (s, c) = rot.to_radians().sin_cos();
    let mut out = Vec::new();
    for (r, col) in &wells {
        // useq's plate transform: rows run towards −y, then the rotation, then A1.
        let (vy, vx) = (-(*r as f64) * sy, *col as f64 * sx);
        let py = c * vy + s * vx;
        let px = -s * vy + c * vx;
        let (wx, wy) = (a1x / 1000.0 + px, a1y / 1000.0 + py);
        let (base_x, base_y) = (wx * 1000.0, wy * 1000.0);
        let name = format!("{}{}", crate::plan::wells::row_label(*r), col + 1);
        // A single point sits in the position; several are the FOV offsets.
        let (ox, oy) = if points.len() == 1 {
            points[0]
        } else {
            (0.0, 0.0)
        };
        out.push(Point {
            name,
            x: base_x + ox,
            y: base_y + oy,
            z: None,
        });
    }
    let note = format!(
        "useq WellPlatePlan: {label}, A1 at ({}, {}) µm{}, {} wells; useq's rows run towards -y",
        fmt(a1x),
        fmt(a1y),
        if rot != 0.0 {
            format!(", rotated {}°", fmt(rot))
        } else {
            String::new()
        },
        wells.len()
    );
    let points = (points.len() > 1).then(|| (points, points_note.unwrap_or_default()));
    Ok((out, points, Some(note)))
}

/// rows, columns, spacing x and y (mm), label.
fn plate_geometry(
    p: &Shape<PlateName, No, super::model::Plate>,
    n: &Node,
) -> Result<(u32, u32, f64, f64, String), Diagnostics> {
    const KNOWN: [(&str, u32, u32, f64); 7] = [
        ("6-well", 2, 3, 39.12),
        ("12-well", 3, 4, 26.0),
        ("24-well", 4, 6, 19.0),
        ("48-well", 6, 8, 13.0),
        ("96-well", 8, 12, 9.0),
        ("384-well", 16, 24, 4.5),
        ("1536-well", 32, 48, 2.25),
    ];
    let t = match p {
        Shape::Map(plate) => {
            let rows = plate.rows.ok_or_else(|| err(n, "a plate without rows"))?;
            let cols = plate
                .columns
                .ok_or_else(|| err(n, "a plate without columns"))?;
            let spacing = plate
                .well_spacing
                .as_ref()
                .ok_or_else(|| err(n, "a plate without well_spacing"))?;
            let (sx, sy) = spacing.pair().ok_or_else(|| {
                err(
                    n.lookup("well_spacing").unwrap_or(n),
                    "well_spacing is one distance or two (x, y)",
                )
            })?;
            let name = plate
                .name
                .clone()
                .unwrap_or_else(|| format!("{rows}×{cols} plate"));
            return Ok((rows, cols, sx, sy, name));
        }
        Shape::Scalar(PlateName::Count(c)) => c.to_string(),
        Shape::Scalar(PlateName::Name(t)) => t.clone(),
        Shape::List(no) => match *no {},
    };
    let key = if t.chars().all(|c| c.is_ascii_digit()) {
        format!("{t}-well")
    } else {
        t.clone()
    };
    match KNOWN.iter().find(|k| k.0 == key) {
        Some(&(name, r, c, s)) => Ok((r, c, s, s, name.to_string())),
        None => Err(err(
            n,
            format!("plate `{t}` is not one of useq's standard plates"),
        )
        .help(format!(
            "use {}, or describe it: {{rows, columns, well_spacing}}",
            KNOWN.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
        ))
        .into()),
    }
}

/// useq's `selected_wells`: a numpy index into the rows × columns array — `[[rows], [cols]]`
/// pairs wells one to one, `[r, …]` or `r` takes whole rows.
fn selected_wells(
    s: &SelectedWells,
    n: &Node,
    rows: u32,
    cols: u32,
) -> Result<Vec<(u32, u32)>, Diagnostics> {
    let check = |i: u32, max: u32, what: &str| -> Result<u32, Diagnostic> {
        if i < max {
            Ok(i)
        } else {
            Err(err(
                n,
                format!("{what} {i} is outside the plate (0 to {})", max - 1),
            ))
        }
    };
    let whole_rows = |rs: &[u32]| -> Result<Vec<(u32, u32)>, Diagnostics> {
        let mut out = Vec::new();
        for r in rs {
            let r = check(*r, rows, "row")?;
            out.extend((0..cols).map(|c| (r, c)));
        }
        Ok(out)
    };
    match s {
        Shape::Scalar(r) => whole_rows(&[*r]),
        Shape::List(parts) => {
            match parts.as_slice() {
                [Shape::List(rs), Shape::List(cs)] => {
                    if rs.len() != cs.len() {
                        return Err(err(
                        n,
                        "selected_wells pairs rows with columns: both lists need the same length",
                    )
                    .into());
                    }
                    rs.iter()
                        .zip(cs)
                        .map(|(r, c)| Ok((check(*r, rows, "row")?, check(*c, cols, "column")?)))
                        .collect::<Result<_, Diagnostic>>()
                        .map_err(Diagnostics::from)
                }
                _ => {
                    let mut rs = Vec::new();
                    for p in parts {
                        match p {
                            Shape::Scalar(r) => rs.push(*r),
                            _ => {
                                return Err(err(n, "selected_wells is [[rows…], [columns…]]")
                                .help("as useq writes it: e.g. [[0, 0, 1], [0, 1, 0]] for A1, A2, B1")
                                .into());
                            }
                        }
                    }
                    whole_rows(&rs)
                }
            }
        }
        Shape::Map(no) => match *no {},
    }
}
