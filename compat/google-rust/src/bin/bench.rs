//! livestream-grpc's `Client` over gRPC beside Google's `google-cloud-video-livestream-v1`
//! over REST, in one process against one standalone emulator (REST and gRPC on one port):
//! GetChannel with 1, 16 and 64 concurrent callers, and create-and-wait (CreateChannel, then
//! its operation polled to done) with 1 and 16 callers. For each: calls per second, median
//! and p99 latency, and the CPU time per call of this (client) process and of the emulator
//! process (the run time of their threads, `/proc/PID/task/*/schedstat`, before and after each
//! window).
//!
//! The variants alternate window by window (the order rotates every round), so a burst of
//! load from elsewhere hits both alike. Both clients poll operations the same way (every
//! 10 ms, no jitter) against an emulator whose operations take 5 ms, so create-and-wait
//! compares the clients and not their default polling policies (both start at 1 s).
//!
//! ```sh
//! cargo build --release --all-features --bin livestream     # in livestream-grpc
//! cd compat/google-rust && cargo run --release --features bench --bin bench
//! ```
//!
//! `LIVESTREAM_BIN` names the emulator binary (default `../../target/release/livestream`);
//! `BENCH_ROUNDS` (default 6) rounds of `BENCH_WINDOW_MS` (default 1000) per window;
//! `--smoke` does one short round (to check that it works).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use google_cloud_gax::exponential_backoff::ExponentialBackoffBuilder;
use google_cloud_lro::Poller as _;
use google_cloud_video_livestream_v1::client::LivestreamService;
use google_cloud_video_livestream_v1::model::{Input, input};
use livestream_google_rust_compat::{BoxError, builder, quickstart_channel, unique_suffix};
use livestream_grpc::Client;
use livestream_grpc::policy::{ExponentialBackoff, PollingOptions};
use livestream_grpc::v1::{Channel as GrpcChannel, CreateChannelRequest, GetChannelRequest};

/// How both clients poll: every 10 ms, no jitter.
const POLL_EVERY: Duration = Duration::from_millis(10);
/// How long the emulator's operations take (`--lro-delay`).
const LRO_DELAY: &str = "5ms";

/// The standalone emulator, killed on drop.
struct Emulator {
    child: Child,
    host: String,
}

impl Emulator {
    fn start(binary: &str) -> Result<Emulator, BoxError> {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(binary)
            .args(["emulator", "--port", "0", "--lro-delay", LRO_DELAY])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {binary}: {e} (set LIVESTREAM_BIN)"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let host = loop {
            let line = lines
                .next()
                .ok_or("the emulator exited before printing its address")??;
            if let Some(host) = line.strip_prefix("export LIVESTREAM_EMULATOR_HOST=") {
                break host.to_owned();
            }
        };
        // Keep draining its stdout, so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Emulator { child, host })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPU time of a process so far, in seconds: the sum over its threads of the time they
/// ran (`/proc/PID/task/*/schedstat`, nanoseconds; `/proc/PID/stat` counts 10 ms ticks,
/// too coarse for a window of a few hundred calls). The processes' threads live as long as
/// they do (tokio workers), so no time is lost with an exited thread.
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    nanos as f64 / 1e9
}

#[derive(Clone)]
enum Variant {
    /// livestream-grpc's `Client`, gRPC over one HTTP/2 connection.
    Grpc(Client, Box<GrpcChannel>),
    /// Google's crate, REST over HTTP/1.1 (a pool of connections).
    Rest(LivestreamService),
}

impl Variant {
    fn name(&self) -> &'static str {
        match self {
            Variant::Grpc(..) => "livestream-grpc `Client`, gRPC",
            Variant::Rest(_) => "google-cloud-video-livestream-v1, REST",
        }
    }

    async fn get_channel(&self, name: &str) -> Result<(), BoxError> {
        match self {
            Variant::Grpc(client, _) => {
                client
                    .get_channel(GetChannelRequest { name: name.into() })
                    .await?;
            }
            Variant::Rest(client) => {
                client.get_channel().set_name(name).send().await?;
            }
        }
        Ok(())
    }

    async fn create_and_wait(&self, parent: &str, id: String, input: &str) -> Result<(), BoxError> {
        match self {
            Variant::Grpc(client, body) => {
                client
                    .create_channel(CreateChannelRequest {
                        parent: parent.into(),
                        channel_id: id,
                        channel: Some(GrpcChannel::clone(body)),
                        ..Default::default()
                    })
                    .await?
                    .until_done()
                    .await?;
            }
            Variant::Rest(client) => {
                client
                    .create_channel()
                    .set_parent(parent)
                    .set_channel_id(id)
                    .set_channel(quickstart_channel(input))
                    .poller()
                    .until_done()
                    .await?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    GetChannel(usize),
    CreateAndWait(usize),
}

impl Scenario {
    fn callers(self) -> usize {
        match self {
            Scenario::GetChannel(n) | Scenario::CreateAndWait(n) => n,
        }
    }

    fn label(self) -> String {
        match self {
            Scenario::GetChannel(n) => {
                format!("GetChannel, {n} caller{}", if n == 1 { "" } else { "s" })
            }
            Scenario::CreateAndWait(n) => format!(
                "create-and-wait, {n} caller{}",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

const SCENARIOS: [Scenario; 5] = [
    Scenario::GetChannel(1),
    Scenario::GetChannel(16),
    Scenario::GetChannel(64),
    Scenario::CreateAndWait(1),
    Scenario::CreateAndWait(16),
];

/// What the calls of a benchmark share.
struct Target {
    parent: String,
    channel: String,
    input: String,
    emulator_pid: String,
    ids: AtomicU64,
}

/// One window: the figures, and every call's latency in seconds.
#[derive(Default)]
struct Window {
    calls_per_s: f64,
    client_cpu_us: f64,
    emulator_cpu_us: f64,
    latencies: Vec<f64>,
}

async fn window(
    variant: &Variant,
    scenario: Scenario,
    length: Duration,
    target: &Arc<Target>,
) -> Result<Window, BoxError> {
    let stop = Arc::new(AtomicBool::new(false));
    let (client0, emulator0) = (cpu_seconds("self"), cpu_seconds(&target.emulator_pid));
    let start = Instant::now();
    let tasks: Vec<_> = (0..scenario.callers())
        .map(|_| {
            let (variant, stop, target) = (variant.clone(), stop.clone(), target.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let began = Instant::now();
                    match scenario {
                        Scenario::GetChannel(_) => variant.get_channel(&target.channel).await?,
                        Scenario::CreateAndWait(_) => {
                            let id =
                                format!("bench-{}", target.ids.fetch_add(1, Ordering::Relaxed));
                            variant
                                .create_and_wait(&target.parent, id, &target.input)
                                .await?;
                        }
                    }
                    latencies.push(began.elapsed().as_secs_f64());
                }
                Ok::<_, BoxError>(latencies)
            })
        })
        .collect();
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = latencies.len().max(1) as f64;
    Ok(Window {
        calls_per_s: n / elapsed,
        client_cpu_us: (cpu_seconds("self") - client0) / n * 1e6,
        emulator_cpu_us: (cpu_seconds(&target.emulator_pid) - emulator0) / n * 1e6,
        latencies,
    })
}

/// The value at quantile `q` of sorted samples (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile(&v, 0.5)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn run(emulator: &Emulator, rounds: usize, length: Duration) -> Result<(), BoxError> {
    let host = &emulator.host;
    let rest = builder(host)
        .with_polling_backoff_policy(
            ExponentialBackoffBuilder::new()
                .with_initial_delay(POLL_EVERY)
                .with_maximum_delay(POLL_EVERY)
                .with_scaling(1.0)
                .build()?,
        )
        .build()
        .await?;
    let grpc = Client::builder()
        .with_emulator_host(host.clone())
        .with_polling_options(
            PollingOptions::new().with_backoff(
                ExponentialBackoff::builder()
                    .with_initial_delay(POLL_EVERY)
                    .with_maximum_delay(POLL_EVERY)
                    .with_multiplier(1.0)
                    .without_jitter()
                    .build()?,
            ),
        )
        .build()
        .await?;

    // The channel every GetChannel reads, created over REST; the gRPC side creates from the
    // same body, as the emulator answers it (output-only fields are ignored on create).
    let parent = format!("projects/bench-{}/locations/us-central1", unique_suffix());
    let input = rest
        .create_input()
        .set_parent(&parent)
        .set_input_id("bench-input")
        .set_input(Input::new().set_type(input::Type::RtmpPush))
        .poller()
        .until_done()
        .await?;
    let channel = rest
        .create_channel()
        .set_parent(&parent)
        .set_channel_id("bench-channel")
        .set_channel(quickstart_channel(&input.name))
        .poller()
        .until_done()
        .await?;
    let body = grpc
        .get_channel(GetChannelRequest {
            name: channel.name.clone(),
        })
        .await?;
    let variants = [Variant::Grpc(grpc, Box::new(body)), Variant::Rest(rest)];
    let target = Arc::new(Target {
        parent,
        channel: channel.name,
        input: input.name,
        emulator_pid: emulator.child.id().to_string(),
        ids: AtomicU64::new(0),
    });

    // Warm-up: every pair once, a quarter window.
    for scenario in SCENARIOS {
        for variant in &variants {
            window(variant, scenario, length / 4, &target).await?;
        }
    }
    // windows[scenario][variant]
    let mut windows: Vec<Vec<Vec<Window>>> = SCENARIOS
        .iter()
        .map(|_| vec![Vec::new(), Vec::new()])
        .collect();
    for round in 0..rounds {
        for (si, &scenario) in SCENARIOS.iter().enumerate() {
            for j in 0..variants.len() {
                let v = (round + si + j) % variants.len();
                windows[si][v].push(window(&variants[v], scenario, length, &target).await?);
            }
        }
    }

    println!(
        "\n{rounds} rounds of {length:?} per (scenario, client), interleaved; operations take {LRO_DELAY}, both clients poll every {POLL_EVERY:?}\n"
    );
    println!(
        "| scenario | client | calls/s | median latency | p99 latency | client CPU µs/call | emulator CPU µs/call |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for (si, scenario) in SCENARIOS.iter().enumerate() {
        let mut rates = [0.0; 2];
        let mut cpu = [0.0; 2];
        for (v, variant) in variants.iter().enumerate() {
            let ws = &windows[si][v];
            let rate = median(ws.iter().map(|w| w.calls_per_s).collect());
            let client_cpu = median(ws.iter().map(|w| w.client_cpu_us).collect());
            let emulator_cpu = median(ws.iter().map(|w| w.emulator_cpu_us).collect());
            let mut all: Vec<f64> = ws
                .iter()
                .flat_map(|w| w.latencies.iter().copied())
                .collect();
            all.sort_by(f64::total_cmp);
            let fmt = |s: f64| {
                if s >= 1e-3 {
                    format!("{:.2} ms", s * 1e3)
                } else {
                    format!("{:.0} µs", s * 1e6)
                }
            };
            println!(
                "| {} | {} | {rate:.0} | {} | {} | {client_cpu:.0} | {emulator_cpu:.0} |",
                scenario.label(),
                variant.name(),
                fmt(quantile(&all, 0.5)),
                fmt(quantile(&all, 0.99)),
            );
            rates[v] = rate;
            cpu[v] = client_cpu + emulator_cpu;
        }
        ratios.push((scenario.label(), rates[0] / rates[1], cpu[1] / cpu[0]));
    }
    println!();
    for (label, rate, cpu) in ratios {
        println!(
            "- {label}: gRPC `Client` **{rate:.2}×** the calls/s of Google's REST crate; REST costs **{cpu:.2}×** the CPU per call (client + emulator)"
        );
    }
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (rounds, length) = if smoke {
        (1, Duration::from_millis(100))
    } else {
        (
            env("BENCH_ROUNDS", 6) as usize,
            Duration::from_millis(env("BENCH_WINDOW_MS", 1000)),
        )
    };
    let binary = std::env::var("LIVESTREAM_BIN")
        .unwrap_or_else(|_| "../../target/release/livestream".into());
    println!("bench: load average at start {}", load_average());
    let emulator = Emulator::start(&binary)?;
    println!(
        "emulator {binary} (pid {}) on {}",
        emulator.child.id(),
        emulator.host
    );
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(&emulator, rounds, length))?;
    println!("\nload average at end {}", load_average());
    Ok(())
}
