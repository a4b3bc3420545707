use std::process::ExitCode;

use clap::Parser;
use squidctl::cli::{Cli, Command};
use squidctl::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        &cli.command,
        Command::Acquire(_) | Command::Resume(_) | Command::Emulate(_)
    ) || matches!(&cli.command, Command::Simulate(s) if !s.estimate)
    {
        // Before any thread exists, so every thread inherits the mask and only the runner's
        // signal thread receives SIGINT/SIGTERM/SIGHUP/SIGUSR1.
        squidctl::supervisor::signals::block_signals();
    }
    squidctl::panics::install_hook();
    squidctl::logging::init(cli.verbose as i8 - cli.quiet as i8);
    let exit = match &cli.command {
        Command::Validate(a) => commands::validate::run(a),
        Command::Plan(a) => commands::plan::run(a),
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Acquire(a) => commands::acquire::run(a),
        Command::Devices(a) => commands::devices::run(a),
        Command::CalibrateAf(a) => commands::calibrate_af::run(a),
        Command::Resume(a) => commands::resume::run(a),
        Command::Verify(a) => commands::verify::run(a),
        Command::Report(a) => commands::report::run(a),
        Command::Emulate(e) => commands::emulate::run(e),
        Command::Completions(a) => commands::completions::completions(a),
        Command::Man(a) => commands::completions::man(a),
    };
    exit.into()
}
