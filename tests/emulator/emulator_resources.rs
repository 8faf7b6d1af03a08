//! Inputs, events, clips, DVR sessions, assets and pools beyond the sharp edges: updates,
//! preview, time-driven state machines, quotas, configuration toggles and error paths.

use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::emulator::{EmulatorConfig, LroTiming, Quotas, RateLimits};
use livestream_grpc::v1::dvr_session::State as DvrState;
use livestream_grpc::v1::event::{State as EventState, Task};
use livestream_grpc::v1::*;
use tonic::Code;

fn dvr_body(
    start: Option<std::time::SystemTime>,
    end: Option<std::time::SystemTime>,
) -> DvrSession {
    DvrSession {
        dvr_manifests: vec![dvr_session::DvrManifest {
            manifest_key: "manifest_hls".into(),
            ..Default::default()
        }],
        dvr_windows: vec![dvr_session::DvrWindow {
            kind: Some(dvr_session::dvr_window::Kind::TimeInterval(TimeInterval {
                start_time: start.map(at),
                end_time: end.map(at),
            })),
        }],
        ..Default::default()
    }
}

fn dvr_name(id: &str) -> String {
    format!("{}/dvrSessions/{id}", channel_name("ch"))
}

async fn get_dvr(env: &mut Env, id: &str) -> DvrSession {
    env.ls
        .get_dvr_session(GetDvrSessionRequest { name: dvr_name(id) })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn update_input_with_and_without_mask_and_while_in_use() {
    let mut env = start().await;
    let created = env.channel_with_input("ch").await;
    let update = |tier: input::Tier, mask: Option<&str>| UpdateInputRequest {
        input: Some(Input {
            name: input_name("ch-in"),
            tier: tier as i32,
            labels: [("ignored".to_owned(), "x".to_owned())].into(),
            ..Default::default()
        }),
        update_mask: mask.map(|m| prost_types::FieldMask {
            paths: vec![m.into()],
        }),
        ..Default::default()
    };
    let op = env
        .ls
        .update_input(update(input::Tier::Uhd, None))
        .await
        .unwrap()
        .into_inner();
    let input: Input = response(&op);
    assert_eq!(input.tier(), input::Tier::Uhd);
    assert!(input.labels.is_empty());
    assert!(input.uri.starts_with("rtmp://"), "output-only uri kept");
    let err = env
        .ls
        .update_input(update(input::Tier::Sd, Some("type")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "type is not updatable");
    let err = env
        .ls
        .update_input(update(input::Tier::Sd, Some("bogus_field")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    env.start_channel("ch").await;
    let err = env
        .ls
        .update_input(update(input::Tier::Sd, Some("tier")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains(&created.name), "{}", err.message());
    env.set_config(EmulatorConfig {
        allow_update_input_in_use: true,
        ..env.config()
    });
    env.ls
        .update_input(update(input::Tier::Sd, Some("tier")))
        .await
        .unwrap();
    // Missing body, missing or unknown name.
    let err = env
        .ls
        .update_input(UpdateInputRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        details(&err).bad_request().unwrap().field_violations[0].field,
        "input"
    );
    let err = env
        .ls
        .update_input(UpdateInputRequest {
            input: Some(Input::default()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        details(&err).bad_request().unwrap().field_violations[0].field,
        "input.name"
    );
    let mut req = update(input::Tier::Sd, None);
    req.input.as_mut().unwrap().name = input_name("nope");
    assert_eq!(
        env.ls.update_input(req).await.unwrap_err().code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn preview_input_needs_a_running_channel_by_default() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let preview = PreviewInputRequest {
        name: input_name("ch-in"),
    };
    let err = env.ls.preview_input(preview.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    env.start_channel("ch").await;
    let response = env
        .ls
        .preview_input(preview.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(response.uri.starts_with("https://"), "{}", response.uri);
    assert!(!response.bearer_token.is_empty());
    env.stop_channel("ch").await.unwrap();
    env.set_config(EmulatorConfig {
        preview_requires_running_channel: false,
        ..env.config()
    });
    env.ls.preview_input(preview).await.unwrap();
}

#[tokio::test]
async fn scheduled_events_run_and_finish_on_the_emulator_clock() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    let when = env.now() + Duration::from_secs(60);
    let event = env
        .ls
        .create_event(CreateEventRequest {
            parent: channel_name("ch"),
            event_id: "ad".into(),
            event: Some(Event {
                task: Some(Task::AdBreak(event::AdBreakTask {
                    duration: Some(secs(30)),
                })),
                execution_time: Some(at(when)),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(event.state(), EventState::Scheduled);
    assert_eq!(event.name, format!("{}/events/ad", channel_name("ch")));
    env.advance_clock(Duration::from_secs(61));
    assert_eq!(env.get_event("ch", "ad").await.state(), EventState::Running);
    env.advance_clock(Duration::from_secs(30));
    assert_eq!(
        env.get_event("ch", "ad").await.state(),
        EventState::Succeeded
    );
    // Executed events disappear 7 days later.
    env.advance_clock(Duration::from_secs(7 * 24 * 3600 + 1));
    let err = env
        .ls
        .get_event(GetEventRequest {
            name: format!("{}/events/ad", channel_name("ch")),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn return_to_program_stops_running_events_and_input_switch_changes_the_active_input() {
    let mut env = start().await;
    env.create_input("a").await;
    env.create_input("b").await;
    let mut body = channel_body(Some("a"));
    body.input_attachments.push(InputAttachment {
        key: "backup".into(),
        input: input_name("b"),
        ..Default::default()
    });
    env.ls
        .create_channel(create_channel_request("ch", body))
        .await
        .unwrap();
    env.start_channel("ch").await;
    env.create_asset("slate-image").await.unwrap();
    env.create_event(
        "ch",
        "slate",
        Task::Slate(event::SlateTask {
            duration: None,
            asset: asset_name("slate-image"),
        }),
    )
    .await
    .unwrap();
    env.create_event(
        "ch",
        "mute",
        Task::Mute(event::MuteTask {
            duration: Some(secs(600)),
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        env.get_event("ch", "slate").await.state(),
        EventState::Running
    );
    env.create_event(
        "ch",
        "back",
        Task::ReturnToProgram(event::ReturnToProgramTask {}),
    )
    .await
    .unwrap();
    assert_eq!(
        env.get_event("ch", "back").await.state(),
        EventState::Succeeded
    );
    assert_eq!(
        env.get_event("ch", "slate").await.state(),
        EventState::Stopped
    );
    assert_eq!(
        env.get_event("ch", "mute").await.state(),
        EventState::Stopped
    );
    // Unmuting now fails: the mute was stopped.
    env.create_event("ch", "unmute", Task::Unmute(event::UnmuteTask {}))
        .await
        .unwrap();
    assert_eq!(
        env.get_event("ch", "unmute").await.state(),
        EventState::Failed
    );
    env.create_event(
        "ch",
        "switch",
        Task::InputSwitch(event::InputSwitchTask {
            input_key: "backup".into(),
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        env.get_event("ch", "switch").await.state(),
        EventState::Succeeded
    );
    assert_eq!(env.get_channel("ch").await.active_input, "backup");
    // Events are validated: a task is required, IDs are checked, duplicates exist.
    let err = env
        .ls
        .create_event(CreateEventRequest {
            parent: channel_name("ch"),
            event_id: "empty".into(),
            event: Some(Event {
                execute_now: true,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        details(&err).bad_request().unwrap().field_violations[0].field,
        "event.task"
    );
    let err = env
        .create_event(
            "ch",
            "back",
            Task::ReturnToProgram(event::ReturnToProgramTask {}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = env
        .create_event(
            "nope",
            "x",
            Task::ReturnToProgram(event::ReturnToProgramTask {}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn dvr_sessions_follow_their_windows() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    let now = env.now();
    let create = |id: &str, body: DvrSession| CreateDvrSessionRequest {
        parent: channel_name("ch"),
        dvr_session_id: id.into(),
        dvr_session: Some(body),
        ..Default::default()
    };
    let start = now + Duration::from_secs(60);
    let end = now + Duration::from_secs(180);
    env.ls
        .create_dvr_session(create("d", dvr_body(Some(start), Some(end))))
        .await
        .unwrap();
    assert_eq!(get_dvr(&mut env, "d").await.state(), DvrState::Scheduled);
    env.advance_clock(Duration::from_secs(61));
    assert_eq!(get_dvr(&mut env, "d").await.state(), DvrState::Live);
    env.advance_clock(Duration::from_secs(120));
    assert_eq!(get_dvr(&mut env, "d").await.state(), DvrState::Finished);
    // Past windows finish at once; open windows are live.
    let now = env.now();
    env.ls
        .create_dvr_session(create(
            "past",
            dvr_body(
                Some(now - Duration::from_secs(600)),
                Some(now - Duration::from_secs(60)),
            ),
        ))
        .await
        .unwrap();
    assert_eq!(get_dvr(&mut env, "past").await.state(), DvrState::Finished);
    env.ls
        .create_dvr_session(create("open", dvr_body(None, None)))
        .await
        .unwrap();
    assert_eq!(get_dvr(&mut env, "open").await.state(), DvrState::Live);
    // Moving the end into the past: COOLDOWN for 60 s, then FINISHED.
    let mut body = get_dvr(&mut env, "open").await;
    body.dvr_windows = dvr_body(
        Some(now - Duration::from_secs(300)),
        Some(now - Duration::from_secs(1)),
    )
    .dvr_windows;
    let op = env
        .ls
        .update_dvr_session(UpdateDvrSessionRequest {
            dvr_session: Some(body),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["dvr_windows".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let updated: DvrSession = response(&op);
    assert_eq!(updated.state(), DvrState::Cooldown);
    env.advance_clock(Duration::from_secs(61));
    assert_eq!(get_dvr(&mut env, "open").await.state(), DvrState::Finished);
    // Delete, then NOT_FOUND; a second session with a bad window is rejected.
    let op = env
        .ls
        .delete_dvr_session(DeleteDvrSessionRequest {
            name: dvr_name("past"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    response::<()>(&op);
    let err = env
        .ls
        .get_dvr_session(GetDvrSessionRequest {
            name: dvr_name("past"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = env
        .ls
        .create_dvr_session(create(
            "bad",
            dvr_body(Some(now), Some(now - Duration::from_secs(5))),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = env
        .ls
        .create_dvr_session(create("d", dvr_body(None, None)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn delayed_dvr_delete_shows_deleting_and_cancel_restores() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.ls
        .create_dvr_session(CreateDvrSessionRequest {
            parent: channel_name("ch"),
            dvr_session_id: "d".into(),
            dvr_session: Some(dvr_body(None, None)),
            ..Default::default()
        })
        .await
        .unwrap();
    env.set_lro_timing(LroTiming::Manual);
    let op = env
        .ls
        .delete_dvr_session(DeleteDvrSessionRequest {
            name: dvr_name("d"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(get_dvr(&mut env, "d").await.state(), DvrState::Deleting);
    env.ops
        .cancel_operation(livestream_grpc::longrunning::CancelOperationRequest { name: op.name })
        .await
        .unwrap();
    assert_eq!(get_dvr(&mut env, "d").await.state(), DvrState::Live);
}

#[tokio::test]
async fn clips_can_be_fetched_and_fail_when_forced() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    env.advance_clock(Duration::from_secs(300));
    env.set_lro_timing(LroTiming::Manual);
    let now = env.now();
    let req = |id: &str| CreateClipRequest {
        parent: channel_name("ch"),
        clip_id: id.into(),
        clip: Some(Clip {
            output_uri: "gs://my-bucket/clips".into(),
            slices: vec![clip::Slice {
                kind: Some(clip::slice::Kind::TimeSlice(clip::TimeSlice {
                    markin_time: Some(at(now - Duration::from_secs(120))),
                    markout_time: Some(at(now - Duration::from_secs(60))),
                })),
            }],
            clip_manifests: vec![clip::ClipManifest {
                manifest_key: "manifest_hls".into(),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let op = env.ls.create_clip(req("ok")).await.unwrap().into_inner();
    let clip_name = format!("{}/clips/ok", channel_name("ch"));
    let pending = env
        .ls
        .get_clip(GetClipRequest {
            name: clip_name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pending.state(), clip::State::Pending);
    assert!(pending.start_time.is_some());
    env.complete_operation(&op.name).unwrap();
    let done = env
        .ls
        .get_clip(GetClipRequest { name: clip_name })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.state(), clip::State::Succeeded);
    let op = env.ls.create_clip(req("bad")).await.unwrap().into_inner();
    env.fail_clip(
        format!("{}/clips/bad", channel_name("ch")),
        "transcode failed",
    )
    .unwrap();
    env.complete_operation(&op.name).unwrap();
    let failed = env.get_operation(&op.name).await.unwrap();
    assert_eq!(op_error(&failed).message, "transcode failed");
}

#[tokio::test]
async fn strict_media_mode_needs_a_connected_encoder_for_clips() {
    let mut env = start_with(EmulatorConfig {
        strict_media: true,
        ..Default::default()
    })
    .await;
    env.channel_with_input("ch").await;
    env.start_channel("ch").await;
    env.advance_clock(Duration::from_secs(120));
    let clip_req = |env: &Env| {
        let now = env.now();
        CreateClipRequest {
            parent: channel_name("ch"),
            clip_id: "c".into(),
            clip: Some(Clip {
                slices: vec![clip::Slice {
                    kind: Some(clip::slice::Kind::TimeSlice(clip::TimeSlice {
                        markin_time: Some(at(now - Duration::from_secs(50))),
                        markout_time: Some(at(now - Duration::from_secs(10))),
                    })),
                }],
                clip_manifests: vec![clip::ClipManifest {
                    manifest_key: "manifest_hls".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    };
    let err = env.ls.create_clip(clip_req(&env)).await.unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "running is not enough in strict mode"
    );
    env.connect_input(input_name("ch-in")).unwrap();
    env.advance_clock(Duration::from_secs(120));
    env.ls.create_clip(clip_req(&env)).await.unwrap();
}

#[tokio::test]
async fn cascade_delete_can_be_turned_off() {
    let mut env = start_with(EmulatorConfig {
        cascade_delete_children: false,
        ..Default::default()
    })
    .await;
    env.channel_with_input("ch").await;
    env.ls
        .create_dvr_session(CreateDvrSessionRequest {
            parent: channel_name("ch"),
            dvr_session_id: "d".into(),
            dvr_session: Some(dvr_body(None, None)),
            ..Default::default()
        })
        .await
        .unwrap();
    let err = env
        .ls
        .delete_channel(DeleteChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn allocation_quotas_for_inputs_and_assets() {
    let mut env = start().await;
    for i in 0..20 {
        env.create_input(&format!("in{i}")).await;
    }
    let err = env
        .ls
        .create_input(create_input_request("in20"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    for i in 0..10 {
        env.create_asset(&format!("a{i}")).await.unwrap();
    }
    assert_eq!(
        env.create_asset("a10").await.unwrap_err().code(),
        Code::ResourceExhausted
    );
    env.set_config(EmulatorConfig {
        quotas: Quotas {
            enforce: false,
            ..Quotas::default()
        },
        ..env.config()
    });
    env.create_asset("a10").await.unwrap();
}

#[tokio::test]
async fn request_level_errors_name_the_field() {
    let mut env = start().await;
    let cases: Vec<(CreateChannelRequest, &str)> = vec![
        (
            CreateChannelRequest {
                parent: String::new(),
                channel_id: "c".into(),
                channel: Some(channel_body(None)),
                ..Default::default()
            },
            "parent",
        ),
        (
            CreateChannelRequest {
                parent: "projects/p/channels".into(),
                channel_id: "c".into(),
                channel: Some(channel_body(None)),
                ..Default::default()
            },
            "parent",
        ),
        (create_channel_request("", channel_body(None)), "channel_id"),
        (
            CreateChannelRequest {
                parent: LOC.into(),
                channel_id: "c".into(),
                channel: None,
                ..Default::default()
            },
            "channel",
        ),
    ];
    for (req, field) in cases {
        let err = env.ls.create_channel(req).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert_eq!(
            details(&err).bad_request().unwrap().field_violations[0].field,
            field
        );
    }
    let err = env
        .ls
        .get_channel(GetChannelRequest {
            name: format!("{LOC}/inputs/x"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "wrong collection");
    let err = env
        .ls
        .get_asset(GetAssetRequest {
            name: asset_name("missing"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        details(&err).resource_info().unwrap().resource_type,
        "livestream.googleapis.com/Asset"
    );
    let err = env
        .ls
        .create_asset(CreateAssetRequest {
            parent: LOC.into(),
            asset_id: "a".into(),
            asset: Some(Asset::default()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        details(&err).bad_request().unwrap().field_violations[0].field,
        "asset.resource"
    );
    env.create_asset("dup").await.unwrap();
    assert_eq!(
        env.create_asset("dup").await.unwrap_err().code(),
        Code::AlreadyExists
    );
    let err = env
        .ls
        .create_input(CreateInputRequest {
            parent: LOC.into(),
            input_id: "i".into(),
            input: Some(Input::default()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        details(&err).bad_request().unwrap().field_violations[0].field,
        "input.type"
    );
    let err = env
        .ls
        .create_clip(CreateClipRequest {
            parent: channel_name("missing"),
            clip_id: "c".into(),
            clip: Some(Clip::default()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn rate_quotas_are_off_by_default_and_per_minute_when_on() {
    let mut env = start_with(EmulatorConfig {
        rate_limits: Some(RateLimits {
            list: Some(3),
            ..RateLimits::default()
        }),
        ..Default::default()
    })
    .await;
    let list = ListChannelsRequest {
        parent: LOC.into(),
        ..Default::default()
    };
    for _ in 0..3 {
        env.ls.list_channels(list.clone()).await.unwrap();
    }
    let err = env.ls.list_channels(list.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(details(&err).retry_info().is_some());
    env.ls
        .get_channel(GetChannelRequest {
            name: channel_name("x"),
        })
        .await
        .unwrap_err(); // other kinds unaffected
    env.advance_clock(Duration::from_secs(60));
    env.ls.list_channels(list).await.unwrap();
    assert_eq!(RateLimits::documented().list, Some(300));
}

#[tokio::test]
async fn output_stream_quotas_apply_to_running_channels() {
    let mut env = start_with(EmulatorConfig {
        quotas: Quotas {
            h264_output_streams: Some([40, 2, 5]),
            ..Quotas::default()
        },
        ..Default::default()
    })
    .await;
    // Each test channel has one 720p (HD) H.264 stream.
    for id in ["a", "b", "c"] {
        env.create_channel(id, None).await;
    }
    env.start_channel("a").await;
    env.start_channel("b").await;
    let err = env
        .ls
        .start_channel(StartChannelRequest {
            name: channel_name("c"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.message().contains("HD H.264"), "{}", err.message());
    env.stop_channel("a").await.unwrap();
    env.start_channel("c").await;
}
