//! `google.api.http` path templates (`/v1/{name=projects/*/locations/*/channels/*}:start`):
//! parsing, and matching a request path against one, `:verb` suffix included.
//!
//! The grammar (`google/api/http.proto`):
//!
//! ```text
//! Template = "/" Segments [ Verb ] ;
//! Segments = Segment { "/" Segment } ;
//! Segment  = "*" | "**" | LITERAL | Variable ;
//! Variable = "{" FieldPath [ "=" Segments ] "}" ;
//! FieldPath = IDENT { "." IDENT } ;
//! Verb     = ":" LITERAL ;
//! ```
//!
//! `*` matches one segment, `**` the rest of the path (only last); a variable without `=`
//! is `{x=*}`. A single-segment variable's value is percent-decoded whole; a multi-segment
//! one segment by segment (so a `%2F` inside a segment stays a `/` of the value).

use percent_encoding::percent_decode_str;

/// One segment of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `*`: one segment.
    Star,
    /// `**`: the rest of the path (zero or more segments).
    Rest,
}

/// A variable: the request field it binds and the segments it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Variable {
    field: String,
    start: usize,
    end: usize,
}

/// A parsed path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
    variables: Vec<Variable>,
    verb: Option<String>,
    text: String,
}

/// A request path that matched a template: each variable's field path and its decoded
/// value.
pub(crate) type Bindings = Vec<(String, String)>;

impl Template {
    /// Parses a template; an error names what is wrong (a bug in the descriptors, never a
    /// caller's input).
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let fail = |why: &str| format!("invalid path template {text:?}: {why}");
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| fail("no leading '/'"))?;
        // The verb is a ':' after the last '/' and outside a variable.
        let (path, verb) = match rest.rfind(':') {
            Some(colon) if colon > rest.rfind(['/', '}']).unwrap_or(0) => {
                (&rest[..colon], Some(rest[colon + 1..].to_owned()))
            }
            _ => (rest, None),
        };
        if verb.as_deref().is_some_and(str::is_empty) {
            return Err(fail("empty verb"));
        }
        let mut template = Template {
            segments: Vec::new(),
            variables: Vec::new(),
            verb,
            text: text.to_owned(),
        };
        let mut chars = path;
        while !chars.is_empty() {
            if let Some(inner) = chars.strip_prefix('{') {
                let close = inner.find('}').ok_or_else(|| fail("unclosed '{'"))?;
                let (field, pattern) = match inner[..close].split_once('=') {
                    Some((f, p)) => (f, p),
                    None => (&inner[..close], "*"),
                };
                if field.is_empty() || pattern.contains(['{', '}']) {
                    return Err(fail("invalid variable"));
                }
                let start = template.segments.len();
                for part in pattern.split('/') {
                    template
                        .segments
                        .push(segment(part).ok_or_else(|| fail("empty segment"))?);
                }
                template.variables.push(Variable {
                    field: field.to_owned(),
                    start,
                    end: template.segments.len(),
                });
                chars = &inner[close + 1..];
            } else {
                let end = chars.find('/').unwrap_or(chars.len());
                let part = &chars[..end];
                if part.contains(['{', '}']) {
                    return Err(fail("a variable inside a segment"));
                }
                template
                    .segments
                    .push(segment(part).ok_or_else(|| fail("empty segment"))?);
                chars = &chars[end..];
            }
            match chars.strip_prefix('/') {
                Some(next) if !next.is_empty() => chars = next,
                Some(_) => return Err(fail("trailing '/'")),
                None if chars.is_empty() => {}
                None => return Err(fail("a variable inside a segment")),
            }
        }
        let rest_at = template.segments.iter().position(|s| *s == Segment::Rest);
        if rest_at.is_some_and(|i| i + 1 != template.segments.len()) {
            return Err(fail("'**' must be the last segment"));
        }
        Ok(template)
    }

    /// The template as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The variables' field paths (`name`, `channel.name`).
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.variables.iter().map(|v| v.field.as_str())
    }

    /// Matches a request path (still percent-encoded, without the query): the bindings, or
    /// `None` when it does not match. `Some(Err)` when it matches but a variable's value is
    /// not UTF-8 once decoded.
    pub(crate) fn matches(&self, path: &str) -> Option<Result<Bindings, String>> {
        let path = path.strip_prefix('/')?;
        let path = match &self.verb {
            Some(verb) => path.strip_suffix(verb.as_str())?.strip_suffix(':')?,
            None => path,
        };
        let parts: Vec<&str> = path.split('/').collect();
        // A ':' in the last segment is a verb this template does not have.
        if self.verb.is_none() && parts.last().is_some_and(|p| p.contains(':')) {
            return None;
        }
        let mut ends = Vec::with_capacity(self.segments.len());
        let mut at = 0;
        for segment in &self.segments {
            match segment {
                Segment::Literal(literal) => {
                    if parts.get(at) != Some(&literal.as_str()) {
                        return None;
                    }
                    at += 1;
                }
                Segment::Star => {
                    if parts.get(at).is_none_or(|p| p.is_empty()) {
                        return None;
                    }
                    at += 1;
                }
                Segment::Rest => {
                    if parts[at.min(parts.len())..].iter().any(|p| p.is_empty()) {
                        return None;
                    }
                    at = parts.len();
                }
            }
            ends.push(at);
        }
        if at != parts.len() {
            return None;
        }
        let mut bindings = Vec::with_capacity(self.variables.len());
        for variable in &self.variables {
            let from = if variable.start == 0 {
                0
            } else {
                ends[variable.start - 1]
            };
            let to = ends[variable.end - 1];
            let mut value = String::new();
            for (i, part) in parts[from..to].iter().enumerate() {
                if i > 0 {
                    value.push('/');
                }
                match percent_decode_str(part).decode_utf8() {
                    Ok(decoded) => value.push_str(&decoded),
                    Err(_) => {
                        return Some(Err(format!(
                            "the path segment {part:?} is not valid UTF-8 once percent-decoded"
                        )));
                    }
                }
            }
            bindings.push((variable.field.clone(), value));
        }
        Some(Ok(bindings))
    }
}

fn segment(part: &str) -> Option<Segment> {
    match part {
        "" => None,
        "*" => Some(Segment::Star),
        "**" => Some(Segment::Rest),
        literal => Some(Segment::Literal(literal.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind(template: &str, path: &str) -> Option<Bindings> {
        Template::parse(template)
            .unwrap()
            .matches(path)
            .map(Result::unwrap)
    }

    fn one(field: &str, value: &str) -> Option<Bindings> {
        Some(vec![(field.to_owned(), value.to_owned())])
    }

    #[test]
    fn variables_bind_their_segments() {
        let t = "/v1/{name=projects/*/locations/*/channels/*}";
        assert_eq!(
            bind(t, "/v1/projects/p/locations/l/channels/c"),
            one("name", "projects/p/locations/l/channels/c")
        );
        assert_eq!(bind(t, "/v1/projects/p/locations/l/channels"), None);
        assert_eq!(bind(t, "/v1/projects/p/locations/l/channels/c/x"), None);
        assert_eq!(bind(t, "/v1/projects/p/locations/l/inputs/c"), None);
        assert_eq!(bind(t, "/v1/projects/p/locations//channels/c"), None);
        assert_eq!(bind(t, "v1/projects/p/locations/l/channels/c"), None);
        assert_eq!(
            bind(
                "/v1/{parent=projects/*/locations/*}/channels",
                "/v1/projects/p/locations/l/channels"
            ),
            one("parent", "projects/p/locations/l")
        );
        assert_eq!(
            bind(
                "/v1/{channel.name=projects/*/locations/*/channels/*}",
                "/v1/projects/p/locations/l/channels/c"
            ),
            one("channel.name", "projects/p/locations/l/channels/c")
        );
    }

    #[test]
    fn verbs_are_suffixes_of_the_last_segment() {
        let start = "/v1/{name=projects/*/locations/*/channels/*}:start";
        assert_eq!(
            bind(start, "/v1/projects/p/locations/l/channels/c:start"),
            one("name", "projects/p/locations/l/channels/c")
        );
        assert_eq!(
            bind(start, "/v1/projects/p/locations/l/channels/c:stop"),
            None
        );
        assert_eq!(bind(start, "/v1/projects/p/locations/l/channels/c"), None);
        assert_eq!(
            bind(start, "/v1/projects/p/locations/l/channels/c:startx"),
            None
        );
        assert_eq!(
            Template::parse(start).unwrap().verb.as_deref(),
            Some("start")
        );
        // A template without a verb does not match a path with one.
        let get = "/v1/{name=projects/*/locations/*/channels/*}";
        assert_eq!(
            bind(get, "/v1/projects/p/locations/l/channels/c:start"),
            None
        );
        for verb in [
            "stop",
            "startdistribution",
            "stopdistribution",
            "preview",
            "cancel",
        ] {
            let t = format!("/v1/{{name=projects/*/x/*}}:{verb}");
            assert_eq!(
                bind(&t, &format!("/v1/projects/p/x/y:{verb}")),
                one("name", "projects/p/x/y")
            );
        }
    }

    #[test]
    fn wildcards_and_short_variables() {
        assert_eq!(
            bind("/v1/{name=operations/**}", "/v1/operations/a/b/c"),
            one("name", "operations/a/b/c")
        );
        assert_eq!(
            bind(
                "/v1/{name=operations/**}:cancel",
                "/v1/operations/a/b:cancel"
            ),
            one("name", "operations/a/b")
        );
        assert_eq!(
            bind("/v1/{name=operations/**}", "/v1/operations/a//b"),
            None
        );
        assert_eq!(bind("/v1/{id}/x", "/v1/abc/x"), one("id", "abc"));
        assert_eq!(bind("/v1/*/x", "/v1/abc/x"), Some(vec![]));
        assert_eq!(bind("/v1/*/x", "/v1/abc/y"), None);
    }

    #[test]
    fn values_are_percent_decoded() {
        let t = "/v1/{name=projects/*/locations/*}";
        assert_eq!(
            bind(t, "/v1/projects/my%20project/locations/l"),
            one("name", "projects/my project/locations/l")
        );
        assert_eq!(bind("/v1/{id}", "/v1/a%2Fb"), one("id", "a/b"));
        let bad = Template::parse(t).unwrap();
        assert!(
            bad.matches("/v1/projects/%ff/locations/l")
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn invalid_templates_are_errors() {
        for bad in [
            "v1/x",
            "/v1/{name",
            "/v1/{=x}",
            "/v1/x/",
            "/v1//x",
            "/v1/a{b}",
            "/v1/{a}b",
            "/v1/**/x",
            "/v1/x:",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
        let t = Template::parse("/v1/{name=projects/*}/locations").unwrap();
        assert_eq!(t.fields().collect::<Vec<_>>(), ["name"]);
        assert_eq!(t.text(), "/v1/{name=projects/*}/locations");
    }
}
