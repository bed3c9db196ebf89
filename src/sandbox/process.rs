//! Running one command under bwrap and collecting what happened: its exit status, the
//! head of its standard output (at most the limit; more kills it), the tail of its
//! standard error, and whether the wall clock or the output cap stopped it.
//!
//! bwrap is started with an empty environment, from `/`, in a session and process group
//! of its own, with the rlimits of [`Limits`] set between `fork` and `exec`. When evalkit
//! runs as root it also drops to a fresh unprivileged uid, because the kernel does not
//! enforce `RLIMIT_NPROC` for root and a uid of its own gives each sandbox its own
//! process budget. On a timeout the whole group is killed with SIGKILL; bubblewrap's
//! `--die-with-parent` and its PID namespace take every process inside down with it.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::{Limits, bwrap, limits};

/// The first of the uids a root caller's sandboxes run as, and how many there are.
const FIRST_UID: u32 = 2_000_000_000;
const UIDS: u32 = 100_000_000;

/// What one sandboxed command did.
pub(crate) struct Raw {
    pub status: ExitStatus,
    /// At most `output_bytes` from the start.
    pub stdout: Vec<u8>,
    /// At most `output_bytes` from the end.
    pub stderr: Vec<u8>,
    /// Killed at the wall-clock limit.
    pub timed_out: bool,
    /// Killed for printing more than `output_bytes`.
    pub output_overflow: bool,
    pub elapsed: Duration,
}

/// Runs `argv` in the sandbox with `stdin` as its standard input.
pub(crate) fn run(
    bwrap_path: &Path,
    argv: &[&str],
    stdin: Vec<u8>,
    limits: &Limits,
) -> std::io::Result<Raw> {
    let user = sandbox_user();
    let tasks_already = match user {
        Some(_) => 0,
        None => tasks_of(rustix::process::getuid().as_raw()),
    };
    let rlimits = limits.rlimits(tasks_already);
    let mut command = Command::new(bwrap_path);
    command
        .args(bwrap::args(limits.tmp_bytes))
        .args(argv)
        .env_clear()
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(uid) = user {
        // std drops the supplementary groups too when root changes its uid.
        command.uid(uid).gid(uid);
    }
    // SAFETY: the closure runs in the child between fork and exec; it makes system calls
    // only (setsid, setrlimit) and neither allocates nor takes locks.
    unsafe {
        command.pre_exec(move || {
            rustix::process::setsid()?;
            limits::apply(&rlimits)
        });
    }

    let start = Instant::now();
    let mut child = command.spawn()?;
    let input = child.stdin.take();
    let writer = thread::spawn(move || {
        if let Some(mut input) = input {
            // A program that exits without reading its input closes the pipe: not an error.
            let _ = input.write_all(&stdin);
        }
    });
    let overflow = Arc::new(AtomicBool::new(false));
    let cap = limits.output_bytes;
    let out = child.stdout.take();
    let out_reader = {
        let overflow = Arc::clone(&overflow);
        thread::spawn(move || {
            out.map(|o| read_head(o, cap, &overflow))
                .unwrap_or_default()
        })
    };
    let err = child.stderr.take();
    let err_reader = thread::spawn(move || err.map(|e| read_tail(e, cap)).unwrap_or_default());

    let waited = wait(&mut child, start + limits.timeout, &overflow);
    let elapsed = start.elapsed();
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let (status, stopped) = waited?;
    let output_overflow = overflow.load(Ordering::SeqCst);
    Ok(Raw {
        status,
        stdout,
        stderr,
        timed_out: stopped && !output_overflow,
        output_overflow,
        elapsed,
    })
}

/// Waits for the child until `deadline` or an output overflow, then kills its group.
/// Returns the status and whether the child was killed.
fn wait(
    child: &mut Child,
    deadline: Instant,
    overflow: &AtomicBool,
) -> std::io::Result<(ExitStatus, bool)> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok((status, false)),
            Ok(None) => {}
            Err(e) => {
                kill_group(child);
                let _ = child.wait();
                return Err(e);
            }
        }
        let now = Instant::now();
        if now >= deadline || overflow.load(Ordering::SeqCst) {
            kill_group(child);
            return child.wait().map(|status| (status, true));
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// SIGKILL to the child's process group (the child leads it: it called setsid). The
/// child is not reaped yet, so its id still names this group.
fn kill_group(child: &mut Child) {
    let pid = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    match pid {
        Some(pid) => {
            if rustix::process::kill_process_group(pid, rustix::process::Signal::KILL).is_err() {
                let _ = child.kill();
            }
        }
        None => {
            let _ = child.kill();
        }
    }
}

/// The first `cap` bytes; sets `overflow` and stops reading when there are more.
fn read_head(mut from: impl Read, cap: usize, overflow: &AtomicBool) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match from.read(&mut chunk) {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > cap {
                    kept.truncate(cap);
                    overflow.store(true, Ordering::SeqCst);
                    return kept;
                }
            }
        }
    }
}

/// Everything read, but only the last `cap` bytes are kept.
fn read_tail(mut from: impl Read, cap: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match from.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&chunk[..n]);
                // Trimmed in batches, not on every read.
                if kept.len() > 2 * cap.max(chunk.len()) {
                    kept.drain(..kept.len() - cap);
                }
            }
        }
    }
    if kept.len() > cap {
        kept.drain(..kept.len() - cap);
    }
    kept
}

/// The user the sandbox runs as: a fresh unprivileged uid when the caller is root, else
/// the caller's own (None).
fn sandbox_user() -> Option<u32> {
    if !rustix::process::getuid().is_root() {
        return None;
    }
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Some(FIRST_UID + std::process::id().wrapping_mul(7919).wrapping_add(n) % UIDS)
}

/// Tasks (processes and threads) the user runs now, from /proc.
fn tasks_of(uid: u32) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let uid = uid.to_string();
    dir.flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("status")).ok())
        .filter(|status| {
            status.lines().any(|l| {
                l.strip_prefix("Uid:")
                    .and_then(|r| r.split_whitespace().next())
                    == Some(uid.as_str())
            })
        })
        .map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(1)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_stops_at_the_cap_and_tail_keeps_the_end() {
        let overflow = AtomicBool::new(false);
        assert_eq!(read_head(&b"hello"[..], 10, &overflow), b"hello");
        assert!(!overflow.load(Ordering::SeqCst));
        assert_eq!(read_head(&b"hello world"[..], 5, &overflow), b"hello");
        assert!(overflow.load(Ordering::SeqCst));
        let long: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let tail = read_tail(&long[..], 1000);
        assert_eq!(tail.len(), 1000);
        assert!(long.ends_with(&tail));
    }

    #[test]
    fn this_process_counts_among_its_users_tasks() {
        assert!(tasks_of(rustix::process::getuid().as_raw()) >= 1);
    }
}
