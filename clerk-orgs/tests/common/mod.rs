//! Shared harness: a seeded `clerk-fake` over real HTTP and a `clerk_orgs::Client` pointed at it.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use clerk_fake::{ADMIN_ROLE, FakeClerk, LoggedRequest, MEMBER_ROLE, Organization, User};
use clerk_orgs::{Client, ClientBuilder, RateLimits, RetryPolicy};
use serde_json::Value;

/// The seeded organization, its admin and an ordinary member.
pub const ORG: &str = "org_acme";
pub const OTHER_ORG: &str = "org_globex";
pub const ADMIN: &str = "user_admin";
pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const MEMBER: &str = "user_member";
pub const MEMBER_EMAIL: &str = "member@acme.test";

pub struct Env {
    pub fake: FakeClerk,
    pub client: Client,
}

impl Env {
    /// A fake with `org_acme` (admin, member, custom role `org:billing`) and `org_globex`.
    pub async fn new() -> Self {
        Self::with(FakeClerk::start().await)
    }

    pub fn with(fake: FakeClerk) -> Self {
        fake.add_organization(Organization::new(ORG, "Acme Inc"));
        fake.add_organization(Organization::new(OTHER_ORG, "Globex"));
        fake.add_user(User::new(ADMIN, ADMIN_EMAIL).with_name("Ada", "Admin"));
        fake.add_user(User::new(MEMBER, MEMBER_EMAIL));
        fake.add_role("org:billing", "Billing");
        fake.add_membership(ORG, ADMIN, ADMIN_ROLE).unwrap();
        fake.add_membership(ORG, MEMBER, MEMBER_ROLE).unwrap();
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
/// these tests see each answer (and its classification) as Clerk sent it. The resilience layer
/// has its own tests.
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

/// A request's body as JSON.
pub fn json_body(request: &LoggedRequest) -> Value {
    serde_json::from_slice(&request.body).expect("request body is JSON")
}
