//! What an action asks for, as the CLI, a queue task and the API give it (serde, in mm, ms
//! and %), and the same checked against the microscope before anything is touched.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fault::{Code, Fault};
use crate::microscope::MicroscopeConfig;
use crate::plan::AutofocusPlan;
use crate::protocol::schema::{AfEvery, AfMethod, Timeouts};
use crate::protocol::units::fmt_num;
use crate::runner::deadlines::{Deadlines, MARGIN};

/// Default exposure and intensity of a snap or a contrast autofocus that names none.
const DEFAULT_EXPOSURE_MS: f64 = 10.0;
const DEFAULT_INTENSITY_PCT: f64 = 50.0;
/// A contrast autofocus that gives no range or step searches as a protocol's would.
const DEFAULT_AF_RANGE_UM: f64 = 40.0;
const DEFAULT_AF_STEP_UM: f64 = 2.0;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// A named position of the microscope description (`loading`, `scanning`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z_mm: Option<f64>,
    /// x, y, z are offsets from where the stage is.
    #[serde(default)]
    pub relative: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapRequest {
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intensity_pct: Option<f64>,
    /// The folder the image is saved in [default: `snaps/` in the instrument's directory].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusRequest {
    /// `laser` or `contrast` [default: laser when the microscope has one].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The channel a contrast autofocus images with [default: the first].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_um: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_um: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightsRequest {
    pub on: bool,
    /// The channel whose source to turn on (`on` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intensity_pct: Option<f64>,
    /// How long a light stays on before it is turned off again [default: 10 s, at most
    /// 10 min]: no action leaves a light on behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_s: Option<f64>,
}

/// The longest a `lights on` keeps a light on.
pub const MAX_LIGHT_S: f64 = 600.0;
const DEFAULT_LIGHT_S: f64 = 10.0;

/// One action, as a queue task stores it: `{"action": "move", "to": "loading"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Connect and home every axis.
    Home,
    Move(MoveRequest),
    Snap(SnapRequest),
    Focus(FocusRequest),
    Lights(LightsRequest),
    Filter {
        position: u32,
    },
}

/// An action checked against the microscope: names resolved, values in range, defaults in.
#[derive(Clone, Debug)]
pub enum Checked {
    Home,
    Move {
        /// Absolute targets known now (`None`: stay, or relative).
        x: Option<f64>,
        y: Option<f64>,
        z: Option<f64>,
        relative: bool,
        to: Option<String>,
        travel: [[f64; 2]; 3],
    },
    Snap {
        channel: String,
        source: String,
        exposure_s: f64,
        intensity_pct: f64,
        output: Option<PathBuf>,
    },
    Focus {
        plan: AutofocusPlan,
        source: String,
        channel: Option<String>,
        exposure_s: f64,
        intensity_pct: f64,
    },
    Lights {
        /// (channel, source, intensity %, seconds on).
        on: Option<(String, String, f64, f64)>,
    },
    Filter {
        position: u32,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Home => "home",
            Action::Move(_) => "move",
            Action::Snap(_) => "snap",
            Action::Focus(_) => "focus",
            Action::Lights(_) => "lights",
            Action::Filter { .. } => "filter",
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Check against the microscope; the message says what is wrong and what to give.
    pub fn check(&self, config: &MicroscopeConfig) -> Result<Checked, Fault> {
        let fault =
            |code: Code, component: &str, m: String| Fault::new(code, m).component(component);
        let d = &config.desc;
        let channel = |name: &str| {
            d.channels.iter().find(|c| c.name == name).ok_or_else(|| {
                fault(
                    Code::UnknownChannel,
                    "illumination",
                    format!(
                        "no channel `{name}` on {}: it has {}",
                        d.name,
                        d.channels
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
        };
        let exposure = |ms: Option<f64>| {
            let s = ms.unwrap_or(DEFAULT_EXPOSURE_MS) / 1000.0;
            let (lo, hi) = (d.camera.exposure_min.secs(), d.camera.exposure_max.secs());
            if s.is_finite() && s >= lo && s <= hi {
                Ok(s)
            } else {
                Err(fault(
                    Code::OutOfRange,
                    "camera",
                    format!(
                        "exposure {} ms is outside the camera's {} to {}",
                        fmt_num(s * 1000.0),
                        d.camera.exposure_min,
                        d.camera.exposure_max
                    ),
                ))
            }
        };
        let intensity = |p: Option<f64>| {
            let p = p.unwrap_or(DEFAULT_INTENSITY_PCT);
            if (0.0..=100.0).contains(&p) {
                Ok(p)
            } else {
                Err(fault(
                    Code::OutOfRange,
                    "illumination",
                    format!("intensity {} % is out of range: give 0 to 100", fmt_num(p)),
                ))
            }
        };
        let t = &d.stage.travel;
        let travel = [
            [t.x[0].mm(), t.x[1].mm()],
            [t.y[0].mm(), t.y[1].mm()],
            [t.z[0].mm(), t.z[1].mm()],
        ];
        Ok(match self {
            Action::Home => Checked::Home,
            Action::Move(m) => {
                let (mut x, mut y, mut z) = (m.x_mm, m.y_mm, m.z_mm);
                if let Some(name) = &m.to {
                    if x.is_some() || y.is_some() || z.is_some() || m.relative {
                        return Err(fault(
                            Code::BadValue,
                            "stage",
                            format!(
                                "move to `{name}` or by coordinates, not both: drop x, y, z or `to`"
                            ),
                        ));
                    }
                    let p = d.positions.get(name).ok_or_else(|| {
                        let m = if d.positions.is_empty() {
                            format!(
                                "{} names no positions: add `positions: {{{name}: {{x: …, y: …}}}}` to the microscope description",
                                d.name
                            )
                        } else {
                            format!(
                                "no position `{name}` on {}: it has {}",
                                d.name,
                                d.positions.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        };
                        fault(Code::CapabilityMissing, "stage", m)
                    })?;
                    (x, y, z) = (Some(p.x.mm()), Some(p.y.mm()), p.z.map(|z| z.mm()));
                } else if x.is_none() && y.is_none() && z.is_none() {
                    return Err(fault(
                        Code::BadValue,
                        "stage",
                        "say where to move: a named position (`to`), or x, y and/or z".into(),
                    ));
                }
                for (axis, v, tr) in [
                    ("x", x, travel[0]),
                    ("y", y, travel[1]),
                    ("z", z, travel[2]),
                ] {
                    let Some(v) = v else { continue };
                    if !v.is_finite() {
                        return Err(fault(
                            Code::BadValue,
                            &format!("stage.{axis}"),
                            format!("{axis} = {v} is not a number of mm"),
                        ));
                    }
                    if !m.relative && (v < tr[0] || v > tr[1]) {
                        return Err(fault(
                            Code::OutOfRange,
                            &format!("stage.{axis}"),
                            format!(
                                "{axis} = {} mm is outside the {axis} travel {} to {} mm",
                                fmt_num(v),
                                fmt_num(tr[0]),
                                fmt_num(tr[1])
                            ),
                        )
                        .with("axis", axis)
                        .with("target_mm", v)
                        .with("travel_mm", tr));
                    }
                }
                Checked::Move {
                    x,
                    y,
                    z,
                    relative: m.relative,
                    to: m.to.clone(),
                    travel,
                }
            }
            Action::Snap(s) => {
                let c = channel(&s.channel)?;
                Checked::Snap {
                    channel: c.name.clone(),
                    source: c.source.clone(),
                    exposure_s: exposure(s.exposure_ms)?,
                    intensity_pct: intensity(s.intensity_pct)?,
                    output: s.output.clone(),
                }
            }
            Action::Focus(f) => {
                let method = match f.method.as_deref() {
                    None if d.laser_autofocus.is_some() => AfMethod::Laser,
                    None | Some("contrast") => AfMethod::Contrast,
                    Some("laser") if d.laser_autofocus.is_some() => AfMethod::Laser,
                    Some("laser") => {
                        return Err(fault(
                            Code::CapabilityMissing,
                            "autofocus",
                            format!("{} has no laser autofocus: use the contrast method", d.name),
                        ));
                    }
                    Some(other) => {
                        return Err(fault(
                            Code::BadValue,
                            "autofocus",
                            format!("unknown autofocus method `{other}`: use laser or contrast"),
                        ));
                    }
                };
                let c = match &f.channel {
                    Some(n) => channel(n)?,
                    None => d.channels.first().ok_or_else(|| {
                        fault(
                            Code::CapabilityMissing,
                            "illumination",
                            format!("{} has no channels", d.name),
                        )
                    })?,
                };
                let (range_um, step_um) = match method {
                    AfMethod::Laser => (
                        d.laser_autofocus.as_ref().map_or(0.0, |l| l.range.um()),
                        0.0,
                    ),
                    _ => {
                        let r = f.range_um.unwrap_or(DEFAULT_AF_RANGE_UM);
                        let s = f.step_um.unwrap_or(DEFAULT_AF_STEP_UM);
                        let planes = crate::microscope::timing::contrast_af_planes_f64(r, s);
                        if !(r > 0.0 && s > 0.0 && s <= r)
                            || planes > crate::microscope::timing::MAX_AF_PLANES as f64
                        {
                            return Err(fault(
                                Code::OutOfRange,
                                "autofocus",
                                format!(
                                    "a contrast autofocus over {} µm in steps of {} µm is not possible: give a positive range and a step no larger than it, at most {} planes",
                                    fmt_num(r),
                                    fmt_num(s),
                                    crate::microscope::timing::MAX_AF_PLANES
                                ),
                            ));
                        }
                        (r, s)
                    }
                };
                Checked::Focus {
                    plan: AutofocusPlan {
                        method,
                        every: AfEvery::Well,
                        first_timepoint_only: false,
                        range_um,
                        step_um,
                        channel: 0,
                    },
                    source: c.source.clone(),
                    channel: (method == AfMethod::Contrast).then(|| c.name.clone()),
                    exposure_s: exposure(f.exposure_ms)?,
                    intensity_pct: DEFAULT_INTENSITY_PCT,
                }
            }
            Action::Lights(l) => Checked::Lights {
                on: if l.on {
                    let name = l.channel.as_deref().ok_or_else(|| {
                        fault(
                            Code::BadValue,
                            "illumination",
                            "say which light to turn on: a channel (e.g. `lights on --channel BF`)"
                                .into(),
                        )
                    })?;
                    let c = channel(name)?;
                    let secs = l.for_s.unwrap_or(DEFAULT_LIGHT_S);
                    if !(secs > 0.0 && secs <= MAX_LIGHT_S) {
                        return Err(fault(
                            Code::OutOfRange,
                            "illumination",
                            format!(
                                "a light stays on for 0 to {} s at most, not {} s",
                                fmt_num(MAX_LIGHT_S),
                                fmt_num(secs)
                            ),
                        ));
                    }
                    Some((
                        c.name.clone(),
                        c.source.clone(),
                        intensity(l.intensity_pct)?,
                        secs,
                    ))
                } else {
                    if l.channel.is_some() || l.for_s.is_some() {
                        return Err(fault(
                            Code::BadValue,
                            "illumination",
                            "`lights off` turns every light off: drop the channel".into(),
                        ));
                    }
                    None
                },
            },
            Action::Filter { position } => {
                let n = d
                    .filter_wheel
                    .as_ref()
                    .map(|f| f.positions)
                    .ok_or_else(|| {
                        fault(
                            Code::CapabilityMissing,
                            "filter_wheel",
                            format!("{} has no filter wheel", d.name),
                        )
                    })?;
                if *position == 0 || *position > n {
                    return Err(fault(
                        Code::OutOfRange,
                        "filter_wheel",
                        format!(
                            "filter position {position} does not exist: the wheel has 1 to {n}"
                        ),
                    ));
                }
                Checked::Filter {
                    position: *position,
                }
            }
        })
    }
}

impl Checked {
    pub fn name(&self) -> &'static str {
        match self {
            Checked::Home => "home",
            Checked::Move { .. } => "move",
            Checked::Snap { .. } => "snap",
            Checked::Focus { .. } => "focus",
            Checked::Lights { .. } => "lights",
            Checked::Filter { .. } => "filter",
        }
    }

    /// The light sources it may turn on (a simulator gets ready for just those).
    pub fn sources(&self) -> Vec<String> {
        match self {
            Checked::Snap { source, .. } | Checked::Focus { source, .. } => vec![source.clone()],
            Checked::Lights {
                on: Some((_, s, _, _)),
            } => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// The deadline once the devices are open, from the microscope's timing at the clock's
    /// scale, as a run's steps get theirs (moves from an unknown start cover the travel).
    pub fn deadline(&self, config: &MicroscopeConfig, scale: f64) -> Duration {
        let t = &config.desc.stage.travel;
        let travel = (
            t.x[1].mm() - t.x[0].mm(),
            t.y[1].mm() - t.y[0].mm(),
            t.z[1].mm() - t.z[0].mm(),
        );
        let (af, af_exposure) = match self {
            Checked::Focus {
                plan, exposure_s, ..
            } => (plan.clone(), *exposure_s),
            _ => (AutofocusPlan::default(), 0.0),
        };
        let d = Deadlines::new(
            config.timing(),
            travel,
            scale,
            Timeouts::default(),
            af,
            af_exposure,
        );
        // Every action reads the position and leaves the lights as asked.
        let base = d.move_xy(Some((0.0, 0.0))) + d.illumination() * 2;
        base + match self {
            Checked::Home | Checked::Lights { on: None } => MARGIN,
            Checked::Lights {
                on: Some((_, _, _, secs)),
            } => Duration::from_secs_f64(*secs) + MARGIN,
            Checked::Move { .. } => d.move_xy(None) + d.move_z(None),
            Checked::Snap { exposure_s, .. } => {
                d.capture(*exposure_s, config.desc.camera.readout.secs() + 5.0) + d.save()
            }
            Checked::Focus { .. } => d.autofocus() + d.move_z(None),
            Checked::Filter { .. } => {
                let w = config.desc.filter_wheel.as_ref();
                let s = w.map_or(0.0, |w| w.step_time.secs() * f64::from(w.positions));
                Duration::from_secs_f64((s * scale * 2.0).clamp(0.0, 3600.0)) + MARGIN
            }
        }
    }
}
