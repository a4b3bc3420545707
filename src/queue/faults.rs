//! The fault history: every fault a task, an action or an emergency stop ended with, read
//! from the spool's event log (the faults ride on their events, numbered by them), so the
//! history is as durable as the log and needs no store of its own.

use super::spool::Spool;
use crate::fault::Fault;

/// Faults with `sequence > since`, oldest first, at most `limit`; each names its task in
/// `detail.task`.
pub fn since(spool: &Spool, since: u64, limit: usize) -> std::io::Result<Vec<Fault>> {
    let mut out = Vec::new();
    super::events::scan(&spool.events_path(), 0, since, |_, e| {
        if let Some(mut f) = e.event.fault() {
            if let Some(t) = e.task {
                f.detail.entry("task").or_insert(t.into());
            }
            out.push(f);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}
