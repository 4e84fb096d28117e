//! [`Webhook`]: the signing secret and the Standard Webhooks / Svix verification.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use super::{
    DEFAULT_MAX_BODY_BYTES, SIGNING_SECRET_ENV, TIMESTAMP_TOLERANCE, VerifiedEvent, WebhookError,
    WebhookHeader, WebhookHeaders, event,
};

type HmacSha256 = Hmac<Sha256>;

/// What the signing secret starts with in the Clerk Dashboard (and every Svix secret).
const SECRET_PREFIX: &str = "whsec_";

/// Verifies Clerk's webhooks with an endpoint's signing secret.
///
/// Cheap to clone (the key is shared, not copied) and safe to share between threads. Its
/// `Debug` shows the body limit, never the key.
#[derive(Clone)]
pub struct Webhook {
    // The decoded key, zeroized on drop; an Arc so clones (e.g. axum state) share one copy.
    key: Arc<SecretSlice<u8>>,
    max_body_bytes: usize,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("key", &"[REDACTED]")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl Webhook {
    /// A verifier for the signing secret `whsec_<base64>` shown in the Clerk Dashboard. Bare
    /// base64 (without `whsec_`) is accepted too, as the Svix libraries do, and surrounding
    /// whitespace (a trailing newline from a secrets file) is ignored.
    ///
    /// # Errors
    ///
    /// [`WebhookError::InvalidSecret`] when the rest is empty or not standard, padded base64.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let secret = secret.trim();
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        if encoded.is_empty() {
            return Err(WebhookError::InvalidSecret {
                reason: "it is empty",
            });
        }
        // Zeroizing wipes the decoding buffer, including spare capacity, once copied out.
        let decoded = Zeroizing::new(STANDARD.decode(encoded).map_err(|_| {
            // base64's error names the offending byte and offset: a piece of the secret.
            WebhookError::InvalidSecret {
                reason: "it is not valid base64",
            }
        })?);
        Ok(Self {
            key: Arc::new(SecretSlice::from(decoded.to_vec())),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// A verifier for the secret in `CLERK_WEBHOOK_SIGNING_SECRET`, the variable Clerk's own
    /// SDKs read.
    ///
    /// # Errors
    ///
    /// [`WebhookError::SecretNotSet`] when it is unset, empty or not Unicode;
    /// [`WebhookError::InvalidSecret`] as for [`Webhook::new`].
    pub fn from_env() -> Result<Self, WebhookError> {
        let not_set = WebhookError::SecretNotSet {
            var: SIGNING_SECRET_ENV,
        };
        let secret = Zeroizing::new(std::env::var(SIGNING_SECRET_ENV).map_err(|_| not_set)?);
        if secret.trim().is_empty() {
            return Err(WebhookError::SecretNotSet {
                var: SIGNING_SECRET_ENV,
            });
        }
        Self::new(&secret)
    }

    /// Sets the largest body accepted, in bytes ([`DEFAULT_MAX_BODY_BYTES`], 1 MiB, unless
    /// set). Larger bodies are refused before they are hashed or parsed.
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The largest body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Verifies a webhook against the current time and parses its event.
    ///
    /// `headers` is anything implementing [`WebhookHeaders`] (an `http::HeaderMap`, a map or a
    /// list of pairs); `body` must be the raw bytes as received, before any JSON parsing.
    ///
    /// # Errors
    ///
    /// Every way it can fail is a [`WebhookError`] variant; answer them with a 4xx (Clerk then
    /// retries) and never process the body.
    pub fn verify<H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<VerifiedEvent, WebhookError> {
        self.verify_at(headers, body, Utc::now())
    }

    /// [`Webhook::verify`] against `now` instead of the clock: for tests and replays of
    /// recorded messages.
    ///
    /// In order: the three headers must be present (`svix-*` or `webhook-*`), the timestamp
    /// a number within [`TIMESTAMP_TOLERANCE`] of `now` either way, the body no larger than
    /// [`Webhook::max_body_bytes`]; then one `v1` signature must match the HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}` (compared in constant time); only then is the body parsed.
    ///
    /// # Errors
    ///
    /// As for [`Webhook::verify`].
    pub fn verify_at<H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedEvent, WebhookError> {
        let id = required(headers, WebhookHeader::Id)?;
        let raw_timestamp = required(headers, WebhookHeader::Timestamp)?;
        let signatures = required(headers, WebhookHeader::Signature)?;

        let id = std::str::from_utf8(id).map_err(|_| WebhookError::InvalidHeader {
            header: WebhookHeader::Id,
            reason: "not UTF-8",
        })?;
        let timestamp = parse_timestamp(raw_timestamp)?;
        check_tolerance(timestamp, now.timestamp())?;

        // Before hashing: a forged, huge body must cost nothing but this comparison.
        if body.len() > self.max_body_bytes {
            return Err(WebhookError::BodyTooLarge {
                len: body.len(),
                limit: self.max_body_bytes,
            });
        }

        // The id and timestamp are signed as the bytes that arrived, not as re-formatted here.
        let mac = self.mac(id.as_bytes(), raw_timestamp, body)?;
        let mut checked = 0;
        let mut matched = false;
        for entry in signatures.split(|&byte| byte == b' ') {
            let Some((b"v1", encoded)) = split_once(entry, b',') else {
                continue; // other versions (e.g. v1a, asymmetric) and stray spaces
            };
            checked += 1;
            // verify_slice compares in constant time; a malformed entry simply does not match.
            // Decoded on the stack: a genuine tag is 32 bytes, and anything longer than the
            // buffer (an error here) could not match anyway.
            let mut decoded = [0u8; 64];
            if let Ok(len) = STANDARD.decode_slice(encoded, &mut decoded)
                && mac.clone().verify_slice(&decoded[..len]).is_ok()
            {
                matched = true;
                break;
            }
        }
        if !matched {
            return Err(WebhookError::NoMatchingSignature { checked });
        }

        // A timestamp that passed the tolerance check is within a few minutes of a valid
        // DateTime, so this cannot fall back in practice; `now` keeps it panic-free anyway.
        let signed_at = DateTime::from_timestamp(timestamp, 0).unwrap_or(now);
        event::parse(id.to_owned(), signed_at, body)
    }

    /// The `v1,<base64>` signature of a message: what Clerk (Svix) would send in
    /// `svix-signature`. For tests of webhook handlers; `timestamp` is Unix seconds.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        match self.mac(id.as_bytes(), timestamp.to_string().as_bytes(), body) {
            Ok(mac) => format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())),
            // HMAC takes keys of any length, so there is no error to report here.
            Err(_) => String::new(),
        }
    }

    fn mac(&self, id: &[u8], timestamp: &[u8], body: &[u8]) -> Result<HmacSha256, WebhookError> {
        let mut mac = HmacSha256::new_from_slice(self.key.expose_secret()).map_err(|_| {
            WebhookError::InvalidSecret {
                reason: "it cannot key HMAC-SHA256",
            }
        })?;
        mac.update(id);
        mac.update(b".");
        mac.update(timestamp);
        mac.update(b".");
        mac.update(body);
        Ok(mac)
    }
}

/// The header under its Svix name, else its Standard Webhooks name.
fn required<H: WebhookHeaders + ?Sized>(
    headers: &H,
    header: WebhookHeader,
) -> Result<&[u8], WebhookError> {
    headers
        .header(header.svix_name())
        .or_else(|| headers.header(header.standard_name()))
        .ok_or(WebhookError::MissingHeader { header })
}

fn parse_timestamp(raw: &[u8]) -> Result<i64, WebhookError> {
    let invalid = |reason| WebhookError::InvalidHeader {
        header: WebhookHeader::Timestamp,
        reason,
    };
    // Digits only: i64's parser would also take a sign, which no signer sends.
    if raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
        return Err(invalid("not a number of Unix seconds"));
    }
    std::str::from_utf8(raw)
        .ok()
        .and_then(|digits| digits.parse::<i64>().ok())
        .ok_or_else(|| invalid("out of range"))
}

fn check_tolerance(timestamp: i64, now: i64) -> Result<(), WebhookError> {
    // i128: no overflow whatever the header says.
    let tolerance = i128::from(TIMESTAMP_TOLERANCE.as_secs());
    let age = i128::from(now) - i128::from(timestamp);
    if age > tolerance {
        Err(WebhookError::TimestampTooOld { timestamp, now })
    } else if -age > tolerance {
        Err(WebhookError::TimestampInFuture { timestamp, now })
    } else {
        Ok(())
    }
}

fn split_once(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&byte| byte == separator)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_digits_only() {
        assert_eq!(parse_timestamp(b"1614265330").ok(), Some(1_614_265_330));
        for bad in [&b""[..], b"-5", b"+5", b"12a", b" 1", b"1.5"] {
            assert!(matches!(
                parse_timestamp(bad),
                Err(WebhookError::InvalidHeader {
                    header: WebhookHeader::Timestamp,
                    ..
                })
            ));
        }
        assert!(parse_timestamp(b"99999999999999999999").is_err());
    }

    #[test]
    fn tolerance_is_five_minutes_either_way_and_never_overflows() {
        assert!(check_tolerance(1_000, 1_300).is_ok());
        assert!(check_tolerance(1_300, 1_000).is_ok());
        assert!(matches!(
            check_tolerance(1_000, 1_301),
            Err(WebhookError::TimestampTooOld { .. })
        ));
        assert!(matches!(
            check_tolerance(1_301, 1_000),
            Err(WebhookError::TimestampInFuture { .. })
        ));
        assert!(check_tolerance(i64::MAX, i64::MIN).is_err());
        assert!(check_tolerance(i64::MIN, i64::MAX).is_err());
        // The messages compute differences too; they must not overflow either.
        let _ = check_tolerance(i64::MAX, i64::MIN).unwrap_err().to_string();
        let _ = check_tolerance(0, i64::MAX).unwrap_err().to_string();
    }

    #[test]
    fn secrets_with_and_without_prefix_are_the_same_key() {
        let with = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let without = Webhook::new("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").unwrap();
        assert_eq!(with.sign("m", 1, b"{}"), without.sign("m", 1, b"{}"));
    }

    #[test]
    fn an_overlong_candidate_does_not_match_and_does_not_stop_the_search() {
        let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"type":"user.created","data":{}}"#;
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        // 96 decoded bytes: more than the stack buffer the candidates are decoded into.
        let overlong = format!("v1,{}", STANDARD.encode([7u8; 96]));
        let genuine = webhook.sign("msg_1", 1_000, body);
        let headers = |signatures: String| {
            vec![
                ("svix-id", "msg_1".to_owned()),
                ("svix-timestamp", "1000".to_owned()),
                ("svix-signature", signatures),
            ]
        };
        assert!(matches!(
            webhook.verify_at(&headers(overlong.clone()), body, now),
            Err(WebhookError::NoMatchingSignature { checked: 1 })
        ));
        let both = headers(format!("{overlong} {genuine}"));
        assert!(webhook.verify_at(&both, body, now).is_ok());
    }

    #[test]
    fn split_once_splits_at_the_first_separator() {
        assert_eq!(split_once(b"v1,a,b", b','), Some((&b"v1"[..], &b"a,b"[..])));
        assert_eq!(split_once(b"v1", b','), None);
    }
}
