//! The emulator's clock: a base wall-clock time, plus tokio time elapsed since start (so a
//! test's `tokio::time::pause` and `advance` move it), plus a manual offset.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::lock;
use super::store::later;

#[derive(Debug)]
pub(crate) struct Clock {
    base: SystemTime,
    start: tokio::time::Instant,
    offset: Mutex<Duration>,
}

impl Clock {
    pub(crate) fn new(base: SystemTime) -> Self {
        Clock {
            base,
            start: tokio::time::Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// The emulator's current time, saturating at the end of year 9999 (the last time a
    /// `google.protobuf.Timestamp` can hold), however far it was advanced.
    pub(crate) fn now(&self) -> SystemTime {
        let offset = *lock(&self.offset);
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.start);
        later(self.base, elapsed.saturating_add(offset))
    }

    /// Moves the clock forward by `by` (saturating).
    pub(crate) fn advance(&self, by: Duration) {
        let mut offset = lock(&self.offset);
        *offset = offset.saturating_add(by);
    }

    /// How far `when` lies ahead of now (zero if past): what a tokio sleep must wait.
    pub(crate) fn until(&self, when: SystemTime) -> Duration {
        when.duration_since(self.now()).unwrap_or(Duration::ZERO)
    }
}
