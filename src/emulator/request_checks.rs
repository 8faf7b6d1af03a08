//! [`EmulatorService`]: the emulator's services (the API's three and the admin service) as
//! one tower service, behind the checks a gRPC front end makes before a handler runs
//! (EMULATOR.md, "Malformed requests"):
//!
//! - `content-type` must be `application/grpc` or `application/grpc+proto` (parameters
//!   allowed): anything else is HTTP 415 with `INVALID_ARGUMENT`, as grpc-go answers;
//! - a `grpc-timeout` must follow the gRPC grammar (at most 8 digits and a unit): anything
//!   else is HTTP 400 with `INTERNAL` ("malformed grpc-timeout"), as grpc-go answers;
//! - the body must be exactly one length-prefixed message (a unary call), uncompressed
//!   unless `grpc-encoding` names an encoding, no larger than 4 MiB (`RESOURCE_EXHAUSTED`
//!   beyond, as tonic's and grpc's limits), and decode as the method's request type:
//!   anything else is `INVALID_ARGUMENT` with a message naming what failed.
//!
//! tonic's generated servers would answer most of these `INTERNAL` (its prost decoder maps
//! every decode error there) or accept them silently (content-type, a second message, a
//! garbage `grpc-timeout`). The checked body is handed on as it came, so the generated
//! server decodes it again: the same decoder, which therefore cannot fail; the cost is one
//! extra decode of the (small) request per call.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::header::CONTENT_TYPE;
use prost::{Message, Name};
use tonic::body::Body;
use tonic::service::Routes;
use tonic::{Code, Status};
use tower_service::Service;

use super::admin;
use crate::wire::parse_grpc_timeout;

/// The largest request message accepted: tonic's (and gRPC's) default receive limit.
pub(crate) const MAX_MESSAGE: usize = 4 * 1024 * 1024;

/// The 5-byte prefix of every gRPC message: compressed flag and big-endian length.
const PREFIX: usize = 5;

/// Decodes a request body as one message type, or says why it is not one.
type Check = fn(&[u8]) -> Result<(), String>;

fn decodes_as<M: Message + Name + Default>(bytes: &[u8]) -> Result<(), String> {
    M::decode(bytes)
        .map(drop)
        .map_err(|e| format!("the request is not a valid {}: {e}", M::full_name()))
}

/// The request type's decoder of every unary method served, by gRPC path.
static CHECKS: LazyLock<HashMap<&'static str, Check>> = LazyLock::new(|| {
    macro_rules! api {
        ($( [ service: $svc:ident, rpc: $rpc:ident, method: $snake:ident, request: $req:ty,
              $($more:tt)* ] )*) => {
            [$( (crate::methods::Method::$rpc.path(), decodes_as::<$req> as Check) ),*]
        };
    }
    macro_rules! admin {
        ($($rpc:ident: $req:ty),* $(,)?) => {
            [$( (
                concat!("/livestream.emulator.v1.EmulatorAdmin/", stringify!($rpc)),
                decodes_as::<$req> as Check,
            ) ),*]
        };
    }
    let mut checks: HashMap<&'static str, Check> = for_each_rpc!(api).into_iter().collect();
    checks.extend(admin!(
        Reset: admin::ResetRequest,
        GetClock: admin::GetClockRequest,
        AdvanceClock: admin::AdvanceClockRequest,
        SetLroTiming: admin::SetLroTimingRequest,
        CompleteOperations: admin::CompleteOperationsRequest,
        ConnectInput: admin::ConnectInputRequest,
        DisconnectInput: admin::DisconnectInputRequest,
        FailResource: admin::FailResourceRequest,
        RecoverChannel: admin::RecoverChannelRequest,
        InjectFaults: admin::InjectFaultsRequest,
        SetLatency: admin::SetLatencyRequest,
        ClearFaults: admin::ClearFaultsRequest,
        GetCallCounts: admin::GetCallCountsRequest,
        ListRecordedRequests: admin::ListRecordedRequestsRequest,
        ExportState: admin::ExportStateRequest,
    ));
    checks
});

/// The emulated API and the admin service as one tower service: what
/// [`Emulator::service`](super::Emulator::service) hands out for in-process use and what
/// the socket server serves. Generated clients and [`Client::from_service`] accept it.
///
/// Requests are checked before a handler sees them: a wrong `content-type`, a malformed
/// `grpc-timeout`, bad framing and undecodable messages get the statuses a gRPC front end
/// answers (`INVALID_ARGUMENT` for a body the caller got wrong), never `INTERNAL`
/// (EMULATOR.md, "Malformed requests").
///
/// With the `rest` feature it also serves the API's REST mapping: a request that is not gRPC
/// (no `application/grpc…` content-type, not a gRPC method's path) is transcoded into a gRPC
/// call of this same service and answered as JSON (EMULATOR.md, "REST").
///
/// [`Client::from_service`]: crate::Client::from_service
#[derive(Clone, Debug)]
pub struct EmulatorService {
    pub(super) routes: Routes,
}

impl Service<http::Request<Body>> for EmulatorService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<http::Request<Body>>::poll_ready(&mut self.routes, cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let routes = self.routes.clone();
        Box::pin(async move {
            #[cfg(feature = "rest")]
            if !is_grpc(&request) {
                return Ok(super::rest::serve(request, |call| grpc(routes, call)).await);
            }
            Ok(grpc(routes, request).await)
        })
    }
}

/// A gRPC call, checked, then routed to its service. `poll_ready` was called on the
/// service's routes; a clone is ready too (a router).
async fn grpc(mut routes: Routes, request: http::Request<Body>) -> http::Response<Body> {
    match check(request).await {
        Ok(request) => match routes.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        Err(response) => response,
    }
}

/// Whether a request is a gRPC call: a `content-type: application/grpc…`, or the path of one
/// of the emulator's gRPC methods (answered 415 when the content-type is wrong). Anything
/// else goes to the REST layer.
#[cfg(feature = "rest")]
fn is_grpc(request: &http::Request<Body>) -> bool {
    let grpc_content = request.headers().get(CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .get(..16)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"application/grpc"))
    });
    grpc_content || CHECKS.contains_key(request.uri().path())
}

/// A trailers-only gRPC error response with this HTTP status.
fn reject(http_status: http::StatusCode, status: Status) -> http::Response<Body> {
    let mut response = status.into_http::<Body>();
    *response.status_mut() = http_status;
    response
}

fn invalid(message: String) -> http::Response<Body> {
    reject(
        http::StatusCode::OK,
        Status::new(Code::InvalidArgument, message),
    )
}

/// `application/grpc`, `application/grpc+proto`, with or without parameters.
fn is_grpc_proto(content_type: &[u8]) -> bool {
    let essence = content_type
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    essence.eq_ignore_ascii_case(b"application/grpc")
        || essence.eq_ignore_ascii_case(b"application/grpc+proto")
}

/// Checks a call to one of the emulator's methods; other paths go on unchecked (the router
/// answers UNIMPLEMENTED). Returns the request to serve, its body read and checked, or the
/// response that rejects it.
async fn check(request: http::Request<Body>) -> Result<http::Request<Body>, http::Response<Body>> {
    let Some(decode) = CHECKS.get(request.uri().path()).copied() else {
        return Ok(request);
    };
    let headers = request.headers();
    match headers.get(CONTENT_TYPE) {
        Some(value) if is_grpc_proto(value.as_bytes()) => {}
        other => {
            let shown = other.map_or_else(
                || "none".to_owned(),
                |v| format!("{:?}", String::from_utf8_lossy(v.as_bytes())),
            );
            return Err(reject(
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Status::invalid_argument(format!(
                    "invalid gRPC request content-type {shown}: this server speaks application/grpc (protobuf)"
                )),
            ));
        }
    }
    if let Some(value) = headers.get("grpc-timeout")
        && parse_grpc_timeout(value.as_bytes()).is_none()
    {
        return Err(reject(
            http::StatusCode::BAD_REQUEST,
            Status::internal(format!(
                "malformed grpc-timeout {:?}: expected at most 8 digits and a unit (H, M, S, m, u, n)",
                String::from_utf8_lossy(value.as_bytes())
            )),
        ));
    }
    let encoded = headers
        .get("grpc-encoding")
        .is_some_and(|e| !e.as_bytes().eq_ignore_ascii_case(b"identity"));
    let (parts, body) = request.into_parts();
    let bytes = read_body(body).await?;
    let message = one_message(&bytes, encoded).map_err(invalid)?;
    // A compressed message is left to tonic, which answers UNIMPLEMENTED for an encoding
    // it does not support (the emulator supports none).
    if let Some(message) = message {
        decode(message).map_err(invalid)?;
    }
    Ok(http::Request::from_parts(
        parts,
        Body::new(Once::new(bytes)),
    ))
}

/// Reads the whole body, up to one maximal message (RESOURCE_EXHAUSTED beyond).
async fn read_body(mut body: Body) -> Result<Bytes, http::Response<Body>> {
    let mut buffer = BytesMut::new();
    loop {
        let frame = std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx));
        match frame.await {
            None => return Ok(buffer.freeze()),
            Some(Err(status)) => return Err(reject(http::StatusCode::OK, status)),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if buffer.len() + data.len() > PREFIX + MAX_MESSAGE {
                        return Err(reject(
                            http::StatusCode::OK,
                            Status::resource_exhausted(format!(
                                "the request is larger than the limit of {MAX_MESSAGE} bytes"
                            )),
                        ));
                    }
                    buffer.extend_from_slice(&data);
                }
            }
        }
    }
}

/// The one message of a unary request body: `Some(bytes)` when uncompressed, `None` when
/// compressed with the request's `grpc-encoding`; an error naming what is wrong otherwise.
fn one_message(body: &[u8], encoded: bool) -> Result<Option<&[u8]>, String> {
    let mut rest = body;
    let mut messages = Vec::new();
    while !rest.is_empty() {
        if rest.len() < PREFIX {
            return Err(format!(
                "the request body ends inside a message prefix ({} of {PREFIX} bytes)",
                rest.len()
            ));
        }
        let flag = rest[0];
        let mut length = &rest[1..PREFIX];
        let length = length.get_u32() as usize;
        if length > MAX_MESSAGE {
            return Err(format!(
                "the request message of {length} bytes is larger than the limit of {MAX_MESSAGE} bytes"
            ));
        }
        let available = rest.len() - PREFIX;
        if available < length {
            return Err(format!(
                "the request body ends inside a message: {available} of {length} bytes"
            ));
        }
        let compressed = match flag {
            0 => false,
            1 if encoded => true,
            1 => {
                return Err(
                    "the request message is marked compressed but the request has no grpc-encoding"
                        .to_owned(),
                );
            }
            other => {
                return Err(format!(
                    "invalid message prefix: compressed flag {other} (valid flags are 0 and 1)"
                ));
            }
        };
        messages.push((compressed, &rest[PREFIX..PREFIX + length]));
        rest = &rest[PREFIX + length..];
    }
    match messages.as_slice() {
        [] => Err("the request has no message (a unary call carries exactly one)".to_owned()),
        [(compressed, message)] => Ok((!compressed).then_some(*message)),
        more => Err(format!(
            "the request has {} messages; a unary call carries exactly one",
            more.len()
        )),
    }
}

/// A body of one chunk of bytes, already read (its exact size known, so that an HTTP/1.1
/// answer has a `content-length`).
pub(crate) struct Once(Option<Bytes>);

impl Once {
    pub(crate) fn new(bytes: Bytes) -> Self {
        Once(Some(bytes))
    }
}

impl http_body::Body for Once {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(flag: u8, message: &[u8]) -> Vec<u8> {
        let mut out = vec![flag];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    #[test]
    fn exactly_one_uncompressed_message_passes() {
        assert_eq!(
            one_message(&framed(0, b"abc"), false),
            Ok(Some(&b"abc"[..]))
        );
        assert_eq!(one_message(&framed(0, b""), false), Ok(Some(&b""[..])));
        assert_eq!(one_message(&framed(1, b"abc"), true), Ok(None));
    }

    #[test]
    fn framing_errors_say_what_is_wrong() {
        let two = [framed(0, b"a"), framed(0, b"b")].concat();
        for (body, encoded, expected) in [
            (Vec::new(), false, "no message"),
            (vec![0, 0, 0], false, "inside a message prefix (3 of 5"),
            (framed(0, b"abc")[..6].to_vec(), false, "1 of 3 bytes"),
            (two, false, "has 2 messages"),
            (framed(1, b"abc"), false, "no grpc-encoding"),
            (framed(7, b"abc"), false, "compressed flag 7"),
            (
                vec![0, 0xff, 0xff, 0xff, 0xff],
                false,
                "larger than the limit",
            ),
        ] {
            let err = one_message(&body, encoded).unwrap_err();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn content_types() {
        for ok in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC; charset=utf-8",
        ] {
            assert!(is_grpc_proto(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "application/json",
            "application/grpc+json",
            "",
            "text/plain",
        ] {
            assert!(!is_grpc_proto(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn every_method_served_has_a_decoder() {
        // The API's 41 and every method of the admin service, as its proto declares them.
        let admin = crate::reflect::descriptor_pool()
            .unwrap()
            .get_service_by_name("livestream.emulator.v1.EmulatorAdmin")
            .unwrap();
        for method in admin.methods() {
            let path = format!("/livestream.emulator.v1.EmulatorAdmin/{}", method.name());
            assert!(CHECKS.contains_key(path.as_str()), "no decoder for {path}");
        }
        assert_eq!(CHECKS.len(), 41 + admin.methods().len());
        let err = CHECKS["/google.cloud.video.livestream.v1.LivestreamService/GetChannel"](&[
            0x0a, 0x02, 0xff, 0xfe,
        ])
        .unwrap_err();
        assert!(
            err.contains("google.cloud.video.livestream.v1.GetChannelRequest"),
            "{err}"
        );
        assert!(err.contains("UTF-8"), "{err}");
    }
}
