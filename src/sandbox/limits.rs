//! What a sandboxed program may use, and how those limits are put on it: wall time is
//! enforced by the caller (the process group is killed); the rest are rlimits set in the
//! child between `fork` and `exec` of `bwrap`, so bubblewrap and everything it starts
//! inherit them and none can raise them again.

use std::time::Duration;

use rustix::process::{Resource, Rlimit};

const MIB: u64 = 1024 * 1024;

/// Resource limits of one sandboxed run. [`Limits::default`] suits a short
/// arithmetic program: 10 s, 1 GiB of address space, 32 processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time, after which the whole process group is killed.
    pub timeout: Duration,
    /// CPU seconds per process (`RLIMIT_CPU`; SIGXCPU at this, SIGKILL a second later).
    pub cpu_secs: u64,
    /// Address space per process (`RLIMIT_AS`), in bytes.
    pub memory_bytes: u64,
    /// Processes and threads of the sandbox's user (`RLIMIT_NPROC`).
    pub processes: u64,
    /// Largest file the program may write (`RLIMIT_FSIZE`), in bytes.
    pub file_size_bytes: u64,
    /// Size of the program's writable /tmp (a fresh tmpfs), in bytes.
    pub tmp_bytes: u64,
    /// Open file descriptors per process (`RLIMIT_NOFILE`).
    pub open_files: u64,
    /// Standard output kept; a program printing more is killed. Of standard error the
    /// last this many bytes are kept.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self::with_timeout(Duration::from_secs(10))
    }
}

impl Limits {
    /// The default limits with another wall-clock timeout; the CPU limit is one second
    /// above it, so a busy loop is reported as the timeout it is.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            timeout,
            cpu_secs: timeout.as_secs() + 1 + u64::from(timeout.subsec_nanos() > 0),
            memory_bytes: 1024 * MIB,
            processes: 32,
            file_size_bytes: 16 * MIB,
            tmp_bytes: 64 * MIB,
            open_files: 256,
            output_bytes: 64 * 1024,
        }
    }

    /// A short text naming every limit (for identities and messages).
    pub fn describe(&self) -> String {
        format!(
            "timeout={}s,cpu={}s,memory={}MiB,processes={},file={}MiB,tmp={}MiB,files={},output={}KiB",
            self.timeout.as_secs_f64(),
            self.cpu_secs,
            self.memory_bytes / MIB,
            self.processes,
            self.file_size_bytes / MIB,
            self.tmp_bytes / MIB,
            self.open_files,
            self.output_bytes / 1024,
        )
    }

    /// The rlimits to set in the child, as `(resource, soft, hard)`. `tasks_already`
    /// is how many tasks the sandbox's user runs already (0 for a user of its own):
    /// `RLIMIT_NPROC` counts every task of the user, so the budget goes on top.
    pub(crate) fn rlimits(&self, tasks_already: u64) -> [(Resource, u64, u64); 6] {
        [
            (Resource::Cpu, self.cpu_secs, self.cpu_secs + 1),
            (Resource::As, self.memory_bytes, self.memory_bytes),
            (
                Resource::Nproc,
                tasks_already + self.processes,
                tasks_already + self.processes,
            ),
            (Resource::Fsize, self.file_size_bytes, self.file_size_bytes),
            (Resource::Nofile, self.open_files, self.open_files),
            (Resource::Core, 0, 0),
        ]
    }
}

/// Sets the rlimits in the child process. Only system calls: safe between `fork` and
/// `exec`.
pub(crate) fn apply(rlimits: &[(Resource, u64, u64)]) -> std::io::Result<()> {
    for &(resource, soft, hard) in rlimits {
        rustix::process::setrlimit(
            resource,
            Rlimit {
                current: Some(soft),
                maximum: Some(hard),
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_a_second_above_the_wall_clock() {
        assert_eq!(Limits::with_timeout(Duration::from_secs(10)).cpu_secs, 11);
        assert_eq!(
            Limits::with_timeout(Duration::from_millis(1500)).cpu_secs,
            3
        );
        let limits = Limits::default();
        assert_eq!(
            limits.describe(),
            "timeout=10s,cpu=11s,memory=1024MiB,processes=32,file=16MiB,tmp=64MiB,files=256,output=64KiB"
        );
        let nproc = limits.rlimits(100)[2];
        assert_eq!((nproc.1, nproc.2), (132, 132));
    }
}
