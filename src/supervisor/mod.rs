//! Supervision: which threads exist and what each is doing (breadcrumbs), a watchdog that
//! notices a step past its deadline, and a thread dump of every thread's native stack.

pub mod dump;
pub mod panics;
pub mod pools;
pub mod registry;
pub mod safety;
pub mod signals;
pub mod watchdog;

pub use registry::{Crumb, spawn};
