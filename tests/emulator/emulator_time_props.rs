//! Property test: every `google.protobuf.Duration` and `Timestamp` field of every request
//! (the 41 RPCs of the API and the admin service's), set to arbitrary and extreme values
//! (`i64::MIN` seconds, nanos of the wrong sign, years beyond 9999, ...), gets a status from
//! the in-process emulator and never a panic. In-process, a panic in the emulator would
//! unwind through this test's own task; tests build in debug, where overflow panics.

use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::emulator::Emulator;
use livestream_grpc::emulator::admin;
use livestream_grpc::longrunning::WaitOperationRequest;
use livestream_grpc::reflect::to_dynamic;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use proptest::prelude::*;
use prost::Message;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value};
use tonic::Code;

/// Every path (field descriptors from the request down) to a Duration or Timestamp field,
/// through nested and repeated messages (not maps; recursive types once).
fn time_paths(desc: &MessageDescriptor) -> Vec<Vec<FieldDescriptor>> {
    fn walk(
        desc: &MessageDescriptor,
        prefix: &mut Vec<FieldDescriptor>,
        stack: &mut Vec<String>,
        out: &mut Vec<Vec<FieldDescriptor>>,
    ) {
        for field in desc.fields() {
            let Kind::Message(inner) = field.kind() else {
                continue;
            };
            if field.is_map() {
                continue;
            }
            let name = inner.full_name().to_owned();
            if name == "google.protobuf.Duration" || name == "google.protobuf.Timestamp" {
                let mut path = prefix.clone();
                path.push(field);
                out.push(path);
            } else if !stack.contains(&name) && stack.len() < 10 {
                prefix.push(field);
                stack.push(name);
                walk(&inner, prefix, stack, out);
                prefix.pop();
                stack.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(desc, &mut Vec::new(), &mut Vec::new(), &mut out);
    out
}

/// Sets the time value at `path` (creating the messages and first list items on the way).
fn set_path(message: &mut DynamicMessage, path: &[FieldDescriptor], seconds: i64, nanos: i32) {
    let Some((field, rest)) = path.split_first() else {
        return;
    };
    let Kind::Message(inner) = field.kind() else {
        return;
    };
    if rest.is_empty() {
        let mut value = DynamicMessage::new(inner);
        value.set_field_by_name("seconds", Value::I64(seconds));
        value.set_field_by_name("nanos", Value::I32(nanos));
        let value = Value::Message(value);
        if field.is_list() {
            message.set_field(field, Value::List(vec![value]));
        } else {
            message.set_field(field, value);
        }
        return;
    }
    match message.get_field_mut(field) {
        Value::List(items) => {
            if items.is_empty() {
                items.push(Value::Message(DynamicMessage::new(inner)));
            }
            if let Some(Value::Message(first)) = items.first_mut() {
                set_path(first, rest, seconds, nanos);
            }
        }
        Value::Message(nested) => set_path(nested, rest, seconds, nanos),
        _ => {}
    }
}

/// Seconds: the boundaries of both types, the extremes of `i64`, and anything.
fn seconds() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MIN + 1),
        Just(i64::MAX),
        Just(0),
        Just(-1),
        Just(1),
        Just(315_576_000_000),
        Just(315_576_000_001),
        Just(-315_576_000_000),
        Just(-315_576_000_001),
        Just(253_402_300_799),
        Just(253_402_300_800),
        Just(-62_135_596_800),
        Just(-62_135_596_801),
        -100_000i64..4_000_000_000,
        any::<i64>(),
    ]
}

fn nanos() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0),
        Just(i32::MIN),
        Just(i32::MAX),
        Just(-1),
        Just(999_999_999),
        Just(1_000_000_000),
        Just(-999_999_999),
        Just(-1_000_000_000),
        any::<i32>(),
    ]
}

/// What the requests refer to: an input, a started channel (with content for clips), a
/// stopped one, an active asset, a DVR session and a finished operation.
struct World {
    emu: Emulator,
    operation: String,
}

async fn world() -> World {
    let emu = Emulator::builder().build();
    let mut ls = LivestreamServiceClient::new(emu.service());
    ls.create_input(create_input_request("in")).await.unwrap();
    ls.create_channel(create_channel_request("ch", channel_body(Some("in"))))
        .await
        .unwrap();
    ls.create_channel(create_channel_request("stopped", channel_body(None)))
        .await
        .unwrap();
    ls.start_channel(StartChannelRequest {
        name: channel_name("ch"),
        ..Default::default()
    })
    .await
    .unwrap();
    let operation = ls
        .create_asset(create_asset_request("slate"))
        .await
        .unwrap()
        .into_inner()
        .name;
    emu.advance_clock(Duration::from_secs(600));
    ls.create_dvr_session(CreateDvrSessionRequest {
        parent: channel_name("ch"),
        dvr_session_id: "d".into(),
        dvr_session: Some(dvr_session(&emu)),
        ..Default::default()
    })
    .await
    .unwrap();
    World { emu, operation }
}

fn dvr_session(emu: &Emulator) -> DvrSession {
    let now = emu.now();
    DvrSession {
        dvr_manifests: vec![dvr_session::DvrManifest {
            manifest_key: "manifest_hls".into(),
            ..Default::default()
        }],
        dvr_windows: vec![dvr_session::DvrWindow {
            kind: Some(dvr_session::dvr_window::Kind::TimeInterval(TimeInterval {
                start_time: Some(at(now + Duration::from_secs(60))),
                end_time: Some(at(now + Duration::from_secs(180))),
            })),
        }],
        ..Default::default()
    }
}

/// Valid requests to start from, so that the time values reach the code past the name and
/// body checks; other RPCs start from their default request.
fn bases(path: &str, world: &World) -> Vec<DynamicMessage> {
    let now = world.emu.now();
    let method = path.rsplit('/').next().unwrap_or_default();
    let secs30 = Some(secs(30));
    match method {
        "CreateChannel" => {
            vec![to_dynamic(&create_channel_request("new", channel_body(Some("in")))).unwrap()]
        }
        "UpdateChannel" => vec![
            to_dynamic(&UpdateChannelRequest {
                channel: Some(Channel {
                    name: channel_name("stopped"),
                    ..channel_body(None)
                }),
                ..Default::default()
            })
            .unwrap(),
        ],
        "CreateEvent" => {
            let event = |id: &str, event: Event| CreateEventRequest {
                parent: channel_name("ch"),
                event_id: id.into(),
                event: Some(event),
                ..Default::default()
            };
            vec![
                to_dynamic(&event(
                    "now",
                    Event {
                        execute_now: true,
                        task: Some(event::Task::AdBreak(event::AdBreakTask {
                            duration: secs30,
                        })),
                        ..Default::default()
                    },
                ))
                .unwrap(),
                to_dynamic(&event(
                    "later",
                    Event {
                        execution_time: Some(at(now + Duration::from_secs(3600))),
                        task: Some(event::Task::Slate(event::SlateTask {
                            duration: secs30,
                            asset: asset_name("slate"),
                        })),
                        ..Default::default()
                    },
                ))
                .unwrap(),
                to_dynamic(&event(
                    "mute",
                    Event {
                        execute_now: true,
                        task: Some(event::Task::Mute(event::MuteTask { duration: secs30 })),
                        ..Default::default()
                    },
                ))
                .unwrap(),
            ]
        }
        "CreateClip" => vec![
            to_dynamic(&CreateClipRequest {
                parent: channel_name("ch"),
                clip_id: "clip".into(),
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
            })
            .unwrap(),
        ],
        "CreateDvrSession" => vec![
            to_dynamic(&CreateDvrSessionRequest {
                parent: channel_name("ch"),
                dvr_session_id: "new".into(),
                dvr_session: Some(dvr_session(&world.emu)),
                ..Default::default()
            })
            .unwrap(),
        ],
        "UpdateDvrSession" => vec![
            to_dynamic(&UpdateDvrSessionRequest {
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["dvr_windows".into()],
                }),
                dvr_session: Some(DvrSession {
                    name: format!("{}/dvrSessions/d", channel_name("ch")),
                    ..dvr_session(&world.emu)
                }),
                ..Default::default()
            })
            .unwrap(),
        ],
        "WaitOperation" => vec![
            to_dynamic(&WaitOperationRequest {
                name: world.operation.clone(),
                timeout: Some(secs(1)),
            })
            .unwrap(),
        ],
        "AdvanceClock" => vec![
            to_dynamic(&admin::AdvanceClockRequest {
                duration: Some(secs(1)),
            })
            .unwrap(),
        ],
        "SetLroTiming" => vec![
            to_dynamic(&admin::SetLroTimingRequest {
                timing: Some(admin::set_lro_timing_request::Timing::Delay(secs(1))),
            })
            .unwrap(),
        ],
        // GetPool is not called after the admin calls: its latency may be any length.
        "SetLatency" => vec![
            to_dynamic(&admin::SetLatencyRequest {
                method: "GetPool".into(),
                latency: Some(secs(0)),
            })
            .unwrap(),
        ],
        "InjectFaults" => {
            let step = admin::FaultStep {
                code: Code::Unavailable as i32,
                retry_delay: Some(secs(1)),
                ..Default::default()
            };
            vec![
                to_dynamic(&admin::InjectFaultsRequest {
                    method: "GetPool".into(),
                    steps: vec![step.clone()],
                    probability: 0.5,
                    random_fault: Some(step),
                })
                .unwrap(),
            ]
        }
        _ => Vec::new(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Each case sets a random half of the time fields of every request (so every oneof
    /// alternative is reached across cases) to arbitrary values, and sends each request.
    #[test]
    fn every_time_field_of_every_request_gets_a_status(
        values in proptest::collection::vec((seconds(), nanos()), 16),
        picks in proptest::collection::vec(any::<bool>(), 32),
    ) {
        runtime().block_on(async {
            let world = world().await;
            let mut sent = 0;
            for (path, desc) in every_rpc() {
                let paths = time_paths(&desc);
                let mut requests = bases(&path, &world);
                if requests.is_empty() {
                    requests.push(DynamicMessage::new(desc.clone()));
                }
                for mut request in requests {
                    for (i, field_path) in paths.iter().enumerate() {
                        if picks[i % picks.len()] {
                            let (s, n) = values[i % values.len()];
                            set_path(&mut request, field_path, s, n);
                        }
                    }
                    let result = raw_call(&world.emu, &path, request.encode_to_vec()).await;
                    if let Err(status) = result {
                        prop_assert!(
                            !matches!(status.code(), Code::Internal | Code::Unknown),
                            "{path}: {status:?}"
                        );
                    }
                    sent += 1;
                }
            }
            // The time-driven transitions the values scheduled run too.
            for days in [1, 8, 40] {
                world.emu.advance_clock(Duration::from_secs(days * 86_400));
                let mut ls = LivestreamServiceClient::new(world.emu.service());
                let _ = ls
                    .list_events(ListEventsRequest {
                        parent: channel_name("ch"),
                        ..Default::default()
                    })
                    .await;
            }
            prop_assert!(sent > 55, "{sent} requests");
            Ok(())
        })?;
    }
}

#[test]
fn the_requests_have_time_fields_where_the_issue_found_them() {
    let paths: Vec<(String, Vec<String>)> = every_rpc()
        .into_iter()
        .map(|(path, desc)| {
            let fields = time_paths(&desc)
                .into_iter()
                .map(|p| {
                    p.iter()
                        .map(|f| f.name().to_owned())
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .collect();
            (path, fields)
        })
        .collect();
    let fields_of = |method: &str| {
        paths
            .iter()
            .find(|(p, _)| p.ends_with(&format!("/{method}")))
            .map(|(_, f)| f.clone())
            .unwrap_or_default()
    };
    let event = fields_of("CreateEvent");
    for field in [
        "event.ad_break.duration",
        "event.slate.duration",
        "event.mute.duration",
        "event.execution_time",
    ] {
        assert!(event.contains(&field.to_owned()), "{field} in {event:?}");
    }
    assert_eq!(fields_of("WaitOperation"), ["timeout"]);
    assert_eq!(fields_of("AdvanceClock"), ["duration"]);
    assert_eq!(fields_of("SetLatency"), ["latency"]);
    assert_eq!(
        fields_of("InjectFaults"),
        ["steps.retry_delay", "random_fault.retry_delay"]
    );
    // Requests without time fields are sent as well (with their defaults).
    assert!(paths.len() > 41);
}
