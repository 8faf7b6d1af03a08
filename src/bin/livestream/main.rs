//! The `livestream` command-line tool: gcloud-style commands for the Google Cloud Video
//! Live Stream API over gRPC, and `livestream emulator`, the local emulator.
//!
//! One module per command group (`inputs`, `channels` with `events`, `clips` and
//! `dvr_sessions`, `assets`, `pools`, `operations`, `locations`, `emulator`), over shared
//! modules: `resource` (the generic describe/list/create/update/delete), `context` (client
//! and global flags), `config` (reading `--config` files and flag values), `output`
//! (json/yaml/table), `wait` (operations, spinner) and `errors` (messages and exit codes).

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use clap::{Parser, Subcommand};

mod assets;
mod channels;
mod clips;
mod config;
mod context;
mod dvr_sessions;
mod emulator;
mod errors;
mod events;
mod inputs;
mod locations;
mod operations;
mod output;
mod pools;
mod resource;
mod wait;

use context::{Ctx, GlobalArgs};
use errors::CliError;

const AFTER_HELP: &str = "\
Examples:
  livestream --project my-project --location us-central1 inputs create my-input --type rtmp-push
  livestream channels create my-channel --input my-input --output-uri gs://my-bucket/live/
  livestream channels start my-channel
  livestream channels describe my-channel --format json > channel.json
  livestream channels events create ad-1 --channel my-channel --ad-break 30s
  livestream operations wait projects/my-project/locations/us-central1/operations/operation-123
  livestream emulator --port 8085

Environment:
  LIVESTREAM_PROJECT, CLOUDSDK_CORE_PROJECT   default --project
  LIVESTREAM_LOCATION                          default --location
  LIVESTREAM_EMULATOR_HOST                     host:port of an emulator (plaintext, no
                                               credentials) when --endpoint is not given

Resources are named by ID (in --project and --location, and for events, clips and DVR
sessions in --channel) or by full resource name (projects/P/locations/L/channels/C).

";

/// Command-line tools for the Google Cloud Video Live Stream API.
#[derive(Debug, Parser)]
#[command(name = "livestream", version, after_help = after_help())]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

fn after_help() -> String {
    format!("{AFTER_HELP}{}", errors::EXIT_CODES_HELP)
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, list, update and delete inputs (the endpoints encoders stream to).
    Inputs {
        #[command(subcommand)]
        command: inputs::Command,
    },
    /// Create, start, stop and manage channels, and their events, clips and DVR sessions.
    Channels {
        #[command(subcommand)]
        command: channels::Command,
    },
    /// Create, list and delete assets (slate videos and overlay images).
    Assets {
        #[command(subcommand)]
        command: assets::Command,
    },
    /// Describe and update the location's pool (its peered network).
    Pools {
        #[command(subcommand)]
        command: pools::Command,
    },
    /// List, describe, wait for and cancel long-running operations.
    Operations {
        #[command(subcommand)]
        command: operations::Command,
    },
    /// List and describe the locations the API serves.
    Locations {
        #[command(subcommand)]
        command: locations::Command,
    },
    /// Run the local Live Stream API emulator (plaintext gRPC and REST on one port, no
    /// credentials), or control a running one (`livestream emulator reset`, `...
    /// complete-operation --all`, ...).
    Emulator(emulator::EmulatorArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Emulator(args) => match args.into_control() {
            Ok(control) => emulator::control(control).await,
            Err(serve) => emulator::run(serve).await,
        },
        command => run_interruptibly(&cli.global, command).await,
    };
    match result {
        Ok(()) => ExitCode::from(errors::EXIT_OK),
        Err(e) => {
            match &e {
                CliError::Interrupted { .. } => eprintln!("livestream: {e}"),
                _ => eprintln!("livestream: error: {e}"),
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a resource command; Ctrl-C ends it (never an operation it waits for) with the
/// name of the operation being waited for, if any.
async fn run_interruptibly(global: &GlobalArgs, command: Command) -> Result<(), CliError> {
    let pending = Arc::new(Mutex::new(None));
    // `biased`: the Ctrl-C handler is installed by the first poll, before any request.
    tokio::select! {
        biased;
        _ = tokio::signal::ctrl_c() => {
            let operation = pending.lock().unwrap_or_else(PoisonError::into_inner).clone();
            Err(CliError::Interrupted { operation })
        }
        result = run(global, command, Arc::clone(&pending)) => result,
    }
}

async fn run(
    global: &GlobalArgs,
    command: Command,
    pending: Arc<Mutex<Option<String>>>,
) -> Result<(), CliError> {
    let ctx = Ctx::new(global, pending).await?;
    match command {
        Command::Inputs { command } => inputs::run(&ctx, command).await,
        Command::Channels { command } => channels::run(&ctx, command).await,
        Command::Assets { command } => assets::run(&ctx, command).await,
        Command::Pools { command } => pools::run(&ctx, command).await,
        Command::Operations { command } => operations::run(&ctx, command).await,
        Command::Locations { command } => locations::run(&ctx, command).await,
        Command::Emulator(_) => Err(CliError::usage("the emulator runs on its own")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
