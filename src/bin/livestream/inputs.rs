//! `livestream inputs`: the endpoints encoders stream to.

use clap::{Args, Subcommand, ValueEnum};
use livestream_grpc::v1::{Input, PreviewInputRequest, input};

use crate::context::Ctx;
use crate::errors::CliError;
use crate::output::{self, Column, Format, Printable};
use crate::resource::{
    self, BodyArgs, DeleteArgs, ListArgs, Target, UpdateArgs, impl_create, impl_delete, impl_list,
    impl_resource, impl_update,
};
use crate::wait::WaitArgs;

impl_resource!(Input, "input", "inputs", Location, InputName, get_input);
impl_list!(Input, list_inputs, ListInputsRequest);
impl_create!(
    Input,
    create_input,
    CreateInputRequest,
    input_id,
    input,
    lro
);
impl_delete!(Input, delete_input, DeleteInputRequest, lro);
impl_update!(Input, update_input, UpdateInputRequest, input);

impl Printable for Input {
    fn columns() -> Vec<Column<Self>> {
        vec![
            Column::id(),
            Column::new("TYPE", |i| i.r#type().as_str_name().to_owned()),
            Column::new("TIER", |i| i.tier().as_str_name().to_owned()),
            Column::new("URI", |i| i.uri.clone()),
        ]
    }
}

/// `livestream inputs ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create an input (an RTMP or SRT endpoint for an encoder).
    #[command(after_help = "\
Examples:
  livestream inputs create my-input --type rtmp-push --tier hd
  livestream inputs create my-srt-input --config input.json --labels team=video")]
    Create(CreateArgs),
    /// List the inputs of the location.
    List(ListArgs),
    /// Show an input.
    Describe(Target),
    /// Change an input's tier, preprocessing or security rules.
    #[command(after_help = "\
Examples:
  livestream inputs update my-input --tier uhd
  livestream inputs update my-input --config patch.json --update-mask securityRules")]
    Update(UpdateInputArgs),
    /// Delete an input (no channel may use it).
    Delete(DeleteArgs),
    /// Show the preview URI of an input's stream (the bearer token only with --show-token).
    Preview(PreviewArgs),
}

/// The protocol of an input.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum InputType {
    /// RTMP push (`rtmp://…`).
    RtmpPush,
    /// SRT push (`srt://…`).
    SrtPush,
}

/// An input's maximum resolution and frame rate.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Tier {
    /// Up to 720x480, 60 fps.
    Sd,
    /// Up to 1920x1080, 60 fps.
    Hd,
    /// Up to 4096x2160, 60 fps.
    Uhd,
}

impl From<Tier> for input::Tier {
    fn from(tier: Tier) -> Self {
        match tier {
            Tier::Sd => input::Tier::Sd,
            Tier::Hd => input::Tier::Hd,
            Tier::Uhd => input::Tier::Uhd,
        }
    }
}

/// `inputs create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The new input's ID (or full resource name).
    #[arg(value_name = "ID|NAME")]
    name: String,
    /// The protocol encoders push with [default: rtmp-push, unless --config sets it].
    #[arg(long = "type", value_enum)]
    kind: Option<InputType>,
    /// The tier [default: the service's, HD].
    #[arg(long, value_enum)]
    tier: Option<Tier>,
    #[command(flatten)]
    body: BodyArgs,
    #[command(flatten)]
    wait: WaitArgs,
}

/// `inputs update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateInputArgs {
    #[command(flatten)]
    target: Target,
    /// The new tier.
    #[arg(long, value_enum)]
    tier: Option<Tier>,
    #[command(flatten)]
    update: UpdateArgs,
}

/// `inputs preview`.
#[derive(Debug, Args)]
pub(crate) struct PreviewArgs {
    #[command(flatten)]
    target: Target,
    /// Also print the bearer token (a credential: anyone holding it can watch the stream).
    #[arg(long)]
    show_token: bool,
}

/// Runs an `inputs` command.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Create(args) => {
            let mut body: Input = args.body.load::<Input>(|i| &mut i.labels)?;
            match args.kind {
                Some(InputType::RtmpPush) => body.set_type(input::Type::RtmpPush),
                Some(InputType::SrtPush) => body.set_type(input::Type::SrtPush),
                None if body.r#type == 0 => body.set_type(input::Type::RtmpPush),
                None => {}
            }
            if let Some(tier) = args.tier {
                body.set_tier(tier.into());
            }
            resource::create(ctx, &args.name, None, body, &args.wait).await
        }
        Command::List(args) => resource::list::<Input>(ctx, &args, None).await,
        Command::Describe(target) => resource::describe::<Input>(ctx, &target.name, None).await,
        Command::Update(args) => {
            let mut patch: Input = args.update.load()?;
            if let Some(tier) = args.tier {
                patch.set_tier(tier.into());
            }
            let name = resource::name_of::<Input>(ctx, &args.target.name, None)?;
            resource::update(ctx, &name, &args.update, patch, |_, _| Ok(())).await
        }
        Command::Delete(args) => {
            resource::delete::<Input>(ctx, &args.target.name, None, false, &args.wait).await
        }
        Command::Preview(args) => {
            let name = resource::name_of::<Input>(ctx, &args.target.name, None)?;
            let mut preview = ctx
                .client
                .preview_input(PreviewInputRequest {
                    name: name.to_string(),
                    ..Default::default()
                })
                .await?;
            if !args.show_token && !preview.bearer_token.is_empty() {
                preview.bearer_token = "(hidden; pass --show-token to print it)".to_owned();
            }
            let value = output::to_json(&preview)?;
            output::emit(&output::render_value(&value, ctx.format(Format::Yaml)))
        }
    }
}
