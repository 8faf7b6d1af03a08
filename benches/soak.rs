//! Issue 13, item 5: a soak run. A mixed workload with faults against an emulator with a
//! data directory, over loopback, for minutes of real time and months of emulator time
//! (each iteration moves the clock 10 minutes, so the retention schedules of EMULATOR.md,
//! "Retention", all come round many times): memory, the emulator's footprint and the data
//! directory must level off rather than grow.
//!
//! Each iteration: create a channel (on a shared input) and wait for it, start it, create an
//! event now and one in 5 minutes, read the channel and a page of operations, move the
//! clock, stop the channel, delete (with `force`) the channel of 1000 iterations earlier
//! (about a week of emulator time), and every 50th iteration create and delete an asset.
//! 5 % of the calls of most methods fail UNAVAILABLE, half of them after handling (a lost
//! response); the `Client` retries (short backoff) with the same `request_id`.
//!
//! `cargo bench --all-features --bench soak` (3 minutes); without `--bench`, a few seconds.

#[macro_use]
mod support;
#[path = "support/counting.rs"]
mod counting;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use livestream_grpc::emulator::{Emulator, Fault, FaultScript, RunningEmulator};
use livestream_grpc::longrunning::ListOperationsRequest;
use livestream_grpc::names::{ChannelName, LocationName};
use livestream_grpc::policy::{CallOptions, ExponentialBackoff};
use livestream_grpc::v1::{
    Asset, Channel, CreateAssetRequest, CreateChannelRequest, CreateEventRequest,
    DeleteAssetRequest, DeleteChannelRequest, Event, InputAttachment, asset, event,
};
use livestream_grpc::{Client, Method};
use support::{Mode, PARENT};
use tonic::Code;

/// Emulator time per iteration.
const STEP: Duration = Duration::from_secs(10 * 60);

/// Channels live this many iterations.
const KEEP: u64 = 1000;

fn faults(emu: &Emulator) {
    let lost = Fault::new(Code::Unavailable).after_handling();
    let refused = Fault::new(Code::Unavailable);
    for (i, method) in [
        Method::CreateChannel,
        Method::StartChannel,
        Method::StopChannel,
        Method::CreateEvent,
        Method::DeleteChannel,
        Method::GetChannel,
        Method::ListOperations,
        Method::CreateAsset,
        Method::DeleteAsset,
    ]
    .into_iter()
    .enumerate()
    {
        let fault = if i % 2 == 0 {
            lost.clone()
        } else {
            refused.clone()
        };
        emu.inject_faults(method, FaultScript::default().then_probability(0.05, fault));
    }
}

fn channel_body(input: &str) -> Channel {
    Channel {
        input_attachments: vec![InputAttachment {
            key: "in".into(),
            input: input.into(),
            ..Default::default()
        }],
        ..support::quickstart_channel(input)
    }
}

/// One iteration; the codes of calls that failed after their retries are counted.
async fn iteration(
    emu: &RunningEmulator,
    client: &Client,
    location: &LocationName,
    input: &str,
    i: u64,
    failures: &mut BTreeMap<String, u64>,
) {
    let mut fail = |e: livestream_grpc::Error| {
        *failures.entry(format!("{:?}", e.code())).or_default() += 1;
    };
    let name = match location.channel(format!("ch-{i}")) {
        Ok(name) => name,
        Err(_) => return,
    };
    let created = client
        .create_channel(CreateChannelRequest {
            parent: PARENT.into(),
            channel_id: format!("ch-{i}"),
            channel: Some(channel_body(input)),
            ..Default::default()
        })
        .await;
    match created {
        Ok(op) => {
            if let Err(e) = op.until_done().await {
                fail(e);
            }
        }
        Err(e) => return fail(e),
    }
    match client.start_channel(&name).await {
        Ok(op) => {
            if let Err(e) = op.until_done().await {
                fail(e);
            }
        }
        Err(e) => fail(e),
    }
    let now = emu.now();
    for (id, event) in [
        (
            "now",
            Event {
                execute_now: true,
                task: Some(event::Task::AdBreak(event::AdBreakTask {
                    duration: Some(prost_types::Duration {
                        seconds: 30,
                        nanos: 0,
                    }),
                })),
                ..Default::default()
            },
        ),
        (
            "later",
            Event {
                execution_time: Some((now + Duration::from_secs(300)).into()),
                task: Some(event::Task::Mute(event::MuteTask {
                    duration: Some(prost_types::Duration {
                        seconds: 60,
                        nanos: 0,
                    }),
                })),
                ..Default::default()
            },
        ),
    ] {
        let request = CreateEventRequest {
            parent: name.to_string(),
            event_id: id.into(),
            event: Some(event),
            ..Default::default()
        };
        if let Err(e) = client.create_event(request).await {
            fail(e);
        }
    }
    if let Err(e) = client.get_channel(&name).await {
        fail(e);
    }
    let page = client
        .list_operations(ListOperationsRequest {
            name: location.to_string(),
            page_size: 20,
            ..Default::default()
        })
        .await;
    if let Err(e) = page {
        fail(e);
    }
    emu.advance_clock(STEP);
    match client.stop_channel(&name).await {
        Ok(op) => {
            if let Err(e) = op.until_done().await {
                fail(e);
            }
        }
        Err(e) => fail(e),
    }
    if i >= KEEP
        && let Ok(old) = location.channel(format!("ch-{}", i - KEEP))
    {
        delete_channel(client, &old, &mut fail).await;
    }
    if i.is_multiple_of(50) {
        let created = client
            .create_asset(CreateAssetRequest {
                parent: PARENT.into(),
                asset_id: format!("a-{i}"),
                asset: Some(Asset {
                    resource: Some(asset::Resource::Image(asset::ImageAsset {
                        uri: format!("gs://bench/{i}.png"),
                    })),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await;
        match created {
            Ok(op) => match op.until_done().await {
                Ok(asset) => {
                    let deleted = client
                        .delete_asset(DeleteAssetRequest {
                            name: asset.name,
                            ..Default::default()
                        })
                        .await;
                    if let Err(e) = deleted {
                        fail(e);
                    }
                }
                Err(e) => fail(e),
            },
            Err(e) => fail(e),
        }
    }
}

async fn delete_channel(
    client: &Client,
    name: &ChannelName,
    fail: &mut impl FnMut(livestream_grpc::Error),
) {
    let request = DeleteChannelRequest {
        name: name.to_string(),
        force: true,
        ..Default::default()
    };
    match client.delete_channel(request).await {
        Ok(op) => {
            if let Err(e) = op.until_done().await {
                fail(e);
            }
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => fail(e),
    }
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

async fn run(mode: Mode) {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let dir = tempfile::Builder::new()
        .prefix("soak-bench-")
        .tempdir_in(base)
        .expect("a data directory");
    let emu = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .expect("the emulator starts");
    let backoff = ExponentialBackoff::builder()
        .with_initial_delay(Duration::from_millis(1))
        .with_maximum_delay(Duration::from_millis(5))
        .build()
        .expect("a backoff");
    let client = Client::builder()
        .with_call_options(CallOptions::new().with_backoff(backoff))
        .build_with_channel(emu.channel())
        .expect("a client");
    let location: LocationName = PARENT.parse().expect("a location");
    let input = support::create_input(
        &mut livestream_grpc::v1::livestream_service_client::LivestreamServiceClient::new(
            emu.channel(),
        ),
        PARENT,
    )
    .await;
    faults(&emu);
    let (length, every) = mode.pick(
        (Duration::from_secs(180), Duration::from_secs(15)),
        (Duration::from_secs(3), Duration::from_secs(1)),
    );
    println!("\n### Soak: mixed workload with faults, loopback, `--data-dir`\n");
    println!(
        "client and emulator in one process (multi_thread runtime, 2 workers); {length:?} of real time; the emulator clock moves {STEP:?} per iteration; heap is the process's live heap (counting allocator)\n"
    );
    println!(
        "| real time | iterations | emulator days | live heap MiB | RSS MiB | resources | operations | events | request_ids | timers | recorded requests | data dir MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let start = Instant::now();
    let mut next_sample = every;
    let mut i = 0u64;
    let mut failures = BTreeMap::new();
    let mut heaps = Vec::new();
    while start.elapsed() < length {
        iteration(&emu, &client, &location, &input, i, &mut failures).await;
        i += 1;
        if start.elapsed() >= next_sample {
            next_sample += every;
            let footprint = emu.footprint();
            let heap = counting::live_bytes() / 1024.0 / 1024.0;
            heaps.push(heap);
            println!(
                "| {:.0} s | {i} | {:.0} | {heap:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {:.1} |",
                start.elapsed().as_secs_f64(),
                (i * STEP.as_secs()) as f64 / 86_400.0,
                support::read_kib("/proc/self/status", "VmRSS:").unwrap_or(0) as f64 / 1024.0,
                footprint.resources,
                footprint.operations,
                footprint.events,
                footprint.request_ids,
                footprint.timers,
                footprint.recorded_requests,
                dir_size(dir.path()) as f64 / 1024.0 / 1024.0,
            );
        }
    }
    let third = heaps.get(heaps.len() / 3).copied().unwrap_or(0.0);
    let last = heaps.last().copied().unwrap_or(0.0);
    println!(
        "\nlive heap at a third of the run {third:.1} MiB, at the end {last:.1} MiB (×{:.2}); peak RSS (VmHWM) {:.1} MiB; calls that failed after their retries: {failures:?}",
        last / third.max(f64::MIN_POSITIVE),
        support::read_kib("/proc/self/status", "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    emu.shutdown().await.expect("a clean shutdown");
}

fn main() {
    let mode = Mode::from_args();
    support::print_machine("soak", mode);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run(mode));
    println!("\nload average at end: {}", support::load_average());
}
