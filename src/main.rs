use std::process::ExitCode;

use clap::Parser;
use squidctl::cli::{Cli, Command};
use squidctl::commands;

/// `--json` among the arguments (before a `--`): every exit then prints one JSON line.
fn wants_json() -> bool {
    std::env::args()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// The command's word (`acquire`, `queue`…), after any global flags.
fn command_word() -> String {
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let json = wants_json();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            if json && e.use_stderr() {
                commands::remember_error(&e.to_string());
                commands::json_fallback(&command_word(), squidctl::exit::Exit::Invalid);
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    if matches!(
        &cli.command,
        Command::Acquire(_)
            | Command::Resume(_)
            | Command::Emulate(_)
            | Command::Worker(_)
            | Command::Serve(_)
            | Command::Move(_)
            | Command::Home(_)
            | Command::Snap(_)
            | Command::Focus(_)
            | Command::Lights(_)
            | Command::Filter(_)
            | Command::Act(_)
    ) || matches!(&cli.command, Command::Simulate(s) if !s.estimate)
    {
        // Before any thread exists, so every thread inherits the mask and only the runner's
        // signal thread receives SIGINT/SIGTERM/SIGHUP/SIGUSR1.
        squidctl::supervisor::signals::block_signals();
    }
    squidctl::supervisor::panics::install_hook();
    squidctl::logging::init(cli.verbose as i8 - cli.quiet as i8);
    let exit = match &cli.command {
        Command::Validate(a) => commands::validate::run(a),
        Command::Plan(a) => commands::plan::run(a),
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Acquire(a) => commands::acquire::run(a),
        Command::Devices(a) => commands::devices::run(a),
        Command::CalibrateAf(a) => commands::calibrate_af::run(a),
        Command::CalibratePlate(a) => commands::calibrate_plate::run(a),
        Command::Resume(a) => commands::resume::run(a),
        Command::Verify(a) => commands::verify::run(a),
        Command::Report(a) => commands::report::run(a),
        Command::Emulate(e) => commands::emulate::run(e),
        Command::Submit(a) => commands::submit::run(a),
        Command::Queue(a) => commands::queue::queue(a),
        Command::Show(a) => commands::queue::show(a),
        Command::History(a) => commands::queue::history(a),
        Command::Cancel(a) => commands::tasks::cancel(a),
        Command::Hold(a) => commands::tasks::hold(a),
        Command::Release(a) => commands::tasks::release(a),
        Command::Move(a) => commands::tasks::move_(a),
        Command::Home(a) => commands::action::home(a),
        Command::Snap(a) => commands::action::snap(a),
        Command::Focus(a) => commands::action::focus(a),
        Command::Lights(a) => commands::action::lights(a),
        Command::Filter(a) => commands::action::filter(a),
        Command::Act(a) => commands::action::act(a),
        Command::Status(a) => commands::instrument::status(a),
        Command::Faults(a) => commands::instrument::faults(a),
        Command::Methods(c) => commands::methods::run(c),
        Command::Preflight(a) => commands::methods::preflight(a),
        Command::Reserve(a) => commands::instrument::reserve(a),
        Command::Stop(a) => commands::instrument::stop(a),
        Command::Reset(a) => commands::instrument::reset(a),
        Command::Pause(a) => commands::tasks::pause(a),
        Command::Unpause(a) => commands::tasks::unpause(a),
        Command::Wait(a) => commands::wait::wait(a),
        Command::Events(a) => commands::wait::events(a),
        Command::Gc(a) => commands::worker::gc(a),
        Command::Worker(a) => commands::worker::worker(a),
        Command::Serve(a) => commands::serve::serve(a),
        Command::Import(c) => commands::import::run(c),
        Command::Completions(a) => commands::completions::completions(a),
        Command::Man(a) => commands::completions::man(a),
    };
    if json {
        commands::json_fallback(&command_word(), exit);
    }
    exit.into()
}
