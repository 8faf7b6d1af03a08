//! `livestream_grpc::mock`: one test per capability, through `Client::from_service` (in
//! process), the raw generated clients, and a socket; and a table test over the API table
//! proving that every RPC can be mocked with a typed response and with an error.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use livestream_grpc::location::locations_client::LocationsClient;
use livestream_grpc::longrunning::operation;
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::methods::Request as _;
use livestream_grpc::mock::{Answer, Failure, Mock};
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use livestream_grpc::{Client, Method};
use prost::{Message, Name};
use prost_reflect::{ReflectMessage, Value};
use tokio::time::Instant;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::names::{channel, location};

/// `M` with its first string field set to `marker` (the default when it has none, as
/// `()` and `ChannelOperationResponse`), so that a response that arrives is the one set.
fn marked<M: Message + Name + Default>(marker: &str) -> M {
    let Ok(mut dynamic) = livestream_grpc::reflect::to_dynamic(&M::default()) else {
        return M::default();
    };
    let field = dynamic
        .descriptor()
        .fields()
        .find(|f| f.kind() == prost_reflect::Kind::String && !f.is_list());
    if let Some(field) = field {
        dynamic.set_field(&field, Value::String(marker.to_owned()));
    }
    livestream_grpc::reflect::from_dynamic(&dynamic).unwrap()
}

/// Calls one RPC with a raw generated client of its service, on `service`.
macro_rules! raw_call {
    (LivestreamService, $method:ident, $service:expr, $req:expr) => {
        LivestreamServiceClient::new($service).$method($req).await
    };
    (Operations, $method:ident, $service:expr, $req:expr) => {
        OperationsClient::new($service).$method($req).await
    };
    (Locations, $method:ident, $service:expr, $req:expr) => {
        LocationsClient::new($service).$method($req).await
    };
}

/// A status with every kind of `google.rpc` detail a mock can attach, naming `rpc`.
fn failure(rpc: &str) -> Failure {
    Failure::quota(rpc, "no more")
        .with_bad_request_violation("field", rpc)
        .with_precondition_violation("STATE", rpc, "not ready")
        .with_resource_info("livestream.googleapis.com/Channel", rpc, "", "busy")
        .with_retry_delay(Duration::from_secs(3))
}

/// Checks that `status` is `failure(rpc)` with all its details.
fn assert_failure(status: &tonic::Status, rpc: &str) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{rpc}: {status:?}");
    let details = status.get_error_details();
    assert_eq!(details.quota_failure().unwrap().violations[0].subject, rpc);
    assert_eq!(
        details.bad_request().unwrap().field_violations[0].description,
        rpc
    );
    assert_eq!(
        details.precondition_failure().unwrap().violations[0].subject,
        rpc
    );
    assert_eq!(details.resource_info().unwrap().resource_name, rpc);
    assert_eq!(
        details.retry_info().unwrap().retry_delay,
        Some(Duration::from_secs(3))
    );
}

/// Mocks one RPC with a typed response and then an error, calls it twice with a raw client
/// in-process, and checks both answers, the recorded requests and the expectations.
macro_rules! check_rpc {
    // A long-running RPC: the typed result, in a done operation; then an error status; then
    // a done operation that failed with that error.
    ($svc:ident, $rpc:ident, $method:ident, $req:ty, $resp:ty, lro { $result:ty, $meta:ty }) => {{
        let rpc = stringify!($rpc);
        let mock = Mock::new();
        let result: $result = marked(rpc);
        mock.on::<$req>()
            .answer_once(Answer::done(result.clone()))
            .fails_once(failure(rpc))
            .answer_once(Answer::done_with_error(failure(rpc)))
            .times(3);
        let op = raw_call!($svc, $method, mock.service(), <$req>::default())
            .unwrap()
            .into_inner();
        assert!(op.done, "{rpc}");
        match op.result {
            Some(operation::Result::Response(any)) => {
                assert_eq!(any.to_msg::<$result>().unwrap(), result, "{rpc}")
            }
            other => panic!("{rpc}: {other:?}"),
        }
        let status = raw_call!($svc, $method, mock.service(), <$req>::default()).unwrap_err();
        assert_failure(&status, rpc);
        let op = raw_call!($svc, $method, mock.service(), <$req>::default())
            .unwrap()
            .into_inner();
        match op.result {
            Some(operation::Result::Error(error)) => {
                let status = tonic::Status::with_details(
                    Code::from_i32(error.code),
                    error.message.clone(),
                    error.encode_to_vec().into(),
                );
                assert_failure(&status, rpc);
            }
            other => panic!("{rpc}: {other:?}"),
        }
        assert_eq!(mock.requests::<$req>().len(), 3, "{rpc}");
        mock.verify().unwrap();
    }};
    // A unary or List RPC: the typed response, then an error status.
    ($svc:ident, $rpc:ident, $method:ident, $req:ty, $resp:ty, $kind:ident { $($k:tt)* }) => {{
        let rpc = stringify!($rpc);
        let mock = Mock::new();
        let response: $resp = marked(rpc);
        mock.on::<$req>()
            .returns_once(response.clone())
            .fails_once(failure(rpc))
            .times(2);
        let got = raw_call!($svc, $method, mock.service(), <$req>::default())
            .unwrap()
            .into_inner();
        assert_eq!(got, response, "{rpc}");
        let status = raw_call!($svc, $method, mock.service(), <$req>::default()).unwrap_err();
        assert_failure(&status, rpc);
        assert_eq!(mock.requests::<$req>().len(), 2, "{rpc}");
        assert_eq!(mock.call_count(<$req>::METHOD), 2, "{rpc}");
        mock.verify().unwrap();
    }};
}

macro_rules! check_every_rpc {
    ($( [ service: $svc:ident, rpc: $rpc:ident, method: $method:ident, request: $req:ty,
          response: $resp:ty, access: $access:ident, request_id: $rid:tt,
          kind: $kind:ident { $($k:tt)* } $($more:tt)* ] )*) => {{
        let mut checked = Vec::new();
        $(
            check_rpc!($svc, $rpc, $method, $req, $resp, $kind { $($k)* });
            checked.push(<$req>::METHOD);
        )*
        checked
    }};
}

#[tokio::test]
async fn mock_every_rpc_answers_a_typed_response_and_an_error() {
    let checked = livestream_grpc::for_each_rpc!(check_every_rpc);
    assert_eq!(checked, Method::ALL);
}

#[tokio::test]
async fn mock_every_unset_rpc_answers_unimplemented_naming_it() {
    macro_rules! call_every_rpc {
        ($( [ service: $svc:ident, rpc: $rpc:ident, method: $method:ident, request: $req:ty,
              $($more:tt)* ] )*) => {{
            let mock = Mock::new();
            $(
            let status = raw_call!($svc, $method, mock.service(), <$req>::default()).unwrap_err();
            assert_eq!(status.code(), Code::Unimplemented, "{}", stringify!($rpc));
            let expected = format!(
                "{} is not mocked: set its answer with mock.{}() or mock.on::<{}Request>()",
                stringify!($rpc), stringify!($method), stringify!($rpc)
            );
            assert_eq!(status.message(), expected);
            )*
            mock
        }};
    }
    let mock = livestream_grpc::for_each_rpc!(call_every_rpc);
    let unmet = mock.verify().unwrap_err();
    assert_eq!(unmet.methods(), Method::ALL);
    assert_eq!(unmet.calls(), Method::ALL);
    assert!(
        unmet.to_string().contains(
            "  - GetChannel: called 1 time but not mocked, so it answered UNIMPLEMENTED; \
             set its answer with `mock.get_channel()` or `mock.on::<GetChannelRequest>()`\n"
        ),
        "{unmet}"
    );
    mock.reset();
}

#[tokio::test]
async fn mock_fixed_response_reaches_the_client() {
    let mock = Mock::new();
    let broken = Channel {
        name: channel().to_string(),
        streaming_state: channel::StreamingState::StreamingError as i32,
        streaming_error: Some(livestream_grpc::rpc::Status {
            code: Code::FailedPrecondition as i32,
            message: "input lost".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    mock.get_channel().returns(broken.clone()).times(2);
    let client = Client::from_service(mock.service());
    assert_eq!(client.get_channel(channel()).await.unwrap(), broken);
    let again = client.get_channel(channel()).await.unwrap();
    assert_eq!(
        again.streaming_state(),
        channel::StreamingState::StreamingError
    );
    assert_eq!(again.streaming_error.unwrap().message, "input lost");
}

#[tokio::test]
async fn mock_sequence_of_pages_is_followed_by_the_pager() {
    let mock = Mock::new();
    let named = |id: &str| Channel {
        name: location().channel(id).unwrap().to_string(),
        ..Default::default()
    };
    mock.list_channels()
        .returns_seq([
            ListChannelsResponse {
                channels: vec![named("a"), named("b")],
                next_page_token: "page-2".into(),
                ..Default::default()
            },
            ListChannelsResponse {
                channels: vec![named("c")],
                ..Default::default()
            },
        ])
        .times(2);
    let client = Client::from_service(mock.service());
    let items = client
        .list_channels(location())
        .collect_items(None)
        .await
        .unwrap();
    let ids: Vec<_> = items
        .iter()
        .map(|c| c.name.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let tokens: Vec<_> = mock
        .list_channels()
        .requests()
        .iter()
        .map(|r| r.page_token.clone())
        .collect();
    assert_eq!(tokens, ["", "page-2"]);
}

#[tokio::test]
async fn mock_answers_with_a_closure_over_the_typed_request() {
    let mock = Mock::new();
    mock.get_event().answers(|request: &GetEventRequest| {
        if request.name.ends_with("/missing") {
            return Err(
                Failure::not_found("livestream.googleapis.com/Event", &request.name).into(),
            );
        }
        Ok(Event {
            name: request.name.clone(),
            ..Default::default()
        })
    });
    let client = Client::from_service(mock.service());
    let event = client
        .get_event(channel().event("ad").unwrap())
        .await
        .unwrap();
    assert!(event.name.ends_with("/events/ad"));
    let err = client
        .get_event(channel().event("missing").unwrap())
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    let info = err.details().unwrap().resource_info().unwrap();
    assert_eq!(info.resource_type, "livestream.googleapis.com/Event");
    assert!(info.resource_name.ends_with("/events/missing"));
}

#[tokio::test]
async fn mock_errors_carry_google_rpc_details_to_the_client() {
    let mock = Mock::new();
    let location = location();
    mock.create_input()
        .fails_once(Failure::invalid_argument("input.type", "must be set"))
        .fails_once(Failure::failed_precondition("STATE", "input", "in use"))
        .fails_once(Failure::quota(
            location.to_string(),
            "100 inputs per location",
        ))
        .fails_once(Failure::not_found(
            "livestream.googleapis.com/Pool",
            "pools/default",
        ))
        .fails_once(
            Failure::new(Code::Aborted, "conflict")
                .with_retry_delay(Duration::from_secs(9))
                .with_error_info(
                    "CONFLICT",
                    "livestream.googleapis.com",
                    [("k".into(), "v".into())],
                ),
        )
        .fails_once(tonic::Status::permission_denied("plain status"))
        .times(6);
    let client = Client::from_service(mock.service());
    let create = || {
        client.create_input(CreateInputRequest {
            parent: location.to_string(),
            input_id: "in".into(),
            ..Default::default()
        })
    };

    let err = create().await.unwrap_err();
    assert!(err.is_invalid_argument());
    let violation = &err
        .details()
        .unwrap()
        .bad_request()
        .unwrap()
        .field_violations[0];
    assert_eq!(
        (violation.field.as_str(), violation.description.as_str()),
        ("input.type", "must be set")
    );
    let err = create().await.unwrap_err();
    assert!(err.is_failed_precondition());
    assert_eq!(
        err.details()
            .unwrap()
            .precondition_failure()
            .unwrap()
            .violations[0]
            .r#type,
        "STATE"
    );
    let err = create().await.unwrap_err();
    assert!(err.is_resource_exhausted());
    assert_eq!(
        err.details().unwrap().quota_failure().unwrap().violations[0].subject,
        location.to_string()
    );
    let err = create().await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        err.details()
            .unwrap()
            .resource_info()
            .unwrap()
            .resource_name,
        "pools/default"
    );
    let err = create().await.unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    assert_eq!(err.retry_delay(), Some(Duration::from_secs(9)));
    assert_eq!(
        err.details().unwrap().error_info().unwrap().reason,
        "CONFLICT"
    );
    let err = create().await.unwrap_err();
    assert!(err.is_permission_denied());
    assert_eq!(err.message(), "plain status");
}

#[tokio::test]
async fn mock_lro_done_with_a_typed_result() {
    let mock = Mock::new();
    let input = Input {
        name: location().input("in").unwrap().to_string(),
        uri: "rtmp://1.2.3.4/live/key".into(),
        ..Default::default()
    };
    mock.create_input().done_with(input.clone()).times(1);
    mock.delete_input().done_with(()).times(1);
    let client = Client::from_service(mock.service());
    let operation = client
        .create_input(CreateInputRequest {
            parent: location().to_string(),
            input_id: "in".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(operation.is_done());
    assert!(
        operation
            .name()
            .starts_with("projects/p/locations/us-central1/operations/mock-"),
        "{}",
        operation.name()
    );
    assert_eq!(operation.until_done().await.unwrap(), input);
    client
        .delete_input(location().input("in").unwrap())
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    // Done operations need no polling.
    assert_eq!(mock.call_count(Method::GetOperation), 0);
}

#[tokio::test]
async fn mock_lro_that_fails_keeps_its_details() {
    let mock = Mock::new();
    mock.create_channel()
        .done_with_error(Failure::quota("channels per project", "limit is 10"));
    let client = Client::from_service(mock.service());
    let err = client
        .create_channel(CreateChannelRequest {
            parent: location().to_string(),
            channel_id: "c".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap_err();
    assert!(err.is_operation_failure(), "{err}");
    assert!(err.is_resource_exhausted());
    let quota = err.details().unwrap().quota_failure().unwrap();
    assert_eq!(quota.violations[0].subject, "channels per project");
}

#[tokio::test(start_paused = true)]
async fn mock_lro_pending_for_polls_exercises_the_poller() {
    let mock = Mock::new();
    mock.start_channel()
        .pending_for(3, Ok(ChannelOperationResponse::default()))
        .times(1);
    mock.get_operation().times(4);
    let client = Client::from_service(mock.service());
    let start = Instant::now();
    let mut operation = client.start_channel(channel()).await.unwrap();
    assert!(!operation.is_done());
    assert_eq!(
        operation.metadata().unwrap(),
        Some(OperationMetadata::default())
    );
    operation.wait().await.unwrap();
    // Three polls found it pending, the fourth done; the backoff (1 s, 1.5 s, 2.25 s,
    // 3.375 s) slept on the paused clock.
    let polled: Vec<_> = mock
        .get_operation()
        .requests()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(polled, vec![operation.name().to_owned(); 4]);
    assert!(
        start.elapsed() >= Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn mock_lro_pending_then_failing_and_cancelled() {
    let mock = Mock::new();
    mock.update_channel().answer_once(Answer::pending(
        1,
        Err(Failure::failed_precondition("STATE", "channel", "channel is running").into()),
    ));
    mock.update_channel()
        .answer_once(Answer::pending(100, Ok(Channel::default())));
    let client = Client::from_service(mock.service());
    let update = || {
        client.update_channel(UpdateChannelRequest {
            channel: Some(Channel {
                name: channel().to_string(),
                ..Default::default()
            }),
            ..Default::default()
        })
    };
    let err = update().await.unwrap().until_done().await.unwrap_err();
    assert!(
        err.is_operation_failure() && err.is_failed_precondition(),
        "{err}"
    );

    let mut operation = update().await.unwrap();
    operation.cancel().await.unwrap();
    let err = operation.wait().await.unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(mock.call_count(Method::CancelOperation), 1);
}

#[tokio::test(start_paused = true)]
async fn mock_a_failing_poll_is_answered_before_the_operation() {
    let mock = Mock::new();
    mock.delete_channel().pending_for(0, Ok(()));
    mock.get_operation()
        .fails_once(Failure::unavailable("poll lost"))
        .times(2);
    let client = Client::from_service(mock.service());
    client
        .delete_channel(channel())
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn mock_records_routing_header_request_id_and_deadline() {
    let mock = Mock::new();
    mock.create_event().returns(Event::default());
    let client = Client::from_service(mock.service());
    client
        .create_event(CreateEventRequest {
            parent: channel().to_string(),
            event_id: "ad-1".into(),
            ..Default::default()
        })
        .with_attempt_timeout(Duration::from_secs(5))
        .await
        .unwrap();
    let recorded = &mock.requests::<CreateEventRequest>()[0];
    assert_eq!(recorded.event_id, "ad-1");
    assert_eq!(
        recorded.routing_header(),
        Some("parent=projects/p/locations/us-central1/channels/c")
    );
    let id = recorded.request_id().expect("the client fills request_id");
    assert!(uuid_like(id), "{id}");
    assert_eq!(recorded.timeout(), Some(Duration::from_secs(5)));
    assert!(recorded.header("x-goog-api-client").is_some());
    assert_eq!(
        recorded.request().parent,
        recorded.clone().into_request().parent
    );
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|&c| c == '-').count() == 4
}

#[tokio::test(start_paused = true)]
async fn mock_lost_response_is_retried_with_the_same_request_id() {
    let mock = Mock::new();
    mock.create_event()
        .fails_once(Failure::unavailable("response lost"))
        .returns(Event {
            name: channel().event("ad").unwrap().to_string(),
            ..Default::default()
        })
        .times(2);
    let client = Client::from_service(mock.service());
    let event = client
        .create_event(CreateEventRequest {
            parent: channel().to_string(),
            event_id: "ad".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(event.name.ends_with("/events/ad"));
    let ids: Vec<_> = mock
        .create_event()
        .requests()
        .iter()
        .map(|r| r.request_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test(start_paused = true)]
async fn mock_retry_info_sets_the_client_backoff() {
    let mock = Mock::new();
    mock.get_channel()
        .fails_once(Failure::unavailable("busy").with_retry_delay(Duration::from_secs(7)))
        .returns(Channel::default());
    let client = Client::from_service(mock.service());
    let start = Instant::now();
    client.get_channel(channel()).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(7),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(mock.get_channel().call_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn mock_delays_follow_the_paused_clock() {
    let real = std::time::Instant::now();
    let mock = Mock::new();
    mock.get_channel()
        .delay(Duration::from_secs(30))
        .returns(Channel::default());
    mock.get_input()
        .answer_once(Answer::response(Input::default()).delayed(Duration::from_secs(60)))
        .returns(Input::default());
    let client = Client::from_service(mock.service());

    let start = Instant::now();
    let err = client
        .get_channel(channel())
        .with_attempt_timeout(Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(1));

    let start = Instant::now();
    client.get_channel(channel()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    let start = Instant::now();
    client
        .get_input(location().input("i").unwrap())
        .await
        .unwrap();
    client
        .get_input(location().input("i").unwrap())
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    // The call the client gave up on was recorded too.
    assert_eq!(mock.get_channel().call_count(), 2);
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test]
async fn mock_expectations_met_verify_cleanly() {
    let mock = Mock::new();
    mock.get_pool().returns(Pool::default()).times(1);
    mock.delete_asset().never();
    let client = Client::from_service(mock.service());
    client
        .get_pool(location().pool("default").unwrap())
        .await
        .unwrap();
    assert_eq!(mock.verify(), Ok(()));
    assert_eq!(mock.calls(), [Method::GetPool]);
}

#[tokio::test]
async fn mock_unmet_expectations_list_what_was_and_was_not_called() {
    let mock = Mock::new();
    mock.get_channel().returns(Channel::default()).times(2);
    mock.delete_channel().never();
    mock.stop_channel()
        .done_with(ChannelOperationResponse::default());
    mock.list_inputs()
        .returns_seq([ListInputsResponse::default()]);
    let client = Client::from_service(mock.service());
    client.get_channel(channel()).await.unwrap();
    let err = client.delete_channel(channel()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
    client.list_inputs(location()).send().await.unwrap();
    let err = client.list_inputs(location()).send().await.unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    assert!(err.message().contains("used up"), "{err}");
    let err = client
        .get_input(location().input("i").unwrap())
        .await
        .unwrap_err();
    assert!(err.message().contains("GetInput is not mocked"), "{err}");

    let unmet = mock.verify().unwrap_err();
    assert_eq!(
        unmet.to_string(),
        "the mock's expectations were not met:
  - GetChannel: expected 2 calls, got 1
  - DeleteChannel: expected no call, got 1 call
  - ListInputs: called 2 times but only 1 one-shot answer and no repeating answer were set, so the extra calls failed with INTERNAL
  - GetInput: called 1 time but not mocked, so it answered UNIMPLEMENTED; set its answer with `mock.get_input()` or `mock.on::<GetInputRequest>()`
calls received, in order: GetChannel, DeleteChannel, ListInputs, ListInputs, GetInput
set but never called: StopChannel"
    );
    assert_eq!(
        unmet.methods(),
        [
            Method::GetChannel,
            Method::DeleteChannel,
            Method::ListInputs,
            Method::GetInput
        ]
    );

    // Dropping the last handle panics with the same message.
    drop(client);
    let panic = catch_unwind(AssertUnwindSafe(move || drop(mock))).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert_eq!(*message, unmet.to_string());
}

#[test]
fn mock_drop_does_not_panic_while_the_test_is_already_panicking() {
    let panic = catch_unwind(|| {
        let mock = Mock::new();
        mock.get_channel().times(1);
        panic!("the test's own failure");
    })
    .unwrap_err();
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"the test's own failure")
    );
}

#[test]
fn mock_clones_share_the_mock_and_only_the_last_handle_checks() {
    let mock = Mock::new();
    mock.get_channel().times(1);
    let clone = mock.clone();
    drop(clone); // not the last handle: nothing checked yet
    mock.reset();
    drop(mock);
}

#[test]
fn mock_misspelled_rpc_names_suggest_the_closest() {
    // `mock.get_chanel()` does not compile (a doctest of the mock module shows it); a name
    // given as a string is checked by `Method`'s parser.
    let err = "GetChanel".parse::<Method>().unwrap_err();
    assert!(err.to_string().contains("did you mean GetChannel"), "{err}");
}

#[tokio::test]
async fn mock_serves_on_a_port_for_code_that_opens_its_own_channel() {
    let mock = Mock::new();
    mock.get_channel()
        .answers(|request| {
            Ok(Channel {
                name: request.name.clone(),
                ..Default::default()
            })
        })
        .times(2);
    let server = mock.serve().await.unwrap();
    assert!(server.endpoint().starts_with("http://127.0.0.1:"));
    assert_eq!(server.address().ip().to_string(), "127.0.0.1");
    let client = Client::builder()
        .with_endpoint(server.endpoint())
        .build()
        .await
        .unwrap();
    let got = client.get_channel(channel()).await.unwrap();
    assert_eq!(got.name, channel().to_string());
    let mut raw = LivestreamServiceClient::new(server.channel());
    raw.get_channel(GetChannelRequest {
        name: "x".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        mock.get_channel().requests()[0].routing_header(),
        Some("name=projects/p/locations/us-central1/channels/c")
    );
}
