//! The `genicam` driver against Aravis's fake GigE camera, in this process on 127.0.0.1 only
//! (never discovery: that broadcasts on every interface). Built with `--features genicam`.

use crate::common::*;

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aravis::GvFakeCamera;
use squidctl::diagnostic::SourceFile;
use squidctl::emulate::mcu;
use squidctl::hardware::genicam::camera::GenicamCamera;
use squidctl::hardware::genicam::settings::{GenicamSettings, PixelFormat, Trigger};
use squidctl::hardware::squid::{board::Board, protocol::Version, settings::SquidSettings};
use squidctl::hardware::{Camera, ErrorKind, Frame};

/// One fake at a time can own 127.0.0.1's GVCP port: within this binary a lock, across
/// processes (nextest) a file lock.
struct FakeLock {
    _guard: MutexGuard<'static, ()>,
    _file: std::fs::File,
}

fn exclusive() -> FakeLock {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let file = crate::common::hold_lock(&std::env::temp_dir().join("squidctl-fake-gige.lock"));
    FakeLock {
        _guard: guard,
        _file: file,
    }
}

fn fake() -> GvFakeCamera {
    let f = GvFakeCamera::new(Some("127.0.0.1"), Some("SQ-FAKE-1"));
    assert!(f.is_running(), "the fake camera did not start on 127.0.0.1");
    f
}

fn settings(format: PixelFormat) -> GenicamSettings {
    GenicamSettings {
        address: Some("127.0.0.1".into()),
        serial_number: None,
        device_id: None,
        pixel_format: Some(format),
        buffers: 4,
        // Ample for an 8 MB frame from the in-process fake while the whole suite runs.
        frame_timeout: squidctl::protocol::units::Duration::from_secs_f64(3.0),
        trigger: Trigger::Software,
    }
}

/// The fake draws a diagonal ramp: a pixel depends on x + y only. A frame with a lost or
/// stale packet breaks that somewhere.
fn intact(f: &Frame) -> bool {
    ramp(&f.pixels, f.width as usize)
}

fn ramp(pixels: &[u16], w: usize) -> bool {
    pixels
        .chunks_exact(w)
        .collect::<Vec<_>>()
        .windows(2)
        .all(|r| (0..w - 1).all(|x| r[0][x + 1] == r[1][x]))
}

#[test]
fn settings_are_read_back_and_out_of_range_values_refused() {
    let _l = exclusive();
    let _f = fake();
    let mut c = GenicamCamera::open(settings(PixelFormat::Mono16), 16).expect("opens");
    assert_eq!(c.sensor_size(), (2048, 2048));
    c.set_exposure(0.0123456).expect("exposure");
    let a = c.applied();
    assert!(
        (a.exposure_s - 0.012345).abs() < 2e-6,
        "rounded by the camera: {a:?}"
    );
    c.set_gain(3.0).expect("gain");
    assert_eq!(c.applied().gain, 3.0);
    assert_eq!(
        c.set_exposure(100.0).expect_err("too long").kind,
        ErrorKind::OutOfRange
    );
    assert_eq!(
        c.set_gain(99.0).expect_err("too high").kind,
        ErrorKind::OutOfRange
    );
    assert_eq!(
        c.set_binning(3).expect_err("3 into 2048").kind,
        ErrorKind::OutOfRange
    );
    let f = c.snap().expect("a frame");
    assert_eq!((f.width, f.height, f.meta.bit_depth), (2048, 2048, 16));
    assert!(f.pixels.iter().any(|p| *p != f.pixels[0]) && intact(&f));
    assert!((f.meta.exposure_s - 0.012345).abs() < 2e-6);
    let roi = squidctl::hardware::Roi {
        x: 256,
        y: 128,
        width: 512,
        height: 256,
    };
    c.set_roi(Some(roi)).expect("roi");
    let f = c.snap().expect("a cropped frame");
    assert_eq!((f.width, f.height), (512, 256));
    drop(c);
    let mut c = GenicamCamera::open(settings(PixelFormat::Mono8), 8).expect("Mono8");
    c.set_exposure(0.02).expect("exposure");
    let f = c.snap().expect("a frame");
    assert!(f.pixels.iter().all(|p| *p <= 255) && intact(&f));
    // Held by a live controller (this one): waited for, then refused with the reason.
    let held = GenicamCamera::open(settings(PixelFormat::Mono8), 8).err();
    assert!(
        held.as_ref()
            .is_some_and(|e| e.message.contains("another program controls")),
        "{held:?}"
    );
    drop(c);
    assert!(
        GenicamCamera::open(settings(PixelFormat::Mono12Packed), 12)
            .err()
            .is_some_and(|e| e.kind == ErrorKind::OutOfRange && e.message.contains("Mono16")),
        "the fake has no Mono12Packed: refused, naming what it has"
    );
}

#[test]
fn a_frame_that_never_comes_fails_naming_the_camera() {
    let _l = exclusive();
    let f = fake();
    let mut c = GenicamCamera::open(settings(PixelFormat::Mono16), 16).expect("opens");
    c.set_exposure(0.02).expect("exposure");
    c.snap().expect("first frame");
    f.set_gvsp_lost_ratio(1.0);
    let e = c.snap().expect_err("no frame");
    assert_eq!(e.kind, ErrorKind::Failed, "{e}");
    assert!(
        e.to_string().contains("camera") && e.message.contains("no frame within"),
        "{e}"
    );
    f.set_gvsp_lost_ratio(0.0);
    c.snap().expect("frames again once the packets flow");
}

/// The fake's AcquisitionStart/Stop register.
const ACQUISITION: u32 = 0x124;
/// GigE Vision's control channel privilege register (non-zero while a program controls).
const CONTROL: u32 = 0xa00;

/// A camera that stopped acquiring on its own (a power dip, another tool) sends nothing more
/// on the stream: the snap that waits in vain fails, and the next one arms a new stream and
/// gets its frame.
#[test]
fn a_camera_that_stopped_acquiring_is_armed_again_by_the_next_snap() {
    let _l = exclusive();
    let f = fake();
    let mut c = GenicamCamera::open(settings(PixelFormat::Mono16), 16).expect("opens");
    c.set_exposure(0.02).expect("exposure");
    c.snap().expect("first frame");
    f.fake_camera()
        .expect("the fake's camera model")
        .write_register(ACQUISITION, 0);
    let e = c.snap().expect_err("nothing is streamed");
    assert!(e.message.contains("no frame within"), "{e}");
    c.snap().expect("a new stream, and its frame");
}

#[test]
fn with_five_percent_packet_loss_no_frame_is_damaged_and_every_loss_is_counted() {
    let _l = exclusive();
    let f = fake();
    let mut c = GenicamCamera::open(settings(PixelFormat::Mono16), 16).expect("opens");
    c.set_exposure(0.02).expect("exposure");
    // Small frames (a dozen packets): the fake resends nothing, so a big frame never survives.
    c.set_roi(Some(squidctl::hardware::Roi {
        x: 0,
        y: 0,
        width: 128,
        height: 64,
    }))
    .expect("roi");
    f.set_gvsp_lost_ratio(0.05);
    let (mut good, mut bad) = (0u64, 0u64);
    for _ in 0..40 {
        match c.snap() {
            Ok(frame) => {
                assert!(intact(&frame), "a damaged frame was handed out");
                good += 1;
            }
            Err(e) => {
                assert!(matches!(e.kind, ErrorKind::Failed), "{e}");
                bad += 1;
            }
        }
    }
    assert_eq!(good + bad, 40);
    assert!(good > 0, "no frame survived 5 % loss: resends do not work");
    assert!(
        c.incomplete() <= bad,
        "broken buffers are failures, never frames"
    );
    eprintln!(
        "5 % loss: {good} whole, {bad} failed, {} broken buffers",
        c.incomplete()
    );
}

#[test]
fn a_camera_that_goes_away_is_disconnected_and_reconnect_recovers_it() {
    let _l = exclusive();
    let f = fake();
    // The shipped frame timeout: a camera that is gone is told within it plus one probe.
    let s = GenicamSettings {
        frame_timeout: squidctl::protocol::units::Duration::from_secs_f64(1.0),
        ..settings(PixelFormat::Mono16)
    };
    let mut c = GenicamCamera::open(s, 16).expect("opens");
    c.set_exposure(0.015).expect("exposure");
    c.snap().expect("first frame");
    drop(f);
    let t = Instant::now();
    let e = c.snap().expect_err("gone");
    assert_eq!(e.kind, ErrorKind::Disconnected, "{e}");
    let noticed = t.elapsed();
    assert!(
        noticed < Duration::from_secs(4),
        "noticed after {noticed:?}"
    );
    let t = Instant::now();
    assert_eq!(
        c.reconnect().expect_err("still gone").kind,
        ErrorKind::Disconnected
    );
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "a camera that is gone is told at once"
    );
    let _f = fake();
    c.reconnect().expect("back");
    let f = c.snap().expect("a frame after reconnecting");
    assert!(
        (c.applied().exposure_s - 0.015).abs() < 2e-6,
        "settings restored"
    );
    assert!(intact(&f));
    eprintln!("disconnect noticed after {noticed:?}");
}

/// The real binary: the quick start with the camera on the `genicam` driver (the fake, in
/// this process) and every other device simulated; `verify` passes on what it saved.
#[test]
fn the_quick_start_runs_through_the_genicam_driver() {
    let _l = exclusive();
    let f = fake();
    let dir = tempfile::tempdir().expect("tmp");
    let m = fake_camera_microscope(dir.path());
    // Every command lets go of the camera before it exits: stopped, and control released
    // (a camera left held keeps the next command waiting for its heartbeat to run out).
    let released = |what: &str| {
        let model = f.fake_camera().expect("the fake's camera model");
        assert_eq!(
            (
                model.read_register(CONTROL),
                model.read_register(ACQUISITION)
            ),
            (Some(0), Some(0)),
            "after {what}"
        );
    };
    let d = run(&["devices", "--microscope", &m]);
    assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);
    released("devices");
    let (rd, stderr) = acquire_verified(dir.path(), "protocols/quickstart.yaml", &m);
    assert!(
        stderr.contains("Aravis Fake (serial SQ-FAKE-1) at 127.0.0.1, Mono16"),
        "{stderr}"
    );
    assert_eq!(run_json(&rd)["counts"]["saved"], 72);
    released("acquire");
}

/// `acquire PROTOCOL` into `dir/out` on `microscope`: it must complete and `verify` must pass.
/// Returns the run directory and what squidctl printed on stderr.
fn acquire_verified(
    dir: &std::path::Path,
    protocol: &str,
    microscope: &str,
) -> (std::path::PathBuf, String) {
    let out = dir.join("out");
    let r = run(&[
        "acquire",
        protocol,
        "--microscope",
        microscope,
        "--output",
        &out.display().to_string(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rd = run_dir(&out);
    let v = run(&["verify", &rd.display().to_string()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    (rd, r.stderr)
}

/// The built-in microscope with its camera on the `genicam` driver (the fake on 127.0.0.1).
fn fake_camera_microscope(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml"))
        .expect("builtin")
        .replace(
            "camera:\n",
            "camera:\n  driver: {name: genicam, address: 127.0.0.1, pixel_format: Mono16}\n",
        )
        .replace("bit_depth: 12", "bit_depth: 16");
    assert!(text.contains("name: genicam"));
    write(dir, "fake-camera.yaml", &text)
}

/// A run killed in the middle leaves the camera acquiring, streaming to a port nobody reads,
/// and held by a controller that is gone until its heartbeat runs out. The next run waits
/// that out, stops the stale acquisition and gets every frame.
#[test]
fn a_run_killed_mid_acquisition_leaves_the_camera_fit_for_the_next_run() {
    let _l = exclusive();
    let _f = fake();
    let dir = tempfile::tempdir().expect("tmp");
    let m = fake_camera_microscope(dir.path());
    let first = dir.path().join("first");
    let mut child = start_run(
        &[
            "acquire",
            "protocols/quickstart.yaml",
            "--microscope",
            &m,
            "--output",
            &first.display().to_string(),
        ],
        &first,
    );
    wait_for_frames(&first, 6);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let (rd, _) = acquire_verified(dir.path(), "protocols/quickstart.yaml", &m);
    assert_eq!(run_json(&rd)["counts"]["saved"], 72);
    // Not one frame missed and retried: the stale acquisition was stopped before arming.
    let errors = kinds(&journal(&rd), "step_error");
    assert!(errors.is_empty(), "{errors:?}");
}

/// The camera goes away in the middle of a run: the capture fails as `Disconnected` (no hang,
/// no thread dump), the reconnect before the retry fails too, and the run ends by its policy
/// (`abort`: exit 1) with what it saved intact; with the camera back, `resume` reconnects and
/// completes the run.
#[test]
fn a_camera_dropped_mid_run_ends_the_run_by_policy_and_resume_completes_it() {
    let _l = exclusive();
    let f = fake();
    let dir = tempfile::tempdir().expect("tmp");
    let m = fake_camera_microscope(dir.path());
    let out = dir.path().join("out");
    let o = out.display().to_string();
    let child = start_run(
        &[
            "acquire",
            "protocols/quickstart.yaml",
            "--microscope",
            &m,
            "--output",
            &o,
            "--set",
            "on_error={retries: 1, backoff: 100ms, then: abort}",
        ],
        &out,
    );
    let rd = wait_for_frames(&out, 12);
    drop(f);
    let gone = Instant::now();
    let r = Run::from(child.wait_with_output().expect("exits"));
    let ended = gone.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j = journal(&rd);
    let errors = kinds(&j, "step_error");
    assert!(
        errors
            .iter()
            .any(|e| e["error"].as_str().is_some_and(|m| m.contains("answer"))),
        "{errors:?}"
    );
    assert!(
        kinds(&j, "timeout").is_empty(),
        "noticed before any deadline"
    );
    assert_eq!(kinds(&j, "abort").len(), 1);
    assert!(
        ended < Duration::from_secs(15),
        "the run ended {ended:?} after the camera went away"
    );
    assert_files_read_back(&rd, "after the camera went away");
    let _f = fake();
    let rs = run(&["resume", &rd.display().to_string()]);
    assert_eq!(rs.code, 0, "{}", rs.stderr);
    assert_eq!(run_json(&rd)["counts"]["saved"], 72);
    let v = run(&["verify", &rd.display().to_string()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    eprintln!("camera dropped mid-run: the run ended {ended:?} later");
}

#[test]
fn genicam_settings_are_checked_where_they_are_written() {
    let dir = tempfile::tempdir().expect("tmp");
    for (driver, want) in [
        ("genicam", "needs to be told which camera to open"),
        (
            "{name: genicam, address: 127.0.0.1, serial_number: X1}",
            "2 ways to find the camera",
        ),
        (
            "{name: genicam, address: cam.local}",
            "is not an IPv4 address",
        ),
        (
            "{name: genicam, address: 127.0.0.1, pixel_format: Mono8}",
            "8-bit pixels, but `camera.bit_depth` is 12",
        ),
        ("{name: genicam, address: 127.0.0.1, buffers: 1}", "buffers"),
        (
            "{name: genicam, address: 127.0.0.1, pixel_format: Mono10}",
            "Mono10",
        ),
    ] {
        let text = std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml"))
            .expect("builtin")
            .replace("camera:\n", &format!("camera:\n  driver: {driver}\n"));
        let m = write(dir.path(), "g.yaml", &text);
        let r = run(&["validate", "protocols/quickstart.yaml", "--microscope", &m]);
        assert_eq!(r.code, 2, "{driver}: {}", r.stderr);
        assert!(
            r.stderr.contains(want) && r.stderr.contains("g.yaml:15"),
            "{driver}: {}",
            r.stderr
        );
    }
}

fn board() -> mcu::Running {
    mcu::spawn(None, Version { major: 1, minor: 4 }, mcu::Faults::default()).expect("board")
}

/// Every light the board switched on was switched off again.
fn dark_at_the_end(emu: &mcu::Running) {
    let lit = emu.events_of("light");
    let last_on = lit.iter().rposition(|e| e["on"] == true);
    let last_off = lit.iter().rposition(|e| e["on"] == false);
    assert!(last_on.is_some() && last_off > last_on, "{lit:?}");
}

/// A camera on a trigger line (as a Daheng MER2 on Line2) and the emulated Squid board: each
/// `snap_on_trigger` sends exactly one strobed pulse, and each pulse gives exactly one frame.
#[test]
fn each_hardware_triggered_frame_comes_from_exactly_one_board_pulse() {
    let _l = exclusive();
    let emu = board();
    // The MER2-like fake (trigger on Line2), wired to the board's trigger output.
    let _rig = squidctl::emulate::camera::FakeRig::start(
        "127.0.0.1",
        "SQ-MER2",
        emu.outputs.clone(),
        None,
    )
    .expect("the fake camera on the board's wire");
    let text = squid_microscope_text(&emu.path.display().to_string(), "2s");
    let config = squidctl::hardware::from_source(SourceFile::new("s.yaml", text)).expect("valid");
    let settings_ = SquidSettings::of(&config).expect("settings");
    let mut b = Board::connect(settings_, &config.desc, Some(8)).expect("connects");
    b.set_light("laser-488", 20.0).expect("light");
    let mut s = settings(PixelFormat::Mono16);
    s.trigger = Trigger::Line2;
    let mut c = GenicamCamera::open(s, 16).expect("opens on Line2");
    assert!(c.waits_for_trigger());
    c.set_exposure(0.01).expect("exposure");
    let small = squidctl::hardware::Roi {
        x: 0,
        y: 0,
        width: 256,
        height: 256,
    };
    c.set_roi(Some(small)).expect("roi");
    let n = 20;
    for i in 0..n {
        let frame = c
            .snap_on_trigger(&mut || b.trigger(0, 0.01, true))
            .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        assert_eq!(frame.meta.frame_number, i + 1);
    }
    let pulses = emu.events_of("trigger");
    assert_eq!(pulses.len() as u64, n, "one pulse per frame");
    assert!(
        pulses
            .iter()
            .all(|p| p["on_time_us"] == 10_000 && p["strobe"] == true)
    );
    // A snap outside the trigger line (autofocus, `devices`) still works, by software.
    c.snap().expect("software snap on a Line2 camera");
    assert_eq!(emu.events_of("trigger").len() as u64, n);
    drop(b);
    dark_at_the_end(&emu);
}

/// The shipped emulated rig as a user starts it: `squidctl emulate mcu --camera 127.0.0.1
/// --microscope FILE` serves the board and the fake camera wired to it; the host uses the
/// same file on the board's port, with fast axes (see `shipped_squid_text`).
fn emulated_rig(dir: &std::path::Path, name: &str) -> (McuProcess, String) {
    let shipped = repo().join("microscopes").join(name).display().to_string();
    let board = McuProcess::start(&["--camera", "127.0.0.1", "--microscope", &shipped]);
    let text = shipped_squid_text(name, &board.link.display().to_string(), "2s");
    let m = write(dir, name, &text);
    (board, m)
}

fn coordinates(rd: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(rd.join("coordinates.csv")).expect("coordinates.csv");
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

/// End to end through the real binary on `microscopes/squid-genicam-emulated.yaml`: the quick
/// start with the stage, lights and triggers on the emulated Squid board and the camera
/// waiting on its Line2; each frame's pulse is in the board's log exactly once, strobing for
/// its exposure, the images show the sample, and `verify` passes.
#[test]
fn the_quick_start_runs_hardware_triggered_on_the_shipped_emulated_rig() {
    let _l = exclusive();
    let dir = tempfile::tempdir().expect("tmp");
    let (board, m) = emulated_rig(dir.path(), "squid-genicam-emulated.yaml");
    let (rd, _) = acquire_verified(dir.path(), "protocols/quickstart.yaml", &m);
    assert_eq!(run_json(&rd)["counts"]["saved"], 72);
    let pulses = board.events_of("trigger");
    assert_eq!(pulses.len(), 72, "one pulse per frame");
    let on_times: std::collections::BTreeSet<u64> = pulses
        .iter()
        .filter_map(|p| p["on_time_us"].as_u64())
        .collect();
    assert_eq!(
        on_times,
        [10_000, 30_000].into(),
        "each strobe lasts its channel's exposure (BF, GFP)"
    );
    // Each frame the camera sent once: 72 distinct camera frame numbers for 72 pulses.
    let frames: std::collections::BTreeSet<String> = coordinates(&rd)
        .iter()
        .map(|row| row["camera frame"].clone())
        .collect();
    assert_eq!(frames.len(), 72, "{frames:?}");
    // The fake draws the simulated sample where the board's stage is, not its ramp.
    let planes = tiff_planes(&rd.join("0/A1_0_BF.ome.tiff"));
    assert_eq!(planes.len(), 3);
    for p in &planes {
        assert!(!ramp(p, 2048), "the fake's diagonal ramp, not the sample");
        let (lo, hi) = p
            .iter()
            .fold((u16::MAX, 0), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(hi > lo + 500, "an image with contrast: {lo}..{hi}");
    }
    assert_ne!(planes[0], planes[1], "z moves the focus");
    let lit = board.events_of("light");
    assert!(lit.last().is_some_and(|e| e["on"] == false), "{lit:?}");
    // Timing is reported, never asserted (a busy machine must not fail the build).
    let est = run(&[
        "simulate",
        "--estimate",
        "--json",
        "protocols/quickstart.yaml",
        "--microscope",
        &m,
    ]);
    let took = journal(&rd).last().and_then(|e| e["run_s"].as_f64());
    eprintln!(
        "hardware-triggered quick start: {took:?} s, estimate {:?} s",
        est.json()["estimate"]["duration_s"].as_f64()
    );
}

fn tiff_planes(path: &std::path::Path) -> Vec<Vec<u16>> {
    let mut planes = Vec::new();
    squidctl::saver::layout::each_page(path, |_, p| planes.push(p)).expect("a 16-bit TIFF");
    planes
}

/// `microscopes/squid-laser-af-emulated.yaml`: the board's autofocus laser and the fake
/// camera on its reflected spot. `calibrate-af` fits the spot's shift per µm where the sample
/// is in focus; then a run with `autofocus: laser` holds every well within one z step of the
/// sample's surface, which is tilted and curved across the plate. No spot is a clear error
/// that leaves the calibration as it was.
#[test]
fn the_laser_autofocus_calibrates_and_holds_focus_on_the_emulated_rig() {
    let _l = exclusive();
    let dir = tempfile::tempdir().expect("tmp");
    let (board, m) = emulated_rig(dir.path(), "squid-laser-af-emulated.yaml");
    let config = squidctl::hardware::load(Some(std::path::Path::new(&m))).expect("valid");
    let scene = squidctl::emulate::camera::Scene::of(&config).expect("scene");
    let calibration = dir.path().join("squid-laser-af-emulated.calibration.yaml");

    let uncalibrated = run(&["devices", "--microscope", &m, "--timeout", "30s"]);
    assert!(
        uncalibrated.stdout.contains("not calibrated"),
        "{}{}",
        uncalibrated.stdout,
        uncalibrated.stderr
    );

    // Preflight says so before any device is opened: AUTOFOCUS_NOT_READY, a person must
    // calibrate (tests/it/methods.rs has the whole report).
    let p = write(
        dir.path(),
        "af.yaml",
        "name: af\nplate: {format: 96, wells: \"A1\"}\nchannels: [{name: BF, exposure: 10ms, intensity: 10%}]\nautofocus: {method: laser, every: well}\n",
    );
    let f = run(&["preflight", &p, "--microscope", &m, "--json"]);
    assert_eq!(f.code, 1, "{}{}", f.stdout, f.stderr);
    assert_eq!(f.json()["faults"][0]["code"], 8002, "{}", f.stdout);

    // The README's calibration: at the plate's middle, where the surface is at focus_z.
    let focus = scene.surface_at(60.0, 40.0);
    let z = format!("{:.4}mm", focus);
    let c = run(&[
        "calibrate-af",
        "--microscope",
        &m,
        "--xy",
        "60mm,40mm",
        "--z",
        &z,
        "--json",
    ]);
    assert_eq!(c.code, 0, "{}{}", c.stdout, c.stderr);
    let fit = &c.json()["calibration"];
    let slope = fit["px_per_um"].as_f64().expect("slope");
    assert!(
        (slope - squidctl::emulate::camera::SPOT_PX_PER_UM).abs() < 0.1,
        "{fit}"
    );
    assert!(fit["r2"].as_f64() > Some(0.995), "{fit}");
    let saved = std::fs::read_to_string(&calibration).expect("calibration written");

    // 0.5 mm from the surface the spot is off the sensor: an error, and the file unchanged.
    let far = format!("{:.4}mm", focus + 0.5);
    let e = run(&[
        "calibrate-af",
        "--microscope",
        &m,
        "--xy",
        "60mm,40mm",
        "--z",
        &far,
    ]);
    assert_eq!(e.code, 1, "{}", e.stderr);
    assert!(
        e.stderr.contains("no spot") || e.stderr.contains("edge"),
        "{}",
        e.stderr
    );
    assert_eq!(std::fs::read_to_string(&calibration).expect("kept"), saved);

    let (rd, _) = acquire_verified(dir.path(), "protocols/laser_autofocus.yaml", &m);
    let rows = coordinates(&rd);
    let centre: Vec<_> = rows.iter().filter(|r| r["z_level"] == "1").collect();
    assert_eq!(centre.len(), 5);
    let surfaces: Vec<f64> = centre
        .iter()
        .map(|r| {
            let num = |k: &str| r[k].parse::<f64>().expect(k);
            let surface = scene.surface_at(num("x (mm)"), num("y (mm)"));
            let off_um = num("z (um)") - surface * 1000.0;
            eprintln!("{}: focused {off_um:+.2} um from the surface", r["region"]);
            assert!(
                off_um.abs() <= 1.0,
                "{}: focused {off_um:+.2} um from the surface (z step 1 um)",
                r["region"]
            );
            surface
        })
        .collect();
    let spread = surfaces.iter().cloned().fold(f64::MIN, f64::max)
        - surfaces.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        spread * 1000.0 > 5.0,
        "the wells' surfaces differ ({spread} mm)"
    );
    let af = kinds(&journal(&rd), "autofocus");
    assert_eq!(af.len(), 5, "{af:?}");
    // The laser was on only for its spot images, and is off at the end.
    let laser = board.events_of("af_laser");
    assert!(laser.len() >= 2 * 5, "{laser:?}");
    assert!(laser.last().is_some_and(|e| e["on"] == false), "{laser:?}");
}
