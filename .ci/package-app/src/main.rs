//! Invites one person into an embedded `clerk-fake` with `clerk-orgs`, receives the webhook the
//! fake sends for it, verifies it with `clerk-orgs`' axum extractor and checks its type against
//! the event types `clerk-bapi-sys` generates. Exits non-zero on any failure.

use std::error::Error;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use clerk_fake::{DEMO_ADMIN, DEMO_ORG, FakeClerk};
use clerk_orgs::webhooks::{Event, VerifiedEvent, VerifiedWebhook, Webhook};
use clerk_orgs::{Client, Role};
use tokio::sync::mpsc;

#[derive(Clone)]
struct Receiver {
    webhook: Webhook,
    events: mpsc::UnboundedSender<VerifiedEvent>,
}

impl axum::extract::FromRef<Receiver> for Webhook {
    fn from_ref(receiver: &Receiver) -> Webhook {
        receiver.webhook.clone()
    }
}

/// Answers only once the event is passed on, so it is waiting when `deliver_due` returns.
async fn receive(
    State(receiver): State<Receiver>,
    VerifiedWebhook(event): VerifiedWebhook,
) -> StatusCode {
    match receiver.events.send(event) {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let fake = FakeClerk::start().await;
    fake.seed_demo();

    let secret = clerk_fake::generate_webhook_secret();
    let (events, mut received) = mpsc::unbounded_channel();
    let receiver = Receiver {
        webhook: Webhook::new(&secret)?,
        events,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/clerk", listener.local_addr()?);
    let router = Router::new()
        .route("/webhooks/clerk", post(receive))
        .with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, router).await });
    fake.add_webhook_endpoint(&url, &secret)?;

    let client = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .build()?;
    let invitation = client
        .organization(DEMO_ORG)
        .invitations()
        .create("alice@example.com", Role::MEMBER)
        .inviter_user_id(DEMO_ADMIN)
        .send()
        .await?;
    println!("invited {} as {}", invitation.email_address, invitation.id);

    let attempts = fake.deliver_due().await;
    let verified = received
        .try_recv()
        .map_err(|_| format!("{attempts} webhook attempt(s), none verified"))?;
    let event_type = verified.event_type().to_owned();
    match &verified.event {
        Event::OrganizationInvitationCreated(created) if created.id == invitation.id => {}
        other => return Err(format!("unexpected event: {other:?}").into()),
    }
    if !clerk_bapi_sys::webhook_events::EVENT_TYPES
        .iter()
        .any(|(name, _)| *name == event_type)
    {
        return Err(format!("{event_type} is not among clerk-bapi-sys's event types").into());
    }
    println!(
        "verified webhook {event_type} for {} (svix-id {})",
        invitation.id, verified.id
    );
    Ok(())
}
