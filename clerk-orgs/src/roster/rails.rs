//! The safety rails: what a plan may not do unless the caller overrides the rail by name.
//!
//! Each rail is checked when the plan is made (so the plan shows it) and again when it is
//! applied, against the organization as it is then; applying refuses a plan that breaks one
//! the caller did not [allow](super::ApplyPlan::allow), before anything is sent.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::change::{Change, PlanSettings};
use super::read::Admins;

/// A safety rail, named for overriding (`Rail::MaxRemovals`, or `"max-removals"` on the command
/// line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rail {
    /// `last-admin`: the plan would remove or demote every member who is an admin (holds
    /// Clerk's minimum permissions: manage and read members, delete the organization). Clerk
    /// refuses the last of those requests anyway (`organization_minimum_permissions_needed`);
    /// the rail refuses the whole plan before any of it is done.
    LastAdmin,
    /// `acting-inviter`: the plan would remove or demote the user it invites and revokes as
    /// ([`PlanRoster::inviter_user_id`](super::PlanRoster::inviter_user_id)), which would
    /// leave the rest of the run without an admin to act as.
    ActingInviter,
    /// `max-removals`: the plan removes more members than allowed: more than
    /// [`PlanRoster::max_removal_fraction`](super::PlanRoster::max_removal_fraction) of them
    /// (25 % by default), or more than
    /// [`PlanRoster::max_removals`](super::PlanRoster::max_removals) if set. A roster export
    /// that came out empty or truncated must not empty the organization.
    MaxRemovals,
    /// `stale-plan`: the organization changed since the plan read it (its members, their
    /// roles or addresses, or its pending invitations), so the plan may no longer be right.
    /// Plan again.
    StalePlan,
}

impl Rail {
    /// Every rail.
    pub const ALL: [Rail; 4] = [
        Rail::LastAdmin,
        Rail::ActingInviter,
        Rail::MaxRemovals,
        Rail::StalePlan,
    ];

    /// The rail's name: `last-admin`, `acting-inviter`, `max-removals` or `stale-plan`.
    pub fn name(self) -> &'static str {
        match self {
            Rail::LastAdmin => "last-admin",
            Rail::ActingInviter => "acting-inviter",
            Rail::MaxRemovals => "max-removals",
            Rail::StalePlan => "stale-plan",
        }
    }
}

impl fmt::Display for Rail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a rail's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rail `{0}` (known: last-admin, acting-inviter, max-removals, stale-plan)")]
pub struct UnknownRail(String);

impl FromStr for Rail {
    type Err = UnknownRail;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Rail::ALL
            .into_iter()
            .find(|rail| rail.name() == name)
            .ok_or_else(|| UnknownRail(name.to_owned()))
    }
}

/// A rail a plan breaks, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Violation {
    /// The rail.
    pub rail: Rail,
    /// What the plan would do, for people.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rail, self.message)
    }
}

/// The rails `changes` break (all but [`Rail::StalePlan`], which compares fingerprints), for
/// an organization of `members` members with these `admins`.
pub(super) fn check(
    changes: &[Change],
    settings: &PlanSettings,
    members: u64,
    admins: &Admins,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut removals = 0u64;
    // Admins who stay admins: every admin, less those removed or given a role that is not an
    // admin role, plus members given an admin role.
    let mut admins_after = admins.users.clone();
    let mut inviter_loses = None;
    for change in changes {
        match change {
            Change::RemoveMember { user_id, .. } => {
                removals += 1;
                admins_after.remove(user_id);
                if settings.inviter_user_id.as_deref() == Some(user_id) {
                    inviter_loses = Some("removes");
                }
            }
            Change::ChangeRole { user_id, to, .. } => {
                if admins.is_admin_role(to) {
                    admins_after.insert(user_id.clone());
                } else {
                    admins_after.remove(user_id);
                    if settings.inviter_user_id.as_deref() == Some(user_id) {
                        inviter_loses = Some("demotes");
                    }
                }
            }
            _ => {}
        }
    }
    if !admins.users.is_empty() && admins_after.is_empty() {
        violations.push(Violation {
            rail: Rail::LastAdmin,
            message: format!(
                "the plan removes or demotes every admin of the organization ({} now)",
                admins.users.len()
            ),
        });
    }
    if let (Some(verb), Some(inviter)) = (inviter_loses, &settings.inviter_user_id) {
        violations.push(Violation {
            rail: Rail::ActingInviter,
            message: format!("the plan {verb} {inviter}, the user it acts as"),
        });
    }
    let limit = removal_limit(settings, members);
    if removals > limit {
        violations.push(Violation {
            rail: Rail::MaxRemovals,
            message: format!(
                "the plan removes {removals} of {members} members; at most {limit} may be \
                 removed ({:.0} % of the members{})",
                settings.max_removal_fraction * 100.0,
                settings
                    .max_removals
                    .map_or(String::new(), |n| format!(", and no more than {n}")),
            ),
        });
    }
    violations
}

/// How many of `members` members a plan may remove.
fn removal_limit(settings: &PlanSettings, members: u64) -> u64 {
    // Rounded down: "more than a quarter" of 3 members is 1 or more.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let by_fraction = (settings.max_removal_fraction * members as f64).floor() as u64;
    match settings.max_removals {
        Some(count) => by_fraction.min(count),
        None => by_fraction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Role;
    use crate::roster::change::Reason;

    fn admins(users: &[&str]) -> Admins {
        Admins {
            roles: ["org:admin".to_owned()].into(),
            users: users.iter().map(|u| (*u).to_owned()).collect(),
        }
    }

    fn remove(user: &str) -> Change {
        Change::RemoveMember {
            email_address: None,
            user_id: user.into(),
            role: Role::MEMBER,
            reason: Reason::NotOnRoster,
        }
    }

    fn change_role(user: &str, to: Role) -> Change {
        Change::ChangeRole {
            email_address: format!("{user}@x.co"),
            user_id: user.into(),
            from: Role::ADMIN,
            to,
            reason: Reason::RoleDiffers,
        }
    }

    #[test]
    fn names_round_trip() {
        for rail in Rail::ALL {
            assert_eq!(rail.name().parse::<Rail>().unwrap(), rail);
            assert_eq!(
                serde_json::to_value(rail).unwrap(),
                serde_json::json!(rail.name())
            );
        }
        assert!("max_removals".parse::<Rail>().is_err());
    }

    #[test]
    fn the_last_admin_and_the_inviter_are_kept() {
        let settings = PlanSettings {
            inviter_user_id: Some("user_a".into()),
            max_removal_fraction: 1.0,
            ..PlanSettings::default()
        };
        let two = admins(&["user_a", "user_b"]);
        let rails = |changes: &[Change]| -> Vec<Rail> {
            check(changes, &settings, 4, &two)
                .into_iter()
                .map(|v| v.rail)
                .collect()
        };
        assert_eq!(rails(&[remove("user_b")]), []);
        assert_eq!(rails(&[remove("user_a")]), [Rail::ActingInviter]);
        assert_eq!(
            rails(&[remove("user_b"), change_role("user_a", Role::MEMBER)]),
            [Rail::LastAdmin, Rail::ActingInviter]
        );
        assert_eq!(
            rails(&[
                remove("user_b"),
                change_role("user_c", Role::ADMIN),
                change_role("user_a", Role::MEMBER)
            ]),
            [Rail::ActingInviter],
            "a promotion in the same plan keeps an admin"
        );
        let none = admins(&[]);
        assert!(check(&[remove("user_b")], &settings, 4, &none).is_empty());
    }

    #[test]
    fn removals_are_capped_by_fraction_and_by_count() {
        let settings = PlanSettings::default();
        let removals: Vec<Change> = (0..3).map(|n| remove(&format!("user_{n}"))).collect();
        let rails = |settings: &PlanSettings, members: u64, n: usize| -> Vec<Rail> {
            check(&removals[..n], settings, members, &admins(&[]))
                .into_iter()
                .map(|v| v.rail)
                .collect()
        };
        assert_eq!(rails(&settings, 12, 3), [], "a quarter of 12 is 3");
        assert_eq!(rails(&settings, 11, 3), [Rail::MaxRemovals]);
        assert_eq!(rails(&settings, 3, 1), [Rail::MaxRemovals]);
        let counted = PlanSettings {
            max_removals: Some(2),
            ..PlanSettings::default()
        };
        assert_eq!(rails(&counted, 100, 2), []);
        assert_eq!(rails(&counted, 100, 3), [Rail::MaxRemovals]);
        let message = &check(&removals, &counted, 100, &admins(&[]))[0].message;
        assert_eq!(
            message,
            "the plan removes 3 of 100 members; at most 2 may be removed (25 % of the members, and no more than 2)"
        );
    }
}
