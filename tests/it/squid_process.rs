//! squidctl driving the emulated Squid board as a user would: `squidctl emulate mcu` in one
//! process, `squidctl acquire` in another, talking over a pseudo-terminal.

use crate::common::*;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Every light the board switched on was switched off again, and nothing was executed twice.
fn board_ends_clean(board: &McuProcess) {
    let lit: Vec<_> = light_intervals(&board.events())
        .into_iter()
        .filter(|i| i.2.is_none())
        .collect();
    assert!(lit.is_empty(), "left on: {lit:?}");
    let execs = board.events_of("exec");
    for w in execs.windows(2) {
        assert!(
            !(w[0]["id"] == w[1]["id"] && w[0]["command"] == w[1]["command"]),
            "executed twice: {}",
            w[1]
        );
    }
}

/// The quick start on the emulated board at the shipped stage speeds, through a cable that
/// mangles one host byte in a hundred for a while: `devices` passes with its defaults
/// although homing takes longer than its 10 s, the run completes and verifies, and the
/// resends are counted per run and device, warned about once, and shown by the run's
/// summary, `--json` and `report`.
#[test]
fn the_quick_start_runs_on_the_emulated_board_and_verifies() {
    let bad: Vec<String> = (0..25)
        .map(|k| format!("corrupt-rx:{}", 600 + 80 * k))
        .collect();
    let mut args: Vec<&str> = Vec::new();
    for f in &bad {
        args.extend(["--fault", f]);
    }
    let board = McuProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let m = board.shipped_microscope(dir.path(), "2s");
    let d = run(&["devices", "--microscope", &m]);
    assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);
    assert!(
        d.stdout.contains("firmware 1.4, homed, watchdog 2s"),
        "{}",
        d.stdout
    );
    assert!(
        d.stderr.contains("squid board: homing x (up to"),
        "{}",
        d.stderr
    );
    // Estimates count connecting and homing too (the shipped stage: about 13 s).
    let e = run(&[
        "simulate",
        "--estimate",
        "--json",
        "protocols/quickstart.yaml",
        "--microscope",
        &m,
    ]);
    assert_eq!(e.code, 0, "{}", e.stderr);
    let startup = e.json()["estimate"]["breakdown"]["startup_s"]
        .as_f64()
        .expect("startup_s");
    assert!((8.0..20.0).contains(&startup), "{startup}");
    drop(board);
    let board = McuProcess::start(&args);
    let m = board.shipped_microscope(dir.path(), "2s");
    let out = dir.path().join("out");
    let r = run(&[
        "acquire",
        "protocols/quickstart.yaml",
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rd = run_dir(&out);
    assert_eq!(run_json(&rd)["counts"]["saved"], 72);
    let v = run(&["verify", &rd.display().to_string()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    // The link: counted, warned about once, in the summary, --json, the journal and report.
    let warned = r.stderr.matches("resends").count();
    assert_eq!(warned, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("  link       squid board on "),
        "{}",
        r.stderr
    );
    let link = &r.json()["links"][0];
    let resends = link["health"]["resends"].as_u64().expect("resends");
    assert!(resends >= 20, "{link}");
    assert!(
        link["health"]["checksum_errors"].as_u64() >= Some(20),
        "{link}"
    );
    assert_eq!(
        kinds(&journal(&rd), "link").len(),
        2,
        "warned, then at the end"
    );
    let rep = run(&["report", &rd.display().to_string(), "--json"]);
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    assert_eq!(rep.json()["links"][0]["health"]["resends"], resends);
    assert!(
        rep.stderr.contains("link        squid board on"),
        "{}",
        rep.stderr
    );
    // Homed in Squid's order, then every frame lit by its own source, and dark at the end.
    let homed: Vec<u64> = board
        .events_of("homed")
        .iter()
        .filter_map(|e| e["axis"].as_u64())
        .collect();
    assert_eq!(&homed[..3], &[2, 0, 1], "Z, then X, then Y");
    let on: Vec<Value> = board
        .events_of("light")
        .into_iter()
        .filter(|e| e["on"] == true)
        .collect();
    assert_eq!(on.len(), 72, "one switch-on per frame");
    board_ends_clean(&board);
}

#[test]
fn simulate_never_opens_the_board_and_acquire_says_which_port_is_missing() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = squid_microscope_text("/nonexistent/ttySquid", "2s");
    let m = write(dir.path(), "squid.yaml", &text);
    let s = run(&["simulate", "protocols/quickstart.yaml", "--microscope", &m]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert!(
        s.stderr.contains("no real device is opened"),
        "{}",
        s.stderr
    );
    let a = run(&[
        "acquire",
        "protocols/quickstart.yaml",
        "--microscope",
        &m,
        "--output",
        &dir.path().join("out").display().to_string(),
    ]);
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert!(
        a.stderr.contains("/nonexistent/ttySquid")
            && a.stderr.contains("cannot open the microscope"),
        "{}",
        a.stderr
    );
}

/// A runner killed with SIGKILL cannot turn its lights off; the firmware watchdog it armed
/// does, one timeout after the last frame it heard. At the shipped stage speeds homing takes
/// longer than the watchdog, so this holds only if the watchdog is fed through homing and
/// re-armed whenever it may have fired. Kills land at random moments (seeded): during
/// connect and homing, and during exposures.
#[test]
fn a_runner_killed_at_any_moment_leaves_no_light_on_past_the_watchdog() {
    let board = McuProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let m = board.shipped_microscope(dir.path(), "2s");
    let p = write(
        dir.path(),
        "long.yaml",
        "name: long\nplate: {format: 96, wells: \"A1\"}\nfov: {grid: 2x2}\nchannels:\n  - {name: GFP, exposure: 700ms, intensity: 20%}\n  - {name: BF, exposure: 30ms, intensity: 20%}\n",
    );
    let mut rng = squidctl::hardware::faults::SplitMix(seed());
    let mut next = move |n: u64| rng.next_u64() % n;
    for kill in 0..3 {
        let from = board.events().len();
        let out = dir.path().join(format!("out{kill}"));
        let mut child = squidctl(
            &acquire_args(&p, &m, &out)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
        if kill == 0 {
            // Somewhere in connect and homing (about 13 s at these speeds).
            std::thread::sleep(Duration::from_millis(2000 + next(8000)));
        } else {
            wait_for_frames(&out, next(5) as usize);
            std::thread::sleep(Duration::from_millis(next(700)));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let t = Instant::now();
        let events = loop {
            let ev = board.events()[from..].to_vec();
            if light_intervals(&ev).iter().all(|i| i.2.is_some())
                || t.elapsed() > Duration::from_secs(8)
            {
                break ev;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let at = |e: &Value| e["t"].as_f64().unwrap_or(f64::NAN);
        let last_heard = events
            .iter()
            .filter(|e| e["kind"] == "frame")
            .map(at)
            .fold(f64::NAN, f64::max);
        for (port, on, off) in light_intervals(&events) {
            let off =
                off.unwrap_or_else(|| panic!("kill {kill}: port {port} lit at {on} s is still on"));
            if off > last_heard {
                let after = off - last_heard;
                eprintln!("kill {kill}: port {port} off {after:.3} s after the last frame heard");
                assert!(
                    after < 2.2,
                    "kill {kill}: port {port} on {after} s past the last frame heard"
                );
            }
        }
    }
    board_ends_clean(&board);
}

#[test]
fn emulator_faults_that_do_not_parse_are_refused() {
    let r = run(&["emulate", "mcu", "--fault", "stall:1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--fault stall:1") && r.stderr.contains("stall:W:DUR"),
        "{}",
        r.stderr
    );
    let r = run(&["emulate", "mcu", "--noise", "2"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a probability"), "{}", r.stderr);
}

/// The frames of a run on the board must each be lit by one source, and no light may stay
/// on longer than the watchdog, whatever goes wrong with the link: the board freezes right
/// after a light came on, a light command is lost on the wire, or a light-off's
/// acknowledgement is lost (each at a random frame, seeded). Every saved frame has its own
/// channel's exposure, and the run verifies.
#[test]
fn frozen_boards_and_lost_light_commands_never_light_a_frame_twice_or_leave_a_light_on() {
    let mut rng = squidctl::hardware::faults::SplitMix(seed());
    let mut next = move |n: u64| rng.next_u64() % n;
    // Two boards, two faults each (at different frames), to keep the homing time down.
    let k = 2 + next(3);
    let faults = [
        [
            format!("stall:turn-on-illumination#{k}:{}ms", 500 + next(1000)),
            format!("drop-ack:turn-off-illumination#{}:60", k + 2 + next(3)),
        ],
        [
            format!("lose:turn-on-illumination#{k}"),
            format!("lose:turn-off-illumination#{}", k + 2 + next(3)),
        ],
    ];
    for pair in &faults {
        let fault = pair.join(" ");
        let board = McuProcess::start(&["--fault", &pair[0], "--fault", &pair[1]]);
        let dir = tempfile::tempdir().expect("tmp");
        let m = board.shipped_microscope(dir.path(), "2s");
        let p = write(
            dir.path(),
            "p.yaml",
            "name: faults\nplate: {format: 96, wells: \"A1\"}\nfov: {grid: 2x2}\nchannels:\n  - {name: BF, exposure: 20ms, intensity: 30%}\n  - {name: GFP, exposure: 50ms, intensity: 20%}\non_error: {retries: 3, backoff: 200ms}\n",
        );
        let out = dir.path().join("out");
        let r = run(&acquire_args(&p, &m, &out)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>());
        assert!(r.code == 0 || r.code == 3, "{fault}: {}", r.stderr);
        let events = board.events();
        let iv = light_intervals(&events);
        assert_never_two_lights(&iv, &fault);
        for (port, on, off) in &iv {
            let off = off.unwrap_or_else(|| panic!("{fault}: {port} left on"));
            assert!(off - on < 2.0, "{fault}: {port} lit for {} s", off - on);
        }
        let rd = run_dir(&out);
        let v = run(&["verify", &rd.display().to_string()]);
        assert_eq!(v.code, 0, "{fault}: {}{}", v.stdout, v.stderr);
        let csv = std::fs::read_to_string(rd.join("coordinates.csv")).expect("csv");
        for row in csv.lines().skip(1) {
            let want = if row.contains(",BF,") {
                ",BF,20,"
            } else {
                ",GFP,50,"
            };
            assert!(row.contains(want), "{fault}: {row}");
        }
        let fired = board.events_of("fault").len()
            + board.events_of("lost").len()
            + board.events_of("ack_dropped").len();
        assert!(fired > 0, "{fault} never happened");
        eprintln!(
            "{fault}: exit {}, {} light intervals, longest {:.3} s",
            r.code,
            iv.len(),
            iv.iter()
                .map(|i| i.2.unwrap_or(i.1) - i.1)
                .fold(0.0, f64::max)
        );
    }
}

/// A board that restarts mid-run lost its homing: the run stops at once with a clear outcome
/// and what to do (no grinding through the plate with retries), `resume` re-homes and
/// finishes it; with `on_error: {rehome: true}` the run re-homes and goes on by itself.
#[test]
fn a_restarted_board_stops_the_run_at_once_unless_the_protocol_allows_rehoming() {
    let board = McuProcess::start(&["--fault", "reboot:turn-on-illumination#3"]);
    let dir = tempfile::tempdir().expect("tmp");
    let m = board.shipped_microscope(dir.path(), "2s");
    let protocol = "name: reboot\nplate: {format: 96, wells: \"A1\"}\nfov: {grid: 2x2}\nchannels:\n  - {name: BF, exposure: 20ms, intensity: 30%}\non_error: {retries: 2, backoff: 100ms}\n";
    let p = write(dir.path(), "p.yaml", protocol);
    let out = dir.path().join("out");
    let args = acquire_args(&p, &m, &out);
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("re-home required") && r.stderr.contains("squidctl resume"),
        "{}",
        r.stderr
    );
    let rd = run_dir(&out);
    assert_eq!(run_json(&rd)["state"], "failed");
    let j = journal(&rd);
    assert_eq!(
        kinds(&j, "step_error").len(),
        1,
        "no retries of a lost homing"
    );
    assert!(kinds(&j, "fov_skipped").is_empty());
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run_json(&rd)["counts"]["saved"], 4);

    // Allowed by the protocol: re-homed (Z, X, Y again) and completed in one go.
    let board = McuProcess::start(&["--fault", "reboot:turn-on-illumination#3"]);
    let m = board.shipped_microscope(dir.path(), "2s");
    let p = write(
        dir.path(),
        "p.yaml",
        &protocol.replace("backoff: 100ms", "backoff: 100ms, rehome: true"),
    );
    let out = dir.path().join("out2");
    let args = acquire_args(&p, &m, &out);
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("re-homing the board"), "{}", r.stderr);
    assert_eq!(run_json(&run_dir(&out))["counts"]["saved"], 4);
    let z_homings = board
        .events_of("homed")
        .iter()
        .filter(|e| e["axis"] == 2)
        .count();
    assert_eq!(z_homings, 2, "homed twice");
}

/// A robot's moves and a snap on the emulated board at shipped speeds: the stage ends where
/// it was asked (the board's own reported position), each action connects and homes first,
/// and every light the board switched on was switched off again.
#[test]
fn actions_on_the_emulated_board_go_where_asked_and_leave_no_light_on() {
    let board = McuProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let locks = tempfile::tempdir().expect("tmp");
    let m = board.shipped_microscope(dir.path(), "2s");
    let act = |args: &[&str]| {
        Run::from(
            queue_cmd(dir.path(), locks.path(), &m, args)
                .output()
                .expect("spawn"),
        )
    };
    let r = act(&["move", "--to", "loading", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p = &r.json()["position"];
    // The board's reported position, in its µsteps, is the named place.
    for (axis, want) in [("x_mm", 110.0), ("y_mm", 75.0), ("z_mm", 1.0)] {
        let got = p[axis].as_f64().expect("position");
        assert!((got - want).abs() < 0.001, "{axis}: {got} vs {want}");
    }
    assert!(r.stderr.contains("squid board: homing x"), "{}", r.stderr);
    let o = dir.path().join("snaps").display().to_string();
    let r = act(&["snap", "--channel", "GFP", "-o", &o, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = r.json()["result"]["path"]
        .as_str()
        .expect("path")
        .to_string();
    assert!(std::path::Path::new(&path).exists());
    board_ends_clean(&board);
    let lights = board.events_of("light");
    assert!(
        lights.iter().any(|e| e["on"] == true),
        "the snap lit the sample: {lights:?}"
    );
}

/// `stop --now` during a long exposure on the emulated board: the board's log shows every
/// light off right after the request (the latency is printed; `benches/estop.sh` measures
/// its distribution), the run ends with its emergency-stop record, nothing starts until the
/// reset, and `resume` then completes the run.
#[test]
fn an_emergency_stop_during_an_exposure_turns_every_light_off_and_resume_completes() {
    let board = McuProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let locks = tempfile::tempdir().expect("tmp");
    let m = board.shipped_microscope(dir.path(), "2s");
    let cmd = |args: &[&str]| queue_cmd(dir.path(), locks.path(), &m, args);
    let p = write(
        dir.path(),
        "long.yaml",
        "name: long\nplate: {format: 96, wells: \"A1\"}\nfov: {grid: 2x2}\nchannels:\n  - {name: GFP, exposure: 900ms, intensity: 20%}\n",
    );
    let out = dir.path().join("out");
    let child = cmd(&["acquire", &p, "--output", &out.display().to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let rd = wait_for_frames(&out, 1);
    // In the middle of an exposure: a light is on.
    let t = Instant::now();
    while !light_intervals(&board.events())
        .iter()
        .any(|i| i.2.is_none())
    {
        assert!(t.elapsed() < Duration::from_secs(60), "no exposure began");
        std::thread::sleep(Duration::from_millis(5));
    }
    let asked = squidctl::clock::WallTime::now().unix_s;
    let r = Run::from(cmd(&["stop", "--now", "--json"]).output().expect("stop"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run = Run::from(child.wait_with_output().expect("run"));
    assert_eq!(run.code, 130, "{}", run.stderr);
    let events = board.events();
    let start = events
        .iter()
        .find(|e| e["kind"] == "started")
        .and_then(|e| e["unix"].as_f64())
        .expect("the board's start time");
    let off = light_intervals(&events)
        .into_iter()
        .filter_map(|i| i.2)
        .map(|t| start + t)
        .filter(|t| *t >= asked)
        .fold(f64::NAN, f64::min);
    assert!(
        off.is_finite(),
        "no light went off after the stop: {events:?}"
    );
    eprintln!(
        "emergency stop: request → every light off in {:.1} ms",
        (off - asked) * 1000.0
    );
    board_ends_clean(&board);
    let j = journal(&rd);
    assert_eq!(
        kinds(&j, "emergency_stop")[0]["lights_off_confirmed"],
        true,
        "{j:?}"
    );
    // Latched: a move is refused; after the reset, resume completes what is left.
    let r = Run::from(cmd(&["move", "--to", "loading"]).output().expect("move"));
    assert_eq!(r.code, 6, "{}", r.stderr);
    let r = Run::from(cmd(&["reset"]).output().expect("reset"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = Run::from(
        cmd(&["resume", &rd.display().to_string()])
            .output()
            .expect("resume"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = Run::from(
        squidctl(&["verify", &rd.display().to_string()])
            .output()
            .expect("verify"),
    );
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    board_ends_clean(&board);
}

/// `stop --now --cut-motors` during a move on the emulated board: every light off, then the
/// x, y and z drivers disabled (the board's log), the move stops short, and the state says
/// the stage is no longer homed.
#[test]
fn cutting_the_motors_stops_a_move_and_loses_the_homing() {
    let board = McuProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let locks = tempfile::tempdir().expect("tmp");
    let m = board.shipped_microscope(dir.path(), "2s");
    let cmd = |args: &[&str]| queue_cmd(dir.path(), locks.path(), &m, args);
    let mv = cmd(&["move", "--to", "loading", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("move");
    // After connecting and homing, the move to the loading position (x 110 mm, beyond any
    // move the homing makes) starts.
    let t = Instant::now();
    let moving = |e: &Value| {
        e["kind"] == "exec"
            && e["command"].as_str().is_some_and(|c| {
                c.strip_prefix("MoveTo { axis: X, usteps: ")
                    .and_then(|u| u.trim_end_matches(" }").parse::<i64>().ok())
                    .is_some_and(|u| u.abs() > 100_000)
            })
    };
    while !board.events().iter().any(moving) {
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "the move never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let r = Run::from(
        cmd(&["stop", "--now", "--cut-motors", "--json"])
            .output()
            .expect("stop"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let moved = Run::from(mv.wait_with_output().expect("move"));
    assert_ne!(moved.code, 0, "the move was stopped: {}", moved.stderr);
    eprintln!("{}", moved.stderr);
    let cut: Vec<Value> = board
        .events_of("driver")
        .into_iter()
        .filter(|e| e["enabled"] == false)
        .collect();
    let axes: Vec<i64> = cut.iter().filter_map(|e| e["axis"].as_i64()).collect();
    assert_eq!(axes, vec![0, 1, 2], "{cut:?}");
    // x stopped short of the loading position (110 mm; 16 µsteps, 2.54 mm pitch; x's sign
    // is -1 on this rig).
    let x_mm = (cut[0]["pos"].as_f64().expect("pos") / (16.0 * 200.0 / 2.54)).abs();
    assert!(x_mm < 109.0, "x at {x_mm} mm: {cut:?}");
    board_ends_clean(&board);
    let s = Run::from(cmd(&["status", "--json"]).output().expect("status"));
    let v = s.json();
    assert_eq!(
        (v["state"].clone(), v["homed"].clone()),
        (json!("error"), json!(false)),
        "{v}"
    );
    assert_eq!(v["emergency_stop"]["cut_motors"], true);
}

/// A 5-plane stack on a Squid whose objective has a piezo (`stage.z.piezo`): the board's log
/// shows the planes as writes to DAC channel 7, each plane's value where Squid's mapping puts
/// it, and the z motor moves only to reach the field. The same stack without the piezo moves
/// the motor for every plane.
#[test]
fn a_piezo_stack_on_the_emulated_board_steps_the_dac_not_the_motor() {
    let protocol = "name: stack
plate: {format: 96, wells: [B2]}
fov: {grid: 1x1}
z: {count: 5, step: 1um, from: center}
channels:
  - {name: DAPI, exposure: 5ms, intensity: 20%}
";
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "stack.yaml", protocol);
    let z_line = "  z: {profile: s-curve, speed: 5mm/s, acceleration: 100mm/s2, settle: 25ms}";
    let mut motor_moves = Vec::new();
    for piezo in [true, false] {
        let board = McuProcess::start(&[]);
        let text = squid_microscope_shipped(&board.link.display().to_string(), "2s");
        assert!(text.contains(z_line), "the shipped z line moved");
        let text = if piezo {
            text.replace(
                z_line,
                &format!(
                    "{}, piezo: {{range: 300um, home: 20um, settle: 20ms}}}}",
                    &z_line[..z_line.len() - 1]
                ),
            )
        } else {
            text
        };
        let m = write(dir.path(), "squid.yaml", &text);
        let out = dir.path().join(format!("out-{piezo}"));
        let r = run(&[
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &out.display().to_string(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let events = board.events();
        let is_z_move = |e: &serde_json::Value| {
            e["kind"] == "exec"
                && e["command"]
                    .as_str()
                    .is_some_and(|c| c.contains("MoveTo { axis: Z"))
        };
        let is_dac = |e: &serde_json::Value| e["kind"] == "dac" && e["channel"] == 7;
        // The motor's moves while the stack is taken: from the first plane's frame on.
        let first_trigger = events
            .iter()
            .position(|e| e["kind"] == "trigger" || e["kind"] == "light")
            .unwrap_or(0);
        let last_dac = events.iter().rposition(is_dac).unwrap_or(events.len());
        let z_moves = events[first_trigger..]
            .iter()
            .filter(|e| is_z_move(e))
            .count();
        let z_moves_in_stack = events[first_trigger..last_dac.max(first_trigger)]
            .iter()
            .filter(|e| is_z_move(e))
            .count();
        motor_moves.push(z_moves);
        let dac: Vec<u64> = events
            .iter()
            .filter(|e| is_dac(e))
            .filter_map(|e| e["value"].as_u64())
            .collect();
        if piezo {
            // 18, 19, 20, 21, 22 µm of 300 µm (Squid's 65535 · um / range), less the stepper's
            // rounding to a microstep (0.09 µm), which the piezo takes up.
            assert_eq!(dac.len(), 5, "each plane one DAC write: {dac:?}");
            for (v, um) in dac.iter().zip([18.0, 19.0, 20.0, 21.0, 22.0]) {
                let want = um / 300.0 * 65535.0;
                assert!((*v as f64 - want).abs() < 0.1 / 300.0 * 65535.0, "{dac:?}");
            }
            assert_eq!(
                z_moves_in_stack, 0,
                "the motor is still while the planes are taken"
            );
        } else {
            assert!(dac.is_empty(), "{dac:?}");
        }
        board_ends_clean(&board);
    }
    assert!(
        motor_moves[1] >= 4,
        "without the piezo the motor steps: {motor_moves:?}"
    );
}
