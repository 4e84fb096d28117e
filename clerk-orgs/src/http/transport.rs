//! The wire under every operation: one request path over the generated routes and types, with
//! the generated bindings' semantics, and the mapping of its errors onto [`Error`].
//!
//! Every answer but the route's documented success arrives untouched; it is turned into
//! [`ApiError`] here, once, with its status, Clerk's error list, trace id and `Retry-After`.

use std::time::Duration;

use bytes::Bytes;
use clerk_bapi_sys::{ResponseValue, Route};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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

/// What an operation's request closure gets: one request path over the shared HTTP client (one
/// connection pool). No `Debug`: the client holds the authorization header.
pub(crate) struct Transport {
    http: reqwest::Client,
    /// `<base>/v1`, parsed once: every request's URL is this one with its path set, so no
    /// request parses a host again.
    api_base: Url,
}

/// One request's route, path arguments, query and body.
pub(crate) struct Call<'a> {
    /// The operation's route, generated from the spec.
    pub(crate) route: &'static Route,
    /// The values of the route's `{parameters}`, in order.
    pub(crate) args: &'a [&'a str],
    /// Query pairs; every name is one of the route's query parameters.
    pub(crate) query: &'a [(&'static str, &'a str)],
    /// The JSON body, serialized once per call and shared by its attempts.
    pub(crate) body: Option<Bytes>,
}

impl<'a> Call<'a> {
    /// A call with no query and no body.
    pub(crate) fn new(route: &'static Route, args: &'a [&'a str]) -> Self {
        Self {
            route,
            args,
            query: &[],
            body: None,
        }
    }
}

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Headers a request's map has room for from the start: ours (accept, content type, API
/// version), the client's defaults (authorization, user agent) and hyper's (host, content
/// length). A map left to grow past six would regrow, twice, on every request.
const RESERVED_HEADERS: usize = 12;

impl Transport {
    /// The request path for `<base_url>/v1` over `http`.
    pub(crate) fn new(base_url: &str, http: reqwest::Client) -> Result<Self, url::ParseError> {
        Ok(Self {
            http,
            api_base: Url::parse(&format!("{base_url}/v1"))?,
        })
    }

    /// Sends `call` and reads its answer with the generated bindings' semantics: the route's
    /// documented success status is decoded as `T` (the generated type), every other answer comes
    /// back untouched (its body capped) for [`settle`] to map, and no body is read past
    /// [`clerk_bapi_sys::MAX_RESPONSE_BODY`].
    ///
    /// Written here rather than through the generated operations: their builders cost about 12k
    /// instructions and 16 allocations a request over a plain `reqwest` call (formatting and
    /// reparsing the URL, default error strings, a copy of the body per attempt; see
    /// BENCHMARKS.md). The route itself still comes from the spec.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<ResponseValue<T>, SysError> {
        let route = call.route;
        debug_assert!(
            call.query
                .iter()
                .all(|(name, _)| route.query.contains(name)),
            "{} does not take one of {:?}",
            route.operation_id,
            call.query
        );
        let mut path = String::with_capacity(self.api_base.path().len() + route.path.len() + 48);
        path.push_str(self.api_base.path());
        route
            .write_path(&mut path, call.args)
            .map_err(|e| SysError::InvalidRequest(e.to_string()))?;
        let mut url = self.api_base.clone();
        url.set_path(&path);
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query);
        }

        let mut request = reqwest::Request::new(route.method.clone(), url);
        let headers = request.headers_mut();
        headers.reserve(RESERVED_HEADERS);
        headers.insert(ACCEPT, APPLICATION_JSON);
        headers.insert(
            clerk_bapi_sys::CLERK_API_VERSION_NAME,
            HeaderValue::from_static(clerk_bapi_sys::CLERK_API_VERSION),
        );
        if let Some(body) = call.body {
            headers.insert(CONTENT_TYPE, APPLICATION_JSON);
            *request.body_mut() = Some(body.into());
        }

        let mut response = self
            .http
            .execute(request)
            .await
            .map_err(SysError::CommunicationError)?;
        let status = response.status();
        if status.as_u16() != route.success {
            return Err(SysError::UnexpectedResponse(clerk_bapi_sys::limit_body(
                response,
                clerk_bapi_sys::MAX_RESPONSE_BODY,
            )));
        }
        let headers = std::mem::take(response.headers_mut());
        // With a Content-Length, hyper reads exactly that many bytes, so a declared length under
        // the cap bounds the read; anything else is read through the cap.
        let response = match response.content_length() {
            Some(length) if length <= clerk_bapi_sys::MAX_RESPONSE_BODY as u64 => response,
            _ => clerk_bapi_sys::limit_body(response, clerk_bapi_sys::MAX_RESPONSE_BODY),
        };
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

/// `value` as the JSON bytes of a request body.
pub(crate) fn json_body(value: &impl Serialize) -> Result<Bytes, Error> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|_| Error::Internal("a request body did not serialize to JSON"))
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
