//! [`WebhookError`]: why a webhook was refused, one variant per cause.

use std::fmt;

/// One of the three signature headers, each accepted under its Svix name (`svix-id`) or its
/// Standard Webhooks name (`webhook-id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookHeader {
    /// `svix-id` / `webhook-id`: the message id, the same on every retry of one message.
    Id,
    /// `svix-timestamp` / `webhook-timestamp`: Unix seconds when the attempt was signed.
    Timestamp,
    /// `svix-signature` / `webhook-signature`: space-separated `v1,<base64>` signatures.
    Signature,
}

impl WebhookHeader {
    /// The name Clerk sends (Svix's), e.g. `svix-id`.
    pub fn svix_name(self) -> &'static str {
        match self {
            WebhookHeader::Id => "svix-id",
            WebhookHeader::Timestamp => "svix-timestamp",
            WebhookHeader::Signature => "svix-signature",
        }
    }

    /// The Standard Webhooks name, e.g. `webhook-id`.
    pub fn standard_name(self) -> &'static str {
        match self {
            WebhookHeader::Id => "webhook-id",
            WebhookHeader::Timestamp => "webhook-timestamp",
            WebhookHeader::Signature => "webhook-signature",
        }
    }
}

impl fmt::Display for WebhookHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` (or `{}`)", self.svix_name(), self.standard_name())
    }
}

/// Why a webhook signing secret was refused or a webhook was not verified.
///
/// No variant holds or prints the signing secret, or any part of it (a base64 decoding error
/// would name the offending byte, so it is not kept).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// [`Webhook::from_env`](super::Webhook::from_env) found the variable unset or empty.
    #[error(
        "the webhook signing secret is not set: set {var} to the `whsec_...` secret of the endpoint in the Clerk Dashboard"
    )]
    SecretNotSet {
        /// The variable read, `CLERK_WEBHOOK_SIGNING_SECRET`.
        var: &'static str,
    },
    /// The signing secret is not `whsec_<base64>` (nor bare base64).
    #[error(
        "invalid webhook signing secret: {reason}; expected `whsec_` followed by base64, as the Clerk Dashboard shows it"
    )]
    InvalidSecret {
        /// What is wrong with it, never the secret itself.
        reason: &'static str,
    },
    /// A signature header is absent under both of its names.
    #[error("missing webhook header {header}")]
    MissingHeader {
        /// The header missing.
        header: WebhookHeader,
    },
    /// A signature header is present but malformed, e.g. a timestamp that is not a number.
    #[error("invalid webhook header {header}: {reason}")]
    InvalidHeader {
        /// The malformed header.
        header: WebhookHeader,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No `v1` signature in the signature header matches: a wrong signing secret, or a body,
    /// id or timestamp changed on the way.
    #[error(
        "no webhook signature matches ({checked} `v1` signature(s) checked): wrong signing secret, or the body or headers were altered"
    )]
    NoMatchingSignature {
        /// How many `v1` entries the header had (other versions are ignored).
        checked: usize,
    },
    /// Signed more than the tolerance ago: a replay, a long delay, or a slow clock here.
    #[error("webhook timestamp {timestamp} is {} s before now ({now}), more than the {} s allowed", seconds_between(.timestamp, .now), tolerance_secs())]
    TimestampTooOld {
        /// The signed timestamp, Unix seconds.
        timestamp: i64,
        /// The time it was checked against, Unix seconds.
        now: i64,
    },
    /// Signed more than the tolerance in the future: a forged timestamp, or a fast clock here.
    #[error("webhook timestamp {timestamp} is {} s after now ({now}), more than the {} s allowed", seconds_between(.now, .timestamp), tolerance_secs())]
    TimestampInFuture {
        /// The signed timestamp, Unix seconds.
        timestamp: i64,
        /// The time it was checked against, Unix seconds.
        now: i64,
    },
    /// The body is larger than [`Webhook::max_body_bytes`](super::Webhook::max_body_bytes);
    /// refused before hashing it.
    #[error("webhook body is {len} bytes, more than the {limit} allowed")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The signature matched but the body is not a Clerk event: not JSON, no `type`, or (for
    /// an event type this crate types) `data` missing a field it cannot do without. The
    /// source is serde's error, with a line and column.
    #[error("webhook body is not a valid Clerk event{}", type_suffix(.event_type))]
    InvalidPayload {
        /// The event's `type`, when the envelope could be read.
        event_type: Option<String>,
        /// What did not parse.
        #[source]
        source: serde_json::Error,
    },
}

impl WebhookError {
    /// The header that is missing or malformed, if that is the cause.
    pub fn header(&self) -> Option<WebhookHeader> {
        match self {
            WebhookError::MissingHeader { header } | WebhookError::InvalidHeader { header, .. } => {
                Some(*header)
            }
            _ => None,
        }
    }

    /// Whether the signing secret is unset or malformed: a configuration error on the
    /// receiving side, not a bad request.
    pub fn is_secret_error(&self) -> bool {
        matches!(
            self,
            WebhookError::SecretNotSet { .. } | WebhookError::InvalidSecret { .. }
        )
    }

    /// Whether no signature matched.
    pub fn is_signature_mismatch(&self) -> bool {
        matches!(self, WebhookError::NoMatchingSignature { .. })
    }

    /// Whether the timestamp is outside the tolerance (too old or in the future).
    pub fn is_timestamp_out_of_tolerance(&self) -> bool {
        matches!(
            self,
            WebhookError::TimestampTooOld { .. } | WebhookError::TimestampInFuture { .. }
        )
    }

    /// Whether the message was authentic but its body could not be read as a Clerk event.
    /// Clerk retries a refused message, so this is worth an alert rather than a silent 400.
    pub fn is_invalid_payload(&self) -> bool {
        matches!(self, WebhookError::InvalidPayload { .. })
    }
}

fn seconds_between(earlier: &i64, later: &i64) -> i64 {
    later.saturating_sub(*earlier)
}

fn tolerance_secs() -> u64 {
    super::TIMESTAMP_TOLERANCE.as_secs()
}

fn type_suffix(event_type: &Option<String>) -> String {
    match event_type {
        Some(event_type) => format!(" of type `{event_type}`"),
        None => String::new(),
    }
}
