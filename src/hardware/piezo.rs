//! The objective piezo in front of the focus stepper: a z move the piezo can reach from where
//! the stepper stands is a DAC write and a settle, not a motor move — z-stacks and channel
//! offsets at a fraction of the stepper's time, without its backlash. Drivers that have a
//! piezo wrap their stepper in [`PiezoZ`]; the runner only ever sees a z stage.

use super::{DeviceError, DeviceResult, ZStage};
use crate::microscope::description::PiezoDesc;

/// The piezo's drive: set it to `um` from its zero and wait its settle time.
pub trait PiezoDac: Send {
    fn write_um(&mut self, um: f64) -> DeviceResult<()>;
}

/// A focus drive of a stepper and a piezo. z is the stepper's position plus the piezo's
/// excursion from its home.
pub struct PiezoZ {
    stepper: Box<dyn ZStage>,
    dac: Box<dyn PiezoDac>,
    desc: PiezoDesc,
    /// The stepper's position, once read (it moves only through this wrapper).
    stepper_mm: Option<f64>,
    /// The piezo's last written position; `None` until the first write (its DAC may hold
    /// anything after a connect).
    at_um: Option<f64>,
}

/// The focus drive a driver hands out: its stepper, behind the piezo when the description
/// has one (`dac` opens the piezo's drive).
pub fn focus_drive(
    stepper: Box<dyn ZStage>,
    piezo: Option<PiezoDesc>,
    dac: impl FnOnce(PiezoDesc) -> Box<dyn PiezoDac>,
) -> Box<dyn ZStage> {
    match piezo {
        Some(p) => Box::new(PiezoZ::new(stepper, dac(p), p)),
        None => stepper,
    }
}

impl PiezoZ {
    pub fn new(stepper: Box<dyn ZStage>, dac: Box<dyn PiezoDac>, desc: PiezoDesc) -> PiezoZ {
        PiezoZ {
            stepper,
            dac,
            desc,
            stepper_mm: None,
            at_um: None,
        }
    }

    fn stepper_at(&mut self) -> DeviceResult<f64> {
        match self.stepper_mm {
            Some(z) => Ok(z),
            None => {
                let z = self.stepper.position()?;
                self.stepper_mm = Some(z);
                Ok(z)
            }
        }
    }

    fn write(&mut self, um: f64) -> DeviceResult<()> {
        if self.at_um == Some(um) {
            return Ok(());
        }
        // Unknown until the write is confirmed: a failed write leaves the piezo anywhere.
        self.at_um = None;
        self.dac.write_um(um)?;
        self.at_um = Some(um);
        Ok(())
    }
}

impl ZStage for PiezoZ {
    fn move_to(&mut self, z_mm: f64) -> DeviceResult<()> {
        let (lo, hi) = self.stepper.limits();
        if !(z_mm >= lo && z_mm <= hi) {
            return Err(DeviceError::out_of_range(
                "z stage",
                format!("z {z_mm:.4} mm is outside the travel {lo} to {hi} mm"),
            ));
        }
        let home = self.desc.home.um();
        let um = home + (z_mm - self.stepper_at()?) * 1000.0;
        if (0.0..=self.desc.range.um()).contains(&um) {
            return self.write(um);
        }
        // Beyond the piezo's reach: it rests at home and the stepper goes.
        self.write(home)?;
        self.stepper_mm = None;
        self.stepper.move_to(z_mm)?;
        self.stepper_mm = Some(z_mm);
        Ok(())
    }

    fn position(&mut self) -> DeviceResult<f64> {
        let home = self.desc.home.um();
        let z = self.stepper.position()?;
        self.stepper_mm = Some(z);
        Ok(z + (self.at_um.unwrap_or(home) - home) / 1000.0)
    }

    fn limits(&self) -> (f64, f64) {
        self.stepper.limits()
    }

    fn reconnect(&mut self) -> DeviceResult<()> {
        self.stepper_mm = None;
        self.at_um = None;
        self.stepper.reconnect()
    }

    fn rehome(&mut self) -> DeviceResult<()> {
        self.stepper_mm = None;
        self.at_um = None;
        self.stepper.rehome()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    type Log = Arc<Mutex<Vec<String>>>;

    struct Stepper(f64, Log);
    impl ZStage for Stepper {
        fn move_to(&mut self, z: f64) -> DeviceResult<()> {
            if let Ok(mut l) = self.1.lock() {
                l.push(format!("motor {z:.4}"));
            }
            self.0 = z;
            Ok(())
        }
        fn position(&mut self) -> DeviceResult<f64> {
            Ok(self.0)
        }
        fn limits(&self) -> (f64, f64) {
            (0.0, 8.0)
        }
    }
    struct Dac(Log);
    impl PiezoDac for Dac {
        fn write_um(&mut self, um: f64) -> DeviceResult<()> {
            if let Ok(mut l) = self.0.lock() {
                l.push(format!("piezo {um:.1}"));
            }
            Ok(())
        }
    }

    fn drive() -> (PiezoZ, Log) {
        let log: Log = Arc::default();
        let desc = PiezoDesc {
            range: crate::protocol::units::Length(300.0),
            home: crate::protocol::units::Length(20.0),
            settle: crate::protocol::units::Duration::from_secs_f64(0.02),
            flip: false,
        };
        let z = PiezoZ::new(
            Box::new(Stepper(4.0, log.clone())),
            Box::new(Dac(log.clone())),
            desc,
        );
        (z, log)
    }

    #[test]
    fn a_stack_within_reach_moves_the_piezo_and_a_far_move_the_stepper() {
        let (mut z, log) = drive();
        for um in [-10.0, -5.0, 0.0, 5.0, 10.0] {
            z.move_to(4.0 + um / 1000.0).expect("move");
        }
        assert!((z.position().expect("pos") - 4.010).abs() < 1e-9);
        // 1 mm away: the piezo goes home, the stepper moves; 30 µm below that: out of the
        // piezo's 20 µm downward reach, the stepper again.
        z.move_to(5.0).expect("move");
        z.move_to(4.97).expect("move");
        z.move_to(4.98).expect("move");
        let got = log.lock().map(|l| l.clone()).unwrap_or_default();
        assert_eq!(
            got,
            [
                "piezo 10.0",
                "piezo 15.0",
                "piezo 20.0",
                "piezo 25.0",
                "piezo 30.0",
                "piezo 20.0",
                "motor 5.0000",
                "motor 4.9700",
                "piezo 30.0",
            ]
        );
        assert!(z.move_to(9.0).is_err(), "outside the travel");
    }

    #[test]
    fn the_dac_spans_the_range_and_flips() {
        let (z, _) = drive();
        let mut d = z.desc;
        assert_eq!(
            (d.dac(0.0), d.dac(150.0), d.dac(300.0), d.dac(400.0)),
            (0, 32768, 65535, 65535)
        );
        d.flip = true;
        assert_eq!(d.dac(20.0), 65535 - 4369);
    }
}
