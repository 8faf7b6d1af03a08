//! Clip and DVR session rules.

use super::*;
use crate::v1::clip::{ClipManifest, Slice, TimeSlice, slice};
use crate::v1::dvr_session::{DvrManifest, DvrWindow, dvr_window};
use crate::v1::{Clip, DvrSession, TimeInterval, clip};

/// A time slice from `markin` to `markout` seconds from now.
fn time_slice(markin: Option<i64>, markout: Option<i64>) -> Slice {
    Slice {
        kind: Some(slice::Kind::TimeSlice(TimeSlice {
            markin_time: markin.map(at),
            markout_time: markout.map(at),
        })),
    }
}

/// The documentation's clip: the HLS manifest, the last minute, manifest output.
fn sample_clip() -> Clip {
    Clip {
        output_uri: "gs://my-bucket/clip-outputs".into(),
        slices: vec![
            time_slice(Some(-120), Some(-60)),
            time_slice(Some(-50), Some(0)),
        ],
        clip_manifests: vec![ClipManifest {
            manifest_key: "manifest_hls".into(),
            ..Default::default()
        }],
        output_type: clip::OutputType::Manifest.into(),
        ..Default::default()
    }
}

/// The sample clip after `edit`, validated on the sample channel at [`now`].
fn check_clip(edit: impl FnOnce(&mut Clip)) -> Vec<FieldViolation> {
    let mut clip = sample_clip();
    edit(&mut clip);
    crate::emulator::validation::clip(&clip, &sample_channel(), now())
}

/// A DVR window from `start` to `end` seconds from now.
fn window(start: Option<i64>, end: Option<i64>) -> DvrWindow {
    DvrWindow {
        kind: Some(dvr_window::Kind::TimeInterval(TimeInterval {
            start_time: start.map(at),
            end_time: end.map(at),
        })),
    }
}

/// A DVR session of the HLS manifest over the next hour.
fn sample_dvr() -> DvrSession {
    DvrSession {
        dvr_manifests: vec![DvrManifest {
            manifest_key: "manifest_hls".into(),
            ..Default::default()
        }],
        dvr_windows: vec![window(Some(0), Some(3600))],
        ..Default::default()
    }
}

/// The sample DVR session after `edit`, validated on the sample channel.
fn check_dvr(edit: impl FnOnce(&mut DvrSession)) -> Vec<FieldViolation> {
    let mut dvr = sample_dvr();
    edit(&mut dvr);
    crate::emulator::validation::dvr_session(&dvr, &sample_channel())
}

#[test]
fn documentation_clip_is_valid() {
    assert_clean(&check_clip(|_| {}));
    assert_clean(&check_clip(|c| {
        c.output_uri.clear();
        c.output_type = clip::OutputType::Mp4.into();
        // Output-only fields are ignored.
        c.state = 42;
        c.clip_manifests[0].output_uri = "not a uri".into();
        c.error = Some(Default::default());
    }));
}

#[test]
fn clip_has_exactly_one_manifest() {
    assert_only(
        &check_clip(|c| c.clip_manifests.clear()),
        "clip.clip_manifests",
        &["clip_manifests is required", "exactly one clip manifest"],
    );
    assert_only(
        &check_clip(|c| {
            let copy = c.clip_manifests[0].clone();
            c.clip_manifests.push(copy);
        }),
        "clip.clip_manifests",
        &[
            "clip_manifests has 2 entries",
            "only one clip manifest is allowed",
        ],
    );
}

#[test]
fn clip_manifest_key_names_an_hls_manifest_of_the_channel() {
    let field = "clip.clip_manifests[0].manifest_key";
    assert_only(
        &check_clip(|c| c.clip_manifests[0].manifest_key.clear()),
        field,
        &["manifest_key is required"],
    );
    assert_only(
        &check_clip(|c| c.clip_manifests[0].manifest_key = "manifest_dash".into()),
        field,
        &[
            "\"manifest_dash\"",
            "not the key of any of the channel's manifests",
        ],
    );
    let mut channel = sample_channel();
    channel.manifests[1].key = "manifest_dash".into();
    let mut clip = sample_clip();
    clip.clip_manifests[0].manifest_key = "manifest_dash".into();
    assert_only(
        &crate::emulator::validation::clip(&clip, &channel, now()),
        field,
        &["\"manifest_dash\"", "not HLS", "only HLS manifests"],
    );
}

#[test]
fn clip_output_uri_is_a_cloud_storage_uri() {
    assert_only(
        &check_clip(|c| c.output_uri = "https://storage.googleapis.com/b/o".into()),
        "clip.output_uri",
        &["\"https://storage.googleapis.com/b/o\"", "gs://"],
    );
}

#[test]
fn clip_slices_cover_past_time_in_order() {
    assert_only(
        &check_clip(|c| c.slices[0] = time_slice(Some(-60), Some(-60))),
        "clip.slices[0].time_slice.markout_time",
        &[
            "markout_time 2023-11-14T22:12:20Z",
            "must be after markin_time 2023-11-14T22:12:20Z",
        ],
    );
    assert_only(
        &check_clip(|c| c.slices[1] = time_slice(Some(-10), Some(1))),
        "clip.slices[1].time_slice.markout_time",
        &[
            "markout_time 2023-11-14T22:13:21Z is after the current time 2023-11-14T22:13:20Z",
            "only past content",
        ],
    );
    let violations = check_clip(|c| c.slices[0] = time_slice(None, None));
    assert_fields(
        &violations,
        &[
            "clip.slices[0].time_slice.markin_time",
            "clip.slices[0].time_slice.markout_time",
        ],
    );
    assert_violation(
        &violations[0],
        "clip.slices[0].time_slice.markin_time",
        &["markin_time is required"],
    );
    // With no mark-out, a future mark-in is reported itself.
    let violations = check_clip(|c| c.slices[0] = time_slice(Some(30), None));
    assert_fields(
        &violations,
        &[
            "clip.slices[0].time_slice.markout_time",
            "clip.slices[0].time_slice.markin_time",
        ],
    );
    assert_violation(
        &violations[1],
        "clip.slices[0].time_slice.markin_time",
        &["markin_time 2023-11-14T22:13:50Z is after the current time"],
    );
    assert_only(
        &check_clip(|c| c.slices[0] = Slice { kind: None }),
        "clip.slices[0]",
        &["time_slice must be set"],
    );
    assert_only(
        &check_clip(|c| {
            c.slices[0] = Slice {
                kind: Some(slice::Kind::TimeSlice(TimeSlice {
                    markin_time: Some(at(-10)),
                    markout_time: Some(Timestamp {
                        seconds: 253_402_300_800,
                        nanos: 0,
                    }),
                })),
            };
        }),
        "clip.slices[0].time_slice.markout_time",
        &["not a valid timestamp"],
    );
}

#[test]
fn clip_output_type_must_be_known() {
    assert_only(
        &check_clip(|c| c.output_type = 3),
        "clip.output_type",
        &["output_type 3", "Clip.OutputType"],
    );
}

#[test]
fn documentation_dvr_session_is_valid() {
    assert_clean(&check_dvr(|_| {}));
    // Open-ended windows, past windows, DASH manifests with a key.
    let mut channel = sample_channel();
    channel.manifests[1].key = "manifest_dash".into();
    let dvr = DvrSession {
        dvr_manifests: vec![DvrManifest {
            manifest_key: "manifest_dash".into(),
            output_uri: "output only".into(),
        }],
        dvr_windows: vec![
            window(None, None),
            window(Some(-7200), Some(-3600)),
            window(Some(0), None),
        ],
        state: 77,
        ..Default::default()
    };
    assert_clean(&crate::emulator::validation::dvr_session(&dvr, &channel));
}

#[test]
fn dvr_session_has_exactly_one_manifest_naming_a_channel_manifest() {
    assert_only(
        &check_dvr(|d| d.dvr_manifests.clear()),
        "dvr_session.dvr_manifests",
        &["dvr_manifests is required", "exactly one DVR manifest"],
    );
    assert_only(
        &check_dvr(|d| {
            let copy = d.dvr_manifests[0].clone();
            d.dvr_manifests.push(copy);
        }),
        "dvr_session.dvr_manifests",
        &["dvr_manifests has 2 entries", "only one DVR manifest"],
    );
    assert_only(
        &check_dvr(|d| d.dvr_manifests[0].manifest_key.clear()),
        "dvr_session.dvr_manifests[0].manifest_key",
        &["manifest_key is required"],
    );
    assert_only(
        &check_dvr(|d| d.dvr_manifests[0].manifest_key = "main".into()),
        "dvr_session.dvr_manifests[0].manifest_key",
        &["\"main\"", "not the key of any of the channel's manifests"],
    );
}

#[test]
fn dvr_windows_are_required_and_ordered() {
    assert_only(
        &check_dvr(|d| d.dvr_windows.clear()),
        "dvr_session.dvr_windows",
        &["dvr_windows is required"],
    );
    assert_only(
        &check_dvr(|d| d.dvr_windows.push(DvrWindow { kind: None })),
        "dvr_session.dvr_windows[1]",
        &["time_interval must be set"],
    );
    assert_only(
        &check_dvr(|d| d.dvr_windows.push(window(Some(60), Some(30)))),
        "dvr_session.dvr_windows[1].time_interval.end_time",
        &[
            "end_time 2023-11-14T22:13:50Z",
            "must be after start_time 2023-11-14T22:14:20Z",
        ],
    );
    assert_only(
        &check_dvr(|d| {
            d.dvr_windows = vec![DvrWindow {
                kind: Some(dvr_window::Kind::TimeInterval(TimeInterval {
                    start_time: Some(Timestamp {
                        seconds: -62_135_596_801,
                        nanos: 0,
                    }),
                    end_time: Some(at(0)),
                })),
            }];
        }),
        "dvr_session.dvr_windows[0].time_interval.start_time",
        &["{seconds: -62135596801, nanos: 0} is not a valid timestamp"],
    );
}
