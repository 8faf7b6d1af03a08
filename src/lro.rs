//! Long-running operations: [`Operation`], a typed, bounded and resumable poller.
//!
//! The 18 long-running RPCs (every Create except `CreateEvent`, every Update, every Delete
//! except `DeleteEvent`, `StartChannel`, `StopChannel`, `StartDistribution`,
//! `StopDistribution`) return an [`Operation<T>`](Operation) as soon as the service accepts
//! the request. From there:
//!
//! - [`until_done`](Operation::until_done) / [`wait`](Operation::wait) poll `GetOperation`
//!   with backoff (1 s, ×1.5, up to 20 s) until it is done, for at most 30 minutes by
//!   default (a channel start can take 15): never forever. The result is decoded after
//!   checking the `Any` type URL; an operation that ends in error returns that status as an
//!   [`ErrorKind::Operation`](crate::ErrorKind::Operation) error; deletes yield `()`.
//! - [`poll`](Operation::poll) polls once; [`metadata`](Operation::metadata) decodes the
//!   progress (`OperationMetadata`); [`progress`](Operation::progress) is a
//!   `futures::Stream` of it.
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
use crate::policy::{PollingOptions, saturating_add};
use crate::v1::OperationMetadata;

/// A boxed, sendable future.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What an [`Operation`] needs from a client: `GetOperation` and `CancelOperation` by name,
/// with that client's policies. [`Client`](crate::Client) implements it; so can a test.
pub(crate) trait OperationSource: Send + Sync {
    /// The operation's latest state.
    fn fetch(&self, name: String) -> BoxFuture<'_, Result<longrunning::Operation, Error>>;
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
    /// timeout (30 minutes by default). On timeout the error
    /// [`is_timeout`](Error::is_timeout), and the operation can still be waited for again
    /// or resumed by name.
    pub async fn wait(&mut self) -> Result<T, Error> {
        let deadline = saturating_add(Instant::now(), self.polling.timeout);
        let mut polls = 0u32;
        loop {
            if let Some(result) = self.result() {
                return result;
            }
            self.sleep_before_poll(&mut polls, deadline).await?;
            self.poll().await?;
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
    /// result (or the error) and the end. Bounded like [`wait`](Self::wait).
    pub fn progress(self) -> impl Stream<Item = Result<Progress<T, M>, Error>> + Send + 'static
    where
        T: Send + 'static,
        M: Send + 'static,
    {
        let deadline = saturating_add(Instant::now(), self.polling.timeout);
        futures_util::stream::unfold(Some((self, 0u32)), move |state| async move {
            let (mut op, mut polls) = state?;
            if op.result().is_none() {
                let polled = match op.sleep_before_poll(&mut polls, deadline).await {
                    Ok(()) => op.poll().await,
                    Err(e) => Err(e),
                };
                if let Err(e) = polled {
                    return Some((Err(e), None));
                }
            }
            match op.result() {
                Some(result) => Some((result.map(Progress::Done), None)),
                None => {
                    let metadata = op.metadata().map(Progress::Running);
                    Some((metadata, Some((op, polls))))
                }
            }
        })
    }

    /// Sleeps before poll number `polls + 1` (not before the first poll of a resumed
    /// operation), or fails if that would pass `deadline`.
    async fn sleep_before_poll(&self, polls: &mut u32, deadline: Instant) -> Result<(), Error> {
        if self.latest.is_none() && *polls == 0 {
            *polls = 1;
            return Ok(());
        }
        *polls += 1;
        let delay = self.polling.backoff.sleep_for(*polls);
        if saturating_add(Instant::now(), delay) > deadline {
            return Err(Error::timeout(
                format!(
                    "operation {} did not finish within {:?}; resume it by name",
                    self.name, self.polling.timeout
                ),
                None,
            ));
        }
        tokio::time::sleep(delay).await;
        Ok(())
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
