//! Every way a call can fail, over real HTTP against the fake's answers and fault injection:
//! the variant, the classification predicates, `delivery()`, and the one-line `Display`.

mod support;

use std::error::Error as _;
use std::time::Duration;

use clerk_fake::{Fault, Organization, RetryAfter, Route};
use clerk_orgs::{Client, Delivery, Error, ErrorCode, Phase, Role};
use support::{Env, MEMBER_EMAIL, ORG, client_for};

async fn create(client: &Client, email: &str) -> Result<clerk_orgs::OrganizationInvitation, Error> {
    client
        .organization(ORG)
        .invitations()
        .create(email, Role::MEMBER)
        .send()
        .await
}

#[tokio::test]
async fn wrong_key_is_401_authentication() {
    let env = Env::new().await;
    let client = support::single_attempt()
        .secret_key("sk_test_wrong")
        .base_url(env.fake.base_url())
        .build()
        .unwrap();
    let error = create(&client, "a@example.com").await.unwrap_err();
    assert!(matches!(error, Error::Api(_)));
    assert!(error.is_authentication());
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        [&ErrorCode::AuthenticationInvalid]
    );
    assert_eq!(error.delivery(), Delivery::Rejected);
    assert!(!error.is_retryable());
    insta::assert_snapshot!("display_401", error.to_string());
    // Neither key appears anywhere in the error.
    for key in ["sk_test_wrong", env.fake.secret_key()] {
        assert!(!format!("{error} {error:?}").contains(key));
    }
}

#[tokio::test]
async fn unknown_organization_is_404_not_found() {
    let env = Env::new().await;
    let error = env
        .client
        .organization("org_missing")
        .invitations()
        .create("a@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    insta::assert_snapshot!("display_404", error.to_string());
}

#[tokio::test]
async fn unknown_role_is_404_role_not_found_with_the_param_in_meta() {
    let env = Env::new().await;
    let error = env
        .client
        .organization(ORG)
        .invitations()
        .create("a@example.com", "org:unknown")
        .send()
        .await
        .unwrap_err();
    // Clerk's `OrganizationRoleNotFound`: a 404 `resource_not_found` naming the parameter.
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        [&ErrorCode::ResourceNotFound]
    );
    assert_eq!(error.api().unwrap().errors()[0].meta["param_name"], "role");
    assert!(error.is_role_not_found(), "{error:?}");
    assert_eq!(error.delivery(), Delivery::Rejected);
    insta::assert_snapshot!("display_unknown_role", error.to_string());
}

#[tokio::test]
async fn duplicate_and_already_member_are_400s_told_apart() {
    let env = Env::new().await;
    create(&env.client, "dup@example.com").await.unwrap();
    let duplicate = create(&env.client, "DUP@example.com").await.unwrap_err();
    assert!(duplicate.is_duplicate_invitation());
    assert!(!duplicate.is_already_member());
    assert_eq!(
        duplicate.codes().collect::<Vec<_>>(),
        [&ErrorCode::DuplicateRecord]
    );
    insta::assert_snapshot!("display_duplicate", duplicate.to_string());

    let member = create(&env.client, MEMBER_EMAIL).await.unwrap_err();
    assert!(member.is_already_member());
    assert!(!member.is_duplicate_invitation());
    assert_eq!(member.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn membership_quota_is_403_quota_exceeded() {
    let env = Env::new().await;
    env.fake
        .add_organization(Organization::new("org_small", "Small").with_max_allowed_memberships(1));
    let invitations = env.client.organization("org_small").invitations();
    invitations
        .create("one@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap();
    let error = invitations
        .create("two@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_quota_exceeded());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        [&ErrorCode::OrganizationMembershipQuotaExceeded]
    );
}

#[tokio::test]
async fn too_many_requests_with_retry_after_in_seconds() {
    let env = Env::new().await;
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(7)));
    let error = create(&env.client, "a@example.com").await.unwrap_err();
    assert!(matches!(error, Error::RateLimited(_)));
    assert!(error.is_rate_limited());
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        [&ErrorCode::TooManyRequests]
    );
    assert_eq!(error.delivery(), Delivery::Rejected);
    assert!(env.fake.invitations().is_empty());
    insta::assert_snapshot!("display_429", error.to_string());
}

#[tokio::test]
async fn too_many_requests_with_retry_after_as_an_http_date() {
    // The fake's virtual clock is far from real time: the wait is measured against `Date`.
    let env = Env::new().await;
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::TooManyRequests(RetryAfter::HttpDateIn(
            Duration::from_secs(120),
        )));
    let error = create(&env.client, "a@example.com").await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn clerks_own_rate_limit_is_a_429_too() {
    let env = Env::new().await;
    // Clerk's development limit: 100 requests per 10 s. The 101st is refused.
    let invitations = env.client.organization(ORG).invitations();
    for _ in 0..100 {
        invitations.list().limit(1).send().await.unwrap();
    }
    let error = invitations.list().send().await.unwrap_err();
    assert!(error.is_rate_limited(), "{error}");
    assert!(error.retry_after().is_some());
}

#[tokio::test]
async fn server_errors_with_clerks_body() {
    let env = Env::new().await;
    for (status, retryable) in [(500, true), (502, true), (503, true), (504, true)] {
        env.fake
            .faults()
            .on(Route::CreateInvitation)
            .next(Fault::server_error(status));
        let error = create(&env.client, "a@example.com").await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.is_retryable(), retryable, "{status}");
        assert_eq!(error.delivery(), Delivery::Unknown, "{status}");
        assert!(error.maybe_processed());
        assert_eq!(
            error.codes().collect::<Vec<_>>(),
            [&ErrorCode::InternalClerkError]
        );
        assert!(error.trace_id().is_some());
    }
    let error = {
        env.fake
            .faults()
            .on(Route::CreateInvitation)
            .next(Fault::server_error(503));
        create(&env.client, "a@example.com").await.unwrap_err()
    };
    insta::assert_snapshot!("display_503", error.to_string());
}

#[tokio::test]
async fn server_error_without_a_body_keeps_the_header_trace_id() {
    let env = Env::new().await;
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::bare_server_error(502));
    let error = create(&env.client, "a@example.com").await.unwrap_err();
    let api = error.api().unwrap();
    assert_eq!(api.status().as_u16(), 502);
    assert!(api.errors().is_empty());
    assert_eq!(api.raw_body(), Some(""));
    assert!(api.trace_id().is_some(), "from x-clerk-trace-id");
    assert!(error.is_retryable());
    insta::assert_snapshot!("display_502_empty", error.to_string());
}

#[tokio::test]
async fn an_html_error_page_is_kept_raw() {
    let env = Env::new().await;
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::HtmlErrorPage { status: 502 });
    let error = create(&env.client, "a@example.com").await.unwrap_err();
    let api = error.api().unwrap();
    assert!(api.raw_body().unwrap().contains("<h1>502 Bad Gateway</h1>"));
    assert!(error.codes().next().is_none());
    assert!(error.is_retryable());
    insta::assert_snapshot!("display_html", error.to_string());
}

#[tokio::test]
async fn an_unresolved_500_keeps_the_500s_status_codes_and_trace_id() {
    let env = Env::new().await;
    // The create's answer is a 500 (Clerk may have acted), and the lookup that would settle it
    // fails too.
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::server_error(500));
    env.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::server_error(503));
    let error = create(&env.client, "lost@example.com").await.unwrap_err();
    let last = support::assert_accessors_describe_the_last_answer(&error);
    assert!(matches!(last, Error::Api(_)), "{last:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    let codes: Vec<&ErrorCode> = error.codes().collect();
    assert!(!codes.is_empty(), "Clerk's body has codes: {error:?}");
    let trace_id = error.trace_id().expect("the 500's trace id");
    assert_eq!(Some(trace_id), last.api().unwrap().trace_id());
    assert_eq!(error.retry_after(), None, "the 500 asked for no wait");
    // The classification is the call's: unknown, and not to be retried blindly.
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert!(!error.is_retryable());
    // ... and not the lookup's answer.
    let lookup = error.unresolved().unwrap().lookup_error().unwrap();
    assert_eq!(lookup.status().map(|s| s.as_u16()), Some(503));
    assert_ne!(error.trace_id(), lookup.trace_id());
}

#[tokio::test]
async fn a_timeout_may_have_been_processed() {
    let env = Env::new().await;
    let client = support::single_attempt()
        .secret_key(env.fake.secret_key())
        .base_url(env.fake.base_url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // The fake processes the request, then holds the answer far past the client's timeout; the
    // lookup that settles it fails too, so the timeout is what the call can say.
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::Delay(Duration::from_secs(60)));
    env.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::DropConnection);
    let error = create(&client, "slow@example.com").await.unwrap_err();
    let last = error.unresolved().expect("unsettled").last_attempt();
    let Error::Timeout(transport) = last else {
        panic!("expected a timeout: {error:?}");
    };
    assert_eq!(transport.phase(), Phase::Request);
    assert!(last.is_retryable());
    assert_eq!(last.delivery(), Delivery::Unknown);
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert!(error.maybe_processed());
    let source = last.source().unwrap();
    assert!(
        source
            .downcast_ref::<reqwest::Error>()
            .unwrap()
            .is_timeout()
    );
    assert_eq!(env.fake.invitations().len(), 1, "it did reach Clerk");
    insta::assert_snapshot!("display_timeout", last.to_string());

    // With the lookup answering, the same lost answer is settled: the invitation is returned.
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::Delay(Duration::from_secs(60)));
    let settled = create(&client, "slower@example.com").await.unwrap();
    assert_eq!(
        env.fake.invitation(&settled.id).unwrap().email_address,
        "slower@example.com"
    );
}

#[tokio::test]
async fn a_dropped_connection_before_or_after_processing() {
    let env = Env::new().await;
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::DropConnection);
    let error = create(&env.client, "a@example.com").await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert!(env.fake.invitations().is_empty());
    insta::assert_snapshot!("display_dropped", error.to_string());

    // Processed, then the answer lost: the lookup finds it, and the call returns it.
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::ProcessedThenDropped);
    let created = create(&env.client, "b@example.com").await.unwrap();
    assert_eq!(env.fake.invitations().len(), 1, "processed, answer lost");
    assert_eq!(env.fake.invitations()[0].id, created.id);
}

#[tokio::test]
async fn connection_refused_was_not_sent() {
    // Bind a port, then free it, so nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = support::single_attempt()
        .secret_key("sk_test_x")
        .base_url(format!("http://{addr}"))
        .build()
        .unwrap();
    let error = create(&client, "a@example.com").await.unwrap_err();
    let Error::Transport(transport) = &error else {
        panic!("expected a transport error: {error:?}");
    };
    assert_eq!(transport.phase(), Phase::Connect);
    assert_eq!(error.delivery(), Delivery::NotSent);
    assert!(!error.maybe_processed());
    assert!(error.is_retryable());
    assert!(error.source().is_some());
    insta::assert_snapshot!("display_refused", error.to_string());
}

#[tokio::test]
async fn undecodable_success_bodies_keep_status_and_body() {
    let env = Env::new().await;
    for fault in [Fault::MalformedJson, Fault::TruncatedJson] {
        env.fake.faults().on(Route::CreateInvitation).next(fault);
        // The lookup that would recover the invitation fails, so the decode error stands.
        env.fake
            .faults()
            .on(Route::ListInvitations)
            .next(Fault::DropConnection);
        let email = format!("x{}@example.com", env.fake.invitations().len());
        let error = create(&env.client, &email).await.unwrap_err();
        let Error::Decode(decode) = &error else {
            panic!("expected a decode error: {error:?}");
        };
        assert_eq!(decode.status().as_u16(), 200);
        assert!(!decode.body().is_empty());
        assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
        assert_eq!(error.delivery(), Delivery::Processed);
        assert!(!error.is_retryable());
        assert!(error.source().unwrap().is::<serde_json::Error>());
    }
    assert_eq!(env.fake.invitations().len(), 2, "both were processed");
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::MalformedJson);
    env.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::DropConnection);
    let error = create(&env.client, "y@example.com").await.unwrap_err();
    insta::assert_snapshot!("display_decode", error.to_string());
}

#[tokio::test]
async fn errors_never_show_the_secret_key() {
    let env = Env::new().await;
    let key = env.fake.secret_key().to_owned();
    let client = client_for(&env.fake);
    let mut errors = vec![create(&client, "not-an-email").await.unwrap_err()];
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::DropConnection);
    errors.push(create(&client, "a@example.com").await.unwrap_err());
    env.fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::server_error(500));
    errors.push(create(&client, "a@example.com").await.unwrap_err());
    for error in &errors {
        let mut text = format!("{error} {error:?} {client:?}");
        let mut source = error.source();
        while let Some(inner) = source {
            text.push_str(&format!(" {inner} {inner:?}"));
            source = inner.source();
        }
        assert!(!text.contains(&key), "{text}");
    }
}
