//! `squidctl emulate …`: hardware emulators for rehearsals and driver tests.

use crate::cli::{EmulateCommand, EmulateMcuArgs};
use crate::emulate::mcu;
use crate::exit::Exit;
use crate::hardware::squid::protocol::Version;

/// What watches the board besides the host: the emulated camera, when there is one.
#[cfg(feature = "genicam")]
type Attached = Option<crate::emulate::camera::FakeRig>;
#[cfg(not(feature = "genicam"))]
type Attached = Option<()>;

pub fn run(cmd: &EmulateCommand) -> Exit {
    match cmd {
        EmulateCommand::Mcu(a) => mcu_run(a),
    }
}

/// `1.4` → major 1, minor 4 (what the board puts in its status byte 22).
fn parse_version(text: &str) -> Result<Version, String> {
    let bad = || {
        format!(
            "--version {text:?} is not a firmware version: write MAJOR.MINOR, e.g. 1.4 (0.0 for legacy firmware)"
        )
    };
    let (a, b) = text.split_once('.').ok_or_else(bad)?;
    let (major, minor): (u8, u8) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if major > 15 || minor > 15 {
        return Err(format!(
            "--version {text}: the board reports major and minor as 0 to 15 each"
        ));
    }
    Ok(Version { major, minor })
}

fn mcu_run(a: &EmulateMcuArgs) -> Exit {
    let version = match parse_version(&a.version) {
        Ok(v) => v,
        Err(m) => {
            eprintln!("error: {m}");
            return Exit::Invalid;
        }
    };
    let mut faults = mcu::Faults::default();
    faults.noise = a.noise;
    faults.seed(a.seed);
    if !(0.0..=1.0).contains(&a.noise) {
        eprintln!(
            "error: --noise {} is not a probability: give a fraction of bytes from 0 to 1 (0.001 is one in a thousand)",
            a.noise
        );
        return Exit::Invalid;
    }
    for f in &a.fault {
        if let Err(m) = faults.add_spec(f) {
            eprintln!("error: {m}");
            return Exit::Invalid;
        }
    }
    let opts = mcu::Options {
        link: a.link.clone(),
        version,
        log: a.log.clone(),
        faults,
    };
    #[cfg(feature = "genicam")]
    let scene = match &a.microscope {
        Some(path) => match crate::hardware::load(Some(path))
            .and_then(|c| crate::emulate::camera::Scene::of(&c))
        {
            Ok(s) => Some(s),
            Err(d) => return super::invalid(&d),
        },
        None => None,
    };
    #[cfg(not(feature = "genicam"))]
    if a.camera.is_some() {
        eprintln!(
            "error: --camera needs the genicam feature, which this squidctl was built without\nhelp: install libaravis-dev and libusb-1.0-0-dev, then `cargo build --release --features genicam`"
        );
        return Exit::Invalid;
    }
    if let Some(addr) = &a.camera
        && addr.parse::<std::net::Ipv4Addr>().is_err()
    {
        eprintln!(
            "error: --camera {addr:?} is not an IPv4 address: give a local one, e.g. 127.0.0.1"
        );
        return Exit::Invalid;
    }
    let attach = |outputs: &std::sync::Arc<std::sync::Mutex<mcu::Outputs>>| {
        #[cfg(feature = "genicam")]
        if let Some(addr) = &a.camera {
            return crate::emulate::camera::FakeRig::start(
                addr,
                "SQ-EMU-MER2",
                outputs.clone(),
                scene,
            )
            .map(Some)
            .map_err(std::io::Error::other);
        }
        let _ = outputs;
        Ok::<Attached, std::io::Error>(None)
    };
    match mcu::serve(opts, attach) {
        Ok(()) => Exit::Completed,
        Err(e) => {
            eprintln!("error: the emulated board stopped: {e}");
            Exit::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.4"), Ok(Version { major: 1, minor: 4 }));
        assert!(parse_version("1").is_err());
        assert!(parse_version("1.x").is_err());
        assert!(parse_version("16.0").is_err());
    }
}
