//! Checks a parsed filter against a resource's schema and evaluates it; parses and applies
//! order_by over the same schema.

use std::cmp::Ordering;
use std::str::FromStr;

use super::lexer::{Comparator, Literal};
use super::parser::{Comparable, Expr, Function, Restriction, Segment};
use super::{Field, FilterError, Filterable, Kind, Value, column, describe, shorten};

/// A type-checked filter over `T`.
#[derive(Debug)]
pub(super) enum Pred<T> {
    /// All must hold (an empty conjunction holds).
    And(Vec<Pred<T>>),
    /// One must hold.
    Or(Vec<Pred<T>>),
    /// Must not hold.
    Not(Box<Pred<T>>),
    /// A test of one field, or of one key of a map field.
    Test {
        /// The field.
        field: Field<T>,
        /// For `labels.KEY`, the key.
        key: Option<String>,
        /// What to check.
        test: Test,
    },
}

/// What a restriction checks, with its literal already typed.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Test {
    /// `:*`: present (a map key exists; any other field has a non-default value).
    Present,
    /// `labels:KEY`.
    HasKey(String),
    /// `string:"x"`: contains the substring.
    Contains(String),
    /// String `=` (or `!=` when `negate`), with wildcards.
    Pattern {
        /// The pattern.
        pattern: Pattern,
        /// Whether this is `!=`.
        negate: bool,
    },
    /// A comparison with a typed literal; `op` is never `Has` (compiled to `Eq`).
    Cmp {
        /// The operator.
        op: Comparator,
        /// The literal.
        lit: Scalar,
    },
}

/// A string equality pattern: `core`, optionally with anything before and/or after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    core: String,
    any_prefix: bool,
    any_suffix: bool,
}

impl Pattern {
    fn new(literal: &Literal) -> Self {
        Pattern {
            core: literal.core().to_owned(),
            any_prefix: literal.wild_start,
            any_suffix: literal.wild_end,
        }
    }

    /// Whether `s` matches; linear in the lengths (`str::contains` is two-way search).
    fn matches(&self, s: &str) -> bool {
        let core = self.core.as_str();
        match (self.any_prefix, self.any_suffix) {
            (false, false) => s == core,
            (true, false) => s.ends_with(core),
            (false, true) => s.starts_with(core),
            (true, true) => s.contains(core),
        }
    }
}

/// A literal typed for its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scalar {
    /// For string fields and label values.
    Str(String),
    /// For boolean fields.
    Bool(bool),
    /// An enum number.
    Enum(i32),
    /// A timestamp as `(seconds, nanos)`.
    Time(i64, i32),
}

/// The left side of a restriction, resolved against the schema.
struct Target<T> {
    field: Field<T>,
    key: Option<String>,
    /// As written, for messages.
    display: String,
}

/// Type-checks `expr` (parsed from `src`) against `T`'s fields.
pub(super) fn compile<T: Filterable>(expr: &Expr, src: &str) -> Result<Pred<T>, FilterError> {
    Ok(match expr {
        Expr::And(children) => Pred::And(compile_all(children, src)?),
        Expr::Or(children) => Pred::Or(compile_all(children, src)?),
        Expr::Not(inner) => Pred::Not(Box::new(compile(inner, src)?)),
        Expr::Restriction(r) => restriction(r, src)?,
        Expr::Bare(Comparable::Function(f)) => return Err(function_error(f, src)),
        Expr::Bare(Comparable::Member(segments)) => {
            let at = segments.first().map_or(0, |s| s.at);
            return Err(FilterError::filter(format!(
                "`{}` at column {} is not a restriction: write a field, an operator and a \
                 value, e.g. `name = \"*-prod\"` (free-text search is not supported)",
                shorten(&joined(segments)),
                column(src, at)
            )));
        }
    })
}

fn compile_all<T: Filterable>(exprs: &[Expr], src: &str) -> Result<Vec<Pred<T>>, FilterError> {
    exprs.iter().map(|e| compile(e, src)).collect()
}

fn restriction<T: Filterable>(r: &Restriction, src: &str) -> Result<Pred<T>, FilterError> {
    let target = resolve_lhs::<T>(&r.lhs, src)?;
    match &r.arg {
        super::parser::Arg::Comparable(value) => value_test(&target, r, value, src),
        super::parser::Arg::Composite(values) => composite(&target, r, values, src),
    }
}

/// `field op (x OR y)`: the same field and operator applied to each value.
fn composite<T: Filterable>(
    target: &Target<T>,
    r: &Restriction,
    values: &Expr,
    src: &str,
) -> Result<Pred<T>, FilterError> {
    let all = |children: &[Expr]| -> Result<Vec<Pred<T>>, FilterError> {
        children
            .iter()
            .map(|c| composite(target, r, c, src))
            .collect()
    };
    Ok(match values {
        Expr::And(children) => Pred::And(all(children)?),
        Expr::Or(children) => Pred::Or(all(children)?),
        Expr::Not(inner) => Pred::Not(Box::new(composite(target, r, inner, src)?)),
        Expr::Bare(value) => value_test(target, r, value, src)?,
        Expr::Restriction(inner) => {
            return Err(FilterError::filter(format!(
                "the parentheses after `{}` at column {} may hold only values combined with \
                 AND, OR and NOT, but there is a `{}` at column {}",
                r.op.symbol(),
                column(src, r.op_at),
                inner.op.symbol(),
                column(src, inner.op_at)
            )));
        }
    })
}

/// One `field op value` test.
fn value_test<T: Filterable>(
    target: &Target<T>,
    r: &Restriction,
    value: &Comparable,
    src: &str,
) -> Result<Pred<T>, FilterError> {
    let segments = match value {
        Comparable::Function(f) => return Err(function_error(f, src)),
        Comparable::Member(segments) => segments,
    };
    let (literal, at) = literal(segments, src)?;
    let test = typed_test(target, (r.op, r.op_at), &literal, at, src)?;
    Ok(Pred::Test {
        field: target.field,
        key: target.key.clone(),
        test,
    })
}

/// The literal on the right: one segment, or dotted bare text such as `1.5` or `a.b`.
fn literal(segments: &[Segment], src: &str) -> Result<(Literal, usize), FilterError> {
    match segments {
        [one] => Ok((one.literal.clone(), one.at)),
        _ => {
            let at = segments.first().map_or(0, |s| s.at);
            if let Some(quoted) = segments.iter().find(|s| s.literal.quoted) {
                return Err(FilterError::filter(format!(
                    "the quoted string at column {} cannot be part of a dotted value; \
                     quote the whole value instead",
                    column(src, quoted.at)
                )));
            }
            Ok((Literal::bare(joined(segments)), at))
        }
    }
}

/// Segments joined by `.`, as written (quotes dropped).
fn joined(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| s.literal.text.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// Resolves the left side of a restriction to a field (and label key).
fn resolve_lhs<T: Filterable>(lhs: &Comparable, src: &str) -> Result<Target<T>, FilterError> {
    let segments = match lhs {
        Comparable::Function(f) => return Err(function_error(f, src)),
        Comparable::Member(segments) => segments,
    };
    let at = segments.first().map_or(0, |s| s.at);
    let display = joined(segments);
    if segments.first().is_some_and(|s| s.literal.quoted) {
        return Err(FilterError::filter(format!(
            "expected a field name at column {}, found the string `\"{}\"`: field names are \
             not quoted, and values go on the right of the operator",
            column(src, at),
            shorten(&display)
        )));
    }
    if segments.iter().all(|s| !s.literal.quoted)
        && let Some(field) = find_field::<T>(&display)
    {
        return Ok(Target {
            field,
            key: None,
            display,
        });
    }
    if let [head, rest @ ..] = segments.as_slice()
        && let Some(field) = find_field::<T>(&head.literal.text)
        && matches!(field.kind, Kind::Labels)
    {
        let [key] = rest else {
            return Err(FilterError::filter(format!(
                "`{}` at column {}: a label key is one segment (`{}.KEY`); quote a key that \
                 contains dots",
                shorten(&display),
                column(src, at),
                head.literal.text
            )));
        };
        return Ok(Target {
            field,
            key: Some(key.literal.text.clone()),
            display,
        });
    }
    Err(unknown_field::<T>("filter", &display, src, at))
}

/// "unknown field" naming the field, where it is, and what would have worked.
fn unknown_field<T: Filterable>(
    request_field: &'static str,
    name: &str,
    src: &str,
    at: usize,
) -> FilterError {
    FilterError {
        field: request_field,
        description: format!(
            "unknown field `{}` at column {}; {} supports {}",
            shorten(name),
            column(src, at),
            T::KIND,
            describe::<T>()
        ),
    }
}

fn function_error(f: &Function, src: &str) -> FilterError {
    FilterError::filter(format!(
        "function `{}` at column {} is not supported (the emulator defines no filter functions)",
        shorten(&f.name),
        column(src, f.at)
    ))
}

/// The field named `path` (snake_case, or its lowerCamelCase spelling).
pub(super) fn find_field<T: Filterable>(path: &str) -> Option<Field<T>> {
    T::FIELDS
        .iter()
        .find(|f| f.path == path || camel(f.path) == path)
        .copied()
}

/// `metadata.create_time` -> `metadata.createTime`.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Types `literal` (at byte `at`) for the target's field and operator (at byte `op_at`).
fn typed_test<T>(
    target: &Target<T>,
    (op, op_at): (Comparator, usize),
    literal: &Literal,
    at: usize,
    src: &str,
) -> Result<Test, FilterError> {
    use Comparator::{Eq, Ge, Gt, Has, Le, Lt, Ne};
    if op == Has && literal.is_bare_wildcard() {
        return Ok(Test::Present);
    }
    let field = &target.display;
    let kind = target.field.kind;
    let keyed = target.key.is_some();
    // Enums and booleans take only equality (AIP-160: no ordering for them).
    let equality = |what: &str| -> Result<Comparator, FilterError> {
        match op {
            Eq | Has => Ok(Eq),
            Ne => Ok(Ne),
            Lt | Le | Gt | Ge => Err(FilterError::filter(format!(
                "field `{field}` is {what}: it supports `=`, `!=` and `:`, not `{}` \
                 (column {})",
                op.symbol(),
                column(src, op_at)
            ))),
        }
    };
    let bad_value = |expected: String| {
        FilterError::filter(format!(
            "field `{field}` is {}, but `{}` at column {} is not {expected}",
            kind.describe_with_article(),
            shorten(&literal.text),
            column(src, at)
        ))
    };
    Ok(match (kind, keyed) {
        (Kind::Labels, false) => match op {
            Has => Test::HasKey(literal.text.clone()),
            _ => {
                return Err(FilterError::filter(format!(
                    "field `{field}` is a map: use `{field}:KEY`, `{field}.KEY:*` or \
                     `{field}.KEY = VALUE`, not `{}` (column {})",
                    op.symbol(),
                    column(src, op_at)
                )));
            }
        },
        (Kind::Labels, true) | (Kind::String, _) => match op {
            Eq | Ne => Test::Pattern {
                pattern: Pattern::new(literal),
                negate: op == Ne,
            },
            // AIP-160: `m.foo:42` is true if `m.foo` is 42.
            Has if keyed => Test::Pattern {
                pattern: Pattern::new(literal),
                negate: false,
            },
            Has => Test::Contains(literal.core().to_owned()),
            Lt | Le | Gt | Ge => Test::Cmp {
                op,
                lit: Scalar::Str(literal.text.clone()),
            },
        },
        (Kind::Bool, _) => {
            let op = equality("a boolean")?;
            let value = match literal.text.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(bad_value("`true` or `false`".into())),
            };
            Test::Cmp {
                op,
                lit: Scalar::Bool(value),
            }
        }
        (Kind::Enum(e), _) => {
            let op = equality("an enum")?;
            let Some(value) = (e.from_name)(&literal.text) else {
                return Err(bad_value(format!(
                    "a value of {} (one of {})",
                    e.name,
                    e.names().join(", ")
                )));
            };
            Test::Cmp {
                op,
                lit: Scalar::Enum(value),
            }
        }
        (Kind::Timestamp, _) => {
            let Ok(t) = prost_types::Timestamp::from_str(&literal.text) else {
                return Err(bad_value(
                    "an RFC 3339 timestamp such as \"2024-01-31T12:00:00Z\"".into(),
                ));
            };
            Test::Cmp {
                op: if op == Has { Eq } else { op },
                lit: Scalar::Time(t.seconds, t.nanos),
            }
        }
    })
}

impl Kind {
    /// "a string", "a timestamp", ...
    fn describe_with_article(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Bool => "a boolean",
            Kind::Timestamp => "a timestamp",
            Kind::Enum(_) => "an enum",
            Kind::Labels => "a map",
        }
    }
}

impl<T> Pred<T> {
    /// Whether `item` satisfies the predicate. Recursion is bounded by the parser's depth
    /// limit.
    pub(super) fn eval(&self, item: &T) -> bool {
        match self {
            Pred::And(children) => children.iter().all(|p| p.eval(item)),
            Pred::Or(children) => children.iter().any(|p| p.eval(item)),
            Pred::Not(inner) => !inner.eval(item),
            Pred::Test { field, key, test } => {
                test.eval(&lookup(field, key.as_deref(), item), key.is_some())
            }
        }
    }
}

/// The value of `field` (or of its map entry `key`) in `item`.
fn lookup<'a, T>(field: &Field<T>, key: Option<&str>, item: &'a T) -> Value<'a> {
    let value = (field.get)(item);
    match (key, value) {
        (None, value) => value,
        (Some(key), Value::Labels(map)) => map.get(key).map_or(Value::Absent, |v| Value::str(v)),
        (Some(_), _) => Value::Absent,
    }
}

impl Test {
    /// Applies the test; `keyed` says the value is a map entry (present even when empty).
    fn eval(&self, value: &Value<'_>, keyed: bool) -> bool {
        match (self, value) {
            (_, Value::Absent) => false,
            (Test::Present, value) => keyed || is_set(value),
            (Test::HasKey(key), Value::Labels(map)) => map.contains_key(key),
            (Test::Contains(needle), Value::String(s)) => s.contains(needle.as_str()),
            (Test::Pattern { pattern, negate }, Value::String(s)) => pattern.matches(s) != *negate,
            (Test::Cmp { op, lit }, value) => {
                scalar_order(value, lit).is_some_and(|ordering| holds(*op, ordering))
            }
            _ => false,
        }
    }
}

/// AIP-160 presence: a non-default value.
fn is_set(value: &Value<'_>) -> bool {
    match value {
        Value::Absent => false,
        Value::String(s) => !s.is_empty(),
        Value::Bool(b) => *b,
        Value::Enum(n) => *n != 0,
        Value::Timestamp(..) => true,
        Value::Labels(map) => !map.is_empty(),
    }
}

/// How `value` orders against `lit`, if they are of the same type.
fn scalar_order(value: &Value<'_>, lit: &Scalar) -> Option<Ordering> {
    Some(match (value, lit) {
        (Value::String(s), Scalar::Str(l)) => s.as_ref().cmp(l.as_str()),
        (Value::Bool(b), Scalar::Bool(l)) => b.cmp(l),
        (Value::Enum(n), Scalar::Enum(l)) => n.cmp(l),
        (Value::Timestamp(s, n), Scalar::Time(ls, ln)) => (s, n).cmp(&(ls, ln)),
        _ => return None,
    })
}

/// Whether `ordering` (value vs literal) satisfies `op`.
fn holds(op: Comparator, ordering: Ordering) -> bool {
    match op {
        Comparator::Eq | Comparator::Has => ordering.is_eq(),
        Comparator::Ne => ordering.is_ne(),
        Comparator::Lt => ordering.is_lt(),
        Comparator::Le => ordering.is_le(),
        Comparator::Gt => ordering.is_gt(),
        Comparator::Ge => ordering.is_ge(),
    }
}

/// One order_by key.
#[derive(Debug)]
pub(super) struct OrderKey<T> {
    /// The field.
    pub(super) field: Field<T>,
    /// For `labels.KEY`, the key.
    pub(super) key: Option<String>,
    /// Descending.
    pub(super) desc: bool,
}

/// Parses AIP-132 `field [asc|desc], ...`.
pub(super) fn parse_order_by<T: Filterable>(text: &str) -> Result<Vec<OrderKey<T>>, FilterError> {
    let mut keys = Vec::new();
    if text.trim().is_empty() {
        return Ok(keys);
    }
    let error = |at: usize, message: String| {
        FilterError::order_by(format!("{message} at column {}", column(text, at)))
    };
    let mut offset = 0;
    for part in text.split(',') {
        let words = words(part, offset);
        let (path_at, path, desc) = match words.as_slice() {
            [] => {
                return Err(error(
                    offset,
                    "empty item (a stray comma?); the syntax is `field [asc|desc], ...`".into(),
                ));
            }
            [(at, path)] => (*at, *path, false),
            [(at, path), (dir_at, dir)] => {
                let desc = if dir.eq_ignore_ascii_case("desc") {
                    true
                } else if dir.eq_ignore_ascii_case("asc") {
                    false
                } else {
                    return Err(error(
                        *dir_at,
                        format!(
                            "unknown direction `{}` after `{}`: use `asc` or `desc`",
                            shorten(dir),
                            shorten(path)
                        ),
                    ));
                };
                (*at, *path, desc)
            }
            [_, _, (at, extra), ..] => {
                return Err(error(
                    *at,
                    format!(
                        "unexpected `{}`; each item is `field [asc|desc]` and items are \
                         separated by commas",
                        shorten(extra)
                    ),
                ));
            }
        };
        let (field, key) = order_field::<T>(path, path_at, text)?;
        keys.push(OrderKey { field, key, desc });
        offset += part.len() + 1;
    }
    Ok(keys)
}

/// The whitespace-separated words of `part`, with byte offsets (`part` starts at `base`).
fn words(part: &str, base: usize) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in part
        .char_indices()
        .chain(std::iter::once((part.len(), ' ')))
    {
        match (start, c.is_whitespace()) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                words.push((base + s, part.get(s..i).unwrap_or("")));
                start = None;
            }
            _ => {}
        }
    }
    words
}

/// Resolves an order_by path: an orderable field, or `labels.KEY`.
fn order_field<T: Filterable>(
    path: &str,
    at: usize,
    text: &str,
) -> Result<(Field<T>, Option<String>), FilterError> {
    if let Some(field) = find_field::<T>(path) {
        if matches!(field.kind, Kind::Labels) {
            return Err(FilterError::order_by(format!(
                "`{path}` at column {} is a map and cannot be ordered; order by one of its \
                 keys, e.g. `{path}.env`",
                column(text, at)
            )));
        }
        return Ok((field, None));
    }
    if let Some((head, key)) = path.split_once('.')
        && !key.is_empty()
        && let Some(field) = find_field::<T>(head)
        && matches!(field.kind, Kind::Labels)
    {
        return Ok((field, Some(key.to_owned())));
    }
    Err(unknown_field::<T>("order_by", path, text, at))
}

/// Orders `a` and `b` by `keys`, then by resource name.
pub(super) fn compare<T: Filterable>(keys: &[OrderKey<T>], a: &T, b: &T) -> Ordering {
    for k in keys {
        let ordering = order_values(
            &lookup(&k.field, k.key.as_deref(), a),
            &lookup(&k.field, k.key.as_deref(), b),
        );
        let ordering = if k.desc { ordering.reverse() } else { ordering };
        if ordering.is_ne() {
            return ordering;
        }
    }
    a.resource_name().cmp(b.resource_name())
}

/// A total order on values: absent first, then by value within a type (enums by number).
fn order_values(a: &Value<'_>, b: &Value<'_>) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Enum(x), Value::Enum(y)) => x.cmp(y),
        (Value::Timestamp(xs, xn), Value::Timestamp(ys, yn)) => (xs, xn).cmp(&(ys, yn)),
        // Maps are rejected by parse_order_by; any mix of types orders by type.
        _ => rank(a).cmp(&rank(b)),
    }
}

/// The position of a value's type in the order of mixed types.
fn rank(value: &Value<'_>) -> u8 {
    match value {
        Value::Absent => 0,
        Value::Bool(_) => 1,
        Value::Enum(_) => 2,
        Value::Timestamp(..) => 3,
        Value::String(_) => 4,
        Value::Labels(_) => 5,
    }
}
