//! The role check's cache: when the instance's organization roles, fetched once, are still
//! trusted to say which role keys exist.
//!
//! The check itself (fetching the roles, refusing an unknown one) is in `lookup::roles`; this
//! file holds only the client's configuration and the cached list, on the client's clock, so
//! every clone of a client shares one list.
//!
//! The rules, also in the [reliability guide](crate::reliability):
//! - the list is fetched on first use and trusted for [`DEFAULT_ROLE_CACHE_TTL`] (or the
//!   client's `role_cache_ttl`);
//! - a role missing from a list older than [`MISS_REFRESH_AFTER`] makes the list be fetched
//!   again first, so a role created in the dashboard a moment ago is found, and a run of rows
//!   naming a role that does not exist costs at most one fetch per [`MISS_REFRESH_AFTER`];
//! - one fetch at a time: callers that find the list stale while it is being fetched wait for
//!   that fetch instead of sending their own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::models::OrganizationRole;

/// How long a fetched list of the instance's roles is trusted (five minutes), unless the
/// client's `role_cache_ttl` says otherwise. Roles change when someone edits them in Clerk's
/// dashboard or through its API, which is rare; a role missing from the list is looked up
/// again sooner (after [`MISS_REFRESH_AFTER`]).
pub const DEFAULT_ROLE_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

/// A role missing from a list at least this old (ten seconds) is checked against a freshly
/// fetched list before it is refused.
pub const MISS_REFRESH_AFTER: Duration = Duration::from_secs(10);

/// One fetched list.
#[derive(Debug, Clone)]
pub(crate) struct CachedRoles {
    /// The client's clock when the fetch that produced it began.
    pub(crate) fetched_at: Duration,
    pub(crate) roles: Arc<[OrganizationRole]>,
}

impl CachedRoles {
    /// The role with this key.
    pub(crate) fn find(&self, key: &str) -> Option<&OrganizationRole> {
        self.roles.iter().find(|role| role.key.as_str() == key)
    }
}

/// The role check's configuration and its cached list; one per client, shared by its clones.
#[derive(Debug)]
pub(crate) struct RoleCache {
    check_by_default: bool,
    ttl: Duration,
    cached: Mutex<Option<CachedRoles>>,
    /// Held while a list is fetched, so concurrent callers wait for one fetch.
    refresh: tokio::sync::Mutex<()>,
}

impl RoleCache {
    pub(crate) fn new(check_by_default: bool, ttl: Duration) -> Self {
        Self {
            check_by_default,
            ttl,
            cached: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether writes naming a role check it unless a request says otherwise.
    pub(crate) fn checks_by_default(&self) -> bool {
        self.check_by_default
    }

    /// The cached list, if it is younger than the TTL at `now`.
    pub(crate) fn fresh(&self, now: Duration) -> Option<CachedRoles> {
        self.lock()
            .as_ref()
            .filter(|cached| now.saturating_sub(cached.fetched_at) < self.ttl)
            .cloned()
    }

    /// The cached list whatever its age, if its fetch began at `since` or later.
    pub(crate) fn fetched_since(&self, since: Duration) -> Option<CachedRoles> {
        self.lock()
            .as_ref()
            .filter(|cached| cached.fetched_at >= since)
            .cloned()
    }

    /// Keeps `roles`, fetched by a fetch that began at `fetched_at`, unless a newer list is
    /// already kept; returns the list kept.
    pub(crate) fn store(&self, fetched_at: Duration, roles: Vec<OrganizationRole>) -> CachedRoles {
        let mut cached = self.lock();
        if let Some(newer) = cached.as_ref().filter(|c| c.fetched_at > fetched_at) {
            return newer.clone();
        }
        let list = CachedRoles {
            fetched_at,
            roles: roles.into(),
        };
        *cached = Some(list.clone());
        list
    }

    /// Waits for any fetch under way, and holds off others until the guard is dropped.
    pub(crate) async fn refreshing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.refresh.lock().await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CachedRoles>> {
        // Only ever replaced whole, so a panic elsewhere cannot leave it half-written.
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Role;

    fn role(key: &str) -> OrganizationRole {
        serde_json::from_value(serde_json::json!({
            "id": format!("role_{key}"),
            "key": key,
            "name": key,
            "description": null,
            "is_creator_eligible": false,
            "permissions": [],
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn a_list_is_trusted_for_its_ttl_and_no_longer() {
        let cache = RoleCache::new(false, Duration::from_secs(60));
        assert!(cache.fresh(Duration::ZERO).is_none());
        cache.store(Duration::from_secs(5), vec![role("org:admin")]);
        let at = |secs| cache.fresh(Duration::from_secs(secs));
        assert!(at(5).unwrap().find("org:admin").is_some());
        assert!(at(5).unwrap().find("org:member").is_none());
        assert!(at(64).is_some());
        assert!(at(65).is_none());
        assert_eq!(
            cache.fetched_since(Duration::from_secs(5)).unwrap().roles[0].key,
            Role::ADMIN
        );
        assert!(cache.fetched_since(Duration::from_secs(6)).is_none());
    }

    #[test]
    fn an_older_fetch_never_replaces_a_newer_list() {
        let cache = RoleCache::new(true, DEFAULT_ROLE_CACHE_TTL);
        cache.store(Duration::from_secs(10), vec![role("org:billing")]);
        let kept = cache.store(Duration::from_secs(9), vec![]);
        assert!(kept.find("org:billing").is_some());
        assert!(cache.checks_by_default());
    }
}
