//! Reopening an interrupted run: read its directory back, refuse what must not be resumed,
//! keep what the journal proves saved, and say what will be written again.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{Loaded, Refusal};
use crate::diagnostic::SourceFile;
use crate::exit::Exit;
use crate::journal_of;
use crate::plan::Plan;
use crate::protocol::LoadedProtocol;
use crate::run_dir::journal::{Entry, Record};
use crate::run_dir::liveness::Liveness;
use crate::run_dir::{self, RunDir, RunRecord, RunState};
use crate::saver::FileKey;
use crate::saver::verify;

/// What `resume` found in the run directory.
pub struct ResumeState {
    pub rd: RunDir,
    pub record: RunRecord,
    /// Files the journal proves saved (present, complete, checksums matching).
    pub done: HashSet<FileKey>,
    /// The last autofocus result of each region, so redone FOVs are focused as before.
    pub focus: HashMap<u32, f64>,
    /// Autofocus results already measured, by (time point, region, FOV): a redone visit
    /// reuses its focus rather than searching again, so its planes come out the same.
    pub focused: HashMap<(u32, u32, u32), f64>,
    /// How far the time-lapse had gone on the microscope's clock when the run stopped.
    pub clock_s: f64,
    /// Wall-clock seconds between the run's last record and now.
    pub gap_s: f64,
    /// The journal as `resume` read it (the run's coordinates are rebuilt from it).
    pub journal: Vec<Entry>,
    /// Files that will be written again, and why.
    pub redo: Vec<String>,
}

/// A run directory read back: its record, journal, and plan rebuilt from its own copies.
pub struct OpenRun {
    pub rd: RunDir,
    pub record: RunRecord,
    pub journal: Vec<Entry>,
    pub loaded: Loaded,
}

/// Read a run directory; refuses (exit 2) with a message when it is not one, or when its
/// protocol or microscope copy no longer matches what the run started with.
pub fn open_run(dir: &Path) -> Result<OpenRun, Refusal> {
    let rd = RunDir::open(dir);
    let invalid = |m: String| Refusal::new(Exit::Invalid, m);
    if !rd.path(run_dir::JOURNAL).exists() {
        return Err(invalid(format!(
            "{} is not a squidctl run directory, or its run stopped before it began (no journal.jsonl): nothing was acquired there",
            dir.display()
        )));
    }
    let journal = run_dir::journal::read(&rd.path(run_dir::JOURNAL))
        .map_err(|e| invalid(format!("cannot read the journal in {}: {e}", dir.display())))?;
    let (record, loaded) = load_recorded(&rd, &journal)?;
    Ok(OpenRun {
        rd,
        record,
        journal,
        loaded,
    })
}

/// The record and the plan of a run whose journal is read already: its copies of the
/// protocol and microscope, checked against the checksums its start record holds.
pub fn load_recorded(rd: &RunDir, journal: &[Entry]) -> Result<(RunRecord, Loaded), Refusal> {
    let dir = &rd.root;
    let invalid = |m: String| Refusal::new(Exit::Invalid, m);
    let start = journal.iter().find_map(|e| match &e.record {
        Record::Start(s) => Some(s),
        _ => None,
    });
    let start = start.ok_or_else(|| {
        invalid(format!(
            "the run in {} stopped before it began (its journal has no start record): nothing was acquired — start it again with `squidctl acquire`",
            dir.display()
        ))
    })?;
    // run.json is written just after the start record; a run killed in between has none yet.
    let record = RunRecord::read_or_rebuild(&rd.root, journal).map_err(invalid)?;
    let mut copies = Vec::new();
    for (file, key) in [
        (run_dir::PROTOCOL_COPY, start.protocol_crc32),
        (run_dir::MICROSCOPE_COPY, start.microscope_crc32),
    ] {
        let text = std::fs::read_to_string(rd.path(file))
            .map_err(|e| invalid(format!("cannot read {file} in {}: {e}", dir.display())))?;
        if key != Some(crc32fast::hash(text.as_bytes())) {
            return Err(invalid(format!(
                "{file} in {} was modified after the run started (its checksum no longer matches the journal); \
                 a run continues exactly as it was planned — restore the original copy, or start a new run with `squidctl acquire`",
                dir.display()
            )));
        }
        copies.push(text);
    }
    let render =
        |d: crate::diagnostic::Diagnostics| Refusal::new(Exit::Invalid, d.render().trim_end());
    let mut microscope = crate::hardware::from_source(SourceFile::new(
        rd.path(run_dir::MICROSCOPE_COPY).display().to_string(),
        copies[1].clone(),
    ))
    .map_err(render)?;
    // The wells go where they went before, whatever was calibrated since.
    if let Ok(text) = std::fs::read_to_string(rd.path(run_dir::PLATES_COPY)) {
        microscope.plates = serde_saphyr::from_str(&text).map_err(|e| {
            invalid(format!(
                "cannot read {} in {}: {e}; restore it from the microscope's calibration, or start a new run",
                run_dir::PLATES_COPY,
                dir.display()
            ))
        })?;
    }
    let protocol = LoadedProtocol::from_source(
        SourceFile::new(
            rd.path(run_dir::PROTOCOL_COPY).display().to_string(),
            copies[0].clone(),
        ),
        rd.root.clone(),
        &[],
    )
    .map_err(render)?;
    let plan = Plan::build_recorded(&protocol, &microscope).map_err(render)?;
    Ok((
        record,
        Loaded {
            protocol,
            microscope,
            plan,
        },
    ))
}

/// The counts of the sessions so far. run.json has them as of its last heartbeat; the journal,
/// flushed as it goes, also knows what a session killed between two beats did.
fn counts_so_far(record: &run_dir::Counts, journal: &[Entry]) -> run_dir::Counts {
    let errors = |retried: bool| {
        journal_of!(journal, StepError)
            .filter(|e| e.will_retry == retried)
            .count() as u64
    };
    let mut c = record.clone();
    c.acquired = c.acquired.max(journal_of!(journal, Frame).count() as u64);
    c.retries = c.retries.max(errors(true));
    c.failed = c.failed.max(errors(false));
    c.autofocus_runs = c
        .autofocus_runs
        .max(journal_of!(journal, Autofocus).count() as u64);
    c
}

/// What `resume` will do with a run directory.
pub enum Resumable {
    /// Complete and intact: nothing to acquire.
    Complete,
    /// Go on with this plan from this state.
    Go(Box<(Loaded, ResumeState)>),
}

/// Decide how to go on with the run in `dir`: refuses a run that is live, recorded as
/// running on another host, or not a run; deletes files that will be written again.
pub fn prepare(dir: &Path) -> Result<Resumable, Refusal> {
    let open = open_run(dir)?;
    let OpenRun {
        rd,
        record,
        journal,
        loaded,
    } = open;
    match run_dir::liveness::run_liveness(&rd.root, &record.host) {
        Liveness::Stopped => {}
        Liveness::Running => {
            return Err(Refusal::new(
                Exit::Busy,
                format!(
                    "the run in {} is still running in another squidctl process (it holds the run's journal); stop it or let it finish first",
                    rd.root.display()
                ),
            ));
        }
        Liveness::ElsewhereMaybe(host) if record.state == RunState::Running => {
            return Err(Refusal::new(
                Exit::Busy,
                format!(
                    "the run is recorded as running on host {host}, which cannot be asked from here; resume it on {host}, or, if that machine is off, resume it there after it restarts"
                ),
            ));
        }
        Liveness::ElsewhereMaybe(_) => {}
    }
    // Keep what is proven saved; clear what will be written again.
    let mut done = HashSet::new();
    let mut redo = Vec::new();
    let layout = crate::saver::layout::for_plan(
        &std::sync::Arc::new(loaded.plan.clone()),
        rd.root.clone(),
        &record.started,
    );
    for (path, f) in verify::saved_files(&journal, layout.as_ref()) {
        match verify::check(layout.as_ref(), &f) {
            None => {
                done.insert(f.key());
            }
            Some(problem) => {
                redo.push(format!("{path}: {problem}"));
                let _ = std::fs::remove_file(rd.root.join(&path));
            }
        }
    }
    for p in crate::saver::layout::walk(&rd.root) {
        if p.extension().is_some_and(|e| e == "partial") {
            redo.push(format!(
                "{}: cut short when the run stopped",
                p.strip_prefix(&rd.root).unwrap_or(&p).display()
            ));
            let _ = std::fs::remove_file(&p);
        }
    }
    // Metadata that went missing or was changed is written again from the plan.
    let store = layout.check_store();
    if !store.is_empty() {
        if let Err(e) = layout.begin() {
            return Err(Refusal::new(
                Exit::OutputError,
                format!(
                    "cannot rewrite the image store's metadata in {}: {e}",
                    rd.root.display()
                ),
            ));
        }
        for (path, problem) in store {
            tracing::info!("{path}: rewritten from the plan ({problem})");
        }
    }
    if record.state == RunState::Completed && redo.is_empty() {
        if !crate::saver::coordinates::check(&rd.root, &loaded.plan, &journal).is_empty() {
            match crate::saver::coordinates::rebuild(&rd.root, &loaded.plan, &journal) {
                Ok(()) => tracing::info!("coordinates.csv rebuilt from the journal"),
                Err(e) => {
                    return Err(Refusal::new(
                        Exit::OutputError,
                        format!(
                            "cannot rebuild coordinates.csv in {}: {e}",
                            rd.root.display()
                        ),
                    ));
                }
            }
        }
        tracing::info!(
            "the run in {} is already complete and intact; nothing to resume",
            rd.root.display()
        );
        return Ok(Resumable::Complete);
    }
    let mut focus = HashMap::new();
    let mut focused = HashMap::new();
    for a in journal_of!(journal, Autofocus) {
        focus.insert(a.region, a.z_mm);
        focused.insert((a.t, a.region, a.fov), a.z_mm);
    }
    let clock_s = journal
        .iter()
        .filter_map(|e| e.record.clock_s())
        .fold(0.0, f64::max);
    let last_unix = journal
        .iter()
        .filter_map(Entry::unix)
        .fold(record.heartbeat_unix, f64::max);
    let gap_s = (crate::clock::WallTime::now().unix_s - last_unix).max(0.0);
    let mut record = record;
    record.counts = counts_so_far(&record.counts, &journal);
    let state = ResumeState {
        rd,
        record,
        done,
        focus,
        focused,
        clock_s,
        gap_s,
        journal,
        redo,
    };
    Ok(Resumable::Go(Box::new((loaded, state))))
}
