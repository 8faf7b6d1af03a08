//! The controls of fault injection, added latency, call counts and the request log
//! (the `Controls` of `faults.rs`), keyed by the API table's [`Method`]. The admin service
//! resolves the names its callers send once, into a `Method`.

use std::collections::BTreeMap;
use std::time::Duration;

#[cfg(doc)]
use super::EmulatorConfig;
use super::{Emulator, FaultScript, RecordedRequest};
use crate::methods::Method;

impl Emulator {
    /// Scripts the faults of one method, replacing earlier ones.
    ///
    /// ```
    /// use livestream_grpc::Method;
    /// use livestream_grpc::emulator::{Emulator, FaultScript};
    ///
    /// let emu = Emulator::builder().build();
    /// emu.inject_faults(Method::GetChannel, FaultScript::codes([tonic::Code::Unavailable; 2]));
    /// // A name from elsewhere (a config file, another language's test) parses, or says
    /// // which names are close.
    /// let err = "GetChanel".parse::<Method>().unwrap_err();
    /// assert_eq!(err.suggestions()[0], "GetChannel");
    /// ```
    pub fn inject_faults(&self, method: Method, script: FaultScript) {
        self.shared.controls.set_script(method as usize, script);
    }

    /// Adds `latency` (tokio time) to every call of one method.
    pub fn set_latency(&self, method: Method, latency: Duration) {
        self.shared.controls.set_latency(method as usize, latency);
    }

    /// Removes the faults and latency of one method.
    pub fn clear_faults(&self, method: Method) {
        self.shared.controls.clear_faults(Some(method as usize));
    }

    /// Removes the faults and latency of every method.
    pub fn clear_all_faults(&self) {
        self.shared.controls.clear_faults(None);
    }

    /// How many calls a method received, including those answered by injected faults.
    pub fn call_count(&self, method: Method) -> u64 {
        self.shared.controls.count(method as usize)
    }

    /// The call count of every method that was called.
    pub fn call_counts(&self) -> BTreeMap<Method, u64> {
        Method::ALL
            .iter()
            .map(|&m| (m, self.shared.controls.count(m as usize)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The calls one method received (oldest first, at most
    /// [`EmulatorConfig::request_log_limit`]), with their metadata. Credential headers are
    /// redacted (`Bearer <redacted, 187 bytes>`) unless
    /// [`EmulatorConfig::record_credentials`] is on; the log is in memory only and meant for
    /// tests.
    pub fn requests(&self, method: Method) -> Vec<RecordedRequest> {
        self.shared.controls.requests(method as usize)
    }
}
