//! Output: `--format json|yaml|table`.
//!
//! - `json` is the proto3 JSON mapping (the REST API's JSON: camelCase keys, enums as
//!   strings, durations `"2s"`, timestamps RFC 3339, 64-bit integers as strings, default
//!   values left out), produced by prost-reflect's serde support. Keys are sorted, like
//!   gcloud's output. Feeding it back as `--config` gives the same resource.
//! - `yaml` is the same JSON value written as YAML by [`yaml`], a small emitter for JSON
//!   values (block style, strings quoted whenever a YAML 1.1 or 1.2 reader could take them
//!   for anything but a string).
//! - `table` is a few chosen columns per resource ([`Column`]).
//!
//! Lists default to `table`; single resources (describe, create, update, ...) to `yaml`.

use std::io::Write as _;

use clap::ValueEnum;
use livestream_grpc::reflect;
use prost::{Message, Name};
use serde_json::Value;

use crate::errors::CliError;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Proto3 JSON (as the REST API and gcloud show it).
    Json,
    /// YAML of the same JSON value.
    Yaml,
    /// Aligned columns with a header.
    Table,
}

/// One column of a table: its header and how to compute a cell.
pub(crate) struct Column<R> {
    /// The header (upper case).
    pub(crate) header: &'static str,
    /// The cell of one row.
    pub(crate) cell: fn(&R) -> String,
}

impl<R> Column<R> {
    /// A column.
    pub(crate) fn new(header: &'static str, cell: fn(&R) -> String) -> Self {
        Column { header, cell }
    }
}

impl<R: crate::resource::WithName> Column<R> {
    /// The `ID` column: the last segment of the resource's name.
    pub(crate) fn id() -> Self {
        Column::new("ID", |r| crate::resource::short(r.name()).to_owned())
    }
}

/// Something with a proto3 JSON form and table columns.
pub(crate) trait Printable: Message + Name + Default + Sized + 'static {
    /// The table's columns.
    fn columns() -> Vec<Column<Self>>;
}

/// The proto3 JSON value of a message.
pub(crate) fn to_json<M: Message + Name>(message: &M) -> Result<Value, CliError> {
    let dynamic = reflect::to_dynamic(message)?;
    serde_json::to_value(&dynamic)
        .map_err(|e| CliError::other(format!("cannot show a {} as JSON: {e}", M::NAME)))
}

/// Writes `text` to stdout. A closed pipe (`livestream ... | head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<(), CliError> {
    emit_bytes(text.as_bytes())
}

/// Writes `bytes` to stdout. A closed pipe is not an error.
pub(crate) fn emit_bytes(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::other(format!("writing the output: {e}"))),
    }
}

/// Prints one resource.
pub(crate) fn print_one<R: Printable>(resource: &R, format: Format) -> Result<(), CliError> {
    emit(&render(std::slice::from_ref(resource), format, false)?)
}

/// Prints a list of resources.
pub(crate) fn print_list<R: Printable>(items: &[R], format: Format) -> Result<(), CliError> {
    if items.is_empty() && format == Format::Table {
        eprintln!("Listed 0 items.");
        return Ok(());
    }
    emit(&render(items, format, true)?)
}

/// Renders resources: one value (or, for lists, an array) in JSON or YAML, or a table.
fn render<R: Printable>(items: &[R], format: Format, list: bool) -> Result<String, CliError> {
    if format == Format::Table {
        let columns = R::columns();
        let headers: Vec<&str> = columns.iter().map(|c| c.header).collect();
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|item| columns.iter().map(|c| (c.cell)(item)).collect())
            .collect();
        return Ok(table(&headers, &rows));
    }
    let mut values = items.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
    let value = match values.pop() {
        Some(value) if !list && values.is_empty() => value,
        last => {
            values.extend(last);
            Value::Array(values)
        }
    };
    Ok(render_value(&value, format))
}

/// A JSON value as pretty JSON or YAML (a table falls back to YAML).
pub(crate) fn render_value(value: &Value, format: Format) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Yaml | Format::Table => yaml(value),
    }
}

/// Aligned columns: the header, then one line per row; cells are padded to the widest in
/// their column (by characters), separated by two spaces, without trailing spaces.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let clean = |cell: &str| cell.replace(['\n', '\t'], " ");
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| clean(c)).collect())
        .collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A JSON value as a YAML document (block style, two-space indents, keys sorted, ending in a
/// newline).
///
/// Strings are written plain only when every YAML reader (1.1 and 1.2) reads them back as
/// the same string; otherwise they are double-quoted with JSON-compatible escapes, which
/// YAML's double-quoted style accepts. Numbers, booleans and null are written as JSON
/// writes them (all valid YAML). Empty objects and arrays are `{}` and `[]`.
pub(crate) fn yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_sequence(&mut out, items, 0),
        scalar => {
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    out.extend(std::iter::repeat_n(' ', level));
}

/// A non-empty mapping; every line starts at `level` spaces.
fn write_mapping(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    // Sorted whatever serde_json's map order is (its `preserve_order` feature changes it).
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (key, value)) in entries.into_iter().enumerate() {
        // The first key of a mapping inside a sequence item follows "- " directly.
        if i > 0 || !out.ends_with("- ") {
            indent(out, level);
        }
        out.push_str(&yaml_string(key));
        out.push(':');
        write_value_after_key(out, value, level);
    }
}

/// A non-empty sequence; every line starts at `level` spaces.
fn write_sequence(out: &mut String, items: &[Value], level: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            indent(out, level);
        }
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_mapping(out, map, level + 2),
            Value::Array(inner) if !inner.is_empty() => write_sequence(out, inner, level + 2),
            scalar => {
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
    }
}

fn write_value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_mapping(out, map, level + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_sequence(out, items, level + 2);
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

/// A scalar (or an empty collection) in flow form.
fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string, plain if that is unambiguous, else double-quoted.
pub(crate) fn yaml_string(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Control characters, DEL, and the characters YAML treats as line breaks or
            // byte-order marks: escaped so that they survive any reader.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let code = c as u32;
                out.push_str(&format!("\\u{code:04x}"));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `s` can be written as a plain scalar and read back as the same string by YAML
/// 1.1 and 1.2 readers. Deliberately conservative: anything that starts like a number,
/// date or indicator, spells a boolean or null in any YAML version, or contains
/// characters with meaning inside plain scalars is quoted.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || first.is_ascii_digit() {
        return false;
    }
    // Indicators that cannot start a plain scalar, and signs or dots that start numbers
    // (`-1`, `+1`, `.5`, `.inf`).
    if "-?:,[]{}#&*!|>'\"%@`+.~=<".contains(first) {
        return false;
    }
    const RESERVED: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    if RESERVED.iter().any(|r| s.eq_ignore_ascii_case(r)) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    s.chars().all(|c| {
        !c.is_control()
            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{85}')
            && !matches!(c, '[' | ']' | '{' | '}' | ',')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_of_nested_values() {
        let value = json!({
            "name": "projects/p/locations/l/channels/c",
            "labels": {"team": "video", "": "empty key"},
            "streams": [
                {"key": "es_video", "sizes": [1, 2], "empty": {}},
                [],
                ["a", ["b"]],
                {}
            ],
            "none": [],
            "ok": true,
            "n": null,
            "x": 1.5
        });
        let expected = "\
labels:
  \"\": empty key
  team: video
\"n\": null
name: projects/p/locations/l/channels/c
none: []
ok: true
streams:
  - empty: {}
    key: es_video
    sizes:
      - 1
      - 2
  - []
  - - a
    - - b
  - {}
x: 1.5
";
        assert_eq!(yaml(&value), expected);
        assert_eq!(yaml(&json!([])), "[]\n");
        assert_eq!(yaml(&json!("yes")), "\"yes\"\n");
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "",
            " x",
            "x ",
            "true",
            "False",
            "NO",
            "on",
            "y",
            "null",
            "~",
            "1",
            "0x1f",
            "1e3",
            "3600s",
            "2024-01-01T00:00:00Z",
            "-1",
            "+1",
            ".5",
            ".inf",
            "-",
            "a: b",
            "a #b",
            "a:",
            "#x",
            "&a",
            "*a",
            "!t",
            "|",
            ">",
            "'q'",
            "\"q\"",
            "%x",
            "@x",
            "`x",
            "[a]",
            "{a}",
            "a,b",
            "?",
            "=",
            "<<",
        ] {
            assert!(yaml_string(s).starts_with('"'), "{s:?} must be quoted");
        }
        for s in [
            "es_video",
            "projects/p/locations/us-central1/channels/c",
            "gs://bucket/out",
            "rtmp://192.0.2.1/live/abc",
            "HLS",
            "Hello world",
            "a:b",
            "a#b",
            "ünïcode",
        ] {
            assert_eq!(yaml_string(s), s, "{s:?} can be plain");
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(
            yaml_string("a\"b\\c"),
            "a\"b\\c",
            "plain scalars have no escapes"
        );
        assert_eq!(yaml_string("say \"hi\\\"\n"), r#""say \"hi\\\"\n""#);
        assert_eq!(yaml_string("line\nbreak\ttab"), r#""line\nbreak\ttab""#);
        assert_eq!(yaml_string("bell\u{7}"), r#""bell\u0007""#);
        assert_eq!(yaml_string("ls\u{2028}"), r#""ls\u2028""#);
    }

    #[test]
    fn tables_align_by_characters() {
        let text = table(
            &["NAME", "STATE"],
            &[
                vec!["ä".into(), "STREAMING".into()],
                vec!["long-name".into(), "".into()],
            ],
        );
        assert_eq!(text, "NAME       STATE\nä          STREAMING\nlong-name\n");
    }
}
