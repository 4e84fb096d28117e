//! Applying a roster plan over real HTTP against `clerk-fake`, on its virtual clock with the
//! client's default retries and budgets: each kind of change and what Clerk holds afterwards,
//! the requests it costs and their order, a second plan that is empty, pacing under Clerk's
//! limits, and outcomes under the faults that matter.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use clerk_fake::{Fault, InvitationStatus, MEMBER_ROLE, Route, User};
use clerk_orgs::roster::{Applied, ChangeKind, ChangeOutcome, ChangeResult, Plan};
use clerk_orgs::{Client, Removal, Role, RosterRow};
use futures::StreamExt;
use support::roster::{
    CAROL, DAVE_EMAIL, ERIN_EMAIL, FRANK, GINA_EMAIL, HANK, IVY_EMAIL, by_index, count, roster,
    seed_invitations, seed_people, writes,
};
use support::{ADMIN, ADMIN_EMAIL, MEMBER, MEMBER_EMAIL, ORG, World};

async fn world() -> (World, Client) {
    let world = World::new().await;
    seed_people(&world.fake);
    let client = world.client();
    seed_invitations(&client).await;
    world.fake.request_log().clear();
    (world, client)
}

async fn plan(client: &Client, rows: Vec<RosterRow>, prune: bool, add: bool) -> Plan {
    client
        .organization(ORG)
        .roster()
        .plan(rows)
        .prune(prune)
        .add_existing_users(add)
        .inviter_user_id(ADMIN)
        .send()
        .await
        .unwrap()
}

async fn apply(plan: Plan) -> Vec<ChangeOutcome> {
    let run = plan.apply().send().await.unwrap();
    run.collect().await
}

fn pending_role(world: &World, email: &str) -> Option<String> {
    world
        .fake
        .invitations()
        .into_iter()
        .find(|i| {
            i.email_address.eq_ignore_ascii_case(email) && i.status == InvitationStatus::Pending
        })
        .map(|i| i.role)
}

#[tokio::test]
async fn every_kind_of_change_is_made_with_its_outcome_and_the_next_plan_is_empty() {
    let (world, client) = world().await;
    let plan = plan(&client, roster(), true, true).await;
    let changes = plan.changes().to_vec();
    world.fake.request_log().clear();
    let outcomes = apply(plan).await;
    let by_kind: HashMap<ChangeKind, &ChangeOutcome> = by_index(&changes, &outcomes)
        .into_iter()
        .map(|(_, o)| (o.kind, o))
        .collect();
    assert_eq!(outcomes.len(), 6, "{outcomes:#?}");

    let result = |kind| &by_kind[&kind].result;
    assert!(
        matches!(result(ChangeKind::ChangeRole), ChangeResult::Done(Applied::RoleChanged(m)) if m.role == Role::ADMIN)
    );
    assert!(matches!(
        result(ChangeKind::RemoveMember),
        ChangeResult::Done(Applied::Removed(Removal::Removed(_)))
    ));
    assert!(
        matches!(result(ChangeKind::AddMember), ChangeResult::Done(Applied::Added(m)) if m.user_id() == Some(HANK))
    );
    assert!(
        matches!(result(ChangeKind::RevokeInvitation), ChangeResult::Done(Applied::Revoked(i)) if i.email_address == ERIN_EMAIL)
    );
    assert!(
        matches!(result(ChangeKind::Invite), ChangeResult::Done(Applied::Invited(i)) if i.email_address == GINA_EMAIL && i.public_metadata["team"] == "new")
    );
    match result(ChangeKind::ReplaceInvitation) {
        ChangeResult::Done(Applied::Replaced { revoked, invited }) => {
            assert_eq!(revoked.role, Role::MEMBER);
            assert_eq!(invited.role.as_str(), "org:billing");
            assert_eq!(invited.email_address, DAVE_EMAIL);
            assert_eq!(invited.inviter_id.as_deref(), Some(ADMIN));
        }
        other => panic!("{other:?}"),
    }

    // Clerk (the fake) now holds what the roster says.
    let role = |user: &str| world.fake.membership(ORG, user).map(|m| m.role);
    assert_eq!(role(CAROL).as_deref(), Some("org:admin"));
    assert_eq!(role(FRANK), None);
    assert_eq!(role(HANK).as_deref(), Some(MEMBER_ROLE));
    assert_eq!(
        pending_role(&world, DAVE_EMAIL).as_deref(),
        Some("org:billing")
    );
    assert_eq!(pending_role(&world, ERIN_EMAIL), None);
    assert_eq!(
        pending_role(&world, IVY_EMAIL).as_deref(),
        Some(MEMBER_ROLE)
    );
    assert_eq!(
        pending_role(&world, GINA_EMAIL).as_deref(),
        Some(MEMBER_ROLE)
    );

    // The requests: two reads to check the plan, then one request per change, Gina and Dave's
    // new invitation together in one bulk call.
    let sent = world.requests();
    let memberships = format!("/organizations/{ORG}/memberships");
    let invitations = format!("/organizations/{ORG}/invitations");
    assert_eq!(count(&sent, "GET", &memberships), 1);
    assert_eq!(count(&sent, "GET", &invitations), 1);
    let writes_sent = writes(&sent);
    assert_eq!(writes_sent.len(), 6, "{writes_sent:#?}");
    let position = |prefix: &str| {
        writes_sent
            .iter()
            .position(|w| w.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {writes_sent:#?}"))
    };
    let promote = position(&format!("PATCH /v1{memberships}/{CAROL}"));
    let remove = position(&format!("DELETE /v1{memberships}/{FRANK}"));
    let add = position(&format!("POST /v1{memberships}"));
    let bulk = position(&format!("POST /v1{invitations}/bulk"));
    let revokes: Vec<usize> = writes_sent
        .iter()
        .enumerate()
        .filter(|(_, w)| w.ends_with("/revoke"))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(revokes.len(), 2);
    assert!(promote < revokes[0], "promotions first");
    assert!(
        revokes[1] < remove && remove < add && add < bulk,
        "{writes_sent:#?}"
    );
    let bulk_body: serde_json::Value = serde_json::from_slice(
        &sent
            .iter()
            .find(|r| r.path_and_query.ends_with("/bulk"))
            .unwrap()
            .body,
    )
    .unwrap();
    let emails: Vec<&str> = bulk_body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email_address"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [DAVE_EMAIL, GINA_EMAIL],
        "the replacement goes first"
    );

    // Idempotent: the next plan is empty, and applying it sends nothing but the check.
    world.fake.request_log().clear();
    let again = plan_again(&client, true).await;
    assert!(again.is_empty(), "{:#?}", again.changes());
    let outcomes = apply(again).await;
    assert!(outcomes.is_empty());
    assert!(writes(&world.requests()).is_empty());
}

async fn plan_again(client: &Client, prune: bool) -> Plan {
    plan(client, roster(), prune, true).await
}

#[tokio::test]
async fn an_admin_is_promoted_before_the_last_one_is_demoted() {
    let (world, client) = world().await;
    // The only admin becomes a member and Carol becomes admin: Clerk would refuse the demotion
    // if it came first.
    let rows = vec![
        RosterRow::new(ADMIN_EMAIL, Role::MEMBER),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new(support::roster::CAROL_EMAIL, Role::ADMIN),
    ];
    let plan = client
        .organization(ORG)
        .roster()
        .plan(rows)
        .send()
        .await
        .unwrap();
    assert!(plan.violations().is_empty(), "{:?}", plan.violations());
    let outcomes = apply(plan).await;
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.result.is_done()), "{outcomes:#?}");
    assert_eq!(world.fake.membership(ORG, ADMIN).unwrap().role, MEMBER_ROLE);
    assert_eq!(world.fake.membership(ORG, CAROL).unwrap().role, "org:admin");
}

#[tokio::test]
async fn changes_are_paced_under_clerks_global_limit() {
    let world = World::new().await;
    for n in 0..150 {
        let id = format!("user_p{n}");
        world
            .fake
            .add_user(User::new(&id, format!("p{n}@acme.test")));
        world.fake.add_membership(ORG, &id, MEMBER_ROLE).unwrap();
    }
    let client = world.client();
    let mut rows: Vec<RosterRow> = (0..150)
        .map(|n| RosterRow::new(format!("p{n}@acme.test"), "org:admin"))
        .collect();
    rows.push(RosterRow::new(ADMIN_EMAIL, Role::ADMIN));
    rows.push(RosterRow::new(MEMBER_EMAIL, Role::MEMBER));
    let plan = plan(&client, rows, false, false).await;
    assert_eq!(plan.summary().change_role, 150);
    let started = world.elapsed();
    let outcomes = apply(plan).await;
    assert_eq!(outcomes.len(), 150);
    assert!(outcomes.iter().all(|o| o.result.is_done()));
    let patches = world
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(
        patches, 150,
        "no 429 (the client paces itself), so nothing sent twice"
    );
    // 100 requests per 10 s (sk_test_): 150 updates and 2 reads do not fit in one window.
    assert!(
        world.elapsed() - started >= Duration::from_secs(10),
        "{:?}",
        world.elapsed()
    );
}

#[tokio::test]
async fn a_lost_answer_is_settled_and_a_failed_change_says_so() {
    let (world, client) = world().await;
    let plan = plan(&client, roster(), true, true).await;
    // Carol's role change is processed and its answer lost; Frank's removal meets a 503 and is
    // retried; the bulk call is processed and its answer lost.
    let faults = world.fake.faults();
    faults
        .on(Route::UpdateMembership)
        .next(Fault::ProcessedThenDropped);
    faults
        .on(Route::DeleteMembership)
        .next(Fault::server_error(503));
    faults
        .on(Route::BulkCreateInvitations)
        .next(Fault::ProcessedThenDropped);
    let outcomes = apply(plan).await;
    assert_eq!(outcomes.len(), 6);
    for outcome in &outcomes {
        assert!(outcome.result.is_done(), "{outcome:#?}");
    }
    assert_eq!(world.fake.membership(ORG, CAROL).unwrap().role, "org:admin");
    assert!(world.fake.membership(ORG, FRANK).is_none());
    assert_eq!(
        pending_role(&world, GINA_EMAIL).as_deref(),
        Some(MEMBER_ROLE)
    );
    // Nothing twice: one pending invitation per address.
    let mut pending: Vec<String> = world
        .fake
        .invitations()
        .into_iter()
        .filter(|i| i.status == InvitationStatus::Pending)
        .map(|i| i.email_address.to_lowercase())
        .collect();
    let n = pending.len();
    pending.sort();
    pending.dedup();
    assert_eq!(pending.len(), n);
    assert!(plan_again(&client, true).await.is_empty());
}

#[tokio::test]
async fn when_clerk_is_unreachable_the_run_stops_and_the_next_apply_finishes() {
    let (world, client) = world().await;
    let plan = plan(&client, roster(), true, true).await;
    // Every attempt of the first write (Carol's promotion) has its connection dropped before
    // processing: the run stops, and everything after it is not done.
    for n in 1..=10 {
        world
            .fake
            .faults()
            .on(Route::UpdateMembership)
            .nth(n, Fault::DropConnection);
    }
    let outcomes = apply(plan).await;
    assert_eq!(outcomes.len(), 6);
    // Carol's: sent, its answers lost (the lookup found her role unchanged, but a dropped
    // connection cannot prove the request never arrived): unknown. Everyone after her: not
    // sent.
    assert_eq!(outcomes[0].kind, ChangeKind::ChangeRole);
    assert!(
        matches!(
            outcomes[0].result,
            ChangeResult::Unknown(_) | ChangeResult::NotDone(_)
        ),
        "{outcomes:#?}"
    );
    assert!(
        outcomes[1..]
            .iter()
            .all(|o| matches!(o.result, ChangeResult::NotDone(_))),
        "{outcomes:#?}"
    );
    assert_eq!(
        world
            .requests()
            .iter()
            .filter(|r| r.method != "GET")
            .count(),
        world
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .count(),
        "nothing but the first change was tried"
    );
    world.fake.faults().clear();
    let again = plan_again(&client, true).await;
    assert_eq!(again.summary().changes(), 6);
    let outcomes = apply(again).await;
    assert!(outcomes.iter().all(|o| o.result.is_done()), "{outcomes:#?}");
    assert!(plan_again(&client, true).await.is_empty());
}

#[tokio::test]
async fn a_change_overtaken_by_events_is_a_conflict_not_a_success() {
    let (world, client) = world().await;
    let plan = plan(&client, roster(), true, true).await;
    let run = plan.apply().send().await.unwrap();
    // After the check, before the run: Frank leaves, Erin's invitation is accepted.
    let erin = world
        .fake
        .invitations()
        .into_iter()
        .find(|i| i.email_address == ERIN_EMAIL)
        .unwrap();
    world.fake.accept_invitation(&erin.id).unwrap();
    support::client_for(&world.fake)
        .organization(ORG)
        .memberships()
        .delete(FRANK)
        .send()
        .await
        .unwrap();
    let outcomes: Vec<ChangeOutcome> = run.collect().await;
    let result = |kind| &outcomes.iter().find(|o| o.kind == kind).unwrap().result;
    assert!(
        matches!(
            result(ChangeKind::RemoveMember),
            ChangeResult::AlreadyDone(_)
        ),
        "{outcomes:#?}"
    );
    assert!(
        matches!(
            result(ChangeKind::RevokeInvitation),
            ChangeResult::Conflict(_)
        ),
        "{outcomes:#?}"
    );
    let _ = MEMBER;
}

#[tokio::test]
async fn progress_counts_changes() {
    let (world, client) = world().await;
    let plan = plan(&client, roster(), true, true).await;
    let mut run = plan.apply().send().await.unwrap();
    assert_eq!((run.progress().done, run.progress().total), (0, 6));
    let mut seen = 0;
    while run.next().await.is_some() {
        seen += 1;
        assert_eq!(run.progress().done, seen);
    }
    assert_eq!(seen, 6);
    let _ = world;
}

#[tokio::test]
async fn seats_freed_by_removals_are_used_by_invitations() {
    let world = World::new().await;
    world.fake.add_organization(
        clerk_fake::Organization::new(ORG, "Acme Inc").with_max_allowed_memberships(2),
    );
    let client = world.client();
    // Members: the admin and user_member (2 of 2 seats). The roster keeps the admin, drops the
    // member and invites Gina: the removal must come first or Clerk refuses the invitation.
    let rows = vec![
        RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
        RosterRow::new(GINA_EMAIL, Role::MEMBER),
    ];
    let plan = client
        .organization(ORG)
        .roster()
        .plan(rows)
        .prune(true)
        .max_removal_fraction(0.5)
        .send()
        .await
        .unwrap();
    let outcomes = apply(plan).await;
    assert!(outcomes.iter().all(|o| o.result.is_done()), "{outcomes:#?}");
    assert!(world.fake.membership(ORG, MEMBER).is_none());
    assert_eq!(
        pending_role(&world, GINA_EMAIL).as_deref(),
        Some(MEMBER_ROLE)
    );
}

#[tokio::test]
async fn an_unknown_role_is_rejected_not_a_member_gone() {
    // The client's role check is off, so Clerk judges the role: its 404 "Organization role not
    // found" must not read as "no longer a member" (a 404 too).
    let (world, client) = world().await;
    let rows = vec![
        RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
        RosterRow::new(support::roster::CAROL_EMAIL, "org:ghost"),
    ];
    let plan = plan(&client, rows, false, false).await;
    let outcomes = apply(plan).await;
    let role_change: Vec<_> = outcomes
        .iter()
        .filter(|o| o.kind == ChangeKind::ChangeRole)
        .collect();
    assert_eq!(role_change.len(), 1, "{outcomes:#?}");
    match &role_change[0].result {
        ChangeResult::Rejected { code, .. } => {
            assert_eq!(
                code.as_ref().map(|c| c.as_str()),
                Some("resource_not_found")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        world.fake.membership(ORG, CAROL).unwrap().role,
        MEMBER_ROLE,
        "Carol is still a member, with her role"
    );
}
