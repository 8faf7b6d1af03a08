//! The API table: what the protos say about each of the 41 RPCs, read off their annotations
//! by build.rs, for every layer of the crate to read (the client, its policies and
//! transport, and the emulator), so that none of them needs another to know an RPC.
//!
//! - [`Method`]: one variant per RPC, with its name, gRPC path, service, routing field,
//!   [`MethodKind`], [`RetryClass`] and idempotency as `const fn`s; it parses from a name or a
//!   path, and a misspelled name gets an error listing the closest ones.
//! - [`Request`], [`ListRequest`] and [`LroRequest`]: implemented for the 41 request messages
//!   (and only those): the routing value and `request_id` of a request, how to page through a
//!   List response, and the result and metadata types of a long-running RPC.
//!
//! ```
//! use livestream_grpc::methods::{Method, MethodKind, Request};
//! use livestream_grpc::v1::GetChannelRequest;
//!
//! let method: Method = "GetChannel".parse()?;
//! assert_eq!(method, GetChannelRequest::METHOD);
//! assert_eq!(method.path(), "/google.cloud.video.livestream.v1.LivestreamService/GetChannel");
//! assert_eq!(method.kind(), MethodKind::Unary);
//! assert!(method.is_idempotent());
//!
//! let request = GetChannelRequest { name: "projects/p/locations/l/channels/c".into(), ..Default::default() };
//! assert_eq!(request.routing_value(), "projects/p/locations/l/channels/c");
//!
//! let err = "GetChanel".parse::<Method>().unwrap_err();
//! assert!(err.to_string().contains("GetChannel"), "{err}");
//! # Ok::<(), livestream_grpc::methods::UnknownMethod>(())
//! ```

mod sealed {
    pub trait Sealed {}
}

include!(concat!(env!("OUT_DIR"), "/api_table.rs"));

/// What an RPC returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MethodKind {
    /// A plain response message.
    Unary,
    /// A `google.longrunning.Operation` (the request is an [`LroRequest`]).
    LongRunning,
    /// A page of a list (the request is a [`ListRequest`]).
    List,
}

/// How a method is retried by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryClass {
    /// Get and List methods: idempotent, retried on `UNAVAILABLE`.
    Read,
    /// Mutations with a `request_id`: made idempotent by it, retried on `UNAVAILABLE`.
    IdempotentWrite,
    /// Other mutations: not retried.
    Write,
}

/// One row of the table (generated as `TABLE`, indexed by `Method as usize`).
struct MethodInfo {
    name: &'static str,
    rust_name: &'static str,
    service: &'static str,
    path: &'static str,
    routing_field: &'static str,
    kind: MethodKind,
    /// A Get or List method.
    read: bool,
    request_id: bool,
}

impl Method {
    /// Every method, in the order of the protos.
    pub const ALL: &'static [Method] = &ALL;

    const fn info(self) -> &'static MethodInfo {
        &TABLE[self as usize]
    }

    /// The RPC's name (`"GetChannel"`).
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The name of the RPC's method on the `Client`, the generated stubs and server traits,
    /// and the mock (`"get_channel"`).
    pub const fn rust_name(self) -> &'static str {
        self.info().rust_name
    }

    /// The gRPC path (`"/google.cloud.video.livestream.v1.LivestreamService/GetChannel"`).
    pub const fn path(self) -> &'static str {
        self.info().path
    }

    /// The service (`"LivestreamService"`, `"Operations"` or `"Locations"`).
    pub const fn service(self) -> &'static str {
        self.info().service
    }

    /// The request field sent in `x-goog-request-params` (`"name"`, `"parent"`,
    /// `"channel.name"`, ...).
    pub const fn routing_field(self) -> &'static str {
        self.info().routing_field
    }

    /// What the RPC returns.
    pub const fn kind(self) -> MethodKind {
        self.info().kind
    }

    /// Whether the request has a `request_id` field (filled by the client when empty).
    pub const fn has_request_id(self) -> bool {
        self.info().request_id
    }

    /// How the RPC is retried by default.
    pub const fn retry_class(self) -> RetryClass {
        match (self.info().read, self.info().request_id) {
            (true, _) => RetryClass::Read,
            (false, true) => RetryClass::IdempotentWrite,
            (false, false) => RetryClass::Write,
        }
    }

    /// Whether sending the request twice has the effect of sending it once: reads, and
    /// mutations with a `request_id` (the service ignores a repeat of one it has seen).
    pub const fn is_idempotent(self) -> bool {
        !matches!(self.retry_class(), RetryClass::Write)
    }

    /// The method with this name (`GetChannel`) or gRPC path
    /// (`/google.cloud.video.livestream.v1.LivestreamService/GetChannel`, leading `/`
    /// optional).
    pub fn from_name(name: &str) -> Option<Method> {
        let path = name.strip_prefix('/').unwrap_or(name);
        Method::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name || m.path().strip_prefix('/') == Some(path))
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(name: &str) -> Result<Method, UnknownMethod> {
        Method::from_name(name).ok_or_else(|| UnknownMethod::new(name))
    }
}

/// A method name that is not one of the 41 RPCs; its message lists the closest names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownMethod {
    name: String,
    suggestions: Vec<&'static str>,
}

impl UnknownMethod {
    fn new(name: &str) -> Self {
        let wanted = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
        let mut scored: Vec<(usize, &'static str)> = Method::ALL
            .iter()
            .map(|m| {
                (
                    edit_distance(&wanted, &m.name().to_ascii_lowercase()),
                    m.name(),
                )
            })
            .collect();
        scored.sort();
        let best = scored.first().map_or(0, |(d, _)| *d);
        // Names as close as the closest one, within a few edits; otherwise the three closest.
        let suggestions = scored
            .iter()
            .take_while(|(d, _)| *d <= best.max(3))
            .take(3)
            .map(|(_, n)| *n)
            .collect();
        UnknownMethod {
            name: name.to_owned(),
            suggestions,
        }
    }

    /// The name that was not found.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The closest method names.
    pub fn suggestions(&self) -> &[&'static str] {
        &self.suggestions
    }
}

impl std::fmt::Display for UnknownMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no RPC is named {:?}", self.name)?;
        if !self.suggestions.is_empty() {
            write!(f, "; did you mean {}?", self.suggestions.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownMethod {}

/// Levenshtein distance, for suggestions (names are short: 41 of them, < 30 bytes).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A request message of one of the 41 RPCs. Implemented for every request type of the API
/// (and only for them).
pub trait Request:
    prost::Message + Default + Clone + Send + Sync + Unpin + Sized + 'static + sealed::Sealed
{
    /// The response message (`()` for `google.protobuf.Empty`).
    type Response: prost::Message + Default + Send + Sync + 'static;
    /// The RPC.
    const METHOD: Method;

    /// The value of the routing field (`name`, `parent`, `channel.name`, ...; empty when an
    /// enclosing message is missing).
    fn routing_value(&self) -> &str;

    /// The `request_id` field, for the 20 requests that have one.
    fn request_id(&self) -> Option<&str>;

    /// The `request_id` field, to set it.
    fn request_id_mut(&mut self) -> Option<&mut String>;
}

/// A List RPC's request: how to page through it.
pub trait ListRequest: Request {
    /// The listed resource.
    type Item: Send + Unpin + 'static;

    /// The request's `page_token`.
    fn page_token(&self) -> &str;

    /// The request's `page_token`, to set it.
    fn page_token_mut(&mut self) -> &mut String;

    /// Takes the items out of a page.
    fn take_items(response: &mut Self::Response) -> Vec<Self::Item>;

    /// The page's `next_page_token` (empty on the last page).
    fn next_page_token(response: &Self::Response) -> &str;

    /// The page's `unreachable` locations (empty when the response has no such field).
    fn unreachable(response: &Self::Response) -> &[String];
}

/// A long-running RPC's request: its result and metadata types (from
/// `google.longrunning.operation_info`).
pub trait LroRequest: Request<Response = crate::longrunning::Operation> {
    /// The result (`()` for deletes, which return `google.protobuf.Empty`).
    type Result: prost::Message + prost::Name + Default + Send + 'static;
    /// The metadata (`OperationMetadata`).
    type Metadata: prost::Message + prost::Name + Default + Send + 'static;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_indexed_by_the_enum() {
        assert_eq!(Method::ALL.len(), 41);
        for (i, m) in Method::ALL.iter().enumerate() {
            assert_eq!(*m as usize, i);
            assert_eq!(Method::from_name(m.name()), Some(*m));
            assert_eq!(Method::from_name(m.path()), Some(*m));
            assert!(m.path().ends_with(&format!("{}/{}", m.service(), m.name())));
        }
        assert_eq!(
            Method::from_name("google.longrunning.Operations/GetOperation"),
            Some(Method::GetOperation)
        );
    }

    #[test]
    fn classes_follow_reads_and_request_ids() {
        assert_eq!(Method::GetChannel.retry_class(), RetryClass::Read);
        assert_eq!(Method::ListOperations.retry_class(), RetryClass::Read);
        assert_eq!(
            Method::CreateChannel.retry_class(),
            RetryClass::IdempotentWrite
        );
        assert_eq!(Method::PreviewInput.retry_class(), RetryClass::Write);
        assert_eq!(Method::CancelOperation.retry_class(), RetryClass::Write);
        assert!(!Method::DeleteOperation.is_idempotent());
        let with_ids = Method::ALL.iter().filter(|m| m.has_request_id()).count();
        assert_eq!(with_ids, 20);
        assert_eq!(Method::UpdateChannel.routing_field(), "channel.name");
        assert_eq!(Method::GetDvrSession.rust_name(), "get_dvr_session");
        assert_eq!(Method::CreateChannel.kind(), MethodKind::LongRunning);
        assert_eq!(Method::ListChannels.kind(), MethodKind::List);
    }

    #[test]
    fn misspelled_names_suggest_the_closest() {
        let err = "StartChanel".parse::<Method>().unwrap_err();
        assert_eq!(err.suggestions()[0], "StartChannel");
        assert!(
            err.to_string().contains("did you mean StartChannel"),
            "{err}"
        );
        let err = "listchannels".parse::<Method>().unwrap_err();
        assert_eq!(err.suggestions()[0], "ListChannels");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    /// The generated public surface (build/snapshot.rs) against the committed copy, so that a
    /// proto update that changes the public API is a reviewable diff. After a deliberate
    /// change: `scripts/update-api-snapshot.sh`.
    #[test]
    fn api_snapshot() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/api_surface.txt"));
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/snapshots/api_surface.txt"
        );
        if std::env::var_os("UPDATE_API_SNAPSHOT").is_some() {
            std::fs::write(path, generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "the generated public surface differs from tests/snapshots/api_surface.txt \
             (- committed, + generated); review it, then run scripts/update-api-snapshot.sh:\n{}",
            line_diff(&committed, generated)
        );
    }

    /// The lines that differ, with two lines of context, by longest common subsequence.
    fn line_diff(old: &str, new: &str) -> String {
        let a: Vec<&str> = old.lines().collect();
        let b: Vec<&str> = new.lines().collect();
        let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let mut lines = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                lines.push((' ', a[i]));
                i += 1;
                j += 1;
            } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                lines.push(('-', a[i]));
                i += 1;
            } else {
                lines.push(('+', b[j]));
                j += 1;
            }
        }
        let changed: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].0 != ' ').collect();
        let near = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= 2);
        (0..lines.len())
            .filter(|&k| near(k))
            .map(|k| format!("{} {}", lines[k].0, lines[k].1))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn line_diffs_show_what_changed() {
        let diff = line_diff("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(diff, "  a\n- b\n+ B\n  c\n+ d");
    }
}
