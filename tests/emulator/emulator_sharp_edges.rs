//! One test per sharp edge of the spec (§7), named after it.

use livestream_grpc::Method;
use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::emulator::{EmulatorConfig, FaultScript, LroTiming};
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::event::{State as EventState, Task};
use livestream_grpc::v1::*;
use tonic::Code;

async fn delete_channel(env: &mut Env, id: &str, force: bool) -> Result<(), tonic::Status> {
    env.ls
        .delete_channel(DeleteChannelRequest {
            name: channel_name(id),
            force,
            ..Default::default()
        })
        .await
        .map(|_| ())
}

#[tokio::test]
async fn sharp_edge_01_stop_before_delete() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    let err = delete_channel(&mut env, "ch", false).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains(&channel_name("ch")),
        "{}",
        err.message()
    );
    let violations = details(&err).precondition_failure().cloned().unwrap();
    assert_eq!(violations.violations[0].subject, channel_name("ch"));
    env.stop_channel("ch").await.unwrap();
    delete_channel(&mut env, "ch", false).await.unwrap();
}

#[tokio::test]
async fn sharp_edge_02_delete_events_first_unless_force() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    env.create_event(
        "ch",
        "ad",
        Task::AdBreak(event::AdBreakTask {
            duration: Some(secs(30)),
        }),
    )
    .await
    .unwrap();
    env.stop_channel("ch").await.unwrap();
    let err = delete_channel(&mut env, "ch", false).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("events"), "{}", err.message());
    delete_channel(&mut env, "ch", true).await.unwrap();
    let err = env
        .ls
        .get_event(GetEventRequest {
            name: format!("{}/events/ad", channel_name("ch")),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "force deleted the events too");
}

#[tokio::test]
async fn sharp_edge_03_stopping_a_stopped_channel_is_an_error() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let err = env.stop_channel("ch").await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("STOPPED"), "{}", err.message());
}

#[tokio::test]
async fn sharp_edge_04_an_input_cannot_be_deleted_while_attached() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let delete_input = |env: &mut Env| {
        let mut ls = env.ls.clone();
        async move {
            ls.delete_input(DeleteInputRequest {
                name: input_name("ch-in"),
                ..Default::default()
            })
            .await
        }
    };
    let err = delete_input(&mut env).await.unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "even though the channel is stopped"
    );
    assert!(
        err.message().contains(&channel_name("ch")),
        "{}",
        err.message()
    );
    delete_channel(&mut env, "ch", false).await.unwrap();
    delete_input(&mut env).await.unwrap();
}

#[tokio::test]
async fn sharp_edge_05_events_need_a_started_channel() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let err = env
        .create_event(
            "ch",
            "ad",
            Task::AdBreak(event::AdBreakTask {
                duration: Some(secs(30)),
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    env.start_channel("ch").await;
    env.create_event(
        "ch",
        "ad",
        Task::AdBreak(event::AdBreakTask {
            duration: Some(secs(30)),
        }),
    )
    .await
    .unwrap();
    env.stop_channel("ch").await.unwrap();
    // Deleting events works in any channel state.
    env.ls
        .delete_event(DeleteEventRequest {
            name: format!("{}/events/ad", channel_name("ch")),
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn sharp_edge_06_execute_now_and_execution_time_are_mutually_exclusive() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    let now = env.now();
    let create = |id: &str, execute_now: bool, ahead: Option<u64>| {
        let mut ls = env.ls.clone();
        let id = id.to_owned();
        async move {
            ls.create_event(CreateEventRequest {
                parent: channel_name("ch"),
                event_id: id,
                event: Some(Event {
                    task: Some(Task::ReturnToProgram(event::ReturnToProgramTask {})),
                    execute_now,
                    execution_time: ahead.map(|s| at(now + Duration::from_secs(s))),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
        }
    };
    let both = create("both", true, Some(60)).await.unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
    assert_eq!(
        details(&both).bad_request().unwrap().field_violations[0].field,
        "event.execution_time"
    );
    let too_soon = create("soon", false, Some(5)).await.unwrap_err();
    assert_eq!(too_soon.code(), Code::InvalidArgument);
    let later = create("later", false, Some(60)).await.unwrap().into_inner();
    assert_eq!(later.state(), EventState::Scheduled);
    let now_event = create("now", true, None).await.unwrap().into_inner();
    let chosen = std::time::SystemTime::try_from(now_event.execution_time.unwrap()).unwrap();
    assert!(chosen >= now, "the server chose the execution time");
}

#[tokio::test]
async fn sharp_edge_07_unmute_when_not_muted_fails_the_event_not_the_rpc() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    env.create_event("ch", "unmute", Task::Unmute(event::UnmuteTask {}))
        .await
        .unwrap();
    let event = env.get_event("ch", "unmute").await;
    assert_eq!(event.state(), EventState::Failed);
    assert!(event.error.is_some());
    // Muted first, the unmute succeeds.
    env.create_event("ch", "mute", Task::Mute(event::MuteTask { duration: None }))
        .await
        .unwrap();
    env.create_event("ch", "unmute2", Task::Unmute(event::UnmuteTask {}))
        .await
        .unwrap();
    assert_eq!(
        env.get_event("ch", "unmute2").await.state(),
        EventState::Succeeded
    );
}

fn clip_request(
    id: &str,
    key: &str,
    from: std::time::SystemTime,
    to: std::time::SystemTime,
) -> CreateClipRequest {
    CreateClipRequest {
        parent: channel_name("ch"),
        clip_id: id.into(),
        clip: Some(Clip {
            output_uri: "gs://my-bucket/clips/".into(),
            slices: vec![clip::Slice {
                kind: Some(clip::slice::Kind::TimeSlice(clip::TimeSlice {
                    markin_time: Some(at(from)),
                    markout_time: Some(at(to)),
                })),
            }],
            clip_manifests: vec![clip::ClipManifest {
                manifest_key: key.into(),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn sharp_edge_08_clips_need_retention_manifest_key_hls_running_content_and_past_ranges() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let now = env.now();
    let past = (now - Duration::from_secs(50), now - Duration::from_secs(10));
    // Not running.
    let err = env
        .ls
        .create_clip(clip_request("c1", "manifest_hls", past.0, past.1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    env.start_channel("ch").await;
    // Running, but nothing produced before the start.
    let err = env
        .ls
        .create_clip(clip_request("c1", "manifest_hls", past.0, past.1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("content"), "{}", err.message());
    env.advance_clock(Duration::from_secs(120));
    let now = env.now();
    let (from, to) = (now - Duration::from_secs(60), now - Duration::from_secs(10));
    // Unknown manifest key.
    let err = env
        .ls
        .create_clip(clip_request("c1", "manifest_dash", from, to))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("manifest_dash"), "{}", err.message());
    // A future range.
    let err = env
        .ls
        .create_clip(clip_request(
            "c1",
            "manifest_hls",
            from,
            now + Duration::from_secs(30),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    // All good.
    let op = env
        .ls
        .create_clip(clip_request("c1", "manifest_hls", from, to))
        .await
        .unwrap()
        .into_inner();
    let clip: Clip = response(&op);
    assert_eq!(clip.state(), clip::State::Succeeded);
    assert_eq!(
        clip.clip_manifests[0].output_uri,
        "gs://my-bucket/clips/main.m3u8"
    );
    // Without retention config.
    env.stop_channel("ch").await.unwrap();
    let mut body = channel_body(Some("ch-in"));
    body.name = channel_name("ch");
    body.retention_config = None;
    env.ls
        .update_channel(UpdateChannelRequest {
            channel: Some(body),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["output".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let op = env
        .ls
        .create_dvr_session(CreateDvrSessionRequest {
            parent: channel_name("ch"),
            dvr_session_id: "d".into(),
            dvr_session: Some(DvrSession {
                dvr_manifests: vec![dvr_session::DvrManifest {
                    manifest_key: "manifest_hls".into(),
                    ..Default::default()
                }],
                dvr_windows: vec![dvr_session::DvrWindow {
                    kind: Some(dvr_session::dvr_window::Kind::TimeInterval(
                        TimeInterval::default(),
                    )),
                }],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    assert!(
        op.is_ok(),
        "retention_config is not in the update mask, so it stays: {op:?}"
    );
}

#[tokio::test]
async fn sharp_edge_09_only_one_clip_manifest_and_one_dvr_manifest() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    env.advance_clock(Duration::from_secs(120));
    let now = env.now();
    let mut req = clip_request(
        "c",
        "manifest_hls",
        now - Duration::from_secs(60),
        now - Duration::from_secs(10),
    );
    let manifest = req.clip.as_ref().unwrap().clip_manifests[0].clone();
    req.clip.as_mut().unwrap().clip_manifests.push(manifest);
    let err = env.ls.create_clip(req).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let manifest = dvr_session::DvrManifest {
        manifest_key: "manifest_hls".into(),
        ..Default::default()
    };
    let err = env
        .ls
        .create_dvr_session(CreateDvrSessionRequest {
            parent: channel_name("ch"),
            dvr_session_id: "d".into(),
            dvr_session: Some(DvrSession {
                dvr_manifests: vec![manifest.clone(), manifest],
                dvr_windows: vec![dvr_session::DvrWindow {
                    kind: Some(dvr_session::dvr_window::Kind::TimeInterval(
                        TimeInterval::default(),
                    )),
                }],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn sharp_edge_10_pool_updates_need_every_channel_stopped() {
    let mut env = start().await;
    let pool_name = format!("{LOC}/pools/default");
    let err = env
        .ls
        .get_pool(GetPoolRequest {
            name: pool_name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "no pool before the first input");
    env.channel_with_input("ch").await;
    let pool = env
        .ls
        .get_pool(GetPoolRequest {
            name: pool_name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pool.name, pool_name);
    let err = env
        .ls
        .get_pool(GetPoolRequest {
            name: format!("{LOC}/pools/other"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "only `default` exists");
    env.start_channel("ch").await;
    let update = UpdatePoolRequest {
        pool: Some(Pool {
            name: pool_name.clone(),
            network_config: Some(pool::NetworkConfig {
                peered_network: "projects/123/global/networks/my-net".into(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = env.ls.update_pool(update.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    env.stop_channel("ch").await.unwrap();
    let op = env.ls.update_pool(update).await.unwrap().into_inner();
    let pool: Pool = response(&op);
    assert_eq!(
        pool.network_config.unwrap().peered_network,
        "projects/123/global/networks/my-net"
    );
}

#[tokio::test]
async fn sharp_edge_11_assets_in_use_cannot_be_deleted() {
    let mut env = start().await;
    let op = env.create_asset("logo").await.unwrap();
    let asset: Asset = response(&op);
    assert_eq!(asset.state(), asset::State::Active);
    assert!(!asset.crc32c.is_empty());
    env.create_input("in").await;
    let mut body = channel_body(Some("in"));
    body.static_overlays = vec![StaticOverlay {
        asset: asset_name("logo"),
        ..Default::default()
    }];
    env.ls
        .create_channel(create_channel_request("ch", body))
        .await
        .unwrap();
    let delete = DeleteAssetRequest {
        name: asset_name("logo"),
        ..Default::default()
    };
    let err = env.ls.delete_asset(delete.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains(&channel_name("ch")),
        "{}",
        err.message()
    );
    delete_channel(&mut env, "ch", false).await.unwrap();
    env.ls.delete_asset(delete).await.unwrap();
}

#[tokio::test]
async fn sharp_edge_12_update_masks_are_not_a_full_replacement() {
    let mut env = start().await;
    let created = env.channel_with_input("ch").await;
    let update = |channel: Channel, paths: Option<Vec<&str>>| UpdateChannelRequest {
        channel: Some(channel),
        update_mask: paths.map(|p| prost_types::FieldMask {
            paths: p.into_iter().map(String::from).collect(),
        }),
        ..Default::default()
    };
    // No mask: only the updatable fields present in the payload change.
    let partial = Channel {
        name: channel_name("ch"),
        output: Some(channel::Output {
            uri: "gs://other-bucket/out".into(),
        }),
        labels: [("team".to_owned(), "video".to_owned())].into(),
        ..Default::default()
    };
    let op = env
        .ls
        .update_channel(update(partial.clone(), None))
        .await
        .unwrap()
        .into_inner();
    let updated: Channel = response(&op);
    assert_eq!(updated.output.unwrap().uri, "gs://other-bucket/out");
    assert_eq!(
        updated.elementary_streams, created.elementary_streams,
        "absent: kept"
    );
    assert!(updated.labels.is_empty(), "labels are not updatable");
    assert_eq!(updated.create_time, created.create_time);
    // Not updatable, even when named (both spellings of a path are checked).
    for path in [
        "labels",
        "distributions",
        "staticOverlays",
        "retention_config",
        "name",
    ] {
        let err = env
            .ls
            .update_channel(update(partial.clone(), Some(vec![path])))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{path}");
        assert_eq!(
            details(&err).bad_request().unwrap().field_violations[0].field,
            "update_mask"
        );
    }
    // A masked field absent from the payload is cleared; camelCase works.
    let op = env
        .ls
        .update_channel(update(partial, Some(vec!["spriteSheets", "input_config"])))
        .await
        .unwrap()
        .into_inner();
    let cleared: Channel = response(&op);
    assert!(cleared.sprite_sheets.is_empty() && cleared.input_config.is_none());
    assert_eq!(cleared.output.unwrap().uri, "gs://other-bucket/out");
}

#[tokio::test]
async fn sharp_edge_13_update_dvr_session_requires_a_mask() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let dvr = DvrSession {
        dvr_manifests: vec![dvr_session::DvrManifest {
            manifest_key: "manifest_hls".into(),
            ..Default::default()
        }],
        dvr_windows: vec![dvr_session::DvrWindow {
            kind: Some(dvr_session::dvr_window::Kind::TimeInterval(TimeInterval {
                start_time: Some(at(env.now() + Duration::from_secs(3600))),
                end_time: Some(at(env.now() + Duration::from_secs(7200))),
            })),
        }],
        ..Default::default()
    };
    let op = env
        .ls
        .create_dvr_session(CreateDvrSessionRequest {
            parent: channel_name("ch"),
            dvr_session_id: "d".into(),
            dvr_session: Some(dvr.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let created: DvrSession = response(&op);
    assert_eq!(created.state(), dvr_session::State::Scheduled);
    assert_eq!(
        created.dvr_manifests[0].output_uri,
        "gs://my-bucket/outputs/dvr/d/main.m3u8"
    );
    let mut body = created.clone();
    body.dvr_windows = dvr.dvr_windows.clone();
    let err = env
        .ls
        .update_dvr_session(UpdateDvrSessionRequest {
            dvr_session: Some(body.clone()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("update_mask"), "{}", err.message());
    let op = env
        .ls
        .update_dvr_session(UpdateDvrSessionRequest {
            dvr_session: Some(body),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["dvrWindows".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let _: DvrSession = response(&op);
}

#[tokio::test]
async fn sharp_edge_14_id_regex_is_lower_case_only() {
    let mut env = start().await;
    for bad in ["My-Channel", "my_channel", "-x", "x-", "", &"a".repeat(64)] {
        let err = env
            .ls
            .create_channel(create_channel_request(bad, channel_body(None)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{bad:?}");
        assert_eq!(
            details(&err).bad_request().unwrap().field_violations[0].field,
            "channel_id"
        );
    }
    // Embedded keys may use underscores and capitals (`es_video`, `manifest_hls`).
    env.create_channel(&"a".repeat(63), None).await;
}

#[tokio::test]
async fn sharp_edge_15_start_and_first_create_are_slow_and_controllable() {
    let mut env = start_with(EmulatorConfig {
        lro_timing: LroTiming::Delay(Duration::from_secs(600)),
        ..Default::default()
    })
    .await;
    let op = env
        .ls
        .create_input(create_input_request("in"))
        .await
        .unwrap()
        .into_inner();
    assert!(!op.done);
    env.advance_clock(Duration::from_secs(601));
    assert!(env.get_operation(&op.name).await.unwrap().done);
    env.set_lro_timing(LroTiming::Instant);
    env.create_channel("ch", Some("in")).await;
    env.set_lro_timing(LroTiming::Delay(Duration::from_secs(900)));
    let op = env.start_channel("ch").await;
    assert!(!op.done);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Starting
    );
    env.advance_clock(Duration::from_secs(901));
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );
    let op = env.stop_channel("ch").await.unwrap();
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Stopping
    );
    env.complete_operation(&op.name).unwrap();
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Stopped
    );
}

#[tokio::test]
async fn sharp_edge_16_after_start_the_state_is_awaiting_input() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );
}

#[tokio::test]
async fn sharp_edge_17_running_channel_quota_is_per_region_not_total() {
    let mut env = start().await;
    for i in 0..12 {
        env.create_channel(&format!("ch{i}"), None).await;
    }
    for i in 0..10 {
        env.start_channel(&format!("ch{i}")).await;
    }
    let err = env
        .ls
        .start_channel(StartChannelRequest {
            name: channel_name("ch10"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(details(&err).quota_failure().is_some());
    env.stop_channel("ch0").await.unwrap();
    env.start_channel("ch10").await;
    // Another region has its own quota.
    let other = "projects/test-project/locations/europe-west1";
    let op = env
        .ls
        .create_channel(CreateChannelRequest {
            parent: other.into(),
            channel_id: "eu".into(),
            channel: Some(channel_body(None)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let eu: Channel = response(&op);
    env.ls
        .start_channel(StartChannelRequest {
            name: eu.name,
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn sharp_edge_18_project_segment_is_echoed_as_given() {
    let mut env = start().await;
    for project in ["123456789012", "my-project-id"] {
        let parent = format!("projects/{project}/locations/us-east1");
        let op = env
            .ls
            .create_channel(CreateChannelRequest {
                parent: parent.clone(),
                channel_id: "ch".into(),
                channel: Some(channel_body(None)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let channel: Channel = response(&op);
        assert_eq!(channel.name, format!("{parent}/channels/ch"));
        assert!(
            op.name.starts_with(&format!("{parent}/operations/")),
            "{}",
            op.name
        );
    }
}

#[tokio::test]
async fn sharp_edge_19_faults_can_target_reads_and_mutations_separately() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.inject_faults(Method::GetChannel, FaultScript::codes([Code::Unavailable]));
    let err = env
        .ls
        .get_channel(GetChannelRequest {
            name: channel_name("ch"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    env.get_channel("ch").await; // then normal: a retrying client succeeds
    env.inject_faults(
        Method::StartChannel,
        FaultScript::codes([Code::Unavailable]),
    );
    let err = env
        .ls
        .start_channel(StartChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::Stopped,
        "nothing happened"
    );
    assert_eq!(env.call_count(Method::GetChannel), 3);
    assert_eq!(env.call_count(Method::StartChannel), 1);
}

#[tokio::test]
async fn sharp_edge_20_request_id_must_be_a_valid_non_nil_uuid() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let err = env
            .ls
            .start_channel(StartChannelRequest {
                name: channel_name("ch"),
                request_id: bad.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{bad}");
        assert_eq!(
            details(&err).bad_request().unwrap().field_violations[0].field,
            "request_id"
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    let start = StartChannelRequest {
        name: channel_name("ch"),
        request_id: id,
    };
    let first = env
        .ls
        .start_channel(start.clone())
        .await
        .unwrap()
        .into_inner();
    let replay = env.ls.start_channel(start).await.unwrap().into_inner();
    assert_eq!(
        first.name, replay.name,
        "the replay returns the original operation"
    );
}

#[tokio::test]
async fn sharp_edge_21_deleting_a_clip_leaves_the_channel_and_deleting_the_channel_cascades() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    env.advance_clock(Duration::from_secs(120));
    let now = env.now();
    for id in ["c1", "c2"] {
        env.ls
            .create_clip(clip_request(
                id,
                "manifest_hls",
                now - Duration::from_secs(60),
                now - Duration::from_secs(10),
            ))
            .await
            .unwrap();
    }
    let op = env
        .ls
        .delete_clip(DeleteClipRequest {
            name: format!("{}/clips/c1", channel_name("ch")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    response::<()>(&op);
    assert_eq!(
        env.get_channel("ch").await.streaming_state(),
        StreamingState::AwaitingInput
    );
    env.stop_channel("ch").await.unwrap();
    delete_channel(&mut env, "ch", false).await.unwrap();
    let err = env
        .ls
        .get_clip(GetClipRequest {
            name: format!("{}/clips/c2", channel_name("ch")),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn sharp_edge_22_streaming_no_input_is_never_emitted() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let mut seen = vec![env.get_channel("ch").await.streaming_state()];
    env.start_channel("ch").await;
    seen.push(env.get_channel("ch").await.streaming_state());
    env.connect_input(input_name("ch-in")).unwrap();
    seen.push(env.get_channel("ch").await.streaming_state());
    env.disconnect_input(input_name("ch-in")).unwrap();
    seen.push(env.get_channel("ch").await.streaming_state());
    env.stop_channel("ch").await.unwrap();
    seen.push(env.get_channel("ch").await.streaming_state());
    assert!(
        !seen.contains(&StreamingState::StreamingNoInput),
        "{seen:?}"
    );
}
