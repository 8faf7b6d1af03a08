//! Issue 6, item 1: the cost of the `Client` layer on a unary call (GetChannel), side by side
//! with the raw generated stub on the same emulator and the same connection, sequentially.
//!
//! Three variants, sampled in interleaved rounds (see `support::interleave`):
//!
//! - `raw`: `LivestreamServiceClient` straight on the channel, the request as is;
//! - `raw+headers`: the raw stub under the same `HeadersLayer` (`x-goog-api-client`,
//!   `user-agent`), with the routing header and a 60 s `grpc-timeout`: what every official
//!   client puts on the wire, and what the `Client` sends for GetChannel by default;
//! - `Client`: `Client::from_channel` (or `from_service`) on the same channel, defaults.
//!
//! Three settings: over loopback with the emulator in the same process on a current_thread
//! runtime, the same on a 2-worker multi_thread runtime, and in-process (no socket: the
//! emulator's tower service handed to both clients) on a current_thread runtime.
//!
//! `cargo bench --bench overhead`; `-- --only VARIANT` runs one variant alone (for
//! callgrind, see BENCHMARKS.md).

#[macro_use]
mod support;

use std::time::Duration;

use livestream_grpc::Client;
use livestream_grpc::emulator::Emulator;
use livestream_grpc::transport::{HeadersLayer, with_routing_header};
use livestream_grpc::v1::GetChannelRequest;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use support::{CHANNEL, Mode, Variant, interleave, populate, print_latency_table};
use tower_layer::Layer as _;

fn request() -> GetChannelRequest {
    GetChannelRequest {
        name: CHANNEL.into(),
        ..Default::default()
    }
}

/// A raw request with what the `Client` adds on the wire for GetChannel.
fn request_with_headers() -> tonic::Request<GetChannelRequest> {
    let mut request = with_routing_header(request());
    request.set_timeout(Duration::from_secs(60));
    request
}

/// The three variants over any tonic-compatible service `svc` (a channel, or the emulator's
/// in-process service), all sharing it.
macro_rules! variants {
    ($svc:expr, $client:expr) => {{
        let raw = LivestreamServiceClient::new($svc.clone());
        let headers = LivestreamServiceClient::new(HeadersLayer::new().layer($svc.clone()));
        let client: Client = $client;
        vec![
            Variant::new("raw", move |n| {
                let mut stub = raw.clone();
                async move { timed!(n, stub.get_channel(request())) }
            }),
            Variant::new("raw+headers", move |n| {
                let mut stub = headers.clone();
                async move { timed!(n, stub.get_channel(request_with_headers())) }
            }),
            Variant::new("Client", move |n| {
                let client = client.clone();
                async move { timed!(n, client.get_channel(request())) }
            }),
        ]
    }};
}

/// The variants, or only the one named.
fn only(variants: Vec<Variant>, only: Option<&str>) -> Vec<Variant> {
    match only {
        Some(name) => variants.into_iter().filter(|v| v.name == name).collect(),
        None => variants,
    }
}

/// What a run does: the variant to run alone, if any, and the rounds and batch size.
#[derive(Clone, Copy)]
struct Plan<'a> {
    only: Option<&'a str>,
    rounds: Option<usize>,
    batch: Option<usize>,
}

impl Plan<'_> {
    fn shape(&self, default: (usize, usize)) -> (usize, usize) {
        (
            self.rounds.unwrap_or(default.0),
            self.batch.unwrap_or(default.1),
        )
    }
}

async fn loopback(mode: Mode, runtime: &str, plan: Plan<'_>) {
    let emu = Emulator::builder()
        .start()
        .await
        .expect("the emulator starts");
    populate(&mut LivestreamServiceClient::new(emu.channel())).await;
    let channel = emu.channel();
    let mut variants = only(
        variants!(channel, Client::from_channel(channel.clone())),
        plan.only,
    );
    let (rounds, per_batch) = plan.shape(mode.pick((40, 500), (2, 20)));
    let mut sampled = interleave(&mut variants, rounds, per_batch).await;
    print_latency_table(
        &format!(
            "GetChannel over loopback, one connection, {runtime} runtime (emulator in the same process)"
        ),
        &mut sampled,
    );
    drop(variants);
    emu.shutdown().await.expect("the emulator stops");
}

async fn in_process(mode: Mode, plan: Plan<'_>) {
    let emu = Emulator::builder().build();
    let service = emu.service();
    populate(&mut LivestreamServiceClient::new(service.clone())).await;
    let mut variants = only(
        variants!(service, Client::from_service(service.clone())),
        plan.only,
    );
    let (rounds, per_batch) = plan.shape(mode.pick((40, 2000), (2, 20)));
    let mut sampled = interleave(&mut variants, rounds, per_batch).await;
    print_latency_table(
        "GetChannel in-process (the emulator's service, no socket), current_thread runtime",
        &mut sampled,
    );
}

fn main() {
    let mode = Mode::from_args();
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    // For profiling: `--setting loopback-ct|loopback-mt|in-process` runs one setting,
    // `--only raw|raw+headers|Client` one variant, `--rounds R --batch B` a given number of
    // calls (R + 1 batches of B, the first one the warm-up).
    let only_variant = flag("--only");
    let setting = flag("--setting");
    let number = |name: &str| flag(name).map(|v| v.parse::<usize>().expect("a number"));
    let plan = Plan {
        only: only_variant.as_deref(),
        rounds: number("--rounds"),
        batch: number("--batch"),
    };
    let wants = |s: &str| setting.as_deref().is_none_or(|x| x == s);
    support::print_machine("overhead", mode);

    let current = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    };
    if wants("loopback-ct") {
        current().block_on(loopback(mode, "current_thread", plan));
    }
    if wants("loopback-mt") {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(loopback(mode, "multi_thread (2 workers)", plan));
    }
    if wants("in-process") {
        current().block_on(in_process(mode, plan));
    }
    println!("\nload average at end: {}", support::load_average());
}
