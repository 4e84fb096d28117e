//! Lists: one organization's (`send` and `stream`), the deprecated pending route, the instance's
//! and a user's.

mod support;

use std::collections::HashSet;

use clerk_fake::{Fault, Route, User};
use clerk_orgs::{InvitationStatus, NewInvitation, Role};
use futures::{StreamExt, TryStreamExt};
use support::{ADMIN, Env, ORG, OTHER_ORG};

/// Creates `n` pending invitations `person{i}@example.com` in `org`, ten per bulk request.
async fn seed(env: &Env, org: &str, n: usize) {
    let people: Vec<_> = (0..n)
        .map(|i| NewInvitation::new(format!("person{i:03}@example.com"), Role::MEMBER))
        .collect();
    for chunk in people.chunks(10) {
        env.client
            .organization(org)
            .invitations()
            .create_bulk(chunk.to_vec())
            .send()
            .await
            .unwrap();
    }
    env.clear_log();
}

#[tokio::test]
async fn one_page_with_every_filter_on_the_query_string() {
    let env = Env::new().await;
    seed(&env, ORG, 12).await;
    let page = env
        .client
        .organization(ORG)
        .invitations()
        .list()
        .status(InvitationStatus::Pending)
        .email_address("person003@example.com")
        .order_by("-email_address")
        .limit(5)
        .offset(0)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(page.data[0].email_address, "person003@example.com");
    assert_eq!(
        env.only_request().path_and_query,
        "/v1/organizations/org_acme/invitations?email_address=person003%40example.com&limit=5&offset=0&order_by=-email_address&status=pending"
    );
}

#[tokio::test]
async fn pages_follow_limit_offset_and_order() {
    let env = Env::new().await;
    seed(&env, ORG, 12).await;
    let invitations = env.client.organization(ORG).invitations();
    let page = invitations
        .list()
        .order_by("+email_address")
        .limit(5)
        .offset(10)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, 12);
    let emails: Vec<_> = page.data.iter().map(|i| i.email_address.as_str()).collect();
    assert_eq!(emails, ["person010@example.com", "person011@example.com"]);

    let revoked = invitations.list().status("revoked").send().await.unwrap();
    assert_eq!(revoked.total_count, 0);
    assert!(revoked.data.is_empty());
}

#[tokio::test]
async fn stream_walks_every_page_lazily() {
    let env = Env::new().await;
    seed(&env, ORG, 60).await;
    let mut stream = env
        .client
        .organization(ORG)
        .invitations()
        .list()
        .order_by("+email_address")
        .limit(7)
        .stream();

    // Nothing is fetched before the stream is polled, and only one page for the first item.
    assert!(env.sent().is_empty());
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.email_address, "person000@example.com");
    assert_eq!(env.sent().len(), 1);

    let rest: Vec<_> = stream.try_collect().await.unwrap();
    let mut emails = vec![first.email_address];
    emails.extend(rest.into_iter().map(|i| i.email_address));
    let expected: Vec<_> = (0..60)
        .map(|i| format!("person{i:03}@example.com"))
        .collect();
    assert_eq!(emails, expected);

    let offsets: Vec<_> = env
        .sent()
        .iter()
        .map(|r| {
            let query = r.path_and_query.split_once('?').unwrap().1;
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix("offset="))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        offsets,
        ["0", "7", "14", "21", "28", "35", "42", "49", "56"]
    );
}

#[tokio::test]
async fn stream_of_an_empty_list_makes_one_request() {
    let env = Env::new().await;
    let all: Vec<_> = env
        .client
        .organization(ORG)
        .invitations()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(all.is_empty());
    assert_eq!(env.sent().len(), 1);
    assert!(env.sent()[0].path_and_query.contains("limit=100"));
}

#[tokio::test]
async fn stream_yields_an_error_once_and_ends() {
    let env = Env::new().await;
    seed(&env, ORG, 20).await;
    env.fake
        .faults()
        .on(Route::ListInvitations)
        .nth(2, Fault::server_error(500));
    let items: Vec<_> = env
        .client
        .organization(ORG)
        .invitations()
        .list()
        .limit(10)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 11);
    assert!(items[..10].iter().all(Result::is_ok));
    let error = items[10].as_ref().unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(env.sent().len(), 2);
}

#[tokio::test]
async fn unknown_statuses_and_fields_in_a_page_are_kept_or_ignored() {
    let env = Env::new().await;
    seed(&env, ORG, 3).await;
    let invitations = env.client.organization(ORG).invitations();
    env.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::UnknownStatus);
    let page = invitations.list().send().await.unwrap();
    assert!(
        page.data
            .iter()
            .all(|i| i.status == InvitationStatus::Unknown("on_hold".into()))
    );
    env.fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::UnknownFields);
    assert_eq!(invitations.list().send().await.unwrap().total_count, 3);
}

#[tokio::test]
#[allow(deprecated)]
async fn the_deprecated_pending_route_still_works() {
    let env = Env::new().await;
    seed(&env, ORG, 4).await;
    let page = env
        .client
        .organization(ORG)
        .invitations()
        .list_pending()
        .limit(2)
        .offset(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, 4);
    assert_eq!(page.data.len(), 2);
    assert_eq!(
        env.only_request().path_and_query,
        "/v1/organizations/org_acme/invitations/pending?limit=2&offset=1"
    );
}

#[tokio::test]
async fn instance_wide_items_carry_public_organization_data() {
    let env = Env::new().await;
    seed(&env, ORG, 3).await;
    env.client
        .organization(OTHER_ORG)
        .invitations()
        .create("someone@globex.test", Role::MEMBER)
        .inviter_user_id(ADMIN)
        .send()
        .await
        .unwrap();
    env.clear_log();

    let page = env
        .client
        .organization_invitations()
        .list()
        .query("globex")
        .status(InvitationStatus::Pending)
        .order_by("-created_at")
        .limit(10)
        .offset(0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        env.only_request().path_and_query,
        "/v1/organization_invitations?limit=10&offset=0&order_by=-created_at&query=globex&status=pending"
    );
    assert_eq!(page.total_count, 1);
    let organization = page.data[0].public_organization_data.as_ref().unwrap();
    assert_eq!(organization.id, OTHER_ORG);
    assert_eq!(organization.name, "Globex");
    assert_eq!(organization.slug, "globex");

    let everything: Vec<_> = env
        .client
        .organization_invitations()
        .list()
        .limit(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(everything.len(), 4);
    let ids: HashSet<_> = everything.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids.len(), 4);
}

#[tokio::test]
async fn a_users_invitations_across_organizations() {
    let env = Env::new().await;
    env.fake.add_user(User::new("user_zoe", "zoe@example.com"));
    for org in [ORG, OTHER_ORG] {
        env.client
            .organization(org)
            .invitations()
            .create("zoe@example.com", Role::MEMBER)
            .send()
            .await
            .unwrap();
    }
    seed(&env, ORG, 2).await;

    let user = env.client.user("user_zoe");
    let page = user
        .organization_invitations()
        .list()
        .status(InvitationStatus::Pending)
        .limit(1)
        .offset(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, 2);
    assert_eq!(page.data.len(), 1);
    assert!(page.data[0].public_organization_data.is_some());
    let request = env.only_request();
    assert_eq!(
        request.path_and_query,
        "/v1/users/user_zoe/organization_invitations?limit=1&offset=1&status=pending"
    );
    // The hand-written route sends the same headers as the generated ones.
    assert_eq!(
        request.header("clerk-api-version"),
        Some(clerk_bapi_sys::CLERK_API_VERSION)
    );
    assert_eq!(request.header("accept"), Some("application/json"));

    let all: Vec<_> = user
        .organization_invitations()
        .list()
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let orgs: HashSet<_> = all
        .iter()
        .map(|i| i.organization_id.clone().unwrap())
        .collect();
    assert_eq!(orgs, HashSet::from([ORG.to_owned(), OTHER_ORG.to_owned()]));

    let missing = env
        .client
        .user("user_nobody")
        .organization_invitations()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}
