//! The retry loop, as a function of its own: it knows neither the client nor the network.
//! It takes the attempt as a closure, the sleep and the clock as functions, and the policy,
//! backoff, throttler, deadline and idempotency as [`RetryLoop`] settings, so that every
//! decision it makes is unit-tested on paused tokio time without a server (below), and
//! `Client::invoke` is this loop around one tonic call.
//!
//! After a failed attempt, in this order:
//!
//! 1. The attempt count is set on the error, and the retry policy is asked, with a
//!    [`RetryState`] (attempts, elapsed time, the next delay, idempotency, whether the
//!    request may have been sent). The next delay is the service's `RetryInfo` delay if it
//!    sent one, else the backoff's.
//! 2. The throttler is told the policy's decision.
//! 3. A `DEADLINE_EXCEEDED` at the overall deadline is the call's timeout.
//! 4. A failure that is not safe to retry (sent, and the call is not idempotent) is
//!    permanent, whatever the policy said.
//! 5. Permanent: the error as it is. Exhausted: the error marked exhausted.
//! 6. Continue: a timeout if the delay would end past the deadline; the error marked
//!    throttled (and exhausted) if the throttler refuses the retry; else sleep, and the next
//!    attempt.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::backoff::BackoffPolicy;
use super::retry::{RetryDecision, RetryPolicy, RetryState};
use super::saturating_add;
use super::throttle::RetryThrottler;
use crate::error::Error;

/// How much earlier than our own timer a server may end an attempt for its deadline: the
/// `grpc-timeout` header rounds the remaining time down to its unit (under a microsecond
/// below 100 s, under a millisecond below 100,000 s).
pub(crate) const DEADLINE_SLACK: Duration = Duration::from_millis(1);

/// The settings of one call's retry loop, resolved.
pub(crate) struct RetryLoop<'a> {
    pub(crate) policy: &'a dyn RetryPolicy,
    pub(crate) backoff: &'a dyn BackoffPolicy,
    pub(crate) throttler: &'a dyn RetryThrottler,
    /// Whether a failure that reached the service may be retried.
    pub(crate) idempotent: bool,
    /// The overall deadline, from the call's start.
    pub(crate) timeout: Option<Duration>,
    /// The bound on each attempt (capped by what is left of the overall deadline).
    pub(crate) attempt_timeout: Option<Duration>,
}

/// One attempt, as the loop hands it to the attempt closure.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt {
    /// 1 for the first attempt.
    pub(crate) number: u32,
    /// When it starts: the call's start for the first attempt.
    pub(crate) start: Instant,
    /// The time it may take (to send as `grpc-timeout` and enforce), if bounded.
    pub(crate) timeout: Option<Duration>,
}

/// How a call ended: its result, and the attempts sent (also on the error, if any).
#[derive(Debug)]
pub(crate) struct Outcome<T> {
    pub(crate) result: Result<T, Error>,
    pub(crate) attempts: u32,
}

impl<T> Outcome<T> {
    /// Whether the throttler refused a retry (the call ended on that).
    pub(crate) fn throttled(&self) -> bool {
        self.result.as_ref().is_err_and(Error::is_throttled)
    }
}

impl RetryLoop<'_> {
    /// Runs attempts from `start` until one succeeds or the settings end the call.
    ///
    /// `attempt` makes one attempt (it must bound it by [`Attempt::timeout`]); `sleep` waits
    /// between attempts; `clock` reads the time; `on_retry` is told each retry (attempt
    /// number, error, delay) before the sleep.
    pub(crate) async fn run<T, A, AF, S, SF, C, R>(
        &self,
        start: Instant,
        clock: C,
        sleep: S,
        mut on_retry: R,
        mut attempt: A,
    ) -> Outcome<T>
    where
        A: FnMut(Attempt) -> AF,
        AF: Future<Output = Result<T, Error>>,
        S: Fn(Duration) -> SF,
        SF: Future<Output = ()>,
        C: Fn() -> Instant,
        R: FnMut(u32, &Error, Duration),
    {
        let deadline = self.timeout.map(|t| saturating_add(start, t));
        let mut number = 0u32;
        loop {
            number += 1;
            // The first attempt starts with the call, so it sends the configured timeout
            // itself: a `grpc-timeout` that is the same on every call can stay in the HPACK
            // tables of both peers, where one that differs by microseconds per call is sent
            // in full and takes a new table entry each time.
            let attempt_start = if number == 1 { start } else { clock() };
            let remaining = deadline.map(|d| d.saturating_duration_since(attempt_start));
            if remaining == Some(Duration::ZERO) {
                return self.end(Err(self.deadline_error(None, number - 1)), number - 1);
            }
            let timeout = match (self.attempt_timeout, remaining) {
                (Some(a), Some(r)) => Some(a.min(r)),
                (a, r) => a.or(r),
            };
            let mut err = match attempt(Attempt {
                number,
                start: attempt_start,
                timeout,
            })
            .await
            {
                Ok(response) => {
                    self.throttler.on_success();
                    return self.end(Ok(response), number);
                }
                Err(err) => err,
            };
            err.set_attempts(number);
            let delay = err
                .retry_delay()
                .unwrap_or_else(|| self.backoff.next_delay(number));
            let now = clock();
            let state = RetryState {
                attempts: number,
                elapsed: now.saturating_duration_since(start),
                next_delay: delay,
                idempotent: self.idempotent,
                may_have_been_sent: err.may_have_been_sent(),
            };
            let decision = self.policy.on_error(&err, &state);
            self.throttler.on_failure(decision);
            // An attempt cut short by the overall deadline is the call's timeout.
            if err.code() == tonic::Code::DeadlineExceeded
                && deadline.is_some_and(|d| saturating_add(now, DEADLINE_SLACK) >= d)
            {
                return self.end(Err(self.deadline_error(Some(err), number)), number);
            }
            let decision = if state.is_safe_to_retry() {
                decision
            } else {
                RetryDecision::Permanent
            };
            match decision {
                RetryDecision::Permanent => return self.end(Err(err), number),
                RetryDecision::Exhausted => return self.end(Err(err.exhausted()), number),
                RetryDecision::Continue => {}
            }
            if deadline.is_some_and(|d| saturating_add(now, delay) >= d) {
                return self.end(Err(self.deadline_error(Some(err), number)), number);
            }
            if self.throttler.throttle_retry_attempt() {
                return self.end(Err(err.exhausted().throttled()), number);
            }
            on_retry(number, &err, delay);
            sleep(delay).await;
        }
    }

    fn end<T>(&self, result: Result<T, Error>, attempts: u32) -> Outcome<T> {
        Outcome { result, attempts }
    }

    fn deadline_error(&self, last: Option<Error>, attempts: u32) -> Error {
        let mut err = Error::timeout(
            format!(
                "the call's deadline of {:?} passed",
                self.timeout.unwrap_or_default()
            ),
            last,
        );
        err.set_attempts(attempts);
        err
    }
}
