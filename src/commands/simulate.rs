//! `squidctl simulate FILE`: the dry run on the simulated microscope in accelerated time;
//! with `--estimate`, what a protocol will cost without running it.

use std::io::Write;
use std::path::PathBuf;

use super::{Loaded, describe, print_json};
use crate::cli::SimulateArgs;
use crate::exit::Exit;
use crate::plan::estimate::Estimate;
use crate::{fsutil, human};

pub fn run(args: &SimulateArgs) -> Exit {
    let l = match super::load(&args.file, &args.input) {
        Ok(l) => l,
        Err(d) => return super::invalid(&d),
    };
    if args.estimate {
        return estimate(args, &l);
    }
    super::run::execute(super::run::RunRequest {
        command: "simulate",
        loaded: &l,
        target: args
            .write
            .clone()
            .map_or(super::run::Target::Discard, super::run::Target::New),
        lock: None,
        time_scale: Some(args.time_scale),
        force: args.force,
        json: args.json,
        savers: args.savers.clone(),
        progress: args.progress.clone(),
        queue_task: None,
    })
}

fn estimate(args: &SimulateArgs, l: &Loaded) -> Exit {
    let est = l.plan.estimate(
        &crate::hardware::timing(&l.microscope),
        crate::saver::layout::footprint(&l.plan),
    );
    let out_dir = match super::run::output_parent(l, args.output.as_ref(), args.json, "simulate") {
        Ok(p) => p,
        Err(exit) => return exit,
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
        ("files", {
            let images = crate::saver::layout::planned_files(&l.plan);
            let format = l.plan.output.format.label();
            if e.files > images {
                format!(
                    "{} ({format}: {} with images, {} of metadata)",
                    human::count(e.files),
                    human::count(images),
                    human::count(e.files - images)
                )
            } else {
                format!("{} ({format})", human::count(e.files))
            }
        }),
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
                    "{}stage xy {} · z {} · exposure {} · readout {} · switching {} · autofocus {}",
                    if b.startup_s > 0.0 {
                        format!("connect and homing {} · ", human::duration(b.startup_s))
                    } else {
                        String::new()
                    },
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
    for line in super::timeline::lines(&e.rounds, e.rounds_total, l.plan.time.interval.secs()) {
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
