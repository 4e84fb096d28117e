//! Webhook delivery: events, signatures, Svix's retry schedule on the virtual clock, the
//! delivery log, the background worker and the fake-only accept route.

mod common;

use std::time::Duration;

use clerk_fake::{
    DeliveryOutcome, FakeClerk, WEBHOOK_RETRY_SCHEDULE, WebhookEndpointError,
    generate_webhook_secret,
};
use common::receiver::{Received, Receiver};
use common::spec::assert_matches_webhook_event;
use common::{ADMIN, Api, MEMBER, ORG};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn api_with_endpoint() -> (Api, Receiver) {
    let api = Api::new().await;
    let receiver = Receiver::start().await;
    api.fake
        .add_webhook_endpoint(&receiver.url, SECRET)
        .unwrap();
    (api, receiver)
}

fn types(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn creates_revokes_and_accepts_are_delivered_signed_in_clerk_s_shapes() {
    let (api, mut receiver) = api_with_endpoint().await;
    let one = api.invite("one@example.com").await;
    let bulk = api
        .post(
            &format!("/organizations/{ORG}/invitations/bulk"),
            json!([
                {"email_address": "two@example.com", "role": "org:member", "inviter_user_id": ADMIN},
                {"email_address": "three@example.com", "role": "org:admin", "inviter_user_id": ADMIN},
            ]),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK);
    let one_id = one.body["id"].as_str().unwrap();
    let two_id = bulk.body["data"][0]["id"].as_str().unwrap();
    let three_id = bulk.body["data"][1]["id"].as_str().unwrap();
    let revoked = api
        .post(
            &format!("/organizations/{ORG}/invitations/{two_id}/revoke"),
            json!({"requesting_user_id": ADMIN}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let user_id = api.fake.accept_invitation(three_id).unwrap();
    // Nothing leaves before something drives deliveries on the virtual clock.
    assert!(receiver.drain().is_empty());
    assert_eq!(api.fake.pending_webhook_attempts(), 6);

    assert_eq!(api.fake.deliver_due().await, 6);
    let received = receiver.drain();
    assert_eq!(
        types(&received),
        [
            "organizationInvitation.created",
            "organizationInvitation.created",
            "organizationInvitation.created",
            "organizationInvitation.revoked",
            "organizationInvitation.accepted",
            "organizationMembership.created",
        ]
    );
    for request in &received {
        request.assert_signed_with(SECRET);
        assert_matches_webhook_event(&request.json());
        assert_eq!(request.path, "/webhooks/clerk");
        assert_eq!(request.header("content-type"), "application/json");
        assert!(request.header("svix-id").starts_with("msg_"));
        let envelope = request.json();
        assert_eq!(envelope["object"], "event");
        assert_eq!(envelope["timestamp"], clerk_fake::DEFAULT_START_MS);
        assert!(
            envelope["instance_id"]
                .as_str()
                .unwrap()
                .starts_with("ins_")
        );
    }
    let ids: std::collections::HashSet<_> = received.iter().map(|r| r.header("svix-id")).collect();
    assert_eq!(ids.len(), 6, "one message id per event");
    let body = |id: &str| id.split_once('_').map(|(_, body)| body.to_owned());
    assert_ne!(
        body(received[0].header("svix-id")),
        body(one_id),
        "ids look unrelated"
    );

    // The invitation as the API answered it, in every invitation event.
    assert_eq!(received[0].json()["data"], one.body);
    assert_eq!(received[0].json()["data"]["id"], one_id);
    assert_eq!(received[3].json()["data"]["status"], "revoked");
    let accepted = &received[4].json()["data"];
    assert_eq!(accepted["id"], three_id);
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["user_id"], user_id.as_str());
    let membership = &received[5].json()["data"];
    assert_eq!(membership["object"], "organization_membership");
    assert_eq!(
        membership["id"],
        api.fake.membership(ORG, &user_id).unwrap().id.as_str(),
        "the stored membership"
    );
    assert_eq!(membership["role"], "org:admin");
    assert_eq!(membership["organization"]["id"], ORG);
    assert_eq!(membership["organization"]["members_count"], 3);
    assert_eq!(membership["public_user_data"]["user_id"], user_id.as_str());
    assert_eq!(
        membership["public_user_data"]["identifier"],
        "three@example.com"
    );

    let log = api.fake.webhook_deliveries();
    assert_eq!(log.len(), 6);
    assert!(log.iter().all(|d| d.attempt == 1
        && d.outcome == DeliveryOutcome::Status(204)
        && d.next_attempt_at_ms.is_none()));
    assert_eq!(api.fake.pending_webhook_attempts(), 0);
}

#[tokio::test]
async fn a_failed_attempt_is_retried_with_the_same_svix_id_when_the_clock_gets_there() {
    let (api, mut receiver) = api_with_endpoint().await;
    receiver.answer(&[500]);
    api.invite("retry@example.com").await;

    assert_eq!(api.fake.deliver_due().await, 1);
    let first = receiver.drain();
    let due = clerk_fake::DEFAULT_START_MS + 5_000;
    assert_eq!(api.fake.next_webhook_attempt_at_ms(), Some(due));
    // Not due yet: nothing goes out.
    api.fake.clock().advance(Duration::from_millis(4_999));
    assert_eq!(api.fake.deliver_due().await, 0);
    api.fake.clock().advance(Duration::from_millis(1));
    assert_eq!(api.fake.deliver_due().await, 1);
    let second = receiver.drain();

    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    assert_eq!(first[0].header("svix-id"), second[0].header("svix-id"));
    assert_eq!(first[0].body, second[0].body);
    second[0].assert_signed_with(SECRET);
    let log = api.fake.webhook_deliveries();
    let summary: Vec<_> = log
        .iter()
        .map(|d| (d.attempt, d.outcome.clone(), d.next_attempt_at_ms))
        .collect();
    assert_eq!(
        summary,
        [
            (1, DeliveryOutcome::Status(500), Some(due)),
            (2, DeliveryOutcome::Status(204), None),
        ]
    );
    assert_eq!(log[1].attempted_at_ms, due);
    assert_eq!(api.fake.pending_webhook_attempts(), 0);
}

#[tokio::test]
async fn an_unreachable_endpoint_gets_eight_attempts_on_svix_s_schedule() {
    let api = Api::new().await;
    // A port that was just free: nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    api.fake.add_webhook_endpoint(&url, SECRET).unwrap();
    api.invite("nobody@example.com").await;

    while let Some(due) = api.fake.next_webhook_attempt_at_ms() {
        let now = api.fake.clock().now_ms();
        api.fake
            .clock()
            .advance(Duration::from_millis(u64::try_from(due - now).unwrap()));
        assert_eq!(api.fake.deliver_due().await, 1);
    }
    let log = api.fake.webhook_deliveries();
    assert_eq!(log.len(), 8);
    assert!(
        log.iter()
            .all(|d| matches!(d.outcome, DeliveryOutcome::Failed(_)))
    );
    assert!(log.iter().all(|d| d.svix_id == log[0].svix_id));
    let gaps: Vec<_> = log
        .windows(2)
        .map(|w| {
            Duration::from_millis(
                u64::try_from(w[1].attempted_at_ms - w[0].attempted_at_ms).unwrap(),
            )
        })
        .collect();
    assert_eq!(gaps, WEBHOOK_RETRY_SCHEDULE[1..]);
    assert_eq!(log[7].next_attempt_at_ms, None, "dropped after the eighth");
    assert_eq!(api.fake.pending_webhook_attempts(), 0);
}

#[tokio::test]
async fn without_endpoints_nothing_is_queued() {
    let api = Api::new().await;
    api.invite("quiet@example.com").await;
    assert_eq!(api.fake.pending_webhook_attempts(), 0);
    assert_eq!(api.fake.deliver_due().await, 0);
    assert!(api.fake.webhook_deliveries().is_empty());
}

#[tokio::test]
async fn every_endpoint_gets_each_message_under_one_svix_id_and_its_own_secret() {
    let (api, mut first) = api_with_endpoint().await;
    let mut second = Receiver::start().await;
    let secret = api
        .fake
        .add_webhook_endpoint_with_new_secret(&second.url)
        .unwrap();
    assert!(secret.starts_with("whsec_"));
    api.invite("both@example.com").await;
    assert_eq!(api.fake.deliver_due().await, 2);
    let (a, b) = (first.drain(), second.drain());
    a[0].assert_signed_with(SECRET);
    b[0].assert_signed_with(&secret);
    assert_eq!(a[0].header("svix-id"), b[0].header("svix-id"));
}

#[tokio::test]
async fn bad_endpoints_are_refused() {
    let fake = FakeClerk::start().await;
    for url in ["https://example.com/hook", "/hook", "not a url"] {
        assert!(
            matches!(
                fake.add_webhook_endpoint(url, SECRET),
                Err(WebhookEndpointError::InvalidUrl { .. })
            ),
            "{url}"
        );
    }
    for secret in ["whsec_!!!", "whsec_", "not base64!", "  "] {
        let error = fake
            .add_webhook_endpoint("http://127.0.0.1:1/hook", secret)
            .unwrap_err();
        assert!(matches!(error, WebhookEndpointError::InvalidSecret { .. }));
        let encoded = secret.trim().trim_start_matches("whsec_");
        assert!(
            encoded.is_empty() || !error.to_string().contains(encoded),
            "never echoes the secret"
        );
    }
    assert_ne!(generate_webhook_secret(), generate_webhook_secret());
}

#[tokio::test]
async fn the_worker_delivers_by_itself_on_the_real_clock() {
    let api = Api::with(FakeClerk::builder().real_clock().start().await.unwrap());
    let mut receiver = Receiver::start().await;
    api.fake
        .add_webhook_endpoint(&receiver.url, SECRET)
        .unwrap();
    api.invite("worker@example.com").await;
    let received = tokio::time::timeout(Duration::from_secs(10), receiver.received.recv())
        .await
        .expect("delivered within 10 s")
        .unwrap();
    assert_eq!(received.json()["type"], "organizationInvitation.created");
    received.assert_signed_with(SECRET);
}

#[tokio::test]
async fn the_fake_only_accept_route_accepts_and_answers_clerk_errors() {
    let (api, mut receiver) = api_with_endpoint().await;
    let id = api.invite("curl@example.com").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}/__fake/invitations/{id}/accept", api.fake.base_url());

    let response = api.client.post(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["status"], "accepted");
    assert!(body["user_id"].as_str().unwrap().starts_with("user_"));
    assert_eq!(
        api.fake.invitation(&id).unwrap().status,
        clerk_fake::InvitationStatus::Accepted
    );

    let again = api.client.post(&url).send().await.unwrap();
    // Clerk's `OrganizationInvitationNotPending` is a 404 (its error catalog).
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["errors"][0]["code"],
        "organization_invitation_not_pending"
    );
    let unknown = format!(
        "{}/__fake/invitations/orginv_nope/accept",
        api.fake.base_url()
    );
    let missing = api.client.post(&unknown).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // Fake-only routes stay out of the API's request log.
    assert!(
        api.fake
            .request_log()
            .requests()
            .iter()
            .all(|r| !r.path_and_query.starts_with("/__fake"))
    );

    api.fake.deliver_due().await;
    assert_eq!(
        types(&receiver.drain()),
        [
            "organizationInvitation.created",
            "organizationInvitation.accepted",
            "organizationMembership.created",
        ]
    );
}

#[tokio::test]
async fn membership_creates_updates_and_deletes_are_delivered_in_clerk_s_shapes() {
    let (api, mut receiver) = api_with_endpoint().await;
    api.fake
        .add_user(clerk_fake::User::new("user_new", "new@example.com").with_name("New", "Person"));
    let base = format!("/organizations/{ORG}/memberships");
    let created = api
        .post(&base, json!({"user_id": "user_new", "role": "org:member"}))
        .await;
    let role = api
        .patch(&format!("{base}/user_new"), json!({"role": "org:admin"}))
        .await;
    let metadata = api
        .patch(
            &format!("{base}/user_new/metadata"),
            json!({"private_metadata": {"seat": 4}}),
        )
        .await;
    let deleted = api.delete(&format!("{base}/{MEMBER}")).await;
    // Refusals and reads announce nothing.
    api.delete(&format!("{base}/user_stranger")).await;
    api.get(&base).await;
    // Seeding is not an event either.
    api.fake.add_membership(ORG, MEMBER, "org:member").unwrap();

    assert_eq!(api.fake.deliver_due().await, 4);
    let received = receiver.drain();
    assert_eq!(
        types(&received),
        [
            "organizationMembership.created",
            "organizationMembership.updated",
            "organizationMembership.updated",
            "organizationMembership.deleted",
        ]
    );
    for request in &received {
        request.assert_signed_with(SECRET);
        assert_matches_webhook_event(&request.json());
    }
    // Each event carries the membership as the API answered it.
    for (request, answer) in received.iter().zip([&created, &role, &metadata, &deleted]) {
        assert_eq!(request.json()["data"], answer.body);
    }
    assert_eq!(received[1].json()["data"]["role"], "org:admin");
    assert_eq!(
        received[2].json()["data"]["private_metadata"],
        json!({"seat": 4})
    );
    let gone = &received[3].json()["data"];
    assert_eq!(gone["public_user_data"]["user_id"], MEMBER);
    assert_eq!(gone["organization"]["members_count"], 2, "after the delete");
}

#[tokio::test]
async fn an_answer_lost_after_processing_still_sends_its_event() {
    let (api, mut receiver) = api_with_endpoint().await;
    api.fake
        .faults()
        .on(clerk_fake::Route::DeleteMembership)
        .next(clerk_fake::Fault::ProcessedThenDropped);
    let lost = api
        .client
        .delete(api.url(&format!("/organizations/{ORG}/memberships/{MEMBER}")))
        .bearer_auth(api.fake.secret_key())
        .send()
        .await;
    assert!(lost.is_err(), "no answer");
    assert!(api.fake.membership(ORG, MEMBER).is_none(), "but done");
    api.fake.deliver_due().await;
    assert_eq!(types(&receiver.drain()), ["organizationMembership.deleted"]);
}

#[tokio::test]
async fn a_secret_without_its_prefix_or_with_spaces_signs_like_the_dashboard_form() {
    // clerk-orgs' `Webhook::new` takes `whsec_<base64>`, bare `<base64>` and surrounding
    // whitespace; the fake takes the same, so one configured secret serves both sides.
    let bare = SECRET.strip_prefix("whsec_").unwrap();
    for secret in [bare.to_owned(), format!("  {SECRET}\n")] {
        let (api, mut receiver) = (Api::new().await, Receiver::start().await);
        api.fake
            .add_webhook_endpoint(&receiver.url, &secret)
            .unwrap();
        api.invite("bare@example.com").await;
        assert_eq!(api.fake.deliver_due().await, 1);
        let received = receiver.drain();
        received[0].assert_signed_with(SECRET);
    }
}

/// The svix-id of the first event of a fake built by `builder`.
async fn first_svix_id(builder: clerk_fake::FakeClerkBuilder) -> String {
    let api = Api::with(builder.start().await.unwrap());
    let mut receiver = Receiver::start().await;
    api.fake
        .add_webhook_endpoint(&receiver.url, SECRET)
        .unwrap();
    api.invite("ids@example.com").await;
    assert_eq!(api.fake.deliver_due().await, 1);
    receiver.drain()[0].header("svix-id").to_owned()
}

#[tokio::test]
async fn svix_ids_differ_between_fakes_unless_a_seed_makes_them_repeat() {
    let (a, b) = (
        first_svix_id(FakeClerk::builder()).await,
        first_svix_id(FakeClerk::builder()).await,
    );
    assert_ne!(a, b, "two fakes, two id series");
    let seeded = |seed| FakeClerk::builder().webhook_id_seed(seed);
    assert_eq!(
        first_svix_id(seeded(42)).await,
        first_svix_id(seeded(42)).await
    );
    assert_ne!(
        first_svix_id(seeded(42)).await,
        first_svix_id(seeded(43)).await
    );
}

#[tokio::test]
async fn endpoints_given_to_the_builder_are_there_from_the_start() {
    let mut receiver = Receiver::start().await;
    let api = Api::with(
        FakeClerk::builder()
            .webhook_endpoint(&receiver.url, SECRET)
            .start()
            .await
            .unwrap(),
    );
    api.invite("early@example.com").await;
    assert_eq!(api.fake.deliver_due().await, 1);
    receiver.drain()[0].assert_signed_with(SECRET);

    let refused = FakeClerk::builder()
        .webhook_endpoint("https://example.com/hook", SECRET)
        .start()
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
}

// The tests build tokio without `io-util`, so the raw receiver reads and writes with `try_*`.
async fn read_some(stream: &tokio::net::TcpStream, buf: &mut [u8]) -> usize {
    loop {
        stream.readable().await.unwrap();
        match stream.try_read(buf) {
            Ok(read) => return read,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

async fn write_all(stream: &tokio::net::TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        stream.writable().await.unwrap();
        match stream.try_write(bytes) {
            Ok(written) => bytes = &bytes[written..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {e}"),
        }
    }
}

/// A receiver that reads each request, writes `answer` and closes at once, as an HTTP/1.0-style
/// server does (Python's `http.server`). Returns its URL and the `svix-id` of every request it
/// read, in order (sent before it answers).
async fn closing_receiver(
    answer: &'static [u8],
) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (seen, ids) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                // The head, then as much body as Content-Length says.
                let head_end = loop {
                    if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                    let read = read_some(&stream, &mut chunk).await;
                    assert_ne!(read, 0, "the fake closed before sending its request");
                    request.extend_from_slice(&chunk[..read]);
                };
                let head = String::from_utf8(request[..head_end].to_vec()).unwrap();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|line| {
                            let (key, value) = line.split_once(':')?;
                            key.eq_ignore_ascii_case(name)
                                .then(|| value.trim().to_owned())
                        })
                        .unwrap()
                };
                let length: usize = header("content-length").parse().unwrap();
                while request.len() < head_end + length {
                    let read = read_some(&stream, &mut chunk).await;
                    assert_ne!(read, 0, "the fake closed mid-body");
                    request.extend_from_slice(&chunk[..read]);
                }
                seen.send(header("svix-id")).unwrap();
                write_all(&stream, answer).await;
                // Dropping the stream closes it right after the answer.
            });
        }
    });
    (url, ids)
}

#[tokio::test]
async fn a_200_followed_by_a_close_counts_as_delivered_and_is_never_sent_again() {
    const EVENTS: usize = 30;
    let api = Api::new().await;
    let (url, mut ids) =
        closing_receiver(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    api.fake.add_webhook_endpoint(&url, SECRET).unwrap();
    for n in 0..EVENTS {
        let created = api.invite(&format!("close{n}@example.com")).await;
        assert_eq!(created.status, StatusCode::OK);
    }

    assert_eq!(api.fake.deliver_due().await, EVENTS);
    let log = api.fake.webhook_deliveries();
    let failed: Vec<_> = log
        .iter()
        .filter(|d| d.outcome != DeliveryOutcome::Status(200))
        .map(|d| &d.outcome)
        .collect();
    assert!(failed.is_empty(), "answered 200 but logged as {failed:?}");
    assert_eq!(log.len(), EVENTS);
    assert!(
        log.iter()
            .all(|d| d.attempt == 1 && d.next_attempt_at_ms.is_none())
    );
    assert_eq!(api.fake.pending_webhook_attempts(), 0, "no retry queued");

    // Past the whole retry schedule, nothing more goes out.
    let schedule: Duration = WEBHOOK_RETRY_SCHEDULE.iter().sum();
    api.fake.clock().advance(schedule + Duration::from_secs(1));
    assert_eq!(api.fake.deliver_due().await, 0);
    assert_eq!(api.fake.webhook_deliveries().len(), EVENTS);

    let mut received = Vec::new();
    while let Ok(id) = ids.try_recv() {
        received.push(id);
    }
    assert_eq!(
        received.len(),
        EVENTS,
        "each event reached the receiver once"
    );
    let distinct: std::collections::HashSet<_> = received.iter().collect();
    assert_eq!(distinct.len(), EVENTS, "no svix-id twice");
    let logged: Vec<_> = log.iter().map(|d| d.svix_id.clone()).collect();
    assert_eq!(received, logged);
}

#[tokio::test]
async fn a_close_without_an_answer_is_a_failed_attempt_retried_later() {
    let api = Api::new().await;
    let (url, mut ids) = closing_receiver(b"").await;
    api.fake.add_webhook_endpoint(&url, SECRET).unwrap();
    api.invite("hangup@example.com").await;

    assert_eq!(api.fake.deliver_due().await, 1);
    let log = api.fake.webhook_deliveries();
    assert_eq!(log.len(), 1);
    assert!(
        matches!(&log[0].outcome, DeliveryOutcome::Failed(why) if !why.contains("no response within")),
        "failed at once, not by the timeout: {:?}",
        log[0].outcome
    );
    assert_eq!(
        log[0].next_attempt_at_ms,
        Some(log[0].attempted_at_ms + 5_000),
        "retried on the schedule"
    );
    assert_eq!(api.fake.pending_webhook_attempts(), 1);
    assert_eq!(ids.try_recv().unwrap(), log[0].svix_id);
}
