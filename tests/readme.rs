//! The README stays true: every protocol and microscope key is documented, the exit-code
//! table matches the code, and every `squidctl …` example in it runs.

mod common;
use common::*;

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
    keys.extend(fields::<m::SimDesc>());
    keys.extend(fields::<m::FocusSurfaceDesc>());
    keys.extend(fields::<squidctl::hardware::faults::FaultSpec>());
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

/// Commands in the README's ```sh blocks, one per line (comments stripped).
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let cmd = line.split(" # ").next().unwrap_or("").trim();
        if cmd.contains("squidctl ") && !cmd.starts_with("cargo") {
            out.push(cmd.to_string());
        }
    }
    out
}

#[test]
fn readme_commands_run() {
    let cmds = readme_commands();
    assert!(cmds.len() >= 4, "{cmds:?}");
    let dir = bin()
        .parent()
        .map(std::path::Path::to_path_buf)
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Run where a newcomer would, with the examples at hand, without writing into the repo.
    let work = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(work.path().join("protocols")).expect("mkdir");
    for e in std::fs::read_dir(repo().join("protocols"))
        .expect("protocols")
        .flatten()
    {
        std::fs::copy(e.path(), work.path().join("protocols").join(e.file_name())).expect("copy");
    }
    for c in cmds {
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("set -e; {c}")])
            .current_dir(work.path())
            .env("PATH", &path)
            .env("SQUIDCTL_LOCK_DIR", private_lock_dir())
            .env_remove("SQUIDCTL_MICROSCOPE")
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "`{c}` failed:\n{}\nfiles: {:?}",
            String::from_utf8_lossy(&out.stderr),
            walk(work.path())
        );
    }
}
