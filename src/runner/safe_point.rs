//! Where a run may wait or stop without losing or repeating a step: before the stage moves to
//! a new FOV, never inside a z-stack or a channel set. Whoever drives the run from outside
//! (the queue) answers at each one through a [`Gate`].

use std::time::Duration;

use crate::run_dir::journal::Record;

/// How wide a boundary is: a new time point is also a new well and a new FOV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Boundary {
    Fov,
    Well,
    Timepoint,
}

/// The place a run is about to start.
#[derive(Clone, Debug)]
pub struct SafePoint {
    pub boundary: Boundary,
    pub t: u32,
    pub region: String,
    pub fov: u32,
    /// Bytes the rest of the run will write, about.
    pub remaining_bytes: u64,
}

/// What a gate may do with the run while it holds it at a safe point.
pub struct Idle<'a> {
    /// Switch every light off (before a wait).
    pub lights_off: &'a mut dyn FnMut(),
    /// Let this much time pass on the microscope's clock; false when the run is cancelled.
    pub pass: &'a dyn Fn(Duration) -> bool,
    /// Tell the run's records (the journal and its subscribers).
    pub emit: &'a dyn Fn(Record),
}

pub enum Verdict {
    Go,
    /// End the run here as cancelled, for this reason.
    Stop(String),
}

pub trait Gate: Send + Sync {
    /// At a safe point: return at once to go on, wait (paused, suspended) and then go on, or
    /// ask the run to stop here.
    fn at(&self, point: &SafePoint, idle: &mut Idle<'_>) -> Verdict;
    /// Polled during a wait between time points (which is a safe point throughout): a stop
    /// asked for now. Must be cheap.
    fn stop_wanted(&self) -> Option<String>;
}
