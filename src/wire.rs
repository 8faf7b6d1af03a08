//! What client and emulator must agree on byte for byte, and nothing else: the routing
//! header (`x-goog-request-params`), `grpc-timeout` (written by the client, read by the
//! emulator), the `request_id` rule and the names of status codes. No dependency on any other module of the crate.
//!
//! The client builds these headers on every call, so they avoid the formatting machinery,
//! runtime header-name validation and, for the usual values, allocation.

use std::cell::RefCell;
use std::sync::LazyLock;
use std::time::Duration;

use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};

/// The environment variable naming a standalone emulator (`host:port`): read by the client
/// builder and by the emulator's `RemoteEmulator`.
pub(crate) const EMULATOR_HOST_ENV: &str = "LIVESTREAM_EMULATOR_HOST";

/// The name of a gRPC status code as `google.rpc.Code` spells it (`FAILED_PRECONDITION`):
/// the `error.status` of a REST error body, and how the API's documentation names codes.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The routing header.
pub const ROUTING_HEADER: &str = "x-goog-request-params";

/// The header names, validated once (a `&str` key is validated again on every insert).
static ROUTING_KEY: LazyLock<AsciiMetadataKey> =
    LazyLock::new(|| AsciiMetadataKey::from_static(ROUTING_HEADER));
static GRPC_TIMEOUT_KEY: LazyLock<AsciiMetadataKey> =
    LazyLock::new(|| AsciiMetadataKey::from_static("grpc-timeout"));

/// The key of the routing header.
pub(crate) fn routing_key() -> &'static AsciiMetadataKey {
    &ROUTING_KEY
}

/// Characters escaped in routing header values: everything but unreserved characters and
/// `/` (as the Python client's `urlencode(safe="/")`, except that a space is `%20`).
const ROUTING_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Whether `b` is sent as is in a routing value (the complement of [`ROUTING_ESCAPES`]).
fn kept_as_is(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
}

/// The `x-goog-request-params` value for `field=value`, URL-encoded.
///
/// ```
/// use livestream_grpc::transport::routing_header;
/// let value = routing_header("channel.name", "projects/p/locations/l/channels/a b&c");
/// assert_eq!(value.to_str()?, "channel.name=projects/p/locations/l/channels/a%20b%26c");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn routing_header(field: &str, value: &str) -> AsciiMetadataValue {
    // Built in one allocation of the right size for the usual, escape-free value, which a
    // plain byte scan recognises at a fraction of the encoder's cost per byte.
    let mut encoded = String::with_capacity(field.len() + 1 + value.len());
    encoded.push_str(field);
    encoded.push('=');
    if value.bytes().all(kept_as_is) {
        encoded.push_str(value);
    } else {
        encoded.extend(percent_encoding::utf8_percent_encode(
            value,
            ROUTING_ESCAPES,
        ));
    }
    // Only ASCII letters, digits and `-._~/%=` remain, all valid in a header value.
    AsciiMetadataValue::try_from(encoded).unwrap_or_else(|_| AsciiMetadataValue::from_static(""))
}

/// Sets `grpc-timeout` to `timeout`, with the value `tonic::Request::set_timeout` would
/// send; beyond 99,999,999 hours, where that one panics, with that many hours.
pub(crate) fn set_grpc_timeout(metadata: &mut MetadataMap, timeout: Duration) {
    metadata.insert(&*GRPC_TIMEOUT_KEY, grpc_timeout_value(timeout));
}

/// The deadline a caller sent in `grpc-timeout`: at most 8 digits and a unit (`H`, `M`,
/// `S`, `m`, `u`, `n`), as the gRPC protocol defines it.
// Read by the server side (the emulator and the mock); compiled and tested without it too.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn grpc_timeout(metadata: &MetadataMap) -> Option<Duration> {
    parse_grpc_timeout(metadata.get(&*GRPC_TIMEOUT_KEY)?.as_bytes())
}

/// Parses a `grpc-timeout` value (`TimeoutValue TimeoutUnit`: 1 to 8 ASCII digits, then one
/// of `H`, `M`, `S`, `m`, `u`, `n`); `None` if it does not follow that grammar.
pub(crate) fn parse_grpc_timeout(value: &[u8]) -> Option<Duration> {
    let (unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Whether a `request_id` is acceptable to the service: a UUID other than the nil UUID.
pub(crate) fn is_valid_request_id(value: &str) -> bool {
    uuid::Uuid::parse_str(value).is_ok_and(|id| !id.is_nil())
}

thread_local! {
    /// The last value built on this thread: a call's first attempt sends its configured
    /// timeout, so nearly every call repeats the previous one, and a clone of the cached
    /// value is a reference count instead of an allocation.
    static LAST_TIMEOUT: RefCell<Option<(Duration, AsciiMetadataValue)>> =
        const { RefCell::new(None) };
}

/// The `grpc-timeout` value of `timeout`: the most precise unit whose value has at most 8
/// digits, as the gRPC spec allows and tonic picks.
fn grpc_timeout_value(timeout: Duration) -> AsciiMetadataValue {
    let cached = LAST_TIMEOUT.with(|last| match &*last.borrow() {
        Some((d, value)) if *d == timeout => Some(value.clone()),
        _ => None,
    });
    if let Some(value) = cached {
        return value;
    }
    let value = format_grpc_timeout(timeout);
    LAST_TIMEOUT.with(|last| *last.borrow_mut() = Some((timeout, value.clone())));
    value
}

fn format_grpc_timeout(timeout: Duration) -> AsciiMetadataValue {
    const MAX: u128 = 99_999_999;
    let secs = u128::from(timeout.as_secs());
    let (mut amount, unit) = [
        (timeout.as_nanos(), b'n'),
        (timeout.as_micros(), b'u'),
        (timeout.as_millis(), b'm'),
        (secs, b'S'),
        (secs / 60, b'M'),
    ]
    .into_iter()
    .find(|(amount, _)| *amount <= MAX)
    .unwrap_or(((secs / 3600).min(MAX), b'H'));
    // At most 8 digits and the unit.
    let mut buf = [0u8; 9];
    let mut start = buf.len() - 1;
    buf[start] = unit;
    loop {
        start -= 1;
        buf[start] = b'0' + (amount % 10) as u8;
        amount /= 10;
        if amount == 0 {
            break;
        }
    }
    AsciiMetadataValue::try_from(&buf[start..])
        .unwrap_or_else(|_| AsciiMetadataValue::from_static("0n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_must_be_non_nil_uuids() {
        assert!(is_valid_request_id("6f1f5a8e-6b8d-4f9a-9f5e-3c7a1b2d4e6f"));
        assert!(!is_valid_request_id("00000000-0000-0000-0000-000000000000"));
        assert!(!is_valid_request_id("not-a-uuid"));
        assert!(!is_valid_request_id(""));
    }

    #[test]
    fn routing_values_are_url_encoded_but_keep_slashes() {
        assert_eq!(
            routing_header("parent", "projects/p/locations/us-central1")
                .to_str()
                .unwrap(),
            "parent=projects/p/locations/us-central1"
        );
        assert_eq!(
            routing_header("name", "a+b&c=d é").to_str().unwrap(),
            "name=a%2Bb%26c%3Dd%20%C3%A9"
        );
        assert_eq!(routing_header("parent", "").to_str().unwrap(), "parent=");
    }

    #[test]
    fn escape_free_values_take_the_fast_path_and_others_do_not() {
        for b in 0..=u8::MAX {
            let set_keeps = !percent_encoding::percent_encode(&[b], ROUTING_ESCAPES)
                .to_string()
                .starts_with('%');
            assert_eq!(kept_as_is(b), set_keeps, "{b:#x}");
        }
    }

    #[test]
    fn grpc_timeouts_are_those_tonic_would_send() {
        let mut durations = vec![
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_nanos(99_999_999),
            Duration::from_nanos(100_000_000),
            Duration::from_millis(500),
            Duration::from_secs(60),
            Duration::from_secs(60) - Duration::from_nanos(1),
            Duration::from_secs(99_999),
            Duration::from_secs(100_000),
            Duration::from_secs(99_999_999),
            Duration::from_secs(100_000_000 * 60),
            Duration::from_secs(99_999_999 * 3600),
        ];
        // Twice over, so that the cached values are checked too.
        durations.extend(durations.clone());
        for d in durations {
            let mut ours = MetadataMap::new();
            set_grpc_timeout(&mut ours, d);
            let mut theirs = tonic::Request::new(());
            theirs.set_timeout(d);
            assert_eq!(
                ours.get("grpc-timeout"),
                theirs.metadata().get("grpc-timeout"),
                "{d:?}"
            );
        }
    }

    #[test]
    fn absurd_timeouts_are_capped_not_a_panic() {
        let mut metadata = MetadataMap::new();
        set_grpc_timeout(&mut metadata, Duration::MAX);
        assert_eq!(metadata.get("grpc-timeout").unwrap(), "99999999H");
    }

    #[test]
    fn grpc_timeouts_parse_every_unit_and_reject_the_rest() {
        let parse = |value: &'static str| {
            let mut metadata = MetadataMap::new();
            metadata.insert("grpc-timeout", value.parse().unwrap());
            grpc_timeout(&metadata)
        };
        assert_eq!(parse("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse("60S"), Some(Duration::from_secs(60)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("59999999u"), Some(Duration::from_micros(59_999_999)));
        assert_eq!(parse("5n"), Some(Duration::from_nanos(5)));
        for bad in ["", "S", "123456789S", "1x", "-1S", "1.5S"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(grpc_timeout(&MetadataMap::new()), None);
    }

    #[test]
    fn what_the_client_sends_the_emulator_reads_back_to_the_unit() {
        for d in [
            Duration::from_nanos(7),
            Duration::from_millis(500),
            Duration::from_secs(60),
            Duration::from_secs(60) - Duration::from_nanos(1),
            Duration::from_secs(100_000),
        ] {
            let mut metadata = MetadataMap::new();
            set_grpc_timeout(&mut metadata, d);
            let read = grpc_timeout(&metadata).unwrap();
            let unit = match metadata.get("grpc-timeout").unwrap().to_str().unwrap() {
                v if v.ends_with('n') => Duration::from_nanos(1),
                v if v.ends_with('u') => Duration::from_micros(1),
                v if v.ends_with('m') => Duration::from_millis(1),
                _ => Duration::from_secs(1),
            };
            assert!(read <= d && d - read < unit, "{d:?} read back as {read:?}");
        }
    }
}
