//! The roles feature: the instance's organization roles ([`OrganizationRoles`]): list them with
//! their permissions, one page or a stream ([`ListRoles`]), and check that a role exists
//! ([`CheckRole`]) from the list the client caches.
//!
//! The cache and the check live below the feature folders (`policy::RoleCache`,
//! `lookup::roles`), because invitations and memberships run the same check before they send a
//! role; this folder only exposes them.
//!
//! This layer may import everything below it and never another feature folder or `client`.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use futures::stream::BoxStream;

use crate::error::{Error, ValidationError};
use crate::http::Handle;
use crate::lookup::paging::{PagedList, Query, paging_setters, stream_all};
use crate::lookup::roles::{self, RoleLookup};
use crate::models::{OrganizationRole, Page, Role};
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// The instance's organization roles; see
/// [`Client::organization_roles`](crate::Client::organization_roles).
#[derive(Debug, Clone)]
pub struct OrganizationRoles {
    handle: Arc<Handle>,
}

impl OrganizationRoles {
    pub(crate) fn new(handle: Arc<Handle>) -> Self {
        Self { handle }
    }

    /// Lists the roles, with their permissions: one page with `send()`, all with `stream()`.
    /// Always asks Clerk (the cache serves [`check`](Self::check) only).
    pub fn list(&self) -> ListRoles {
        ListRoles {
            handle: self.handle.clone(),
            query: None,
            order_by: None,
            limit: None,
            offset: None,
            options: RequestOptions::default(),
        }
    }

    /// Checks that `role` is one of the instance's roles, from the client's cached list (see
    /// [`crate::DEFAULT_ROLE_CACHE_TTL`]); the same check writes run before sending when it is
    /// on ([`ClientBuilder::check_roles`](crate::ClientBuilder::check_roles)).
    pub fn check(&self, role: impl Into<Role>) -> CheckRole {
        CheckRole {
            handle: self.handle.clone(),
            role: role.into(),
            options: RequestOptions::default(),
        }
    }
}

/// Lists the instance's roles; see [`OrganizationRoles::list`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await` or the stream is polled"]
pub struct ListRoles {
    handle: Arc<Handle>,
    query: Option<String>,
    order_by: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    options: RequestOptions,
}

impl ListRoles {
    request_option_setters!();

    /// Only roles whose id is this text, or whose name or key contains it.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// Sort order: `created_at`, `name` or `key`, prefixed with `+` (ascending, also without a
    /// prefix) or `-` (descending); Clerk's default is `-created_at`.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }

    paging_setters!();

    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(query) = &self.query {
            validate::text("query", query)?;
        }
        validate::list_options(self.order_by.as_deref(), self.limit)
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<Page<OrganizationRole>, Error> {
        self.validate()?;
        let mut query = Query::default();
        query.push_opt("query", self.query.as_deref());
        query.push_opt("order_by", self.order_by.as_deref());
        query.push_opt("limit", self.limit.map(|limit| limit.to_string()));
        query.push_opt("offset", self.offset.map(|offset| offset.to_string()));
        roles::fetch_page(&self.handle, &mut query, &self.options).await
    }

    /// Every matching role from `offset` on, fetched lazily page by page. A validation failure
    /// or any request's error is yielded as an item and ends the stream.
    pub fn stream(self) -> BoxStream<'static, Result<OrganizationRole, Error>> {
        stream_all(self)
    }
}

impl PagedList for ListRoles {
    type Item = OrganizationRole;

    fn operation(&self) -> Operation {
        Operation::ListRoles
    }

    fn window(&mut self) -> (&mut Option<u64>, &mut Option<u64>) {
        (&mut self.offset, &mut self.limit)
    }

    fn fetch_page(self) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send + 'static {
        self.send()
    }
}

/// Checks that a role exists; see [`OrganizationRoles::check`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct CheckRole {
    handle: Arc<Handle>,
    role: Role,
    options: RequestOptions,
}

impl CheckRole {
    request_option_setters!();

    /// The role, if it is one of the instance's. One that is not is [`Error::InvalidRequest`]
    /// naming the roles there are ([`Error::is_role_not_found`]). Unlike the check before a
    /// write, a failure to fetch the roles is this call's error.
    pub async fn send(self) -> Result<OrganizationRole, Error> {
        validate::key("role", self.role.as_str())?;
        match roles::find_role(&self.handle, self.role.as_str(), &self.options).await? {
            RoleLookup::Found(role) => Ok(role),
            RoleLookup::Missing(known) => Err(roles::unknown_role(Cow::Borrowed("role"), &known)),
        }
    }
}
