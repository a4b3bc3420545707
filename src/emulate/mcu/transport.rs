//! Scripted transport faults for the emulated board: the ways a USB serial link and a
//! microcontroller fail, by count (the k-th byte, after the n-th command) or at random.

use std::time::Duration;

use crate::hardware::faults::SplitMix;

/// What happens to the link once the board has executed a given number of commands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// No status packets for this long (the host sees silence; commands still execute).
    Silence(Duration),
    /// The board does nothing at all for this long (the strobe interrupt's busy-wait, a
    /// firmware stall): no reading, no status.
    Stall(Duration),
    /// Frames from the host wait this long before the board reads them (a late read).
    Delay(Duration),
    /// The port disappears (the pty is closed) and comes back after this long as a new pty,
    /// with the link re-pointed at it.
    Unplug(Duration),
    /// The board restarts: boot defaults, positions 0, id 0, lights off.
    Reboot,
    /// From now on homing finalizes this many µsteps early (its range then refuses 0).
    LateFinalize(u32),
}

/// Faults to inject; counters start at 1 (the first byte, the first command).
#[derive(Debug, Default)]
pub struct Faults {
    /// Bytes from the host to drop or corrupt, by their index in the stream.
    pub drop_rx: Vec<u64>,
    pub corrupt_rx: Vec<u64>,
    /// Bytes to the host (the status stream).
    pub drop_tx: Vec<u64>,
    pub corrupt_tx: Vec<u64>,
    /// (after this many commands executed, heartbeats not counted; what happens).
    pub events: Vec<(u64, Event)>,
    /// Probability of corrupting each byte, both ways.
    pub noise: f64,
    rng: Option<SplitMix>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    /// Bytes corrupted or dropped so far, for the log and for tests.
    pub injected: u64,
    /// Commands the board had executed when last asked.
    pub commands: u64,
}

impl Faults {
    pub fn seed(&mut self, seed: u64) {
        self.rng = Some(SplitMix(seed));
    }

    /// `e` once the board has executed its next command (in-process tests).
    pub fn after_next_command(&mut self, e: Event) {
        self.events.push((self.commands + 1, e));
    }

    /// `e` now.
    pub fn now(&mut self, e: Event) {
        self.events.push((0, e));
    }

    /// Drop the next byte the host sends.
    pub fn drop_next_rx(&mut self) {
        self.drop_rx.push(self.rx_bytes + 1);
    }

    pub fn corrupt_next_rx(&mut self) {
        self.corrupt_rx.push(self.rx_bytes + 1);
    }

    /// Drop the next `n` bytes of the status stream (n = 72: three packets).
    pub fn drop_next_tx(&mut self, n: u64) {
        self.drop_tx.extend(self.tx_bytes + 1..=self.tx_bytes + n);
    }

    fn noisy(&mut self) -> Option<u8> {
        if self.noise <= 0.0 {
            return None;
        }
        let rng = self.rng.get_or_insert(SplitMix(0x5eed));
        let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (r < self.noise).then(|| (rng.next_u64() % 255) as u8 + 1)
    }

    fn pass(&mut self, bytes: &[u8], rx: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        for &b in bytes {
            let k = if rx {
                self.rx_bytes += 1;
                self.rx_bytes
            } else {
                self.tx_bytes += 1;
                self.tx_bytes
            };
            let (drop, corrupt) = if rx {
                (&mut self.drop_rx, &mut self.corrupt_rx)
            } else {
                (&mut self.drop_tx, &mut self.corrupt_tx)
            };
            if let Some(i) = drop.iter().position(|x| *x == k) {
                drop.swap_remove(i);
                self.injected += 1;
                continue;
            }
            let mut b = b;
            if let Some(i) = corrupt.iter().position(|x| *x == k) {
                corrupt.swap_remove(i);
                self.injected += 1;
                b ^= 0x5a;
            } else if let Some(x) = self.noisy() {
                self.injected += 1;
                b ^= x;
            }
            out.push(b);
        }
        out
    }

    /// Bytes as the board receives them.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pass(bytes, true)
    }

    /// Bytes as the host receives them.
    pub fn send(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pass(bytes, false)
    }

    /// Events due once `commands` commands have executed.
    pub fn due(&mut self, commands: u64) -> Vec<Event> {
        self.commands = commands;
        let mut due = Vec::new();
        self.events.retain(|(n, e)| {
            if *n <= commands {
                due.push(*e);
                false
            } else {
                true
            }
        });
        due
    }

    /// One `--fault` of the command line: `drop-rx:K`, `corrupt-rx:K`, `drop-tx:K`,
    /// `corrupt-tx:K` (the K-th byte), or `silence:N:DUR`, `stall:N:DUR`, `delay:N:DUR`,
    /// `unplug:N:DUR`, `reboot:N` (after the N-th command), `late-finalize:U`.
    pub fn add_spec(&mut self, spec: &str) -> Result<(), String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let num = |s: &str| {
            s.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("--fault {spec}: `{s}` is not a count from 1"))
        };
        let dur = |s: &str| {
            crate::protocol::units::Duration::parse(s)
                .map(|d| d.std())
                .map_err(|e| format!("--fault {spec}: {e}"))
        };
        match parts.as_slice() {
            ["drop-rx", k] => self.drop_rx.push(num(k)?),
            ["corrupt-rx", k] => self.corrupt_rx.push(num(k)?),
            ["drop-tx", k] => self.drop_tx.push(num(k)?),
            ["corrupt-tx", k] => self.corrupt_tx.push(num(k)?),
            ["silence", n, d] => self.events.push((num(n)?, Event::Silence(dur(d)?))),
            ["stall", n, d] => self.events.push((num(n)?, Event::Stall(dur(d)?))),
            ["delay", n, d] => self.events.push((num(n)?, Event::Delay(dur(d)?))),
            ["unplug", n, d] => self.events.push((num(n)?, Event::Unplug(dur(d)?))),
            ["reboot", n] => self.events.push((num(n)?, Event::Reboot)),
            ["late-finalize", k] => self.events.push((0, Event::LateFinalize(num(k)? as u32))),
            _ => {
                return Err(format!(
                    "--fault {spec}: not a fault; write drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte), or silence:N:DUR, stall:N:DUR, delay:N:DUR, unplug:N:DUR, reboot:N (after the N-th command), or late-finalize:U (homing stops U µsteps short)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_hit_the_byte_they_name_once() {
        let mut f = Faults::default();
        f.add_spec("drop-rx:2").unwrap();
        f.add_spec("corrupt-rx:4").unwrap();
        assert_eq!(f.receive(&[1, 2, 3, 4, 5]), vec![1, 3, 4 ^ 0x5a, 5]);
        assert_eq!(f.receive(&[1, 2, 3, 4, 5]), vec![1, 2, 3, 4, 5]);
        f.add_spec("reboot:3").unwrap();
        f.add_spec("silence:1:1s").unwrap();
        assert_eq!(f.due(1), vec![Event::Silence(Duration::from_secs(1))]);
        assert_eq!(f.due(2), vec![]);
        assert_eq!(f.due(5), vec![Event::Reboot]);
        assert!(f.add_spec("explode:1").is_err());
        assert!(f.add_spec("drop-rx:0").is_err());
        assert!(f.add_spec("stall:1:soon").is_err());
    }

    #[test]
    fn noise_corrupts_about_the_fraction_asked() {
        let mut f = Faults {
            noise: 0.01,
            ..Default::default()
        };
        f.seed(7);
        let data = vec![0u8; 100_000];
        let out = f.send(&data);
        let bad = out.iter().filter(|b| **b != 0).count();
        assert!((700..1300).contains(&bad), "{bad}");
    }
}
