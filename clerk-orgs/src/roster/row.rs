//! [`RosterRow`]: one person the organization should have, and how addresses are compared.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, ValidationError};
use crate::models::Role;
use crate::validate;

/// One person a roster says the organization should have: an email address, a role and,
/// optionally, the metadata a new invitation or membership for them gets.
///
/// Metadata is only used when the person is invited or added by the sync: a member's or a
/// pending invitation's metadata is left as it is (Clerk merges membership metadata, so a
/// roster could not say which keys to remove).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterRow {
    email_address: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
}

impl RosterRow {
    /// `email_address` with `role` (`Role::MEMBER`, `Role::ADMIN` or any role key).
    pub fn new(email_address: impl Into<String>, role: impl Into<Role>) -> Self {
        Self {
            email_address: email_address.into(),
            role: role.into(),
            public_metadata: None,
            private_metadata: None,
        }
    }

    /// Public metadata for a new invitation or membership; must be a JSON object.
    pub fn public_metadata(mut self, metadata: impl Into<Value>) -> Self {
        self.public_metadata = Some(metadata.into());
        self
    }

    /// Private metadata for a new invitation or membership; must be a JSON object.
    pub fn private_metadata(mut self, metadata: impl Into<Value>) -> Self {
        self.private_metadata = Some(metadata.into());
        self
    }

    /// The email address, as given.
    pub fn email_address(&self) -> &str {
        &self.email_address
    }

    /// The role.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Checks every rule a plan checks of a row (address, role, metadata), and sends nothing:
    /// to report every bad row of a file before planning.
    pub fn validate(&self) -> Result<(), Error> {
        self.clone().checked("")?;
        Ok(())
    }

    /// The row as checked, its metadata as objects; `prefix` (`rows[3].`) locates it.
    pub(super) fn checked(self, prefix: &str) -> Result<CheckedRow, ValidationError> {
        let located = |error: ValidationError| error.prefixed(prefix);
        validate::email("email_address", &self.email_address).map_err(located)?;
        validate::key("role", self.role.as_str()).map_err(located)?;
        let object = |field: &'static str, value: Option<Value>| {
            value
                .map(|v| validate::metadata(field, v).map_err(located))
                .transpose()
        };
        Ok(CheckedRow {
            key: email_key(&self.email_address),
            public_metadata: object("public_metadata", self.public_metadata)?,
            private_metadata: object("private_metadata", self.private_metadata)?,
            email_address: self.email_address,
            role: self.role,
        })
    }
}

/// A valid row, with its comparison key.
#[derive(Debug)]
pub(super) struct CheckedRow {
    pub(super) key: String,
    pub(super) email_address: String,
    pub(super) role: Role,
    pub(super) public_metadata: Option<Map<String, Value>>,
    pub(super) private_metadata: Option<Map<String, Value>>,
}

/// How Clerk compares email addresses: case-insensitively, the whole address (local part
/// included). Clerk normalizes identifiers to lowercase ("identifiers are normalized to
/// lowercase", its allowlist and blocklist guide: clerk-docs
/// `docs/guides/secure/restricting-access.mdx`), so `Ann@Example.com` and `ann@example.com`
/// are one person to Clerk and to the roster. Nothing else is folded: no trimming (a padded
/// address is invalid), no dot or `+tag` rules (Clerk keeps `a.b@gmail.com` and
/// `ab@gmail.com` apart).
pub(crate) fn email_key(email_address: &str) -> String {
    email_address.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_compare_case_insensitively_and_nothing_else() {
        assert_eq!(email_key("Ann@Example.COM"), email_key("ann@example.com"));
        assert_ne!(email_key("a.b@gmail.com"), email_key("ab@gmail.com"));
        assert_ne!(email_key("ann+x@example.com"), email_key("ann@example.com"));
    }

    #[test]
    fn a_row_is_checked_like_an_invitation_and_located() {
        let row = RosterRow::new("not-an-address", Role::MEMBER);
        let error = row.clone().checked("rows[3].").unwrap_err();
        assert_eq!(error.field(), "rows[3].email_address");
        assert!(row.validate().is_err());
        let row = RosterRow::new("a@b.co", "org:has space");
        assert_eq!(row.checked("").unwrap_err().field(), "role");
        let row = RosterRow::new("a@b.co", Role::MEMBER).public_metadata(json!([1]));
        assert_eq!(row.checked("").unwrap_err().field(), "public_metadata");
        let row = RosterRow::new("A@B.co", Role::ADMIN).private_metadata(json!({"k": 1}));
        let checked = row.checked("").unwrap();
        assert_eq!(checked.key, "a@b.co");
        assert_eq!(checked.email_address, "A@B.co");
        assert_eq!(checked.private_metadata.unwrap()["k"], 1);
    }
}
