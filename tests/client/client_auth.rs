//! Authentication: headers from a service-account key generated in the test (a self-signed
//! JWT: no token endpoint, no network) reach the server; credential failures are auth errors
//! that send nothing; nothing secret shows in `Debug`.

#![cfg(any(feature = "auth", feature = "auth-ring"))]

use crate::common::Fake;
use crate::common::names::channel;
use base64::Engine as _;
use google_cloud_auth::credentials::Credentials;
use livestream_grpc::transport::CLOUD_PLATFORM_SCOPE;
use livestream_grpc::{Client, ErrorKind};

const CLIENT_EMAIL: &str = "tester@p.iam.gserviceaccount.com";

/// A service-account key with a fresh RSA key (PKCS#8), as Google issues them.
fn service_account_key() -> (serde_json::Value, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let pem = key.serialize_pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
    let json = serde_json::json!({
        "type": "service_account",
        "project_id": "p",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": CLIENT_EMAIL,
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    (json, pem)
}

fn credentials(quota_project: Option<&str>) -> (Credentials, String) {
    let (json, pem) = service_account_key();
    let mut builder = google_cloud_auth::credentials::service_account::Builder::new(json);
    if let Some(project) = quota_project {
        builder = builder.with_quota_project_id(project);
    }
    (builder.build().unwrap(), pem)
}

fn jwt_claims(authorization: &str) -> serde_json::Value {
    let token = authorization.strip_prefix("Bearer ").unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT");
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&claims).unwrap()
}

#[tokio::test]
async fn service_account_headers_reach_the_server_over_a_socket() {
    let fake = Fake::new();
    let served = fake.serve().await;
    let (credentials, pem) = credentials(Some("quota-from-key"));
    let builder = Client::builder()
        .with_endpoint(served.endpoint())
        .with_credentials(credentials);
    let shown = format!("{builder:?}");
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains(&pem[40..80]),
        "{shown}"
    );
    let client = builder.build().await.unwrap();
    client.get_channel(channel()).await.unwrap();
    client.get_channel(channel()).await.unwrap();

    let authorization = fake.header("GetChannel", 0, "authorization").unwrap();
    let claims = jwt_claims(&authorization);
    assert_eq!(claims["iss"], CLIENT_EMAIL);
    assert_eq!(claims["scope"], CLOUD_PLATFORM_SCOPE);
    assert_eq!(
        fake.header("GetChannel", 0, "x-goog-user-project")
            .as_deref(),
        Some("quota-from-key")
    );
    // The token is cached by the credentials: the same on the second call.
    assert_eq!(
        fake.header("GetChannel", 1, "authorization").unwrap(),
        authorization
    );
    // The standard headers are there too.
    assert!(fake.header("GetChannel", 0, "x-goog-api-client").is_some());

    let shown = format!("{client:?}");
    assert!(!shown.contains(&authorization[7..]), "{shown}");
}

#[tokio::test]
async fn an_explicit_quota_project_overrides_the_credentials() {
    let fake = Fake::new();
    let (credentials, _) = credentials(Some("quota-from-key"));
    let client = Client::builder()
        .with_credentials(credentials)
        .with_quota_project("explicit")
        .build_with_service(fake.routes())
        .unwrap();
    client.get_channel(channel()).await.unwrap();
    assert_eq!(
        fake.header("GetChannel", 0, "x-goog-user-project")
            .as_deref(),
        Some("explicit")
    );
    assert!(fake.header("GetChannel", 0, "authorization").is_some());
}

#[tokio::test]
async fn anonymous_credentials_send_no_authorization() {
    let fake = Fake::new();
    let anonymous = google_cloud_auth::credentials::anonymous::Builder::new().build();
    let client = Client::builder()
        .with_credentials(anonymous)
        .build_with_service(fake.routes())
        .unwrap();
    client.get_channel(channel()).await.unwrap();
    assert!(fake.header("GetChannel", 0, "authorization").is_none());
}

#[tokio::test(start_paused = true)]
async fn failing_credentials_are_auth_errors_and_send_nothing() {
    use google_cloud_auth::credentials::testing::error_credentials;
    let fake = Fake::new();

    let client = Client::builder()
        .with_credentials(error_credentials(false))
        .build_with_service(fake.routes())
        .unwrap();
    let err = client.get_channel(channel()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(err.is_unauthenticated() && !err.is_retryable());
    assert!(!err.may_have_been_sent());
    assert_eq!(err.attempts(), 1);

    // A transient failure is retried like UNAVAILABLE, and still sends nothing.
    let client = Client::builder()
        .with_credentials(error_credentials(true))
        .build_with_service(fake.routes())
        .unwrap();
    let err = client.get_channel(channel()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.attempts(), 5);
    assert_eq!(fake.count("GetChannel"), 0);
}

#[tokio::test]
async fn the_auth_layer_works_under_a_raw_stub() {
    use livestream_grpc::transport::{AuthLayer, HeadersLayer, with_routing_header};
    use livestream_grpc::v1::GetChannelRequest;
    use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;

    let fake = Fake::new();
    let served = fake.serve().await;
    let (credentials, _) = credentials(None);
    let service = tower::ServiceBuilder::new()
        .layer(AuthLayer::new(credentials))
        .layer(HeadersLayer::new())
        .service(served.channel());
    let mut stub = LivestreamServiceClient::new(service);
    let request = with_routing_header(GetChannelRequest::from(&channel()));
    stub.get_channel(request).await.unwrap();
    assert!(
        fake.header("GetChannel", 0, "authorization")
            .unwrap()
            .starts_with("Bearer ")
    );
    assert_eq!(
        fake.header("GetChannel", 0, "x-goog-request-params")
            .unwrap(),
        format!("name={}", channel())
    );

    // A failing token is UNAUTHENTICATED for raw stub users too.
    let service = tower::ServiceBuilder::new()
        .layer(AuthLayer::new(
            google_cloud_auth::credentials::testing::error_credentials(false),
        ))
        .service(served.channel());
    let status = LivestreamServiceClient::new(service)
        .get_channel(GetChannelRequest::from(&channel()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
}

/// `auth-ring`: the client installs ring as rustls' process-wide provider (google-cloud-auth
/// has no provider of its own then, and panics when it signs a token without one). Ring's,
/// not aws-lc-rs's: it has no post-quantum key exchange (X25519MLKEM768).
#[cfg(feature = "auth-ring")]
#[tokio::test]
async fn auth_ring_installs_ring_as_the_process_provider() {
    let fake = Fake::new();
    let served = fake.serve().await;
    let (credentials, _) = credentials(None);
    let client = Client::builder()
        .with_endpoint(served.endpoint())
        .with_credentials(credentials)
        .build()
        .await
        .unwrap();
    client.get_channel(channel()).await.unwrap();
    let provider = rustls::crypto::CryptoProvider::get_default().expect("a provider installed");
    let groups: Vec<_> = provider.kx_groups.iter().map(|g| g.name()).collect();
    assert!(
        !groups.contains(&rustls::NamedGroup::X25519MLKEM768),
        "ring's provider, not aws-lc-rs's: {groups:?}"
    );
}

#[tokio::test]
async fn credentials_of_another_universe_fail_the_build() {
    let fake = Fake::new();
    let served = fake.serve().await;
    let of_other_universe = || {
        let (json, _) = service_account_key();
        google_cloud_auth::credentials::service_account::Builder::new(json)
            .with_universe_domain("example-cloud.eu")
            .build()
            .unwrap()
    };
    // The client's universe is the default one (this binary never sets
    // GOOGLE_CLOUD_UNIVERSE_DOMAIN): nothing is built, nothing is sent.
    let err = Client::builder()
        .with_endpoint(served.endpoint())
        .with_credentials(of_other_universe())
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UniverseDomainMismatch, "{err:?}");
    assert!(err.is_local() && !err.may_have_been_sent());
    let message = err.to_string();
    assert!(
        message.contains("\"googleapis.com\"") && message.contains("\"example-cloud.eu\""),
        "{message}"
    );

    // Configured for that universe, the client builds and its calls carry the credentials.
    let client = Client::builder()
        .with_endpoint(served.endpoint())
        .with_universe_domain("example-cloud.eu")
        .with_credentials(of_other_universe())
        .build()
        .await
        .unwrap();
    assert_eq!(client.universe_domain(), "example-cloud.eu");
    client.get_channel(channel()).await.unwrap();
    let authorization = fake.header("GetChannel", 0, "authorization").unwrap();
    assert!(authorization.starts_with("Bearer "));

    // Credentials of the default universe in a configured one fail the same way.
    let (default_universe, _) = credentials(None);
    let err = Client::builder()
        .with_endpoint(served.endpoint())
        .with_universe_domain("example-cloud.eu")
        .with_credentials(default_universe)
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UniverseDomainMismatch, "{err:?}");
    assert_eq!(fake.count("GetChannel"), 1);
}
