//! Channel validation.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

use super::streams::{self, Kind, StreamInfo, attachment_key};
use super::{
    AssetUse, FieldViolation, NANOS_PER_SECOND, Path, Presence, References, Report, Sign,
    alternatives, asset_reference, format_duration, quoted, referenced,
};
use crate::names::{ChannelName, InputName, LocationName};
use crate::v1::distribution::Endpoint;
use crate::v1::encryption::{EncryptionMode, SecretSource};
use crate::v1::manifest::ManifestType;
use crate::v1::srt_push_output_endpoint::PassphraseSource;
use crate::v1::timecode_config::{TimeOffset, TimecodeSource};
use crate::v1::{Channel, auto_transcription_config, input_config, log_config};

/// A container format of mux and distribution streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Container {
    /// Fragmented MP4 (mux streams).
    Fmp4,
    /// MPEG transport stream (mux and distribution streams).
    Ts,
    /// FLV (distribution streams).
    Flv,
}

/// How many streams of each kind a mux or distribution stream holds.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    /// Video streams.
    video: usize,
    /// Audio streams.
    audio: usize,
    /// Text streams.
    text: usize,
}

/// A container's name and its rule on the elementary streams it holds.
struct ContainerRule {
    /// Its name in the API.
    name: &'static str,
    /// The rule, as descriptions state it.
    rule: &'static str,
    /// Whether a set of streams follows the rule.
    allows: fn(Counts) -> bool,
}

/// The ts and flv rule: "exactly one audio stream and up to one video stream" (proto
/// `MuxStream.elementary_streams` for ts); for flv "at most one audio stream and at most one
/// video stream" plus "at least one audio stream" (proto `DistributionStream`). Text streams
/// (captions) are not counted.
const ONE_AUDIO: &str = "exactly one audio stream and at most one video stream";

impl Container {
    /// The container's name and rule. fmp4: the proto says "either one video or one audio
    /// stream"; a single text stream is accepted too (*inferred*), since the documented
    /// WebVTT subtitles for DASH, which takes only fmp4, need one.
    fn rule(self) -> &'static ContainerRule {
        match self {
            Container::Fmp4 => &ContainerRule {
                name: "fmp4",
                rule: "exactly one elementary stream (one video, audio or text stream)",
                allows: |c| c.video + c.audio + c.text == 1,
            },
            Container::Ts => &ContainerRule {
                name: "ts",
                rule: ONE_AUDIO,
                allows: |c| c.audio == 1 && c.video <= 1,
            },
            Container::Flv => &ContainerRule {
                name: "flv",
                rule: ONE_AUDIO,
                allows: |c| c.audio == 1 && c.video <= 1,
            },
        }
    }

    /// The container's name in the API.
    fn name(self) -> &'static str {
        self.rule().name
    }
}

/// Mux stream containers (proto `MuxStream.container`; empty means fmp4).
const MUX_CONTAINERS: &[Container] = &[Container::Fmp4, Container::Ts];

/// Distribution stream containers (proto `DistributionStream.container`; required).
const DISTRIBUTION_CONTAINERS: &[Container] = &[Container::Ts, Container::Flv];

/// The default `segment_duration` (proto `SegmentSettings`).
const DEFAULT_SEGMENT: i128 = 6 * NANOS_PER_SECOND;

/// The valid range of `segment_duration` (proto `SegmentSettings`).
const SEGMENT_DURATION: RangeInclusive<i128> = 2 * NANOS_PER_SECOND..=20 * NANOS_PER_SECOND;

/// The default sprite `interval` (proto `SpriteSheet`).
const DEFAULT_SPRITE_INTERVAL: i128 = 10 * NANOS_PER_SECOND;

/// The valid range of the sprite `interval` (proto `SpriteSheet`).
const SPRITE_INTERVAL: RangeInclusive<i128> = NANOS_PER_SECOND..=3600 * NANOS_PER_SECOND;

/// The valid range of `timecode_config.utc_offset` (proto `TimecodeConfig`).
const UTC_OFFSET: RangeInclusive<i128> =
    -18 * 3600 * NANOS_PER_SECOND..=18 * 3600 * NANOS_PER_SECOND;

/// Relative tolerance when comparing GOP and segment lengths in seconds (a GOP set by frame
/// count is a fraction).
const GOP_TOLERANCE: f64 = 1e-6;

/// The URI schemes of SRT distribution endpoints (*inferred* as a rule).
const SRT_SCHEMES: &[&str] = &["srt://"];

/// The URI schemes of RTMP distribution endpoints (*inferred*: RTMPS is accepted too).
const RTMP_SCHEMES: &[&str] = &["rtmp://", "rtmps://"];

/// What the manifests need to know about one mux stream.
#[derive(Clone, Copy, Debug)]
struct MuxInfo {
    /// Its container, if valid.
    container: Option<Container>,
    /// Its segment duration in nanoseconds (default applied), if valid.
    segment: Option<i128>,
}

/// The elementary streams by key: what each carries, or `None` if it carries nothing valid.
type Streams<'a> = HashMap<&'a str, Option<StreamInfo>>;

/// The channel being checked and the lookups built from it.
struct Check<'a> {
    /// The channel.
    channel: &'a Channel,
    /// Other resources.
    refs: &'a dyn References,
    /// Where violations go.
    report: Report,
    /// `channel`.
    root: Path,
    /// The project and location of the channel, when its name is well formed.
    location: Option<LocationName>,
    /// The input attachment keys.
    attachment_keys: HashSet<&'a str>,
    /// The encryption IDs.
    encryption_ids: HashSet<&'a str>,
}

/// Validates a channel (see [`super::channel()`]).
pub(super) fn check(channel: &Channel, refs: &dyn References) -> Vec<FieldViolation> {
    let mut check = Check {
        channel,
        refs,
        report: Report::default(),
        root: Path::root("channel"),
        location: channel.name.parse::<ChannelName>().ok().map(|n| n.parent()),
        attachment_keys: channel
            .input_attachments
            .iter()
            .map(|a| a.key.as_str())
            .collect(),
        encryption_ids: channel.encryptions.iter().map(|e| e.id.as_str()).collect(),
    };
    check.output();
    check.input_attachments();
    check.input_config();
    let streams = check.elementary_streams();
    let muxes = check.mux_streams(&streams);
    check.manifests(&muxes);
    let distribution_streams = check.distribution_streams(&streams);
    check.distributions(&distribution_streams);
    check.sprite_sheets();
    check.encryptions();
    check.static_overlays();
    check.timecode_config();
    check.other_settings();
    check.report.finish()
}

/// Whether two lengths in seconds are equal, within [`GOP_TOLERANCE`].
fn same_length(a: f64, b: f64) -> bool {
    (a - b).abs() <= GOP_TOLERANCE * a.abs().max(b.abs())
}

/// A length in seconds for a description: `2s`, `2.002002002s`.
fn seconds(value: f64) -> String {
    format!("{value}s")
}

impl<'a> Check<'a> {
    /// `output.uri`: required, a Cloud Storage URI.
    fn output(&mut self) {
        let path = self.root.field("output").field("uri");
        let uri = self.channel.output.as_ref().map_or("", |o| o.uri.as_str());
        if self.report.present(&path, uri, Presence::Required) {
            self.report.gcs_uri(&path, uri, Presence::Optional);
        }
    }

    /// `input_attachments`: keys, the inputs they name, their backup inputs.
    fn input_attachments(&mut self) {
        let list = self.root.field("input_attachments");
        let attachments = &self.channel.input_attachments;
        self.report
            .keys(&list, "key", attachments, |a| &a.key, Presence::Required);
        for (i, attachment) in attachments.iter().enumerate() {
            let path = list.index(i);
            referenced(
                &mut self.report,
                &path.field("input"),
                &attachment.input,
                self.location.as_ref(),
                InputName::parent,
                |name| self.refs.input(name),
            );
            let Some(failover) = &attachment.automatic_failover else {
                continue;
            };
            let keys = path.field("automatic_failover").field("input_keys");
            if failover.input_keys.len() > 1 {
                self.report.invalid(
                    &keys,
                    format!(
                        "input_keys lists {} backup inputs, but only one backup input is supported",
                        failover.input_keys.len()
                    ),
                );
            }
            for (k, key) in failover.input_keys.iter().enumerate() {
                let path = keys.index(k);
                if key.is_empty() {
                    self.report.required(&path);
                } else if *key == attachment.key {
                    self.report.invalid(
                        &path,
                        format!(
                            "input_keys {} names this input attachment itself; the backup must be \
                             another input attachment",
                            quoted(key)
                        ),
                    );
                } else {
                    attachment_key(&mut self.report, &path, key, &self.attachment_keys);
                }
            }
        }
    }

    /// `input_config.input_switch_mode`: a known mode.
    fn input_config(&mut self) {
        if let Some(config) = &self.channel.input_config {
            self.report.known_enum::<input_config::InputSwitchMode>(
                &self.root.field("input_config").field("input_switch_mode"),
                config.input_switch_mode,
                "InputConfig.InputSwitchMode",
            );
        }
    }

    /// `elementary_streams`: keys, encodings, and one GOP size for all video streams.
    fn elementary_streams(&mut self) -> Streams<'a> {
        let list = self.root.field("elementary_streams");
        let items = &self.channel.elementary_streams;
        self.report
            .keys(&list, "key", items, |s| &s.key, Presence::Required);
        let mut streams = Streams::new();
        let mut first_gop: Option<(f64, &str)> = None;
        for (i, stream) in items.iter().enumerate() {
            let info = streams::elementary_stream(
                &mut self.report,
                &list.index(i),
                stream,
                &self.attachment_keys,
            );
            if let Some(gop) = info.as_ref().and_then(|info| info.gop.as_ref()) {
                match first_gop {
                    None => first_gop = Some((gop.seconds, &stream.key)),
                    Some((first, _)) if same_length(first, gop.seconds) => {}
                    Some((first, first_key)) => self.report.invalid(
                        &gop.path,
                        format!(
                            "the GOP of {} differs from the GOP of {} of elementary stream {}; all \
                             video streams of a channel must have the same GOP size",
                            seconds(gop.seconds),
                            seconds(first),
                            quoted(first_key)
                        ),
                    ),
                }
            }
            if !stream.key.is_empty() {
                streams.entry(stream.key.as_str()).or_insert(info);
            }
        }
        streams
    }

    /// Resolves a list of elementary stream keys, reporting unknown ones; the streams, or
    /// `None` if any of them is unknown or carries nothing valid.
    fn stream_refs<'s>(
        &mut self,
        list: &Path,
        keys: &'a [String],
        streams: &'s Streams<'a>,
    ) -> Option<Vec<(&'a str, &'s StreamInfo)>> {
        let mut resolved = Some(Vec::new());
        for (k, key) in keys.iter().enumerate() {
            match streams.get(key.as_str()) {
                Some(Some(info)) => {
                    if let Some(resolved) = resolved.as_mut() {
                        resolved.push((key.as_str(), info));
                    }
                }
                Some(None) => resolved = None,
                None => {
                    self.report
                        .unknown_key(&list.index(k), key, "key", "elementary_streams");
                    resolved = None;
                }
            }
        }
        resolved
    }

    /// Parses a container name among `allowed`; an empty name is `default`, or a violation
    /// when there is no default.
    fn container(
        &mut self,
        path: &Path,
        value: &str,
        allowed: &[Container],
        default: Option<Container>,
    ) -> Option<Container> {
        let names: Vec<&str> = allowed.iter().map(|&c| c.name()).collect();
        if value.is_empty() {
            if default.is_none() {
                self.report.required_as(path, &alternatives(&names));
            }
            return default;
        }
        let found = allowed.iter().copied().find(|&c| c.name() == value);
        if found.is_none() {
            self.report.one_of(path, value, &names);
        }
        found
    }

    /// Checks that `streams`, held by the mux or distribution stream `owner`, follow the rule
    /// of `container`.
    fn composition(
        &mut self,
        path: &Path,
        owner: &str,
        container: Container,
        streams: &[(&str, &StreamInfo)],
    ) {
        let rule = container.rule();
        let mut counts = Counts::default();
        for (_, info) in streams {
            match info.kind {
                Kind::Video => counts.video += 1,
                Kind::Audio => counts.audio += 1,
                Kind::Text => counts.text += 1,
            }
        }
        if !(rule.allows)(counts) {
            self.report.invalid(
                path,
                format!(
                    "{owner} with container {} must contain {}, but it has {} video, {} audio \
                     and {} text streams",
                    rule.name, rule.rule, counts.video, counts.audio, counts.text
                ),
            );
        }
    }

    /// `mux_streams`: keys, containers, the streams they hold, segment durations against
    /// those streams' GOP, encryption IDs.
    fn mux_streams(&mut self, streams: &Streams<'a>) -> HashMap<&'a str, MuxInfo> {
        let list = self.root.field("mux_streams");
        let items = &self.channel.mux_streams;
        self.report
            .keys(&list, "key", items, |m| &m.key, Presence::Required);
        let mut muxes = HashMap::new();
        for (j, mux) in items.iter().enumerate() {
            let path = list.index(j);
            let container = self.container(
                &path.field("container"),
                &mux.container,
                MUX_CONTAINERS,
                Some(Container::Fmp4),
            );
            let segment_path = path.field("segment_settings").field("segment_duration");
            let segment_set = mux
                .segment_settings
                .as_ref()
                .and_then(|s| s.segment_duration.as_ref());
            let segment = self.report.duration_in(
                &segment_path,
                segment_set,
                DEFAULT_SEGMENT,
                SEGMENT_DURATION,
            );
            let refs_path = path.field("elementary_streams");
            let resolved = self.stream_refs(&refs_path, &mux.elementary_streams, streams);
            if let (Some(container), Some(resolved)) = (container, &resolved) {
                let owner = format!("mux stream {}", quoted(&mux.key));
                self.composition(&refs_path, &owner, container, resolved);
            }
            if let (Some(segment), Some(resolved)) = (segment, &resolved) {
                let default_note = if segment_set.is_none() {
                    " (the default)"
                } else {
                    ""
                };
                for (key, info) in resolved {
                    if let Some(gop) = &info.gop {
                        self.segment_fits_gop(
                            &segment_path,
                            segment,
                            default_note,
                            key,
                            gop.seconds,
                        );
                    }
                }
            }
            if !mux.encryption_id.is_empty()
                && !self.encryption_ids.contains(mux.encryption_id.as_str())
            {
                self.report.unknown_key(
                    &path.field("encryption_id"),
                    &mux.encryption_id,
                    "id",
                    "encryptions",
                );
            }
            if !mux.key.is_empty() {
                muxes
                    .entry(mux.key.as_str())
                    .or_insert(MuxInfo { container, segment });
            }
        }
        muxes
    }

    /// Checks that a segment duration is at least the GOP of video stream `key` and a
    /// multiple of it (proto `SegmentSettings.segment_duration`).
    fn segment_fits_gop(&mut self, path: &Path, segment: i128, note: &str, key: &str, gop: f64) {
        let ratio = segment as f64 / NANOS_PER_SECOND as f64 / gop;
        let problem = if ratio < 1.0 - GOP_TOLERANCE {
            "must be at least"
        } else if (ratio - ratio.round()).abs() > GOP_TOLERANCE * ratio {
            "must be a multiple of"
        } else {
            return;
        };
        self.report.invalid(
            path,
            format!(
                "segment_duration {}{note} {problem} the {} GOP of elementary stream {}",
                format_duration(segment),
                seconds(gop),
                quoted(key)
            ),
        );
    }

    /// `manifests`: type, mux streams (containers and segment durations agreeing), file
    /// names, segment counts, keys.
    fn manifests(&mut self, muxes: &HashMap<&'a str, MuxInfo>) {
        let list = self.root.field("manifests");
        let items = &self.channel.manifests;
        self.report
            .keys(&list, "key", items, |m| &m.key, Presence::Optional);
        let mut file_names: Vec<(Path, String)> = Vec::new();
        for (m, manifest) in items.iter().enumerate() {
            let path = list.index(m);
            let type_path = path.field("type");
            let kind = if manifest.r#type == ManifestType::Unspecified as i32 {
                self.report.required_as(&type_path, "HLS or DASH");
                None
            } else {
                self.report.known_enum::<ManifestType>(
                    &type_path,
                    manifest.r#type,
                    "Manifest.ManifestType",
                )
            };
            let refs_path = path.field("mux_streams");
            if manifest.mux_streams.is_empty() {
                self.report.required(&refs_path);
            }
            let mut first_container: Option<(&str, Container)> = None;
            let mut first_segment: Option<(&str, i128)> = None;
            for (k, key) in manifest.mux_streams.iter().enumerate() {
                let path = refs_path.index(k);
                let Some(info) = muxes.get(key.as_str()) else {
                    self.report.unknown_key(&path, key, "key", "mux_streams");
                    continue;
                };
                if let Some(container) = info.container {
                    match (kind, first_container) {
                        (Some(ManifestType::Dash), _) if container != Container::Fmp4 => {
                            self.report.invalid(
                                &path,
                                format!(
                                    "mux stream {} has container {}, but DASH manifests take only \
                                     fmp4 mux streams",
                                    quoted(key),
                                    container.name()
                                ),
                            );
                        }
                        (Some(ManifestType::Hls), Some((first_key, first)))
                            if first != container =>
                        {
                            self.report.invalid(
                                &path,
                                format!(
                                    "mux stream {} has container {}, but mux stream {} of the same \
                                     HLS manifest has {}; an HLS manifest must not mix ts and fmp4",
                                    quoted(key),
                                    container.name(),
                                    quoted(first_key),
                                    first.name()
                                ),
                            );
                        }
                        (_, None) => first_container = Some((key, container)),
                        _ => {}
                    }
                }
                if let Some(segment) = info.segment {
                    match first_segment {
                        None => first_segment = Some((key, segment)),
                        Some((first_key, first)) if first != segment => self.report.invalid(
                            &path,
                            format!(
                                "mux stream {} has segment_duration {}, but mux stream {} of the \
                                 same manifest has {}; all mux streams of a manifest must have \
                                 the same segment duration",
                                quoted(key),
                                format_duration(segment),
                                quoted(first_key),
                                format_duration(first)
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
            let file_name = match (manifest.file_name.as_str(), kind) {
                ("", Some(ManifestType::Hls)) => "manifest.m3u8",
                ("", Some(ManifestType::Dash)) => "manifest.mpd",
                (name, _) => name,
            };
            file_names.push((path.field("file_name"), file_name.to_owned()));
            if manifest.max_segment_count != 0 && manifest.max_segment_count < 3 {
                self.report.invalid(
                    &path.field("max_segment_count"),
                    format!(
                        "max_segment_count {} must be at least 3",
                        manifest.max_segment_count
                    ),
                );
            }
            self.report.duration_sign(
                &path.field("segment_keep_duration"),
                manifest.segment_keep_duration.as_ref(),
                Sign::NonNegative,
            );
        }
        // File names, defaults included, must be unique (proto `Manifest.file_name`).
        self.report.unique(
            file_names
                .iter()
                .map(|(path, name)| (path.clone(), name.as_str())),
        );
    }

    /// `distribution_streams`: keys, containers, the streams they hold.
    fn distribution_streams(
        &mut self,
        streams: &Streams<'a>,
    ) -> HashMap<&'a str, Option<Container>> {
        let list = self.root.field("distribution_streams");
        let items = &self.channel.distribution_streams;
        self.report
            .keys(&list, "key", items, |d| &d.key, Presence::Required);
        let mut containers = HashMap::new();
        for (d, stream) in items.iter().enumerate() {
            let path = list.index(d);
            let container = self.container(
                &path.field("container"),
                &stream.container,
                DISTRIBUTION_CONTAINERS,
                None,
            );
            let refs_path = path.field("elementary_streams");
            if stream.elementary_streams.is_empty() {
                self.report.required(&refs_path);
            } else if let (Some(resolved), Some(container)) = (
                self.stream_refs(&refs_path, &stream.elementary_streams, streams),
                container,
            ) {
                let owner = format!("distribution stream {}", quoted(&stream.key));
                self.composition(&refs_path, &owner, container, &resolved);
            }
            if !stream.key.is_empty() {
                containers.entry(stream.key.as_str()).or_insert(container);
            }
        }
        containers
    }

    /// `distributions`: keys, the distribution stream, the endpoint and its container.
    fn distributions(&mut self, streams: &HashMap<&'a str, Option<Container>>) {
        let list = self.root.field("distributions");
        let items = &self.channel.distributions;
        self.report
            .keys(&list, "key", items, |d| &d.key, Presence::Required);
        for (x, distribution) in items.iter().enumerate() {
            let path = list.index(x);
            let stream_path = path.field("distribution_stream");
            let stream = distribution.distribution_stream.as_str();
            let container = if self
                .report
                .present(&stream_path, stream, Presence::Required)
            {
                match streams.get(stream) {
                    Some(container) => *container,
                    None => {
                        self.report.unknown_key(
                            &stream_path,
                            stream,
                            "key",
                            "distribution_streams",
                        );
                        None
                    }
                }
            } else {
                None
            };
            let (endpoint, wanted) = match &distribution.endpoint {
                None => {
                    self.report
                        .invalid(&path, "exactly one of srt_push or rtmp_push must be set");
                    continue;
                }
                Some(Endpoint::SrtPush(srt)) => {
                    let endpoint = path.field("srt_push");
                    self.endpoint_uri(&endpoint.field("uri"), &srt.uri, SRT_SCHEMES);
                    if let Some(PassphraseSource::PassphraseSecretVersion(version)) =
                        &srt.passphrase_source
                    {
                        self.report.secret_version(
                            &endpoint.field("passphrase_secret_version"),
                            version,
                            Presence::Required,
                        );
                    }
                    ("srt_push", Container::Ts)
                }
                Some(Endpoint::RtmpPush(rtmp)) => {
                    let endpoint = path.field("rtmp_push");
                    self.endpoint_uri(&endpoint.field("uri"), &rtmp.uri, RTMP_SCHEMES);
                    self.report.present(
                        &endpoint.field("stream_key"),
                        &rtmp.stream_key,
                        Presence::Required,
                    );
                    ("rtmp_push", Container::Flv)
                }
            };
            if let Some(container) = container
                && container != wanted
            {
                self.report.invalid(
                    &stream_path,
                    format!(
                        "distribution stream {} has container {}, but {endpoint} takes only {} \
                         distribution streams",
                        quoted(stream),
                        container.name(),
                        wanted.name()
                    ),
                );
            }
        }
    }

    /// A required endpoint URI with one of `schemes`.
    fn endpoint_uri(&mut self, path: &Path, uri: &str, schemes: &[&str]) {
        if self.report.present(path, uri, Presence::Required)
            && !schemes.iter().any(|scheme| {
                uri.strip_prefix(scheme)
                    .is_some_and(|rest| !rest.is_empty())
            })
        {
            self.report.invalid(
                path,
                format!(
                    "uri {} must start with {} followed by the host",
                    quoted(uri),
                    alternatives(schemes)
                ),
            );
        }
    }

    /// `sprite_sheets`: format, unique file prefixes, sizes, counts, interval, quality.
    fn sprite_sheets(&mut self) {
        let list = self.root.field("sprite_sheets");
        let items = &self.channel.sprite_sheets;
        self.report
            .unique(items.iter().enumerate().map(|(s, sheet)| {
                (
                    list.index(s).field("file_prefix"),
                    sheet.file_prefix.as_str(),
                )
            }));
        for (s, sheet) in items.iter().enumerate() {
            let path = list.index(s);
            self.report
                .one_of(&path.field("format"), &sheet.format, &["jpeg"]);
            self.report.present(
                &path.field("file_prefix"),
                &sheet.file_prefix,
                Presence::Required,
            );
            for (name, value) in [
                ("sprite_width_pixels", sheet.sprite_width_pixels),
                ("sprite_height_pixels", sheet.sprite_height_pixels),
            ] {
                self.report
                    .even_in(&path.field(name), value, 2..=i32::MAX, Presence::Required);
            }
            for (name, value, range) in [
                ("column_count", sheet.column_count, 1..=10),
                ("row_count", sheet.row_count, 1..=10),
                ("quality", sheet.quality, 1..=100),
            ] {
                self.report
                    .defaulted_within(&path.field(name), value, range);
            }
            self.report.duration_in(
                &path.field("interval"),
                sheet.interval.as_ref(),
                DEFAULT_SPRITE_INTERVAL,
                SPRITE_INTERVAL,
            );
        }
    }

    /// `encryptions`: IDs, DRM systems, key source, mode.
    fn encryptions(&mut self) {
        let list = self.root.field("encryptions");
        let items = &self.channel.encryptions;
        self.report
            .keys(&list, "id", items, |e| &e.id, Presence::Required);
        for (e, encryption) in items.iter().enumerate() {
            let path = list.index(e);
            let drm_path = path.field("drm_systems");
            const SYSTEMS: &str = "at least one of widevine, fairplay, playready or clearkey";
            match &encryption.drm_systems {
                None => self.report.required_as(&drm_path, SYSTEMS),
                Some(drm)
                    if drm.widevine.is_none()
                        && drm.fairplay.is_none()
                        && drm.playready.is_none()
                        && drm.clearkey.is_none() =>
                {
                    self.report
                        .invalid(&drm_path, format!("drm_systems must enable {SYSTEMS}"));
                }
                Some(_) => {}
            }
            self.report.key_source(
                &path,
                encryption
                    .secret_source
                    .as_ref()
                    .map(|SecretSource::SecretManagerKeySource(s)| s),
            );
            // The mode has no REQUIRED annotation, but an encryption without one cannot work
            // (*inferred*).
            match &encryption.encryption_mode {
                None => self.report.invalid(
                    &path,
                    "exactly one of aes128, sample_aes or mpeg_cenc must be set",
                ),
                Some(EncryptionMode::MpegCenc(cenc)) => {
                    let scheme = path.field("mpeg_cenc").field("scheme");
                    if self
                        .report
                        .present(&scheme, &cenc.scheme, Presence::Required)
                    {
                        self.report.one_of(&scheme, &cenc.scheme, &["cenc", "cbcs"]);
                    }
                }
                Some(EncryptionMode::Aes128(_) | EncryptionMode::SampleAes(_)) => {}
            }
        }
    }

    /// `static_overlays`: the image asset, resolution, position, opacity.
    fn static_overlays(&mut self) {
        let list = self.root.field("static_overlays");
        for (o, overlay) in self.channel.static_overlays.iter().enumerate() {
            let path = list.index(o);
            asset_reference(
                &mut self.report,
                &path.field("asset"),
                &overlay.asset,
                self.refs,
                self.location.as_ref(),
                AssetUse::Image,
            );
            let mut unit = Vec::new();
            if let Some(r) = &overlay.resolution {
                let p = path.field("resolution");
                unit.extend([(p.field("w"), r.w), (p.field("h"), r.h)]);
            }
            if let Some(c) = &overlay.position {
                let p = path.field("position");
                unit.extend([(p.field("x"), c.x), (p.field("y"), c.y)]);
            }
            for (path, value) in unit {
                self.report.within(&path, value, 0.0..=1.0);
            }
            // 0 is the unset value, for which the default 1 applies.
            if overlay.opacity != 0.0 {
                self.report
                    .positive_up_to(&path.field("opacity"), overlay.opacity, 1.0);
            }
        }
    }

    /// `timecode_config`: source, UTC offset or time zone.
    fn timecode_config(&mut self) {
        let Some(config) = &self.channel.timecode_config else {
            return;
        };
        let path = self.root.field("timecode_config");
        self.report.known_enum::<TimecodeSource>(
            &path.field("source"),
            config.source,
            "TimecodeConfig.TimecodeSource",
        );
        match &config.time_offset {
            Some(TimeOffset::UtcOffset(offset)) => {
                let path = path.field("utc_offset");
                if let Some(nanos) = self.report.duration_in(&path, Some(offset), 0, UTC_OFFSET)
                    && nanos % NANOS_PER_SECOND != 0
                {
                    self.report.invalid(
                        &path,
                        format!(
                            "utc_offset {} must be whole seconds",
                            format_duration(nanos)
                        ),
                    );
                }
            }
            Some(TimeOffset::TimeZone(zone)) => {
                self.report.present(
                    &path.field("time_zone").field("id"),
                    &zone.id,
                    Presence::Required,
                );
            }
            None => {}
        }
    }

    /// `log_config`, `retention_config`, `auto_transcription_config`: known values.
    fn other_settings(&mut self) {
        let root = &self.root;
        if let Some(log) = &self.channel.log_config {
            self.report.known_enum::<log_config::LogSeverity>(
                &root.field("log_config").field("log_severity"),
                log.log_severity,
                "LogConfig.LogSeverity",
            );
        }
        if let Some(retention) = &self.channel.retention_config {
            self.report.duration_sign(
                &root
                    .field("retention_config")
                    .field("retention_window_duration"),
                retention.retention_window_duration.as_ref(),
                Sign::NonNegative,
            );
        }
        if let Some(config) = &self.channel.auto_transcription_config {
            let path = root.field("auto_transcription_config");
            self.report
                .known_enum::<auto_transcription_config::DisplayTiming>(
                    &path.field("display_timing"),
                    config.display_timing,
                    "AutoTranscriptionConfig.DisplayTiming",
                );
            self.report
                .known_enum::<auto_transcription_config::QualityPreset>(
                    &path.field("quality_preset"),
                    config.quality_preset,
                    "AutoTranscriptionConfig.QualityPreset",
                );
        }
    }
}
