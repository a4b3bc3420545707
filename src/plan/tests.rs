//! Plan expansion checked against brute force: every loop order, per-channel rules, totals,
//! autofocus placement, and the block-wise estimate against an event-by-event one.

use std::collections::BTreeSet;

use crate::microscope::MicroscopeConfig;
use crate::plan::{Event, Plan};
use crate::protocol::schema::{AfMethod, Axis, Overrun};
use crate::test_support::{plan_from, try_plan};

const BASE: &str = "name: t
plate: {format: 96, wells: \"A1:B2, C5\"}
fov: {grid: 2x3, overlap: 10%}
z: {count: 3, step: 1um, from: center}
channels:
  - {name: BF, exposure: 10ms, intensity: 10%}
  - {name: GFP, exposure: 20ms, intensity: 10%, acquire_every: 2}
  - {name: RFP, exposure: 30ms, intensity: 10%, do_stack: false, z_offset: 1um}
time: {every: 10m, count: 5}
";

fn all_orders() -> Vec<[Axis; 5]> {
    fn perms(rest: Vec<Axis>, acc: Vec<Axis>, out: &mut Vec<[Axis; 5]>) {
        if rest.is_empty() {
            if let Ok(a) = <[Axis; 5]>::try_from(acc) {
                out.push(a);
            }
            return;
        }
        for i in 0..rest.len() {
            let mut r = rest.clone();
            let x = r.remove(i);
            let mut a = acc.clone();
            a.push(x);
            perms(r, a, out);
        }
    }
    let mut out = Vec::new();
    perms(Axis::ALL.to_vec(), Vec::new(), &mut out);
    out
}

fn order_yaml(o: &[Axis; 5]) -> String {
    o.iter().map(|a| a.letter()).collect()
}

/// The events the protocol asks for, by brute force over the full product.
fn brute(plan: &Plan) -> BTreeSet<(u32, u32, u32, u32, u32)> {
    let mut s = BTreeSet::new();
    for t in 0..plan.time.count {
        for (p, r) in plan.regions.iter().enumerate() {
            for g in 0..r.fovs.len() {
                for z in 0..plan.z_offsets_um.len() {
                    for (c, ch) in plan.channels.iter().enumerate() {
                        if ch.active_at(t) && (ch.stack || z == plan.z_ref) {
                            s.insert((t, p as u32, g as u32, z as u32, c as u32));
                        }
                    }
                }
            }
        }
    }
    s
}

fn key(e: &Event, order: &[Axis; 5]) -> Vec<u32> {
    order
        .iter()
        .map(|a| match a {
            Axis::Time => e.t,
            Axis::Well => e.region,
            Axis::Fov => e.fov,
            Axis::Z => e.z,
            Axis::Channel => e.channel,
        })
        .collect()
}

#[test]
fn every_order_yields_exactly_the_brute_force_set_in_nesting_order() {
    for order in all_orders() {
        let plan = plan_from(&format!("{BASE}order: {}\n", order_yaml(&order)));
        let events: Vec<Event> = plan.events().collect();
        let expect = brute(&plan);
        let got: BTreeSet<_> = events
            .iter()
            .map(|e| (e.t, e.region, e.fov, e.z, e.channel))
            .collect();
        assert_eq!(got, expect, "order {order:?}");
        assert_eq!(events.len() as u64, plan.total_frames(), "order {order:?}");
        for w in events.windows(2) {
            assert!(
                key(&w[0], &order) < key(&w[1], &order),
                "order {order:?} not nested"
            );
            assert_eq!(w[1].seq, w[0].seq + 1);
        }
    }
}

#[test]
fn totals_match_counting() {
    let plan = plan_from(BASE);
    // 5 wells × 6 FOVs = 30; BF 5 t × 3 z, GFP 3 t × 3 z, RFP 5 t × 1 z.
    assert_eq!(plan.total_fovs(), 30);
    assert_eq!(plan.total_frames(), 30 * (15 + 9 + 5));
    assert_eq!(plan.events().count() as u64, plan.total_frames());
    for (i, c) in plan.channels.iter().enumerate() {
        let n = plan.events().filter(|e| e.channel as usize == i).count() as u64;
        assert_eq!(n, plan.frames_of(c), "{}", c.name);
    }
}

#[test]
fn every_nth_and_single_plane_channels() {
    let plan = plan_from(BASE);
    for e in plan.events() {
        let ch = &plan.channels[e.channel as usize];
        match ch.name.as_str() {
            "GFP" => assert_eq!(e.t % 2, 0),
            "RFP" => {
                assert_eq!(e.z as usize, plan.z_ref);
                // The single plane sits at the focus plus the channel's own offset.
                assert!((e.z_offset_um - 1.0).abs() < 1e-12);
            }
            _ => {}
        }
    }
    let gfp_ts: BTreeSet<u32> = plan
        .events()
        .filter(|e| e.channel == 1)
        .map(|e| e.t)
        .collect();
    assert_eq!(gfp_ts, [0, 2, 4].into_iter().collect());
}

#[test]
fn z_positions_follow_the_stack() {
    let plan = plan_from(BASE);
    let zs: BTreeSet<i64> = plan
        .events()
        .filter(|e| e.channel == 0)
        .map(|e| (e.z_offset_um * 1000.0).round() as i64)
        .collect();
    assert_eq!(zs, [-1000, 0, 1000].into_iter().collect());
    let e = plan.events().next().expect("event");
    assert!((e.z_mm - (4.0 - 0.001)).abs() < 1e-12);
}

#[test]
fn round_starts_once_per_time_point() {
    let plan = plan_from(BASE);
    let starts: Vec<u32> = plan
        .events()
        .filter(|e| e.round_start)
        .map(|e| e.t)
        .collect();
    assert_eq!(starts, vec![0, 1, 2, 3, 4]);
    let sweeps = plan.events().filter(|e| e.sweep_start).count();
    assert_eq!(sweeps, 1);
    // Time inside the well loop: each well runs its own time-lapse sweep.
    let plan = plan_from(&format!("{BASE}order: ptgzc\n"));
    assert_eq!(plan.events().filter(|e| e.sweep_start).count(), 5);
    assert_eq!(plan.events().filter(|e| e.round_start).count(), 25);
}

#[test]
fn autofocus_placement() {
    let af = |every: &str, extra: &str| {
        let plan = plan_from(&format!(
            "{BASE}autofocus: {{method: contrast, every: {every}{extra}}}\n"
        ));
        plan.events()
            .filter(|e| e.autofocus)
            .map(|e| (e.t, e.region, e.fov))
            .collect::<Vec<_>>()
    };
    // Every FOV visit: 30 per time point.
    assert_eq!(af("fov", "").len(), 5 * 30);
    // Every well: once per well per time point, at its first FOV.
    let w = af("well", "");
    assert_eq!(w.len(), 5 * 5);
    assert!(w.iter().all(|(_, _, g)| *g == 0));
    // Every 4th FOV visit of a time point: visits 0, 4, …, 28 → 8 per time point.
    assert_eq!(af("4", "").len(), 5 * 8);
    // First time point only.
    let f = af("well", ", timepoints: first");
    assert_eq!(f.len(), 5);
    assert!(f.iter().all(|(t, _, _)| *t == 0));
}

#[test]
fn regions_with_uneven_fov_counts() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("p.csv"),
        "region,x (mm),y (mm)\na,10,10\na,11,10\nb,20,20\nc,30,30\nc,31,30\nc,32,30\n",
    )
    .expect("write");
    let yaml = "name: t\npositions: p.csv\nchannels: [{name: BF, exposure: 1ms, intensity: 1%}]\norder: tgpzc\n";
    let lp = crate::protocol::LoadedProtocol::from_source(
        crate::diagnostic::SourceFile::new("t.yaml", yaml),
        dir.path().to_path_buf(),
        &[],
    )
    .expect("load");
    let plan = Plan::build(&lp, &MicroscopeConfig::builtin().expect("m")).expect("plan");
    assert_eq!(plan.max_fovs, 3);
    let ev: Vec<(u32, u32)> = plan.events().map(|e| (e.fov, e.region)).collect();
    // FOV outermost: fov 0 of a, b, c; fov 1 of a, c; fov 2 of c.
    assert_eq!(ev, vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 2)]);
    assert_eq!(plan.total_frames(), 6);
}

/// The estimate, recomputed event by event with the same timing model.
fn reference_duration(plan: &Plan, m: &MicroscopeConfig) -> (f64, u64) {
    let tm = m.timing();
    let af_cost = match plan.autofocus.method {
        AfMethod::None => 0.0,
        AfMethod::Contrast => tm.contrast_af_s(
            plan.autofocus.range_um,
            plan.autofocus.step_um,
            plan.channels[plan.autofocus.channel].exposure.secs(),
        ),
        AfMethod::Laser => tm.laser_af_s(),
    };
    // A laser refocusing a region it focused before only confirms the focus.
    let refocus_cost = match plan.autofocus.method {
        AfMethod::Laser => tm.laser_refocus_s(),
        _ => af_cost,
    };
    let mut focused = std::collections::HashSet::new();
    let mut now = 0.0;
    let mut origin = 0.0;
    let mut prev: Option<(f64, f64, f64, u32)> = None;
    let mut skipping = false;
    let mut frames = 0;
    for e in plan.events() {
        if e.round_start {
            if e.sweep_start {
                origin = now;
            }
            let sched = origin + plan.scheduled_s(e.t);
            skipping = plan.time.overrun == Overrun::Skip && now - sched > plan.time.skip_grace_s();
            if !skipping && sched > now {
                now = sched;
            }
        }
        if skipping {
            continue;
        }
        let region = &plan.regions[e.region as usize];
        let (px, py, mut pz, pch) = prev.unwrap_or((e.x_mm, e.y_mm, region.z_mm, u32::MAX));
        now += tm.xy_move_s(e.x_mm - px, e.y_mm - py);
        if e.autofocus {
            let cost = if focused.insert(e.region) {
                af_cost
            } else {
                refocus_cost
            };
            now += tm.z_move_s(region.z_mm - pz) + cost;
            pz = region.z_mm;
        }
        now += tm.z_move_s(e.z_mm - pz);
        if pch != e.channel {
            now += tm.switch_s;
        }
        now += tm.frame_s(plan.channels[e.channel as usize].exposure.secs());
        frames += 1;
        prev = Some((e.x_mm, e.y_mm, e.z_mm, e.channel));
    }
    (now, frames)
}

#[test]
fn blockwise_estimate_equals_event_by_event() {
    let m = MicroscopeConfig::builtin().expect("m");
    for order in all_orders() {
        for extra in [
            "autofocus: {method: contrast, every: well}\n",
            "autofocus: {method: laser, every: 4}\ntime: {every: 20s, count: 5, overrun: skip}\n",
            "time: {every: 1s, count: 5}\n",
        ] {
            let yaml = format!("{BASE}order: {}\n{extra}", order_yaml(&order)).replacen(
                "time: {every: 10m, count: 5}\n",
                if extra.contains("time:") {
                    ""
                } else {
                    "time: {every: 10m, count: 5}\n"
                },
                1,
            );
            let plan = match try_plan(&yaml) {
                Ok(p) => p,
                Err(e) => panic!("{yaml}\n{e}"),
            };
            let est = plan.estimate(&m.timing(), Default::default());
            let (dur, frames) = reference_duration(&plan, &m);
            assert_eq!(est.frames_acquired, frames, "order {order:?} {extra}");
            assert!(
                (est.duration_s - dur).abs() < 1e-6 * dur.max(1.0),
                "order {order:?} {extra}: {} vs {dur}",
                est.duration_s
            );
        }
    }
}
