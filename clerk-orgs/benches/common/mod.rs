//! What the benchmarks share: one invitation as Clerk sends it, and the plain serde types a
//! hand-written client would use for the same request and response (the baselines).

#![allow(dead_code)] // Each bench uses a different part.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A create's answer, shaped as Clerk's `OrganizationInvitation` (every field the spec requires,
/// an inviter, metadata): 654 bytes.
pub const INVITATION_JSON: &str = r#"{"object":"organization_invitation","id":"orginv_2xPOwY9gDmCKxLqv3zR1bNe7hTf","email_address":"alice@example.com","role":"org:member","role_name":"Member","organization_id":"org_2xPOwXbT5kQ8mHn4ZcV0rJd6sAe","inviter_id":"user_2xPOwVhK3nL7qRt1YbM9cF5gWzD","public_inviter_data":{"user_id":"user_2xPOwVhK3nL7qRt1YbM9cF5gWzD","first_name":"Ada","last_name":"Admin","identifier":"admin@example.com","image_url":"https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9","has_image":false},"status":"pending","public_metadata":{"team":"core"},"private_metadata":{"plan":"pro"},"url":null,"expires_at":1769817600000,"created_at":1767225600000,"updated_at":1767225600000}"#;

pub const ORG: &str = "org_2xPOwXbT5kQ8mHn4ZcV0rJd6sAe";
pub const INVITER: &str = "user_2xPOwVhK3nL7qRt1YbM9cF5gWzD";
pub const EMAIL: &str = "alice@example.com";

/// The create body a hand-written client sends: the same JSON as clerk-orgs sends.
#[derive(Debug, Serialize)]
pub struct PlainCreateBody<'a> {
    pub email_address: &'a str,
    pub role: &'a str,
    pub inviter_user_id: &'a str,
    pub public_metadata: Value,
    pub expires_in_days: u32,
}

impl PlainCreateBody<'static> {
    pub fn example() -> Self {
        Self {
            email_address: EMAIL,
            role: "org:member",
            inviter_user_id: INVITER,
            public_metadata: serde_json::json!({"team": "core"}),
            expires_in_days: 7,
        }
    }
}

/// The invitation a hand-written client decodes: every field, plain types (Unix milliseconds
/// stay integers, statuses and roles stay strings).
#[derive(Debug, Deserialize)]
pub struct PlainInvitation {
    pub object: String,
    pub id: String,
    pub email_address: String,
    pub role: String,
    pub role_name: String,
    pub organization_id: Option<String>,
    pub inviter_id: Option<String>,
    pub public_inviter_data: Option<PlainInviter>,
    pub status: Option<String>,
    pub public_metadata: Map<String, Value>,
    #[serde(default)]
    pub private_metadata: Map<String, Value>,
    pub url: Option<String>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Deserialize)]
pub struct PlainInviter {
    pub user_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub identifier: String,
    pub image_url: String,
    pub has_image: bool,
}
