//! `squidctl plan FILE`: stream the events, first line at once, however large the plan.

use std::io::{self, BufWriter, Write};

use crate::cli::{PlanArgs, PlanFormat};
use crate::exit::Exit;
use crate::plan::{Event, Plan};

pub fn run(args: &PlanArgs) -> Exit {
    let l = match super::load(&args.file, &args.input) {
        Ok(l) => l,
        Err(d) => return super::invalid(&d),
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match write_events(&mut out, &l.plan, args.format, args.limit) {
        Ok(()) => Exit::Completed,
        // `squidctl plan … | head` closes the pipe early: that is a normal way to stop.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Completed,
        Err(e) => {
            eprintln!("error: cannot write the plan: {e}");
            Exit::OutputError
        }
    }
}

pub fn write_events(
    out: &mut dyn Write,
    plan: &Plan,
    format: PlanFormat,
    limit: Option<u64>,
) -> io::Result<()> {
    let rw = plan
        .regions
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let cw = plan
        .channels
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(7)
        .max(7);
    match format {
        PlanFormat::Table => writeln!(
            out,
            "{:>10} {:>5} {:<rw$} {:>4} {:>4} {:<cw$} {:>9} {:>9} {:>8} {:>8} {:>6} {:>3}",
            "index",
            "t",
            "region",
            "fov",
            "z",
            "channel",
            "x_mm",
            "y_mm",
            "z_mm",
            "exp_ms",
            "int%",
            "af"
        )?,
        PlanFormat::Csv => writeln!(
            out,
            "index,t,region,fov,z,channel,x_mm,y_mm,z_mm,z_offset_um,exposure_ms,intensity_pct,autofocus,scheduled_s"
        )?,
        PlanFormat::Jsonl => {}
    }
    let mut first = true;
    for e in plan
        .events()
        .take(limit.unwrap_or(u64::MAX).min(usize::MAX as u64) as usize)
    {
        write_event(out, plan, &e, format, rw, cw)?;
        if first {
            // Show something at once even when the rest takes a while.
            out.flush()?;
            first = false;
        }
    }
    out.flush()
}

fn write_event(
    out: &mut dyn Write,
    plan: &Plan,
    e: &Event,
    format: PlanFormat,
    rw: usize,
    cw: usize,
) -> io::Result<()> {
    let region = &plan.regions[e.region as usize].name;
    let ch = &plan.channels[e.channel as usize];
    let exp_ms = ch.exposure.secs() * 1000.0;
    match format {
        PlanFormat::Table => writeln!(
            out,
            "{:>10} {:>5} {:<rw$} {:>4} {:>4} {:<cw$} {:>9.3} {:>9.3} {:>8.4} {:>8.2} {:>6.1} {:>3}",
            e.seq,
            e.t,
            region,
            e.fov,
            e.z,
            ch.name,
            e.x_mm,
            e.y_mm,
            e.z_mm,
            exp_ms,
            ch.intensity_pct,
            if e.autofocus { "AF" } else { "" }
        ),
        PlanFormat::Csv => writeln!(
            out,
            "{},{},{},{},{},{},{:.4},{:.4},{:.5},{:.3},{},{},{},{}",
            e.seq,
            e.t,
            csv_field(region),
            e.fov,
            e.z,
            csv_field(&ch.name),
            e.x_mm,
            e.y_mm,
            e.z_mm,
            e.z_offset_um,
            exp_ms,
            ch.intensity_pct,
            u8::from(e.autofocus),
            plan.scheduled_s(e.t)
        ),
        PlanFormat::Jsonl => {
            let v = serde_json::json!({
                "index": e.seq,
                "t": e.t,
                "region": region,
                "fov": e.fov,
                "z": e.z,
                "channel": ch.name,
                "x_mm": e.x_mm,
                "y_mm": e.y_mm,
                "z_mm": e.z_mm,
                "z_offset_um": e.z_offset_um,
                "exposure_ms": exp_ms,
                "intensity_pct": ch.intensity_pct,
                "autofocus": e.autofocus,
                "round_start": e.round_start,
                "scheduled_s": plan.scheduled_s(e.t),
            });
            writeln!(out, "{v}")
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
