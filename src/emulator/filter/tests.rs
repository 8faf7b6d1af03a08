//! Unit and property tests of filters and order_by.

use std::cmp::Ordering;
use std::collections::HashMap;

use proptest::prelude::*;
use prost::Message;

use super::lexer::Comparator;
use super::*;
use crate::longrunning::Operation;
use crate::v1::{
    Asset, Channel, Clip, DvrSession, Event, Input, OperationMetadata, asset, channel, clip,
    dvr_session, event, input,
};

const CHANNELS: &str = "projects/p/locations/us-central1/channels/";

fn ts(text: &str) -> prost_types::Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("bad test timestamp {text}: {e}"))
}

fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn channel(id: &str, state: channel::StreamingState) -> Channel {
    Channel {
        name: format!("{CHANNELS}{id}"),
        streaming_state: state as i32,
        ..Default::default()
    }
}

/// The channel used by most tests.
fn prod() -> Channel {
    Channel {
        create_time: Some(ts("2024-03-01T10:00:00.250Z")),
        update_time: Some(ts("2024-03-02T00:00:00Z")),
        labels: labels(&[("env", "prod"), ("team", "video"), ("empty", "")]),
        active_input: "input-a".into(),
        ..channel("ch-prod", channel::StreamingState::Streaming)
    }
}

fn parse<T: Filterable>(text: &str) -> Filter<T> {
    Filter::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn matches<T: Filterable>(text: &str, item: &T) -> bool {
    parse::<T>(text).matches(item)
}

/// The error description for a filter that must not parse.
fn error<T: Filterable + std::fmt::Debug>(text: &str) -> String {
    let error = Filter::<T>::parse(text).expect_err(text);
    assert_eq!(error.field, "filter", "{text}");
    error.description
}

fn order_error<T: Filterable + std::fmt::Debug>(text: &str) -> String {
    let error = OrderBy::<T>::parse(text).expect_err(text);
    assert_eq!(error.field, "order_by", "{text}");
    error.description
}

#[track_caller]
fn assert_contains(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            haystack.contains(needle),
            "{haystack:?} should contain {needle:?}"
        );
    }
}

// ----- basics --------------------------------------------------------------------------

#[test]
fn empty_filter_matches_everything() {
    for text in ["", "   ", "\t\n "] {
        assert!(matches(text, &prod()));
        assert!(matches(text, &Channel::default()));
    }
}

#[test]
fn string_equality_and_inequality() {
    let ch = prod();
    assert!(matches(&format!("name = \"{CHANNELS}ch-prod\""), &ch));
    assert!(matches(&format!("name = '{CHANNELS}ch-prod'"), &ch));
    assert!(!matches("name = \"ch-prod\"", &ch));
    assert!(matches("name != \"ch-prod\"", &ch));
    assert!(
        matches("active_input = input-a", &ch),
        "bare text is a string"
    );
    assert!(!matches("active_input != input-a", &ch));
}

#[test]
fn string_wildcards() {
    let ch = prod();
    assert!(matches("name = \"*-prod\"", &ch));
    assert!(matches("name = \"projects/p/*\"", &ch));
    assert!(matches("name = \"*channels*\"", &ch));
    assert!(matches("name = \"*\"", &ch));
    assert!(matches("name = *-prod", &ch), "bare text wildcards too");
    assert!(!matches("name = \"*-dev\"", &ch));
    assert!(matches("name != \"*-dev\"", &ch));
    assert!(!matches("name != \"*-prod\"", &ch));
    // A star in the middle, or an escaped one, is literal.
    assert!(!matches("name = \"projects*ch-prod\"", &ch));
    let star = Channel {
        name: "a*b".into(),
        ..Default::default()
    };
    assert!(matches("name = \"a*b\"", &star));
    assert!(matches(
        r#"name = "\*b""#,
        &Channel {
            name: "*b".into(),
            ..Default::default()
        }
    ));
    assert!(
        !matches(r#"name = "\*b""#, &star),
        "escaped star is not a wildcard"
    );
    assert!(matches(
        r#"name = "a\*""#,
        &Channel {
            name: "a*".into(),
            ..Default::default()
        }
    ));
}

#[test]
fn string_ordering_is_lexicographic() {
    let ch = channel("m", channel::StreamingState::Stopped);
    assert!(matches(&format!("name > \"{CHANNELS}a\""), &ch));
    assert!(matches(&format!("name >= \"{CHANNELS}m\""), &ch));
    assert!(matches(&format!("name <= \"{CHANNELS}m\""), &ch));
    assert!(!matches(&format!("name < \"{CHANNELS}m\""), &ch));
    assert!(matches(&format!("name < \"{CHANNELS}n\""), &ch));
    assert!(!matches(&format!("name > \"{CHANNELS}z\""), &ch));
}

#[test]
fn string_has_is_substring() {
    let ch = prod();
    assert!(matches("name:prod", &ch));
    assert!(matches("name:\"channels/ch\"", &ch));
    assert!(!matches("name:dev", &ch));
    assert!(matches("name:*", &ch), "presence");
    assert!(!matches("active_input:*", &Channel::default()));
    assert!(matches("NOT active_input:*", &Channel::default()));
}

#[test]
fn escapes_in_strings() {
    let ch = Channel {
        active_input: "say \"hi\"\n\t'x' \\".into(),
        ..Default::default()
    };
    assert!(matches(r#"active_input = "say \"hi\"\n\t'x' \\""#, &ch));
    assert!(matches(r#"active_input = 'say \"hi\"\n\t\'x\' \\'"#, &ch));
}

#[test]
fn dotted_and_signed_values() {
    let ch = Channel {
        labels: labels(&[("version", "1.5"), ("delta", "-30"), ("pkg", "com.google")]),
        ..Default::default()
    };
    assert!(matches("labels.version = 1.5", &ch));
    assert!(matches("labels.delta = -30", &ch));
    assert!(matches("labels.pkg = com.google", &ch));
    assert!(matches("labels.delta=-30", &ch));
}

// ----- enums and booleans --------------------------------------------------------------

#[test]
fn enums_compare_by_value_name() {
    let ch = prod();
    assert!(matches("streaming_state = STREAMING", &ch));
    assert!(matches("streaming_state = \"STREAMING\"", &ch));
    assert!(matches("streaming_state:STREAMING", &ch));
    assert!(!matches("streaming_state = STOPPED", &ch));
    assert!(matches("streaming_state != STOPPED", &ch));
    assert!(matches("streaming_state:*", &ch));
    assert!(
        !matches("streaming_state:*", &Channel::default()),
        "UNSPECIFIED is unset"
    );
}

#[test]
fn unknown_enum_value_is_an_error_listing_the_values() {
    let e = error::<Channel>("streaming_state = RUNNING");
    assert_contains(
        &e,
        &[
            "streaming_state",
            "`RUNNING`",
            "column 19",
            "Channel.StreamingState",
            "STREAMING, AWAITING_INPUT",
            "STOPPING",
        ],
    );
    // Case-sensitive, as AIP-160 says.
    assert_contains(
        &error::<Channel>("streaming_state = streaming"),
        &["`streaming`"],
    );
}

#[test]
fn enums_and_booleans_reject_ordering() {
    assert_contains(
        &error::<Channel>("streaming_state > STOPPED"),
        &["streaming_state", "enum", "`>`"],
    );
    assert_contains(
        &error::<Operation>("done > \"abc\""),
        &["done", "boolean", "not `>` (column 6)"],
    );
    assert_contains(&error::<Event>("execute_now <= true"), &["`<=`"]);
}

#[test]
fn booleans() {
    let ev = Event {
        execute_now: true,
        ..Default::default()
    };
    assert!(matches("execute_now = true", &ev));
    assert!(matches("execute_now != false", &ev));
    assert!(matches("executeNow:true", &ev));
    assert!(!matches("execute_now = false", &ev));
    assert!(matches("execute_now = \"true\"", &ev));
    assert_contains(
        &error::<Event>("execute_now = yes"),
        &["execute_now", "`yes`", "`true` or `false`", "column 15"],
    );
    assert_contains(&error::<Event>("execute_now = TRUE"), &["`TRUE`"]);
}

// ----- timestamps ----------------------------------------------------------------------

#[test]
fn timestamps_compare_chronologically() {
    let ch = prod(); // created 2024-03-01T10:00:00.250Z
    assert!(matches("create_time > \"2024-01-01T00:00:00Z\"", &ch));
    assert!(matches("createTime < \"2025-01-01T00:00:00Z\"", &ch));
    assert!(matches("create_time = \"2024-03-01T10:00:00.25Z\"", &ch));
    assert!(matches(
        "create_time = \"2024-03-01T10:00:00.250000000Z\"",
        &ch
    ));
    assert!(!matches("create_time = \"2024-03-01T10:00:00Z\"", &ch));
    assert!(matches("create_time >= \"2024-03-01T10:00:00.25Z\"", &ch));
    assert!(matches("create_time <= \"2024-03-01T10:00:00.25Z\"", &ch));
    assert!(matches(
        "create_time > \"2024-03-01T10:00:00.249999999Z\"",
        &ch
    ));
    assert!(matches("create_time != \"2024-03-01T10:00:00Z\"", &ch));
    assert!(
        matches("create_time:\"2024-03-01T10:00:00.25Z\"", &ch),
        ": is ="
    );
    // The right side is always a literal, never another field.
    assert_contains(
        &error::<Channel>("update_time > create_time"),
        &["`create_time` at column 15 is not an RFC 3339 timestamp"],
    );
}

#[test]
fn timestamps_accept_offsets() {
    let ch = prod(); // 10:00:00.250 UTC == 05:00:00.250-05:00 == 12:30:00.250+02:30
    assert!(matches(
        "create_time = \"2024-03-01T05:00:00.25-05:00\"",
        &ch
    ));
    assert!(matches(
        "create_time = \"2024-03-01T12:30:00.25+02:30\"",
        &ch
    ));
    assert!(matches("create_time > \"2024-03-01T10:00:00+00:30\"", &ch));
    assert!(!matches("create_time > \"2024-03-01T10:00:00-00:30\"", &ch));
    assert!(matches("create_time = \"2024-03-01t10:00:00.25z\"", &ch));
    // A bare date is midnight UTC (prost-types' leniency), and needs no quotes.
    assert!(matches("create_time > 2024-03-01", &ch));
    assert!(matches("create_time < 2024-03-02", &ch));
}

#[test]
fn unset_timestamps_match_no_comparison() {
    let ch = Channel::default();
    for op in ["=", "!=", "<", "<=", ">", ">="] {
        let text = format!("create_time {op} \"2024-01-01T00:00:00Z\"");
        assert!(!matches(&text, &ch), "{text}");
        assert!(matches(&format!("NOT {text}"), &ch), "NOT {text}");
    }
    assert!(!matches("create_time:*", &ch));
    assert!(matches("create_time:*", &prod()));
}

#[test]
fn bad_timestamps_are_errors() {
    for (text, token) in [
        ("create_time = 5", "`5`"),
        ("create_time > \"yesterday\"", "`yesterday`"),
        (
            "create_time > \"2024-02-30T00:00:00Z\"",
            "`2024-02-30T00:00:00Z`",
        ),
        (
            "create_time > \"2024-01-01T25:00:00Z\"",
            "`2024-01-01T25:00:00Z`",
        ),
        ("update_time < true", "`true`"),
    ] {
        assert_contains(&error::<Channel>(text), &[token, "timestamp", "RFC 3339"]);
    }
    assert_contains(
        &error::<Channel>("create_time = 5"),
        &["create_time", "column 15"],
    );
}

// ----- labels --------------------------------------------------------------------------

#[test]
fn labels_traversal_and_presence() {
    let ch = prod();
    let bare = Channel::default();
    assert!(matches("labels.env = \"prod\"", &ch));
    assert!(matches("labels.env = prod", &ch));
    assert!(matches("labels.env = \"pr*\"", &ch));
    assert!(!matches("labels.env = \"dev\"", &ch));
    assert!(matches("labels.env != \"dev\"", &ch));
    assert!(matches("labels.env:*", &ch));
    assert!(
        matches("labels.empty:*", &ch),
        "a key with an empty value is present"
    );
    assert!(!matches("labels.missing:*", &ch));
    assert!(matches("labels:env", &ch));
    assert!(matches("labels:\"team\"", &ch));
    assert!(!matches("labels:missing", &ch));
    assert!(matches("labels:*", &ch));
    assert!(!matches("labels:*", &bare));
    assert!(matches("labels.\"env\" = prod", &ch), "quoted key");
    // AIP-160: `m.foo:42` is true if `m.foo` is 42 (equality, not substring).
    assert!(matches("labels.env:prod", &ch));
    assert!(!matches("labels.env:pro", &ch));
    assert!(matches("labels.team > \"t\"", &ch));
}

#[test]
fn missing_label_keys_fail_every_comparison() {
    let ch = prod();
    assert!(!matches("labels.missing = \"x\"", &ch));
    assert!(!matches("labels.missing != \"x\"", &ch));
    assert!(!matches("labels.missing < \"x\"", &ch));
    assert!(matches("NOT labels.missing = \"x\"", &ch));
}

#[test]
fn labels_misuse_is_an_error() {
    assert_contains(
        &error::<Channel>("labels = prod"),
        &["`labels` is a map", "labels:KEY", "not `=` (column 8)"],
    );
    assert_contains(
        &error::<Channel>("labels.a.b = c"),
        &["`labels.a.b`", "one segment"],
    );
}

// ----- logic and precedence ------------------------------------------------------------

#[test]
fn and_or_not_minus() {
    let ch = prod();
    assert!(matches(
        "labels.env = prod AND streaming_state = STREAMING",
        &ch
    ));
    assert!(!matches(
        "labels.env = prod AND streaming_state = STOPPED",
        &ch
    ));
    assert!(matches(
        "labels.env = dev OR streaming_state = STREAMING",
        &ch
    ));
    assert!(!matches(
        "labels.env = dev OR streaming_state = STOPPED",
        &ch
    ));
    assert!(matches("NOT labels.env = dev", &ch));
    assert!(matches("-labels.env = dev", &ch));
    assert!(matches("- labels.env = dev", &ch));
    assert!(!matches("-labels:env", &ch));
    assert!(matches("NOT NOT labels:env", &ch));
    assert!(
        matches("NOT(labels.env = dev)", &ch),
        "NOT right before a parenthesis"
    );
    assert!(matches("labels:env AND(labels:team)", &ch));
}

#[test]
fn juxtaposition_is_and() {
    let ch = prod();
    assert!(matches("labels:env labels:team", &ch));
    assert!(!matches("labels:env labels:missing", &ch));
    assert!(matches("(labels:env)(labels:team)", &ch));
}

#[test]
fn or_binds_tighter_than_and() {
    // a AND b OR c  ==  a AND (b OR c); with a false and c true the two readings differ.
    let a_false_c_true = Channel {
        labels: labels(&[("c", "1")]),
        ..Default::default()
    };
    assert!(!matches(
        "labels:a AND labels:b OR labels:c",
        &a_false_c_true
    ));
    assert!(matches(
        "(labels:a AND labels:b) OR labels:c",
        &a_false_c_true
    ));
    // a OR b AND c  ==  (a OR b) AND c.
    let a_true_c_false = Channel {
        labels: labels(&[("a", "1")]),
        ..Default::default()
    };
    assert!(!matches(
        "labels:a OR labels:b AND labels:c",
        &a_true_c_false
    ));
    assert!(matches(
        "labels:a OR (labels:b AND labels:c)",
        &a_true_c_false
    ));
    // Juxtaposition sits between: `a b OR c` is `a AND (b OR c)`.
    assert!(!matches("labels:a labels:b OR labels:c", &a_false_c_true));
    // NOT binds tightest: `NOT a OR b` is `(NOT a) OR b`.
    let a_and_b = Channel {
        labels: labels(&[("a", "1"), ("b", "1")]),
        ..Default::default()
    };
    assert!(matches("NOT labels:a OR labels:b", &a_and_b));
    assert!(!matches("NOT (labels:a OR labels:b)", &a_and_b));
}

#[test]
fn keywords_are_case_sensitive() {
    // `and` is not a keyword, so it is a bare value: an error, not a conjunction.
    assert_contains(
        &error::<Channel>("labels:a and labels:b"),
        &["`and`", "not a restriction", "column 10"],
    );
}

#[test]
fn composite_values_apply_the_field_to_each() {
    let ch = prod();
    assert!(matches("streaming_state = (STOPPED OR STREAMING)", &ch));
    assert!(!matches("streaming_state = (STOPPED OR STARTING)", &ch));
    assert!(matches("name = (\"*prod\" AND \"projects/*\")", &ch));
    assert!(matches("name = (\"*prod\" NOT \"*dev\")", &ch));
    assert!(!matches(
        "streaming_state = (STOPPED OR (STARTING OR AWAITING_INPUT))",
        &ch
    ));
    assert_contains(
        &error::<Channel>("streaming_state = (STOPPED OR name = x)"),
        &["only values", "`=` at column 17", "`=` at column 36"],
    );
    assert_contains(
        &error::<Channel>("streaming_state = (STOPPED OR BOGUS)"),
        &["`BOGUS`", "column 31"],
    );
}

// ----- per-resource fields -------------------------------------------------------------

#[test]
fn channel_fields_in_both_spellings() {
    let ch = prod();
    for text in [
        "streaming_state = STREAMING",
        "streamingState = STREAMING",
        "active_input = input-a",
        "activeInput = input-a",
        "create_time > 2024-01-01",
        "createTime > 2024-01-01",
        "update_time > 2024-03-01",
        "updateTime > 2024-03-01",
        "labels.env = prod",
        "name:prod",
    ] {
        assert!(matches(text, &ch), "{text}");
    }
    // Mixed or wrong spellings are unknown.
    for text in ["streaming_State = STREAMING", "StreamingState = STREAMING"] {
        assert_contains(&error::<Channel>(text), &["unknown field"]);
    }
}

#[test]
fn input_fields() {
    let item = Input {
        name: "projects/p/locations/l/inputs/i".into(),
        r#type: input::Type::SrtPush as i32,
        tier: input::Tier::UhdH265 as i32,
        labels: labels(&[("env", "prod")]),
        ..Default::default()
    };
    assert!(matches("type = SRT_PUSH", &item));
    assert!(matches("type != RTMP_PUSH", &item));
    assert!(matches("tier = UHD_H265 AND labels:env", &item));
    assert_contains(&error::<Input>("tier = XL"), &["Input.Tier", "SD, HD, UHD"]);
    assert_contains(
        &error::<Input>("state = READY"),
        &["unknown field `state`", "Input"],
    );
}

#[test]
fn event_fields() {
    let item = Event {
        name: "projects/p/locations/l/channels/c/events/e".into(),
        state: event::State::Scheduled as i32,
        execution_time: Some(ts("2030-01-01T00:00:00Z")),
        execute_now: false,
        ..Default::default()
    };
    assert!(matches("state = SCHEDULED", &item));
    assert!(matches("execution_time > \"2029-12-31T23:59:59Z\"", &item));
    assert!(matches(
        "executionTime = \"2030-01-01T01:00:00+01:00\"",
        &item
    ));
    assert!(matches("execute_now = false", &item));
    assert!(
        !matches("execute_now:*", &item),
        "false is the default, so not present"
    );
    assert_contains(&error::<Event>("state = LIVE"), &["Event.State"]);
}

#[test]
fn clip_dvr_session_and_asset_states() {
    let clip = Clip {
        state: clip::State::Creating as i32,
        ..Default::default()
    };
    assert!(matches("state = CREATING", &clip));
    assert_contains(&error::<Clip>("state = LIVE"), &["Clip.State"]);
    let dvr = DvrSession {
        state: dvr_session::State::Live as i32,
        ..Default::default()
    };
    assert!(matches("state = LIVE", &dvr));
    assert!(matches("state = (LIVE OR COOLDOWN)", &dvr));
    assert_contains(
        &error::<DvrSession>("state = ACTIVE"),
        &["DvrSession.State"],
    );
    let asset = Asset {
        state: asset::State::Active as i32,
        labels: labels(&[("kind", "slate")]),
        ..Default::default()
    };
    assert!(matches("state = ACTIVE AND labels.kind = slate", &asset));
    assert_contains(&error::<Asset>("state = LIVE"), &["Asset.State"]);
    for text in ["active_input = x", "streaming_state = STREAMING"] {
        assert_contains(&error::<Asset>(text), &["unknown field"]);
    }
}

fn operation(done: bool, metadata: Option<OperationMetadata>) -> Operation {
    Operation {
        name: "projects/p/locations/l/operations/operation-1".into(),
        done,
        metadata: metadata
            .map(|m| prost_types::Any::from_msg(&m).unwrap_or_else(|e| panic!("encode: {e}"))),
        ..Default::default()
    }
}

fn start_metadata() -> OperationMetadata {
    OperationMetadata {
        create_time: Some(ts("2024-05-01T00:00:00Z")),
        end_time: None,
        target: format!("{CHANNELS}ch-prod"),
        verb: "start".into(),
        requested_cancellation: true,
        api_version: "v1".into(),
    }
}

#[test]
fn operation_fields() {
    let op = operation(false, Some(start_metadata()));
    assert!(
        op.metadata
            .as_ref()
            .is_some_and(|m| m.type_url.starts_with("type.googleapis.com/"))
    );
    assert!(matches("done = false", &op));
    assert!(matches("metadata.verb = start", &op));
    assert!(matches("metadata.target = \"*/channels/ch-prod\"", &op));
    assert!(matches("metadata.target:ch-prod", &op));
    assert!(matches(
        "metadata.create_time >= \"2024-05-01T00:00:00Z\"",
        &op
    ));
    assert!(matches(
        "metadata.createTime < \"2024-05-02T00:00:00Z\"",
        &op
    ));
    assert!(!matches("metadata.end_time:*", &op));
    assert!(!matches("metadata.endTime < \"2099-01-01T00:00:00Z\"", &op));
    assert!(matches("metadata.requested_cancellation = true", &op));
    assert!(matches("metadata.requestedCancellation:*", &op));
    assert!(matches("name = \"*/operation-1\" AND NOT done = true", &op));
    assert_contains(
        &error::<Operation>("metadata.api_version = v1"),
        &[
            "unknown field `metadata.api_version`",
            "Operation",
            "metadata.verb (string)",
        ],
    );
    assert_contains(
        &error::<Operation>("labels:env"),
        &["unknown field `labels`"],
    );
}

#[test]
fn operation_metadata_that_does_not_decode_is_absent() {
    let url = "type.googleapis.com/google.cloud.video.livestream.v1.OperationMetadata";
    let broken = Operation {
        metadata: Some(prost_types::Any {
            type_url: url.into(),
            value: vec![0xff, 0xff, 0xff],
        }),
        ..Default::default()
    };
    let foreign = Operation {
        metadata: Some(prost_types::Any {
            type_url: "type.googleapis.com/google.protobuf.Empty".into(),
            value: start_metadata().encode_to_vec(),
        }),
        ..Default::default()
    };
    let none = operation(true, None);
    for op in [&broken, &foreign, &none] {
        for text in [
            "metadata.verb = start",
            "metadata.verb != start",
            "metadata.target:*",
            "metadata.requested_cancellation = false",
            "metadata.create_time < \"2099-01-01T00:00:00Z\"",
        ] {
            assert!(!matches(text, op), "{text} on {op:?}");
        }
    }
    assert!(matches("done = true", &none));
    // Any host in the type URL is fine.
    let other_host = Operation {
        metadata: Some(prost_types::Any {
            type_url: "example.com/google.cloud.video.livestream.v1.OperationMetadata".into(),
            value: start_metadata().encode_to_vec(),
        }),
        ..Default::default()
    };
    assert!(matches("metadata.verb = start", &other_host));
}

// ----- errors --------------------------------------------------------------------------

#[test]
fn unknown_fields_name_the_field_and_column() {
    let e = error::<Channel>("labels:env AND bogus = 1");
    assert_contains(
        &e,
        &[
            "unknown field `bogus`",
            "column 16",
            "Channel supports name (string), create_time (timestamp)",
            "streaming_state (enum), active_input (string)",
        ],
    );
    assert_contains(
        &error::<Channel>("output.uri = x"),
        &["`output.uri`", "column 1"],
    );
    assert_contains(&error::<Channel>("name.first = x"), &["`name.first`"]);
    // Columns count characters, not bytes.
    assert_contains(
        &error::<Channel>("name = \"é\" AND ü = 1"),
        &["`ü`", "column 16"],
    );
}

#[test]
fn syntax_errors_name_the_token_and_column() {
    for (text, expected) in [
        (
            "name =",
            &[
                "column 7",
                "expected a value after `=`",
                "end of the filter",
            ][..],
        ),
        ("name = \"abc", &["column 8", "unterminated string"]),
        ("name = 'abc\\", &["column 8", "unterminated string"]),
        ("name ! x", &["column 6", "`!`"]),
        ("name = = x", &["column 8", "found `=`"]),
        ("labels:a AND", &["column 13", "end of the filter"]),
        ("labels:a OR", &["column 12", "end of the filter"]),
        ("AND labels:a", &["column 1", "`AND`", "keyword"]),
        ("name = NOT", &["column 8", "`NOT`", "quote it"]),
        ("(labels:a", &["column 10", "`)`", "column 1"]),
        ("labels:a)", &["column 9", "found `)`"]),
        ("()", &["column 2", "found `)`"]),
        ("name . x = 1", &["column 6", "found `.`"]),
        ("labels. env = 1", &["column 7", "right after `.`"]),
        ("labels.env = 1 ,", &["column 16", "`,`"]),
        ("NOT", &["column 4", "end of the filter"]),
        ("-", &["column 2", "end of the filter"]),
        ("name = -", &["column 8", "`-`"]),
        ("f(a, b", &["column 7", "`,` or `)`"]),
    ] {
        let e = error::<Channel>(text);
        assert_contains(&e, expected);
        assert!(e.starts_with("syntax error at column"), "{e}");
    }
}

#[test]
fn unsupported_constructs_are_errors() {
    assert_contains(
        &error::<Channel>("regex(name, \"^prod\")"),
        &["function `regex`", "column 1", "not supported"],
    );
    assert_contains(
        &error::<Channel>("name = lower(x)"),
        &["function `lower`", "column 8"],
    );
    assert_contains(
        &error::<Channel>("math.mem(1) < 3"),
        &["function `math.mem`"],
    );
    assert_contains(
        &error::<Channel>("prod"),
        &["`prod` at column 1 is not a restriction", "free-text"],
    );
    assert_contains(
        &error::<Channel>("\"name\" = x"),
        &["expected a field name at column 1", "not quoted"],
    );
    assert_contains(
        &error::<Channel>("labels.v = \"1\".\"2\""),
        &["quoted string at column 12", "dotted value"],
    );
}

#[test]
fn length_limit() {
    let at_limit = format!("name = \"{}\"", "x".repeat(MAX_LENGTH - 9));
    assert_eq!(at_limit.len(), MAX_LENGTH);
    assert!(Filter::<Channel>::parse(&at_limit).is_ok());
    let over = format!("{at_limit} ");
    assert_contains(&error::<Channel>(&over), &["8193 bytes", "limit is 8192"]);
    assert_contains(
        &order_error::<Channel>(&"name,".repeat(2000)),
        &["10000 bytes", "limit is 8192"],
    );
}

#[test]
fn depth_limit() {
    let nested = |n: usize| format!("{}labels:a{}", "(".repeat(n), ")".repeat(n));
    assert!(Filter::<Channel>::parse(&nested(MAX_DEPTH)).is_ok());
    assert_contains(
        &error::<Channel>(&nested(MAX_DEPTH + 1)),
        &["nests more than 64 levels", "column 65"],
    );
    // Far beyond the limit: an error, not a stack overflow.
    assert_contains(&error::<Channel>(&nested(4000)), &["nests more than 64"]);
    let nots = |n: usize| format!("{}labels:a", "NOT ".repeat(n));
    assert!(Filter::<Channel>::parse(&nots(MAX_DEPTH)).is_ok());
    assert!(matches(&nots(3), &Channel::default()));
    assert!(!matches(&nots(4), &Channel::default()));
    assert_contains(&error::<Channel>(&nots(2000)), &["nests more than 64"]);
    assert_contains(
        &error::<Channel>(&"-".repeat(8000)),
        &["nests more than 64"],
    );
    assert_contains(
        &error::<Channel>(&format!("name = {}x{}", "(".repeat(100), ")".repeat(100))),
        &["nests more than 64"],
    );
    assert_contains(
        &error::<Channel>(&"f(".repeat(100)),
        &["nests more than 64"],
    );
}

#[test]
fn long_flat_filters_parse_quickly() {
    // ~8 KiB of ORs and ANDs: linear work, no recursion per term.
    let many = vec!["labels:a"; 600].join(" OR ");
    assert!(many.len() < MAX_LENGTH);
    assert!(!matches(&many, &Channel::default()));
    let many = vec!["-labels:a"; 800].join(" ");
    assert!(matches(&many, &Channel::default()));
}

#[test]
fn error_display() {
    let e = Filter::<Channel>::parse("bogus = 1").expect_err("unknown field");
    assert!(
        e.to_string()
            .starts_with("invalid filter: unknown field `bogus` at column 1")
    );
    let e = OrderBy::<Channel>::parse("bogus").expect_err("unknown field");
    assert!(
        e.to_string()
            .starts_with("invalid order_by: unknown field `bogus` at column 1")
    );
    let long = format!("{} = 1", "x".repeat(100));
    assert!(
        error::<Channel>(&long).contains("…"),
        "long tokens are shortened"
    );
}

#[test]
fn compiled_filters_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Filter<Channel>>();
    send_sync::<OrderBy<Operation>>();
    send_sync::<FilterError>();
}

#[test]
fn describe_lists_fields_with_types() {
    assert_eq!(
        describe::<Event>(),
        "name (string), create_time (timestamp), update_time (timestamp), labels (map), \
         state (enum), execution_time (timestamp), execute_now (boolean)"
    );
}

// ----- order_by ------------------------------------------------------------------------

fn sorted<T: Filterable + Clone>(order_by: &str, items: &[T]) -> Vec<String> {
    let order =
        OrderBy::<T>::parse(order_by).unwrap_or_else(|e| panic!("{order_by:?} should parse: {e}"));
    let mut items = items.to_vec();
    items.sort_by(|a, b| order.compare(a, b));
    items.iter().map(|i| i.resource_name().to_owned()).collect()
}

fn ids(names: Vec<String>) -> Vec<String> {
    names
        .into_iter()
        .map(|n| n.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

fn order_fixture() -> Vec<Channel> {
    let make = |id: &str, state, created: Option<&str>, env: Option<&str>| Channel {
        create_time: created.map(ts),
        labels: env.map(|e| labels(&[("env", e)])).unwrap_or_default(),
        ..channel(id, state)
    };
    use channel::StreamingState::{Starting, Stopped, Streaming};
    vec![
        make("d", Stopped, Some("2024-01-02T00:00:00Z"), Some("prod")),
        make("a", Streaming, Some("2024-01-03T00:00:00Z"), None),
        make("c", Stopped, Some("2024-01-01T00:00:00Z"), Some("dev")),
        make("b", Starting, None, Some("prod")),
    ]
}

#[test]
fn order_by_default_and_name() {
    for text in [
        "",
        "  ",
        "name",
        "name asc",
        " name  ASC ",
        "name, create_time desc",
    ] {
        let order = OrderBy::<Channel>::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(order.is_default(), "{text:?}");
    }
    for text in ["name desc", "create_time", "create_time, name"] {
        let order = OrderBy::<Channel>::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(!order.is_default(), "{text:?}");
    }
    assert_eq!(ids(sorted("", &order_fixture())), ["a", "b", "c", "d"]);
    assert_eq!(
        ids(sorted("name desc", &order_fixture())),
        ["d", "c", "b", "a"]
    );
}

#[test]
fn order_by_keys_directions_and_ties() {
    let items = order_fixture();
    // Unset create_time first; then chronological.
    assert_eq!(ids(sorted("create_time", &items)), ["b", "c", "d", "a"]);
    assert_eq!(ids(sorted("createTime desc", &items)), ["a", "d", "c", "b"]);
    // Enums by number: STREAMING(1) < STOPPED(6) < STARTING(7); ties by name.
    assert_eq!(ids(sorted("streaming_state", &items)), ["a", "c", "d", "b"]);
    assert_eq!(
        ids(sorted("streamingState DESC", &items)),
        ["b", "c", "d", "a"]
    );
    // Multi-key: state desc, then create_time desc.
    assert_eq!(
        ids(sorted("streaming_state desc, create_time desc", &items)),
        ["b", "d", "c", "a"]
    );
    // A label: missing first, then by value; ties broken by name.
    assert_eq!(ids(sorted("labels.env", &items)), ["a", "c", "b", "d"]);
    assert_eq!(ids(sorted("labels.env desc", &items)), ["b", "d", "c", "a"]);
    // Ties on every key still give a total order, by name.
    assert_eq!(
        ids(sorted("active_input desc", &items)),
        ["a", "b", "c", "d"]
    );
}

#[test]
fn order_by_on_operations_and_events() {
    let mut old = operation(true, Some(start_metadata()));
    old.name = "projects/p/locations/l/operations/z".into();
    let mut new = operation(false, None);
    new.name = "projects/p/locations/l/operations/y".into();
    new.metadata = Some(
        prost_types::Any::from_msg(&OperationMetadata {
            create_time: Some(ts("2025-01-01T00:00:00Z")),
            ..start_metadata()
        })
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let ops = [old, new];
    assert_eq!(ids(sorted("metadata.create_time desc", &ops)), ["y", "z"]);
    assert_eq!(ids(sorted("done", &ops)), ["y", "z"]);
    assert_eq!(ids(sorted("done desc, name", &ops)), ["z", "y"]);
    let events = [
        Event {
            name: "e2".into(),
            execute_now: true,
            ..Default::default()
        },
        Event {
            name: "e1".into(),
            execution_time: Some(ts("2024-01-01T00:00:00Z")),
            ..Default::default()
        },
    ];
    assert_eq!(sorted("execute_now desc", &events), ["e2", "e1"]);
    assert_eq!(sorted("executionTime", &events), ["e2", "e1"]);
}

#[test]
fn order_by_errors() {
    for (text, expected) in [
        (
            "bogus",
            &["unknown field `bogus`", "column 1", "Channel supports"][..],
        ),
        ("name, bogus desc", &["unknown field `bogus`", "column 7"]),
        (
            "name sideways",
            &["unknown direction `sideways`", "column 6", "asc` or `desc"],
        ),
        ("name desc extra", &["unexpected `extra`", "column 11"]),
        ("name,", &["empty item", "column 6"]),
        (",name", &["empty item", "column 1"]),
        ("name,,create_time", &["empty item", "column 6"]),
        ("labels", &["`labels` at column 1 is a map", "labels.env"]),
        ("labels.", &["unknown field `labels.`"]),
        ("name.x", &["unknown field `name.x`"]),
    ] {
        assert_contains(&order_error::<Channel>(text), expected);
    }
    assert_contains(
        &order_error::<Operation>("create_time"),
        &["unknown field", "Operation"],
    );
}

// ----- properties ----------------------------------------------------------------------

/// Parses `text` as a filter and an order_by for every resource and uses what parses.
fn exercise(text: &str) {
    fn one<T: Filterable + Default>(text: &str, sample: &T) {
        if let Ok(filter) = Filter::<T>::parse(text) {
            let _ = filter.matches(&T::default());
            let _ = filter.matches(sample);
        }
        if let Ok(order) = OrderBy::<T>::parse(text) {
            let _ = order.is_default();
            let _ = order.compare(&T::default(), sample);
        }
    }
    one::<Channel>(text, &prod());
    one::<Input>(text, &Input::default());
    one::<Event>(text, &Event::default());
    one::<Clip>(text, &Clip::default());
    one::<DvrSession>(text, &DvrSession::default());
    one::<Asset>(text, &Asset::default());
    one::<Operation>(text, &operation(true, Some(start_metadata())));
}

/// A reference model of a filter over a few Channel fields, printed as AIP-160 text and
/// evaluated directly, independently of the parser.
#[derive(Clone, Debug)]
enum Model {
    Leaf(Leaf),
    /// `juxtapose` prints `a b` instead of `a AND b`.
    And(Vec<Model>, bool),
    Or(Vec<Model>),
    /// `minus` prints `-a` instead of `NOT a`.
    Not(Box<Model>, bool),
    Paren(Box<Model>),
}

#[derive(Clone, Debug)]
enum Leaf {
    State(bool, channel::StreamingState),
    Name(StrOp, String, bool, bool),
    LabelEq(String, String),
    LabelKey(String),
    LabelPresent(String),
    Created(Comparator, i64),
}

#[derive(Clone, Copy, Debug)]
enum StrOp {
    Eq,
    Ne,
    Lt,
    Ge,
    Has,
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '*') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn print(model: &Model) -> String {
    match model {
        Model::Leaf(leaf) => match leaf {
            Leaf::State(ne, s) => {
                format!(
                    "streaming_state {} {}",
                    if *ne { "!=" } else { "=" },
                    s.as_str_name()
                )
            }
            Leaf::Name(op, v, pre, post) => {
                let op = match op {
                    StrOp::Eq => "=",
                    StrOp::Ne => "!=",
                    StrOp::Lt => "<",
                    StrOp::Ge => ">=",
                    StrOp::Has => ":",
                };
                let quoted = quote(v);
                let inner = &quoted[1..quoted.len() - 1];
                let pre = if *pre { "*" } else { "" };
                let post = if *post { "*" } else { "" };
                format!("name {op} \"{pre}{inner}{post}\"")
            }
            Leaf::LabelEq(k, v) => format!("labels.{k} = {}", quote(v)),
            Leaf::LabelKey(k) => format!("labels:{k}"),
            Leaf::LabelPresent(k) => format!("labels.{k}:*"),
            Leaf::Created(op, secs) => {
                let t = prost_types::Timestamp {
                    seconds: *secs,
                    nanos: 0,
                };
                format!("create_time {} \"{t}\"", op.symbol())
            }
        },
        Model::And(children, juxtapose) => {
            let sep = if *juxtapose { " " } else { " AND " };
            children.iter().map(print).collect::<Vec<_>>().join(sep)
        }
        Model::Or(children) => children
            .iter()
            .map(|c| match c {
                // AND binds looser than OR, so it needs parentheses inside one.
                Model::And(..) => format!("({})", print(c)),
                _ => print(c),
            })
            .collect::<Vec<_>>()
            .join(" OR "),
        Model::Not(inner, minus) => {
            let op = if *minus { "-" } else { "NOT " };
            match **inner {
                Model::Leaf(_) | Model::Paren(_) | Model::Not(..) => {
                    format!("{op}{}", print(inner))
                }
                _ => format!("{op}({})", print(inner)),
            }
        }
        Model::Paren(inner) => format!("({})", print(inner)),
    }
}

fn reference(model: &Model, ch: &Channel) -> bool {
    match model {
        Model::Leaf(leaf) => match leaf {
            Leaf::State(ne, s) => (ch.streaming_state == *s as i32) != *ne,
            Leaf::Name(op, v, pre, post) => {
                let n = ch.name.as_str();
                let full = format!(
                    "{}{v}{}",
                    if *pre { "*" } else { "" },
                    if *post { "*" } else { "" }
                );
                let eq = match (pre, post) {
                    (false, false) => n == v,
                    (true, false) => n.ends_with(v.as_str()),
                    (false, true) => n.starts_with(v.as_str()),
                    (true, true) => n.contains(v.as_str()),
                };
                match op {
                    StrOp::Eq => eq,
                    StrOp::Ne => !eq,
                    StrOp::Lt => n < full.as_str(),
                    StrOp::Ge => n >= full.as_str(),
                    // `name:"*"` is the presence test: a non-empty name.
                    StrOp::Has if v.is_empty() && (*pre || *post) => !n.is_empty(),
                    StrOp::Has => n.contains(v.as_str()),
                }
            }
            Leaf::LabelEq(k, v) => ch.labels.get(k) == Some(v),
            Leaf::LabelKey(k) | Leaf::LabelPresent(k) => ch.labels.contains_key(k),
            Leaf::Created(op, secs) => ch.create_time.is_some_and(|t| {
                let o = (t.seconds, t.nanos).cmp(&(*secs, 0));
                match op {
                    Comparator::Eq | Comparator::Has => o.is_eq(),
                    Comparator::Ne => o.is_ne(),
                    Comparator::Lt => o.is_lt(),
                    Comparator::Le => o.is_le(),
                    Comparator::Gt => o.is_gt(),
                    Comparator::Ge => o.is_ge(),
                }
            }),
        },
        Model::And(children, _) => children.iter().all(|c| reference(c, ch)),
        Model::Or(children) => children.iter().any(|c| reference(c, ch)),
        Model::Not(inner, _) => !reference(inner, ch),
        Model::Paren(inner) => reference(inner, ch),
    }
}

fn state() -> impl Strategy<Value = channel::StreamingState> {
    use channel::StreamingState::*;
    prop::sample::select(vec![
        Unspecified,
        Streaming,
        Stopped,
        Starting,
        StreamingError,
    ])
}

fn small_text() -> impl Strategy<Value = String> {
    "[ab*\"\\\\ é]{0,3}"
}

fn label_key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["env".to_owned(), "team".to_owned(), "x-y".to_owned()])
}

fn leaf() -> impl Strategy<Value = Leaf> {
    let str_op = prop::sample::select(vec![StrOp::Eq, StrOp::Ne, StrOp::Lt, StrOp::Ge, StrOp::Has]);
    let cmp = prop::sample::select(vec![
        Comparator::Eq,
        Comparator::Ne,
        Comparator::Lt,
        Comparator::Le,
        Comparator::Gt,
        Comparator::Ge,
        Comparator::Has,
    ]);
    prop_oneof![
        (any::<bool>(), state()).prop_map(|(ne, s)| Leaf::State(ne, s)),
        (str_op, small_text(), any::<bool>(), any::<bool>())
            .prop_map(|(op, v, pre, post)| Leaf::Name(op, v, pre, post)),
        (label_key(), small_text()).prop_map(|(k, v)| Leaf::LabelEq(k, v)),
        label_key().prop_map(Leaf::LabelKey),
        label_key().prop_map(Leaf::LabelPresent),
        (cmp, 0i64..4).prop_map(|(op, s)| Leaf::Created(op, s * 1000)),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    leaf()
        .prop_map(Model::Leaf)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 2..4), any::<bool>())
                    .prop_map(|(c, j)| Model::And(c, j)),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Model::Or),
                (inner.clone(), any::<bool>())
                    .prop_map(|(m, minus)| Model::Not(Box::new(m), minus)),
                inner.prop_map(|m| Model::Paren(Box::new(m))),
            ]
        })
}

fn any_channel() -> impl Strategy<Value = Channel> {
    (
        small_text(),
        state(),
        prop::collection::hash_map(label_key(), small_text(), 0..3),
        prop::option::of(0i64..4),
    )
        .prop_map(|(id, s, labels, created)| Channel {
            name: if id.len() % 2 == 0 {
                id
            } else {
                format!("{CHANNELS}{id}")
            },
            streaming_state: s as i32,
            labels,
            create_time: created.map(|c| prost_types::Timestamp {
                seconds: c * 1000,
                nanos: 0,
            }),
            active_input: "in".into(),
            ..Default::default()
        })
}

fn order_spec() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "name",
        "create_time",
        "createTime",
        "streaming_state",
        "labels.env",
        "labels.team",
        "active_input",
        "update_time",
    ]);
    let dir = prop::sample::select(vec!["", " asc", " desc", " DESC"]);
    prop::collection::vec((key, dir), 1..4).prop_map(|keys| {
        keys.iter()
            .map(|(k, d)| format!("{k}{d}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn filter_like_strings_never_panic(
        text in "[a-z_.:=<>!()\"'\\\\*, -]{0,40}|(NOT |AND |OR |labels|name|state|create_time|\\(|\\)|\"|-|=|:|\\*|\\.| ){0,30}"
    ) {
        exercise(&text);
    }

    #[test]
    fn printed_models_parse_and_agree_with_the_reference(
        model in model(),
        channels in prop::collection::vec(any_channel(), 1..6),
    ) {
        let text = print(&model);
        let filter = Filter::<Channel>::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        for ch in &channels {
            prop_assert_eq!(filter.matches(ch), reference(&model, ch), "{} on {:?}", text, ch);
        }
    }

    #[test]
    fn order_by_is_a_total_order(
        spec in order_spec(),
        channels in prop::collection::vec(any_channel(), 1..7),
    ) {
        let order = OrderBy::<Channel>::parse(&spec)
            .map_err(|e| TestCaseError::fail(format!("{spec}: {e}")))?;
        for a in &channels {
            prop_assert_eq!(order.compare(a, a), Ordering::Equal);
            for b in &channels {
                let ab = order.compare(a, b);
                prop_assert_eq!(ab, order.compare(b, a).reverse(), "antisymmetry, {}", spec);
                if ab.is_eq() {
                    prop_assert_eq!(&a.name, &b.name, "only same-named items tie");
                }
                for c in &channels {
                    if ab.is_le() && order.compare(b, c).is_le() {
                        prop_assert!(order.compare(a, c).is_le(), "transitivity, {}", spec);
                    }
                }
            }
        }
        let mut sorted = channels.clone();
        sorted.sort_by(|a, b| order.compare(a, b));
        for pair in sorted.windows(2) {
            prop_assert!(order.compare(&pair[0], &pair[1]).is_le());
        }
    }
}

/// The `| `ListX` | fields |` row of EMULATOR.md's table of filter fields, as paths.
fn documented_fields(list: &str) -> Vec<String> {
    const DOC: &str = include_str!("../../../EMULATOR.md");
    let prefix = format!("| `{list}` |");
    let row = DOC
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("EMULATOR.md documents no filter fields for {list}"));
    row[prefix.len()..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn paths<T: Filterable>() -> Vec<String> {
    T::FIELDS.iter().map(|f| f.path.to_owned()).collect()
}

#[test]
fn emulator_md_documents_every_lists_filter_fields() {
    assert_eq!(documented_fields("ListChannels"), paths::<Channel>());
    assert_eq!(documented_fields("ListInputs"), paths::<Input>());
    assert_eq!(documented_fields("ListEvents"), paths::<Event>());
    assert_eq!(documented_fields("ListClips"), paths::<Clip>());
    assert_eq!(documented_fields("ListDvrSessions"), paths::<DvrSession>());
    assert_eq!(documented_fields("ListAssets"), paths::<Asset>());
    assert_eq!(documented_fields("ListOperations"), paths::<Operation>());
}

#[test]
fn emulator_md_filter_examples_parse() {
    Filter::<Channel>::parse(r#"streaming_state = STREAMING AND labels.team = "video""#).unwrap();
    Filter::<Channel>::parse(r#"create_time > "2025-01-01T00:00:00Z""#).unwrap();
    Filter::<Operation>::parse(r#"done = false AND metadata.verb = "start""#).unwrap();
}
