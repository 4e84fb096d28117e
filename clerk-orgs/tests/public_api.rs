//! The public surface, named path by path: every type, constant, function and method the crate
//! docs, README and CHANGELOG promise, deprecated aliases included, with the types they return.
//!
//! Nothing here runs against Clerk: `surface` is only type-checked. A removed re-export, a
//! renamed method or a changed return type fails the build of this test, so a break of the
//! public API cannot go unnoticed (the layout behind these paths is free to change).

#![allow(deprecated)] // The deprecated aliases are part of the surface until they are removed.

use std::sync::Arc;
use std::time::Duration;

use clerk_orgs::clock::{Clock, Sleep, TokioClock};
use clerk_orgs::{
    ApiError, Budget, BudgetExhausted, Client, ClientBuilder, ConfigError, CreateInvitation,
    CreateInvitationsBulk, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HEADROOM,
    DEFAULT_MAX_WAIT, DEFAULT_TIMEOUT, DecodeError, Delivery, Error, ErrorCode, ErrorDetail,
    GetInvitation, InstanceInvitations, InvitationStatus, Invitations, InviteAll, InviteOutcome,
    InviteResult, Jitter, KeyKind, Limit, LimitMode, ListInstanceInvitations, ListInvitations,
    ListPendingInvitations, ListUserInvitations, MAX_BULK_SIZE, NewInvitation, Operation,
    OrganizationHandle, OrganizationInvitation, Page, Phase, Progress, PublicInviterData,
    PublicOrganizationData, RateLimits, RetryPolicy, RevokeInvitation, Role, TransportError,
    USER_AGENT, UnresolvedError, Unsettled, UserHandle, UserInvitations, ValidationError,
};
use futures::stream::BoxStream;

type Invitation = Result<OrganizationInvitation, Error>;
type OnePage = Result<Page<OrganizationInvitation>, Error>;

/// Every constant, with its type.
const _CONSTANTS: (&str, Duration, Duration, &str, Duration, Duration, usize) = (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT,
    USER_AGENT,
    DEFAULT_MAX_WAIT,
    DEFAULT_HEADROOM,
    MAX_BULK_SIZE,
);

/// The client, its builder and every handle and request builder, with the options each takes.
async fn requests(client: Client) -> Result<(), Error> {
    let builder: ClientBuilder = Client::builder()
        .secret_key("sk_test_x")
        .base_url("http://127.0.0.1:1")
        .timeout(Duration::from_secs(1))
        .connect_timeout(Duration::from_secs(1))
        .retry(RetryPolicy::default())
        .rate_limits(RateLimits::default())
        .clock(Arc::new(TokioClock::new()));
    let _: Result<Client, Error> = builder.build();
    let _: Result<Client, Error> = Client::from_env();
    let _: (&str, Duration, KeyKind) = (client.base_url(), client.timeout(), client.key_kind());

    let organization: OrganizationHandle = client.organization("org_1");
    let _: &str = organization.id();
    let invitations: Invitations = organization.invitations();

    let create: CreateInvitation = invitations
        .create("a@example.com", Role::MEMBER)
        .inviter_user_id("user_1")
        .redirect_url("/welcome")
        .public_metadata(serde_json::json!({}))
        .private_metadata(serde_json::json!({}))
        .expires_in_days(7)
        .notify(false)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::FailFast);
    let _: Result<(), Error> = create.validate();
    let _: Invitation = create.send().await;

    let person: NewInvitation = NewInvitation::new("b@example.com", "org:billing")
        .inviter_user_id("user_1")
        .redirect_url("/welcome")
        .public_metadata(serde_json::json!({}))
        .private_metadata(serde_json::json!({}))
        .expires_in_days(7)
        .notify(true);
    let _: (&str, &Role, Result<(), Error>) =
        (person.email_address(), person.role(), person.validate());
    let bulk: CreateInvitationsBulk = invitations
        .create_bulk([person.clone()])
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Result<Vec<OrganizationInvitation>, Error> = bulk.send().await;

    let list: ListInvitations = invitations
        .list()
        .status(InvitationStatus::Pending)
        .email_address("a@example.com")
        .order_by("-created_at")
        .limit(10)
        .offset(0)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: BoxStream<'static, Invitation> = list.clone().stream();
    let _: OnePage = list.send().await;

    let pending: ListPendingInvitations = invitations
        .list_pending()
        .limit(10)
        .offset(0)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: BoxStream<'static, Invitation> = pending.clone().stream();
    let _: OnePage = pending.send().await;

    let get: GetInvitation = invitations
        .get("orginv_1")
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Invitation = get.send().await;
    let revoke: RevokeInvitation = invitations
        .revoke("orginv_1")
        .requesting_user_id("user_1")
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Invitation = revoke.send().await;

    let everywhere: InstanceInvitations = client.organization_invitations();
    let instance: ListInstanceInvitations = everywhere
        .list()
        .status("pending")
        .query("@example.com")
        .order_by("+email_address")
        .limit(10)
        .offset(0)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: BoxStream<'static, Invitation> = instance.clone().stream();
    let _: OnePage = instance.send().await;

    let user: UserHandle = client.user("user_1");
    let _: &str = user.id();
    let theirs: UserInvitations = user.organization_invitations();
    let per_user: ListUserInvitations = theirs
        .list()
        .status(InvitationStatus::Accepted)
        .limit(10)
        .offset(0)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: BoxStream<'static, Invitation> = per_user.clone().stream();
    let _: OnePage = per_user.send().await;

    let run: InviteAll = invitations.invite_all([person]);
    let progress: Progress = run.progress();
    let _: (usize, usize) = (progress.done, progress.total);
    let _: tokio::sync::watch::Receiver<Progress> = run.watch_progress();
    let _ = futures::StreamExt::map(run, |outcome: InviteOutcome| {
        let _: (usize, String) = (outcome.index, outcome.email_address);
        let result: InviteResult = outcome.result;
        let _: (bool, Option<&Error>) = (result.is_final(), result.error());
        match result {
            InviteResult::Invited(_)
            | InviteResult::AlreadyInvited(_)
            | InviteResult::AlreadyMember
            | InviteResult::Rejected { .. }
            | InviteResult::MaybeInvited(_)
            | InviteResult::RateLimited(_)
            | InviteResult::NotSent(_)
            | InviteResult::Failed(_) => {}
            _ => {}
        }
    });
    Ok(())
}

/// Retry policy, rate limits and the clock, including the deprecated `get_` aliases.
fn policies(clock: &dyn Clock) {
    let policy: RetryPolicy = RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_secs(1))
        .max_elapsed(Duration::from_secs(1))
        .jitter(Jitter::Decorrelated)
        .max_retry_after(Duration::from_secs(1));
    let _: (u32, Duration, bool) = (
        policy.attempt_limit(),
        policy.retry_after_cap(),
        policy.is_enabled(),
    );
    let _: (u32, Duration) = (policy.get_max_attempts(), policy.get_max_retry_after());
    let _ = (RetryPolicy::none(), Jitter::None, Jitter::Full);

    let limit: Option<Limit> = Limit::new(10, Duration::from_secs(1));
    let _: Option<Limit> = Limit::per_hour(10);
    if let Some(limit) = limit {
        let _: (u32, Duration, Duration) = (limit.requests(), limit.window(), limit.interval());
    }
    let limits: RateLimits = RateLimits::default()
        .all_requests(limit)
        .create_invitation(limit)
        .bulk_create_invitations(limit)
        .mode(LimitMode::FailFast)
        .max_wait(Duration::from_secs(1))
        .headroom(Duration::from_millis(50));
    let _: (Option<Limit>, Option<Limit>, Option<Limit>, LimitMode) = (
        limits.all_requests_for(KeyKind::Live),
        limits.create_invitation_limit(),
        limits.bulk_create_invitations_limit(),
        limits.limit_mode(),
    );
    if let Some(limit) = limit {
        let _: Duration = limits.headroom_for(limit);
    }
    let _: (Option<Limit>, Option<Limit>, LimitMode) = (
        limits.get_create_invitation(),
        limits.get_bulk_create_invitations(),
        limits.get_mode(),
    );
    let _ = RateLimits::none();

    let _: Duration = clock.now();
    let sleep: Sleep = clock.sleep(Duration::ZERO);
    drop(sleep);
    let _: TokioClock = TokioClock::default();
}

/// The error type, its classification and every detail type it carries.
fn errors(error: &Error) {
    let _: Option<reqwest::StatusCode> = error.status();
    let _: Option<&str> = error.trace_id();
    let _: Option<Duration> = error.retry_after();
    let _: Vec<&ErrorCode> = error.codes().collect();
    let _: Option<&ValidationError> = error.validation();
    let _: Option<Operation> = error.operation();
    let _: [bool; 8] = [
        error.is_duplicate_invitation(),
        error.is_already_member(),
        error.is_not_found(),
        error.is_rate_limited(),
        error.is_authentication(),
        error.is_quota_exceeded(),
        error.is_retryable(),
        error.maybe_processed(),
    ];
    let _: Delivery = error.delivery();
    let _ = [
        Delivery::NotSent,
        Delivery::Rejected,
        Delivery::Unknown,
        Delivery::Processed,
    ];
    if let Some(api) = error.api() {
        let api: &ApiError = api;
        let _: (Operation, reqwest::StatusCode) = (api.operation(), api.status());
        let details: &[ErrorDetail] = api.errors();
        for detail in details {
            let _: (&ErrorCode, &String, &String) =
                (&detail.code, &detail.message, &detail.long_message);
            let _: &serde_json::Map<String, serde_json::Value> = &detail.meta;
        }
        let _ = (api.meta(), api.trace_id(), api.retry_after());
        let _: (Option<&str>, bool) = (api.raw_body(), api.is_body_cut());
    }
    if let Some(unresolved) = error.unresolved() {
        let unresolved: &UnresolvedError = unresolved;
        let _: (Operation, Unsettled) = (unresolved.operation(), unresolved.why());
        let _: (&Error, Option<&Error>) = (unresolved.last_attempt(), unresolved.lookup_error());
        let _ = [
            Unsettled::LookupFailed,
            Unsettled::NotFound,
            Unsettled::NoClockEvidence,
        ];
    }
    match error {
        Error::InvalidRequest(invalid) => {
            let _: (&str, &str) = (invalid.field(), invalid.rule());
        }
        Error::Config(config) => {
            let config: &ConfigError = config;
            let _: (&str, &str) = (config.setting(), config.rule());
        }
        Error::Api(api) | Error::RateLimited(api) => {
            let _: &ApiError = api;
        }
        Error::Timeout(transport) | Error::Transport(transport) => {
            let transport: &TransportError = transport;
            let _: (Operation, Phase) = (transport.operation(), transport.phase());
            let _: (bool, Delivery) = (transport.is_body_too_large(), transport.delivery());
            let _ = [Phase::Connect, Phase::Request, Phase::ResponseBody];
        }
        Error::Decode(decode) => {
            let decode: &DecodeError = decode;
            let _: (Operation, reqwest::StatusCode, &[u8]) =
                (decode.operation(), decode.status(), decode.body());
        }
        Error::BudgetExhausted(exhausted) => {
            let exhausted: &BudgetExhausted = exhausted;
            let _: (Budget, Duration) = (exhausted.budget(), exhausted.retry_after());
        }
        Error::Unresolved(_) | Error::Internal(_) => {}
        _ => {}
    }
}

/// Models and the operation and budget vocabularies.
fn models(invitation: &OrganizationInvitation, page: &Page<OrganizationInvitation>) {
    let _: (&String, &String, &Role, &InvitationStatus) = (
        &invitation.id,
        &invitation.email_address,
        &invitation.role,
        &invitation.status,
    );
    let _: Option<&PublicInviterData> = invitation.public_inviter_data.as_ref();
    let _: Option<&PublicOrganizationData> = invitation.public_organization_data.as_ref();
    let _: (&Vec<OrganizationInvitation>, u64) = (&page.data, page.total_count);
    let _: (&str, Role, Role) = (Role::ADMIN.as_str(), Role::new("org:x"), Role::MEMBER);
    let _: (&str, InvitationStatus) = (
        InvitationStatus::Revoked.as_str(),
        InvitationStatus::parse("expired"),
    );
    let _: (&str, ErrorCode) = (
        ErrorCode::DuplicateRecord.as_str(),
        ErrorCode::parse("form_param_missing"),
    );
    let operation = Operation::CreateInvitation;
    let _: (&str, bool, bool) = (
        operation.id(),
        operation.is_idempotent(),
        operation.creates_invitations(),
    );
    let _: &str = Budget::BulkCreateInvitations.as_str();
    let _ = [KeyKind::Test, KeyKind::Live, KeyKind::Other];
}

#[cfg(feature = "webhooks")]
fn webhooks() {
    use clerk_orgs::webhooks::{
        DEFAULT_MAX_BODY_BYTES, SIGNING_SECRET_ENV, TIMESTAMP_TOLERANCE, WebhookHeader,
    };
    use clerk_orgs::{Event, VerifiedEvent, Webhook, WebhookError, WebhookHeaders};

    let _: (usize, &str, Duration) = (
        DEFAULT_MAX_BODY_BYTES,
        SIGNING_SECRET_ENV,
        TIMESTAMP_TOLERANCE,
    );
    let webhook: Result<Webhook, WebhookError> =
        Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let _: Result<Webhook, WebhookError> = Webhook::from_env();
    if let Ok(webhook) = webhook {
        let webhook = webhook.with_max_body_bytes(1024);
        let _: usize = webhook.max_body_bytes();
        let headers: Vec<(String, String)> = Vec::new();
        let verified: Result<VerifiedEvent, WebhookError> = webhook.verify(&headers, b"{}");
        if let Ok(verified) = verified {
            let _: &str = verified.event_type();
        }
        let _: String = webhook.sign("msg_1", 0, b"{}");
    }
    fn _headers(headers: &dyn WebhookHeaders, event: &Event, header: WebhookHeader) {
        let _ = headers.header("svix-id");
        let _ = (event.event_type(), event.invitation(), event.membership());
        let _: (&str, &str) = (header.svix_name(), header.standard_name());
    }
}

#[cfg(feature = "axum")]
fn _axum(verified: clerk_orgs::webhooks::VerifiedWebhook) -> clerk_orgs::VerifiedEvent {
    verified.0
}

/// Budgets shared through Redis, their counters and the fleet they saw.
#[cfg(feature = "redis")]
fn shared_budgets(budgets: clerk_orgs::RedisBudgets) -> Result<(), Error> {
    use clerk_orgs::{FleetShare, Pacing, RedisBudgets, RedisFailure, SharedBudgetStats};
    let _: Result<RedisBudgets, Error> = RedisBudgets::new("redis://127.0.0.1:6379");
    let budgets: RedisBudgets = budgets
        .namespace("app")
        .timeout(clerk_orgs::DEFAULT_REDIS_TIMEOUT)
        .on_failure(RedisFailure::FailCall)
        .use_client_clock();
    let _: ClientBuilder = Client::builder().shared_budgets(budgets.clone());
    let stats: SharedBudgetStats = budgets.stats();
    let _: (u64, u64, u64, u64, u64, u64) = (
        stats.acquired,
        stats.waits,
        stats.fallbacks,
        stats.failed_calls,
        stats.pauses_shared,
        stats.redis_errors,
    );
    let _: (u32, Pacing) = (stats.fleet_size, stats.pacing);
    let _ = [Pacing::Shared, Pacing::OwnShare, Pacing::Rejoining];
    if let Some(share) = stats.share(Budget::BulkCreateInvitations) {
        let share: FleetShare = share;
        let _: (Budget, u32, u32, Duration) =
            (share.budget, share.fleet_size, share.requests, share.window);
    }
    let _: String = clerk_orgs::namespace_for_key("sk_test_x");
    let _ = RedisFailure::FallBackToLocal;
    Ok(())
}

#[test]
fn every_documented_path_still_exists() {
    // Naming the functions is the test: they only have to compile.
    let _ = requests;
    let _ = policies;
    let _ = errors;
    let _ = models;
    #[cfg(feature = "webhooks")]
    let _ = webhooks;
    #[cfg(feature = "redis")]
    let _ = shared_budgets;
    assert_eq!(MAX_BULK_SIZE, 10);
}
