//! The [`Emulator`] handle: building one, serving it in-process, and the controls of its
//! configuration, clock, operations, reset and state export; and [`ControlError`], what every control
//! answers when it cannot be carried out. The fault, latency and call-log controls are in
//! `fault_controls.rs`, the simulated encoder and forced failures in `media_controls.rs`.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use tonic::Status;
use tonic::service::Routes;

use super::clock::Clock;
use super::faults::Controls;
use super::shared::Shared;
use super::store::State;
use super::{
    EmulatorBuilder, EmulatorConfig, EmulatorService, LroTiming, admin, admin_service, errors,
    persist, service,
};

/// A control call that could not be carried out: an unknown method name, a resource that
/// does not exist, or one in the wrong state.
#[derive(Clone, Debug)]
pub struct ControlError(pub(super) Status);

impl ControlError {
    /// The gRPC code the admin service answers for this error.
    pub fn code(&self) -> tonic::Code {
        self.0.code()
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        self.0.message()
    }

    pub(crate) fn into_status(self) -> Status {
        self.0
    }
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.code(), self.0.message())
    }
}

impl std::error::Error for ControlError {}

impl From<Status> for ControlError {
    fn from(s: Status) -> Self {
        ControlError(s)
    }
}

/// What an emulator holds, by kind: the figures its retention schedules bound
/// (EMULATOR.md, "Retention"). See [`Emulator::footprint`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Footprint {
    /// Channels, inputs, events, clips, DVR sessions, assets and pools.
    pub resources: usize,
    /// Events (included in `resources`): executed ones are deleted after
    /// [`EmulatorConfig::event_retention`].
    pub events: usize,
    /// Operation records, pending and finished: finished ones are forgotten after
    /// [`EmulatorConfig::operation_ttl`].
    pub operations: usize,
    /// Remembered `request_id`s: forgotten after [`EmulatorConfig::request_id_window`].
    pub request_ids: usize,
    /// Queued time-driven transitions: proportional to the events, DVR sessions and
    /// operations.
    pub timers: usize,
    /// Recorded requests: at most [`EmulatorConfig::request_log_limit`] per method.
    pub recorded_requests: usize,
}

/// An in-memory Live Stream API emulator: its state and its controls. Cheap to clone (a
/// handle); every clone controls the same emulator.
///
/// Build one with [`Emulator::builder`]; serve it in-process with [`Emulator::service`] or
/// on a socket with [`EmulatorBuilder::start`].
#[derive(Clone, Debug)]
pub struct Emulator {
    pub(super) shared: Arc<Shared>,
}

impl Default for Emulator {
    fn default() -> Self {
        Emulator::builder().build()
    }
}

impl Emulator {
    /// A builder with the default configuration.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    pub(super) fn from_parts(config: EmulatorConfig, base: SystemTime) -> Self {
        Emulator {
            shared: Arc::new(Shared {
                state: RwLock::new(State::new(config)),
                clock: Clock::new(base),
                controls: Controls::new(),
                ops_changed: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The emulated API (and the admin service) as one tower service, for in-process use
    /// without a socket: hand it to a generated client (or [`crate::Client::from_service`]).
    /// Requests are checked as the socket server checks them (see [`EmulatorService`]).
    ///
    /// ```
    /// use livestream_grpc::emulator::Emulator;
    /// use livestream_grpc::location::{locations_client::LocationsClient, ListLocationsRequest};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tonic::Status> {
    /// let emu = Emulator::builder().build();
    /// let mut locations = LocationsClient::new(emu.service());
    /// let list = locations
    ///     .list_locations(ListLocationsRequest { name: "projects/p".into(), ..Default::default() })
    ///     .await?
    ///     .into_inner();
    /// assert!(list.locations.iter().any(|l| l.location_id == "us-central1"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn service(&self) -> EmulatorService {
        use crate::location::locations_server::LocationsServer;
        use crate::longrunning::operations_server::OperationsServer;
        use crate::v1::livestream_service_server::LivestreamServiceServer;
        let api = service::Service {
            shared: Arc::clone(&self.shared),
        };
        let admin = admin_service::AdminService {
            emulator: self.clone(),
        };
        let routes = Routes::new(LivestreamServiceServer::new(api.clone()))
            .add_service(OperationsServer::new(api.clone()))
            .add_service(LocationsServer::new(api))
            .add_service(admin::emulator_admin_server::EmulatorAdminServer::new(
                admin,
            ))
            .prepare();
        EmulatorService { routes }
    }

    /// The current configuration.
    pub fn config(&self) -> EmulatorConfig {
        self.shared.config(Clone::clone)
    }

    /// Replaces the configuration (resources are kept).
    pub fn set_config(&self, config: EmulatorConfig) {
        self.with_state(|s| s.config = config);
    }

    /// How long operations started from now on take.
    pub fn set_lro_timing(&self, timing: LroTiming) {
        self.with_state(|s| s.config.lro_timing = timing);
    }

    pub(super) fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let now = self.now();
        let result = self.shared.update(now, f);
        self.shared.ops_changed.notify_waiters();
        result
    }

    /// The emulator's current time: the start time, plus tokio time elapsed since (so
    /// `tokio::time::pause`/`advance` move it), plus [`advance_clock`](Self::advance_clock).
    pub fn now(&self) -> SystemTime {
        self.shared.clock.now()
    }

    /// Moves the clock forward; transitions due by then (event schedules, DVR windows,
    /// delayed operations, cooldowns) happen.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
        self.with_state(|_| ());
    }

    /// Deletes every resource, operation and remembered request_id, and clears faults,
    /// latencies, call counts and recorded requests. Clock and configuration are kept.
    pub fn reset(&self) {
        self.with_state(State::reset);
        self.shared.controls.reset();
    }

    /// The state: resources, operations, remembered `request_id`s and the clock, as the
    /// snapshot `--data-dir` keeps (`state.pb`, see `proto/livestream/emulator/v1/state.proto`),
    /// with credentials redacted (an RTMP push distribution's `stream_key` becomes
    /// `<redacted, N bytes>`). Faults, latencies, call counts and recorded requests are not
    /// part of it. The admin service's `ExportState` and
    /// [`RemoteEmulator::export_state`](super::RemoteEmulator::export_state) answer the same.
    ///
    /// Another emulator starts from it with
    /// [`EmulatorBuilder::initial_state`](super::EmulatorBuilder::initial_state)
    /// (`livestream emulator --load-state`). Encoded (`prost::Message::encode_to_vec`) and
    /// saved as `state.pb` in an otherwise empty directory, it is also what an emulator
    /// started with that `--data-dir` begins with.
    ///
    /// ```
    /// use livestream_grpc::emulator::Emulator;
    /// use livestream_grpc::v1::{input, CreateInputRequest, Input};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let emulator = Emulator::builder().build();
    /// let client = livestream_grpc::Client::from_service(emulator.service());
    /// let name = "projects/p/locations/us-central1/inputs/studio".parse::<livestream_grpc::names::InputName>()?;
    /// let input = Input { r#type: input::Type::RtmpPush as i32, ..Default::default() };
    /// client.create_input((&name, input)).await?.until_done().await?;
    ///
    /// let state = emulator.export_state();
    /// assert_eq!(state.inputs.len(), 1);
    /// assert_eq!(state.inputs[0].name, name);
    /// assert_eq!(state.operations.len(), 1);    // the CreateInput operation, done
    /// # Ok(()) }
    /// ```
    pub fn export_state(&self) -> admin::Snapshot {
        let now = self.now();
        let state = self.shared.read(now);
        persist::export(&state, now)
    }

    /// How much the emulator holds now, after running the transitions due (retention
    /// included): what a long-lived emulator's memory follows.
    ///
    /// ```
    /// use livestream_grpc::emulator::Emulator;
    /// let emu = Emulator::builder().build();
    /// assert_eq!(emu.footprint().operations, 0);
    /// ```
    pub fn footprint(&self) -> Footprint {
        // A write runs the due timers and forgets expired request_ids.
        let footprint = self.shared.update(self.now(), |state| Footprint {
            resources: state.channels.len()
                + state.inputs.len()
                + state.events.len()
                + state.clips.len()
                + state.dvr_sessions.len()
                + state.assets.len()
                + state.pools.len(),
            events: state.events.len(),
            operations: state.operations.len() + state.orphans.len(),
            request_ids: state.replays.len(),
            timers: state.timers.len(),
            recorded_requests: 0,
        });
        Footprint {
            recorded_requests: self.shared.controls.recorded(),
            ..footprint
        }
    }

    /// Completes one pending operation now (manual or delayed timing).
    pub fn complete_operation(
        &self,
        operation: impl std::fmt::Display,
    ) -> Result<(), ControlError> {
        let now = self.now();
        let name = operation.to_string();
        self.with_state(|s| {
            if s.complete_operation(&name, now) {
                Ok(())
            } else if s.operations.contains_key(&name) {
                Err(ControlError(errors::precondition(
                    "OPERATION_DONE",
                    &name,
                    format!("Operation '{name}' is already done"),
                )))
            } else {
                Err(ControlError(errors::not_found(&name)))
            }
        })
    }

    /// Completes every pending operation now; returns their names.
    pub fn complete_all_operations(&self) -> Vec<String> {
        let now = self.now();
        self.with_state(|s| s.complete_all(now))
    }
}
