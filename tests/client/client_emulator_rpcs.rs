//! Every one of the 41 RPCs through `Client` against the emulator, in one workflow that
//! checks what the emulator answers (names built from parent and ID, states, typed LRO
//! results, `()` for deletes), over a socket and in-process; the headers the emulator
//! observed for each call; and local validation, which sends nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::client_emulator_support::*;
use crate::common::expected_routing;
use crate::emulator_support::{PROJECT, channel_body, secs, with_distribution};
use livestream_grpc::emulator::{Emulator, LroTiming};
use livestream_grpc::field_mask::UpdateMask;
use livestream_grpc::location::{GetLocationRequest, ListLocationsRequest};
use livestream_grpc::longrunning::{self, ListOperationsRequest, operation};
use livestream_grpc::names::{OperationName, ProjectName};
use livestream_grpc::transport::{API_CLIENT, USER_AGENT_TOKEN};
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::*;
use livestream_grpc::{Client, Error, ErrorKind, Method};
use prost::Name;

fn window(
    start: Option<std::time::SystemTime>,
    end: Option<std::time::SystemTime>,
) -> dvr_session::DvrWindow {
    dvr_session::DvrWindow {
        kind: Some(dvr_session::dvr_window::Kind::TimeInterval(TimeInterval {
            start_time: start.map(Into::into),
            end_time: end.map(Into::into),
        })),
    }
}

/// Calls all 41 RPCs in the order a real user would, checking every answer. Returns the
/// name of the operation used for the Operations mixin calls.
async fn every_rpc(client: &Client, emu: &Emulator) -> Result<OperationName, Error> {
    let loc = location();
    let project = ProjectName::new(PROJECT)?;

    // Locations
    let locations = client.list_locations(&project).collect_items(None).await?;
    assert!(locations.iter().any(|l| l.location_id == "us-central1"));
    let here = client.get_location(&loc).await?;
    assert_eq!(
        (here.name.as_str(), here.location_id.as_str()),
        (loc.to_string().as_str(), "us-central1")
    );

    // Inputs
    let input_name = loc.input("in")?;
    let input = create_input(client, "in").await;
    assert_eq!(input.name, input_name.to_string(), "parent + input_id");
    assert!(input.uri.starts_with("rtmp://"), "{}", input.uri);
    assert_eq!(client.get_input(&input_name).await?, input);
    let page: ListInputsResponse = client.list_inputs(&loc).await?;
    assert_eq!(page.inputs, std::slice::from_ref(&input));
    let mut secured = input.clone();
    secured.security_rules = Some(input::SecurityRule {
        ip_ranges: vec!["192.0.2.0/24".into()],
    });
    let update = UpdateInputRequest {
        update_mask: Some(UpdateMask::diff(&input, &secured)?.into()),
        input: Some(secured),
        ..Default::default()
    };
    let updated: Input = client.update_input(update).await?.until_done().await?;
    assert_eq!(updated.security_rules.unwrap().ip_ranges, ["192.0.2.0/24"]);

    // The pool appears with the location's first input.
    let pool_name = loc.pool("default")?;
    let pool = client.get_pool(&pool_name).await?;
    assert_eq!(pool.name, pool_name.to_string());
    let mut peered = pool.clone();
    peered.network_config = Some(pool::NetworkConfig {
        peered_network: "projects/123456789/global/networks/default".into(),
    });
    let update = UpdatePoolRequest {
        update_mask: Some(UpdateMask::diff(&pool, &peered)?.into()),
        pool: Some(peered),
        ..Default::default()
    };
    let pool: Pool = client.update_pool(update).await?.until_done().await?;
    assert!(pool.network_config.is_some());

    // Assets
    let asset_name = loc.asset("logo")?;
    let create = create_asset_request("logo");
    let asset: Asset = client.create_asset(create).await?.until_done().await?;
    assert_eq!(asset.name, asset_name.to_string());
    assert_eq!(asset.state(), asset::State::Active);
    assert_eq!(client.get_asset(&asset_name).await?, asset);
    assert_eq!(client.list_assets(&loc).collect_items(None).await?, [asset]);

    // Channels
    let channel_name = loc.channel("ch")?;
    let create = CreateChannelRequest {
        parent: loc.to_string(),
        channel_id: "ch".into(),
        channel: Some(with_distribution(channel_body(Some("in")))),
        ..Default::default()
    };
    let operation = client.create_channel(create).await?;
    let metadata = operation.metadata()?.expect("operation metadata");
    assert_eq!(
        (metadata.verb.as_str(), metadata.target.as_str()),
        ("create", channel_name.to_string().as_str())
    );
    let create_operation: OperationName = operation.name().parse()?;
    let channel: Channel = operation.until_done().await?;
    assert_eq!(channel.name, channel_name.to_string());
    assert_eq!(channel.streaming_state(), StreamingState::Stopped);
    assert_eq!(client.get_channel(&channel_name).await?, channel);
    let listed = client.list_channels(&loc).collect_items(None).await?;
    assert_eq!(listed, std::slice::from_ref(&channel));
    let mut moved = channel.clone();
    moved.output = Some(channel::Output {
        uri: "gs://my-bucket/moved".into(),
    });
    let update = UpdateChannelRequest {
        update_mask: Some(UpdateMask::diff(&channel, &moved)?.into()),
        channel: Some(moved),
        ..Default::default()
    };
    let channel: Channel = client.update_channel(update).await?.until_done().await?;
    assert_eq!(channel.output.unwrap().uri, "gs://my-bucket/moved");
    let _: ChannelOperationResponse = client
        .start_channel(&channel_name)
        .await?
        .until_done()
        .await?;
    let state = |c: Channel| (c.streaming_state(), c.distributions[0].state());
    assert_eq!(
        state(client.get_channel(&channel_name).await?),
        (StreamingState::AwaitingInput, distribution::State::Ready)
    );
    emu.connect_input(&input_name)
        .expect("the encoder connects");
    let preview = client.preview_input(&input_name).await?;
    assert!(preview.uri.starts_with("https://"), "{}", preview.uri);
    assert!(!preview.bearer_token.is_empty());
    let _: ChannelOperationResponse = client
        .start_distribution(&channel_name)
        .await?
        .until_done()
        .await?;
    assert_eq!(
        state(client.get_channel(&channel_name).await?),
        (StreamingState::Streaming, distribution::State::Distributing)
    );
    let _: ChannelOperationResponse = client
        .stop_distribution(&channel_name)
        .await?
        .until_done()
        .await?;
    assert_eq!(
        state(client.get_channel(&channel_name).await?),
        (StreamingState::Streaming, distribution::State::Ready)
    );

    // Events: not long-running.
    let event_name = channel_name.event("ad")?;
    let create = CreateEventRequest {
        parent: channel_name.to_string(),
        event_id: "ad".into(),
        event: Some(Event {
            task: Some(event::Task::AdBreak(event::AdBreakTask {
                duration: Some(secs(30)),
            })),
            execute_now: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    let event: Event = client.create_event(create).await?;
    assert_eq!(event.name, event_name.to_string());
    assert!(event.execution_time.is_some(), "chosen by the service");
    assert_eq!(client.get_event(&event_name).await?.name, event.name);
    assert_eq!(
        client
            .list_events(&channel_name)
            .collect_items(None)
            .await?
            .len(),
        1
    );
    let () = client.delete_event(&event_name).await?;

    // Clips of content the channel produced while running.
    emu.advance_clock(Duration::from_secs(300));
    let now = emu.now();
    let clip_name = channel_name.clip("highlight")?;
    let create = CreateClipRequest {
        parent: channel_name.to_string(),
        clip_id: "highlight".into(),
        clip: Some(Clip {
            output_uri: "gs://my-bucket/clips".into(),
            slices: vec![clip::Slice {
                kind: Some(clip::slice::Kind::TimeSlice(clip::TimeSlice {
                    markin_time: Some((now - Duration::from_secs(120)).into()),
                    markout_time: Some((now - Duration::from_secs(60)).into()),
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
    let clip: Clip = client.create_clip(create).await?.until_done().await?;
    assert_eq!(clip.name, clip_name.to_string());
    assert_eq!(clip.state(), clip::State::Succeeded);
    assert_eq!(client.get_clip(&clip_name).await?, clip);
    assert_eq!(
        client.list_clips(&channel_name).collect_items(None).await?,
        [clip]
    );
    let () = client.delete_clip(&clip_name).await?.until_done().await?;

    // DVR sessions
    let dvr_name = channel_name.dvr_session("replay")?;
    let create = CreateDvrSessionRequest {
        parent: channel_name.to_string(),
        dvr_session_id: "replay".into(),
        dvr_session: Some(DvrSession {
            dvr_manifests: vec![dvr_session::DvrManifest {
                manifest_key: "manifest_hls".into(),
                ..Default::default()
            }],
            dvr_windows: vec![window(None, None)],
            ..Default::default()
        }),
        ..Default::default()
    };
    let dvr: DvrSession = client
        .create_dvr_session(create)
        .await?
        .until_done()
        .await?;
    assert_eq!(dvr.name, dvr_name.to_string());
    assert_eq!(dvr.state(), dvr_session::State::Live);
    assert_eq!(client.get_dvr_session(&dvr_name).await?, dvr);
    let listed = client
        .list_dvr_sessions(&channel_name)
        .collect_items(None)
        .await?;
    assert_eq!(listed, std::slice::from_ref(&dvr));
    let mut narrowed = dvr.clone();
    narrowed.dvr_windows = vec![window(Some(now - Duration::from_secs(60)), None)];
    let update = UpdateDvrSessionRequest {
        update_mask: Some(UpdateMask::diff(&dvr, &narrowed)?.into()),
        dvr_session: Some(narrowed.clone()),
        ..Default::default()
    };
    let dvr: DvrSession = client
        .update_dvr_session(update)
        .await?
        .until_done()
        .await?;
    assert_eq!(dvr.dvr_windows, narrowed.dvr_windows);
    let () = client
        .delete_dvr_session(&dvr_name)
        .await?
        .until_done()
        .await?;

    // Stop, then delete everything.
    let _: ChannelOperationResponse = client
        .stop_channel(&channel_name)
        .await?
        .until_done()
        .await?;
    let stopped = client.get_channel(&channel_name).await?;
    assert_eq!(stopped.streaming_state(), StreamingState::Stopped);
    let () = client
        .delete_channel(&channel_name)
        .await?
        .until_done()
        .await?;
    assert!(
        client
            .get_channel(&channel_name)
            .await
            .unwrap_err()
            .is_not_found()
    );
    let () = client.delete_input(&input_name).await?.until_done().await?;
    let () = client.delete_asset(&asset_name).await?.until_done().await?;

    // Operations: the 18 long-running calls above, newest first.
    let operations = client.list_operations(&loc).collect_items(None).await?;
    assert_eq!(operations.len(), 18);
    let newest: OperationMetadata = operations[0]
        .metadata
        .as_ref()
        .and_then(|any| any.to_msg().ok())
        .expect("operation metadata");
    assert_eq!(
        (newest.verb.as_str(), newest.target.as_str()),
        ("delete", asset_name.to_string().as_str())
    );
    let fetched = client.get_operation(&create_operation).await?;
    assert_eq!(fetched.name, create_operation.to_string());
    assert!(matches!(
        &fetched.result,
        Some(operation::Result::Response(any)) if any.type_url.ends_with(&Channel::full_name())
    ));
    let waited = client.wait_operation(&create_operation).await?;
    assert_eq!(waited, fetched);
    // Cancelling a finished operation changes nothing.
    let () = client.cancel_operation(&create_operation).await?;
    assert_eq!(
        client.get_operation(&create_operation).await?.result,
        fetched.result
    );
    let () = client.delete_operation(&create_operation).await?;
    let err = client.get_operation(&create_operation).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    Ok(create_operation)
}

/// What the emulator saw: every RPC called, each call with its routing header, the API
/// client header, this crate's user agent, no credentials, the default 60 s deadline, and a
/// fresh UUIDv4 `request_id` on every mutation that has one.
fn check_what_the_emulator_saw(emu: &Emulator, operation: &OperationName) {
    let called: BTreeSet<Method> = emu.call_counts().into_keys().collect();
    let all: BTreeSet<Method> = Method::ALL.iter().copied().collect();
    assert_eq!(called, all);
    assert_eq!(all.len(), 41);
    let mut request_ids = BTreeSet::new();
    for method in Method::ALL {
        let requests = emu.requests(*method);
        assert!(!requests.is_empty(), "{method:?}");
        for request in &requests {
            assert_eq!(
                request.header("x-goog-request-params"),
                Some(expected_routing(*method, &location(), &operation.to_string()).as_str()),
                "{method:?}"
            );
            assert_eq!(request.header("x-goog-api-client"), Some(API_CLIENT));
            let user_agent = request.header("user-agent").unwrap();
            assert!(user_agent.starts_with(USER_AGENT_TOKEN), "{user_agent}");
            assert!(request.header("authorization").is_none());
            assert!(request.header("x-goog-user-project").is_none());
            // Exactly the configured 60 s on a first attempt: a constant header stays in
            // the HPACK tables instead of being sent in full on every call.
            let deadline = request.timeout().expect("grpc-timeout sent");
            assert_eq!(deadline, Duration::from_secs(60), "{method:?}");
            if method.has_request_id() {
                let id = request.request_id.as_deref().expect("a request_id");
                let id = uuid::Uuid::parse_str(id).unwrap();
                assert_eq!(id.get_version_num(), 4);
                assert!(request_ids.insert(id), "a fresh request_id per call");
            } else {
                assert_eq!(request.request_id, None);
            }
        }
    }
    assert_eq!(
        request_ids.len(),
        20,
        "one per mutation call with a request_id"
    );
}

#[tokio::test]
async fn every_rpc_over_a_socket() {
    let (emu, client) = over_socket(LroTiming::Instant).await;
    let operation = every_rpc(&client, &emu).await.unwrap();
    check_what_the_emulator_saw(&emu, &operation);
    // tonic's channel appends its own token to the user agent.
    let request = &emu.requests(Method::GetChannel)[0];
    assert_eq!(
        request.header("user-agent"),
        Some(
            format!(
                "{USER_AGENT_TOKEN} tonic/{}",
                livestream_grpc::transport::TONIC_VERSION
            )
            .as_str()
        )
    );
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_rpc_in_process() {
    let (emu, client) = in_process(LroTiming::Instant);
    let operation = every_rpc(&client, &emu).await.unwrap();
    check_what_the_emulator_saw(&emu, &operation);
    let request = &emu.requests(Method::GetChannel)[0];
    assert_eq!(request.header("user-agent"), Some(USER_AGENT_TOKEN));
}

#[tokio::test]
async fn every_rpc_over_a_channel_handed_in() {
    let emu = Emulator::builder().start().await.unwrap();
    let client = Client::from_channel(emu.channel());
    let operation = every_rpc(&client, &emu).await.unwrap();
    check_what_the_emulator_saw(&emu, &operation);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn user_agent_and_quota_project_reach_the_emulator() {
    let emu = Emulator::builder().start().await.unwrap();
    let client = Client::builder()
        .with_endpoint(emu.endpoint())
        .with_user_agent("my-app/1.2")
        .with_quota_project("billing-project")
        .build()
        .await
        .unwrap();
    client.get_location(location()).await.unwrap();
    let in_process = Client::builder()
        .with_user_agent("my-tool/3")
        .with_quota_project("other-project")
        .build_with_service(emu.service())
        .unwrap();
    in_process.get_location(location()).await.unwrap();
    let requests = emu.requests(Method::GetLocation);
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.header("user-agent"), r.header("x-goog-user-project")))
        .collect();
    let over_socket = format!(
        "my-app/1.2 {USER_AGENT_TOKEN} tonic/{}",
        livestream_grpc::transport::TONIC_VERSION
    );
    let in_process = format!("my-tool/3 {USER_AGENT_TOKEN}");
    assert_eq!(
        seen,
        [
            (Some(over_socket.as_str()), Some("billing-project")),
            (Some(in_process.as_str()), Some("other-project")),
        ]
    );
    let err = Client::builder()
        .with_quota_project("bad\nproject")
        .build_with_service(emu.service())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn routing_values_are_url_encoded_and_the_emulator_decodes_them() {
    let (emu, client) = in_process(LroTiming::Instant);
    // Project segments are not Live Stream IDs: `+` and `&` are allowed, and escaped.
    let odd = livestream_grpc::names::LocationName::new("a+b&c", "us-central1").unwrap();
    let create = CreateInputRequest {
        parent: odd.to_string(),
        ..create_input_request("in")
    };
    let input: Input = finished(client.create_input(create)).await;
    assert_eq!(input.name, odd.input("in").unwrap().to_string());
    let inputs = client.list_inputs(&odd).collect_items(None).await.unwrap();
    assert_eq!(inputs, [input]);
    for method in [Method::CreateInput, Method::ListInputs] {
        assert_eq!(
            emu.requests(method)[0].header("x-goog-request-params"),
            Some("parent=projects/a%2Bb%26c/locations/us-central1")
        );
    }
}

#[tokio::test]
async fn bad_names_ids_masks_and_request_ids_fail_locally_and_send_nothing() {
    let (emu, client) = in_process(LroTiming::Instant);
    let bad_name = GetChannelRequest {
        name: "projects/p/channels/c".into(),
    };
    let bad_id = CreateChannelRequest {
        channel_id: "Bad_ID".into(),
        ..create_channel_request("x", None)
    };
    let mut errors: Vec<(ErrorKind, Error)> = vec![
        (
            ErrorKind::InvalidName,
            client.get_channel(bad_name.clone()).await.unwrap_err(),
        ),
        (
            ErrorKind::InvalidName,
            client
                .list_events(ListEventsRequest {
                    parent: location().to_string(), // a location, not a channel
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidName,
            client
                .update_channel(UpdateChannelRequest::default())
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidName,
            client
                .get_operation(longrunning::GetOperationRequest {
                    name: "operations/123".into(),
                })
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidName,
            client
                .list_locations(ListLocationsRequest::default())
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidName,
            client
                .get_location(GetLocationRequest::default())
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidName,
            client
                .list_operations(ListOperationsRequest {
                    name: channel("ch").to_string(),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidId,
            client.create_channel(bad_id.clone()).await.unwrap_err(),
        ),
        (
            ErrorKind::InvalidId,
            client
                .create_dvr_session(CreateDvrSessionRequest {
                    parent: channel("ch").to_string(),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidFieldMask,
            client
                .update_channel(UpdateChannelRequest {
                    channel: Some(Channel {
                        name: channel("ch").to_string(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["labels".into()],
                    }),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidFieldMask,
            client
                .update_dvr_session(UpdateDvrSessionRequest {
                    dvr_session: Some(DvrSession {
                        name: channel("ch").dvr_session("d").unwrap().to_string(),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
    ];
    // Empty mixin requests: no name at all.
    let empty = [
        client
            .list_operations(ListOperationsRequest::default())
            .await
            .unwrap_err(),
        client
            .delete_operation(longrunning::DeleteOperationRequest::default())
            .await
            .unwrap_err(),
        client
            .cancel_operation(longrunning::CancelOperationRequest::default())
            .await
            .unwrap_err(),
        client
            .wait_operation(longrunning::WaitOperationRequest::default())
            .await
            .unwrap_err(),
    ];
    errors.extend(empty.into_iter().map(|err| (ErrorKind::InvalidName, err)));
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let request = StartChannelRequest {
            name: channel("ch").to_string(),
            request_id: bad.into(),
        };
        let err = client.start_channel(request).await.unwrap_err();
        errors.push((ErrorKind::InvalidRequest, err));
    }
    for (kind, err) in &errors {
        assert_eq!(err.kind(), *kind, "{err:?}");
        assert!(err.is_local() && !err.may_have_been_sent(), "{err:?}");
        assert!(err.is_invalid_argument(), "{err:?}");
        assert_eq!(err.attempts(), 0);
    }
    assert!(
        errors[0]
            .1
            .to_string()
            .contains("projects/{project}/locations/{location}/channels/{channel}"),
        "the message names the pattern: {}",
        errors[0].1
    );
    assert!(
        emu.call_counts().is_empty(),
        "nothing reached the emulator: {:?}",
        emu.call_counts()
    );

    // The emulator would have said the same: INVALID_ARGUMENT.
    use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
    let mut raw = LivestreamServiceClient::new(emu.service());
    let status = raw.get_channel(bad_name).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let status = raw.create_channel(bad_id).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn the_emulators_errors_arrive_with_their_details() {
    let (_emu, client) = in_process(LroTiming::Instant);
    let missing = channel("nope");
    let err = client.get_channel(&missing).await.unwrap_err();
    assert!(err.is_not_found() && err.may_have_been_sent(), "{err:?}");
    let info = err.details().and_then(|d| d.resource_info()).cloned();
    assert_eq!(info.map(|i| i.resource_name), Some(missing.to_string()));

    // A body the emulator rejects: INVALID_ARGUMENT from the server, naming the field.
    let untyped = CreateInputRequest {
        input: Some(Input::default()),
        ..create_input_request("in")
    };
    let err = client.create_input(untyped).await.unwrap_err();
    assert!(err.is_invalid_argument() && !err.is_local(), "{err:?}");
    let fields: Vec<String> = err
        .details()
        .and_then(|d| d.bad_request())
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    assert!(
        fields.iter().any(|f| f.starts_with("input.type")),
        "{fields:?}"
    );

    create_input(&client, "in").await;
    let err = client
        .create_input(create_input_request("in"))
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err:?}");
    assert!(err.details().and_then(|d| d.resource_info()).is_some());

    // The 21st input of a location is over quota.
    for i in 1..20 {
        create_input(&client, &format!("in-{i}")).await;
    }
    let err = client
        .create_input(create_input_request("in-20"))
        .await
        .unwrap_err();
    assert!(
        err.is_resource_exhausted() && !err.is_retryable(),
        "{err:?}"
    );
    assert!(
        err.details().and_then(|d| d.quota_failure()).is_some(),
        "{err:?}"
    );
}
