//! Issue 11: retry throttling under a burst of failures. 64 callers each start a GetChannel
//! call every 20 ms (open loop) on the in-process emulator; for 2 s, a share of the attempts
//! (50 %, and 90 %) fail with UNAVAILABLE (`FaultScript::probability`). Each throttler is
//! measured on a fresh emulator and client: the attempts the calls started during the burst
//! sent, what they delivered, and for the circuit breaker when it opened and closed.
//!
//! `cargo bench --all-features --bench burst`; without `--bench` a short smoke run.

#[macro_use]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use livestream_grpc::emulator::{Emulator, FaultScript};
use livestream_grpc::policy::{
    AdaptiveThrottler, CallOptions, CircuitBreaker, ExponentialBackoff, NeverThrottle,
    RetryThrottler,
};
use livestream_grpc::v1::GetChannelRequest;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::{Client, Method};
use support::{CHANNEL, Mode, populate};
use tokio::time::Instant;
use tonic::Code;

/// How often each caller starts a call: 64 callers offer 3,200 calls/s.
const PERIOD: Duration = Duration::from_millis(20);

/// What the callers saw in each phase of a run: before (0), during (1) and after (2) the
/// burst.
#[derive(Default)]
struct Counts {
    started: [AtomicU64; 3],
    delivered: [AtomicU64; 3],
    failed: [AtomicU64; 3],
    throttled: [AtomicU64; 3],
}

/// One run's shape.
#[derive(Clone, Copy)]
struct Shape {
    callers: usize,
    before: Duration,
    burst: Duration,
    after: Duration,
}

/// The circuit breaker's transitions, sampled every millisecond: (time since the burst
/// started, opened?).
type Transitions = Vec<(Duration, bool)>;

struct Run {
    attempts: [u64; 3],
    counts: Counts,
    transitions: Transitions,
}

async fn run(
    shape: Shape,
    probability: f64,
    throttler: Arc<dyn RetryThrottler>,
    breaker: Option<Arc<CircuitBreaker>>,
) -> Run {
    let emu = Emulator::builder().build();
    populate(&mut LivestreamServiceClient::new(emu.service())).await;
    // A short backoff (10 ms, ×1.3, up to 100 ms, full jitter), so that callers keep
    // retrying through a 2 s burst; the default policy otherwise (UNAVAILABLE, 5 attempts).
    let backoff = ExponentialBackoff::builder()
        .with_initial_delay(Duration::from_millis(10))
        .with_maximum_delay(Duration::from_millis(100))
        .build()
        .expect("a valid backoff");
    let client = Client::builder()
        .with_shared_retry_throttler(throttler)
        .with_call_options(CallOptions::new().with_backoff(backoff))
        .build_with_service(emu.service())
        .expect("a client");

    let phase = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let in_flight = Arc::new(AtomicU64::new(0));
    // Open loop: each caller starts a call every `PERIOD`, whatever became of the last
    // one, so the load offered is the same for every throttler (a closed loop would start
    // a new call as soon as a throttled one fails, and offer more load with a throttler).
    let mut callers = Vec::new();
    for _ in 0..shape.callers {
        let (client, phase, stop, counts, in_flight) = (
            client.clone(),
            phase.clone(),
            stop.clone(),
            counts.clone(),
            in_flight.clone(),
        );
        callers.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(PERIOD);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.load(Ordering::Relaxed) {
                ticks.tick().await;
                let (client, counts, in_flight) =
                    (client.clone(), counts.clone(), in_flight.clone());
                // Counted in the phase the call started in.
                let p = phase.load(Ordering::Relaxed);
                counts.started[p].fetch_add(1, Ordering::Relaxed);
                in_flight.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let request = GetChannelRequest {
                        name: CHANNEL.into(),
                        ..Default::default()
                    };
                    match client.get_channel(request).await {
                        Ok(_) => counts.delivered[p].fetch_add(1, Ordering::Relaxed),
                        Err(err) => {
                            if err.is_throttled() {
                                counts.throttled[p].fetch_add(1, Ordering::Relaxed);
                            }
                            counts.failed[p].fetch_add(1, Ordering::Relaxed)
                        }
                    };
                    in_flight.fetch_sub(1, Ordering::Relaxed);
                });
            }
        }));
    }
    // The breaker's state, sampled.
    let monitor = breaker.map(|breaker| {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut transitions = Transitions::new();
            let mut open = false;
            let mut start = None;
            while !stop.load(Ordering::Relaxed) {
                let now = Instant::now();
                if breaker.is_open() != open {
                    open = !open;
                    let since = now.saturating_duration_since(*start.get_or_insert(now));
                    transitions.push((since, open));
                }
                start.get_or_insert(now);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            transitions
        })
    });

    let mut attempts = [0; 3];
    let mut sent_before = 0;
    for (p, length) in [shape.before, shape.burst, shape.after]
        .into_iter()
        .enumerate()
    {
        if p == 1 {
            emu.inject_faults(
                Method::GetChannel,
                FaultScript::probability(probability, Code::Unavailable),
            );
        }
        if p == 2 {
            emu.clear_faults(Method::GetChannel);
        }
        phase.store(p, Ordering::Relaxed);
        tokio::time::sleep(length).await;
        let sent = emu.call_count(Method::GetChannel);
        attempts[p] = sent - sent_before;
        sent_before = sent;
    }
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.expect("a caller");
    }
    while in_flight.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut transitions = match monitor {
        Some(m) => m.await.expect("the monitor"),
        None => Vec::new(),
    };
    // The monitor started with the run: times from the start of the burst.
    for (t, _) in &mut transitions {
        *t = t.saturating_sub(shape.before);
    }
    let counts = Arc::try_unwrap(counts).unwrap_or_default();
    Run {
        attempts,
        counts,
        transitions,
    }
}

fn print(name: &str, run: &Run) {
    let c = &run.counts;
    let get = |a: &[AtomicU64; 3], p: usize| a[p].load(Ordering::Relaxed);
    let ratio = |n: u64, d: u64| {
        if d == 0 {
            "—".to_owned()
        } else {
            format!("{:.2}", n as f64 / d as f64)
        }
    };
    let (started, delivered) = (get(&c.started, 1), get(&c.delivered, 1));
    println!(
        "| {name} | {started} | {} | {} | {} ({:.1} %) | {} | {} | {} | {} |",
        run.attempts[1],
        ratio(run.attempts[1], started),
        delivered,
        100.0 * delivered as f64 / started.max(1) as f64,
        ratio(run.attempts[1], delivered),
        get(&c.throttled, 1),
        ratio(run.attempts[0], get(&c.started, 0)),
        ratio(run.attempts[2], get(&c.started, 2)),
    );
}

fn print_transitions(run: &Run, shape: Shape) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let burst_end = shape.burst;
    let mut open_during_burst = Duration::ZERO;
    let mut opened_at = None;
    for (i, (t, open)) in run.transitions.iter().enumerate() {
        if *open {
            let until = run
                .transitions
                .get(i + 1)
                .map_or(shape.burst + shape.after, |(t, _)| *t);
            let (from, to) = ((*t).min(burst_end), until.min(burst_end));
            open_during_burst += to.saturating_sub(from);
            opened_at.get_or_insert(*t);
        }
    }
    let closes: Vec<String> = run
        .transitions
        .iter()
        .filter(|(_, open)| !open)
        .map(|(t, _)| format!("{:.0}", ms(*t)))
        .collect();
    let last_close_after = run
        .transitions
        .iter()
        .rev()
        .find(|(t, open)| !open && *t >= burst_end)
        .map(|(t, _)| format!("{:.0} ms after the burst", ms(t.saturating_sub(burst_end))));
    println!(
        "\ncircuit breaker: first opened {} ms into the burst; {} open/close transitions; open {:.0} % of the burst; closed for good {}; closings at ms {}",
        opened_at.map_or("never".to_owned(), |t| format!("{:.0}", ms(t))),
        run.transitions.len(),
        100.0 * open_during_burst.as_secs_f64() / shape.burst.as_secs_f64(),
        last_close_after.unwrap_or_else(|| "— (still open, or never opened)".to_owned()),
        if closes.len() > 12 {
            format!(
                "{} … {}",
                closes[..6].join(", "),
                closes[closes.len() - 6..].join(", ")
            )
        } else {
            closes.join(", ")
        }
    );
}

fn main() {
    let mode = Mode::from_args();
    support::print_machine("burst", mode);
    let shape = mode.pick(
        Shape {
            callers: 64,
            before: Duration::from_millis(500),
            burst: Duration::from_secs(2),
            after: Duration::from_millis(1000),
        },
        Shape {
            callers: 8,
            before: Duration::from_millis(50),
            burst: Duration::from_millis(200),
            after: Duration::from_millis(100),
        },
    );
    let probabilities = mode.pick(vec![0.5, 0.9], vec![0.5]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    for probability in probabilities {
        println!(
            "\n### {} callers, {:.0} % of calls fail with UNAVAILABLE for {:?} ({:?} before, {:?} after)\n",
            shape.callers,
            probability * 100.0,
            shape.burst,
            shape.before,
            shape.after
        );
        println!(
            "| throttler | calls started | attempts sent | attempts per call | calls delivered | attempts per delivered call | calls throttled | attempts per call before | attempts per call after |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        let none = runtime.block_on(run(shape, probability, Arc::new(NeverThrottle), None));
        print("none", &none);
        let adaptive = runtime.block_on(run(
            shape,
            probability,
            Arc::new(AdaptiveThrottler::default()),
            None,
        ));
        print("adaptive (2.0, default)", &adaptive);
        let breaker = Arc::new(CircuitBreaker::default());
        let broken = runtime.block_on(run(shape, probability, breaker.clone(), Some(breaker)));
        print("circuit breaker (100, 50, 10)", &broken);
        print_transitions(&broken, shape);
    }
    println!("\nload average at end: {}", support::load_average());
}
