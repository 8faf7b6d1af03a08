//! Errors over REST: the AIP-193 JSON body `{"error": {"code", "message", "status",
//! "details"}}` with the HTTP status of each gRPC code as `google/rpc/code.proto` maps it, so
//! that the status line, `error.code` and `error.status` agree (Google's clients each read a
//! different one), and the same `google.rpc` details as over gRPC, as proto3 JSON `Any`s.

use prost_reflect::{DynamicMessage, SerializeOptions};
use serde_json::{Value, json};
use tonic::{Code, Status};

use crate::wire::code_name;

/// The HTTP status of a gRPC code (`google/rpc/code.proto`).
pub(crate) fn http_status(code: Code) -> http::StatusCode {
    use http::StatusCode as H;
    match code {
        Code::Ok => H::OK,
        Code::Cancelled => H::from_u16(499).unwrap_or(H::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => H::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => H::BAD_REQUEST,
        Code::DeadlineExceeded => H::GATEWAY_TIMEOUT,
        Code::NotFound => H::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => H::CONFLICT,
        Code::PermissionDenied => H::FORBIDDEN,
        Code::Unauthenticated => H::UNAUTHORIZED,
        Code::ResourceExhausted => H::TOO_MANY_REQUESTS,
        Code::Unimplemented => H::NOT_IMPLEMENTED,
        Code::Unavailable => H::SERVICE_UNAVAILABLE,
    }
}

/// The `details` of a status as proto3 JSON: each `google.protobuf.Any` of the
/// `google.rpc.Status` that tonic carries in `grpc-status-details-bin`, with its `@type`.
/// A detail whose type the descriptor set lacks is left out (none of the emulator's).
fn details(status: &Status, options: &SerializeOptions) -> Vec<Value> {
    if status.details().is_empty() {
        return Vec::new();
    }
    let Ok(descriptor) = crate::reflect::descriptor::<crate::rpc::Status>() else {
        return Vec::new();
    };
    let Ok(decoded) = DynamicMessage::decode(descriptor, status.details()) else {
        return Vec::new();
    };
    let Some(items) = decoded
        .get_field_by_name("details")
        .and_then(|v| v.as_list().map(<[_]>::to_vec))
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let any = item.as_message()?;
            any.serialize_with_options(serde_json::value::Serializer, options)
                .ok()
        })
        .collect()
}

/// The AIP-193 body of a status, with the HTTP status it goes with.
pub(crate) fn body(status: &Status, options: &SerializeOptions) -> (http::StatusCode, Value) {
    let http = http_status(status.code());
    (http, body_with(http, status, options))
}

/// The AIP-193 body of a status under a given HTTP status (405, whose status line no gRPC
/// code maps to, is the one place where they differ).
pub(crate) fn body_with(
    http: http::StatusCode,
    status: &Status,
    options: &SerializeOptions,
) -> Value {
    json!({
        "error": {
            "code": http.as_u16(),
            "message": status.message(),
            "status": code_name(status.code()),
            "details": details(status, options),
        }
    })
}

/// The bytes of an AIP-193 body with its keys in the documented order (`code`, `message`,
/// `status`, `details`), as Google's front ends write them (a `serde_json::Map` sorts them).
pub(crate) fn to_bytes(body: &Value) -> Vec<u8> {
    let error = &body["error"];
    let field = |key: &str| serde_json::to_string(&error[key]).unwrap_or_else(|_| "null".into());
    format!(
        r#"{{"error":{{"code":{},"message":{},"status":{},"details":{}}}}}"#,
        field("code"),
        field("message"),
        field("status"),
        field("details")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, StatusExt};

    #[test]
    fn every_code_maps_as_code_proto_says() {
        let table = [
            (Code::Ok, 200),
            (Code::Cancelled, 499),
            (Code::Unknown, 500),
            (Code::InvalidArgument, 400),
            (Code::DeadlineExceeded, 504),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::PermissionDenied, 403),
            (Code::Unauthenticated, 401),
            (Code::ResourceExhausted, 429),
            (Code::FailedPrecondition, 400),
            (Code::Aborted, 409),
            (Code::OutOfRange, 400),
            (Code::Unimplemented, 501),
            (Code::Internal, 500),
            (Code::Unavailable, 503),
            (Code::DataLoss, 500),
        ];
        for (code, http) in table {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
            // The name is the code's in SCREAMING_SNAKE_CASE.
            let mut name = String::new();
            for (i, c) in format!("{code:?}").chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    name.push('_');
                }
                name.push(c.to_ascii_uppercase());
            }
            assert_eq!(code_name(code), name);
        }
    }

    #[test]
    fn details_are_any_json_with_their_type() {
        let mut details = ErrorDetails::with_bad_request_violation("channel_id", "too long");
        details.set_retry_info(Some(std::time::Duration::from_millis(1500)));
        let status = Status::with_error_details(Code::InvalidArgument, "bad", details);
        let (http, body) = body(&status, &SerializeOptions::new());
        assert_eq!(http, http::StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(body["error"]["message"], "bad");
        let items = body["error"]["details"].as_array().unwrap();
        assert!(items.contains(&json!({
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": "1.500s",
        })));
        assert!(items.contains(&json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "channel_id", "description": "too long"}],
        })));
        let ordered = String::from_utf8(to_bytes(&body)).unwrap();
        assert!(
            ordered.starts_with(
                r#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT","details":[{"#
            ),
            "{ordered}"
        );
        assert_eq!(serde_json::from_str::<Value>(&ordered).unwrap(), body);
        let plain = Status::not_found("gone");
        assert_eq!(
            super::body(&plain, &SerializeOptions::new()).1,
            json!({"error": {"code": 404, "message": "gone", "status": "NOT_FOUND", "details": []}})
        );
    }
}
