//! Receives Clerk's webhooks and prints the organization-invitation lifecycle.
//!
//! ```sh
//! export CLERK_WEBHOOK_SIGNING_SECRET=whsec_...   # the endpoint's signing secret
//! cargo run -p clerk-orgs --example webhooks --features axum -- --port 8788
//! ```
//!
//! It serves `POST /webhooks/clerk` on 127.0.0.1, verifies every request with
//! [`VerifiedWebhook`] (a bad or missing signature gets a 400 and is never processed) and prints
//! one line per event on stdout: the type, the invitation (or membership), and the `svix-id`,
//! which stays the same when Clerk retries. `--fail-first` answers 500 to the first verified
//! delivery, to watch the retry arrive. Point Clerk's dashboard (through a tunnel) or
//! `cargo run -p clerk-fake -- --webhook-url http://127.0.0.1:8788/webhooks/clerk` at it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use clap::Parser;
use clerk_orgs::webhooks::{Event, VerifiedWebhook, Webhook};

/// Verifies Clerk's webhooks and prints organization-invitation events.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8788)]
    port: u16,
    /// Answer 500 to the first verified delivery, so the sender retries it.
    #[arg(long)]
    fail_first: bool,
}

#[derive(Clone)]
struct AppState {
    webhook: Webhook,
    fail_next: Arc<AtomicBool>,
}

// VerifiedWebhook takes the verifier from the state.
impl FromRef<AppState> for Webhook {
    fn from_ref(state: &AppState) -> Webhook {
        state.webhook.clone()
    }
}

async fn clerk_webhook(
    State(state): State<AppState>,
    VerifiedWebhook(verified): VerifiedWebhook,
) -> StatusCode {
    let svix_id = &verified.id;
    if state.fail_next.swap(false, Ordering::SeqCst) {
        eprintln!("{svix_id}: answering 500 on purpose (--fail-first)");
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    // A real handler would skip svix_ids it already processed: deliveries can repeat.
    match &verified.event {
        Event::OrganizationInvitationCreated(invitation)
        | Event::OrganizationInvitationRevoked(invitation) => println!(
            "{} {} {} svix-id={svix_id}",
            verified.event_type(),
            invitation.id,
            invitation.email_address
        ),
        Event::OrganizationInvitationAccepted {
            invitation,
            user_id,
        } => println!(
            "{} {} {} user={} svix-id={svix_id}",
            verified.event_type(),
            invitation.id,
            invitation.email_address,
            user_id.as_deref().unwrap_or("?")
        ),
        Event::OrganizationMembershipCreated(membership) => println!(
            "{} {} {} as {} svix-id={svix_id}",
            verified.event_type(),
            membership.organization.id,
            membership
                .public_user_data
                .as_ref()
                .map_or("?", |user| user.user_id.as_str()),
            membership.role
        ),
        other => println!("{} (ignored) svix-id={svix_id}", other.event_type()),
    }
    // Any 2xx tells Clerk the message arrived.
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let webhook = match Webhook::from_env() {
        Ok(webhook) => webhook,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    let state = AppState {
        webhook,
        fail_next: Arc::new(AtomicBool::new(args.fail_first)),
    };
    let app = Router::new()
        .route("/webhooks/clerk", post(clerk_webhook))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    // Scripts and tests wait for this line (and read the port from it with --port 0).
    println!(
        "listening on http://{}/webhooks/clerk",
        listener.local_addr()?
    );
    axum::serve(listener, app).await
}
