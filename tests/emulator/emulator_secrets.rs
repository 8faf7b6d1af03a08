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
