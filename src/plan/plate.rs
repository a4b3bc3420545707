//! Plate geometry: where each well's centre is, from the SBS footprint or a custom plate.

use crate::microscope::plate_calibration::Placement;
use crate::protocol::schema::{CustomPlate, WellShape};

use super::wells::Well;

/// Geometry in plate coordinates (mm from the plate's top-left corner; x along a row,
/// y down the columns towards the last row).
#[derive(Clone, Debug, PartialEq)]
pub struct PlateGeometry {
    pub label: String,
    pub rows: u32,
    pub cols: u32,
    pub spacing_x_mm: f64,
    pub spacing_y_mm: f64,
    /// Diameter of a round well, side of a square one.
    pub well_size_mm: f64,
    pub shape: WellShape,
    /// Centre of A1 from the plate corner.
    pub a1_x_mm: f64,
    pub a1_y_mm: f64,
}

impl PlateGeometry {
    /// Built-in formats. 96/384/1536 follow ANSI/SLAS 4-2004 (well positions); 6–48 follow
    /// the common (Corning) layouts. Well sizes are nominal well-bottom dimensions; calibrate
    /// with `plate.a1_position` on a real instrument.
    pub fn sbs(wells: u32) -> Option<PlateGeometry> {
        let (rows, cols, pitch, size, shape, a1x, a1y) = match wells {
            6 => (2, 3, 39.12, 34.8, WellShape::Round, 24.94, 23.16),
            12 => (3, 4, 26.01, 22.1, WellShape::Round, 24.94, 16.79),
            24 => (4, 6, 19.30, 15.6, WellShape::Round, 17.46, 13.84),
            48 => (6, 8, 13.08, 11.0, WellShape::Round, 18.16, 10.08),
            96 => (8, 12, 9.0, 6.4, WellShape::Round, 14.38, 11.24),
            384 => (16, 24, 4.5, 3.3, WellShape::Square, 12.13, 8.99),
            1536 => (32, 48, 2.25, 1.53, WellShape::Square, 11.005, 7.865),
            _ => return None,
        };
        Some(PlateGeometry {
            label: format!("{wells}-well"),
            rows,
            cols,
            spacing_x_mm: pitch,
            spacing_y_mm: pitch,
            well_size_mm: size,
            shape,
            a1_x_mm: a1x,
            a1_y_mm: a1y,
        })
    }

    pub fn custom(c: &CustomPlate) -> PlateGeometry {
        let sx = c.spacing_x.or(c.spacing).map_or(0.0, |l| l.mm());
        let sy = c.spacing_y.or(c.spacing).map_or(0.0, |l| l.mm());
        PlateGeometry {
            label: format!("custom {}×{}", c.rows, c.columns),
            rows: c.rows,
            cols: c.columns,
            spacing_x_mm: sx,
            spacing_y_mm: sy,
            well_size_mm: c.well_size.mm(),
            shape: c.well_shape,
            a1_x_mm: c.a1_offset.x.mm(),
            a1_y_mm: c.a1_offset.y.mm(),
        }
    }

    /// A well's centre on the plate, in mm from A1's centre.
    pub fn from_a1(&self, w: Well) -> (f64, f64) {
        (
            w.col as f64 * self.spacing_x_mm,
            w.row as f64 * self.spacing_y_mm,
        )
    }

    /// Where the holder should put the plate: its `plate_origin` plus the format's A1.
    pub fn nominal(&self, plate_origin: &crate::microscope::description::XY) -> Placement {
        Placement::at((
            plate_origin.x.mm() + self.a1_x_mm,
            plate_origin.y.mm() + self.a1_y_mm,
        ))
    }

    /// Stage position of a well's centre on a plate placed so.
    pub fn well_centre(&self, w: Well, at: &Placement) -> (f64, f64) {
        at.to_stage(self.from_a1(w))
    }
}

/// Where a plan put the plate, and on whose word: a run's record says which calibration its
/// wells came from.
#[derive(Clone, Debug, PartialEq)]
pub struct PlatePlacement {
    pub placement: Placement,
    pub source: PlacementSource,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlacementSource {
    /// The protocol's `plate.a1_position`.
    Protocol,
    /// `calibrate-plate`'s result for this format.
    Calibration {
        file: String,
        calibrated: String,
        rms_um: f64,
    },
    /// The holder's `plate_origin` plus the format's nominal A1: nobody measured it.
    Nominal,
}

/// The protocol's A1 (`a1`, stage mm) if it gives one, else this format's calibration on
/// this microscope, else the holder's nominal position.
pub fn place(
    m: &crate::microscope::MicroscopeConfig,
    geom: &PlateGeometry,
    a1: Option<(f64, f64)>,
) -> PlatePlacement {
    if let Some(a1) = a1 {
        return PlatePlacement {
            placement: Placement::at(a1),
            source: PlacementSource::Protocol,
        };
    }
    if let Some(c) = m.plates.of(&geom.label) {
        return PlatePlacement {
            placement: c.placement(),
            source: PlacementSource::Calibration {
                file: m
                    .plates_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                calibrated: c.calibrated.clone(),
                rms_um: c.rms_um,
            },
        };
    }
    PlatePlacement {
        placement: geom.nominal(&m.desc.stage.plate_origin),
        source: PlacementSource::Nominal,
    }
}

impl PlatePlacement {
    /// One line for people: what placed the plate.
    pub fn describe(&self) -> String {
        let p = &self.placement;
        let at = format!("A1 at ({:.3}, {:.3}) mm", p.a1_mm.0, p.a1_mm.1);
        match &self.source {
            PlacementSource::Protocol => format!("{at}, from the protocol's a1_position"),
            PlacementSource::Calibration {
                file,
                calibrated,
                rms_um,
            } => format!(
                "{at}, rotated {:+.3}°, scale {:.5}: calibration of {calibrated} ({file}, RMS {rms_um:.1} µm)",
                p.rotation_deg, p.scale
            ),
            PlacementSource::Nominal => {
                format!("{at}, nominal (not calibrated: `squidctl calibrate-plate`)")
            }
        }
    }

    /// The record a run keeps of it.
    pub fn to_json(&self) -> serde_json::Value {
        let p = &self.placement;
        let mut v = serde_json::json!({
            "a1_mm": [p.a1_mm.0, p.a1_mm.1],
            "rotation_deg": p.rotation_deg,
            "scale": p.scale,
        });
        let source = match &self.source {
            PlacementSource::Protocol => serde_json::json!({"from": "protocol"}),
            PlacementSource::Nominal => serde_json::json!({"from": "nominal"}),
            PlacementSource::Calibration {
                file,
                calibrated,
                rms_um,
            } => serde_json::json!({
                "from": "calibration", "file": file, "calibrated": calibrated, "rms_um": rms_um,
            }),
        };
        if let (Some(m), serde_json::Value::Object(s)) = (v.as_object_mut(), source) {
            m.extend(s);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::wells::parse_well;

    #[test]
    fn h12_is_99mm_right_and_63mm_below_a1() {
        let p = PlateGeometry::sbs(96).expect("96");
        let h12 = parse_well("H12").expect("well");
        let (x, y) = p.well_centre(h12, &Placement::at((10.0, 20.0)));
        assert!((x - 10.0 - 99.0).abs() < 1e-9 && (y - 20.0 - 63.0).abs() < 1e-9);
    }

    #[test]
    fn every_format_fits_the_sbs_footprint() {
        for n in crate::protocol::schema::PLATE_FORMATS {
            let p = PlateGeometry::sbs(n).expect("format");
            assert_eq!(p.rows * p.cols, n);
            let last_x = p.a1_x_mm + (p.cols - 1) as f64 * p.spacing_x_mm + p.well_size_mm / 2.0;
            let last_y = p.a1_y_mm + (p.rows - 1) as f64 * p.spacing_y_mm + p.well_size_mm / 2.0;
            assert!(last_x < 127.76 && last_y < 85.48, "{n}: {last_x} {last_y}");
        }
    }

    #[test]
    fn af48_exists_on_1536() {
        let p = PlateGeometry::sbs(1536).expect("1536");
        let w = parse_well("AF48").expect("well");
        assert!(w.row < p.rows && w.col < p.cols);
        let (x, y) = p.well_centre(w, &Placement::at((p.a1_x_mm, p.a1_y_mm)));
        assert!((x - (11.005 + 47.0 * 2.25)).abs() < 1e-9);
        assert!((y - (7.865 + 31.0 * 2.25)).abs() < 1e-9);
    }
}
