//! The routing header for raw-stub users: [`with_routing_header`] (the header itself is
//! written by the `wire` module, shared with the emulator).

use crate::methods::Request;
use crate::wire::{routing_header, routing_key};

/// Wraps `request` in a `tonic::Request` carrying its routing header, for the raw stubs.
///
/// ```
/// use livestream_grpc::transport::with_routing_header;
/// use livestream_grpc::v1::GetChannelRequest;
///
/// let request = with_routing_header(GetChannelRequest {
///     name: "projects/p/locations/l/channels/c".into(),
///     ..Default::default()
/// });
/// assert_eq!(
///     request.metadata().get("x-goog-request-params").unwrap(),
///     "name=projects/p/locations/l/channels/c"
/// );
/// ```
pub fn with_routing_header<R: Request>(request: R) -> tonic::Request<R> {
    let value = routing_header(R::METHOD.routing_field(), request.routing_value());
    let mut request = tonic::Request::new(request);
    request.metadata_mut().insert(routing_key(), value);
    request
}
