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

const FROM_ENV_CHILD: &str = "CLERK_ORGS_FROM_ENV_CHILD";

/// The environment is one per process, and writing it while another test's thread reads it is
/// undefined behaviour: each case runs [`from_env_child`] in a child process of this test binary,
/// given exactly its variables, so no test here writes the environment.
#[test]
fn from_env_reads_the_key_and_optional_url() {
    let cases: [(Option<&str>, Option<&str>, String); 4] = [
        (None, None, "error CLERK_SECRET_KEY".to_owned()),
        (
            Some("sk_test_FromEnv"),
            None,
            format!("ok {DEFAULT_BASE_URL}"),
        ),
        (
            Some("sk_test_FromEnv"),
            Some("http://127.0.0.1:8787/"),
            "ok http://127.0.0.1:8787".to_owned(),
        ),
        (
            Some("sk_test_FromEnv"),
            Some("http://clerk.internal"),
            "error base_url".to_owned(),
        ),
    ];
    for (key, url, expected) in cases {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", "from_env_child", "--ignored", "--nocapture"])
            .env(FROM_ENV_CHILD, "1")
            .env_remove("CLERK_SECRET_KEY")
            .env_remove("CLERK_API_URL");
        if let Some(key) = key {
            child.env("CLERK_SECRET_KEY", key);
        }
        if let Some(url) = url {
            child.env("CLERK_API_URL", url);
        }
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        // Anywhere in a line: with one test thread, libtest prints the test's name on the same
        // line first.
        let said = stdout
            .lines()
            .find_map(|line| line.split_once("FROM_ENV ").map(|(_, said)| said))
            .unwrap_or_else(|| panic!("the child said nothing: {output:?}"));
        assert_eq!(said, expected, "{key:?} {url:?}");
    }
}

/// `Client::from_env` in a process of its own (see the test above).
#[test]
#[ignore = "run by from_env_reads_the_key_and_optional_url in a child process"]
fn from_env_child() {
    if std::env::var_os(FROM_ENV_CHILD).is_none() {
        return;
    }
    match Client::from_env() {
        Ok(client) => println!("FROM_ENV ok {}", client.base_url()),
        Err(Error::Config(config)) => println!("FROM_ENV error {}", config.setting()),
        Err(other) => println!("FROM_ENV unexpected {other:?}"),
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
