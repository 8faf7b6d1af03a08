//! The client's environment variables. `LIVESTREAM_EMULATOR_HOST`: with no explicit
//! endpoint, `Client::builder().build()` connects to the emulator it names over plaintext
//! without credentials; explicit configuration wins. `GOOGLE_CLOUD_UNIVERSE_DOMAIN`: the
//! universe domain when none is set explicitly, and so the default endpoint, checked against
//! the credentials. One test in its own binary, because it sets process-wide environment
//! variables.

#[path = "client/client_emulator_support.rs"]
mod client_emulator_support;
#[path = "emulator/emulator_support.rs"]
mod emulator_support;

use client_emulator_support::{create_input, input, location};
use livestream_grpc::Client;
use livestream_grpc::ErrorKind;
use livestream_grpc::Method;
use livestream_grpc::emulator::Emulator;
use livestream_grpc::transport::{EMULATOR_HOST_ENV, UNIVERSE_DOMAIN_ENV};

/// Whether a client built anonymously from `builder` targets the production endpoint.
async fn targets_production(builder: livestream_grpc::ClientBuilder) -> bool {
    let client = builder.with_anonymous_credentials().build().await.unwrap();
    format!("{client:?}").contains("https://livestream.googleapis.com")
}

#[tokio::test]
async fn the_emulator_variable_switches_to_plaintext_and_anonymous() {
    let named = Emulator::builder().start().await.unwrap();
    let other = Emulator::builder().start().await.unwrap();

    // SAFETY: the only test of this binary; nothing else reads the environment now.
    unsafe { std::env::set_var(EMULATOR_HOST_ENV, named.address().to_string()) };

    let client = Client::builder().build().await.unwrap();
    assert!(format!("{client:?}").contains("(emulator)"), "{client:?}");
    let created = create_input(&client, "in").await;
    assert_eq!(client.get_input(input("in")).await.unwrap(), created);
    assert_eq!(named.call_count(Method::CreateInput), 1);
    let recorded = &named.requests(Method::GetInput)[0];
    assert!(recorded.header("authorization").is_none(), "anonymous");
    assert!(recorded.header("x-goog-user-project").is_none());

    // An explicit endpoint wins over the variable.
    let client = Client::builder()
        .with_endpoint(other.endpoint())
        .build()
        .await
        .unwrap();
    let err = client.get_input(input("in")).await.unwrap_err();
    assert!(
        err.is_not_found(),
        "the other emulator has no such input: {err:?}"
    );
    assert_eq!(other.call_count(Method::GetInput), 1);
    assert_eq!(named.call_count(Method::GetInput), 1);

    // So does an explicit emulator host, and ignoring the variable.
    let client = Client::builder()
        .with_emulator_host(other.address().to_string())
        .build()
        .await
        .unwrap();
    client.list_inputs(location()).await.unwrap();
    assert_eq!(other.call_count(Method::ListInputs), 1);
    assert!(targets_production(Client::builder().ignore_emulator_env()).await);

    // An empty variable is ignored.
    unsafe { std::env::set_var(EMULATOR_HOST_ENV, "") };
    assert!(targets_production(Client::builder()).await);
    unsafe { std::env::remove_var(EMULATOR_HOST_ENV) };
    assert_eq!(named.call_counts().values().sum::<u64>(), 2);

    universe_domain_variable(&named).await;
    named.shutdown().await.unwrap();
    other.shutdown().await.unwrap();
}

/// `GOOGLE_CLOUD_UNIVERSE_DOMAIN`, run by the test above (the only test of this binary) once
/// it has removed `LIVESTREAM_EMULATOR_HOST`.
async fn universe_domain_variable(emulator: &livestream_grpc::emulator::RunningEmulator) {
    // SAFETY: the only test of this binary; nothing else reads the environment now.
    unsafe { std::env::set_var(UNIVERSE_DOMAIN_ENV, "example-cloud.eu") };
    let client = Client::builder()
        .with_anonymous_credentials()
        .build()
        .await
        .unwrap();
    assert_eq!(client.universe_domain(), "example-cloud.eu");
    assert!(
        format!("{client:?}").contains("https://livestream.example-cloud.eu"),
        "{client:?}"
    );
    // The explicit option wins over the variable.
    let client = Client::builder()
        .with_universe_domain("sovereign.example")
        .with_anonymous_credentials()
        .build()
        .await
        .unwrap();
    assert!(format!("{client:?}").contains("https://livestream.sovereign.example"));
    // An explicit endpoint or emulator host still decides where calls go.
    let client = Client::builder()
        .with_emulator_host(emulator.address().to_string())
        .build()
        .await
        .unwrap();
    assert_eq!(client.universe_domain(), "example-cloud.eu");
    client.list_inputs(location()).await.unwrap();
    // Credentials of the default universe do not belong to the variable's.
    #[cfg(any(feature = "auth", feature = "auth-ring"))]
    {
        let anonymous = google_cloud_auth::credentials::anonymous::Builder::new().build();
        let err = Client::builder()
            .with_endpoint(emulator.endpoint())
            .with_credentials(anonymous)
            .build()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UniverseDomainMismatch, "{err:?}");
        assert!(err.to_string().contains(UNIVERSE_DOMAIN_ENV), "{err}");
    }
    // A value that is no domain is a configuration error naming the variable.
    unsafe { std::env::set_var(UNIVERSE_DOMAIN_ENV, "https://example-cloud.eu") };
    let err = Client::builder()
        .with_anonymous_credentials()
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err:?}");
    assert!(err.to_string().contains(UNIVERSE_DOMAIN_ENV), "{err}");
    // An empty one is ignored.
    unsafe { std::env::set_var(UNIVERSE_DOMAIN_ENV, "") };
    assert!(targets_production(Client::builder()).await);
    unsafe { std::env::remove_var(UNIVERSE_DOMAIN_ENV) };
}
