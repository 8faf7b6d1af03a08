//! A typed mock of the Live Stream API, for unit tests of code that calls it.
//!
//! Where the [emulator](crate::emulator) behaves like the service, a [`Mock`] answers what the
//! test says, RPC by RPC: a fixed response, a sequence, a function of the typed request, an
//! error with `google.rpc` details ([`Failure`]), or for long-running RPCs an operation that
//! is done, failed, or pending for a number of polls (the mock answers `GetOperation`
//! itself). It records every request with its metadata, checks call counts, and serves the
//! three services (`LivestreamService`, `Operations`, `Locations`) in-process
//! ([`Mock::service`], for [`Client::from_service`](crate::Client::from_service) or a
//! generated client) or on a loopback port ([`Mock::serve`]). Everything is derived from the
//! API table, so every one of the 41 RPCs can be mocked, and the answer's type is checked at
//! compile time.
//!
//! ```
//! use livestream_grpc::mock::{Failure, Mock};
//! use livestream_grpc::names::ChannelName;
//! use livestream_grpc::v1::{channel::StreamingState, Channel, CreateEventRequest};
//! use livestream_grpc::Client;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = Mock::new();
//! mock.get_channel()
//!     .returns(Channel { streaming_state: StreamingState::StreamingError as i32, ..Default::default() })
//!     .times(1);
//! mock.create_event().fails(Failure::quota("events per channel", "limit is 100"));
//! let client = Client::from_service(mock.service());
//!
//! let name: ChannelName = "projects/p/locations/us-central1/channels/c".parse()?;
//! let channel = client.get_channel(&name).await?;
//! assert_eq!(channel.streaming_state(), StreamingState::StreamingError);
//! let request = CreateEventRequest { parent: name.to_string(), event_id: "ad".into(), ..Default::default() };
//! let err = client.create_event(request).await.unwrap_err();
//! assert!(err.is_resource_exhausted());
//! assert_eq!(mock.create_event().requests()[0].event_id, "ad");
//! # Ok(()) }
//! // Dropping the last `Mock` handle checks the expectations (here: GetChannel called once).
//! ```
//!
//! **What answers a call.** The next one-shot answer set for the RPC ([`RpcMock::returns_once`],
//! [`fails_once`](RpcMock::fails_once), [`returns_seq`](RpcMock::returns_seq),
//! [`answer_once`](RpcMock::answer_once)), in order; when none is left, the repeating answer
//! ([`returns`](RpcMock::returns), [`fails`](RpcMock::fails), [`answers`](RpcMock::answers),
//! [`done_with`](RpcMock::done_with), [`pending_for`](RpcMock::pending_for), ...). An RPC with
//! nothing set answers `UNIMPLEMENTED` naming it; one whose one-shot answers are used up,
//! `INTERNAL`. `GetOperation`, `WaitOperation`, `CancelOperation` and `DeleteOperation`
//! answer for the operations the mock created without being set (after their one-shot
//! answers, if any, so that a test can make a poll fail).
//!
//! **Expectations.** [`RpcMock::times`] and [`RpcMock::never`] set call counts. When the last
//! `Mock` handle is dropped (the service it handed out does not count), the mock checks them,
//! and also that no call went to an RPC with no answer or beyond the one-shot answers, and
//! **panics** with a message listing what was wrong, what was called and what was set but
//! not called (unless the thread is already panicking: a failed test reports its own
//! failure). [`Mock::verify`] runs the same check without panicking. A misspelled RPC is a
//! compile error, with rustc's suggestion:
//!
//! ```compile_fail
//! let mock = livestream_grpc::mock::Mock::new();
//! mock.get_chanel(); // error: no method named `get_chanel`; help: there is a method `get_channel`
//! ```
//!
//! **Time.** Delays ([`RpcMock::delay`], [`Answer::delayed`]) sleep on tokio's clock, so
//! with `tokio::time::pause()` (or `#[tokio::test(start_paused = true)]`) timeouts, retries
//! and LRO polling take no real time.
//!
//! A closure given to [`RpcMock::answers`] may use the mock (to read its requests, say), but
//! a `Mock` it captures keeps the mock alive, so the check on drop would not run: call
//! [`Mock::verify`] at the end of such a test.

mod answer;
mod failure;
mod operations;
mod recorded;
mod report;
mod service;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use tonic::service::Routes;

pub use answer::{Answer, RpcMock};
pub use failure::Failure;
pub use recorded::Recorded;
pub use report::VerifyError;

use crate::methods::{Method, Request};
use service::MockService;
use state::State;

/// A mock of the Live Stream API (see the [module docs](self)). Cheap to clone: every clone
/// is a handle on the same mock, so a test keeps one while the client owns the service.
#[derive(Clone)]
pub struct Mock {
    handle: Arc<Handle>,
}

/// The test's side of the mock: when the last one goes, the expectations are checked.
struct Handle {
    state: Arc<State>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(unmet) = self.state.verify() {
            panic!("{unmet}");
        }
    }
}

impl Default for Mock {
    fn default() -> Self {
        Mock::new()
    }
}

impl std::fmt::Debug for Mock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mock")
            .field("set", &self.state().configured())
            .field("calls", &self.state().calls().len())
            .finish()
    }
}

impl Mock {
    /// A mock with nothing set: every RPC answers `UNIMPLEMENTED`.
    pub fn new() -> Mock {
        Mock {
            handle: Arc::new(Handle {
                state: Arc::new(State::new()),
            }),
        }
    }

    fn state(&self) -> &Arc<State> {
        &self.handle.state
    }

    /// The mock of the RPC whose request is `R`: set its answers, expected calls and delay,
    /// read its requests. Each RPC also has a method of its own
    /// ([`get_channel`](Self::get_channel), ...) that does the same.
    pub fn on<R: Request>(&self) -> RpcMock<R> {
        RpcMock::new(Arc::clone(self.state()))
    }

    /// The requests the RPC of `R` received, in order, with their metadata.
    pub fn requests<R: Request>(&self) -> Vec<Recorded<R>> {
        self.on::<R>().requests()
    }

    /// How many calls `method` received.
    pub fn call_count(&self, method: Method) -> usize {
        self.state().call_count(method)
    }

    /// Every call received, in order.
    pub fn calls(&self) -> Vec<Method> {
        self.state().calls()
    }

    /// Checks the expectations now (as dropping the last handle does, but without
    /// panicking): call counts set with `times` or `never`, calls of RPCs with no answer
    /// set, and calls beyond the one-shot answers.
    ///
    /// ```
    /// use livestream_grpc::mock::Mock;
    /// use livestream_grpc::v1::Channel;
    ///
    /// let mock = Mock::new();
    /// mock.get_channel().returns(Channel::default()).times(2);
    /// let unmet = mock.verify().unwrap_err();
    /// assert_eq!(unmet.to_string(), "the mock's expectations were not met:\n  \
    ///     - GetChannel: expected 2 calls, got 0\n\
    ///     calls received, in order: none\n\
    ///     set but never called: GetChannel");
    /// mock.reset(); // or the drop would panic with that message
    /// ```
    pub fn verify(&self) -> Result<(), VerifyError> {
        self.state().verify()
    }

    /// Forgets everything: answers, expectations, delays, recorded calls and operations.
    pub fn reset(&self) {
        self.state().reset();
    }

    /// The three services as one tower service, for in-process use without a socket: hand
    /// it to [`Client::from_service`](crate::Client::from_service) or to a generated client
    /// (`LivestreamServiceClient::new(mock.service())`). It shares the mock's state but is
    /// not a handle: dropping it checks nothing.
    ///
    /// ```
    /// use livestream_grpc::mock::Mock;
    /// use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
    /// use livestream_grpc::v1::{Input, GetInputRequest};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tonic::Status> {
    /// let mock = Mock::new();
    /// mock.get_input().answers(|request| Ok(Input { name: request.name.clone(), ..Default::default() }));
    /// let mut raw = LivestreamServiceClient::new(mock.service());
    /// let input = raw
    ///     .get_input(GetInputRequest { name: "projects/p/locations/l/inputs/i".into(), ..Default::default() })
    ///     .await?
    ///     .into_inner();
    /// assert_eq!(input.name, "projects/p/locations/l/inputs/i");
    /// # Ok(()) }
    /// ```
    pub fn service(&self) -> Routes {
        use crate::location::locations_server::LocationsServer;
        use crate::longrunning::operations_server::OperationsServer;
        use crate::v1::livestream_service_server::LivestreamServiceServer;
        let service = MockService {
            state: Arc::clone(self.state()),
        };
        Routes::new(LivestreamServiceServer::new(service.clone()))
            .add_service(OperationsServer::new(service.clone()))
            .add_service(LocationsServer::new(service))
            .prepare()
    }

    /// Serves the mock on `127.0.0.1` on a free port, for code that opens its own channel;
    /// it stops when the returned [`MockServer`] is dropped.
    ///
    /// ```
    /// use livestream_grpc::mock::Mock;
    /// use livestream_grpc::v1::Pool;
    /// use livestream_grpc::Client;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mock = Mock::new();
    /// mock.get_pool().returns(Pool::default());
    /// let server = mock.serve().await?;
    /// let client = Client::builder().with_endpoint(server.endpoint()).build().await?;
    /// let name = "projects/p/locations/l/pools/default".parse::<livestream_grpc::names::PoolName>()?;
    /// client.get_pool(&name).await?;
    /// assert_eq!(mock.get_pool().call_count(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn serve(&self) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let endpoint = format!("http://{address}");
        let channel = tonic::transport::Endpoint::from_shared(endpoint.clone())
            .map_err(std::io::Error::other)?
            .connect_lazy();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(
            tonic::transport::Server::builder()
                .add_routes(self.service())
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                }),
        );
        Ok(MockServer {
            address,
            endpoint,
            channel,
            _stop: stop,
            task,
        })
    }
}

/// One method per RPC, named after it: `mock.get_channel()` is `mock.on::<GetChannelRequest>()`.
macro_rules! rpc_methods {
    ($( [ service: $svc:ident, rpc: $rpc:ident, method: $method:ident, request: $req:ty,
          $($more:tt)* ] )*) => {
        impl Mock {
            $(
                #[doc = concat!(
                    "The mock of `", stringify!($rpc), "`: the same as `mock.on::<",
                    stringify!($rpc), "Request>()`."
                )]
                pub fn $method(&self) -> RpcMock<$req> {
                    self.on()
                }
            )*
        }
    };
}

for_each_rpc!(rpc_methods);

/// A [`Mock`] served on a loopback port by [`Mock::serve`]; stops serving when dropped.
#[derive(Debug)]
pub struct MockServer {
    address: SocketAddr,
    endpoint: String,
    channel: tonic::transport::Channel,
    /// Dropping it ends the server.
    _stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl MockServer {
    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// A (lazily connected) channel to the server, for any generated client.
    pub fn channel(&self) -> tonic::transport::Channel {
        self.channel.clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // Connections a client keeps open must not keep the server alive.
        self.task.abort();
    }
}
