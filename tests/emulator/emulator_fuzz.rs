//! Structured fuzzing of the in-process emulator: arbitrary encodings of every request type
//! of the 41 RPCs and of the admin service (random field values built from the descriptors:
//! names of existing resources and malformed ones, extreme numbers, unknown enum values,
//! nested messages, maps, repeated fields), half of them then damaged byte-wise (truncated,
//! bytes flipped, invalid UTF-8 spliced in, junk appended), plus random gRPC framing. Every
//! call must get an answer that is not INTERNAL or UNKNOWN, and none may panic (in-process,
//! a panic would unwind through this test). Deterministic: a fixed seed per RPC.
//!
//! On paused tokio time: an admin call may set a latency of years on a method, or
//! WaitOperation wait for its whole timeout; the clock jumps instead of waiting.

use std::time::Instant;

use crate::emulator_support::*;
use livestream_grpc::emulator::{Emulator, LroTiming};
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, Value};
use tonic::Code;

/// Cases per RPC (message encodings); the framing cases come on top.
const CASES_PER_RPC: usize = 1000;
const FRAMING_CASES: usize = 600;

/// Names that exist in the world, and others.
struct Pool {
    names: Vec<String>,
}

fn world_names(operation: &str) -> Vec<String> {
    vec![
        LOC.into(),
        format!("projects/{PROJECT}"),
        input_name("in"),
        channel_name("ch"),
        channel_name("stopped"),
        asset_name("slate"),
        format!("{}/events/e", channel_name("ch")),
        format!("{}/clips/c", channel_name("ch")),
        format!("{}/dvrSessions/d", channel_name("ch")),
        format!("{LOC}/pools/default"),
        operation.into(),
        "projects/p/locations/mars-central1/channels/x".into(),
        "projects//locations/us-central1".into(),
        "GetChannel".into(),
        "CreateChannel".into(),
    ]
}

fn string(rng: &mut fastrand::Rng, field: &FieldDescriptor, pool: &Pool) -> String {
    let name = field.name();
    let pick = rng.u8(0..10);
    if (name == "name" || name == "parent" || name.ends_with("input") || name == "asset")
        && pick < 6
    {
        return pool.names[rng.usize(0..pool.names.len())].clone();
    }
    if name.ends_with("_id") && pick < 5 {
        return match rng.u8(0..4) {
            0 => "ch".into(),
            1 => uuid::Uuid::new_v4().to_string(),
            2 => "00000000-0000-0000-0000-000000000000".into(),
            _ => format!("id-{}", rng.u32(..)),
        };
    }
    match pick {
        0 => String::new(),
        1 => "x".repeat(rng.usize(0..300)),
        2 => [
            "name = \"x\"",
            "labels.env:*",
            "(",
            "state = RUNNING OR",
            "create_time > \"2020-01-01T00:00:00Z\"",
            "name desc, create_time",
        ][rng.usize(0..6)]
        .into(),
        3 => "é😀\u{0}\u{7f}\u{202e}".into(),
        4 => pool.names[rng.usize(0..pool.names.len())].clone() + "/extra",
        5 => format!("{}", rng.i64(..)),
        6 => [
            "gs://bucket/out",
            "rtmp://x",
            "srt://y:1",
            "aac",
            "h264",
            "fmp4",
            "ts",
            "manifest_hls",
            "es_video",
            "mux_video",
        ][rng.usize(0..10)]
        .into(),
        _ => (0..rng.usize(0..24))
            .map(|_| char::from(rng.u8(0x20..0x7f)))
            .collect(),
    }
}

fn int(rng: &mut fastrand::Rng) -> i64 {
    match rng.u8(0..6) {
        0 => [
            i64::MIN,
            -1,
            0,
            1,
            i64::MAX,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        ][rng.usize(0..7)],
        1 => rng.i64(-5..100),
        2 => rng.i64(0..100_000_000),
        _ => rng.i64(..),
    }
}

fn float(rng: &mut fastrand::Rng) -> f64 {
    [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.5,
        30.0,
        1e308,
        -1.0,
    ][rng.usize(0..8)]
}

fn value(
    rng: &mut fastrand::Rng,
    field: &FieldDescriptor,
    kind: &Kind,
    depth: usize,
    pool: &Pool,
) -> Value {
    match kind {
        Kind::Double => Value::F64(float(rng)),
        Kind::Float => Value::F32(float(rng) as f32),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(int(rng) as i32),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(int(rng)),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(int(rng) as u32),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(int(rng) as u64),
        Kind::Bool => Value::Bool(rng.bool()),
        Kind::String => Value::String(string(rng, field, pool)),
        Kind::Bytes => Value::Bytes(
            (0..rng.usize(0..16))
                .map(|_| rng.u8(..))
                .collect::<Vec<u8>>()
                .into(),
        ),
        Kind::Enum(e) => {
            let values: Vec<i32> = e.values().map(|v| v.number()).collect();
            Value::EnumNumber(if rng.u8(0..5) == 0 || values.is_empty() {
                rng.i32(-3..40)
            } else {
                values[rng.usize(0..values.len())]
            })
        }
        Kind::Message(m) => Value::Message(message(rng, m, depth + 1, pool)),
    }
}

/// A message of type `desc` with about half of its fields set at random.
fn message(
    rng: &mut fastrand::Rng,
    desc: &MessageDescriptor,
    depth: usize,
    pool: &Pool,
) -> DynamicMessage {
    let mut m = DynamicMessage::new(desc.clone());
    if depth > 5 {
        return m;
    }
    for field in desc.fields() {
        if rng.u8(0..10) < 4 {
            continue;
        }
        let kind = field.kind();
        let v = if field.is_map() {
            let Kind::Message(entry) = &kind else {
                continue;
            };
            let (key_field, value_field) =
                (entry.map_entry_key_field(), entry.map_entry_value_field());
            let mut map = std::collections::HashMap::new();
            for _ in 0..rng.usize(0..3) {
                let key = match value(rng, &key_field, &key_field.kind(), depth, pool) {
                    Value::String(s) => MapKey::String(s),
                    Value::I32(i) => MapKey::I32(i),
                    Value::I64(i) => MapKey::I64(i),
                    Value::U32(i) => MapKey::U32(i),
                    Value::U64(i) => MapKey::U64(i),
                    Value::Bool(b) => MapKey::Bool(b),
                    _ => continue,
                };
                map.insert(
                    key,
                    value(rng, &value_field, &value_field.kind(), depth, pool),
                );
            }
            Value::Map(map)
        } else if field.is_list() {
            Value::List(
                (0..rng.usize(0..3))
                    .map(|_| value(rng, &field, &kind, depth, pool))
                    .collect(),
            )
        } else {
            value(rng, &field, &kind, depth, pool)
        };
        let _ = m.try_set_field(&field, v);
    }
    m
}

/// Damages an encoding: truncation, flipped bytes, invalid UTF-8, junk.
fn damage(rng: &mut fastrand::Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..rng.usize(1..4) {
        match rng.u8(0..5) {
            0 if !bytes.is_empty() => bytes.truncate(rng.usize(0..bytes.len())),
            1 if !bytes.is_empty() => {
                let i = rng.usize(0..bytes.len());
                bytes[i] ^= 1 << rng.u8(0..8);
            }
            2 => {
                let i = rng.usize(0..=bytes.len());
                bytes.splice(i..i, [0xc3, 0x28, 0xff, 0xfe]);
            }
            3 => bytes.extend((0..rng.usize(1..12)).map(|_| rng.u8(..))),
            _ => {
                // A length-delimited field whose length runs past the end.
                bytes.extend([0x0a, 0x7f, b'a']);
            }
        }
    }
    bytes
}

async fn world(emu: &Emulator) -> String {
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
    ls.create_asset(create_asset_request("slate"))
        .await
        .unwrap()
        .into_inner()
        .name
}

fn acceptable(
    codes: &mut std::collections::BTreeMap<String, usize>,
    path: &str,
    case: usize,
    result: Result<(), tonic::Status>,
) {
    let code = result.as_ref().map_or_else(|s| s.code(), |_| Code::Ok);
    *codes.entry(format!("{code:?}")).or_default() += 1;
    if let Err(status) = result {
        assert!(
            !matches!(status.code(), Code::Internal | Code::Unknown),
            "{path}, case {case}: {status:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn arbitrary_encodings_of_every_request_never_panic_nor_answer_internal() {
    let started = Instant::now();
    let rpcs = every_rpc();
    let mut sent = 0usize;
    let mut codes = std::collections::BTreeMap::new();
    for (index, (path, desc)) in rpcs.iter().enumerate() {
        let emu = Emulator::builder().lro_timing(LroTiming::Instant).build();
        let operation = world(&emu).await;
        let pool = Pool {
            names: world_names(&operation),
        };
        let mut rng = fastrand::Rng::with_seed(0x5eed_0000 + index as u64);
        for case in 0..CASES_PER_RPC {
            let request = message(&mut rng, desc, 0, &pool);
            let mut bytes = prost::Message::encode_to_vec(&request);
            if rng.bool() {
                bytes = damage(&mut rng, bytes);
            }
            let result = raw_call(&emu, path, bytes).await.map(drop);
            acceptable(&mut codes, path, case, result);
            // An injected fault answers with the code it was given (INTERNAL too): the
            // admin calls' effects on faults are undone before the next case.
            if path.contains("EmulatorAdmin") {
                emu.clear_all_faults();
            }
            sent += 1;
        }
    }
    // Framing: random prefixes, lengths, flags and message counts, to every method.
    let emu = Emulator::builder().build();
    world(&emu).await;
    let mut rng = fastrand::Rng::with_seed(0xf4a3);
    for case in 0..FRAMING_CASES {
        let (path, _) = &rpcs[rng.usize(0..rpcs.len())];
        let mut body = Vec::new();
        for _ in 0..rng.usize(0..3) {
            let message: Vec<u8> = (0..rng.usize(0..20)).map(|_| rng.u8(..)).collect();
            let mut frame = framed(if rng.u8(0..4) == 0 { rng.u8(..) } else { 0 }, &message);
            if rng.u8(0..4) == 0 {
                frame[1..5].copy_from_slice(&rng.u32(..).to_be_bytes());
            }
            if rng.u8(0..4) == 0 {
                frame.truncate(rng.usize(0..frame.len()));
            }
            body.extend(frame);
        }
        let answer = send(
            emu.service(),
            path,
            &[("content-type", "application/grpc")],
            body,
        )
        .await;
        acceptable(&mut codes, path, case, Err(answer.status));
        sent += 1;
    }
    eprintln!(
        "structured fuzz: {sent} cases ({} RPCs x {CASES_PER_RPC} encodings + {FRAMING_CASES} framings) in {:?}; answers: {codes:?}",
        rpcs.len(),
        started.elapsed()
    );
    // The API's 41 and every method the admin proto declares.
    let admin = livestream_grpc::reflect::descriptor_pool()
        .unwrap()
        .get_service_by_name("livestream.emulator.v1.EmulatorAdmin")
        .unwrap();
    assert_eq!(rpcs.len(), 41 + admin.methods().len());
}
