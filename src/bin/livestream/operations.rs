//! `livestream operations`: long-running operations (list, describe, wait, cancel).

use bytes::Bytes;
use clap::Subcommand;
use livestream_grpc::longrunning::{CancelOperationRequest, Operation, operation};
use livestream_grpc::v1::OperationMetadata;
use livestream_grpc::{Error, reflect};
use prost::Message as _;
use prost_reflect::DynamicMessage;

use crate::context::Ctx;
use crate::errors::{CliError, code_name};
use crate::output::{self, Column, Format, Printable};
use crate::resource::{self, ListArgs, Target, impl_list_mixin, impl_resource};

impl_resource!(
    Operation,
    "operation",
    "operations",
    Location,
    OperationName,
    get_operation
);

impl_list_mixin!(
    Operation,
    list_operations,
    livestream_grpc::longrunning::ListOperationsRequest
);

/// The operation's `OperationMetadata`, if it has one.
fn metadata(op: &Operation) -> Option<OperationMetadata> {
    op.metadata.as_ref()?.to_msg().ok()
}

impl Printable for Operation {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("VERB", |o| metadata(o).map(|m| m.verb).unwrap_or_default()),
            Column::new("TARGET", |o| {
                metadata(o).map(|m| m.target).unwrap_or_default()
            }),
            Column::new("STATUS", |o| match &o.result {
                _ if !o.done => "RUNNING".to_owned(),
                Some(operation::Result::Error(status)) => {
                    code_name(tonic::Code::from_i32(status.code)).to_owned()
                }
                _ => "DONE".to_owned(),
            }),
            Column::new("CREATED", |o| {
                let created = metadata(o).and_then(|m| m.create_time);
                crate::clips::time(created.as_ref())
            }),
        ]
    }
}

/// `livestream operations ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the location's operations, newest first.
    #[command(after_help = "\
Examples:
  livestream operations list
  livestream operations list --filter done=false")]
    List(ListArgs),
    /// Show an operation (with its response or error when done).
    Describe(Target),
    /// Wait for an operation to finish, then show its response; fails as the operation
    /// did.
    #[command(after_help = "\
Commands interrupted with Ctrl-C, or run with --async, print the operation to wait for:
  livestream operations wait projects/my-project/locations/us-central1/operations/operation-123")]
    Wait(Target),
    /// Ask the service to cancel an operation (best effort; see `operations wait`).
    Cancel(Target),
}

/// Runs an `operations` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::List(args) => resource::list::<Operation>(ctx, &args, None).await,
        Command::Describe(target) => resource::describe::<Operation>(ctx, &target.name, None).await,
        Command::Wait(target) => wait(ctx, &target.name).await,
        Command::Cancel(target) => {
            let name = resource::name_of::<Operation>(ctx, &target.name, None)?;
            ctx.client
                .cancel_operation(CancelOperationRequest {
                    name: name.to_string(),
                })
                .await?;
            eprintln!(
                "Requested cancellation of operation [{}]; see the outcome with \
                 `livestream operations wait {name}`.",
                name.operation()
            );
            Ok(())
        }
    }
}

/// `operations wait`: polls until done, then prints the response (unless it is empty) or
/// fails with the operation's error.
async fn wait(ctx: &Ctx, arg: &str) -> Result<(), CliError> {
    let name = resource::name_of::<Operation>(ctx, arg, None)?;
    let op = ctx.client.operation::<()>(&name);
    let what = format!("Waiting for operation {}", name.operation());
    let op = crate::wait::wait_done(ctx, op, &what, None).await?;
    let Some(raw) = op.raw() else {
        return Err(CliError::other(format!(
            "operation {name} was never fetched"
        )));
    };
    match &raw.result {
        Some(operation::Result::Error(status)) => {
            eprintln!("Operation [{}] failed.", name.operation());
            let status = tonic::Status::with_details(
                tonic::Code::from_i32(status.code),
                status.message.clone(),
                Bytes::from(status.encode_to_vec()),
            );
            Err(CliError::Api(Error::from(status)))
        }
        Some(operation::Result::Response(any)) => {
            eprintln!("Operation [{}] is done.", name.operation());
            let pool = reflect::descriptor_pool()?;
            let type_name = any.type_url.rsplit('/').next().unwrap_or_default();
            let Some(descriptor) = pool.get_message_by_name(type_name) else {
                return Err(CliError::other(format!(
                    "operation {name} returned an unknown type {}",
                    any.type_url
                )));
            };
            let response = DynamicMessage::decode(descriptor, any.value.as_slice())
                .map_err(|e| CliError::other(format!("operation {name}: {e}")))?;
            if type_name == "google.protobuf.Empty"
                || type_name.ends_with("ChannelOperationResponse")
            {
                return Ok(());
            }
            let value = serde_json::to_value(&response)
                .map_err(|e| CliError::other(format!("operation {name}: {e}")))?;
            output::emit(&output::render_value(&value, ctx.format(Format::Yaml)))
        }
        None => {
            eprintln!("Operation [{}] is done.", name.operation());
            Ok(())
        }
    }
}
