//! A sandbox for programs evalkit did not write (the `pot` strategy's model-written
//! Python). Each program is a separate process under bubblewrap (`bwrap`): no network
//! (its own network namespace, loopback included), an empty environment, nothing of the
//! host but a read-only /usr, a fresh size-capped tmpfs /tmp as its working directory, its
//! own PIDs, and limits on wall time, CPU seconds, address space, processes, file size,
//! open files and output. Every way a run can end is a distinct [`Failure`] (timeout, a
//! limit and which, an error with its last line, no output, a sandbox that would not
//! start), so a caller can record why a program gave no answer.
//!
//! Generic on purpose: it knows processes, limits and Python's way of failing, nothing of
//! items, models or runs. Debian's `bubblewrap` and `python3` packages provide the two
//! programs it runs ([`check`] says when either is missing).

mod bwrap;
mod limits;
mod outcome;
mod process;
mod python;

use std::fmt;
use std::path::PathBuf;

pub use limits::Limits;
pub use outcome::{Failure, Limit, Run};
pub use python::{check, run_python};

/// bubblewrap, as Debian's `bubblewrap` package installs it.
pub const BWRAP: &str = "/usr/bin/bwrap";
/// The system's Python (Debian's `python3`); the only one visible inside the sandbox.
pub const PYTHON: &str = "/usr/bin/python3";

/// Why programs cannot be run here.
#[derive(Debug)]
pub enum Unavailable {
    /// A program the sandbox needs is not installed.
    Missing { what: &'static str, path: PathBuf },
    /// Both are installed, but a test program did not run (e.g. no user namespaces).
    Broken(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Missing { what, path } => {
                let package = if *what == "python3" {
                    "python3 (the system's: the sandbox binds only /usr)"
                } else {
                    what
                };
                write!(
                    f,
                    "{} is missing: install {package}: apt-get install -y {what}",
                    path.display()
                )
            }
            Unavailable::Broken(why) => write!(
                f,
                "bubblewrap cannot run programs here: {why}; it needs user namespaces \
                 (check `sysctl user.max_user_namespaces` is above 0, and in a container \
                 that unshare(CLONE_NEWUSER) is allowed)"
            ),
        }
    }
}
