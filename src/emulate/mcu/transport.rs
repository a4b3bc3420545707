//! Scripted transport faults for the emulated board: the ways a USB serial link and a
//! microcontroller fail, by count (the k-th byte, after the n-th command) or at random.

use std::time::Duration;

use crate::hardware::faults::SplitMix;
use crate::hardware::squid::protocol::code;

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

/// When a scripted event happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Once the board has executed this many commands (heartbeats not counted); 0 is now.
    Commands(u64),
    /// Right after the k-th execution (from 1) of the command with this code: before the
    /// status that would acknowledge it.
    Nth { code: u8, k: u64 },
}

/// Command names a fault can follow (`stall:turn-on-illumination#2:1s`).
const NAMED: &[(&str, u8)] = &[
    ("move", code::MOVE_X),
    ("move-x", code::MOVE_X),
    ("move-y", code::MOVE_Y),
    ("move-z", code::MOVE_Z),
    ("home", code::HOME_OR_ZERO),
    ("move-to-x", code::MOVETO_X),
    ("move-to-y", code::MOVETO_Y),
    ("move-to-z", code::MOVETO_Z),
    ("turn-on-illumination", code::TURN_ON_ILLUMINATION),
    ("turn-off-illumination", code::TURN_OFF_ILLUMINATION),
    ("set-illumination", code::SET_ILLUMINATION),
    ("set-led-matrix", code::SET_ILLUMINATION_LED_MATRIX),
    ("trigger", code::SEND_HARDWARE_TRIGGER),
    ("turn-off-all-ports", code::TURN_OFF_ALL_PORTS),
    ("set-axis-enable", code::SET_AXIS_DISABLE_ENABLE),
    ("set-watchdog", code::SET_WATCHDOG_TIMEOUT),
    ("heartbeat", code::HEARTBEAT),
    ("set-pin-level", code::SET_PIN_LEVEL),
];

/// Faults to inject; counters start at 1 (the first byte, the first command).
#[derive(Debug, Default)]
pub struct Faults {
    /// Bytes from the host to drop or corrupt, by their index in the stream.
    pub drop_rx: Vec<u64>,
    pub corrupt_rx: Vec<u64>,
    /// Bytes to the host (the status stream).
    pub drop_tx: Vec<u64>,
    pub corrupt_tx: Vec<u64>,
    /// When, and what happens.
    pub events: Vec<(When, Event)>,
    /// Drop the next status packets that carry the id of the k-th execution of a command
    /// (code, k, how many): the board executed it, its acknowledgement is lost.
    pub drop_acks: Vec<(u8, u64, u32)>,
    /// Frames lost on the wire whole: the k-th arrival of a command with this code never
    /// reaches the firmware (it neither executes nor records the id).
    pub lose: Vec<(u8, u64)>,
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
        self.events.push((When::Commands(self.commands + 1), e));
    }

    /// `e` now.
    pub fn now(&mut self, e: Event) {
        self.events.push((When::Commands(0), e));
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

    /// Events due once `commands` commands have executed, `executed[code]` of each code.
    pub fn due(&mut self, commands: u64, executed: &[u64; 256]) -> Vec<Event> {
        self.commands = commands;
        let mut due = Vec::new();
        self.events.retain(|(w, e)| {
            let now = match *w {
                When::Commands(n) => n <= commands,
                When::Nth { code, k } => executed[code as usize] >= k,
            };
            if now {
                due.push(*e);
            }
            !now
        });
        due
    }

    /// Whether a status packet acknowledging the k-th execution of `code` is to be lost.
    pub fn drops_ack(&mut self, code: u8, k: u64) -> bool {
        match self
            .drop_acks
            .iter_mut()
            .find(|(c, n, left)| *c == code && *n == k && *left > 0)
        {
            Some(d) => {
                d.2 -= 1;
                true
            }
            None => false,
        }
    }

    /// One `--fault` of the command line: `drop-rx:K`, `corrupt-rx:K`, `drop-tx:K`,
    /// `corrupt-tx:K` (the K-th byte), or `silence:N:DUR`, `stall:N:DUR`, `delay:N:DUR`,
    /// `unplug:N:DUR`, `reboot:N` (after the N-th command, or after the K-th execution of a
    /// named command: `stall:turn-on-illumination#2:1s`), `drop-ack:NAME#K[:COUNT]` (the
    /// board executes it and its next COUNT status packets, default 50, are lost),
    /// `lose:NAME#K` (the K-th frame of that command is lost on the wire),
    /// `late-finalize:U`.
    pub fn add_spec(&mut self, spec: &str) -> Result<(), String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let num = |s: &str| {
            s.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("--fault {spec}: `{s}` is not a count from 1"))
        };
        let nth = |s: &str| -> Result<(u8, u64), String> {
            let (name, k) = s.split_once('#').ok_or_else(|| {
                format!("--fault {spec}: `{s}` is not NAME#K (e.g. turn-on-illumination#2)")
            })?;
            let code = NAMED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    let names: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
                    format!(
                        "--fault {spec}: no command `{name}`; name one of {}",
                        names.join(", ")
                    )
                })?;
            Ok((code, num(k)?))
        };
        let when = |s: &str| -> Result<When, String> {
            if s.contains('#') {
                let (code, k) = nth(s)?;
                Ok(When::Nth { code, k })
            } else {
                Ok(When::Commands(num(s)?))
            }
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
            ["silence", n, d] => self.events.push((when(n)?, Event::Silence(dur(d)?))),
            ["stall", n, d] => self.events.push((when(n)?, Event::Stall(dur(d)?))),
            ["delay", n, d] => self.events.push((when(n)?, Event::Delay(dur(d)?))),
            ["unplug", n, d] => self.events.push((when(n)?, Event::Unplug(dur(d)?))),
            ["reboot", n] => self.events.push((when(n)?, Event::Reboot)),
            ["lose", n] => self.lose.push(nth(n)?),
            ["drop-ack", n] => {
                let (code, k) = nth(n)?;
                self.drop_acks.push((code, k, 50));
            }
            ["drop-ack", n, c] => {
                let (code, k) = nth(n)?;
                self.drop_acks
                    .push((code, k, num(c)?.min(u64::from(u32::MAX)) as u32));
            }
            ["late-finalize", k] => self.events.push((
                When::Commands(0),
                Event::LateFinalize(num(k)?.min(u64::from(u32::MAX)) as u32),
            )),
            _ => {
                return Err(format!(
                    "--fault {spec}: not a fault; write drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte), silence:W:DUR, stall:W:DUR, delay:W:DUR, unplug:W:DUR, reboot:W (W: after the N-th command, or NAME#K: right after the K-th execution of a command), drop-ack:NAME#K[:COUNT], lose:NAME#K, or late-finalize:U (homing stops U µsteps short)"
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
        let none = [0u64; 256];
        assert_eq!(
            f.due(1, &none),
            vec![Event::Silence(Duration::from_secs(1))]
        );
        assert_eq!(f.due(2, &none), vec![]);
        assert_eq!(f.due(5, &none), vec![Event::Reboot]);
        f.add_spec("stall:turn-on-illumination#2:1s").unwrap();
        let mut ex = [0u64; 256];
        ex[code::TURN_ON_ILLUMINATION as usize] = 1;
        assert_eq!(f.due(9, &ex), vec![]);
        ex[code::TURN_ON_ILLUMINATION as usize] = 2;
        assert_eq!(f.due(9, &ex), vec![Event::Stall(Duration::from_secs(1))]);
        f.add_spec("drop-ack:trigger#3:2").unwrap();
        assert!(!f.drops_ack(code::SEND_HARDWARE_TRIGGER, 2));
        assert!(f.drops_ack(code::SEND_HARDWARE_TRIGGER, 3));
        assert!(f.drops_ack(code::SEND_HARDWARE_TRIGGER, 3));
        assert!(!f.drops_ack(code::SEND_HARDWARE_TRIGGER, 3));
        assert!(f.add_spec("stall:explode#1:1s").is_err());
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
