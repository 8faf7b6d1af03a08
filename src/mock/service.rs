//! The mock's side of gRPC: the three generated server traits (`LivestreamService`,
//! `Operations`, `Locations`), expanded from the API table's `for_each_service!` so that every
//! RPC is answered the same way: record the call, pick its answer, wait the delay, answer.

use std::sync::Arc;

use tonic::{Response, Status};

use super::operations::Operations;
use super::state::State;
use crate::methods::Request;

/// The service the three generated servers wrap; shares its state with the `Mock` handles
/// (but does not keep them alive: the expectations are checked when the last handle goes).
#[derive(Clone)]
pub(super) struct MockService {
    pub(super) state: Arc<State>,
}

impl MockService {
    /// Answers one call: the next one-shot answer, else what the mock's own operations say
    /// (`own`: for the Operations RPCs on operations the mock created), else the repeating
    /// answer, else `UNIMPLEMENTED` (nothing set) or `INTERNAL` (one-shot answers used up).
    async fn handle<R: Request>(
        &self,
        request: tonic::Request<R>,
        own: impl FnOnce(&Operations, &R) -> Option<R::Response>,
    ) -> Result<Response<R::Response>, Status> {
        let (metadata, _, message) = request.into_parts();
        let picked = self.state.enter(metadata, &message);
        let once_delay = picked.once.as_ref().map_or(Default::default(), |a| a.delay);
        let delay = picked.delay.saturating_add(once_delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let operations = &self.state.operations;
        if let Some(answer) = picked.once {
            return answer.run(operations, &message).map(Response::new);
        }
        if let Some(response) = own(operations, &message) {
            return Ok(Response::new(response));
        }
        match picked.always {
            Some(answer) => {
                if !answer.delay.is_zero() {
                    tokio::time::sleep(answer.delay).await;
                }
                answer.run(operations, &message).map(Response::new)
            }
            None => Err(self.state.unanswered(R::METHOD)),
        }
    }
}

/// What the mock answers by itself, by RPC: the Operations RPCs on its own operations.
macro_rules! own_answer {
    (GetOperation) => {
        |ops: &Operations, r: &crate::longrunning::GetOperationRequest| ops.poll(&r.name)
    };
    (WaitOperation) => {
        |ops: &Operations, r: &crate::longrunning::WaitOperationRequest| ops.poll(&r.name)
    };
    (CancelOperation) => {
        |ops: &Operations, r: &crate::longrunning::CancelOperationRequest| ops.cancel(&r.name)
    };
    (DeleteOperation) => {
        |ops: &Operations, r: &crate::longrunning::DeleteOperationRequest| ops.delete(&r.name)
    };
    ($other:ident) => {
        |_: &Operations, _: &_| None
    };
}

macro_rules! impl_service {
    ($tr:path; $([$rpc:ident, $method:ident, $req:ty, $resp:ty])*) => {
        #[tonic::async_trait]
        impl $tr for MockService {
            $(
                async fn $method(&self, request: tonic::Request<$req>) -> Result<Response<$resp>, Status> {
                    self.handle(request, own_answer!($rpc)).await
                }
            )*
        }
    };
}

macro_rules! services {
    ($tr:path; $( [ service: $svc:ident, rpc: $rpc:ident, method: $method:ident, request: $req:ty,
          response: $resp:ty, $($more:tt)* ] )*) => {
        impl_service!($tr; $( [$rpc, $method, $req, $resp] )*);
    };
}

for_each_service!(services);
