//! The instrument's state, kept in memory by one thread per microscope so that polling
//! `/v1/status` (or Squid's `/v1/system/status` and `heartbeat`) costs a clone, never a file
//! scan or a device. The thread looks again when any file the state is made of changes, and
//! logs each change as an `instrument_state` event, which the event streams push.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::queue::spool::Spool;

/// How often the files are looked at (a `stat` each): state changes reach clients this fast.
const LOOK_EVERY: Duration = Duration::from_millis(100);

pub struct StateCache {
    value: RwLock<Value>,
}

impl StateCache {
    pub fn start(spool: Spool) -> Arc<StateCache> {
        let first = crate::queue::status::status(&spool);
        let cache = Arc::new(StateCache {
            value: RwLock::new(first),
        });
        let c = cache.clone();
        let spawned = std::thread::Builder::new()
            .name("api-state".into())
            .spawn(move || c.follow(spool));
        if let Err(e) = spawned {
            tracing::error!(
                "cannot start the state thread: {e}; the state is refreshed only by changes made through the API"
            );
        }
        cache
    }

    /// Look now (after a change made through the API, so its reply and the next read agree),
    /// logging a change of state as an event.
    pub fn refresh(&self, spool: &Spool) {
        let v = match crate::queue::status::publish_change(spool) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("cannot log the instrument's state: {e}");
                crate::queue::status::status(spool)
            }
        };
        if let Ok(mut w) = self.value.write() {
            *w = v;
        }
    }

    pub fn get(&self) -> Value {
        self.value.read().map(|v| v.clone()).unwrap_or(Value::Null)
    }

    fn follow(&self, spool: Spool) {
        let files = watched(&spool);
        let mut last = None;
        // A lease runs out with no file changing: look at least this often too.
        let mut quiet = Duration::ZERO;
        loop {
            let stamp: Vec<Option<(u64, SystemTime)>> = files
                .iter()
                .map(|p| {
                    std::fs::metadata(p)
                        .ok()
                        .map(|m| (m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH)))
                })
                .collect();
            if last.as_ref() != Some(&stamp) || quiet >= Duration::from_secs(1) {
                quiet = Duration::ZERO;
                self.refresh(&spool);
                last = Some(stamp);
            }
            std::thread::sleep(LOOK_EVERY);
            quiet += LOOK_EVERY;
        }
    }
}

/// The files the state is made of.
fn watched(spool: &Spool) -> Vec<PathBuf> {
    let mut v = vec![
        spool.events_path(),
        spool.dir.join("lease.json"),
        crate::run_dir::lock::lock_path(&spool.microscope),
    ];
    if let Ok(d) = crate::instrument::dir(&spool.microscope) {
        v.push(d.join("estop.json"));
        v.push(d.join(crate::instrument::state::FILE));
    }
    v
}
