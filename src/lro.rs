//! Long-running operations: [`Operation`], a typed, bounded and resumable poller.
//!
//! The 18 long-running RPCs (every Create except `CreateEvent`, every Update, every Delete
//! except `DeleteEvent`, `StartChannel`, `StopChannel`, `StartDistribution`,
//! `StopDistribution`) return an [`Operation<T>`](Operation) as soon as the service accepts
//! the request. From there:
//!
//! - [`until_done`](Operation::until_done) / [`wait`](Operation::wait) poll `GetOperation`
//!   with backoff (1 s, ×1.5, up to 20 s) until it is done, for at most 30 minutes by
//!   default (a channel start can take 15): never forever. A poll that fails with
//!   `UNAVAILABLE` or a connection failure is retried within that bound; other failures end
//!   the wait ([`PollingOptions`] sets the bound, the
//!   [`PollingErrorPolicy`](crate::policy::PollingErrorPolicy) and the
//!   [`PollingBackoffPolicy`](crate::policy::PollingBackoffPolicy)). The result is decoded after
//!   checking the `Any` type URL; an operation that ends in error returns that status as an
//!   [`ErrorKind::Operation`](crate::ErrorKind::Operation) error; deletes yield `()`.
//! - [`poll`](Operation::poll) polls once; [`metadata`](Operation::metadata) decodes the
//!   progress (`OperationMetadata`); [`progress`](Operation::progress) is a
//!   `futures::Stream` of it, and [`updates`](Operation::updates) the same stream over a
//!   borrowed operation (for a progress display: the result stays in the operation).
//! - [`cancel`](Operation::cancel) asks the service to cancel.
//! - [`name`](Operation::name) can be saved, and
//!   [`Client::resume_operation`](crate::Client::resume_operation) resumes from it (after a
//!   restart, or in another process), with the result type of the RPC that started it.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_core::Stream;
use prost::{Message, Name};
use tokio::time::Instant;

use crate::error::Error;
use crate::longrunning::{self, operation};
use crate::policy::{PollingOptions, PollingState, RetryDecision, saturating_add};
use crate::v1::OperationMetadata;

/// A boxed, sendable future.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What an [`Operation`] needs from a client: `GetOperation` and `CancelOperation` by name,
/// with that client's policies. [`Client`](crate::Client) implements it; so can a test.
pub(crate) trait OperationSource: Send + Sync {
    /// The operation's latest state (`GetOperation` with its retry policy).
    fn fetch(&self, name: String) -> BoxFuture<'_, Result<longrunning::Operation, Error>>;
    /// The operation's latest state in a single attempt: a wait's poll, whose failures the
    /// polling error policy handles.
    fn fetch_once(&self, name: String) -> BoxFuture<'_, Result<longrunning::Operation, Error>>;
    /// Asks the service to cancel the operation.
    fn cancel(&self, name: String) -> BoxFuture<'_, Result<(), Error>>;
}

/// A long-running operation whose result is a `T` and whose metadata is an `M`.
///
/// ```
/// use livestream_grpc::names::InputName;
/// use livestream_grpc::v1::{input, Input};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// # // Operations take 12 s, on tokio's paused clock.
/// # let emulator = livestream_grpc::emulator::Emulator::builder()
/// #     .lro_timing(livestream_grpc::emulator::LroTiming::Delay(std::time::Duration::from_secs(12)))
/// #     .build();
/// # let client = livestream_grpc::Client::from_service(emulator.service());
/// let name: InputName = "projects/my-project/locations/us-central1/inputs/my-input".parse()?;
/// let input = Input { r#type: input::Type::RtmpPush as i32, ..Default::default() };
/// let mut operation = client.create_input((&name, input)).await?;
/// println!("resume later with {}", operation.name());
/// while !operation.poll().await? {
///     if let Some(metadata) = operation.metadata()? {
///         println!("{} {}", metadata.verb, metadata.target);
///     }
///     tokio::time::sleep(std::time::Duration::from_secs(5)).await;
/// }
/// let input = operation.wait().await?;
/// assert_eq!(input.name, name);
/// # Ok(()) }
/// ```
pub struct Operation<T, M = OperationMetadata> {
    client: Arc<dyn OperationSource>,
    name: String,
    request_id: Option<String>,
    latest: Option<longrunning::Operation>,
    polling: PollingOptions,
    _types: PhantomData<fn() -> (T, M)>,
}

impl<T, M> std::fmt::Debug for Operation<T, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("name", &self.name)
            .field("request_id", &self.request_id)
            .field("done", &self.latest.as_ref().map(|op| op.done))
            .field("result", &std::any::type_name::<T>())
            .field("polling", &self.polling)
            .finish()
    }
}

/// What a progress stream yields: see [`Operation::progress`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Progress<T, M> {
    /// Still running; the latest metadata, if the service sent any.
    Running(Option<M>),
    /// Done, with its result.
    Done(T),
}

impl<T, M> Operation<T, M>
where
    T: Message + Name + Default,
    M: Message + Name + Default,
{
    /// Wraps an operation returned by a long-running RPC.
    pub(crate) fn new(
        client: Arc<dyn OperationSource>,
        polling: PollingOptions,
        operation: longrunning::Operation,
    ) -> Self {
        Operation {
            client,
            name: operation.name.clone(),
            request_id: None,
            latest: Some(operation),
            polling,
            _types: PhantomData,
        }
    }

    /// An operation known only by name (its state is fetched by the first poll).
    pub(crate) fn resume(
        client: Arc<dyn OperationSource>,
        polling: PollingOptions,
        name: String,
    ) -> Self {
        Operation {
            client,
            name,
            request_id: None,
            latest: None,
            polling,
            _types: PhantomData,
        }
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(str::to_owned);
        self
    }

    /// The `request_id` the call that started this operation carried (filled by the client
    /// unless you set one); `None` for an operation resumed by name. Sending the same request
    /// again with it, within the service's 60-minute window, answers this operation again
    /// instead of starting another: keep it with the operation's name if a later step may
    /// resend (see [`Error::request_id`](crate::Error::request_id)).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Polls with these options instead of the client's.
    pub fn with_polling_options(mut self, polling: PollingOptions) -> Self {
        self.polling = polling;
        self
    }

    /// The operation's name: save it to resume with
    /// [`Client::resume_operation`](crate::Client::resume_operation).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The latest state received (`None` for a resumed operation not yet polled).
    pub fn raw(&self) -> Option<&longrunning::Operation> {
        self.latest.as_ref()
    }

    /// Whether the latest state received says the operation is done.
    pub fn is_done(&self) -> bool {
        self.latest.as_ref().is_some_and(|op| op.done)
    }

    /// The latest metadata, decoded (`None` if the service sent none yet). An `Any` of
    /// another type is an [`ErrorKind::Decode`](crate::ErrorKind::Decode) error.
    pub fn metadata(&self) -> Result<Option<M>, Error> {
        match self.latest.as_ref().and_then(|op| op.metadata.as_ref()) {
            Some(any) => decode_any(&self.name, any).map(Some),
            None => Ok(None),
        }
    }

    /// The result, once done: the decoded response, or the operation's error.
    pub fn result(&self) -> Option<Result<T, Error>> {
        let op = self.latest.as_ref().filter(|op| op.done)?;
        Some(match &op.result {
            Some(operation::Result::Response(any)) => decode_any(&self.name, any),
            Some(operation::Result::Error(status)) => {
                Err(Error::operation_failed(&self.name, to_status(status)))
            }
            // A done operation without a response is fine only for Empty results.
            None if T::full_name() == <() as Name>::full_name() => Ok(T::default()),
            None => Err(Error::decode(format!(
                "operation {} is done but has neither a response nor an error",
                self.name
            ))),
        })
    }

    /// Fetches the latest state once (`GetOperation`, with that method's retry policy);
    /// returns whether the operation is done.
    pub async fn poll(&mut self) -> Result<bool, Error> {
        let latest = self.client.fetch(self.name.clone()).await?;
        let done = latest.done;
        self.latest = Some(latest);
        Ok(done)
    }

    /// Polls until the operation is done and returns its result, for at most the polling
    /// timeout (30 minutes by default). A failed poll is retried or ends the wait as the
    /// polling error policy says (by default: `UNAVAILABLE` and connection failures are
    /// retried). On timeout the error [`is_timeout`](Error::is_timeout) (carrying the last
    /// poll's failure, if that is what kept it from finishing), and the operation can still
    /// be waited for again or resumed by name.
    pub async fn wait(&mut self) -> Result<T, Error> {
        let mut wait = Wait::start(&self.polling);
        loop {
            if let Some(result) = self.result() {
                return result;
            }
            self.advance(&mut wait).await?;
        }
    }

    /// [`wait`](Self::wait), consuming the operation.
    pub async fn until_done(mut self) -> Result<T, Error> {
        self.wait().await
    }

    /// Asks the service to cancel the operation (`CancelOperation`). Cancellation is best
    /// effort: poll to see whether it ended cancelled (an error with
    /// [`is_cancelled`](Error::is_cancelled)) or completed anyway.
    pub async fn cancel(&self) -> Result<(), Error> {
        self.client.cancel(self.name.clone()).await
    }

    /// A `futures::Stream` of the operation's progress: [`Progress::Running`] with the
    /// metadata after every poll that finds it running, then [`Progress::Done`] with the
    /// result (or the error) and the end. Bounded and retried like [`wait`](Self::wait).
    pub fn progress(self) -> impl Stream<Item = Result<Progress<T, M>, Error>> + Send + 'static
    where
        T: Send + 'static,
        M: Send + 'static,
    {
        let wait = Wait::start(&self.polling);
        futures_util::stream::unfold(Some((self, wait)), move |state| async move {
            let (mut op, mut wait) = state?;
            if op.result().is_none()
                && let Err(e) = op.advance(&mut wait).await
            {
                return Some((Err(e), None));
            }
            match op.result() {
                Some(result) => Some((result.map(Progress::Done), None)),
                None => {
                    let metadata = op.metadata().map(Progress::Running);
                    Some((metadata, Some((op, wait))))
                }
            }
        })
    }

    /// [`progress`](Self::progress) over a borrowed operation, for a progress display: the
    /// metadata after every poll that finds the operation running (`None` if the service
    /// sent none). The stream ends when the operation is done (read the outcome with
    /// [`result`](Self::result)), or after the error that ended the wait. Bounded and
    /// retried like [`wait`](Self::wait).
    ///
    /// ```
    /// # use livestream_grpc::{Client, emulator::{Emulator, LroTiming}};
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), livestream_grpc::Error> {
    /// # let emulator = Emulator::builder().lro_timing(LroTiming::Delay(std::time::Duration::from_secs(3))).build();
    /// # let client = Client::from_service(emulator.service());
    /// use futures_util::StreamExt;
    /// use livestream_grpc::names::InputName;
    /// use livestream_grpc::v1::{input, Input};
    ///
    /// let name = InputName::new("my-project", "us-central1", "my-input")?;
    /// let body = Input { r#type: input::Type::RtmpPush as i32, ..Default::default() };
    /// let mut operation = client.create_input((&name, body)).await?;
    /// {
    ///     let mut updates = std::pin::pin!(operation.updates());
    ///     while let Some(metadata) = updates.next().await {
    ///         if let Some(metadata) = metadata? {
    ///             println!("{} {}: running", metadata.verb, metadata.target);
    ///         }
    ///     }
    /// }
    /// let input: Input = operation.result().expect("done")?;
    /// assert_eq!(input.name, name);
    /// # Ok(()) }
    /// ```
    pub fn updates(&mut self) -> impl Stream<Item = Result<Option<M>, Error>> + Send + '_
    where
        M: Send,
    {
        let wait = Wait::start(&self.polling);
        futures_util::stream::unfold(Some((self, wait)), move |state| async move {
            let (op, mut wait) = state?;
            if op.result().is_some() {
                return None;
            }
            if let Err(e) = op.advance(&mut wait).await {
                return Some((Err(e), None));
            }
            if op.result().is_some() {
                return None;
            }
            Some((op.metadata(), Some((op, wait))))
        })
    }

    /// Sleeps as the backoff says, then polls (a single attempt each) until a poll
    /// succeeds, the polling error policy ends the wait, or the wait's bound would pass.
    /// The first poll of an operation resumed by name is sent at once.
    async fn advance(&mut self, wait: &mut Wait) -> Result<(), Error> {
        loop {
            let state = PollingState::new(wait.polls, wait.start.elapsed());
            let delay = if self.latest.is_none() && wait.polls == 0 {
                std::time::Duration::ZERO
            } else {
                self.polling.backoff.wait_period(&state)
            };
            let now = Instant::now();
            if saturating_add(now, delay) > wait.deadline {
                return Err(self.timed_out(wait.last_error.take()));
            }
            tokio::time::sleep(delay).await;
            wait.polls = wait.polls.saturating_add(1);
            // The poll itself may not outlast the bound either.
            let fetch = self.client.fetch_once(self.name.clone());
            let polled = match tokio::time::timeout_at(wait.deadline, fetch).await {
                Ok(polled) => polled,
                Err(_) => return Err(self.timed_out(wait.last_error.take())),
            };
            let err = match polled {
                Ok(latest) => {
                    self.latest = Some(latest);
                    wait.last_error = None;
                    return Ok(());
                }
                Err(err) => err,
            };
            let state = PollingState::new(wait.polls, wait.start.elapsed());
            match self.polling.error_policy.on_error(&err, &state) {
                RetryDecision::Continue => {
                    tracing::debug!(
                        operation = %self.name,
                        polls = wait.polls,
                        code = ?err.code(),
                        "poll failed; polling on"
                    );
                    wait.last_error = Some(err);
                }
                RetryDecision::Permanent => return Err(err),
                RetryDecision::Exhausted => {
                    let mut err = err.exhausted();
                    err.set_attempts(wait.polls);
                    return Err(err);
                }
            }
        }
    }

    /// The wait's bound passed; `last` is the failure of the last poll, if it failed.
    fn timed_out(&self, last: Option<Error>) -> Error {
        Error::timeout(
            format!(
                "operation {} did not finish within {:?}; resume it by name",
                self.name, self.polling.timeout
            ),
            last,
        )
    }
}

/// Where one wait stands: when it started, its bound, the polls sent and the last failed
/// poll's error (for the timeout it may turn into).
#[derive(Debug)]
struct Wait {
    start: Instant,
    deadline: Instant,
    polls: u32,
    last_error: Option<Error>,
}

impl Wait {
    fn start(polling: &PollingOptions) -> Wait {
        let start = Instant::now();
        Wait {
            start,
            deadline: saturating_add(start, polling.timeout),
            polls: 0,
            last_error: None,
        }
    }
}

/// Decodes an `Any` as `T` after checking its type URL.
fn decode_any<T: Message + Name + Default>(
    operation: &str,
    any: &prost_types::Any,
) -> Result<T, Error> {
    let expected = T::full_name();
    let actual = any.type_url.rsplit('/').next().unwrap_or_default();
    if actual != expected {
        return Err(Error::decode(format!(
            "operation {operation}: expected a {expected}, but it holds a {actual} \
             (type URL {:?}); resume it with Client::resume_operation::<R>, where R is the \
             request of the RPC that started it",
            any.type_url
        )));
    }
    T::decode(any.value.as_slice()).map_err(|e| {
        Error::decode(format!("operation {operation}: invalid {expected}")).with_source(e)
    })
}

/// A `google.rpc.Status` as a tonic status whose details decode with `tonic_types`.
fn to_status(status: &crate::rpc::Status) -> tonic::Status {
    tonic::Status::with_details(
        tonic::Code::from_i32(status.code),
        status.message.clone(),
        Bytes::from(status.encode_to_vec()),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Duration;

    use futures_util::StreamExt;
    use tonic::Status;

    use super::*;
    use crate::error::ErrorKind;
    use crate::policy::{
        Aip194Strict, ExponentialBackoff, PollingBackoffPolicy, PollingErrorPolicyExt, StopOnError,
    };
    use crate::v1::Input;

    /// What one poll answers.
    enum Answer {
        Running,
        Done,
        Fail(Error),
        /// Never answers.
        Hang,
    }

    /// An operation source that answers polls from a script (then `Running` forever) and
    /// records when each poll was sent.
    struct Scripted {
        answers: Mutex<VecDeque<Answer>>,
        polls: Mutex<Vec<Duration>>,
        start: Instant,
    }

    impl Scripted {
        fn new(answers: impl IntoIterator<Item = Answer>) -> Arc<Scripted> {
            Arc::new(Scripted {
                answers: Mutex::new(answers.into_iter().collect()),
                polls: Mutex::new(Vec::new()),
                start: Instant::now(),
            })
        }

        /// When each poll was sent, from the script's creation.
        fn polls(&self) -> Vec<Duration> {
            self.polls.lock().unwrap().clone()
        }
    }

    fn running() -> longrunning::Operation {
        longrunning::Operation {
            name: "projects/p/locations/l/operations/o".into(),
            metadata: Some(prost_types::Any::from_msg(&OperationMetadata::default()).unwrap()),
            ..Default::default()
        }
    }

    fn done() -> longrunning::Operation {
        let input = Input {
            name: "projects/p/locations/l/inputs/i".into(),
            ..Default::default()
        };
        longrunning::Operation {
            done: true,
            result: Some(operation::Result::Response(
                prost_types::Any::from_msg(&input).unwrap(),
            )),
            ..running()
        }
    }

    impl OperationSource for Scripted {
        fn fetch(&self, name: String) -> BoxFuture<'_, Result<longrunning::Operation, Error>> {
            self.fetch_once(name)
        }

        fn fetch_once(
            &self,
            _name: String,
        ) -> BoxFuture<'_, Result<longrunning::Operation, Error>> {
            self.polls.lock().unwrap().push(self.start.elapsed());
            let answer = self.answers.lock().unwrap().pop_front();
            Box::pin(async move {
                match answer.unwrap_or(Answer::Running) {
                    Answer::Running => Ok(running()),
                    Answer::Done => Ok(done()),
                    Answer::Fail(err) => Err(err),
                    Answer::Hang => std::future::pending().await,
                }
            })
        }

        fn cancel(&self, _name: String) -> BoxFuture<'_, Result<(), Error>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn unavailable() -> Answer {
        Answer::Fail(Error::from_status(Status::unavailable("down")))
    }

    fn started(source: &Arc<Scripted>, polling: PollingOptions) -> Operation<Input> {
        Operation::new(source.clone(), polling, running())
    }

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn transient_poll_failures_are_polled_through_on_the_backoff() {
        let source = Scripted::new([
            unavailable(),
            Answer::Fail(Error::local(ErrorKind::Connect, "connection refused")),
            Answer::Running,
            Answer::Done,
        ]);
        let mut op = started(&source, PollingOptions::default());
        let input = op.wait().await.unwrap();
        assert_eq!(input.name, "projects/p/locations/l/inputs/i");
        // Failed polls are paced like the others: 1 s, ×1.5.
        assert_eq!(source.polls(), ms(&[1000, 2500, 4750, 8125]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_poll_failure_ends_the_wait_as_it_is() {
        let source = Scripted::new([
            Answer::Running,
            Answer::Fail(Error::from_status(Status::permission_denied("no"))),
        ]);
        let mut op = started(&source, PollingOptions::default());
        let err = op.wait().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Status);
        assert!(err.is_permission_denied(), "{err:?}");
        assert_eq!(source.polls().len(), 2);
        // The operation is intact: a later wait goes on from where it was.
        source.answers.lock().unwrap().push_back(Answer::Done);
        assert!(op.wait().await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_polling_bound_ends_a_wait_that_only_fails() {
        let source = Scripted::new((0..100).map(|_| unavailable()));
        let polling = PollingOptions::new().with_timeout(Duration::from_secs(10));
        let mut op = started(&source, polling);
        let start = Instant::now();
        let err = op.wait().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
        assert!(err.is_timeout());
        // The last poll's failure is kept.
        assert_eq!(
            err.status().map(Status::code),
            Some(tonic::Code::Unavailable)
        );
        // Polls at 1, 2.5, 4.75, 8.125 s; the next one would pass the bound, so it ends at once.
        assert_eq!(source.polls(), ms(&[1000, 2500, 4750, 8125]));
        assert_eq!(start.elapsed(), Duration::from_millis(8125));
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_that_hangs_is_cut_at_the_bound() {
        let source = Scripted::new([Answer::Hang]);
        let polling = PollingOptions::new().with_timeout(Duration::from_secs(30));
        let mut op = started(&source, polling);
        let start = Instant::now();
        let err = op.wait().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
        assert!(err.status().is_none(), "no poll failed: {err:?}");
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn limits_end_the_wait_as_exhausted() {
        let source = Scripted::new((0..10).map(|_| unavailable()));
        let polling = PollingOptions::new().with_error_policy(Aip194Strict.with_attempt_limit(3));
        let mut op = started(&source, polling);
        let err = op.wait().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RetriesExhausted, "{err:?}");
        assert!(err.is_exhausted() && err.is_unavailable());
        assert_eq!(err.attempts(), 3);
        assert_eq!(source.polls().len(), 3);

        let source = Scripted::new([unavailable()]);
        let polling = PollingOptions::new().with_error_policy(StopOnError);
        let mut op = started(&source, polling);
        let err = op.wait().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Status, "{err:?}");
        assert_eq!(source.polls().len(), 1);
    }

    /// Every poll after the same fixed delay, counted by the state it is given.
    #[derive(Debug, Default)]
    struct Fixed {
        asked: Mutex<Vec<u32>>,
    }

    impl PollingBackoffPolicy for Fixed {
        fn wait_period(&self, state: &PollingState) -> Duration {
            self.asked.lock().unwrap().push(state.attempts);
            Duration::from_secs(3)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_custom_backoff_is_asked_before_every_poll_and_followed() {
        let source = Scripted::new([Answer::Running, unavailable(), Answer::Done]);
        let backoff = Arc::new(Fixed::default());
        let polling = PollingOptions::new().with_shared_backoff(backoff.clone());
        let mut op = started(&source, polling);
        op.wait().await.unwrap();
        assert_eq!(source.polls(), ms(&[3000, 6000, 9000]));
        assert_eq!(*backoff.asked.lock().unwrap(), [0, 1, 2]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_resumed_operation_is_polled_at_once() {
        let source = Scripted::new([unavailable(), Answer::Done]);
        let polling = PollingOptions::new().with_backoff(
            ExponentialBackoff::builder()
                .with_initial_delay(Duration::from_secs(2))
                .without_jitter()
                .build()
                .unwrap(),
        );
        let mut op: Operation<Input> = Operation::resume(source.clone(), polling, "o".into());
        op.wait().await.unwrap();
        // The first poll at once; the retry after the second delay (2 s × 1.3).
        assert_eq!(source.polls(), ms(&[0, 2600]));
    }

    #[tokio::test(start_paused = true)]
    async fn progress_and_updates_poll_through_transient_failures() {
        let source = Scripted::new([
            Answer::Running,
            unavailable(),
            Answer::Running,
            Answer::Done,
        ]);
        let stream = started(&source, PollingOptions::default()).progress();
        let items: Vec<_> = stream.collect().await;
        assert_eq!(items.len(), 3, "running, running, done");
        assert!(matches!(items[2], Ok(Progress::Done(_))));
        assert_eq!(source.polls().len(), 4);

        let source = Scripted::new([
            Answer::Running,
            unavailable(),
            Answer::Running,
            Answer::Done,
        ]);
        let mut op = started(&source, PollingOptions::default());
        let updates: Vec<_> = op.updates().collect().await;
        assert_eq!(updates.len(), 2);
        assert!(updates.iter().all(|u| matches!(u, Ok(Some(_)))));
        assert!(op.result().unwrap().is_ok());

        let source = Scripted::new([Answer::Fail(Error::from_status(Status::not_found("gone")))]);
        let mut op = started(&source, PollingOptions::default());
        let updates: Vec<_> = op.updates().collect().await;
        assert_eq!(updates.len(), 1);
        assert!(updates[0].as_ref().unwrap_err().is_not_found());
        assert!(op.result().is_none());
    }
}
