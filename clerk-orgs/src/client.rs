//! [`Client`] and [`ClientBuilder`]: the entry point. The builder checks the configuration once
//! and builds the HTTP stack (rustls with `ring`, the OS trust store) and the shared core
//! ([`Handle`]); the client only hands out handles that hold that core.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{ConfigError, Error};
use crate::http::Handle;
use crate::invitations::{InstanceInvitations, UserHandle};
use crate::memberships::InstanceMemberships;
use crate::models::KeyKind;
use crate::organization::OrganizationHandle;
use crate::policy::clock::{Clock, SharedClock, TokioClock};
use crate::policy::{
    ClientLimiter, DEFAULT_ROLE_CACHE_TTL, RateLimits, Resilience, RetryPolicy, RoleCache,
    SharedConfig,
};
use crate::roles::OrganizationRoles;

/// A client for Clerk's organization APIs: invitations, memberships and roles.
///
/// Cheap to clone: clones share one configuration and one connection pool. `Debug` shows the
/// base URL and timeout, never the secret key.
#[derive(Clone)]
pub struct Client {
    handle: Arc<Handle>,
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

    /// The base URL, without `/v1`.
    pub fn base_url(&self) -> &str {
        self.handle.base_url()
    }

    /// The whole-request timeout.
    pub fn timeout(&self) -> Duration {
        self.handle.timeout()
    }

    /// Whether the secret key is a development (`sk_test_`) or production (`sk_live_`) key.
    pub fn key_kind(&self) -> KeyKind {
        self.handle.key_kind()
    }

    /// One organization, to manage its invitations and members.
    pub fn organization(&self, organization_id: impl AsRef<str>) -> OrganizationHandle {
        OrganizationHandle::new(self.handle.clone(), Arc::from(organization_id.as_ref()))
    }

    /// Invitations across every organization of the instance.
    pub fn organization_invitations(&self) -> InstanceInvitations {
        InstanceInvitations::new(self.handle.clone())
    }

    /// Memberships across every organization of the instance.
    pub fn organization_memberships(&self) -> InstanceMemberships {
        InstanceMemberships::new(self.handle.clone())
    }

    /// The instance's organization roles: list them, or check that one exists.
    pub fn organization_roles(&self) -> OrganizationRoles {
        OrganizationRoles::new(self.handle.clone())
    }

    /// One user, to list the organization invitations sent to them.
    pub fn user(&self, user_id: impl AsRef<str>) -> UserHandle {
        UserHandle::new(self.handle.clone(), Arc::from(user_id.as_ref()))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.handle.base_url())
            .field("timeout", &self.handle.timeout())
            .field("key_kind", &self.handle.key_kind())
            .field("secret_key", &"[redacted]")
            .finish()
    }
}

/// Clerk's production API; the client appends `/v1`.
pub const DEFAULT_BASE_URL: &str = "https://api.clerk.com";
/// The whole-request timeout unless [`ClientBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The connection-setup timeout (never longer than the request timeout).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Sent as `User-Agent` so Clerk (and proxies) can tell this client apart.
pub const USER_AGENT: &str = concat!("clerk-orgs/", env!("CARGO_PKG_VERSION"));

/// Builds a [`Client`]; see [`Client::builder`].
///
/// `Debug` never shows the secret key.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    secret_key: Option<SecretString>,
    base_url: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    rate_limits: RateLimits,
    clock: Option<SharedClock>,
    shared: SharedConfig,
    check_roles: bool,
    role_cache_ttl: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            secret_key: None,
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            rate_limits: RateLimits::default(),
            clock: None,
            shared: SharedConfig::default(),
            check_roles: false,
            role_cache_ttl: DEFAULT_ROLE_CACHE_TTL,
        }
    }
}

impl ClientBuilder {
    /// The instance's secret key (`sk_live_...` or `sk_test_...`). Required.
    pub fn secret_key(mut self, key: impl Into<SecretString>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// Where Clerk is, without `/v1` (default `https://api.clerk.com`). `http://` is refused
    /// unless the host is a loopback address (`localhost`, `127.0.0.1`, `::1`), so the key never
    /// crosses a network in clear text.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The limit for a whole request, from connecting to the last body byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The limit for establishing a connection (default 10 s, capped at the request timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy of every request (default [`RetryPolicy::default`]); a request builder's
    /// `.retry(..)` overrides it for that request.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The client-side rate limits, shared by all clones of the client (default: Clerk's
    /// documented limits for the key's kind, waiting when a budget is spent).
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// The clock that retries and rate limits wait on (default: real time, [`TokioClock`]).
    /// Tests and benchmarks pass a virtual one to play hours of limits in milliseconds.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Whether every write that names a role (creating an invitation or a membership, setting a
    /// member's role) first checks that the role is one of the instance's roles, refusing an
    /// unknown one locally with [`Error::InvalidRequest`] naming the roles there are (default
    /// `false`). The roles come from one cached list per client (see
    /// [`role_cache_ttl`](Self::role_cache_ttl)); a request's `.check_role(..)` overrides this.
    /// If the roles cannot be fetched, the request is sent unchecked and Clerk judges the role.
    pub fn check_roles(mut self, check: bool) -> Self {
        self.check_roles = check;
        self
    }

    /// How long the role check trusts a fetched list of the instance's roles (default
    /// [`DEFAULT_ROLE_CACHE_TTL`], five minutes). A role missing from a list older than
    /// [`MISS_REFRESH_AFTER`](crate::MISS_REFRESH_AFTER) is looked up in a fresh list before it
    /// is refused. Zero fetches the list for every check.
    pub fn role_cache_ttl(mut self, ttl: Duration) -> Self {
        self.role_cache_ttl = ttl;
        self
    }

    /// Budgets shared with every process using the same Redis and namespace (feature `redis`),
    /// so a fleet together stays inside Clerk's limits; see [`crate::fleet`].
    #[cfg(feature = "redis")]
    pub fn shared_budgets(mut self, budgets: crate::RedisBudgets) -> Self {
        self.shared.redis = Some(budgets);
        self
    }

    /// Reads `CLERK_SECRET_KEY` and, if set, `CLERK_API_URL` through `lookup`.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let key = lookup("CLERK_SECRET_KEY")
            .filter(|key| !key.is_empty())
            .ok_or_else(|| ConfigError::new("CLERK_SECRET_KEY", "is not set"))?;
        let mut builder = Self::default().secret_key(key);
        if let Some(url) = lookup("CLERK_API_URL").filter(|url| !url.is_empty()) {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// Checks the configuration and builds the client and its connection pool.
    pub fn build(self) -> Result<Client, Error> {
        let key = self
            .secret_key
            .ok_or_else(|| ConfigError::new("secret_key", "is required"))?;
        let key_text = key.expose_secret();
        if key_text.is_empty() {
            return Err(ConfigError::new("secret_key", "must not be empty").into());
        }
        if key_text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            // Never echo the key: say what is wrong, not what it is.
            return Err(ConfigError::new(
                "secret_key",
                "must not contain whitespace or control characters",
            )
            .into());
        }
        let key_kind = KeyKind::of(key_text);
        let base_url = base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        if self.timeout.is_zero() {
            return Err(ConfigError::new("timeout", "must be longer than zero").into());
        }
        let headers = clerk_bapi_sys::auth_headers(key_text)
            .map_err(|_| ConfigError::new("secret_key", "is not a valid HTTP header value"))?;

        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .default_headers(headers)
            .user_agent(USER_AGENT)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout.min(self.timeout))
            // Clerk's API does not redirect; following one would carry the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::new("http_client", "could not be built").with_source(e))?;

        let clock: SharedClock = self.clock.unwrap_or_else(|| Arc::new(TokioClock::new()));
        let limiter = ClientLimiter::new(&self.rate_limits, key_kind, clock.clone());
        let shared = self
            .shared
            .bind(key_text, &self.rate_limits, key_kind, &limiter, &clock)?;
        let resilience = Resilience {
            retry: self.retry,
            limiter: Arc::new(limiter),
            shared,
            clock,
        };
        let roles = RoleCache::new(self.check_roles, self.role_cache_ttl);
        let handle = Handle::new(base_url, http, self.timeout, key_kind, resilience, roles)
            .map_err(|e| ConfigError::new("base_url", "is not a valid URL").with_source(e))?;
        Ok(Client {
            handle: Arc::new(handle),
        })
    }
}

/// rustls with the `ring` provider and the OS trust store, passed to reqwest directly: no
/// process-wide default provider is installed (that would be a surprise for the application),
/// and aws-lc-rs stays out of the build.
fn tls_config() -> Result<rustls::ClientConfig, ConfigError> {
    use rustls_platform_verifier::BuilderVerifierExt;

    // rustls 0.23.48 deprecates `ring::default_provider` ("no support for post-quantum
    // algorithms") without a ring replacement in 0.23: its only non-deprecated provider is
    // aws-lc-rs, which this crate keeps out of the build (about 30 s of cold build, cmake), and
    // rustls' own ring-only path calls this same function under `allow(deprecated)`. Ring's TLS
    // (TLS 1.3 and 1.2, X25519 and the NIST curves) is what the crate has always used; the loss
    // is the post-quantum hybrid key exchange, which ring does not offer.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::new("tls", "has no usable protocol version").with_source(e))?
        .with_platform_verifier()
        .map_err(|e| ConfigError::new("tls", "cannot use the platform verifier").with_source(e))?
        .with_no_client_auth();
    Ok(config)
}

/// Checks a base URL and returns it without a trailing `/`.
fn base_url(raw: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(raw).map_err(|e| {
        ConfigError::new(
            "base_url",
            "must be an absolute URL such as https://api.clerk.com",
        )
        .with_source(e)
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ConfigError::new(
                "base_url",
                "must use https unless the host is loopback (the secret key would travel in clear text)",
            ));
        }
        _ => return Err(ConfigError::new("base_url", "must be an http(s) URL")),
    }
    if url.host().is_none() {
        return Err(ConfigError::new("base_url", "must have a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new("base_url", "must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            "base_url",
            "must not have a query or fragment",
        ));
    }
    let trimmed = url.as_str().trim_end_matches('/');
    if trimmed.ends_with("/v1") {
        return Err(ConfigError::new(
            "base_url",
            "must not end with /v1; the client appends it",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        for (raw, expected) in [
            ("https://api.clerk.com", "https://api.clerk.com"),
            ("https://api.clerk.com/", "https://api.clerk.com"),
            (
                "https://proxy.example.com/clerk/",
                "https://proxy.example.com/clerk",
            ),
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
            ("http://127.1.2.3", "http://127.1.2.3"),
            ("http://[::1]:9000", "http://[::1]:9000"),
            ("http://LOCALHOST:3000", "http://localhost:3000"),
        ] {
            assert_eq!(base_url(raw).unwrap(), expected, "{raw}");
        }
        for raw in [
            "http://api.clerk.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
            "ftp://api.clerk.com",
            "api.clerk.com",
            "https://user:pw@api.clerk.com",
            "https://api.clerk.com/v1",
            "https://api.clerk.com/?x=1",
            "",
        ] {
            assert!(base_url(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn key_kinds() {
        assert_eq!(KeyKind::of("sk_test_abc"), KeyKind::Test);
        assert_eq!(KeyKind::of("sk_live_abc"), KeyKind::Live);
        assert_eq!(KeyKind::of("abc"), KeyKind::Other);
    }
}
