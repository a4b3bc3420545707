//! Making a run directory ready: a new one with copies of the protocol and microscope and a
//! journal, or an interrupted one reopened with a new session.

use std::path::Path;
use std::sync::Arc;

use super::{Loaded, Refusal, ResumeState};
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::human;
use crate::plan::Plan;
use crate::protocol::template;
use crate::run_dir::journal::{Record, records};
use crate::run_dir::{self, Counts, Journal, Records, RunDir, RunRecord, RunState};

/// Replace run.json atomically; a record that cannot be written is logged, not fatal.
pub fn write_record(rd: &RunDir, r: &RunRecord) {
    match serde_json::to_vec_pretty(r) {
        Ok(bytes) => {
            if let Err(e) = rd.write_atomic(run_dir::RUN_JSON, &bytes) {
                // A directory that became unwritable (or has no room for a second copy)
                // must not leave run.json saying `running` for ever: scripts read it.
                match run_dir::overwrite_in_place(&rd.path(run_dir::RUN_JSON), &bytes) {
                    Ok(()) => tracing::warn!(
                        "cannot replace run.json ({e}); it was rewritten in place instead"
                    ),
                    Err(e2) => tracing::warn!("cannot update run.json: {e}; in place: {e2}"),
                }
            }
        }
        Err(e) => tracing::warn!("cannot encode run.json: {e}"),
    }
}

/// The run directory, journal and record of a run in progress.
pub(super) struct Prepared {
    pub rd: RunDir,
    pub record: RunRecord,
}

fn out_error(rd: &RunDir, what: &str, e: std::io::Error) -> Refusal {
    Refusal::new(
        Exit::OutputError,
        format!("cannot write {what} in {}: {e}", rd.root.display()),
    )
}

pub enum CopyError {
    Csv(std::io::Error),
    Yaml(String),
}

/// The protocol as it will run (overrides applied), made to stand alone in `dir`: a positions
/// CSV comes along as `positions.csv`. Run directories and queued tasks both keep one.
pub fn standalone_copy(l: &Loaded, dir: &std::path::Path) -> Result<String, CopyError> {
    let mut spec = l.protocol.spec.clone();
    if let Some(crate::protocol::schema::PositionsSpec::Csv(csv)) = &spec.positions {
        let to = dir.join(run_dir::POSITIONS_COPY);
        match &l.protocol.files {
            crate::protocol::Files::Sent(Some(sent)) => {
                crate::fsutil::write_durable(&to, sent.text.as_bytes()).map_err(CopyError::Csv)?
            }
            // Planning refused a sent protocol that names a file; nothing is opened here.
            crate::protocol::Files::Sent(None) => {
                return Err(CopyError::Yaml(
                    "a protocol sent over the API names a positions file".into(),
                ));
            }
            crate::protocol::Files::Disk => {
                std::fs::copy(l.protocol.base_dir.join(csv), &to).map_err(CopyError::Csv)?;
            }
        }
        spec.positions = Some(crate::protocol::schema::PositionsSpec::Csv(
            run_dir::POSITIONS_COPY.into(),
        ));
    }
    serde_saphyr::to_string(&spec)
        .map_err(|e| CopyError::Yaml(format!("cannot write the protocol copy: {e}")))
}

/// Set aside the space reserve and send the log into the run directory.
fn claim(rd: &RunDir) -> Result<(), Refusal> {
    if let Err(e) = rd.reserve_space() {
        rd.release_reserve();
        return Err(out_error(rd, "the space reserve", e));
    }
    if let Err(e) = crate::logging::set_log_file(&rd.path(run_dir::LOG)) {
        tracing::warn!("cannot write the log file: {e}");
    }
    Ok(())
}

fn session(started: &WallTime) -> run_dir::record::Session {
    run_dir::record::Session {
        pid: std::process::id(),
        started: started.rfc3339(),
        ended: None,
        state: None,
    }
}

/// Create a new run directory with copies of the protocol and microscope.
pub(super) fn new_run(
    l: &Loaded,
    force: bool,
    parent: &Path,
    plan: &Arc<Plan>,
    started: &WallTime,
    records: &Records,
    name_run: &dyn Fn(&Path),
) -> Result<Prepared, Refusal> {
    let estimate = plan.estimate(
        &crate::hardware::timing(&l.microscope),
        crate::saver::layout::footprint(plan),
    );
    if let Some((free, at)) = crate::fsutil::free_space(parent)
        && free < estimate.bytes
        && !force
    {
        return Err(Refusal::new(
            Exit::OutputError,
            format!(
                "the run needs about {} but only {} is free on {} — free space, choose another --output, or pass --force to start anyway",
                human::bytes(estimate.bytes),
                human::bytes(free),
                at.display()
            ),
        ));
    }
    let vars = plan.template_vars(started);
    let name = template::render(&plan.output.run_name, &vars)
        .and_then(|n| crate::plan::names::check_run_name(&n).map(|()| n))
        .map_err(|m| {
            Refusal::new(
                Exit::Invalid,
                format!("output.run_name: {}", m.replace("\nhelp: ", "; ")),
            )
        })?;
    let rd = RunDir::create(parent, &name).map_err(|e| {
        Refusal::new(
            Exit::OutputError,
            format!(
                "cannot create the run directory in {}: {e}",
                parent.display()
            ),
        )
    })?;
    name_run(&rd.root);
    let out_err = |what: &str, e: std::io::Error| out_error(&rd, what, e);
    claim(&rd)?;
    let protocol_yaml = standalone_copy(l, &rd.root).map_err(|e| match e {
        CopyError::Csv(e) => out_err("the positions CSV", e),
        CopyError::Yaml(m) => Refusal::new(Exit::Failed, m),
    })?;
    // The description as written: its drivers' settings and the simulator's world are read
    // by the drivers from the text, so a typed round trip would drop them.
    let microscope_yaml = &l.microscope.source.text;
    rd.write_atomic(run_dir::PROTOCOL_COPY, protocol_yaml.as_bytes())
        .map_err(|e| out_err(run_dir::PROTOCOL_COPY, e))?;
    rd.write_atomic(run_dir::MICROSCOPE_COPY, microscope_yaml.as_bytes())
        .map_err(|e| out_err(run_dir::MICROSCOPE_COPY, e))?;
    if !l.microscope.plates.plates.is_empty() {
        let text = l
            .microscope
            .plates
            .to_text()
            .map_err(|e| out_err(run_dir::PLATES_COPY, e))?;
        rd.write_atomic(run_dir::PLATES_COPY, text.as_bytes())
            .map_err(|e| out_err(run_dir::PLATES_COPY, e))?;
    }
    let journal =
        Arc::new(Journal::open(&rd.path(run_dir::JOURNAL)).map_err(|e| out_err("the journal", e))?);
    records.keep_in(journal);
    records.emit(Record::Start(records::Start {
        name: plan.name.clone(),
        protocol: l.protocol.source.name.clone(),
        microscope: l.microscope.desc.name.clone(),
        planned_frames: plan.total_frames(),
        files: crate::saver::layout::planned_files(plan),
        pid: std::process::id(),
        coords: true,
        protocol_crc32: Some(crc32fast::hash(protocol_yaml.as_bytes())),
        microscope_crc32: Some(crc32fast::hash(microscope_yaml.as_bytes())),
        depth_of_field_um: l
            .microscope
            .desc
            .objective
            .depth_of_field_um(l.microscope.desc.camera.pixel_size.um()),
        plate_placement: plan.placement.as_ref().map(|p| p.to_json()),
    }));
    let record = RunRecord {
        squidctl_version: env!("CARGO_PKG_VERSION").into(),
        state: RunState::Running,
        pid: std::process::id(),
        host: crate::fsutil::hostname(),
        name: plan.name.clone(),
        protocol_file: l.protocol.source.name.clone(),
        microscope: l.microscope.desc.name.clone(),
        run_dir: rd.root.display().to_string(),
        started: started.rfc3339(),
        started_unix: started.unix_s,
        heartbeat: started.rfc3339(),
        heartbeat_unix: started.unix_s,
        ended: None,
        counts: Counts {
            planned: plan.total_frames(),
            ..Counts::default()
        },
        end_reason: None,
        exit_code: None,
        sessions: vec![session(started)],
    };
    write_record(&rd, &record);
    Ok(Prepared { rd, record })
}

/// Reopen an interrupted run: its journal goes on, its record gets a new session.
pub(super) fn resumed_run(
    state: &ResumeState,
    plan: &Arc<Plan>,
    started: &WallTime,
    records: &Records,
) -> Result<Prepared, Refusal> {
    let rd = state.rd.clone();
    let out_err = |what: &str, e: std::io::Error| out_error(&rd, what, e);
    claim(&rd)?;
    let journal =
        Arc::new(Journal::open(&rd.path(run_dir::JOURNAL)).map_err(|e| out_err("the journal", e))?);
    records.keep_in(journal);
    records.emit(Record::Resume(records::Resume {
        pid: std::process::id(),
        gap_s: state.gap_s,
        from_clock_s: state.clock_s,
        files_kept: state.done.len(),
        redo: state.redo.clone(),
    }));
    tracing::info!(
        "resuming after a gap of {}: {} files kept, {} to write again",
        human::duration(state.gap_s),
        state.done.len(),
        state.redo.len()
    );
    for r in &state.redo {
        tracing::info!("  again: {r}");
    }
    let mut record = state.record.clone();
    record.state = RunState::Running;
    record.pid = std::process::id();
    record.ended = None;
    record.end_reason = None;
    record.exit_code = None;
    record.heartbeat = started.rfc3339();
    record.heartbeat_unix = started.unix_s;
    record.counts.planned = plan.total_frames();
    record.sessions.push(session(started));
    crate::fsutil::write_atomic(
        &rd.path(run_dir::RUN_JSON),
        &serde_json::to_vec_pretty(&record).unwrap_or_default(),
    )
    .map_err(|e| out_err(run_dir::RUN_JSON, e))?;
    let _ = std::fs::remove_file(rd.path(run_dir::DONE));
    Ok(Prepared { rd, record })
}
