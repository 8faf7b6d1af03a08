//! [`Recorded`]: one request a mock received, with its metadata.

use std::time::Duration;

use tonic::metadata::MetadataMap;

use crate::methods::Request;
use crate::wire::{ROUTING_HEADER, grpc_timeout};

/// One request a [`Mock`](super::Mock) received: the typed message and the call's metadata
/// (the headers the caller sent). Dereferences to the request, so `recorded.name` reads its
/// field.
///
/// ```
/// use livestream_grpc::mock::Mock;
/// use livestream_grpc::v1::{Channel, GetChannelRequest};
/// use livestream_grpc::Client;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mock = Mock::new();
/// mock.get_channel().returns(Channel::default());
/// let client = Client::from_service(mock.service());
/// let name = "projects/p/locations/us-central1/channels/c".parse::<livestream_grpc::names::ChannelName>()?;
/// client.get_channel(&name).with_attempt_timeout(std::time::Duration::from_secs(5)).await?;
///
/// let recorded = &mock.get_channel().requests()[0];
/// assert_eq!(recorded.name, name.to_string());
/// assert_eq!(recorded.routing_header(), Some("name=projects/p/locations/us-central1/channels/c"));
/// assert_eq!(recorded.timeout(), Some(std::time::Duration::from_secs(5)));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Recorded<R> {
    request: R,
    metadata: MetadataMap,
}

impl<R: Request> Recorded<R> {
    pub(super) fn new(request: R, metadata: MetadataMap) -> Self {
        Recorded { request, metadata }
    }

    /// The request message.
    pub fn request(&self) -> &R {
        &self.request
    }

    /// The request message, owned.
    pub fn into_request(self) -> R {
        self.request
    }

    /// The call's metadata.
    pub fn metadata(&self) -> &MetadataMap {
        &self.metadata
    }

    /// The value of the header `name`, if present and ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.metadata.get(name)?.to_str().ok()
    }

    /// The routing header (`x-goog-request-params`, e.g. `name=projects/p/...`, URL-encoded
    /// but for `/`), which the client sends on every call.
    pub fn routing_header(&self) -> Option<&str> {
        self.header(ROUTING_HEADER)
    }

    /// The request's `request_id` when it has that field and it is set (the client fills it
    /// with a UUID, the same for every attempt of a call).
    pub fn request_id(&self) -> Option<&str> {
        self.request.request_id().filter(|id| !id.is_empty())
    }

    /// The deadline the caller sent (`grpc-timeout`, the time left for this attempt when it
    /// was sent).
    pub fn timeout(&self) -> Option<Duration> {
        grpc_timeout(&self.metadata)
    }
}

impl<R> std::ops::Deref for Recorded<R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.request
    }
}
