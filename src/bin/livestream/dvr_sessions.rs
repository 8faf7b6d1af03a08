//! `livestream channels dvr-sessions`: DVR (time-shift) windows of a channel's stream.

use clap::{Args, Subcommand};
use livestream_grpc::v1::dvr_session::{DvrManifest, DvrWindow, dvr_window};
use livestream_grpc::v1::{DvrSession, TimeInterval};

use crate::clips::time;
use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{Column, Printable};
use crate::resource::{
    self, BodyArgs, ChildDeleteArgs, ChildListArgs, ChildTarget, ManifestKeys, UpdateArgs,
    impl_create, impl_delete, impl_list, impl_resource, impl_update,
};
use crate::wait::WaitArgs;

impl_resource!(
    DvrSession,
    "DVR session",
    "dvrSessions",
    Channel,
    DvrSessionName,
    get_dvr_session
);
impl_list!(DvrSession, list_dvr_sessions, ListDvrSessionsRequest);
impl_create!(
    DvrSession,
    create_dvr_session,
    CreateDvrSessionRequest,
    dvr_session_id,
    dvr_session,
    lro
);
impl_delete!(DvrSession, delete_dvr_session, DeleteDvrSessionRequest, lro);
impl_update!(
    DvrSession,
    update_dvr_session,
    UpdateDvrSessionRequest,
    dvr_session
);

/// The first window's interval.
fn first_window(session: &DvrSession) -> Option<&TimeInterval> {
    match session.dvr_windows.first()?.kind.as_ref()? {
        dvr_window::Kind::TimeInterval(interval) => Some(interval),
    }
}

impl Printable for DvrSession {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("STATE", |d| d.state().as_str_name().to_owned()),
            Column::new("START", |d| {
                time(first_window(d).and_then(|w| w.start_time.as_ref()))
            }),
            Column::new("END", |d| {
                time(first_window(d).and_then(|w| w.end_time.as_ref()))
            }),
        ]
    }
}

/// `livestream channels dvr-sessions ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a DVR session on a channel with a retention config.
    #[command(after_help = "\
A window without --start begins with the channel's retained content; one without --end
stays open while the channel runs.

Examples:
  livestream channels dvr-sessions create dvr-1 --channel my-channel --manifest-key manifest_hls \\
      --start 2025-01-31T20:00:00Z --end 2025-01-31T22:00:00Z
  livestream channels dvr-sessions create dvr-2 --channel my-channel --config dvr.json")]
    Create(CreateArgs),
    /// List a channel's DVR sessions.
    List(ChildListArgs),
    /// Show a DVR session.
    Describe(ChildTarget),
    /// Change a DVR session's window.
    #[command(after_help = "\
Examples:
  livestream channels dvr-sessions update dvr-1 --channel my-channel --end 2025-01-31T23:00:00Z
  livestream channels dvr-sessions update dvr-1 --channel my-channel --config windows.json \\
      --update-mask dvrWindows")]
    Update(UpdateDvrArgs),
    /// Delete a DVR session.
    Delete(ChildDeleteArgs),
}

/// `--start` and `--end`: the session's (single) window.
#[derive(Debug, Args)]
pub(crate) struct WindowFlags {
    /// Where the window starts: RFC 3339, now, or now±DURATION.
    #[arg(long, value_name = "TIME", value_parser = crate::config::parse_time)]
    start: Option<prost_types::Timestamp>,
    /// Where the window ends: RFC 3339, now, or now±DURATION.
    #[arg(long, value_name = "TIME", value_parser = crate::config::parse_time)]
    end: Option<prost_types::Timestamp>,
}

impl WindowFlags {
    /// The window, keeping what the flags do not give from `current`; `None` without flags.
    fn window(&self, current: Option<&TimeInterval>) -> Option<Vec<DvrWindow>> {
        if self.start.is_none() && self.end.is_none() {
            return None;
        }
        let interval = TimeInterval {
            start_time: self.start.or_else(|| current.and_then(|c| c.start_time)),
            end_time: self.end.or_else(|| current.and_then(|c| c.end_time)),
        };
        Some(vec![DvrWindow {
            kind: Some(dvr_window::Kind::TimeInterval(interval)),
        }])
    }
}

/// `dvr-sessions create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    target: ChildTarget,
    #[command(flatten)]
    manifest_key: ManifestKeys,
    #[command(flatten)]
    window: WindowFlags,
    #[command(flatten)]
    body: BodyArgs,
    #[command(flatten)]
    wait: WaitArgs,
}

/// `dvr-sessions update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateDvrArgs {
    #[command(flatten)]
    child: ChildTarget,
    #[command(flatten)]
    window: WindowFlags,
    #[command(flatten)]
    update: UpdateArgs,
}

/// Runs a `channels dvr-sessions` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Create(args) => {
            let mut body: DvrSession = args.body.load::<DvrSession>(|d| &mut d.labels)?;
            args.manifest_key
                .replace(&mut body.dvr_manifests, |manifest_key| DvrManifest {
                    manifest_key,
                    ..Default::default()
                });
            if let Some(windows) = args.window.window(None) {
                body.dvr_windows = windows;
            }
            if body.dvr_manifests.is_empty() || body.dvr_windows.is_empty() {
                return Err(CliError::usage(
                    "a DVR session needs --manifest-key and --start and/or --end (or --config)",
                ));
            }
            let channel = args.target.channel.get();
            resource::create(ctx, &args.target.target.name, channel, body, &args.wait).await
        }
        Command::List(args) => {
            resource::list::<DvrSession>(ctx, &args.list, args.channel.get()).await
        }
        Command::Describe(t) => {
            resource::describe::<DvrSession>(ctx, &t.target.name, t.channel.get()).await
        }
        Command::Update(args) => {
            let patch: DvrSession = args.update.load()?;
            let c = &args.child;
            let name = resource::name_of::<DvrSession>(ctx, &c.target.name, c.channel.get())?;
            resource::update(ctx, &name, &args.update, patch, |patch, current| {
                if let Some(windows) = args.window.window(first_window(current)) {
                    patch.dvr_windows = windows;
                }
                Ok(())
            })
            .await
        }
        Command::Delete(args) => {
            let c = &args.child;
            let channel = c.channel.get();
            resource::delete::<DvrSession>(ctx, &c.target.name, channel, false, &args.wait).await
        }
    }
}
