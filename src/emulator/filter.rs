//! AIP-160 filters and AIP-132 `order_by` for the emulator's List methods.
//!
//! INTERFACE STUB: the signatures below are the contract the emulator core codes against;
//! the implementation replaces the bodies.
#![allow(dead_code)]

use std::cmp::Ordering;
use std::marker::PhantomData;

/// A filter or order_by that cannot be used: a syntax error or an unknown field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilterError {
    /// Which request field was bad: `"filter"` or `"order_by"`.
    pub(crate) field: &'static str,
    /// A human-readable description naming the offending token or field.
    pub(crate) description: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.description)
    }
}

/// A resource the List methods can filter and order (Channel, Input, Event, Clip,
/// DvrSession, Asset, and google.longrunning.Operation).
pub(crate) trait Filterable {}

/// A compiled filter; the empty filter matches everything.
#[derive(Debug)]
pub(crate) struct Filter<T> {
    _t: PhantomData<fn(&T)>,
}

impl<T: Filterable> Filter<T> {
    /// Parses and checks `text` against `T`'s fields.
    pub(crate) fn parse(text: &str) -> Result<Self, FilterError> {
        if text.trim().is_empty() {
            Ok(Filter { _t: PhantomData })
        } else {
            Err(FilterError {
                field: "filter",
                description: "filters are not implemented yet".into(),
            })
        }
    }

    /// Whether `item` passes the filter.
    pub(crate) fn matches(&self, _item: &T) -> bool {
        true
    }
}

/// A compiled order_by; the empty one orders by `name` ascending.
#[derive(Debug)]
pub(crate) struct OrderBy<T> {
    _t: PhantomData<fn(&T)>,
}

impl<T: Filterable> OrderBy<T> {
    /// Parses and checks `text` (`field [desc], field2 ...`) against `T`'s fields.
    pub(crate) fn parse(text: &str) -> Result<Self, FilterError> {
        if text.trim().is_empty() {
            Ok(OrderBy { _t: PhantomData })
        } else {
            Err(FilterError {
                field: "order_by",
                description: "order_by is not implemented yet".into(),
            })
        }
    }

    /// Whether this is the default order (by name, ascending), which the store already has.
    pub(crate) fn is_default(&self) -> bool {
        true
    }

    /// Compares two items; ties are broken by name so the order is total.
    pub(crate) fn compare(&self, _a: &T, _b: &T) -> Ordering {
        Ordering::Equal
    }
}

// Added on the emulator branch so the core compiles against this stub; the real module
// (branch `filter`) implements `Filterable` for these types and replaces this file.
impl Filterable for crate::v1::Channel {}
impl Filterable for crate::v1::Input {}
impl Filterable for crate::v1::Event {}
impl Filterable for crate::v1::Clip {}
impl Filterable for crate::v1::DvrSession {}
impl Filterable for crate::v1::Asset {}
impl Filterable for crate::longrunning::Operation {}
