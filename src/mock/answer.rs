//! [`Answer`], what one call of an RPC answers, and [`RpcMock`], the typed handle that sets
//! an RPC's answers, expected calls and delay, and reads its recorded requests.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use prost_types::Any;
use tonic::Status;

use super::Recorded;
use super::operations::{Operations, Outcome, to_rpc_status};
use super::state::State;
use crate::methods::{LroRequest, Method, Request};

/// The function behind an answer: gets the mock's operations (for long-running answers) and
/// the request.
type AnswerFn<R> =
    Arc<dyn Fn(&Operations, &R) -> Result<<R as Request>::Response, Status> + Send + Sync>;

/// What one call of the RPC of `R` answers: a response, an error, a function of the request,
/// or (for long-running RPCs) an operation; optionally after a delay on tokio's clock.
///
/// [`RpcMock`]'s shortcuts (`returns`, `fails`, `done_with`, ...) build these; an `Answer`
/// itself is what [`RpcMock::answer`] and [`RpcMock::answer_once`] take, for sequences that
/// mix kinds or delays.
///
/// ```
/// use std::time::Duration;
/// use livestream_grpc::mock::{Answer, Failure, Mock};
/// use livestream_grpc::v1::{Channel, GetChannelRequest};
///
/// let mock = Mock::new();
/// mock.on::<GetChannelRequest>()
///     .answer_once(Answer::error(Failure::unavailable("try again")))
///     .answer_once(Answer::response(Channel::default()).delayed(Duration::from_secs(2)))
///     .answer(Answer::from_fn(|request: &GetChannelRequest| {
///         Ok(Channel { name: request.name.clone(), ..Default::default() })
///     }));
/// ```
pub struct Answer<R: Request> {
    run: AnswerFn<R>,
    pub(super) delay: Duration,
}

impl<R: Request> Clone for Answer<R> {
    fn clone(&self) -> Self {
        Answer {
            run: Arc::clone(&self.run),
            delay: self.delay,
        }
    }
}

impl<R: Request> fmt::Debug for Answer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("rpc", &R::METHOD)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

impl<R: Request> Answer<R> {
    fn new(run: AnswerFn<R>) -> Self {
        Answer {
            run,
            delay: Duration::ZERO,
        }
    }

    /// Answers `response` (a clone of it each time it is used).
    pub fn response(response: R::Response) -> Self
    where
        R::Response: Clone,
    {
        Answer::new(Arc::new(move |_, _| Ok(response.clone())))
    }

    /// Fails with `status`: a [`tonic::Status`], or a [`Failure`](super::Failure) with
    /// `google.rpc` details.
    pub fn error(status: impl Into<Status>) -> Self {
        let status = status.into();
        Answer::new(Arc::new(move |_, _| Err(status.clone())))
    }

    /// Answers what `f` returns for the request.
    pub fn from_fn(f: impl Fn(&R) -> Result<R::Response, Status> + Send + Sync + 'static) -> Self {
        Answer::new(Arc::new(move |_, request| f(request)))
    }

    /// The same answer, given `delay` after the call arrives (on tokio's clock, so a test on
    /// paused time does not wait). Adds to the RPC's own [`delay`](RpcMock::delay).
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Runs the answer for `request`.
    pub(super) fn run(&self, operations: &Operations, request: &R) -> Result<R::Response, Status> {
        (self.run)(operations, request)
    }
}

/// The default metadata of an operation of `R`, packed.
fn metadata_of<R: LroRequest>() -> Option<Any> {
    Any::from_msg(&R::Metadata::default()).ok()
}

/// A long-running answer: an operation registered with the mock, so that `GetOperation`
/// answers it later.
fn operation_answer<R: LroRequest>(pending_polls: Option<u32>, outcome: Outcome) -> Answer<R> {
    let metadata = metadata_of::<R>();
    Answer::new(Arc::new(move |operations, request: &R| {
        Ok(operations.start(
            request.routing_value(),
            metadata.clone(),
            pending_polls,
            outcome.clone(),
        ))
    }))
}

/// The outcome of an operation whose result is `result`.
fn success<T: prost::Name>(result: &T) -> Outcome {
    match Any::from_msg(result) {
        Ok(any) => Outcome::Response(any),
        Err(e) => Outcome::Error(to_rpc_status(&Status::internal(format!(
            "the mock could not encode the operation's {}: {e}",
            T::full_name()
        )))),
    }
}

impl<R: LroRequest> Answer<R> {
    /// Answers an operation that is already done, with `result` (`()` for deletes).
    pub fn done(result: R::Result) -> Self {
        operation_answer(None, success(&result))
    }

    /// Answers an operation that is already done and failed with `status` (the client's
    /// poller returns it as an [`ErrorKind::Operation`](crate::ErrorKind::Operation) error,
    /// with its `google.rpc` details).
    pub fn done_with_error(status: impl Into<Status>) -> Self {
        operation_answer(None, Outcome::Error(to_rpc_status(&status.into())))
    }

    /// Answers a pending operation that stays pending for `polls` polls (`GetOperation` or
    /// `WaitOperation`, answered by the mock), then is done with `outcome` at the next one.
    pub fn pending(polls: u32, outcome: Result<R::Result, Status>) -> Self {
        let outcome = match outcome {
            Ok(result) => success(&result),
            Err(status) => Outcome::Error(to_rpc_status(&status)),
        };
        operation_answer(Some(polls), outcome)
    }
}

/// The mock of one RPC, the one whose request is `R`: from [`Mock::on`](super::Mock::on) or
/// the per-RPC methods ([`Mock::get_channel`](super::Mock::get_channel), ...). Every method
/// takes effect at once and returns the handle, so calls chain.
///
/// A call is answered by the next **one-shot** answer set (`returns_once`, `fails_once`,
/// `returns_seq`, `answer_once`), in the order they were set; when none is left, by the
/// **repeating** answer (`returns`, `fails`, `answers`, `answer`, `done_with`,
/// `done_with_error`, `pending_for`; setting one replaces the previous one). With one-shot
/// answers used up and no repeating answer, a call fails with `INTERNAL`; with no answer
/// ever set, with `UNIMPLEMENTED`. Either is reported by [`Mock::verify`](super::Mock::verify)
/// and when the mock is dropped.
///
/// The answer's type is checked at compile time: `returns` takes `R`'s response type
/// ([`Request::Response`]), `done_with` a long-running RPC's result type
/// ([`LroRequest::Result`]).
///
/// ```compile_fail
/// # use livestream_grpc::mock::Mock;
/// # use livestream_grpc::v1::{GetChannelRequest, Input};
/// let mock = Mock::new();
/// mock.on::<GetChannelRequest>().returns(Input::default()); // GetChannel answers a Channel
/// ```
pub struct RpcMock<R: Request> {
    state: Arc<State>,
    _request: PhantomData<fn() -> R>,
}

impl<R: Request> Clone for RpcMock<R> {
    fn clone(&self) -> Self {
        RpcMock {
            state: Arc::clone(&self.state),
            _request: PhantomData,
        }
    }
}

impl<R: Request> fmt::Debug for RpcMock<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcMock")
            .field("rpc", &R::METHOD)
            .field("calls", &self.call_count())
            .finish_non_exhaustive()
    }
}

impl<R: Request> RpcMock<R> {
    pub(super) fn new(state: Arc<State>) -> Self {
        RpcMock {
            state,
            _request: PhantomData,
        }
    }

    /// The RPC.
    pub fn method(&self) -> Method {
        R::METHOD
    }

    /// Sets the repeating answer (replacing the previous one).
    pub fn answer(self, answer: Answer<R>) -> Self {
        self.state.with_answers::<R, _>(|a| a.always = Some(answer));
        self.state.with_slot(R::METHOD, |s| s.answered = true);
        self
    }

    /// Adds a one-shot answer, used after the one-shot answers set before it.
    pub fn answer_once(self, answer: Answer<R>) -> Self {
        self.state
            .with_answers::<R, _>(|a| a.once.push_back(answer));
        self.state.with_slot(R::METHOD, |s| {
            s.answered = true;
            s.once_set += 1;
        });
        self
    }

    /// Answers every call with `response`.
    pub fn returns(self, response: R::Response) -> Self
    where
        R::Response: Clone,
    {
        self.answer(Answer::response(response))
    }

    /// Answers the next call with `response`.
    pub fn returns_once(self, response: R::Response) -> Self
    where
        R::Response: Clone,
    {
        self.answer_once(Answer::response(response))
    }

    /// Answers the next calls with `responses`, one each, in order (one-shot answers).
    pub fn returns_seq(self, responses: impl IntoIterator<Item = R::Response>) -> Self
    where
        R::Response: Clone,
    {
        responses
            .into_iter()
            .fold(self, |mock, response| mock.returns_once(response))
    }

    /// Answers every call with what `f` returns for its request.
    pub fn answers(
        self,
        f: impl Fn(&R) -> Result<R::Response, Status> + Send + Sync + 'static,
    ) -> Self {
        self.answer(Answer::from_fn(f))
    }

    /// Fails every call with `status` (a [`tonic::Status`] or a [`Failure`](super::Failure)).
    pub fn fails(self, status: impl Into<Status>) -> Self {
        self.answer(Answer::error(status))
    }

    /// Fails the next call with `status` (a [`tonic::Status`] or a
    /// [`Failure`](super::Failure)).
    pub fn fails_once(self, status: impl Into<Status>) -> Self {
        self.answer_once(Answer::error(status))
    }

    /// Expects exactly `calls` calls, checked by [`Mock::verify`](super::Mock::verify) and
    /// when the mock is dropped.
    pub fn times(self, calls: usize) -> Self {
        self.state.with_slot(R::METHOD, |s| {
            s.configured = true;
            s.expected = Some(calls);
        });
        self
    }

    /// Expects no call: [`times(0)`](Self::times).
    pub fn never(self) -> Self {
        self.times(0)
    }

    /// Delays every answer by `delay` on tokio's clock (so a test on paused time does not
    /// wait); a call that the client gives up on in the meantime is still recorded.
    pub fn delay(self, delay: Duration) -> Self {
        self.state.with_slot(R::METHOD, |s| {
            s.configured = true;
            s.delay = delay;
        });
        self
    }

    /// The requests received, in order, with their metadata.
    pub fn requests(&self) -> Vec<Recorded<R>> {
        self.state
            .requests::<R>()
            .into_iter()
            .map(|(request, metadata)| Recorded::new(request, metadata))
            .collect()
    }

    /// How many calls the RPC received.
    pub fn call_count(&self) -> usize {
        self.state.call_count(R::METHOD)
    }
}

impl<R: LroRequest> RpcMock<R> {
    /// Answers every call with an operation that is already done, with `result`.
    pub fn done_with(self, result: R::Result) -> Self {
        self.answer(Answer::done(result))
    }

    /// Answers every call with an operation that is already done and failed with `status`.
    pub fn done_with_error(self, status: impl Into<Status>) -> Self {
        self.answer(Answer::done_with_error(status))
    }

    /// Answers every call with a pending operation that stays pending for `polls` polls,
    /// then is done with `outcome` (see [`Answer::pending`]).
    pub fn pending_for(self, polls: u32, outcome: Result<R::Result, Status>) -> Self {
        self.answer(Answer::pending(polls, outcome))
    }
}
