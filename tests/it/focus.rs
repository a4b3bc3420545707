//! Focus quality judged against the simulator's true surface: `report`'s `in_focus_fraction`
//! and the distribution of |focus error|, which focus methods are compared by.

use crate::common::*;

/// `protocols/laser_autofocus.yaml` on the built-in microscope (its sample tilts and bows by
/// several µm across the plate): `report` says which share of the fields were within the
/// objective's depth of field.
fn in_focus(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out = dir.join(extra.len().to_string());
    let o = out.display().to_string();
    let mut args = vec!["acquire", "protocols/laser_autofocus.yaml", "--output", &o];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = run(&["report", &run_dir(&out).display().to_string(), "--json"]);
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    rep.json()
}

#[test]
fn a_laser_autofocus_keeps_every_field_in_focus_and_focus_z_alone_does_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let af = in_focus(dir.path(), &[]);
    let q = &af["focus"];
    assert_eq!(q["fields"], 5, "{af}");
    // 20x/0.75 with 6.5 µm pixels: 0.98 µm + 0.43 µm.
    let dof = q["depth_of_field_um"].as_f64().expect("dof");
    assert!((dof - 1.411).abs() < 0.01, "{q}");
    assert_eq!(af["in_focus_fraction"], 1.0, "{q}");
    assert!(q["abs_error_max_um"].as_f64() < Some(dof / 2.0), "{q}");

    let plain = in_focus(dir.path(), &["--set", "autofocus.method=none"]);
    let fraction = plain["in_focus_fraction"].as_f64().expect("judged");
    assert!(fraction < 0.5, "{}", plain["focus"]);
    assert!(
        plain["focus"]["abs_error_max_um"].as_f64() > Some(3.0),
        "{}",
        plain["focus"]
    );
}
