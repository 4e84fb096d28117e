//! `roster().plan(rows).send()` over real HTTP against `clerk-fake`: each kind of change with
//! its reason, how addresses compare, what a plan reads (each list once, page by page; the
//! user lookup only when it can change the plan), refused rows, and plans as JSON.

mod support;

use clerk_fake::{MEMBER_ROLE, User};
use clerk_orgs::roster::{ApplyError, Change, ChangeKind, Plan, Reason};
use clerk_orgs::{Client, Error, Role, RosterRow};
use support::roster::{
    CAROL, CAROL_EMAIL, DAVE_EMAIL, ERIN_EMAIL, FRANK, FRANK_EMAIL, GINA_EMAIL, HANK, HANK_EMAIL,
    IVY_EMAIL, change_for, count, roster, seed_invitations, seed_people, shape, writes,
};
use support::{ADMIN, ADMIN_EMAIL, Env, MEMBER, MEMBER_EMAIL, ORG};

/// The world with Carol, Frank, Hank and three pending invitations; the log cleared.
async fn env() -> Env {
    let env = Env::new().await;
    seed_people(&env.fake);
    seed_invitations(&env.client).await;
    env.clear_log();
    env
}

async fn plan(client: &Client, rows: Vec<RosterRow>, prune: bool, add: bool) -> Plan {
    client
        .organization(ORG)
        .roster()
        .plan(rows)
        .prune(prune)
        .add_existing_users(add)
        .send()
        .await
        .unwrap()
}

fn reads(env: &Env) -> (usize, usize, usize) {
    let sent = env.sent();
    (
        count(&sent, "GET", &format!("/organizations/{ORG}/memberships")),
        count(&sent, "GET", &format!("/organizations/{ORG}/invitations")),
        count(&sent, "GET", "/users"),
    )
}

#[tokio::test]
async fn each_row_becomes_its_change_and_the_rest_is_kept_without_pruning() {
    let env = env().await;
    let plan = plan(&env.client, roster(), false, false).await;
    use ChangeKind::*;
    use Reason::*;
    let expected = [
        (Keep, ADMIN_EMAIL.to_owned(), MemberWithRole),
        (Keep, MEMBER_EMAIL.to_uppercase(), MemberWithRole),
        (ChangeRole, CAROL_EMAIL.to_owned(), RoleDiffers),
        (ReplaceInvitation, DAVE_EMAIL.to_owned(), RoleDiffers),
        (Keep, IVY_EMAIL.to_owned(), InvitedWithRole),
        (Invite, GINA_EMAIL.to_owned(), NotInOrganization),
        (Invite, HANK_EMAIL.to_owned(), NotInOrganization),
        (Keep, FRANK_EMAIL.to_owned(), NotPruned),
        (Keep, ERIN_EMAIL.to_owned(), NotPruned),
    ];
    assert_eq!(shape(&plan), expected);
    let summary = plan.summary();
    assert_eq!(
        (
            summary.invite,
            summary.change_role,
            summary.replace_invitation
        ),
        (2, 1, 1)
    );
    assert_eq!((summary.keep, summary.changes()), (5, 4));
    assert!(!plan.is_empty());
    assert!(plan.violations().is_empty(), "{:?}", plan.violations());
    assert_eq!(
        (plan.members_read(), plan.pending_invitations_read()),
        (4, 3)
    );

    match change_for(&plan, CAROL_EMAIL) {
        Change::ChangeRole {
            user_id, from, to, ..
        } => {
            assert_eq!(
                (user_id.as_str(), from, to),
                (CAROL, &Role::MEMBER, &Role::ADMIN)
            );
        }
        other => panic!("{other:?}"),
    }
    match change_for(&plan, DAVE_EMAIL) {
        Change::ReplaceInvitation {
            from,
            to,
            invitation_id,
            ..
        } => {
            assert_eq!((from, to.as_str()), (&Role::MEMBER, "org:billing"));
            assert!(invitation_id.starts_with("orginv_"));
        }
        other => panic!("{other:?}"),
    }
    match change_for(&plan, GINA_EMAIL) {
        Change::Invite {
            public_metadata, ..
        } => {
            assert_eq!(public_metadata.as_ref().unwrap()["team"], "new");
        }
        other => panic!("{other:?}"),
    }
    // One read of each list; Frank is a member no row claimed and there are addresses to
    // invite, so one user lookup (Gina and Hank could be Frank by another address).
    assert_eq!(reads(&env), (1, 1, 1));
    assert_eq!(env.sent().len(), 3);
    assert!(writes(&env.sent()).is_empty(), "a plan changes nothing");
}

#[tokio::test]
async fn pruning_removes_and_revokes_what_is_not_on_the_roster_and_users_can_be_added() {
    let env = env().await;
    let plan = plan(&env.client, roster(), true, true).await;
    match change_for(&plan, FRANK_EMAIL) {
        Change::RemoveMember {
            user_id,
            role,
            reason,
            ..
        } => {
            assert_eq!(
                (user_id.as_str(), role, *reason),
                (FRANK, &Role::MEMBER, Reason::NotOnRoster)
            );
        }
        other => panic!("{other:?}"),
    }
    match change_for(&plan, ERIN_EMAIL) {
        Change::RevokeInvitation { reason, .. } => assert_eq!(*reason, Reason::NotOnRoster),
        other => panic!("{other:?}"),
    }
    match change_for(&plan, HANK_EMAIL) {
        Change::AddMember {
            user_id,
            role,
            reason,
            ..
        } => {
            assert_eq!(
                (user_id.as_str(), role, *reason),
                (HANK, &Role::MEMBER, Reason::ExistingUser)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(change_for(&plan, GINA_EMAIL).kind(), ChangeKind::Invite);
    // 1 of 4 members removed: within the default quarter.
    assert!(plan.violations().is_empty(), "{:?}", plan.violations());
    assert_eq!(reads(&env), (1, 1, 1));
}

#[tokio::test]
async fn addresses_compare_case_insensitively_and_a_member_is_found_by_any_address() {
    let env = Env::new().await;
    env.fake.add_user(
        User::new("user_ann", "ann@acme.test").with_email_address("Ann.Private@Home.test"),
    );
    env.fake
        .add_membership(ORG, "user_ann", MEMBER_ROLE)
        .unwrap();
    let rows = vec![
        RosterRow::new("ADMIN@acme.TEST", Role::ADMIN),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new("ann.private@home.test", Role::ADMIN),
    ];
    let plan = plan(&env.client, rows, true, false).await;
    match change_for(&plan, "ann.private@home.test") {
        Change::ChangeRole { user_id, to, .. } => {
            assert_eq!((user_id.as_str(), to), ("user_ann", &Role::ADMIN));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        plan.summary().remove_member,
        0,
        "Ann is on the roster by another address"
    );
    assert_eq!(plan.summary().keep, 2);
}

#[tokio::test]
async fn an_unverified_address_never_makes_a_row_someone_elses_membership() {
    let env = Env::new().await;
    // Mallory typed the boss's address into her account and never confirmed it.
    env.fake.add_user(
        User::new("user_mallory", "mallory@acme.test")
            .with_unverified_email_address("boss@acme.test"),
    );
    env.fake
        .add_membership(ORG, "user_mallory", MEMBER_ROLE)
        .unwrap();
    let rows = vec![
        RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new("boss@acme.test", Role::ADMIN),
    ];
    let plan = plan(&env.client, rows, false, true).await;
    match change_for(&plan, "boss@acme.test") {
        Change::Invite { role, reason, .. } => {
            assert_eq!((role, reason), (&Role::ADMIN, &Reason::NotInOrganization));
        }
        other => panic!("the boss's row must invite the boss: {other:?}"),
    }
    assert_eq!(plan.summary().change_role, 0, "{:#?}", plan.changes());
    assert_eq!(plan.summary().add_member, 0, "{:#?}", plan.changes());
    // The users lookup ran and saw her: what kept her out is the verification.
    assert_eq!(reads(&env).2, 1);
}

#[tokio::test]
async fn a_member_whose_other_address_has_a_pending_invitation_is_on_the_roster() {
    for (role, changed) in [(Role::MEMBER, false), (Role::ADMIN, true)] {
        let env = Env::new().await;
        // Bob was invited at work, then joined with his own account, which has the work
        // address too; the old invitation is still pending.
        env.client
            .organization(ORG)
            .invitations()
            .create("bob@corp.test", Role::MEMBER)
            .inviter_user_id(ADMIN)
            .send()
            .await
            .unwrap();
        env.fake
            .add_user(User::new("user_bob", "bob@home.test").with_email_address("bob@corp.test"));
        env.fake
            .add_membership(ORG, "user_bob", MEMBER_ROLE)
            .unwrap();
        let rows = vec![
            RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
            RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
            RosterRow::new("bob@corp.test", role.clone()),
        ];
        let plan = plan(&env.client, rows, true, false).await;
        let bob: Vec<&Change> = plan
            .changes()
            .iter()
            .filter(|c| matches!(c.email_address(), Some("bob@corp.test" | "bob@home.test")))
            .collect();
        match (bob.as_slice(), changed) {
            (
                [
                    Change::Keep {
                        user_id: Some(user),
                        reason: Reason::MemberWithRole,
                        ..
                    },
                    Change::RevokeInvitation {
                        reason: Reason::AlreadyMember,
                        ..
                    },
                ],
                false,
            )
            | (
                [
                    Change::ChangeRole { user_id: user, .. },
                    Change::RevokeInvitation {
                        reason: Reason::AlreadyMember,
                        ..
                    },
                ],
                true,
            ) => assert_eq!(user, "user_bob"),
            other => panic!("Bob ({role}) must stay, by his work address: {other:#?}"),
        }
        assert_eq!(plan.summary().remove_member, 0, "{:#?}", plan.changes());
        assert_eq!(
            plan.summary().replace_invitation,
            0,
            "{:#?}",
            plan.changes()
        );
    }
}

#[tokio::test]
async fn no_user_lookup_when_it_cannot_change_the_plan() {
    let env = env().await;
    // Frank is on the roster: every member is claimed, nobody is added directly.
    let mut rows = roster();
    rows.push(RosterRow::new(FRANK_EMAIL, Role::MEMBER));
    plan(&env.client, rows, false, false).await;
    assert_eq!(reads(&env), (1, 1, 0));
}

#[tokio::test]
async fn a_large_organization_is_read_once_page_by_page() {
    let env = Env::new().await;
    for n in 0..1_200 {
        let id = format!("user_p{n}");
        env.fake.add_user(User::new(&id, format!("p{n}@big.test")));
        env.fake.add_membership(ORG, &id, MEMBER_ROLE).unwrap();
    }
    let mut rows: Vec<RosterRow> = (0..1_200)
        .map(|n| RosterRow::new(format!("p{n}@big.test"), Role::MEMBER))
        .collect();
    rows.push(RosterRow::new(ADMIN_EMAIL, Role::ADMIN));
    rows.push(RosterRow::new(MEMBER_EMAIL, Role::MEMBER));
    let plan = plan(&env.client, rows, true, false).await;
    assert!(plan.is_empty(), "{:?}", plan.summary());
    assert_eq!(plan.members_read(), 1_202);
    assert_eq!(
        reads(&env),
        (3, 1, 0),
        "500 + 500 + 202 members, one page of invitations"
    );
    let limits: Vec<String> = env
        .sent()
        .iter()
        .filter(|r| r.path_and_query.contains("/memberships"))
        .map(|r| r.path_and_query.clone())
        .collect();
    assert!(limits.iter().all(|q| q.contains("limit=500")), "{limits:?}");
}

#[tokio::test]
async fn bad_and_repeated_rows_are_refused_by_position() {
    let env = env().await;
    let roster = env.client.organization(ORG).roster();
    let refused = |error: Error| {
        let invalid = error.validation().expect("InvalidRequest").clone();
        (invalid.field().to_owned(), invalid.rule().to_owned())
    };

    let rows = vec![
        RosterRow::new(GINA_EMAIL, Role::MEMBER),
        RosterRow::new("not an address", Role::MEMBER),
    ];
    let (field, _) = refused(roster.plan(rows).send().await.unwrap_err());
    assert_eq!(field, "rows[1].email_address");

    let rows = vec![
        RosterRow::new(GINA_EMAIL, Role::MEMBER),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new(GINA_EMAIL.to_uppercase(), Role::ADMIN),
    ];
    let (field, rule) = refused(roster.plan(rows).send().await.unwrap_err());
    assert_eq!(field, "rows[2].email_address");
    assert!(rule.contains("rows[0]"), "{rule}");

    let rows = vec![
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new(MEMBER_EMAIL, Role::ADMIN),
    ];
    let (field, _) = refused(roster.plan(rows).send().await.unwrap_err());
    assert_eq!(field, "rows[1].email_address", "a member twice");

    let rows = vec![RosterRow::new(GINA_EMAIL, Role::MEMBER).private_metadata("x")];
    let (field, _) = refused(roster.plan(rows).send().await.unwrap_err());
    assert_eq!(field, "rows[0].private_metadata");

    env.fake
        .add_user(User::new("user_two", "two@acme.test").with_email_address("two@home.test"));
    env.fake
        .add_membership(ORG, "user_two", MEMBER_ROLE)
        .unwrap();
    let rows = vec![
        RosterRow::new("two@acme.test", Role::MEMBER),
        RosterRow::new("two@home.test", Role::MEMBER),
    ];
    let (field, rule) = refused(roster.plan(rows).send().await.unwrap_err());
    assert_eq!(field, "rows[1].email_address");
    assert!(
        rule.contains("user_two") && rule.contains("rows[0]"),
        "{rule}"
    );

    let error = roster
        .plan(Vec::new())
        .max_removal_fraction(1.5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused(error).0, "max_removal_fraction");
    assert!(writes(&env.sent()).is_empty());
}

#[tokio::test]
async fn with_the_role_check_on_an_unknown_role_is_refused_before_planning_on() {
    let env = env().await;
    let client = support::single_attempt()
        .secret_key(env.fake.secret_key())
        .base_url(env.fake.base_url())
        .check_roles(true)
        .build()
        .unwrap();
    let rows = vec![
        RosterRow::new(GINA_EMAIL, Role::MEMBER),
        RosterRow::new(HANK_EMAIL, "org:ghost"),
    ];
    let error = client
        .organization(ORG)
        .roster()
        .plan(rows)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_role_not_found(), "{error:?}");
    assert_eq!(error.validation().unwrap().field(), "rows[1].role");
}

#[tokio::test]
async fn a_plan_round_trips_through_json_and_applies_only_through_a_roster() {
    let env = env().await;
    let made = plan(&env.client, roster(), true, true).await;
    let json = serde_json::to_string_pretty(&made).unwrap();
    let read: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(read.changes(), made.changes());
    assert_eq!(read.fingerprint(), made.fingerprint());
    assert_eq!(read.settings(), made.settings());
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["format"], 1);
    assert_eq!(value["changes"][2]["kind"], "change_role");
    assert_eq!(value["changes"][2]["reason"], "role_differs");

    let error = read.clone().apply().send().await.unwrap_err();
    assert!(matches!(error, ApplyError::NoClient), "{error}");
    let other = env.client.organization("org_globex").roster();
    let error = other.apply(read).send().await.unwrap_err();
    assert!(
        matches!(error, ApplyError::WrongOrganization { .. }),
        "{error}"
    );
    let _ = (ADMIN, MEMBER);
}

/// Found by the simulator (seeds 34, 169 and 236, one fault each: `list#N=status`). The
/// pending list answered with a status this crate does not know (`on_hold`, the fake's
/// `UnknownStatus`). The plan left those invitations out, as if nobody were invited: it planned
/// to invite people already invited, and the check before applying, which read them again as
/// `pending`, refused the plan as stale ("the organization changed since the plan read it")
/// although nothing had changed. An invitation the pending filter returns is pending to the
/// plan unless it says it is accepted, revoked or expired.
#[tokio::test]
async fn an_unknown_status_on_the_pending_list_is_still_pending() {
    let env = env().await;
    env.fake
        .faults()
        .on(clerk_fake::Route::ListInvitations)
        .nth(1, clerk_fake::Fault::UnknownStatus);
    let odd = plan(&env.client, roster(), false, false).await;
    let plain = plan(&env.client, roster(), false, false).await;
    assert_eq!(shape(&odd), shape(&plain));
    assert_eq!(odd.pending_invitations_read(), 3);
    assert_eq!(odd.fingerprint(), plain.fingerprint());
    let run = odd
        .apply()
        .send()
        .await
        .expect("the organization did not change");
    drop(run);
}
