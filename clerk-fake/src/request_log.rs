//! The log of requests the fake received, for assertions such as "the client sent exactly one
//! create" or "every request carried the bearer key".
//!
//! It keeps the most recent `cap` requests so a long benchmark cannot grow memory without bound,
//! and it can be switched off entirely.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Requests kept by default.
pub const DEFAULT_LOG_CAP: usize = 10_000;

/// One request as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path and query, e.g. `/v1/organization_invitations?limit=5`.
    pub path_and_query: String,
    /// Headers in arrival order, names lowercased; values that are not UTF-8 are lossily decoded.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The fake's clock when the request arrived, Unix milliseconds.
    pub received_at_ms: i64,
}

impl LoggedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The request log of one fake instance.
#[derive(Debug)]
pub struct RequestLog {
    enabled: AtomicBool,
    entries: Mutex<Entries>,
}

#[derive(Debug)]
struct Entries {
    cap: usize,
    requests: VecDeque<LoggedRequest>,
}

impl RequestLog {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            enabled: AtomicBool::new(cap > 0),
            entries: Mutex::new(Entries {
                cap,
                requests: VecDeque::new(),
            }),
        }
    }

    /// Whether new requests are recorded; skipping the copy saves work in benchmarks.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Switches recording on or off; what is already recorded stays.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    /// The recorded requests, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().requests.iter().cloned().collect()
    }

    /// Forgets every recorded request.
    pub fn clear(&self) {
        self.lock().requests.clear();
    }

    pub(crate) fn record(&self, request: LoggedRequest) {
        let mut entries = self.lock();
        if entries.cap == 0 {
            return;
        }
        while entries.requests.len() >= entries.cap {
            entries.requests.pop_front();
        }
        entries.requests.push_back(request);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Entries stay consistent even if a holder panicked, so poison is moot.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: usize) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            path_and_query: format!("/v1/{n}"),
            headers: vec![],
            body: vec![],
            received_at_ms: 0,
        }
    }

    #[test]
    fn keeps_only_the_most_recent_cap_requests() {
        let log = RequestLog::new(2);
        for n in 0..5 {
            log.record(request(n));
        }
        let paths: Vec<_> = log
            .requests()
            .into_iter()
            .map(|r| r.path_and_query)
            .collect();
        assert_eq!(paths, ["/v1/3", "/v1/4"]);
    }
}
