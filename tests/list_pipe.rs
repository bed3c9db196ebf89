//! `evalkit list | head -1`: when the reader goes away, the listing stops quietly and evalkit
//! exits 0 instead of panicking on the broken pipe.

use std::process::{Command, Stdio};

#[test]
fn list_stops_quietly_when_its_reader_goes_away() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A pipe whose reading end is closed before evalkit writes: every write fails with
    // EPIPE, as when `head -1` has exited.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_evalkit"))
        .arg("list")
        .current_dir(tmp.path())
        .env("HOME", tmp.path())
        .env_remove("EVALKIT_CARDS")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run evalkit");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert!(err.is_empty(), "{err}");
}
