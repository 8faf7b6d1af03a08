//! The whole library, end to end: a live channel's life through the [`Client`], on the
//! embedded emulator (no cloud project needed) or on the real API.
//!
//! ```text
//! cargo run --example quickstart
//! cargo run --example quickstart -- --project my-project --location us-central1 --bucket my-bucket
//! ```
//!
//! Without arguments it starts the emulator on a loopback port (operations take 300 ms, like
//! a very fast real service) and walks the workflow: create an input, create a channel
//! (H.264 + AAC, fMP4 mux streams, HLS and DASH manifests) attached to it, start it, connect
//! the simulated encoder, create an asset and two events (an ad break and a slate), cut a
//! clip from what has been streamed, open a DVR session and move its window with a field
//! mask, list with a filter, stop the channel, and delete everything.
//!
//! With `--project`/`--location`/`--bucket` it runs the same workflow against
//! `livestream.googleapis.com` with Application Default Credentials (`gcloud auth
//! application-default login`), writing outputs under `gs://BUCKET/livestream-quickstart/`.
//! There is no simulated encoder there: the steps that need streamed content (the clip) are
//! skipped with a note, and the slate event needs `--slate-uri gs://…/slate.mp4`. Real
//! channels take minutes to start; it cleans up even when a step fails.

use std::error::Error as StdError;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use livestream_grpc::emulator::{Emulator, LroTiming, RunningEmulator};
use livestream_grpc::field_mask::UpdateMask;
use livestream_grpc::names::{AssetName, ChannelName, InputName, LocationName};
use livestream_grpc::policy::{ExponentialBackoff, PollingOptions};
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::elementary_stream::ElementaryStream as StreamKind;
use livestream_grpc::v1::video_stream::{CodecSettings, H264CodecSettings};
use livestream_grpc::v1::*;
use livestream_grpc::{Client, Error};

type BoxError = Box<dyn StdError + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("quickstart failed: {err}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo run --example quickstart [-- --project P --location L --bucket B [--slate-uri gs://…]]

Without arguments: runs on the embedded emulator.
With --project/--location/--bucket: runs against the real API with Application Default Credentials.";

/// Command-line arguments (parsed by hand: the example needs no CLI dependency).
#[derive(Debug, Default)]
pub(crate) struct Args {
    project: Option<String>,
    location: Option<String>,
    bucket: Option<String>,
    slate_uri: Option<String>,
    help: bool,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut out = Args::default();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
            match arg.as_str() {
                "--project" => out.project = Some(value("--project")?),
                "--location" => out.location = Some(value("--location")?),
                "--bucket" => out.bucket = Some(value("--bucket")?),
                "--slate-uri" => out.slate_uri = Some(value("--slate-uri")?),
                "-h" | "--help" => out.help = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        match (&out.project, &out.location, &out.bucket) {
            (None, None, None) if out.slate_uri.is_none() => Ok(out),
            (Some(_), Some(_), Some(_)) => Ok(out),
            _ => Err("--project, --location and --bucket go together".into()),
        }
    }
}

/// Where the workflow runs.
enum Target {
    Emulator(RunningEmulator),
    Cloud,
}

/// Prints numbered steps with the time each took.
struct Steps {
    last: Instant,
    n: usize,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            last: Instant::now(),
            n: 0,
        }
    }

    fn done(&mut self, what: impl std::fmt::Display) {
        self.n += 1;
        let took = self.last.elapsed();
        self.last = Instant::now();
        println!("{:>2}. {what}  ({})", self.n, millis(took));
    }

    fn note(&self, what: impl std::fmt::Display) {
        println!("    {what}");
    }
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Runs the workflow (also called by `tests/api/quickstart.rs`, so CI runs exactly this code).
pub(crate) async fn run(args: Args) -> Result<(), BoxError> {
    let (client, target, location, output_root) =
        match (&args.project, &args.location, &args.bucket) {
            (Some(project), Some(location), Some(bucket)) => {
                let client = Client::builder().ignore_emulator_env().build().await?;
                let location = LocationName::new(project.as_str(), location.as_str())?;
                println!("Live Stream API at livestream.googleapis.com, {location}");
                (
                    client,
                    Target::Cloud,
                    location,
                    format!("gs://{bucket}/livestream-quickstart"),
                )
            }
            _ => {
                let emulator = Emulator::builder()
                    .lro_timing(LroTiming::Delay(Duration::from_millis(300)))
                    .start()
                    .await?;
                // Poll every 100 ms (×1.5, at most 1 s) rather than the production 1 s ×1.5.
                let polling = PollingOptions::new().with_backoff(
                    ExponentialBackoff::builder()
                        .with_initial_delay(Duration::from_millis(100))
                        .with_maximum_delay(Duration::from_secs(1))
                        .with_multiplier(1.5)
                        .build()?,
                );
                let client = Client::builder()
                    .with_endpoint(emulator.endpoint())
                    .with_polling_options(polling)
                    .build()
                    .await?;
                let location = LocationName::new("quickstart-project", "us-central1")?;
                println!(
                    "Emulator at {} (operations take 300 ms), {location}",
                    emulator.endpoint()
                );
                (
                    client,
                    Target::Emulator(emulator),
                    location,
                    "gs://my-bucket/livestream-quickstart".to_owned(),
                )
            }
        };
    let suffix = match target {
        Target::Emulator(_) => String::from("demo"),
        Target::Cloud => format!("{:06x}", fastrand_suffix()),
    };
    let names = Names::new(&location, &suffix)?;

    let started = Instant::now();
    let workflow = Workflow {
        client: &client,
        target: &target,
        names: &names,
        output_root: &output_root,
        slate_uri: args.slate_uri.as_deref(),
    };
    let mut steps = Steps::new();
    let result = workflow.run(&mut steps).await;
    // Clean up whatever exists, also after a failure (this matters on the real API).
    workflow.clean_up(&mut steps).await;
    if let Target::Emulator(emulator) = target {
        emulator.shutdown().await?;
    }
    result?;
    println!("\nDone in {}.", millis(started.elapsed()));
    Ok(())
}

/// A few random hex digits, so that runs on the real API do not collide.
fn fastrand_suffix() -> u32 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos & 0xff_ffff
}

/// The typed names of everything the workflow creates.
struct Names {
    location: LocationName,
    input: InputName,
    channel: ChannelName,
    asset: AssetName,
}

impl Names {
    fn new(location: &LocationName, suffix: &str) -> Result<Names, Error> {
        Ok(Names {
            location: location.clone(),
            input: location.input(format!("quickstart-input-{suffix}"))?,
            channel: location.channel(format!("quickstart-channel-{suffix}"))?,
            asset: location.asset(format!("quickstart-slate-{suffix}"))?,
        })
    }
}

struct Workflow<'a> {
    client: &'a Client,
    target: &'a Target,
    names: &'a Names,
    output_root: &'a str,
    slate_uri: Option<&'a str>,
}

impl Workflow<'_> {
    /// The service's clock: the emulator's (which the workflow moves forward), or ours.
    fn now(&self) -> SystemTime {
        match self.target {
            Target::Emulator(emulator) => emulator.now(),
            Target::Cloud => SystemTime::now(),
        }
    }

    async fn run(&self, steps: &mut Steps) -> Result<(), BoxError> {
        let client = self.client;
        let names = self.names;

        // 1. An RTMP input endpoint (a long-running operation).
        let input = client
            .create_input(CreateInputRequest {
                parent: names.location.to_string(),
                input_id: names.input.id().to_owned(),
                input: Some(Input {
                    r#type: input::Type::RtmpPush as i32,
                    tier: input::Tier::Hd as i32,
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await?;
        steps.note(format!("operation {}", input.name()));
        let input = input.until_done().await?;
        steps.done(format!(
            "created input {}\n    push to {}",
            input.name, input.uri
        ));

        // 2. A channel: H.264 720p + AAC, fMP4, HLS and DASH, attached to the input.
        let operation = client
            .create_channel(CreateChannelRequest {
                parent: names.location.to_string(),
                channel_id: names.channel.id().to_owned(),
                channel: Some(channel_config(&names.input, self.output_root)),
                ..Default::default()
            })
            .await?;
        let channel = operation.until_done().await?;
        steps.done(format!(
            "created channel {} ({:?})",
            channel.name,
            channel.streaming_state()
        ));

        // 3. Start it. Real channels take minutes; the poller is bounded (30 min by default).
        client
            .start_channel(&names.channel)
            .await?
            .until_done()
            .await?;
        let channel = client.get_channel(&names.channel).await?;
        ensure(
            channel.streaming_state() == StreamingState::AwaitingInput,
            "a started channel awaits input",
        )?;
        steps.done(format!("started channel: {:?}", channel.streaming_state()));

        // 4. An encoder pushes to the input: the emulator simulates one.
        match self.target {
            Target::Emulator(emulator) => {
                emulator.connect_input(&names.input)?;
                let channel = client.get_channel(&names.channel).await?;
                ensure(
                    channel.streaming_state() == StreamingState::Streaming,
                    "the channel streams",
                )?;
                steps.done(format!(
                    "simulated encoder connected: {:?}",
                    channel.streaming_state()
                ));
            }
            Target::Cloud => steps.note(format!(
                "(push a stream to {} to reach STREAMING)",
                input.uri
            )),
        }

        // 5. A slate asset, and two events: an ad break now, and the slate.
        let slate_uri = match (self.target, self.slate_uri) {
            (Target::Emulator(_), _) => Some("gs://my-bucket/slates/slate.mp4"),
            (Target::Cloud, uri) => uri,
        };
        if let Some(uri) = slate_uri {
            let asset = client
                .create_asset(CreateAssetRequest {
                    parent: names.location.to_string(),
                    asset_id: names.asset.id().to_owned(),
                    asset: Some(Asset {
                        resource: Some(asset::Resource::Video(asset::VideoAsset {
                            uri: uri.to_owned(),
                        })),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .await?
                .until_done()
                .await?;
            steps.done(format!(
                "created asset {} ({:?})",
                asset.name,
                asset.state()
            ));
        }
        let ad_break = client
            .create_event(CreateEventRequest {
                parent: names.channel.to_string(),
                event_id: "ad-break-1".into(),
                event: Some(Event {
                    execute_now: true,
                    task: Some(event::Task::AdBreak(event::AdBreakTask {
                        duration: Some(seconds(30)),
                    })),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await?;
        steps.done(format!(
            "ad-break event {} ({:?})",
            ad_break.name,
            ad_break.state()
        ));
        if slate_uri.is_some() {
            let slate = client
                .create_event(CreateEventRequest {
                    parent: names.channel.to_string(),
                    event_id: "slate-1".into(),
                    event: Some(Event {
                        execution_time: Some(timestamp(
                            SystemTime::now() + Duration::from_secs(60),
                        )),
                        task: Some(event::Task::Slate(event::SlateTask {
                            duration: Some(seconds(15)),
                            asset: names.asset.to_string(),
                        })),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .await?;
            steps.done(format!(
                "slate event {} ({:?}, in a minute)",
                slate.name,
                slate.state()
            ));
        }

        // 6. A clip of content already streamed (only past time ranges can be clipped).
        match self.target {
            Target::Emulator(emulator) => {
                // Let two minutes of "stream" pass on the emulator's clock.
                emulator.advance_clock(Duration::from_secs(120));
                let now = emulator.now();
                let clip = client
                    .create_clip(CreateClipRequest {
                        parent: names.channel.to_string(),
                        clip_id: "highlight-1".into(),
                        clip: Some(Clip {
                            output_uri: format!("{}/clips", self.output_root),
                            slices: vec![clip::Slice {
                                kind: Some(clip::slice::Kind::TimeSlice(clip::TimeSlice {
                                    markin_time: Some(timestamp(now - Duration::from_secs(90))),
                                    markout_time: Some(timestamp(now - Duration::from_secs(30))),
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
                    .await?
                    .until_done()
                    .await?;
                ensure(clip.state() == clip::State::Succeeded, "the clip succeeds")?;
                let manifest = clip
                    .clip_manifests
                    .first()
                    .map(|m| m.output_uri.as_str())
                    .unwrap_or("");
                steps.done(format!(
                    "clip {} ({:?}) -> {manifest}",
                    clip.name,
                    clip.state()
                ));
            }
            Target::Cloud => {
                steps.note("(clip skipped: it needs content that an encoder has streamed)")
            }
        }

        // 7. A DVR session over the last minute and the next ten, then a wider window set by
        //    an update with a field mask (UpdateDvrSession requires one).
        let now = self.now();
        let window = |from: SystemTime, to: SystemTime| dvr_session::DvrWindow {
            kind: Some(dvr_session::dvr_window::Kind::TimeInterval(TimeInterval {
                start_time: Some(timestamp(from)),
                end_time: Some(timestamp(to)),
            })),
        };
        let dvr = client
            .create_dvr_session(CreateDvrSessionRequest {
                parent: names.channel.to_string(),
                dvr_session_id: "dvr-1".into(),
                dvr_session: Some(DvrSession {
                    dvr_manifests: vec![dvr_session::DvrManifest {
                        manifest_key: "manifest_hls".into(),
                        ..Default::default()
                    }],
                    dvr_windows: vec![window(
                        now - Duration::from_secs(60),
                        now + Duration::from_secs(600),
                    )],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await?
            .until_done()
            .await?;
        steps.done(format!("DVR session {} ({:?})", dvr.name, dvr.state()));
        let mut wider = dvr.clone();
        wider.dvr_windows = vec![window(
            now - Duration::from_secs(60),
            now + Duration::from_secs(1800),
        )];
        let mask = UpdateMask::diff(&dvr, &wider)?;
        steps.note(format!(
            "update mask from diff(old, new): {:?}",
            mask.paths()
        ));
        let dvr = client
            .update_dvr_session(UpdateDvrSessionRequest {
                dvr_session: Some(wider),
                update_mask: Some(mask.into()),
                ..Default::default()
            })
            .await?
            .until_done()
            .await?;
        steps.done(format!("DVR window extended to 30 min ({:?})", dvr.state()));

        // 8. Lists are streams across pages; filters are AIP-160.
        let streaming: Vec<Channel> = client
            .list_channels(ListChannelsRequest {
                parent: names.location.to_string(),
                filter: "streaming_state = STREAMING".into(),
                ..Default::default()
            })
            .collect_items(None)
            .await?;
        if let Target::Emulator(_) = self.target {
            let found = streaming
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>();
            ensure(
                found == [names.channel.to_string()],
                "the filter finds the channel",
            )?;
        }
        steps.done(format!(
            "channels with filter `streaming_state = STREAMING`: {:?}",
            streaming
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
        ));
        let mut events = client.list_events(&names.channel).by_item();
        while let Some(event) = events.next().await {
            let event = event?;
            steps.note(format!("event {} {:?}", event.name, event.state()));
        }

        // 9. Stop the channel (deleting a running channel is FAILED_PRECONDITION).
        match client.delete_channel(&names.channel).await {
            Err(err) if err.is_failed_precondition() => steps.note(format!(
                "delete while running refused as expected: {}",
                err.message()
            )),
            Err(err) => return Err(err.into()),
            Ok(_) => return Err("deleting a running channel was accepted".into()),
        }
        client
            .stop_channel(&names.channel)
            .await?
            .until_done()
            .await?;
        let channel = client.get_channel(&names.channel).await?;
        ensure(
            channel.streaming_state() == StreamingState::Stopped,
            "the channel stops",
        )?;
        steps.done(format!("stopped channel: {:?}", channel.streaming_state()));
        Ok(())
    }

    /// Deletes what the workflow created, in dependency order; not-found is fine (it was
    /// never created, or is gone already).
    async fn clean_up(&self, steps: &mut Steps) {
        let client = self.client;
        let names = self.names;
        let channel = names.channel.to_string();
        let report = |what: &str, result: Result<(), Error>| match result {
            Ok(()) => steps.note(format!("deleted {what}")),
            Err(err) if err.is_not_found() => {}
            Err(err) => steps.note(format!("could not delete {what}: {err}")),
        };
        // A channel must be stopped before it is deleted.
        match client.stop_channel(&names.channel).await {
            Ok(op) => {
                let _ = op.until_done().await;
            }
            Err(err) if err.is_failed_precondition() || err.is_not_found() => {}
            Err(err) => steps.note(format!("could not stop the channel: {err}")),
        }
        for event in ["ad-break-1", "slate-1"] {
            let name = format!("{channel}/events/{event}");
            report(
                &name,
                client
                    .delete_event(DeleteEventRequest {
                        name: name.clone(),
                        ..Default::default()
                    })
                    .await,
            );
        }
        let clip = format!("{channel}/clips/highlight-1");
        report(
            &clip,
            wait_delete(
                client
                    .delete_clip(DeleteClipRequest {
                        name: clip.clone(),
                        ..Default::default()
                    })
                    .await,
            )
            .await,
        );
        let dvr = format!("{channel}/dvrSessions/dvr-1");
        report(
            &dvr,
            wait_delete(
                client
                    .delete_dvr_session(DeleteDvrSessionRequest {
                        name: dvr.clone(),
                        ..Default::default()
                    })
                    .await,
            )
            .await,
        );
        report(
            &channel,
            wait_delete(client.delete_channel(&names.channel).await).await,
        );
        report(
            &names.input.to_string(),
            wait_delete(client.delete_input(&names.input).await).await,
        );
        report(
            &names.asset.to_string(),
            wait_delete(client.delete_asset(&names.asset).await).await,
        );
        steps.done("cleaned up");
    }
}

/// An error unless `condition` holds: the workflow checks what it shows.
fn ensure(condition: bool, what: &str) -> Result<(), BoxError> {
    if condition {
        Ok(())
    } else {
        Err(format!("unexpected: expected that {what}").into())
    }
}

/// Waits for a delete operation (its result is `()`).
async fn wait_delete(started: Result<livestream_grpc::Operation<()>, Error>) -> Result<(), Error> {
    started?.until_done().await
}

/// The channel: one RTMP input, H.264 1280x720 at 30 fps + AAC stereo, fMP4 mux streams,
/// an HLS and a DASH manifest (the HLS one keyed for clips and DVR), and a retention
/// window (clips need one).
fn channel_config(input: &InputName, output_root: &str) -> Channel {
    Channel {
        input_attachments: vec![InputAttachment {
            key: "my-input".into(),
            input: input.to_string(),
            ..Default::default()
        }],
        output: Some(channel::Output {
            uri: format!("{output_root}/live"),
        }),
        elementary_streams: vec![
            ElementaryStream {
                key: "es_video".into(),
                elementary_stream: Some(StreamKind::VideoStream(VideoStream {
                    codec_settings: Some(CodecSettings::H264(H264CodecSettings {
                        profile: "high".into(),
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
        mux_streams: vec![mux("mux_video", "es_video"), mux("mux_audio", "es_audio")],
        manifests: vec![
            Manifest {
                key: "manifest_hls".into(),
                file_name: "main.m3u8".into(),
                r#type: manifest::ManifestType::Hls as i32,
                mux_streams: vec!["mux_video".into(), "mux_audio".into()],
                max_segment_count: 5,
                ..Default::default()
            },
            Manifest {
                key: "manifest_dash".into(),
                file_name: "main.mpd".into(),
                r#type: manifest::ManifestType::Dash as i32,
                mux_streams: vec!["mux_video".into(), "mux_audio".into()],
                max_segment_count: 5,
                ..Default::default()
            },
        ],
        retention_config: Some(RetentionConfig {
            retention_window_duration: Some(seconds(3600)),
        }),
        ..Default::default()
    }
}

fn mux(key: &str, stream: &str) -> MuxStream {
    MuxStream {
        key: key.into(),
        container: "fmp4".into(),
        elementary_streams: vec![stream.into()],
        segment_settings: Some(SegmentSettings {
            segment_duration: Some(seconds(2)),
        }),
        ..Default::default()
    }
}

fn seconds(s: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: s,
        nanos: 0,
    }
}

fn timestamp(t: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}
