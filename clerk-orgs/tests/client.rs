//! Building the client: configuration rules, headers on the wire, shared pool, no key leaks.

mod support;

use std::time::Duration;

use clerk_orgs::{Client, DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Error, KeyKind, Role, USER_AGENT};
use support::{Env, ORG};

fn config_error(result: Result<Client, Error>) -> (String, String) {
    match result {
        Err(Error::Config(config)) => (config.setting().to_owned(), config.to_string()),
        other => panic!("expected a configuration error: {other:?}"),
    }
}

#[test]
fn configuration_rules() {
    let key = "sk_test_SecretValue123";
    let cases: &[(Option<&str>, &str, &str)] = &[
        (None, "https://api.clerk.com", "secret_key"),
        (Some(""), "https://api.clerk.com", "secret_key"),
        (
            Some("sk_test_ has space"),
            "https://api.clerk.com",
            "secret_key",
        ),
        (Some(key), "http://api.clerk.com", "base_url"),
        (Some(key), "http://192.168.1.10:8080", "base_url"),
        (Some(key), "https://api.clerk.com/v1", "base_url"),
        (Some(key), "not a url", "base_url"),
        (Some(key), "https://user:pass@api.clerk.com", "base_url"),
    ];
    for (secret, base_url, setting) in cases {
        let mut builder = Client::builder().base_url(*base_url);
        if let Some(secret) = secret {
            builder = builder.secret_key(*secret);
        }
        let (got, shown) = config_error(builder.build());
        assert_eq!(got, *setting, "{secret:?} {base_url}");
        assert!(!shown.contains("SecretValue"), "{shown}");
    }
    let zero = Client::builder()
        .secret_key(key)
        .timeout(Duration::ZERO)
        .build();
    assert_eq!(config_error(zero).0, "timeout");
}

#[test]
fn defaults_and_debug_without_the_key() {
    let builder = Client::builder().secret_key("sk_live_SecretValue123");
    assert!(!format!("{builder:?}").contains("SecretValue"));
    let client = builder.build().unwrap();
    assert_eq!(client.base_url(), DEFAULT_BASE_URL);
    assert_eq!(client.timeout(), DEFAULT_TIMEOUT);
    assert_eq!(client.key_kind(), KeyKind::Live);
    let debug = format!("{client:?}");
    assert!(!debug.contains("SecretValue"), "{debug}");
    assert!(debug.contains("https://api.clerk.com"));

    for loopback in [
        "http://localhost:1",
        "http://127.0.0.1:1/",
        "http://[::1]:1",
    ] {
        let client = Client::builder()
            .secret_key("sk_test_x")
            .base_url(loopback)
            .build()
            .unwrap();
        assert_eq!(client.key_kind(), KeyKind::Test);
        assert!(!client.base_url().ends_with('/'));
    }
}

#[test]
fn from_env_reads_the_key_and_optional_url() {
    // This is the only test in this binary that touches these variables.
    // SAFETY: no other thread of this test binary reads or writes the environment meanwhile.
    unsafe {
        std::env::remove_var("CLERK_SECRET_KEY");
        std::env::remove_var("CLERK_API_URL");
    }
    assert_eq!(config_error(Client::from_env()).0, "CLERK_SECRET_KEY");
    unsafe { std::env::set_var("CLERK_SECRET_KEY", "sk_test_FromEnv") };
    assert_eq!(Client::from_env().unwrap().base_url(), DEFAULT_BASE_URL);
    unsafe { std::env::set_var("CLERK_API_URL", "http://127.0.0.1:8787/") };
    assert_eq!(
        Client::from_env().unwrap().base_url(),
        "http://127.0.0.1:8787"
    );
    unsafe { std::env::set_var("CLERK_API_URL", "http://clerk.internal") };
    assert_eq!(config_error(Client::from_env()).0, "base_url");
    unsafe {
        std::env::remove_var("CLERK_SECRET_KEY");
        std::env::remove_var("CLERK_API_URL");
    }
}

#[tokio::test]
async fn every_request_carries_auth_api_version_and_user_agent() {
    let env = Env::new().await;
    let invitations = env.client.organization(ORG).invitations();
    invitations
        .create("a@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap();
    invitations.list().send().await.unwrap();
    env.client
        .organization_invitations()
        .list()
        .send()
        .await
        .unwrap();
    env.client
        .user(support::ADMIN)
        .organization_invitations()
        .list()
        .send()
        .await
        .unwrap();
    let sent = env.sent();
    assert_eq!(sent.len(), 4);
    let bearer = format!("Bearer {}", env.fake.secret_key());
    for request in sent {
        assert_eq!(request.header("authorization"), Some(bearer.as_str()));
        assert_eq!(
            request.header("clerk-api-version"),
            Some(clerk_bapi_sys::CLERK_API_VERSION)
        );
        assert_eq!(request.header("user-agent"), Some(USER_AGENT));
        assert_eq!(request.header("api-version"), None);
        assert!(USER_AGENT.starts_with("clerk-orgs/"));
    }
}
