//! Disk trouble: a full disk and a directory we may not write give one clear message naming
//! the file and the free space, the output-error exit code, and every earlier file intact.
//! Small file systems are tmpfs mounts in a private mount namespace (`unshare -rm`).

use crate::common::*;

const PROTOCOL: &str = "name: full
plate: {format: 96, wells: \"A1:A4\"}
fov: {grid: 2x2}
z: {count: 5, step: 1um}
channels:
  - {name: GFP, exposure: 10ms, intensity: 50%}
";

/// The simulated camera binned 4× (512×512 frames of 0.5 MB).
fn small_frames(dir: &std::path::Path) -> String {
    let m = microscope(dir, 0.0, &[]);
    binned(&m, 4);
    m
}

/// Run squidctl with `args` inside a private mount namespace where `mnt` is a tmpfs of
/// `size` (and read-only if asked).
fn in_tmpfs(mnt: &std::path::Path, size: &str, read_only: bool, args: &[&str]) -> Run {
    std::fs::create_dir_all(mnt).expect("mount point");
    let mut script = format!("mount -t tmpfs -o size={size} tmpfs '{}'", mnt.display());
    if read_only {
        script.push_str(&format!(" && mount -o remount,ro '{}'", mnt.display()));
    }
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    script.push_str(&format!(
        " && exec '{}' {}",
        bin().display(),
        quoted.join(" ")
    ));
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--map-root-user", "sh", "-c", &script])
        .current_dir(repo())
        .env_remove("SQUIDCTL_MICROSCOPE")
        .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
        .output()
        .expect("unshare (util-linux) is installed");
    Run::from(out)
}

#[test]
fn a_full_disk_stops_the_run_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = small_frames(dir.path());
    let mnt = dir.path().join("small");
    let keep = dir.path().join("keep");
    std::fs::create_dir_all(&keep).expect("keep dir");
    // Run inside the namespace, then copy the run out before the tmpfs goes away.
    let script_args = [
        "acquire",
        &p,
        "--microscope",
        &m,
        "--output",
        &mnt.display().to_string(),
        "--force",
        "--json",
    ];
    let mut script = format!("mount -t tmpfs -o size=9m tmpfs '{}'", mnt.display());
    std::fs::create_dir_all(&mnt).expect("mnt");
    let quoted: Vec<String> = script_args.iter().map(|a| format!("'{a}'")).collect();
    script.push_str(&format!(
        " && '{}' {}; rc=$?; cp -r '{}'/. '{}'; exit $rc",
        bin().display(),
        quoted.join(" "),
        mnt.display(),
        keep.display()
    ));
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--map-root-user", "sh", "-c", &script])
        .current_dir(repo())
        .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
        .output()
        .expect("unshare");
    let r = Run::from(out);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot write frame")
            || r.stderr.contains("cannot create the file")
            || r.stderr.contains("cannot finish the file"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("the disk is full"), "{}", r.stderr);
    assert!(
        r.stderr.contains("free on that disk") && r.stderr.contains("(file "),
        "names the file and the free space:\n{}",
        r.stderr
    );
    let rd = run_dir(&keep);
    let rec = run_json(&rd);
    assert_eq!(rec["state"], "failed", "{rec}");
    assert_eq!(rec["exit_code"], 5);
    // The scheduler's view: IO_DISK_FULL, pause the instrument; the journal says the same.
    let f = &r.json()["fault"];
    assert_eq!(
        (
            f["code"].clone(),
            f["scheduler_action"].clone(),
            f["component"].clone()
        ),
        (
            serde_json::json!(7002),
            serde_json::json!("PAUSE_INSTRUMENT"),
            serde_json::json!("disk")
        ),
        "{f}"
    );
    let end = kinds(&journal(&rd), "end");
    assert_eq!(end[0]["fault"]["code"], 7002, "{}", end[0]);
    assert!(
        rec["counts"]["acquired"].as_u64() < Some(80),
        "acquisition stopped: {rec}"
    );
    // Everything the journal says was finished reads back, plane for plane.
    let files = kinds(&journal(&rd), "file");
    assert!(!files.is_empty());
    for f in &files {
        let path = rd.join(f["path"].as_str().expect("path"));
        let d = tiff::decoder::Decoder::new(std::fs::File::open(&path).expect("file exists"));
        assert!(d.is_ok(), "{} is intact", path.display());
    }
    let complete: u64 = files
        .iter()
        .filter(|f| f["planes"] == f["expected"])
        .count() as u64;
    assert!(complete >= 1, "earlier stacks are complete: {files:?}");
}

#[test]
fn too_little_space_is_refused_before_starting() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = small_frames(dir.path());
    let mnt = dir.path().join("small");
    let r = in_tmpfs(
        &mnt,
        "4m",
        false,
        &[
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &mnt.display().to_string(),
        ],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("the run needs about 42.0 MB but only"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
}

#[test]
fn a_read_only_output_is_a_clear_output_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = small_frames(dir.path());
    let mnt = dir.path().join("ro");
    let r = in_tmpfs(
        &mnt,
        "50m",
        true,
        &[
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &mnt.display().to_string(),
        ],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot create the run directory")
            && r.stderr.contains("Read-only file system"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_directory_we_may_not_write_is_a_clear_output_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "p.yaml", PROTOCOL);
    let m = small_frames(dir.path());
    let locked = dir.path().join("locked");
    std::fs::create_dir_all(&locked).expect("dir");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    for f in [&p, &m] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // Root ignores permissions: run as nobody then.
    let mut cmd = squidctl_unprivileged();
    let out = cmd
        .args([
            "acquire",
            &p,
            "--microscope",
            &m,
            "--output",
            &locked.display().to_string(),
        ])
        .current_dir("/")
        .env_remove("SQUIDCTL_MICROSCOPE")
        .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
        .output()
        .expect("run");
    let r = Run::from(out);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot create the run directory")
            && r.stderr.contains("Permission denied"),
        "{}",
        r.stderr
    );
}
