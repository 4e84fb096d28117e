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
    ApiError, Budget, BudgetExhausted, CheckRole, Client, ClientBuilder, ConfigError,
    CreateInvitation, CreateInvitationsBulk, CreateMembership, DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_HEADROOM, DEFAULT_MAX_WAIT, DEFAULT_ROLE_CACHE_TTL,
    DEFAULT_TIMEOUT, DecodeError, DeleteMembership, Delivery, Error, ErrorCode, ErrorDetail,
    FindMembership, GetInvitation, InstanceInvitations, InstanceMemberships, InvitationStatus,
    Invitations, InviteAll, InviteOutcome, InviteResult, Jitter, KeyKind, Limit, LimitMode,
    ListInstanceInvitations, ListInstanceMemberships, ListInvitations, ListMemberships,
    ListPendingInvitations, ListRoles, ListUserInvitations, MAX_BULK_SIZE, MISS_REFRESH_AFTER,
    Memberships, NewInvitation, Operation, Organization, OrganizationHandle,
    OrganizationInvitation, OrganizationMembership, OrganizationRole, OrganizationRoles, Page,
    Permission, Phase, Progress, PublicInviterData, PublicOrganizationData, PublicUserData,
    RateLimits, Removal, RetryPolicy, RevokeInvitation, Role, TransportError, USER_AGENT,
    UnresolvedError, Unsettled, UpdateMembershipMetadata, UpdateMembershipRole, UserHandle,
    UserInvitations, ValidationError,
};
use futures::stream::BoxStream;

type Invitation = Result<OrganizationInvitation, Error>;
type OnePage = Result<Page<OrganizationInvitation>, Error>;

type Membership = Result<OrganizationMembership, Error>;
type MembershipPage = Result<Page<OrganizationMembership>, Error>;

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
const _ROLE_CACHE: (Duration, Duration) = (DEFAULT_ROLE_CACHE_TTL, MISS_REFRESH_AFTER);

/// The client, its builder and every handle and request builder, with the options each takes.
async fn requests(client: Client) -> Result<(), Error> {
    let builder: ClientBuilder = Client::builder()
        .secret_key("sk_test_x")
        .base_url("http://127.0.0.1:1")
        .timeout(Duration::from_secs(1))
        .connect_timeout(Duration::from_secs(1))
        .retry(RetryPolicy::default())
        .rate_limits(RateLimits::default())
        .clock(Arc::new(TokioClock::new()))
        .check_roles(true)
        .role_cache_ttl(Duration::from_secs(60));
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
        .rate_limit_mode(LimitMode::FailFast)
        .check_role(true);
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
        .rate_limit_mode(LimitMode::Wait)
        .check_role(false);
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

    memberships(&client, &organization).await;

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

/// Memberships (per organization and instance-wide) and roles, with every option.
async fn memberships(client: &Client, organization: &OrganizationHandle) {
    let members: Memberships = organization.memberships();
    let at = chrono::Utc::now();
    let list: ListMemberships = members
        .list()
        .user_id("user_1")
        .user_ids(["user_2"])
        .exclude_user_id("user_3")
        .email_address("a@example.com")
        .email_addresses(["b@example.com"])
        .phone_number("+15555550100")
        .phone_numbers(["+15555550101"])
        .username("ada")
        .usernames(["bob"])
        .web3_wallet("0x1")
        .web3_wallets(["0x2"])
        .role(Role::ADMIN)
        .roles(["org:billing"])
        .query("ada")
        .email_address_query("@example.com")
        .phone_number_query("555")
        .username_query("ad")
        .name_query("Ada")
        .last_active_at_before(at)
        .last_active_at_after(at)
        .created_at_before(at)
        .created_at_after(at)
        .order_by("-created_at")
        .limit(10)
        .offset(0)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: BoxStream<'static, Membership> = list.clone().stream();
    let _: MembershipPage = list.send().await;

    let find: FindMembership = members
        .find("user_1")
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Result<Option<OrganizationMembership>, Error> = find.send().await;
    let create: CreateMembership = members
        .create("user_1", Role::MEMBER)
        .public_metadata(serde_json::json!({}))
        .private_metadata(serde_json::json!({}))
        .check_role(true)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Result<(), Error> = create.validate();
    let _: Membership = create.send().await;
    let role: UpdateMembershipRole = members
        .update_role("user_1", "org:billing")
        .check_role(false)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Membership = role.send().await;
    let metadata: UpdateMembershipMetadata = members
        .update_metadata("user_1")
        .public_metadata(serde_json::json!({"a": null}))
        .private_metadata(serde_json::json!({}))
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Membership = metadata.send().await;
    let delete: DeleteMembership = members
        .delete("user_1")
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    if let Ok(removal) = delete.send().await {
        let removal: Removal = removal;
        let _: Option<&OrganizationMembership> = removal.membership();
        match removal {
            Removal::Removed(_) | Removal::Gone => {}
            _ => {}
        }
    }

    let everywhere: InstanceMemberships = client.organization_memberships();
    let instance: ListInstanceMemberships = everywhere
        .list()
        .order_by("+email_address")
        .limit(10)
        .offset(0)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: BoxStream<'static, Membership> = instance.clone().stream();
    let _: MembershipPage = instance.send().await;

    let roles: OrganizationRoles = client.organization_roles();
    let list: ListRoles = roles
        .list()
        .query("bill")
        .order_by("+key")
        .limit(10)
        .offset(0)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: BoxStream<'static, Result<OrganizationRole, Error>> = list.clone().stream();
    let _: Result<Page<OrganizationRole>, Error> = list.send().await;
    let check: CheckRole = roles
        .check(Role::MEMBER)
        .retry(RetryPolicy::none())
        .rate_limit_mode(LimitMode::Wait);
    let _: Result<OrganizationRole, Error> = check.send().await;
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
    let _: [bool; 11] = [
        error.is_duplicate_invitation(),
        error.is_already_member(),
        error.is_last_admin(),
        error.is_role_not_found(),
        error.is_not_found(),
        error.is_not_pending(),
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
            Unsettled::Changed,
        ];
    }
    match error {
        Error::InvalidRequest(invalid) => {
            let _: (&str, &str, bool) =
                (invalid.field(), invalid.rule(), invalid.is_unknown_role());
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

/// The membership and role models, with every field.
fn membership_models(membership: &OrganizationMembership, role: &OrganizationRole) {
    let _: (&String, &Role, &Option<String>, &Vec<String>) = (
        &membership.id,
        &membership.role,
        &membership.role_name,
        &membership.permissions,
    );
    let _: (
        &serde_json::Map<String, serde_json::Value>,
        &serde_json::Map<String, serde_json::Value>,
    ) = (&membership.public_metadata, &membership.private_metadata);
    let _: (Option<&str>, Option<&str>) = (membership.user_id(), membership.identifier());
    let _: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        (membership.created_at, membership.updated_at);
    let organization: &Organization = &membership.organization;
    let _: (&String, &String, &String, &Option<String>, bool) = (
        &organization.id,
        &organization.name,
        &organization.slug,
        &organization.image_url,
        organization.has_image,
    );
    let _: (Option<u64>, Option<u64>, u64, bool) = (
        organization.members_count,
        organization.pending_invitations_count,
        organization.max_allowed_memberships,
        organization.admin_delete_enabled,
    );
    let _: (&Option<String>, &Option<String>) =
        (&organization.created_by, &organization.role_set_key);
    let _ = (
        &organization.public_metadata,
        &organization.private_metadata,
        organization.created_at,
        organization.updated_at,
    );
    if let Some(user) = &membership.public_user_data {
        let user: &PublicUserData = user;
        let _: (&String, &Option<String>, &Option<String>, &Option<String>) = (
            &user.user_id,
            &user.first_name,
            &user.last_name,
            &user.identifier,
        );
        let _: (&Option<String>, &String, bool, Option<bool>, Option<bool>) = (
            &user.username,
            &user.image_url,
            user.has_image,
            user.banned,
            user.deprovisioned,
        );
    }
    let _: (&String, &Role, &String, &Option<String>, bool) = (
        &role.id,
        &role.key,
        &role.name,
        &role.description,
        role.is_creator_eligible,
    );
    let _ = (role.created_at, role.updated_at);
    for permission in &role.permissions {
        let permission: &Permission = permission;
        let _: (&String, &String, &String, &String, &String) = (
            &permission.id,
            &permission.key,
            &permission.name,
            &permission.description,
            &permission.kind,
        );
        let _ = (permission.created_at, permission.updated_at);
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
    let _: (&str, bool, bool, bool) = (
        operation.id(),
        operation.is_idempotent(),
        operation.is_read(),
        operation.creates_invitations(),
    );
    let _ = [
        Operation::ListMemberships,
        Operation::CreateMembership,
        Operation::UpdateMembership,
        Operation::UpdateMembershipMetadata,
        Operation::DeleteMembership,
        Operation::ListInstanceMemberships,
        Operation::ListRoles,
    ];
    let _ = [
        ErrorCode::OrganizationMinimumPermissionsNeeded,
        ErrorCode::AtLeastOneAdminNeeded,
        ErrorCode::OrganizationMembershipManagedByScim,
        ErrorCode::ExclusiveOrganizationMembership,
        ErrorCode::PersonalAccountsNotAllowed,
    ];
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
    let _ = membership_models;
    #[cfg(feature = "webhooks")]
    let _ = webhooks;
    #[cfg(feature = "redis")]
    let _ = shared_budgets;
    assert_eq!(MAX_BULK_SIZE, 10);
}
