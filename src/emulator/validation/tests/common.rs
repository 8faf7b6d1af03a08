//! The shared pieces: paths, value formatting, time arithmetic, bucket names.

use super::*;
use crate::emulator::validation::{
    Path, format_duration, format_timestamp, quoted, system_time_nanos, valid_bucket,
};

#[test]
fn paths_are_dotted_indexed_and_know_their_leaf() {
    let root = Path::root("channel");
    assert_eq!(root.leaf(), "channel");
    let item = root.item("elementary_streams", 1);
    assert_eq!(item.to_string(), "channel.elementary_streams[1]");
    assert_eq!(item.leaf(), "elementary_streams");
    let leaf = item
        .field("video_stream")
        .field("h264")
        .field("bitrate_bps");
    assert_eq!(
        leaf.to_string(),
        "channel.elementary_streams[1].video_stream.h264.bitrate_bps"
    );
    assert_eq!(leaf.leaf(), "bitrate_bps");
    assert_eq!(Path::root("event").index(3).leaf(), "event");
}

#[test]
fn long_values_are_cut_short_in_descriptions() {
    assert_eq!(quoted("es_video"), "\"es_video\"");
    assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
    let long = "é".repeat(200);
    let shown = quoted(&long);
    assert_eq!(shown.chars().filter(|&c| c == 'é').count(), 80);
    assert!(shown.ends_with('…'), "{shown}");
}

#[test]
fn durations_and_timestamps_are_written_like_proto3_json() {
    assert_eq!(format_duration(6_000_000_000), "6s");
    assert_eq!(format_duration(2_500_000_000), "2.500s");
    assert_eq!(format_duration(-1), "-0.000000001s");
    assert_eq!(format_duration(i128::MAX), format!("{}ns", i128::MAX));
    assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
    assert_eq!(
        format_timestamp(i128::from(NOW_SECONDS) * 1_000_000_000 + 5),
        "2023-11-14T22:13:20.000000005Z"
    );
    assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999999999Z");
    assert!(format_timestamp(i128::MAX).ends_with("after the Unix epoch"));
    assert!(format_timestamp(i128::MIN).ends_with("after the Unix epoch"));
}

#[test]
fn system_time_converts_on_both_sides_of_the_epoch() {
    assert_eq!(
        system_time_nanos(now()),
        i128::from(NOW_SECONDS) * 1_000_000_000
    );
    let before = UNIX_EPOCH - StdDuration::from_millis(1500);
    assert_eq!(system_time_nanos(before), -1_500_000_000);
}

#[test]
fn bucket_names_follow_cloud_storage_rules() {
    for good in [
        "abc",
        "my-bucket",
        "my_bucket",
        "a.b.c",
        "0bucket9",
        &"a".repeat(63),
    ] {
        assert!(valid_bucket(good), "{good}");
    }
    let dotted = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(30)
    );
    assert_eq!(dotted.len(), 222);
    assert!(valid_bucket(&dotted));
    for bad in [
        "",
        "ab",
        "My-Bucket",
        "-bucket",
        "bucket-",
        "a..b",
        "bucket!",
        &"a".repeat(64),
        &format!("{dotted}e"),
        &format!("{}.b", "a".repeat(64)),
    ] {
        assert!(!valid_bucket(bad), "{bad}");
    }
}
