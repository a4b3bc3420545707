//! OME-Zarr stores read by independent readers (zarr-python 3 for pixels, ome-zarr-models for
//! the NGFF 0.5 metadata; the tests install both under `target/` when the machine lacks
//! them), compared plane by plane with the same run written as OME-TIFF; a store killed with
//! SIGKILL and resumed; verify against damage; the estimate against what is on disk.

use crate::common::*;
use std::path::{Path, PathBuf};

/// Two wells of two fields, three planes, GFP every other time point: the store has time
/// points where a channel was never taken (they must read as the fill value).
const PROTOCOL: &str = "name: zp
plate: {format: 96, wells: \"B2:B3\"}
fov: {grid: 1x2, overlap: 10%}
z: {count: 3, step: 1.5um, from: bottom}
channels:
  - {name: BF, exposure: 5ms, intensity: 30%}
  - {name: GFP, exposure: 20ms, intensity: 50%, acquire_every: 2}
time: {every: 1s, count: 3}
";

fn acquire(dir: &Path, label: &str, protocol: &str, time_scale: f64) -> PathBuf {
    let p = write(dir, &format!("{label}.yaml"), protocol);
    let m = microscope(dir, time_scale, &[]);
    binned(&m, 4);
    acquired(&p, &m, &dir.join(label))
}

fn zarr_check(args: &[&str]) -> String {
    let out = python_zarr()
        .arg(repo().join("tests/python/check_zarr.py"))
        .args(args)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "check_zarr.py {}:\n{stdout}\n{}",
        args.first().copied().unwrap_or(""),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn store(rd: &Path, name: &str) -> String {
    rd.join(format!("{name}.ome.zarr")).display().to_string()
}

fn verify(rd: &Path) -> Run {
    run(&["verify", &rd.display().to_string()])
}

#[test]
fn every_plane_equals_the_ome_tiff_run_and_the_metadata_validates() {
    let dir = tempfile::tempdir().expect("tmp");
    let tiff = acquire(dir.path(), "tiff", PROTOCOL, 0.0);
    let expect = serde_json::json!({
        "wells": ["B/2", "B/3"], "rows": 8, "columns": 12, "fields": 2,
        "channels": ["BF", "GFP"], "shape": [3, 2, 3, 512, 512],
        "dt_s": 1.0, "z_step_um": 1.5, "pixel_um": 1.3,
        // BF at 3 time points and GFP at 2, three planes each, 4 fields.
        "planes": (3 + 2) * 3 * 4
    });
    for (label, output) in [
        (
            "deflate",
            "output: {format: ome-zarr, compression: deflate}\n",
        ),
        (
            "zstd_fov",
            "output: {format: ome-zarr, compression: zstd, grouping: fov}\n",
        ),
        ("raw", "output: {format: ome-zarr}\n"),
    ] {
        let rd = acquire(dir.path(), label, &format!("{PROTOCOL}{output}"), 0.0);
        let said = zarr_check(&[
            "compare",
            &tiff.display().to_string(),
            &store(&rd, "zp"),
            &expect.to_string(),
        ]);
        assert!(
            said.contains("60 planes identical in 4 fields"),
            "{label}: {said}"
        );
        let v = verify(&rd);
        assert_eq!(v.code, 0, "{label}: {}", v.stdout);
        assert!(v.stdout.starts_with("ok: "), "{label}: {}", v.stdout);
        // Shards per FOV visit: one per channel taken, or one for all of them.
        let shards = walk(&rd.join("zp.ome.zarr"))
            .iter()
            .filter(|p| p.components().any(|c| c.as_os_str() == "c"))
            .count();
        let want = if label == "zstd_fov" { 3 * 4 } else { 5 * 4 };
        assert_eq!(shards, want, "{label}");
    }
}

#[test]
fn the_estimate_counts_the_stores_files_and_bytes_exactly() {
    let dir = tempfile::tempdir().expect("tmp");
    let protocol = format!("{PROTOCOL}output: {{format: ome-zarr}}\n");
    let p = write(dir.path(), "e.yaml", &protocol);
    let m = microscope(dir.path(), 0.0, &[]);
    binned(&m, 4);
    let est = run(&["simulate", &p, "--microscope", &m, "--estimate", "--json"]);
    assert_eq!(est.code, 0, "{}", est.stderr);
    let v: serde_json::Value = serde_json::from_str(&est.stdout).expect("json");
    let rd = acquire(dir.path(), "e", &protocol, 0.0);
    let files = walk(&rd.join("zp.ome.zarr"));
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).expect("stat").len())
        .sum();
    assert_eq!(v["estimate"]["files"], files.len() as u64);
    assert_eq!(v["estimate"]["bytes"], bytes);
}

#[test]
fn sigkill_then_resume_gives_the_store_an_uninterrupted_run_gives() {
    let dir = tempfile::tempdir().expect("tmp");
    let protocol = format!("{PROTOCOL}output: {{format: ome-zarr, compression: zstd}}\n");
    let full = acquire(dir.path(), "full", &protocol, 0.0);
    let p = write(dir.path(), "k.yaml", &protocol);
    let m = microscope(dir.path(), 0.3, &[]);
    binned(&m, 4);
    let out = dir.path().join("killed");
    let args = acquire_args(&p, &m, &out);
    let mut child = start_run(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    let rd = wait_for_frames(&out, 23);
    let _ = child.kill();
    let _ = child.wait();
    // Cut short, the store still opens and validates; what was not saved reads as zeros.
    zarr_check(&["opens", &store(&rd, "zp")]);
    assert_ne!(verify(&rd).code, 0, "a killed run is not complete");
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = verify(&rd);
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert!(
        walk(&rd)
            .iter()
            .all(|p| p.extension().is_none_or(|e| e != "partial")),
        "no temporary shard is left"
    );
    assert_eq!(saved_planes(&rd), saved_planes(&full));
    let said = zarr_check(&["same", &store(&full, "zp"), &store(&rd, "zp")]);
    assert!(said.contains("4 fields identical"), "{said}");
}

#[test]
fn verify_names_damage_and_resume_rewrites_metadata_without_acquiring_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = acquire(
        dir.path(),
        "d",
        &format!("{PROTOCOL}output: {{format: ome-zarr, compression: deflate}}\n"),
        0.0,
    );
    let frames = kinds(&journal(&rd), "frame").len();
    let zs = rd.join("zp.ome.zarr");
    // A changed pixel inside a compressed tile, a lost field document, a changed scale.
    let shard = zs.join("B/3/1/0/c/2/0/0/0/0");
    let mut b = std::fs::read(&shard).expect("shard");
    b[100] ^= 0x40;
    std::fs::write(&shard, &b).expect("write");
    std::fs::remove_file(zs.join("B/2/0/zarr.json")).expect("rm");
    let array = zs.join("B/2/1/0/zarr.json");
    let text = std::fs::read_to_string(&array).expect("array");
    std::fs::write(&array, text.replace("\"uint16\"", "\"uint8\"")).expect("write");
    let v = verify(&rd);
    assert_eq!(v.code, 1, "{}", v.stdout);
    for want in [
        "zp.ome.zarr/B/3/1/0/c/2/0/0/0/0: corrupt",
        "zp.ome.zarr/B/2/0/zarr.json: corrupt metadata",
        "zp.ome.zarr/B/2/1/0/zarr.json: corrupt metadata: data_type is \"uint8\", not \"uint16\"",
    ] {
        assert!(v.stdout.contains(want), "{want}\n{}", v.stdout);
    }
    assert!(
        v.stdout.contains("2 files") || v.stdout.contains("of 20 files"),
        "{}",
        v.stdout
    );
    let r = run(&["resume", &rd.display().to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = verify(&rd);
    assert_eq!(v.code, 0, "{}", v.stdout);
    // Only the damaged shard's visit was taken again (BF at t=2: 3 planes).
    assert_eq!(kinds(&journal(&rd), "frame").len(), frames + 3);
    zarr_check(&["opens", &store(&rd, "zp")]);
}

#[test]
fn a_positions_run_is_a_store_of_images_under_their_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let rd = acquire(
        dir.path(),
        "pos",
        "name: pos
positions:
  - {name: spot 1, x: 20mm, y: 15mm}
  - {name: spot-2, x: 30mm, y: 25mm}
fov: {grid: 1x2}
z: {count: 2, step: 2um}
channels:
  - {name: BF, exposure: 5ms, intensity: 30%}
output: {format: ome-zarr, grouping: fov}
",
        0.0,
    );
    let expect = serde_json::json!({
        "images": ["spot_1/0", "spot_1/1", "spot-2/0", "spot-2/1"],
        "shape": [1, 1, 2, 512, 512]
    });
    let said = zarr_check(&["positions", &store(&rd, "pos"), &expect.to_string()]);
    assert!(said.contains("4 position fields"), "{said}");
    assert_eq!(verify(&rd).code, 0);
}

#[test]
fn settings_that_do_not_fit_the_format_are_refused_where_written() {
    let dir = tempfile::tempdir().expect("tmp");
    for (output, want) in [
        (
            "output: {format: ome-zarr, compression: lzw}\n",
            "Zarr has no LZW codec",
        ),
        (
            "output: {format: ome-zarr, bigtiff: always}\n",
            "`bigtiff` is a TIFF setting",
        ),
    ] {
        let p = write(dir.path(), "bad.yaml", &format!("{PROTOCOL}{output}"));
        let r = run(&["validate", &p]);
        assert_eq!(r.code, 2, "{output}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{output}: {}", r.stderr);
        assert!(r.stderr.contains("bad.yaml:9:"), "{output}: {}", r.stderr);
    }
    let p = write(
        dir.path(),
        "names.yaml",
        "name: n
positions:
  - {name: ok, x: 20mm, y: 15mm}
  - {name: ZARR.json, x: 30mm, y: 15mm}
channels:
  - {name: BF, exposure: 5ms, intensity: 30%}
output: {format: ome-zarr}
",
    );
    let r = run(&["validate", &p]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("names.yaml:4:12"), "{}", r.stderr);
    assert!(r.stderr.contains("store's own `zarr.json`"), "{}", r.stderr);
}
