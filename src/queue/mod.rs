//! A queue of runs per microscope: a spool of plain files that every verb changes under a
//! lock (so they all work with no worker running), a worker that carries out one task at a
//! time through the run layer, and the queue's hook inside each run it starts.

pub mod command;
pub mod emergency;
pub mod events;
pub mod faults;
pub mod hook;
pub mod lease;
pub mod methods;
pub mod preflight;
pub mod schedule;
pub mod sdnotify;
pub mod spool;
pub mod status;
pub mod submit;
pub mod task;
pub mod verbs;
pub mod view;
pub mod when;
pub mod worker;
