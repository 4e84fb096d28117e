//! The webhook loop end to end over real HTTP: clerk-fake delivers signed events to the
//! `webhooks` example, run as a user runs it (the compiled binary, a child process).
//!
//! The fake runs in this process on its virtual clock, so the test decides when attempts go out
//! (`deliver_due`) and when a retry becomes due (advancing the clock by Svix's 5 s); no sleeps.
//! The example prints each event before it answers, so once `deliver_due` returns, its lines
//! are already in the pipe.

#[path = "support/example_binary.rs"]
mod example_binary;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, DeliveryOutcome, FakeClerk, Organization, User};
use clerk_orgs::{Client, Role};

const ORG: &str = "org_hooks";
const ADMIN: &str = "user_admin";
/// Bounds every wait for the child, so a broken example fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);

/// The example binary, built on first use with the `axum` feature it requires.
fn example() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| example_binary::build("webhooks", &["axum"]))
}

/// The running example; killed on drop, so a failing assertion leaves no process behind.
struct Handler {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    url: String,
}

impl Handler {
    fn start(secret: &str, args: &[&str]) -> Self {
        let mut child = Command::new(example())
            .args(args)
            .env("CLERK_WEBHOOK_SIGNING_SECRET", secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let stdout = lines(child.stdout.take().expect("piped stdout"));
        let stderr = lines(child.stderr.take().expect("piped stderr"));
        let mut handler = Self {
            child,
            stdout,
            stderr,
            url: String::new(),
        };
        let first = handler.next_line();
        handler.url = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("a listening line, got {first:?}"))
            .to_owned();
        handler
    }

    fn next_line(&self) -> String {
        self.stdout.recv_timeout(PATIENCE).unwrap_or_else(|_| {
            let stderr: Vec<_> = self.stderr.try_iter().collect();
            panic!("no line from the example; its stderr: {stderr:?}")
        })
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Forwards a pipe's lines to a channel from a thread, so reading never blocks the runtime.
fn lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The `svix-id=` field of an example's line.
fn svix_id(line: &str) -> &str {
    line.rsplit_once("svix-id=").map_or("", |(_, id)| id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_delivers_the_invitation_lifecycle_to_the_example_with_a_retry_after_a_500() {
    let fake = FakeClerk::start().await;
    fake.add_organization(Organization::new(ORG, "Hooks Inc"));
    fake.add_user(User::new(ADMIN, "admin@hooks.test"));
    fake.add_membership(ORG, ADMIN, ADMIN_ROLE).unwrap();
    let secret = clerk_fake::generate_webhook_secret();
    let handler = tokio::task::spawn_blocking({
        let secret = secret.clone();
        move || Handler::start(&secret, &["--port", "0", "--fail-first"])
    })
    .await
    .unwrap();
    fake.add_webhook_endpoint(&handler.url, &secret).unwrap();

    let client = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let invitation = client
        .organization(ORG)
        .invitations()
        .create("alice@example.com", Role::MEMBER)
        .inviter_user_id(ADMIN)
        .send()
        .await
        .unwrap();

    // The first attempt is verified, then refused with 500 (--fail-first).
    assert_eq!(fake.deliver_due().await, 1);
    let refused = handler
        .stderr
        .recv_timeout(PATIENCE)
        .expect("the example reports the 500");
    assert!(refused.contains("answering 500"), "{refused}");
    // Svix's first retry comes 5 s later, on the fake's clock.
    assert_eq!(fake.deliver_due().await, 0);
    fake.clock().advance(Duration::from_secs(5));
    assert_eq!(fake.deliver_due().await, 1);
    let created = handler.next_line();
    assert_eq!(
        created,
        format!(
            "organizationInvitation.created {} alice@example.com svix-id={}",
            invitation.id,
            svix_id(&created)
        )
    );
    assert!(
        refused.starts_with(svix_id(&created)),
        "the retry carries the refused attempt's svix-id: {refused} / {created}"
    );

    let user_id = fake.accept_invitation(&invitation.id).unwrap();
    assert_eq!(fake.deliver_due().await, 2);
    let accepted = handler.next_line();
    assert!(
        accepted.starts_with(&format!(
            "organizationInvitation.accepted {} alice@example.com user={user_id} ",
            invitation.id
        )),
        "{accepted}"
    );
    let joined = handler.next_line();
    assert!(
        joined.starts_with(&format!(
            "organizationMembership.created {ORG} {user_id} as org:member "
        )),
        "{joined}"
    );
    assert_ne!(svix_id(&accepted), svix_id(&created));

    // One API request (the create); four delivery attempts, the first refused.
    assert_eq!(fake.request_log().requests().len(), 1);
    let deliveries: Vec<_> = fake
        .webhook_deliveries()
        .into_iter()
        .map(|d| (d.event_type, d.attempt, d.outcome, d.svix_id))
        .collect();
    let created_id = svix_id(&created).to_owned();
    assert_eq!(
        deliveries,
        [
            (
                "organizationInvitation.created".to_owned(),
                1,
                DeliveryOutcome::Status(500),
                created_id.clone()
            ),
            (
                "organizationInvitation.created".to_owned(),
                2,
                DeliveryOutcome::Status(204),
                created_id
            ),
            (
                "organizationInvitation.accepted".to_owned(),
                1,
                DeliveryOutcome::Status(204),
                svix_id(&accepted).to_owned()
            ),
            (
                "organizationMembership.created".to_owned(),
                1,
                DeliveryOutcome::Status(204),
                svix_id(&joined).to_owned()
            ),
        ]
    );
    assert_eq!(fake.pending_webhook_attempts(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_refuses_a_wrongly_signed_delivery_and_the_fake_retries_it() {
    let fake = FakeClerk::start().await;
    fake.add_organization(Organization::new(ORG, "Hooks Inc"));
    fake.add_user(User::new(ADMIN, "admin@hooks.test"));
    fake.add_membership(ORG, ADMIN, ADMIN_ROLE).unwrap();
    let handler = tokio::task::spawn_blocking(|| {
        Handler::start(&clerk_fake::generate_webhook_secret(), &["--port", "0"])
    })
    .await
    .unwrap();
    // A different secret than the handler's: every attempt fails verification.
    let wrong = fake
        .add_webhook_endpoint_with_new_secret(&handler.url)
        .unwrap();
    assert!(wrong.starts_with("whsec_"));
    let client = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    client
        .organization(ORG)
        .invitations()
        .create("mallory@example.com", Role::MEMBER)
        .send()
        .await
        .unwrap();
    assert_eq!(fake.deliver_due().await, 1);
    let log = fake.webhook_deliveries();
    assert_eq!(log[0].outcome, DeliveryOutcome::Status(400));
    assert!(log[0].next_attempt_at_ms.is_some(), "a 4xx is retried too");
    assert!(handler.stdout.try_recv().is_err(), "nothing was printed");
}
