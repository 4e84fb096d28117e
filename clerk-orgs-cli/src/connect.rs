//! Where a command sends: Clerk when `CLERK_SECRET_KEY` is set (through `CLERK_API_URL` if
//! that is set too), otherwise a clerk-fake embedded in this process for the one command,
//! seeded with a small demo world. Both get the run's budgets ([`ClientArgs`]).

use std::sync::Arc;
use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, DEMO_ADMIN, DEMO_ORG, FakeClerk, MEMBER_ROLE, Organization, User};
use clerk_orgs::clock::{Clock, Sleep};
use clerk_orgs::{Client, ClientBuilder, Limit, RateLimits};

use crate::flags::ClientArgs;

/// The members the embedded fake seeds beside the admin: (user id, email, first, last, role).
/// `user_kim` is a user of the instance without a membership, for `members add`.
const DEMO_MEMBERS: [(&str, &str, &str, &str, Option<&str>); 3] = [
    (
        "user_maria",
        "maria@demo.test",
        "Maria",
        "Garcia",
        Some(MEMBER_ROLE),
    ),
    ("user_sam", "sam@demo.test", "Sam", "Lee", Some(DEMO_ROLE)),
    ("user_kim", "kim@demo.test", "Kim", "Park", None),
];
/// A custom role of the demo instance, beside Clerk's `org:admin` and `org:member`.
const DEMO_ROLE: &str = "org:billing";

/// Whether `CLERK_SECRET_KEY` is unset (or empty): then every command runs against the
/// embedded fake.
pub fn fake_mode() -> bool {
    std::env::var("CLERK_SECRET_KEY").map_or(true, |key| key.is_empty())
}

/// The organization a command acts on: `--org` if given, `org_demo` on the fake; with a key,
/// `--org` is required (there is no organization to assume at Clerk).
pub fn organization(org: Option<&str>) -> Result<String, String> {
    match org {
        Some(org) if org.trim().is_empty() => Err("--org must not be empty".to_owned()),
        Some(org) => Ok(org.to_owned()),
        None if fake_mode() => Ok(DEMO_ORG.to_owned()),
        None => Err("--org is required when CLERK_SECRET_KEY is set".to_owned()),
    }
}

/// What the embedded fake must hold for a command: its organization and an admin of it. Its
/// roles are the demo world's (`org:admin`, `org:member`, `org:billing`), whatever the command
/// names: a role the demo instance lacks is refused there as Clerk would refuse it.
#[derive(Debug, Clone)]
pub struct Seed {
    pub organization_id: String,
    pub admin: String,
}

impl Seed {
    /// The organization with the demo admin, `user_admin`.
    pub fn organization(organization_id: impl Into<String>) -> Self {
        Self {
            organization_id: organization_id.into(),
            admin: DEMO_ADMIN.to_owned(),
        }
    }
}

/// A client for the command, and the embedded fake it talks to, if any (kept alive with it).
pub struct Connection {
    pub client: Client,
    fake: Option<FakeClerk>,
    /// The fake's virtual clock when the command was ready to send, in ms.
    fake_opened_ms: i64,
    #[cfg(feature = "redis")]
    shared_budgets: Option<clerk_orgs::RedisBudgets>,
}

impl Connection {
    /// Clerk with a key, otherwise a new embedded fake seeded with `seed` (and the demo world).
    /// `tune` adds what the command wants of the client (`check_roles`, say).
    pub async fn open(
        args: &ClientArgs,
        seed: &Seed,
        tune: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Self, String> {
        let (builder, fake) = if fake_mode() {
            let fake = start_fake(seed).await?;
            let builder = Client::builder()
                .secret_key(fake.secret_key().to_owned())
                .base_url(fake.base_url())
                .clock(Arc::new(FakeTime(fake.clock().clone())));
            (builder, Some(fake))
        } else {
            let key = std::env::var("CLERK_SECRET_KEY").unwrap_or_default();
            let mut builder = Client::builder().secret_key(key);
            if let Some(url) = std::env::var("CLERK_API_URL")
                .ok()
                .filter(|url| !url.is_empty())
            {
                builder = builder.base_url(url);
            }
            (builder, None)
        };
        let (builder, _shared) = budgets(tune(builder), args)?;
        let client = builder.build().map_err(|e| e.to_string())?;
        match &fake {
            Some(fake) => eprintln!(
                "CLERK_SECRET_KEY is not set: talking to a LOCAL FAKE Clerk (clerk-fake) at {}, \
                 seeded with organization {} and admin {}. Nothing reaches Clerk, and the \
                 fake's state ends with this command; rate-limit waits run on its virtual \
                 clock. Set CLERK_SECRET_KEY to talk to Clerk.",
                fake.base_url(),
                seed.organization_id,
                seed.admin
            ),
            None => eprintln!("Talking to Clerk at {}.", client.base_url()),
        }
        Ok(Self {
            client,
            fake_opened_ms: fake.as_ref().map_or(0, |fake| fake.clock().now_ms()),
            fake,
            #[cfg(feature = "redis")]
            shared_budgets: _shared,
        })
    }

    /// On the embedded fake, how long the run waited for Clerk's rate limits on the fake's
    /// virtual clock (when a second or more), on stderr: against Clerk those waits take real
    /// time.
    pub fn report_fake_pacing(&self) {
        let Some(fake) = &self.fake else {
            return;
        };
        let paced = fake.clock().now_ms().saturating_sub(self.fake_opened_ms);
        if paced >= 1_000 {
            eprintln!(
                "rate-limit pacing took {} on the fake's virtual clock; against Clerk that is \
                 real time",
                crate::output::duration_text(u64::try_from(paced / 1_000).unwrap_or(0))
            );
        }
    }

    /// What the shared budgets did during the run (with `--redis`), on stderr.
    #[cfg(feature = "redis")]
    pub fn report_shared_budgets(&self) {
        let Some(budgets) = &self.shared_budgets else {
            return;
        };
        let stats = budgets.stats();
        eprintln!(
            "shared budgets: {} acquired, {} waits, {} fallbacks, {} failed calls, \
             {} pauses shared, {} Redis errors; a fleet of {} processes seen, pacing {:?}",
            stats.acquired,
            stats.waits,
            stats.fallbacks,
            stats.failed_calls,
            stats.pauses_shared,
            stats.redis_errors,
            stats.fleet_size,
            stats.pacing
        );
        for budget in [
            clerk_orgs::Budget::BulkCreateInvitations,
            clerk_orgs::Budget::CreateInvitation,
            clerk_orgs::Budget::AllRequests,
        ] {
            if let Some(share) = stats.share(budget) {
                eprintln!(
                    "  {budget}: {} processes; this one's share without Redis {} per {:?}",
                    share.fleet_size, share.requests, share.window
                );
            }
        }
    }

    #[cfg(not(feature = "redis"))]
    pub fn report_shared_budgets(&self) {}
}

/// The shared budgets of a run with `--redis`, kept to report their counters at the end.
#[cfg(feature = "redis")]
type SharedBudgets = Option<clerk_orgs::RedisBudgets>;
#[cfg(not(feature = "redis"))]
type SharedBudgets = ();

/// The budgets of the run: Clerk's, each `--*-limit` on top, shared through `--redis` if given.
fn budgets(
    builder: ClientBuilder,
    args: &ClientArgs,
) -> Result<(ClientBuilder, SharedBudgets), String> {
    let limit = |limit: clerk_fake::Limit| Limit::new(limit.requests, limit.window);
    let mut limits = RateLimits::default();
    if let Some(bulk) = args.bulk_limit {
        limits = limits.bulk_create_invitations(limit(bulk));
    }
    if let Some(create) = args.create_limit {
        limits = limits.create_invitation(limit(create));
    }
    if let Some(global) = args.global_limit {
        limits = limits.all_requests(limit(global));
    }
    if let Some(headroom) = args.headroom {
        limits = limits.headroom(headroom);
    }
    let builder = builder.rate_limits(limits);
    match args.redis.as_deref().filter(|url| !url.is_empty()) {
        None => Ok((builder, SharedBudgets::default())),
        Some(url) => with_redis(builder, url),
    }
}

#[cfg(feature = "redis")]
fn with_redis(builder: ClientBuilder, url: &str) -> Result<(ClientBuilder, SharedBudgets), String> {
    let budgets = clerk_orgs::RedisBudgets::new(url).map_err(|e| e.to_string())?;
    eprintln!("Sharing Clerk's budgets through Redis ({budgets:?}).");
    Ok((builder.shared_budgets(budgets.clone()), Some(budgets)))
}

#[cfg(not(feature = "redis"))]
fn with_redis(_: ClientBuilder, _: &str) -> Result<(ClientBuilder, SharedBudgets), String> {
    Err("--redis (or REDIS_URL) needs clerk-orgs-cli built with its `redis` feature".to_owned())
}

/// Starts the embedded fake and seeds it: the demo world (`org_demo`, its admin and members),
/// and the command's organization and admin if they are others.
async fn start_fake(seed: &Seed) -> Result<FakeClerk, String> {
    let fake = FakeClerk::builder()
        .start()
        .await
        .map_err(|e| format!("cannot start the local fake Clerk: {e}"))?;
    let seeding = |e: clerk_fake::SeedError| format!("cannot seed the local fake Clerk: {e}");
    fake.seed_demo();
    fake.add_role(DEMO_ROLE, "Billing");
    if seed.organization_id != DEMO_ORG {
        fake.add_organization(Organization::new(seed.organization_id.as_str(), "Demo Org"));
    }
    if seed.admin != DEMO_ADMIN {
        let email = format!("{}@demo.test", seed.admin);
        fake.add_user(User::new(seed.admin.as_str(), email).with_name("Demo", "Admin"));
    }
    fake.add_membership(&seed.organization_id, &seed.admin, ADMIN_ROLE)
        .map_err(seeding)?;
    // The members joined a day apart, after the admin, as a real organization's would.
    for (user_id, email, first, last, role) in DEMO_MEMBERS {
        fake.add_user(User::new(user_id, email).with_name(first, last));
        if let Some(role) = role {
            fake.clock().advance(Duration::from_secs(24 * 3600));
            fake.add_membership(&seed.organization_id, user_id, role)
                .map_err(seeding)?;
        }
    }
    Ok(fake)
}

/// clerk-fake's virtual clock as the client's: a rate-limit wait moves it forward instead of
/// sleeping, so runs larger than Clerk's hourly budgets finish at once against the fake.
#[derive(Debug)]
struct FakeTime(clerk_fake::Clock);

impl Clock for FakeTime {
    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_ms()).unwrap_or(0))
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let millis = u64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        self.0.advance(Duration::from_millis(millis));
        Box::pin(std::future::ready(()))
    }
}
