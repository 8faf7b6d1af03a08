//! Unit-testing your own code against `livestream_grpc::mock`: a small "ad-break scheduler"
//! ([`schedule_ad_break`]) and its tests, each a few lines of mock setup, run on tokio's paused
//! clock so that retries and operation polling take no real time.
//!
//! ```text
//! cargo test --example ad_break_scheduler   # the tests (CI runs them)
//! cargo run --example ad_break_scheduler    # the same scenarios, printed
//! ```
//!
//! The scenarios: the happy path; a channel over its event quota (`RESOURCE_EXHAUSTED` with a
//! `QuotaFailure` on CreateEvent), which the scheduler turns into a deferral; a lost response
//! (CreateEvent took effect but the answer was lost), which the client retries with the same
//! `request_id`; and a stopped channel whose start operation fails, which the scheduler
//! reports without inserting the break.

use std::time::Duration;

use livestream_grpc::names::ChannelName;
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::{CreateEventRequest, Event, event};
use livestream_grpc::{Client, Error};

/// What happened to an ad break.
#[derive(Debug, PartialEq)]
pub enum Scheduled {
    /// The event was created.
    Inserted(Box<Event>),
    /// The channel's event quota is used up: try again later.
    Deferred {
        /// What the quota limits (the `QuotaFailure` violation's subject).
        quota: String,
        /// When the service says to retry, if it does (`RetryInfo`).
        retry_after: Option<Duration>,
    },
}

/// Why an ad break could not be scheduled.
#[derive(Debug)]
pub enum ScheduleError {
    /// The channel was stopped and its start operation failed.
    ChannelWontStart(Error),
    /// Any other API error.
    Api(Error),
}

/// The code under test: inserts an ad break of `duration` into `channel` now, starting the
/// channel first if it is stopped, and defers (rather than fails) when the channel's event
/// quota is used up.
pub async fn schedule_ad_break(
    client: &Client,
    channel: &ChannelName,
    id: &str,
    duration: Duration,
) -> Result<Scheduled, ScheduleError> {
    let current = client
        .get_channel(channel)
        .await
        .map_err(ScheduleError::Api)?;
    if current.streaming_state() == StreamingState::Stopped {
        client
            .start_channel(channel)
            .await
            .map_err(ScheduleError::Api)?
            .until_done()
            .await
            .map_err(ScheduleError::ChannelWontStart)?;
    }
    let request = CreateEventRequest {
        parent: channel.to_string(),
        event_id: id.into(),
        event: Some(Event {
            execute_now: true,
            task: Some(event::Task::AdBreak(event::AdBreakTask {
                duration: Some(prost_types::Duration {
                    seconds: duration.as_secs() as i64,
                    nanos: duration.subsec_nanos() as i32,
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    match client.create_event(request).await {
        Ok(event) => Ok(Scheduled::Inserted(Box::new(event))),
        Err(e) if e.is_resource_exhausted() => Ok(Scheduled::Deferred {
            quota: e
                .details()
                .and_then(|d| d.quota_failure())
                .and_then(|q| q.violations.first())
                .map(|v| v.subject.clone())
                .unwrap_or_default(),
            retry_after: e.retry_delay(),
        }),
        Err(e) => Err(ScheduleError::Api(e)),
    }
}

/// The tests, as plain async functions so that `main` can run them too; `mod tests` below
/// runs each as a `#[tokio::test(start_paused = true)]`. Each one sets up a mock, hands its
/// service to the client, calls the scheduler and checks what it did; the mock's
/// expectations (`times`, `never`) are checked when it is dropped at the end.
mod scenarios {
    use super::*;
    use livestream_grpc::mock::{Failure, Mock};
    use livestream_grpc::v1::Channel;

    fn channel() -> ChannelName {
        "projects/my-project/locations/us-central1/channels/live"
            .parse()
            .unwrap()
    }

    /// A channel in `state`.
    fn channel_in(state: StreamingState) -> Channel {
        Channel {
            name: channel().to_string(),
            streaming_state: state as i32,
            ..Default::default()
        }
    }

    pub(super) async fn a_streaming_channel_gets_its_break() {
        let mock = Mock::new();
        mock.get_channel()
            .returns(channel_in(StreamingState::Streaming))
            .times(1);
        mock.start_channel().never();
        mock.create_event()
            .answers(|request| {
                Ok(Event {
                    name: format!("{}/events/{}", request.parent, request.event_id),
                    ..request.event.clone().unwrap_or_default()
                })
            })
            .times(1);
        let client = Client::from_service(mock.service());

        let outcome = schedule_ad_break(&client, &channel(), "ad-1", Duration::from_secs(30))
            .await
            .unwrap();

        let Scheduled::Inserted(event) = outcome else {
            panic!("expected an inserted break, got {outcome:?}");
        };
        assert!(event.name.ends_with("/events/ad-1"));
        let sent = &mock.create_event().requests()[0];
        assert!(sent.event.as_ref().unwrap().execute_now);
        assert_eq!(
            sent.routing_header(),
            Some("parent=projects/my-project/locations/us-central1/channels/live")
        );
    }

    pub(super) async fn a_quota_error_defers_the_break() {
        let mock = Mock::new();
        mock.get_channel()
            .returns(channel_in(StreamingState::Streaming));
        mock.create_event()
            .fails(
                Failure::quota("events per channel", "a channel has at most 100 events")
                    .with_retry_delay(Duration::from_secs(60)),
            )
            .times(1); // RESOURCE_EXHAUSTED is not retried
        let client = Client::from_service(mock.service());

        let outcome = schedule_ad_break(&client, &channel(), "ad-2", Duration::from_secs(30))
            .await
            .unwrap();

        assert_eq!(
            outcome,
            Scheduled::Deferred {
                quota: "events per channel".into(),
                retry_after: Some(Duration::from_secs(60)),
            }
        );
    }

    pub(super) async fn a_lost_response_is_retried_with_the_same_request_id() {
        let mock = Mock::new();
        mock.get_channel()
            .returns(channel_in(StreamingState::Streaming));
        mock.create_event()
            .fails_once(Failure::unavailable(
                "connection reset after the request was sent",
            ))
            .returns(Event::default())
            .times(2);
        let client = Client::from_service(mock.service());

        let outcome = schedule_ad_break(&client, &channel(), "ad-3", Duration::from_secs(30))
            .await
            .unwrap();

        assert!(matches!(outcome, Scheduled::Inserted(_)), "{outcome:?}");
        // Both attempts carried the same request_id, so the service applies the event once.
        let ids: Vec<String> = mock
            .create_event()
            .requests()
            .iter()
            .map(|r| r.request_id().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], ids[1]);
    }

    pub(super) async fn a_channel_that_fails_to_start_gets_no_break() {
        let mock = Mock::new();
        mock.get_channel()
            .returns(channel_in(StreamingState::Stopped));
        mock.start_channel()
            .pending_for(
                2,
                Err(Failure::failed_precondition(
                    "INPUT",
                    "projects/my-project/locations/us-central1/inputs/camera",
                    "the input is not attached to a live stream",
                )
                .into()),
            )
            .times(1);
        mock.get_operation().times(3); // pending twice, then failed
        mock.create_event().never();
        let client = Client::from_service(mock.service());

        let err = schedule_ad_break(&client, &channel(), "ad-4", Duration::from_secs(30))
            .await
            .unwrap_err();

        let ScheduleError::ChannelWontStart(err) = err else {
            panic!("expected ChannelWontStart, got {err:?}");
        };
        assert!(
            err.is_operation_failure() && err.is_failed_precondition(),
            "{err}"
        );
        let violation = &err
            .details()
            .unwrap()
            .precondition_failure()
            .unwrap()
            .violations[0];
        assert_eq!(violation.r#type, "INPUT");
    }
}

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?;
    runtime.block_on(async {
        let started = tokio::time::Instant::now();
        scenarios::a_streaming_channel_gets_its_break().await;
        println!("ok  a streaming channel gets its break");
        scenarios::a_quota_error_defers_the_break().await;
        println!("ok  a quota error on CreateEvent defers the break");
        scenarios::a_lost_response_is_retried_with_the_same_request_id().await;
        println!("ok  a lost CreateEvent response is retried with the same request_id");
        scenarios::a_channel_that_fails_to_start_gets_no_break().await;
        println!("ok  a channel whose start operation fails gets no break");
        println!(
            "4 scenarios; {:.1} s of retries and polling on tokio's paused clock",
            started.elapsed().as_secs_f64()
        );
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    macro_rules! tests {
        ($($name:ident)*) => {$(
            #[tokio::test(start_paused = true)]
            async fn $name() {
                super::scenarios::$name().await;
            }
        )*};
    }

    tests! {
        a_streaming_channel_gets_its_break
        a_quota_error_defers_the_break
        a_lost_response_is_retried_with_the_same_request_id
        a_channel_that_fails_to_start_gets_no_break
    }
}
