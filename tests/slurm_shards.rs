//! Shards on a real Slurm cluster: a one-node cluster started on this machine (munged,
//! slurmctld and slurmd from Debian's packages, installed by scripts/setup-slurm.sh;
//! loopback addresses and free ports only, its configuration, spool and logs in a
//! temporary directory), `sbatch --array=0-3 --wait` running four `evalkit run --shard
//! auto` tasks against the mock server, `evalkit merge` of their directories, and the
//! merged summary checked field by field against an unsharded run. The daemons this test
//! starts are stopped by their PIDs when it ends, also when it fails (a guard's Drop).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::shards::{assert_same_summary, json, shard_dirs};
use common::*;

const SETUP: &str = "run `bash scripts/setup-slurm.sh` (it installs Debian's slurm-wlm and munge)";

/// A user's uid and gid, from /etc/passwd.
fn user_ids(name: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == name {
            return (f[2].parse().unwrap(), f[3].parse().unwrap());
        }
    }
    panic!("no user `{name}` in /etc/passwd: {SETUP}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The machine's memory in MiB (/proc/meminfo), for the node's RealMemory.
fn memory_mib() -> u64 {
    let info = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    info.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(1024, |kib| kib / 1024)
}

fn short_hostname() -> String {
    let o = Command::new("hostname")
        .arg("-s")
        .output()
        .expect("hostname");
    let name = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(!name.is_empty(), "hostname -s printed nothing");
    name
}

/// The cluster's daemons and files; Drop cancels its jobs and stops the daemons it
/// started, by PID.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<(&'static str, Child)>,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        for bin in [
            "/usr/sbin/munged",
            "/usr/sbin/slurmctld",
            "/usr/sbin/slurmd",
            "/usr/bin/sbatch",
        ] {
            assert!(Path::new(bin).exists(), "{bin} is missing: {SETUP}");
        }
        let cache = std::env::var_os("EVALKIT_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/evalkit")
            });
        let key = cache.join("slurm/munge.key");
        assert!(key.is_file(), "{} is missing: {SETUP}", key.display());

        // munged runs as the munge user and checks its directories: its own, readable by
        // all (the socket), the key owned by it with mode 0400.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (uid, gid) = user_ids("munge");
        let munge = dir.join("munge");
        std::fs::create_dir_all(&munge).unwrap();
        std::fs::copy(&key, munge.join("munge.key")).unwrap();
        for path in [&munge, &munge.join("munge.key")] {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
        std::fs::set_permissions(&munge, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(
            munge.join("munge.key"),
            std::fs::Permissions::from_mode(0o400),
        )
        .unwrap();
        let socket = munge.join("munge.socket");
        let mut cluster = Cluster {
            dir: dir.to_path_buf(),
            conf: dir.join("slurm.conf"),
            daemons: Vec::new(),
        };
        let log = |name: &str| {
            std::fs::File::create(dir.join(format!("{name}.out"))).expect("daemon log")
        };
        let mut munged = Command::new("/usr/sbin/munged");
        munged
            .arg("--foreground")
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--key-file={}", munge.join("munge.key").display()))
            .arg(format!("--log-file={}", munge.join("munged.log").display()))
            .arg(format!("--pid-file={}", munge.join("munged.pid").display()))
            .arg(format!(
                "--seed-file={}",
                munge.join("munged.seed").display()
            ))
            .uid(uid)
            .gid(gid)
            .stdout(log("munged"))
            .stderr(log("munged"));
        cluster.spawn("munged", munged);
        cluster.wait_for("munged's socket", || socket.exists());

        let host = short_hostname();
        for sub in ["ctld", "slurmd", "log"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let d = dir.display();
        let conf = format!(
            "ClusterName=evalkit\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmctldPort={ctld_port}\n\
             SlurmdPort={slurmd_port}\n\
             SlurmUser=root\n\
             SlurmdUser=root\n\
             AuthType=auth/munge\n\
             AuthInfo=socket={socket}\n\
             CredType=cred/munge\n\
             CommunicationParameters=NoInAddrAny,NoCtldInAddrAny\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             SchedulerType=sched/backfill\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core\n\
             StateSaveLocation={d}/ctld\n\
             SlurmdSpoolDir={d}/slurmd\n\
             SlurmctldPidFile={d}/slurmctld.pid\n\
             SlurmdPidFile={d}/slurmd.pid\n\
             SlurmctldLogFile={d}/log/slurmctld.log\n\
             SlurmdLogFile={d}/log/slurmd.log\n\
             ReturnToService=2\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             MpiDefault=none\n\
             MailProg=/bin/true\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN\n\
             PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            ctld_port = free_port(),
            slurmd_port = free_port(),
            socket = socket.display(),
            cpus = std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory = memory_mib() * 9 / 10,
        );
        std::fs::write(&cluster.conf, conf).unwrap();
        for (name, bin) in [
            ("slurmctld", "/usr/sbin/slurmctld"),
            ("slurmd", "/usr/sbin/slurmd"),
        ] {
            let mut cmd = Command::new(bin);
            cmd.arg("-D")
                .arg("-f")
                .arg(&cluster.conf)
                .env("SLURM_CONF", &cluster.conf)
                .stdout(log(name))
                .stderr(log(name));
            cluster.spawn(name, cmd);
        }
        let conf = cluster.conf.clone();
        cluster.wait_for("the node to be idle (sinfo)", || {
            Command::new("sinfo")
                .args(["-h", "-o", "%t"])
                .env("SLURM_CONF", &conf)
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        cluster
    }

    fn spawn(&mut self, name: &'static str, mut cmd: Command) {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.daemons.push((name, child));
    }

    /// Waits up to 30 s for `ready`, checking that no daemon died meanwhile.
    fn wait_for(&mut self, what: &str, mut ready: impl FnMut() -> bool) {
        let started = Instant::now();
        while !ready() {
            let died = self
                .daemons
                .iter_mut()
                .find_map(|(name, child)| Some((*name, child.try_wait().ok()??)));
            if let Some((name, status)) = died {
                panic!("{name} exited ({status}):\n{}", self.logs());
            }
            if started.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {what}:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The daemons' output and logs, for a failure message.
    fn logs(&self) -> String {
        let mut out = String::new();
        for name in [
            "munged.out",
            "munge/munged.log",
            "slurmctld.out",
            "log/slurmctld.log",
            "slurmd.out",
            "log/slurmd.log",
        ] {
            let text = std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            out.push_str(&format!("--- {name}\n"));
            for line in tail.iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.daemons.is_empty() {
            // Jobs still queued or running (a failed test) are cancelled first.
            let _ = Command::new("scancel")
                .args(["--user", "root"])
                .env("SLURM_CONF", &self.conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Stopped in reverse order (slurmd, slurmctld, munged), each by its PID: SIGTERM,
        // then SIGKILL after 10 s.
        while let Some((_, mut child)) = self.daemons.pop() {
            if let Some(pid) = i32::try_from(child.id())
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
            let started = Instant::now();
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if started.elapsed() > Duration::from_secs(10) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
    }
}

/// What the jobs' evalkit needs from the submitting environment (sbatch passes it on):
/// the binary, and a clean card and data environment as in the other tests.
fn job_env(cwd: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("EVALKIT", env!("CARGO_BIN_EXE_evalkit").into()),
        ("HOME", cwd.into()),
        ("EVALKIT_DATA", cwd.join("no-data").into()),
        ("LMUData", cwd.join("no-lmudata").into()),
    ]
}

/// Runs `sbatch --wait ...` to its end (at most 5 minutes; the jobs' `--time` bounds
/// them too): its exit status (None when it was stopped) and output.
async fn wait(mut cmd: Command) -> (Option<std::process::ExitStatus>, std::process::Output) {
    let child = cmd
        .env_remove("OPENAI_API_KEY")
        .env_remove("EVALKIT_TEST_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sbatch");
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut child = child;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (Some(status), child.wait_with_output().unwrap());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return (None, child.wait_with_output().unwrap());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .unwrap()
}

/// The array task: one shard of the run, picked from Slurm's environment.
const TASK: &str = r#"#!/bin/sh
set -e
exec "$EVALKIT" run --model "$CARD" --suite chartqa --data "$DATA" --out "$OUT" --quiet --shard auto
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_slurm_array_of_four_shards_merges_into_the_unsharded_run() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().to_path_buf();
    let cluster_dir = cwd.join("cluster");
    std::fs::create_dir_all(&cluster_dir).unwrap();
    let cluster = tokio::task::spawn_blocking({
        let dir = cluster_dir.clone();
        move || Cluster::start(&dir)
    })
    .await
    .unwrap();
    let cluster_ready = started.elapsed();

    // One server per side, the same answers: "45" to every question (a third of the gold
    // answers are "46"), HTTP 500 to every attempt at one question.
    let config = || MockConfig {
        faults: vec![FaultRule::new(
            Fault::ServerError,
            When::Matching("Q7: value".into()),
        )],
        ..MockConfig::fixed("45")
    };
    let (server, whole_server, example_server) = (
        MockServer::start(config()).await.unwrap(),
        MockServer::start(config()).await.unwrap(),
        MockServer::start(config()).await.unwrap(),
    );
    let data = big_chartqa(&cwd, 48);
    let card_for = |side: &str, server: &MockServer| {
        let dir = cwd.join(side);
        std::fs::create_dir_all(&dir).unwrap();
        model_card(&dir, "mock", &server.base_url(), "max_attempts = 2\n")
    };
    let (card, whole_card, example_card) = (
        card_for("card-shards", &server),
        card_for("card-whole", &whole_server),
        card_for("card-example", &example_server),
    );

    let whole_out = cwd.join("whole");
    ok(&evalkit_async(
        &cwd,
        &[
            "run",
            "--model",
            whole_card.to_str().unwrap(),
            "--suite",
            "chartqa",
            "--data",
            data.to_str().unwrap(),
            "--out",
            whole_out.to_str().unwrap(),
            "--quiet",
        ],
        &[],
    )
    .await);
    let whole = run_dir(&whole_out);
    let whole_summary = summary(&whole);
    assert_eq!(whole_summary["counts"]["failed"], 1, "{whole_summary:#}");

    let script = cwd.join("shard.sh");
    std::fs::write(&script, TASK).unwrap();
    let out = cwd.join("shards");
    // Two arrays at once: four `--shard auto` tasks of TASK, and
    // examples/slurm-array.sbatch as the README runs it (four `--shard auto/4` tasks whose
    // first task queues the merge, which runs once they all succeeded).
    let sbatch_started = Instant::now();
    let env = job_env(&cwd);
    let mut array = Command::new("sbatch");
    array
        .args(["--array=0-3", "--wait", "--time=10"])
        .arg(format!("--chdir={}", cwd.display()))
        .arg(format!("--output={}/slurm-%a.out", cwd.display()))
        .arg(&script)
        .env("SLURM_CONF", &cluster.conf)
        .env("CARD", &card)
        .env("DATA", &data)
        .env("OUT", &out)
        .envs(env.iter().map(|(k, v)| (k, v)));
    let runs = cwd.join("example-runs");
    let mut example = Command::new("sbatch");
    example
        .args([
            "--wait",
            "--job-name=example",
            "--cpus-per-task=1",
            "--mem=100M",
            "--time=10",
        ])
        .arg(format!("--chdir={}", cwd.display()))
        .arg(repo().join("examples/slurm-array.sbatch"))
        .args([example_card.to_str().unwrap(), "chartqa", "--data"])
        .arg(&data)
        .env("SLURM_CONF", &cluster.conf)
        .env("EVALKIT_RUNS", &runs)
        .envs(env.iter().map(|(k, v)| (k, v)));
    let ((status, tasks_out), (example_status, example_out)) =
        tokio::join!(wait(array), wait(example));
    let array_time = sbatch_started.elapsed();
    let task_logs = || {
        (0..4)
            .map(|i| {
                let p = cwd.join(format!("slurm-{i}.out"));
                format!(
                    "--- task {i}\n{}",
                    std::fs::read_to_string(p).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "sbatch --array=0-3 --wait: {status:?}\n{}{}\n{}\n{}",
        stdout(&tasks_out),
        stderr(&tasks_out),
        task_logs(),
        cluster.logs()
    );

    let dirs = shard_dirs(&out);
    assert_eq!(dirs.len(), 4, "{dirs:?}\n{}", task_logs());
    for (i, dir) in dirs.iter().enumerate() {
        let m = json(dir, "manifest.json");
        assert_eq!(m["shard"]["index"], i as u64, "{}", dir.display());
        assert_eq!(m["shard"]["count"], 4);
    }
    // Each task ran its own shard: together they answered each question once (the
    // failing question never).
    let answered = server.stats().answered;
    assert_eq!(answered.len(), 47, "{answered:?}");
    assert!(answered.values().all(|&n| n == 1), "{answered:?}");
    let merged = cwd.join("merged");
    let mut args = vec!["merge".to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.extend(["--out".into(), merged.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&evalkit_async(&cwd, &args, &[]).await);
    assert_same_summary(&whole_summary, &summary(&merged));
    assert_eq!(
        json(&merged, "selection.json"),
        json(&whole, "selection.json")
    );

    let example_logs = || {
        let mut text = String::new();
        for entry in std::fs::read_dir(&cwd).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("evalkit-example") {
                let body = std::fs::read_to_string(entry.path()).unwrap_or_default();
                text.push_str(&format!("--- {name}\n{body}\n"));
            }
        }
        text
    };
    assert!(
        example_status.is_some_and(|s| s.success()),
        "sbatch examples/slurm-array.sbatch: {example_status:?}\n{}{}\n{}\n{}",
        stdout(&example_out),
        stderr(&example_out),
        example_logs(),
        cluster.logs()
    );
    let merged = runs.join("example/merged");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !merged.join("summary.json").exists() {
        assert!(
            Instant::now() < deadline,
            "the merge job did not write {}:\n{}\n{}",
            merged.display(),
            example_logs(),
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_same_summary(&whole_summary, &summary(&merged));
    assert_eq!(
        json(&merged, "manifest.json")["merged_from"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let example_time = sbatch_started.elapsed();
    drop(cluster);
    eprintln!(
        "slurm test: cluster up in {:.1} s, sbatch --array=0-3 --wait {:.1} s, \
         the example array and its merge job {:.1} s (both at once), total {:.1} s",
        cluster_ready.as_secs_f64(),
        array_time.as_secs_f64(),
        example_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
