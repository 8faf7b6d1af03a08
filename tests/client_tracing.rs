//! Tracing: a span per call and per attempt (method, attempt, code, latency), and no
//! request contents. In its own test binary: tracing caches per-callsite interest globally,
//! so a test binary that also runs calls without a subscriber could race with this one.

#[path = "client/common.rs"]
mod common;

use std::sync::{Arc, Mutex};

use common::Fake;
use common::names::channel;
use livestream_grpc::v1::StartChannelRequest;
use tonic::Code;

#[test]
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
