//! Listing memberships: [`ListMemberships`] (one organization, with every filter Clerk offers)
//! and [`ListInstanceMemberships`] (the whole instance), on one core that checks the filters,
//! fetches one page (`send()`) or streams every page lazily (`stream()`), offset-based.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clerk_bapi_sys::{ResponseValue, routes, types};
use futures::stream::BoxStream;

use crate::error::{Error, ValidationError};
use crate::http::{Call, Handle};
use crate::lookup::paging::{PagedList, Query, paging_setters, stream_all};
use crate::models::{OrganizationMembership, Page, Role};
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate::{self, MAX_FILTER_VALUES};

/// Whose memberships a list reads, and so which route it calls.
#[derive(Debug, Clone)]
enum Scope {
    /// `GET /v1/organizations/{organization_id}/memberships`
    Organization(Arc<str>),
    /// `GET /v1/organization_memberships`
    Instance,
}

/// A user id in the `user_id` filter: Clerk reads `-id` as "everyone but".
#[derive(Debug, Clone)]
struct UserFilter {
    exclude: bool,
    user_id: String,
}

/// Every filter either route takes, paging and the per-request options.
#[derive(Debug, Clone)]
struct ListCore {
    handle: Arc<Handle>,
    scope: Scope,
    user_ids: Vec<UserFilter>,
    email_addresses: Vec<String>,
    phone_numbers: Vec<String>,
    usernames: Vec<String>,
    web3_wallets: Vec<String>,
    roles: Vec<String>,
    query: Option<String>,
    email_address_query: Option<String>,
    phone_number_query: Option<String>,
    username_query: Option<String>,
    name_query: Option<String>,
    last_active_at_before: Option<i64>,
    last_active_at_after: Option<i64>,
    created_at_before: Option<i64>,
    created_at_after: Option<i64>,
    order_by: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    options: RequestOptions,
}

impl ListCore {
    fn new(handle: Arc<Handle>, scope: Scope) -> Self {
        Self {
            handle,
            scope,
            user_ids: Vec::new(),
            email_addresses: Vec::new(),
            phone_numbers: Vec::new(),
            usernames: Vec::new(),
            web3_wallets: Vec::new(),
            roles: Vec::new(),
            query: None,
            email_address_query: None,
            phone_number_query: None,
            username_query: None,
            name_query: None,
            last_active_at_before: None,
            last_active_at_after: None,
            created_at_before: None,
            created_at_after: None,
            order_by: None,
            limit: None,
            offset: None,
            options: RequestOptions::default(),
        }
    }

    /// Checks the organization id and every filter that is set.
    fn validate(&self) -> Result<(), ValidationError> {
        if let Scope::Organization(id) = &self.scope {
            validate::id("organization_id", id)?;
        }
        if self.user_ids.len() > MAX_FILTER_VALUES {
            return Err(ValidationError::new(
                "user_id",
                "must hold at most 100 values (Clerk's limit per filter)",
            ));
        }
        for filter in &self.user_ids {
            validate::filter_user_id(&filter.user_id)?;
        }
        validate::filter_values("email_address", &self.email_addresses)?;
        validate::filter_values("phone_number", &self.phone_numbers)?;
        validate::filter_values("username", &self.usernames)?;
        validate::filter_values("web3_wallet", &self.web3_wallets)?;
        validate::filter_values("role", &self.roles)?;
        for (field, text) in [
            ("query", &self.query),
            ("email_address_query", &self.email_address_query),
            ("phone_number_query", &self.phone_number_query),
            ("username_query", &self.username_query),
            ("name_query", &self.name_query),
        ] {
            if let Some(text) = text {
                validate::text(field, text)?;
            }
        }
        validate::list_options(self.order_by.as_deref(), self.limit)
    }

    /// The query pairs of every filter that is set.
    fn query(&self) -> Query {
        let mut query = Query::default();
        for filter in &self.user_ids {
            let sign = if filter.exclude { "-" } else { "" };
            query.push("user_id", format!("{sign}{}", filter.user_id));
        }
        query.push_all("email_address", &self.email_addresses);
        query.push_all("phone_number", &self.phone_numbers);
        query.push_all("username", &self.usernames);
        query.push_all("web3_wallet", &self.web3_wallets);
        query.push_all("role", &self.roles);
        query.push_opt("query", self.query.as_deref());
        query.push_opt("email_address_query", self.email_address_query.as_deref());
        query.push_opt("phone_number_query", self.phone_number_query.as_deref());
        query.push_opt("username_query", self.username_query.as_deref());
        query.push_opt("name_query", self.name_query.as_deref());
        let millis = |at: Option<i64>| at.map(|at| at.to_string());
        query.push_opt("last_active_at_before", millis(self.last_active_at_before));
        query.push_opt("last_active_at_after", millis(self.last_active_at_after));
        query.push_opt("created_at_before", millis(self.created_at_before));
        query.push_opt("created_at_after", millis(self.created_at_after));
        query.push_opt("order_by", self.order_by.as_deref());
        query.push_opt("limit", self.limit.map(|limit| limit.to_string()));
        query.push_opt("offset", self.offset.map(|offset| offset.to_string()));
        query
    }

    /// Validates and fetches one page from the scope's route.
    async fn send(self) -> Result<Page<OrganizationMembership>, Error> {
        self.validate()?;
        let organization_id = match &self.scope {
            Scope::Organization(id) => Some(&**id),
            Scope::Instance => None,
        };
        let raw = fetch(
            &self.handle,
            organization_id,
            &mut self.query(),
            &self.options,
        )
        .await?
        .into_inner();
        Ok(Page::new(
            raw.data
                .into_iter()
                .map(OrganizationMembership::from_raw)
                .collect(),
            raw.total_count,
        ))
    }
}

impl PagedList for ListCore {
    type Item = OrganizationMembership;

    fn operation(&self) -> Operation {
        match self.scope {
            Scope::Organization(_) => Operation::ListMemberships,
            Scope::Instance => Operation::ListInstanceMemberships,
        }
    }

    fn window(&mut self) -> (&mut Option<u64>, &mut Option<u64>) {
        (&mut self.offset, &mut self.limit)
    }

    fn fetch_page(self) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send + 'static {
        self.send()
    }
}

/// One page of an organization's memberships (or, without an organization, the instance's),
/// with the answer's headers (a lookup dates what it finds by Clerk's `Date`).
pub(super) async fn fetch(
    handle: &Handle,
    organization_id: Option<&str>,
    query: &mut Query,
    options: &RequestOptions,
) -> Result<ResponseValue<types::OrganizationMemberships>, Error> {
    let pairs = query.pairs();
    let answer = match organization_id {
        Some(id) => {
            let args = [id];
            handle
                .execute_raw(Operation::ListMemberships, options, |t| {
                    t.send(Call {
                        query: &pairs,
                        ..Call::new(&routes::LIST_ORGANIZATION_MEMBERSHIPS, &args)
                    })
                })
                .await?
        }
        None => {
            handle
                .execute_raw(Operation::ListInstanceMemberships, options, |t| {
                    t.send(Call {
                        query: &pairs,
                        ..Call::new(&routes::INSTANCE_GET_ORGANIZATION_MEMBERSHIPS, &[])
                    })
                })
                .await?
        }
    };
    Ok(answer)
}

/// The setters both list builders share: order, paging, `send`, `stream` and the request options.
macro_rules! common_list_setters {
    () => {
        request_option_setters!(core.options);

        /// Sort order: `created_at`, `email_address`, `first_name`, `last_name`, `phone_number`
        /// or `username`, prefixed with `+` (ascending) or `-` (descending); Clerk's default is
        /// `-created_at`.
        pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
            self.core.order_by = Some(order_by.into());
            self
        }

        paging_setters!(core);

        /// Fetches one page.
        pub async fn send(self) -> Result<Page<OrganizationMembership>, Error> {
            self.core.send().await
        }

        /// Every matching membership from `offset` on, fetched lazily page by page. A validation
        /// failure or any request's error is yielded as an item and ends the stream.
        pub fn stream(self) -> BoxStream<'static, Result<OrganizationMembership, Error>> {
            stream_all(self.core)
        }
    };
}

/// Lists an organization's memberships; see [`Memberships::list`](super::Memberships::list).
///
/// Every filter Clerk's `ListOrganizationMemberships` takes. Repeated filters (`user_id`,
/// `email_address`, `phone_number`, `username`, `web3_wallet`, `role`) take up to 100 values
/// each and match any of them; values Clerk does not find are ignored. Different filters all
/// apply.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await` or the stream is polled"]
pub struct ListMemberships {
    core: ListCore,
}

/// A setter adding one value, and one adding many, to a repeated filter.
macro_rules! repeated_filter {
    ($(#[$doc:meta])* $one:ident, $many:ident, $field:ident) => {
        $(#[$doc])*
        pub fn $one(mut self, value: impl Into<String>) -> Self {
            self.core.$field.push(value.into());
            self
        }

        /// Many values at once; see the setter for one.
        pub fn $many(mut self, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
            self.core.$field.extend(values.into_iter().map(Into::into));
            self
        }
    };
}

/// A setter of one of the case-insensitive partial-match filters.
macro_rules! text_filter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, text: impl Into<String>) -> Self {
            self.core.$name = Some(text.into());
            self
        }
    };
}

/// A setter of one of the millisecond timestamp filters.
macro_rules! time_filter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, at: DateTime<Utc>) -> Self {
            self.core.$name = Some(at.timestamp_millis());
            self
        }
    };
}

impl ListMemberships {
    pub(crate) fn new(handle: Arc<Handle>, organization_id: Arc<str>) -> Self {
        Self {
            core: ListCore::new(handle, Scope::Organization(organization_id)),
        }
    }

    common_list_setters!();

    /// Only these users' memberships (Clerk's `user_id`, up to 100 values with
    /// [`exclude_user_id`](Self::exclude_user_id)).
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.core.user_ids.push(UserFilter {
            exclude: false,
            user_id: user_id.into(),
        });
        self
    }

    /// Many users at once; see [`user_id`](Self::user_id).
    pub fn user_ids(mut self, user_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        for user_id in user_ids {
            self = self.user_id(user_id);
        }
        self
    }

    /// Leaves this user out (sent as `user_id=-<id>`, Clerk's "exclude" form).
    pub fn exclude_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.core.user_ids.push(UserFilter {
            exclude: true,
            user_id: user_id.into(),
        });
        self
    }

    repeated_filter!(
        /// Only members with this email address (up to 100).
        email_address, email_addresses, email_addresses
    );
    repeated_filter!(
        /// Only members with this phone number (up to 100).
        phone_number, phone_numbers, phone_numbers
    );
    repeated_filter!(
        /// Only members with this username (up to 100).
        username, usernames, usernames
    );
    repeated_filter!(
        /// Only members with this web3 wallet address (up to 100).
        web3_wallet, web3_wallets, web3_wallets
    );

    /// Only members with this role (up to 100 roles).
    pub fn role(mut self, role: impl Into<Role>) -> Self {
        self.core.roles.push(role.into().as_str().to_owned());
        self
    }

    /// Many roles at once; see [`role`](Self::role).
    pub fn roles(mut self, roles: impl IntoIterator<Item = impl Into<Role>>) -> Self {
        for role in roles {
            self = self.role(role);
        }
        self
    }

    text_filter!(
        /// Members matching this text anywhere Clerk looks: email addresses, phone numbers,
        /// usernames, web3 wallets, user ids, first and last names; partial matches count.
        query
    );
    text_filter!(
        /// Members with an email address containing this text, case-insensitively.
        email_address_query
    );
    text_filter!(
        /// Members with a phone number containing this text.
        phone_number_query
    );
    text_filter!(
        /// Members with a username containing this text, case-insensitively.
        username_query
    );
    text_filter!(
        /// Members whose name contains this text, case-insensitively.
        name_query
    );
    time_filter!(
        /// Members whose last session activity was before this moment (millisecond precision).
        last_active_at_before
    );
    time_filter!(
        /// Members whose last session activity was after this moment.
        last_active_at_after
    );
    time_filter!(
        /// Members created before this moment (Clerk's spec describes it as the user's creation
        /// date).
        created_at_before
    );
    time_filter!(
        /// Members created after this moment (as `created_at_before`).
        created_at_after
    );
}

/// Lists the instance's memberships, across organizations; see
/// [`InstanceMemberships::list`](super::InstanceMemberships::list).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await` or the stream is polled"]
pub struct ListInstanceMemberships {
    core: ListCore,
}

impl ListInstanceMemberships {
    pub(crate) fn new(handle: Arc<Handle>) -> Self {
        Self {
            core: ListCore::new(handle, Scope::Instance),
        }
    }

    common_list_setters!();
}
