//! [`Error`]: the one error type of the client.
//!
//! Every fallible operation of the client returns [`Error`]. It tells you
//!
//! - what went wrong, as an [`ErrorKind`]: a status from the service, a local validation
//!   failure (bad name, ID, update mask, request or configuration, caught before anything
//!   is sent), a timeout, exhausted retries, a failed long-running operation, an auth
//!   failure, a connection failure, or an unexpected response;
//! - the gRPC [`Code`] and message, with predicates for the common cases
//!   ([`is_not_found`](Error::is_not_found), [`is_already_exists`](Error::is_already_exists),
//!   [`is_timeout`](Error::is_timeout), [`is_retryable`](Error::is_retryable), ...);
//! - the decoded `google.rpc` error details ([`details`](Error::details): `BadRequest`,
//!   `ErrorInfo`, `RetryInfo`, `PreconditionFailure`, `ResourceInfo`, ...);
//! - how many attempts were made, whether the request [may have been
//!   sent](Error::may_have_been_sent), and the [`request_id`](Error::request_id) it carried:
//!   what a decision to resend by hand needs (see [`Error::is_retryable`] for when resending
//!   is safe).
//!
//! ```
//! use livestream_grpc::names::ChannelName;
//! use livestream_grpc::{Error, ErrorKind};
//!
//! let err: Error = "projects/p/channels/c".parse::<ChannelName>().unwrap_err().into();
//! assert_eq!(err.kind(), ErrorKind::InvalidName);
//! assert!(err.is_local() && !err.may_have_been_sent());
//! assert!(err.to_string().contains("projects/{project}/locations/{location}/channels/{channel}"));
//! ```

use std::borrow::Cow;
use std::fmt;

use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use crate::field_mask::FieldMaskError;
use crate::names::NameError;
pub use crate::wire::code_name;

/// What kind of failure an [`Error`] is. New kinds may be added in minor releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service (or the HTTP/2 transport, mid-call) answered with a non-OK status.
    Status,
    /// A resource name in the request does not follow its pattern. Nothing was sent.
    InvalidName,
    /// A `*_id` field (`channel_id`, ...) breaks the server's ID rule. Nothing was sent.
    InvalidId,
    /// An update mask names a field that does not exist or may not be updated, or a
    /// required mask is missing. Nothing was sent.
    InvalidFieldMask,
    /// Another local check of the request failed (for example a `request_id` that is not a
    /// UUID). Nothing was sent.
    InvalidRequest,
    /// The client configuration is invalid (endpoint, TLS, backoff, ...).
    InvalidConfig,
    /// The universe domain the client is configured for (`with_universe_domain`, else
    /// `GOOGLE_CLOUD_UNIVERSE_DOMAIN`, else `googleapis.com`) is not the one its credentials
    /// belong to. Nothing was sent: the client was not built.
    UniverseDomainMismatch,
    /// The overall deadline of a call, or the bound of a long-running operation wait,
    /// passed.
    Timeout,
    /// The retry policy gave up on a retryable failure (attempt or time limit); the last
    /// status is kept.
    RetriesExhausted,
    /// A long-running operation finished with an error status.
    Operation,
    /// The credentials could not produce authentication headers. Nothing was sent.
    Auth,
    /// No connection could be made (DNS, TCP, TLS). Nothing was sent. The kind stays
    /// `Connect` when retries gave up on it (see [`Error::attempts`]), and the message
    /// names the target the client tried to reach.
    Connect,
    /// A response did not have the expected shape (for example an operation result whose
    /// `Any` type URL names another message).
    Decode,
}

/// The error of every client operation: see the [module documentation](self).
///
/// It never contains credentials: auth failures keep only the credentials' error message.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    /// For local errors and our own wrapping; for status errors the status message is used.
    message: Cow<'static, str>,
    status: Option<Status>,
    details: Option<ErrorDetails>,
    attempts: u32,
    sent: bool,
    /// The retry throttler refused the next retry.
    throttled: bool,
    method: Option<&'static str>,
    /// The endpoint a client failed to connect to (connection failures only).
    target: Option<String>,
    /// The `request_id` the call sent (mutations that have one), to resend with.
    request_id: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>, sent: bool) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                details: None,
                attempts: 0,
                sent,
                throttled: false,
                method: None,
                target: None,
                request_id: None,
                source: None,
            }),
        }
    }

    /// A local validation or configuration error: nothing was sent.
    pub(crate) fn local(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(kind, message, false)
    }

    /// An error of the given kind caused by `source`.
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// A configuration error.
    pub(crate) fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Error::local(ErrorKind::InvalidConfig, message)
    }

    /// A response of the wrong shape.
    pub(crate) fn decode(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Decode, message, true)
    }

    /// Classifies a status returned by tonic: auth and connect failures come back as
    /// statuses whose source chain names them; everything else is the server's answer.
    pub(crate) fn from_status(status: Status) -> Self {
        let (kind, sent) = classify(&status);
        let details = decode_details(&status);
        Error {
            inner: Box::new(Inner {
                kind,
                message: Cow::Borrowed(""),
                status: Some(status),
                details,
                attempts: 1,
                sent,
                throttled: false,
                method: None,
                target: None,
                request_id: None,
                source: None,
            }),
        }
    }

    /// A long-running operation that finished with `status`.
    pub(crate) fn operation_failed(operation: &str, status: Status) -> Self {
        let mut err = Error::from_status(status);
        err.inner.kind = ErrorKind::Operation;
        err.inner.sent = true;
        err.inner.message = Cow::Owned(format!("operation {operation} failed"));
        err
    }

    /// A deadline passed; `last` is the failure of the last attempt, if any.
    pub(crate) fn timeout(message: impl Into<Cow<'static, str>>, last: Option<Error>) -> Self {
        let mut err = match last {
            Some(last) => last,
            None => Error::new(ErrorKind::Timeout, "", true),
        };
        err.inner.kind = ErrorKind::Timeout;
        err.inner.message = message.into();
        err
    }

    /// Turns the last retryable failure into "retries exhausted"; a connection failure
    /// stays a [`ErrorKind::Connect`] error (its attempts say how often it was tried).
    pub(crate) fn exhausted(mut self) -> Self {
        if self.inner.kind == ErrorKind::Status {
            self.inner.kind = ErrorKind::RetriesExhausted;
        }
        self
    }

    /// Marks the error as the end of a call whose retry the throttler refused.
    pub(crate) fn throttled(mut self) -> Self {
        self.inner.throttled = true;
        self
    }

    /// Names the endpoint a connection failure was trying to reach.
    pub(crate) fn set_target(&mut self, target: &str) {
        if self.inner.kind == ErrorKind::Connect {
            self.inner.target = Some(target.to_owned());
        }
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.inner.attempts = attempts;
    }

    pub(crate) fn set_method(&mut self, method: &'static str) {
        self.inner.method = Some(method);
    }

    pub(crate) fn set_request_id(&mut self, request_id: Option<String>) {
        self.inner.request_id = request_id;
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The gRPC code: the service's (or the last attempt's) status code;
    /// `DEADLINE_EXCEEDED` for timeouts; `INVALID_ARGUMENT` for local validation errors
    /// (what the service would have answered); `UNAUTHENTICATED` (or `UNAVAILABLE` when
    /// transient) for auth failures; `UNAVAILABLE` for connection failures; `INTERNAL` for
    /// configuration and decoding errors.
    pub fn code(&self) -> Code {
        if let Some(status) = &self.inner.status {
            if self.inner.kind == ErrorKind::Timeout && status.code() != Code::DeadlineExceeded {
                return Code::DeadlineExceeded;
            }
            return status.code();
        }
        match self.inner.kind {
            ErrorKind::Timeout => Code::DeadlineExceeded,
            ErrorKind::InvalidName
            | ErrorKind::InvalidId
            | ErrorKind::InvalidFieldMask
            | ErrorKind::InvalidRequest => Code::InvalidArgument,
            ErrorKind::Auth => Code::Unauthenticated,
            ErrorKind::Connect => Code::Unavailable,
            _ => Code::Internal,
        }
    }

    /// The message: the service's status message, or a description of the local failure.
    pub fn message(&self) -> &str {
        match (&self.inner.status, self.inner.kind) {
            (Some(status), ErrorKind::Status | ErrorKind::RetriesExhausted) => status.message(),
            _ if !self.inner.message.is_empty() => &self.inner.message,
            (Some(status), _) => status.message(),
            (None, _) => "",
        }
    }

    /// The status returned by the service (the last one, after retries), if any.
    pub fn status(&self) -> Option<&Status> {
        self.inner.status.as_ref()
    }

    /// The decoded `google.rpc` error details (`BadRequest`, `ErrorInfo`, `RetryInfo`,
    /// `PreconditionFailure`, `ResourceInfo`, `QuotaFailure`, `RequestInfo`, `Help`,
    /// `LocalizedMessage`, `DebugInfo`), if the status carried any.
    pub fn details(&self) -> Option<&ErrorDetails> {
        self.inner.details.as_ref()
    }

    /// How many attempts were made (0 for errors caught before the first attempt).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The RPC that failed (`"GetChannel"`), when the error comes from a call.
    pub fn method(&self) -> Option<&'static str> {
        self.inner.method
    }

    /// The `request_id` the failed call sent (the one you set, or the UUID the client
    /// filled in and reused on every attempt), for the 20 RPCs that have one; `None` for
    /// other RPCs and for errors caught before anything was sent.
    ///
    /// This is what recovers a mutation whose outcome is unknown (its responses were lost,
    /// the retries ran out, the deadline passed): send the same request again with this
    /// `request_id` ([`Call::with_request_id`](crate::Call::with_request_id), or set the
    /// request's `request_id` field). The service remembers the `request_id`s of requests
    /// that succeeded for at least 60 minutes (per method and target): if the first request
    /// took effect, the resend answers its original result (the same operation) and changes
    /// nothing, whatever the payload; if it did not (or failed), the resend is carried out.
    ///
    /// ```
    /// # use livestream_grpc::emulator::{Emulator, Fault, FaultScript};
    /// use livestream_grpc::Method;
    /// use livestream_grpc::names::LocationName;
    /// use livestream_grpc::v1::{channel::Output, Channel, CreateChannelRequest};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emu = Emulator::builder().build();
    /// # // Every attempt's response is lost, although the first one creates the channel.
    /// # emu.inject_faults(
    /// #     Method::CreateChannel,
    /// #     FaultScript::faults(vec![Fault::new(tonic::Code::Unavailable).after_handling(); 5]),
    /// # );
    /// # let client = livestream_grpc::Client::from_service(emu.service());
    /// # tokio::time::pause();
    /// let request = CreateChannelRequest {
    ///     parent: LocationName::new("my-project", "us-central1")?.to_string(),
    ///     channel_id: "my-channel".into(),
    ///     channel: Some(Channel {
    ///         output: Some(Output { uri: "gs://my-bucket/out/".into() }),
    ///         ..Default::default()
    ///     }),
    ///     ..Default::default()
    /// };
    /// let operation = match client.create_channel(request.clone()).await {
    ///     Ok(operation) => operation,
    ///     // The outcome is unknown: resend with the same request_id.
    ///     Err(err) if err.may_have_been_sent() && err.request_id().is_some() => {
    ///         let request_id = err.request_id().unwrap_or_default().to_owned();
    ///         client.create_channel(request).with_request_id(request_id).await?
    ///     }
    ///     Err(err) => return Err(err.into()),
    /// };
    /// let channel = operation.until_done().await?;
    /// assert!(channel.name.ends_with("/channels/my-channel"));
    /// # Ok(()) }
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// Whether the request may have reached the service. `false` for local validation and
    /// configuration errors, auth failures and connection failures: those are always safe
    /// to retry.
    pub fn may_have_been_sent(&self) -> bool {
        self.inner.sent
    }

    /// A local validation error (name, ID, mask, request or configuration, a universe
    /// domain mismatch): nothing was sent, and retrying the same request cannot succeed.
    pub fn is_local(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::InvalidName
                | ErrorKind::InvalidId
                | ErrorKind::InvalidFieldMask
                | ErrorKind::InvalidRequest
                | ErrorKind::InvalidConfig
                | ErrorKind::UniverseDomainMismatch
        )
    }

    /// `NOT_FOUND`.
    pub fn is_not_found(&self) -> bool {
        self.has_code(Code::NotFound)
    }

    /// `ALREADY_EXISTS`.
    pub fn is_already_exists(&self) -> bool {
        self.has_code(Code::AlreadyExists)
    }

    /// `FAILED_PRECONDITION` (for example starting a channel that is already streaming).
    pub fn is_failed_precondition(&self) -> bool {
        self.has_code(Code::FailedPrecondition)
    }

    /// `INVALID_ARGUMENT`, from the service or from local validation.
    pub fn is_invalid_argument(&self) -> bool {
        self.code() == Code::InvalidArgument
    }

    /// `PERMISSION_DENIED`.
    pub fn is_permission_denied(&self) -> bool {
        self.has_code(Code::PermissionDenied)
    }

    /// `UNAUTHENTICATED`, or any failure of the credentials.
    pub fn is_unauthenticated(&self) -> bool {
        self.inner.kind == ErrorKind::Auth || self.has_code(Code::Unauthenticated)
    }

    /// `RESOURCE_EXHAUSTED` (quota).
    pub fn is_resource_exhausted(&self) -> bool {
        self.has_code(Code::ResourceExhausted)
    }

    /// `UNAVAILABLE`, including connection failures.
    pub fn is_unavailable(&self) -> bool {
        self.code() == Code::Unavailable
    }

    /// `CANCELLED` (for example a long-running operation that was cancelled).
    pub fn is_cancelled(&self) -> bool {
        self.has_code(Code::Cancelled)
    }

    /// A deadline passed: the overall timeout of a call or of an operation wait, or a
    /// `DEADLINE_EXCEEDED` status.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout || self.code() == Code::DeadlineExceeded
    }

    /// The retry policy gave up (see [`ErrorKind::RetriesExhausted`]).
    pub fn is_exhausted(&self) -> bool {
        self.inner.kind == ErrorKind::RetriesExhausted
    }

    /// The call ended because the [retry throttler](crate::policy::RetryThrottler) refused
    /// its next retry: the failure was retryable, but too many calls of the client were
    /// failing. Such an error is also [exhausted](Self::is_exhausted) (unless it is a
    /// connection or credentials failure, which keeps its kind), and
    /// [`attempts`](Self::attempts) counts the attempts actually sent.
    pub fn is_throttled(&self) -> bool {
        self.inner.throttled
    }

    /// A long-running operation finished with an error (see [`ErrorKind::Operation`]).
    pub fn is_operation_failure(&self) -> bool {
        self.inner.kind == ErrorKind::Operation
    }

    /// Whether the failure is transient, so the same request may succeed later: an
    /// `UNAVAILABLE` status, a connection failure or a transient credentials failure.
    ///
    /// Transient does not mean safe to resend. Resending is safe when
    ///
    /// - nothing was sent ([`may_have_been_sent`](Self::may_have_been_sent) is `false`), or
    /// - the RPC only reads (Get, List, `GetOperation`, the Locations mixin), or
    /// - the RPC has a `request_id` and the resend carries **the same one**
    ///   ([`request_id`](Self::request_id)), to the same method and target, within 60
    ///   minutes of the first attempt: see [`request_id`](Self::request_id).
    ///
    /// A mutation resent any other way (a new request, whose empty `request_id` the client
    /// fills with a fresh UUID; an RPC without a `request_id`; after the window) is a new
    /// request: if the first one took effect, a create answers `ALREADY_EXISTS`, a start or
    /// stop `FAILED_PRECONDITION`, and a `CancelOperation` or `DeleteOperation` acts again.
    pub fn is_retryable(&self) -> bool {
        !self.is_local() && self.inner.kind != ErrorKind::Operation && self.is_unavailable()
    }

    /// The delay the service asked for in a `google.rpc.RetryInfo` detail, if any.
    pub fn retry_delay(&self) -> Option<std::time::Duration> {
        self.details()?.retry_info()?.retry_delay
    }

    fn has_code(&self, code: Code) -> bool {
        !self.is_local() && self.code() == code
    }
}

/// The credentials could not produce authentication headers. The request was not sent.
///
/// [`AuthLayer`](crate::transport::AuthLayer) (feature `auth`) fails a request with a `tonic::Status` (`UNAUTHENTICATED`, or `UNAVAILABLE`
/// when the failure is transient) whose source is this error; the client turns it into an
/// [`ErrorKind::Auth`] error. It holds the credentials' error
/// message, never a token.
#[derive(Clone, Debug)]
pub struct AuthError {
    message: String,
    transient: bool,
}

impl AuthError {
    /// An auth failure; `transient` when retrying may help (a token endpoint that is down).
    pub fn new(message: impl Into<String>, transient: bool) -> Self {
        AuthError {
            message: message.into(),
            transient,
        }
    }

    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    /// The status the layer fails the request with (its source is this error).
    pub fn into_status(self) -> tonic::Status {
        let code = if self.transient {
            tonic::Code::Unavailable
        } else {
            tonic::Code::Unauthenticated
        };
        let mut status = tonic::Status::new(code, format!("credentials: {}", self.message));
        status.set_source(std::sync::Arc::new(self));
        status
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "credentials failed: {}", self.message)
    }
}

impl std::error::Error for AuthError {}

/// Classifies a tonic status: auth failures (our [`AuthError`] in the source chain) and
/// connection failures (`tonic::ConnectError`) were never sent.
fn classify(status: &Status) -> (ErrorKind, bool) {
    let mut source = std::error::Error::source(status);
    while let Some(err) = source {
        if err.is::<AuthError>() {
            return (ErrorKind::Auth, false);
        }
        if err.is::<tonic::ConnectError>() {
            return (ErrorKind::Connect, false);
        }
        source = err.source();
    }
    (ErrorKind::Status, true)
}

fn decode_details(status: &Status) -> Option<ErrorDetails> {
    use prost::Message as _;
    use tonic_types::RpcStatusExt as _;
    if status.details().is_empty() {
        return None;
    }
    let mut decoded = tonic_types::pb::Status::decode(status.details()).ok()?;
    for any in &mut decoded.details {
        sanitize_retry_info(any);
    }
    decoded.check_error_details().ok()
}

/// The longest `google.protobuf.Duration` (about 10,000 years).
const MAX_DURATION_SECONDS: i64 = 315_576_000_000;

/// Brings a `RetryInfo` detail's delay into the range of a valid, non-negative
/// `google.protobuf.Duration` before tonic-types converts it: its conversion negates
/// `seconds`, which overflows (a panic in debug builds) on a server's `i64::MIN`. The delay
/// is normalized; a negative one becomes zero (as tonic-types would make it), an
/// out-of-range one the longest valid duration.
fn sanitize_retry_info(any: &mut prost_types::Any) {
    use prost::Message as _;
    if any.type_url != "type.googleapis.com/google.rpc.RetryInfo" {
        return;
    }
    let Ok(mut info) = tonic_types::pb::RetryInfo::decode(any.value.as_slice()) else {
        return;
    };
    let Some(delay) = &mut info.retry_delay else {
        return;
    };
    let canonical = (0..=MAX_DURATION_SECONDS).contains(&delay.seconds)
        && (0..=999_999_999).contains(&delay.nanos);
    if canonical {
        return;
    }
    // In i128 nanoseconds nothing overflows; then clamped and split again.
    const NANOS: i128 = 1_000_000_000;
    let total = (i128::from(delay.seconds) * NANOS + i128::from(delay.nanos))
        .clamp(0, i128::from(MAX_DURATION_SECONDS) * NANOS);
    *delay = prost_types::Duration {
        seconds: i64::try_from(total / NANOS).unwrap_or(MAX_DURATION_SECONDS),
        nanos: i32::try_from(total % NANOS).unwrap_or(0),
    };
    any.value = info.encode_to_vec();
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(method) = self.inner.method {
            write!(f, "{method}: ")?;
        }
        let inner = &*self.inner;
        match (&inner.status, inner.kind) {
            (Some(status), ErrorKind::RetriesExhausted) => write!(
                f,
                "gave up after {} attempts{}: {:?}: {}",
                inner.attempts,
                if inner.throttled {
                    " (retry throttled)"
                } else {
                    ""
                },
                status.code(),
                status.message()
            ),
            (Some(status), ErrorKind::Connect) => {
                match &inner.target {
                    Some(target) => write!(f, "cannot connect to {target}")?,
                    None => f.write_str("cannot connect")?,
                }
                match (inner.attempts, inner.throttled) {
                    (n, true) => write!(f, " ({n} attempts, retry throttled)")?,
                    (n, false) if n > 1 => write!(f, " ({n} attempts)")?,
                    _ => {}
                }
                write!(f, ": {:?}: {}", status.code(), status.message())?;
                // The cause (`Connection refused`, a TLS alert) is at the end of the chain.
                let mut cause = std::error::Error::source(status);
                let mut root = None;
                while let Some(err) = cause {
                    root = Some(err);
                    cause = err.source();
                }
                match root.map(ToString::to_string) {
                    Some(root) if root != status.message() => write!(f, ": {root}"),
                    _ => Ok(()),
                }
            }
            (Some(status), ErrorKind::Status | ErrorKind::Auth) => {
                write!(f, "{:?}: {}", status.code(), status.message())
            }
            (Some(status), _) => write!(
                f,
                "{}: {:?}: {}",
                inner.message,
                status.code(),
                status.message()
            ),
            (None, _) => f.write_str(&inner.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind)
            .field("code", &self.code())
            .field("message", &self.message());
        if let Some(method) = inner.method {
            d.field("method", &method);
        }
        if let Some(target) = &inner.target {
            d.field("target", target);
        }
        if let Some(request_id) = &inner.request_id {
            d.field("request_id", request_id);
        }
        if inner.attempts > 0 {
            d.field("attempts", &inner.attempts);
        }
        if inner.throttled {
            d.field("throttled", &true);
        }
        d.field("may_have_been_sent", &inner.sent);
        if let Some(details) = &inner.details {
            d.field("details", details);
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(source) = &self.inner.source {
            return Some(&**source);
        }
        self.inner
            .status
            .as_ref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<NameError> for Error {
    fn from(err: NameError) -> Self {
        Error::local(ErrorKind::InvalidName, err.to_string()).with_source(err)
    }
}

impl From<FieldMaskError> for Error {
    fn from(err: FieldMaskError) -> Self {
        Error::local(ErrorKind::InvalidFieldMask, err.to_string()).with_source(err)
    }
}

impl From<Status> for Error {
    /// Classifies a status from a raw stub or a tower layer, as the client does.
    fn from(status: Status) -> Self {
        Error::from_status(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt;

    #[test]
    fn status_errors_decode_details_and_answer_predicates() {
        let mut details = ErrorDetails::new();
        details.set_retry_info(Some(std::time::Duration::from_secs(3)));
        details.set_resource_info("livestream.googleapis.com/Channel", "c", "", "not there");
        let status = Status::with_error_details(Code::NotFound, "channel c not found", details);
        let mut err = Error::from_status(status);
        err.set_method("GetChannel");
        assert_eq!(err.kind(), ErrorKind::Status);
        assert!(err.is_not_found() && !err.is_retryable() && err.may_have_been_sent());
        assert_eq!(err.retry_delay(), Some(std::time::Duration::from_secs(3)));
        let resource = err.details().and_then(|d| d.resource_info()).unwrap();
        assert_eq!(resource.resource_name, "c");
        assert_eq!(err.to_string(), "GetChannel: NotFound: channel c not found");
        assert_eq!(err.message(), "channel c not found");
    }

    #[test]
    fn local_errors_are_invalid_argument_and_never_sent() {
        let err = Error::from(NameError::clone(
            &"x".parse::<crate::names::ChannelName>().unwrap_err(),
        ));
        assert!(err.is_local() && err.is_invalid_argument() && !err.is_not_found());
        assert!(!err.may_have_been_sent() && !err.is_retryable());
        assert_eq!(err.attempts(), 0);
    }

    #[test]
    fn exhausted_and_timeout_keep_the_last_status() {
        let mut last = Error::from_status(Status::unavailable("down"));
        last.set_attempts(5);
        let err = last.exhausted();
        assert!(err.is_exhausted() && err.is_retryable() && err.is_unavailable());
        assert_eq!(
            err.to_string(),
            "gave up after 5 attempts: Unavailable: down"
        );
        let mut last = Error::from_status(Status::unavailable("down"));
        last.set_attempts(2);
        let throttled = last.exhausted().throttled();
        assert!(throttled.is_throttled() && throttled.is_exhausted());
        assert_eq!(
            throttled.to_string(),
            "gave up after 2 attempts (retry throttled): Unavailable: down"
        );
        assert!(format!("{throttled:?}").contains("throttled: true"));
        let timeout = Error::timeout(
            "deadline of 60s passed",
            Some(Error::from_status(Status::unavailable("down"))),
        );
        assert!(timeout.is_timeout());
        assert_eq!(timeout.code(), Code::DeadlineExceeded);
        assert!(timeout.to_string().contains("deadline of 60s passed"));
    }

    /// A status whose `RetryInfo` delay is `seconds`/`nanos`, as a server may send it.
    fn with_retry_delay(seconds: i64, nanos: i32) -> Status {
        use prost::Message as _;
        let info = tonic_types::pb::RetryInfo {
            retry_delay: Some(prost_types::Duration { seconds, nanos }),
        };
        let status = tonic_types::pb::Status {
            code: Code::Unavailable as i32,
            message: "down".into(),
            details: vec![prost_types::Any {
                type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
                value: info.encode_to_vec(),
            }],
        };
        Status::with_details(Code::Unavailable, "down", status.encode_to_vec().into())
    }

    #[test]
    fn extreme_retry_delays_from_a_server_never_panic() {
        let max = std::time::Duration::from_secs(MAX_DURATION_SECONDS as u64);
        for (seconds, nanos, expected) in [
            (i64::MIN, 0, std::time::Duration::ZERO),
            (i64::MIN + 1, -999_999_999, std::time::Duration::ZERO),
            (-1, -5, std::time::Duration::ZERO),
            (0, -1, std::time::Duration::ZERO),
            (i64::MAX, 999_999_999, max),
            (MAX_DURATION_SECONDS + 1, 0, max),
            (1, i32::MAX, std::time::Duration::new(3, 147_483_647)),
            (1, -1, std::time::Duration::from_nanos(999_999_999)),
            (3, 0, std::time::Duration::from_secs(3)),
        ] {
            let err = Error::from_status(with_retry_delay(seconds, nanos));
            assert_eq!(err.retry_delay(), Some(expected), "{seconds}s {nanos}ns");
        }
    }

    #[test]
    fn connect_failures_are_not_sent() {
        let mut status = Status::unavailable("tcp connect error");
        status.set_source(std::sync::Arc::new(tonic::ConnectError(
            "connection refused".into(),
        )));
        let err = Error::from_status(status);
        assert_eq!(err.kind(), ErrorKind::Connect);
        assert!(!err.may_have_been_sent() && err.is_retryable());
    }
}
