//! The run layer as the queue worker will use it: a library call with plain settings that
//! returns an outcome or a refusal, and never prints a report or exits the process.

use squidctl::exit::Exit;
use squidctl::microscope::MicroscopeConfig;
use squidctl::plan::Plan;
use squidctl::protocol::LoadedProtocol;
use squidctl::run_dir::RunState;
use squidctl::run_dir::Subscriber;
use squidctl::run_dir::journal::Record;
use squidctl::session::{self, Loaded, Observer, Purpose, Settings, Target, Unobserved};
use std::sync::{Arc, Mutex};

fn loaded(dir: &std::path::Path) -> Loaded {
    let yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protocols/quickstart.yaml"),
    )
    .expect("quickstart");
    let p = dir.join("p.yaml");
    std::fs::write(&p, yaml.replace("name: quickstart", "name: session-test")).expect("write");
    let protocol = LoadedProtocol::load(&p.display().to_string(), &[]).expect("protocol");
    let mut microscope = MicroscopeConfig::builtin().expect("built-in microscope");
    // Each test has its own microscope, so tests running at once do not share a lock.
    microscope.desc.name = format!("session-{}", dir.display().to_string().len());
    let plan = Plan::build(&protocol, &microscope).expect("plan");
    Loaded {
        protocol,
        microscope,
        plan,
    }
}

fn settings() -> Settings {
    Settings {
        purpose: Purpose::Acquire,
        time_scale: Some(0.0),
        force: false,
        savers: Some(2),
        queue_frames: None,
        queue_memory: None,
        lock: Some(None),
        gate: None,
        listeners: Vec::new(),
    }
}

fn kind(r: &Record) -> String {
    serde_json::to_value(r).expect("a record is JSON")["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A listener of the run's records, as the queue is one.
#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

impl Subscriber for Heard {
    fn record(&self, r: &Record) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(kind(r));
    }
}

/// An observer, as the progress display is one.
#[derive(Default)]
struct Seen(Vec<String>);

impl Observer for Seen {
    fn record(&mut self, r: &Record) {
        self.0.push(kind(r));
    }
}

#[test]
fn every_record_the_journal_keeps_is_heard_once_in_its_order() {
    let dir = tempfile::tempdir().expect("tmp");
    // SAFETY: set before any thread of this test process reads it.
    unsafe { std::env::set_var("SQUIDCTL_LOCK_DIR", dir.path().join("locks")) };
    let l = loaded(dir.path());
    let heard = Arc::new(Heard::default());
    let mut s = settings();
    s.listeners = vec![heard.clone()];
    let mut seen = Seen::default();
    let done = session::run(&l, Target::New(dir.path().join("out")), &s, &mut seen)
        .unwrap_or_else(|r| panic!("refused: {}", r.message));
    let rd = done.run_dir.expect("a run directory");
    let kept: Vec<String> = squidctl::run_dir::journal::read(&rd.path("journal.jsonl"))
        .expect("journal")
        .iter()
        .map(|e| kind(&e.record))
        .collect();
    let heard = heard.0.lock().expect("heard").clone();
    assert_eq!(heard, kept, "the listener heard what the journal kept");
    for k in ["start", "timepoint_start", "frame", "coord", "file", "end"] {
        assert!(kept.iter().any(|x| x == k), "no {k} record: {kept:?}");
    }
    let per_frame = ["frame", "coord", "file"];
    let want: Vec<String> = kept
        .iter()
        .filter(|k| !per_frame.contains(&k.as_str()))
        .cloned()
        .collect();
    assert_eq!(seen.0, want, "the observer hears all but per-frame records");
}

#[test]
fn a_run_through_the_library_ends_with_its_outcome() {
    let dir = tempfile::tempdir().expect("tmp");
    // SAFETY: set before any thread of this test process reads it.
    unsafe { std::env::set_var("SQUIDCTL_LOCK_DIR", dir.path().join("locks")) };
    let l = loaded(dir.path());
    let out = dir.path().join("out");
    let done = session::run(&l, Target::New(out), &settings(), &mut Unobserved)
        .unwrap_or_else(|r| panic!("refused: {}", r.message));
    assert_eq!(
        done.outcome.state,
        RunState::Completed,
        "{}",
        done.outcome.reason
    );
    assert_eq!(done.outcome.exit, Exit::Completed);
    assert_eq!(done.outcome.counts.saved, 72);
    let rd = done.run_dir.expect("a run directory");
    assert!(rd.path(".done").exists());

    // Held lock: a refusal with its exit, not a process exit.
    let lock = squidctl::run_dir::lock::acquire(&l.microscope.desc.name, None, "test", &|| None)
        .unwrap_or_else(|_| panic!("take the lock"));
    let r = session::run(
        &l,
        Target::New(dir.path().join("out2")),
        &settings(),
        &mut Unobserved,
    );
    match r {
        Err(r) => {
            assert_eq!(r.exit, Exit::Busy);
            assert!(r.message.contains("is busy"), "{}", r.message);
        }
        Ok(_) => panic!("ran on a microscope whose lock is held"),
    }
    drop(lock);
    assert!(
        !dir.path().join("out2").exists(),
        "nothing made when refused"
    );
}
