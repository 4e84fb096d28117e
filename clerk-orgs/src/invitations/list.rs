//! Every list of invitations on one core: [`ListInvitations`] (one organization),
//! [`ListPendingInvitations`] (its deprecated pending route), [`ListInstanceInvitations`] (the
//! whole instance) and [`ListUserInvitations`] (one user).
//!
//! Each public builder exposes only the filters its route takes; the core holds them all, checks
//! them, fetches one page (`send()`) or streams every page lazily (`stream()`, through the
//! crate's list core, `lookup::paging`), offset-based.

use std::future::Future;
use std::sync::Arc;

use clerk_bapi_sys::{routes, types};
use futures::stream::BoxStream;

use crate::error::{Error, ValidationError};
use crate::http::{Call, Handle};
use crate::lookup::paging::{PagedList, paging_setters, stream_all};
use crate::models::{InvitationStatus, OrganizationInvitation, Page};
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

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

/// Fetches one page of `$route` (with path arguments `$args`) under `$operation`, sending every
/// filter of `$core` that is set; the answer's items become typed invitations with `$typed`.
/// A builder only has setters for the filters its route takes (checked against the spec's
/// route in the tests), so every filter set here is one the route takes.
macro_rules! fetch_page {
    ($core:ident, $operation:ident, $route:ident, $args:expr, $raw:ty, $typed:expr $(,)?) => {{
        let limit = $core.limit.map(|limit| limit.to_string());
        let offset = $core.offset.map(|offset| offset.to_string());
        // In name order, as the generated bindings sent them.
        let filters = [
            ("email_address", $core.email_address.as_deref()),
            ("limit", limit.as_deref()),
            ("offset", offset.as_deref()),
            ("order_by", $core.order_by.as_deref()),
            ("query", $core.query.as_deref()),
            (
                "status",
                $core.status.as_ref().map(InvitationStatus::as_str),
            ),
        ];
        let query: Vec<(&'static str, &str)> = filters
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect();
        let args: &[&str] = $args;
        let raw: $raw = $core
            .handle
            .execute_with(Operation::$operation, &$core.options, |t| {
                t.send(Call {
                    query: &query,
                    ..Call::new(&routes::$route, args)
                })
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
        validate::list_options(self.order_by.as_deref(), self.limit)
    }

    /// Validates and fetches one page from the scope's route.
    async fn send(self) -> Result<Page<OrganizationInvitation>, Error> {
        self.validate()?;
        match &self.scope {
            Scope::Organization(id) => fetch_page!(
                self,
                ListInvitations,
                LIST_ORGANIZATION_INVITATIONS,
                &[id],
                types::OrganizationInvitations,
                OrganizationInvitation::from_raw,
            ),
            Scope::OrganizationPending(id) => fetch_page!(
                self,
                ListPendingInvitations,
                LIST_PENDING_ORGANIZATION_INVITATIONS,
                &[id],
                types::OrganizationInvitations,
                OrganizationInvitation::from_raw,
            ),
            Scope::Instance => fetch_page!(
                self,
                ListInstanceInvitations,
                LIST_INSTANCE_ORGANIZATION_INVITATIONS,
                &[],
                types::OrganizationInvitationsWithPublicOrganizationData,
                OrganizationInvitation::from_raw_with_organization,
            ),
            // Clerk files this route under the `Users` tag, whose operations this crate does not
            // compile (it would pull in the whole users API); its route is generated all the same.
            Scope::User(id) => fetch_page!(
                self,
                ListUserInvitations,
                USERS_GET_ORGANIZATION_INVITATIONS,
                &[id],
                types::OrganizationInvitationsWithPublicOrganizationData,
                OrganizationInvitation::from_raw_with_organization,
            ),
        }
    }
}

impl PagedList for ListCore {
    type Item = OrganizationInvitation;

    fn operation(&self) -> Operation {
        match self.scope {
            Scope::Organization(_) => Operation::ListInvitations,
            Scope::OrganizationPending(_) => Operation::ListPendingInvitations,
            Scope::Instance => Operation::ListInstanceInvitations,
            Scope::User(_) => Operation::ListUserInvitations,
        }
    }

    fn window(&mut self) -> (&mut Option<u64>, &mut Option<u64>) {
        (&mut self.offset, &mut self.limit)
    }

    fn fetch_page(self) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send + 'static {
        self.send()
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
            paging_setters!(core);

            /// Fetches one page.
            pub async fn send(self) -> Result<Page<OrganizationInvitation>, Error> {
                self.core.send().await
            }

            /// Every matching invitation from `offset` on, fetched lazily page by page. A
            /// validation failure or any request's error is yielded as an item and ends the
            /// stream.
            pub fn stream(self) -> BoxStream<'static, Result<OrganizationInvitation, Error>> {
                stream_all(self.core)
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
