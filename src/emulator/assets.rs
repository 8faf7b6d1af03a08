//! Assets and the per-location pool (EMULATOR.md, "What it emulates": output-only fields,
//! state machines, preconditions, quotas).

use std::time::SystemTime;

use base64::Engine as _;
use prost::Message;
use tonic::Status;

use super::errors;
use super::lro::{Outcome, gone, pack, pack_empty, rpc_status};
use super::store::{
    Change, State, Verb, check_id, decode_next, found, found_mut, merge_update, parse_name,
    required, scan, ts,
};
use super::validation;
use crate::longrunning::Operation;
use crate::names::{AssetName, LocationName, PoolName};
use crate::v1::asset::{Resource, State as AssetState};
use crate::v1::channel::StreamingState;
use crate::v1::event::{State as EventState, Task};
use crate::v1::{
    Asset, CreateAssetRequest, DeleteAssetRequest, GetAssetRequest, GetPoolRequest,
    ListAssetsRequest, ListAssetsResponse, Pool, UpdatePoolRequest,
};

/// CRC32C (Castagnoli) of `bytes`: the emulator's stand-in for the object's checksum.
fn crc32c(bytes: &[u8]) -> u32 {
    super::journal::crc32c(bytes)
}

impl State {
    pub(crate) fn create_asset(
        &mut self,
        now: SystemTime,
        req: CreateAssetRequest,
    ) -> Result<Operation, Status> {
        let parent: LocationName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent)?;
        check_id("asset_id", &req.asset_id)?;
        let mut asset = required("asset", req.asset)?;
        let name = parent
            .asset(&req.asset_id)
            .map_err(|e| errors::invalid("asset_id", e.to_string()))?
            .to_string();
        if self.assets.contains_key(&name) {
            return Err(errors::already_exists(&name));
        }
        let uri = match &asset.resource {
            Some(Resource::Video(v)) => v.uri.clone(),
            Some(Resource::Image(i)) => i.uri.clone(),
            None => {
                return Err(errors::invalid(
                    "asset.resource",
                    "one of video or image is required",
                ));
            }
        };
        errors::from_violations(validation::asset(&asset), self.config.missing_reference)?;
        let prefix = format!("{parent}/assets/");
        let limit = self.config.quota(|q| q.assets);
        State::check_quota(&self.assets, &prefix, limit, "assets", &parent.to_string())?;
        if asset.crc32c.is_empty() {
            asset.crc32c = base64::engine::general_purpose::STANDARD
                .encode(crc32c(uri.as_bytes()).to_be_bytes());
        }
        asset.name = name.clone();
        asset.create_time = Some(ts(now));
        asset.update_time = Some(ts(now));
        asset.state = AssetState::Creating as i32;
        asset.error = None;
        self.assets.insert(name.clone(), asset);
        Ok(self.start_operation(now, &parent, Change::new(Verb::Create, name)))
    }

    pub(crate) fn get_asset(
        &self,
        _now: SystemTime,
        req: GetAssetRequest,
    ) -> Result<Asset, Status> {
        let name: AssetName = parse_name("name", &req.name)?;
        Ok(found(&self.assets, &name.to_string())?.clone())
    }

    pub(crate) fn list_assets(
        &self,
        _now: SystemTime,
        req: ListAssetsRequest,
    ) -> Result<ListAssetsResponse, Status> {
        let parent: LocationName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent)?;
        let (assets, next_page_token) = self.list(
            &self.assets,
            &format!("{parent}/assets/"),
            list_params!("ListAssets", req),
            false,
            |a| a,
        )?;
        Ok(ListAssetsResponse {
            assets,
            next_page_token,
            unreachable: Vec::new(),
        })
    }

    pub(crate) fn delete_asset(
        &mut self,
        now: SystemTime,
        req: DeleteAssetRequest,
    ) -> Result<Operation, Status> {
        let name: AssetName = parse_name("name", &req.name)?;
        let key = name.to_string();
        found(&self.assets, &key)?;
        if let Some(user) = self.asset_user(&key, &name.parent()) {
            return Err(errors::precondition(
                "ASSET_IN_USE",
                &key,
                format!("Asset '{key}' is used by '{user}' and cannot be deleted"),
            ));
        }
        let asset = found_mut(&mut self.assets, &key)?;
        let mut change = Change::new(Verb::Delete, key);
        change.previous_state = asset.state;
        asset.state = AssetState::Deleting as i32;
        asset.update_time = Some(ts(now));
        Ok(self.start_operation(now, &name.parent(), change))
    }

    /// A channel overlaying the asset, or an unfinished slate event showing it.
    fn asset_user(&self, asset: &str, location: &LocationName) -> Option<String> {
        let prefix = format!("{location}/channels/");
        let channel = scan(&self.channels, &prefix)
            .find(|(_, r)| r.channel.static_overlays.iter().any(|o| o.asset == asset))
            .map(|(k, _)| k.clone());
        channel.or_else(|| {
            scan(&self.events, &prefix)
                .find(|(_, e)| {
                    matches!(&e.task, Some(Task::Slate(s)) if s.asset == asset)
                        && matches!(
                            e.state(),
                            EventState::Scheduled | EventState::Running | EventState::Pending
                        )
                })
                .map(|(k, _)| k.clone())
        })
    }

    pub(crate) fn complete_asset_change(&mut self, change: &Change, at: SystemTime) -> Outcome {
        let key = change.target.as_str();
        let Some(asset) = self.assets.get_mut(key) else {
            return Err(gone(key));
        };
        if change.verb == Verb::Delete {
            self.assets.remove(key);
            return pack_empty();
        }
        if asset.state() == AssetState::Error {
            return Err(asset
                .error
                .clone()
                .unwrap_or_else(|| rpc_status(tonic::Code::Internal, "asset failed")));
        }
        asset.state = AssetState::Active as i32;
        asset.update_time = Some(ts(at));
        pack(&*asset)
    }

    pub(crate) fn get_pool(&self, _now: SystemTime, req: GetPoolRequest) -> Result<Pool, Status> {
        let name: PoolName = parse_name("name", &req.name)?;
        Ok(found(&self.pools, &name.to_string())?.clone())
    }

    pub(crate) fn update_pool(
        &mut self,
        now: SystemTime,
        req: UpdatePoolRequest,
    ) -> Result<Operation, Status> {
        let body = required("pool", req.pool)?;
        let name: PoolName = parse_name("pool.name", &body.name)?;
        let key = name.to_string();
        let existing = found(&self.pools, &key)?;
        let merged = merge_update(existing, &body, req.update_mask.as_ref())?;
        errors::from_violations(validation::pool(&merged), self.config.missing_reference)?;
        let prefix = format!("{}/channels/", name.parent());
        let running = scan(&self.channels, &prefix)
            .find(|(_, r)| r.channel.streaming_state() != StreamingState::Stopped)
            .map(|(k, _)| k.clone());
        if let Some(channel) = running {
            return Err(errors::precondition(
                "CHANNELS_RUNNING",
                &key,
                format!(
                    "Pool '{key}' can only be updated when every channel in the location is stopped; '{channel}' is not"
                ),
            ));
        }
        let mut change = Change::new(Verb::Update, key);
        change.next = merged.encode_to_vec();
        Ok(self.start_operation(now, &name.parent(), change))
    }

    pub(crate) fn complete_pool_change(&mut self, change: &Change, at: SystemTime) -> Outcome {
        let key = change.target.as_str();
        let Some(pool) = self.pools.get_mut(key) else {
            return Err(gone(key));
        };
        let mut next: Pool = decode_next(&change.next)?;
        next.name = pool.name.clone();
        next.create_time = pool.create_time;
        next.update_time = Some(ts(at));
        *pool = next;
        pack(&*pool)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(super::crc32c(b"123456789"), 0xE306_9283);
    }
}
