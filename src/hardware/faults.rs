//! Fault injection: scripted failures of device calls, configured in the microscope YAML so
//! tests, dry runs and people rehearsing a bad night can all use them. Faults fire exactly as
//! configured, every time: counters and seeded random streams, nothing else.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::autofocus::{AfDevices, AfRequest, AfResult, Autofocus};
use super::{
    CallKind, Camera, DeviceError, DeviceResult, Frame, Illumination, LaserAutofocus, Microscope,
    Roi, XyStage, ZStage,
};
use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;
use crate::protocol::units::Duration;

/// One scripted fault.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Which device call it hits.
    pub call: CallKind,
    /// Fire on the Nth call of that kind (1-based).
    #[serde(default)]
    pub at: Option<u64>,
    /// Fire on every Nth call (N, 2N, …).
    #[serde(default)]
    pub every: Option<u64>,
    /// Fire with this probability on each call, from a seeded stream.
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub seed: u64,
    pub kind: FaultKind,
    /// `error`: the message the device reports.
    #[serde(default)]
    pub message: Option<String>,
    /// `slow`: how long the call is held up (real time, not scaled).
    #[serde(default)]
    pub delay: Option<Duration>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Block forever, like a dead SDK call; only a supervisor notices.
    Hang,
    /// Fail with a message.
    Error,
    /// Panic inside the driver.
    Panic,
    /// Take `delay` longer than it should.
    Slow,
    /// Fail, and keep failing until the device is reconnected.
    Disconnect,
}

impl FaultSpec {
    /// A description for messages and `squidctl devices`.
    pub fn describe(&self) -> String {
        let when = match (self.at, self.every, self.probability) {
            (Some(n), _, _) => format!("call {n}"),
            (_, Some(n), _) => format!("every {n} calls"),
            (_, _, Some(p)) => format!("probability {p} (seed {})", self.seed),
            _ => "never".into(),
        };
        format!("{} at {when}: {:?}", self.call, self.kind).to_lowercase()
    }

    /// A problem with the spec, for located validation errors.
    pub fn check(&self) -> Result<(), String> {
        let whens = [
            self.at.is_some(),
            self.every.is_some(),
            self.probability.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if whens != 1 {
            return Err(
                "say when the fault fires with exactly one of `at`, `every` and `probability`"
                    .into(),
            );
        }
        if self.at == Some(0) || self.every == Some(0) {
            return Err("calls are counted from 1: use `at: 1` or more".into());
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("probability {p} is not between 0 and 1"));
        }
        if self.kind == FaultKind::Slow && self.delay.is_none() {
            return Err("a `slow` fault needs a `delay`, e.g. `delay: 2s`".into());
        }
        Ok(())
    }
}

/// A small, fast, seedable generator (SplitMix64) for deterministic faults and images.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What the device should do on this call.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Proceed,
    Hang,
    Fail(DeviceError),
    Panic(String),
    Delay(std::time::Duration),
}

struct State {
    calls: HashMap<CallKind, u64>,
    rngs: Vec<SplitMix>,
    disconnected: HashMap<CallKind, bool>,
    /// Calls made while this is set (an autofocus scan's own moves and snaps) are not counted.
    muted: bool,
    fired: Vec<(CallKind, u64, FaultKind)>,
}

pub struct FaultInjector {
    specs: Vec<FaultSpec>,
    state: Mutex<State>,
}

impl std::fmt::Debug for FaultInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultInjector")
            .field("specs", &self.specs)
            .finish_non_exhaustive()
    }
}

impl FaultInjector {
    pub fn new(specs: Vec<FaultSpec>) -> Self {
        let rngs = specs
            .iter()
            .map(|s| SplitMix(s.seed ^ 0x5EED_FA17))
            .collect();
        FaultInjector {
            specs,
            state: Mutex::new(State {
                calls: HashMap::new(),
                rngs,
                disconnected: HashMap::new(),
                muted: false,
                fired: Vec::new(),
            }),
        }
    }

    pub fn specs(&self) -> &[FaultSpec] {
        &self.specs
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panicking fault never holds this lock, but stay usable if anything else did.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count a call of `kind` on `device` and decide its fate.
    pub fn on_call(&self, kind: CallKind, device: &str) -> Action {
        let mut st = self.lock();
        if st.muted {
            return Action::Proceed;
        }
        if st.disconnected.get(&kind).copied().unwrap_or(false) {
            return Action::Fail(DeviceError::disconnected(device));
        }
        let n = {
            let c = st.calls.entry(kind).or_insert(0);
            *c += 1;
            *c
        };
        let mut action = Action::Proceed;
        for (i, spec) in self.specs.iter().enumerate() {
            if spec.call != kind {
                continue;
            }
            let fires = match (spec.at, spec.every, spec.probability) {
                (Some(at), _, _) => n == at,
                (_, Some(every), _) => n.is_multiple_of(every),
                (_, _, Some(p)) => st.rngs[i].next_f64() < p,
                _ => false,
            };
            if !fires || action != Action::Proceed {
                continue;
            }
            st.fired.push((kind, n, spec.kind));
            action = match spec.kind {
                FaultKind::Hang => Action::Hang,
                FaultKind::Panic => {
                    Action::Panic(format!("simulated panic in {device} ({kind} call {n})"))
                }
                FaultKind::Error => Action::Fail(DeviceError::failed(
                    device,
                    spec.message
                        .clone()
                        .unwrap_or_else(|| format!("simulated error ({kind} call {n})")),
                )),
                FaultKind::Slow => {
                    Action::Delay(spec.delay.map_or(std::time::Duration::ZERO, |d| d.std()))
                }
                FaultKind::Disconnect => {
                    st.disconnected.insert(kind, true);
                    Action::Fail(DeviceError::disconnected(device))
                }
            };
        }
        action
    }

    /// Carry out an action: hang, panic, sleep, or report the error.
    pub fn apply(&self, action: Action) -> DeviceResult<()> {
        match action {
            Action::Proceed => Ok(()),
            Action::Fail(e) => Err(e),
            Action::Delay(d) => {
                std::thread::sleep(d);
                Ok(())
            }
            Action::Panic(m) => panic!("{m}"),
            Action::Hang => hang_forever(),
        }
    }

    pub fn reconnect(&self, kind: CallKind) {
        self.lock().disconnected.remove(&kind);
    }

    pub fn set_muted(&self, muted: bool) {
        self.lock().muted = muted;
    }

    /// (call kind, call number, fault) of every fault fired so far.
    pub fn fired(&self) -> Vec<(CallKind, u64, FaultKind)> {
        self.lock().fired.clone()
    }

    pub fn calls(&self, kind: CallKind) -> u64 {
        self.lock().calls.get(&kind).copied().unwrap_or(0)
    }
}

/// Block this thread forever, as a dead device SDK does. Never returns.
#[inline(never)]
pub fn hang_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// Put every device of a microscope behind the fault script. Faults are a wrapper, not a
/// feature of one driver: the same `faults:` rehearse a hung camera on the simulator and on a
/// real rig. A microscope without faults is returned as it is (no extra call on the path).
/// The description's `faults:` list, each checked, with located errors.
pub fn specs(config: &MicroscopeConfig) -> Result<Vec<FaultSpec>, Diagnostics> {
    let specs: Vec<FaultSpec> = config.section("faults")?.unwrap_or_default();
    let mut out = Diagnostics::default();
    for (i, f) in specs.iter().enumerate() {
        if let Err(m) = f.check() {
            out.push(config.error_at(&format!("faults[{i}]"), m));
        }
    }
    out.into_result(specs)
}

pub fn wrap(m: Microscope, specs: &[FaultSpec]) -> Microscope {
    if specs.is_empty() {
        return m;
    }
    let f = Arc::new(FaultInjector::new(specs.to_vec()));
    Microscope {
        name: m.name,
        xy: Box::new(FaultyXy(m.xy, f.clone())),
        z: Box::new(FaultyZ(m.z, f.clone())),
        camera: Box::new(FaultyCamera(m.camera, f.clone())),
        illumination: Box::new(FaultyIllumination(m.illumination, f.clone())),
        filter_wheel: m.filter_wheel,
        laser_af: m
            .laser_af
            .map(|l| Box::new(FaultyLaserAf(l, f.clone())) as Box<dyn LaserAutofocus>),
        autofocus: Box::new(FaultyAutofocus(m.autofocus, f)),
        clock: m.clock,
    }
}

/// Count the call and carry out its scripted fault here, in the device call, so a thread
/// dump shows the device's method on the stack.
fn gate(f: &FaultInjector, kind: CallKind, device: &str) -> DeviceResult<()> {
    let action = f.on_call(kind, device);
    f.apply(action)
}

struct FaultyXy(Box<dyn XyStage>, Arc<FaultInjector>);

impl XyStage for FaultyXy {
    fn move_to(&mut self, x_mm: f64, y_mm: f64) -> DeviceResult<()> {
        gate(&self.1, CallKind::MoveXy, "xy stage")?;
        self.0.move_to(x_mm, y_mm)
    }
    fn position(&mut self) -> DeviceResult<(f64, f64)> {
        self.0.position()
    }
    fn limits(&self) -> ((f64, f64), (f64, f64)) {
        self.0.limits()
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.1.reconnect(CallKind::MoveXy);
        self.0.reconnect()
    }
    fn details(&mut self) -> Option<String> {
        self.0.details()
    }
}

struct FaultyZ(Box<dyn ZStage>, Arc<FaultInjector>);

impl ZStage for FaultyZ {
    fn move_to(&mut self, z_mm: f64) -> DeviceResult<()> {
        gate(&self.1, CallKind::MoveZ, "z stage")?;
        self.0.move_to(z_mm)
    }
    fn position(&mut self) -> DeviceResult<f64> {
        self.0.position()
    }
    fn limits(&self) -> (f64, f64) {
        self.0.limits()
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.1.reconnect(CallKind::MoveZ);
        self.0.reconnect()
    }
}

struct FaultyCamera(Box<dyn Camera>, Arc<FaultInjector>);

impl Camera for FaultyCamera {
    fn set_exposure(&mut self, seconds: f64) -> DeviceResult<()> {
        self.0.set_exposure(seconds)
    }
    fn set_gain(&mut self, gain: f64) -> DeviceResult<()> {
        self.0.set_gain(gain)
    }
    fn set_binning(&mut self, binning: u32) -> DeviceResult<()> {
        self.0.set_binning(binning)
    }
    fn set_roi(&mut self, roi: Option<Roi>) -> DeviceResult<()> {
        self.0.set_roi(roi)
    }
    fn roi(&self) -> Option<Roi> {
        self.0.roi()
    }
    fn snap(&mut self) -> DeviceResult<Frame> {
        gate(&self.1, CallKind::Capture, "camera")?;
        self.0.snap()
    }
    fn waits_for_trigger(&self) -> bool {
        self.0.waits_for_trigger()
    }
    fn own_timeout_s(&self) -> f64 {
        self.0.own_timeout_s()
    }
    fn snap_on_trigger(
        &mut self,
        fire: &mut dyn FnMut() -> DeviceResult<()>,
    ) -> DeviceResult<Frame> {
        gate(&self.1, CallKind::Capture, "camera")?;
        self.0.snap_on_trigger(fire)
    }
    fn sensor_size(&self) -> (u32, u32) {
        self.0.sensor_size()
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.1.reconnect(CallKind::Capture);
        self.0.reconnect()
    }
}

struct FaultyIllumination(Box<dyn Illumination>, Arc<FaultInjector>);

impl Illumination for FaultyIllumination {
    fn set(&mut self, source: &str, intensity_pct: f64) -> DeviceResult<()> {
        gate(&self.1, CallKind::Illumination, "illumination")?;
        self.0.set(source, intensity_pct)
    }
    fn on(&mut self) -> DeviceResult<()> {
        self.0.on()
    }
    fn off(&mut self) -> DeviceResult<()> {
        self.0.off()
    }
    fn strobe(&mut self, exposure_s: f64) -> DeviceResult<()> {
        self.0.strobe(exposure_s)
    }
    fn af_laser(&mut self, on: bool) -> DeviceResult<()> {
        self.0.af_laser(on)
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.1.reconnect(CallKind::Illumination);
        self.0.reconnect()
    }
}

struct FaultyLaserAf(Box<dyn LaserAutofocus>, Arc<FaultInjector>);

impl LaserAutofocus for FaultyLaserAf {
    fn measure_um(&mut self, lights: &mut dyn Illumination) -> DeviceResult<f64> {
        gate(&self.1, CallKind::Autofocus, "laser autofocus")?;
        self.0.measure_um(lights)
    }
    fn range_um(&self) -> f64 {
        self.0.range_um()
    }
    fn calibrate(
        &mut self,
        z: &mut dyn crate::hardware::ZStage,
        lights: &mut dyn Illumination,
        plan: &crate::hardware::reflection_af::CalibrationPlan,
    ) -> DeviceResult<crate::hardware::reflection_af::Calibration> {
        self.0.calibrate(z, lights, plan)
    }
    fn details(&self) -> Option<String> {
        self.0.details()
    }
    fn reconnect(&mut self) -> DeviceResult<()> {
        self.1.reconnect(CallKind::Autofocus);
        self.0.reconnect()
    }
}

/// One `autofocus` call per run; the scan's own moves, snaps and measurements are not
/// counted as `move_z`/`capture` calls.
struct FaultyAutofocus(Box<dyn Autofocus>, Arc<FaultInjector>);

impl Autofocus for FaultyAutofocus {
    fn run(&mut self, devs: AfDevices<'_>, req: &AfRequest) -> DeviceResult<AfResult> {
        gate(&self.1, CallKind::Autofocus, "autofocus")?;
        /// Unmutes however the scan ends, a panic included.
        struct Muted<'a>(&'a FaultInjector);
        impl Drop for Muted<'_> {
            fn drop(&mut self) {
                self.0.set_muted(false);
            }
        }
        self.1.set_muted(true);
        let _unmute = Muted(&self.1);
        self.0.run(devs, req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(call: CallKind, kind: FaultKind) -> FaultSpec {
        FaultSpec {
            call,
            at: None,
            every: None,
            probability: None,
            seed: 0,
            kind,
            message: None,
            delay: None,
        }
    }

    #[test]
    fn at_and_every_fire_exactly() {
        let inj = FaultInjector::new(vec![
            FaultSpec {
                at: Some(3),
                ..spec(CallKind::Capture, FaultKind::Error)
            },
            FaultSpec {
                every: Some(4),
                ..spec(CallKind::MoveXy, FaultKind::Error)
            },
        ]);
        let cap: Vec<bool> = (0..6)
            .map(|_| inj.on_call(CallKind::Capture, "camera") != Action::Proceed)
            .collect();
        assert_eq!(cap, vec![false, false, true, false, false, false]);
        let xy: Vec<bool> = (0..9)
            .map(|_| inj.on_call(CallKind::MoveXy, "stage") != Action::Proceed)
            .collect();
        assert_eq!(
            xy,
            vec![false, false, false, true, false, false, false, true, false]
        );
        // Other kinds never fire.
        assert!((0..10).all(|_| inj.on_call(CallKind::MoveZ, "z") == Action::Proceed));
    }

    #[test]
    fn probability_is_seeded_and_repeatable() {
        let pattern = |seed| {
            let inj = FaultInjector::new(vec![FaultSpec {
                probability: Some(0.3),
                seed,
                ..spec(CallKind::Capture, FaultKind::Error)
            }]);
            (0..200)
                .map(|_| inj.on_call(CallKind::Capture, "c") != Action::Proceed)
                .collect::<Vec<_>>()
        };
        assert_eq!(pattern(7), pattern(7));
        assert_ne!(pattern(7), pattern(8));
        let n = pattern(7).iter().filter(|b| **b).count();
        assert!((40..80).contains(&n), "{n}");
    }

    #[test]
    fn disconnect_persists_until_reconnect() {
        let inj = FaultInjector::new(vec![FaultSpec {
            at: Some(2),
            ..spec(CallKind::Illumination, FaultKind::Disconnect)
        }]);
        assert_eq!(
            inj.on_call(CallKind::Illumination, "light"),
            Action::Proceed
        );
        for _ in 0..3 {
            assert!(
                matches!(inj.on_call(CallKind::Illumination, "light"), Action::Fail(e) if e.kind == super::super::ErrorKind::Disconnected)
            );
        }
        inj.reconnect(CallKind::Illumination);
        assert_eq!(
            inj.on_call(CallKind::Illumination, "light"),
            Action::Proceed
        );
    }

    #[test]
    fn muted_calls_are_not_counted() {
        let inj = FaultInjector::new(vec![FaultSpec {
            at: Some(2),
            ..spec(CallKind::Capture, FaultKind::Error)
        }]);
        assert_eq!(inj.on_call(CallKind::Capture, "c"), Action::Proceed);
        inj.set_muted(true);
        assert_eq!(inj.on_call(CallKind::Capture, "c"), Action::Proceed);
        inj.set_muted(false);
        assert!(matches!(
            inj.on_call(CallKind::Capture, "c"),
            Action::Fail(_)
        ));
    }

    #[test]
    fn specs_are_checked() {
        assert!(spec(CallKind::Capture, FaultKind::Hang).check().is_err());
        assert!(
            FaultSpec {
                at: Some(1),
                ..spec(CallKind::Capture, FaultKind::Slow)
            }
            .check()
            .is_err()
        );
        assert!(
            FaultSpec {
                at: Some(1),
                ..spec(CallKind::Capture, FaultKind::Hang)
            }
            .check()
            .is_ok()
        );
    }
}
