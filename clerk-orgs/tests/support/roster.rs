//! The roster-sync tests' world: `org_acme` (see `support`) grown to hold one of each thing a
//! plan can find, and helpers to read plans, outcomes and the requests they cost.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use clerk_fake::{FakeClerk, LoggedRequest, MEMBER_ROLE, User};
use clerk_orgs::roster::{Change, ChangeKind, ChangeOutcome, Plan, Reason};
use clerk_orgs::{Client, Role, RosterRow};

use super::{ADMIN, ADMIN_EMAIL, MEMBER_EMAIL, ORG};

/// A member whose role the roster changes (`org:member` -> `org:admin`).
pub const CAROL: &str = "user_carol";
pub const CAROL_EMAIL: &str = "carol@acme.test";
/// A member not on the roster.
pub const FRANK: &str = "user_frank";
pub const FRANK_EMAIL: &str = "frank@acme.test";
/// A user of the instance who is not a member, on the roster.
pub const HANK: &str = "user_hank";
pub const HANK_EMAIL: &str = "hank@acme.test";
/// Invited as `org:member`; the roster wants `org:billing`.
pub const DAVE_EMAIL: &str = "dave@partner.test";
/// Invited, not on the roster.
pub const ERIN_EMAIL: &str = "erin@partner.test";
/// Invited as `org:member`, as the roster wants.
pub const IVY_EMAIL: &str = "ivy@partner.test";
/// New to everything.
pub const GINA_EMAIL: &str = "gina@new.test";

/// Adds Carol and Frank as members and Hank as a user (the world already has the admin and
/// `user_member`), with the custom role `org:billing`.
pub fn seed_people(fake: &FakeClerk) {
    fake.add_role("org:billing", "Billing");
    fake.add_user(User::new(CAROL, CAROL_EMAIL));
    fake.add_user(User::new(FRANK, FRANK_EMAIL));
    fake.add_user(User::new(HANK, HANK_EMAIL));
    fake.add_membership(ORG, CAROL, MEMBER_ROLE).unwrap();
    fake.add_membership(ORG, FRANK, MEMBER_ROLE).unwrap();
}

/// Invites Dave, Erin and Ivy as members, through `client`, as the admin.
pub async fn seed_invitations(client: &Client) {
    let invitations = client.organization(ORG).invitations();
    for email in [DAVE_EMAIL, ERIN_EMAIL, IVY_EMAIL] {
        invitations
            .create(email, Role::MEMBER)
            .inviter_user_id(ADMIN)
            .send()
            .await
            .unwrap();
    }
}

/// The roster of the world: the admin, the member (address in another case), Carol as admin,
/// Dave as billing, Ivy as member, Gina and Hank new.
pub fn roster() -> Vec<RosterRow> {
    vec![
        RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
        RosterRow::new(MEMBER_EMAIL.to_uppercase(), Role::MEMBER),
        RosterRow::new(CAROL_EMAIL, Role::ADMIN),
        RosterRow::new(DAVE_EMAIL, "org:billing"),
        RosterRow::new(IVY_EMAIL, Role::MEMBER),
        RosterRow::new(GINA_EMAIL, Role::MEMBER)
            .public_metadata(serde_json::json!({"team": "new"})),
        RosterRow::new(HANK_EMAIL, Role::MEMBER),
    ]
}

/// (kind, address, reason) of every change, for comparing plans whole.
pub fn shape(plan: &Plan) -> Vec<(ChangeKind, String, Reason)> {
    plan.changes()
        .iter()
        .map(|change| {
            (
                change.kind(),
                change.email_address().unwrap_or("").to_owned(),
                change.reason(),
            )
        })
        .collect()
}

/// The change for this address.
pub fn change_for<'p>(plan: &'p Plan, email: &str) -> &'p Change {
    plan.changes()
        .iter()
        .find(|change| {
            change
                .email_address()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .unwrap_or_else(|| panic!("no change for {email} in {:#?}", plan.changes()))
}

/// Requests whose path (without query) is exactly `path` below `/v1`, by method.
pub fn count(requests: &[LoggedRequest], method: &str, path: &str) -> usize {
    let full = format!("/v1{path}");
    requests
        .iter()
        .filter(|r| r.method == method && r.path_and_query.split('?').next() == Some(&full))
        .count()
}

/// Writes: every request that is not a GET.
pub fn writes(requests: &[LoggedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

/// Asserts there is one outcome per change that does something, and returns them by index.
pub fn by_index<'o>(
    plan_changes: &[Change],
    outcomes: &'o [ChangeOutcome],
) -> Vec<(usize, &'o ChangeOutcome)> {
    let mut seen = std::collections::HashSet::new();
    for outcome in outcomes {
        assert!(
            seen.insert(outcome.index),
            "index {} reported twice",
            outcome.index
        );
        assert_eq!(plan_changes[outcome.index].kind(), outcome.kind);
    }
    let wanted: Vec<usize> = plan_changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_change())
        .map(|(i, _)| i)
        .collect();
    let mut got: Vec<usize> = seen.into_iter().collect();
    got.sort_unstable();
    assert_eq!(got, wanted, "one outcome per change, none for keeps");
    outcomes.iter().map(|o| (o.index, o)).collect()
}
