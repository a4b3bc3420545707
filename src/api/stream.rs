//! The event log as Server-Sent Events. One thread per microscope tails `events.ndjson` and
//! hands each new event to every connected client; a client first replays what it missed
//! (from `Last-Event-ID` or `?since=`), then takes the live ones, skipping any it replayed,
//! so a client that reconnects sees every event exactly once, in order.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::queue::events::{self, Event};

/// How often the tail looks for new events: well under a frame's time.
const TAIL_EVERY: Duration = Duration::from_millis(25);
/// A client this far behind is dropped; it reconnects with Last-Event-ID and replays.
const CLIENT_BACKLOG: usize = 4096;
/// Every this many events, where its line starts: a replay reads from the nearest one, not
/// from the top of a log that grows for months.
const INDEX_EVERY: u64 = 1024;

pub struct Hub {
    path: PathBuf,
    subs: Mutex<Vec<Sender<Arc<Event>>>>,
    /// (seq, byte offset of its line), rising.
    index: Mutex<Vec<(u64, u64)>>,
}

impl Hub {
    /// Start tailing the log at `path` from its current end.
    pub fn start(path: PathBuf) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            path,
            subs: Mutex::new(Vec::new()),
            index: Mutex::new(Vec::new()),
        });
        let h = hub.clone();
        let spawned = std::thread::Builder::new()
            .name("api-events-tail".into())
            .spawn(move || h.tail());
        if let Err(e) = spawned {
            tracing::error!("cannot start the event tail: {e}; event streams get replays only");
        }
        hub
    }

    /// Keep every [`INDEX_EVERY`]th event's offset; a log that went back to the top (`gc`)
    /// starts the index again.
    fn note(&self, at: u64, e: &Event) {
        let Ok(mut ix) = self.index.lock() else {
            return;
        };
        if e.seq.is_multiple_of(INDEX_EVERY) && ix.last().is_none_or(|l| l.0 < e.seq) {
            ix.push((e.seq, at));
        }
    }

    fn restart_index(&self) {
        if let Ok(mut ix) = self.index.lock() {
            ix.clear();
        }
    }

    fn tail(&self) {
        // The index is built in one pass that holds one event at a time.
        let mut offset = events::scan(&self.path, 0, 0, |at, e| {
            self.note(at, &e);
            Ok(true)
        })
        .unwrap_or(0);
        let mut warned = false;
        loop {
            std::thread::sleep(TAIL_EVERY);
            let evs = match events::read_at(&self.path, offset, 0) {
                Ok((evs, next)) => {
                    warned = false;
                    if next < offset {
                        self.restart_index();
                    }
                    for (at, e) in &evs {
                        self.note(*at, e);
                    }
                    offset = next;
                    evs
                }
                Err(e) => {
                    if !warned {
                        tracing::warn!("cannot read {}: {e}", self.path.display());
                        warned = true;
                    }
                    continue;
                }
            };
            if evs.is_empty() {
                continue;
            }
            let Ok(mut subs) = self.subs.lock() else {
                return;
            };
            for (_, e) in evs {
                let e = Arc::new(e);
                // A client gone, or too far behind, is dropped (it replays when it is back).
                subs.retain(|s| s.try_send(e.clone()).is_ok());
            }
        }
    }

    fn subscribe(&self) -> Receiver<Arc<Event>> {
        let (tx, rx) = crossbeam_channel::bounded(CLIENT_BACKLOG);
        if let Ok(mut s) = self.subs.lock() {
            s.push(tx);
        }
        rx
    }

    /// Hand `f` each event with `seq > since`, read from the nearest indexed line before
    /// them, one line at a time (a replay of a months-long log holds one event in memory).
    /// The line found there must be the event the index says, or the log changed under us
    /// (`gc`) and the whole of it is read.
    fn replay(
        &self,
        since: u64,
        mut f: impl FnMut(&Event) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let start = self.index.lock().ok().and_then(|ix| {
            let i = ix.partition_point(|(seq, _)| *seq <= since.saturating_add(1));
            i.checked_sub(1).map(|i| ix[i])
        });
        if let Some((seq, at)) = start {
            let mut first = true;
            let mut stale = false;
            events::scan(&self.path, at, seq - 1, |a, e| {
                if first {
                    first = false;
                    if a != at || e.seq != seq {
                        stale = true;
                        return Ok(false);
                    }
                }
                if e.seq > since {
                    f(&e)?;
                }
                Ok(true)
            })?;
            if !first && !stale {
                return Ok(());
            }
        }
        events::scan(&self.path, 0, since, |_, e| f(&e).map(|()| true))?;
        Ok(())
    }

    pub fn clients(&self) -> usize {
        self.subs.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Stream events with `seq > since` (optionally of one task) to `sink` until the client
    /// goes away: first `hello` (Squid's `session_started`), then the replay, then the live
    /// events, each once and in order. The caller has written the response head.
    pub fn stream(
        &self,
        sink: &mut dyn Sink,
        since: u64,
        task: Option<u64>,
        heartbeat: Duration,
        hello: &serde_json::Value,
    ) -> std::io::Result<()> {
        // Subscribe before the replay: an event is then either in what we read or sent to us.
        let live = self.subscribe();
        let mut last = since;
        sink.hello(hello)?;
        let of_task = |e: &Event| task.is_none_or(|t| e.task == Some(t));
        self.replay(since, |e| {
            last = e.seq;
            if of_task(e) { sink.event(e) } else { Ok(()) }
        })?;
        sink.flush()?;
        // Look at the client this often (a WebSocket's close or ping), heartbeat or not.
        let look = heartbeat.min(Duration::from_millis(250));
        let mut quiet = Duration::ZERO;
        loop {
            match live.recv_timeout(look) {
                Ok(e) if e.seq > last => {
                    if of_task(&e) {
                        sink.event(&e)?;
                    }
                    last = e.seq;
                    sink.flush()?;
                    quiet = Duration::ZERO;
                }
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    quiet += look;
                    if quiet >= heartbeat {
                        sink.heartbeat()?;
                        sink.flush()?;
                        quiet = Duration::ZERO;
                    }
                }
                // Dropped for falling behind: the client reconnects and replays.
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            if !sink.alive()? {
                return Ok(());
            }
        }
    }
}

/// Where a stream's events go: an SSE response or a WebSocket.
pub trait Sink {
    fn hello(&mut self, v: &serde_json::Value) -> std::io::Result<()>;
    fn event(&mut self, e: &Event) -> std::io::Result<()>;
    fn heartbeat(&mut self) -> std::io::Result<()>;
    fn flush(&mut self) -> std::io::Result<()>;
    /// Whether the client is still there (a WebSocket reads its close here).
    fn alive(&mut self) -> std::io::Result<bool> {
        Ok(true)
    }
}

/// Server-Sent Events: `id:` is the event's sequence number, `event:` its type, `data:` the
/// JSON object `squidctl events --json` prints. `session_started` has no `id:` (it is not
/// in the log, so a reconnecting client's Last-Event-ID stays the log's).
pub struct Sse<'a, W: Write>(pub &'a mut W);

impl<W: Write> Sink for Sse<'_, W> {
    fn hello(&mut self, v: &serde_json::Value) -> std::io::Result<()> {
        write!(
            self.0,
            "retry: 2000\n\nevent: session_started\ndata: {v}\n\n"
        )
    }

    fn event(&mut self, e: &Event) -> std::io::Result<()> {
        let (kind, data) = e.typed_line().map_err(std::io::Error::other)?;
        write!(self.0, "id: {}\nevent: {kind}\ndata: {data}\n\n", e.seq)
    }

    fn heartbeat(&mut self) -> std::io::Result<()> {
        self.0.write_all(b": heartbeat\n\n")
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reconnect_replays_from_its_last_id_and_live_events_follow_once() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("events.ndjson");
        let add = |k: &str| {
            events::append(&p, "m", vec![events::other(k, Some(1), json!({}))]).expect("append")
        };
        add("a");
        add("b");
        let hub = Hub::start(p.clone());
        // A client that saw seq 1 replays 2, then gets 3 live; a writer into a pipe.
        let (mut r, mut w) = std::io::pipe().expect("pipe");
        let h = hub.clone();
        let t = std::thread::spawn(move || {
            h.stream(
                &mut Sse(&mut w),
                1,
                None,
                Duration::from_millis(50),
                &json!({"session_id": "s"}),
            )
        });
        std::thread::sleep(Duration::from_millis(100));
        add("c");
        let mut got = String::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        use std::io::Read;
        while !got.contains("event: c") && std::time::Instant::now() < deadline {
            let n = r.read(&mut buf).expect("read");
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        drop(r);
        add("d"); // the write fails: the stream ends
        let ids: Vec<&str> = got.lines().filter(|l| l.starts_with("id: ")).collect();
        assert_eq!(ids, ["id: 2", "id: 3"], "{got}");
        assert!(
            got.starts_with("retry: 2000\n\nevent: session_started\n"),
            "{got}"
        );
        assert!(got.contains(": heartbeat"), "{got}");
        let ended = t.join().expect("joins");
        assert!(
            ended.is_err(),
            "a closed client ends the stream with an error"
        );
    }

    #[test]
    fn a_replay_starts_from_the_index_and_survives_the_log_being_rewritten() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("events.ndjson");
        let batch: Vec<_> = (0..3000)
            .map(|i| events::other("e", Some(i), json!({})))
            .collect();
        events::append(&p, "m", batch).expect("append");
        let hub = Hub {
            path: p.clone(),
            subs: Mutex::new(Vec::new()),
            index: Mutex::new(Vec::new()),
        };
        let (evs, _) = events::read_at(&p, 0, 0).expect("read");
        for (at, e) in &evs {
            hub.note(*at, e);
        }
        assert_eq!(
            hub.index
                .lock()
                .expect("index")
                .iter()
                .map(|x| x.0)
                .collect::<Vec<_>>(),
            [1024, 2048]
        );
        let replay = |since: u64| {
            let mut v = Vec::new();
            hub.replay(since, |e| {
                v.push(e.seq);
                Ok(())
            })
            .expect("replay");
            v
        };
        assert_eq!(replay(2500), (2501..=3000).collect::<Vec<_>>());
        assert_eq!(replay(2047).first(), Some(&2048));
        assert_eq!(replay(0).len(), 3000);
        // `gc` kept only the last 1000 events: the offsets are stale, the replay is not.
        let text = std::fs::read_to_string(&p).expect("read");
        let kept: String = text.lines().skip(2000).map(|l| format!("{l}\n")).collect();
        std::fs::write(&p, kept).expect("rewrite");
        assert_eq!(replay(2500), (2501..=3000).collect::<Vec<_>>());
    }
}
