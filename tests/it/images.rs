//! Our files read back with an independent reader (Python `tifffile`; the tests install it
//! under `target/` when the machine lacks it):
//! OME metadata, axes, shapes, physical sizes, channel names, and pixels identical to what
//! the simulator produced (per-plane CRC-32 from before writing).

use crate::common::*;

const PROTOCOL: &str = "name: img
plate: {format: 96, wells: \"C3\"}
fov: {grid: 1x2, overlap: 10%}
z: {count: 4, step: 1.5um, from: bottom}
channels:
  - {name: BF, exposure: 5ms, intensity: 30%}
  - {name: GFP, exposure: 20ms, intensity: 50%}
";

fn binned_microscope(dir: &std::path::Path, time_scale: f64) -> String {
    let m = microscope(dir, time_scale, &[]);
    binned(&m, 2);
    m
}

fn check(dir: &std::path::Path, expect: serde_json::Value) {
    let script = repo().join("tests/python/check_ome.py");
    let out = python_reader()
        .arg(&script)
        .arg(dir)
        .arg(expect.to_string())
        .output()
        .expect("python3 runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tifffile check failed:\n{}\n{err}",
        String::from_utf8_lossy(&out.stdout),
    );
}

fn acquire_with(extra: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", &format!("{PROTOCOL}{extra}"));
    let m = binned_microscope(dir.path(), 0.0);
    let rd = acquired(&p, &m, &dir.path().join("out"));
    (dir, rd)
}

fn ome_expect() -> serde_json::Value {
    serde_json::json!({"ome": true, "axes": "ZYX", "yx": [1024, 1024], "pixel_um": 0.65, "z_step_um": 1.5, "channels": ["BF", "GFP"]})
}

#[test]
fn ome_tiff_stacks_read_back_exactly() {
    let (_d, rd) = acquire_with("");
    let files: Vec<_> = walk(&rd)
        .into_iter()
        .filter(|p| p.display().to_string().ends_with(".ome.tiff"))
        .collect();
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(rd.join("0/C3_1_GFP.ome.tiff").exists());
    check(&rd, ome_expect());
}

#[test]
fn compressed_stacks_read_back_exactly() {
    for c in ["deflate", "lzw", "zstd"] {
        let (_d, rd) = acquire_with(&format!("output: {{compression: {c}}}\n"));
        check(&rd, ome_expect());
        // squidctl's own reader too: verify decodes every plane.
        let v = run(&["verify", &rd.display().to_string()]);
        assert_eq!(v.code, 0, "{c}: {}{}", v.stdout, v.stderr);
        let raw = 1024 * 1024 * 2 * 4;
        let size = std::fs::metadata(rd.join("0/C3_0_GFP.ome.tiff"))
            .expect("file")
            .len();
        assert!(size < raw, "{c}: {size} bytes is not smaller than {raw}");
    }
}

#[test]
fn bigtiff_stacks_read_back_exactly() {
    let (_d, rd) = acquire_with("output: {bigtiff: always}\n");
    let mut e = ome_expect();
    e["bigtiff"] = true.into();
    check(&rd, e);
}

#[test]
fn all_channels_of_a_fov_in_one_file() {
    let (_d, rd) = acquire_with("output: {grouping: fov}\n");
    assert!(rd.join("0/C3_0.ome.tiff").exists());
    let mut e = ome_expect();
    e["axes"] = "ZCYX".into();
    // tifffile reports ZCYX for XYCZT (channels fastest); shapes are checked by plane count.
    let out = python_reader()
        .args(["-c", "import sys,tifffile; t=tifffile.TiffFile(sys.argv[1]); print(t.series[0].axes, t.series[0].shape)"])
        .arg(rd.join("0/C3_0.ome.tiff"))
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ZCYX (4, 2, 1024, 1024)"), "{text}");
}

#[test]
fn plain_tiffs_in_squid_layout() {
    let (_d, rd) = acquire_with("output: {format: tiff}\n");
    for z in 0..4 {
        assert!(rd.join(format!("0/C3_1_{z}_GFP.tiff")).exists());
    }
    assert!(rd.join("0/coordinates.csv").exists());
    check(
        &rd,
        serde_json::json!({"ome": false, "axes": "YX", "yx": [1024, 1024], "pixel_um": 0.65, "channels": []}),
    );
}

/// Ctrl-C in the middle of the first stack; the files cut short read back with what they hold.
fn cancelled_stack(extra: &str, files_expected: usize, expect: serde_json::Value) {
    let dir = tempfile::tempdir().expect("tmp");
    let protocol = PROTOCOL
        .replace("count: 4", "count: 30")
        .replace("grid: 1x2", "grid: 1x1")
        + extra;
    let p = write(dir.path(), "p.yaml", &protocol);
    let m = binned_microscope(dir.path(), 1.0);
    let out = dir.path().join("out");
    let child = squidctl(&[
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &out.display().to_string(),
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("spawn");
    // Wait for a few planes of the first stack, then Ctrl-C.
    wait_for_frames(&out, 9);
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let r = Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(r.code, 130, "{}", r.stderr);
    let rd = run_dir(&out);
    let files = kinds(&journal(&rd), "file");
    assert_eq!(files.len(), files_expected);
    for f in &files {
        let planes = f["planes"].as_u64().expect("planes");
        let expected = f["expected"].as_u64().expect("expected");
        assert!(planes > 0 && planes < expected, "{f}");
        assert_eq!(expected, 60 / files_expected as u64);
    }
    assert!(
        !walk(&rd)
            .iter()
            .any(|p| p.display().to_string().ends_with(".partial"))
    );
    check(&rd, expect);
}

#[test]
fn a_cancelled_stack_reads_back_with_the_planes_it_holds() {
    cancelled_stack("", 2, ome_expect());
}

/// A FOV file cut short mid-channel declares only the planes it holds (two OME images).
#[test]
fn a_cancelled_fov_file_declares_only_its_planes() {
    let mut e = ome_expect();
    e["axes"] = "ZCYX".into();
    cancelled_stack("output: {grouping: fov}\n", 1, e);
}

/// What the camera reported reaches the files: every plane's frame number, camera timestamp
/// and gain in the OME-XML (a map annotation per plane), read back by tifffile.
#[test]
fn the_camera_s_own_frame_metadata_is_in_the_ome_xml() {
    let (_d, rd) = acquire_with("");
    let script = r#"
import sys, tifffile, xml.etree.ElementTree as ET
ns = {"o": "http://www.openmicroscopy.org/Schemas/OME/2016-06"}
root = ET.fromstring(tifffile.TiffFile(sys.argv[1]).ome_metadata)
ann = {m.get("ID"): {x.get("K"): x.text for x in m.iter("{%s}M" % ns["o"])}
       for m in root.iter("{%s}MapAnnotation" % ns["o"])}
for p in root.iter("{%s}Plane" % ns["o"]):
    a = ann[p.find("o:AnnotationRef", ns).get("ID")]
    print(p.get("TheZ"), p.get("ExposureTime"), a["frame_number"], a["gain"], a["bit_depth"], a["camera_timestamp_s"])
"#;
    let out = python_reader()
        .args(["-c", script])
        .arg(rd.join("0/C3_1_GFP.ome.tiff"))
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(rows.len(), 4, "{text}");
    let numbers: Vec<u64> = rows
        .iter()
        .map(|r| r[2].parse().expect("frame number"))
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "frame numbers rise: {text}"
    );
    assert!(numbers[0] > 0, "{text}");
    for r in &rows {
        assert_eq!(r[1], "0.02", "the exposure the camera reported: {text}");
        assert_eq!(r[4], "12", "{text}");
        assert!(r[5].parse::<f64>().is_ok_and(|t| t > 0.0), "{text}");
    }
    // coordinates.csv has the same frames, one row each, with the same camera metadata.
    let csv = std::fs::read_to_string(rd.join("0/coordinates.csv")).expect("coordinates.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(
        header,
        [
            "region",
            "fov",
            "z_level",
            "x (mm)",
            "y (mm)",
            "z (um)",
            "time",
            "channel",
            "exposure (ms)",
            "gain",
            "camera frame",
            "camera time (s)",
            "bit depth"
        ]
    );
    let gfp: Vec<Vec<&str>> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[0] == "C3" && r[1] == "1" && r[7] == "GFP")
        .collect();
    assert_eq!(gfp.len(), 4, "{csv}");
    let csv_numbers: Vec<u64> = gfp.iter().map(|r| r[10].parse().expect("frame")).collect();
    assert_eq!(csv_numbers, numbers, "{csv}");
    for (r, ome) in gfp.iter().zip(&rows) {
        assert_eq!(r[8], "20", "{csv}");
        assert_eq!(r[12], "12", "{csv}");
        let (a, b): (f64, f64) = (r[11].parse().expect("t"), ome[5].parse().expect("t"));
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}
