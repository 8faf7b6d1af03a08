//! [`ClientBuilder`]: endpoint, credentials, headers, connection and call options.

use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Channel;
use tower_layer::Layer as _;

use super::Client;
use crate::error::{Error, ErrorKind};
use crate::methods::Method;
use crate::policy::{CallOptions, PollingOptions, RetryThrottler};
use crate::transport::{
    self, ConnectOptions, EMULATOR_HOST_ENV, HeadersLayer, Target, TonicService, Transport,
    UNIVERSE_DOMAIN_ENV, box_service,
};

/// Which credentials to use.
#[derive(Clone, Default)]
enum CredentialsChoice {
    /// Application Default Credentials for TLS endpoints; none for plaintext endpoints, the
    /// emulator, and channels or services handed in.
    #[default]
    Default,
    /// No credentials.
    Anonymous,
    /// These credentials, everywhere.
    #[cfg(feature = "_auth")]
    Explicit(google_cloud_auth::credentials::Credentials),
}

/// Builds a [`Client`].
///
/// | setting | default |
/// |---|---|
/// | endpoint | `https://livestream.{universe domain}` over TLS; the emulator named by `LIVESTREAM_EMULATOR_HOST` (plaintext) when that is set and non-empty and no endpoint was set |
/// | universe domain | `googleapis.com`; `GOOGLE_CLOUD_UNIVERSE_DOMAIN` when that is set and non-empty; checked against the credentials' own by [`build`](Self::build) |
/// | credentials | Application Default Credentials with the `cloud-platform` scope (feature `auth`); none for plaintext endpoints and the emulator |
/// | quota project | none (credentials may name one) |
/// | user agent | `livestream-grpc/<version>` (after yours, if set) |
/// | connect timeout | 20 s |
/// | HTTP/2 keep-alive | off |
/// | call options | per method, see [`policy`](crate::policy#defaults) |
/// | retry throttler | an [`AdaptiveThrottler`](crate::policy::AdaptiveThrottler) (factor 2.0) of the client's own, shared by its clones |
/// | polling | 1 s, ×1.5, up to 20 s, for at most 30 minutes; transient poll failures polled through |
/// | call spans | at `DEBUG`; at `INFO` with [`with_tracing`](Self::with_tracing) |
///
/// Explicit configuration always wins over the environment.
///
/// ```no_run
/// # // no_run: connects to Google with Application Default Credentials, which CI lacks.
/// use std::time::Duration;
/// use livestream_grpc::Client;
///
/// # async fn example() -> Result<(), livestream_grpc::Error> {
/// let client = Client::builder()
///     .with_quota_project("my-billing-project")
///     .with_user_agent("my-app/1.0")
///     .with_connect_timeout(Duration::from_secs(5))
///     .with_keep_alive(Duration::from_secs(30))
///     .build()
///     .await?;
/// # let _ = client;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    universe_domain: Option<String>,
    emulator_host: Option<String>,
    use_emulator_env: bool,
    credentials: CredentialsChoice,
    quota_project: Option<String>,
    user_agent: Option<String>,
    connect: ConnectOptions,
    pub(super) call_options: CallOptions,
    pub(super) method_options: Vec<(Method, CallOptions)>,
    pub(super) throttler: Option<Arc<dyn RetryThrottler>>,
    pub(super) polling: PollingOptions,
    pub(super) tracing: bool,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credentials = match &self.credentials {
            CredentialsChoice::Default => "default",
            CredentialsChoice::Anonymous => "anonymous",
            #[cfg(feature = "_auth")]
            CredentialsChoice::Explicit(_) => "explicit (not shown)",
        };
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("universe_domain", &self.universe_domain)
            .field("emulator_host", &self.emulator_host)
            .field("use_emulator_env", &self.use_emulator_env)
            .field("credentials", &credentials)
            .field("quota_project", &self.quota_project)
            .field("user_agent", &self.user_agent)
            .field("connect", &self.connect)
            .field("call_options", &self.call_options)
            .field("method_options", &self.method_options)
            .field("throttler", &self.throttler)
            .field("polling", &self.polling)
            .field("tracing", &self.tracing)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        ClientBuilder {
            endpoint: None,
            universe_domain: None,
            emulator_host: None,
            use_emulator_env: true,
            credentials: CredentialsChoice::Default,
            quota_project: None,
            user_agent: None,
            connect: ConnectOptions {
                connect_timeout: Some(Duration::from_secs(20)),
                ..ConnectOptions::default()
            },
            call_options: CallOptions::new(),
            method_options: Vec::new(),
            throttler: None,
            polling: PollingOptions::default(),
            tracing: false,
        }
    }

    /// Connects to `endpoint` (`https://host[:port]` over TLS, `http://host:port` over
    /// plaintext) instead of the default, whatever `LIVESTREAM_EMULATOR_HOST` says.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The universe domain: the Google Cloud deployment to talk to (a sovereign or
    /// air-gapped one), instead of `GOOGLE_CLOUD_UNIVERSE_DOMAIN` or the default
    /// `googleapis.com`. The default endpoint becomes `https://livestream.{universe_domain}`
    /// (an explicit endpoint or the emulator still wins), and [`build`](Self::build) fails
    /// with [`ErrorKind::UniverseDomainMismatch`] when the credentials belong to another
    /// universe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), livestream_grpc::Error> {
    /// let client = livestream_grpc::Client::builder()
    ///     .with_universe_domain("example-cloud.eu")
    ///     .with_anonymous_credentials()
    ///     .ignore_emulator_env()
    ///     .build()
    ///     .await?;
    /// assert_eq!(client.universe_domain(), "example-cloud.eu");
    /// assert!(format!("{client:?}").contains("https://livestream.example-cloud.eu"));
    /// # Ok(()) }
    /// ```
    pub fn with_universe_domain(mut self, universe_domain: impl Into<String>) -> Self {
        self.universe_domain = Some(universe_domain.into());
        self
    }

    /// Connects to an emulator at `host:port` over plaintext with anonymous credentials
    /// (unless credentials are set explicitly), as if `LIVESTREAM_EMULATOR_HOST` named it.
    pub fn with_emulator_host(mut self, host: impl Into<String>) -> Self {
        self.emulator_host = Some(host.into());
        self
    }

    /// Ignores `LIVESTREAM_EMULATOR_HOST`.
    pub fn ignore_emulator_env(mut self) -> Self {
        self.use_emulator_env = false;
        self
    }

    /// Authenticates with these google-cloud-auth credentials (service account, user,
    /// impersonated, external account, ...), on every target.
    #[cfg(feature = "_auth")]
    pub fn with_credentials(
        mut self,
        credentials: google_cloud_auth::credentials::Credentials,
    ) -> Self {
        self.credentials = CredentialsChoice::Explicit(credentials);
        self
    }

    /// Sends no credentials.
    pub fn with_anonymous_credentials(mut self) -> Self {
        self.credentials = CredentialsChoice::Anonymous;
        self
    }

    /// Bills quota to `project` (`x-goog-user-project`), overriding what the credentials
    /// say.
    pub fn with_quota_project(mut self, project: impl Into<String>) -> Self {
        self.quota_project = Some(project.into());
        self
    }

    /// Puts `product` (`my-app/1.0`) first in the `user-agent` header.
    pub fn with_user_agent(mut self, product: impl Into<String>) -> Self {
        self.user_agent = Some(product.into());
        self
    }

    /// How long connecting (TCP and TLS) may take.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect.connect_timeout = Some(timeout);
        self
    }

    /// Sends HTTP/2 pings at this interval, so idle connections through NATs and load
    /// balancers stay open and dead ones are noticed.
    pub fn with_keep_alive(mut self, interval: Duration) -> Self {
        self.connect.keep_alive_interval = Some(interval);
        self
    }

    /// How long to wait for a keep-alive ping's answer before closing the connection.
    pub fn with_keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.connect.keep_alive_timeout = Some(timeout);
        self
    }

    /// Uses this TLS configuration for `https` endpoints instead of the system's roots
    /// (for example a private CA, or a different server name).
    #[cfg(feature = "_tls")]
    pub fn with_tls_config(mut self, tls: tonic::transport::ClientTlsConfig) -> Self {
        self.connect.tls = Some(tls);
        self
    }

    /// Options for every method (settings not given keep their per-method default).
    pub fn with_call_options(mut self, options: CallOptions) -> Self {
        self.call_options = options;
        self
    }

    /// Options for one method, over [`with_call_options`](Self::with_call_options).
    pub fn with_method_options(mut self, method: Method, options: CallOptions) -> Self {
        self.method_options.push((method, options));
        self
    }

    /// The retry throttler of every call of the client (and its clones), unless call or
    /// method options set another: see [`RetryThrottler`]. By default each client has an
    /// [`AdaptiveThrottler`](crate::policy::AdaptiveThrottler) of its own;
    /// [`NeverThrottle`](crate::policy::NeverThrottle) turns throttling off.
    pub fn with_retry_throttler(mut self, throttler: impl RetryThrottler + 'static) -> Self {
        self.throttler = Some(Arc::new(throttler));
        self
    }

    /// The retry throttler, shared with other clients (so that they throttle together).
    pub fn with_shared_retry_throttler(mut self, throttler: Arc<dyn RetryThrottler>) -> Self {
        self.throttler = Some(throttler);
        self
    }

    /// How long-running operations are polled.
    pub fn with_polling_options(mut self, polling: PollingOptions) -> Self {
        self.polling = polling;
        self
    }

    /// Emits each call's `livestream_grpc.call` span at `INFO` instead of `DEBUG`, so an
    /// application that logs or exports `INFO` (as most do) sees one span per call with
    /// OpenTelemetry's RPC attributes, and (feature `metrics`) records the duration
    /// histogram and the retry counter: see [`telemetry`](crate::telemetry). Off by default,
    /// as in Google's Rust SDK: a call whose span no subscriber wants costs one level check.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), livestream_grpc::Error> {
    /// # let emulator = livestream_grpc::emulator::Emulator::builder().build();
    /// let client = livestream_grpc::Client::builder()
    ///     .with_tracing()
    ///     .build_with_service(emulator.service())?;
    /// # let _ = client;
    /// # Ok(()) }
    /// ```
    pub fn with_tracing(mut self) -> Self {
        self.tracing = true;
        self
    }

    /// Connects (lazily: the first call opens the connection) and builds the client.
    ///
    /// Fails on an invalid endpoint, universe domain, user agent or quota project, a
    /// missing `tls` (or `tls-ring`) feature for an `https` endpoint, credentials that cannot
    /// be loaded, credentials of another universe domain
    /// ([`ErrorKind::UniverseDomainMismatch`]), or when called outside a tokio runtime.
    pub async fn build(self) -> Result<Client, Error> {
        let env = if self.use_emulator_env && self.emulator_host.is_none() {
            std::env::var(EMULATOR_HOST_ENV).ok()
        } else {
            None
        };
        let universe_env = std::env::var(UNIVERSE_DOMAIN_ENV).ok();
        let universe = transport::resolve_universe_domain(
            self.universe_domain.as_deref(),
            universe_env.as_deref(),
        )?;
        let target = transport::resolve_target(
            self.endpoint.as_deref(),
            self.emulator_host.as_deref().or(env.as_deref()),
            &universe,
        );
        let (uri, secure) = match &target {
            Target::Endpoint(uri) => (uri.clone(), uri.starts_with("https:")),
            Target::Emulator(uri) => (uri.clone(), false),
        };
        // The endpoint sends the user agent, so the headers layer need not.
        let headers = self.headers_layer()?.without_user_agent();
        let connect = ConnectOptions {
            user_agent: self.user_agent.clone(),
            ..self.connect.clone()
        };
        let channel = transport::connect_lazy(&uri, &connect)?;
        let credentials = self.credentials_for(secure)?;
        #[cfg(feature = "_auth")]
        if let Some(credentials) = &credentials {
            check_universe_domain(credentials, &universe, self.connect.connect_timeout).await?;
        }
        let description = match target {
            Target::Endpoint(uri) => uri,
            Target::Emulator(uri) => format!("{uri} (emulator)"),
        };
        let target = Some(description.clone());
        self.assemble_channel(headers, channel, credentials, description, target, universe)
    }

    /// Builds a client over your own channel. Only explicitly set credentials are used.
    ///
    /// The universe domain plays no part here (there is no default endpoint to derive, and
    /// the credentials are not checked against it): [`Client::universe_domain`] reports the
    /// one set with [`with_universe_domain`](Self::with_universe_domain), else the default.
    pub fn build_with_channel(self, channel: Channel) -> Result<Client, Error> {
        let headers = self.headers_layer()?;
        let credentials = self.credentials_for(false)?;
        let universe = self.universe_without_env()?;
        let description = "channel".to_owned();
        self.assemble_channel(headers, channel, credentials, description, None, universe)
    }

    /// Builds a client over any tonic-compatible service (see [`Client::from_service`]).
    /// Only explicitly set credentials are used; as with
    /// [`build_with_channel`](Self::build_with_channel), the universe domain plays no part.
    pub fn build_with_service<S: TonicService>(self, service: S) -> Result<Client, Error> {
        let headers = self.headers_layer()?;
        let universe = self.universe_without_env()?;
        let transport = match self.credentials_for(false)? {
            #[cfg(feature = "_auth")]
            Some(credentials) => Transport::Boxed(box_service(
                transport::AuthLayer::new(credentials).layer(headers.layer(service)),
            )),
            _ => Transport::Boxed(box_service(headers.layer(service))),
        };
        Ok(Client::assemble(
            transport,
            self,
            "service".to_owned(),
            None,
            universe,
        ))
    }

    /// The universe domain of a client over a channel or service handed in: explicit, else
    /// the default (the environment names the universe of the default endpoint only).
    fn universe_without_env(&self) -> Result<String, Error> {
        transport::resolve_universe_domain(self.universe_domain.as_deref(), None)
    }

    fn headers_layer(&self) -> Result<HeadersLayer, Error> {
        let mut layer = HeadersLayer::new();
        if let Some(product) = &self.user_agent {
            layer = layer.with_user_agent(product)?;
        }
        if let Some(project) = &self.quota_project {
            layer = layer.with_quota_project(project)?;
        }
        Ok(layer)
    }

    /// The credentials to send: explicit ones anywhere; Application Default Credentials for
    /// `secure` targets when none were chosen; none otherwise.
    #[cfg(feature = "_auth")]
    fn credentials_for(
        &self,
        secure: bool,
    ) -> Result<Option<google_cloud_auth::credentials::Credentials>, Error> {
        match &self.credentials {
            CredentialsChoice::Anonymous => Ok(None),
            CredentialsChoice::Default if !secure => Ok(None),
            CredentialsChoice::Explicit(credentials) => Ok(Some(credentials.clone())),
            CredentialsChoice::Default => {
                transport::ensure_crypto_provider();
                google_cloud_auth::credentials::Builder::default()
                    .with_scopes([transport::CLOUD_PLATFORM_SCOPE])
                    .build()
                    .map(Some)
                    .map_err(|e| {
                        Error::local(
                            ErrorKind::Auth,
                            "Application Default Credentials could not be loaded",
                        )
                        .with_source(e)
                    })
            }
        }
    }

    #[cfg(not(feature = "_auth"))]
    fn credentials_for(&self, secure: bool) -> Result<Option<std::convert::Infallible>, Error> {
        match &self.credentials {
            CredentialsChoice::Default if secure => Err(Error::local(
                ErrorKind::Auth,
                "no credentials for a TLS endpoint: enable the `auth` (or `auth-ring`) feature of \
                 livestream-grpc, or call `with_anonymous_credentials()`",
            )),
            _ => Ok(None),
        }
    }

    /// Stacks `headers` and `credentials` (if any) over `channel`.
    fn assemble_channel(
        self,
        headers: HeadersLayer,
        channel: Channel,
        #[cfg(feature = "_auth")] credentials: Option<google_cloud_auth::credentials::Credentials>,
        #[cfg(not(feature = "_auth"))] credentials: Option<std::convert::Infallible>,
        description: String,
        target: Option<String>,
        universe_domain: String,
    ) -> Result<Client, Error> {
        let headers = headers.layer(channel);
        let transport = match credentials {
            None => Transport::Channel(headers),
            #[cfg(feature = "_auth")]
            Some(credentials) => {
                Transport::Authed(transport::AuthLayer::new(credentials).layer(headers))
            }
            #[cfg(not(feature = "_auth"))]
            Some(never) => match never {},
        };
        Ok(Client::assemble(
            transport,
            self,
            description,
            target,
            universe_domain,
        ))
    }
}

/// Fails unless `credentials` belong to `universe_domain` (credentials that name none
/// belong to the default one). Asking may take a request to the metadata server (for
/// credentials from it), bounded by the connect timeout; no answer counts as the default
/// universe, as google-cloud-auth itself does when the metadata server does not answer.
#[cfg(feature = "_auth")]
async fn check_universe_domain(
    credentials: &google_cloud_auth::credentials::Credentials,
    universe_domain: &str,
    bound: Option<Duration>,
) -> Result<(), Error> {
    let bound = bound.unwrap_or(Duration::from_secs(20));
    let theirs = tokio::time::timeout(bound, credentials.universe_domain())
        .await
        .ok()
        .flatten();
    let theirs = theirs
        .as_deref()
        .unwrap_or(transport::DEFAULT_UNIVERSE_DOMAIN);
    if theirs.eq_ignore_ascii_case(universe_domain) {
        return Ok(());
    }
    Err(Error::local(
        ErrorKind::UniverseDomainMismatch,
        format!(
            "the client is configured for the universe domain {universe_domain:?} but its \
             credentials belong to {theirs:?}: set the universe domain with \
             `with_universe_domain` or `{UNIVERSE_DOMAIN_ENV}` (the default is \
             {default:?}), or use credentials of that universe",
            default = transport::DEFAULT_UNIVERSE_DOMAIN,
        ),
    ))
}
