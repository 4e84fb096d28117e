//! `organization_roles().list()` / `check()` and the opt-in role check of writes: the roles
//! with their permissions, the cached list (one fetch per TTL, a refetch on a miss older than
//! 10 s, one fetch for concurrent checks), the refusal naming the roles there are, and what
//! happens when the roles cannot be fetched.

mod support;

use clerk_fake::{Fault, Route};
use clerk_orgs::{
    Client, DEFAULT_ROLE_CACHE_TTL, Delivery, Error, InviteResult, MISS_REFRESH_AFTER,
    NewInvitation, Role,
};
use futures::{StreamExt, TryStreamExt};
use support::{ORG, World, email};

/// Requests for the instance's roles the fake saw.
fn role_fetches(world: &World) -> usize {
    world
        .requests()
        .iter()
        .filter(|r| r.path_and_query.starts_with("/v1/organization_roles"))
        .count()
}

fn checking(world: &World) -> Client {
    world.builder().check_roles(true).build().unwrap()
}

#[tokio::test]
async fn roles_are_listed_with_their_permissions() {
    let world = World::new().await;
    world.fake.add_role("org:billing", "Billing");
    let roles = world.client().organization_roles();

    let page = roles
        .list()
        .order_by("+key")
        .limit(10)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = page.data.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["org:admin", "org:billing", "org:member"]);
    assert_eq!(page.total_count, 3);
    let admin = &page.data[0];
    assert_eq!(admin.name, "Admin");
    let permissions: Vec<&str> = admin.permissions.iter().map(|p| p.key.as_str()).collect();
    assert!(
        permissions.contains(&"org:sys_memberships:manage"),
        "{permissions:?}"
    );
    assert!(admin.permissions.iter().all(|p| p.kind == "system"));
    let member = &page.data[2];
    let permissions: Vec<&str> = member.permissions.iter().map(|p| p.key.as_str()).collect();
    assert!(
        permissions.contains(&"org:sys_memberships:read"),
        "{permissions:?}"
    );
    assert!(!permissions.contains(&"org:sys_memberships:manage"));

    let streamed: Vec<_> = roles.list().limit(2).stream().try_collect().await.unwrap();
    assert_eq!(streamed.len(), 3);
    let request = world.requests().into_iter().next().unwrap();
    assert_eq!(
        request.path_and_query,
        "/v1/organization_roles?limit=10&order_by=%2Bkey"
    );
    let error = roles.list().limit(0).send().await.unwrap_err();
    assert_eq!(error.delivery(), Delivery::NotSent);
}

#[tokio::test]
async fn check_answers_from_one_cached_list_until_its_ttl() {
    let world = World::new().await;
    let roles = world.client().organization_roles();
    let admin = roles.check(Role::ADMIN).send().await.unwrap();
    assert_eq!(admin.key, Role::ADMIN);
    roles.check(Role::MEMBER).send().await.unwrap();
    roles.check(Role::ADMIN).send().await.unwrap();
    assert_eq!(role_fetches(&world), 1, "one fetch for three checks");

    world.fake.clock().advance(DEFAULT_ROLE_CACHE_TTL);
    roles.check(Role::MEMBER).send().await.unwrap();
    assert_eq!(
        role_fetches(&world),
        2,
        "past its TTL the list is fetched again"
    );
}

#[tokio::test]
async fn a_missing_role_is_refused_naming_the_roles_and_refetched_only_after_a_while() {
    let world = World::new().await;
    let roles = world.client().organization_roles();
    let error = roles.check("org:billing").send().await.unwrap_err();
    let Error::InvalidRequest(invalid) = &error else {
        panic!("expected a local refusal: {error:?}");
    };
    assert_eq!(invalid.field(), "role");
    assert_eq!(
        invalid.rule(),
        "is not one of this instance's organization roles (org:admin, org:member)"
    );
    assert!(error.is_role_not_found());
    assert_eq!(error.delivery(), Delivery::NotSent);

    // Created in the dashboard a moment later: a miss within 10 s of the fetch is answered from
    // the list; after that, the list is fetched again before refusing.
    world.fake.add_role("org:billing", "Billing");
    assert!(roles.check("org:billing").send().await.is_err());
    assert_eq!(role_fetches(&world), 1);
    world.fake.clock().advance(MISS_REFRESH_AFTER);
    let billing = roles.check("org:billing").send().await.unwrap();
    assert_eq!(billing.name, "Billing");
    assert_eq!(role_fetches(&world), 2);
}

#[tokio::test]
async fn concurrent_checks_wait_for_one_fetch() {
    let world = World::new().await;
    let roles = world.client().organization_roles();
    let checks = (0..8).map(|n| {
        let roles = roles.clone();
        let role = if n % 2 == 0 {
            Role::ADMIN
        } else {
            Role::MEMBER
        };
        tokio::spawn(async move { roles.check(role).send().await })
    });
    for check in futures::future::join_all(checks).await {
        check.unwrap().unwrap();
    }
    assert_eq!(role_fetches(&world), 1);
}

#[tokio::test]
async fn writes_check_their_role_when_the_client_says_so() {
    let world = World::new().await;
    let client = checking(&world);
    let invitations = client.organization(ORG).invitations();
    let error = invitations
        .create(email(1), "org:nope")
        .send()
        .await
        .unwrap_err();
    assert!(
        error.is_role_not_found() && error.validation().is_some(),
        "{error:?}"
    );
    let error = invitations
        .create_bulk([
            NewInvitation::new(email(2), Role::MEMBER),
            NewInvitation::new(email(3), "org:nope"),
        ])
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.validation().unwrap().field(), "invitations[1].role");
    assert_eq!(
        world.creates() + world.bulk_creates(),
        0,
        "nothing was sent"
    );

    invitations
        .create(email(4), Role::MEMBER)
        .send()
        .await
        .unwrap();
    assert_eq!(world.creates(), 1);
    assert_eq!(role_fetches(&world), 1, "one list for all of them");
}

#[tokio::test]
async fn invite_all_rejects_unknown_roles_without_a_request() {
    let world = World::new().await;
    let client = checking(&world);
    let people = (0..5).map(|n| {
        let role = if n == 3 { "org:nope" } else { "org:member" };
        NewInvitation::new(email(n), role)
    });
    let outcomes: Vec<_> = client
        .organization(ORG)
        .invitations()
        .invite_all(people)
        .collect()
        .await;
    let rejected: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(&o.result, InviteResult::Rejected { code: None, .. }))
        .map(|o| o.index)
        .collect();
    assert_eq!(rejected, [3]);
    let invited = outcomes
        .iter()
        .filter(|o| matches!(o.result, InviteResult::Invited(_)))
        .count();
    assert_eq!(invited, 4);
    assert_eq!(world.bulk_creates(), 1, "one bulk call of four");
    assert_eq!(role_fetches(&world), 1);
}

#[tokio::test]
async fn when_the_roles_cannot_be_fetched_the_write_goes_out_unchecked() {
    let world = World::new().await;
    for n in 1..=4 {
        world
            .fake
            .faults()
            .on(Route::ListRoles)
            .nth(n, Fault::server_error(503));
    }
    let client = checking(&world);
    let error = client
        .organization(ORG)
        .invitations()
        .create(email(1), "org:nope")
        .send()
        .await
        .unwrap_err();
    // Clerk judged the role: its own refusal, not the failed lookup.
    assert!(error.is_role_not_found(), "{error:?}");
    assert!(error.validation().is_none());
    assert_eq!(error.delivery(), Delivery::Rejected);
    assert_eq!((role_fetches(&world), world.creates()), (4, 1));

    // `check()` on its own says what went wrong instead.
    for n in 1..=4 {
        world
            .fake
            .faults()
            .on(Route::ListRoles)
            .nth(n, Fault::server_error(503));
    }
    let error = client
        .organization_roles()
        .check(Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(role_fetches(&world), 8);
}
