//! [`Page`] and the lazy, offset-based stream over every page of a list.

use std::collections::VecDeque;
use std::future::Future;

use futures::Stream;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Items fetched per request by `stream()` unless the list sets `limit`: large enough to keep
/// requests (and rate-limit budget) low, small enough to keep memory flat.
pub(crate) const DEFAULT_STREAM_PAGE: u64 = 100;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items match the filters in total, across all pages.
    pub total_count: u64,
}

impl<T> Page<T> {
    pub(crate) fn new(data: Vec<T>, total_count: i64) -> Self {
        Self {
            data,
            total_count: u64::try_from(total_count).unwrap_or(0),
        }
    }
}

struct State<T, F> {
    fetch: F,
    offset: u64,
    page_size: u64,
    buffer: VecDeque<T>,
    done: bool,
}

/// Every item from `offset` on, fetching `page_size` at a time and only when the previous page
/// is used up. Stops after an empty page, once `total_count` is reached, or after the first
/// error (which it yields).
///
/// Offsets can skip or repeat items if invitations are created or deleted while streaming; that
/// is inherent to Clerk's offset pagination.
pub(crate) fn paginate<T, F, Fut>(
    offset: u64,
    page_size: u64,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
    F: FnMut(u64, u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    let state = State {
        fetch,
        offset,
        page_size,
        buffer: VecDeque::new(),
        done: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.buffer.pop_front() {
                return Some((Ok(item), state));
            }
            if state.done {
                return None;
            }
            match (state.fetch)(state.offset, state.page_size).await {
                Err(error) => {
                    state.done = true;
                    return Some((Err(error), state));
                }
                Ok(page) => {
                    let fetched = page.data.len() as u64;
                    state.offset = state.offset.saturating_add(fetched);
                    // Not "a short page ends it": Clerk may serve fewer than asked. An empty
                    // page does, so a server overstating total_count cannot loop forever.
                    state.done = fetched == 0 || state.offset >= page.total_count;
                    state.buffer.extend(page.data);
                }
            }
        }
    })
}
