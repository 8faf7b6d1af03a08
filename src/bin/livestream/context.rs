//! [`Ctx`]: what every resource command shares: the client, the global flags, and the
//! operation being waited for (for the Ctrl-C hint).

use std::sync::{Arc, Mutex, PoisonError};

use clap::Args;
use livestream_grpc::Client;
use livestream_grpc::names::{ChannelName, LocationName, ProjectName, ResourceName};

use crate::errors::CliError;
use crate::output::Format;

const ENDPOINT_HELP: &str = "The API endpoint, e.g. https://livestream.googleapis.com or \
    http://127.0.0.1:8085 (plaintext, no credentials) [default: the emulator named by \
    $LIVESTREAM_EMULATOR_HOST if set, else https://livestream.googleapis.com with Application \
    Default Credentials]";

/// The flags every resource command accepts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// The Google Cloud project ID or number [default: $LIVESTREAM_PROJECT, then
    /// $CLOUDSDK_CORE_PROJECT].
    #[arg(long, global = true, value_name = "PROJECT")]
    pub(crate) project: Option<String>,
    /// The location (region) of the resources, e.g. us-central1.
    #[arg(
        long,
        global = true,
        env = "LIVESTREAM_LOCATION",
        value_name = "LOCATION"
    )]
    pub(crate) location: Option<String>,
    /// The API endpoint (`https://…` with Application Default Credentials, `http://…`
    /// without credentials).
    #[arg(long, global = true, value_name = "URL", help = ENDPOINT_HELP)]
    pub(crate) endpoint: Option<String>,
    /// Output format [default: table for lists, yaml otherwise].
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<Format>,
}

/// Where a resource lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parent {
    /// `projects/{project}` (locations).
    Project,
    /// `projects/{project}/locations/{location}`.
    Location,
    /// `…/channels/{channel}` (events, clips, DVR sessions).
    Channel,
}

/// The shared state of a resource command.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The API client.
    pub(crate) client: Client,
    project: Option<String>,
    location: Option<String>,
    format: Option<Format>,
    /// The operation being waited for, if any.
    pending: Arc<Mutex<Option<String>>>,
}

impl Ctx {
    /// Builds the client (connecting lazily: nothing is sent yet) from the global flags.
    pub(crate) async fn new(
        global: &GlobalArgs,
        pending: Arc<Mutex<Option<String>>>,
    ) -> Result<Ctx, CliError> {
        let mut builder = Client::builder()
            .with_user_agent(concat!("livestream-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(endpoint) = &global.endpoint {
            // Plaintext (http) endpoints get no credentials; https ones get ADC.
            builder = builder.with_endpoint(endpoint);
        }
        let project = global
            .project
            .clone()
            .or_else(|| env_value("LIVESTREAM_PROJECT"))
            .or_else(|| env_value("CLOUDSDK_CORE_PROJECT"));
        Ok(Ctx {
            client: builder.build().await?,
            project,
            location: global.location.clone().filter(|l| !l.is_empty()),
            format: global.format,
            pending,
        })
    }

    /// The output format: `--format`, or `default`.
    pub(crate) fn format(&self, default: Format) -> Format {
        self.format.unwrap_or(default)
    }

    /// `projects/{project}`.
    pub(crate) fn project(&self) -> Result<ProjectName, CliError> {
        let project = self.project.as_deref().ok_or_else(|| {
            CliError::usage(
                "no project: pass --project, set LIVESTREAM_PROJECT (or CLOUDSDK_CORE_PROJECT), \
                 or give a full resource name",
            )
        })?;
        Ok(format!("projects/{project}").parse()?)
    }

    /// `projects/{project}/locations/{location}`.
    pub(crate) fn location(&self) -> Result<LocationName, CliError> {
        let project = self.project()?;
        let location = self.location.as_deref().ok_or_else(|| {
            CliError::usage(
                "no location: pass --location, set LIVESTREAM_LOCATION, or give a full \
                 resource name",
            )
        })?;
        Ok(format!("{project}/locations/{location}").parse()?)
    }

    /// A channel from `--channel`: an ID (in the current project and location) or a full
    /// name.
    pub(crate) fn channel(&self, channel: Option<&str>) -> Result<ChannelName, CliError> {
        let channel = channel.ok_or_else(|| {
            CliError::usage("--channel is required with an ID (or give the full resource name)")
        })?;
        if channel.contains('/') {
            Ok(channel.parse()?)
        } else {
            Ok(self.location()?.channel(channel)?)
        }
    }

    /// The parent of resources of type `N` living under `parent`.
    pub(crate) fn parent(&self, parent: Parent, channel: Option<&str>) -> Result<String, CliError> {
        Ok(match parent {
            Parent::Project => self.project()?.to_string(),
            Parent::Location => self.location()?.to_string(),
            Parent::Channel => self.channel(channel)?.to_string(),
        })
    }

    /// Resolves a resource argument: a full name (anything with a `/`), or an ID in
    /// `collection` under the parent from the flags. Either way the result must match
    /// `N`'s pattern (checked locally).
    pub(crate) fn resolve<N: ResourceName>(
        &self,
        arg: &str,
        parent: Parent,
        collection: &str,
        channel: Option<&str>,
    ) -> Result<N, CliError> {
        if arg.contains('/') {
            return Ok(arg.parse()?);
        }
        let full = format!("{}/{collection}/{arg}", self.parent(parent, channel)?);
        Ok(full.parse()?)
    }

    /// Records the operation being waited for (shown if Ctrl-C interrupts the wait).
    pub(crate) fn set_pending(&self, operation: Option<&str>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        *pending = operation.map(str::to_owned);
    }
}

/// An environment variable's value, if set and not empty.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
