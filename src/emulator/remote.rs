//! [`RemoteEmulator`]: the controls of a standalone emulator (`livestream emulator`, or an
//! [`EmulatorBuilder::start`](super::EmulatorBuilder::start) in another process), over its
//! `livestream.emulator.v1.EmulatorAdmin` service, with the names and argument types of the
//! in-process [`Emulator`](super::Emulator) controls.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use super::admin::emulator_admin_client::EmulatorAdminClient;
use super::admin::{self as pb, set_lro_timing_request::Timing};
use super::{ControlError, FaultScript, LroTiming, RecordedRequest, StreamProperties, Transport};
use crate::methods::Method;
use crate::wire::EMULATOR_HOST_ENV;

/// A typed client of a standalone emulator's admin service: every control of
/// [`Emulator`](super::Emulator) that makes sense across processes, with the same names and
/// argument types, made `async` and fallible (a [`ControlError`] carries the admin
/// service's status, or `UNAVAILABLE` when the emulator cannot be reached).
///
/// ```
/// use livestream_grpc::emulator::{Emulator, LroTiming, RemoteEmulator};
/// use livestream_grpc::Method;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // A standalone emulator; in another process this is `livestream emulator --port 8085`.
/// let running = Emulator::builder().start().await?;
///
/// let remote = RemoteEmulator::connect(running.endpoint())?;   // or RemoteEmulator::from_env()
/// remote.set_lro_timing(LroTiming::Manual).await?;
/// remote.advance_clock(std::time::Duration::from_secs(60)).await?;
/// assert_eq!(remote.call_count(Method::GetChannel).await?, 0);
/// assert!(remote.complete_all_operations().await?.is_empty());
/// remote.reset().await?;
/// # running.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RemoteEmulator {
    admin: EmulatorAdminClient<Channel>,
    endpoint: String,
}

/// `UNAVAILABLE` naming the endpoint, for a connection that failed.
fn unreachable(endpoint: &str, status: Status) -> ControlError {
    if status.code() == Code::Unavailable {
        ControlError(Status::unavailable(format!(
            "emulator at {endpoint} unreachable: {}",
            status.message()
        )))
    } else {
        ControlError(status)
    }
}

impl RemoteEmulator {
    /// A client of the emulator at `endpoint` (`http://127.0.0.1:8085`, or `host:port`).
    /// Connects lazily: nothing is sent until the first control. An endpoint that is not a
    /// URI is an `INVALID_ARGUMENT` error.
    pub fn connect(endpoint: impl Into<String>) -> Result<RemoteEmulator, ControlError> {
        let endpoint = endpoint.into();
        let uri = if endpoint.contains("://") {
            endpoint
        } else {
            format!("http://{endpoint}")
        };
        let channel = Endpoint::from_shared(uri.clone())
            .map_err(|e| {
                ControlError(Status::invalid_argument(format!(
                    "{uri:?} is not an emulator endpoint: {e}"
                )))
            })?
            .connect_lazy();
        Ok(RemoteEmulator {
            admin: EmulatorAdminClient::new(channel),
            endpoint: uri,
        })
    }

    /// A client of the emulator named by `LIVESTREAM_EMULATOR_HOST` (`host:port`), as the
    /// API client finds it. `FAILED_PRECONDITION` when the variable is unset or empty.
    pub fn from_env() -> Result<RemoteEmulator, ControlError> {
        match std::env::var(EMULATOR_HOST_ENV) {
            Ok(host) if !host.trim().is_empty() => RemoteEmulator::connect(host.trim()),
            _ => Err(ControlError(Status::failed_precondition(format!(
                "{EMULATOR_HOST_ENV} is not set: start `livestream emulator` and export the \
                 line it prints"
            )))),
        }
    }

    /// A client over a channel you built (for example to the emulator's port with your
    /// own connection settings).
    pub fn from_channel(channel: Channel) -> RemoteEmulator {
        RemoteEmulator {
            admin: EmulatorAdminClient::new(channel),
            endpoint: "channel".to_owned(),
        }
    }

    /// The endpoint this client controls.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn admin(&self) -> EmulatorAdminClient<Channel> {
        self.admin.clone()
    }

    fn err(&self, status: Status) -> ControlError {
        unreachable(&self.endpoint, status)
    }

    /// See [`Emulator::reset`](super::Emulator::reset).
    pub async fn reset(&self) -> Result<(), ControlError> {
        self.admin()
            .reset(pb::ResetRequest {})
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::now`](super::Emulator::now).
    pub async fn now(&self) -> Result<SystemTime, ControlError> {
        let clock = self
            .admin()
            .get_clock(pb::GetClockRequest {})
            .await
            .map_err(|s| self.err(s))?
            .into_inner();
        clock_time(clock)
    }

    /// See [`Emulator::advance_clock`](super::Emulator::advance_clock); returns the new
    /// time.
    pub async fn advance_clock(&self, by: Duration) -> Result<SystemTime, ControlError> {
        let duration = prost_types::Duration::try_from(by).map_err(|_| {
            ControlError(Status::invalid_argument(format!("{by:?} is out of range")))
        })?;
        let clock = self
            .admin()
            .advance_clock(pb::AdvanceClockRequest {
                duration: Some(duration),
            })
            .await
            .map_err(|s| self.err(s))?
            .into_inner();
        clock_time(clock)
    }

    /// See [`Emulator::set_lro_timing`](super::Emulator::set_lro_timing).
    pub async fn set_lro_timing(&self, timing: LroTiming) -> Result<(), ControlError> {
        let timing = match timing {
            LroTiming::Instant => Timing::Instant(true),
            LroTiming::Manual => Timing::Manual(true),
            LroTiming::Delay(d) => {
                Timing::Delay(prost_types::Duration::try_from(d).map_err(|_| {
                    ControlError(Status::invalid_argument(format!("{d:?} is out of range")))
                })?)
            }
        };
        self.admin()
            .set_lro_timing(pb::SetLroTimingRequest {
                timing: Some(timing),
            })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::complete_operation`](super::Emulator::complete_operation).
    pub async fn complete_operation(
        &self,
        operation: impl std::fmt::Display,
    ) -> Result<(), ControlError> {
        let name = operation.to_string();
        if name.is_empty() {
            // An empty name would complete every operation.
            return Err(ControlError(Status::invalid_argument(
                "no operation name (use complete_all_operations)",
            )));
        }
        self.admin()
            .complete_operations(pb::CompleteOperationsRequest { name })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::complete_all_operations`](super::Emulator::complete_all_operations).
    pub async fn complete_all_operations(&self) -> Result<Vec<String>, ControlError> {
        Ok(self
            .admin()
            .complete_operations(pb::CompleteOperationsRequest::default())
            .await
            .map_err(|s| self.err(s))?
            .into_inner()
            .names)
    }

    /// See [`Emulator::connect_input`](super::Emulator::connect_input).
    pub async fn connect_input(&self, input: impl std::fmt::Display) -> Result<(), ControlError> {
        self.connect_input_with(input, StreamProperties::default())
            .await
    }

    /// See [`Emulator::connect_input_with`](super::Emulator::connect_input_with).
    pub async fn connect_input_with(
        &self,
        input: impl std::fmt::Display,
        properties: StreamProperties,
    ) -> Result<(), ControlError> {
        self.admin()
            .connect_input(pb::ConnectInputRequest {
                name: input.to_string(),
                width_pixels: properties.width,
                height_pixels: properties.height,
                frame_rate: properties.frame_rate,
            })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::disconnect_input`](super::Emulator::disconnect_input).
    pub async fn disconnect_input(
        &self,
        input: impl std::fmt::Display,
    ) -> Result<(), ControlError> {
        self.admin()
            .disconnect_input(pb::DisconnectInputRequest {
                name: input.to_string(),
            })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::fail`](super::Emulator::fail).
    pub async fn fail(
        &self,
        name: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_resource(name.to_string(), String::new(), message)
            .await
    }

    /// See [`Emulator::fail_distribution`](super::Emulator::fail_distribution).
    pub async fn fail_distribution(
        &self,
        channel: impl std::fmt::Display,
        distribution_key: &str,
        message: &str,
    ) -> Result<(), ControlError> {
        if distribution_key.is_empty() {
            return Err(ControlError(Status::invalid_argument(
                "no distribution key",
            )));
        }
        self.fail_resource(channel.to_string(), distribution_key.to_owned(), message)
            .await
    }

    async fn fail_resource(
        &self,
        name: String,
        distribution_key: String,
        message: &str,
    ) -> Result<(), ControlError> {
        self.admin()
            .fail_resource(pb::FailResourceRequest {
                name,
                message: message.to_owned(),
                distribution_key,
            })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::recover_channel`](super::Emulator::recover_channel).
    pub async fn recover_channel(
        &self,
        channel: impl std::fmt::Display,
    ) -> Result<(), ControlError> {
        self.admin()
            .recover_channel(pb::RecoverChannelRequest {
                name: channel.to_string(),
            })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::inject_faults`](super::Emulator::inject_faults).
    pub async fn inject_faults(
        &self,
        method: Method,
        script: FaultScript,
    ) -> Result<(), ControlError> {
        let request = pb::InjectFaultsRequest {
            method: method.name().to_owned(),
            ..script.to_request()
        };
        self.admin()
            .inject_faults(request)
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::set_latency`](super::Emulator::set_latency).
    pub async fn set_latency(&self, method: Method, latency: Duration) -> Result<(), ControlError> {
        let latency = prost_types::Duration::try_from(latency).map_err(|_| {
            ControlError(Status::invalid_argument(format!(
                "{latency:?} is out of range"
            )))
        })?;
        self.admin()
            .set_latency(pb::SetLatencyRequest {
                method: method.name().to_owned(),
                latency: Some(latency),
            })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::clear_faults`](super::Emulator::clear_faults).
    pub async fn clear_faults(&self, method: Method) -> Result<(), ControlError> {
        self.clear(method.name().to_owned()).await
    }

    /// See [`Emulator::clear_all_faults`](super::Emulator::clear_all_faults).
    pub async fn clear_all_faults(&self) -> Result<(), ControlError> {
        self.clear(String::new()).await
    }

    async fn clear(&self, method: String) -> Result<(), ControlError> {
        self.admin()
            .clear_faults(pb::ClearFaultsRequest { method })
            .await
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// See [`Emulator::call_count`](super::Emulator::call_count).
    pub async fn call_count(&self, method: Method) -> Result<u64, ControlError> {
        Ok(self
            .call_counts()
            .await?
            .get(&method)
            .copied()
            .unwrap_or_default())
    }

    /// See [`Emulator::call_counts`](super::Emulator::call_counts).
    pub async fn call_counts(&self) -> Result<BTreeMap<Method, u64>, ControlError> {
        let counts = self
            .admin()
            .get_call_counts(pb::GetCallCountsRequest {})
            .await
            .map_err(|s| self.err(s))?
            .into_inner()
            .counts;
        // A method this build does not know (a newer emulator) is left out.
        Ok(counts
            .into_iter()
            .filter_map(|(name, count)| Some((name.parse::<Method>().ok()?, count)))
            .collect())
    }

    /// See [`Emulator::export_state`](super::Emulator::export_state): the state, credentials
    /// redacted. A snapshot that does not decode (an emulator of another version) is
    /// `DATA_LOSS`.
    pub async fn export_state(&self) -> Result<pb::Snapshot, ControlError> {
        use prost::Message as _;
        let bytes = self
            .admin()
            .export_state(pb::ExportStateRequest {})
            .await
            .map_err(|s| self.err(s))?
            .into_inner()
            .snapshot;
        pb::Snapshot::decode(bytes.as_slice()).map_err(|e| {
            ControlError(Status::data_loss(format!(
                "the emulator's state does not decode as livestream.emulator.v1.Snapshot: {e}"
            )))
        })
    }

    /// See [`Emulator::requests`](super::Emulator::requests). Binary headers arrive in
    /// base64 and are decoded; a header the metadata cannot hold is left out.
    pub async fn requests(&self, method: Method) -> Result<Vec<RecordedRequest>, ControlError> {
        let requests = self
            .admin()
            .list_recorded_requests(pb::ListRecordedRequestsRequest {
                method: method.name().to_owned(),
            })
            .await
            .map_err(|s| self.err(s))?
            .into_inner()
            .requests;
        Ok(requests.into_iter().map(recorded).collect())
    }
}

fn clock_time(clock: pb::ClockState) -> Result<SystemTime, ControlError> {
    clock
        .now
        .and_then(|t| SystemTime::try_from(t).ok())
        .ok_or_else(|| ControlError(Status::internal("the emulator sent no valid clock time")))
}

fn recorded(request: pb::RecordedRequest) -> RecordedRequest {
    use base64::Engine as _;
    let mut metadata = MetadataMap::new();
    for header in request.headers {
        if header.key.ends_with("-bin") {
            let (Ok(key), Ok(bytes)) = (
                MetadataKey::from_bytes(header.key.as_bytes()),
                base64::engine::general_purpose::STANDARD.decode(&header.value),
            ) else {
                continue;
            };
            metadata.append_bin(key, MetadataValue::from_bytes(&bytes));
        } else if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(header.key.as_bytes()),
            header.value.parse(),
        ) {
            metadata.append(key, value);
        }
    }
    RecordedRequest {
        method: request.method,
        metadata,
        request_id: (!request.request_id.is_empty()).then_some(request.request_id),
        transport: Transport::from_name(&request.transport),
    }
}
