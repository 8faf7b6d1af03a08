//! [`Call`]: one RPC with its options, and the retry loop that runs it.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use tokio::time::Instant;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::AsciiMetadataValue;
use tracing::Instrument as _;

use super::{Client, Rpc};
use crate::error::{Error, ErrorKind};
use crate::methods::ListRequest;
use crate::paging::{Items, Pager};
use crate::policy::retry_loop::{Attempt, DEADLINE_SLACK, RetryLoop};
use crate::policy::{
    BackoffPolicy, CallOptions, ExponentialBackoff, NeverRetry, NeverThrottle, RetryPolicy,
    RetryThrottler,
};
use crate::telemetry::CallTelemetry;
use crate::wire::{routing_header, routing_key, set_grpc_timeout};

/// One RPC call, ready to send: `.await` it (or call [`send`](Call::send)), after setting
/// per-call options if you like. List calls can also be turned into a [`Pager`] or an
/// [`Items`] stream.
///
/// What `.await` returns depends on the RPC: the response message for plain RPCs, an
/// [`Operation`](crate::Operation) for long-running ones, and the first page for List
/// methods.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a, R: Rpc> {
    client: &'a Client,
    request: R,
    options: CallOptions,
    /// A `request_id` was asked for an RPC that has none.
    no_request_id: bool,
}

impl<R: Rpc> std::fmt::Debug for Call<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The request may hold secrets (stream keys, passphrase references): not shown.
        f.debug_struct("Call")
            .field("method", &R::METHOD)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a, R: Rpc> Call<'a, R> {
    pub(crate) fn new(client: &'a Client, request: R) -> Self {
        Call {
            client,
            request,
            options: CallOptions::new(),
            no_request_id: false,
        }
    }

    /// Replaces the per-call options.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// The retry policy of this call.
    pub fn with_retry_policy(mut self, policy: impl RetryPolicy + 'static) -> Self {
        self.options = self.options.with_retry_policy(policy);
        self
    }

    /// The backoff of this call.
    pub fn with_backoff(mut self, backoff: impl BackoffPolicy + 'static) -> Self {
        self.options = self.options.with_backoff(backoff);
        self
    }

    /// The retry throttler of this call instead of the client's: [`NeverThrottle`] to
    /// retry as the policy says, or a shared one (`Arc<CircuitBreaker>`, ...).
    ///
    /// [`NeverThrottle`]: crate::policy::NeverThrottle
    pub fn with_retry_throttler(mut self, throttler: impl RetryThrottler + 'static) -> Self {
        self.options = self.options.with_retry_throttler(throttler);
        self
    }

    /// Whether this call may be retried after a failure that may have reached the service
    /// (see [`CallOptions::with_idempotency`]). `true` opts a call that is not idempotent
    /// into its retry policy: do it only if sending it twice is harmless for you (a
    /// `CancelOperation` of an operation you own, a `PreviewInput`).
    ///
    /// ```
    /// # use livestream_grpc::{Client, Method, emulator::{Emulator, FaultScript, LroTiming}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # tokio::time::pause();
    /// # let emulator = Emulator::builder().lro_timing(LroTiming::Manual).build();
    /// # let client = Client::from_service(emulator.service());
    /// use livestream_grpc::names::InputName;
    /// use livestream_grpc::v1::{input, Input};
    ///
    /// let name: InputName = "projects/my-project/locations/us-central1/inputs/my-input".parse()?;
    /// let input = Input { r#type: input::Type::RtmpPush as i32, ..Default::default() };
    /// let operation = client.create_input((&name, input)).await?;
    /// # emulator.inject_faults(Method::CancelOperation, FaultScript::codes([tonic::Code::Unavailable]));
    /// // Cancelling twice is harmless here: retry it on UNAVAILABLE like a read.
    /// let request = livestream_grpc::longrunning::CancelOperationRequest {
    ///     name: operation.name().to_owned(),
    ///     ..Default::default()
    /// };
    /// client.cancel_operation(request).with_idempotency(true).await?;
    /// # assert_eq!(emulator.call_count(Method::CancelOperation), 2);
    /// # Ok(()) }
    /// ```
    pub fn with_idempotency(mut self, idempotent: bool) -> Self {
        self.options = self.options.with_idempotency(idempotent);
        self
    }

    /// The overall deadline of this call, retries included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_timeout(timeout);
        self
    }

    /// The timeout of each attempt (sent as `grpc-timeout`).
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_attempt_timeout(timeout);
        self
    }

    /// Sends this `request_id` (for the 20 RPCs that have one; on any other RPC the call
    /// fails locally with [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest)).
    ///
    /// This is how a mutation whose outcome is unknown is resent safely: with the
    /// `request_id` of the failed call ([`Error::request_id`]), the service answers the
    /// first call's result if it took effect, and carries the request out if it did not.
    /// See [`Error::is_retryable`] for exactly when resending is safe.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        match self.request.request_id_mut() {
            Some(field) => *field = request_id.into(),
            None => self.no_request_id = true,
        }
        self
    }

    /// The request.
    pub fn request(&self) -> &R {
        &self.request
    }

    /// The request, to change it before sending.
    pub fn request_mut(&mut self) -> &mut R {
        &mut self.request
    }

    /// Sends the call: validates the request locally, fills an empty `request_id`, then
    /// runs the attempts the retry policy allows. An error carries the `request_id` sent
    /// ([`Error::request_id`]); so does a long-running operation
    /// ([`Operation::request_id`](crate::Operation::request_id)).
    pub async fn send(mut self) -> Result<R::Output, Error> {
        if self.no_request_id {
            let mut err = Error::local(
                ErrorKind::InvalidRequest,
                format!("{} has no `request_id`", R::METHOD.name()),
            );
            err.set_method(R::METHOD.name());
            return Err(err);
        }
        let request_id = fill_request_id(&mut self.request);
        let response = self.client.invoke(self.request, &self.options).await?;
        R::into_output(self.client, response, request_id.as_deref())
    }
}

impl<'a, R: Rpc + ListRequest> Call<'a, R> {
    /// Pages of results, as a `futures::Stream` of responses, carrying `page_size`,
    /// `filter` and `order_by` across pages (and these call options, on every page).
    pub fn by_page(self) -> Pager<R> {
        let client = self.client.clone();
        let options = self.options;
        Pager::new(
            self.request,
            Arc::new(move |request: R| {
                let client = client.clone();
                let options = options.clone();
                Box::pin(async move { client.invoke(request, &options).await })
            }),
        )
    }

    /// The items of every page, as a `futures::Stream`.
    pub fn by_item(self) -> Items<R> {
        self.by_page().items()
    }

    /// Collects the items of every page, stopping after `limit` items if given.
    pub async fn collect_items(self, limit: Option<usize>) -> Result<Vec<R::Item>, Error> {
        self.by_page().collect_items(limit).await
    }
}

impl<'a, R: Rpc> IntoFuture for Call<'a, R> {
    type Output = Result<R::Output, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What goes on the wire: the message itself when a single attempt is possible, or the
/// message shared by every attempt (a retry costs a reference count, not a deep clone),
/// each attempt encoding it straight into tonic's buffer. Encoding once up front instead
/// would cost every call an allocation and a copy, for the rare call that is retried.
enum Payload<M> {
    Message(M),
    Shared(Arc<M>),
}

struct PayloadCodec<M, U>(PhantomData<fn(M) -> U>);

struct PayloadEncoder<M>(PhantomData<fn(M)>);

impl<M: Message + Send + Sync + 'static> Encoder for PayloadEncoder<M> {
    type Item = Payload<M>;
    type Error = Status;

    fn encode(&mut self, item: Payload<M>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        match item {
            Payload::Message(message) => message.encode(dst),
            Payload::Shared(message) => message.encode(dst),
        }
        .map_err(|e| Status::internal(format!("encoding the request: {e}")))
    }
}

impl<M, U> Codec for PayloadCodec<M, U>
where
    M: Message + Send + Sync + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = Payload<M>;
    type Decode = U;
    type Encoder = PayloadEncoder<M>;
    type Decoder = ResponseDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        PayloadEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        ResponseDecoder(tonic_prost::ProstDecoder::default())
    }
}

struct ResponseDecoder<U>(tonic_prost::ProstDecoder<U>);

impl<U: Message + Default> Decoder for ResponseDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0.decode(src)
    }
}

/// The extra metadata of one call: the call's, then the client's for the method.
type ExtraMetadata<'o> = [Option<&'o tonic::metadata::MetadataMap>; 2];

static NEVER: NeverRetry = NeverRetry;
static NO_THROTTLE: NeverThrottle = NeverThrottle;

impl Client {
    /// Runs one RPC: local validation, `request_id`, routing header, then the retry loop
    /// ([`RetryLoop`]) around one tonic call per attempt.
    pub(crate) async fn invoke<R: Rpc>(
        &self,
        mut request: R,
        options: &CallOptions,
    ) -> Result<R::Response, Error> {
        let method = R::METHOD;
        let start = Instant::now();
        // Telemetry (src/telemetry.rs): the call span, retries, and the end of the call
        // recorded by `telemetry.succeeded` / `telemetry.failed`.
        let telemetry = CallTelemetry::start(method, start, self.inner.tracing);
        let span = telemetry.span();
        // Latencies are measured only for a subscriber that records the spans.
        let traced = telemetry.traced();
        let finish = |mut err: Error| {
            err.set_method(method.name());
            if let Some(target) = &self.inner.target {
                err.set_target(target);
            }
            err
        };

        let defaults = self.method_options(method);
        let fallback_backoff = ExponentialBackoff::rpc_default();
        // The settings of the call, resolved: per call, then the client's for the method.
        let retry_loop = RetryLoop {
            policy: options
                .retry
                .as_deref()
                .or(defaults.retry.as_deref())
                .unwrap_or(&NEVER),
            backoff: options
                .backoff
                .as_deref()
                .or(defaults.backoff.as_deref())
                .unwrap_or(&fallback_backoff),
            throttler: options
                .throttler
                .as_deref()
                .or(defaults.throttler.as_deref())
                .unwrap_or(&NO_THROTTLE),
            idempotent: options
                .idempotent
                .or(defaults.idempotent)
                .unwrap_or(method.is_idempotent()),
            timeout: options.timeout.or(defaults.timeout),
            attempt_timeout: options.attempt_timeout.or(defaults.attempt_timeout),
        };
        let metadata: ExtraMetadata<'_> = [options.metadata.as_ref(), defaults.metadata.as_ref()];

        if let Err(err) = request.validate() {
            telemetry.failed(&err);
            return Err(finish(err));
        }
        // Every error from here on names the request_id sent, so the caller can resend.
        let request_id = fill_request_id(&mut request);
        let routing = routing_header(method.routing_field(), request.routing_value());

        // A retryable request is shared by every attempt; a single-attempt request is sent
        // as is.
        let retry_possible = retry_loop.policy.attempt_limit() != Some(1);
        let (shared, mut single) = if retry_possible {
            (Some(Arc::new(request)), None)
        } else {
            (None, Some(request))
        };

        let attempt = |attempt: Attempt| {
            let payload = match (&shared, single.take()) {
                (Some(message), _) => Some(Payload::Shared(Arc::clone(message))),
                (None, Some(message)) => Some(Payload::Message(message)),
                // Unreachable: a policy limited to one attempt does not retry.
                (None, None) => None,
            };
            let tonic_request = payload
                .map(|payload| attempt_request(payload, &routing, &metadata, attempt.timeout));
            let attempt_span = tracing::debug_span!(
                parent: span,
                "livestream_grpc.attempt",
                rpc = method.name(),
                attempt = attempt.number,
                code = tracing::field::Empty,
                latency_us = tracing::field::Empty,
            );
            let mut grpc = self.grpc();
            async move {
                let Some(tonic_request) = tonic_request else {
                    return Err(Error::decode("internal: a request sent twice"));
                };
                let path = http::uri::PathAndQuery::from_static(method.path());
                let call = async move {
                    grpc.ready().await.map_err(Status::from_error)?;
                    grpc.unary(
                        tonic_request,
                        path,
                        PayloadCodec::<R, R::Response>(PhantomData),
                    )
                    .await
                }
                .instrument(attempt_span.clone());
                let result = match attempt.timeout {
                    Some(t) => tokio::time::timeout(t, call).await.unwrap_or_else(|_| {
                        Err(Status::deadline_exceeded(format!(
                            "attempt timed out after {t:?}"
                        )))
                    }),
                    None => call.await,
                };
                if traced {
                    let code = result
                        .as_ref()
                        .map_or_else(Status::code, |_| tonic::Code::Ok);
                    attempt_span.record("code", tracing::field::debug(code));
                    attempt_span.record("latency_us", attempt.start.elapsed().as_micros() as u64);
                }
                match result {
                    Ok(response) => Ok(response.into_inner()),
                    Err(status) => Err(Error::from_status(attempt_status(status, &attempt))),
                }
            }
        };
        let on_retry = |attempt: u32, err: &Error, delay: Duration| {
            telemetry.retried(err.code());
            tracing::debug!(
                parent: span,
                rpc = method.name(),
                attempt,
                code = ?err.code(),
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
        };
        let outcome = retry_loop
            .run(start, Instant::now, tokio::time::sleep, on_retry, attempt)
            .await;

        // The call ends here: its attempts, code, latency and whether a retry was throttled.
        match &outcome.result {
            Ok(_) => telemetry.succeeded(outcome.attempts),
            Err(err) => telemetry.failed(err),
        }
        outcome.result.map_err(|err| {
            let mut err = finish(err);
            err.set_request_id(request_id);
            err
        })
    }
}

/// A server that enforces the `grpc-timeout` we sent may end the attempt a moment before
/// our own timer fires: with DEADLINE_EXCEEDED as gRPC says, or with CANCELLED ("Timeout
/// expired") as tonic servers do. Either is this attempt's timeout, whoever noticed first.
fn attempt_status(status: Status, attempt: &Attempt) -> Status {
    match attempt.timeout {
        Some(t)
            if status.code() == tonic::Code::Cancelled
                && attempt.start.elapsed() + DEADLINE_SLACK >= t =>
        {
            Status::deadline_exceeded(format!(
                "attempt timed out after {t:?} (the server ended it: {})",
                status.message()
            ))
        }
        _ => status,
    }
}

/// Fills an empty `request_id` with a fresh UUIDv4 (kept by every attempt); returns the
/// `request_id` the request carries, if its RPC has one.
fn fill_request_id<R: Rpc>(request: &mut R) -> Option<String> {
    let id = request.request_id_mut()?;
    if id.is_empty() {
        *id = uuid::Uuid::new_v4().to_string();
    }
    Some(id.clone())
}

/// A fresh `tonic::Request` for one attempt: the routing header, extra metadata and
/// `grpc-timeout`.
fn attempt_request<R>(
    payload: Payload<R>,
    routing: &AsciiMetadataValue,
    extra_metadata: &ExtraMetadata<'_>,
    timeout: Option<Duration>,
) -> tonic::Request<Payload<R>> {
    let mut request = tonic::Request::new(payload);
    let metadata = request.metadata_mut();
    metadata.insert(routing_key(), routing.clone());
    for extra in extra_metadata.iter().flatten() {
        for kv in extra.iter() {
            if let tonic::metadata::KeyAndValueRef::Ascii(k, v) = kv
                && !metadata.contains_key(k)
            {
                metadata.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(t) = timeout {
        set_grpc_timeout(request.metadata_mut(), t);
    }
    request
}
