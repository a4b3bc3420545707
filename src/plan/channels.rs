//! Channels: each protocol channel resolved against the microscope's channel table (its
//! light source, exposure, intensity, gain and every-n-th time point), with its checks.

use super::*;

#[derive(Clone, Debug)]
pub struct PlanChannel {
    pub name: String,
    pub source: String,
    pub wavelength_nm: Option<f64>,
    pub emission_nm: Option<f64>,
    pub exposure: Duration,
    pub intensity_pct: f64,
    pub gain: Option<f64>,
    pub z_offset_um: f64,
    pub every: u32,
    pub stack: bool,
}

impl PlanChannel {
    pub fn active_at(&self, t: u32) -> bool {
        t.is_multiple_of(self.every)
    }
}

impl Builder<'_> {
    pub(super) fn channels(&mut self) -> Vec<PlanChannel> {
        let p = &self.lp.spec;
        let cam = &self.m.desc.camera;
        let mut out = Vec::new();
        if p.channels.len() > 64 {
            self.err_help(
                "channels",
                "more than 64 channels are listed",
                "split the acquisition into several protocols",
            );
            return out;
        }
        if p.channels.is_empty() {
            self.err_help(
                "channels",
                "no channels are listed",
                "add at least one channel, e.g. `- {name: BF, exposure: 10ms, intensity: 50%}`",
            );
        }
        for (i, c) in p.channels.iter().enumerate() {
            let path = format!("channels[{i}]");
            let Some(desc) = self.m.channel(&c.name) else {
                let names: Vec<&str> = self
                    .m
                    .desc
                    .channels
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                let help = match names.iter().find(|n| n.eq_ignore_ascii_case(&c.name)) {
                    Some(n) => format!("did you mean `{n}`? (names are case-sensitive)"),
                    None => format!(
                        "{} (the microscope `{}` has {})",
                        suggest::did_you_mean(&c.name, names.iter().copied()),
                        self.m.desc.name,
                        suggest::quoted_list(names.iter().copied())
                    ),
                };
                self.err_help(
                    &format!("{path}.name"),
                    format!("unknown channel `{}`", c.name),
                    help,
                );
                continue;
            };
            if p.channels[..i].iter().any(|o| o.name == c.name) {
                self.err_help(
                    &format!("{path}.name"),
                    format!("channel `{}` is listed twice", c.name),
                    "list each channel once",
                );
            }
            if c.exposure < cam.exposure_min || c.exposure > cam.exposure_max {
                self.err_help(
                    &format!("{path}.exposure"),
                    format!("exposure {} is outside the camera's range", c.exposure),
                    format!("use {} to {}", cam.exposure_min, cam.exposure_max),
                );
            }
            if !(0.0..=100.0).contains(&c.intensity.0) {
                self.err_help(
                    &format!("{path}.intensity"),
                    format!("intensity {} is out of range", c.intensity),
                    "use 0% to 100%",
                );
            }
            if let Some(g) = c.gain
                && !(cam.gain_min..=cam.gain_max).contains(&g)
            {
                self.err_help(
                    &format!("{path}.gain"),
                    format!(
                        "gain {} is outside the camera's range",
                        crate::protocol::units::fmt_num(g)
                    ),
                    format!(
                        "use {} to {}",
                        crate::protocol::units::fmt_num(cam.gain_min),
                        crate::protocol::units::fmt_num(cam.gain_max)
                    ),
                );
            }
            if c.acquire_every == 0 {
                self.err_help(
                    &format!("{path}.acquire_every"),
                    "acquire_every must be 1 or more",
                    "1 acquires at every time point, 2 at every other one",
                );
            }
            out.push(PlanChannel {
                name: c.name.clone(),
                source: desc.source.clone(),
                wavelength_nm: desc.wavelength.map(|l| l.um() * 1000.0),
                emission_nm: desc.emission.map(|l| l.um() * 1000.0),
                exposure: c.exposure,
                intensity_pct: c.intensity.0,
                gain: c.gain,
                z_offset_um: c.z_offset.um(),
                every: c.acquire_every.max(1),
                stack: c.do_stack,
            });
        }
        out
    }
}
