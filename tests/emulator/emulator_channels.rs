//! Channels and inputs through real gRPC: CRUD, output-only fields, the streaming state
//! machine, distributions, and their error paths.

use crate::emulator_support::*;
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::*;
use tonic::Code;

#[tokio::test]
async fn create_get_list_delete_input() {
    let mut env = start().await;
    let input = env.create_input("in-1").await;
    assert_eq!(input.name, input_name("in-1"));
    assert_eq!(input.tier(), input::Tier::Hd, "tier defaults to HD");
    assert!(input.uri.starts_with("rtmp://192.0.2."), "{}", input.uri);
    let stream_id = input.uri.rsplit('/').next().unwrap();
    assert!(uuid::Uuid::parse_str(stream_id).is_ok(), "{stream_id}");
    assert!(input.create_time.is_some() && input.update_time.is_some());

    let got = env
        .ls
        .get_input(GetInputRequest {
            name: input_name("in-1"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, input);
    let list = env
        .ls
        .list_inputs(ListInputsRequest {
            parent: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.inputs, vec![input]);
    assert!(list.unreachable.is_empty() && list.next_page_token.is_empty());

    let op = env
        .ls
        .delete_input(DeleteInputRequest {
            name: input_name("in-1"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response::<()>(&op), ());
    let err = env
        .ls
        .get_input(GetInputRequest {
            name: input_name("in-1"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains(&input_name("in-1")));
}

#[tokio::test]
async fn srt_input_uri_uses_a_stream_id() {
    let mut env = start().await;
    let op = env
        .ls
        .create_input(CreateInputRequest {
            input: Some(Input {
                r#type: input::Type::SrtPush as i32,
                ..Default::default()
            }),
            ..create_input_request("srt")
        })
        .await
        .unwrap()
        .into_inner();
    let input: Input = response(&op);
    assert!(input.uri.starts_with("srt://192.0.2."), "{}", input.uri);
    assert!(input.uri.contains(":4201?streamid="), "{}", input.uri);
}

#[tokio::test]
async fn channel_lifecycle_start_stream_stop_delete() {
    let mut env = start().await;
    let channel = env.channel_with_input("ch").await;
    assert_eq!(channel.name, channel_name("ch"));
    assert_eq!(channel.streaming_state(), StreamingState::Stopped);
    assert!(channel.active_input.is_empty());

    let op = env.start_channel("ch").await;
    let _: ChannelOperationResponse = response(&op);
    let started = env.get_channel("ch").await;
    assert_eq!(started.streaming_state(), StreamingState::AwaitingInput);
    assert_eq!(started.active_input, "my-input");

    env.connect_input(input_name("ch-in")).unwrap();
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Streaming
    );
    let input = env
        .ls
        .get_input(GetInputRequest {
            name: input_name("ch-in"),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(input.input_stream_property.is_some());
    env.disconnect_input(input_name("ch-in")).unwrap();
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );

    let op = env.stop_channel("ch").await.unwrap();
    let _: ChannelOperationResponse = response(&op);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Stopped
    );

    let op = env
        .ls
        .delete_channel(DeleteChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    response::<()>(&op);
    let list = env
        .ls
        .list_channels(ListChannelsRequest {
            parent: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(list.channels.is_empty());
}

#[tokio::test]
async fn name_in_body_is_ignored_on_create() {
    let mut env = start().await;
    let mut body = channel_body(None);
    body.name = "projects/other/locations/europe-west1/channels/other".into();
    body.streaming_state = StreamingState::Streaming as i32;
    let op = env
        .ls
        .create_channel(create_channel_request("mine", body))
        .await
        .unwrap()
        .into_inner();
    let channel: Channel = response(&op);
    assert_eq!(channel.name, channel_name("mine"));
    assert_eq!(
        channel.streaming_state(),
        StreamingState::Stopped,
        "output-only ignored"
    );
}
