//! From useq's sequence to what squidctl will do: positions, the FOV offsets around each,
//! the stack, channels, time points and axis order — or, for what squidctl cannot
//! reproduce exactly, an error that names it, located in the user's file.

use super::model::{Channel, No, Sequence, Shape};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::import::collect;
use crate::import::tree::err;
use crate::protocol::units::Percent;
use crate::yaml::Node;

/// What the sequence does, in squidctl's terms.
pub struct Acquisition {
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub positions: Vec<Point>,
    /// Where the positions came from, when a well plate plan made them.
    pub plate_note: Option<String>,
    /// The FOV offsets (µm) at each position (a well's points, then the grid around each),
    /// and what made them.
    pub offsets: Vec<(f64, f64)>,
    pub offsets_from: Vec<String>,
    pub z: Option<ZStack>,
    pub channels: Vec<ChannelPlan>,
    /// (every s, count, what)
    pub time: Option<(f64, u32, String)>,
    /// useq's axis order as written (`None`: its default), and squidctl's.
    pub axes: Option<Vec<char>>,
    pub order: Vec<char>,
}

pub struct Point {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub z: Option<f64>,
}

pub struct ZStack {
    pub count: u32,
    pub step: f64,
    pub from: &'static str,
    pub what: String,
}

pub struct ChannelPlan {
    pub name: String,
    pub exposure_ms: f64,
    pub intensity: f64,
    pub do_stack: bool,
    pub z_offset: f64,
    pub acquire_every: u32,
}

/// The node at `path` for an error about it, else the whole document.
pub fn at<'a>(root: &'a Node, path: &str) -> &'a Node {
    root.lookup(path).unwrap_or(root)
}

/// Where a key is written, for errors about the key itself rather than its value.
fn key<'a>(root: &'a Node, k: &str) -> &'a Node {
    root.entry(k).map_or(root, |(k, _)| k)
}

/// `complete`: the whole sequence was typed, so a section that is absent was not written
/// (rather than left out for an error already reported).
pub fn acquisition(
    seq: Sequence,
    root: &Node,
    intensity: &[String],
    fov_um: (f64, f64),
    complete: bool,
) -> Result<Acquisition, Diagnostics> {
    let mut errors = Diagnostics::default();
    if seq.autofocus_plan.is_some() {
        errors.push(
            err(
                key(root, "autofocus_plan"),
                "`autofocus_plan` has no equivalent in squidctl",
            )
            .help("remove it and choose `autofocus:` (contrast or laser) in the imported protocol"),
        );
    }
    if seq.setup.is_some() {
        errors.push(
            err(key(root, "setup"), "`setup` has no equivalent in squidctl")
                .help("remove it; squidctl sets the devices up itself"),
        );
    }
    if seq
        .keep_shutter_open_across
        .as_ref()
        .is_some_and(|k| !k.is_empty())
    {
        errors.push(
            err(
                key(root, "keep_shutter_open_across"),
                "`keep_shutter_open_across` has no equivalent in squidctl",
            )
            .help("squidctl lights the sample for each exposure only; remove it"),
        );
    }
    let channels = collect(
        &mut errors,
        channels(seq.channels.as_deref(), root, intensity, complete),
    );
    let z = collect(
        &mut errors,
        seq.z_plan
            .as_ref()
            .map(|z| super::stack::z_plan(z, at(root, "z_plan")))
            .transpose(),
    )
    .flatten()
    .flatten();
    let time = collect(
        &mut errors,
        seq.time_plan
            .as_ref()
            .map(|t| super::time::time_plan(t, at(root, "time_plan")))
            .transpose(),
    )
    .flatten()
    .flatten();
    let (positions, well_points, plate_note) = collect(
        &mut errors,
        super::plate::stage_positions(seq.stage_positions.as_ref(), root, fov_um),
    )
    .unwrap_or_default();
    let grid = collect(
        &mut errors,
        seq.grid_plan
            .as_ref()
            .map(|g| super::grid::grid_plan(g, at(root, "grid_plan"), fov_um))
            .transpose(),
    )
    .flatten()
    .flatten();

    // A grid with absolute edges replaces the positions' x and y; alone, it is one region.
    let (positions, grid) = match grid {
        Some(super::grid::Grid::Absolute(points, what)) => {
            if !positions.is_empty() {
                errors.push(err(at(root, "grid_plan"), "a grid with absolute edges (top, left, bottom, right) together with stage_positions").help(
                    "useq then ignores the positions' x and y; give either the grid or the positions",
                ));
                (positions, None)
            } else {
                let cx = points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64;
                let cy = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
                let offsets = points.iter().map(|p| (p.0 - cx, p.1 - cy)).collect();
                (
                    vec![Point {
                        name: "grid".into(),
                        x: cx,
                        y: cy,
                        z: None,
                    }],
                    Some((offsets, what)),
                )
            }
        }
        Some(super::grid::Grid::Relative(offsets, what)) => (positions, Some((offsets, what))),
        None => (positions, None),
    };
    if positions.is_empty() && errors.is_empty() && complete {
        errors.push(err(root, "the sequence has no stage_positions").help(
            "useq then images wherever the stage is; squidctl needs positions: add `stage_positions` (x, y in µm) or a well plate plan",
        ));
    }

    // Our FOV axis carries the points inside each well and the grid around each: flattened,
    // point-major, so it equals useq's p (well × point) then g only when g follows p.
    let axes = collect(
        &mut errors,
        seq.axis_order
            .as_ref()
            .map(|a| axis_order(a, at(root, "axis_order")))
            .transpose(),
    )
    .flatten();
    let grid_len = grid.as_ref().map_or(1, |g| g.0.len());
    let points = well_points.as_ref().map_or(1, |w| w.0.len());
    let mut order = axes.clone().unwrap_or_else(|| "tpgcz".chars().collect());
    if points > 1 {
        let p = order.iter().position(|a| *a == 'p');
        let g = order.iter().position(|a| *a == 'g');
        if grid_len > 1 && p.zip(g).is_none_or(|(p, g)| g != p + 1) {
            errors.push(err(at(root, "axis_order"), "a well plate plan with several points per well and a grid, but `g` does not follow `p` in axis_order").help(
                "squidctl visits each well's points and their grids together; put `g` right after `p`",
            ));
        } else if let Some(p) = p {
            order.retain(|a| *a != 'g');
            order.insert(p + 1, 'g');
        }
    }
    let wp = well_points
        .as_ref()
        .map_or_else(|| vec![(0.0, 0.0)], |w| w.0.clone());
    let gp = grid
        .as_ref()
        .map_or_else(|| vec![(0.0, 0.0)], |g| g.0.clone());
    let offsets: Vec<(f64, f64)> = wp
        .iter()
        .flat_map(|a| gp.iter().map(move |b| (a.0 + b.0, a.1 + b.1)))
        .collect();
    let offsets_from = well_points
        .map(|w| w.1)
        .into_iter()
        .chain(grid.map(|g| g.1))
        .collect();

    if let (Some(zs), Some(chs)) = (&z, &channels)
        && zs.count > 1
        && !(zs.from == "center" && zs.count % 2 == 1)
        && let Some(i) = chs.iter().position(|c| !c.do_stack)
    {
        errors.push(err(at(root, &format!("channels[{i}]")), "a channel with `do_stack: false` needs a z plan centred on the position with an odd number of planes").help(
            "useq then takes the middle plane, which is the focus plane squidctl takes; use ZRangeAround with range a multiple of 2 × step",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Acquisition {
        metadata: seq.metadata.unwrap_or_default(),
        positions,
        plate_note,
        offsets,
        offsets_from,
        z,
        channels: channels.unwrap_or_default(),
        time,
        axes,
        order,
    })
}

fn axis_order(a: &Shape<String, Vec<String>, No>, n: &Node) -> Result<Vec<char>, Diagnostics> {
    let letters: Vec<char> = match a {
        Shape::Scalar(s) => s.chars().collect(),
        Shape::List(list) => {
            let mut out = Vec::new();
            for (i, t) in list.iter().enumerate() {
                let mut cs = t.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => out.push(c),
                    _ => {
                        return Err(err(
                            n.lookup(&format!("[{i}]")).unwrap_or(n),
                            format!("`{t}` is not one of t, p, g, c, z"),
                        )
                        .into());
                    }
                }
            }
            out
        }
        Shape::Map(no) => match *no {},
    };
    let mut seen = Vec::new();
    for c in letters {
        let c = c.to_ascii_lowercase();
        if !"tpgcz".contains(c) || seen.contains(&c) {
            return Err(err(n, format!("axis `{c}` is unknown or repeated"))
                .help("axis_order names each of t, p, g, c, z at most once")
                .into());
        }
        seen.push(c);
    }
    for c in "tpgcz".chars() {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    Ok(seen)
}

/// The intensity for every channel, and those given per channel name.
type Intensities = (Option<f64>, Vec<(String, f64)>);

fn intensities(args: &[String]) -> Result<Intensities, Diagnostic> {
    let mut all = None;
    let mut named = Vec::new();
    for a in args {
        let (name, pct) = match a.rsplit_once('=') {
            Some((n, p)) => (Some(n.trim().to_string()), p),
            None => (None, a.as_str()),
        };
        let p = pct.trim();
        let p = if p.ends_with('%') {
            p.to_string()
        } else {
            format!("{p}%")
        };
        let v = Percent::parse(&p)
            .map_err(|e| Diagnostic::new(format!("--intensity {a}: {e}")))?
            .0;
        if !(0.0..=100.0).contains(&v) {
            return Err(Diagnostic::new(format!(
                "--intensity {a}: {v}% is not between 0% and 100%"
            )));
        }
        match name {
            Some(n) => named.push((n, v)),
            None => all = Some(v),
        }
    }
    Ok((all, named))
}

fn channels(
    list: Option<&[Shape<String, No, Channel>]>,
    root: &Node,
    intensity: &[String],
    complete: bool,
) -> Result<Vec<ChannelPlan>, Diagnostics> {
    let (all, named) = intensities(intensity)?;
    let Some(list) = list else {
        if !complete {
            return Ok(Vec::new());
        }
        return Err(err(root, "the sequence has no channels")
            .help("add `channels:` with each channel's `config` and `exposure` (ms)")
            .into());
    };
    let mut out = Vec::new();
    let mut errors = Diagnostics::default();
    for (i, c) in list.iter().enumerate() {
        let n = at(root, &format!("channels[{i}]"));
        let r = (|| -> Result<ChannelPlan, Diagnostic> {
            let c = match c {
                Shape::Scalar(s) => {
                    return Err(err(n, format!("channel `{s}` has no exposure")).help(
                        "useq leaves it to the microscope's current setting; squidctl needs it: write {config: NAME, exposure: MS}",
                    ));
                }
                Shape::List(no) => match *no {},
                Shape::Map(c) => c,
            };
            let name = c
                .config
                .clone()
                .ok_or_else(|| err(n, "a channel without `config`"))?;
            if c.camera.is_some() {
                return Err(err(
                    n.lookup("camera").unwrap_or(n),
                    format!("channel `{name}` names a camera"),
                )
                .help("squidctl drives one camera; remove `camera`"));
            }
            let Some(exposure_ms) = c.exposure else {
                return Err(err(n, format!("channel `{name}` has no exposure")).help(
                    "useq leaves it to the microscope's current setting; squidctl needs it: add `exposure:` in ms",
                ));
            };
            let intensity = named
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .or(all)
                .ok_or_else(|| {
                    err(n, format!("useq-schema records no light intensity, and none was given for `{name}`"))
                        .help(format!("add --intensity 20% (every channel) or --intensity \"{name}=20%\""))
                })?;
            Ok(ChannelPlan {
                name,
                exposure_ms,
                intensity,
                do_stack: c.do_stack.unwrap_or(true),
                z_offset: c.z_offset.unwrap_or(0.0),
                acquire_every: c.acquire_every.unwrap_or(1).max(1),
            })
        })();
        match r {
            Ok(ch) => out.push(ch),
            Err(e) => errors.push(e),
        }
    }
    for (n, _) in &named {
        if !out.iter().any(|c| &c.name == n) && errors.is_empty() {
            errors.push(Diagnostic::new(format!(
                "--intensity names `{n}`, which is not a channel of the sequence"
            )));
        }
    }
    errors.into_result(out)
}
