//! Totals and a duration estimate without walking every event.
//!
//! Counts (events, frames, bytes) are closed-form. The duration walks the plan at the
//! granularity of "blocks" — the innermost run of z/channel loops at one FOV — whose cost is
//! the same for every FOV and so computed once per kind. For Squid's default order that is
//! one step per FOV per time point: a 960-million-event plan is 3.8 million steps.

use std::collections::HashMap;

use super::Plan;
use super::events::{Coord, Odometer, VisitTracker};
use super::round::Round;
use crate::microscope::timing::Timing;
use crate::protocol::schema::{AfMethod, Axis, Overrun};

/// Time spent per kind of work, seconds.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Breakdown {
    pub stage_xy_s: f64,
    pub stage_z_s: f64,
    pub exposure_s: f64,
    pub readout_s: f64,
    pub switching_s: f64,
    pub autofocus_s: f64,
    pub waiting_s: f64,
    /// Connecting and homing before the first frame.
    pub startup_s: f64,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Estimate {
    pub regions: u64,
    pub fovs: u64,
    pub planes: u64,
    pub channels: u64,
    pub timepoints: u32,
    /// Frames the plan asks for (closed form).
    pub frames: u64,
    /// Frames that would actually be taken (fewer when `overrun: skip` drops time points).
    pub frames_acquired: u64,
    pub files: u64,
    /// Approximate bytes on disk before compression.
    pub bytes: u64,
    pub bytes_per_frame: u64,
    pub autofocus_runs: u64,
    pub duration_s: f64,
    pub breakdown: Breakdown,
    pub rounds_total: u64,
    pub overruns: u64,
    pub skipped: u64,
    pub max_late_s: f64,
    /// The first rounds in full (at most [`ROUND_RECORD_LIMIT`]).
    pub rounds: Vec<Round>,
}

pub const ROUND_RECORD_LIMIT: usize = 10_000;

/// The inner z/channel loops at one FOV, costed once per kind.
#[derive(Clone, Copy, Debug)]
struct Block {
    frames: u64,
    first_dz_um: f64,
    first_ch: u32,
    last_dz_um: f64,
    last_ch: u32,
    z_s: f64,
    switch_s: f64,
    exposure_s: f64,
    readout_s: f64,
}

impl Block {
    fn internal_s(&self) -> f64 {
        self.z_s + self.switch_s + self.exposure_s + self.readout_s
    }
}

const T: usize = Axis::Time as usize;
const P: usize = Axis::Well as usize;
const G: usize = Axis::Fov as usize;
const Z: usize = Axis::Z as usize;
const C: usize = Axis::Channel as usize;

fn block(plan: &Plan, timing: &Timing, inner: &[Axis], base: Coord) -> Option<Block> {
    let mut odo = Odometer::new(plan, inner, base, &[]);
    let mut b: Option<Block> = None;
    while let Some(c) = odo.next_coord() {
        let ch = &plan.channels[c[C] as usize];
        let dz = plan.z_offset_um(ch, c[Z] as usize);
        let exp = ch.exposure.secs();
        match &mut b {
            None => {
                b = Some(Block {
                    frames: 1,
                    first_dz_um: dz,
                    first_ch: c[C],
                    last_dz_um: dz,
                    last_ch: c[C],
                    z_s: 0.0,
                    switch_s: timing.light_s,
                    exposure_s: exp,
                    readout_s: timing.readout_s,
                })
            }
            Some(b) => {
                b.frames += 1;
                b.z_s += timing.z_move_s((dz - b.last_dz_um) / 1000.0);
                if c[C] != b.last_ch {
                    b.switch_s += timing.switch_s;
                }
                b.switch_s += timing.light_s;
                b.exposure_s += exp;
                b.readout_s += timing.readout_s;
                b.last_dz_um = dz;
                b.last_ch = c[C];
            }
        }
    }
    b
}

/// Files and bytes a whole plan writes, as its output format counts them
/// (`saver::layout::footprint`; the plan does not know the formats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    pub files: u64,
    pub bytes: u64,
}

impl Plan {
    /// Time, counts and lateness in closed form; `footprint` is what the output format
    /// writes (`saver::layout::footprint(plan)`).
    pub fn estimate(&self, timing: &Timing, footprint: Footprint) -> Estimate {
        let plan = self;
        let frames = plan.total_frames();
        let bytes_per_frame = plan.frame.bytes();
        let mut est = Estimate {
            regions: plan.regions.len() as u64,
            fovs: plan.total_fovs(),
            planes: plan.z_offsets_um.len() as u64,
            channels: plan.channels.len() as u64,
            timepoints: plan.time.count,
            frames,
            frames_acquired: 0,
            files: footprint.files,
            bytes: footprint.bytes,
            bytes_per_frame,
            autofocus_runs: 0,
            duration_s: 0.0,
            breakdown: Breakdown::default(),
            rounds_total: 0,
            overruns: 0,
            skipped: 0,
            max_late_s: 0.0,
            rounds: Vec::new(),
        };

        let split = plan
            .order
            .iter()
            .rposition(|a| !matches!(a, Axis::Z | Axis::Channel))
            .map_or(0, |i| i + 1);
        let (outer, inner) = plan.order.split_at(split);
        let z_outer = outer.contains(&Axis::Z);
        let c_outer = outer.contains(&Axis::Channel);
        let mut blocks: HashMap<(u64, u32, u32), Option<Block>> = HashMap::new();
        let mut odo = Odometer::new(plan, outer, [0; 5], inner);
        let mut tracker = VisitTracker::new(plan);
        let interval = plan.time.interval.secs();
        let af = &plan.autofocus;
        let cost_of = |af: &super::AutofocusPlan| match af.method {
            AfMethod::None => 0.0,
            AfMethod::Contrast => timing.contrast_af_s(
                af.range_um,
                af.step_um,
                plan.channels
                    .get(af.channel)
                    .map_or(0.0, |c| c.exposure.secs()),
            ),
            AfMethod::Laser => timing.laser_af_s(),
        };
        let af_cost = cost_of(af);
        let mut map_period: Option<u32> = None;
        // The runner starts each autofocus from the region's last focus: a laser then only
        // confirms it (a contrast scan covers its whole range either way).
        let refocus_cost = match af.method {
            AfMethod::Laser => timing.laser_refocus_s(),
            _ => af_cost,
        };
        let mut focused: std::collections::HashSet<u32> = std::collections::HashSet::new();

        let mut now = 0.0f64;
        let mut sweep_origin = 0.0f64;
        let mut sweep: u64 = 0;
        let mut prev: Option<(f64, f64, f64, u32)> = None;
        let mut skipping = false;
        let mut round: Option<Round> = None;
        let bd = &mut est.breakdown;

        let close =
            |r: Option<Round>, now: f64, est_rounds: &mut Vec<Round>, overruns: &mut u64| {
                if let Some(mut r) = r {
                    r.close(now, interval, plan.time.count);
                    if r.overran {
                        *overruns += 1;
                    }
                    if est_rounds.len() < ROUND_RECORD_LIMIT {
                        est_rounds.push(r);
                    }
                }
            };

        while let Some(c) = odo.next_coord() {
            let mask: u64 = plan
                .channels
                .iter()
                .enumerate()
                .filter(|(_, ch)| ch.active_at(c[T]))
                .fold(0, |m, (i, _)| m | (1u64 << (i % 64)));
            let key = (
                mask,
                if z_outer { c[Z] } else { u32::MAX },
                if c_outer { c[C] } else { u32::MAX },
            );
            let b = *blocks
                .entry(key)
                .or_insert_with(|| block(plan, timing, inner, c));
            let Some(b) = b else { continue };
            let marks = tracker.observe(plan, &c);
            if marks.round_start {
                close(round.take(), now, &mut est.rounds, &mut est.overruns);
                est.rounds_total += 1;
                if marks.sweep_start {
                    sweep_origin = now;
                    sweep += 1;
                }
                let scheduled = sweep_origin + plan.scheduled_s(c[T]);
                let late = now - scheduled;
                skipping = plan.time.overrun == Overrun::Skip && late > plan.time.skip_grace_s();
                if skipping {
                    est.skipped += 1;
                } else if late < 0.0 {
                    bd.waiting_s -= late;
                    now = scheduled;
                } else {
                    est.max_late_s = est.max_late_s.max(late);
                }
                round = Some(Round::start(c[T], sweep - 1, scheduled, now, skipping));
            }
            if skipping {
                continue;
            }
            // A focus map due: every point visited and focused before the first field.
            if let Some(fm) = &plan.focus_map
                && map_period != Some(fm.period(c[T]))
            {
                map_period = Some(fm.period(c[T]));
                let cost = cost_of(&fm.autofocus);
                for &(_, x, y, r) in &fm.points {
                    let (px, py, pz, pch) =
                        prev.unwrap_or((x, y, plan.regions[r as usize].z_mm, u32::MAX));
                    let xy = timing.xy_move_s(x - px, y - py);
                    bd.stage_xy_s += xy;
                    bd.autofocus_s += cost;
                    now += xy + cost;
                    est.autofocus_runs += 1;
                    if let Some(r) = &mut round {
                        r.autofocus_runs += 1;
                        r.autofocus_s += cost;
                    }
                    prev = Some((x, y, pz, pch));
                }
            }
            let region = &plan.regions[c[P] as usize];
            let (x, y) = region.fovs[c[G] as usize];
            let (px, py, mut pz, pch) = prev.unwrap_or((x, y, region.z_mm, u32::MAX));
            let xy = timing.xy_move_s(x - px, y - py);
            bd.stage_xy_s += xy;
            now += xy;
            if marks.autofocus {
                let af_cost = if focused.insert(c[P]) {
                    af_cost
                } else {
                    refocus_cost
                };
                let to_ref = timing.z_move_s(region.z_mm - pz);
                bd.stage_z_s += to_ref;
                bd.autofocus_s += af_cost;
                now += to_ref + af_cost;
                pz = region.z_mm;
                est.autofocus_runs += 1;
                if let Some(r) = &mut round {
                    r.autofocus_runs += 1;
                    r.autofocus_s += af_cost;
                }
            }
            let entry_z = region.z_mm + b.first_dz_um / 1000.0;
            let dz = timing.z_move_s(entry_z - pz);
            let sw = if pch != b.first_ch {
                timing.switch_s
            } else {
                0.0
            };
            bd.stage_z_s += dz + b.z_s;
            bd.switching_s += sw + b.switch_s;
            bd.exposure_s += b.exposure_s;
            bd.readout_s += b.readout_s;
            now += dz + sw + b.internal_s();
            est.frames_acquired += b.frames;
            if let Some(r) = &mut round {
                r.frames += b.frames;
            }
            prev = Some((x, y, region.z_mm + b.last_dz_um / 1000.0, b.last_ch));
        }
        close(round.take(), now, &mut est.rounds, &mut est.overruns);
        est.breakdown.startup_s = timing.startup_s;
        est.duration_s = now + timing.startup_s;
        est
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::plan_from;

    #[test]
    fn single_fov_single_frame() {
        let plan = plan_from(
            "name: t\npositions: [{name: a, x: 10mm, y: 10mm}]\nchannels: [{name: BF, exposure: 20ms, intensity: 10%}]\n",
        );
        let e = plan.estimate(
            &crate::microscope::MicroscopeConfig::builtin()
                .expect("m")
                .timing(),
            Default::default(),
        );
        assert_eq!(e.frames, 1);
        assert_eq!(e.frames_acquired, 1);
        // One switch on, 20 ms exposure, 10 ms readout; no moves.
        assert!(
            (e.duration_s - (0.005 + 0.020 + 0.010)).abs() < 1e-9,
            "{}",
            e.duration_s
        );
    }

    #[test]
    fn time_lapse_waits_for_each_time_point() {
        let plan = plan_from(
            "name: t\npositions: [{name: a, x: 10mm, y: 10mm}]\nchannels: [{name: BF, exposure: 20ms, intensity: 10%}]\ntime: {every: 1m, count: 3}\n",
        );
        let e = plan.estimate(
            &crate::microscope::MicroscopeConfig::builtin()
                .expect("m")
                .timing(),
            Default::default(),
        );
        assert_eq!(e.rounds_total, 3);
        assert!(
            (e.duration_s - (120.0 + 0.030)).abs() < 1e-6,
            "{}",
            e.duration_s
        );
        assert_eq!(e.overruns, 0);
    }

    #[test]
    fn overrunning_rounds_run_late_or_skip() {
        let base = "name: t\nplate: {format: 96, wells: \"A1:H12\"}\nfov: {grid: 3x3}\nchannels: [{name: BF, exposure: 200ms, intensity: 10%}]\n";
        let m = crate::microscope::MicroscopeConfig::builtin().expect("m");
        let late = plan_from(&format!("{base}time: {{every: 10s, count: 4}}\n"))
            .estimate(&m.timing(), Default::default());
        assert_eq!(late.frames_acquired, late.frames);
        assert_eq!(late.overruns, 4);
        assert!(late.max_late_s > 0.0);
        let skip = plan_from(&format!(
            "{base}time: {{every: 10s, count: 4, overrun: skip}}\n"
        ))
        .estimate(&m.timing(), Default::default());
        assert!(skip.skipped > 0);
        assert!(skip.frames_acquired < skip.frames);
        assert_eq!(
            skip.rounds.iter().filter(|r| r.skipped).count() as u64,
            skip.skipped
        );
    }
}
