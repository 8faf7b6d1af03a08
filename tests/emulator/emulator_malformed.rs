//! Malformed requests get the statuses a gRPC front end answers, never `INTERNAL`: an
//! undecodable body or bad framing is `INVALID_ARGUMENT` with a message naming what failed;
//! a wrong `content-type` is HTTP 415, a malformed `grpc-timeout` HTTP 400 (as grpc-go
//! answers). In-process and over a socket.

use std::pin::Pin;

use crate::emulator_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::Emulator;
use prost::Message;
use tonic::Code;
use tonic::body::Body;
use tower::ServiceExt as _;

const GET_CHANNEL: &str = "/google.cloud.video.livestream.v1.LivestreamService/GetChannel";
const CREATE_CHANNEL: &str = "/google.cloud.video.livestream.v1.LivestreamService/CreateChannel";

/// One length-prefixed gRPC message.
fn framed(flag: u8, message: &[u8]) -> Vec<u8> {
    let mut out = vec![flag];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// A body of these bytes.
struct Bytes(Option<bytes::Bytes>);

impl http_body::Body for Bytes {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// What came back: the HTTP status, the gRPC status (from the headers of a trailers-only
/// response, or the trailers).
struct Answer {
    http: http::StatusCode,
    status: tonic::Status,
}

/// Sends a raw HTTP/2 request (any headers, any body) to a tower service: the in-process
/// emulator, or a `tonic::transport::Channel` to a socket one.
async fn send<S>(service: S, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Error: std::fmt::Debug,
{
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://emulator{path}"))
        .header("te", "trailers");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request.body(Body::new(Bytes(Some(body.into())))).unwrap();
    let response = service.oneshot(request).await.expect("an HTTP response");
    let http = response.status();
    if let Some(status) = tonic::Status::from_header_map(response.headers()) {
        return Answer { http, status };
    }
    let mut body = response.into_body();
    loop {
        let frame =
            std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx)).await;
        match frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(status) = tonic::Status::from_header_map(trailers)
                {
                    return Answer { http, status };
                }
            }
            Some(Err(status)) => return Answer { http, status },
            None => panic!("no grpc-status in the response to {path}"),
        }
    }
}

const GRPC: (&str, &str) = ("content-type", "application/grpc");

/// Bodies the caller got wrong, and what the message must name.
fn malformed_bodies() -> Vec<(&'static str, &'static str, Vec<u8>, &'static str)> {
    let create = CreateChannelRequestWithBadName::encode();
    vec![
        (
            "invalid UTF-8 in a string field",
            GET_CHANNEL,
            framed(0, &[0x0a, 0x02, 0xff, 0xfe]),
            "GetChannelRequest.name",
        ),
        (
            "invalid UTF-8 in a nested string field",
            CREATE_CHANNEL,
            framed(0, &create),
            "Channel.name",
        ),
        (
            "a truncated message",
            GET_CHANNEL,
            framed(0, &[0x0a, 0x10, b'a']),
            "GetChannelRequest",
        ),
        (
            "a wire type that does not match the field",
            GET_CHANNEL,
            framed(0, &[0x08, 0x01]),
            "GetChannelRequest",
        ),
        ("an empty body", GET_CHANNEL, Vec::new(), "no message"),
        (
            "two messages in one unary request",
            GET_CHANNEL,
            [framed(0, b""), framed(0, b"")].concat(),
            "2 messages",
        ),
        (
            "a body ending inside the prefix",
            GET_CHANNEL,
            vec![0, 0],
            "message prefix",
        ),
        (
            "a body ending inside the message",
            GET_CHANNEL,
            framed(0, b"\x0a\x01a")[..6].to_vec(),
            "1 of 3 bytes",
        ),
        (
            "an invalid compressed flag",
            GET_CHANNEL,
            framed(9, b""),
            "compressed flag 9",
        ),
        (
            "a compressed message without grpc-encoding",
            GET_CHANNEL,
            framed(1, b""),
            "no grpc-encoding",
        ),
    ]
}

/// A CreateChannelRequest whose `channel.name` is not UTF-8 (the encoding of a valid one,
/// with the name's bytes replaced).
struct CreateChannelRequestWithBadName;

impl CreateChannelRequestWithBadName {
    fn encode() -> Vec<u8> {
        let marker = "NAME-MARKER";
        let mut body = channel_body(None);
        body.name = marker.into();
        let mut bytes = create_channel_request("ch", body).encode_to_vec();
        let at = bytes
            .windows(marker.len())
            .position(|w| w == marker.as_bytes())
            .unwrap();
        bytes[at] = 0xff;
        bytes
    }
}

async fn check_malformed_bodies<S>(service: impl Fn() -> S)
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Error: std::fmt::Debug,
{
    for (what, path, body, named) in malformed_bodies() {
        let answer = send(service(), path, &[GRPC], body).await;
        assert_eq!(answer.http, http::StatusCode::OK, "{what}");
        assert_eq!(
            answer.status.code(),
            Code::InvalidArgument,
            "{what}: {:?}",
            answer.status
        );
        assert!(
            answer.status.message().contains(named),
            "{what}: {:?} should name {named:?}",
            answer.status.message()
        );
    }
}

#[tokio::test]
async fn undecodable_bodies_and_bad_framing_are_invalid_argument_in_process() {
    let emu = Emulator::builder().build();
    check_malformed_bodies(|| emu.service()).await;
    // The handlers never ran: nothing was counted.
    assert_eq!(emu.call_count(Method::GetChannel), 0);
}

#[tokio::test]
async fn undecodable_bodies_and_bad_framing_are_invalid_argument_over_a_socket() {
    let env = start().await;
    check_malformed_bodies(|| env.emu.channel()).await;
}

#[tokio::test]
async fn a_valid_request_still_passes_the_checks() {
    let emu = Emulator::builder().build();
    let body = framed(
        0,
        &livestream_grpc::v1::GetChannelRequest {
            name: channel_name("missing"),
        }
        .encode_to_vec(),
    );
    for content_type in [
        "application/grpc",
        "application/grpc+proto",
        "application/grpc; charset=utf-8",
    ] {
        let answer = send(
            emu.service(),
            GET_CHANNEL,
            &[("content-type", content_type), ("grpc-timeout", "5S")],
            body.clone(),
        )
        .await;
        assert_eq!(answer.status.code(), Code::NotFound, "{content_type}");
    }
    assert_eq!(emu.call_count(Method::GetChannel), 3);
}

#[tokio::test]
async fn a_wrong_content_type_is_rejected_as_grpc_servers_do() {
    let env = start().await;
    let body = framed(0, b"");
    for content_type in ["application/json", "application/grpc+json", "text/plain"] {
        let answer = send(
            env.emu.channel(),
            GET_CHANNEL,
            &[("content-type", content_type)],
            body.clone(),
        )
        .await;
        assert_eq!(
            answer.http,
            http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(answer.status.code(), Code::InvalidArgument);
        assert!(answer.status.message().contains("content-type"));
    }
    // In-process, and without any content-type.
    let answer = send(env.emu.service(), GET_CHANNEL, &[], body).await;
    assert_eq!(answer.http, http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(env.emu.call_count(Method::GetChannel), 0);
}

#[tokio::test]
async fn a_malformed_grpc_timeout_is_rejected_as_grpc_servers_do() {
    let env = start().await;
    let body = framed(0, b"");
    for timeout in ["garbage", "1.5S", "123456789S", "10", "-1S", "5s"] {
        let answer = send(
            env.emu.channel(),
            GET_CHANNEL,
            &[GRPC, ("grpc-timeout", timeout)],
            body.clone(),
        )
        .await;
        assert_eq!(answer.http, http::StatusCode::BAD_REQUEST, "{timeout}");
        // grpc-go's answer: INTERNAL, "malformed grpc-timeout".
        assert_eq!(answer.status.code(), Code::Internal, "{timeout}");
        assert!(
            answer.status.message().contains("malformed grpc-timeout"),
            "{timeout}: {:?}",
            answer.status
        );
    }
    assert_eq!(env.emu.call_count(Method::GetChannel), 0);
}

#[tokio::test]
async fn an_admin_request_is_checked_too() {
    let emu = Emulator::builder().build();
    let answer = send(
        emu.service(),
        "/livestream.emulator.v1.EmulatorAdmin/ListRecordedRequests",
        &[GRPC],
        framed(0, &[0x0a, 0x01, 0xc0]),
    )
    .await;
    assert_eq!(answer.status.code(), Code::InvalidArgument);
    assert!(
        answer
            .status
            .message()
            .contains("livestream.emulator.v1.ListRecordedRequestsRequest"),
        "{:?}",
        answer.status
    );
    // An unknown method is still UNIMPLEMENTED.
    let answer = send(
        emu.service(),
        "/google.cloud.video.livestream.v1.LivestreamService/Nope",
        &[GRPC],
        framed(0, b""),
    )
    .await;
    assert_eq!(answer.status.code(), Code::Unimplemented);
}
