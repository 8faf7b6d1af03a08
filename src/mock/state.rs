//! What a [`Mock`](super::Mock) and its service share: per RPC (indexed by `Method as usize`)
//! the answers set, the expected call count, the delay and what happened; the call log; and
//! the operations the mock created. Every lock is taken by synchronous code only, never
//! across an `.await`, and never while a user's closure runs.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tonic::Status;
use tonic::metadata::MetadataMap;

use super::answer::Answer;
use super::operations::Operations;
use super::report::{Problem, VerifyError};
use crate::methods::{Method, Request};

/// Locks `mutex`, also after a panic elsewhere poisoned it (a panicking test must not turn
/// every later call into a second panic).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The answers set for one RPC: the one-shot answers, used first and in order, then the
/// repeating one.
pub(super) struct Answers<R: Request> {
    pub(super) once: VecDeque<Answer<R>>,
    pub(super) always: Option<Answer<R>>,
}

impl<R: Request> Default for Answers<R> {
    fn default() -> Self {
        Answers {
            once: VecDeque::new(),
            always: None,
        }
    }
}

/// One RPC's configuration and what happened to it.
#[derive(Default)]
pub(super) struct Slot {
    /// An `Answers<R>` for the RPC's request type, once something was set.
    answers: Option<Box<dyn Any + Send + Sync>>,
    /// Set through the mock at all (an answer, an expectation or a delay).
    pub(super) configured: bool,
    /// Whether any answer was ever set (one-shot or repeating).
    pub(super) answered: bool,
    /// How many one-shot answers were set in all.
    pub(super) once_set: usize,
    pub(super) expected: Option<usize>,
    pub(super) delay: Duration,
    pub(super) calls: usize,
    /// Calls answered `UNIMPLEMENTED` because no answer was set.
    pub(super) unmocked: usize,
    /// Calls that came after the one-shot answers were used up, with no repeating answer.
    pub(super) used_up: usize,
}

/// One call the mock received.
pub(super) struct Call {
    pub(super) method: Method,
    pub(super) metadata: MetadataMap,
    pub(super) request: Box<dyn Any + Send + Sync>,
}

#[derive(Default)]
pub(super) struct Inner {
    pub(super) slots: Vec<Slot>,
    pub(super) calls: Vec<Call>,
}

/// The state a mock's handles and its service share.
#[derive(Default)]
pub(crate) struct State {
    inner: Mutex<Inner>,
    pub(super) operations: Operations,
}

/// What a call is answered with, picked when it arrives.
pub(super) struct Picked<R: Request> {
    pub(super) once: Option<Answer<R>>,
    pub(super) always: Option<Answer<R>>,
    pub(super) delay: Duration,
}

impl State {
    pub(super) fn new() -> State {
        State {
            inner: Mutex::new(Inner {
                slots: Method::ALL.iter().map(|_| Slot::default()).collect(),
                calls: Vec::new(),
            }),
            operations: Operations::default(),
        }
    }

    /// Runs `f` on the slot of `method` (a no-op answering `None` for a method outside the
    /// table, which cannot happen: the slots are made from it).
    pub(super) fn with_slot<T>(&self, method: Method, f: impl FnOnce(&mut Slot) -> T) -> Option<T> {
        lock(&self.inner).slots.get_mut(method as usize).map(f)
    }

    /// Runs `f` on the answers of `R`'s RPC, creating them on first use.
    pub(super) fn with_answers<R: Request, T>(
        &self,
        f: impl FnOnce(&mut Answers<R>) -> T,
    ) -> Option<T> {
        self.with_slot(R::METHOD, |slot| {
            slot.configured = true;
            match slot
                .answers
                .as_mut()
                .and_then(|a| a.downcast_mut::<Answers<R>>())
            {
                Some(answers) => f(answers),
                None => {
                    let mut answers = Answers::<R>::default();
                    let out = f(&mut answers);
                    slot.answers = Some(Box::new(answers));
                    out
                }
            }
        })
    }

    /// Records a call of `R`'s RPC and picks its answer: the next one-shot answer if any is
    /// left, and the repeating one (used when no one-shot answer is left and the mock's own
    /// operations do not answer).
    pub(super) fn enter<R: Request>(&self, metadata: MetadataMap, request: &R) -> Picked<R> {
        let mut inner = lock(&self.inner);
        inner.calls.push(Call {
            method: R::METHOD,
            metadata,
            request: Box::new(request.clone()),
        });
        let Some(slot) = inner.slots.get_mut(R::METHOD as usize) else {
            return Picked {
                once: None,
                always: None,
                delay: Duration::ZERO,
            };
        };
        slot.calls += 1;
        let delay = slot.delay;
        let answers = slot
            .answers
            .as_mut()
            .and_then(|a| a.downcast_mut::<Answers<R>>());
        match answers {
            Some(answers) => Picked {
                once: answers.once.pop_front(),
                always: answers.always.clone(),
                delay,
            },
            None => Picked {
                once: None,
                always: None,
                delay,
            },
        }
    }

    /// The error for a call that nothing answered: not mocked, or its one-shot answers used
    /// up. Noted for [`State::verify`].
    pub(super) fn unanswered(&self, method: Method) -> Status {
        let noted = self.with_slot(method, |slot| {
            if slot.answered {
                slot.used_up += 1;
                Some((slot.calls, slot.once_set))
            } else {
                slot.unmocked += 1;
                None
            }
        });
        match noted.flatten() {
            Some((calls, once)) => Status::internal(format!(
                "the mock's answers for {method} are used up: this is call {calls}, and only \
                 {once} one-shot answer{} and no repeating answer were set",
                plural(once)
            )),
            None => Status::unimplemented(format!(
                "{method} is not mocked: set its answer with mock.{}() or mock.on::<{method}Request>()",
                method.rust_name()
            )),
        }
    }

    /// The recorded requests of `R`'s RPC, in order, with their metadata.
    pub(super) fn requests<R: Request>(&self) -> Vec<(R, MetadataMap)> {
        lock(&self.inner)
            .calls
            .iter()
            .filter(|c| c.method == R::METHOD)
            .filter_map(|c| {
                let request = c.request.downcast_ref::<R>()?;
                Some((request.clone(), c.metadata.clone()))
            })
            .collect()
    }

    /// Every method called, in order.
    pub(super) fn calls(&self) -> Vec<Method> {
        lock(&self.inner).calls.iter().map(|c| c.method).collect()
    }

    /// How many calls `method` received.
    pub(super) fn call_count(&self, method: Method) -> usize {
        self.with_slot(method, |slot| slot.calls).unwrap_or(0)
    }

    /// The methods with anything set (answers, expectations or a delay).
    pub(super) fn configured(&self) -> Vec<Method> {
        let inner = lock(&self.inner);
        Method::ALL
            .iter()
            .copied()
            .filter(|&m| inner.slots.get(m as usize).is_some_and(|s| s.configured))
            .collect()
    }

    /// Forgets everything: answers, expectations, delays, calls and operations.
    pub(super) fn reset(&self) {
        {
            let mut inner = lock(&self.inner);
            inner.calls.clear();
            for slot in &mut inner.slots {
                *slot = Slot::default();
            }
        }
        self.operations.reset();
    }

    /// Checks the expectations: call counts, calls of RPCs that were not mocked, and calls
    /// beyond the one-shot answers.
    pub(super) fn verify(&self) -> Result<(), VerifyError> {
        let inner = lock(&self.inner);
        let mut problems = Vec::new();
        for &method in Method::ALL {
            let Some(slot) = inner.slots.get(method as usize) else {
                continue;
            };
            if let Some(expected) = slot.expected
                && expected != slot.calls
            {
                problems.push(Problem::Count {
                    method,
                    expected,
                    calls: slot.calls,
                });
            }
            if slot.unmocked > 0 && slot.expected != Some(0) {
                problems.push(Problem::NotMocked {
                    method,
                    calls: slot.unmocked,
                });
            }
            if slot.used_up > 0 {
                problems.push(Problem::UsedUp {
                    method,
                    calls: slot.calls,
                    once: slot.once_set,
                });
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let calls = inner.calls.iter().map(|c| c.method).collect();
        let not_called = Method::ALL
            .iter()
            .copied()
            .filter(|&m| {
                inner
                    .slots
                    .get(m as usize)
                    .is_some_and(|s| s.configured && s.calls == 0)
            })
            .collect();
        Err(VerifyError {
            problems,
            calls,
            not_called,
        })
    }
}

/// `"s"` unless `n` is 1.
pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
