//! The request pipeline every route shares, in a real server's order: record the request,
//! apply a scripted fault, authenticate (401), rate-limit (429), run the route's operation
//! (404 → 422 → 403 → 400 inside it), then let a scripted fault spoil the response.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, DATE, HeaderValue, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::errors::ApiError;
use crate::faults::{Fault, Faults, RetryAfter, Route};
use crate::ids::splitmix64;
use crate::rate_limit::{Bucket, RateLimiter, retry_after_seconds};
use crate::request_log::{LoggedRequest, RequestLog};
use crate::state::Store;
use crate::webhooks::Webhooks;

/// Bodies larger than this are refused; invitation requests are tiny.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Closes the connection a request arrived on, without a response; the server inserts it into
/// every request's extensions (a handler cannot drop a TCP connection by itself).
#[derive(Clone, Debug)]
pub(crate) struct ConnectionAbort(pub(crate) CancellationToken);

/// What a route's operation gets to look at.
pub(crate) struct Call<'a> {
    pub(crate) body: &'a [u8],
    pub(crate) query: Option<&'a str>,
    pub(crate) now_ms: i64,
}

/// The state shared by all connections of one fake instance.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) store: Mutex<Store>,
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    pub(crate) limiter: Mutex<RateLimiter>,
    pub(crate) log: RequestLog,
    pub(crate) secret_key: String,
    pub(crate) trace_ids: AtomicU64,
    /// Where the store's changes go as events.
    pub(crate) webhooks: Arc<Webhooks>,
}

/// A response before faults and headers are applied.
struct Reply {
    status: StatusCode,
    /// Serialized JSON.
    body: Vec<u8>,
    retry_after: Option<String>,
}

impl App {
    /// The store, for reads. Changes go through [`transact`](Self::transact).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Runs `change` on the store, then announces what it changed as webhook events under the
    /// same lock, so events go out in the order changes happened and describe the state each
    /// change left.
    pub(crate) fn transact<R>(&self, change: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store();
        store.record_changes = self.webhooks.has_endpoints();
        let result = change(&mut store);
        let changes = store.take_changes();
        if !changes.is_empty() {
            self.webhooks.announce(&store, changes, self.clock.now_ms());
        }
        result
    }

    fn next_trace_id(&self) -> String {
        let n = self.trace_ids.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{:016x}", splitmix64(n), splitmix64(!n))
    }

    /// Runs one request through the pipeline; `operation` is the route's own logic.
    ///
    /// The `Date` header comes from the fake's clock (hyper would write system time), so a
    /// `Retry-After` HTTP date and `Date` agree the way they do on Clerk.
    pub(crate) async fn handle(
        &self,
        route: Route,
        request: Request,
        operation: impl FnOnce(&mut Store, Call<'_>) -> Result<Vec<u8>, ApiError>,
    ) -> Response {
        let bucket = match route {
            Route::CreateInvitation => Some(Bucket::CreateInvitation),
            Route::BulkCreateInvitations => Some(Bucket::BulkCreateInvitations),
            _ => None,
        };
        self.handle_in(route, bucket, request, operation).await
    }

    /// [`handle`](Self::handle) with the per-route rate-limit budget named by the caller (one
    /// keyed by the path, such as a membership's).
    pub(crate) async fn handle_in(
        &self,
        route: Route,
        bucket: Option<Bucket>,
        request: Request,
        operation: impl FnOnce(&mut Store, Call<'_>) -> Result<Vec<u8>, ApiError>,
    ) -> Response {
        let now_ms = self.clock.now_ms();
        let mut response = self
            .handle_at(now_ms, route, bucket, request, operation)
            .await;
        if let Ok(date) = HeaderValue::from_str(&http_date(now_ms)) {
            response.headers_mut().insert(DATE, date);
        }
        response
    }

    async fn handle_at(
        &self,
        now_ms: i64,
        route: Route,
        bucket: Option<Bucket>,
        request: Request,
        operation: impl FnOnce(&mut Store, Call<'_>) -> Result<Vec<u8>, ApiError>,
    ) -> Response {
        let (parts, body) = request.into_parts();
        let trace_id = self.next_trace_id();
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await;
        if self.log.is_enabled() {
            self.log.record(LoggedRequest {
                method: parts.method.to_string(),
                path_and_query: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string),
                headers: parts
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        (
                            name.as_str().to_owned(),
                            String::from_utf8_lossy(value.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: body.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
                received_at_ms: now_ms,
            });
        }
        let abort = parts.extensions.get::<ConnectionAbort>().cloned();

        let fault = self.faults.take(route);
        if let Some(response) = self.fault_before_processing(fault.as_ref(), &trace_id, now_ms) {
            return response;
        }
        if fault == Some(Fault::DropConnection) {
            return drop_connection(abort).await;
        }

        let reply = match body {
            Err(_) => error_reply(ApiError::body_too_large(), &trace_id),
            Ok(body) => self.process(
                bucket,
                &parts.headers,
                &body,
                parts.uri.query(),
                operation,
                &trace_id,
            ),
        };

        match fault {
            Some(Fault::ProcessedThenDropped) => drop_connection(abort).await,
            Some(Fault::Delay(delay)) => {
                // Real time on purpose: the point is to outlast a client's real timeout.
                tokio::time::sleep(delay).await;
                render(reply, &trace_id, None)
            }
            Some(fault) => render(reply, &trace_id, Some(&fault)),
            None => render(reply, &trace_id, None),
        }
    }

    /// An error answer outside the pipeline (no fault, auth or rate limit applies).
    pub(crate) fn reject(&self, error: ApiError) -> Response {
        let trace_id = self.next_trace_id();
        render(error_reply(error, &trace_id), &trace_id, None)
    }

    fn process(
        &self,
        bucket: Option<Bucket>,
        headers: &HeaderMap,
        body: &Bytes,
        query: Option<&str>,
        operation: impl FnOnce(&mut Store, Call<'_>) -> Result<Vec<u8>, ApiError>,
        trace_id: &str,
    ) -> Reply {
        if !self.is_authorized(headers) {
            return error_reply(ApiError::authentication_invalid(), trace_id);
        }
        let now_ms = self.clock.now_ms();
        let admitted = lock(&self.limiter).admit(bucket, now_ms);
        if let Err(wait) = admitted {
            return rate_limited_reply(retry_after_seconds(wait).to_string(), trace_id);
        }
        let call = Call {
            body,
            query,
            now_ms,
        };
        match self.transact(|store| operation(store, call)) {
            Ok(body) => Reply {
                status: StatusCode::OK,
                body,
                retry_after: None,
            },
            Err(error) => error_reply(error, trace_id),
        }
    }

    fn is_authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|key| key.trim() == self.secret_key)
    }

    /// The faults that stand in for the request never reaching Clerk's logic.
    fn fault_before_processing(
        &self,
        fault: Option<&Fault>,
        trace_id: &str,
        now_ms: i64,
    ) -> Option<Response> {
        match fault? {
            Fault::ServerError { status, clerk_body } => {
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                if *clerk_body {
                    Some(render(
                        error_reply(ApiError::internal(status), trace_id),
                        trace_id,
                        None,
                    ))
                } else {
                    Some(with_trace_id(status, Body::empty(), None, trace_id))
                }
            }
            Fault::HtmlErrorPage { status } => {
                let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
                let page = format!(
                    "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1></center>\r\n</body>\r\n</html>\r\n"
                );
                let mut response = Response::new(Body::from(page));
                *response.status_mut() = status;
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                Some(response)
            }
            Fault::TooManyRequests(retry_after) => {
                let retry_after = match retry_after {
                    RetryAfter::Seconds(seconds) => seconds.to_string(),
                    RetryAfter::HttpDateIn(wait) => {
                        let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                        http_date(now_ms.saturating_add(wait_ms))
                    }
                };
                Some(render(
                    rate_limited_reply(retry_after, trace_id),
                    trace_id,
                    None,
                ))
            }
            _ => None,
        }
    }
}

/// Locks shared state. Store and limiter operations check before they mutate, so a poisoned
/// lock still holds consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Clerk's 429, with its `Retry-After` (seconds or an HTTP date).
fn rate_limited_reply(retry_after: String, trace_id: &str) -> Reply {
    let mut reply = error_reply(ApiError::too_many_requests(), trace_id);
    reply.retry_after = Some(retry_after);
    reply
}

fn error_reply(error: ApiError, trace_id: &str) -> Reply {
    Reply {
        status: error.status,
        body: serde_json::to_vec(&error.body(trace_id)).unwrap_or_default(),
        retry_after: None,
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form `Retry-After` dates take.
fn http_date(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Closes the connection and never answers; the connection task drops the request with it.
async fn drop_connection(abort: Option<ConnectionAbort>) -> Response {
    match abort {
        Some(ConnectionAbort(token)) => {
            token.cancel();
            std::future::pending().await
        }
        // Only reachable if the router is served without this crate's server.
        None => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::empty())
            .unwrap_or_default(),
    }
}

fn render(reply: Reply, trace_id: &str, fault: Option<&Fault>) -> Response {
    let mut bytes = reply.body;
    match fault {
        Some(Fault::TruncatedJson) => bytes.truncate(bytes.len() / 2),
        Some(Fault::MalformedJson) => {
            bytes = b"{\"object\": \"organization_invitation\", \"id\": orginv_".to_vec();
        }
        Some(Fault::UnknownFields) => rewrite_json(&mut bytes, add_unknown_fields),
        Some(Fault::UnknownStatus) => rewrite_json(&mut bytes, |body| {
            for_each_invitation(body, &mut |invitation| {
                invitation.insert("status".into(), json!("on_hold"));
            });
        }),
        _ => {}
    }
    let mut response = with_trace_id(reply.status, Body::from(bytes), reply.retry_after, trace_id);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Edits a serialized body; only faults need this, so the normal path never builds a tree.
fn rewrite_json(bytes: &mut Vec<u8>, edit: impl FnOnce(&mut Value)) {
    if let Ok(mut body) = serde_json::from_slice::<Value>(bytes) {
        edit(&mut body);
        *bytes = serde_json::to_vec(&body).unwrap_or_default();
    }
}

fn with_trace_id(
    status: StatusCode,
    body: Body,
    retry_after: Option<String>,
    trace_id: &str,
) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(trace_id) {
        headers.insert("x-clerk-trace-id", value);
    }
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(RETRY_AFTER, value);
    }
    response
}

fn add_unknown_fields(body: &mut Value) {
    if let Value::Object(fields) = body {
        fields.insert(
            "x_unknown_envelope_field".into(),
            json!({"added_in": "a future API version"}),
        );
    }
    for_each_item(body, &mut |item| {
        item.insert("unknown_future_field".into(), json!("surprise"));
        item.insert("unknown_future_object".into(), json!({"nested": [1, 2, 3]}));
    });
}

/// Visits the invitation objects of a single-invitation or `{data: [...]}` body.
fn for_each_invitation(
    body: &mut Value,
    visit: &mut impl FnMut(&mut serde_json::Map<String, Value>),
) {
    for_each_item(body, &mut |item| {
        if item.get("object") == Some(&json!("organization_invitation")) {
            visit(item);
        }
    });
}

/// Visits the API object of a single-object body (one with an `object` field) or each item of
/// a `{data: [...]}` body or of a bare array (`GET /v1/users`).
fn for_each_item(body: &mut Value, visit: &mut impl FnMut(&mut serde_json::Map<String, Value>)) {
    if let Value::Array(items) = body {
        items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(visit);
        return;
    }
    let Value::Object(fields) = body else {
        return;
    };
    if fields.contains_key("object") {
        visit(fields);
    } else if let Some(Value::Array(items)) = fields.get_mut("data") {
        for item in items {
            if let Value::Object(item) = item {
                visit(item);
            }
        }
    }
}

/// Shared ownership of the app, as handlers hold it.
pub(crate) type SharedApp = Arc<App>;
