//! The instance's organization roles and permissions: Clerk's system permissions and default
//! roles, custom ones seeded from Rust or created over HTTP, and the role list.

use super::{ADMIN_ROLE, MEMBER_ROLE, SeedError, Store, paginate};
use crate::errors::ApiError;

/// Clerk's system permissions: key, name, description. The keys and names are Clerk's
/// (Roles and Permissions guide); the descriptions are the fake's.
const SYSTEM_PERMISSIONS: [(&str, &str, &str); 9] = [
    (
        "org:sys_profile:manage",
        "Manage organization",
        "Permission to manage an organization.",
    ),
    (
        "org:sys_profile:delete",
        "Delete organization",
        "Permission to delete an organization.",
    ),
    (
        "org:sys_memberships:read",
        "Read members",
        "Permission to read the members of an organization.",
    ),
    (
        "org:sys_memberships:manage",
        "Manage members",
        "Permission to manage the members of an organization.",
    ),
    (
        "org:sys_domains:read",
        "Read domains",
        "Permission to read the domains of an organization.",
    ),
    (
        "org:sys_domains:manage",
        "Manage domains",
        "Permission to manage the domains of an organization.",
    ),
    (
        "org:sys_billing:read",
        "Read billing",
        "Permission to read the billing of an organization.",
    ),
    (
        "org:sys_billing:manage",
        "Manage billing",
        "Permission to manage the billing of an organization.",
    ),
    (
        "org:sys_entconns:manage",
        "Manage enterprise connections",
        "Permission to manage the self-serve SSO connections of an organization.",
    ),
];

/// What `org:member` holds by default (Clerk: "Read members" and "Read billing").
const MEMBER_PERMISSIONS: [&str; 2] = ["org:sys_memberships:read", "org:sys_billing:read"];

/// What Clerk requires of the creator role, and so what at least one member of an organization
/// keeps (the fake's reading of `organization_minimum_permissions_needed`).
const CREATOR_MINIMUM_PERMISSIONS: [&str; 3] = [
    "org:sys_memberships:manage",
    "org:sys_memberships:read",
    "org:sys_profile:delete",
];

/// Custom roles an instance may have besides the two defaults (Clerk: "up to 10").
const MAX_CUSTOM_ROLES: usize = 10;

/// A custom organization role to seed ([`FakeClerk::seed_role`](crate::FakeClerk::seed_role)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Its key, `org:<name>`, e.g. `org:billing`.
    pub key: String,
    /// Its display name, e.g. `Billing`.
    pub name: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// The keys of its permissions (system ones such as `org:sys_billing:manage`, or custom
    /// ones seeded with [`FakeClerk::add_permission`](crate::FakeClerk::add_permission)).
    pub permissions: Vec<String>,
}

impl Role {
    /// A role without a description or permissions.
    pub fn new(key: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name: name.into(),
            description: None,
            permissions: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the permissions, by key.
    pub fn with_permissions<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = keys.into_iter().map(Into::into).collect();
        self
    }
}

/// A custom permission to seed, e.g. `org:invoices:create`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// Its key, `org:<feature>:<action>`.
    pub key: String,
    /// Its display name.
    pub name: String,
    /// Its description.
    pub description: String,
}

impl Permission {
    /// A permission with an empty description.
    pub fn new(key: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name: name.into(),
            description: String::new(),
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

/// A role as the fake stores it (and [`FakeClerk::roles`](crate::FakeClerk::roles) reads back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRole {
    /// `role_...`.
    pub id: String,
    /// `org:...`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Permission keys.
    pub permissions: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// A permission as the fake stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPermission {
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) description: String,
    /// Clerk's `type`: `system` or `user`.
    pub(crate) system: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// What the role list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleSort {
    CreatedAt,
    Name,
    Key,
}

/// A validated role list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleQuery {
    /// Exact id, or part of the name or key (case-insensitive).
    pub(crate) query: Option<String>,
    pub(crate) sort: RoleSort,
    pub(crate) descending: bool,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

/// A validated `POST /organization_roles` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewRole {
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// Permission ids, as the API takes them.
    pub(crate) permission_ids: Vec<String>,
}

/// Clerk's rule for role keys: `org:` then lowercase letters, digits and underscores.
pub(crate) fn is_valid_role_key(key: &str) -> bool {
    key.strip_prefix("org:").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

impl Store {
    pub(super) fn seed_system_roles(&mut self, now_ms: i64) {
        for (key, name, description) in SYSTEM_PERMISSIONS {
            let id = self.role_ids.next_id("perm");
            self.permissions.insert(
                key.to_owned(),
                StoredPermission {
                    id,
                    key: key.to_owned(),
                    name: name.to_owned(),
                    description: description.to_owned(),
                    system: true,
                    created_at: now_ms,
                    updated_at: now_ms,
                },
            );
        }
        let all: Vec<&str> = SYSTEM_PERMISSIONS.iter().map(|(key, _, _)| *key).collect();
        self.put_role(
            Role::new(ADMIN_ROLE, "Admin")
                .with_description("Role with elevated permissions")
                .with_permissions(all),
            now_ms,
        );
        self.put_role(
            Role::new(MEMBER_ROLE, "Member")
                .with_description("Role with non-elevated permissions")
                .with_permissions(MEMBER_PERMISSIONS),
            now_ms,
        );
    }

    pub(crate) fn role(&self, key: &str) -> Option<&StoredRole> {
        self.roles.get(key)
    }

    pub(crate) fn role_by_id(&self, id: &str) -> Option<&StoredRole> {
        self.roles.values().find(|role| role.id == id)
    }

    /// A role's display name; an unknown key reads as itself.
    pub(crate) fn role_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.roles.get(key).map_or(key, |role| role.name.as_str())
    }

    /// A role's permission keys; none for an unknown role.
    pub(crate) fn role_permissions(&self, key: &str) -> &[String] {
        self.roles.get(key).map_or(&[], |role| &role.permissions)
    }

    pub(crate) fn role_has(&self, role: &str, permission: &str) -> bool {
        self.role_permissions(role).iter().any(|p| p == permission)
    }

    /// Whether a role may be an organization's creator role (holds the creator minimum).
    pub(crate) fn is_creator_eligible(&self, role: &str) -> bool {
        CREATOR_MINIMUM_PERMISSIONS
            .iter()
            .all(|permission| self.role_has(role, permission))
    }

    pub(crate) fn permission(&self, key: &str) -> Option<&StoredPermission> {
        self.permissions.get(key)
    }

    /// Every role, oldest first.
    pub(crate) fn roles(&self) -> Vec<StoredRole> {
        self.role_order
            .iter()
            .filter_map(|key| self.roles.get(key).cloned())
            .collect()
    }

    /// Adds a role without permissions, or renames an existing one.
    pub(crate) fn add_role(&mut self, key: String, name: String, now_ms: i64) {
        if let Some(role) = self.roles.get_mut(&key) {
            role.name = name;
            role.updated_at = now_ms;
            return;
        }
        self.put_role(Role::new(key, name), now_ms);
    }

    /// Adds or replaces a role (an existing one keeps its id and `created_at`); its permissions
    /// must exist. Returns its id.
    pub(crate) fn seed_role(&mut self, role: Role, now_ms: i64) -> Result<String, SeedError> {
        if let Some(unknown) = role
            .permissions
            .iter()
            .find(|key| !self.permissions.contains_key(*key))
        {
            return Err(SeedError::UnknownPermission(unknown.clone()));
        }
        Ok(self.put_role(role, now_ms))
    }

    fn put_role(&mut self, role: Role, now_ms: i64) -> String {
        let mut permissions = role.permissions;
        permissions.dedup();
        if let Some(stored) = self.roles.get_mut(&role.key) {
            stored.name = role.name;
            stored.description = role.description;
            stored.permissions = permissions;
            stored.updated_at = now_ms;
            return stored.id.clone();
        }
        let id = self.role_ids.next_id("role");
        self.role_order.push(role.key.clone());
        self.roles.insert(
            role.key.clone(),
            StoredRole {
                id: id.clone(),
                key: role.key,
                name: role.name,
                description: role.description,
                permissions,
                created_at: now_ms,
                updated_at: now_ms,
            },
        );
        id
    }

    /// Adds or replaces a custom permission; returns its id.
    pub(crate) fn add_permission(&mut self, permission: Permission, now_ms: i64) -> String {
        if let Some(stored) = self.permissions.get_mut(&permission.key) {
            stored.name = permission.name;
            stored.description = permission.description;
            stored.updated_at = now_ms;
            return stored.id.clone();
        }
        let id = self.role_ids.next_id("perm");
        self.permissions.insert(
            permission.key.clone(),
            StoredPermission {
                id: id.clone(),
                key: permission.key,
                name: permission.name,
                description: permission.description,
                system: false,
                created_at: now_ms,
                updated_at: now_ms,
            },
        );
        id
    }

    /// `POST /organization_roles`: permissions exist (404), the key is free (422), the custom
    /// role quota (403).
    pub(crate) fn create_role(
        &mut self,
        new: NewRole,
        now_ms: i64,
    ) -> Result<StoredRole, ApiError> {
        let mut permissions = Vec::with_capacity(new.permission_ids.len());
        for id in &new.permission_ids {
            let permission = self
                .permissions
                .values()
                .find(|p| &p.id == id)
                .ok_or_else(ApiError::permission_not_found)?;
            permissions.push(permission.key.clone());
        }
        if self.roles.contains_key(&new.key) {
            return Err(ApiError::already_exists("key"));
        }
        let custom = self
            .roles
            .keys()
            .filter(|key| *key != ADMIN_ROLE && *key != MEMBER_ROLE)
            .count();
        if custom >= MAX_CUSTOM_ROLES {
            return Err(ApiError::roles_quota_exceeded(MAX_CUSTOM_ROLES));
        }
        let mut role = Role::new(new.key.clone(), new.name).with_permissions(permissions);
        role.description = new.description;
        self.put_role(role, now_ms);
        self.roles
            .get(&new.key)
            .cloned()
            .ok_or_else(ApiError::internal_error)
    }

    /// The requested page and the total number of matches.
    pub(crate) fn list_roles(&self, query: &RoleQuery) -> (Vec<&StoredRole>, usize) {
        let exact = query.query.as_deref();
        let wanted = exact.map(str::to_lowercase);
        let mut matches: Vec<(usize, &StoredRole)> = self
            .role_order
            .iter()
            .filter_map(|key| self.roles.get(key))
            .enumerate()
            .filter(|(_, role)| {
                wanted.as_ref().is_none_or(|q| {
                    Some(role.id.as_str()) == exact
                        || role.name.to_lowercase().contains(q.as_str())
                        || role.key.to_lowercase().contains(q.as_str())
                })
            })
            .collect();
        match query.sort {
            RoleSort::CreatedAt => matches.sort_by_key(|(seq, role)| (role.created_at, *seq)),
            RoleSort::Name => matches.sort_by_key(|(seq, role)| (role.name.to_lowercase(), *seq)),
            RoleSort::Key => matches.sort_by_key(|(seq, role)| (role.key.clone(), *seq)),
        }
        let (page, total) = paginate(matches, query.descending, query.offset, query.limit);
        (page.into_iter().map(|(_, role)| role).collect(), total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_keys_follow_clerk_s_rule() {
        for good in ["org:billing", "org:a_1", "org:x"] {
            assert!(is_valid_role_key(good), "{good}");
        }
        for bad in [
            "billing",
            "org:",
            "org:Billing",
            "org:a-b",
            "org:a b",
            "orgs:x",
        ] {
            assert!(!is_valid_role_key(bad), "{bad}");
        }
    }

    #[test]
    fn default_roles_hold_clerk_s_default_permissions() {
        let store = Store::new(0);
        let admin = store.role(ADMIN_ROLE).unwrap();
        assert_eq!(admin.permissions.len(), SYSTEM_PERMISSIONS.len());
        assert!(store.is_creator_eligible(ADMIN_ROLE));
        assert_eq!(
            store.role(MEMBER_ROLE).unwrap().permissions,
            MEMBER_PERMISSIONS
        );
        assert!(!store.is_creator_eligible(MEMBER_ROLE));
    }
}
