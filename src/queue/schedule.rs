//! Which task runs next, what each waiting task waits on, and when each is predicted to start
//! and end. Pure functions over task lists, so the rules are tested without processes.

use std::collections::HashMap;

use serde::Serialize;

use super::lease::Lease;
use super::task::{State, Task};

/// What keeps a task that is not running from starting now.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// Nothing: it can start.
    Ready,
    /// It waits, on this, until (if known) this time.
    Wait {
        on: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        until_unix: Option<f64>,
    },
    /// Past its expiry: becomes `expired`.
    Expire,
    /// A dependency it needs to have completed did not: becomes `skipped`.
    Skip { why: String },
}

/// The order tasks are considered in: interrupted runs first (they were already going),
/// then priority (high first), then position, then id.
pub fn ordered(tasks: &[Task]) -> Vec<&Task> {
    let mut v: Vec<&Task> = tasks.iter().collect();
    v.sort_by(|a, b| {
        let ka = (a.status.state != State::Interrupted, -a.status.priority);
        let kb = (b.status.state != State::Interrupted, -b.status.priority);
        ka.cmp(&kb)
            .then(a.status.order.total_cmp(&b.status.order))
            .then(a.spec.id.cmp(&b.spec.id))
    });
    v
}

/// Why `t` (queued or interrupted) cannot start at `now`, given every task's state, the
/// queue's hold and the microscope's reservation.
pub fn block(
    t: &Task,
    states: &HashMap<u64, State>,
    queue_held: bool,
    lease: Option<&Lease>,
    now: f64,
) -> Block {
    if t.spec.expires_unix.is_some_and(|e| now >= e) && t.status.state == State::Queued {
        return Block::Expire;
    }
    for dep in &t.spec.after_ok {
        match states.get(dep) {
            Some(State::Completed) => {}
            Some(s) if s.terminal() => {
                return Block::Skip {
                    why: format!("task {dep} ended {} (--after-ok {dep})", s.name()),
                };
            }
            Some(_) => {
                return Block::Wait {
                    on: format!("task {dep} to complete"),
                    until_unix: None,
                };
            }
            // Removed by gc: it ended long ago, but how is unknown.
            None => {
                return Block::Skip {
                    why: format!("task {dep} is no longer in the queue"),
                };
            }
        }
    }
    for dep in &t.spec.after {
        if states.get(dep).is_some_and(|s| !s.terminal()) {
            return Block::Wait {
                on: format!("task {dep} to end"),
                until_unix: None,
            };
        }
    }
    if queue_held {
        return Block::Wait {
            on: "the queue, which is held".into(),
            until_unix: None,
        };
    }
    if let Some(l) = lease.filter(|l| l.live(now))
        && let Err(why) = super::lease::admits(Some(l), t.spec.holder.as_deref())
    {
        return Block::Wait {
            on: why,
            until_unix: Some(l.expires_unix),
        };
    }
    if let Some(at) = t.spec.at_unix.filter(|at| *at > now) {
        return Block::Wait {
            on: "its start time".into(),
            until_unix: Some(at),
        };
    }
    if let Some(r) = t.status.retry_after_unix.filter(|r| *r > now) {
        return Block::Wait {
            on: format!("its retry (attempt {})", t.status.attempts + 1),
            until_unix: Some(r),
        };
    }
    Block::Ready
}

pub fn states(tasks: &[Task]) -> HashMap<u64, State> {
    tasks.iter().map(|t| (t.spec.id, t.status.state)).collect()
}

/// Whether a task is waiting to be started by a worker.
pub fn pending(s: State) -> bool {
    matches!(s, State::Queued | State::Interrupted)
}

/// Predicted start and end (unix seconds) of every task that has not ended, replaying the
/// worker's choices from `now`: the running task ends after what its progress says is
/// left, then each next task starts as soon as it may. Held tasks are left out.
pub fn predict(
    tasks: &[Task],
    running_left_s: &HashMap<u64, f64>,
    queue_held: bool,
    now: f64,
) -> HashMap<u64, (f64, f64)> {
    let mut out = HashMap::new();
    let mut states = states(tasks);
    let mut cursor = now;
    for t in tasks.iter().filter(|t| t.status.state.active()) {
        let left = running_left_s
            .get(&t.spec.id)
            .copied()
            .unwrap_or(t.spec.plan.estimate_s);
        let start = t.status.started_unix.unwrap_or(now);
        out.insert(t.spec.id, (start, now + left));
        cursor = cursor.max(now + left);
    }
    if queue_held {
        return out;
    }
    // Replay: ends of tasks "run" so far are taken as completed for `after-ok`.
    let mut left: Vec<&Task> = ordered(tasks)
        .into_iter()
        .filter(|t| pending(t.status.state))
        .collect();
    for t in tasks.iter().filter(|t| t.status.state.active()) {
        states.insert(t.spec.id, State::Completed);
    }
    while !left.is_empty() {
        let mut next_time = f64::INFINITY;
        let pick = left.iter().position(|t| {
            match block(t, &states, false, None, cursor) {
                Block::Ready => true,
                Block::Wait {
                    until_unix: Some(u),
                    ..
                } => {
                    next_time = next_time.min(u);
                    false
                }
                // Waits on a task that never runs here (held), or will not run at all.
                _ => false,
            }
        });
        match pick {
            Some(i) => {
                let t = left.remove(i);
                let end = cursor + t.spec.plan.estimate_s;
                out.insert(t.spec.id, (cursor, end));
                states.insert(t.spec.id, State::Completed);
                cursor = end;
            }
            None if next_time.is_finite() => cursor = next_time,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::task::{Status, test_spec};
    use super::*;

    fn task(id: u64, state: State, est: f64) -> Task {
        let mut spec = test_spec(id);
        spec.plan.estimate_s = est;
        Task {
            spec,
            status: Status::new(state, 0, id as f64, None),
        }
    }

    #[test]
    fn order_is_interrupted_then_priority_then_position() {
        let mut ts = vec![
            task(1, State::Queued, 1.0),
            task(2, State::Queued, 1.0),
            task(3, State::Interrupted, 1.0),
        ];
        ts[1].status.priority = 5;
        let ids: Vec<u64> = ordered(&ts).iter().map(|t| t.spec.id).collect();
        assert_eq!(ids, [3, 2, 1]);
    }

    #[test]
    fn dependencies_times_and_expiry() {
        let mut ts = vec![
            task(1, State::Failed, 1.0),
            task(2, State::Queued, 1.0),
            task(3, State::Queued, 1.0),
            task(4, State::Queued, 1.0),
        ];
        ts[1].spec.after_ok = vec![1];
        ts[2].spec.after = vec![4];
        ts[3].spec.at_unix = Some(100.0);
        let st = states(&ts);
        assert!(matches!(
            block(&ts[1], &st, false, None, 0.0),
            Block::Skip { .. }
        ));
        assert!(matches!(
            block(&ts[2], &st, false, None, 0.0),
            Block::Wait { .. }
        ));
        assert_eq!(
            block(&ts[3], &st, false, None, 0.0),
            Block::Wait {
                on: "its start time".into(),
                until_unix: Some(100.0)
            }
        );
        assert_eq!(block(&ts[3], &st, false, None, 100.0), Block::Ready);
        ts[3].spec.expires_unix = Some(50.0);
        assert_eq!(block(&ts[3], &st, false, None, 60.0), Block::Expire);
    }

    #[test]
    fn predictions_chain_and_wait_for_start_times() {
        let mut ts = vec![
            task(1, State::Running, 100.0),
            task(2, State::Queued, 10.0),
            task(3, State::Queued, 20.0),
            task(4, State::Queued, 5.0),
        ];
        ts[2].spec.at_unix = Some(1000.0);
        ts[3].spec.after = vec![3];
        let left = HashMap::from([(1, 40.0)]);
        let p = predict(&ts, &left, false, 0.0);
        assert_eq!(p[&1].1, 40.0);
        assert_eq!(p[&2], (40.0, 50.0));
        assert_eq!(p[&3], (1000.0, 1020.0));
        assert_eq!(p[&4], (1020.0, 1025.0));
        assert_eq!(predict(&ts, &left, true, 0.0).len(), 1);
    }
}
