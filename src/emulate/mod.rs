//! Emulated hardware for rehearsing squidctl (and testing its drivers) without the real thing.

#[cfg(feature = "genicam")]
pub mod camera;
pub mod mcu;
