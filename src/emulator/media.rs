//! The simulated media plane: an encoder connecting to or leaving an input, and forced
//! failures of channels, clips, DVR sessions, assets and operations (EMULATOR.md,
//! "Controls").

use std::time::SystemTime;

use tonic::{Code, Status};

use super::channels::{active_input_name, distributions_follow_stream, is_live, streaming_error};
use super::errors;
use super::lro::rpc_status;
use super::store::{ChannelRec, Kind, State, found, found_mut, ts};
use crate::v1::channel::StreamingState;
use crate::v1::{
    AudioFormat, AudioStreamProperty, InputStreamProperty, VideoFormat, VideoStreamProperty,
};

/// What a simulated encoder sends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamProperties {
    /// Video width in pixels.
    pub width: i32,
    /// Video height in pixels.
    pub height: i32,
    /// Video frame rate.
    pub frame_rate: f64,
}

impl Default for StreamProperties {
    fn default() -> Self {
        StreamProperties {
            width: 1920,
            height: 1080,
            frame_rate: 30.0,
        }
    }
}

impl State {
    /// The channels in the input's location whose current source is this input.
    fn channels_fed_by(&self, input: &str) -> Vec<String> {
        self.channels_near(input, |c| active_input_name(c) == Some(input))
    }

    pub(crate) fn connect_input(
        &mut self,
        name: &str,
        props: StreamProperties,
        at: SystemTime,
    ) -> Result<(), Status> {
        let input = found_mut(&mut self.inputs, name)?;
        input.input_stream_property = Some(InputStreamProperty {
            last_establish_time: Some(ts(at)),
            video_streams: vec![VideoStreamProperty {
                index: 0,
                video_format: Some(VideoFormat {
                    codec: "h264".into(),
                    width_pixels: props.width,
                    height_pixels: props.height,
                    frame_rate: props.frame_rate,
                }),
            }],
            audio_streams: vec![AudioStreamProperty {
                index: 1,
                audio_format: Some(AudioFormat {
                    codec: "aac".into(),
                    channel_count: 2,
                    channel_layout: vec!["fl".into(), "fr".into()],
                }),
            }],
        });
        input.update_time = Some(ts(at));
        for channel in self.channels_fed_by(name) {
            if let Some(rec) = self.channels.get_mut(&channel)
                && rec.channel.streaming_state() == StreamingState::AwaitingInput
            {
                rec.channel.streaming_state = StreamingState::Streaming as i32;
                rec.channel.update_time = Some(ts(at));
                ChannelRec::open(&mut rec.streaming, at);
                distributions_follow_stream(&mut rec.channel, true);
            }
        }
        Ok(())
    }

    pub(crate) fn disconnect_input(&mut self, name: &str, at: SystemTime) -> Result<(), Status> {
        let input = found_mut(&mut self.inputs, name)?;
        input.input_stream_property = None;
        input.update_time = Some(ts(at));
        for channel in self.channels_fed_by(name) {
            if let Some(rec) = self.channels.get_mut(&channel)
                && matches!(
                    rec.channel.streaming_state(),
                    StreamingState::Streaming | StreamingState::StreamingError
                )
            {
                rec.channel.streaming_state = StreamingState::AwaitingInput as i32;
                rec.channel.streaming_error = None;
                rec.channel.update_time = Some(ts(at));
                ChannelRec::close(&mut rec.streaming, at);
                distributions_follow_stream(&mut rec.channel, false);
            }
        }
        Ok(())
    }

    /// Forces a failure on the named resource (see the admin RPC `FailResource`).
    pub(crate) fn fail(&mut self, name: &str, message: &str, at: SystemTime) -> Result<(), Status> {
        let message = if message.is_empty() {
            "failure injected by the emulator"
        } else {
            message
        };
        let error = rpc_status(Code::Internal, message);
        match Kind::of(name) {
            Some(Kind::Channel) => {
                let rec = found_mut(&mut self.channels, name)?;
                let state = rec.channel.streaming_state();
                if !is_live(state) {
                    return Err(errors::precondition(
                        "CHANNEL_STATE",
                        name,
                        format!(
                            "Channel '{name}' is {}; only a running channel can fail",
                            state.as_str_name()
                        ),
                    ));
                }
                rec.channel.streaming_state = StreamingState::StreamingError as i32;
                rec.channel.streaming_error = Some(streaming_error(message));
                rec.channel.update_time = Some(ts(at));
            }
            Some(Kind::Clip) => {
                let clip = found_mut(&mut self.clips, name)?;
                clip.state = crate::v1::clip::State::Failed as i32;
                clip.error = Some(error);
                clip.update_time = Some(ts(at));
            }
            Some(Kind::DvrSession) => {
                let dvr = found_mut(&mut self.dvr_sessions, name)?;
                dvr.state = crate::v1::dvr_session::State::Failed as i32;
                dvr.error = Some(error);
                dvr.update_time = Some(ts(at));
            }
            Some(Kind::Asset) => {
                let asset = found_mut(&mut self.assets, name)?;
                asset.state = crate::v1::asset::State::Error as i32;
                asset.error = Some(error);
                asset.update_time = Some(ts(at));
            }
            Some(Kind::Operation) => self.fail_operation(name, at, error)?,
            _ => {
                return Err(errors::invalid(
                    "name",
                    "expected a channel, clip, DVR session, asset or operation name",
                ));
            }
        }
        Ok(())
    }

    /// Puts one started distribution of a channel into ERROR with `error` set.
    pub(crate) fn fail_distribution(
        &mut self,
        channel: &str,
        key: &str,
        message: &str,
        at: SystemTime,
    ) -> Result<(), Status> {
        let rec = found_mut(&mut self.channels, channel)?;
        let Some(d) = rec.channel.distributions.iter_mut().find(|d| d.key == key) else {
            return Err(errors::invalid(
                "distribution_key",
                format!("channel '{channel}' has no distribution with key '{key}'"),
            ));
        };
        use crate::v1::distribution::State as D;
        if !matches!(d.state(), D::AwaitingInput | D::Distributing) {
            return Err(errors::precondition(
                "DISTRIBUTION_STATE",
                channel,
                format!("Distribution '{key}' of channel '{channel}' is not started"),
            ));
        }
        d.state = D::Error as i32;
        d.error = Some(rpc_status(Code::Unavailable, message));
        rec.channel.update_time = Some(ts(at));
        Ok(())
    }

    /// Takes a channel out of STREAMING_ERROR.
    pub(crate) fn recover_channel(&mut self, name: &str, at: SystemTime) -> Result<(), Status> {
        found(&self.channels, name)?;
        let connected = self.connected_active_input(name);
        let rec = found_mut(&mut self.channels, name)?;
        if rec.channel.streaming_state() == StreamingState::StreamingError {
            rec.channel.streaming_error = None;
            rec.channel.streaming_state = if connected {
                StreamingState::Streaming
            } else {
                StreamingState::AwaitingInput
            } as i32;
            rec.channel.update_time = Some(ts(at));
        }
        Ok(())
    }
}
