//! Helpers for running the real binary in integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_squidctl"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A squidctl command with a clean environment (no user microscope, no log settings).
pub fn squidctl(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(repo())
        .env_remove("SQUIDCTL_MICROSCOPE")
        .env_remove("SQUIDCTL_LOG")
        .stdin(Stdio::null());
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn run(args: &[&str]) -> Run {
    Run::from(squidctl(args).output().expect("spawn squidctl"))
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::from(
        squidctl(args)
            .current_dir(dir)
            .output()
            .expect("spawn squidctl"),
    )
}

pub fn run_stdin(args: &[&str], input: &str) -> Run {
    let mut child = squidctl(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn squidctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    Run::from(child.wait_with_output().expect("wait"))
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write file");
    p.display().to_string()
}

/// A small valid protocol to mutate in tests.
pub const SMALL: &str = "name: small
plate:
  format: 96
  wells: \"A1:A2\"
fov:
  grid: 2x2
channels:
  - name: BF
    exposure: 10ms
    intensity: 40%
  - name: GFP
    exposure: 20ms
    intensity: 50%
";
