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

/// Checks an update's mask: its paths must be updatable; a mask that is present but empty
/// (an [`UpdateMask::diff`](crate::field_mask::UpdateMask::diff) that found no change) is
/// refused, because the service reads an empty mask as "every field"; an absent mask is
/// refused where the service requires one.
fn check_mask<M: Updatable>(mask: &mut Option<FieldMask>) -> Result<(), Error> {
    match mask {
        Some(mask) if !mask.paths.is_empty() => {
            mask.paths = validate_paths::<M>(&mask.paths)?;
            Ok(())
        }
        Some(_) => Err(Error::local(
            ErrorKind::InvalidFieldMask,
            format!(
                "the `update_mask` is empty: nothing to update in the {} (the service would \
                 read an empty mask as every field); skip the call when \
                 `UpdateMask::is_empty()`, or leave `update_mask` unset to update every field \
                 present",
                M::NAME
            ),
        )),
        None if M::MASK_REQUIRED => Err(Error::local(
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

#[cfg(test)]
mod tests {
    /// The generated methods, as text: their docs and examples.
    const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/client_methods.rs"));

    /// The doc lines of the generated `Client::{method}`.
    fn method_doc(method: &str) -> &'static str {
        let before = GENERATED
            .split(&format!("pub fn {method}("))
            .next()
            .unwrap_or_default();
        before.rsplit("impl Client {").next().unwrap_or_default()
    }

    #[test]
    fn pool_docs_use_the_one_pool_and_updates_say_channels_must_be_stopped() {
        assert!(!GENERATED.contains("pools/my-pool"), "no such pool exists");
        for method in ["get_pool", "update_pool"] {
            assert!(method_doc(method).contains("pools/default"), "{method}");
        }
        assert!(method_doc("update_pool").contains("must be stopped"));
    }

    #[test]
    fn creates_document_the_typed_form_and_lros_their_result() {
        let doc = method_doc("create_input");
        assert!(doc.contains("client.create_input((&name, input))"), "{doc}");
        assert!(doc.contains("its result, an [`Input`]"), "{doc}");
        // Articles agree with the word after them, in prose and before a link.
        for vowel in [
            "Asset",
            "Event",
            "Input",
            "Operation",
            "InputName",
            "EventName",
        ] {
            for wrong in [format!(" a {vowel}"), format!(" a [`{vowel}`]")] {
                assert!(!GENERATED.contains(&wrong), "{wrong:?}");
            }
        }
    }

    /// Issue 12, item 2 (an LRO's result type had to be guessed) and the examples that did
    /// not run: every method has an example that runs (no `no_run`; on an in-process
    /// emulator, see `build/doc_examples.rs`), and every long-running one names its result.
    #[test]
    fn every_method_has_a_running_example_and_lros_name_their_result() {
        use crate::methods::{Method, MethodKind};
        for method in Method::ALL {
            let doc = method_doc(method.rust_name());
            assert!(doc.contains("# Example"), "{method:?}: an example");
            assert!(!doc.contains("no_run"), "{method:?}: its example runs");
            assert!(
                doc.contains("Client::from_service(emulator.service())"),
                "{method:?}"
            );
            if method.kind() == MethodKind::LongRunning {
                assert!(
                    doc.contains("and returns its result, "),
                    "{method:?}: names its result type"
                );
            }
        }
    }

    #[test]
    fn proto_cross_references_are_rendered_as_code_not_left_raw() {
        const MESSAGES: &str = include_str!(concat!(
            env!("OUT_DIR"),
            "/google.cloud.video.livestream.v1.rs"
        ));
        for text in [GENERATED, MESSAGES] {
            assert!(
                !text.contains("][google."),
                "a raw `[Text][google.x.Y]` reference"
            );
            assert!(!text.contains("][livestream."), "a raw cross reference");
        }
    }
}
