//! Clerk's error envelope and the errors this fake returns.
//!
//! Every error body is `{"errors":[{message, long_message, code, meta}], "clerk_trace_id"}`, like
//! Clerk's. Codes, statuses and messages follow Clerk's error catalog (clerk-docs
//! `data/api_errors.json`, rendered at <https://clerk.com/docs/guides/development/errors/backend-api>)
//! and the organization-invitation docs.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// One failed request, before it is rendered with a trace id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) long_message: String,
    pub(crate) meta: Map<String, Value>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        message: &str,
        long_message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.to_owned(),
            long_message: long_message.into(),
            meta: Map::new(),
        }
    }

    fn with_meta(mut self, key: &str, value: Value) -> Self {
        self.meta.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn authentication_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_invalid",
            "Invalid authentication",
            "Unable to authenticate the request, you need to supply an active API key",
        )
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            format!("{what} not found"),
        )
    }

    /// Clerk's `OrganizationNotFound`.
    pub(crate) fn organization_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "Given organization not found.",
        )
    }

    /// Clerk's `UserNotFound`.
    pub(crate) fn user_not_found(user_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            format!("No user was found with id {user_id}"),
        )
    }

    /// Clerk's `OrganizationRoleNotFound`, naming the parameter that held the role.
    pub(crate) fn role_not_found(param: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "Organization role not found",
        )
        .with_meta("param_name", json!(param))
    }

    /// Clerk's `OrganizationPermissionNotFound`.
    pub(crate) fn permission_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "Organization permission not found",
        )
    }

    /// A user who is not a member of the organization: Clerk's generic `ResourceNotFound`.
    pub(crate) fn membership_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "Resource not found",
        )
    }

    /// Clerk's `AlreadyAMemberOfOrganization`, for one user added by id.
    pub(crate) fn already_a_member_user(user_id: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "already_a_member_in_organization",
            "already a member",
            format!("User {user_id} is already a member of the organization."),
        )
    }

    /// Clerk's `OrganizationMinimumPermissionsNeeded`: the change would leave no member holding
    /// the permissions an organization must keep (its last admin).
    pub(crate) fn minimum_permissions_needed() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "organization_minimum_permissions_needed",
            "minimum organization permissions needed",
            "There has to be at least one organization member with the minimum required permissions",
        )
    }

    /// Clerk's `FormAlreadyExists`, for a value that must be unique (a role key).
    pub(crate) fn already_exists(param: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_already_exists",
            "already exists",
            format!("{param} already exists."),
        )
        .with_meta("param_name", json!(param))
    }

    /// Clerk's `OrganizationInstanceRolesQuotaExceeded`.
    pub(crate) fn roles_quota_exceeded(max: usize) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "organization_instance_roles_quota_exceeded",
            "organization roles for instance quota exceeded",
            format!("You have reached your limit of {max} organization roles per instance."),
        )
    }

    /// Clerk's `FormParameterArraySizeExceeded`.
    pub(crate) fn array_size_exceeded(param: &str, max: usize) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_array_size_exceeded",
            "exceeds maximum size",
            format!("{param} should not exceed {max} items."),
        )
        .with_meta("param_name", json!(param))
    }

    pub(crate) fn param_missing(param: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_missing",
            "is missing",
            format!("{param} must be included."),
        )
        .with_meta("param_name", json!(param))
    }

    pub(crate) fn param_format_invalid(param: &str, detail: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_format_invalid",
            "is invalid",
            format!("{param} {detail}"),
        )
        .with_meta("param_name", json!(param))
    }

    pub(crate) fn param_value_invalid(param: &str, detail: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_value_invalid",
            "is invalid",
            format!("{param} {detail}"),
        )
        .with_meta("param_name", json!(param))
    }

    /// Clerk's `InvalidRequestBody`: not JSON, or not the JSON type the route takes.
    pub(crate) fn malformed_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            "The request body is invalid. Please consult the API documentation for more information.",
        )
    }

    pub(crate) fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_body_too_large",
            "request body too large",
            "The request body is larger than this server accepts.",
        )
    }

    pub(crate) fn duplicate_record(emails: Vec<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "duplicate_record",
            "duplicate invitation",
            format!(
                "There are already pending invitations for the following email addresses: {}",
                emails.join(", ")
            ),
        )
        .with_meta("email_addresses", json!(emails))
    }

    pub(crate) fn already_a_member(emails: Vec<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "already_a_member_in_organization",
            "already a member",
            format!(
                "The following email addresses belong to members of this organization: {}",
                emails.join(", ")
            ),
        )
        .with_meta("email_addresses", json!(emails))
    }

    pub(crate) fn not_an_admin(user_id: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "not_an_admin_in_organization",
            "not an administrator",
            format!(
                "User {user_id} is not an administrator in the organization. Only administrators can perform this action."
            ),
        )
    }

    /// Clerk's `OrganizationInvitationNotPending`: a 404, although the invitation exists (Clerk's
    /// error catalog, `clerk/clerk-docs` `data/api_errors.json`, marked as used by the BAPI).
    pub(crate) fn not_pending() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "organization_invitation_not_pending",
            "not pending",
            "The organization invitation is not in the 'pending' status.",
        )
    }

    pub(crate) fn bulk_size_exceeded(max: usize) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bulk_size_exceeded",
            "too many invitations",
            format!("You can create at most {max} invitations in one request."),
        )
    }

    pub(crate) fn membership_quota_exceeded(max: u32) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "organization_membership_quota_exceeded",
            "organization membership quota exceeded",
            format!(
                "You have reached your limit of {max} organization memberships, including outstanding invitations."
            ),
        )
    }

    pub(crate) fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too Many Requests",
            "Too many requests, please retry later.",
        )
    }

    /// A 500 for a state the fake should never reach.
    pub(crate) fn internal_error() -> Self {
        Self::internal(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub(crate) fn internal(status: StatusCode) -> Self {
        Self::new(
            status,
            "internal_clerk_error",
            "Oops, an unexpected error occurred",
            "There was an internal error on our servers. We've been notified and are working on fixing it.",
        )
    }

    /// The JSON body in Clerk's envelope.
    pub(crate) fn body(&self, trace_id: &str) -> Value {
        json!({
            "errors": [{
                "message": self.message,
                "long_message": self.long_message,
                "code": self.code,
                "meta": self.meta,
            }],
            "clerk_trace_id": trace_id,
        })
    }
}
