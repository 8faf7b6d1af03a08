//! Authentication as a tower layer: [`AuthLayer`] asks google-cloud-auth credentials for
//! their headers (asynchronously, in the request future, never inside `poll_ready`) and adds
//! them to every request.

pub use crate::error::AuthError;

#[cfg(feature = "_auth")]
pub use with_auth::{AuthLayer, AuthService};

/// With `auth-ring`, google-cloud-auth is built without its aws-lc-rs provider (unless
/// `auth` or another crate turns it back on): it signs service-account JWTs and reaches token
/// endpoints through rustls' process-wide `CryptoProvider`, and panics where none is
/// installed. This installs ring's, unless the application installed one first (that one is
/// kept). Called before the client loads Application Default Credentials and by
/// [`AuthLayer::new`]. Also with `auth` on (as under `--all-features`), so that the tests
/// cover it: whoever asks for `auth-ring` asks for ring.
#[cfg(feature = "auth-ring")]
pub(crate) fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only when another thread installed a provider in between: it serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Without `auth-ring` google-cloud-auth has its aws-lc-rs provider (`auth`): nothing to install.
#[cfg(all(feature = "_auth", not(feature = "auth-ring")))]
pub(crate) fn ensure_crypto_provider() {}

#[cfg(feature = "_auth")]
mod with_auth {
    use std::fmt;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use google_cloud_auth::credentials::{CacheableResource, Credentials};
    use http::HeaderMap;
    use tower_layer::Layer;
    use tower_service::Service;

    use super::AuthError;

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

    /// Adds the headers of google-cloud-auth [`Credentials`] (`authorization`, and
    /// `x-goog-user-project` when the credentials name a quota project) to every request.
    ///
    /// The token is fetched in the request future (credentials cache and refresh it), so
    /// `poll_ready` never waits for it. A failure fails the request with an [`AuthError`]
    /// status before anything is sent. `Debug` never shows the credentials.
    ///
    /// The client stacks it for you; stack it yourself around a raw generated stub:
    ///
    /// ```no_run
    /// # // no_run: builds Application Default Credentials and connects to Google; CI has neither.
    /// use livestream_grpc::transport::{AuthLayer, HeadersLayer};
    /// use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
    ///
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let credentials = google_cloud_auth::credentials::Builder::default()
    ///     .with_scopes([livestream_grpc::transport::CLOUD_PLATFORM_SCOPE])
    ///     .build()?;
    /// let tls = tonic::transport::ClientTlsConfig::new().with_enabled_roots();
    /// let channel = tonic::transport::Endpoint::from_static("https://livestream.googleapis.com")
    ///     .tls_config(tls)?
    ///     .connect_lazy();
    /// let service = tower::ServiceBuilder::new()
    ///     .layer(AuthLayer::new(credentials))
    ///     .layer(HeadersLayer::new())
    ///     .service(channel);
    /// let stub = LivestreamServiceClient::new(service);
    /// # let _ = stub;
    /// # Ok(()) }
    /// ```
    #[derive(Clone)]
    pub struct AuthLayer {
        credentials: Credentials,
    }

    impl AuthLayer {
        /// Authenticates with `credentials`.
        ///
        /// With the `auth-ring` feature, this installs ring as rustls' process-wide
        /// `CryptoProvider` unless one is installed: google-cloud-auth needs one
        /// to sign service-account tokens. Building credentials may already need it (the
        /// metadata server's HTTP client): install it first yourself, with
        /// `rustls::crypto::ring::default_provider().install_default()`.
        pub fn new(credentials: Credentials) -> Self {
            super::ensure_crypto_provider();
            AuthLayer { credentials }
        }
    }

    impl fmt::Debug for AuthLayer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("AuthLayer").finish_non_exhaustive()
        }
    }

    impl<S> Layer<S> for AuthLayer {
        type Service = AuthService<S>;

        fn layer(&self, inner: S) -> AuthService<S> {
            AuthService {
                inner,
                credentials: self.credentials.clone(),
            }
        }
    }

    /// The service of [`AuthLayer`].
    #[derive(Clone)]
    pub struct AuthService<S> {
        inner: S,
        credentials: Credentials,
    }

    impl<S: fmt::Debug> fmt::Debug for AuthService<S> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("AuthService")
                .field("inner", &self.inner)
                .finish_non_exhaustive()
        }
    }

    /// The credentials' headers, or the failure as an [`AuthError`].
    async fn auth_headers(credentials: &Credentials) -> Result<HeaderMap, AuthError> {
        match credentials.headers(http::Extensions::new()).await {
            Ok(CacheableResource::New { data, .. }) => Ok(data),
            // Only returned when the caller passes an entity tag, which we never do.
            Ok(CacheableResource::NotModified) => Err(AuthError::new(
                "credentials answered \"not modified\" without an entity tag",
                false,
            )),
            Err(e) => Err(AuthError::new(e.to_string(), e.is_transient())),
        }
    }

    impl<S, B> Service<http::Request<B>> for AuthService<S>
    where
        S: Service<http::Request<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Send + 'static,
    {
        type Response = S::Response;
        type Error = BoxError;
        type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            self.inner.poll_ready(cx).map_err(Into::into)
        }

        fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
            // The ready service goes into the future; a fresh clone takes its place.
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            let credentials = self.credentials.clone();
            Box::pin(async move {
                let headers = auth_headers(&credentials)
                    .await
                    .map_err(|e| Box::new(e.into_status()) as BoxError)?;
                request.headers_mut().extend(headers);
                inner.call(request).await.map_err(Into::into)
            })
        }
    }
}
