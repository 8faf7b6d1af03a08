//! Shared helpers for the client's tests against the emulator
//! (`tests/client/client_emulator_*.rs`): clients over an in-process or a socket emulator,
//! typed names in the location of the emulator tests, and creates through the client on top
//! of `emulator_support`'s resource bodies. A test binary using it also declares
//! `mod emulator_support;`.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::time::Duration;

use livestream_grpc::client::Rpc;
use livestream_grpc::emulator::{Emulator, LroTiming, RunningEmulator};
use livestream_grpc::methods::LroRequest;
use livestream_grpc::names::OperationName;
use livestream_grpc::names::{ChannelName, InputName, LocationName};
use livestream_grpc::policy::ExponentialBackoff;
use livestream_grpc::v1::{Channel, ChannelOperationResponse, CreateChannelRequest, Input};
use livestream_grpc::{Call, Client, Operation};

use crate::emulator_support::{PROJECT, channel_body};
pub use crate::emulator_support::{create_asset_request, create_input_request};

/// `projects/test-project/locations/us-central1`, as `emulator_support::LOC`.
pub fn location() -> LocationName {
    LocationName::new(PROJECT, "us-central1").expect("a valid location")
}

pub fn channel(id: &str) -> ChannelName {
    location().channel(id).expect("a valid channel ID")
}

pub fn input(id: &str) -> InputName {
    location().input(id).expect("a valid input ID")
}

/// An emulator served in-process, and a client calling it through `Client::from_service`.
/// Built inside the test's runtime, so the emulator clock follows (paused) tokio time.
pub fn in_process(timing: LroTiming) -> (Emulator, Client) {
    let emu = Emulator::builder().lro_timing(timing).build();
    let client = Client::from_service(emu.service());
    (emu, client)
}

/// An emulator on a loopback port, and a client connected to its endpoint.
pub async fn over_socket(timing: LroTiming) -> (RunningEmulator, Client) {
    let emu = Emulator::builder()
        .lro_timing(timing)
        .start()
        .await
        .expect("the emulator starts");
    let client = Client::builder()
        .with_endpoint(emu.endpoint())
        .build()
        .await
        .expect("a client of the emulator");
    (emu, client)
}

/// The default RPC backoff (1 s, ×1.3, up to 10 s) without jitter, so delays are exact.
pub fn exact_backoff() -> ExponentialBackoff {
    ExponentialBackoff::builder()
        .without_jitter()
        .build()
        .expect("a valid backoff")
}

/// A backoff of a few milliseconds, for retries on real time.
pub fn short_backoff() -> ExponentialBackoff {
    ExponentialBackoff::builder()
        .with_initial_delay(Duration::from_millis(5))
        .with_maximum_delay(Duration::from_millis(20))
        .build()
        .expect("a valid backoff")
}

/// A CreateChannel request for `emulator_support::channel_body`, taking its stream from
/// the input `input` if given.
pub fn create_channel_request(id: &str, input: Option<&str>) -> CreateChannelRequest {
    CreateChannelRequest {
        parent: location().to_string(),
        channel_id: id.into(),
        channel: Some(channel_body(input)),
        ..Default::default()
    }
}

/// Sends a long-running call and waits for its result; panics if either fails.
pub async fn finished<R>(call: Call<'_, R>) -> R::Result
where
    R: LroRequest + Rpc<Output = Operation<<R as LroRequest>::Result, <R as LroRequest>::Metadata>>,
{
    let method = R::METHOD.name();
    let operation = call
        .await
        .unwrap_or_else(|e| panic!("{method} not accepted: {e:?}"));
    operation
        .until_done()
        .await
        .unwrap_or_else(|e| panic!("{method} failed: {e:?}"))
}

/// Creates an RTMP push input through the client and waits for it.
pub async fn create_input(client: &Client, id: &str) -> Input {
    finished(client.create_input(create_input_request(id))).await
}

/// Starts creating an RTMP push input; returns the operation's name.
pub async fn start_input(client: &Client, id: &str) -> OperationName {
    let operation = client
        .create_input(create_input_request(id))
        .await
        .expect("CreateInput accepted");
    operation.name().parse().expect("an operation name")
}

/// Creates a channel through the client and waits for it.
pub async fn create_channel(client: &Client, id: &str, input: Option<&str>) -> Channel {
    finished(client.create_channel(create_channel_request(id, input))).await
}

/// An input `{id}-in` and a channel `id` taking its stream from it, both created.
pub async fn channel_with_input(client: &Client, id: &str) -> ChannelName {
    let input = format!("{id}-in");
    create_input(client, &input).await;
    create_channel(client, id, Some(&input)).await;
    channel(id)
}

/// A channel `id` with its input, created, then started with manual LRO timing: the start
/// operation stays pending (the channel STARTING) until completed, cancelled or failed.
pub async fn pending_start(
    emu: &Emulator,
    client: &Client,
    id: &str,
) -> (ChannelName, Operation<ChannelOperationResponse>) {
    let name = channel_with_input(client, id).await;
    emu.set_lro_timing(LroTiming::Manual);
    let operation = client.start_channel(&name).await.expect("StartChannel");
    (name, operation)
}
