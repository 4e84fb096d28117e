//! Deterministic simulation testing of `clerk-orgs` against `clerk-fake`.
//!
//! [`simulate`] draws, from one seed, a world (organizations, members, invitations of every
//! status), a workload (creates, bulk creates, `invite_all` runs with overlapping people,
//! revokes, lists, streams and acceptances, spread over several clients and clones) and a fault
//! schedule over every route, runs it on the fake's virtual clock in a seeded interleaving, and
//! checks the client's every answer against what the fake knows happened. See `TESTING.md` at
//! the workspace root for how to run it and what each invariant means.

#![forbid(unsafe_code)]

mod check;
mod sched;
mod schedule;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use clerk_fake::{
    ADMIN_ROLE, FakeClerk, Fault, LoggedRequest, MEMBER_ROLE, Organization, Route, User,
};
use clerk_orgs::{
    Client, Error, InvitationStatus, InviteResult, Jitter, LimitMode, NewInvitation, RetryPolicy,
};
use futures::{FutureExt, StreamExt};
use serde_json::{Value, json};

pub use check::Violation;
pub use sched::SimClock;
pub use schedule::{DELAY, ScheduledFault, format_schedule, parse_schedule};

/// The admin every organization has; most invitations name it as inviter.
pub const ADMIN: &str = "user_admin";
/// A plain member of every organization: an inviter Clerk refuses (not an admin).
pub const PLAIN: &str = "user_plain";

/// The fake's limits in the simulation: small, so that budgets, 429s and waits all happen in a
/// short workload. Every client is configured with the same numbers.
pub const CREATE_LIMIT: (u32, Duration) = (20, Duration::from_secs(60));
/// Bulk creates per window.
pub const BULK_LIMIT: (u32, Duration) = (5, Duration::from_secs(60));
/// All requests per window.
pub const GLOBAL_LIMIT: (u32, Duration) = (50, Duration::from_secs(10));
/// The clients' `RateLimits::max_wait`.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// What a run may draw; the seed draws everything else.
#[derive(Debug, Clone)]
pub struct Config {
    /// At most this many faults per schedule.
    pub max_faults: usize,
    /// The chance that a drawn fault is a real-time delay (each costs [`DELAY`] of real time).
    pub delay_chance: f64,
    /// The clients' real request timeout; only delay faults should ever reach it.
    pub timeout: Duration,
    /// Replaces the drawn fault schedule (replay and shrinking); world and workload stay those
    /// of the seed.
    pub faults: Option<Vec<ScheduledFault>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_faults: 10,
            delay_chance: 0.01,
            timeout: Duration::from_millis(250),
            faults: None,
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The fault schedule that ran.
    pub faults: Vec<ScheduledFault>,
    /// Requests, faults and outcomes, in order: equal for two runs of one seed.
    pub trace: Vec<String>,
    /// Every broken invariant.
    pub violations: Vec<Violation>,
    /// Client calls made.
    pub calls: usize,
    /// Requests the fake received during the workload.
    pub requests: usize,
    /// Virtual time the workload took, in milliseconds.
    pub virtual_ms: i64,
}

impl Report {
    /// Whether every invariant held.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// The trace and the violations, for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "seed {} faults [{}]",
            self.seed,
            format_schedule(&self.faults)
        );
        for line in &self.trace {
            let _ = writeln!(out, "  {line}");
        }
        for violation in &self.violations {
            let _ = writeln!(out, "VIOLATION {violation}");
        }
        out
    }
}

/// Runs one seed; deterministic for a given seed and config.
pub fn simulate(seed: u64, config: &Config) -> Report {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime");
    // The client draws its retry jitter from fastrand's thread-local generator; everything runs
    // on this thread, so seeding it makes the jitter part of the seed.
    fastrand::seed(seed ^ 0x005e_ed0f_c11e);
    runtime.block_on(run(seed, config))
}

/// One person to invite, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// As given (may differ in case from other calls', or be invalid).
    pub email: String,
    /// The role key.
    pub role: String,
    /// The inviter, if any.
    pub inviter: Option<String>,
}

#[derive(Debug, Clone)]
enum OpKind {
    Create(Person),
    Bulk(Vec<Person>),
    InviteAll(Vec<Person>),
    Revoke(u64),
    List(Option<InvitationStatus>, u64),
    Stream,
    Accept(u64),
    Pause(u64),
}

#[derive(Debug, Clone)]
struct Op {
    call: u32,
    org: String,
    kind: OpKind,
}

/// What a call said about one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimKind {
    /// Created by this call: the invitation's id.
    Created(String),
    /// A pending invitation was already there.
    AlreadyInvited,
    /// Already a member.
    AlreadyMember,
    /// Definitely not created (refused, rate limited, not sent, failed).
    NotCreated,
    /// Refused before sending (validation, a repeat within the run).
    Local,
    /// May or may not have been created.
    Maybe,
}

/// One person's outcome in one call.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Index within the call.
    pub index: usize,
    /// The email as given.
    pub email: String,
    /// What the call said.
    pub kind: ClaimKind,
    /// The outcome's name, and `NotSent` for invite_all's "never sent".
    pub note: String,
}

/// What a revoke said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeClaim {
    /// Revoked this invitation.
    Revoked(String),
    /// Did not revoke it.
    NotRevoked,
    /// May have revoked it.
    Maybe,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Req {
    /// Its route, if the path is one of the fake's.
    pub route: Option<Route>,
    /// Its number on that route since the workload began, from 1.
    pub nth: u64,
    /// `POST`, `GET`.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The body.
    pub body: Vec<u8>,
    /// The fake's clock on arrival.
    pub at_ms: i64,
    /// The scripted fault it met.
    pub fault: Option<Fault>,
}

impl Req {
    /// Whether this request concerns `email` (in its body or its query), case-insensitively.
    pub fn concerns(&self, email: &str) -> bool {
        let email = email.to_lowercase();
        String::from_utf8_lossy(&self.body)
            .to_lowercase()
            .contains(&email)
            || self
                .path
                .to_lowercase()
                .contains(&email.replace('@', "%40"))
            || self.path.to_lowercase().contains(&email)
    }
}

/// One client call of the workload.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// Its number; also `public_metadata.call` of what it creates.
    pub id: u32,
    /// The actor that made it.
    pub actor: usize,
    /// The client (clones share one).
    pub client: usize,
    /// The organization.
    pub org: String,
    /// `create`, `bulk`, `invite_all`, `revoke`, `list`, `stream`.
    pub what: &'static str,
    /// Whom it asked to invite.
    pub people: Vec<Person>,
    /// Virtual time at its start and end, Unix ms.
    pub start_ms: i64,
    /// See `start_ms`.
    pub end_ms: i64,
    /// Its requests, in order.
    pub requests: Vec<Req>,
    /// Per-person outcomes (creates).
    pub claims: Vec<Claim>,
    /// The revoke's target and outcome.
    pub revoke: Option<(String, RevokeClaim)>,
    /// The retry policy's `max_attempts` and `max_elapsed`.
    pub policy: (u32, Duration),
    /// A panic's message.
    pub panicked: Option<String>,
}

/// An acceptance by an invitee during the run (the world acting).
#[derive(Debug, Clone)]
pub struct Acceptance {
    /// The organization.
    pub org: String,
    /// Lowercased email.
    pub email: String,
    /// When.
    pub at_ms: i64,
}

/// Everything the checks read.
pub struct Evidence {
    /// Workload start, Unix ms.
    pub start_ms: i64,
    /// The calls.
    pub calls: Vec<CallRecord>,
    /// Requests no call made (should be none).
    pub stray: Vec<Req>,
    /// The fake's invitations at the end.
    pub invitations: Vec<clerk_fake::Invitation>,
    /// Members before the workload: (org, lowercased email).
    pub members: Vec<(String, String)>,
    /// Acceptances during the workload.
    pub acceptances: Vec<Acceptance>,
    /// Why the scheduler stopped early, if it did.
    pub stuck: Option<String>,
}

struct Recorder {
    start_ms: i64,
    counts: HashMap<Route, u64>,
    faults: HashMap<(Route, u64), Fault>,
    current: Vec<Option<usize>>,
    calls: Vec<CallRecord>,
    stray: Vec<Req>,
    trace: Vec<String>,
    acceptances: Vec<Acceptance>,
}

fn route_of(request: &LoggedRequest) -> Option<Route> {
    let path = request.path_and_query.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    let post = request.method == "POST";
    Some(match parts.as_slice() {
        ["organizations", _, "invitations"] if post => Route::CreateInvitation,
        ["organizations", _, "invitations"] => Route::ListInvitations,
        ["organizations", _, "invitations", "bulk"] if post => Route::BulkCreateInvitations,
        ["organizations", _, "invitations", "pending"] => Route::ListPendingInvitations,
        ["organizations", _, "invitations", _, "revoke"] if post => Route::RevokeInvitation,
        ["organizations", _, "invitations", _] => Route::GetInvitation,
        ["organization_invitations"] => Route::ListInstanceInvitations,
        ["users", _, "organization_invitations"] => Route::ListUserInvitations,
        _ => return None,
    })
}

impl Recorder {
    fn rel(&self, ms: i64) -> String {
        format!("+{:>9.3}s", (ms - self.start_ms) as f64 / 1000.0)
    }

    /// Moves the fake's new log entries to the call `actor` is in. Only the running actor can
    /// have sent them (see `sched`).
    fn drain(&mut self, fake: &FakeClerk, actor: Option<usize>) {
        let log = fake.request_log();
        let requests = log.requests();
        if requests.is_empty() {
            return;
        }
        log.clear();
        for request in requests {
            let route = route_of(&request);
            let nth = route.map_or(0, |route| {
                let count = self.counts.entry(route).or_insert(0);
                *count += 1;
                *count
            });
            let fault = route.and_then(|route| self.faults.get(&(route, nth)).cloned());
            let req = Req {
                route,
                nth,
                method: request.method,
                path: request.path_and_query,
                body: request.body,
                at_ms: request.received_at_ms,
                fault,
            };
            let call = actor.and_then(|actor| self.current.get(actor).copied().flatten());
            let mut line = format!(
                "{}     {} {} ({}#{})",
                self.rel(req.at_ms),
                req.method,
                req.path,
                route.map_or("?", schedule::route_name),
                nth
            );
            if let Some(fault) = &req.fault {
                let _ = write!(line, " FAULT {}", schedule::fault_name(fault));
            }
            self.trace.push(line);
            match call {
                Some(index) => self.calls[index].requests.push(req),
                None => self.stray.push(req),
            }
        }
    }
}

struct ClientPlan {
    retry: RetryPolicy,
    policy: (u32, Duration),
    mode: LimitMode,
}

fn draw_client(rng: &mut fastrand::Rng) -> ClientPlan {
    let (retry, policy) = match rng.u32(..4) {
        0 => (RetryPolicy::none(), (1, Duration::from_secs(60))),
        1 => (
            RetryPolicy::default()
                .max_attempts(6)
                .jitter(Jitter::Decorrelated),
            (6, Duration::from_secs(60)),
        ),
        2 => (
            RetryPolicy::default().max_elapsed(Duration::from_secs(10)),
            (4, Duration::from_secs(10)),
        ),
        _ => (RetryPolicy::default(), (4, Duration::from_secs(60))),
    };
    let mode = if rng.u32(..5) == 0 {
        LimitMode::FailFast
    } else {
        LimitMode::Wait
    };
    ClientPlan {
        retry,
        policy,
        mode,
    }
}

fn client_limits(mode: LimitMode) -> clerk_orgs::RateLimits {
    let limit = |(n, w): (u32, Duration)| clerk_orgs::Limit::new(n, w);
    clerk_orgs::RateLimits::default()
        .all_requests(limit(GLOBAL_LIMIT))
        .create_invitation(limit(CREATE_LIMIT))
        .bulk_create_invitations(limit(BULK_LIMIT))
        .max_wait(MAX_WAIT)
        .mode(mode)
}

fn draw_person(rng: &mut fastrand::Rng, pool: &[String]) -> Person {
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

fn draw_op(rng: &mut fastrand::Rng, call: u32, orgs: &[String], pool: &[String]) -> Op {
    let org = if orgs.len() > 1 && rng.u32(..4) == 0 {
        orgs[1].clone()
    } else {
        orgs[0].clone()
    };
    let kind = match rng.u32(..100) {
        0..=24 => OpKind::Create(draw_person(rng, pool)),
        25..=39 => {
            let n = rng.usize(1..=4);
            OpKind::Bulk(draw_distinct(rng, pool, n))
        }
        40..=59 => {
            // With replacement: people overlap with other runs and repeat within the run.
            let n = rng.usize(1..=24);
            OpKind::InviteAll((0..n).map(|_| draw_person(rng, pool)).collect())
        }
        60..=69 => OpKind::Revoke(rng.u64(..)),
        70..=77 => {
            let status = match rng.u32(..3) {
                0 => None,
                1 => Some(InvitationStatus::Pending),
                _ => Some(InvitationStatus::Revoked),
            };
            OpKind::List(status, rng.u64(1..=20))
        }
        78..=83 => OpKind::Stream,
        84..=91 => OpKind::Accept(rng.u64(..)),
        _ => OpKind::Pause(rng.u64(0..=90_000)),
    };
    Op { call, org, kind }
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

fn short_error(error: &Error) -> String {
    let kind = match error {
        Error::InvalidRequest(_) => "invalid",
        Error::Api(_) => "api",
        Error::RateLimited(_) => "rate_limited",
        Error::Timeout(_) => "timeout",
        Error::Transport(_) => "transport",
        Error::Decode(_) => "decode",
        Error::BudgetExhausted(_) => "budget",
        Error::Unresolved(_) => "unresolved",
        _ => "other",
    };
    let codes: Vec<String> = error.codes().map(|c| format!("{c:?}")).collect();
    format!(
        "Err({kind} status={:?} codes={codes:?} delivery={:?})",
        error.status().map(|s| s.as_u16()),
        error.delivery()
    )
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

/// What a call returned, before it is recorded.
enum Outcome {
    Claims(Vec<Claim>, String),
    Revoke(String, RevokeClaim, String),
    Other(String),
}

fn claim(index: usize, person: &Person, kind: ClaimKind, note: impl Into<String>) -> Claim {
    Claim {
        index,
        email: person.email.clone(),
        kind,
        note: note.into(),
    }
}

async fn execute(op: &Op, client: &Client, fake: &FakeClerk) -> Outcome {
    let invitations = client.organization(op.org.clone()).invitations();
    match &op.kind {
        OpKind::Create(person) => {
            let mut create = invitations
                .create(person.email.clone(), person.role.as_str())
                .public_metadata(json!({ "call": op.call }));
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
                    vec![claim(0, person, classify(&error), short_error(&error))],
                    short_error(&error),
                ),
            }
        }
        OpKind::Bulk(people) => {
            let result = invitations
                .create_bulk(people.iter().map(|p| new_invitation(p, op.call)))
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
                            claim(index, person, kind, short_error(&error))
                        })
                        .collect();
                    Outcome::Claims(claims, short_error(&error))
                }
            }
        }
        OpKind::InviteAll(people) => {
            let mut run = invitations.invite_all(people.iter().map(|p| new_invitation(p, op.call)));
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
                });
            }
            let summary = format!("{} outcomes", claims.len());
            Outcome::Claims(claims, summary)
        }
        OpKind::Revoke(pick) => {
            let all: Vec<_> = fake
                .invitations()
                .into_iter()
                .filter(|i| i.organization_id == op.org)
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
        OpKind::List(status, limit) => {
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
        OpKind::Stream => {
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
        OpKind::Accept(_) | OpKind::Pause(_) => Outcome::Other(String::new()),
    }
}

fn describe(op: &Op) -> String {
    let person = |p: &Person| {
        format!(
            "{} {} by {}",
            p.email,
            p.role,
            p.inviter.as_deref().unwrap_or("-")
        )
    };
    match &op.kind {
        OpKind::Create(p) => format!("create {} [{}]", op.org, person(p)),
        OpKind::Bulk(people) | OpKind::InviteAll(people) => {
            let what = if matches!(op.kind, OpKind::Bulk(_)) {
                "bulk"
            } else {
                "invite_all"
            };
            let list: Vec<String> = people.iter().map(person).collect();
            format!("{what} {} [{}]", op.org, list.join("; "))
        }
        OpKind::Revoke(_) => format!("revoke {}", op.org),
        OpKind::List(status, limit) => format!("list {} {status:?} limit {limit}", op.org),
        OpKind::Stream => format!("stream {}", op.org),
        OpKind::Accept(_) => format!("accept {}", op.org),
        OpKind::Pause(ms) => format!("pause {ms} ms"),
    }
}

fn what(op: &Op) -> &'static str {
    match op.kind {
        OpKind::Create(_) => "create",
        OpKind::Bulk(_) => "bulk",
        OpKind::InviteAll(_) => "invite_all",
        OpKind::Revoke(_) => "revoke",
        OpKind::List(..) => "list",
        OpKind::Stream => "stream",
        OpKind::Accept(_) => "accept",
        OpKind::Pause(_) => "pause",
    }
}

struct WorldSetup {
    orgs: Vec<String>,
    pool: Vec<String>,
    members: Vec<(String, String)>,
}

/// Organizations, users and invitations of every status, made through a fault-free client and
/// aged by advancing the clock.
async fn seed_world(rng: &mut fastrand::Rng, fake: &FakeClerk, clock: &SimClock) -> WorldSetup {
    let orgs: Vec<String> = (0..rng.usize(1..=2)).map(|n| format!("org_{n}")).collect();
    fake.add_user(User::new(ADMIN, "admin@sim.test"));
    fake.add_user(User::new(PLAIN, "plain@sim.test"));
    for org in &orgs {
        fake.add_organization(Organization::new(org.clone(), format!("Org {org}")));
        fake.add_membership(org, ADMIN, ADMIN_ROLE)
            .expect("seeded org and user");
        fake.add_membership(org, PLAIN, MEMBER_ROLE)
            .expect("seeded org and user");
    }
    let pool: Vec<String> = (0..rng.usize(4..=12))
        .map(|n| format!("p{n}@sim.test"))
        .collect();
    let mut members = Vec::new();
    for _ in 0..rng.usize(0..=2) {
        let n = rng.usize(..pool.len());
        let user = format!("user_p{n}");
        fake.add_user(User::new(user.clone(), pool[n].clone()));
        fake.add_membership(&orgs[0], &user, MEMBER_ROLE)
            .expect("seeded org and user");
        members.push((orgs[0].clone(), pool[n].clone()));
    }
    let seeder = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .clock(Arc::new(clock.clone()))
        .retry(RetryPolicy::none())
        .rate_limits(clerk_orgs::RateLimits::none())
        .build()
        .expect("a client for the fake");
    for _ in 0..rng.usize(0..=6) {
        let org = &orgs[rng.usize(..orgs.len())];
        let email = &pool[rng.usize(..pool.len())];
        let invitations = seeder.organization(org.clone()).invitations();
        let created = invitations
            .create(email.clone(), MEMBER_ROLE)
            .inviter_user_id(ADMIN)
            .public_metadata(json!({ "call": 0 }))
            .send()
            .await;
        if let Ok(invitation) = created {
            match rng.u32(..10) {
                0..=2 if fake.accept_invitation(&invitation.id).is_ok() => {
                    members.push((org.clone(), email.to_lowercase()));
                }
                3 | 4 => {
                    let _ = invitations
                        .revoke(invitation.id.clone())
                        .requesting_user_id(ADMIN)
                        .send()
                        .await;
                }
                _ => {}
            }
        }
        fake.clock()
            .advance(Duration::from_millis(rng.u64(3_600_000..=3 * 86_400_000)));
    }
    fake.clock()
        .advance(Duration::from_millis(rng.u64(86_400_000..=3 * 86_400_000)));
    WorldSetup {
        orgs,
        pool,
        members,
    }
}

async fn run(seed: u64, config: &Config) -> Report {
    let mut world_rng = fastrand::Rng::with_seed(seed);
    let mut fault_rng = fastrand::Rng::with_seed(seed ^ 0x00fa_0170_0000_0001);
    let mut sched_rng = fastrand::Rng::with_seed(seed.rotate_left(29) ^ 0x5c4e_d01e);
    let limits = clerk_fake::RateLimits::unlimited()
        .global(GLOBAL_LIMIT.0, GLOBAL_LIMIT.1)
        .create(CREATE_LIMIT.0, CREATE_LIMIT.1)
        .bulk(BULK_LIMIT.0, BULK_LIMIT.1);
    // A seeded svix-id series: a replayed seed sends the same webhook ids, should a workload
    // ever listen to them (the fake's default is a random series per run).
    let fake = FakeClerk::builder()
        .rate_limits(limits)
        .webhook_id_seed(seed)
        .start()
        .await
        .expect("clerk-fake listens on 127.0.0.1");
    let clock = SimClock::new(fake.clock().clone());
    let world = seed_world(&mut world_rng, &fake, &clock).await;

    // The workload.
    let clients: Vec<(Client, ClientPlan)> = (0..world_rng.usize(1..=3))
        .map(|_| {
            let plan = draw_client(&mut world_rng);
            let client = Client::builder()
                .secret_key(fake.secret_key().to_owned())
                .base_url(fake.base_url())
                .timeout(config.timeout)
                .clock(Arc::new(clock.clone()))
                .retry(plan.retry.clone())
                .rate_limits(client_limits(plan.mode))
                .build()
                .expect("a client for the fake");
            (client, plan)
        })
        .collect();
    let mut call = 0;
    let plans: Vec<(usize, Vec<Op>)> = (0..world_rng.usize(2..=4))
        .map(|_| {
            let client = world_rng.usize(..clients.len());
            let ops = (0..world_rng.usize(1..=4))
                .map(|_| {
                    call += 1;
                    draw_op(&mut world_rng, call, &world.orgs, &world.pool)
                })
                .collect();
            (client, ops)
        })
        .collect();

    let faults = config
        .faults
        .clone()
        .unwrap_or_else(|| schedule::draw(&mut fault_rng, config.max_faults, config.delay_chance));
    fake.request_log().clear();
    for fault in &faults {
        fake.faults()
            .on(fault.route)
            .nth(fault.nth, fault.fault.clone());
    }
    let start_ms = fake.clock().now_ms();
    let recorder = Rc::new(RefCell::new(Recorder {
        start_ms,
        counts: HashMap::new(),
        faults: faults
            .iter()
            .map(|f| ((f.route, f.nth), f.fault.clone()))
            .collect(),
        current: vec![None; plans.len()],
        calls: Vec::new(),
        stray: Vec::new(),
        trace: Vec::new(),
        acceptances: Vec::new(),
    }));

    let fake_ref = &fake;
    let actors: Vec<Option<sched::Actor<'_>>> = plans
        .iter()
        .enumerate()
        .map(|(actor, (client_index, ops))| {
            let recorder = recorder.clone();
            // Each actor holds its own clone: clones share the pool and the budgets.
            let client = clients[*client_index].0.clone();
            let policy = clients[*client_index].1.policy;
            let clock = clock.clone();
            let future = async move {
                for op in ops {
                    let now = clock.now_ms();
                    match &op.kind {
                        OpKind::Pause(ms) => {
                            clerk_orgs::clock::Clock::sleep(&clock, Duration::from_millis(*ms))
                                .await;
                            continue;
                        }
                        OpKind::Accept(pick) => {
                            let pending: Vec<_> = fake_ref
                                .invitations()
                                .into_iter()
                                .filter(|i| {
                                    i.organization_id == op.org
                                        && i.status == clerk_fake::InvitationStatus::Pending
                                })
                                .collect();
                            let mut rec = recorder.borrow_mut();
                            if pending.is_empty() {
                                continue;
                            }
                            let chosen = &pending
                                [usize::try_from(*pick % pending.len() as u64).unwrap_or(0)];
                            if fake_ref.accept_invitation(&chosen.id).is_ok() {
                                let line = format!(
                                    "{} T{actor} accepts {} ({}) in {}",
                                    rec.rel(now),
                                    chosen.id,
                                    chosen.email_address,
                                    op.org
                                );
                                rec.trace.push(line);
                                rec.acceptances.push(Acceptance {
                                    org: op.org.clone(),
                                    email: chosen.email_address.to_lowercase(),
                                    at_ms: now,
                                });
                            }
                            continue;
                        }
                        _ => {}
                    }
                    let index = {
                        let mut rec = recorder.borrow_mut();
                        rec.drain(fake_ref, Some(actor));
                        let line = format!(
                            "{} T{actor} #{} begins {} (client {client_index})",
                            rec.rel(now),
                            op.call,
                            describe(op)
                        );
                        rec.trace.push(line);
                        let people = match &op.kind {
                            OpKind::Create(p) => vec![p.clone()],
                            OpKind::Bulk(people) | OpKind::InviteAll(people) => people.clone(),
                            _ => Vec::new(),
                        };
                        rec.calls.push(CallRecord {
                            id: op.call,
                            actor,
                            client: *client_index,
                            org: op.org.clone(),
                            what: what(op),
                            people,
                            start_ms: now,
                            end_ms: now,
                            requests: Vec::new(),
                            claims: Vec::new(),
                            revoke: None,
                            policy,
                            panicked: None,
                        });
                        let index = rec.calls.len() - 1;
                        rec.current[actor] = Some(index);
                        index
                    };
                    let outcome = AssertUnwindSafe(execute(op, &client, fake_ref))
                        .catch_unwind()
                        .await;
                    let end = clock.now_ms();
                    let mut rec = recorder.borrow_mut();
                    rec.drain(fake_ref, Some(actor));
                    rec.current[actor] = None;
                    let summary = match outcome {
                        Ok(Outcome::Claims(claims, summary)) => {
                            let mut summary = summary;
                            for c in &claims {
                                let _ = write!(
                                    summary,
                                    "\n      [{}] {}: {}",
                                    c.index, c.email, c.note
                                );
                            }
                            rec.calls[index].claims = claims;
                            summary
                        }
                        Ok(Outcome::Revoke(target, claim, summary)) => {
                            rec.calls[index].revoke = Some((target.clone(), claim));
                            format!("{target}: {summary}")
                        }
                        Ok(Outcome::Other(summary)) => summary,
                        Err(panic) => {
                            let message = panic
                                .downcast_ref::<&str>()
                                .map(|s| (*s).to_owned())
                                .or_else(|| panic.downcast_ref::<String>().cloned())
                                .unwrap_or_else(|| "a panic".to_owned());
                            rec.calls[index].panicked = Some(message.clone());
                            format!("PANIC {message}")
                        }
                    };
                    rec.calls[index].end_ms = end;
                    let line = format!("{} T{actor} #{} -> {summary}", rec.rel(end), op.call);
                    rec.trace.push(line);
                }
            };
            Some(Box::pin(future) as sched::Actor<'_>)
        })
        .collect();

    // Thirty virtual days is far past any call's bound: reaching it means something hangs.
    let deadline = start_ms + 30 * 86_400_000;
    let stuck = sched::run(&clock, actors, &mut sched_rng, 200_000, deadline, |actor| {
        recorder.borrow_mut().drain(&fake, Some(actor))
    })
    .await
    .err()
    .map(|stuck| stuck.to_string());
    recorder.borrow_mut().drain(&fake, None);

    let recorder = Rc::try_unwrap(recorder)
        .ok()
        .expect("the actors are gone")
        .into_inner();
    let evidence = Evidence {
        start_ms,
        calls: recorder.calls,
        stray: recorder.stray,
        invitations: fake.invitations(),
        members: world.members,
        acceptances: recorder.acceptances,
        stuck,
    };
    let violations = check::check(&evidence);
    let requests = evidence
        .calls
        .iter()
        .map(|c| c.requests.len())
        .sum::<usize>()
        + evidence.stray.len();
    Report {
        seed,
        faults,
        trace: recorder.trace,
        violations,
        calls: evidence.calls.len(),
        requests,
        virtual_ms: fake.clock().now_ms() - start_ms,
    }
}

/// Shrinks a failing schedule by delta reduction: drops chunks of faults, then single faults,
/// keeping each removal after which the run still breaks `invariant` (number and rule). World and workload come
/// from the seed, so they stay the same. Returns the smallest failing report found.
pub fn shrink(seed: u64, config: &Config, failing: &Report, invariant: (u8, &str)) -> Report {
    let fails = |faults: &[ScheduledFault]| {
        let config = Config {
            faults: Some(faults.to_vec()),
            ..config.clone()
        };
        let report = simulate(seed, &config);
        report
            .violations
            .iter()
            .any(|v| v.invariant == invariant.0 && v.rule == invariant.1)
            .then_some(report)
    };
    let mut best = failing.clone();
    let mut chunk = best.faults.len().div_ceil(2).max(1);
    loop {
        let mut removed_any = false;
        let mut start = 0;
        while start < best.faults.len() {
            let mut candidate = best.faults.clone();
            let end = (start + chunk).min(candidate.len());
            candidate.drain(start..end);
            match fails(&candidate) {
                Some(report) => {
                    best = report;
                    removed_any = true;
                }
                None => start += chunk,
            }
        }
        if chunk == 1 && !removed_any {
            return best;
        }
        if !removed_any {
            chunk = (chunk / 2).max(1);
        }
    }
}
