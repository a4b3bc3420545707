//! useq-schema's `MDASequence` as serde reads it from the located tree. useq's unions (a
//! z plan is ZRangeAround, ZAboveBelow, …) are written here as one struct with every
//! variant's keys, as pydantic tells them apart by the keys present; a value that useq takes
//! in several shapes (a channel as its name or its fields, an overlap as one number or two)
//! is a [`Shape`], which keeps the errors of the shape it was written in.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, IgnoredAny, IntoDeserializer, Visitor};

/// The keys a sequence may have, for "did you mean".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub axis_order: Option<Shape<String, Vec<String>, No>>,
    #[serde(default)]
    pub stage_positions: Option<Shape<No, Vec<PositionSpec>, WellPlatePlan>>,
    #[serde(default)]
    pub grid_plan: Option<GridPlan>,
    #[serde(default)]
    pub channels: Option<Vec<Shape<String, No, Channel>>>,
    #[serde(default)]
    pub time_plan: Option<TimePlan>,
    #[serde(default)]
    pub z_plan: Option<ZPlan>,
    #[serde(default)]
    pub autofocus_plan: Option<IgnoredAny>,
    #[serde(default)]
    pub keep_shutter_open_across: Option<Vec<String>>,
    /// useq's identity of the sequence: not needed to reproduce it.
    #[serde(default, rename = "uid")]
    _uid: Option<IgnoredAny>,
    #[serde(default)]
    pub setup: Option<IgnoredAny>,
}

impl Sequence {
    /// Leave out a top-level section (one that could only be typed in part), so no check
    /// reports what is merely missing from it.
    pub fn forget(&mut self, key: &str) {
        match key {
            "axis_order" => self.axis_order = None,
            "stage_positions" => self.stage_positions = None,
            "grid_plan" => self.grid_plan = None,
            "channels" => self.channels = None,
            "time_plan" => self.time_plan = None,
            "z_plan" => self.z_plan = None,
            _ => {}
        }
    }
}

/// A position as `[x, y(, z)]` or as its fields.
pub type PositionSpec = Shape<No, Vec<f64>, Position>;

/// useq's `Position` (other keys, e.g. a grid position's `row`, are pydantic's to ignore).
#[derive(Deserialize)]
pub struct Position {
    #[serde(default)]
    pub x: Option<f64>,
    #[serde(default)]
    pub y: Option<f64>,
    #[serde(default)]
    pub z: Option<f64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub sequence: Option<IgnoredAny>,
    #[serde(default)]
    pub properties: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    #[serde(default)]
    pub config: Option<String>,
    /// Micro-Manager's config group: squidctl's channels are named by config alone.
    #[serde(default, rename = "group")]
    _group: Option<String>,
    #[serde(default)]
    pub exposure: Option<f64>,
    #[serde(default)]
    pub do_stack: Option<bool>,
    #[serde(default)]
    pub z_offset: Option<f64>,
    #[serde(default)]
    pub acquire_every: Option<u32>,
    #[serde(default)]
    pub camera: Option<IgnoredAny>,
}

/// ZRangeAround (range, step), ZAboveBelow (above, below, step), ZTopBottom (top, bottom,
/// step), ZAbsolutePositions (absolute), ZRelativePositions (relative).
#[derive(Deserialize)]
pub struct ZPlan {
    #[serde(default)]
    pub go_up: Option<bool>,
    #[serde(default)]
    pub step: Option<f64>,
    #[serde(default)]
    pub range: Option<f64>,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub below: Option<f64>,
    #[serde(default)]
    pub top: Option<f64>,
    #[serde(default)]
    pub bottom: Option<f64>,
    #[serde(default)]
    pub absolute: Option<IgnoredAny>,
    #[serde(default)]
    pub relative: Option<Vec<f64>>,
}

/// TIntervalLoops, TDurationLoops, TIntervalDuration, or MultiPhaseTimePlan (phases).
#[derive(Deserialize)]
pub struct TimePlan {
    #[serde(default)]
    pub phases: Option<IgnoredAny>,
    #[serde(default)]
    pub interval: Option<Shape<Delta, No, No>>,
    #[serde(default)]
    pub duration: Option<Shape<Delta, No, No>>,
    #[serde(default)]
    pub loops: Option<u32>,
}

/// A time delta as pydantic reads one: seconds, or text (ISO 8601 or `HH:MM:SS`).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Delta {
    Seconds(f64),
    Text(String),
}

/// GridRowsColumns, GridFromEdges, GridWidthHeight, or RandomPoints (num_points); as a
/// well plate's points, also one RelativePosition (x, y).
#[derive(Deserialize)]
pub struct GridPlan {
    #[serde(default)]
    pub x: Option<f64>,
    #[serde(default)]
    pub y: Option<f64>,
    #[serde(default)]
    pub num_points: Option<IgnoredAny>,
    #[serde(default)]
    pub fov_width: Option<f64>,
    #[serde(default)]
    pub fov_height: Option<f64>,
    #[serde(default)]
    pub overlap: Option<Shape<f64, Vec<f64>, No>>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub relative_to: Option<String>,
    #[serde(default)]
    pub rows: Option<u32>,
    #[serde(default)]
    pub columns: Option<u32>,
    #[serde(default)]
    pub width: Option<f64>,
    #[serde(default)]
    pub height: Option<f64>,
    #[serde(default)]
    pub top: Option<f64>,
    #[serde(default)]
    pub left: Option<f64>,
    #[serde(default)]
    pub bottom: Option<f64>,
    #[serde(default)]
    pub right: Option<f64>,
}

impl GridPlan {
    /// A grid, as opposed to a well plate plan's one relative point.
    pub fn is_grid(&self) -> bool {
        self.rows.is_some() || self.width.is_some() || self.num_points.is_some()
    }
}

/// useq's `WellPlatePlan`: which wells of a plate, where A1 is, and the points in each.
#[derive(Deserialize)]
pub struct WellPlatePlan {
    #[serde(default)]
    pub plate: Option<Shape<PlateName, No, Plate>>,
    #[serde(default)]
    pub a1_center_xy: Option<Vec<f64>>,
    #[serde(default)]
    pub rotation: Option<f64>,
    #[serde(default)]
    pub selected_wells: Option<SelectedWells>,
    #[serde(default)]
    pub well_points_plan: Option<GridPlan>,
}

/// A numpy index into the plate's rows × columns: a row, rows, or `[[rows], [columns]]`.
pub type SelectedWells = Shape<u32, Vec<Shape<u32, Vec<u32>, No>>, No>;

/// A plate by its name (`96-well`) or its well count (`96`).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum PlateName {
    Count(u32),
    Name(String),
}

#[derive(Deserialize)]
pub struct Plate {
    #[serde(default)]
    pub rows: Option<u32>,
    #[serde(default)]
    pub columns: Option<u32>,
    #[serde(default)]
    pub well_spacing: Option<Shape<f64, Vec<f64>, No>>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A value useq takes as a scalar, a list or a mapping (whichever of the three are not
/// [`No`]), read in the shape it was written so its own errors say what is wrong.
pub enum Shape<S, L, M> {
    Scalar(S),
    List(L),
    Map(M),
}

impl Shape<f64, Vec<f64>, No> {
    /// One number for both axes, or two (x, y); `None` for a list of another length.
    pub fn pair(&self) -> Option<(f64, f64)> {
        match self {
            Shape::Scalar(v) => Some((*v, *v)),
            Shape::List(v) => match v.as_slice() {
                [x, y] => Some((*x, *y)),
                _ => None,
            },
            Shape::Map(no) => match *no {},
        }
    }
}

/// A shape useq does not take at that place.
pub enum No {}

impl<'de> Deserialize<'de> for No {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        // Never asked: a shape's visitor refuses a `No` shape with what it takes instead.
        Err(de::Error::custom("a shape useq does not take here"))
    }
}

struct ShapeVisitor<S, L, M>(PhantomData<(S, L, M)>);

fn is_no<T>() -> bool {
    std::any::type_name::<T>() == std::any::type_name::<No>()
}

impl<S, L, M> ShapeVisitor<S, L, M> {
    /// "expected a list or a mapping, found a number": the shapes this place takes.
    fn refuse<E: de::Error>(found: &str) -> E {
        let shapes: Vec<&str> = [
            (!is_no::<S>()).then_some("a value"),
            (!is_no::<L>()).then_some("a list"),
            (!is_no::<M>()).then_some("a mapping"),
        ]
        .into_iter()
        .flatten()
        .collect();
        E::custom(format!("expected {}, found {found}", shapes.join(" or ")))
    }
}

macro_rules! scalar {
    ($name:ident, $t:ty, $found:expr) => {
        fn $name<E: de::Error>(self, v: $t) -> Result<Self::Value, E> {
            if is_no::<S>() {
                return Err(Self::refuse(&$found(v)));
            }
            S::deserialize(v.into_deserializer()).map(Shape::Scalar)
        }
    };
}

impl<'de, S, L, M> Visitor<'de> for ShapeVisitor<S, L, M>
where
    S: Deserialize<'de>,
    L: Deserialize<'de>,
    M: Deserialize<'de>,
{
    type Value = Shape<S, L, M>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, a list or a mapping")
    }

    scalar!(visit_bool, bool, |v| format!("{v}"));
    scalar!(visit_i64, i64, |v| format!("the number {v}"));
    scalar!(visit_u64, u64, |v| format!("the number {v}"));
    scalar!(visit_f64, f64, |v| format!("the number {v}"));
    scalar!(visit_str, &str, |v| format!("the text \"{v}\""));

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if is_no::<L>() {
            return Err(Self::refuse("a list"));
        }
        L::deserialize(SeqAccessDeserializer::new(seq)).map(Shape::List)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        if is_no::<M>() {
            return Err(Self::refuse("a mapping"));
        }
        M::deserialize(MapAccessDeserializer::new(map)).map(Shape::Map)
    }
}

impl<'de, S, L, M> Deserialize<'de> for Shape<S, L, M>
where
    S: Deserialize<'de>,
    L: Deserialize<'de>,
    M: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData))
    }
}
