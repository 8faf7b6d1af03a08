//! Channels: CRUD, start/stop, distributions, and the streaming state machine (EMULATOR.md,
//! "What it emulates": state machines).

use std::time::SystemTime;

use prost::Message;
use tonic::{Code, Status};

use super::errors;
use super::lro::{Outcome, aborted, gone, pack, pack_empty};
use super::store::{
    Change, ChannelRec, State, Verb, check_id, decode_next, found, found_mut, merge_update,
    parse_name, required, scan, ts,
};
use super::validation;
use crate::longrunning::Operation;
use crate::names::{ChannelName, LocationName};
use crate::v1::channel::StreamingState;
use crate::v1::distribution::State as DistributionState;
use crate::v1::dvr_session::State as DvrState;
use crate::v1::{
    Channel, ChannelOperationResponse, CreateChannelRequest, DeleteChannelRequest,
    GetChannelRequest, ListChannelsRequest, ListChannelsResponse, StartChannelRequest,
    StartDistributionRequest, StopChannelRequest, StopDistributionRequest, UpdateChannelRequest,
};

/// States in which a channel runs (StopChannel is allowed, events can be created).
pub(crate) fn is_started(state: StreamingState) -> bool {
    matches!(
        state,
        StreamingState::Starting
            | StreamingState::AwaitingInput
            | StreamingState::Streaming
            | StreamingState::StreamingError
    )
}

/// States after the start operation completed and before a stop began.
pub(crate) fn is_live(state: StreamingState) -> bool {
    matches!(
        state,
        StreamingState::AwaitingInput | StreamingState::Streaming | StreamingState::StreamingError
    )
}

pub(crate) fn state_name(state: StreamingState) -> &'static str {
    state.as_str_name()
}

/// FAILED_PRECONDITION for an RPC the channel's state does not allow:
/// "Channel '…' {requirement} (it is STATE)".
pub(crate) fn channel_state_error(key: &str, state: StreamingState, requirement: &str) -> Status {
    errors::precondition(
        "CHANNEL_STATE",
        key,
        format!(
            "Channel '{key}' {requirement} (it is {})",
            state_name(state)
        ),
    )
}

impl State {
    pub(crate) fn create_channel(
        &mut self,
        now: SystemTime,
        req: CreateChannelRequest,
    ) -> Result<Operation, Status> {
        let parent: LocationName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent)?;
        check_id("channel_id", &req.channel_id)?;
        let mut channel = required("channel", req.channel)?;
        let name = parent
            .channel(&req.channel_id)
            .map_err(|e| errors::invalid("channel_id", e.to_string()))?
            .to_string();
        if self.channels.contains_key(&name) {
            return Err(errors::already_exists(&name));
        }
        errors::from_violations(
            validation::channel(&channel, self),
            self.config.missing_reference,
        )?;
        channel.name = name.clone();
        channel.create_time = Some(ts(now));
        channel.update_time = Some(ts(now));
        channel.streaming_state = StreamingState::Stopped as i32;
        channel.streaming_error = None;
        channel.active_input = String::new();
        for d in &mut channel.distributions {
            d.state = DistributionState::NotReady as i32;
            d.error = None;
        }
        self.channels.insert(
            name.clone(),
            ChannelRec {
                channel,
                ..Default::default()
            },
        );
        Ok(self.start_operation(now, &parent, Change::new(Verb::Create, name)))
    }

    pub(crate) fn get_channel(
        &self,
        _now: SystemTime,
        req: GetChannelRequest,
    ) -> Result<Channel, Status> {
        let name: ChannelName = parse_name("name", &req.name)?;
        Ok(found(&self.channels, &name.to_string())?.channel.clone())
    }

    pub(crate) fn list_channels(
        &self,
        _now: SystemTime,
        req: ListChannelsRequest,
    ) -> Result<ListChannelsResponse, Status> {
        let parent: LocationName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent)?;
        let (channels, next_page_token) = self.list(
            &self.channels,
            &format!("{parent}/channels/"),
            list_params!("ListChannels", req),
            false,
            |r| &r.channel,
        )?;
        Ok(ListChannelsResponse {
            channels,
            next_page_token,
            unreachable: Vec::new(),
        })
    }

    pub(crate) fn delete_channel(
        &mut self,
        now: SystemTime,
        req: DeleteChannelRequest,
    ) -> Result<Operation, Status> {
        let name: ChannelName = parse_name("name", &req.name)?;
        let key = name.to_string();
        let rec = found(&self.channels, &key)?;
        let state = rec.channel.streaming_state();
        if state != StreamingState::Stopped {
            return Err(channel_state_error(
                &key,
                state,
                "must be stopped before it can be deleted",
            ));
        }
        let children = format!("{key}/");
        if !req.force && State::count_prefix(&self.events, &children) > 0 {
            return Err(errors::precondition(
                "CHANNEL_HAS_EVENTS",
                &key,
                format!(
                    "Channel '{key}' has events; delete them first or set force=true to delete them with the channel"
                ),
            ));
        }
        if !self.config.cascade_delete_children
            && (State::count_prefix(&self.clips, &children) > 0
                || State::count_prefix(&self.dvr_sessions, &children) > 0)
        {
            return Err(errors::precondition(
                "CHANNEL_HAS_CHILDREN",
                &key,
                format!("Channel '{key}' has clips or DVR sessions; delete them first"),
            ));
        }
        Ok(self.start_operation(now, &name.parent(), Change::new(Verb::Delete, key)))
    }

    pub(crate) fn update_channel(
        &mut self,
        now: SystemTime,
        req: UpdateChannelRequest,
    ) -> Result<Operation, Status> {
        let body = required("channel", req.channel)?;
        let name: ChannelName = parse_name("channel.name", &body.name)?;
        let key = name.to_string();
        let rec = found(&self.channels, &key)?;
        let merged = merge_update(&rec.channel, &body, req.update_mask.as_ref())?;
        let state = rec.channel.streaming_state();
        if state != StreamingState::Stopped {
            return Err(channel_state_error(
                &key,
                state,
                "must be stopped before it can be updated",
            ));
        }
        errors::from_violations(
            validation::channel(&merged, self),
            self.config.missing_reference,
        )?;
        let mut change = Change::new(Verb::Update, key);
        change.next = merged.encode_to_vec();
        Ok(self.start_operation(now, &name.parent(), change))
    }

    pub(crate) fn start_channel(
        &mut self,
        now: SystemTime,
        req: StartChannelRequest,
    ) -> Result<Operation, Status> {
        let name: ChannelName = parse_name("name", &req.name)?;
        let key = name.to_string();
        let state = found(&self.channels, &key)?.channel.streaming_state();
        if state != StreamingState::Stopped {
            return Err(channel_state_error(
                &key,
                state,
                "can only be started when it is stopped",
            ));
        }
        self.check_start_quotas(&name, &key)?;
        self.begin_transition(now, &name, StreamingState::Starting, Verb::Start)
    }

    pub(crate) fn stop_channel(
        &mut self,
        now: SystemTime,
        req: StopChannelRequest,
    ) -> Result<Operation, Status> {
        let name: ChannelName = parse_name("name", &req.name)?;
        let key = name.to_string();
        let state = found(&self.channels, &key)?.channel.streaming_state();
        if !is_started(state) {
            return Err(channel_state_error(
                &key,
                state,
                "can only be stopped when it is started",
            ));
        }
        self.begin_transition(now, &name, StreamingState::Stopping, Verb::Stop)
    }

    /// The quotas that apply to running channels (EMULATOR.md, "What it emulates": quotas):
    /// channels running at once, and output video streams by codec and resolution, per
    /// location.
    fn check_start_quotas(&self, name: &ChannelName, key: &str) -> Result<(), Status> {
        let scope = name.parent().to_string();
        let prefix = format!("{scope}/channels/");
        let running: Vec<&Channel> = scan(&self.channels, &prefix)
            .filter(|(_, r)| is_started(r.channel.streaming_state()))
            .map(|(_, r)| &r.channel)
            .collect();
        if let Some(limit) = self.config.quota(|q| q.running_channels)
            && running.len() >= limit
        {
            return Err(errors::quota(
                &scope,
                format!("Quota exceeded: at most {limit} channels may run at once in '{scope}'"),
            ));
        }
        let mut streams = found(&self.channels, key).map(|r| output_streams(&r.channel))?;
        for channel in running {
            let more = output_streams(channel);
            for (codec, tiers) in streams.iter_mut().enumerate() {
                for (tier, n) in tiers.iter_mut().enumerate() {
                    *n += more[codec][tier];
                }
            }
        }
        let limits = [
            ("H.264", self.config.quota(|q| q.h264_output_streams)),
            ("H.265", self.config.quota(|q| q.h265_output_streams)),
        ];
        for (codec, (label, limit)) in limits.into_iter().enumerate() {
            let Some(limit) = limit else {
                continue;
            };
            for (tier, tier_name) in ["SD", "HD", "UHD"].into_iter().enumerate() {
                if streams[codec][tier] > limit[tier] {
                    return Err(errors::quota(
                        &scope,
                        format!(
                            "Quota exceeded: at most {} {tier_name} {label} output streams may run at once in '{scope}'",
                            limit[tier]
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Moves a channel into STARTING or STOPPING and starts the operation that finishes the
    /// move (or rolls it back to the previous state).
    fn begin_transition(
        &mut self,
        now: SystemTime,
        name: &ChannelName,
        to: StreamingState,
        verb: Verb,
    ) -> Result<Operation, Status> {
        let key = name.to_string();
        let rec = found_mut(&mut self.channels, &key)?;
        let mut change = Change::new(verb, key);
        change.previous_state = rec.channel.streaming_state;
        rec.channel.streaming_state = to as i32;
        rec.channel.update_time = Some(ts(now));
        Ok(self.start_operation(now, &name.parent(), change))
    }

    pub(crate) fn start_distribution(
        &mut self,
        now: SystemTime,
        req: StartDistributionRequest,
    ) -> Result<Operation, Status> {
        self.distribution_request(
            now,
            &req.name,
            req.distribution_keys,
            Verb::StartDistribution,
        )
    }

    pub(crate) fn stop_distribution(
        &mut self,
        now: SystemTime,
        req: StopDistributionRequest,
    ) -> Result<Operation, Status> {
        self.distribution_request(
            now,
            &req.name,
            req.distribution_keys,
            Verb::StopDistribution,
        )
    }

    fn distribution_request(
        &mut self,
        now: SystemTime,
        name: &str,
        keys: Vec<String>,
        verb: Verb,
    ) -> Result<Operation, Status> {
        let name: ChannelName = parse_name("name", name)?;
        let key = name.to_string();
        let channel = &found(&self.channels, &key)?.channel;
        for (i, k) in keys.iter().enumerate() {
            if !channel.distributions.iter().any(|d| &d.key == k) {
                return Err(errors::invalid(
                    &format!("distribution_keys[{i}]"),
                    format!("channel '{key}' has no distribution with key '{k}'"),
                ));
            }
        }
        let state = channel.streaming_state();
        if !is_live(state) {
            return Err(channel_state_error(
                &key,
                state,
                "must be running to start or stop distributions",
            ));
        }
        let mut change = Change::new(verb, key);
        change.keys = keys;
        Ok(self.start_operation(now, &name.parent(), change))
    }

    pub(crate) fn complete_channel_change(&mut self, change: &Change, at: SystemTime) -> Outcome {
        let key = change.target.as_str();
        if change.verb == Verb::Delete {
            if !self.channels.contains_key(key) {
                return Err(gone(key));
            }
            self.remove_resource(key);
            return pack_empty();
        }
        let connected = self.connected_active_input(key);
        let Some(rec) = self.channels.get_mut(key) else {
            return Err(gone(key));
        };
        let state = rec.channel.streaming_state();
        match change.verb {
            Verb::Create => {}
            Verb::Update => {
                let mut next: Channel = decode_next(&change.next)?;
                // Output-only fields follow the live channel, not the request's snapshot.
                let current = &rec.channel;
                next.name = current.name.clone();
                next.create_time = current.create_time;
                next.streaming_state = current.streaming_state;
                next.streaming_error = current.streaming_error.clone();
                next.active_input = current.active_input.clone();
                next.update_time = Some(ts(at));
                rec.channel = next;
                self.stop_live_dvr_sessions(key, at);
                return self.channel_response(key);
            }
            Verb::Start => {
                if state != StreamingState::Starting {
                    return Err(aborted(format!(
                        "Channel '{key}' is no longer starting (it is {})",
                        state_name(state)
                    )));
                }
                if rec.channel.active_input.is_empty()
                    && let Some(first) = rec.channel.input_attachments.first()
                {
                    rec.channel.active_input = first.key.clone();
                }
                ChannelRec::open(&mut rec.running, at);
                rec.channel.streaming_state = if connected {
                    ChannelRec::open(&mut rec.streaming, at);
                    StreamingState::Streaming as i32
                } else {
                    StreamingState::AwaitingInput as i32
                };
                for d in &mut rec.channel.distributions {
                    d.state = DistributionState::Ready as i32;
                }
                rec.channel.update_time = Some(ts(at));
            }
            Verb::Stop => {
                if state != StreamingState::Stopping {
                    return Err(aborted(format!(
                        "Channel '{key}' is no longer stopping (it is {})",
                        state_name(state)
                    )));
                }
                rec.channel.streaming_state = StreamingState::Stopped as i32;
                rec.channel.streaming_error = None;
                rec.channel.active_input = String::new();
                rec.muted = false;
                ChannelRec::close(&mut rec.running, at);
                ChannelRec::close(&mut rec.streaming, at);
                for d in &mut rec.channel.distributions {
                    d.state = DistributionState::NotReady as i32;
                    d.error = None;
                }
                rec.channel.update_time = Some(ts(at));
                self.stop_running_events(key, at, |_| true);
            }
            Verb::StartDistribution | Verb::StopDistribution => {
                if !is_live(state) {
                    return Err(aborted(format!(
                        "Channel '{key}' is no longer running (it is {})",
                        state_name(state)
                    )));
                }
                let streaming = state == StreamingState::Streaming;
                for d in &mut rec.channel.distributions {
                    if !change.keys.is_empty() && !change.keys.contains(&d.key) {
                        continue;
                    }
                    d.error = None;
                    d.state = match (change.verb, streaming) {
                        (Verb::StartDistribution, true) => DistributionState::Distributing,
                        (Verb::StartDistribution, false) => DistributionState::AwaitingInput,
                        _ => DistributionState::Ready,
                    } as i32;
                }
                rec.channel.update_time = Some(ts(at));
            }
            Verb::Delete => {}
        }
        match change.verb {
            Verb::Create => self.channel_response(key),
            _ => pack(&ChannelOperationResponse {}),
        }
    }

    fn channel_response(&self, key: &str) -> Outcome {
        match self.channels.get(key) {
            Some(rec) => pack(&rec.channel),
            None => Err(gone(key)),
        }
    }

    pub(crate) fn rollback_channel_change(&mut self, change: &Change, at: SystemTime) {
        let Some(rec) = self.channels.get_mut(&change.target) else {
            return;
        };
        let state = rec.channel.streaming_state();
        let restore = match change.verb {
            Verb::Start => state == StreamingState::Starting,
            Verb::Stop => state == StreamingState::Stopping,
            _ => false,
        };
        if restore {
            rec.channel.streaming_state = change.previous_state;
            rec.channel.update_time = Some(ts(at));
        }
    }

    /// UpdateChannel: active DVR sessions of the channel move to STOPPING (proto comment).
    fn stop_live_dvr_sessions(&mut self, channel: &str, at: SystemTime) {
        let prefix = format!("{channel}/dvrSessions/");
        let names: Vec<String> = scan(&self.dvr_sessions, &prefix)
            .filter(|(_, d)| d.state() == DvrState::Live)
            .map(|(k, _)| k.clone())
            .collect();
        for name in names {
            self.set_dvr_cooling(&name, DvrState::Stopping, at);
        }
    }

    /// The input the channel's active attachment (or first attachment) names, if an encoder
    /// is connected to it.
    pub(crate) fn connected_active_input(&self, channel: &str) -> bool {
        self.channels
            .get(channel)
            .and_then(|rec| active_input_name(&rec.channel))
            .and_then(|input| self.inputs.get(input))
            .is_some_and(|input| input.input_stream_property.is_some())
    }
}

/// The channel's output video streams, counted by codec (H.264, H.265) and resolution
/// tier (SD below 720p, HD up to 1080p, UHD above).
fn output_streams(channel: &Channel) -> [[usize; 3]; 2] {
    use crate::v1::elementary_stream::ElementaryStream as Kind;
    use crate::v1::video_stream::CodecSettings;
    let mut counts = [[0; 3]; 2];
    for es in &channel.elementary_streams {
        let Some(Kind::VideoStream(video)) = &es.elementary_stream else {
            continue;
        };
        let (codec, height) = match &video.codec_settings {
            Some(CodecSettings::H264(h)) => (0, h.height_pixels),
            Some(CodecSettings::H265(h)) => (1, h.height_pixels),
            None => continue,
        };
        let tier = match height {
            h if h > 0 && h < 720 => 0,
            h if h > 1080 => 2,
            _ => 1,
        };
        counts[codec][tier] += 1;
    }
    counts
}

/// The input resource the channel currently takes its stream from.
pub(crate) fn active_input_name(channel: &Channel) -> Option<&str> {
    let attachments = &channel.input_attachments;
    attachments
        .iter()
        .find(|a| a.key == channel.active_input)
        .or_else(|| attachments.first())
        .map(|a| a.input.as_str())
}

/// Distribution states while the channel streams or not.
pub(crate) fn distributions_follow_stream(channel: &mut Channel, streaming: bool) {
    for d in &mut channel.distributions {
        let s = d.state();
        if streaming && s == DistributionState::AwaitingInput {
            d.state = DistributionState::Distributing as i32;
        } else if !streaming && s == DistributionState::Distributing {
            d.state = DistributionState::AwaitingInput as i32;
        }
    }
}

/// The status set on a channel by a forced failure.
pub(crate) fn streaming_error(message: &str) -> crate::rpc::Status {
    super::lro::rpc_status(Code::Internal, message)
}
