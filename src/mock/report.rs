//! [`VerifyError`]: the expectations a mock found unmet, worded for the person reading a
//! failed test.

use std::fmt;

use super::state::plural;
use crate::methods::Method;

/// One unmet expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// A call count set with `times` or `never` that was not met.
    Count {
        method: Method,
        expected: usize,
        calls: usize,
    },
    /// Calls of an RPC no answer was set for (answered `UNIMPLEMENTED`).
    NotMocked { method: Method, calls: usize },
    /// Calls after the one-shot answers were used up, with no repeating answer.
    UsedUp {
        method: Method,
        calls: usize,
        once: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::Count {
                method,
                expected: 0,
                calls,
            } => write!(
                f,
                "{method}: expected no call, got {calls} call{}",
                plural(calls)
            ),
            Problem::Count {
                method,
                expected,
                calls,
            } => write!(
                f,
                "{method}: expected {expected} call{}, got {calls}",
                plural(expected)
            ),
            Problem::NotMocked { method, calls } => write!(
                f,
                "{method}: called {calls} time{} but not mocked, so it answered UNIMPLEMENTED; \
                 set its answer with `mock.{}()` or `mock.on::<{method}Request>()`",
                plural(calls),
                method.rust_name()
            ),
            Problem::UsedUp {
                method,
                calls,
                once,
            } => write!(
                f,
                "{method}: called {calls} time{} but only {once} one-shot answer{} and no \
                 repeating answer were set, so the extra calls failed with INTERNAL",
                plural(calls),
                plural(once)
            ),
        }
    }
}

/// The expectations of a [`Mock`](super::Mock) that were not met: from
/// [`Mock::verify`](super::Mock::verify), and the message of the panic when a mock is
/// dropped with unmet expectations. Its `Display` lists each problem, then every call
/// received (in order) and the RPCs that were set but never called:
///
/// ```text
/// the mock's expectations were not met:
///   - GetChannel: expected 2 calls, got 1
///   - GetInput: called 1 time but not mocked, so it answered UNIMPLEMENTED; set its answer with `mock.get_input()` or `mock.on::<GetInputRequest>()`
/// calls received, in order: GetChannel, GetInput
/// set but never called: StartChannel
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    pub(super) problems: Vec<Problem>,
    pub(super) calls: Vec<Method>,
    pub(super) not_called: Vec<Method>,
}

impl VerifyError {
    /// The RPCs with an unmet expectation, in the order of the API table.
    pub fn methods(&self) -> Vec<Method> {
        let mut methods: Vec<Method> = Vec::new();
        for problem in &self.problems {
            let (Problem::Count { method, .. }
            | Problem::NotMocked { method, .. }
            | Problem::UsedUp { method, .. }) = *problem;
            if !methods.contains(&method) {
                methods.push(method);
            }
        }
        methods
    }

    /// Every call the mock received, in order.
    pub fn calls(&self) -> &[Method] {
        &self.calls
    }
}

/// `a, b, c`, or `none`.
fn list(methods: &[Method]) -> String {
    if methods.is_empty() {
        return "none".to_owned();
    }
    methods
        .iter()
        .map(|m| m.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the mock's expectations were not met:")?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        writeln!(f, "calls received, in order: {}", list(&self.calls))?;
        write!(f, "set but never called: {}", list(&self.not_called))
    }
}

impl std::error::Error for VerifyError {}
