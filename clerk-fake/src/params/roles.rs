//! The role routes' bodies and query strings.

use serde_json::Value;

use super::{
    DEFAULT_LIMIT, integer, limit, optional_string, pairs, parse_object, required_string,
    signed_order,
};
use crate::errors::ApiError;
use crate::state::{NewRole, RoleQuery, RoleSort, is_valid_role_key};

/// `GET /organization_roles`: `query`, `order_by` (`created_at`, `name`, `key`; default
/// `-created_at`), `limit`, `offset`.
pub(crate) fn role_list_query(raw: Option<&str>) -> Result<RoleQuery, ApiError> {
    let mut query = RoleQuery {
        query: None,
        sort: RoleSort::CreatedAt,
        descending: true,
        limit: DEFAULT_LIMIT,
        offset: 0,
    };
    for (key, value) in pairs(raw) {
        match key.as_ref() {
            "limit" => query.limit = limit(&value)?,
            "offset" => query.offset = integer("offset", &value)?,
            "query" => query.query = Some(value.trim().to_owned()),
            "order_by" => {
                let (field, descending) = signed_order(&value);
                query.sort = match field {
                    "created_at" => RoleSort::CreatedAt,
                    "name" => RoleSort::Name,
                    "key" => RoleSort::Key,
                    _ => {
                        return Err(ApiError::param_value_invalid(
                            "order_by",
                            "must be created_at, name or key, optionally prefixed by + or -.",
                        ));
                    }
                };
                query.descending = descending;
            }
            _ => {}
        }
    }
    Ok(query)
}

/// `POST /organization_roles`: `name` and `key` required; `description` and `permissions`
/// (permission ids) optional; `include_in_initial_role_set` accepted and ignored (the fake has
/// no role sets).
pub(crate) fn create_role_body(body: &[u8]) -> Result<NewRole, ApiError> {
    let fields = parse_object(body)?;
    let name = required_string(&fields, "name")?;
    let key = required_string(&fields, "key")?;
    if !is_valid_role_key(&key) {
        return Err(ApiError::param_format_invalid(
            "key",
            "must start with 'org:' and contain only lowercase alphanumeric characters and underscores.",
        ));
    }
    let permission_ids = match fields.get("permissions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(id) => Ok(id.clone()),
                _ => Err(ApiError::param_format_invalid(
                    "permissions",
                    "must be an array of strings.",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::param_format_invalid(
                "permissions",
                "must be an array of strings.",
            ));
        }
    };
    Ok(NewRole {
        key,
        name,
        description: optional_string(&fields, "description")?,
        permission_ids,
    })
}
