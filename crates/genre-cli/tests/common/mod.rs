//! Helpers shared by the CLI's integration tests: run the built binary the
//! way a user would and read what it printed.
// Each test file uses a different subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The statuses of a file the model judged (with probabilities): whether a
/// synthetic signal is music, and how sure, is the model's call.
pub const JUDGED: [&str; 3] = ["ok", "uncertain", "not_music"];

/// The repository's root (examples, models, README).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `genre-meter` with `args` and the shipped model (`GENRE_METER_MODEL`
/// unset), with backtraces on; fails the test if the binary panicked.
pub fn run(args: &[&str]) -> Output {
    let output = Command::cargo_bin("genre-meter")
        .unwrap()
        .env("RUST_BACKTRACE", "1")
        .env_remove("GENRE_METER_MODEL")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "the binary panicked:\n{stderr}"
    );
    output
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}
