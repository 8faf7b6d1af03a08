//! Retry policies: which failures to retry, and for how long.
//!
//! A policy is a small trait; the built-in ones compose with chainable limits:
//!
//! ```
//! use std::time::Duration;
//! use livestream_grpc::policy::{RetryCodes, RetryDecision, RetryPolicy, RetryPolicyExt, RetryState};
//! use tonic::Code;
//!
//! let policy = RetryCodes::new([Code::Unavailable, Code::ResourceExhausted])
//!     .with_attempt_limit(3)
//!     .with_time_limit(Duration::from_secs(30));
//! assert_eq!(policy.attempt_limit(), Some(3));
//! let unavailable = livestream_grpc::Error::from(tonic::Status::unavailable("down"));
//! let after = |attempts| RetryState::new(attempts, Duration::from_secs(1), Duration::from_secs(1));
//! assert_eq!(policy.on_error(&unavailable, &after(1)), RetryDecision::Continue);
//! assert_eq!(policy.on_error(&unavailable, &after(3)), RetryDecision::Exhausted);
//! ```

use std::fmt;
use std::time::Duration;

use tonic::Code;

use crate::error::Error;

/// Where a call stands when a failed attempt is considered: what a [`RetryPolicy`] decides
/// from, besides the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryState {
    /// Attempts made so far (1 after the first failure).
    pub attempts: u32,
    /// Time since the first attempt started.
    pub elapsed: Duration,
    /// How long the client would sleep before the next attempt (the service's
    /// `google.rpc.RetryInfo` delay if it sent one, else the backoff's).
    pub next_delay: Duration,
    /// Whether sending the request twice has the effect of sending it once: the method's
    /// ([`Method::is_idempotent`](crate::Method::is_idempotent): reads, and mutations with a
    /// `request_id`), unless the call or the client set it
    /// ([`CallOptions::with_idempotency`](super::CallOptions::with_idempotency)).
    pub idempotent: bool,
    /// Whether the failed request may have reached the service. `false` for a connection
    /// failure or a credentials failure: nothing was sent, so retrying is safe even when
    /// the call is not idempotent.
    pub may_have_been_sent: bool,
}

impl RetryState {
    /// The state after `attempts` attempts of an idempotent call whose last request may have
    /// been sent: for testing policies (see [`with_idempotency`](Self::with_idempotency) and
    /// [`with_may_have_been_sent`](Self::with_may_have_been_sent) for the other cases).
    pub fn new(attempts: u32, elapsed: Duration, next_delay: Duration) -> Self {
        RetryState {
            attempts,
            elapsed,
            next_delay,
            idempotent: true,
            may_have_been_sent: true,
        }
    }

    /// Sets whether the call is idempotent.
    pub fn with_idempotency(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Sets whether the failed request may have reached the service.
    pub fn with_may_have_been_sent(mut self, sent: bool) -> Self {
        self.may_have_been_sent = sent;
        self
    }

    /// Whether another attempt is safe whatever the policy says: the call is idempotent, or
    /// the failed request never reached the service.
    pub fn is_safe_to_retry(&self) -> bool {
        self.idempotent || !self.may_have_been_sent
    }
}

/// What a retry (or polling error) policy decides about one failure: the three outcomes a
/// caller must tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again, after the backoff delay.
    Continue,
    /// The failure is not one to retry: it is returned as it is.
    Permanent,
    /// The failure would be retried, but a limit (attempts, time) is reached: it is returned
    /// marked as exhausted.
    Exhausted,
}

/// Decides what follows a failed attempt: [`RetryDecision::Continue`] (another attempt
/// after the backoff), [`Permanent`](RetryDecision::Permanent) (the failure is not
/// transient) or [`Exhausted`](RetryDecision::Exhausted) (it is, but a limit is reached).
///
/// **Idempotency comes first, whatever the policy says.** The client retries a failure only
/// when it is safe: the call is idempotent ([`RetryState::idempotent`]), or the failed
/// request never reached the service ([`RetryState::may_have_been_sent`] is `false`: a
/// connection or credentials failure). Otherwise the failure is returned as permanent,
/// after the policy was asked (it is what tells the [retry throttler](super::RetryThrottler)
/// a transient failure from a permanent one). A call that is not idempotent opts in with
/// [`Call::with_idempotency`](crate::Call::with_idempotency) or
/// [`CallOptions::with_idempotency`](super::CallOptions::with_idempotency). Local
/// validation errors are never sent and never retried.
pub trait RetryPolicy: Send + Sync + fmt::Debug {
    /// What follows `error`, the failure of attempt `state.attempts`.
    fn on_error(&self, error: &Error, state: &RetryState) -> RetryDecision;

    /// The most attempts this policy allows (first attempt included), if it is bounded.
    /// `Some(1)` means the client never retries, and so never keeps a copy of the request.
    fn attempt_limit(&self) -> Option<u32> {
        None
    }
}

/// Chainable limits for every [`RetryPolicy`]: a failure the inner policy would retry
/// becomes [`RetryDecision::Exhausted`] past the limit.
pub trait RetryPolicyExt: RetryPolicy + Sized {
    /// Stops after `attempts` attempts in total (the first one included; 0 counts as 1).
    fn with_attempt_limit(self, attempts: u32) -> LimitedAttempts<Self> {
        LimitedAttempts {
            inner: self,
            limit: attempts.max(1),
        }
    }

    /// Stops when the next attempt would start more than `limit` after the first one.
    fn with_time_limit(self, limit: Duration) -> LimitedTime<Self> {
        LimitedTime { inner: self, limit }
    }
}

impl<P: RetryPolicy> RetryPolicyExt for P {}

/// Retries failures whose gRPC code is in a set (transient failures such as connection
/// errors count as `UNAVAILABLE`); every other failure is permanent, and so are local
/// errors, failed long-running operations and undecodable responses, whatever their code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryCodes {
    codes: Vec<Code>,
}

impl RetryCodes {
    /// Retries the given codes.
    pub fn new(codes: impl IntoIterator<Item = Code>) -> Self {
        RetryCodes {
            codes: codes.into_iter().collect(),
        }
    }

    /// The codes that are retried.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }
}

impl RetryPolicy for RetryCodes {
    fn on_error(&self, error: &Error, _state: &RetryState) -> RetryDecision {
        let transient = !error.is_local()
            && !error.is_operation_failure()
            && error.kind() != crate::ErrorKind::Decode
            && self.codes.contains(&error.code());
        if transient {
            RetryDecision::Continue
        } else {
            RetryDecision::Permanent
        }
    }
}

/// Never retries: every failure is permanent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeverRetry;

impl RetryPolicy for NeverRetry {
    fn on_error(&self, _error: &Error, _state: &RetryState) -> RetryDecision {
        RetryDecision::Permanent
    }

    fn attempt_limit(&self) -> Option<u32> {
        Some(1)
    }
}

/// A policy with an attempt limit: see [`RetryPolicyExt::with_attempt_limit`].
#[derive(Clone, Debug)]
pub struct LimitedAttempts<P> {
    inner: P,
    limit: u32,
}

impl<P: RetryPolicy> RetryPolicy for LimitedAttempts<P> {
    fn on_error(&self, error: &Error, state: &RetryState) -> RetryDecision {
        match self.inner.on_error(error, state) {
            RetryDecision::Continue if state.attempts >= self.limit => RetryDecision::Exhausted,
            decision => decision,
        }
    }

    fn attempt_limit(&self) -> Option<u32> {
        Some(
            self.inner
                .attempt_limit()
                .map_or(self.limit, |l| l.min(self.limit)),
        )
    }
}

/// A policy with a time limit: see [`RetryPolicyExt::with_time_limit`].
#[derive(Clone, Debug)]
pub struct LimitedTime<P> {
    inner: P,
    limit: Duration,
}

impl<P: RetryPolicy> RetryPolicy for LimitedTime<P> {
    fn on_error(&self, error: &Error, state: &RetryState) -> RetryDecision {
        match self.inner.on_error(error, state) {
            RetryDecision::Continue
                if state.elapsed.saturating_add(state.next_delay) >= self.limit =>
            {
                RetryDecision::Exhausted
            }
            decision => decision,
        }
    }

    fn attempt_limit(&self) -> Option<u32> {
        self.inner.attempt_limit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Status;

    fn unavailable() -> Error {
        Error::from_status(Status::unavailable("down"))
    }

    #[test]
    fn codes_limits_and_composition() {
        use RetryDecision::*;
        let policy = RetryCodes::new([Code::Unavailable])
            .with_attempt_limit(5)
            .with_time_limit(Duration::from_secs(60));
        let at =
            |attempts, secs| RetryState::new(attempts, Duration::from_secs(secs), Duration::ZERO);
        assert_eq!(policy.on_error(&unavailable(), &at(1, 0)), Continue);
        assert_eq!(policy.on_error(&unavailable(), &at(4, 30)), Continue);
        assert_eq!(
            policy.on_error(&unavailable(), &at(5, 30)),
            Exhausted,
            "attempt limit"
        );
        assert_eq!(
            policy.on_error(&unavailable(), &at(2, 60)),
            Exhausted,
            "time limit"
        );
        let not_found = Error::from_status(Status::not_found("no"));
        assert_eq!(policy.on_error(&not_found, &at(1, 0)), Permanent);
        assert_eq!(
            policy.on_error(&not_found, &at(5, 60)),
            Permanent,
            "a permanent failure stays permanent past the limits"
        );
        assert_eq!(NeverRetry.on_error(&unavailable(), &at(1, 0)), Permanent);
        assert_eq!(policy.attempt_limit(), Some(5));
        assert_eq!(NeverRetry.with_attempt_limit(3).attempt_limit(), Some(1));
        assert_eq!(
            RetryCodes::new([]).with_attempt_limit(0).attempt_limit(),
            Some(1)
        );
    }

    #[test]
    fn time_limit_counts_the_next_sleep() {
        let policy = RetryCodes::new([Code::Unavailable]).with_time_limit(Duration::from_secs(10));
        let state = RetryState::new(1, Duration::from_secs(8), Duration::from_secs(3));
        assert_eq!(
            policy.on_error(&unavailable(), &state),
            RetryDecision::Exhausted
        );
        let state = RetryState::new(1, Duration::from_secs(6), Duration::from_secs(3));
        assert_eq!(
            policy.on_error(&unavailable(), &state),
            RetryDecision::Continue
        );
    }

    #[test]
    fn local_operation_and_decode_errors_are_permanent_whatever_their_code() {
        let policy = RetryCodes::new([Code::InvalidArgument, Code::Internal, Code::Unavailable]);
        let state = RetryState::new(1, Duration::ZERO, Duration::ZERO);
        let local = Error::local(crate::ErrorKind::InvalidName, "bad name");
        let operation = Error::operation_failed("op", Status::unavailable("failed"));
        let decode = Error::decode("wrong type");
        for err in [local, operation, decode] {
            assert_eq!(
                policy.on_error(&err, &state),
                RetryDecision::Permanent,
                "{err:?}"
            );
        }
    }

    #[test]
    fn the_state_says_when_a_retry_is_safe() {
        let state = RetryState::new(1, Duration::ZERO, Duration::ZERO);
        assert!(state.is_safe_to_retry());
        assert!(!state.with_idempotency(false).is_safe_to_retry());
        assert!(
            state
                .with_idempotency(false)
                .with_may_have_been_sent(false)
                .is_safe_to_retry()
        );
    }
}
