//! [`Handle`]: the core every client, handle and request builder shares (the transport, the
//! retry and rate-limit machinery, the base URL and key kind, the role check's cached roles),
//! and its one execute path.
//!
//! Handles and builders hold an `Arc<Handle>`, never the `Client`, so the feature modules depend
//! on this layer and not on the client that constructs them.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use clerk_bapi_sys::{ResponseValue, Route};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use tracing::field::Empty;

use super::transport::{self, Call, SysError, Transport};
use crate::error::Error;
use crate::models::KeyKind;
use crate::operation::Operation;
use crate::policy::clock::SharedClock;
use crate::policy::{CallFailure, RequestOptions, Resilience, RoleCache};

/// What a client and everything it hands out share; see the module docs. `Debug` shows the base
/// URL, timeout and key kind, never the transport (it holds the authorization header).
pub(crate) struct Handle {
    transport: Transport,
    base_url: String,
    timeout: Duration,
    key_kind: KeyKind,
    resilience: Resilience,
    roles: RoleCache,
}

impl Handle {
    /// Fails only if `<base_url>/v1` is not a URL.
    pub(crate) fn new(
        base_url: String,
        http: reqwest::Client,
        timeout: Duration,
        key_kind: KeyKind,
        resilience: Resilience,
        roles: RoleCache,
    ) -> Result<Self, url::ParseError> {
        Ok(Self {
            transport: Transport::new(&base_url, http)?,
            base_url,
            timeout,
            key_kind,
            resilience,
            roles,
        })
    }

    /// The role check's configuration and cached list of the instance's roles.
    pub(crate) fn role_cache(&self) -> &RoleCache {
        &self.roles
    }

    /// The base URL, without `/v1`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The whole-request timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The kind of secret key.
    pub(crate) fn key_kind(&self) -> KeyKind {
        self.key_kind
    }

    /// Sends one request under `options` (the request's retry policy and rate-limit mode, else
    /// the client's). Every operation goes through here, so this is the one place for the
    /// tracing span, error mapping, retries and client-side rate limiting.
    ///
    /// `call` builds and sends the request on the transport; it is `Fn` rather than `FnOnce`
    /// so a retry can call it again. Each attempt first takes from the rate-limit budgets. The
    /// span covers all attempts and records the operation, the last attempt's status and
    /// Clerk's trace id, never bodies or keys. A failure keeps whether an earlier attempt may
    /// have landed (which creates need to stay duplicate-free); `?` turns it into an [`Error`].
    pub(crate) async fn execute_with<'a, T, F, Fut>(
        &'a self,
        operation: Operation,
        options: &RequestOptions,
        call: F,
    ) -> Result<T, CallFailure>
    where
        T: DeserializeOwned,
        F: Fn(&'a Transport) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, SysError>> + 'a,
    {
        self.execute_raw(operation, options, call)
            .await
            .map(ResponseValue::into_inner)
    }

    /// [`Handle::execute_with`] for a write: `body` (JSON, serialized once and shared by the
    /// attempts) to `route`, with the path arguments `args`.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        operation: Operation,
        options: &RequestOptions,
        route: &'static Route,
        args: &[&str],
        body: Bytes,
    ) -> Result<T, CallFailure> {
        self.execute_with(operation, options, |t| {
            t.send(Call {
                body: Some(body.clone()),
                ..Call::new(route, args)
            })
        })
        .await
    }

    /// [`Handle::execute_with`] keeping the answer's status and headers (the lookups that
    /// settle lost answers date what they find by Clerk's `Date`).
    pub(crate) async fn execute_raw<'a, T, F, Fut>(
        &'a self,
        operation: Operation,
        options: &RequestOptions,
        call: F,
    ) -> Result<ResponseValue<T>, CallFailure>
    where
        T: DeserializeOwned,
        F: Fn(&'a Transport) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, SysError>> + 'a,
    {
        let span = tracing::info_span!(
            "clerk_orgs.request",
            operation = operation.id(),
            status = Empty,
            trace_id = Empty,
            attempts = Empty,
        );
        let call = &call;
        let span = &span;
        let run = self
            .resilience
            .run(operation, options, |attempt| async move {
                let result = transport::settle(operation, call(&self.transport).await).await;
                if !span.is_disabled() {
                    span.record("attempts", attempt);
                    record(span, &result);
                }
                result
            });
        // As in the attempt loop: no `Instrumented` wrapper (and no move into it) for a span
        // nobody listens to.
        if span.is_disabled() {
            run.await
        } else {
            run.instrument(span.clone()).await
        }
    }

    /// The clock retries and budgets run on.
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.resilience.clock
    }

    /// The longest any budget makes a call wait ([`crate::RateLimits::max_wait`]).
    pub(crate) fn max_wait(&self) -> Duration {
        self.resilience.limiter.max_wait()
    }
}

/// Fills in the span's outcome fields and logs a failure's classification (not its message,
/// which can hold email addresses).
fn record<T>(span: &tracing::Span, result: &Result<ResponseValue<T>, Error>) {
    match result {
        Ok(value) => {
            span.record("status", value.status().as_u16());
            if let Some(trace_id) = value
                .headers()
                .get("x-clerk-trace-id")
                .and_then(|v| v.to_str().ok())
            {
                span.record("trace_id", trace_id);
            }
        }
        Err(error) => {
            if let Some(status) = error.status() {
                span.record("status", status.as_u16());
            }
            if let Some(trace_id) = error.trace_id() {
                span.record("trace_id", trace_id);
            }
            let codes: Vec<&str> = error.codes().map(|code| code.as_str()).collect();
            tracing::debug!(
                parent: span,
                kind = error_kind(error),
                codes = ?codes,
                retryable = error.is_retryable(),
                delivery = ?error.delivery(),
                "clerk request failed"
            );
        }
    }
}

fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::InvalidRequest(_) => "invalid_request",
        Error::Config(_) => "config",
        Error::Api(_) => "api",
        Error::RateLimited(_) => "rate_limited",
        Error::Timeout(_) => "timeout",
        Error::Transport(_) => "transport",
        Error::Decode(_) => "decode",
        Error::BudgetExhausted(_) => "budget_exhausted",
        Error::SharedBudgetsUnavailable(_) => "shared_budgets_unavailable",
        Error::Unresolved(_) => "unresolved",
        Error::Internal(_) => "internal",
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("key_kind", &self.key_kind)
            .field("secret_key", &"[redacted]")
            .finish()
    }
}
