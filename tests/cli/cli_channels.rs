//! `livestream channels`: create/list/describe/update/delete, start/stop, distributions,
//! a Google-style config file, the JSON round trip, and precondition exit codes.

use crate::cli_support::*;
use livestream_grpc::Method;

/// A channel config as Google's documentation writes them (camelCase, enums as strings,
/// durations as "2s"), with a distribution.
const CHANNEL_JSON: &str = r#"{
  "inputAttachments": [{"key": "my-input", "input": "projects/test-project/locations/us-central1/inputs/in"}],
  "output": {"uri": "gs://my-bucket/outputs"},
  "elementaryStreams": [
    {"key": "es_video", "videoStream": {"h264": {"profile": "high", "widthPixels": 1280, "heightPixels": 720, "bitrateBps": 3000000, "frameRate": 30}}},
    {"key": "es_audio", "audioStream": {"codec": "aac", "channelCount": 2, "bitrateBps": 160000}}
  ],
  "muxStreams": [
    {"key": "mux_video_ts", "container": "ts", "elementaryStreams": ["es_video", "es_audio"], "segmentSettings": {"segmentDuration": "2s"}}
  ],
  "manifests": [
    {"key": "manifest_hls", "fileName": "main.m3u8", "type": "HLS", "muxStreams": ["mux_video_ts"], "maxSegmentCount": 5}
  ],
  "distributionStreams": [{"key": "dist-stream", "container": "ts", "elementaryStreams": ["es_video", "es_audio"]}],
  "distributions": [{"key": "dist", "distributionStream": "dist-stream", "srtPush": {"uri": "srt://203.0.113.1:4201?streamid=x"}}],
  "labels": {"team": "video"}
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_end_to_end() {
    let emu = start().await;
    input_and_channel(&emu, "ch");
    let table = ok(&emu, "channels list");
    assert_eq!(
        table,
        "ID  STATE    INPUTS  OUTPUT\nch  STOPPED  ch-in   gs://my-bucket/live\n"
    );
    let channel = json(&emu, "channels describe ch");
    assert_eq!(channel["manifests"][0]["key"], "manifest_hls");
    assert_eq!(
        channel["retentionConfig"]["retentionWindowDuration"],
        "3600s"
    );
    assert_eq!(channel["inputAttachments"][0]["key"], "ch-in");

    // Update with a flag: the mask is derived (only `output` changed).
    let updated = ok(&emu, "channels update ch --output-uri gs://my-bucket/other");
    assert!(
        updated.contains("  uri: gs://my-bucket/other\n"),
        "{updated}"
    );
    assert_eq!(emu.call_count(Method::UpdateChannel), 1);
    // A bad mask is caught locally.
    let err = fails(
        &emu,
        "channels update ch --update-mask labels --output-uri gs://x-y/z",
        2,
    );
    assert!(err.contains("cannot be updated"), "{err}");
    assert_eq!(emu.call_count(Method::UpdateChannel), 1);

    // Start: waits and prints the running channel.
    let started = run(&emu, "channels start ch");
    assert_eq!(started.code, 0, "{started:#?}");
    assert!(
        started.stdout.contains("streamingState: AWAITING_INPUT\n"),
        "{started:#?}"
    );
    // Preconditions: exit 4, the precondition named.
    let err = fails(&emu, "channels start ch", 4);
    assert!(err.contains("FAILED_PRECONDITION"), "{err}");
    assert!(err.contains("precondition CHANNEL_STATE on"), "{err}");
    fails(&emu, "channels delete ch", 4);
    fails(
        &emu,
        "channels update ch --output-uri gs://my-bucket/third",
        4,
    );
    let stopped = ok(&emu, "channels stop ch");
    assert!(stopped.contains("streamingState: STOPPED\n"), "{stopped}");
    let deleted = run(&emu, "channels delete ch");
    assert_eq!(deleted.code, 0, "{deleted:#?}");
    assert!(deleted.stderr.contains("Deleted channel [ch]."));
    fails(&emu, "channels describe ch", 3);
    assert_eq!(ok(&emu, "channels list"), "");
    // Missing --output-uri without --config: usage.
    fails(&emu, "channels create x --input ch-in", 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributions_from_a_google_style_config() {
    let emu = start().await;
    ok(&emu, "inputs create in");
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&dir, "channel.json", CHANNEL_JSON);
    ok(&emu, format!("channels create ch --config {config}"));
    let channel = json(&emu, "channels describe ch");
    assert_eq!(channel["distributions"][0]["state"], "NOT_READY");
    assert_eq!(channel["labels"]["team"], "video");
    // Distributions need a running channel.
    fails(&emu, "channels start-distribution ch", 4);
    ok(&emu, "channels start ch");
    let started = ok(&emu, "channels start-distribution ch --keys dist");
    assert!(started.contains("state: AWAITING_INPUT"), "{started}");
    let err = fails(&emu, "channels start-distribution ch --keys nope", 5);
    assert!(err.contains("INVALID_ARGUMENT"), "{err}");
    let stopped = json(&emu, "channels stop-distribution ch");
    assert_eq!(stopped["distributions"][0]["state"], "READY");
    ok(&emu, "channels stop ch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_json_round_trips_and_updates_from_config() {
    let emu = start().await;
    ok(&emu, "inputs create in");
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&dir, "channel.json", CHANNEL_JSON);
    ok(&emu, format!("channels create a --config {config}"));
    let described = ok(&emu, "channels describe a --format json");
    let copy = config_file(&dir, "copy.json", &described);
    ok(&emu, format!("channels create b --config {copy}"));
    let output_only = ["name", "createTime", "updateTime"];
    let a = json(&emu, "channels describe a");
    let b = json(&emu, "channels describe b");
    assert_eq!(without(&a, &output_only), without(&b, &output_only));
    // The same body as an update: nothing to send.
    let same = run(&emu, format!("channels update a --config {copy}"));
    assert!(
        same.stderr.contains("No changes to channel [a]"),
        "{same:#?}"
    );
    assert_eq!(emu.call_count(Method::UpdateChannel), 0);
    // An edited copy: only what changed is sent.
    let edited = described.replace("\"maxSegmentCount\": 5", "\"maxSegmentCount\": 7");
    let edited = config_file(&dir, "edited.json", &edited);
    let updated = json(&emu, format!("channels update a --config {edited}"));
    assert_eq!(updated["manifests"][0]["maxSegmentCount"], 7);
    // With an explicit mask, listed fields absent from the config are cleared.
    let patch = config_file(
        &dir,
        "patch.json",
        r#"{"output": {"uri": "gs://my-bucket/new"}}"#,
    );
    let masked = json(
        &emu,
        format!("channels update a --config {patch} --update-mask output,logConfig"),
    );
    assert_eq!(masked["output"]["uri"], "gs://my-bucket/new");
    assert!(masked.get("logConfig").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_events_needs_force() {
    let emu = start().await;
    input_and_channel(&emu, "ch");
    ok(&emu, "channels start ch");
    ok(
        &emu,
        "channels events create ad --channel ch --ad-break 30s",
    );
    ok(&emu, "channels stop ch");
    let err = fails(&emu, "channels delete ch", 4);
    assert!(err.contains("--force") || err.contains("event"), "{err}");
    ok(&emu, "channels delete ch --force");
    fails(&emu, "channels describe ch", 3);
}
