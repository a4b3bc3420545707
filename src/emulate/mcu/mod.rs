//! `squidctl emulate mcu`: the Squid board's firmware behind a pseudo-terminal, so squidctl
//! (or anything that speaks the protocol) can be rehearsed without the hardware.

pub mod firmware;
pub mod pty;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::hardware::faults::SplitMix;
use crate::hardware::squid::protocol::Version;
use firmware::Firmware;

/// Status packets go out this often, plus up to 2 ms of jitter (the firmware's "> 10 ms").
const STATUS_EVERY_S: f64 = 0.010;

pub struct Options {
    pub link: Option<PathBuf>,
    pub version: Version,
    pub log: Option<PathBuf>,
}

/// Serve until SIGINT or SIGTERM (blocked by the caller, so they wait to be noticed here).
/// Prints the port's path as the first line of stdout.
pub fn serve(opts: &Options) -> std::io::Result<()> {
    let mut pty = pty::Pty::open()?;
    if let Some(link) = &opts.link {
        relink(link, &pty.path)?;
    }
    // Last, so that a reader of this line finds the link in place.
    let mut out = std::io::stdout();
    writeln!(out, "{}", pty.path.display())?;
    out.flush()?;
    let mut log = match &opts.log {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    let mut fw = Firmware::new(opts.version);
    let start = Instant::now();
    let mut rng = SplitMix(0x5155_1d00);
    let mut next_status = 0.0;
    let mut buf = [0u8; 4096];
    let result = loop {
        if crate::supervisor::signals::pending_cancel_signal().is_some() {
            break Ok(());
        }
        let now = start.elapsed().as_secs_f64();
        let wait_ms = ((next_status - now) * 1000.0).clamp(0.0, 2.0) as i32;
        if pty.wait_readable(wait_ms) {
            match pty.master.read(&mut buf) {
                Ok(n) => fw.receive(&buf[..n], start.elapsed().as_secs_f64()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // No host has the port open: nothing to read.
                Err(e) if e.raw_os_error() == Some(libc::EIO) => {}
                Err(e) => break Err(e),
            }
        }
        let now = start.elapsed().as_secs_f64();
        fw.tick(now);
        if now >= next_status {
            // Never blocks: a full pty drops the packet, as the board's USB would.
            let _ = pty.master.write(&fw.status());
            next_status = now + STATUS_EVERY_S + (rng.next_u64() % 2000) as f64 / 1e6;
        }
        if let Some(l) = log.as_mut() {
            for e in fw.events.drain(..) {
                writeln!(l, "{e}")?;
            }
            l.flush()?;
        } else {
            fw.events.clear();
        }
    };
    if let Some(link) = &opts.link {
        let _ = std::fs::remove_file(link);
    }
    result
}

/// Point `link` at the pty (replacing an old link, never a regular file).
fn relink(link: &Path, target: &Path) -> std::io::Result<()> {
    if let Ok(m) = std::fs::symlink_metadata(link) {
        if !m.file_type().is_symlink() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not a symlink; choose another --link",
                    link.display()
                ),
            ));
        }
        std::fs::remove_file(link)?;
    }
    std::os::unix::fs::symlink(target, link)
}
