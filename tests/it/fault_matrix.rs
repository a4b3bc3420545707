//! The fault matrix: every fault kind at every device call kind, under each error policy.
//! Each case checks the exit code, the run record, and that every acquired frame is on disk
//! in a file that reads back plane for plane as the journal recorded it.

use crate::common::*;

use std::path::Path;

/// One well, two FOVs, two planes, two channels (8 frames), contrast autofocus at every FOV
/// so that every call kind is made.
const PROTOCOL: &str = "name: matrix
plate: {format: 96, wells: \"D4\"}
fov: {grid: 1x2}
z: {count: 2, step: 1um}
channels:
  - {name: BF, exposure: 5ms, intensity: 30%}
  - {name: GFP, exposure: 10ms, intensity: 50%}
autofocus: {method: contrast, every: fov, channel: BF, range: 10um, step: 2um}
";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Completed,
    WithErrors,
    Failed,
    Hung,
}

/// The call on which faults start: the second call of its kind (so something is saved first).
const AT: u32 = 2;

fn faults(kind: &str, call: &str) -> Vec<String> {
    match kind {
        // Three failures in a row exhaust the two retries.
        "error" | "panic" => (AT..AT + 3)
            .map(|n| format!("{{call: {call}, at: {n}, kind: {kind}}}"))
            .collect(),
        "hang" => vec![format!("{{call: {call}, at: {AT}, kind: hang}}")],
        "slow" => vec![format!(
            "{{call: {call}, at: {AT}, kind: slow, delay: 300ms}}"
        )],
        "disconnect" => vec![format!("{{call: {call}, at: {AT}, kind: disconnect}}")],
        _ => unreachable!(),
    }
}

fn expected(kind: &str, policy: &str) -> Expect {
    match (kind, policy) {
        ("hang", _) => Expect::Hung,
        ("slow", _) | ("disconnect", _) => Expect::Completed,
        (_, "skip-fov") => Expect::WithErrors,
        _ => Expect::Failed,
    }
}

fn case(call: &str, kind: &str, policy: &str) {
    case_on(call, kind, policy, &|dir, faults| {
        microscope(dir, 0.0, faults)
    });
}

/// One case on the microscope that `make` writes into the directory with the given faults.
fn case_on(call: &str, kind: &str, policy: &str, make: &dyn Fn(&Path, &[&str]) -> String) {
    let dir = tempfile::tempdir().expect("tmp");
    let protocol = format!("{PROTOCOL}on_error: {{retries: 2, backoff: 10ms, then: {policy}}}\n");
    let p = write(dir.path(), "p.yaml", &protocol);
    let f = faults(kind, call);
    let fr: Vec<&str> = f.iter().map(String::as_str).collect();
    let m = make(dir.path(), &fr);
    let out = dir.path().join("out");
    let r = run(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
    ]);
    let label = format!("{kind} at {call} with {policy}");
    let want = expected(kind, policy);
    let (code, state) = match want {
        Expect::Completed => (0, "completed"),
        Expect::WithErrors => (3, "completed_with_errors"),
        Expect::Failed => (1, "failed"),
        Expect::Hung => (4, "timed_out"),
    };
    assert_eq!(r.code, code, "{label}:\n{}", r.stderr);
    let rd = run_dir(&out);
    let rec = run_json(&rd);
    assert_eq!(rec["state"], state, "{label}: {rec}");
    assert_eq!(rec["exit_code"], code, "{label}");
    let c = &rec["counts"];
    let acquired = c["acquired"].as_u64().expect("acquired");
    assert_eq!(c["saved"].as_u64(), Some(acquired), "{label}: {c}");
    assert_eq!(c["lost"], 0, "{label}: {c}");
    assert!(
        acquired >= 1,
        "{label}: something was acquired before the fault"
    );
    assert_eq!(
        planes_on_disk(&rd),
        acquired,
        "{label}: every acquired frame is on disk"
    );
    match want {
        Expect::Completed => {
            assert_eq!(acquired, 8, "{label}");
            assert!(rd.join(".done").exists());
        }
        Expect::WithErrors => {
            assert_eq!(c["skipped_fovs"], 1, "{label}: {c}");
            assert_eq!(
                acquired + c["skipped"].as_u64().unwrap_or(0),
                8,
                "{label}: {c}"
            );
        }
        Expect::Failed => assert!(acquired < 8, "{label}"),
        Expect::Hung => {
            assert!(rd.join("thread-dump-1.txt").exists(), "{label}");
            assert_eq!(kinds(&journal(&rd), "timeout").len(), 1);
        }
    }
    // What the journal says was saved reads back exactly (the same check `verify` makes).
    assert_files_read_back(&rd, &label);
}

fn matrix(call: &str) {
    for kind in ["hang", "error", "panic", "slow", "disconnect"] {
        for policy in ["skip-fov", "abort"] {
            case(call, kind, policy);
        }
    }
}

#[test]
fn faults_in_move_xy() {
    matrix("move_xy");
}

#[test]
fn faults_in_move_z() {
    matrix("move_z");
}

#[test]
fn faults_in_capture() {
    matrix("capture");
}

#[test]
fn faults_in_illumination() {
    matrix("illumination");
}

#[test]
fn faults_in_autofocus() {
    matrix("autofocus");
}

/// The fault wrapper sits around the `squid` driver's devices as around the simulator's: a
/// device that reports itself disconnected is reconnected over the same port (no RESET), a
/// failing call becomes a recorded outcome, a hung one a timeout with every light off.
#[test]
fn faults_on_the_squid_driver() {
    let board = McuProcess::start(&[]);
    for call in ["move_xy", "illumination"] {
        for kind in ["error", "disconnect", "hang"] {
            case_on(call, kind, "skip-fov", &|dir, faults| {
                board.microscope(dir, "2s", faults)
            });
        }
    }
    let lights = board.events_of("light");
    let last_on = lights.iter().rposition(|e| e["on"] == true);
    let last_off = lights.iter().rposition(|e| e["on"] == false);
    assert!(last_off > last_on, "a light was left on: {lights:?}");
    let execs = board.events_of("exec");
    assert!(
        execs.iter().filter(|e| e["command"] == "Reset").count() >= 6,
        "each run connected afresh"
    );
}
