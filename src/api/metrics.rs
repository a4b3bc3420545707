//! `GET /metrics`: each microscope this server fronts in Prometheus's text format, for the
//! Prometheus a facility already runs (it aggregates across machines; nothing here does).
//! Read from the same files every other view reads — the instrument state, the tasks, each
//! run's `run.json` and journal, the event log — so the numbers are `queue --json`'s,
//! `report`'s and `faults`'. Journals and the event log are read on from where the last
//! scrape stopped (they only grow), so a scrape costs what changed since the last one.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::routes::Microscope;
use crate::queue::task::Status;
use crate::run_dir::journal::Record;

/// Step latency buckets, in seconds (a capture is milliseconds, a move up to a minute).
const BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

#[derive(Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, v: f64) {
        for (c, b) in self.counts.iter_mut().zip(BUCKETS) {
            if v <= b {
                *c += 1;
            }
        }
        self.count += 1;
        self.sum += v;
    }
}

/// What one run's journal has said so far.
#[derive(Clone, Default)]
struct RunAcc {
    offset: u64,
    bytes: u64,
    steps: BTreeMap<String, Histogram>,
    /// Link counters: each session's last report, added up at the next session.
    links: BTreeMap<String, (u64, u64)>,
    session: BTreeMap<String, (u64, u64)>,
}

impl RunAcc {
    fn read_on(&mut self, journal: &Path) {
        let next = crate::fsutil::try_lines_from(journal, self.offset, |_, line| {
            let Ok(e) = serde_json::from_str::<crate::run_dir::journal::Entry>(line) else {
                return Ok(true);
            };
            match e.record {
                Record::Frame(f) => {
                    for (k, s) in f.steps {
                        self.steps.entry(k).or_default().observe(s);
                    }
                }
                Record::File(f) => self.bytes += f.bytes,
                Record::Start(_) | Record::Resume(_) => self.commit(),
                Record::Link(l) => {
                    self.session
                        .insert(l.device, (l.health.resends, l.health.checksum_errors));
                }
                _ => {}
            }
            Ok(true)
        });
        if let Ok(n) = next {
            self.offset = n;
        }
    }

    fn commit(&mut self) {
        for (d, (r, c)) in std::mem::take(&mut self.session) {
            let t = self.links.entry(d).or_default();
            t.0 += r;
            t.1 += c;
        }
    }

    fn links(&self) -> BTreeMap<String, (u64, u64)> {
        let mut all = self.links.clone();
        for (d, (r, c)) in &self.session {
            let t = all.entry(d.clone()).or_default();
            t.0 += r;
            t.1 += c;
        }
        all
    }
}

#[derive(Default)]
struct FaultAcc {
    offset: u64,
    by_category: BTreeMap<String, u64>,
}

#[derive(Default)]
pub struct Metrics {
    runs: Mutex<HashMap<PathBuf, RunAcc>>,
    faults: Mutex<HashMap<String, FaultAcc>>,
    /// Each task's status as last read, by microscope and id, with its file's stamp: a
    /// scrape reads again only the status files that changed (a stat each, not a parse).
    statuses: Mutex<HashMap<String, Statuses>>,
    /// A finished run's counts never change: read once.
    ended: Mutex<HashMap<PathBuf, crate::run_dir::Counts>>,
}

type Stamp = (std::time::SystemTime, u64);
/// One queue's task statuses by id, each with the stamp of the file it was read from.
type Statuses = HashMap<u64, (Stamp, Status)>;

fn stamp(p: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(p).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Metrics {
    /// Every task's status, read only where its file changed since the last scrape.
    fn statuses(&self, spool: &crate::queue::spool::Spool) -> Vec<(u64, Status)> {
        let mut all = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        let known = all.entry(spool.microscope.clone()).or_default();
        let ids = spool.ids();
        known.retain(|id, _| ids.binary_search(id).is_ok());
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let file = spool.task_dir(id).join(crate::queue::spool::TASK_STATE);
            let Some(st) = stamp(&file) else { continue };
            match known.get(&id) {
                Some((s, status)) if *s == st => out.push((id, status.clone())),
                _ => {
                    if let Ok(status) = spool.status(id) {
                        known.insert(id, (st, status.clone()));
                        out.push((id, status));
                    }
                }
            }
        }
        out
    }

    /// A run's counts and heartbeat: an ended run's from memory.
    fn counts(&self, dir: &Path, ended: bool) -> Option<(crate::run_dir::Counts, f64)> {
        if ended
            && let Some(c) = self
                .ended
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(dir)
        {
            return Some((c.clone(), 0.0));
        }
        let rec = crate::run_dir::record::RunRecord::read(dir)?;
        let mut kept = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        if ended && rec.state != crate::run_dir::RunState::Running {
            kept.insert(dir.to_path_buf(), rec.counts.clone());
        } else {
            // Running again (a retry, a resume): read it each time until it ends.
            kept.remove(dir);
        }
        Some((rec.counts, rec.heartbeat_unix))
    }
}

/// `# HELP` and `# TYPE` once per family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

const STATES: [&str; 8] = [
    "uninitialized",
    "initializing",
    "idle",
    "reserved",
    "running",
    "paused",
    "stopping",
    "error",
];

impl Metrics {
    /// The exposition for `mics`.
    pub fn render(&self, mics: &[Microscope]) -> String {
        let mut out = String::new();
        let mut rows: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut row = |fam: &'static str, line: String| rows.entry(fam).or_default().push(line);
        for m in mics {
            let name = label(&m.spool.microscope);
            let state = m.state.get();
            let now_state = state["state"].as_str().unwrap_or("");
            for s in STATES {
                row(
                    "squidctl_instrument_state",
                    format!(
                        "squidctl_instrument_state{{microscope=\"{name}\",state=\"{s}\"}} {}",
                        u8::from(s == now_state)
                    ),
                );
            }
            let tasks = self.statuses(&m.spool);
            let mut by_state: BTreeMap<&str, u64> = crate::queue::task::State::ALL
                .iter()
                .map(|s| (s.name(), 0))
                .collect();
            for (_, st) in &tasks {
                *by_state.entry(st.state.name()).or_default() += 1;
            }
            for (s, n) in by_state {
                row(
                    "squidctl_queue_tasks",
                    format!("squidctl_queue_tasks{{microscope=\"{name}\",state=\"{s}\"}} {n}"),
                );
            }
            row(
                "squidctl_worker_up",
                format!(
                    "squidctl_worker_up{{microscope=\"{name}\"}} {}",
                    u8::from(m.spool.worker_alive())
                ),
            );
            // Frames and bytes over every run the queue has record of.
            let (mut frames, mut bytes) = ([0u64; 5], 0u64);
            let mut steps: BTreeMap<String, Histogram> = BTreeMap::new();
            let mut links: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            let mut last_dir: Option<PathBuf> = None;
            let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            for (id, st) in &tasks {
                let Some(dir) = st.run_dir.as_ref() else {
                    continue;
                };
                let Some((c, heartbeat)) = self.counts(dir, st.state.terminal()) else {
                    continue;
                };
                for (f, v) in frames
                    .iter_mut()
                    .zip([c.planned, c.acquired, c.saved, c.lost, c.skipped])
                {
                    *f += v;
                }
                let acc = runs.entry(dir.clone()).or_default();
                acc.read_on(&dir.join(crate::run_dir::JOURNAL));
                bytes += acc.bytes;
                for (k, h) in &acc.steps {
                    let s = steps.entry(k.clone()).or_default();
                    for (a, b) in s.counts.iter_mut().zip(h.counts) {
                        *a += b;
                    }
                    s.count += h.count;
                    s.sum += h.sum;
                }
                for (d, (r, e)) in acc.links() {
                    let l = links.entry(d).or_default();
                    l.0 += r;
                    l.1 += e;
                }
                if st.state.active() {
                    row(
                        "squidctl_run_heartbeat_timestamp_seconds",
                        format!(
                            "squidctl_run_heartbeat_timestamp_seconds{{microscope=\"{name}\",task=\"{id}\"}} {heartbeat}"
                        ),
                    );
                }
                last_dir = Some(dir.clone());
            }
            drop(runs);
            for (kind, v) in ["planned", "acquired", "saved", "lost", "skipped"]
                .iter()
                .zip(frames)
            {
                row(
                    "squidctl_frames_total",
                    format!("squidctl_frames_total{{microscope=\"{name}\",kind=\"{kind}\"}} {v}"),
                );
            }
            row(
                "squidctl_bytes_written_total",
                format!("squidctl_bytes_written_total{{microscope=\"{name}\"}} {bytes}"),
            );
            for (k, h) in &steps {
                let k = label(k);
                for (c, b) in h.counts.iter().zip(BUCKETS) {
                    row(
                        "squidctl_step_seconds",
                        format!(
                            "squidctl_step_seconds_bucket{{microscope=\"{name}\",step=\"{k}\",le=\"{b}\"}} {c}"
                        ),
                    );
                }
                row(
                    "squidctl_step_seconds",
                    format!(
                        "squidctl_step_seconds_bucket{{microscope=\"{name}\",step=\"{k}\",le=\"+Inf\"}} {}\nsquidctl_step_seconds_sum{{microscope=\"{name}\",step=\"{k}\"}} {}\nsquidctl_step_seconds_count{{microscope=\"{name}\",step=\"{k}\"}} {}",
                        h.count, h.sum, h.count
                    ),
                );
            }
            for (d, (resends, crc)) in links {
                let d = label(&d);
                row(
                    "squidctl_link_resends_total",
                    format!(
                        "squidctl_link_resends_total{{microscope=\"{name}\",device=\"{d}\"}} {resends}"
                    ),
                );
                row(
                    "squidctl_link_crc_errors_total",
                    format!(
                        "squidctl_link_crc_errors_total{{microscope=\"{name}\",device=\"{d}\"}} {crc}"
                    ),
                );
            }
            let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            let acc = faults.entry(m.spool.microscope.clone()).or_default();
            if let Ok(next) =
                crate::queue::events::scan(&m.spool.events_path(), acc.offset, 0, |_, e| {
                    if let Some(f) = e.event.fault() {
                        *acc.by_category
                            .entry(f.category.name().to_string())
                            .or_default() += 1;
                    }
                    Ok(true)
                })
            {
                acc.offset = next;
            }
            for c in crate::fault::Category::ALL {
                row(
                    "squidctl_faults_total",
                    format!(
                        "squidctl_faults_total{{microscope=\"{name}\",category=\"{}\"}} {}",
                        c.name(),
                        acc.by_category.get(c.name()).copied().unwrap_or(0)
                    ),
                );
            }
            drop(faults);
            if let Some((free, _)) = last_dir
                .as_deref()
                .and_then(Path::parent)
                .and_then(crate::fsutil::free_space)
            {
                row(
                    "squidctl_output_free_bytes",
                    format!("squidctl_output_free_bytes{{microscope=\"{name}\"}} {free}"),
                );
            }
        }
        for (fam, kind, help) in [
            (
                "squidctl_instrument_state",
                "gauge",
                "1 for the instrument's current state",
            ),
            (
                "squidctl_queue_tasks",
                "gauge",
                "tasks in the queue by state",
            ),
            (
                "squidctl_worker_up",
                "gauge",
                "1 while a worker serves the queue",
            ),
            (
                "squidctl_run_heartbeat_timestamp_seconds",
                "gauge",
                "the running run's last heartbeat (unix time)",
            ),
            (
                "squidctl_frames_total",
                "counter",
                "frames of the queue's runs: planned, acquired, saved, lost (acquired, not saved), skipped",
            ),
            (
                "squidctl_bytes_written_total",
                "counter",
                "bytes of the finished files of the queue's runs",
            ),
            (
                "squidctl_step_seconds",
                "histogram",
                "how long each device step took, by kind",
            ),
            (
                "squidctl_link_resends_total",
                "counter",
                "frames a device's serial link sent again",
            ),
            (
                "squidctl_link_crc_errors_total",
                "counter",
                "frames a device reported failing their checksum",
            ),
            (
                "squidctl_faults_total",
                "counter",
                "faults in the history (tasks, actions, emergency stops) by category",
            ),
            (
                "squidctl_output_free_bytes",
                "gauge",
                "free space on the disk of the latest run's output",
            ),
        ] {
            if let Some(lines) = rows.get(fam) {
                family(&mut out, fam, kind, help);
                for l in lines {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        out
    }
}
