//! The simulated plate: where its wells truly are (offset, rotated and scaled as a real
//! plate sits in its holder) and what the camera sees at a well's wall, so plate calibration
//! can be proven against a truth the plan does not know.

use rayon::prelude::*;

use crate::microscope::plate_calibration::Placement;
use crate::plan::plate::PlateGeometry;
use crate::protocol::schema::WellShape;

/// Light that reaches the sensor through the wall and the plastic between wells.
const WALL: f32 = 0.15;

#[derive(Clone, Debug)]
pub struct SimPlate {
    pub geometry: PlateGeometry,
    pub at: Placement,
    /// Sample-plane size of one sensor pixel (mm) and the sensor's size (px): where each
    /// pixel of a frame lies on the plate.
    pub pixel_mm: f64,
    pub sensor: (u32, u32),
}

/// Where a point lies on the plate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OnPlate {
    pub row: u32,
    pub col: u32,
    /// Offset from that well's true centre, in stage axes (mm).
    pub offset_mm: (f64, f64),
    pub inside: bool,
}

impl SimPlate {
    /// The well nearest the stage position `p` and whether `p` is inside it.
    pub fn locate(&self, p: (f64, f64)) -> OnPlate {
        let g = &self.geometry;
        let d = self.at.to_plate(p);
        let idx = |v: f64, pitch: f64, n: u32| -> (u32, f64) {
            let i = if pitch > 0.0 {
                (v / pitch)
                    .round()
                    .clamp(0.0, f64::from(n.saturating_sub(1)))
            } else {
                0.0
            };
            (i as u32, v - i * pitch)
        };
        let (col, ux) = idx(d.0, g.spacing_x_mm, g.cols);
        let (row, uy) = idx(d.1, g.spacing_y_mm, g.rows);
        let r = g.well_size_mm / 2.0;
        let inside = match g.shape {
            WellShape::Round => ux * ux + uy * uy <= r * r,
            _ => ux.abs() <= r && uy.abs() <= r,
        };
        let centre = self.at.to_stage((
            f64::from(col) * g.spacing_x_mm,
            f64::from(row) * g.spacing_y_mm,
        ));
        OnPlate {
            row,
            col,
            offset_mm: (p.0 - centre.0, p.1 - centre.1),
            inside,
        }
    }

    /// Stage position of a frame's pixel (column, row of the binned frame).
    fn pixel_at(
        &self,
        centre: (f64, f64),
        roi: (u32, u32),
        bin: u32,
        c: usize,
        r: usize,
    ) -> (f64, f64) {
        let b = f64::from(bin.max(1));
        let sx = f64::from(roi.0) + (c as f64 + 0.5) * b - f64::from(self.sensor.0) / 2.0;
        let sy = f64::from(roi.1) + (r as f64 + 0.5) * b - f64::from(self.sensor.1) / 2.0;
        (centre.0 + sx * self.pixel_mm, centre.1 + sy * self.pixel_mm)
    }

    /// Dim what of a rendered frame falls outside the wells, towards the dark level.
    pub fn shade_walls(
        &self,
        centre: (f64, f64),
        roi: (u32, u32, u32, u32),
        bin: u32,
        dark: f32,
        out: &mut [u16],
    ) {
        let b = bin.max(1);
        let (w, h) = ((roi.2 / b) as usize, (roi.3 / b) as usize);
        if w == 0 || h == 0 || out.len() != w * h {
            return;
        }
        let origin = (roi.0, roi.1);
        let corners = [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)]
            .map(|(c, r)| self.locate(self.pixel_at(centre, origin, b, c, r)));
        // Wells are convex: four corners inside one well put the whole frame inside it.
        if corners
            .iter()
            .all(|o| o.inside && (o.row, o.col) == (corners[0].row, corners[0].col))
        {
            return;
        }
        out.par_chunks_mut(w).enumerate().for_each(|(r, row)| {
            for (c, px) in row.iter_mut().enumerate() {
                if !self.locate(self.pixel_at(centre, origin, b, c, r)).inside {
                    let v = f32::from(*px);
                    *px = (dark + (v - dark).max(0.0) * WALL) as u16;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plate() -> SimPlate {
        SimPlate {
            geometry: PlateGeometry::sbs(96).expect("96"),
            at: Placement {
                a1_mm: (15.0, 11.0),
                rotation_deg: 0.5,
                scale: 1.0,
            },
            pixel_mm: 0.01,
            sensor: (100, 100),
        }
    }

    #[test]
    fn a_well_is_found_where_the_placement_puts_it() {
        let p = plate();
        let h12 = p.at.to_stage((99.0, 63.0));
        let o = p.locate((h12.0 + 0.001, h12.1));
        assert_eq!((o.row, o.col, o.inside), (7, 11, true));
        assert!((o.offset_mm.0 - 0.001).abs() < 1e-9 && o.offset_mm.1.abs() < 1e-9);
        // Between wells: outside.
        assert!(!p.locate(p.at.to_stage((4.5, 0.0))).inside);
    }

    #[test]
    fn only_what_lies_outside_the_well_is_dimmed() {
        let p = plate();
        // A 1 mm frame centred on A1's right edge (3.2 mm out): its left half is in the well.
        let edge = p.at.to_stage((3.2, 0.0));
        let mut px = vec![1100u16; 100 * 100];
        p.shade_walls(edge, (0, 0, 100, 100), 1, 100.0, &mut px);
        let row = &px[50 * 100..51 * 100];
        assert_eq!(row[10], 1100);
        assert_eq!(row[90], 250);
        let mut inside = vec![1100u16; 100 * 100];
        p.shade_walls((15.0, 11.0), (0, 0, 100, 100), 1, 100.0, &mut inside);
        assert!(inside.iter().all(|v| *v == 1100));
    }
}
