//! squidctl: a supervised, scriptable acquisition runner for Squid-style microscopes.
//!
//! Data flows one way: protocol → plan → runner → savers → run directory.

pub mod actions;
pub mod api;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod diagnostic;
pub mod emulate;
pub mod exit;
pub mod fault;
pub mod fsutil;
pub mod hardware;
pub mod human;
pub mod import;
pub mod instrument;
pub mod logging;
pub mod microscope;
pub mod plan;
pub mod progress;
pub mod protocol;
pub mod queue;
pub mod run_dir;
pub mod runner;
pub mod saver;
pub mod session;
pub mod suggest;
pub mod supervisor;
pub mod terminal;
pub mod yaml;

#[cfg(test)]
pub(crate) mod test_support {
    use crate::diagnostic::SourceFile;
    use crate::microscope::MicroscopeConfig;
    use crate::plan::Plan;
    use crate::protocol::LoadedProtocol;

    /// A plan from protocol text on the built-in microscope; panics with the rendered
    /// diagnostics so a failing test shows what was wrong.
    pub fn plan_from(yaml: &str) -> Plan {
        match try_plan(yaml) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    pub fn try_plan(yaml: &str) -> Result<Plan, String> {
        let lp = LoadedProtocol::from_source(SourceFile::new("test.yaml", yaml), ".".into(), &[])
            .map_err(|d| d.render())?;
        let m = MicroscopeConfig::builtin().map_err(|d| d.render())?;
        Plan::build(&lp, &m).map_err(|d| d.render())
    }
}
