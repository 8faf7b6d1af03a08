//! Long-running operations (EMULATOR.md, "What it emulates": long-running operations):
//! naming, metadata, completion (instant, delayed or manual), failure, cancellation with
//! rollback, TTL.

use std::time::{SystemTime, UNIX_EPOCH};

use prost::{Message, Name};
use prost_types::Any;
use tonic::{Code, Status};

use super::LroTiming;
use super::errors;
use super::store::{Change, Kind, OpRec, State, Timer, Verb, found_mut, later, ts};
use crate::longrunning::{Operation, operation};
use crate::names::LocationName;
use crate::rpc;
use crate::v1::OperationMetadata;

/// The outcome of applying a change: the packed response, or the operation's error.
pub(crate) type Outcome = Result<Any, rpc::Status>;

pub(crate) fn rpc_status(code: Code, message: impl Into<String>) -> rpc::Status {
    rpc::Status {
        code: code as i32,
        message: message.into(),
        details: Vec::new(),
    }
}

/// Packs a message with its full type URL.
pub(crate) fn pack<M: Message + Name>(message: &M) -> Outcome {
    Any::from_msg(message).map_err(|e| rpc_status(Code::Internal, e.to_string()))
}

/// `google.protobuf.Empty`, packed.
pub(crate) fn pack_empty() -> Outcome {
    Ok(Any {
        type_url: "type.googleapis.com/google.protobuf.Empty".into(),
        value: Vec::new(),
    })
}

/// The operation's error when its target vanished meanwhile.
pub(crate) fn gone(name: &str) -> rpc::Status {
    rpc_status(Code::NotFound, format!("Resource '{name}' was not found"))
}

/// The operation's error when the target changed state meanwhile.
pub(crate) fn aborted(message: impl Into<String>) -> rpc::Status {
    rpc_status(Code::Aborted, message)
}

pub(crate) fn metadata_of(op: &Operation) -> OperationMetadata {
    op.metadata
        .as_ref()
        .and_then(|any| any.to_msg::<OperationMetadata>().ok())
        .unwrap_or_default()
}

fn set_metadata(op: &mut Operation, metadata: &OperationMetadata) {
    if let Ok(any) = Any::from_msg(metadata) {
        op.metadata = Some(any);
    }
}

impl State {
    /// Starts an operation that applies `change`; returns it as the initiating call answers
    /// (already done in instant mode).
    pub(crate) fn start_operation(
        &mut self,
        now: SystemTime,
        location: &LocationName,
        change: Change,
    ) -> Operation {
        self.next_operation = self.next_operation.wrapping_add(1);
        let millis = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        // Fixed-width time and counter: names sort by creation, so ListOperations can
        // return newest first with a reverse range scan.
        let name = format!(
            "{location}/operations/operation-{millis:013}-{:016x}",
            self.next_operation
        );
        let mut op = Operation {
            name: name.clone(),
            ..Default::default()
        };
        set_metadata(
            &mut op,
            &OperationMetadata {
                create_time: Some(ts(now)),
                target: change.target.clone(),
                verb: change.verb.as_str().to_owned(),
                api_version: "v1".into(),
                ..Default::default()
            },
        );
        let due = match self.config.lro_timing {
            LroTiming::Instant => Some(now),
            LroTiming::Delay(d) => Some(later(now, d)),
            LroTiming::Manual => None,
        };
        self.operations.insert(
            name.clone(),
            OpRec {
                op,
                change: Some(change),
                due,
            },
        );
        match (self.config.lro_timing, due) {
            (LroTiming::Instant, _) => {
                self.complete_operation(&name, now);
            }
            (_, Some(due)) => self.schedule(due, Timer::Operation(name.clone())),
            (_, None) => {}
        }
        self.operations
            .get(&name)
            .map(|r| r.op.clone())
            .unwrap_or_default()
    }

    /// Applies a pending operation's change and finishes it; false if it was not pending.
    pub(crate) fn complete_operation(&mut self, name: &str, at: SystemTime) -> bool {
        let rec = match self.operations.get_mut(name) {
            Some(rec) => Some(rec),
            None => self.orphans.get_mut(name),
        };
        let Some(change) = rec.and_then(|r| r.change.take()) else {
            return false;
        };
        let outcome = self.apply_change(&change, at);
        self.finish_operation(name, at, outcome);
        true
    }

    /// Every pending operation, completed now (in name order); returns their names.
    pub(crate) fn complete_all(&mut self, at: SystemTime) -> Vec<String> {
        let pending: Vec<String> = self
            .operations
            .iter()
            .chain(self.orphans.iter())
            .filter(|(_, r)| r.change.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        pending
            .into_iter()
            .filter(|name| self.complete_operation(name, at))
            .collect()
    }

    /// Ends a pending operation with an error, rolling its change back.
    pub(crate) fn fail_operation(
        &mut self,
        name: &str,
        at: SystemTime,
        error: rpc::Status,
    ) -> Result<(), Status> {
        let rec = found_mut(&mut self.operations, name)?;
        let Some(change) = rec.change.take() else {
            return Err(errors::precondition(
                "OPERATION_DONE",
                name,
                format!("Operation '{name}' is already done"),
            ));
        };
        self.rollback_change(&change, at);
        self.finish_operation(name, at, Err(error));
        Ok(())
    }

    /// CancelOperation: marks the request; a running operation is rolled back and ends
    /// CANCELLED; a done one is left as it is.
    pub(crate) fn cancel(&mut self, name: &str, at: SystemTime) -> Result<(), Status> {
        let rec = found_mut(&mut self.operations, name)?;
        let mut metadata = metadata_of(&rec.op);
        metadata.requested_cancellation = true;
        set_metadata(&mut rec.op, &metadata);
        if rec.change.is_some() {
            self.fail_operation(
                name,
                at,
                rpc_status(Code::Cancelled, "Operation was cancelled"),
            )?;
        }
        Ok(())
    }

    fn finish_operation(&mut self, name: &str, at: SystemTime, outcome: Outcome) {
        let ttl = self.config.operation_ttl;
        // A deleted operation's work still happens; only its record is gone.
        if self.orphans.remove(name).is_some() {
            return;
        }
        let Some(rec) = self.operations.get_mut(name) else {
            return;
        };
        rec.due = None;
        rec.op.done = true;
        rec.op.result = Some(match outcome {
            Ok(any) => operation::Result::Response(any),
            Err(status) => operation::Result::Error(status),
        });
        let mut metadata = metadata_of(&rec.op);
        metadata.end_time = Some(ts(at));
        set_metadata(&mut rec.op, &metadata);
        if let Some(ttl) = ttl {
            self.schedule(later(at, ttl), Timer::OperationGc(name.to_owned()));
        }
    }

    fn apply_change(&mut self, change: &Change, at: SystemTime) -> Outcome {
        match Kind::of(&change.target) {
            Some(Kind::Channel) => self.complete_channel_change(change, at),
            Some(Kind::Input) => self.complete_input_change(change, at),
            Some(Kind::Clip) => self.complete_clip_change(change, at),
            Some(Kind::DvrSession) => self.complete_dvr_change(change, at),
            Some(Kind::Asset) => self.complete_asset_change(change, at),
            Some(Kind::Pool) => self.complete_pool_change(change, at),
            _ => Err(rpc_status(
                Code::Internal,
                format!("no operation applies to '{}'", change.target),
            )),
        }
    }

    /// Undoes what starting the operation changed (cancel, forced failure).
    fn rollback_change(&mut self, change: &Change, at: SystemTime) {
        if change.verb == Verb::Create {
            self.remove_resource(&change.target);
            return;
        }
        let previous = change.previous_state;
        match Kind::of(&change.target) {
            Some(Kind::Channel) => self.rollback_channel_change(change, at),
            Some(Kind::DvrSession) => {
                if let Some(d) = self.dvr_sessions.get_mut(&change.target) {
                    d.state = previous;
                    d.update_time = Some(ts(at));
                }
            }
            Some(Kind::Asset) => {
                if let Some(a) = self.assets.get_mut(&change.target) {
                    a.state = previous;
                    a.update_time = Some(ts(at));
                }
            }
            _ => {}
        }
    }
}
