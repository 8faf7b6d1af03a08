//! Shared test scaffolding: `Fake`, one implementation of the three generated server traits
//! (`LivestreamService`, `Operations`, `Locations`), derived from `for_each_service!` so that it
//! answers every RPC. It records every call (method, metadata, request), can be scripted to
//! fail (before or after handling the request), to delay, or to answer through a handler,
//! and is served either over a `127.0.0.1:0` socket or in-process as the client's service.
//!
//! By default an RPC answers the default response message; a long-running RPC answers an
//! operation that is already done, with a default result of the right type.

#![allow(dead_code, unreachable_pub)]

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use livestream_grpc::Client;
use livestream_grpc::location::locations_server::LocationsServer;
use livestream_grpc::longrunning::operations_server::OperationsServer;
use livestream_grpc::v1::livestream_service_server::LivestreamServiceServer;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

type Handler =
    Arc<dyn Fn(Box<dyn Any + Send>) -> Result<Box<dyn Any + Send>, Status> + Send + Sync>;

/// One call the fake received.
pub struct Recorded {
    pub method: &'static str,
    pub metadata: MetadataMap,
    pub request: Box<dyn Any + Send>,
}

#[derive(Default)]
struct State {
    calls: Mutex<Vec<Recorded>>,
    before: Mutex<HashMap<&'static str, VecDeque<Status>>>,
    after: Mutex<HashMap<&'static str, VecDeque<Status>>>,
    delays: Mutex<HashMap<&'static str, Duration>>,
    handlers: Mutex<HashMap<&'static str, Handler>>,
    operations: AtomicUsize,
}

/// The fake server. Cheap to clone; clones share their state.
#[derive(Clone, Default)]
pub struct Fake {
    state: Arc<State>,
}

impl Fake {
    pub fn new() -> Self {
        Fake::default()
    }

    /// The three services as one tower service.
    pub fn routes(&self) -> tonic::service::Routes {
        tonic::service::Routes::new(LivestreamServiceServer::new(self.clone()))
            .add_service(OperationsServer::new(self.clone()))
            .add_service(LocationsServer::new(self.clone()))
    }

    /// A client calling the fake in-process (no socket).
    pub fn client(&self) -> Client {
        Client::from_service(self.routes())
    }

    /// Serves the fake on `127.0.0.1:0`; the server stops when the guard is dropped.
    pub async fn serve(&self) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let routes = self.routes();
        let task = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_routes(routes)
                .serve_with_incoming(incoming)
                .await
                .unwrap();
        });
        Served { addr, task }
    }

    /// Fails the next calls of `method` with these codes, before handling them.
    pub fn fail(&self, method: &'static str, codes: impl IntoIterator<Item = Code>) {
        self.fail_with(
            method,
            codes
                .into_iter()
                .map(|c| Status::new(c, format!("injected {c:?}"))),
        );
    }

    /// Fails the next calls of `method` with these statuses, before handling them.
    pub fn fail_with(&self, method: &'static str, statuses: impl IntoIterator<Item = Status>) {
        self.state
            .before
            .lock()
            .unwrap()
            .entry(method)
            .or_default()
            .extend(statuses);
    }

    /// Handles the next calls of `method`, then replaces their answers with these codes (the
    /// request took effect, the response was lost).
    pub fn fail_after(&self, method: &'static str, codes: impl IntoIterator<Item = Code>) {
        self.state
            .after
            .lock()
            .unwrap()
            .entry(method)
            .or_default()
            .extend(
                codes
                    .into_iter()
                    .map(|c| Status::new(c, "injected after handling")),
            );
    }

    /// Delays every answer of `method`.
    pub fn delay(&self, method: &'static str, delay: Duration) {
        self.state.delays.lock().unwrap().insert(method, delay);
    }

    /// Answers `method` with `handler`.
    pub fn on<Req, Resp>(
        &self,
        method: &'static str,
        handler: impl Fn(Req) -> Result<Resp, Status> + Send + Sync + 'static,
    ) where
        Req: Send + 'static,
        Resp: Send + 'static,
    {
        let handler: Handler = Arc::new(move |request: Box<dyn Any + Send>| {
            let request = request
                .downcast::<Req>()
                .map_err(|_| Status::internal("handler registered for another request type"))?;
            handler(*request).map(|r| Box::new(r) as Box<dyn Any + Send>)
        });
        self.state.handlers.lock().unwrap().insert(method, handler);
    }

    /// How many calls of `method` arrived.
    pub fn count(&self, method: &str) -> usize {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.method == method)
            .count()
    }

    /// The requests of `method`, in order.
    pub fn requests<Req: Clone + 'static>(&self, method: &str) -> Vec<Req> {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.method == method)
            .filter_map(|c| c.request.downcast_ref::<Req>().cloned())
            .collect()
    }

    /// The metadata of the calls of `method`, in order.
    pub fn metadata(&self, method: &str) -> Vec<MetadataMap> {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.method == method)
            .map(|c| c.metadata.clone())
            .collect()
    }

    /// Header `name` of call number `call` (0-based) of `method`.
    pub fn header(&self, method: &str, call: usize, name: &str) -> Option<String> {
        self.metadata(method)
            .get(call)?
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Every method called, in order.
    pub fn methods(&self) -> Vec<&'static str> {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.method)
            .collect()
    }

    /// A fresh operation name.
    pub fn operation_name(&self) -> String {
        let n = self.state.operations.fetch_add(1, Ordering::Relaxed);
        format!("projects/p/locations/us-central1/operations/operation-{n}")
    }

    /// Records the call, applies the script, and answers with the handler or `default`.
    async fn dispatch<Req, Resp>(
        &self,
        method: &'static str,
        request: tonic::Request<Req>,
        default: impl FnOnce(&Fake, &Req) -> Resp,
    ) -> Result<tonic::Response<Resp>, Status>
    where
        Req: Clone + Send + 'static,
        Resp: Send + 'static,
    {
        let (metadata, _, request) = request.into_parts();
        self.state.calls.lock().unwrap().push(Recorded {
            method,
            metadata,
            request: Box::new(request.clone()),
        });
        let delay = self.state.delays.lock().unwrap().get(method).copied();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        if let Some(status) = pop(&self.state.before, method) {
            return Err(status);
        }
        let handler = self.state.handlers.lock().unwrap().get(method).cloned();
        let response = match handler {
            Some(handler) => *handler(Box::new(request))?
                .downcast::<Resp>()
                .map_err(|_| Status::internal("handler returned another response type"))?,
            None => default(self, &request),
        };
        if let Some(status) = pop(&self.state.after, method) {
            return Err(status);
        }
        Ok(tonic::Response::new(response))
    }
}

fn pop(queue: &Mutex<HashMap<&'static str, VecDeque<Status>>>, method: &str) -> Option<Status> {
    queue
        .lock()
        .unwrap()
        .get_mut(method)
        .and_then(VecDeque::pop_front)
}

/// A done operation whose response is `result`.
pub fn done_operation<T: prost::Name>(
    name: String,
    result: &T,
) -> livestream_grpc::longrunning::Operation {
    livestream_grpc::longrunning::Operation {
        name,
        done: true,
        result: Some(livestream_grpc::longrunning::operation::Result::Response(
            prost_types::Any::from_msg(result).unwrap(),
        )),
        ..Default::default()
    }
}

/// The default answer of an RPC, by kind.
macro_rules! default_answer {
    (unary {} $resp:ty, $fake:ident) => {
        <$resp>::default()
    };
    (list { $items:ident, $item:ty } $resp:ty, $fake:ident) => {
        <$resp>::default()
    };
    (lro { $result:ty, $meta:ty } $resp:ty, $fake:ident) => {
        done_operation($fake.operation_name(), &<$result>::default())
    };
}

/// Implements one generated server trait for `Fake`, with the RPCs of that service.
macro_rules! fake_service {
    ($server:path; $( [ service: $svc:ident, rpc: $rpc:ident, method: $method:ident, request: $req:ty,
          response: $resp:ty, access: $access:ident, request_id: $rid:tt, kind: $kind:ident { $($k:tt)* }
          $($more:tt)* ] )*) => {
        #[tonic::async_trait]
        impl $server for Fake {
            $(
                async fn $method(&self, request: tonic::Request<$req>) -> Result<tonic::Response<$resp>, Status> {
                    self.dispatch(stringify!($rpc), request, |_fake, _request| default_answer!($kind { $($k)* } $resp, _fake)).await
                }
            )*
        }
    };
}

livestream_grpc::for_each_service!(fake_service);

/// A server on a socket; aborts when dropped.
pub struct Served {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client connected to this server with the default options.
    pub async fn client(&self) -> Client {
        Client::builder()
            .with_endpoint(self.endpoint())
            .build()
            .await
            .unwrap()
    }

    pub fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Endpoint::from_shared(self.endpoint())
            .unwrap()
            .connect_lazy()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `builder`, with `GetChannel` never retried (for failures that would otherwise be retried
/// on real time).
pub fn never_retry_get_channel(
    builder: livestream_grpc::ClientBuilder,
) -> livestream_grpc::ClientBuilder {
    builder.with_method_options(
        livestream_grpc::Method::GetChannel,
        livestream_grpc::policy::CallOptions::new()
            .with_retry_policy(livestream_grpc::policy::NeverRetry),
    )
}

/// Names used across the tests.
/// The `x-goog-request-params` value every RPC must carry (from the Python client's
/// table), for calls on the resources `ch`, `in`, `ad`, `highlight`, `replay`, `logo` and
/// `default` of `location`, and the operation `operation`.
pub fn expected_routing(
    method: livestream_grpc::Method,
    location: &livestream_grpc::names::LocationName,
    operation: &str,
) -> String {
    let loc = location.to_string();
    let project = loc.split('/').nth(1).unwrap_or_default();
    let ch = format!("{loc}/channels/ch");
    match method.name() {
        "CreateChannel" | "ListChannels" | "CreateInput" | "ListInputs" | "CreateAsset"
        | "ListAssets" => format!("parent={loc}"),
        "GetChannel" | "DeleteChannel" | "StartChannel" | "StopChannel" | "StartDistribution"
        | "StopDistribution" => format!("name={ch}"),
        "UpdateChannel" => format!("channel.name={ch}"),
        "GetInput" | "DeleteInput" | "PreviewInput" => format!("name={loc}/inputs/in"),
        "UpdateInput" => format!("input.name={loc}/inputs/in"),
        "CreateEvent" | "ListEvents" | "ListClips" | "CreateClip" | "CreateDvrSession"
        | "ListDvrSessions" => format!("parent={ch}"),
        "GetEvent" | "DeleteEvent" => format!("name={ch}/events/ad"),
        "GetClip" | "DeleteClip" => format!("name={ch}/clips/highlight"),
        "GetDvrSession" | "DeleteDvrSession" => format!("name={ch}/dvrSessions/replay"),
        "UpdateDvrSession" => format!("dvr_session.name={ch}/dvrSessions/replay"),
        "GetAsset" | "DeleteAsset" => format!("name={loc}/assets/logo"),
        "GetPool" => format!("name={loc}/pools/default"),
        "UpdatePool" => format!("pool.name={loc}/pools/default"),
        "ListOperations" | "GetLocation" => format!("name={loc}"),
        "GetOperation" | "DeleteOperation" | "CancelOperation" | "WaitOperation" => {
            format!("name={operation}")
        }
        "ListLocations" => format!("name=projects/{project}"),
        other => panic!("no expected routing header for {other}"),
    }
}

pub mod names {
    use livestream_grpc::names::*;

    pub fn location() -> LocationName {
        LocationName::new("p", "us-central1").unwrap()
    }

    pub fn channel() -> ChannelName {
        location().channel("c").unwrap()
    }
}
