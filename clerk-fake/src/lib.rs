//! A faithful local fake of [Clerk](https://clerk.com)'s Backend API (BAPI) for organization
//! invitations, memberships and roles, for testing clients without reaching Clerk.
//!
//! # What it covers
//!
//! Nineteen routes under `/v1`, with Clerk's shapes, error envelope, codes and statuses:
//!
//! | Route | Operation |
//! | --- | --- |
//! | `POST /v1/organizations/{organization_id}/invitations` | create one |
//! | `POST /v1/organizations/{organization_id}/invitations/bulk` | create up to 10, all or nothing |
//! | `GET /v1/organizations/{organization_id}/invitations` | list (`status`, `email_address`, `order_by`, `limit`, `offset`) |
//! | `GET /v1/organizations/{organization_id}/invitations/pending` | list pending (deprecated) |
//! | `GET /v1/organizations/{organization_id}/invitations/{invitation_id}` | get one |
//! | `POST /v1/organizations/{organization_id}/invitations/{invitation_id}/revoke` | revoke |
//! | `GET /v1/organization_invitations` | list instance-wide (`status`, `query`, `order_by`, paging) |
//! | `GET /v1/users/{user_id}/organization_invitations` | list a user's (`status`, paging) |
//! | `POST /v1/organizations/{organization_id}/memberships` | add a user with a role (and metadata) |
//! | `GET /v1/organizations/{organization_id}/memberships` | list (every filter Clerk lists, `order_by`, paging) |
//! | `PATCH /v1/organizations/{organization_id}/memberships/{user_id}` | change the role |
//! | `PATCH /v1/organizations/{organization_id}/memberships/{user_id}/metadata` | deep-merge metadata |
//! | `DELETE /v1/organizations/{organization_id}/memberships/{user_id}` | remove a member |
//! | `GET /v1/organization_memberships` | list instance-wide (`order_by`, paging) |
//! | `GET /v1/users/{user_id}/organization_memberships` | list a user's (paging) |
//! | `GET /v1/organization_roles` | list roles with permissions (`query`, `order_by`, paging) |
//! | `POST /v1/organization_roles` | create a custom role |
//! | `GET /v1/organization_roles/{organization_role_id}` | get one role |
//! | `GET /v1/users` | list users by `email_address` or `user_id` (`order_by`, paging; other filters refused) |
//!
//! Around them: bearer-key authentication, Clerk's per-instance rate limits on a virtual or
//! real [`Clock`], scripted [`Fault`]s (5xx, HTML pages, dropped connections, slow, lost, truncated or
//! surprising responses) and a [`RequestLog`]. Requests are checked in a real server's order:
//! 401, 429, 404 (organization), 422 (parameters), then 404/403/400 business rules.
//!
//! # Behaviour worth knowing
//!
//! - **Time** is virtual ([`Clock`]) and starts at 2026-01-01T00:00:00Z: timestamps, expiry
//!   (a pending invitation past `expires_at` reads as `expired`), rate-limit windows and the
//!   `Date` header all move only when a test advances it. Only [`Fault::Delay`] uses real time.
//!   [`FakeClerkBuilder::real_clock`] makes the clock follow system time instead, for clients
//!   that cannot advance it (other processes, curl); the standalone binary does that by default.
//! - **Rate limits** ([`RateLimits`]) default to Clerk's documented ones (create 250/hour, bulk
//!   50/hour, membership role and metadata updates 10 per 10 s per membership, all requests 100
//!   per 10 s for `sk_test_` and 1000 per 10 s for `sk_live_` keys), counted in fixed windows
//!   aligned to the clock's epoch. A 429 carries `Retry-After` in whole seconds, rounded up to
//!   the window's end.
//! - **Faults** ([`Faults`]) are scripted per [`Route`] and per request number, fire once, and
//!   are applied before authentication, like a proxy in front of Clerk. Proxy-style answers (the
//!   HTML page) carry no `x-clerk-trace-id`; every other response does, equal to the body's
//!   `clerk_trace_id` on errors.
//! - **Ids** (`orginv_`, `orgmem_`, `role_`, `perm_` + 27 base62 characters) and trace ids come
//!   from per-instance counters, so a test sees the same ones on every run. Webhook message ids
//!   (`svix-id`) are the exception: random per instance unless
//!   [`FakeClerkBuilder::webhook_id_seed`] asks for a reproducible series.
//! - **Roles**: every instance has Clerk's [`ADMIN_ROLE`] (all nine system permissions) and
//!   [`MEMBER_ROLE`] (read members, read billing); [`FakeClerk::seed_role`] and
//!   `POST /v1/organization_roles` add custom ones (ten at most). Inviting and revoking take the
//!   "Manage members" permission (`org:sys_memberships:manage`).
//! - **Memberships**: created over the API, by accepted invitations
//!   ([`FakeClerk::accept_invitation`]; the membership takes the invitation's role and metadata,
//!   and an invitee who is already a member keeps their membership unchanged) or seeded
//!   ([`FakeClerk::add_membership`]). Creating one
//!   respects `max_allowed_memberships` (members plus pending invitations). Metadata updates
//!   are Clerk's deep merge (`null` removes a key at any depth). A role change or delete that
//!   would leave an organization without a member holding the creator role's minimum
//!   permissions (its last admin) is refused with `organization_minimum_permissions_needed`.
//! - **Throughput**: `cargo run --release -p clerk-fake --example load` measures it; on a
//!   2-core machine with the client in the same process it serves over 10k requests/s. Switch
//!   the request log off ([`RequestLog::set_enabled`]) and use [`RateLimits::unlimited`] for
//!   benchmarks.
//! - **Webhooks**: with an endpoint registered ([`FakeClerk::add_webhook_endpoint`]), invitation
//!   creates, revocations and acceptances, and membership creates, updates and deletes are
//!   POSTed as Clerk's signed events and retried on Svix's schedule
//!   ([`WEBHOOK_RETRY_SCHEDULE`]) on the fake's clock. On the virtual clock they go out when a
//!   test calls [`FakeClerk::deliver_due`]; [`FakeClerk::webhook_deliveries`] logs every
//!   attempt. Endpoints must be `http://` (no TLS client).
//!
//! # What it does not cover
//!
//! Everything else in BAPI (organizations and users are seeded from Rust; users are only listed
//! over HTTP), emails, invitation URLs and tickets (`url` is always `null`), images, role sets,
//! SCIM, updating or deleting roles, organization-domain invitations, and the exact wording of
//! some of Clerk's messages (the fake's come from Clerk's error catalog where it has them).
//!
//! # Cargo features
//!
//! None: everything above is always built. It signs webhooks with `hmac`, `sha2` and `base64` (the
//! crates `clerk-orgs` verifies with) and sends them with hyper's HTTP/1 client, without TLS.
//!
//! # Example
//!
//! ```no_run
//! use clerk_fake::{FakeClerk, Organization, User, ADMIN_ROLE};
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), clerk_fake::SeedError> {
//! let fake = FakeClerk::start().await;
//! fake.add_organization(Organization::new("org_1", "Acme").with_max_allowed_memberships(50));
//! fake.add_user(User::new("user_1", "admin@acme.test").with_name("Ada", "Admin"));
//! fake.add_membership("org_1", "user_1", ADMIN_ROLE)?;
//!
//! // Point the client under test at the fake; it appends `/v1` itself.
//! let base_url = fake.base_url();
//! let secret_key = fake.secret_key();
//! # let _ = (base_url, secret_key);
//!
//! // Thirty-one days later, pending invitations have expired.
//! fake.clock().advance(Duration::from_secs(31 * 24 * 3600));
//! # Ok(())
//! # }
//! ```
//!
//! Dropping the [`FakeClerk`] stops its server.

#![forbid(unsafe_code)]
// docs.rs (and `.ci/package docs`) pass `--cfg docsrs`: `doc_cfg` then marks every item behind a
// feature as such. Nightly-only, hence never on for a build.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod admin;
mod app;
mod clock;
mod errors;
mod faults;
mod ids;
mod params;
mod rate_limit;
mod request_log;
mod routes;
mod server;
mod state;
mod webhooks;
mod wire;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use clock::{Clock, DEFAULT_START_MS};

/// The organization [`FakeClerk::seed_demo`] seeds.
pub const DEMO_ORG: &str = "org_demo";
/// The admin of [`DEMO_ORG`] that [`FakeClerk::seed_demo`] seeds.
pub const DEMO_ADMIN: &str = "user_admin";
pub use faults::{Fault, Faults, RetryAfter, Route, RouteFaults};
pub use rate_limit::{KeyKind, Limit, ParseLimitError, RateLimits};
pub use request_log::{DEFAULT_LOG_CAP, LoggedRequest, RequestLog};
pub use state::{
    ADMIN_ROLE, Invitation, InvitationStatus, MEMBER_ROLE, Membership, MembershipChange,
    MembershipChangeKind, Organization, Permission, Role, SeedError, StoredRole, User,
};
pub use webhooks::{
    DeliveryOutcome, WEBHOOK_ATTEMPT_TIMEOUT, WEBHOOK_RETRY_SCHEDULE, WebhookDelivery,
    WebhookEndpointError,
};

use app::App;
use serde_json::{Map, Value};
use state::Store;
use webhooks::Webhooks;

/// A running fake Clerk on 127.0.0.1; dropping it stops the server.
#[derive(Debug)]
pub struct FakeClerk {
    app: Arc<App>,
    addr: SocketAddr,
    shutdown: CancellationToken,
    webhooks: Arc<Webhooks>,
}

/// An endpoint given to the builder, registered before the fake listens.
#[derive(Clone)]
struct BuilderEndpoint {
    url: String,
    secret: String,
}

impl std::fmt::Debug for BuilderEndpoint {
    // The secret stays out of Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Configures a [`FakeClerk`] before it starts.
#[derive(Debug, Clone)]
pub struct FakeClerkBuilder {
    key_kind: KeyKind,
    rate_limits: Option<RateLimits>,
    log_cap: usize,
    clock_start_ms: i64,
    real_clock: bool,
    port: u16,
    webhook_worker: Option<bool>,
    webhook_id_seed: Option<u64>,
    webhook_endpoints: Vec<BuilderEndpoint>,
}

impl FakeClerkBuilder {
    /// Issue a `sk_live_` (production) or `sk_test_` (development, the default) key; the kind
    /// sets the default global rate limit.
    pub fn key_kind(mut self, key_kind: KeyKind) -> Self {
        self.key_kind = key_kind;
        self
    }

    /// Replaces Clerk's default limits for the key kind.
    pub fn rate_limits(mut self, rate_limits: RateLimits) -> Self {
        self.rate_limits = Some(rate_limits);
        self
    }

    /// Keeps at most this many requests in the log; 0 disables it.
    pub fn request_log_cap(mut self, cap: usize) -> Self {
        self.log_cap = cap;
        self
    }

    /// Starts the virtual clock at this Unix time in milliseconds; no effect with
    /// [`real_clock`](Self::real_clock).
    pub fn clock_start_ms(mut self, unix_ms: i64) -> Self {
        self.clock_start_ms = unix_ms;
        self
    }

    /// Runs on system time instead of the virtual clock: timestamps, expiry, rate-limit windows
    /// and the `Date` header follow real time, so a rate-limited client gets its budget back
    /// after the `Retry-After` it was told. For fakes whose clients cannot advance a clock
    /// (another process, curl, a benchmark). [`Clock::advance`] still works and adds an offset
    /// on top of system time.
    pub fn real_clock(mut self) -> Self {
        self.real_clock = true;
        self
    }

    /// Listens on this port of 127.0.0.1 instead of an ephemeral one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether a background task sends webhook attempts as they become due. Off by default on
    /// the virtual clock, where tests drive deliveries with [`FakeClerk::deliver_due`] and get
    /// them in a known order; on by default with [`real_clock`](Self::real_clock).
    pub fn webhook_worker(mut self, enabled: bool) -> Self {
        self.webhook_worker = Some(enabled);
        self
    }

    /// Makes webhook message ids (`svix-id`) reproducible: the same seed gives the same ids in
    /// the same order, for simulations that replay a seed. Without it every fake starts its ids
    /// at a random point, so no two fakes (two test runs, a restarted standalone fake) send the
    /// same svix-id to a receiver that remembers the ids it has processed. Other ids (invitations,
    /// memberships, roles, trace ids) come from per-instance counters either way.
    pub fn webhook_id_seed(mut self, seed: u64) -> Self {
        self.webhook_id_seed = Some(seed);
        self
    }

    /// Registers a webhook endpoint before the fake starts listening, so no request can come
    /// before it (see [`FakeClerk::add_webhook_endpoint`] for the forms `secret` may take).
    /// [`start`](Self::start) fails with [`io::ErrorKind::InvalidInput`] if one is invalid.
    pub fn webhook_endpoint(mut self, url: impl Into<String>, secret: impl Into<String>) -> Self {
        self.webhook_endpoints.push(BuilderEndpoint {
            url: url.into(),
            secret: secret.into(),
        });
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// If the port cannot be bound, or an endpoint given to
    /// [`webhook_endpoint`](Self::webhook_endpoint) is invalid.
    pub async fn start(self) -> io::Result<FakeClerk> {
        let clock = if self.real_clock {
            Clock::real()
        } else {
            Clock::starting_at(self.clock_start_ms)
        };
        let webhooks = Arc::new(Webhooks::new(clock.clone(), self.webhook_id_seed));
        for endpoint in &self.webhook_endpoints {
            webhooks
                .add_endpoint(&endpoint.url, &endpoint.secret)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let addr = listener.local_addr()?;
        let secret_key = match self.key_kind {
            KeyKind::Test => "sk_test_FakeClerkLocalDevelopmentKey0000",
            KeyKind::Live => "sk_live_FakeClerkLocalProductionKey00000",
        };
        let limits = self
            .rate_limits
            .unwrap_or(RateLimits::clerk_defaults(self.key_kind));
        let store = Store::new(clock.now_ms());
        let app = Arc::new(App {
            store: Mutex::new(store),
            clock,
            faults: Faults::default(),
            limiter: Mutex::new(rate_limit::RateLimiter::new(limits)),
            log: RequestLog::new(self.log_cap),
            secret_key: secret_key.to_owned(),
            trace_ids: AtomicU64::new(0),
            webhooks: webhooks.clone(),
        });
        let shutdown = CancellationToken::new();
        // The fake-only routes sit beside the API's; the API router keeps the fallback.
        let router = admin::router(app.clone()).merge(routes::router(app.clone()));
        tokio::spawn(server::serve(listener, router, shutdown.clone()));
        if self.webhook_worker.unwrap_or(self.real_clock) {
            tokio::spawn(webhooks.clone().run_worker(shutdown.clone()));
        }
        Ok(FakeClerk {
            app,
            addr,
            shutdown,
            webhooks,
        })
    }
}

impl FakeClerk {
    /// Starts a fake with Clerk's defaults on an ephemeral port.
    ///
    /// # Panics
    ///
    /// If no port on 127.0.0.1 can be bound; use [`FakeClerk::builder`] to handle that.
    pub async fn start() -> Self {
        Self::builder()
            .start()
            .await
            .expect("clerk-fake: cannot listen on 127.0.0.1")
    }

    /// A builder to change the key kind, rate limits, log cap, clock or port.
    pub fn builder() -> FakeClerkBuilder {
        FakeClerkBuilder {
            key_kind: KeyKind::Test,
            rate_limits: None,
            log_cap: DEFAULT_LOG_CAP,
            clock_start_ms: DEFAULT_START_MS,
            real_clock: false,
            port: 0,
            webhook_worker: None,
            webhook_id_seed: None,
            webhook_endpoints: Vec::new(),
        }
    }

    /// `http://127.0.0.1:PORT`, without `/v1`, like `https://api.clerk.com`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The one secret key this instance accepts (`sk_test_...` or `sk_live_...`).
    pub fn secret_key(&self) -> &str {
        &self.app.secret_key
    }

    /// The clock behind timestamps, expiry, rate-limit windows and the `Date` header: virtual
    /// unless the fake was built with [`FakeClerkBuilder::real_clock`].
    pub fn clock(&self) -> &Clock {
        &self.app.clock
    }

    /// The fault script.
    pub fn faults(&self) -> &Faults {
        &self.app.faults
    }

    /// The log of received requests.
    pub fn request_log(&self) -> &RequestLog {
        &self.app.log
    }

    /// Adds or replaces an organization; its `created_at` is the fake's clock when it was
    /// first added.
    pub fn add_organization(&self, organization: Organization) {
        let now_ms = self.app.clock.now_ms();
        self.app.store().add_organization(organization, now_ms);
    }

    /// Adds or replaces a user; its `created_at` is the fake's clock when it was first added.
    pub fn add_user(&self, user: User) {
        let now_ms = self.app.clock.now_ms();
        self.app.store().add_user(user, now_ms);
    }

    /// Seeds the demo world the standalone `cargo run -p clerk-fake` serves and the README's
    /// snippets name: the organization [`DEMO_ORG`] with its admin [`DEMO_ADMIN`]
    /// (`admin@demo.test`).
    pub fn seed_demo(&self) {
        self.add_organization(Organization::new(DEMO_ORG, "Demo Org"));
        self.add_user(User::new(DEMO_ADMIN, "admin@demo.test").with_name("Demo", "Admin"));
        // Both were just added, so the membership cannot fail.
        let _ = self.add_membership(DEMO_ORG, DEMO_ADMIN, ADMIN_ROLE);
    }

    /// Adds a custom role without permissions (e.g. `org:billing`, "Billing"), usable in
    /// invitations and memberships; renames it if the key exists. [`seed_role`](Self::seed_role)
    /// sets a description and permissions too.
    pub fn add_role(&self, key: impl Into<String>, name: impl Into<String>) {
        let now_ms = self.app.clock.now_ms();
        self.app.store().add_role(key.into(), name.into(), now_ms);
    }

    /// Adds or replaces an organization role with its permissions (by key: Clerk's system
    /// permissions such as `org:sys_memberships:manage`, or ones added with
    /// [`add_permission`](Self::add_permission)), and returns its `role_...` id. A role that
    /// exists keeps its id. Every instance starts with Clerk's [`ADMIN_ROLE`] (all system
    /// permissions) and [`MEMBER_ROLE`] (read members, read billing).
    ///
    /// # Errors
    ///
    /// [`SeedError::UnknownPermission`] for a permission key the instance does not have.
    pub fn seed_role(&self, role: Role) -> Result<String, SeedError> {
        let now_ms = self.app.clock.now_ms();
        self.app.store().seed_role(role, now_ms)
    }

    /// Adds or replaces a custom permission (e.g. `org:invoices:create`) that roles can hold;
    /// returns its `perm_...` id.
    pub fn add_permission(&self, permission: Permission) -> String {
        let now_ms = self.app.clock.now_ms();
        self.app.store().add_permission(permission, now_ms)
    }

    /// Every organization role of the instance, oldest first (the two defaults first).
    pub fn roles(&self) -> Vec<StoredRole> {
        self.app.store().roles()
    }

    /// One role, by key.
    pub fn role(&self, key: &str) -> Option<StoredRole> {
        self.app.store().role(key).cloned()
    }

    /// Makes a user a member of an organization with a role, or changes the role of an
    /// existing member. Seeding: no webhook event, no membership limit, no last-admin rule.
    ///
    /// # Errors
    ///
    /// [`SeedError`] if the organization, the user or the role does not exist.
    pub fn add_membership(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<(), SeedError> {
        let now_ms = self.app.clock.now_ms();
        self.app
            .store()
            .add_membership(organization_id, user_id, role, now_ms)
    }

    /// Replaces a membership's public and private metadata (seeding: no merge, no event).
    ///
    /// # Errors
    ///
    /// [`SeedError::NotAMember`] if the user is not a member of the organization.
    pub fn set_membership_metadata(
        &self,
        organization_id: &str,
        user_id: &str,
        public_metadata: Map<String, Value>,
        private_metadata: Map<String, Value>,
    ) -> Result<(), SeedError> {
        let now_ms = self.app.clock.now_ms();
        self.app.store().set_membership_metadata(
            organization_id,
            user_id,
            public_metadata,
            private_metadata,
            now_ms,
        )
    }

    /// One membership, as stored.
    pub fn membership(&self, organization_id: &str, user_id: &str) -> Option<Membership> {
        self.app
            .store()
            .membership(organization_id, user_id)
            .cloned()
    }

    /// An organization's memberships, oldest first.
    pub fn memberships(&self, organization_id: &str) -> Vec<Membership> {
        self.app.store().memberships_of(organization_id)
    }

    /// Every membership of the instance, oldest first.
    pub fn all_memberships(&self) -> Vec<Membership> {
        self.app.store().all_memberships()
    }

    /// Every change to a membership so far, oldest first: creates (over the API, by accepted
    /// invitations, seeded), role and metadata changes, deletes, each with the membership as it
    /// left it and a sequence number. The most recent 10,000 are kept. For tests that judge a
    /// client against what really happened (`clerk-sim` checks its invariants on it).
    pub fn membership_history(&self) -> Vec<MembershipChange> {
        self.app.store().membership_history()
    }

    /// Accepts a pending invitation as its invitee would: the user with that email (created if
    /// none exists) becomes a member with the invited role and the invitation's public and
    /// private metadata (Clerk transfers them to the new membership). Returns that user's id.
    /// Queues the `organizationInvitation.accepted` and `organizationMembership.created`
    /// webhooks.
    ///
    /// If the invitee is already a member (added over the API after being invited), their
    /// membership stays as it is (role and metadata unchanged, no membership event) and the
    /// invitation is marked accepted (only `organizationInvitation.accepted` is queued). This is
    /// the fake's choice: Clerk does not document the case. It never demotes an organization's
    /// last admin.
    ///
    /// Over HTTP (curl, the standalone binary): `POST /__fake/invitations/{id}/accept`.
    pub fn accept_invitation(&self, invitation_id: &str) -> Result<String, SeedError> {
        let now_ms = self.app.clock.now_ms();
        self.app
            .transact(|store| store.accept_invitation(invitation_id, now_ms))
    }

    /// One invitation, with its status as of the fake's clock.
    pub fn invitation(&self, invitation_id: &str) -> Option<Invitation> {
        let now_ms = self.app.clock.now_ms();
        self.app.store().invitation(invitation_id, now_ms)
    }

    /// Every invitation, oldest first, with statuses as of the fake's clock.
    pub fn invitations(&self) -> Vec<Invitation> {
        let now_ms = self.app.clock.now_ms();
        self.app.store().all_invitations(now_ms)
    }
}

/// Webhooks: Clerk's organization invitation and membership events, signed and retried as Svix
/// does. See [`WEBHOOK_RETRY_SCHEDULE`] and [`WebhookDelivery`].
impl FakeClerk {
    /// Registers an endpoint that receives every event from now on: invitation creates (single
    /// and bulk) and revocations, membership creates, role and metadata updates and deletes over
    /// the API, and acceptances ([`accept_invitation`](Self::accept_invitation)). Seeding calls
    /// send nothing. `secret` is the signing secret the endpoint verifies with, `whsec_<base64>`
    /// as the Clerk Dashboard shows it or bare `<base64>` (the forms `clerk-orgs` accepts).
    /// Events that happened before are not sent.
    ///
    /// Attempts go out on [`deliver_due`](Self::deliver_due), or by themselves with the
    /// background worker ([`FakeClerkBuilder::webhook_worker`]; on with the real clock).
    ///
    /// # Errors
    ///
    /// [`WebhookEndpointError`] if `url` is not an absolute `http://` URL or `secret` is not
    /// base64 (after an optional `whsec_`).
    pub fn add_webhook_endpoint(
        &self,
        url: &str,
        secret: &str,
    ) -> Result<(), WebhookEndpointError> {
        self.webhooks.add_endpoint(url, secret)
    }

    /// [`add_webhook_endpoint`](Self::add_webhook_endpoint) with a new random secret, which it
    /// returns for the endpoint to verify with.
    ///
    /// # Errors
    ///
    /// [`WebhookEndpointError::InvalidUrl`] as for `add_webhook_endpoint`.
    pub fn add_webhook_endpoint_with_new_secret(
        &self,
        url: &str,
    ) -> Result<String, WebhookEndpointError> {
        let secret = generate_webhook_secret();
        self.webhooks.add_endpoint(url, &secret)?;
        Ok(secret)
    }

    /// Makes every webhook attempt due at the fake's clock, one at a time in the order they
    /// became due, and returns how many it made; see [`webhook_deliveries`](Self::webhook_deliveries)
    /// for how they went. On the virtual clock this is how a test drives deliveries: new events
    /// are due at once, and a failed attempt's retry after the clock passes its time
    /// ([`next_webhook_attempt_at_ms`](Self::next_webhook_attempt_at_ms)). A retry scheduled
    /// during this call is never due within it.
    pub async fn deliver_due(&self) -> usize {
        self.webhooks.deliver_due().await
    }

    /// Every webhook attempt made so far (the most recent 10,000), oldest first.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.webhooks.deliveries()
    }

    /// How many attempts are waiting, due or not (one per message and endpoint).
    pub fn pending_webhook_attempts(&self) -> usize {
        self.webhooks.pending_attempts()
    }

    /// When the earliest waiting attempt is due on the fake's clock, Unix milliseconds.
    pub fn next_webhook_attempt_at_ms(&self) -> Option<i64> {
        self.webhooks.next_attempt_at_ms()
    }
}

/// A new `whsec_<base64>` signing secret (24 bytes, as Svix makes them), for
/// [`FakeClerk::add_webhook_endpoint`] and the endpoint under test. Random enough not to repeat
/// across runs, but not from a cryptographic generator: it guards only a local fake.
pub fn generate_webhook_secret() -> String {
    webhooks::generate_secret()
}

impl Drop for FakeClerk {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
