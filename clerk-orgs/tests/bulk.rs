//! `invitations.create_bulk(..).send()`: one request, all or nothing.

mod support;

use clerk_orgs::{ErrorCode, InvitationStatus, NewInvitation, Role};
use serde_json::json;
use support::{ADMIN, Env, MEMBER_EMAIL, ORG, json_body};

#[tokio::test]
async fn creates_every_item_in_one_request_with_each_items_options() {
    let env = Env::new().await;
    let created = env
        .client
        .organization(ORG)
        .invitations()
        .create_bulk(vec![
            NewInvitation::new("a@example.com", Role::MEMBER),
            NewInvitation::new("b@example.com", Role::ADMIN)
                .inviter_user_id(ADMIN)
                .redirect_url("https://app.example.com/accept")
                .public_metadata(json!({"team": "core"}))
                .private_metadata(json!({"plan": "pro"}))
                .expires_in_days(3)
                .notify(false),
            NewInvitation::new("c@example.com", "org:billing"),
        ])
        .send()
        .await
        .unwrap();

    let request = env.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path_and_query,
        "/v1/organizations/org_acme/invitations/bulk"
    );
    insta::assert_json_snapshot!("bulk_body", json_body(&request));

    let emails: Vec<_> = created.iter().map(|i| i.email_address.as_str()).collect();
    assert_eq!(emails, ["a@example.com", "b@example.com", "c@example.com"]);
    assert!(
        created
            .iter()
            .all(|i| i.status == InvitationStatus::Pending)
    );
    assert_eq!(created[1].inviter_id.as_deref(), Some(ADMIN));
    assert_eq!(created[2].role, Role::new("org:billing"));
    assert_eq!(env.fake.invitations().len(), 3);
}

#[tokio::test]
async fn a_conflicting_item_fails_the_whole_batch_with_clerks_codes() {
    let env = Env::new().await;
    let error = env
        .client
        .organization(ORG)
        .invitations()
        .create_bulk(vec![
            NewInvitation::new("new@example.com", Role::MEMBER),
            NewInvitation::new(MEMBER_EMAIL, Role::MEMBER),
        ])
        .send()
        .await
        .unwrap_err();
    assert!(error.is_already_member(), "{error}");
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        [&ErrorCode::AlreadyAMemberInOrganization]
    );
    let detail = &error.api().unwrap().errors()[0];
    assert_eq!(detail.meta["email_addresses"], json!([MEMBER_EMAIL]));
    assert!(env.fake.invitations().is_empty(), "all or nothing");
}

#[tokio::test]
async fn the_same_email_twice_in_one_batch_is_a_duplicate() {
    let env = Env::new().await;
    let error = env
        .client
        .organization(ORG)
        .invitations()
        .create_bulk(vec![
            NewInvitation::new("twice@example.com", Role::MEMBER),
            NewInvitation::new("TWICE@example.com", Role::MEMBER),
        ])
        .send()
        .await
        .unwrap_err();
    assert!(error.is_duplicate_invitation(), "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn ten_items_is_the_limit_and_is_accepted() {
    let env = Env::new().await;
    let people = (0..10).map(|n| NewInvitation::new(format!("p{n}@example.com"), Role::MEMBER));
    let created = env
        .client
        .organization(ORG)
        .invitations()
        .create_bulk(people)
        .send()
        .await
        .unwrap();
    assert_eq!(created.len(), 10);
}
