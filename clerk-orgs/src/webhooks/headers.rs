//! [`WebhookHeaders`]: how [`Webhook::verify`](super::Webhook::verify) reads headers, so it
//! works with any server framework.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// Read access to a request's headers.
///
/// Implemented for [`http::HeaderMap`] (what axum, hyper, reqwest and tonic use; actix-web's
/// `HeaderMap` converts with its `iter()` into a `Vec<(&str, &[u8])>`), for `HashMap` and
/// `BTreeMap` of `String` to `String`, and for slices, arrays and vectors of `(name, value)`
/// pairs. Names are matched ASCII case-insensitively everywhere. Implement it for anything
/// else in a few lines.
///
/// Values are bytes: the id and timestamp are signed as the bytes that arrived, and a
/// non-UTF-8 value is reported as malformed rather than as missing.
pub trait WebhookHeaders {
    /// The first value of header `name` (given in lowercase, e.g. `svix-id`), if present.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl WebhookHeaders for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        use http::HeaderName;
        // The names verification asks for, pre-parsed: `get(&str)` would validate and
        // lowercase the name on every lookup, a measurable part of verifying a small event.
        static KNOWN: [HeaderName; 6] = [
            HeaderName::from_static("svix-id"),
            HeaderName::from_static("svix-timestamp"),
            HeaderName::from_static("svix-signature"),
            HeaderName::from_static("webhook-id"),
            HeaderName::from_static("webhook-timestamp"),
            HeaderName::from_static("webhook-signature"),
        ];
        // HeaderMap stores names in lowercase, so the lookup is already case-insensitive.
        match KNOWN.iter().find(|known| known.as_str() == name) {
            Some(known) => self.get(known),
            None => self.get(name),
        }
        .map(http::HeaderValue::as_bytes)
    }
}

impl<S: BuildHasher> WebhookHeaders for HashMap<String, String, S> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        exact_or_any_case(self.get(name), self.iter(), name)
    }
}

impl WebhookHeaders for BTreeMap<String, String> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        exact_or_any_case(self.get(name), self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(key, _)| key.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> WebhookHeaders for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<T: WebhookHeaders + ?Sized> WebhookHeaders for &T {
    fn header(&self, name: &str) -> Option<&[u8]> {
        (**self).header(name)
    }
}

/// `exact`, else the value of the first entry whose name matches `name` ignoring case.
fn exact_or_any_case<'a>(
    exact: Option<&'a String>,
    mut entries: impl Iterator<Item = (&'a String, &'a String)>,
    name: &str,
) -> Option<&'a [u8]> {
    exact
        .or_else(|| {
            entries
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        })
        .map(String::as_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_map_finds_known_and_other_names() {
        let mut map = http::HeaderMap::new();
        map.insert("webhook-id", http::HeaderValue::from_static("msg_1"));
        map.insert("x-other", http::HeaderValue::from_static("yes"));
        assert_eq!(map.header("webhook-id"), Some(&b"msg_1"[..]));
        assert_eq!(map.header("x-other"), Some(&b"yes"[..]));
        assert_eq!(map.header("svix-id"), None);
        assert_eq!(map.header("not a header name"), None);
    }
}
