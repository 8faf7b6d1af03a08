//! The ergonomics of issue 12, each against the emulator or a closed port: creates from
//! typed names (item 5), resuming an operation through the RPC that started it (items 1
//! and 2), a connection failure that names its target (item 8), an empty update mask refused
//! locally (item 10).

use crate::client_emulator_support::*;
use crate::emulator_support::channel_body;
use livestream_grpc::emulator::LroTiming;
use livestream_grpc::names::{InputName, OperationName};
use livestream_grpc::v1::{
    CreateChannelRequest, CreateEventRequest, CreateInputRequest, Event, Input, event, input,
};
use livestream_grpc::{ErrorKind, Method};

fn rtmp() -> Input {
    Input {
        r#type: input::Type::RtmpPush as i32,
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn creates_take_the_new_resources_typed_name() {
    let (emu, client) = in_process(LroTiming::Instant);
    let name = input("typed-in");
    let created = client
        .create_input((&name, rtmp()))
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    assert_eq!(created.name, name);
    let sent = &emu.requests(Method::CreateInput)[0];
    assert_eq!(
        sent.header("x-goog-request-params"),
        Some(format!("parent={}", location()).as_str())
    );

    // By value too, and for a child of a channel.
    let channel = channel("typed-ch");
    let body = channel_body(Some("typed-in"));
    let request = CreateChannelRequest::from((channel.clone(), body));
    assert_eq!(request.parent, location().to_string());
    assert_eq!(request.channel_id, "typed-ch");
    client
        .create_channel(request)
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    let event_name = channel.event("ad-1").unwrap();
    let event = Event {
        task: Some(event::Task::AdBreak(event::AdBreakTask {
            duration: Some(prost_types::Duration {
                seconds: 30,
                nanos: 0,
            }),
        })),
        execute_now: true,
        ..Default::default()
    };
    let request = CreateEventRequest::from((&event_name, event));
    assert_eq!(
        (request.parent.as_str(), request.event_id.as_str()),
        (channel.to_string().as_str(), "ad-1")
    );
    // The channel is not running, so the event is refused; the name still arrived whole.
    let _ = client.create_event(request).await;
    assert_eq!(
        emu.requests(Method::CreateEvent)[0].header("x-goog-request-params"),
        Some(format!("parent={channel}").as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn an_operation_resumes_with_the_result_type_of_its_rpc() {
    let (emu, client) = in_process(LroTiming::Manual);
    let name: InputName = input("resumed");
    let saved: String = client
        .create_input((&name, rtmp()))
        .await
        .unwrap()
        .name()
        .to_owned();
    emu.complete_operation(&saved).unwrap();

    // From the saved String, a &str or a typed name: the result is an Input, by the RPC.
    let from_string: Input = client
        .resume_operation::<CreateInputRequest>(&saved)
        .until_done()
        .await
        .unwrap();
    assert_eq!(from_string.name, name);
    let typed: OperationName = saved.parse().unwrap();
    let from_name = client
        .resume_operation::<CreateInputRequest>(&typed)
        .until_done()
        .await
        .unwrap();
    assert_eq!(from_name, from_string);

    // A type the caller chose wrongly: a Decode error naming both types.
    let err = client
        .operation::<livestream_grpc::v1::Channel>(&typed)
        .until_done()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    let message = err.to_string();
    assert!(
        message.contains("google.cloud.video.livestream.v1.Channel")
            && message.contains("google.cloud.video.livestream.v1.Input"),
        "{message}"
    );

    // A malformed saved name fails locally on the first poll: nothing is sent.
    let before = emu.call_count(Method::GetOperation);
    let err = client
        .resume_operation::<CreateInputRequest>("operations/nope")
        .until_done()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidName, "{err:?}");
    assert_eq!(emu.call_count(Method::GetOperation), before);
}

#[tokio::test]
async fn a_connection_failure_stays_connect_after_retries_and_names_the_target() {
    // A port nobody listens on: bind, note the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let endpoint = format!("http://{addr}");
    let client = livestream_grpc::Client::builder()
        .with_endpoint(&endpoint)
        .with_method_options(
            Method::GetLocation,
            livestream_grpc::policy::CallOptions::new().with_backoff(short_backoff()),
        )
        .build()
        .await
        .unwrap();
    let err = client.get_location(location()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert_eq!(err.attempts(), 5, "retried as UNAVAILABLE: {err:?}");
    assert!(err.is_retryable() && !err.may_have_been_sent());
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "GetLocation: cannot connect to {endpoint} (5 attempts)"
        )),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_mask_is_a_local_error_not_an_update_of_every_field() {
    use livestream_grpc::field_mask::UpdateMask;
    use livestream_grpc::v1::UpdateInputRequest;

    let (emu, client) = in_process(LroTiming::Instant);
    let old = create_input(&client, "unchanged").await;
    let mask = UpdateMask::diff(&old, &old.clone()).unwrap();
    assert!(mask.is_empty());
    let err = client
        .update_input(UpdateInputRequest {
            input: Some(old.clone()),
            update_mask: Some(mask.into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFieldMask, "{err:?}");
    assert!(err.is_local() && !err.may_have_been_sent());
    assert!(err.to_string().contains("nothing to update"), "{err}");
    assert_eq!(emu.call_count(Method::UpdateInput), 0);

    // No mask at all still means "the fields present", and is sent.
    client
        .update_input(UpdateInputRequest {
            input: Some(old),
            ..Default::default()
        })
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    assert_eq!(emu.call_count(Method::UpdateInput), 1);
}
