//! Driving a standalone emulator from another process: the typed admin client
//! [`RemoteEmulator`] controls it over its socket while a [`Client`] calls the API, as a test
//! suite would against `livestream emulator`.
//!
//! ```text
//! cargo run --example emulator_control                    # starts an emulator on 127.0.0.1:0
//! livestream emulator --port 8085 &                       # or drive a standalone one:
//! LIVESTREAM_EMULATOR_HOST=127.0.0.1:8085 cargo run --example emulator_control
//! ```
//!
//! The workflow: reset, make operations manual and complete them by hand, start a channel,
//! connect the simulated encoder, script an `UNAVAILABLE` that the client's retries absorb,
//! count the calls, move the clock, force a failure and recover, export the state, and reset
//! again.

use std::error::Error as StdError;
use std::time::Duration;

use livestream_grpc::emulator::{Emulator, FaultScript, LroTiming, RemoteEmulator};
use livestream_grpc::names::LocationName;
use livestream_grpc::policy::{CallOptions, ExponentialBackoff};
use livestream_grpc::tonic::Code;
use livestream_grpc::v1::channel::{Output, StreamingState};
use livestream_grpc::v1::elementary_stream::ElementaryStream as StreamKind;
use livestream_grpc::v1::video_stream::{CodecSettings, H264CodecSettings};
use livestream_grpc::v1::*;
use livestream_grpc::{Client, Method};

type BoxError = Box<dyn StdError + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    // The emulator named by LIVESTREAM_EMULATOR_HOST, or one started here on a free port
    // (standing in for the other process: only its socket is used below).
    let own = match std::env::var("LIVESTREAM_EMULATOR_HOST") {
        Ok(host) if !host.is_empty() => None,
        _ => Some(Emulator::builder().start().await?),
    };
    let endpoint = match &own {
        Some(running) => running.endpoint(),
        None => format!("http://{}", std::env::var("LIVESTREAM_EMULATOR_HOST")?),
    };
    println!("emulator at {endpoint}");
    let remote = RemoteEmulator::connect(&endpoint)?;
    // Short backoffs, so the scripted UNAVAILABLE costs milliseconds.
    let quick = ExponentialBackoff::builder()
        .with_initial_delay(Duration::from_millis(10))
        .build()?;
    let client = Client::builder()
        .with_endpoint(&endpoint)
        .with_call_options(CallOptions::new().with_backoff(quick))
        .build()
        .await?;

    remote.reset().await?;
    remote.set_lro_timing(LroTiming::Manual).await?;
    let location = LocationName::new("my-project", "us-central1")?;
    let input_name = location.input("studio")?;
    let channel_name = location.channel("live")?;

    // Operations stay pending until completed through the admin client.
    let input = Input {
        r#type: input::Type::RtmpPush as i32,
        ..Default::default()
    };
    let creating = client.create_input((&input_name, input)).await?;
    let completed = remote.complete_all_operations().await?;
    println!("completed {completed:?}");
    let input = creating.until_done().await?;
    println!("input {} accepts {}", input.name, input.uri);

    let creating = client
        .create_channel((&channel_name, channel_body(&input_name.to_string())))
        .await?;
    remote.complete_operation(creating.name()).await?;
    creating.until_done().await?;
    let starting = client.start_channel(&channel_name).await?;
    remote.complete_operation(starting.name()).await?;
    starting.until_done().await?;

    // The simulated encoder connects: the channel streams.
    remote.connect_input(&input_name).await?;
    let channel = client.get_channel(&channel_name).await?;
    assert_eq!(channel.streaming_state(), StreamingState::Streaming);
    println!(
        "channel {} is {:?}",
        channel.name,
        channel.streaming_state()
    );

    // One UNAVAILABLE, absorbed by the client's retries; the emulator counted both calls.
    let before = remote.call_count(Method::GetChannel).await?;
    remote
        .inject_faults(Method::GetChannel, FaultScript::codes([Code::Unavailable]))
        .await?;
    client.get_channel(&channel_name).await?;
    let calls = remote.call_count(Method::GetChannel).await? - before;
    assert_eq!(calls, 2);
    println!("GetChannel took {calls} attempts");
    let recorded = remote.requests(Method::GetChannel).await?;
    println!(
        "routing header: {:?}",
        recorded
            .last()
            .and_then(|r| r.header("x-goog-request-params"))
    );

    // The clock, a forced failure and the recovery.
    let now = remote.advance_clock(Duration::from_secs(600)).await?;
    println!("emulator clock: {}", prost_types_timestamp(now));
    remote.fail(&channel_name, "encoder overheated").await?;
    let failed = client.get_channel(&channel_name).await?;
    assert_eq!(failed.streaming_state(), StreamingState::StreamingError);
    println!("after fail: {:?}", failed.streaming_state());
    remote.recover_channel(&channel_name).await?;
    let recovered = client.get_channel(&channel_name).await?;
    println!("after recover: {:?}", recovered.streaming_state());

    // The whole state, as the snapshot of a --data-dir (credentials redacted).
    let state = remote.export_state().await?;
    assert!(
        state
            .channels
            .iter()
            .any(|c| c.channel.as_ref().is_some_and(|c| c.name == channel_name))
    );
    println!(
        "exported: {} channels, {} operations",
        state.channels.len(),
        state.operations.len()
    );

    remote.reset().await?;
    assert!(client.list_channels(&location).await?.channels.is_empty());
    println!("reset: no channels left");
    if let Some(running) = own {
        running.shutdown().await?;
    }
    Ok(())
}

fn prost_types_timestamp(t: std::time::SystemTime) -> livestream_grpc::prost_types::Timestamp {
    livestream_grpc::prost_types::Timestamp::from(t)
}

/// A channel the service accepts: the input attached, H.264 + AAC, an HLS manifest.
fn channel_body(input: &str) -> Channel {
    Channel {
        input_attachments: vec![InputAttachment {
            key: "studio".into(),
            input: input.into(),
            ..Default::default()
        }],
        output: Some(Output {
            uri: "gs://my-bucket/live".into(),
        }),
        elementary_streams: vec![
            ElementaryStream {
                key: "es_video".into(),
                elementary_stream: Some(StreamKind::VideoStream(VideoStream {
                    codec_settings: Some(CodecSettings::H264(H264CodecSettings {
                        width_pixels: 1280,
                        height_pixels: 720,
                        frame_rate: 30.0,
                        bitrate_bps: 3_000_000,
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
                ..Default::default()
            },
            ElementaryStream {
                key: "es_audio".into(),
                elementary_stream: Some(StreamKind::AudioStream(AudioStream {
                    codec: "aac".into(),
                    channel_count: 2,
                    bitrate_bps: 160_000,
                    ..Default::default()
                })),
                ..Default::default()
            },
        ],
        mux_streams: vec![
            MuxStream {
                key: "mux_video".into(),
                container: "fmp4".into(),
                elementary_streams: vec!["es_video".into()],
                ..Default::default()
            },
            MuxStream {
                key: "mux_audio".into(),
                container: "fmp4".into(),
                elementary_streams: vec!["es_audio".into()],
                ..Default::default()
            },
        ],
        manifests: vec![Manifest {
            key: "manifest_hls".into(),
            file_name: "main.m3u8".into(),
            r#type: manifest::ManifestType::Hls as i32,
            mux_streams: vec!["mux_video".into(), "mux_audio".into()],
            max_segment_count: 5,
            ..Default::default()
        }],
        ..Default::default()
    }
}
