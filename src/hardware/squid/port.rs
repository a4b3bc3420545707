//! Finding and opening the board's serial port: by path, or by USB serial number among the
//! Teensy boards present, refusing to guess between two.

use std::time::Duration;

use serialport::{SerialPortInfo, SerialPortType};

use super::link::Port;
use super::settings::SquidSettings;

/// PJRC's USB id for a Teensy in serial mode.
const TEENSY_VID_PID: (u16, u16) = (0x16c0, 0x0483);
/// Reads wait at most this long, so the I/O thread can start new work promptly.
const READ_TIMEOUT: Duration = Duration::from_millis(2);

/// The port to open: `port` as given, else the Teensy with `serial_number`, else the one
/// Teensy present.
pub fn find(s: &SquidSettings) -> Result<String, String> {
    if let Some(p) = &s.port {
        return Ok(p.clone());
    }
    // serialport reads /sys/class/tty without checking it exists.
    let ports = if std::path::Path::new("/sys/class/tty").is_dir() {
        serialport::available_ports().map_err(|e| format!("cannot list serial ports: {e}"))?
    } else {
        Vec::new()
    };
    choose(&ports, s.serial_number.as_deref())
}

fn is_teensy(p: &SerialPortInfo) -> bool {
    matches!(&p.port_type, SerialPortType::UsbPort(u)
        if (u.vid, u.pid) == TEENSY_VID_PID || u.manufacturer.as_deref() == Some("Teensyduino"))
}

fn serial_of(p: &SerialPortInfo) -> Option<&str> {
    match &p.port_type {
        SerialPortType::UsbPort(u) => u.serial_number.as_deref(),
        _ => None,
    }
}

/// The rule of [`find`] over a list of ports.
pub fn choose(ports: &[SerialPortInfo], serial: Option<&str>) -> Result<String, String> {
    let teensies: Vec<&SerialPortInfo> = ports.iter().filter(|p| is_teensy(p)).collect();
    let describe = |v: &[&SerialPortInfo]| {
        v.iter()
            .map(|p| format!("{} (serial {})", p.port_name, serial_of(p).unwrap_or("?")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(sn) = serial {
        let m: Vec<&SerialPortInfo> = teensies
            .iter()
            .copied()
            .filter(|p| serial_of(p) == Some(sn))
            .collect();
        return match m.as_slice() {
            [one] => Ok(one.port_name.clone()),
            [] if teensies.is_empty() => Err(format!(
                "no Teensy board found with serial number {sn}: is it plugged in (lsusb shows 16c0:0483)?"
            )),
            [] => Err(format!(
                "no Teensy board with serial number {sn}; found: {}",
                describe(&teensies)
            )),
            more => Err(format!(
                "{} ports report serial number {sn}: {}; set squid.port",
                more.len(),
                describe(more)
            )),
        };
    }
    match teensies.as_slice() {
        [one] => Ok(one.port_name.clone()),
        [] => {
            Err("no Teensy board found: plug it in, or set squid.port (e.g. /dev/ttyACM0)".into())
        }
        more => Err(format!(
            "{} Teensy boards found ({}): set squid.serial_number or squid.port to say which",
            more.len(),
            describe(more)
        )),
    }
}

/// Open exclusively (a Squid GUI running at the same time cannot take the board too).
pub fn open(path: &str, baud: u32) -> Result<Box<dyn Port>, String> {
    let p = serialport::new(path, baud)
        .timeout(READ_TIMEOUT)
        .open_native()
        .map_err(|e| match e.kind {
            serialport::ErrorKind::NoDevice => format!("{path}: no such port (unplugged?)"),
            _ if e.description.contains("ermission") => format!(
                "{path}: permission denied: add yourself to the `dialout` group (then log in again)"
            ),
            _ => format!("{path}: cannot open: {e}"),
        })?;
    use serialport::SerialPort;
    p.clear(serialport::ClearBuffer::Input)
        .map_err(|e| format!("{path}: cannot flush the input: {e}"))?;
    Ok(Box::new(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serialport::UsbPortInfo;

    fn teensy(name: &str, sn: &str) -> SerialPortInfo {
        SerialPortInfo {
            port_name: name.into(),
            port_type: SerialPortType::UsbPort(UsbPortInfo {
                vid: 0x16c0,
                pid: 0x0483,
                serial_number: Some(sn.into()),
                manufacturer: Some("Teensyduino".into()),
                product: Some("USB Serial".into()),
            }),
        }
    }

    #[test]
    fn two_boards_and_no_serial_is_refused_and_a_serial_picks_one() {
        let other = SerialPortInfo {
            port_name: "/dev/ttyUSB0".into(),
            port_type: SerialPortType::Unknown,
        };
        let ports = [
            teensy("/dev/ttyACM0", "111"),
            other,
            teensy("/dev/ttyACM1", "222"),
        ];
        let e = choose(&ports, None).unwrap_err();
        assert!(
            e.contains("2 Teensy boards") && e.contains("serial_number"),
            "{e}"
        );
        assert_eq!(choose(&ports, Some("222")).unwrap(), "/dev/ttyACM1");
        assert!(
            choose(&ports, Some("333"))
                .unwrap_err()
                .contains("found: /dev/ttyACM0")
        );
        assert_eq!(choose(&ports[..2], None).unwrap(), "/dev/ttyACM0");
        assert!(choose(&[], None).unwrap_err().contains("squid.port"));
    }
}
