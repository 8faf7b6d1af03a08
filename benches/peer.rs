//! Issue 6, item 7, the Rust side: our `Client` making the same GetChannel calls as
//! `benches/python/peer.py getchannel` (sequential, then from 64 concurrent callers)
//! against the emulator named by `LIVESTREAM_EMULATOR_HOST`, printing one JSON line with the
//! same keys. `benches/python/run.sh` starts the standalone emulator, runs both clients
//! against it in alternation and prints the ratios; without the variable this bench only
//! says so.
//!
//! `PEER_CALLS` (default 5000; 20 in a smoke run) calls per phase, `PEER_THREADS` (default
//! 64) callers.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use livestream_grpc::Client;
use livestream_grpc::names::ChannelName;
use livestream_grpc::transport::EMULATOR_HOST_ENV;
use livestream_grpc::v1::{CreateChannelRequest, CreateInputRequest, Input, input};
use support::Stats;

const PARENT: &str = "projects/rust-peer/locations/us-central1";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Creates an input and a quickstart-like channel attached to it, as peer.py does.
async fn make_channel(client: &Client, suffix: &str) -> ChannelName {
    let input_id = format!("rs-input-{suffix}");
    client
        .create_input(CreateInputRequest {
            parent: PARENT.into(),
            input_id: input_id.clone(),
            input: Some(Input {
                r#type: input::Type::RtmpPush as i32,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("CreateInput")
        .until_done()
        .await
        .expect("the input");
    let channel = client
        .create_channel(CreateChannelRequest {
            parent: PARENT.into(),
            channel_id: format!("rs-channel-{suffix}"),
            channel: Some(support::quickstart_channel(&format!(
                "{PARENT}/inputs/{input_id}"
            ))),
            ..Default::default()
        })
        .await
        .expect("CreateChannel")
        .until_done()
        .await
        .expect("the channel");
    channel.name.parse().expect("a channel name")
}

async fn run(calls: usize, callers: usize, warm_up: usize) -> serde_json::Value {
    // As a user would: the builder reads LIVESTREAM_EMULATOR_HOST (plaintext, anonymous).
    let client = Client::builder().build().await.expect("a client");
    let suffix = format!("{:08x}", fastrand::u32(..));
    let name = make_channel(&client, &suffix).await;

    for _ in 0..warm_up {
        client.get_channel(&name).await.expect("GetChannel");
    }
    let mut sequential = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        client.get_channel(&name).await.expect("GetChannel");
        sequential.push(start.elapsed().as_secs_f64());
    }
    let total: f64 = sequential.iter().sum();
    let st = Stats::of(&mut sequential);

    let remaining = Arc::new(AtomicUsize::new(calls));
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (client, name, remaining) = (client.clone(), name.clone(), remaining.clone());
            tokio::spawn(async move {
                while remaining
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok()
                {
                    client.get_channel(&name).await.expect("GetChannel");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a caller task");
    }
    let wall = start.elapsed().as_secs_f64();

    serde_json::json!({
        "client": "rust livestream-grpc Client",
        "runtime": "tokio multi_thread, 2 workers",
        "sequential_calls": calls,
        "sequential_median_us": st.median * 1e6,
        "sequential_p90_us": st.p90 * 1e6,
        "sequential_calls_per_s": calls as f64 / total,
        "threads": callers,
        "concurrent_calls_per_s": calls as f64 / wall,
    })
}

fn main() {
    if std::env::var(EMULATOR_HOST_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        // Without `--bench` (a smoke run), a handful of calls.
        let mode = support::Mode::from_args();
        let calls = env_usize("PEER_CALLS", mode.pick(5000, 20));
        let callers = env_usize("PEER_THREADS", 64);
        let result = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(run(calls, callers, mode.pick(200, 5)));
        println!("{result}");
    } else {
        eprintln!(
            "peer: skipped: {EMULATOR_HOST_ENV} is not set (benches/python/run.sh sets it and compares with Google's Python client)"
        );
    }
}
