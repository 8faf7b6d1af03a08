//! Shared helpers for the `livestream` CLI tests (`tests/cli/cli_*.rs`): an emulator started in
//! the test process, and the built binary run against it with a clean environment.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime};

use livestream_grpc::emulator::{Emulator, RunningEmulator};

pub const PROJECT: &str = "test-project";
pub const LOCATION: &str = "us-central1";
pub const LOC: &str = "projects/test-project/locations/us-central1";

/// The variables the CLI reads; removed so the developer's environment cannot leak in.
const CLI_ENV: &[&str] = &[
    "LIVESTREAM_EMULATOR_HOST",
    "LIVESTREAM_PROJECT",
    "CLOUDSDK_CORE_PROJECT",
    "LIVESTREAM_LOCATION",
];

/// A command line: a slice of arguments, or a string split at whitespace (for arguments
/// without spaces).
pub trait CmdLine {
    fn words(&self) -> Vec<String>;
}

impl CmdLine for &str {
    fn words(&self) -> Vec<String> {
        self.split_whitespace().map(str::to_owned).collect()
    }
}

impl CmdLine for String {
    fn words(&self) -> Vec<String> {
        self.as_str().words()
    }
}

impl CmdLine for &String {
    fn words(&self) -> Vec<String> {
        self.as_str().words()
    }
}

impl CmdLine for &[&str] {
    fn words(&self) -> Vec<String> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

impl<const N: usize> CmdLine for &[&str; N] {
    fn words(&self) -> Vec<String> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

impl CmdLine for &Vec<&str> {
    fn words(&self) -> Vec<String> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

pub async fn start() -> RunningEmulator {
    Emulator::builder().start().await.expect("emulator starts")
}

/// The binary with a clean environment and no arguments.
pub fn bare() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_livestream"));
    for var in CLI_ENV {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// The binary pointed at `emu` with `--endpoint`, `--project` and `--location`.
pub fn cli(emu: &RunningEmulator) -> std::process::Command {
    let mut cmd = bare();
    cmd.args([
        "--endpoint",
        &emu.endpoint(),
        "--project",
        PROJECT,
        "--location",
        LOCATION,
    ]);
    cmd
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a prepared command to the end.
pub fn finish(mut cmd: std::process::Command) -> Run {
    let out = cmd.output().expect("the livestream binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the CLI against `emu`.
pub fn run(emu: &RunningEmulator, args: impl CmdLine) -> Run {
    let mut cmd = cli(emu);
    cmd.args(args.words());
    finish(cmd)
}

/// Runs the CLI against `emu`, expecting success; returns stdout.
pub fn ok(emu: &RunningEmulator, args: impl CmdLine) -> String {
    let args = args.words();
    let run = run(emu, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 0, "livestream {args:?} failed: {run:#?}");
    run.stdout
}

/// Runs the CLI against `emu`, expecting exit `code`; returns stderr.
pub fn fails(emu: &RunningEmulator, args: impl CmdLine, code: i32) -> String {
    let args = args.words();
    let run = run(emu, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, code, "livestream {args:?}: {run:#?}");
    assert!(
        run.stderr.contains("livestream: error: ") || code == 2,
        "errors are reported on stderr: {run:#?}"
    );
    run.stderr
}

/// Runs the CLI against `emu` with `--format json`, expecting success; returns the value.
pub fn json(emu: &RunningEmulator, args: impl CmdLine) -> serde_json::Value {
    let mut all = args.words();
    all.extend(["--format".to_owned(), "json".to_owned()]);
    let out = ok(emu, &all.iter().map(String::as_str).collect::<Vec<_>>());
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Writes a temporary config file.
pub fn config_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write config");
    path.to_string_lossy().into_owned()
}

/// A running CLI whose stderr is read line by line.
pub struct Spawned {
    pub child: Child,
    stderr: BufReader<std::process::ChildStderr>,
    pub seen: String,
}

/// Starts the CLI against `emu` in the background.
pub fn spawn(emu: &RunningEmulator, args: impl CmdLine) -> Spawned {
    let mut cmd = cli(emu);
    cmd.args(args.words())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn livestream");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    Spawned {
        child,
        stderr,
        seen: String::new(),
    }
}

impl Spawned {
    /// Reads stderr until a line contains `text` (blocking: no sleeps, no polling).
    pub fn wait_for_stderr(&mut self, text: &str) {
        loop {
            let mut line = String::new();
            let n = self.stderr.read_line(&mut line).expect("read stderr");
            assert!(n > 0, "stderr ended before {text:?}: {}", self.seen);
            self.seen.push_str(&line);
            if line.contains(text) {
                return;
            }
        }
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub fn interrupt(&self) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the exit; returns everything printed.
    pub fn finish(mut self) -> Run {
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("read stderr");
        self.seen.push_str(&rest);
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            out.read_to_string(&mut stdout).expect("read stdout");
        }
        let status = self.child.wait().expect("wait");
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: self.seen,
        }
    }
}

/// An RFC 3339 time `offset` after (or before, if negative) the emulator's clock.
pub fn emu_time(emu: &RunningEmulator, offset_secs: i64) -> String {
    let now = emu.now();
    let t = if offset_secs >= 0 {
        now + Duration::from_secs(offset_secs.unsigned_abs())
    } else {
        now - Duration::from_secs(offset_secs.unsigned_abs())
    };
    prost_types::Timestamp::from(t).to_string()
}

/// The same time as text, from a SystemTime.
pub fn rfc3339(t: SystemTime) -> String {
    prost_types::Timestamp::from(t).to_string()
}

/// A JSON object without the given keys (output-only fields, for comparisons).
pub fn without(value: &serde_json::Value, keys: &[&str]) -> serde_json::Value {
    let mut value = value.clone();
    if let Some(map) = value.as_object_mut() {
        for key in keys {
            map.remove(*key);
        }
    }
    value
}

/// Creates an RTMP input and a default HLS channel (with a 1 h retention) using it.
pub fn input_and_channel(emu: &RunningEmulator, channel: &str) {
    let input = format!("{channel}-in");
    ok(emu, format!("inputs create {input}"));
    ok(
        emu,
        format!(
            "channels create {channel} --input {input} --output-uri gs://my-bucket/live --retention 1h"
        ),
    );
}
