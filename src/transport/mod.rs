//! Connections and the tower layers under the client.
//!
//! - The endpoint: an explicit endpoint; else the emulator named by [`EMULATOR_HOST_ENV`]
//!   (plaintext, anonymous); else `https://livestream.{universe domain}` over TLS
//!   ([`DEFAULT_ENDPOINT`] in the default universe, `googleapis.com`; see
//!   [`UNIVERSE_DOMAIN_ENV`]).
//! - TLS: rustls (aws-lc-rs, the provider google-cloud-auth already uses) with the
//!   operating system's trust store, so corporate roots and TLS-inspecting proxies work as
//!   they do for every other program on the machine; the `webpki-roots` feature adds the
//!   bundled Mozilla roots for minimal containers without a CA bundle.
//! - [`AuthLayer`] (feature `auth`) and [`HeadersLayer`]: tower layers, so users of the raw
//!   generated stubs can stack them too.
//! - [`routing_header`] / [`with_routing_header`]: the `x-goog-request-params` header for any
//!   request, also usable with the raw stubs.

mod auth;
mod call_metadata;
mod headers;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tonic::body::Body;
use tonic::transport::Channel;
use tower::util::BoxCloneSyncService;
use tower_service::Service;

pub use crate::wire::{ROUTING_HEADER, routing_header};
pub use auth::AuthError;
#[cfg(feature = "_auth")]
pub(crate) use auth::ensure_crypto_provider;
#[cfg(feature = "_auth")]
pub use auth::{AuthLayer, AuthService};
pub use call_metadata::with_routing_header;
pub use headers::{API_CLIENT, Headers, HeadersLayer, TONIC_VERSION, USER_AGENT_TOKEN};

use crate::error::Error;

/// The production endpoint in the default universe.
pub const DEFAULT_ENDPOINT: &str = "https://livestream.googleapis.com";

/// The default universe domain: Google Cloud's public universe.
pub const DEFAULT_UNIVERSE_DOMAIN: &str = "googleapis.com";

/// The environment variable naming the universe domain (a sovereign or air-gapped Google
/// Cloud deployment) when
/// [`ClientBuilder::with_universe_domain`](crate::ClientBuilder::with_universe_domain) is
/// not used; the default endpoint is then `https://livestream.{universe domain}`. The same
/// variable Google's own client libraries read.
pub const UNIVERSE_DOMAIN_ENV: &str = "GOOGLE_CLOUD_UNIVERSE_DOMAIN";

/// The environment variable naming a local emulator (`host:port`). When it is set and
/// non-empty and no endpoint was set explicitly, the client connects to it over plaintext
/// with anonymous credentials.
pub const EMULATOR_HOST_ENV: &str = crate::wire::EMULATOR_HOST_ENV;

/// The OAuth scope the client asks for.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// A boxed error, as tower services return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Any tonic-compatible service, boxed once.
pub(crate) type BoxedService =
    BoxCloneSyncService<http::Request<Body>, http::Response<Body>, BoxError>;

/// A service the client can run on: anything that serves `http::Request<tonic::body::Body>`
/// like a `tonic::transport::Channel` does, and can be cloned and shared across threads. A
/// `tonic::service::Routes` of generated servers qualifies, as does a channel under your
/// own tower layers. Implemented for every such type.
pub trait TonicService:
    Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Error: Into<BoxError>,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> TonicService for S
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
}

/// Boxes a service once, mapping its error into a [`BoxError`].
pub(crate) fn box_service<S: TonicService>(service: S) -> BoxedService {
    BoxCloneSyncService::new(tower::ServiceExt::map_err(service, Into::into))
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<http::Response<Body>, BoxError>> + Send>>;

/// Where the client connects, once explicit settings and the environment are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// An endpoint URI (`https://` uses TLS).
    Endpoint(String),
    /// The emulator: plaintext, anonymous.
    Emulator(String),
}

/// The universe domain: the explicit one, else a non-empty environment variable, else
/// [`DEFAULT_UNIVERSE_DOMAIN`]. A domain that cannot be a host name's suffix is an
/// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) error.
pub(crate) fn resolve_universe_domain(
    explicit: Option<&str>,
    env: Option<&str>,
) -> Result<String, Error> {
    let (domain, from) = match (explicit, env.map(str::trim)) {
        (Some(domain), _) => (domain, "with_universe_domain"),
        (None, Some(domain)) if !domain.is_empty() => (domain, UNIVERSE_DOMAIN_ENV),
        _ => return Ok(DEFAULT_UNIVERSE_DOMAIN.to_owned()),
    };
    let valid = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        return Err(Error::config(format!(
            "invalid universe domain {domain:?} (from {from}): expected a domain such as \
             {DEFAULT_UNIVERSE_DOMAIN:?}"
        )));
    }
    Ok(domain.to_ascii_lowercase())
}

/// Explicit configuration wins; otherwise a non-empty emulator variable; otherwise the
/// service's endpoint in `universe_domain`.
pub(crate) fn resolve_target(
    explicit: Option<&str>,
    emulator_env: Option<&str>,
    universe_domain: &str,
) -> Target {
    if let Some(endpoint) = explicit {
        return Target::Endpoint(endpoint.to_owned());
    }
    match emulator_env.map(str::trim) {
        Some(host) if !host.is_empty() => {
            if host.contains("://") {
                Target::Emulator(host.to_owned())
            } else {
                Target::Emulator(format!("http://{host}"))
            }
        }
        _ => Target::Endpoint(format!("https://livestream.{universe_domain}")),
    }
}

/// Connection settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectOptions {
    /// The caller's product token, put before ours in `user-agent`.
    pub(crate) user_agent: Option<String>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) keep_alive_interval: Option<Duration>,
    pub(crate) keep_alive_timeout: Option<Duration>,
    #[cfg(feature = "_tls")]
    pub(crate) tls: Option<tonic::transport::ClientTlsConfig>,
}

/// A lazily connecting channel to `uri`: TLS for `https`, plaintext for `http`.
pub(crate) fn connect_lazy(uri: &str, options: &ConnectOptions) -> Result<Channel, Error> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::config(
            "the client must be built inside a tokio runtime",
        ));
    }
    let mut endpoint = tonic::transport::Endpoint::from_shared(uri.to_owned())
        .map_err(|e| Error::config(format!("invalid endpoint {uri:?}")).with_source(e))?;
    endpoint = endpoint
        .user_agent(headers::user_agent(options.user_agent.as_deref()))
        .map_err(|e| Error::config("invalid user agent").with_source(e))?;
    if let Some(timeout) = options.connect_timeout {
        endpoint = endpoint.connect_timeout(timeout);
    }
    if let Some(interval) = options.keep_alive_interval {
        endpoint = endpoint.http2_keep_alive_interval(interval);
    }
    if let Some(timeout) = options.keep_alive_timeout {
        endpoint = endpoint.keep_alive_timeout(timeout);
    }
    let https = endpoint.uri().scheme_str() == Some("https");
    if https {
        #[cfg(feature = "_tls")]
        {
            let tls = match &options.tls {
                Some(tls) => tls.clone(),
                None => tonic::transport::ClientTlsConfig::new().with_enabled_roots(),
            };
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|e| Error::config("invalid TLS configuration").with_source(e))?;
        }
        #[cfg(not(feature = "_tls"))]
        return Err(Error::config(format!(
            "{uri} needs TLS: enable the `tls` (or `tls-ring`) feature of livestream-grpc"
        )));
    }
    Ok(endpoint.connect_lazy())
}

/// The service under the client: a channel with the standard headers (no allocation per
/// call), a channel with auth (one allocation, for the token fetch), or any other
/// tonic-compatible service, boxed once.
#[derive(Clone)]
pub(crate) enum Transport {
    Channel(Headers<Channel>),
    #[cfg(feature = "_auth")]
    Authed(AuthService<Headers<Channel>>),
    Boxed(BoxedService),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Channel(_) => "Transport::Channel",
            #[cfg(feature = "_auth")]
            Transport::Authed(_) => "Transport::Authed",
            Transport::Boxed(_) => "Transport::Boxed",
        })
    }
}

impl Service<http::Request<Body>> for Transport {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = TransportFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Transport::Channel(s) => s.poll_ready(cx).map_err(Into::into),
            #[cfg(feature = "_auth")]
            Transport::Authed(s) => s.poll_ready(cx),
            Transport::Boxed(s) => s.poll_ready(cx),
        }
    }

    fn call(&mut self, request: http::Request<Body>) -> TransportFuture {
        match self {
            Transport::Channel(s) => TransportFuture::Channel {
                future: s.call(request),
            },
            #[cfg(feature = "_auth")]
            Transport::Authed(s) => TransportFuture::Boxed {
                future: s.call(request),
            },
            Transport::Boxed(s) => TransportFuture::Boxed {
                future: s.call(request),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Transport`].
    #[project = TransportFutureProj]
    pub(crate) enum TransportFuture {
        Channel { #[pin] future: tonic::transport::channel::ResponseFuture },
        Boxed { future: BoxFuture },
    }
}

impl Future for TransportFuture {
    type Output = Result<http::Response<Body>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            TransportFutureProj::Channel { future } => future.poll(cx).map_err(Into::into),
            TransportFutureProj::Boxed { future } => future.as_mut().poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIVERSE: &str = DEFAULT_UNIVERSE_DOMAIN;

    #[test]
    fn explicit_endpoint_wins_over_the_emulator_variable() {
        assert_eq!(
            resolve_target(
                Some("https://example.com"),
                Some("localhost:8085"),
                UNIVERSE
            ),
            Target::Endpoint("https://example.com".into())
        );
        assert_eq!(
            resolve_target(None, Some("localhost:8085"), UNIVERSE),
            Target::Emulator("http://localhost:8085".into())
        );
        assert_eq!(
            resolve_target(None, Some("http://[::1]:9000"), UNIVERSE),
            Target::Emulator("http://[::1]:9000".into())
        );
        assert_eq!(
            resolve_target(None, Some("  "), UNIVERSE),
            Target::Endpoint(DEFAULT_ENDPOINT.into())
        );
        assert_eq!(
            resolve_target(None, None, UNIVERSE),
            Target::Endpoint(DEFAULT_ENDPOINT.into())
        );
    }

    #[test]
    fn the_universe_domain_is_explicit_then_the_environment_then_the_default() {
        let resolve = |explicit, env| resolve_universe_domain(explicit, env).unwrap();
        assert_eq!(resolve(None, None), "googleapis.com");
        assert_eq!(resolve(None, Some(" ")), "googleapis.com");
        assert_eq!(resolve(None, Some("example-cloud.eu")), "example-cloud.eu");
        assert_eq!(
            resolve(Some("Sovereign.Example"), Some("example-cloud.eu")),
            "sovereign.example"
        );
        // The default endpoint follows the universe; an explicit endpoint or the emulator wins.
        assert_eq!(
            resolve_target(None, None, "example-cloud.eu"),
            Target::Endpoint("https://livestream.example-cloud.eu".into())
        );
        assert_eq!(
            resolve_target(Some("https://private.example"), None, "example-cloud.eu"),
            Target::Endpoint("https://private.example".into())
        );
        assert_eq!(
            resolve_target(None, Some("localhost:8085"), "example-cloud.eu"),
            Target::Emulator("http://localhost:8085".into())
        );
        for bad in [
            "",
            "https://googleapis.com",
            "googleapis.com/",
            "a..b",
            "-a.com",
            "a b",
            "ünï.com",
        ] {
            let err = resolve_universe_domain(Some(bad), None).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidConfig, "{bad:?}");
            assert!(err.to_string().contains("with_universe_domain"), "{err}");
        }
        let err = resolve_universe_domain(None, Some("http://x")).unwrap_err();
        assert!(err.to_string().contains(UNIVERSE_DOMAIN_ENV), "{err}");
    }
}
