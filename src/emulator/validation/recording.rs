//! Clip and DVR session validation: recordings of a channel's output.

use std::time::SystemTime;

use prost_types::Timestamp;

use super::{FieldViolation, Path, Presence, Report, format_timestamp, quoted, system_time_nanos};
use crate::v1::clip::slice::Kind as SliceKind;
use crate::v1::dvr_session::dvr_window::Kind as WindowKind;
use crate::v1::manifest::ManifestType;
use crate::v1::{Channel, Clip, DvrSession, clip};

/// Which channel manifests a recording can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Manifests {
    /// Any manifest with a key (DVR sessions).
    Any,
    /// HLS manifests only (clips: "Only HLS manifests are supported", D-L2V).
    HlsOnly,
}

/// Validates a clip (see [`super::clip()`]).
pub(super) fn clip(clip: &Clip, channel: &Channel, now: SystemTime) -> Vec<FieldViolation> {
    let mut report = Report::default();
    let root = Path::root("clip");
    report.gcs_uri(
        &root.field("output_uri"),
        &clip.output_uri,
        Presence::Optional,
    );
    let now = system_time_nanos(now);
    for (i, slice) in clip.slices.iter().enumerate() {
        let path = root.item("slices", i);
        match &slice.kind {
            None => report.invalid(&path, "time_slice must be set"),
            Some(SliceKind::TimeSlice(time)) => {
                time_slice(&mut report, &path.field("time_slice"), time, now);
            }
        }
    }
    let keys = clip.clip_manifests.iter().map(|m| m.manifest_key.as_str());
    source_manifests(
        &mut report,
        &root.field("clip_manifests"),
        &keys.collect::<Vec<_>>(),
        channel,
        Manifests::HlsOnly,
    );
    report.known_enum::<clip::OutputType>(
        &root.field("output_type"),
        clip.output_type,
        "Clip.OutputType",
    );
    report.finish()
}

/// Validates a DVR session (see [`super::dvr_session()`]).
pub(super) fn dvr_session(dvr: &DvrSession, channel: &Channel) -> Vec<FieldViolation> {
    let mut report = Report::default();
    let root = Path::root("dvr_session");
    let keys = dvr.dvr_manifests.iter().map(|m| m.manifest_key.as_str());
    source_manifests(
        &mut report,
        &root.field("dvr_manifests"),
        &keys.collect::<Vec<_>>(),
        channel,
        Manifests::Any,
    );
    let list = root.field("dvr_windows");
    if dvr.dvr_windows.is_empty() {
        report.required(&list);
    }
    for (i, window) in dvr.dvr_windows.iter().enumerate() {
        let path = list.index(i);
        match &window.kind {
            None => report.invalid(&path, "time_interval must be set"),
            Some(WindowKind::TimeInterval(interval)) => {
                time_range(
                    &mut report,
                    &path.field("time_interval"),
                    ["start_time", "end_time"],
                    [interval.start_time.as_ref(), interval.end_time.as_ref()],
                    Presence::Optional,
                );
            }
        }
    }
    report.finish()
}

/// The REQUIRED list of source manifests of a recording, of which "currently only one … is
/// allowed" (proto), given by their `manifest_key`s: each names one of the channel's
/// manifests, of a type `usable` accepts.
fn source_manifests(
    report: &mut Report,
    list: &Path,
    keys: &[&str],
    channel: &Channel,
    usable: Manifests,
) {
    let what = match usable {
        Manifests::Any => "DVR manifest",
        Manifests::HlsOnly => "clip manifest",
    };
    match keys.len() {
        0 => report.required_as(list, &format!("exactly one {what}")),
        1 => {}
        n => report.invalid(
            list,
            format!(
                "{} has {n} entries, but only one {what} is allowed",
                list.leaf()
            ),
        ),
    }
    for (i, key) in keys.iter().enumerate() {
        let path = list.index(i).field("manifest_key");
        if !report.present(&path, key, Presence::Required) {
            continue;
        }
        match channel.manifests.iter().find(|m| m.key == *key) {
            None => report.unknown_key(&path, key, "key", "manifests"),
            Some(manifest)
                if usable == Manifests::HlsOnly && manifest.r#type != ManifestType::Hls as i32 =>
            {
                report.invalid(
                    &path,
                    format!(
                        "manifest_key {} names a manifest that is not HLS; clips support only \
                         HLS manifests",
                        quoted(key)
                    ),
                );
            }
            Some(_) => {}
        }
    }
}

/// Checks a time range given by fields `names` (start, end) of the message at `path`: each
/// end present as `presence` says and a valid timestamp, the start before the end; the
/// valid ends, in nanoseconds since the Unix epoch.
fn time_range(
    report: &mut Report,
    path: &Path,
    names: [&str; 2],
    times: [Option<&Timestamp>; 2],
    presence: Presence,
) -> [Option<i128>; 2] {
    let mut valid = [None, None];
    for ((slot, name), time) in valid.iter_mut().zip(names).zip(times) {
        let field = path.field(name);
        match time {
            Some(time) => *slot = report.timestamp(&field, time),
            None if presence == Presence::Required => report.required(&field),
            None => {}
        }
    }
    let [start_name, end_name] = names;
    if let [Some(start), Some(end)] = valid
        && start >= end
    {
        report.invalid(
            &path.field(end_name),
            format!(
                "{end_name} {} must be after {start_name} {}",
                format_timestamp(end),
                format_timestamp(start)
            ),
        );
    }
    valid
}

/// A clip's time slice: both ends required, mark-in before mark-out, all in the past
/// (D-L2V: "Only past content can be clipped").
fn time_slice(report: &mut Report, path: &Path, slice: &clip::TimeSlice, now: i128) {
    let [markin, markout] = time_range(
        report,
        path,
        ["markin_time", "markout_time"],
        [slice.markin_time.as_ref(), slice.markout_time.as_ref()],
        Presence::Required,
    );
    // The later end decides; mark-in only when there is no valid mark-out.
    let latest = match (markin, markout) {
        (_, Some(markout)) => Some(("markout_time", markout)),
        (Some(markin), None) => Some(("markin_time", markin)),
        (None, None) => None,
    };
    if let Some((name, time)) = latest
        && time > now
    {
        report.invalid(
            &path.field(name),
            format!(
                "{name} {} is after the current time {}; only past content can be clipped",
                format_timestamp(time),
                format_timestamp(now)
            ),
        );
    }
}
