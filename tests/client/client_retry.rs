//! Retries against the fake server, for what only a server of your own can show: the bytes
//! of every attempt. Retries, backoff, deadlines and request_id replay against the emulator
//! are in `client_emulator_retry.rs`.

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::names::location;
use crate::common::{Fake, done_operation};
use livestream_grpc::v1::*;
use tonic::Code;

/// A CreateChannel that honours request_id as the service does: a repeated ID returns the
/// first operation and creates nothing.
fn deduplicating_create(fake: &Fake) -> Arc<Mutex<HashMap<String, String>>> {
    let created: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let store = created.clone();
    let names = fake.clone();
    fake.on("CreateChannel", move |request: CreateChannelRequest| {
        let mut store = store.lock().unwrap();
        let channel = Channel {
            name: format!("{}/channels/{}", request.parent, request.channel_id),
            ..Default::default()
        };
        let name = store
            .entry(request.request_id.clone())
            .or_insert_with(|| names.operation_name())
            .clone();
        Ok(done_operation(name, &channel))
    });
    created
}

#[tokio::test(start_paused = true)]
async fn every_attempt_sends_the_same_request_byte_for_byte() {
    let fake = Fake::new();
    let created = deduplicating_create(&fake);
    // The first attempt creates the channel but its answer is lost.
    fake.fail_after("CreateChannel", [Code::Unavailable]);
    let operation = fake
        .client()
        .create_channel(CreateChannelRequest {
            parent: location().to_string(),
            channel_id: "c".into(),
            channel: Some(Channel::default()),
            ..Default::default()
        })
        .await
        .unwrap();
    let channel = operation.until_done().await.unwrap();
    assert_eq!(channel.name, common::names::channel().to_string());

    let requests = fake.requests::<CreateChannelRequest>("CreateChannel");
    assert_eq!(requests.len(), 2);
    let id = &requests[0].request_id;
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    assert_eq!(requests[0], requests[1], "the same request, byte for byte");
    assert_eq!(
        created.lock().unwrap().len(),
        1,
        "exactly one channel created"
    );
}
