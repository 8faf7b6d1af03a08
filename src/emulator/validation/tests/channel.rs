//! Channel rules other than the encodings of elementary streams (those are in `streams`).

use super::*;
use crate::v1::distribution::Endpoint;
use crate::v1::encryption::{self, DrmSystems, EncryptionMode, SecretSource};
use crate::v1::input_attachment::AutomaticFailover;
use crate::v1::manifest::ManifestType::{Dash, Hls};
use crate::v1::srt_push_output_endpoint::PassphraseSource;
use crate::v1::timecode_config::{TimeOffset, TimecodeSource};
use crate::v1::{
    AutoTranscriptionConfig, Distribution, DistributionStream, Encryption, InputConfig, LogConfig,
    NormalizedCoordinate, NormalizedResolution, RetentionConfig, RtmpPushOutputEndpoint,
    SpriteSheet, SrtPushOutputEndpoint, StaticOverlay, TextStream, TimecodeConfig,
    audio_stream::AudioMapping, auto_transcription_config, input_config, log_config,
    text_stream::TextMapping,
};

/// An encryption with a Secret Manager key source and one DRM system.
fn encryption(id: &str, mode: EncryptionMode, drm: DrmSystems) -> Encryption {
    Encryption {
        id: id.into(),
        drm_systems: Some(drm),
        secret_source: Some(SecretSource::SecretManagerKeySource(
            encryption::SecretManagerSource {
                secret_version: SECRET.into(),
            },
        )),
        encryption_mode: Some(mode),
    }
}

/// A distribution stream.
fn distribution_stream(key: &str, container: &str, streams: &[&str]) -> DistributionStream {
    DistributionStream {
        key: key.into(),
        container: container.into(),
        elementary_streams: streams.iter().map(|s| (*s).into()).collect(),
    }
}

/// An SRT distribution of a distribution stream.
fn srt(key: &str, stream: &str) -> Distribution {
    Distribution {
        key: key.into(),
        distribution_stream: stream.into(),
        endpoint: Some(Endpoint::SrtPush(SrtPushOutputEndpoint {
            uri: "srt://203.0.113.1:5000?streamid=live".into(),
            passphrase_source: Some(PassphraseSource::PassphraseSecretVersion(SECRET.into())),
        })),
        ..Default::default()
    }
}

/// An RTMP distribution of a distribution stream.
fn rtmp(key: &str, stream: &str) -> Distribution {
    Distribution {
        key: key.into(),
        distribution_stream: stream.into(),
        endpoint: Some(Endpoint::RtmpPush(RtmpPushOutputEndpoint {
            uri: "rtmp://203.0.113.2/live".into(),
            stream_key: "stream-key".into(),
        })),
        ..Default::default()
    }
}

/// The sample channel with every optional section filled in validly: a backup input, manual
/// input switching, audio mappings, WebVTT subtitles, encryption, distributions, a sprite
/// sheet, a static overlay, timecode, logs, retention and auto-transcription settings.
fn full_channel() -> Channel {
    let mut channel = sample_channel();
    channel.input_attachments[0].automatic_failover = Some(AutomaticFailover {
        input_keys: vec!["backup".into()],
    });
    channel.input_attachments.push(InputAttachment {
        key: "backup".into(),
        input: BACKUP_INPUT.into(),
        ..Default::default()
    });
    channel.input_config = Some(InputConfig {
        input_switch_mode: input_config::InputSwitchMode::Manual.into(),
    });
    audio_of(&mut channel, 1).mapping = (0..2)
        .map(|n| AudioMapping {
            input_key: "my-input".into(),
            input_track: 0,
            input_channel: n,
            output_channel: n,
            gain_db: -1.5,
        })
        .collect();
    channel.elementary_streams.push(ElementaryStream {
        key: "es_text".into(),
        elementary_stream: Some(Encoding::TextStream(TextStream {
            codec: "webvtt".into(),
            language_code: "en-US".into(),
            mapping: vec![TextMapping {
                input_key: "my-input".into(),
                input_cea_channel: "CC1".into(),
                ..Default::default()
            }],
            ..Default::default()
        })),
    });
    channel
        .mux_streams
        .push(mux("mux_text", "fmp4", &["es_text"], 2));
    for manifest in &mut channel.manifests {
        manifest.mux_streams.push("mux_text".into());
    }
    for mux in &mut channel.mux_streams {
        mux.encryption_id = "cenc".into();
    }
    channel.encryptions = vec![
        encryption(
            "cenc",
            EncryptionMode::MpegCenc(encryption::MpegCommonEncryption {
                scheme: "cbcs".into(),
            }),
            DrmSystems {
                widevine: Some(encryption::Widevine {}),
                ..Default::default()
            },
        ),
        encryption(
            "aes",
            EncryptionMode::Aes128(encryption::Aes128Encryption {}),
            DrmSystems {
                clearkey: Some(encryption::Clearkey {}),
                ..Default::default()
            },
        ),
    ];
    channel.distribution_streams = vec![
        distribution_stream("dist_ts", "ts", &["es_video", "es_audio"]),
        distribution_stream("dist_flv", "flv", &["es_video", "es_audio"]),
    ];
    channel.distributions = vec![srt("srt", "dist_ts"), rtmp("rtmp", "dist_flv")];
    channel.sprite_sheets = vec![SpriteSheet {
        format: "jpeg".into(),
        file_prefix: "sprite".into(),
        sprite_width_pixels: 64,
        sprite_height_pixels: 36,
        column_count: 10,
        row_count: 10,
        interval: Some(seconds(5)),
        quality: 80,
    }];
    channel.static_overlays = vec![StaticOverlay {
        asset: IMAGE_ASSET.into(),
        resolution: Some(NormalizedResolution { w: 0.5, h: 0.0 }),
        position: Some(NormalizedCoordinate { x: 0.1, y: 0.9 }),
        opacity: 0.8,
    }];
    channel.timecode_config = Some(TimecodeConfig {
        source: TimecodeSource::EmbeddedTimecode.into(),
        time_offset: Some(TimeOffset::UtcOffset(seconds(-7 * 3600))),
    });
    channel.log_config = Some(LogConfig {
        log_severity: log_config::LogSeverity::Info.into(),
    });
    channel.retention_config = Some(RetentionConfig {
        retention_window_duration: Some(seconds(3600)),
    });
    channel.auto_transcription_config = Some(AutoTranscriptionConfig {
        display_timing: auto_transcription_config::DisplayTiming::Sync.into(),
        quality_preset: auto_transcription_config::QualityPreset::ImprovedQuality.into(),
    });
    channel
}

/// [`full_channel`] after `edit`, validated against [`refs`].
fn check_full(edit: impl FnOnce(&mut Channel)) -> Vec<FieldViolation> {
    let mut channel = full_channel();
    edit(&mut channel);
    crate::emulator::validation::channel(&channel, &refs())
}

#[test]
fn documentation_sample_channels_are_valid() {
    assert_clean(&check_channel(|_| {}));
    let ts = ts_channel();
    assert_clean(&crate::emulator::validation::channel(&ts, &refs()));
    assert_clean(&check_full(|_| {}));
}

#[test]
fn output_only_fields_are_ignored() {
    let violations = check_full(|c| {
        c.streaming_state = 99;
        c.active_input = "not an attachment".into();
        c.create_time = Some(Timestamp {
            seconds: i64::MAX,
            nanos: -1,
        });
        c.streaming_error = Some(Default::default());
        for d in &mut c.distributions {
            d.state = 42;
            d.error = Some(Default::default());
        }
    });
    assert_clean(&violations);
}

#[test]
fn output_uri_is_required_and_a_cloud_storage_uri() {
    let violations = check_channel(|c| c.output = None);
    assert_only(&violations, "channel.output.uri", &["uri is required"]);
    let violations = check_channel(|c| c.output = Some(Default::default()));
    assert_only(&violations, "channel.output.uri", &["uri is required"]);
    for (uri, fragment) in [
        (
            "s3://my-bucket/out/",
            "must be a Cloud Storage URI starting with gs://",
        ),
        ("gs://My_Bucket/out/", "invalid bucket name \"My_Bucket\""),
        ("gs://ab/out/", "invalid bucket name \"ab\""),
        ("gs:///out/", "invalid bucket name \"\""),
    ] {
        let violations = check_channel(|c| {
            c.output = Some(Output { uri: uri.into() });
        });
        assert_only(&violations, "channel.output.uri", &[uri, fragment]);
    }
    let violations = check_channel(|c| {
        c.output = Some(Output {
            uri: "gs://my-bucket".into(),
        });
    });
    assert_clean(&violations);
}

#[test]
fn attachment_keys_are_required_well_formed_and_unique() {
    let violations = check_channel(|c| c.input_attachments[0].key.clear());
    assert_only(
        &violations,
        "channel.input_attachments[0].key",
        &["key is required"],
    );
    let violations = check_channel(|c| c.input_attachments[0].key = "-input".into());
    assert_only(
        &violations,
        "channel.input_attachments[0].key",
        &["\"-input\"", "starting and ending with a letter or digit"],
    );
    let violations = check_channel(|c| {
        let mut second = c.input_attachments[0].clone();
        second.input = BACKUP_INPUT.into();
        c.input_attachments.push(second);
    });
    assert_only(
        &violations,
        "channel.input_attachments[1].key",
        &[
            "\"my-input\"",
            "already used by channel.input_attachments[0].key",
        ],
    );
}

#[test]
fn attachment_input_must_name_an_existing_input_of_the_same_location() {
    let violations = check_channel(|c| c.input_attachments[0].input.clear());
    assert_only(
        &violations,
        "channel.input_attachments[0].input",
        &["input is required"],
    );
    let violations = check_channel(|c| c.input_attachments[0].input = "inputs/my-input".into());
    assert_only(
        &violations,
        "channel.input_attachments[0].input",
        &[
            "\"inputs/my-input\"",
            "projects/{project}/locations/{location}/inputs/{input}",
        ],
    );
    let missing = format!("{LOCATION}/inputs/nope");
    let violations = check_channel(|c| c.input_attachments[0].input = missing.clone());
    assert_missing(&violations, "channel.input_attachments[0].input", &missing);
    let elsewhere = "projects/my-project/locations/europe-west1/inputs/my-input";
    let violations = check_channel(|c| c.input_attachments[0].input = elsewhere.into());
    assert_only(
        &violations,
        "channel.input_attachments[0].input",
        &[elsewhere, "same project and location", LOCATION],
    );
    // Without a channel name, the location cannot be compared: only existence counts.
    let violations = check_channel(|c| {
        c.name.clear();
        c.input_attachments[0].input = elsewhere.into();
    });
    assert_missing(&violations, "channel.input_attachments[0].input", elsewhere);
}

#[test]
fn automatic_failover_names_one_other_attachment() {
    let field = "channel.input_attachments[0].automatic_failover.input_keys";
    let violations = check_full(|c| {
        c.input_attachments[0]
            .automatic_failover
            .get_or_insert_default()
            .input_keys = vec!["backup".into(), "my-input".into()];
    });
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert_violation(&violations[0], field, &["2 backup inputs", "only one"]);
    assert_violation(
        &violations[1],
        &format!("{field}[1]"),
        &["\"my-input\"", "this input attachment itself"],
    );
    let violations = check_full(|c| {
        c.input_attachments[0]
            .automatic_failover
            .get_or_insert_default()
            .input_keys = vec!["spare".into()];
    });
    assert_only(
        &violations,
        &format!("{field}[0]"),
        &[
            "\"spare\"",
            "not the key of any of the channel's input_attachments",
        ],
    );
}

#[test]
fn input_switch_mode_must_be_known() {
    let violations = check_channel(|c| {
        c.input_config = Some(InputConfig {
            input_switch_mode: 2,
        });
    });
    assert_only(
        &violations,
        "channel.input_config.input_switch_mode",
        &["input_switch_mode 2", "InputConfig.InputSwitchMode"],
    );
}

#[test]
fn mux_stream_keys_and_references() {
    let violations = check_channel(|c| c.mux_streams[1].key = "mux_video".into());
    assert_fields(
        &violations,
        &[
            "channel.mux_streams[1].key",
            // The manifests' "mux_audio" no longer exists.
            "channel.manifests[0].mux_streams[1]",
            "channel.manifests[1].mux_streams[1]",
        ],
    );
    assert_violation(
        &violations[0],
        "channel.mux_streams[1].key",
        &[
            "\"mux_video\"",
            "already used by channel.mux_streams[0].key",
        ],
    );
    assert_violation(
        &violations[1],
        "channel.manifests[0].mux_streams[1]",
        &[
            "\"mux_audio\"",
            "not the key of any of the channel's mux_streams",
        ],
    );
    let violations = check_channel(|c| {
        c.mux_streams[0].key.clear();
        c.manifests.clear();
    });
    assert_only(
        &violations,
        "channel.mux_streams[0].key",
        &["key is required"],
    );
    let violations = check_channel(|c| c.mux_streams[0].elementary_streams = vec!["es_vid".into()]);
    assert_only(
        &violations,
        "channel.mux_streams[0].elementary_streams[0]",
        &[
            "\"es_vid\"",
            "not the key of any of the channel's elementary_streams",
        ],
    );
    let violations = check_channel(|c| c.mux_streams[0].encryption_id = "drm".into());
    assert_only(
        &violations,
        "channel.mux_streams[0].encryption_id",
        &["\"drm\"", "not the id of any of the channel's encryptions"],
    );
}

#[test]
fn mux_container_must_be_fmp4_or_ts_and_defaults_to_fmp4() {
    let violations = check_channel(|c| c.mux_streams[0].container = "mp4".into());
    assert_only(
        &violations,
        "channel.mux_streams[0].container",
        &["\"mp4\"", "fmp4 or ts"],
    );
    assert_clean(&check_channel(|c| c.mux_streams[0].container.clear()));
}

#[test]
fn fmp4_holds_exactly_one_stream() {
    let violations = check_channel(|c| {
        c.mux_streams[0].elementary_streams = vec!["es_video".into(), "es_audio".into()];
    });
    assert_only(
        &violations,
        "channel.mux_streams[0].elementary_streams",
        &[
            "mux stream \"mux_video\" with container fmp4",
            "exactly one elementary stream",
            "1 video, 1 audio and 0 text streams",
        ],
    );
    let violations = check_channel(|c| c.mux_streams[0].elementary_streams.clear());
    assert_only(
        &violations,
        "channel.mux_streams[0].elementary_streams",
        &["0 video, 0 audio and 0 text streams"],
    );
}

#[test]
fn ts_holds_one_audio_and_at_most_one_video_stream() {
    let mut channel = ts_channel();
    channel.mux_streams[0].elementary_streams = vec!["es_video".into()];
    let violations = crate::emulator::validation::channel(&channel, &refs());
    assert_only(
        &violations,
        "channel.mux_streams[0].elementary_streams",
        &[
            "container ts",
            "exactly one audio stream and at most one video stream",
            "1 video, 0 audio",
        ],
    );
    let mut channel = ts_channel();
    channel
        .elementary_streams
        .push(h264_stream("es_video_2", sample_h264()));
    channel.mux_streams[0].elementary_streams = vec!["es_video".into(), "es_video_2".into()];
    let violations = crate::emulator::validation::channel(&channel, &refs());
    assert_only(
        &violations,
        "channel.mux_streams[0].elementary_streams",
        &["2 video, 0 audio"],
    );
}

#[test]
fn segment_duration_range_and_default() {
    for bad in [1, 21] {
        let violations = check_channel(|c| {
            for m in &mut c.mux_streams {
                m.segment_settings = Some(SegmentSettings {
                    segment_duration: Some(seconds(bad)),
                });
            }
        });
        assert_fields(
            &violations,
            &[
                "channel.mux_streams[0].segment_settings.segment_duration",
                "channel.mux_streams[1].segment_settings.segment_duration",
            ],
        );
        assert_violation(
            &violations[0],
            "channel.mux_streams[0].segment_settings.segment_duration",
            &[&format!("segment_duration {bad}s"), "within [2s, 20s]"],
        );
    }
    // Unset: the 6 s default applies, a multiple of the 2 s default GOP.
    assert_clean(&check_channel(|c| {
        for m in &mut c.mux_streams {
            m.segment_settings = None;
        }
    }));
}

#[test]
fn segment_duration_must_fit_the_gop() {
    let violations = check_channel(|c| {
        h264_of(c, 0).gop_mode = Some(GopMode::GopDuration(seconds(4)));
    });
    assert_only(
        &violations,
        "channel.mux_streams[0].segment_settings.segment_duration",
        &[
            "segment_duration 2s",
            "must be at least the 4s GOP",
            "\"es_video\"",
        ],
    );
    let violations = check_channel(|c| {
        for m in &mut c.mux_streams {
            m.segment_settings = Some(SegmentSettings {
                segment_duration: Some(seconds(5)),
            });
        }
    });
    assert_only(
        &violations,
        "channel.mux_streams[0].segment_settings.segment_duration",
        &["segment_duration 5s", "must be a multiple of the 2s GOP"],
    );
    // The default segment duration is named as such.
    let violations = check_channel(|c| {
        h264_of(c, 0).gop_mode = Some(GopMode::GopDuration(seconds(4)));
        for m in &mut c.mux_streams {
            m.segment_settings = None;
        }
    });
    assert_only(
        &violations,
        "channel.mux_streams[0].segment_settings.segment_duration",
        &[
            "segment_duration 6s (the default)",
            "multiple of the 4s GOP",
        ],
    );
    // 120 frames at 30 fps is a 4 s GOP, which divides an 8 s segment.
    assert_clean(&check_channel(|c| {
        h264_of(c, 0).gop_mode = Some(GopMode::GopFrameCount(120));
        for m in &mut c.mux_streams {
            m.segment_settings = Some(SegmentSettings {
                segment_duration: Some(seconds(8)),
            });
        }
    }));
}

use crate::v1::video_stream::h264_codec_settings::GopMode;

#[test]
fn manifest_type_is_required_and_known() {
    let violations = check_channel(|c| c.manifests[0].r#type = 0);
    assert_only(
        &violations,
        "channel.manifests[0].type",
        &["type is required", "HLS or DASH"],
    );
    let violations = check_channel(|c| c.manifests[0].r#type = 7);
    assert_only(
        &violations,
        "channel.manifests[0].type",
        &["type 7", "Manifest.ManifestType"],
    );
}

#[test]
fn manifest_mux_streams_are_required() {
    let violations = check_channel(|c| c.manifests[1].mux_streams.clear());
    assert_only(
        &violations,
        "channel.manifests[1].mux_streams",
        &["mux_streams is required"],
    );
}

#[test]
fn dash_takes_only_fmp4() {
    let mut channel = ts_channel();
    channel
        .manifests
        .push(manifest("main.mpd", Dash, &["mux_ts"], ""));
    let violations = crate::emulator::validation::channel(&channel, &refs());
    assert_only(
        &violations,
        "channel.manifests[1].mux_streams[0]",
        &[
            "\"mux_ts\" has container ts",
            "DASH manifests take only fmp4",
        ],
    );
}

#[test]
fn hls_does_not_mix_ts_and_fmp4() {
    let violations = check_channel(|c| {
        c.mux_streams
            .push(mux("mux_ts", "ts", &["es_video", "es_audio"], 2));
        c.manifests[0].mux_streams.push("mux_ts".into());
    });
    assert_only(
        &violations,
        "channel.manifests[0].mux_streams[2]",
        &[
            "\"mux_ts\" has container ts",
            "\"mux_video\"",
            "must not mix ts and fmp4",
        ],
    );
}

#[test]
fn mux_streams_of_a_manifest_share_the_segment_duration() {
    let violations = check_channel(|c| {
        c.mux_streams[1].segment_settings = Some(SegmentSettings {
            segment_duration: Some(seconds(4)),
        });
    });
    assert_fields(
        &violations,
        &[
            "channel.manifests[0].mux_streams[1]",
            "channel.manifests[1].mux_streams[1]",
        ],
    );
    assert_violation(
        &violations[0],
        "channel.manifests[0].mux_streams[1]",
        &[
            "\"mux_audio\" has segment_duration 4s",
            "\"mux_video\"",
            "has 2s",
        ],
    );
}

#[test]
fn manifest_file_names_are_unique_with_their_defaults() {
    let violations = check_channel(|c| c.manifests[1].file_name = "main.m3u8".into());
    assert_only(
        &violations,
        "channel.manifests[1].file_name",
        &[
            "\"main.m3u8\"",
            "already used by channel.manifests[0].file_name",
        ],
    );
    let violations = check_channel(|c| {
        c.manifests[0].file_name.clear();
        c.manifests
            .push(manifest("", Hls, &["mux_video", "mux_audio"], ""));
    });
    assert_only(
        &violations,
        "channel.manifests[2].file_name",
        &["\"manifest.m3u8\"", "already used"],
    );
    // An HLS and a DASH manifest left to their defaults do not clash.
    assert_clean(&check_channel(|c| {
        for m in &mut c.manifests {
            m.file_name.clear();
        }
    }));
}

#[test]
fn manifest_segment_counts_and_keep_duration() {
    let violations = check_channel(|c| c.manifests[0].max_segment_count = 2);
    assert_only(
        &violations,
        "channel.manifests[0].max_segment_count",
        &["max_segment_count 2", "at least 3"],
    );
    assert_clean(&check_channel(|c| {
        c.manifests[0].max_segment_count = 3;
        c.manifests[1].max_segment_count = 0;
    }));
    let violations = check_channel(|c| c.manifests[0].segment_keep_duration = Some(seconds(-1)));
    assert_only(
        &violations,
        "channel.manifests[0].segment_keep_duration",
        &["segment_keep_duration -1s", "must not be negative"],
    );
}

#[test]
fn manifest_keys_are_optional_well_formed_and_unique() {
    let violations = check_channel(|c| c.manifests[1].key = "manifest_hls".into());
    assert_only(
        &violations,
        "channel.manifests[1].key",
        &[
            "\"manifest_hls\"",
            "already used by channel.manifests[0].key",
        ],
    );
    let violations = check_channel(|c| c.manifests[1].key = "dash manifest".into());
    assert_only(
        &violations,
        "channel.manifests[1].key",
        &["\"dash manifest\"", "1-63 letters, digits"],
    );
}

#[test]
fn distribution_streams_rules() {
    let field = "channel.distribution_streams[0]";
    let violations = check_full(|c| c.distribution_streams[0].key.clear());
    // The SRT distribution's stream no longer exists either.
    assert_fields(
        &violations,
        &[
            &format!("{field}.key"),
            "channel.distributions[0].distribution_stream",
        ],
    );
    assert_violation(
        &violations[0],
        &format!("{field}.key"),
        &["key is required"],
    );
    let violations = check_full(|c| c.distribution_streams[0].container.clear());
    assert_only(
        &violations,
        &format!("{field}.container"),
        &["container is required", "ts or flv"],
    );
    let violations = check_full(|c| c.distribution_streams[0].container = "fmp4".into());
    assert_only(
        &violations,
        &format!("{field}.container"),
        &["\"fmp4\"", "ts or flv"],
    );
    let violations = check_full(|c| c.distribution_streams[0].elementary_streams.clear());
    assert_only(
        &violations,
        &format!("{field}.elementary_streams"),
        &["elementary_streams is required"],
    );
    let violations = check_full(|c| {
        c.distribution_streams[0].elementary_streams = vec!["es_video".into()];
    });
    assert_only(
        &violations,
        &format!("{field}.elementary_streams"),
        &[
            "distribution stream \"dist_ts\" with container ts",
            "exactly one audio stream",
            "1 video, 0 audio",
        ],
    );
    let violations = check_full(|c| {
        c.distribution_streams[1].elementary_streams = vec!["es_audio".into(), "es_audio".into()];
    });
    assert_only(
        &violations,
        "channel.distribution_streams[1].elementary_streams",
        &["container flv", "0 video, 2 audio"],
    );
}

#[test]
fn distribution_rules() {
    let field = "channel.distributions[0]";
    let violations = check_full(|c| c.distributions[1].key = "srt".into());
    assert_only(
        &violations,
        "channel.distributions[1].key",
        &["\"srt\"", "already used by channel.distributions[0].key"],
    );
    let violations = check_full(|c| c.distributions[0].distribution_stream.clear());
    assert_only(
        &violations,
        &format!("{field}.distribution_stream"),
        &["distribution_stream is required"],
    );
    let violations = check_full(|c| c.distributions[0].distribution_stream = "dist".into());
    assert_only(
        &violations,
        &format!("{field}.distribution_stream"),
        &[
            "\"dist\"",
            "not the key of any of the channel's distribution_streams",
        ],
    );
    let violations = check_full(|c| c.distributions[0].endpoint = None);
    assert_only(
        &violations,
        field,
        &["exactly one of srt_push or rtmp_push"],
    );
    let violations = check_full(|c| c.distributions[0].distribution_stream = "dist_flv".into());
    assert_only(
        &violations,
        &format!("{field}.distribution_stream"),
        &["\"dist_flv\" has container flv", "srt_push takes only ts"],
    );
    let violations = check_full(|c| c.distributions[1].distribution_stream = "dist_ts".into());
    assert_only(
        &violations,
        "channel.distributions[1].distribution_stream",
        &["\"dist_ts\" has container ts", "rtmp_push takes only flv"],
    );
}

#[test]
fn distribution_endpoints() {
    let violations = check_full(|c| {
        c.distributions[0].endpoint = Some(Endpoint::SrtPush(SrtPushOutputEndpoint {
            uri: "rtmp://203.0.113.1/live".into(),
            passphrase_source: Some(PassphraseSource::PassphraseSecretVersion(
                "my-secret".into(),
            )),
        }));
        c.distributions[1].endpoint = Some(Endpoint::RtmpPush(Default::default()));
    });
    assert_fields(
        &violations,
        &[
            "channel.distributions[0].srt_push.uri",
            "channel.distributions[0].srt_push.passphrase_secret_version",
            "channel.distributions[1].rtmp_push.uri",
            "channel.distributions[1].rtmp_push.stream_key",
        ],
    );
    assert_violation(
        &violations[0],
        "channel.distributions[0].srt_push.uri",
        &["\"rtmp://203.0.113.1/live\"", "must start with srt://"],
    );
    assert_violation(
        &violations[1],
        "channel.distributions[0].srt_push.passphrase_secret_version",
        &[
            "\"my-secret\"",
            "projects/{project}/secrets/{secret}/versions/{version}",
        ],
    );
    assert_violation(
        &violations[2],
        "channel.distributions[1].rtmp_push.uri",
        &["uri is required"],
    );
    assert_violation(
        &violations[3],
        "channel.distributions[1].rtmp_push.stream_key",
        &["stream_key is required"],
    );
    assert_clean(&check_full(|c| {
        if let Some(Endpoint::RtmpPush(rtmp)) = &mut c.distributions[1].endpoint {
            rtmp.uri = "rtmps://live.example.com:443/app".into();
        }
    }));
}

#[test]
fn sprite_sheet_rules() {
    let field = "channel.sprite_sheets[0]";
    let violations = check_full(|c| {
        let sheet = &mut c.sprite_sheets[0];
        sheet.format = "png".into();
        sheet.file_prefix.clear();
        sheet.sprite_width_pixels = 0;
        sheet.sprite_height_pixels = 35;
        sheet.column_count = 11;
        sheet.row_count = -1;
        sheet.quality = 101;
        sheet.interval = Some(Duration {
            seconds: 0,
            nanos: 500_000_000,
        });
    });
    assert_each(
        &violations,
        &format!("{field}."),
        &[
            ("format", &["format \"png\"", "must be jpeg"]),
            ("file_prefix", &["file_prefix is required"]),
            (
                "sprite_width_pixels",
                &[
                    "sprite_width_pixels is required",
                    "even number of at least 2",
                ],
            ),
            (
                "sprite_height_pixels",
                &["sprite_height_pixels 35", "even number"],
            ),
            ("column_count", &["column_count 11", "within [1, 10]"]),
            ("row_count", &["row_count -1", "within [1, 10]"]),
            ("quality", &["quality 101", "within [1, 100]"]),
            ("interval", &["interval 0.500s", "within [1s, 3600s]"]),
        ],
    );
    let violations = check_full(|c| {
        let copy = c.sprite_sheets[0].clone();
        c.sprite_sheets.push(copy);
    });
    assert_only(
        &violations,
        "channel.sprite_sheets[1].file_prefix",
        &["\"sprite\"", "already used"],
    );
    // Unset counts, quality, interval and format take their defaults.
    assert_clean(&check_full(|c| {
        let sheet = &mut c.sprite_sheets[0];
        sheet.format.clear();
        sheet.column_count = 0;
        sheet.row_count = 0;
        sheet.quality = 0;
        sheet.interval = None;
    }));
}

#[test]
fn encryption_rules() {
    let field = "channel.encryptions[0]";
    let violations = check_full(|c| c.encryptions[1].id = "cenc".into());
    assert_only(
        &violations,
        "channel.encryptions[1].id",
        &["\"cenc\"", "already used by channel.encryptions[0].id"],
    );
    let violations = check_full(|c| {
        let e = &mut c.encryptions[0];
        e.drm_systems = None;
        e.secret_source = None;
        e.encryption_mode = None;
    });
    assert_fields(
        &violations,
        &[
            &format!("{field}.drm_systems"),
            &format!("{field}.secret_manager_key_source"),
            field,
        ],
    );
    assert_violation(
        &violations[0],
        &format!("{field}.drm_systems"),
        &[
            "drm_systems is required",
            "widevine, fairplay, playready or clearkey",
        ],
    );
    assert_violation(
        &violations[1],
        &format!("{field}.secret_manager_key_source"),
        &["secret_manager_key_source is required"],
    );
    assert_violation(
        &violations[2],
        field,
        &["exactly one of aes128, sample_aes or mpeg_cenc"],
    );
    let violations = check_full(|c| {
        let e = &mut c.encryptions[0];
        e.drm_systems = Some(DrmSystems::default());
        e.secret_source = Some(SecretSource::SecretManagerKeySource(
            encryption::SecretManagerSource {
                secret_version: "projects/p/secrets/s".into(),
            },
        ));
        e.encryption_mode = Some(EncryptionMode::MpegCenc(encryption::MpegCommonEncryption {
            scheme: "cens".into(),
        }));
    });
    assert_fields(
        &violations,
        &[
            &format!("{field}.drm_systems"),
            &format!("{field}.secret_manager_key_source.secret_version"),
            &format!("{field}.mpeg_cenc.scheme"),
        ],
    );
    assert_violation(
        &violations[0],
        &format!("{field}.drm_systems"),
        &["must enable at least one"],
    );
    assert_violation(
        &violations[1],
        &format!("{field}.secret_manager_key_source.secret_version"),
        &["\"projects/p/secrets/s\"", "versions/{version}"],
    );
    assert_violation(
        &violations[2],
        &format!("{field}.mpeg_cenc.scheme"),
        &["scheme \"cens\"", "cenc or cbcs"],
    );
    let violations = check_full(|c| {
        c.encryptions[0].encryption_mode = Some(EncryptionMode::MpegCenc(Default::default()));
    });
    assert_only(
        &violations,
        &format!("{field}.mpeg_cenc.scheme"),
        &["scheme is required"],
    );
}

#[test]
fn static_overlay_asset_must_be_an_existing_active_image() {
    let field = "channel.static_overlays[0].asset";
    let violations = check_full(|c| c.static_overlays[0].asset.clear());
    assert_only(&violations, field, &["asset is required"]);
    let violations = check_full(|c| c.static_overlays[0].asset = "my-image".into());
    assert_only(
        &violations,
        field,
        &[
            "\"my-image\"",
            "projects/{project}/locations/{location}/assets/{asset}",
        ],
    );
    let missing = format!("{LOCATION}/assets/gone");
    let violations = check_full(|c| c.static_overlays[0].asset = missing.clone());
    assert_missing(&violations, field, &missing);
    let violations = check_full(|c| c.static_overlays[0].asset = VIDEO_ASSET.into());
    assert_only(&violations, field, &[VIDEO_ASSET, "not an image asset"]);
    let violations = check_full(|c| c.static_overlays[0].asset = CREATING_ASSET.into());
    assert_only(
        &violations,
        field,
        &[CREATING_ASSET, "is CREATING", "must be ACTIVE"],
    );
    let elsewhere = "projects/other-project/locations/us-central1/assets/my-image";
    let violations = check_full(|c| c.static_overlays[0].asset = elsewhere.into());
    assert_only(
        &violations,
        field,
        &[elsewhere, "same project and location"],
    );
}

#[test]
fn static_overlay_geometry_and_opacity() {
    let field = "channel.static_overlays[0]";
    let violations = check_full(|c| {
        let o = &mut c.static_overlays[0];
        o.resolution = Some(NormalizedResolution {
            w: 1.5,
            h: f64::NAN,
        });
        o.position = Some(NormalizedCoordinate { x: -0.1, y: 1.0 });
        o.opacity = 1.01;
    });
    assert_fields(
        &violations,
        &[
            &format!("{field}.resolution.w"),
            &format!("{field}.resolution.h"),
            &format!("{field}.position.x"),
            &format!("{field}.opacity"),
        ],
    );
    assert_violation(
        &violations[0],
        &format!("{field}.resolution.w"),
        &["w 1.5", "within [0, 1]"],
    );
    assert_violation(&violations[1], &format!("{field}.resolution.h"), &["h NaN"]);
    assert_violation(&violations[2], &format!("{field}.position.x"), &["x -0.1"]);
    assert_violation(
        &violations[3],
        &format!("{field}.opacity"),
        &["opacity 1.01", "greater than 0 and at most 1"],
    );
    let violations = check_full(|c| c.static_overlays[0].opacity = -0.5);
    assert_only(&violations, &format!("{field}.opacity"), &["opacity -0.5"]);
    // 0 is unset: the default opacity 1 applies.
    assert_clean(&check_full(|c| c.static_overlays[0].opacity = 0.0));
}

#[test]
fn timecode_config_rules() {
    let set_offset = |offset: Duration| {
        check_full(move |c| {
            c.timecode_config = Some(TimecodeConfig {
                source: TimecodeSource::EmbeddedTimecode.into(),
                time_offset: Some(TimeOffset::UtcOffset(offset)),
            });
        })
    };
    assert_clean(&set_offset(seconds(18 * 3600)));
    assert_clean(&set_offset(seconds(-18 * 3600)));
    let field = "channel.timecode_config.utc_offset";
    assert_only(
        &set_offset(seconds(18 * 3600 + 1)),
        field,
        &["utc_offset 64801s", "within [-64800s, 64800s]"],
    );
    assert_only(
        &set_offset(Duration {
            seconds: 3600,
            nanos: 500_000_000,
        }),
        field,
        &["utc_offset 3600.500s", "whole seconds"],
    );
    assert_only(
        &set_offset(Duration {
            seconds: 1,
            nanos: -1,
        }),
        field,
        &["{seconds: 1, nanos: -1}", "not a valid duration"],
    );
    let violations = check_full(|c| {
        c.timecode_config = Some(TimecodeConfig {
            source: 9,
            time_offset: Some(TimeOffset::TimeZone(Default::default())),
        });
    });
    assert_fields(
        &violations,
        &[
            "channel.timecode_config.source",
            "channel.timecode_config.time_zone.id",
        ],
    );
    assert_violation(
        &violations[0],
        "channel.timecode_config.source",
        &["source 9", "TimecodeConfig.TimecodeSource"],
    );
    assert_violation(
        &violations[1],
        "channel.timecode_config.time_zone.id",
        &["id is required"],
    );
}

#[test]
fn log_retention_and_transcription_settings() {
    let violations = check_full(|c| {
        c.log_config = Some(LogConfig { log_severity: 3 });
        c.retention_config = Some(RetentionConfig {
            retention_window_duration: Some(seconds(-60)),
        });
        c.auto_transcription_config = Some(AutoTranscriptionConfig {
            display_timing: 7,
            quality_preset: -1,
        });
    });
    assert_fields(
        &violations,
        &[
            "channel.log_config.log_severity",
            "channel.retention_config.retention_window_duration",
            "channel.auto_transcription_config.display_timing",
            "channel.auto_transcription_config.quality_preset",
        ],
    );
    assert_violation(
        &violations[0],
        "channel.log_config.log_severity",
        &["log_severity 3", "LogConfig.LogSeverity"],
    );
    assert_violation(
        &violations[1],
        "channel.retention_config.retention_window_duration",
        &["-60s", "must not be negative"],
    );
    assert_violation(
        &violations[2],
        "channel.auto_transcription_config.display_timing",
        &["display_timing 7"],
    );
    assert_violation(
        &violations[3],
        "channel.auto_transcription_config.quality_preset",
        &["quality_preset -1"],
    );
}

#[test]
fn all_violations_are_reported_together_in_field_order() {
    let violations = check_channel(|c| {
        c.output = None;
        let h264 = h264_of(c, 0);
        h264.width_pixels = 1281;
        h264.bitrate_bps = 5_000;
        c.mux_streams[1].elementary_streams = vec!["es_sound".into()];
        c.manifests[1].r#type = 0;
    });
    assert_fields(
        &violations,
        &[
            "channel.output.uri",
            "channel.elementary_streams[0].video_stream.h264.width_pixels",
            "channel.elementary_streams[0].video_stream.h264.bitrate_bps",
            "channel.mux_streams[1].elementary_streams[0]",
            "channel.manifests[1].type",
        ],
    );
    assert_violation(
        &violations[1],
        "channel.elementary_streams[0].video_stream.h264.width_pixels",
        &["width_pixels 1281"],
    );
    assert_violation(
        &violations[2],
        "channel.elementary_streams[0].video_stream.h264.bitrate_bps",
        &["bitrate_bps 5000", "at least 10000"],
    );
    let channel = {
        let mut c = sample_channel();
        c.output = None;
        c.manifests[1].r#type = 0;
        c
    };
    let first = crate::emulator::validation::channel(&channel, &refs());
    let second = crate::emulator::validation::channel(&channel, &refs());
    assert_eq!(first, second, "validation is deterministic");
}
