//! Measures how many requests per second the fake serves on loopback, to check it never
//! bottlenecks a client benchmark: `cargo run --release -p clerk-fake --example load`.
//!
//! Bounded: a fixed number of requests from a fixed number of concurrent clients.

use std::time::Instant;

use clerk_fake::{ADMIN_ROLE, FakeClerk, Organization, RateLimits, User};

const CLIENTS: usize = 32;
const REQUESTS_PER_CLIENT: usize = 500;

#[tokio::main]
async fn main() {
    #[allow(deprecated)] // ring's provider, as clerk-orgs uses it (see its client.rs)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeClerk::builder()
        .rate_limits(RateLimits::unlimited())
        .request_log_cap(1_000)
        .start()
        .await
        .expect("fake starts");
    fake.add_organization(Organization::new("org_load", "Load"));
    fake.add_user(User::new("user_admin", "admin@load.test"));
    fake.add_membership("org_load", "user_admin", ADMIN_ROLE)
        .expect("seeded");

    let gets_only = std::env::args().any(|arg| arg == "--gets-only");
    let posts_only = std::env::args().any(|arg| arg == "--posts-only");
    let client = reqwest::Client::new();
    let base = format!("{}/v1/organizations/org_load/invitations", fake.base_url());
    // Lists return full pages, as they would in a real benchmark.
    for n in 0..20 {
        let response = client
            .post(&base)
            .bearer_auth(fake.secret_key())
            .json(&serde_json::json!({"email_address": format!("seed{n}@load.test"), "role": "org:member"}))
            .send()
            .await
            .expect("seed response");
        assert!(response.status().is_success());
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|worker| {
            let (client, base, key) = (client.clone(), base.clone(), fake.secret_key().to_owned());
            tokio::spawn(async move {
                for n in 0..REQUESTS_PER_CLIENT {
                    // Alternate creates and list pages, the mix a client benchmark produces.
                    let request = if (n % 2 == 0 || posts_only) && !gets_only {
                        client.post(&base).json(&serde_json::json!({
                            "email_address": format!("w{worker}n{n}@load.test"),
                            "role": "org:member",
                        }))
                    } else {
                        client.get(format!("{base}?limit=10"))
                    };
                    let response = request.bearer_auth(&key).send().await.expect("response");
                    assert!(response.status().is_success());
                    response.bytes().await.expect("body");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("worker");
    }
    let elapsed = started.elapsed();
    let total = CLIENTS * REQUESTS_PER_CLIENT;
    println!(
        "{total} requests in {elapsed:.2?}: {:.0} requests/s",
        total as f64 / elapsed.as_secs_f64()
    );
}
