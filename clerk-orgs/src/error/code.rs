//! [`ErrorCode`]: the `code` of each error in Clerk's error envelope, typed.
//!
//! Clerk adds codes over time, so the enum keeps any code it does not know in
//! [`ErrorCode::Unknown`] instead of failing: a new code must never turn a clear Clerk error into
//! a decoding error.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $wire:literal, )*) => {
        /// A Clerk error code, e.g. `duplicate_record`.
        ///
        /// Covers the codes Clerk documents for the organization-invitation and membership
        /// endpoints (see Clerk's error catalog, `data/api_errors.json` in `clerk/clerk-docs`); any other
        /// code is kept verbatim in [`ErrorCode::Unknown`] and round-trips through serde and
        /// [`ErrorCode::as_str`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code this version of the crate does not know, kept as Clerk sent it.
            Unknown(String),
        }

        impl ErrorCode {
            /// Every code this crate knows, for tables and tests.
            pub const KNOWN: &'static [ErrorCode] = &[$( ErrorCode::$variant, )*];

            /// The code as Clerk spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $wire, )*
                    ErrorCode::Unknown(code) => code,
                }
            }

            /// Parses a code; unknown codes become [`ErrorCode::Unknown`].
            pub fn parse(code: &str) -> Self {
                match code {
                    $( $wire => ErrorCode::$variant, )*
                    other => ErrorCode::Unknown(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// A pending invitation for this email address already exists (`duplicate_record`).
    DuplicateRecord => "duplicate_record",
    /// The invitation is not unique (`organization_invitation_not_unique`).
    OrganizationInvitationNotUnique => "organization_invitation_not_unique",
    /// The invitee is already a member (`already_a_member_in_organization`).
    AlreadyAMemberInOrganization => "already_a_member_in_organization",
    /// Too many invitations in one bulk request (`bulk_size_exceeded`).
    BulkSizeExceeded => "bulk_size_exceeded",
    /// The request body is invalid (`request_body_invalid`).
    RequestBodyInvalid => "request_body_invalid",
    /// The request parameters are malformed (`malformed_request_parameters`).
    MalformedRequestParameters => "malformed_request_parameters",
    /// The secret key was not accepted (`authentication_invalid`).
    AuthenticationInvalid => "authentication_invalid",
    /// The secret key is invalid (`clerk_key_invalid`).
    ClerkKeyInvalid => "clerk_key_invalid",
    /// The `Authorization` header is malformed (`authorization_header_format_invalid`).
    AuthorizationHeaderFormatInvalid => "authorization_header_format_invalid",
    /// The plan has no seats left (`insufficient_seats`).
    InsufficientSeats => "insufficient_seats",
    /// The organization's membership limit is reached (`organization_membership_quota_exceeded`).
    OrganizationMembershipQuotaExceeded => "organization_membership_quota_exceeded",
    /// The key may not do this (`authorization_invalid`).
    AuthorizationInvalid => "authorization_invalid",
    /// The requesting user lacks a permission (`missing_organization_permission`).
    MissingOrganizationPermission => "missing_organization_permission",
    /// The requesting user is not a member (`not_a_member_in_organization`).
    NotAMemberInOrganization => "not_a_member_in_organization",
    /// Organizations are disabled for the instance (`organization_not_enabled_in_instance`).
    OrganizationNotEnabledInInstance => "organization_not_enabled_in_instance",
    /// Access is not allowed (`not_allowed_access`).
    NotAllowedAccess => "not_allowed_access",
    /// The resource does not exist (`resource_not_found`).
    ResourceNotFound => "resource_not_found",
    /// The organization does not exist or is not accessible (`organization_not_found_or_unauthorized`).
    OrganizationNotFoundOrUnauthorized => "organization_not_found_or_unauthorized",
    /// A parameter has the wrong format (`form_param_format_invalid`).
    FormParamFormatInvalid => "form_param_format_invalid",
    /// A required parameter is missing (`form_param_missing`).
    FormParamMissing => "form_param_missing",
    /// A parameter has an invalid value (`form_param_value_invalid`).
    FormParamValueInvalid => "form_param_value_invalid",
    /// A parameter is not known (`form_param_unknown`).
    FormParamUnknown => "form_param_unknown",
    /// An array parameter is too long (`form_param_array_size_exceeded`).
    FormParamArraySizeExceeded => "form_param_array_size_exceeded",
    /// Only pending invitations can be revoked (`organization_invitation_not_pending`).
    OrganizationInvitationNotPending => "organization_invitation_not_pending",
    /// The invitation was already accepted (`organization_invitation_already_accepted`).
    OrganizationInvitationAlreadyAccepted => "organization_invitation_already_accepted",
    /// Clerk failed internally (`internal_clerk_error`).
    InternalClerkError => "internal_clerk_error",
    /// Clerk is in maintenance (`maintenance_mode`).
    MaintenanceMode => "maintenance_mode",
    /// Rate limited (`too_many_requests`).
    TooManyRequests => "too_many_requests",
    /// The change would leave the organization without a member holding the minimum required
    /// permissions, i.e. without an admin (`organization_minimum_permissions_needed`, 400).
    OrganizationMinimumPermissionsNeeded => "organization_minimum_permissions_needed",
    /// The same refusal under its older name (`at_least_one_admin_needed`, 400), as Clerk's
    /// earlier Backend API documented it.
    AtLeastOneAdminNeeded => "at_least_one_admin_needed",
    /// The membership is managed by a SCIM directory and cannot be changed by hand
    /// (`organization_membership_managed_by_scim`, 409).
    OrganizationMembershipManagedByScim => "organization_membership_managed_by_scim",
    /// The user may belong to one organization only and already belongs to another
    /// (`exclusive_organization_membership`, 422).
    ExclusiveOrganizationMembership => "exclusive_organization_membership",
    /// Removing it would leave the user without any organization where personal accounts are
    /// off (`personal_accounts_not_allowed`, 422).
    PersonalAccountsNotAllowed => "personal_accounts_not_allowed",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = std::convert::Infallible;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(code))
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> Self {
        Self::parse(code)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::parse(&code))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for ErrorCode {
    fn schema_name() -> String {
        "ErrorCode".to_owned()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        // An open set: any string, documented codes listed as examples rather than an enum,
        // because Clerk adds codes without notice.
        let mut schema = String::json_schema(generator).into_object();
        schema.metadata().examples = ErrorCode::KNOWN
            .iter()
            .map(|code| serde_json::Value::from(code.as_str()))
            .collect();
        schema.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_through_str_and_serde() {
        let table: &[(&str, ErrorCode)] = &[
            ("duplicate_record", ErrorCode::DuplicateRecord),
            (
                "organization_invitation_not_unique",
                ErrorCode::OrganizationInvitationNotUnique,
            ),
            (
                "already_a_member_in_organization",
                ErrorCode::AlreadyAMemberInOrganization,
            ),
            ("bulk_size_exceeded", ErrorCode::BulkSizeExceeded),
            ("request_body_invalid", ErrorCode::RequestBodyInvalid),
            (
                "malformed_request_parameters",
                ErrorCode::MalformedRequestParameters,
            ),
            ("authentication_invalid", ErrorCode::AuthenticationInvalid),
            ("clerk_key_invalid", ErrorCode::ClerkKeyInvalid),
            (
                "authorization_header_format_invalid",
                ErrorCode::AuthorizationHeaderFormatInvalid,
            ),
            ("insufficient_seats", ErrorCode::InsufficientSeats),
            (
                "organization_membership_quota_exceeded",
                ErrorCode::OrganizationMembershipQuotaExceeded,
            ),
            ("authorization_invalid", ErrorCode::AuthorizationInvalid),
            (
                "missing_organization_permission",
                ErrorCode::MissingOrganizationPermission,
            ),
            (
                "not_a_member_in_organization",
                ErrorCode::NotAMemberInOrganization,
            ),
            (
                "organization_not_enabled_in_instance",
                ErrorCode::OrganizationNotEnabledInInstance,
            ),
            ("not_allowed_access", ErrorCode::NotAllowedAccess),
            ("resource_not_found", ErrorCode::ResourceNotFound),
            (
                "organization_not_found_or_unauthorized",
                ErrorCode::OrganizationNotFoundOrUnauthorized,
            ),
            (
                "form_param_format_invalid",
                ErrorCode::FormParamFormatInvalid,
            ),
            ("form_param_missing", ErrorCode::FormParamMissing),
            ("form_param_value_invalid", ErrorCode::FormParamValueInvalid),
            ("form_param_unknown", ErrorCode::FormParamUnknown),
            (
                "form_param_array_size_exceeded",
                ErrorCode::FormParamArraySizeExceeded,
            ),
            (
                "organization_invitation_not_pending",
                ErrorCode::OrganizationInvitationNotPending,
            ),
            (
                "organization_invitation_already_accepted",
                ErrorCode::OrganizationInvitationAlreadyAccepted,
            ),
            ("internal_clerk_error", ErrorCode::InternalClerkError),
            ("maintenance_mode", ErrorCode::MaintenanceMode),
            ("too_many_requests", ErrorCode::TooManyRequests),
            (
                "organization_minimum_permissions_needed",
                ErrorCode::OrganizationMinimumPermissionsNeeded,
            ),
            (
                "at_least_one_admin_needed",
                ErrorCode::AtLeastOneAdminNeeded,
            ),
            (
                "organization_membership_managed_by_scim",
                ErrorCode::OrganizationMembershipManagedByScim,
            ),
            (
                "exclusive_organization_membership",
                ErrorCode::ExclusiveOrganizationMembership,
            ),
            (
                "personal_accounts_not_allowed",
                ErrorCode::PersonalAccountsNotAllowed,
            ),
            (
                "not_an_admin_in_organization",
                ErrorCode::Unknown("not_an_admin_in_organization".into()),
            ),
            ("", ErrorCode::Unknown(String::new())),
        ];
        // The table covers every known code exactly once.
        assert_eq!(table.len() - 2, ErrorCode::KNOWN.len());
        for (wire, code) in table {
            assert_eq!(&ErrorCode::parse(wire), code, "{wire}");
            assert_eq!(code.as_str(), *wire);
            assert_eq!(code.to_string(), *wire);
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::from(*wire));
            let back: ErrorCode = serde_json::from_value(json).unwrap();
            assert_eq!(&back, code);
        }
    }
}
