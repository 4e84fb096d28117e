//! `memberships().list()`, `find()` and `organization_memberships().list()`: every filter on
//! the wire as Clerk's query, filters applied, paging and `stream()`, validation, and reads
//! retried under faults.

mod support;

use chrono::DateTime;
use clerk_fake::{Fault, Organization, RetryAfter, Route, User};
use clerk_orgs::{Client, Delivery, Error, Role};
use futures::TryStreamExt;
use std::sync::atomic::Ordering;
use support::{ADMIN, Env, MEMBER, ORG, OTHER_ORG, World, canned, membership_requests};

#[tokio::test]
async fn every_filter_goes_out_as_clerks_query() {
    let env = Env::new().await;
    let at = DateTime::from_timestamp_millis(1_767_225_600_000).unwrap();
    env.client
        .organization(ORG)
        .memberships()
        .list()
        .user_ids([ADMIN, MEMBER])
        .exclude_user_id("user_x")
        .email_addresses(["a@acme.test", "b@acme.test"])
        .phone_number("+15555550100")
        .username("ada")
        .web3_wallet("0xabc")
        .roles([Role::ADMIN, Role::MEMBER])
        .query("ad")
        .email_address_query("@acme")
        .phone_number_query("555")
        .username_query("ad")
        .name_query("Ada")
        .last_active_at_before(at)
        .last_active_at_after(at)
        .created_at_before(at)
        .created_at_after(at)
        .order_by("+email_address")
        .limit(20)
        .offset(5)
        .send()
        .await
        .unwrap();
    let request = env.only_request();
    assert_eq!(request.method, "GET");
    let (path, query) = request.path_and_query.split_once('?').unwrap();
    assert_eq!(path, "/v1/organizations/org_acme/memberships");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let expected = [
        ("created_at_after", "1767225600000"),
        ("created_at_before", "1767225600000"),
        ("email_address", "a@acme.test"),
        ("email_address", "b@acme.test"),
        ("email_address_query", "@acme"),
        ("last_active_at_after", "1767225600000"),
        ("last_active_at_before", "1767225600000"),
        ("limit", "20"),
        ("name_query", "Ada"),
        ("offset", "5"),
        ("order_by", "+email_address"),
        ("phone_number", "+15555550100"),
        ("phone_number_query", "555"),
        ("query", "ad"),
        ("role", "org:admin"),
        ("role", "org:member"),
        ("user_id", ADMIN),
        ("user_id", MEMBER),
        ("user_id", "-user_x"),
        ("username", "ada"),
        ("username_query", "ad"),
        ("web3_wallet", "0xabc"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(pairs, expected);
}

#[tokio::test]
async fn filters_select_members_and_find_answers_for_one_user() {
    let env = Env::new().await;
    let members = env.client.organization(ORG).memberships();

    let admins = members.list().role(Role::ADMIN).send().await.unwrap();
    assert_eq!(admins.total_count, 1);
    assert_eq!(admins.data[0].user_id(), Some(ADMIN));
    assert_eq!(admins.data[0].role, Role::ADMIN);
    assert_eq!(admins.data[0].organization.id, ORG);
    let ada = admins.data[0].public_user_data.as_ref().unwrap();
    assert_eq!(
        (ada.first_name.as_deref(), ada.last_name.as_deref()),
        (Some("Ada"), Some("Admin"))
    );
    assert!(
        admins.data[0]
            .permissions
            .iter()
            .any(|p| p == "org:sys_memberships:manage"),
        "{:?}",
        admins.data[0].permissions
    );

    let others = members.list().exclude_user_id(ADMIN).send().await.unwrap();
    let ids: Vec<_> = others.data.iter().filter_map(|m| m.user_id()).collect();
    assert_eq!(ids, [MEMBER]);

    let found = members.find(MEMBER).send().await.unwrap().unwrap();
    assert_eq!(found.role, Role::MEMBER);
    assert!(members.find("user_nobody").send().await.unwrap().is_none());
    assert_eq!(env.sent().len(), 4);
}

#[tokio::test]
async fn stream_reads_every_page_lazily() {
    let env = Env::new().await;
    for n in 0..23 {
        let id = format!("user_{n:02}");
        env.fake
            .add_user(User::new(id.clone(), format!("person{n}@acme.test")));
        env.fake.add_membership(ORG, &id, "org:member").unwrap();
    }
    env.clear_log();
    let members = env.client.organization(ORG).memberships();
    let all: Vec<_> = members
        .list()
        .limit(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 25, "23 seeded, the admin and the member");
    let mut ids: Vec<_> = all.iter().filter_map(|m| m.user_id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 25, "no member twice");
    assert_eq!(env.sent().len(), 3, "pages of 10, 10 and 5");

    // Lazily: reading 3 items fetches one page.
    env.clear_log();
    let mut stream = members.list().limit(10).stream();
    for _ in 0..3 {
        stream.try_next().await.unwrap().unwrap();
    }
    assert_eq!(env.sent().len(), 1);
}

#[tokio::test]
async fn a_server_ignoring_offset_ends_the_stream_and_the_plan_with_an_error_not_a_loop() {
    // The same real page of two, for every offset, out of "a trillion".
    let env = Env::new().await;
    let server =
        canned::serve(canned::members_page(&env.fake, ORG, 2, 1_000_000_000_000).await).await;
    let requests = server.requests.clone();
    let client = Client::builder()
        .secret_key("sk_test_offset_ignored")
        .base_url(server.base_url)
        .build()
        .unwrap();
    let members = client.organization(ORG).memberships();
    let mut stream = members.list().limit(2).stream();
    let mut items = 0;
    let error = loop {
        match stream.try_next().await {
            Ok(Some(_)) => items += 1,
            Ok(None) => panic!("the stream ended as if the list were whole"),
            Err(error) => break error,
        }
    };
    assert_eq!((items, requests.load(Ordering::SeqCst)), (2, 2));
    let Error::Decode(decode) = &error else {
        panic!("{error:?}");
    };
    let why = std::error::Error::source(&**decode)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(why.contains("ignored `offset`"), "{why}");
    assert!(
        stream.try_next().await.unwrap().is_none(),
        "the error ends it"
    );

    // A roster plan reads every member: it fails the same way, after two requests, and never
    // plans from a list it could not read to its end.
    requests.store(0, Ordering::SeqCst);
    let plan = client
        .organization(ORG)
        .roster()
        .plan(Vec::new())
        .send()
        .await;
    assert!(matches!(plan, Err(Error::Decode(_))), "{plan:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bad_filters_are_refused_before_sending() {
    let env = Env::new().await;
    let members = env.client.organization(ORG).memberships();
    let too_many = (0..101).map(|n| format!("user_{n}"));
    for (list, field) in [
        (members.list().limit(0), "limit"),
        (members.list().limit(501), "limit"),
        (members.list().order_by("created at"), "order_by"),
        (members.list().user_ids(too_many), "user_id"),
        (members.list().user_id("-user_1"), "user_id"),
        (members.list().role(""), "role"),
        (members.list().email_address("a b@c.co"), "email_address"),
        (members.list().query("a\u{0}"), "query"),
    ] {
        let error = list.clone().send().await.unwrap_err();
        assert_eq!(
            error.validation().map(|v| v.field()),
            Some(field),
            "{error}"
        );
        assert_eq!(error.delivery(), Delivery::NotSent);
        // The stream yields the same error as its one item.
        let items: Vec<_> = futures::StreamExt::collect(list.stream()).await;
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }
    assert!(env.sent().is_empty());
}

#[tokio::test]
async fn the_instance_list_spans_organizations() {
    let env = Env::new().await;
    env.fake
        .add_organization(Organization::new("org_initech", "Initech"));
    env.fake
        .add_membership("org_initech", MEMBER, "org:admin")
        .unwrap();
    env.clear_log();
    let page = env
        .client
        .organization_memberships()
        .list()
        .order_by("-created_at")
        .limit(50)
        .send()
        .await
        .unwrap();
    let request = env.only_request();
    assert!(
        request
            .path_and_query
            .starts_with("/v1/organization_memberships?"),
        "{}",
        request.path_and_query
    );
    let mut organizations: Vec<_> = page
        .data
        .iter()
        .map(|m| m.organization.id.as_str())
        .collect();
    organizations.sort_unstable();
    organizations.dedup();
    assert_eq!(organizations, [ORG, OTHER_ORG, "org_initech"]);
    assert_eq!(page.total_count, 4);
}

#[tokio::test]
async fn reads_are_retried_after_a_garbled_success_a_429_and_a_5xx() {
    let world = World::new().await;
    world.faults(
        Route::ListMemberships,
        &[
            Fault::TruncatedJson,
            Fault::TooManyRequests(RetryAfter::Seconds(1)),
            Fault::server_error(502),
        ],
    );
    let page = world.members().list().send().await.unwrap();
    assert_eq!(page.total_count, 2);
    assert_eq!(
        membership_requests(&world.requests(), "GET", ""),
        4,
        "a read is asked again, even after a success"
    );
}
