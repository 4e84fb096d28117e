//! `cargo run -p clerk-fake -- --port 8787`: a fake Clerk for curl, other processes and
//! manual testing.
//!
//! It runs on the real clock by default: nothing outside the process can advance a virtual one,
//! so a client that hit a limit would be locked out for good. The `base URL:` and `secret key:`
//! lines on stdout are what scripts and multi-process tests read; keep their form. Nothing is
//! printed before the fake is ready: webhook endpoints registered and the demo world seeded, so
//! a script may act on the first line it reads.

use clap::Parser;
use clerk_fake::{FakeClerk, KeyKind, Limit, RateLimits};

/// Serves a fake Clerk Backend API (organization invitations, memberships and roles) on
/// 127.0.0.1 until Ctrl-C.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Issue a production (`sk_live_`) key instead of a development (`sk_test_`) one.
    #[arg(long)]
    live: bool,
    /// Turn Clerk's rate limits off (for benchmarks); the --*-limit flags still apply.
    #[arg(long)]
    no_rate_limits: bool,
    /// Limit on every request, as N/DURATION with a unit of ms, s, m or h
    /// [Clerk: 100/10s, 1000/10s with --live].
    #[arg(long, value_name = "N/DUR")]
    global_limit: Option<Limit>,
    /// Limit on single invitation creates, e.g. 20/1m [Clerk: 250/1h].
    #[arg(long, value_name = "N/DUR")]
    create_limit: Option<Limit>,
    /// Limit on bulk invitation creates, e.g. 10/5s [Clerk: 50/1h].
    #[arg(long, value_name = "N/DUR")]
    bulk_limit: Option<Limit>,
    /// Limit on role and metadata updates, per membership, e.g. 2/10s [Clerk: 10/10s].
    #[arg(long, value_name = "N/DUR")]
    membership_update_limit: Option<Limit>,
    /// Keep the clock still at 2026-01-01T00:00:00Z, as in tests. Nothing can advance it from
    /// outside, so a client that reaches a limit stays refused until restart.
    #[arg(long)]
    virtual_clock: bool,
    /// POST signed webhooks (invitation created, revoked, accepted; membership created, updated,
    /// deleted) to this http:// URL, retried on Svix's schedule. Repeat for more endpoints.
    #[arg(long, value_name = "URL")]
    webhook_url: Vec<String>,
    /// The endpoints' signing secret, whsec_<base64> (or bare base64); a new one is generated
    /// and printed if not given.
    #[arg(
        long,
        value_name = "WHSEC",
        env = "CLERK_WEBHOOK_SIGNING_SECRET",
        hide_env_values = true
    )]
    webhook_secret: Option<String>,
    /// Start webhook message ids (svix-id) from this seed, so runs repeat them; by default
    /// they are random, so a restarted fake never repeats an id a receiver has seen.
    #[arg(long, value_name = "N")]
    webhook_id_seed: Option<u64>,
}

impl Args {
    /// Clerk's limits for the key kind (or none), then each flag on top.
    fn rate_limits(&self, key_kind: KeyKind) -> RateLimits {
        let mut limits = if self.no_rate_limits {
            RateLimits::unlimited()
        } else {
            RateLimits::clerk_defaults(key_kind)
        };
        if let Some(limit) = self.global_limit {
            limits = limits.global(limit.requests, limit.window);
        }
        if let Some(limit) = self.create_limit {
            limits = limits.create(limit.requests, limit.window);
        }
        if let Some(limit) = self.bulk_limit {
            limits = limits.bulk(limit.requests, limit.window);
        }
        if let Some(limit) = self.membership_update_limit {
            limits = limits.membership_update(limit.requests, limit.window);
        }
        limits
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let key_kind = if args.live {
        KeyKind::Live
    } else {
        KeyKind::Test
    };
    let limits = args.rate_limits(key_kind);
    let mut builder = FakeClerk::builder()
        .port(args.port)
        .key_kind(key_kind)
        .rate_limits(limits);
    if !args.virtual_clock {
        builder = builder.real_clock();
    }
    // Nothing outside the process can call deliver_due, so deliveries always run by themselves.
    builder = builder.webhook_worker(true);
    if let Some(seed) = args.webhook_id_seed {
        builder = builder.webhook_id_seed(seed);
    }
    // Endpoints are registered before the fake listens and everything is ready before the first
    // line is printed: a script that acts on that line must not lose an event.
    let generated_secret = args.webhook_secret.is_none();
    let secret = args
        .webhook_secret
        .clone()
        .unwrap_or_else(clerk_fake::generate_webhook_secret);
    for url in &args.webhook_url {
        builder = builder.webhook_endpoint(url, &secret);
    }
    let fake = builder.start().await?;
    fake.seed_demo();

    println!("base URL:   {}", fake.base_url());
    println!("secret key: {}", fake.secret_key());
    println!("seeded:     organization org_demo, admin user_admin (admin@demo.test)");
    println!("limits:     {limits}");
    println!(
        "clock:      {}",
        if fake.clock().is_real() {
            "real (system time)"
        } else {
            "virtual (stands still at 2026-01-01T00:00:00Z)"
        }
    );
    if !args.webhook_url.is_empty() {
        for url in &args.webhook_url {
            println!("webhook:    POST {url}");
        }
        if generated_secret {
            println!("webhook secret: {secret}");
        } else {
            println!("webhook secret: as given (--webhook-secret or CLERK_WEBHOOK_SIGNING_SECRET)");
        }
        println!(
            "accept:     curl -s -X POST {}/__fake/invitations/ORGINV_ID/accept",
            fake.base_url()
        );
    }
    println!(
        "try: curl -s -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' \\\n       -d '{{\"email_address\":\"new@demo.test\",\"role\":\"org:member\",\"inviter_user_id\":\"user_admin\"}}' \\\n       {}/v1/organizations/org_demo/invitations",
        fake.secret_key(),
        fake.base_url()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
