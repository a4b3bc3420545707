//! What the status page shows of a run, read from its run directory as the run writes it:
//! each well's state and focus, and the last saved frame as a small thumbnail. The journal
//! is read on from where the last look stopped, so a page refreshing every second costs
//! the new lines only.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::plan::Plan;
use crate::run_dir::journal::{Entry, Record};
use crate::saver::layout::FileDone;

/// Runs whose reading is kept between requests.
const MAX_RUNS: usize = 16;

#[derive(Default, Clone)]
struct Well {
    frames: u64,
    failed: u64,
    focus_z_mm: Option<f64>,
    /// What went wrong here, newest last (a FOV skipped, a step that failed and was retried).
    errors: Vec<Value>,
}

/// Errors kept per well: enough to say what happened without growing with a bad night.
const WELL_ERRORS: usize = 5;

struct Run {
    plan: Arc<Plan>,
    offset: u64,
    wells: Vec<Well>,
    frames: u64,
    current: Option<(u32, u32, u32)>,
    last_file: Option<FileDone>,
    ended: bool,
    /// How the last session ended (`completed`, `failed`, …) and when.
    end_state: Option<Value>,
    started_unix: Option<f64>,
    ended_unix: Option<f64>,
    thumb: Option<(String, Vec<u8>)>,
    /// The latest focus map measured, if the run has one.
    map: Option<crate::run_dir::journal::records::FocusMap>,
}

/// Per run directory, what has been read of it so far.
#[derive(Default)]
pub struct RunViews {
    runs: Mutex<HashMap<PathBuf, Arc<Mutex<Run>>>>,
}

fn run_of(views: &RunViews, dir: &Path) -> Result<Arc<Mutex<Run>>, String> {
    let mut runs = views.runs.lock().map_err(|_| "poisoned".to_string())?;
    if let Some(r) = runs.get(dir) {
        return Ok(r.clone());
    }
    // A server runs for months: keep the runs being looked at, not every run ever shown.
    if runs.len() >= MAX_RUNS {
        runs.clear();
    }
    let open = crate::session::resume::open_run(dir).map_err(|r| r.message)?;
    let plan = Arc::new(open.loaded.plan);
    let run = Arc::new(Mutex::new(Run {
        wells: vec![Well::default(); plan.regions.len()],
        plan,
        offset: 0,
        frames: 0,
        current: None,
        last_file: None,
        ended: false,
        end_state: None,
        started_unix: None,
        ended_unix: None,
        thumb: None,
        map: None,
    }));
    runs.insert(dir.to_path_buf(), run.clone());
    Ok(run)
}

impl Run {
    /// Take in the journal lines written since the last look.
    fn read_on(&mut self, dir: &Path) -> Result<(), String> {
        let path = dir.join(crate::run_dir::JOURNAL);
        self.offset = crate::fsutil::lines_from(&path, self.offset, |_, line| {
            if let Ok(e) = serde_json::from_str::<Entry>(line) {
                self.take(e.record, e.unix);
            }
        })
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(())
    }

    fn well_error(&mut self, region: u32, error: Value) {
        if let Some(w) = self.wells.get_mut(region as usize) {
            if w.errors.len() >= WELL_ERRORS {
                w.errors.remove(0);
            }
            w.errors.push(error);
        }
    }

    fn take(&mut self, rec: Record, unix: Option<f64>) {
        if self.started_unix.is_none() {
            self.started_unix = unix;
        }
        match rec {
            Record::Frame(f) => {
                self.frames += 1;
                self.current = Some((f.t, f.region, f.fov));
                if let Some(w) = self.wells.get_mut(f.region as usize) {
                    w.frames += 1;
                }
            }
            Record::FovSkipped(s) => {
                if let Some(w) = self.wells.get_mut(s.region as usize) {
                    w.failed += 1;
                }
                // The step error that gave up on this FOV is already listed: mark it.
                let told = self.wells.get_mut(s.region as usize).and_then(|w| {
                    w.errors.iter_mut().rev().find(|e| {
                        e["t"] == s.t && e["fov"] == s.fov && e["final"] == true
                    })
                });
                match told {
                    Some(e) => e["skipped"] = json!(true),
                    None => self.well_error(
                        s.region,
                        json!({"t": s.t, "fov": s.fov, "step": s.step, "error": s.error, "final": true, "skipped": true}),
                    ),
                }
            }
            // Retried, or final: then the FOV is skipped or the run stops.
            Record::StepError(e) => self.well_error(
                e.region,
                json!({"t": e.t, "fov": e.fov, "step": e.step, "error": e.error, "final": !e.will_retry, "skipped": false}),
            ),
            Record::Autofocus(a) => {
                if let Some(w) = self.wells.get_mut(a.region as usize) {
                    w.focus_z_mm = Some(a.z_mm);
                }
            }
            Record::File(f) => self.last_file = Some(f),
            Record::FocusMap(m) => self.map = Some(m),
            Record::End(e) => {
                self.ended = true;
                self.ended_unix = unix;
                self.end_state = Some(json!({"state": e.state, "reason": e.reason, "exit_code": e.exit_code}));
            }
            Record::Resume(_) => {
                self.ended = false;
                self.ended_unix = None;
                self.end_state = None;
            }
            _ => {}
        }
    }
}

/// The run's wells and progress, as the page draws them. `live` says whether the task is
/// still running (a well not reached by a run that ended is "skipped").
pub fn view(views: &RunViews, dir: &Path, live: bool) -> Result<Value, String> {
    let run = run_of(views, dir)?;
    let mut r = run.lock().map_err(|_| "poisoned".to_string())?;
    r.read_on(dir)?;
    let plan = r.plan.clone();
    let total_fovs = plan.total_fovs().max(1);
    let total = plan.total_frames();
    let running = r.current.map(|c| c.1).filter(|_| live && !r.ended);
    let wells: Vec<Value> = plan
        .regions
        .iter()
        .enumerate()
        .map(|(i, reg)| {
            let w = &r.wells[i];
            let want = total * reg.fovs.len() as u64 / total_fovs;
            let state = well_state(w, want, running == Some(i as u32), !live || r.ended);
            json!({
                "name": reg.name,
                "row": reg.well.map(|w| w.row),
                "col": reg.well.map(|w| w.col),
                "state": state,
                "frames": w.frames,
                "frames_total": want,
                "failed_fovs": w.failed,
                "errors": w.errors,
                "focus_z_mm": w.focus_z_mm,
                "planned_z_mm": reg.z_mm,
                // The focus map's surface under the well's centre (µm from the plan's z).
                "map_um": r.map.as_ref().and_then(|m| m.surface.as_ref()).map(|s| {
                    ((s.at(reg.centre.0, reg.centre.1) - reg.z_mm) * 1e4).round() / 10.0
                }),
            })
        })
        .collect();
    let current = r.current.map(|(t, region, fov)| {
        json!({
            "t": t,
            "well": plan.regions.get(region as usize).map(|x| x.name.clone()),
            "fov": fov,
        })
    });
    Ok(json!({
        "run_dir": dir,
        "name": plan.name,
        "plate": plan.plate.as_ref().map(|p| json!({"label": p.label, "rows": p.rows, "cols": p.cols})),
        "frames": r.frames,
        "frames_total": total,
        "timepoints": plan.time.count,
        "current": current,
        "last_file": r.last_file.as_ref().map(|f| f.path.clone()),
        "started_unix": r.started_unix,
        "ended_unix": r.ended_unix,
        "end": r.end_state,
        "free_bytes": crate::fsutil::free_space(dir).map(|f| f.0),
        "wells": wells,
        "focus_map": r.map.as_ref().map(|m| json!({
            "t": m.t,
            "points": m.points,
            "rms_um": m.rms_um,
            "max_residual_um": m.max_residual_um,
            "failed": m.failed,
        })),
    }))
}

/// A well's colour on the page. Skipped FOV visits make a well `partial` when some of it
/// was acquired and `failed` when none was; a run that ended before a well was reached
/// leaves it `skipped`; `started` is a well of a live run with frames so far (a time-lapse
/// between its time points).
fn well_state(w: &Well, want: u64, running: bool, over: bool) -> &'static str {
    match () {
        _ if running => "running",
        _ if w.failed > 0 && w.frames == 0 => "failed",
        _ if w.failed > 0 => "partial",
        _ if w.frames >= want => "done",
        _ if over && w.frames > 0 => "partial",
        _ if over => "skipped",
        _ if w.frames > 0 => "started",
        _ => "pending",
    }
}

/// The last saved frame (the last plane of the last file finished) as an 8-bit PNG,
/// contrast-stretched, at most 256 pixels a side; and which plane it is.
pub fn thumbnail(views: &RunViews, dir: &Path) -> Result<Option<(String, Vec<u8>)>, String> {
    let run = run_of(views, dir)?;
    let mut r = run.lock().map_err(|_| "poisoned".to_string())?;
    r.read_on(dir)?;
    let Some(f) = r.last_file.clone() else {
        return Ok(None);
    };
    let rel = Path::new(&f.path);
    // The journal is a file anyone with write access can edit: stay inside the run.
    if !rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "the journal names a file outside the run: {}",
            f.path
        ));
    }
    let id = format!("{}#{}", f.path, f.planes);
    if let Some((k, png)) = &r.thumb
        && *k == id
    {
        return Ok(Some((k.clone(), png.clone())));
    }
    let (w, h) = (r.plan.frame.width as usize, r.plan.frame.height as usize);
    let layout = crate::saver::layout::for_plan(&r.plan, dir.to_path_buf(), "");
    let px = layout
        .last_plane(&dir.join(rel))
        .map_err(|e| format!("{}: {e}", f.path))?;
    if px.is_empty() || px.len() != w * h {
        return Err(format!(
            "{}: a plane of {} pixels, the plan says {w}×{h}",
            f.path,
            px.len()
        ));
    }
    let png = crate::saver::thumbnail::png(&px, w, h)?;
    r.thumb = Some((id.clone(), png.clone()));
    Ok(Some((id, png)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_with_some_fovs_skipped_is_partial_not_failed() {
        let w = |frames, failed| Well {
            frames,
            failed,
            ..Well::default()
        };
        assert_eq!(well_state(&w(8, 1), 16, false, true), "partial");
        assert_eq!(well_state(&w(0, 2), 16, false, true), "failed");
        assert_eq!(well_state(&w(16, 0), 16, false, true), "done");
        assert_eq!(well_state(&w(0, 0), 16, false, true), "skipped");
        assert_eq!(well_state(&w(4, 0), 16, false, true), "partial");
        assert_eq!(well_state(&w(4, 0), 16, false, false), "started");
        assert_eq!(well_state(&w(4, 0), 16, true, false), "running");
        assert_eq!(well_state(&w(0, 0), 16, false, false), "pending");
    }
}
