//! Retry throttling: a client that retries every transient failure multiplies its load on a
//! service that is already failing ("retry storms"). A [`RetryThrottler`], shared by every
//! call of a [`Client`](crate::Client) and its clones, refuses retries while too many
//! calls fail; the first attempt of a call is never throttled.
//!
//! - [`AdaptiveThrottler`] (the default, factor 2.0): the client-side throttling of the SRE
//!   book's "Handling Overload" chapter, as google-cloud-gax implements it: retries are
//!   refused at random, with a probability that grows as the share of accepted requests
//!   falls below `1 / factor`.
//! - [`CircuitBreaker`] (gRPC's retry throttling, proposal A6): a token bucket; every
//!   transient failure costs tokens, every other answer earns one, and at or below a
//!   threshold every retry is refused until answers refill it.
//! - [`NeverThrottle`]: retries as the retry policy says.
//!
//! A throttled retry ends the call with the last attempt's error, marked
//! [throttled](crate::Error::is_throttled) and exhausted; its attempt count is the number of
//! attempts actually sent.
//!
//! ```
//! use std::sync::Arc;
//! use livestream_grpc::policy::{CallOptions, CircuitBreaker, NeverThrottle};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), livestream_grpc::Error> {
//! // One circuit breaker for two clients.
//! let breaker = Arc::new(CircuitBreaker::new(100, 50, 10)?);
//! let client = livestream_grpc::Client::builder()
//!     .with_endpoint("http://127.0.0.1:8085")
//!     .with_shared_retry_throttler(breaker.clone())
//!     .build()
//!     .await?;
//! let other = livestream_grpc::Client::builder()
//!     .with_endpoint("http://127.0.0.1:8086")
//!     .with_shared_retry_throttler(breaker)
//!     .build()
//!     .await?;
//! // Calls that must retry regardless, per call.
//! let unthrottled = CallOptions::new().with_retry_throttler(NeverThrottle);
//! # let _ = (client, other, unthrottled);
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::retry::RetryDecision;
use crate::error::Error;

/// Decides whether a retry may be sent, from what the calls sharing it saw. Implementations
/// are shared by every call of a client (and its clones), so they use interior mutability:
/// keep [`on_success`](Self::on_success) cheap, it runs after every successful call.
pub trait RetryThrottler: Send + Sync + fmt::Debug {
    /// Called before each retry (never before a first attempt): `true` refuses it, and the
    /// call ends with the last attempt's error.
    fn throttle_retry_attempt(&self) -> bool;

    /// Called after each failed attempt, with what the retry policy decided about it:
    /// [`RetryDecision::Permanent`] means the service answered (it accepted the request, if
    /// only to reject it); `Continue` and `Exhausted` mean a transient failure.
    fn on_failure(&self, decision: RetryDecision);

    /// Called after each successful attempt.
    fn on_success(&self);
}

/// A shared throttler is one: `Arc<CircuitBreaker>` can be handed to a call.
impl<T: RetryThrottler + ?Sized> RetryThrottler for std::sync::Arc<T> {
    fn throttle_retry_attempt(&self) -> bool {
        (**self).throttle_retry_attempt()
    }

    fn on_failure(&self, decision: RetryDecision) {
        (**self).on_failure(decision);
    }

    fn on_success(&self) {
        (**self).on_success();
    }
}

/// Never refuses a retry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeverThrottle;

impl RetryThrottler for NeverThrottle {
    fn throttle_retry_attempt(&self) -> bool {
        false
    }

    fn on_failure(&self, _decision: RetryDecision) {}

    fn on_success(&self) {}
}

/// Requests and accepts, packed in one `u64` (requests in the high half), so that a
/// success is one atomic addition.
const REQUEST: u64 = 1 << 32;
const ACCEPT: u64 = 1;
/// The history the adaptive throttler keeps: when it has counted this many requests, both
/// counts are halved.
const HISTORY: u64 = 2048;
/// The adaptive throttler refuses nothing before its history holds this many requests.
const MIN_REQUESTS: u64 = 20;

/// Client-side adaptive throttling (SRE book, "Handling Overload"): a retry is refused with
/// probability `max(0, (requests − factor × accepts) / (requests + 1))`, where `requests`
/// counts attempts and `accepts` the attempts the service answered (with a response, or
/// with an error that is not transient: it did accept the request).
///
/// With the default factor 2.0 nothing is refused while at least half of the attempts are
/// accepted; below that, retries are refused more and more often, and first attempts keep
/// the counts up to date, so retries resume as the service recovers. A lower factor refuses
/// sooner.
///
/// Two differences from google-cloud-gax's `AdaptiveThrottler`, which follows the formula
/// alone:
///
/// - Nothing is refused before 20 attempts are counted. By the formula alone, a new
///   client whose first attempt fails refuses its first retry with probability ½: fine for
///   a server with steady traffic, a coin toss for a command-line tool or a job that makes
///   a few calls.
/// - The counts keep the last 1,024 to 2,048 attempts (both are halved when the requests
///   reach 2,048) rather than the book's last two minutes, so that the hot path reads no
///   clock: a success is one atomic addition. gax's counts never forget, so after a
///   million successes a failing service is throttled only after a million failures.
///
/// ```
/// use livestream_grpc::policy::{AdaptiveThrottler, RetryDecision, RetryThrottler};
///
/// let throttler = AdaptiveThrottler::new(2.0)?;
/// for _ in 0..100 {
///     throttler.on_failure(RetryDecision::Continue);
/// }
/// assert!(throttler.rejection_probability() > 0.9);
/// for _ in 0..200 {
///     throttler.on_success();
/// }
/// assert_eq!(throttler.rejection_probability(), 0.0);
/// assert!(AdaptiveThrottler::new(-1.0).is_err());
/// # Ok::<(), livestream_grpc::Error>(())
/// ```
#[derive(Debug)]
pub struct AdaptiveThrottler {
    factor: f64,
    counts: AtomicU64,
}

impl AdaptiveThrottler {
    /// A throttler with this `factor` (finite, at least 0; the SRE book recommends 2.0).
    pub fn new(factor: f64) -> Result<Self, Error> {
        if !(factor.is_finite() && factor >= 0.0) {
            return Err(Error::config(format!(
                "the adaptive throttler's factor must be finite and at least 0, got {factor}"
            )));
        }
        Ok(AdaptiveThrottler {
            factor,
            counts: AtomicU64::new(0),
        })
    }

    /// The factor.
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// The requests and accepts counted (in the current history).
    pub fn counts(&self) -> (u64, u64) {
        unpack(self.counts.load(Ordering::Relaxed))
    }

    /// The probability that the next retry is refused.
    pub fn rejection_probability(&self) -> f64 {
        let (requests, accepts) = self.counts();
        if requests < MIN_REQUESTS {
            return 0.0;
        }
        let (requests, accepts) = (requests as f64, accepts as f64);
        ((requests - self.factor * accepts) / (requests + 1.0)).max(0.0)
    }

    fn add(&self, delta: u64) {
        let before = self.counts.fetch_add(delta, Ordering::Relaxed);
        if unpack(before).0 + 1 >= HISTORY {
            // Halves both counts (accepts never exceed requests, so neither half spills
            // into the other). Concurrent additions are kept: the update retries.
            let _ = self
                .counts
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |packed| {
                    let (requests, accepts) = unpack(packed);
                    (requests >= HISTORY).then(|| pack(requests / 2, accepts / 2))
                });
        }
    }
}

fn unpack(packed: u64) -> (u64, u64) {
    (packed >> 32, packed & 0xffff_ffff)
}

fn pack(requests: u64, accepts: u64) -> u64 {
    (requests << 32) | accepts
}

impl Default for AdaptiveThrottler {
    /// Factor 2.0, as the SRE book recommends and google-cloud-gax uses.
    fn default() -> Self {
        AdaptiveThrottler {
            factor: 2.0,
            counts: AtomicU64::new(0),
        }
    }
}

impl RetryThrottler for AdaptiveThrottler {
    fn throttle_retry_attempt(&self) -> bool {
        let p = self.rejection_probability();
        p > 0.0 && fastrand::f64() < p
    }

    fn on_failure(&self, decision: RetryDecision) {
        match decision {
            RetryDecision::Permanent => self.add(REQUEST | ACCEPT),
            RetryDecision::Continue | RetryDecision::Exhausted => self.add(REQUEST),
        }
    }

    fn on_success(&self) {
        self.add(REQUEST | ACCEPT);
    }
}

/// A circuit breaker (gRPC's retry throttling, as google-cloud-gax's `CircuitBreaker`): a
/// bucket of `tokens`; each transient failure takes `error_cost` tokens, each success or
/// permanent failure gives one back (up to `tokens`). While the bucket holds `min_tokens`
/// or fewer, every retry is refused (the circuit is open); first attempts still go out, and
/// their successes close it again.
///
/// The default is gax's: `CircuitBreaker::new(100, 50, 10)`, so five transient failures
/// more than successes open it, and 10 successes per failure close it.
///
/// ```
/// use livestream_grpc::policy::{CircuitBreaker, RetryDecision, RetryThrottler};
///
/// let breaker = CircuitBreaker::default();
/// for _ in 0..5 {
///     assert!(!breaker.throttle_retry_attempt());
///     breaker.on_failure(RetryDecision::Continue);
/// }
/// assert!(breaker.is_open() && breaker.throttle_retry_attempt());
/// breaker.on_success();
/// assert!(!breaker.is_open());
/// assert!(CircuitBreaker::new(10, 20, 1).is_err());
/// # Ok::<(), livestream_grpc::Error>(())
/// ```
#[derive(Debug)]
pub struct CircuitBreaker {
    max_tokens: u64,
    min_tokens: u64,
    error_cost: u64,
    tokens: AtomicU64,
}

impl CircuitBreaker {
    /// A full bucket of `tokens`, open at `min_tokens` or fewer (at most `tokens`), each
    /// transient failure costing `error_cost`.
    pub fn new(tokens: u64, min_tokens: u64, error_cost: u64) -> Result<Self, Error> {
        if min_tokens > tokens {
            return Err(Error::config(format!(
                "the circuit breaker's min_tokens ({min_tokens}) must not exceed its tokens ({tokens})"
            )));
        }
        Ok(CircuitBreaker {
            max_tokens: tokens,
            min_tokens,
            error_cost,
            tokens: AtomicU64::new(tokens),
        })
    }

    /// The tokens in the bucket.
    pub fn tokens(&self) -> u64 {
        self.tokens.load(Ordering::Relaxed)
    }

    /// Whether retries are refused now.
    pub fn is_open(&self) -> bool {
        self.tokens() <= self.min_tokens
    }

    fn earn(&self) {
        // Full most of the time: then a load is all a success costs.
        if self.tokens.load(Ordering::Relaxed) < self.max_tokens {
            let _ = self
                .tokens
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                    (t < self.max_tokens).then_some(t + 1)
                });
        }
    }
}

impl Default for CircuitBreaker {
    /// `CircuitBreaker::new(100, 50, 10)`, google-cloud-gax's default.
    fn default() -> Self {
        CircuitBreaker {
            max_tokens: 100,
            min_tokens: 50,
            error_cost: 10,
            tokens: AtomicU64::new(100),
        }
    }
}

impl RetryThrottler for CircuitBreaker {
    fn throttle_retry_attempt(&self) -> bool {
        self.is_open()
    }

    fn on_failure(&self, decision: RetryDecision) {
        match decision {
            RetryDecision::Permanent => self.earn(),
            RetryDecision::Continue | RetryDecision::Exhausted => {
                let _ = self
                    .tokens
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                        Some(t.saturating_sub(self.error_cost))
                    });
            }
        }
    }

    fn on_success(&self) {
        self.earn();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RetryDecision::*;

    #[test]
    fn adaptive_counts_as_the_sre_book() {
        let t = AdaptiveThrottler::default();
        assert_eq!(t.factor(), 2.0);
        assert!(!t.throttle_retry_attempt(), "nothing counted: never");
        t.on_failure(Continue);
        t.on_failure(Exhausted);
        assert_eq!(t.counts(), (2, 0));
        assert_eq!(t.rejection_probability(), 0.0, "too few to judge");
        for _ in 0..8 {
            t.on_success();
            t.on_failure(Permanent);
        }
        assert_eq!(t.counts(), (18, 16), "a permanent failure was accepted");
        for _ in 0..11 {
            t.on_failure(Continue);
        }
        // (29 - 2 × 16) / 30 < 0
        assert_eq!(t.rejection_probability(), 0.0);
        for _ in 0..4 {
            t.on_failure(Continue);
        }
        // (33 - 2 × 16) / 34
        assert!((t.rejection_probability() - 1.0 / 34.0).abs() < 1e-12);
    }

    #[test]
    fn adaptive_refuses_most_retries_when_everything_fails_and_none_after_recovery() {
        let t = AdaptiveThrottler::default();
        for _ in 0..1000 {
            t.on_failure(Continue);
        }
        let refused = (0..1000).filter(|_| t.throttle_retry_attempt()).count();
        assert!(refused > 950, "{refused} of 1000 refused");
        // Requests 2,000, accepts 1,000: half accepted, the factor's threshold.
        for _ in 0..1000 {
            t.on_success();
        }
        assert!(t.rejection_probability() == 0.0, "{:?}", t.counts());
        assert!((0..1000).all(|_| !t.throttle_retry_attempt()));
    }

    #[test]
    fn adaptive_history_is_bounded_and_keeps_the_ratio() {
        let t = AdaptiveThrottler::default();
        for i in 0..100_000u64 {
            if i % 4 == 0 {
                t.on_failure(Continue);
            } else {
                t.on_success();
            }
        }
        let (requests, accepts) = t.counts();
        assert!((HISTORY / 2..HISTORY).contains(&requests), "{requests}");
        let ratio = accepts as f64 / requests as f64;
        assert!((ratio - 0.75).abs() < 0.01, "{ratio}");
        // A long successful history is forgotten quickly enough: a failing service
        // is throttled after about a thousand failures, not after 100,000.
        for _ in 0..2 * HISTORY {
            t.on_failure(Continue);
        }
        assert!(t.rejection_probability() > 0.5, "{:?}", t.counts());
    }

    #[test]
    fn adaptive_factor_must_be_finite_and_not_negative() {
        for bad in [-0.5, f64::NAN, f64::INFINITY] {
            let err = AdaptiveThrottler::new(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidConfig, "{err}");
        }
        let zero = AdaptiveThrottler::new(0.0).unwrap();
        for _ in 0..MIN_REQUESTS {
            zero.on_success();
        }
        assert!(
            zero.rejection_probability() > 0.0,
            "factor 0 refuses even after successes"
        );
    }

    #[test]
    fn circuit_breaker_opens_and_closes_as_gax_does() {
        let b = CircuitBreaker::default();
        assert_eq!(b.tokens(), 100);
        b.on_success();
        assert_eq!(b.tokens(), 100, "never above the maximum");
        for expected in [90, 80, 70, 60] {
            b.on_failure(Continue);
            assert_eq!(b.tokens(), expected);
            assert!(!b.throttle_retry_attempt());
        }
        b.on_failure(Exhausted);
        assert_eq!(b.tokens(), 50);
        assert!(b.throttle_retry_attempt(), "open at min_tokens");
        b.on_failure(Permanent);
        assert_eq!(b.tokens(), 51);
        assert!(!b.throttle_retry_attempt(), "closed above it");
        for _ in 0..10 {
            b.on_failure(Continue);
        }
        assert_eq!(b.tokens(), 0, "saturates at zero");
        for _ in 0..50 {
            b.on_success();
        }
        assert!(b.is_open());
        b.on_success();
        assert!(!b.is_open());
    }

    #[test]
    fn circuit_breaker_checks_its_settings() {
        let err = CircuitBreaker::new(10, 11, 1).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidConfig, "{err}");
        let b = CircuitBreaker::new(0, 0, 0).unwrap();
        assert!(b.is_open(), "no tokens: every retry refused");
    }

    #[test]
    fn never_throttle_never_does() {
        NeverThrottle.on_failure(Continue);
        assert!(!NeverThrottle.throttle_retry_attempt());
    }
}
