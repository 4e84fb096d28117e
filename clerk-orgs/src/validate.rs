//! The rules Clerk enforces, checked before anything is sent.
//!
//! A request Clerk would reject costs a round trip, counts against the rate limits (creation is
//! limited to 250 an hour) and, for IDs, could even reach a different route; catching it here
//! gives a precise error for free. Each check returns a [`ValidationError`] naming the field and
//! the rule. The rules are deliberately no stricter than Clerk's, so a valid call is never
//! refused locally.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::ValidationError;

/// Clerk's maximum number of invitations in one bulk create.
pub const MAX_BULK_SIZE: usize = 10;
/// The largest page Clerk serves.
pub(crate) const MAX_LIMIT: u64 = 500;

type Field = Cow<'static, str>;

/// An ID used as a path segment: non-empty, no whitespace or control characters, and not `.`
/// or `..`. Percent-encoding keeps `/` and `?` inside the segment, but a bare dot segment would
/// still be collapsed by URL normalization and reach another route.
pub(crate) fn id(field: impl Into<Field>, value: &str) -> Result<(), ValidationError> {
    let field = field.into();
    key(field.clone(), value)?;
    if value == "." || value == ".." {
        return Err(ValidationError::new(field, "must not be `.` or `..`"));
    }
    Ok(())
}

/// A syntactically valid address: `local@domain`, one `@`, a dotted domain of non-empty labels,
/// no whitespace or control characters, at most 254 characters (RFC 5321's path limit).
pub(crate) fn email(field: impl Into<Field>, value: &str) -> Result<(), ValidationError> {
    const RULE: &str = "must be a valid email address (local@domain.tld)";
    if value.len() > 254 || has_space_or_control(value) {
        return Err(ValidationError::new(field, RULE));
    }
    let Some((local, domain)) = value.split_once('@') else {
        return Err(ValidationError::new(field, RULE));
    };
    let labels_ok = domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
        && !domain.contains(['@', '[', ']', '(', ')', ',', ';', ':', '\\', '"', '<', '>']);
    if local.is_empty() || local.len() > 64 || !labels_ok {
        return Err(ValidationError::new(field, RULE));
    }
    Ok(())
}

/// Whether `value` holds whitespace or a control character (`char::is_whitespace` or
/// `char::is_control`). IDs, roles and email addresses are nearly always ASCII, where that is
/// exactly the bytes up to the space and DEL: a byte scan finds none far faster than decoding
/// every `char` and looking it up in the Unicode tables, which only unusual values still do.
fn has_space_or_control(value: &str) -> bool {
    // One pass without early exit, so it vectorizes: any byte that is whitespace, a control
    // character or not ASCII sends the value to the exact check.
    let unusual = value
        .bytes()
        .fold(false, |seen, b| seen | (b <= b' ') | (b >= 0x7f));
    unusual && value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A key from one of Clerk's open sets, such as a role (`org:admin`) or an invitation status
/// (`pending`): non-empty, no whitespace or control characters.
pub(crate) fn key(field: impl Into<Field>, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if has_space_or_control(value) {
        return Err(ValidationError::new(
            field,
            "must not contain whitespace or control characters",
        ));
    }
    Ok(())
}

/// `expires_in_days`: 1..=365.
pub(crate) fn expires_in_days(field: impl Into<Field>, days: u32) -> Result<(), ValidationError> {
    if (1..=365).contains(&days) {
        Ok(())
    } else {
        Err(ValidationError::new(field, "must be between 1 and 365"))
    }
}

/// An absolute `http(s)` URL with a host, or a path starting with `/`. A leading `//` is
/// refused: browsers read it as a protocol-relative URL pointing at another host.
pub(crate) fn redirect_url(field: impl Into<Field>, value: &str) -> Result<(), ValidationError> {
    const RULE: &str = "must be an absolute http(s) URL or a path starting with `/`";
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(field, RULE));
    }
    if value.starts_with('/') {
        if value.starts_with("//") || value.starts_with("/\\") {
            return Err(ValidationError::new(
                field,
                "must not start with `//` (a protocol-relative URL to another host)",
            ));
        }
        return Ok(());
    }
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(ValidationError::new(field, RULE)),
    }
}

/// Metadata must be a JSON object; returns it as a map.
pub(crate) fn metadata(
    field: impl Into<Field>,
    value: Value,
) -> Result<Map<String, Value>, ValidationError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ValidationError::new(field, "must be a JSON object")),
    }
}

/// A bulk request: 1..=10 invitations.
pub(crate) fn bulk_size(len: usize) -> Result<(), ValidationError> {
    if (1..=MAX_BULK_SIZE).contains(&len) {
        Ok(())
    } else {
        Err(ValidationError::new(
            "invitations",
            "must hold between 1 and 10 invitations",
        ))
    }
}

/// A page size: 1..=500.
pub(crate) fn limit(value: u64) -> Result<(), ValidationError> {
    if (1..=MAX_LIMIT).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new("limit", "must be between 1 and 500"))
    }
}

/// `order_by`: a field name with an optional `+`/`-` prefix, e.g. `-created_at`.
pub(crate) fn order_by(value: &str) -> Result<(), ValidationError> {
    let name = value.strip_prefix(['+', '-']).unwrap_or(value);
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        Ok(())
    } else {
        Err(ValidationError::new(
            "order_by",
            "must be a field name with an optional `+` or `-` prefix, e.g. `-created_at`",
        ))
    }
}

/// How many values one of Clerk's list filters takes (`user_id`, `email_address`, `role`, ...):
/// "Accepts up to 100", says the spec of each.
pub(crate) const MAX_FILTER_VALUES: usize = 100;

/// The values of one repeated list filter: at most [`MAX_FILTER_VALUES`], each a
/// [`key`] (non-empty, no whitespace or control characters).
pub(crate) fn filter_values(field: &'static str, values: &[String]) -> Result<(), ValidationError> {
    if values.len() > MAX_FILTER_VALUES {
        return Err(ValidationError::new(
            field,
            "must hold at most 100 values (Clerk's limit per filter)",
        ));
    }
    values.iter().try_for_each(|value| key(field, value))
}

/// A user id in the `user_id` filter of a membership list: an [`id`] that does not start with
/// `+` or `-`, which Clerk reads as "include" or "exclude" (the builder adds them itself).
pub(crate) fn filter_user_id(value: &str) -> Result<(), ValidationError> {
    id("user_id", value)?;
    if value.starts_with(['+', '-']) {
        return Err(ValidationError::new(
            "user_id",
            "must not start with `+` or `-` (use `user_id` or `exclude_user_id`)",
        ));
    }
    Ok(())
}

/// A list's `order_by` and `limit`, when set.
pub(crate) fn list_options(
    order_by: Option<&str>,
    limit: Option<u64>,
) -> Result<(), ValidationError> {
    if let Some(order_by) = order_by {
        self::order_by(order_by)?;
    }
    if let Some(limit) = limit {
        self::limit(limit)?;
    }
    Ok(())
}

/// Free text sent as a query parameter (a search term): no control characters.
pub(crate) fn text(field: impl Into<Field>, value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        Err(ValidationError::new(
            field,
            "must not contain control characters",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_agrees_with_the_unicode_rule() {
        for byte in 0u8..=0x7f {
            let c = char::from(byte);
            let text = format!("a{c}b");
            assert_eq!(
                has_space_or_control(&text),
                c.is_whitespace() || c.is_control(),
                "{byte:#x}"
            );
        }
        for text in ["é\u{a0}", "\u{85}x", "\u{2028}", "é\u{9f}"] {
            assert!(has_space_or_control(text), "{text:?}");
        }
        assert!(!has_space_or_control("user_é"));
    }

    /// Asserts that `check` accepts every `good` value and refuses every `bad` one.
    fn sorts(check: impl Fn(&str) -> Result<(), ValidationError>, good: &[&str], bad: &[&str]) {
        for value in good {
            assert!(check(value).is_ok(), "{value:?}");
        }
        for value in bad {
            assert!(check(value).is_err(), "{value:?}");
        }
    }

    #[test]
    fn emails() {
        sorts(
            |value| email("e", value),
            &[
                "a@b.co",
                "first.last+tag@sub.example.org",
                "o'brien@example.ie",
                "δοκιμή@παράδειγμα.δοκιμή",
            ],
            &[
                "", "a", "@b.co", "a@b", "a@@b.co", "a b@c.co", "a@b.", "a@.co", "a@-b.co",
                "a@b..co", "a\n@b.co",
            ],
        );
    }

    #[test]
    fn ids() {
        sorts(
            |value| id("id", value),
            &["org_123", "a", "../users", "a%2Fb", "..."],
            &[
                "",
                ".",
                "..",
                "org 1",
                "org\t1",
                "org\u{7f}",
                "org\u{200b}\n",
            ],
        );
    }

    #[test]
    fn redirect_urls() {
        sorts(
            |value| redirect_url("r", value),
            &[
                "https://app.example.com/accept",
                "http://localhost:3000/x?y=1",
                "/accept",
                "/",
            ],
            &[
                "",
                "accept",
                "//evil.example.com/x",
                "/\\evil.example.com",
                "javascript:alert(1)",
                "ftp://example.com/",
                "https://",
                "mailto:a@b.co",
            ],
        );
    }

    #[test]
    fn order_bys() {
        sorts(
            order_by,
            &["created_at", "-created_at", "+email_address"],
            &["", "-", "created at", "name;drop", "--created_at"],
        );
    }

    #[test]
    fn ranges() {
        assert!(expires_in_days("d", 0).is_err());
        assert!(expires_in_days("d", 1).is_ok());
        assert!(expires_in_days("d", 365).is_ok());
        assert!(expires_in_days("d", 366).is_err());
        assert!(limit(0).is_err());
        assert!(limit(500).is_ok());
        assert!(limit(501).is_err());
        assert!(bulk_size(0).is_err());
        assert!(bulk_size(10).is_ok());
        assert!(bulk_size(11).is_err());
    }

    #[test]
    fn filters() {
        let many = |n: usize| (0..n).map(|i| format!("user_{i}")).collect::<Vec<_>>();
        assert!(filter_values("role", &many(100)).is_ok());
        assert!(filter_values("role", &many(101)).is_err());
        assert!(filter_values("role", &["org:admin".into(), String::new()]).is_err());
        assert!(filter_values("email_address", &["a b@c.co".into()]).is_err());
        sorts(
            filter_user_id,
            &["user_1", "user+1"],
            &["", "+user_1", "-user_1", "user 1", ".."],
        );
    }
}
