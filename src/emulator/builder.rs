//! [`EmulatorBuilder`]: an emulator's configuration before it starts, in-process or on a
//! socket.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::housekeeping::housekeeping_loop;
use super::{Emulator, EmulatorConfig, LroTiming, RunningEmulator, ServeError, admin};

/// Configures an emulator before it starts.
#[derive(Clone, Debug)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
    address: SocketAddr,
    data_dir: Option<PathBuf>,
    base_time: Option<SystemTime>,
    initial_state: Option<admin::Snapshot>,
    housekeeping: Duration,
    fsync: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            config: EmulatorConfig::default(),
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            base_time: None,
            initial_state: None,
            housekeeping: Duration::from_millis(500),
            fsync: false,
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

    /// Keep credential headers in the request log as clients sent them (default: redacted);
    /// see [`EmulatorConfig::record_credentials`] for the risk.
    pub fn record_credentials(mut self, record: bool) -> Self {
        self.config.record_credentials = record;
        self
    }

    /// The address [`start`](Self::start) binds (default `127.0.0.1:0`, a free port).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Keep the state in this directory: loaded at start; every change journaled before
    /// the call that made it is answered (so an acknowledged change survives the process
    /// being killed); compacted into a snapshot as the journal grows and at shutdown (see
    /// EMULATOR.md, "Durability"). Without it the state is in memory only.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// With a data directory, sync the journal to the disk (`fdatasync`) before answering
    /// each change (default: no), so that acknowledged changes survive a power loss or an
    /// operating-system crash too, at the cost of a disk flush per change (BENCHMARKS.md).
    /// Without it they survive the emulator process being killed, not the machine going
    /// down.
    pub fn fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// The emulator clock's start time (default: the system time at build).
    pub fn base_time(mut self, time: SystemTime) -> Self {
        self.base_time = Some(time);
        self
    }

    /// Start with this state: resources, operations (pending ones complete on their
    /// schedule), remembered `request_id`s, the operation counter, and the clock no earlier
    /// than the snapshot's `saved_at`. What [`Emulator::export_state`] answers (so redacted
    /// stream keys stay redacted), or a `--data-dir`'s `state.pb` decoded. With a
    /// [`data_dir`](Self::data_dir) that already holds a state, that state replaces this
    /// one; an empty directory starts from this one (it seeds the directory).
    ///
    /// ```
    /// use livestream_grpc::emulator::Emulator;
    /// use livestream_grpc::v1::{input, Input};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let first = Emulator::builder().build();
    /// let client = livestream_grpc::Client::from_service(first.service());
    /// let name = "projects/p/locations/us-central1/inputs/studio".parse::<livestream_grpc::names::InputName>()?;
    /// let input = Input { r#type: input::Type::RtmpPush as i32, ..Default::default() };
    /// client.create_input((&name, input)).await?.until_done().await?;
    ///
    /// let second = Emulator::builder().initial_state(first.export_state()).build();
    /// let client = livestream_grpc::Client::from_service(second.service());
    /// assert_eq!(client.get_input(&name).await?.name, name);
    /// # Ok(()) }
    /// ```
    pub fn initial_state(mut self, snapshot: admin::Snapshot) -> Self {
        self.initial_state = Some(snapshot);
        self
    }

    /// An emulator for in-process use ([`Emulator::service`]), with the
    /// [`initial_state`](Self::initial_state) if any; the data directory, if any, is
    /// ignored.
    pub fn build(self) -> Emulator {
        let emulator =
            Emulator::from_parts(self.config, self.base_time.unwrap_or_else(SystemTime::now));
        if let Some(snapshot) = self.initial_state {
            emulator.load_state(snapshot);
        }
        emulator
    }

    /// Binds the address (default `127.0.0.1:0`), loads the data directory if any, and
    /// serves until [`RunningEmulator::shutdown`] or drop.
    pub async fn start(self) -> Result<RunningEmulator, ServeError> {
        let data_dir = self.data_dir.clone();
        let housekeeping = self.housekeeping;
        let address = self.address;
        let fsync = self.fsync;
        let emulator = self.build();
        if let Some(dir) = &data_dir {
            let dir = dir.clone();
            let opened = emulator.clone();
            tokio::task::spawn_blocking(move || opened.open_data_dir(&dir, fsync))
                .await
                .map_err(std::io::Error::other)??;
        }
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        // Without TCP_NODELAY, small gRPC frames wait for delayed ACKs: ~40 ms per call.
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tonic::transport::Server::builder();
        // HTTP/1.1 too, for the REST mapping (dispatched on the content-type).
        #[cfg(feature = "rest")]
        let server = server.accept_http1(true);
        let server = tokio::spawn(server.serve_with_incoming_shutdown(
            emulator.service(),
            incoming,
            async {
                let _ = stopped.await;
            },
        ));
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
