//! `livestream channels clips`: VOD extracts of a channel's recorded stream.

use clap::{Args, Subcommand, ValueEnum};
use livestream_grpc::v1::Clip;
use livestream_grpc::v1::clip::{self, ClipManifest, Slice, TimeSlice};

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{Column, Printable};
use crate::resource::{
    self, BodyArgs, ChildDeleteArgs, ChildListArgs, ChildTarget, ManifestKeys, impl_create,
    impl_delete, impl_list, impl_resource,
};
use crate::wait::WaitArgs;

impl_resource!(Clip, "clip", "clips", Channel, ClipName, get_clip);
impl_list!(Clip, list_clips, ListClipsRequest);
impl_create!(Clip, create_clip, CreateClipRequest, clip_id, clip, lro);
impl_delete!(Clip, delete_clip, DeleteClipRequest, lro);

/// A time, or nothing, as text for a table. A timestamp outside what a
/// `google.protobuf.Timestamp` may hold (years 1 to 9999, nanos below 1e9), as a broken
/// server may send, is shown raw: `prost_types`' formatting asserts the range (a panic in
/// debug builds).
pub(crate) fn time(t: Option<&prost_types::Timestamp>) -> String {
    match t {
        None => String::new(),
        Some(t)
            if (-62_135_596_800..=253_402_300_799).contains(&t.seconds)
                && (0..1_000_000_000).contains(&t.nanos) =>
        {
            t.to_string()
        }
        Some(t) => format!("(invalid: {}s {}ns)", t.seconds, t.nanos),
    }
}

impl Printable for Clip {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("STATE", |c| c.state().as_str_name().to_owned()),
            Column::new("START", |c| {
                match c.slices.first().and_then(|s| s.kind.as_ref()) {
                    Some(clip::slice::Kind::TimeSlice(t)) => time(t.markin_time.as_ref()),
                    None => String::new(),
                }
            }),
            Column::new("END", |c| {
                match c.slices.last().and_then(|s| s.kind.as_ref()) {
                    Some(clip::slice::Kind::TimeSlice(t)) => time(t.markout_time.as_ref()),
                    None => String::new(),
                }
            }),
            Column::new("OUTPUT", |c| c.output_uri.clone()),
        ]
    }
}

/// `livestream channels clips ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a clip of a running channel's recent stream (the channel needs a retention
    /// config).
    #[command(after_help = "\
Examples:
  livestream channels clips create clip-1 --channel my-channel --manifest-key manifest_hls \\
      --start 2025-01-31T20:00:00Z --end 2025-01-31T20:00:30Z --output-uri gs://my-bucket/clips/
  livestream channels clips create clip-2 --channel my-channel --config clip.json")]
    Create(CreateArgs),
    /// List a channel's clips.
    List(ChildListArgs),
    /// Show a clip.
    Describe(ChildTarget),
    /// Delete a clip.
    Delete(ChildDeleteArgs),
}

/// What a clip produces.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputType {
    /// Manifests and segments.
    Manifest,
    /// One MP4 file.
    Mp4,
}

/// `clips create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    target: ChildTarget,
    #[command(flatten)]
    manifest_key: ManifestKeys,
    /// Where the clip starts: RFC 3339 or now-DURATION.
    #[arg(long, value_name = "TIME", value_parser = crate::config::parse_time, requires = "end")]
    start: Option<prost_types::Timestamp>,
    /// Where the clip ends: RFC 3339 or now-DURATION.
    #[arg(long, value_name = "TIME", value_parser = crate::config::parse_time, requires = "start")]
    end: Option<prost_types::Timestamp>,
    /// Where the clip is written, e.g. gs://my-bucket/clips/.
    #[arg(long, value_name = "URI")]
    output_uri: Option<String>,
    /// What the clip produces [default: the service's, manifest].
    #[arg(long, value_enum)]
    output_type: Option<OutputType>,
    #[command(flatten)]
    body: BodyArgs,
    #[command(flatten)]
    wait: WaitArgs,
}

impl CreateArgs {
    /// The clip body: `--config`, then the flags.
    fn body(&self) -> Result<Clip, CliError> {
        let mut body: Clip = self.body.load::<Clip>(|c| &mut c.labels)?;
        self.manifest_key
            .replace(&mut body.clip_manifests, |manifest_key| ClipManifest {
                manifest_key,
                ..Default::default()
            });
        if let (Some(start), Some(end)) = (self.start, self.end) {
            body.slices = vec![Slice {
                kind: Some(clip::slice::Kind::TimeSlice(TimeSlice {
                    markin_time: Some(start),
                    markout_time: Some(end),
                })),
            }];
        }
        if let Some(uri) = &self.output_uri {
            body.output_uri.clone_from(uri);
        }
        match self.output_type {
            Some(OutputType::Manifest) => body.set_output_type(clip::OutputType::Manifest),
            Some(OutputType::Mp4) => body.set_output_type(clip::OutputType::Mp4),
            None => {}
        }
        if !self.body.has_config() {
            let missing: Vec<&str> = [
                ("--manifest-key", body.clip_manifests.is_empty()),
                ("--start/--end", body.slices.is_empty()),
                ("--output-uri", body.output_uri.is_empty()),
            ]
            .iter()
            .filter(|(_, missing)| *missing)
            .map(|(flag, _)| *flag)
            .collect();
            if !missing.is_empty() {
                return Err(CliError::usage(format!(
                    "a clip needs {} (or --config)",
                    missing.join(", ")
                )));
            }
        }
        Ok(body)
    }
}

/// Runs a `channels clips` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Create(args) => {
            let body = args.body()?;
            let channel = args.target.channel.get();
            resource::create(ctx, &args.target.target.name, channel, body, &args.wait).await
        }
        Command::List(args) => resource::list::<Clip>(ctx, &args.list, args.channel.get()).await,
        Command::Describe(t) => {
            resource::describe::<Clip>(ctx, &t.target.name, t.channel.get()).await
        }
        Command::Delete(args) => {
            let c = &args.child;
            resource::delete::<Clip>(ctx, &c.target.name, c.channel.get(), false, &args.wait).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_times_are_shown_raw_not_a_panic() {
        let at = |seconds, nanos| time(Some(&prost_types::Timestamp { seconds, nanos }));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(at(i64::MIN, 0), format!("(invalid: {}s 0ns)", i64::MIN));
        assert_eq!(at(253_402_300_800, 0), "(invalid: 253402300800s 0ns)");
        assert_eq!(at(0, -1), "(invalid: 0s -1ns)");
        assert_eq!(time(None), "");
    }
}
