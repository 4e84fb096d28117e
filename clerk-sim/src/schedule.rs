//! Fault schedules: which request of which route gets which of the fake's faults, drawn from the
//! seed, and written as text (`create#2=drop,list#1=503e`) so a failing schedule can be replayed
//! and shrunk by hand.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clerk_fake::{Fault, RetryAfter, Route};

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

/// The routes the workload uses, with their short names.
pub(crate) const ROUTES: [(Route, &str); 8] = [
    (Route::CreateInvitation, "create"),
    (Route::BulkCreateInvitations, "bulk"),
    (Route::ListInvitations, "list"),
    (Route::ListPendingInvitations, "pending"),
    (Route::GetInvitation, "get"),
    (Route::RevokeInvitation, "revoke"),
    (Route::ListInstanceInvitations, "instance"),
    (Route::ListUserInvitations, "user"),
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

/// Draws a schedule: up to `max_faults` faults over every route the workload reaches, lookups
/// included, from the whole catalogue. Delays cost real time (they must outlast the client's
/// real timeout), so they are drawn with probability `delay_chance` per fault.
pub(crate) fn draw(
    rng: &mut fastrand::Rng,
    max_faults: usize,
    delay_chance: f64,
) -> Vec<ScheduledFault> {
    let count = rng.usize(..=max_faults);
    let mut faults: Vec<ScheduledFault> = Vec::with_capacity(count);
    for _ in 0..count {
        // Weighted towards the routes the workload uses most; lookups are `list`.
        let (route, span) = match rng.u32(..100) {
            0..=29 => (Route::CreateInvitation, 12),
            30..=49 => (Route::BulkCreateInvitations, 8),
            50..=79 => (Route::ListInvitations, 16),
            80..=89 => (Route::GetInvitation, 4),
            _ => (Route::RevokeInvitation, 4),
        };
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
        for _ in 0..200 {
            let faults = draw(&mut rng, 10, 0.1);
            let text = format_schedule(&faults);
            assert_eq!(parse_schedule(&text).unwrap(), faults, "{text}");
        }
    }
}
