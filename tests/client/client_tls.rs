//! TLS to a local server whose certificate is issued by a test CA (a CA plus a leaf for
//! `localhost`: rustls rejects a CA certificate used as a server certificate).

#![cfg(all(any(feature = "tls", feature = "tls-ring"), feature = "server"))]

use crate::common;

use crate::common::Fake;
use crate::common::names::channel;
use livestream_grpc::{Client, ErrorKind};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

struct Pki {
    ca_pem: String,
    leaf_pem: String,
    leaf_key_pem: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "livestream-grpc test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca, &ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        leaf_pem: leaf.pem(),
        leaf_key_pem: leaf_key.serialize_pem(),
    }
}

/// With both provider pairs (`tls` and `tls-ring`, as under `--all-features`) rustls has both
/// aws-lc-rs and ring and cannot pick a process-wide provider by itself: tonic's server TLS
/// (`ServerConfig::builder()`) then panics unless the application installs one, as a real
/// application mixing both would have to. This installs aws-lc-rs, the default `tls`
/// feature's, so that the test covers it; with one provider compiled in there is nothing to
/// choose.
fn install_crypto_provider() {
    #[cfg(all(feature = "tls", feature = "tls-ring"))]
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

#[tokio::test]
async fn tls_with_a_private_ca() {
    install_crypto_provider();
    let pki = pki();
    let fake = Fake::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = ServerTlsConfig::new().identity(Identity::from_pem(&pki.leaf_pem, &pki.leaf_key_pem));
    let routes = fake.routes();
    let server = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .tls_config(tls)
            .unwrap()
            .add_routes(routes)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .unwrap();
    });
    let endpoint = format!("https://127.0.0.1:{port}");

    let client = Client::builder()
        .with_endpoint(&endpoint)
        .with_tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&pki.ca_pem))
                .domain_name("localhost"),
        )
        .with_anonymous_credentials()
        .build()
        .await
        .unwrap();
    let got = client.get_channel(channel()).await.unwrap();
    assert_eq!(got, Default::default());
    assert_eq!(fake.count("GetChannel"), 1);

    // The system roots do not trust the test CA: the handshake fails, nothing is sent.
    let untrusting = common::never_retry_get_channel(
        Client::builder()
            .with_endpoint(&endpoint)
            .with_tls_config(
                ClientTlsConfig::new()
                    .with_enabled_roots()
                    .domain_name("localhost"),
            )
            .with_anonymous_credentials(),
    )
    .build()
    .await
    .unwrap();
    let err = untrusting.get_channel(channel()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(!err.may_have_been_sent());
    assert_eq!(fake.count("GetChannel"), 1);
    server.abort();
}

#[tokio::test]
async fn the_default_endpoint_uses_tls_and_connects_lazily() {
    install_crypto_provider();
    // Building does not connect (nor fetch a token): no network in this test.
    let client = Client::builder()
        .ignore_emulator_env()
        .with_anonymous_credentials()
        .build()
        .await
        .unwrap();
    assert!(format!("{client:?}").contains("https://livestream.googleapis.com"));
}
