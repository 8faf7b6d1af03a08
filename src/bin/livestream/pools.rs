//! `livestream pools`: the location's pool (`pools/default`) and its peered network.

use clap::{Args, Subcommand};
use livestream_grpc::v1::Pool;
use livestream_grpc::v1::pool::NetworkConfig;

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{Column, Printable};
use crate::resource::{self, UpdateArgs, impl_resource, impl_update};

impl_resource!(Pool, "pool", "pools", Location, PoolName, get_pool);
impl_update!(Pool, update_pool, UpdatePoolRequest, pool);

impl Printable for Pool {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("PEERED_NETWORK", |p| {
                p.network_config
                    .as_ref()
                    .map(|n| n.peered_network.clone())
                    .unwrap_or_default()
            }),
        ]
    }
}

/// `livestream pools ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show the location's pool.
    Describe(PoolTarget),
    /// Change the pool's peered network (every channel of the location must be stopped).
    #[command(after_help = "\
Examples:
  livestream pools update --peered-network projects/123456789/global/networks/my-vpc
  livestream pools update default --config pool.json")]
    Update(UpdatePoolArgs),
}

/// A pool: `default` (the only one) unless named.
#[derive(Debug, Args)]
pub(crate) struct PoolTarget {
    /// The pool's ID or full resource name.
    #[arg(value_name = "ID|NAME", default_value = "default")]
    name: String,
}

/// `pools update`.
#[derive(Debug, Args)]
pub(crate) struct UpdatePoolArgs {
    #[command(flatten)]
    target: PoolTarget,
    /// The VPC network to peer with: projects/PROJECT_NUMBER/global/networks/NETWORK (an empty
    /// value removes the peering).
    #[arg(long, value_name = "NETWORK")]
    peered_network: Option<String>,
    #[command(flatten)]
    update: UpdateArgs,
}

/// Runs a `pools` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Describe(target) => resource::describe::<Pool>(ctx, &target.name, None).await,
        Command::Update(args) => {
            let mut patch: Pool = args.update.load()?;
            if let Some(network) = &args.peered_network {
                if !network.is_empty() {
                    network
                        .parse::<livestream_grpc::names::NetworkName>()
                        .map_err(|e| CliError::usage(format!("--peered-network: {e}")))?;
                }
                patch.network_config = Some(NetworkConfig {
                    peered_network: network.clone(),
                });
            }
            let name = resource::name_of::<Pool>(ctx, &args.target.name, None)?;
            resource::update(ctx, &name, &args.update, patch, |_, _| Ok(())).await
        }
    }
}
