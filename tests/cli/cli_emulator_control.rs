//! `livestream emulator <control>`: the controls of a running emulator from a shell, through
//! the typed admin client (issue 12, item 3).

use crate::cli_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::LroTiming;

/// The binary controlling `emu` through LIVESTREAM_EMULATOR_HOST, as a script would.
fn control(emu: &livestream_grpc::emulator::RunningEmulator, args: &str) -> Run {
    let mut cmd = bare();
    cmd.env("LIVESTREAM_EMULATOR_HOST", emu.address().to_string());
    cmd.arg("emulator").args(args.split_whitespace());
    finish(cmd)
}

fn control_ok(emu: &livestream_grpc::emulator::RunningEmulator, args: &str) -> String {
    let run = control(emu, args);
    assert_eq!(run.code, 0, "livestream emulator {args}: {run:#?}");
    run.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_drives_a_running_emulator() {
    let emu = start().await;
    let input = format!("projects/{PROJECT}/locations/{LOCATION}/inputs/ctl-ch-in");
    let channel = format!("projects/{PROJECT}/locations/{LOCATION}/channels/ctl-ch");

    // Manual operations: a create waits until the script completes it.
    control_ok(&emu, "lro-timing manual");
    assert!(matches!(emu.config().lro_timing, LroTiming::Manual));
    let started = run(&emu, "inputs create ctl-ch-in --async");
    assert_eq!(started.code, 0, "{started:#?}");
    let completed = control_ok(&emu, "complete-operation --all");
    assert_eq!(completed.lines().count(), 1, "{completed}");
    let name = completed.trim();
    // Completing it again: a conflict, exit 4.
    let again = control(&emu, &format!("complete-operation {name}"));
    assert_eq!(again.code, 4, "{again:#?}");
    assert!(again.stderr.contains("FAILED_PRECONDITION"), "{again:#?}");
    control_ok(&emu, "lro-timing 0ms");

    // The simulated encoder.
    ok(
        &emu,
        "channels create ctl-ch --input ctl-ch-in --output-uri gs://my-bucket/live --retention 1h",
    );
    ok(&emu, "channels start ctl-ch");
    control_ok(
        &emu,
        &format!("connect-input {input} --width 1280 --height 720"),
    );
    let described = json(&emu, "channels describe ctl-ch");
    assert_eq!(described["streamingState"], "STREAMING", "{described}");
    control_ok(&emu, &format!("fail {channel} --message boom"));
    control_ok(&emu, &format!("recover-channel {channel}"));
    control_ok(&emu, &format!("disconnect-input {input}"));
    let missing = control(&emu, "connect-input projects/p/locations/l/inputs/nope");
    assert_eq!(missing.code, 3, "{missing:#?}");

    // The clock.
    let before = control_ok(&emu, "now");
    let after = control_ok(&emu, "advance-clock 1h");
    assert!(after.trim() > before.trim(), "{before} {after}");

    // Faults and counts.
    control_ok(&emu, "inject-faults GetChannel UNAVAILABLE OK");
    let failed = run(&emu, "channels describe ctl-ch");
    assert_eq!(
        failed.code, 0,
        "the CLI's retries absorb one UNAVAILABLE: {failed:#?}"
    );
    let count = control_ok(&emu, "call-counts GetChannel");
    assert_eq!(
        count.trim().parse::<u64>().unwrap(),
        emu.call_count(Method::GetChannel)
    );
    let all = control_ok(&emu, "call-counts");
    assert!(all.lines().any(|l| l.starts_with("CreateInput ")), "{all}");
    control_ok(&emu, "set-latency GetChannel 1ms");
    control_ok(&emu, "clear-faults GetChannel");
    control_ok(&emu, "clear-faults");
    let typo = control(&emu, "inject-faults GetChanel UNAVAILABLE");
    assert_eq!(typo.code, 2, "{typo:#?}");
    assert!(
        typo.stderr.contains("GetChannel"),
        "suggests the name: {typo:#?}"
    );
    let bad_code = control(&emu, "inject-faults GetChannel SOMETIMES");
    assert_eq!(bad_code.code, 2, "{bad_code:#?}");

    // Reset.
    control_ok(&emu, "reset");
    assert_eq!(emu.call_count(Method::GetChannel), 0);
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_without_an_emulator_says_so() {
    let mut cmd = bare();
    cmd.args(["emulator", "reset"]);
    let run = finish(cmd);
    assert_eq!(
        run.code, 2,
        "no LIVESTREAM_EMULATOR_HOST: a usage error: {run:#?}"
    );
    assert!(run.stderr.contains("--emulator-host"), "{run:#?}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut cmd = bare();
    cmd.args(["emulator", "reset", "--emulator-host", &addr.to_string()]);
    let run = finish(cmd);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.stderr.contains(&addr.to_string()), "{run:#?}");
}

/// A channel with an RTMP push distribution whose stream key is `STREAM_KEY`.
const RTMP_CHANNEL_JSON: &str = r#"{
  "inputAttachments": [{"key": "in", "input": "projects/test-project/locations/us-central1/inputs/exp-in"}],
  "output": {"uri": "gs://my-bucket/outputs"},
  "elementaryStreams": [
    {"key": "es_video", "videoStream": {"h264": {"widthPixels": 1280, "heightPixels": 720, "bitrateBps": 3000000, "frameRate": 30}}},
    {"key": "es_audio", "audioStream": {"codec": "aac", "channelCount": 2, "bitrateBps": 160000}}
  ],
  "muxStreams": [{"key": "mux_ts", "container": "ts", "elementaryStreams": ["es_video", "es_audio"]}],
  "manifests": [{"key": "manifest_hls", "fileName": "main.m3u8", "type": "HLS", "muxStreams": ["mux_ts"], "maxSegmentCount": 5}],
  "distributionStreams": [{"key": "dist-stream", "container": "flv", "elementaryStreams": ["es_video", "es_audio"]}],
  "distributions": [{"key": "youtube", "distributionStream": "dist-stream", "rtmpPush": {"uri": "rtmp://a.rtmp.example.com/live2", "streamKey": "cli-StreamKey-1a2b3c4d"}}]
}"#;
const STREAM_KEY: &str = "cli-StreamKey-1a2b3c4d";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_state_prints_the_state_without_stream_keys_and_writes_a_data_dir_snapshot() {
    let emu = start().await;
    let dir = tempfile::tempdir().unwrap();
    ok(&emu, "inputs create exp-in");
    let config = config_file(&dir, "channel.json", RTMP_CHANNEL_JSON);
    ok(&emu, format!("channels create exp-ch --config {config}"));

    // JSON on stdout: the proto3 JSON of the snapshot, the stream key redacted.
    let text = control_ok(&emu, "export-state");
    assert!(!text.contains(STREAM_KEY), "{text}");
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let channel = &state["channels"][0]["channel"];
    assert_eq!(
        channel["name"],
        format!("projects/{PROJECT}/locations/{LOCATION}/channels/exp-ch")
    );
    assert_eq!(
        channel["distributions"][0]["rtmpPush"]["streamKey"],
        format!("<redacted, {} bytes>", STREAM_KEY.len())
    );
    assert_eq!(
        state["inputs"][0]["name"],
        format!("projects/{PROJECT}/locations/{LOCATION}/inputs/exp-in")
    );

    // --binary --out: the state.pb of a data directory, where an emulator starts from.
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    let out = data_dir.join("state.pb");
    let printed = control_ok(
        &emu,
        &format!("export-state --binary --out {}", out.display()),
    );
    assert_eq!(printed, "", "nothing on stdout with --out");
    emu.shutdown().await.unwrap();
    let restarted = livestream_grpc::emulator::Emulator::builder()
        .data_dir(&data_dir)
        .start()
        .await
        .unwrap();
    let described = json(&restarted, "channels describe exp-ch");
    assert_eq!(described["inputAttachments"][0]["key"], "in");
    restarted.shutdown().await.unwrap();

    // A file that cannot be written: a clear error, exit 1.
    let emu = start().await;
    let bad = control(&emu, "export-state --out /nonexistent-dir/state.json");
    assert_eq!(bad.code, 1, "{bad:#?}");
    assert!(
        bad.stderr.contains("/nonexistent-dir/state.json"),
        "{bad:#?}"
    );
    emu.shutdown().await.unwrap();
}

/// A standalone `livestream emulator --port 0` with `args`, killed when dropped.
struct Standalone {
    child: std::process::Child,
    address: String,
}

impl Standalone {
    fn spawn(args: &[&str]) -> Standalone {
        use std::io::BufRead as _;
        let mut cmd = bare();
        cmd.args(["emulator", "--port", "0"]).args(args);
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn livestream emulator");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let address = loop {
            let line = lines.next().expect("a banner line").expect("utf-8");
            if let Some(address) = line.strip_prefix("export LIVESTREAM_EMULATOR_HOST=") {
                break address.to_owned();
            }
        };
        Standalone { child, address }
    }

    /// The CLI against this emulator (`--endpoint`, `--project`, `--location`).
    fn run(&self, args: &str) -> Run {
        let mut cmd = bare();
        cmd.args(["--endpoint", &format!("http://{}", self.address)])
            .args(["--project", PROJECT, "--location", LOCATION])
            .args(args.split_whitespace());
        finish(cmd)
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emulator_starts_from_an_exported_state() {
    let emu = start().await;
    let dir = tempfile::tempdir().unwrap();
    ok(&emu, "inputs create seeded-in");
    ok(
        &emu,
        "channels create seeded-ch --input seeded-in --output-uri gs://my-bucket/live",
    );
    let before_export = control_ok(&emu, "advance-clock 24h");
    let json = dir.path().join("state.json");
    let binary = dir.path().join("state.pb");
    control_ok(&emu, &format!("export-state --out {}", json.display()));
    control_ok(
        &emu,
        &format!("export-state --binary --out {}", binary.display()),
    );
    emu.shutdown().await.unwrap();
    let time = |text: &str| -> std::time::SystemTime {
        let t: prost_types::Timestamp = text.trim().parse().unwrap();
        t.try_into().unwrap()
    };

    for file in [&json, &binary] {
        let seeded = Standalone::spawn(&["--load-state", &file.display().to_string()]);
        let described = seeded.run("channels describe seeded-ch --format json");
        assert_eq!(described.code, 0, "{file:?}: {described:#?}");
        assert!(described.stdout.contains("seeded-in"), "{described:#?}");
        // The clock carries on from the export (a day ahead of the machine's).
        let mut now = bare();
        now.args(["emulator", "now", "--emulator-host", &seeded.address]);
        let now = finish(now);
        assert!(time(&now.stdout) >= time(&before_export), "{now:#?}");
        // It serves new changes on top.
        let created = seeded.run("inputs create second-in");
        assert_eq!(created.code, 0, "{created:#?}");
    }

    // A file that is not a state, or of another format version: a usage error saying so,
    // and no emulator.
    for (file, text, expected) in [
        ("bad.json", r#"{"channels": 7}"#, "bad.json"),
        ("v99.json", r#"{"version": 99}"#, "format version 99"),
        (
            "garbage.pb",
            "\u{1}\u{2}\u{3}",
            "neither JSON nor an encoded snapshot",
        ),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let mut cmd = bare();
        cmd.args(["emulator", "--port", "0", "--load-state"])
            .arg(&path);
        let run = finish(cmd);
        assert_eq!(run.code, 2, "{run:#?}");
        assert!(run.stderr.contains(expected), "{run:#?}");
    }
}
