//! The roster family: an actor syncs an organization with a roster through
//! `clerk_orgs::roster`: it plans, applies under the seed's fault schedule, then plans again
//! and applies once more (the way a team re-runs a sync after a failure).
//!
//! The roster is drawn when the call begins, from the organization as it is then (most of its
//! members and pending invitations, some with another role, some left out) plus pool addresses
//! and brand-new ones, so that plans hold every kind of change and pruning stays mostly within
//! the removal rail. Rows are sometimes upper-case, carry `{"call": N}` (so every invitation and
//! membership the sync creates says which call created it, as in the other families), sometimes
//! a team and sometimes private metadata.
//!
//! Each stretch of the call (plan, the apply's check, the apply's run) is marked on the call's
//! record (`CallRecord::phases`), so `check::roster` can judge each apply against what its own
//! requests did and against the organization's states (`Evidence::looks`).

use std::collections::HashMap;

use clerk_fake::{ADMIN_ROLE, FakeClerk, InvitationStatus, MEMBER_ROLE};
use clerk_orgs::roster::{ApplyError, Change, ChangeOutcome, ChangeResult, Rail};
use clerk_orgs::{Client, RosterRow};
use futures::StreamExt;
use serde_json::json;

use super::{OpKind, Outcome, short_error};
use crate::{ADMIN, BILLING_ROLE, OWNER_ROLE};

/// One roster sync, as drawn (`rows` empty) and as resolved when it begins.
#[derive(Debug, Clone)]
pub(crate) struct RosterOp {
    /// Seeds the roster's draw from the organization's state.
    pick: u64,
    settings: Settings,
    /// A pause between planning and applying (a plan reviewed, then applied): other actors
    /// may change the organization meanwhile.
    pause_ms: u64,
    rows: Vec<Row>,
}

/// How the sync is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `prune`.
    pub prune: bool,
    /// `add_existing_users`.
    pub add_existing_users: bool,
    /// `inviter_user_id`.
    pub inviter: Option<String>,
    /// `max_removals`.
    pub max_removals: Option<u64>,
    /// `max_removal_fraction`.
    pub max_removal_fraction: f64,
}

/// One roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// As given (sometimes upper-case).
    pub email: String,
    /// The role key.
    pub role: String,
    /// A `team` in the public metadata.
    pub team: Option<String>,
    /// Private metadata (`{"note": "cN"}`).
    pub private: bool,
}

/// What one apply did.
#[derive(Debug, Clone)]
pub enum ApplyRecord {
    /// The plan failed: nothing applied.
    NotTried,
    /// Refused before anything was sent: these rails (`StalePlan` among them, perhaps).
    Refused(Vec<Rail>),
    /// Could not check the plan (the read failed), or another error.
    Failed(String),
    /// Ran: its outcomes, in the order they came.
    Ran(Vec<ChangeOutcome>),
}

/// One plan and its apply.
#[derive(Debug, Clone)]
pub struct Round {
    /// The plan's changes (keeps included), or its error.
    pub plan: Result<Vec<Change>, String>,
    /// The apply.
    pub apply: ApplyRecord,
}

/// A roster call: what it asked and what each round said.
#[derive(Debug, Clone)]
pub struct RosterCall {
    /// The rows.
    pub rows: Vec<Row>,
    /// The settings.
    pub settings: Settings,
    /// The pause between each plan and its apply, in milliseconds.
    pub pause_ms: u64,
    /// Two rounds, once it returned.
    pub rounds: Vec<Round>,
}

fn draw_role(rng: &mut fastrand::Rng) -> String {
    match rng.u32(..100) {
        0..=69 => MEMBER_ROLE,
        70..=81 => ADMIN_ROLE,
        82..=91 => BILLING_ROLE,
        _ => OWNER_ROLE,
    }
    .to_owned()
}

/// One roster operation.
pub(crate) fn draw(rng: &mut fastrand::Rng) -> OpKind {
    let settings = Settings {
        prune: rng.bool(),
        add_existing_users: rng.u32(..3) == 0,
        inviter: (rng.u32(..8) != 0).then(|| ADMIN.to_owned()),
        max_removals: (rng.u32(..5) == 0).then(|| rng.u64(0..=2)),
        max_removal_fraction: match rng.u32(..10) {
            0..=6 => 0.25,
            7 | 8 => 0.5,
            _ => 1.0,
        },
    };
    let pause_ms = if rng.u32(..4) == 0 {
        rng.u64(0..=30_000)
    } else {
        0
    };
    OpKind::Roster(RosterOp {
        pick: rng.u64(..),
        settings,
        pause_ms,
        rows: Vec::new(),
    })
}

/// Draws the roster from the organization as it is now: each member and pending invitation is
/// kept with a probability of 85 % (with another role one time in seven), and up to four
/// people are added (pool addresses, who may have an account, or new ones).
pub(crate) fn resolve(
    op: &RosterOp,
    org: &str,
    call: u32,
    fake: &FakeClerk,
    users: &HashMap<String, String>,
    pool: &[String],
) -> OpKind {
    let mut rng = fastrand::Rng::with_seed(op.pick);
    let mut people: Vec<(String, String)> = Vec::new();
    for member in fake.memberships(org) {
        if let Some(email) = users.get(&member.user_id) {
            people.push((email.clone(), member.role.clone()));
        }
    }
    for invitation in fake.invitations() {
        let email = invitation.email_address.to_lowercase();
        if invitation.organization_id == org
            && invitation.status == InvitationStatus::Pending
            && !people.iter().any(|(e, _)| *e == email)
        {
            people.push((email, invitation.role.clone()));
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut push = |rng: &mut fastrand::Rng, email: String, role: String| {
        if rows.iter().any(|r| r.email.eq_ignore_ascii_case(&email)) {
            return;
        }
        let email = if rng.u32(..8) == 0 {
            email.to_uppercase()
        } else {
            email
        };
        let team = (rng.u32(..3) == 0).then(|| format!("t{}", call % 3));
        let private = rng.u32(..5) == 0;
        rows.push(Row {
            email,
            role,
            team,
            private,
        });
    };
    for (email, role) in people {
        if rng.u32(..100) < 85 {
            let role = if rng.u32(..7) == 0 {
                draw_role(&mut rng)
            } else {
                role
            };
            push(&mut rng, email, role);
        }
    }
    for k in 0..rng.usize(0..=4) {
        let email = if rng.bool() {
            pool[rng.usize(..pool.len())].clone()
        } else {
            format!("r{call}n{k}@sim.test")
        };
        let role = draw_role(&mut rng);
        push(&mut rng, email, role);
    }
    rng.shuffle(&mut rows);
    OpKind::Roster(RosterOp { rows, ..op.clone() })
}

/// What the call asks, recorded before it runs.
pub(crate) fn roster_call(op: &RosterOp) -> RosterCall {
    RosterCall {
        rows: op.rows.clone(),
        settings: op.settings.clone(),
        pause_ms: op.pause_ms,
        rounds: Vec::new(),
    }
}

pub(crate) fn describe(op: &RosterOp, org: &str) -> String {
    let rows: Vec<String> = op
        .rows
        .iter()
        .map(|r| {
            format!(
                "{} {}{}{}",
                r.email,
                r.role,
                r.team.as_deref().map_or(String::new(), |t| format!(" {t}")),
                if r.private { " +private" } else { "" }
            )
        })
        .collect();
    let s = &op.settings;
    format!(
        "roster {org} prune={} add_existing={} inviter={} max_removals={:?} fraction={} \
         pause={}ms [{}]",
        s.prune,
        s.add_existing_users,
        s.inviter.as_deref().unwrap_or("-"),
        s.max_removals,
        s.max_removal_fraction,
        op.pause_ms,
        rows.join("; ")
    )
}

fn row(r: &Row, call: u32) -> RosterRow {
    let mut public = json!({ "call": call });
    if let Some(team) = &r.team {
        public["team"] = json!(team);
    }
    let mut row = RosterRow::new(r.email.clone(), r.role.as_str()).public_metadata(public);
    if r.private {
        row = row.private_metadata(json!({ "note": format!("c{call}") }));
    }
    row
}

fn result_name(result: &ChangeResult) -> String {
    match result {
        ChangeResult::Done(applied) => {
            let what = format!("{applied:?}");
            let what = what.split(['(', ' ', '{']).next().unwrap_or("").to_owned();
            format!("Done({what})")
        }
        ChangeResult::AlreadyDone(why) => format!("AlreadyDone({why})"),
        ChangeResult::Conflict(why) => format!("Conflict({why})"),
        ChangeResult::Rejected { code, .. } => format!("Rejected({code:?})"),
        ChangeResult::Unknown(error) => format!("Unknown({})", short_error(error)),
        ChangeResult::NotDone(error) => format!("NotDone({})", short_error(error)),
        ChangeResult::PartlyDone { revoked, invite } => {
            format!(
                "PartlyDone({} revoked, {})",
                revoked.id,
                result_name(invite)
            )
        }
        _ => "unknown result".to_owned(),
    }
}

/// Plans and applies twice. `mark(round, phase)` is called as each stretch begins (`plan`,
/// `check`, `run`), so the recorder can tell them apart.
pub(crate) async fn execute(
    op: &RosterOp,
    call: u32,
    org: &str,
    client: &Client,
    clock: &crate::SimClock,
    mark: &dyn Fn(usize, &'static str),
) -> Outcome {
    let roster = client.organization(org).roster();
    let mut rounds = Vec::new();
    let mut summary = String::new();
    for round in 0..2 {
        mark(round, "plan");
        let s = &op.settings;
        let mut plan = roster
            .plan(op.rows.iter().map(|r| row(r, call)).collect::<Vec<_>>())
            .prune(s.prune)
            .add_existing_users(s.add_existing_users)
            .max_removal_fraction(s.max_removal_fraction);
        if let Some(inviter) = &s.inviter {
            plan = plan.inviter_user_id(inviter.clone());
        }
        if let Some(n) = s.max_removals {
            plan = plan.max_removals(n);
        }
        let plan = match plan.send().await {
            Ok(plan) => plan,
            Err(error) => {
                summary.push_str(&format!(
                    "\n      round {round}: plan {}",
                    short_error(&error)
                ));
                rounds.push(Round {
                    plan: Err(short_error(&error)),
                    apply: ApplyRecord::NotTried,
                });
                continue;
            }
        };
        let changes = plan.changes().to_vec();
        summary.push_str(&format!(
            "\n      round {round}: plan {} ({} rails)",
            plan.summary(),
            plan.violations().len()
        ));
        if op.pause_ms > 0 {
            clerk_orgs::clock::Clock::sleep(clock, std::time::Duration::from_millis(op.pause_ms))
                .await;
        }
        mark(round, "check");
        let apply = match plan.apply().send().await {
            Err(ApplyError::Refused(violations)) => {
                let rails: Vec<Rail> = violations.iter().map(|v| v.rail).collect();
                summary.push_str(&format!(", refused {rails:?}"));
                ApplyRecord::Refused(rails)
            }
            Err(error) => {
                summary.push_str(&format!(", apply failed: {error}"));
                ApplyRecord::Failed(error.to_string())
            }
            Ok(mut run) => {
                mark(round, "run");
                let mut outcomes = Vec::new();
                while let Some(outcome) = run.next().await {
                    summary.push_str(&format!(
                        "\n        [{}] {} {}: {}",
                        outcome.index,
                        outcome.kind,
                        outcome.email_address.as_deref().unwrap_or("-"),
                        result_name(&outcome.result)
                    ));
                    outcomes.push(outcome);
                }
                ApplyRecord::Ran(outcomes)
            }
        };
        rounds.push(Round {
            plan: Ok(changes),
            apply,
        });
    }
    mark(2, "end");
    Outcome::Roster(rounds, summary)
}
