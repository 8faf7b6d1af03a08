//! [`CliError`]: every failure of a command, how it is shown, and its exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other failure: the service was unavailable, quota, permission, a failed or timed-out operation, an I/O error |
//! | 2 | usage: bad flags or arguments (clap), an invalid name or ID, a bad config file or update mask; nothing was sent |
//! | 3 | not found (`NOT_FOUND`) |
//! | 4 | conflict with the resource's state: `FAILED_PRECONDITION`, `ALREADY_EXISTS`, `ABORTED` |
//! | 5 | the service rejected the request (`INVALID_ARGUMENT`, `OUT_OF_RANGE`) |
//! | 130 | interrupted (Ctrl-C); an operation being waited for keeps running |
//!
//! A long-running operation that ends in an error exits with the code of its status.

use std::fmt;

use livestream_grpc::Error;
pub(crate) use livestream_grpc::error::code_name;
use tonic::Code;
use tonic_types::ErrorDetails;

/// Success.
pub(crate) const EXIT_OK: u8 = 0;
/// Any failure without a more specific code.
pub(crate) const EXIT_OTHER: u8 = 1;
/// Bad usage, caught before anything was sent (the code clap uses too).
pub(crate) const EXIT_USAGE: u8 = 2;
/// The resource does not exist.
pub(crate) const EXIT_NOT_FOUND: u8 = 3;
/// The resource's state does not allow the request, or it already exists.
pub(crate) const EXIT_CONFLICT: u8 = 4;
/// The service rejected the request's content.
pub(crate) const EXIT_INVALID: u8 = 5;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// The exit-code table shown at the end of `livestream --help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success
  1    other failure (unavailable, quota, permission, failed operation, timeout)
  2    usage: bad flags, names, config files or update masks (nothing was sent)
  3    not found
  4    conflict with the resource's state (FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED)
  5    rejected by the service as invalid (INVALID_ARGUMENT, OUT_OF_RANGE)
  130  interrupted by Ctrl-C (an operation being waited for keeps running)";

/// A failed command.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad usage found before sending anything (exit 2).
    Usage(String),
    /// A call to the service (or the client's local validation) failed.
    Api(Error),
    /// Ctrl-C. `operation` is the operation being waited for, which keeps running.
    Interrupted {
        /// The operation that was being waited for.
        operation: Option<String>,
    },
    /// A control of a standalone emulator (`livestream emulator reset`, ...) failed.
    Control(livestream_grpc::emulator::ControlError),
    /// Anything else (exit 1).
    Other(String),
}

impl CliError {
    /// A usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// Another failure.
    pub(crate) fn other(message: impl Into<String>) -> Self {
        CliError::Other(message.into())
    }

    /// The process exit code (see the module documentation).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Other(_) => EXIT_OTHER,
            CliError::Interrupted { .. } => EXIT_INTERRUPTED,
            CliError::Api(e) if e.is_local() => EXIT_USAGE,
            CliError::Api(e) if e.is_timeout() => EXIT_OTHER,
            CliError::Api(e) => exit_code_of(e.code()),
            CliError::Control(e) => exit_code_of(e.code()),
        }
    }
}

/// The exit code of a failure with this status code.
fn exit_code_of(code: Code) -> u8 {
    match code {
        Code::NotFound => EXIT_NOT_FOUND,
        Code::FailedPrecondition | Code::AlreadyExists | Code::Aborted => EXIT_CONFLICT,
        Code::InvalidArgument | Code::OutOfRange => EXIT_INVALID,
        _ => EXIT_OTHER,
    }
}

impl From<livestream_grpc::emulator::ControlError> for CliError {
    fn from(e: livestream_grpc::emulator::ControlError) -> Self {
        CliError::Control(e)
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Api(e)
    }
}

impl From<livestream_grpc::names::NameError> for CliError {
    fn from(e: livestream_grpc::names::NameError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<livestream_grpc::field_mask::FieldMaskError> for CliError {
    fn from(e: livestream_grpc::field_mask::FieldMaskError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<livestream_grpc::reflect::ReflectError> for CliError {
    fn from(e: livestream_grpc::reflect::ReflectError) -> Self {
        CliError::Other(e.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) | CliError::Other(message) => f.write_str(message),
            CliError::Interrupted {
                operation: Some(name),
            } => write!(
                f,
                "interrupted; operation {name} is still running (it was not cancelled).\n\
                 Resume waiting with: livestream operations wait {name}"
            ),
            CliError::Interrupted { operation: None } => f.write_str("interrupted"),
            CliError::Api(e) => write_api_error(f, e),
            CliError::Control(e) => write!(f, "{}: {}", code_name(e.code()), e.message()),
        }
    }
}

/// The error's headline, then one indented line per decoded detail.
fn write_api_error(f: &mut fmt::Formatter<'_>, e: &Error) -> fmt::Result {
    if e.is_local() {
        // Caught by the client before sending: the message says what and where.
        return f.write_str(e.message());
    }
    if e.is_operation_failure() {
        // "operation NAME failed: CODE: message"
        let status = e.status().map_or("", |s| s.message());
        write!(f, "{}: {}: {status}", e.message(), code_name(e.code()))?;
    } else if e.kind() == livestream_grpc::ErrorKind::Connect {
        // "GetChannel: cannot connect to http://127.0.0.1:8085 (emulator) (5 attempts):
        // UNAVAILABLE: tcp connect error: Connection refused", the code as the API spells it.
        let code = e.code();
        let text =
            e.to_string()
                .replacen(&format!("{code:?}:"), &format!("{}:", code_name(code)), 1);
        f.write_str(&text)?;
    } else if e.is_exhausted() {
        let status = e.status().map_or("", |s| s.message());
        write!(
            f,
            "gave up after {} attempts: {}: {status}",
            e.attempts(),
            code_name(e.code())
        )?;
    } else if let Some(status) = e.status() {
        write!(f, "{}: {}", code_name(status.code()), status.message())?;
        if e.is_timeout() && !e.message().is_empty() && e.message() != status.message() {
            write!(f, " ({})", e.message())?;
        }
    } else {
        write!(f, "{}: {}", code_name(e.code()), e.message())?;
    }
    if let Some(details) = e.details() {
        let headline = e.status().map_or("", |s| s.message());
        write_details(f, details, headline)?;
    }
    Ok(())
}

/// The `google.rpc` details worth showing to a person; descriptions the status message
/// (`headline`) already says are not repeated.
fn write_details(
    f: &mut fmt::Formatter<'_>,
    details: &ErrorDetails,
    headline: &str,
) -> fmt::Result {
    let untold = |description: &str| !description.is_empty() && !headline.contains(description);
    if let Some(bad) = details.bad_request() {
        for v in &bad.field_violations {
            write!(f, "\n  field `{}`", v.field)?;
            if untold(&v.description) {
                write!(f, ": {}", v.description)?;
            }
        }
    }
    if let Some(pre) = details.precondition_failure() {
        for v in &pre.violations {
            write!(f, "\n  precondition {}", v.r#type)?;
            if !v.subject.is_empty() {
                write!(f, " on {}", v.subject)?;
            }
            if untold(&v.description) {
                write!(f, ": {}", v.description)?;
            }
        }
    }
    if let Some(info) = details.resource_info() {
        write!(f, "\n  resource: {}", info.resource_name)?;
        if !info.resource_type.is_empty() {
            write!(f, " ({})", info.resource_type)?;
        }
        if untold(&info.description) {
            write!(f, ": {}", info.description)?;
        }
    }
    if let Some(quota) = details.quota_failure() {
        for v in &quota.violations {
            write!(f, "\n  quota {}", v.subject)?;
            if untold(&v.description) {
                write!(f, ": {}", v.description)?;
            }
        }
    }
    if let Some(info) = details.error_info() {
        write!(f, "\n  reason: {}", info.reason)?;
        if !info.domain.is_empty() {
            write!(f, " ({})", info.domain)?;
        }
    }
    if let Some(delay) = details.retry_info().and_then(|r| r.retry_delay) {
        write!(f, "\n  retry after {:.1}s", delay.as_secs_f64())?;
    }
    if let Some(help) = details.help() {
        for link in &help.links {
            write!(f, "\n  see {}: {}", link.url, link.description)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt;

    #[test]
    fn exit_codes_follow_the_table() {
        let status = |code| CliError::Api(Error::from(tonic::Status::new(code, "x")));
        assert_eq!(status(Code::NotFound).exit_code(), EXIT_NOT_FOUND);
        assert_eq!(status(Code::FailedPrecondition).exit_code(), EXIT_CONFLICT);
        assert_eq!(status(Code::AlreadyExists).exit_code(), EXIT_CONFLICT);
        assert_eq!(status(Code::InvalidArgument).exit_code(), EXIT_INVALID);
        assert_eq!(status(Code::Unavailable).exit_code(), EXIT_OTHER);
        assert_eq!(CliError::usage("x").exit_code(), EXIT_USAGE);
        assert_eq!(
            CliError::Interrupted { operation: None }.exit_code(),
            EXIT_INTERRUPTED
        );
        let local: Error = "nope"
            .parse::<livestream_grpc::names::ChannelName>()
            .unwrap_err()
            .into();
        assert_eq!(CliError::Api(local).exit_code(), EXIT_USAGE);
        assert_eq!(EXIT_OK, 0);
    }

    #[test]
    fn details_are_spelled_out() {
        let mut details = ErrorDetails::new();
        details
            .add_bad_request_violation("channel.output.uri", "must start with gs://")
            .add_precondition_failure_violation("STATE", "projects/p/x", "channel is running")
            .set_resource_info("livestream.googleapis.com/Channel", "projects/p/x", "", "");
        let status = tonic::Status::with_error_details(Code::FailedPrecondition, "no", details);
        let shown = CliError::Api(Error::from(status)).to_string();
        assert!(shown.starts_with("FAILED_PRECONDITION: no"), "{shown}");
        assert!(shown.contains("field `channel.output.uri`: must start with gs://"));
        assert!(shown.contains("precondition STATE on projects/p/x: channel is running"));
        assert!(shown.contains("resource: projects/p/x (livestream.googleapis.com/Channel)"));
    }
}
