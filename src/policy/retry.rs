//! Retry policies: which failures to retry, and for how long.
//!
//! A policy is a small trait; the built-in ones compose with chainable limits:
//!
//! ```
//! use std::time::Duration;
//! use livestream_grpc::policy::{RetryCodes, RetryPolicy, RetryPolicyExt};
//! use tonic::Code;
//!
//! let policy = RetryCodes::new([Code::Unavailable, Code::ResourceExhausted])
//!     .with_attempt_limit(3)
//!     .with_time_limit(Duration::from_secs(30));
//! assert_eq!(policy.attempt_limit(), Some(3));
//! ```

use std::fmt;
use std::time::Duration;

use tonic::Code;

use crate::error::Error;

/// Where a call stands when a retry is considered.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RetryState {
    /// Attempts made so far (1 after the first failure).
    pub attempts: u32,
    /// Time since the first attempt started.
    pub elapsed: Duration,
    /// How long the client would sleep before the next attempt.
    pub next_delay: Duration,
}

impl RetryState {
    /// A state, for testing policies.
    pub fn new(attempts: u32, elapsed: Duration, next_delay: Duration) -> Self {
        RetryState {
            attempts,
            elapsed,
            next_delay,
        }
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

/// Decides whether a failed attempt is retried.
///
/// The client only ever asks about failures that may be retried safely: reads, and
/// mutations that carry a `request_id` (which the client fills in), so the service ignores
/// a repeated one. Local validation errors are never retried.
pub trait RetryPolicy: Send + Sync + fmt::Debug {
    /// Whether to make another attempt after `error`.
    fn should_retry(&self, error: &Error, state: &RetryState) -> bool;

    /// The most attempts this policy allows (first attempt included), if it is bounded.
    /// `Some(1)` means the client never retries, and so never keeps a copy of the request.
    fn attempt_limit(&self) -> Option<u32> {
        None
    }
}

/// Chainable limits for every [`RetryPolicy`].
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
/// errors count as `UNAVAILABLE`).
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
    fn should_retry(&self, error: &Error, _state: &RetryState) -> bool {
        !error.is_local()
            && !error.is_operation_failure()
            && error.kind() != crate::ErrorKind::Decode
            && self.codes.contains(&error.code())
    }
}

/// Never retries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeverRetry;

impl RetryPolicy for NeverRetry {
    fn should_retry(&self, _error: &Error, _state: &RetryState) -> bool {
        false
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
    fn should_retry(&self, error: &Error, state: &RetryState) -> bool {
        state.attempts < self.limit && self.inner.should_retry(error, state)
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
    fn should_retry(&self, error: &Error, state: &RetryState) -> bool {
        state.elapsed.saturating_add(state.next_delay) < self.limit
            && self.inner.should_retry(error, state)
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
        let policy = RetryCodes::new([Code::Unavailable])
            .with_attempt_limit(5)
            .with_time_limit(Duration::from_secs(60));
        let at =
            |attempts, secs| RetryState::new(attempts, Duration::from_secs(secs), Duration::ZERO);
        assert!(policy.should_retry(&unavailable(), &at(1, 0)));
        assert!(policy.should_retry(&unavailable(), &at(4, 30)));
        assert!(
            !policy.should_retry(&unavailable(), &at(5, 30)),
            "attempt limit"
        );
        assert!(
            !policy.should_retry(&unavailable(), &at(2, 60)),
            "time limit"
        );
        let not_found = Error::from_status(Status::not_found("no"));
        assert!(!policy.should_retry(&not_found, &at(1, 0)));
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
        assert!(!policy.should_retry(&unavailable(), &state));
    }
}
