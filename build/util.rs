//! Small helpers shared by the generators: output files, Rust paths of proto types, case
//! conversion and proto comments as rustdoc.

use std::path::Path;

use prost_reflect::{DescriptorPool, DynamicMessage, Value};

pub(crate) type BoxError = Box<dyn std::error::Error>;

/// Writes only when the content differs, so an unchanged output does not invalidate the crate.
pub(crate) fn write_if_changed(path: &Path, content: &[u8]) -> Result<(), BoxError> {
    if std::fs::read(path).ok().as_deref() != Some(content) {
        std::fs::write(path, content)?;
    }
    Ok(())
}

/// The crate module of a proto package we re-export (`v1`, `longrunning`, `location`).
const MODULES: &[(&str, &str)] = &[
    ("google.cloud.video.livestream.v1.", "v1"),
    ("google.longrunning.", "longrunning"),
    ("google.cloud.location.", "location"),
];

/// `(module, Ident)` of a message we compile: `("v1", "Channel")`.
pub(crate) fn module_and_ident(full_name: &str) -> Result<(&'static str, String), BoxError> {
    for (package, module) in MODULES {
        if let Some(rest) = full_name.strip_prefix(package)
            && !rest.contains('.')
        {
            return Ok((module, rest.to_owned()));
        }
    }
    Err(format!("no Rust path known for proto type {full_name}").into())
}

/// The Rust path of a proto message inside this crate (`crate::v1::Channel`); `()` for
/// `google.protobuf.Empty`.
pub(crate) fn rust_path(full_name: &str) -> Result<String, BoxError> {
    if full_name == "google.protobuf.Empty" {
        return Ok("()".to_owned());
    }
    let (module, ident) = module_and_ident(full_name)?;
    Ok(format!("crate::{module}::{ident}"))
}

/// The short Rust name of a proto message, as a reader knows it (`Channel`, `()`).
pub(crate) fn short_name(full_name: &str) -> String {
    if full_name == "google.protobuf.Empty" {
        return "()".to_owned();
    }
    full_name.rsplit('.').next().unwrap_or(full_name).to_owned()
}

pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// "a" or "an" before a type name (`an InputName`, `a ChannelName`).
pub(crate) fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['A', 'E', 'I', 'O']) {
        "an"
    } else {
        "a"
    }
}

pub(crate) fn extension_value(
    pool: &DescriptorPool,
    options: &DynamicMessage,
    name: &str,
) -> Option<Value> {
    let ext = pool.get_extension_by_name(name)?;
    if !options.has_extension(&ext) {
        return None;
    }
    Some(options.get_extension(&ext).into_owned())
}

pub(crate) fn extension_message(
    pool: &DescriptorPool,
    options: &DynamicMessage,
    name: &str,
) -> Option<DynamicMessage> {
    match extension_value(pool, options, name)? {
        Value::Message(m) => Some(m),
        _ => None,
    }
}

pub(crate) fn string_field(message: &DynamicMessage, field: &str) -> String {
    message
        .get_field_by_name(field)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A proto comment as rustdoc: protobuf cross references (`[Text][pkg.Type.field]`) become
/// code spans, since rustdoc cannot resolve them; lines lose their leading space; indefinite
/// articles agree with the word after them ("a Asset" in the protos reads "an Asset").
pub(crate) fn rustdoc_text(comment: &str) -> String {
    let mut out = String::new();
    let mut rest = comment;
    while let Some(start) = rest.find('[') {
        let tail = &rest[start..];
        let reference = tail.find("][").and_then(|mid| {
            let end = tail[mid + 2..].find(']')? + mid + 2;
            Some((&tail[1..mid], end))
        });
        match reference {
            Some((text, end)) if !text.contains('[') => {
                out.push_str(&rest[..start]);
                out.push('`');
                out.push_str(text);
                out.push('`');
                rest = &tail[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    let text = out
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n");
    fix_articles(&text)
}

/// Replaces "a X" with "an X" where X (after an optional backtick) is a capitalized word
/// starting with a vowel sound (the protos say "a Asset", "a Input"): type names only, so
/// "a unique" stays as written.
fn fix_articles(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut words = text.split(' ').peekable();
    let mut first = true;
    while let Some(word) = words.next() {
        if !first {
            out.push(' ');
        }
        first = false;
        let next = words.peek().map_or("", |w| w.trim_start_matches('`'));
        let vowel_type = next.starts_with(['A', 'E', 'I', 'O']);
        match word {
            "a" if vowel_type => out.push_str("an"),
            "A" if vowel_type => out.push_str("An"),
            _ => out.push_str(word),
        }
    }
    out
}
