//! [`Invitations::invite_all`]: invite any number of people, at Clerk's limit, unattended.
//!
//! People are validated first (an invalid one is [`InviteResult::Rejected`] without a request;
//! with the client's role check on, so is one whose role the instance does not have), then
//! sent in bulk calls of up to 10, each waiting for the bulk and global budgets (the
//! client-side limiter paces the run; a 429 pauses it until `Retry-After`). A bulk call is all or
//! nothing, so when Clerk refuses one because of some of its entries, those entries are isolated
//! and the rest go out again:
//!
//! - `duplicate_record` or `already_a_member_in_organization` name their emails in
//!   `meta.email_addresses`: those entries become [`InviteResult::AlreadyInvited`] (with the
//!   pending invitation, fetched) or [`InviteResult::AlreadyMember`], and the others rejoin the
//!   queue, filling the next bulk call.
//! - Any other refusal that does not say which entry is at fault (an unknown role, a non-admin
//!   inviter, the membership quota) sends that batch's entries as single creates, which draw from
//!   the larger create budget and give each person their own answer.
//! - An invalid key, a missing organization, or a single create that does not fit the
//!   organization's membership quota fails everyone left ([`InviteResult::Failed`]), without
//!   further requests.
//!
//! Outcomes carry the input's index and email, so a caller can persist them and resume: pass the
//! people without a final outcome to a new run; anyone a lost answer had already invited comes
//! back as [`InviteResult::AlreadyInvited`].

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{self, BoxStream, Stream, StreamExt};
use tokio::sync::watch;

use super::recovery::{Asked, Lookup, emails_named_by, lookup_invitations};
use super::{Invitations, NewInvitation};
use crate::error::{Error, ErrorCode};
use crate::lookup::roles;
use crate::models::OrganizationInvitation;
use crate::policy::{LimitMode, RequestOptions};
use crate::validate::MAX_BULK_SIZE;

/// How often one person's request may be turned away by a 429 before it counts as failed; each
/// time the run first waits as long as Clerk asked, so this only ends a run that Clerk keeps
/// refusing.
const MAX_RATE_LIMITED_TRIES: u32 = 20;

/// What happened to one person of an [`Invitations::invite_all`] run.
#[derive(Debug, Clone)]
pub struct InviteOutcome {
    /// The person's position in the input, from 0.
    pub index: usize,
    /// The person's email address as given.
    pub email_address: String,
    /// What happened.
    pub result: InviteResult,
}

/// The result for one person.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InviteResult {
    /// Invited by this run.
    Invited(OrganizationInvitation),
    /// A pending invitation for this email already existed; it is included when it could be
    /// fetched.
    AlreadyInvited(Option<OrganizationInvitation>),
    /// The person is already a member of the organization.
    AlreadyMember,
    /// The invitation breaks a rule, checked locally (nothing was sent, `code` is `None`) or by
    /// Clerk (`code` is Clerk's); sending it again will not help. A refusal whose reason cannot
    /// be read is [`InviteResult::Failed`] instead.
    Rejected {
        /// Clerk's error code, if Clerk refused it.
        code: Option<ErrorCode>,
        /// Why, for people.
        reason: String,
    },
    /// The request was sent and its answer lost, and looking it up could not settle whether
    /// Clerk created the invitation: it may exist. A later run settles it safely (Clerk refuses
    /// a second pending invitation, so the person comes back invited or already invited).
    MaybeInvited(Arc<Error>),
    /// Clerk kept refusing with 429, or asked to wait longer than the client's cap
    /// ([`crate::RateLimits::max_wait`]), so this person was not invited; nothing was created.
    /// The error's [`Error::retry_after`] says when to come back.
    RateLimited(Arc<Error>),
    /// Never sent: the run stopped before this person's turn because Clerk was unreachable or
    /// refused every request (the error says why). Nothing was created.
    NotSent(Arc<Error>),
    /// Clerk refused the request for a reason about the whole run rather than this person (an
    /// invalid key, a missing organization, the membership quota), or with an answer whose reason
    /// cannot be read (a proxy's page, a cut body); nothing was created. Shared by the people of
    /// one request.
    Failed(Arc<Error>),
}

impl InviteResult {
    /// Whether this person needs nothing more: invited, already invited, already a member, or
    /// rejected. The others ([`MaybeInvited`](Self::MaybeInvited),
    /// [`RateLimited`](Self::RateLimited), [`NotSent`](Self::NotSent),
    /// [`Failed`](Self::Failed)) are worth another run.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            InviteResult::Invited(_)
                | InviteResult::AlreadyInvited(_)
                | InviteResult::AlreadyMember
                | InviteResult::Rejected { .. }
        )
    }

    /// The error behind a result that is not final.
    pub fn error(&self) -> Option<&Error> {
        match self {
            InviteResult::MaybeInvited(error)
            | InviteResult::RateLimited(error)
            | InviteResult::NotSent(error)
            | InviteResult::Failed(error) => Some(error),
            _ => None,
        }
    }
}

/// How far a run has got: an [`Invitations::invite_all`] run (counting people) or a roster
/// plan being applied (counting changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// People (or changes) with an outcome.
    pub done: usize,
    /// People (or changes) in the run.
    pub total: usize,
}

/// The stream of outcomes of [`Invitations::invite_all`], one per person, in no set order.
///
/// Nothing is sent until it is polled; dropping it stops the run between requests.
#[must_use = "nothing is sent until the stream is polled"]
pub struct InviteAll {
    outcomes: BoxStream<'static, InviteOutcome>,
    progress: watch::Receiver<Progress>,
}

impl std::fmt::Debug for InviteAll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteAll")
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl InviteAll {
    /// People done so far, and in total.
    pub fn progress(&self) -> Progress {
        *self.progress.borrow()
    }

    /// A receiver that sees every progress update, for a progress bar on another task.
    pub fn watch_progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }
}

impl Stream for InviteAll {
    type Item = InviteOutcome;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.outcomes.poll_next_unpin(cx)
    }
}

/// One person still to invite.
#[derive(Debug, Clone)]
struct Entry {
    index: usize,
    person: NewInvitation,
    rate_limited: u32,
}

impl Entry {
    fn outcome(&self, result: InviteResult) -> InviteOutcome {
        InviteOutcome {
            index: self.index,
            email_address: self.person.email_address().to_owned(),
            result,
        }
    }
}

/// The state of a run between steps.
struct Run {
    invitations: Invitations,
    /// Outcomes known before sending anything (validation).
    ready: Vec<InviteOutcome>,
    /// People for bulk calls, in input order.
    bulk: VecDeque<Entry>,
    /// People to send one by one, after a bulk refusal that named nobody.
    single: VecDeque<Entry>,
    /// Why the run stopped sending, and what everyone not yet sent gets.
    stopped: Option<Stop>,
    /// Whether the people's roles were checked (or the client does not check roles).
    roles_checked: bool,
}

/// Why a run stops sending before everyone had a turn.
#[derive(Clone)]
enum Stop {
    /// Clerk is unreachable, or every request is doomed (bad key, no such organization):
    /// everyone left is [`InviteResult::NotSent`].
    NotSent(Arc<Error>),
    /// Clerk closed the budget for longer than the client waits: everyone left is
    /// [`InviteResult::RateLimited`].
    RateLimited(Arc<Error>),
}

impl Stop {
    fn result(&self) -> InviteResult {
        match self {
            Stop::NotSent(error) => InviteResult::NotSent(error.clone()),
            Stop::RateLimited(error) => InviteResult::RateLimited(error.clone()),
        }
    }
}

impl Invitations {
    /// Invites everyone in `people`, in bulk calls of up to 10 paced under Clerk's limits, and
    /// yields one [`InviteOutcome`] per person; see [`crate::reliability`].
    ///
    /// Requests wait for the client-side rate limit even if the client is set to fail fast, and
    /// use the client's retry policy.
    pub fn invite_all(&self, people: impl IntoIterator<Item = NewInvitation>) -> InviteAll {
        let people = people.into_iter();
        let mut ready = Vec::new();
        // Sized at once when the people say how many they are (roster sync's do): growing
        // by doubling overshoots by up to half, 192 bytes a person.
        let mut bulk = VecDeque::with_capacity(people.size_hint().0);
        let mut first_index_of: HashMap<String, usize> = HashMap::new();
        for (index, person) in people.enumerate() {
            let entry = Entry {
                index,
                person,
                rate_limited: 0,
            };
            if let Err(invalid) = entry.person.clone().into_wire("") {
                ready.push(entry.outcome(InviteResult::Rejected {
                    code: None,
                    reason: invalid.to_string(),
                }));
                continue;
            }
            let key = entry.person.email_address().to_lowercase();
            if let Some(first) = first_index_of.get(&key) {
                // Clerk would refuse the whole bulk call; the earlier entry stands for both.
                ready.push(entry.outcome(InviteResult::Rejected {
                    code: None,
                    reason: format!("the same email address is at index {first} of this run"),
                }));
                continue;
            }
            first_index_of.insert(key, index);
            bulk.push_back(entry);
        }
        let total = ready.len() + bulk.len();
        let (progress, receiver) = watch::channel(Progress { done: 0, total });
        let run = Run {
            invitations: self.clone(),
            ready,
            bulk,
            single: VecDeque::new(),
            stopped: None,
            roles_checked: false,
        };
        let outcomes = stream::unfold(run, |mut run| async move {
            let outcomes = run.step().await?;
            Some((stream::iter(outcomes), run))
        })
        .flatten()
        // Counted as they are handed out, so `done` is what the caller has seen.
        .inspect(move |_| progress.send_modify(|progress| progress.done += 1))
        .boxed();
        InviteAll {
            outcomes,
            progress: receiver,
        }
    }
}

/// How a failed request bears on the people in it.
enum Verdict {
    /// Turned away by a rate limit Clerk will lift within the client's cap: send again (the
    /// budget now waits for Clerk's window).
    RateLimited,
    /// Turned away for longer than the client waits: nobody else gets through either.
    RateLimitedPastCap,
    /// No request of this run can succeed (bad key, no such organization).
    Fatal,
    /// Clerk refused the invitation itself.
    Refused,
    /// The answer is lost and could not be settled: the people may be invited. When Clerk is
    /// unreachable, the run stops too.
    MaybeInvited { unreachable: bool },
    /// Clerk could not be reached; nothing was sent.
    Unreachable,
    /// Anything else, with nothing created.
    Failed,
}

/// Whether the error (or, for a lost answer, the last attempt's) says Clerk is not answering:
/// timeouts, broken connections, and gateways or Clerk saying it is unavailable. Roster sync's
/// apply stops on the same signal.
pub(crate) fn unreachable(error: &Error) -> bool {
    let error = error
        .unresolved()
        .map_or(error, |unresolved| unresolved.last_attempt());
    matches!(error, Error::Timeout(_) | Error::Transport(_))
        || error
            .status()
            .is_some_and(|status| matches!(status.as_u16(), 502..=504))
}

fn verdict(error: &Error, max_wait: Duration) -> Verdict {
    if error.is_rate_limited() || matches!(error, Error::BudgetExhausted(_)) {
        // A budget refusal in `Wait` mode means the wait is past the cap.
        let past_cap = matches!(error, Error::BudgetExhausted(_))
            || error.retry_after().is_some_and(|wait| wait > max_wait);
        if past_cap {
            Verdict::RateLimitedPastCap
        } else {
            Verdict::RateLimited
        }
    } else if error.maybe_processed() {
        Verdict::MaybeInvited {
            unreachable: unreachable(error),
        }
    } else if unreachable(error) {
        Verdict::Unreachable
    } else if error.is_authentication()
        || (error.is_not_found() && !error.is_duplicate_invitation() && !error.is_role_not_found())
    {
        // A 404 about the role (Clerk's `OrganizationRoleNotFound`) is a refusal of the people
        // given that role, not of the run.
        Verdict::Fatal
    } else if error
        .status()
        .is_some_and(|status| status.is_client_error())
    {
        Verdict::Refused
    } else {
        Verdict::Failed
    }
}

impl Run {
    /// Sends the next request and returns the outcomes it settles (possibly none, when people
    /// go back to the queue); `None` when everyone has an outcome.
    async fn step(&mut self) -> Option<Vec<InviteOutcome>> {
        if !self.ready.is_empty() {
            return Some(std::mem::take(&mut self.ready));
        }
        if !self.roles_checked {
            self.roles_checked = true;
            let refused = self.check_roles().await;
            if !refused.is_empty() {
                return Some(refused);
            }
        }
        if let Some(stop) = &self.stopped {
            let everyone = self.single.drain(..).chain(self.bulk.drain(..));
            let outcomes: Vec<_> = everyone.map(|entry| entry.outcome(stop.result())).collect();
            return (!outcomes.is_empty()).then_some(outcomes);
        }
        if let Some(entry) = self.single.pop_front() {
            return Some(self.send_single(entry).await);
        }
        if self.bulk.is_empty() {
            return None;
        }
        let size = self.bulk.len().min(MAX_BULK_SIZE);
        let batch: Vec<Entry> = self.bulk.drain(..size).collect();
        Some(self.send_bulk(batch).await)
    }

    /// With the client's role check on, checks each role of the run once (from the cached
    /// list) before anything is sent: people with a role the instance does not have are
    /// [`InviteResult::Rejected`] without a request, and the requests then skip the check.
    async fn check_roles(&mut self) -> Vec<InviteOutcome> {
        let handle = self.invitations.handle().clone();
        if !roles::wanted(&handle, None) {
            return Vec::new();
        }
        let options = RequestOptions {
            limit_mode: Some(LimitMode::Wait),
            ..RequestOptions::default()
        };
        let mut unknown: HashMap<String, String> = HashMap::new();
        let mut known: Vec<String> = Vec::new();
        for entry in &self.bulk {
            let role = entry.person.role().as_str();
            if known.iter().any(|k| k == role) || unknown.contains_key(role) {
                continue;
            }
            let asked = [(Cow::Borrowed("role"), role)];
            match roles::check_before_sending(&handle, &asked, &options).await {
                Err(error) => {
                    unknown.insert(role.to_owned(), error.to_string());
                }
                Ok(()) => known.push(role.to_owned()),
            }
        }
        if unknown.is_empty() {
            return Vec::new();
        }
        let (refused, rest): (VecDeque<Entry>, VecDeque<Entry>) = std::mem::take(&mut self.bulk)
            .into_iter()
            .partition(|entry| unknown.contains_key(entry.person.role().as_str()));
        self.bulk = rest;
        refused
            .into_iter()
            .map(|entry| {
                let reason = unknown[entry.person.role().as_str()].clone();
                entry.outcome(InviteResult::Rejected { code: None, reason })
            })
            .collect()
    }

    async fn send_bulk(&mut self, batch: Vec<Entry>) -> Vec<InviteOutcome> {
        let result = self
            .invitations
            .create_bulk(batch.iter().map(|entry| entry.person.clone()))
            .rate_limit_mode(LimitMode::Wait)
            .check_role(false)
            .send()
            .await;
        let error = match result {
            Ok(created) => return self.invited(batch, created).await,
            Err(error) => error,
        };
        match verdict(&error, self.invitations.handle().max_wait()) {
            Verdict::RateLimited => self.requeue(batch, error, Queue::Bulk),
            Verdict::Refused => self.isolate(batch, error).await,
            other => self.settle(batch, error, other),
        }
    }

    /// The outcomes every verdict but a retry or an isolation gives the people of one request,
    /// stopping the run where nobody after them can get through.
    fn settle(&mut self, batch: Vec<Entry>, error: Error, verdict: Verdict) -> Vec<InviteOutcome> {
        let error = Arc::new(error);
        let result = match verdict {
            Verdict::RateLimitedPastCap => {
                self.stop(Stop::RateLimited(error.clone()));
                InviteResult::RateLimited(error)
            }
            Verdict::Fatal => {
                self.stop(Stop::NotSent(error.clone()));
                InviteResult::Failed(error)
            }
            Verdict::MaybeInvited { unreachable } => {
                if unreachable {
                    self.stop(Stop::NotSent(error.clone()));
                }
                InviteResult::MaybeInvited(error)
            }
            Verdict::Unreachable => {
                self.stop(Stop::NotSent(error.clone()));
                InviteResult::NotSent(error)
            }
            // `RateLimited` past its tries, and whatever else nothing was created by.
            Verdict::RateLimited => InviteResult::RateLimited(error),
            Verdict::Refused | Verdict::Failed => InviteResult::Failed(error),
        };
        batch
            .into_iter()
            .map(|entry| entry.outcome(result.clone()))
            .collect()
    }

    fn stop(&mut self, stop: Stop) {
        if self.stopped.is_none() {
            tracing::warn!("invite_all stops sending; everyone not yet sent gets an outcome now");
            self.stopped = Some(stop);
        }
    }

    /// A bulk refusal: settle the entries Clerk named and queue the rest again; if it named
    /// nobody, ask about each entry alone.
    async fn isolate(&mut self, batch: Vec<Entry>, error: Error) -> Vec<InviteOutcome> {
        let named = if error.is_duplicate_invitation() || error.is_already_member() {
            emails_named_by(&error).unwrap_or_default()
        } else {
            Vec::new()
        };
        let (culprits, innocent): (Vec<Entry>, Vec<Entry>) = batch
            .into_iter()
            .partition(|entry| named.contains(&entry.person.email_address().to_lowercase()));
        if culprits.is_empty() {
            self.single.extend(innocent);
            return Vec::new();
        }
        // Back to the front, in order, so they fill the next bulk call.
        for entry in innocent.into_iter().rev() {
            self.bulk.push_front(entry);
        }
        let mut outcomes = Vec::with_capacity(culprits.len());
        for entry in culprits {
            let result = if error.is_already_member() {
                InviteResult::AlreadyMember
            } else {
                self.already_invited(&entry).await
            };
            outcomes.push(entry.outcome(result));
        }
        outcomes
    }

    async fn send_single(&mut self, entry: Entry) -> Vec<InviteOutcome> {
        let result = self
            .invitations
            .create_from(entry.person.clone())
            .rate_limit_mode(LimitMode::Wait)
            .check_role(false)
            .send()
            .await;
        let error = match result {
            Ok(invitation) => return vec![entry.outcome(InviteResult::Invited(invitation))],
            Err(error) => error,
        };
        let result = match verdict(&error, self.invitations.handle().max_wait()) {
            Verdict::RateLimited => return self.requeue(vec![entry], error, Queue::Single),
            Verdict::Refused if error.is_duplicate_invitation() => {
                self.already_invited(&entry).await
            }
            Verdict::Refused if error.is_already_member() => InviteResult::AlreadyMember,
            // Alone, this person does not fit either: nor will anyone after them. They all
            // fail with Clerk's answer, to resume once seats are free.
            Verdict::Refused if error.is_quota_exceeded() => {
                return self.settle(vec![entry], error, Verdict::Fatal);
            }
            // Clerk refused, but its answer cannot say why (a proxy's page, a cut body): not a
            // verdict on the invitation, so not final.
            Verdict::Refused if error.codes().next().is_none() => {
                InviteResult::Failed(Arc::new(error))
            }
            Verdict::Refused => InviteResult::Rejected {
                code: error.codes().next().cloned(),
                reason: error.to_string(),
            },
            other => return self.settle(vec![entry], error, other),
        };
        vec![entry.outcome(result)]
    }

    /// The person's newest invitations.
    async fn lookup(&self, entry: &Entry) -> Result<Lookup, Error> {
        lookup_invitations(
            self.invitations.handle(),
            self.invitations.organization_id(),
            entry.person.email_address(),
            &RequestOptions::default(),
        )
        .await
    }

    async fn already_invited(&self, entry: &Entry) -> InviteResult {
        let existing = self.lookup(entry).await;
        // The invitation exists either way; failing to fetch it changes nothing for the person.
        InviteResult::AlreadyInvited(existing.ok().and_then(Lookup::into_pending))
    }

    /// Puts people turned away by a rate limit back at the front of their queue; the limiter
    /// has been told when Clerk's window reopens, so the next request waits until then.
    fn requeue(&mut self, batch: Vec<Entry>, error: Error, queue: Queue) -> Vec<InviteOutcome> {
        let (given_up, again): (Vec<Entry>, Vec<Entry>) = batch
            .into_iter()
            .map(|mut entry| {
                entry.rate_limited += 1;
                entry
            })
            .partition(|entry| entry.rate_limited >= MAX_RATE_LIMITED_TRIES);
        let target = match queue {
            Queue::Bulk => &mut self.bulk,
            Queue::Single => &mut self.single,
        };
        for entry in again.into_iter().rev() {
            target.push_front(entry);
        }
        if given_up.is_empty() {
            return Vec::new();
        }
        self.settle(given_up, error, Verdict::RateLimited)
    }

    /// Pairs a bulk answer with its people by email. Clerk acted on the whole batch, so anyone
    /// missing from the answer is looked up, never sent again: invited if their pending
    /// invitation is what was asked, otherwise maybe invited.
    async fn invited(
        &mut self,
        batch: Vec<Entry>,
        created: Vec<OrganizationInvitation>,
    ) -> Vec<InviteOutcome> {
        let mut by_email: HashMap<String, OrganizationInvitation> = created
            .into_iter()
            .map(|invitation| (invitation.email_address.to_lowercase(), invitation))
            .collect();
        let mut outcomes = Vec::with_capacity(batch.len());
        for entry in batch {
            let result = match by_email.remove(&entry.person.email_address().to_lowercase()) {
                Some(invitation) => InviteResult::Invited(invitation),
                None => self.missing_from_answer(&entry).await,
            };
            outcomes.push(entry.outcome(result));
        }
        outcomes
    }

    async fn missing_from_answer(&self, entry: &Entry) -> InviteResult {
        let lookup = self.lookup(entry).await;
        let asked = entry.person.clone().into_wire("");
        match (lookup.map(Lookup::into_pending), asked) {
            (Ok(Some(invitation)), Ok(wire)) if Asked::of(&wire).matches(&invitation) => {
                InviteResult::Invited(invitation)
            }
            (Err(error), _) => InviteResult::MaybeInvited(Arc::new(error)),
            _ => InviteResult::MaybeInvited(Arc::new(Error::Internal(
                "Clerk's bulk answer left this person out and no matching invitation was found",
            ))),
        }
    }
}

/// Which queue an entry goes back to.
#[derive(Clone, Copy)]
enum Queue {
    Bulk,
    Single,
}
