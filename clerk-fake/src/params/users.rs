//! `GET /v1/users`'s query string.

use super::{DEFAULT_LIMIT, integer, limit, pairs, signed_order};
use crate::errors::ApiError;
use crate::state::{UserQuery, UserSort};

/// The most values one array filter (`email_address`, `user_id`) may carry (the spec: "Accepts
/// up to 100").
const MAX_FILTER_VALUES: usize = 100;

/// The filters of `GetUserList` the fake does not model. Rather than ignore them, and answer
/// with every user as if nothing had been asked, it refuses them (FAKE CHOICE): a test that
/// needs one fails loudly instead of passing on the wrong data.
const NOT_MODELLED: &[&str] = &[
    "phone_number",
    "external_id",
    "username",
    "web3_wallet",
    "organization_id",
    "query",
    "email_address_query",
    "phone_number_query",
    "username_query",
    "name_query",
    "banned",
    "last_active_at_before",
    "last_active_at_after",
    "last_active_at_since",
    "created_at_before",
    "created_at_after",
    "last_sign_in_at_before",
    "last_sign_in_at_after",
    "provider",
    "provider_user_id",
    "starting_after",
];

/// `GET /users`: `email_address` and `user_id` (repeated, up to 100 each, exact;
/// addresses compared case-insensitively), `order_by` (`created_at` or `updated_at`, with
/// `+`/`-`; default `-created_at`), `limit` (1 to 500, default 10) and `offset`. Parameters
/// outside the spec are ignored, as Clerk does.
pub(crate) fn user_list_query(raw: Option<&str>) -> Result<UserQuery, ApiError> {
    let mut query = UserQuery::new(DEFAULT_LIMIT);
    for (key, value) in pairs(raw) {
        match key.as_ref() {
            "limit" => query.limit = limit(&value)?,
            "offset" => query.offset = integer("offset", &value)?,
            "order_by" => query.sort = sort(&value)?,
            "email_address" => query.email_addresses.push(value.trim().to_lowercase()),
            // `+id` includes, as on the membership list; an unencoded `+` arrives as a space.
            "user_id" => query
                .user_ids
                .push(value.trim_start().trim_start_matches('+').to_owned()),
            name if NOT_MODELLED.contains(&name) => {
                return Err(ApiError::param_value_invalid(
                    name,
                    "is a filter clerk-fake does not model.",
                ));
            }
            _ => {}
        }
    }
    for (name, count) in [
        ("email_address", query.email_addresses.len()),
        ("user_id", query.user_ids.len()),
    ] {
        if count > MAX_FILTER_VALUES {
            return Err(ApiError::array_size_exceeded(name, MAX_FILTER_VALUES));
        }
    }
    Ok(query)
}

fn sort(value: &str) -> Result<UserSort, ApiError> {
    match signed_order(value) {
        ("created_at" | "updated_at", descending) => Ok(UserSort { descending }),
        _ => Err(ApiError::param_value_invalid(
            "order_by",
            "must be created_at or updated_at (the orders clerk-fake models), optionally prefixed by + or -.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_addresses_lowercased() {
        let query = user_list_query(Some(
            "email_address=Ann%40X.test&email_address=b%40x.test&user_id=%2Buser_a&limit=3&offset=2&order_by=%2Bcreated_at",
        ))
        .unwrap();
        assert_eq!(query.email_addresses, ["ann@x.test", "b@x.test"]);
        assert_eq!(query.user_ids, ["user_a"]);
        assert_eq!((query.limit, query.offset), (3, 2));
        assert!(!query.sort.descending);
        assert!(user_list_query(None).unwrap().sort.descending);
    }

    #[test]
    fn what_the_fake_does_not_model_is_refused_not_ignored() {
        let error = user_list_query(Some("query=ann")).unwrap_err();
        assert_eq!(error.code, "form_param_value_invalid");
        assert!(user_list_query(Some("order_by=username")).is_err());
        assert!(user_list_query(Some("unknown_thing=1")).is_ok());
        let raw: Vec<String> = (0..101).map(|i| format!("user_id=user_{i}")).collect();
        let error = user_list_query(Some(&raw.join("&"))).unwrap_err();
        assert_eq!(error.code, "form_param_array_size_exceeded");
    }
}
