//! How well a run kept its fields in focus, judged against the simulator's true surface: the
//! figure focus maps and autofocus methods are compared by.

use std::collections::BTreeMap;

use super::journal::Entry;
use crate::journal_of;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FocusQuality {
    /// Fields whose focus error is recorded (each time point's visit of a field counts once).
    pub fields: usize,
    /// The share of them within half the depth of field of the surface (0–1).
    pub in_focus_fraction: f64,
    pub depth_of_field_um: f64,
    /// |focus error| over those fields (µm).
    pub abs_error_p50_um: f64,
    pub abs_error_p90_um: f64,
    pub abs_error_max_um: f64,
}

/// `None` when the run has no recorded errors (a real camera) or no depth of field (an
/// objective without an NA).
pub fn of(journal: &[Entry]) -> Option<FocusQuality> {
    let dof = journal_of!(journal, Start).find_map(|s| s.depth_of_field_um)?;
    let errors = per_field(journal, |f| f.focus_error_um.map(f64::abs))?;
    let at = |p: f64| errors[((errors.len() - 1) as f64 * p).round() as usize];
    let within = errors.iter().filter(|e| **e <= dof / 2.0).count();
    Some(FocusQuality {
        fields: errors.len(),
        in_focus_fraction: within as f64 / errors.len() as f64,
        depth_of_field_um: dof,
        abs_error_p50_um: at(0.5),
        abs_error_p90_um: at(0.9),
        abs_error_max_um: at(1.0),
    })
}

/// `value` of each field visit's last frame that has one (a resumed field is judged by how
/// it was saved), sorted; `None` when no frame has one.
fn per_field(
    journal: &[Entry],
    value: impl Fn(&super::journal::records::Frame) -> Option<f64>,
) -> Option<Vec<f64>> {
    let mut by_field = BTreeMap::new();
    for f in journal_of!(journal, Frame) {
        if let Some(v) = value(f) {
            by_field.insert((f.t, f.region, f.fov), v);
        }
    }
    let mut values: Vec<f64> = by_field.into_values().collect();
    values.sort_by(f64::total_cmp);
    (!values.is_empty()).then_some(values)
}

/// How close a run's fields came to where the plan meant them on their wells, judged
/// against the simulated plate's truth: the figure plate calibrations are compared by.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PlacementQuality {
    pub fields: usize,
    pub error_p50_um: f64,
    pub error_max_um: f64,
}

/// `None` when no frame knows its true place (a real camera, or no simulated plate).
pub fn placement_of(journal: &[Entry]) -> Option<PlacementQuality> {
    let errors = per_field(journal, |f| f.placement_error_um)?;
    Some(PlacementQuality {
        fields: errors.len(),
        error_p50_um: errors[(errors.len() - 1) / 2],
        error_max_um: errors[errors.len() - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_dir::journal::records::{Frame, Record, Start};

    fn entry(record: Record) -> Entry {
        Entry {
            wall: String::new(),
            unix: None,
            run_s: 0.0,
            record,
        }
    }

    fn start(dof: Option<f64>) -> Entry {
        entry(Record::Start(Start {
            name: "r".into(),
            protocol: "p".into(),
            microscope: "m".into(),
            planned_frames: 0,
            files: 0,
            pid: 1,
            coords: true,
            protocol_crc32: None,
            microscope_crc32: None,
            depth_of_field_um: dof,
            plate_placement: None,
        }))
    }

    fn frame(fov: u32, z: u32, error: Option<f64>) -> Entry {
        entry(Record::Frame(Frame {
            seq: 0,
            t: 0,
            region: 0,
            fov,
            z,
            channel: 0,
            clock_s: 0.0,
            steps: BTreeMap::new(),
            focus_error_um: error,
            placement_error_um: error.map(f64::abs),
        }))
    }

    #[test]
    fn placement_counts_each_field_once_by_its_last_frame() {
        let j = vec![
            frame(0, 0, Some(50.0)),
            frame(0, 1, Some(3.0)),
            frame(1, 0, Some(-9.0)),
            frame(2, 0, None),
        ];
        let q = placement_of(&j).expect("placement");
        assert_eq!((q.fields, q.error_p50_um, q.error_max_um), (2, 3.0, 9.0));
        assert!(placement_of(&j[3..]).is_none());
    }

    #[test]
    fn each_field_counts_once_by_its_last_frame() {
        let j = vec![
            start(Some(2.0)),
            frame(0, 0, Some(5.0)),
            frame(0, 1, Some(0.5)),
            frame(1, 0, Some(-0.9)),
            frame(2, 0, Some(-1.5)),
            frame(3, 0, Some(0.2)),
        ];
        let q = of(&j).expect("judged");
        assert_eq!(q.fields, 4);
        assert_eq!(q.in_focus_fraction, 0.75);
        assert_eq!(q.abs_error_max_um, 1.5);
        assert_eq!(q.abs_error_p50_um, 0.9);
    }

    #[test]
    fn without_a_truth_or_a_depth_of_field_there_is_no_figure() {
        assert_eq!(of(&[start(Some(2.0)), frame(0, 0, None)]), None);
        assert_eq!(of(&[start(None), frame(0, 0, Some(0.1))]), None);
    }
}
