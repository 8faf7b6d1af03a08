//! Tests of the validation module, and the fixtures they share: a valid channel modelled on
//! Google's documentation sample, a ts variant, a channel using every optional section, and
//! the inputs and assets they reference.

mod channel;
mod common;
mod event;
mod location;
mod properties;
mod recording;
mod streams;

use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use prost_types::{Duration, Timestamp};

use super::{FieldViolation, References};
use crate::v1::channel::Output;
use crate::v1::elementary_stream::ElementaryStream as Encoding;
use crate::v1::video_stream::{CodecSettings, H264CodecSettings};
use crate::v1::{
    Asset, AudioStream, Channel, ElementaryStream, Input, InputAttachment, Manifest, MuxStream,
    SegmentSettings, VideoStream, asset, input, manifest,
};

/// The project and location of every fixture.
pub(super) const LOCATION: &str = "projects/my-project/locations/us-central1";
/// The sample channel's name.
pub(super) const CHANNEL: &str = "projects/my-project/locations/us-central1/channels/my-channel";
/// The sample channel's input.
pub(super) const INPUT: &str = "projects/my-project/locations/us-central1/inputs/my-input";
/// A second input, for backups.
pub(super) const BACKUP_INPUT: &str = "projects/my-project/locations/us-central1/inputs/my-backup";
/// An ACTIVE image asset.
pub(super) const IMAGE_ASSET: &str = "projects/my-project/locations/us-central1/assets/my-image";
/// An ACTIVE video asset.
pub(super) const VIDEO_ASSET: &str = "projects/my-project/locations/us-central1/assets/my-slate";
/// An image asset still being created.
pub(super) const CREATING_ASSET: &str = "projects/my-project/locations/us-central1/assets/creating";
/// A secret version for encryption keys.
pub(super) const SECRET: &str = "projects/my-project/secrets/my-secret/versions/1";

/// The time the time-dependent tests run at: 2023-11-14T22:13:20Z.
pub(super) const NOW_SECONDS: i64 = 1_700_000_000;

/// [`NOW_SECONDS`] as a `SystemTime`.
pub(super) fn now() -> SystemTime {
    UNIX_EPOCH + StdDuration::from_secs(NOW_SECONDS.unsigned_abs())
}

/// A timestamp `offset` seconds from [`NOW_SECONDS`].
pub(super) fn at(offset: i64) -> Timestamp {
    Timestamp {
        seconds: NOW_SECONDS + offset,
        nanos: 0,
    }
}

/// A whole number of seconds.
pub(super) fn seconds(seconds: i64) -> Duration {
    Duration { seconds, nanos: 0 }
}

/// Inputs and assets held in vectors.
#[derive(Debug, Default)]
pub(super) struct FakeRefs {
    /// The inputs that exist.
    pub(super) inputs: Vec<Input>,
    /// The assets that exist.
    pub(super) assets: Vec<Asset>,
}

impl References for FakeRefs {
    fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }
}

/// The resources the fixtures reference: two RTMP inputs, an ACTIVE image asset, an ACTIVE
/// video asset and an image asset in CREATING.
pub(super) fn refs() -> FakeRefs {
    let input = |name: &str| Input {
        name: name.into(),
        r#type: input::Type::RtmpPush.into(),
        ..Default::default()
    };
    let asset = |name: &str, resource: asset::Resource, state: asset::State| Asset {
        name: name.into(),
        resource: Some(resource),
        state: state.into(),
        ..Default::default()
    };
    let image = || {
        asset::Resource::Image(asset::ImageAsset {
            uri: "gs://my-bucket/logo.png".into(),
        })
    };
    FakeRefs {
        inputs: vec![input(INPUT), input(BACKUP_INPUT)],
        assets: vec![
            asset(IMAGE_ASSET, image(), asset::State::Active),
            asset(
                VIDEO_ASSET,
                asset::Resource::Video(asset::VideoAsset {
                    uri: "gs://my-bucket/slate.mp4".into(),
                }),
                asset::State::Active,
            ),
            asset(CREATING_ASSET, image(), asset::State::Creating),
        ],
    }
}

/// A mux stream of one or more elementary streams.
pub(super) fn mux(key: &str, container: &str, streams: &[&str], segment: i64) -> MuxStream {
    MuxStream {
        key: key.into(),
        container: container.into(),
        elementary_streams: streams.iter().map(|s| (*s).into()).collect(),
        segment_settings: Some(SegmentSettings {
            segment_duration: Some(seconds(segment)),
        }),
        ..Default::default()
    }
}

/// A manifest of some mux streams.
pub(super) fn manifest(
    file_name: &str,
    kind: manifest::ManifestType,
    muxes: &[&str],
    key: &str,
) -> Manifest {
    Manifest {
        file_name: file_name.into(),
        r#type: kind.into(),
        mux_streams: muxes.iter().map(|m| (*m).into()).collect(),
        max_segment_count: 5,
        key: key.into(),
        ..Default::default()
    }
}

/// An H.264 video elementary stream.
pub(super) fn h264_stream(key: &str, settings: H264CodecSettings) -> ElementaryStream {
    ElementaryStream {
        key: key.into(),
        elementary_stream: Some(Encoding::VideoStream(VideoStream {
            codec_settings: Some(CodecSettings::H264(settings)),
        })),
    }
}

/// An audio elementary stream.
pub(super) fn audio_stream(key: &str, audio: AudioStream) -> ElementaryStream {
    ElementaryStream {
        key: key.into(),
        elementary_stream: Some(Encoding::AudioStream(audio)),
    }
}

/// The H.264 settings of the documentation sample: 1280x720, 30 fps, 3 Mbps, high profile.
pub(super) fn sample_h264() -> H264CodecSettings {
    H264CodecSettings {
        profile: "high".into(),
        width_pixels: 1280,
        height_pixels: 720,
        bitrate_bps: 3_000_000,
        frame_rate: 30.0,
        ..Default::default()
    }
}

/// The audio settings of the documentation sample: AAC, stereo, 64 kbps.
pub(super) fn sample_aac() -> AudioStream {
    AudioStream {
        codec: "aac".into(),
        channel_count: 2,
        bitrate_bps: 64_000,
        ..Default::default()
    }
}

/// The channel of Google's documentation sample: one RTMP input, H.264 720p video and AAC
/// audio in fmp4 mux streams of 2 s segments, an HLS manifest with a key and a DASH manifest.
pub(super) fn sample_channel() -> Channel {
    use manifest::ManifestType::{Dash, Hls};
    Channel {
        name: CHANNEL.into(),
        input_attachments: vec![InputAttachment {
            key: "my-input".into(),
            input: INPUT.into(),
            ..Default::default()
        }],
        output: Some(Output {
            uri: "gs://my-bucket/my-channel-output/".into(),
        }),
        elementary_streams: vec![
            h264_stream("es_video", sample_h264()),
            audio_stream("es_audio", sample_aac()),
        ],
        mux_streams: vec![
            mux("mux_video", "fmp4", &["es_video"], 2),
            mux("mux_audio", "fmp4", &["es_audio"], 2),
        ],
        manifests: vec![
            manifest(
                "main.m3u8",
                Hls,
                &["mux_video", "mux_audio"],
                "manifest_hls",
            ),
            manifest("main.mpd", Dash, &["mux_video", "mux_audio"], ""),
        ],
        ..Default::default()
    }
}

/// The sample channel with one ts mux stream (video and audio, 6 s segments) in its HLS
/// manifest.
pub(super) fn ts_channel() -> Channel {
    Channel {
        mux_streams: vec![mux("mux_ts", "ts", &["es_video", "es_audio"], 6)],
        manifests: vec![manifest(
            "main.m3u8",
            manifest::ManifestType::Hls,
            &["mux_ts"],
            "manifest_hls",
        )],
        ..sample_channel()
    }
}

/// The sample channel after `edit`, validated against [`refs`].
pub(super) fn check_channel(edit: impl FnOnce(&mut Channel)) -> Vec<FieldViolation> {
    let mut channel = sample_channel();
    edit(&mut channel);
    super::channel(&channel, &refs())
}

/// The H.264 settings of elementary stream `index`.
#[track_caller]
pub(super) fn h264_of(channel: &mut Channel, index: usize) -> &mut H264CodecSettings {
    match &mut channel.elementary_streams[index].elementary_stream {
        Some(Encoding::VideoStream(VideoStream {
            codec_settings: Some(CodecSettings::H264(settings)),
        })) => settings,
        other => panic!("elementary stream {index} is not H.264: {other:?}"),
    }
}

/// The audio settings of elementary stream `index`.
#[track_caller]
pub(super) fn audio_of(channel: &mut Channel, index: usize) -> &mut AudioStream {
    match &mut channel.elementary_streams[index].elementary_stream {
        Some(Encoding::AudioStream(audio)) => audio,
        other => panic!("elementary stream {index} is not audio: {other:?}"),
    }
}

/// Asserts that there are no violations.
#[track_caller]
pub(super) fn assert_clean(violations: &[FieldViolation]) {
    assert!(
        violations.is_empty(),
        "unexpected violations: {violations:#?}"
    );
}

/// Asserts that `violation` is at `field`, is not a missing reference, and its description
/// contains every fragment.
#[track_caller]
pub(super) fn assert_violation(violation: &FieldViolation, field: &str, fragments: &[&str]) {
    assert_eq!(violation.field, field, "{violation:#?}");
    for fragment in fragments {
        assert!(
            violation.description.contains(fragment),
            "description {:?} lacks {fragment:?}",
            violation.description
        );
    }
    assert_eq!(violation.missing_reference, None, "{violation:#?}");
}

/// Asserts that there is exactly one violation, as [`assert_violation`] describes.
#[track_caller]
pub(super) fn assert_only(violations: &[FieldViolation], field: &str, fragments: &[&str]) {
    match violations {
        [violation] => assert_violation(violation, field, fragments),
        _ => panic!("expected one violation at {field}, got {violations:#?}"),
    }
}

/// Asserts the fields of all violations, in order.
#[track_caller]
pub(super) fn assert_fields(violations: &[FieldViolation], fields: &[&str]) {
    let found: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(found, fields, "{violations:#?}");
}

/// Asserts the violations, in order: for each, the field `{prefix}{suffix}` and fragments of
/// the description, as [`assert_violation`] describes.
#[track_caller]
pub(super) fn assert_each(
    violations: &[FieldViolation],
    prefix: &str,
    expected: &[(&str, &[&str])],
) {
    let fields: Vec<String> = expected
        .iter()
        .map(|(suffix, _)| format!("{prefix}{suffix}"))
        .collect();
    assert_fields(
        violations,
        &fields.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for ((violation, field), (_, fragments)) in violations.iter().zip(&fields).zip(expected) {
        assert_violation(violation, field, fragments);
    }
}

/// Asserts that there is exactly one violation, a missing reference to `name` at `field`.
#[track_caller]
pub(super) fn assert_missing(violations: &[FieldViolation], field: &str, name: &str) {
    match violations {
        [violation] => {
            assert_eq!(violation.field, field, "{violation:#?}");
            assert_eq!(violation.missing_reference.as_deref(), Some(name));
            assert!(
                violation.description.contains(name),
                "{violation:#?} does not name {name}"
            );
        }
        _ => panic!("expected one missing reference at {field}, got {violations:#?}"),
    }
}
