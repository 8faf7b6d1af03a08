//! Paging through `Client` against the emulator: 2,500 channels as a stream of items and of
//! pages, `page_size`, `filter` and `order_by` carried across pages (the emulator binds its
//! page tokens to them and rejects a token sent without them), limits, the server's default
//! and maximum page sizes, resuming from a token, retries per page, and every List method.

use futures_util::TryStreamExt;
use livestream_grpc::Client;
use livestream_grpc::Method;
use livestream_grpc::emulator::{Emulator, FaultScript, LroTiming};
use livestream_grpc::longrunning::ListOperationsRequest;
use livestream_grpc::names::ProjectName;
use livestream_grpc::v1::*;
use tonic::Code;

use crate::client_emulator_support::*;
use crate::emulator_support::PROJECT;

/// Creates channels `ch-0000`, `ch-0001`, ... labelled `parity=even|odd`; returns their
/// names in order.
async fn seed_channels(client: &Client, count: usize) -> Vec<String> {
    let mut names = Vec::with_capacity(count);
    for i in 0..count {
        let id = format!("ch-{i:04}");
        let mut request = create_channel_request(&id, None);
        if let Some(body) = &mut request.channel {
            let parity = if i % 2 == 0 { "even" } else { "odd" };
            body.labels.insert("parity".into(), parity.into());
        }
        client.create_channel(request).await.expect("CreateChannel");
        names.push(channel(&id).to_string());
    }
    names
}

fn list(page_size: i32) -> ListChannelsRequest {
    ListChannelsRequest {
        parent: location().to_string(),
        page_size,
        ..Default::default()
    }
}

fn names(channels: Vec<Channel>) -> Vec<String> {
    channels.into_iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn twenty_five_hundred_channels_by_item_and_by_page() {
    let (emu, client) = in_process(LroTiming::Instant);
    let all = seed_channels(&client, 2500).await;

    // Every item exactly once, in order (the emulator's default order is by name).
    let mut items = client.list_channels(list(100)).by_item();
    let mut seen = Vec::new();
    while let Some(channel) = items.next().await {
        seen.push(channel.unwrap().name);
    }
    assert_eq!(seen, all);
    assert_eq!(items.pager().pages(), 25);
    assert!(items.unreachable().is_empty());
    let requests = emu.requests(Method::ListChannels);
    assert_eq!(requests.len(), 25);
    for request in &requests {
        assert_eq!(
            request.header("x-goog-request-params"),
            Some(format!("parent={}", location()).as_str())
        );
    }

    // Pages of the size asked for (the default would be 100), carried to every page.
    let pages: Vec<ListChannelsResponse> = client
        .list_channels(list(250))
        .by_page()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.channels.len()).collect();
    assert_eq!(sizes, [250; 10]);
    assert!(pages[..9].iter().all(|p| !p.next_page_token.is_empty()));
    assert!(pages[9].next_page_token.is_empty());

    // The server's default (100) and maximum (1,000) page sizes.
    let sizes = |pages: Vec<ListChannelsResponse>| -> Vec<usize> {
        pages.iter().map(|p| p.channels.len()).collect()
    };
    let default = client
        .list_channels(list(0))
        .by_page()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sizes(default), [100; 25]);
    let capped = client
        .list_channels(list(5000))
        .by_page()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sizes(capped), [1000, 1000, 500]);

    // A limit stops fetching.
    let before = emu.call_count(Method::ListChannels);
    let first = client
        .list_channels(list(100))
        .collect_items(Some(150))
        .await
        .unwrap();
    assert_eq!(names(first), all[..150]);
    assert_eq!(emu.call_count(Method::ListChannels) - before, 2);

    // The create operations, newest first, over three pages of 1,000.
    let request = ListOperationsRequest {
        name: location().to_string(),
        page_size: 1000,
        ..Default::default()
    };
    let mut pager = client.list_operations(request).by_page();
    let mut operations = Vec::new();
    while let Some(page) = pager.next().await {
        operations.extend(page.unwrap().operations.into_iter().map(|op| op.name));
    }
    assert_eq!(pager.pages(), 3);
    assert_eq!(operations.len(), 2500);
    let mut newest_first = operations.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(operations, newest_first);
}

#[tokio::test]
async fn filter_and_order_by_are_carried_across_pages() {
    let (emu, client) = in_process(LroTiming::Instant);
    let all = seed_channels(&client, 2500).await;
    let request = ListChannelsRequest {
        filter: "labels.parity = \"even\"".into(),
        order_by: "name desc".into(),
        ..list(100)
    };
    let even = client
        .list_channels(request.clone())
        .collect_items(None)
        .await
        .unwrap();
    let expected: Vec<String> = all.iter().step_by(2).rev().cloned().collect();
    assert_eq!(even.len(), 1250);
    assert_eq!(names(even), expected);
    assert_eq!(emu.call_count(Method::ListChannels), 13);

    // Which matters: the emulator binds its tokens to the filter and the order.
    let first = client.list_channels(request.clone()).await.unwrap();
    for changed in [
        ListChannelsRequest {
            filter: String::new(),
            ..request.clone()
        },
        ListChannelsRequest {
            order_by: "name".into(),
            ..request.clone()
        },
    ] {
        let err = client
            .list_channels(ListChannelsRequest {
                page_token: first.next_page_token.clone(),
                ..changed
            })
            .await
            .unwrap_err();
        assert!(err.is_invalid_argument(), "{err:?}");
    }
}

#[tokio::test]
async fn a_pager_resumes_from_its_token_and_one_await_is_one_page() {
    let (emu, client) = in_process(LroTiming::Instant);
    let all = seed_channels(&client, 250).await;
    let page = client.list_channels(list(10)).await.unwrap();
    assert_eq!(names(page.channels), all[..10]);
    assert!(!page.next_page_token.is_empty());
    assert_eq!(emu.call_count(Method::ListChannels), 1);

    let mut pager = client.list_channels(list(100)).by_page();
    pager.next().await.unwrap().unwrap();
    let token = pager.next_page_token().unwrap().to_owned();
    drop(pager);
    let rest = client
        .list_channels(ListChannelsRequest {
            page_token: token,
            ..list(100)
        })
        .collect_items(None)
        .await
        .unwrap();
    assert_eq!(names(rest), all[100..]);
}

#[tokio::test(start_paused = true)]
async fn each_page_is_retried_and_a_failure_ends_the_stream() {
    let (emu, client) = in_process(LroTiming::Instant);
    seed_channels(&client, 300).await;
    // The first page succeeds; the second fails once (retried), the third fails for good.
    let mut pager = client.list_channels(list(100)).by_page();
    pager.next().await.unwrap().unwrap();
    emu.inject_faults(
        Method::ListChannels,
        FaultScript::codes([Code::Unavailable]),
    );
    pager.next().await.unwrap().unwrap();
    emu.inject_faults(
        Method::ListChannels,
        FaultScript::codes([Code::PermissionDenied]),
    );
    let err = pager.next().await.unwrap().unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
    assert!(
        pager.next().await.is_none(),
        "the stream ends after an error"
    );
    assert_eq!(emu.call_count(Method::ListChannels), 4);
}

#[tokio::test]
async fn every_list_method_pages() {
    let emu = Emulator::builder().build();
    let client = Client::from_service(emu.service());
    let ch = channel_with_input(&client, "ch").await;
    let project = ProjectName::new(PROJECT).unwrap();
    let counts = [
        client
            .list_channels(location())
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_inputs(location())
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_events(&ch)
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_clips(&ch)
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_dvr_sessions(&ch)
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_assets(location())
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_operations(location())
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_locations(project)
            .collect_items(None)
            .await
            .unwrap()
            .len(),
    ];
    // A channel and its input (two create operations); 18 locations by default.
    assert_eq!(counts, [1, 1, 0, 0, 0, 0, 2, 18]);
}
