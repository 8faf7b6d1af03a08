//! Backoff between attempts: the [`BackoffPolicy`] trait, and [`ExponentialBackoff`] with
//! jitter, validated when built.

use std::fmt;
use std::time::Duration;

use crate::error::Error;

/// The longest delay a backoff may be configured with (one day): larger values are almost
/// certainly unit mistakes, and keeping them bounded keeps every computation finite.
const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// How long to sleep before each retry. A `google.rpc.RetryInfo` delay sent by the service
/// wins over the policy's.
///
/// ```
/// use std::time::Duration;
/// use livestream_grpc::policy::{BackoffPolicy, CallOptions};
///
/// /// The same delay before every retry.
/// #[derive(Debug)]
/// struct Constant(Duration);
///
/// impl BackoffPolicy for Constant {
///     fn next_delay(&self, _retry: u32) -> Duration {
///         self.0
///     }
/// }
///
/// let options = CallOptions::new().with_backoff(Constant(Duration::from_millis(250)));
/// assert_eq!(options.backoff().unwrap().next_delay(3), Duration::from_millis(250));
/// ```
pub trait BackoffPolicy: Send + Sync + fmt::Debug {
    /// The time to sleep before retry number `retry` (1 for the first retry), jitter
    /// included.
    fn next_delay(&self, retry: u32) -> Duration;
}

/// Exponential backoff: the n-th delay is `initial × multiplier^(n-1)`, capped at `maximum`;
/// with jitter (the default for RPC retries) the actual sleep is drawn uniformly from
/// `[0, delay]` ("full jitter"), so that many clients do not retry in lock step.
///
/// Build one with [`ExponentialBackoff::builder`]; invalid settings are an error, never a
/// panic.
///
/// ```
/// use std::time::Duration;
/// use livestream_grpc::policy::ExponentialBackoff;
///
/// let backoff = ExponentialBackoff::builder()
///     .with_initial_delay(Duration::from_millis(500))
///     .with_maximum_delay(Duration::from_secs(4))
///     .with_multiplier(2.0)
///     .without_jitter()
///     .build()?;
/// assert_eq!(backoff.delay(1), Duration::from_millis(500));
/// assert_eq!(backoff.delay(3), Duration::from_secs(2));
/// assert_eq!(backoff.delay(10), Duration::from_secs(4));
/// assert!(ExponentialBackoff::builder().with_multiplier(0.5).build().is_err());
/// # Ok::<(), livestream_grpc::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialBackoff {
    initial: Duration,
    maximum: Duration,
    multiplier: f64,
    jitter: bool,
}

impl ExponentialBackoff {
    /// A builder starting from the RPC retry defaults (1 s, ×1.3, up to 10 s, full jitter).
    pub fn builder() -> ExponentialBackoffBuilder {
        ExponentialBackoffBuilder {
            backoff: ExponentialBackoff::rpc_default(),
        }
    }

    /// The service configuration's retry backoff for Live Stream RPCs: 1 s, ×1.3, up to
    /// 10 s, with full jitter.
    pub fn rpc_default() -> Self {
        ExponentialBackoff {
            initial: Duration::from_secs(1),
            maximum: Duration::from_secs(10),
            multiplier: 1.3,
            jitter: true,
        }
    }

    /// The default polling backoff for long-running operations: 1 s, ×1.5, up to 20 s,
    /// without jitter.
    pub fn polling_default() -> Self {
        ExponentialBackoff {
            initial: Duration::from_secs(1),
            maximum: Duration::from_secs(20),
            multiplier: 1.5,
            jitter: false,
        }
    }

    /// The delay before retry number `retry` (1 for the first retry), before jitter.
    pub fn delay(&self, retry: u32) -> Duration {
        let exponent = f64::from(retry.saturating_sub(1));
        let secs = self.initial.as_secs_f64() * self.multiplier.powf(exponent);
        if !secs.is_finite() || secs >= self.maximum.as_secs_f64() {
            return self.maximum;
        }
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.maximum)
            .min(self.maximum)
    }

    /// The delay to actually sleep before retry number `retry`: [`delay`](Self::delay),
    /// jittered if jitter is on.
    pub fn sleep_for(&self, retry: u32) -> Duration {
        let delay = self.delay(retry);
        if self.jitter {
            delay.mul_f64(fastrand::f64())
        } else {
            delay
        }
    }

    /// The first delay.
    pub fn initial_delay(&self) -> Duration {
        self.initial
    }

    /// The cap on every delay.
    pub fn maximum_delay(&self) -> Duration {
        self.maximum
    }

    /// The factor between consecutive delays.
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// Whether sleeps are drawn uniformly from `[0, delay]`.
    pub fn has_jitter(&self) -> bool {
        self.jitter
    }
}

impl BackoffPolicy for ExponentialBackoff {
    /// [`sleep_for`](ExponentialBackoff::sleep_for).
    fn next_delay(&self, retry: u32) -> Duration {
        self.sleep_for(retry)
    }
}

impl Default for ExponentialBackoff {
    /// [`ExponentialBackoff::rpc_default`].
    fn default() -> Self {
        ExponentialBackoff::rpc_default()
    }
}

/// Builds an [`ExponentialBackoff`]; [`build`](Self::build) checks the settings.
#[derive(Clone, Debug)]
pub struct ExponentialBackoffBuilder {
    backoff: ExponentialBackoff,
}

impl ExponentialBackoffBuilder {
    /// The first delay (more than zero, at most one day).
    pub fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.backoff.initial = delay;
        self
    }

    /// The cap on every delay (at least the initial delay, at most one day).
    pub fn with_maximum_delay(mut self, delay: Duration) -> Self {
        self.backoff.maximum = delay;
        self
    }

    /// The factor between consecutive delays (finite, at least 1.0, at most 1000).
    pub fn with_multiplier(mut self, multiplier: f64) -> Self {
        self.backoff.multiplier = multiplier;
        self
    }

    /// Sleep exactly the computed delays.
    pub fn without_jitter(mut self) -> Self {
        self.backoff.jitter = false;
        self
    }

    /// Draw each sleep uniformly from `[0, delay]` (the default).
    pub fn with_jitter(mut self) -> Self {
        self.backoff.jitter = true;
        self
    }

    /// Checks the settings: an [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig)
    /// error names the first one that is out of range.
    pub fn build(self) -> Result<ExponentialBackoff, Error> {
        let b = self.backoff;
        if b.initial.is_zero() || b.initial > MAX_DELAY {
            return Err(Error::config(format!(
                "backoff initial delay must be more than zero and at most one day, got {:?}",
                b.initial
            )));
        }
        if b.maximum < b.initial || b.maximum > MAX_DELAY {
            return Err(Error::config(format!(
                "backoff maximum delay must be between the initial delay ({:?}) and one day, got {:?}",
                b.initial, b.maximum
            )));
        }
        if !(b.multiplier.is_finite() && (1.0..=1000.0).contains(&b.multiplier)) {
            return Err(Error::config(format!(
                "backoff multiplier must be finite, at least 1.0 and at most 1000, got {}",
                b.multiplier
            )));
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_default_follows_the_service_config() {
        let b = ExponentialBackoff::rpc_default();
        let delays: Vec<f64> = (1..=10).map(|n| b.delay(n).as_secs_f64()).collect();
        assert!((delays[1] - 1.3).abs() < 1e-9);
        assert!((delays[2] - 1.69).abs() < 1e-9);
        assert_eq!(delays[9], 10.0);
        for n in 1..50 {
            let s = b.sleep_for(n);
            assert!(s <= b.delay(n), "full jitter stays within the delay");
        }
    }

    #[test]
    fn polling_default_is_one_second_times_one_and_a_half_up_to_twenty() {
        let b = ExponentialBackoff::polling_default();
        assert_eq!(b.sleep_for(1), Duration::from_secs(1));
        assert_eq!(b.sleep_for(2), Duration::from_millis(1500));
        assert_eq!(b.sleep_for(100), Duration::from_secs(20));
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(20));
    }

    #[test]
    fn builder_rejects_bad_settings_without_panicking() {
        let bad = [
            ExponentialBackoff::builder().with_initial_delay(Duration::ZERO),
            ExponentialBackoff::builder().with_initial_delay(Duration::from_secs(100_000)),
            ExponentialBackoff::builder().with_maximum_delay(Duration::from_millis(1)),
            ExponentialBackoff::builder().with_maximum_delay(Duration::MAX),
            ExponentialBackoff::builder().with_multiplier(f64::NAN),
            ExponentialBackoff::builder().with_multiplier(f64::INFINITY),
            ExponentialBackoff::builder().with_multiplier(0.99),
            ExponentialBackoff::builder().with_multiplier(1e9),
        ];
        for builder in bad {
            let err = builder.build().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidConfig, "{err}");
        }
        let extreme = ExponentialBackoff::builder()
            .with_initial_delay(MAX_DELAY)
            .with_maximum_delay(MAX_DELAY)
            .with_multiplier(1000.0)
            .build()
            .unwrap();
        assert_eq!(extreme.delay(u32::MAX), MAX_DELAY);
    }
}
