//! What a child process cost: wall time from the parent, CPU time (user + system) from
//! `getrusage(RUSAGE_CHILDREN)` before and after it is waited for, and the peak resident
//! memory a process reports about itself.

use std::process::{Command, Output};
use std::time::Instant;

/// User + system CPU seconds of every child waited for so far.
pub fn children_cpu_s() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// This process's peak resident memory in MiB (`VmHWM`), 0 when unknown.
pub fn own_peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// A finished child: its output, wall seconds and CPU seconds.
pub struct Child {
    pub output: Output,
    pub wall_s: f64,
    pub cpu_s: f64,
}

/// Runs `command` to the end (on a blocking thread; one child at a time, so the
/// children's CPU difference is this child's).
pub async fn run(mut command: Command) -> anyhow::Result<Child> {
    tokio::task::spawn_blocking(move || {
        let cpu_before = children_cpu_s();
        let started = Instant::now();
        let output = command.output()?;
        let wall_s = started.elapsed().as_secs_f64();
        let cpu_s = children_cpu_s() - cpu_before;
        if !output.status.success() {
            anyhow::bail!(
                "{:?} failed: {}",
                command.get_program(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(Child {
            output,
            wall_s,
            cpu_s,
        })
    })
    .await?
}
