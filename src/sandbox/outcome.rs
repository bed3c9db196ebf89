//! How a sandboxed run ends: what it printed, or one of a few distinct failures (timeout,
//! a limit hit and which, an error with its last line, no output, or a sandbox that could
//! not start), each with a message that says what happened.

use std::fmt;
use std::time::Duration;

use super::Limits;

/// One sandboxed run: what it printed, why it failed if it did, and how long it took.
#[derive(Clone, Debug)]
pub struct Run {
    /// None when the program exited normally and printed something.
    pub failure: Option<Failure>,
    /// Standard output's first bytes (lossy UTF-8).
    pub stdout: String,
    /// Standard error's last bytes (lossy UTF-8), for diagnosis.
    pub stderr: String,
    /// Wall-clock time from start to exit (or kill).
    pub elapsed: Duration,
}

/// Which limit a program ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Cpu,
    Memory,
    Processes,
    FileSize,
    Disk,
    OpenFiles,
    Output,
}

impl Limit {
    pub fn name(self) -> &'static str {
        match self {
            Limit::Cpu => "cpu",
            Limit::Memory => "memory",
            Limit::Processes => "processes",
            Limit::FileSize => "file size",
            Limit::Disk => "disk",
            Limit::OpenFiles => "open files",
            Limit::Output => "output",
        }
    }

    /// The bound as the limits set it, in words.
    pub fn bound(self, limits: &Limits) -> String {
        const MIB: u64 = 1024 * 1024;
        match self {
            Limit::Cpu => format!("{} CPU seconds", limits.cpu_secs),
            Limit::Memory => format!("{} MiB of address space", limits.memory_bytes / MIB),
            Limit::Processes => format!("{} processes", limits.processes),
            Limit::FileSize => format!("{} MiB per file", limits.file_size_bytes / MIB),
            Limit::Disk => format!("{} MiB of /tmp", limits.tmp_bytes / MIB),
            Limit::OpenFiles => format!("{} open files", limits.open_files),
            Limit::Output => format!("{} KiB of output", limits.output_bytes / 1024),
        }
    }
}

/// Why a sandboxed program gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Still running at the wall-clock limit; killed.
    Timeout { after: Duration },
    /// Stopped by a resource limit.
    Limit {
        which: Limit,
        /// The bound, in words ("1024 MiB of address space").
        bound: String,
        /// What showed it (the error's last line, or the signal).
        seen: String,
    },
    /// Exited with an error: the last line of its traceback, or its exit status or signal.
    Error { message: String },
    /// Exited normally without printing anything.
    NoOutput,
    /// bubblewrap could not set the sandbox up (or could not be started).
    Sandbox { message: String },
}

impl Failure {
    /// A short machine-readable kind: timeout, limit, error, no_output, sandbox.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Timeout { .. } => "timeout",
            Failure::Limit { .. } => "limit",
            Failure::Error { .. } => "error",
            Failure::NoOutput => "no_output",
            Failure::Sandbox { .. } => "sandbox",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout { after } => write!(
                f,
                "timeout: still running after {} s, killed",
                after.as_secs_f64()
            ),
            Failure::Limit { which, bound, seen } => {
                write!(f, "limit: {} ({bound}): {seen}", which.name())
            }
            Failure::Error { message } => write!(f, "error: {message}"),
            Failure::NoOutput => write!(f, "no output: the program printed nothing"),
            Failure::Sandbox { message } => write!(f, "sandbox: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_kind_first() {
        let limits = Limits::default();
        let cases = [
            (
                Failure::Timeout {
                    after: Duration::from_millis(1500),
                },
                "timeout: still running after 1.5 s, killed",
            ),
            (
                Failure::Limit {
                    which: Limit::Memory,
                    bound: Limit::Memory.bound(&limits),
                    seen: "MemoryError".into(),
                },
                "limit: memory (1024 MiB of address space): MemoryError",
            ),
            (
                Failure::Error {
                    message: "ZeroDivisionError: division by zero".into(),
                },
                "error: ZeroDivisionError: division by zero",
            ),
            (Failure::NoOutput, "no output: the program printed nothing"),
        ];
        for (failure, text) in cases {
            assert_eq!(failure.to_string(), text);
            assert!(text.starts_with(failure.kind().replace('_', " ").as_str()));
        }
    }
}
