//! Every command and flag, documented once. Completions and the man page come from here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::protocol::units::{Duration, Length};

/// Sizes on the command line: `512MB`, `2GiB`, `1G`, or plain bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let n: f64 = t[..split]
        .parse()
        .map_err(|_| format!("cannot read `{s}` as a size; write e.g. 512MB or 2GiB"))?;
    let mult: f64 = match t[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}`; use B, kB, MB, GB, TB, KiB, MiB or GiB"
            ));
        }
    };
    Ok((n * mult) as u64)
}

/// How the saver pool is sized (defaults come from the machine).
#[derive(Debug, Args, Clone, Default)]
pub struct SaverArgs {
    /// Saver threads [default: one per core, at least 2]
    #[arg(long, value_name = "N")]
    pub savers: Option<usize>,
    /// Most frames waiting to be written [default: from available memory]
    #[arg(long, value_name = "N")]
    pub queue_frames: Option<usize>,
    /// Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes)]
    pub queue_memory: Option<u64>,
}
/// A task as a person names it: `5` on the queue `--microscope` names, or `scope-a/5` on the
/// queue of the microscope named scope-a (as `history --all` prints it). Ids count per
/// microscope, so a bare id alone could name tasks on several queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRef {
    pub microscope: Option<String>,
    pub id: u64,
}

impl std::str::FromStr for TaskRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not a task id: write the number (5), or the microscope's name and the number (scope-a/5)"
            )
        };
        let (microscope, id) = match s.rsplit_once('/') {
            Some((m, id)) if !m.trim().is_empty() => (Some(m.trim().to_string()), id),
            Some(_) => return Err(bad()),
            None => (None, s),
        };
        let id = id.trim().parse().map_err(|_| bad())?;
        Ok(TaskRef { microscope, id })
    }
}

impl std::fmt::Display for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.microscope {
            Some(m) => write!(f, "{m}/{}", self.id),
            None => write!(f, "{}", self.id),
        }
    }
}

/// Durations on the command line use the protocol's units (`30s`, `5m`, `1h`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    Duration::parse(s).map_err(|e| e.replace("\nhelp: ", "; "))
}

pub fn parse_length(s: &str) -> Result<Length, String> {
    Length::parse(s).map_err(|e| e.replace("\nhelp: ", "; "))
}

/// `20mm,15mm`: a stage position.
pub fn parse_xy(s: &str) -> Result<(Length, Length), String> {
    let (x, y) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}` is not a position: write X,Y, e.g. 20mm,15mm"))?;
    Ok((parse_length(x)?, parse_length(y)?))
}

#[derive(Debug, Parser)]
#[command(
    name = "squidctl",
    version,
    about = "Run microscope acquisitions from YAML protocols — supervised, cancellable, resumable",
    long_about = "squidctl runs acquisitions described in YAML protocols (plates, wells, fields of view, \
z-stacks, channels, time-lapses) on Squid-style microscopes, or on the built-in simulated microscope. \
Every device step runs under a deadline, errors become recorded outcomes, and Ctrl-C ends a run cleanly.",
    after_help = "Exit codes: 0 completed, 1 failed, 2 invalid input, 3 completed with errors, 4 hung, \
5 output error, 6 microscope busy, 130/143 cancelled by SIGINT/SIGTERM."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less log detail (-q warnings only, -qq errors only)
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,
}

/// Waiting for the microscope when another run holds it.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// When another run holds the microscope, wait for it (as long as DURATION, or forever)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, value_parser = parse_duration)]
    pub wait_lock: Option<Option<Duration>>,
}

impl LockArgs {
    /// `None`: refuse at once when busy; `Some(None)`: wait forever; `Some(Some(d))`: up to d.
    pub fn wait(&self) -> Option<Option<std::time::Duration>> {
        self.wait_lock.map(|w| w.map(|d| d.std()))
    }
}

/// How a running acquisition shows its progress.
#[derive(Debug, Args, Clone)]
pub struct ProgressArgs {
    /// Progress bars: on a terminal (auto), always, or never (plain lines)
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: crate::progress::ProgressMode,
    /// Without bars, print a progress line this often
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub progress_interval: Duration,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check protocols against the microscope description without running anything
    Validate(ValidateArgs),
    /// Stream the events a protocol expands into (first line at once, even for huge plans)
    Plan(PlanArgs),
    /// Dry-run a protocol on the simulated microscope, or estimate it with --estimate
    Simulate(SimulateArgs),
    /// Run a protocol on the microscope
    Acquire(AcquireArgs),
    /// Show the resolved microscope and check that each device answers
    Devices(DevicesArgs),
    /// Continue an interrupted run in its own directory
    Resume(ResumeArgs),
    /// Check that every file of a run is present, readable and intact
    Verify(VerifyArgs),
    /// Summarise a run, finished or still running
    Report(ReportArgs),
    /// Calibrate the laser autofocus: step z around the focus, fit the spot's shift per µm
    /// and write the calibration file the description names
    CalibrateAf(CalibrateAfArgs),
    /// Calibrate where a plate sits: find 2–3 reference wells' edges in bright field (or take
    /// the stage positions you jogged to), fit offset, rotation and scale, and store them
    /// beside the microscope description for every plan of that plate
    CalibratePlate(CalibratePlateArgs),
    /// Emulate hardware on this machine, to rehearse squidctl without it
    #[command(subcommand)]
    Emulate(EmulateCommand),
    /// Queue a protocol on its microscope (checked now: a bad protocol fails here, not at 3 a.m.)
    Submit(SubmitArgs),
    /// Named protocols stored with a microscope's queue (squidctl YAML or Squid's acquisition
    /// configuration), checked and estimated when stored; `submit --method NAME` runs one
    #[command(subcommand)]
    Methods(MethodsCommand),
    /// Check a protocol or a method before the plate is fetched: validation, the estimate,
    /// free disk against the need, the devices, the lock and reservation, autofocus
    /// calibration — one report, nothing changed; exit 0 ready, 1 a blocker, 2 invalid
    Preflight(PreflightArgs),
    /// List a microscope's queue: state, priority, what each task waits on, predicted start and end
    Queue(QueueArgs),
    /// Show one queued task: its settings, transitions and run
    Show(TaskArgs),
    /// Cancel a task: at once if it has not started, else at the run's next safe point
    Cancel(CancelArgs),
    /// Keep a task, or the whole queue, from starting (running tasks go on)
    Hold(HoldArgs),
    /// Let a held task, or the held queue, start again
    Release(ReleaseArgs),
    /// Move the stage (to a named position, or to/by x, y, z); with a task ID, reorder that
    /// task in its queue instead
    Move(MoveArgs),
    /// Connect and home every axis of the stage
    Home(HomeArgs),
    /// Take one image and save it as an OME-TIFF (with a PNG thumbnail beside it)
    Snap(SnapArgs),
    /// Run the autofocus once where the stage is, and say the z it found and how sure it is
    Focus(FocusArgs),
    /// Turn a light on for a while (then off again), or every light off
    Lights(LightsArgs),
    /// Turn the filter wheel to a position
    Filter(FilterArgs),
    /// Do the action JSON describes (how a worker carries out an action task)
    #[command(hide = true)]
    Act(ActArgs),
    /// The instrument's state: idle, reserved, running, paused, error…, where the stage is,
    /// which lights are on, the running task, the reservation and the latest fault
    Status(StatusArgs),
    /// The fault history (what tasks, actions and emergency stops ended with), or with
    /// --codes every fault code with its category and advice
    Faults(FaultsArgs),
    /// Reserve the microscope for one client (only its tasks start) for a while; again to
    /// renew, --release to end it
    Reserve(ReserveArgs),
    /// Emergency stop: every light off at once, the running task stopped at the frame in
    /// flight, nothing starts again until `squidctl reset`
    Stop(StopArgs),
    /// Clear an emergency stop: the queue and actions may start again
    Reset(QueueTarget),
    /// Pause a running task at its next safe point (lights off), until `unpause`
    Pause(PauseArgs),
    /// Let a paused task go on
    Unpause(TaskArgs),
    /// Wait for tasks to end; exit with their run's exit code
    Wait(WaitArgs),
    /// Print the queue's event log (one line per event, JSON with --json), and follow it
    Events(EventsArgs),
    /// List ended tasks
    History(HistoryArgs),
    /// Remove ended tasks older than --keep from the queue (their run directories stay)
    Gc(GcArgs),
    /// Carry out a microscope's queue, one task at a time
    Worker(WorkerArgs),
    /// Serve the queue over HTTP (a local API and a live status page)
    Serve(ServeArgs),
    /// Make a microscope description or a protocol from what you already have: a Squid
    /// configuration file or acquisition folder, a useq-schema sequence
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print a man page (of squidctl, or of one command)
    Man(ManArgs),
}

#[derive(Debug, Subcommand)]
pub enum MethodsCommand {
    /// Store FILE as method NAME (checked against the microscope first)
    Add(MethodAddArgs),
    /// Every method with its estimate
    List(QueueTarget),
    /// One method: its summary and the protocol that runs
    Show(MethodNameArgs),
    /// Delete a method (refused while a queued task was submitted from it)
    Rm(MethodNameArgs),
}

#[derive(Debug, Args)]
pub struct MethodAddArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
    /// A protocol, or Squid's acquisition configuration (`acquisition.yaml`)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace the method if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct MethodNameArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// Protocol file (or Squid's acquisition configuration)
    #[arg(
        value_name = "FILE",
        required_unless_present = "method",
        conflicts_with = "method"
    )]
    pub file: Option<PathBuf>,
    /// A stored method instead of a file
    #[arg(long, value_name = "NAME")]
    pub method: Option<String>,
    /// Override a protocol value (as for `acquire`), e.g. `--set plate.wells=A1:B3`
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The reservation holder it would run as (`submit --holder`)
    #[arg(long, value_name = "NAME")]
    pub holder: Option<String>,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A microscope description for the `squid` driver from a Squid configuration_*.ini
    SquidConfig(ImportSquidConfigArgs),
    /// A protocol from a Squid acquisition folder (its `acquisition parameters.json`,
    /// `coordinates.csv` and channel settings)
    SquidAcquisition(ImportSquidAcquisitionArgs),
    /// A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it
    Useq(ImportUseqArgs),
}

#[derive(Debug, Args)]
pub struct ImportOutput {
    /// Write here instead of standard output (refused if it exists, unless --force)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists
    #[arg(long)]
    pub force: bool,
    /// Print one JSON summary on stdout (needs -o: without it the file goes to stdout)
    #[arg(long, requires = "output")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportSquidConfigArgs {
    /// Squid configuration file (configuration_*.ini)
    #[arg(value_name = "FILE.ini")]
    pub file: PathBuf,
    /// The objective in use, from Squid's objectives (2x, 4x, 10x, 20x, 40x, 50x, 60x)
    #[arg(long, default_value = "20x")]
    pub objective: String,
    /// Squid's channel table (machine_configs/illumination_channel_config.yaml) [default: the
    /// one where Squid keeps it beside the configuration folder, else Squid's standard table]
    #[arg(long, value_name = "FILE")]
    pub channels: Option<PathBuf>,
    #[command(flatten)]
    pub out: ImportOutput,
}

#[derive(Debug, Args)]
pub struct ImportSquidAcquisitionArgs {
    /// Squid acquisition folder
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Microscope description the protocol is checked against [default: the built-in
    /// simulated microscope]; Squid's channel names need one from `import squid-config`
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    #[command(flatten)]
    pub out: ImportOutput,
}

#[derive(Debug, Args)]
pub struct ImportUseqArgs {
    /// useq-schema MDASequence, YAML or JSON
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Light intensity, which useq-schema does not record: PCT for every channel, or
    /// NAME=PCT for one (repeatable)
    #[arg(long, value_name = "[NAME=]PCT")]
    pub intensity: Vec<String>,
    /// Microscope description the protocol is checked against, and whose field of view
    /// spaces grids that give none [default: the built-in simulated microscope]
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    #[command(flatten)]
    pub out: ImportOutput,
}

#[derive(Debug, Subcommand)]
pub enum EmulateCommand {
    /// The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port's
    /// path as its first line, serves until SIGINT or SIGTERM
    Mcu(EmulateMcuArgs),
}

#[derive(Debug, Args)]
pub struct EmulateMcuArgs {
    /// Also make this symlink point at the port (a stable name for microscope files)
    #[arg(long, value_name = "PATH")]
    pub link: Option<PathBuf>,
    /// The firmware version to report, e.g. 1.4 (1.0 to 1.15; 0.0 is legacy firmware)
    #[arg(long, value_name = "X.Y", default_value = "1.4")]
    pub version: String,
    /// Write what the board received and did as JSON lines to this file
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// A transport fault, repeatable: drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the
    /// K-th byte received or sent), silence:W:DUR, stall:W:DUR, delay:W:DUR, unplug:W:DUR,
    /// reboot:W (W: after the N-th command, heartbeats not counted, or NAME#K: right after
    /// the K-th NAME command, e.g. turn-on-illumination#3), drop-ack:NAME#K[:COUNT] (its
    /// acknowledgements are lost), lose:NAME#K (the frame is lost on the wire),
    /// late-finalize:U (homing ends U µsteps short of its switch, so a move to 0 is refused)
    #[arg(long, value_name = "SPEC")]
    pub fault: Vec<String>,
    /// Corrupt this fraction of bytes both ways, at random (e.g. 0.001)
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub noise: f64,
    /// Seed for --noise
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Also serve a GigE camera at this local address (Aravis's fake camera, MER2-like:
    /// trigger on Line2, wired to the board's trigger output); needs the genicam feature
    #[arg(long, value_name = "IPV4", requires = "microscope")]
    pub camera: Option<String>,
    /// The microscope description the host uses: its axes, signs, stage and channels place
    /// the sample and the autofocus spot the camera shows
    #[arg(long, value_name = "FILE", requires = "camera")]
    pub microscope: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command (`acquire`, `resume`, …); without it, the main page
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run directory (one: a run drives the microscope alone; loop for several)
    #[arg(value_name = "RUN_DIR", required = true, num_args = 1..)]
    pub run_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub savers: SaverArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
    /// Run as task TASK_DIR of a queue (set by `squidctl worker`)
    #[arg(long, hide = true, value_name = "TASK_DIR")]
    pub queue_task: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The run directories (a shell glob such as `runs/quickstart_*` gives several)
    #[arg(value_name = "RUN_DIR", required = true, num_args = 1..)]
    pub run_dirs: Vec<PathBuf>,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run directories (a shell glob such as `runs/quickstart_*` gives several)
    #[arg(value_name = "RUN_DIR", required = true, num_args = 1..)]
    pub run_dirs: Vec<PathBuf>,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Microscope description YAML [default: the built-in simulated microscope]
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    /// How long each device may take to answer
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CalibrateAfArgs {
    /// Microscope description YAML (with a `laser_autofocus` that has a `calibration:` file)
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    /// Where the sample's surface is in focus [default: the description's stage.focus_z]
    #[arg(long, value_name = "LENGTH", value_parser = parse_length)]
    pub z: Option<Length>,
    /// Move the stage here first, e.g. 20mm,15mm [default: where it is after connecting]
    #[arg(long, value_name = "X,Y", value_parser = parse_xy)]
    pub xy: Option<(Length, Length)>,
    /// Positions on each side of the focus
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(2..=50))]
    pub steps: u32,
    /// Distance between positions
    #[arg(long, value_name = "LENGTH", default_value = "1um", value_parser = parse_length)]
    pub step: Length,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["plate", "protocol"])))]
pub struct CalibratePlateArgs {
    /// Microscope description YAML (the calibration is stored beside it)
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    /// The plate format: 6, 12, 24, 48, 96, 384 or 1536
    #[arg(long, value_name = "WELLS")]
    pub plate: Option<String>,
    /// Calibrate the plate this protocol images (its `format` or `custom` plate)
    #[arg(long, value_name = "FILE", conflicts_with = "plate")]
    pub protocol: Option<String>,
    /// Reference wells to find [default: three corners, e.g. A1,A12,H1]
    #[arg(
        long,
        value_name = "WELLS",
        value_delimiter = ',',
        conflicts_with = "at"
    )]
    pub wells: Vec<String>,
    /// A well's centre you jogged to with `squidctl move`, e.g. A1=14.5mm,11.3mm (repeat
    /// for 2–3 wells); nothing is moved
    #[arg(long, value_name = "WELL=X,Y")]
    pub at: Vec<String>,
    /// Bright-field channel to find the wells' edges in [default: BF, else the first channel]
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    #[arg(long, value_name = "DURATION", default_value = "5ms", value_parser = parse_duration)]
    pub exposure: Duration,
    /// Light intensity, percent
    #[arg(long, value_name = "PCT", default_value_t = 50.0)]
    pub intensity: f64,
    /// Height to image at [default: the description's stage.focus_z]
    #[arg(long, value_name = "LENGTH", value_parser = parse_length)]
    pub z: Option<Length>,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

/// Options shared by every command that reads a protocol.
#[derive(Debug, Args, Clone)]
pub struct ProtocolInput {
    /// Microscope description YAML [default: the built-in simulated microscope]
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    /// Override a protocol value, e.g. --set time.count=3 (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Protocol files (`-` reads standard input)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    #[command(flatten)]
    pub input: ProtocolInput,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    Table,
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Protocol file (`-` reads standard input)
    #[arg(value_name = "FILE")]
    pub file: String,
    #[command(flatten)]
    pub input: ProtocolInput,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: PlanFormat,
    /// Stop after N events
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Protocol file (`-` reads standard input)
    #[arg(value_name = "FILE")]
    pub file: String,
    #[command(flatten)]
    pub input: ProtocolInput,
    /// Print positions, frames, bytes, time per round and total, without running
    #[arg(long)]
    pub estimate: bool,
    /// With --estimate: where runs would be written [default: the protocol's output.directory]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Keep the simulated images: write a run directory under DIR
    #[arg(long, value_name = "DIR", conflicts_with = "estimate")]
    pub write: Option<PathBuf>,
    /// Real seconds per simulated second (0: as fast as possible)
    #[arg(long, value_name = "SCALE", default_value_t = 0.0)]
    pub time_scale: f64,
    /// Start even if the estimated size exceeds the free space
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub savers: SaverArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AcquireArgs {
    /// Protocol file (`-` reads standard input)
    #[arg(value_name = "FILE")]
    pub file: String,
    #[command(flatten)]
    pub input: ProtocolInput,
    /// Parent directory for the run [default: the protocol's output.directory]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Start even if the estimated size exceeds the free space
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub savers: SaverArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Print one JSON summary on stdout
    #[arg(long)]
    pub json: bool,
    /// Run as task TASK_DIR of a queue (set by `squidctl worker`)
    #[arg(long, hide = true, value_name = "TASK_DIR")]
    pub queue_task: Option<PathBuf>,
}

/// Which microscope's queue a verb works on, and how it answers.
#[derive(Debug, Args, Clone)]
pub struct QueueTarget {
    /// Microscope description YAML whose queue this is [default: the built-in simulated microscope]
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Protocol file (`-` reads standard input)
    #[arg(value_name = "FILE", required_unless_present_any = ["again", "method"])]
    pub file: Option<String>,
    /// Submit a stored method (`squidctl methods list`) instead of a file; `--set` overrides
    /// it (`--set plate.wells=A1:B3`, `--set output.directory=DIR`)
    #[arg(long, value_name = "NAME", conflicts_with_all = ["file", "again"])]
    pub method: Option<String>,
    #[command(flatten)]
    pub input: ProtocolInput,
    /// Higher runs first (default 0)
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub priority: i32,
    /// Not before this time: 22:30, 2026-12-24T22:30, +2h
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Give up if not started by then: a duration from now (12h) or a time
    #[arg(long, value_name = "DURATION|TIME")]
    pub expires: Option<String>,
    /// Start only after these tasks (of the same microscope) have ended, however they ended
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub after: Vec<TaskRef>,
    /// Start only after these tasks (of the same microscope) completed (exit 0); skipped if one did not
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub after_ok: Vec<TaskRef>,
    /// Submit held: it starts only after `squidctl release ID`
    #[arg(long)]
    pub hold: bool,
    /// Retry a failed run (exit 1, 4, 5) this many times, continuing it with `resume`
    #[arg(long, default_value_t = 0)]
    pub retries: u32,
    /// A name for the task in listings
    #[arg(long)]
    pub label: Option<String>,
    /// The reservation this task belongs to: while the microscope is reserved (`squidctl
    /// reserve`), only its holder's tasks start
    #[arg(long, value_name = "NAME")]
    pub holder: Option<String>,
    /// Submit the protocol snapshot of task ID again (as it was queued)
    #[arg(long, value_name = "ID", conflicts_with = "file")]
    pub again: Option<TaskRef>,
    /// Wait for the task to end and exit with its run's exit code
    #[arg(long)]
    pub wait: bool,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    #[command(flatten)]
    pub target: QueueTarget,
    /// Every microscope's queue
    #[arg(long, conflicts_with = "microscope")]
    pub all: bool,
    /// Only tasks in these states (waiting counts as queued)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub state: Vec<crate::queue::task::State>,
}

#[derive(Debug, Args)]
pub struct TaskArgs {
    /// Task id: 5, or MICROSCOPE/5 for another microscope's queue
    #[arg(value_name = "ID")]
    pub id: TaskRef,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Task id: 5, or MICROSCOPE/5 for another microscope's queue
    #[arg(value_name = "ID")]
    pub id: TaskRef,
    /// Stop a running task after the frame in flight (as Ctrl-C does), not at the next safe point
    #[arg(long)]
    pub now: bool,
    #[command(flatten)]
    pub target: QueueTarget,
}

/// One task, or the whole queue.
#[derive(Debug, Args)]
pub struct TaskOrQueue {
    /// Task id: 5, or MICROSCOPE/5 for another microscope's queue
    #[arg(
        value_name = "ID",
        required_unless_present = "queue",
        conflicts_with = "queue"
    )]
    pub id: Option<TaskRef>,
    /// The whole queue ("I am at the microscope"), not one task
    #[arg(long)]
    pub queue: bool,
}

#[derive(Debug, Args)]
pub struct HoldArgs {
    #[command(flatten)]
    pub which: TaskOrQueue,
    /// Why, shown in `queue`
    #[arg(long)]
    pub note: Option<String>,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub which: TaskOrQueue,
    #[command(flatten)]
    pub target: QueueTarget,
}

/// What every action on the instrument takes: which microscope, waiting for it, JSON.
#[derive(Debug, Args, Clone)]
pub struct ActionTarget {
    /// Microscope description YAML [default: the built-in simulated microscope]
    #[arg(long, env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscope: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Act as this reservation's holder: while the microscope is reserved (`squidctl
    /// reserve`), only its holder acts on it
    #[arg(long, value_name = "NAME")]
    pub holder: Option<String>,
    /// Print one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HomeArgs {
    #[command(flatten)]
    pub target: ActionTarget,
}

#[derive(Debug, Args)]
pub struct SnapArgs {
    /// The channel to image with (as the microscope description names it)
    #[arg(long, value_name = "NAME")]
    pub channel: String,
    /// Exposure, e.g. 20ms [default: 10ms]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub exposure: Option<Duration>,
    /// Light intensity in % [default: 50]
    #[arg(long, value_name = "PCT")]
    pub intensity: Option<f64>,
    /// Folder to save the image in
    #[arg(long, short, value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    #[command(flatten)]
    pub target: ActionTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FocusMethodArg {
    Laser,
    Contrast,
}

#[derive(Debug, Args)]
pub struct FocusArgs {
    /// How to focus [default: laser when the microscope has one, else contrast]
    #[arg(long, value_enum)]
    pub method: Option<FocusMethodArg>,
    /// The channel a contrast autofocus images with [default: the first]
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// How far a contrast autofocus searches, e.g. 40um [default: 40um]
    #[arg(long, value_name = "LENGTH", value_parser = parse_length)]
    pub range: Option<Length>,
    /// Its step, e.g. 2um [default: 2um]
    #[arg(long, value_name = "LENGTH", value_parser = parse_length)]
    pub step: Option<Length>,
    /// Its exposure [default: 10ms]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub exposure: Option<Duration>,
    #[command(flatten)]
    pub target: ActionTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct LightsArgs {
    /// `on` lights one channel's source for --for, then turns it off; `off` turns every light off
    #[arg(value_enum)]
    pub state: OnOff,
    /// The channel whose light to turn on
    #[arg(long, value_name = "NAME", required_if_eq("state", "on"))]
    pub channel: Option<String>,
    /// Its intensity in % [default: 50]
    #[arg(long, value_name = "PCT")]
    pub intensity: Option<f64>,
    /// How long it stays on, at most 10min; Ctrl-C turns it off sooner [default: 10s]
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub for_: Option<Duration>,
    #[command(flatten)]
    pub target: ActionTarget,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct FaultsArgs {
    #[command(flatten)]
    pub target: QueueTarget,
    /// Only faults after this sequence number (the last one you saw)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub since: u64,
    /// At most this many
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: usize,
    /// Print the table of fault codes (Markdown; with --json one object per code) instead
    #[arg(long)]
    pub codes: bool,
}

#[derive(Debug, Args)]
pub struct ReserveArgs {
    /// Who holds the reservation (a robot's or a scheduler's name; tasks submitted with
    /// `--holder NAME` are its own) [default: your user name]
    #[arg(value_name = "HOLDER")]
    pub holder: Option<String>,
    /// How long it lasts unless renewed, e.g. 10m (at most 24h)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub ttl: Duration,
    /// End the reservation instead
    #[arg(long)]
    pub release: bool,
    /// With --release: end it whoever holds it (the operator's override)
    #[arg(long, requires = "release")]
    pub force: bool,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Required: this is the emergency stop (to stop a task at a safe point, `cancel ID`)
    #[arg(long, required = true)]
    pub now: bool,
    /// Also disable the stage's motor drivers, which stops a move in progress but loses the
    /// homing: every axis must be homed again after the reset
    #[arg(long)]
    pub cut_motors: bool,
    /// Why, for the event log and the status
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct ActArgs {
    /// The action as JSON: {"action": "move", "to": "loading"}
    #[arg(value_name = "JSON")]
    pub action: String,
    /// Also write the JSON result here (ok or not), for the queue task that asked
    #[arg(long, value_name = "FILE")]
    pub result: Option<PathBuf>,
    #[command(flatten)]
    pub target: ActionTarget,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// The wheel position, from 1
    #[arg(value_name = "POSITION")]
    pub position: u32,
    #[command(flatten)]
    pub target: ActionTarget,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// Task id to reorder: 5, or MICROSCOPE/5 for another microscope's queue (without it,
    /// the stage moves)
    #[arg(value_name = "ID")]
    pub id: Option<TaskRef>,
    /// Move the stage to this named position of the microscope description (e.g. loading)
    #[arg(long, value_name = "NAME", conflicts_with_all = ["x", "y", "z", "by", "id"])]
    pub to: Option<String>,
    /// Move the stage's x to this (or, with --by, by this), e.g. 20mm
    #[arg(long, value_name = "LENGTH", value_parser = parse_length, allow_hyphen_values = true, conflicts_with = "id")]
    pub x: Option<Length>,
    /// Move y
    #[arg(long, value_name = "LENGTH", value_parser = parse_length, allow_hyphen_values = true, conflicts_with = "id")]
    pub y: Option<Length>,
    /// Move z
    #[arg(long, value_name = "LENGTH", value_parser = parse_length, allow_hyphen_values = true, conflicts_with = "id")]
    pub z: Option<Length>,
    /// --x, --y, --z are offsets from where the stage is
    #[arg(long, conflicts_with = "id")]
    pub by: bool,
    /// When another run holds the microscope, wait for it (as long as DURATION, or forever)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, value_parser = parse_duration, conflicts_with = "id")]
    pub wait_lock: Option<Option<Duration>>,
    /// Act as this reservation's holder (see `squidctl reserve`)
    #[arg(long, value_name = "NAME", conflicts_with = "id")]
    pub holder: Option<String>,
    /// First among its priority
    #[arg(long, requires = "id")]
    pub front: bool,
    /// Last among its priority
    #[arg(long, requires = "id")]
    pub back: bool,
    /// Just before this task (taking its priority)
    #[arg(long, value_name = "ID", requires = "id")]
    pub before: Option<TaskRef>,
    /// Just after this task (taking its priority)
    #[arg(long, value_name = "ID", requires = "id")]
    pub after: Option<TaskRef>,
    /// Set its priority (higher runs first)
    #[arg(long, allow_negative_numbers = true, requires = "id")]
    pub priority: Option<i32>,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Task id: 5, or MICROSCOPE/5 for another microscope's queue
    #[arg(value_name = "ID")]
    pub id: TaskRef,
    /// The boundary to pause at: the next FOV, the next well, or the next time point
    #[arg(long, value_enum, default_value = "fov")]
    pub at: crate::queue::task::PauseAt,
    /// Why, recorded in the journal and the events
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Task ids: 5, or MICROSCOPE/5 for another microscope's queue
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<TaskRef>,
    /// Give up after this long (exit 124)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Keep printing new events as they come
    #[arg(long, short)]
    pub follow: bool,
    /// Only events after this sequence number
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    pub since: u64,
    /// Only this task's events: 5, or MICROSCOPE/5
    #[arg(long, value_name = "ID")]
    pub task: Option<TaskRef>,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub target: QueueTarget,
    /// Every microscope's queue
    #[arg(long, conflicts_with = "microscope")]
    pub all: bool,
    /// Only tasks that ended within this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// Only tasks in these states
    #[arg(long, value_enum, value_delimiter = ',')]
    pub state: Vec<crate::queue::task::State>,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Keep ended tasks (and events) younger than this
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration)]
    pub keep: Duration,
    /// Say what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub target: QueueTarget,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen: unix:PATH, or ADDRESS:PORT (port 0 picks a free one) [default: unix:$XDG_RUNTIME_DIR/squidctl.sock]
    #[arg(long, value_name = "ADDRESS")]
    pub listen: Option<String>,
    /// Bearer tokens for TCP, one per line `TOKEN read,submit,control [NAME]`, mode 600; needed for an address other than loopback [default: SPOOL_ROOT/api-tokens, made with one admin token on first use]
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Microscope description YAML whose queue to serve; repeat for several [default: the built-in simulated microscope]
    #[arg(long = "microscope", env = "SQUIDCTL_MICROSCOPE", value_name = "FILE")]
    pub microscopes: Vec<PathBuf>,
    /// Seconds between heartbeat comments on event streams (keeps proxies from closing them)
    #[arg(long, value_name = "SECONDS", default_value = "15")]
    pub heartbeat: f64,
    /// Tasks submitted through the API write their runs below this directory only [default: the directory serve starts in]
    #[arg(long, value_name = "DIR")]
    pub output_root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub target: QueueTarget,
    /// Exit when no task is left that could start without someone's help
    #[arg(long)]
    pub exit_when_empty: bool,
    /// Run this shell command when a task ends or the queue is held (the task as JSON on stdin)
    #[arg(long, value_name = "CMD")]
    pub on_finish: Option<String>,
    /// Also hold the queue after a failed run (exit 1); a hang (4) or an output error (5) always does
    #[arg(long)]
    pub hold_on_fail: bool,
    /// A hold condition: at each safe point, suspend the run while this shell command fails
    #[arg(long, value_name = "CMD")]
    pub check_cmd: Option<String>,
    /// Run the hold checks at most this often
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub check_every: Duration,
    /// A suspended run goes on once its conditions have held for this long
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub settle: Duration,
    /// First wait before a retry (`submit --retries`); each next one waits twice as long, at most 10 min
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub retry_backoff: Duration,
    /// Do not suspend a run when its disk has less free space than the rest of it needs
    #[arg(long)]
    pub no_disk_check: bool,
}
