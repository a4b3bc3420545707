//! Exit codes: one enum, one table (kept identical to the README's).

/// How a squidctl process ended. Scripts and cron wrappers branch on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything planned was acquired and saved (or the command succeeded).
    Completed = 0,
    /// The run failed (a device error under `then: abort`, an internal error).
    Failed = 1,
    /// Invalid input or usage: a bad protocol, microscope file or command line.
    Invalid = 2,
    /// Completed, but some fields of view were skipped after errors.
    CompletedWithErrors = 3,
    /// A step missed its deadline (a hang); a thread dump was written.
    Hung = 4,
    /// The output could not be written (disk full, permission denied, I/O error).
    OutputError = 5,
    /// Another run holds this microscope.
    Busy = 6,
    /// `squidctl wait`: the tasks had not ended when its `--timeout` passed.
    WaitTimeout = 124,
    /// Cancelled by SIGINT (Ctrl-C).
    Interrupted = 130,
    /// Cancelled by SIGTERM or SIGHUP.
    Terminated = 143,
}

impl Exit {
    pub const ALL: [Exit; 10] = [
        Exit::Completed,
        Exit::Failed,
        Exit::Invalid,
        Exit::CompletedWithErrors,
        Exit::Hung,
        Exit::OutputError,
        Exit::Busy,
        Exit::WaitTimeout,
        Exit::Interrupted,
        Exit::Terminated,
    ];

    /// The exit a code stands for (a run's, read back from its record).
    pub fn from_code(code: u8) -> Option<Exit> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    /// The README's wording for each code.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Completed => "completed: everything planned was acquired and saved",
            Exit::Failed => {
                "failed: the run stopped on an error (see the log and `squidctl report`)"
            }
            Exit::Invalid => "invalid input or usage: protocol, microscope file or command line",
            Exit::CompletedWithErrors => "completed with errors: some fields of view were skipped",
            Exit::Hung => {
                "a step hung past its deadline, or the savers wrote nothing for the save deadline (a saver hang); a thread dump was written. Waiting for slow savers is back-pressure, not a hang: it is counted and the run goes on"
            }
            Exit::OutputError => "output error: disk full, permission denied or another I/O error",
            Exit::Busy => {
                "the microscope is busy (another run or action holds its lock) or emergency-stopped"
            }
            Exit::WaitTimeout => "`squidctl wait`: the tasks had not ended when --timeout passed",
            Exit::Interrupted => "cancelled by SIGINT (Ctrl-C)",
            Exit::Terminated => "cancelled by SIGTERM or SIGHUP",
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}
