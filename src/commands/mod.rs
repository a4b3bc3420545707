//! One file per command. Each returns an [`Exit`]; none prints a panic or a Rust error type.

pub mod acquire;
pub mod action;
pub mod calibrate_af;
pub mod calibrate_plate;
pub mod completions;
pub mod describe;
pub mod devices;
pub mod emulate;
pub mod import;
pub mod instrument;
pub mod methods;
pub mod plan;
pub mod queue;
pub mod report;
pub mod resume;
pub mod run;
pub mod serve;
pub mod simulate;
pub mod submit;
pub mod tasks;
pub mod timeline;
pub mod validate;
pub mod verify;
pub mod wait;
pub mod worker;

use crate::cli::ProtocolInput;
use crate::diagnostic::Diagnostics;
use crate::exit::Exit;
use crate::protocol::LoadedProtocol;

pub use crate::session::Loaded;

pub fn load(file: &str, input: &ProtocolInput) -> Result<Loaded, Diagnostics> {
    let microscope = crate::hardware::load(input.microscope.as_deref()).inspect_err(|d| {
        crate::fault::remember(&d.fault(crate::fault::Code::InvalidMicroscope, "microscope"))
    })?;
    let protocol = LoadedProtocol::load(file, &input.sets)?;
    Loaded::new(protocol, microscope)
}

/// The microscope's lock for a command that drives it outside a run; a busy microscope is
/// said and given its exit (`what` says when to try again: "calibrate when the run is over").
pub fn command_lock(
    name: &str,
    command: &str,
    what: &str,
) -> Result<crate::run_dir::lock::MicroscopeLock, Exit> {
    match crate::run_dir::lock::acquire(
        name,
        None,
        &crate::run_dir::lock::owner_text("command", std::path::Path::new(command)),
        &|| None,
    ) {
        Ok(l) => Ok(l),
        Err(crate::run_dir::lock::LockError::Busy { holder, path }) => {
            eprintln!(
                "error: the microscope `{name}` is busy ({}; lock {}): {what} when the run is over",
                holder.replace('\n', ", ").trim_end_matches(", "),
                path.display()
            );
            Err(Exit::Busy)
        }
        Err(e) => {
            eprintln!("error: cannot take the microscope lock: {e:?}");
            Err(Exit::Failed)
        }
    }
}

/// Run a calibration's device work on its own thread, so a device that hangs cannot hang the
/// command: past `limit_s` every light is turned off and the process exits `Hung`, the
/// previous calibration unchanged. A driver's panic is an error naming `device`.
pub fn on_device_thread<T: Send + 'static>(
    thread: &str,
    device: &'static str,
    limit_s: f64,
    f: impl FnOnce() -> crate::hardware::DeviceResult<T> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            let r = crate::supervisor::panics::catch(f).unwrap_or_else(|p| {
                Err(crate::hardware::DeviceError::failed(
                    device,
                    format!("driver {p}"),
                ))
            });
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start the calibration: {e}"));
    }
    match rx.recv_timeout(std::time::Duration::from_secs_f64(limit_s)) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => {
            crate::supervisor::safety::all_lights_off("the calibration hung");
            eprintln!(
                "error: the calibration did not finish within {limit_s:.0} s: a device hung; the previous calibration is unchanged"
            );
            std::process::exit(Exit::Hung.code() as i32);
        }
    }
}

/// Print diagnostics to stderr and give the "invalid input" exit.
pub fn invalid(d: &Diagnostics) -> Exit {
    let text = d.render();
    eprint!("{text}");
    remember_error(&text);
    crate::fault::remember(&d.fault(crate::fault::Code::InvalidProtocol, "protocol"));
    Exit::Invalid
}

/// The microscope description does not load: say so (exit 2), its fault first.
pub fn invalid_microscope(d: &Diagnostics) -> Exit {
    crate::fault::remember(&d.fault(crate::fault::Code::InvalidMicroscope, "microscope"));
    invalid(d)
}

/// Say a fault on stderr, keep it for `--json`, and give `exit`.
pub fn fault_exit(f: &crate::fault::Fault, exit: Exit) -> Exit {
    crate::fault::remember(f);
    eprintln!("error: {}", f.message);
    remember_error(&f.message);
    exit
}

/// One run directory and whether to print JSON: what `verify` and `report` do for each.
pub struct Single<'a> {
    pub run_dir: &'a std::path::Path,
    pub json: bool,
}

thread_local! {
    /// JSON lines held back while several runs are judged, to print as one object.
    static COLLECTED: std::cell::RefCell<Option<Vec<serde_json::Value>>> =
        const { std::cell::RefCell::new(None) };
}

/// Run `one` for each directory. One directory: as it prints. Several (a shell glob): each
/// is judged on its own, text one after the other, `--json` one object
/// `{"command", "exit_code", "runs": [each run's object]}`; the exit is 0 when every run's
/// is, else the first that is not.
pub fn each_run(
    command: &str,
    dirs: &[std::path::PathBuf],
    json: bool,
    one: impl Fn(&std::path::Path) -> Exit,
) -> Exit {
    if let [dir] = dirs {
        return one(dir);
    }
    COLLECTED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let mut exit = Exit::Completed;
    for dir in dirs {
        let e = one(dir);
        if exit == Exit::Completed {
            exit = e;
        }
    }
    let runs = COLLECTED
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default();
    if json {
        print_json(
            &serde_json::json!({"command": command, "exit_code": exit.code(), "runs": runs}),
        );
    }
    exit
}

/// Whether a command printed its JSON line (`--json`): if not, `main` prints one for it.
static JSON_PRINTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
pub use crate::logging::remember_error;

/// Print a JSON value as one line on stdout. A reader that went away (`| head`) is not an
/// error of ours: the command's work and exit code stand.
pub fn print_json(v: &serde_json::Value) {
    use std::io::Write;
    let held = COLLECTED.with(|c| match c.borrow_mut().as_mut() {
        Some(runs) => {
            runs.push(v.clone());
            true
        }
        None => false,
    });
    if held {
        return;
    }
    JSON_PRINTED.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = writeln!(std::io::stdout(), "{v}");
}

/// Every exit of every command prints one JSON line with `--json`: the command's own, or,
/// when it failed before it could write one (a protocol that does not load, a bad argument),
/// this one, with the exit code and the first error.
pub fn json_fallback(command: &str, exit: Exit) {
    // A command that succeeded has printed its own (a stream such as `events --json` prints
    // its lines without this module).
    if exit == Exit::Completed || JSON_PRINTED.load(std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let reason =
        crate::logging::first_error().unwrap_or_else(|| "see the messages on stderr".into());
    let state = if exit == Exit::Invalid {
        "invalid"
    } else {
        "failed"
    };
    let fault = crate::fault::first().or_else(|| crate::fault::Fault::from_exit(exit, &reason));
    print_json(&serde_json::json!({
        "command": command,
        "state": state,
        "exit_code": exit.code(),
        "reason": reason,
        "fault": fault,
    }));
}
