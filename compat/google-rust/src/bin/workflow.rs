//! A whole Live Stream workflow through Google's Rust crate, `google-cloud-video-livestream-v1`
//! (REST: HTTP/1.1 + JSON), against the emulator named by `LIVESTREAM_EMULATOR_HOST`:
//! inputs, channels with LRO pollers (progress metadata, typed results), a request_id
//! replay, get, list with paging and a filter, an update with a mask, start/stop, preview,
//! events, the pool, errors with their `google.rpc` details, the Operations mixin (list,
//! get, cancel, delete) and the Locations mixin (list, get), then deletes.
//!
//! ```sh
//! livestream emulator --port 0 --lro-delay 500ms &      # prints LIVESTREAM_EMULATOR_HOST
//! LIVESTREAM_EMULATOR_HOST=127.0.0.1:PORT cargo run --bin workflow
//! ```
//!
//! `benches/compat/run.sh` (livestream-grpc) does all of it, and runs the Python client's
//! REST workflow against the same emulator. Exits non-zero at the first check that fails.

use google_cloud_gax::error::rpc::{Code, StatusDetails};
use google_cloud_gax::paginator::{ItemPaginator as _, Paginator as _};
use google_cloud_lro::{Poller as _, PollingResult};
use google_cloud_video_livestream_v1::Error;
use google_cloud_video_livestream_v1::client::LivestreamService;
use google_cloud_video_livestream_v1::model::{Event, Input, channel, event, input};
use google_cloud_wkt::{Duration, FieldMask};
use livestream_google_rust_compat::{
    BoxError, builder, emulator_host, quickstart_channel, unique_suffix,
};

/// Fails the workflow with `what` unless `condition` holds; prints it otherwise.
fn check(condition: bool, what: impl std::fmt::Display) -> Result<(), BoxError> {
    if condition {
        println!("ok: {what}");
        Ok(())
    } else {
        Err(format!("FAILED: {what}").into())
    }
}

/// The canonical code, HTTP status and details of a service error (`None` for any other
/// kind of error: a transport or decoding failure is a failure of the workflow).
fn service_error(
    result: Result<impl std::fmt::Debug, Error>,
) -> Result<(Code, u16, Vec<StatusDetails>), BoxError> {
    let error = match result {
        Ok(v) => return Err(format!("FAILED: expected an error, got {v:?}").into()),
        Err(e) => e,
    };
    match (error.status(), error.http_status_code()) {
        (Some(status), Some(http)) => Ok((status.code, http, status.details.clone())),
        _ => Err(format!("FAILED: not a service error: {error:?}").into()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let host = emulator_host()?;
    let client: LivestreamService = builder(&host).build().await?;
    let project = format!("google-rust-{}", unique_suffix());
    let location = "us-central1";
    let parent = format!("projects/{project}/locations/{location}");
    println!("Google's Rust crate over REST against http://{host}, {parent}");

    // An input, polled to completion.
    let created_input = client
        .create_input()
        .set_parent(&parent)
        .set_input_id("my-input")
        .set_input(Input::new().set_type(input::Type::RtmpPush))
        .poller()
        .until_done()
        .await?;
    check(
        created_input.uri.starts_with("rtmp://") && created_input.r#type == input::Type::RtmpPush,
        format!("input created with uri {}", created_input.uri),
    )?;

    // A channel, polled step by step: the emulator's delayed operation is in progress
    // (typed OperationMetadata) before it completes with the typed Channel.
    let request_id = format!("7f1c0a52-3b6e-4d2a-9c1e-{:0>12}", &unique_suffix());
    let body = quickstart_channel(&created_input.name).set_labels([("team", "video")]);
    let mut poller = client
        .create_channel()
        .set_parent(&parent)
        .set_channel_id("my-channel")
        .set_channel(body.clone())
        .set_request_id(&request_id)
        .poller();
    let (mut in_progress, mut verb, mut created) = (0, String::new(), None);
    while let Some(step) = poller.poll().await {
        match step {
            PollingResult::InProgress(metadata) => {
                in_progress += 1;
                if let Some(m) = metadata {
                    verb = m.verb;
                }
                // `poll()` does not wait (only `until_done()` backs off): the caller does.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            PollingResult::Completed(result) => created = Some(result?),
            PollingResult::PollingError(e) => return Err(e.into()),
        }
    }
    let created = created.ok_or("FAILED: the create_channel poller ended without a result")?;
    check(
        in_progress >= 1 && verb == "create",
        format!(
            "create_channel in progress {in_progress} time(s) with metadata verb {verb:?}, then done"
        ),
    )?;
    check(
        created.name == format!("{parent}/channels/my-channel")
            && created.streaming_state == channel::StreamingState::Stopped,
        "channel created STOPPED (enum answered as a number, $alt=json;enum-encoding=int)",
    )?;
    check(
        created.elementary_streams.len() == 2 && created.manifests.len() == 1,
        "channel body round-trips",
    )?;

    // The same request_id again: the original operation, nothing created twice.
    let replay = client
        .create_channel()
        .set_parent(&parent)
        .set_channel_id("my-channel")
        .set_channel(body)
        .set_request_id(&request_id)
        .send()
        .await?;
    check(
        replay.done,
        format!(
            "request_id replay answers the original operation {}",
            replay.name
        ),
    )?;

    let got = client.get_channel().set_name(&created.name).send().await?;
    check(
        got.labels.get("team").map(String::as_str) == Some("video"),
        "get_channel with its labels",
    )?;

    // A second channel, so that paging has two pages.
    let second = client
        .create_channel()
        .set_parent(&parent)
        .set_channel_id("second-channel")
        .set_channel(quickstart_channel(&created_input.name))
        .poller()
        .until_done()
        .await?;
    let mut pages = client
        .list_channels()
        .set_parent(&parent)
        .set_page_size(1)
        .by_page();
    let mut page_sizes = Vec::new();
    while let Some(page) = pages.next().await {
        page_sizes.push(page?.channels.len());
    }
    check(
        page_sizes == [1, 1],
        format!("list_channels by page, page_size 1: pages of {page_sizes:?}"),
    )?;
    let mut items = client.list_channels().set_parent(&parent).by_item();
    let mut names = Vec::new();
    while let Some(channel) = items.next().await {
        names.push(channel?.name);
    }
    names.sort();
    check(
        names == [created.name.clone(), second.name.clone()],
        "list_channels by item",
    )?;
    let mut filtered = client
        .list_channels()
        .set_parent(&parent)
        .set_filter(r#"labels.team = "video""#)
        .by_item();
    let mut matched = Vec::new();
    while let Some(channel) = filtered.next().await {
        matched.push(channel?.name);
    }
    check(
        matched == [created.name.clone()],
        "list_channels with a filter",
    )?;

    // An update with a mask (updateMask in the query string), polled to completion.
    let updated = client
        .update_channel()
        .set_channel(
            got.clone()
                .set_output(channel::Output::new().set_uri("gs://my-bucket/other/")),
        )
        .set_update_mask(FieldMask::default().set_paths(["output"]))
        .poller()
        .until_done()
        .await?;
    check(
        updated.output.as_ref().map(|o| o.uri.as_str()) == Some("gs://my-bucket/other/"),
        "update_channel with an update mask",
    )?;

    // Start: a typed ChannelOperationResponse, then AWAITING_INPUT.
    client
        .start_channel()
        .set_name(&created.name)
        .poller()
        .until_done()
        .await?;
    let started = client.get_channel().set_name(&created.name).send().await?;
    check(
        started.streaming_state == channel::StreamingState::AwaitingInput,
        "started: AWAITING_INPUT",
    )?;
    let preview = client
        .preview_input()
        .set_name(&created_input.name)
        .send()
        .await?;
    check(
        !preview.uri.is_empty(),
        format!("preview_input answers {}", preview.uri),
    )?;

    // Events on the running channel.
    let event = client
        .create_event()
        .set_parent(&created.name)
        .set_event_id("ad-break")
        .set_event(
            Event::new()
                .set_ad_break(event::AdBreakTask::new().set_duration(Duration::clamp(30, 0)))
                .set_execute_now(true),
        )
        .send()
        .await?;
    check(
        event.execution_time.is_some(),
        "event created with an execution time (Timestamp)",
    )?;
    let mut events = client.list_events().set_parent(&created.name).by_item();
    let mut event_names = Vec::new();
    while let Some(e) = events.next().await {
        event_names.push(e?.name);
    }
    check(event_names == [event.name.clone()], "events listed")?;
    let got_event = client.get_event().set_name(&event.name).send().await?;
    check(
        got_event
            .ad_break()
            .and_then(|a| a.duration.as_ref())
            .map(|d| d.seconds())
            == Some(30),
        "get_event: the ad break's Duration round-trips",
    )?;
    client.delete_event().set_name(&event.name).send().await?;

    // Errors: the code, the HTTP status and the google.rpc details, as Google's crate reads them.
    let (code, http, details) =
        service_error(client.delete_channel().set_name(&created.name).send().await)?;
    check(
        code == Code::FailedPrecondition
            && http == 400
            && details
                .iter()
                .any(|d| matches!(d, StatusDetails::PreconditionFailure(_))),
        format!("deleting a running channel: {code:?}, HTTP {http}, with a PreconditionFailure"),
    )?;
    client
        .stop_channel()
        .set_name(&created.name)
        .poller()
        .until_done()
        .await?;
    let (code, http, _) =
        service_error(client.stop_channel().set_name(&created.name).send().await)?;
    check(
        code == Code::FailedPrecondition && http == 400,
        "stopping a stopped channel fails",
    )?;
    let (code, http, details) = service_error(
        client
            .get_channel()
            .set_name(format!("{parent}/channels/no-such-channel"))
            .send()
            .await,
    )?;
    check(
        code == Code::NotFound
            && http == 404
            && details
                .iter()
                .any(|d| matches!(d, StatusDetails::ResourceInfo(_))),
        "a missing channel: NotFound, HTTP 404, with a ResourceInfo",
    )?;
    let (code, http, details) = service_error(
        client
            .create_channel()
            .set_parent(&parent)
            .set_channel_id("Not_A_Valid_Id")
            .set_channel(quickstart_channel(&created_input.name))
            .send()
            .await,
    )?;
    check(
        code == Code::InvalidArgument
            && http == 400
            && details
                .iter()
                .any(|d| matches!(d, StatusDetails::BadRequest(_))),
        "an invalid channel_id: InvalidArgument, HTTP 400, with a BadRequest",
    )?;

    let pool = client
        .get_pool()
        .set_name(format!("{parent}/pools/default"))
        .send()
        .await?;
    check(
        pool.name.ends_with("/pools/default"),
        "the pool exists after the first input",
    )?;

    // The Operations mixin: list (with paging), get, cancel, delete.
    let mut operations = client
        .list_operations()
        .set_name(&parent)
        .set_page_size(2)
        .by_item();
    let mut listed = Vec::new();
    while let Some(op) = operations.next().await {
        listed.push(op?);
    }
    check(
        listed.len() >= 6 && listed.iter().all(|o| o.done),
        format!("{} operations listed, all done", listed.len()),
    )?;
    let again = client
        .get_operation()
        .set_name(&listed[0].name)
        .send()
        .await?;
    check(again.done && again.name == listed[0].name, "get_operation")?;
    let pending = client
        .create_input()
        .set_parent(&parent)
        .set_input_id("cancelled-input")
        .set_input(Input::new().set_type(input::Type::SrtPush))
        .send()
        .await?;
    check(!pending.done, "a delayed operation is pending")?;
    client
        .cancel_operation()
        .set_name(&pending.name)
        .send()
        .await?;
    let cancelled = client
        .get_operation()
        .set_name(&pending.name)
        .send()
        .await?;
    check(
        cancelled.done && cancelled.error().is_some_and(|e| e.code == 1), // 1: CANCELLED
        "cancel_operation: the operation ends CANCELLED",
    )?;
    client
        .delete_operation()
        .set_name(&pending.name)
        .send()
        .await?;
    let (code, _, _) = service_error(client.get_operation().set_name(&pending.name).send().await)?;
    check(
        code == Code::NotFound,
        "delete_operation: the record is gone",
    )?;

    // The Locations mixin.
    let mut locations = client
        .list_locations()
        .set_name(format!("projects/{project}"))
        .by_item();
    let mut ids = Vec::new();
    while let Some(l) = locations.next().await {
        ids.push(l?.location_id);
    }
    check(
        ids.iter().any(|id| id == location),
        format!("{} locations listed", ids.len()),
    )?;
    let loc = client.get_location().set_name(&parent).send().await?;
    check(loc.location_id == location, "get_location")?;

    // Deletes (unit pollers), then NOT_FOUND.
    client
        .delete_channel()
        .set_name(&created.name)
        .poller()
        .until_done()
        .await?;
    client
        .delete_channel()
        .set_name(&second.name)
        .poller()
        .until_done()
        .await?;
    client
        .delete_input()
        .set_name(&created_input.name)
        .poller()
        .until_done()
        .await?;
    let (code, http, _) = service_error(
        client
            .get_input()
            .set_name(&created_input.name)
            .send()
            .await,
    )?;
    check(
        code == Code::NotFound && http == 404,
        "deleted input is NOT_FOUND",
    )?;

    println!("google-cloud-video-livestream-v1 workflow passed");
    Ok(())
}
