//! Autofocus: the method, how often, its search range and the channel it images with.

use super::*;

#[derive(Clone, Debug, Default)]
pub struct AutofocusPlan {
    pub method: AfMethod,
    pub every: AfEvery,
    pub first_timepoint_only: bool,
    pub range_um: f64,
    pub step_um: f64,
    /// Index into the plan's channels (contrast autofocus images with it).
    pub channel: usize,
}

/// A contrast scan's search range and step when the protocol gives none.
pub(super) const CONTRAST_RANGE_UM: f64 = 40.0;
pub(super) const CONTRAST_STEP_UM: f64 = 2.0;

impl Builder<'_> {
    pub(super) fn autofocus(&mut self, channels: &[PlanChannel]) -> AutofocusPlan {
        let a = &self.lp.spec.autofocus;
        let mut plan = AutofocusPlan {
            method: a.method,
            every: a.every,
            first_timepoint_only: a.timepoints == AfTimepoints::First,
            range_um: 0.0,
            step_um: 0.0,
            channel: 0,
        };
        match a.method {
            AfMethod::None => {}
            AfMethod::Contrast => {
                plan.range_um = a.range.map_or(CONTRAST_RANGE_UM, |r| r.um());
                plan.step_um = a.step.map_or(CONTRAST_STEP_UM, |s| s.um());
                if plan.range_um <= 0.0 {
                    self.err("autofocus.range", "the search range must be positive");
                }
                use crate::microscope::timing::{MAX_AF_PLANES, contrast_af_planes_f64};
                let planes = contrast_af_planes_f64(plan.range_um, plan.step_um);
                if plan.step_um <= 0.0 || plan.step_um > plan.range_um {
                    self.err_help(
                        "autofocus.step",
                        "the autofocus step must be positive and no larger than the range",
                        "e.g. `range: 40um`, `step: 2um`",
                    );
                } else if planes > MAX_AF_PLANES as f64 {
                    self.err_help(
                        "autofocus.step",
                        format!(
                            "a {} µm search in steps of {} µm would image {} planes per autofocus; at most {MAX_AF_PLANES} are allowed",
                            crate::protocol::units::fmt_num(plan.range_um),
                            crate::protocol::units::fmt_num(plan.step_um),
                            crate::protocol::units::fmt_num(planes)
                        ),
                        format!(
                            "use a larger step (at least {} µm for this range) or a smaller range",
                            crate::protocol::units::fmt_num(plan.range_um / (MAX_AF_PLANES - 1) as f64)
                        ),
                    );
                }
                if let Some(name) = &a.channel {
                    match channels.iter().position(|c| &c.name == name) {
                        Some(i) => plan.channel = i,
                        None => {
                            let names: Vec<&str> =
                                channels.iter().map(|c| c.name.as_str()).collect();
                            self.err_help(
                                "autofocus.channel",
                                format!("autofocus channel `{name}` is not one of this protocol's channels"),
                                suggest::did_you_mean(name, names),
                            );
                        }
                    }
                }
            }
            AfMethod::Laser => {
                let Some(laser) = &self.m.desc.laser_autofocus else {
                    self.err_help(
                        "autofocus.method",
                        format!("the microscope `{}` has no laser autofocus", self.m.desc.name),
                        "use `method: contrast`, or describe `laser_autofocus` in the microscope file",
                    );
                    return plan;
                };
                plan.range_um = a.range.map_or(laser.range.um(), |r| r.um());
                if plan.range_um <= 0.0 || plan.range_um > laser.range.um() {
                    self.err_help(
                        "autofocus.range",
                        format!(
                            "range {} is beyond the laser autofocus range",
                            a.range.map_or_else(String::new, |r| r.to_string())
                        ),
                        format!("use up to {}", laser.range),
                    );
                }
            }
        }
        plan
    }
}
