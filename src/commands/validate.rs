//! `squidctl validate FILE...`: batch-check protocols; exit 0 only when all are valid.

use std::io::Write;

use super::{describe, print_json};
use crate::cli::ValidateArgs;
use crate::exit::Exit;
use crate::human;

pub fn run(args: &ValidateArgs) -> Exit {
    let mut results = Vec::new();
    let mut all_ok = true;
    let mut err = std::io::stderr().lock();
    for file in &args.files {
        match super::load(file, &args.input) {
            Ok(l) => {
                let frames = l.plan.total_frames();
                // The estimate's figure (the format's headers included), so both say the same.
                let bytes = crate::saver::layout::footprint(&l.plan).bytes;
                let _ = writeln!(
                    err,
                    "ok  {file}: {} {}, {} frames, {} before compression",
                    l.plan.name,
                    human::plural(l.plan.total_fovs(), "FOV", "FOVs"),
                    human::count(frames),
                    human::bytes(bytes)
                );
                let warnings = warnings(&l);
                for w in &warnings {
                    let _ = writeln!(err, "warning: {file}: {w}");
                }
                if !args.json && args.files.len() == 1 {
                    let _ = describe::print_rows(
                        &mut err,
                        &describe::plan_rows(&l.protocol, &l.microscope, &l.plan),
                    );
                }
                results.push(serde_json::json!({
                    "file": file,
                    "valid": true,
                    "name": l.plan.name,
                    "regions": l.plan.regions.len(),
                    "fovs": l.plan.total_fovs(),
                    "frames": frames,
                    "bytes": bytes,
                    "errors": [],
                    "warnings": warnings,
                }));
            }
            Err(d) => {
                all_ok = false;
                let _ = writeln!(err, "FAIL {file}");
                let _ = write!(err, "{}", d.render());
                results.push(serde_json::json!({
                    "file": file,
                    "valid": false,
                    "errors": d.0.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
                }));
            }
        }
    }
    let invalid = results.iter().filter(|r| r["valid"] == false).count();
    if args.files.len() > 1 {
        let _ = writeln!(
            err,
            "{} of {} protocols valid",
            args.files.len() - invalid,
            args.files.len()
        );
    }
    if args.json {
        print_json(&serde_json::json!({
            "command": "validate",
            "valid": all_ok,
            "files": results,
        }));
    }
    if all_ok {
        Exit::Completed
    } else {
        Exit::Invalid
    }
}

/// What is valid but likely wrong on this microscope.
fn warnings(l: &super::Loaded) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(g), Some(p)) = (&l.plan.plate, &l.plan.placement)
        && p.source == crate::plan::PlacementSource::Nominal
        && !l.microscope.builtin
    {
        out.push(format!(
            "the {} plate has no calibration on {}: its wells are placed where the holder should put them; run `squidctl calibrate-plate --protocol {}` (or give `plate.a1_position`)",
            g.label,
            l.microscope.desc.name,
            l.protocol.source.name,
        ));
    }
    out
}
