//! The crate's own `Client` against the emulator: LRO pollers, pagers, automatic
//! `request_id`s and routing headers, and read retries on injected UNAVAILABLE.

mod emulator_support;

use emulator_support::*;
use livestream_grpc::Client;
use livestream_grpc::emulator::{Emulator, FaultScript};
use livestream_grpc::names::{ChannelName, LocationName};
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::{CreateChannelRequest, CreateInputRequest, Input, input};
use tonic::Code;

#[tokio::test]
async fn client_workflow_over_a_socket() {
    let emu = Emulator::builder().start().await.unwrap();
    let client = Client::builder()
        .with_emulator_host(emu.address().to_string())
        .build()
        .await
        .unwrap();
    let location: LocationName = LOC.parse().unwrap();
    client
        .create_input(CreateInputRequest {
            parent: LOC.into(),
            input_id: "in".into(),
            input: Some(Input {
                r#type: input::Type::RtmpPush as i32,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    for i in 0..3 {
        client
            .create_channel(CreateChannelRequest {
                parent: LOC.into(),
                channel_id: format!("ch{i}"),
                channel: Some(channel_body(Some("in"))),
                ..Default::default()
            })
            .await
            .unwrap()
            .until_done()
            .await
            .unwrap();
    }
    let name: ChannelName = channel_name("ch1").parse().unwrap();
    client
        .start_channel(&name)
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    let channel = client.get_channel(&name).await.unwrap();
    assert_eq!(channel.streaming_state(), StreamingState::AwaitingInput);
    let mut names = Vec::new();
    let mut items = client.list_channels(&location).by_item();
    while let Some(channel) = items.next().await {
        names.push(channel.unwrap().name);
    }
    assert_eq!(names.len(), 3);
    // What the client sent: routing header, API client header, an automatic request_id.
    let recorded = emu.requests("StartChannel").unwrap();
    let start = recorded.last().unwrap();
    assert!(
        start
            .header("x-goog-request-params")
            .unwrap()
            .contains("ch1"),
        "{start:?}"
    );
    assert!(start.header("x-goog-api-client").is_some());
    let request_id = start
        .request_id
        .clone()
        .expect("the client fills request_id");
    assert!(uuid::Uuid::parse_str(&request_id).is_ok());
    emu.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn client_retries_reads_on_injected_unavailable() {
    let emu = Emulator::builder().build();
    let client = Client::from_service(emu.service());
    let name: ChannelName = channel_name("ch").parse().unwrap();
    client
        .create_channel(CreateChannelRequest {
            parent: LOC.into(),
            channel_id: "ch".into(),
            channel: Some(channel_body(None)),
            ..Default::default()
        })
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    emu.inject_faults(
        "GetChannel",
        FaultScript::codes([Code::Unavailable, Code::Unavailable]),
    )
    .unwrap();
    client
        .get_channel(&name)
        .await
        .expect("retried past two UNAVAILABLE");
    assert_eq!(emu.call_count("GetChannel").unwrap(), 3);
    // The client retries a mutation that carries a request_id (it sets one): the retry has
    // the same request_id, and the channel starts once.
    emu.inject_faults("StartChannel", FaultScript::codes([Code::Unavailable]))
        .unwrap();
    let op = client.start_channel(&name).await.expect("retried once");
    op.until_done().await.unwrap();
    let calls = emu.requests("StartChannel").unwrap();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].request_id.is_some());
    assert_eq!(
        calls[0].request_id, calls[1].request_id,
        "same request_id on retry"
    );
    let ops = emu.complete_all_operations();
    assert!(ops.is_empty(), "one start, already done");
    assert_eq!(
        client.get_channel(&name).await.unwrap().streaming_state(),
        StreamingState::AwaitingInput
    );
}
