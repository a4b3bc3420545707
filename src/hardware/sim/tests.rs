//! The simulator through the device traits: timing, images, autofocus, and faults firing at
//! exactly the configured call.

use std::time::{Duration, Instant};

use crate::diagnostic::SourceFile;
use crate::hardware::autofocus::{AfMethod, AfRequest, FocusMetric};
use crate::hardware::{BuildOptions, CallKind, ErrorKind, Microscope, build};
use crate::microscope::timing::axis_move_secs;
use crate::microscope::{BUILTIN_YAML, MicroscopeConfig};

fn config(faults: &str) -> MicroscopeConfig {
    let text = BUILTIN_YAML.replace("\nfaults: []", &format!("\nfaults:\n{faults}"));
    let text = if faults.is_empty() {
        BUILTIN_YAML.to_string()
    } else {
        text
    };
    match MicroscopeConfig::from_source(SourceFile::new("m.yaml", text)) {
        Ok(c) => c,
        Err(d) => panic!("{}", d.render()),
    }
}

fn scope(faults: &str) -> Microscope {
    build(
        &config(faults),
        &BuildOptions {
            time_scale: Some(0.0),
            ..Default::default()
        },
    )
    .expect("build")
}

#[test]
fn a_move_takes_the_modelled_time_on_the_virtual_clock() {
    let cfg = config("");
    let mut m = build(
        &cfg,
        &BuildOptions {
            time_scale: Some(0.0),
            ..Default::default()
        },
    )
    .expect("build");
    let xy = cfg.desc.stage.xy;
    m.xy.move_to(10.0, 0.0).expect("move");
    // 10 mm at 30 mm/s and 500 mm/s²: 10/30 + 30/500 = 0.39333 s, plus 30 ms settle.
    let expect = 10.0 / 30.0 + 30.0 / 500.0 + 0.030;
    assert!(
        (m.clock.now_s() - expect).abs() < 1e-6,
        "{}",
        m.clock.now_s()
    );
    assert!((axis_move_secs(10.0, &xy) + 0.030 - expect).abs() < 1e-9);
    // X and Y move together: a diagonal costs the longer axis.
    let before = m.clock.now_s();
    m.xy.move_to(13.0, 4.0).expect("move");
    let expect = axis_move_secs(4.0, &xy) + 0.030;
    assert!((m.clock.now_s() - before - expect).abs() < 1e-6);
    // A capture costs exposure + readout.
    m.camera.set_exposure(0.05).expect("exposure");
    let before = m.clock.now_s();
    m.camera.snap().expect("snap");
    assert!((m.clock.now_s() - before - 0.060).abs() < 1e-6);
}

#[test]
fn time_scale_sets_real_time() {
    let mut m = build(
        &config(""),
        &BuildOptions {
            time_scale: Some(0.5),
            ..Default::default()
        },
    )
    .expect("build");
    let t = Instant::now();
    m.z.move_to(4.2).expect("move");
    let modelled = m.clock.now_s();
    let real = t.elapsed().as_secs_f64();
    assert!(real >= modelled * 0.5 * 0.95, "{real} vs {modelled}");
}

#[test]
fn frames_are_deterministic_per_position() {
    let snap_at = |x: f64| {
        let mut m = scope("");
        m.xy.move_to(x, 20.0).expect("move");
        m.illumination.set("laser-488", 50.0).expect("light");
        m.illumination.on().expect("on");
        m.camera.set_exposure(0.02).expect("exp");
        m.camera.snap().expect("snap").pixels
    };
    assert_eq!(snap_at(20.0), snap_at(20.0));
    assert_ne!(snap_at(20.0), snap_at(21.0));
}

#[test]
fn outside_the_travel_is_refused() {
    let mut m = scope("");
    let e = m.xy.move_to(500.0, 1.0).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfRange);
    assert!(e.message.contains("x = 500"), "{}", e.message);
}

fn contrast_request(z: f64) -> AfRequest {
    AfRequest {
        method: AfMethod::Contrast {
            range_um: 40.0,
            step_um: 2.0,
            metric: FocusMetric::NormalizedVariance,
        },
        reference_z_mm: z,
        exposure_s: 0.02,
        gain: None,
        source: "laser-405".into(),
        intensity_pct: 40.0,
    }
}

#[test]
fn contrast_autofocus_lands_within_one_step_across_the_plate() {
    let cfg = config("");
    let sample = crate::hardware::sim::sample::Sample::new(
        1,
        super::SampleKind::Cells,
        4.0,
        super::SimSettings::of(&cfg).expect("sim settings").focus,
        (64.0, 43.0),
    );
    let mut m = scope("");
    for (x, y) in [
        (14.4, 11.2),
        (113.4, 11.2),
        (64.0, 43.0),
        (14.4, 74.2),
        (113.4, 74.2),
        (40.0, 60.0),
    ] {
        m.xy.move_to(x, y).expect("move");
        let truth = sample.focus_at(x, y);
        let r = m.run_autofocus(&contrast_request(4.0)).expect("af");
        let err_um = (r.z_mm - truth).abs() * 1000.0;
        assert!(
            err_um <= 2.0,
            "at ({x}, {y}): found {} truth {truth} ({err_um:.2} um off)",
            r.z_mm
        );
        assert_eq!(r.samples, 21);
        assert!((m.z.position().expect("z") - r.z_mm).abs() < 1e-12);
    }
}

#[test]
fn laser_autofocus_corrects_in_one_move() {
    let mut m = scope("");
    m.xy.move_to(100.0, 70.0).expect("move");
    let req = AfRequest {
        method: AfMethod::Laser { range_um: 200.0 },
        ..contrast_request(4.0)
    };
    let r = m.run_autofocus(&req).expect("af");
    let cfg = config("");
    let sample = crate::hardware::sim::sample::Sample::new(
        1,
        Default::default(),
        4.0,
        super::SimSettings::of(&cfg).expect("sim settings").focus,
        (64.0, 43.0),
    );
    assert!((r.z_mm - sample.focus_at(100.0, 70.0)).abs() * 1000.0 < 0.3);
}

#[test]
fn an_error_fires_at_exactly_the_configured_call() {
    let mut m = scope("    - {call: capture, at: 3, kind: error, message: missed trigger}\n");
    let r: Vec<bool> = (0..6).map(|_| m.camera.snap().is_ok()).collect();
    assert_eq!(r, vec![true, true, false, true, true, true]);
    let mut m = scope("    - {call: capture, at: 3, kind: error, message: missed trigger}\n");
    m.camera.snap().expect("1");
    m.camera.snap().expect("2");
    let e = m.camera.snap().unwrap_err();
    assert_eq!(e.message, "missed trigger");
    assert_eq!(e.device, "camera");
    // Other calls are unaffected.
    for _ in 0..5 {
        m.xy.move_to(1.0, 1.0).expect("move");
        m.z.move_to(4.0).expect("z");
        m.illumination.set("led-matrix", 10.0).expect("light");
    }
}

#[test]
fn every_nth_and_each_call_kind() {
    for kind in CallKind::ALL {
        let mut m = scope(&format!("    - {{call: {kind}, every: 2, kind: error}}\n"));
        let results: Vec<bool> = (0..6)
            .map(|_| match kind {
                CallKind::MoveXy => m.xy.move_to(2.0, 2.0).is_ok(),
                CallKind::MoveZ => m.z.move_to(4.001).is_ok(),
                CallKind::Capture => m.camera.snap().is_ok(),
                CallKind::Illumination => m.illumination.set("laser-488", 5.0).is_ok(),
                CallKind::Autofocus => m.run_autofocus(&contrast_request(4.0)).is_ok(),
                CallKind::Save => unreachable!("not a device call"),
            })
            .collect();
        assert_eq!(
            results,
            vec![true, false, true, false, true, false],
            "{kind}"
        );
    }
}

#[test]
fn autofocus_scans_do_not_count_as_moves_or_captures() {
    let mut m = scope(
        "    - {call: capture, at: 2, kind: error}\n    - {call: move_z, at: 2, kind: error}\n",
    );
    m.run_autofocus(&contrast_request(4.0)).expect("af");
    m.camera.snap().expect("first capture");
    assert!(m.camera.snap().is_err(), "the second real capture fails");
    m.z.move_to(4.0).expect("first move");
    assert!(m.z.move_to(4.0).is_err());
}

#[test]
fn slow_delays_by_the_configured_time() {
    let mut m = scope("    - {call: move_xy, at: 2, kind: slow, delay: 300ms}\n");
    let t = Instant::now();
    m.xy.move_to(1.0, 1.0).expect("1");
    assert!(t.elapsed() < Duration::from_millis(200));
    let t = Instant::now();
    m.xy.move_to(2.0, 1.0).expect("2");
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn disconnect_fails_until_reconnected() {
    let mut m = scope("    - {call: illumination, at: 2, kind: disconnect}\n");
    m.illumination.set("laser-488", 5.0).expect("1");
    for _ in 0..3 {
        let e = m.illumination.set("laser-488", 5.0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Disconnected);
    }
    m.reconnect(CallKind::Illumination).expect("reconnect");
    m.illumination
        .set("laser-488", 5.0)
        .expect("after reconnect");
}

#[test]
fn panic_fires_inside_the_driver() {
    crate::supervisor::panics::install_hook();
    let mut m = scope("    - {call: move_z, at: 1, kind: panic}\n");
    let p = crate::supervisor::panics::catch(|| m.z.move_to(4.0)).unwrap_err();
    assert!(
        p.message
            .contains("simulated panic in z stage (move_z call 1)"),
        "{}",
        p.message
    );
    // The device goes on working after the panic.
    assert!(m.z.move_to(4.0).is_ok());
}

#[test]
fn hang_blocks_only_its_call() {
    let mut m = scope("    - {call: capture, at: 2, kind: hang}\n");
    m.camera.snap().expect("1");
    let (tx, rx) = std::sync::mpsc::channel();
    let mut cam = m.camera;
    std::thread::spawn(move || {
        let _ = tx.send(cam.snap().is_ok());
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "the hung call must not return"
    );
    // The rest of the microscope still answers.
    m.xy.move_to(3.0, 3.0).expect("xy still works");
}
