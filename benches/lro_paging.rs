//! Issue 6, items 3 and 4: long-running operations (create-and-wait latency, and the
//! GetOperation polls it takes) and paging (items per second streaming 10,000 channels with
//! `page_size` 1000), `Client` and raw stub side by side, interleaved, over loopback with the
//! emulator in the same process on a current_thread runtime.
//!
//! `cargo bench --bench lro_paging`

#[macro_use]
mod support;

use livestream_grpc::Method;
use std::time::{Duration, Instant};

use livestream_grpc::Client;
use livestream_grpc::emulator::{Emulator, LroTiming, RunningEmulator};
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::longrunning::{GetOperationRequest, operation};
use livestream_grpc::policy::{ExponentialBackoff, PollingOptions};
use livestream_grpc::transport::{HeadersLayer, with_routing_header};
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::{Channel, CreateChannelRequest, ListChannelsRequest};
use prost::Message as _;
use support::{
    Mode, PARENT, Sampled, Stats, Variant, create_input, interleave, print_latency_table,
};
use tonic::transport::Channel as Transport;
use tower_layer::Layer as _;

fn create_request(id: String) -> CreateChannelRequest {
    CreateChannelRequest {
        parent: PARENT.into(),
        channel_id: id,
        channel: Some(support::quickstart_channel(&format!(
            "{PARENT}/inputs/bench-input"
        ))),
        ..Default::default()
    }
}

/// The raw way to create and wait: the create call, then GetOperation until done, then
/// the result decoded from the `Any`.
async fn raw_create_and_wait<S>(
    stub: &mut LivestreamServiceClient<S>,
    ops: &mut OperationsClient<Transport>,
    request: tonic::Request<CreateChannelRequest>,
) -> Result<Channel, tonic::Status>
where
    S: tonic::client::GrpcService<tonic::body::Body>,
    S::Error: Into<tonic::codegen::StdError>,
    S::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let mut op = stub.create_channel(request).await?.into_inner();
    let mut delay = Duration::from_millis(10);
    while !op.done {
        tokio::time::sleep(delay).await;
        delay = delay.mul_f64(1.5);
        op = ops
            .get_operation(GetOperationRequest {
                name: op.name.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
    }
    match op.result {
        Some(operation::Result::Response(any)) => Channel::decode(any.value.as_slice())
            .map_err(|e| tonic::Status::internal(e.to_string())),
        Some(operation::Result::Error(e)) => Err(tonic::Status::internal(e.message)),
        None => Err(tonic::Status::internal("done without a result")),
    }
}

/// What the `Client` sends for a create, on a raw request: the routing header, a 60 s
/// `grpc-timeout` and a fresh UUIDv4 `request_id` (the emulator then also remembers the
/// request for replays).
fn with_client_wire(mut request: CreateChannelRequest) -> tonic::Request<CreateChannelRequest> {
    request.request_id = uuid::Uuid::new_v4().to_string();
    let mut request = with_routing_header(request);
    request.set_timeout(Duration::from_secs(60));
    request
}

/// A raw-stub variant of the create-and-wait benchmark: channels `{prefix}-1`, `-2`, ...,
/// each create request turned into what is sent by `wrap`.
fn raw_variant<S>(
    name: &'static str,
    stub: LivestreamServiceClient<S>,
    ops: OperationsClient<Transport>,
    prefix: String,
    wrap: fn(CreateChannelRequest) -> tonic::Request<CreateChannelRequest>,
) -> Variant
where
    S: tonic::client::GrpcService<tonic::body::Body> + Clone + 'static,
    S::Error: Into<tonic::codegen::StdError>,
    S::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let mut next = 0usize;
    Variant::new(name, move |n| {
        let (mut stub, mut ops) = (stub.clone(), ops.clone());
        let (first, prefix) = (next, prefix.clone());
        next += n;
        async move {
            let mut id = first;
            timed!(n, {
                id += 1;
                let request = wrap(create_request(format!("{prefix}-{id}")));
                raw_create_and_wait(&mut stub, &mut ops, request)
            })
        }
    })
}

/// Create-and-wait of quickstart-like channels (a fresh ID per call): the raw stub, the
/// raw stub with what the `Client` sends (standard headers and a `request_id`), `Client`.
async fn lro(mode: Mode, emu: &RunningEmulator, timing: &str, polling: PollingOptions) {
    let raw = LivestreamServiceClient::new(emu.channel());
    let wire = LivestreamServiceClient::new(HeadersLayer::new().layer(emu.channel()));
    let ops = OperationsClient::new(emu.channel());
    let client = Client::builder()
        .with_polling_options(polling.clone())
        .build_with_channel(emu.channel())
        .expect("a client");
    let prefix = timing
        .split_whitespace()
        .next()
        .unwrap_or("x")
        .to_lowercase();
    let (rounds, per_batch) = if timing.starts_with("instant") {
        mode.pick((20, 100), (2, 5))
    } else {
        mode.pick((5, 4), (1, 1))
    };
    let mut variants = vec![
        raw_variant(
            "raw",
            raw,
            ops.clone(),
            format!("{prefix}-raw"),
            tonic::Request::new,
        ),
        raw_variant(
            "raw+headers+request_id",
            wire,
            ops,
            format!("{prefix}-wire"),
            with_client_wire,
        ),
        Variant::new("Client", {
            let prefix = prefix.clone();
            let mut next = 0usize;
            move |n| {
                let client = client.clone();
                let first = next;
                next += n;
                let prefix = prefix.clone();
                async move {
                    let mut id = first;
                    timed!(n, {
                        id += 1;
                        let call =
                            client.create_channel(create_request(format!("{prefix}-client-{id}")));
                        async move { call.await?.until_done().await }
                    })
                }
            }
        }),
    ];
    let polls_before = emu.call_count(Method::GetOperation);
    let mut sampled = interleave(&mut variants, rounds, per_batch).await;
    let polls = emu.call_count(Method::GetOperation) - polls_before;
    let calls = (rounds + 1) * per_batch * 3;
    print_latency_table(
        &format!("CreateChannel and wait, {timing}, over loopback, current_thread runtime"),
        &mut sampled,
    );
    println!(
        "\nGetOperation polls: {polls} for {calls} create-and-wait calls ({:.2} per call, both variants together)",
        polls as f64 / calls as f64
    );
}

/// Streams every channel of the location, raw (a page loop) vs `Client` (`by_item`).
async fn paging(mode: Mode, emu: &RunningEmulator, channels: usize) {
    let raw = LivestreamServiceClient::new(emu.channel());
    let client = Client::from_channel(emu.channel());
    let request = || ListChannelsRequest {
        parent: PARENT.into(),
        page_size: 1000,
        ..Default::default()
    };
    let mut variants = vec![
        Variant::new("raw", move |n| {
            let mut stub = raw.clone();
            async move {
                timed!(n, async {
                    let mut req = request();
                    let mut items = 0;
                    loop {
                        let page = stub.list_channels(req.clone()).await?.into_inner();
                        items += page.channels.len();
                        if page.next_page_token.is_empty() {
                            break;
                        }
                        req.page_token = page.next_page_token;
                    }
                    assert_eq!(items, channels);
                    Ok::<_, tonic::Status>(items)
                })
            }
        }),
        Variant::new("Client", move |n| {
            let client = client.clone();
            async move {
                timed!(n, async {
                    let mut stream = client.list_channels(request()).by_item();
                    let mut items = 0;
                    while let Some(channel) = stream.next().await {
                        std::hint::black_box(channel?);
                        items += 1;
                    }
                    assert_eq!(items, channels);
                    Ok::<_, livestream_grpc::Error>(items)
                })
            }
        }),
    ];
    let rounds = mode.pick(15, 1);
    let mut sampled = interleave(&mut variants, rounds, 1).await;
    print_latency_table(
        &format!(
            "Listing {channels} channels, page_size 1000, over loopback, current_thread runtime (time per whole listing)"
        ),
        &mut sampled,
    );
    print_items_per_second(&mut sampled, channels);
}

fn print_items_per_second(sampled: &mut [Sampled], items: usize) {
    println!();
    println!("| variant | median items/s | p10–p90 items/s |");
    println!("|---|---:|---:|");
    for s in sampled.iter_mut() {
        let st = Stats::of(&mut s.calls);
        let rate = |ns: f64| items as f64 / (ns / 1e9);
        // Slower listings give lower rates: p90 time is the p10 rate.
        println!(
            "| {} | {:.0} | {:.0}–{:.0} |",
            s.name,
            rate(st.median),
            rate(st.p90),
            rate(st.p10)
        );
    }
}

async fn run(mode: Mode) {
    // Instant LROs.
    let emu = Emulator::builder()
        .lro_timing(LroTiming::Instant)
        .start()
        .await
        .expect("the emulator starts");
    create_input(&mut LivestreamServiceClient::new(emu.channel()), PARENT).await;
    lro(mode, &emu, "instant LROs", PollingOptions::default()).await;
    emu.shutdown().await.expect("the emulator stops");

    // Delayed LROs: 50 ms, polled from 10 ms ×1.5 without jitter (both variants alike).
    let emu = Emulator::builder()
        .lro_timing(LroTiming::Delay(Duration::from_millis(50)))
        .start()
        .await
        .expect("the emulator starts");
    create_input(&mut LivestreamServiceClient::new(emu.channel()), PARENT).await;
    let polling = PollingOptions::new().with_backoff(
        ExponentialBackoff::builder()
            .with_initial_delay(Duration::from_millis(10))
            .with_multiplier(1.5)
            .with_maximum_delay(Duration::from_secs(1))
            .without_jitter()
            .build()
            .expect("a backoff"),
    );
    lro(mode, &emu, "50 ms LROs polled every 10 ms ×1.5", polling).await;
    emu.shutdown().await.expect("the emulator stops");

    // Paging.
    let channels = mode.pick(10_000, 1_500);
    let emu = Emulator::builder()
        .start()
        .await
        .expect("the emulator starts");
    let mut stub = LivestreamServiceClient::new(emu.channel());
    create_input(&mut stub, PARENT).await;
    let start = Instant::now();
    for i in 0..channels {
        stub.create_channel(create_request(format!("ch-{i:06}")))
            .await
            .expect("CreateChannel");
    }
    println!(
        "\n(created {channels} channels through the raw stub in {})",
        support::fmt_duration(start.elapsed())
    );
    paging(mode, &emu, channels).await;
    emu.shutdown().await.expect("the emulator stops");
}

fn main() {
    let mode = Mode::from_args();
    support::print_machine("lro_paging", mode);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run(mode));
    println!("\nload average at end: {}", support::load_average());
}
