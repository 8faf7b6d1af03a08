//! The controls of the simulated encoder (inputs connecting and leaving) and of forced
//! failures of channels, distributions, clips, DVR sessions, assets and operations.

use tonic::Status;

use super::store;
use super::{ControlError, Emulator, StreamProperties};

impl Emulator {
    /// Simulates an encoder connecting to an input, with default stream properties.
    pub fn connect_input(&self, input: impl std::fmt::Display) -> Result<(), ControlError> {
        self.connect_input_with(input, StreamProperties::default())
    }

    /// Simulates an encoder connecting to an input: `input_stream_property` is set, and the
    /// channels taking their stream from it go AWAITING_INPUT → STREAMING (started
    /// distributions: DISTRIBUTING).
    pub fn connect_input_with(
        &self,
        input: impl std::fmt::Display,
        properties: StreamProperties,
    ) -> Result<(), ControlError> {
        let now = self.now();
        let name = input.to_string();
        Ok(self.with_state(|s| s.connect_input(&name, properties, now))?)
    }

    /// Simulates the encoder leaving: channels go back to AWAITING_INPUT.
    pub fn disconnect_input(&self, input: impl std::fmt::Display) -> Result<(), ControlError> {
        let now = self.now();
        let name = input.to_string();
        Ok(self.with_state(|s| s.disconnect_input(&name, now))?)
    }

    /// Forces a failure on a channel (STREAMING_ERROR with `streaming_error`), a clip or
    /// DVR session (FAILED), an asset (ERROR) or a pending operation (done with an error,
    /// its change rolled back). A clip, DVR session or asset still being created makes its
    /// create operation fail.
    pub fn fail(&self, name: impl std::fmt::Display, message: &str) -> Result<(), ControlError> {
        let now = self.now();
        let name = name.to_string();
        Ok(self.with_state(|s| s.fail(&name, message, now))?)
    }

    fn fail_kind(
        &self,
        name: impl std::fmt::Display,
        kind: store::Kind,
        message: &str,
    ) -> Result<(), ControlError> {
        let name = name.to_string();
        if store::Kind::of(&name) != Some(kind) {
            return Err(ControlError(Status::invalid_argument(format!(
                "'{name}' is not a {} name",
                kind.resource_type()
            ))));
        }
        self.fail(name, message)
    }

    /// Forces a running channel into STREAMING_ERROR.
    pub fn fail_channel(
        &self,
        channel: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(channel, store::Kind::Channel, message)
    }

    /// Puts a started distribution of a channel into ERROR (a delivery failure), with
    /// `error` set; StartDistribution starts it again.
    pub fn fail_distribution(
        &self,
        channel: impl std::fmt::Display,
        key: &str,
        message: &str,
    ) -> Result<(), ControlError> {
        let now = self.now();
        let name = channel.to_string();
        Ok(self.with_state(|s| s.fail_distribution(&name, key, message, now))?)
    }

    /// Takes a channel out of STREAMING_ERROR (STREAMING if its input is connected).
    pub fn recover_channel(&self, channel: impl std::fmt::Display) -> Result<(), ControlError> {
        let now = self.now();
        let name = channel.to_string();
        Ok(self.with_state(|s| s.recover_channel(&name, now))?)
    }

    /// Forces a clip into FAILED.
    pub fn fail_clip(
        &self,
        clip: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(clip, store::Kind::Clip, message)
    }

    /// Forces a DVR session into FAILED.
    pub fn fail_dvr_session(
        &self,
        dvr_session: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(dvr_session, store::Kind::DvrSession, message)
    }

    /// Forces an asset into ERROR.
    pub fn fail_asset(
        &self,
        asset: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(asset, store::Kind::Asset, message)
    }

    /// Ends a pending operation with an error (its change rolled back).
    pub fn fail_operation(
        &self,
        operation: impl std::fmt::Display,
        message: &str,
    ) -> Result<(), ControlError> {
        self.fail_kind(operation, store::Kind::Operation, message)
    }
}
