use std::process::ExitCode;

use clap::Parser;
use squidctl::cli::{Cli, Command};
use squidctl::commands;

fn main() -> ExitCode {
    squidctl::panics::install_hook();
    let cli = Cli::parse();
    let exit = match &cli.command {
        Command::Validate(a) => commands::validate::run(a),
        Command::Plan(a) => commands::plan::run(a),
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Acquire(a) => commands::acquire::run(a),
        Command::Devices(a) => commands::devices::run(a),
    };
    exit.into()
}
