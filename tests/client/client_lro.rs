//! Long-running operations against the fake server, for answers the emulator never gives:
//! an operation error with `google.rpc` details, results and metadata of the wrong type, and
//! a delete done without any response. Waiting, bounds, cancel, resume and progress against
//! the emulator are in `client_emulator_lro.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::Fake;
use crate::common::names::{channel, location};
use livestream_grpc::ErrorKind;
use livestream_grpc::longrunning::{GetOperationRequest, Operation as RawOperation, operation};
use livestream_grpc::names::OperationName;
use livestream_grpc::v1::*;
use tonic::Code;

/// Operations that finish after a number of polls, with a given result.
#[derive(Clone, Default)]
struct Operations {
    state: Arc<Mutex<HashMap<String, (u32, RawOperation)>>>,
}

impl Operations {
    /// Serves GetOperation from this table.
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
