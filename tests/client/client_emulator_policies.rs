//! Retry policies against the emulator's injected faults (in-process gRPC on paused tokio
//! time): idempotency decides which failures a policy may retry, whatever the policy.

use std::time::Duration;

use crate::client_emulator_support::*;
use livestream_grpc::emulator::{Emulator, FaultScript, LroTiming};
use livestream_grpc::longrunning::{CancelOperationRequest, DeleteOperationRequest};
use livestream_grpc::policy::{CallOptions, RetryCodes};
use livestream_grpc::v1::PreviewInputRequest;
use livestream_grpc::{Client, ErrorKind, Method};
use tonic::Code;

/// A client whose every method retries `UNAVAILABLE` (a client-wide policy replaces the
/// per-method defaults), with exact backoff.
fn retry_everything(emu: &Emulator) -> Client {
    Client::builder()
        .with_call_options(
            CallOptions::new()
                .with_retry_policy(RetryCodes::new([Code::Unavailable]))
                .with_backoff(exact_backoff()),
        )
        .build_with_service(emu.service())
        .expect("a client of the emulator")
}

/// The defect of issue 11: a client-wide policy made the three RPCs that are not idempotent
/// (no `request_id`, not a read) retried on `UNAVAILABLE`. A failure that reached the
/// service is never retried for them, whatever the policy.
#[tokio::test(start_paused = true)]
async fn a_client_wide_policy_never_retries_calls_that_are_not_idempotent() {
    let emu = Emulator::builder().lro_timing(LroTiming::Instant).build();
    let client = retry_everything(&emu);
    create_input(&client, "in").await;
    emu.set_lro_timing(LroTiming::Manual);
    let operation = start_input(&client, "in2").await;

    for method in [
        Method::PreviewInput,
        Method::CancelOperation,
        Method::DeleteOperation,
    ] {
        assert!(!method.is_idempotent(), "{method}");
        emu.inject_faults(method, FaultScript::codes([Code::Unavailable; 2]));
    }
    let preview = PreviewInputRequest {
        name: input("in").to_string(),
        ..Default::default()
    };
    let cancel = CancelOperationRequest {
        name: operation.to_string(),
        ..Default::default()
    };
    let delete = DeleteOperationRequest {
        name: operation.to_string(),
        ..Default::default()
    };
    let errors = [
        client.preview_input(preview).await.unwrap_err(),
        client.cancel_operation(cancel).await.unwrap_err(),
        client.delete_operation(delete).await.unwrap_err(),
    ];
    for err in errors {
        let method = err.method().unwrap_or_default();
        assert!(err.is_unavailable() && err.may_have_been_sent(), "{err:?}");
        assert_eq!(err.attempts(), 1, "{method} was retried: {err:?}");
        assert_eq!(
            err.kind(),
            ErrorKind::Status,
            "{method}: permanent, not exhausted"
        );
    }
    for method in [
        Method::PreviewInput,
        Method::CancelOperation,
        Method::DeleteOperation,
    ] {
        assert_eq!(emu.call_count(method), 1, "{method}");
    }
    // Reads and mutations with a request_id still follow the client-wide policy.
    emu.inject_faults(Method::GetInput, FaultScript::codes([Code::Unavailable; 2]));
    let start = tokio::time::Instant::now();
    client.get_input(input("in")).await.unwrap();
    assert_eq!(emu.call_count(Method::GetInput), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(2300));
}

/// The opt-in: a call (or the client, per method) that declares itself idempotent is
/// retried by its policy.
#[tokio::test(start_paused = true)]
async fn a_call_or_a_client_can_opt_a_call_into_retries() {
    let emu = Emulator::builder().lro_timing(LroTiming::Instant).build();
    let client = retry_everything(&emu);
    create_input(&client, "in").await;
    let preview = || PreviewInputRequest {
        name: input("in").to_string(),
        ..Default::default()
    };
    emu.inject_faults(
        Method::PreviewInput,
        FaultScript::codes([Code::Unavailable; 2]),
    );
    let start = tokio::time::Instant::now();
    // Retried twice, then the emulator's own answer (no channel streams from the input).
    let err = client
        .preview_input(preview())
        .with_idempotency(true)
        .await
        .unwrap_err();
    assert!(err.is_failed_precondition(), "{err:?}");
    assert_eq!(err.attempts(), 3);
    assert_eq!(emu.call_count(Method::PreviewInput), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(2300));

    let opted_in = Client::builder()
        .with_method_options(
            Method::PreviewInput,
            CallOptions::new().with_idempotency(true),
        )
        .build_with_service(emu.service())
        .unwrap();
    assert_eq!(
        opted_in.method_options(Method::PreviewInput).idempotency(),
        Some(true)
    );
    emu.inject_faults(
        Method::PreviewInput,
        FaultScript::codes([Code::Unavailable]),
    );
    let err = opted_in.preview_input(preview()).await.unwrap_err();
    assert!(
        err.is_failed_precondition() && err.attempts() == 2,
        "{err:?}"
    );
    assert_eq!(emu.call_count(Method::PreviewInput), 5);

    // And the other way: a read declared not idempotent is not retried once sent.
    emu.inject_faults(Method::GetInput, FaultScript::codes([Code::Unavailable]));
    let err = client
        .get_input(input("in"))
        .with_idempotency(false)
        .await
        .unwrap_err();
    assert_eq!(
        (err.attempts(), err.kind()),
        (1, ErrorKind::Status),
        "{err:?}"
    );
}

/// A connection failure never reached the service: even a call that is not idempotent is
/// retried by the default policy (and says so: a `Connect` error, never sent).
#[tokio::test]
async fn connection_failures_are_retried_even_when_not_idempotent() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let client = Client::builder()
        .with_endpoint(format!("http://127.0.0.1:{port}"))
        .with_call_options(CallOptions::new().with_backoff(short_backoff()))
        .build()
        .await
        .unwrap();
    let err = client
        .preview_input(PreviewInputRequest {
            name: input("in").to_string(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(!err.may_have_been_sent(), "{err:?}");
    assert_eq!(err.attempts(), 5, "the default attempt limit: {err:?}");
}

/// A circuit breaker shared by the client: it opens after five transient failures more
/// than successes, ends a call on its first failure with a throttled error whose attempt
/// count is true, and closes again as successes refill it.
#[tokio::test(start_paused = true)]
async fn the_circuit_breaker_opens_under_failures_and_closes_after_successes() {
    use livestream_grpc::policy::CircuitBreaker;
    use std::sync::Arc;
    let emu = Emulator::builder().lro_timing(LroTiming::Instant).build();
    let breaker = Arc::new(CircuitBreaker::new(100, 50, 10).unwrap());
    let client = Client::builder()
        .with_shared_retry_throttler(breaker.clone())
        .with_call_options(CallOptions::new().with_backoff(exact_backoff()))
        .build_with_service(emu.service())
        .unwrap();
    create_input(&client, "in").await;
    assert_eq!(breaker.tokens(), 100);

    emu.inject_faults(
        Method::GetInput,
        FaultScript::probability(1.0, Code::Unavailable),
    );
    // Five failed attempts: the attempt limit, not the breaker, ends the first call.
    let err = client.get_input(input("in")).await.unwrap_err();
    assert!(err.is_exhausted() && !err.is_throttled(), "{err:?}");
    assert_eq!(err.attempts(), 5);
    assert_eq!(breaker.tokens(), 50);
    assert!(breaker.is_open());
    // Open: the next call ends after its first attempt, throttled.
    let err = client.get_input(input("in")).await.unwrap_err();
    assert!(err.is_throttled() && err.is_exhausted(), "{err:?}");
    assert_eq!(err.attempts(), 1);
    assert!(err.to_string().contains("retry throttled"), "{err}");
    assert_eq!(emu.call_count(Method::GetInput), 6);

    assert_eq!(breaker.tokens(), 40);

    // First attempts still go out; their successes close the breaker.
    emu.clear_faults(Method::GetInput);
    for _ in 0..11 {
        client.get_input(input("in")).await.unwrap();
    }
    assert_eq!(breaker.tokens(), 51);
    assert!(!breaker.is_open());
    // A failure costs 10 before the retry is considered: 61 tokens let one through.
    for _ in 0..10 {
        client.get_input(input("in")).await.unwrap();
    }
    emu.inject_faults(Method::GetInput, FaultScript::codes([Code::Unavailable]));
    client.get_input(input("in")).await.expect("retried again");
    assert_eq!(breaker.tokens(), 52);

    // A call can opt out of the client's throttler (its four failures would open it).
    emu.inject_faults(Method::GetInput, FaultScript::codes([Code::Unavailable; 4]));
    client
        .get_input(input("in"))
        .with_retry_throttler(livestream_grpc::policy::NeverThrottle)
        .await
        .expect("four failures, then an answer");
    assert_eq!(
        breaker.tokens(),
        52,
        "a call with a throttler of its own leaves the client's alone"
    );
}
