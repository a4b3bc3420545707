//! The lazy event iterator. A plan of a billion events costs the same memory as one of ten:
//! events are produced by an odometer over the five loops, skipping combinations the
//! protocol excludes (a channel's off time points, single-plane channels, regions with fewer
//! FOVs) by jumping whole sub-trees rather than testing them one by one.

use super::Plan;
use crate::protocol::schema::{AfEvery, AfMethod, Axis};

/// Loop indices, indexed by `Axis as usize`: time, well, fov, z, channel.
pub type Coord = [u32; 5];

const T: usize = Axis::Time as usize;
const P: usize = Axis::Well as usize;
const G: usize = Axis::Fov as usize;
const Z: usize = Axis::Z as usize;
const C: usize = Axis::Channel as usize;

/// One frame to acquire, with everything the runner needs to do it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Position in the plan's sequence (0-based).
    pub seq: u64,
    pub t: u32,
    pub region: u32,
    pub fov: u32,
    pub z: u32,
    pub channel: u32,
    /// Planned stage position, mm. `z_mm` is the focus reference plus the plane's offset;
    /// the runner substitutes the autofocus result for the reference.
    pub x_mm: f64,
    pub y_mm: f64,
    pub z_mm: f64,
    pub z_offset_um: f64,
    /// First event of a time point: the runner waits for its scheduled start.
    pub round_start: bool,
    /// First event of a time-lapse sweep: the time point clock restarts here (only differs
    /// from `t == 0` when time is not the outermost loop).
    pub sweep_start: bool,
    /// The stage arrives at a new FOV here.
    pub visit_start: bool,
    /// Run autofocus before this event.
    pub autofocus: bool,
}

/// The constraints, each over two axes.
const CONSTRAINTS: [(usize, usize); 3] = [(P, G), (T, C), (Z, C)];

/// An odometer over some of the loops (outer to inner), with the others fixed or free.
/// Constraints over a free axis are not checked (the caller iterates it separately).
pub(crate) struct Odometer<'a> {
    plan: &'a Plan,
    levels: Vec<usize>,
    depth: [usize; 5],
    iterated: [bool; 5],
    free: [bool; 5],
    coord: Coord,
    started: bool,
    done: bool,
}

impl<'a> Odometer<'a> {
    pub(crate) fn new(plan: &'a Plan, levels: &[Axis], base: Coord, free: &[Axis]) -> Self {
        let mut depth = [0; 5];
        for (i, a) in plan.order.iter().enumerate() {
            depth[*a as usize] = i;
        }
        let mut iterated = [false; 5];
        let mut f = [false; 5];
        for a in levels {
            iterated[*a as usize] = true;
        }
        for a in free {
            f[*a as usize] = true;
        }
        let mut coord = base;
        for a in levels {
            coord[*a as usize] = 0;
        }
        Odometer {
            plan,
            levels: levels.iter().map(|a| *a as usize).collect(),
            depth,
            iterated,
            free: f,
            coord,
            started: false,
            done: false,
        }
    }

    fn extent(&self, axis: usize) -> u32 {
        let p = self.plan;
        match axis {
            T => p.time.count,
            P => p.regions.len() as u32,
            G => p.max_fovs,
            Z => p.z_offsets_um.len() as u32,
            _ => p.channels.len() as u32,
        }
    }

    /// The axis to advance when the current coordinate is excluded, if it is.
    fn violation(&self) -> Option<usize> {
        let p = self.plan;
        let c = &self.coord;
        for (a, b) in CONSTRAINTS {
            if self.free[a] || self.free[b] {
                continue;
            }
            let ok = match (a, b) {
                (P, G) => (c[G] as usize) < p.regions[c[P] as usize].fovs.len(),
                (T, C) => p.channels[c[C] as usize].active_at(c[T]),
                _ => {
                    let ch = &p.channels[c[C] as usize];
                    ch.stack || c[Z] as usize == p.z_ref
                }
            };
            if !ok {
                return Some(if self.depth[a] > self.depth[b] { a } else { b });
            }
        }
        None
    }

    /// Advance `axis`, resetting everything inside it and carrying outward.
    fn bump(&mut self, axis: usize) -> bool {
        let Some(mut level) = self.levels.iter().position(|a| *a == axis) else {
            self.done = true;
            return false;
        };
        for &inner in &self.levels[level + 1..] {
            self.coord[inner] = 0;
        }
        loop {
            let a = self.levels[level];
            self.coord[a] += 1;
            if self.coord[a] < self.extent(a) {
                return true;
            }
            self.coord[a] = 0;
            if level == 0 {
                self.done = true;
                return false;
            }
            level -= 1;
        }
    }

    pub(crate) fn next_coord(&mut self) -> Option<Coord> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            if self.levels.iter().any(|&a| self.extent(a) == 0) {
                self.done = true;
                return None;
            }
        } else {
            match self.levels.last() {
                Some(&inner) => {
                    if !self.bump(inner) {
                        return None;
                    }
                }
                None => {
                    self.done = true;
                    return None;
                }
            }
        }
        loop {
            match self.violation() {
                None => return Some(self.coord),
                Some(axis) if self.iterated[axis] => {
                    if !self.bump(axis) {
                        return None;
                    }
                }
                Some(_) => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

/// What happens at a coordinate beyond the frame itself: a new time point, a new FOV visit,
/// an autofocus. Shared by the event iterator and the estimate so both count the same.
#[derive(Clone, Debug)]
pub(crate) struct VisitTracker {
    /// Axes outside the time loop: when one changes, a new time-lapse sweep begins.
    outer: Vec<usize>,
    prev: Option<Coord>,
    visits_in_round: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Marks {
    pub round_start: bool,
    pub sweep_start: bool,
    pub visit_start: bool,
    pub autofocus: bool,
}

impl VisitTracker {
    pub(crate) fn new(plan: &Plan) -> Self {
        let tl = plan.level(Axis::Time);
        VisitTracker {
            outer: plan.order[..tl].iter().map(|a| *a as usize).collect(),
            prev: None,
            visits_in_round: 0,
        }
    }

    pub(crate) fn observe(&mut self, plan: &Plan, c: &Coord) -> Marks {
        let (round_start, sweep_start) = match &self.prev {
            None => (true, true),
            Some(prev) => {
                let sweep = self.outer.iter().any(|&a| prev[a] != c[a]);
                (sweep || prev[T] != c[T], sweep)
            }
        };
        let moved = self.prev.is_none_or(|p| p[P] != c[P] || p[G] != c[G]);
        let visit_start = round_start || moved;
        let region_changed = self.prev.is_none_or(|p| p[P] != c[P]);
        if round_start {
            self.visits_in_round = 0;
        }
        let af = &plan.autofocus;
        let autofocus = visit_start
            && af.method != AfMethod::None
            && (!af.first_timepoint_only || c[T] == 0)
            && match af.every {
                AfEvery::Fov => true,
                AfEvery::Well => round_start || region_changed,
                AfEvery::Fovs(n) => self.visits_in_round.is_multiple_of(n as u64),
            };
        if visit_start {
            self.visits_in_round += 1;
        }
        self.prev = Some(*c);
        Marks {
            round_start,
            sweep_start,
            visit_start,
            autofocus,
        }
    }
}

/// Events in acquisition order.
pub struct Events<'a> {
    plan: &'a Plan,
    odo: Odometer<'a>,
    tracker: VisitTracker,
    seq: u64,
}

impl<'a> Events<'a> {
    pub fn new(plan: &'a Plan) -> Self {
        Events {
            plan,
            odo: Odometer::new(plan, &plan.order, [0; 5], &[]),
            tracker: VisitTracker::new(plan),
            seq: 0,
        }
    }
}

impl Iterator for Events<'_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let c = self.odo.next_coord()?;
        let marks = self.tracker.observe(self.plan, &c);
        let region = &self.plan.regions[c[P] as usize];
        let (x, y) = region.fovs[c[G] as usize];
        let ch = &self.plan.channels[c[C] as usize];
        let dz = self.plan.z_offset_um(ch, c[Z] as usize);
        let e = Event {
            seq: self.seq,
            t: c[T],
            region: c[P],
            fov: c[G],
            z: c[Z],
            channel: c[C],
            x_mm: x,
            y_mm: y,
            z_mm: region.z_mm + dz / 1000.0,
            z_offset_um: dz,
            round_start: marks.round_start,
            sweep_start: marks.sweep_start,
            visit_start: marks.visit_start,
            autofocus: marks.autofocus,
        };
        self.seq += 1;
        Some(e)
    }
}
