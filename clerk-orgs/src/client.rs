//! [`Client`]: the entry point, and [`Client::execute`], the one path every request takes.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use clerk_bapi_sys::ResponseValue;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use tracing::field::Empty;

use crate::config::{ClientBuilder, KeyKind};
use crate::error::Error;
use crate::instance::InstanceInvitations;
use crate::invitations::OrganizationHandle;
use crate::operation::Operation;
use crate::resilience::{CallFailure, RequestOptions, Resilience};
use crate::transport::{self, SysError, Transport};
use crate::user::UserHandle;

/// A client for Clerk's organization-invitation API.
///
/// Cheap to clone: clones share one configuration and one connection pool. `Debug` shows the
/// base URL and timeout, never the secret key.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    base_url: String,
    timeout: Duration,
    key_kind: KeyKind,
    resilience: Resilience,
}

impl Client {
    /// A builder for a client with an explicit secret key, base URL or timeout.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `CLERK_SECRET_KEY` and, if set, `CLERK_API_URL` (the base URL
    /// without `/v1`).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())?.build()
    }

    pub(crate) fn from_parts(
        base_url: String,
        http: reqwest::Client,
        timeout: Duration,
        key_kind: KeyKind,
        resilience: Resilience,
    ) -> Self {
        let api_base = format!("{base_url}/v1");
        Self {
            inner: Arc::new(Inner {
                transport: Transport {
                    sys: clerk_bapi_sys::Client::new_with_client(&api_base, http.clone()),
                    http,
                    api_base,
                },
                base_url,
                timeout,
                key_kind,
                resilience,
            }),
        }
    }

    /// The base URL, without `/v1`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The whole-request timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Whether the secret key is a development (`sk_test_`) or production (`sk_live_`) key.
    pub fn key_kind(&self) -> KeyKind {
        self.inner.key_kind
    }

    /// One organization, to manage its invitations.
    pub fn organization(&self, organization_id: impl Into<String>) -> OrganizationHandle {
        OrganizationHandle::new(self.clone(), organization_id.into())
    }

    /// Invitations across every organization of the instance.
    pub fn organization_invitations(&self) -> InstanceInvitations {
        InstanceInvitations::new(self.clone())
    }

    /// One user, to list the organization invitations sent to them.
    pub fn user(&self, user_id: impl Into<String>) -> UserHandle {
        UserHandle::new(self.clone(), user_id.into())
    }

    /// Sends one request. Every operation goes through here, so this is the one place for the
    /// tracing span, error mapping and (later) retries and client-side rate limiting.
    ///
    /// `call` builds and sends the request on the transport; it is `Fn` rather than `FnOnce`
    /// so a retry can call it again. The span records the operation, the status and Clerk's
    /// trace id, never bodies or keys.
    pub(crate) async fn execute<'a, T, F, Fut>(
        &'a self,
        operation: Operation,
        call: F,
    ) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: Fn(&'a Transport) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, SysError>> + 'a,
    {
        self.execute_with(operation, &RequestOptions::default(), call)
            .await
            .map_err(Error::from)
    }

    /// [`Client::execute`] with per-request options, keeping whether an earlier attempt may have
    /// landed (which creates need to stay duplicate-free). Each attempt first takes from the
    /// rate-limit budgets; the span covers all attempts and records the last one's outcome.
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

    /// [`Client::execute_with`] keeping the answer's status and headers (the lookups that
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
        self.inner
            .resilience
            .run(operation, options, |attempt| {
                let span = span.clone();
                async move {
                    let result =
                        transport::settle(operation, call(&self.inner.transport).await).await;
                    if !span.is_disabled() {
                        span.record("attempts", attempt);
                        record(&span, &result);
                    }
                    result
                }
            })
            .instrument(span.clone())
            .await
    }

    /// The clock retries and budgets run on.
    pub(crate) fn clock(&self) -> &crate::clock::SharedClock {
        &self.inner.resilience.clock
    }

    /// The longest any budget makes a call wait ([`crate::RateLimits::max_wait`]).
    pub(crate) fn max_wait(&self) -> Duration {
        self.inner.resilience.limiter.max_wait()
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

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("timeout", &self.inner.timeout)
            .field("key_kind", &self.inner.key_kind)
            .field("secret_key", &"[redacted]")
            .finish()
    }
}
