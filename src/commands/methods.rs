//! `squidctl methods add|list|show|rm` and `squidctl preflight`: the stored methods of a
//! microscope's queue, and the check a scheduler runs before fetching a plate.

use serde_json::json;

use super::print_json;
use super::queue::spool_fail;
use crate::cli::{MethodAddArgs, MethodNameArgs, MethodsCommand, PreflightArgs, QueueTarget};
use crate::exit::Exit;
use crate::fault::Fault;
use crate::microscope::MicroscopeConfig;
use crate::queue::methods::{self, Source};
use crate::queue::spool::Spool;

pub fn run(c: &MethodsCommand) -> Exit {
    match c {
        MethodsCommand::Add(a) => add(a),
        MethodsCommand::List(t) => list(t),
        MethodsCommand::Show(a) => show(a),
        MethodsCommand::Rm(a) => rm(a),
    }
}

/// The microscope and its queue.
fn open(t: &QueueTarget) -> Result<(MicroscopeConfig, Spool), Exit> {
    let m = crate::hardware::load(t.microscope.as_deref())
        .map_err(|d| super::invalid_microscope(&d))?;
    let s = Spool::open(&m.desc.name).map_err(spool_fail)?;
    Ok((m, s))
}

/// Say a fault and give the exit its category means.
fn fail(f: &Fault) -> Exit {
    super::fault_exit(f, f.exit())
}

fn read_source(file: &std::path::Path) -> Result<Source, Fault> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Fault::new(
            crate::fault::Code::BadValue,
            format!("cannot read {}: {e}", file.display()),
        )
        .component("method")
    })?;
    let base = std::path::absolute(file)
        .ok()
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_default();
    Ok(Source::from_text(text, base))
}

fn add(a: &MethodAddArgs) -> Exit {
    let (m, spool) = match open(&a.target) {
        Ok(x) => x,
        Err(e) => return e,
    };
    // --force replaces a method that exists, and creates one that does not.
    let replace = a.force && methods::read(&spool, &a.name).is_ok();
    let stored =
        read_source(&a.file).and_then(|src| methods::store(&spool, &m, &a.name, src, replace));
    match stored {
        Ok(method) => {
            for n in &method.notes {
                eprintln!("note: {n}");
            }
            if a.target.json {
                print_json(&json!({"method": method}));
            } else {
                println!(
                    "method `{}` stored ({} form): {} frames, {}, about {}",
                    method.name,
                    method.form,
                    method.frames,
                    crate::human::bytes(method.bytes),
                    crate::human::duration(method.estimated_duration_s)
                );
            }
            Exit::Completed
        }
        Err(f) => fail(&f),
    }
}

fn list(t: &QueueTarget) -> Exit {
    let (_, spool) = match open(t) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let all = methods::list(&spool);
    if t.json {
        print_json(&json!({"microscope": spool.microscope, "methods": all}));
        return Exit::Completed;
    }
    if all.is_empty() {
        eprintln!(
            "no methods on {}: `squidctl methods add NAME FILE` stores one",
            spool.microscope
        );
    }
    for m in &all {
        println!(
            "{:<24} {:<8} {:>8} frames {:>10}  about {:<10} {}",
            m.name,
            m.form,
            m.frames,
            crate::human::bytes(m.bytes),
            crate::human::duration(m.estimated_duration_s),
            m.channels.join(", ")
        );
    }
    Exit::Completed
}

fn show(a: &MethodNameArgs) -> Exit {
    let (_, spool) = match open(&a.target) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (m, text) = match methods::read(&spool, &a.name)
        .and_then(|m| methods::protocol_text(&spool, &a.name).map(|t| (m, t)))
    {
        Ok(x) => x,
        Err(f) => return fail(&f),
    };
    if a.target.json {
        print_json(&json!({"method": m, "protocol": text}));
    } else {
        print!("{text}");
    }
    Exit::Completed
}

fn rm(a: &MethodNameArgs) -> Exit {
    let (_, spool) = match open(&a.target) {
        Ok(x) => x,
        Err(e) => return e,
    };
    match methods::remove(&spool, &a.name) {
        Ok(()) => {
            if a.target.json {
                print_json(&json!({"removed": a.name}));
            } else {
                eprintln!("method `{}` removed", a.name);
            }
            Exit::Completed
        }
        Err(f) => fail(&f),
    }
}

/// `squidctl preflight FILE|--method NAME`: exit 0 ready, 1 with a blocker, 2 invalid.
pub fn preflight(a: &PreflightArgs) -> Exit {
    let (m, spool) = match open(&a.target) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let loaded = match (&a.method, &a.file) {
        (Some(name), _) => methods::loaded(&spool, name, &m, &a.sets),
        (None, Some(file)) => read_source(file).and_then(|src| {
            let name = file
                .file_stem()
                .map_or("protocol".into(), |s| s.to_string_lossy().to_string());
            match src {
                Source::Protocol { .. } => {
                    let p =
                        crate::protocol::LoadedProtocol::load(&file.display().to_string(), &a.sets)
                            .map_err(|d| {
                                d.fault(crate::fault::Code::InvalidProtocol, "protocol")
                            })?;
                    crate::session::Loaded::new(p, m.clone())
                        .map_err(|d| d.fault(crate::fault::Code::InvalidProtocol, "protocol"))
                }
                squid => methods::load_source(&name, &squid, &m, &a.sets).map(|(l, _)| l),
            }
        }),
        (None, None) => unreachable_input(),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let report =
        crate::queue::preflight::report(&spool, loaded.as_ref(), a.holder.as_deref(), &cwd);
    if a.target.json {
        print_json(&report);
    } else {
        print!("{}", describe(&report));
    }
    match (&loaded, report["ready"].as_bool()) {
        (Err(f), _) => {
            crate::fault::remember(f);
            Exit::Invalid
        }
        (Ok(_), Some(true)) => Exit::Completed,
        _ => Exit::Failed,
    }
}

/// clap requires FILE or --method; this is what it would have said.
fn unreachable_input() -> Result<crate::session::Loaded, Fault> {
    Err(Fault::new(
        crate::fault::Code::BadValue,
        "give a protocol FILE or --method NAME",
    ))
}

fn describe(r: &serde_json::Value) -> String {
    let mut out = format!(
        "{}: {}\n",
        r["microscope"].as_str().unwrap_or("?"),
        if r["ready"] == true {
            "ready"
        } else {
            "NOT ready"
        }
    );
    if let Some(e) = r["estimate"].as_object() {
        out.push_str(&format!(
            "  estimate   {} frames, {}, about {}\n",
            e.get("frames").and_then(|v| v.as_u64()).unwrap_or(0),
            crate::human::bytes(e.get("bytes").and_then(|v| v.as_u64()).unwrap_or(0)),
            crate::human::duration(e.get("duration_s").and_then(|v| v.as_f64()).unwrap_or(0.0))
        ));
    }
    for c in r["checks"].as_array().into_iter().flatten() {
        let mark = if c["ok"] == false {
            "FAIL"
        } else if c["warning"] == true {
            "wait"
        } else {
            "ok"
        };
        let why = c["fault"]["message"]
            .as_str()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {:<15} {mark}{why}\n",
            c["name"].as_str().unwrap_or("?")
        ));
    }
    out
}
