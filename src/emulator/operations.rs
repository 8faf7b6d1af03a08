//! The `google.longrunning.Operations` and `google.cloud.location.Locations` mixins.

use std::time::SystemTime;

use tonic::Status;

use super::errors;
use super::paging::{Cursor, ListParams, page_size};
use super::store::{State, found, parse_name};
use crate::location::{GetLocationRequest, ListLocationsRequest, ListLocationsResponse, Location};
use crate::longrunning::{
    CancelOperationRequest, DeleteOperationRequest, GetOperationRequest, ListOperationsRequest,
    ListOperationsResponse, Operation, WaitOperationRequest,
};
use crate::names::{LocationName, OperationName, ProjectName};

impl State {
    pub(crate) fn list_operations(
        &self,
        _now: SystemTime,
        req: ListOperationsRequest,
    ) -> Result<ListOperationsResponse, Status> {
        let parent: LocationName = parse_name("name", &req.name)?;
        self.check_location("name", &parent)?;
        let params = ListParams {
            method: "ListOperations",
            parent: &req.name,
            page_size: req.page_size,
            page_token: &req.page_token,
            filter: &req.filter,
            order_by: "",
        };
        // Newest first: operation names sort by creation time.
        let (operations, next_page_token) = self.list(
            &self.operations,
            &format!("{parent}/operations/"),
            params,
            true,
            |r| &r.op,
        )?;
        Ok(ListOperationsResponse {
            operations,
            next_page_token,
            unreachable: Vec::new(),
        })
    }

    pub(crate) fn get_operation(
        &self,
        _now: SystemTime,
        req: GetOperationRequest,
    ) -> Result<Operation, Status> {
        let name: OperationName = parse_name("name", &req.name)?;
        Ok(found(&self.operations, &name.to_string())?.op.clone())
    }

    pub(crate) fn delete_operation(
        &mut self,
        _now: SystemTime,
        req: DeleteOperationRequest,
    ) -> Result<(), Status> {
        let name: OperationName = parse_name("name", &req.name)?;
        let key = name.to_string();
        let rec = found(&self.operations, &key)?;
        // Deleting the record does not cancel the work (proto).
        if rec.change.is_some() {
            let rec = rec.clone();
            self.orphans.insert(key.clone(), rec);
        }
        self.operations.remove(&key);
        Ok(())
    }

    pub(crate) fn cancel_operation(
        &mut self,
        now: SystemTime,
        req: CancelOperationRequest,
    ) -> Result<(), Status> {
        let name: OperationName = parse_name("name", &req.name)?;
        self.cancel(&name.to_string(), now)
    }

    /// WaitOperation's first step: the operation's name, checked, and its current state.
    pub(crate) fn wait_operation(
        &self,
        _now: SystemTime,
        req: WaitOperationRequest,
    ) -> Result<Operation, Status> {
        let name: OperationName = parse_name("name", &req.name)?;
        Ok(found(&self.operations, &name.to_string())?.op.clone())
    }

    fn location(&self, project: &str, id: &str) -> Location {
        Location {
            name: format!("projects/{project}/locations/{id}"),
            location_id: id.to_owned(),
            display_name: id.to_owned(),
            ..Default::default()
        }
    }

    pub(crate) fn list_locations(
        &self,
        _now: SystemTime,
        req: ListLocationsRequest,
    ) -> Result<ListLocationsResponse, Status> {
        let project: ProjectName = parse_name("name", &req.name)?;
        if !req.filter.trim().is_empty() {
            return Err(errors::invalid(
                "filter",
                "the emulator does not filter locations",
            ));
        }
        let params = ListParams {
            method: "ListLocations",
            parent: &req.name,
            page_size: req.page_size,
            page_token: &req.page_token,
            filter: "",
            order_by: "",
        };
        let size = page_size(
            req.page_size,
            self.config.default_page_size,
            self.config.max_page_size,
        )?;
        let offset = match self.tokens.decode(&params)? {
            None => 0,
            Some(Cursor::Offset(n)) => usize::try_from(n).unwrap_or(usize::MAX),
            Some(Cursor::After(_)) => {
                return Err(errors::invalid(
                    "page_token",
                    "the page token does not match the request",
                ));
            }
        };
        let ids = &self.config.locations;
        let locations: Vec<Location> = ids
            .iter()
            .skip(offset)
            .take(size)
            .map(|id| self.location(project.project(), id))
            .collect();
        let end = offset.saturating_add(locations.len());
        let next_page_token = if end < ids.len() {
            self.tokens.encode(&params, &Cursor::Offset(end as u64))
        } else {
            String::new()
        };
        Ok(ListLocationsResponse {
            locations,
            next_page_token,
        })
    }

    pub(crate) fn get_location(
        &self,
        _now: SystemTime,
        req: GetLocationRequest,
    ) -> Result<Location, Status> {
        let name: LocationName = parse_name("name", &req.name)?;
        if !self.config.locations.iter().any(|l| l == name.location()) {
            return Err(errors::not_found(&req.name));
        }
        Ok(self.location(name.project(), name.location()))
    }
}
