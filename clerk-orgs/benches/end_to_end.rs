//! `create().send()` end to end against a local server, side by side with plain `reqwest` +
//! `serde_json` sending the same request to the same server.
//!
//! Run: `cargo bench -p clerk-orgs --bench end_to_end` (a plain binary, `harness = false`).
//! Without `--bench` (as under `cargo test --benches`) it runs a few requests as a smoke test.
//!
//! - The server is a minimal axum app answering every create with one canned invitation, so the
//!   client's cost is not hidden behind a fake's bookkeeping. It runs in a child process (this
//!   binary re-run with `--serve`), so the CPU time measured here (`getrusage` of this process,
//!   through the `cpu-time` crate) is the client's alone.
//! - Both clients send the same bytes' worth of request (the same JSON body, bearer key,
//!   `Clerk-API-Version`) over keep-alive HTTP/1.1 on loopback, and decode the whole answer:
//!   clerk-orgs into its typed `OrganizationInvitation`, plain into a serde struct of the same
//!   fields.
//! - The clerk-orgs client has its client-side rate limits switched off (`RateLimits::none()`):
//!   with Clerk's defaults it would, by design, send 250 creates an hour. Its retry policy is
//!   the default (no request fails, so nothing is retried).
//! - Sequential: one task, one request at a time. Concurrent: 32 tasks sharing one client.
//!   Rounds alternate between the two clients; the table shows the median round.

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clerk_orgs::{Client, RateLimits, Role};
use common::{EMAIL, INVITATION_JSON, INVITER, ORG, PlainCreateBody, PlainInvitation};
use cpu_time::ProcessTime;
use serde_json::json;

const CONCURRENCY: usize = 32;
const KEY: &str = "sk_live_BenchmarkKeyThatIsNotASecret0000";

struct Sizes {
    sequential: usize,
    concurrent: usize,
    rounds: usize,
}

const BENCH: Sizes = Sizes {
    sequential: 4_000,
    concurrent: 16_000,
    rounds: 7,
};
const SMOKE: Sizes = Sizes {
    sequential: 20,
    concurrent: 64,
    rounds: 1,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve();
        return;
    }
    let sizes = if args.iter().any(|a| a == "--bench") {
        BENCH
    } else {
        SMOKE
    };
    let (mut server, base_url) = spawn_server();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(bench(&base_url, &sizes))
    }));
    let _ = server.kill();
    let _ = server.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// The canned server: every POST to an organization's invitations gets the same 200.
fn serve() {
    use axum::Router;
    use axum::http::header;
    use axum::routing::post;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async {
        let app = Router::new().route(
            "/v1/organizations/{organization_id}/invitations",
            post(|body: axum::body::Bytes| async move {
                // Read, as a real server does; answer the canned invitation.
                std::hint::black_box(body);
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    INVITATION_JSON,
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        axum::serve(listener, app).await.expect("serve");
    });
}

fn spawn_server() -> (Child, String) {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("server stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("server prints its address");
    (child, format!("http://{}", line.trim()))
}

/// One way of sending a create.
#[derive(Clone)]
enum Contender {
    ClerkOrgs(Client),
    Plain(Arc<Plain>),
}

struct Plain {
    http: reqwest::Client,
    url: String,
}

impl Contender {
    fn name(&self) -> &'static str {
        match self {
            Contender::ClerkOrgs(_) => "clerk-orgs",
            Contender::Plain(_) => "plain reqwest+serde_json",
        }
    }

    /// Sends one create and decodes the answer.
    async fn create(&self) {
        match self {
            Contender::ClerkOrgs(client) => {
                let invitation = client
                    .organization(ORG)
                    .invitations()
                    .create(EMAIL, Role::MEMBER)
                    .inviter_user_id(INVITER)
                    .public_metadata(json!({"team": "core"}))
                    .expires_in_days(7)
                    .send()
                    .await
                    .expect("clerk-orgs create");
                std::hint::black_box(invitation);
            }
            Contender::Plain(plain) => {
                let response = plain
                    .http
                    .post(&plain.url)
                    .bearer_auth(KEY)
                    .header("Clerk-API-Version", clerk_bapi_sys::CLERK_API_VERSION)
                    .json(&PlainCreateBody::example())
                    .send()
                    .await
                    .expect("plain create");
                assert!(response.status().is_success(), "{}", response.status());
                let body = response.bytes().await.expect("plain body");
                let invitation: PlainInvitation =
                    serde_json::from_slice(&body).expect("plain decode");
                std::hint::black_box(invitation);
            }
        }
    }
}

/// One measured run: wall time and this process's CPU time for `requests` creates.
#[derive(Clone, Copy)]
struct Sample {
    requests: usize,
    wall: Duration,
    cpu: Duration,
}

impl Sample {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64()
    }

    fn cpu_micros_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.requests as f64
    }
}

async fn sequential(contender: &Contender, requests: usize) -> Sample {
    let (wall, cpu) = (Instant::now(), ProcessTime::now());
    for _ in 0..requests {
        contender.create().await;
    }
    Sample {
        requests,
        wall: wall.elapsed(),
        cpu: cpu.elapsed(),
    }
}

async fn concurrent(contender: &Contender, requests: usize) -> Sample {
    let per_task = requests / CONCURRENCY;
    let (wall, cpu) = (Instant::now(), ProcessTime::now());
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let contender = contender.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    contender.create().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    Sample {
        requests: per_task * CONCURRENCY,
        wall: wall.elapsed(),
        cpu: cpu.elapsed(),
    }
}

fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    samples[samples.len() / 2]
}

async fn bench(base_url: &str, sizes: &Sizes) {
    // The plain client needs a process-wide rustls provider (reqwest is built without one);
    // clerk-orgs passes its own ring config and does not use it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ours = Contender::ClerkOrgs(
        Client::builder()
            .secret_key(KEY)
            .base_url(base_url)
            .rate_limits(RateLimits::none())
            .build()
            .expect("clerk-orgs client"),
    );
    let plain = Contender::Plain(Arc::new(Plain {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client"),
        url: format!("{base_url}/v1/organizations/{ORG}/invitations"),
    }));
    let contenders = [ours, plain];

    // Warm up both: connections, allocator, branch predictors.
    for contender in &contenders {
        concurrent(contender, CONCURRENCY * 8).await;
    }

    println!(
        "create().send() against a canned local server (server in a child process), \
         median of {} rounds",
        sizes.rounds
    );
    println!(
        "{:<11} {:<26} {:>9} {:>12} {:>15}",
        "mode", "client", "requests", "requests/s", "client CPU/req"
    );
    let mut ratios = Vec::new();
    for (mode, requests) in [
        ("sequential", sizes.sequential),
        ("32 tasks", sizes.concurrent),
    ] {
        let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
        for round in 0..sizes.rounds {
            // Alternate who goes first, so drift in the machine's load hits both alike.
            for i in [round % 2, 1 - round % 2] {
                let sample = if mode == "sequential" {
                    sequential(&contenders[i], requests).await
                } else {
                    concurrent(&contenders[i], requests).await
                };
                samples[i].push(sample);
            }
        }
        let [ours, plain] = samples.map(median);
        for (contender, sample) in contenders.iter().zip([ours, plain]) {
            println!(
                "{:<11} {:<26} {:>9} {:>12.0} {:>12.1} µs",
                mode,
                contender.name(),
                sample.requests,
                sample.per_second(),
                sample.cpu_micros_per_request()
            );
        }
        ratios.push((
            mode,
            ours.per_second() / plain.per_second(),
            ours.cpu_micros_per_request() / plain.cpu_micros_per_request(),
        ));
    }
    println!();
    println!("clerk-orgs / plain: throughput ratio (goal >= 0.95), client CPU per request ratio");
    for (mode, throughput, cpu) in ratios {
        println!("{mode:<11} throughput x{throughput:.3}   CPU/request x{cpu:.3}");
    }
}
