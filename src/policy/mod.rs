//! Retries, backoff, retry throttling and timeouts, as data: [`CallOptions`] per client and
//! per call, the per-method defaults ([`default_options`]), and [`PollingOptions`] for
//! long-running operations.
//!
//! Every call runs one retry loop (`policy::retry_loop`, a function of its own, unit-tested
//! without a server). After a failed attempt, the [`RetryPolicy`] returns a
//! [`RetryDecision`] from the error and a [`RetryState`] (attempts, elapsed time, next
//! delay, idempotency, whether the request may have been sent); the [`BackoffPolicy`] says
//! how long to wait (a `google.rpc.RetryInfo` delay from the service wins); the client's
//! [`RetryThrottler`] may refuse the retry; the overall deadline bounds it all.
//! **Idempotency comes first**: a failure that may have reached the service is retried only
//! if the call is idempotent, whatever the policy says.
//!
//! # Defaults
//!
//! From the Live Stream service configuration (`livestream_grpc_service_config.json`), with
//! two deliberate extensions:
//!
//! | methods ([`RetryClass`]) | idempotent | retried on | attempts | backoff | deadline |
//! |---|---|---|---|---|---|
//! | Get and List (`Read`: the 13 of the service config, and the four Get/List of the Operations and Locations mixins) | yes | `UNAVAILABLE` | 5 | 1 s, ×1.3, up to 10 s, full jitter | 60 s overall |
//! | mutations with a `request_id` (`IdempotentWrite`, 20: every Create, Update, Delete, Start and Stop) | yes, by the `request_id` | `UNAVAILABLE` | 5 | same | 60 s overall |
//! | everything else (`Write`: `PreviewInput`, `DeleteOperation`, `CancelOperation`, `WaitOperation`) | no | `UNAVAILABLE` that never reached the service (connection and credentials failures) | 5 | same | 60 s overall |
//!
//! Every method of a client shares one [`AdaptiveThrottler`] (factor 2.0), also shared by
//! the client's clones.
//!
//! The extensions are the second and third rows. The service ignores a request whose
//! `request_id` it has already seen (for at least 60 minutes), and the client fills an empty
//! `request_id` with a fresh UUIDv4 that it reuses unchanged on every attempt, so resending a
//! mutation after `UNAVAILABLE` cannot create a second resource or start a channel twice.
//! The peers (the official Rust and Python clients) never retry a create once sent. And a
//! connection failure means nothing was sent, so even a call that is not idempotent is
//! retried then (as google-cloud-gax does); the service configuration retries none of the
//! third row. The README's "Policies" section compares every default with Google's Python
//! and Rust clients.
//!
//! There is no separate per-attempt timeout by default: each attempt may use what is left
//! of the overall deadline, which is sent to the service as `grpc-timeout`.
//!
//! Long-running operations are polled every 1 s, ×1.5, up to 20 s, for at most 30 minutes
//! (a real channel start can take 15), polling through transient failures
//! ([`Aip194Strict`]): see [`PollingOptions`].
//!
//! # Overriding
//!
//! ```
//! use std::time::Duration;
//! use livestream_grpc::policy::{CallOptions, CircuitBreaker, NeverRetry, RetryCodes, RetryPolicyExt};
//! use livestream_grpc::{Client, Method};
//! use tonic::Code;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! # let running = livestream_grpc::emulator::Emulator::builder().start().await?;
//! let client = Client::builder()
//! #   .with_emulator_host(running.address().to_string())
//!     // every method: a 2 minute deadline
//!     .with_call_options(CallOptions::new().with_timeout(Duration::from_secs(120)))
//!     // one method: never retried
//!     .with_method_options(Method::StartChannel, CallOptions::new().with_retry_policy(NeverRetry))
//!     // one method that is not idempotent: retried like a read
//!     .with_method_options(Method::CancelOperation, CallOptions::new().with_idempotency(true))
//!     // a circuit breaker instead of the adaptive throttler
//!     .with_retry_throttler(CircuitBreaker::default())
//!     .build()
//!     .await?;
//! let location = "projects/p/locations/us-central1".parse::<livestream_grpc::names::LocationName>()?;
//! // one call: also retry ABORTED, 3 attempts, each attempt at most 5 s
//! let channels = client
//!     .list_channels(&location)
//!     .with_retry_policy(RetryCodes::new([Code::Unavailable, Code::Aborted]).with_attempt_limit(3))
//!     .with_attempt_timeout(Duration::from_secs(5))
//!     .await?;
//! assert!(channels.channels.is_empty());
//! # running.shutdown().await?;
//! # Ok(()) }
//! ```

mod backoff;
mod polling;
mod retry;
pub(crate) mod retry_loop;
mod throttle;

use std::sync::Arc;
use std::time::Duration;

use tonic::Code;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};

pub use backoff::{BackoffPolicy, ExponentialBackoff, ExponentialBackoffBuilder};
pub use polling::{
    Aip194Strict, AlwaysContinue, LimitedPollingAttempts, LimitedPollingTime, PollingBackoffPolicy,
    PollingErrorPolicy, PollingErrorPolicyExt, PollingOptions, PollingState, StopOnError,
};
pub use retry::{
    LimitedAttempts, LimitedTime, NeverRetry, RetryCodes, RetryDecision, RetryPolicy,
    RetryPolicyExt, RetryState,
};
pub use throttle::{AdaptiveThrottler, CircuitBreaker, NeverThrottle, RetryThrottler};

use crate::methods::Method;
pub use crate::methods::RetryClass;

/// `instant + duration`, or about 30 years from `instant` where that overflows (as tokio
/// does for its timers): a `Duration::MAX` timeout from a caller, or a huge `RetryInfo`
/// delay from a server, means "no bound in practice", never a panic.
pub(crate) fn saturating_add(
    instant: tokio::time::Instant,
    duration: Duration,
) -> tokio::time::Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);
    instant
        .checked_add(duration)
        .unwrap_or_else(|| instant + FAR_FUTURE)
}

/// The default overall deadline of every call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The default attempt limit of retried methods.
pub const DEFAULT_ATTEMPTS: u32 = 5;

/// The default bound on waiting for a long-running operation.
pub const DEFAULT_POLLING_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Options of a call: retry policy, backoff, retry throttler, idempotency, overall
/// deadline, per-attempt timeout and extra request metadata. Every setting is optional;
/// what is not set falls back to the client's options for that method, then the client's
/// options for every method, then the [defaults](self#defaults).
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    pub(crate) retry: Option<Arc<dyn RetryPolicy>>,
    pub(crate) backoff: Option<Arc<dyn BackoffPolicy>>,
    pub(crate) throttler: Option<Arc<dyn RetryThrottler>>,
    pub(crate) idempotent: Option<bool>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) metadata: Option<MetadataMap>,
}

impl CallOptions {
    /// No settings: everything falls back.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// The retry policy.
    pub fn with_retry_policy(mut self, policy: impl RetryPolicy + 'static) -> Self {
        self.retry = Some(Arc::new(policy));
        self
    }

    /// The retry policy, shared.
    pub fn with_shared_retry_policy(mut self, policy: Arc<dyn RetryPolicy>) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The backoff between attempts (a `google.rpc.RetryInfo` delay from the service wins):
    /// an [`ExponentialBackoff`] or any [`BackoffPolicy`].
    pub fn with_backoff(mut self, backoff: impl BackoffPolicy + 'static) -> Self {
        self.backoff = Some(Arc::new(backoff));
        self
    }

    /// The backoff, shared.
    pub fn with_shared_backoff(mut self, backoff: Arc<dyn BackoffPolicy>) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// The retry throttler (see [`RetryThrottler`]). A throttler keeps its counts in
    /// itself: give calls that should share them the same one
    /// ([`with_shared_retry_throttler`](Self::with_shared_retry_throttler)); a fresh one
    /// per call only makes sense for [`NeverThrottle`]. By default every call of a client
    /// shares the client's ([`ClientBuilder::with_retry_throttler`](crate::ClientBuilder::with_retry_throttler)).
    pub fn with_retry_throttler(mut self, throttler: impl RetryThrottler + 'static) -> Self {
        self.throttler = Some(Arc::new(throttler));
        self
    }

    /// The retry throttler, shared with other calls or clients.
    pub fn with_shared_retry_throttler(mut self, throttler: Arc<dyn RetryThrottler>) -> Self {
        self.throttler = Some(throttler);
        self
    }

    /// Whether a failure that may have reached the service can be retried: by default the
    /// method's [`is_idempotent`](Method::is_idempotent) (reads, and mutations with a
    /// `request_id`). `true` opts a call that is not idempotent (`PreviewInput`,
    /// `CancelOperation`, `DeleteOperation`, `WaitOperation`) into its retry policy; `false`
    /// retries only failures that never reached the service (connection and credentials
    /// failures).
    pub fn with_idempotency(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// The overall deadline of the call, retries and backoff included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The timeout of each attempt, sent as `grpc-timeout` (capped by what is left of the
    /// overall deadline). An attempt that times out fails with `DEADLINE_EXCEEDED`, which
    /// is retried only if the retry policy says so.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Adds a metadata entry (an HTTP/2 header) to every attempt.
    pub fn with_metadata(mut self, key: AsciiMetadataKey, value: AsciiMetadataValue) -> Self {
        self.metadata
            .get_or_insert_with(MetadataMap::new)
            .append(key, value);
        self
    }

    /// The retry policy, if set.
    pub fn retry_policy(&self) -> Option<&Arc<dyn RetryPolicy>> {
        self.retry.as_ref()
    }

    /// The backoff, if set.
    pub fn backoff(&self) -> Option<&Arc<dyn BackoffPolicy>> {
        self.backoff.as_ref()
    }

    /// The retry throttler, if set.
    pub fn retry_throttler(&self) -> Option<&Arc<dyn RetryThrottler>> {
        self.throttler.as_ref()
    }

    /// Whether failures that may have reached the service can be retried, if set.
    pub fn idempotency(&self) -> Option<bool> {
        self.idempotent
    }

    /// The overall deadline, if set.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The per-attempt timeout, if set.
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// Fills every setting not set here from `fallback`.
    pub(crate) fn or(mut self, fallback: &CallOptions) -> Self {
        if self.retry.is_none() {
            self.retry.clone_from(&fallback.retry);
        }
        if self.backoff.is_none() {
            self.backoff.clone_from(&fallback.backoff);
        }
        if self.throttler.is_none() {
            self.throttler.clone_from(&fallback.throttler);
        }
        self.idempotent = self.idempotent.or(fallback.idempotent);
        self.timeout = self.timeout.or(fallback.timeout);
        self.attempt_timeout = self.attempt_timeout.or(fallback.attempt_timeout);
        match (&mut self.metadata, &fallback.metadata) {
            (_, None) => {}
            (None, Some(m)) => self.metadata = Some(m.clone()),
            (Some(ours), Some(theirs)) => {
                for kv in theirs.iter() {
                    if let tonic::metadata::KeyAndValueRef::Ascii(k, v) = kv
                        && !ours.contains_key(k)
                    {
                        ours.append(k.clone(), v.clone());
                    }
                }
            }
        }
        self
    }
}

/// The default options of `method` (see the [table](self#defaults)): every setting is
/// filled but the retry throttler, which is the client's (one per client, shared by its
/// clones: [`ClientBuilder::with_retry_throttler`](crate::ClientBuilder::with_retry_throttler)).
///
/// ```
/// use livestream_grpc::Method;
/// use livestream_grpc::policy::default_options;
///
/// let get = default_options(Method::GetChannel);
/// assert_eq!(get.retry_policy().unwrap().attempt_limit(), Some(5));
/// assert_eq!(get.idempotency(), Some(true));
/// // Not idempotent: the same policy, but only for failures that never reached the service.
/// let preview = default_options(Method::PreviewInput);
/// assert_eq!(preview.retry_policy().unwrap().attempt_limit(), Some(5));
/// assert_eq!(preview.idempotency(), Some(false));
/// assert_eq!(preview.timeout(), Some(std::time::Duration::from_secs(60)));
/// assert!(preview.retry_throttler().is_none());
/// ```
pub fn default_options(method: Method) -> CallOptions {
    CallOptions {
        retry: Some(Arc::new(
            RetryCodes::new([Code::Unavailable])
                .with_attempt_limit(DEFAULT_ATTEMPTS)
                .with_time_limit(DEFAULT_TIMEOUT),
        )),
        backoff: Some(Arc::new(ExponentialBackoff::rpc_default())),
        throttler: None,
        idempotent: Some(method.is_idempotent()),
        timeout: Some(DEFAULT_TIMEOUT),
        attempt_timeout: None,
        metadata: None,
    }
}
