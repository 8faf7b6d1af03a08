//! `livestream channels events | clips | dvr-sessions` end to end.

use crate::cli_support::*;
use livestream_grpc::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_end_to_end() {
    let emu = start().await;
    input_and_channel(&emu, "ch");
    // A stopped channel takes no events: a precondition.
    let err = fails(
        &emu,
        "channels events create early --channel ch --ad-break 30s",
        4,
    );
    assert!(err.contains("FAILED_PRECONDITION"), "{err}");
    ok(&emu, "channels start ch");
    ok(
        &emu,
        "assets create slate --video-uri gs://my-bucket/slate.mp4",
    );

    let ad = json(
        &emu,
        "channels events create ad --channel ch --ad-break 30s",
    );
    assert_eq!(ad["adBreak"]["duration"], "30s");
    assert_eq!(ad["executeNow"], true);
    let at = emu_time(&emu, 60);
    let later = json(
        &emu,
        format!(
            "channels events create slate-1 --channel ch --slate slate --duration 1m --at {at}"
        ),
    );
    assert_eq!(later["slate"]["asset"], format!("{LOC}/assets/slate"));
    assert_eq!(later["slate"]["duration"], "60s");
    assert_eq!(later["executionTime"], at);
    assert_eq!(later["state"], "SCHEDULED");
    let channel = format!("{LOC}/channels/ch");
    for (id, flags) in [
        ("mute", &["--mute", "--duration", "10s"][..]),
        ("unmute", &["--unmute"]),
        ("back", &["--return-to-program"]),
        ("switch", &["--input-switch", "ch-in"]),
    ] {
        let mut args = vec!["channels", "events", "create", id, "--channel", &channel];
        args.extend(flags);
        ok(&emu, &args);
    }
    // Bad combinations are usage errors.
    for args in [
        "channels events create x --channel ch",
        "channels events create x --channel ch --ad-break 1s --mute",
        "channels events create x --channel ch --ad-break 1s --duration 2s",
        "channels events create x --channel ch --ad-break soon",
        "channels events create x --ad-break 1s",
        "channels events create x --channel ch --mute --at tomorrow",
    ] {
        let run = run(&emu, args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
    }

    let table = ok(&emu, "channels events list --channel ch");
    let header = table.lines().next().unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["ID", "TASK", "STATE", "EXECUTION_TIME"]
    );
    assert_eq!(table.lines().count(), 7, "{table}");
    assert!(table.contains("adBreak 30s"), "{table}");
    assert!(table.contains("slate slate 60s"), "{table}");
    let described = json(
        &emu,
        &[
            "channels",
            "events",
            "describe",
            &format!("{channel}/events/ad"),
        ],
    );
    assert_eq!(described["name"], format!("{channel}/events/ad"));
    ok(&emu, "channels events delete ad --channel ch");
    fails(&emu, "channels events describe ad --channel ch", 3);
    // An ID without --channel cannot be resolved.
    let err = fails(&emu, "channels events describe ad", 2);
    assert!(err.contains("--channel"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clips_end_to_end() {
    let emu = start().await;
    input_and_channel(&emu, "ch");
    ok(&emu, "channels start ch");
    let from = emu_time(&emu, 5);
    let to = emu_time(&emu, 35);
    emu.advance_clock(std::time::Duration::from_secs(60));
    let clip = json(
        &emu,
        format!(
            "channels clips create clip-1 --channel ch --manifest-key manifest_hls --start {from} --end {to} --output-uri gs://my-bucket/clips/clip-1 --output-type manifest"
        ),
    );
    assert_eq!(clip["clipManifests"][0]["manifestKey"], "manifest_hls");
    assert_eq!(clip["slices"][0]["timeSlice"]["markinTime"], from);
    assert_eq!(clip["outputType"], "MANIFEST");
    // Missing flags, and a range the channel did not stream (exit 4).
    let err = fails(&emu, "channels clips create x --channel ch", 2);
    assert!(
        err.contains("--manifest-key") && err.contains("--output-uri"),
        "{err}"
    );
    let before = emu_time(&emu, -3600);
    let before_end = emu_time(&emu, -3500);
    fails(
        &emu,
        format!(
            "channels clips create old --channel ch --manifest-key manifest_hls --start {before} --end {before_end} --output-uri gs://my-bucket/clips/old"
        ),
        4,
    );
    let table = ok(&emu, "channels clips list --channel ch");
    assert_eq!(table.lines().count(), 2, "{table}");
    assert!(table.contains("clip-1"), "{table}");
    let described = json(&emu, "channels clips describe clip-1 --channel ch");
    assert_eq!(described["state"], clip["state"]);
    ok(&emu, "channels clips delete clip-1 --channel ch");
    fails(&emu, "channels clips describe clip-1 --channel ch", 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dvr_sessions_end_to_end() {
    let emu = start().await;
    input_and_channel(&emu, "ch");
    let start_at = emu_time(&emu, 600);
    let end_at = emu_time(&emu, 1200);
    let session = json(
        &emu,
        format!(
            "channels dvr-sessions create dvr-1 --channel ch --manifest-key manifest_hls --start {start_at} --end {end_at}"
        ),
    );
    assert_eq!(session["dvrManifests"][0]["manifestKey"], "manifest_hls");
    assert_eq!(session["dvrWindows"][0]["timeInterval"]["endTime"], end_at);
    fails(&emu, "channels dvr-sessions create x --channel ch", 2);

    // Update with an explicit mask: only --end given, the start is kept.
    let new_end = emu_time(&emu, 1800);
    let updated = json(
        &emu,
        format!(
            "channels dvr-sessions update dvr-1 --channel ch --end {new_end} --update-mask dvrWindows"
        ),
    );
    let window = &updated["dvrWindows"][0]["timeInterval"];
    assert_eq!(window["endTime"], new_end);
    assert_eq!(window["startTime"], start_at);
    let request = emu.requests(Method::UpdateDvrSession);
    assert_eq!(request.len(), 1);
    // Update without a mask: derived from the change.
    let newer_end = emu_time(&emu, 2400);
    let updated = json(
        &emu,
        format!("channels dvr-sessions update dvr-1 --channel ch --end {newer_end}"),
    );
    assert_eq!(
        updated["dvrWindows"][0]["timeInterval"]["endTime"],
        newer_end
    );
    assert_eq!(emu.call_count(Method::UpdateDvrSession), 2);

    let table = ok(&emu, "channels dvr-sessions list --channel ch");
    assert!(table.starts_with("ID     STATE"), "{table}");
    assert!(table.contains(&newer_end), "{table}");
    let name = format!("{LOC}/channels/ch/dvrSessions/dvr-1");
    let described = json(&emu, format!("channels dvr-sessions describe {name}"));
    assert_eq!(described["name"], name);
    ok(&emu, format!("channels dvr-sessions delete {name}"));
    fails(&emu, format!("channels dvr-sessions describe {name}"), 3);
}
