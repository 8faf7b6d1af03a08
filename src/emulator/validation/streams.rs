//! Elementary streams: the video (H.264, H.265), audio and text encodings of a channel.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use prost_types::Duration;

use super::{NANOS_PER_SECOND, Path, Presence, Report, format_duration, quoted};
use crate::v1::elementary_stream::ElementaryStream as Encoding;
use crate::v1::video_stream::{
    CodecSettings, H264CodecSettings, H265CodecSettings, h264_codec_settings, h265_codec_settings,
};
use crate::v1::{AudioStream, ElementaryStream, TextStream, VideoStream};

/// What an elementary stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A video stream.
    Video,
    /// An audio stream.
    Audio,
    /// A text stream (captions or subtitles).
    Text,
}

/// The GOP of a video stream.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct GopInfo {
    /// Its length in seconds (a GOP set by frame count lasts a fraction of a second).
    pub(super) seconds: f64,
    /// The field that sets it (`gop_duration` when the default applies).
    pub(super) path: Path,
}

/// What the rest of the channel needs to know about one elementary stream.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct StreamInfo {
    /// What it carries.
    pub(super) kind: Kind,
    /// For a video stream with a valid GOP: that GOP.
    pub(super) gop: Option<GopInfo>,
}

/// The GOP length used when neither `gop_frame_count` nor `gop_duration` is set (proto).
const DEFAULT_GOP: i128 = 2 * NANOS_PER_SECOND;

/// The valid range of `gop_duration`, and of the duration a `gop_frame_count` gives (proto).
const GOP_DURATION: RangeInclusive<i128> = 2 * NANOS_PER_SECOND..=20 * NANOS_PER_SECOND;

/// The valid range of `gop_frame_count` (proto).
const GOP_FRAME_COUNT: RangeInclusive<i32> = 60..=600;

/// The valid range of `width_pixels` (proto; the value must also be even).
const WIDTH: RangeInclusive<i32> = 320..=4096;

/// The valid range of `height_pixels` (proto; the value must also be even).
const HEIGHT: RangeInclusive<i32> = 180..=2160;

/// The lowest video `bitrate_bps` (proto).
const MIN_VIDEO_BITRATE: i32 = 10_000;

/// A resolution class and its video bitrate cap (proto `bitrate_bps` comments).
struct BitrateTier {
    /// How descriptions name the class.
    name: &'static str,
    /// The largest short side (height of a landscape picture) in the class.
    max_short_side: i32,
    /// The highest `bitrate_bps` allowed.
    max_bps: i32,
}

/// The bitrate caps by resolution, smallest class first. The class is decided by the short
/// side of the picture, so that portrait video is classed like its landscape twin
/// (*inferred*: the proto says "SD resolution (< 720p)" and so on).
const BITRATE_TIERS: &[BitrateTier] = &[
    BitrateTier {
        name: "SD (< 720p)",
        max_short_side: 719,
        max_bps: 3_000_000,
    },
    BitrateTier {
        name: "HD (<= 1080p)",
        max_short_side: 1080,
        max_bps: 15_000_000,
    },
    BitrateTier {
        name: "UHD (<= 2160p)",
        max_short_side: i32::MAX,
        max_bps: 25_000_000,
    },
];

/// The limits that differ between the video codecs.
struct CodecLimits {
    /// The highest `frame_rate`.
    max_frame_rate: f64,
    /// Whether `width_pixels` and `height_pixels` are required (H.264) or may be left 0 to
    /// follow the input (H.265).
    dimensions: Presence,
}

/// H.264 limits (proto `H264CodecSettings`).
const H264: CodecLimits = CodecLimits {
    max_frame_rate: 60.0,
    dimensions: Presence::Required,
};

/// H.265 limits (proto `H265CodecSettings`). Unlike H.264, the proto makes the dimensions
/// OPTIONAL (left 0, they follow the input): we follow the proto.
const H265: CodecLimits = CodecLimits {
    max_frame_rate: 120.0,
    dimensions: Presence::Optional,
};

/// The GOP setting of a video stream, whichever codec.
#[derive(Clone, Copy, Debug)]
enum Gop<'a> {
    /// `gop_frame_count`.
    Frames(i32),
    /// `gop_duration`.
    Duration(&'a Duration),
}

/// The settings H.264 and H.265 share, borrowed from either message.
struct VideoSettings<'a> {
    /// The limits of the codec.
    limits: &'static CodecLimits,
    /// `width_pixels`.
    width: i32,
    /// `height_pixels`.
    height: i32,
    /// `frame_rate`.
    frame_rate: f64,
    /// `bitrate_bps`.
    bitrate_bps: i32,
    /// `gop_mode`.
    gop: Option<Gop<'a>>,
    /// `vbv_size_bits`.
    vbv_size_bits: i32,
    /// `vbv_fullness_bits`.
    vbv_fullness_bits: i32,
    /// `b_frame_count`.
    b_frame_count: i32,
    /// `aq_strength`.
    aq_strength: f64,
    /// The string fields restricted to a list of values: name, value, allowed values.
    choices: Vec<(&'static str, &'a str, &'static [&'static str])>,
}

/// Builds [`VideoSettings`] from H.264 or H.265 settings, whose shared fields have the same
/// names (`$gop_module` is the module of the codec's `GopMode`).
macro_rules! video_settings {
    ($settings:expr, $limits:expr, $gop_module:ident, $choices:expr) => {{
        let s = $settings;
        VideoSettings {
            limits: $limits,
            width: s.width_pixels,
            height: s.height_pixels,
            frame_rate: s.frame_rate,
            bitrate_bps: s.bitrate_bps,
            gop: s.gop_mode.as_ref().map(|gop| match gop {
                $gop_module::GopMode::GopFrameCount(n) => Gop::Frames(*n),
                $gop_module::GopMode::GopDuration(d) => Gop::Duration(d),
            }),
            vbv_size_bits: s.vbv_size_bits,
            vbv_fullness_bits: s.vbv_fullness_bits,
            b_frame_count: s.b_frame_count,
            aq_strength: s.aq_strength,
            choices: $choices,
        }
    }};
}

impl<'a> From<&'a H264CodecSettings> for VideoSettings<'a> {
    fn from(s: &'a H264CodecSettings) -> Self {
        video_settings!(
            s,
            &H264,
            h264_codec_settings,
            vec![
                ("entropy_coder", &s.entropy_coder, &["cavlc", "cabac"]),
                ("profile", &s.profile, &["baseline", "main", "high"]),
            ]
        )
    }
}

impl<'a> From<&'a H265CodecSettings> for VideoSettings<'a> {
    fn from(s: &'a H265CodecSettings) -> Self {
        video_settings!(s, &H265, h265_codec_settings, Vec::new())
    }
}

/// Supported audio codecs (proto `AudioStream.codec`; empty means `aac`).
const AUDIO_CODECS: &[&str] = &["aac"];

/// Supported audio channel names (proto `AudioStream.channel_layout`).
const CHANNEL_NAMES: &[&str] = &["fl", "fr", "sl", "sr", "fc", "lfe"];

/// The number of audio channels when `channel_count` is unset (proto).
const DEFAULT_CHANNEL_COUNT: i32 = 2;

/// Supported text codecs (proto `TextStream.codec`).
const TEXT_CODECS: &[&str] = &["cea608", "cea708", "webvtt"];

/// Whether `value` names a closed-caption channel of `codec`: `CC1` to `CC4` for cea608,
/// `SERVICE1` to `SERVICE{max_service}` for cea708, either for any other codec (an input's
/// caption codec is unknown). Output channels go up to SERVICE63 and input channels up to
/// SERVICE64: the proto says so, and we follow it.
fn cea_channel_ok(value: &str, codec: &str, max_service: u32) -> bool {
    let in_range = |prefix: &str, max: u32| {
        value
            .strip_prefix(prefix)
            .filter(|n| !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=max).contains(&n))
    };
    match codec {
        "cea608" => in_range("CC", 4),
        "cea708" => in_range("SERVICE", max_service),
        _ => in_range("CC", 4) || in_range("SERVICE", max_service),
    }
}

/// Checks one elementary stream; what it carries, if it carries anything.
pub(super) fn elementary_stream(
    report: &mut Report,
    path: &Path,
    stream: &ElementaryStream,
    attachment_keys: &HashSet<&str>,
) -> Option<StreamInfo> {
    match &stream.elementary_stream {
        None => {
            report.invalid(
                path,
                "exactly one of video_stream, audio_stream or text_stream must be set",
            );
            None
        }
        Some(Encoding::VideoStream(video)) => Some(StreamInfo {
            kind: Kind::Video,
            gop: video_stream(report, &path.field("video_stream"), video),
        }),
        Some(Encoding::AudioStream(audio)) => {
            audio_stream(report, &path.field("audio_stream"), audio, attachment_keys);
            Some(StreamInfo {
                kind: Kind::Audio,
                gop: None,
            })
        }
        Some(Encoding::TextStream(text)) => {
            text_stream(report, &path.field("text_stream"), text, attachment_keys);
            Some(StreamInfo {
                kind: Kind::Text,
                gop: None,
            })
        }
    }
}

/// Checks a video stream; its GOP, if valid.
fn video_stream(report: &mut Report, path: &Path, video: &VideoStream) -> Option<GopInfo> {
    match &video.codec_settings {
        None => {
            report.invalid(path, "exactly one of h264 or h265 must be set");
            None
        }
        Some(CodecSettings::H264(h264)) => {
            video_settings(report, &path.field("h264"), &VideoSettings::from(h264))
        }
        Some(CodecSettings::H265(h265)) => {
            video_settings(report, &path.field("h265"), &VideoSettings::from(h265))
        }
    }
}

/// Checks the settings of either video codec; the GOP, if valid.
fn video_settings(report: &mut Report, path: &Path, s: &VideoSettings<'_>) -> Option<GopInfo> {
    let limits = s.limits;
    for (name, value, range) in [
        ("width_pixels", s.width, WIDTH),
        ("height_pixels", s.height, HEIGHT),
    ] {
        report.even_in(&path.field(name), value, range, limits.dimensions);
    }
    let frame_rate_ok = frame_rate(report, &path.field("frame_rate"), s.frame_rate, limits);
    bitrate(report, &path.field("bitrate_bps"), s);
    let gop = gop(report, path, s.gop, frame_rate_ok.then_some(s.frame_rate));
    for (name, value) in [
        ("vbv_size_bits", s.vbv_size_bits),
        ("vbv_fullness_bits", s.vbv_fullness_bits),
        ("b_frame_count", s.b_frame_count),
    ] {
        report.non_negative(&path.field(name), value);
    }
    if let Some(Gop::Frames(frames)) = s.gop
        && GOP_FRAME_COUNT.contains(&frames)
    {
        let limit = format!("gop_frame_count {frames}");
        report.below(
            &path.field("b_frame_count"),
            s.b_frame_count,
            frames,
            &limit,
        );
    }
    report.within(&path.field("aq_strength"), s.aq_strength, 0.0..=1.0);
    for (name, value, allowed) in &s.choices {
        report.one_of(&path.field(name), value, allowed);
    }
    gop
}

/// Checks `frame_rate` (required, greater than 0, at most the codec's maximum); whether it
/// is valid.
fn frame_rate(report: &mut Report, path: &Path, value: f64, limits: &CodecLimits) -> bool {
    let max = limits.max_frame_rate;
    if value == 0.0 {
        report.required_as(
            path,
            &format!("a frame rate greater than 0 and at most {max}"),
        );
        false
    } else {
        report.positive_up_to(path, value, max)
    }
}

/// Checks `bitrate_bps` (required, at least 10,000, capped by the resolution class).
fn bitrate(report: &mut Report, path: &Path, s: &VideoSettings<'_>) {
    let value = s.bitrate_bps;
    // H.265 may leave a dimension to the input; then the class follows the known one, and
    // with neither known the most permissive class applies.
    let short_side = [s.width, s.height].into_iter().filter(|&d| d > 0).min();
    let tier = match short_side {
        Some(side) => BITRATE_TIERS
            .iter()
            .find(|tier| side <= tier.max_short_side),
        None => BITRATE_TIERS.last(),
    };
    let resolution = if s.width > 0 && s.height > 0 {
        format!(" {}x{}", s.width, s.height)
    } else {
        String::new()
    };
    if value == 0 {
        report.required_as(path, &format!("a bitrate of at least {MIN_VIDEO_BITRATE}"));
    } else if value < MIN_VIDEO_BITRATE {
        report.invalid(
            path,
            format!(
                "{} {value} must be at least {MIN_VIDEO_BITRATE}",
                path.leaf()
            ),
        );
    } else if let Some(tier) = tier
        && value > tier.max_bps
    {
        report.invalid(
            path,
            format!(
                "{} {value} must be at most {} for {} resolution{resolution}",
                path.leaf(),
                tier.max_bps,
                tier.name,
            ),
        );
    }
}

/// Checks the GOP setting; the GOP (the 2 s default when unset), if valid. `frame_rate` is
/// the stream's frame rate when valid, to turn a frame count into a length.
fn gop(
    report: &mut Report,
    path: &Path,
    gop: Option<Gop<'_>>,
    frame_rate: Option<f64>,
) -> Option<GopInfo> {
    let to_seconds = |nanos: i128| nanos as f64 / NANOS_PER_SECOND as f64;
    match gop {
        None => Some(GopInfo {
            seconds: to_seconds(DEFAULT_GOP),
            path: path.field("gop_duration"),
        }),
        Some(Gop::Duration(duration)) => {
            let path = path.field("gop_duration");
            let nanos = report.duration_in(&path, Some(duration), DEFAULT_GOP, GOP_DURATION)?;
            Some(GopInfo {
                seconds: to_seconds(nanos),
                path,
            })
        }
        Some(Gop::Frames(frames)) => {
            let path = path.field("gop_frame_count");
            report.within(&path, frames, GOP_FRAME_COUNT);
            let frame_rate = frame_rate.filter(|_| GOP_FRAME_COUNT.contains(&frames))?;
            let seconds = f64::from(frames) / frame_rate;
            let (lo, hi) = (
                to_seconds(*GOP_DURATION.start()),
                to_seconds(*GOP_DURATION.end()),
            );
            if (lo..=hi).contains(&seconds) {
                Some(GopInfo { seconds, path })
            } else {
                report.invalid(
                    &path,
                    format!(
                        "gop_frame_count {frames} at {frame_rate} fps gives a GOP of {seconds:.3}s, \
                         which must be within [{}, {}]",
                        format_duration(*GOP_DURATION.start()),
                        format_duration(*GOP_DURATION.end())
                    ),
                );
                None
            }
        }
    }
}

/// Checks an audio stream.
fn audio_stream(
    report: &mut Report,
    path: &Path,
    audio: &AudioStream,
    attachment_keys: &HashSet<&str>,
) {
    // With `transmux`, "the rest of the settings, other than `mapping`, will be ignored"
    // (proto), so only the mapping is checked.
    let channel_count = if audio.transmux {
        None
    } else {
        report.one_of(&path.field("codec"), &audio.codec, AUDIO_CODECS);
        let bitrate = path.field("bitrate_bps");
        if audio.bitrate_bps == 0 {
            report.required_as(&bitrate, "a bitrate within [1, 10000000]");
        } else {
            report.within(&bitrate, audio.bitrate_bps, 1..=10_000_000);
        }
        report.defaulted_within(&path.field("channel_count"), audio.channel_count, 1..=6);
        for (i, name) in audio.channel_layout.iter().enumerate() {
            report.one_of(&path.item("channel_layout", i), name, CHANNEL_NAMES);
        }
        let sample_rate = audio.sample_rate_hertz;
        if sample_rate < 0 {
            report.invalid(
                &path.field("sample_rate_hertz"),
                format!("sample_rate_hertz {sample_rate} must be greater than 0"),
            );
        }
        Some(match audio.channel_count {
            0 => DEFAULT_CHANNEL_COUNT,
            n => n,
        })
    };
    // "All mappings in the same AudioStream must have the same input track" (proto), taken
    // literally: even mappings of different inputs.
    let first_track = audio.mapping.first().map(|m| m.input_track);
    for (i, mapping) in audio.mapping.iter().enumerate() {
        let path = path.item("mapping", i);
        let key = path.field("input_key");
        if report.present(&key, &mapping.input_key, Presence::Required) {
            attachment_key(report, &key, &mapping.input_key, attachment_keys);
        }
        for (name, value) in [
            ("input_track", mapping.input_track),
            ("input_channel", mapping.input_channel),
            ("output_channel", mapping.output_channel),
        ] {
            report.non_negative(&path.field(name), value);
        }
        if let Some(count) = channel_count {
            let limit = format!("the audio stream's channel_count {count}");
            report.below(
                &path.field("output_channel"),
                mapping.output_channel,
                count,
                &limit,
            );
        }
        if let Some(first) = first_track
            && mapping.input_track != first
        {
            report.invalid(
                &path.field("input_track"),
                format!(
                    "input_track {} differs from input_track {first} of mapping[0]; all \
                     mappings of an audio stream must use the same input track",
                    mapping.input_track
                ),
            );
        }
    }
}

/// Checks a text stream.
fn text_stream(
    report: &mut Report,
    path: &Path,
    text: &TextStream,
    attachment_keys: &HashSet<&str>,
) {
    let codec = path.field("codec");
    if report.present(&codec, &text.codec, Presence::Required) {
        report.one_of(&codec, &text.codec, TEXT_CODECS);
    }
    let output_cea = &text.output_cea_channel;
    if matches!(text.codec.as_str(), "cea608" | "cea708")
        && !output_cea.is_empty()
        && !cea_channel_ok(output_cea, &text.codec, 63)
    {
        let rule = if text.codec == "cea608" {
            "CC1, CC2, CC3 or CC4"
        } else {
            "one of SERVICE1 to SERVICE63"
        };
        report.invalid(
            &path.field("output_cea_channel"),
            format!(
                "output_cea_channel {} must be {rule} for codec {}",
                quoted(output_cea),
                text.codec
            ),
        );
    }
    for (i, mapping) in text.mapping.iter().enumerate() {
        let path = path.item("mapping", i);
        if !mapping.input_key.is_empty() {
            attachment_key(
                report,
                &path.field("input_key"),
                &mapping.input_key,
                attachment_keys,
            );
        }
        report.non_negative(&path.field("input_track"), mapping.input_track);
        let input_cea = &mapping.input_cea_channel;
        if !input_cea.is_empty() {
            let field = path.field("input_cea_channel");
            if !cea_channel_ok(input_cea, "", 64) {
                report.invalid(
                    &field,
                    format!(
                        "input_cea_channel {} must be one of CC1 to CC4 or SERVICE1 to SERVICE64",
                        quoted(input_cea)
                    ),
                );
            }
            if text.codec != "webvtt" {
                report.invalid(
                    &field,
                    format!(
                        "input_cea_channel {} may only be set when the codec is webvtt, not {}",
                        quoted(input_cea),
                        quoted(&text.codec)
                    ),
                );
            }
        }
    }
}

/// Checks that `key` is the key of one of the channel's input attachments.
pub(super) fn attachment_key(
    report: &mut Report,
    path: &Path,
    key: &str,
    attachment_keys: &HashSet<&str>,
) {
    if !attachment_keys.contains(key) {
        report.unknown_key(path, key, "key", "input_attachments");
    }
}
