//! One `evalkit run` per run directory: an exclusive advisory lock (`flock`, through the
//! standard library's `File::try_lock`) on `run.lock`, held for as long as the journal is
//! open. Two processes on one directory would otherwise both send every item and overwrite
//! each other's manifest sessions. The file holds the holder's PID, so the second process
//! can say who has the directory; the kernel drops the lock when the holder exits, however
//! it exits (a stale file left by a killed run locks nothing).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::Context as _;

/// The lock file's name inside a run directory.
pub const LOCK: &str = "run.lock";

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of run directory `dir` (which must exist) without waiting: an error
    /// naming the PID that holds it when another process does.
    pub fn acquire(dir: &Path) -> anyhow::Result<RunLock> {
        let path = dir.join(LOCK);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| {
                format!(
                    "cannot open {} (is the run directory writable?)",
                    path.display()
                )
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.take(32).read_to_string(&mut text);
                let holder = match text.trim().parse::<u32>() {
                    Ok(pid) => format!("PID {pid}"),
                    Err(_) => "another process".to_string(),
                };
                anyhow::bail!(
                    "run directory in use by {holder}: {} is being written by another \
                     `evalkit run`; wait for it to finish (or stop it), or give this run \
                     another --out",
                    dir.display()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // Ours now: record who holds it (best effort; the lock is what counts).
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(RunLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(tmp.path()).unwrap();
        let err = RunLock::acquire(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "run directory in use by PID {}",
                std::process::id()
            )),
            "{err}"
        );
        drop(first);
        RunLock::acquire(tmp.path()).unwrap();
    }
}
