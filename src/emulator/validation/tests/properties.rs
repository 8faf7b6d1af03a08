//! Property tests: resources built from arbitrary field values never make validation panic,
//! and what it reports is well formed and deterministic.

use proptest::prelude::*;

use super::*;
use crate::v1::event::{AdBreakTask, SlateTask, Task};
use crate::v1::video_stream::{H265CodecSettings, h264_codec_settings, h265_codec_settings};
use crate::v1::{Clip, DvrSession, Event, StaticOverlay, TimeInterval, clip, dvr_session};

/// Keys that sometimes match each other, sometimes not, and sometimes break the key rule.
fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "es_video",
        "es_audio",
        "mux_video",
        "mux_audio",
        "my-input",
        "manifest_hls",
        "_bad",
        "x",
    ])
    .prop_map(String::from)
}

/// Any duration, well formed or not.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| Duration { seconds, nanos }),
        (-30i64..30).prop_map(seconds),
    ]
}

/// Any timestamp, well formed or not, often near [`NOW_SECONDS`].
fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| Timestamp { seconds, nanos }),
        (-100i64..100).prop_map(at),
    ]
}

/// A number that is often special.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        prop::sample::select(vec![
            0.0,
            -0.0,
            1.0,
            30.0,
            60.0,
            f64::NAN,
            f64::INFINITY,
            -1.0
        ]),
    ]
}

/// A video elementary stream of either codec with arbitrary settings.
fn video() -> impl Strategy<Value = ElementaryStream> {
    (
        key(),
        any::<bool>(),
        (any::<i32>(), any::<i32>(), number(), any::<i32>()),
        prop::option::of(prop_oneof![
            any::<i32>().prop_map(Gop::Frames),
            duration().prop_map(Gop::Duration),
        ]),
        (any::<i32>(), number(), key()),
    )
        .prop_map(
            |(key, h265, (width, height, rate, bitrate), gop, (b_frames, aq, text))| {
                // The two codecs share these fields' names.
                macro_rules! settings {
                    ($settings:ident, $gop_module:ident) => {
                        $settings {
                            width_pixels: width,
                            height_pixels: height,
                            frame_rate: rate,
                            bitrate_bps: bitrate,
                            b_frame_count: b_frames,
                            aq_strength: aq,
                            gop_mode: gop.map(|gop| match gop {
                                Gop::Frames(n) => $gop_module::GopMode::GopFrameCount(n),
                                Gop::Duration(d) => $gop_module::GopMode::GopDuration(d),
                            }),
                            ..Default::default()
                        }
                    };
                }
                let codec = if h265 {
                    CodecSettings::H265(settings!(H265CodecSettings, h265_codec_settings))
                } else {
                    CodecSettings::H264(H264CodecSettings {
                        profile: text,
                        ..settings!(H264CodecSettings, h264_codec_settings)
                    })
                };
                ElementaryStream {
                    key,
                    elementary_stream: Some(Encoding::VideoStream(VideoStream {
                        codec_settings: Some(codec),
                    })),
                }
            },
        )
}

/// A GOP setting of either kind.
#[derive(Clone, Debug)]
enum Gop {
    /// A frame count.
    Frames(i32),
    /// A duration.
    Duration(Duration),
}

/// An audio elementary stream with arbitrary settings.
fn audio() -> impl Strategy<Value = ElementaryStream> {
    (
        key(),
        any::<i32>(),
        any::<i32>(),
        any::<bool>(),
        key(),
        any::<i32>(),
    )
        .prop_map(
            |(key, bitrate, channels, transmux, input_key, output_channel)| {
                audio_stream(
                    &key,
                    AudioStream {
                        bitrate_bps: bitrate,
                        channel_count: channels,
                        transmux,
                        mapping: vec![crate::v1::audio_stream::AudioMapping {
                            input_key,
                            output_channel,
                            ..Default::default()
                        }],
                        ..Default::default()
                    },
                )
            },
        )
}

/// A mux stream of arbitrary keys, container and segment duration.
fn mux_stream() -> impl Strategy<Value = MuxStream> {
    (
        key(),
        prop::sample::select(vec!["", "fmp4", "ts", "flv"]),
        prop::collection::vec(key(), 0..3),
        prop::option::of(duration()),
        key(),
    )
        .prop_map(|(key, container, streams, segment, encryption)| MuxStream {
            key,
            container: container.into(),
            elementary_streams: streams,
            segment_settings: Some(SegmentSettings {
                segment_duration: segment,
            }),
            encryption_id: encryption,
        })
}

/// A manifest of arbitrary type, mux streams and counts.
fn any_manifest() -> impl Strategy<Value = Manifest> {
    (
        -1i32..4,
        prop::collection::vec(key(), 0..3),
        any::<i32>(),
        key(),
        prop::sample::select(vec!["", "main.m3u8"]),
    )
        .prop_map(|(kind, muxes, count, key, file_name)| Manifest {
            file_name: file_name.into(),
            r#type: kind,
            mux_streams: muxes,
            max_segment_count: count,
            key,
            ..Default::default()
        })
}

/// A channel assembled from arbitrary parts.
fn any_channel() -> impl Strategy<Value = Channel> {
    (
        prop::collection::vec(prop_oneof![video(), audio()], 0..4),
        prop::collection::vec(mux_stream(), 0..4),
        prop::collection::vec(any_manifest(), 0..3),
        (
            key(),
            prop::sample::select(vec![INPUT, "", "x", IMAGE_ASSET]),
        ),
        (
            prop::sample::select(vec![IMAGE_ASSET, VIDEO_ASSET, "", "nope"]),
            number(),
        ),
        prop::option::of(duration()),
    )
        .prop_map(
            |(streams, muxes, manifests, (attachment, input), (asset, opacity), offset)| Channel {
                elementary_streams: streams,
                mux_streams: muxes,
                manifests,
                input_attachments: vec![InputAttachment {
                    key: attachment,
                    input: input.into(),
                    ..Default::default()
                }],
                static_overlays: vec![StaticOverlay {
                    asset: asset.into(),
                    opacity,
                    ..Default::default()
                }],
                timecode_config: offset.map(|offset| crate::v1::TimecodeConfig {
                    time_offset: Some(crate::v1::timecode_config::TimeOffset::UtcOffset(offset)),
                    ..Default::default()
                }),
                ..sample_channel()
            },
        )
}

/// Asserts that every violation is under `root`, says something, and that validating again
/// gives the same answer.
fn assert_well_formed(violations: &[FieldViolation], again: &[FieldViolation], root: &str) {
    for violation in violations {
        assert!(
            violation.field == root || violation.field.starts_with(&format!("{root}.")),
            "{violation:#?}"
        );
        assert!(!violation.description.is_empty(), "{violation:#?}");
    }
    assert_eq!(violations, again);
}

proptest! {
    #[test]
    fn arbitrary_channels_never_panic(channel in any_channel()) {
        let refs = refs();
        let first = crate::emulator::validation::channel(&channel, &refs);
        let again = crate::emulator::validation::channel(&channel, &refs);
        assert_well_formed(&first, &again, "channel");
    }

    #[test]
    fn arbitrary_times_never_panic(
        execution_time in prop::option::of(timestamp()),
        execute_now in any::<bool>(),
        task_duration in prop::option::of(duration()),
        slate in any::<bool>(),
        times in prop::collection::vec(
            (prop::option::of(timestamp()), prop::option::of(timestamp())),
            0..3,
        ),
    ) {
        let channel = sample_channel();
        let refs = refs();
        let task = if slate {
            Task::Slate(SlateTask { duration: task_duration, asset: VIDEO_ASSET.into() })
        } else {
            Task::AdBreak(AdBreakTask { duration: task_duration })
        };
        let event = Event { task: Some(task), execute_now, execution_time, ..Default::default() };
        let first = crate::emulator::validation::event(&event, &channel, &refs, now());
        let again = crate::emulator::validation::event(&event, &channel, &refs, now());
        assert_well_formed(&first, &again, "event");

        let clip = Clip {
            slices: times.iter().map(|(markin, markout)| clip::Slice {
                kind: Some(clip::slice::Kind::TimeSlice(clip::TimeSlice {
                    markin_time: *markin,
                    markout_time: *markout,
                })),
            }).collect(),
            clip_manifests: vec![clip::ClipManifest {
                manifest_key: "manifest_hls".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let first = crate::emulator::validation::clip(&clip, &channel, now());
        let again = crate::emulator::validation::clip(&clip, &channel, now());
        assert_well_formed(&first, &again, "clip");

        let dvr = DvrSession {
            dvr_manifests: vec![dvr_session::DvrManifest {
                manifest_key: "manifest_hls".into(),
                ..Default::default()
            }],
            dvr_windows: times.iter().map(|(start_time, end_time)| dvr_session::DvrWindow {
                kind: Some(dvr_session::dvr_window::Kind::TimeInterval(TimeInterval {
                    start_time: *start_time,
                    end_time: *end_time,
                })),
            }).collect(),
            ..Default::default()
        };
        let first = crate::emulator::validation::dvr_session(&dvr, &channel);
        let again = crate::emulator::validation::dvr_session(&dvr, &channel);
        assert_well_formed(&first, &again, "dvr_session");
    }

    #[test]
    fn arbitrary_inputs_and_assets_never_panic(
        kind in -1i32..4,
        tier in -1i32..8,
        lufs in number(),
        range in "[0-9a-f:./%+]{0,24}",
        uri in "(gs://)?[a-z0-9_.-]{0,8}(/[^\\x00]{0,8})?",
        crc in "[A-Za-z0-9+/=]{0,12}",
        network in "(projects/[a-z0-9-]{0,6}/global/networks/[a-z]{0,4})?",
    ) {
        let input = Input {
            r#type: kind,
            tier,
            preprocessing_config: Some(crate::v1::PreprocessingConfig {
                audio: Some(crate::v1::preprocessing_config::Audio { lufs }),
                ..Default::default()
            }),
            security_rules: Some(crate::v1::input::SecurityRule { ip_ranges: vec![range] }),
            ..Default::default()
        };
        let violations = crate::emulator::validation::input(&input);
        assert_well_formed(&violations, &crate::emulator::validation::input(&input), "input");

        let asset = Asset {
            resource: Some(asset::Resource::Image(asset::ImageAsset { uri })),
            crc32c: crc,
            ..Default::default()
        };
        let violations = crate::emulator::validation::asset(&asset);
        assert_well_formed(&violations, &crate::emulator::validation::asset(&asset), "asset");

        let pool = crate::v1::Pool {
            network_config: Some(crate::v1::pool::NetworkConfig { peered_network: network }),
            ..Default::default()
        };
        let violations = crate::emulator::validation::pool(&pool);
        assert_well_formed(&violations, &crate::emulator::validation::pool(&pool), "pool");
    }
}
