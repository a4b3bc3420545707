//! `squidctl report RUN_DIR`: what a run did or is doing — state (and whether a running run
//! still beats), durations, frames, throughput, per-step timing, errors, lateness.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use super::run::fail;
use crate::cli::ReportArgs;
use crate::clock::WallTime;
use crate::exit::Exit;
use crate::human;
use crate::journal_of;
use crate::run_dir::journal::{Entry, Record};
use crate::run_dir::liveness::{Liveness, run_liveness};
use crate::run_dir::{self, RunDir, RunRecord, RunState};

/// A running run whose heartbeat is older than this is reported as possibly stalled.
const STALE_AFTER_S: f64 = 30.0;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(s: f64) -> String {
    if s.is_nan() {
        "-".into()
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

/// Every run directory named, each reported on its own (see [`super::each_run`]).
pub fn run(args: &ReportArgs) -> Exit {
    super::each_run("report", &args.run_dirs, args.json, |dir| {
        one(dir, args.json)
    })
}

fn one(run_dir: &std::path::Path, json: bool) -> Exit {
    let args = super::Single { run_dir, json };
    let rd = RunDir::open(args.run_dir);
    if !rd.path(run_dir::JOURNAL).exists() && !rd.path(run_dir::RUN_JSON).exists() {
        return fail(
            args.json,
            "report",
            Exit::Invalid,
            format!(
                "{} is not a squidctl run directory (no run.json or journal.jsonl)",
                rd.root.display()
            ),
        );
    }
    let journal = run_dir::journal::read(&rd.path(run_dir::JOURNAL)).unwrap_or_default();
    let record: RunRecord = match RunRecord::read_or_rebuild(&rd.root, &journal) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                args.json,
                "report",
                Exit::Invalid,
                format!(
                    "{} is not a readable squidctl run directory: {e}",
                    rd.root.display()
                ),
            );
        }
    };
    let now = WallTime::now().unix_s;
    let running = record.state == RunState::Running;
    let beat_age = now - record.heartbeat_unix;
    let live = run_liveness(&rd.root, &record.host);
    let stalled = running && (live == Liveness::Stopped || beat_age > STALE_AFTER_S);
    let state_text = if stalled {
        format!(
            "POSSIBLY STALLED: recorded as running, last heartbeat {} ago{}",
            human::duration(beat_age),
            match live {
                Liveness::Stopped => ", and no squidctl process holds the run (it was killed, or its machine restarted) — `squidctl resume` continues it".to_string(),
                Liveness::ElsewhereMaybe(h) => format!(", on host {h}"),
                Liveness::Running => ", although its process is alive (a device or the disk may be stuck)".to_string(),
            }
        )
    } else if running {
        format!(
            "running (pid {}, heartbeat {} ago)",
            record.pid,
            human::duration(beat_age)
        )
    } else {
        match record.end_reason.as_deref() {
            Some(why) if !why.is_empty() && why != record.state.name() => {
                format!("{} — {why}", record.state.name())
            }
            _ => record.state.name().to_string(),
        }
    };
    let end = if running {
        now
    } else {
        journal
            .iter()
            .filter_map(Entry::unix)
            .fold(record.heartbeat_unix, f64::max)
    };
    let elapsed = (end - record.started_unix).max(0.0);

    // Frames and steps from the journal (the live truth, even before run.json's next beat).
    let mut frames = 0u64;
    let mut steps: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for f in journal_of!(journal, Frame) {
        frames += 1;
        for (k, s) in &f.steps {
            steps.entry(k.clone()).or_default().push(*s);
        }
    }
    for v in steps.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    let bytes: u64 = journal_of!(journal, File).map(|f| f.bytes).sum();
    // Counted against the run's own layout, so a record added by hand counts for nothing;
    // a run whose copies cannot be read yet keeps run.json's count.
    let plan = crate::session::resume::load_recorded(&rd, &journal)
        .ok()
        .map(|(_, loaded)| std::sync::Arc::new(loaded.plan));
    let saved_planes: u64 = plan.as_ref().map_or(record.counts.saved, |plan| {
        let layout = crate::saver::layout::for_plan(plan, rd.root.clone(), &record.started);
        crate::saver::verify::saved_planes(&journal, layout.as_ref())
    });
    // Wells by name, as the protocol wrote them (the journal counts regions from 0).
    let region = |i: u32| {
        plan.as_ref()
            .and_then(|p| p.regions.get(i as usize))
            .map_or_else(|| format!("region {i}"), |r| r.name.clone())
    };
    let acquired = if running {
        frames
    } else {
        record.counts.acquired.max(frames)
    };
    let errors = journal_of!(journal, StepError).count();
    let timeouts = journal_of!(journal, Timeout).count();
    let skipped: Vec<_> = journal_of!(journal, FovSkipped).collect();
    let rounds = time_points(&journal);
    let planned = record.counts.planned;

    let mut t = String::new();
    t.push_str(&format!(
        "run         {} ({})\n",
        record.name,
        rd.root.display()
    ));
    t.push_str(&format!("state       {state_text}\n"));
    t.push_str(&format!(
        "protocol    {} on {}, squidctl {}\n",
        record.protocol_file, record.microscope, record.squidctl_version
    ));
    t.push_str(&format!(
        "time        started {}, {} {}{}\n",
        record.started,
        if running { "running for" } else { "took" },
        human::duration(elapsed),
        if record.sessions.len() > 1 {
            format!(" ({} sessions: resumed)", record.sessions.len())
        } else {
            String::new()
        }
    ));
    let pct = if planned > 0 {
        acquired as f64 / planned as f64 * 100.0
    } else {
        0.0
    };
    t.push_str(&format!(
        "frames      {} of {} acquired ({pct:.1}%), {} saved{}{}\n",
        human::count(acquired),
        human::count(planned),
        human::count(saved_planes),
        if record.counts.skipped > 0 {
            format!(", {} skipped", human::count(record.counts.skipped))
        } else {
            String::new()
        },
        if record.counts.lost > 0 {
            format!(", {} LOST", human::count(record.counts.lost))
        } else {
            String::new()
        },
    ));
    let rate = if elapsed > 0.0 {
        acquired as f64 / elapsed
    } else {
        0.0
    };
    t.push_str(&format!(
        "throughput  {rate:.2} frames/s, {}/s written\n",
        human::bytes((bytes as f64 / elapsed.max(1e-9)) as u64)
    ));
    if running && rate > 0.0 && planned > acquired {
        t.push_str(&format!(
            "remaining   about {} at this rate\n",
            human::duration((planned - acquired) as f64 / rate)
        ));
    }
    t.push_str(&format!(
        "{:<16} {:>8} {:>10} {:>10} {:>10}\n",
        "steps", "count", "p50", "p99", "max"
    ));
    for (k, v) in &steps {
        t.push_str(&format!(
            "  {k:<14} {:>8} {:>10} {:>10} {:>10}\n",
            human::count(v.len() as u64),
            ms(percentile(v, 50.0)),
            ms(percentile(v, 99.0)),
            ms(v.last().copied().unwrap_or(f64::NAN))
        ));
    }
    t.push_str(&format!(
        "errors      {errors} step errors, {} retries, {} FOV visits skipped, {timeouts} timeouts\n",
        record.counts.retries,
        skipped.len()
    ));
    let maps: Vec<_> = journal_of!(journal, FocusMap).collect();
    for m in &maps {
        let measured = m.points.iter().filter(|p| p.z_mm.is_some()).count();
        t.push_str(&format!(
            "focus map   t={}: {measured} of {} points{}{}\n",
            m.t,
            m.points.len(),
            match (&m.surface, m.rms_um, m.max_residual_um) {
                (Some(s), Some(rms), Some(max)) => format!(
                    ", {} with residuals rms {rms:.2} µm, max {max:.2} µm",
                    s.kind.name()
                ),
                _ => String::new(),
            },
            m.failed
                .as_ref()
                .map_or_else(String::new, |f| format!("; FAILED: {f}"))
        ));
        for p in m.points.iter().filter(|p| p.error.is_some()) {
            t.push_str(&format!(
                "              {} dropped: {}\n",
                p.well,
                p.error.as_deref().unwrap_or("")
            ));
        }
    }
    let focus = crate::run_dir::focus::of(&journal);
    if let Some(q) = &focus {
        t.push_str(&format!(
            "focus       {:.1} % of {} fields within the depth of field (±{:.2} µm); |error| p50 {:.2}, p90 {:.2}, max {:.2} µm (against the simulated surface)\n",
            q.in_focus_fraction * 100.0,
            q.fields,
            q.depth_of_field_um / 2.0,
            q.abs_error_p50_um,
            q.abs_error_p90_um,
            q.abs_error_max_um
        ));
    }
    let placed = crate::run_dir::focus::placement_of(&journal);
    let plate_at = journal_of!(journal, Start).find_map(|s| s.plate_placement.clone());
    if let Some(p) = &plate_at {
        let from = match p["from"].as_str() {
            Some("calibration") => format!(
                "calibration of {} ({})",
                p["calibrated"].as_str().unwrap_or("?"),
                p["file"].as_str().unwrap_or("?")
            ),
            Some("protocol") => "the protocol's a1_position".into(),
            _ => "nominal (not calibrated)".into(),
        };
        t.push_str(&format!(
            "plate at    A1 ({:.3}, {:.3}) mm, rotated {:+.3}°, from {from}\n",
            p["a1_mm"][0].as_f64().unwrap_or(f64::NAN),
            p["a1_mm"][1].as_f64().unwrap_or(f64::NAN),
            p["rotation_deg"].as_f64().unwrap_or(0.0),
        ));
    }
    if let Some(q) = &placed {
        t.push_str(&format!(
            "placement   {} fields from their planned place on the well: p50 {:.1} µm, max {:.1} µm (against the simulated plate)\n",
            q.fields, q.error_p50_um, q.error_max_um
        ));
    }
    let longest_wait = journal_of!(journal, BackPressure)
        .map(|b| b.waited_s)
        .fold(None, |m: Option<f64>, w| Some(m.map_or(w, |m| m.max(w))));
    if record.counts.backpressure_waits > 0 {
        t.push_str(&format!(
            "savers      {} frames waited for room in the savers' queue, {} in all{} (back-pressure: the disk was slower than the camera)\n",
            human::count(record.counts.backpressure_waits),
            human::duration(record.counts.backpressure_s),
            longest_wait.map_or(String::new(), |l| format!(", longest {}", human::duration(l)))
        ));
    }
    let links = crate::run_dir::journal::records::link_totals(&journal);
    for (device, h) in &links {
        t.push_str(&format!("link        {device}: {}\n", h.summary()));
    }
    for s in skipped.iter().take(10) {
        t.push_str(&format!(
            "  skipped t={} {} fov {}: {}\n",
            s.t,
            region(s.region),
            s.fov,
            s.error
        ));
    }
    if rounds.len() > 1 || rounds.iter().any(|r| r.late_s > 0.5) {
        t.push_str("time points\n");
        for r in rounds.iter().take(50) {
            let late = r.late_s;
            let mut what = if r.skipped {
                format!("SKIPPED ({} late)", human::duration(late))
            } else if late > 0.5 {
                format!("{} late", human::duration(late))
            } else {
                "on time".into()
            };
            if let Some(c) = r.continued_late_s {
                what.push_str(&format!(
                    ", interrupted, continued by resume {} after its start time",
                    human::duration(c)
                ));
            }
            t.push_str(&format!("  t={:<5} {what}\n", r.t));
        }
    }
    if args.json {
        let _ = std::io::stderr().write_all(t.as_bytes());
        super::print_json(&json!({
            "command": "report",
            "run_dir": rd.root.display().to_string(),
            "state": record.state,
            "fault": run_dir::journal::records::last_end(&journal).and_then(|e| e.fault.clone()),
            "possibly_stalled": stalled,
            "heartbeat_age_s": beat_age,
            "elapsed_s": elapsed,
            "planned": planned,
            "acquired": acquired,
            "saved": saved_planes,
            "bytes_written": bytes,
            "frames_per_s": rate,
            "steps": steps.iter().map(|(k, v)| (k.clone(), json!({
                "count": v.len(), "p50_s": percentile(v, 50.0), "p99_s": percentile(v, 99.0), "max_s": v.last(),
            }))).collect::<serde_json::Map<String, Value>>(),
            "step_errors": errors,
            "retries": record.counts.retries,
            "skipped_fovs": skipped.len(),
            "timeouts": timeouts,
            "focus_maps": maps,
            "in_focus_fraction": focus.as_ref().map(|q| q.in_focus_fraction),
            "focus": focus,
            "plate_placement": plate_at,
            "placement": placed,
            "backpressure": {"waits": record.counts.backpressure_waits, "waited_s": record.counts.backpressure_s, "longest_s": longest_wait},
            "links": links.iter().map(|(d, h)| json!({"device": d, "health": h})).collect::<Vec<_>>(),
            "time_points": rounds.iter().map(|r| json!({"t": r.t, "late_s": r.late_s, "skipped": r.skipped, "continued_late_s": r.continued_late_s})).collect::<Vec<_>>(),
            "record": record,
        }));
    } else {
        let _ = std::io::stdout().write_all(t.as_bytes());
    }
    Exit::Completed
}

/// One time point as `report` tells it.
struct RoundLine {
    t: u32,
    /// How late it started (or would have: skipped).
    late_s: f64,
    skipped: bool,
    /// When a resume carried on with it after an interruption: how late, from its schedule.
    continued_late_s: Option<f64>,
}

/// The time points in the order they ran. A resume starts the time point it interrupted once
/// more; that is the same time point continued, not a second one.
fn time_points(journal: &[Entry]) -> Vec<RoundLine> {
    let mut out: Vec<RoundLine> = Vec::new();
    let mut index: std::collections::HashMap<(u32, u64), usize> = Default::default();
    for e in journal {
        let (tp, skipped) = match &e.record {
            Record::TimepointStart(t) => (t, false),
            Record::TimepointSkipped(t) => (t, true),
            _ => continue,
        };
        match index.get(&(tp.t, tp.sweep)) {
            Some(&i) if !skipped && !out[i].skipped => {
                out[i].continued_late_s = Some(tp.late_s.max(0.0));
            }
            Some(_) => {}
            None => {
                index.insert((tp.t, tp.sweep), out.len());
                out.push(RoundLine {
                    t: tp.t,
                    late_s: tp.late_s,
                    skipped,
                    continued_late_s: None,
                });
            }
        }
    }
    out
}
