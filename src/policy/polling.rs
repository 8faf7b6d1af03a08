//! How long-running operations are polled: [`PollingOptions`] with its
//! [`PollingErrorPolicy`] and [`PollingBackoffPolicy`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{DEFAULT_POLLING_TIMEOUT, ExponentialBackoff, RetryDecision};
use crate::error::Error;

/// Where a wait stands when a polling policy is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollingState {
    /// Polls sent so far in this wait (the failed one included, when asked about an error).
    pub attempts: u32,
    /// Time since the wait started.
    pub elapsed: Duration,
}

impl PollingState {
    /// A state, for testing policies.
    pub fn new(attempts: u32, elapsed: Duration) -> Self {
        PollingState { attempts, elapsed }
    }
}

/// Decides whether a failed poll ends the wait.
///
/// [`RetryDecision::Continue`] polls again after the backoff (unless that would pass the
/// polling timeout, which ends the wait as a timeout carrying the last failure);
/// [`Permanent`](RetryDecision::Permanent) returns the failure as it is;
/// [`Exhausted`](RetryDecision::Exhausted) returns it marked as exhausted
/// ([`Error::is_exhausted`], or a connection failure with its attempt count).
pub trait PollingErrorPolicy: Send + Sync + fmt::Debug {
    /// What to do after the poll that failed with `error`.
    fn on_error(&self, error: &Error, state: &PollingState) -> RetryDecision;
}

/// Chainable limits for every [`PollingErrorPolicy`].
pub trait PollingErrorPolicyExt: PollingErrorPolicy + Sized {
    /// Gives up (as exhausted) when `attempts` polls of one wait have been sent and the
    /// last one failed in a way the inner policy would keep polling through.
    fn with_attempt_limit(self, attempts: u32) -> LimitedPollingAttempts<Self> {
        LimitedPollingAttempts {
            inner: self,
            limit: attempts.max(1),
        }
    }

    /// Gives up (as exhausted) on a failure the inner policy would keep polling through,
    /// once `limit` has passed since the wait started (the polling timeout still bounds
    /// the whole wait).
    fn with_time_limit(self, limit: Duration) -> LimitedPollingTime<Self> {
        LimitedPollingTime { inner: self, limit }
    }
}

impl<P: PollingErrorPolicy> PollingErrorPolicyExt for P {}

/// The default polling error policy, after [AIP-194](https://google.aip.dev/194): keeps
/// polling through `UNAVAILABLE`, connection failures and transient credentials failures
/// ([`Error::is_retryable`]); any other failure is permanent. Bounded by the polling
/// timeout only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Aip194Strict;

impl PollingErrorPolicy for Aip194Strict {
    fn on_error(&self, error: &Error, _state: &PollingState) -> RetryDecision {
        if error.is_retryable() {
            RetryDecision::Continue
        } else {
            RetryDecision::Permanent
        }
    }
}

/// Any failed poll ends the wait (this crate's behaviour before polling error policies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StopOnError;

impl PollingErrorPolicy for StopOnError {
    fn on_error(&self, _error: &Error, _state: &PollingState) -> RetryDecision {
        RetryDecision::Permanent
    }
}

/// Keeps polling through every failure except local ones (a malformed operation name can
/// never succeed), within the polling timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlwaysContinue;

impl PollingErrorPolicy for AlwaysContinue {
    fn on_error(&self, error: &Error, _state: &PollingState) -> RetryDecision {
        if error.is_local() {
            RetryDecision::Permanent
        } else {
            RetryDecision::Continue
        }
    }
}

/// A polling error policy with an attempt limit: see
/// [`PollingErrorPolicyExt::with_attempt_limit`].
#[derive(Clone, Debug)]
pub struct LimitedPollingAttempts<P> {
    inner: P,
    limit: u32,
}

impl<P: PollingErrorPolicy> PollingErrorPolicy for LimitedPollingAttempts<P> {
    fn on_error(&self, error: &Error, state: &PollingState) -> RetryDecision {
        match self.inner.on_error(error, state) {
            RetryDecision::Continue if state.attempts >= self.limit => RetryDecision::Exhausted,
            decision => decision,
        }
    }
}

/// A polling error policy with a time limit: see
/// [`PollingErrorPolicyExt::with_time_limit`].
#[derive(Clone, Debug)]
pub struct LimitedPollingTime<P> {
    inner: P,
    limit: Duration,
}

impl<P: PollingErrorPolicy> PollingErrorPolicy for LimitedPollingTime<P> {
    fn on_error(&self, error: &Error, state: &PollingState) -> RetryDecision {
        match self.inner.on_error(error, state) {
            RetryDecision::Continue if state.elapsed >= self.limit => RetryDecision::Exhausted,
            decision => decision,
        }
    }
}

/// How long to wait before each poll.
pub trait PollingBackoffPolicy: Send + Sync + fmt::Debug {
    /// The delay before the next poll, `state.attempts` polls into the wait (0 before the
    /// first poll of an operation just started; a resumed operation's first poll is sent
    /// at once, without asking).
    fn wait_period(&self, state: &PollingState) -> Duration;
}

/// The n-th poll of a wait waits [`sleep_for(n)`](ExponentialBackoff::sleep_for): the
/// default, [`ExponentialBackoff::polling_default`], is 1 s, ×1.5, up to 20 s.
impl PollingBackoffPolicy for ExponentialBackoff {
    fn wait_period(&self, state: &PollingState) -> Duration {
        self.sleep_for(state.attempts.saturating_add(1))
    }
}

/// How long-running operations are polled: the bound on the whole wait (30 minutes by
/// default; never unbounded), the [`PollingErrorPolicy`] ([`Aip194Strict`]) and the
/// [`PollingBackoffPolicy`] (1 s, ×1.5, up to 20 s). Set per client
/// ([`ClientBuilder::with_polling_options`](crate::ClientBuilder::with_polling_options))
/// or per operation ([`Operation::with_polling_options`](crate::Operation::with_polling_options)).
///
/// A wait ([`Operation::wait`](crate::Operation::wait), `until_done`, `progress`,
/// `updates`) sends one `GetOperation` per poll, a single attempt each: the polling error
/// policy, not `GetOperation`'s retry policy, decides whether a failed poll ends the wait,
/// and the polling backoff paces every poll, failed or not. The polling timeout bounds it
/// all (30 minutes by default), whatever the policies say. (A single
/// [`Operation::poll`](crate::Operation::poll) is a plain `GetOperation` call, with that
/// method's retry policy.)
///
/// By default ([`Aip194Strict`]) a poll that fails with `UNAVAILABLE`, a connection failure
/// or a transient credentials failure is retried within the bound; any other failure ends
/// the wait with that error.
///
/// ```
/// use std::time::Duration;
/// use livestream_grpc::policy::{
///     Aip194Strict, ExponentialBackoff, PollingErrorPolicy, PollingErrorPolicyExt,
///     PollingOptions, PollingState, RetryDecision,
/// };
///
/// let polling = PollingOptions::new()
///     // poll through transient failures, but not once 10 polls have been sent
///     .with_error_policy(Aip194Strict.with_attempt_limit(10))
///     .with_backoff(
///         ExponentialBackoff::builder()
///             .with_initial_delay(Duration::from_secs(2))
///             .with_maximum_delay(Duration::from_secs(30))
///             .without_jitter()
///             .build()?,
///     )
///     .with_timeout(Duration::from_secs(20 * 60));
/// let unavailable: livestream_grpc::Error = tonic::Status::unavailable("down").into();
/// let state = PollingState::new(3, Duration::from_secs(40));
/// assert_eq!(polling.error_policy().on_error(&unavailable, &state), RetryDecision::Continue);
/// let state = PollingState::new(10, Duration::from_secs(90));
/// assert_eq!(polling.error_policy().on_error(&unavailable, &state), RetryDecision::Exhausted);
/// # Ok::<(), livestream_grpc::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PollingOptions {
    pub(crate) backoff: Arc<dyn PollingBackoffPolicy>,
    pub(crate) error_policy: Arc<dyn PollingErrorPolicy>,
    pub(crate) timeout: Duration,
}

impl Default for PollingOptions {
    /// 1 s, ×1.5, up to 20 s between polls, polling through transient failures, for at
    /// most 30 minutes.
    fn default() -> Self {
        PollingOptions {
            backoff: Arc::new(ExponentialBackoff::polling_default()),
            error_policy: Arc::new(Aip194Strict),
            timeout: DEFAULT_POLLING_TIMEOUT,
        }
    }
}

impl PollingOptions {
    /// The defaults.
    pub fn new() -> Self {
        PollingOptions::default()
    }

    /// The delays between polls (an [`ExponentialBackoff`], or your own policy).
    pub fn with_backoff(mut self, backoff: impl PollingBackoffPolicy + 'static) -> Self {
        self.backoff = Arc::new(backoff);
        self
    }

    /// The delays between polls, shared.
    pub fn with_shared_backoff(mut self, backoff: Arc<dyn PollingBackoffPolicy>) -> Self {
        self.backoff = backoff;
        self
    }

    /// Which failed polls end the wait.
    pub fn with_error_policy(mut self, policy: impl PollingErrorPolicy + 'static) -> Self {
        self.error_policy = Arc::new(policy);
        self
    }

    /// Which failed polls end the wait, shared.
    pub fn with_shared_error_policy(mut self, policy: Arc<dyn PollingErrorPolicy>) -> Self {
        self.error_policy = policy;
        self
    }

    /// The bound on the whole wait, from the moment waiting starts.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The delays between polls.
    pub fn backoff(&self) -> &Arc<dyn PollingBackoffPolicy> {
        &self.backoff
    }

    /// Which failed polls end the wait.
    pub fn error_policy(&self) -> &Arc<dyn PollingErrorPolicy> {
        &self.error_policy
    }

    /// The bound on the whole wait.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use tonic::Status;

    fn at(attempts: u32, secs: u64) -> PollingState {
        PollingState::new(attempts, Duration::from_secs(secs))
    }

    #[test]
    fn aip194_keeps_polling_through_transient_failures_only() {
        let transient = [
            Error::from_status(Status::unavailable("down")),
            Error::local(ErrorKind::Connect, "connection refused"),
        ];
        for err in &transient {
            assert_eq!(
                Aip194Strict.on_error(err, &at(100, 1000)),
                RetryDecision::Continue,
                "{err:?}"
            );
        }
        let permanent = [
            Error::from_status(Status::not_found("gone")),
            Error::from_status(Status::permission_denied("no")),
            Error::from_status(Status::deadline_exceeded("slow")),
            Error::local(ErrorKind::InvalidName, "bad name"),
            Error::decode("garbage"),
        ];
        for err in &permanent {
            assert_eq!(
                Aip194Strict.on_error(err, &at(1, 0)),
                RetryDecision::Permanent,
                "{err:?}"
            );
            assert_eq!(
                StopOnError.on_error(err, &at(1, 0)),
                RetryDecision::Permanent
            );
        }
        assert_eq!(
            StopOnError.on_error(&transient[0], &at(1, 0)),
            RetryDecision::Permanent
        );
        assert_eq!(
            AlwaysContinue.on_error(&permanent[0], &at(1, 0)),
            RetryDecision::Continue
        );
        assert_eq!(
            AlwaysContinue.on_error(&permanent[3], &at(1, 0)),
            RetryDecision::Permanent
        );
    }

    #[test]
    fn limits_turn_continue_into_exhausted_and_leave_permanent_alone() {
        let policy = Aip194Strict
            .with_attempt_limit(3)
            .with_time_limit(Duration::from_secs(60));
        let unavailable = Error::from_status(Status::unavailable("down"));
        let not_found = Error::from_status(Status::not_found("gone"));
        assert_eq!(
            policy.on_error(&unavailable, &at(2, 10)),
            RetryDecision::Continue
        );
        assert_eq!(
            policy.on_error(&unavailable, &at(3, 10)),
            RetryDecision::Exhausted
        );
        assert_eq!(
            policy.on_error(&unavailable, &at(1, 60)),
            RetryDecision::Exhausted
        );
        assert_eq!(
            policy.on_error(&not_found, &at(9, 99)),
            RetryDecision::Permanent
        );
        // 0 counts as 1: the first failed poll ends the wait.
        assert_eq!(
            Aip194Strict
                .with_attempt_limit(0)
                .on_error(&unavailable, &at(1, 0)),
            RetryDecision::Exhausted
        );
    }

    #[test]
    fn exponential_backoff_is_the_default_polling_backoff() {
        let options = PollingOptions::default();
        let delays: Vec<Duration> = (0..4)
            .map(|n| options.backoff().wait_period(&at(n, 0)))
            .collect();
        assert_eq!(
            delays,
            [1000, 1500, 2250, 3375].map(Duration::from_millis).to_vec()
        );
        assert_eq!(
            options.backoff().wait_period(&at(u32::MAX, 0)),
            Duration::from_secs(20)
        );
        assert_eq!(options.timeout(), DEFAULT_POLLING_TIMEOUT);
    }
}
