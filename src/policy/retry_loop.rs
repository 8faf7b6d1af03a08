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
    /// Whether the throttler refused a retry (the call ended on that). The client reads it
    /// off the error (`telemetry`); the loop's tests read it here.
    #[cfg(test)]
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

/// The loop on paused tokio time, without a server: each test scripts the attempts'
/// results and checks the outcome, the attempts' timeouts and the time slept.
#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use tonic::{Code, Status};

    use super::*;
    use crate::ErrorKind;
    use crate::methods::{Method, RetryClass};
    use crate::policy::{
        AdaptiveThrottler, CircuitBreaker, ExponentialBackoff, NeverRetry, NeverThrottle,
        RetryCodes, RetryPolicyExt, default_options,
    };

    fn unavailable() -> Error {
        Error::from_status(Status::unavailable("down"))
    }

    fn connect_failure() -> Error {
        let mut status = Status::unavailable("tcp connect error");
        status.set_source(Arc::new(tonic::ConnectError("connection refused".into())));
        Error::from_status(status)
    }

    fn not_found() -> Error {
        Error::from_status(Status::not_found("no"))
    }

    fn with_retry_delay(delay: Duration) -> Error {
        let details = tonic_types::ErrorDetails::with_retry_info(Some(delay));
        Error::from_status(<Status as tonic_types::StatusExt>::with_error_details(
            Code::Unavailable,
            "slow down",
            details,
        ))
    }

    /// 1 s, ×1.3, up to 10 s, without jitter.
    fn exact() -> ExponentialBackoff {
        ExponentialBackoff::builder()
            .without_jitter()
            .build()
            .unwrap()
    }

    fn settings<'a>(
        policy: &'a dyn RetryPolicy,
        backoff: &'a dyn BackoffPolicy,
        throttler: &'a dyn RetryThrottler,
    ) -> RetryLoop<'a> {
        RetryLoop {
            policy,
            backoff,
            throttler,
            idempotent: true,
            timeout: Some(Duration::from_secs(60)),
            attempt_timeout: None,
        }
    }

    /// What a run did.
    struct Run {
        outcome: Outcome<u32>,
        attempts: Vec<Attempt>,
        elapsed: Duration,
        retries: Vec<(u32, Duration)>,
    }

    /// Runs the loop: attempt n fails with the n-th of `failures`, or succeeds with n once
    /// they are used up.
    async fn run(settings: &RetryLoop<'_>, failures: impl IntoIterator<Item = Error>) -> Run {
        let failures = Mutex::new(failures.into_iter().collect::<VecDeque<_>>());
        let attempts = Mutex::new(Vec::new());
        let mut retries = Vec::new();
        let start = Instant::now();
        let outcome = settings
            .run(
                start,
                Instant::now,
                tokio::time::sleep,
                |n, _: &Error, delay| retries.push((n, delay)),
                |attempt: Attempt| {
                    attempts.lock().unwrap().push(attempt);
                    let next = failures.lock().unwrap().pop_front();
                    async move { next.map_or(Ok(attempt.number), Err) }
                },
            )
            .await;
        Run {
            outcome,
            attempts: attempts.into_inner().unwrap(),
            elapsed: start.elapsed(),
            retries,
        }
    }

    fn always(err: fn() -> Error) -> impl Iterator<Item = Error> {
        std::iter::repeat_with(err).take(1000)
    }

    #[tokio::test(start_paused = true)]
    async fn success_first_time_costs_one_attempt_and_tells_the_throttler() {
        let breaker = CircuitBreaker::new(100, 50, 10).unwrap();
        breaker.on_failure(RetryDecision::Continue);
        let (policy, backoff) = (RetryCodes::new([Code::Unavailable]), exact());
        let r = run(&settings(&policy, &backoff, &breaker), []).await;
        assert_eq!(r.outcome.result.unwrap(), 1);
        assert_eq!(r.outcome.attempts, 1);
        assert_eq!(r.elapsed, Duration::ZERO);
        assert_eq!(breaker.tokens(), 91);
        assert_eq!(
            r.attempts[0].timeout,
            Some(Duration::from_secs(60)),
            "the first attempt may use the whole deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_and_permanent_failures_end_the_call_differently() {
        let backoff = exact();
        let policy = RetryCodes::new([Code::Unavailable]).with_attempt_limit(3);
        let s = settings(&policy, &backoff, &NeverThrottle);

        let r = run(&s, always(unavailable)).await;
        assert!(!r.outcome.throttled());
        let err = r.outcome.result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
        assert_eq!((err.attempts(), r.outcome.attempts), (3, 3));
        assert!(!err.is_throttled());
        assert_eq!(
            r.retries,
            [
                (1, Duration::from_secs(1)),
                (2, Duration::from_millis(1300))
            ]
        );
        assert_eq!(r.elapsed, Duration::from_millis(2300));

        let r = run(&s, [unavailable(), not_found()]).await;
        let err = r.outcome.result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Status, "permanent: as it is");
        assert!(err.is_not_found() && err.attempts() == 2, "{err:?}");

        // A connection failure keeps its kind when retries run out.
        let r = run(&s, always(connect_failure)).await;
        let err = r.outcome.result.unwrap_err();
        assert_eq!((err.kind(), err.attempts()), (ErrorKind::Connect, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_bounds_attempts_and_sleeps() {
        let backoff = exact();
        let policy = RetryCodes::new([Code::Unavailable, Code::DeadlineExceeded]);
        let mut s = settings(&policy, &backoff, &NeverThrottle);
        s.timeout = Some(Duration::from_secs(3));

        // Attempts at 0 s, 1 s and 2.3 s; the next would start at 3.99 s.
        let r = run(&s, always(unavailable)).await;
        let err = r.outcome.result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
        assert!(err.is_unavailable() || err.code() == Code::DeadlineExceeded);
        assert_eq!(err.attempts(), 3);
        assert_eq!(r.elapsed, Duration::from_millis(2300));
        let timeouts: Vec<_> = r.attempts.iter().map(|a| a.timeout).collect();
        assert_eq!(
            timeouts,
            [
                Some(Duration::from_secs(3)),
                Some(Duration::from_secs(2)),
                Some(Duration::from_millis(700))
            ],
            "each attempt gets what is left"
        );

        // A per-attempt timeout is capped by what is left.
        s.attempt_timeout = Some(Duration::from_secs(1));
        let r = run(&s, [unavailable(), unavailable()]).await;
        let timeouts: Vec<_> = r.attempts.iter().map(|a| a.timeout).collect();
        assert_eq!(
            timeouts,
            [
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(1)),
                Some(Duration::from_millis(700))
            ]
        );

        // DEADLINE_EXCEEDED at the deadline is the call's timeout, even though the
        // policy retries the code.
        s.attempt_timeout = None;
        let expired = Error::from_status(Status::deadline_exceeded("expired"));
        let r = {
            let failures = Mutex::new(Some(expired));
            s.run(
                Instant::now(),
                Instant::now,
                tokio::time::sleep,
                |_, _: &Error, _| {},
                |attempt: Attempt| {
                    let failure = failures.lock().unwrap().take();
                    async move {
                        tokio::time::sleep(attempt.timeout.unwrap_or_default()).await;
                        failure.map_or(Ok(0u32), Err)
                    }
                },
            )
            .await
        };
        let err = r.result.unwrap_err();
        assert_eq!((err.kind(), err.attempts()), (ErrorKind::Timeout, 1));

        // No time at all: no attempt.
        s.timeout = Some(Duration::ZERO);
        let r = run(&s, []).await;
        let err = r.outcome.result.unwrap_err();
        assert_eq!((err.kind(), err.attempts()), (ErrorKind::Timeout, 0));
        assert!(r.attempts.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_info_delay_wins_over_the_backoff() {
        let backoff = exact();
        let policy = RetryCodes::new([Code::Unavailable]);
        let s = settings(&policy, &backoff, &NeverThrottle);
        let r = run(
            &s,
            [with_retry_delay(Duration::from_secs(7)), unavailable()],
        )
        .await;
        assert_eq!(r.outcome.result.unwrap(), 3);
        assert_eq!(
            r.retries,
            [
                (1, Duration::from_secs(7)),
                (2, Duration::from_millis(1300))
            ]
        );
        assert_eq!(r.elapsed, Duration::from_millis(8300));

        // One the deadline cannot wait for ends the call at once.
        let r = run(&s, [with_retry_delay(Duration::from_secs(600))]).await;
        let err = r.outcome.result.unwrap_err();
        assert_eq!((err.kind(), err.attempts()), (ErrorKind::Timeout, 1));
        assert_eq!(r.elapsed, Duration::ZERO);
    }

    /// Records what the loop tells it, and refuses retries when told to.
    #[derive(Debug, Default)]
    struct Recorder {
        refuse: bool,
        seen: Mutex<Vec<RetryDecision>>,
        successes: Mutex<u32>,
    }

    impl RetryThrottler for Recorder {
        fn throttle_retry_attempt(&self) -> bool {
            self.refuse
        }
        fn on_failure(&self, decision: RetryDecision) {
            self.seen.lock().unwrap().push(decision);
        }
        fn on_success(&self) {
            *self.successes.lock().unwrap() += 1;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn idempotency_decides_whether_a_sent_failure_is_retried() {
        let backoff = exact();
        let policy = RetryCodes::new([Code::Unavailable]);
        let recorder = Recorder::default();
        let mut s = settings(&policy, &backoff, &recorder);
        s.idempotent = false;

        // Sent, not idempotent: permanent, though the policy would retry it (and the
        // throttler hears the policy: a transient failure).
        let r = run(&s, [unavailable()]).await;
        let err = r.outcome.result.unwrap_err();
        assert_eq!((err.kind(), err.attempts()), (ErrorKind::Status, 1));
        assert_eq!(*recorder.seen.lock().unwrap(), [RetryDecision::Continue]);

        // Never sent: retried all the same.
        let r = run(&s, [connect_failure(), connect_failure()]).await;
        assert_eq!(r.outcome.result.unwrap(), 3);
        assert_eq!(*recorder.successes.lock().unwrap(), 1);

        // A custom policy sees both facts in the state.
        #[derive(Debug)]
        struct Spy(Mutex<Vec<(bool, bool)>>);
        impl RetryPolicy for Spy {
            fn on_error(&self, _: &Error, state: &RetryState) -> RetryDecision {
                self.0
                    .lock()
                    .unwrap()
                    .push((state.idempotent, state.may_have_been_sent));
                RetryDecision::Continue
            }
        }
        let spy = Spy(Mutex::default());
        let s = RetryLoop {
            policy: &spy,
            ..settings(&policy, &backoff, &NeverThrottle)
        };
        run(&s, [connect_failure(), unavailable()])
            .await
            .outcome
            .result
            .unwrap();
        assert_eq!(*spy.0.lock().unwrap(), [(true, false), (true, true)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_retry_returns_the_last_error_with_the_true_attempt_count() {
        let backoff = exact();
        let policy = RetryCodes::new([Code::Unavailable]);
        let recorder = Recorder {
            refuse: true,
            ..Recorder::default()
        };
        let r = run(&settings(&policy, &backoff, &recorder), always(unavailable)).await;
        assert!(r.outcome.throttled());
        let err = r.outcome.result.unwrap_err();
        assert!(
            err.is_throttled() && err.is_exhausted() && err.is_unavailable(),
            "{err:?}"
        );
        assert_eq!((err.attempts(), r.attempts.len()), (1, 1));
        assert_eq!(r.elapsed, Duration::ZERO, "no sleep before giving up");
        // A permanent failure is never called throttled.
        let r = run(&settings(&policy, &backoff, &recorder), [not_found()]).await;
        assert!(!r.outcome.throttled());
    }

    /// A burst of calls whose every attempt fails: without a throttler each call makes
    /// five attempts; the adaptive throttler soon refuses most retries, the circuit breaker
    /// all of them once open. Each throttled call's attempt count is the attempts it sent.
    #[tokio::test(start_paused = true)]
    async fn throttling_under_a_burst_of_failures() {
        let backoff = exact();
        let policy = RetryCodes::new([Code::Unavailable]).with_attempt_limit(5);
        let adaptive = AdaptiveThrottler::default();
        let breaker = CircuitBreaker::default();
        for (name, throttler) in [
            ("none", &NeverThrottle as &dyn RetryThrottler),
            ("adaptive", &adaptive),
            ("breaker", &breaker),
        ] {
            let s = settings(&policy, &backoff, throttler);
            let (mut sent, mut throttled) = (0, 0);
            for _ in 0..200 {
                let r = run(&s, always(unavailable)).await;
                let err = r.outcome.result.unwrap_err();
                assert_eq!(err.attempts() as usize, r.attempts.len(), "{name}");
                assert!(err.is_exhausted(), "{name}: {err:?}");
                sent += r.attempts.len();
                throttled += usize::from(err.is_throttled());
            }
            match name {
                "none" => assert_eq!((sent, throttled), (1000, 0)),
                // p = (R − 2A)/(R + 1) with A = 0 is above 0.95 after 20 attempts.
                "adaptive" => assert!(sent < 300 && throttled > 180, "{sent} {throttled}"),
                // Open after five failures, and no success ever closes it.
                _ => assert_eq!((sent, throttled), (5 + 199, 199), "{name}"),
            }
        }
    }

    /// Every method class × policy × failure: what the loop does follows from two rules:
    /// a failure is retried only if it is safe (the call is idempotent, or nothing was
    /// sent) and the policy retries its code; the policy's limits then decide how far.
    #[tokio::test(start_paused = true)]
    async fn every_method_class_with_every_policy() {
        let backoff = exact();
        let classes = [
            RetryClass::Read,
            RetryClass::IdempotentWrite,
            RetryClass::Write,
        ];
        /// How a call ends after three failures of one kind, if it is retried at all.
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Ends {
            /// The fourth attempt succeeds.
            Ok,
            /// The policy's limit after this many attempts.
            Exhausted(u32),
            /// The first failure is returned.
            Permanent,
        }
        for class in classes {
            let method = *Method::ALL
                .iter()
                .find(|m| m.retry_class() == class)
                .expect("every class has a method");
            let default = default_options(method).retry.unwrap();
            let policies: [(&str, &dyn RetryPolicy, Ends); 5] = [
                ("default", &*default, Ends::Ok),
                ("never", &NeverRetry, Ends::Permanent),
                (
                    "unavailable",
                    &RetryCodes::new([Code::Unavailable]),
                    Ends::Ok,
                ),
                (
                    "2 attempts",
                    &RetryCodes::new([Code::Unavailable]).with_attempt_limit(2),
                    Ends::Exhausted(2),
                ),
                (
                    // Attempts at 0, 1 and 2.3 s; 2.3 + 1.69 passes 3 s.
                    "3 s",
                    &RetryCodes::new([Code::Unavailable]).with_time_limit(Duration::from_secs(3)),
                    Ends::Exhausted(3),
                ),
            ];
            for (policy_name, policy, if_retried) in policies {
                for idempotency in [None, Some(true), Some(false)] {
                    let idempotent = idempotency.unwrap_or(method.is_idempotent());
                    for (failure_name, failure) in [
                        ("sent UNAVAILABLE", unavailable as fn() -> Error),
                        ("connect failure", connect_failure),
                        ("NOT_FOUND", not_found),
                    ] {
                        let sent = failure().may_have_been_sent();
                        let transient = failure().code() == Code::Unavailable;
                        let expected = if transient && (idempotent || !sent) {
                            if_retried
                        } else {
                            Ends::Permanent
                        };
                        let s = RetryLoop {
                            idempotent,
                            ..settings(policy, &backoff, &NeverThrottle)
                        };
                        let r = run(&s, std::iter::repeat_with(failure).take(3)).await;
                        let what = format!(
                            "{class:?} ({method}), {policy_name}, idempotency {idempotency:?}, {failure_name}"
                        );
                        let ends = match &r.outcome.result {
                            Ok(n) => {
                                assert_eq!(*n, 4, "{what}");
                                Ends::Ok
                            }
                            Err(err)
                                if err.is_exhausted()
                                    || (err.kind() == ErrorKind::Connect && err.attempts() > 1) =>
                            {
                                Ends::Exhausted(err.attempts())
                            }
                            Err(err) => {
                                assert_eq!(err.attempts(), 1, "{what}: {err:?}");
                                assert_eq!(err.kind(), failure().kind(), "{what}");
                                Ends::Permanent
                            }
                        };
                        assert_eq!(ends, expected, "{what}");
                        assert_eq!(r.outcome.attempts as usize, r.attempts.len(), "{what}");
                    }
                }
            }
        }
    }
}
