//! [`Call`]: one RPC with its options, and the retry loop that runs it.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use bytes::{BufMut, Bytes};
use prost::Message;
use tokio::time::Instant;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::AsciiMetadataValue;
use tracing::Instrument as _;

use super::{Client, ListRpc, Rpc};
use crate::error::Error;
use crate::paging::{Items, Pager};
use crate::policy::{CallOptions, ExponentialBackoff, NeverRetry, RetryPolicy, RetryState};
use crate::transport::{ROUTING_HEADER, routing_header};

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
    pub fn with_backoff(mut self, backoff: ExponentialBackoff) -> Self {
        self.options = self.options.with_backoff(backoff);
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

    /// The request.
    pub fn request(&self) -> &R {
        &self.request
    }

    /// The request, to change it before sending.
    pub fn request_mut(&mut self) -> &mut R {
        &mut self.request
    }

    /// Sends the call: validates the request locally, fills an empty `request_id`, then
    /// runs the attempts the retry policy allows.
    pub async fn send(self) -> Result<R::Output, Error> {
        let response = self.client.invoke(self.request, &self.options).await?;
        R::into_output(self.client, response)
    }
}

impl<'a, R: ListRpc> Call<'a, R> {
    /// Pages of results, as a `futures::Stream` of responses, carrying `page_size`,
    /// `filter` and `order_by` across pages.
    pub fn by_page(self) -> Pager<R> {
        Pager::new(self.client.clone(), self.request, self.options)
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

/// What goes on the wire: the message itself when a single attempt is possible, or its
/// encoding, shared by every attempt (a retry costs a reference count, not a deep clone).
enum Payload<M> {
    Message(M),
    Encoded(Bytes),
}

struct PayloadCodec<M, U>(PhantomData<fn(M) -> U>);

struct PayloadEncoder<M>(PhantomData<fn(M)>);

impl<M: Message + Send + Sync + 'static> Encoder for PayloadEncoder<M> {
    type Item = Payload<M>;
    type Error = Status;

    fn encode(&mut self, item: Payload<M>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        match item {
            Payload::Message(message) => message
                .encode(dst)
                .map_err(|e| Status::internal(format!("encoding the request: {e}"))),
            Payload::Encoded(bytes) => {
                dst.put(bytes);
                Ok(())
            }
        }
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

/// The settings of one call, resolved: per call, then the client's for the method.
struct Resolved<'o> {
    retry: &'o dyn RetryPolicy,
    backoff: &'o ExponentialBackoff,
    timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    metadata: [Option<&'o tonic::metadata::MetadataMap>; 2],
}

static NEVER: NeverRetry = NeverRetry;

impl Client {
    /// Runs one RPC: local validation, `request_id`, routing header, attempts, backoff.
    pub(crate) async fn invoke<R: Rpc>(
        &self,
        request: R,
        options: &CallOptions,
    ) -> Result<R::Response, Error> {
        let method = R::METHOD;
        let span = tracing::debug_span!(
            "livestream_grpc.call",
            rpc = method.name(),
            attempts = tracing::field::Empty,
            code = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .invoke_attempts(request, options)
            .instrument(span.clone())
            .await;
        span.record("latency_us", started.elapsed().as_micros() as u64);
        result.map_err(|mut e| {
            span.record("attempts", e.attempts());
            span.record("code", tracing::field::debug(e.code()));
            e.set_method(method.name());
            e
        })
    }

    async fn invoke_attempts<R: Rpc>(
        &self,
        mut request: R,
        options: &CallOptions,
    ) -> Result<R::Response, Error> {
        let method = R::METHOD;
        let defaults = self.method_options(method);
        let fallback_backoff = ExponentialBackoff::rpc_default();
        let settings = Resolved {
            retry: options
                .retry
                .as_deref()
                .or(defaults.retry.as_deref())
                .unwrap_or(&NEVER),
            backoff: options
                .backoff
                .as_ref()
                .or(defaults.backoff.as_ref())
                .unwrap_or(&fallback_backoff),
            timeout: options.timeout.or(defaults.timeout),
            attempt_timeout: options.attempt_timeout.or(defaults.attempt_timeout),
            metadata: [options.metadata.as_ref(), defaults.metadata.as_ref()],
        };

        request.validate()?;
        if let Some(id) = request.request_id_mut()
            && id.is_empty()
        {
            *id = uuid::Uuid::new_v4().to_string();
        }
        let routing = routing_header(method.routing_field(), request.routing_value());

        let start = Instant::now();
        let deadline = settings.timeout.map(|t| start + t);
        let retry_possible = settings.retry.attempt_limit() != Some(1);
        let mut payload = if retry_possible {
            Some(Payload::Encoded(Bytes::from(request.encode_to_vec())))
        } else {
            Some(Payload::Message(request))
        };

        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                return Err(deadline_error(settings.timeout, None, attempt - 1));
            }
            let attempt_timeout = match (settings.attempt_timeout, remaining) {
                (Some(a), Some(r)) => Some(a.min(r)),
                (a, r) => a.or(r),
            };
            // `Encoded` payloads are shared; a `Message` payload exists only when a single
            // attempt is possible, and is taken by it.
            let this_payload = match &payload {
                Some(Payload::Encoded(bytes)) => Payload::Encoded(bytes.clone()),
                _ => match payload.take() {
                    Some(p) => p,
                    // Unreachable: without retries the loop ends after the first attempt.
                    None => return Err(Error::decode("internal: a request sent twice")),
                },
            };
            let result = self
                .attempt::<R>(this_payload, &routing, &settings, attempt, attempt_timeout)
                .await;
            let status = match result {
                Ok(response) => {
                    let span = tracing::Span::current();
                    span.record("attempts", attempt);
                    span.record("code", tracing::field::debug(tonic::Code::Ok));
                    return Ok(response);
                }
                Err(status) => status,
            };
            let mut err = Error::from_status(status);
            err.set_attempts(attempt);
            // An attempt cut short by the overall deadline is the call's timeout.
            if err.code() == tonic::Code::DeadlineExceeded
                && deadline.is_some_and(|d| Instant::now() >= d)
            {
                return Err(deadline_error(settings.timeout, Some(err), attempt));
            }
            if !retry_possible {
                return Err(err);
            }
            let delay = err
                .retry_delay()
                .unwrap_or_else(|| settings.backoff.sleep_for(attempt));
            let state = RetryState::new(attempt, start.elapsed(), delay);
            if !settings.retry.should_retry(&err, &state) {
                // Retryable in principle, but the policy's limits stopped it.
                let first = RetryState::new(1, Duration::ZERO, Duration::ZERO);
                return Err(if settings.retry.should_retry(&err, &first) {
                    err.exhausted()
                } else {
                    err
                });
            }
            if let Some(d) = deadline
                && Instant::now() + delay >= d
            {
                return Err(deadline_error(settings.timeout, Some(err), attempt));
            }
            tracing::debug!(
                rpc = method.name(),
                attempt,
                code = ?err.code(),
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: a fresh `tonic::Request` with the routing header, extra metadata and
    /// `grpc-timeout`, bounded locally by the same timeout.
    async fn attempt<R: Rpc>(
        &self,
        payload: Payload<R>,
        routing: &AsciiMetadataValue,
        settings: &Resolved<'_>,
        attempt: u32,
        timeout: Option<Duration>,
    ) -> Result<R::Response, Status> {
        let span = tracing::debug_span!(
            "livestream_grpc.attempt",
            rpc = R::METHOD.name(),
            attempt,
            code = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        );
        let started = Instant::now();
        let mut request = tonic::Request::new(payload);
        let metadata = request.metadata_mut();
        metadata.insert(ROUTING_HEADER, routing.clone());
        for extra in settings.metadata.iter().flatten() {
            for kv in extra.iter() {
                if let tonic::metadata::KeyAndValueRef::Ascii(k, v) = kv
                    && !metadata.contains_key(k)
                {
                    metadata.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(t) = timeout {
            request.set_timeout(t);
        }
        let mut grpc = self.grpc();
        let path = http::uri::PathAndQuery::from_static(R::METHOD.path());
        let call = async move {
            grpc.ready().await.map_err(Status::from_error)?;
            grpc.unary(request, path, PayloadCodec::<R, R::Response>(PhantomData))
                .await
        };
        let result = match timeout {
            Some(t) => match tokio::time::timeout(t, call).instrument(span.clone()).await {
                Ok(result) => result,
                Err(_) => Err(Status::deadline_exceeded(format!(
                    "attempt timed out after {t:?}"
                ))),
            },
            None => call.instrument(span.clone()).await,
        };
        let code = match &result {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        };
        span.record("code", tracing::field::debug(code));
        span.record("latency_us", started.elapsed().as_micros() as u64);
        result.map(tonic::Response::into_inner)
    }
}

fn deadline_error(timeout: Option<Duration>, last: Option<Error>, attempts: u32) -> Error {
    let mut err = Error::timeout(
        format!(
            "the call's deadline of {:?} passed",
            timeout.unwrap_or_default()
        ),
        last,
    );
    err.set_attempts(attempts);
    err
}
