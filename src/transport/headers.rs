//! The standard Google API headers as a tower layer: `x-goog-api-client`, `user-agent` and
//! `x-goog-user-project`.

use std::task::{Context, Poll};

use http::HeaderValue;
use http::header::{Entry, HeaderName, USER_AGENT};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::Error;

/// The tonic version this crate was built against (checked against Cargo.lock by a test).
macro_rules! tonic_version {
    () => {
        "0.14.9"
    };
}

/// The tonic version reported in `x-goog-api-client`.
pub const TONIC_VERSION: &str = tonic_version!();

/// The `x-goog-api-client` value: `gl-rust/<rustc> grpc/<tonic> gapic/<this crate>`.
pub const API_CLIENT: &str = concat!(
    "gl-rust/",
    env!("LIVESTREAM_GRPC_RUSTC_VERSION"),
    " grpc/",
    tonic_version!(),
    " gapic/",
    env!("CARGO_PKG_VERSION")
);

/// The `user-agent` this crate sends (after a caller's own product token, if any; tonic
/// appends `tonic/<version>`).
pub const USER_AGENT_TOKEN: &str = concat!("livestream-grpc/", env!("CARGO_PKG_VERSION"));

/// The `user-agent` value: `[<product> ]livestream-grpc/<version>`.
pub(crate) fn user_agent(product: Option<&str>) -> String {
    match product {
        Some(product) => format!("{product} {USER_AGENT_TOKEN}"),
        None => USER_AGENT_TOKEN.to_owned(),
    }
}

// Header names and the fixed value as constants: built at compile time, not parsed and
// checked on every call.
const API_CLIENT_HEADER: HeaderName = HeaderName::from_static("x-goog-api-client");
const USER_PROJECT_HEADER: HeaderName = HeaderName::from_static("x-goog-user-project");
const API_CLIENT_VALUE: HeaderValue = HeaderValue::from_static(API_CLIENT);

/// A tower layer that adds the standard Google API headers to every request:
///
/// - `x-goog-api-client: gl-rust/<rustc> grpc/<tonic> gapic/<version>` (appended to a value
///   already on the request);
/// - `user-agent: [<yours> ]livestream-grpc/<version>`;
/// - `x-goog-user-project: <project>` when a quota project is set (it replaces one the
///   credentials added, so put this layer inside the [`AuthLayer`](super::AuthLayer)).
///
/// The client stacks it for you; stack it yourself around a raw generated stub:
///
/// ```
/// use livestream_grpc::transport::HeadersLayer;
/// use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:8085").connect_lazy();
/// let layer = HeadersLayer::new().with_user_agent("my-app/1.0")?.with_quota_project("my-project")?;
/// let service = tower::ServiceBuilder::new().layer(layer).service(channel);
/// let stub = LivestreamServiceClient::new(service);
/// # let _ = stub;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct HeadersLayer {
    /// `None` when the channel's endpoint already sends it.
    user_agent: Option<HeaderValue>,
    quota_project: Option<HeaderValue>,
}

impl Default for HeadersLayer {
    fn default() -> Self {
        HeadersLayer::new()
    }
}

impl HeadersLayer {
    /// The api-client and user-agent headers, no quota project.
    pub fn new() -> Self {
        HeadersLayer {
            user_agent: Some(HeaderValue::from_static(USER_AGENT_TOKEN)),
            quota_project: None,
        }
    }

    /// Puts `product` (`my-app/1.2`) before this crate's user-agent token.
    pub fn with_user_agent(mut self, product: &str) -> Result<Self, Error> {
        let value = HeaderValue::try_from(user_agent(Some(product))).map_err(|_| {
            Error::config(format!(
                "user agent {product:?} is not a valid header value"
            ))
        })?;
        self.user_agent = Some(value);
        Ok(self)
    }

    /// Leaves `user-agent` to the channel, whose endpoint was built with [`user_agent`]
    /// (tonic then sends it as is, instead of merging two values on every call).
    pub(crate) fn without_user_agent(mut self) -> Self {
        self.user_agent = None;
        self
    }

    /// Bills quota to `project` (`x-goog-user-project`).
    pub fn with_quota_project(mut self, project: &str) -> Result<Self, Error> {
        self.quota_project = Some(HeaderValue::try_from(project).map_err(|_| {
            Error::config(format!(
                "quota project {project:?} is not a valid header value"
            ))
        })?);
        Ok(self)
    }
}

impl<S> Layer<S> for HeadersLayer {
    type Service = Headers<S>;

    fn layer(&self, inner: S) -> Headers<S> {
        Headers {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`HeadersLayer`]. Its future is the inner service's: no allocation.
#[derive(Clone, Debug)]
pub struct Headers<S> {
    inner: S,
    layer: HeadersLayer,
}

impl<S, B> Service<http::Request<B>> for Headers<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // One lookup per header (`entry`), not a `get` and then an `insert`.
        let headers = request.headers_mut();
        match headers.entry(API_CLIENT_HEADER) {
            Entry::Vacant(entry) => {
                entry.insert(API_CLIENT_VALUE);
            }
            Entry::Occupied(mut entry) if !contains_token(entry.get(), API_CLIENT) => {
                let mut merged = entry.get().as_bytes().to_vec();
                merged.push(b' ');
                merged.extend_from_slice(API_CLIENT.as_bytes());
                if let Ok(value) = HeaderValue::from_bytes(&merged) {
                    entry.insert(value);
                }
            }
            Entry::Occupied(_) => {}
        }
        if let Some(user_agent) = &self.layer.user_agent
            && let Entry::Vacant(entry) = headers.entry(USER_AGENT)
        {
            entry.insert(user_agent.clone());
        }
        if let Some(project) = &self.layer.quota_project {
            headers.insert(USER_PROJECT_HEADER, project.clone());
        }
        self.inner.call(request)
    }
}

fn contains_token(value: &HeaderValue, tokens: &str) -> bool {
    value.to_str().is_ok_and(|v| v.contains(tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_client_names_rust_tonic_and_this_crate() {
        let parts: Vec<&str> = API_CLIENT.split(' ').collect();
        assert_eq!(parts.len(), 3, "{API_CLIENT}");
        assert!(parts[0].starts_with("gl-rust/1."), "{API_CLIENT}");
        assert_eq!(parts[1], concat!("grpc/", tonic_version!()));
        assert_eq!(parts[2], concat!("gapic/", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn tonic_version_matches_cargo_lock() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"tonic\"\n"))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .map(|v| v.trim_matches('"'));
        assert_eq!(version, Some(TONIC_VERSION));
    }

    #[test]
    fn bad_header_values_are_config_errors() {
        assert!(HeadersLayer::new().with_user_agent("bad\nagent").is_err());
        assert!(HeadersLayer::new().with_quota_project("p\r").is_err());
    }
}
