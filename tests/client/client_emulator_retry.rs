//! Retries, backoff, deadlines and `request_id` against the emulator's injected faults:
//! in-process on paused tokio time (the emulator clock follows it, so every delay is exact
//! and instant), plus one test over a socket on real time. The lost-response cases use
//! faults *after handling*: the emulator performs the call and answers the fault instead.

use crate::emulator_support;

use std::time::Duration;

use crate::client_emulator_support::*;
use livestream_grpc::emulator::{Emulator, Fault, FaultScript, LroTiming};
use livestream_grpc::longrunning::ListOperationsRequest;
use livestream_grpc::policy::{RetryCodes, RetryPolicyExt};
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::*;
use livestream_grpc::{Client, ErrorKind, Method};
use tokio::time::Instant;
use tonic::Code;

/// A lost response: the call takes effect, the caller sees UNAVAILABLE.
fn lost_response() -> FaultScript {
    FaultScript::faults([Fault::new(Code::Unavailable).after_handling()])
}

/// The recorded request_ids of every call of `method`.
fn request_ids(emu: &Emulator, method: Method) -> Vec<Option<String>> {
    emu.requests(method)
        .into_iter()
        .map(|r| r.request_id)
        .collect()
}

/// The operations of the test location whose metadata verb is `verb`.
async fn operations_with_verb(client: &Client, verb: &str) -> Vec<String> {
    let request = ListOperationsRequest {
        name: location().to_string(),
        filter: format!("metadata.verb = \"{verb}\""),
        ..Default::default()
    };
    client
        .list_operations(request)
        .collect_items(None)
        .await
        .unwrap()
        .into_iter()
        .map(|op| op.name)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn reads_retry_unavailable_with_exponential_backoff() {
    let (emu, client) = in_process(LroTiming::Instant);
    let name = channel_with_input(&client, "ch").await;
    emu.inject_faults(
        Method::GetChannel,
        FaultScript::codes([Code::Unavailable; 2]),
    );
    let start = Instant::now();
    let channel = client
        .get_channel(&name)
        .with_backoff(exact_backoff())
        .await
        .unwrap();
    assert_eq!(channel.name, name.to_string());
    assert_eq!(emu.call_count(Method::GetChannel), 3);
    // 1 s, then 1.3 s.
    assert_eq!(start.elapsed(), Duration::from_millis(2300));

    // Each page of a pager is retried on its own.
    emu.inject_faults(
        Method::ListChannels,
        FaultScript::codes([Code::Unavailable, Code::Ok, Code::Unavailable]),
    );
    create_channel(&client, "ch2", None).await;
    let request = ListChannelsRequest {
        parent: location().to_string(),
        page_size: 1,
        ..Default::default()
    };
    let channels = client
        .list_channels(request)
        .collect_items(None)
        .await
        .unwrap();
    assert_eq!(channels.len(), 2);
    assert_eq!(
        emu.call_count(Method::ListChannels),
        4,
        "two pages, each after one UNAVAILABLE"
    );
}

#[tokio::test(start_paused = true)]
async fn mutations_with_a_request_id_retry_unavailable_with_the_same_id() {
    let (emu, client) = in_process(LroTiming::Instant);
    let name = channel_with_input(&client, "ch").await;
    emu.inject_faults(
        Method::StartChannel,
        FaultScript::codes([Code::Unavailable; 2]),
    );
    let start = Instant::now();
    finished(client.start_channel(&name).with_backoff(exact_backoff())).await;
    assert_eq!(start.elapsed(), Duration::from_millis(2300));
    let ids = request_ids(&emu, Method::StartChannel);
    assert_eq!(ids.len(), 3);
    assert!(
        ids[0].is_some() && ids.iter().all(|id| *id == ids[0]),
        "{ids:?}"
    );
    assert_eq!(
        client.get_channel(&name).await.unwrap().streaming_state(),
        StreamingState::AwaitingInput
    );
}

#[tokio::test(start_paused = true)]
async fn other_codes_and_unretried_methods_fail_after_one_attempt() {
    let (emu, client) = in_process(LroTiming::Instant);
    let name = channel_with_input(&client, "ch").await;
    emu.set_lro_timing(LroTiming::Manual);
    for code in [
        Code::Internal,
        Code::NotFound,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
    ] {
        emu.inject_faults(Method::GetChannel, FaultScript::codes([code]));
        let err = client.get_channel(&name).await.unwrap_err();
        assert_eq!(
            (err.code(), err.kind()),
            (code, ErrorKind::Status),
            "{err:?}"
        );
        assert_eq!(err.attempts(), 1);
        assert!(err.may_have_been_sent());
    }
    assert_eq!(emu.call_count(Method::GetChannel), 4);

    // A mutation with a request_id is retried on UNAVAILABLE only.
    emu.inject_faults(
        Method::StopChannel,
        FaultScript::codes([Code::FailedPrecondition]),
    );
    let err = client.stop_channel(&name).await.unwrap_err();
    assert!(
        err.is_failed_precondition() && err.attempts() == 1,
        "{err:?}"
    );
    // So is the emulator's own FAILED_PRECONDITION (a stopped channel cannot stop), with
    // its details.
    let err = client.stop_channel(&name).await.unwrap_err();
    assert!(
        err.is_failed_precondition() && err.attempts() == 1,
        "{err:?}"
    );
    assert!(
        err.details()
            .and_then(|d| d.precondition_failure())
            .is_some(),
        "{err:?}"
    );
    assert_eq!(emu.call_count(Method::StopChannel), 2);

    // Methods without a request_id are never retried once sent, even on UNAVAILABLE.
    let operation = client.start_channel(&name).await.unwrap();
    emu.inject_faults(
        Method::PreviewInput,
        FaultScript::codes([Code::Unavailable]),
    );
    let err = client.preview_input(input("ch-in")).await.unwrap_err();
    assert!(err.is_unavailable() && err.attempts() == 1, "{err:?}");
    assert_eq!(
        err.kind(),
        ErrorKind::Status,
        "not exhausted: never retryable"
    );
    emu.inject_faults(
        Method::CancelOperation,
        FaultScript::codes([Code::Unavailable]),
    );
    let err = operation.cancel().await.unwrap_err();
    assert!(err.is_unavailable() && err.attempts() == 1, "{err:?}");
    assert_eq!(emu.call_count(Method::PreviewInput), 1);
    assert_eq!(emu.call_count(Method::CancelOperation), 1);
    assert!(!operation.is_done());
}

#[tokio::test(start_paused = true)]
async fn the_attempt_limit_ends_in_retries_exhausted_with_the_last_status() {
    let (emu, client) = in_process(LroTiming::Instant);
    create_input(&client, "in").await; // the pool appears
    let faults =
        (1..=6).map(|n| Fault::new(Code::Unavailable).with_message(format!("attempt {n}")));
    emu.inject_faults(Method::GetPool, FaultScript::faults(faults));
    let pool = location().pool("default").unwrap();
    let err = client.get_pool(&pool).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
    assert!(err.is_exhausted() && err.is_unavailable());
    assert_eq!(err.attempts(), 5);
    assert_eq!(
        err.status().unwrap().message(),
        "attempt 5",
        "the last status"
    );
    assert_eq!(emu.call_count(Method::GetPool), 5);
    assert!(
        err.to_string()
            .starts_with("GetPool: gave up after 5 attempts"),
        "{err}"
    );
    // The sixth fault is still queued: the next call meets it, then succeeds.
    client.get_pool(&pool).await.unwrap();
    assert_eq!(emu.call_count(Method::GetPool), 7);
}

#[tokio::test(start_paused = true)]
async fn the_overall_deadline_bounds_retries() {
    let (emu, client) = in_process(LroTiming::Instant);
    emu.inject_faults(
        Method::ListInputs,
        FaultScript::codes([Code::Unavailable; 10]),
    );
    let start = Instant::now();
    let err = client
        .list_inputs(location())
        .with_backoff(exact_backoff())
        .with_timeout(Duration::from_secs(3))
        .await
        .unwrap_err();
    // Attempts at 0 s, 1 s and 2.3 s; the next would start at 3.99 s.
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout() && err.code() == Code::DeadlineExceeded);
    assert_eq!(err.attempts(), 3);
    assert_eq!(emu.call_count(Method::ListInputs), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(2300));
}

#[tokio::test(start_paused = true)]
async fn deadlines_against_emulator_latency_are_sent_as_grpc_timeout() {
    let (emu, client) = in_process(LroTiming::Instant);
    // The default 60 s deadline against a 10 minute latency.
    emu.set_latency(Method::ListAssets, Duration::from_secs(600));
    let start = Instant::now();
    let err = client.list_assets(location()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    let sent = emu.requests(Method::ListAssets)[0].timeout();
    assert_eq!(sent, Some(Duration::from_secs(60)));

    // A per-attempt timeout, retried because the policy says so.
    emu.set_latency(Method::ListAssets, Duration::from_secs(10));
    let start = Instant::now();
    let err = client
        .list_assets(location())
        .with_backoff(exact_backoff())
        .with_attempt_timeout(Duration::from_secs(2))
        .with_retry_policy(
            RetryCodes::new([Code::Unavailable, Code::DeadlineExceeded]).with_attempt_limit(3),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
    assert_eq!((err.code(), err.attempts()), (Code::DeadlineExceeded, 3));
    // Three attempts of 2 s, with 1 s and 1.3 s between them.
    assert_eq!(start.elapsed(), Duration::from_millis(8300));
    let sent: Vec<_> = emu.requests(Method::ListAssets)[1..]
        .iter()
        .map(|r| r.timeout())
        .collect();
    assert_eq!(sent, [Some(Duration::from_secs(2)); 3]);
}

#[tokio::test(start_paused = true)]
async fn a_retry_info_delay_from_the_emulator_wins_over_backoff() {
    let (emu, client) = in_process(LroTiming::Instant);
    create_input(&client, "in").await;
    emu.inject_faults(
        Method::GetInput,
        FaultScript::codes([Code::Unavailable]).with_retry_delay(Duration::from_secs(7)),
    );
    let start = Instant::now();
    client.get_input(input("in")).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert_eq!(emu.call_count(Method::GetInput), 2);
}

/// Durations too large to add to a clock reading (a caller's `Duration::MAX`, a server's
/// absurd `RetryInfo` delay) mean "no bound in practice": never a panic.
#[tokio::test(start_paused = true)]
async fn absurd_durations_are_no_bound_rather_than_a_panic() {
    let (emu, client) = in_process(LroTiming::Instant);
    let created = create_input(&client, "in").await;
    let got = client
        .get_input(input("in"))
        .with_timeout(Duration::MAX)
        .with_attempt_timeout(Duration::MAX)
        .await
        .unwrap();
    assert_eq!(got, created);
    let sent = emu.requests(Method::GetInput)[0].timeout().unwrap();
    assert!(sent > Duration::from_secs(86_400 * 365), "{sent:?}");

    // A delay the 60 s deadline cannot wait for ends the call at once: by the default
    // policy's time limit, or by the deadline under a policy without one.
    let absurd =
        FaultScript::codes([Code::Unavailable]).with_retry_delay(Duration::from_secs(u64::MAX / 2));
    emu.inject_faults(Method::GetInput, absurd.clone());
    let start = Instant::now();
    let err = client.get_input(input("in")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
    assert_eq!((err.attempts(), start.elapsed()), (1, Duration::ZERO));
    emu.inject_faults(Method::GetInput, absurd);
    let err = client
        .get_input(input("in"))
        .with_retry_policy(RetryCodes::new([Code::Unavailable]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!((err.attempts(), start.elapsed()), (1, Duration::ZERO));

    // And a polling bound of `Duration::MAX`.
    emu.set_lro_timing(LroTiming::Delay(Duration::from_secs(5)));
    let polling = livestream_grpc::policy::PollingOptions::default().with_timeout(Duration::MAX);
    let operation = client
        .create_input(create_input_request("in2"))
        .await
        .unwrap()
        .with_polling_options(polling);
    assert_eq!(
        operation.until_done().await.unwrap().name,
        input("in2").to_string()
    );
}

#[tokio::test(start_paused = true)]
async fn a_lost_create_response_is_retried_with_the_same_request_id_and_creates_one_channel() {
    let (emu, client) = in_process(LroTiming::Instant);
    emu.inject_faults(Method::CreateChannel, lost_response());
    let operation = client
        .create_channel(create_channel_request("ch", None))
        .await
        .expect("the retry gets the original operation back");
    let ids = request_ids(&emu, Method::CreateChannel);
    assert_eq!(ids.len(), 2);
    assert!(ids[0].is_some() && ids[0] == ids[1], "{ids:?}");
    // One channel, one create operation: the one the retry returned.
    let creates = operations_with_verb(&client, "create").await;
    assert_eq!(creates, [operation.name()]);
    let created = operation.until_done().await.unwrap();
    assert_eq!(created.name, channel("ch").to_string());
    let channels = client
        .list_channels(location())
        .collect_items(None)
        .await
        .unwrap();
    assert_eq!(channels, [created]);
    // Without the replay the retry would have met ALREADY_EXISTS, as a new call does.
    let err = client
        .create_channel(create_channel_request("ch", None))
        .await
        .unwrap_err();
    assert!(err.is_already_exists() && err.attempts() == 1, "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_request_id_set_by_the_caller_is_kept_and_replayed() {
    let (emu, client) = in_process(LroTiming::Instant);
    let name = channel_with_input(&client, "ch").await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let start = StartChannelRequest {
        name: name.to_string(),
        request_id: request_id.clone(),
    };
    emu.inject_faults(Method::StartChannel, lost_response());
    let operation = client.start_channel(start.clone()).await.unwrap();
    assert_eq!(
        request_ids(&emu, Method::StartChannel),
        [Some(request_id.clone()), Some(request_id.clone())]
    );
    // Started once; sending the same request again (say, after a restart) answers the same
    // operation rather than "already running".
    assert_eq!(
        operations_with_verb(&client, "start").await,
        [operation.name()]
    );
    let again = client.start_channel(start).await.unwrap();
    assert_eq!(again.name(), operation.name());
    let err = client.start_channel(&name).await.unwrap_err();
    assert!(err.is_failed_precondition(), "a new request_id: {err:?}");
    assert_eq!(
        client.get_channel(&name).await.unwrap().streaming_state(),
        StreamingState::AwaitingInput
    );
}

#[tokio::test(start_paused = true)]
async fn lost_responses_of_event_calls_are_replayed() {
    let (emu, client) = in_process(LroTiming::Instant);
    let name = channel_with_input(&client, "ch").await;
    client.start_channel(&name).await.unwrap();
    let create = CreateEventRequest {
        parent: name.to_string(),
        event_id: "ad".into(),
        event: Some(Event {
            task: Some(event::Task::AdBreak(event::AdBreakTask {
                duration: Some(emulator_support::secs(30)),
            })),
            execute_now: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    emu.inject_faults(Method::CreateEvent, lost_response());
    let event = client.create_event(create).await.unwrap();
    assert_eq!(event.name, name.event("ad").unwrap().to_string());
    assert_eq!(emu.call_count(Method::CreateEvent), 2);
    // One event: the replay answered the first response (SCHEDULED), the event has
    // started running since.
    let events = client.list_events(&name).collect_items(None).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].create_time, event.create_time);
    // A lost DeleteEvent response: the retry answers `()` rather than NOT_FOUND.
    emu.inject_faults(Method::DeleteEvent, lost_response());
    let event_name = name.event("ad").unwrap();
    let () = client.delete_event(&event_name).await.unwrap();
    assert_eq!(emu.call_count(Method::DeleteEvent), 2);
    assert!(
        client
            .get_event(&event_name)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test(start_paused = true)]
async fn a_lost_response_of_an_unretried_call_says_it_may_have_been_sent() {
    let (emu, client) = in_process(LroTiming::Instant);
    let (_, mut operation) = pending_start(&emu, &client, "ch").await;
    emu.inject_faults(Method::CancelOperation, lost_response());
    let err = operation.cancel().await.unwrap_err();
    assert!(err.is_unavailable() && err.may_have_been_sent(), "{err:?}");
    assert_eq!(err.attempts(), 1);
    // It was: the operation ended cancelled.
    let err = operation.wait().await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
}

#[tokio::test]
async fn retries_over_a_socket() {
    let (emu, client) = over_socket(LroTiming::Instant).await;
    emu.inject_faults(Method::CreateInput, lost_response());
    let created: Input = finished(
        client
            .create_input(create_input_request("in"))
            .with_backoff(short_backoff()),
    )
    .await;
    let ids = request_ids(&emu, Method::CreateInput);
    assert!(ids.len() == 2 && ids[0] == ids[1], "{ids:?}");
    emu.inject_faults(Method::GetInput, FaultScript::codes([Code::Unavailable; 2]));
    let input = client
        .get_input(input("in"))
        .with_backoff(short_backoff())
        .await
        .unwrap();
    assert_eq!(input, created);
    assert_eq!(emu.call_count(Method::GetInput), 3);
    assert_eq!(
        client.list_inputs(location()).await.unwrap().inputs,
        [created]
    );
    emu.shutdown().await.unwrap();
}

/// Over a socket, the emulator (a tonic server) enforces the `grpc-timeout` the client sends
/// and ends late calls with CANCELLED ("Timeout expired"), racing the client's own timer.
/// Whichever wins, the caller sees a timeout.
#[tokio::test]
async fn a_deadline_the_server_enforces_is_still_a_timeout() {
    let (emu, client) = over_socket(LroTiming::Instant).await;
    let name = channel_with_input(&client, "ch").await;
    emu.set_latency(Method::GetChannel, Duration::from_secs(10));
    for _ in 0..5 {
        let err = client
            .get_channel(&name)
            .with_timeout(Duration::from_millis(100))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
        assert!(err.is_timeout() && !err.is_cancelled(), "{err:?}");
        assert_eq!(err.code(), Code::DeadlineExceeded);

        let err = client
            .get_channel(&name)
            .with_attempt_timeout(Duration::from_millis(50))
            .with_retry_policy(RetryCodes::new([Code::DeadlineExceeded]).with_attempt_limit(2))
            .with_backoff(short_backoff())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
        assert_eq!((err.code(), err.attempts()), (Code::DeadlineExceeded, 2));
    }
    emu.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_default_backoff_is_jittered_within_the_service_config_bounds() {
    let (emu, client) = in_process(LroTiming::Instant);
    emu.inject_faults(
        Method::ListInputs,
        FaultScript::codes([Code::Unavailable; 4]),
    );
    let start = Instant::now();
    client.list_inputs(location()).await.unwrap();
    assert_eq!(emu.call_count(Method::ListInputs), 5);
    // Full jitter: each sleep in [0, 1 s], [0, 1.3 s], [0, 1.69 s], [0, 2.197 s].
    assert!(
        start.elapsed() <= Duration::from_millis(6187 + 4),
        "{:?}",
        start.elapsed()
    );
}

/// Every one of the 20 mutations with a request_id is retried after UNAVAILABLE, with the
/// same request_id; whatever the second attempt answers (these requests are not all
/// meaningful), it is not retried again.
#[tokio::test(start_paused = true)]
async fn every_mutation_with_a_request_id_is_retried_by_default() {
    use livestream_grpc::field_mask::UpdateMask;
    use livestream_grpc::policy::NeverThrottle;
    let emu = Emulator::builder().lro_timing(LroTiming::Instant).build();
    // Half of this client's attempts fail, the adaptive throttler's threshold: it would
    // refuse a retry now and then (see `client_emulator_policies` for throttling).
    let client = Client::builder()
        .with_retry_throttler(NeverThrottle)
        .build_with_service(emu.service())
        .unwrap();
    let loc = location();
    let ch = channel("ch");
    let methods: Vec<Method> = Method::ALL
        .iter()
        .copied()
        .filter(|m| m.has_request_id())
        .collect();
    assert_eq!(methods.len(), 20);
    for &method in &methods {
        emu.inject_faults(method, FaultScript::codes([Code::Unavailable]));
    }
    let event = ch.event("ad").unwrap();
    let clip = ch.clip("k").unwrap();
    let dvr = ch.dvr_session("d").unwrap();
    let asset = loc.asset("a").unwrap();
    let pool = loc.pool("default").unwrap();
    let _ = client.create_input(create_input_request("in")).await;
    let _ = client
        .create_channel(create_channel_request("ch", None))
        .await;
    let _ = client.start_channel(&ch).await;
    let _ = client.stop_channel(&ch).await;
    let _ = client.start_distribution(&ch).await;
    let _ = client.stop_distribution(&ch).await;
    let _ = client
        .update_channel(UpdateChannelRequest {
            channel: Some(Channel {
                name: ch.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    let _ = client
        .update_input(UpdateInputRequest {
            input: Some(Input {
                name: input("in").to_string(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    let _ = client
        .create_event(CreateEventRequest {
            parent: ch.to_string(),
            event_id: "ad".into(),
            ..Default::default()
        })
        .await;
    let _ = client.delete_event(&event).await;
    let _ = client
        .create_clip(CreateClipRequest {
            parent: ch.to_string(),
            clip_id: "k".into(),
            ..Default::default()
        })
        .await;
    let _ = client.delete_clip(&clip).await;
    let _ = client
        .create_dvr_session(CreateDvrSessionRequest {
            parent: ch.to_string(),
            dvr_session_id: "d".into(),
            ..Default::default()
        })
        .await;
    let _ = client
        .update_dvr_session(UpdateDvrSessionRequest {
            dvr_session: Some(DvrSession {
                name: dvr.to_string(),
                ..Default::default()
            }),
            update_mask: Some(UpdateMask::<DvrSession>::all().into()),
            ..Default::default()
        })
        .await;
    let _ = client.delete_dvr_session(&dvr).await;
    let _ = client
        .create_asset(CreateAssetRequest {
            parent: loc.to_string(),
            asset_id: "a".into(),
            ..Default::default()
        })
        .await;
    let _ = client.delete_asset(&asset).await;
    let _ = client
        .update_pool(UpdatePoolRequest {
            pool: Some(Pool {
                name: pool.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    let _ = client.delete_channel(&ch).await;
    let _ = client.delete_input(input("in")).await;
    for method in methods {
        let ids = request_ids(&emu, method);
        assert_eq!(ids.len(), 2, "{method}: {ids:?}");
        assert!(ids[0].is_some() && ids[0] == ids[1], "{method}: {ids:?}");
    }
}

/// The four methods that are neither reads nor carry a request_id are never retried once
/// the request was sent (a connection failure is: see `client_emulator_policies`).
#[tokio::test(start_paused = true)]
async fn mutations_without_a_request_id_are_never_retried() {
    let (emu, client) = in_process(LroTiming::Instant);
    let operation = start_input(&client, "in").await;
    let methods = [
        Method::PreviewInput,
        Method::DeleteOperation,
        Method::CancelOperation,
        Method::WaitOperation,
    ];
    for method in methods {
        emu.inject_faults(method, FaultScript::codes([Code::Unavailable]));
    }
    let errors = [
        client.preview_input(input("in")).await.unwrap_err(),
        client.delete_operation(&operation).await.unwrap_err(),
        client.cancel_operation(&operation).await.unwrap_err(),
        client.wait_operation(&operation).await.unwrap_err(),
    ];
    for (method, err) in methods.into_iter().zip(errors) {
        assert!(err.is_unavailable(), "{method}: {err:?}");
        assert_eq!(
            err.kind(),
            ErrorKind::Status,
            "{method}: never retryable, not exhausted"
        );
        assert_eq!(err.attempts(), 1, "{method}");
        assert_eq!(emu.call_count(method), 1, "{method}");
    }
}

#[tokio::test(start_paused = true)]
async fn client_and_call_options_override_the_defaults() {
    use livestream_grpc::policy::{CallOptions, NeverRetry};
    let emu = Emulator::builder().build();
    let client = Client::builder()
        .with_method_options(
            Method::GetChannel,
            CallOptions::new().with_retry_policy(NeverRetry),
        )
        .with_call_options(CallOptions::new().with_backoff(exact_backoff()))
        .build_with_service(emu.service())
        .unwrap();
    let options = client.method_options(Method::GetChannel);
    assert_eq!(options.retry_policy().unwrap().attempt_limit(), Some(1));
    assert_eq!(
        options.timeout(),
        Some(Duration::from_secs(60)),
        "unset settings keep their defaults"
    );
    let name = channel_with_input(&client, "ch").await;

    emu.inject_faults(Method::GetChannel, FaultScript::codes([Code::Unavailable]));
    let err = client.get_channel(&name).await.unwrap_err();
    assert_eq!(err.attempts(), 1, "client override: never retry");

    emu.inject_faults(Method::GetChannel, FaultScript::codes([Code::Unavailable]));
    let start = Instant::now();
    client
        .get_channel(&name)
        .with_retry_policy(RetryCodes::new([Code::Unavailable]))
        .await
        .unwrap();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(1),
        "client-wide exact backoff"
    );

    // A mutation can be made non-retrying per call.
    emu.inject_faults(
        Method::StartChannel,
        FaultScript::codes([Code::Unavailable]),
    );
    let err = client
        .start_channel(&name)
        .with_retry_policy(NeverRetry)
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(emu.call_count(Method::StartChannel), 1);
}

#[tokio::test]
async fn per_call_metadata_reaches_the_emulator() {
    use livestream_grpc::policy::CallOptions;
    use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
    let (emu, client) = in_process(LroTiming::Instant);
    let options = CallOptions::new().with_metadata(
        AsciiMetadataKey::from_static("x-goog-emulator-instructions"),
        AsciiMetadataValue::from_static("fail-once"),
    );
    client
        .get_location(location())
        .with_options(options)
        .await
        .unwrap();
    let request = &emu.requests(Method::GetLocation)[0];
    assert_eq!(
        request.header("x-goog-emulator-instructions"),
        Some("fail-once")
    );
}

/// Issue 13, item 3: every attempt's response is lost (the first attempt created the
/// channel), so the retries run out and the caller sees UNAVAILABLE while the channel
/// exists. The error names the request_id every attempt carried; resending with it returns
/// the original operation and creates nothing; a resend with a fresh request_id is a new
/// request (ALREADY_EXISTS).
#[tokio::test(start_paused = true)]
async fn a_create_whose_responses_are_all_lost_is_recovered_with_the_reported_request_id() {
    let (emu, client) = in_process(LroTiming::Instant);
    emu.inject_faults(
        Method::CreateChannel,
        FaultScript::faults(vec![Fault::new(Code::Unavailable).after_handling(); 5]),
    );
    let request = create_channel_request("ch", None);
    let err = client
        .create_channel(request.clone())
        .await
        .expect_err("every response is lost");
    assert!(err.is_exhausted() && err.is_retryable(), "{err:?}");
    assert!(err.may_have_been_sent());
    assert_eq!(err.attempts(), 5);
    let request_id = err
        .request_id()
        .expect("the error names the request_id")
        .to_owned();
    let ids = request_ids(&emu, Method::CreateChannel);
    assert_eq!(ids, vec![Some(request_id.clone()); 5]);
    assert!(format!("{err:?}").contains(&request_id));
    // The channel exists, and one create operation.
    client.get_channel(channel("ch")).await.unwrap();
    let creates = operations_with_verb(&client, "create").await;
    assert_eq!(creates.len(), 1);

    // A resend with the reported request_id: the original operation, nothing created.
    let operation = client
        .create_channel(request.clone())
        .with_request_id(request_id.clone())
        .await
        .expect("the resend answers the original operation");
    assert_eq!(operation.name(), creates[0]);
    assert_eq!(operation.request_id(), Some(request_id.as_str()));
    assert_eq!(operations_with_verb(&client, "create").await, creates);
    let channels = client
        .list_channels(location())
        .collect_items(None)
        .await
        .unwrap();
    assert_eq!(channels.len(), 1);
    assert_eq!(
        operation.until_done().await.unwrap().name,
        channel("ch").to_string()
    );

    // What the caller could do before: resend the request as it was (its empty request_id
    // filled with a fresh UUID), which is a new request.
    let err = client.create_channel(request).await.unwrap_err();
    assert!(err.is_already_exists(), "{err:?}");
    assert_ne!(err.request_id(), Some(request_id.as_str()));
}

#[tokio::test]
async fn a_request_id_on_an_rpc_without_one_fails_locally() {
    let (emu, client) = in_process(LroTiming::Instant);
    let err = client
        .get_channel(channel("ch"))
        .with_request_id("6f1f5a8e-6b8d-4f9a-9f5e-3c7a1b2d4e6f")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(!err.may_have_been_sent());
    assert_eq!(emu.call_count(Method::GetChannel), 0);
    // A request_id that is not a UUID is caught before sending, too.
    let err = client
        .create_channel(create_channel_request("ch", None))
        .with_request_id("not-a-uuid")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(emu.call_count(Method::CreateChannel), 0);
}
