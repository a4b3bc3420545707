//! Helpers for running the real binary in integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_squidctl"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh lock directory, so tests running in parallel on the same simulated microscope do
/// not see each other as busy (lock tests share one on purpose).
/// Named by a random draw per test process as well as its pid: pids come round again, and a
/// directory an earlier process left (perhaps as another user) must never be taken for ours.
pub fn private_lock_dir() -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static DRAW: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let draw = DRAW.get_or_init(|| {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    });
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!(
        "squidctl-test-locks-{}-{draw:016x}-{n}",
        std::process::id()
    ))
}

/// The environment every test's squidctl runs in: no user microscope, no log settings, and
/// locks of its own (also for squidctl started through a shell or `script`).
pub fn clean_env(c: &mut Command) -> &mut Command {
    c.env_remove("SQUIDCTL_MICROSCOPE")
        .env_remove("SQUIDCTL_LOG")
        .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
}

/// A squidctl command with a clean environment.
pub fn squidctl(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    clean_env(&mut c)
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null());
    c
}

/// squidctl working in `dir` with its own spool (`dir/spool`), locks and microscope.
pub fn queue_cmd(dir: &Path, locks: &Path, microscope: &str, args: &[&str]) -> Command {
    let mut c = squidctl(args);
    c.current_dir(dir)
        .env("SQUIDCTL_SPOOL", dir.join("spool"))
        .env("SQUIDCTL_LOCK_DIR", locks)
        .env("SQUIDCTL_MICROSCOPE", microscope);
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// `acquire PROTOCOL --microscope MICROSCOPE --output OUT`.
#[allow(dead_code)]
pub fn acquire_args(protocol: &str, microscope: &str, out: &Path) -> Vec<String> {
    [
        "acquire",
        protocol,
        "--microscope",
        microscope,
        "--output",
        &out.display().to_string(),
    ]
    .map(String::from)
    .to_vec()
}

/// Acquire into `out`, which must succeed; the run directory.
#[allow(dead_code)]
pub fn acquired(protocol: &str, microscope: &str, out: &Path) -> PathBuf {
    let args = acquire_args(protocol, microscope, out);
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{protocol}: {}", r.stderr);
    run_dir(out)
}

pub fn run(args: &[&str]) -> Run {
    Run::from(squidctl(args).output().expect("spawn squidctl"))
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::from(
        squidctl(args)
            .current_dir(dir)
            .output()
            .expect("spawn squidctl"),
    )
}

pub fn run_stdin(args: &[&str], input: &str) -> Run {
    let mut child = squidctl(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn squidctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    Run::from(child.wait_with_output().expect("wait"))
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write file");
    p.display().to_string()
}

/// A small valid protocol to mutate in tests.
pub const SMALL: &str = "name: small
plate:
  format: 96
  wells: \"A1:A2\"
fov:
  grid: 2x2
channels:
  - name: BF
    exposure: 10ms
    intensity: 40%
  - name: GFP
    exposure: 20ms
    intensity: 50%
";

/// The built-in microscope with a time scale and scripted faults (YAML list items).
pub fn microscope(dir: &Path, time_scale: f64, faults: &[&str]) -> String {
    let text = std::fs::read_to_string(repo().join("microscopes/squid-sim.yaml")).expect("builtin");
    let faults = if faults.is_empty() {
        "\nfaults: []".to_string()
    } else {
        format!(
            "\nfaults:\n{}",
            faults
                .iter()
                .map(|f| format!("  - {f}\n"))
                .collect::<String>()
        )
    };
    let text = text
        .replace("time_scale: 0.1", &format!("time_scale: {time_scale}"))
        .replace("\nfaults: []", faults.trim_end());
    write(dir, "microscope.yaml", &text)
}

/// One well, 2×2 FOVs, 3 planes, 2 channels: 24 frames.
pub const RUN: &str = "name: run
plate: {format: 96, wells: \"B2\"}
fov: {grid: 2x2, overlap: 10%}
z: {count: 3, step: 2um, from: center}
channels:
  - {name: BF, exposure: 10ms, intensity: 30%}
  - {name: GFP, exposure: 20ms, intensity: 50%}
on_error: {retries: 2, backoff: 10ms}
";

/// The single run directory under `parent`.
pub fn run_dir(parent: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(parent)
        .expect("output dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(
        dirs.len(),
        1,
        "expected one run directory in {}: {dirs:?}",
        parent.display()
    );
    dirs[0].clone()
}

pub fn run_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("run.json")).expect("run.json");
    serde_json::from_str(&text).expect("run.json parses")
}

/// The journal as JSON, every line checked against the typed records on the way: a record
/// the readers (`resume`, `report`, `verify`) cannot read fails whichever test looked.
pub fn journal(dir: &Path) -> Vec<serde_json::Value> {
    use squidctl::run_dir::journal::{Entry, Record};
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).expect("journal");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            assert_eq!(
                i + 1,
                lines.len(),
                "only a torn last line may be unreadable: {l}"
            );
            continue;
        };
        match serde_json::from_str::<Entry>(l) {
            Ok(Entry {
                record: Record::Unknown,
                ..
            }) => panic!("journal line {} has a kind no reader knows: {l}", i + 1),
            Ok(_) => {}
            Err(e) => panic!(
                "journal line {} does not match its record type ({e}): {l}",
                i + 1
            ),
        }
        out.push(v);
    }
    out
}

/// Planes in every image file of a run, read back with the tiff crate.
pub fn planes_on_disk(dir: &Path) -> u64 {
    let mut n = 0;
    for entry in walk(dir) {
        let name = entry.display().to_string();
        if !(name.ends_with(".tiff") || name.ends_with(".tif")) {
            continue;
        }
        let f = std::fs::File::open(&entry).expect("open image");
        let mut d =
            tiff::decoder::Decoder::new(std::io::BufReader::new(f)).expect("a readable TIFF");
        loop {
            n += 1;
            if !d.more_images() {
                break;
            }
            d.next_image().expect("next page");
        }
    }
    n
}

pub use squidctl::saver::layout::walk;

pub fn kinds(j: &[serde_json::Value], kind: &str) -> Vec<serde_json::Value> {
    j.iter().filter(|e| e["kind"] == kind).cloned().collect()
}

/// The random seed of a randomized test: `$SQUIDCTL_TEST_SEED`, else the clock (tests print it
/// on failure so a run can be replayed).
pub fn seed() -> u64 {
    std::env::var("SQUIDCTL_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

/// Bin a microscope file's camera (smaller frames, faster tests).
pub fn binned(microscope: &str, binning: u32) {
    let text = std::fs::read_to_string(microscope).expect("microscope file");
    std::fs::write(
        microscope,
        text.replace("binning: 1", &format!("binning: {binning}")),
    )
    .expect("write");
}

/// The single run directory under `out` once its journal has at least `frames` frames.
pub fn wait_for_frames(out: &Path, frames: usize) -> PathBuf {
    let t = std::time::Instant::now();
    loop {
        if let Ok(mut e) = std::fs::read_dir(out)
            && let Some(Ok(d)) = e.next()
            && d.path().join("journal.jsonl").exists()
            && let j = journal(&d.path())
            // Born: a run killed before its start record was never a run (resume says so).
            && !kinds(&j, "start").is_empty()
            && kinds(&j, "frame").len() >= frames
        {
            return d.path();
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(30),
            "no run reached {frames} frames in {}",
            out.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Start squidctl in the background and return once its run has begun (a start record).
pub fn start_run(args: &[&str], out: &Path) -> std::process::Child {
    let child = squidctl(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_frames(out, 0);
    child
}

/// path → per-plane CRCs, from the latest journal record of each file.
pub fn saved_planes(dir: &Path) -> std::collections::BTreeMap<String, Vec<u64>> {
    kinds(&journal(dir), "file")
        .into_iter()
        .map(|f| {
            let crcs = f["plane_crc32"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_u64()).collect())
                .unwrap_or_default();
            (f["path"].as_str().unwrap_or("").to_string(), crcs)
        })
        .collect()
}

/// Every file the journal lists reads back with exactly the recorded plane checksums.
pub fn assert_files_read_back(rd: &Path, label: &str) {
    for (path, want) in saved_planes(rd) {
        let full = rd.join(&path);
        let crcs = squidctl::saver::layout::read_pages(&full)
            .map(|p| p.crcs)
            .unwrap_or_else(|e| panic!("{label}: {}: {e}", full.display()));
        let crcs: Vec<u64> = crcs.into_iter().map(u64::from).collect();
        assert_eq!(crcs, want, "{label}: {path}");
    }
}

/// squidctl as a user that file permissions apply to: `nobody` when we are root.
pub fn squidctl_unprivileged() -> Command {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin());
        c
    } else {
        Command::new(bin())
    }
}

/// `python3` able to import the independent TIFF reader (`tifffile`, `numpy`, `imagecodecs`).
#[allow(dead_code)]
pub fn python_reader() -> Command {
    static READY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    python_with(&READY, "pyreader")
}

/// `python3` able to import the TIFF reader and the independent OME-Zarr readers
/// (zarr-python 3 and ome-zarr-models, which validates NGFF 0.5 metadata).
#[allow(dead_code)]
pub fn python_zarr() -> Command {
    static READY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    python_with(&READY, "pyzarr")
}

/// `python3` able to import useq-schema (pymmcore-plus's acquisition format) and PyYAML.
#[allow(dead_code)]
pub fn python_useq() -> Command {
    static READY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    python_with(&READY, "pyuseq")
}

/// `python3` able to import httpx (the Squid-API client test's HTTP library).
#[allow(dead_code)]
pub fn python_httpx() -> Command {
    static READY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    python_with(&READY, "pyhttpx")
}

/// `python3` able to import openapi-spec-validator and schemathesis (the API's contract test).
#[allow(dead_code)]
pub fn python_openapi() -> Command {
    static READY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    python_with(&READY, "pyopenapi")
}

/// An exclusive flock on `path` (created if need be), held until the file is dropped: how
/// test processes, and `.ci/run`, take turns at a shared install or device.
pub fn hold_lock(path: &Path) -> std::fs::File {
    let file =
        std::fs::File::create(path).unwrap_or_else(|e| panic!("lock file {}: {e}", path.display()));
    // SAFETY: flock on a descriptor we own; released when the file closes.
    unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
    file
}

/// A reader's import check and pip packages, from `tests/python/readers.txt` (which
/// `.ci/run` reads too, to install them while the code compiles).
fn reader(name: &str) -> (&'static str, Vec<&'static str>) {
    include_str!("../../python/readers.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let mut f = l.split('|');
            (f.next() == Some(name)).then(|| {
                let check = f.next().unwrap_or_default();
                (check, f.next().unwrap_or_default().split(' ').collect())
            })
        })
        .unwrap_or_else(|| panic!("tests/python/readers.txt has no line for {name}"))
}

/// `python3` able to run the reader's import check. A machine without it gets the reader's
/// packages once, under `target/tmp/NAME`, so `cargo test` alone is enough on a fresh machine; a flock
/// keeps parallel test processes from installing twice.
fn python_with(ready: &'static std::sync::OnceLock<Option<PathBuf>>, name: &str) -> Command {
    let (modules, packages) = reader(name);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let importable = |path: Option<&Path>| {
        let mut c = Command::new("python3");
        c.args(["-c", modules])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(p) = path {
            c.env("PYTHONPATH", p);
        }
        c.status().is_ok_and(|s| s.success())
    };
    let path = ready.get_or_init(|| {
        if importable(None) {
            return None;
        }
        std::fs::create_dir_all(dir.parent().expect("target/tmp")).expect("create target/tmp");
        let _lock = hold_lock(&dir.with_extension("lock"));
        if !importable(Some(&dir)) {
            let out = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
                .arg("--target")
                .arg(&dir)
                .args(&packages)
                .output()
                .expect("python3 runs (the tests read our images back with Python readers)");
            assert!(
                out.status.success() && importable(Some(&dir)),
                "cannot install the independent readers into {}: python3 -m pip install {} failed:\n{}",
                dir.display(),
                packages.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(dir.clone())
    });
    let mut c = Command::new("python3");
    if let Some(p) = path {
        c.env("PYTHONPATH", p);
    }
    c
}

/// The shipped emulated-Squid microscope on `port`, with fast axes so homing takes about a
/// second, and the firmware watchdog as given ("0s" turns heartbeats off).
pub fn squid_microscope_text(port: &str, watchdog: &str) -> String {
    shipped_squid_text("squid-emulated.yaml", port, watchdog)
}

/// The shipped emulated-Squid microscope on `port` exactly as shipped: its stage speeds
/// (homing takes seconds, longer than the watchdog), the watchdog as given.
pub fn squid_microscope_shipped(port: &str, watchdog: &str) -> String {
    let text = std::fs::read_to_string(repo().join("microscopes/squid-emulated.yaml"))
        .expect("the shipped file");
    assert!(text.contains("port: /tmp/squid-mcu") && text.contains("watchdog: 2s"));
    text.replace("port: /tmp/squid-mcu", &format!("port: {port}"))
        .replace("watchdog: 2s", &format!("watchdog: {watchdog}"))
}

/// A shipped `microscopes/` file for the emulated board (see [`squid_microscope_text`]).
pub fn shipped_squid_text(name: &str, port: &str, watchdog: &str) -> String {
    let text =
        std::fs::read_to_string(repo().join("microscopes").join(name)).expect("the shipped file");
    assert!(
        text.contains("port: /tmp/squid-mcu"),
        "{name} names the README's port"
    );
    text.replace("port: /tmp/squid-mcu", &format!("port: {port}"))
        .replace("watchdog: 2s", &format!("watchdog: {watchdog}"))
        .replace(
            "speed: 30mm/s, acceleration: 500mm/s2",
            "speed: 200mm/s, acceleration: 5000mm/s2",
        )
        .replace(
            "speed: 5mm/s, acceleration: 100mm/s2",
            "speed: 40mm/s, acceleration: 1000mm/s2",
        )
}

/// Light intervals (port, on at, off at; `None` while still on) on the board's clock, from
/// the `light` events of its log.
pub fn light_intervals(events: &[serde_json::Value]) -> Vec<(String, f64, Option<f64>)> {
    let mut open: std::collections::BTreeMap<String, f64> = Default::default();
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e["kind"] == "light") {
        let port = e["port"].to_string();
        let t = e["t"].as_f64().unwrap_or(f64::NAN);
        if e["on"] == true {
            open.entry(port).or_insert(t);
        } else if port == "\"all\"" {
            for (p, on) in std::mem::take(&mut open) {
                out.push((p, on, Some(t)));
            }
        } else if let Some(on) = open.remove(&port) {
            out.push((port, on, Some(t)));
        }
    }
    out.extend(open.into_iter().map(|(p, on)| (p, on, None)));
    out
}

/// No two sources were ever lit at the same time (a frame under two lights).
pub fn assert_never_two_lights(iv: &[(String, f64, Option<f64>)], what: &str) {
    for (i, a) in iv.iter().enumerate() {
        for b in &iv[i + 1..] {
            let (a_end, b_end) = (a.2.unwrap_or(f64::MAX), b.2.unwrap_or(f64::MAX));
            assert!(
                a.0 == b.0 || a_end <= b.1 || b_end <= a.1,
                "{what}: {} and {} were lit together: {a:?} {b:?}",
                a.0,
                b.0
            );
        }
    }
}

/// `squidctl emulate mcu` as a process on a symlink in its own directory, killed on drop so
/// no emulator outlives its test.
pub struct McuProcess {
    child: std::process::Child,
    pub link: PathBuf,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl McuProcess {
    pub fn start(extra: &[&str]) -> McuProcess {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("tmp");
        let link = dir.path().join("ttySquid");
        let log = dir.path().join("board.jsonl");
        let (l, g) = (link.display().to_string(), log.display().to_string());
        let mut args = vec!["emulate", "mcu", "--link", &l, "--log", &g];
        args.extend_from_slice(extra);
        let mut child = squidctl(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("emulator starts");
        let mut first = String::new();
        let _ = std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first);
        let p = McuProcess {
            child,
            link,
            log,
            _dir: dir,
        };
        assert!(first.starts_with("/dev/"), "the emulator printed {first:?}");
        p
    }

    /// A microscope file on this board (see [`squid_microscope_text`]), `faults` as YAML items.
    pub fn microscope(&self, dir: &Path, watchdog: &str, faults: &[&str]) -> String {
        let text = squid_microscope_text(&self.link.display().to_string(), watchdog);
        let faults: String = faults.iter().map(|f| format!("\n  - {f}")).collect();
        let text = if faults.is_empty() {
            text
        } else {
            text.replace("faults: []", &format!("faults:{faults}"))
        };
        write(dir, "squid.yaml", &text)
    }

    /// The shipped emulated-Squid microscope on this board at the shipped speeds, written
    /// into `dir` (see [`squid_microscope_shipped`]).
    pub fn shipped_microscope(&self, dir: &Path, watchdog: &str) -> String {
        let text = squid_microscope_shipped(&self.link.display().to_string(), watchdog);
        write(dir, "squid.yaml", &text)
    }

    /// What the board logged so far.
    pub fn events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn events_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["kind"] == kind)
            .collect()
    }
}

impl Drop for McuProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
