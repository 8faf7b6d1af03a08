//! `livestream locations`: where the API runs.

use clap::{Args, Subcommand};
use livestream_grpc::location::Location;

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{Column, Printable};
use crate::resource::{self, ListArgs, impl_list_mixin, impl_resource};

impl_resource!(
    Location,
    "location",
    "locations",
    Project,
    LocationName,
    get_location
);

impl_list_mixin!(
    Location,
    list_locations,
    livestream_grpc::location::ListLocationsRequest
);

impl Printable for Location {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::new("LOCATION_ID", |l| l.location_id.clone()),
            Column::new("DISPLAY_NAME", |l| l.display_name.clone()),
        ]
    }
}

/// `livestream locations ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the locations of the Live Stream API.
    List(ListArgs),
    /// Show a location.
    Describe(LocationTarget),
}

/// A location: an ID (default --location) or a full name.
#[derive(Debug, Args)]
pub(crate) struct LocationTarget {
    /// The location's ID or full name [default: --location].
    #[arg(value_name = "ID|NAME")]
    name: Option<String>,
}

/// Runs a `locations` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::List(args) => resource::list::<Location>(ctx, &args, None).await,
        Command::Describe(target) => {
            let name = match target.name {
                Some(name) => name,
                None => ctx.location()?.to_string(),
            };
            resource::describe::<Location>(ctx, &name, None).await
        }
    }
}
