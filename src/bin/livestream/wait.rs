//! Waiting for long-running operations: `--async`, the progress spinner, the time limit.
//!
//! While a command waits, a spinner on stderr (only when stderr is a terminal) shows what
//! is being done, the elapsed time and the latest state: the operation's progress from its
//! `OperationMetadata`, and for channel starts and stops the channel's streaming state.
//! Without a terminal one line says which operation is being waited for.
//!
//! Ctrl-C is handled in `main`: it ends the wait, never the operation, and the operation's
//! name (recorded here with [`Ctx::set_pending`]) is printed with the command to resume.

use std::io::IsTerminal as _;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use livestream_grpc::names::ChannelName;
use livestream_grpc::policy::ExponentialBackoff;
use livestream_grpc::v1::OperationMetadata;
use livestream_grpc::{Error, Operation};
use prost::{Message, Name};
use tokio::time::Instant;

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output;

/// The `--async` flag of long-running commands.
#[derive(Debug, Clone, Args)]
pub(crate) struct WaitArgs {
    /// Do not wait: print the operation's name and return (wait later with
    /// `livestream operations wait NAME`).
    #[arg(long = "async")]
    pub(crate) no_wait: bool,
}

/// How long a command waits before giving up (the operation keeps running).
const WAIT_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Polling: 500 ms, ×1.5, at most 5 s between polls.
fn backoff() -> ExponentialBackoff {
    ExponentialBackoff::builder()
        .with_initial_delay(Duration::from_millis(500))
        .with_maximum_delay(Duration::from_secs(5))
        .with_multiplier(1.5)
        .without_jitter()
        .build()
        .unwrap_or_else(|_| ExponentialBackoff::polling_default())
}

/// With `--async`, prints the operation's name and returns `None`; otherwise waits for the
/// operation (showing `what` and the progress) and returns its result.
pub(crate) async fn finish<T>(
    ctx: &Ctx,
    mut op: Operation<T>,
    args: &WaitArgs,
    what: &str,
    watch: Option<&ChannelName>,
) -> Result<Option<T>, CliError>
where
    T: Message + Name + Default,
{
    if args.no_wait {
        let name = op.name().to_owned();
        output::emit(&format!("{name}\n"))?;
        eprintln!(
            "{what}: started operation {name}.\nWait for it with: livestream operations wait {name}"
        );
        return Ok(None);
    }
    wait_done(ctx, &mut op, what, watch).await?;
    match op.result() {
        Some(result) => Ok(Some(result?)),
        None => Err(CliError::other(format!(
            "operation {} is not done",
            op.name()
        ))),
    }
}

/// Polls `op` until it is done (at most [`WAIT_LIMIT`]), showing progress. A resumed
/// operation (known only by name) is polled at once.
pub(crate) async fn wait_done<T, M>(
    ctx: &Ctx,
    op: &mut Operation<T, M>,
    what: &str,
    watch: Option<&ChannelName>,
) -> Result<(), CliError>
where
    T: Message + Name + Default,
    M: Message + Name + Default,
{
    if op.is_done() {
        return Ok(());
    }
    ctx.set_pending(Some(op.name()));
    let spinner = Spinner::start(what, op.name());
    let started = Instant::now();
    let backoff = backoff();
    let mut polls = 0u32;
    loop {
        if op.raw().is_some() {
            if op.is_done() {
                break;
            }
            if started.elapsed() >= WAIT_LIMIT {
                return Err(CliError::other(format!(
                    "operation {name} is still running after {} minutes; it was not cancelled.\n\
                     Keep waiting with: livestream operations wait {name}",
                    WAIT_LIMIT.as_secs() / 60,
                    name = op.name()
                )));
            }
            polls += 1;
            tokio::time::sleep(backoff.delay(polls)).await;
        }
        if let Err(e) = op.poll().await {
            return Err(still_running(op.name(), e));
        }
        spinner.show(&state(ctx, op, watch).await);
    }
    drop(spinner);
    ctx.set_pending(None);
    Ok(())
}

/// A polling failure: the operation itself may be fine and still running.
fn still_running(name: &str, e: Error) -> CliError {
    eprintln!(
        "Could not poll operation {name}; it may still be running.\n\
         Keep waiting with: livestream operations wait {name}"
    );
    CliError::Api(e)
}

/// What the spinner shows after a poll: the channel's streaming state when watching one,
/// else the operation's progress.
async fn state<T, M>(ctx: &Ctx, op: &Operation<T, M>, watch: Option<&ChannelName>) -> String
where
    T: Message + Name + Default,
    M: Message + Name + Default,
{
    if let Some(channel) = watch
        && let Ok(channel) = ctx.client.get_channel(channel).await
    {
        return channel.streaming_state().as_str_name().to_owned();
    }
    let metadata = op
        .raw()
        .and_then(|raw| raw.metadata.as_ref())
        .and_then(|any| any.to_msg::<OperationMetadata>().ok());
    match metadata {
        Some(m) if m.requested_cancellation => "cancelling".to_owned(),
        Some(m) if !m.verb.is_empty() => format!("{} in progress", m.verb),
        _ => "running".to_owned(),
    }
}

/// The progress display: an indicatif spinner on a terminal, one line otherwise. Cleared
/// when dropped (also when Ctrl-C drops the wait).
struct Spinner {
    bar: Option<ProgressBar>,
    what: String,
}

impl Spinner {
    fn start(what: &str, operation: &str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            eprintln!("{what}: waiting for operation {operation}");
            return Spinner {
                bar: None,
                what: what.to_owned(),
            };
        }
        let style = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::new_spinner().with_style(style);
        bar.set_message(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner {
            bar: Some(bar),
            what: what.to_owned(),
        }
    }

    fn show(&self, state: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} ({state})", self.what));
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
