//! Paging: [`Pager`] (a `futures::Stream` of pages) and [`Items`] (of the items in them).
//!
//! A pager re-sends the List request with each `next_page_token`, keeping `page_size`,
//! `filter`, `order_by` and the call options (so every page carries the routing header and
//! the retry policy), and stops at the empty token. It collects the `unreachable` locations
//! the pages report. To resume later, save [`Pager::next_page_token`] and put it in the
//! request's `page_token`.
//!
//! ```
//! use futures_util::{StreamExt, TryStreamExt};
//! use livestream_grpc::names::LocationName;
//! use livestream_grpc::v1::ListChannelsRequest;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! # let emulator = livestream_grpc::emulator::Emulator::builder().build();
//! # let client = livestream_grpc::Client::from_service(emulator.service());
//! let location = LocationName::new("my-project", "us-central1")?;
//! let request = ListChannelsRequest {
//!     parent: location.to_string(),
//!     page_size: 100,
//!     filter: "labels.team=video".into(),
//!     ..Default::default()
//! };
//! // Every page:
//! let mut pages = client.list_channels(request.clone()).by_page();
//! while let Some(page) = pages.next().await {
//!     println!("{} channels", page?.channels.len());
//! }
//! println!("unreachable: {:?}", pages.unreachable());
//! // Every item, with stream combinators:
//! let names: Vec<String> = client
//!     .list_channels(request.clone())
//!     .by_item()
//!     .map_ok(|channel| channel.name)
//!     .try_collect()
//!     .await?;
//! // At most 10 items:
//! let first = client.list_channels(request).collect_items(Some(10)).await?;
//! # let _ = (names, first);
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_core::Stream;

use crate::error::Error;
use crate::methods::{ListRequest, Request};

type PageFuture<R> = Pin<Box<dyn Future<Output = Result<<R as Request>::Response, Error>> + Send>>;

/// Sends one page's request: the client supplies it, with the call's options.
pub(crate) type FetchPage<R> = Arc<dyn Fn(R) -> PageFuture<R> + Send + Sync>;

enum State<R: ListRequest> {
    /// The next page can be requested.
    Ready,
    /// A page is on its way.
    Fetching(PageFuture<R>),
    /// Yield this error next, then end.
    Failed(Option<Error>),
    /// Every page was yielded.
    Done,
}

/// A `futures::Stream` of the pages of a List call: see the [module documentation](self).
pub struct Pager<R: ListRequest> {
    fetch: FetchPage<R>,
    request: R,
    state: State<R>,
    unreachable: Vec<String>,
    pages: usize,
}

impl<R: ListRequest> std::fmt::Debug for Pager<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("method", &R::METHOD)
            .field("pages", &self.pages)
            .field("next_page_token", &self.next_page_token())
            .field("unreachable", &self.unreachable)
            .finish_non_exhaustive()
    }
}

impl<R: ListRequest> Pager<R> {
    pub(crate) fn new(request: R, fetch: FetchPage<R>) -> Self {
        Pager {
            fetch,
            request,
            state: State::Ready,
            unreachable: Vec::new(),
            pages: 0,
        }
    }

    /// The next page, or `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<R::Response, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The items of this and the following pages.
    pub fn items(self) -> Items<R> {
        Items {
            pager: self,
            buffer: VecDeque::new(),
        }
    }

    /// Collects the items of every remaining page, stopping after `limit` items if given.
    pub async fn collect_items(self, limit: Option<usize>) -> Result<Vec<R::Item>, Error> {
        let mut items = self.items();
        let mut out = Vec::new();
        while limit.is_none_or(|l| out.len() < l) {
            match items.next().await {
                Some(item) => out.push(item?),
                None => break,
            }
        }
        Ok(out)
    }

    /// The locations the pages so far reported as unreachable (results from them are
    /// missing).
    pub fn unreachable(&self) -> &[String] {
        &self.unreachable
    }

    /// How many pages were received.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// The token of the next page, to resume later (`None` after the last page).
    pub fn next_page_token(&self) -> Option<&str> {
        match self.state {
            State::Done | State::Failed(_) => None,
            _ => Some(self.request.page_token()),
        }
    }
}

impl<R: ListRequest> Stream for Pager<R> {
    type Item = Result<R::Response, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Failed(error) => {
                    let error = error.take();
                    this.state = State::Done;
                    return Poll::Ready(error.map(Err));
                }
                State::Ready => {
                    this.state = State::Fetching((this.fetch)(this.request.clone()));
                }
                State::Fetching(future) => {
                    let result = ready!(future.as_mut().poll(cx));
                    let page = match result {
                        Ok(page) => page,
                        Err(error) => {
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(error)));
                        }
                    };
                    this.pages += 1;
                    this.unreachable
                        .extend(R::unreachable(&page).iter().cloned());
                    let next = R::next_page_token(&page);
                    this.state = if next.is_empty() {
                        State::Done
                    } else if next == this.request.page_token() {
                        State::Failed(Some(Error::decode(format!(
                            "{}: the service returned the page token it was sent ({next:?}); \
                             stopping instead of looping",
                            R::METHOD.name()
                        ))))
                    } else {
                        *this.request.page_token_mut() = next.to_owned();
                        State::Ready
                    };
                    return Poll::Ready(Some(Ok(page)));
                }
            }
        }
    }
}

/// A `futures::Stream` of the items of every page: see the [module documentation](self).
pub struct Items<R: ListRequest> {
    pager: Pager<R>,
    buffer: VecDeque<R::Item>,
}

impl<R: ListRequest> std::fmt::Debug for Items<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pager", &self.pager)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl<R: ListRequest> Items<R> {
    /// The next item, or `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<R::Item, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The locations the pages so far reported as unreachable.
    pub fn unreachable(&self) -> &[String] {
        self.pager.unreachable()
    }

    /// The pager underneath.
    pub fn pager(&self) -> &Pager<R> {
        &self.pager
    }
}

impl<R: ListRequest> Stream for Items<R> {
    type Item = Result<R::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match ready!(Pin::new(&mut this.pager).poll_next(cx)) {
                Some(Ok(mut page)) => this.buffer.extend(R::take_items(&mut page)),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}
