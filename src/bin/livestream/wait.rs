//! Waiting for long-running operations: `--async`, the progress spinner, the time limit.
//!
//! The library's poller does the polling ([`Operation::updates`], with this module's
//! [`PollingOptions`]: its backoff, its bound, and the default polling error policy, which
//! polls through `UNAVAILABLE` and connection failures); this module only shows progress.
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
use futures_util::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use livestream_grpc::names::ChannelName;
use livestream_grpc::policy::{ExponentialBackoff, PollingOptions};
use livestream_grpc::v1::OperationMetadata;
use livestream_grpc::{Error, Operation};
use prost::{Message, Name};

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

/// Polling: 500 ms, ×1.5, at most 5 s between polls, for at most [`WAIT_LIMIT`].
fn polling() -> PollingOptions {
    let backoff = ExponentialBackoff::builder()
        .with_initial_delay(Duration::from_millis(500))
        .with_maximum_delay(Duration::from_secs(5))
        .with_multiplier(1.5)
        .without_jitter()
        .build()
        .unwrap_or_else(|_| ExponentialBackoff::polling_default());
    PollingOptions::new()
        .with_backoff(backoff)
        .with_timeout(WAIT_LIMIT)
}

/// With `--async`, prints the operation's name and returns `None`; otherwise waits for the
/// operation (showing `what` and the progress) and returns its result.
pub(crate) async fn finish<T>(
    ctx: &Ctx,
    op: Operation<T>,
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
    let op = wait_done(ctx, op, what, watch).await?;
    match op.result() {
        Some(result) => Ok(Some(result?)),
        None => Err(CliError::other(format!(
            "operation {} is not done",
            op.name()
        ))),
    }
}

/// Waits until `op` is done (at most [`WAIT_LIMIT`]), showing progress, and returns it
/// done. A resumed operation (known only by name) is polled at once.
pub(crate) async fn wait_done<T>(
    ctx: &Ctx,
    op: Operation<T>,
    what: &str,
    watch: Option<&ChannelName>,
) -> Result<Operation<T>, CliError>
where
    T: Message + Name + Default,
{
    if op.is_done() {
        return Ok(op);
    }
    let mut op = op.with_polling_options(polling());
    let name = op.name().to_owned();
    ctx.set_pending(Some(&name));
    let spinner = Spinner::start(what, &name);
    {
        let mut updates = std::pin::pin!(op.updates());
        while let Some(update) = updates.next().await {
            match update {
                Ok(metadata) => spinner.show(&state(ctx, metadata.as_ref(), watch).await),
                Err(e) => return Err(still_running(&name, e)),
            }
        }
    }
    drop(spinner);
    ctx.set_pending(None);
    Ok(op)
}

/// A wait that ended without the operation's outcome: the operation itself may be fine
/// and still running.
fn still_running(name: &str, e: Error) -> CliError {
    if e.kind() == livestream_grpc::ErrorKind::Timeout {
        return CliError::other(format!(
            "operation {name} is still running after {} minutes; it was not cancelled.\n\
             Keep waiting with: livestream operations wait {name}",
            WAIT_LIMIT.as_secs() / 60,
        ));
    }
    eprintln!(
        "Could not poll operation {name}; it may still be running.\n\
         Keep waiting with: livestream operations wait {name}"
    );
    CliError::Api(e)
}

/// What the spinner shows after a poll: the channel's streaming state when watching one,
/// else the operation's progress.
async fn state(
    ctx: &Ctx,
    metadata: Option<&OperationMetadata>,
    watch: Option<&ChannelName>,
) -> String {
    if let Some(channel) = watch
        && let Ok(channel) = ctx.client.get_channel(channel).await
    {
        return channel.streaming_state().as_str_name().to_owned();
    }
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
