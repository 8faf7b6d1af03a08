//! Update masks: built from the updatable paths, validated against the embedded
//! descriptors, computed from two versions of a resource, and checked by the client before
//! any Update is sent.

use crate::common::Fake;
use crate::common::names::{channel, location};
use livestream_grpc::ErrorKind;
use livestream_grpc::field_mask::{FieldMaskError, UpdateMask};
use livestream_grpc::v1::{channel::Output, *};

#[test]
fn masks_accept_updatable_paths_only() {
    let mask =
        UpdateMask::<Channel>::from_paths(["inputAttachments", "output.uri", "output"]).unwrap();
    assert_eq!(mask.paths(), ["input_attachments", "output.uri", "output"]);
    assert_eq!(
        UpdateMask::<Channel>::from_paths(["output", "output"])
            .unwrap()
            .paths(),
        ["output"]
    );
    assert!(matches!(
        UpdateMask::<Channel>::from_paths(["nonsense"]),
        Err(FieldMaskError::UnknownField { .. })
    ));
    assert!(matches!(
        UpdateMask::<Channel>::from_paths(["labels"]),
        Err(FieldMaskError::NotUpdatable { .. })
    ));
    assert!(matches!(
        UpdateMask::<Channel>::from_paths(["manifests.key"]),
        Err(FieldMaskError::NotTraversable { .. })
    ));
    assert!(matches!(
        UpdateMask::<Input>::from_paths(["preprocessing_config.nope"]),
        Err(FieldMaskError::UnknownField { .. })
    ));
    assert_eq!(UpdateMask::<Pool>::all().paths(), ["network_config"]);
    assert_eq!(UpdateMask::<DvrSession>::all().paths(), ["dvr_windows"]);
    let err = UpdateMask::<Input>::from_paths(["name"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("tier, preprocessing_config, security_rules"),
        "{err}"
    );
}

#[test]
fn masks_from_a_diff_and_from_presence() {
    let old = Channel {
        name: channel().to_string(),
        output: Some(Output {
            uri: "gs://a/".into(),
        }),
        ..Default::default()
    };
    let mut new = old.clone();
    new.output = Some(Output {
        uri: "gs://b/".into(),
    });
    new.labels.insert("team".into(), "video".into()); // not updatable: left out
    new.manifests.push(Manifest::default());
    let mask = UpdateMask::diff(&old, &new).unwrap();
    assert_eq!(mask.paths(), ["output", "manifests"]);
    assert!(UpdateMask::diff(&old, &old).unwrap().is_empty());
    let present = UpdateMask::present(&new).unwrap();
    assert_eq!(present.paths(), ["output", "manifests"]);
    let proto: prost_types::FieldMask = present.into();
    assert_eq!(proto.paths, ["output", "manifests"]);
}

#[tokio::test]
async fn the_client_validates_masks_before_sending() {
    let fake = Fake::new();
    let client = fake.client();
    let bad = UpdateChannelRequest {
        channel: Some(Channel {
            name: channel().to_string(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["labels".into()],
        }),
        ..Default::default()
    };
    let err = client.update_channel(bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFieldMask, "{err:?}");
    assert!(!err.may_have_been_sent() && err.is_local());

    let unknown = UpdateInputRequest {
        input: Some(Input {
            name: location().input("i").unwrap().to_string(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["tier".into(), "bogus".into()],
        }),
        ..Default::default()
    };
    let err = client.update_input(unknown).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFieldMask);
    assert!(err.to_string().contains("bogus"), "{err}");

    // UpdateDvrSession requires a mask.
    let dvr = channel().dvr_session("d").unwrap();
    let no_mask = UpdateDvrSessionRequest {
        dvr_session: Some(DvrSession {
            name: dvr.to_string(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = client.update_dvr_session(no_mask).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidFieldMask);
    assert!(err.to_string().contains("dvr_windows"), "{err}");
    assert!(fake.methods().is_empty());

    // A camelCase mask is sent in snake_case; a missing optional mask is fine.
    let camel = UpdateChannelRequest {
        channel: Some(Channel {
            name: channel().to_string(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec![
                "muxStreams".into(),
                "spriteSheets".into(),
                "muxStreams".into(),
            ],
        }),
        ..Default::default()
    };
    client.update_channel(camel).await.unwrap();
    let sent = &fake.requests::<UpdateChannelRequest>("UpdateChannel")[0];
    assert_eq!(
        sent.update_mask.as_ref().unwrap().paths,
        ["mux_streams", "sprite_sheets"]
    );
    let pool = UpdatePoolRequest {
        pool: Some(Pool {
            name: location().pool("default").unwrap().to_string(),
            ..Default::default()
        }),
        ..Default::default()
    };
    client.update_pool(pool).await.unwrap();
    assert_eq!(fake.count("UpdatePool"), 1);
}
