//! useq's z plans as squidctl's stacks: evenly spaced planes going up from the focus, down
//! from it, or up around it — anything else refused by name.

use super::map::ZStack;
use super::model::ZPlan;
use crate::diagnostic::Diagnostics;
use crate::import::tree::err;
use crate::import::yaml_out::num as fmt;
use crate::yaml::Node;

/// A z plan as (count, step, reference) when squidctl's stacks can express it exactly.
pub fn z_plan(z: &ZPlan, n: &Node) -> Result<Option<ZStack>, Diagnostics> {
    let go_up = z.go_up.unwrap_or(true);
    let unsupported = |what: &str, help: &str| -> Diagnostics {
        err(n, format!("{what} has no equivalent in squidctl"))
            .help(help.to_string())
            .into()
    };
    // (first offset, count, step) going up, then checked against the three references.
    let (start, count, step_um, what) = if let (Some(range), Some(step)) = (z.range, z.step) {
        let (count, step) = even_steps(n, range, step)?;
        (
            -range / 2.0,
            count,
            step,
            format!(
                "useq ZRangeAround range {} µm, step {} µm",
                fmt(range),
                fmt(step)
            ),
        )
    } else if let (Some(above), Some(below), Some(step)) = (z.above, z.below, z.step) {
        let (above, below) = (above.abs(), below.abs());
        let (count, step) = even_steps(n, above + below, step)?;
        (
            -below,
            count,
            step,
            format!(
                "useq ZAboveBelow above {} µm, below {} µm, step {} µm",
                fmt(above),
                fmt(below),
                fmt(step)
            ),
        )
    } else if z.top.is_some() || z.bottom.is_some() || z.absolute.is_some() {
        return Err(unsupported(
            "a z plan in absolute positions (ZTopBottom, ZAbsolutePositions)",
            "squidctl's stacks follow each position's focus; use ZRangeAround or ZAboveBelow",
        ));
    } else if let Some(vals) = &z.relative {
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
                    fmt(start),
                    fmt(end),
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
                fmt(span),
                fmt(step)
            ),
        )
        .help("useq then stops short of the top; make the range a multiple of the step")
        .into());
    }
    Ok((k.round() as u32 + 1, step))
}
