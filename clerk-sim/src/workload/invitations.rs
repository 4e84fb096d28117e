//! The invitation family: single and bulk creates, `invite_all` runs, revokes, lists and
//! streams of one organization's invitations.

use clerk_fake::{ADMIN_ROLE, FakeClerk, MEMBER_ROLE};
use clerk_orgs::{Client, Error, InvitationStatus, InviteResult, NewInvitation};
use futures::StreamExt;
use serde_json::{Value, json};

use super::{OpKind, Outcome, short_error};
use crate::{ADMIN, Claim, ClaimKind, PLAIN, Person, RevokeClaim};

/// One invitation operation, as drawn.
#[derive(Debug, Clone)]
pub(crate) enum InvitationOp {
    Create(Person),
    Bulk(Vec<Person>),
    InviteAll(Vec<Person>),
    Revoke(u64),
    List(Option<InvitationStatus>, u64),
    Stream,
}

pub(crate) fn draw_person(rng: &mut fastrand::Rng, pool: &[String]) -> Person {
    let email = match rng.u32(..40) {
        0 => "not-an-email".to_owned(),
        1 | 2 => pool[rng.usize(..pool.len())].to_uppercase(),
        _ => pool[rng.usize(..pool.len())].clone(),
    };
    let role = match rng.u32(..20) {
        0 => "org:ghost",
        1 | 2 => ADMIN_ROLE,
        _ => MEMBER_ROLE,
    }
    .to_owned();
    let inviter = match rng.u32(..10) {
        0 => None,
        1 => Some(PLAIN.to_owned()),
        _ => Some(ADMIN.to_owned()),
    };
    Person {
        email,
        role,
        inviter,
    }
}

/// Distinct people (case-insensitively), so a bulk call is not refused for repeating itself.
fn draw_distinct(rng: &mut fastrand::Rng, pool: &[String], n: usize) -> Vec<Person> {
    let mut people: Vec<Person> = Vec::new();
    for _ in 0..n * 3 {
        if people.len() == n {
            break;
        }
        let person = draw_person(rng, pool);
        if !people
            .iter()
            .any(|p| p.email.eq_ignore_ascii_case(&person.email))
        {
            people.push(person);
        }
    }
    people
}

/// One operation of the invitation workload (acceptances and pauses included: they were drawn
/// with the invitation operations from the start, and their draws must stay where they were).
pub(crate) fn draw(rng: &mut fastrand::Rng, pool: &[String]) -> OpKind {
    let op = match rng.u32(..100) {
        0..=24 => InvitationOp::Create(draw_person(rng, pool)),
        25..=39 => {
            let n = rng.usize(1..=4);
            InvitationOp::Bulk(draw_distinct(rng, pool, n))
        }
        40..=59 => {
            // With replacement: people overlap with other runs and repeat within the run.
            let n = rng.usize(1..=24);
            InvitationOp::InviteAll((0..n).map(|_| draw_person(rng, pool)).collect())
        }
        60..=69 => InvitationOp::Revoke(rng.u64(..)),
        70..=77 => {
            let status = match rng.u32(..3) {
                0 => None,
                1 => Some(InvitationStatus::Pending),
                _ => Some(InvitationStatus::Revoked),
            };
            InvitationOp::List(status, rng.u64(1..=20))
        }
        78..=83 => InvitationOp::Stream,
        84..=91 => return OpKind::Accept(rng.u64(..)),
        _ => return OpKind::Pause(rng.u64(0..=90_000)),
    };
    OpKind::Invitation(op)
}

/// The people a call asks to invite.
pub(crate) fn people(op: &InvitationOp) -> Vec<Person> {
    match op {
        InvitationOp::Create(p) => vec![p.clone()],
        InvitationOp::Bulk(people) | InvitationOp::InviteAll(people) => people.clone(),
        _ => Vec::new(),
    }
}

pub(crate) fn what(op: &InvitationOp) -> &'static str {
    match op {
        InvitationOp::Create(_) => "create",
        InvitationOp::Bulk(_) => "bulk",
        InvitationOp::InviteAll(_) => "invite_all",
        InvitationOp::Revoke(_) => "revoke",
        InvitationOp::List(..) => "list",
        InvitationOp::Stream => "stream",
    }
}

pub(crate) fn describe(op: &InvitationOp, org: &str) -> String {
    let person = |p: &Person| {
        format!(
            "{} {} by {}",
            p.email,
            p.role,
            p.inviter.as_deref().unwrap_or("-")
        )
    };
    match op {
        InvitationOp::Create(p) => format!("create {org} [{}]", person(p)),
        InvitationOp::Bulk(people) | InvitationOp::InviteAll(people) => {
            let what = if matches!(op, InvitationOp::Bulk(_)) {
                "bulk"
            } else {
                "invite_all"
            };
            let list: Vec<String> = people.iter().map(person).collect();
            format!("{what} {org} [{}]", list.join("; "))
        }
        InvitationOp::Revoke(_) => format!("revoke {org}"),
        InvitationOp::List(status, limit) => format!("list {org} {status:?} limit {limit}"),
        InvitationOp::Stream => format!("stream {org}"),
    }
}

fn classify(error: &Error) -> ClaimKind {
    if matches!(error, Error::InvalidRequest(_)) {
        ClaimKind::Local
    } else if error.maybe_processed() {
        ClaimKind::Maybe
    } else if error.is_duplicate_invitation() {
        ClaimKind::AlreadyInvited
    } else if error.is_already_member() {
        ClaimKind::AlreadyMember
    } else {
        ClaimKind::NotCreated
    }
}

/// The emails a `duplicate_record` / `already_a_member_in_organization` answer names.
fn named_emails(error: &Error) -> Vec<String> {
    error
        .api()
        .map(|api| {
            api.errors()
                .iter()
                .filter_map(|detail| detail.meta.get("email_addresses")?.as_array())
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

fn invite_result_kind(result: &InviteResult) -> (ClaimKind, &'static str) {
    match result {
        InviteResult::Invited(invitation) => (ClaimKind::Created(invitation.id.clone()), "Invited"),
        InviteResult::AlreadyInvited(_) => (ClaimKind::AlreadyInvited, "AlreadyInvited"),
        InviteResult::AlreadyMember => (ClaimKind::AlreadyMember, "AlreadyMember"),
        InviteResult::Rejected { code: None, .. } => (ClaimKind::Local, "Rejected(local)"),
        InviteResult::Rejected { .. } => (ClaimKind::NotCreated, "Rejected"),
        InviteResult::MaybeInvited(_) => (ClaimKind::Maybe, "MaybeInvited"),
        InviteResult::RateLimited(_) => (ClaimKind::NotCreated, "RateLimited"),
        InviteResult::NotSent(_) => (ClaimKind::NotCreated, "NotSent"),
        InviteResult::Failed(_) => (ClaimKind::NotCreated, "Failed"),
        _ => (ClaimKind::NotCreated, "unknown outcome"),
    }
}

fn new_invitation(person: &Person, call: u32) -> NewInvitation {
    let mut invitation = NewInvitation::new(person.email.clone(), person.role.as_str())
        .public_metadata(json!({ "call": call }));
    if let Some(inviter) = &person.inviter {
        invitation = invitation.inviter_user_id(inviter.clone());
    }
    invitation
}

fn claim(index: usize, person: &Person, kind: ClaimKind, note: impl Into<String>) -> Claim {
    Claim {
        index,
        email: person.email.clone(),
        kind,
        note: note.into(),
        not_sent: false,
    }
}

/// A claim for an error: its kind, and whether the error says nothing left the machine.
fn error_claim(index: usize, person: &Person, kind: ClaimKind, error: &Error) -> Claim {
    Claim {
        not_sent: error.delivery() == clerk_orgs::Delivery::NotSent,
        ..claim(index, person, kind, short_error(error))
    }
}

pub(crate) async fn execute(
    op: &InvitationOp,
    call: u32,
    org: &str,
    client: &Client,
    fake: &FakeClerk,
) -> Outcome {
    let invitations = client.organization(org).invitations();
    match op {
        InvitationOp::Create(person) => {
            let mut create = invitations
                .create(person.email.clone(), person.role.as_str())
                .public_metadata(json!({ "call": call }));
            if let Some(inviter) = &person.inviter {
                create = create.inviter_user_id(inviter.clone());
            }
            match create.send().await {
                Ok(invitation) => Outcome::Claims(
                    vec![claim(
                        0,
                        person,
                        ClaimKind::Created(invitation.id.clone()),
                        "Ok",
                    )],
                    format!("Ok({})", invitation.id),
                ),
                Err(error) => Outcome::Claims(
                    vec![error_claim(0, person, classify(&error), &error)],
                    short_error(&error),
                ),
            }
        }
        InvitationOp::Bulk(people) => {
            let result = invitations
                .create_bulk(people.iter().map(|p| new_invitation(p, call)))
                .send()
                .await;
            match result {
                Ok(created) => {
                    let claims = people
                        .iter()
                        .enumerate()
                        .map(|(index, person)| {
                            let found = created
                                .iter()
                                .find(|i| i.email_address.eq_ignore_ascii_case(&person.email));
                            match found {
                                Some(i) => {
                                    claim(index, person, ClaimKind::Created(i.id.clone()), "Ok")
                                }
                                // A success that leaves someone out is itself a broken promise.
                                None => {
                                    claim(index, person, ClaimKind::NotCreated, "Ok but missing")
                                }
                            }
                        })
                        .collect();
                    let ids: Vec<&str> = created.iter().map(|i| i.id.as_str()).collect();
                    Outcome::Claims(claims, format!("Ok({ids:?})"))
                }
                Err(error) => {
                    let kind = classify(&error);
                    let named = named_emails(&error);
                    let claims = people
                        .iter()
                        .enumerate()
                        .map(|(index, person)| {
                            let kind = match &kind {
                                ClaimKind::AlreadyInvited | ClaimKind::AlreadyMember
                                    if !named.contains(&person.email.to_lowercase()) =>
                                {
                                    ClaimKind::NotCreated
                                }
                                other => other.clone(),
                            };
                            error_claim(index, person, kind, &error)
                        })
                        .collect();
                    Outcome::Claims(claims, short_error(&error))
                }
            }
        }
        InvitationOp::InviteAll(people) => {
            let mut run = invitations.invite_all(people.iter().map(|p| new_invitation(p, call)));
            let mut claims = Vec::new();
            while let Some(outcome) = run.next().await {
                let (kind, note) = invite_result_kind(&outcome.result);
                let detail = outcome
                    .result
                    .error()
                    .map(|e| format!("{note} {}", short_error(e)))
                    .unwrap_or_else(|| note.to_owned());
                claims.push(Claim {
                    index: outcome.index,
                    email: outcome.email_address,
                    kind,
                    note: detail,
                    not_sent: matches!(outcome.result, InviteResult::NotSent(_)),
                });
            }
            let summary = format!("{} outcomes", claims.len());
            Outcome::Claims(claims, summary)
        }
        InvitationOp::Revoke(pick) => {
            let all: Vec<_> = fake
                .invitations()
                .into_iter()
                .filter(|i| i.organization_id == org)
                .collect();
            let target = if all.is_empty() {
                "orginv_none".to_owned()
            } else {
                all[usize::try_from(*pick % all.len() as u64).unwrap_or(0)]
                    .id
                    .clone()
            };
            match invitations
                .revoke(target.clone())
                .requesting_user_id(ADMIN)
                .send()
                .await
            {
                Ok(revoked) => Outcome::Revoke(
                    target,
                    RevokeClaim::Revoked(revoked.id.clone()),
                    format!("Ok({} {})", revoked.id, revoked.status),
                ),
                Err(error) => {
                    let claim = if error.maybe_processed() {
                        RevokeClaim::Maybe
                    } else {
                        RevokeClaim::NotRevoked
                    };
                    Outcome::Revoke(target, claim, short_error(&error))
                }
            }
        }
        InvitationOp::List(status, limit) => {
            let mut list = invitations.list().limit(*limit);
            if let Some(status) = status {
                list = list.status(status.clone());
            }
            match list.send().await {
                Ok(page) => {
                    Outcome::Other(format!("Ok({} of {})", page.data.len(), page.total_count))
                }
                Err(error) => Outcome::Other(short_error(&error)),
            }
        }
        InvitationOp::Stream => {
            let mut stream = invitations.list().limit(3).stream();
            let mut seen = 0;
            let mut end = "end".to_owned();
            while let Some(item) = stream.next().await {
                match item {
                    Ok(_) => seen += 1,
                    Err(error) => {
                        end = short_error(&error);
                        break;
                    }
                }
            }
            Outcome::Other(format!("{seen} items, {end}"))
        }
    }
}
