//! The one test harness of `clerk-orgs`: a `clerk-fake` seeded with one world (`org_acme`, its
//! admin and member), over real HTTP, and two ways to point a client at it.
//!
//! - [`World`], for the retry, rate-limit, duplicate and bulk tests: a client that runs on the
//!   fake's virtual clock ([`FakeTime`]), with the client's default retries and budgets. Sleeping
//!   advances the clock, so backoff, `Retry-After` and hours of rate-limit windows play out in
//!   microseconds of real time, with no sleeps in tests.
//! - [`Env`], for the per-operation tests: the same world plus a second organization and a
//!   custom role, and a client making exactly one request per call ([`client_for`]), so each
//!   answer is seen as Clerk sent it.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

pub mod canned;
pub mod events;

use std::sync::Arc;
use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, FakeClerk, LoggedRequest, MEMBER_ROLE, Organization, User};
use clerk_orgs::clock::{Clock, Sleep};
use clerk_orgs::{Client, ClientBuilder, RateLimits, RetryPolicy};
use serde_json::Value;

/// The seeded organization, its admin and an ordinary member.
pub const ORG: &str = "org_acme";
/// A second organization (seeded by [`Env`]); the admin is its admin too.
pub const OTHER_ORG: &str = "org_globex";
pub const ADMIN: &str = "user_admin";
pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const MEMBER: &str = "user_member";
pub const MEMBER_EMAIL: &str = "member@acme.test";

/// `clerk-fake`'s virtual clock as the client's clock: `sleep(d)` moves it forward by `d`
/// (rounded up to the fake's millisecond) and completes at once.
#[derive(Debug, Clone)]
pub struct FakeTime(pub clerk_fake::Clock);

impl Clock for FakeTime {
    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_ms()).unwrap_or(0))
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        // Rounded up, or a wait of 0.4 ms would never pass on a millisecond clock. The tests
        // sleep from one task at a time, so advancing by the wait is advancing to the deadline.
        let millis = u64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        self.0.advance(Duration::from_millis(millis));
        Box::pin(std::future::ready(()))
    }
}

/// A fake with `org_acme` (admin `user_admin`, member `user_member`).
pub struct World {
    pub fake: FakeClerk,
    /// The fake's virtual time when the world was made, Unix milliseconds.
    pub start_ms: i64,
}

impl World {
    pub async fn new() -> Self {
        Self::with(FakeClerk::start().await)
    }

    pub fn with(fake: FakeClerk) -> Self {
        seed_acme(&fake);
        let start_ms = fake.clock().now_ms();
        Self { fake, start_ms }
    }

    /// A client builder for the fake, on its virtual clock, with a short real timeout (only the
    /// fake's `Delay` fault ever reaches it).
    pub fn builder(&self) -> ClientBuilder {
        Client::builder()
            .secret_key(self.fake.secret_key().to_owned())
            .base_url(self.fake.base_url())
            .timeout(Duration::from_millis(500))
            .clock(Arc::new(FakeTime(self.fake.clock().clone())))
    }

    pub fn client(&self) -> Client {
        self.builder().build().unwrap()
    }

    /// Virtual time since the fake started.
    pub fn elapsed(&self) -> Duration {
        let ms = self.fake.clock().now_ms() - self.start_ms;
        Duration::from_millis(u64::try_from(ms).unwrap())
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.fake.request_log().requests()
    }

    /// Requests with this method whose path (without query) is exactly `path` below `/v1`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        let full = format!("/v1{path}");
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path_and_query.split('?').next() == Some(&full))
            .count()
    }

    pub fn creates(&self) -> usize {
        self.count("POST", &format!("/organizations/{ORG}/invitations"))
    }

    pub fn bulk_creates(&self) -> usize {
        self.count("POST", &format!("/organizations/{ORG}/invitations/bulk"))
    }

    /// The members of `org_acme`, through a client on the fake's clock with default retries.
    pub fn members(&self) -> clerk_orgs::Memberships {
        self.client().organization(ORG).memberships()
    }

    /// Scripts `faults` on `route`, one per request from the next one on.
    pub fn faults(&self, route: clerk_fake::Route, faults: &[clerk_fake::Fault]) {
        for (n, fault) in faults.iter().enumerate() {
            self.fake
                .faults()
                .on(route)
                .nth(n as u64 + 1, fault.clone());
        }
    }

    /// `user`'s membership of `org_acme` as the fake has it now, read through a separate
    /// single-attempt client.
    pub async fn member_now(&self, user: &str) -> Option<clerk_orgs::OrganizationMembership> {
        client_for(&self.fake)
            .organization(ORG)
            .memberships()
            .find(user)
            .send()
            .await
            .unwrap()
    }

    pub fn lists(&self) -> usize {
        self.count("GET", &format!("/organizations/{ORG}/invitations"))
    }

    /// Asserts that no email has more than one invitation and returns how many there are.
    pub fn assert_no_duplicates(&self) -> usize {
        let invitations = self.fake.invitations();
        let mut emails: Vec<String> = invitations
            .iter()
            .map(|i| i.email_address.to_lowercase())
            .collect();
        emails.sort();
        let before = emails.len();
        emails.dedup();
        assert_eq!(before, emails.len(), "an email was invited twice");
        before
    }
}

/// Seeds `org_acme` with its admin `user_admin` and member `user_member`.
fn seed_acme(fake: &FakeClerk) {
    fake.add_organization(Organization::new(ORG, "Acme Inc"));
    fake.add_user(User::new(ADMIN, ADMIN_EMAIL).with_name("Ada", "Admin"));
    fake.add_user(User::new(MEMBER, MEMBER_EMAIL));
    fake.add_membership(ORG, ADMIN, ADMIN_ROLE).unwrap();
    fake.add_membership(ORG, MEMBER, MEMBER_ROLE).unwrap();
}

/// A fake seeded like [`World`] plus `org_globex` (admin `user_admin`) and the custom role
/// `org:billing`, and a single-attempt client for it.
pub struct Env {
    pub fake: FakeClerk,
    pub client: Client,
}

impl Env {
    pub async fn new() -> Self {
        Self::with(FakeClerk::start().await)
    }

    pub fn with(fake: FakeClerk) -> Self {
        seed_acme(&fake);
        fake.add_organization(Organization::new(OTHER_ORG, "Globex"));
        fake.add_role("org:billing", "Billing");
        fake.add_membership(OTHER_ORG, ADMIN, ADMIN_ROLE).unwrap();
        let client = client_for(&fake);
        Self { fake, client }
    }

    /// Requests the fake received, oldest first.
    pub fn sent(&self) -> Vec<LoggedRequest> {
        self.fake.request_log().requests()
    }

    /// The one request the fake received since the log was last cleared.
    pub fn only_request(&self) -> LoggedRequest {
        let mut sent = self.sent();
        assert_eq!(sent.len(), 1, "expected exactly one request: {sent:#?}");
        sent.remove(0)
    }

    pub fn clear_log(&self) {
        self.fake.request_log().clear();
    }
}

/// A client making exactly one request per call: no retries and no client-side budgets, so
/// tests see each answer (and its classification) as Clerk sent it. The resilience layer has
/// its own tests.
pub fn client_for(fake: &FakeClerk) -> Client {
    single_attempt()
        .secret_key(fake.secret_key())
        .base_url(fake.base_url())
        .build()
        .unwrap()
}

/// A builder for a single-attempt client.
pub fn single_attempt() -> ClientBuilder {
    Client::builder()
        .retry(RetryPolicy::none())
        .rate_limits(RateLimits::none())
}

/// A single-attempt client pointed at a port nothing listens on: every request is refused at
/// connect time, so nothing is ever sent.
pub fn refusing_client() -> Client {
    // Bind a port, then free it, so nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    single_attempt()
        .secret_key("sk_test_x")
        .base_url(format!("http://{addr}"))
        .build()
        .unwrap()
}

/// Requests to `{ORG}`'s memberships with this method and path below `/memberships`
/// (`""` for the collection, `/user_x` for one member, `/user_x/metadata`).
pub fn membership_requests(requests: &[LoggedRequest], method: &str, below: &str) -> usize {
    let full = format!("/v1/organizations/{ORG}/memberships{below}");
    requests
        .iter()
        .filter(|r| r.method == method && r.path_and_query.split('?').next() == Some(&full))
        .count()
}

/// A request's body as JSON.
pub fn json_body(request: &LoggedRequest) -> Value {
    serde_json::from_slice(&request.body).expect("request body is JSON")
}

/// `person{n}@example.test`.
pub fn email(n: usize) -> String {
    format!("person{n}@example.test")
}

/// Asserts that an [`clerk_orgs::Error::Unresolved`]'s answer accessors all describe its last
/// attempt's answer (the rule of `clerk_orgs::Error`'s docs), and returns that answer.
pub fn assert_accessors_describe_the_last_answer(error: &clerk_orgs::Error) -> &clerk_orgs::Error {
    let last = error
        .unresolved()
        .unwrap_or_else(|| panic!("not unresolved: {error:?}"))
        .last_attempt();
    assert_eq!(error.status(), last.status(), "status");
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        last.codes().collect::<Vec<_>>(),
        "codes"
    );
    assert_eq!(error.trace_id(), last.trace_id(), "trace id");
    assert_eq!(error.retry_after(), last.retry_after(), "retry_after");
    assert_eq!(
        error.api().map(|api| api as *const _),
        last.api().map(|api| api as *const _),
        "api: the same answer"
    );
    assert_eq!(error.operation(), last.operation(), "operation");
    last
}

pub mod roster;
