//! The long-running operations a mock created: `GetOperation` and `WaitOperation` poll them
//! (a pending one completes after its number of polls), `CancelOperation` cancels them and
//! `DeleteOperation` forgets them, without the test setting anything for those RPCs.

use std::collections::HashMap;
use std::sync::Mutex;

use prost::Message;
use prost_types::Any;
use tonic::Status;

use super::state::lock;
use crate::longrunning::{Operation, operation};
use crate::rpc;

/// How an operation ends.
pub(super) type Outcome = operation::Result;

/// A `tonic::Status` as the `google.rpc.Status` of a failed operation, with its details
/// (a status built with `tonic_types` carries the encoded `google.rpc.Status` itself).
pub(super) fn to_rpc_status(status: &Status) -> rpc::Status {
    if !status.details().is_empty()
        && let Ok(decoded) = rpc::Status::decode(status.details())
    {
        return decoded;
    }
    rpc::Status {
        code: status.code() as i32,
        message: status.message().to_owned(),
        details: Vec::new(),
    }
}

/// One operation: its current state, the polls it stays pending for, and how it ends.
struct Record {
    operation: Operation,
    polls_left: u32,
    outcome: Outcome,
}

#[derive(Default)]
struct Inner {
    next: u64,
    records: HashMap<String, Record>,
}

/// The operations a mock created, by name.
#[derive(Default)]
pub(crate) struct Operations {
    inner: Mutex<Inner>,
}

/// `projects/P/locations/L` at the start of a routing value, if it has one.
fn location_of(routing_value: &str) -> Option<&str> {
    let mut parts = routing_value.splitn(5, '/');
    let (projects, _, locations, _) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if projects != "projects" || locations != "locations" {
        return None;
    }
    let end = routing_value
        .match_indices('/')
        .nth(3)
        .map_or(routing_value.len(), |(i, _)| i);
    Some(&routing_value[..end])
}

impl Operations {
    /// Creates an operation for a request whose routing value is `routing_value` (its name
    /// is under the same location): done with `outcome` now when `pending_polls` is `None`,
    /// otherwise pending for that many polls.
    pub(super) fn start(
        &self,
        routing_value: &str,
        metadata: Option<Any>,
        pending_polls: Option<u32>,
        outcome: Outcome,
    ) -> Operation {
        let mut inner = lock(&self.inner);
        inner.next += 1;
        let name = match location_of(routing_value) {
            Some(location) => format!("{location}/operations/mock-{}", inner.next),
            None => format!("operations/mock-{}", inner.next),
        };
        let operation = Operation {
            name: name.clone(),
            metadata,
            done: pending_polls.is_none(),
            result: pending_polls.is_none().then(|| outcome.clone()),
        };
        inner.records.insert(
            name,
            Record {
                operation: operation.clone(),
                polls_left: pending_polls.unwrap_or(0),
                outcome,
            },
        );
        operation
    }

    /// The operation's state at this poll, if the mock created it.
    pub(super) fn poll(&self, name: &str) -> Option<Operation> {
        let mut inner = lock(&self.inner);
        let record = inner.records.get_mut(name)?;
        if !record.operation.done {
            if record.polls_left == 0 {
                record.operation.done = true;
                record.operation.result = Some(record.outcome.clone());
            } else {
                record.polls_left -= 1;
            }
        }
        Some(record.operation.clone())
    }

    /// Cancels the operation, if the mock created it: a pending one ends with `CANCELLED`,
    /// as the service's do.
    pub(super) fn cancel(&self, name: &str) -> Option<()> {
        let mut inner = lock(&self.inner);
        let record = inner.records.get_mut(name)?;
        if !record.operation.done {
            record.operation.done = true;
            record.operation.result = Some(Outcome::Error(rpc::Status {
                code: tonic::Code::Cancelled as i32,
                message: "operation cancelled".to_owned(),
                details: Vec::new(),
            }));
        }
        Some(())
    }

    /// Forgets the operation, if the mock created it.
    pub(super) fn delete(&self, name: &str) -> Option<()> {
        lock(&self.inner).records.remove(name).map(|_| ())
    }

    /// Forgets every operation.
    pub(super) fn reset(&self) {
        lock(&self.inner).records.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_live_under_the_request_location() {
        assert_eq!(
            location_of("projects/p/locations/l/channels/c"),
            Some("projects/p/locations/l")
        );
        assert_eq!(
            location_of("projects/p/locations/l"),
            Some("projects/p/locations/l")
        );
        assert_eq!(location_of("projects/p"), None);
        assert_eq!(location_of(""), None);
    }

    #[test]
    fn a_pending_operation_completes_after_its_polls() {
        let ops = Operations::default();
        let op = ops.start(
            "projects/p/locations/l",
            None,
            Some(2),
            Outcome::Response(Any::default()),
        );
        assert!(!op.done);
        assert_eq!(op.name, "projects/p/locations/l/operations/mock-1");
        assert!(!ops.poll(&op.name).unwrap().done);
        assert!(!ops.poll(&op.name).unwrap().done);
        assert!(ops.poll(&op.name).unwrap().done);
        assert!(ops.poll("unknown").is_none());
    }
}
