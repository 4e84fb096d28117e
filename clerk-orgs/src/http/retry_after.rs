//! Parsing `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP date.
//!
//! A date is turned into a delay against a reference time: the response's own `Date` header when
//! it has one (so a skewed local clock does not stretch or shrink the wait), otherwise the local
//! clock. A date in the past means "retry now" (zero). Anything unparsable yields `None` rather
//! than an error: a bad hint must not hide the 429 or 503 it came with.

use std::time::{Duration, SystemTime};

use reqwest::header::{DATE, HeaderMap, RETRY_AFTER};

/// Parses one `Retry-After` value relative to `now`.
pub(crate) fn parse(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values instead of failing; a retry policy caps them anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a response, if present and parsable.
pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    let now = headers
        .get(DATE)
        .and_then(|date| date.to_str().ok())
        .and_then(|date| httpdate::parse_http_date(date).ok())
        .unwrap_or_else(SystemTime::now);
    parse(value, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// 2026-01-01T00:00:00Z.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
    }

    #[test]
    fn parses_seconds_and_every_http_date_form() {
        let table: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("120", Some(120)),
            (" 7 ", Some(7)),
            ("99999999999999999999999", Some(u64::MAX)),
            // IMF-fixdate, the form servers must send.
            ("Thu, 01 Jan 2026 00:02:00 GMT", Some(120)),
            // Obsolete RFC 850 and asctime forms, which recipients must still accept.
            ("Thursday, 01-Jan-26 00:00:30 GMT", Some(30)),
            ("Thu Jan  1 00:01:00 2026", Some(60)),
            // In the past: retry now.
            ("Wed, 31 Dec 2025 23:59:00 GMT", Some(0)),
            ("", None),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("Thu, 32 Jan 2026 00:00:00 GMT", None),
        ];
        for (value, expected) in table {
            assert_eq!(
                parse(value, now()),
                expected.map(Duration::from_secs),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_date_is_measured_from_the_responses_date_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Thu, 01 Jan 2026 00:00:45 GMT"),
        );
        headers.insert(
            DATE,
            HeaderValue::from_static("Thu, 01 Jan 2026 00:00:00 GMT"),
        );
        assert_eq!(from_headers(&headers), Some(Duration::from_secs(45)));

        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(from_headers(&headers), Some(Duration::from_secs(3)));

        assert_eq!(from_headers(&HeaderMap::new()), None);
    }
}
