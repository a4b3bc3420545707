//! GenICam cameras (USB3 Vision and GigE Vision: Daheng, FLIR, Basler, IDS…) through Aravis,
//! behind the `genicam` cargo feature so that the default build needs no C library (the
//! settings and pixel formats are plain Rust, always built, so they are checked and
//! documented everywhere).

#[cfg(feature = "genicam")]
pub mod camera;
#[cfg(feature = "genicam")]
mod driver;
#[cfg(feature = "genicam")]
mod gvcp;
pub mod pixels;
pub mod settings;

#[cfg(feature = "genicam")]
pub use driver::GenicamDriver;
