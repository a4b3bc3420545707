//! A GigE Vision camera's control port, asked one register read directly: Aravis retries
//! for seconds before it gives up on a camera that is gone; this answers in a fraction.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

/// GVCP's port, and READREG of the bootstrap Version register.
const PORT: u16 = 3956;
const READREG_CMD: u16 = 0x0080;
const READREG_ACK: u16 = 0x0081;

/// Whether the camera at `addr` answers a register read within `timeout` (asked twice).
pub fn answers(addr: Ipv4Addr, timeout: Duration) -> bool {
    let Ok(s) = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)) else {
        return false;
    };
    if s.set_read_timeout(Some(timeout / 2)).is_err() || s.connect((addr, PORT)).is_err() {
        return false;
    }
    for id in [0x5157u16, 0x5158] {
        let [ih, il] = id.to_be_bytes();
        let [ch, cl] = READREG_CMD.to_be_bytes();
        let packet = [0x42, 0x01, ch, cl, 0x00, 0x04, ih, il, 0, 0, 0, 0];
        if s.send(&packet).is_err() {
            return false;
        }
        let mut buf = [0u8; 64];
        while let Ok(n) = s.recv(&mut buf) {
            if n >= 8
                && u16::from_be_bytes([buf[2], buf[3]]) == READREG_ACK
                && buf[6..8] == [ih, il]
            {
                return true;
            }
        }
    }
    false
}
