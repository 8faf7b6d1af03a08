//! Retries, backoff, deadlines and request_id under injected faults, over real gRPC (the
//! fake served in-process, on paused tokio time, so every delay is exact and instant; one
//! test over a socket on real time).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::names::{channel, location};
use common::{Fake, done_operation};
use livestream_grpc::policy::{
    CallOptions, ExponentialBackoff, NeverRetry, RetryCodes, RetryPolicyExt,
};
use livestream_grpc::v1::*;
use livestream_grpc::{Client, ErrorKind, Method};
use tokio::time::Instant;
use tonic::Code;

fn exact_backoff() -> ExponentialBackoff {
    ExponentialBackoff::builder()
        .without_jitter()
        .build()
        .unwrap()
}

fn assert_close(actual: Duration, expected: Duration) {
    let diff = actual.abs_diff(expected);
    assert!(
        diff < Duration::from_millis(2),
        "{actual:?} is not {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn reads_retry_unavailable_with_exponential_backoff() {
    let fake = Fake::new();
    fake.fail("GetChannel", [Code::Unavailable, Code::Unavailable]);
    let client = fake.client();
    let start = Instant::now();
    let channel = client
        .get_channel(channel())
        .with_backoff(exact_backoff())
        .await
        .unwrap();
    assert_eq!(channel, Channel::default());
    assert_eq!(fake.count("GetChannel"), 3);
    // 1 s, then 1.3 s.
    assert_close(start.elapsed(), Duration::from_millis(2300));
}

#[tokio::test(start_paused = true)]
async fn default_backoff_is_jittered_within_the_service_config_bounds() {
    let fake = Fake::new();
    fake.fail("ListInputs", [Code::Unavailable; 4]);
    let start = Instant::now();
    fake.client().list_inputs(location()).await.unwrap();
    assert_eq!(fake.count("ListInputs"), 5);
    // Full jitter: each sleep in [0, 1 s], [0, 1.3 s], [0, 1.69 s], [0, 2.197 s].
    assert!(
        start.elapsed() <= Duration::from_millis(6187),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn codes_not_in_the_policy_fail_at_once() {
    let fake = Fake::new();
    for code in [
        Code::NotFound,
        Code::InvalidArgument,
        Code::Internal,
        Code::DeadlineExceeded,
    ] {
        fake.fail("GetEvent", [code]);
        let event = channel().event("e").unwrap();
        let err = fake.client().get_event(&event).await.unwrap_err();
        assert_eq!(err.code(), code);
        assert_eq!(err.kind(), ErrorKind::Status, "{err:?}");
        assert_eq!(err.attempts(), 1);
        assert!(err.may_have_been_sent());
    }
    assert_eq!(fake.count("GetEvent"), 4);
}

#[tokio::test(start_paused = true)]
async fn the_attempt_limit_ends_in_retries_exhausted() {
    let fake = Fake::new();
    fake.fail("GetPool", [Code::Unavailable; 10]);
    let pool = location().pool("default").unwrap();
    let err = fake.client().get_pool(&pool).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
    assert!(err.is_exhausted() && err.is_unavailable() && err.is_retryable());
    assert_eq!(err.attempts(), 5);
    assert_eq!(fake.count("GetPool"), 5);
    assert_eq!(err.status().unwrap().message(), "injected Unavailable");
    assert!(
        err.to_string()
            .starts_with("GetPool: gave up after 5 attempts"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_overall_deadline_bounds_retries() {
    let fake = Fake::new();
    fake.fail("GetClip", [Code::Unavailable; 10]);
    let clip = channel().clip("k").unwrap();
    let start = Instant::now();
    let err = fake
        .client()
        .get_clip(&clip)
        .with_backoff(exact_backoff())
        .with_timeout(Duration::from_secs(3))
        .await
        .unwrap_err();
    // Attempts at 0 s, 1 s and 2.3 s; the next would start at 3.99 s.
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout() && err.code() == Code::DeadlineExceeded);
    assert_eq!(err.attempts(), 3);
    assert_eq!(fake.count("GetClip"), 3);
    assert!(start.elapsed() <= Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_slow_server_meets_the_sixty_second_default_deadline() {
    let fake = Fake::new();
    fake.delay("GetAsset", Duration::from_secs(600));
    let asset = location().asset("a").unwrap();
    let start = Instant::now();
    let err = fake.client().get_asset(&asset).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    assert_eq!(fake.count("GetAsset"), 1);
    // The deadline was sent to the server.
    let timeout = fake.header("GetAsset", 0, "grpc-timeout").unwrap();
    assert_eq!(parse_grpc_timeout(&timeout), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn the_attempt_timeout_is_sent_and_enforced_separately() {
    let fake = Fake::new();
    fake.delay("ListClips", Duration::from_secs(10));
    let start = Instant::now();
    let err = fake
        .client()
        .list_clips(channel())
        .with_backoff(exact_backoff())
        .with_attempt_timeout(Duration::from_secs(2))
        .with_retry_policy(
            RetryCodes::new([Code::Unavailable, Code::DeadlineExceeded]).with_attempt_limit(3),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
    assert_eq!(err.code(), Code::DeadlineExceeded);
    assert_eq!(err.attempts(), 3);
    // Three attempts of 2 s, with 1 s and 1.3 s between them.
    assert_close(start.elapsed(), Duration::from_millis(8300));
    for call in 0..3 {
        let sent = fake.header("ListClips", call, "grpc-timeout").unwrap();
        assert_eq!(parse_grpc_timeout(&sent), Duration::from_secs(2));
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_info_delay_from_the_server_wins_over_backoff() {
    use tonic_types::{ErrorDetails, StatusExt};
    let fake = Fake::new();
    let mut details = ErrorDetails::new();
    details.set_retry_info(Some(Duration::from_secs(7)));
    fake.fail_with(
        "GetInput",
        [tonic::Status::with_error_details(
            Code::Unavailable,
            "overloaded",
            details,
        )],
    );
    let start = Instant::now();
    let input = location().input("i").unwrap();
    fake.client().get_input(&input).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert_eq!(fake.count("GetInput"), 2);
}

/// A CreateChannel that honours request_id as the service does: a repeated ID returns the
/// first operation and creates nothing.
fn deduplicating_create(fake: &Fake) -> Arc<Mutex<HashMap<String, String>>> {
    let created: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let store = created.clone();
    let names = fake.clone();
    fake.on("CreateChannel", move |request: CreateChannelRequest| {
        let mut store = store.lock().unwrap();
        let channel = Channel {
            name: format!("{}/channels/{}", request.parent, request.channel_id),
            ..Default::default()
        };
        let name = store
            .entry(request.request_id.clone())
            .or_insert_with(|| names.operation_name())
            .clone();
        Ok(done_operation(name, &channel))
    });
    created
}

#[tokio::test(start_paused = true)]
async fn a_create_is_retried_with_the_same_request_id_and_creates_one_channel() {
    let fake = Fake::new();
    let created = deduplicating_create(&fake);
    // The first attempt creates the channel but its answer is lost.
    fake.fail_after("CreateChannel", [Code::Unavailable]);
    let operation = fake
        .client()
        .create_channel(CreateChannelRequest {
            parent: location().to_string(),
            channel_id: "c".into(),
            channel: Some(Channel::default()),
            ..Default::default()
        })
        .await
        .unwrap();
    let channel = operation.until_done().await.unwrap();
    assert_eq!(channel.name, common::names::channel().to_string());

    let requests = fake.requests::<CreateChannelRequest>("CreateChannel");
    assert_eq!(requests.len(), 2);
    let id = &requests[0].request_id;
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    assert_eq!(
        &requests[1].request_id, id,
        "the same request_id on every attempt"
    );
    assert_eq!(requests[0], requests[1], "the same request, byte for byte");
    assert_eq!(
        created.lock().unwrap().len(),
        1,
        "exactly one channel created"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_id_set_by_the_caller_is_kept_and_retried_safely() {
    let fake = Fake::new();
    let created = deduplicating_create(&fake);
    fake.fail_after("CreateChannel", [Code::Unavailable, Code::Unavailable]);
    let id = "4d6f1c1e-8a9b-4c55-9f3e-2f5d2f2f6a10";
    let request = CreateChannelRequest {
        parent: location().to_string(),
        channel_id: "c".into(),
        request_id: id.into(),
        ..Default::default()
    };
    fake.client().create_channel(request).await.unwrap();
    let requests = fake.requests::<CreateChannelRequest>("CreateChannel");
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.request_id == id));
    assert_eq!(created.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn every_mutation_with_a_request_id_is_retried_by_default() {
    let fake = Fake::new();
    let client = fake.client();
    fake.fail("StartChannel", [Code::Unavailable]);
    fake.fail("DeleteEvent", [Code::Unavailable]);
    fake.fail("UpdatePool", [Code::Unavailable]);
    client.start_channel(channel()).await.unwrap();
    client
        .delete_event(channel().event("e").unwrap())
        .await
        .unwrap();
    client
        .update_pool(UpdatePoolRequest {
            pool: Some(Pool {
                name: location().pool("default").unwrap().to_string(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    for method in ["StartChannel", "DeleteEvent", "UpdatePool"] {
        assert_eq!(fake.count(method), 2, "{method}");
    }
    let ids: Vec<String> = fake
        .requests::<DeleteEventRequest>("DeleteEvent")
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test(start_paused = true)]
async fn mutations_without_a_request_id_are_not_retried() {
    let fake = Fake::new();
    fake.fail("PreviewInput", [Code::Unavailable]);
    fake.fail("CancelOperation", [Code::Unavailable]);
    let client = fake.client();
    let err = client
        .preview_input(location().input("i").unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Status,
        "not 'exhausted': never retryable here"
    );
    assert_eq!(err.attempts(), 1);
    let op = livestream_grpc::names::OperationName::new("p", "us-central1", "o").unwrap();
    assert!(client.cancel_operation(&op).await.is_err());
    assert_eq!(fake.count("PreviewInput"), 1);
    assert_eq!(fake.count("CancelOperation"), 1);
}

#[tokio::test(start_paused = true)]
async fn client_and_call_options_override_the_defaults() {
    let fake = Fake::new();
    let client = Client::builder()
        .with_method_options(
            Method::GetChannel,
            CallOptions::new().with_retry_policy(NeverRetry),
        )
        .with_call_options(CallOptions::new().with_backoff(exact_backoff()))
        .build_with_service(fake.routes())
        .unwrap();
    assert_eq!(
        client
            .method_options(Method::GetChannel)
            .retry_policy()
            .unwrap()
            .attempt_limit(),
        Some(1)
    );
    assert_eq!(
        client.method_options(Method::GetChannel).timeout(),
        Some(Duration::from_secs(60)),
        "unset settings keep their defaults"
    );

    fake.fail("GetChannel", [Code::Unavailable]);
    let err = client.get_channel(channel()).await.unwrap_err();
    assert_eq!(err.attempts(), 1, "client override: never retry");

    fake.fail("GetChannel", [Code::Unavailable]);
    let start = Instant::now();
    client
        .get_channel(channel())
        .with_retry_policy(RetryCodes::new([Code::Unavailable]))
        .await
        .unwrap();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(1),
        "client-wide exact backoff"
    );

    // A mutation can be made non-retrying per call.
    fake.fail("StopChannel", [Code::Unavailable]);
    let err = client
        .stop_channel(channel())
        .with_retry_policy(NeverRetry)
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn per_call_metadata_reaches_the_server() {
    use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
    let fake = Fake::new();
    let options = CallOptions::new().with_metadata(
        AsciiMetadataKey::from_static("x-goog-emulator-instructions"),
        AsciiMetadataValue::from_static("fail-once"),
    );
    fake.client()
        .get_channel(channel())
        .with_options(options)
        .await
        .unwrap();
    assert_eq!(
        fake.header("GetChannel", 0, "x-goog-emulator-instructions")
            .as_deref(),
        Some("fail-once")
    );
}

#[tokio::test]
async fn retries_work_over_a_socket() {
    let fake = Fake::new();
    let served = fake.serve().await;
    let client = Client::builder()
        .with_endpoint(served.endpoint())
        .with_call_options(
            CallOptions::new().with_backoff(
                ExponentialBackoff::builder()
                    .with_initial_delay(Duration::from_millis(1))
                    .with_maximum_delay(Duration::from_millis(5))
                    .build()
                    .unwrap(),
            ),
        )
        .build()
        .await
        .unwrap();
    fake.fail("ListEvents", [Code::Unavailable, Code::Unavailable]);
    client.list_events(channel()).await.unwrap();
    assert_eq!(fake.count("ListEvents"), 3);
}

/// Parses a `grpc-timeout` header (`<digits><unit>`).
fn parse_grpc_timeout(value: &str) -> Duration {
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().unwrap();
    match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        other => panic!("unit {other}"),
    }
}
