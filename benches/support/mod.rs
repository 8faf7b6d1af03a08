//! What every benchmark binary shares: the run mode, interleaved A/B sampling, statistics,
//! table printing, the machine description and a realistic channel body.
//!
//! Each benchmark is a `harness = false` binary. `cargo bench` passes `--bench`, which
//! selects the full run; without it (`cargo test --benches`, or running the binary by hand)
//! the binary does a few iterations of everything, to check that it still works.

#![allow(dead_code, unused_macros, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::{
    AudioStream, Channel, CreateChannelRequest, CreateInputRequest, ElementaryStream, Input,
    InputAttachment, Manifest, MuxStream, RetentionConfig, SegmentSettings, VideoStream, channel,
    elementary_stream, input, manifest, video_stream,
};

/// The location every benchmark works in.
pub const PARENT: &str = "projects/bench/locations/us-central1";

/// The channel [`populate`] creates in [`PARENT`].
pub const CHANNEL: &str = "projects/bench/locations/us-central1/channels/bench-channel";

/// Creates the RTMP input `bench-input` in `parent`; returns its name.
pub async fn create_input<S>(stub: &mut LivestreamServiceClient<S>, parent: &str) -> String
where
    S: tonic::client::GrpcService<tonic::body::Body>,
    S::Error: Into<tonic::codegen::StdError>,
    S::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    stub.create_input(CreateInputRequest {
        parent: parent.into(),
        input_id: "bench-input".into(),
        input: Some(Input {
            r#type: input::Type::RtmpPush as i32,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await
    .expect("CreateInput");
    format!("{parent}/inputs/bench-input")
}

/// Creates the input and the quickstart-like channel [`CHANNEL`] that the GetChannel
/// benchmarks read.
pub async fn populate<S>(stub: &mut LivestreamServiceClient<S>)
where
    S: tonic::client::GrpcService<tonic::body::Body>,
    S::Error: Into<tonic::codegen::StdError>,
    S::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let input = create_input(stub, PARENT).await;
    stub.create_channel(CreateChannelRequest {
        parent: PARENT.into(),
        channel_id: "bench-channel".into(),
        channel: Some(quickstart_channel(&input)),
        ..Default::default()
    })
    .await
    .expect("CreateChannel");
}

/// How much work a run does.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// `cargo bench` (full) rather than a smoke run.
    pub full: bool,
}

impl Mode {
    /// From the command line: `--bench` (as `cargo bench` passes) means a full run.
    pub fn from_args() -> Mode {
        let full = std::env::args().any(|a| a == "--bench");
        Mode { full }
    }

    /// `full` in a full run, `smoke` otherwise.
    pub fn pick<T>(self, full: T, smoke: T) -> T {
        if self.full { full } else { smoke }
    }
}

/// Summary statistics of a set of samples (any unit).
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub n: usize,
    pub median: f64,
    pub p10: f64,
    pub p25: f64,
    pub p75: f64,
    pub p90: f64,
    pub p99: f64,
}

impl Stats {
    /// The statistics of `samples` (sorted in place). Empty input gives zeros.
    pub fn of(samples: &mut [f64]) -> Stats {
        samples.sort_by(f64::total_cmp);
        let q = |p: f64| quantile(samples, p);
        Stats {
            n: samples.len(),
            median: q(0.5),
            p10: q(0.1),
            p25: q(0.25),
            p75: q(0.75),
            p90: q(0.9),
            p99: q(0.99),
        }
    }
}

/// The `p` quantile of sorted samples, interpolated linearly.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let pos = p * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// A batch of `n` calls of one variant, returning each call's latency in nanoseconds.
pub type Batch = Box<dyn FnMut(usize) -> Pin<Box<dyn Future<Output = Vec<f64>>>>>;

/// One side of an A/B comparison.
pub struct Variant {
    pub name: &'static str,
    pub batch: Batch,
}

impl Variant {
    /// A variant whose batch is `f(n)`.
    pub fn new<F, Fut>(name: &'static str, mut f: F) -> Variant
    where
        F: FnMut(usize) -> Fut + 'static,
        Fut: Future<Output = Vec<f64>> + 'static,
    {
        Variant {
            name,
            batch: Box::new(move |n| Box::pin(f(n))),
        }
    }
}

/// The samples of one variant after an interleaved run.
pub struct Sampled {
    pub name: &'static str,
    /// Every call's latency, in nanoseconds.
    pub calls: Vec<f64>,
    /// The median latency of each round's batch, in nanoseconds (index = round).
    pub batch_medians: Vec<f64>,
}

/// Runs `rounds` rounds of one batch of `per_batch` calls per variant, after one warm-up
/// batch each. The order of the variants rotates every round, so neither side always runs
/// first (or right after the other); a load spike hits both sides of a round alike.
pub async fn interleave(variants: &mut [Variant], rounds: usize, per_batch: usize) -> Vec<Sampled> {
    for v in variants.iter_mut() {
        (v.batch)(per_batch).await;
    }
    let mut out: Vec<Sampled> = variants
        .iter()
        .map(|v| Sampled {
            name: v.name,
            calls: Vec::with_capacity(rounds * per_batch),
            batch_medians: Vec::with_capacity(rounds),
        })
        .collect();
    let k = variants.len();
    for round in 0..rounds {
        let mut medians = vec![0.0; k];
        for j in 0..k {
            let i = (round + j) % k;
            let mut samples = (variants[i].batch)(per_batch).await;
            out[i].calls.extend_from_slice(&samples);
            medians[i] = Stats::of(&mut samples).median;
        }
        for (i, m) in medians.into_iter().enumerate() {
            out[i].batch_medians.push(m);
        }
    }
    out
}

/// Prints a latency table of interleaved samples (the first variant is the baseline), with
/// the ratio lines first: the ratio of the medians of all calls, and the median (p10–p90)
/// of the per-round ratios of batch medians.
pub fn print_latency_table(title: &str, sampled: &mut [Sampled]) {
    println!("\n### {title}\n");
    let base_rounds = sampled[0].batch_medians.clone();
    let base_median = Stats::of(&mut sampled[0].calls.clone()).median;
    for s in sampled.iter().skip(1) {
        let median = Stats::of(&mut s.calls.clone()).median;
        let mut paired: Vec<f64> = s
            .batch_medians
            .iter()
            .zip(&base_rounds)
            .map(|(a, b)| a / b)
            .collect();
        let p = Stats::of(&mut paired);
        println!(
            "- **{} / {}: {:.3}** (ratio of medians); per-round ratio median {:.3}, p10–p90 {:.3}–{:.3} ({} rounds)",
            s.name,
            sampled[0].name,
            median / base_median,
            p.median,
            p.p10,
            p.p90,
            p.n
        );
    }
    println!();
    println!("| variant | calls | median µs | p10–p90 µs | p25–p75 µs | p99 µs | ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for s in sampled.iter() {
        let st = Stats::of(&mut s.calls.clone());
        println!(
            "| {} | {} | {:.1} | {:.1}–{:.1} | {:.1}–{:.1} | {:.1} | {:.3} |",
            s.name,
            st.n,
            st.median / 1e3,
            st.p10 / 1e3,
            st.p90 / 1e3,
            st.p25 / 1e3,
            st.p75 / 1e3,
            st.p99 / 1e3,
            st.median / base_median
        );
    }
}

/// Times each of `n` evaluations of an async expression returning a `Result` (an error
/// panics: a benchmark of failing calls measures nothing); a `Vec<f64>` of nanoseconds.
macro_rules! timed {
    ($n:expr, $call:expr) => {{
        let n: usize = $n;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let start = std::time::Instant::now();
            let result = $call.await;
            if let Err(e) = &result {
                panic!("call failed: {e:?}");
            }
            let _ = std::hint::black_box(result);
            out.push(start.elapsed().as_nanos() as f64);
        }
        out
    }};
}

/// Formats a duration in the unit that suits it.
pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

/// The machine and the load, printed at the top of every benchmark's output.
pub fn print_machine(bench: &str, mode: Mode) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kib = read_kib("/proc/meminfo", "MemTotal:").unwrap_or(0);
    println!(
        "## {bench} ({} run)\n\nmachine: {cpu}, {cores} cores, {:.1} GiB; load average at start: {}",
        if mode.full { "full" } else { "smoke" },
        mem_kib as f64 / 1024.0 / 1024.0,
        load_average()
    );
}

/// `/proc/loadavg`'s first three fields.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// A `key:   1234 kB` line of a `/proc` file, in KiB.
pub fn read_kib(path: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A channel body like the Live Stream quickstart's: one input attachment, H.264 720p +
/// AAC, two fMP4 mux streams with 2 s segments, an HLS manifest, a retention window.
pub fn quickstart_channel(input: &str) -> Channel {
    use elementary_stream::ElementaryStream as Stream;
    use video_stream::{CodecSettings, H264CodecSettings};
    let segments = || {
        Some(SegmentSettings {
            segment_duration: Some(prost_types::Duration {
                seconds: 2,
                nanos: 0,
            }),
            ..Default::default()
        })
    };
    Channel {
        input_attachments: vec![InputAttachment {
            key: "my-input".into(),
            input: input.into(),
            ..Default::default()
        }],
        output: Some(channel::Output {
            uri: "gs://my-bucket/outputs/".into(),
        }),
        elementary_streams: vec![
            ElementaryStream {
                key: "es_video".into(),
                elementary_stream: Some(Stream::VideoStream(VideoStream {
                    codec_settings: Some(CodecSettings::H264(H264CodecSettings {
                        profile: "high".into(),
                        width_pixels: 1280,
                        height_pixels: 720,
                        frame_rate: 30.0,
                        bitrate_bps: 3_000_000,
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
                ..Default::default()
            },
            ElementaryStream {
                key: "es_audio".into(),
                elementary_stream: Some(Stream::AudioStream(AudioStream {
                    codec: "aac".into(),
                    channel_count: 2,
                    bitrate_bps: 160_000,
                    ..Default::default()
                })),
                ..Default::default()
            },
        ],
        mux_streams: vec![
            MuxStream {
                key: "mux_video".into(),
                container: "fmp4".into(),
                elementary_streams: vec!["es_video".into()],
                segment_settings: segments(),
                ..Default::default()
            },
            MuxStream {
                key: "mux_audio".into(),
                container: "fmp4".into(),
                elementary_streams: vec!["es_audio".into()],
                segment_settings: segments(),
                ..Default::default()
            },
        ],
        manifests: vec![Manifest {
            key: "manifest_hls".into(),
            file_name: "main.m3u8".into(),
            r#type: manifest::ManifestType::Hls as i32,
            mux_streams: vec!["mux_video".into(), "mux_audio".into()],
            max_segment_count: 5,
            ..Default::default()
        }],
        retention_config: Some(RetentionConfig {
            retention_window_duration: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
        }),
        ..Default::default()
    }
}

/// Starts the standalone emulator (`binary emulator --port 0`, then `args`) and waits for the
/// `export LIVESTREAM_EMULATOR_HOST=` line it prints; returns the process and that address.
/// Its stdout keeps being drained on a thread, so the emulator never blocks on a full pipe.
/// (The binary's path comes from the bench: only benches that build it have
/// `CARGO_BIN_EXE_livestream`.)
pub fn spawn_standalone<I, S>(binary: &str, args: I) -> (std::process::Child, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary)
        .args(["emulator", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the livestream binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the emulator prints its address")
            .expect("readable stdout");
        if let Some(address) = line.strip_prefix("export LIVESTREAM_EMULATOR_HOST=") {
            break address.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}
