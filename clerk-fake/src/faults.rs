//! Scripted failures, per route and per request number.
//!
//! A fault stands for something between the client and Clerk going wrong (a proxy error page, a
//! dropped connection) or for Clerk answering in a way a client must survive (a slow or garbled
//! response, fields it does not know). Faults are checked before authentication and rate limits,
//! like an edge proxy would, and each fires once.
//!
//! ```no_run
//! # async fn demo() {
//! use clerk_fake::{Fault, FakeClerk, Route};
//! let fake = FakeClerk::start().await;
//! // The next create fails with a bare 503; the second one after it succeeds server-side but
//! // the client never hears back.
//! fake.faults().on(Route::CreateInvitation).next(Fault::server_error(503));
//! fake.faults().on(Route::CreateInvitation).nth(2, Fault::ProcessedThenDropped);
//! # }
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The routes of the fake, for scripting faults against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /v1/organizations/{organization_id}/invitations`
    CreateInvitation,
    /// `POST /v1/organizations/{organization_id}/invitations/bulk`
    BulkCreateInvitations,
    /// `GET /v1/organizations/{organization_id}/invitations`
    ListInvitations,
    /// `GET /v1/organizations/{organization_id}/invitations/pending`
    ListPendingInvitations,
    /// `GET /v1/organizations/{organization_id}/invitations/{invitation_id}`
    GetInvitation,
    /// `POST /v1/organizations/{organization_id}/invitations/{invitation_id}/revoke`
    RevokeInvitation,
    /// `GET /v1/organization_invitations`
    ListInstanceInvitations,
    /// `GET /v1/users/{user_id}/organization_invitations`
    ListUserInvitations,
    /// `POST /v1/organizations/{organization_id}/memberships`
    CreateMembership,
    /// `GET /v1/organizations/{organization_id}/memberships`
    ListMemberships,
    /// `PATCH /v1/organizations/{organization_id}/memberships/{user_id}`
    UpdateMembership,
    /// `PATCH /v1/organizations/{organization_id}/memberships/{user_id}/metadata`
    UpdateMembershipMetadata,
    /// `DELETE /v1/organizations/{organization_id}/memberships/{user_id}`
    DeleteMembership,
    /// `GET /v1/organization_memberships`
    ListInstanceMemberships,
    /// `GET /v1/users/{user_id}/organization_memberships`
    ListUserMemberships,
    /// `GET /v1/organization_roles`
    ListRoles,
    /// `POST /v1/organization_roles`
    CreateRole,
    /// `GET /v1/organization_roles/{organization_role_id}`
    GetRole,
    /// `GET /v1/users`
    ListUsers,
}

/// How a 429 fault states when to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP date>`, this long after the fake clock's now.
    HttpDateIn(Duration),
}

/// One scripted failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A 5xx (meant for 500/502/503/504) without processing the request; `clerk_body` chooses
    /// between Clerk's JSON error envelope and an empty body.
    ServerError {
        /// The HTTP status; an invalid one becomes 500.
        status: u16,
        /// Whether the body is Clerk's error envelope (true) or empty (false).
        clerk_body: bool,
    },
    /// A proxy's HTML error page with this status, without processing the request.
    HtmlErrorPage {
        /// The HTTP status; an invalid one becomes 502.
        status: u16,
    },
    /// A 429 without processing the request, with `Retry-After` in the given form.
    TooManyRequests(RetryAfter),
    /// The connection is closed before the request is processed and before any response byte.
    DropConnection,
    /// The request is processed, then the response is held back this long (real time) before it
    /// is sent; a client with a shorter timeout gives up while the work is already done.
    Delay(Duration),
    /// The request is processed (invitations or memberships are created, changed or deleted),
    /// then the connection is closed with no response: the client cannot know whether its
    /// request took effect.
    ProcessedThenDropped,
    /// The request is processed and answered with its real status, but the body is cut in half
    /// (with a matching `Content-Length`, so only the JSON is broken, not the HTTP message).
    TruncatedJson,
    /// The request is processed and answered with its real status and a body that is not JSON.
    MalformedJson,
    /// The request is processed; each returned object (invitation, membership, role; and the
    /// list envelope) carries extra fields the spec does not know.
    UnknownFields,
    /// The request is processed; each returned invitation's `status` is `on_hold`, a value the
    /// spec does not list (other objects are left as they are).
    UnknownStatus,
}

impl Fault {
    /// A 5xx with Clerk's JSON error body.
    pub fn server_error(status: u16) -> Self {
        Fault::ServerError {
            status,
            clerk_body: true,
        }
    }

    /// A 5xx with an empty body.
    pub fn bare_server_error(status: u16) -> Self {
        Fault::ServerError {
            status,
            clerk_body: false,
        }
    }
}

#[derive(Debug, Default)]
struct Script {
    /// Requests seen so far, per route.
    seen: HashMap<Route, u64>,
    /// Faults waiting for a request number, per route.
    pending: HashMap<(Route, u64), Fault>,
}

/// The fault script of one fake instance.
#[derive(Debug, Default)]
pub struct Faults {
    script: Mutex<Script>,
}

impl Faults {
    /// Scripts faults for one route.
    pub fn on(&self, route: Route) -> RouteFaults<'_> {
        RouteFaults {
            faults: self,
            route,
        }
    }

    /// Forgets every fault not yet fired.
    pub fn clear(&self) {
        self.lock().pending.clear();
    }

    /// Counts a request to `route` and returns the fault scripted for it, if any.
    pub(crate) fn take(&self, route: Route) -> Option<Fault> {
        let mut script = self.lock();
        let seen = script.seen.entry(route).or_insert(0);
        *seen += 1;
        let number = *seen;
        if script.pending.is_empty() {
            return None;
        }
        script.pending.remove(&(route, number))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        // A panic while holding this lock cannot leave the script inconsistent, so poison is moot.
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Faults of one route; see [`Faults::on`].
#[derive(Debug)]
pub struct RouteFaults<'a> {
    faults: &'a Faults,
    route: Route,
}

impl RouteFaults<'_> {
    /// The `n`-th request to this route from now on (1 is the next one) gets `fault`.
    /// Scripting the same request twice keeps the later fault.
    pub fn nth(&self, n: u64, fault: Fault) -> &Self {
        let mut script = self.faults.lock();
        let seen = script.seen.get(&self.route).copied().unwrap_or(0);
        script.pending.insert((self.route, seen + n.max(1)), fault);
        self
    }

    /// The next request to this route gets `fault`.
    pub fn next(&self, fault: Fault) -> &Self {
        self.nth(1, fault)
    }
}
