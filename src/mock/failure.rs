//! [`Failure`]: an error status with `google.rpc` details, for a mock to answer.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// An error for a mock to answer: a code, a message and `google.rpc` details (`BadRequest`,
/// `PreconditionFailure`, `QuotaFailure`, `ResourceInfo`, `RetryInfo`, `ErrorInfo`), as the
/// service sends them. Converts into a [`tonic::Status`] whose details the client decodes
/// ([`Error::details`](crate::Error::details)), so anything that takes `impl Into<Status>`
/// takes a `Failure`.
///
/// ```
/// use std::time::Duration;
/// use livestream_grpc::mock::Failure;
/// use tonic_types::StatusExt;
///
/// let status: tonic::Status = Failure::quota("projects/p/locations/l/channels/c", "100 events per channel")
///     .with_retry_delay(Duration::from_secs(30))
///     .into();
/// assert_eq!(status.code(), tonic::Code::ResourceExhausted);
/// let details = status.get_error_details();
/// assert_eq!(details.quota_failure().unwrap().violations[0].description, "100 events per channel");
/// assert_eq!(details.retry_info().unwrap().retry_delay, Some(Duration::from_secs(30)));
/// ```
#[derive(Clone, Debug)]
pub struct Failure {
    code: Code,
    message: String,
    details: ErrorDetails,
}

impl Failure {
    /// A status with `code` and `message`, and no details yet.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            details: ErrorDetails::new(),
        }
    }

    /// `INVALID_ARGUMENT` with a `BadRequest` violation of `field`.
    pub fn invalid_argument(field: impl Into<String>, description: impl Into<String>) -> Self {
        let (field, description) = (field.into(), description.into());
        Failure::new(
            Code::InvalidArgument,
            format!("Invalid value for field '{field}': {description}"),
        )
        .with_bad_request_violation(field, description)
    }

    /// `FAILED_PRECONDITION` with a `PreconditionFailure` violation.
    pub fn failed_precondition(
        violation_type: impl Into<String>,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        let description = description.into();
        Failure::new(Code::FailedPrecondition, description.clone()).with_precondition_violation(
            violation_type,
            subject,
            description,
        )
    }

    /// `RESOURCE_EXHAUSTED` with a `QuotaFailure` violation of `subject`.
    pub fn quota(subject: impl Into<String>, description: impl Into<String>) -> Self {
        let description = description.into();
        Failure::new(Code::ResourceExhausted, description.clone())
            .with_quota_violation(subject, description)
    }

    /// `NOT_FOUND` with a `ResourceInfo` naming the resource (`resource_type` is its
    /// `google.api.resource` type, e.g. `livestream.googleapis.com/Channel`).
    pub fn not_found(resource_type: impl Into<String>, resource_name: impl Into<String>) -> Self {
        let resource_name = resource_name.into();
        Failure::new(
            Code::NotFound,
            format!("Resource '{resource_name}' was not found"),
        )
        .with_resource_info(resource_type, resource_name, "", "not found")
    }

    /// `UNAVAILABLE`, which the client retries by default (reads, and mutations with a
    /// `request_id`).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Failure::new(Code::Unavailable, message)
    }

    /// Adds a `BadRequest` field violation.
    pub fn with_bad_request_violation(
        mut self,
        field: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.details.add_bad_request_violation(field, description);
        self
    }

    /// Adds a `PreconditionFailure` violation.
    pub fn with_precondition_violation(
        mut self,
        violation_type: impl Into<String>,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.details
            .add_precondition_failure_violation(violation_type, subject, description);
        self
    }

    /// Adds a `QuotaFailure` violation.
    pub fn with_quota_violation(
        mut self,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.details
            .add_quota_failure_violation(subject, description);
        self
    }

    /// Sets the `ResourceInfo`.
    pub fn with_resource_info(
        mut self,
        resource_type: impl Into<String>,
        resource_name: impl Into<String>,
        owner: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.details
            .set_resource_info(resource_type, resource_name, owner, description);
        self
    }

    /// Sets the `RetryInfo`: the client waits `delay` before retrying (when it retries the
    /// code at all).
    pub fn with_retry_delay(mut self, delay: Duration) -> Self {
        self.details.set_retry_info(Some(delay));
        self
    }

    /// Sets the `ErrorInfo` (`reason`, e.g. `RATE_LIMIT_EXCEEDED`; `domain`, e.g.
    /// `googleapis.com`; and its metadata).
    pub fn with_error_info(
        mut self,
        reason: impl Into<String>,
        domain: impl Into<String>,
        metadata: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let metadata: HashMap<String, String> = metadata.into_iter().collect();
        self.details.set_error_info(reason, domain, metadata);
        self
    }

    /// The status.
    pub fn into_status(self) -> Status {
        Status::with_error_details(self.code, self.message, self.details)
    }
}

impl From<Failure> for Status {
    fn from(failure: Failure) -> Status {
        failure.into_status()
    }
}
