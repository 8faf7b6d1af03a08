//! Field-level validation of the resources the emulator accepts (spec §2 rules that can be
//! checked without media).
//!
//! INTERFACE STUB: the signatures below are the contract the emulator core codes against;
//! the implementation replaces the bodies.
#![allow(dead_code)]

use std::time::SystemTime;

use crate::v1::{Asset, Channel, Clip, DvrSession, Event, Input, Pool};

/// One broken rule, reported as a `google.rpc.BadRequest.FieldViolation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldViolation {
    /// The request-relative path of the field, e.g. `channel.elementary_streams[0].key`.
    pub(crate) field: String,
    /// What is wrong, in one sentence.
    pub(crate) description: String,
    /// Whether this is a reference to a resource that does not exist (the core may answer
    /// NOT_FOUND for those, depending on its configuration) rather than a malformed value.
    pub(crate) missing_reference: Option<String>,
}

/// What validation needs to know about other resources.
pub(crate) trait References {
    /// The input with this full name, if it exists.
    fn input(&self, name: &str) -> Option<&Input>;
    /// The asset with this full name, if it exists.
    fn asset(&self, name: &str) -> Option<&Asset>;
}

/// Validates a channel as given to CreateChannel, or as merged by UpdateChannel.
pub(crate) fn channel(_channel: &Channel, _refs: &dyn References) -> Vec<FieldViolation> {
    Vec::new()
}

/// Validates an input as given to CreateInput, or as merged by UpdateInput.
pub(crate) fn input(_input: &Input) -> Vec<FieldViolation> {
    Vec::new()
}

/// Validates an event for CreateEvent on `channel` at time `now`.
pub(crate) fn event(
    _event: &Event,
    _channel: &Channel,
    _refs: &dyn References,
    _now: SystemTime,
) -> Vec<FieldViolation> {
    Vec::new()
}

/// Validates a clip for CreateClip on `channel` at time `now`.
pub(crate) fn clip(_clip: &Clip, _channel: &Channel, _now: SystemTime) -> Vec<FieldViolation> {
    Vec::new()
}

/// Validates a DVR session for CreateDvrSession / UpdateDvrSession on `channel`.
pub(crate) fn dvr_session(_dvr: &DvrSession, _channel: &Channel) -> Vec<FieldViolation> {
    Vec::new()
}

/// Validates an asset for CreateAsset.
pub(crate) fn asset(_asset: &Asset) -> Vec<FieldViolation> {
    Vec::new()
}

/// Validates a pool as merged by UpdatePool.
pub(crate) fn pool(_pool: &Pool) -> Vec<FieldViolation> {
    Vec::new()
}
