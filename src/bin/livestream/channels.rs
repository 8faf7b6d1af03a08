//! `livestream channels`: channels, starting and stopping them and their distributions,
//! and (as nested groups) their events, clips and DVR sessions.

use clap::{Args, Subcommand};
use livestream_grpc::names::{ChannelName, InputName};
use livestream_grpc::v1::channel::Output;
use livestream_grpc::v1::elementary_stream::ElementaryStream as StreamKind;
use livestream_grpc::v1::video_stream::{CodecSettings, H264CodecSettings};
use livestream_grpc::v1::{
    AudioStream, Channel, ElementaryStream, InputAttachment, Manifest, MuxStream, RetentionConfig,
    SegmentSettings, StartDistributionRequest, StopDistributionRequest, VideoStream, manifest,
};
use livestream_grpc::{Error, Operation};

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{self, Column, Format, Printable};
use crate::resource::{
    self, BodyArgs, DeleteArgs, ListArgs, Target, UpdateArgs, impl_create, impl_delete, impl_list,
    impl_resource, impl_update, short,
};
use crate::wait::{self, WaitArgs};

impl_resource!(
    Channel,
    "channel",
    "channels",
    Location,
    ChannelName,
    get_channel
);
impl_list!(Channel, list_channels, ListChannelsRequest);
impl_create!(
    Channel,
    create_channel,
    CreateChannelRequest,
    channel_id,
    channel,
    lro
);
impl_delete!(Channel, delete_channel, DeleteChannelRequest, lro, force);
impl_update!(Channel, update_channel, UpdateChannelRequest, channel);

impl Printable for Channel {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("STATE", |c| c.streaming_state().as_str_name().to_owned()),
            Column::new("INPUTS", |c| {
                let inputs: Vec<&str> = c
                    .input_attachments
                    .iter()
                    .map(|a| short(&a.input))
                    .collect();
                inputs.join(",")
            }),
            Column::new("OUTPUT", |c| {
                c.output.as_ref().map(|o| o.uri.clone()).unwrap_or_default()
            }),
        ]
    }
}

/// `livestream channels ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a channel: a default HLS channel from flags, or any channel from --config.
    #[command(after_help = "\
Without --config, the channel has one input attachment (keyed by the input's ID), an
H.264 1280x720 30 fps video stream at 3 Mbps, AAC stereo audio at 160 kbps, one MPEG-TS mux
stream with 2 s segments, and an HLS manifest main.m3u8 keyed manifest_hls.

Examples:
  livestream channels create my-channel --input my-input --output-uri gs://my-bucket/live/
  livestream channels create my-channel --input my-input --output-uri gs://b/live/ --retention 1h
  livestream channels create my-channel --config channel.json")]
    Create(CreateArgs),
    /// List the channels of the location.
    List(ListArgs),
    /// Show a channel.
    Describe(Target),
    /// Change a stopped channel's inputs, output, streams, manifests or other settings.
    #[command(after_help = "\
Examples:
  livestream channels update my-channel --output-uri gs://my-bucket/other/
  livestream channels describe my-channel --format json > c.json   # edit c.json, then
  livestream channels update my-channel --config c.json")]
    Update(UpdateChannelArgs),
    /// Delete a stopped channel.
    Delete(DeleteChannelArgs),
    /// Start a channel, and wait until it is running.
    Start(StateArgs),
    /// Stop a channel, and wait until it is stopped.
    Stop(StateArgs),
    /// Start some or all distributions of a running channel.
    StartDistribution(DistributionArgs),
    /// Stop some or all distributions of a channel.
    StopDistribution(DistributionArgs),
    /// Manage a channel's events (ad breaks, slates, mutes, input switches).
    Events {
        #[command(subcommand)]
        command: crate::events::Command,
    },
    /// Manage a channel's clips (VOD extracts of the recorded stream).
    Clips {
        #[command(subcommand)]
        command: crate::clips::Command,
    },
    /// Manage a channel's DVR sessions.
    DvrSessions {
        #[command(subcommand)]
        command: crate::dvr_sessions::Command,
    },
}

/// `channels create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The new channel's ID (or full resource name).
    #[arg(value_name = "ID|NAME")]
    name: String,
    #[command(flatten)]
    flags: ChannelFlags,
    /// Keep this much of the stream for clips and DVR sessions, e.g. 1h (retentionConfig).
    #[arg(long, value_name = "DURATION", value_parser = crate::config::proto_duration)]
    retention: Option<prost_types::Duration>,
    #[command(flatten)]
    body: BodyArgs,
    #[command(flatten)]
    wait: WaitArgs,
}

/// The flags `create` and `update` share.
#[derive(Debug, Args)]
pub(crate) struct ChannelFlags {
    /// The input to attach (an ID or full name), replacing any others.
    #[arg(long, value_name = "INPUT")]
    input: Option<String>,
    /// Where the channel writes its output, e.g. gs://my-bucket/live/.
    #[arg(long, value_name = "URI")]
    output_uri: Option<String>,
}

/// `channels update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateChannelArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    flags: ChannelFlags,
    #[command(flatten)]
    update: UpdateArgs,
}

/// `channels delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteChannelArgs {
    #[command(flatten)]
    delete: DeleteArgs,
    /// Also delete the channel's events (otherwise a channel with events cannot be deleted).
    #[arg(long)]
    force: bool,
}

/// `channels start` and `channels stop`.
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    wait: WaitArgs,
}

/// `channels start-distribution` and `channels stop-distribution`.
#[derive(Debug, Args)]
pub(crate) struct DistributionArgs {
    #[command(flatten)]
    target: Target,
    /// The distributions' keys, comma-separated [default: all of them].
    #[arg(long, value_name = "KEYS", value_delimiter = ',')]
    keys: Vec<String>,
    #[command(flatten)]
    wait: WaitArgs,
}

impl ChannelFlags {
    /// Applies `--input` and `--output-uri` to `channel`.
    fn apply(&self, ctx: &Ctx, channel: &mut Channel) -> Result<(), CliError> {
        if let Some(input) = &self.input {
            let name: InputName =
                resource::name_of::<livestream_grpc::v1::Input>(ctx, input, None)?;
            channel.input_attachments = vec![InputAttachment {
                key: name.input().to_owned(),
                input: name.to_string(),
                ..Default::default()
            }];
        }
        if let Some(uri) = &self.output_uri {
            channel.output = Some(Output { uri: uri.clone() });
        }
        Ok(())
    }
}

/// The default channel of `channels create` without `--config` (Google's quickstart
/// channel, with a manifest key so that clips and DVR sessions can name it).
fn default_channel() -> Channel {
    let stream = |key: &str, kind: StreamKind| ElementaryStream {
        key: key.to_owned(),
        elementary_stream: Some(kind),
        ..Default::default()
    };
    Channel {
        elementary_streams: vec![
            stream(
                "es_video",
                StreamKind::VideoStream(VideoStream {
                    codec_settings: Some(CodecSettings::H264(H264CodecSettings {
                        profile: "high".to_owned(),
                        width_pixels: 1280,
                        height_pixels: 720,
                        bitrate_bps: 3_000_000,
                        frame_rate: 30.0,
                        ..Default::default()
                    })),
                    ..Default::default()
                }),
            ),
            stream(
                "es_audio",
                StreamKind::AudioStream(AudioStream {
                    codec: "aac".to_owned(),
                    channel_count: 2,
                    bitrate_bps: 160_000,
                    ..Default::default()
                }),
            ),
        ],
        mux_streams: vec![MuxStream {
            key: "mux_video_ts".to_owned(),
            container: "ts".to_owned(),
            elementary_streams: vec!["es_video".to_owned(), "es_audio".to_owned()],
            segment_settings: Some(SegmentSettings {
                segment_duration: Some(prost_types::Duration {
                    seconds: 2,
                    nanos: 0,
                }),
            }),
            ..Default::default()
        }],
        manifests: vec![Manifest {
            key: "manifest_hls".to_owned(),
            file_name: "main.m3u8".to_owned(),
            r#type: manifest::ManifestType::Hls as i32,
            mux_streams: vec!["mux_video_ts".to_owned()],
            max_segment_count: 5,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Runs a `channels` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Create(args) => {
            let mut body = if args.body.has_config() {
                args.body.load(|c: &mut Channel| &mut c.labels)?
            } else {
                if args.flags.output_uri.is_none() {
                    return Err(CliError::usage(
                        "--output-uri is required unless --config gives the channel",
                    ));
                }
                let mut body = default_channel();
                body.labels.extend(args.body.labels.iter().cloned());
                body
            };
            args.flags.apply(ctx, &mut body)?;
            if let Some(retention) = args.retention {
                body.retention_config = Some(RetentionConfig {
                    retention_window_duration: Some(retention),
                });
            }
            resource::create(ctx, &args.name, None, body, &args.wait).await
        }
        Command::List(args) => resource::list::<Channel>(ctx, &args, None).await,
        Command::Describe(target) => resource::describe::<Channel>(ctx, &target.name, None).await,
        Command::Update(args) => {
            let mut patch: Channel = args.update.load()?;
            args.flags.apply(ctx, &mut patch)?;
            let name = resource::name_of::<Channel>(ctx, &args.target.name, None)?;
            resource::update(ctx, &name, &args.update, patch, |_, _| Ok(())).await
        }
        Command::Delete(args) => {
            let d = &args.delete;
            resource::delete::<Channel>(ctx, &d.target.name, None, args.force, &d.wait).await
        }
        Command::Start(args) => {
            let name = resource::name_of::<Channel>(ctx, &args.target.name, None)?;
            let op = ctx.client.start_channel(&name).await?;
            transition(ctx, &name, op, &args.wait, "Starting").await
        }
        Command::Stop(args) => {
            let name = resource::name_of::<Channel>(ctx, &args.target.name, None)?;
            let op = ctx.client.stop_channel(&name).await?;
            transition(ctx, &name, op, &args.wait, "Stopping").await
        }
        Command::StartDistribution(args) => {
            let name = resource::name_of::<Channel>(ctx, &args.target.name, None)?;
            let request = StartDistributionRequest {
                name: name.to_string(),
                distribution_keys: args.keys,
                ..Default::default()
            };
            let op = ctx.client.start_distribution(request).await;
            transition(ctx, &name, op?, &args.wait, "Starting distributions of").await
        }
        Command::StopDistribution(args) => {
            let name = resource::name_of::<Channel>(ctx, &args.target.name, None)?;
            let request = StopDistributionRequest {
                name: name.to_string(),
                distribution_keys: args.keys,
                ..Default::default()
            };
            let op = ctx.client.stop_distribution(request).await;
            transition(ctx, &name, op?, &args.wait, "Stopping distributions of").await
        }
        Command::Events { command } => crate::events::run(ctx, command).await,
        Command::Clips { command } => crate::clips::run(ctx, command).await,
        Command::DvrSessions { command } => crate::dvr_sessions::run(ctx, command).await,
    }
}

/// Waits for a start, stop or distribution change (showing the channel's streaming
/// state), then prints the channel.
async fn transition<T>(
    ctx: &Ctx,
    name: &ChannelName,
    op: Operation<T>,
    wait: &WaitArgs,
    verb: &str,
) -> Result<(), CliError>
where
    T: prost::Message + prost::Name + Default,
{
    let what = format!("{verb} channel {}", name.channel());
    if wait::finish(ctx, op, wait, &what, Some(name))
        .await?
        .is_none()
    {
        return Ok(());
    }
    let channel: Result<Channel, Error> = ctx.client.get_channel(name).await;
    output::print_one(&channel?, ctx.format(Format::Yaml))
}
