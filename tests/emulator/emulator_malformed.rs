//! Malformed requests get the statuses a gRPC front end answers, never `INTERNAL`: an
//! undecodable body or bad framing is `INVALID_ARGUMENT` with a message naming what failed;
//! a wrong `content-type` is HTTP 415, a malformed `grpc-timeout` HTTP 400 (as grpc-go
//! answers). In-process and over a socket.

use crate::emulator_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::Emulator;
use prost::Message;
use tonic::Code;
use tonic::body::Body;

const GET_CHANNEL: &str = "/google.cloud.video.livestream.v1.LivestreamService/GetChannel";
const CREATE_CHANNEL: &str = "/google.cloud.video.livestream.v1.LivestreamService/CreateChannel";

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
