//! `GET /organizations/{id}/memberships` (every filter and order Clerk lists),
//! `GET /organization_memberships` and `GET /users/{user_id}/organization_memberships`.

mod common;

use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, MEMBER_ROLE, Organization, User};
use common::{ADMIN, Api, MEMBER, ORG};
use reqwest::StatusCode;
use serde_json::Value;

const MEMBERSHIPS: &str = "/organizations/org_acme/memberships";

/// `org_acme` with five members, joined one second apart in this order:
/// admin (Ada Admin), member, then three seeded users with names, usernames, phones, wallets.
async fn api() -> Api {
    let api = Api::new().await;
    let people = [
        User::new("user_zed", "zed@acme.test")
            .with_name("Zed", "Alpha")
            .with_username("zed")
            .with_phone_number("+15550000003")
            .with_web3_wallet("0xAbC3")
            .with_last_active_at(3_000),
        User::new("user_bea", "Bea@Other.test")
            .with_name("Bea", "Carter")
            .with_username("bea_c")
            .with_phone_number("+15550000001")
            .with_last_active_at(1_000),
        User::new("user_max", "max@acme.test").with_username("maxi"),
    ];
    for user in people {
        api.fake.clock().advance(Duration::from_secs(1));
        let id = user.id.clone();
        api.fake.add_user(user);
        api.fake.add_membership(ORG, &id, MEMBER_ROLE).unwrap();
    }
    api
}

/// [`api`] plus `org_two`, which the admin joined a second after everyone else.
async fn api_with_second_org() -> Api {
    let api = api().await;
    api.fake
        .add_organization(Organization::new("org_two", "Two"));
    api.fake.clock().advance(Duration::from_secs(1));
    api.fake
        .add_membership("org_two", ADMIN, MEMBER_ROLE)
        .unwrap();
    api
}

fn user_ids(body: &Value) -> Vec<&str> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["public_user_data"]["user_id"].as_str().unwrap())
        .collect()
}

async fn ids(api: &Api, query: &str) -> (Vec<String>, u64) {
    let reply = api.get(&format!("{MEMBERSHIPS}?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {:#}", reply.body);
    let ids = user_ids(&reply.body)
        .into_iter()
        .map(str::to_owned)
        .collect();
    (ids, reply.body["total_count"].as_u64().unwrap())
}

#[tokio::test]
async fn newest_first_by_default_with_paging_and_total_count() {
    let api = api().await;
    let (all, total) = ids(&api, "").await;
    assert_eq!(total, 5);
    assert_eq!(
        all,
        ["user_max", "user_bea", "user_zed", MEMBER, ADMIN],
        "-created_at"
    );
    let (page, total) = ids(&api, "limit=2&offset=1").await;
    assert_eq!(
        (page, total),
        (vec!["user_bea".into(), "user_zed".into()], 5)
    );
    let (rest, _) = ids(&api, "offset=4").await;
    assert_eq!(rest, [ADMIN]);
    let (none, total) = ids(&api, "offset=9").await;
    assert!(none.is_empty());
    assert_eq!(total, 5);
}

#[tokio::test]
async fn order_by_each_field_both_ways() {
    let api = api().await;
    let cases: [(&str, &[&str]); 8] = [
        (
            "created_at",
            &[ADMIN, MEMBER, "user_zed", "user_bea", "user_max"],
        ),
        (
            "%2Bcreated_at",
            &[ADMIN, MEMBER, "user_zed", "user_bea", "user_max"],
        ),
        (
            "email_address",
            &[ADMIN, "user_bea", "user_max", MEMBER, "user_zed"],
        ),
        (
            "-email_address",
            &["user_zed", MEMBER, "user_max", "user_bea", ADMIN],
        ),
        // Users without the field sort last ascending, first descending.
        (
            "first_name",
            &[ADMIN, "user_bea", "user_zed", MEMBER, "user_max"],
        ),
        (
            "last_name",
            &[ADMIN, "user_zed", "user_bea", MEMBER, "user_max"],
        ),
        (
            "-username",
            &[MEMBER, ADMIN, "user_zed", "user_max", "user_bea"],
        ),
        (
            "phone_number",
            &["user_bea", "user_zed", ADMIN, MEMBER, "user_max"],
        ),
    ];
    for (order, expected) in cases {
        let (got, _) = ids(&api, &format!("order_by={order}")).await;
        assert_eq!(got, expected, "order_by={order}");
    }
    let bad = api.get(&format!("{MEMBERSHIPS}?order_by=role")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["meta"]["param_name"], "order_by");
}

#[tokio::test]
async fn every_filter_narrows_the_list_and_the_total() {
    let api = api().await;
    api.fake
        .add_membership(ORG, "user_bea", ADMIN_ROLE)
        .unwrap();
    let order = "order_by=created_at";
    let cases: [(&str, &[&str]); 17] = [
        ("role=org:admin", &[ADMIN, "user_bea"]),
        (
            "role=org:admin&role=org:member",
            &[ADMIN, MEMBER, "user_zed", "user_bea", "user_max"],
        ),
        ("role=org:nobody", &[]),
        (
            "user_id=user_zed&user_id=user_max&user_id=user_ghost",
            &["user_zed", "user_max"],
        ),
        (
            "user_id=-user_zed&user_id=-user_max",
            &[ADMIN, MEMBER, "user_bea"],
        ),
        ("user_id=%2Buser_zed&user_id=-user_zed", &[]),
        (
            "email_address=BEA@other.test&email_address=zed@acme.test",
            &["user_zed", "user_bea"],
        ),
        ("phone_number=%2B15550000001", &["user_bea"]),
        ("username=MAXI&username=zed", &["user_zed", "user_max"]),
        ("web3_wallet=0xabc3", &["user_zed"]),
        ("query=other", &["user_bea"]),
        ("query=ZED", &["user_zed"]),
        ("query=5550000003", &["user_zed"]),
        (
            "email_address_query=ACME",
            &[ADMIN, MEMBER, "user_zed", "user_max"],
        ),
        ("username_query=a", &["user_bea", "user_max"]),
        ("name_query=bea%20car", &["user_bea"]),
        ("phone_number_query=0001", &["user_bea"]),
    ];
    for (filter, expected) in cases {
        let (got, total) = ids(&api, &format!("{filter}&{order}")).await;
        assert_eq!(got, expected, "{filter}");
        assert_eq!(total, expected.len() as u64, "{filter}");
    }
}

#[tokio::test]
async fn time_filters_use_membership_creation_and_user_activity() {
    let api = api().await;
    let start = clerk_fake::DEFAULT_START_MS;
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("created_at_after={}", start + 1_000),
            vec!["user_bea", "user_max"],
        ),
        (
            format!("created_at_before={}", start + 1_000),
            vec![ADMIN, MEMBER],
        ),
        ("last_active_at_after=1000".into(), vec!["user_zed"]),
        ("last_active_at_before=3000".into(), vec!["user_bea"]),
    ];
    for (filter, expected) in cases {
        let (got, _) = ids(&api, &format!("{filter}&order_by=created_at")).await;
        assert_eq!(got, expected, "{filter}");
    }
    let bad = api
        .get(&format!("{MEMBERSHIPS}?created_at_after=yesterday"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn bad_paging_and_too_many_values_are_422() {
    let api = api().await;
    for query in ["limit=0", "limit=501", "limit=ten", "offset=-1"] {
        let reply = api.get(&format!("{MEMBERSHIPS}?{query}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    let many: Vec<String> = (0..101).map(|i| format!("user_id=user_{i}")).collect();
    let reply = api.get(&format!("{MEMBERSHIPS}?{}", many.join("&"))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_code(), "form_param_array_size_exceeded");
    let reply = api.get("/organizations/org_nope/memberships").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_instance_list_spans_organizations_and_takes_only_order_and_paging() {
    let api = api_with_second_org().await;

    let reply = api.get("/organization_memberships").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["total_count"], 6);
    let first = &reply.body["data"][0];
    assert_eq!(first["organization"]["id"], "org_two", "newest first");
    assert_eq!(first["public_user_data"]["user_id"], ADMIN);

    let reply = api
        .get("/organization_memberships?order_by=email_address&role=org:admin&limit=2")
        .await;
    assert_eq!(reply.body["total_count"], 6, "role is not a filter here");
    let emails: Vec<&str> = reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["public_user_data"]["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["admin@acme.test", "admin@acme.test"]);
    let bad = api.get("/organization_memberships?order_by=nope").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_user_s_memberships_newest_first() {
    let api = api_with_second_org().await;

    let reply = api
        .get(&format!("/users/{ADMIN}/organization_memberships"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["total_count"], 2);
    let orgs: Vec<&str> = reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organization"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["org_two", ORG]);
    let page = api
        .get(&format!(
            "/users/{ADMIN}/organization_memberships?limit=1&offset=1"
        ))
        .await;
    assert_eq!(page.body["data"][0]["organization"]["id"], ORG);
    assert_eq!(page.body["total_count"], 2);

    let none = api.get("/users/user_max/organization_memberships").await;
    assert_eq!(none.body["total_count"], 1);
    let ghost = api.get("/users/user_ghost/organization_memberships").await;
    assert_eq!(ghost.status, StatusCode::NOT_FOUND);
    assert_eq!(ghost.error_code(), "resource_not_found");
}
