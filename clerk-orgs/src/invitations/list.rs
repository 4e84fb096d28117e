//! Every list of invitations on one core: [`ListInvitations`] (one organization),
//! [`ListPendingInvitations`] (its deprecated pending route), [`ListInstanceInvitations`] (the
//! whole instance) and [`ListUserInvitations`] (one user).
//!
//! Each public builder exposes only the filters its route takes; the core holds them all, checks
//! them, fetches one page (`send()`) or streams every page lazily (`stream()`), offset-based.

use std::collections::VecDeque;
use std::future::Future;
use std::num::NonZeroU64;
use std::sync::Arc;

use clerk_bapi_sys::types;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use crate::error::{Error, ValidationError};
use crate::http::Handle;
use crate::models::{InvitationStatus, OrganizationInvitation, Page};
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// Items fetched per request by `stream()` unless the list sets `limit`: large enough to keep
/// requests (and rate-limit budget) low, small enough to keep memory flat.
pub(crate) const DEFAULT_STREAM_PAGE: u64 = 100;

/// Whose invitations a list reads, and so which route it calls.
#[derive(Debug, Clone)]
enum Scope {
    /// `GET /v1/organizations/{organization_id}/invitations`
    Organization(Arc<str>),
    /// `GET /v1/organizations/{organization_id}/invitations/pending` (deprecated by Clerk)
    OrganizationPending(Arc<str>),
    /// `GET /v1/organization_invitations`
    Instance,
    /// `GET /v1/users/{user_id}/organization_invitations`
    User(Arc<str>),
}

/// What every list builder holds: the route, every filter any route takes, paging and the
/// per-request options.
#[derive(Debug, Clone)]
struct ListCore {
    handle: Arc<Handle>,
    scope: Scope,
    status: Option<InvitationStatus>,
    email_address: Option<String>,
    query: Option<String>,
    order_by: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    options: RequestOptions,
}

/// The filters that are set, as the bindings' list builders take them.
#[derive(Clone, Copy)]
struct WireFilters<'a> {
    status: Option<&'a str>,
    email_address: Option<&'a str>,
    query: Option<&'a str>,
    order_by: Option<&'a str>,
    limit: Option<NonZeroU64>,
    offset: Option<u64>,
}

/// Sends one page's request on a route the bindings generate: `$start` begins the request on the
/// transport `$t`, then each named filter that is set is added; the answer's items become typed
/// invitations with `$typed`.
macro_rules! generated_list {
    (
        $core:ident, $operation:ident, |$t:ident| $start:expr,
        [$($filter:ident),* $(,)?], $typed:expr $(,)?
    ) => {{
        let filters = $core.wire();
        let raw = $core
            .handle
            .execute_with(Operation::$operation, &$core.options, |$t| {
                let mut request = $start;
                $(
                    if let Some(value) = filters.$filter {
                        request = request.$filter(value);
                    }
                )*
                request.send()
            })
            .await?;
        Ok(page(raw.data, raw.total_count, $typed))
    }};
}

/// One page of raw items as typed invitations.
fn page<R>(
    data: Vec<R>,
    total_count: i64,
    typed: fn(R) -> OrganizationInvitation,
) -> Page<OrganizationInvitation> {
    Page::new(data.into_iter().map(typed).collect(), total_count)
}

impl ListCore {
    fn new(handle: Arc<Handle>, scope: Scope) -> Self {
        Self {
            handle,
            scope,
            status: None,
            email_address: None,
            query: None,
            order_by: None,
            limit: None,
            offset: None,
            options: RequestOptions::default(),
        }
    }

    /// Checks the scope's id and every filter that is set, in the order the routes list them.
    fn validate(&self) -> Result<(), ValidationError> {
        match &self.scope {
            Scope::Organization(id) | Scope::OrganizationPending(id) => {
                validate::id("organization_id", id)?;
            }
            Scope::User(id) => validate::id("user_id", id)?,
            Scope::Instance => {}
        }
        if let Some(status) = &self.status {
            validate::key("status", status.as_str())?;
        }
        if let Some(email) = &self.email_address {
            validate::text("email_address", email)?;
        }
        if let Some(query) = &self.query {
            validate::text("query", query)?;
        }
        if let Some(order_by) = &self.order_by {
            validate::order_by(order_by)?;
        }
        if let Some(limit) = self.limit {
            validate::limit(limit)?;
        }
        Ok(())
    }

    fn wire(&self) -> WireFilters<'_> {
        WireFilters {
            status: self.status.as_ref().map(InvitationStatus::as_str),
            email_address: self.email_address.as_deref(),
            query: self.query.as_deref(),
            order_by: self.order_by.as_deref(),
            limit: self.limit.and_then(NonZeroU64::new),
            offset: self.offset,
        }
    }

    /// Validates and fetches one page from the scope's route.
    async fn send(self) -> Result<Page<OrganizationInvitation>, Error> {
        self.validate()?;
        match &self.scope {
            Scope::Organization(id) => generated_list!(
                self,
                ListInvitations,
                |t| t.sys.list_organization_invitations().organization_id(&**id),
                [status, email_address, order_by, limit, offset],
                OrganizationInvitation::from_raw,
            ),
            Scope::OrganizationPending(id) => generated_list!(
                self,
                ListPendingInvitations,
                |t| t
                    .sys
                    .list_pending_organization_invitations()
                    .organization_id(&**id),
                [limit, offset],
                OrganizationInvitation::from_raw,
            ),
            Scope::Instance => generated_list!(
                self,
                ListInstanceInvitations,
                |t| t.sys.list_instance_organization_invitations(),
                [status, query, order_by, limit, offset],
                OrganizationInvitation::from_raw_with_organization,
            ),
            // Clerk files this route under the `Users` tag, which this crate does not compile (it
            // would pull in the whole users API): the request is written by hand in
            // `Transport::get_json`, with the bindings' semantics, on the same execute path.
            Scope::User(id) => {
                let mut query = Vec::with_capacity(3);
                let filters = self.wire();
                if let Some(limit) = filters.limit {
                    query.push(("limit", limit.to_string()));
                }
                if let Some(offset) = filters.offset {
                    query.push(("offset", offset.to_string()));
                }
                if let Some(status) = filters.status {
                    query.push(("status", status.to_owned()));
                }
                let segments = ["users", &**id, "organization_invitations"];
                let raw: types::OrganizationInvitationsWithPublicOrganizationData = self
                    .handle
                    .execute_with(Operation::ListUserInvitations, &self.options, |t| {
                        t.get_json(&segments, &query)
                    })
                    .await?;
                Ok(page(
                    raw.data,
                    raw.total_count,
                    OrganizationInvitation::from_raw_with_organization,
                ))
            }
        }
    }

    /// Every matching invitation from `offset` on, fetched lazily page by page.
    fn stream(self) -> BoxStream<'static, Result<OrganizationInvitation, Error>> {
        let start = self.offset.unwrap_or(0);
        let page_size = self.limit.unwrap_or(DEFAULT_STREAM_PAGE);
        paginate(start, page_size, move |offset, limit| {
            let mut page = self.clone();
            page.offset = Some(offset);
            page.limit = Some(limit);
            page.send()
        })
        .boxed()
    }
}

/// A public list builder over [`ListCore`], with the setters its route takes.
macro_rules! list_builder {
    (
        $(#[$meta:meta])*
        $name:ident, $scope:ident($($id:ident)?), [$($setter:ident),* $(,)?]
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        #[must_use = "nothing is sent until `send().await` or the stream is polled"]
        pub struct $name {
            core: ListCore,
        }

        impl $name {
            pub(crate) fn new(handle: Arc<Handle>, $($id: Arc<str>)?) -> Self {
                Self {
                    core: ListCore::new(handle, list_builder!(@scope $scope $($id)?)),
                }
            }

            $(list_builder!(@setter $setter);)*

            request_option_setters!(core.options);

            /// Page size, 1 to 500 (Clerk's default is 10; `stream()` uses 100 unless set).
            pub fn limit(mut self, limit: u64) -> Self {
                self.core.limit = Some(limit);
                self
            }

            /// Items to skip.
            pub fn offset(mut self, offset: u64) -> Self {
                self.core.offset = Some(offset);
                self
            }

            /// Fetches one page.
            pub async fn send(self) -> Result<Page<OrganizationInvitation>, Error> {
                self.core.send().await
            }

            /// Every matching invitation from `offset` on, fetched lazily page by page. A
            /// validation failure or any request's error is yielded as an item and ends the
            /// stream.
            pub fn stream(self) -> BoxStream<'static, Result<OrganizationInvitation, Error>> {
                self.core.stream()
            }
        }
    };
    (@scope Instance) => { Scope::Instance };
    (@scope $scope:ident $id:ident) => { Scope::$scope($id) };
    (@setter status) => {
        /// Only invitations with this status.
        pub fn status(mut self, status: impl Into<InvitationStatus>) -> Self {
            self.core.status = Some(status.into());
            self
        }
    };
    (@setter email_address) => {
        /// Only invitations to this email address.
        pub fn email_address(mut self, email_address: impl Into<String>) -> Self {
            self.core.email_address = Some(email_address.into());
            self
        }
    };
    (@setter query) => {
        /// Only invitations whose email address contains this text.
        pub fn query(mut self, query: impl Into<String>) -> Self {
            self.core.query = Some(query.into());
            self
        }
    };
    (@setter order_by) => {
        /// Sort order: `created_at` or `email_address`, prefixed with `+` (ascending) or `-`
        /// (descending); Clerk's default is `-created_at`.
        pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
            self.core.order_by = Some(order_by.into());
            self
        }
    };
}

list_builder! {
    /// Lists an organization's invitations; see [`Invitations::list`](super::Invitations::list).
    ListInvitations, Organization(organization_id), [status, email_address, order_by]
}

list_builder! {
    /// Lists pending invitations via the deprecated route; see
    /// [`Invitations::list_pending`](super::Invitations::list_pending). Clerk's route takes
    /// `limit` and `offset` only.
    ListPendingInvitations, OrganizationPending(organization_id), []
}

list_builder! {
    /// Lists the instance's invitations, each with `public_organization_data`; see
    /// [`InstanceInvitations::list`](super::InstanceInvitations::list).
    ListInstanceInvitations, Instance(), [status, query, order_by]
}

list_builder! {
    /// Lists a user's invitations, each with `public_organization_data`; see
    /// [`UserInvitations::list`](super::UserInvitations::list). Clerk's route takes `status`,
    /// `limit` and `offset` only.
    ListUserInvitations, User(user_id), [status]
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
