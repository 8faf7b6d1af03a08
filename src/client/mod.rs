//! [`Client`]: every RPC of the Live Stream API and its Operations and Locations mixins,
//! with typed names, routing headers, retries, timeouts, LRO pollers and pagers.
//!
//! # Connecting
//!
//! ```no_run
//! # // no_run: connects to Google with Application Default Credentials, which CI lacks.
//! use livestream_grpc::Client;
//!
//! # async fn example() -> Result<(), livestream_grpc::Error> {
//! // https://livestream.googleapis.com with Application Default Credentials, or the emulator
//! // named by LIVESTREAM_EMULATOR_HOST (plaintext, anonymous) when it is set.
//! let client = Client::builder().build().await?;
//! # let _ = client;
//! # Ok(()) }
//! ```
//!
//! Or hand in a [`tonic::transport::Channel`] ([`Client::from_channel`]) or any
//! tonic-compatible service ([`Client::from_service`]): an in-process emulator, or your own
//! implementation of the generated server traits, for tests.
//!
//! # Calling
//!
//! Each RPC is a method taking its prost request (or anything that converts into it, such
//! as a typed name) and returning a [`Call`]: `.await` it, or set per-call options first.
//!
//! ```
//! use futures_util::StreamExt;
//! use livestream_grpc::names::LocationName;
//! use livestream_grpc::v1::{input, CreateInputRequest, Input};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! # let emulator = livestream_grpc::emulator::Emulator::builder().build();
//! # let client = livestream_grpc::Client::from_service(emulator.service());
//! let location = LocationName::new("my-project", "us-central1")?;
//! let operation = client
//!     .create_input(CreateInputRequest {
//!         parent: location.to_string(),
//!         input_id: "my-input".into(),
//!         input: Some(Input { r#type: input::Type::RtmpPush as i32, ..Default::default() }),
//!         ..Default::default()
//!     })
//!     .await?;
//! let input = operation.until_done().await?;         // polls until the input exists
//!
//! let name = location.input("my-input")?;
//! assert_eq!(client.get_input(&name).await?, input);   // a typed name converts into the request
//!
//! let mut inputs = client.list_inputs(&location).by_item();
//! while let Some(input) = inputs.next().await {
//!     println!("{}", input?.name);
//! }
//! # Ok(()) }
//! ```

mod builder;
mod call;
mod methods;

use std::sync::Arc;

use tonic::transport::Channel;

pub use builder::ClientBuilder;
pub use call::Call;
pub use methods::Rpc;

use crate::lro::{Operation, OperationSource};
use crate::methods::Method;
use crate::names::OperationName;
use crate::policy::{AdaptiveThrottler, CallOptions, PollingOptions, default_options};
use tower_layer::Layer as _;

use crate::transport::{HeadersLayer, TonicService, Transport, box_service};

/// A client of the Live Stream API: a cheap `Clone` handle (an `Arc`) over one connection
/// (HTTP/2 multiplexes concurrent calls), its per-method options, its retry throttler and
/// its polling options.
///
/// See the [module documentation](self) for an overview; every RPC method documents its
/// behaviour and has an example.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    grpc: tonic::client::Grpc<Transport>,
    /// Fully resolved options, indexed by `Method as usize`.
    methods: Vec<CallOptions>,
    polling: PollingOptions,
    description: String,
    /// The endpoint connected to, for the message of a connection failure (`None` for a
    /// channel or service handed in).
    target: Option<String>,
    universe_domain: String,
    /// Call spans at `INFO` instead of `DEBUG` ([`ClientBuilder::with_tracing`]).
    tracing: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.inner.description)
            .field("universe_domain", &self.inner.universe_domain)
            .field("polling", &self.inner.polling)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder: endpoint, credentials, headers, connection and call options.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client over your own channel, with the default options and no credentials (use
    /// [`ClientBuilder::build_with_channel`] to add some).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:8085").connect_lazy();
    /// let client = livestream_grpc::Client::from_channel(channel);
    /// # let _ = client;
    /// # }
    /// ```
    pub fn from_channel(channel: Channel) -> Client {
        Client::assemble(
            Transport::Channel(HeadersLayer::new().layer(channel)),
            ClientBuilder::new(),
            "channel".to_owned(),
            None,
            crate::transport::DEFAULT_UNIVERSE_DOMAIN.to_owned(),
        )
    }

    /// A client over any tonic-compatible service, boxed once: an in-process emulator, a
    /// `tonic::service::Routes` of your own implementations of the generated server traits
    /// (methods you do not implement answer `UNIMPLEMENTED`), or a channel with your own
    /// tower layers. Default options, no credentials (see
    /// [`ClientBuilder::build_with_service`]).
    ///
    /// ```
    /// use livestream_grpc::v1::livestream_service_server::{LivestreamService, LivestreamServiceServer};
    /// use livestream_grpc::v1::{Channel, GetChannelRequest};
    /// use livestream_grpc::names::ChannelName;
    ///
    /// struct Fake;
    /// #[tonic::async_trait]
    /// impl LivestreamService for Fake {
    ///     async fn get_channel(
    ///         &self,
    ///         request: tonic::Request<GetChannelRequest>,
    ///     ) -> Result<tonic::Response<Channel>, tonic::Status> {
    ///         let name = request.into_inner().name;
    ///         Ok(tonic::Response::new(Channel { name, ..Default::default() }))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), livestream_grpc::Error> {
    /// let routes = tonic::service::Routes::new(LivestreamServiceServer::new(Fake));
    /// let client = livestream_grpc::Client::from_service(routes);
    /// let name = ChannelName::new("p", "us-central1", "c")?;
    /// let channel = client.get_channel(&name).await?;
    /// assert_eq!(channel.name, name.to_string());
    /// let err = client.get_input(&name.parent().input("i")?).await.unwrap_err();
    /// assert_eq!(err.code(), tonic::Code::Unimplemented);
    /// # Ok(()) }
    /// ```
    pub fn from_service<S: TonicService>(service: S) -> Client {
        Client::assemble(
            Transport::Boxed(box_service(HeadersLayer::new().layer(service))),
            ClientBuilder::new(),
            "service".to_owned(),
            None,
            crate::transport::DEFAULT_UNIVERSE_DOMAIN.to_owned(),
        )
    }

    /// Puts a client together from a transport and the builder's call and polling options.
    fn assemble(
        transport: Transport,
        builder: ClientBuilder,
        description: String,
        target: Option<String>,
        universe_domain: String,
    ) -> Client {
        // One throttler for every method of the client and its clones.
        let throttler = CallOptions::new().with_shared_retry_throttler(
            builder
                .throttler
                .clone()
                .unwrap_or_else(|| Arc::new(AdaptiveThrottler::default())),
        );
        let methods = Method::ALL
            .iter()
            .map(|&method| {
                let client_wide = builder
                    .call_options
                    .clone()
                    .or(&default_options(method))
                    .or(&throttler);
                builder
                    .method_options
                    .iter()
                    .rev()
                    .find(|(m, _)| *m == method)
                    .map_or(client_wide.clone(), |(_, o)| o.clone().or(&client_wide))
            })
            .collect();
        Client {
            inner: Arc::new(ClientInner {
                grpc: tonic::client::Grpc::new(transport),
                methods,
                polling: builder.polling,
                description,
                target,
                universe_domain,
                tracing: builder.tracing,
            }),
        }
    }

    /// The effective options of `method` on this client (defaults merged with the
    /// builder's): every setting is filled.
    pub fn method_options(&self, method: Method) -> &CallOptions {
        &self.inner.methods[method as usize]
    }

    /// The universe domain this client was built for (see
    /// [`ClientBuilder::with_universe_domain`]): `googleapis.com` unless configured.
    pub fn universe_domain(&self) -> &str {
        &self.inner.universe_domain
    }

    /// How this client polls long-running operations.
    pub fn polling_options(&self) -> &PollingOptions {
        &self.inner.polling
    }

    /// Resumes a long-running operation started by the RPC whose request is `R`, from its
    /// saved name: the result and metadata types are that RPC's
    /// ([`LroRequest::Result`](crate::methods::LroRequest::Result) and
    /// [`Metadata`](crate::methods::LroRequest::Metadata)), known at compile time, so
    /// `resume_operation::<CreateInputRequest>(name)` is an `Operation<Input,
    /// OperationMetadata>`. Nothing is sent until you [`poll`](Operation::poll) or
    /// [`wait`](Operation::wait).
    ///
    /// `name` is anything that displays as the operation's name: the `String` from
    /// [`Operation::name`], a `&str` or an [`OperationName`]. It is checked against the
    /// operation pattern before the first poll is sent (a malformed one is an
    /// [`ErrorKind::InvalidName`](crate::ErrorKind::InvalidName) error from that poll).
    ///
    /// ```
    /// # use livestream_grpc::{Client, emulator::{Emulator, LroTiming}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # let emulator = Emulator::builder().lro_timing(LroTiming::Manual).build();
    /// # let client = Client::from_service(emulator.service());
    /// use livestream_grpc::names::InputName;
    /// use livestream_grpc::v1::{input, CreateInputRequest, Input};
    ///
    /// let name: InputName = "projects/my-project/locations/us-central1/inputs/my-input".parse()?;
    /// let input = Input { r#type: input::Type::RtmpPush as i32, ..Default::default() };
    /// let saved: String = client.create_input((&name, input)).await?.name().to_owned();
    /// # emulator.complete_operation(&saved)?;
    ///
    /// // Later, perhaps in another process: the result type comes from the RPC.
    /// let input: Input = client.resume_operation::<CreateInputRequest>(&saved).until_done().await?;
    /// assert_eq!(input.name, name);
    /// # Ok(()) }
    /// ```
    pub fn resume_operation<R>(
        &self,
        name: impl std::fmt::Display,
    ) -> Operation<R::Result, R::Metadata>
    where
        R: crate::methods::LroRequest,
    {
        Operation::resume(
            Arc::new(self.clone()),
            self.polling_options().clone(),
            name.to_string(),
        )
    }

    /// Resumes a long-running operation from its name, as a `T` you choose: prefer
    /// [`resume_operation`](Self::resume_operation), which takes the result type from the
    /// RPC. When the operation is done, its result's `Any` type URL is checked against `T`:
    /// another type is an [`ErrorKind::Decode`](crate::ErrorKind::Decode) error naming
    /// both. Nothing is sent until you [`poll`](Operation::poll) or
    /// [`wait`](Operation::wait).
    ///
    /// ```
    /// use livestream_grpc::names::OperationName;
    /// use livestream_grpc::v1::Input;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # let emulator = livestream_grpc::emulator::Emulator::builder().build();
    /// # let client = livestream_grpc::Client::from_service(emulator.service());
    /// # let input = Input { r#type: livestream_grpc::v1::input::Type::RtmpPush as i32, ..Default::default() };
    /// # let input_name = "projects/my-project/locations/us-central1/inputs/my-input".parse::<livestream_grpc::names::InputName>()?;
    /// # let started = client.create_input((&input_name, input)).await?;
    /// // The name of an operation that creates an input:
    /// let name: OperationName = "projects/my-project/locations/us-central1/operations/operation-1".parse()?;
    /// # let name: OperationName = started.name().parse()?;
    /// let mut operation = client.operation::<Input>(&name);
    /// let input = operation.wait().await?;
    /// # assert_eq!(input.name, input_name);
    /// # Ok(()) }
    /// ```
    pub fn operation<T>(&self, name: &OperationName) -> Operation<T>
    where
        T: prost::Message + prost::Name + Default,
    {
        Operation::resume(
            Arc::new(self.clone()),
            self.polling_options().clone(),
            name.to_string(),
        )
    }

    /// The typed poller of an operation a long-running RPC returned, with the `request_id`
    /// of the call that started it.
    pub(crate) fn wrap_operation<T, M>(
        &self,
        operation: crate::longrunning::Operation,
        request_id: Option<&str>,
    ) -> Operation<T, M>
    where
        T: prost::Message + prost::Name + Default,
        M: prost::Message + prost::Name + Default,
    {
        Operation::new(
            Arc::new(self.clone()),
            self.polling_options().clone(),
            operation,
        )
        .with_request_id(request_id)
    }

    pub(crate) fn grpc(&self) -> tonic::client::Grpc<Transport> {
        self.inner.grpc.clone()
    }
}

/// An [`Operation`] polls and cancels through the client that started it, with that
/// client's options for `GetOperation` and `CancelOperation`.
impl OperationSource for Client {
    fn fetch(
        &self,
        name: String,
    ) -> crate::lro::BoxFuture<'_, Result<crate::longrunning::Operation, crate::Error>> {
        Box::pin(self.get_operation(get_operation_request(name)).send())
    }

    fn fetch_once(
        &self,
        name: String,
    ) -> crate::lro::BoxFuture<'_, Result<crate::longrunning::Operation, crate::Error>> {
        let call = self.get_operation(get_operation_request(name));
        Box::pin(call.with_retry_policy(crate::policy::NeverRetry).send())
    }

    fn cancel(&self, name: String) -> crate::lro::BoxFuture<'_, Result<(), crate::Error>> {
        let request = crate::longrunning::CancelOperationRequest {
            name,
            ..Default::default()
        };
        Box::pin(self.cancel_operation(request).send())
    }
}

fn get_operation_request(name: String) -> crate::longrunning::GetOperationRequest {
    crate::longrunning::GetOperationRequest {
        name,
        ..Default::default()
    }
}
