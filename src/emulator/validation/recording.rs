//! Clip and DVR session validation (spec §2.4, §2.5): recordings of a channel's output.

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

/// Validates a clip (see [`super::clip`]).
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

/// Validates a DVR session (see [`super::dvr_session`]).
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
                let path = path.field("time_interval");
                let times = [
                    ("start_time", &interval.start_time),
                    ("end_time", &interval.end_time),
                ]
                .map(|(name, time)| optional_time(&mut report, &path.field(name), time.as_ref()));
                if let [Some(start), Some(end)] = times
                    && start >= end
                {
                    report.invalid(
                        &path.field("end_time"),
                        format!(
                            "end_time {} must be after start_time {}",
                            format_timestamp(end),
                            format_timestamp(start)
                        ),
                    );
                }
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

/// A timestamp that may be unset; its time in nanoseconds, if set and valid.
fn optional_time(report: &mut Report, path: &Path, time: Option<&Timestamp>) -> Option<i128> {
    report.timestamp(path, time?)
}

/// A clip's time slice: both ends required, mark-in before mark-out, all in the past
/// (D-L2V: "Only past content can be clipped").
fn time_slice(report: &mut Report, path: &Path, slice: &clip::TimeSlice, now: i128) {
    let times = [
        ("markin_time", &slice.markin_time),
        ("markout_time", &slice.markout_time),
    ]
    .map(|(name, time)| {
        let path = path.field(name);
        match time {
            None => {
                report.required(&path);
                None
            }
            Some(time) => report.timestamp(&path, time),
        }
    });
    let [markin, markout] = times;
    if let (Some(markin), Some(markout)) = (markin, markout)
        && markin >= markout
    {
        report.invalid(
            &path.field("markout_time"),
            format!(
                "markout_time {} must be after markin_time {}",
                format_timestamp(markout),
                format_timestamp(markin)
            ),
        );
    }
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
