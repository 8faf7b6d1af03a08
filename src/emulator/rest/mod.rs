//! The REST mapping of the API (feature `rest`): HTTP/1.1 + JSON on the emulator's port,
//! beside gRPC (EMULATOR.md, "REST").
//!
//! A REST call is transcoded into a gRPC call of the emulator's own service, the same one
//! gRPC clients reach (request checks, call counts, the request log, faults, latency,
//! `request_id` replay), and the gRPC answer back into proto3 JSON or an AIP-193 error: no
//! RPC is implemented twice. One concept per module: `template` (path templates and their
//! matching), `routes` (the route table, from the descriptor set's `google.api.http`
//! annotations and the service configuration's mixin rules), `query` (query parameters),
//! `transcode` (JSON ⇄ messages, REST ⇄ gRPC) and `errors` (AIP-193 bodies).

mod errors;
mod query;
mod routes;
mod template;
mod transcode;

use std::future::Future;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use tonic::body::Body;
use tonic::{Code, Status};

use super::request_checks::{MAX_MESSAGE, Once};
use routes::Lookup;

/// The largest REST request body accepted: the gRPC limit, which the transcoded message
/// must pass too.
const MAX_BODY: usize = MAX_MESSAGE;

/// A JSON response (ending in a newline, as Google's do, so that answers printed one after
/// the other stay one per line).
fn json_response(status: http::StatusCode, mut body: Vec<u8>) -> http::Response<Body> {
    body.push(b'\n');
    let mut response = http::Response::new(Body::new(Once::new(Bytes::from(body))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// An AIP-193 error response for a status, under the HTTP status its code maps to.
fn error_response(status: &Status, enum_numbers: bool) -> http::Response<Body> {
    let (http, body) = errors::body(status, &transcode::serialize_options(enum_numbers));
    json_response(http, errors::to_bytes(&body))
}

fn invalid(message: impl Into<String>, enum_numbers: bool) -> http::Response<Body> {
    error_response(&Status::invalid_argument(message), enum_numbers)
}

/// Reads a REST body, up to [`MAX_BODY`] bytes.
async fn read_body(headers: &http::HeaderMap, mut body: Body) -> Result<Bytes, String> {
    let too_large = || format!("the request body is larger than the limit of {MAX_BODY} bytes");
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut buffer = BytesMut::new();
    loop {
        let frame = std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx));
        match frame.await {
            None => return Ok(buffer.freeze()),
            Some(Err(status)) => {
                return Err(format!(
                    "the request body could not be read: {}",
                    status.message()
                ));
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if buffer.len() + data.len() > MAX_BODY {
                        return Err(too_large());
                    }
                    buffer.extend_from_slice(&data);
                }
            }
        }
    }
}

/// Serves one REST call through `grpc`, the emulator's gRPC service (checks included).
pub(crate) async fn serve<F, Fut>(request: http::Request<Body>, grpc: F) -> http::Response<Body>
where
    F: FnOnce(http::Request<Body>) -> Fut,
    Fut: Future<Output = http::Response<Body>>,
{
    let query = match query::parse(request.uri().query().unwrap_or_default()) {
        Ok(query) => query,
        Err(why) => return invalid(why, false),
    };
    let numbers = query.enum_numbers;
    let routes = match routes::routes() {
        Ok(routes) => routes,
        Err(why) => return error_response(&Status::internal(why), numbers),
    };
    let (route, bindings) = match routes::lookup(routes, request.method(), request.uri().path()) {
        Lookup::Found(route, bindings) => (route, bindings),
        Lookup::BadPath(why) => return invalid(why, numbers),
        Lookup::NotFound => {
            let status = Status::not_found(format!(
                "no REST route for {} {}: this emulator serves the Live Stream API v1 under /v1/ (and gRPC on the same port)",
                request.method(),
                request.uri().path()
            ));
            return error_response(&status, numbers);
        }
        Lookup::WrongMethod(allowed) => {
            let allow = allowed
                .iter()
                .map(http::Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let status = Status::new(
                Code::Unimplemented,
                format!(
                    "{} is not served on {}: use {allow}",
                    request.method(),
                    request.uri().path()
                ),
            );
            let http = http::StatusCode::METHOD_NOT_ALLOWED;
            let body = errors::body_with(http, &status, &transcode::serialize_options(numbers));
            let mut response = json_response(http, errors::to_bytes(&body));
            if let Ok(allow) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(ALLOW, allow);
            }
            return response;
        }
    };
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(why) => return invalid(why, numbers),
    };
    let message = match transcode::request_json(route, &bindings, &query.fields, &body)
        .and_then(|json| transcode::request_message(route, json))
    {
        Ok(message) => message,
        Err(why) => return invalid(why, numbers),
    };
    let grpc_request = match transcode::grpc_request(route, &parts.headers, &message) {
        Ok(request) => request,
        Err(why) => return error_response(&Status::internal(why), numbers),
    };
    let options = transcode::serialize_options(numbers);
    match transcode::grpc_answer(grpc(grpc_request).await).await {
        Ok(bytes) => match transcode::response_json(&route.output, &bytes, &options) {
            Ok(json) => json_response(http::StatusCode::OK, json),
            Err(status) => error_response(&status, numbers),
        },
        Err(status) => error_response(&status, numbers),
    }
}
