//! The queue: a spool that survives its worker (kill -9, a reboot), safe-point pause, hold
//! conditions, the failure policy, and concurrent submissions — all through the real binary
//! on the simulated microscope.

use crate::common::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Two wells, 2×2 FOVs, 2 planes, 2 channels: 32 frames in 8 FOV visits.
const QP: &str = "name: qp
plate: {format: 96, wells: \"A1:A2\"}
fov: {grid: 2x2}
z: {count: 2, step: 2um}
channels:
  - {name: BF, exposure: 20ms, intensity: 30%}
  - {name: GFP, exposure: 40ms, intensity: 50%}
";

/// A queue of its own: spool, locks, microscope and working directory in one temp dir.
struct Q {
    dir: tempfile::TempDir,
    microscope: String,
    locks: PathBuf,
}

impl Q {
    fn new(time_scale: f64, faults: &[&str]) -> Q {
        let dir = tempfile::tempdir().expect("tmp");
        let microscope = microscope(dir.path(), time_scale, faults);
        let locks = dir.path().join("locks");
        Q {
            dir,
            microscope,
            locks,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        queue_cmd(self.path(), &self.locks, &self.microscope, args)
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("spawn"))
    }

    fn protocol(&self, name: &str, text: &str) -> String {
        write(self.path(), name, text)
    }

    fn submit(&self, protocol: &str, extra: &[&str]) -> u64 {
        let mut args = vec!["submit", protocol, "--json"];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        assert_eq!(r.code, 0, "submit: {}", r.stderr);
        r.json()["task"].as_u64().expect("task id")
    }

    fn worker(&self, extra: &[&str], env: &[(&str, &str)]) -> Child {
        let mut args = vec!["worker"];
        args.extend_from_slice(extra);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path().join("worker.log"))
            .expect("log");
        let mut c = self.cmd(&args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn worker")
    }

    fn worker_log(&self) -> String {
        std::fs::read_to_string(self.path().join("worker.log")).unwrap_or_default()
    }

    fn show(&self, id: u64) -> Value {
        let r = self.run(&["show", &id.to_string(), "--json"]);
        assert_eq!(r.code, 0, "show: {}", r.stderr);
        r.json()
    }

    fn state(&self, id: u64) -> String {
        self.show(id)["status"]["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Wait until task `id` is in `state`; panics with the worker's log after `secs`.
    fn wait_state(&self, id: u64, state: &str, secs: u64) -> Value {
        let t = Instant::now();
        loop {
            let v = self.show(id);
            if v["status"]["state"] == state {
                return v;
            }
            assert!(
                t.elapsed() < Duration::from_secs(secs),
                "task {id} never became {state}: {}\nworker log:\n{}",
                v["status"],
                self.worker_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The task's run directory once its journal has `frames` frames.
    fn wait_frames(&self, id: u64, frames: usize) -> PathBuf {
        self.wait_journal(id, "frame", frames)
    }

    /// The task's run directory once its journal has `n` records of `kind`.
    fn wait_journal(&self, id: u64, kind: &str, n: usize) -> PathBuf {
        let t = Instant::now();
        loop {
            if let Some(rd) = self.show(id)["status"]["run_dir"].as_str() {
                let rd = PathBuf::from(rd);
                if rd.join("journal.jsonl").exists() && kinds(&journal(&rd), kind).len() >= n {
                    return rd;
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "task {id} never had {n} {kind} records\n{}",
                self.worker_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn events(&self) -> Vec<Value> {
        self.run(&["events", "--json"])
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("event JSON"))
            .collect()
    }
}

fn finish(mut c: Child, secs: u64) -> i32 {
    let t = Instant::now();
    loop {
        if let Some(st) = c.try_wait().expect("wait") {
            return st.code().unwrap_or(-1);
        }
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "the worker did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// No frame of a file saved before the first resume was acquired again after it.
fn assert_no_fov_acquired_twice(rd: &Path) {
    let j = journal(rd);
    let resume_at = j
        .iter()
        .position(|e| e["kind"] == "resume")
        .expect("the run was resumed");
    let saved: Vec<&Value> = j[..resume_at]
        .iter()
        .filter(|e| e["kind"] == "file" && e["planes"] == e["expected"])
        .collect();
    assert!(!saved.is_empty(), "something was saved before the cut");
    for f in j[resume_at..].iter().filter(|e| e["kind"] == "frame") {
        let again = saved.iter().any(|s| {
            ["t", "region", "fov"].iter().all(|k| s[k] == f[k])
                && (s["channel"].is_null() || s["channel"] == f["channel"])
                && (s["z"].is_null() || s["z"] == f["z"])
        });
        assert!(!again, "frame acquired again after resume: {f}");
    }
}

fn verify(rd: &Path) {
    let v = run(&["verify", &rd.display().to_string()]);
    assert_eq!(v.code, 0, "verify: {}{}", v.stdout, v.stderr);
}

#[test]
fn kill_9_of_the_worker_then_a_new_worker_continues_the_run() {
    let q = Q::new(1.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let id = q.submit(&p, &["--label", "plate 1"]);
    let mut w = q.worker(&[], &[]);
    let rd = q.wait_journal(id, "file", 2);
    w.kill().expect("kill -9");
    let _ = w.wait();
    // With no worker, the listing says what happened.
    let list = q.run(&["queue", "--json"]).json();
    assert_eq!(list["tasks"][0]["shown"], "interrupted", "{list}");
    let w2 = q.worker(&["--exit-when-empty"], &[]);
    assert_eq!(finish(w2, 60), 0, "{}", q.worker_log());
    let v = q.show(id);
    assert_eq!(v["status"]["state"], "completed", "{}", v["status"]);
    assert_eq!(v["status"]["exit_code"], 0);
    let states: Vec<&str> = v["status"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["state"].as_str())
        .collect();
    assert_eq!(
        states,
        ["queued", "running", "interrupted", "running", "completed"],
        "{}",
        v["status"]
    );
    assert_eq!(
        v["status"]["run_dir"],
        rd.display().to_string(),
        "the same run goes on"
    );
    verify(&rd);
    assert_no_fov_acquired_twice(&rd);
    let kinds: Vec<String> = q
        .events()
        .iter()
        .filter(|e| e["task"] == id)
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(kinds.contains(&"task_interrupted".into()), "{kinds:?}");
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("task_completed"),
        "{kinds:?}"
    );
}

#[test]
fn a_reboot_interrupts_the_task_and_the_next_worker_resumes_it() {
    let q = Q::new(1.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let id = q.submit(&p, &[]);
    let mut w = q.worker(&[], &[("SQUIDCTL_BOOT_ID", "boot-before")]);
    let rd = q.wait_journal(id, "file", 2);
    // A power cut: the worker and its run die at once, nothing is cleaned up.
    let child = q.show(id)["status"]["child_pid"].as_u64().expect("run pid");
    w.kill().expect("kill -9");
    unsafe { libc::kill(child as i32, libc::SIGKILL) };
    let _ = w.wait();
    let w2 = q.worker(
        &["--exit-when-empty"],
        &[("SQUIDCTL_BOOT_ID", "boot-after")],
    );
    assert_eq!(finish(w2, 60), 0, "{}", q.worker_log());
    let v = q.show(id);
    assert_eq!(v["status"]["state"], "completed", "{}", v["status"]);
    let interrupted = v["status"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|h| h["state"] == "interrupted")
        .expect("interrupted")
        .clone();
    assert!(
        interrupted["why"]
            .as_str()
            .unwrap_or("")
            .contains("machine restarted"),
        "{interrupted}"
    );
    verify(&rd);
    assert_no_fov_acquired_twice(&rd);
}

#[test]
fn a_thousand_submissions_from_eight_processes_get_unique_ids() {
    let q = Q::new(0.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let start = Instant::now();
    let procs: Vec<Child> = (0..8)
        .map(|k| {
            let script = format!(
                "for i in $(seq 125); do \"$SQUIDCTL\" submit '{p}' --label p{k}-$i -q >/dev/null || echo FAILED $i; done"
            );
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .env("SQUIDCTL", bin())
                .env("SQUIDCTL_SPOOL", q.path().join("spool"))
                .env("SQUIDCTL_LOCK_DIR", &q.locks)
                .env("SQUIDCTL_MICROSCOPE", &q.microscope)
                .env_remove("SQUIDCTL_LOG")
                .current_dir(q.path())
                .stdout(Stdio::piped())
                .spawn()
                .expect("sh")
        })
        .collect();
    for c in procs {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success());
        assert_eq!(String::from_utf8_lossy(&o.stdout), "", "failed submissions");
    }
    let took = start.elapsed();
    let list = q.run(&["queue", "--json"]).json();
    let tasks = list["tasks"].as_array().expect("tasks");
    let ids: BTreeSet<u64> = tasks.iter().filter_map(|t| t["id"].as_u64()).collect();
    assert_eq!(ids, (1..=1000).collect(), "ids 1..=1000, each once");
    let labels: BTreeSet<String> = tasks
        .iter()
        .filter_map(|t| t["label"].as_str().map(String::from))
        .collect();
    assert_eq!(labels.len(), 1000, "no task lost");
    let evs = q.events();
    let seqs: Vec<u64> = evs.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert_eq!(
        seqs,
        (1..=1000).collect::<Vec<_>>(),
        "one numbered event each"
    );
    eprintln!("1000 submissions from 8 processes: {took:?}");
}

#[test]
fn a_hang_holds_the_queue_and_the_next_task_does_not_start() {
    let q = Q::new(0.0, &["{call: capture, at: 3, kind: hang}"]);
    let p = q.protocol("p.yaml", QP);
    let a = q.submit(&p, &[]);
    let b = q.submit(&p, &[]);
    let finished = q.path().join("finished.jsonl");
    let hook = format!(
        "cat >> '{}'; echo >> '{}'",
        finished.display(),
        finished.display()
    );
    let w = q.worker(&["--exit-when-empty", "--on-finish", &hook], &[]);
    assert_eq!(finish(w, 90), 0, "{}", q.worker_log());
    let va = q.show(a);
    assert_eq!(va["status"]["state"], "failed", "{}", va["status"]);
    assert_eq!(va["status"]["exit_code"], 4);
    assert_eq!(q.state(b), "queued", "the next task did not start");
    let list = q.run(&["queue", "--json"]).json();
    assert_eq!(list["held"], true, "{list}");
    assert!(
        list["held_note"].as_str().unwrap_or("").contains("exit 4"),
        "{list}"
    );
    assert_eq!(list["tasks"][0]["shown"], "waiting");
    let text = q.run(&["queue"]).stdout;
    assert!(text.contains("HELD"), "{text}");
    // The hook heard of the task and of the hold.
    let heard = std::fs::read_to_string(&finished).expect("on-finish ran");
    assert!(
        heard.contains("\"queue_held\":null") && heard.contains("exit 4"),
        "{heard}"
    );
    let w = q.run(&["wait", &a.to_string()]);
    assert_eq!(w.code, 4, "wait gives the run's exit code");
}

#[test]
fn wait_returns_each_runs_exit_code() {
    // The 10th capture of every run fails, with no retries.
    let q = Q::new(0.0, &["{call: capture, at: 10, kind: error}"]);
    let short = q.protocol(
        "short.yaml",
        "name: short\nplate: {format: 96, wells: \"B2\"}\nfov: {grid: 1x2}\nchannels:\n  - {name: BF, exposure: 5ms, intensity: 30%}\n",
    );
    let skip = q.protocol(
        "skip.yaml",
        &format!("{QP}on_error: {{retries: 0, then: skip-fov}}\n"),
    );
    let abort = q.protocol(
        "abort.yaml",
        &format!("{QP}on_error: {{retries: 0, then: abort}}\n"),
    );
    let ok = q.submit(&short, &[]);
    let with_errors = q.submit(&skip, &[]);
    let failed = q.submit(&abort, &[]);
    let w = q.worker(&["--exit-when-empty"], &[]);
    assert_eq!(finish(w, 90), 0, "{}", q.worker_log());
    for (id, code) in [(ok, 0), (with_errors, 3), (failed, 1)] {
        let r = q.run(&["wait", &id.to_string(), "--json"]);
        assert_eq!(r.code, code, "task {id}: {}", r.stderr);
        assert_eq!(r.json()["exit_code"], code);
    }
    let all = q.run(&[
        "wait",
        &ok.to_string(),
        &with_errors.to_string(),
        &failed.to_string(),
    ]);
    assert_eq!(all.code, 3, "the first non-zero, in the order given");
    // Not ended in time: 124.
    let held = q.submit(&short, &["--hold"]);
    let r = q.run(&["wait", &held.to_string(), "--timeout", "300ms"]);
    assert_eq!(r.code, 124);
    // A bad protocol is refused at submit time and queues nothing.
    let bad = q.protocol(
        "bad.yaml",
        "name: bad\nplate: {format: 96, wells: \"Z99\"}\n",
    );
    let r = q.run(&["submit", &bad]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(q.run(&["show", "5"]).code, 2, "no task 5");
}

#[test]
fn pause_lands_at_the_next_fov_and_unpause_acquires_nothing_again() {
    let q = Q::new(2.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let id = q.submit(&p, &[]);
    let w = q.worker(&["--exit-when-empty"], &[]);
    let rd = q.wait_frames(id, 5);
    let r = q.run(&["pause", &id.to_string(), "--reason", "add medium"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Within one FOV's time (about 0.8 s here).
    q.wait_state(id, "paused", 5);
    let j = journal(&rd);
    let paused = kinds(&j, "paused");
    assert_eq!(paused.len(), 1, "{paused:?}");
    let frames = kinds(&j, "frame");
    // Every FOV before the boundary is whole; none of the next one was taken.
    let region = if paused[0]["region"] == "A1" { 0 } else { 1 };
    assert!(
        !frames.iter().any(|f| f["t"] == paused[0]["t"]
            && f["region"] == region
            && f["fov"] == paused[0]["fov"]),
        "a frame of the paused FOV was taken"
    );
    assert_eq!(
        frames.len() % 4,
        0,
        "stopped at a FOV boundary: {} frames",
        frames.len()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        kinds(&journal(&rd), "frame").len(),
        frames.len(),
        "nothing acquired while paused"
    );
    let r = q.run(&["unpause", &id.to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(finish(w, 60), 0, "{}", q.worker_log());
    assert_eq!(q.state(id), "completed");
    let j = journal(&rd);
    let seqs: Vec<u64> = kinds(&j, "frame")
        .iter()
        .filter_map(|f| f["seq"].as_u64())
        .collect();
    assert_eq!(
        seqs,
        (0..32).collect::<Vec<_>>(),
        "each frame once, in order"
    );
    assert_eq!(kinds(&j, "unpaused").len(), 1);
    verify(&rd);
    let kinds_: Vec<String> = q
        .events()
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect();
    for k in [
        "task_pausing",
        "task_paused",
        "task_unpaused",
        "task_completed",
    ] {
        assert!(kinds_.contains(&k.to_string()), "{k} missing: {kinds_:?}");
    }
}

#[test]
fn a_failing_check_command_suspends_the_run_and_its_recovery_resumes_it() {
    let q = Q::new(2.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let flag = q.path().join("incubator-alarm");
    let check = format!(
        "test ! -e '{}' || {{ echo CO2 low; exit 1; }}",
        flag.display()
    );
    let id = q.submit(&p, &[]);
    let w = q.worker(
        &[
            "--exit-when-empty",
            "--check-cmd",
            &check,
            "--check-every",
            "0s",
            "--settle",
            "1s",
        ],
        &[],
    );
    let rd = q.wait_frames(id, 4);
    std::fs::write(&flag, "").expect("alarm");
    let v = q.wait_state(id, "suspended", 10);
    assert!(
        v["status"]["note"]
            .as_str()
            .unwrap_or("")
            .contains("CO2 low"),
        "{}",
        v["status"]
    );
    let n = kinds(&journal(&rd), "frame").len();
    assert_eq!(n % 4, 0, "suspended at a FOV boundary");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        kinds(&journal(&rd), "frame").len(),
        n,
        "nothing acquired while suspended"
    );
    let recovered = Instant::now();
    std::fs::remove_file(&flag).expect("all clear");
    q.wait_state(id, "running", 10);
    assert!(
        recovered.elapsed() >= Duration::from_millis(900),
        "it waited out the settle time"
    );
    assert_eq!(finish(w, 60), 0, "{}", q.worker_log());
    assert_eq!(q.state(id), "completed");
    let j = journal(&rd);
    let s = kinds(&j, "suspended");
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(s[0]["condition"].as_str().unwrap_or("").contains("CO2 low"));
    assert_eq!(kinds(&j, "recovered").len(), 1);
    verify(&rd);
}

#[test]
fn cancel_a_queued_task_at_once_and_a_running_one_at_its_next_safe_point() {
    let q = Q::new(2.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let a = q.submit(&p, &[]);
    let b = q.submit(&p, &[]);
    let r = q.run(&["cancel", &b.to_string(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["state"], "cancelled");
    let w = q.worker(&["--exit-when-empty"], &[]);
    let rd = q.wait_frames(a, 3);
    assert_eq!(q.run(&["cancel", &a.to_string()]).code, 0);
    assert_eq!(finish(w, 60), 0, "{}", q.worker_log());
    let v = q.show(a);
    assert_eq!(v["status"]["state"], "cancelled", "{}", v["status"]);
    assert_eq!(v["status"]["exit_code"], 130);
    let frames = kinds(&journal(&rd), "frame").len();
    assert_eq!(frames % 4, 0, "stopped at a FOV boundary: {frames}");
    assert!(frames < 32);
    // Cancelled for good: a second cancel is refused, and nothing re-runs it.
    let again = q.run(&["cancel", &a.to_string()]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("cancelled"), "{}", again.stderr);
    assert_eq!(q.run(&["wait", &b.to_string()]).code, 130);
}

#[test]
fn hold_release_move_and_the_queue_listing() {
    let q = Q::new(0.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let ids: Vec<u64> = (0..3).map(|_| q.submit(&p, &[])).collect();
    let order = |q: &Q| -> Vec<u64> {
        q.run(&["queue", "--json"]).json()["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .filter_map(|t| t["id"].as_u64())
            .collect()
    };
    assert_eq!(order(&q), ids);
    assert_eq!(q.run(&["move", &ids[2].to_string(), "--front"]).code, 0);
    assert_eq!(order(&q), [ids[2], ids[0], ids[1]]);
    assert_eq!(
        q.run(&["move", &ids[2].to_string(), "--after", &ids[0].to_string()])
            .code,
        0
    );
    assert_eq!(order(&q), [ids[0], ids[2], ids[1]]);
    assert_eq!(
        q.run(&["move", &ids[1].to_string(), "--priority", "5"])
            .code,
        0
    );
    assert_eq!(order(&q), [ids[1], ids[0], ids[2]]);
    assert_eq!(q.run(&["hold", &ids[0].to_string()]).code, 0);
    let list = q.run(&["queue", "--json"]).json();
    let held = &list["tasks"].as_array().expect("tasks")[1];
    assert_eq!(held["shown"], "held");
    assert!(
        held["predicted_start_unix"].is_null(),
        "a held task has no predicted start"
    );
    // Predicted starts chain one after another.
    let t = list["tasks"].as_array().expect("tasks");
    assert_eq!(t[0]["predicted_end_unix"], t[2]["predicted_start_unix"]);
    assert_eq!(q.run(&["release", &ids[0].to_string()]).code, 0);
    assert_eq!(q.state(ids[0]), "queued");
    let r = q.run(&["hold", "--queue", "--note", "I am at the microscope"]);
    assert_eq!(r.code, 0);
    let text = q.run(&["queue"]).stdout;
    assert!(text.contains("I am at the microscope"), "{text}");
    // Nothing starts while the queue is held.
    let w = q.worker(&["--exit-when-empty"], &[]);
    assert_eq!(finish(w, 30), 0);
    assert_eq!(q.state(ids[1]), "queued");
    assert_eq!(q.run(&["release", "--queue"]).code, 0);
    // Wrong verbs for the state, and unknown ids, say so.
    assert_eq!(q.run(&["pause", &ids[1].to_string()]).code, 1);
    assert_eq!(q.run(&["release", "99"]).code, 2);
    // A second worker on the same queue is refused.
    let mut w1 = q.worker(&[], &[]);
    let t = Instant::now();
    while !q.run(&["queue", "--json"]).json()["worker"].is_object() {
        assert!(t.elapsed() < Duration::from_secs(20), "{}", q.worker_log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = q.run(&["worker", "--exit-when-empty"]);
    assert_eq!(second.code, 6, "{}", second.stderr);
    unsafe { libc::kill(w1.id() as i32, libc::SIGTERM) };
    let code = w1.wait().expect("wait").code();
    assert_eq!(code, Some(0));
    let history = q.run(&["history", "--json"]);
    assert_eq!(history.code, 0);
}

#[test]
fn the_worker_speaks_sd_notify_and_the_shipped_unit_matches_the_cli() {
    use std::os::unix::net::UnixDatagram;
    let q = Q::new(0.0, &[]);
    let sock = q.path().join("notify.sock");
    let server = UnixDatagram::bind(&sock).expect("bind");
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let sock_s = sock.display().to_string();
    let mut w = q.worker(
        &[],
        &[("NOTIFY_SOCKET", &sock_s), ("WATCHDOG_USEC", "300000")],
    );
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !(got.iter().any(|m: &String| m.starts_with("READY=1"))
        && got.iter().filter(|m| *m == "WATCHDOG=1").count() >= 2)
    {
        let n = server.recv(&mut buf).expect("a notification within 10 s");
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    unsafe { libc::kill(w.id() as i32, libc::SIGTERM) };
    assert_eq!(
        w.wait().expect("wait").code(),
        Some(0),
        "{}",
        q.worker_log()
    );
    loop {
        let n = server.recv(&mut buf).expect("STOPPING=1");
        if &buf[..n] == b"STOPPING=1" {
            break;
        }
    }
    // The shipped unit: a notify service with a watchdog, whose command line parses.
    let unit = std::fs::read_to_string(repo().join("contrib/systemd/squidctl-worker@.service"))
        .expect("unit file");
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "KillMode=mixed",
    ] {
        assert!(unit.contains(line), "the unit lacks {line}");
    }
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let args: Vec<String> = exec
        .split_whitespace()
        .skip(1)
        .map(|a| a.replace("%i", "scope-a"))
        .chain(["--help".to_string()])
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = q.run(&args);
    assert_eq!(r.code, 0, "{exec}: {}", r.stderr);
}

#[test]
fn a_manual_acquire_holds_the_next_task_back_and_events_follow_along() {
    use std::io::BufRead;
    let q = Q::new(2.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let mut follow = q
        .cmd(&["events", "--follow", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("events --follow");
    let manual_out = q.path().join("manual");
    let manual = q
        .cmd(&["acquire", &p, "--output", &manual_out.display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("acquire");
    wait_for_frames(&manual_out, 1);
    let id = q.submit(&p, &[]);
    let w = q.worker(&["--exit-when-empty"], &[]);
    let t = Instant::now();
    loop {
        let list = q.run(&["queue", "--json"]).json();
        let task = &list["tasks"][0];
        if task["shown"] == "waiting"
            && task["waiting_on"]
                .as_str()
                .unwrap_or("")
                .contains("the microscope")
        {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "{list}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        q.state(id),
        "queued",
        "it does not start while the manual run holds the microscope"
    );
    assert_eq!(
        manual.wait_with_output().expect("wait").status.code(),
        Some(0)
    );
    assert_eq!(finish(w, 60), 0, "{}", q.worker_log());
    assert_eq!(q.state(id), "completed");
    let mut seen = Vec::new();
    let mut lines = std::io::BufReader::new(follow.stdout.take().expect("stdout")).lines();
    while !seen.contains(&"task_completed".to_string()) {
        let line = lines.next().expect("a line").expect("read");
        let e: Value = serde_json::from_str(&line).expect("JSON");
        seen.push(e["type"].as_str().unwrap_or("").to_string());
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let at = |k: &str| seen.iter().position(|s| s == k).unwrap_or(usize::MAX);
    assert!(
        at("task_submitted") < at("task_waiting")
            && at("task_waiting") < at("task_started")
            && at("task_started") < at("task_completed"),
        "{seen:?}"
    );
}

#[test]
fn retries_continue_the_run_through_resume_and_never_start_it_over() {
    // Every run process fails its 10th capture: each attempt gets two FOVs further.
    let q = Q::new(0.0, &["{call: capture, at: 10, kind: error}"]);
    let p = q.protocol(
        "abort.yaml",
        &format!("{QP}on_error: {{retries: 0, then: abort}}\n"),
    );
    let id = q.submit(&p, &["--retries", "8"]);
    let w = q.worker(&["--exit-when-empty", "--retry-backoff", "0s"], &[]);
    assert_eq!(finish(w, 120), 0, "{}", q.worker_log());
    let v = q.show(id);
    assert_eq!(v["status"]["state"], "completed", "{}", v["status"]);
    let attempts = v["status"]["attempts"].as_u64().unwrap_or(0);
    assert!(attempts >= 3, "{}", v["status"]);
    let rd = PathBuf::from(v["status"]["run_dir"].as_str().expect("run dir"));
    let j = journal(&rd);
    assert_eq!(
        kinds(&j, "resume").len() as u64,
        attempts - 1,
        "every retry continued the same run"
    );
    verify(&rd);
    let retrying = q
        .events()
        .iter()
        .filter(|e| e["type"] == "task_retrying")
        .count() as u64;
    assert_eq!(retrying, attempts - 1);
}

#[test]
fn start_times_expiry_dependencies_again_history_and_gc() {
    let q = Q::new(0.0, &[]);
    let p = q.protocol("p.yaml", QP);
    let later = q.submit(&p, &["--at", "+1h"]);
    let list = q.run(&["queue", "--json"]).json();
    let t = &list["tasks"][0];
    assert_eq!(t["shown"], "waiting", "{list}");
    assert_eq!(t["waiting_on"], "its start time");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let start = t["predicted_start_unix"].as_f64().expect("predicted");
    assert!((start - now - 3600.0).abs() < 60.0, "{start} vs {now}");
    assert_eq!(q.run(&["cancel", &later.to_string()]).code, 0);
    let held = q.submit(&p, &["--hold"]);
    let expiring = q.submit(&p, &["--expires", "1s", "--after", &held.to_string()]);
    let first = q.submit(&p, &["--hold"]);
    let needs_first = q.submit(&p, &["--after-ok", &first.to_string()]);
    assert_eq!(q.run(&["cancel", &first.to_string()]).code, 0);
    std::thread::sleep(Duration::from_millis(1100));
    let w = q.worker(&["--exit-when-empty"], &[]);
    assert_eq!(finish(w, 30), 0, "{}", q.worker_log());
    assert_eq!(q.state(expiring), "expired");
    assert_eq!(q.run(&["wait", &expiring.to_string()]).code, 1);
    let v = q.show(needs_first);
    assert_eq!(v["status"]["state"], "skipped", "{}", v["status"]);
    assert!(
        v["status"]["note"]
            .as_str()
            .unwrap_or("")
            .contains("cancelled")
    );
    assert_eq!(q.state(held), "held", "a held task waits for a person");
    // Submitted again from its snapshot, even after the file changed.
    std::fs::write(&p, "not a protocol any more").expect("overwrite");
    let r = q.run(&[
        "submit",
        "--again",
        &needs_first.to_string(),
        "--json",
        "--hold",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let again = r.json()["task"].as_u64().expect("id");
    assert_eq!(q.show(again)["spec"]["again_of"], needs_first);
    let h = q.run(&["history", "--since", "1h", "--json"]);
    assert_eq!(
        h.stdout.trim().lines().count(),
        1,
        "one object: {}",
        h.stdout
    );
    let ended: BTreeSet<u64> = h.json()["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect();
    assert_eq!(
        ended,
        [later, expiring, first, needs_first].into_iter().collect()
    );
    // gc forgets ended tasks (not their run directories) and old events; ids go on.
    let dry = q.run(&["gc", "--keep", "0s", "--dry-run", "--json"]).json();
    assert_eq!(dry["removed_tasks"].as_array().map(Vec::len), Some(4));
    assert_eq!(q.show(later)["status"]["state"], "cancelled", "dry run");
    let last_seq = q
        .events()
        .last()
        .and_then(|e| e["seq"].as_u64())
        .expect("events");
    let r = q.run(&["gc", "--keep", "0s"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(q.run(&["show", &later.to_string()]).code, 2);
    assert_eq!(q.state(held), "held", "not ended: kept");
    let p2 = q.protocol("p2.yaml", QP);
    let next = q.submit(&p2, &[]);
    assert!(next > again, "{next} > {again}");
    let seqs: Vec<u64> = q
        .events()
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    assert_eq!(seqs, [last_seq, last_seq + 1], "numbering goes on after gc");
}

#[test]
fn a_pause_in_a_time_lapse_keeps_the_schedule_and_records_what_it_cost() {
    let q = Q::new(1.0, &[]);
    let p = q.protocol(
        "tl.yaml",
        "name: tl\nplate: {format: 96, wells: \"C3\"}\nfov: {grid: 1x2}\nchannels:\n  - {name: BF, exposure: 20ms, intensity: 30%}\n  - {name: GFP, exposure: 40ms, intensity: 50%}\ntime: {every: 2s, for: 10s, overrun: skip}\n",
    );
    let id = q.submit(&p, &[]);
    let w = q.worker(&["--exit-when-empty"], &[]);
    let rd = q.wait_frames(id, 1);
    let r = q.run(&["pause", &id.to_string(), "--at", "timepoint"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    q.wait_state(id, "paused", 10);
    let paused = kinds(&journal(&rd), "paused");
    assert_eq!(paused[0]["at"], "timepoint");
    let t_paused = paused[0]["t"].as_u64().expect("t");
    assert!(t_paused >= 1, "at a time point's start: {paused:?}");
    // Hold it past two scheduled starts.
    std::thread::sleep(Duration::from_millis(4500));
    assert_eq!(q.run(&["unpause", &id.to_string()]).code, 0);
    assert_eq!(finish(w, 60), 0, "{}", q.worker_log());
    let v = q.show(id);
    assert_eq!(
        v["status"]["state"], "completed_with_errors",
        "time points that fell due during the pause were skipped (overrun: skip): {}",
        v["status"]
    );
    let j = journal(&rd);
    let skipped = kinds(&j, "timepoint_skipped");
    assert!(!skipped.is_empty(), "no time point skipped");
    assert!(
        skipped
            .iter()
            .all(|s| s["t"].as_u64() >= Some(t_paused) && s["late_s"].as_f64() > Some(0.2)),
        "{skipped:?}"
    );
    let unpaused = kinds(&j, "unpaused");
    assert!(
        unpaused[0]["paused_s"].as_f64() >= Some(4.0),
        "{unpaused:?}"
    );
    // (`verify` counts a skipped time point's files as missing, so check what was saved.)
    assert_files_read_back(&rd, "time-lapse");
}

/// Ids count per microscope: `MICROSCOPE/ID` names a task anywhere an id is taken, and with
/// several queues and none named a verb refuses and lists them instead of acting on one.
#[test]
fn task_ids_name_their_microscope_and_a_verb_never_guesses_the_queue() {
    let q = Q::new(1.0, &[]);
    let p = q.protocol("qp.yaml", QP);
    // A second microscope, scope-a, with its own queue.
    let text = std::fs::read_to_string(&q.microscope)
        .expect("read")
        .replace("name: squid-sim", "name: scope-a");
    assert!(text.contains("name: scope-a"), "{text}");
    let scope_a = write(q.path(), "scope-a.yaml", &text);
    let on_a = |args: &[&str]| {
        let mut c = q.cmd(args);
        c.env("SQUIDCTL_MICROSCOPE", &scope_a);
        Run::from(c.output().expect("spawn"))
    };
    let sim_task = q.submit(&p, &["--hold"]);
    let r = on_a(&["submit", &p, "--json", "--hold"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a_task = r.json()["task"].as_u64().expect("id");
    assert_eq!(sim_task, a_task, "each queue counts from 1");
    let bare = |args: &[&str]| {
        let mut c = q.cmd(args);
        c.env_remove("SQUIDCTL_MICROSCOPE");
        Run::from(c.output().expect("spawn"))
    };
    let id = a_task.to_string();
    // No microscope named: refused, with the queues listed, and nothing changed.
    for args in [
        vec!["pause", &id],
        vec!["release", &id],
        vec!["release", "--queue"],
        vec!["cancel", &id],
    ] {
        let r = bare(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("several microscopes have queues")
                && r.stderr.contains("scope-a (1 task)")
                && r.stderr.contains("squid-sim (1 task)"),
            "{}",
            r.stderr
        );
    }
    // --json: the one line says why.
    let r = bare(&["cancel", &id, "--json"]);
    assert!(
        r.json()["reason"]
            .as_str()
            .unwrap_or("")
            .contains("several microscopes have queues"),
        "{}",
        r.stdout
    );
    assert_eq!(q.state(sim_task), "held");
    // MICROSCOPE/ID acts on that queue only.
    let named = format!("scope-a/{a_task}");
    let r = bare(&["cancel", &named, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["microscope"], "scope-a");
    let r = bare(&["show", &named, "--json"]);
    assert_eq!(r.json()["status"]["state"], "cancelled", "{}", r.stdout);
    assert_eq!(
        q.state(sim_task),
        "held",
        "the simulator's task 1 untouched"
    );
    // A name that contradicts --microscope, or that has no queue, is refused.
    let r = q.run(&["release", &named]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("drop one of them"), "{}", r.stderr);
    let r = bare(&["show", "scope-b/1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no queue for a microscope named `scope-b`"),
        "{}",
        r.stderr
    );
    let r = bare(&["show", "scope-a/x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not a task id"), "{}", r.stderr);
    // A listing with none named shows every queue, each task as MICROSCOPE/ID.
    let r = bare(&["history"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&named), "{}", r.stdout);
    let r = bare(&["queue"]);
    assert!(
        r.stdout.contains("queue of scope-a") && r.stdout.contains("queue of squid-sim"),
        "{}",
        r.stdout
    );
    // A held task with a start time says when it would start once released.
    let r = q.run(&["submit", &p, "--hold", "--at", "+3h", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let held = r.json()["task"].as_u64().expect("id");
    let l = q.run(&["queue", "--json"]).json();
    let t = l["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == held)
        .cloned()
        .expect("listed");
    assert!(t["at_unix"].as_f64().is_some(), "{t}");
    assert!(
        t["note"].as_str().is_some_and(
            |n| n.contains("submitted with --hold; starts at ") && n.ends_with("once released")
        ),
        "{t}"
    );
    // submit follows tasks of its own microscope only.
    let r = q.run(&["submit", &p, "--after", &named]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("its own microscope"), "{}", r.stderr);
    let r = q.run(&["submit", &p, "--hold", "--after", "squid-sim/1", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
