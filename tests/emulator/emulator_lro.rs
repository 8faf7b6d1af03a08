//! Long-running operations: metadata, instant/delayed/manual completion, cancel with
//! rollback, delete, WaitOperation, ListOperations, TTL, failures, request_id replay.

use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::emulator::{Emulator, EmulatorConfig, LroTiming};
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::longrunning::*;
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use prost::Name;
use tonic::Code;

fn metadata(op: &Operation) -> OperationMetadata {
    let any = op.metadata.as_ref().expect("metadata");
    assert_eq!(any.type_url, OperationMetadata::type_url());
    any.to_msg().expect("OperationMetadata")
}

fn manual() -> EmulatorConfig {
    EmulatorConfig {
        lro_timing: LroTiming::Manual,
        ..Default::default()
    }
}

#[tokio::test]
async fn instant_operation_is_done_with_metadata_and_typed_response() {
    let mut env = start().await;
    env.create_input("in").await;
    let op = env
        .ls
        .create_channel(create_channel_request("ch", channel_body(Some("in"))))
        .await
        .unwrap()
        .into_inner();
    assert!(op.done);
    assert!(
        op.name.starts_with(&format!("{LOC}/operations/operation-")),
        "{}",
        op.name
    );
    let meta = metadata(&op);
    assert_eq!(meta.target, channel_name("ch"));
    assert_eq!(meta.verb, "create");
    assert_eq!(meta.api_version, "v1");
    assert!(!meta.requested_cancellation);
    assert!(meta.create_time.is_some() && meta.end_time.is_some());
    match &op.result {
        Some(operation::Result::Response(any)) => assert_eq!(any.type_url, Channel::type_url()),
        other => panic!("{other:?}"),
    }
    let op = env.start_channel("ch").await;
    assert_eq!(metadata(&op).verb, "start");
    let op = env.stop_channel("ch").await.unwrap();
    assert_eq!(metadata(&op).verb, "stop");
    let op = env
        .ls
        .delete_channel(DeleteChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata(&op).verb, "delete");
    match &op.result {
        Some(operation::Result::Response(any)) => {
            assert_eq!(any.type_url, "type.googleapis.com/google.protobuf.Empty")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn delayed_operation_completes_when_the_clock_passes_its_due_time() {
    let mut env = start_with(EmulatorConfig {
        lro_timing: LroTiming::Delay(Duration::from_secs(30)),
        ..Default::default()
    })
    .await;
    env.set_lro_timing(LroTiming::Instant);
    env.create_channel("ch", None).await;
    env.set_lro_timing(LroTiming::Delay(Duration::from_secs(30)));
    let op = env.start_channel("ch").await;
    assert!(!op.done);
    assert!(op.result.is_none());
    env.advance_clock(Duration::from_secs(29));
    assert!(!env.get_operation(&op.name).await.unwrap().done);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Starting
    );
    env.advance_clock(Duration::from_secs(2));
    let done = env.get_operation(&op.name).await.unwrap();
    let _: ChannelOperationResponse = response(&done);
    assert!(metadata(&done).end_time.is_some());
}

#[tokio::test]
async fn manual_operations_complete_on_request() {
    let mut env = start_with(manual()).await;
    let op = env
        .ls
        .create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap()
        .into_inner();
    assert!(!op.done);
    env.advance_clock(Duration::from_secs(3600 * 24));
    assert!(
        !env.get_operation(&op.name).await.unwrap().done,
        "manual: time alone does nothing"
    );
    env.complete_operation(&op.name).unwrap();
    let done = env.get_operation(&op.name).await.unwrap();
    let _: Channel = response(&done);
    assert_eq!(
        env.complete_operation(&op.name).unwrap_err().code(),
        Code::FailedPrecondition
    );
    assert_eq!(
        env.complete_operation(format!("{LOC}/operations/nope"))
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let a = env.start_channel("ch").await;
    assert_eq!(env.complete_all_operations(), vec![a.name.clone()]);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );
}

#[tokio::test]
async fn cancel_rolls_back_the_pending_change_and_ends_cancelled() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.set_lro_timing(LroTiming::Manual);
    let op = env.start_channel("ch").await;
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Starting
    );
    env.ops
        .cancel_operation(CancelOperationRequest {
            name: op.name.clone(),
        })
        .await
        .unwrap();
    let cancelled = env.get_operation(&op.name).await.unwrap();
    assert_eq!(op_error(&cancelled).code, Code::Cancelled as i32);
    assert!(metadata(&cancelled).requested_cancellation);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Stopped
    );
    // A cancelled create removes the resource.
    let op = env
        .ls
        .create_input(CreateInputRequest {
            input: Some(Input {
                r#type: input::Type::SrtPush as i32,
                ..Default::default()
            }),
            ..create_input_request("in2")
        })
        .await
        .unwrap()
        .into_inner();
    env.ops
        .cancel_operation(CancelOperationRequest { name: op.name })
        .await
        .unwrap();
    let err = env
        .ls
        .get_input(GetInputRequest {
            name: input_name("in2"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // Cancelling a done operation is OK and changes nothing.
    env.set_lro_timing(LroTiming::Instant);
    let done = env.start_channel("ch").await;
    env.ops
        .cancel_operation(CancelOperationRequest {
            name: done.name.clone(),
        })
        .await
        .unwrap();
    let after = env.get_operation(&done.name).await.unwrap();
    let _: ChannelOperationResponse = response(&after);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );
    let err = env
        .ops
        .cancel_operation(CancelOperationRequest {
            name: format!("{LOC}/operations/nope"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn delete_operation_forgets_the_record_but_not_the_work() {
    let mut env = start_with(manual()).await;
    let op = env
        .ls
        .create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap()
        .into_inner();
    env.ops
        .delete_operation(DeleteOperationRequest {
            name: op.name.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        env.get_operation(&op.name).await.unwrap_err().code(),
        Code::NotFound
    );
    let err = env
        .ops
        .delete_operation(DeleteOperationRequest {
            name: op.name.clone(),
        })
        .await;
    assert_eq!(err.unwrap_err().code(), Code::NotFound);
    env.complete_all_operations();
    env.set_lro_timing(LroTiming::Instant);
    env.start_channel("ch").await;
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );
}

#[tokio::test]
async fn list_operations_newest_first_with_paging() {
    let mut env = start().await;
    let mut names = Vec::new();
    for i in 0..5 {
        env.create_channel(&format!("ch{i}"), None).await;
        env.advance_clock(Duration::from_millis(5));
    }
    let all = env
        .ops
        .list_operations(ListOperationsRequest {
            name: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.operations.len(), 5);
    let targets: Vec<String> = all.operations.iter().map(|o| metadata(o).target).collect();
    assert_eq!(targets[0], channel_name("ch4"), "newest first");
    assert_eq!(targets[4], channel_name("ch0"));
    let mut token = String::new();
    loop {
        let page = env
            .ops
            .list_operations(ListOperationsRequest {
                name: LOC.into(),
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        names.extend(page.operations.into_iter().map(|o| o.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<String> = all.operations.into_iter().map(|o| o.name).collect();
    assert_eq!(names, expected);
    // Another location's operations are not listed.
    let other = env
        .ops
        .list_operations(ListOperationsRequest {
            name: "projects/test-project/locations/us-east1".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(other.operations.is_empty());
}

#[tokio::test]
async fn operation_ttl_forgets_finished_operations() {
    let mut env = start_with(EmulatorConfig {
        operation_ttl: Some(Duration::from_secs(3600)),
        ..Default::default()
    })
    .await;
    let input = env.create_input("in").await;
    let list = env
        .ops
        .list_operations(ListOperationsRequest {
            name: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let name = list.operations[0].name.clone();
    assert_eq!(input.name, input_name("in"));
    env.advance_clock(Duration::from_secs(3601));
    assert_eq!(
        env.get_operation(&name).await.unwrap_err().code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn a_failure_after_start_is_reported_as_operation_error() {
    let mut env = start_with(manual()).await;
    let op = env.create_asset("logo").await.unwrap();
    assert!(!op.done);
    env.fail_asset(asset_name("logo"), "crc32c mismatch")
        .unwrap();
    env.complete_operation(&op.name).unwrap();
    let done = env.get_operation(&op.name).await.unwrap();
    let error = op_error(&done);
    assert!(error.message.contains("crc32c"), "{error:?}");
    let asset = env
        .ls
        .get_asset(GetAssetRequest {
            name: asset_name("logo"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(asset.state(), asset::State::Error);
    assert!(asset.error.is_some());
    // Failing a pending operation directly.
    let op = env.create_asset("other").await.unwrap();
    env.fail_operation(&op.name, "backend unavailable").unwrap();
    let done = env.get_operation(&op.name).await.unwrap();
    assert_eq!(op_error(&done).message, "backend unavailable");
    let err = env
        .ls
        .get_asset(GetAssetRequest {
            name: asset_name("other"),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "the failed create was rolled back"
    );
}

async fn in_process(
    config: EmulatorConfig,
) -> (
    Emulator,
    LivestreamServiceClient<livestream_grpc::emulator::EmulatorService>,
    OperationsClient<livestream_grpc::emulator::EmulatorService>,
) {
    let emu = Emulator::builder().config(config).build();
    (
        emu.clone(),
        LivestreamServiceClient::new(emu.service()),
        OperationsClient::new(emu.service()),
    )
}

#[tokio::test(start_paused = true)]
async fn wait_operation_blocks_until_done_on_paused_time() {
    let (_emu, mut ls, mut ops) = in_process(EmulatorConfig {
        lro_timing: LroTiming::Delay(Duration::from_secs(30)),
        ..Default::default()
    })
    .await;
    let op = ls
        .create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap()
        .into_inner();
    assert!(!op.done);
    let started = tokio::time::Instant::now();
    let done = ops
        .wait_operation(WaitOperationRequest {
            name: op.name.clone(),
            timeout: Some(secs(120)),
        })
        .await
        .unwrap()
        .into_inner();
    let _: Channel = response(&done);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(29) && waited <= Duration::from_secs(32),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn wait_operation_returns_the_pending_operation_at_its_timeout() {
    let (emu, mut ls, mut ops) = in_process(manual()).await;
    let op = ls
        .create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap()
        .into_inner();
    let started = tokio::time::Instant::now();
    let pending = ops
        .wait_operation(WaitOperationRequest {
            name: op.name.clone(),
            timeout: Some(secs(5)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!pending.done);
    assert!(started.elapsed() >= Duration::from_secs(5));
    // Completing it while someone waits wakes the waiter.
    let waiter = tokio::spawn(async move {
        ops.wait_operation(WaitOperationRequest {
            name: op.name,
            timeout: Some(secs(600)),
        })
        .await
        .map(|r| r.into_inner())
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    emu.complete_all_operations();
    let done = waiter.await.unwrap().unwrap();
    assert!(done.done);
}

/// The caller's deadline (`grpc-timeout`) caps the wait: the latest state comes back a
/// little before it (a tenth of it, at most 1 s), instead of the call failing at it.
#[tokio::test(start_paused = true)]
async fn wait_operation_answers_before_the_callers_deadline() {
    let (_emu, mut ls, mut ops) = in_process(manual()).await;
    let op = ls
        .create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap()
        .into_inner();
    for (deadline, answered) in [
        (Duration::from_secs(10), Duration::from_secs(9)),
        (Duration::from_millis(500), Duration::from_millis(450)),
    ] {
        let mut request = tonic::Request::new(WaitOperationRequest {
            name: op.name.clone(),
            timeout: Some(secs(600)),
        });
        request.set_timeout(deadline);
        let started = tokio::time::Instant::now();
        let pending = ops.wait_operation(request).await.unwrap().into_inner();
        assert!(!pending.done);
        assert_eq!(started.elapsed(), answered);
    }
}

#[tokio::test]
async fn wait_operation_can_be_disabled() {
    let mut env = start_with(EmulatorConfig {
        wait_operation: false,
        ..Default::default()
    })
    .await;
    let err = env
        .ops
        .wait_operation(WaitOperationRequest {
            name: format!("{LOC}/operations/x"),
            timeout: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
}

#[tokio::test]
async fn request_id_replay_returns_the_original_operation_and_creates_nothing() {
    let mut env = start_with(manual()).await;
    let id = uuid::Uuid::new_v4().to_string();
    let request = CreateChannelRequest {
        parent: LOC.into(),
        channel_id: "ch".into(),
        channel: Some(channel_body(None)),
        request_id: id.clone(),
    };
    let first = env
        .ls
        .create_channel(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(!first.done);
    env.complete_all_operations();
    let replay = env
        .ls
        .create_channel(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay.name, first.name);
    assert!(replay.done, "the replay shows the operation as it is now");
    // A different payload with the same request_id still answers the original.
    let mut different = request.clone();
    different.channel_id = "other".into();
    let again = env.ls.create_channel(different).await;
    assert!(again.is_ok());
    let list = env
        .ls
        .list_channels(ListChannelsRequest {
            parent: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.channels.len(), 1, "nothing new was created");
    // Without the request_id (or with a new one), the duplicate is ALREADY_EXISTS.
    let fresh = CreateChannelRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        ..request.clone()
    };
    let err = env.ls.create_channel(fresh).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    // After the window, the request_id is forgotten.
    env.advance_clock(Duration::from_secs(61 * 60));
    let err = env.ls.create_channel(request).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn request_id_failed_requests_are_not_remembered() {
    let mut env = start().await;
    let id = uuid::Uuid::new_v4().to_string();
    let bad = CreateChannelRequest {
        parent: LOC.into(),
        channel_id: "Bad_Id".into(),
        channel: Some(channel_body(None)),
        request_id: id.clone(),
    };
    assert_eq!(
        env.ls.create_channel(bad.clone()).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let good = CreateChannelRequest {
        channel_id: "good".into(),
        ..bad
    };
    let op = env.ls.create_channel(good).await.unwrap().into_inner();
    let _: Channel = response(&op);
}

#[tokio::test]
async fn request_id_replay_of_synchronous_event_calls() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    let id = uuid::Uuid::new_v4().to_string();
    let create = CreateEventRequest {
        parent: channel_name("ch"),
        event_id: "ev".into(),
        event: Some(Event {
            task: Some(event::Task::AdBreak(event::AdBreakTask {
                duration: Some(secs(60)),
            })),
            execute_now: true,
            ..Default::default()
        }),
        request_id: id,
    };
    let first = env
        .ls
        .create_event(create.clone())
        .await
        .unwrap()
        .into_inner();
    let replay = env.ls.create_event(create).await.unwrap().into_inner();
    assert_eq!(first, replay);
    let delete = DeleteEventRequest {
        name: format!("{}/events/ev", channel_name("ch")),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    env.ls.delete_event(delete.clone()).await.unwrap();
    env.ls
        .delete_event(delete)
        .await
        .expect("replayed delete answers OK again");
}
