//! Issue 13, item 2: what durability costs in write throughput. CreateChannel calls per
//! second against three standalone `livestream emulator` processes side by side: in memory,
//! with `--data-dir` (every change journaled before the answer: survives kill -9), and with
//! `--data-dir --fsync` (and synced: survives a power loss). Sequential and with 16
//! concurrent callers, windows interleaved round by round (the order rotates), one
//! connection per emulator. Each create is a new quickstart-like channel (channels are not
//! limited by a quota); the data directories are on the repository's disk, not a tmpfs,
//! so the syncs are real.
//!
//! `cargo bench --all-features --bench durability` (the emulator binary needs `cli`).

#[macro_use]
mod support;

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use livestream_grpc::v1::CreateChannelRequest;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use support::{Mode, PARENT, Stats};
use tonic::transport::Channel;

const CONCURRENCY: [usize; 2] = [1, 16];

/// A standalone emulator, killed on drop.
struct Standalone {
    name: &'static str,
    child: Child,
    address: String,
    _dir: Option<tempfile::TempDir>,
}

impl Standalone {
    fn start(name: &'static str, flags: &[&str], data_dir: bool) -> Standalone {
        // Under target/, on the disk the repository lives on.
        let dir = data_dir.then(|| {
            let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
            tempfile::Builder::new()
                .prefix("durability-bench-")
                .tempdir_in(base)
                .expect("a data directory")
        });
        let mut args: Vec<std::ffi::OsString> = Vec::new();
        if let Some(dir) = &dir {
            args.push("--data-dir".into());
            args.push(dir.path().into());
        }
        args.extend(flags.iter().map(Into::into));
        let (child, address) = support::spawn_standalone(env!("CARGO_BIN_EXE_livestream"), args);
        Standalone {
            name,
            child,
            address,
            _dir: dir,
        }
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates `per_caller` channels from each of `callers` tasks; returns creates per second.
/// (A fixed count rather than a fixed time, so that the in-memory emulator does not grow
/// to millions of channels.)
async fn window(
    channel: &Channel,
    callers: usize,
    per_caller: usize,
    next: &Arc<AtomicU64>,
) -> f64 {
    let body = support::quickstart_channel(&format!("{PARENT}/inputs/bench-input"));
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let next = next.clone();
            let mut stub = LivestreamServiceClient::new(channel.clone());
            let body = body.clone();
            tokio::spawn(async move {
                for _ in 0..per_caller {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    stub.create_channel(CreateChannelRequest {
                        parent: PARENT.into(),
                        channel_id: format!("c{id}"),
                        channel: Some(body.clone()),
                        ..Default::default()
                    })
                    .await
                    .expect("CreateChannel");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a caller task");
    }
    (callers * per_caller) as f64 / start.elapsed().as_secs_f64()
}

async fn run(mode: Mode, emulators: &[Standalone]) {
    let mut channels = Vec::new();
    for emulator in emulators {
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{}", emulator.address))
                .expect("an endpoint")
                .tcp_nodelay(true)
                .connect()
                .await
                .expect("the emulator accepts connections");
        support::create_input(&mut LivestreamServiceClient::new(channel.clone()), PARENT).await;
        channels.push(channel);
    }
    // Creates per caller in each window: sequential, and each of 16 callers.
    let (rounds, per_caller) = mode.pick((10, [2000, 150]), (1, [5, 2]));
    let next = Arc::new(AtomicU64::new(0));
    for (ci, &c) in CONCURRENCY.iter().enumerate() {
        for channel in &channels {
            window(channel, c, per_caller[ci] / 4, &next).await;
        }
    }
    // samples[concurrency][emulator]
    let mut samples = vec![vec![Vec::new(); emulators.len()]; CONCURRENCY.len()];
    for round in 0..rounds {
        for (ci, &c) in CONCURRENCY.iter().enumerate() {
            for j in 0..emulators.len() {
                let v = (round + j) % emulators.len();
                samples[ci][v].push(window(&channels[v], c, per_caller[ci], &next).await);
            }
        }
    }
    println!("\n### CreateChannel throughput against the standalone emulator, by durability\n");
    println!(
        "client: multi_thread runtime, 2 workers, one connection per emulator; emulators: `livestream emulator` (release), three processes side by side; {rounds} rounds per (callers, emulator), interleaved; a window is {} sequential creates, or {} creates from each of 16 callers\n",
        per_caller[0], per_caller[1]
    );
    println!(
        "| callers | emulator | median creates/s | p10–p90 creates/s | / in memory (median of per-round ratios, p10–p90) |"
    );
    println!("|---:|---|---:|---:|---:|");
    for (ci, &c) in CONCURRENCY.iter().enumerate() {
        for (v, emulator) in emulators.iter().enumerate() {
            let mut ratios: Vec<f64> = samples[ci][v]
                .iter()
                .zip(&samples[ci][0])
                .map(|(a, b)| a / b)
                .collect();
            let r = Stats::of(&mut ratios);
            let st = Stats::of(&mut samples[ci][v]);
            println!(
                "| {c} | {} | {:.0} | {:.0}–{:.0} | {:.3} ({:.3}–{:.3}) |",
                emulator.name, st.median, st.p10, st.p90, r.median, r.p10, r.p90
            );
        }
    }
    println!("\n{} channels created in all", next.load(Ordering::Relaxed));
}

fn main() {
    let mode = Mode::from_args();
    support::print_machine("durability", mode);
    let emulators = [
        Standalone::start("in memory", &[], false),
        Standalone::start("`--data-dir`", &[], true),
        Standalone::start("`--data-dir --fsync`", &["--fsync"], true),
    ];
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run(mode, &emulators));
    println!("\nload average at end: {}", support::load_average());
}
