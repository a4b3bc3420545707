//! The plan: a protocol checked against a microscope and expanded into regions, FOVs, z
//! planes, channels and time points — everything needed to iterate events lazily and to
//! estimate the run in closed form. It never looks at hardware.

pub mod estimate;
pub mod events;
pub mod fov;
pub mod names;
pub mod plate;
pub mod round;
pub mod wells;
pub mod zplan;

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

pub use events::{Event, Events};
use plate::PlateGeometry;
use wells::Well;

/// A place to image: a well or a named position, with its FOV centres (stage mm).
#[derive(Clone, Debug)]
pub struct Region {
    pub name: String,
    pub well: Option<Well>,
    pub centre: (f64, f64),
    /// Focus reference for this region (a position's own z, else the microscope's focus_z).
    pub z_mm: f64,
    pub fovs: Vec<(f64, f64)>,
}

/// A protocol channel resolved against the microscope's channel table.
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

#[derive(Clone, Debug)]
pub struct AutofocusPlan {
    pub method: AfMethod,
    pub every: AfEvery,
    pub first_timepoint_only: bool,
    pub range_um: f64,
    pub step_um: f64,
    /// Index into the plan's channels (contrast autofocus images with it).
    pub channel: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct TimePlan {
    pub count: u32,
    pub interval: Duration,
    pub overrun: Overrun,
}

impl TimePlan {
    /// How late a time point may start under `overrun: skip` before it is skipped instead:
    /// a tenth of the interval.
    pub fn skip_grace_s(&self) -> f64 {
        0.1 * self.interval.secs()
    }
}

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
    pub regions: Vec<Region>,
    pub max_fovs: u32,
    pub z_offsets_um: Vec<f64>,
    pub z_ref: usize,
    pub z_step_um: f64,
    pub channels: Vec<PlanChannel>,
    pub time: TimePlan,
    pub order: [Axis; 5],
    pub autofocus: AutofocusPlan,
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
}

/// Where a region was defined, so out-of-travel errors can point at it.
enum Origin {
    Wells(Loc),
    Position(String),
    Csv(Loc),
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
        let z_ref = zplan::reference_index(&z_offsets_um);
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
            regions: regions.into_iter().map(|(r, _)| r).collect(),
            max_fovs,
            z_offsets_um,
            z_ref,
            z_step_um,
            channels,
            time,
            order: p.order.0,
            autofocus,
            frame,
            timeouts: p.timeouts.clone(),
            on_error: p.on_error.clone(),
            output: p.output.clone(),
        };
        self.errors.into_result(plan)
    }

    fn channels(&mut self) -> Vec<PlanChannel> {
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

    fn z_plan(&mut self) -> (Vec<f64>, f64) {
        let z = &self.lp.spec.z;
        let step = z.step.map(|s| s.um());
        if let Some(s) = step
            && s <= 0.0
        {
            self.err_help(
                "z.step",
                "the z step must be positive",
                "write e.g. `step: 1.5um`",
            );
            return (vec![0.0], 0.0);
        }
        let count = match (z.range, z.count, step) {
            (None, None, _) => return (vec![0.0], step.unwrap_or(0.0)),
            (Some(_), Some(_), _) => {
                self.err_help(
                    "z.count",
                    "give either `range` or `count`, not both",
                    "a stack is range + step, or count + step",
                );
                return (vec![0.0], 0.0);
            }
            (_, _, None) => {
                self.err_help("z", "a z stack needs a `step`", "add e.g. `step: 1um`");
                return (vec![0.0], 0.0);
            }
            (Some(r), None, Some(s)) => {
                if r.um() < 0.0 {
                    self.err("z.range", "the z range must not be negative");
                    return (vec![0.0], s);
                }
                zplan::count_for_range(r.um(), s)
            }
            (None, Some(n), Some(_)) => {
                if n == 0 {
                    self.err_help(
                        "z.count",
                        "a stack has at least one plane",
                        "use `count: 1` or more",
                    );
                    return (vec![0.0], 0.0);
                }
                n
            }
        };
        if count > 100_000 {
            self.err_help(
                "z",
                format!("{count} planes per stack is more than any objective's depth"),
                "check the range and step units",
            );
            return (vec![0.0], 0.0);
        }
        let s = step.unwrap_or(0.0);
        (zplan::offsets(count, s, z.from), s)
    }

    fn time_plan(&mut self) -> TimePlan {
        let t = &self.lp.spec.time;
        let interval = t.every.unwrap_or_default();
        if t.every.is_some() && interval.0 == 0 {
            self.err_help(
                "time.every",
                "the interval must be positive",
                "write e.g. `every: 30m`",
            );
        }
        let count = match (t.count, t.for_, t.every) {
            (Some(_), Some(_), _) => {
                self.err_help(
                    "time.for",
                    "give either `count` or `for`, not both",
                    "e.g. `every: 30m` with `count: 24`, or with `for: 12h`",
                );
                1
            }
            (Some(0), _, _) => {
                self.err_help(
                    "time.count",
                    "a time-lapse has at least one time point",
                    "use `count: 1` or more",
                );
                1
            }
            (Some(n), None, None) if n > 1 => {
                self.err_help(
                    "time",
                    format!("{n} time points need an interval"),
                    "add `every:`, e.g. `every: 30m`",
                );
                1
            }
            (Some(n), None, _) => n,
            (None, Some(_), None) => {
                self.err_help(
                    "time",
                    "`for` needs an interval",
                    "add `every:`, e.g. `every: 30m`",
                );
                1
            }
            (None, Some(d), Some(e)) if e.0 > 0 => {
                (d.0 / e.0).saturating_add(1).min(u32::MAX as u64) as u32
            }
            (None, None, Some(_)) => {
                self.err_help(
                    "time",
                    "an interval needs a number of time points",
                    "add `count: N` or `for: 12h`",
                );
                1
            }
            _ => 1,
        };
        const MAX_TIMEPOINTS: u32 = 100_000_000;
        let count = if count > MAX_TIMEPOINTS {
            self.err_help(
                "time",
                format!(
                    "{count} time points is more than squidctl plans for (at most 100 million)"
                ),
                "check the interval and duration units",
            );
            1
        } else {
            count
        };
        TimePlan {
            count,
            interval,
            overrun: t.overrun,
        }
    }

    fn autofocus(&mut self, channels: &[PlanChannel]) -> AutofocusPlan {
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
                plan.range_um = a.range.map_or(40.0, |r| r.um());
                plan.step_um = a.step.map_or(2.0, |s| s.um());
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

    fn output(&mut self) {
        let o = &self.lp.spec.output;
        use crate::protocol::schema::{BigTiff, Compression, ImageFormat};
        match (o.format, o.compression) {
            (ImageFormat::OmeZarr, Compression::Lzw) => self.err_help(
                "output.compression",
                "LZW is a TIFF compression; Zarr has no LZW codec",
                "use `deflate` (Zarr's gzip codec) or `zstd` for `format: ome-zarr`",
            ),
            (ImageFormat::OmeTiff | ImageFormat::Tiff, Compression::Zstd) => self.err_help(
                "output.compression",
                "zstd is offered for `format: ome-zarr` only: Fiji's TIFF reader cannot open zstd TIFFs",
                "use `deflate` or `lzw` for TIFF, or `format: ome-zarr` to keep zstd",
            ),
            _ => {}
        }
        if o.format == ImageFormat::OmeZarr && o.bigtiff == BigTiff::Always {
            self.err_help(
                "output.bigtiff",
                "`bigtiff` is a TIFF setting; an OME-Zarr store has no 4 GiB limit",
                "remove `bigtiff`",
            );
        }
        let mut known: Vec<String> = ["name", "date", "time", "timestamp"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let scalar = |v: &serde_json::Value| !(v.is_array() || v.is_object() || v.is_null());
        known.extend(
            self.lp
                .spec
                .metadata
                .iter()
                .filter(|(_, v)| scalar(v))
                .map(|(k, _)| k.clone()),
        );
        for (key, t) in [
            ("output.directory", &o.directory),
            ("output.run_name", &o.run_name),
        ] {
            match template::placeholders(t) {
                Err(m) => self.err_split(key, &m, None),
                Ok(names) => {
                    for n in names {
                        if let Some(v) = self.lp.spec.metadata.get(&n)
                            && !scalar(v)
                        {
                            self.err_help(
                                key,
                                format!("metadata `{n}` is a list or mapping, which cannot go into a name"),
                                format!("give `metadata.{n}` a single text or number value, or use another key"),
                            );
                            continue;
                        }
                        if !known.contains(&n) {
                            let help = format!(
                                "{}; other values come from `metadata` keys (set one with --set metadata.{n}=…)",
                                suggest::did_you_mean(&n, known.iter().map(String::as_str))
                            );
                            self.err_help(key, format!("unknown placeholder `{{{n}}}`"), help);
                        }
                    }
                }
            }
        }
        // The name as it would be rendered now: its length and characters are known.
        let vars = template_vars(
            &self.lp.spec.name,
            &self.lp.spec.metadata,
            &crate::clock::WallTime::now(),
        );
        if let Ok(name) = template::render(&o.run_name, &vars)
            && let Err(m) = names::check_run_name(&name)
        {
            self.err_split("output.run_name", &m, None);
        }
    }

    fn timeouts(&mut self) {
        let t = self.lp.spec.timeouts.clone();
        for (k, v) in [
            ("move_xy", t.move_xy),
            ("move_z", t.move_z),
            ("capture", t.capture),
            ("illumination", t.illumination),
            ("autofocus", t.autofocus),
            ("save", t.save),
        ] {
            if v.is_some_and(|d| d.0 == 0) {
                self.err_help(
                    &format!("timeouts.{k}"),
                    "a timeout must be positive",
                    "leave it out to use a deadline derived from the work",
                );
            }
        }
    }

    /// Wells or positions, each with its FOV centres.
    fn regions(&mut self, fov_mm: (f64, f64)) -> (Option<PlateGeometry>, Vec<(Region, Origin)>) {
        let p = &self.lp.spec;
        let focus = self.m.desc.stage.focus_z.mm();
        match (&p.plate, &p.positions) {
            (None, None) => {
                self.err_help(
                    "plate",
                    "the protocol does not say where to image",
                    "add `plate:` with `format:` and `wells:`, or `positions:`",
                );
                (None, Vec::new())
            }
            (Some(_), Some(_)) => {
                self.err_help(
                    "positions",
                    "give either `plate` or `positions`, not both",
                    "remove one of them",
                );
                (None, Vec::new())
            }
            (Some(spec), None) => {
                let mut sized = true;
                let geom = match (spec.format, &spec.custom) {
                    (Some(f), None) => PlateGeometry::sbs(f.0),
                    (None, Some(c)) => {
                        let g = PlateGeometry::custom(c);
                        sized = self.check_custom(&g);
                        Some(g)
                    }
                    (Some(_), Some(_)) => {
                        self.err_help(
                            "plate.custom",
                            "give either `format` or `custom`, not both",
                            "remove one of them",
                        );
                        None
                    }
                    (None, None) => {
                        self.err_help(
                            "plate",
                            "the plate has no `format`",
                            "add e.g. `format: 96`, or describe it under `custom:`",
                        );
                        None
                    }
                };
                let Some(geom) = geom else {
                    return (None, Vec::new());
                };
                if !sized {
                    return (Some(geom), Vec::new());
                }
                let selected = match wells::parse_selection(&spec.wells.0, geom.rows, geom.cols) {
                    Ok(s) => s,
                    Err(e) => {
                        let idx = spec.wells.0.iter().position(|s| s.contains(&e.token));
                        let path = match (idx, spec.wells.0.len()) {
                            (Some(i), n) if n > 1 => format!("plate.wells[{i}]"),
                            _ => "plate.wells".to_string(),
                        };
                        let loc = self.lp.root.best_loc(&path);
                        let loc = if e.token.is_empty() {
                            loc
                        } else {
                            loc.narrowed_to(&e.token)
                        };
                        self.err_split(&path, &e.message, Some(loc));
                        return (Some(geom), Vec::new());
                    }
                };
                let ordered = wells::order_wells(&selected, spec.order == WellOrder::Serpentine);
                let a1 = match spec.a1_position {
                    Some(pt) => (pt.x.mm(), pt.y.mm()),
                    None => {
                        let o = self.m.desc.stage.plate_origin;
                        (o.x.mm() + geom.a1_x_mm, o.y.mm() + geom.a1_y_mm)
                    }
                };
                let offsets = self.fov_offsets(fov_mm, Some(&geom));
                let wells_loc = self.lp.root.best_loc("plate.wells");
                let regions = ordered
                    .into_iter()
                    .map(|w| {
                        let c = geom.well_centre(w, a1);
                        let region = Region {
                            name: w.name(),
                            well: Some(w),
                            centre: c,
                            z_mm: focus,
                            fovs: offsets.iter().map(|o| (c.0 + o.0, c.1 + o.1)).collect(),
                        };
                        (region, Origin::Wells(wells_loc.narrowed_to(&w.name())))
                    })
                    .collect();
                (Some(geom), regions)
            }
            (None, Some(spec)) => {
                let offsets = self.fov_offsets(fov_mm, None);
                (None, self.positions(spec, &offsets, focus))
            }
        }
    }

    /// False when the plate's size is unusable (nothing further can be checked).
    fn check_custom(&mut self, g: &PlateGeometry) -> bool {
        let sized = g.rows > 0
            && g.cols > 0
            && g.rows <= 702
            && g.cols <= 10_000
            && g.rows as u64 * g.cols as u64 <= 100_000;
        if !sized {
            self.err_help(
                "plate.custom",
                "a plate needs 1 to 702 rows, 1 to 10,000 columns and at most 100,000 wells",
                "set `rows` and `columns`",
            );
        }
        if (g.cols > 1 && g.spacing_x_mm <= 0.0) || (g.rows > 1 && g.spacing_y_mm <= 0.0) {
            self.err_help(
                "plate.custom",
                "the well spacing is missing or not positive",
                "add `spacing: 9mm` (or `spacing_x` and `spacing_y`)",
            );
        }
        if g.well_size_mm <= 0.0 {
            self.err("plate.custom.well_size", "the well size must be positive");
        }
        sized
    }

    fn fov_offsets(
        &mut self,
        fov_mm: (f64, f64),
        plate: Option<&PlateGeometry>,
    ) -> Vec<(f64, f64)> {
        let f = &self.lp.spec.fov;
        let overlap = f.overlap.fraction().clamp(0.0, 0.99);
        let given = [f.grid.is_some(), f.fill.is_some(), f.offsets.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 {
            self.err_help(
                "fov",
                "give only one of `grid`, `fill` and `offsets`",
                "remove the others",
            );
            return vec![(0.0, 0.0)];
        }
        if let Some(g) = f.grid {
            if g.rows == 0 || g.columns == 0 || g.rows as u64 * g.columns as u64 > 1_000_000 {
                self.err_help(
                    "fov.grid",
                    "a grid needs 1 or more rows and columns (and fewer than a million FOVs)",
                    "e.g. `grid: 3x3`",
                );
                return vec![(0.0, 0.0)];
            }
            return fov::grid(g.rows, g.columns, fov_mm, overlap, f.order);
        }
        if let Some(fill) = &f.fill {
            let (round, size) = match (fill.shape, plate, fill.size) {
                (FillShape::Well, Some(p), s) => (
                    p.shape == WellShape::Round,
                    s.map_or(p.well_size_mm, |s| s.mm()),
                ),
                (FillShape::Well, None, _) => {
                    self.err_help(
                        "fov.fill.shape",
                        "`shape: well` needs a plate",
                        "with positions, use `shape: round` or `square` and a `size`",
                    );
                    return vec![(0.0, 0.0)];
                }
                (shape, p, s) => match s.map(|s| s.mm()).or(p.map(|p| p.well_size_mm)) {
                    Some(size) => (shape == FillShape::Round, size),
                    None => {
                        self.err_help(
                            "fov.fill.size",
                            "the scan area has no size",
                            "add e.g. `size: 2mm`",
                        );
                        return vec![(0.0, 0.0)];
                    }
                },
            };
            if size <= 0.0 || size > 200.0 {
                self.err(
                    "fov.fill.size",
                    "the scan area size must be positive and smaller than a plate",
                );
                return vec![(0.0, 0.0)];
            }
            return fov::fill(round, size, fov_mm, overlap, f.order);
        }
        if let Some(offs) = &f.offsets {
            if offs.is_empty() {
                self.err("fov.offsets", "the offset list is empty");
                return vec![(0.0, 0.0)];
            }
            return offs.iter().map(|p| (p.x.mm(), p.y.mm())).collect();
        }
        vec![(0.0, 0.0)]
    }

    fn positions(
        &mut self,
        spec: &PositionsSpec,
        offsets: &[(f64, f64)],
        focus: f64,
    ) -> Vec<(Region, Origin)> {
        let mut out: Vec<(Region, Origin)> = Vec::new();
        let expand = |c: (f64, f64)| offsets.iter().map(move |o| (c.0 + o.0, c.1 + o.1));
        match spec {
            PositionsSpec::List(list) => {
                if list.is_empty() {
                    self.err("positions", "the position list is empty");
                }
                let mut seen = std::collections::HashSet::new();
                for (i, p) in list.iter().enumerate() {
                    if p.name.trim().is_empty() {
                        self.err(&format!("positions[{i}].name"), "a position needs a name");
                    }
                    if !seen.insert(p.name.as_str()) {
                        self.err_help(
                            &format!("positions[{i}].name"),
                            format!("position `{}` is listed twice", p.name),
                            "names label output files; make them unique",
                        );
                    }
                    let c = (p.x.mm(), p.y.mm());
                    out.push((
                        Region {
                            name: p.name.clone(),
                            well: None,
                            centre: c,
                            z_mm: p.z.map_or(focus, |z| z.mm()),
                            fovs: expand(c).collect(),
                        },
                        Origin::Position(format!("positions[{i}]")),
                    ));
                }
            }
            PositionsSpec::Csv(path) => {
                let full = self.lp.base_dir.join(path);
                let read = match &self.lp.files {
                    crate::protocol::Files::Disk => crate::protocol::positions_csv::read(&full),
                    crate::protocol::Files::Sent(Some(csv)) => {
                        crate::protocol::positions_csv::parse(csv.clone())
                    }
                    crate::protocol::Files::Sent(None) => {
                        self.err_help(
                            "positions",
                            format!(
                                "`positions: {}` names a file on the server, which a protocol sent over the API may not",
                                crate::human::clip(path, 80)
                            ),
                            "list the positions in the protocol, or send the CSV's text in the same request (`positions_csv` in the JSON body)",
                        );
                        return out;
                    }
                };
                let rows = match read {
                    Ok(r) => r,
                    Err(d) => {
                        let here = self.lp.err(
                            "positions",
                            format!("in the positions CSV {}", full.display()),
                        );
                        for e in d.0 {
                            let mut e = e;
                            if e.loc.is_none() && e.help.is_none() {
                                e.help = here
                                    .loc
                                    .as_ref()
                                    .map(|l| format!("named at {}:{}", l.file.name, l.line));
                            }
                            self.errors.push(e);
                        }
                        return out;
                    }
                };
                // Rows of one region need not be adjacent; an index keeps this linear.
                let mut index: std::collections::HashMap<String, usize> = Default::default();
                for r in rows {
                    match index.get(&r.region) {
                        Some(&i) => out[i].0.fovs.extend(expand((r.x_mm, r.y_mm))),
                        None => {
                            index.insert(r.region.clone(), out.len());
                            out.push((
                                Region {
                                    name: r.region.clone(),
                                    well: None,
                                    centre: (r.x_mm, r.y_mm),
                                    z_mm: r.z_mm.unwrap_or(focus),
                                    fovs: expand((r.x_mm, r.y_mm)).collect(),
                                },
                                Origin::Csv(r.loc.clone()),
                            ))
                        }
                    }
                }
            }
        }
        out
    }

    /// Refuse names that would make two regions or channels write one file.
    fn file_names(&mut self, regions: &[(Region, Origin)], channels: &[PlanChannel]) {
        let help = "file names keep only ASCII letters, digits, `-`, `.` and `+` (case is ignored, as on exFAT, NTFS and macOS disks); rename one of them";
        for c in names::region_clashes(regions.iter().map(|(r, _)| (r.name.as_str(), r.fovs.len())))
        {
            let (r, origin) = &regions[c.index];
            if r.name == regions[c.with].0.name {
                continue; // a position listed twice, reported as such
            }
            let msg = format!(
                "positions `{}` and `{}` would write to the same files: {}",
                regions[c.with].0.name, r.name, c.why
            );
            let d = match origin {
                Origin::Wells(loc) => Diagnostic::new(msg)
                    .at(Some(loc.clone()))
                    .path("plate.wells"),
                Origin::Position(path) => self.lp.err(&format!("{path}.name"), msg),
                Origin::Csv(loc) => Diagnostic::new(msg).at(Some(loc.clone())),
            };
            self.errors.push(d.help(help));
        }
        // A position's folder in an OME-Zarr store sits beside the store's own `zarr.json`.
        if self.lp.spec.output.format == crate::protocol::schema::ImageFormat::OmeZarr
            && let Some((r, origin)) = regions
                .iter()
                .find(|(r, _)| names::safe_name(&r.name).eq_ignore_ascii_case("zarr.json"))
        {
            let msg = format!(
                "position `{}` would be a folder named like the OME-Zarr store's own `zarr.json`",
                r.name
            );
            let d = match origin {
                Origin::Position(path) => self.lp.err(&format!("{path}.name"), msg),
                Origin::Wells(loc) | Origin::Csv(loc) => Diagnostic::new(msg).at(Some(loc.clone())),
            };
            self.errors.push(d.help("rename the position"));
        }
        for c in names::same_safe_names(channels.iter().map(|c| c.name.as_str())) {
            let name = &channels[c.index].name;
            let i = self
                .lp
                .spec
                .channels
                .iter()
                .rposition(|p| &p.name == name)
                .unwrap_or(c.index);
            self.err_help(
                &format!("channels[{i}].name"),
                format!(
                    "channels `{}` and `{name}` would write to the same files: {}",
                    channels[c.with].name, c.why
                ),
                help,
            );
        }
    }

    /// Every stage position the plan will command must lie inside the travel: FOV centres in
    /// x and y; the focus reference plus stack, channel offsets and autofocus search in z.
    fn travel(
        &mut self,
        regions: &[(Region, Origin)],
        z_offsets: &[f64],
        channels: &[PlanChannel],
        af: &AutofocusPlan,
    ) {
        let tr = self.m.desc.stage.travel;
        let (xmin, xmax) = (tr.x[0].mm(), tr.x[1].mm());
        let (ymin, ymax) = (tr.y[0].mm(), tr.y[1].mm());
        let (zmin, zmax) = (tr.z[0].mm(), tr.z[1].mm());
        let mut dz_lo: f64 = 0.0;
        let mut dz_hi: f64 = 0.0;
        for c in channels {
            for z in if c.stack { z_offsets } else { &[0.0][..] } {
                dz_lo = dz_lo.min(z + c.z_offset_um);
                dz_hi = dz_hi.max(z + c.z_offset_um);
            }
        }
        if af.method != AfMethod::None {
            dz_lo = dz_lo.min(-af.range_um / 2.0);
            dz_hi = dz_hi.max(af.range_um / 2.0);
        }
        // (axis, value, limits) of the first offender per axis, and how many regions offend.
        let mut worst: BTreeMap<&str, (usize, f64, String, usize)> = BTreeMap::new();
        for (i, (r, _)) in regions.iter().enumerate() {
            let mut note = |axis: &'static str, v: f64, lim: String| {
                let e = worst.entry(axis).or_insert((i, v, lim, 0));
                e.3 += 1;
            };
            for &(x, _) in &r.fovs {
                if x < xmin - 1e-9 || x > xmax + 1e-9 {
                    note("x", x, format!("{xmin}–{xmax} mm"));
                    break;
                }
            }
            for &(_, y) in &r.fovs {
                if y < ymin - 1e-9 || y > ymax + 1e-9 {
                    note("y", y, format!("{ymin}–{ymax} mm"));
                    break;
                }
            }
            let lo = r.z_mm + dz_lo / 1000.0;
            let hi = r.z_mm + dz_hi / 1000.0;
            if lo < zmin - 1e-9 {
                note("z", lo, format!("{zmin}–{zmax} mm"));
            } else if hi > zmax + 1e-9 {
                note("z", hi, format!("{zmin}–{zmax} mm"));
            }
        }
        for (axis, (i, v, lim, n)) in worst {
            let (r, origin) = &regions[i];
            let more = if n > 1 {
                format!(" (and {} more)", n - 1)
            } else {
                String::new()
            };
            let what = match origin {
                Origin::Wells(_) => format!("well {}{more}", r.name),
                _ => format!("position `{}`{more}", r.name),
            };
            let msg = if axis == "z" {
                format!(
                    "{what} would move the stage to z = {v:.3} mm with its z stack, offsets and autofocus range, outside the z travel ({lim})"
                )
            } else {
                format!(
                    "{what} would move the stage to {axis} = {v:.3} mm with its FOVs, outside the {axis} travel ({lim})"
                )
            };
            let help = match (origin, axis) {
                (Origin::Wells(_), "z") | (_, "z") => {
                    "reduce the stack or offsets, or check the positions' z and the microscope's focus_z"
                }
                (Origin::Wells(_), _) => {
                    "check `plate.a1_position` (the calibration) and the well selection, or use fewer FOVs"
                }
                _ => {
                    "check the position's coordinates (in mm) against the microscope's stage travel"
                }
            };
            let d = match origin {
                Origin::Wells(loc) => Diagnostic::new(msg)
                    .at(Some(loc.clone()))
                    .path("plate.wells"),
                Origin::Position(path) => self.lp.err(&format!("{path}.{axis}"), msg),
                Origin::Csv(loc) => Diagnostic::new(msg).at(Some(loc.clone())),
            };
            self.errors.push(d.help(help));
        }
    }
}

#[cfg(test)]
mod tests;
