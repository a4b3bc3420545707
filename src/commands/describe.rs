//! A plan in a few lines for people (validate, estimate, the run log).

use crate::human;
use crate::microscope::MicroscopeConfig;
use crate::plan::Plan;
use crate::protocol::LoadedProtocol;
use crate::protocol::schema::{AfEvery, AfMethod, Axis, PositionsSpec, WellOrder};
use crate::protocol::units::fmt_num;

pub fn axis_name(a: Axis) -> &'static str {
    match a {
        Axis::Time => "time",
        Axis::Well => "well",
        Axis::Fov => "fov",
        Axis::Z => "z",
        Axis::Channel => "channel",
    }
}

/// (label, text) rows describing what the plan will do.
pub fn plan_rows(
    lp: &LoadedProtocol,
    m: &MicroscopeConfig,
    plan: &Plan,
) -> Vec<(&'static str, String)> {
    let p = &lp.spec;
    let mut rows = Vec::new();
    rows.push((
        "microscope",
        if m.builtin {
            format!("{} (built-in simulated microscope)", m.desc.name)
        } else {
            format!(
                "{} ({}, {})",
                m.desc.name,
                m.source.name,
                m.desc.drivers_summary()
            )
        },
    ));
    let where_ = match (&plan.plate, &p.plate, &p.positions) {
        (Some(g), Some(spec), _) => format!(
            "{} of a {} plate ({}), {}",
            human::plural(plan.regions.len() as u64, "well", "wells"),
            g.label,
            spec.wells.0.join(", "),
            if spec.order == WellOrder::Serpentine {
                "serpentine"
            } else {
                "row-wise"
            }
        ),
        (_, _, Some(PositionsSpec::Csv(path))) => {
            format!(
                "{} from {path}",
                human::plural(plan.regions.len() as u64, "region", "regions")
            )
        }
        _ => human::plural(plan.regions.len() as u64, "position", "positions"),
    };
    rows.push(("where", where_));
    if let Some(placed) = &plan.placement {
        rows.push(("plate at", placed.describe()));
    }
    let per = if plan
        .regions
        .iter()
        .all(|r| r.fovs.len() == plan.max_fovs as usize)
    {
        format!("{} per region", plan.max_fovs)
    } else {
        format!("up to {} per region", plan.max_fovs)
    };
    let how = if let Some(g) = p.fov.grid {
        format!(
            "{}×{} grid, {} overlap, {:?}",
            g.rows, g.columns, p.fov.overlap, p.fov.order
        )
        .to_lowercase()
    } else if p.fov.fill.is_some() {
        format!("as many as fit, {} overlap", p.fov.overlap)
    } else if p.fov.offsets.is_some() {
        "explicit offsets".into()
    } else {
        "one at the centre".into()
    };
    rows.push((
        "fields",
        format!(
            "{per} ({how}); {} in all; FOV {:.3} × {:.3} mm",
            human::count(plan.total_fovs()),
            plan.frame.fov_mm.0,
            plan.frame.fov_mm.1
        ),
    ));
    rows.push((
        "z",
        if plan.z_offsets_um.len() == 1 {
            "one plane at the focus".into()
        } else {
            format!(
                "{} planes, {}um step, from {:?}",
                plan.z_offsets_um.len(),
                fmt_num(plan.z_step_um),
                p.z.from
            )
            .replace("Bottom", "bottom")
            .replace("Center", "center")
            .replace("Top", "top")
        },
    ));
    let chans: Vec<String> = plan
        .channels
        .iter()
        .map(|c| {
            let mut s = format!("{} {} {}%", c.name, c.exposure, fmt_num(c.intensity_pct));
            if c.every > 1 {
                s.push_str(&format!(" every {} time points", c.every));
            }
            if !c.stack {
                s.push_str(" single plane");
            }
            s
        })
        .collect();
    rows.push(("channels", chans.join(" · ")));
    rows.push((
        "time",
        if plan.time.count == 1 {
            "one time point".into()
        } else {
            format!(
                "{} time points every {} (overrun: {:?})",
                human::count(plan.time.count as u64),
                plan.time.interval,
                plan.time.overrun
            )
            .replace("RunLate", "run-late")
            .replace("Skip", "skip")
        },
    ));
    rows.push((
        "order",
        plan.order
            .iter()
            .map(|a| axis_name(*a))
            .collect::<Vec<_>>()
            .join(" → "),
    ));
    let af = &plan.autofocus;
    rows.push((
        "autofocus",
        match af.method {
            AfMethod::None => "none".into(),
            method => {
                let every = match af.every {
                    AfEvery::Fov => "every FOV".to_string(),
                    AfEvery::Well => "every well".to_string(),
                    AfEvery::Fovs(n) => format!("every {n} FOVs"),
                };
                let first = if af.first_timepoint_only {
                    ", first time point only"
                } else {
                    ""
                };
                match method {
                    AfMethod::Contrast => format!(
                        "contrast on {} {every}{first} ({}um range, {}um step)",
                        plan.channels
                            .get(af.channel)
                            .map_or("?", |c| c.name.as_str()),
                        fmt_num(af.range_um),
                        fmt_num(af.step_um)
                    ),
                    _ => format!("laser {every}{first} ({}um range)", fmt_num(af.range_um)),
                }
            }
        },
    ));
    if let Some(fm) = &plan.focus_map {
        let method = match fm.autofocus.method {
            AfMethod::Contrast => "contrast",
            _ => "laser",
        };
        rows.push((
            "focus map",
            format!(
                "{} at {} ({}), {method} autofocus, within {} um, {}",
                fm.surface.name(),
                human::count(fm.points.len() as u64),
                {
                    // Each well once (corners name it four times), the first dozen.
                    let mut names: Vec<&str> = fm.points.iter().map(|p| p.0.as_str()).collect();
                    names.dedup();
                    let more = names.len().saturating_sub(12);
                    names.truncate(12);
                    let mut t = names.join(" ");
                    if more > 0 {
                        t.push_str(&format!(" and {more} more wells"));
                    }
                    t
                },
                fmt_num(fm.max_residual_um),
                match fm.every {
                    0 => "measured once".to_string(),
                    1 => "measured every time point".to_string(),
                    n => format!("measured every {n} time points"),
                }
            ),
        ));
    }
    rows
}

pub fn print_rows(out: &mut dyn std::io::Write, rows: &[(&str, String)]) -> std::io::Result<()> {
    for (k, v) in rows {
        writeln!(out, "  {k:<11} {v}")?;
    }
    Ok(())
}
