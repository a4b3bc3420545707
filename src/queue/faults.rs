//! The fault history: every fault a task, an action or an emergency stop ended with, read
//! from the spool's event log (the faults ride on their events, numbered by them), so the
//! history is as durable as the log and needs no store of its own.

use serde_json::Value;

use super::spool::Spool;

/// Faults with `sequence > since`, oldest first, at most `limit`; each names its task in
/// `detail.task`.
pub fn since(spool: &Spool, since: u64, limit: usize) -> std::io::Result<Vec<Value>> {
    let mut out = Vec::new();
    super::events::scan(&spool.events_path(), 0, since, |_, e| {
        if let Some(Value::Object(f)) = e.data.get("fault") {
            let mut f = f.clone();
            if let (Some(t), Some(Value::Object(d))) = (e.task, f.get_mut("detail")) {
                d.entry("task").or_insert(t.into());
            }
            out.push(Value::Object(f));
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}
