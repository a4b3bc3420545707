//! GenICam: the fake GigE camera through the `genicam` driver.

use super::*;

/// Aravis's fake GigE camera on 127.0.0.1 in this process, `acquire` through the `genicam`
/// driver in another: frames per second while saving, frames lost, CPU per frame (ours and
/// the fake's, which stands in for the camera's own electronics).
#[cfg(feature = "genicam")]
pub(crate) fn genicam(rows: &mut Vec<Row>) {
    let fake = aravis::GvFakeCamera::new(Some("127.0.0.1"), Some("SQ-BENCH"));
    if !fake.is_running() {
        eprintln!("genicam: the fake camera did not start on 127.0.0.1");
        return;
    }
    let text = squidctl::microscope::BUILTIN_YAML
        .replace(
            "camera:\n",
            "camera:\n  driver: {name: genicam, address: 127.0.0.1, pixel_format: Mono16, buffers: 8}\n",
        )
        .replace("bit_depth: 12", "bit_depth: 16");
    let m = scratch().join("bench-genicam.yaml");
    let _ = std::fs::write(&m, text);
    let out = bench_out();
    let cpu = || {
        // SAFETY: getrusage fills the zeroed struct we own.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
        t(ru.ru_utime) + t(ru.ru_stime)
    };
    let before = cpu();
    let start = Instant::now();
    let child = Command::new(bin())
        .args(["acquire", "bench/protocols/camera.yaml", "--microscope"])
        .arg(&m)
        .arg("--output")
        .arg(&out)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        return;
    };
    let mut status = 0;
    // SAFETY: wait4 fills the zeroed rusage we own for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
    let _wall = start.elapsed();
    let fake_cpu = cpu() - before;
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    let our_cpu = t(ru.ru_utime) + t(ru.ru_stime);
    let j = newest_run(&out).map(|rd| journal(&rd)).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&out);
    let frames = j.iter().filter(|e| e["kind"] == "frame").count() as f64;
    let first = j
        .iter()
        .find(|e| e["kind"] == "frame")
        .and_then(|e| e["run_s"].as_f64());
    let end = j.iter().find(|e| e["kind"] == "end");
    let last = end.and_then(|e| e["run_s"].as_f64());
    let counts = end.map(|e| e["counts"].clone()).unwrap_or_default();
    let lost = counts["lost"].as_u64().unwrap_or(0)
        + counts["failed"].as_u64().unwrap_or(0)
        + counts["planned"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(counts["saved"].as_u64().unwrap_or(0));
    let fps = match (first, last) {
        (Some(a), Some(b)) if b > a && frames > 1.0 => (frames - 1.0) / (b - a),
        _ => f64::NAN,
    };
    rows.push(Row {
        name: "fake GigE camera → saved OME-TIFF, 2048² Mono16".into(),
        value: fps,
        unit: "fps",
        goal: "(the fake's own ceiling)".into(),
        ok: None,
    });
    rows.push(Row {
        name: format!("same: frames lost of {frames:.0} saved"),
        value: lost as f64,
        unit: "",
        goal: "0".into(),
        ok: Some(lost == 0),
    });
    rows.push(Row {
        name: "same: squidctl CPU per frame (the fake's beside it)".into(),
        value: our_cpu / frames.max(1.0) * 1000.0,
        unit: "ms",
        goal: format!("fake {:.1} ms", fake_cpu / frames.max(1.0) * 1000.0),
        ok: None,
    });
}
