//! The command line as scripts and cron see it: no escape codes and a periodic progress line
//! without a terminal, one JSON document per command with --json, --set reaching the plan and
//! the output path, protocols on stdin, -q/-v, and completions and man pages kept current.

use crate::common::*;

const P: &str = "name: cli
plate: {format: 96, wells: \"C2\"}
fov: {grid: 2x2}
z: {count: 2, step: 1um}
channels:
  - {name: GFP, exposure: 20ms, intensity: 50%}
";

#[test]
fn without_a_terminal_no_escape_codes_and_a_periodic_progress_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", P);
    let m = microscope(dir.path(), 1.0, &[]);
    let out = dir.path().join("out");
    let r = run(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
        "--progress-interval",
        "150ms",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stderr.contains('\u{1b}'),
        "escape codes in:\n{:?}",
        r.stderr
    );
    assert!(
        r.stderr.contains("progress: ") && r.stderr.contains(" of 8 frames ("),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("well C2 · fov"), "{}", r.stderr);
    // Each log line says when (cron's log has no other clock).
    let stamped = r
        .stderr
        .lines()
        .filter(|l| l.contains(" INFO "))
        .all(|l| l.starts_with("20") && l.as_bytes().get(10) == Some(&b'T'));
    assert!(stamped, "{}", r.stderr);
    let log = std::fs::read_to_string(run_dir(&out).join("squidctl.log")).expect("log");
    assert!(
        log.contains("progress: ") && !log.contains('\u{1b}'),
        "{log}"
    );
    // A time-lapse on a simulator ten times faster than life: the time left is wall-clock
    // time (the schedule's 40 s take about 4 s), not the microscope clock's.
    let fast = microscope(dir.path(), 0.1, &[]);
    let lapse = write(
        dir.path(),
        "lapse.yaml",
        &format!("{P}time: {{every: 10s, count: 5}}\n"),
    );
    let mut args = acquire_args(&lapse, &fast, &dir.path().join("lapse"));
    args.extend(["--progress-interval".to_string(), "300ms".to_string()]);
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lefts: Vec<f64> = r
        .stderr
        .split("about ")
        .skip(1)
        .filter_map(|rest| rest.split(" left").next())
        .filter_map(|d| d.strip_suffix('s').and_then(|n| n.parse().ok()))
        .collect();
    assert!(!lefts.is_empty(), "{}", r.stderr);
    assert!(lefts.iter().all(|s| *s <= 6.0), "{lefts:?}: {}", r.stderr);
    // --progress never behaves the same on a terminal; here it must stay plain too.
    let r = run(&["simulate", &p, "--microscope", &m, "--progress", "never"]);
    assert_eq!(r.code, 0);
    assert!(!r.stderr.contains('\u{1b}'));
}

#[test]
fn every_command_prints_one_json_document() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", P);
    let m = microscope(dir.path(), 0.0, &[]);
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let acquire = run(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out_s,
        "--json",
    ]);
    assert_eq!(acquire.code, 0, "{}", acquire.stderr);
    let rd = run_dir(&out).display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["validate", &p, "--json"], "validate"),
        (
            vec!["simulate", &p, "--microscope", &m, "--estimate", "--json"],
            "simulate",
        ),
        (
            vec!["simulate", &p, "--microscope", &m, "--json"],
            "simulate",
        ),
        (vec!["devices", "--microscope", &m, "--json"], "devices"),
        (vec!["verify", &rd, "--json"], "verify"),
        (vec!["report", &rd, "--json"], "report"),
        (vec!["resume", &rd, "--json"], "resume"),
    ];
    let j = acquire.json();
    assert_eq!(j["command"], "acquire");
    assert_eq!(j["counts"]["saved"], 8);
    assert_eq!(j["exit_code"], 0);
    for (args, _) in &cases {
        // A reader that went away (`squidctl report --json | head -c 100`) is no crash.
        let mut child = squidctl(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let closed = Run::from(child.wait_with_output().expect("wait"));
        assert_eq!(
            closed.code, 0,
            "{args:?} into a closed pipe: {}",
            closed.stderr
        );
        assert!(!closed.stderr.contains("panicked"), "{}", closed.stderr);
    }
    for (args, command) in cases {
        let r = run(&args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let j = r.json();
        assert_eq!(j["command"], command, "{args:?}");
        assert_eq!(
            r.stdout.trim().lines().count(),
            1,
            "one line of JSON for {args:?}"
        );
    }
    // Failures are JSON too: exactly one line, on every exit of every command.
    let r = run(&["verify", "/nonexistent", "--json"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json()["command"], "verify");
    let failures: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["acquire", "/nonexistent.yaml", "--json"],
            "acquire",
            "cannot read",
        ),
        (
            vec!["acquire", &p, "--set", "plate.wells=ZZ99", "--json"],
            "acquire",
            "ZZ99",
        ),
        (
            vec!["simulate", &p, "--set", "nope=1", "--json"],
            "simulate",
            "nope",
        ),
        (vec!["acquire", "--json"], "acquire", "required arguments"),
        (
            vec!["report", &rd, "--bogus", "--json"],
            "report",
            "--bogus",
        ),
        (
            vec!["queue", "--json", "--microscope", "/nonexistent.yaml"],
            "queue",
            "",
        ),
    ];
    for (args, command, says) in failures {
        let r = run(&args);
        assert_ne!(r.code, 0, "{args:?}");
        assert_eq!(r.stdout.trim().lines().count(), 1, "{args:?}: {}", r.stdout);
        let j = r.json();
        assert_eq!(j["command"], command, "{args:?}");
        assert_eq!(j["exit_code"], r.code, "{args:?}");
        assert!(
            j["reason"].as_str().is_some_and(|m| m.contains(says)),
            "{args:?}: {j}"
        );
    }
    let r = run(&["plan", &p, "--format", "jsonl", "--limit", "3"]);
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
            .count(),
        3
    );
}

#[test]
fn set_overrides_reach_the_plan_and_the_output_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", P);
    let m = microscope(dir.path(), 0.0, &[]);
    let out = dir.path().join("out");
    let r = run(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
        "--set",
        "plate.wells=C2:C3",
        "--set",
        "metadata.plate=P042",
        "--set",
        "output.run_name={plate}_{name}",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["counts"]["planned"], 16);
    let rd = run_dir(&out);
    assert_eq!(rd.file_name().and_then(|n| n.to_str()), Some("P042_cli"));
    let copy = std::fs::read_to_string(rd.join("protocol.yaml")).expect("copy");
    assert!(
        copy.contains("plate: P042") && copy.contains("C2:C3"),
        "{copy}"
    );
    // A --set with a bad value is located at the --set.
    let r = run(&["validate", &p, "--set", "z.step=1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--set z.step:1:1") && r.stderr.contains("`1um`"),
        "{}",
        r.stderr
    );
}

#[test]
fn protocols_from_stdin_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = microscope(dir.path(), 0.0, &[]);
    let out = dir.path().join("out");
    let r = run_stdin(
        &[
            "acquire",
            "-",
            "--microscope",
            &m,
            "--output",
            &out.display().to_string(),
            "--json",
        ],
        P,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["counts"]["saved"], 8);
    let rec = run_json(&run_dir(&out));
    assert_eq!(rec["protocol_file"], "<stdin>");
}

#[test]
fn quiet_and_verbose() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", P);
    let m = microscope(dir.path(), 0.0, &[]);
    let r = run(&["simulate", &p, "--microscope", &m, "-q"]);
    assert_eq!(r.code, 0);
    assert!(!r.stderr.contains(" INFO "), "{}", r.stderr);
    let r = run(&["simulate", &p, "--microscope", &m]);
    assert!(r.stderr.contains(" INFO "), "{}", r.stderr);
    let r = Run::from(
        squidctl(&["simulate", &p, "--microscope", &m])
            .env("SQUIDCTL_LOG", "squidctl=warn")
            .output()
            .expect("run"),
    );
    assert!(!r.stderr.contains(" INFO "), "{}", r.stderr);
    // At -v, where the time before the first frame goes (it was seconds, unseen even at -vv).
    let mut args = vec!["-v".to_string()];
    args.extend(acquire_args(&p, &m, &dir.path().join("out")));
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    for step in [
        "devices opened after",
        "run directory prepared after",
        "savers started after",
    ] {
        assert!(r.stderr.contains(step), "{step}: {}", r.stderr);
    }
}

#[test]
fn completions_are_current() {
    for (shell, file) in [
        ("bash", "squidctl.bash"),
        ("zsh", "_squidctl"),
        ("fish", "squidctl.fish"),
        ("elvish", "squidctl.elv"),
        ("powershell", "_squidctl.ps1"),
    ] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0);
        let checked =
            std::fs::read_to_string(repo().join("completions").join(file)).unwrap_or_default();
        assert!(
            r.stdout == checked,
            "completions/{file} is stale: run `cargo run -q -- completions {shell} > completions/{file}` and commit it"
        );
        assert!(
            r.stdout.contains("resume") && r.stdout.contains("wait-lock"),
            "{shell}"
        );
    }
}

#[test]
fn man_pages_are_current() {
    let mut pages = vec![(None, "squidctl.1".to_string())];
    for c in [
        "validate",
        "plan",
        "simulate",
        "acquire",
        "devices",
        "calibrate-af",
        "resume",
        "verify",
        "report",
        "emulate",
        "submit",
        "queue",
        "show",
        "cancel",
        "hold",
        "release",
        "move",
        "home",
        "snap",
        "focus",
        "lights",
        "filter",
        "status",
        "faults",
        "methods",
        "preflight",
        "reserve",
        "stop",
        "reset",
        "pause",
        "unpause",
        "wait",
        "events",
        "history",
        "gc",
        "worker",
        "serve",
        "import",
        "completions",
        "man",
    ] {
        pages.push((Some(c), format!("squidctl-{c}.1")));
    }
    for (cmd, file) in pages {
        let mut args = vec!["man"];
        args.extend(cmd);
        let r = run(&args);
        assert_eq!(r.code, 0);
        assert!(r.stdout.starts_with(".ie") && r.stdout.contains(".SH NAME"));
        let checked = std::fs::read_to_string(repo().join("man").join(&file)).unwrap_or_default();
        assert!(
            r.stdout == checked,
            "man/{file} is stale: run `cargo run -q -- man {} > man/{file}` and commit it",
            cmd.unwrap_or("")
        );
    }
    let r = run(&["man", "acquier"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `acquire`?"), "{}", r.stderr);
}
