//! # livestream-grpc
//!
//! A gRPC client library for the [Google Cloud Video Live Stream API v1][api], and a local
//! emulator of that API.
//!
//! This crate re-exports the generated prost messages and tonic stubs of every proto package
//! it compiles, so users of the raw stubs lose nothing:
//!
//! | module | proto package |
//! |---|---|
//! | [`v1`] | `google.cloud.video.livestream.v1` (messages, `livestream_service_client`, `livestream_service_server`) |
//! | [`longrunning`] | `google.longrunning` (`Operation`, `operations_client`, `operations_server`) |
//! | [`location`] | `google.cloud.location` (`Location`, `locations_client`, `locations_server`) |
//! | [`rpc`] | `google.rpc` (`Status`) |
//! | [`api`] | `google.api` (annotation messages) |
//! | `r#type` | `google.type` (`TimeZone`, `DateTime`) |
//! | [`google`] | the whole generated tree |
//!
//! Server stubs (`*_server` modules) are behind the `server` feature, and so is `mock`: a
//! typed mock of the API built on them, for unit tests (canned answers per RPC, recorded
//! requests, call-count expectations). The emulator (`livestream_grpc::emulator`) is behind
//! `emulator`. Neither is a default feature (the README's "Adding it" shows the
//! dev-dependency line for tests).
//!
//! [`methods`] is the API table every layer reads: a [`Method`] per RPC, with what the protos
//! say about it, and the request traits.
//!
//! On top of the stubs, [`Client`] calls all 41 RPCs with typed resource names
//! ([`names`]), routing and API headers, retry and timeout policies ([`policy`]), automatic
//! `request_id`s, long-running operation pollers ([`Operation`]), pagers ([`Pager`]),
//! validated update masks ([`field_mask`]) and one [`Error`] type; see [`client`].
//!
//! The messages are prost structs whose fields are public. New fields are added to them
//! when the API grows, so construct them with `..Default::default()`:
//!
//! ```
//! use livestream_grpc::v1::{GetChannelRequest, Channel};
//! let request = GetChannelRequest {
//!     name: "projects/my-project/locations/us-central1/channels/my-channel".into(),
//!     ..Default::default()
//! };
//! assert!(request.name.ends_with("my-channel"));
//! let channel = Channel { labels: [("team".into(), "video".into())].into(), ..Default::default() };
//! assert_eq!(channel.labels["team"], "video");
//! ```
//!
//! [api]: https://cloud.google.com/livestream/docs

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[rustfmt::skip]
mod generated;

// The API table comes first: its `for_each_rpc!` (hidden: an implementation aid, not a stable
// interface) is then in scope, by name, in the modules below.
#[macro_use]
pub mod methods;

pub mod client;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
pub mod field_mask;
pub mod lro;
#[cfg(feature = "server")]
pub mod mock;
pub mod names;
pub mod paging;
pub mod policy;
pub mod reflect;
pub mod telemetry;
pub mod transport;
mod wire;

pub use client::{Call, Client, ClientBuilder};
pub use error::{Error, ErrorKind};
pub use lro::Operation;
pub use methods::Method;
pub use paging::{Items, Pager};

pub use generated::google;

/// The `prost-types` crate this one is built on (`Duration`, `Timestamp`, `FieldMask`,
/// `Any` in the messages), so you need not depend on it at the same version yourself.
pub use prost_types;

/// The `tonic` crate this one is built on (`tonic::Code` in errors, `tonic::Status` and
/// `tonic::async_trait` for your own server implementations, `tonic::transport::Channel`),
/// so you need not depend on it at the same version yourself.
pub use tonic;

/// Entry points for `cargo fuzz` (see `fuzz/README.md`); not part of the API. `cargo fuzz`
/// compiles with `--cfg fuzzing`, so ordinary builds do not contain this module.
#[cfg(all(fuzzing, feature = "emulator"))]
#[doc(hidden)]
pub mod __fuzz {
    /// Parses `text` as a filter and as an order_by for every listed resource type and
    /// evaluates what parses. Never panics (that is what the fuzzer checks).
    pub fn filter(text: &str) {
        crate::emulator::filter::fuzz(text);
    }
}

/// `google.cloud.video.livestream.v1`: the Live Stream API messages and service stubs.
pub use generated::google::cloud::video::livestream::v1;

/// `google.longrunning`: `Operation` and the Operations service stubs.
pub use generated::google::longrunning;

/// `google.cloud.location`: `Location` and the Locations service stubs.
pub use generated::google::cloud::location;

/// `google.rpc`: `Status`, the error carried by a failed long-running operation.
pub use generated::google::rpc;

/// `google.api`: the annotation messages (HTTP rules, field behaviour, resources).
pub use generated::google::api;

/// `google.type`: `TimeZone` and `DateTime`, used by channel timecode settings.
pub use generated::google::r#type;

/// The encoded `google.protobuf.FileDescriptorSet` of every compiled proto file (without
/// source comments): the input for reflection, field-mask validation and proto3 JSON.
///
/// ```
/// use prost::Message;
/// let set = prost_types::FileDescriptorSet::decode(livestream_grpc::FILE_DESCRIPTOR_SET).unwrap();
/// assert!(set.file.iter().any(|f| f.name() == "google/cloud/video/livestream/v1/service.proto"));
/// ```
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/file_descriptor_set.bin"));

/// The README's Rust code blocks, compiled (and run where they can) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// EMULATOR.md's Rust code blocks, compiled as doctests.
#[cfg(all(doctest, feature = "emulator"))]
#[doc = include_str!("../EMULATOR.md")]
struct EmulatorDoctests;
