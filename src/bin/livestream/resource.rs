//! What the resource groups share: the [`Resource`] traits, implemented for each resource
//! type by the small macros below, and the generic `describe`, `list`, `create`, `update`
//! and `delete` commands over them. A group module adds only its flags, how they build a
//! body, and its table columns.

use std::path::PathBuf;

use clap::Args;
use livestream_grpc::field_mask::{self, Updatable};
use livestream_grpc::names::ResourceName;
use livestream_grpc::{Client, Error, Operation, reflect};
use prost_reflect::ReflectMessage as _;

use crate::context::{Ctx, Parent};
use crate::errors::CliError;
use crate::output::{self, Format, Printable};
use crate::wait::{self, WaitArgs};

/// A resource type the CLI can describe.
pub(crate) trait Resource: Printable + WithName + Clone + Send + Sync + 'static {
    /// What a person calls it (`"channel"`, `"DVR session"`).
    const KIND: &'static str;
    /// Its collection in resource names (`"channels"`, `"dvrSessions"`).
    const COLLECTION: &'static str;
    /// Where it lives.
    const PARENT: Parent;
    /// Its typed name.
    type Name: ResourceName;

    /// Fetches one.
    async fn get(client: &Client, name: &Self::Name) -> Result<Self, Error>;
}

/// A resource type with a List RPC.
pub(crate) trait List: Resource {
    /// Whether the List RPC has `order_by` (the Operations and Locations mixins do not).
    const ORDER_BY: bool = true;

    /// Lists them under `parent`, following every page (up to `--limit`).
    async fn list(client: &Client, parent: String, args: &ListArgs) -> Result<Vec<Self>, Error>;
}

/// What a Create RPC returns.
pub(crate) enum Created<R> {
    /// A long-running operation whose result is the resource.
    Operation(Box<Operation<R>>),
    /// The resource itself (events are created synchronously).
    Done(R),
}

/// A resource type with a Create RPC.
pub(crate) trait Create: Resource {
    /// Creates `body` as `id` under `parent`.
    async fn create(
        client: &Client,
        parent: String,
        id: String,
        body: Self,
    ) -> Result<Created<Self>, Error>;
}

/// A resource type with a Delete RPC.
pub(crate) trait Delete: Resource {
    /// Deletes it: the operation, or `None` when the RPC is not long-running (events).
    /// `force` is used by channels only (also delete their events).
    async fn delete(
        client: &Client,
        name: &Self::Name,
        force: bool,
    ) -> Result<Option<Operation<()>>, Error>;
}

/// A resource type with an Update RPC.
pub(crate) trait Update: Resource + Updatable {
    /// Sends `body` (whose name is set) with `mask`.
    async fn update(
        client: &Client,
        body: Self,
        mask: Vec<String>,
    ) -> Result<Operation<Self>, Error>;
}

/// `Get{R}` through the `From<&Name>` conversion of its request.
macro_rules! impl_resource {
    ($ty:ty, $kind:literal, $collection:literal, $parent:ident, $name:ident, $get:ident) => {
        impl $crate::resource::Resource for $ty {
            const KIND: &'static str = $kind;
            const COLLECTION: &'static str = $collection;
            const PARENT: $crate::context::Parent = $crate::context::Parent::$parent;
            type Name = livestream_grpc::names::$name;

            async fn get(
                client: &livestream_grpc::Client,
                name: &Self::Name,
            ) -> Result<Self, livestream_grpc::Error> {
                client.$get(name).await
            }
        }

        impl $crate::resource::WithName for $ty {
            fn name(&self) -> &str {
                &self.name
            }

            fn with_name(mut self, name: &str) -> Self {
                name.clone_into(&mut self.name);
                self
            }
        }
    };
}

/// `List{R}s` for the Live Stream collections (parent, page size, filter, order).
macro_rules! impl_list {
    ($ty:ty, $list:ident, $request:ident) => {
        impl $crate::resource::List for $ty {
            async fn list(
                client: &livestream_grpc::Client,
                parent: String,
                args: &$crate::resource::ListArgs,
            ) -> Result<Vec<Self>, livestream_grpc::Error> {
                let request = livestream_grpc::v1::$request {
                    parent,
                    page_size: args.page_size.unwrap_or(0),
                    filter: args.filter.clone().unwrap_or_default(),
                    order_by: args.order_by.clone().unwrap_or_default(),
                    ..Default::default()
                };
                client.$list(request).collect_items(args.limit).await
            }
        }
    };
}

/// `Create{R}`: long-running (`lro`) or returning the resource (`unary`).
macro_rules! impl_create {
    ($ty:ty, $create:ident, $request:ident, $id:ident, $body:ident, $kind:ident) => {
        impl $crate::resource::Create for $ty {
            async fn create(
                client: &livestream_grpc::Client,
                parent: String,
                id: String,
                body: Self,
            ) -> Result<$crate::resource::Created<Self>, livestream_grpc::Error> {
                let request = livestream_grpc::v1::$request {
                    parent,
                    $id: id,
                    $body: Some(body),
                    ..Default::default()
                };
                let response = client.$create(request).await?;
                Ok(impl_create!(@wrap $kind response))
            }
        }
    };
    (@wrap lro $response:ident) => { $crate::resource::Created::Operation(Box::new($response)) };
    (@wrap unary $response:ident) => { $crate::resource::Created::Done($response) };
}

/// `Delete{R}`: long-running (`lro`), or not (`unary`); `force` if the request has it.
macro_rules! impl_delete {
    ($ty:ty, $delete:ident, $request:ident, $kind:ident $(, $force:ident)?) => {
        impl $crate::resource::Delete for $ty {
            async fn delete(
                client: &livestream_grpc::Client,
                name: &Self::Name,
                force: bool,
            ) -> Result<Option<livestream_grpc::Operation<()>>, livestream_grpc::Error> {
                let _ = force;
                let request = livestream_grpc::v1::$request {
                    name: name.to_string(),
                    $($force: force,)?
                    ..Default::default()
                };
                let response = client.$delete(request).await?;
                Ok(impl_delete!(@wrap $kind response))
            }
        }
    };
    (@wrap lro $response:ident) => { Some($response) };
    (@wrap unary $response:ident) => {{
        let () = $response;
        None
    }};
}

/// `Update{R}` with the resource in `$body` and the mask.
macro_rules! impl_update {
    ($ty:ty, $update:ident, $request:ident, $body:ident) => {
        impl $crate::resource::Update for $ty {
            async fn update(
                client: &livestream_grpc::Client,
                body: Self,
                mask: Vec<String>,
            ) -> Result<livestream_grpc::Operation<Self>, livestream_grpc::Error> {
                let request = livestream_grpc::v1::$request {
                    $body: Some(body),
                    update_mask: Some(prost_types::FieldMask { paths: mask }),
                    ..Default::default()
                };
                client.$update(request).await
            }
        }
    };
}

/// `List{R}s` of the Operations and Locations mixins (`name` is the parent; no order).
macro_rules! impl_list_mixin {
    ($ty:ty, $list:ident, $($request:ident)::+) => {
        impl $crate::resource::List for $ty {
            const ORDER_BY: bool = false;

            async fn list(
                client: &livestream_grpc::Client,
                parent: String,
                args: &$crate::resource::ListArgs,
            ) -> Result<Vec<Self>, livestream_grpc::Error> {
                let request = $($request)::+ {
                    name: parent,
                    filter: args.filter.clone().unwrap_or_default(),
                    page_size: args.page_size.unwrap_or(0),
                    ..Default::default()
                };
                client.$list(request).collect_items(args.limit).await
            }
        }
    };
}

pub(crate) use {impl_create, impl_delete, impl_list, impl_list_mixin, impl_resource, impl_update};

/// The flags of every `list` command.
#[derive(Debug, Clone, Args)]
pub(crate) struct ListArgs {
    /// Only resources matching this filter (AIP-160), e.g. 'labels.team = "video"'.
    #[arg(long, value_name = "EXPRESSION")]
    pub(crate) filter: Option<String>,
    /// The sort order, e.g. 'createTime desc' (not for operations and locations).
    #[arg(long, value_name = "FIELDS")]
    pub(crate) order_by: Option<String>,
    /// Show at most this many results (default: all, fetching every page).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// How many results to ask the service for per page (default: the service's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub(crate) page_size: Option<i32>,
}

/// The flags of every `update` command besides the resource's own.
#[derive(Debug, Clone, Args)]
pub(crate) struct UpdateArgs {
    /// The fields to change, in the proto3 JSON mapping (a file, or - for stdin); only the
    /// fields present in it (and the flags) are considered.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The fields to update, comma-separated (camelCase or snake_case). Listed fields
    /// absent from --config and the flags are cleared. Default: every updatable field that
    /// differs from the current resource.
    #[arg(long, value_name = "PATHS", value_delimiter = ',')]
    pub(crate) update_mask: Vec<String>,
    #[command(flatten)]
    pub(crate) wait: WaitArgs,
}

/// The name of an `R` from an ID (under the parent the flags name) or a full name.
pub(crate) fn name_of<R: Resource>(
    ctx: &Ctx,
    arg: &str,
    channel: Option<&str>,
) -> Result<R::Name, CliError> {
    ctx.resolve::<R::Name>(arg, R::PARENT, R::COLLECTION, channel)
}

/// The last segment of a resource name (its ID).
pub(crate) fn short(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// `describe`: prints one resource (YAML by default).
pub(crate) async fn describe<R: Resource>(
    ctx: &Ctx,
    arg: &str,
    channel: Option<&str>,
) -> Result<(), CliError> {
    let name = name_of::<R>(ctx, arg, channel)?;
    let resource = R::get(&ctx.client, &name).await?;
    output::print_one(&resource, ctx.format(Format::Yaml))
}

/// `list`: prints every resource under the parent (a table by default).
pub(crate) async fn list<R: List>(
    ctx: &Ctx,
    args: &ListArgs,
    channel: Option<&str>,
) -> Result<(), CliError> {
    if args.order_by.is_some() && !R::ORDER_BY {
        return Err(CliError::usage(format!(
            "{}s cannot be ordered: --order-by is not supported here",
            R::KIND
        )));
    }
    let parent = ctx.parent(R::PARENT, channel)?;
    let items = R::list(&ctx.client, parent, args).await?;
    output::print_list(&items, ctx.format(Format::Table))
}

/// `create`: creates `body` as `arg` (an ID or full name), waits unless `--async`, and
/// prints the new resource. `body` has been built and checked before this is called.
pub(crate) async fn create<R: Create>(
    ctx: &Ctx,
    arg: &str,
    channel: Option<&str>,
    body: R,
    wait: &WaitArgs,
) -> Result<(), CliError> {
    let name = name_of::<R>(ctx, arg, channel)?;
    let name = name.to_string();
    let (parent, id) = name
        .rsplit_once(&format!("/{}/", R::COLLECTION))
        .ok_or_else(|| CliError::usage(format!("{name} is not a {} name", R::KIND)))?;
    let what = format!("Creating {} {id}", R::KIND);
    let created = R::create(&ctx.client, parent.to_owned(), id.to_owned(), body).await?;
    let resource = match created {
        Created::Done(resource) => resource,
        Created::Operation(op) => match wait::finish(ctx, *op, wait, &what, None).await? {
            Some(resource) => resource,
            None => return Ok(()),
        },
    };
    eprintln!("Created {} [{id}].", R::KIND);
    output::print_one(&resource, ctx.format(Format::Yaml))
}

/// `delete`: deletes, and waits unless `--async`.
pub(crate) async fn delete<R: Delete>(
    ctx: &Ctx,
    arg: &str,
    channel: Option<&str>,
    force: bool,
    wait: &WaitArgs,
) -> Result<(), CliError> {
    let name = name_of::<R>(ctx, arg, channel)?;
    let shown = name.to_string();
    let id = short(&shown);
    if let Some(op) = R::delete(&ctx.client, &name, force).await? {
        let what = format!("Deleting {} {id}", R::KIND);
        if wait::finish(ctx, op, wait, &what, None).await?.is_none() {
            return Ok(());
        }
    }
    eprintln!("Deleted {} [{id}].", R::KIND);
    Ok(())
}

/// `update`: reads the current resource, completes `patch` (built from `--config` and the
/// flags) with `complete`, which may look at the current resource, works out the mask,
/// sends the update, waits unless `--async`, and prints the result.
///
/// Without `--update-mask` the patch's fields replace the current ones and the mask is
/// every updatable field that changed ([`field_mask::diff`]); when nothing changes, nothing
/// is sent. With `--update-mask` the patch is sent as it is with that mask, so listed
/// fields absent from it are cleared.
pub(crate) async fn update<R: Update>(
    ctx: &Ctx,
    name: &R::Name,
    args: &UpdateArgs,
    mut patch: R,
    complete: impl FnOnce(&mut R, &R) -> Result<(), CliError>,
) -> Result<(), CliError> {
    // Local checks first: nothing is sent for a bad mask.
    let explicit = if args.update_mask.is_empty() {
        None
    } else {
        Some(field_mask::validate_paths::<R>(&args.update_mask)?)
    };
    let current = R::get(&ctx.client, name).await?;
    complete(&mut patch, &current)?;
    let id = short(current.name());
    let (body, mask) = match explicit {
        Some(mask) => (patch, mask),
        None => {
            let merged = overlay(&current, &patch)?;
            warn_not_updatable(&current, &patch)?;
            let mask = field_mask::diff(&current, &merged)?;
            if mask.is_empty() {
                eprintln!("No changes to {} [{id}]; nothing was sent.", R::KIND);
                return output::print_one(&current, ctx.format(Format::Yaml));
            }
            (merged, mask)
        }
    };
    let body = body.with_name(current.name());
    let what = format!("Updating {} {id} ({})", R::KIND, mask.join(", "));
    let op = R::update(&ctx.client, body, mask).await?;
    if let Some(resource) = wait::finish(ctx, op, &args.wait, &what, None).await? {
        eprintln!("Updated {} [{id}].", R::KIND);
        output::print_one(&resource, ctx.format(Format::Yaml))?;
    }
    Ok(())
}

/// `current` with every field present in `patch` replaced by the patch's.
fn overlay<R: Resource>(current: &R, patch: &R) -> Result<R, CliError> {
    let mut merged = reflect::to_dynamic(current)?;
    let patch = reflect::to_dynamic(patch)?;
    for field in patch.descriptor().fields() {
        if patch.has_field(&field) {
            merged.set_field(&field, patch.get_field(&field).into_owned());
        }
    }
    Ok(reflect::from_dynamic(&merged)?)
}

/// Warns about fields the patch sets to a new value that an update cannot change.
fn warn_not_updatable<R: Update>(current: &R, patch: &R) -> Result<(), CliError> {
    let current = reflect::to_dynamic(current)?;
    let patch = reflect::to_dynamic(patch)?;
    let ignored: Vec<String> = patch
        .descriptor()
        .fields()
        .filter(|f| {
            patch.has_field(f)
                && !R::UPDATABLE_PATHS.contains(&f.name())
                && f.name() != "name"
                && patch.get_field(f) != current.get_field(f)
        })
        .map(|f| f.json_name().to_owned())
        .collect();
    if !ignored.is_empty() {
        eprintln!(
            "Warning: ignoring {}: an update cannot change {}; updatable: {}.",
            ignored.join(", "),
            if ignored.len() == 1 { "it" } else { "them" },
            R::UPDATABLE_PATHS.join(", ")
        );
    }
    Ok(())
}

/// The `name` field every resource has (the Update RPCs route on it).
pub(crate) trait WithName {
    /// The resource's name.
    fn name(&self) -> &str;
    /// The resource with `name` set.
    fn with_name(self, name: &str) -> Self;
}

/// The resource argument of describe-like commands.
#[derive(Debug, Clone, Args)]
pub(crate) struct Target {
    /// The resource's ID, or its full resource name.
    #[arg(value_name = "ID|NAME")]
    pub(crate) name: String,
}

/// `--channel`, for events, clips and DVR sessions.
#[derive(Debug, Clone, Args)]
pub(crate) struct InChannel {
    /// The parent channel: an ID in --project and --location, or a full channel name (not
    /// needed when the resource is given by full name).
    #[arg(long, value_name = "CHANNEL")]
    pub(crate) channel: Option<String>,
}

/// The flags of `delete` commands.
#[derive(Debug, Clone, Args)]
pub(crate) struct DeleteArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) wait: WaitArgs,
}

/// `--config` and `--labels`, the flags every `create` shares.
#[derive(Debug, Clone, Args)]
pub(crate) struct BodyArgs {
    /// The resource, in the proto3 JSON mapping (the REST API's JSON, as in Google's
    /// documentation, or `--format json` output): a file, or - for stdin. Flags given
    /// as well override its fields.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Labels to set, as KEY=VALUE pairs separated by commas.
    #[arg(long, value_name = "KEY=VALUE", value_delimiter = ',', value_parser = crate::config::parse_label)]
    pub(crate) labels: Vec<(String, String)>,
}

impl BodyArgs {
    /// The `--config` body (or the default), with `--labels` added to `labels(body)`.
    pub(crate) fn load<R: prost::Message + prost::Name + Default>(
        &self,
        labels: impl FnOnce(&mut R) -> &mut std::collections::HashMap<String, String>,
    ) -> Result<R, CliError> {
        let mut body: R = crate::config::load_optional(self.config.as_ref())?.unwrap_or_default();
        labels(&mut body).extend(self.labels.iter().cloned());
        Ok(body)
    }

    /// Whether `--config` was given.
    pub(crate) fn has_config(&self) -> bool {
        self.config.is_some()
    }
}

impl UpdateArgs {
    /// The `--config` patch, or an empty one.
    pub(crate) fn load<R: prost::Message + prost::Name + Default>(&self) -> Result<R, CliError> {
        Ok(crate::config::load_optional(self.config.as_ref())?.unwrap_or_default())
    }
}

impl InChannel {
    /// `--channel`, if given.
    pub(crate) fn get(&self) -> Option<&str> {
        self.channel.as_deref()
    }
}

/// A resource of a channel (event, clip, DVR session): by ID with --channel, or by full
/// name.
#[derive(Debug, Clone, Args)]
pub(crate) struct ChildTarget {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) channel: InChannel,
}

/// `list` of a channel's resources.
#[derive(Debug, Clone, Args)]
pub(crate) struct ChildListArgs {
    #[command(flatten)]
    pub(crate) channel: InChannel,
    #[command(flatten)]
    pub(crate) list: ListArgs,
}

/// `delete` of a channel's resource whose deletion is long-running.
#[derive(Debug, Clone, Args)]
pub(crate) struct ChildDeleteArgs {
    #[command(flatten)]
    pub(crate) child: ChildTarget,
    #[command(flatten)]
    pub(crate) wait: WaitArgs,
}

/// `--manifest-key`: manifests of the channel (clips and DVR sessions).
#[derive(Debug, Clone, Args)]
pub(crate) struct ManifestKeys {
    /// The keys of the channel's manifests to use, comma-separated (e.g. manifest_hls).
    #[arg(long = "manifest-key", value_name = "KEYS", value_delimiter = ',')]
    pub(crate) keys: Vec<String>,
}

impl ManifestKeys {
    /// Replaces `list` with one `make(key)` per key, if keys were given.
    pub(crate) fn replace<T>(&self, list: &mut Vec<T>, make: impl Fn(String) -> T) {
        if !self.keys.is_empty() {
            *list = self.keys.iter().cloned().map(make).collect();
        }
    }
}
