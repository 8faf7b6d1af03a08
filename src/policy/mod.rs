//! Retries, backoff and timeouts, as data: [`CallOptions`] per client and per call, the
//! per-method defaults ([`default_options`]), and [`PollingOptions`] for long-running
//! operations.
//!
//! # Defaults
//!
//! From the Live Stream service configuration (`livestream_grpc_service_config.json`), with
//! one deliberate extension:
//!
//! | methods | retried on | attempts | backoff | deadline |
//! |---|---|---|---|---|
//! | Get and List (the 13 of the service config, and the four Get/List of the Operations and Locations mixins) | `UNAVAILABLE` | 5 | 1 s, ×1.3, up to 10 s, full jitter | 60 s overall |
//! | mutations with a `request_id` (20: every Create, Update, Delete, Start and Stop) | `UNAVAILABLE` | 5 | same | 60 s overall |
//! | everything else (`PreviewInput`, `DeleteOperation`, `CancelOperation`, `WaitOperation`) | never | 1 | — | 60 s |
//!
//! The extension is the second row. The service ignores a request whose `request_id` it has
//! already seen (for at least 60 minutes), and the client fills an empty `request_id` with a
//! fresh UUIDv4 that it reuses unchanged on every attempt, so resending a mutation after
//! `UNAVAILABLE` cannot create a second resource or start a channel twice. The peers (the
//! official Rust and Python clients) never retry a create.
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
//! use livestream_grpc::policy::{CallOptions, NeverRetry, RetryCodes, RetryPolicyExt};
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

use std::sync::Arc;
use std::time::Duration;

use tonic::Code;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};

pub use backoff::{ExponentialBackoff, ExponentialBackoffBuilder};
pub use polling::{
    Aip194Strict, AlwaysContinue, LimitedPollingAttempts, LimitedPollingTime, PollingBackoffPolicy,
    PollingErrorPolicy, PollingErrorPolicyExt, PollingOptions, PollingState, StopOnError,
};
pub use retry::{
    LimitedAttempts, LimitedTime, NeverRetry, RetryCodes, RetryDecision, RetryPolicy,
    RetryPolicyExt, RetryState,
};

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

/// Options of a call: retry policy, backoff, overall deadline, per-attempt timeout and extra
/// request metadata. Every setting is optional; what is not set falls back to the client's
/// options for that method, then the client's options for every method, then the
/// [defaults](self#defaults).
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    pub(crate) retry: Option<Arc<dyn RetryPolicy>>,
    pub(crate) backoff: Option<ExponentialBackoff>,
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

    /// The backoff between attempts (a `google.rpc.RetryInfo` delay from the service wins).
    pub fn with_backoff(mut self, backoff: ExponentialBackoff) -> Self {
        self.backoff = Some(backoff);
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
    pub fn backoff(&self) -> Option<&ExponentialBackoff> {
        self.backoff.as_ref()
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
/// filled.
///
/// ```
/// use livestream_grpc::Method;
/// use livestream_grpc::policy::default_options;
///
/// let get = default_options(Method::GetChannel);
/// assert_eq!(get.retry_policy().unwrap().attempt_limit(), Some(5));
/// let preview = default_options(Method::PreviewInput);
/// assert_eq!(preview.retry_policy().unwrap().attempt_limit(), Some(1));
/// assert_eq!(preview.timeout(), Some(std::time::Duration::from_secs(60)));
/// ```
pub fn default_options(method: Method) -> CallOptions {
    let retry: Arc<dyn RetryPolicy> = match method.retry_class() {
        RetryClass::Read | RetryClass::IdempotentWrite => Arc::new(
            RetryCodes::new([Code::Unavailable])
                .with_attempt_limit(DEFAULT_ATTEMPTS)
                .with_time_limit(DEFAULT_TIMEOUT),
        ),
        RetryClass::Write => Arc::new(NeverRetry),
    };
    CallOptions {
        retry: Some(retry),
        backoff: Some(ExponentialBackoff::rpc_default()),
        timeout: Some(DEFAULT_TIMEOUT),
        attempt_timeout: None,
        metadata: None,
    }
}
