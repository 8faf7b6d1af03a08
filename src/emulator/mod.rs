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
//! Or without a socket: [`Emulator::service`] is a tower service ([`EmulatorService`]) that
//! the generated clients accept directly (`LivestreamServiceClient::new(emu.service())`).
//!
//! With the `rest` feature the same port (and the same in-process service) also serves the
//! API's REST mapping, HTTP/1.1 + JSON, transcoded into the same service, for Google's REST
//! clients (EMULATOR.md, "REST").
//!
//! The controls ([`Emulator`] methods, and the admin gRPC service [`admin`] on the same
//! port) drive the clock, LRO completion, the simulated encoder, failure hooks, fault
//! injection, call counts and recorded request metadata.

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
mod builder;
mod channels;
mod clips;
mod clock;
mod config;
mod errors;
mod events;
mod fault_controls;
mod faults;
pub(crate) mod filter;
mod handle;
mod housekeeping;
mod inputs;
mod journal;
mod lro;
mod media;
mod media_controls;
mod operations;
mod paging;
mod persist;
mod remote;
mod request_checks;
#[cfg(feature = "rest")]
mod rest;
mod running;
mod service;
mod shared;
mod store;
pub(crate) mod validation;

pub use builder::EmulatorBuilder;
pub use config::{
    DEFAULT_LOCATIONS, EmulatorConfig, LroTiming, MissingReference, Quotas, RateLimits,
};
pub use faults::{
    CREDENTIAL_HEADERS, Fault, FaultScript, RecordedRequest, Transport, redacted_credential,
};
pub use handle::{ControlError, Emulator, Footprint};
pub use media::StreamProperties;
pub use persist::STATE_FORMAT_VERSION;
pub use remote::RemoteEmulator;
pub use request_checks::EmulatorService;
pub use running::{RunningEmulator, ServeError, serve};

/// The emulator's admin API (`livestream.emulator.v1`, from
/// `proto/livestream/emulator/v1/admin.proto`): messages, `emulator_admin_client` and
/// `emulator_admin_server`. Served on the same port as the emulated API.
pub use crate::generated::livestream::emulator::v1 as admin;

pub(crate) use shared::{Shared, lock};
