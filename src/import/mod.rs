//! Bringing in what users already have: a Squid configuration file becomes a microscope
//! description, a Squid acquisition folder or a useq-schema sequence becomes a protocol.
//! Each importer writes YAML text with the user's values and units spelled out and a
//! comment wherever a value was derived or a key had no equivalent; the command checks the
//! text like any other file before writing it.

use crate::diagnostic::Diagnostics;

pub mod ini;
pub mod squid_acquisition;
pub mod squid_config;
pub mod squid_method;
pub mod tree;
pub mod useq;
pub mod yaml_out;

/// An importer's result: the file's text, and what the user should read about it.
pub struct Imported {
    pub text: String,
    /// One line each, printed on stderr: what was derived, defaulted or left out.
    pub notes: Vec<String>,
    /// Files the text refers to, copied beside the written file.
    pub companions: Vec<Companion>,
}

pub struct Companion {
    /// Where the file is referenced from when the import is written to standard output
    /// (an absolute path to the original), and the name it is copied to beside `-o`.
    pub original: std::path::PathBuf,
    pub copy_suffix: String,
}

/// The value, or none with its errors added to `errors`: every problem is reported at once.
pub fn collect<T>(errors: &mut Diagnostics, r: Result<T, Diagnostics>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(d) => {
            errors.extend(d);
            None
        }
    }
}
