//! The integration tests: the real binary against the simulated microscope, the emulated
//! board and the fake camera. One test binary (as ripgrep does): the helpers are compiled
//! once and the suite links once, instead of once per file.

mod common;

mod actions;
mod api;
mod backpressure;
mod cli;
mod devices;
mod disk;
mod emulator;
mod fault_matrix;
mod faults;
mod focus;
#[cfg(feature = "genicam")]
mod genicam;
mod hardening;
mod hostile_input;
mod idempotency;
mod images;
mod import;
mod instrument;
mod layers;
mod methods;
mod metrics;
mod ome_zarr;
mod openapi;
mod plan_and_estimate;
mod plate;
mod queue;
mod readme;
mod reliability;
mod run_dir;
mod runner;
mod session;
mod squid_driver;
mod squid_process;
mod terminal;
mod validate;
mod websocket;
