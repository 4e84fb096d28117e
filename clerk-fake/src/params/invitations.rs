//! The invitation routes' bodies and query strings.

use serde_json::{Map, Value};

use super::{
    integer, limit, optional_object, optional_string, parse_json, required_string, signed_order,
};
use crate::errors::ApiError;
use crate::state::{InvitationStatus, ListQuery, NewInvitation, Order};

/// The most invitations one bulk request may carry.
pub(crate) const MAX_BULK_SIZE: usize = 10;
const DEFAULT_EXPIRES_IN_DAYS: i64 = 30;

/// `POST .../invitations`.
pub(crate) fn create_body(body: &[u8]) -> Result<NewInvitation, ApiError> {
    match parse_json(body)? {
        Value::Object(fields) => new_invitation(&fields),
        _ => Err(ApiError::malformed_body()),
    }
}

/// `POST .../invitations/bulk`: a non-empty array of at most [`MAX_BULK_SIZE`] items.
pub(crate) fn bulk_body(body: &[u8]) -> Result<Vec<NewInvitation>, ApiError> {
    let Value::Array(items) = parse_json(body)? else {
        return Err(ApiError::malformed_body());
    };
    if items.is_empty() {
        return Err(ApiError::param_missing("invitations"));
    }
    if items.len() > MAX_BULK_SIZE {
        return Err(ApiError::bulk_size_exceeded(MAX_BULK_SIZE));
    }
    items
        .iter()
        .map(|item| match item {
            Value::Object(fields) => new_invitation(fields),
            _ => Err(ApiError::malformed_body()),
        })
        .collect()
}

/// `POST .../revoke`: an optional body with an optional `requesting_user_id`.
pub(crate) fn revoke_body(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let Value::Object(fields) = parse_json(body)? else {
        return Err(ApiError::malformed_body());
    };
    optional_string(&fields, "requesting_user_id")
}

fn new_invitation(fields: &Map<String, Value>) -> Result<NewInvitation, ApiError> {
    let email_address = required_string(fields, "email_address")?;
    if !is_plausible_email(&email_address) {
        return Err(ApiError::param_format_invalid(
            "email_address",
            "must be a valid email address.",
        ));
    }
    let role = required_string(fields, "role")?;
    let expires_in_days = match fields.get("expires_in_days") {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN_DAYS,
        Some(value) => value
            .as_i64()
            .filter(|days| (1..=365).contains(days))
            .ok_or_else(|| {
                ApiError::param_value_invalid("expires_in_days", "must be between 1 and 365.")
            })?,
    };
    let notify = match fields.get("notify") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(notify)) => *notify,
        Some(_) => {
            return Err(ApiError::param_format_invalid(
                "notify",
                "must be a boolean.",
            ));
        }
    };
    Ok(NewInvitation {
        email_address,
        role,
        inviter_user_id: optional_string(fields, "inviter_user_id")?,
        public_metadata: optional_object(fields, "public_metadata")?,
        private_metadata: optional_object(fields, "private_metadata")?,
        redirect_url: optional_string(fields, "redirect_url")?,
        expires_in_days,
        notify,
    })
}

/// A deliberately simple check (one `@`, a local part, a dotted domain, no whitespace): the
/// fake must reject what Clerk surely rejects without pretending to implement RFC 5322.
fn is_plausible_email(email: &str) -> bool {
    if email.chars().any(char::is_whitespace) {
        return false;
    }
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.split_once('.').is_some_and(|(head, tail)| {
            !head.is_empty() && !tail.is_empty() && !domain.ends_with('.')
        })
}

/// Which query parameters a list route understands, besides `limit`/`offset`/`status`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListParams {
    pub(crate) email_address: bool,
    pub(crate) query: bool,
    pub(crate) order_by: bool,
}

/// Parses a list route's query string; unknown parameters are ignored, as Clerk does.
pub(crate) fn list_query(raw: Option<&str>, accepted: ListParams) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        statuses: Vec::new(),
        email_address: None,
        email_contains: None,
        order: Order {
            by_email: false,
            descending: true,
        },
        limit: super::DEFAULT_LIMIT,
        offset: 0,
    };
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "limit" => query.limit = limit(&value)?,
            "offset" => query.offset = integer("offset", &value)?,
            "status" => query
                .statuses
                .push(InvitationStatus::parse(&value).ok_or_else(|| {
                    ApiError::param_value_invalid(
                        "status",
                        "must be one of pending, accepted, revoked, expired.",
                    )
                })?),
            "email_address" if accepted.email_address => {
                query.email_address = Some(value.into_owned());
            }
            "query" if accepted.query => query.email_contains = Some(value.into_owned()),
            "order_by" if accepted.order_by => query.order = order(&value)?,
            _ => {}
        }
    }
    Ok(query)
}

fn order(value: &str) -> Result<Order, ApiError> {
    let (field, descending) = signed_order(value);
    let by_email = match field {
        "created_at" => false,
        "email_address" => true,
        _ => {
            return Err(ApiError::param_value_invalid(
                "order_by",
                "must be created_at or email_address, optionally prefixed by + or -.",
            ));
        }
    };
    Ok(Order {
        by_email,
        descending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_check_accepts_ordinary_and_rejects_obvious_junk() {
        for good in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(is_plausible_email(good), "{good}");
        }
        for bad in [
            "", "a", "@b.co", "a@b", "a@@b.co", "a b@c.co", "a@b.", "a@.co",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn order_by_accepts_signs_and_defaults_to_ascending() {
        assert_eq!(
            order("email_address").unwrap(),
            Order {
                by_email: true,
                descending: false
            }
        );
        assert_eq!(
            order("-created_at").unwrap(),
            Order {
                by_email: false,
                descending: true
            }
        );
        assert!(order("name").is_err());
    }
}
