//! Elementary stream encodings: H.264, H.265, audio and text.

use super::*;
use crate::v1::TextStream;
use crate::v1::audio_stream::AudioMapping;
use crate::v1::text_stream::TextMapping;
use crate::v1::video_stream::{H265CodecSettings, h264_codec_settings, h265_codec_settings};

/// The path of a field of the sample's H.264 settings.
fn h264_field(name: &str) -> String {
    format!("channel.elementary_streams[0].video_stream.h264.{name}")
}

/// The path of a field of the sample's audio settings.
fn audio_field(name: &str) -> String {
    format!("channel.elementary_streams[1].audio_stream.{name}")
}

/// The sample channel with its H.264 settings edited.
fn check_h264(edit: impl FnOnce(&mut H264CodecSettings)) -> Vec<FieldViolation> {
    check_channel(|c| edit(h264_of(c, 0)))
}

/// The sample channel with its video stream replaced by H.265.
fn check_h265(settings: H265CodecSettings) -> Vec<FieldViolation> {
    check_channel(|c| {
        c.elementary_streams[0].elementary_stream = Some(Encoding::VideoStream(VideoStream {
            codec_settings: Some(CodecSettings::H265(settings)),
        }));
    })
}

/// Valid H.265 settings: 1920x1080 at 120 fps, 10 Mbps.
fn sample_h265() -> H265CodecSettings {
    H265CodecSettings {
        width_pixels: 1920,
        height_pixels: 1080,
        frame_rate: 120.0,
        bitrate_bps: 10_000_000,
        ..Default::default()
    }
}

/// The sample channel with a text stream added (not muxed).
fn check_text(text: TextStream) -> Vec<FieldViolation> {
    check_channel(|c| {
        c.elementary_streams.push(ElementaryStream {
            key: "es_text".into(),
            elementary_stream: Some(Encoding::TextStream(text)),
        });
    })
}

#[test]
fn h264_width_boundaries() {
    for width in [320, 322, 1280, 4094, 4096] {
        assert_clean(&check_h264(|h| h.width_pixels = width));
    }
    for width in [
        -2,
        2,
        318,
        319,
        321,
        1281,
        4095,
        4097,
        4098,
        i32::MAX,
        i32::MIN,
    ] {
        let violations = check_h264(|h| h.width_pixels = width);
        assert_only(
            &violations,
            &h264_field("width_pixels"),
            &[
                &format!("width_pixels {width}"),
                "must be an even number within [320, 4096]",
            ],
        );
    }
    let violations = check_h264(|h| h.width_pixels = 0);
    assert_only(
        &violations,
        &h264_field("width_pixels"),
        &["width_pixels is required", "[320, 4096]"],
    );
}

#[test]
fn h264_height_boundaries() {
    // Keep the bitrate within the SD cap whatever the height.
    for height in [180, 182, 720, 2158, 2160] {
        assert_clean(&check_h264(|h| h.height_pixels = height));
    }
    for height in [-180, 178, 179, 181, 721, 2159, 2161, 2162] {
        let violations = check_h264(|h| h.height_pixels = height);
        assert_only(
            &violations,
            &h264_field("height_pixels"),
            &[
                &format!("height_pixels {height}"),
                "must be an even number within [180, 2160]",
            ],
        );
    }
    let violations = check_h264(|h| h.height_pixels = 0);
    assert_only(
        &violations,
        &h264_field("height_pixels"),
        &["height_pixels is required"],
    );
}

#[test]
fn h264_frame_rate_is_required_and_at_most_60() {
    for rate in [0.5, 24.0, 29.97, 60.0] {
        // 60 frames at a low rate would be a GOP over 20 s; the default GOP is 2 s.
        assert_clean(&check_h264(|h| h.frame_rate = rate));
    }
    let violations = check_h264(|h| h.frame_rate = 0.0);
    assert_only(
        &violations,
        &h264_field("frame_rate"),
        &["frame_rate is required", "at most 60"],
    );
    for rate in [60.01, 61.0, -30.0, f64::NAN, f64::INFINITY] {
        let violations = check_h264(|h| h.frame_rate = rate);
        assert_only(
            &violations,
            &h264_field("frame_rate"),
            &[
                &format!("frame_rate {rate}"),
                "greater than 0 and at most 60",
            ],
        );
    }
}

#[test]
fn h264_bitrate_is_required_and_capped_by_resolution() {
    let violations = check_h264(|h| h.bitrate_bps = 0);
    assert_only(
        &violations,
        &h264_field("bitrate_bps"),
        &["bitrate_bps is required"],
    );
    let violations = check_h264(|h| h.bitrate_bps = 9_999);
    assert_only(
        &violations,
        &h264_field("bitrate_bps"),
        &["bitrate_bps 9999", "at least 10000"],
    );
    assert_clean(&check_h264(|h| h.bitrate_bps = 10_000));
    // (width, height, highest valid bitrate, class)
    for (width, height, max, class) in [
        (640, 360, 3_000_000, "SD (< 720p)"),
        (1280, 718, 3_000_000, "SD (< 720p)"),
        (1280, 720, 15_000_000, "HD (<= 1080p)"),
        (720, 1280, 15_000_000, "HD (<= 1080p)"),
        (1920, 1080, 15_000_000, "HD (<= 1080p)"),
        (1920, 1082, 25_000_000, "UHD (<= 2160p)"),
        (3840, 2160, 25_000_000, "UHD (<= 2160p)"),
    ] {
        let at = |bitrate| {
            check_h264(|h| {
                h.width_pixels = width;
                h.height_pixels = height;
                h.bitrate_bps = bitrate;
            })
        };
        assert_clean(&at(max));
        assert_only(
            &at(max + 1),
            &h264_field("bitrate_bps"),
            &[
                &format!("bitrate_bps {}", max + 1),
                &format!("at most {max} for {class} resolution {width}x{height}"),
            ],
        );
    }
}

#[test]
fn h264_gop_frame_count_range_and_resulting_duration() {
    let frames = |n| Some(h264_codec_settings::GopMode::GopFrameCount(n));
    // 60 frames at 30 fps: 2 s, as the default GOP.
    assert_clean(&check_h264(|h| h.gop_mode = frames(60)));
    for n in [59, 601, 0, -60] {
        let violations = check_h264(|h| h.gop_mode = frames(n));
        assert_only(
            &violations,
            &h264_field("gop_frame_count"),
            &[&format!("gop_frame_count {n}"), "within [60, 600]"],
        );
    }
    // 60 frames at 60 fps is a 1 s GOP, below the 2 s minimum.
    let violations = check_h264(|h| {
        h.frame_rate = 60.0;
        h.gop_mode = frames(60);
    });
    assert_only(
        &violations,
        &h264_field("gop_frame_count"),
        &["gop_frame_count 60 at 60 fps", "1.000s", "within [2s, 20s]"],
    );
    // 600 frames at 30 fps is 20 s: valid, but longer than the 2 s segments.
    let violations = check_h264(|h| h.gop_mode = frames(600));
    assert_only(
        &violations,
        "channel.mux_streams[0].segment_settings.segment_duration",
        &["must be at least the 20s GOP"],
    );
}

#[test]
fn h264_gop_duration_range() {
    let duration = |d| Some(h264_codec_settings::GopMode::GopDuration(d));
    for bad in [
        seconds(1),
        seconds(21),
        seconds(-2),
        Duration {
            seconds: 1,
            nanos: 999_999_999,
        },
    ] {
        let violations = check_h264(|h| h.gop_mode = duration(bad));
        assert_only(
            &violations,
            &h264_field("gop_duration"),
            &["gop_duration", "within [2s, 20s]"],
        );
    }
    let violations = check_h264(|h| {
        h.gop_mode = duration(Duration {
            seconds: i64::MAX,
            nanos: i32::MAX,
        });
    });
    assert_only(
        &violations,
        &h264_field("gop_duration"),
        &["not a valid duration"],
    );
}

#[test]
fn all_video_streams_share_one_gop() {
    let violations = check_channel(|c| {
        let mut settings = sample_h264();
        settings.gop_mode = Some(h264_codec_settings::GopMode::GopDuration(seconds(4)));
        c.elementary_streams
            .push(h264_stream("es_video_hd", settings));
    });
    assert_only(
        &violations,
        "channel.elementary_streams[2].video_stream.h264.gop_duration",
        &[
            "GOP of 4s differs from the GOP of 2s",
            "\"es_video\"",
            "same GOP size",
        ],
    );
    // 60 frames at 30 fps equals the 2 s default.
    assert_clean(&check_channel(|c| {
        let mut settings = sample_h264();
        settings.gop_mode = Some(h264_codec_settings::GopMode::GopFrameCount(60));
        c.elementary_streams
            .push(h264_stream("es_video_2", settings));
    }));
}

#[test]
fn h264_other_settings() {
    let violations = check_h264(|h| {
        h.vbv_size_bits = -1;
        h.vbv_fullness_bits = -2;
        h.b_frame_count = -3;
        h.aq_strength = 1.5;
        h.entropy_coder = "CABAC".into();
        h.profile = "extended".into();
    });
    assert_each(
        &violations,
        "channel.elementary_streams[0].video_stream.h264.",
        &[
            (
                "vbv_size_bits",
                &["vbv_size_bits -1", "must not be negative"],
            ),
            ("vbv_fullness_bits", &["vbv_fullness_bits -2"]),
            ("b_frame_count", &["b_frame_count -3"]),
            ("aq_strength", &["aq_strength 1.5", "within [0, 1]"]),
            (
                "entropy_coder",
                &["entropy_coder \"CABAC\"", "cavlc or cabac"],
            ),
            (
                "profile",
                &["profile \"extended\"", "baseline, main or high"],
            ),
        ],
    );
    let violations = check_h264(|h| {
        h.gop_mode = Some(h264_codec_settings::GopMode::GopFrameCount(60));
        h.b_frame_count = 60;
    });
    assert_only(
        &violations,
        &h264_field("b_frame_count"),
        &["b_frame_count 60", "less than gop_frame_count 60"],
    );
    assert_clean(&check_h264(|h| {
        h.gop_mode = Some(h264_codec_settings::GopMode::GopFrameCount(60));
        h.b_frame_count = 59;
        h.aq_strength = 1.0;
        h.entropy_coder = "cavlc".into();
        h.profile = "baseline".into();
        h.tune = "zerolatency".into();
        h.vbv_size_bits = 3_000_000;
        h.vbv_fullness_bits = 2_700_000;
    }));
}

#[test]
fn h265_dimensions_are_optional_and_frame_rate_goes_to_120() {
    assert_clean(&check_h265(sample_h265()));
    assert_clean(&check_h265(H265CodecSettings {
        width_pixels: 0,
        height_pixels: 0,
        ..sample_h265()
    }));
    let field = |name: &str| format!("channel.elementary_streams[0].video_stream.h265.{name}");
    let violations = check_h265(H265CodecSettings {
        width_pixels: 321,
        height_pixels: 0,
        frame_rate: 120.5,
        bitrate_bps: 3_000_000,
        ..sample_h265()
    });
    assert_fields(&violations, &[&field("width_pixels"), &field("frame_rate")]);
    assert_violation(
        &violations[0],
        &field("width_pixels"),
        &["width_pixels 321"],
    );
    assert_violation(
        &violations[1],
        &field("frame_rate"),
        &["frame_rate 120.5", "at most 120"],
    );
    // With no dimension known, the most permissive bitrate class applies.
    assert_clean(&check_h265(H265CodecSettings {
        width_pixels: 0,
        height_pixels: 0,
        bitrate_bps: 25_000_000,
        ..sample_h265()
    }));
    let violations = check_h265(H265CodecSettings {
        width_pixels: 0,
        height_pixels: 0,
        bitrate_bps: 25_000_001,
        ..sample_h265()
    });
    assert_only(
        &violations,
        &field("bitrate_bps"),
        &["bitrate_bps 25000001 must be at most 25000000 for UHD (<= 2160p) resolution"],
    );
    // With one known, it decides.
    let violations = check_h265(H265CodecSettings {
        width_pixels: 0,
        height_pixels: 480,
        bitrate_bps: 4_000_000,
        ..sample_h265()
    });
    assert_only(
        &violations,
        &field("bitrate_bps"),
        &["at most 3000000 for SD"],
    );
    let violations = check_h265(H265CodecSettings {
        gop_mode: Some(h265_codec_settings::GopMode::GopFrameCount(600)),
        b_frame_count: 600,
        ..sample_h265()
    });
    // 600 frames at 120 fps is a 5 s GOP: longer than the 2 s segment.
    assert_fields(
        &violations,
        &[
            &field("b_frame_count"),
            "channel.mux_streams[0].segment_settings.segment_duration",
        ],
    );
}

#[test]
fn elementary_stream_needs_one_encoding_and_video_one_codec() {
    let violations = check_channel(|c| c.elementary_streams[1].elementary_stream = None);
    assert_only(
        &violations,
        "channel.elementary_streams[1]",
        &["exactly one of video_stream, audio_stream or text_stream"],
    );
    let violations = check_channel(|c| {
        c.elementary_streams[0].elementary_stream =
            Some(Encoding::VideoStream(VideoStream::default()));
    });
    assert_only(
        &violations,
        "channel.elementary_streams[0].video_stream",
        &["exactly one of h264 or h265"],
    );
}

#[test]
fn elementary_stream_keys_are_required_well_formed_and_unique() {
    let violations = check_channel(|c| c.elementary_streams[1].key = "es_video".into());
    assert_fields(
        &violations,
        &[
            "channel.elementary_streams[1].key",
            // "es_audio", which mux_audio holds, is gone.
            "channel.mux_streams[1].elementary_streams[0]",
        ],
    );
    assert_violation(
        &violations[0],
        "channel.elementary_streams[1].key",
        &[
            "\"es_video\"",
            "already used by channel.elementary_streams[0].key",
        ],
    );
    let violations = check_channel(|c| {
        c.elementary_streams.push(audio_stream("", sample_aac()));
        c.elementary_streams
            .push(audio_stream(&"a".repeat(64), sample_aac()));
    });
    assert_fields(
        &violations,
        &[
            "channel.elementary_streams[2].key",
            "channel.elementary_streams[3].key",
        ],
    );
    assert_violation(
        &violations[0],
        "channel.elementary_streams[2].key",
        &["key is required"],
    );
    assert_violation(
        &violations[1],
        "channel.elementary_streams[3].key",
        &["1-63 letters"],
    );
}

#[test]
fn audio_settings() {
    let violations = check_channel(|c| {
        let audio = audio_of(c, 1);
        audio.codec = "mp3".into();
        audio.bitrate_bps = 10_000_001;
        audio.channel_count = 7;
        audio.channel_layout = vec!["fl".into(), "rear".into()];
        audio.sample_rate_hertz = -48_000;
    });
    assert_each(
        &violations,
        "channel.elementary_streams[1].audio_stream.",
        &[
            ("codec", &["codec \"mp3\"", "must be aac"]),
            (
                "bitrate_bps",
                &["bitrate_bps 10000001", "within [1, 10000000]"],
            ),
            ("channel_count", &["channel_count 7", "within [1, 6]"]),
            (
                "channel_layout[1]",
                &["channel_layout \"rear\"", "fl, fr, sl, sr, fc or lfe"],
            ),
            (
                "sample_rate_hertz",
                &["sample_rate_hertz -48000", "greater than 0"],
            ),
        ],
    );
    let violations = check_channel(|c| audio_of(c, 1).bitrate_bps = 0);
    assert_only(
        &violations,
        &audio_field("bitrate_bps"),
        &["bitrate_bps is required"],
    );
    // Unset codec, channel count and sample rate take their defaults.
    assert_clean(&check_channel(|c| {
        let audio = audio_of(c, 1);
        audio.codec.clear();
        audio.channel_count = 0;
        audio.sample_rate_hertz = 0;
        audio.bitrate_bps = 1;
    }));
    // With transmux, everything but the mapping is ignored.
    assert_clean(&check_channel(|c| {
        let audio = audio_of(c, 1);
        audio.transmux = true;
        audio.codec = "opus".into();
        audio.bitrate_bps = 0;
    }));
}

#[test]
fn audio_mappings() {
    let mapping = |input_key: &str, track, input_channel, output_channel| AudioMapping {
        input_key: input_key.into(),
        input_track: track,
        input_channel,
        output_channel,
        ..Default::default()
    };
    let violations = check_channel(|c| {
        audio_of(c, 1).mapping = vec![
            mapping("my-input", 1, 0, 0),
            mapping("other", 1, 1, 1),
            mapping("", -1, -1, 2),
        ];
    });
    assert_each(
        &violations,
        "channel.elementary_streams[1].audio_stream.",
        &[
            (
                "mapping[1].input_key",
                &[
                    "input_key \"other\"",
                    "not the key of any of the channel's input_attachments",
                ],
            ),
            ("mapping[2].input_key", &["input_key is required"]),
            (
                "mapping[2].input_track",
                &["input_track -1", "must not be negative"],
            ),
            ("mapping[2].input_channel", &["input_channel -1"]),
            (
                "mapping[2].output_channel",
                &[
                    "output_channel 2",
                    "must be less than the audio stream's channel_count 2",
                ],
            ),
            (
                "mapping[2].input_track",
                &[
                    "input_track -1 differs from input_track 1 of mapping[0]",
                    "same input track",
                ],
            ),
        ],
    );
    // Mappings of two inputs share the track too (the proto says "all mappings").
    let violations = check_channel(|c| {
        c.input_attachments.push(InputAttachment {
            key: "backup".into(),
            input: BACKUP_INPUT.into(),
            ..Default::default()
        });
        audio_of(c, 1).mapping = vec![mapping("my-input", 0, 0, 0), mapping("backup", 2, 0, 0)];
    });
    assert_only(
        &violations,
        &audio_field("mapping[1].input_track"),
        &["input_track 2 differs from input_track 0"],
    );
}

#[test]
fn text_codec_and_caption_channels() {
    let field = |name: &str| format!("channel.elementary_streams[2].text_stream.{name}");
    let text = |codec: &str, output_cea: &str| TextStream {
        codec: codec.into(),
        output_cea_channel: output_cea.into(),
        ..Default::default()
    };
    for (codec, channel) in [
        ("cea608", "CC1"),
        ("cea608", "CC4"),
        ("cea708", "SERVICE1"),
        ("cea708", "SERVICE63"),
        ("webvtt", ""),
    ] {
        assert_clean(&check_text(text(codec, channel)));
    }
    assert_only(
        &check_text(text("", "")),
        &field("codec"),
        &["codec is required"],
    );
    assert_only(
        &check_text(text("srt", "")),
        &field("codec"),
        &["codec \"srt\"", "cea608, cea708 or webvtt"],
    );
    for (codec, channel, rule) in [
        ("cea608", "CC5", "CC1, CC2, CC3 or CC4"),
        ("cea608", "SERVICE1", "CC1, CC2, CC3 or CC4"),
        ("cea708", "SERVICE64", "SERVICE1 to SERVICE63"),
        ("cea708", "SERVICE01", "SERVICE1 to SERVICE63"),
        ("cea708", "SERVICE0", "SERVICE1 to SERVICE63"),
    ] {
        assert_only(
            &check_text(text(codec, channel)),
            &field("output_cea_channel"),
            &[&format!("output_cea_channel \"{channel}\""), rule],
        );
    }
}

#[test]
fn text_mappings() {
    let field = |name: &str| format!("channel.elementary_streams[2].text_stream.{name}");
    let mapped = |codec: &str, mapping: TextMapping| TextStream {
        codec: codec.into(),
        mapping: vec![mapping],
        ..Default::default()
    };
    assert_clean(&check_text(mapped(
        "webvtt",
        TextMapping {
            input_cea_channel: "SERVICE64".into(),
            from_language_code: "en-US".into(),
            ..Default::default()
        },
    )));
    let violations = check_text(mapped(
        "cea608",
        TextMapping {
            input_key: "nope".into(),
            input_track: -1,
            input_cea_channel: "CC9".into(),
            ..Default::default()
        },
    ));
    assert_fields(
        &violations,
        &[
            &field("mapping[0].input_key"),
            &field("mapping[0].input_track"),
            &field("mapping[0].input_cea_channel"),
            &field("mapping[0].input_cea_channel"),
        ],
    );
    assert_violation(
        &violations[0],
        &field("mapping[0].input_key"),
        &["\"nope\""],
    );
    assert_violation(
        &violations[2],
        &field("mapping[0].input_cea_channel"),
        &["\"CC9\"", "CC1 to CC4"],
    );
    assert_violation(
        &violations[3],
        &field("mapping[0].input_cea_channel"),
        &["only be set when the codec is webvtt", "\"cea608\""],
    );
}
