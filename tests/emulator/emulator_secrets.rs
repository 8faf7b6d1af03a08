//! Credentials a client sends never come back: the request log (and so the admin RPC
//! `ListRecordedRequests`) keeps only their presence, scheme and length, unless a test opts
//! in with `record_credentials`.

use std::collections::BTreeMap;

use crate::emulator_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::Emulator;
use livestream_grpc::emulator::admin::ListRecordedRequestsRequest;
use livestream_grpc::emulator::admin::emulator_admin_client::EmulatorAdminClient;
use livestream_grpc::v1::GetChannelRequest;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use prost::Message;

/// A secret no redacted form can contain.
const SECRET: &str = "S3cr3tT0k3n";

fn token() -> String {
    format!("ya29.{}", SECRET.repeat(16))
}

/// Adds the three kinds of credential a client may send.
fn with_credentials(mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
    let metadata = request.metadata_mut();
    metadata.insert(
        "authorization",
        format!("Bearer {}", token()).parse().unwrap(),
    );
    metadata.insert("x-goog-api-key", format!("AIza{SECRET}").parse().unwrap());
    metadata.insert("cookie", format!("SID={SECRET}; HSID=x").parse().unwrap());
    Ok(request)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_token_sent_by_a_client_never_comes_back_through_the_admin_service() {
    let env = start().await;
    let mut ls = LivestreamServiceClient::with_interceptor(env.emu.channel(), with_credentials);
    let err = ls
        .get_channel(GetChannelRequest {
            name: channel_name("ch"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);

    // Over gRPC, as a test in another language (or anyone on the network) would ask.
    let mut admin = EmulatorAdminClient::new(env.emu.channel());
    let listed = admin
        .list_recorded_requests(ListRecordedRequestsRequest {
            method: "GetChannel".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!contains(&listed.encode_to_vec(), SECRET), "{listed:?}");
    let headers: BTreeMap<String, String> = listed.requests[0]
        .headers
        .iter()
        .map(|h| (h.key.clone(), h.value.clone()))
        .collect();
    assert_eq!(
        headers["authorization"],
        format!("Bearer <redacted, {} bytes>", token().len())
    );
    assert_eq!(
        headers["x-goog-api-key"],
        format!("<redacted, {} bytes>", 4 + SECRET.len())
    );
    assert_eq!(
        headers["cookie"],
        format!(
            "<redacted, {} bytes>",
            format!("SID={SECRET}; HSID=x").len()
        )
    );
    // Other headers are kept as sent.
    assert!(headers["content-type"].starts_with("application/grpc"));

    // And in Rust.
    let recorded = env.requests(Method::GetChannel);
    assert_eq!(
        recorded[0].header("authorization"),
        Some(format!("Bearer <redacted, {} bytes>", token().len()).as_str())
    );
    let everything = format!("{recorded:?} {:?}", recorded[0].headers());
    assert!(!everything.contains(SECRET), "{everything}");
}

#[tokio::test]
async fn a_test_that_needs_the_credentials_opts_in() {
    let emu = Emulator::builder().record_credentials(true).build();
    assert!(emu.config().record_credentials);
    let mut ls = LivestreamServiceClient::with_interceptor(emu.service(), with_credentials);
    let _ = ls
        .get_channel(GetChannelRequest {
            name: channel_name("ch"),
        })
        .await;
    let recorded = emu.requests(Method::GetChannel);
    let expected = format!("Bearer {}", token());
    assert_eq!(recorded[0].header("authorization"), Some(expected.as_str()));
}

/// A stream key no redacted form can contain.
const STREAM_KEY: &str = "rtmp-StreamKey-0f9e8d7c6b5a";

/// `body` with an RTMP push distribution whose stream key is `key`.
fn with_rtmp_distribution(
    body: livestream_grpc::v1::Channel,
    key: &str,
) -> livestream_grpc::v1::Channel {
    use livestream_grpc::v1::{RtmpPushOutputEndpoint, distribution};
    let rtmp = distribution::Endpoint::RtmpPush(RtmpPushOutputEndpoint {
        uri: "rtmp://a.rtmp.example.com/live2".into(),
        stream_key: key.into(),
    });
    with_distribution_to(body, "youtube", "flv", rtmp)
}

#[tokio::test]
async fn a_stream_key_never_comes_back_through_export_state() {
    use livestream_grpc::emulator::admin::ExportStateRequest;
    use livestream_grpc::emulator::{LroTiming, RemoteEmulator};
    use livestream_grpc::field_mask::UpdateMask;
    use livestream_grpc::v1::UpdateChannelRequest;

    let mut env = start().await;
    env.create_input("in").await;
    // Created with a request_id (remembered with its answer: the operation, whose result is
    // the channel), then updated while operations wait (the pending change holds the whole
    // new body, distributions included).
    let body = with_rtmp_distribution(channel_body(Some("in")), STREAM_KEY);
    let request = livestream_grpc::v1::CreateChannelRequest {
        request_id: "7b0d3c84-6a55-4f0e-9a43-1a4f2b7c9d10".into(),
        ..create_channel_request("ch", body)
    };
    let created = env.ls.create_channel(request).await.unwrap().into_inner();
    assert!(created.done);
    env.set_lro_timing(LroTiming::Manual);
    let next = livestream_grpc::v1::Channel {
        name: channel_name("ch"),
        output: Some(livestream_grpc::v1::channel::Output {
            uri: "gs://my-bucket/v2".into(),
        }),
        ..Default::default()
    };
    let pending = env
        .ls
        .update_channel(UpdateChannelRequest {
            update_mask: Some(
                UpdateMask::<livestream_grpc::v1::Channel>::from_paths(["output"])
                    .unwrap()
                    .into(),
            ),
            channel: Some(next),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!pending.done);
    // The API itself hands the key back to its owner, as the real service does.
    assert!(format!("{:?}", env.get_channel("ch").await).contains(STREAM_KEY));

    let mut admin = EmulatorAdminClient::new(env.emu.channel());
    let bytes = admin
        .export_state(ExportStateRequest {})
        .await
        .unwrap()
        .into_inner()
        .snapshot;
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!contains(STREAM_KEY), "a stream key in the exported state");
    assert!(contains(&channel_name("ch")), "the channel is exported");
    let state = livestream_grpc::emulator::admin::Snapshot::decode(bytes.as_slice()).unwrap();
    let channel = state.channels[0].channel.as_ref().unwrap();
    let livestream_grpc::v1::distribution::Endpoint::RtmpPush(rtmp) =
        channel.distributions[0].endpoint.as_ref().unwrap()
    else {
        panic!("an RTMP distribution");
    };
    assert_eq!(
        rtmp.stream_key,
        format!("<redacted, {} bytes>", STREAM_KEY.len())
    );
    assert_eq!(
        rtmp.uri, "rtmp://a.rtmp.example.com/live2",
        "the rest is kept"
    );
    // The typed clients answer the same redacted state.
    let remote = RemoteEmulator::connect(env.emu.endpoint()).unwrap();
    let typed = remote.export_state().await.unwrap();
    assert!(!format!("{typed:?}").contains(STREAM_KEY));
    assert!(!format!("{:?}", env.export_state()).contains(STREAM_KEY));
    env.emu.shutdown().await.unwrap();
}
