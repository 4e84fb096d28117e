//! `invitations.revoke(id).send()`.

mod support;

use clerk_fake::InvitationStatus as FakeStatus;
use clerk_orgs::{Delivery, ErrorCode, InvitationStatus, Role};
use support::{ADMIN, Env, MEMBER, ORG, json_body};

async fn pending(env: &Env, email: &str) -> String {
    let invitation = env
        .client
        .organization(ORG)
        .invitations()
        .create(email, Role::MEMBER)
        .send()
        .await
        .unwrap();
    env.clear_log();
    invitation.id
}

#[tokio::test]
async fn revokes_with_a_requesting_user() {
    let env = Env::new().await;
    let id = pending(&env, "alice@example.com").await;
    let revoked = env
        .client
        .organization(ORG)
        .invitations()
        .revoke(&id)
        .requesting_user_id(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    let request = env.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path_and_query,
        format!("/v1/organizations/org_acme/invitations/{id}/revoke")
    );
    insta::assert_json_snapshot!("revoke_all_options_body", json_body(&request));
    assert_eq!(
        env.fake.invitation(&id).unwrap().status,
        FakeStatus::Revoked
    );
}

#[tokio::test]
async fn revokes_without_options_and_a_second_revoke_is_not_pending() {
    let env = Env::new().await;
    let id = pending(&env, "bob@example.com").await;
    let invitations = env.client.organization(ORG).invitations();
    invitations.revoke(&id).send().await.unwrap();
    insta::assert_json_snapshot!("revoke_no_options_body", json_body(&env.only_request()));

    let error = invitations.revoke(&id).send().await.unwrap_err();
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        [&ErrorCode::OrganizationInvitationNotPending]
    );
    // Clerk's catalog: a 404, although the invitation exists; not "not found".
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert!(error.is_not_pending(), "{error:?}");
    assert!(!error.is_not_found(), "{error:?}");
    assert_eq!(error.delivery(), Delivery::Rejected);
}

#[tokio::test]
async fn a_non_admin_requester_is_refused_with_a_code_kept_verbatim() {
    let env = Env::new().await;
    let id = pending(&env, "carol@example.com").await;
    let error = env
        .client
        .organization(ORG)
        .invitations()
        .revoke(&id)
        .requesting_user_id(MEMBER)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
    // Clerk documents no code for this; the fake's one is kept as Unknown.
    assert_eq!(
        error.codes().collect::<Vec<_>>(),
        [&ErrorCode::Unknown("not_an_admin_in_organization".into())]
    );
    assert_eq!(
        env.fake.invitation(&id).unwrap().status,
        FakeStatus::Pending
    );
}
