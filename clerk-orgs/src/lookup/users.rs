//! The instance's users by email address (`GET /v1/users?email_address=...`): what roster
//! sync's opt-in "add existing users directly" needs to know, which users already hold an
//! address, by their verified addresses.
//!
//! Only the few fields read here are decoded, from a local shape rather than the generated
//! `types::User`: that type lives behind the bindings' `users` feature, which would compile the
//! whole users API (about 200 operations' types) into every build for one lookup. Every field
//! defaults, so a user Clerk sends with fields missing or added never fails the call.

use serde::Deserialize;

use super::paging::Query;
use crate::error::Error;
use crate::http::{Call, Handle};
use crate::operation::Operation;
use crate::policy::RequestOptions;
use crate::validate::MAX_FILTER_VALUES;

/// A user as the lookup reads it: its id and its email addresses with their verification.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct FoundUser {
    #[serde(default)]
    pub(crate) id: String,
    #[serde(default)]
    email_addresses: Vec<EmailAddress>,
}

#[derive(Debug, Clone, Deserialize)]
struct EmailAddress {
    #[serde(default)]
    email_address: String,
    #[serde(default)]
    verification: Option<Verification>,
}

#[derive(Debug, Clone, Deserialize)]
struct Verification {
    #[serde(default)]
    status: String,
}

impl FoundUser {
    /// The user's email addresses as Clerk stores them, each with whether it is verified.
    pub(crate) fn email_addresses(&self) -> impl Iterator<Item = (&str, bool)> {
        self.email_addresses.iter().map(|e| {
            let verified = e
                .verification
                .as_ref()
                .is_some_and(|v| v.status == "verified");
            (e.email_address.as_str(), verified)
        })
    }
}

/// The users holding any of `email_addresses` (at most [`MAX_FILTER_VALUES`], one request).
/// Clerk ignores addresses no user holds, so fewer users than addresses come back.
pub(crate) async fn by_email_addresses(
    handle: &Handle,
    email_addresses: &[&str],
    options: &RequestOptions,
) -> Result<Vec<FoundUser>, Error> {
    debug_assert!(email_addresses.len() <= MAX_FILTER_VALUES);
    let mut query = Query::default();
    for email in email_addresses {
        query.push("email_address", *email);
    }
    // An address belongs to one user at most, so one page of this size holds every answer.
    query.push("limit", MAX_FILTER_VALUES.to_string());
    let pairs = query.pairs();
    let users: Vec<FoundUser> = handle
        .execute_with(Operation::ListUsers, options, |t| {
            t.send(Call {
                query: &pairs,
                ..Call::new(&clerk_bapi_sys::routes::GET_USER_LIST, &[])
            })
        })
        .await?;
    Ok(users)
}
