//! Builders for the emulator's error statuses, with `google.rpc` details
//! (`BadRequest`, `ResourceInfo`, `PreconditionFailure`, `QuotaFailure`) attached.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use super::config::MissingReference;
use super::validation;

/// The `google.api.resource` type of a resource name, for `ResourceInfo`.
pub(crate) fn resource_type(name: &str) -> &'static str {
    match super::store::Kind::of(name) {
        Some(kind) => kind.resource_type(),
        None => "",
    }
}

/// INVALID_ARGUMENT for one field.
pub(crate) fn invalid(field: &str, description: impl Into<String>) -> Status {
    let description = description.into();
    Status::with_error_details(
        Code::InvalidArgument,
        format!("Invalid value for field '{field}': {description}"),
        ErrorDetails::with_bad_request_violation(field, description),
    )
}

/// INVALID_ARGUMENT for a required field left empty.
pub(crate) fn required(field: &str) -> Status {
    invalid(field, "this field is required")
}

/// NOT_FOUND naming the resource.
pub(crate) fn not_found(name: &str) -> Status {
    Status::with_error_details(
        Code::NotFound,
        format!("Resource '{name}' was not found"),
        ErrorDetails::with_resource_info(resource_type(name), name, "", "not found"),
    )
}

/// ALREADY_EXISTS naming the resource.
pub(crate) fn already_exists(name: &str) -> Status {
    Status::with_error_details(
        Code::AlreadyExists,
        format!("Resource '{name}' already exists"),
        ErrorDetails::with_resource_info(resource_type(name), name, "", "already exists"),
    )
}

/// FAILED_PRECONDITION: `message` is the sentence shown; `kind` a short violation type.
pub(crate) fn precondition(kind: &str, subject: &str, message: impl Into<String>) -> Status {
    let message = message.into();
    Status::with_error_details(
        Code::FailedPrecondition,
        message.clone(),
        ErrorDetails::with_precondition_failure_violation(kind, subject, message),
    )
}

/// RESOURCE_EXHAUSTED for an allocation quota.
pub(crate) fn quota(subject: &str, message: impl Into<String>) -> Status {
    let message = message.into();
    Status::with_error_details(
        Code::ResourceExhausted,
        message.clone(),
        ErrorDetails::with_quota_failure_violation(subject, message),
    )
}

/// INTERNAL for a bug of the emulator (never for client input).
pub(crate) fn internal(what: impl std::fmt::Display) -> Status {
    Status::internal(format!("emulator internal error: {what}"))
}

/// Turns field violations into one status: NOT_FOUND when they are all missing references
/// and the configuration asks for it, INVALID_ARGUMENT with every violation otherwise.
pub(crate) fn from_violations(
    violations: Vec<validation::FieldViolation>,
    missing: MissingReference,
) -> Result<(), Status> {
    let Some(first) = violations.first() else {
        return Ok(());
    };
    if missing == MissingReference::NotFound
        && violations.iter().all(|v| v.missing_reference.is_some())
        && let Some(name) = &first.missing_reference
    {
        return Err(not_found(name));
    }
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    let details: Vec<FieldViolation> = violations
        .into_iter()
        .map(|v| FieldViolation::new(v.field, v.description))
        .collect();
    Err(Status::with_error_details(
        Code::InvalidArgument,
        format!("Request contains invalid fields: {message}"),
        ErrorDetails::with_bad_request(details),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(field: &str, missing: Option<&str>) -> validation::FieldViolation {
        validation::FieldViolation {
            field: field.into(),
            description: "bad".into(),
            missing_reference: missing.map(str::to_owned),
        }
    }

    #[test]
    fn violations_become_bad_request_or_not_found() {
        assert!(from_violations(Vec::new(), MissingReference::NotFound).is_ok());
        let input = "projects/p/locations/l/inputs/i";
        let missing = vec![violation("channel.input_attachments[0].input", Some(input))];
        let err = from_violations(missing.clone(), MissingReference::NotFound).unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(
            err.get_error_details()
                .resource_info()
                .unwrap()
                .resource_name,
            input
        );
        let err = from_violations(missing, MissingReference::InvalidArgument).unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let mixed = vec![
            violation("channel.output.uri", None),
            violation("channel.input_attachments[0].input", Some(input)),
        ];
        let err = from_violations(mixed, MissingReference::NotFound).unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let details = err.get_error_details();
        let fields: Vec<&str> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(
            fields,
            ["channel.output.uri", "channel.input_attachments[0].input"]
        );
    }
}
