//! The plan: a protocol checked against a microscope and expanded into regions, FOVs, z
//! planes, channels and time points — everything needed to iterate events lazily and to
//! estimate the run in closed form. It never looks at hardware.

mod autofocus;
mod channels;
pub mod estimate;
pub mod events;
pub mod focus_map;
pub mod fov;
pub mod names;
mod output;
pub mod plate;
mod regions;
pub mod round;
pub mod surface;
mod time;
mod travel;
pub mod wells;
pub mod z;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics, Loc};
use crate::microscope::MicroscopeConfig;
use crate::protocol::schema::{
    AfEvery, AfMethod, AfTimepoints, Axis, FillShape, OnError, OutputSpec, Overrun, PositionsSpec,
    Protocol, Timeouts, WellOrder, WellShape,
};
use crate::protocol::units::Duration;
use crate::protocol::{LoadedProtocol, template};
use crate::suggest;

pub use autofocus::AutofocusPlan;
pub use channels::PlanChannel;
pub use events::{Event, Events};
use plate::PlateGeometry;
pub use plate::{PlacementSource, PlatePlacement};
use regions::Origin;
pub use regions::Region;
pub use time::TimePlan;
use wells::Well;

/// A protocol channel resolved against the microscope's channel table.
/// Everything about the frames that decides file sizes and metadata.
#[derive(Clone, Copy, Debug)]
pub struct FrameSpec {
    pub width: u32,
    pub height: u32,
    pub bit_depth: u32,
    pub pixel_um: f64,
    pub fov_mm: (f64, f64),
}

impl FrameSpec {
    pub fn bytes(&self) -> u64 {
        self.width as u64 * self.height as u64 * 2
    }
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub name: String,
    pub description: String,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub plate: Option<PlateGeometry>,
    /// Where the plate's wells were placed from (none for positions).
    pub placement: Option<PlatePlacement>,
    pub regions: Vec<Region>,
    pub max_fovs: u32,
    pub z_offsets_um: Vec<f64>,
    pub z_ref: usize,
    pub z_step_um: f64,
    pub channels: Vec<PlanChannel>,
    pub time: TimePlan,
    pub order: [Axis; 5],
    pub autofocus: AutofocusPlan,
    pub focus_map: Option<focus_map::FocusMapPlan>,
    pub frame: FrameSpec,
    pub timeouts: Timeouts,
    pub on_error: OnError,
    pub output: OutputSpec,
}

impl Plan {
    /// Check the protocol against the microscope and expand it. All problems found are
    /// returned together, each pointing at the key that causes it.
    pub fn build(lp: &LoadedProtocol, m: &MicroscopeConfig) -> Result<Plan, Diagnostics> {
        Builder {
            lp,
            m,
            errors: Diagnostics::default(),
            check_names: true,
            placed: None,
        }
        .build()
    }

    /// Rebuild the plan of a run already on disk. File-name clashes are not refused here: an
    /// older squidctl may have accepted them, and `verify` must still be able to look and
    /// report the files the clashing names share.
    pub fn build_recorded(lp: &LoadedProtocol, m: &MicroscopeConfig) -> Result<Plan, Diagnostics> {
        Builder {
            lp,
            m,
            errors: Diagnostics::default(),
            check_names: false,
            placed: None,
        }
        .build()
    }

    pub fn events(&self) -> Events<'_> {
        Events::new(self)
    }

    /// Position in the loop order (0 = outermost).
    pub fn level(&self, a: Axis) -> usize {
        self.order.iter().position(|x| *x == a).unwrap_or(0)
    }

    pub fn total_fovs(&self) -> u64 {
        self.regions.iter().map(|r| r.fovs.len() as u64).sum()
    }

    /// Planes a channel takes at one FOV.
    pub fn planes(&self, c: &PlanChannel) -> u64 {
        if c.stack {
            self.z_offsets_um.len() as u64
        } else {
            1
        }
    }

    /// Time points at which channel `c` is acquired.
    pub fn timepoints_of(&self, c: &PlanChannel) -> u64 {
        (self.time.count as u64).div_ceil(c.every as u64)
    }

    /// Closed-form frame count: Σ over channels of FOVs × planes × its time points.
    pub fn total_frames(&self) -> u64 {
        let fovs = self.total_fovs();
        self.channels
            .iter()
            .map(|c| fovs * self.planes(c) * self.timepoints_of(c))
            .sum()
    }

    /// Frames of one channel (closed form).
    pub fn frames_of(&self, c: &PlanChannel) -> u64 {
        self.total_fovs() * self.planes(c) * self.timepoints_of(c)
    }

    /// The z offset (µm from the focus reference) of plane `z` of channel `c`.
    pub fn z_offset_um(&self, c: &PlanChannel, z: usize) -> f64 {
        let base = if c.stack { self.z_offsets_um[z] } else { 0.0 };
        base + c.z_offset_um
    }

    /// Seconds from the start of a time-lapse sweep to the scheduled start of time point `t`.
    pub fn scheduled_s(&self, t: u32) -> f64 {
        t as f64 * self.time.interval.secs()
    }

    /// Variables for output path templates.
    pub fn template_vars(&self, now: &crate::clock::WallTime) -> BTreeMap<String, String> {
        template_vars(&self.name, &self.metadata, now)
    }
}

pub fn template_vars(
    name: &str,
    metadata: &serde_json::Map<String, serde_json::Value>,
    now: &crate::clock::WallTime,
) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    for (k, val) in metadata {
        let s = match val {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        v.insert(k.clone(), s);
    }
    v.insert("name".into(), name.to_string());
    v.insert("date".into(), now.date());
    v.insert("time".into(), now.time());
    v.insert("timestamp".into(), now.stamp());
    v
}

/// The longest protocol name (it names run directories and shows in every listing).
pub const MAX_NAME: usize = 200;

struct Builder<'a> {
    lp: &'a LoadedProtocol,
    m: &'a MicroscopeConfig,
    errors: Diagnostics,
    check_names: bool,
    /// Where the plate was put, once its regions are laid out.
    placed: Option<PlatePlacement>,
}

impl Builder<'_> {
    fn err(&mut self, path: &str, msg: impl Into<String>) -> &mut Diagnostic {
        let d = self.lp.err(path, msg);
        self.errors.push(d);
        let last = self.errors.0.len() - 1;
        &mut self.errors.0[last]
    }

    fn err_help(&mut self, path: &str, msg: impl Into<String>, help: impl Into<String>) {
        let h = help.into();
        let d = self.err(path, msg);
        d.help = Some(h);
    }

    /// Messages carrying "\nhelp: " (from the well and template parsers) split in two.
    fn err_split(&mut self, path: &str, text: &str, loc: Option<Loc>) {
        let (m, h) = text
            .split_once("\nhelp: ")
            .map_or((text, None), |(m, h)| (m, Some(h)));
        let mut d = Diagnostic::new(m)
            .at(loc)
            .at(Some(self.lp.root.best_loc(path)))
            .path(path);
        if let Some(h) = h {
            d = d.help(h);
        }
        self.errors.push(d);
    }

    fn build(mut self) -> Result<Plan, Diagnostics> {
        let p: &Protocol = &self.lp.spec;
        if p.name.trim().is_empty() {
            self.err_help(
                "name",
                "the protocol has an empty name",
                "give it a short name; it names the run directory",
            );
        }
        if let Some(n) = crate::human::too_long(&p.name, MAX_NAME) {
            self.err_help(
                "name",
                format!("the protocol's name is {n} characters long; the limit is {MAX_NAME}"),
                "give it a short name; it names the run directory and every queue listing",
            );
        }
        let fov_mm = self.m.fov_mm();
        let (width, height) = self.m.frame_dims();
        let frame = FrameSpec {
            width,
            height,
            bit_depth: self.m.desc.camera.bit_depth,
            pixel_um: self.m.pixel_um(),
            fov_mm,
        };
        let channels = self.channels();
        let (z_offsets_um, z_step_um) = self.z_plan();
        let time = self.time_plan();
        let autofocus = self.autofocus(&channels);
        self.output();
        self.timeouts();
        let overlap = p.fov.overlap.0;
        if !(0.0..100.0).contains(&overlap) {
            self.err_help(
                "fov.overlap",
                format!(
                    "overlap {}% is out of range",
                    crate::protocol::units::fmt_num(overlap)
                ),
                "use 0% up to (not including) 100%",
            );
        }
        let (plate, regions) = self.regions(fov_mm);
        if self.check_names {
            self.file_names(&regions, &channels);
        }
        let focus_map = {
            let rs: Vec<&Region> = regions.iter().map(|(r, _)| r).collect();
            self.focus_map(&rs, &autofocus)
        };
        let z_ref = z::reference_index(&z_offsets_um);
        if !regions.is_empty() && !channels.is_empty() {
            self.travel(&regions, &z_offsets_um, &channels, &autofocus);
        }
        let max_fovs = regions
            .iter()
            .map(|(r, _)| r.fovs.len() as u32)
            .max()
            .unwrap_or(0);
        let plan = Plan {
            name: p.name.clone(),
            description: p.description.clone(),
            metadata: p.metadata.clone(),
            plate,
            placement: self.placed.take(),
            regions: regions.into_iter().map(|(r, _)| r).collect(),
            max_fovs,
            z_offsets_um,
            z_ref,
            z_step_um,
            channels,
            time,
            order: p.order.0,
            autofocus,
            focus_map,
            frame,
            timeouts: p.timeouts.clone(),
            on_error: p.on_error.clone(),
            output: p.output.clone(),
        };
        self.errors.into_result(plan)
    }
}

#[cfg(test)]
mod tests;
