//! The wire under every operation: the generated bindings (and, for the one route they lack, a
//! hand-written request with the same semantics), and the mapping of their errors onto
//! [`Error`].
//!
//! Every non-2xx answer arrives from the bindings as an untouched response; it is turned into
//! [`ApiError`] here, once, with its status, Clerk's error list, trace id and `Retry-After`.

use std::time::Duration;

use clerk_bapi_sys::ResponseValue;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::retry_after;
use crate::error::{
    ApiError, DecodeError, Error, ErrorCode, ErrorDetail, Phase, TransportError, ValidationError,
};
use crate::operation::Operation;

/// The bindings' error type.
pub(crate) type SysError = clerk_bapi_sys::Error<()>;

/// Raw bodies kept on errors are cut at this size, so a proxy's multi-megabyte page cannot pin
/// memory in an error that is logged and stored.
pub(crate) const MAX_RAW_BODY: usize = 64 * 1024;

/// An error answer is read up to this size and no further (Clerk's own are a few hundred
/// bytes), so a proxy's endless page costs neither memory nor time.
pub(crate) const MAX_ERROR_BODY: usize = 1024 * 1024;

/// The header carrying Clerk's trace id.
const TRACE_ID_HEADER: &str = "x-clerk-trace-id";

/// What an operation's request closure gets: the bindings and the shared HTTP client behind
/// them (one connection pool). No `Debug`: it holds the authorization header.
pub(crate) struct Transport {
    pub(crate) sys: clerk_bapi_sys::Client,
    pub(crate) http: reqwest::Client,
    /// `<base>/v1`, without a trailing slash.
    pub(crate) api_base: String,
}

impl Transport {
    /// The bindings and the HTTP client for `<base_url>/v1`, sharing one connection pool.
    pub(crate) fn new(base_url: &str, http: reqwest::Client) -> Self {
        let api_base = format!("{base_url}/v1");
        Self {
            sys: clerk_bapi_sys::Client::new_with_client(&api_base, http.clone()),
            http,
            api_base,
        }
    }

    /// `GET <api_base>/<segments...>?query` for a route the `organization-invitations` bindings
    /// do not generate. It mirrors what the bindings do (headers, only 200 is decoded, every
    /// other status is returned untouched) so [`settle`] maps it exactly the same way.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&'static str, String)],
    ) -> Result<ResponseValue<T>, SysError> {
        let mut url = String::with_capacity(self.api_base.len() + 64);
        url.push_str(&self.api_base);
        for segment in segments {
            url.push('/');
            url.extend(url::form_urlencoded::byte_serialize(segment.as_bytes()));
        }
        let response = self
            .http
            .get(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(
                clerk_bapi_sys::CLERK_API_VERSION_HEADER,
                HeaderValue::from_static(clerk_bapi_sys::CLERK_API_VERSION),
            )
            .query(query)
            .send()
            .await
            .map_err(SysError::CommunicationError)?;
        // The same cap the bindings put on every body, so this route cannot be the one that
        // reads a runaway answer whole.
        let response = clerk_bapi_sys::limit_body(response, clerk_bapi_sys::MAX_RESPONSE_BODY);
        if response.status() != StatusCode::OK {
            return Err(SysError::UnexpectedResponse(response));
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(SysError::ResponseBodyError)?;
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
            Err(e) => Err(SysError::InvalidResponsePayload(body, e)),
        }
    }
}

/// Turns the bindings' result into ours. Async because an error answer's body is read here.
pub(crate) async fn settle<T: DeserializeOwned>(
    operation: Operation,
    result: Result<ResponseValue<T>, SysError>,
) -> Result<ResponseValue<T>, Error> {
    match result {
        Ok(value) => Ok(value),
        Err(SysError::UnexpectedResponse(response)) => from_response(operation, response).await,
        Err(SysError::CommunicationError(source) | SysError::InvalidUpgrade(source)) => {
            let phase = if source.is_connect() {
                Phase::Connect
            } else {
                Phase::Request
            };
            Err(transport(operation, phase, None, source))
        }
        // The bindings only read (and fail to read) the body of a 200.
        Err(SysError::ResponseBodyError(source)) => Err(transport(
            operation,
            Phase::ResponseBody,
            Some(StatusCode::OK),
            source,
        )),
        Err(SysError::InvalidResponsePayload(body, source)) => {
            Err(Error::Decode(Box::new(DecodeError {
                operation,
                status: StatusCode::OK,
                body: capped(&body).to_vec(),
                trace_id: None,
                source,
            })))
        }
        Err(SysError::ErrorResponse(response)) => Err(api_error(ApiError {
            operation,
            status: response.status(),
            errors: Vec::new(),
            meta: Map::new(),
            trace_id: header_trace_id(response.headers()),
            retry_after: retry_after::from_headers(response.headers()),
            raw_body: None,
            body_cut: false,
        })),
        // Only reachable if a builder was left incomplete or a hook failed: a bug here, not a
        // network event, and nothing was sent.
        Err(SysError::InvalidRequest(message) | SysError::Custom(message)) => Err(
            Error::InvalidRequest(ValidationError::new("request", message)),
        ),
    }
}

fn transport(
    operation: Operation,
    phase: Phase,
    status: Option<StatusCode>,
    source: reqwest::Error,
) -> Error {
    let error = TransportError {
        operation,
        phase,
        status,
        source,
    };
    if error.source.is_timeout() {
        Error::Timeout(error)
    } else {
        Error::Transport(error)
    }
}

fn api_error(error: ApiError) -> Error {
    if error.status == StatusCode::TOO_MANY_REQUESTS {
        Error::RateLimited(Box::new(error))
    } else {
        Error::Api(Box::new(error))
    }
}

fn header_trace_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(TRACE_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

fn capped(body: &[u8]) -> &[u8] {
    &body[..body.len().min(MAX_RAW_BODY)]
}

/// Reads at most `max` bytes of the body; `true` with them when there was more. The rest is
/// never read: dropping the response closes its connection instead of draining it.
async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// Clerk's error envelope, read leniently: a missing `long_message` or a `null` meta must not
/// turn a clear Clerk error into "unreadable body".
#[derive(Deserialize)]
struct Envelope {
    errors: Vec<EnvelopeError>,
    #[serde(default)]
    clerk_trace_id: Option<String>,
    #[serde(default)]
    meta: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct EnvelopeError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    long_message: Option<String>,
    #[serde(default)]
    meta: Option<Map<String, Value>>,
}

/// A response the bindings did not decode: any status but their one documented 200.
async fn from_response<T: DeserializeOwned>(
    operation: Operation,
    response: reqwest::Response,
) -> Result<ResponseValue<T>, Error> {
    let status = response.status();
    let trace_id = header_trace_id(response.headers());
    let retry_after: Option<Duration> = retry_after::from_headers(response.headers());
    let headers = status.is_success().then(|| response.headers().clone());
    // A success body is read whole, up to the bindings' cap; an error answer only up to
    // `MAX_ERROR_BODY`, past which it is cut and the connection dropped with the response.
    let read = if status.is_success() {
        response.bytes().await.map(|body| (body.to_vec(), false))
    } else {
        read_capped(response, MAX_ERROR_BODY).await
    };
    let (body, body_cut) = match read {
        Ok(read) => read,
        Err(source) => {
            return Err(transport(
                operation,
                Phase::ResponseBody,
                Some(status),
                source,
            ));
        }
    };

    if let Some(headers) = headers {
        // Another 2xx than the documented 200 (say Clerk moves to 201): still a success.
        return match serde_json::from_slice(&body) {
            Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
            Err(source) => Err(Error::Decode(Box::new(DecodeError {
                operation,
                status,
                body: capped(&body).to_vec(),
                trace_id,
                source,
            }))),
        };
    }

    let envelope = serde_json::from_slice::<Envelope>(&body)
        .ok()
        .filter(|envelope| !envelope.errors.is_empty());
    let error = match envelope {
        Some(envelope) => ApiError {
            operation,
            status,
            errors: envelope
                .errors
                .into_iter()
                .map(|e| ErrorDetail {
                    code: ErrorCode::parse(e.code.as_deref().unwrap_or("")),
                    message: e.message.unwrap_or_default(),
                    long_message: e.long_message.unwrap_or_default(),
                    meta: e.meta.unwrap_or_default(),
                })
                .collect(),
            meta: envelope.meta.unwrap_or_default(),
            trace_id: envelope
                .clerk_trace_id
                .filter(|id| !id.is_empty())
                .or(trace_id),
            retry_after,
            raw_body: None,
            body_cut,
        },
        None => ApiError {
            operation,
            status,
            errors: Vec::new(),
            meta: Map::new(),
            trace_id,
            retry_after,
            raw_body: Some(String::from_utf8_lossy(capped(&body)).into_owned()),
            body_cut,
        },
    };
    Err(api_error(error))
}
