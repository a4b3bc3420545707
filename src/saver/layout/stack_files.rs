//! Stacked formats (OME-TIFF, OME-Zarr) share which frames go into one file: a channel's
//! z stack at one FOV visit, or every channel of it (`output.grouping`).

use super::FileKey;
use crate::plan::{Event, Plan, PlanChannel};
use crate::protocol::schema::{Axis, Grouping};

/// The file a frame belongs to.
pub fn key(grouping: Grouping, ev: &Event) -> FileKey {
    FileKey {
        t: ev.t,
        region: ev.region,
        fov: ev.fov,
        channel: match grouping {
            Grouping::Channel => Some(ev.channel),
            Grouping::Fov => None,
        },
        z: None,
    }
}

/// The plan's channels in a file: the one, or those taken at its time point.
pub fn channels(plan: &Plan, key: &FileKey) -> Vec<u32> {
    match key.channel {
        Some(c) => vec![c],
        None => (0..plan.channels.len() as u32)
            .filter(|&c| plan.channels[c as usize].active_at(key.t))
            .collect(),
    }
}

pub fn expected_planes(plan: &Plan, key: &FileKey) -> u32 {
    channels(plan, key)
        .iter()
        .map(|&c| {
            let c: &PlanChannel = &plan.channels[c as usize];
            plan.planes(c) as u32
        })
        .sum()
}

/// True when every plane of a file is taken within one FOV visit.
pub fn files_within_visit(plan: &Plan, grouping: Grouping) -> bool {
    let visit = plan.level(Axis::Fov).max(plan.level(Axis::Well));
    let z = plan.level(Axis::Z) > visit;
    let c = grouping == Grouping::Channel || plan.level(Axis::Channel) > visit;
    z && c
}

/// Files of a whole plan: one per FOV and time point and, grouped by channel, per channel
/// taken at that time point.
pub fn file_count(plan: &Plan) -> u64 {
    match plan.output.grouping {
        Grouping::Channel => plan
            .channels
            .iter()
            .map(|c| plan.total_fovs() * plan.timepoints_of(c))
            .sum(),
        Grouping::Fov => plan.total_fovs() * timepoints_with_any(plan),
    }
}

/// Time points at which at least one channel is taken: those divisible by some channel's
/// `every`, counted by inclusion and exclusion over the distinct values.
fn timepoints_with_any(plan: &Plan) -> u64 {
    let n = plan.time.count as u64;
    let mut every: Vec<u64> = plan
        .channels
        .iter()
        .map(|c| c.every.max(1) as u64)
        .collect();
    every.sort_unstable();
    every.dedup();
    // A multiple of another `every` adds no time point of its own.
    let every: Vec<u64> = every
        .iter()
        .copied()
        .filter(|&e| !every.iter().any(|&d| d < e && e % d == 0))
        .collect();
    if every.len() > 16 {
        return (0..plan.time.count)
            .filter(|&t| plan.channels.iter().any(|c| c.active_at(t)))
            .count() as u64;
    }
    let mut total: i128 = 0;
    for mask in 1u32..(1 << every.len()) {
        let mut l: u128 = 1;
        for (i, &e) in every.iter().enumerate() {
            if mask & (1 << i) != 0 {
                l = lcm(l, e as u128).min(n as u128 + 1);
            }
        }
        let hits = (n as u128).div_ceil(l) as i128;
        total += if mask.count_ones() % 2 == 1 {
            hits
        } else {
            -hits
        };
    }
    total.max(0) as u64
}

fn lcm(a: u128, b: u128) -> u128 {
    fn gcd(a: u128, b: u128) -> u128 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    a / gcd(a, b) * b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fov_grouping_counts_one_file_per_fov_visit() {
        let mut plan =
            crate::test_support::plan_from(include_str!("../../../protocols/quickstart.yaml"));
        assert_eq!(file_count(&plan), 24);
        plan.output.grouping = Grouping::Fov;
        assert_eq!(file_count(&plan), 12);
    }

    #[test]
    fn time_points_with_any_channel_match_counting_them() {
        let mut plan =
            crate::test_support::plan_from(include_str!("../../../protocols/quickstart.yaml"));
        for (count, everys) in [
            (1u32, vec![1u32, 1]),
            (10, vec![2, 3]),
            (97, vec![4, 6, 10]),
            (1000, vec![7, 14, 5, 3]),
            (5, vec![9]),
        ] {
            plan.time.count = count;
            let base = plan.channels[0].clone();
            plan.channels = everys
                .iter()
                .map(|&e| {
                    let mut c = base.clone();
                    c.every = e;
                    c
                })
                .collect();
            let brute = (0..count)
                .filter(|&t| plan.channels.iter().any(|c| c.active_at(t)))
                .count() as u64;
            assert_eq!(timepoints_with_any(&plan), brute, "{count} {everys:?}");
        }
    }
}
