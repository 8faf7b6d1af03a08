//! Long-running operations through `Client` against the emulator: waiting on delayed
//! operations with the polling backoff, the default and custom bounds, cancellation with
//! rollback, resuming by name in a fresh client, failed operations, and decoded metadata.
//! WaitOperation against the caller's deadline. In-process on paused tokio time (the
//! emulator clock follows it), plus a few calls over a socket.

use crate::emulator_support;
use livestream_grpc::Method;

use std::time::Duration;

use crate::client_emulator_support::*;
use futures_util::StreamExt;
use livestream_grpc::emulator::{Emulator, LroTiming};
use livestream_grpc::lro::Progress;
use livestream_grpc::names::OperationName;
use livestream_grpc::policy::{ExponentialBackoff, PollingOptions};
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::*;
use livestream_grpc::{Client, ErrorKind};
use tokio::time::Instant;

/// The times (from the start of a wait) of the polls the default polling backoff makes
/// within `bound`: 1 s, 2.5 s, 4.75 s, ... (1 s ×1.5 up to 20 s between polls).
fn poll_times(bound: Duration) -> Vec<Duration> {
    let backoff = ExponentialBackoff::polling_default();
    let mut times = Vec::new();
    let mut at = Duration::ZERO;
    loop {
        at += backoff.delay(times.len() as u32 + 1);
        if at > bound {
            return times;
        }
        times.push(at);
    }
}

/// Paused tokio time still rounds each sleep up to the millisecond.
fn assert_about(actual: Duration, expected: Duration) {
    assert!(
        actual.abs_diff(expected) < Duration::from_millis(5),
        "{actual:?} is not about {expected:?}"
    );
}

#[test]
fn the_default_polling_schedule() {
    let times = poll_times(Duration::from_secs(15));
    let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    assert_eq!(secs, [1.0, 2.5, 4.75, 8.125, 13.1875]);
}

#[tokio::test(start_paused = true)]
async fn wait_polls_a_delayed_operation_with_the_default_backoff() {
    let (emu, client) = in_process(LroTiming::Delay(Duration::from_secs(10)));
    let start = Instant::now();
    let mut operation = client
        .create_channel(create_channel_request("ch", None))
        .await
        .unwrap();
    assert!(!operation.is_done() && operation.result().is_none());
    let metadata = operation.metadata().unwrap().expect("metadata");
    assert_eq!(metadata.verb, "create");
    assert_eq!(metadata.target, channel("ch").to_string());
    assert_eq!(metadata.api_version, "v1");
    assert!(metadata.create_time.is_some() && metadata.end_time.is_none());
    let created: Channel = operation.wait().await.unwrap();
    assert_eq!(created.name, channel("ch").to_string());
    // Polls at 1, 2.5, 4.75 and 8.125 s find it running; the one at 13.1875 s, done.
    let polls = poll_times(Duration::from_secs(14));
    assert_eq!(polls.len(), 5);
    assert_about(start.elapsed(), polls[4]);
    assert_eq!(emu.call_count(Method::GetOperation), 5);
    for request in emu.requests(Method::GetOperation) {
        assert_eq!(
            request.header("x-goog-request-params"),
            Some(format!("name={}", operation.name()).as_str())
        );
    }
    assert!(operation.is_done());
    let metadata = operation.metadata().unwrap().unwrap();
    assert!(metadata.end_time.is_some());
}

#[tokio::test(start_paused = true)]
async fn waiting_is_bounded_by_thirty_minutes_by_default_then_resumable() {
    let (emu, client) = in_process(LroTiming::Instant);
    let start = Instant::now();
    let (name, mut operation) = pending_start(&emu, &client, "ch").await;
    let err = operation.wait().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("resume it by name"), "{err}");
    assert!(err.to_string().contains(operation.name()), "{err}");
    let polls = poll_times(Duration::from_secs(30 * 60));
    assert_eq!(emu.call_count(Method::GetOperation), polls.len() as u64);
    assert_about(start.elapsed(), *polls.last().unwrap());
    // Still running, on the client's side and the emulator's.
    assert!(!operation.is_done());
    assert_eq!(
        client.get_channel(&name).await.unwrap().streaming_state(),
        StreamingState::Starting
    );
    // Waiting again picks up where it left.
    emu.complete_operation(operation.name()).unwrap();
    let _: ChannelOperationResponse = operation.wait().await.unwrap();
    assert_eq!(
        client.get_channel(&name).await.unwrap().streaming_state(),
        StreamingState::AwaitingInput
    );
}

#[tokio::test(start_paused = true)]
async fn custom_bounds_from_the_client_or_per_operation() {
    let emu = Emulator::builder().lro_timing(LroTiming::Manual).build();
    let client = Client::builder()
        .with_polling_options(PollingOptions::new().with_timeout(Duration::from_secs(10)))
        .build_with_service(emu.service())
        .unwrap();
    let start = Instant::now();
    let mut operation = client
        .create_input(create_input_request("in"))
        .await
        .unwrap();
    let err = operation.wait().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    // Polls at 1, 2.5, 4.75 and 8.125 s; the next would be after the 10 s bound.
    assert_about(start.elapsed(), Duration::from_millis(8125));
    assert_eq!(emu.call_count(Method::GetOperation), 4);

    // One operation's own bound, with its own backoff.
    let polling = PollingOptions::new()
        .with_backoff(
            ExponentialBackoff::builder()
                .with_initial_delay(Duration::from_secs(2))
                .with_multiplier(1.0)
                .without_jitter()
                .build()
                .unwrap(),
        )
        .with_timeout(Duration::from_secs(7));
    let mut operation = operation.with_polling_options(polling);
    let start = Instant::now();
    assert!(operation.wait().await.unwrap_err().is_timeout());
    assert_eq!(start.elapsed(), Duration::from_secs(6));
    assert_eq!(emu.call_count(Method::GetOperation), 4 + 3);
    emu.complete_all_operations();
    let created: Input = operation.wait().await.unwrap();
    assert_eq!(created.name, input("in").to_string());
}

#[tokio::test(start_paused = true)]
async fn cancel_rolls_a_start_back_and_the_wait_ends_cancelled() {
    let (emu, client) = in_process(LroTiming::Instant);
    let (name, mut operation) = pending_start(&emu, &client, "ch").await;
    assert_eq!(
        client.get_channel(&name).await.unwrap().streaming_state(),
        StreamingState::Starting
    );
    operation.cancel().await.unwrap();
    let err = operation.wait().await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Operation);
    assert!(err.is_operation_failure() && !err.is_retryable());
    assert_eq!(
        emu.call_count(Method::GetOperation),
        1,
        "the first poll finds it cancelled"
    );
    let metadata = operation.metadata().unwrap().unwrap();
    assert!(metadata.requested_cancellation);
    assert_eq!(metadata.verb, "start");
    assert_eq!(
        client.get_channel(&name).await.unwrap().streaming_state(),
        StreamingState::Stopped,
        "rolled back"
    );
    // Cancelling again, now that it is done, is accepted and changes nothing.
    operation.cancel().await.unwrap();
    assert!(operation.wait().await.unwrap_err().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn an_operation_resumes_by_name_in_a_fresh_client() {
    let emu = Emulator::builder()
        .lro_timing(LroTiming::Delay(Duration::from_secs(10)))
        .build();
    let saved: String = {
        let client = Client::from_service(emu.service());
        let operation = client
            .create_channel(create_channel_request("ch", None))
            .await
            .unwrap();
        operation.name().to_owned()
    };
    let name: OperationName = saved.parse().unwrap();
    let client = Client::from_service(emu.service());
    let start = Instant::now();
    let mut operation = client.operation::<Channel>(&name);
    assert!(operation.raw().is_none() && !operation.is_done());
    let created = operation.wait().await.unwrap();
    assert_eq!(created.name, channel("ch").to_string());
    // A resumed operation polls at once, then backs off: 0, 1.5, 3.75, 7.125, 12.1875 s.
    assert_eq!(emu.call_count(Method::GetOperation), 5);
    assert_about(start.elapsed(), Duration::from_micros(12_187_500));
    let metadata = operation.metadata().unwrap().unwrap();
    assert_eq!(metadata.target, created.name);
}

#[tokio::test]
async fn an_operation_resumes_by_name_over_a_new_connection() {
    let (emu, client) = over_socket(LroTiming::Manual).await;
    let name = start_input(&client, "in").await;
    drop(client);
    emu.complete_operation(&name).unwrap();
    let fresh = Client::builder()
        .with_endpoint(emu.endpoint())
        .build()
        .await
        .unwrap();
    let mut resumed = fresh.operation::<Input>(&name);
    assert!(resumed.poll().await.unwrap(), "done");
    let created = resumed.result().unwrap().unwrap();
    assert_eq!(created.name, input("in").to_string());
    assert_eq!(
        fresh.operation::<Input>(&name).until_done().await.unwrap(),
        created
    );
    assert_eq!(emu.call_count(Method::GetOperation), 2);

    // Resumed as the wrong type: a decode error, not a panic.
    let err = fresh
        .operation::<Channel>(&name)
        .until_done()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert!(err.to_string().contains("Channel"), "{err}");
    // An unknown operation: the poll's NOT_FOUND ends the wait.
    let unknown: OperationName = format!("{}/operations/nope", location()).parse().unwrap();
    let err = fresh
        .operation::<Input>(&unknown)
        .until_done()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.method(), Some("GetOperation"));
    emu.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn failed_operations_return_their_status() {
    let (emu, client) = in_process(LroTiming::Manual);
    // A pending operation failed by the emulator.
    let operation = client
        .create_channel(create_channel_request("ch", None))
        .await
        .unwrap();
    emu.fail_operation(operation.name(), "no capacity in us-central1")
        .unwrap();
    let err = operation.until_done().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Operation, "{err:?}");
    assert!(err.is_operation_failure() && err.may_have_been_sent());
    assert_eq!(err.code(), tonic::Code::Internal);
    assert_eq!(
        err.status().unwrap().message(),
        "no capacity in us-central1"
    );
    assert!(
        client
            .get_channel(channel("ch"))
            .await
            .unwrap_err()
            .is_not_found(),
        "the create was rolled back"
    );

    // An asset whose fetch fails while it is being created.
    let asset = location().asset("logo").unwrap();
    let operation = client
        .create_asset(create_asset_request("logo"))
        .await
        .unwrap();
    emu.fail_asset(&asset, "gs://my-bucket/logo.png: not found")
        .unwrap();
    emu.complete_operation(operation.name()).unwrap();
    let err = operation.until_done().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Operation, "{err:?}");
    assert_eq!(
        err.status().unwrap().message(),
        "gs://my-bucket/logo.png: not found"
    );
    assert_eq!(
        client.get_asset(&asset).await.unwrap().state(),
        asset::State::Error
    );
}

#[tokio::test(start_paused = true)]
async fn progress_streams_decoded_metadata_then_the_result() {
    let (emu, client) = in_process(LroTiming::Delay(Duration::from_secs(3)));
    let operation = client
        .create_channel(create_channel_request("ch", None))
        .await
        .unwrap();
    let steps: Vec<_> = operation.progress().collect().await;
    // Polls at 1 s and 2.5 s find it running, the one at 4.75 s done.
    assert_eq!(steps.len(), 3);
    for step in &steps[..2] {
        match step {
            Ok(Progress::Running(Some(metadata))) => {
                assert_eq!(metadata.verb, "create");
                assert_eq!(metadata.target, channel("ch").to_string());
                assert!(!metadata.requested_cancellation);
            }
            other => panic!("expected running with metadata, got {other:?}"),
        }
    }
    match &steps[2] {
        Ok(Progress::Done(created)) => assert_eq!(created.name, channel("ch").to_string()),
        other => panic!("expected the result, got {other:?}"),
    }
    assert_eq!(emu.call_count(Method::GetOperation), 3);
}

#[tokio::test(start_paused = true)]
async fn deletes_yield_unit() {
    let (emu, client) = in_process(LroTiming::Delay(Duration::from_secs(1)));
    let operation = client
        .create_input(create_input_request("in"))
        .await
        .unwrap();
    operation.until_done().await.unwrap();
    let () = finished(client.delete_input(input("in"))).await;
    assert!(
        client
            .get_input(input("in"))
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_eq!(emu.call_count(Method::GetOperation), 2);
}

/// WaitOperation answers the latest state a little before the caller's deadline rather than
/// letting the call fail at it.
#[tokio::test(start_paused = true)]
async fn wait_operation_answers_before_the_callers_deadline() {
    let (emu, client) = in_process(LroTiming::Manual);
    let name = start_input(&client, "in").await;

    // The default 60 s deadline; then 10 s; then a request timeout shorter than both.
    let start = Instant::now();
    let latest = client.wait_operation(&name).await.unwrap();
    assert!(!latest.done);
    assert_eq!(start.elapsed(), Duration::from_secs(59));
    let start = Instant::now();
    let latest = client
        .wait_operation(&name)
        .with_timeout(Duration::from_secs(10))
        .await
        .unwrap();
    assert!(!latest.done);
    assert_eq!(start.elapsed(), Duration::from_secs(9));
    let sent: Vec<_> = emu
        .requests(Method::WaitOperation)
        .iter()
        .map(|r| r.timeout())
        .collect();
    assert_eq!(
        sent,
        [Some(Duration::from_secs(60)), Some(Duration::from_secs(10))]
    );
    let request = livestream_grpc::longrunning::WaitOperationRequest {
        name: name.to_string(),
        timeout: Some(emulator_support::secs(3)),
    };
    let start = Instant::now();
    assert!(!client.wait_operation(request).await.unwrap().done);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test]
async fn wait_operation_over_a_socket_beats_the_servers_own_timeout() {
    let (emu, client) = over_socket(LroTiming::Manual).await;
    let name = start_input(&client, "in").await;
    let start = std::time::Instant::now();
    // The emulator answers 200 ms before the deadline: ample, even on a loaded machine.
    let latest = client
        .wait_operation(&name)
        .with_timeout(Duration::from_secs(2))
        .await
        .expect("the latest state, not a timeout");
    assert!(!latest.done);
    assert!(start.elapsed() < Duration::from_secs(2));
    emu.shutdown().await.unwrap();
}
