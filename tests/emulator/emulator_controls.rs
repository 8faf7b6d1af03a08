//! The controls: fault scripts, probabilities, retry info, latency, call counts, recorded
//! metadata, reset, the simulated encoder, failure hooks, the admin gRPC service, the
//! in-process mode, and concurrency.

use livestream_grpc::Method;
use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::emulator::admin::emulator_admin_client::EmulatorAdminClient;
use livestream_grpc::emulator::admin::{self as pb};
use livestream_grpc::emulator::{Emulator, Fault, FaultScript};
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::distribution::State as DistributionState;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use tonic::Code;

fn get(name: &str) -> GetChannelRequest {
    GetChannelRequest { name: name.into() }
}

#[tokio::test]
async fn scripted_faults_then_normal_with_call_counts() {
    let mut env = start().await;
    env.create_channel("ch", None).await;
    env.inject_faults(
        Method::GetChannel,
        FaultScript::codes([Code::Unavailable, Code::Unavailable]),
    );
    for _ in 0..2 {
        let err = env
            .ls
            .get_channel(get(&channel_name("ch")))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable);
        assert!(err.message().contains("GetChannel"), "{}", err.message());
    }
    env.ls.get_channel(get(&channel_name("ch"))).await.unwrap();
    assert_eq!(env.call_count(Method::GetChannel), 3);
    let by_path: Method = "/google.cloud.video.livestream.v1.LivestreamService/GetChannel"
        .parse()
        .unwrap();
    assert_eq!(env.call_count(by_path), 3);
    assert_eq!(env.call_counts().get(&Method::CreateChannel), Some(&1));
    let unknown = "GetChanel".parse::<Method>().unwrap_err();
    assert_eq!(
        unknown.suggestions()[0],
        "GetChannel",
        "unknown names are errors that name the closest: {unknown}"
    );
    // Steps can let calls through in between.
    env.inject_faults(
        Method::GetChannel,
        FaultScript::codes([Code::Ok, Code::Internal]),
    );
    env.ls.get_channel(get(&channel_name("ch"))).await.unwrap();
    assert_eq!(
        env.ls
            .get_channel(get(&channel_name("ch")))
            .await
            .unwrap_err()
            .code(),
        Code::Internal
    );
    env.ls.get_channel(get(&channel_name("ch"))).await.unwrap();
}

#[tokio::test]
async fn probability_faults_and_retry_info() {
    let mut env = start().await;
    env.inject_faults(
        Method::ListChannels,
        FaultScript::probability(1.0, Code::Unavailable),
    );
    for _ in 0..3 {
        let err = env
            .ls
            .list_channels(ListChannelsRequest {
                parent: LOC.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable);
    }
    env.inject_faults(
        Method::ListChannels,
        FaultScript::probability(0.0, Code::Unavailable),
    );
    env.ls
        .list_channels(ListChannelsRequest {
            parent: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    env.inject_faults(
        Method::GetInput,
        FaultScript::faults([Fault::new(Code::ResourceExhausted).with_message("slow down")])
            .with_retry_delay(Duration::from_millis(1500)),
    );
    let err = env
        .ls
        .get_input(GetInputRequest {
            name: input_name("x"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert_eq!(err.message(), "slow down");
    let retry = details(&err).retry_info().cloned().expect("RetryInfo");
    assert_eq!(retry.retry_delay, Some(Duration::from_millis(1500)));
    env.clear_all_faults();
    let err = env
        .ls
        .get_input(GetInputRequest {
            name: input_name("x"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn faults_after_handling_apply_the_call_and_lose_the_response() {
    let mut env = start().await;
    env.inject_faults(
        Method::CreateChannel,
        FaultScript::faults([Fault::new(Code::Unavailable).after_handling()]),
    );
    let request_id = uuid::Uuid::new_v4().to_string();
    let create = CreateChannelRequest {
        parent: LOC.into(),
        channel_id: "ch".into(),
        channel: Some(channel_body(None)),
        request_id: request_id.clone(),
        ..Default::default()
    };
    let err = env.ls.create_channel(create.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    // The channel was created all the same, and the request_id remembered: the same request
    // again answers the original operation instead of ALREADY_EXISTS.
    assert_eq!(env.get_channel("ch").await.name, channel_name("ch"));
    let op = env.ls.create_channel(create).await.unwrap().into_inner();
    assert_eq!(response::<Channel>(&op).name, channel_name("ch"));
    assert_eq!(env.call_count(Method::CreateChannel), 2);

    // The same over the admin service; a fault before handling (the default) changes nothing.
    let mut admin = EmulatorAdminClient::new(env.emu.channel());
    let step = |after_handling| pb::FaultStep {
        code: Code::Unavailable as i32,
        after_handling,
        ..Default::default()
    };
    admin
        .inject_faults(pb::InjectFaultsRequest {
            method: "CreateInput".into(),
            steps: vec![step(false), step(true)],
            ..Default::default()
        })
        .await
        .unwrap();
    for id in ["before", "after"] {
        let err = env
            .ls
            .create_input(create_input_request(id))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable);
    }
    let get_input = |id: &str| GetInputRequest {
        name: input_name(id),
    };
    let err = env.ls.get_input(get_input("before")).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    env.ls.get_input(get_input("after")).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn latency_is_added_on_tokio_time() {
    let emu = Emulator::builder().build();
    let mut ls = LivestreamServiceClient::new(emu.service());
    emu.set_latency(Method::GetChannel, Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    let err = ls.get_channel(get(&channel_name("x"))).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(started.elapsed() >= Duration::from_secs(3));
    emu.clear_faults(Method::GetChannel);
    let started = tokio::time::Instant::now();
    ls.get_channel(get(&channel_name("x"))).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn request_metadata_is_recorded_per_method() {
    let mut env = start().await;
    let mut request = tonic::Request::new(StartChannelRequest {
        name: channel_name("ch"),
        request_id: "6f1f5a8e-6b8d-4f9a-9f5e-3c7a1b2d4e6f".into(),
    });
    let md = request.metadata_mut();
    md.insert(
        "x-goog-request-params",
        format!("name={}", channel_name("ch")).parse().unwrap(),
    );
    md.insert(
        "x-goog-api-client",
        "gl-rust/1.88 grpc/0.14".parse().unwrap(),
    );
    md.insert("authorization", "Bearer secret-token".parse().unwrap());
    let err = env.ls.start_channel(request).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let recorded = env.requests(Method::StartChannel);
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(r.method, "StartChannel");
    assert_eq!(
        r.header("x-goog-request-params").unwrap(),
        format!("name={}", channel_name("ch"))
    );
    assert_eq!(
        r.header("x-goog-api-client"),
        Some("gl-rust/1.88 grpc/0.14")
    );
    // Credentials are redacted by default (emulator_secrets.rs).
    assert_eq!(
        r.header("authorization"),
        Some("Bearer <redacted, 12 bytes>")
    );
    assert_eq!(
        r.request_id.as_deref(),
        Some("6f1f5a8e-6b8d-4f9a-9f5e-3c7a1b2d4e6f")
    );
    let debug = format!("{r:?}");
    assert!(
        !debug.contains("secret-token"),
        "Debug hides header values: {debug}"
    );
    assert!(env.requests(Method::GetChannel).is_empty());
}

#[tokio::test]
async fn reset_forgets_everything() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.inject_faults(Method::GetChannel, FaultScript::codes([Code::Internal]));
    env.reset();
    assert_eq!(env.call_count(Method::CreateChannel), 0);
    let err = env
        .ls
        .get_channel(get(&channel_name("ch")))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "no resource and no fault after reset"
    );
    let err = env
        .ls
        .get_pool(GetPoolRequest {
            name: format!("{LOC}/pools/default"),
        })
        .await;
    assert_eq!(err.unwrap_err().code(), Code::NotFound);
}

#[tokio::test]
async fn simulated_encoder_drives_channel_and_distributions() {
    let mut env = start().await;
    env.create_input("in").await;
    let body = with_distribution(channel_body(Some("in")));
    env.ls
        .create_channel(create_channel_request("ch", body))
        .await
        .unwrap();
    let dist = |c: &Channel| c.distributions[0].state();
    assert_eq!(
        dist(&env.get_channel("ch").await),
        DistributionState::NotReady
    );
    let start_dist = StartDistributionRequest {
        name: channel_name("ch"),
        ..Default::default()
    };
    let err = env
        .ls
        .start_distribution(start_dist.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "the channel must run");
    env.start_channel("ch").await;
    assert_eq!(dist(&env.get_channel("ch").await), DistributionState::Ready);
    let bad = StartDistributionRequest {
        distribution_keys: vec!["nope".into()],
        ..start_dist.clone()
    };
    assert_eq!(
        env.ls.start_distribution(bad).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    env.ls.start_distribution(start_dist).await.unwrap();
    assert_eq!(
        dist(&env.get_channel("ch").await),
        DistributionState::AwaitingInput
    );
    env.connect_input(input_name("in")).unwrap();
    let channel = env.get_channel("ch").await;
    assert_eq!(channel.streaming_state(), StreamingState::Streaming);
    assert_eq!(dist(&channel), DistributionState::Distributing);
    env.fail_channel(channel_name("ch"), "output bucket not writable")
        .unwrap();
    let channel = env.get_channel("ch").await;
    assert_eq!(channel.streaming_state(), StreamingState::StreamingError);
    assert_eq!(
        channel.streaming_error.unwrap().message,
        "output bucket not writable"
    );
    env.recover_channel(channel_name("ch")).unwrap();
    let channel = env.get_channel("ch").await;
    assert_eq!(channel.streaming_state(), StreamingState::Streaming);
    assert!(channel.streaming_error.is_none());
    env.ls
        .stop_distribution(StopDistributionRequest {
            name: channel_name("ch"),
            distribution_keys: vec!["dist".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dist(&env.get_channel("ch").await), DistributionState::Ready);
    env.stop_channel("ch").await.unwrap();
    assert_eq!(
        dist(&env.get_channel("ch").await),
        DistributionState::NotReady
    );
    assert!(
        env.fail_channel(channel_name("ch"), "x").is_err(),
        "a stopped channel cannot fail"
    );
    assert!(
        env.fail_channel(input_name("in"), "x").is_err(),
        "wrong kind of name"
    );
    assert_eq!(
        env.connect_input(input_name("missing")).unwrap_err().code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn admin_service_drives_the_emulator_over_grpc() {
    let mut env = start().await;
    let mut admin = EmulatorAdminClient::new(env.emu.channel());
    env.create_channel("ch", None).await;
    admin
        .inject_faults(pb::InjectFaultsRequest {
            method: "GetChannel".into(),
            steps: vec![pb::FaultStep {
                code: Code::Unavailable as i32,
                retry_delay: Some(prost_types::Duration {
                    seconds: 2,
                    nanos: 0,
                }),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let err = env
        .ls
        .get_channel(get(&channel_name("ch")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert!(details(&err).retry_info().is_some());
    let counts = admin
        .get_call_counts(pb::GetCallCountsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.counts.get("GetChannel"), Some(&1));
    let recorded = admin
        .list_recorded_requests(pb::ListRecordedRequestsRequest {
            method: "GetChannel".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.requests.len(), 1);
    assert!(
        recorded.requests[0]
            .headers
            .iter()
            .any(|h| h.key == "content-type")
    );
    let err = admin
        .inject_faults(pb::InjectFaultsRequest {
            method: "Nope".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let before = admin
        .get_clock(pb::GetClockRequest::default())
        .await
        .unwrap()
        .into_inner()
        .now
        .unwrap();
    let after = admin
        .advance_clock(pb::AdvanceClockRequest {
            duration: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .now
        .unwrap();
    assert!(after.seconds - before.seconds >= 3600);

    admin
        .set_lro_timing(pb::SetLroTimingRequest {
            timing: Some(pb::set_lro_timing_request::Timing::Manual(true)),
        })
        .await
        .unwrap();
    let op = env.start_channel("ch").await;
    assert!(!op.done);
    let completed = admin
        .complete_operations(pb::CompleteOperationsRequest {
            name: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(completed.names, vec![op.name]);
    admin
        .set_lro_timing(pb::SetLroTimingRequest {
            timing: Some(pb::set_lro_timing_request::Timing::Instant(true)),
        })
        .await
        .unwrap();
    env.create_input("in").await;
    admin
        .connect_input(pb::ConnectInputRequest {
            name: input_name("in"),
            ..Default::default()
        })
        .await
        .unwrap();
    admin
        .fail_resource(pb::FailResourceRequest {
            name: channel_name("ch"),
            message: "boom".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::StreamingError
    );
    admin
        .recover_channel(pb::RecoverChannelRequest {
            name: channel_name("ch"),
        })
        .await
        .unwrap();
    admin.reset(pb::ResetRequest::default()).await.unwrap();
    assert!(env.call_counts().is_empty());
    assert_eq!(
        env.ls
            .get_channel(get(&channel_name("ch")))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn in_process_mode_serves_every_service_without_a_socket() {
    let emu = Emulator::builder().build();
    let mut ls = LivestreamServiceClient::new(emu.service());
    let op = ls
        .create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap()
        .into_inner();
    let channel: Channel = response(&op);
    let mut ops =
        livestream_grpc::longrunning::operations_client::OperationsClient::new(emu.service());
    let got = ops
        .get_operation(livestream_grpc::longrunning::GetOperationRequest { name: op.name })
        .await
        .unwrap()
        .into_inner();
    assert!(got.done);
    assert_eq!(emu.call_count(Method::CreateChannel), 1);
    assert_eq!(channel.name, channel_name("ch"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_creates_of_one_id_one_wins() {
    let env = start().await;
    for round in 0..10 {
        let id = format!("race-{round}");
        let calls = (0..2).map(|_| {
            let mut ls = env.ls.clone();
            let id = id.clone();
            tokio::spawn(async move {
                ls.create_channel(create_channel_request(&id, channel_body(None)))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.code())
            })
        });
        let mut results = Vec::new();
        for c in calls.collect::<Vec<_>>() {
            results.push(c.await.unwrap());
        }
        results.sort_by_key(|r| r.is_err());
        assert_eq!(
            results,
            vec![Ok(()), Err(Code::AlreadyExists)],
            "round {round}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_readers() {
    let mut env = start().await;
    env.create_channel("ch", None).await;
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let mut ls = env.ls.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                ls.get_channel(get(&channel_name("ch"))).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(env.call_count(Method::GetChannel), 640);
}
