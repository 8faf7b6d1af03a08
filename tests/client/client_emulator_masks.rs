//! Update masks end to end: `UpdateMask` and `field_mask::diff` driving updates of a
//! channel, an input, a DVR session (whose mask is required) and the pool against the
//! emulator, which applies them with the service's semantics; bad paths fail locally.

use livestream_grpc::Method;
use std::time::Duration;

use crate::client_emulator_support::*;
use livestream_grpc::ErrorKind;
use livestream_grpc::emulator::LroTiming;
use livestream_grpc::field_mask::{self, UpdateMask};
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;

#[tokio::test]
async fn a_channel_update_from_a_diff_changes_only_what_changed() {
    let (_emu, client) = in_process(LroTiming::Instant);
    let mut request = create_channel_request("ch", None);
    if let Some(body) = &mut request.channel {
        body.labels.insert("team".into(), "video".into());
    }
    let old: Channel = finished(client.create_channel(request)).await;
    let mut new = old.clone();
    new.output = Some(channel::Output {
        uri: "gs://my-bucket/elsewhere".into(),
    });
    new.manifests[0].max_segment_count = 10;
    new.labels.insert("team".into(), "audio".into()); // not updatable: left out
    assert_eq!(
        field_mask::diff(&old, &new).unwrap(),
        ["output", "manifests"]
    );
    let update = UpdateChannelRequest {
        update_mask: Some(UpdateMask::diff(&old, &new).unwrap().into()),
        channel: Some(new.clone()),
        ..Default::default()
    };
    let updated = finished(client.update_channel(update)).await;
    assert_eq!(updated.output, new.output);
    assert_eq!(updated.manifests, new.manifests);
    assert_eq!(updated.labels, old.labels, "labels are not updatable");
    assert_eq!(updated.elementary_streams, old.elementary_streams);
    assert_eq!(client.get_channel(channel("ch")).await.unwrap(), updated);

    // Without a mask, the updatable fields present in the payload change: the same as
    // `UpdateMask::present`.
    let sparse = Channel {
        name: channel("ch").to_string(),
        output: Some(channel::Output {
            uri: "gs://my-bucket/third".into(),
        }),
        ..Default::default()
    };
    assert_eq!(UpdateMask::present(&sparse).unwrap().paths(), ["output"]);
    let update = UpdateChannelRequest {
        channel: Some(sparse.clone()),
        ..Default::default()
    };
    let updated = finished(client.update_channel(update)).await;
    assert_eq!(updated.output, sparse.output);
    assert_eq!(updated.manifests, new.manifests, "absent: unchanged");
}

#[tokio::test]
async fn a_masked_field_absent_from_the_payload_is_cleared() {
    let (_emu, client) = in_process(LroTiming::Instant);
    let input_name = input("in");
    let old = create_input(&client, "in").await;
    let mut secured = old.clone();
    secured.security_rules = Some(input::SecurityRule {
        ip_ranges: vec!["192.0.2.0/24".into()],
    });
    let update = UpdateInputRequest {
        update_mask: Some(UpdateMask::diff(&old, &secured).unwrap().into()),
        input: Some(secured),
        ..Default::default()
    };
    let updated = finished(client.update_input(update)).await;
    assert!(updated.security_rules.is_some());
    // A camelCase path is normalized; the field is absent from the payload: cleared.
    let mask = UpdateMask::<Input>::from_paths(["securityRules"]).unwrap();
    assert_eq!(mask.paths(), ["security_rules"]);
    let update = UpdateInputRequest {
        update_mask: Some(mask.into()),
        input: Some(Input {
            name: input_name.to_string(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let cleared = finished(client.update_input(update)).await;
    assert_eq!(cleared.security_rules, None);
    assert_eq!(cleared.uri, old.uri, "not in the mask: kept");
}

#[tokio::test]
async fn a_dvr_session_update_needs_its_mask() {
    let (emu, client) = in_process(LroTiming::Instant);
    let ch = channel_with_input(&client, "ch").await;
    let now = emu.now();
    let window =
        |start: std::time::SystemTime, end: std::time::SystemTime| dvr_session::DvrWindow {
            kind: Some(dvr_session::dvr_window::Kind::TimeInterval(TimeInterval {
                start_time: Some(start.into()),
                end_time: Some(end.into()),
            })),
        };
    let create = CreateDvrSessionRequest {
        parent: ch.to_string(),
        dvr_session_id: "replay".into(),
        dvr_session: Some(DvrSession {
            dvr_manifests: vec![dvr_session::DvrManifest {
                manifest_key: "manifest_hls".into(),
                ..Default::default()
            }],
            dvr_windows: vec![window(
                now + Duration::from_secs(60),
                now + Duration::from_secs(120),
            )],
            ..Default::default()
        }),
        ..Default::default()
    };
    let old = finished(client.create_dvr_session(create)).await;
    assert_eq!(old.state(), dvr_session::State::Scheduled);
    let mut live = old.clone();
    live.dvr_windows = vec![window(
        now - Duration::from_secs(60),
        now + Duration::from_secs(600),
    )];
    let err = client
        .update_dvr_session(UpdateDvrSessionRequest {
            dvr_session: Some(live.clone()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFieldMask, "{err:?}");
    assert!(err.to_string().contains("dvr_windows"), "{err}");
    assert_eq!(emu.call_count(Method::UpdateDvrSession), 0);

    let update = UpdateDvrSessionRequest {
        update_mask: Some(UpdateMask::diff(&old, &live).unwrap().into()),
        dvr_session: Some(live.clone()),
        ..Default::default()
    };
    let updated = finished(client.update_dvr_session(update)).await;
    assert_eq!(updated.dvr_windows, live.dvr_windows);
    assert_eq!(
        client
            .get_dvr_session(ch.dvr_session("replay").unwrap())
            .await
            .unwrap()
            .state(),
        dvr_session::State::Live
    );
}

#[tokio::test]
async fn the_pool_updates_only_while_every_channel_is_stopped() {
    let (_emu, client) = in_process(LroTiming::Instant);
    let ch = channel_with_input(&client, "ch").await;
    let pool_name = location().pool("default").unwrap();
    let peered = Pool {
        name: pool_name.to_string(),
        network_config: Some(pool::NetworkConfig {
            peered_network: "projects/123456789/global/networks/default".into(),
        }),
        ..Default::default()
    };
    let mask = UpdateMask::present(&peered).unwrap();
    assert_eq!(mask.paths(), ["network_config"]);
    let request = UpdatePoolRequest {
        update_mask: Some(mask.into()),
        pool: Some(peered.clone()),
        ..Default::default()
    };
    let pool = finished(client.update_pool(request.clone())).await;
    assert_eq!(pool.network_config, peered.network_config);
    assert_eq!(client.get_pool(&pool_name).await.unwrap(), pool);
    // A valid mask, a state the emulator refuses.
    client.start_channel(&ch).await.unwrap();
    let err = client.update_pool(request).await.unwrap_err();
    assert!(err.is_failed_precondition() && !err.is_local(), "{err:?}");
}

#[tokio::test]
async fn unknown_and_read_only_paths_fail_locally_as_the_emulator_would() {
    let (emu, client) = in_process(LroTiming::Instant);
    assert!(UpdateMask::<Channel>::from_paths(["bogus"]).is_err());
    assert!(UpdateMask::<Channel>::new().with_path("labels").is_err());
    assert!(UpdateMask::<Pool>::from_paths(["name"]).is_err());
    let bad = |path: &str| UpdateChannelRequest {
        channel: Some(Channel {
            name: channel("ch").to_string(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["output".into(), path.into()],
        }),
        ..Default::default()
    };
    for path in ["bogus", "labels", "output.nope"] {
        let err = client.update_channel(bad(path)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidFieldMask, "{path}: {err:?}");
        assert!(err.to_string().contains(path), "{err}");
    }
    assert!(emu.call_counts().is_empty(), "{:?}", emu.call_counts());
    // The emulator agrees.
    create_channel(&client, "ch", None).await;
    let mut raw = LivestreamServiceClient::new(emu.service());
    for path in ["bogus", "labels", "output.nope"] {
        let status = raw.update_channel(bad(path)).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{path}");
    }
}
