//! The 41 RPCs on the [`Client`]: build.rs generates, from the same model as the API table
//! ([`crate::methods`]), for each RPC
//!
//! - an [`Rpc`] impl on the request type: local validation of the routing name against its
//!   pattern, of the `*_id` field, of a caller's `request_id` and of the update mask, and
//!   what `.await` returns (the response, an [`Operation`](crate::Operation), or a page);
//! - `From<&Name>` (and `From<Name>`) for requests that need nothing but their name;
//! - the documented `Client` method, with an example that compiles.

use prost_types::FieldMask;

use super::{Call, Client};
use crate::error::{Error, ErrorKind};
use crate::field_mask::{Updatable, validate_paths};
use crate::methods::Request;
use crate::names::{ResourceName, check_pattern, validate_resource_id};

/// A request message of one of the 41 RPCs, as the client sends it: the API table's
/// [`Request`] plus local validation and what awaiting its [`Call`] gives. Implemented for
/// every request type of the API (and only for them).
pub trait Rpc: Request {
    /// What awaiting a [`Call`] gives: the response, an
    /// [`Operation`](crate::Operation), or (for List methods) the page.
    type Output: Send + 'static;

    /// Checks the request as the service would, before anything is sent: the routing name
    /// against its pattern, the `*_id` field against the ID rule, a `request_id` set by the
    /// caller (a non-nil UUID), and the update mask (normalized to snake_case).
    fn validate(&mut self) -> Result<(), Error>;

    #[doc(hidden)]
    fn into_output(
        client: &Client,
        response: Self::Response,
        request_id: Option<&str>,
    ) -> Result<Self::Output, Error>;
}

fn check_name<N: ResourceName>(field: &str, value: &str) -> Result<(), Error> {
    check_pattern(N::PATTERN, value)
        .map_err(|e| Error::local(ErrorKind::InvalidName, format!("`{field}`: {e}")).with_source(e))
}

fn check_id(field: &str, value: &str) -> Result<(), Error> {
    validate_resource_id(value)
        .map_err(|e| Error::local(ErrorKind::InvalidId, format!("`{field}`: {e}")).with_source(e))
}

/// An empty `request_id` is filled by the client; one set by the caller must be a valid,
/// non-nil UUID (the service's rule).
fn check_request_id(value: &str) -> Result<(), Error> {
    if value.is_empty() || crate::wire::is_valid_request_id(value) {
        return Ok(());
    }
    Err(Error::local(
        ErrorKind::InvalidRequest,
        format!("`request_id` {value:?} must be a valid UUID other than the nil UUID"),
    ))
}

fn check_mask<M: Updatable>(mask: &mut Option<FieldMask>) -> Result<(), Error> {
    match mask {
        Some(mask) if !mask.paths.is_empty() => {
            mask.paths = validate_paths::<M>(&mask.paths)?;
            Ok(())
        }
        _ if M::MASK_REQUIRED => Err(Error::local(
            ErrorKind::InvalidFieldMask,
            format!(
                "`update_mask` is required when updating a {}; updatable fields: {}",
                M::NAME,
                M::UPDATABLE_PATHS.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

include!(concat!(env!("OUT_DIR"), "/client_methods.rs"));
