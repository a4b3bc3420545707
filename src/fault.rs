//! The fault model: every error squidctl reports, in every interface, as one typed object a
//! scheduler can branch on — a category, a stable numeric code, whether a retry can help, and
//! what to do with the plate. The codes and their 1000-blocks are Squid Core Service's
//! (`squid_service/faults.py`), so a driver written for Squid reads ours unchanged; codes
//! squidctl adds sit in the same blocks. Exit codes stay as they are: a fault adds to them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::exit::Exit;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    Protocol,
    InvalidParam,
    Config,
    HardwareTransient,
    HardwareFault,
    Acquisition,
    Io,
    Autofocus,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Protocol,
        Category::InvalidParam,
        Category::Config,
        Category::HardwareTransient,
        Category::HardwareFault,
        Category::Acquisition,
        Category::Io,
        Category::Autofocus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::Protocol => "PROTOCOL",
            Category::InvalidParam => "INVALID_PARAM",
            Category::Config => "CONFIG",
            Category::HardwareTransient => "HARDWARE_TRANSIENT",
            Category::HardwareFault => "HARDWARE_FAULT",
            Category::Acquisition => "ACQUISITION",
            Category::Io => "IO",
            Category::Autofocus => "AUTOFOCUS",
        }
    }
}

/// What an automated scheduler should do about a fault; it never changes what was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SchedulerAction {
    /// Send the same request again (after a pause); the cause passes by itself.
    Retry,
    /// Stop this plate and take it off; the instrument can take the next one.
    AbortPlate,
    /// Do not start this plate (or method) as asked: the request itself is wrong.
    RejectPlate,
    /// Send no more work to this instrument until the cause (disk, reservation) is cleared.
    PauseInstrument,
    /// A person must look (a device fault, an emergency stop, a missing calibration).
    EscalateOperator,
}

impl SchedulerAction {
    pub fn name(self) -> &'static str {
        match self {
            SchedulerAction::Retry => "RETRY",
            SchedulerAction::AbortPlate => "ABORT_PLATE",
            SchedulerAction::RejectPlate => "REJECT_PLATE",
            SchedulerAction::PauseInstrument => "PAUSE_INSTRUMENT",
            SchedulerAction::EscalateOperator => "ESCALATE_OPERATOR",
        }
    }
}

/// Every fault code, each with its fixed category, advice and meaning (the README's table
/// is generated from [`Code::ALL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    UnknownResource,
    WrongState,
    SchemaViolation,
    Auth,
    Forbidden,
    NotImplemented,
    Overloaded,
    EmergencyStopped,
    Reserved,
    IdempotencyMismatch,
    OutOfRange,
    BadValue,
    InvalidProtocol,
    UnknownChannel,
    UnknownObjective,
    CapabilityMissing,
    HardwareMismatch,
    InvalidMicroscope,
    NoEquivalent,
    Timeout,
    LinkError,
    DeviceFault,
    DeviceDisconnected,
    NeedsHoming,
    Internal,
    StartFailed,
    RunFailed,
    Partial,
    Cancelled,
    EmergencyStop,
    PathNotWritable,
    DiskFull,
    IoError,
    InsufficientDisk,
    AutofocusFailed,
    AutofocusNotReady,
}

/// One row of the code table.
pub struct CodeInfo {
    pub number: u32,
    pub name: &'static str,
    pub category: Category,
    pub recoverable: bool,
    pub action: SchedulerAction,
    /// Advisory only; clients branch on the code.
    pub http: u16,
    pub meaning: &'static str,
}

impl Code {
    pub const ALL: [Code; 36] = [
        Code::UnknownResource,
        Code::WrongState,
        Code::SchemaViolation,
        Code::Auth,
        Code::Forbidden,
        Code::NotImplemented,
        Code::Overloaded,
        Code::EmergencyStopped,
        Code::Reserved,
        Code::IdempotencyMismatch,
        Code::OutOfRange,
        Code::BadValue,
        Code::InvalidProtocol,
        Code::UnknownChannel,
        Code::UnknownObjective,
        Code::CapabilityMissing,
        Code::HardwareMismatch,
        Code::InvalidMicroscope,
        Code::NoEquivalent,
        Code::Timeout,
        Code::LinkError,
        Code::DeviceFault,
        Code::DeviceDisconnected,
        Code::NeedsHoming,
        Code::Internal,
        Code::StartFailed,
        Code::RunFailed,
        Code::Partial,
        Code::Cancelled,
        Code::EmergencyStop,
        Code::PathNotWritable,
        Code::DiskFull,
        Code::IoError,
        Code::InsufficientDisk,
        Code::AutofocusFailed,
        Code::AutofocusNotReady,
    ];

    pub fn info(self) -> CodeInfo {
        use Category as C;
        use SchedulerAction as A;
        let (number, name, category, recoverable, action, http, meaning) = match self {
            Code::UnknownResource => (
                1001,
                "PROTOCOL_UNKNOWN_RESOURCE",
                C::Protocol,
                false,
                A::RejectPlate,
                404,
                "no such route, task, job, method or microscope",
            ),
            Code::WrongState => (
                1002,
                "PROTOCOL_WRONG_STATE",
                C::Protocol,
                true,
                A::Retry,
                409,
                "not now: the task or instrument is not in a state this applies to (a run holds the microscope, no worker serves it, the method is in use)",
            ),
            Code::SchemaViolation => (
                1003,
                "PROTOCOL_SCHEMA_VIOLATION",
                C::Protocol,
                false,
                A::RejectPlate,
                422,
                "the request's body or query is malformed: an unknown key, a wrong type, not JSON",
            ),
            Code::Auth => (
                1004,
                "PROTOCOL_AUTH",
                C::Protocol,
                false,
                A::EscalateOperator,
                401,
                "no token, or a token the server does not know",
            ),
            Code::Forbidden => (
                1005,
                "PROTOCOL_FORBIDDEN",
                C::Protocol,
                false,
                A::EscalateOperator,
                403,
                "the token's scopes do not allow this, or the peer may not connect",
            ),
            Code::NotImplemented => (
                1006,
                "PROTOCOL_NOT_IMPLEMENTED",
                C::Protocol,
                false,
                A::RejectPlate,
                501,
                "the route exists for compatibility but squidctl does not do this",
            ),
            Code::Overloaded => (
                1007,
                "PROTOCOL_OVERLOADED",
                C::Protocol,
                true,
                A::Retry,
                503,
                "too many connections or requests at once: try again shortly",
            ),
            Code::EmergencyStopped => (
                1008,
                "PROTOCOL_EMERGENCY_STOPPED",
                C::Protocol,
                false,
                A::EscalateOperator,
                409,
                "the instrument is emergency-stopped: nothing starts until a person runs `squidctl reset`",
            ),
            Code::Reserved => (
                1009,
                "PROTOCOL_RESERVED",
                C::Protocol,
                true,
                A::Retry,
                409,
                "another client holds the instrument's reservation",
            ),
            Code::IdempotencyMismatch => (
                1010,
                "PROTOCOL_IDEMPOTENCY_MISMATCH",
                C::Protocol,
                false,
                A::RejectPlate,
                422,
                "this Idempotency-Key was used with another request",
            ),
            Code::OutOfRange => (
                2001,
                "INVALID_PARAM_OUT_OF_RANGE",
                C::InvalidParam,
                false,
                A::RejectPlate,
                400,
                "a value outside what the device or the plate allows (stage travel, exposure range)",
            ),
            Code::BadValue => (
                2002,
                "INVALID_PARAM_BAD_VALUE",
                C::InvalidParam,
                false,
                A::RejectPlate,
                400,
                "a malformed value: a bad well name, duration, number or option",
            ),
            Code::InvalidProtocol => (
                2003,
                "INVALID_PARAM_PROTOCOL",
                C::InvalidParam,
                false,
                A::RejectPlate,
                422,
                "the acquisition protocol (or method) does not validate; `detail.diagnostics` has each error with its line",
            ),
            Code::UnknownChannel => (
                3001,
                "CONFIG_UNKNOWN_CHANNEL",
                C::Config,
                false,
                A::RejectPlate,
                422,
                "a channel the microscope does not have",
            ),
            Code::UnknownObjective => (
                3002,
                "CONFIG_UNKNOWN_OBJECTIVE",
                C::Config,
                false,
                A::RejectPlate,
                422,
                "an objective the microscope does not have",
            ),
            Code::CapabilityMissing => (
                3003,
                "CONFIG_CAPABILITY_MISSING",
                C::Config,
                false,
                A::RejectPlate,
                422,
                "the microscope lacks what this needs (a laser autofocus, a filter wheel, a named position)",
            ),
            Code::HardwareMismatch => (
                3004,
                "CONFIG_HARDWARE_MISMATCH",
                C::Config,
                false,
                A::EscalateOperator,
                422,
                "the devices found do not match the microscope file",
            ),
            Code::InvalidMicroscope => (
                3005,
                "CONFIG_INVALID_MICROSCOPE",
                C::Config,
                false,
                A::EscalateOperator,
                422,
                "the microscope file does not load or validate",
            ),
            Code::NoEquivalent => (
                3006,
                "CONFIG_NO_EQUIVALENT",
                C::Config,
                false,
                A::RejectPlate,
                422,
                "an imported setting (Squid's acquisition configuration) that squidctl has no equivalent for",
            ),
            Code::Timeout => (
                4001,
                "HARDWARE_TRANSIENT_TIMEOUT",
                C::HardwareTransient,
                true,
                A::Retry,
                503,
                "a device step missed its deadline (a hang); a thread dump was written and the run can be resumed",
            ),
            Code::LinkError => (
                4002,
                "HARDWARE_TRANSIENT_LINK",
                C::HardwareTransient,
                true,
                A::Retry,
                503,
                "a device's link failed (lost frames, CRC errors) but may recover",
            ),
            Code::DeviceFault => (
                5001,
                "HARDWARE_FAULT_GENERIC",
                C::HardwareFault,
                false,
                A::EscalateOperator,
                503,
                "a device reported an error its retries did not clear",
            ),
            Code::DeviceDisconnected => (
                5002,
                "HARDWARE_FAULT_DISCONNECTED",
                C::HardwareFault,
                false,
                A::EscalateOperator,
                503,
                "a device does not answer or cannot be opened",
            ),
            Code::NeedsHoming => (
                5003,
                "HARDWARE_FAULT_NEEDS_HOMING",
                C::HardwareFault,
                false,
                A::EscalateOperator,
                503,
                "a controller lost its position (it restarted); only homing restores it",
            ),
            Code::Internal => (
                5999,
                "HARDWARE_FAULT_INTERNAL",
                C::HardwareFault,
                false,
                A::EscalateOperator,
                500,
                "an internal error of squidctl (a bug: please report it)",
            ),
            Code::StartFailed => (
                6001,
                "ACQUISITION_START_FAILED",
                C::Acquisition,
                false,
                A::EscalateOperator,
                503,
                "the run could not start",
            ),
            Code::RunFailed => (
                6002,
                "ACQUISITION_RUNTIME",
                C::Acquisition,
                false,
                A::AbortPlate,
                503,
                "the run stopped on an error; what it saved is kept and `resume` goes on",
            ),
            Code::Partial => (
                6003,
                "ACQUISITION_PARTIAL",
                C::Acquisition,
                false,
                A::EscalateOperator,
                503,
                "the run completed but skipped fields of view after errors",
            ),
            Code::Cancelled => (
                6004,
                "ACQUISITION_CANCELLED",
                C::Acquisition,
                true,
                A::AbortPlate,
                503,
                "the run was cancelled (a signal, `cancel`, an abort)",
            ),
            Code::EmergencyStop => (
                6005,
                "ACQUISITION_EMERGENCY_STOP",
                C::Acquisition,
                false,
                A::EscalateOperator,
                503,
                "the run ended on an emergency stop",
            ),
            Code::PathNotWritable => (
                7001,
                "IO_PATH_NOT_WRITABLE",
                C::Io,
                false,
                A::PauseInstrument,
                500,
                "the output cannot be written there (permission, read-only, not a directory)",
            ),
            Code::DiskFull => (
                7002,
                "IO_DISK_FULL",
                C::Io,
                false,
                A::PauseInstrument,
                507,
                "the output's disk is full",
            ),
            Code::IoError => (
                7003,
                "IO_GENERIC",
                C::Io,
                false,
                A::PauseInstrument,
                500,
                "another I/O error reading or writing files",
            ),
            Code::InsufficientDisk => (
                7004,
                "IO_INSUFFICIENT_DISK",
                C::Io,
                false,
                A::PauseInstrument,
                507,
                "preflight: the output's free space is less than the run needs",
            ),
            Code::AutofocusFailed => (
                8001,
                "AUTOFOCUS_FAILURE",
                C::Autofocus,
                true,
                A::Retry,
                503,
                "autofocus found no focus (no spot, no contrast, out of range)",
            ),
            Code::AutofocusNotReady => (
                8002,
                "AUTOFOCUS_NOT_READY",
                C::Autofocus,
                false,
                A::EscalateOperator,
                503,
                "autofocus is not ready: the laser autofocus has no calibration (`squidctl calibrate-af`)",
            ),
        };
        CodeInfo {
            number,
            name,
            category,
            recoverable,
            action,
            http,
            meaning,
        }
    }

    pub fn from_number(n: u32) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.info().number == n)
    }

    /// The code an HTTP refusal stands for when its site names none.
    pub fn for_http(status: u16) -> Code {
        match status {
            400 => Code::BadValue,
            401 => Code::Auth,
            403 => Code::Forbidden,
            404 | 405 => Code::UnknownResource,
            409 => Code::WrongState,
            408 | 411 | 413 | 415 | 422 | 431 => Code::SchemaViolation,
            429 | 503 => Code::Overloaded,
            501 => Code::NotImplemented,
            507 => Code::DiskFull,
            _ => Code::Internal,
        }
    }

    /// The code a process's exit stands for when nothing more precise is known.
    pub fn for_exit(exit: Exit) -> Option<Code> {
        Some(match exit {
            Exit::Completed => return None,
            Exit::Failed => Code::RunFailed,
            Exit::Invalid => Code::InvalidProtocol,
            Exit::CompletedWithErrors => Code::Partial,
            Exit::Hung => Code::Timeout,
            Exit::OutputError => Code::IoError,
            Exit::Busy => Code::WrongState,
            Exit::WaitTimeout => Code::WrongState,
            Exit::Interrupted | Exit::Terminated => Code::Cancelled,
        })
    }

    /// The README's table, one row per code.
    pub fn markdown_table() -> String {
        let mut s = String::from(
            "| code | name | category | recoverable | scheduler_action | HTTP | meaning |\n|---|---|---|---|---|---|---|\n",
        );
        for c in Code::ALL {
            let i = c.info();
            s.push_str(&format!(
                "| {} | `{}` | `{}` | {} | `{}` | {} | {} |\n",
                i.number,
                i.name,
                i.category.name(),
                if i.recoverable { "yes" } else { "no" },
                i.action.name(),
                i.http,
                i.meaning
            ));
        }
        s
    }
}

/// One fault, in the shape of Squid's `Fault` (`{"error": Fault}` in the API), plus `name`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Fault {
    pub category: Category,
    pub code: u32,
    /// The code's name (`IO_DISK_FULL`): for people reading logs; clients use `code`.
    #[serde(default)]
    pub name: String,
    pub recoverable: bool,
    pub scheduler_action: SchedulerAction,
    /// The history's number for it (`/v1/system/faults?since=`); 0 for a refusal that
    /// changed nothing and is not kept.
    #[serde(default)]
    pub sequence: u64,
    /// What failed: `stage.x`, `camera`, `disk`, `autofocus`, `protocol`, `api`…
    #[serde(default)]
    pub component: Option<String>,
    pub message: String,
    #[serde(default)]
    pub detail: Map<String, Value>,
    pub timestamp: String,
    /// Nothing more will happen on its own: the task ended, or a person must act.
    #[serde(default)]
    pub terminal: bool,
    #[serde(default)]
    pub operator_intervention_required: bool,
    #[serde(default = "yes")]
    pub plate_removable: bool,
    #[serde(default)]
    pub resolved_at: Option<String>,
    #[serde(default)]
    pub resolved_by: Option<String>,
}

fn yes() -> bool {
    true
}

impl Fault {
    pub fn new(code: Code, message: impl Into<String>) -> Fault {
        let i = code.info();
        Fault {
            category: i.category,
            code: i.number,
            name: i.name.into(),
            recoverable: i.recoverable,
            scheduler_action: i.action,
            sequence: 0,
            component: None,
            message: message.into(),
            detail: Map::new(),
            timestamp: crate::clock::WallTime::now().rfc3339(),
            terminal: !i.recoverable,
            operator_intervention_required: matches!(i.action, SchedulerAction::EscalateOperator),
            plate_removable: true,
            resolved_at: None,
            resolved_by: None,
        }
    }

    pub fn component(mut self, c: impl Into<String>) -> Fault {
        self.component = Some(c.into());
        self
    }

    /// Adds `key: value` to `detail`.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Fault {
        self.detail.insert(
            key.into(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    pub fn code(&self) -> Option<Code> {
        Code::from_number(self.code)
    }

    /// The HTTP status the API answers it with.
    pub fn http_status(&self) -> u16 {
        self.code().map(|c| c.info().http).unwrap_or(500)
    }

    /// From an exit and the message that explains it (a run's end reason, the first error).
    pub fn from_exit(exit: Exit, message: impl Into<String>) -> Option<Fault> {
        let message = message.into();
        let code = match Code::for_exit(exit)? {
            Code::IoError => io_code(&message),
            c => c,
        };
        Some(Fault::new(code, message).with("exit_code", exit.code()))
    }

    /// The exit a command ends with for this fault when nothing more precise decides it:
    /// a wrong request (or an unknown name) is invalid input, a disk fault an output error.
    pub fn exit(&self) -> Exit {
        match self.category {
            Category::InvalidParam | Category::Config => Exit::Invalid,
            Category::Protocol if self.code() == Some(Code::UnknownResource) => Exit::Invalid,
            Category::Io => Exit::OutputError,
            _ => Exit::Failed,
        }
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

static FIRST: std::sync::Mutex<Option<Fault>> = std::sync::Mutex::new(None);

/// Keep the process's first fault (the cause; later ones follow from it), for the `--json`
/// line a failing command prints.
pub fn remember(f: &Fault) {
    let mut first = FIRST.lock().unwrap_or_else(|p| p.into_inner());
    if first.is_none() {
        *first = Some(f.clone());
    }
}

pub fn first() -> Option<Fault> {
    FIRST.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A disk-full or permission message as its own code (the OS's words are stable).
pub fn io_code(message: &str) -> Code {
    let m = message.to_ascii_lowercase();
    if m.contains("no space left") || m.contains("disk full") || m.contains("quota exceeded") {
        Code::DiskFull
    } else if m.contains("permission denied") || m.contains("read-only") {
        Code::PathNotWritable
    } else {
        Code::IoError
    }
}

/// A device's component name for a step kind (`move_xy` → `stage.xy`).
pub fn component_of_step(step: &str) -> &'static str {
    match step {
        "move_xy" => "stage.xy",
        "move_z" => "stage.z",
        "capture" => "camera",
        "illumination" => "illumination",
        "autofocus" => "autofocus",
        "save" => "disk",
        _ => "runner",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sit_in_their_categorys_block() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let i = c.info();
            assert!(seen.insert(i.number), "{} twice", i.number);
            let block = Category::ALL
                .iter()
                .position(|k| *k == i.category)
                .map(|p| p as u32 + 1)
                .unwrap_or(0);
            assert_eq!(i.number / 1000, block, "{} in {:?}", i.number, i.category);
            assert!(i.name.starts_with(i.category.name()), "{}", i.name);
            assert_eq!(Code::from_number(i.number), Some(c));
        }
    }

    #[test]
    fn a_fault_serializes_as_squids_and_reads_back() {
        let f = Fault::new(Code::OutOfRange, "x 200 mm outside [0, 120]")
            .component("stage.x")
            .with("target_mm", 200.0);
        let v = f.to_value();
        assert_eq!(v["category"], "INVALID_PARAM");
        assert_eq!(v["code"], 2001);
        assert_eq!(v["scheduler_action"], "REJECT_PLATE");
        assert_eq!(v["detail"]["target_mm"], 200.0);
        assert_eq!(v["terminal"], true);
        let back: Fault = serde_json::from_value(v).expect("reads back");
        assert_eq!(back, f);
        assert_eq!(
            io_code("writing a.tif: No space left on device (os error 28)"),
            Code::DiskFull
        );
    }
}
