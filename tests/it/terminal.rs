//! squidctl on a real (pseudo-)terminal, made by util-linux `script`: the two progress lines
//! and a countdown are drawn, Ctrl-C typed at the keyboard cancels cleanly, and the terminal's
//! settings are as they were afterwards.

use crate::common::*;

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One time point, then a long wait for the next: Ctrl-C lands during the countdown.
const P: &str = "name: tty
plate: {format: 96, wells: \"C2\"}
fov: {grid: 2x2}
channels:
  - {name: GFP, exposure: 20ms, intensity: 50%}
time: {every: 1h, count: 3}
";

#[test]
fn bars_countdown_and_ctrl_c_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", P);
    let m = microscope(dir.path(), 1.0, &[]);
    let out = dir.path().join("out");
    let inner = format!(
        "stty cols 80 rows 24; stty -a | grep -o -- '-*echoctl' | sed 's/^/before: /'; \
         {} acquire {p} --microscope {m} --output {}; echo \"exit: $?\"; \
         stty -a | grep -o -- '-*echoctl' | sed 's/^/after: /'",
        bin().display(),
        out.display()
    );
    let mut child = clean_env(&mut std::process::Command::new("script"))
        .args(["-q", "-f", "-e", "-c", &inner, "/dev/null"])
        .current_dir(dir.path())
        // `script -c` runs $SHELL. The typed Ctrl-C reaches the whole foreground group, shell
        // included: bash waits for squidctl and goes on when it exits by itself (as at an
        // interactive prompt), while dash (CI's /bin/sh) quits after it, losing the lines below.
        .env("SHELL", "/bin/bash")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` is installed (it makes the pseudo-terminal)");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = |seen: &[u8]| String::from_utf8_lossy(seen).into_owned();
    while !text(&seen).contains("starts in") {
        assert!(
            Instant::now() < deadline,
            "no countdown on the terminal:\n{}",
            text(&seen)
        );
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.extend(chunk);
        }
    }
    // Ctrl-C as typed: the terminal turns it into SIGINT for the foreground process.
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&[0x03]).expect("type Ctrl-C");
    stdin.flush().expect("flush");
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "squidctl did not stop:\n{}",
            text(&seen)
        );
        while let Ok(chunk) = rx.try_recv() {
            seen.extend(chunk);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    let _ = reader.join();
    while let Ok(chunk) = rx.try_recv() {
        seen.extend(chunk);
    }
    let all = text(&seen);
    assert!(status.success(), "script failed: {status:?}\n{all}");
    assert!(all.contains("exit: 130"), "{all}");
    assert!(all.contains('\u{1b}'), "bars are drawn with escape codes");
    assert!(all.contains("4/12 frames (33%)"), "{all}");
    assert!(all.contains("t=1/3 · well C2 · fov"), "{all}");
    assert!(all.contains("t=2/3 starts in"), "{all}");
    assert!(all.contains("cancelled: cancelled by SIGINT"), "{all}");
    // No `^C` echoed into the bars (it would leave a stale bar line behind) and the
    // terminal echoes control characters again afterwards, as before.
    assert!(!all.contains("^C"), "{all}");
    assert!(all.contains("before: echoctl"), "{all}");
    assert!(all.contains("after: echoctl"), "{all}");
    let rec = run_json(&run_dir(&out));
    assert_eq!(rec["state"], "cancelled");
    assert_eq!(rec["counts"]["saved"], 4);
}
