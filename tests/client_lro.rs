//! Long-running operations over real gRPC (in-process, paused time): waiting with backoff,
//! typed results and metadata, failures, the default bound, cancel, resume by name, the
//! progress stream, and bad `Any`s.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Fake;
use common::names::{channel, location};
use futures_util::StreamExt;
use livestream_grpc::longrunning::{
    CancelOperationRequest, GetOperationRequest, Operation as RawOperation, operation,
};
use livestream_grpc::lro::Progress;
use livestream_grpc::names::OperationName;
use livestream_grpc::policy::{ExponentialBackoff, PollingOptions};
use livestream_grpc::v1::*;
use livestream_grpc::{Client, ErrorKind};
use tokio::time::Instant;
use tonic::Code;

/// Operations that finish after a number of polls, with a given result.
#[derive(Clone, Default)]
struct Operations {
    state: Arc<Mutex<HashMap<String, (u32, RawOperation)>>>,
}

impl Operations {
    /// Serves GetOperation and CancelOperation from this table.
    fn install(fake: &Fake) -> Self {
        let ops = Operations::default();
        let table = ops.clone();
        fake.on("GetOperation", move |request: GetOperationRequest| {
            let mut state = table.state.lock().unwrap();
            let (polls_left, done) = state
                .get_mut(&request.name)
                .ok_or_else(|| tonic::Status::not_found(request.name.clone()))?;
            if *polls_left > 0 {
                *polls_left -= 1;
                return Ok(RawOperation {
                    name: request.name,
                    done: false,
                    metadata: done.metadata.clone(),
                    ..Default::default()
                });
            }
            Ok(done.clone())
        });
        let table = ops.clone();
        fake.on("CancelOperation", move |request: CancelOperationRequest| {
            let mut state = table.state.lock().unwrap();
            let (polls_left, op) = state
                .get_mut(&request.name)
                .ok_or_else(|| tonic::Status::not_found(request.name.clone()))?;
            *polls_left = 0;
            op.result = Some(operation::Result::Error(livestream_grpc::rpc::Status {
                code: Code::Cancelled as i32,
                message: "cancelled by the caller".into(),
                ..Default::default()
            }));
            Ok(())
        });
        ops
    }

    /// Registers an operation that is done after `polls` polls, ending with `result`.
    fn add(&self, name: &str, polls: u32, result: operation::Result) {
        let metadata = prost_types::Any::from_msg(&OperationMetadata {
            verb: "start".into(),
            target: channel().to_string(),
            ..Default::default()
        })
        .unwrap();
        let op = RawOperation {
            name: name.to_owned(),
            done: true,
            metadata: Some(metadata),
            result: Some(result),
        };
        self.state
            .lock()
            .unwrap()
            .insert(name.to_owned(), (polls, op));
    }

    /// Makes `method` start an operation (not done) named `name`.
    fn start_with<Req: Send + 'static>(fake: &Fake, method: &'static str, name: &str) {
        let name = name.to_owned();
        fake.on(method, move |_: Req| {
            Ok(RawOperation {
                name: name.clone(),
                ..Default::default()
            })
        });
    }
}

fn response<T: prost::Name>(message: &T) -> operation::Result {
    operation::Result::Response(prost_types::Any::from_msg(message).unwrap())
}

const OP: &str = "projects/p/locations/us-central1/operations/start-1";

#[tokio::test(start_paused = true)]
async fn wait_polls_with_backoff_and_returns_the_typed_result() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    ops.add(OP, 3, response(&ChannelOperationResponse::default()));
    Operations::start_with::<StartChannelRequest>(&fake, "StartChannel", OP);

    let client = fake.client();
    let mut operation = client.start_channel(channel()).await.unwrap();
    assert_eq!(operation.name(), OP);
    assert!(!operation.is_done());
    assert!(operation.result().is_none());
    let start = Instant::now();
    let result: ChannelOperationResponse = operation.wait().await.unwrap();
    assert_eq!(result, ChannelOperationResponse::default());
    // Polls after 1 s, 1.5 s, 2.25 s and 3.375 s: three running, the fourth done.
    assert_eq!(start.elapsed(), Duration::from_millis(8125));
    assert_eq!(fake.count("GetOperation"), 4);
    assert_eq!(
        fake.header("GetOperation", 0, "x-goog-request-params")
            .as_deref(),
        Some(format!("name={OP}").as_str())
    );
    let metadata = operation.metadata().unwrap().unwrap();
    assert_eq!(metadata.verb, "start");
    assert!(operation.is_done());
}

#[tokio::test(start_paused = true)]
async fn an_operation_that_fails_returns_its_status_with_details() {
    use tonic_types::ErrorInfo;
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    // A google.rpc.Status with an ErrorInfo detail, encoded as the service does.
    let status = livestream_grpc::rpc::Status {
        code: Code::FailedPrecondition as i32,
        message: "channel is running".into(),
        details: vec![prost_types::Any {
            type_url: ErrorInfo::TYPE_URL.into(),
            value: prost::Message::encode_to_vec(&tonic_types::pb::ErrorInfo {
                reason: "CHANNEL_RUNNING".into(),
                domain: "livestream.googleapis.com".into(),
                ..Default::default()
            }),
        }],
    };
    ops.add(OP, 1, operation::Result::Error(status));
    Operations::start_with::<DeleteChannelRequest>(&fake, "DeleteChannel", OP);

    let operation = fake.client().delete_channel(channel()).await.unwrap();
    let err = operation.until_done().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Operation, "{err:?}");
    assert!(err.is_failed_precondition() && err.is_operation_failure());
    assert!(!err.is_retryable());
    assert_eq!(err.message(), format!("operation {OP} failed"));
    assert_eq!(err.status().unwrap().message(), "channel is running");
    let info = err.details().unwrap().error_info().unwrap();
    assert_eq!(info.reason, "CHANNEL_RUNNING");
}

#[tokio::test(start_paused = true)]
async fn waiting_is_bounded_by_thirty_minutes_by_default() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    ops.add(OP, u32::MAX, response(&Channel::default()));
    Operations::start_with::<CreateChannelRequest>(&fake, "CreateChannel", OP);
    let request = CreateChannelRequest {
        parent: location().to_string(),
        channel_id: "c".into(),
        ..Default::default()
    };
    let mut operation = fake.client().create_channel(request).await.unwrap();
    let start = Instant::now();
    let err = operation.wait().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout());
    assert!(err.to_string().contains(OP), "{err}");
    assert!(start.elapsed() <= Duration::from_secs(30 * 60));
    assert!(start.elapsed() > Duration::from_secs(29 * 60));
    let polls = fake.count("GetOperation");
    // 1, 1.5, 2.25, ... capped at 20 s: about 95 polls in 30 minutes, not one per second.
    assert!((80..=100).contains(&polls), "{polls} polls");

    // The operation can still be waited for, with a shorter bound.
    let start = Instant::now();
    let err = operation
        .with_polling_options(PollingOptions::new().with_timeout(Duration::from_secs(60)))
        .until_done()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert!(start.elapsed() <= Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn the_client_polling_options_apply_to_every_operation() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    ops.add(OP, 2, response(&Input::default()));
    Operations::start_with::<UpdateInputRequest>(&fake, "UpdateInput", OP);
    let polling = PollingOptions::new().with_backoff(
        ExponentialBackoff::builder()
            .with_initial_delay(Duration::from_secs(5))
            .with_maximum_delay(Duration::from_secs(5))
            .without_jitter()
            .build()
            .unwrap(),
    );
    let client = Client::builder()
        .with_polling_options(polling)
        .build_with_service(fake.routes())
        .unwrap();
    let request = UpdateInputRequest {
        input: Some(Input {
            name: location().input("i").unwrap().to_string(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let start = Instant::now();
    client
        .update_input(request)
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(15));
}

#[tokio::test(start_paused = true)]
async fn cancel_then_resume_from_the_name() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    ops.add(OP, u32::MAX, response(&Channel::default()));
    Operations::start_with::<StartChannelRequest>(&fake, "StartChannel", OP);
    let client = fake.client();

    let operation = client.start_channel(channel()).await.unwrap();
    let saved = operation.name().to_owned();
    operation.cancel().await.unwrap();
    assert_eq!(
        fake.requests::<CancelOperationRequest>("CancelOperation")[0].name,
        OP
    );
    drop(operation);

    // Later, perhaps in another process:
    let name: OperationName = saved.parse().unwrap();
    let mut resumed = client.operation::<ChannelOperationResponse>(&name);
    assert!(resumed.raw().is_none(), "nothing sent yet");
    assert_eq!(fake.count("GetOperation"), 0);
    let start = Instant::now();
    let err = resumed.wait().await.unwrap_err();
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "a resumed operation is polled at once"
    );
    assert!(err.is_cancelled() && err.is_operation_failure(), "{err:?}");
    assert_eq!(fake.count("GetOperation"), 1);
}

#[tokio::test(start_paused = true)]
async fn resuming_a_finished_operation_returns_its_result() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    let pool = Pool {
        name: location().pool("default").unwrap().to_string(),
        ..Default::default()
    };
    ops.add(OP, 0, response(&pool));
    let client = fake.client();
    let name: OperationName = OP.parse().unwrap();
    let mut operation = client.operation::<Pool>(&name);
    assert!(operation.poll().await.unwrap());
    assert_eq!(operation.result().unwrap().unwrap(), pool);
    assert_eq!(
        client.operation::<Pool>(&name).until_done().await.unwrap(),
        pool
    );
}

#[tokio::test(start_paused = true)]
async fn a_response_of_another_type_is_a_decode_error_not_a_panic() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    ops.add(OP, 0, response(&Input::default()));
    let name: OperationName = OP.parse().unwrap();
    let err = fake
        .client()
        .operation::<Channel>(&name)
        .until_done()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert!(
        err.to_string()
            .contains("google.cloud.video.livestream.v1.Channel")
    );
    assert!(err.to_string().contains("Input"), "{err}");

    // Metadata of another type too.
    let bad_metadata = RawOperation {
        name: OP.into(),
        done: true,
        metadata: Some(prost_types::Any::from_msg(&Channel::default()).unwrap()),
        ..Default::default()
    };
    ops.state
        .lock()
        .unwrap()
        .insert(OP.to_owned(), (0, bad_metadata));
    let mut operation = fake.client().operation::<Channel>(&name);
    operation.poll().await.unwrap();
    assert_eq!(operation.metadata().unwrap_err().kind(), ErrorKind::Decode);
    assert_eq!(
        operation.result().unwrap().unwrap_err().kind(),
        ErrorKind::Decode,
        "done without a response is not a Channel"
    );
}

#[tokio::test(start_paused = true)]
async fn deletes_yield_unit_with_or_without_an_empty_response() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    ops.add(OP, 1, response(&()));
    Operations::start_with::<DeleteInputRequest>(&fake, "DeleteInput", OP);
    let client = fake.client();
    let () = client
        .delete_input(location().input("i").unwrap())
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    // Done with no response at all: still `()`.
    let empty = RawOperation {
        name: OP.into(),
        done: true,
        ..Default::default()
    };
    ops.state.lock().unwrap().insert(OP.to_owned(), (0, empty));
    let name: OperationName = OP.parse().unwrap();
    let () = client.operation::<()>(&name).until_done().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn progress_is_a_stream_of_metadata_then_the_result() {
    let fake = Fake::new();
    let ops = Operations::install(&fake);
    let clip = Clip {
        name: channel().clip("k").unwrap().to_string(),
        ..Default::default()
    };
    ops.add(OP, 2, response(&clip));
    Operations::start_with::<CreateClipRequest>(&fake, "CreateClip", OP);
    let request = CreateClipRequest {
        parent: channel().to_string(),
        clip_id: "k".into(),
        ..Default::default()
    };
    let operation = fake.client().create_clip(request).await.unwrap();
    let events: Vec<_> = operation.progress().collect().await;
    assert_eq!(events.len(), 3, "{events:?}");
    for event in &events[..2] {
        match event {
            Ok(Progress::Running(Some(metadata))) => assert_eq!(metadata.verb, "start"),
            other => panic!("{other:?}"),
        }
    }
    match &events[2] {
        Ok(Progress::Done(done)) => assert_eq!(done, &clip),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_poll_that_fails_ends_the_wait_with_that_error() {
    let fake = Fake::new();
    Operations::install(&fake); // OP is unknown: NOT_FOUND
    let name: OperationName = OP.parse().unwrap();
    let err = fake
        .client()
        .operation::<Channel>(&name)
        .until_done()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.method(), Some("GetOperation"));
}
