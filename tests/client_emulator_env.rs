//! `LIVESTREAM_EMULATOR_HOST`: with no explicit endpoint the client connects to it over
//! plaintext without credentials; explicit configuration wins. One test in its own binary,
//! because it sets a process-wide environment variable.

mod common;

use common::Fake;
use common::names::channel;
use livestream_grpc::Client;

#[tokio::test]
async fn the_emulator_variable_switches_to_plaintext_and_anonymous() {
    let emulator = Fake::new();
    let emulator_served = emulator.serve().await;
    let other = Fake::new();
    let other_served = other.serve().await;

    // SAFETY: the only test of this binary; nothing else reads the environment now.
    unsafe { std::env::set_var("LIVESTREAM_EMULATOR_HOST", emulator_served.addr.to_string()) };

    let client = Client::builder().build().await.unwrap();
    assert!(format!("{client:?}").contains("(emulator)"), "{client:?}");
    client.get_channel(channel()).await.unwrap();
    assert_eq!(emulator.count("GetChannel"), 1);
    assert!(emulator.header("GetChannel", 0, "authorization").is_none());

    // An explicit endpoint wins over the variable.
    let client = Client::builder()
        .with_endpoint(other_served.endpoint())
        .build()
        .await
        .unwrap();
    client.get_channel(channel()).await.unwrap();
    assert_eq!(other.count("GetChannel"), 1);
    assert_eq!(emulator.count("GetChannel"), 1);

    // So does an explicit emulator host.
    let client = Client::builder()
        .with_emulator_host(other_served.addr.to_string())
        .build()
        .await
        .unwrap();
    client.get_channel(channel()).await.unwrap();
    assert_eq!(other.count("GetChannel"), 2);

    // An empty variable is ignored.
    unsafe { std::env::set_var("LIVESTREAM_EMULATOR_HOST", "") };
    let client = Client::builder()
        .with_anonymous_credentials()
        .build()
        .await
        .unwrap();
    assert!(format!("{client:?}").contains("https://livestream.googleapis.com"));
    unsafe { std::env::remove_var("LIVESTREAM_EMULATOR_HOST") };
}
