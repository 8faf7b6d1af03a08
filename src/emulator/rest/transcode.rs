//! Transcoding one REST call: its path bindings, query and JSON body into the RPC's request
//! message and a gRPC request for the emulator's own service; the gRPC response back into
//! proto3 JSON (or an AIP-193 error).

use std::pin::Pin;

use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, SerializeOptions,
};
use serde_json::{Map, Value};
use tonic::Status;
use tonic::body::Body;

use super::query::{self, Bound};
use super::routes::{BodyField, Route};
use crate::emulator::Transport;
use crate::emulator::request_checks::Once;

/// The request headers that describe the HTTP/1.1 message rather than the call: not handed
/// on as gRPC metadata.
const HOP_BY_HOP: &[&str] = &[
    "host",
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// The request message of a REST call, as proto3 JSON first: the body (the whole request, or
/// the body field), the query's fields, then the path variables over both (the path wins
/// over an equal or different value in the body).
pub(crate) fn request_json(
    route: &Route,
    bindings: &[(String, String)],
    query: &[(String, String)],
    body: &[u8],
) -> Result<Value, String> {
    let empty = body.trim_ascii().is_empty();
    let parsed = if empty {
        Value::Object(Map::new())
    } else if route.body == BodyField::None {
        return Err(format!(
            "{} {} takes no request body",
            route.http_method,
            route.template.text()
        ));
    } else {
        serde_json::from_slice(body).map_err(|e| format!("Invalid JSON payload received. {e}"))?
    };
    let mut request = match &route.body {
        BodyField::None => Map::new(),
        BodyField::Whole => match parsed {
            Value::Object(object) => object,
            other => {
                return Err(format!(
                    "Invalid JSON payload received. The body must be a JSON object ({} here)",
                    json_kind(&other)
                ));
            }
        },
        BodyField::Field(name) => {
            let field = route
                .input
                .get_field_by_name(name)
                .ok_or_else(|| format!("no body field {name}"))?;
            let mut request = Map::new();
            if !empty || matches!(field.kind(), Kind::Message(_)) {
                request.insert(field.json_name().to_owned(), parsed);
            }
            request
        }
    };
    let bound = Bound {
        path: route.template.fields().collect(),
        body: match &route.body {
            BodyField::Field(name) => Some(name.as_str()),
            _ => None,
        },
        whole_body: route.body == BodyField::Whole,
    };
    request.extend(query::bind(&route.input, query, &bound)?);
    for (path, value) in bindings {
        set_path(&route.input, &mut request, path, value)?;
    }
    Ok(Value::Object(request))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Sets the string at a field path (`channel.name`) of a request's JSON, under the key the
/// body already uses for each field (its JSON or its proto name), else its JSON name.
fn set_path(
    message: &MessageDescriptor,
    object: &mut Map<String, Value>,
    path: &str,
    value: &str,
) -> Result<(), String> {
    let (first, rest) = match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    };
    let field = query::field(message, first)
        .ok_or_else(|| format!("{} has no field {first}", message.full_name()))?;
    let key = if object.contains_key(field.name()) {
        field.name().to_owned()
    } else {
        field.json_name().to_owned()
    };
    match (rest, field.kind()) {
        (None, Kind::String) => {
            object.insert(key, Value::String(value.to_owned()));
            Ok(())
        }
        (Some(rest), Kind::Message(inner)) => {
            let entry = object
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(inner_object) => set_path(&inner, inner_object, rest, value),
                other => Err(format!(
                    "Invalid JSON payload received. {} must be an object ({} here)",
                    field.json_name(),
                    json_kind(other)
                )),
            }
        }
        _ => Err(format!("the path cannot bind {}", field.full_name())),
    }
}

/// The request message from its JSON: unknown fields, wrong types and bad values are errors.
pub(crate) fn request_message(route: &Route, json: Value) -> Result<DynamicMessage, String> {
    DynamicMessage::deserialize_with_options(route.input.clone(), json, &DeserializeOptions::new())
        .map_err(|e| format!("Invalid JSON payload received. {e}"))
}

/// The gRPC request of a REST call: the message framed, the caller's headers as metadata
/// (less the HTTP/1.1 framing and any `grpc-` header), marked as having come over REST.
pub(crate) fn grpc_request(
    route: &Route,
    headers: &HeaderMap,
    message: &DynamicMessage,
) -> Result<http::Request<Body>, String> {
    let encoded = prost::Message::encode_to_vec(message);
    let length = u32::try_from(encoded.len()).map_err(|_| "the request is too large".to_owned())?;
    let mut framed = BytesMut::with_capacity(5 + encoded.len());
    framed.put_u8(0);
    framed.put_u32(length);
    framed.put_slice(&encoded);
    let mut request = http::Request::builder()
        .method(http::Method::POST)
        .uri(route.method.path())
        .version(http::Version::HTTP_2)
        .body(Body::new(Once::new(framed.freeze())))
        .map_err(|e| e.to_string())?;
    let forwarded = request.headers_mut();
    for (name, value) in headers {
        let name_str = name.as_str();
        if HOP_BY_HOP.contains(&name_str) || name_str.starts_with("grpc-") {
            continue;
        }
        forwarded.append(name.clone(), value.clone());
    }
    forwarded.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    forwarded.insert("te", HeaderValue::from_static("trailers"));
    request.extensions_mut().insert(Transport::Rest);
    Ok(request)
}

/// The serializer options of a response: proto3 JSON with lowerCamel names, 64-bit integers
/// as strings, default values left out, and enums as names unless `enum-encoding=int`.
pub(crate) fn serialize_options(enum_numbers: bool) -> SerializeOptions {
    SerializeOptions::new().use_enum_numbers(enum_numbers)
}

/// What the gRPC service answered: the response message's bytes, or its status.
pub(crate) async fn grpc_answer(response: http::Response<Body>) -> Result<Bytes, Status> {
    let (parts, mut body) = response.into_parts();
    if let Some(status) = Status::from_header_map(&parts.headers) {
        // Trailers-only: an error (or an OK without a message, which is not a unary answer).
        if status.code() != tonic::Code::Ok {
            return Err(status);
        }
    }
    let mut data = BytesMut::new();
    let mut trailers = None;
    loop {
        let frame = std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx));
        match frame.await {
            None => break,
            Some(Err(status)) => return Err(status),
            Some(Ok(frame)) => match frame.into_data() {
                Ok(chunk) => data.extend_from_slice(&chunk),
                Err(frame) => {
                    if let Ok(map) = frame.into_trailers() {
                        trailers = Some(map);
                    }
                }
            },
        }
    }
    let status = trailers
        .as_ref()
        .and_then(Status::from_header_map)
        .unwrap_or_else(|| Status::internal("the emulator's gRPC answer has no grpc-status"));
    if status.code() != tonic::Code::Ok {
        return Err(status);
    }
    if data.len() < 5 || data[0] != 0 {
        return Err(Status::internal(
            "the emulator's gRPC answer is not one message",
        ));
    }
    Ok(data.freeze().split_off(5))
}

/// The proto3 JSON of a response message.
pub(crate) fn response_json(
    output: &MessageDescriptor,
    bytes: &[u8],
    options: &SerializeOptions,
) -> Result<Vec<u8>, Status> {
    let message = DynamicMessage::decode(output.clone(), bytes)
        .map_err(|e| Status::internal(format!("the emulator's answer does not decode: {e}")))?;
    let mut out = serde_json::Serializer::new(Vec::new());
    message
        .serialize_with_options(&mut out, options)
        .map_err(|e| Status::internal(format!("the emulator's answer has no JSON form: {e}")))?;
    Ok(unwrap_empty_in_any(out.into_inner()))
}

/// `{"@type":".../google.protobuf.Empty","value":{}}` becomes `{"@type":"..."}`, as the
/// protobuf runtimes (and Google's services) write an `Any` holding `Empty`: `Empty` has no
/// special JSON form, so its (no) fields sit beside `@type`. prost-reflect treats it as a
/// well-known type and nests it under `value`, which Python's `json_format` rejects. A text
/// replacement on the compact JSON keeps the fields in their proto order (a
/// `serde_json::Value` would sort them); the pattern cannot occur inside a JSON string, where
/// its quotes would be escaped.
fn unwrap_empty_in_any(json: Vec<u8>) -> Vec<u8> {
    const NESTED: &[u8] = br#""@type":"type.googleapis.com/google.protobuf.Empty","value":{}"#;
    const PLAIN: &[u8] = br#""@type":"type.googleapis.com/google.protobuf.Empty""#;
    if !json.windows(NESTED.len()).any(|w| w == NESTED) {
        return json;
    }
    let mut out = Vec::with_capacity(json.len());
    let mut rest = json.as_slice();
    while let Some(at) = rest.windows(NESTED.len()).position(|w| w == NESTED) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(PLAIN);
        rest = &rest[at + NESTED.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::rest::routes::{Lookup, lookup, routes};
    use crate::methods::Method;
    use serde_json::json;

    fn route(method: Method) -> &'static Route {
        routes()
            .unwrap()
            .iter()
            .find(|r| r.method == method)
            .unwrap()
    }

    fn json_of(method: &str, path: &str, query: &str, body: &str) -> Result<Value, String> {
        let method = http::Method::from_bytes(method.as_bytes()).unwrap();
        let Lookup::Found(route, bindings) = lookup(routes().unwrap(), &method, path) else {
            panic!("{path}");
        };
        let query = query::parse(query)?;
        request_json(route, &bindings, &query.fields, body.as_bytes())
    }

    const CH: &str = "projects/p/locations/us-central1/channels/c";

    #[test]
    fn the_path_wins_over_the_body() {
        let path = format!("/v1/{CH}");
        for body in [
            r#"{"name": "projects/p/locations/us-central1/channels/other", "labels": {"a": "b"}}"#,
            &format!(r#"{{"name": "{CH}", "labels": {{"a": "b"}}}}"#),
        ] {
            let json = json_of("PATCH", &path, "updateMask=labels", body).unwrap();
            assert_eq!(
                json,
                json!({"channel": {"name": CH, "labels": {"a": "b"}}, "updateMask": "labels"})
            );
            request_message(route(Method::UpdateChannel), json).unwrap();
        }
        // Whole-body methods: the path's `name` replaces the body's.
        let json = json_of(
            "POST",
            &format!("/v1/{CH}:start"),
            "",
            r#"{"name":"x","requestId":"r"}"#,
        )
        .unwrap();
        assert_eq!(json, json!({"name": CH, "requestId": "r"}));
    }

    #[test]
    fn empty_bodies_are_empty_messages() {
        for body in ["", "  \r\n", "{}"] {
            assert_eq!(
                json_of("POST", &format!("/v1/{CH}:stop"), "", body).unwrap(),
                json!({"name": CH})
            );
            assert_eq!(
                json_of(
                    "POST",
                    "/v1/projects/p/locations/us-central1/channels",
                    "channelId=c",
                    body
                )
                .unwrap(),
                json!({"parent": "projects/p/locations/us-central1", "channel": {}, "channelId": "c"})
            );
        }
    }

    #[test]
    fn bad_bodies_are_errors() {
        let create = "/v1/projects/p/locations/us-central1/channels";
        assert!(
            json_of("GET", &format!("/v1/{CH}"), "", "{}")
                .unwrap_err()
                .contains("takes no request body")
        );
        assert!(
            json_of("POST", create, "", "{")
                .unwrap_err()
                .starts_with("Invalid JSON payload received.")
        );
        assert!(
            json_of("POST", &format!("/v1/{CH}:start"), "", "[]")
                .unwrap_err()
                .contains("an array")
        );
        for (body, expected) in [
            (r#"{"bogus": 1}"#, "bogus"),
            (r#"{"labels": "x"}"#, "map"),
            (r#"{"output": {"uri": 5}}"#, "string"),
        ] {
            let json = json_of("POST", create, "", body).unwrap();
            let err = request_message(route(Method::CreateChannel), json).unwrap_err();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }

    #[test]
    fn enums_by_name_or_number_and_well_known_types() {
        let create = "/v1/projects/p/locations/us-central1/inputs";
        for body in [
            r#"{"type": "RTMP_PUSH", "tier": 2}"#,
            r#"{"type": 1, "tier": "HD"}"#,
        ] {
            let json = json_of("POST", create, "inputId=i", body).unwrap();
            let message = request_message(route(Method::CreateInput), json).unwrap();
            let request: crate::v1::CreateInputRequest =
                crate::reflect::from_dynamic(&message).unwrap();
            let input = request.input.unwrap();
            assert_eq!(input.r#type(), crate::v1::input::Type::RtmpPush);
            assert_eq!(input.tier(), crate::v1::input::Tier::Hd);
        }
        let events = format!("/v1/{CH}/events");
        let json = json_of(
            "POST",
            &events,
            "eventId=e",
            r#"{"adBreak": {"duration": "3.5s"}, "executionTime": "2025-01-02T03:04:05.250Z"}"#,
        )
        .unwrap();
        let message = request_message(route(Method::CreateEvent), json).unwrap();
        let request: crate::v1::CreateEventRequest =
            crate::reflect::from_dynamic(&message).unwrap();
        let event = request.event.unwrap();
        let duration = match event.task {
            Some(crate::v1::event::Task::AdBreak(ad)) => ad.duration.unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!((duration.seconds, duration.nanos), (3, 500_000_000));
        let at = event.execution_time.unwrap();
        assert_eq!((at.seconds, at.nanos), (1_735_787_045, 250_000_000));
    }

    #[test]
    fn update_masks_in_either_case() {
        for mask in [
            "inputAttachments,output.uri",
            "input_attachments,output.uri",
        ] {
            let json = json_of(
                "PATCH",
                &format!("/v1/{CH}"),
                &format!("updateMask={mask}"),
                "{}",
            )
            .unwrap();
            let message = request_message(route(Method::UpdateChannel), json).unwrap();
            let request: crate::v1::UpdateChannelRequest =
                crate::reflect::from_dynamic(&message).unwrap();
            assert_eq!(
                request.update_mask.unwrap().paths,
                ["input_attachments", "output.uri"]
            );
        }
    }

    #[test]
    fn an_any_of_empty_has_no_value_field() {
        let op = crate::longrunning::Operation {
            name: "op".into(),
            done: true,
            result: Some(crate::longrunning::operation::Result::Response(
                prost_types::Any::from_msg(&()).unwrap(),
            )),
            ..Default::default()
        };
        let output = crate::reflect::descriptor::<crate::longrunning::Operation>().unwrap();
        let json = response_json(
            &output,
            &prost::Message::encode_to_vec(&op),
            &serialize_options(false),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"name":"op","done":true,"response":{"@type":"type.googleapis.com/google.protobuf.Empty"}}"#
        );
        let quoted =
            br#"{"a":"\"@type\":\"type.googleapis.com/google.protobuf.Empty\",\"value\":{}"}"#;
        assert_eq!(unwrap_empty_in_any(quoted.to_vec()), quoted.to_vec());
    }

    #[test]
    fn headers_become_metadata_but_not_framing() {
        let mut headers = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer x"),
            ("x-goog-api-client", "gl-python/3"),
            ("content-type", "application/json"),
            ("content-length", "2"),
            ("grpc-timeout", "bogus"),
            ("host", "h"),
        ] {
            headers.insert(k, HeaderValue::from_static(v));
        }
        let route = route(Method::GetChannel);
        let message = DynamicMessage::new(route.input.clone());
        let request = grpc_request(route, &headers, &message).unwrap();
        let h = request.headers();
        assert_eq!(h["content-type"], "application/grpc");
        assert_eq!(h["authorization"], "Bearer x");
        assert_eq!(h["x-goog-api-client"], "gl-python/3");
        assert!(h.get("grpc-timeout").is_none() && h.get("host").is_none());
        assert_eq!(h.get_all("content-length").iter().count(), 0);
        assert_eq!(request.uri().path(), Method::GetChannel.path());
        assert_eq!(
            request.extensions().get::<Transport>(),
            Some(&Transport::Rest)
        );
    }
}
