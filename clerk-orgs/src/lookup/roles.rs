//! The instance's organization roles: one page of them ([`fetch_page`], behind
//! `OrganizationRoles::list`), and the opt-in role check that writes naming a role run before
//! anything is sent ([`check_before_sending`]), from the list cached on the shared core (see
//! `policy::RoleCache` for how long a list is trusted).
//!
//! The check answers from Clerk's own list of roles, so it is never stricter than Clerk: a role
//! it refuses is one Clerk's `GET /v1/organization_roles` did not list. It only says that a role
//! exists in the instance; an organization with a role set may still refuse a role outside its
//! set, and then Clerk's answer says so.

use std::borrow::Cow;
use std::sync::Arc;

use clerk_bapi_sys::{routes, types};
use futures::TryStreamExt;

use super::paging::{DEFAULT_STREAM_PAGE, Query, paginate};
use crate::error::{Error, ValidationError};
use crate::http::{Call, Handle};
use crate::models::{OrganizationRole, Page};
use crate::operation::Operation;
use crate::policy::{CachedRoles, MISS_REFRESH_AFTER, RequestOptions};

/// At most this many role keys are named in a refusal; the rest are counted.
const NAMED_IN_A_REFUSAL: usize = 20;

/// One page of the instance's roles, with the query pairs given.
pub(crate) async fn fetch_page(
    handle: &Handle,
    query: &mut Query,
    options: &RequestOptions,
) -> Result<Page<OrganizationRole>, Error> {
    let pairs = query.pairs();
    let raw: types::Roles = handle
        .execute_with(Operation::ListRoles, options, |t| {
            t.send(Call {
                query: &pairs,
                ..Call::new(&routes::LIST_ORGANIZATION_ROLES, &[])
            })
        })
        .await?;
    Ok(Page::new(
        raw.data
            .into_iter()
            .map(OrganizationRole::from_raw)
            .collect(),
        raw.total_count,
    ))
}

/// Every role of the instance, page by page.
async fn fetch_all(
    handle: &Arc<Handle>,
    options: &RequestOptions,
) -> Result<Vec<OrganizationRole>, Error> {
    let handle = handle.clone();
    let options = options.clone();
    paginate(
        0,
        DEFAULT_STREAM_PAGE,
        Operation::ListRoles,
        move |offset, limit| {
            let handle = handle.clone();
            let options = options.clone();
            async move {
                let mut query = Query::default();
                query.push("limit", limit.to_string());
                query.push("offset", offset.to_string());
                fetch_page(&handle, &mut query, &options).await
            }
        },
    )
    .try_collect()
    .await
}

/// What the instance's roles say about one role key.
#[derive(Debug)]
pub(crate) enum RoleLookup {
    /// It is one of them.
    Found(OrganizationRole),
    /// It is not; these are the ones there are.
    Missing(CachedRoles),
}

/// Looks `key` up among the instance's roles: from the cached list while it is fresh, else (or
/// when the key is missing from a list older than [`MISS_REFRESH_AFTER`]) from a list fetched
/// now, one fetch at a time for all callers.
pub(crate) async fn find_role(
    handle: &Arc<Handle>,
    key: &str,
    options: &RequestOptions,
) -> Result<RoleLookup, Error> {
    let cache = handle.role_cache();
    let asked_at = handle.clock().now();
    if let Some(cached) = cache.fresh(asked_at) {
        if let Some(role) = cached.find(key) {
            return Ok(RoleLookup::Found(role.clone()));
        }
        if asked_at.saturating_sub(cached.fetched_at) < MISS_REFRESH_AFTER {
            return Ok(RoleLookup::Missing(cached));
        }
    }
    let _fetching = cache.refreshing().await;
    // Someone may have fetched the list while this call waited: theirs is as new as needed.
    let cached = match cache.fetched_since(asked_at) {
        Some(cached) => cached,
        None => {
            let started = handle.clock().now();
            let roles = fetch_all(handle, options).await?;
            cache.store(started, roles)
        }
    };
    Ok(match cached.find(key) {
        Some(role) => RoleLookup::Found(role.clone()),
        None => RoleLookup::Missing(cached),
    })
}

/// The refusal of `field`'s role, naming the roles there are.
pub(crate) fn unknown_role(field: impl Into<Cow<'static, str>>, known: &CachedRoles) -> Error {
    let mut keys: Vec<&str> = known.roles.iter().map(|role| role.key.as_str()).collect();
    keys.sort_unstable();
    let mut named = keys
        .iter()
        .take(NAMED_IN_A_REFUSAL)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > NAMED_IN_A_REFUSAL {
        named.push_str(&format!(" and {} more", keys.len() - NAMED_IN_A_REFUSAL));
    }
    if keys.is_empty() {
        named.push_str("none");
    }
    ValidationError::unknown_role(
        field,
        format!("is not one of this instance's organization roles ({named})"),
    )
    .into()
}

/// Whether a write checks its roles before sending: the request's own choice (`asked`), else
/// the client's (`ClientBuilder::check_roles`).
pub(crate) fn wanted(handle: &Handle, asked: Option<bool>) -> bool {
    asked.unwrap_or_else(|| handle.role_cache().checks_by_default())
}

/// The role check of a write naming one role (in its `role` field), when [`wanted`]; boxed, so
/// a write without the check carries none of its future.
pub(crate) async fn check_role_of_write(
    handle: &Arc<Handle>,
    asked: Option<bool>,
    role: &str,
    options: &RequestOptions,
) -> Result<(), Error> {
    if !wanted(handle, asked) {
        return Ok(());
    }
    let roles = [(Cow::Borrowed("role"), role)];
    Box::pin(check_before_sending(handle, &roles, options)).await
}

/// The `check_role` setter of every write that names a role; it writes to the builder's
/// `check_role: Option<bool>` field.
macro_rules! check_role_setter {
    () => {
        /// Whether to check, before sending, that the role is one of the instance's roles (from
        /// the client's cached list; see [`OrganizationRoles::check`](crate::OrganizationRoles::check)),
        /// instead of the client's choice ([`ClientBuilder::check_roles`](crate::ClientBuilder::check_roles)).
        pub fn check_role(mut self, check: bool) -> Self {
            self.check_role = Some(check);
            self
        }
    };
}
pub(crate) use check_role_setter;

/// The opt-in role check of a write (when [`wanted`]), before anything is sent: each
/// `(field, role)` must be one of the instance's roles, or the call fails with
/// [`Error::InvalidRequest`] naming the field and the roles there are. Callers box this future
/// behind `wanted`, so a write without the check carries none of it.
///
/// If the roles cannot be fetched, the check is skipped (a `warn` event) and the request goes
/// out: Clerk stays the judge of the role, and the call's outcome is its own, never the
/// failure of a lookup it did not need.
pub(crate) async fn check_before_sending(
    handle: &Arc<Handle>,
    roles: &[(Cow<'static, str>, &str)],
    options: &RequestOptions,
) -> Result<(), Error> {
    for (field, role) in roles {
        match find_role(handle, role, options).await {
            Ok(RoleLookup::Found(_)) => {}
            Ok(RoleLookup::Missing(known)) => return Err(unknown_role(field.clone(), &known)),
            Err(error) => {
                tracing::warn!(
                    status = error.status().map(|status| status.as_u16()),
                    "the role check could not fetch the instance's roles; sending unchecked"
                );
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(keys: &[String]) -> CachedRoles {
        let roles: Vec<OrganizationRole> = keys
            .iter()
            .map(|key| OrganizationRole::named(key))
            .collect();
        CachedRoles {
            fetched_at: std::time::Duration::ZERO,
            roles: roles.into(),
        }
    }

    fn rule(error: &Error) -> &str {
        error.validation().unwrap().rule()
    }

    #[test]
    fn a_refusal_names_the_roles_sorted_and_counts_past_twenty() {
        let few = ["org:member", "org:admin"].map(String::from);
        let error = unknown_role("invitations[2].role", &cached(&few));
        assert_eq!(error.validation().unwrap().field(), "invitations[2].role");
        assert_eq!(
            rule(&error),
            "is not one of this instance's organization roles (org:admin, org:member)"
        );
        assert!(error.is_role_not_found());

        let many: Vec<String> = (0..23).map(|n| format!("org:r{n:02}")).collect();
        let error = unknown_role("role", &cached(&many));
        assert!(
            rule(&error).ends_with("org:r19 and 3 more)"),
            "{}",
            rule(&error)
        );
        assert!(!rule(&error).contains("org:r20"));

        let error = unknown_role("role", &cached(&[]));
        assert!(rule(&error).ends_with("(none)"), "{}", rule(&error));
    }
}
