//! AIP-160 filters and AIP-132 `order_by` for the emulator's List methods.
//!
//! # What is supported
//!
//! A filter is parsed once ([`Filter::parse`]), checked against the resource's typed schema
//! ([`Filterable::FIELDS`]) and then evaluated per item ([`Filter::matches`]):
//!
//! * `AND`, `OR`, `NOT`, `-` and parentheses; juxtaposition (`a b`) is an implicit `AND`.
//!   As AIP-160 says, `OR` binds tighter than `AND`: `a AND b OR c` is `a AND (b OR c)`.
//!   Keywords are case-sensitive.
//! * Comparators `=`, `!=`, `<`, `<=`, `>`, `>=` and `:` (has). Field names go on the left,
//!   literals on the right; the right side may also be a parenthesised combination of
//!   literals, `state = (ACTIVE OR CREATING)`, which applies the field and operator to each.
//! * Fields in snake_case or lowerCamelCase (`streaming_state`, `streamingState`).
//! * Strings: `=`/`!=` with a leading and/or trailing `*` wildcard (`name = "*-prod"`; write
//!   `\*` for a literal star), lexicographic ordering comparisons, and `:` for "contains".
//! * Enums: `=`, `!=` and `:` against the value name, quoted or not (`state = ACTIVE`);
//!   an unknown name is an error. Booleans: `true`/`false` with `=`, `!=` and `:`. AIP-160
//!   says not to offer ordering on enums and booleans, so `<` and friends are errors there.
//! * Timestamps: all comparators against an RFC 3339 string
//!   (`create_time > "2024-01-01T00:00:00Z"`, fractional seconds and offsets allowed),
//!   parsed by `prost_types::Timestamp`'s `FromStr` (already a dependency), which is a little
//!   more lenient than RFC 3339: a bare date is midnight UTC, a missing offset means UTC.
//!   `:` means `=`. The right side is always a literal, so `update_time > create_time` is
//!   an error (`create_time` is not a timestamp).
//! * Maps (`labels`): `labels:KEY` and `labels.KEY:*` test for the key, `labels.KEY = "v"`
//!   (and the other comparators) compare its value, `labels.KEY:v` means `labels.KEY = v`
//!   as in AIP-160's `m.foo:42`, and `labels:*` means "has any label".
//! * `FIELD:*` tests presence; as AIP-160 says, a field is present when it has a
//!   non-default value (a non-empty string, `true`, a non-zero enum, a set timestamp).
//! * An absent value never satisfies a comparison, not even `!=`: `labels.env != "prod"` is
//!   false for items without an `env` label, and so is a comparison against an unset
//!   timestamp or an operation whose metadata cannot be decoded. (AIP-160 lets a service
//!   decide how traversal to missing map keys behaves; this is the choice, and
//!   `NOT labels.env = "prod"` is how to include them.)
//! * Not supported, each with a clear error: bare literals ("global restrictions" such as
//!   `prod`), function calls, fields outside the schema, traversal into anything but
//!   `labels` and `metadata`.
//!
//! `order_by` ([`OrderBy::parse`]) is AIP-132's `field [asc|desc], ...` over the same field
//! names (the direction is case-insensitive; `labels` can only be ordered by one key,
//! `labels.env`). Unset values sort first in ascending order. Every order ends with `name`
//! ascending, so it is total.
//!
//! Limits: a filter or order_by longer than [`MAX_LENGTH`] bytes, or nesting more than
//! [`MAX_DEPTH`] levels (each `(`, `NOT`, `-` and function call is a level), is rejected, so
//! recursion is bounded and parsing is linear in the input. Errors name the offending token
//! or field and its column (1-based, in characters).
//!
//! # Why a hand-written parser
//!
//! The `aip-160` crate (0.2.0) was evaluated. It parses the whole EBNF (AND/OR/NOT/`-`,
//! sequences, has, functions, escapes), limits nesting, did not panic on the inputs tried
//! during the evaluation, and its only dependency (`thiserror`) is already in our lock
//! file. But its syntax tree carries no source positions, so an unknown field or a
//! wrong-typed value could not be reported with a column, which the server's `BadRequest`
//! answers need; its depth error has no position either; it rejects `NOT(a)` and
//! `a AND(b)` (keywords need whitespace after them); and it is a young single-maintainer
//! crate (seven releases, five of them on one day). The grammar is small, so this module
//! has its own lexer and recursive-descent parser (about 600 lines with their docs) that
//! keep byte offsets on every token, and we own the error wording.

// The emulator core that calls `Filter` and `OrderBy` is written in parallel; until it is
// merged only this module's tests use them.
#![cfg_attr(not(test), allow(dead_code))]

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

mod eval;
mod lexer;
mod parser;
mod resources;
#[cfg(test)]
mod tests;

/// The longest filter or order_by accepted, in bytes.
pub(crate) const MAX_LENGTH: usize = 8 * 1024;

/// The deepest nesting accepted in a filter: each `(`, `NOT`, `-` and function call counts.
pub(crate) const MAX_DEPTH: usize = 64;

/// A filter or order_by that cannot be used: a syntax error or an unknown field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilterError {
    /// Which request field was bad: `"filter"` or `"order_by"`.
    pub(crate) field: &'static str,
    /// A human-readable description naming the offending token or field.
    pub(crate) description: String,
}

impl FilterError {
    /// An error in the `filter` request field.
    fn filter(description: String) -> Self {
        FilterError {
            field: "filter",
            description,
        }
    }

    /// An error in the `order_by` request field.
    fn order_by(description: String) -> Self {
        FilterError {
            field: "order_by",
            description,
        }
    }
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.description)
    }
}

impl std::error::Error for FilterError {}

/// A resource the List methods can filter and order (Channel, Input, Event, Clip,
/// DvrSession, Asset, and google.longrunning.Operation).
///
/// The schema is a static table of typed fields, each with an accessor, so parsing can
/// check names, operators and literals once and evaluation is a table lookup.
pub(crate) trait Filterable: Sized + 'static {
    /// The resource type, for error messages (`"Channel"`).
    const KIND: &'static str;

    /// The fields filters and order_by may name, by their snake_case path
    /// (`"streaming_state"`, `"metadata.target"`); the camelCase spelling is derived.
    const FIELDS: &'static [Field<Self>];

    /// The full resource name: the last key of every order, which makes it total.
    fn resource_name(&self) -> &str;
}

/// One filterable field of `T`.
pub(crate) struct Field<T> {
    /// The snake_case path, segments joined by `.`.
    pub(crate) path: &'static str,
    /// Its type, which decides the operators and literals it accepts.
    pub(crate) kind: Kind,
    /// Reads the field from an item.
    pub(crate) get: for<'a> fn(&'a T) -> Value<'a>,
}

// Manual impls: derives would needlessly require `T: Clone`/`T: Debug`.
impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Field<T> {}

impl<T> std::fmt::Debug for Field<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The type of a filterable field.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A string: wildcards, ordering, `:` contains.
    String,
    /// A boolean: `true`/`false`, equality only.
    Bool,
    /// A `google.protobuf.Timestamp`: RFC 3339 literals, all comparators.
    Timestamp,
    /// A proto enum: value names, equality only.
    Enum(EnumType),
    /// A `map<string, string>` such as `labels`: key presence and `labels.KEY` traversal.
    Labels,
}

impl Kind {
    /// The type's name in error messages.
    fn describe(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Bool => "boolean",
            Kind::Timestamp => "timestamp",
            Kind::Enum(_) => "enum",
            Kind::Labels => "map",
        }
    }
}

/// A proto enum's value names, read off the prost-generated enum.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EnumType {
    /// The proto enum's name, for error messages (`"Channel.StreamingState"`).
    pub(crate) name: &'static str,
    /// The number of a value name (`from_str_name`).
    pub(crate) from_name: fn(&str) -> Option<i32>,
    /// The name of a number (`as_str_name`), if it is a known value.
    pub(crate) to_name: fn(i32) -> Option<&'static str>,
}

impl EnumType {
    /// The known value names, in number order, for error messages.
    fn names(&self) -> Vec<&'static str> {
        // prost enums cannot be iterated; the API's values are all small numbers.
        (0..256).filter_map(self.to_name).collect()
    }
}

/// A field's value in one item.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    /// Not there: an unset message field, a missing map key, undecodable metadata. Every
    /// comparison with it is false.
    Absent,
    /// A string.
    String(Cow<'a, str>),
    /// A boolean.
    Bool(bool),
    /// An enum's number.
    Enum(i32),
    /// A timestamp as `(seconds, nanos)`, which orders chronologically.
    Timestamp(i64, i32),
    /// A string map.
    Labels(&'a HashMap<String, String>),
}

impl<'a> Value<'a> {
    /// A borrowed string value.
    pub(crate) fn str(s: &'a str) -> Self {
        Value::String(Cow::Borrowed(s))
    }

    /// An optional timestamp; `None` is [`Value::Absent`].
    pub(crate) fn timestamp(t: Option<&prost_types::Timestamp>) -> Value<'static> {
        t.map_or(Value::Absent, |t| Value::Timestamp(t.seconds, t.nanos))
    }
}

/// A compiled filter; the empty filter matches everything.
#[derive(Debug)]
pub(crate) struct Filter<T> {
    /// `None` matches everything.
    pred: Option<eval::Pred<T>>,
}

impl<T: Filterable> Filter<T> {
    /// Parses and checks `text` against `T`'s fields.
    pub(crate) fn parse(text: &str) -> Result<Self, FilterError> {
        check_length(text).map_err(FilterError::filter)?;
        let pred = match parser::parse(text)? {
            None => None,
            Some(expr) => Some(eval::compile::<T>(&expr, text)?),
        };
        Ok(Filter { pred })
    }

    /// Whether `item` passes the filter.
    pub(crate) fn matches(&self, item: &T) -> bool {
        self.pred.as_ref().is_none_or(|p| p.eval(item))
    }
}

/// A compiled order_by; the empty one orders by `name` ascending.
#[derive(Debug)]
pub(crate) struct OrderBy<T> {
    /// The keys in priority order; `name` ascending is implied after them.
    keys: Vec<eval::OrderKey<T>>,
}

impl<T: Filterable> OrderBy<T> {
    /// Parses and checks `text` (`field [desc], field2 ...`) against `T`'s fields.
    pub(crate) fn parse(text: &str) -> Result<Self, FilterError> {
        check_length(text).map_err(FilterError::order_by)?;
        Ok(OrderBy {
            keys: eval::parse_order_by::<T>(text)?,
        })
    }

    /// Whether this is the default order (by name, ascending), which the store already has.
    ///
    /// Also true when `name` ascending comes first: names are unique, so later keys never
    /// decide anything.
    pub(crate) fn is_default(&self) -> bool {
        self.keys
            .first()
            .is_none_or(|k| !k.desc && k.key.is_none() && k.field.path == "name")
    }

    /// Compares two items; ties are broken by name so the order is total.
    pub(crate) fn compare(&self, a: &T, b: &T) -> Ordering {
        eval::compare(&self.keys, a, b)
    }
}

/// The fields of `T` with their types, e.g. `name (string), labels (map)`: for error
/// messages and documentation.
pub(crate) fn describe<T: Filterable>() -> String {
    T::FIELDS
        .iter()
        .map(|f| format!("{} ({})", f.path, f.kind.describe()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rejects over-long input before any parsing work.
fn check_length(text: &str) -> Result<(), String> {
    if text.len() > MAX_LENGTH {
        return Err(format!(
            "is {} bytes long; the limit is {MAX_LENGTH} bytes",
            text.len()
        ));
    }
    Ok(())
}

/// The 1-based column, in characters, of byte `offset` in `src`.
fn column(src: &str, offset: usize) -> usize {
    src.char_indices().take_while(|&(i, _)| i < offset).count() + 1
}

/// `text` cut to a readable length for an error message.
fn shorten(text: &str) -> Cow<'_, str> {
    const MAX_CHARS: usize = 40;
    match text.char_indices().nth(MAX_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", text.get(..cut).unwrap_or(""))),
    }
}

/// The fuzzing entry point (see `fuzz/`): parses `text` as a filter and as an order_by for
/// every resource type and uses what parses on a default and a populated value. Must never
/// panic.
#[cfg(fuzzing)]
pub(crate) fn fuzz(text: &str) {
    fn one<T: Filterable + Default>(text: &str, sample: &T) {
        let empty = T::default();
        if let Ok(filter) = Filter::<T>::parse(text) {
            let _ = filter.matches(&empty);
            let _ = filter.matches(sample);
        }
        if let Ok(order) = OrderBy::<T>::parse(text) {
            let _ = order.is_default();
            let _ = order.compare(&empty, sample);
            let _ = order.compare(sample, sample);
        }
    }
    let time = Some(prost_types::Timestamp {
        seconds: 1_700_000_000,
        nanos: 5,
    });
    let labels: HashMap<String, String> = [("env", "prod"), ("empty", "")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let channel = crate::v1::Channel {
        name: "projects/p/locations/l/channels/c".into(),
        create_time: time,
        labels: labels.clone(),
        streaming_state: 1,
        active_input: "i".into(),
        ..Default::default()
    };
    let event = crate::v1::Event {
        execution_time: time,
        execute_now: true,
        state: 1,
        labels,
        ..Default::default()
    };
    let metadata = crate::v1::OperationMetadata {
        create_time: time,
        target: channel.name.clone(),
        verb: "start".into(),
        ..Default::default()
    };
    let operation = crate::longrunning::Operation {
        name: "projects/p/locations/l/operations/o".into(),
        metadata: prost_types::Any::from_msg(&metadata).ok(),
        ..Default::default()
    };
    one(text, &channel);
    one(text, &crate::v1::Input::default());
    one(text, &event);
    one(text, &crate::v1::Clip::default());
    one(text, &crate::v1::DvrSession::default());
    one(text, &crate::v1::Asset::default());
    one(text, &operation);
}
