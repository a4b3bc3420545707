//! systemd's notify protocol with std alone (no libsystemd): READY, STATUS, WATCHDOG and
//! STOPPING datagrams to `$NOTIFY_SOCKET`. Without that variable every call does nothing.

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};

pub struct Notifier {
    sock: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
    last_ping: Option<Instant>,
}

impl Notifier {
    pub fn from_env() -> Notifier {
        let sock = std::env::var_os("NOTIFY_SOCKET").and_then(|p| {
            let bytes = p.as_encoded_bytes();
            let addr = match bytes.strip_prefix(b"@") {
                Some(abs) => {
                    use std::os::linux::net::SocketAddrExt;
                    SocketAddr::from_abstract_name(abs).ok()?
                }
                None => SocketAddr::from_pathname(&p).ok()?,
            };
            Some((UnixDatagram::unbound().ok()?, addr))
        });
        let ours = std::env::var("WATCHDOG_PID")
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
            .is_none_or(|p| p == std::process::id());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|u| u.parse::<u64>().ok())
            .filter(|u| *u > 0 && ours)
            .map(Duration::from_micros);
        Notifier {
            sock,
            watchdog,
            last_ping: None,
        }
    }

    fn send(&self, msg: &str) {
        if let Some((s, addr)) = &self.sock
            && let Err(e) = s.send_to_addr(msg.as_bytes(), addr)
        {
            tracing::debug!("sd_notify: {e}");
        }
    }

    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={status}"));
    }

    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={status}"));
    }

    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }

    /// Tell the watchdog we are alive, at a third of its period (call as often as you like).
    pub fn alive(&mut self) {
        let Some(period) = self.watchdog else { return };
        if self.last_ping.is_some_and(|l| l.elapsed() < period / 3) {
            return;
        }
        self.last_ping = Some(Instant::now());
        self.send("WATCHDOG=1");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_reach_the_socket() {
        let d = tempfile::tempdir().expect("tempdir");
        let path = d.path().join("notify");
        let server = UnixDatagram::bind(&path).expect("bind");
        let mut n = Notifier {
            sock: Some((
                UnixDatagram::unbound().expect("socket"),
                SocketAddr::from_pathname(&path).expect("addr"),
            )),
            watchdog: Some(Duration::from_secs(60)),
            last_ping: None,
        };
        n.ready("idle");
        n.alive();
        n.alive(); // within a third of the period: not sent again
        n.stopping();
        let mut buf = [0u8; 256];
        let mut got = Vec::new();
        server
            .set_read_timeout(Some(Duration::from_secs(1)))
            .expect("timeout");
        for _ in 0..3 {
            let k = server.recv(&mut buf).expect("recv");
            got.push(String::from_utf8_lossy(&buf[..k]).into_owned());
        }
        assert_eq!(got, ["READY=1\nSTATUS=idle", "WATCHDOG=1", "STOPPING=1"]);
    }
}
