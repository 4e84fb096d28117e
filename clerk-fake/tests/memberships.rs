//! `POST .../memberships`, `PATCH .../memberships/{user_id}`,
//! `PATCH .../memberships/{user_id}/metadata` and `DELETE .../memberships/{user_id}`: every answer
//! checked against the spec by `Api::send`.

mod common;

use std::time::Duration;

use clerk_fake::{
    ADMIN_ROLE, MEMBER_ROLE, MembershipChangeKind, Organization, Role, SeedError, User,
};
use common::{ADMIN, Api, MEMBER, ORG};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const MEMBERSHIPS: &str = "/organizations/org_acme/memberships";

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

async fn api_with_user(id: &str, email: &str) -> Api {
    let api = Api::new().await;
    api.fake.add_user(
        User::new(id, email)
            .with_name("Nia", "New")
            .with_username("nia"),
    );
    api
}

#[tokio::test]
async fn create_adds_a_member_with_the_role_and_metadata() {
    let api = api_with_user("user_new", "nia@acme.test").await;
    api.fake.clock().advance(Duration::from_secs(7));
    let reply = api
        .post(
            MEMBERSHIPS,
            json!({
                "user_id": "user_new",
                "role": MEMBER_ROLE,
                "public_metadata": {"team": "blue"},
                "private_metadata": null,
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.body);
    let body = &reply.body;
    assert_eq!(body["object"], "organization_membership");
    assert!(body["id"].as_str().unwrap().starts_with("orgmem_"));
    assert_eq!(body["role"], MEMBER_ROLE);
    assert_eq!(body["role_name"], "Member");
    assert_eq!(
        body["permissions"],
        json!(["org:sys_memberships:read", "org:sys_billing:read"])
    );
    assert_eq!(body["public_metadata"], json!({"team": "blue"}));
    assert_eq!(body["private_metadata"], json!({}));
    let now = api.fake.clock().now_ms();
    assert_eq!(body["created_at"], now);
    assert_eq!(body["updated_at"], now);
    assert_eq!(body["organization"]["id"], ORG);
    assert_eq!(
        body["organization"]["members_count"], 3,
        "counting this one"
    );
    assert_eq!(body["organization"]["max_allowed_memberships"], 0);
    assert_eq!(body["public_user_data"]["user_id"], "user_new");
    assert_eq!(body["public_user_data"]["identifier"], "nia@acme.test");
    assert_eq!(body["public_user_data"]["first_name"], "Nia");
    assert_eq!(body["public_user_data"]["username"], "nia");

    let stored = api.fake.membership(ORG, "user_new").expect("stored");
    assert_eq!(stored.id, body["id"].as_str().unwrap());
    assert_eq!(stored.role, MEMBER_ROLE);
    assert_eq!(stored.public_metadata, object(json!({"team": "blue"})));
    assert_eq!(api.fake.memberships(ORG).len(), 3);
}

#[tokio::test]
async fn create_refusals_are_clerk_s_in_clerk_s_order() {
    let api = api_with_user("user_new", "nia@acme.test").await;
    api.fake
        .add_organization(Organization::new("org_full", "Full").with_max_allowed_memberships(1));
    api.fake
        .add_membership("org_full", ADMIN, ADMIN_ROLE)
        .unwrap();

    let cases = [
        // (path, body, status, code)
        (
            "/organizations/org_nope/memberships",
            json!({"user_id": "user_new", "role": MEMBER_ROLE}),
            404,
            "resource_not_found",
        ),
        (
            MEMBERSHIPS,
            json!({"role": MEMBER_ROLE}),
            422,
            "form_param_missing",
        ),
        (
            MEMBERSHIPS,
            json!({"user_id": "user_new"}),
            422,
            "form_param_missing",
        ),
        (
            MEMBERSHIPS,
            json!({"user_id": "user_new", "role": 7}),
            422,
            "form_param_format_invalid",
        ),
        (
            MEMBERSHIPS,
            json!({"user_id": "user_ghost", "role": "org:nope"}),
            404,
            "resource_not_found",
        ),
        (
            MEMBERSHIPS,
            json!({"user_id": "user_new", "role": "org:nope"}),
            404,
            "resource_not_found",
        ),
        (
            MEMBERSHIPS,
            json!({"user_id": MEMBER, "role": ADMIN_ROLE}),
            400,
            "already_a_member_in_organization",
        ),
        (
            "/organizations/org_full/memberships",
            json!({"user_id": "user_new", "role": MEMBER_ROLE}),
            403,
            "organization_membership_quota_exceeded",
        ),
    ];
    for (path, body, status, code) in cases {
        let reply = api.post(path, body.clone()).await;
        reply.assert_error(status, code, &format!("{path} {body}"));
    }
    let ghost = api
        .post(
            MEMBERSHIPS,
            json!({"user_id": "user_ghost", "role": MEMBER_ROLE}),
        )
        .await;
    assert_eq!(
        ghost.body["errors"][0]["long_message"],
        "No user was found with id user_ghost"
    );
    let role = api
        .post(
            MEMBERSHIPS,
            json!({"user_id": "user_new", "role": "org:nope"}),
        )
        .await;
    assert_eq!(
        role.body["errors"][0]["long_message"],
        "Organization role not found"
    );
    assert_eq!(role.body["errors"][0]["meta"]["param_name"], "role");
    let missing = api.post(MEMBERSHIPS, json!({"role": MEMBER_ROLE})).await;
    assert_eq!(missing.body["errors"][0]["meta"]["param_name"], "user_id");
    // Nothing was created by any refusal.
    assert_eq!(api.fake.memberships(ORG).len(), 2);
    assert_eq!(api.fake.memberships("org_full").len(), 1);
}

#[tokio::test]
async fn the_membership_quota_counts_pending_invitations() {
    let api = api_with_user("user_new", "nia@acme.test").await;
    api.fake
        .add_organization(Organization::new("org_small", "Small").with_max_allowed_memberships(2));
    api.fake
        .add_membership("org_small", ADMIN, ADMIN_ROLE)
        .unwrap();
    let invited = api
        .post(
            "/organizations/org_small/invitations",
            json!({"email_address": "pending@acme.test", "role": MEMBER_ROLE}),
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK);
    let refused = api
        .post(
            "/organizations/org_small/memberships",
            json!({"user_id": "user_new", "role": MEMBER_ROLE}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.error_code(),
        "organization_membership_quota_exceeded"
    );

    // Once the invitation is revoked there is room.
    let id = invited.body["id"].as_str().unwrap();
    api.post(
        &format!("/organizations/org_small/invitations/{id}/revoke"),
        json!({}),
    )
    .await;
    let created = api
        .post(
            "/organizations/org_small/memberships",
            json!({"user_id": "user_new", "role": MEMBER_ROLE}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["organization"]["max_allowed_memberships"], 2);
}

#[tokio::test]
async fn update_changes_the_role_and_only_the_role() {
    let api = Api::new().await;
    api.fake
        .seed_role(Role::new("org:billing", "Billing").with_permissions(["org:sys_billing:manage"]))
        .unwrap();
    let before = api.fake.membership(ORG, MEMBER).unwrap();
    api.fake.clock().advance(Duration::from_secs(3));
    let reply = api
        .patch(
            &format!("{MEMBERSHIPS}/{MEMBER}"),
            json!({"role": "org:billing"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.body);
    assert_eq!(reply.body["role"], "org:billing");
    assert_eq!(reply.body["role_name"], "Billing");
    assert_eq!(reply.body["permissions"], json!(["org:sys_billing:manage"]));
    assert_eq!(reply.body["id"], before.id.as_str());
    assert_eq!(reply.body["created_at"], before.created_at);
    assert_eq!(reply.body["updated_at"], api.fake.clock().now_ms());
    assert_eq!(
        api.fake.membership(ORG, MEMBER).unwrap().role,
        "org:billing"
    );
}

#[tokio::test]
async fn update_refusals() {
    let api = Api::new().await;
    let cases = [
        (
            "/organizations/org_nope/memberships/user_member",
            json!({"role": ADMIN_ROLE}),
            404,
            "resource_not_found",
        ),
        (
            &format!("{MEMBERSHIPS}/{MEMBER}") as &str,
            json!({}),
            422,
            "form_param_missing",
        ),
        (
            &format!("{MEMBERSHIPS}/user_stranger"),
            json!({"role": ADMIN_ROLE}),
            404,
            "resource_not_found",
        ),
        (
            &format!("{MEMBERSHIPS}/{MEMBER}"),
            json!({"role": "org:nope"}),
            404,
            "resource_not_found",
        ),
    ];
    for (path, body, status, code) in cases {
        let reply = api.patch(path, body.clone()).await;
        reply.assert_error(status, code, &format!("{path} {body}"));
    }
    assert_eq!(api.fake.membership(ORG, MEMBER).unwrap().role, MEMBER_ROLE);
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let api = Api::new().await;
    let admin = format!("{MEMBERSHIPS}/{ADMIN}");
    for reply in [
        api.patch(&admin, json!({"role": MEMBER_ROLE})).await,
        api.delete(&admin).await,
    ] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:#}", reply.body);
        assert_eq!(
            reply.error_code(),
            "organization_minimum_permissions_needed"
        );
        assert_eq!(
            reply.body["errors"][0]["long_message"],
            "There has to be at least one organization member with the minimum required permissions"
        );
    }
    assert_eq!(api.fake.membership(ORG, ADMIN).unwrap().role, ADMIN_ROLE);

    // Keeping the role is no demotion.
    let same = api.patch(&admin, json!({"role": ADMIN_ROLE})).await;
    assert_eq!(same.status, StatusCode::OK);

    // A custom role with the creator minimum counts as an admin.
    api.fake
        .seed_role(Role::new("org:owner", "Owner").with_permissions([
            "org:sys_memberships:manage",
            "org:sys_memberships:read",
            "org:sys_profile:delete",
        ]))
        .unwrap();
    let promoted = api
        .patch(
            &format!("{MEMBERSHIPS}/{MEMBER}"),
            json!({"role": "org:owner"}),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::OK);
    let demoted = api.patch(&admin, json!({"role": MEMBER_ROLE})).await;
    assert_eq!(
        demoted.status,
        StatusCode::OK,
        "another member keeps the minimum"
    );
    let last = api.delete(&format!("{MEMBERSHIPS}/{MEMBER}")).await;
    assert_eq!(last.error_code(), "organization_minimum_permissions_needed");

    // An organization seeded without any admin is not protected.
    api.fake
        .add_organization(Organization::new("org_flat", "Flat"));
    api.fake
        .add_membership("org_flat", MEMBER, MEMBER_ROLE)
        .unwrap();
    let gone = api
        .delete("/organizations/org_flat/memberships/user_member")
        .await;
    assert_eq!(gone.status, StatusCode::OK);
}

#[tokio::test]
async fn metadata_is_deep_merged_and_null_removes_keys() {
    let api = Api::new().await;
    api.fake
        .set_membership_metadata(
            ORG,
            MEMBER,
            object(json!({"plan": "free", "prefs": {"theme": "dark", "lang": "en"}})),
            object(json!({"crm_id": 42, "flags": {"beta": true}})),
        )
        .unwrap();
    api.fake.clock().advance(Duration::from_secs(1));
    let path = format!("{MEMBERSHIPS}/{MEMBER}/metadata");
    let reply = api
        .patch(
            &path,
            json!({
                "public_metadata": {"plan": null, "prefs": {"lang": "fr"}, "seats": [1, 2]},
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.body);
    assert_eq!(
        reply.body["public_metadata"],
        json!({"prefs": {"theme": "dark", "lang": "fr"}, "seats": [1, 2]})
    );
    assert_eq!(
        reply.body["private_metadata"],
        json!({"crm_id": 42, "flags": {"beta": true}}),
        "an absent object is left alone"
    );
    assert_eq!(reply.body["updated_at"], api.fake.clock().now_ms());
    assert_eq!(reply.body["role"], MEMBER_ROLE, "the role is untouched");

    let reply = api
        .patch(
            &path,
            json!({"private_metadata": {"flags": {"beta": null}}, "public_metadata": null}),
        )
        .await;
    assert_eq!(
        reply.body["private_metadata"],
        json!({"crm_id": 42, "flags": {}})
    );
    assert_eq!(
        reply.body["public_metadata"],
        json!({"prefs": {"theme": "dark", "lang": "fr"}, "seats": [1, 2]})
    );
    let stored = api.fake.membership(ORG, MEMBER).unwrap();
    assert_eq!(
        Value::Object(stored.private_metadata),
        json!({"crm_id": 42, "flags": {}})
    );

    // An empty body changes nothing but is answered with the membership.
    let empty = api.send(api.request(Method::PATCH, &path)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(
        empty.body["private_metadata"],
        json!({"crm_id": 42, "flags": {}})
    );

    let bad = api.patch(&path, json!({"public_metadata": "x"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stranger = api
        .patch(&format!("{MEMBERSHIPS}/user_stranger/metadata"), json!({}))
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_removes_the_member_and_answers_the_membership_as_it_was() {
    let api = Api::new().await;
    let before = api.fake.membership(ORG, MEMBER).unwrap();
    let reply = api.delete(&format!("{MEMBERSHIPS}/{MEMBER}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.body);
    assert_eq!(reply.body["id"], before.id.as_str());
    assert_eq!(reply.body["role"], MEMBER_ROLE);
    assert_eq!(
        reply.body["organization"]["members_count"], 1,
        "after the delete"
    );
    assert!(api.fake.membership(ORG, MEMBER).is_none());
    assert_eq!(api.fake.memberships(ORG).len(), 1);

    let again = api.delete(&format!("{MEMBERSHIPS}/{MEMBER}")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.error_code(), "resource_not_found");
    let org = api
        .delete("/organizations/org_nope/memberships/user_member")
        .await;
    assert_eq!(org.status, StatusCode::NOT_FOUND);

    // The user can be added again, with a new membership id.
    let back = api
        .post(MEMBERSHIPS, json!({"user_id": MEMBER, "role": MEMBER_ROLE}))
        .await;
    assert_eq!(back.status, StatusCode::OK);
    assert_ne!(back.body["id"], before.id.as_str());
}

#[tokio::test]
async fn the_history_keeps_every_change_in_order_with_the_membership_it_left() {
    let api = api_with_user("user_new", "nia@acme.test").await;
    let seeded = api.fake.membership_history();
    let last_seeded = seeded
        .last()
        .expect("the seeded members are in the history")
        .seq;
    assert!(
        seeded
            .iter()
            .all(|c| c.kind == MembershipChangeKind::Created)
    );
    let member = format!("{MEMBERSHIPS}/user_new");

    api.fake.clock().advance(Duration::from_secs(1));
    let created = api
        .post(
            MEMBERSHIPS,
            json!({"user_id": "user_new", "role": MEMBER_ROLE, "public_metadata": {"a": 1}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    api.fake.clock().advance(Duration::from_secs(1));
    api.patch(&member, json!({"role": ADMIN_ROLE})).await;
    api.fake.clock().advance(Duration::from_secs(1));
    api.patch(
        &format!("{member}/metadata"),
        json!({"public_metadata": {"a": null}}),
    )
    .await;
    // Refused (not a member), so no change.
    api.patch(
        &format!("{MEMBERSHIPS}/user_stranger"),
        json!({"role": ADMIN_ROLE}),
    )
    .await;
    api.fake.clock().advance(Duration::from_secs(1));
    let deleted = api.delete(&member).await;
    assert_eq!(deleted.status, StatusCode::OK);

    let changes: Vec<_> = api
        .fake
        .membership_history()
        .into_iter()
        .filter(|c| c.seq > last_seeded)
        .collect();
    let id = created.body["id"].as_str().unwrap();
    let start = api.fake.clock().now_ms() - 4_000;
    let seen: Vec<_> = changes
        .iter()
        .map(|c| {
            (
                c.kind,
                c.at_ms - start,
                c.membership.id.as_str(),
                c.membership.role.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (MembershipChangeKind::Created, 1_000, id, MEMBER_ROLE),
            (MembershipChangeKind::Updated, 2_000, id, ADMIN_ROLE),
            (MembershipChangeKind::Updated, 3_000, id, ADMIN_ROLE),
            (MembershipChangeKind::Deleted, 4_000, id, ADMIN_ROLE),
        ]
    );
    assert_eq!(
        changes[0].membership.public_metadata,
        object(json!({"a": 1}))
    );
    assert!(
        changes[2].membership.public_metadata.is_empty(),
        "merged away"
    );
    assert!(changes.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
}

#[tokio::test]
async fn an_invitee_who_joined_is_already_a_member_and_invitations_need_manage_members() {
    let api = Api::new().await;
    let id = api.invite("joiner@acme.test").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user_id = api.fake.accept_invitation(&id).unwrap();
    let membership = api.fake.membership(ORG, &user_id).expect("joined");
    assert_eq!(membership.role, MEMBER_ROLE);
    let again = api
        .post(
            MEMBERSHIPS,
            json!({"user_id": user_id, "role": MEMBER_ROLE}),
        )
        .await;
    assert_eq!(again.error_code(), "already_a_member_in_organization");

    // Inviting takes the "Manage members" permission, whatever the role is called.
    api.fake
        .seed_role(
            Role::new("org:recruiter", "Recruiter")
                .with_permissions(["org:sys_memberships:manage"]),
        )
        .unwrap();
    api.fake
        .add_membership(ORG, &user_id, "org:recruiter")
        .unwrap();
    let invited = api
        .post(
            "/organizations/org_acme/invitations",
            json!({"email_address": "next@acme.test", "role": MEMBER_ROLE, "inviter_user_id": user_id}),
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{:#}", invited.body);
}

/// Registers a receiver for the fake's webhooks and returns it.
async fn receiver_for(api: &Api) -> common::receiver::Receiver {
    let receiver = common::receiver::Receiver::start().await;
    api.fake
        .add_webhook_endpoint(&receiver.url, &clerk_fake::generate_webhook_secret())
        .unwrap();
    receiver
}

#[tokio::test]
async fn accepting_transfers_the_invitation_s_metadata_to_the_new_membership() {
    // Clerk's create-invitation docs: "When the organization invitation is accepted, the
    // metadata will be transferred to the newly created organization membership."
    let api = Api::new().await;
    let mut receiver = receiver_for(&api).await;
    let public = json!({"team": "blue", "prefs": {"tour": true}});
    let private = json!({"seat": 4});
    let invited = api
        .post(
            "/organizations/org_acme/invitations",
            json!({
                "email_address": "meta@acme.test",
                "role": ADMIN_ROLE,
                "inviter_user_id": ADMIN,
                "public_metadata": public,
                "private_metadata": private,
            }),
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{:#}", invited.body);
    let user_id = api
        .fake
        .accept_invitation(invited.body["id"].as_str().unwrap())
        .unwrap();

    let stored = api.fake.membership(ORG, &user_id).expect("joined");
    assert_eq!(stored.role, ADMIN_ROLE);
    assert_eq!(stored.public_metadata, object(public.clone()));
    assert_eq!(stored.private_metadata, object(private.clone()));
    let listed = api.get(&format!("{MEMBERSHIPS}?user_id={user_id}")).await;
    assert_eq!(listed.body["data"][0]["public_metadata"], public);
    assert_eq!(listed.body["data"][0]["private_metadata"], private);
    let history = api.fake.membership_history();
    let created = history.last().unwrap();
    assert_eq!(created.kind, MembershipChangeKind::Created);
    assert_eq!(created.membership, stored);

    api.fake.deliver_due().await;
    let received = receiver.drain();
    let event = received.last().unwrap().json();
    assert_eq!(event["type"], "organizationMembership.created");
    assert_eq!(event["data"]["public_metadata"], public);
    assert_eq!(event["data"]["private_metadata"], private);
    assert_eq!(
        event["data"], listed.body["data"][0],
        "the membership as listed"
    );
}

#[tokio::test]
async fn accepting_as_an_existing_member_keeps_the_membership_and_never_demotes_the_last_admin() {
    // The invitee is added over the API, as an admin, after being invited as a member, and
    // then becomes the organization's last admin.
    let api = api_with_user("user_late", "late@acme.test").await;
    let invited = api
        .post(
            "/organizations/org_acme/invitations",
            json!({
                "email_address": "late@acme.test",
                "role": MEMBER_ROLE,
                "inviter_user_id": ADMIN,
                "public_metadata": {"from": "invitation"},
            }),
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{:#}", invited.body);
    let invitation_id = invited.body["id"].as_str().unwrap().to_owned();
    let added = api
        .post(
            MEMBERSHIPS,
            json!({"user_id": "user_late", "role": ADMIN_ROLE, "public_metadata": {"from": "api"}}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{:#}", added.body);
    let removed = api.delete(&format!("{MEMBERSHIPS}/{ADMIN}")).await;
    assert_eq!(removed.status, StatusCode::OK, "{:#}", removed.body);
    // The API refuses to demote the last admin...
    api.patch(
        &format!("{MEMBERSHIPS}/user_late"),
        json!({"role": MEMBER_ROLE}),
    )
    .await
    .assert_error(
        400,
        "organization_minimum_permissions_needed",
        "demoting the last admin",
    );
    let before = api.fake.membership(ORG, "user_late").unwrap();
    let history_before = api.fake.membership_history();
    let mut receiver = receiver_for(&api).await;

    // ...and so accepting the member invitation leaves the membership as it was.
    assert_eq!(
        api.fake.accept_invitation(&invitation_id).unwrap(),
        "user_late"
    );
    assert_eq!(api.fake.membership(ORG, "user_late").unwrap(), before);
    assert_eq!(before.role, ADMIN_ROLE);
    assert_eq!(before.public_metadata, object(json!({"from": "api"})));
    assert_eq!(
        api.fake.membership_history(),
        history_before,
        "no membership change"
    );
    let invitation = api
        .get(&format!(
            "/organizations/org_acme/invitations/{invitation_id}"
        ))
        .await;
    assert_eq!(invitation.body["status"], "accepted");
    assert_eq!(api.fake.deliver_due().await, 1);
    let received = receiver.drain();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].json()["type"],
        "organizationInvitation.accepted"
    );
    assert!(
        api.fake.accept_invitation(&invitation_id).is_err(),
        "accepted once"
    );
}

#[tokio::test]
async fn seeding_reports_what_does_not_exist() {
    let api = Api::new().await;
    assert_eq!(
        api.fake.add_membership("org_nope", ADMIN, MEMBER_ROLE),
        Err(SeedError::UnknownOrganization("org_nope".into()))
    );
    assert_eq!(
        api.fake.add_membership(ORG, "user_nope", MEMBER_ROLE),
        Err(SeedError::UnknownUser("user_nope".into()))
    );
    assert_eq!(
        api.fake.add_membership(ORG, ADMIN, "org:nope"),
        Err(SeedError::UnknownRole("org:nope".into()))
    );
    assert!(matches!(
        api.fake
            .set_membership_metadata(ORG, "user_nope", Default::default(), Default::default()),
        Err(SeedError::NotAMember { .. })
    ));
    assert_eq!(
        api.fake
            .seed_role(Role::new("org:x", "X").with_permissions(["org:nope:read"])),
        Err(SeedError::UnknownPermission("org:nope:read".into()))
    );
    // Seeding a membership that exists changes its role and keeps its id.
    let id = api.fake.membership(ORG, ADMIN).unwrap().id;
    api.fake.add_membership(ORG, ADMIN, MEMBER_ROLE).unwrap();
    let changed = api.fake.membership(ORG, ADMIN).unwrap();
    assert_eq!((changed.id, changed.role.as_str()), (id, MEMBER_ROLE));
    assert_eq!(api.fake.all_memberships().len(), 2);
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_clerk_s_request_body_invalid() {
    let api = Api::new().await;
    let cases = [
        (Method::POST, MEMBERSHIPS.to_owned(), "not json"),
        (Method::PATCH, format!("{MEMBERSHIPS}/{MEMBER}"), "[1]"),
        (
            Method::PATCH,
            format!("{MEMBERSHIPS}/{MEMBER}/metadata"),
            "\"x\"",
        ),
    ];
    for (method, path, body) in cases {
        let reply = api
            .send(
                api.request(method, &path)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        reply.assert_error(400, "request_body_invalid", &format!("{path} {body}"));
    }
    assert_eq!(api.fake.membership(ORG, MEMBER).unwrap().role, MEMBER_ROLE);
}
