//! The query string of a REST call: system parameters (`$alt=json;enum-encoding=int` in every
//! spelling clients send it, other `$` parameters) and the request fields it binds, as
//! proto3 JSON to merge into the request (`pageSize=10`, `channel.output.uri=…` dotted for
//! nested fields, a repeated key per item of a repeated field, lowerCamel or snake_case names,
//! `updateMask` as comma-separated paths, Durations as `"3.5s"`, Timestamps in RFC 3339).
//!
//! A parameter with an empty value (`channelId=`) is unset (even one this API does not
//! know: a client built from newer protos sends its new fields so), as is a field's default
//! value (`pageSize=0`, `force=false`): proto3 does not tell them apart, and Google's Rust
//! crate sends every field so.

use percent_encoding::percent_decode;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

/// The system parameters without a `$` that Google's front ends accept on every method
/// (and that no request of this API has a field for).
const SYSTEM: &[&str] = &[
    "alt",
    "prettyPrint",
    "fields",
    "key",
    "quotaUser",
    "access_token",
    "callback",
    "uploadType",
    "upload_protocol",
];

/// A parsed query string.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Query {
    /// The request-field parameters, decoded, in order.
    pub(crate) fields: Vec<(String, String)>,
    /// `enum-encoding=int` in `$alt`: answer enums as numbers.
    pub(crate) enum_numbers: bool,
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space.
fn decode(component: &str) -> Result<String, String> {
    let spaced = component.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("the query parameter {component:?} is not valid UTF-8 once decoded"))
}

/// Parses a query string (without the `?`).
pub(crate) fn parse(query: &str) -> Result<Query, String> {
    let mut parsed = Query::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        // The first '=' ends the key: `$alt=json%3Benum-encoding=int` keeps its raw '='.
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (decode(key)?, decode(value)?);
        match key.strip_prefix('$') {
            Some("alt") => parsed.enum_numbers = alt(&value)?,
            Some(_) => {}
            None if key == "alt" => parsed.enum_numbers = alt(&value)?,
            None if SYSTEM.contains(&key.as_str()) => {}
            None => parsed.fields.push((key, value)),
        }
    }
    Ok(parsed)
}

/// `$alt`: `json` with optional `;`-separated parameters; `enum-encoding=int` asks for enums
/// as numbers. Only JSON is served.
fn alt(value: &str) -> Result<bool, String> {
    let mut parts = value.split(';').map(str::trim);
    let format = parts.next().unwrap_or_default();
    if !format.eq_ignore_ascii_case("json") {
        return Err(format!(
            "unsupported $alt {value:?}: this emulator answers JSON only (`$alt=json`)"
        ));
    }
    Ok(parts.any(|p| {
        p.split_once('=')
            .is_some_and(|(k, v)| k.trim() == "enum-encoding" && v.trim() == "int")
    }))
}

/// A field of `message` by its proto name or its JSON (lowerCamel) name.
pub(crate) fn field(message: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    message
        .get_field_by_name(name)
        .or_else(|| message.get_field_by_json_name(name))
}

/// What the query may not bind: the path's fields (the path wins) and the body's.
pub(crate) struct Bound<'a> {
    /// Field paths bound by the path (`name`, `channel.name`), as proto names.
    pub(crate) path: Vec<&'a str>,
    /// The body field (`channel`), or `None` when the body is the whole request (`*`: no
    /// field may come from the query) or there is no body.
    pub(crate) body: Option<&'a str>,
    /// The body is the whole request.
    pub(crate) whole_body: bool,
}

/// The request fields of `query` as a proto3 JSON object of `message`.
pub(crate) fn bind(
    message: &MessageDescriptor,
    fields: &[(String, String)],
    bound: &Bound<'_>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (key, value) in fields {
        if value.is_empty() {
            // Unset, whatever the name: a client built from newer protos sends its new
            // fields so, and an empty value sets nothing.
            continue;
        }
        if bound.whole_body {
            return Err(format!(
                "cannot bind query parameter {key:?}: this method takes the whole request in its body"
            ));
        }
        let mut names = Vec::new();
        let mut current = message.clone();
        let mut descriptors = Vec::new();
        for (i, part) in key.split('.').enumerate() {
            let Some(f) = field(&current, part) else {
                return Err(format!(
                    "cannot bind query parameter {key:?}: {} has no field {part:?}",
                    current.full_name()
                ));
            };
            names.push(f.name().to_owned());
            let last = i + 1 == key.split('.').count();
            if !last {
                match f.kind() {
                    Kind::Message(inner)
                        if !f.is_list() && !f.is_map() && !is_scalar_wkt(&inner) =>
                    {
                        current = inner
                    }
                    _ => {
                        return Err(format!(
                            "cannot bind query parameter {key:?}: {} is not a message field",
                            f.full_name()
                        ));
                    }
                }
            }
            descriptors.push(f);
        }
        let proto_path = names.join(".");
        if let Some(body) = bound.body
            && names.first().is_some_and(|n| n == body)
        {
            return Err(format!(
                "cannot bind query parameter {key:?}: the field {body:?} comes from the request body"
            ));
        }
        if bound.path.contains(&proto_path.as_str()) {
            continue; // the path wins
        }
        let Some(leaf) = descriptors.last() else {
            continue;
        };
        let json = scalar(leaf, value)
            .map_err(|why| format!("invalid value {value:?} for query parameter {key:?}: {why}"))?;
        let mut object = &mut out;
        for f in &descriptors[..descriptors.len() - 1] {
            let entry = object
                .entry(f.json_name().to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            object = match entry {
                Value::Object(inner) => inner,
                _ => return Err(format!("query parameter {key:?} conflicts with another")),
            };
        }
        let name = leaf.json_name().to_owned();
        if leaf.is_list() {
            match object
                .entry(name)
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(json),
                _ => return Err(format!("query parameter {key:?} conflicts with another")),
            }
        } else if object.insert(name, json).is_some() {
            return Err(format!(
                "query parameter {key:?} is repeated but its field is not a repeated field"
            ));
        }
    }
    Ok(out)
}

/// The well-known types whose JSON form is a string or a number, which a query parameter
/// can carry.
fn is_scalar_wkt(message: &MessageDescriptor) -> bool {
    matches!(
        message.full_name(),
        "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
    )
}

/// A query parameter's value as the proto3 JSON of its field (one item of a repeated one):
/// what the JSON parser then checks (a number's range, an enum's name, a timestamp).
fn scalar(field: &FieldDescriptor, value: &str) -> Result<Value, String> {
    if field.is_map() {
        return Err("a map field cannot be a query parameter".to_owned());
    }
    let kind = match field.kind() {
        Kind::Message(m) if m.full_name() == "google.protobuf.FieldMask" => {
            return Ok(Value::String(lower_camel_mask(value)));
        }
        Kind::Message(m) if m.full_name() == "google.protobuf.BoolValue" => Kind::Bool,
        Kind::Message(m) if is_scalar_wkt(&m) => Kind::String,
        other => other,
    };
    Ok(match kind {
        Kind::Bool => match value {
            "true" | "True" | "1" => Value::Bool(true),
            "false" | "False" | "0" => Value::Bool(false),
            _ => return Err("expected true or false".to_owned()),
        },
        Kind::Enum(_) => match value.parse::<i32>() {
            Ok(number) => Value::from(number),
            Err(_) => Value::String(value.to_owned()),
        },
        Kind::Message(m) => {
            return Err(format!(
                "{} is a message: bind its fields with dotted names",
                m.full_name()
            ));
        }
        // Numbers go as strings, which proto3 JSON accepts for every numeric type.
        _ => Value::String(value.to_owned()),
    })
}

/// A field mask's paths in lowerCamel, as its JSON form must be (`input_attachments` →
/// `inputAttachments`): clients send either.
fn lower_camel_mask(mask: &str) -> String {
    let mut out = String::with_capacity(mask.len());
    let mut upper = false;
    for c in mask.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn descriptor(name: &str) -> MessageDescriptor {
        crate::reflect::descriptor_pool()
            .unwrap()
            .get_message_by_name(name)
            .unwrap()
    }

    fn v1(name: &str) -> MessageDescriptor {
        descriptor(&format!("google.cloud.video.livestream.v1.{name}"))
    }

    fn no_bounds() -> Bound<'static> {
        Bound {
            path: vec![],
            body: None,
            whole_body: false,
        }
    }

    fn bound_json(message: &MessageDescriptor, query: &str) -> Result<Value, String> {
        let parsed = parse(query)?;
        bind(message, &parsed.fields, &no_bounds()).map(Value::Object)
    }

    #[test]
    fn alt_in_every_spelling() {
        for query in [
            "$alt=json;enum-encoding=int",
            "%24alt=json%3Benum-encoding%3Dint",
            "$alt=json%3Benum-encoding=int",
            "pageSize=3&%24alt=json%3Benum-encoding%3Dint",
            "alt=json;enum-encoding=int",
        ] {
            let q = parse(query).unwrap();
            assert!(q.enum_numbers, "{query}");
        }
        for query in [
            "$alt=json",
            "",
            "$alt=json;enum-encoding=string",
            "$prettyPrint=false&$fields=x",
        ] {
            assert!(!parse(query).unwrap().enum_numbers, "{query}");
        }
        assert!(parse("$alt=proto").unwrap_err().contains("JSON only"));
        assert_eq!(
            parse("$alt=json&$.xgafv=2&prettyPrint=false&key=abc&fields=name").unwrap(),
            Query::default()
        );
    }

    #[test]
    fn names_in_lower_camel_or_snake_case_and_form_decoding() {
        let list = v1("ListChannelsRequest");
        let expected = json!({"pageSize": "10", "pageToken": "t", "filter": "a = \"b c\"", "orderBy": "name desc"});
        assert_eq!(
            bound_json(
                &list,
                "pageSize=10&pageToken=t&filter=a+%3D+%22b%20c%22&orderBy=name+desc"
            )
            .unwrap(),
            expected
        );
        assert_eq!(
            bound_json(
                &list,
                "page_size=10&page_token=t&filter=a+%3D+%22b%20c%22&order_by=name+desc"
            )
            .unwrap(),
            expected
        );
        assert!(
            bound_json(&list, "pageSise=1")
                .unwrap_err()
                .contains("no field \"pageSise\"")
        );
        assert!(parse("filter=%ff").is_err());
    }

    #[test]
    fn nested_repeated_and_typed_values() {
        // Dotted paths into nested messages, repeated keys for a repeated field.
        let update = v1("UpdateChannelRequest");
        assert!(
            bound_json(&update, "channel.input_attachments=x")
                .unwrap_err()
                .contains("InputAttachment is a message: bind its fields with dotted names")
        );
        assert_eq!(
            bound_json(&update, "channel.output.uri=gs://b/o&channel.labels.a=b").unwrap_err(),
            "cannot bind query parameter \"channel.labels.a\": google.cloud.video.livestream.v1.Channel.labels is not a message field"
        );
        let response = v1("ListChannelsResponse");
        assert_eq!(
            bound_json(&response, "unreachable=a&unreachable=b&nextPageToken=n").unwrap(),
            json!({"unreachable": ["a", "b"], "nextPageToken": "n"})
        );
        assert_eq!(
            bound_json(
                &update,
                "updateMask=inputAttachments,output.uri&channel.output.uri=x"
            )
            .unwrap(),
            json!({"updateMask": "inputAttachments,output.uri", "channel": {"output": {"uri": "x"}}})
        );
        assert_eq!(
            bound_json(&update, "update_mask=input_attachments,output.uri").unwrap(),
            json!({"updateMask": "inputAttachments,output.uri"})
        );
        // Durations, timestamps, enums by name or number, bools.
        let event = v1("Event");
        assert_eq!(
            bound_json(&event, "adBreak.duration=3.5s&executionTime=2025-01-02T03:04:05.5Z&state=RUNNING&executeNow=true")
                .unwrap(),
            json!({"adBreak": {"duration": "3.5s"}, "executionTime": "2025-01-02T03:04:05.5Z", "state": "RUNNING", "executeNow": true})
        );
        assert_eq!(bound_json(&event, "state=2").unwrap(), json!({"state": 2}));
        assert!(
            bound_json(&event, "executeNow=maybe")
                .unwrap_err()
                .contains("true or false")
        );
        assert!(
            bound_json(&event, "executeNow=true&executeNow=false")
                .unwrap_err()
                .contains("not a repeated field")
        );
    }

    #[test]
    fn update_masks_become_lower_camel() {
        assert_eq!(
            lower_camel_mask("input_attachments,output.uri"),
            "inputAttachments,output.uri"
        );
        assert_eq!(
            lower_camel_mask("inputAttachments,labels"),
            "inputAttachments,labels"
        );
        assert_eq!(lower_camel_mask("a_b.c_d_e"), "aB.cDE");
    }

    #[test]
    fn defaults_are_unset() {
        let create = v1("CreateChannelRequest");
        // Empty values leave the field out; `0` and `false` stay (and decode to the default).
        assert_eq!(
            bound_json(&create, "channelId=&requestId=&fieldFromNewerProtos=").unwrap(),
            json!({})
        );
        let delete = v1("DeleteChannelRequest");
        assert_eq!(
            bound_json(&delete, "requestId=&force=false").unwrap(),
            json!({"force": false})
        );
    }

    #[test]
    fn the_path_and_the_body_take_precedence() {
        let update = v1("UpdateChannelRequest");
        let q = parse("channel.name=x&requestId=r&updateMask=output").unwrap();
        let with_body = Bound {
            path: vec!["channel.name"],
            body: Some("channel"),
            whole_body: false,
        };
        assert!(
            bind(&update, &q.fields, &with_body)
                .unwrap_err()
                .contains("comes from the request body")
        );
        let path_only = Bound {
            path: vec!["channel.name"],
            body: None,
            whole_body: false,
        };
        assert_eq!(
            Value::Object(bind(&update, &q.fields, &path_only).unwrap()),
            json!({"requestId": "r", "updateMask": "output"})
        );
        let whole = Bound {
            path: vec!["name"],
            body: None,
            whole_body: true,
        };
        assert!(
            bind(
                &v1("StartChannelRequest"),
                &parse("requestId=r").unwrap().fields,
                &whole
            )
            .is_err()
        );
        assert!(
            bind(
                &v1("StartChannelRequest"),
                &parse("$alt=json").unwrap().fields,
                &whole
            )
            .is_ok()
        );
    }
}
