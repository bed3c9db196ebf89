//! The `pot` strategy's sandbox, attacked with real programs in the real sandbox
//! (bubblewrap and /usr/bin/python3; scripts/setup.sh installs both): a correct program's
//! output is the answer; programs that look for an API key in the environment or in
//! /proc/*/environ, read ~/.ssh, the run directory or the test's files, connect to a
//! loopback server, fork-bomb, fill the disk, allocate 10 GB, flood the output or never
//! stop are each stopped with the right kind of failure and leak nothing. Then an
//! end-to-end `evalkit run --strategy pot` against the mock server, whose replies are
//! programs, with hand-computed scores and per-item failure reasons.
//!
//! The sandbox tests take one lock, so that when evalkit runs as root (sandboxes run as
//! uids of their own) each can check that no sandboxed process outlives it.

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use common::*;
use evalkit::sandbox::{Failure, Limit, Limits, Run, run_python};

const FAKE_KEY: &str = "sk-pot-fake-7c1d9e";
const FAKE_SSH: &str = "FAKE-SSH-PRIVATE-KEY-42a7";

/// The first uid a root caller's sandboxes run as (src/sandbox/process.rs).
const FIRST_SANDBOX_UID: u64 = 2_000_000_000;

/// A fake home with a fake ~/.ssh key, made once; the test process's environment holds a
/// fake API key and points HOME there.
struct Secrets {
    _home: tempfile::TempDir,
    home: PathBuf,
    ssh_key: PathBuf,
}

fn secrets() -> &'static Secrets {
    static SECRETS: OnceLock<Secrets> = OnceLock::new();
    SECRETS.get_or_init(|| {
        let home = tempfile::tempdir().unwrap();
        let ssh = home.path().join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        let ssh_key = ssh.join("id_ed25519");
        std::fs::write(&ssh_key, FAKE_SSH).unwrap();
        // SAFETY: set once, before any sandbox starts; the other threads of this test
        // binary read the environment only through std, which locks it.
        unsafe {
            std::env::set_var("EVALKIT_POT_FAKE_KEY", FAKE_KEY);
            std::env::set_var("OPENAI_API_KEY", FAKE_KEY);
            std::env::set_var("HOME", home.path());
        }
        Secrets {
            home: home.path().to_path_buf(),
            ssh_key,
            _home: home,
        }
    })
}

/// One sandbox test at a time (see the module doc).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs a program, shows what happened (and how long it took), and checks that nothing
/// secret came out and nothing is left running.
fn sandboxed(source: &str, limits: &Limits) -> Run {
    secrets();
    let started = Instant::now();
    let run = run_python(source, limits);
    eprintln!(
        "sandboxed program: {:?} in {:?} (sandbox-measured {:?})\n--- stdout\n{}--- stderr\n{}",
        run.failure.as_ref().map(Failure::to_string),
        started.elapsed(),
        run.elapsed,
        clip(&run.stdout),
        clip(&run.stderr)
    );
    for secret in [FAKE_KEY, FAKE_SSH] {
        assert!(!run.stdout.contains(secret), "leaked {secret}");
        assert!(!run.stderr.contains(secret), "leaked {secret}");
    }
    assert_nothing_left_running();
    run
}

/// At most 600 characters of a program's output, for the test log.
fn clip(text: &str) -> String {
    match text.char_indices().nth(600) {
        Some((at, _)) => format!("{}... ({} bytes)\n", &text[..at], text.len()),
        None => text.to_string(),
    }
}

/// When this process is root, sandboxes run as uids from FIRST_SANDBOX_UID: none may be
/// left running shortly after a run returns. (Zombies are not running: bubblewrap's
/// namespace init is reaped by the machine's PID 1, which a container may do late.)
fn assert_nothing_left_running() {
    if !std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:\t0\t"))
    {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let left: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
            .filter(|s| !s.contains("\nState:\tZ"))
            .filter(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|r| r.split_whitespace().next()?.parse::<u64>().ok())
                    .is_some_and(|uid| uid >= FIRST_SANDBOX_UID)
            })
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "sandboxed processes still running: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn limits(timeout_secs: f64) -> Limits {
    Limits::with_timeout(Duration::from_secs_f64(timeout_secs))
}

fn limit_hit(run: &Run) -> Option<Limit> {
    match run.failure {
        Some(Failure::Limit { which, .. }) => Some(which),
        _ => None,
    }
}

#[test]
fn a_correct_program_prints_the_answer() {
    let _one = serial();
    let run = sandboxed(
        "bars = {'2019': 30, '2020': 45, '2021': 12}\nprint('values:', bars)\nprint(max(bars.values()))\n",
        &limits(5.0),
    );
    assert!(run.failure.is_none(), "{:?}", run.failure);
    assert_eq!(
        evalkit::strategy::pot::answer_of(&run.stdout),
        "45",
        "{}",
        run.stdout
    );
    assert!(run.elapsed < Duration::from_secs(10));
}

#[test]
fn the_environment_and_every_procs_environ_are_empty_of_secrets() {
    let _one = serial();
    let run = sandboxed(
        r#"import glob, os
print("env:", sorted(os.environ))
print("pids:", sorted(int(p.split("/")[2]) for p in glob.glob("/proc/[0-9]*")))
for path in sorted(glob.glob("/proc/*/environ")):
    try:
        print(path, open(path, "rb").read().replace(b"\0", b" ").decode(errors="replace"))
    except OSError as e:
        print(path, type(e).__name__)
print(os.environ["EVALKIT_POT_FAKE_KEY"])
"#,
        &limits(5.0),
    );
    let Some(Failure::Error { message }) = &run.failure else {
        panic!("{:?}", run.failure)
    };
    assert_eq!(message, "KeyError: 'EVALKIT_POT_FAKE_KEY'");
    // Only bubblewrap's init and the program itself are visible.
    assert!(run.stdout.contains("pids: [1, 2]"), "{}", run.stdout);
    assert!(!run.stdout.contains("OPENAI_API_KEY"));
    assert!(!run.stdout.contains("HOME"));
}

#[test]
fn home_ssh_the_run_directory_and_host_files_are_not_there() {
    let _one = serial();
    let secrets = secrets();
    let here = std::env::current_dir().unwrap();
    let run_dir = tempfile::tempdir().unwrap();
    std::fs::write(run_dir.path().join("predictions.jsonl"), FAKE_SSH).unwrap();
    let paths = [
        secrets.ssh_key.clone(),
        secrets.home.clone(),
        run_dir.path().to_path_buf(),
        here,
        PathBuf::from("/root/.ssh"),
        PathBuf::from("/home"),
        PathBuf::from("/etc/passwd"),
        PathBuf::from("/run"),
        PathBuf::from("/sys/class"),
        PathBuf::from("/var"),
    ];
    let list = paths
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let source = format!(
        r#"import os
print("root:", sorted(os.listdir("/")))
print("home:", os.path.expanduser("~"))
for p in [{list}]:
    try:
        print(p, open(p).read() if os.path.isfile(p) else os.listdir(p))
    except OSError as e:
        print(p, type(e).__name__)
print(open({:?}).read())
"#,
        secrets.ssh_key.display().to_string()
    );
    let run = sandboxed(&source, &limits(5.0));
    let Some(Failure::Error { message }) = &run.failure else {
        panic!("{:?}", run.failure)
    };
    assert!(message.starts_with("FileNotFoundError"), "{message}");
    assert!(
        run.stdout
            .contains("root: ['bin', 'dev', 'lib', 'lib64', 'proc', 'sbin', 'tmp', 'usr']"),
        "{}",
        run.stdout
    );
    for p in &paths {
        assert!(
            run.stdout
                .contains(&format!("{} FileNotFoundError", p.display())),
            "{} visible:\n{}",
            p.display(),
            run.stdout
        );
    }
}

#[test]
fn no_connection_reaches_a_loopback_server() {
    let _one = serial();
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let source = format!(
        r#"import socket
print("interfaces:", socket.if_nameindex())
s = socket.create_connection(("127.0.0.1", {port}), timeout=2)
s.sendall(b"{FAKE_KEY}")
print("connected")
"#
    );
    let run = sandboxed(&source, &limits(5.0));
    let Some(Failure::Error { message }) = &run.failure else {
        panic!("{:?}", run.failure)
    };
    assert!(
        message.contains("Connection refused") || message.contains("Network is unreachable"),
        "{message}"
    );
    server.set_nonblocking(true).unwrap();
    match server.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the server saw a connection: {other:?}"),
    }
}

#[test]
fn a_fork_bomb_runs_out_of_processes() {
    let _one = serial();
    let run = sandboxed("import os\nwhile True:\n    os.fork()\n", &limits(5.0));
    assert_eq!(limit_hit(&run), Some(Limit::Processes), "{:?}", run.failure);
    assert!(run.elapsed < Duration::from_secs(10));
}

#[test]
fn filling_the_disk_stops_at_the_tmpfs_and_file_size_limits() {
    let _one = serial();
    let many = sandboxed(
        r#"import os
for p in ["/x", "/usr/x", "/dev/shm/x", "/proc/x"]:
    try:
        open(p, "w").write("x")
        print(p, "written")
    except OSError as e:
        print(p, e.strerror)
i = 0
while True:
    with open(f"/tmp/f{i}", "wb") as f:
        f.write(b"\0" * (4 << 20))
    i += 1
"#,
        &limits(5.0),
    );
    assert_eq!(limit_hit(&many), Some(Limit::Disk), "{:?}", many.failure);
    assert!(!many.stdout.contains("written"), "{}", many.stdout);
    let one = sandboxed(
        "open('/tmp/big', 'wb').write(b'\\0' * (32 << 20))\n",
        &limits(5.0),
    );
    assert_eq!(limit_hit(&one), Some(Limit::FileSize), "{:?}", one.failure);
}

#[test]
fn ten_gigabytes_are_not_allocated() {
    let _one = serial();
    let run = sandboxed(
        "x = bytearray(10 * 1024 ** 3)\nprint(len(x))\n",
        &limits(5.0),
    );
    assert_eq!(limit_hit(&run), Some(Limit::Memory), "{:?}", run.failure);
    assert!(
        run.to_owned()
            .failure
            .unwrap()
            .to_string()
            .contains("MemoryError")
    );
}

#[test]
fn endless_programs_are_killed_at_the_timeout_or_the_cpu_limit() {
    let _one = serial();
    for source in ["while True:\n    pass\n", "import time\ntime.sleep(3600)\n"] {
        let run = sandboxed(source, &limits(1.0));
        assert!(
            matches!(run.failure, Some(Failure::Timeout { .. })),
            "{:?}",
            run.failure
        );
        assert!(
            // Killed at the wall limit, not at a later safety net (a loose upper bound: the
            // machine may be loaded; this is not a speed check).
            run.elapsed >= Duration::from_secs(1) && run.elapsed < Duration::from_secs(10),
            "{:?}",
            run.elapsed
        );
    }
    // A CPU limit far below the wall clock: SIGXCPU, whatever else the machine is doing
    // (on a loaded machine one CPU-second can take several seconds of wall time).
    let cpu = Limits {
        cpu_secs: 1,
        ..limits(60.0)
    };
    let run = sandboxed("while True:\n    pass\n", &cpu);
    assert_eq!(limit_hit(&run), Some(Limit::Cpu), "{:?}", run.failure);
}

#[test]
fn flooding_the_output_is_stopped() {
    let _one = serial();
    let run = sandboxed("while True:\n    print('y' * 1000)\n", &limits(5.0));
    assert_eq!(limit_hit(&run), Some(Limit::Output), "{:?}", run.failure);
    assert_eq!(run.stdout.len(), Limits::default().output_bytes);
    assert!(run.elapsed < Duration::from_secs(10));
}

#[test]
fn errors_and_silence_are_their_own_failures() {
    let _one = serial();
    let run = sandboxed("x = 1\n", &limits(5.0));
    assert_eq!(run.failure, Some(Failure::NoOutput));
    let run = sandboxed("print(1 / 0)\n", &limits(5.0));
    assert_eq!(
        run.failure,
        Some(Failure::Error {
            message: "ZeroDivisionError: division by zero".into()
        })
    );
}

/// The mock's replies are programs, keyed on the fixture's questions (gold answers in
/// tests/fixtures/chartqa/gold.json):
/// - "tallest bar" (2 human, 1 augmented; gold 45): prints a table, then 45 -> right x3.
/// - "percentage of respondents" (human; gold 12%): loops forever -> timeout, failed.
/// - "line increasing" (human; gold Yes): a bare program without fences prints Yes ->
///   right.
/// - "lowest value" (human; gold Japan): KeyError -> error, failed.
/// - "Sales in 2019" (augmented; gold 0): looks for the API key in its environment and in
///   every /proc/*/environ, prints what it found or 0 -> 0, right (and no key anywhere).
/// - "difference between" (augmented; gold 17.5): computes but prints nothing -> no
///   output, failed.
///
/// human 3/5 = 60; augmented 2/3 = 66.6667; overall 5/8 = 62.5 (official and normalised
/// alike: every right answer is exact).
fn pot_answers() -> AnswerMode {
    let fenced = |code: &str| format!("Here is the program:\n```python\n{code}```\n");
    AnswerMode::Rules {
        rules: vec![
            (
                "tallest bar".into(),
                fenced(
                    "bars = {'A': 12, 'B': 45, 'C': 30}\nprint('bars:', bars)\nprint(max(bars.values()))\n",
                ),
            ),
            (
                "percentage of respondents".into(),
                fenced("while True:\n    pass\n"),
            ),
            (
                "line increasing".into(),
                "values = [1.2, 1.5, 1.9]\nprint('Yes' if values[-1] > values[0] else 'No')\n"
                    .into(),
            ),
            (
                "lowest value".into(),
                fenced("values = {'Japan': 1.1, 'Korea': 2.3}\nprint(values['China'])\n"),
            ),
            (
                "Sales in 2019".into(),
                fenced(
                    "import glob, os\nfound = [os.environ.get('EVALKIT_TEST_KEY', '')]\nfor p in glob.glob('/proc/*/environ'):\n    found += [v for v in open(p, 'rb').read().decode(errors='replace').split('\\0') if 'KEY' in v]\nprint(' '.join(f for f in found if f) or 0)\n",
                ),
            ),
            (
                "difference between".into(),
                fenced("high = 20.0\nlow = 2.5\ndifference = high - low\n"),
            ),
        ],
        default: "print('unknown')".into(),
    }
}

#[test]
fn evalkit_run_pot_scores_program_outputs_and_records_each_failure() {
    let _one = serial();
    let key = "sk-test-pot-e2e-5b3f";
    // The server runs on the runtime's workers while this thread waits for evalkit.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(MockServer::start(MockConfig {
            answers: pot_answers(),
            api_key: Some(key.into()),
            ..MockConfig::default()
        }))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = fixture("chartqa/json/test");
    let started = Instant::now();
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "chartqa",
            "--data",
            data.to_str().unwrap(),
            "--strategy",
            "pot,timeout=1.5",
            "--quiet",
        ],
        &[("EVALKIT_TEST_KEY", key)],
    );
    ok(&out);
    eprintln!("evalkit run --strategy pot: {:?}", started.elapsed());
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    assert!(
        s["strategy"]
            .as_str()
            .unwrap()
            .starts_with("pot|timeout=1.5s,cpu=3s,"),
        "{s:#}"
    );
    assert_eq!(metric(&s, None, "relaxed_accuracy"), 62.5, "{s:#}");
    assert_eq!(metric(&s, None, "relaxed_accuracy_normalized"), 62.5);
    assert_eq!(
        metric(&s, Some(("split", "human")), "relaxed_accuracy"),
        60.0
    );
    assert_eq!(
        metric(&s, Some(("split", "augmented")), "relaxed_accuracy"),
        66.6667
    );
    assert_eq!(s["counts"]["answered"], 5);
    assert_eq!(s["counts"]["failed"], 3);
    assert_eq!(s["complete"], true);

    let gold = chartqa_gold();
    let question = |id: &str| {
        gold["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["question"].as_str().unwrap().to_string())
            .unwrap()
    };
    for r in predictions(&dir) {
        let q = question(r["id"].as_str().unwrap());
        let program = r["calls"][0]["response"].as_str().unwrap_or_default();
        assert_eq!(r["calls"].as_array().unwrap().len(), 1, "{r}");
        assert_eq!(r["calls"][0]["role"], "answer");
        let (status, expected) = if q.contains("tallest bar") {
            ("answered", "45")
        } else if q.contains("line increasing") {
            ("answered", "Yes")
        } else if q.contains("Sales in 2019") {
            ("answered", "0")
        } else if q.contains("percentage") {
            (
                "failed",
                "program timeout: still running after 1.5 s, killed",
            )
        } else if q.contains("lowest value") {
            ("failed", "program error: KeyError: 'China'")
        } else {
            ("failed", "program no output: the program printed nothing")
        };
        assert_eq!(r["status"], status, "{r}");
        let recorded = if status == "answered" {
            &r["response"]
        } else {
            &r["error"]
        };
        assert_eq!(recorded, expected, "{q}: {r}");
        // The program the model wrote is the call's raw text.
        assert_eq!(program, pot_answers().answer_for(&q), "{r}");
    }
    // The key the evalkit process holds is nowhere in the run directory.
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(key),
            "{} holds the key",
            entry.path().display()
        );
    }
    assert_nothing_left_running();
}
