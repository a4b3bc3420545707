//! Where a plate really sits on this stage: the A1 centre, rotation and scale that
//! `squidctl calibrate-plate` measured, stored beside the microscope description so every
//! plan of that plate format places its wells from it instead of trusting the holder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A point on the plate (mm from A1's centre) and where it was found on the stage (mm).
pub type Pair = ((f64, f64), (f64, f64));

/// A similarity transform from plate coordinates (mm from A1's centre, x along a row, y down
/// the columns) to stage coordinates: the holder's offset, the plate's twist in it and the
/// scale of the stage's steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// Stage position of A1's centre (mm).
    pub a1_mm: (f64, f64),
    pub rotation_deg: f64,
    pub scale: f64,
}

impl Placement {
    /// A1 at `a1_mm`, square to the stage, at nominal scale.
    pub fn at(a1_mm: (f64, f64)) -> Placement {
        Placement {
            a1_mm,
            rotation_deg: 0.0,
            scale: 1.0,
        }
    }

    /// Stage position of the point `d` mm from A1's centre on the plate.
    pub fn to_stage(&self, d: (f64, f64)) -> (f64, f64) {
        let (s, c) = self.rotation_deg.to_radians().sin_cos();
        let k = self.scale;
        (
            self.a1_mm.0 + k * (c * d.0 - s * d.1),
            self.a1_mm.1 + k * (s * d.0 + c * d.1),
        )
    }

    /// The plate point (mm from A1's centre) under the stage position `p`.
    pub fn to_plate(&self, p: (f64, f64)) -> (f64, f64) {
        let (s, c) = self.rotation_deg.to_radians().sin_cos();
        let k = if self.scale.abs() > 1e-12 {
            self.scale
        } else {
            1.0
        };
        let (dx, dy) = (p.0 - self.a1_mm.0, p.1 - self.a1_mm.1);
        ((c * dx + s * dy) / k, (-s * dx + c * dy) / k)
    }

    /// The least-squares similarity fit of `(plate, stage)` pairs (Umeyama's closed form in
    /// 2-D). One pair fixes the offset only; two or more also the rotation and scale.
    pub fn fit(pairs: &[Pair]) -> Option<Placement> {
        let n = pairs.len() as f64;
        let (first_d, first_p) = *pairs.first()?;
        if pairs.len() == 1 {
            return Some(Placement::at((
                first_p.0 - first_d.0,
                first_p.1 - first_d.1,
            )));
        }
        let mean = |f: fn(&Pair) -> f64| pairs.iter().map(f).sum::<f64>() / n;
        let (dx, dy) = (mean(|q| q.0.0), mean(|q| q.0.1));
        let (px, py) = (mean(|q| q.1.0), mean(|q| q.1.1));
        let (mut a, mut b, mut dd) = (0.0, 0.0, 0.0);
        for ((u, v), (x, y)) in pairs {
            let (u, v, x, y) = (u - dx, v - dy, x - px, y - py);
            a += u * x + v * y;
            b += u * y - v * x;
            dd += u * u + v * v;
        }
        if dd <= 1e-12 {
            return None;
        }
        let theta = b.atan2(a);
        let scale = (a * a + b * b).sqrt() / dd;
        let (s, c) = theta.sin_cos();
        let a1 = (
            px - scale * (c * dx - s * dy),
            py - scale * (s * dx + c * dy),
        );
        Some(Placement {
            a1_mm: a1,
            rotation_deg: theta.to_degrees(),
            scale,
        })
    }
}

/// One reference well: where the plate's nominal geometry put it, where it was found, and
/// how far the fitted placement misses it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceWell {
    pub well: String,
    /// Found stage position of its centre (mm).
    pub found: [f64; 2],
    pub residual_um: f64,
}

/// The calibration of one plate format on this microscope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlateCalibration {
    /// The plate's label as plans name it (`96-well`, `custom 8×12`).
    pub plate: String,
    /// Stage position of A1's centre (mm).
    pub a1: [f64; 2],
    pub rotation_deg: f64,
    pub scale: f64,
    /// RMS of the reference wells' residuals (0 with two wells: they fix the fit exactly).
    pub rms_um: f64,
    /// `edges` (found in bright field) or `given` (positions the user jogged to).
    pub method: String,
    /// When it was measured (RFC 3339), so a plan can say which calibration it used.
    pub calibrated: String,
    pub wells: Vec<ReferenceWell>,
}

impl PlateCalibration {
    pub fn placement(&self) -> Placement {
        Placement {
            a1_mm: (self.a1[0], self.a1[1]),
            rotation_deg: self.rotation_deg,
            scale: self.scale,
        }
    }
}

/// Every plate format calibrated on one microscope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlateCalibrations {
    #[serde(default)]
    pub plates: Vec<PlateCalibration>,
}

impl PlateCalibrations {
    pub fn of(&self, plate: &str) -> Option<&PlateCalibration> {
        self.plates.iter().find(|c| c.plate == plate)
    }

    /// Replace the format's calibration (or add it), keeping the others.
    pub fn put(&mut self, c: PlateCalibration) {
        self.plates.retain(|p| p.plate != c.plate);
        self.plates.push(c);
        self.plates.sort_by(|a, b| a.plate.cmp(&b.plate));
    }

    /// The file's text: what `save` writes, and a run keeps as its copy.
    pub fn to_text(&self) -> std::io::Result<String> {
        let mut text = serde_saphyr::to_string(self).map_err(std::io::Error::other)?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(format!(
            "# Written by `squidctl calibrate-plate`: where each plate format sits on this stage.\n{text}"
        ))
    }

    /// Written atomically, so a crash never leaves half a calibration.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::fsutil::write_atomic(path, self.to_text()?.as_bytes())
    }
}

/// The calibration file of the description at `source` (a file path): the description's
/// `plate_calibration:` key, relative to it, or `<stem>.plates.yaml` beside it.
pub fn path_beside(source: &Path, named: Option<&str>) -> PathBuf {
    let dir = source.parent().unwrap_or_else(|| Path::new(""));
    match named {
        Some(n) if Path::new(n).is_absolute() => PathBuf::from(n),
        Some(n) => dir.join(n),
        None => {
            let stem = source
                .file_stem()
                .map_or_else(|| "microscope".into(), |s| s.to_string_lossy().into_owned());
            dir.join(format!("{stem}.plates.yaml"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn a_fit_recovers_offset_rotation_and_scale_and_inverts() {
        let truth = Placement {
            a1_mm: (14.9, 10.7),
            rotation_deg: 0.4,
            scale: 1.002,
        };
        let plate = [(0.0, 0.0), (99.0, 0.0), (0.0, 63.0), (45.0, 27.0)];
        for n in [2, 3, 4] {
            let pairs: Vec<_> = plate[..n]
                .iter()
                .map(|d| (*d, truth.to_stage(*d)))
                .collect();
            let f = Placement::fit(&pairs).expect("fit");
            assert!(close(f.a1_mm, truth.a1_mm), "{n}: {f:?}");
            assert!((f.rotation_deg - 0.4).abs() < 1e-9 && (f.scale - 1.002).abs() < 1e-12);
            let p = f.to_stage((45.0, 27.0));
            assert!(close(f.to_plate(p), (45.0, 27.0)));
        }
    }

    #[test]
    fn one_well_fixes_the_offset_and_coincident_wells_fix_nothing() {
        let f = Placement::fit(&[((9.0, 0.0), (24.0, 11.0))]).expect("fit");
        assert_eq!(f, Placement::at((15.0, 11.0)));
        assert!(Placement::fit(&[((1.0, 1.0), (2.0, 2.0)), ((1.0, 1.0), (2.0, 2.1))]).is_none());
        assert!(Placement::fit(&[]).is_none());
    }

    #[test]
    fn the_file_sits_beside_the_description_unless_named() {
        let src = Path::new("/rigs/squid-3.yaml");
        assert_eq!(
            path_beside(src, None),
            Path::new("/rigs/squid-3.plates.yaml")
        );
        assert_eq!(
            path_beside(src, Some("cal/p.yaml")),
            Path::new("/rigs/cal/p.yaml")
        );
        assert_eq!(
            path_beside(src, Some("/var/p.yaml")),
            Path::new("/var/p.yaml")
        );
    }
}
