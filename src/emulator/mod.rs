//! The in-memory Live Stream API emulator.
//!
//! A local server of the Live Stream API v1 (all 34 `LivestreamService` RPCs), the
//! `google.longrunning.Operations` mixin (Get, List, Cancel, Delete, and Wait as a blocking
//! poll) and the `google.cloud.location.Locations` mixin, with the control-plane behaviour
//! of the real service: resource names and ID rules, output-only fields, the state machines
//! of channels, distributions, events, clips, DVR sessions and assets, long-running
//! operations, `request_id` replay, paging, update masks and errors with `google.rpc`
//! details. There is no media plane; a simulated encoder stands in for one. `EMULATOR.md`
//! lists what is emulated, what is not, and the known differences.
//!
//! In a test, start it on a loopback port and talk to it with any gRPC client:
//!
//! ```
//! use livestream_grpc::emulator::Emulator;
//! use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
//! use livestream_grpc::v1::{channel::Output, Channel, CreateChannelRequest, GetChannelRequest};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emu = Emulator::builder().start().await?;
//! let mut client = LivestreamServiceClient::new(emu.channel());
//! let op = client
//!     .create_channel(CreateChannelRequest {
//!         parent: "projects/my-project/locations/us-central1".into(),
//!         channel_id: "my-channel".into(),
//!         channel: Some(Channel {
//!             output: Some(Output { uri: "gs://my-bucket/out/".into() }),
//!             ..Default::default()
//!         }),
//!         ..Default::default()
//!     })
//!     .await?
//!     .into_inner();
//! assert!(op.done); // operations complete instantly by default
//! let channel = client
//!     .get_channel(GetChannelRequest {
//!         name: "projects/my-project/locations/us-central1/channels/my-channel".into(),
//!         ..Default::default()
//!     })
//!     .await?
//!     .into_inner();
//! assert_eq!(channel.streaming_state(), livestream_grpc::v1::channel::StreamingState::Stopped);
//! emu.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Or without a socket: [`Emulator::service`] is a tower service that the generated clients
//! accept directly (`LivestreamServiceClient::new(emu.service())`).
//!
//! The controls ([`Emulator`] methods, and the admin gRPC service [`admin`] on the same
//! port) drive the clock, LRO completion, the simulated encoder, failure hooks, fault
//! injection, call counts and recorded request metadata.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use tonic::Status;
use tonic::service::Routes;

/// The parameters of a List request with the usual five fields.
macro_rules! list_params {
    ($method:literal, $req:expr) => {
        $crate::emulator::paging::ListParams {
            method: $method,
            parent: &$req.parent,
            page_size: $req.page_size,
            page_token: &$req.page_token,
            filter: &$req.filter,
            order_by: &$req.order_by,
        }
    };
}

mod admin_service;
mod assets;
mod channels;
mod clips;
mod clock;
mod config;
mod errors;
mod events;
mod faults;
pub(crate) mod filter;
mod inputs;
mod lro;
mod media;
mod operations;
mod paging;
mod persist;
mod service;
mod store;
pub(crate) mod validation;

pub use config::{
    DEFAULT_LOCATIONS, EmulatorConfig, LroTiming, MissingReference, Quotas, RateLimits,
};
pub use faults::{Fault, FaultScript, RecordedRequest};
pub use media::StreamProperties;

/// The emulator's admin API (`livestream.emulator.v1`, from
/// `proto/livestream/emulator/v1/admin.proto`): messages, `emulator_admin_client` and
/// `emulator_admin_server`. Served on the same port as the emulated API.
pub use crate::generated::livestream::emulator::v1 as admin;

use clock::Clock;
use faults::Controls;
use store::State;

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read_lock<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write_lock<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

/// Everything one emulator shares between its services and handles.
#[derive(Debug)]
pub(crate) struct Shared {
    state: RwLock<State>,
    clock: Clock,
    controls: Controls,
    /// Woken whenever the state may have changed (WaitOperation listens).
    ops_changed: tokio::sync::Notify,
}

impl Shared {
    /// The state for reading, after running the timers due by `now`.
    pub(crate) fn read(&self, now: SystemTime) -> RwLockReadGuard<'_, State> {
        {
            let state = read_lock(&self.state);
            if state.next_due().is_none_or(|due| due > now) {
                return state;
            }
        }
        drop(self.write(now));
        self.ops_changed.notify_waiters();
        read_lock(&self.state)
    }

    /// The state for writing, after running the timers due by `now`.
    pub(crate) fn write(&self, now: SystemTime) -> RwLockWriteGuard<'_, State> {
        let mut state = write_lock(&self.state);
        state.run_due(now);
        state.generation = state.generation.wrapping_add(1);
        state
    }

    pub(crate) fn config<T>(&self, pick: impl FnOnce(&EmulatorConfig) -> T) -> T {
        pick(&read_lock(&self.state).config)
    }
}

/// A control call that could not be carried out: an unknown method name, a resource that
/// does not exist, or one in the wrong state.
#[derive(Clone, Debug)]
pub struct ControlError(Status);

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

    fn unknown_method(method: &str) -> Self {
        ControlError(Status::invalid_argument(format!(
            "unknown method {method:?}: expected a short RPC name such as \"GetChannel\" or a full gRPC path"
        )))
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

/// An in-memory Live Stream API emulator: its state and its controls. Cheap to clone (a
/// handle); every clone controls the same emulator.
///
/// Build one with [`Emulator::builder`]; serve it in-process with [`Emulator::service`] or
/// on a socket with [`EmulatorBuilder::start`].
#[derive(Clone, Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
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

    fn from_parts(config: EmulatorConfig, base: SystemTime) -> Self {
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
    /// without a socket: hand it to a generated client.
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
    pub fn service(&self) -> Routes {
        use crate::location::locations_server::LocationsServer;
        use crate::longrunning::operations_server::OperationsServer;
        use crate::v1::livestream_service_server::LivestreamServiceServer;
        let api = service::Service {
            shared: Arc::clone(&self.shared),
        };
        let admin = admin_service::AdminService {
            emulator: self.clone(),
        };
        Routes::new(LivestreamServiceServer::new(api.clone()))
            .add_service(OperationsServer::new(api.clone()))
            .add_service(LocationsServer::new(api))
            .add_service(admin::emulator_admin_server::EmulatorAdminServer::new(
                admin,
            ))
            .prepare()
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

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let now = self.now();
        let result = f(&mut self.shared.write(now));
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

    fn method(method: &str) -> Result<usize, ControlError> {
        crate::methods::Method::from_name(method)
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
        crate::methods::Method::ALL
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

    /// Simulates an encoder connecting to an input, with default stream properties.
    pub fn connect_input(&self, input: impl std::fmt::Display) -> Result<(), ControlError> {
        self.connect_input_with(input, StreamProperties::default())
    }

    /// Simulates an encoder connecting to an input: `input_stream_property` is set, and the
    /// channels taking their stream from it go AWAITING_INPUT → STREAMING (started
    /// distributions: DISTRIBUTING).
    pub fn connect_input_with(
        &self,
        input: impl std::fmt::Display,
        properties: StreamProperties,
    ) -> Result<(), ControlError> {
        let now = self.now();
        let name = input.to_string();
        Ok(self.with_state(|s| s.connect_input(&name, properties, now))?)
    }

    /// Simulates the encoder leaving: channels go back to AWAITING_INPUT.
    pub fn disconnect_input(&self, input: impl std::fmt::Display) -> Result<(), ControlError> {
        let now = self.now();
        let name = input.to_string();
        Ok(self.with_state(|s| s.disconnect_input(&name, now))?)
    }

    /// Forces a failure on a channel (STREAMING_ERROR with `streaming_error`), a clip or
    /// DVR session (FAILED), an asset (ERROR) or a pending operation (done with an error,
    /// its change rolled back). A clip, DVR session or asset still being created makes its
    /// create operation fail.
    pub fn fail(&self, name: impl std::fmt::Display, message: &str) -> Result<(), ControlError> {
        let now = self.now();
        let name = name.to_string();
        Ok(self.with_state(|s| s.fail(&name, message, now))?)
    }

    fn fail_kind(
        &self,
        name: impl std::fmt::Display,
        kind: store::Kind,
        message: &str,
    ) -> Result<(), ControlError> {
        let name = name.to_string();
        if store::Kind::of(&name) != Some(kind) {
            return Err(ControlError(Status::invalid_argument(format!(
                "'{name}' is not a {} name",
                kind.resource_type()
            ))));
        }
        self.fail(name, message)
    }

    /// Forces a running channel into STREAMING_ERROR.
    pub fn fail_channel(
        &self,
        channel: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(channel, store::Kind::Channel, message)
    }

    /// Puts a started distribution of a channel into ERROR (a delivery failure), with
    /// `error` set; StartDistribution starts it again.
    pub fn fail_distribution(
        &self,
        channel: impl std::fmt::Display,
        key: &str,
        message: &str,
    ) -> Result<(), ControlError> {
        let now = self.now();
        let name = channel.to_string();
        Ok(self.with_state(|s| s.fail_distribution(&name, key, message, now))?)
    }

    /// Takes a channel out of STREAMING_ERROR (STREAMING if its input is connected).
    pub fn recover_channel(&self, channel: impl std::fmt::Display) -> Result<(), ControlError> {
        let now = self.now();
        let name = channel.to_string();
        Ok(self.with_state(|s| s.recover_channel(&name, now))?)
    }

    /// Forces a clip into FAILED.
    pub fn fail_clip(
        &self,
        clip: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(clip, store::Kind::Clip, message)
    }

    /// Forces a DVR session into FAILED.
    pub fn fail_dvr_session(
        &self,
        dvr_session: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(dvr_session, store::Kind::DvrSession, message)
    }

    /// Forces an asset into ERROR.
    pub fn fail_asset(
        &self,
        asset: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(asset, store::Kind::Asset, message)
    }

    /// Ends a pending operation with an error (its change rolled back).
    pub fn fail_operation(
        &self,
        operation: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(operation, store::Kind::Operation, message)
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

    /// The snapshot of the state, encoded (what `--data-dir` persists).
    fn encoded_snapshot(&self) -> (u64, Vec<u8>) {
        use prost::Message;
        let now = self.now();
        let state = read_lock(&self.shared.state);
        (
            state.generation,
            persist::snapshot(&state, now).encode_to_vec(),
        )
    }

    fn load_snapshot(&self, snapshot: admin::Snapshot) {
        // The clock never goes back across a restart (operation names sort by time).
        if let Some(saved) = snapshot.saved_at.and_then(|t| SystemTime::try_from(t).ok())
            && let Ok(behind) = saved.duration_since(self.now())
        {
            self.shared.clock.advance(behind);
        }
        let now = self.now();
        self.with_state(|s| persist::restore(s, snapshot, now));
    }
}

/// Why the emulator could not start or serve.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// Binding the address or reading/writing the data directory failed.
    Io(std::io::Error),
    /// The gRPC server failed.
    Transport(tonic::transport::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Io(e) => write!(f, "emulator I/O error: {e}"),
            ServeError::Transport(e) => write!(f, "emulator server error: {e}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Io(e) => Some(e),
            ServeError::Transport(e) => Some(e),
        }
    }
}

impl From<std::io::Error> for ServeError {
    fn from(e: std::io::Error) -> Self {
        ServeError::Io(e)
    }
}

impl From<tonic::transport::Error> for ServeError {
    fn from(e: tonic::transport::Error) -> Self {
        ServeError::Transport(e)
    }
}

/// Configures an emulator before it starts.
#[derive(Clone, Debug)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
    address: SocketAddr,
    data_dir: Option<PathBuf>,
    base_time: Option<SystemTime>,
    housekeeping: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            config: EmulatorConfig::default(),
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            base_time: None,
            housekeeping: Duration::from_millis(500),
        }
    }
}

impl EmulatorBuilder {
    /// The whole configuration.
    pub fn config(mut self, config: EmulatorConfig) -> Self {
        self.config = config;
        self
    }

    /// How long operations take.
    pub fn lro_timing(mut self, timing: LroTiming) -> Self {
        self.config.lro_timing = timing;
        self
    }

    /// The address [`start`](Self::start) binds (default `127.0.0.1:0`, a free port).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Keep the state in this directory (loaded at start, saved atomically after changes
    /// and at shutdown). Without it the state is in memory only.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The emulator clock's start time (default: the system time at build).
    pub fn base_time(mut self, time: SystemTime) -> Self {
        self.base_time = Some(time);
        self
    }

    /// An emulator for in-process use ([`Emulator::service`]); the data directory, if
    /// any, is ignored.
    pub fn build(self) -> Emulator {
        Emulator::from_parts(self.config, self.base_time.unwrap_or_else(SystemTime::now))
    }

    /// Binds the address (default `127.0.0.1:0`), loads the data directory if any, and
    /// serves until [`RunningEmulator::shutdown`] or drop.
    pub async fn start(self) -> Result<RunningEmulator, ServeError> {
        let data_dir = self.data_dir.clone();
        let housekeeping = self.housekeeping;
        let address = self.address;
        let emulator = self.build();
        if let Some(dir) = &data_dir {
            let dir = dir.clone();
            let loaded = tokio::task::spawn_blocking(move || persist::load(&dir))
                .await
                .map_err(std::io::Error::other)??;
            if let Some(snapshot) = loaded {
                emulator.load_snapshot(snapshot);
            }
        }
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        // Without TCP_NODELAY, small gRPC frames wait for delayed ACKs: ~40 ms per call.
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_routes(emulator.service())
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                }),
        );
        let endpoint = format!("http://{address}");
        let channel = tonic::transport::Endpoint::from_shared(endpoint.clone())?.connect_lazy();
        let (stop_housekeeping, housekeeping_stopped) = tokio::sync::oneshot::channel::<()>();
        let tasks = tokio::spawn(housekeeping_loop(
            emulator.clone(),
            data_dir.clone(),
            housekeeping,
            housekeeping_stopped,
        ));
        Ok(RunningEmulator {
            emulator,
            address,
            endpoint,
            channel,
            data_dir,
            stop: Some(stop),
            server: Some(server),
            housekeeping: Some((stop_housekeeping, tasks)),
        })
    }
}

/// Runs due timers in the background (so a standalone emulator's state moves on its own),
/// and saves the state to the data directory when it changed.
async fn housekeeping_loop(
    emulator: Emulator,
    data_dir: Option<PathBuf>,
    every: Duration,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut saved = None;
    loop {
        // Stop only between saves, so a save in progress is never overtaken by the final one.
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = emulator.now();
        drop(emulator.shared.read(now));
        if let Some(dir) = &data_dir {
            saved = save(&emulator, dir, saved).await;
        }
    }
}

/// Saves the state if its generation differs from `saved`; returns the saved generation.
async fn save(emulator: &Emulator, dir: &std::path::Path, saved: Option<u64>) -> Option<u64> {
    let generation = read_lock(&emulator.shared.state).generation;
    if saved == Some(generation) {
        return saved;
    }
    let (generation, bytes) = emulator.encoded_snapshot();
    let dir = dir.to_path_buf();
    match tokio::task::spawn_blocking(move || persist::write(&dir, &bytes)).await {
        Ok(Ok(())) => Some(generation),
        Ok(Err(e)) => {
            tracing::warn!("emulator: could not save state: {e}");
            saved
        }
        Err(e) => {
            tracing::warn!("emulator: could not save state: {e}");
            saved
        }
    }
}

/// How long [`RunningEmulator::shutdown`] lets calls in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An emulator serving on a socket. Dereferences to [`Emulator`] for the controls; stops
/// when [`shutdown`](Self::shutdown) is called or when dropped.
#[derive(Debug)]
pub struct RunningEmulator {
    emulator: Emulator,
    address: SocketAddr,
    endpoint: String,
    channel: tonic::transport::Channel,
    data_dir: Option<PathBuf>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), tonic::transport::Error>>>,
    housekeeping: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )>,
}

impl std::ops::Deref for RunningEmulator {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        &self.emulator
    }
}

impl RunningEmulator {
    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A (lazily connected) channel to the emulator, for any generated client.
    pub fn channel(&self) -> tonic::transport::Channel {
        self.channel.clone()
    }

    /// The emulator handle (also reachable through `Deref`).
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Stops serving (gracefully: calls in flight get up to 5 seconds to finish) and, with a
    /// data directory, saves the state a last time.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some((stop, task)) = self.housekeeping.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
        let served = match self.server.take() {
            Some(mut server) => {
                // Graceful, but bounded: a client that keeps its connection open must not
                // keep the emulator alive.
                match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                    Ok(joined) => joined.map_err(std::io::Error::other)?,
                    Err(_) => {
                        server.abort();
                        Ok(())
                    }
                }
            }
            None => Ok(()),
        };
        if let Some(dir) = &self.data_dir {
            let (_, bytes) = self.emulator.encoded_snapshot();
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || persist::write(&dir, &bytes))
                .await
                .map_err(std::io::Error::other)??;
        }
        Ok(served?)
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some((_, task)) = self.housekeeping.take() {
            task.abort();
        }
        // Dropping `stop` ends the server.
    }
}

/// Runs a standalone emulator until `shutdown` resolves: starts it as `builder` says,
/// calls `ready` once it listens (to print a banner), then shuts down gracefully.
pub async fn serve<F>(
    builder: EmulatorBuilder,
    shutdown: F,
    ready: impl FnOnce(&RunningEmulator),
) -> Result<(), ServeError>
where
    F: Future<Output = ()>,
{
    let running = builder.start().await?;
    ready(&running);
    shutdown.await;
    running.shutdown().await
}
