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

/// What `--json` reports: the notes, the errors, and the files written.
#[derive(Default)]
struct Report {
    notes: Vec<String>,
    errors: Vec<serde_json::Value>,
    written: Vec<String>,
}

impl Report {
    fn fail(&mut self, message: String) {
        eprintln!("{message}");
        self.errors.push(serde_json::json!({ "message": message }));
    }

    fn diagnostics(&mut self, d: &Diagnostics) {
        eprint!("{}", d.render());
        self.errors.extend(d.0.iter().map(|e| e.to_json()));
    }
}

pub fn run(c: &ImportCommand) -> Exit {
    let (what, out) = match c {
        ImportCommand::SquidConfig(a) => ("squid-config", &a.out),
        ImportCommand::SquidAcquisition(a) => ("squid-acquisition", &a.out),
        ImportCommand::Useq(a) => ("useq", &a.out),
    };
    let mut report = Report::default();
    let exit = import(c, &mut report);
    if out.json {
        super::print_json(&serde_json::json!({
            "command": "import",
            "from": what,
            "exit_code": exit as i32,
            "written": report.written,
            "notes": report.notes,
            "errors": report.errors,
        }));
    }
    exit
}

fn import(c: &ImportCommand, report: &mut Report) -> Exit {
    match c {
        ImportCommand::SquidConfig(a) => {
            let opts = import::squid_config::Options {
                objective: a.objective.clone(),
                channels: a.channels.clone(),
            };
            let result = import::squid_config::import(&a.file, &opts);
            finish(result, &a.out, None, report)
        }
        ImportCommand::SquidAcquisition(a) => {
            let Some(m) = microscope(a.microscope.as_deref(), report) else {
                return Exit::Invalid;
            };
            let result = import::squid_acquisition::import(&a.dir, &m);
            finish(result, &a.out, Some(&m), report)
        }
        ImportCommand::Useq(a) => {
            let Some(m) = microscope(a.microscope.as_deref(), report) else {
                return Exit::Invalid;
            };
            let result = import::useq::import(&a.file, &a.intensity, &m);
            finish(result, &a.out, Some(&m), report)
        }
    }
}

fn microscope(path: Option<&Path>, report: &mut Report) -> Option<MicroscopeConfig> {
    match crate::hardware::load(path) {
        Ok(m) => Some(m),
        Err(d) => {
            report.diagnostics(&d);
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
    report: &mut Report,
) -> Exit {
    let imported = match result {
        Ok(i) => i,
        Err(d) => {
            report.diagnostics(&d);
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
    report.notes.clone_from(&imported.notes);
    if let Err(d) = checked {
        report.diagnostics(&d);
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
        // The text is the result: a full disk behind a redirect must not pass for success.
        return match std::io::stdout().lock().write_all(imported.text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                report.fail(format!("error: cannot write to standard output: {e}"));
                Exit::OutputError
            }
            _ => Exit::Completed,
        };
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
        report.fail(format!(
            "error: {} exists\nhelp: choose another -o, or add --force to replace it",
            p.display()
        ));
        return Exit::Invalid;
    }
    for (dest, from) in planned.iter().rev() {
        let bytes = match from {
            Some(src) => match std::fs::read(src) {
                Ok(b) => b,
                Err(e) => {
                    report.fail(format!("error: cannot read {}: {e}", src.display()));
                    return Exit::Invalid;
                }
            },
            None => text.clone().into_bytes(),
        };
        if let Err(e) = crate::fsutil::write_durable(dest, &bytes) {
            report.fail(format!("error: cannot write {}: {e}", dest.display()));
            return Exit::OutputError;
        }
        report.written.push(dest.display().to_string());
    }
    let next = match microscope {
        None => format!(
            "use it with `--microscope {0}`; `squidctl devices --microscope {0}` connects and checks each device",
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
