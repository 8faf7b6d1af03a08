//! Fault injection, added latency, call counts and the request log, per method.
//!
//! Applied by the service at the start of every call of the emulated API (not of the admin
//! service): count, record, sleep the latency, then answer with the next scripted fault if
//! any, either at once or, for a fault [after handling](Fault::after_handling), in place of
//! the response once the call has been handled (a lost response). The request log holds the
//! callers' metadata with credential headers redacted (unless
//! `EmulatorConfig::record_credentials`): it lives in memory only, is never logged, and is
//! meant for tests.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use tonic::metadata::{KeyAndValueRef, MetadataMap};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::config::RateLimits;
use super::lock;
use crate::methods::Method;
use crate::wire::grpc_timeout;

/// One injected error: a status code, an optional message, an optional
/// `google.rpc.RetryInfo` delay, and when it strikes: before the call is handled (the
/// default: nothing happens), or [after](Fault::after_handling) (the call takes effect, but
/// the caller gets the error instead of the response).
///
/// ```
/// use livestream_grpc::emulator::Fault;
/// use std::time::{Duration, SystemTime};
/// let fault = Fault::new(tonic::Code::Unavailable).with_retry_delay(Duration::from_millis(250));
/// // The create happens, but its response is lost on the way back.
/// let lost = Fault::new(tonic::Code::Unavailable).after_handling();
/// assert!(lost.is_after_handling() && !fault.is_after_handling());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    code: Code,
    message: String,
    retry_delay: Option<Duration>,
    after_handling: bool,
}

impl Fault {
    /// A fault answering `code` (with a default message naming the method).
    pub fn new(code: Code) -> Self {
        Fault {
            code,
            message: String::new(),
            retry_delay: None,
            after_handling: false,
        }
    }

    /// Sets the status message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Attaches `google.rpc.RetryInfo` with this delay.
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = Some(delay);
        self
    }

    /// Strikes after the call was handled: its changes happen (a create creates, a
    /// `request_id` is remembered), and the caller gets this error instead of the response,
    /// as when a response is lost on the way back. What a retry with the same `request_id`
    /// must survive.
    pub fn after_handling(mut self) -> Self {
        self.after_handling = true;
        self
    }

    /// The status code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// Whether the fault strikes after the call was handled.
    pub fn is_after_handling(&self) -> bool {
        self.after_handling
    }

    fn status(&self, method: &str) -> Status {
        let message = if self.message.is_empty() {
            format!(
                "{} injected by the emulator into {method}",
                self.code.description()
            )
        } else {
            self.message.clone()
        };
        match self.retry_delay {
            Some(delay) => Status::with_error_details(
                self.code,
                message,
                ErrorDetails::with_retry_info(Some(delay)),
            ),
            None => Status::new(self.code, message),
        }
    }
}

/// The faults one method answers with: a sequence of steps (each a fault, or a pass), then
/// optionally a random fault with a probability, then normal answers.
///
/// ```
/// use livestream_grpc::emulator::FaultScript;
/// use tonic::Code;
/// // UNAVAILABLE twice, then normal.
/// let script = FaultScript::codes([Code::Unavailable, Code::Unavailable]);
/// // Half of the calls fail.
/// let flaky = FaultScript::probability(0.5, Code::Unavailable);
/// # let _ = (script, flaky);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultScript {
    steps: Vec<Option<Fault>>,
    random: Option<(f64, Fault)>,
}

impl FaultScript {
    /// One step per code, in order; `Code::Ok` lets that call through.
    pub fn codes(codes: impl IntoIterator<Item = Code>) -> Self {
        FaultScript {
            steps: codes
                .into_iter()
                .map(|c| (c != Code::Ok).then(|| Fault::new(c)))
                .collect(),
            random: None,
        }
    }

    /// One step per fault, in order.
    pub fn faults(faults: impl IntoIterator<Item = Fault>) -> Self {
        FaultScript {
            steps: faults.into_iter().map(Some).collect(),
            random: None,
        }
    }

    /// Every call fails with `code` with probability `p` (clamped to 0..=1).
    pub fn probability(p: f64, code: Code) -> Self {
        FaultScript::default().then_probability(p, Fault::new(code))
    }

    /// After the steps, each call fails with `fault` with probability `p`.
    pub fn then_probability(mut self, p: f64, fault: Fault) -> Self {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self.random = Some((p, fault));
        self
    }

    /// Adds a fault after the current steps.
    pub fn then_fault(mut self, fault: Fault) -> Self {
        self.steps.push(Some(fault));
        self
    }

    /// Adds a pass (a call that goes through) after the current steps.
    pub fn then_pass(mut self) -> Self {
        self.steps.push(None);
        self
    }

    /// Attaches `google.rpc.RetryInfo` with `delay` to every fault of the script.
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        for fault in self.steps.iter_mut().flatten() {
            fault.retry_delay = Some(delay);
        }
        if let Some((_, fault)) = &mut self.random {
            fault.retry_delay = Some(delay);
        }
        self
    }

    /// The script as the admin API's `InjectFaultsRequest` (without its method).
    pub(crate) fn to_request(&self) -> super::admin::InjectFaultsRequest {
        let step = |fault: &Fault| super::admin::FaultStep {
            code: fault.code as i32,
            message: fault.message.clone(),
            retry_delay: fault
                .retry_delay
                .and_then(|d| prost_types::Duration::try_from(d).ok()),
            after_handling: fault.after_handling,
        };
        super::admin::InjectFaultsRequest {
            method: String::new(),
            steps: self
                .steps
                .iter()
                .map(|s| s.as_ref().map(step).unwrap_or_default())
                .collect(),
            probability: self.random.as_ref().map_or(0.0, |(p, _)| *p),
            random_fault: self.random.as_ref().map(|(_, fault)| step(fault)),
        }
    }

    pub(crate) fn into_parts(self) -> (Vec<Option<Fault>>, Option<(f64, Fault)>) {
        (self.steps, self.random)
    }
}

/// How a call reached the emulator: gRPC, or the REST mapping (feature `rest`), which is
/// transcoded into the same gRPC service and so counted, faulted and recorded alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// gRPC (HTTP/2, protobuf).
    #[default]
    Grpc,
    /// HTTP/1.1 + JSON, the API's REST mapping.
    Rest,
}

impl Transport {
    /// `grpc` or `rest`: the admin API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Grpc => "grpc",
            Transport::Rest => "rest",
        }
    }

    /// The transport of an admin API spelling; anything unknown (an older emulator sends
    /// none) is gRPC.
    pub(crate) fn from_name(name: &str) -> Transport {
        match name {
            "rest" => Transport::Rest,
            _ => Transport::Grpc,
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One call as the emulator received it. Credential headers ([`CREDENTIAL_HEADERS`]) are
/// redacted to their scheme and length (`Bearer <redacted, 187 bytes>`) unless
/// [`EmulatorConfig::record_credentials`](super::EmulatorConfig::record_credentials) is on;
/// the `Debug` output shows only the header names either way.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The short method name (`GetChannel`).
    pub method: String,
    /// The request's metadata (gRPC headers).
    pub metadata: MetadataMap,
    /// The request's `request_id`, if the method has one and it was set.
    pub request_id: Option<String>,
    /// How the call came: gRPC, or REST (its HTTP headers are the metadata).
    pub transport: Transport,
}

impl RecordedRequest {
    /// The first value of an ASCII header, if present and printable.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(|v| v.to_str().ok())
    }

    /// The caller's deadline for the call, from its `grpc-timeout` header, if it sent a
    /// valid one.
    ///
    /// ```
    /// use livestream_grpc::Method;
    /// use livestream_grpc::emulator::Emulator;
    /// use livestream_grpc::location::{locations_client::LocationsClient, GetLocationRequest};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emu = Emulator::builder().build();
    /// let mut request = tonic::Request::new(GetLocationRequest {
    ///     name: "projects/p/locations/us-central1".into(),
    /// });
    /// request.set_timeout(Duration::from_secs(5));
    /// LocationsClient::new(emu.service()).get_location(request).await?;
    /// let recorded = &emu.requests(Method::GetLocation)[0];
    /// assert_eq!(recorded.timeout(), Some(Duration::from_secs(5)));
    /// # Ok(()) }
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        grpc_timeout(&self.metadata)
    }

    /// Every header as `(name, value)`, binary values in base64.
    pub fn headers(&self) -> Vec<(String, String)> {
        use base64::Engine as _;
        self.metadata
            .iter()
            .map(|kv| match kv {
                KeyAndValueRef::Ascii(k, v) => (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                ),
                KeyAndValueRef::Binary(k, v) => (
                    k.as_str().to_owned(),
                    base64::engine::general_purpose::STANDARD.encode(v.as_encoded_bytes()),
                ),
            })
            .collect()
    }
}

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self
            .metadata
            .keys()
            .map(|k| match k {
                tonic::metadata::KeyRef::Ascii(k) => k.as_str(),
                tonic::metadata::KeyRef::Binary(k) => k.as_str(),
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("header_names", &keys)
            .field("request_id", &self.request_id)
            .field("transport", &self.transport)
            .finish()
    }
}

/// The headers that carry credentials, redacted in the request log by default: what
/// Google's clients and HTTP clients send a token, an API key or a session in.
pub const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-goog-api-key",
    "x-goog-iam-authorization-token",
    "cookie",
];

/// What a credential header's value becomes in the request log: its scheme (the first word,
/// when it looks like one: `Bearer`, `Basic`) and the length of the rest, never the secret.
///
/// ```
/// use livestream_grpc::emulator::redacted_credential;
/// assert_eq!(redacted_credential(b"Bearer ya29.secret"), "Bearer <redacted, 11 bytes>");
/// assert_eq!(redacted_credential(b"AIzaSyD-secret"), "<redacted, 14 bytes>");
/// ```
pub fn redacted_credential(value: &[u8]) -> String {
    let is_scheme = |s: &[u8]| {
        !s.is_empty() && s.len() <= 32 && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    };
    match value.iter().position(|b| *b == b' ') {
        Some(space) if is_scheme(&value[..space]) => {
            let scheme = String::from_utf8_lossy(&value[..space]);
            let rest = value.len() - space - 1;
            format!("{scheme} <redacted, {rest} bytes>")
        }
        _ => format!("<redacted, {} bytes>", value.len()),
    }
}

/// Replaces the values of the credential headers by their redacted form.
fn redact(metadata: &mut MetadataMap) {
    use tonic::metadata::AsciiMetadataValue;
    for key in CREDENTIAL_HEADERS {
        let values: Vec<AsciiMetadataValue> = metadata
            .get_all(*key)
            .iter()
            .map(|v| redacted_credential(v.as_bytes()))
            .filter_map(|v| AsciiMetadataValue::try_from(v).ok())
            .collect();
        if values.is_empty() {
            continue;
        }
        metadata.remove(*key);
        for value in values {
            metadata.append(*key, value);
        }
    }
}

/// How the request log keeps calls: how many per method, and whether credential headers
/// are kept as sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestLog {
    pub(crate) limit: usize,
    pub(crate) credentials: bool,
}

#[derive(Debug, Default)]
struct MethodControls {
    steps: VecDeque<Option<Fault>>,
    random: Option<(f64, Fault)>,
    latency: Duration,
    log: VecDeque<RecordedRequest>,
}

/// What one call meets: added latency, and an injected fault answered before handling the
/// call or in place of its response.
#[derive(Debug, Default)]
pub(crate) struct Injected {
    pub(crate) latency: Duration,
    pub(crate) before: Option<Status>,
    pub(crate) after: Option<Status>,
}

/// Calls per kind in the current one-minute window (rate quotas).
#[derive(Debug, Default)]
struct RateWindow {
    start: Option<SystemTime>,
    counts: [u32; 4],
}

/// The rate-quota kind of an RPC and its limit: Get, List, other LivestreamService RPCs,
/// and the mixins.
fn rate_kind(index: usize, limits: &RateLimits) -> (usize, Option<u32>) {
    let Some(rpc) = Method::ALL.get(index) else {
        return (3, None);
    };
    if rpc.service() != "LivestreamService" {
        (3, limits.operation)
    } else if rpc.name().starts_with("Get") {
        (0, limits.get)
    } else if rpc.name().starts_with("List") {
        (1, limits.list)
    } else {
        (2, limits.mutation)
    }
}

/// The per-method controls of one emulator.
#[derive(Debug)]
pub(crate) struct Controls {
    counts: Vec<AtomicU64>,
    methods: Mutex<Vec<MethodControls>>,
    rates: Mutex<RateWindow>,
}

impl Controls {
    pub(crate) fn new() -> Self {
        Controls {
            counts: Method::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            methods: Mutex::new(
                Method::ALL
                    .iter()
                    .map(|_| MethodControls::default())
                    .collect(),
            ),
            rates: Mutex::new(RateWindow::default()),
        }
    }

    /// Counts a call against its rate quota; RESOURCE_EXHAUSTED when over it.
    pub(crate) fn check_rate(
        &self,
        index: usize,
        limits: &RateLimits,
        now: SystemTime,
    ) -> Result<(), Status> {
        const WINDOW: Duration = Duration::from_secs(60);
        let (kind, limit) = rate_kind(index, limits);
        let Some(limit) = limit else {
            return Ok(());
        };
        let mut rates = lock(&self.rates);
        let elapsed = rates
            .start
            .and_then(|s| now.duration_since(s).ok())
            .filter(|e| *e < WINDOW);
        let elapsed = match elapsed {
            Some(e) => e,
            None => {
                *rates = RateWindow {
                    start: Some(now),
                    counts: [0; 4],
                };
                Duration::ZERO
            }
        };
        if rates.counts[kind] >= limit {
            let name = Method::ALL.get(index).map_or("", |r| r.name());
            return Err(Status::with_error_details(
                Code::ResourceExhausted,
                format!(
                    "Quota exceeded: at most {limit} requests per minute of this kind ({name})"
                ),
                ErrorDetails::with_retry_info(Some(WINDOW.saturating_sub(elapsed))),
            ));
        }
        rates.counts[kind] += 1;
        Ok(())
    }

    /// Counts and records a call; returns the latency to add and the fault to answer.
    pub(crate) fn on_call(
        &self,
        index: usize,
        mut metadata: MetadataMap,
        request_id: Option<&str>,
        transport: Transport,
        log: RequestLog,
    ) -> Injected {
        if let Some(count) = self.counts.get(index) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let name = Method::ALL.get(index).map_or("", |r| r.name());
        let mut methods = lock(&self.methods);
        let Some(m) = methods.get_mut(index) else {
            return Injected::default();
        };
        if log.limit > 0 {
            if !log.credentials {
                redact(&mut metadata);
            }
            while m.log.len() >= log.limit {
                m.log.pop_front();
            }
            m.log.push_back(RecordedRequest {
                method: name.to_owned(),
                metadata,
                request_id: request_id.filter(|r| !r.is_empty()).map(str::to_owned),
                transport,
            });
        }
        let fault = match m.steps.pop_front() {
            Some(step) => step,
            None => m
                .random
                .as_ref()
                .filter(|(p, _)| fastrand::f64() < *p)
                .map(|(_, f)| f.clone()),
        };
        let (before, after) = match fault {
            Some(f) if f.after_handling => (None, Some(f.status(name))),
            Some(f) => (Some(f.status(name)), None),
            None => (None, None),
        };
        Injected {
            latency: m.latency,
            before,
            after,
        }
    }

    pub(crate) fn set_script(&self, index: usize, script: FaultScript) {
        let (steps, random) = script.into_parts();
        if let Some(m) = lock(&self.methods).get_mut(index) {
            m.steps = steps.into();
            m.random = random;
        }
    }

    pub(crate) fn set_latency(&self, index: usize, latency: Duration) {
        if let Some(m) = lock(&self.methods).get_mut(index) {
            m.latency = latency;
        }
    }

    /// Removes faults and latency of one method (or all with `None`).
    pub(crate) fn clear_faults(&self, index: Option<usize>) {
        let mut methods = lock(&self.methods);
        for (i, m) in methods.iter_mut().enumerate() {
            if index.is_none_or(|x| x == i) {
                m.steps.clear();
                m.random = None;
                m.latency = Duration::ZERO;
            }
        }
    }

    pub(crate) fn count(&self, index: usize) -> u64 {
        self.counts
            .get(index)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn requests(&self, index: usize) -> Vec<RecordedRequest> {
        lock(&self.methods)
            .get(index)
            .map(|m| m.log.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many requests the log holds, over every method.
    pub(crate) fn recorded(&self) -> usize {
        lock(&self.methods).iter().map(|m| m.log.len()).sum()
    }

    /// Clears counts, faults, latencies and logs.
    pub(crate) fn reset(&self) {
        for c in &self.counts {
            c.store(0, Ordering::Relaxed);
        }
        *lock(&self.rates) = RateWindow::default();
        let mut methods = lock(&self.methods);
        for m in methods.iter_mut() {
            *m = MethodControls::default();
        }
    }
}
