//! The controls of fault injection, added latency, call counts and the request log
//! (the `Controls` of `faults.rs`), keyed by method name.

use std::collections::BTreeMap;
use std::time::Duration;

#[cfg(doc)]
use super::EmulatorConfig;
use crate::methods::Method;
use super::{ControlError, Emulator, FaultScript, RecordedRequest};

impl Emulator {
    fn method(method: &str) -> Result<usize, ControlError> {
        Method::from_name(method)
            .map(|m| m as usize)
            .ok_or_else(|| ControlError::unknown_method(method))
    }

    /// Scripts the faults of one method (short name like `"GetChannel"`, or full gRPC
    /// path), replacing earlier ones.
    ///
    /// ```
    /// use livestream_grpc::emulator::{Emulator, FaultScript};
    /// let emu = Emulator::builder().build();
    /// emu.inject_faults("GetChannel", FaultScript::codes([tonic::Code::Unavailable; 2]))?;
    /// assert!(emu.inject_faults("GetChanel", FaultScript::default()).is_err());
    /// # Ok::<(), livestream_grpc::emulator::ControlError>(())
    /// ```
    pub fn inject_faults(&self, method: &str, script: FaultScript) -> Result<(), ControlError> {
        self.shared
            .controls
            .set_script(Self::method(method)?, script);
        Ok(())
    }

    /// Adds `latency` (tokio time) to every call of one method.
    pub fn set_latency(&self, method: &str, latency: Duration) -> Result<(), ControlError> {
        self.shared
            .controls
            .set_latency(Self::method(method)?, latency);
        Ok(())
    }

    /// Removes the faults and latency of one method.
    pub fn clear_faults(&self, method: &str) -> Result<(), ControlError> {
        self.shared
            .controls
            .clear_faults(Some(Self::method(method)?));
        Ok(())
    }

    /// Removes the faults and latency of every method.
    pub fn clear_all_faults(&self) {
        self.shared.controls.clear_faults(None);
    }

    /// How many calls a method received, including those answered by injected faults.
    pub fn call_count(&self, method: &str) -> Result<u64, ControlError> {
        Ok(self.shared.controls.count(Self::method(method)?))
    }

    /// The call count of every method that was called, by short name.
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        Method::ALL
            .iter()
            .map(|&m| (m.name().to_owned(), self.shared.controls.count(m as usize)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The calls one method received (oldest first, at most
    /// [`EmulatorConfig::request_log_limit`]), with their metadata. The metadata includes
    /// credentials: this log is in memory only and meant for tests.
    pub fn requests(&self, method: &str) -> Result<Vec<RecordedRequest>, ControlError> {
        Ok(self.shared.controls.requests(Self::method(method)?))
    }
}
