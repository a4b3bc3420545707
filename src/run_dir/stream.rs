//! One run's typed records, emitted once and fanned out: first to the journal file (what
//! `resume`, `verify` and `report` read back), then to every subscriber — the log lines, the
//! progress display, the queue — each saying the same fact its own way. A subscriber is
//! called on the emitting thread, in the journal's order, so what it does (a queue state
//! change, a line in the log) happens before the emitter goes on. A subscriber must not emit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use super::journal::{Journal, Record};

/// Something that listens to a run's records. It must be quick and must not fail the run.
pub trait Subscriber: Send + Sync {
    fn record(&self, r: &Record);
}

/// The fan-out of one run's records.
pub struct Records {
    journal: OnceLock<Arc<Journal>>,
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
    /// The journal could not be written once: said once, not at every frame.
    warned: AtomicBool,
    /// Held from the journal line to the last subscriber, so records emitted at once from
    /// the runner and the savers are heard in the order the journal keeps them.
    order: Mutex<()>,
}

impl Records {
    /// A stream that journals into `journal`, or only tells its subscribers (a dry run).
    pub fn new(journal: Option<Arc<Journal>>) -> Arc<Records> {
        let r = Records {
            journal: OnceLock::new(),
            subscribers: RwLock::new(Vec::new()),
            warned: AtomicBool::new(false),
            order: Mutex::new(()),
        };
        if let Some(j) = journal {
            let _ = r.journal.set(j);
        }
        Arc::new(r)
    }

    /// Keep records in this journal from now on (once the run directory exists; a stream
    /// is made before it, so its listeners hear the run's first record too).
    pub fn keep_in(&self, journal: Arc<Journal>) {
        let _ = self.journal.set(journal);
    }

    pub fn subscribe(&self, s: Arc<dyn Subscriber>) {
        self.subscribers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(s);
    }

    /// Whether records are kept (a run directory), so costly ones may be skipped otherwise.
    pub fn journaled(&self) -> bool {
        self.journal.get().is_some()
    }

    /// Journal the record, then tell every subscriber. Never fails: a journal that cannot
    /// be written is said once and acquisition goes on (the files and `verify` still tell).
    pub fn emit(&self, r: Record) {
        let _in_order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(j) = self.journal.get()
            && let Err(e) = j.write(&r)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("cannot write the journal: {e}");
        }
        for s in self
            .subscribers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            s.record(&r);
        }
    }

    /// Make what was journaled durable (at the end, before the process may die).
    pub fn sync(&self) {
        if let Some(j) = self.journal.get() {
            let _ = j.sync();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_dir::journal::records;
    use std::sync::Mutex;

    struct Heard(Mutex<Vec<String>>);
    impl Subscriber for Heard {
        fn record(&self, r: &Record) {
            let kind = serde_json::to_value(r)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string));
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(kind.unwrap_or_default());
        }
    }

    #[test]
    fn every_subscriber_hears_each_record_once_in_order_after_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = Arc::new(Journal::open(&path).unwrap());
        let stream = Records::new(Some(journal));
        let (a, b) = (
            Arc::new(Heard(Mutex::default())),
            Arc::new(Heard(Mutex::default())),
        );
        stream.subscribe(a.clone());
        stream.subscribe(b.clone());
        stream.emit(Record::Unpaused(records::Unpaused { paused_s: 1.5 }));
        stream.emit(Record::Recovered(records::Recovered { suspended_s: 2.0 }));
        let want = vec!["unpaused".to_string(), "recovered".to_string()];
        assert_eq!(*a.0.lock().unwrap(), want);
        assert_eq!(*b.0.lock().unwrap(), want);
        let kept: Vec<String> = crate::run_dir::journal::read(&path)
            .unwrap()
            .iter()
            .map(|e| serde_json::to_value(&e.record).unwrap()["kind"].to_string())
            .collect();
        assert_eq!(kept, vec!["\"unpaused\"", "\"recovered\""]);
    }

    #[test]
    fn a_dry_run_stream_tells_its_subscribers_and_keeps_nothing() {
        let stream = Records::new(None);
        let a = Arc::new(Heard(Mutex::default()));
        stream.subscribe(a.clone());
        stream.emit(Record::Unpaused(records::Unpaused { paused_s: 0.0 }));
        assert!(!stream.journaled());
        assert_eq!(a.0.lock().unwrap().len(), 1);
    }
}
