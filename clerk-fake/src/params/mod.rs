//! Parsing and validating what clients send, one file per resource: JSON bodies and query
//! strings.
//!
//! Input from the network never panics here; every problem becomes the Clerk error a real
//! server would send (422 with `meta.param_name`, or 400 for a body that is not JSON at all).

mod invitations;
mod memberships;
mod roles;
mod users;

use serde_json::{Map, Value};

use crate::errors::ApiError;

pub(crate) use invitations::{ListParams, bulk_body, create_body, list_query, revoke_body};
pub(crate) use memberships::{
    create_membership_body, membership_list_query, metadata_body, paging_query, role_body,
    sort_query,
};
pub(crate) use roles::{create_role_body, role_list_query};
pub(crate) use users::user_list_query;

/// `limit` when a list request names none.
const DEFAULT_LIMIT: usize = 10;
/// The largest `limit` Clerk accepts.
const MAX_LIMIT: usize = 500;

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::malformed_body())
}

/// A body that must be a JSON object.
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match parse_json(body)? {
        Value::Object(fields) => Ok(fields),
        _ => Err(ApiError::malformed_body()),
    }
}

fn required_string(fields: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    optional_string(fields, name)?
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::param_missing(name))
}

fn optional_string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(ApiError::param_format_invalid(name, "must be a string.")),
    }
}

/// An object parameter; absent or `null` reads as empty.
fn optional_object(
    fields: &Map<String, Value>,
    name: &str,
) -> Result<Map<String, Value>, ApiError> {
    Ok(nullable_object(fields, name)?.unwrap_or_default())
}

/// An object parameter; absent or `null` reads as `None`.
fn nullable_object(
    fields: &Map<String, Value>,
    name: &str,
) -> Result<Option<Map<String, Value>>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(value)) => Ok(Some(value.clone())),
        Some(_) => Err(ApiError::param_format_invalid(name, "must be an object.")),
    }
}

fn integer(name: &str, value: &str) -> Result<usize, ApiError> {
    value
        .trim()
        .parse()
        .map_err(|_| ApiError::param_format_invalid(name, "must be a non-negative integer."))
}

/// `limit`: 1 to 500.
fn limit(value: &str) -> Result<usize, ApiError> {
    let limit = integer("limit", value)?;
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::param_value_invalid(
            "limit",
            "must be between 1 and 500.",
        ))
    }
}

/// A Unix-milliseconds query parameter.
fn timestamp(name: &str, value: &str) -> Result<i64, ApiError> {
    value.trim().parse().map_err(|_| {
        ApiError::param_format_invalid(name, "must be a Unix timestamp in milliseconds.")
    })
}

/// `order_by`'s `[+|-]field`: the field and whether it is descending (no sign is ascending).
/// A `+` sent without percent-encoding arrives as a space, so leading whitespace is dropped.
fn signed_order(value: &str) -> (&str, bool) {
    let value = value.trim_start();
    match value.as_bytes().first() {
        Some(b'-') => (&value[1..], true),
        Some(b'+') => (&value[1..], false),
        _ => (value, false),
    }
}

/// The `(key, value)` pairs of a query string; arrays arrive as repeated keys.
fn pairs(raw: Option<&str>) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_order_reads_both_signs_and_an_unencoded_plus() {
        assert_eq!(signed_order("-created_at"), ("created_at", true));
        assert_eq!(signed_order("+name"), ("name", false));
        assert_eq!(signed_order(" name"), ("name", false));
        assert_eq!(signed_order("key"), ("key", false));
    }
}
