//! Every one of the 41 RPCs through `Client` served by a fake of our own (the generated
//! server traits implemented in `tests/client/common.rs`), in-process and over a channel handed in:
//! what users who test against their own implementation get. Also a partial
//! implementation, a connection failure, and `Send`/`Sync`. The same against the emulator,
//! with its answers checked, is `client_emulator_rpcs.rs`.

use crate::common;

use crate::common::Fake;
use crate::common::expected_routing;
use crate::common::names::{channel, location};
use livestream_grpc::field_mask::UpdateMask;
use livestream_grpc::names::{OperationName, ProjectName};
use livestream_grpc::v1::*;
use livestream_grpc::{Client, ErrorKind, Method};

/// Calls every RPC once with a valid request; returns what each call returned (`Ok` or the
/// error's code).
async fn call_everything(client: &Client) -> Result<(), livestream_grpc::Error> {
    let loc = location();
    let ch = loc.channel("ch")?;
    let input = loc.input("in")?;
    let event = ch.event("ad")?;
    let clip = ch.clip("highlight")?;
    let dvr = ch.dvr_session("replay")?;
    let asset = loc.asset("logo")?;
    let pool = loc.pool("default")?;
    let op: OperationName = OP.parse()?;

    // Channels
    let create = CreateChannelRequest {
        parent: loc.to_string(),
        channel_id: "ch".into(),
        channel: Some(Channel::default()),
        ..Default::default()
    };
    let _: Channel = client.create_channel(create).await?.until_done().await?;
    let _: Vec<Channel> = client.list_channels(&loc).collect_items(None).await?;
    let _: Channel = client.get_channel(&ch).await?;
    client.delete_channel(&ch).await?.until_done().await?;
    let update = UpdateChannelRequest {
        channel: Some(Channel {
            name: ch.to_string(),
            ..Default::default()
        }),
        update_mask: Some(UpdateMask::<Channel>::from_paths(["output"])?.into()),
        ..Default::default()
    };
    let _: Channel = client.update_channel(update).await?.until_done().await?;
    let _: ChannelOperationResponse = client.start_channel(&ch).await?.until_done().await?;
    let _: ChannelOperationResponse = client.stop_channel(&ch).await?.until_done().await?;
    client.start_distribution(&ch).await?.until_done().await?;
    client.stop_distribution(&ch).await?.until_done().await?;

    // Inputs
    let create = CreateInputRequest {
        parent: loc.to_string(),
        input_id: "in".into(),
        input: Some(Input::default()),
        ..Default::default()
    };
    let _: Input = client.create_input(create).await?.until_done().await?;
    let _: ListInputsResponse = client.list_inputs(&loc).await?;
    let _: Input = client.get_input(&input).await?;
    client.delete_input(&input).await?.until_done().await?;
    let update = UpdateInputRequest {
        input: Some(Input {
            name: input.to_string(),
            ..Default::default()
        }),
        ..Default::default()
    };
    client.update_input(update).await?.until_done().await?;
    let _: PreviewInputResponse = client.preview_input(&input).await?;

    // Events (not long-running)
    let create = CreateEventRequest {
        parent: ch.to_string(),
        event_id: "ad".into(),
        event: Some(Event::default()),
        ..Default::default()
    };
    let _: Event = client.create_event(create).await?;
    let _: Vec<Event> = client.list_events(&ch).collect_items(None).await?;
    let _: Event = client.get_event(&event).await?;
    let () = client.delete_event(&event).await?;

    // Clips
    let _: Vec<Clip> = client.list_clips(&ch).collect_items(None).await?;
    let _: Clip = client.get_clip(&clip).await?;
    let create = CreateClipRequest {
        parent: ch.to_string(),
        clip_id: "highlight".into(),
        clip: Some(Clip::default()),
        ..Default::default()
    };
    let _: Clip = client.create_clip(create).await?.until_done().await?;
    client.delete_clip(&clip).await?.until_done().await?;

    // DVR sessions
    let create = CreateDvrSessionRequest {
        parent: ch.to_string(),
        dvr_session_id: "replay".into(),
        dvr_session: Some(DvrSession::default()),
        ..Default::default()
    };
    let _: DvrSession = client
        .create_dvr_session(create)
        .await?
        .until_done()
        .await?;
    let _: Vec<DvrSession> = client.list_dvr_sessions(&ch).collect_items(None).await?;
    let _: DvrSession = client.get_dvr_session(&dvr).await?;
    client.delete_dvr_session(&dvr).await?.until_done().await?;
    let update = UpdateDvrSessionRequest {
        dvr_session: Some(DvrSession {
            name: dvr.to_string(),
            ..Default::default()
        }),
        update_mask: Some(UpdateMask::<DvrSession>::all().into()),
        ..Default::default()
    };
    client
        .update_dvr_session(update)
        .await?
        .until_done()
        .await?;

    // Assets
    let create = CreateAssetRequest {
        parent: loc.to_string(),
        asset_id: "logo".into(),
        asset: Some(Asset::default()),
        ..Default::default()
    };
    let _: Asset = client.create_asset(create).await?.until_done().await?;
    client.delete_asset(&asset).await?.until_done().await?;
    let _: Asset = client.get_asset(&asset).await?;
    let _: Vec<Asset> = client.list_assets(&loc).collect_items(None).await?;

    // Pools
    let _: Pool = client.get_pool(&pool).await?;
    let update = UpdatePoolRequest {
        pool: Some(Pool {
            name: pool.to_string(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let _: Pool = client.update_pool(update).await?.until_done().await?;

    // Operations
    let _ = client.list_operations(&loc).collect_items(None).await?;
    let _ = client.get_operation(&op).await?;
    client.delete_operation(&op).await?;
    client.cancel_operation(&op).await?;
    let _ = client.wait_operation(&op).await?;

    // Locations
    let project = ProjectName::new("p")?;
    let _ = client.list_locations(&project).collect_items(None).await?;
    let _ = client.get_location(&loc).await?;
    Ok(())
}

const OP: &str = "projects/p/locations/us-central1/operations/operation-1";

fn check_every_rpc_reached_the_server(fake: &Fake) {
    let called: std::collections::BTreeSet<_> = fake.methods().into_iter().collect();
    assert_eq!(called.len(), 41, "{called:?}");
    assert_eq!(Method::ALL.len(), 41);
    for method in Method::ALL {
        let metadata = fake.metadata(method.name());
        assert!(!metadata.is_empty(), "{} not called", method.name());
        for md in metadata {
            let routing = md.get("x-goog-request-params").unwrap().to_str().unwrap();
            assert_eq!(
                routing,
                expected_routing(*method, &location(), OP),
                "{}",
                method.name()
            );
            let api_client = md.get("x-goog-api-client").unwrap().to_str().unwrap();
            assert!(api_client.starts_with("gl-rust/"), "{api_client}");
            assert!(api_client.contains(" grpc/0.14"), "{api_client}");
            assert!(api_client.ends_with(concat!(" gapic/", env!("CARGO_PKG_VERSION"))));
            let ua = md.get("user-agent").unwrap().to_str().unwrap();
            assert!(ua.starts_with("livestream-grpc/"), "{ua}");
            assert!(md.get("authorization").is_none());
            assert!(md.get("x-goog-user-project").is_none());
        }
    }
    // Every mutation with a request_id got a fresh UUIDv4.
    let ids: Vec<String> = fake
        .requests::<CreateChannelRequest>("CreateChannel")
        .into_iter()
        .map(|r| r.request_id)
        .chain(
            fake.requests::<StopDistributionRequest>("StopDistribution")
                .into_iter()
                .map(|r| r.request_id),
        )
        .chain(
            fake.requests::<UpdatePoolRequest>("UpdatePool")
                .into_iter()
                .map(|r| r.request_id),
        )
        .collect();
    assert_eq!(ids.len(), 3);
    for id in &ids {
        let uuid = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
    }
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn every_rpc_in_process() {
    let fake = Fake::new();
    call_everything(&fake.client()).await.unwrap();
    check_every_rpc_reached_the_server(&fake);
}

#[tokio::test]
async fn every_rpc_over_a_channel_handed_in() {
    let fake = Fake::new();
    let served = fake.serve().await;
    call_everything(&Client::from_channel(served.channel()))
        .await
        .unwrap();
    check_every_rpc_reached_the_server(&fake);
}

#[tokio::test]
async fn unimplemented_methods_of_a_partial_fake_answer_unimplemented() {
    use livestream_grpc::v1::livestream_service_server::{
        LivestreamService, LivestreamServiceServer,
    };
    struct OnlyGet;
    #[tonic::async_trait]
    impl LivestreamService for OnlyGet {
        async fn get_channel(
            &self,
            request: tonic::Request<GetChannelRequest>,
        ) -> Result<tonic::Response<Channel>, tonic::Status> {
            Ok(tonic::Response::new(Channel {
                name: request.into_inner().name,
                ..Default::default()
            }))
        }
    }
    let client = Client::from_service(tonic::service::Routes::new(LivestreamServiceServer::new(
        OnlyGet,
    )));
    assert_eq!(
        client.get_channel(channel()).await.unwrap().name,
        channel().to_string()
    );
    let err = client
        .get_pool(location().pool("default").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.attempts(), 1, "UNIMPLEMENTED is not retried");
    // A service that is not served at all: also UNIMPLEMENTED.
    let err = client.get_location(location()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn connection_failures_are_unavailable_and_not_sent() {
    // A port nobody listens on: bind, note the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client =
        common::never_retry_get_channel(Client::builder().with_endpoint(format!("http://{addr}")))
            .build()
            .await
            .unwrap();
    let err = client.get_channel(channel()).await.unwrap_err();
    assert!(err.is_unavailable() && err.is_retryable(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(!err.may_have_been_sent());
}

#[tokio::test]
async fn handles_and_futures_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Client>();
    send_sync::<livestream_grpc::Error>();
    send_sync::<livestream_grpc::Operation<Channel>>();
    let fake = Fake::new();
    let client = fake.client();
    let spawned = tokio::spawn(async move {
        let operation = client.start_channel(channel()).await?;
        let pager = client.list_channels(location()).by_page();
        let pages = futures_util::StreamExt::count(pager).await;
        operation.until_done().await.map(|_| pages)
    });
    assert_eq!(spawned.await.unwrap().unwrap(), 1);
}
