//! Inputs: CRUD, preview, the server-filled URI, and the pool side effect (EMULATOR.md,
//! "What it emulates": output-only fields).

use std::time::SystemTime;

use prost::Message;
use tonic::Status;

use super::channels::is_live;
use super::errors;
use super::lro::{Outcome, gone, pack, pack_empty};
use super::store::{
    Change, State, Verb, check_id, decode_next, found, merge_update, parse_name, required, scan, ts,
};
use super::validation;
use crate::longrunning::Operation;
use crate::names::{InputName, LocationName};
use crate::v1::input::{Tier, Type};
use crate::v1::{
    Channel, CreateInputRequest, DeleteInputRequest, GetInputRequest, Input, ListInputsRequest,
    ListInputsResponse, Pool, PreviewInputRequest, PreviewInputResponse, UpdateInputRequest,
};

impl State {
    pub(crate) fn create_input(
        &mut self,
        now: SystemTime,
        req: CreateInputRequest,
    ) -> Result<Operation, Status> {
        let parent: LocationName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent)?;
        check_id("input_id", &req.input_id)?;
        let mut input = required("input", req.input)?;
        let name = parent
            .input(&req.input_id)
            .map_err(|e| errors::invalid("input_id", e.to_string()))?
            .to_string();
        if self.inputs.contains_key(&name) {
            return Err(errors::already_exists(&name));
        }
        let kind = match Type::try_from(input.r#type) {
            Ok(t @ (Type::RtmpPush | Type::SrtPush)) => t,
            _ => {
                return Err(errors::invalid(
                    "input.type",
                    "must be RTMP_PUSH or SRT_PUSH",
                ));
            }
        };
        match Tier::try_from(input.tier) {
            Ok(Tier::Unspecified) => input.tier = Tier::Hd as i32,
            Ok(_) => {}
            Err(_) => return Err(errors::invalid("input.tier", "unknown tier")),
        }
        errors::from_violations(validation::input(&input), self.config.missing_reference)?;
        let prefix = format!("{parent}/inputs/");
        let limit = self.config.quota(|q| q.inputs);
        State::check_quota(&self.inputs, &prefix, limit, "inputs", &parent.to_string())?;
        let stream_id = uuid::Uuid::new_v4();
        let host = fastrand::u8(1..=254);
        input.uri = match kind {
            Type::SrtPush => format!("srt://192.0.2.{host}:4201?streamid={stream_id}"),
            _ => format!("rtmp://192.0.2.{host}/live/{stream_id}"),
        };
        input.name = name.clone();
        input.create_time = Some(ts(now));
        input.update_time = Some(ts(now));
        input.input_stream_property = None;
        self.inputs.insert(name.clone(), input);
        Ok(self.start_operation(now, &parent, Change::new(Verb::Create, name)))
    }

    pub(crate) fn get_input(
        &self,
        _now: SystemTime,
        req: GetInputRequest,
    ) -> Result<Input, Status> {
        let name: InputName = parse_name("name", &req.name)?;
        Ok(found(&self.inputs, &name.to_string())?.clone())
    }

    pub(crate) fn list_inputs(
        &self,
        _now: SystemTime,
        req: ListInputsRequest,
    ) -> Result<ListInputsResponse, Status> {
        let parent: LocationName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent)?;
        let (inputs, next_page_token) = self.list(
            &self.inputs,
            &format!("{parent}/inputs/"),
            list_params!("ListInputs", req),
            false,
            |i| i,
        )?;
        Ok(ListInputsResponse {
            inputs,
            next_page_token,
            unreachable: Vec::new(),
        })
    }

    pub(crate) fn delete_input(
        &mut self,
        now: SystemTime,
        req: DeleteInputRequest,
    ) -> Result<Operation, Status> {
        let name: InputName = parse_name("name", &req.name)?;
        let key = name.to_string();
        found(&self.inputs, &key)?;
        if let Some(channel) = self.channels_using(&key, false).into_iter().next() {
            return Err(errors::precondition(
                "INPUT_IN_USE",
                &key,
                format!(
                    "Input '{key}' is attached to channel '{channel}'; detach it or delete the channel first"
                ),
            ));
        }
        Ok(self.start_operation(now, &name.parent(), Change::new(Verb::Delete, key)))
    }

    pub(crate) fn update_input(
        &mut self,
        now: SystemTime,
        req: UpdateInputRequest,
    ) -> Result<Operation, Status> {
        let body = required("input", req.input)?;
        let name: InputName = parse_name("input.name", &body.name)?;
        let key = name.to_string();
        let existing = found(&self.inputs, &key)?;
        let merged = merge_update(existing, &body, req.update_mask.as_ref())?;
        if Tier::try_from(merged.tier).is_err() {
            return Err(errors::invalid("input.tier", "unknown tier"));
        }
        errors::from_violations(validation::input(&merged), self.config.missing_reference)?;
        if !self.config.allow_update_input_in_use
            && let Some(channel) = self.channels_using(&key, true).into_iter().next()
        {
            return Err(errors::precondition(
                "INPUT_IN_USE",
                &key,
                format!("Input '{key}' is used by running channel '{channel}'; stop it first"),
            ));
        }
        let mut change = Change::new(Verb::Update, key);
        change.next = merged.encode_to_vec();
        Ok(self.start_operation(now, &name.parent(), change))
    }

    pub(crate) fn preview_input(
        &mut self,
        _now: SystemTime,
        req: PreviewInputRequest,
    ) -> Result<PreviewInputResponse, Status> {
        let name: InputName = parse_name("name", &req.name)?;
        let key = name.to_string();
        found(&self.inputs, &key)?;
        if self.config.preview_requires_running_channel
            && self.channels_using(&key, true).is_empty()
        {
            return Err(errors::precondition(
                "INPUT_NOT_STREAMING",
                &key,
                format!("Input '{key}' is not used by a running channel; start one to preview it"),
            ));
        }
        Ok(PreviewInputResponse {
            uri: format!("https://preview.livestream-emulator.invalid/v1/{key}/preview.ts"),
            bearer_token: format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
        })
    }

    /// The channels in the input's location that attach it (only running ones if `live`).
    pub(crate) fn channels_using(&self, input: &str, live: bool) -> Vec<String> {
        self.channels_near(input, |c| {
            c.input_attachments.iter().any(|a| a.input == input)
                && (!live || is_live(c.streaming_state()))
        })
    }

    /// The names of the channels in the input's location that `pick` selects (channels can
    /// only attach inputs of their own location).
    pub(crate) fn channels_near(
        &self,
        input: &str,
        pick: impl Fn(&Channel) -> bool,
    ) -> Vec<String> {
        let Ok(name) = input.parse::<InputName>() else {
            return Vec::new();
        };
        let prefix = format!("{}/channels/", name.parent());
        scan(&self.channels, &prefix)
            .filter(|(_, r)| pick(&r.channel))
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub(crate) fn complete_input_change(&mut self, change: &Change, at: SystemTime) -> Outcome {
        let key = change.target.as_str();
        let Some(input) = self.inputs.get_mut(key) else {
            return Err(gone(key));
        };
        match change.verb {
            Verb::Delete => {
                self.inputs.remove(key);
                pack_empty()
            }
            Verb::Update => {
                let mut next: Input = decode_next(&change.next)?;
                next.name = input.name.clone();
                next.create_time = input.create_time;
                next.uri = input.uri.clone();
                next.r#type = input.r#type;
                next.input_stream_property = input.input_stream_property.clone();
                next.update_time = Some(ts(at));
                *input = next;
                pack(&*input)
            }
            _ => {
                let response = pack(&*input);
                // The pool exists once the location has its first input (proto `Pool`).
                if let Ok(name) = key.parse::<InputName>()
                    && let Ok(pool) = name.parent().pool("default")
                {
                    let pool = pool.to_string();
                    if !self.pools.contains_key(&pool) {
                        let created = Pool {
                            name: pool.clone(),
                            create_time: Some(ts(at)),
                            update_time: Some(ts(at)),
                            ..Default::default()
                        };
                        self.pools.insert(pool, created);
                    }
                }
                response
            }
        }
    }
}
