//! The roster rails over real HTTP against `clerk-fake`: each is on by default, shows in the
//! plan, refuses the apply before any change is sent (only the two reads of the check), and is
//! overridden by name; a saved plan applies only while it is still current.

mod support;

use clerk_fake::{MEMBER_ROLE, User};
use clerk_orgs::roster::{ApplyError, ChangeKind, ChangeResult, Plan, Rail};
use clerk_orgs::{Client, ErrorCode, Role, RosterRow};
use futures::StreamExt;
use support::roster::{CAROL, CAROL_EMAIL, FRANK, FRANK_EMAIL, seed_people, writes};
use support::{ADMIN, ADMIN_EMAIL, MEMBER, MEMBER_EMAIL, ORG, World};

async fn world() -> (World, Client) {
    let world = World::new().await;
    seed_people(&world.fake);
    let client = world.client();
    (world, client)
}

fn rails(plan: &Plan) -> Vec<Rail> {
    plan.violations().iter().map(|v| v.rail).collect()
}

/// Applies `plan` allowing `allowed`; asserts a refusal names exactly `refused` and changed
/// nothing (only the check's two reads were sent).
async fn refused(world: &World, plan: Plan, allowed: &[Rail], refused: &[Rail]) {
    world.fake.request_log().clear();
    let mut apply = plan.apply();
    for rail in allowed {
        apply = apply.allow(*rail);
    }
    let error = apply.send().await.unwrap_err();
    let ApplyError::Refused(violations) = &error else {
        panic!("expected a refusal: {error}");
    };
    let named: Vec<Rail> = violations.iter().map(|v| v.rail).collect();
    assert_eq!(named, refused, "{error}");
    assert_eq!(error.violations().len(), refused.len());
    let sent = world.requests();
    assert_eq!(sent.len(), 2, "only the check's reads: {sent:#?}");
    assert!(writes(&sent).is_empty());
}

#[tokio::test]
async fn the_last_admin_is_never_removed_unless_allowed() {
    let (world, client) = world().await;
    // Everyone stays but the admin, who is not on the roster.
    let rows = vec![
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new(CAROL_EMAIL, Role::MEMBER),
        RosterRow::new(FRANK_EMAIL, Role::MEMBER),
    ];
    let roster = client.organization(ORG).roster();
    let plan = roster.plan(rows.clone()).prune(true).send().await.unwrap();
    assert_eq!(rails(&plan), [Rail::LastAdmin]);
    assert!(plan.violations()[0].message.contains("every admin"));
    refused(&world, plan.clone(), &[], &[Rail::LastAdmin]).await;

    // Allowed: the plan is sent, and Clerk itself refuses to remove its last admin.
    let outcomes: Vec<_> = plan
        .apply()
        .allow(Rail::LastAdmin)
        .send()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(outcomes.len(), 1);
    match &outcomes[0].result {
        ChangeResult::Rejected { code, .. } => {
            assert_eq!(
                code.as_ref(),
                Some(&ErrorCode::OrganizationMinimumPermissionsNeeded)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(world.fake.membership(ORG, ADMIN).is_some());

    // Demoting the last admin is the same rail.
    let demote = vec![
        RosterRow::new(ADMIN_EMAIL, Role::MEMBER),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
    ];
    let plan = roster.plan(demote).send().await.unwrap();
    assert_eq!(rails(&plan), [Rail::LastAdmin]);
}

#[tokio::test]
async fn the_acting_inviter_is_never_removed_or_demoted_unless_allowed() {
    let (world, client) = world().await;
    let roster = client.organization(ORG).roster();
    // Carol becomes admin, so the organization keeps one; but the admin is the acting inviter.
    let rows = vec![
        RosterRow::new(ADMIN_EMAIL, Role::MEMBER),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new(CAROL_EMAIL, Role::ADMIN),
        RosterRow::new(FRANK_EMAIL, Role::MEMBER),
    ];
    let plan = roster
        .plan(rows.clone())
        .inviter_user_id(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(rails(&plan), [Rail::ActingInviter]);
    assert!(plan.violations()[0].message.contains(ADMIN));
    refused(&world, plan.clone(), &[], &[Rail::ActingInviter]).await;

    let outcomes: Vec<_> = plan
        .apply()
        .allow(Rail::ActingInviter)
        .send()
        .await
        .unwrap()
        .collect()
        .await;
    assert!(outcomes.iter().all(|o| o.result.is_done()), "{outcomes:#?}");
    assert_eq!(world.fake.membership(ORG, ADMIN).unwrap().role, MEMBER_ROLE);
    assert_eq!(world.fake.membership(ORG, CAROL).unwrap().role, "org:admin");

    // Without an inviter, the same plan breaks no rail.
    let plan = roster.plan(rows).send().await.unwrap();
    assert!(plan.violations().is_empty(), "{:?}", plan.violations());
}

#[tokio::test]
async fn removing_more_than_allowed_is_refused_by_fraction_or_count() {
    let (world, client) = world().await;
    for n in 0..4 {
        let id = format!("user_p{n}");
        world
            .fake
            .add_user(User::new(&id, format!("p{n}@acme.test")));
        world.fake.add_membership(ORG, &id, MEMBER_ROLE).unwrap();
    }
    // 8 members; the roster keeps 5: 3 removals, more than a quarter (2).
    let rows = || {
        vec![
            RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
            RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
            RosterRow::new(CAROL_EMAIL, Role::MEMBER),
            RosterRow::new(FRANK_EMAIL, Role::MEMBER),
            RosterRow::new("p0@acme.test", Role::MEMBER),
        ]
    };
    let roster = client.organization(ORG).roster();
    let plan = roster.plan(rows()).prune(true).send().await.unwrap();
    assert_eq!(plan.summary().remove_member, 3);
    assert_eq!(rails(&plan), [Rail::MaxRemovals]);
    assert!(plan.violations()[0].message.contains("removes 3 of 8"));
    refused(&world, plan, &[], &[Rail::MaxRemovals]).await;

    let plan = roster
        .plan(rows())
        .prune(true)
        .max_removal_fraction(0.5)
        .send()
        .await
        .unwrap();
    assert!(rails(&plan).is_empty());
    let plan = roster
        .plan(rows())
        .prune(true)
        .max_removal_fraction(0.5)
        .max_removals(2)
        .send()
        .await
        .unwrap();
    assert_eq!(rails(&plan), [Rail::MaxRemovals]);
    let outcomes: Vec<_> = plan
        .apply()
        .allow(Rail::MaxRemovals)
        .send()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(outcomes.len(), 3);
    assert!(
        outcomes
            .iter()
            .all(|o| o.kind == ChangeKind::RemoveMember && o.result.is_done())
    );
    assert_eq!(world.fake.memberships(ORG).len(), 5);

    // An empty roster (a failed export) would remove everyone.
    let plan = roster.plan(Vec::new()).prune(true).send().await.unwrap();
    assert_eq!(rails(&plan), [Rail::LastAdmin, Rail::MaxRemovals]);
}

#[tokio::test]
async fn a_plan_made_against_a_state_that_changed_is_refused_unless_allowed() {
    let (world, client) = world().await;
    let roster = client.organization(ORG).roster();
    let rows = || {
        vec![
            RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
            RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
            RosterRow::new(CAROL_EMAIL, Role::ADMIN),
            RosterRow::new(FRANK_EMAIL, Role::MEMBER),
            RosterRow::new("new@acme.test", Role::MEMBER),
        ]
    };
    // Saved as JSON, read back later: applies while nothing changed.
    let plan = roster.plan(rows()).send().await.unwrap();
    let saved = serde_json::to_string(&plan).unwrap();
    let read: Plan = serde_json::from_str(&saved).unwrap();
    assert!(!read.is_empty());

    // Someone changes a role meanwhile: the plan is stale.
    support::client_for(&world.fake)
        .organization(ORG)
        .memberships()
        .update_role(FRANK, "org:billing")
        .send()
        .await
        .unwrap();
    world.fake.request_log().clear();
    let error = roster.apply(read.clone()).send().await.unwrap_err();
    let ApplyError::Refused(violations) = &error else {
        panic!("{error}");
    };
    assert_eq!(violations[0].rail, Rail::StalePlan);
    assert!(violations[0].message.contains("plan again"), "{error}");
    assert!(writes(&world.requests()).is_empty());

    // So is one made before a pending invitation was revoked, or a member left.
    let plan = roster.plan(rows()).send().await.unwrap();
    world
        .fake
        .add_membership(ORG, "user_hank", MEMBER_ROLE)
        .unwrap();
    refused(&world, plan, &[], &[Rail::StalePlan]).await;

    // A fresh plan applies; allowed, a stale one does too.
    let plan = roster.plan(rows()).send().await.unwrap();
    let outcomes: Vec<_> = plan.apply().send().await.unwrap().collect().await;
    assert!(outcomes.iter().all(|o| o.result.is_done()), "{outcomes:#?}");
    let outcomes: Vec<_> = roster
        .apply(read)
        .allow(Rail::StalePlan)
        .send()
        .await
        .unwrap()
        .collect()
        .await;
    // Carol is already admin and new@ already invited: the stale plan meets what was done.
    assert!(outcomes.iter().all(|o| o.result.is_done()), "{outcomes:#?}");
    let _ = (CAROL, MEMBER);
}

#[tokio::test]
async fn rails_are_checked_against_the_organization_as_it_is_when_applying() {
    let (world, client) = world().await;
    let roster = client.organization(ORG).roster();
    world.fake.add_membership(ORG, CAROL, "org:admin").unwrap();
    // Two admins when planned: removing the first is fine.
    let rows = vec![
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new(CAROL_EMAIL, Role::ADMIN),
        RosterRow::new(FRANK_EMAIL, Role::MEMBER),
    ];
    let plan = roster.plan(rows).prune(true).send().await.unwrap();
    assert!(plan.violations().is_empty(), "{:?}", plan.violations());
    // Carol is demoted before the apply: the plan is stale, and even allowed as stale, it
    // would now remove the last admin.
    world.fake.add_membership(ORG, CAROL, MEMBER_ROLE).unwrap();
    refused(&world, plan, &[Rail::StalePlan], &[Rail::LastAdmin]).await;
}

#[test]
fn rails_are_named_for_overriding() {
    let names: Vec<&str> = Rail::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(
        names,
        ["last-admin", "acting-inviter", "max-removals", "stale-plan"]
    );
    assert_eq!("stale-plan".parse::<Rail>().unwrap(), Rail::StalePlan);
    let error = "everything".parse::<Rail>().unwrap_err();
    assert!(error.to_string().contains("last-admin"));
}
