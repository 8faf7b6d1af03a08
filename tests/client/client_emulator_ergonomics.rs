//! The ergonomics of issue 12, each against the emulator or a closed port: a connection
//! failure that names its target (item 8), an empty update mask refused locally (item 10).

use crate::client_emulator_support::*;
use livestream_grpc::emulator::LroTiming;
use livestream_grpc::{ErrorKind, Method};

#[tokio::test(start_paused = true)]
async fn an_empty_mask_is_a_local_error_not_an_update_of_every_field() {
    use livestream_grpc::field_mask::UpdateMask;
    use livestream_grpc::v1::UpdateInputRequest;

    let (emu, client) = in_process(LroTiming::Instant);
    let old = create_input(&client, "unchanged").await;
    let mask = UpdateMask::diff(&old, &old.clone()).unwrap();
    assert!(mask.is_empty());
    let err = client
        .update_input(UpdateInputRequest {
            input: Some(old.clone()),
            update_mask: Some(mask.into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFieldMask, "{err:?}");
    assert!(err.is_local() && !err.may_have_been_sent());
    assert!(err.to_string().contains("nothing to update"), "{err}");
    assert_eq!(emu.call_count(Method::UpdateInput), 0);

    // No mask at all still means "the fields present", and is sent.
    client
        .update_input(UpdateInputRequest {
            input: Some(old),
            ..Default::default()
        })
        .await
        .unwrap()
        .until_done()
        .await
        .unwrap();
    assert_eq!(emu.call_count(Method::UpdateInput), 1);
}

#[tokio::test]
async fn a_connection_failure_stays_connect_after_retries_and_names_the_target() {
    // A port nobody listens on: bind, note the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let endpoint = format!("http://{addr}");
    let client = livestream_grpc::Client::builder()
        .with_endpoint(&endpoint)
        .with_method_options(
            Method::GetLocation,
            livestream_grpc::policy::CallOptions::new().with_backoff(short_backoff()),
        )
        .build()
        .await
        .unwrap();
    let err = client.get_location(location()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert_eq!(err.attempts(), 5, "retried as UNAVAILABLE: {err:?}");
    assert!(err.is_retryable() && !err.may_have_been_sent());
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "GetLocation: cannot connect to {endpoint} (5 attempts)"
        )),
        "{message}"
    );
}
