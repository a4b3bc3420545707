//! `squidctl import useq`: a protocol from a useq-schema `MDASequence` (the acquisition
//! format of pymmcore-plus), YAML or JSON. The protocol visits the same stage positions, in
//! the same order, with the same channels, planes and time points as useq's own iteration;
//! whatever squidctl cannot reproduce exactly is refused by name instead of approximated.
//!
//! useq counts in µm, ms and s; positions and grids are written out explicitly in stage µm,
//! because useq's plates count y upwards (row B below A in stage y) and its grids are laid out
//! around the position from their own FOV size, neither of which squidctl's plate geometry
//! assumes. Reading (`model`, typed through the located tree), mapping (`map`) and writing
//! (`write`) are apart.

mod grid;
mod map;
mod model;
mod plate;
mod stack;
mod time;
mod write;

use std::path::Path;

use super::Imported;
use super::tree::{self, err};
use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;

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
    // What cannot be typed is reported with what the rest gets wrong: every problem at once.
    let (typed, mut errors) = crate::yaml::type_tree_partly::<model::Sequence>(&root);
    let fov_um = {
        let (w, h) = m.fov_mm();
        (w * 1000.0, h * 1000.0)
    };
    let complete = errors.is_empty();
    let mapped = typed.map(|(mut seq, rest)| {
        for d in &errors.0 {
            let top = d.path.as_deref().unwrap_or_default();
            seq.forget(top.split(['.', '[']).next().unwrap_or_default());
        }
        map::acquisition(seq, &rest, intensity, fov_um, complete)
    });
    let a = match mapped {
        Some(Ok(a)) if errors.is_empty() => a,
        Some(Err(e)) => {
            errors.extend(e);
            return Err(errors);
        }
        _ => return Err(errors),
    };
    let mut notes = Vec::new();
    if a.positions.iter().any(|p| p.z.is_none()) {
        notes.push(
            "positions without z are imaged at the microscope's focus_z (useq: wherever z is)"
                .into(),
        );
    }
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into(),
    );
    let stem = path
        .file_stem()
        .map_or_else(|| "useq".into(), |f| f.to_string_lossy().to_string());
    Ok(Imported {
        text: write::protocol(&a, &file, &stem),
        notes,
        companions: Vec::new(),
    })
}
