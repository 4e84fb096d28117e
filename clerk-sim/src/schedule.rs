//! Fault schedules: which request of which route gets which of the fake's faults, drawn from the
//! seed, and written as text (`create#2=drop,list#1=503e,membership_create#3=lost`) so a failing
//! schedule can be replayed and shrunk by hand.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clerk_fake::{Fault, RetryAfter, Route};

use crate::Workload;

/// How long a delay fault holds the answer back, in real time; well past the client's timeout.
pub const DELAY: Duration = Duration::from_millis(400);

/// One scripted fault: the `nth` request (from 1, counted from the start of the workload) to
/// `route` gets `fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledFault {
    /// The route.
    pub route: Route,
    /// Which request to it, from 1.
    pub nth: u64,
    /// What happens to that request.
    pub fault: Fault,
}

/// The fake's routes, with their short names in schedules.
pub(crate) const ROUTES: [(Route, &str); 19] = [
    (Route::CreateInvitation, "create"),
    (Route::BulkCreateInvitations, "bulk"),
    (Route::ListInvitations, "list"),
    (Route::ListPendingInvitations, "pending"),
    (Route::GetInvitation, "get"),
    (Route::RevokeInvitation, "revoke"),
    (Route::ListInstanceInvitations, "instance"),
    (Route::ListUserInvitations, "user"),
    (Route::CreateMembership, "membership_create"),
    (Route::ListMemberships, "membership_list"),
    (Route::UpdateMembership, "membership_role"),
    (Route::UpdateMembershipMetadata, "membership_metadata"),
    (Route::DeleteMembership, "membership_delete"),
    (Route::ListInstanceMemberships, "membership_instance"),
    (Route::ListUserMemberships, "membership_user"),
    (Route::ListRoles, "roles"),
    (Route::CreateRole, "role_create"),
    (Route::GetRole, "role_get"),
    (Route::ListUsers, "users"),
];

pub(crate) fn route_name(route: Route) -> &'static str {
    ROUTES
        .iter()
        .find(|(r, _)| *r == route)
        .map_or("?", |(_, name)| name)
}

/// Whether the fault stops the request before the fake's logic runs (nothing was processed).
pub(crate) fn before_processing(fault: &Fault) -> bool {
    matches!(
        fault,
        Fault::ServerError { .. }
            | Fault::HtmlErrorPage { .. }
            | Fault::TooManyRequests(_)
            | Fault::DropConnection
    )
}

/// Whether the fault leaves the client without a usable answer (so "unknown" can be honest).
pub(crate) fn loses_answer(fault: &Fault) -> bool {
    !matches!(fault, Fault::UnknownFields | Fault::TooManyRequests(_))
}

pub(crate) fn fault_name(fault: &Fault) -> String {
    match fault {
        Fault::ServerError { status, clerk_body } => {
            format!("{status}{}", if *clerk_body { "b" } else { "e" })
        }
        Fault::HtmlErrorPage { status } => format!("html{status}"),
        Fault::TooManyRequests(RetryAfter::Seconds(s)) => format!("429s{s}"),
        Fault::TooManyRequests(RetryAfter::HttpDateIn(d)) => format!("429d{}", d.as_secs()),
        Fault::DropConnection => "drop".into(),
        Fault::Delay(d) => format!("delay{}", d.as_millis()),
        Fault::ProcessedThenDropped => "lost".into(),
        Fault::TruncatedJson => "trunc".into(),
        Fault::MalformedJson => "garbled".into(),
        Fault::UnknownFields => "fields".into(),
        Fault::UnknownStatus => "status".into(),
    }
}

fn parse_fault(text: &str) -> Option<Fault> {
    let number = |s: &str| s.parse::<u64>().ok();
    Some(match text {
        "drop" => Fault::DropConnection,
        "lost" => Fault::ProcessedThenDropped,
        "trunc" => Fault::TruncatedJson,
        "garbled" => Fault::MalformedJson,
        "fields" => Fault::UnknownFields,
        "status" => Fault::UnknownStatus,
        _ if text.starts_with("html") => Fault::HtmlErrorPage {
            status: u16::try_from(number(&text[4..])?).ok()?,
        },
        _ if text.starts_with("429s") => {
            Fault::TooManyRequests(RetryAfter::Seconds(number(&text[4..])?))
        }
        _ if text.starts_with("429d") => Fault::TooManyRequests(RetryAfter::HttpDateIn(
            Duration::from_secs(number(&text[4..])?),
        )),
        _ if text.starts_with("delay") => Fault::Delay(Duration::from_millis(number(&text[5..])?)),
        _ if text.len() == 4 && (text.ends_with('b') || text.ends_with('e')) => {
            Fault::ServerError {
                status: u16::try_from(number(&text[..3])?).ok()?,
                clerk_body: text.ends_with('b'),
            }
        }
        _ => return None,
    })
}

impl fmt::Display for ScheduledFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}={}",
            route_name(self.route),
            self.nth,
            fault_name(&self.fault)
        )
    }
}

impl FromStr for ScheduledFault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not ROUTE#N=FAULT (e.g. create#2=drop)");
        let (at, fault) = text.trim().split_once('=').ok_or_else(bad)?;
        let (route, nth) = at.split_once('#').ok_or_else(bad)?;
        let route = ROUTES
            .iter()
            .find(|(_, name)| *name == route)
            .map(|(r, _)| *r)
            .ok_or_else(bad)?;
        let nth = nth.parse().map_err(|_| bad())?;
        let fault = parse_fault(fault).ok_or_else(bad)?;
        Ok(Self { route, nth, fault })
    }
}

/// Parses a comma-separated schedule; empty text is the empty schedule.
pub fn parse_schedule(text: &str) -> Result<Vec<ScheduledFault>, String> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// Writes a schedule the way [`parse_schedule`] reads it.
pub fn format_schedule(faults: &[ScheduledFault]) -> String {
    faults
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Where faults of the invitation workload fall: weighted towards the routes it uses most;
/// lookups are `list`. Each entry is (route, weight in percent, how many of its first requests
/// may get the fault).
const INVITATION_FAULTS: [(Route, u32, u64); 5] = [
    (Route::CreateInvitation, 30, 12),
    (Route::BulkCreateInvitations, 20, 8),
    (Route::ListInvitations, 30, 16),
    (Route::GetInvitation, 10, 4),
    (Route::RevokeInvitation, 10, 4),
];

/// Where faults fall when memberships run too: the membership writes, their lookups (lists
/// filtered by user) and the role check's fetch get a share of the faults, on their first few
/// requests (a seed makes about one of each write).
const ALL_FAULTS: [(Route, u32, u64); 11] = [
    (Route::CreateInvitation, 20, 12),
    (Route::BulkCreateInvitations, 12, 8),
    (Route::ListInvitations, 16, 16),
    (Route::GetInvitation, 5, 4),
    (Route::RevokeInvitation, 5, 4),
    (Route::CreateMembership, 10, 3),
    (Route::ListMemberships, 14, 6),
    (Route::UpdateMembership, 6, 2),
    (Route::UpdateMembershipMetadata, 5, 2),
    (Route::DeleteMembership, 5, 2),
    (Route::ListRoles, 2, 2),
];

/// Where faults fall with roster syncs too: a sync reads the organization four times (two
/// lists each), looks addresses up among the users, and writes through every route, so the
/// lists get longer spans.
const ROSTER_FAULTS: [(Route, u32, u64); 12] = [
    (Route::CreateInvitation, 16, 12),
    (Route::BulkCreateInvitations, 12, 10),
    (Route::ListInvitations, 16, 24),
    (Route::GetInvitation, 4, 4),
    (Route::RevokeInvitation, 6, 6),
    (Route::CreateMembership, 8, 4),
    (Route::ListMemberships, 16, 14),
    (Route::UpdateMembership, 7, 4),
    (Route::UpdateMembershipMetadata, 4, 2),
    (Route::DeleteMembership, 6, 4),
    (Route::ListRoles, 2, 2),
    (Route::ListUsers, 3, 4),
];

/// Draws a schedule: up to `max_faults` faults over every route the workload reaches, lookups
/// included, from the whole catalogue. Delays cost real time (they must outlast the client's
/// real timeout), so they are drawn with probability `delay_chance` per fault. The invitation
/// workload alone draws exactly as it did before memberships existed.
pub(crate) fn draw(
    rng: &mut fastrand::Rng,
    max_faults: usize,
    delay_chance: f64,
    workload: Workload,
) -> Vec<ScheduledFault> {
    let table: &[(Route, u32, u64)] = if workload.roster {
        &ROSTER_FAULTS
    } else if workload.memberships {
        &ALL_FAULTS
    } else {
        &INVITATION_FAULTS
    };
    let count = rng.usize(..=max_faults);
    let mut faults: Vec<ScheduledFault> = Vec::with_capacity(count);
    for _ in 0..count {
        let (route, span) = weighted(table, rng.u32(..100));
        let nth = rng.u64(1..=span);
        let fault = if rng.f64() < delay_chance {
            Fault::Delay(DELAY)
        } else {
            draw_fault(rng)
        };
        // One fault per request: the fake keeps the later one anyway.
        faults.retain(|f| !(f.route == route && f.nth == nth));
        faults.push(ScheduledFault { route, nth, fault });
    }
    faults
}

/// The entry of `table` that `roll` (0..100) falls in.
fn weighted(table: &[(Route, u32, u64)], roll: u32) -> (Route, u64) {
    let mut below = 0;
    for (route, weight, span) in table {
        below += weight;
        if roll < below {
            return (*route, *span);
        }
    }
    let (route, _, span) = table[table.len() - 1];
    (route, span)
}

fn draw_fault(rng: &mut fastrand::Rng) -> Fault {
    let status = [500, 502, 503, 504][rng.usize(..4)];
    match rng.u32(..13) {
        0 => Fault::server_error(status),
        1 => Fault::bare_server_error(status),
        2 => Fault::HtmlErrorPage {
            status: [502, 503][rng.usize(..2)],
        },
        3 | 4 => {
            let seconds = [1, 2, 30, 61, 3600, 999_999_999][rng.usize(..6)];
            if rng.bool() {
                Fault::TooManyRequests(RetryAfter::Seconds(seconds))
            } else {
                Fault::TooManyRequests(RetryAfter::HttpDateIn(Duration::from_secs(seconds)))
            }
        }
        5 | 6 => Fault::DropConnection,
        7 | 8 => Fault::ProcessedThenDropped,
        9 => Fault::TruncatedJson,
        10 => Fault::MalformedJson,
        11 => Fault::UnknownFields,
        _ => Fault::UnknownStatus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_round_trip_through_text() {
        let mut rng = fastrand::Rng::with_seed(7);
        for workload in [Workload::INVITATIONS, Workload::MEMBERSHIPS, Workload::ALL] {
            for _ in 0..200 {
                let faults = draw(&mut rng, 10, 0.1, workload);
                let text = format_schedule(&faults);
                assert_eq!(parse_schedule(&text).unwrap(), faults, "{text}");
            }
        }
        for (route, name) in ROUTES {
            let text = format!("{name}#3=lost");
            let parsed = parse_schedule(&text).unwrap();
            assert_eq!(parsed[0].route, route, "{text}");
            assert_eq!(format_schedule(&parsed), text);
        }
    }

    #[test]
    fn the_tables_cover_every_roll_and_sum_to_one_hundred() {
        for table in [&INVITATION_FAULTS[..], &ALL_FAULTS[..], &ROSTER_FAULTS[..]] {
            assert_eq!(table.iter().map(|(_, w, _)| w).sum::<u32>(), 100);
        }
        // The old bands, roll by roll: the invitation workload draws as before.
        for roll in 0..100 {
            let old = match roll {
                0..=29 => (Route::CreateInvitation, 12),
                30..=49 => (Route::BulkCreateInvitations, 8),
                50..=79 => (Route::ListInvitations, 16),
                80..=89 => (Route::GetInvitation, 4),
                _ => (Route::RevokeInvitation, 4),
            };
            assert_eq!(weighted(&INVITATION_FAULTS, roll), old, "roll {roll}");
        }
    }
}
