//! Running the facility's own commands (`--check-cmd`, `--on-finish`) under a deadline: a
//! script that hangs must not hang the queue.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a command ended: its exit code (`None`: killed, or timed out) and the start of what it
/// printed.
pub struct Ran {
    pub code: Option<i32>,
    pub timed_out: bool,
    pub output: String,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// In words, for a note or an event.
    pub fn describe(&self, cmd: &str) -> String {
        let first = self
            .output
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let how = match (self.timed_out, self.code) {
            (true, _) => "timed out".to_string(),
            (false, Some(c)) => format!("exited {c}"),
            (false, None) => "was killed by a signal".to_string(),
        };
        if first.is_empty() {
            format!("`{cmd}` {how}")
        } else {
            format!("`{cmd}` {how}: {}", first.trim())
        }
    }
}

/// `sh -c cmd` with `stdin` fed in and `env` added; killed after `timeout`.
pub fn run(
    cmd: &str,
    stdin: &[u8],
    env: &[(&str, String)],
    timeout: Duration,
) -> std::io::Result<Ran> {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn()?;
    if let Some(mut i) = child.stdin.take() {
        let data = stdin.to_vec();
        // A command that does not read its input must not block us.
        std::thread::spawn(move || {
            let _ = i.write_all(&data);
        });
    }
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|r| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.take(64 * 1024).read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    })
    .collect();
    let start = Instant::now();
    let (code, timed_out) = loop {
        if let Some(st) = child.try_wait()? {
            break (st.code(), false);
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = if timed_out {
        // Its grandchildren may keep the pipes open; do not wait for them.
        String::new()
    } else {
        readers
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect::<Vec<_>>()
            .join("")
    };
    Ok(Ran {
        code,
        timed_out,
        output,
    })
}
