//! The README stays true: every protocol and microscope key is documented, the exit-code
//! table matches the code, and every `squidctl …` example in it runs.

use crate::common::*;

use serde::de::{self, Deserialize, Visitor};
use squidctl::exit::Exit;
use squidctl::microscope::description as m;
use squidctl::protocol::schema as p;

/// A deserializer that only records the field names a struct asks for.
struct Fields(std::cell::RefCell<Vec<&'static str>>);

#[derive(Debug)]
struct Stop;
impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("stop")
    }
}
impl std::error::Error for Stop {}
impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for &Fields {
    type Error = Stop;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        f: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.borrow_mut().extend_from_slice(f);
        Err(Stop)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

fn fields<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
    let f = Fields(Default::default());
    let _ = T::deserialize(&f);
    f.0.into_inner()
}

#[test]
fn every_key_is_documented() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let mut keys = Vec::new();
    keys.extend(fields::<p::Protocol>());
    keys.extend(fields::<p::PlateSpec>());
    keys.extend(fields::<p::CustomPlate>());
    keys.extend(fields::<p::PositionSpec>());
    keys.extend(fields::<p::FovSpec>());
    keys.extend(fields::<p::FillSpec>());
    keys.extend(fields::<p::ZSpec>());
    keys.extend(fields::<p::ChannelSpec>());
    keys.extend(fields::<p::TimeSpec>());
    keys.extend(fields::<p::AutofocusSpec>());
    keys.extend(fields::<p::Timeouts>());
    keys.extend(fields::<p::OnError>());
    keys.extend(fields::<p::OutputSpec>());
    keys.extend(fields::<m::MicroscopeDesc>());
    keys.extend(fields::<m::StageDesc>());
    keys.extend(fields::<m::CameraDesc>());
    keys.extend(fields::<m::ObjectiveDesc>());
    keys.extend(fields::<m::ChannelDesc>());
    keys.extend(fields::<m::LaserAfDesc>());
    keys.extend(fields::<m::AxisDesc>());
    keys.extend(fields::<m::IlluminationDesc>());
    keys.extend(fields::<m::FilterWheelDesc>());
    keys.extend(fields::<m::PiezoDesc>());
    keys.extend(fields::<squidctl::hardware::sim::SimPlateDesc>());
    keys.extend(fields::<squidctl::hardware::sim::SimSettings>());
    keys.extend(fields::<squidctl::hardware::sim::FocusSurfaceDesc>());
    keys.extend(fields::<squidctl::hardware::faults::FaultSpec>());
    keys.extend(fields::<squidctl::hardware::squid::settings::SquidSettings>());
    keys.extend(fields::<squidctl::hardware::squid::settings::AxisSettings>());
    keys.extend(fields::<squidctl::hardware::squid::settings::TriggerSettings>());
    keys.extend(fields::<
        squidctl::hardware::genicam::settings::GenicamSettings,
    >());
    assert!(keys.len() > 60, "{keys:?}");
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !readme.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from the README: {missing:?}"
    );
}

#[test]
fn exit_code_table_matches_the_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    for e in Exit::ALL {
        let row = format!("| {} | {} |", e.code(), e.meaning());
        assert!(readme.contains(&row), "README lacks the row `{row}`");
    }
}

#[test]
fn fault_table_is_generated_from_the_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    assert!(
        readme.contains(&squidctl::fault::Code::markdown_table()),
        "the README's fault table differs from the code: paste `squidctl faults --codes`"
    );
}

/// The README's shell examples: each ```sh block (except the set-up one with `cargo`) as one
/// script, and each ```crontab line's command (after its five schedule fields).
fn readme_scripts() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let mut out = Vec::new();
    let mut block: Option<(String, Vec<String>)> = None;
    for line in readme.lines() {
        if let Some(fence) = line.strip_prefix("```") {
            match block.take() {
                None => block = Some((fence.trim().to_string(), Vec::new())),
                Some((kind, lines)) => {
                    if kind == "sh" && !lines.iter().any(|l| l.starts_with("cargo ")) {
                        out.push(lines.join("\n"));
                    }
                    if kind == "crontab" {
                        for l in lines {
                            let cmd: Vec<&str> = l.split_whitespace().skip(5).collect();
                            out.push(cmd.join(" "));
                        }
                    }
                }
            }
            continue;
        }
        if let Some((_, lines)) = block.as_mut() {
            lines.push(
                line.split(" # ")
                    .next()
                    .unwrap_or("")
                    .trim_end()
                    .to_string(),
            );
        }
    }
    out
}

#[test]
fn readme_commands_run() {
    let scripts = readme_scripts();
    assert!(scripts.len() >= 5, "{scripts:#?}");
    assert!(
        scripts.iter().any(|s| s.contains("squidctl acquire"))
            && scripts
                .iter()
                .any(|s| s.contains("squidctl resume") || s.contains("squidctl verify"))
    );
    let dir = bin()
        .parent()
        .map(std::path::Path::to_path_buf)
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Run where a newcomer would, with the examples at hand, without writing into the repo;
    // `$HOME/screens` is where the cron example works.
    let work = tempfile::tempdir().expect("tmp");
    for sub in ["protocols", "screens/protocols"] {
        std::fs::create_dir_all(work.path().join(sub)).expect("mkdir");
        for e in std::fs::read_dir(repo().join("protocols"))
            .expect("protocols")
            .flatten()
        {
            std::fs::copy(e.path(), work.path().join(sub).join(e.file_name())).expect("copy");
        }
    }
    copy_tree(&repo().join("examples"), &work.path().join("examples"));
    copy_tree(
        &repo().join("microscopes"),
        &work.path().join("microscopes"),
    );
    // The built-in microscope, but instant and binned 8× so whole examples run in seconds.
    let fast = squidctl::microscope::BUILTIN_YAML
        .replace("time_scale: 0.1", "time_scale: 0")
        .replace("binning: 1", "binning: 8");
    let fast_path = work.path().join("fast-microscope.yaml");
    std::fs::write(&fast_path, fast).expect("write");
    // The API examples' Python clients (httpx, websockets) as the tests install them.
    let pythonpath = python_httpx()
        .get_envs()
        .find(|(k, _)| *k == "PYTHONPATH")
        .and_then(|(_, v)| v.map(std::ffi::OsStr::to_os_string))
        .unwrap_or_default();
    for script in scripts {
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("set -e\n{script}")])
            .current_dir(work.path())
            .env("PATH", &path)
            .env("HOME", work.path())
            .env_remove("XDG_STATE_HOME")
            .env_remove("SQUIDCTL_SPOOL")
            .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
            .env("SQUIDCTL_MICROSCOPE", &fast_path)
            .env("PYTHONPATH", &pythonpath)
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "`{script}` failed:\n{}",
            String::from_utf8_lossy(&out.stderr),
        );
    }
    assert!(work.path().join("batch.jsonl").exists());
    assert!(work.path().join("screens/cron.log").exists());
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}
