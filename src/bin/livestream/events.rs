//! `livestream channels events`: ad breaks, slates, mutes and input switches on a running
//! channel.

use clap::{Args, Subcommand};
use livestream_grpc::v1::event::{
    AdBreakTask, InputSwitchTask, MuteTask, ReturnToProgramTask, SlateTask, Task, UnmuteTask,
};
use livestream_grpc::v1::{Asset, Event};

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{Column, Printable};
use crate::resource::{
    self, BodyArgs, ChildListArgs, ChildTarget, impl_create, impl_delete, impl_list, impl_resource,
    short,
};
use crate::wait::WaitArgs;

impl_resource!(Event, "event", "events", Channel, EventName, get_event);
impl_list!(Event, list_events, ListEventsRequest);
impl_create!(
    Event,
    create_event,
    CreateEventRequest,
    event_id,
    event,
    unary
);
impl_delete!(Event, delete_event, DeleteEventRequest, unary);

/// An optional duration, as text for a table.
fn duration(d: Option<&prost_types::Duration>) -> String {
    d.map(|d| format!(" {d}")).unwrap_or_default()
}

impl Printable for Event {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("TASK", |e| match &e.task {
                Some(Task::AdBreak(t)) => format!("adBreak{}", duration(t.duration.as_ref())),
                Some(Task::Slate(t)) => {
                    format!("slate {}{}", short(&t.asset), duration(t.duration.as_ref()))
                }
                Some(Task::Mute(t)) => format!("mute{}", duration(t.duration.as_ref())),
                Some(Task::Unmute(_)) => "unmute".to_owned(),
                Some(Task::ReturnToProgram(_)) => "returnToProgram".to_owned(),
                Some(Task::InputSwitch(t)) => format!("inputSwitch {}", t.input_key),
                Some(Task::UpdateEncryptions(_)) => "updateEncryptions".to_owned(),
                None => String::new(),
            }),
            Column::new("STATE", |e| e.state().as_str_name().to_owned()),
            Column::new("EXECUTION_TIME", |e| {
                e.execution_time.map(|t| t.to_string()).unwrap_or_default()
            }),
        ]
    }
}

/// `livestream channels events ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create an event on a running channel; it runs now or at --at.
    #[command(after_help = "\
Examples:
  livestream channels events create ad-1 --channel my-channel --ad-break 30s
  livestream channels events create slate-1 --channel my-channel --slate my-slate --duration 1m
  livestream channels events create back --channel my-channel --return-to-program
  livestream channels events create quiet --channel my-channel --mute --at 2025-01-31T20:00:00Z
  livestream channels events create backup --channel my-channel --input-switch backup-input")]
    Create(CreateArgs),
    /// List a channel's events.
    List(ChildListArgs),
    /// Show an event.
    Describe(ChildTarget),
    /// Delete an event.
    Delete(ChildTarget),
}

/// The task of a new event: exactly one, unless --config gives it.
#[derive(Debug, Args)]
#[group(id = "task", multiple = false)]
pub(crate) struct TaskFlags {
    /// Insert an ad break of this length, e.g. 30s.
    #[arg(long, value_name = "DURATION", value_parser = crate::config::proto_duration)]
    ad_break: Option<prost_types::Duration>,
    /// Show this slate asset (an ID or full asset name), until --return-to-program or for
    /// --duration.
    #[arg(long, value_name = "ASSET")]
    slate: Option<String>,
    /// End running ad breaks and slates.
    #[arg(long)]
    return_to_program: bool,
    /// Mute the stream, until --unmute or for --duration.
    #[arg(long)]
    mute: bool,
    /// Unmute the stream.
    #[arg(long)]
    unmute: bool,
    /// Switch to the input attached under this key.
    #[arg(long, value_name = "KEY")]
    input_switch: Option<String>,
}

/// `events create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    target: ChildTarget,
    #[command(flatten)]
    task: TaskFlags,
    /// How long a --slate or --mute lasts.
    #[arg(long, value_name = "DURATION", value_parser = crate::config::proto_duration)]
    duration: Option<prost_types::Duration>,
    /// Run the event as soon as possible [default, unless --at or --config sets a time].
    #[arg(long, conflicts_with = "at")]
    execute_now: bool,
    /// When to run the event: RFC 3339 (2025-01-31T20:00:00Z) or now+DURATION; at least
    /// 10 seconds ahead.
    #[arg(long, value_name = "TIME", value_parser = crate::config::parse_time)]
    at: Option<prost_types::Timestamp>,
    #[command(flatten)]
    body: BodyArgs,
}

impl CreateArgs {
    /// The event body: `--config`, then the task and timing flags.
    fn body(&self, ctx: &Ctx) -> Result<Event, CliError> {
        let mut event: Event = self.body.load::<Event>(|e| &mut e.labels)?;
        let t = &self.task;
        let duration = self.duration;
        let task = if let Some(d) = t.ad_break {
            Some(Task::AdBreak(AdBreakTask { duration: Some(d) }))
        } else if let Some(slate) = &t.slate {
            let asset = resource::name_of::<Asset>(ctx, slate, None)?;
            Some(Task::Slate(SlateTask {
                duration,
                asset: asset.to_string(),
            }))
        } else if t.return_to_program {
            Some(Task::ReturnToProgram(ReturnToProgramTask {}))
        } else if t.mute {
            Some(Task::Mute(MuteTask { duration }))
        } else if t.unmute {
            Some(Task::Unmute(UnmuteTask {}))
        } else {
            t.input_switch.as_ref().map(|key| {
                Task::InputSwitch(InputSwitchTask {
                    input_key: key.clone(),
                })
            })
        };
        if duration.is_some() && t.slate.is_none() && !t.mute {
            return Err(CliError::usage("--duration goes with --slate or --mute"));
        }
        match task {
            Some(task) => event.task = Some(task),
            None if event.task.is_none() => {
                return Err(CliError::usage(
                    "say what the event does: --ad-break, --slate, --return-to-program, \
                     --mute, --unmute or --input-switch (or give it in --config)",
                ));
            }
            None => {}
        }
        if let Some(at) = self.at {
            event.execution_time = Some(at);
            event.execute_now = false;
        } else if self.execute_now || event.execution_time.is_none() {
            event.execute_now = true;
        }
        Ok(event)
    }
}

/// Runs a `channels events` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Create(args) => {
            let body = args.body(ctx)?;
            let channel = args.target.channel.get();
            // Events are created synchronously: there is nothing to wait for.
            let no_wait = WaitArgs { no_wait: false };
            resource::create(ctx, &args.target.target.name, channel, body, &no_wait).await
        }
        Command::List(args) => resource::list::<Event>(ctx, &args.list, args.channel.get()).await,
        Command::Describe(t) => {
            resource::describe::<Event>(ctx, &t.target.name, t.channel.get()).await
        }
        Command::Delete(t) => {
            let channel = t.channel.get();
            let wait = WaitArgs { no_wait: false };
            resource::delete::<Event>(ctx, &t.target.name, channel, false, &wait).await
        }
    }
}
