//! Emulated hardware for rehearsing squidctl (and testing its drivers) without the real thing.

pub mod mcu;
