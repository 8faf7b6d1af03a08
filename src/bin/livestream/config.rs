//! Reading resource bodies and flag values, all before anything is sent.
//!
//! - [`load`]: a `--config` file (or `-` for stdin) in the proto3 JSON mapping, the REST
//!   API's JSON, so configs from Google's documentation work unchanged. prost-reflect's
//!   serde support parses it against the embedded descriptors (unknown fields are errors);
//!   `serde_path_to_error` adds where the problem is (`elementaryStreams[0].key`).
//! - [`parse_label`], [`parse_duration`], [`parse_time`]: flag values.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use livestream_grpc::reflect;
use prost::{Message, Name};
use prost_reflect::DynamicMessage;

use crate::errors::CliError;

/// Reads a message of type `M` from `path` (`-` is stdin) in the proto3 JSON mapping.
pub(crate) fn load<M: Message + Name + Default>(path: &Path) -> Result<M, CliError> {
    let (bytes, shown) = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .map_err(|e| CliError::usage(format!("reading the config from stdin: {e}")))?;
        (bytes, "stdin".to_owned())
    } else {
        let bytes = std::fs::read(path).map_err(|e| {
            CliError::usage(format!("cannot read config file {}: {e}", path.display()))
        })?;
        (bytes, format!("config file {}", path.display()))
    };
    parse(&bytes).map_err(|e| CliError::usage(format!("{shown}: {e}")))
}

/// Parses proto3 JSON as an `M`; the error names the JSON path and the position.
pub(crate) fn parse<M: Message + Name + Default>(bytes: &[u8]) -> Result<M, String> {
    let descriptor = reflect::descriptor::<M>().map_err(|e| e.to_string())?;
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut json, &mut track);
    let dynamic = match DynamicMessage::deserialize(descriptor, tracked) {
        Ok(dynamic) => dynamic,
        Err(e) => return Err(describe(&track.path(), &e)),
    };
    json.end()
        .map_err(|e| format!("after the JSON object: {e}"))?;
    reflect::from_dynamic(&dynamic).map_err(|e| e.to_string())
}

/// "at `a.b[0].c`: message", naming the unknown field itself where prost-reflect's message
/// does (the tracked path stops at the object that holds it).
fn describe(path: &serde_path_to_error::Path, error: &serde_json::Error) -> String {
    let mut at = path.to_string();
    let message = error.to_string();
    if let Some(field) = message
        .strip_prefix("unrecognized field name '")
        .and_then(|rest| rest.split('\'').next())
    {
        at = if at == "." {
            field.to_owned()
        } else {
            format!("{at}.{field}")
        };
    }
    if error.is_syntax() || error.is_eof() || at == "." {
        message
    } else {
        format!("at `{at}`: {message}")
    }
}

/// Reads `--config` if given.
pub(crate) fn load_optional<M: Message + Name + Default>(
    path: Option<&PathBuf>,
) -> Result<Option<M>, CliError> {
    path.map(|p| load(p)).transpose()
}

/// A `KEY=VALUE` label.
pub(crate) fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// A duration: a decimal number with a unit (`500ms`, `30s`, `1.5s`, `2m`, `1h`), as in
/// the proto3 JSON mapping (`"30s"`) plus `ms`, `m` and `h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} has no unit; write e.g. 30s, 1.5s, 500ms, 2m or 1h"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 1.5s, 500ms, 2m or 1h"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}; use ms, s, m or h"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is out of range"))
}

/// A `google.protobuf.Duration` from [`parse_duration`]'s syntax.
pub(crate) fn proto_duration(text: &str) -> Result<prost_types::Duration, String> {
    let d = parse_duration(text)?;
    prost_types::Duration::try_from(d).map_err(|e| format!("{text:?}: {e}"))
}

/// A point in time: RFC 3339 (`2025-01-31T12:00:00Z`), `now`, or `now+DURATION` /
/// `now-DURATION` relative to this machine's clock (`now+30s`).
pub(crate) fn parse_time(text: &str) -> Result<prost_types::Timestamp, String> {
    let text = text.trim();
    let relative = |rest: &str, sign: char| -> Result<SystemTime, String> {
        let offset = parse_duration(rest)?;
        let now = SystemTime::now();
        let t = if sign == '+' {
            now.checked_add(offset)
        } else {
            now.checked_sub(offset)
        };
        t.ok_or_else(|| format!("{text:?} is out of range"))
    };
    let time = if text == "now" {
        SystemTime::now()
    } else if let Some(rest) = text.strip_prefix("now+") {
        relative(rest, '+')?
    } else if let Some(rest) = text.strip_prefix("now-") {
        relative(rest, '-')?
    } else {
        return text.parse::<prost_types::Timestamp>().map_err(|_| {
            format!("{text:?} is not a time: use RFC 3339 (2025-01-31T12:00:00Z), now, or now+30s")
        });
    };
    // Years 1 to 9999, as a Timestamp holds (and `Timestamp::from` unwraps beyond i64
    // seconds).
    let min = std::time::UNIX_EPOCH.checked_sub(Duration::from_secs(62_135_596_800));
    let max = std::time::UNIX_EPOCH.checked_add(Duration::from_secs(253_402_300_799));
    if min.is_some_and(|min| time < min) || max.is_some_and(|max| time > max) {
        return Err(format!("{text:?} is out of range (years 1 to 9999)"));
    }
    Ok(prost_types::Timestamp::from(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use livestream_grpc::v1::{Channel, Input, input};

    #[test]
    fn proto3_json_parses() {
        let input: Input = parse(br#"{"type": "RTMP_PUSH", "tier": "HD", "labels": {"a": "b"}}"#)
            .expect("valid input");
        assert_eq!(input.r#type(), input::Type::RtmpPush);
        assert_eq!(input.labels["a"], "b");
        let err =
            parse::<Channel>(br#"{"retentionConfig": {"retentionWindowSeconds": 1}}"#).unwrap_err();
        assert!(
            err.contains("at `retentionConfig.retentionWindowSeconds`"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_path() {
        let err = parse::<Channel>(
            br#"{"elementaryStreams": [{"key": "v", "videoStream": {"h264": {"widthPixels": "wide"}}}]}"#,
        )
        .unwrap_err();
        assert!(
            err.contains("at `elementaryStreams[0].videoStream.h264.widthPixels`"),
            "{err}"
        );
        let err = parse::<Channel>(br#"{"outputt": {}}"#).unwrap_err();
        assert!(err.contains("at `outputt`"), "{err}");
        let err = parse::<Channel>(br#"{"output": {"uri": "gs://x"}"#).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = parse::<Input>(br#"{"type": "CARRIER_PIGEON"}"#).unwrap_err();
        assert!(err.contains("at `type`"), "{err}");
        let err = parse::<Input>(br#"{} {}"#).unwrap_err();
        assert!(err.contains("after the JSON object"), "{err}");
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("-1s").is_err());
        let t = parse_time("2025-01-31T12:00:00Z").unwrap();
        assert_eq!(t.seconds, 1_738_324_800);
        assert!(parse_time("now+30s").unwrap().seconds > parse_time("now").unwrap().seconds);
        assert!(parse_time("tomorrow").is_err());
        assert!(parse_time("now+400000000000s").is_err());
        assert!(parse_time("now-1e19s").is_err());
        assert_eq!(parse_label("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_label("=x").is_err());
    }
}
