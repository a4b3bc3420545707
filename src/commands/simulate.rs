//! `squidctl simulate FILE --estimate`: what a protocol will cost before running it.

use std::io::Write;
use std::path::PathBuf;

use super::{Loaded, describe, print_json};
use crate::cli::SimulateArgs;
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::plan::estimate::{Estimate, RoundEstimate};
use crate::protocol::template;
use crate::{fsutil, human};

pub fn run(args: &SimulateArgs) -> Exit {
    let l = match super::load(&args.file, &args.input) {
        Ok(l) => l,
        Err(d) => return super::invalid(&d),
    };
    if args.estimate {
        return estimate(args, &l);
    }
    eprintln!(
        "error: the supervised runner is not available in this build yet; use `squidctl simulate --estimate`"
    );
    Exit::Failed
}

/// The parent directory runs of this protocol go to.
pub fn output_parent(l: &Loaded, cli: Option<&PathBuf>) -> Result<PathBuf, String> {
    if let Some(p) = cli {
        return Ok(p.clone());
    }
    let vars = l.plan.template_vars(&WallTime::now());
    template::render(&l.plan.output.directory, &vars).map(PathBuf::from)
}

fn estimate(args: &SimulateArgs, l: &Loaded) -> Exit {
    let est = l.plan.estimate(&l.microscope.timing());
    let out_dir = match output_parent(l, args.output.as_ref()) {
        Ok(p) => p,
        Err(m) => {
            eprintln!(
                "error: output.directory: {}",
                m.replace("\nhelp: ", "\n  = help: ")
            );
            return Exit::Invalid;
        }
    };
    let free = fsutil::free_space(&out_dir);
    let enough = free.as_ref().map(|(b, _)| *b >= est.bytes);
    let mut text = Vec::new();
    let _ = write_report(
        &mut text,
        l,
        &est,
        &out_dir,
        free.as_ref().map(|(b, p)| (*b, p)),
    );
    if args.json {
        let _ = std::io::stderr().write_all(&text);
        print_json(&serde_json::json!({
            "command": "simulate",
            "mode": "estimate",
            "protocol": l.protocol.source.name,
            "name": l.plan.name,
            "microscope": l.microscope.desc.name,
            "estimate": est,
            "output_directory": out_dir,
            "free_bytes": free.as_ref().map(|(b, _)| *b),
            "enough_space": enough,
        }));
    } else {
        let _ = std::io::stdout().write_all(&text);
    }
    Exit::Completed
}

fn write_report(
    out: &mut dyn Write,
    l: &Loaded,
    e: &Estimate,
    out_dir: &std::path::Path,
    free: Option<(u64, &PathBuf)>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "estimate for `{}` ({})",
        l.plan.name, l.protocol.source.name
    )?;
    describe::print_rows(
        out,
        &describe::plan_rows(&l.protocol, &l.microscope, &l.plan),
    )?;
    writeln!(out)?;
    let mut rows: Vec<(&str, String)> = vec![
        (
            "frames",
            format!(
                "{} ({} per frame, {}×{} px)",
                human::count(e.frames),
                human::bytes(e.bytes_per_frame),
                l.plan.frame.width,
                l.plan.frame.height
            ),
        ),
        (
            "files",
            format!("{} ({:?})", human::count(e.files), l.plan.output.format)
                .replace("OmeTiff", "OME-TIFF")
                .replace("(Tiff)", "(TIFF)"),
        ),
        (
            "data",
            format!("≈ {} before compression", human::bytes(e.bytes)),
        ),
    ];
    rows.push((
        "free space",
        match free {
            Some((b, at)) if b >= e.bytes => format!(
                "{} on {} (output: {})",
                human::bytes(b),
                at.display(),
                out_dir.display()
            ),
            Some((b, at)) => format!(
                "{} on {} — NOT ENOUGH: the run needs ≈ {} (output: {})",
                human::bytes(b),
                at.display(),
                human::bytes(e.bytes),
                out_dir.display()
            ),
            None => format!("unknown (cannot inspect {})", out_dir.display()),
        },
    ));
    if e.autofocus_runs > 0 {
        rows.push((
            "autofocus",
            format!("{} runs", human::count(e.autofocus_runs)),
        ));
    }
    describe::print_rows(out, &rows)?;
    writeln!(out)?;
    let b = &e.breakdown;
    let busy = e.duration_s - b.waiting_s;
    describe::print_rows(
        out,
        &[
            (
                "total",
                format!(
                    "{} ({} busy, {} waiting between time points)",
                    human::duration(e.duration_s),
                    human::duration(busy),
                    human::duration(b.waiting_s)
                ),
            ),
            (
                "busy time",
                format!(
                    "stage xy {} · z {} · exposure {} · readout {} · switching {} · autofocus {}",
                    human::duration(b.stage_xy_s),
                    human::duration(b.stage_z_s),
                    human::duration(b.exposure_s),
                    human::duration(b.readout_s),
                    human::duration(b.switching_s),
                    human::duration(b.autofocus_s)
                ),
            ),
        ],
    )?;
    writeln!(out, "  rounds")?;
    for line in round_lines(e, l.plan.time.interval.secs()) {
        writeln!(out, "    {line}")?;
    }
    let overruns = if e.overruns == 0 {
        "none".to_string()
    } else {
        format!(
            "{} of {} rounds take longer than the interval ({}); latest start {} late{}",
            human::count(e.overruns),
            human::count(e.rounds_total),
            l.plan.time.interval,
            human::duration(e.max_late_s),
            if e.skipped > 0 {
                format!(
                    "; {} time points skipped ({} of {} frames taken)",
                    human::count(e.skipped),
                    human::count(e.frames_acquired),
                    human::count(e.frames)
                )
            } else {
                String::new()
            }
        )
    };
    describe::print_rows(out, &[("overruns", overruns)])
}

/// Rounds folded into classes that take the same time, in order of first appearance.
fn round_lines(e: &Estimate, interval: f64) -> Vec<String> {
    struct Class {
        key: String,
        ts: Vec<u32>,
        late_max: f64,
        first_start: f64,
    }
    let key = |r: &RoundEstimate| -> String {
        if r.skipped {
            "skipped: its start had passed".to_string()
        } else {
            let mut s = format!("takes {}", human::duration(r.end_s - r.start_s));
            if r.overran {
                s.push_str(&format!(
                    ", OVERRUNS the {} interval",
                    human::duration(interval)
                ));
            }
            s
        }
    };
    let mut classes: Vec<Class> = Vec::new();
    for r in &e.rounds {
        let k = key(r);
        match classes.iter_mut().find(|c| c.key == k) {
            Some(c) => {
                c.ts.push(r.t);
                c.late_max = c.late_max.max(r.late_s);
            }
            None => classes.push(Class {
                key: k,
                ts: vec![r.t],
                late_max: r.late_s,
                first_start: r.start_s,
            }),
        }
    }
    let sweeps = e.rounds.iter().map(|r| r.sweep).max().unwrap_or(0) + 1;
    let mut lines: Vec<String> = classes
        .iter()
        .take(30)
        .map(|c| {
            let n = c.ts.len() as u64;
            let label = if n == 1 {
                format!("t={}", c.ts[0])
            } else {
                format!("t={} ({} rounds)", compress(&c.ts), human::count(n))
            };
            let late = if c.late_max > 1e-6 {
                format!(", starting up to {} late", human::duration(c.late_max))
            } else {
                String::new()
            };
            let at = if n == 1 {
                format!(" at {}", human::duration(c.first_start))
            } else {
                String::new()
            };
            format!("{label}{at}: {}{late}", c.key)
        })
        .collect();
    if sweeps > 1 {
        lines.push(format!(
            "({} time-lapse sweeps: time is not the outermost loop)",
            human::count(sweeps)
        ));
    }
    if e.rounds_total > e.rounds.len() as u64 {
        lines.push(format!(
            "(first {} of {} rounds shown)",
            human::count(e.rounds.len() as u64),
            human::count(e.rounds_total)
        ));
    }
    lines
}

/// `0–24`, `0,2,…,24`, or the first few then `…`.
fn compress(ts: &[u32]) -> String {
    let mut v = ts.to_vec();
    v.sort_unstable();
    v.dedup();
    if v.len() >= 3 {
        let step = v[1] - v[0];
        if v.windows(2).all(|w| w[1] - w[0] == step) {
            let (a, b) = (v[0], v[v.len() - 1]);
            return if step == 1 {
                format!("{a}–{b}")
            } else {
                format!("{a},{},…,{b}", a + step)
            };
        }
    }
    let shown: Vec<String> = v.iter().take(6).map(u32::to_string).collect();
    if v.len() > 6 {
        format!("{},…", shown.join(","))
    } else {
        shown.join(",")
    }
}
