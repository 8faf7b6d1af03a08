//! Tracing: a span per call and per attempt (method, attempt, code, latency), and no
//! request contents; `with_tracing()` raises the call span to INFO with OpenTelemetry's RPC
//! attributes; with the `metrics` feature, the duration histogram and the retry counter.
//! In its own test binary: tracing caches per-callsite interest globally, so a test binary
//! that also runs calls without a subscriber could race with this one. For the same reason
//! its one test runs the cases one after the other.

#[path = "client/common.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Fake;
use common::names::channel;
use livestream_grpc::v1::StartChannelRequest;
use tonic::Code;

#[test]
fn telemetry() {
    tracing_spans_cover_the_call_and_each_attempt_without_the_request();
    opt_in_info_spans_and_metrics_over_grpc();
}

fn tracing_spans_cover_the_call_and_each_attempt_without_the_request() {
    use std::io::Write;
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let fake = Fake::new();
            fake.fail("StartChannel", [Code::Unavailable]);
            let request = StartChannelRequest {
                name: channel().to_string(),
                request_id: "0b6c5f0e-6f0e-4d3c-9a55-6a1d1c2b3a4f".into(),
                ..Default::default()
            };
            fake.client().start_channel(request).await.unwrap();
        });
    });
    let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(output.contains("livestream_grpc.call"), "{output}");
    assert!(output.contains("livestream_grpc.attempt"), "{output}");
    assert!(output.contains("rpc=\"StartChannel\""), "{output}");
    assert!(output.contains("attempt=2"), "{output}");
    assert!(output.contains("code=Unavailable"), "{output}");
    assert!(output.contains("retrying"), "{output}");
    assert!(output.contains("latency_us="), "{output}");
    assert!(output.contains("attempts=2 code=Ok"), "{output}");
    assert!(
        !output.contains("0b6c5f0e"),
        "request contents stay out of traces: {output}"
    );
}

/// What the recording layer saw of one span: its name, level and fields.
#[derive(Clone, Debug)]
struct SeenSpan {
    name: &'static str,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
}

/// A tracing layer that keeps every span with its fields (as recorded, in `Debug` form for
/// strings' contents without quotes).
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<BTreeMap<u64, SeenSpan>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recording {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let seen = SeenSpan {
            name: attrs.metadata().name(),
            level: *attrs.metadata().level(),
            fields,
        };
        self.0.lock().unwrap().insert(id.into_u64(), seen);
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Some(seen) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }
}

impl Recording {
    fn calls(&self) -> Vec<SeenSpan> {
        let spans = self.0.lock().unwrap();
        spans
            .values()
            .filter(|s| s.name == "livestream_grpc.call")
            .cloned()
            .collect()
    }
}

/// A `metrics` recorder that keeps every counter increment and histogram value with its
/// name and labels.
#[cfg(feature = "metrics")]
mod recorder {
    use std::sync::{Arc, Mutex};

    use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};

    /// (metric name, sorted labels, value)
    pub(crate) type Sample = (String, Vec<(String, String)>, f64);

    #[derive(Clone, Default)]
    pub(crate) struct Samples(pub(crate) Arc<Mutex<Vec<Sample>>>);

    struct Handle {
        samples: Samples,
        name: String,
        labels: Vec<(String, String)>,
    }

    impl Handle {
        fn push(&self, value: f64) {
            let sample = (self.name.clone(), self.labels.clone(), value);
            self.samples.0.lock().unwrap().push(sample);
        }
    }

    impl metrics::CounterFn for Handle {
        fn increment(&self, value: u64) {
            self.push(value as f64);
        }
        fn absolute(&self, value: u64) {
            self.push(value as f64);
        }
    }

    impl metrics::HistogramFn for Handle {
        fn record(&self, value: f64) {
            self.push(value);
        }
    }

    impl Samples {
        fn handle(&self, key: &Key) -> Arc<Handle> {
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            Arc::new(Handle {
                samples: self.clone(),
                name: key.name().to_owned(),
                labels,
            })
        }
    }

    impl metrics::Recorder for Samples {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(self.handle(key))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::from_arc(self.handle(key))
        }
    }
}

/// Calls to an emulator over a socket, by a client with `with_tracing()` and one without,
/// under a subscriber that keeps INFO and above (and, with `metrics`, a recorder).
fn opt_in_info_spans_and_metrics_over_grpc() {
    use livestream_grpc::emulator::{Emulator, FaultScript};
    use livestream_grpc::policy::{CallOptions, ExponentialBackoff};
    use livestream_grpc::{Client, Method};
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    let recording = Recording::default();
    let subscriber = tracing_subscriber::registry().with(
        recording
            .clone()
            .with_filter(tracing::level_filters::LevelFilter::INFO),
    );
    #[cfg(feature = "metrics")]
    let samples = recorder::Samples::default();

    let run = || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let emu = Emulator::builder().start().await.unwrap();
            let backoff = ExponentialBackoff::builder()
                .with_initial_delay(Duration::from_millis(1))
                .with_maximum_delay(Duration::from_millis(1))
                .build()
                .unwrap();
            let builder = Client::builder()
                .with_endpoint(emu.endpoint())
                .with_call_options(CallOptions::new().with_backoff(backoff));
            let traced = builder.clone().with_tracing().build().await.unwrap();
            let quiet = builder.build().await.unwrap();

            // One retried success and one failure, traced; one success, not traced.
            let location = common::names::location();
            emu.inject_faults(
                Method::ListChannels,
                FaultScript::codes([Code::Unavailable]),
            );
            traced.list_channels(&location).await.unwrap();
            let err = traced.get_channel(channel()).await.unwrap_err();
            assert!(err.is_not_found(), "{err:?}");
            quiet.list_channels(&location).await.unwrap();
            emu.shutdown().await.unwrap();
        });
    };
    tracing::subscriber::with_default(subscriber, || {
        #[cfg(feature = "metrics")]
        metrics::with_local_recorder(&samples, run);
        #[cfg(not(feature = "metrics"))]
        run();
    });

    let calls = recording.calls();
    assert_eq!(calls.len(), 2, "only the client with tracing: {calls:#?}");
    assert!(calls.iter().all(|c| c.level == tracing::Level::INFO));
    let field = |call: &SeenSpan, name: &str| call.fields.get(name).cloned().unwrap_or_default();
    let (list, get) = (&calls[0], &calls[1]);
    for (call, method) in [(list, "ListChannels"), (get, "GetChannel")] {
        assert_eq!(field(call, "rpc.system"), "grpc");
        assert_eq!(
            field(call, "rpc.service"),
            "google.cloud.video.livestream.v1.LivestreamService"
        );
        assert_eq!(field(call, "rpc.method"), method);
        assert_eq!(field(call, "otel.kind"), "client");
        assert_eq!(field(call, "gcp.client.throttled"), "false");
    }
    assert_eq!(field(list, "rpc.grpc.status_code"), "0");
    assert_eq!(field(list, "gcp.client.attempts"), "2");
    assert!(!list.fields.contains_key("otel.status_code"), "{list:#?}");
    assert_eq!(field(get, "rpc.grpc.status_code"), "5");
    assert_eq!(field(get, "gcp.client.attempts"), "1");
    assert_eq!(field(get, "otel.status_code"), "ERROR");
    assert_eq!(field(get, "error.type"), "NOT_FOUND");

    #[cfg(feature = "metrics")]
    {
        use livestream_grpc::telemetry::{REQUEST_DURATION, RETRIES};
        let samples = samples.0.lock().unwrap().clone();
        let labels = |method: &str, code: &str| {
            let mut labels = vec![
                ("rpc.grpc.status_code".to_owned(), code.to_owned()),
                ("rpc.method".to_owned(), method.to_owned()),
                (
                    "rpc.service".to_owned(),
                    "google.cloud.video.livestream.v1.LivestreamService".to_owned(),
                ),
                ("rpc.system".to_owned(), "grpc".to_owned()),
            ];
            labels.sort();
            labels
        };
        let durations: Vec<_> = samples
            .iter()
            .filter(|(name, _, _)| name == REQUEST_DURATION)
            .collect();
        // The calls of the client with tracing only: metrics are opt-in too.
        assert_eq!(durations.len(), 2, "{samples:#?}");
        assert_eq!(durations[0].1, labels("ListChannels", "0"));
        assert_eq!(durations[1].1, labels("GetChannel", "5"));
        assert!(
            durations
                .iter()
                .all(|(_, _, secs)| *secs > 0.0 && *secs < 10.0)
        );
        let retries: Vec<_> = samples
            .iter()
            .filter(|(name, _, _)| name == RETRIES)
            .collect();
        assert_eq!(retries.len(), 1, "{samples:#?}");
        assert_eq!(retries[0].1, labels("ListChannels", "14"));
        assert_eq!(retries[0].2, 1.0);
    }
}
