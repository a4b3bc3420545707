//! `squidctl emulate mcu`: the board's firmware on a pseudo-terminal, spoken to byte by byte
//! with the protocol module, as a driver would.

use crate::common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use squidctl::hardware::squid::protocol::{Axis, Command, State, Status, StatusReader};

/// Kills the emulator whatever happens to the test, so no process outlives it.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Board {
    child: Process,
    port: std::fs::File,
    reader: StatusReader,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Board {
    fn start(version: &str) -> Board {
        let dir = tempfile::tempdir().expect("tmp");
        let log = dir.path().join("board.jsonl");
        let link = dir.path().join("ttySquid");
        let child = squidctl(&[
            "emulate",
            "mcu",
            "--version",
            version,
            "--log",
            &log.display().to_string(),
            "--link",
            &link.display().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator starts");
        let mut child = Process(child);
        let mut first = String::new();
        BufReader::new(child.0.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("the port's path");
        assert!(first.starts_with("/dev/pts/"), "{first:?}");
        assert_eq!(
            std::fs::read_link(&link)
                .expect("link")
                .display()
                .to_string(),
            first.trim()
        );
        let port = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&link)
            .expect("open the port by its link");
        set_nonblocking(&port);
        Board {
            child,
            port,
            reader: StatusReader::default(),
            log,
            _dir: dir,
        }
    }

    /// Status packets for `d`.
    fn read_for(&mut self, d: Duration) -> Vec<Status> {
        let end = Instant::now() + d;
        let mut out = Vec::new();
        let mut buf = [0u8; 1024];
        while Instant::now() < end {
            match self.port.read(&mut buf) {
                Ok(n) => out.extend(self.reader.push(&buf[..n])),
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        out
    }

    fn send(&mut self, bytes: &[u8]) {
        self.port.write_all(bytes).expect("write to the board");
    }

    /// Send and wait until a packet acknowledges `id` as done (or failed); the packets seen.
    fn until_done(&mut self, id: u8, limit: Duration) -> (Vec<Status>, Duration) {
        let t = Instant::now();
        let mut seen = Vec::new();
        while t.elapsed() < limit {
            let got = self.read_for(Duration::from_millis(5));
            let done = got
                .iter()
                .any(|s| s.id == id && matches!(s.state, State::Completed | State::ExecutionError));
            seen.extend(got);
            if done {
                return (seen, t.elapsed());
            }
        }
        panic!("command {id} not done within {limit:?}: {:?}", seen.last());
    }

    fn events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

fn set_nonblocking(f: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl on an open descriptor.
    unsafe {
        let fl = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(f.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

#[test]
fn the_board_streams_status_and_a_bad_checksum_sticks_until_a_good_frame() {
    let mut b = Board::start("1.4");
    let s = b.read_for(Duration::from_millis(300));
    assert!(s.len() >= 15, "about 100 packets a second, got {}", s.len());
    assert!(
        s.iter()
            .all(|p| p.version.to_string() == "1.4" && p.id == 0)
    );
    let mut bad = Command::Heartbeat.encode(7);
    bad[7] ^= 0xff;
    b.send(&bad);
    let s = b.read_for(Duration::from_millis(100));
    let errs: Vec<&Status> = s
        .iter()
        .filter(|p| p.state == State::ChecksumError)
        .collect();
    assert!(errs.len() >= 4, "sticky: {s:?}");
    assert!(
        errs.iter().all(|p| p.id == 7),
        "b0 is set even for a bad frame"
    );
    b.send(&Command::TurnOffAllPorts.encode(8));
    let (seen, _) = b.until_done(8, Duration::from_secs(1));
    assert_eq!(seen.last().map(|p| p.state), Some(State::Completed));
}

/// A 10 mm X move at 25 mm/s and 500 mm/s²: the S-curve takes 0.5 s; the board says busy
/// until the axis is there, then reports the exact target.
#[test]
fn a_move_takes_its_s_curve_time_and_ends_at_the_exact_target() {
    let mut b = Board::start("1.4");
    // 1 mm pitch, 8 µsteps × 200: 1600 µsteps per mm.
    let setup = [
        Command::SetLeadScrewPitch {
            axis: Axis::X,
            pitch_um: 1000,
        },
        Command::ConfigureStepperDriver {
            axis: Axis::X,
            microstepping: 8,
            current_ma: 490,
            hold: 127,
        },
        Command::SetMaxVelocityAcceleration {
            axis: Axis::X,
            v_centi: 2500,
            a_deci: 5000,
        },
    ];
    for (i, c) in setup.iter().enumerate() {
        let id = i as u8 + 1;
        b.send(&c.encode(id));
        b.until_done(id, Duration::from_secs(1));
    }
    b.send(
        &Command::MoveTo {
            axis: Axis::X,
            usteps: 16_000,
        }
        .encode(4),
    );
    let (seen, took) = b.until_done(4, Duration::from_secs(3));
    let expect = 10.0 / 25.0 + 2.0 * 25.0 / 500.0;
    // Never reported done before the motion can have ended (the host saw it at least that
    // long after sending); the board's own clock puts the move within 20 ms + 10 % of the
    // S-curve. The host-side bound is loose: it measures this machine's scheduling too.
    assert!(
        took.as_secs_f64() >= expect - 0.005 && took.as_secs_f64() < expect + 0.5,
        "took {took:?}, S-curve {expect} s"
    );
    let ev = b.events();
    let sent = ev
        .iter()
        .find(|e| e["kind"] == "exec" && e["id"] == 4)
        .and_then(|e| e["t"].as_f64())
        .expect("the move executed");
    let idle = ev
        .iter()
        .filter(|e| e["kind"] == "idle")
        .filter_map(|e| e["t"].as_f64())
        .find(|t| *t > sent)
        .expect("the board went idle");
    let moved = idle - sent;
    assert!(
        moved >= expect - 0.002 && moved <= expect + 0.02 + 0.1 * expect,
        "the board moved for {moved} s, S-curve {expect} s"
    );
    let busy = seen
        .iter()
        .filter(|p| p.id == 4 && p.state == State::InProgress)
        .count();
    assert!(busy > 20, "in progress while moving: {busy}");
    let last = seen.last().expect("a packet");
    assert_eq!(last.x, 16_000);
    // Positions in between rise and never pass the target.
    let xs: Vec<i32> = seen.iter().filter(|p| p.id == 4).map(|p| p.x).collect();
    assert!(
        xs.windows(2).all(|w| w[0] <= w[1] && w[1] <= 16_000),
        "{xs:?}"
    );
    let execs = b
        .events()
        .iter()
        .filter(|e| e["kind"] == "exec" && e["id"] == 4)
        .count();
    assert_eq!(execs, 1, "executed once");
}

/// The watchdog turns a forgotten laser off when the host falls silent; D3 is source 14.
#[test]
fn the_watchdog_turns_every_light_off_when_the_host_falls_silent() {
    let mut b = Board::start("1.4");
    let cmds = [
        Command::SetWatchdogTimeout { ms: 200 },
        Command::SetIllumination {
            source: 14,
            intensity: 30_000,
        },
        Command::TurnOnIllumination,
    ];
    for (i, c) in cmds.iter().enumerate() {
        let id = i as u8 + 1;
        b.send(&c.encode(id));
        b.until_done(id, Duration::from_secs(1));
    }
    b.read_for(Duration::from_millis(400));
    let ev = b.events();
    let on = ev
        .iter()
        .position(|e| e["kind"] == "light" && e["port"] == 2 && e["on"] == true);
    let dog = ev.iter().position(|e| e["kind"] == "watchdog");
    let off = ev
        .iter()
        .position(|e| e["kind"] == "light" && e["port"] == 2 && e["on"] == false);
    assert!(on.is_some() && dog.is_some() && off.is_some(), "{ev:#?}");
    assert!(on < dog && dog < off, "{ev:#?}");
}

#[test]
fn sigterm_stops_the_board_and_removes_its_link() {
    let mut b = Board::start("1.4");
    let link = b.log.with_file_name("ttySquid");
    assert!(link.exists());
    // SAFETY: signalling our own child.
    unsafe { libc::kill(b.child.0.id() as i32, libc::SIGTERM) };
    let status = b.child.0.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    assert!(std::fs::symlink_metadata(&link).is_err(), "link removed");
}

#[test]
fn a_bad_version_is_refused() {
    let r = run(&["emulate", "mcu", "--version", "one"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("write MAJOR.MINOR"), "{}", r.stderr);
}
