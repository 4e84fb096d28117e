//! The membership routes' bodies and query strings.

use super::{
    DEFAULT_LIMIT, integer, limit, nullable_object, optional_object, pairs, parse_object,
    required_string, signed_order, timestamp,
};
use crate::errors::ApiError;
use crate::state::{MembershipQuery, MembershipSort, MetadataPatch, NewMembership, SortField};

/// The most values one array filter (`user_id`, `email_address`, ...) may carry.
const MAX_FILTER_VALUES: usize = 100;

/// `POST .../memberships`: `user_id` and `role` required, metadata optional (nullable).
pub(crate) fn create_membership_body(body: &[u8]) -> Result<NewMembership, ApiError> {
    let fields = parse_object(body)?;
    Ok(NewMembership {
        user_id: required_string(&fields, "user_id")?,
        role: required_string(&fields, "role")?,
        public_metadata: optional_object(&fields, "public_metadata")?,
        private_metadata: optional_object(&fields, "private_metadata")?,
    })
}

/// `PATCH .../memberships/{user_id}`: `role` required.
pub(crate) fn role_body(body: &[u8]) -> Result<String, ApiError> {
    required_string(&parse_object(body)?, "role")
}

/// `PATCH .../memberships/{user_id}/metadata`: an optional body whose `public_metadata` and
/// `private_metadata`, when present and not `null`, are merged.
pub(crate) fn metadata_body(body: &[u8]) -> Result<MetadataPatch, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(MetadataPatch::default());
    }
    let fields = parse_object(body)?;
    Ok(MetadataPatch {
        public_metadata: nullable_object(&fields, "public_metadata")?,
        private_metadata: nullable_object(&fields, "private_metadata")?,
    })
}

fn sort(value: &str) -> Result<MembershipSort, ApiError> {
    let (field, descending) = signed_order(value);
    let field = match field {
        "created_at" => SortField::CreatedAt,
        "email_address" => SortField::EmailAddress,
        "first_name" => SortField::FirstName,
        "last_name" => SortField::LastName,
        "phone_number" => SortField::PhoneNumber,
        "username" => SortField::Username,
        _ => {
            return Err(ApiError::param_value_invalid(
                "order_by",
                "must be one of phone_number, email_address, created_at, first_name, last_name, username, optionally prefixed by + or -.",
            ));
        }
    };
    Ok(MembershipSort { field, descending })
}

/// Which query parameters a membership list understands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Accepts {
    /// `limit` and `offset` (a user's memberships).
    Paging,
    /// Paging and `order_by` (the instance-wide list).
    Sorting,
    /// Everything `ListOrganizationMemberships` takes.
    Filters,
}

/// `GET /organizations/{id}/memberships`: every filter Clerk lists. Unknown parameters are
/// ignored, as Clerk does.
pub(crate) fn membership_list_query(raw: Option<&str>) -> Result<MembershipQuery, ApiError> {
    parse(raw, Accepts::Filters)
}

/// `GET /organization_memberships`: `order_by`, `limit`, `offset`.
pub(crate) fn sort_query(raw: Option<&str>) -> Result<MembershipQuery, ApiError> {
    parse(raw, Accepts::Sorting)
}

/// `GET /users/{user_id}/organization_memberships`: `limit`, `offset`.
pub(crate) fn paging_query(raw: Option<&str>) -> Result<MembershipQuery, ApiError> {
    parse(raw, Accepts::Paging)
}

fn parse(raw: Option<&str>, accepts: Accepts) -> Result<MembershipQuery, ApiError> {
    let mut query = MembershipQuery::new(DEFAULT_LIMIT);
    let filters = accepts == Accepts::Filters;
    for (key, value) in pairs(raw) {
        let lower = || value.trim().to_lowercase();
        match key.as_ref() {
            "limit" => query.limit = limit(&value)?,
            "offset" => query.offset = integer("offset", &value)?,
            "order_by" if accepts != Accepts::Paging => query.sort = sort(&value)?,
            "user_id" if filters => {
                // `+id` includes, `-id` excludes; an unencoded `+` arrives as a space.
                let value = value.trim_start();
                match value.strip_prefix('-') {
                    Some(id) => query.exclude_user_ids.push(id.to_owned()),
                    None => query
                        .include_user_ids
                        .push(value.trim_start_matches('+').to_owned()),
                }
            }
            "email_address" if filters => query.email_addresses.push(lower()),
            "phone_number" if filters => query.phone_numbers.push(lower()),
            "username" if filters => query.usernames.push(lower()),
            "web3_wallet" if filters => query.web3_wallets.push(lower()),
            "role" if filters => query.roles.push(value.trim().to_owned()),
            "query" if filters => query.query = Some(lower()),
            "email_address_query" if filters => query.email_address_query = Some(lower()),
            "phone_number_query" if filters => query.phone_number_query = Some(lower()),
            "username_query" if filters => query.username_query = Some(lower()),
            "name_query" if filters => query.name_query = Some(lower()),
            "last_active_at_before" if filters => {
                query.last_active_at_before = Some(timestamp("last_active_at_before", &value)?);
            }
            "last_active_at_after" if filters => {
                query.last_active_at_after = Some(timestamp("last_active_at_after", &value)?);
            }
            "created_at_before" if filters => {
                query.created_at_before = Some(timestamp("created_at_before", &value)?);
            }
            "created_at_after" if filters => {
                query.created_at_after = Some(timestamp("created_at_after", &value)?);
            }
            _ => {}
        }
    }
    let arrays = [
        (
            "user_id",
            query.include_user_ids.len() + query.exclude_user_ids.len(),
        ),
        ("email_address", query.email_addresses.len()),
        ("phone_number", query.phone_numbers.len()),
        ("username", query.usernames.len()),
        ("web3_wallet", query.web3_wallets.len()),
        ("role", query.roles.len()),
    ];
    if let Some((name, _)) = arrays.iter().find(|(_, n)| *n > MAX_FILTER_VALUES) {
        return Err(ApiError::array_size_exceeded(name, MAX_FILTER_VALUES));
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_split_into_included_and_excluded() {
        let query = membership_list_query(Some(
            "user_id=user_a&user_id=%2Buser_b&user_id=-user_c&user_id=+user_d",
        ))
        .unwrap();
        assert_eq!(query.include_user_ids, ["user_a", "user_b", "user_d"]);
        assert_eq!(query.exclude_user_ids, ["user_c"]);
    }

    #[test]
    fn routes_ignore_what_they_do_not_take() {
        let query = paging_query(Some("order_by=email_address&role=org:admin&limit=3")).unwrap();
        assert_eq!(query.sort, MembershipSort::default());
        assert!(query.roles.is_empty());
        assert_eq!(query.limit, 3);
        let query = sort_query(Some("order_by=%2Bemail_address&role=org:admin")).unwrap();
        assert_eq!(
            query.sort,
            MembershipSort {
                field: SortField::EmailAddress,
                descending: false
            }
        );
        assert!(query.roles.is_empty());
    }

    #[test]
    fn more_than_a_hundred_values_are_refused() {
        let raw: Vec<String> = (0..101).map(|i| format!("role=org:r{i}")).collect();
        let error = membership_list_query(Some(&raw.join("&"))).unwrap_err();
        assert_eq!(error.code, "form_param_array_size_exceeded");
        assert!(sort("name").is_err());
    }
}
