//! Shared test harness: a seeded fake, a real HTTP client, and a check that every JSON body
//! the fake sends matches the vendored spec's schema for that operation and status.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

pub mod binary;
pub mod receiver;
pub mod spec;

use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, FakeClerk, Limit, MEMBER_ROLE, Organization, RateLimits, User};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The seeded organization, its admin and an ordinary member.
pub const ORG: &str = "org_acme";
pub const ADMIN: &str = "user_admin";
pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const MEMBER: &str = "user_member";
pub const MEMBER_EMAIL: &str = "member@acme.test";

/// A fake with `org_acme` (admin `user_admin`, member `user_member`) and a client for it.
pub struct Api {
    pub fake: FakeClerk,
    pub client: reqwest::Client,
}

/// A response, its JSON body already checked against the spec.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The first error's `code`, for error replies.
    pub fn error_code(&self) -> &str {
        self.body["errors"][0]["code"].as_str().unwrap_or("")
    }

    /// Asserts an error answer's status and first code; `context` names the case on failure.
    pub fn assert_error(&self, status: u16, code: &str, context: &str) {
        assert_eq!(self.status.as_u16(), status, "{context}: {:#}", self.body);
        assert_eq!(self.error_code(), code, "{context}");
    }

    /// The `Retry-After` header in seconds; panics if there is none.
    pub fn retry_after(&self) -> u64 {
        self.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

/// A plain reqwest client. The workspace builds reqwest without a TLS crypto provider (the
/// client crate lets users pick one), so install ring first; a second install is a no-op error.
pub fn client() -> reqwest::Client {
    #[allow(deprecated)] // ring's provider, as clerk-orgs uses it (see its client.rs)
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

impl Api {
    pub async fn new() -> Self {
        Self::with(FakeClerk::start().await)
    }

    /// A seeded fake whose only rate limit is `requests` per `window` across all requests.
    pub async fn with_global_limit(requests: u32, window: Duration) -> Self {
        let limits = RateLimits {
            all_requests: Some(Limit::new(requests, window)),
            ..RateLimits::unlimited()
        };
        Self::with(
            FakeClerk::builder()
                .rate_limits(limits)
                .start()
                .await
                .unwrap(),
        )
    }

    pub fn with(fake: FakeClerk) -> Self {
        fake.add_organization(Organization::new(ORG, "Acme Inc"));
        fake.add_user(User::new(ADMIN, ADMIN_EMAIL).with_name("Ada", "Admin"));
        fake.add_user(User::new(MEMBER, MEMBER_EMAIL));
        fake.add_membership(ORG, ADMIN, ADMIN_ROLE).unwrap();
        fake.add_membership(ORG, MEMBER, MEMBER_ROLE).unwrap();
        Self {
            fake,
            client: client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/v1{path}", self.fake.base_url())
    }

    /// An authenticated request; `path` is below `/v1`.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(self.fake.secret_key())
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(self.request(Method::PATCH, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// `POST /organizations/org_acme/invitations` as the admin.
    pub async fn invite(&self, email: &str) -> Reply {
        self.post(
            &format!("/organizations/{ORG}/invitations"),
            json!({"email_address": email, "role": MEMBER_ROLE, "inviter_user_id": ADMIN}),
        )
        .await
    }

    /// Sends, then checks the body against the spec and the trace-id header against the body.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let request = request.build().expect("request builds");
        let (method, path) = (request.method().clone(), request.url().path().to_owned());
        let response = self.client.execute(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.expect("JSON body");
        let path = path.strip_prefix("/v1").expect("a /v1 path");
        spec::assert_matches_operation(&method, path, status, &body);
        let trace_id = headers
            .get("x-clerk-trace-id")
            .and_then(|v| v.to_str().ok())
            .expect("x-clerk-trace-id header");
        assert!(!trace_id.is_empty());
        if !status.is_success() {
            assert_eq!(body["clerk_trace_id"], trace_id, "{body}");
        }
        Reply {
            status,
            headers,
            body,
        }
    }
}
