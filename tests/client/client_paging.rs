//! Paging against the fake server, for what the emulator cannot show or never answers: the
//! exact request of every page, `unreachable` locations, empty pages in the middle, and a
//! server that repeats its page token. 2,500 items, limits, page sizes, resuming and
//! retries against the emulator are in `client_emulator_paging.rs`.

use crate::common::Fake;
use crate::common::names::{channel, location};
use futures_util::StreamExt;
use livestream_grpc::ErrorKind;
use livestream_grpc::v1::*;

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
async fn every_page_request_carries_the_options_and_unreachable_locations_add_up() {
    let fake = Fake::new();
    serve_channels(&fake, 300);
    let served = fake.serve().await;
    let client = served.client().await;
    let mut items = client.list_channels(request(100)).by_item();
    let mut names = Vec::new();
    while let Some(channel) = items.next().await {
        names.push(channel.unwrap().name);
    }
    assert_eq!(names.len(), 300);
    assert!(names[0].ends_with("/c0000") && names[299].ends_with("/c0299"));
    assert_eq!(items.unreachable(), ["us-east9"]);
    assert_eq!(items.pager().pages(), 3);

    let requests = fake.requests::<ListChannelsRequest>("ListChannels");
    assert_eq!(requests.len(), 3);
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
