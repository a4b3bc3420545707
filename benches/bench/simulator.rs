//! The simulated camera: frames per second it makes.

use super::*;

/// Frames per second the simulated camera produces at `time_scale: 0`, on this thread.
pub(crate) fn simulator(rows: &mut Vec<Row>, disk_mb_s: f64) {
    use squidctl::hardware::autofocus::{AfMethod, AfRequest};
    use squidctl::hardware::{BuildOptions, build};
    use squidctl::microscope::MicroscopeConfig;
    let Ok(cfg) = MicroscopeConfig::builtin() else {
        return;
    };
    let Ok(mut m) = build(
        &cfg,
        &BuildOptions {
            time_scale: Some(0.0),
            ..Default::default()
        },
    ) else {
        return;
    };
    let frame_mb = 2048.0 * 2048.0 * 2.0 / 1e6;
    let _ = m.illumination.set("laser-488", 50.0);
    let _ = m.illumination.on();
    let _ = m.camera.set_exposure(0.02);
    let _ = m.camera.snap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok();
    let all = rayon::ThreadPoolBuilder::new().build().ok();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (label, dz_um, pool) in [
        ("1 core, in focus".to_string(), 0.0, &one),
        ("1 core, z-stack ±10 um".to_string(), 10.0, &one),
        (format!("{cores} cores, z-stack ±10 um"), 10.0, &all),
    ] {
        let Some(pool) = pool else { continue };
        let fps = pool.install(|| {
            median(
                (0..3)
                    .map(|trial| {
                        let n = 40;
                        let t = Instant::now();
                        let mut rendering = 0.0;
                        for i in 0..n {
                            let k = (i % 21) as f64 - 10.0;
                            let _ = m.xy.move_to(20.0 + trial as f64 + i as f64 * 0.7, 30.0);
                            // Find the focal surface (cheap laser autofocus), then image around it.
                            let focus = m.run_autofocus(&AfRequest {
                                method: AfMethod::Laser { range_um: 200.0 },
                                reference_z_mm: 4.0,
                                exposure_s: 0.02,
                                gain: None,
                                source: "laser-488".into(),
                                intensity_pct: 50.0,
                            });
                            let z = focus.map_or(4.0, |r| r.z_mm);
                            let _ = m.z.move_to(z + k * dz_um / 10_000.0);
                            let t = Instant::now();
                            let _ = m.camera.snap();
                            rendering += t.elapsed().as_secs_f64();
                        }
                        let _ = t;
                        n as f64 / rendering
                    })
                    .collect(),
            )
        });
        rows.push(Row {
            name: format!("simulator 2048² u16 frames, {label}"),
            value: fps,
            unit: "fps",
            goal: format!("> disk ({:.0} fps)", disk_mb_s / frame_mb),
            ok: Some(fps * frame_mb > disk_mb_s),
        });
    }
}
