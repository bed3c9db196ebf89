//! Python programs in the sandbox. The interpreter is the system's /usr/bin/python3 (the
//! sandbox binds only /usr, so no other Python is visible inside), run in isolated mode
//! (`-I`: no PYTHON* variables, no user site-packages) without writing bytecode (`-B`),
//! reading the program from standard input. What went wrong is read back from how it
//! ended: a signal (SIGXCPU, SIGXFSZ; bubblewrap reports a child's signal as exit status
//! 128 + signal), or the last line of its traceback (MemoryError, EAGAIN from fork or
//! thread creation, EFBIG, ENOSPC, EMFILE, ENOMEM name the limit; anything else is the
//! program's own error).

use std::path::Path;
use std::time::Duration;

use super::outcome::{Failure, Limit, Run};
use super::process::{self, Raw};
use super::{BWRAP, Limits, PYTHON, Unavailable};

const SIGKILL: i32 = 9;
const SIGXCPU: i32 = 24;
const SIGXFSZ: i32 = 25;

/// Runs a Python program in the sandbox; what it printed, or why it failed.
pub fn run_python(source: &str, limits: &Limits) -> Run {
    run_with(Path::new(BWRAP), Path::new(PYTHON), source, limits)
}

/// Checks that bubblewrap and the system's python3 are installed and that a program runs
/// in the sandbox here (bubblewrap needs user namespaces).
pub fn check() -> Result<(), Unavailable> {
    check_with(Path::new(BWRAP), Path::new(PYTHON))
}

fn check_with(bwrap: &Path, python: &Path) -> Result<(), Unavailable> {
    for (what, path) in [("bubblewrap", bwrap), ("python3", python)] {
        if !is_executable(path) {
            return Err(Unavailable::Missing {
                what,
                path: path.to_path_buf(),
            });
        }
    }
    let run = run_with(bwrap, python, "print('ok')", &Limits::default());
    match run.failure {
        None if run.stdout.trim() == "ok" => Ok(()),
        None => Err(Unavailable::Broken(format!(
            "a test program printed {:?} instead of \"ok\"",
            run.stdout
        ))),
        Some(failure) => Err(Unavailable::Broken(format!(
            "a test program failed ({failure}){}",
            if run.stderr.trim().is_empty() {
                String::new()
            } else {
                format!("; its error output: {}", run.stderr.trim())
            }
        ))),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn run_with(bwrap: &Path, python: &Path, source: &str, limits: &Limits) -> Run {
    let python = python.to_string_lossy();
    let argv = [python.as_ref(), "-I", "-B", "-"];
    match process::run(bwrap, &argv, source.as_bytes().to_vec(), limits) {
        Ok(raw) => classify(raw, limits),
        Err(e) => Run {
            failure: Some(Failure::Sandbox {
                message: format!("could not start {}: {e}", bwrap.display()),
            }),
            stdout: String::new(),
            stderr: String::new(),
            elapsed: Duration::ZERO,
        },
    }
}

/// How a process ended, with bubblewrap's 128 + signal undone.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Code(i32),
    Signal(i32),
}

fn end(status: std::process::ExitStatus) -> End {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) if (129..=128 + 64).contains(&code) => End::Signal(code - 128),
        (Some(code), _) => End::Code(code),
        (None, Some(signal)) => End::Signal(signal),
        (None, None) => End::Code(-1),
    }
}

fn classify(raw: Raw, limits: &Limits) -> Run {
    let stdout = String::from_utf8_lossy(&raw.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&raw.stderr).into_owned();
    // Forked processes interleave their tracebacks: the line that names the error is the
    // last one that does, not always the last line written.
    let last = stderr
        .lines()
        .rev()
        .find(|l| l.contains("Error") || l.contains("[Errno"))
        .map_or_else(|| last_line(&stderr), last_line);
    let limit = |which: Limit, seen: &str| Failure::Limit {
        which,
        bound: which.bound(limits),
        seen: seen.to_string(),
    };
    let failure = if raw.output_overflow {
        Some(limit(Limit::Output, "printed more, killed"))
    } else if raw.timed_out {
        Some(Failure::Timeout {
            after: limits.timeout,
        })
    } else {
        match end(raw.status) {
            End::Code(0) if stdout.trim().is_empty() => Some(Failure::NoOutput),
            End::Code(0) => None,
            End::Code(_) if stderr.starts_with("bwrap: ") => Some(Failure::Sandbox {
                message: last.to_string(),
            }),
            End::Code(code) => {
                Some(
                    from_traceback(last, limits).unwrap_or_else(|| Failure::Error {
                        message: if last.is_empty() {
                            format!("exit status {code}")
                        } else {
                            last.to_string()
                        },
                    }),
                )
            }
            End::Signal(SIGXCPU) => Some(limit(Limit::Cpu, "killed by SIGXCPU")),
            End::Signal(SIGXFSZ) => Some(limit(Limit::FileSize, "killed by SIGXFSZ")),
            End::Signal(SIGKILL) => Some(Failure::Error {
                message: "killed by SIGKILL (the hard CPU limit, or out of memory)".into(),
            }),
            End::Signal(signal) => Some(Failure::Error {
                message: format!("killed by signal {signal}"),
            }),
        }
    };
    Run {
        failure,
        stdout,
        stderr,
        elapsed: raw.elapsed,
    }
}

/// The limit a traceback's last line shows, if any.
fn from_traceback(last: &str, limits: &Limits) -> Option<Failure> {
    let which = if last.starts_with("MemoryError") || last.contains("[Errno 12]") {
        Limit::Memory
    } else if last.contains("[Errno 11]") || last.contains("can't start new thread") {
        Limit::Processes
    } else if last.contains("[Errno 27]") {
        Limit::FileSize
    } else if last.contains("[Errno 28]") {
        Limit::Disk
    } else if last.contains("[Errno 24]") {
        Limit::OpenFiles
    } else {
        return None;
    };
    Some(Failure::Limit {
        which,
        bound: which.bound(limits),
        seen: last.to_string(),
    })
}

/// The last non-empty line, trimmed and cut to 300 characters.
fn last_line(text: &str) -> &str {
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    match line.char_indices().nth(300) {
        Some((at, _)) => &line[..at],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    use super::*;

    fn raw(wait_status: i32, stdout: &str, stderr: &str) -> Raw {
        Raw {
            status: ExitStatus::from_raw(wait_status),
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            timed_out: false,
            output_overflow: false,
            elapsed: Duration::ZERO,
        }
    }

    fn kind(raw: Raw) -> (String, String) {
        let run = classify(raw, &Limits::default());
        match run.failure {
            None => ("ok".into(), run.stdout),
            Some(f) => (f.kind().into(), f.to_string()),
        }
    }

    #[test]
    fn endings_are_told_apart() {
        // Wait statuses: exit code N is N << 8; a signal is its number.
        let tb = |last: &str| {
            format!("Traceback (most recent call last):\n  File \"<stdin>\", line 1\n{last}\n")
        };
        let cases = [
            (raw(0, "45\n", ""), "ok", "45\n"),
            (raw(0, " \n", ""), "no_output", "printed nothing"),
            (
                raw(1 << 8, "", &tb("ZeroDivisionError: division by zero")),
                "error",
                "error: ZeroDivisionError: division by zero",
            ),
            (
                raw(1 << 8, "", &tb("MemoryError")),
                "limit",
                "limit: memory",
            ),
            (
                raw(
                    1 << 8,
                    "",
                    &tb("BlockingIOError: [Errno 11] Resource temporarily unavailable"),
                ),
                "limit",
                "limit: processes",
            ),
            (
                raw(1 << 8, "", &tb("OSError: [Errno 27] File too large")),
                "limit",
                "limit: file size",
            ),
            (
                raw(
                    1 << 8,
                    "",
                    &tb("OSError: [Errno 28] No space left on device"),
                ),
                "limit",
                "limit: disk",
            ),
            (
                raw(
                    1 << 8,
                    "",
                    &tb("OSError: [Errno 24] Too many open files: 'x'"),
                ),
                "limit",
                "limit: open files",
            ),
            (
                raw(152 << 8, "", ""),
                "limit",
                "limit: cpu (11 CPU seconds): killed by SIGXCPU",
            ),
            (raw(153 << 8, "", ""), "limit", "limit: file size"),
            (raw(3 << 8, "", ""), "error", "error: exit status 3"),
            (raw(139 << 8, "", ""), "error", "killed by signal 11"),
            (
                raw(
                    1 << 8,
                    "",
                    "bwrap: No permissions to create new namespace\n",
                ),
                "sandbox",
                "sandbox: bwrap: No permissions",
            ),
        ];
        for (raw, want_kind, want_text) in cases {
            let (kind, text) = kind(raw);
            assert_eq!(kind, want_kind, "{text}");
            assert!(text.contains(want_text), "{text}");
        }
        let mut timed_out = raw(9, "", "");
        timed_out.timed_out = true;
        assert_eq!(kind(timed_out).0, "timeout");
        let mut flood = raw(9, "yyyy", "");
        flood.output_overflow = true;
        assert_eq!(
            kind(flood).1,
            "limit: output (64 KiB of output): printed more, killed"
        );
    }

    #[test]
    fn missing_tools_are_named() {
        let missing = Path::new("/nonexistent/bwrap");
        match check_with(missing, Path::new(PYTHON)) {
            Err(Unavailable::Missing { what, path }) => {
                assert_eq!((what, path.as_path()), ("bubblewrap", missing));
            }
            other => panic!("{other:?}"),
        }
        let missing = Path::new("/nonexistent/python3");
        match check_with(Path::new(BWRAP), missing) {
            Err(Unavailable::Missing { what, .. }) => assert_eq!(what, "python3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn last_line_skips_blank_lines_and_is_bounded() {
        assert_eq!(last_line("a\n  b  \n\n"), "b");
        assert_eq!(last_line(""), "");
        assert_eq!(last_line(&"é".repeat(400)).chars().count(), 300);
    }
}
