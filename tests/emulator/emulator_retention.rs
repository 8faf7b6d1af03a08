//! Bounded memory: finished operations are forgotten 30 days after they end (the real
//! service keeps them "about 30 days"), executed events 7 days after they finish,
//! request_ids after their 60-minute window; timers of deleted resources do not pile up.
//! On the emulator clock, in-process.

use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::emulator::{Emulator, LroTiming};
use livestream_grpc::longrunning::GetOperationRequest;
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use tonic::Code;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn clients(
    emu: &Emulator,
) -> (
    LivestreamServiceClient<livestream_grpc::emulator::EmulatorService>,
    OperationsClient<livestream_grpc::emulator::EmulatorService>,
) {
    (
        LivestreamServiceClient::new(emu.service()),
        OperationsClient::new(emu.service()),
    )
}

async fn get_op(
    ops: &mut OperationsClient<livestream_grpc::emulator::EmulatorService>,
    name: &str,
) -> Result<(), Code> {
    ops.get_operation(GetOperationRequest { name: name.into() })
        .await
        .map(drop)
        .map_err(|s| s.code())
}

#[tokio::test]
async fn finished_operations_are_forgotten_30_days_after_they_end_by_default() {
    let emu = Emulator::builder().lro_timing(LroTiming::Manual).build();
    let (mut ls, mut ops) = clients(&emu);
    let op = ls
        .create_input(create_input_request("in"))
        .await
        .unwrap()
        .into_inner();
    // Pending operations are kept however long they take.
    emu.advance_clock(40 * DAY);
    assert_eq!(get_op(&mut ops, &op.name).await, Ok(()));
    emu.complete_operation(&op.name).unwrap();
    emu.advance_clock(29 * DAY);
    assert_eq!(get_op(&mut ops, &op.name).await, Ok(()));
    assert_eq!(emu.footprint().operations, 1);
    emu.advance_clock(DAY + Duration::from_secs(1));
    assert_eq!(get_op(&mut ops, &op.name).await, Err(Code::NotFound));
    assert_eq!(emu.footprint().operations, 0);
    // The resource itself stays.
    assert_eq!(emu.footprint().resources, 2, "the input and its pool");
}

#[tokio::test]
async fn request_ids_are_forgotten_after_their_window() {
    let emu = Emulator::builder().build();
    let (mut ls, _) = clients(&emu);
    let request_id = |i: u32| format!("6f1f5a8e-6b8d-4f9a-9f5e-{i:012}");
    for i in 0..20 {
        ls.create_input(CreateInputRequest {
            request_id: request_id(i),
            ..create_input_request(&format!("in-{i}"))
        })
        .await
        .unwrap();
    }
    assert_eq!(emu.footprint().request_ids, 20);
    emu.advance_clock(Duration::from_secs(59 * 60));
    assert_eq!(emu.footprint().request_ids, 20);
    // Within the window a replay answers the first operation...
    ls.create_input(CreateInputRequest {
        request_id: request_id(0),
        ..create_input_request("in-0")
    })
    .await
    .unwrap();
    emu.advance_clock(Duration::from_secs(60));
    assert_eq!(emu.footprint().request_ids, 0);
    // ...after it, the request is new.
    let err = ls
        .create_input(CreateInputRequest {
            request_id: request_id(0),
            ..create_input_request("in-0")
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

async fn started_channel(
    emu: &Emulator,
) -> LivestreamServiceClient<livestream_grpc::emulator::EmulatorService> {
    let (mut ls, _) = clients(emu);
    ls.create_input(create_input_request("in")).await.unwrap();
    ls.create_channel(create_channel_request("ch", channel_body(Some("in"))))
        .await
        .unwrap();
    ls.start_channel(StartChannelRequest {
        name: channel_name("ch"),
        ..Default::default()
    })
    .await
    .unwrap();
    ls
}

fn event_at(id: &str, at: std::time::SystemTime) -> CreateEventRequest {
    CreateEventRequest {
        parent: channel_name("ch"),
        event_id: id.into(),
        event: Some(Event {
            execution_time: Some(crate::emulator_support::at(at)),
            task: Some(event::Task::AdBreak(event::AdBreakTask {
                duration: Some(secs(30)),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn executed_events_are_deleted_7_days_after_they_finish() {
    let emu = Emulator::builder().build();
    let mut ls = started_channel(&emu).await;
    let now = emu.now();
    ls.create_event(event_at("e", now + Duration::from_secs(60)))
        .await
        .unwrap();
    emu.advance_clock(Duration::from_secs(60 + 30));
    let event = ls
        .get_event(GetEventRequest {
            name: format!("{}/events/e", channel_name("ch")),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(event.state(), event::State::Succeeded);
    emu.advance_clock(7 * DAY - Duration::from_secs(1));
    assert_eq!(emu.footprint().events, 1);
    emu.advance_clock(Duration::from_secs(1));
    assert_eq!(emu.footprint().events, 0);
}

#[tokio::test]
async fn deleted_events_leave_no_timers_behind() {
    let emu = Emulator::builder().build();
    let mut ls = started_channel(&emu).await;
    let far = emu.now() + 100 * 365 * DAY;
    for i in 0..3000 {
        let id = format!("e{i}");
        ls.create_event(event_at(&id, far)).await.unwrap();
        ls.delete_event(DeleteEventRequest {
            name: format!("{}/events/{id}", channel_name("ch")),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let footprint = emu.footprint();
    assert_eq!(footprint.events, 0);
    assert!(
        footprint.timers <= 1024 + 2 * footprint.operations,
        "{footprint:?}"
    );
}

#[tokio::test]
async fn a_stale_timer_does_not_run_an_event_created_again_under_the_same_name() {
    let emu = Emulator::builder().build();
    let mut ls = started_channel(&emu).await;
    let now = emu.now();
    let name = format!("{}/events/e", channel_name("ch"));
    ls.create_event(event_at("e", now + Duration::from_secs(20)))
        .await
        .unwrap();
    ls.delete_event(DeleteEventRequest {
        name: name.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    ls.create_event(event_at("e", now + Duration::from_secs(3600)))
        .await
        .unwrap();
    emu.advance_clock(Duration::from_secs(30));
    let event = ls
        .get_event(GetEventRequest { name })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(event.state(), event::State::Scheduled);
}

#[tokio::test]
async fn retention_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let mut ls = LivestreamServiceClient::new(emu.channel());
    let op = ls
        .create_input(create_input_request("in"))
        .await
        .unwrap()
        .into_inner();
    emu.shutdown().await.unwrap();
    let emu = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let mut ops = OperationsClient::new(emu.channel());
    assert!(
        ops.get_operation(GetOperationRequest {
            name: op.name.clone()
        })
        .await
        .is_ok()
    );
    emu.advance_clock(30 * DAY + Duration::from_secs(1));
    let err = ops
        .get_operation(GetOperationRequest { name: op.name })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    emu.shutdown().await.unwrap();
}
