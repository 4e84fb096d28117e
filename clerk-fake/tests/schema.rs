//! The spec check that every other test relies on: it must accept the fake's bodies for every
//! operation and status, and it must be able to fail.

mod common;

use std::time::Duration;

use common::spec::{assert_matches_operation, response_schema, validator};
use common::{ADMIN, Api};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const INVITATIONS: &str = "/organizations/org_acme/invitations";

#[tokio::test]
async fn every_operation_and_status_matches_its_schema() {
    let api = Api::with_global_limit(1000, Duration::from_secs(10)).await;
    // `Api::send` validates each body below against the operation's schema for its status.
    let created = api.invite("one@example.com").await;
    assert_eq!(created.status, StatusCode::OK);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let bulk = api
        .post(
            &format!("{INVITATIONS}/bulk"),
            json!([{"email_address": "two@example.com", "role": "org:admin", "inviter_user_id": ADMIN}]),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK);
    let gets = [
        INVITATIONS.to_owned(),
        format!("{INVITATIONS}/pending"),
        format!("{INVITATIONS}/{id}"),
        "/organization_invitations".to_owned(),
        format!("/users/{ADMIN}/organization_invitations"),
    ];
    for path in &gets {
        assert_eq!(api.get(path).await.status, StatusCode::OK, "{path}");
    }
    let revoked = api
        .post(&format!("{INVITATIONS}/{id}/revoke"), json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK);

    // Errors: 400, 403, 404, 422 and (not in the spec, still Clerk's envelope) 401.
    let errors = [
        api.post(&format!("{INVITATIONS}/{id}/revoke"), json!({})).await,
        api.invite(common::MEMBER_EMAIL).await,
        api.post(INVITATIONS, json!({"email_address": "x@example.com", "role": "org:member", "inviter_user_id": common::MEMBER})).await,
        api.get("/organizations/org_nope/invitations").await,
        api.get(&format!("{INVITATIONS}?limit=0")).await,
        api.send(api.client.get(api.url(INVITATIONS))).await,
    ];
    let statuses: Vec<u16> = errors.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [404, 400, 403, 404, 422, 401]);
}

#[test]
fn list_operations_use_the_right_variant() {
    let with_org =
        json!({"$ref": "#/components/schemas/OrganizationInvitationsWithPublicOrganizationData"});
    let plain = json!({"$ref": "#/components/schemas/OrganizationInvitations"});
    assert_eq!(
        response_schema(&Method::GET, "/organization_invitations", StatusCode::OK),
        with_org
    );
    assert_eq!(
        response_schema(
            &Method::GET,
            "/users/user_1/organization_invitations",
            StatusCode::OK
        ),
        with_org
    );
    assert_eq!(
        response_schema(&Method::GET, INVITATIONS, StatusCode::OK),
        plain
    );
}

fn sample_invitation() -> Value {
    json!({
        "object": "organization_invitation",
        "id": "orginv_1",
        "email_address": "a@example.com",
        "role": "org:member",
        "role_name": "Member",
        "organization_id": "org_1",
        "inviter_id": null,
        "public_inviter_data": null,
        "status": "pending",
        "public_metadata": {},
        "private_metadata": {},
        "url": null,
        "expires_at": 1,
        "created_at": 1,
        "updated_at": 1,
    })
}

#[test]
fn the_check_rejects_bodies_that_break_the_schema() {
    let schema = json!({"$ref": "#/components/schemas/OrganizationInvitation"});
    let validator = validator(&schema);
    assert!(validator.is_valid(&sample_invitation()));

    let mut missing_id = sample_invitation();
    missing_id.as_object_mut().unwrap().remove("id");
    assert!(!validator.is_valid(&missing_id));

    let mut wrong_type = sample_invitation();
    wrong_type["created_at"] = json!("yesterday");
    assert!(!validator.is_valid(&wrong_type));

    let mut null_where_not_nullable = sample_invitation();
    null_where_not_nullable["created_at"] = json!(null);
    assert!(!validator.is_valid(&null_where_not_nullable));

    let mut incomplete_inviter = sample_invitation();
    incomplete_inviter["public_inviter_data"] = json!({"user_id": "user_1"});
    assert!(!validator.is_valid(&incomplete_inviter));
}

#[test]
fn the_check_rejects_fields_the_spec_does_not_have() {
    let mut extra = sample_invitation();
    extra["surprise"] = json!(true);
    let outcome = std::panic::catch_unwind(|| {
        assert_matches_operation(
            &Method::GET,
            "/organizations/org_1/invitations/orginv_1",
            StatusCode::OK,
            &extra,
        )
    });
    assert!(outcome.is_err());
    assert_matches_operation(
        &Method::GET,
        "/organizations/org_1/invitations/orginv_1",
        StatusCode::OK,
        &sample_invitation(),
    );
}

#[tokio::test]
async fn the_check_rejects_invented_fields_at_any_depth_of_a_membership_or_role() {
    let api = Api::new().await;
    let list = api.get("/organizations/org_acme/memberships").await;
    let membership = list.body["data"][0].clone();
    let path = "/organizations/org_acme/memberships/user_member";
    assert_matches_operation(&Method::PATCH, path, StatusCode::OK, &membership);
    for pointer in ["", "/organization", "/public_user_data"] {
        let mut extra = membership.clone();
        extra
            .pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("surprise".into(), json!(1));
        let outcome = std::panic::catch_unwind(|| {
            assert_matches_operation(&Method::PATCH, path, StatusCode::OK, &extra)
        });
        assert!(outcome.is_err(), "an extra field at {pointer:?} passed");
    }
    // Metadata is open: anything goes there.
    let mut metadata = membership.clone();
    metadata["public_metadata"] = json!({"anything": {"nested": [1]}});
    assert_matches_operation(&Method::PATCH, path, StatusCode::OK, &metadata);

    let roles = api.get("/organization_roles").await;
    let mut role = roles.body["data"][0].clone();
    role["permissions"][0]["surprise"] = json!(1);
    let outcome = std::panic::catch_unwind(|| {
        assert_matches_operation(
            &Method::GET,
            "/organization_roles/role_1",
            StatusCode::OK,
            &role,
        )
    });
    assert!(outcome.is_err());
}

#[tokio::test]
async fn every_membership_and_role_operation_and_status_matches_its_schema() {
    let api = Api::with_global_limit(1000, Duration::from_secs(10)).await;
    api.fake
        .add_user(clerk_fake::User::new("user_new", "new@acme.test"));
    let base = "/organizations/org_acme/memberships";
    // `Api::send` validates each body below against the operation's schema for its status.
    let answers = [
        api.post(base, json!({"user_id": "user_new", "role": "org:member"}))
            .await,
        api.get(base).await,
        api.patch(&format!("{base}/user_new"), json!({"role": "org:admin"}))
            .await,
        api.patch(
            &format!("{base}/user_new/metadata"),
            json!({"public_metadata": {"a": 1}}),
        )
        .await,
        api.delete(&format!("{base}/user_new")).await,
        api.get("/organization_memberships").await,
        api.get(&format!("/users/{ADMIN}/organization_memberships"))
            .await,
        api.get("/organization_roles").await,
        api.post(
            "/organization_roles",
            json!({"name": "Ops", "key": "org:ops"}),
        )
        .await,
    ];
    assert!(answers.iter().all(|a| a.status == StatusCode::OK));
    let role_id = answers[8].body["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/organization_roles/{role_id}"))
            .await
            .status,
        StatusCode::OK
    );

    let errors = [
        api.post(base, json!({"user_id": ADMIN, "role": "org:member"}))
            .await,
        api.post(
            "/organizations/org_acme/memberships",
            json!({"role": "org:member"}),
        )
        .await,
        api.post(base, json!({"user_id": "user_nope", "role": "org:member"}))
            .await,
        api.delete(&format!("{base}/{ADMIN}")).await,
        api.patch(&format!("{base}/user_nope"), json!({"role": "org:admin"}))
            .await,
        api.patch(
            &format!("{base}/{ADMIN}/metadata"),
            json!({"public_metadata": 1}),
        )
        .await,
        api.get("/organization_memberships?limit=0").await,
        api.get("/organization_roles?order_by=x").await,
        api.get("/organization_roles/role_nope").await,
        api.post(
            "/organization_roles",
            json!({"name": "Ops", "key": "org:ops"}),
        )
        .await,
        api.send(api.client.get(api.url("/organization_roles")))
            .await,
    ];
    let statuses: Vec<u16> = errors.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses,
        [400, 422, 404, 400, 404, 422, 422, 422, 404, 422, 401]
    );
}
