//! Paging over real gRPC: 2,500 items, options carried across pages, limits, unreachable
//! locations, resuming, and a server that repeats its page token.

mod common;

use common::Fake;
use common::names::{channel, location};
use futures_util::{StreamExt, TryStreamExt};
use livestream_grpc::ErrorKind;
use livestream_grpc::v1::*;
use tonic::Code;

/// Serves `total` channels, `page_size` at a time (1,000 when 0), tokens being offsets.
fn serve_channels(fake: &Fake, total: usize) {
    fake.on("ListChannels", move |request: ListChannelsRequest| {
        let start: usize = if request.page_token.is_empty() {
            0
        } else {
            request
                .page_token
                .parse()
                .map_err(|_| tonic::Status::invalid_argument("bad token"))?
        };
        let size = if request.page_size > 0 {
            request.page_size as usize
        } else {
            1000
        };
        let end = (start + size).min(total);
        Ok(ListChannelsResponse {
            channels: (start..end)
                .map(|i| Channel {
                    name: format!("{}/channels/c{i:04}", request.parent),
                    ..Default::default()
                })
                .collect(),
            next_page_token: if end < total {
                end.to_string()
            } else {
                String::new()
            },
            unreachable: if start == 0 {
                vec!["us-east9".into()]
            } else {
                vec![]
            },
        })
    });
}

fn request(page_size: i32) -> ListChannelsRequest {
    ListChannelsRequest {
        parent: location().to_string(),
        page_size,
        filter: "labels.env=prod".into(),
        order_by: "name desc".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn items_of_2500_channels_over_25_pages_carry_the_request_options() {
    let fake = Fake::new();
    serve_channels(&fake, 2500);
    let served = fake.serve().await;
    let client = served.client().await;
    let mut items = client.list_channels(request(100)).by_item();
    let mut names = Vec::new();
    while let Some(channel) = items.next().await {
        names.push(channel.unwrap().name);
    }
    assert_eq!(names.len(), 2500);
    assert!(names[0].ends_with("/c0000") && names[2499].ends_with("/c2499"));
    assert_eq!(items.unreachable(), ["us-east9"]);
    assert_eq!(items.pager().pages(), 25);

    let requests = fake.requests::<ListChannelsRequest>("ListChannels");
    assert_eq!(requests.len(), 25);
    for (i, sent) in requests.iter().enumerate() {
        assert_eq!(sent.page_size, 100);
        assert_eq!(sent.filter, "labels.env=prod");
        assert_eq!(sent.order_by, "name desc");
        let token = if i == 0 {
            String::new()
        } else {
            (i * 100).to_string()
        };
        assert_eq!(sent.page_token, token);
        assert_eq!(
            fake.header("ListChannels", i, "x-goog-request-params")
                .as_deref(),
            Some("parent=projects/p/locations/us-central1")
        );
    }
}

#[tokio::test]
async fn pages_as_a_stream_with_the_server_page_size() {
    let fake = Fake::new();
    serve_channels(&fake, 2500);
    let pages: Vec<ListChannelsResponse> = fake
        .client()
        .list_channels(request(0))
        .by_page()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.channels.len()).collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    assert_eq!(pages[0].next_page_token, "1000");
    assert_eq!(pages[0].unreachable, ["us-east9"]);
}

#[tokio::test]
async fn collect_with_a_limit_stops_fetching() {
    let fake = Fake::new();
    serve_channels(&fake, 2500);
    let client = fake.client();
    let first = client
        .list_channels(request(100))
        .collect_items(Some(150))
        .await
        .unwrap();
    assert_eq!(first.len(), 150);
    assert_eq!(fake.count("ListChannels"), 2);
    let all = client
        .list_channels(request(1000))
        .collect_items(None)
        .await
        .unwrap();
    assert_eq!(all.len(), 2500);
}

#[tokio::test]
async fn a_single_await_returns_the_first_page() {
    let fake = Fake::new();
    serve_channels(&fake, 2500);
    let page = fake.client().list_channels(request(10)).await.unwrap();
    assert_eq!(page.channels.len(), 10);
    assert_eq!(page.next_page_token, "10");
    assert_eq!(fake.count("ListChannels"), 1);
}

#[tokio::test]
async fn pages_of_three_zero_one_and_two_items() {
    // The Python client's pager test: tokens abc, def, ghi, then none.
    let fake = Fake::new();
    fake.on("ListEvents", |request: ListEventsRequest| {
        let (count, next) = match request.page_token.as_str() {
            "" => (3, "abc"),
            "abc" => (0, "def"),
            "def" => (1, "ghi"),
            "ghi" => (2, ""),
            other => return Err(tonic::Status::invalid_argument(other.to_owned())),
        };
        Ok(ListEventsResponse {
            events: vec![Event::default(); count],
            next_page_token: next.into(),
            ..Default::default()
        })
    });
    let client = fake.client();
    let mut pager = client.list_events(channel()).by_page();
    let mut tokens = Vec::new();
    while let Some(page) = pager.next().await {
        tokens.push(page.unwrap().next_page_token);
    }
    assert_eq!(tokens, ["abc", "def", "ghi", ""]);
    assert_eq!(pager.next_page_token(), None);
    let items = client
        .list_events(channel())
        .collect_items(None)
        .await
        .unwrap();
    assert_eq!(items.len(), 6);
}

#[tokio::test]
async fn a_pager_can_be_resumed_from_its_token() {
    let fake = Fake::new();
    serve_channels(&fake, 250);
    let client = fake.client();
    let mut pager = client.list_channels(request(100)).by_page();
    pager.next().await.unwrap().unwrap();
    let token = pager.next_page_token().unwrap().to_owned();
    assert_eq!(token, "100");
    drop(pager);
    let rest = client
        .list_channels(ListChannelsRequest {
            page_token: token,
            ..request(100)
        })
        .collect_items(None)
        .await
        .unwrap();
    assert_eq!(rest.len(), 150);
}

#[tokio::test]
async fn a_server_that_repeats_its_token_does_not_loop_forever() {
    let fake = Fake::new();
    fake.on("ListAssets", |request: ListAssetsRequest| {
        Ok(ListAssetsResponse {
            assets: vec![Asset::default()],
            next_page_token: if request.page_token.is_empty() {
                "same".into()
            } else {
                request.page_token
            },
            ..Default::default()
        })
    });
    let results: Vec<_> = fake
        .client()
        .list_assets(location())
        .by_item()
        .collect()
        .await;
    assert_eq!(results.len(), 3, "two items, then the error");
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(fake.count("ListAssets"), 2);
}

#[tokio::test(start_paused = true)]
async fn each_page_is_retried_and_a_failure_ends_the_stream() {
    let fake = Fake::new();
    serve_channels(&fake, 300);
    let client = fake.client();
    // The first page succeeds; the second fails once (retried), the third fails for good.
    let mut pager = client.list_channels(request(100)).by_page();
    pager.next().await.unwrap().unwrap();
    fake.fail("ListChannels", [Code::Unavailable]);
    pager.next().await.unwrap().unwrap();
    fake.fail("ListChannels", [Code::PermissionDenied]);
    let err = pager.next().await.unwrap().unwrap_err();
    assert!(err.is_permission_denied());
    assert!(
        pager.next().await.is_none(),
        "the stream ends after an error"
    );
    assert_eq!(fake.count("ListChannels"), 4);
}

#[tokio::test]
async fn every_list_method_pages() {
    let fake = Fake::new();
    let client = fake.client();
    // The fake's default answer is an empty last page.
    let project = livestream_grpc::names::ProjectName::new("p").unwrap();
    let counts = [
        client
            .list_inputs(location())
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_clips(channel())
            .collect_items(None)
            .await
            .unwrap()
            .len(),
        client
            .list_dvr_sessions(channel())
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
    assert_eq!(counts, [0; 6]);
}
