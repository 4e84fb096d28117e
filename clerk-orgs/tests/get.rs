//! `invitations.get(id).send()`.

mod support;

use clerk_fake::{Fault, Route};
use clerk_orgs::{ErrorCode, InvitationStatus, Role};
use support::{Env, ORG, OTHER_ORG};

#[tokio::test]
async fn fetches_one_invitation() {
    let env = Env::new().await;
    let invitations = env.client.organization(ORG).invitations();
    let created = invitations
        .create("alice@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap();
    env.clear_log();
    let fetched = invitations.get(&created.id).send().await.unwrap();
    assert_eq!(fetched, created);
    let request = env.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path_and_query,
        format!("/v1/organizations/org_acme/invitations/{}", created.id)
    );
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn status_follows_the_invitations_life() {
    let env = Env::new().await;
    let invitations = env.client.organization(ORG).invitations();
    let created = invitations
        .create("bob@example.com", Role::MEMBER)
        .expires_in_days(1)
        .send()
        .await
        .unwrap();
    env.fake
        .clock()
        .advance(std::time::Duration::from_secs(2 * 24 * 3600));
    let fetched = invitations.get(&created.id).send().await.unwrap();
    assert_eq!(fetched.status, InvitationStatus::Expired);
}

#[tokio::test]
async fn an_unknown_or_foreign_invitation_is_not_found() {
    let env = Env::new().await;
    let created = env
        .client
        .organization(OTHER_ORG)
        .invitations()
        .create("carol@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap();
    for id in ["orginv_missing", created.id.as_str()] {
        let error = env
            .client
            .organization(ORG)
            .invitations()
            .get(id)
            .send()
            .await
            .unwrap_err();
        assert!(error.is_not_found(), "{error}");
        assert_eq!(
            error.codes().collect::<Vec<_>>(),
            [&ErrorCode::ResourceNotFound]
        );
        assert!(error.trace_id().is_some());
        assert!(!error.is_retryable());
    }
}

#[tokio::test]
async fn unknown_fields_and_statuses_never_fail_a_call() {
    let env = Env::new().await;
    let invitations = env.client.organization(ORG).invitations();
    let created = invitations
        .create("dave@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap();
    env.fake
        .faults()
        .on(Route::GetInvitation)
        .next(Fault::UnknownFields);
    let fetched = invitations.get(&created.id).send().await.unwrap();
    assert_eq!(fetched, created);

    env.fake
        .faults()
        .on(Route::GetInvitation)
        .next(Fault::UnknownStatus);
    let fetched = invitations.get(&created.id).send().await.unwrap();
    assert_eq!(fetched.status, InvitationStatus::Unknown("on_hold".into()));
    // The unknown value round-trips through serde.
    let json = serde_json::to_value(&fetched).unwrap();
    assert_eq!(json["status"], "on_hold");
    let back: clerk_orgs::OrganizationInvitation = serde_json::from_value(json).unwrap();
    assert_eq!(back, fetched);
}
