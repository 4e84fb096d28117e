//! The membership family: adding existing users, changing roles, merging metadata, removing
//! members, finding and listing them, and re-inviting people who were removed (an invitation
//! create, checked as one).
//!
//! Operations are drawn with a target that is resolved when the call begins (a member picked
//! from the organization's members at that moment), so they meet the state other actors left.
//! What a call asked ([`MemberAsk`]) and what it said ([`MemberClaim`]) are recorded on its
//! [`CallRecord`](crate::CallRecord) for `check::memberships`.

use std::collections::HashMap;

use clerk_fake::{ADMIN_ROLE, FakeClerk, MEMBER_ROLE, MembershipChangeKind};
use clerk_orgs::{Client, Delivery, Error, OrganizationMembership, Removal};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::invitations::InvitationOp;
use super::{OpKind, Outcome, short_error};
use crate::{ADMIN, BILLING_ROLE, OWNER_ROLE, PLAIN, Person};

/// Whose membership an operation is about.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A member of the organization when the call begins, picked by this number.
    Member(u64),
    /// This user, member or not (or not even a user).
    User(String),
}

/// One membership operation, as drawn.
#[derive(Debug, Clone)]
pub(crate) enum MembershipOp {
    /// Add an existing user (`shape` picks the metadata).
    Create {
        user: String,
        role: String,
        shape: u32,
    },
    Role {
        target: Target,
        role: String,
    },
    /// Merge metadata (`shape` picks the merge).
    Metadata {
        target: Target,
        shape: u32,
    },
    Delete {
        target: Target,
    },
    Find {
        target: Target,
    },
    /// Every member, in pages of 3.
    Stream,
    /// Invite again someone removed during the run (a pool address if nobody was).
    Reinvite {
        pick: u64,
        role: String,
    },
}

/// What a membership call asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberAsk {
    /// Add the user with this role and metadata (`public_metadata` carries `{"call": N}`).
    Create {
        /// The role key.
        role: String,
        /// Public metadata, as sent.
        public_metadata: Map<String, Value>,
        /// Private metadata, if sent.
        private_metadata: Option<Map<String, Value>>,
    },
    /// Set this role.
    Role(String),
    /// Merge this metadata (Clerk's deep merge).
    Metadata {
        /// Merged into the public metadata.
        public_metadata: Map<String, Value>,
        /// Merged into the private metadata, if sent.
        private_metadata: Option<Map<String, Value>>,
    },
    /// Remove the member.
    Delete,
    /// Find the user's membership.
    Find,
    /// List every member (checked for panics and bounds only).
    Stream,
}

/// A membership as the client returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// `orgmem_...`.
    pub id: String,
    /// The member, from `public_user_data`.
    pub user_id: Option<String>,
    /// The role key.
    pub role: String,
    /// Public metadata.
    pub public_metadata: Map<String, Value>,
    /// Private metadata.
    pub private_metadata: Map<String, Value>,
}

impl Seen {
    fn of(membership: &OrganizationMembership) -> Self {
        Self {
            id: membership.id.clone(),
            user_id: membership.user_id().map(str::to_owned),
            role: membership.role.as_str().to_owned(),
            public_metadata: membership.public_metadata.clone(),
            private_metadata: membership.private_metadata.clone(),
        }
    }
}

/// What a failed membership call said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Clerk may have acted ([`Error::maybe_processed`]).
    pub maybe: bool,
    /// Nothing left the machine ([`Delivery::NotSent`]).
    pub not_sent: bool,
    /// [`Error::is_already_member`].
    pub already_member: bool,
    /// [`Error::is_not_found`].
    pub not_found: bool,
    /// [`Error::is_last_admin`].
    pub last_admin: bool,
    /// [`Error::is_role_not_found`].
    pub role_not_found: bool,
    /// The error, short.
    pub note: String,
}

impl Failure {
    fn of(error: &Error) -> Self {
        Self {
            maybe: error.maybe_processed(),
            not_sent: error.delivery() == Delivery::NotSent,
            already_member: error.is_already_member(),
            not_found: error.is_not_found(),
            last_admin: error.is_last_admin(),
            role_not_found: error.is_role_not_found(),
            note: short_error(error),
        }
    }

    /// A definite answer: Clerk did not act, or nothing was sent.
    pub fn definite(&self) -> bool {
        !self.maybe
    }
}

/// What a membership call said.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberClaim {
    /// Created: the membership Clerk answered with (or the lookup found as this call's).
    Created(Seen),
    /// The role or metadata is as asked: the membership returned.
    Updated(Seen),
    /// Removed: Clerk's answer, the membership as it was.
    Removed(Seen),
    /// [`Removal::Gone`]: not a member any more, the answer was lost.
    Gone,
    /// `find`: the membership, or none.
    Found(Option<Seen>),
    /// A stream that ended (with how many members, or its error).
    Listed,
    /// An error.
    Failed(Failure),
}

/// A membership call: whose membership, what it asked, and what it said.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberCall {
    /// The user whose membership it is about (`-` for a stream).
    pub user_id: String,
    /// What it asked.
    pub ask: MemberAsk,
    /// What it said, once it returned.
    pub claim: Option<MemberClaim>,
}

fn draw_role(rng: &mut fastrand::Rng) -> String {
    match rng.u32(..100) {
        0..=69 => MEMBER_ROLE,
        70..=81 => ADMIN_ROLE,
        82..=89 => BILLING_ROLE,
        90..=94 => OWNER_ROLE,
        _ => "org:ghost",
    }
    .to_owned()
}

/// A user of the pool (`user_pN`, who may not exist), sometimes the admin or the plain member.
fn draw_user(rng: &mut fastrand::Rng, pool: usize) -> String {
    match rng.u32(..10) {
        0 => ADMIN.to_owned(),
        1 => PLAIN.to_owned(),
        _ => format!("user_p{}", rng.usize(..pool)),
    }
}

fn draw_target(rng: &mut fastrand::Rng, pool: usize, member_chance: u32) -> Target {
    if rng.u32(..100) < member_chance {
        Target::Member(rng.u64(..))
    } else {
        Target::User(draw_user(rng, pool))
    }
}

/// One operation of the membership workload (acceptances included: people join by
/// invitation too).
pub(crate) fn draw(rng: &mut fastrand::Rng, pool: usize) -> OpKind {
    let op = match rng.u32(..100) {
        0..=24 => MembershipOp::Create {
            user: draw_user(rng, pool),
            role: draw_role(rng),
            shape: rng.u32(..4),
        },
        25..=44 => MembershipOp::Role {
            target: draw_target(rng, pool, 85),
            role: draw_role(rng),
        },
        45..=59 => MembershipOp::Metadata {
            target: draw_target(rng, pool, 85),
            shape: rng.u32(..8),
        },
        60..=74 => MembershipOp::Delete {
            target: draw_target(rng, pool, 85),
        },
        75..=81 => MembershipOp::Find {
            target: draw_target(rng, pool, 60),
        },
        82..=86 => MembershipOp::Stream,
        87..=94 => MembershipOp::Reinvite {
            pick: rng.u64(..),
            role: draw_role(rng),
        },
        _ => return OpKind::Accept(rng.u64(..)),
    };
    OpKind::Membership(op)
}

/// Resolves the operation against the fake's state as the call begins: a member picked from
/// the organization's members, someone removed to re-invite. `users` maps user ids to emails.
pub(crate) fn resolve(
    op: &MembershipOp,
    org: &str,
    fake: &FakeClerk,
    users: &HashMap<String, String>,
    pool: &[String],
) -> OpKind {
    let target = |target: &Target| match target {
        Target::User(user) => Target::User(user.clone()),
        Target::Member(pick) => {
            let members = fake.memberships(org);
            if members.is_empty() {
                Target::User("user_none".to_owned())
            } else {
                let n = usize::try_from(pick % members.len() as u64).unwrap_or(0);
                Target::User(members[n].user_id.clone())
            }
        }
    };
    let op = match op {
        MembershipOp::Role { target: t, role } => MembershipOp::Role {
            target: target(t),
            role: role.clone(),
        },
        MembershipOp::Metadata { target: t, shape } => MembershipOp::Metadata {
            target: target(t),
            shape: *shape,
        },
        MembershipOp::Delete { target: t } => MembershipOp::Delete { target: target(t) },
        MembershipOp::Find { target: t } => MembershipOp::Find { target: target(t) },
        MembershipOp::Reinvite { pick, role } => {
            // Removed from this organization and not back (yet): whom a team invites again.
            let mut removed: Vec<String> = Vec::new();
            for change in fake.membership_history() {
                let user = &change.membership.user_id;
                if change.membership.organization_id != org {
                    continue;
                }
                match change.kind {
                    MembershipChangeKind::Deleted => removed.push(user.clone()),
                    _ => removed.retain(|u| u != user),
                }
            }
            let emails: Vec<&String> = removed.iter().filter_map(|u| users.get(u)).collect();
            let email = if emails.is_empty() {
                pool[usize::try_from(pick % pool.len() as u64).unwrap_or(0)].clone()
            } else {
                emails[usize::try_from(pick % emails.len() as u64).unwrap_or(0)].clone()
            };
            return OpKind::Invitation(InvitationOp::Create(Person {
                email,
                role: role.clone(),
                inviter: Some(ADMIN.to_owned()),
            }));
        }
        other => other.clone(),
    };
    OpKind::Membership(op)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The metadata a create sends: `{"call": N}` always (so every membership says which call
/// created it), a team sometimes, private metadata sometimes.
fn create_metadata(call: u32, shape: u32) -> (Map<String, Value>, Option<Map<String, Value>>) {
    let mut public = object(json!({ "call": call }));
    if shape & 1 != 0 {
        public.insert("team".into(), json!(format!("t{}", call % 3)));
    }
    let private = (shape & 2 != 0).then(|| object(json!({ "note": format!("c{call}") })));
    (public, private)
}

/// The metadata a merge sends: a shared key every merge overwrites, a nested key of its own,
/// sometimes the removal of `team`, sometimes private metadata. Never `call`.
fn merge_metadata(call: u32, shape: u32) -> (Map<String, Value>, Option<Map<String, Value>>) {
    let mut public = object(json!({ "tag": format!("c{call}") }));
    if shape & 1 != 0 {
        public.insert("prefs".into(), json!({ format!("c{call}"): true }));
    }
    if shape & 2 != 0 {
        public.insert("team".into(), Value::Null);
    }
    let private = (shape & 4 != 0).then(|| object(json!({ "seen": call })));
    (public, private)
}

/// What a resolved operation asks, as recorded before it runs; `None` for a re-invite (which
/// resolves to an invitation create).
pub(crate) fn member_call(op: &MembershipOp, call: u32) -> Option<MemberCall> {
    let user = |target: &Target| match target {
        Target::User(user) => user.clone(),
        Target::Member(_) => "user_none".to_owned(),
    };
    let (user_id, ask) = match op {
        MembershipOp::Create { user, role, shape } => {
            let (public_metadata, private_metadata) = create_metadata(call, *shape);
            (
                user.clone(),
                MemberAsk::Create {
                    role: role.clone(),
                    public_metadata,
                    private_metadata,
                },
            )
        }
        MembershipOp::Role { target, role } => (user(target), MemberAsk::Role(role.clone())),
        MembershipOp::Metadata { target, shape } => {
            let (public_metadata, private_metadata) = merge_metadata(call, *shape);
            (
                user(target),
                MemberAsk::Metadata {
                    public_metadata,
                    private_metadata,
                },
            )
        }
        MembershipOp::Delete { target } => (user(target), MemberAsk::Delete),
        MembershipOp::Find { target } => (user(target), MemberAsk::Find),
        MembershipOp::Stream => ("-".to_owned(), MemberAsk::Stream),
        MembershipOp::Reinvite { .. } => return None,
    };
    Some(MemberCall {
        user_id,
        ask,
        claim: None,
    })
}

pub(crate) fn what(op: &MembershipOp) -> &'static str {
    match op {
        MembershipOp::Create { .. } => "member_create",
        MembershipOp::Role { .. } => "member_role",
        MembershipOp::Metadata { .. } => "member_metadata",
        MembershipOp::Delete { .. } => "member_delete",
        MembershipOp::Find { .. } => "member_find",
        MembershipOp::Stream => "member_stream",
        MembershipOp::Reinvite { .. } => "reinvite",
    }
}

pub(crate) fn describe(call: &MemberCall, what: &str, org: &str) -> String {
    let json = |map: &Map<String, Value>| Value::Object(map.clone()).to_string();
    let detail = match &call.ask {
        MemberAsk::Create {
            role,
            public_metadata,
            private_metadata,
        } => format!(
            " {role} public {} private {}",
            json(public_metadata),
            private_metadata.as_ref().map_or("-".to_owned(), json)
        ),
        MemberAsk::Role(role) => format!(" {role}"),
        MemberAsk::Metadata {
            public_metadata,
            private_metadata,
        } => format!(
            " public {} private {}",
            json(public_metadata),
            private_metadata.as_ref().map_or("-".to_owned(), json)
        ),
        MemberAsk::Delete | MemberAsk::Find | MemberAsk::Stream => String::new(),
    };
    format!("{what} {org} {}{detail}", call.user_id)
}

fn seen_summary(seen: &Seen) -> String {
    format!(
        "{} {} {}",
        seen.id,
        seen.role,
        Value::Object(seen.public_metadata.clone())
    )
}

pub(crate) async fn execute(call: &MemberCall, org: &str, client: &Client) -> Outcome {
    let memberships = client.organization(org).memberships();
    let user = call.user_id.clone();
    let (claim, summary) = match &call.ask {
        MemberAsk::Create {
            role,
            public_metadata,
            private_metadata,
        } => {
            let mut create = memberships
                .create(user, role.as_str())
                .public_metadata(Value::Object(public_metadata.clone()));
            if let Some(private) = private_metadata {
                create = create.private_metadata(Value::Object(private.clone()));
            }
            match create.send().await {
                Ok(membership) => {
                    let seen = Seen::of(&membership);
                    let summary = format!("Ok({})", seen_summary(&seen));
                    (MemberClaim::Created(seen), summary)
                }
                Err(error) => failed(&error),
            }
        }
        MemberAsk::Role(role) => match memberships.update_role(user, role.as_str()).send().await {
            Ok(membership) => {
                let seen = Seen::of(&membership);
                let summary = format!("Ok({})", seen_summary(&seen));
                (MemberClaim::Updated(seen), summary)
            }
            Err(error) => failed(&error),
        },
        MemberAsk::Metadata {
            public_metadata,
            private_metadata,
        } => {
            let mut update = memberships
                .update_metadata(user)
                .public_metadata(Value::Object(public_metadata.clone()));
            if let Some(private) = private_metadata {
                update = update.private_metadata(Value::Object(private.clone()));
            }
            match update.send().await {
                Ok(membership) => {
                    let seen = Seen::of(&membership);
                    let summary = format!("Ok({})", seen_summary(&seen));
                    (MemberClaim::Updated(seen), summary)
                }
                Err(error) => failed(&error),
            }
        }
        MemberAsk::Delete => match memberships.delete(user).send().await {
            Ok(Removal::Removed(membership)) => {
                let seen = Seen::of(&membership);
                let summary = format!("Removed({})", seen.id);
                (MemberClaim::Removed(seen), summary)
            }
            Ok(Removal::Gone) => (MemberClaim::Gone, "Gone".to_owned()),
            Ok(other) => (
                MemberClaim::Failed(Failure {
                    maybe: true,
                    not_sent: false,
                    already_member: false,
                    not_found: false,
                    last_admin: false,
                    role_not_found: false,
                    note: format!("unknown removal {other:?}"),
                }),
                "unknown removal".to_owned(),
            ),
            Err(error) => failed(&error),
        },
        MemberAsk::Find => match memberships.find(user).send().await {
            Ok(found) => {
                let seen = found.as_ref().map(Seen::of);
                let summary = match &seen {
                    Some(seen) => format!("Found({})", seen_summary(seen)),
                    None => "Found(none)".to_owned(),
                };
                (MemberClaim::Found(seen), summary)
            }
            Err(error) => failed(&error),
        },
        MemberAsk::Stream => {
            let mut stream = memberships.list().limit(3).stream();
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
            (MemberClaim::Listed, format!("{seen} members, {end}"))
        }
    };
    Outcome::Member(claim, summary)
}

fn failed(error: &Error) -> (MemberClaim, String) {
    let failure = Failure::of(error);
    let summary = failure.note.clone();
    (MemberClaim::Failed(failure), summary)
}
