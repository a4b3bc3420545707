//! `squidctl import useq`: a protocol from a useq-schema `MDASequence` (the acquisition
//! format of pymmcore-plus), YAML or JSON. The protocol visits the same stage positions, in
//! the same order, with the same channels, planes and time points as useq's own iteration;
//! whatever squidctl cannot reproduce exactly is refused by name instead of approximated.
//!
//! useq counts in µm, ms and s; positions and grids are written out explicitly in stage µm,
//! because useq's plates count y upwards (row B below A in stage y) and its grids are laid out
//! around the position from their own FOV size, neither of which squidctl's plate geometry
//! assumes.

use std::path::Path;

use super::tree::{self, err, get, items};
use super::yaml_out::{self as y, Doc};
use super::{Imported, collect};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::microscope::MicroscopeConfig;
use crate::protocol::units::Percent;
use crate::yaml::{Node, Value};

const TOP_KEYS: [&str; 11] = [
    "metadata",
    "axis_order",
    "stage_positions",
    "grid_plan",
    "channels",
    "time_plan",
    "z_plan",
    "autofocus_plan",
    "keep_shutter_open_across",
    "uid",
    "setup",
];

struct Position {
    name: String,
    x: f64,
    y: f64,
    z: Option<f64>,
}

struct ZStack {
    count: u32,
    step: f64,
    from: &'static str,
    what: String,
}

struct Channel {
    name: String,
    exposure_ms: f64,
    intensity: f64,
    do_stack: bool,
    z_offset: f64,
    acquire_every: u32,
}

pub fn import(
    path: &Path,
    intensity: &[String],
    m: &MicroscopeConfig,
) -> Result<Imported, Diagnostics> {
    let root = tree::load(path)?;
    if !tree::is_map(&root) {
        return Err(err(&root, "a useq-schema MDASequence is a mapping")
            .help("give the YAML or JSON of an MDASequence (e.g. `MDASequence.model_dump_json()`)")
            .into());
    }
    let mut errors = Diagnostics::default();
    let mut notes = Vec::new();
    for (k, _) in tree::entries(&root) {
        if !TOP_KEYS.contains(&k.as_str()) {
            let n = tree::key(&root, &k).unwrap_or(&root);
            errors.push(
                err(
                    n,
                    format!("`{k}` is not a field of a useq-schema MDASequence"),
                )
                .help(crate::suggest::did_you_mean(&k, TOP_KEYS)),
            );
        }
    }
    for k in ["autofocus_plan", "setup"] {
        if get(&root, k).is_some()
            && let Some(n) = tree::key(&root, k)
        {
            errors.push(err(n, format!("`{k}` has no equivalent in squidctl")).help(
                if k == "autofocus_plan" {
                    "remove it and choose `autofocus:` (contrast or laser) in the imported protocol"
                } else {
                    "remove it; squidctl sets the devices up itself"
                },
            ));
        }
    }
    if let Some(n) = get(&root, "keep_shutter_open_across")
        && items(n).is_none_or(|s| !s.is_empty())
    {
        let n = tree::key(&root, "keep_shutter_open_across").unwrap_or(n);
        errors.push(
            err(
                n,
                "`keep_shutter_open_across` has no equivalent in squidctl",
            )
            .help("squidctl lights the sample for each exposure only; remove it"),
        );
    }
    let fov_um = {
        let (w, h) = m.fov_mm();
        (w * 1000.0, h * 1000.0)
    };

    let channels = collect(&mut errors, channels(&root, intensity));
    let z = collect(&mut errors, get(&root, "z_plan").map(z_plan).transpose())
        .flatten()
        .flatten();
    let time = collect(
        &mut errors,
        get(&root, "time_plan").map(time_plan).transpose(),
    )
    .flatten()
    .flatten();
    let (positions, well_points, plate_note) =
        collect(&mut errors, stage_positions(&root, fov_um)).unwrap_or_default();
    let grid = collect(
        &mut errors,
        get(&root, "grid_plan")
            .map(|g| grid_plan(g, fov_um))
            .transpose(),
    )
    .flatten()
    .flatten();

    // A grid with absolute edges replaces the positions' x and y; alone, it is one region.
    let (positions, grid) = match grid {
        Some(Grid::Absolute(points, what)) => {
            if !positions.is_empty() {
                if let Some(n) = get(&root, "grid_plan") {
                    errors.push(err(n, "a grid with absolute edges (top, left, bottom, right) together with stage_positions").help(
                        "useq then ignores the positions' x and y; give either the grid or the positions",
                    ));
                }
                (positions, None)
            } else {
                let cx = points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64;
                let cy = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
                let offsets = points.iter().map(|p| (p.0 - cx, p.1 - cy)).collect();
                (
                    vec![Position {
                        name: "grid".into(),
                        x: cx,
                        y: cy,
                        z: None,
                    }],
                    Some((offsets, what)),
                )
            }
        }
        Some(Grid::Relative(offsets, what)) => (positions, Some((offsets, what))),
        None => (positions, None),
    };
    if positions.is_empty() && errors.is_empty() {
        errors.push(err(&root, "the sequence has no stage_positions").help(
            "useq then images wherever the stage is; squidctl needs positions: add `stage_positions` (x, y in µm) or a well plate plan",
        ));
    }

    // Our FOV axis carries the points inside each well and the grid around each: flattened,
    // point-major, so it equals useq's p (well × point) then g only when g follows p.
    let axes = collect(&mut errors, axis_order(&root)).flatten();
    let grid_len = grid.as_ref().map_or(1, |g| g.0.len());
    let points = well_points.as_ref().map_or(1, |w| w.0.len());
    let mut order = axes.clone().unwrap_or_else(|| "tpgcz".chars().collect());
    if points > 1 {
        let p = order.iter().position(|a| *a == 'p');
        let g = order.iter().position(|a| *a == 'g');
        if grid_len > 1 && p.zip(g).is_none_or(|(p, g)| g != p + 1) {
            let at = get(&root, "axis_order").unwrap_or(&root);
            errors.push(err(at, "a well plate plan with several points per well and a grid, but `g` does not follow `p` in axis_order").help(
                "squidctl visits each well's points and their grids together; put `g` right after `p`",
            ));
        } else if let Some(p) = p {
            order.retain(|a| *a != 'g');
            order.insert(p + 1, 'g');
        }
    }
    let offsets: Vec<(f64, f64)> = {
        let wp = well_points
            .as_ref()
            .map_or_else(|| vec![(0.0, 0.0)], |w| w.0.clone());
        let gp = grid
            .as_ref()
            .map_or_else(|| vec![(0.0, 0.0)], |g| g.0.clone());
        wp.iter()
            .flat_map(|a| gp.iter().map(move |b| (a.0 + b.0, a.1 + b.1)))
            .collect()
    };

    if let (Some(zs), Some(chs)) = (&z, &channels)
        && zs.count > 1
        && !(zs.from == "center" && zs.count % 2 == 1)
        && let Some(i) = chs.iter().position(|c| !c.do_stack)
    {
        let at = get(&root, "channels")
            .and_then(items)
            .and_then(|l| l.get(i))
            .unwrap_or(&root);
        errors.push(err(at, "a channel with `do_stack: false` needs a z plan centred on the position with an odd number of planes").help(
            "useq then takes the middle plane, which is the focus plane squidctl takes; use ZRangeAround with range a multiple of 2 × step",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let channels = channels.unwrap_or_default();

    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into(),
    );
    let stem = path
        .file_stem()
        .map_or_else(|| "useq".into(), |f| f.to_string_lossy().to_string());
    let mut d = Doc::default();
    d.comment(
        0,
        &format!(
            "Imported by `squidctl import useq` from the useq-schema MDASequence {file}.\n\
             Lengths are useq's µm, exposures its ms; positions and offsets are written out so the\n\
             stage visits exactly what useq's own iteration would."
        ),
    );
    d.kv(0, "name", &y::text(&stem), "");
    let mut meta = match get(&root, "metadata").map(|n| n.to_json()) {
        Some(serde_json::Value::Object(o)) => o,
        _ => serde_json::Map::new(),
    };
    meta.insert("imported_from".into(), file.clone().into());
    d.kv(
        0,
        "metadata",
        &serde_json::Value::Object(meta).to_string(),
        "",
    );
    if let Some(n) = plate_note {
        d.comment(0, &n);
    }
    d.line(0, "positions:");
    for p in &positions {
        let z = p.z.map_or(String::new(), |z| format!(", z: {}", y::um(z)));
        d.line(
            2,
            &format!(
                "- {{name: {}, x: {}, y: {}{z}}}",
                y::text(&p.name),
                y::um(p.x),
                y::um(p.y)
            ),
        );
    }
    if positions.iter().any(|p| p.z.is_none()) {
        notes.push(
            "positions without z are imaged at the microscope's focus_z (useq: wherever z is)"
                .into(),
        );
    }
    if offsets.len() > 1 {
        d.line(0, "fov:");
        let mut what = Vec::new();
        if let Some(w) = &well_points {
            what.push(w.1.clone());
        }
        if let Some(g) = &grid {
            what.push(g.1.clone());
        }
        d.comment(2, &what.join("; then "));
        d.line(2, "offsets:");
        for (ox, oy) in &offsets {
            d.line(4, &format!("- {{x: {}, y: {}}}", y::um(*ox), y::um(*oy)));
        }
    }
    if let Some(zs) = &z
        && zs.count > 1
    {
        d.line(0, "z:");
        d.comment(2, &zs.what);
        d.kv(2, "count", &zs.count.to_string(), "");
        d.kv(2, "step", &y::um(zs.step), "");
        d.kv(2, "from", zs.from, "");
    }
    d.line(0, "channels:");
    for c in &channels {
        let mut extra = Vec::new();
        if c.z_offset != 0.0 {
            extra.push(format!("z_offset: {}", y::um(c.z_offset)));
        }
        if c.acquire_every != 1 {
            extra.push(format!("acquire_every: {}", c.acquire_every));
        }
        if !c.do_stack {
            extra.push("do_stack: false".into());
        }
        d.line(2, &y::channel(&c.name, c.exposure_ms, c.intensity, &extra));
    }
    if let Some((every, count, what)) = &time
        && *count > 1
    {
        d.line(0, "time:");
        d.comment(2, what);
        d.kv(2, "every", &y::secs(*every), "");
        d.kv(2, "count", &count.to_string(), "");
    }
    let names: Vec<&str> = order
        .iter()
        .map(|a| match a {
            't' => "time",
            'p' => "well",
            'g' => "fov",
            'c' => "channel",
            _ => "z",
        })
        .collect();
    d.kv(
        0,
        "order",
        &format!("[{}]", names.join(", ")),
        &format!(
            "useq axis_order {}",
            axes.map_or_else(
                || "tpgcz (default)".into(),
                |a| a.iter().collect::<String>()
            )
        ),
    );
    Ok(Imported {
        text: d.finish(),
        notes,
        companions: Vec::new(),
    })
}

fn axis_order(root: &Node) -> Result<Option<Vec<char>>, Diagnostics> {
    let Some(n) = get(root, "axis_order") else {
        return Ok(None);
    };
    let letters: Vec<char> = match &n.value {
        Value::Str(s) => s.chars().collect(),
        Value::Seq(list) => {
            let mut out = Vec::new();
            for i in list {
                let t = tree::text(i, "an axis")?;
                let mut cs = t.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => out.push(c),
                    _ => return Err(err(i, format!("`{t}` is not one of t, p, g, c, z")).into()),
                }
            }
            out
        }
        _ => return Err(err(n, "axis_order is a string such as \"tpgcz\"").into()),
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
    Ok(Some(seen))
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

fn channels(root: &Node, intensity: &[String]) -> Result<Vec<Channel>, Diagnostics> {
    let (all, named) = intensities(intensity)?;
    let Some(n) = get(root, "channels") else {
        return Err(err(root, "the sequence has no channels")
            .help("add `channels:` with each channel's `config` and `exposure` (ms)")
            .into());
    };
    let Some(list) = items(n) else {
        return Err(err(n, "`channels` is a list").into());
    };
    let mut out = Vec::new();
    let mut errors = Diagnostics::default();
    for c in list {
        let r = (|| -> Result<Channel, Diagnostic> {
            if let Value::Str(s) = &c.value {
                return Err(err(c, format!("channel `{s}` has no exposure")).help(
                    "useq leaves it to the microscope's current setting; squidctl needs it: write {config: NAME, exposure: MS}",
                ));
            }
            for (k, v) in tree::entries(c) {
                if ![
                    "config",
                    "group",
                    "exposure",
                    "do_stack",
                    "z_offset",
                    "acquire_every",
                    "camera",
                ]
                .contains(&k.as_str())
                {
                    return Err(err(v, format!("`{k}` is not a field of a useq channel")));
                }
            }
            let name = tree::text(
                get(c, "config").ok_or_else(|| err(c, "a channel without `config`"))?,
                "config",
            )?;
            if let Some(cam) = get(c, "camera") {
                return Err(err(cam, format!("channel `{name}` names a camera"))
                    .help("squidctl drives one camera; remove `camera`"));
            }
            let exposure_ms = match get(c, "exposure") {
                Some(e) => tree::num(e, "exposure")?,
                None => {
                    return Err(err(c, format!("channel `{name}` has no exposure")).help(
                        "useq leaves it to the microscope's current setting; squidctl needs it: add `exposure:` in ms",
                    ));
                }
            };
            let intensity = named
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .or(all)
                .ok_or_else(|| {
                    err(c, format!("useq-schema records no light intensity, and none was given for `{name}`"))
                        .help(format!("add --intensity 20% (every channel) or --intensity \"{name}=20%\""))
                })?;
            let do_stack = get(c, "do_stack")
                .map(|n| tree::flag(n, "do_stack"))
                .transpose()?
                .unwrap_or(true);
            let z_offset = tree::opt_num(c, "z_offset")?.unwrap_or(0.0);
            let acquire_every = match get(c, "acquire_every") {
                Some(n) => tree::whole(n, "acquire_every")?.max(1),
                None => 1,
            };
            Ok(Channel {
                name,
                exposure_ms,
                intensity,
                do_stack,
                z_offset,
                acquire_every,
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

/// A z plan as (count, step, reference) when squidctl's stacks can express it exactly.
fn z_plan(n: &Node) -> Result<Option<ZStack>, Diagnostics> {
    let go_up = get(n, "go_up")
        .map(|g| tree::flag(g, "go_up"))
        .transpose()?
        .unwrap_or(true);
    let num = |k: &str| tree::opt_num(n, k);
    let step = num("step")?;
    let unsupported = |what: &str, help: &str| -> Diagnostics {
        err(n, format!("{what} has no equivalent in squidctl"))
            .help(help.to_string())
            .into()
    };
    // (first offset, count, step) going up, then checked against the three references.
    let (start, count, step_um, what) = if let (Some(range), Some(step)) = (num("range")?, step) {
        let (count, step) = even_steps(n, range, step)?;
        (
            -range / 2.0,
            count,
            step,
            format!(
                "useq ZRangeAround range {} µm, step {} µm",
                y::num(range),
                y::num(step)
            ),
        )
    } else if let (Some(above), Some(below), Some(step)) = (num("above")?, num("below")?, step) {
        let (above, below) = (above.abs(), below.abs());
        let (count, step) = even_steps(n, above + below, step)?;
        (
            -below,
            count,
            step,
            format!(
                "useq ZAboveBelow above {} µm, below {} µm, step {} µm",
                y::num(above),
                y::num(below),
                y::num(step)
            ),
        )
    } else if num("top")?.is_some() || get(n, "absolute").is_some() {
        return Err(unsupported(
            "a z plan in absolute positions (ZTopBottom, ZAbsolutePositions)",
            "squidctl's stacks follow each position's focus; use ZRangeAround or ZAboveBelow",
        ));
    } else if let Some(list) = get(n, "relative").and_then(items) {
        let vals: Vec<f64> = list
            .iter()
            .map(|v| tree::num(v, "a relative position"))
            .collect::<Result<_, _>>()?;
        let mut sorted = vals.clone();
        if !go_up {
            sorted.reverse();
        }
        let count = vals.len() as u32;
        let step = if vals.len() > 1 {
            vals[1] - vals[0]
        } else {
            0.0
        };
        let even = vals
            .windows(2)
            .all(|w| ((w[1] - w[0]) - step).abs() < 1e-6 && step > 0.0);
        if vals.len() > 1 && !even {
            return Err(unsupported(
                "ZRelativePositions not evenly spaced upwards",
                "squidctl's stacks are evenly spaced planes; list them in rising, even steps",
            ));
        }
        (
            vals.first().copied().unwrap_or(0.0),
            count.max(1),
            step,
            format!("useq ZRelativePositions {count} planes"),
        )
    } else {
        return Err(err(n, "cannot tell which useq z plan this is")
            .help("give range and step (ZRangeAround), above, below and step (ZAboveBelow) or relative")
            .into());
    };
    if count <= 1 {
        return Ok(None);
    }
    let end = start + (count - 1) as f64 * step_um;
    let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
    let from = match (go_up, near(start, 0.0), near(end, 0.0), near(start, -end)) {
        (true, _, _, true) => "center",
        (true, true, _, _) => "bottom",
        (false, _, true, _) => "top",
        _ => {
            return Err(unsupported(
                &format!(
                    "a stack from {} µm to {} µm going {}",
                    y::num(start),
                    y::num(end),
                    if go_up { "up" } else { "down" }
                ),
                "squidctl stacks go up from the focus, down from it, or up around it; make the plan one of those",
            ));
        }
    };
    Ok(Some(ZStack {
        count,
        step: step_um,
        from,
        what: format!("{what}{}", if go_up { "" } else { ", going down" }),
    }))
}

/// useq visits `span / step + 1` planes only when the step divides the span; otherwise the
/// last plane falls short, which squidctl's symmetric stacks cannot express.
fn even_steps(n: &Node, span: f64, step: f64) -> Result<(u32, f64), Diagnostics> {
    if step == 0.0 {
        return Ok((1, 0.0));
    }
    if step < 0.0 {
        return Err(err(n, "a negative z step").into());
    }
    let k = span / step;
    if (k - k.round()).abs() > 1e-6 {
        return Err(err(
            n,
            format!(
                "the z range {} µm is not a whole number of {} µm steps",
                y::num(span),
                y::num(step)
            ),
        )
        .help("useq then stops short of the top; make the range a multiple of the step")
        .into());
    }
    Ok((k.round() as u32 + 1, step))
}

/// (every s, count, description)
fn time_plan(n: &Node) -> Result<Option<(f64, u32, String)>, Diagnostics> {
    if get(n, "phases").is_some() {
        return Err(err(n, "a MultiPhaseTimePlan has no equivalent in squidctl")
            .help("import each phase as its own protocol, or use one interval")
            .into());
    }
    let dur = |k: &str| get(n, k).map(|v| duration(v, k)).transpose();
    let loops = get(n, "loops")
        .map(|v| tree::whole(v, "loops"))
        .transpose()?;
    let (interval, duration, loops) = (dur("interval")?, dur("duration")?, loops);
    if interval.is_some_and(|v| v < 0.0) || duration.is_some_and(|v| v < 0.0) {
        return Err(err(n, "a negative interval or duration").into());
    }
    let out = match (interval, duration, loops) {
        (Some(i), None, Some(l)) => (
            i,
            l,
            format!("useq TIntervalLoops interval {} s, loops {l}", y::num(i)),
        ),
        (None, Some(d), Some(l)) => {
            let every = if l > 1 { d / (l - 1) as f64 } else { 0.0 };
            (
                every,
                l,
                format!("useq TDurationLoops duration {} s, loops {l}", y::num(d)),
            )
        }
        (Some(i), Some(d), None) => {
            if i <= 0.0 {
                return Err(err(n, "an interval of 0 with a duration never ends").into());
            }
            let l = (d / i + 1e-9).floor() as u32 + 1;
            (
                i,
                l,
                format!(
                    "useq TIntervalDuration interval {} s, duration {} s",
                    y::num(i),
                    y::num(d)
                ),
            )
        }
        _ => {
            return Err(err(n, "cannot tell which useq time plan this is")
                .help("give interval and loops, duration and loops, or interval and duration")
                .into());
        }
    };
    if out.1 == 0 {
        return Err(err(n, "loops must be 1 or more").into());
    }
    // Back to back: squidctl schedules at an interval, and a late time point starts as
    // soon as the one before ends (overrun: run-late), so the shortest interval does it.
    let out = if out.0 == 0.0 && out.1 > 1 {
        (
            0.001,
            out.1,
            format!("{}; back to back, as 1 ms and run-late", out.2),
        )
    } else {
        out
    };
    Ok(Some(out))
}

/// Seconds from a useq time delta: a number of seconds, ISO 8601 (`PT1M30S`, `P1DT2H`) or
/// `[D days, ]HH:MM:SS[.f]`, the forms pydantic reads.
fn duration(n: &Node, what: &str) -> Result<f64, Diagnostic> {
    if let Ok(v) = tree::num(n, what) {
        return Ok(v);
    }
    let s = tree::text(n, what)?;
    let bad = || {
        err(n, format!("{what} \"{s}\" is not a duration"))
            .help("write seconds (90), ISO 8601 (PT1M30S) or HH:MM:SS")
    };
    let t = s.trim();
    if let Some(iso) = t.strip_prefix('P') {
        let mut total = 0.0;
        let mut in_time = false;
        let mut num = String::new();
        for c in iso.chars() {
            match c {
                'T' => in_time = true,
                '0'..='9' | '.' => num.push(c),
                unit => {
                    let v: f64 = num.parse().map_err(|_| bad())?;
                    num.clear();
                    total += v * match (unit, in_time) {
                        ('W', false) => 604_800.0,
                        ('D', false) => 86_400.0,
                        ('H', true) => 3_600.0,
                        ('M', true) => 60.0,
                        ('S', true) => 1.0,
                        _ => return Err(bad()),
                    };
                }
            }
        }
        return if num.is_empty() {
            Ok(total)
        } else {
            Err(bad())
        };
    }
    let (days, clock) = match t.split_once(',') {
        Some((d, c)) => {
            let d = d
                .trim()
                .trim_end_matches("days")
                .trim_end_matches("day")
                .trim();
            (d.parse::<f64>().map_err(|_| bad())?, c.trim())
        }
        None => (0.0, t),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let v: Vec<f64> = parts
        .iter()
        .map(|p| p.parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    Ok(days * 86_400.0 + v[0] * 3_600.0 + v[1] * 60.0 + v[2])
}

/// Offsets (µm) of a relative grid, or absolute points of a grid from edges, each with a
/// description for the comment.
enum Grid {
    Relative(Vec<(f64, f64)>, String),
    Absolute(Vec<(f64, f64)>, String),
}

fn grid_plan(n: &Node, fov_um: (f64, f64)) -> Result<Option<Grid>, Diagnostics> {
    if get(n, "num_points").is_some() {
        return Err(err(n, "a RandomPoints plan has no equivalent in squidctl")
            .help("squidctl's fields of view are the same on every run; use GridRowsColumns")
            .into());
    }
    let num = |k: &str| tree::opt_num(n, k);
    let fw = num("fov_width")?;
    let fh = num("fov_height")?;
    let (w, h) = (fw.unwrap_or(fov_um.0), fh.unwrap_or(fov_um.1));
    let fov_note = if fw.is_some() && fh.is_some() {
        format!("FOV {} × {} µm (the plan's)", y::num(w), y::num(h))
    } else {
        format!("FOV {} × {} µm (this microscope's)", y::num(w), y::num(h))
    };
    let (ox, oy) = match get(n, "overlap") {
        None => (0.0, 0.0),
        Some(o) => match items(o) {
            Some([a, b]) => (tree::num(a, "overlap")?, tree::num(b, "overlap")?),
            Some(_) => return Err(err(o, "overlap is one percentage or two (x, y)").into()),
            None => {
                let v = tree::num(o, "overlap")?;
                (v, v)
            }
        },
    };
    let dx = w - w * ox / 100.0;
    let dy = h - h * oy / 100.0;
    if dx <= 0.0 || dy <= 0.0 {
        return Err(err(n, "an overlap of 100% or more leaves no step between FOVs").into());
    }
    let mode = match get(n, "mode") {
        Some(m) => tree::text(m, "mode")?,
        None => "row_wise_snake".into(),
    };
    let centred = match get(n, "relative_to") {
        Some(r) => match tree::text(r, "relative_to")?.as_str() {
            "center" => true,
            "top_left" => false,
            other => {
                return Err(err(
                    r,
                    format!("relative_to `{other}` is neither center nor top_left"),
                )
                .into());
            }
        },
        None => true,
    };
    let edges = [num("top")?, num("left")?, num("bottom")?, num("right")?];
    // Rows, columns, and for absolute edges the first centre; relative grids sit at the
    // position, or centred on it.
    let (rows, cols, start, kind) =
        if let [Some(top), Some(left), Some(bottom), Some(right)] = edges {
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
        } else if let (Some(r), Some(c)) = (get(n, "rows"), get(n, "columns")) {
            let (rows, cols) = (
                tree::whole(r, "rows")?.max(1),
                tree::whole(c, "columns")?.max(1),
            );
            (
                rows,
                cols,
                None,
                format!("useq GridRowsColumns {rows}×{cols}"),
            )
        } else if let (Some(width), Some(height)) = (num("width")?, num("height")?) {
            let rows = (height / dy).ceil().max(1.0) as u32;
            let cols = (width / dx).ceil().max(1.0) as u32;
            let kind = format!(
                "useq GridWidthHeight {} × {} µm",
                y::num(width),
                y::num(height)
            );
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
        y::num(ox),
        y::num(oy)
    );
    Ok(Some(if absolute {
        Grid::Absolute(points, what)
    } else {
        Grid::Relative(points, what)
    }))
}

/// useq's visiting orders of a rows × columns grid, as (row, column).
fn indices(rows: u32, cols: u32, mode: &str) -> Option<Vec<(u32, u32)>> {
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

type StagePositions = (
    Vec<Position>,
    Option<(Vec<(f64, f64)>, String)>,
    Option<String>,
);

/// The positions, the points inside each well of a plate plan, and a note on the plate.
fn stage_positions(root: &Node, fov_um: (f64, f64)) -> Result<StagePositions, Diagnostics> {
    let Some(n) = get(root, "stage_positions") else {
        return Ok((Vec::new(), None, None));
    };
    if tree::is_map(n) {
        return well_plate(n, fov_um);
    }
    let Some(list) = items(n) else {
        return Err(err(
            n,
            "stage_positions is a list of positions or a well plate plan",
        )
        .into());
    };
    let mut out: Vec<Position> = Vec::new();
    let width = list.len().saturating_sub(1).to_string().len();
    for (i, p) in list.iter().enumerate() {
        let (x, yv, z, name) = if let Some(xyz) = items(p) {
            let v: Vec<f64> = xyz
                .iter()
                .map(|c| tree::num(c, "a coordinate"))
                .collect::<Result<_, _>>()?;
            if !(2..=3).contains(&v.len()) {
                return Err(err(p, "a position as a list is [x, y] or [x, y, z]").into());
            }
            (Some(v[0]), Some(v[1]), v.get(2).copied(), None)
        } else {
            for k in ["sequence", "properties"] {
                if let Some(s) = get(p, k) {
                    return Err(err(s, format!("a position's `{k}` has no equivalent in squidctl")).help(
                        if k == "sequence" {
                            "squidctl runs one plan at every position; import the sub-sequence as its own protocol"
                        } else {
                            "squidctl sets no device properties per position; remove them"
                        },
                    ).into());
                }
            }
            let name = get(p, "name").map(|v| tree::text(v, "name")).transpose()?;
            (
                tree::opt_num(p, "x")?,
                tree::opt_num(p, "y")?,
                tree::opt_num(p, "z")?,
                name,
            )
        };
        let (Some(x), Some(yv)) = (x, yv) else {
            return Err(err(p, "a position without x and y")
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
        out.push(Position { name, x, y: yv, z });
    }
    Ok((out, None, None))
}

fn well_plate(n: &Node, fov_um: (f64, f64)) -> Result<StagePositions, Diagnostics> {
    let plate = get(n, "plate").ok_or_else(|| err(n, "a well plate plan without `plate`"))?;
    let (rows, cols, sx, sy, label) = plate_geometry(plate)?;
    let a1 = get(n, "a1_center_xy").ok_or_else(|| {
        err(n, "a well plate plan without `a1_center_xy`")
            .help("give the stage position of the centre of A1, [x, y] in µm")
    })?;
    let (a1x, a1y) = match items(a1) {
        Some([x, yv]) => (
            tree::num(x, "a1_center_xy")?,
            tree::num(yv, "a1_center_xy")?,
        ),
        _ => return Err(err(a1, "a1_center_xy is [x, y] in µm").into()),
    };
    let rot = tree::opt_num(n, "rotation")?.unwrap_or(0.0);
    let wells: Vec<(u32, u32)> = match get(n, "selected_wells") {
        None => (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .collect(),
        Some(s) => selected_wells(s, rows, cols)?,
    };
    let (points, points_note) = match get(n, "well_points_plan") {
        None => (vec![(0.0, 0.0)], None),
        Some(w)
            if get(w, "rows").is_some()
                || get(w, "width").is_some()
                || get(w, "num_points").is_some() =>
        {
            match grid_plan(w, fov_um)? {
                Some(Grid::Relative(p, what)) => (p, Some(what)),
                _ => return Err(err(w, "well points from absolute edges").into()),
            }
        }
        Some(w) => {
            let x = tree::opt_num(w, "x")?.unwrap_or(0.0);
            let yv = tree::opt_num(w, "y")?.unwrap_or(0.0);
            (vec![(x, yv)], None)
        }
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
        let (ox, oy) = points[0];
        if points.len() == 1 {
            out.push(Position {
                name,
                x: base_x + ox,
                y: base_y + oy,
                z: None,
            });
        } else {
            out.push(Position {
                name,
                x: base_x,
                y: base_y,
                z: None,
            });
        }
    }
    let note = format!(
        "useq WellPlatePlan: {label}, A1 at ({}, {}) µm{}, {} wells; useq's rows run towards -y",
        y::num(a1x),
        y::num(a1y),
        if rot != 0.0 {
            format!(", rotated {}°", y::num(rot))
        } else {
            String::new()
        },
        wells.len()
    );
    let points = (points.len() > 1).then(|| (points, points_note.unwrap_or_default()));
    Ok((out, points, Some(note)))
}

/// rows, columns, spacing x and y (mm), label.
fn plate_geometry(n: &Node) -> Result<(u32, u32, f64, f64, String), Diagnostics> {
    const KNOWN: [(&str, u32, u32, f64); 7] = [
        ("6-well", 2, 3, 39.12),
        ("12-well", 3, 4, 26.0),
        ("24-well", 4, 6, 19.0),
        ("48-well", 6, 8, 13.0),
        ("96-well", 8, 12, 9.0),
        ("384-well", 16, 24, 4.5),
        ("1536-well", 32, 48, 2.25),
    ];
    if tree::is_map(n) {
        let rows = tree::whole(
            get(n, "rows").ok_or_else(|| err(n, "a plate without rows"))?,
            "rows",
        )?;
        let cols = tree::whole(
            get(n, "columns").ok_or_else(|| err(n, "a plate without columns"))?,
            "columns",
        )?;
        let sp = get(n, "well_spacing").ok_or_else(|| err(n, "a plate without well_spacing"))?;
        let (sx, sy) = match items(sp) {
            Some([a, b]) => (tree::num(a, "well_spacing")?, tree::num(b, "well_spacing")?),
            _ => {
                let v = tree::num(sp, "well_spacing")?;
                (v, v)
            }
        };
        let name = get(n, "name")
            .and_then(|v| v.scalar_text())
            .unwrap_or_else(|| format!("{rows}×{cols} plate"));
        return Ok((rows, cols, sx, sy, name));
    }
    let t = tree::text(n, "plate")?;
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
fn selected_wells(n: &Node, rows: u32, cols: u32) -> Result<Vec<(u32, u32)>, Diagnostics> {
    let check = |v: &Node, max: u32, what: &str| -> Result<u32, Diagnostic> {
        let i = tree::whole(v, what)?;
        if i < max {
            Ok(i)
        } else {
            Err(err(
                v,
                format!("{what} {i} is outside the plate (0 to {})", max - 1),
            ))
        }
    };
    match &n.value {
        Value::Seq(parts) if parts.len() == 2 && parts.iter().all(|p| items(p).is_some()) => {
            let (rs, cs) = (
                items(&parts[0]).unwrap_or(&[]),
                items(&parts[1]).unwrap_or(&[]),
            );
            if rs.len() != cs.len() {
                return Err(err(
                    n,
                    "selected_wells pairs rows with columns: both lists need the same length",
                )
                .into());
            }
            rs.iter()
                .zip(cs)
                .map(|(r, c)| Ok((check(r, rows, "row")?, check(c, cols, "column")?)))
                .collect::<Result<_, Diagnostic>>()
                .map_err(Diagnostics::from)
        }
        Value::Seq(rs) => {
            let mut out = Vec::new();
            for r in rs {
                let r = check(r, rows, "row")?;
                out.extend((0..cols).map(|c| (r, c)));
            }
            Ok(out)
        }
        Value::Int(_) => {
            let r = check(n, rows, "row")?;
            Ok((0..cols).map(|c| (r, c)).collect())
        }
        _ => Err(err(n, "selected_wells is [[rows…], [columns…]]")
            .help("as useq writes it: e.g. [[0, 0, 1], [0, 1, 0]] for A1, A2, B1")
            .into()),
    }
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
