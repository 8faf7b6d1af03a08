//! Field-level validation of the resources the emulator accepts: every field rule of the
//! API (as read from its proto comments) that can be checked without media (EMULATOR.md,
//! "Known differences from the real service").
//!
//! Each entry point returns *all* the violations it finds, in a deterministic order (the
//! order of the fields in the proto, list items in their order), as
//! `google.rpc.BadRequest.FieldViolation`s whose paths are request-relative, snake_case and
//! indexed: `channel.elementary_streams[1].video_stream.h264.bitrate_bps`.
//!
//! What is checked here: syntax and ranges of values, REQUIRED fields of the resource body,
//! unique keys within lists, references inside the resource (mux stream → elementary stream,
//! manifest → mux stream, …), references to other resources through [`References`], and the
//! time rules that depend on "now". What is not: state preconditions, ALREADY_EXISTS, the
//! request's own name and ID, quotas and `request_id` (the emulator core does those).
//! Output-only fields are ignored, whatever their value.
//!
//! Where the proto gives a default for an unset value (a GOP of 2 s, segments of 6 s, …), the
//! value is validated as if the default applied. Rules that the public material does not
//! settle and the few interpretations made here are marked *inferred* in the code.

mod channel;
mod event;
mod location;
mod recording;
mod streams;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use prost_types::{Duration, Timestamp};

use crate::names::{AssetName, LocationName, NameError, SecretVersionName, validate_key};
use crate::v1::{asset, encryption};

pub(crate) use contract::{
    FieldViolation, References, asset, channel, clip, dvr_session, event, input, pool,
};

/// The contract the emulator core codes against: keep these signatures.
mod contract {
    use std::time::SystemTime;

    use crate::v1::{Asset, Channel, Clip, DvrSession, Event, Input, Pool};

    /// One broken rule, reported as a `google.rpc.BadRequest.FieldViolation`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub(crate) struct FieldViolation {
        /// The request-relative path of the field, e.g. `channel.elementary_streams[0].key`.
        pub(crate) field: String,
        /// What is wrong, in one sentence.
        pub(crate) description: String,
        /// Whether this is a reference to a resource that does not exist (the core may answer
        /// NOT_FOUND for those, depending on its configuration) rather than a malformed value.
        pub(crate) missing_reference: Option<String>,
    }

    /// What validation needs to know about other resources.
    pub(crate) trait References {
        /// The input with this full name, if it exists.
        fn input(&self, name: &str) -> Option<&Input>;
        /// The asset with this full name, if it exists.
        fn asset(&self, name: &str) -> Option<&Asset>;
    }

    /// Validates a channel as given to CreateChannel, or as merged by UpdateChannel.
    ///
    /// When `channel.name` is a well-formed channel name, the inputs and assets it references
    /// must be in the same project and location; pass the canonical name to get that check.
    pub(crate) fn channel(channel: &Channel, refs: &dyn References) -> Vec<FieldViolation> {
        super::channel::check(channel, refs)
    }

    /// Validates an input as given to CreateInput, or as merged by UpdateInput.
    pub(crate) fn input(input: &Input) -> Vec<FieldViolation> {
        super::location::input(input)
    }

    /// Validates an event for CreateEvent on `channel` at time `now`.
    pub(crate) fn event(
        event: &Event,
        channel: &Channel,
        refs: &dyn References,
        now: SystemTime,
    ) -> Vec<FieldViolation> {
        super::event::check(event, channel, refs, now)
    }

    /// Validates a clip for CreateClip on `channel` at time `now`.
    pub(crate) fn clip(clip: &Clip, channel: &Channel, now: SystemTime) -> Vec<FieldViolation> {
        super::recording::clip(clip, channel, now)
    }

    /// Validates a DVR session for CreateDvrSession / UpdateDvrSession on `channel`.
    pub(crate) fn dvr_session(dvr: &DvrSession, channel: &Channel) -> Vec<FieldViolation> {
        super::recording::dvr_session(dvr, channel)
    }

    /// Validates an asset for CreateAsset.
    pub(crate) fn asset(asset: &Asset) -> Vec<FieldViolation> {
        super::location::asset(asset)
    }

    /// Validates a pool as merged by UpdatePool.
    pub(crate) fn pool(pool: &Pool) -> Vec<FieldViolation> {
        super::location::pool(pool)
    }
}

/// Nanoseconds in a second, for the `i128` arithmetic on durations and timestamps (wide
/// enough that no `seconds` value can overflow it).
const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// The valid range of `google.protobuf.Duration.seconds` (about ±10,000 years).
const DURATION_SECONDS: RangeInclusive<i64> = -315_576_000_000..=315_576_000_000;

/// The valid range of `google.protobuf.Timestamp.seconds`: 0001-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z.
const TIMESTAMP_SECONDS: RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// A request-relative field path such as `channel.mux_streams[0].key`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Path {
    /// The whole path.
    text: String,
    /// Where the last field name starts in `text`.
    leaf: usize,
}

impl Path {
    /// The path of the request field holding the resource (`channel`, `input`, …).
    fn root(name: &str) -> Path {
        Path {
            text: name.to_owned(),
            leaf: 0,
        }
    }

    /// The path of field `name` of the message at this path.
    fn field(&self, name: &str) -> Path {
        Path {
            text: format!("{}.{name}", self.text),
            leaf: self.text.len() + 1,
        }
    }

    /// The path of item `index` of the list at this path.
    fn index(&self, index: usize) -> Path {
        Path {
            text: format!("{}[{index}]", self.text),
            leaf: self.leaf,
        }
    }

    /// The path of item `index` of list field `name`.
    fn item(&self, name: &str, index: usize) -> Path {
        self.field(name).index(index)
    }

    /// The last field name, without list indices: what descriptions call the value.
    fn leaf(&self) -> &str {
        let rest = self.text.get(self.leaf..).unwrap_or_default();
        rest.split('[').next().unwrap_or(rest)
    }
}

impl Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A value quoted for a description, cut short if it is long.
fn quoted(value: &str) -> String {
    const MAX_CHARS: usize = 80;
    if value.chars().count() <= MAX_CHARS {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(MAX_CHARS).collect();
        format!("{head:?}…")
    }
}

/// A list of names for a description: `a, b or c`.
fn alternatives(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The length of a duration in nanoseconds (no overflow: `i128` holds any `seconds`).
fn duration_nanos(duration: &Duration) -> i128 {
    i128::from(duration.seconds) * NANOS_PER_SECOND + i128::from(duration.nanos)
}

/// The time of a timestamp in nanoseconds since the Unix epoch.
fn timestamp_nanos(timestamp: &Timestamp) -> i128 {
    i128::from(timestamp.seconds) * NANOS_PER_SECOND + i128::from(timestamp.nanos)
}

/// `now` in nanoseconds since the Unix epoch (negative before it).
fn system_time_nanos(now: SystemTime) -> i128 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
    }
}

/// Splits nanoseconds into the `(seconds, nanos)` of a protobuf time value, if it fits.
fn split_nanos(nanos: i128) -> Option<(i64, i32)> {
    let seconds = i64::try_from(nanos / NANOS_PER_SECOND).ok()?;
    let rest = i32::try_from(nanos % NANOS_PER_SECOND).ok()?;
    Some((seconds, rest))
}

/// A length in nanoseconds written like a proto3 JSON duration: `6s`, `2.500s`.
fn format_duration(nanos: i128) -> String {
    match split_nanos(nanos) {
        Some((seconds, nanos)) => Duration { seconds, nanos }.to_string(),
        None => format!("{nanos}ns"),
    }
}

/// A time in nanoseconds since the Unix epoch, written as RFC 3339.
fn format_timestamp(nanos: i128) -> String {
    let seconds = nanos.div_euclid(NANOS_PER_SECOND);
    let rest = nanos.rem_euclid(NANOS_PER_SECOND);
    match (i64::try_from(seconds), i32::try_from(rest)) {
        (Ok(seconds), Ok(nanos)) if TIMESTAMP_SECONDS.contains(&seconds) => {
            Timestamp { seconds, nanos }.to_string()
        }
        _ => format!("{seconds}s after the Unix epoch"),
    }
}

/// How a string field must be filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Presence {
    /// Empty is a violation.
    Required,
    /// Empty is fine (the field is optional or has a default).
    Optional,
}

/// What a duration must be, beyond well formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sign {
    /// Greater than zero.
    Positive,
    /// Zero or more.
    NonNegative,
}

/// The violations found so far, in the order they were found.
#[derive(Debug, Default)]
struct Report {
    /// Everything reported, in order.
    violations: Vec<FieldViolation>,
}

impl Report {
    /// The violations, in the order they were found.
    fn finish(self) -> Vec<FieldViolation> {
        self.violations
    }

    /// Reports a malformed value.
    fn invalid(&mut self, path: &Path, description: impl Into<String>) {
        self.violations.push(FieldViolation {
            field: path.to_string(),
            description: description.into(),
            missing_reference: None,
        });
    }

    /// Reports a reference to resource `name`, which does not exist.
    fn dangling(&mut self, path: &Path, description: impl Into<String>, name: &str) {
        self.violations.push(FieldViolation {
            field: path.to_string(),
            description: description.into(),
            missing_reference: Some(name.to_owned()),
        });
    }

    /// Reports a missing required field.
    fn required(&mut self, path: &Path) {
        self.invalid(path, format!("{} is required", path.leaf()));
    }

    /// Reports a missing required field, with what it should hold.
    fn required_as(&mut self, path: &Path, what: &str) {
        self.invalid(path, format!("{} is required: {what}", path.leaf()));
    }

    /// Reports `value` if it is empty and required; whether it is non-empty.
    fn present(&mut self, path: &Path, value: &str, presence: Presence) -> bool {
        if value.is_empty() && presence == Presence::Required {
            self.required(path);
        }
        !value.is_empty()
    }

    /// Reports `value` of a reference field: no item of the channel's list `list` has it as
    /// its `key_field`.
    fn unknown_key(&mut self, path: &Path, value: &str, key_field: &str, list: &str) {
        self.invalid(
            path,
            format!(
                "{} {} is not the {key_field} of any of the channel's {list}",
                path.leaf(),
                quoted(value)
            ),
        );
    }

    /// Checks an embedded key (`InputAttachment.key`, `Encryption.id`, …) with the key rule
    /// of [`validate_key`].
    fn key(&mut self, path: &Path, key: &str, presence: Presence) {
        if self.present(path, key, presence)
            && let Err(error) = validate_key(key)
        {
            self.invalid(
                path,
                format!(
                    "{} {} must be {}",
                    path.leaf(),
                    quoted(key),
                    error.expected()
                ),
            );
        }
    }

    /// Reports every value that an earlier item of the same list already used (empty values
    /// are skipped: they are reported as missing elsewhere).
    fn unique<'a>(&mut self, items: impl IntoIterator<Item = (Path, &'a str)>) {
        let mut first: HashMap<&str, Path> = HashMap::new();
        for (path, value) in items {
            if value.is_empty() {
                continue;
            }
            match first.get(value) {
                Some(earlier) => self.invalid(
                    &path,
                    format!(
                        "{} {} is already used by {earlier}; it must be unique",
                        path.leaf(),
                        quoted(value)
                    ),
                ),
                None => {
                    first.insert(value, path);
                }
            }
        }
    }

    /// Checks the key field `key_field` of every item of list `list` (syntax, presence and
    /// uniqueness).
    fn keys<'a, T>(
        &mut self,
        list: &Path,
        key_field: &str,
        items: &'a [T],
        key: impl Fn(&'a T) -> &'a str,
        presence: Presence,
    ) {
        let paths = || (0..items.len()).map(|i| list.index(i).field(key_field));
        for (path, item) in paths().zip(items) {
            self.key(&path, key(item), presence);
        }
        self.unique(paths().zip(items.iter().map(key)));
    }

    /// Checks a string against a list of allowed values; empty passes (the caller decides
    /// whether it is required).
    fn one_of(&mut self, path: &Path, value: &str, allowed: &[&str]) {
        if !value.is_empty() && !allowed.contains(&value) {
            self.invalid(
                path,
                format!(
                    "{} {} must be {}",
                    path.leaf(),
                    quoted(value),
                    alternatives(allowed)
                ),
            );
        }
    }

    /// Checks a number against an inclusive range (NaN is never within it).
    fn within<T: PartialOrd + Display>(&mut self, path: &Path, value: T, range: RangeInclusive<T>) {
        if !range.contains(&value) {
            self.invalid(
                path,
                format!(
                    "{} {value} must be within [{}, {}]",
                    path.leaf(),
                    range.start(),
                    range.end()
                ),
            );
        }
    }

    /// Checks that a number is greater than 0 and at most `max`; whether it is.
    fn positive_up_to(&mut self, path: &Path, value: f64, max: f64) -> bool {
        let ok = value > 0.0 && value <= max;
        if !ok {
            self.invalid(
                path,
                format!(
                    "{} {value} must be greater than 0 and at most {max}",
                    path.leaf()
                ),
            );
        }
        ok
    }

    /// Checks that an integer is less than `limit`, which `limit_name` describes.
    fn below(&mut self, path: &Path, value: i32, limit: i32, limit_name: &str) {
        if value >= limit {
            self.invalid(
                path,
                format!("{} {value} must be less than {limit_name}", path.leaf()),
            );
        }
    }

    /// Checks an integer that defaults to a valid value when 0 (unset).
    fn defaulted_within(&mut self, path: &Path, value: i32, range: RangeInclusive<i32>) {
        if value != 0 {
            self.within(path, value, range);
        }
    }

    /// Checks that an integer is not negative.
    fn non_negative(&mut self, path: &Path, value: i32) {
        if value < 0 {
            self.invalid(
                path,
                format!("{} {value} must not be negative", path.leaf()),
            );
        }
    }

    /// Checks that an enum field holds one of the enum's values (`type_name` names the enum
    /// in the description); the value, if known.
    fn known_enum<E: TryFrom<i32>>(
        &mut self,
        path: &Path,
        value: i32,
        type_name: &str,
    ) -> Option<E> {
        let known = E::try_from(value).ok();
        if known.is_none() {
            self.invalid(
                path,
                format!("{} {value} is not a known {type_name} value", path.leaf()),
            );
        }
        known
    }

    /// Checks that a duration is well formed; its length in nanoseconds, if it is.
    fn duration(&mut self, path: &Path, duration: &Duration) -> Option<i128> {
        let Duration { seconds, nanos } = *duration;
        let well_formed = DURATION_SECONDS.contains(&seconds)
            && (-999_999_999..=999_999_999).contains(&nanos)
            && !(seconds > 0 && nanos < 0)
            && !(seconds < 0 && nanos > 0);
        if well_formed {
            Some(duration_nanos(duration))
        } else {
            self.invalid(
                path,
                format!(
                    "{} {{seconds: {seconds}, nanos: {nanos}}} is not a valid duration",
                    path.leaf()
                ),
            );
            None
        }
    }

    /// Checks an optional duration against an inclusive range of nanoseconds, `default`
    /// applying when it is unset; the effective length, if it is valid.
    fn duration_in(
        &mut self,
        path: &Path,
        duration: Option<&Duration>,
        default: i128,
        range: RangeInclusive<i128>,
    ) -> Option<i128> {
        let Some(duration) = duration else {
            return Some(default);
        };
        let nanos = self.duration(path, duration)?;
        if range.contains(&nanos) {
            Some(nanos)
        } else {
            self.invalid(
                path,
                format!(
                    "{} {} must be within [{}, {}]",
                    path.leaf(),
                    format_duration(nanos),
                    format_duration(*range.start()),
                    format_duration(*range.end())
                ),
            );
            None
        }
    }

    /// Checks that an optional duration, if set, is greater than zero, or at least zero.
    fn duration_sign(&mut self, path: &Path, duration: Option<&Duration>, sign: Sign) {
        let Some(nanos) = duration.and_then(|d| self.duration(path, d)) else {
            return;
        };
        let (ok, rule) = match sign {
            Sign::Positive => (nanos > 0, "must be greater than 0s"),
            Sign::NonNegative => (nanos >= 0, "must not be negative"),
        };
        if !ok {
            self.invalid(
                path,
                format!("{} {} {rule}", path.leaf(), format_duration(nanos)),
            );
        }
    }

    /// Checks that a timestamp is well formed and within 0001-01-01 to 9999-12-31; its time in
    /// nanoseconds since the Unix epoch, if it is.
    fn timestamp(&mut self, path: &Path, timestamp: &Timestamp) -> Option<i128> {
        let Timestamp { seconds, nanos } = *timestamp;
        if TIMESTAMP_SECONDS.contains(&seconds) && (0..=999_999_999).contains(&nanos) {
            Some(timestamp_nanos(timestamp))
        } else {
            self.invalid(
                path,
                format!(
                    "{} {{seconds: {seconds}, nanos: {nanos}}} is not a valid timestamp \
                     (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z)",
                    path.leaf()
                ),
            );
            None
        }
    }

    /// Checks a resource name against its typed pattern; the parsed name, if it matches.
    fn name<N: FromStr<Err = NameError>>(&mut self, path: &Path, value: &str) -> Option<N> {
        match value.parse::<N>() {
            Ok(name) => Some(name),
            Err(error) => {
                self.invalid(
                    path,
                    format!(
                        "{} {} must match {}",
                        path.leaf(),
                        quoted(value),
                        error.expected()
                    ),
                );
                None
            }
        }
    }

    /// Checks that a referenced resource `name`, whose location is `theirs`, is in the
    /// referrer's location `ours` (when known); whether it is.
    fn same_location(
        &mut self,
        path: &Path,
        name: &str,
        theirs: &LocationName,
        ours: Option<&LocationName>,
    ) -> bool {
        match ours {
            Some(ours) if ours != theirs => {
                self.invalid(
                    path,
                    format!(
                        "{} {} is in {theirs}, but it must be in the same project and location \
                         as the channel, {ours}",
                        path.leaf(),
                        quoted(name)
                    ),
                );
                false
            }
            _ => true,
        }
    }

    /// Checks that an integer is even and within `range`; 0 means unset, which `presence`
    /// says whether it is allowed.
    fn even_in(&mut self, path: &Path, value: i32, range: RangeInclusive<i32>, presence: Presence) {
        let rule = if *range.end() == i32::MAX {
            format!("an even number of at least {}", range.start())
        } else {
            format!("an even number within [{}, {}]", range.start(), range.end())
        };
        if value == 0 {
            if presence == Presence::Required {
                self.required_as(path, &rule);
            }
        } else if value % 2 != 0 || !range.contains(&value) {
            self.invalid(path, format!("{} {value} must be {rule}", path.leaf()));
        }
    }

    /// Checks a Secret Manager secret version name
    /// (`projects/{project}/secrets/{secret}/versions/{version}`).
    fn secret_version(&mut self, path: &Path, value: &str, presence: Presence) {
        if self.present(path, value, presence) {
            self.name::<SecretVersionName>(path, value);
        }
    }

    /// Checks the required `secret_manager_key_source` of an encryption or an encryption
    /// update: the Secret Manager version holding the keys. The proto does not mark it
    /// REQUIRED, but keys must come from somewhere (*inferred*).
    fn key_source(&mut self, path: &Path, source: Option<&encryption::SecretManagerSource>) {
        let path = path.field("secret_manager_key_source");
        match source {
            None => self.required_as(&path, "the Secret Manager secret version of the keys"),
            Some(source) => self.secret_version(
                &path.field("secret_version"),
                &source.secret_version,
                Presence::Required,
            ),
        }
    }

    /// Checks a Cloud Storage URI: `gs://bucket`, then `/object` (which `object` says whether
    /// it is required). Empty passes (the caller decides whether it is required).
    fn gcs_uri(&mut self, path: &Path, uri: &str, object: Presence) {
        if uri.is_empty() {
            return;
        }
        let problem = match uri.strip_prefix("gs://") {
            None => Some("must be a Cloud Storage URI starting with gs://".to_owned()),
            Some(rest) => {
                let (bucket, object_name) = rest.split_once('/').unwrap_or((rest, ""));
                if !valid_bucket(bucket) {
                    Some(format!(
                        "has an invalid bucket name {} (3-63 lower-case letters, digits, '-', \
                         '_' or '.', starting and ending with a letter or digit)",
                        quoted(bucket)
                    ))
                } else if object == Presence::Required && object_name.is_empty() {
                    Some("must name an object: gs://bucket/object".to_owned())
                } else if object_name.len() > 1024 || object_name.chars().any(char::is_control) {
                    Some(
                        "has an invalid object name (at most 1024 bytes, no control characters)"
                            .to_owned(),
                    )
                } else {
                    None
                }
            }
        };
        if let Some(problem) = problem {
            self.invalid(path, format!("{} {} {problem}", path.leaf(), quoted(uri)));
        }
    }
}

/// Whether `bucket` follows the Cloud Storage bucket naming rules: dot-separated components
/// of at most 63 characters, 3-222 characters in all, lower-case letters, digits, `-`, `_`
/// and `.`, beginning and ending with a letter or digit.
fn valid_bucket(bucket: &str) -> bool {
    let bytes = bucket.as_bytes();
    let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let max_len = if bucket.contains('.') { 222 } else { 63 };
    (3..=max_len).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        && edge(bytes.first())
        && edge(bytes.last())
        && bucket.split('.').all(|part| (1..=63).contains(&part.len()))
}

/// Which assets a reference accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AssetUse {
    /// Any ACTIVE asset (slates).
    Any,
    /// ACTIVE image assets only (static overlays).
    Image,
}

/// Checks a required reference to another resource: the pattern of name `N`, that it is in
/// `location` (the referrer's project and location, when known), and that `lookup` finds
/// it; what `lookup` found.
fn referenced<'r, N, T>(
    report: &mut Report,
    path: &Path,
    name: &str,
    location: Option<&LocationName>,
    parent: fn(&N) -> LocationName,
    lookup: impl FnOnce(&str) -> Option<&'r T>,
) -> Option<&'r T>
where
    N: FromStr<Err = NameError>,
{
    if !report.present(path, name, Presence::Required) {
        return None;
    }
    let parsed = report.name::<N>(path, name)?;
    if !report.same_location(path, name, &parent(&parsed), location) {
        return None;
    }
    let found = lookup(name);
    if found.is_none() {
        report.dangling(
            path,
            format!("{} {} does not exist", path.leaf(), quoted(name)),
            name,
        );
    }
    found
}

/// Checks a required reference to an asset: see [`referenced`], then that the asset is
/// ACTIVE and that `usage` accepts its type.
fn asset_reference(
    report: &mut Report,
    path: &Path,
    name: &str,
    refs: &dyn References,
    location: Option<&LocationName>,
    usage: AssetUse,
) {
    let Some(found) = referenced(report, path, name, location, AssetName::parent, |n| {
        refs.asset(n)
    }) else {
        return;
    };
    let is_image = matches!(found.resource, Some(asset::Resource::Image(_)));
    if usage == AssetUse::Image && !is_image {
        report.invalid(
            path,
            format!(
                "{} {} is not an image asset; only image assets can be used here",
                path.leaf(),
                quoted(name)
            ),
        );
    }
    if found.state != asset::State::Active as i32 {
        let state =
            asset::State::try_from(found.state).map_or("in an unknown state", |s| s.as_str_name());
        report.invalid(
            path,
            format!(
                "{} {} is {state}; it must be ACTIVE to be used",
                path.leaf(),
                quoted(name)
            ),
        );
    }
}
