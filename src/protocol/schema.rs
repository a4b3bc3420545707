//! The protocol file (v1), as written by a biologist. Every key is documented in the README;
//! keep the two in step (a test checks that each key here appears there).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::units::{Duration, Length, Percent};

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    #[serde(default = "one")]
    pub version: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Free-form; copied into every run record.
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub plate: Option<PlateSpec>,
    #[serde(default)]
    pub positions: Option<PositionsSpec>,
    #[serde(default)]
    pub fov: FovSpec,
    #[serde(default)]
    pub z: ZSpec,
    pub channels: Vec<ChannelSpec>,
    #[serde(default)]
    pub time: TimeSpec,
    #[serde(default)]
    pub autofocus: AutofocusSpec,
    /// Focus measured at a few points before imaging and fitted as a surface that every
    /// field's z comes from.
    #[serde(default)]
    pub focus_map: Option<FocusMapSpec>,
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub on_error: OnError,
    #[serde(default)]
    pub output: OutputSpec,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlateSpec {
    /// A built-in SBS format: 6, 12, 24, 48, 96, 384 or 1536.
    #[serde(default)]
    pub format: Option<PlateFormat>,
    #[serde(default)]
    pub custom: Option<CustomPlate>,
    /// Stage position of the centre of A1 (the plate calibration).
    #[serde(default)]
    pub a1_position: Option<Point>,
    #[serde(default = "all_wells")]
    pub wells: WellList,
    #[serde(default)]
    pub order: WellOrder,
}

fn all_wells() -> WellList {
    WellList(vec!["all".into()])
}

/// Plate formats by well count; `96`, `"96"` and `96-well` all mean the same plate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlateFormat(pub u32);

impl<'de> Deserialize<'de> for PlateFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PlateFormat;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a plate format such as 96")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PlateFormat, E> {
                check_format(v.to_string().as_str())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PlateFormat, E> {
                check_format(v.to_string().as_str())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PlateFormat, E> {
                check_format(v)
            }
        }
        d.deserialize_any(V)
    }
}

pub const PLATE_FORMATS: [u32; 7] = [6, 12, 24, 48, 96, 384, 1536];

fn check_format<E: de::Error>(s: &str) -> Result<PlateFormat, E> {
    let t = s.trim().to_ascii_lowercase();
    let t = t
        .trim_end_matches("-well")
        .trim_end_matches(" well")
        .trim_end_matches("well");
    match t.trim().parse::<u32>() {
        Ok(n) if PLATE_FORMATS.contains(&n) => Ok(PlateFormat(n)),
        _ => Err(E::custom(format!(
            "unknown plate format `{s}`\nhelp: use one of 6, 12, 24, 48, 96, 384, 1536, or describe the plate under `plate.custom`"
        ))),
    }
}

impl Serialize for PlateFormat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomPlate {
    pub rows: u32,
    pub columns: u32,
    /// Centre-to-centre distance; `spacing_x`/`spacing_y` when they differ.
    #[serde(default)]
    pub spacing: Option<Length>,
    #[serde(default)]
    pub spacing_x: Option<Length>,
    #[serde(default)]
    pub spacing_y: Option<Length>,
    /// Diameter of a round well, side of a square one.
    pub well_size: Length,
    #[serde(default)]
    pub well_shape: WellShape,
    /// Centre of A1 measured from the plate's top-left corner.
    pub a1_offset: Point,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WellShape {
    #[default]
    Round,
    Square,
}

/// A stage or offset point; `z` only where it means something (positions).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub x: Length,
    pub y: Length,
}

/// `"A1:H12, C3"`, or a list of such strings.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(transparent)]
pub struct WellList(pub Vec<String>);

impl<'de> Deserialize<'de> for WellList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WellList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("wells such as \"A1:H12, C3\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WellList, E> {
                Ok(WellList(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<WellList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = a.next_element::<String>()? {
                    out.push(s);
                }
                Ok(WellList(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WellOrder {
    /// Row A left to right, row B right to left, …: the shortest stage path.
    #[default]
    Serpentine,
    RowWise,
}

/// Explicit positions, or the path of a CSV of them (relative to the protocol file).
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum PositionsSpec {
    List(Vec<PositionSpec>),
    Csv(String),
}

impl<'de> Deserialize<'de> for PositionsSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PositionsSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of positions or the path of a CSV file")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PositionsSpec, E> {
                Ok(PositionsSpec::Csv(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<PositionsSpec, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = a.next_element::<PositionSpec>()? {
                    out.push(p);
                }
                Ok(PositionsSpec::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PositionSpec {
    pub name: String,
    pub x: Length,
    pub y: Length,
    #[serde(default)]
    pub z: Option<Length>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FovSpec {
    #[serde(default)]
    pub grid: Option<GridSpec>,
    #[serde(default)]
    pub fill: Option<FillSpec>,
    #[serde(default)]
    pub offsets: Option<Vec<Point>>,
    #[serde(default)]
    pub overlap: Percent,
    #[serde(default)]
    pub order: GridOrder,
}

/// `{rows: 3, columns: 4}` or the shorthand `3x4` (rows × columns).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct GridSpec {
    pub rows: u32,
    pub columns: u32,
}

impl<'de> Deserialize<'de> for GridSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GridSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a grid such as `3x3` or {rows: 3, columns: 3}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GridSpec, E> {
                let parsed = v
                    .split_once(['x', 'X', '×'])
                    .and_then(|(r, c)| Some((r.trim().parse().ok()?, c.trim().parse().ok()?)));
                match parsed {
                    Some((rows, columns)) => Ok(GridSpec { rows, columns }),
                    None => Err(E::custom(format!(
                        "cannot read `{v}` as a grid\nhelp: write rows x columns, e.g. `3x3`, or {{rows: 3, columns: 3}}"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<GridSpec, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct G {
                    rows: u32,
                    columns: u32,
                }
                let g = G::deserialize(de::value::MapAccessDeserializer::new(a))?;
                Ok(GridSpec {
                    rows: g.rows,
                    columns: g.columns,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Tile the scan area with as many FOVs as fit.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FillSpec {
    /// `well` (the well's own shape and size), `round` or `square`.
    #[serde(default)]
    pub shape: FillShape,
    /// Diameter or side of the scan area; defaults to the well size.
    #[serde(default)]
    pub size: Option<Length>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FillShape {
    #[default]
    Well,
    Round,
    Square,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum GridOrder {
    #[default]
    Snake,
    Raster,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZSpec {
    /// Total height of the stack (first to last plane).
    #[serde(default)]
    pub range: Option<Length>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub step: Option<Length>,
    #[serde(default)]
    pub from: ZFrom,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ZFrom {
    /// The focus plane is the bottom of the stack (Squid's default).
    #[default]
    Bottom,
    Center,
    Top,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    pub name: String,
    pub exposure: Duration,
    pub intensity: Percent,
    #[serde(default)]
    pub gain: Option<f64>,
    #[serde(default)]
    pub z_offset: Length,
    /// Acquire this channel only at every Nth time point (0, N, 2N, …).
    #[serde(default = "one")]
    pub acquire_every: u32,
    /// `false`: one plane at the focus instead of the whole stack.
    #[serde(default = "yes")]
    pub do_stack: bool,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// Start-to-start interval between time points.
    #[serde(default)]
    pub every: Option<Duration>,
    #[serde(default)]
    pub count: Option<u32>,
    /// Total duration; the number of time points is `for / every + 1`.
    #[serde(default, rename = "for")]
    pub for_: Option<Duration>,
    #[serde(default)]
    pub overrun: Overrun,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Overrun {
    /// Start the next time point as soon as the late one ends, and record the lateness.
    #[default]
    RunLate,
    /// Skip time points whose start has passed, and record each skipped one.
    Skip,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutofocusSpec {
    #[serde(default)]
    pub method: AfMethod,
    #[serde(default)]
    pub every: AfEvery,
    #[serde(default)]
    pub timepoints: AfTimepoints,
    /// Total search range, centred on the current focus.
    #[serde(default)]
    pub range: Option<Length>,
    #[serde(default)]
    pub step: Option<Length>,
    /// The channel contrast autofocus images with (default: the first channel).
    #[serde(default)]
    pub channel: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FocusMapSpec {
    /// How many points, spread over the imaged wells, or the wells to measure at.
    pub points: FocusPoints,
    #[serde(default)]
    pub surface: SurfaceKind,
    /// A point further than this from the fitted surface fails the plate before imaging.
    #[serde(default)]
    pub max_residual: Option<Length>,
    /// Measure the map again every this many time points (0: once, before the first).
    #[serde(default)]
    pub every: u32,
    /// The autofocus that measures each point (default: the protocol's autofocus method,
    /// else the microscope's laser autofocus, else contrast).
    #[serde(default)]
    pub method: Option<AfMethod>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SurfaceKind {
    /// z = a + b·x + c·y: a tilted plate.
    #[default]
    Plane,
    /// Adds x², x·y and y²: a plate that also bows or sags.
    Quadratic,
    /// z = a + b·x + c·y + d·x·y within each well, from its four corners (`points: corners`):
    /// wells whose bottoms are not one surface.
    Bilinear,
}

impl SurfaceKind {
    pub fn terms(self) -> usize {
        match self {
            SurfaceKind::Plane => 3,
            SurfaceKind::Quadratic => 6,
            SurfaceKind::Bilinear => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SurfaceKind::Plane => "plane",
            SurfaceKind::Quadratic => "quadratic",
            SurfaceKind::Bilinear => "bilinear surface per well",
        }
    }
}

/// A number of points, a grid of rows × columns over the imaged wells, or the wells to
/// measure at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FocusPoints {
    Count(u32),
    Grid(u32, u32),
    /// The four corners of every imaged well's fields.
    Corners,
    Wells(Vec<String>),
}

impl<'de> Deserialize<'de> for FocusPoints {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FocusPoints;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of points, `grid RxC`, `corners` or a list of wells")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FocusPoints, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|n| *n >= 1)
                    .map(FocusPoints::Count)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "`{v}` is not a number of points\nhelp: e.g. `points: 9`, or a list of wells: `points: [A1, A12, H1, H12, D6]`"
                        ))
                    })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FocusPoints, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FocusPoints, E> {
                if v.trim() == "corners" {
                    return Ok(FocusPoints::Corners);
                }
                if let Some(g) = v.trim().strip_prefix("grid") {
                    let rc = g
                        .trim()
                        .split_once(['x', '×'])
                        .and_then(|(r, c)| {
                            Some((r.trim().parse::<u32>().ok()?, c.trim().parse::<u32>().ok()?))
                        })
                        .filter(|(r, c)| *r >= 1 && *c >= 1 && r * c <= 10_000);
                    return rc.map(|(r, c)| FocusPoints::Grid(r, c)).ok_or_else(|| {
                        E::custom(format!(
                            "`{v}` is not a grid of points\nhelp: write rows x columns, e.g. `points: grid 3x4`"
                        ))
                    });
                }
                match v.trim().parse::<i64>() {
                    Ok(n) => self.visit_i64(n),
                    Err(_) => Ok(FocusPoints::Wells(
                        v.split(',').map(|w| w.trim().to_string()).collect(),
                    )),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FocusPoints, A::Error> {
                let mut wells = Vec::new();
                while let Some(w) = seq.next_element::<String>()? {
                    wells.push(w);
                }
                Ok(FocusPoints::Wells(wells))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for FocusPoints {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FocusPoints::Count(n) => s.serialize_u32(*n),
            FocusPoints::Grid(r, c) => s.serialize_str(&format!("grid {r}x{c}")),
            FocusPoints::Corners => s.serialize_str("corners"),
            FocusPoints::Wells(w) => w.serialize(s),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AfMethod {
    #[default]
    None,
    Contrast,
    Laser,
}

/// `fov`, `well`, or a number N: every Nth field of view of a time point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AfEvery {
    Fov,
    #[default]
    Well,
    Fovs(u32),
}

impl<'de> Deserialize<'de> for AfEvery {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AfEvery;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`fov`, `well` or a number of FOVs")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AfEvery, E> {
                match u32::try_from(v) {
                    Ok(n) if n >= 1 => Ok(AfEvery::Fovs(n)),
                    _ => Err(E::custom(format!(
                        "`{v}` is not a valid FOV count\nhelp: use a whole number of 1 or more, `fov` or `well`"
                    ))),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AfEvery, E> {
                match v.trim() {
                    "fov" | "FOV" => Ok(AfEvery::Fov),
                    "well" | "position" => Ok(AfEvery::Well),
                    other => match other.parse::<i64>() {
                        Ok(n) => self.visit_i64(n),
                        Err(_) => Err(E::custom(format!(
                            "unknown value `{other}`\nhelp: {}",
                            crate::suggest::did_you_mean(other, ["fov", "well"])
                        ))),
                    },
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for AfEvery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AfEvery::Fov => s.serialize_str("fov"),
            AfEvery::Well => s.serialize_str("well"),
            AfEvery::Fovs(n) => s.serialize_u32(*n),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AfTimepoints {
    #[default]
    All,
    First,
}

/// The nesting of the acquisition loops, outermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Axis {
    Time,
    Well,
    Fov,
    Z,
    Channel,
}

impl Axis {
    pub const ALL: [Axis; 5] = [Axis::Time, Axis::Well, Axis::Fov, Axis::Z, Axis::Channel];

    pub fn letter(self) -> char {
        match self {
            Axis::Time => 't',
            Axis::Well => 'p',
            Axis::Fov => 'g',
            Axis::Z => 'z',
            Axis::Channel => 'c',
        }
    }

    fn parse(s: &str) -> Option<Axis> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "t" | "time" => Axis::Time,
            "p" | "well" | "position" | "region" => Axis::Well,
            "g" | "fov" | "grid" => Axis::Fov,
            "z" => Axis::Z,
            "c" | "channel" => Axis::Channel,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order(pub [Axis; 5]);

impl Default for Order {
    /// Squid's order: time → well → fov → z → channel.
    fn default() -> Self {
        Order(Axis::ALL)
    }
}

impl Serialize for Order {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for Order {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Order;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a loop order such as [time, well, fov, z, channel] or `tpgzc`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Order, E> {
                let parts: Vec<String> = if v.contains([',', ' ', '>']) {
                    v.split([',', ' ', '>', '-'])
                        .filter(|s| !s.trim().is_empty())
                        .map(str::to_string)
                        .collect()
                } else {
                    v.chars().map(String::from).collect()
                };
                build_order(&parts)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Order, A::Error> {
                let mut parts = Vec::new();
                while let Some(s) = a.next_element::<String>()? {
                    parts.push(s);
                }
                build_order(&parts)
            }
        }
        d.deserialize_any(V)
    }
}

fn build_order<E: de::Error>(parts: &[String]) -> Result<Order, E> {
    const HELP: &str = "help: name each of time, well, fov, z, channel once (or the letters t, p, g, z, c), outermost first";
    let mut out = Vec::new();
    for p in parts {
        match Axis::parse(p) {
            Some(a) if out.contains(&a) => {
                return Err(E::custom(format!(
                    "`{p}` appears twice in the order\n{HELP}"
                )));
            }
            Some(a) => out.push(a),
            None => {
                return Err(E::custom(format!(
                    "unknown loop `{p}` in the order\n{HELP}"
                )));
            }
        }
    }
    match <[Axis; 5]>::try_from(out) {
        Ok(a) => Ok(Order(a)),
        Err(v) => {
            let missing: Vec<String> = Axis::ALL
                .iter()
                .filter(|a| !v.contains(a))
                .map(|a| format!("{a:?}").to_lowercase())
                .collect();
            Err(E::custom(format!(
                "the order lacks {}\n{HELP}",
                missing.join(", ")
            )))
        }
    }
}

/// Per-step deadlines. Unset means "derived from the work" (see the runner).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    #[serde(default)]
    pub move_xy: Option<Duration>,
    #[serde(default)]
    pub move_z: Option<Duration>,
    #[serde(default)]
    pub capture: Option<Duration>,
    #[serde(default)]
    pub illumination: Option<Duration>,
    #[serde(default)]
    pub autofocus: Option<Duration>,
    #[serde(default)]
    pub save: Option<Duration>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OnError {
    #[serde(default = "two")]
    pub retries: u32,
    #[serde(default = "half_second")]
    pub backoff: Duration,
    #[serde(default)]
    pub then: ErrorAction,
    /// A stage controller that restarted (and so lost its homing) is connected and homed
    /// again, and the run goes on; off, the run stops at once (`resume` re-homes).
    #[serde(default)]
    pub rehome: bool,
}

fn two() -> u32 {
    2
}

fn half_second() -> Duration {
    Duration(500_000_000)
}

impl Default for OnError {
    fn default() -> Self {
        OnError {
            retries: two(),
            backoff: half_second(),
            then: ErrorAction::default(),
            rehome: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorAction {
    /// Record the field of view as skipped and go on with the next one.
    #[default]
    SkipFov,
    Abort,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Parent folder of run directories; a template.
    #[serde(default = "default_dir")]
    pub directory: String,
    /// Name of the run directory; a template.
    #[serde(default = "default_run_name")]
    pub run_name: String,
    #[serde(default)]
    pub format: ImageFormat,
    #[serde(default)]
    pub compression: Compression,
    /// What one OME-TIFF file holds: one channel's z stack, or all channels of a FOV.
    #[serde(default)]
    pub grouping: Grouping,
    /// `auto`: BigTIFF whenever a file could pass 4 GiB; `always`: every file.
    #[serde(default)]
    pub bigtiff: BigTiff,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Grouping {
    #[default]
    Channel,
    Fov,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BigTiff {
    #[default]
    Auto,
    Always,
}

fn default_dir() -> String {
    "squidctl-runs".into()
}

fn default_run_name() -> String {
    "{name}_{date}_{time}".into()
}

impl Default for OutputSpec {
    fn default() -> Self {
        OutputSpec {
            directory: default_dir(),
            run_name: default_run_name(),
            format: ImageFormat::default(),
            compression: Compression::default(),
            grouping: Grouping::default(),
            bigtiff: BigTiff::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFormat {
    #[default]
    OmeTiff,
    Tiff,
    OmeZarr,
}

impl ImageFormat {
    /// The name people know the format by.
    pub fn label(self) -> &'static str {
        match self {
            ImageFormat::OmeTiff => "OME-TIFF",
            ImageFormat::Tiff => "TIFF",
            ImageFormat::OmeZarr => "OME-Zarr",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    #[default]
    None,
    Deflate,
    Lzw,
    /// TIFF code 50000 (libtiff, tifffile; not Fiji's or Bio-Formats' TIFF readers), or
    /// Zarr's zstd codec.
    Zstd,
}
