//! `RemoteEmulator`: the typed admin client of a standalone emulator, over a socket, with
//! the controls' in-process names (issue 12, item 3).

use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::{Fault, FaultScript, LroTiming, RemoteEmulator, StreamProperties};
use livestream_grpc::v1::GetChannelRequest;
use livestream_grpc::v1::channel::StreamingState;
use tonic::Code;

#[tokio::test]
async fn a_remote_client_drives_every_control_over_the_socket() {
    let mut env = start().await;
    let remote = RemoteEmulator::connect(env.emu.endpoint()).unwrap();
    // host:port works too, as LIVESTREAM_EMULATOR_HOST says it.
    let by_address = RemoteEmulator::connect(env.emu.address().to_string()).unwrap();
    assert_eq!(by_address.endpoint(), env.emu.endpoint());

    // Clock.
    let before = remote.now().await.unwrap();
    let after = remote
        .advance_clock(Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(after.duration_since(before).unwrap() >= Duration::from_secs(3600));
    assert!(env.now() >= after);

    // LRO timing and completion.
    remote.set_lro_timing(LroTiming::Manual).await.unwrap();
    let op = env
        .ls
        .create_input(create_input_request("remote-in"))
        .await
        .unwrap()
        .into_inner();
    assert!(!op.done);
    remote.complete_operation(&op.name).await.unwrap();
    let err = remote.complete_operation(&op.name).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err}");
    remote.set_lro_timing(LroTiming::Instant).await.unwrap();

    // The simulated encoder.
    env.create_channel("remote-ch", Some("remote-in")).await;
    env.start_channel("remote-ch").await;
    remote
        .connect_input_with(
            input_name("remote-in"),
            StreamProperties {
                width: 1280,
                height: 720,
                frame_rate: 30.0,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        env.get_channel("remote-ch").await.streaming_state(),
        StreamingState::Streaming
    );
    remote
        .disconnect_input(input_name("remote-in"))
        .await
        .unwrap();
    assert_eq!(
        env.get_channel("remote-ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );
    remote
        .fail(channel_name("remote-ch"), "encoder on fire")
        .await
        .unwrap();
    assert_eq!(
        env.get_channel("remote-ch").await.streaming_state(),
        StreamingState::StreamingError
    );
    remote
        .recover_channel(channel_name("remote-ch"))
        .await
        .unwrap();
    let err = remote.connect_input(input_name("nope")).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err}");

    // Faults, latency, counts and the request log.
    remote
        .inject_faults(
            Method::GetChannel,
            FaultScript::codes([Code::Unavailable])
                .then_fault(Fault::new(Code::ResourceExhausted).with_message("slow down")),
        )
        .await
        .unwrap();
    let get = || GetChannelRequest {
        name: channel_name("remote-ch"),
        ..Default::default()
    };
    let first = env.ls.get_channel(get()).await.unwrap_err();
    assert_eq!(first.code(), Code::Unavailable);
    let second = env.ls.get_channel(get()).await.unwrap_err();
    assert_eq!(
        (second.code(), second.message()),
        (Code::ResourceExhausted, "slow down")
    );
    env.ls.get_channel(get()).await.unwrap();
    let before = env.call_count(Method::GetChannel);
    assert_eq!(remote.call_count(Method::GetChannel).await.unwrap(), before);
    assert_eq!(
        remote.call_counts().await.unwrap()[&Method::GetChannel],
        before
    );
    let requests = remote.requests(Method::GetChannel).await.unwrap();
    assert_eq!(requests.len() as u64, before);
    assert_eq!(
        requests[0].header("x-goog-request-params"),
        None,
        "the raw stub sends no routing header"
    );
    remote
        .set_latency(Method::GetChannel, Duration::from_millis(1))
        .await
        .unwrap();
    remote
        .inject_faults(Method::GetChannel, FaultScript::codes([Code::Internal]))
        .await
        .unwrap();
    remote.clear_faults(Method::GetChannel).await.unwrap();
    env.ls.get_channel(get()).await.unwrap();
    remote
        .inject_faults(
            Method::ListChannels,
            FaultScript::probability(1.0, Code::Aborted),
        )
        .await
        .unwrap();
    remote.clear_all_faults().await.unwrap();

    // Reset.
    remote.reset().await.unwrap();
    assert_eq!(remote.call_count(Method::GetChannel).await.unwrap(), 0);
    assert!(remote.complete_all_operations().await.unwrap().is_empty());
    env.emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_emulator_is_unavailable_naming_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let remote = RemoteEmulator::connect(addr.to_string()).unwrap();
    let err = remote.reset().await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert!(err.message().contains(&addr.to_string()), "{err}");
    assert_eq!(
        RemoteEmulator::connect("not a uri").unwrap_err().code(),
        Code::InvalidArgument
    );
}

#[tokio::test]
async fn export_state_over_grpc_is_the_in_process_state_and_loads_as_a_data_dir() {
    use prost::Message as _;
    let mut env = start().await;
    env.create_input("exported-in").await;
    env.create_channel("exported-ch", Some("exported-in")).await;
    let remote = RemoteEmulator::connect(env.emu.endpoint()).unwrap();

    let exported = remote.export_state().await.unwrap();
    let names = |s: &livestream_grpc::emulator::admin::Snapshot| {
        (
            s.inputs.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
            s.channels
                .iter()
                .filter_map(|c| c.channel.as_ref().map(|c| c.name.clone()))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        names(&exported),
        (
            vec![input_name("exported-in")],
            vec![channel_name("exported-ch")]
        )
    );
    assert_eq!(
        exported.operations.len(),
        2,
        "CreateInput and CreateChannel"
    );
    // The same state as the in-process control, but for the time it was taken.
    let local = env.export_state();
    assert_eq!(
        livestream_grpc::emulator::admin::Snapshot {
            saved_at: None,
            ..exported.clone()
        },
        livestream_grpc::emulator::admin::Snapshot {
            saved_at: None,
            ..local
        }
    );
    let saved_at = std::time::SystemTime::try_from(exported.saved_at.unwrap()).unwrap();
    env.emu.shutdown().await.unwrap();

    // Saved as the `state.pb` of an empty directory, it is where an emulator starts from.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.pb"), exported.encode_to_vec()).unwrap();
    let restarted = livestream_grpc::emulator::Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let mut ls = livestream_grpc::v1::livestream_service_client::LivestreamServiceClient::new(
        restarted.channel(),
    );
    let channel = ls
        .get_channel(GetChannelRequest {
            name: channel_name("exported-ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        channel.input_attachments[0].input,
        input_name("exported-in")
    );
    assert!(restarted.now() >= saved_at, "the clock never goes back");
    assert_eq!(names(&restarted.export_state()), names(&exported));
    restarted.shutdown().await.unwrap();
}
