//! How stored data looks on the wire, one file per resource: the spec's shapes, serialized
//! straight from borrowed structs rather than built as `serde_json::Value` trees (lists are the
//! hottest responses in a client benchmark, and the trees' allocations dominated their cost).

mod invitations;
mod memberships;
mod roles;
mod users;

use serde::Serialize;

pub(crate) use invitations::{Shape, invitation, invitations};
pub(crate) use memberships::{membership, memberships};
pub(crate) use roles::{role, roles};
pub(crate) use users::users;

/// Clerk's default avatar; the fake has no images, so every `has_image` is false.
const DEFAULT_IMAGE_URL: &str = "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9";

/// `{}`: the metadata the fake keeps no data for.
#[derive(Serialize)]
struct EmptyObject {}

/// A `{data, total_count}` page.
#[derive(Serialize)]
struct ListBody<T> {
    data: Vec<T>,
    total_count: usize,
}

fn to_bytes(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}
