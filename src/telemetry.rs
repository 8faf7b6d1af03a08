//! What a call tells observers: a `livestream_grpc.call` span per call (with a
//! `livestream_grpc.attempt` span per attempt) and, with the `metrics` feature, a duration
//! histogram and a retry counter.
//!
//! # Spans
//!
//! Every call runs in a span named `livestream_grpc.call`, at `DEBUG` level by default (a
//! subscriber that does not want `DEBUG` costs the call one level check), or at `INFO` for
//! a client built with [`ClientBuilder::with_tracing`](crate::ClientBuilder::with_tracing),
//! as Google's Rust SDK does. Its fields follow OpenTelemetry's semantic conventions for RPC
//! client spans (so `tracing-opentelemetry` exports them as attributes):
//!
//! | field | value |
//! |---|---|
//! | `otel.name` | the gRPC path without its leading `/` (`google.cloud.video.livestream.v1.LivestreamService/GetChannel`) |
//! | `otel.kind` | `client` |
//! | `rpc.system` | `grpc` |
//! | `rpc.service` | `google.cloud.video.livestream.v1.LivestreamService` (or `google.longrunning.Operations`, `google.cloud.location.Locations`) |
//! | `rpc.method` | `GetChannel` |
//! | `rpc.grpc.status_code` | the final status code, as a number (0 for OK) |
//! | `otel.status_code` | `ERROR` when the call failed |
//! | `error.type` | the final status code's name (`UNAVAILABLE`), when the call failed |
//! | `gcp.client.attempts` | the attempts made |
//! | `gcp.client.throttled` | whether a retry was refused by the client's retry throttler |
//! | `rpc`, `attempts`, `code`, `latency_us` | the same facts in this crate's earlier field names: the method, the attempts, the code (`Ok`, `Unavailable`) and the call's latency in microseconds |
//!
//! No request or response contents are ever recorded.
//!
//! # Metrics (feature `metrics`)
//!
//! For a client built [`with_tracing`](crate::ClientBuilder::with_tracing) (as in Google's
//! Rust SDK, every signal is opt-in: a default client's calls pay nothing for them), through
//! the [`metrics`](https://docs.rs/metrics) facade (0.24), so any exporter with a `metrics`
//! recorder (Prometheus, OpenTelemetry, StatsD, ...) receives them:
//!
//! - [`REQUEST_DURATION`] (`gcp.client.request.duration`, the name Google's Rust SDK uses): a
//!   histogram of each call's duration in seconds, retries and backoff included, with the
//!   labels `rpc.system`, `rpc.service`, `rpc.method` and `rpc.grpc.status_code` (the final
//!   code as a number: `"0"`, `"14"`);
//! - [`RETRIES`] (`livestream_grpc.client.retries`): a counter of retries, with `rpc.system`,
//!   `rpc.service`, `rpc.method` and the `rpc.grpc.status_code` of the failure retried.

use tokio::time::Instant;
use tracing::Span;

use crate::error::{Error, code_name};
use crate::methods::Method;

/// The name of the call span.
pub const CALL_SPAN: &str = "livestream_grpc.call";

/// The name of the duration histogram (feature `metrics`): seconds per call.
pub const REQUEST_DURATION: &str = "gcp.client.request.duration";

/// The name of the retry counter (feature `metrics`).
pub const RETRIES: &str = "livestream_grpc.client.retries";

/// `rpc.service` and `rpc.method` of a method: its gRPC path split at the slash.
fn service_and_method(method: Method) -> (&'static str, &'static str) {
    let path = method.path().trim_start_matches('/');
    path.split_once('/').unwrap_or((path, method.name()))
}

/// The call span with every field declared (the ones known at the end left empty), at a
/// level given as a tracing macro.
macro_rules! call_span {
    ($span:ident, $method:expr) => {{
        // Field values are evaluated only when a subscriber wants the span.
        let method: Method = $method;
        tracing::$span!(
            "livestream_grpc.call",
            otel.name = method.path().trim_start_matches('/'),
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.service = service_and_method(method).0,
            rpc.method = service_and_method(method).1,
            rpc.grpc.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
            gcp.client.attempts = tracing::field::Empty,
            gcp.client.throttled = tracing::field::Empty,
            rpc = method.name(),
            attempts = tracing::field::Empty,
            code = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        )
    }};
}

/// The telemetry of one call: its span, and when it started.
pub(crate) struct CallTelemetry {
    span: Span,
    method: Method,
    start: Instant,
    /// Whether a subscriber records the span (latencies are measured only then).
    traced: bool,
    /// Whether the client opted in (`with_tracing`): INFO spans, and metrics.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    opted_in: bool,
}

impl CallTelemetry {
    /// The call of `method` started at `start`; its span at `INFO` and metrics recorded if
    /// `opted_in`, else its span at `DEBUG`.
    pub(crate) fn start(method: Method, start: Instant, opted_in: bool) -> CallTelemetry {
        let span = if opted_in {
            call_span!(info_span, method)
        } else {
            call_span!(debug_span, method)
        };
        let traced = !span.is_disabled();
        CallTelemetry {
            span,
            method,
            start,
            traced,
            opted_in,
        }
    }

    /// The call span, the parent of the attempt spans.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Whether a subscriber records the span.
    pub(crate) fn traced(&self) -> bool {
        self.traced
    }

    /// A retry after a failure with `code`.
    pub(crate) fn retried(&self, code: tonic::Code) {
        #[cfg(feature = "metrics")]
        if self.opted_in {
            let (service, rpc_method) = service_and_method(self.method);
            metrics::counter!(
                RETRIES,
                "rpc.system" => "grpc",
                "rpc.service" => service,
                "rpc.method" => rpc_method,
                "rpc.grpc.status_code" => code_label(code),
            )
            .increment(1);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = code;
    }

    /// The call succeeded after `attempts` attempts.
    pub(crate) fn succeeded(&self, attempts: u32) {
        self.finish(tonic::Code::Ok, attempts, false);
    }

    /// The call failed with `err`.
    pub(crate) fn failed(&self, err: &Error) {
        // `gcp.client.throttled`: whether the retry throttler refused a retry of this call.
        self.finish(err.code(), err.attempts(), err.is_throttled());
    }

    /// Records the end of the call. `throttled`: whether the retry throttler refused a
    /// retry.
    fn finish(&self, code: tonic::Code, attempts: u32, throttled: bool) {
        #[cfg(feature = "metrics")]
        if self.opted_in {
            let (service, rpc_method) = service_and_method(self.method);
            metrics::histogram!(
                REQUEST_DURATION,
                "rpc.system" => "grpc",
                "rpc.service" => service,
                "rpc.method" => rpc_method,
                "rpc.grpc.status_code" => code_label(code),
            )
            .record(self.start.elapsed().as_secs_f64());
        }
        if !self.traced {
            return;
        }
        let span = &self.span;
        span.record("rpc.grpc.status_code", code as i64);
        span.record("gcp.client.attempts", attempts);
        span.record("gcp.client.throttled", throttled);
        if code != tonic::Code::Ok {
            span.record("otel.status_code", "ERROR");
            span.record("error.type", code_name(code));
        }
        span.record("attempts", attempts);
        span.record("code", tracing::field::debug(code));
        span.record("latency_us", self.start.elapsed().as_micros() as u64);
    }
}

impl std::fmt::Debug for CallTelemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallTelemetry")
            .field("method", &self.method)
            .field("traced", &self.traced)
            .finish_non_exhaustive()
    }
}

/// A status code as a metric label: its number.
#[cfg(feature = "metrics")]
fn code_label(code: tonic::Code) -> &'static str {
    const LABELS: [&str; 17] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    ];
    LABELS.get(code as usize).copied().unwrap_or("2")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_and_method_follow_the_path() {
        assert_eq!(
            service_and_method(Method::GetChannel),
            (
                "google.cloud.video.livestream.v1.LivestreamService",
                "GetChannel"
            )
        );
        assert_eq!(
            service_and_method(Method::GetOperation),
            ("google.longrunning.Operations", "GetOperation")
        );
        assert_eq!(code_name(tonic::Code::Unavailable), "UNAVAILABLE");
        #[cfg(feature = "metrics")]
        {
            assert_eq!(code_label(tonic::Code::Ok), "0");
            assert_eq!(code_label(tonic::Code::Unauthenticated), "16");
        }
    }
}
