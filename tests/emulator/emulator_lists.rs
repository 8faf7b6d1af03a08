//! List semantics: paging (sizes, tokens bound to the request), locations, missing parents,
//! filters and order_by.

use crate::emulator_support::*;
use livestream_grpc::emulator::EmulatorConfig;
use livestream_grpc::location::{GetLocationRequest, ListLocationsRequest};
use livestream_grpc::longrunning::ListOperationsRequest;
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::*;
use tonic::Code;

fn list(parent: &str, page_size: i32, token: &str) -> ListChannelsRequest {
    ListChannelsRequest {
        parent: parent.into(),
        page_size,
        page_token: token.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn paging_through_2500_channels_returns_each_once_in_order() {
    let mut env = start().await;
    // Create concurrently over a few connections to keep the test quick.
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let mut ls = env.ls.clone();
        tasks.push(tokio::spawn(async move {
            for i in (worker..2500).step_by(8) {
                ls.create_channel(create_channel_request(
                    &format!("ch-{i:05}"),
                    channel_body(None),
                ))
                .await
                .expect("create");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = env
            .ls
            .list_channels(list(LOC, 100, &token))
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.channels.len() <= 100);
        seen.extend(page.channels.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 25);
    let expected: Vec<String> = (0..2500)
        .map(|i| channel_name(&format!("ch-{i:05}")))
        .collect();
    assert_eq!(seen, expected, "every channel exactly once, in name order");

    // Default page size 100; sizes above 1000 are coerced.
    let page = env
        .ls
        .list_channels(list(LOC, 0, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.channels.len(), 100);
    let page = env
        .ls
        .list_channels(list(LOC, 5000, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.channels.len(), 1000);
    assert!(!page.next_page_token.is_empty());
}

#[tokio::test]
async fn page_tokens_are_bound_to_the_request() {
    let mut env = start().await;
    for i in 0..5 {
        env.create_channel(&format!("ch{i}"), None).await;
    }
    let first = env
        .ls
        .list_channels(list(LOC, 2, ""))
        .await
        .unwrap()
        .into_inner();
    let token = first.next_page_token;
    assert!(!token.is_empty());
    // The page size may change between pages.
    let second = env
        .ls
        .list_channels(list(LOC, 3, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.channels.len(), 3);
    assert!(second.next_page_token.is_empty(), "empty on the last page");
    // Another parent, another filter, a forged or garbage token: INVALID_ARGUMENT.
    let other = "projects/test-project/locations/us-east1";
    let cases = vec![
        list(other, 2, &token),
        ListChannelsRequest {
            filter: "labels.a = \"b\"".into(),
            ..list(LOC, 2, &token)
        },
        ListChannelsRequest {
            order_by: "name desc".into(),
            ..list(LOC, 2, &token)
        },
        list(LOC, 2, "garbage"),
        list(LOC, 2, &format!("{token}A")),
        list(LOC, 2, &"A".repeat(10_000)),
    ];
    for req in cases {
        let err = env.ls.list_channels(req.clone()).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{req:?}");
    }
    let err = env.ls.list_channels(list(LOC, -1, "")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        details(&err).bad_request().unwrap().field_violations[0].field,
        "page_size"
    );
    // A token of one method does not work for another.
    let err = env
        .ls
        .list_inputs(ListInputsRequest {
            parent: LOC.into(),
            page_size: 2,
            page_token: token,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn lists_of_every_collection() {
    let mut env = start().await;
    env.channel_with_input("ch").await;
    env.create_asset("logo").await.unwrap();
    env.start_channel("ch").await;
    env.create_event(
        "ch",
        "ev",
        event::Task::ReturnToProgram(event::ReturnToProgramTask {}),
    )
    .await
    .unwrap();
    let inputs = env
        .ls
        .list_inputs(ListInputsRequest {
            parent: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(inputs.inputs.len(), 1);
    let assets = env
        .ls
        .list_assets(ListAssetsRequest {
            parent: LOC.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(assets.assets.len(), 1);
    let events = env
        .ls
        .list_events(ListEventsRequest {
            parent: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(events.events.len(), 1);
    let clips = env
        .ls
        .list_clips(ListClipsRequest {
            parent: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(clips.clips.is_empty() && clips.unreachable.is_empty());
    let dvrs = env
        .ls
        .list_dvr_sessions(ListDvrSessionsRequest {
            parent: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(dvrs.dvr_sessions.is_empty());
}

#[tokio::test]
async fn listing_children_of_a_missing_channel_is_not_found() {
    let mut env = start().await;
    let parent = channel_name("nope");
    let e1 = env
        .ls
        .list_events(ListEventsRequest {
            parent: parent.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let e2 = env
        .ls
        .list_clips(ListClipsRequest {
            parent: parent.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let e3 = env
        .ls
        .list_dvr_sessions(ListDvrSessionsRequest {
            parent: parent.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    for e in [e1, e2, e3] {
        assert_eq!(e.code(), Code::NotFound);
        assert!(e.message().contains(&parent));
        assert_eq!(details(&e).resource_info().unwrap().resource_name, parent);
    }
}

#[tokio::test]
async fn locations_are_the_configured_ones() {
    let mut env = start().await;
    let all = env
        .locs
        .list_locations(ListLocationsRequest {
            name: format!("projects/{PROJECT}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.locations.len(), 18);
    let central = all
        .locations
        .iter()
        .find(|l| l.location_id == "us-central1")
        .unwrap();
    assert_eq!(central.name, LOC);
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = env
            .locs
            .list_locations(ListLocationsRequest {
                name: format!("projects/{PROJECT}"),
                page_size: 5,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        paged.extend(page.locations);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, all.locations);
    let got = env
        .locs
        .get_location(GetLocationRequest { name: LOC.into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.location_id, "us-central1");
    let err = env
        .locs
        .get_location(GetLocationRequest {
            name: "projects/p/locations/mars-north1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // A location outside the list is INVALID_ARGUMENT in resource names.
    let err = env
        .ls
        .list_channels(list("projects/p/locations/mars-north1", 0, ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("mars-north1"));
}

#[tokio::test]
async fn the_location_list_is_configurable() {
    let mut env = start_with(EmulatorConfig {
        locations: vec!["local-test1".into()],
        ..Default::default()
    })
    .await;
    let all = env
        .locs
        .list_locations(ListLocationsRequest {
            name: "projects/p".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.locations.len(), 1);
    env.ls
        .list_channels(list("projects/p/locations/local-test1", 0, ""))
        .await
        .unwrap();
    let err = env.ls.list_channels(list(LOC, 0, "")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_bad_filter_or_order_by_is_invalid_argument() {
    let mut env = start().await;
    for (filter, order_by) in [
        ("streaming_state = ", ""),
        ("no_such_field = 1", ""),
        ("", "no_such_field"),
    ] {
        let err = env
            .ls
            .list_channels(ListChannelsRequest {
                parent: LOC.into(),
                filter: filter.into(),
                order_by: order_by.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{filter:?} {order_by:?}");
    }
}

// Filters and order_by (spec §4), through the filter module.

async fn three_channels(env: &mut Env) {
    env.create_input("in").await;
    for (id, label) in [("alpha", "red"), ("beta", "blue"), ("gamma", "red")] {
        let mut body = channel_body(Some("in"));
        body.labels.insert("color".into(), label.into());
        env.ls
            .create_channel(create_channel_request(id, body))
            .await
            .unwrap();
    }
    env.start_channel("beta").await;
}

async fn names(env: &mut Env, filter: &str, order_by: &str, page_size: i32) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = env
            .ls
            .list_channels(ListChannelsRequest {
                parent: LOC.into(),
                filter: filter.into(),
                order_by: order_by.into(),
                page_size,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        out.extend(
            page.channels
                .into_iter()
                .map(|c| c.name.rsplit('/').next().unwrap().to_owned()),
        );
        if page.next_page_token.is_empty() {
            return out;
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn filter_channels_by_streaming_state() {
    let mut env = start().await;
    three_channels(&mut env).await;
    let state = StreamingState::AwaitingInput.as_str_name();
    assert_eq!(
        names(&mut env, &format!("streaming_state = {state}"), "", 0).await,
        ["beta"]
    );
    assert_eq!(
        names(&mut env, "streaming_state != AWAITING_INPUT", "", 0).await,
        ["alpha", "gamma"]
    );
}

#[tokio::test]
async fn filter_channels_by_label_with_paging() {
    let mut env = start().await;
    three_channels(&mut env).await;
    assert_eq!(
        names(&mut env, "labels.color = \"red\"", "", 1).await,
        ["alpha", "gamma"]
    );
    assert_eq!(
        names(&mut env, "labels:color", "", 0).await,
        ["alpha", "beta", "gamma"]
    );
    assert_eq!(
        names(&mut env, "labels.color = \"red\" AND NOT name:alpha", "", 0).await,
        ["gamma"]
    );
}

#[tokio::test]
async fn order_channels_by_name_descending_with_paging() {
    let mut env = start().await;
    three_channels(&mut env).await;
    assert_eq!(
        names(&mut env, "", "name desc", 2).await,
        ["gamma", "beta", "alpha"]
    );
    assert_eq!(
        names(&mut env, "labels.color = \"red\"", "name desc", 1).await,
        ["gamma", "alpha"]
    );
}

#[tokio::test]
async fn filter_inputs_by_type_and_events_by_state() {
    let mut env = start().await;
    three_channels(&mut env).await;
    let inputs = env
        .ls
        .list_inputs(ListInputsRequest {
            parent: LOC.into(),
            filter: "type = RTMP_PUSH".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(inputs.inputs.len(), 1);
    env.create_event(
        "beta",
        "now",
        event::Task::ReturnToProgram(event::ReturnToProgramTask {}),
    )
    .await
    .unwrap();
    let events = env
        .ls
        .list_events(ListEventsRequest {
            parent: channel_name("beta"),
            filter: "state = SUCCEEDED".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(events.events.len(), 1);
}

#[tokio::test]
async fn filter_operations_by_done_and_target() {
    let mut env = start().await;
    three_channels(&mut env).await;
    let ops = env
        .ops
        .list_operations(ListOperationsRequest {
            name: LOC.into(),
            filter: format!(
                "done = true AND metadata.target = \"{}\"",
                channel_name("beta")
            ),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ops.operations.len(), 2, "create and start of beta");
}
