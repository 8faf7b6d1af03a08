//! Polling error policies over real gRPC: the emulator on a loopback port fails
//! `GetOperation` with injected faults while the client waits for an operation.

use std::time::Duration;

use livestream_grpc::emulator::{FaultScript, LroTiming};
use std::sync::Arc;

use livestream_grpc::policy::{
    Aip194Strict, ExponentialBackoff, PollingErrorPolicy, PollingErrorPolicyExt, PollingOptions,
    StopOnError,
};
use livestream_grpc::v1::Input;
use livestream_grpc::{ErrorKind, Method};
use tonic::Code;

use crate::client_emulator_support::*;

/// Polls every 5 ms, for at most 10 s (real time: the emulator is a real server).
fn fast_polling() -> PollingOptions {
    PollingOptions::new()
        .with_backoff(
            ExponentialBackoff::builder()
                .with_initial_delay(Duration::from_millis(5))
                .with_maximum_delay(Duration::from_millis(5))
                .without_jitter()
                .build()
                .expect("a valid backoff"),
        )
        .with_timeout(Duration::from_secs(10))
}

#[tokio::test]
async fn a_wait_polls_through_unavailable_and_ends_on_a_permanent_failure() {
    let (emu, client) = over_socket(LroTiming::Delay(Duration::from_millis(100))).await;

    // Three failed polls in a row: the default policy polls on, one attempt per poll.
    emu.inject_faults(
        Method::GetOperation,
        FaultScript::codes([Code::Unavailable; 3]),
    );
    let operation = client
        .create_input(create_input_request("in"))
        .await
        .unwrap()
        .with_polling_options(fast_polling());
    let created: Input = operation.until_done().await.unwrap();
    assert_eq!(created.name, input("in").to_string());
    let polls = emu.call_count(Method::GetOperation);
    assert!(
        polls >= 4,
        "3 failed polls and at least one that succeeded: {polls}"
    );

    // A permanent failure ends the wait at once, as it is.
    emu.inject_faults(
        Method::GetOperation,
        FaultScript::codes([Code::PermissionDenied]),
    );
    let mut operation = client
        .create_input(create_input_request("in2"))
        .await
        .unwrap()
        .with_polling_options(fast_polling());
    let err = operation.wait().await.unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(emu.call_count(Method::GetOperation), polls + 1);
    // The operation is still there: waiting again finishes it.
    let created: Input = operation.wait().await.unwrap();
    assert_eq!(created.name, input("in2").to_string());

    // The former behaviour, and a limit that gives up as exhausted.
    let policies: [(Arc<dyn PollingErrorPolicy>, ErrorKind); 2] = [
        (Arc::new(StopOnError), ErrorKind::Status),
        (
            Arc::new(Aip194Strict.with_attempt_limit(2)),
            ErrorKind::RetriesExhausted,
        ),
    ];
    for (i, (policy, kind)) in policies.into_iter().enumerate() {
        emu.inject_faults(
            Method::GetOperation,
            FaultScript::codes([Code::Unavailable; 2]),
        );
        let id = format!("in-{i}");
        let mut operation = client
            .create_input(create_input_request(&id))
            .await
            .unwrap()
            .with_polling_options(fast_polling().with_shared_error_policy(policy));
        let err = operation.wait().await.unwrap_err();
        assert_eq!(err.kind(), kind, "{err:?}");
        assert!(err.is_unavailable(), "{err:?}");
    }
}
