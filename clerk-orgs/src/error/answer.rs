//! What came back, or broke, on the wire: Clerk's error answers ([`ApiError`]), network
//! failures ([`TransportError`]) and success bodies that do not decode ([`DecodeError`]).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Delivery, ErrorCode};
use crate::operation::Operation;

/// One entry of Clerk's error envelope (`{"errors": [...]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The machine-readable code.
    pub code: ErrorCode,
    /// A short message, e.g. `duplicate invitation`.
    pub message: String,
    /// A full sentence for people.
    pub long_message: String,
    /// Details such as `param_name` or `email_addresses`.
    #[serde(default)]
    pub meta: Map<String, Value>,
}

/// Clerk's answer with an error status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub(crate) operation: Operation,
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<ErrorDetail>,
    pub(crate) meta: Map<String, Value>,
    pub(crate) trace_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) raw_body: Option<String>,
    /// The body went past `http::MAX_ERROR_BODY`: reading stopped there and the connection was
    /// dropped.
    pub(crate) body_cut: bool,
}

impl ApiError {
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Each error Clerk listed; empty when the body was not Clerk's JSON (see [`Self::raw_body`]).
    pub fn errors(&self) -> &[ErrorDetail] {
        &self.errors
    }

    /// The envelope's top-level `meta`.
    pub fn meta(&self) -> &Map<String, Value> {
        &self.meta
    }

    /// Clerk's trace id, from the body or else the `x-clerk-trace-id` header.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// The `Retry-After` delay, if the response had a parsable one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The body as received when it was not Clerk's error JSON (an HTML page from a proxy, an
    /// empty body, ...), lossily decoded and cut at 64 KiB.
    pub fn raw_body(&self) -> Option<&str> {
        self.raw_body.as_deref()
    }

    /// Whether the body was longer than this client reads of an error answer (1 MiB): reading
    /// stopped there, the connection was dropped, and only its start is in [`Self::raw_body`].
    pub fn is_body_cut(&self) -> bool {
        self.body_cut
    }
}

/// Clerk's messages are sentences, but nothing guarantees a single line; `Display` must be one.
fn one_line(text: &str) -> Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        Cow::Owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
    } else {
        Cow::Borrowed(text)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.operation)?;
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            f.write_str("rate limited by Clerk")?;
            if let Some(wait) = self.retry_after {
                write!(f, ", retry after {}s", wait.as_secs())?;
            }
            f.write_str(": ")?;
        }
        if self.errors.is_empty() {
            let body = match self.raw_body.as_deref() {
                None | Some("") => "an empty body",
                Some(body) if body.trim_start().starts_with('<') => "an HTML page",
                Some(_) => "a body that is not Clerk's error JSON",
            };
            write!(f, "Clerk answered HTTP {} with {body}", self.status)?;
            if self.body_cut {
                f.write_str(" (over 1 MiB; cut)")?;
            }
        } else {
            for (n, detail) in self.errors.iter().enumerate() {
                if n > 0 {
                    f.write_str("; ")?;
                }
                let text = if detail.long_message.is_empty() {
                    &detail.message
                } else {
                    &detail.long_message
                };
                write!(f, "{} [{}]", one_line(text), detail.code)?;
            }
            write!(f, " (HTTP {}", self.status.as_u16())?;
            f.write_str(")")?;
        }
        match &self.trace_id {
            Some(trace_id) => write!(f, " (trace id {trace_id})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ApiError {}

/// Where in the exchange a network failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Establishing the connection (DNS, TCP, TLS): the request was not sent.
    Connect,
    /// Sending the request or waiting for the response head: the request may have arrived.
    Request,
    /// Reading the response body, after the status arrived.
    ResponseBody,
}

/// A timeout or connection failure.
#[derive(Debug)]
pub struct TransportError {
    pub(crate) operation: Operation,
    pub(crate) phase: Phase,
    pub(crate) status: Option<StatusCode>,
    pub(crate) source: reqwest::Error,
}

impl TransportError {
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Where the exchange broke off.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the answer's body was longer than the client reads (16 MiB for a success,
    /// see `clerk_bapi_sys::MAX_RESPONSE_BODY`): reading stopped there and the connection was
    /// dropped.
    pub fn is_body_too_large(&self) -> bool {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&self.source);
        while let Some(error) = source {
            if error.is::<clerk_bapi_sys::BodyTooLarge>() {
                return true;
            }
            source = error.source();
        }
        false
    }

    /// Whether Clerk could have acted on the request.
    pub fn delivery(&self) -> Delivery {
        match (self.phase, self.status) {
            (Phase::Connect, _) => Delivery::NotSent,
            (Phase::ResponseBody, Some(status)) if status.is_success() => Delivery::Processed,
            (Phase::ResponseBody, Some(status)) if status.is_client_error() => Delivery::Rejected,
            _ => Delivery::Unknown,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let timed_out = self.source.is_timeout();
        let what = match (self.phase, timed_out) {
            (Phase::Connect, true) => "timed out connecting to Clerk; nothing was sent",
            (Phase::Connect, false) => "could not connect to Clerk; nothing was sent",
            (Phase::Request, true) => {
                "Clerk did not answer in time; the request may have been processed"
            }
            (Phase::Request, false) => {
                "the connection to Clerk failed before an answer; the request may have been processed"
            }
            (Phase::ResponseBody, true) => "timed out reading Clerk's answer",
            (Phase::ResponseBody, false) if self.is_body_too_large() => {
                "Clerk's answer was too large to read; it was cut and the connection dropped"
            }
            (Phase::ResponseBody, false) => "the connection broke while reading Clerk's answer",
        };
        write!(f, "{}: {what}", self.operation)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {})", status.as_u16())?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A success status whose body does not decode.
#[derive(Debug)]
pub struct DecodeError {
    pub(crate) operation: Operation,
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(crate) trace_id: Option<String>,
    pub(crate) source: serde_json::Error,
}

impl DecodeError {
    /// A list answer that contradicts the request or the pages before it: each page decoded,
    /// but cannot be what was asked (the server ignored `offset`, or a filter). `source` says
    /// how.
    pub(crate) fn contradiction(operation: Operation, how: String) -> Self {
        Self {
            operation,
            status: StatusCode::OK,
            body: Vec::new(),
            trace_id: None,
            source: <serde_json::Error as serde::de::Error>::custom(how),
        }
    }

    /// The operation whose answer did not decode.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The success status Clerk sent.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body as received (cut at 64 KiB).
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: Clerk answered HTTP {} (the request was processed) with a body this client cannot decode",
            self.operation,
            self.status.as_u16()
        )?;
        match &self.trace_id {
            Some(trace_id) => write!(f, " (trace id {trace_id})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
