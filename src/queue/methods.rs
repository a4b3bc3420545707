//! Methods: named protocols stored with a microscope's queue, so a scheduler (or a person)
//! submits "daily_scan" instead of shipping a file. Each is checked against the microscope
//! when stored — a method that does not fit the microscope is never stored — and keeps its
//! estimate (duration, frames, bytes). A method may come in squidctl's YAML or as Squid's
//! acquisition configuration (converted by `import::squid_method`, the original kept).
//!
//! On disk: `<spool>/methods/<name>/protocol.yaml` (what runs, positions CSV beside it) and
//! `method.json` (the summary, and Squid's original `config` when it came that way).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::spool::{Spool, SpoolError};
use crate::clock::WallTime;
use crate::diagnostic::SourceFile;
use crate::fault::{Code, Fault};
use crate::microscope::MicroscopeConfig;
use crate::protocol::LoadedProtocol;
use crate::session::Loaded;

const DIR: &str = "methods";
const PROTOCOL: &str = "protocol.yaml";
const META: &str = "method.json";
/// The longest name a method may have (it is a directory name and a URL segment).
pub const MAX_NAME: usize = 64;

/// What is stored beside a method's protocol, and what `list` shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Method {
    pub name: String,
    /// `squidctl` (protocol YAML) or `squid` (Squid's acquisition configuration).
    pub form: String,
    pub created: String,
    pub updated: String,
    pub estimated_duration_s: f64,
    pub frames: u64,
    pub fovs: u64,
    pub bytes: u64,
    pub channels: Vec<String>,
    pub wells: Vec<String>,
    pub nz: u32,
    pub nt: u32,
    /// Squid's configuration as it was sent (a Squid client reads it back unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// What the conversion from Squid's form derived or defaulted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A method's source, as it was given.
pub enum Source {
    /// squidctl protocol YAML, and the directory relative paths in it mean (a CSV).
    Protocol { text: String, base: PathBuf },
    /// Squid's acquisition configuration.
    Squid(Value),
}

impl Source {
    /// YAML text in either form: Squid's when it has Squid's sections.
    pub fn from_text(text: String, base: PathBuf) -> Source {
        match serde_saphyr::from_str::<Value>(&text) {
            Ok(v) if crate::import::squid_method::is_squid_form(&v) => Source::Squid(v),
            _ => Source::Protocol { text, base },
        }
    }
}

pub fn check_name(name: &str) -> Result<(), Fault> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Fault::new(
            Code::BadValue,
            format!(
                "`{}` is not a method name: letters, digits, `_` and `-`, starting with a letter or digit, at most {MAX_NAME}",
                crate::human::clip(name, 80)
            ),
        )
        .component("methods")
        .with("method", crate::human::clip(name, 80)))
    }
}

fn dir(spool: &Spool, name: &str) -> PathBuf {
    spool.dir.join(DIR).join(name)
}

/// Check a method against the microscope: the loaded protocol, its text in squidctl's
/// form, and (for Squid's form) the conversion's notes.
pub fn load_source(
    name: &str,
    source: &Source,
    microscope: &MicroscopeConfig,
    sets: &[String],
) -> Result<(Loaded, Vec<String>), Fault> {
    let (text, base, notes) = match source {
        Source::Protocol { text, base } => (text.clone(), base.clone(), Vec::new()),
        Source::Squid(config) => {
            let i = crate::import::squid_method::convert(
                config,
                name,
                microscope.fov_mm(),
                microscope.desc.stage.z.piezo.is_some(),
            )?;
            (i.text, std::env::temp_dir(), i.notes)
        }
    };
    let protocol =
        LoadedProtocol::from_source(SourceFile::new(format!("method {name}"), text), base, sets)
            .map_err(|d| d.fault(Code::InvalidProtocol, "method"))?;
    let loaded = Loaded::new(protocol, microscope.clone())
        .map_err(|d| d.fault(Code::InvalidProtocol, "method"))?;
    Ok((loaded, notes))
}

fn summary(
    name: &str,
    form: &str,
    l: &Loaded,
    config: Option<Value>,
    notes: Vec<String>,
) -> Method {
    let plan = &l.plan;
    let now = WallTime::now().rfc3339();
    Method {
        name: name.into(),
        form: form.into(),
        created: now.clone(),
        updated: now,
        estimated_duration_s: plan
            .estimate(
                &crate::hardware::timing(&l.microscope),
                crate::saver::layout::footprint(plan),
            )
            .duration_s,
        frames: plan.total_frames(),
        fovs: plan.total_fovs(),
        bytes: plan.total_frames() * plan.frame.bytes(),
        channels: plan.channels.iter().map(|c| c.name.clone()).collect(),
        wells: plan.regions.iter().map(|r| r.name.clone()).collect(),
        nz: plan.z_offsets_um.len() as u32,
        nt: plan.time.count,
        config,
        notes,
    }
}

/// Store `name` (`replace`: it must exist; else it must not). Checked first: nothing is
/// written for a method that does not fit the microscope.
pub fn store(
    spool: &Spool,
    microscope: &MicroscopeConfig,
    name: &str,
    source: Source,
    replace: bool,
) -> Result<Method, Fault> {
    check_name(name)?;
    let (loaded, notes) = load_source(name, &source, microscope, &[])?;
    let (form, config) = match source {
        Source::Protocol { .. } => ("squidctl", None),
        Source::Squid(c) => ("squid", Some(c)),
    };
    let mut m = summary(name, form, &loaded, config, notes);
    let _guard = spool.lock().map_err(|e| e.fault("methods"))?;
    let d = dir(spool, name);
    let old = read(spool, name).ok();
    let refuse = |code, m: String| Err(Fault::new(code, m).component("methods"));
    match (&old, replace) {
        (Some(_), false) => {
            return refuse(
                Code::WrongState,
                format!(
                    "a method `{name}` exists: replace it with PUT /v1/methods/{name} (or `methods add --force`)"
                ),
            );
        }
        (None, true) => {
            return refuse(
                Code::BadValue,
                format!(
                    "there is no method `{name}` to replace: create it with POST /v1/methods (or `methods add`)"
                ),
            );
        }
        _ => {}
    }
    if let Some(o) = old {
        m.created = o.created;
    }
    let io = |what: &str, e: &dyn std::fmt::Display| {
        let msg = format!("cannot write the method's {what} in {}: {e}", d.display());
        Fault::new(crate::fault::io_code(&msg), msg).component("methods")
    };
    std::fs::create_dir_all(&d).map_err(|e| io("folder", &e))?;
    let text = crate::session::standalone_copy(&loaded, &d).map_err(|e| match e {
        crate::session::CopyError::Csv(e) => io("positions CSV", &e),
        crate::session::CopyError::Yaml(m) => {
            Fault::new(crate::fault::io_code(&m), m).component("methods")
        }
    })?;
    crate::fsutil::write_durable(&d.join(PROTOCOL), text.as_bytes())
        .map_err(|e| io("protocol", &e))?;
    let meta = serde_json::to_vec_pretty(&m).map_err(|e| io("summary", &e))?;
    crate::fsutil::write_durable(&d.join(META), &meta).map_err(|e| io("summary", &e))?;
    Ok(m)
}

pub fn read(spool: &Spool, name: &str) -> Result<Method, Fault> {
    check_name(name)?;
    let p = dir(spool, name).join(META);
    let bytes = std::fs::read(&p).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Fault::new(
                Code::UnknownResource,
                format!(
                    "no method `{name}` on {}: `squidctl methods list` names them",
                    spool.microscope
                ),
            )
            .component("methods")
            .with("method", name)
        } else {
            Fault::new(Code::IoError, format!("cannot read {}: {e}", p.display()))
                .component("methods")
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Fault::new(Code::IoError, format!("{} is damaged: {e}", p.display())).component("methods")
    })
}

/// The stored protocol's path (what `submit --method` loads).
pub fn protocol_path(spool: &Spool, name: &str) -> Result<PathBuf, Fault> {
    read(spool, name)?;
    Ok(dir(spool, name).join(PROTOCOL))
}

pub fn protocol_text(spool: &Spool, name: &str) -> Result<String, Fault> {
    let p = protocol_path(spool, name)?;
    std::fs::read_to_string(&p).map_err(|e| {
        Fault::new(Code::IoError, format!("cannot read {}: {e}", p.display())).component("methods")
    })
}

/// Every method, by name.
pub fn list(spool: &Spool) -> Vec<Method> {
    let mut names: Vec<String> = std::fs::read_dir(spool.dir.join(DIR))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().map(String::from))
                .filter(|n| check_name(n).is_ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.iter().filter_map(|n| read(spool, n).ok()).collect()
}

/// Delete a method no waiting or running task was submitted from.
pub fn remove(spool: &Spool, name: &str) -> Result<(), Fault> {
    read(spool, name)?;
    let _guard = spool.lock().map_err(|e| e.fault("methods"))?;
    let users: Vec<u64> = spool
        .tasks()
        .into_iter()
        .filter(|t| !t.status.state.terminal() && t.spec.method.as_deref() == Some(name))
        .map(|t| t.spec.id)
        .collect();
    if !users.is_empty() {
        let many = users.len() > 1;
        return Err(SpoolError::Refused(format!(
            "method `{name}` is used by queued task{} {}: cancel {} first, or let {} end",
            if many { "s" } else { "" },
            users
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if many { "them" } else { "it" },
            if many { "them" } else { "it" },
        ))
        .fault("methods"));
    }
    std::fs::remove_dir_all(dir(spool, name))
        .map_err(|e| SpoolError::Io(format!("cannot remove method `{name}`: {e}")).fault("methods"))
}

/// A method's stored protocol, loaded from its folder (so its positions CSV is the copy kept
/// beside it) and checked against the microscope.
pub fn loaded(
    spool: &Spool,
    name: &str,
    microscope: &MicroscopeConfig,
    sets: &[String],
) -> Result<Loaded, Fault> {
    let path = protocol_path(spool, name)?;
    let p = LoadedProtocol::load(&path.display().to_string(), sets)
        .map_err(|d| d.fault(Code::InvalidProtocol, "method"))?;
    Loaded::new(p, microscope.clone()).map_err(|d| d.fault(Code::InvalidProtocol, "method"))
}
