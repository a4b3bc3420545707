//! Bringing in what users already have: a Squid configuration file becomes a microscope
//! description, a Squid acquisition folder or a useq-schema sequence becomes a protocol.
//! Each importer writes YAML text with the user's values and units spelled out and a
//! comment wherever a value was derived or a key had no equivalent; the command checks the
//! text like any other file before writing it.

pub mod ini;
pub mod squid_acquisition;
pub mod squid_config;
pub mod tree;
pub mod useq;
pub mod yaml_out;

/// An importer's result: the file's text, and what the user should read about it.
pub struct Imported {
    pub text: String,
    /// One line each, printed on stderr: what was derived, defaulted or left out.
    pub notes: Vec<String>,
    /// Files that must sit beside the written file (name relative to it, contents).
    pub companions: Vec<Companion>,
}

pub struct Companion {
    /// Where the file is referenced from when the import is written to standard output
    /// (an absolute path to the original), and the name it is copied to beside `-o`.
    pub original: std::path::PathBuf,
    pub copy_suffix: String,
}
