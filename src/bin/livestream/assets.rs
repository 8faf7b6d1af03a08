//! `livestream assets`: videos (slates) and images (overlays) channels can use.

use clap::{Args, Subcommand};
use livestream_grpc::v1::Asset;
use livestream_grpc::v1::asset::{ImageAsset, Resource as Media, VideoAsset};

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{Column, Printable};
use crate::resource::{
    self, BodyArgs, DeleteArgs, ListArgs, Target, impl_create, impl_delete, impl_list,
    impl_resource,
};
use crate::wait::WaitArgs;

impl_resource!(Asset, "asset", "assets", Location, AssetName, get_asset);
impl_list!(Asset, list_assets, ListAssetsRequest);
impl_create!(
    Asset,
    create_asset,
    CreateAssetRequest,
    asset_id,
    asset,
    lro
);
impl_delete!(Asset, delete_asset, DeleteAssetRequest, lro);

impl Printable for Asset {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("TYPE", |a| match a.resource {
                Some(Media::Video(_)) => "video".to_owned(),
                Some(Media::Image(_)) => "image".to_owned(),
                None => String::new(),
            }),
            Column::new("URI", |a| match &a.resource {
                Some(Media::Video(v)) => v.uri.clone(),
                Some(Media::Image(i)) => i.uri.clone(),
                None => String::new(),
            }),
            Column::new("STATE", |a| a.state().as_str_name().to_owned()),
        ]
    }
}

/// `livestream assets ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create an asset from a video or an image in Cloud Storage.
    #[command(after_help = "\
Examples:
  livestream assets create my-slate --video-uri gs://my-bucket/slate.mp4
  livestream assets create my-logo --image-uri gs://my-bucket/logo.png --labels team=video")]
    Create(CreateArgs),
    /// List the assets of the location.
    List(ListArgs),
    /// Show an asset.
    Describe(Target),
    /// Delete an asset (no channel or running slate may use it).
    Delete(DeleteArgs),
}

/// The asset's media: one of the two, unless --config gives it.
#[derive(Debug, Args)]
#[group(id = "media", multiple = false)]
pub(crate) struct MediaFlags {
    /// A video (for slates), e.g. gs://my-bucket/slate.mp4.
    #[arg(long, value_name = "URI")]
    video_uri: Option<String>,
    /// An image (for overlays), e.g. gs://my-bucket/logo.png.
    #[arg(long, value_name = "URI")]
    image_uri: Option<String>,
}

/// `assets create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The new asset's ID (or full resource name).
    #[arg(value_name = "ID|NAME")]
    name: String,
    #[command(flatten)]
    media: MediaFlags,
    #[command(flatten)]
    body: BodyArgs,
    #[command(flatten)]
    wait: WaitArgs,
}

/// Runs an `assets` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Create(args) => {
            let mut body: Asset = args.body.load::<Asset>(|a| &mut a.labels)?;
            if let Some(uri) = &args.media.video_uri {
                body.resource = Some(Media::Video(VideoAsset { uri: uri.clone() }));
            } else if let Some(uri) = &args.media.image_uri {
                body.resource = Some(Media::Image(ImageAsset { uri: uri.clone() }));
            }
            if body.resource.is_none() {
                return Err(CliError::usage(
                    "an asset needs --video-uri or --image-uri (or --config)",
                ));
            }
            resource::create(ctx, &args.name, None, body, &args.wait).await
        }
        Command::List(args) => resource::list::<Asset>(ctx, &args, None).await,
        Command::Describe(target) => resource::describe::<Asset>(ctx, &target.name, None).await,
        Command::Delete(args) => {
            resource::delete::<Asset>(ctx, &args.target.name, None, false, &args.wait).await
        }
    }
}
