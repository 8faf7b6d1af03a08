//! The example of each generated `Client` method (see `client_methods.rs`): a doctest that
//! runs on an in-process emulator. Hidden lines (`# `) start the emulator, whose operations
//! take 5 s on tokio's paused clock (so `until_done` really polls, in no real time), and
//! create what the call needs first (the input, the channel, a running channel with an hour
//! of content, the event, clip, DVR session or asset it names); the visible lines build the
//! request and make the call as a user would against the real service.

use crate::model::{Kind, Rpc};
use crate::util::{BoxError, module_and_ident, short_name, snake_case};

/// What the hidden lines create before the example's call, in this order.
#[derive(Clone, Copy, PartialEq)]
enum Step {
    Input,
    Channel,
    /// Start the channel, connect the simulated encoder, and let an hour of content stream.
    Start,
    StartDistribution,
    Event,
    Clip,
    DvrSession,
    Asset,
}

/// The steps an RPC's example needs; an RPC without an entry fails the build, so a new RPC
/// gets a runnable example.
fn steps(rpc: &Rpc) -> Result<Vec<Step>, BoxError> {
    use Step::*;
    const RUNNING: [Step; 3] = [Input, Channel, Start];
    let name = rpc.name.as_str();
    let family =
        |singular: &str| name.ends_with(singular) || name.ends_with(&format!("{singular}s"));
    Ok(match name {
        "CreateInput" | "CreateAsset" | "ListLocations" | "GetLocation" | "GetOperation"
        | "DeleteOperation" | "CancelOperation" | "WaitOperation" => vec![],
        // The pool appears with the location's first input.
        "GetPool" | "UpdatePool" | "ListOperations" | "CreateChannel" => vec![Input],
        "StopChannel" | "StartDistribution" | "PreviewInput" | "CreateEvent" | "CreateClip"
        | "CreateDvrSession" => RUNNING.to_vec(),
        "StopDistribution" => [&RUNNING[..], &[StartDistribution]].concat(),
        _ if family("Channel") => vec![Input, Channel],
        _ if family("Input") => vec![Input],
        _ if family("Event") => [&RUNNING[..], &[Event]].concat(),
        _ if family("Clip") => [&RUNNING[..], &[Clip]].concat(),
        _ if family("DvrSession") => [&RUNNING[..], &[DvrSession]].concat(),
        _ if family("Asset") => vec![Asset],
        other => {
            return Err(format!(
                "{other}: no doc example setup; add its steps in build/doc_examples.rs"
            )
            .into());
        }
    })
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// Hides lines from the rendered docs (they still run).
fn hide(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| {
            if l.is_empty() {
                "#".to_owned()
            } else {
                format!("# {l}")
            }
        })
        .collect()
}

const PRELUDE: &str = r#"use livestream_grpc::Client;
use livestream_grpc::emulator::{Emulator, LroTiming};
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// Operations take 5 s (on tokio's paused clock); the emulator's clock starts an hour ago,
// so that a channel can have streamed for an hour by now.
let emulator = Emulator::builder()
    .lro_timing(LroTiming::Delay(std::time::Duration::from_secs(5)))
    .base_time(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
    .build();
let client = Client::from_service(emulator.service());"#;

/// A resource body with meaningful settings, as `let {var} = ...;` (with its `use` lines).
fn body(ident: &str, var: &str) -> Result<Vec<String>, BoxError> {
    let text = match ident {
        "Input" => format!(
            "use livestream_grpc::v1::{{input, Input}};

let {var} = Input {{
    r#type: input::Type::RtmpPush as i32,
    ..Default::default()
}};"
        ),
        "Channel" => format!(
            r#"use livestream_grpc::prost_types::Duration;
use livestream_grpc::v1::elementary_stream::ElementaryStream as Stream;
use livestream_grpc::v1::video_stream::{{CodecSettings, H264CodecSettings}};
use livestream_grpc::v1::{{channel, manifest, AudioStream, Channel, ElementaryStream}};
use livestream_grpc::v1::{{InputAttachment, Manifest, MuxStream, RetentionConfig, VideoStream}};

// H.264 video and AAC audio from the input `my-input`, as HLS.
let video = ElementaryStream {{
    key: "video".into(),
    elementary_stream: Some(Stream::VideoStream(VideoStream {{
        codec_settings: Some(CodecSettings::H264(H264CodecSettings {{
            width_pixels: 1280,
            height_pixels: 720,
            frame_rate: 30.0,
            bitrate_bps: 3_000_000,
            ..Default::default()
        }})),
        ..Default::default()
    }})),
    ..Default::default()
}};
let audio = ElementaryStream {{
    key: "audio".into(),
    elementary_stream: Some(Stream::AudioStream(AudioStream {{
        codec: "aac".into(),
        channel_count: 2,
        bitrate_bps: 160_000,
        ..Default::default()
    }})),
    ..Default::default()
}};
let mux = |key: &str, stream: &str| MuxStream {{
    key: key.into(),
    container: "fmp4".into(),
    elementary_streams: vec![stream.into()],
    ..Default::default()
}};
let {var} = Channel {{
    input_attachments: vec![InputAttachment {{
        key: "my-input".into(),
        input: "projects/my-project/locations/us-central1/inputs/my-input".into(),
        ..Default::default()
    }}],
    output: Some(channel::Output {{ uri: "gs://my-bucket/live".into() }}),
    elementary_streams: vec![video, audio],
    mux_streams: vec![mux("mux_video", "video"), mux("mux_audio", "audio")],
    manifests: vec![Manifest {{
        key: "manifest_hls".into(),
        file_name: "main.m3u8".into(),
        r#type: manifest::ManifestType::Hls as i32,
        mux_streams: vec!["mux_video".into(), "mux_audio".into()],
        max_segment_count: 5,
        ..Default::default()
    }}],
    // An hour of content is kept, for clips and DVR sessions.
    retention_config: Some(RetentionConfig {{
        retention_window_duration: Some(Duration {{ seconds: 3600, nanos: 0 }}),
    }}),
    ..Default::default()
}};"#
        ),
        "Event" => format!(
            "use livestream_grpc::prost_types::Duration;
use livestream_grpc::v1::{{event, Event}};

// A 30 s ad break, now.
let {var} = Event {{
    execute_now: true,
    task: Some(event::Task::AdBreak(event::AdBreakTask {{
        duration: Some(Duration {{ seconds: 30, nanos: 0 }}),
    }})),
    ..Default::default()
}};"
        ),
        "Clip" => format!(
            r#"use std::time::{{Duration, SystemTime}};
use livestream_grpc::v1::{{clip, Clip}};

// The minute that ended 30 s ago, from the channel's HLS manifest.
let now = SystemTime::now();
let {var} = Clip {{
    output_uri: "gs://my-bucket/clips".into(),
    slices: vec![clip::Slice {{
        kind: Some(clip::slice::Kind::TimeSlice(clip::TimeSlice {{
            markin_time: Some((now - Duration::from_secs(90)).into()),
            markout_time: Some((now - Duration::from_secs(30)).into()),
        }})),
    }}],
    clip_manifests: vec![clip::ClipManifest {{
        manifest_key: "manifest_hls".into(),
        ..Default::default()
    }}],
    ..Default::default()
}};"#
        ),
        "DvrSession" => format!(
            r#"use std::time::{{Duration, SystemTime}};
use livestream_grpc::v1::dvr_session::{{dvr_window, DvrManifest, DvrWindow}};
use livestream_grpc::v1::{{DvrSession, TimeInterval}};

// The last minute and the next ten, from the channel's HLS manifest.
let now = SystemTime::now();
let {var} = DvrSession {{
    dvr_manifests: vec![DvrManifest {{
        manifest_key: "manifest_hls".into(),
        ..Default::default()
    }}],
    dvr_windows: vec![DvrWindow {{
        kind: Some(dvr_window::Kind::TimeInterval(TimeInterval {{
            start_time: Some((now - Duration::from_secs(60)).into()),
            end_time: Some((now + Duration::from_secs(600)).into()),
        }})),
    }}],
    ..Default::default()
}};"#
        ),
        "Asset" => format!(
            r#"use livestream_grpc::v1::{{asset, Asset}};

// A slate video.
let {var} = Asset {{
    resource: Some(asset::Resource::Video(asset::VideoAsset {{
        uri: "gs://my-bucket/slate.mp4".into(),
    }})),
    ..Default::default()
}};"#
        ),
        other => return Err(format!("no example body for {other}").into()),
    };
    Ok(lines(&text))
}

/// The fields an update example changes (inside the resource's literal), with the `use`
/// lines and statements they need first.
fn update(ident: &str) -> Result<(Vec<String>, Vec<String>), BoxError> {
    let (before, fields) = match ident {
        "Channel" => (
            "use livestream_grpc::v1::channel;",
            r#"    // A new output folder (the channel must be stopped).
    output: Some(channel::Output { uri: "gs://my-bucket/live-v2".into() }),"#,
        ),
        "Input" => (
            "use livestream_grpc::v1::input;",
            "    tier: input::Tier::Uhd as i32,",
        ),
        "DvrSession" => (
            r#"use std::time::{Duration, SystemTime};
use livestream_grpc::v1::dvr_session::{dvr_window, DvrWindow};
use livestream_grpc::v1::TimeInterval;
let now = SystemTime::now();"#,
            r#"    // From five minutes ago to the next half hour.
    dvr_windows: vec![DvrWindow {
        kind: Some(dvr_window::Kind::TimeInterval(TimeInterval {
            start_time: Some((now - Duration::from_secs(300)).into()),
            end_time: Some((now + Duration::from_secs(1800)).into()),
        })),
    }],"#,
        ),
        "Pool" => (
            "use livestream_grpc::v1::pool;",
            r#"    // Peered with a VPC network, named by its project's number.
    network_config: Some(pool::NetworkConfig {
        peered_network: "projects/123456789/global/networks/my-network".into(),
    }),"#,
        ),
        other => return Err(format!("no example update for {other}").into()),
    };
    Ok((lines(before), lines(fields)))
}

/// The hidden statements of one step, in a block of their own (their `use` lines and
/// variables stay there).
fn step_lines(step: Step) -> Result<Vec<String>, BoxError> {
    let location = "projects/my-project/locations/us-central1";
    let mut out = vec!["{".to_owned()];
    match step {
        Step::Input => {
            out.extend(body("Input", "input")?);
            out.push(format!(
                "let name: livestream_grpc::names::InputName = \"{location}/inputs/my-input\".parse()?;"
            ));
            out.push("client.create_input((&name, input)).await?.until_done().await?;".into());
        }
        Step::Channel => {
            out.extend(body("Channel", "channel")?);
            out.extend(lines(&format!(
                r#"// With an SRT distribution, `my-distribution`, of the same streams.
let channel = Channel {{
    distribution_streams: vec![livestream_grpc::v1::DistributionStream {{
        key: "dist-stream".into(),
        container: "ts".into(),
        elementary_streams: vec!["video".into(), "audio".into()],
    }}],
    distributions: vec![livestream_grpc::v1::Distribution {{
        key: "my-distribution".into(),
        distribution_stream: "dist-stream".into(),
        endpoint: Some(livestream_grpc::v1::distribution::Endpoint::SrtPush(
            livestream_grpc::v1::SrtPushOutputEndpoint {{
                uri: "srt://203.0.113.1:4201?streamid=x".into(),
                ..Default::default()
            }},
        )),
        ..Default::default()
    }}],
    ..channel
}};
let name: livestream_grpc::names::ChannelName = "{location}/channels/my-channel".parse()?;
client.create_channel((&name, channel)).await?.until_done().await?;"#
            )));
        }
        Step::Start => out.extend(lines(&format!(
            r#"let name: livestream_grpc::names::ChannelName = "{location}/channels/my-channel".parse()?;
client.start_channel(&name).await?.until_done().await?;
emulator.connect_input("{location}/inputs/my-input")?;
emulator.advance_clock(std::time::Duration::from_secs(3600));"#
        ))),
        Step::StartDistribution => out.extend(lines(&format!(
            r#"let name: livestream_grpc::names::ChannelName = "{location}/channels/my-channel".parse()?;
client.start_distribution(&name).await?.until_done().await?;"#
        ))),
        Step::Event | Step::Clip | Step::DvrSession => {
            let (ident, id, method) = match step {
                Step::Event => ("Event", "events/my-event", "create_event"),
                Step::Clip => ("Clip", "clips/my-clip", "create_clip"),
                _ => ("DvrSession", "dvrSessions/my-dvr-session", "create_dvr_session"),
            };
            out.extend(body(ident, "body")?);
            out.push(format!(
                "let name: livestream_grpc::names::{ident}Name = \"{location}/channels/my-channel/{id}\".parse()?;"
            ));
            out.push(if step == Step::Event {
                format!("client.{method}((&name, body)).await?;")
            } else {
                format!("client.{method}((&name, body)).await?.until_done().await?;")
            });
        }
        Step::Asset => {
            out.extend(body("Asset", "asset")?);
            out.push(format!(
                "let name: livestream_grpc::names::AssetName = \"{location}/assets/my-asset\".parse()?;"
            ));
            out.push("client.create_asset((&name, asset)).await?.until_done().await?;".into());
        }
    }
    out.push("}".to_owned());
    Ok(out)
}

/// The variable a value of this proto type goes in (`channel`, `dvr_session`).
fn binding(full_name: &str) -> String {
    snake_case(&short_name(full_name))
}

/// The example's lines (hidden and visible), without the fences.
pub(crate) fn example(rpc: &Rpc, name_only: bool) -> Result<Vec<String>, BoxError> {
    let mut out = hide(lines(PRELUDE));
    for step in steps(rpc)? {
        out.extend(hide(step_lines(step)?));
    }

    let (req_module, req_ident) = module_and_ident(&rpc.request)?;
    let name_type = &rpc.name_type;
    let mut visible = Vec::new();
    let arg = if name_only && name_type == "OperationName" {
        // An operation's name comes from the call that started it.
        visible.extend(lines(
            r#"use livestream_grpc::names::{InputName, OperationName};
use livestream_grpc::v1::{input, Input};

// The operation of a long-running call (here: creating an input), by its name.
let input_name: InputName = "projects/my-project/locations/us-central1/inputs/my-input".parse()?;
let input = Input { r#type: input::Type::RtmpPush as i32, ..Default::default() };
let started = client.create_input((&input_name, input)).await?;
let name: OperationName = started.name().parse()?;"#,
        ));
        "&name".to_owned()
    } else if name_only {
        visible.push(format!(
            "let name: livestream_grpc::names::{name_type} = \"{}\".parse()?;",
            rpc.example_name
        ));
        "&name".to_owned()
    } else if let (Some((created, created_example)), Some((body_field, body_type))) =
        (&rpc.created_name_type, &rpc.body)
    {
        // A create: the new resource's typed name (its parent and ID) and the resource.
        let (_, body_ident) = module_and_ident(body_type)?;
        visible.extend(body(&body_ident, body_field)?);
        visible.push(format!(
            "let name: livestream_grpc::names::{created} = \"{created_example}\".parse()?;"
        ));
        visible.push(format!(
            "// Or a `{req_ident}` with `{}: name.parent().to_string()` and `{}: name.id().into()`.",
            rpc.routing,
            rpc.id_field.as_deref().unwrap_or_default()
        ));
        format!("(&name, {body_field})")
    } else if let (true, Some((body_field, body_type))) = (rpc.update_mask, &rpc.body) {
        // An update: the resource (routed on its name), the fields to change, and a mask.
        let (body_module, body_ident) = module_and_ident(body_type)?;
        let (before, fields) = update(&body_ident)?;
        visible.extend([
            "use livestream_grpc::field_mask::UpdateMask;".to_owned(),
            format!("use livestream_grpc::{req_module}::{req_ident};"),
            format!("use livestream_grpc::{body_module}::{body_ident};"),
        ]);
        // Its `use` lines first, then a blank line, then its statements.
        let (uses, statements): (Vec<_>, Vec<_>) = before
            .into_iter()
            .filter(|l| !l.is_empty())
            .partition(|l| l.starts_with("use "));
        visible.extend(uses);
        visible.push(String::new());
        visible.extend(statements);
        visible.extend([
            format!(
                "let name: livestream_grpc::names::{name_type} = \"{}\".parse()?;",
                rpc.example_name
            ),
            format!("let {body_field} = {body_ident} {{"),
            "    name: name.to_string(),".to_owned(),
        ]);
        visible.extend(fields);
        visible.extend([
            "    ..Default::default()".to_owned(),
            "};".to_owned(),
            "// The mask names the fields set above.".to_owned(),
            format!("let request = {req_ident} {{"),
            format!("    update_mask: Some(UpdateMask::present(&{body_field})?.into()),"),
            format!("    {body_field}: Some({body_field}),"),
            "    ..Default::default()".to_owned(),
            "};".to_owned(),
        ]);
        "request".to_owned()
    } else {
        return Err(format!(
            "{}: no example shape (not a name-only request, a create or an update)",
            rpc.name
        )
        .into());
    };

    let method = &rpc.snake;
    let call = format!("client.{method}({arg})");
    match &rpc.kind {
        Kind::Unary if rpc.response == "google.protobuf.Empty" => {
            visible.push(format!("{call}.await?;"));
        }
        Kind::Unary => {
            let var = binding(&rpc.response);
            visible.push(format!("let {var} = {call}.await?;"));
            visible.push(match rpc.name.as_str() {
                "PreviewInput" => format!("println!(\"preview at {{}}\", {var}.uri);"),
                "WaitOperation" => format!("assert!({var}.done);"),
                // Typed names compare with the messages' `name` strings.
                _ => format!("assert_eq!({var}.name, name);"),
            });
        }
        Kind::Lro { result, .. } => {
            visible.push(format!("let operation = {call}.await?;"));
            visible.push("println!(\"started {}\", operation.name());".to_owned());
            match result.as_str() {
                "google.protobuf.Empty"
                | "google.cloud.video.livestream.v1.ChannelOperationResponse" => {
                    visible.push("operation.until_done().await?;".to_owned());
                }
                result => {
                    let var = binding(result);
                    visible.push(format!("let {var} = operation.until_done().await?;"));
                    visible.push(format!("assert_eq!({var}.name, name);"));
                }
            }
        }
        Kind::List { item, .. } => {
            let var = binding(item);
            visible.extend([
                format!("let mut items = {call}.by_item();"),
                format!("while let Some({var}) = items.next().await {{"),
                format!("    println!(\"{{}}\", {var}?.name);"),
                "}".to_owned(),
            ]);
        }
    }
    out.extend(visible);
    out.push("# Ok(()) }".to_owned());
    Ok(out)
}
