//! Logs: human lines on stderr (coloured on a terminal), and the same lines without colour
//! in the run's log file once a run directory exists. `SQUIDCTL_LOG` filters (e.g.
//! `squidctl=debug`); `-v`/`-q` raise or lower the default level.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

static LOG_FILE: Mutex<Option<File>> = Mutex::new(None);
/// The progress bar on screen, if any: log lines are printed above it.
static BAR: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

pub fn set_bar(bar: Option<indicatif::ProgressBar>) {
    *BAR.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// Start writing log lines to `path` as well (the run's log).
pub fn set_log_file(path: &std::path::Path) -> io::Result<()> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    *LOG_FILE.lock().unwrap_or_else(|p| p.into_inner()) = Some(f);
    Ok(())
}

#[derive(Clone, Copy)]
struct FileWriter;

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(f) = LOG_FILE.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            // A full disk must not take the run down through its log.
            let _ = f.write_all(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for FileWriter {
    type Writer = FileWriter;
    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

/// Writes a log line to stderr, above the progress bar when one is drawn.
#[derive(Clone, Copy)]
struct StderrWriter;

impl Write for StderrWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let bar = BAR.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match bar {
            Some(b) => b.suspend(|| io::stderr().write_all(buf))?,
            None => io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for StderrWriter {
    type Writer = StderrWriter;
    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

/// The first error a command reported (logged, or printed as diagnostics), for the one JSON
/// line a failed command prints with `--json`.
static FIRST_ERROR: Mutex<Option<String>> = Mutex::new(None);

pub fn first_error() -> Option<String> {
    FIRST_ERROR
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// Keep the first error's text: its first line without `error: ` (and the next line when
/// the first ends in `:`, as clap's "the following required arguments were not provided:").
pub fn remember_error(text: &str) {
    let mut e = FIRST_ERROR.lock().unwrap_or_else(|p| p.into_inner());
    if e.is_none() {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let mut first = lines
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        if first.ends_with(':')
            && let Some(next) = lines.next()
        {
            first = format!("{first} {next}");
        }
        *e = Some(first);
    }
}

/// Remembers the message of the first ERROR event.
struct FirstError;

struct MessageOf<'a>(&'a mut String);

impl tracing::field::Visit for MessageOf<'_> {
    fn record_str(&mut self, f: &tracing::field::Field, value: &str) {
        if f.name() == "message" {
            self.0.push_str(value);
        }
    }
    fn record_debug(&mut self, f: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if f.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for FirstError {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *e.metadata().level() != tracing::Level::ERROR || first_error().is_some() {
            return;
        }
        let mut text = String::new();
        e.record(&mut MessageOf(&mut text));
        remember_error(&text);
    }
}

/// Install the subscriber. `verbosity`: 0 default (info), positive more, negative less.
pub fn init(verbosity: i8) {
    let default = match verbosity {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("SQUIDCTL_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("squidctl={default},warn")));
    let ansi = io::stderr().is_terminal();
    // On a terminal a person reads the lines as they come; in cron's or a service's log,
    // each line needs its time (UTC, as the run's log file has it).
    let screen_layer = ansi.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(StderrWriter)
            .with_ansi(true)
            .with_target(false)
            .without_time()
            .compact()
    });
    let log_layer = (!ansi).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(StderrWriter)
            .with_ansi(false)
            .with_target(false)
            .compact()
    });
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(FileWriter)
        .with_ansi(false)
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(screen_layer)
        .with(log_layer)
        .with(file_layer)
        .with(FirstError)
        .try_init();
}
