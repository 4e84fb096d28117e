//! `invitations.create(..).send()`: every option on the wire and in the typed answer.

mod support;

use chrono::{DateTime, Duration as Days, Utc};
use clerk_fake::InvitationStatus as FakeStatus;
use clerk_orgs::{InvitationStatus, Role};
use serde_json::json;
use support::{ADMIN, ADMIN_EMAIL, Env, ORG, json_body};

#[tokio::test]
async fn every_option_reaches_the_wire_and_comes_back_typed() {
    let env = Env::new().await;
    let now = DateTime::<Utc>::from_timestamp_millis(env.fake.clock().now_ms()).unwrap();
    let invitation = env
        .client
        .organization(ORG)
        .invitations()
        .create("alice@example.com", Role::MEMBER)
        .inviter_user_id(ADMIN)
        .redirect_url("https://app.example.com/accept")
        .public_metadata(json!({"team": "core"}))
        .private_metadata(json!({"plan": "pro"}))
        .expires_in_days(7)
        .notify(false)
        .send()
        .await
        .unwrap();

    let request = env.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path_and_query,
        "/v1/organizations/org_acme/invitations"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    insta::assert_json_snapshot!("create_all_options_body", json_body(&request));

    assert!(invitation.id.starts_with("orginv_"));
    assert_eq!(invitation.email_address, "alice@example.com");
    assert_eq!(invitation.role, Role::MEMBER);
    assert_eq!(invitation.role_name, "Member");
    assert_eq!(invitation.organization_id.as_deref(), Some(ORG));
    assert_eq!(invitation.status, InvitationStatus::Pending);
    assert_eq!(invitation.inviter_id.as_deref(), Some(ADMIN));
    let inviter = invitation.public_inviter_data.as_ref().unwrap();
    assert_eq!(inviter.user_id, ADMIN);
    assert_eq!(inviter.first_name.as_deref(), Some("Ada"));
    assert_eq!(inviter.last_name.as_deref(), Some("Admin"));
    assert_eq!(inviter.identifier, ADMIN_EMAIL);
    assert_eq!(
        invitation.public_metadata,
        *json!({"team": "core"}).as_object().unwrap()
    );
    assert_eq!(
        invitation.private_metadata,
        *json!({"plan": "pro"}).as_object().unwrap()
    );
    assert_eq!(invitation.created_at, now);
    assert_eq!(invitation.updated_at, now);
    assert_eq!(invitation.expires_at, Some(now + Days::days(7)));
    assert_eq!(invitation.url, None);
    assert_eq!(invitation.public_organization_data, None);

    let stored = env.fake.invitation(&invitation.id).unwrap();
    assert!(!stored.notify);
    assert_eq!(
        stored.redirect_url.as_deref(),
        Some("https://app.example.com/accept")
    );
    assert_eq!(stored.status, FakeStatus::Pending);
}

#[tokio::test]
async fn unset_options_are_omitted_not_null() {
    let env = Env::new().await;
    let invitation = env
        .client
        .organization(ORG)
        .invitations()
        .create("bob@example.com", Role::ADMIN)
        .send()
        .await
        .unwrap();
    insta::assert_json_snapshot!("create_no_options_body", json_body(&env.only_request()));
    assert_eq!(invitation.role, Role::ADMIN);
    assert_eq!(invitation.public_inviter_data, None);
    assert!(invitation.public_metadata.is_empty());
    // Clerk's defaults: notify, 30 days.
    let stored = env.fake.invitation(&invitation.id).unwrap();
    assert!(stored.notify);
    assert_eq!(
        invitation.expires_at.unwrap() - invitation.created_at,
        Days::days(30)
    );
}

#[tokio::test]
async fn custom_roles_and_relative_redirects_are_accepted() {
    let env = Env::new().await;
    let invitation = env
        .client
        .organization(ORG)
        .invitations()
        .create("carol@example.com", "org:billing")
        .redirect_url("/welcome")
        .send()
        .await
        .unwrap();
    assert_eq!(invitation.role, Role::new("org:billing"));
    assert_eq!(invitation.role_name, "Billing");
    assert_eq!(json_body(&env.only_request())["redirect_url"], "/welcome");
}

#[tokio::test]
async fn metadata_is_sent_exactly_as_given() {
    let env = Env::new().await;
    let metadata = json!({"nested": {"list": [1, 2.5, null, "x"]}, "flag": true, "empty": {}});
    env.client
        .organization(ORG)
        .invitations()
        .create("dave@example.com", Role::MEMBER)
        .public_metadata(metadata.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(json_body(&env.only_request())["public_metadata"], metadata);
}

#[tokio::test]
async fn ids_are_percent_encoded_into_a_single_path_segment() {
    let env = Env::new().await;
    let error = env
        .client
        .organization("../users")
        .invitations()
        .create("erin@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    // The ID stayed one segment and named no organization: Clerk's 404, not another route.
    assert_eq!(
        env.only_request().path_and_query,
        "/v1/organizations/..%2Fusers/invitations"
    );
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn the_future_is_send_and_static_so_it_can_be_spawned() {
    let env = Env::new().await;
    let request = env
        .client
        .organization(ORG)
        .invitations()
        .create("frank@example.com", Role::MEMBER)
        .send();
    let invitation = tokio::spawn(request).await.unwrap().unwrap();
    assert_eq!(invitation.email_address, "frank@example.com");
}
