//! Actions on the instrument from the command line (`move`, `home`, `snap`, `focus`,
//! `lights`, `filter`) on the simulated microscope: each under the microscope lock,
//! journaled, leaving the state `status` and the API read.

use crate::common::*;

use serde_json::Value;

struct Bench {
    dir: tempfile::TempDir,
    locks: tempfile::TempDir,
}

impl Bench {
    fn new() -> Bench {
        Bench {
            dir: tempfile::tempdir().expect("tmp"),
            locks: tempfile::tempdir().expect("tmp"),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut c = queue_cmd(
            self.dir.path(),
            self.locks.path(),
            &repo()
                .join("microscopes/squid-sim.yaml")
                .display()
                .to_string(),
            args,
        );
        Run::from(c.output().expect("spawn"))
    }

    fn state(&self) -> Value {
        let p = self.dir.path().join("spool/squid-sim/instrument.json");
        serde_json::from_str(&std::fs::read_to_string(&p).expect("instrument.json")).expect("json")
    }

    fn log(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("spool/squid-sim/instrument.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a whole JSON line"))
            .collect()
    }
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - want).abs() < 1e-6)
}

#[test]
fn moves_go_where_asked_and_follow_on_from_each_other() {
    let b = Bench::new();
    let r = b.run(&["move", "--to", "loading", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["command"], "move");
    assert!(close(&j["position"]["x_mm"], 120.0), "{j}");
    assert!(close(&j["position"]["y_mm"], 80.0), "{j}");
    assert!(close(&j["position"]["z_mm"], 1.0), "{j}");
    // Relative to where the last action left the stage, in another process.
    let r = b.run(&["move", "--x", "-20mm", "--z", "0.5mm", "--by"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("stage at x 100.000 y 80.000 z 1.500 mm"),
        "{}",
        r.stdout
    );
    let s = b.state();
    assert!(close(&s["position"]["x"], 100.0), "{s}");
    assert_eq!(s["last_action"]["action"], "move");
    assert_eq!(s["lights"]["on"], serde_json::json!([]));
    // Home goes back to where the stage starts.
    let r = b.run(&["home", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["result"]["homed"], true);
    assert_eq!(b.state()["homed"], true);
    // Refused before anything moves: outside the travel, an unknown name, nowhere, both.
    for (args, says) in [
        (
            &["move", "--x", "500mm"][..],
            "outside the x travel 0 to 128 mm",
        ),
        (
            &["move", "--to", "garage"],
            "no position `garage` on squid-sim: it has loading, scanning",
        ),
        (&["move"], "say where to move"),
        (&["move", "--x", "200mm", "--by"], "outside the x travel"),
    ] {
        let r = b.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    let r = b.run(&["move", "--to", "loading", "--x", "1mm"]);
    assert_eq!(r.code, 2, "clap refuses both: {}", r.stderr);
    // The queue's reordering is still `move ID`, and needs a place.
    let r = b.run(&["move", "3"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("say where task 3 goes"), "{}", r.stderr);
    // Every action that ran is in the log; refused ones touched nothing and are not.
    let log = b.log();
    let names: Vec<&str> = log.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(names, ["move", "move", "home"], "{log:?}");
    assert!(log.iter().all(|e| e["ok"] == true));
    assert!(
        close(&log[1]["result"]["from"]["x_mm"], 120.0),
        "{}",
        log[1]
    );
}

#[test]
fn snap_saves_an_ome_tiff_any_reader_opens_and_focus_says_how_sure_it_is() {
    let b = Bench::new();
    let out = b.dir.path().join("snaps");
    let o = out.display().to_string();
    let r = b.run(&[
        "snap",
        "--channel",
        "GFP",
        "--exposure",
        "20ms",
        "--intensity",
        "30",
        "-o",
        &o,
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let path = j["result"]["path"].as_str().expect("path").to_string();
    assert!(
        path.starts_with(&o) && path.ends_with("_GFP.ome.tiff"),
        "{path}"
    );
    let thumb = j["result"]["thumbnail"].as_str().expect("thumbnail");
    assert_eq!(&std::fs::read(thumb).expect("png")[1..4], b"PNG");
    let names: Vec<_> = std::fs::read_dir(&out)
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial")), "{names:?}");
    let py = python_reader()
        .args([
            "-c",
            "import sys,tifffile; t=tifffile.TiffFile(sys.argv[1]); m=t.ome_metadata; \
             print(t.series[0].shape, 'Name=\"GFP\"' in m, 'ExposureTime=\"0.02\"' in m, t.series[0].asarray().max() > 0)",
        ])
        .arg(&path)
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&py.stdout);
    assert_eq!(
        text.trim(),
        "(2048, 2048) True True True",
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    // Bad requests name what is wrong and what there is.
    let r = b.run(&["snap", "--channel", "YFP", "-o", &o]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no channel `YFP` on squid-sim: it has BF, DAPI, GFP, RFP, Cy5"),
        "{}",
        r.stderr
    );
    let r = b.run(&["snap", "--channel", "BF", "--exposure", "1h", "-o", &o]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("outside the camera's"), "{}", r.stderr);
    // The simulator's laser autofocus finds its focus surface; a contrast search too.
    for method in ["laser", "contrast"] {
        let r = b.run(&["focus", "--method", method, "--json"]);
        assert_eq!(r.code, 0, "{method}: {}", r.stderr);
        let f = &r.json()["result"];
        assert_eq!(f["method"], method);
        let z = f["z_mm"].as_f64().expect("z");
        assert!((3.9..4.1).contains(&z), "{method}: {f}");
        let q = &f["quality"];
        match method {
            "laser" => assert!(
                q["residual_um"].as_f64().expect("residual").abs() < 0.5,
                "{f}"
            ),
            _ => assert!(q["peak_to_median"].as_f64().expect("peak") > 1.0, "{f}"),
        }
    }
    let r = b.run(&["filter", "2"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("squid-sim has no filter wheel"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_action_waits_for_nobody_unless_asked_and_lights_go_off_on_a_signal() {
    let b = Bench::new();
    let held = hold_lock(&b.locks.path().join("squid-sim.lock"));
    let r = b.run(&["lights", "off", "--json"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("is busy"), "{}", r.stderr);
    assert_eq!(r.json()["exit_code"], 6);
    assert!(b.log().is_empty(), "nothing was done, so nothing is logged");
    drop(held);
    // `lights on` keeps a light on for a while only; SIGTERM ends it early, lights off.
    let mut c = queue_cmd(
        b.dir.path(),
        b.locks.path(),
        &repo()
            .join("microscopes/squid-sim.yaml")
            .display()
            .to_string(),
        &[
            "lights",
            "on",
            "--channel",
            "DAPI",
            "--for",
            "10min",
            "--json",
        ],
    );
    let child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Lit once the lock names the action.
    let lock = b.locks.path().join("squid-sim.lock");
    let t = std::time::Instant::now();
    while !std::fs::read_to_string(&lock)
        .unwrap_or_default()
        .contains("action lights")
    {
        assert!(t.elapsed().as_secs() < 30, "the action never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let r = Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(r.code, 143, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["result"]["ended_early_by"], "SIGTERM", "{j}");
    assert!(j["result"]["on_s"].as_f64().expect("on_s") < 600.0);
    assert_eq!(b.state()["lights"]["on"], serde_json::json!([]));
    let r = b.run(&["lights", "on", "--channel", "DAPI", "--for", "11min"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("at most"), "{}", r.stderr);
}
