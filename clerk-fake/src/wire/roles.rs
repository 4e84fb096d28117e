//! Roles on the wire: the spec's `Role` (with full `Permission` objects) and `Roles` lists.

use serde::Serialize;

use super::{ListBody, to_bytes};
use crate::state::{Store, StoredRole};

#[derive(Serialize)]
struct RoleBody<'a> {
    object: &'static str,
    id: &'a str,
    name: &'a str,
    key: &'a str,
    description: Option<&'a str>,
    is_creator_eligible: bool,
    permissions: Vec<PermissionBody<'a>>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Serialize)]
struct PermissionBody<'a> {
    object: &'static str,
    id: &'a str,
    name: &'a str,
    key: &'a str,
    description: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    created_at: i64,
    updated_at: i64,
}

fn body<'a>(store: &'a Store, role: &'a StoredRole) -> RoleBody<'a> {
    let permissions = role
        .permissions
        .iter()
        .filter_map(|key| store.permission(key))
        .map(|p| PermissionBody {
            object: "permission",
            id: &p.id,
            name: &p.name,
            key: &p.key,
            description: &p.description,
            kind: if p.system { "system" } else { "user" },
            created_at: p.created_at,
            updated_at: p.updated_at,
        })
        .collect();
    RoleBody {
        object: "role",
        id: &role.id,
        name: &role.name,
        key: &role.key,
        description: role.description.as_deref(),
        is_creator_eligible: store.is_creator_eligible(&role.key),
        permissions,
        created_at: role.created_at,
        updated_at: role.updated_at,
    }
}

/// One role as JSON bytes.
pub(crate) fn role(store: &Store, role: &StoredRole) -> Vec<u8> {
    to_bytes(&body(store, role))
}

/// A `{data, total_count}` page as JSON bytes.
pub(crate) fn roles(store: &Store, roles: &[&StoredRole], total_count: usize) -> Vec<u8> {
    let data = roles.iter().map(|role| body(store, role)).collect();
    to_bytes(&ListBody { data, total_count })
}
