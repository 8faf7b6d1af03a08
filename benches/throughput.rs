//! Issue 6, items 2 and 5 (peak RSS): GetChannel calls per second with 1, 16 and 64
//! concurrent callers over loopback, `Client` and the raw stub side by side, against the
//! standalone `livestream emulator` binary (a separate process, as users run it); then the
//! emulator's peak RSS (`VmHWM`) after the run.
//!
//! Every caller shares one connection (one `tonic::transport::Channel`: HTTP/2 multiplexes
//! the calls); each window of each (concurrency, variant) pair runs for a fixed time, and the
//! pairs are interleaved round by round, so the ratios hold on a noisy machine.
//!
//! `cargo bench --all-features --bench throughput` (the emulator binary needs `cli`).

#[macro_use]
mod support;

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use livestream_grpc::Client;
use livestream_grpc::transport::{Headers, HeadersLayer, with_routing_header};
use livestream_grpc::v1::GetChannelRequest;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use support::{CHANNEL, Mode, Stats};
use tonic::transport::Channel;
use tower_layer::Layer as _;

const CONCURRENCY: [usize; 3] = [1, 16, 64];

/// The standalone emulator, killed on drop.
struct Standalone {
    child: Child,
    address: String,
}

impl Standalone {
    /// Starts `livestream emulator --port 0` and waits for its `export` line.
    fn start() -> Standalone {
        let (child, address) =
            support::spawn_standalone(env!("CARGO_BIN_EXE_livestream"), [] as [&str; 0]);
        Standalone { child, address }
    }

    fn status_kib(&self, key: &str) -> u64 {
        support::read_kib(&format!("/proc/{}/status", self.child.id()), key).unwrap_or(0)
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request() -> GetChannelRequest {
    GetChannelRequest {
        name: CHANNEL.into(),
        ..Default::default()
    }
}

#[derive(Clone)]
enum Caller {
    Raw(LivestreamServiceClient<Channel>),
    /// The raw stub with what the `Client` puts on the wire (see `overhead.rs`).
    RawHeaders(LivestreamServiceClient<Headers<Channel>>),
    Client(Client),
}

impl Caller {
    fn name(&self) -> &'static str {
        match self {
            Caller::Raw(_) => "raw",
            Caller::RawHeaders(_) => "raw+headers",
            Caller::Client(_) => "Client",
        }
    }

    /// Calls GetChannel until `stop`, counting calls.
    async fn run(self, stop: Arc<AtomicBool>, calls: Arc<AtomicU64>) {
        let mut n = 0;
        match self {
            Caller::Raw(mut stub) => {
                while !stop.load(Ordering::Relaxed) {
                    stub.get_channel(request()).await.expect("GetChannel (raw)");
                    n += 1;
                }
            }
            Caller::RawHeaders(mut stub) => {
                while !stop.load(Ordering::Relaxed) {
                    let mut request = with_routing_header(request());
                    request.set_timeout(Duration::from_secs(60));
                    stub.get_channel(request)
                        .await
                        .expect("GetChannel (raw+headers)");
                    n += 1;
                }
            }
            Caller::Client(client) => {
                while !stop.load(Ordering::Relaxed) {
                    client
                        .get_channel(request())
                        .await
                        .expect("GetChannel (Client)");
                    n += 1;
                }
            }
        }
        calls.fetch_add(n, Ordering::Relaxed);
    }
}

/// User + system CPU time of a process so far, in clock ticks (`/proc/PID/stat`, every
/// thread included).
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// The clock ticks per second of `/proc/PID/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// One window's figures.
#[derive(Clone, Copy, Default)]
struct Window {
    calls_per_s: f64,
    /// CPU time per call of this (client) process, in µs.
    client_cpu_us: f64,
    /// CPU time per call of the emulator process, in µs.
    emulator_cpu_us: f64,
}

/// Calls per second of `callers` concurrent tasks during `window`, and the CPU time both
/// processes spent per call (less sensitive to a busy machine than the rate: time spent
/// waiting for a core does not count).
async fn window(caller: &Caller, callers: usize, window: Duration, emulator: &str) -> Window {
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let (client0, emulator0) = (cpu_ticks("self"), cpu_ticks(emulator));
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| tokio::spawn(caller.clone().run(stop.clone(), calls.clone())))
        .collect();
    tokio::time::sleep(window).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a caller task");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = calls.load(Ordering::Relaxed).max(1) as f64;
    let per_call = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / n * 1e6;
    Window {
        calls_per_s: n / elapsed,
        client_cpu_us: per_call(cpu_ticks("self") - client0),
        emulator_cpu_us: per_call(cpu_ticks(emulator) - emulator0),
    }
}

async fn run(mode: Mode, emulator: &Standalone) {
    let rss_idle = emulator.status_kib("VmRSS:");
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", emulator.address))
        .expect("an endpoint")
        .tcp_nodelay(true)
        .connect()
        .await
        .expect("the emulator accepts connections");
    support::populate(&mut LivestreamServiceClient::new(channel.clone())).await;
    let callers = [
        Caller::Raw(LivestreamServiceClient::new(channel.clone())),
        Caller::RawHeaders(LivestreamServiceClient::new(
            HeadersLayer::new().layer(channel.clone()),
        )),
        Caller::Client(Client::from_channel(channel.clone())),
    ];
    let (rounds, length) = mode.pick((8, Duration::from_secs(1)), (1, Duration::from_millis(50)));
    let pid = emulator.child.id().to_string();
    // Warm-up: every pair once.
    for &c in &CONCURRENCY {
        for caller in &callers {
            window(caller, c, length / 4, &pid).await;
        }
    }
    // windows[concurrency][variant] = one window per round
    let mut windows = vec![vec![Vec::new(); callers.len()]; CONCURRENCY.len()];
    for round in 0..rounds {
        for (ci, &c) in CONCURRENCY.iter().enumerate() {
            for j in 0..callers.len() {
                let v = (round + j) % callers.len();
                windows[ci][v].push(window(&callers[v], c, length, &pid).await);
            }
        }
    }
    let pick = |f: fn(&Window) -> f64| -> Vec<Vec<Vec<f64>>> {
        windows
            .iter()
            .map(|per| per.iter().map(|w| w.iter().map(f).collect()).collect())
            .collect()
    };
    let mut samples = pick(|w| w.calls_per_s);
    let mut client_cpu = pick(|w| w.client_cpu_us);
    let mut emulator_cpu = pick(|w| w.emulator_cpu_us);
    let rss_peak = emulator.status_kib("VmHWM:");
    let rss_end = emulator.status_kib("VmRSS:");

    println!(
        "\n### GetChannel throughput over loopback, one connection, against the standalone emulator\n"
    );
    println!(
        "client process: multi_thread runtime, 2 workers; emulator process: `livestream emulator` (release, its own multi_thread runtime, 2 workers); {rounds} rounds of {length:?} per (callers, variant), interleaved\n"
    );
    for (ci, &c) in CONCURRENCY.iter().enumerate() {
        let raw = Stats::of(&mut samples[ci][0].clone()).median;
        for v in 1..callers.len() {
            let other = Stats::of(&mut samples[ci][v].clone()).median;
            let mut paired: Vec<f64> = samples[ci][v]
                .iter()
                .zip(&samples[ci][0])
                .map(|(a, b)| a / b)
                .collect();
            let p = Stats::of(&mut paired);
            println!(
                "- **{c} caller(s): {} / raw throughput {:.3}** (ratio of medians); per-round ratio median {:.3}, p10–p90 {:.3}–{:.3}",
                callers[v].name(),
                other / raw,
                p.median,
                p.p10,
                p.p90
            );
        }
    }
    println!();
    println!(
        "| callers | variant | median calls/s | p10–p90 calls/s | min–max calls/s | client CPU µs/call (p10–p90) | emulator CPU µs/call (p10–p90) |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for (ci, &c) in CONCURRENCY.iter().enumerate() {
        for (v, caller) in callers.iter().enumerate() {
            let st = Stats::of(&mut samples[ci][v]);
            let (min, max) = (samples[ci][v][0], samples[ci][v][st.n - 1]);
            let cc = Stats::of(&mut client_cpu[ci][v]);
            let ec = Stats::of(&mut emulator_cpu[ci][v]);
            println!(
                "| {c} | {} | {:.0} | {:.0}–{:.0} | {:.0}–{:.0} | {:.1} ({:.1}–{:.1}) | {:.1} ({:.1}–{:.1}) |",
                caller.name(),
                st.median,
                st.p10,
                st.p90,
                min,
                max,
                cc.median,
                cc.p10,
                cc.p90,
                ec.median,
                ec.p10,
                ec.p90
            );
        }
    }
    println!("\n### Standalone emulator memory (item 5)\n");
    println!("| when | RSS |");
    println!("|---|---:|");
    println!(
        "| idle, after start | {:.1} MiB |",
        rss_idle as f64 / 1024.0
    );
    println!(
        "| after the throughput run (VmRSS) | {:.1} MiB |",
        rss_end as f64 / 1024.0
    );
    println!(
        "| **peak during the run (VmHWM)** | **{:.1} MiB** |",
        rss_peak as f64 / 1024.0
    );
}

fn main() {
    let mode = Mode::from_args();
    support::print_machine("throughput", mode);
    let emulator = Standalone::start();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run(mode, &emulator));
    println!("\nload average at end: {}", support::load_average());
}
