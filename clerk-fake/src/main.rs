//! `cargo run -p clerk-fake -- --port 8787`: a fake Clerk for curl and manual testing.

use clap::Parser;
use clerk_fake::{ADMIN_ROLE, FakeClerk, KeyKind, Organization, RateLimits, User};

/// Serves a fake Clerk Backend API (organization invitations) on 127.0.0.1 until Ctrl-C.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Issue a production (`sk_live_`) key instead of a development (`sk_test_`) one.
    #[arg(long)]
    live: bool,
    /// Turn Clerk's rate limits off (for benchmarks).
    #[arg(long)]
    no_rate_limits: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let key_kind = if args.live {
        KeyKind::Live
    } else {
        KeyKind::Test
    };
    let mut builder = FakeClerk::builder().port(args.port).key_kind(key_kind);
    if args.no_rate_limits {
        builder = builder.rate_limits(RateLimits::unlimited());
    }
    let fake = builder.start().await?;
    fake.add_organization(Organization::new("org_demo", "Demo Org"));
    fake.add_user(User::new("user_admin", "admin@demo.test").with_name("Demo", "Admin"));
    fake.add_membership("org_demo", "user_admin", ADMIN_ROLE)
        .map_err(std::io::Error::other)?;

    println!("base URL:   {}", fake.base_url());
    println!("secret key: {}", fake.secret_key());
    println!("seeded:     organization org_demo, admin user_admin (admin@demo.test)");
    println!(
        "try: curl -s -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' \\\n       -d '{{\"email_address\":\"new@demo.test\",\"role\":\"org:member\",\"inviter_user_id\":\"user_admin\"}}' \\\n       {}/v1/organizations/org_demo/invitations",
        fake.secret_key(),
        fake.base_url()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
