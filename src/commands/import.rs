//! `squidctl import …`: run an importer, check its text as `validate` would, then write it.
//! Nothing is written unless the result is valid, so an import never leaves a file that
//! fails later at the microscope.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{ImportCommand, ImportOutput};
use crate::diagnostic::{Diagnostics, SourceFile};
use crate::exit::Exit;
use crate::import::{self, Imported, yaml_out};
use crate::microscope::MicroscopeConfig;
use crate::protocol::LoadedProtocol;

pub fn run(c: &ImportCommand) -> Exit {
    match c {
        ImportCommand::SquidConfig(a) => {
            let opts = import::squid_config::Options {
                objective: a.objective.clone(),
            };
            let result = import::squid_config::import(&a.file, &opts);
            finish(result, &a.out, None)
        }
        ImportCommand::SquidAcquisition(a) => {
            let Some(m) = microscope(a.microscope.as_deref()) else {
                return Exit::Invalid;
            };
            let result = import::squid_acquisition::import(&a.dir, &m);
            finish(result, &a.out, Some(&m))
        }
        ImportCommand::Useq(a) => {
            let Some(m) = microscope(a.microscope.as_deref()) else {
                return Exit::Invalid;
            };
            let result = import::useq::import(&a.file, &a.intensity, &m);
            finish(result, &a.out, Some(&m))
        }
    }
}

fn microscope(path: Option<&Path>) -> Option<MicroscopeConfig> {
    match crate::hardware::load(path) {
        Ok(m) => Some(m),
        Err(d) => {
            eprint!("{}", d.render());
            None
        }
    }
}

/// Check the text (a protocol against `microscope`, else a microscope description), then
/// write it and any companion files.
fn finish(
    result: Result<Imported, Diagnostics>,
    out: &ImportOutput,
    microscope: Option<&MicroscopeConfig>,
) -> Exit {
    let imported = match result {
        Ok(i) => i,
        Err(d) => {
            eprint!("{}", d.render());
            eprintln!("error: nothing was written");
            return Exit::Invalid;
        }
    };
    let shown = out
        .output
        .as_ref()
        .map_or_else(|| "<imported>".to_string(), |p| p.display().to_string());
    let checked = match microscope {
        None => crate::hardware::assemble::from_source(SourceFile::new(
            shown.clone(),
            imported.text.clone(),
        ))
        .map(|_| ()),
        Some(m) => LoadedProtocol::from_source(
            SourceFile::new(shown.clone(), imported.text.clone()),
            std::env::current_dir().unwrap_or_default(),
            &[],
        )
        .and_then(|p| crate::session::Loaded::new(p, m.clone()).map(|_| ())),
    };
    for n in &imported.notes {
        eprintln!("note: {n}");
    }
    if let Err(d) = checked {
        eprint!("{}", d.render());
        eprintln!(
            "error: the imported {} does not validate; nothing was written",
            if microscope.is_some() {
                "protocol"
            } else {
                "microscope description"
            }
        );
        if microscope.is_some_and(|m| m.builtin) {
            eprintln!(
                "help: it was checked against the built-in simulated microscope; give the rig's own with --microscope (e.g. from `squidctl import squid-config`)"
            );
        }
        return Exit::Invalid;
    }
    let Some(path) = &out.output else {
        let _ = std::io::stdout().lock().write_all(imported.text.as_bytes());
        return Exit::Completed;
    };
    let mut text = imported.text.clone();
    let mut planned: Vec<(PathBuf, Option<&Path>)> = vec![(path.clone(), None)];
    for c in &imported.companions {
        let stem = path
            .file_stem()
            .map_or_else(|| "imported".into(), |s| s.to_string_lossy().to_string());
        let name = format!("{stem}{}", c.copy_suffix);
        let from = yaml_out::text(&c.original.display().to_string());
        text = text.replace(&from, &yaml_out::text(&name));
        let dest = path.parent().unwrap_or(Path::new("")).join(&name);
        planned.push((dest, Some(&c.original)));
    }
    if !out.force
        && let Some((p, _)) = planned.iter().find(|(p, _)| p.exists())
    {
        eprintln!(
            "error: {} exists\nhelp: choose another -o, or add --force to replace it",
            p.display()
        );
        return Exit::Invalid;
    }
    for (dest, from) in planned.iter().rev() {
        let bytes = match from {
            Some(src) => match std::fs::read(src) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", src.display());
                    return Exit::Invalid;
                }
            },
            None => text.clone().into_bytes(),
        };
        if let Err(e) = crate::fsutil::write_durable(dest, &bytes) {
            eprintln!("error: cannot write {}: {e}", dest.display());
            return Exit::OutputError;
        }
    }
    let next = match microscope {
        None => format!(
            "check it with `squidctl devices --microscope {}`",
            path.display()
        ),
        Some(m) if m.builtin => format!("check it with `squidctl validate {}`", path.display()),
        Some(m) => format!(
            "check it with `squidctl validate {} --microscope {}`",
            path.display(),
            m.source.name
        ),
    };
    eprintln!("wrote {}: {next}", path.display());
    Exit::Completed
}
