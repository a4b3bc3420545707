//! A disk slower than the camera is back-pressure, not a hang: the acquisition waits for the
//! savers, the wait is counted and journaled, and the run completes. Only savers that write
//! nothing for `timeouts.save` are a hang — named a saver hang, with the saver's stack in the
//! dump. The disk's trouble is scripted in the microscope's `faults:` (`call: save`).

use crate::common::*;

/// One well, 2×2 FOVs, 2 channels: 8 frames; the savers' deadline 1 s.
const EIGHT: &str = "name: slow
plate: {format: 96, wells: \"B2\"}
fov: {grid: 2x2}
channels:
  - {name: BF, exposure: 10ms, intensity: 30%}
  - {name: GFP, exposure: 20ms, intensity: 50%}
timeouts: {save: 1s}
";

fn acquire(dir: &std::path::Path, fault: &str) -> (Run, std::path::PathBuf) {
    let m = microscope(dir, 0.0, &[fault]);
    let p = write(dir, "p.yaml", EIGHT);
    let out = dir.join("out");
    let mut args = acquire_args(&p, &m, &out);
    args.extend(["--savers", "1", "--queue-frames", "1", "--json"].map(String::from));
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    (r, out)
}

#[test]
fn a_saver_slower_than_the_camera_is_back_pressure_and_the_run_completes() {
    let dir = tempfile::tempdir().expect("tmp");
    // Every plane takes 600 ms to write: 8 of them wait far longer than the 1 s deadline
    // in all, but the savers make progress all along.
    let (r, out) = acquire(
        dir.path(),
        "{call: save, every: 1, kind: slow, delay: 600ms}",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("back-pressure"), "{}", r.stderr);
    let rd = run_dir(&out);
    let counts = &run_json(&rd)["counts"];
    assert_eq!(counts["saved"], 8, "{counts}");
    assert!(counts["backpressure_waits"].as_u64() > Some(0), "{counts}");
    // The waits add up to more than the deadline they are not held to.
    assert!(counts["backpressure_s"].as_f64() > Some(1.0), "{counts}");
    let j = journal(&rd);
    assert!(
        !kinds(&j, "back_pressure").is_empty(),
        "no back_pressure record"
    );
    assert!(kinds(&j, "timeout").is_empty());
    assert_eq!(
        kinds(&j, "end")[0]["counts"]["backpressure_waits"],
        counts["backpressure_waits"]
    );
    // What the report and verify say of it.
    let rep = run(&["report", &rd.display().to_string(), "--json"]);
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    let bp = &rep.json()["backpressure"];
    assert_eq!(bp["waits"], counts["backpressure_waits"], "{bp}");
    assert!(bp["longest_s"].as_f64() > Some(0.25), "{bp}");
    assert!(rep.stderr.contains("back-pressure"), "{}", rep.stderr);
    assert_eq!(run(&["verify", &rd.display().to_string()]).code, 0);
}

#[test]
fn savers_that_write_nothing_for_their_deadline_are_a_saver_hang_with_its_stack() {
    let dir = tempfile::tempdir().expect("tmp");
    let (r, out) = acquire(dir.path(), "{call: save, at: 2, kind: hang}");
    assert_eq!(r.code, 4, "{}", r.stderr);
    let fault = &r.json()["fault"];
    assert_eq!(fault["detail"]["step"], "save", "{fault}");
    let rd = run_dir(&out);
    let j = journal(&rd);
    let t = &kinds(&j, "timeout")[0];
    assert_eq!(t["step"], "save");
    let summary = r.stderr.clone();
    assert!(summary.contains("saver hang"), "{summary}");
    let dump = &kinds(&j, "dump")[0];
    let text = std::fs::read_to_string(rd.join(dump["file"].as_str().expect("dump file")))
        .expect("the dump");
    // The saver's own stack, stopped in the scripted write.
    let saver = text
        .split("\n\n")
        .find(|s| s.contains("saver-0"))
        .unwrap_or_else(|| panic!("no saver thread in the dump:\n{text}"));
    assert!(saver.contains("scripted"), "{saver}");
    // The file the saver finished before it hung is synced and journaled all the same:
    // verify counts it intact, and `resume` would take only the rest.
    let v = run(&["verify", &rd.display().to_string(), "--json"]).json();
    assert_eq!(
        (v["intact_files"].clone(), v["expected_files"].clone()),
        (1.into(), 8.into()),
        "{v}"
    );
}
