//! The standalone binary as a script uses it: ready by the time it prints anything, and
//! webhook message ids that a restarted fake never repeats (unless asked to).

mod common;

use std::time::Duration;

use common::binary::Binary;
use common::receiver::{Received, Receiver};
use serde_json::json;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Starts the binary with one webhook endpoint and reads only up to its secret key (the second
/// line): (process, base URL, secret key).
fn start(receiver: &Receiver, extra: &[&str]) -> (Binary, String, String) {
    let mut args = vec![
        "--port",
        "0",
        "--webhook-url",
        &receiver.url,
        "--webhook-secret",
        SECRET,
    ];
    args.extend_from_slice(extra);
    let mut binary = Binary::spawn(&args);
    let base_url = binary.read_until("base URL:");
    assert_eq!(binary.banner.len(), 1, "the base URL is the first line");
    let secret_key = binary.read_until("secret key:");
    binary.drain();
    (binary, base_url, secret_key)
}

async fn invite(base_url: &str, secret_key: &str, email: &str) {
    let reply = common::client()
        .post(format!("{base_url}/v1/organizations/org_demo/invitations"))
        .bearer_auth(secret_key)
        .json(
            &json!({"email_address": email, "role": "org:member", "inviter_user_id": "user_admin"}),
        )
        .send()
        .await
        .expect("an answer");
    assert_eq!(reply.status(), reqwest::StatusCode::OK);
}

/// The next delivery; the fake's worker sends it within moments, the bound only keeps a broken
/// fake from hanging the test.
async fn next_delivery(receiver: &mut Receiver) -> Received {
    tokio::time::timeout(Duration::from_secs(30), receiver.received.recv())
        .await
        .expect("a delivery within 30 s")
        .expect("the receiver is running")
}

#[tokio::test]
async fn an_invitation_created_as_soon_as_the_first_lines_are_read_is_delivered() {
    let mut receiver = Receiver::start().await;
    let (_binary, base_url, secret_key) = start(&receiver, &[]);
    // At once: before this fix the endpoint was registered after the banner was printed.
    invite(&base_url, &secret_key, "first@demo.test").await;
    let delivery = next_delivery(&mut receiver).await;
    assert_eq!(delivery.json()["type"], "organizationInvitation.created");
    assert_eq!(delivery.json()["data"]["email_address"], "first@demo.test");
    delivery.assert_signed_with(SECRET);
}

#[tokio::test]
async fn two_fakes_started_in_a_row_send_different_first_svix_ids() {
    let mut receiver = Receiver::start().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (binary, base_url, secret_key) = start(&receiver, &[]);
        invite(&base_url, &secret_key, "again@demo.test").await;
        ids.push(
            next_delivery(&mut receiver)
                .await
                .header("svix-id")
                .to_owned(),
        );
        drop(binary);
    }
    assert!(ids.iter().all(|id| id.starts_with("msg_")), "{ids:?}");
    assert_ne!(ids[0], ids[1], "a restarted fake must not repeat svix-ids");
}

#[tokio::test]
async fn a_seeded_fake_repeats_its_svix_ids_on_purpose() {
    let mut receiver = Receiver::start().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (binary, base_url, secret_key) = start(&receiver, &["--webhook-id-seed", "7"]);
        invite(&base_url, &secret_key, "seeded@demo.test").await;
        ids.push(
            next_delivery(&mut receiver)
                .await
                .header("svix-id")
                .to_owned(),
        );
        drop(binary);
    }
    assert_eq!(ids[0], ids[1]);
}
