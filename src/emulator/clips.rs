//! Clips and DVR sessions (EMULATOR.md, "What it emulates": state machines, preconditions):
//! both need the channel's retention config and a manifest key, and both derive output URIs
//! from the channel's manifests.

use std::time::SystemTime;

use prost::Message;
use tonic::Status;

use super::channels::{channel_state_error, is_live};
use super::errors;
use super::lro::{Outcome, gone, pack, pack_empty, rpc_status};
use super::store::{
    Change, State, Timer, Verb, check_id, decode_next, found, found_mut, later, merge_update,
    parse_name, required, system_time, time_of, ts,
};
use super::validation;
use crate::longrunning::Operation;
use crate::names::{ChannelName, ClipName, DvrSessionName};
use crate::v1::clip::{State as ClipState, slice::Kind as SliceKind};
use crate::v1::dvr_session::{State as DvrState, dvr_window::Kind as WindowKind};
use crate::v1::manifest::ManifestType;
use crate::v1::{
    Channel, Clip, CreateClipRequest, CreateDvrSessionRequest, DeleteClipRequest,
    DeleteDvrSessionRequest, DvrSession, GetClipRequest, GetDvrSessionRequest, ListClipsRequest,
    ListClipsResponse, ListDvrSessionsRequest, ListDvrSessionsResponse, Manifest,
    UpdateDvrSessionRequest,
};

/// The channel manifest a clip or DVR manifest names, or INVALID_ARGUMENT.
fn manifest<'a>(channel: &'a Channel, field: &str, key: &str) -> Result<&'a Manifest, Status> {
    if key.is_empty() {
        return Err(errors::required(field));
    }
    channel
        .manifests
        .iter()
        .find(|m| m.key == key)
        .ok_or_else(|| {
            errors::invalid(
                field,
                format!(
                    "channel '{}' has no manifest with key '{key}'",
                    channel.name
                ),
            )
        })
}

fn file_name(manifest: &Manifest) -> &str {
    match (manifest.file_name.as_str(), manifest.r#type()) {
        ("", ManifestType::Dash) => "manifest.mpd",
        ("", _) => "manifest.m3u8",
        (name, _) => name,
    }
}

fn needs_retention(channel: &Channel, what: &str) -> Result<(), Status> {
    if channel.retention_config.is_none() {
        return Err(errors::precondition(
            "RETENTION_CONFIG",
            &channel.name,
            format!(
                "Channel '{}' has no retention_config; {what} need one",
                channel.name
            ),
        ));
    }
    Ok(())
}

/// A DVR window's bounds (unset start: from the beginning; unset end: open).
type Window = (Option<SystemTime>, Option<SystemTime>);

fn windows(dvr: &DvrSession) -> Result<Vec<Window>, Status> {
    let mut out = Vec::with_capacity(dvr.dvr_windows.len());
    for (i, w) in dvr.dvr_windows.iter().enumerate() {
        let Some(WindowKind::TimeInterval(t)) = &w.kind else {
            return Err(errors::invalid(
                &format!("dvr_session.dvr_windows[{i}].time_interval"),
                "a time interval is required",
            ));
        };
        let field = |f: &str| format!("dvr_session.dvr_windows[{i}].time_interval.{f}");
        let start = t
            .start_time
            .as_ref()
            .map(|s| time_of(&field("start_time"), s))
            .transpose()?;
        let end = t
            .end_time
            .as_ref()
            .map(|e| time_of(&field("end_time"), e))
            .transpose()?;
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            return Err(errors::invalid(
                &field("end_time"),
                "must be after start_time",
            ));
        }
        out.push((start, end));
    }
    Ok(out)
}

/// The state a DVR session's windows give at `at`, and when that next changes.
fn window_state(windows: &[Window], at: SystemTime) -> (DvrState, Option<SystemTime>) {
    let live_until = windows
        .iter()
        .filter(|(s, e)| s.is_none_or(|s| s <= at) && e.is_none_or(|e| e > at))
        .map(|(_, e)| *e)
        .max_by_key(|e| e.map_or((1, SystemTime::UNIX_EPOCH), |e| (0, e)));
    if let Some(end) = live_until {
        return (DvrState::Live, end);
    }
    let next_start = windows
        .iter()
        .filter_map(|(s, _)| *s)
        .filter(|s| *s > at)
        .min();
    match next_start {
        Some(start) => (DvrState::Scheduled, Some(start)),
        None => (DvrState::Finished, None),
    }
}

impl State {
    pub(crate) fn create_clip(
        &mut self,
        now: SystemTime,
        req: CreateClipRequest,
    ) -> Result<Operation, Status> {
        let parent: ChannelName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent.parent())?;
        check_id("clip_id", &req.clip_id)?;
        let mut clip = required("clip", req.clip)?;
        let channel_key = parent.to_string();
        let name = parent
            .clip(&req.clip_id)
            .map_err(|e| errors::invalid("clip_id", e.to_string()))?
            .to_string();
        let rec = found(&self.channels, &channel_key)?;
        if self.clips.contains_key(&name) {
            return Err(errors::already_exists(&name));
        }
        errors::from_violations(
            validation::clip(&clip, &rec.channel, now),
            self.config.missing_reference,
        )?;
        match clip.clip_manifests.len() {
            0 => return Err(errors::required("clip.clip_manifests")),
            1 => {}
            _ => {
                return Err(errors::invalid(
                    "clip.clip_manifests",
                    "only one clip manifest is allowed",
                ));
            }
        }
        let mut uris = Vec::with_capacity(clip.clip_manifests.len());
        for (i, m) in clip.clip_manifests.iter().enumerate() {
            let field = format!("clip.clip_manifests[{i}].manifest_key");
            let manifest = manifest(&rec.channel, &field, &m.manifest_key)?;
            if manifest.r#type() != ManifestType::Hls {
                return Err(errors::invalid(&field, "only HLS manifests can be clipped"));
            }
            uris.push(format!(
                "{}/{}",
                clip.output_uri.trim_end_matches('/'),
                file_name(manifest)
            ));
        }
        let mut ranges = Vec::with_capacity(clip.slices.len());
        for (i, slice) in clip.slices.iter().enumerate() {
            let field = |f: &str| format!("clip.slices[{i}].time_slice.{f}");
            let Some(SliceKind::TimeSlice(t)) = &slice.kind else {
                return Err(errors::invalid(
                    &format!("clip.slices[{i}]"),
                    "a time slice is required",
                ));
            };
            let markin = time_of(
                &field("markin_time"),
                &required(&field("markin_time"), t.markin_time)?,
            )?;
            let markout = time_of(
                &field("markout_time"),
                &required(&field("markout_time"), t.markout_time)?,
            )?;
            if markin >= markout {
                return Err(errors::invalid(
                    &field("markout_time"),
                    "must be after markin_time",
                ));
            }
            if markout > now {
                return Err(errors::invalid(
                    &field("markout_time"),
                    "only past content can be clipped",
                ));
            }
            ranges.push((markin, markout));
        }
        needs_retention(&rec.channel, "clips")?;
        let state = rec.channel.streaming_state();
        if !is_live(state) {
            return Err(channel_state_error(
                &channel_key,
                state,
                "must be running to create clips",
            ));
        }
        let content = if self.config.strict_media {
            &rec.streaming
        } else {
            &rec.running
        };
        let covered = if ranges.is_empty() {
            !content.is_empty()
        } else {
            ranges
                .iter()
                .all(|(from, to)| content.iter().any(|i| i.overlaps(*from, *to)))
        };
        if !covered {
            return Err(errors::precondition(
                "NO_CONTENT",
                &channel_key,
                format!("Channel '{channel_key}' produced no content in the requested time range"),
            ));
        }
        let prefix = format!("{channel_key}/clips/");
        let limit = self.config.quota(|q| q.clips_per_channel);
        State::check_quota(&self.clips, &prefix, limit, "clips", &channel_key)?;
        for (m, uri) in clip.clip_manifests.iter_mut().zip(uris) {
            m.output_uri = uri;
        }
        clip.name = name.clone();
        clip.create_time = Some(ts(now));
        clip.start_time = Some(ts(now));
        clip.update_time = Some(ts(now));
        clip.state = ClipState::Pending as i32;
        clip.error = None;
        self.clips.insert(name.clone(), clip);
        Ok(self.start_operation(now, &parent.parent(), Change::new(Verb::Create, name)))
    }

    pub(crate) fn get_clip(&self, _now: SystemTime, req: GetClipRequest) -> Result<Clip, Status> {
        let name: ClipName = parse_name("name", &req.name)?;
        Ok(found(&self.clips, &name.to_string())?.clone())
    }

    pub(crate) fn list_clips(
        &self,
        _now: SystemTime,
        req: ListClipsRequest,
    ) -> Result<ListClipsResponse, Status> {
        let parent: ChannelName = parse_name("parent", &req.parent)?;
        let key = parent.to_string();
        found(&self.channels, &key)?;
        let (clips, next_page_token) = self.list(
            &self.clips,
            &format!("{key}/clips/"),
            list_params!("ListClips", req),
            false,
            |c| c,
        )?;
        Ok(ListClipsResponse {
            clips,
            next_page_token,
            unreachable: Vec::new(),
        })
    }

    pub(crate) fn delete_clip(
        &mut self,
        now: SystemTime,
        req: DeleteClipRequest,
    ) -> Result<Operation, Status> {
        let name: ClipName = parse_name("name", &req.name)?;
        let key = name.to_string();
        found(&self.clips, &key)?;
        Ok(self.start_operation(now, &name.parent().parent(), Change::new(Verb::Delete, key)))
    }

    pub(crate) fn complete_clip_change(&mut self, change: &Change, at: SystemTime) -> Outcome {
        let key = change.target.as_str();
        let Some(clip) = self.clips.get_mut(key) else {
            return Err(gone(key));
        };
        if change.verb == Verb::Delete {
            self.clips.remove(key);
            return pack_empty();
        }
        if clip.state() == ClipState::Failed {
            return Err(clip
                .error
                .clone()
                .unwrap_or_else(|| rpc_status(tonic::Code::Internal, "clip failed")));
        }
        clip.state = ClipState::Succeeded as i32;
        clip.update_time = Some(ts(at));
        pack(&*clip)
    }

    pub(crate) fn create_dvr_session(
        &mut self,
        now: SystemTime,
        req: CreateDvrSessionRequest,
    ) -> Result<Operation, Status> {
        let parent: ChannelName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent.parent())?;
        check_id("dvr_session_id", &req.dvr_session_id)?;
        let mut dvr = required("dvr_session", req.dvr_session)?;
        let channel_key = parent.to_string();
        let name = parent
            .dvr_session(&req.dvr_session_id)
            .map_err(|e| errors::invalid("dvr_session_id", e.to_string()))?
            .to_string();
        let rec = found(&self.channels, &channel_key)?;
        if self.dvr_sessions.contains_key(&name) {
            return Err(errors::already_exists(&name));
        }
        errors::from_violations(
            validation::dvr_session(&dvr, &rec.channel),
            self.config.missing_reference,
        )?;
        match dvr.dvr_manifests.len() {
            0 => return Err(errors::required("dvr_session.dvr_manifests")),
            1 => {}
            _ => {
                return Err(errors::invalid(
                    "dvr_session.dvr_manifests",
                    "only one DVR manifest is allowed",
                ));
            }
        }
        if dvr.dvr_windows.is_empty() {
            return Err(errors::required("dvr_session.dvr_windows"));
        }
        windows(&dvr)?;
        let base = rec
            .channel
            .output
            .as_ref()
            .map(|o| o.uri.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let mut uris = Vec::with_capacity(dvr.dvr_manifests.len());
        for (i, m) in dvr.dvr_manifests.iter().enumerate() {
            let field = format!("dvr_session.dvr_manifests[{i}].manifest_key");
            let manifest = manifest(&rec.channel, &field, &m.manifest_key)?;
            uris.push(format!(
                "{base}/dvr/{}/{}",
                req.dvr_session_id,
                file_name(manifest)
            ));
        }
        needs_retention(&rec.channel, "DVR sessions")?;
        let prefix = format!("{channel_key}/dvrSessions/");
        let limit = self.config.quota(|q| q.dvr_sessions_per_channel);
        State::check_quota(
            &self.dvr_sessions,
            &prefix,
            limit,
            "DVR sessions",
            &channel_key,
        )?;
        for (m, uri) in dvr.dvr_manifests.iter_mut().zip(uris) {
            m.output_uri = uri;
        }
        dvr.name = name.clone();
        dvr.create_time = Some(ts(now));
        dvr.update_time = Some(ts(now));
        dvr.state = DvrState::Pending as i32;
        dvr.error = None;
        self.dvr_sessions.insert(name.clone(), dvr);
        Ok(self.start_operation(now, &parent.parent(), Change::new(Verb::Create, name)))
    }

    pub(crate) fn get_dvr_session(
        &self,
        _now: SystemTime,
        req: GetDvrSessionRequest,
    ) -> Result<DvrSession, Status> {
        let name: DvrSessionName = parse_name("name", &req.name)?;
        Ok(found(&self.dvr_sessions, &name.to_string())?.clone())
    }

    pub(crate) fn list_dvr_sessions(
        &self,
        _now: SystemTime,
        req: ListDvrSessionsRequest,
    ) -> Result<ListDvrSessionsResponse, Status> {
        let parent: ChannelName = parse_name("parent", &req.parent)?;
        let key = parent.to_string();
        found(&self.channels, &key)?;
        let (dvr_sessions, next_page_token) = self.list(
            &self.dvr_sessions,
            &format!("{key}/dvrSessions/"),
            list_params!("ListDvrSessions", req),
            false,
            |d| d,
        )?;
        Ok(ListDvrSessionsResponse {
            dvr_sessions,
            next_page_token,
            unreachable: Vec::new(),
        })
    }

    pub(crate) fn delete_dvr_session(
        &mut self,
        now: SystemTime,
        req: DeleteDvrSessionRequest,
    ) -> Result<Operation, Status> {
        let name: DvrSessionName = parse_name("name", &req.name)?;
        let key = name.to_string();
        let dvr = found_mut(&mut self.dvr_sessions, &key)?;
        let mut change = Change::new(Verb::Delete, key);
        change.previous_state = dvr.state;
        dvr.state = DvrState::Deleting as i32;
        dvr.update_time = Some(ts(now));
        Ok(self.start_operation(now, &name.parent().parent(), change))
    }

    pub(crate) fn update_dvr_session(
        &mut self,
        now: SystemTime,
        req: UpdateDvrSessionRequest,
    ) -> Result<Operation, Status> {
        let body = required("dvr_session", req.dvr_session)?;
        let name: DvrSessionName = parse_name("dvr_session.name", &body.name)?;
        let key = name.to_string();
        let existing = found(&self.dvr_sessions, &key)?;
        let merged = merge_update(existing, &body, req.update_mask.as_ref())?;
        if merged.dvr_windows.is_empty() {
            return Err(errors::required("dvr_session.dvr_windows"));
        }
        windows(&merged)?;
        let channel = &found(&self.channels, &name.parent().to_string())?.channel;
        errors::from_violations(
            validation::dvr_session(&merged, channel),
            self.config.missing_reference,
        )?;
        let state = existing.state();
        if matches!(
            state,
            DvrState::Deleting | DvrState::Pending | DvrState::Updating
        ) {
            return Err(errors::precondition(
                "DVR_SESSION_STATE",
                &key,
                format!(
                    "DVR session '{key}' cannot be updated while it is {}",
                    state.as_str_name()
                ),
            ));
        }
        let mut change = Change::new(Verb::Update, key.clone());
        change.next = merged.encode_to_vec();
        change.previous_state = state as i32;
        let dvr = found_mut(&mut self.dvr_sessions, &key)?;
        dvr.state = DvrState::Updating as i32;
        dvr.update_time = Some(ts(now));
        Ok(self.start_operation(now, &name.parent().parent(), change))
    }

    pub(crate) fn complete_dvr_change(&mut self, change: &Change, at: SystemTime) -> Outcome {
        let key = change.target.as_str();
        let cooldown = self.config.dvr_cooldown;
        let Some(dvr) = self.dvr_sessions.get_mut(key) else {
            return Err(gone(key));
        };
        match change.verb {
            Verb::Delete => {
                self.dvr_sessions.remove(key);
                return pack_empty();
            }
            Verb::Update => {
                let mut next: DvrSession = decode_next(&change.next)?;
                next.name = dvr.name.clone();
                next.create_time = dvr.create_time;
                next.dvr_manifests = dvr.dvr_manifests.clone();
                next.error = None;
                *dvr = next;
                let ended = windows(dvr)
                    .map(|w| window_state(&w, at).0 == DvrState::Finished)
                    .unwrap_or(false);
                if ended {
                    // The end moved into the past: COOLDOWN, then FINISHED (proto).
                    dvr.state = DvrState::Cooldown as i32;
                    dvr.update_time = Some(ts(at));
                    self.schedule(later(at, cooldown), Timer::Dvr(key.into()));
                    return self.dvr_response(key);
                }
            }
            _ => {
                if dvr.state() == DvrState::Failed {
                    return Err(dvr.error.clone().unwrap_or_else(|| {
                        rpc_status(tonic::Code::Internal, "DVR session failed")
                    }));
                }
            }
        }
        self.refresh_dvr(key, at);
        self.dvr_response(key)
    }

    fn dvr_response(&self, key: &str) -> Outcome {
        match self.dvr_sessions.get(key) {
            Some(d) => pack(d),
            None => Err(gone(key)),
        }
    }

    /// Sets a DVR session's state from its windows and schedules its next boundary.
    fn refresh_dvr(&mut self, key: &str, at: SystemTime) {
        let Some(dvr) = self.dvr_sessions.get_mut(key) else {
            return;
        };
        let Ok(w) = windows(dvr) else {
            return;
        };
        let (state, next) = window_state(&w, at);
        if dvr.state != state as i32 {
            dvr.state = state as i32;
            dvr.update_time = Some(ts(at));
        }
        if let Some(next) = next {
            self.schedule(next, Timer::Dvr(key.into()));
        }
    }

    /// A DVR session enters COOLDOWN or STOPPING, and FINISHED after the cooldown.
    pub(crate) fn set_dvr_cooling(&mut self, key: &str, state: DvrState, at: SystemTime) {
        let cooldown = self.config.dvr_cooldown;
        if let Some(dvr) = self.dvr_sessions.get_mut(key) {
            dvr.state = state as i32;
            dvr.update_time = Some(ts(at));
            self.schedule(later(at, cooldown), Timer::Dvr(key.into()));
        }
    }

    pub(crate) fn dvr_tick(&mut self, key: &str, at: SystemTime) {
        let Some(dvr) = self.dvr_sessions.get_mut(key) else {
            return;
        };
        match dvr.state() {
            DvrState::Scheduled | DvrState::Live => self.refresh_dvr(key, at),
            DvrState::Cooldown | DvrState::Stopping => {
                let since = dvr.update_time.as_ref().and_then(system_time).unwrap_or(at);
                if later(since, self.config.dvr_cooldown) <= at {
                    dvr.state = DvrState::Finished as i32;
                    dvr.update_time = Some(ts(at));
                }
            }
            _ => {}
        }
    }

    /// Schedules the next transition of a DVR session (after loading a snapshot).
    pub(crate) fn schedule_dvr(&mut self, key: &str, now: SystemTime) {
        let Some(dvr) = self.dvr_sessions.get(key) else {
            return;
        };
        match dvr.state() {
            DvrState::Scheduled | DvrState::Live => self.refresh_dvr(key, now),
            DvrState::Cooldown | DvrState::Stopping => {
                let since = dvr
                    .update_time
                    .as_ref()
                    .and_then(system_time)
                    .unwrap_or(now);
                let at = later(since, self.config.dvr_cooldown);
                self.schedule(at, Timer::Dvr(key.into()));
            }
            _ => {}
        }
    }
}
