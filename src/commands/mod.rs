//! One file per command. Each returns an [`Exit`]; none prints a panic or a Rust error type.

pub mod acquire;
pub mod calibrate_af;
pub mod completions;
pub mod describe;
pub mod devices;
pub mod emulate;
pub mod import;
pub mod plan;
pub mod queue;
pub mod report;
pub mod resume;
pub mod run;
pub mod serve;
pub mod simulate;
pub mod submit;
pub mod tasks;
pub mod timeline;
pub mod validate;
pub mod verify;
pub mod wait;
pub mod worker;

use crate::cli::ProtocolInput;
use crate::diagnostic::Diagnostics;
use crate::exit::Exit;
use crate::protocol::LoadedProtocol;

pub use crate::session::Loaded;

pub fn load(file: &str, input: &ProtocolInput) -> Result<Loaded, Diagnostics> {
    let microscope = crate::hardware::load(input.microscope.as_deref())?;
    let protocol = LoadedProtocol::load(file, &input.sets)?;
    Loaded::new(protocol, microscope)
}

/// Print diagnostics to stderr and give the "invalid input" exit.
pub fn invalid(d: &Diagnostics) -> Exit {
    eprint!("{}", d.render());
    Exit::Invalid
}

/// Print a JSON value as one line on stdout. A reader that went away (`| head`) is not an
/// error of ours: the command's work and exit code stand.
pub fn print_json(v: &serde_json::Value) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{v}");
}
