//! The list core every list of the crate shares: a list request's query pairs ([`Query`]),
//! [`paginate`], which turns "fetch the page at this offset" into a lazy stream of every item,
//! and [`stream_all`], the `stream()` of every list builder ([`PagedList`]).

use std::collections::VecDeque;
use std::future::Future;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use crate::error::{DecodeError, Error};
use crate::models::{OrganizationInvitation, OrganizationMembership, OrganizationRole, Page};
use crate::operation::Operation;

/// Items fetched per request by `stream()` unless the list sets `limit`: large enough to keep
/// requests (and rate-limit budget) low, small enough to keep memory flat.
pub(crate) const DEFAULT_STREAM_PAGE: u64 = 100;

/// The query pairs of one request, sent in name order as the generated bindings send them (a
/// repeated filter such as `user_id` keeps its values in the order given).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pairs: Vec<(&'static str, String)>,
}

impl Query {
    /// Adds `name=value`.
    pub(crate) fn push(&mut self, name: &'static str, value: impl Into<String>) {
        self.pairs.push((name, value.into()));
    }

    /// Adds `name=value` if there is a value.
    pub(crate) fn push_opt(&mut self, name: &'static str, value: Option<impl Into<String>>) {
        if let Some(value) = value {
            self.push(name, value);
        }
    }

    /// Adds `name=value` for each value, in order.
    pub(crate) fn push_all<'a>(
        &mut self,
        name: &'static str,
        values: impl IntoIterator<Item = &'a String>,
    ) {
        for value in values {
            self.push(name, value.as_str());
        }
    }

    /// The pairs, sorted by name (stable, so repeated names keep their order), borrowed for
    /// `Call::query`.
    pub(crate) fn pairs(&mut self) -> Vec<(&'static str, &str)> {
        self.pairs.sort_by_key(|(name, _)| *name);
        self.pairs
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect()
    }
}

/// The `limit` and `offset` setters of every list builder; they write to its `limit` and
/// `offset` fields, or to those under the path given (`paging_setters!(core)`).
macro_rules! paging_setters {
    ($($field:ident).*) => {
        /// Page size, 1 to 500 (Clerk's default is 10; `stream()` uses 100 unless set).
        pub fn limit(mut self, limit: u64) -> Self {
            self$(.$field)*.limit = Some(limit);
            self
        }

        /// Items to skip.
        pub fn offset(mut self, offset: u64) -> Self {
            self$(.$field)*.offset = Some(offset);
            self
        }
    };
}
pub(crate) use paging_setters;

/// A list request that can be sent for any page: what [`stream_all`] needs of a list builder.
pub(crate) trait PagedList: Clone + Send + 'static {
    /// What the list lists.
    type Item: Listed + Send + 'static;

    /// The operation it sends, named in a [`DecodeError`] when its pages contradict each other.
    fn operation(&self) -> Operation;

    /// Its `offset` and `limit`, to read and to set.
    fn window(&mut self) -> (&mut Option<u64>, &mut Option<u64>);

    /// Validates and fetches the page its offset and limit say.
    fn fetch_page(self) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send + 'static;
}

/// Every item of `list` from its `offset` on, fetched lazily page by page (its `limit` per
/// page, else [`DEFAULT_STREAM_PAGE`]). A validation failure or any request's error is yielded
/// as an item and ends the stream.
pub(crate) fn stream_all<L: PagedList>(mut list: L) -> BoxStream<'static, Result<L::Item, Error>> {
    let (offset, limit) = list.window();
    let start = offset.unwrap_or(0);
    let page_size = limit.unwrap_or(DEFAULT_STREAM_PAGE);
    let operation = list.operation();
    paginate(start, page_size, operation, move |offset, limit| {
        let mut page = list.clone();
        let window = page.window();
        *window.0 = Some(offset);
        *window.1 = Some(limit);
        page.fetch_page()
    })
    .boxed()
}

/// An item of a list, told apart from the others by its id.
pub(crate) trait Listed {
    /// Clerk's id of the item.
    fn list_id(&self) -> &str;
}

impl Listed for OrganizationInvitation {
    fn list_id(&self) -> &str {
        &self.id
    }
}

impl Listed for OrganizationMembership {
    fn list_id(&self) -> &str {
        &self.id
    }
}

impl Listed for OrganizationRole {
    fn list_id(&self) -> &str {
        &self.id
    }
}

/// What a page looked like, to tell the next one apart from it: its length and the ids of its
/// first and last items.
#[derive(PartialEq, Eq)]
struct PageMark {
    len: usize,
    first: String,
    last: String,
}

impl PageMark {
    fn of<T: Listed>(data: &[T]) -> Option<Self> {
        Some(Self {
            len: data.len(),
            first: data.first()?.list_id().to_owned(),
            last: data.last()?.list_id().to_owned(),
        })
    }
}

struct State<T, F> {
    fetch: F,
    operation: Operation,
    offset: u64,
    page_size: u64,
    /// The first page's `total_count`, lowered by later pages, never raised.
    total: Option<u64>,
    previous: Option<PageMark>,
    buffer: VecDeque<T>,
    done: bool,
}

/// Every item from `offset` on, fetching `page_size` at a time and only when the previous page
/// is used up. Stops after an empty page, once `total_count` is reached, or after the first
/// error (which it yields).
///
/// A server that does not page as Clerk does must not keep it going: `total_count` is the first
/// page's (a later page can lower it, never raise it), and a page that repeats the one before
/// (the same length, first and last ids: the server ignored `offset`) ends the stream with
/// [`Error::Decode`] instead of yielding the same items again and again.
///
/// Offsets can skip or repeat items if items are created or deleted while streaming; that is
/// inherent to Clerk's offset pagination.
pub(crate) fn paginate<T, F, Fut>(
    offset: u64,
    page_size: u64,
    operation: Operation,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Listed + Send + 'static,
    F: FnMut(u64, u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    let state = State {
        fetch,
        operation,
        offset,
        page_size,
        total: None,
        previous: None,
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
                    let mark = PageMark::of(&page.data);
                    if mark.is_some() && mark == state.previous {
                        state.done = true;
                        let how = format!(
                            "the page at offset {} repeats the page before it ({} items, {} to \
                             {}): the server ignored `offset`, so the list cannot be read to \
                             its end",
                            state.offset,
                            page.data.len(),
                            page.data.first().map_or("", Listed::list_id),
                            page.data.last().map_or("", Listed::list_id),
                        );
                        let error = DecodeError::contradiction(state.operation, how);
                        return Some((Err(Error::Decode(Box::new(error))), state));
                    }
                    state.previous = mark;
                    let fetched = page.data.len() as u64;
                    state.offset = state.offset.saturating_add(fetched);
                    let total = state
                        .total
                        .map_or(page.total_count, |total| total.min(page.total_count));
                    state.total = Some(total);
                    // Not "a short page ends it": Clerk may serve fewer than asked. An empty
                    // page does.
                    state.done = fetched == 0 || state.offset >= total;
                    state.buffer.extend(page.data);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_go_out_in_name_order_keeping_repeated_values_in_order() {
        let mut query = Query::default();
        query.push("user_id", "b");
        query.push("limit", "10");
        query.push_opt("order_by", Some("-created_at"));
        query.push_opt("query", None::<&str>);
        query.push_all("email_address", &["x@y.co".to_owned(), "a@y.co".to_owned()]);
        query.push("user_id", "-a");
        assert_eq!(
            query.pairs(),
            [
                ("email_address", "x@y.co"),
                ("email_address", "a@y.co"),
                ("limit", "10"),
                ("order_by", "-created_at"),
                ("user_id", "b"),
                ("user_id", "-a"),
            ]
        );
    }
}
