//! evalkit as users install it: a binary copied away from the source tree lists and runs
//! the cards shipped inside it from any directory, and user cards of the same name still
//! win.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// The evalkit binary copied into `dir/bin`, as `cargo install` would place it.
fn installed(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let exe = bin.join("evalkit");
    std::fs::copy(env!("CARGO_BIN_EXE_evalkit"), &exe).expect("copy the binary");
    exe
}

/// Runs `exe` in `cwd` with HOME (and so ~/.config/evalkit) at `home` and no
/// `$EVALKIT_CARDS`.
fn run(exe: &Path, cwd: &Path, home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("EVALKIT_DATA", home.join("no-data"))
        .env("LMUData", home.join("no-lmudata"))
        .env_remove("EVALKIT_CARDS")
        .env_remove("EVALKIT_CACHE");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    // ETXTBSY: a test thread forking at the moment the copy's write handle was open hands
    // it to a child until that child execs; the copy is runnable a moment later.
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.expect("run the installed evalkit"),
        }
    }
    panic!("{} stayed busy (ETXTBSY) for 2 s", exe.display())
}

/// The names of the cards in the source tree's `folder`.
fn source_cards(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join(folder))
        .expect("card folder")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "toml").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}

/// The line of `evalkit list` output for the card `name`.
fn line<'a>(listing: &'a str, name: &str) -> Option<&'a str> {
    listing
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
}

#[test]
fn an_installed_binary_lists_every_shipped_card_from_any_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = installed(&tmp.path().join("install"));
    let cwd = tmp.path().join("elsewhere");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&cwd).expect("cwd");
    std::fs::create_dir_all(&home).expect("home");
    let out = run(&exe, &cwd, &home, &["list"], &[]);
    ok(&out);
    let listing = stdout(&out);
    let cards: Vec<String> = ["adapters", "datasets"]
        .iter()
        .flat_map(|f| source_cards(f))
        .collect();
    assert!(cards.len() >= 20, "{cards:?}");
    for name in &cards {
        let l = line(&listing, name).unwrap_or_else(|| panic!("{name} missing:\n{listing}"));
        assert!(!l.contains("INVALID"), "{l}");
    }

    // A user's card overrides the shipped card of the same name, from ./adapters and from
    // ~/.config/evalkit.
    let own = "description = \"my own vllm\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"mine\"\n";
    std::fs::create_dir_all(cwd.join("adapters")).expect("adapters");
    std::fs::write(cwd.join("adapters/vllm.toml"), own).expect("card");
    let config = home.join(".config/evalkit/adapters");
    std::fs::create_dir_all(&config).expect("config");
    std::fs::write(
        config.join("openai.toml"),
        own.replace("my own vllm", "my own openai"),
    )
    .expect("card");
    let listing = stdout(&run(&exe, &cwd, &home, &["list"], &[]));
    assert!(
        line(&listing, "vllm").is_some_and(|l| l.contains("my own vllm")),
        "{listing}"
    );
    assert!(
        line(&listing, "openai").is_some_and(|l| l.contains("my own openai")),
        "{listing}"
    );
    assert!(
        line(&listing, "ollama").is_some_and(|l| l.contains("llava:7b")),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_installed_binary_runs_a_shipped_suite_from_any_directory() {
    let server = MockServer::start(MockConfig::default())
        .await
        .expect("mock server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = installed(&tmp.path().join("install"));
    let cwd = tmp.path().join("elsewhere");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&cwd).expect("cwd");
    std::fs::create_dir_all(&home).expect("home");
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = fixture("chartqa/json/test");
    let out = tokio::task::spawn_blocking(move || {
        run(
            &exe,
            &cwd,
            &home,
            &[
                "run",
                "--model",
                card.to_str().expect("utf-8"),
                "--suite",
                "chartqa",
                "--data",
                data.to_str().expect("utf-8"),
                "--quiet",
            ],
            &[],
        )
    })
    .await
    .expect("join");
    ok(&out);
    let dir = run_dir(&tmp.path().join("elsewhere/runs"));
    let s = summary(&dir);
    assert_eq!(s["counts"]["answered"], 8, "{s:#}");
    // An unknown name is still an error that lists the shipped cards.
    let out = run(
        &installed(&tmp.path().join("again")),
        tmp.path(),
        tmp.path(),
        &["run", "--model", "openai", "--suite", "chartqb"],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("unknown suite `chartqb`") && err.contains("chartqa"),
        "{err}"
    );
}
