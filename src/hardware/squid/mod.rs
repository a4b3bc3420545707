//! The Squid microcontroller board (Teensy 4.1: stage, illumination, triggers, filter wheel)
//! over its USB serial port. One board serves every device that names `driver: squid`; they
//! share it behind one lock, and one I/O thread owns the port.

pub mod board;
pub mod link;
pub mod port;
pub mod protocol;
pub mod settings;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::assemble::{Devices, Request};
use super::piezo::{PiezoDac, focus_drive};
use super::{
    BuildOptions, DeviceError, DeviceKind, DeviceResult, Driver, FilterWheel, Illumination,
    XyStage, ZStage,
};
use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;
use crate::microscope::description::MotionProfile;
use crate::supervisor::safety::{self, LightsOff};
use board::{Board, DEVICE};
use settings::SquidSettings;

/// The serial thread's name (the panic hook leaves lights to others on this one).
pub const IO_THREAD: &str = "squid-io";

pub struct SquidDriver;

const KINDS: [DeviceKind; 4] = [
    DeviceKind::XyStage,
    DeviceKind::ZStage,
    DeviceKind::Illumination,
    DeviceKind::FilterWheel,
];

impl Driver for SquidDriver {
    fn name(&self) -> &'static str {
        "squid"
    }

    fn kinds(&self) -> &'static [DeviceKind] {
        &KINDS
    }

    fn world_key(&self) -> Option<&'static str> {
        Some("squid")
    }

    fn check(&self, config: &MicroscopeConfig, request: &Request, out: &mut Diagnostics) {
        let s = match SquidSettings::of(config) {
            Ok(s) => Some(s),
            Err(d) => {
                out.extend(d);
                None
            }
        };
        let d = &config.desc;
        for u in &request.devices {
            if u.settings.is_some() {
                out.push(
                    config
                        .error_at(&u.path, "a `squid` device takes no settings of its own")
                        .help("write `driver: squid`; the board's settings go in the top-level `squid:` section"),
                );
            }
            let axis = match u.kind {
                DeviceKind::XyStage => Some(("stage.xy", &d.stage.xy)),
                DeviceKind::ZStage => Some(("stage.z", &d.stage.z)),
                _ => None,
            };
            if let Some((at, a)) = axis {
                if a.profile != MotionProfile::SCurve {
                    out.push(
                        config
                            .error_at(&format!("{at}.speed"), "the Squid board ramps its motors with S-curves; estimates and deadlines would be short")
                            .help(format!("add `profile: s-curve` to `{at}`")),
                    );
                }
                // On the wire: mm/s ×100 and mm/s² ×10 in 16 bits.
                config.check_range(out, &format!("{at}.speed"), a.speed.0, 0.01, 655.35, "mm/s");
                config.check_range(
                    out,
                    &format!("{at}.acceleration"),
                    a.acceleration.0,
                    0.1,
                    6553.5,
                    "mm/s²",
                );
            }
        }
        if let Some(s) = s
            && request.wants(DeviceKind::Illumination)
        {
            for (i, c) in d.channels.iter().enumerate() {
                if s.output(&c.source).is_none() {
                    out.push(
                        config
                            .error_at(
                                &format!("channels[{i}].source"),
                                format!("the Squid board has no light source `{}`", c.source),
                            )
                            .help(format!(
                                "use one of {}, or map it to an output under `squid.sources` (e.g. `{}: D2`)",
                                s.source_names().join(", "),
                                c.source
                            )),
                    );
                }
            }
        }
    }

    fn startup_s(&self, config: &MicroscopeConfig, _request: &Request) -> (f64, f64) {
        let Ok(s) = SquidSettings::of(config) else {
            return (0.0, 0.0);
        };
        let d = &config.desc;
        let travel = board::travel_of(d);
        let wheel = d.filter_wheel.as_ref().map_or(0.0, |_| 1.0);
        board::homing_steps(&s, &d.stage.xy, &d.stage.z, &travel, d.stage.focus_z.mm())
            .iter()
            .fold((wheel, wheel), |(t, m), s| (t + s.typical_s, m + s.max_s))
    }

    fn open(
        &self,
        config: &MicroscopeConfig,
        request: &Request,
        _options: &BuildOptions,
    ) -> DeviceResult<Devices> {
        let s = SquidSettings::of(config)
            .map_err(|d| DeviceError::failed(DEVICE, d.render().trim_end().to_string()))?;
        let wheel = config
            .desc
            .filter_wheel
            .as_ref()
            .filter(|_| request.wants(DeviceKind::FilterWheel))
            .map(|w| w.positions);
        let board = Board::connect(s, &config.desc, wheel)?;
        let shared = Shared::new(board);
        let want = |k| request.wants(k);
        Ok(Devices {
            xy: want(DeviceKind::XyStage)
                .then(|| Box::new(SquidXy(shared.clone())) as Box<dyn XyStage>),
            z: want(DeviceKind::ZStage).then(|| {
                focus_drive(
                    Box::new(SquidZ(shared.clone())),
                    config.desc.stage.z.piezo,
                    |desc| {
                        Box::new(SquidPiezo {
                            board: shared.clone(),
                            desc,
                        })
                    },
                )
            }),
            illumination: want(DeviceKind::Illumination)
                .then(|| Box::new(SquidLights(shared.clone())) as Box<dyn Illumination>),
            filter_wheel: wheel
                .map(|_| Box::new(SquidWheel(shared.clone())) as Box<dyn FilterWheel>),
            ..Devices::default()
        })
    }
}

/// The board behind its lock, with the safety hook registered while it lives.
struct Shared {
    board: Mutex<Board>,
    token: Mutex<Option<u64>>,
}

/// How the safety hooks reach the board without its lock.
struct Hook(link::UrgentOff);

impl LightsOff for Hook {
    fn all_off(&self) -> bool {
        self.0.all_off(Duration::from_millis(300))
    }
}

impl Shared {
    fn new(board: Board) -> Arc<Shared> {
        let sh = Arc::new(Shared {
            board: Mutex::new(board),
            token: Mutex::new(None),
        });
        sh.register();
        sh
    }

    /// (Re-)register the hook for the current link.
    fn register(&self) {
        let (off, cut) = self
            .lock()
            .ok()
            .map_or((None, None), |b| (b.urgent_off(), b.urgent_cut()));
        if let Some(off) = off {
            let mut t = self.token.lock().unwrap_or_else(|p| p.into_inner());
            let token = safety::register(*t, Arc::new(Hook(off)));
            *t = Some(token);
            if let Some(cut) = cut {
                safety::register_motors(token, Arc::new(Hook(cut)));
            }
        }
    }

    fn lock(&self) -> DeviceResult<MutexGuard<'_, Board>> {
        self.board.lock().map_err(|_| {
            DeviceError::failed(DEVICE, "an earlier call panicked while using the board")
        })
    }

    fn reconnect(&self) -> DeviceResult<()> {
        self.lock()?.reconnect()?;
        self.register();
        Ok(())
    }

    fn rehome(&self) -> DeviceResult<()> {
        self.lock()?.rehome()?;
        self.register();
        Ok(())
    }

    fn health(&self) -> Option<(String, crate::hardware::LinkHealth)> {
        self.lock()
            .ok()
            .map(|b| (format!("squid board on {}", b.path), b.health()))
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // An emergency stop sends through this board's link from its own thread: the board
        // stays connected until that is done (the interrupted command ends the action or the
        // run, which would otherwise close the port under it).
        safety::settle(Duration::from_secs(3));
        if let Some(t) = *self.token.lock().unwrap_or_else(|p| p.into_inner()) {
            safety::unregister(t);
        }
    }
}

struct SquidXy(Arc<Shared>);
struct SquidZ(Arc<Shared>);
struct SquidLights(Arc<Shared>);
struct SquidWheel(Arc<Shared>);

impl XyStage for SquidXy {
    fn move_to(&mut self, x_mm: f64, y_mm: f64) -> DeviceResult<()> {
        self.0.lock()?.move_xy(x_mm, y_mm)
    }
    fn position(&mut self) -> DeviceResult<(f64, f64)> {
        self.0.lock()?.position_xy()
    }
    fn limits(&self) -> ((f64, f64), (f64, f64)) {
        match self.0.lock() {
            Ok(b) => (b.travel(0), b.travel(1)),
            Err(_) => ((0.0, 0.0), (0.0, 0.0)),
        }
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.0.reconnect()
    }
    fn rehome(&mut self) -> DeviceResult<()> {
        self.0.rehome()
    }
    fn link_health(&self) -> Option<(String, crate::hardware::LinkHealth)> {
        self.0.health()
    }
    fn details(&mut self) -> Option<String> {
        let b = self.0.lock().ok()?;
        Some(format!(
            "{} firmware {}, {}, {}, link: {}",
            b.path,
            b.version,
            match (&b.rehome, b.homed) {
                (Some(_), _) => "re-home required",
                (None, true) => "homed",
                (None, false) => "not homed",
            },
            b.watchdog_state(),
            b.health().summary()
        ))
    }
}

impl ZStage for SquidZ {
    fn move_to(&mut self, z_mm: f64) -> DeviceResult<()> {
        self.0.lock()?.move_z(z_mm)
    }
    fn position(&mut self) -> DeviceResult<f64> {
        self.0.lock()?.position_z()
    }
    fn limits(&self) -> (f64, f64) {
        match self.0.lock() {
            Ok(b) => b.travel(2),
            Err(_) => (0.0, 0.0),
        }
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.0.reconnect()
    }
    fn rehome(&mut self) -> DeviceResult<()> {
        self.0.rehome()
    }
}

/// The objective piezo on the board's DAC channel 7 (Squid's `set_piezo_um`): the board does
/// not say when it has settled, so the settle time is waited here — counted from the send, as
/// Squid does, so the command's round trip is not paid on top of it.
struct SquidPiezo {
    board: Arc<Shared>,
    desc: crate::microscope::description::PiezoDesc,
}

/// The onboard DAC channel of the objective piezo.
const PIEZO_DAC_CHANNEL: u8 = 7;

impl PiezoDac for SquidPiezo {
    fn write_um(&mut self, um: f64) -> DeviceResult<()> {
        let sent = std::time::Instant::now();
        self.board
            .lock()?
            .write_dac(PIEZO_DAC_CHANNEL, self.desc.dac(um))?;
        let settle = std::time::Duration::from_secs_f64(self.desc.settle.secs());
        std::thread::sleep(settle.saturating_sub(sent.elapsed()));
        Ok(())
    }
}

impl Illumination for SquidLights {
    fn set(&mut self, source: &str, intensity_pct: f64) -> DeviceResult<()> {
        self.0.lock()?.set_light(source, intensity_pct)
    }
    fn on(&mut self) -> DeviceResult<()> {
        self.0.lock()?.light_on()
    }
    fn off(&mut self) -> DeviceResult<()> {
        self.0.lock()?.light_off()
    }
    fn strobe(&mut self, exposure_s: f64) -> DeviceResult<()> {
        self.0.lock()?.strobe(exposure_s)
    }
    fn af_laser(&mut self, on: bool) -> DeviceResult<()> {
        self.0.lock()?.af_laser(on)
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.0.reconnect()
    }
}

impl FilterWheel for SquidWheel {
    fn select(&mut self, position: u32) -> DeviceResult<()> {
        self.0.lock()?.select_filter(position)
    }
    fn position(&mut self) -> DeviceResult<u32> {
        self.0.lock()?.filter()
    }
}
