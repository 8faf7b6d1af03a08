//! The tonic service implementations of `LivestreamService`, `Operations` and `Locations`,
//! expanded from `for_each_service!` (the API table): every method counts and records the call, applies
//! injected latency and faults, handles `request_id`, then runs the method's synchronous
//! logic on the state under one lock (never held across an `.await`).

use std::mem::take;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::Shared;
use super::errors;
use super::faults::{RequestLog, Transport};
use super::store::{Saved, State, duration_of};
use crate::longrunning::{Operation, WaitOperationRequest};
use crate::methods::{Method, Request as ApiRequest};
use crate::v1::Event;
use crate::wire::{grpc_timeout, is_valid_request_id};

/// The emulated API, shared by the three generated servers.
#[derive(Clone, Debug)]
pub(crate) struct Service {
    pub(crate) shared: Arc<Shared>,
}

/// A response that can be answered again for a replayed `request_id`.
pub(crate) trait Replayable: Sized {
    fn save(&self) -> Saved;
    fn restore(saved: Saved, state: &State) -> Option<Self>;
}

impl Replayable for Operation {
    fn save(&self) -> Saved {
        Saved::Operation(self.clone())
    }

    /// The operation as it is now (it may have completed since), or as first answered if
    /// its record was deleted.
    fn restore(saved: Saved, state: &State) -> Option<Self> {
        match saved {
            Saved::Operation(op) => Some(
                state
                    .operations
                    .get(&op.name)
                    .map(|r| r.op.clone())
                    .unwrap_or(op),
            ),
            _ => None,
        }
    }
}

impl Replayable for Event {
    fn save(&self) -> Saved {
        Saved::Event(self.clone())
    }

    fn restore(saved: Saved, _state: &State) -> Option<Self> {
        match saved {
            Saved::Event(e) => Some(e),
            _ => None,
        }
    }
}

impl Replayable for () {
    fn save(&self) -> Saved {
        Saved::Empty
    }

    fn restore(saved: Saved, _state: &State) -> Option<Self> {
        matches!(saved, Saved::Empty).then_some(())
    }
}

/// Checks a request_id: a UUID other than the nil UUID (proto).
fn check_request_id(request_id: &str) -> Result<(), Status> {
    if is_valid_request_id(request_id) {
        return Ok(());
    }
    Err(errors::invalid(
        "request_id",
        "must be a valid UUID other than 00000000-0000-0000-0000-000000000000",
    ))
}

/// A change that could not be journaled (`--data-dir`): not acknowledged, so the caller
/// knows it may not survive a restart (EMULATOR.md, "Durability").
fn not_durable(error: std::io::Error) -> Status {
    Status::unavailable(format!(
        "the emulator could not make the change durable: {error}"
    ))
}

/// WaitOperation's default timeout when the request has none.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// How long before the caller's deadline WaitOperation answers (at most a tenth of it), so
/// that the answer arrives in time.
const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

impl Service {
    /// Counts and records the call, then applies the method's latency and faults: an error
    /// answers the call now; `Ok(Some(fault))` answers it with `fault` once handled (a lost
    /// response). The request log keeps `metadata`, taken from the request (nothing reads
    /// it after this) rather than cloned on every call.
    async fn enter(
        &self,
        rpc: Method,
        metadata: MetadataMap,
        request_id: Option<&str>,
        transport: Transport,
    ) -> Result<Option<Status>, Status> {
        let (log, rates) = self.shared.config(|c| {
            (
                RequestLog {
                    limit: c.request_log_limit,
                    credentials: c.record_credentials,
                },
                c.rate_limits,
            )
        });
        let injected =
            self.shared
                .controls
                .on_call(rpc as usize, metadata, request_id, transport, log);
        if !injected.latency.is_zero() {
            tokio::time::sleep(injected.latency).await;
        }
        if let Some(fault) = injected.before {
            return Err(fault);
        }
        if let Some(rates) = rates {
            self.shared
                .controls
                .check_rate(rpc as usize, &rates, self.shared.clock.now())?;
        }
        Ok(injected.after)
    }

    fn read<Req, Resp>(
        &self,
        req: Req,
        f: fn(&State, SystemTime, Req) -> Result<Resp, Status>,
    ) -> Result<Resp, Status> {
        let now = self.shared.clock.now();
        let state = self.shared.read(now);
        f(&state, now, req)
    }

    fn write<Req, Resp>(
        &self,
        req: Req,
        f: fn(&mut State, SystemTime, Req) -> Result<Resp, Status>,
    ) -> Result<Resp, Status> {
        let now = self.shared.clock.now();
        let result = self.shared.try_update(now, |state| f(state, now, req));
        self.shared.ops_changed.notify_waiters();
        result.map_err(not_durable)?
    }

    /// A mutation with a `request_id`: a replay within the window answers the first result
    /// and changes nothing; failed requests are not remembered. The replay key is the
    /// method, the request's routing value (its target or parent, read through the field
    /// accessor the API surface table generates) and the request_id.
    fn write_idempotent<Req: ApiRequest, Resp: Replayable>(
        &self,
        rpc: Method,
        request_id: String,
        req: Req,
        f: fn(&mut State, SystemTime, Req) -> Result<Resp, Status>,
    ) -> Result<Resp, Status> {
        if request_id.is_empty() {
            return self.write(req, f);
        }
        check_request_id(&request_id)?;
        let key = (rpc as usize, req.routing_value().to_owned(), request_id);
        let now = self.shared.clock.now();
        let result = self.shared.try_update(now, |state| {
            let window = state.config.request_id_window;
            match state
                .replays
                .get(&key, now, window)
                .and_then(|saved| Resp::restore(saved, state))
            {
                Some(replayed) => Ok(replayed),
                None => {
                    let result = f(state, now, req);
                    if let Ok(response) = &result {
                        state.replays.insert(key, response.save(), now);
                    }
                    result
                }
            }
        });
        self.shared.ops_changed.notify_waiters();
        result.map_err(not_durable)?
    }

    /// WaitOperation as a blocking poll: returns when the operation is done or the timeout
    /// (default 60 s) passes, sleeping on tokio time in between. The caller's own deadline
    /// (`grpc-timeout`) caps the wait, so that the latest state arrives a little before it
    /// rather than the call failing at it.
    async fn wait_operation(
        &self,
        req: WaitOperationRequest,
        deadline: Option<Duration>,
    ) -> Result<Operation, Status> {
        if !self.shared.config(|c| c.wait_operation) {
            return Err(Status::unimplemented(
                "WaitOperation is disabled in this emulator's configuration",
            ));
        }
        let requested = match &req.timeout {
            Some(t) => duration_of("timeout", t)?,
            None => DEFAULT_WAIT,
        };
        let timeout = match deadline {
            Some(d) => requested.min(d.saturating_sub(DEADLINE_MARGIN.min(d / 10))),
            None => requested,
        };
        let start = tokio::time::Instant::now();
        let deadline = start.checked_add(timeout).unwrap_or(start + DEFAULT_WAIT);
        loop {
            let notified = self.shared.ops_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // A read: a write would notify `notified` itself and spin.
            let op = self.read(req.clone(), State::wait_operation)?;
            let now = tokio::time::Instant::now();
            if op.done || now >= deadline {
                return Ok(op);
            }
            let due = {
                let state = self.shared.read(self.shared.clock.now());
                state.operations.get(&op.name).and_then(|r| r.due)
            };
            let until_due = due.map_or(Duration::from_secs(1), |d| self.shared.clock.until(d));
            let wake = now + until_due.clamp(Duration::from_millis(1), Duration::from_secs(1));
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(wake.min(deadline)) => {}
            }
        }
    }
}

/// How a call came: the REST layer marks the gRPC requests it makes (an extension, which no
/// client can send).
fn transport<T>(request: &Request<T>) -> Transport {
    request
        .extensions()
        .get::<Transport>()
        .copied()
        .unwrap_or_default()
}

/// Answers a handled call: with its result, or with the fault injected after handling.
fn answer<T>(lost: Option<Status>, result: Result<T, Status>) -> Result<Response<T>, Status> {
    match lost {
        Some(fault) => Err(fault),
        None => result.map(Response::new),
    }
}

/// Expands one handler body per RPC, by retry class and request_id presence.
macro_rules! handler {
    ($self:ident, $request:ident, WaitOperation, wait_operation, $class:ident, $rid:tt) => {{
        let deadline = grpc_timeout($request.metadata());
        let lost = $self
            .enter(
                Method::WaitOperation,
                take($request.metadata_mut()),
                None,
                transport(&$request),
            )
            .await?;
        answer(
            lost,
            $self.wait_operation($request.into_inner(), deadline).await,
        )
    }};
    ($self:ident, $request:ident, $rpc:ident, $snake:ident, read, false) => {{
        let lost = $self
            .enter(
                Method::$rpc,
                take($request.metadata_mut()),
                None,
                transport(&$request),
            )
            .await?;
        answer(lost, $self.read($request.into_inner(), State::$snake))
    }};
    ($self:ident, $request:ident, $rpc:ident, $snake:ident, write, false) => {{
        let lost = $self
            .enter(
                Method::$rpc,
                take($request.metadata_mut()),
                None,
                transport(&$request),
            )
            .await?;
        answer(lost, $self.write($request.into_inner(), State::$snake))
    }};
    ($self:ident, $request:ident, $rpc:ident, $snake:ident, write, true) => {{
        let request_id = $request.get_ref().request_id.clone();
        let lost = $self
            .enter(
                Method::$rpc,
                take($request.metadata_mut()),
                Some(&request_id),
                transport(&$request),
            )
            .await?;
        answer(
            lost,
            $self.write_idempotent(
                Method::$rpc,
                request_id,
                $request.into_inner(),
                State::$snake,
            ),
        )
    }};
}

macro_rules! impl_service {
    ($tr:path; $([$rpc:ident, $snake:ident, $req:ty, $resp:ty, $class:ident, $rid:tt])*) => {
        #[tonic::async_trait]
        impl $tr for Service {
            $(
                async fn $snake(&self, mut request: Request<$req>) -> Result<Response<$resp>, Status> {
                    handler!(self, request, $rpc, $snake, $class, $rid)
                }
            )*
        }
    };
}

macro_rules! services {
    ($tr:path; $( [ service: $svc:ident, rpc: $rpc:ident, method: $snake:ident, request: $req:ty,
          response: $resp:ty, access: $access:ident, request_id: $rid:tt $($more:tt)* ] )*) => {
        impl_service!($tr; $( [$rpc, $snake, $req, $resp, $access, $rid] )*);
    };
}

for_each_service!(services);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{Channel, UpdateChannelRequest};
    use prost::{Message, Name};
    use prost_reflect::{ReflectMessage, Value};

    /// The string at a dotted field path of a request (`channel.name`), by reflection: what
    /// [`ApiRequest::routing_value`] must agree with (tested for every RPC).
    fn routing_value<M: Message + Name>(message: &M, path: &str) -> String {
        let Ok(mut current) = crate::reflect::to_dynamic(message) else {
            return String::new();
        };
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let Some(field) = current.descriptor().get_field_by_name(part) else {
                return String::new();
            };
            let value = current.get_field(&field).into_owned();
            match (value, parts.peek().is_some()) {
                (Value::String(s), false) => return s,
                (Value::Message(m), true) => current = m,
                _ => return String::new(),
            }
        }
        String::new()
    }

    #[test]
    fn replay_keys_read_the_routing_field_directly() {
        let req = UpdateChannelRequest {
            channel: Some(Channel {
                name: "projects/p/locations/l/channels/c".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(req.routing_value(), "projects/p/locations/l/channels/c");
        assert_eq!(UpdateChannelRequest::default().routing_value(), "");
    }

    /// Sets the string at a dotted path (`channel.name`) of a dynamic message.
    fn set_path(message: &mut prost_reflect::DynamicMessage, path: &str, value: &str) {
        let (first, rest) = path
            .split_once('.')
            .map_or((path, None), |(f, r)| (f, Some(r)));
        let field = message.descriptor().get_field_by_name(first).unwrap();
        match rest {
            None => message.set_field(&field, Value::String(value.to_owned())),
            Some(rest) => {
                let mut inner = message.get_field(&field).into_owned();
                if let Value::Message(inner) = &mut inner {
                    set_path(inner, rest, value);
                }
                message.set_field(&field, inner);
            }
        }
    }

    #[test]
    fn replay_keys_read_the_routing_field_of_every_rpc() {
        macro_rules! check {
            ($( [ service: $svc:ident, rpc: $rpc:ident, method: $snake:ident, request: $req:ty,
                  $($more:tt)* ] )*) => {$(
                let routing = <$req as ApiRequest>::METHOD.routing_field();
                let mut dynamic =
                    prost_reflect::DynamicMessage::new(crate::reflect::descriptor::<$req>().unwrap());
                set_path(&mut dynamic, routing, "projects/p/locations/l/x/y");
                let req: $req = crate::reflect::from_dynamic(&dynamic).unwrap();
                assert_eq!(ApiRequest::routing_value(&req), "projects/p/locations/l/x/y", stringify!($rpc));
                assert_eq!(routing_value(&req, routing), ApiRequest::routing_value(&req), stringify!($rpc));
            )*};
        }
        for_each_rpc!(check);
    }

    #[test]
    fn request_ids_must_be_non_nil_uuids() {
        assert!(check_request_id("6f1f5a8e-6b8d-4f9a-9f5e-3c7a1b2d4e6f").is_ok());
        assert!(check_request_id("00000000-0000-0000-0000-000000000000").is_err());
        assert!(check_request_id("not-a-uuid").is_err());
    }
}
