//! Webhook delivery: the fake POSTs Clerk's events to registered endpoints, signed and retried
//! the way Clerk's delivery service (Svix) does.
//!
//! - **Events**: `organizationInvitation.created` (single and bulk creates),
//!   `organizationInvitation.revoked`, on acceptance `organizationInvitation.accepted` followed
//!   by `organizationMembership.created`, and `organizationMembership.created` / `.updated`
//!   (role or metadata) / `.deleted` for the membership routes, in the shapes of Clerk's webhook
//!   spec (`webhooks/2025-04-15.yml`), inside Clerk's envelope
//!   `{"data", "object": "event", "type", "timestamp", "instance_id"}`. The store notes its
//!   changes and [`Webhooks::announce`] turns them into events before the answer is sent, so an
//!   answer lost to a fault still leaves its event behind, as on Clerk.
//! - **Signing** ([Standard Webhooks]): `svix-id` (one `msg_...` per event, the same on every
//!   attempt and every endpoint; random per fake unless seeded, so no two fakes repeat one),
//!   `svix-timestamp` (Unix seconds) and
//!   `svix-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the endpoint's
//!   decoded secret (`whsec_<base64>` or bare `<base64>`, as `clerk-orgs` accepts).
//! - **Retries** follow Svix's schedule ([`WEBHOOK_RETRY_SCHEDULE`]) on the fake's clock. A 2xx
//!   ends a message; any other status, a connection error or a timeout
//!   ([`WEBHOOK_ATTEMPT_TIMEOUT`]) schedules the next attempt; after the eighth it is dropped.
//!
//! Attempts go out when something drives them: [`FakeClerk::deliver_due`] (deterministic, for
//! tests on the virtual clock: advance the clock, then deliver what became due) or the
//! background worker ([`FakeClerkBuilder::webhook_worker`], on by default with the real clock).
//! Both claim attempts under one lock, so each attempt is made once even if both run.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/
//! [`FakeClerk::deliver_due`]: crate::FakeClerk::deliver_due
//! [`FakeClerkBuilder::webhook_worker`]: crate::FakeClerkBuilder::webhook_worker

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
use axum::http::{Request, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::ids::{IdGenerator, random_u64};
use crate::state::{Change, Store};
use crate::wire::{self, Shape};

/// Svix's retry schedule: the delay before each attempt, the first one immediate. A message
/// that fails all eight attempts (about 28 hours on a real clock) is dropped.
pub const WEBHOOK_RETRY_SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// How long one attempt may take, from connecting to the response's status line, in real time
/// (the network is real even on a virtual clock). Shorter than Svix's 15 s so a test against an
/// endpoint that never answers fails fast; a handler should answer at once and work later.
pub const WEBHOOK_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Attempts kept in the delivery log, oldest dropped first.
const DELIVERY_LOG_CAP: usize = 10_000;

/// The `instance_id` of every event: one fake instance, one id.
const INSTANCE_ID: &str = "ins_FakeClerkLocalInstance0000000";

type HmacSha256 = Hmac<Sha256>;

/// Why an endpoint could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookEndpointError {
    /// The URL is not an absolute `http://host[:port]/path` URL. `https` is refused: the fake
    /// has no TLS client, and its endpoints are local handlers.
    #[error("invalid webhook URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The secret is not standard, padded base64, with or without a `whsec_` prefix (never
    /// echoed here).
    #[error("invalid webhook signing secret: {reason}")]
    InvalidSecret {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint answered with this status; 2xx counts as delivered.
    Status(u16),
    /// No answer: the connection failed, broke or timed out.
    Failed(String),
}

impl DeliveryOutcome {
    /// Whether the endpoint took the message (a 2xx status).
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Status(status) if (200..300).contains(status))
    }
}

/// One delivery attempt, as [`FakeClerk::webhook_deliveries`](crate::FakeClerk::webhook_deliveries)
/// lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The endpoint's URL.
    pub endpoint_url: String,
    /// The event type, e.g. `organizationInvitation.created`.
    pub event_type: String,
    /// The message id sent as `svix-id`: the same on every attempt of one message.
    pub svix_id: String,
    /// 1 for the first attempt, up to 8.
    pub attempt: u32,
    /// The fake's clock when the attempt was made, Unix milliseconds.
    pub attempted_at_ms: i64,
    /// `svix-timestamp`: system time in Unix seconds, since receivers check it against theirs.
    pub signed_at: i64,
    /// The signed body (the event envelope).
    pub body: Vec<u8>,
    /// The endpoint's answer.
    pub outcome: DeliveryOutcome,
    /// When the next attempt is due on the fake's clock; `None` once delivered or dropped.
    pub next_attempt_at_ms: Option<i64>,
}

/// A registered endpoint.
struct Endpoint {
    url: String,
    uri: Uri,
    key: Vec<u8>,
}

/// A message waiting for its next attempt at one endpoint.
struct Pending {
    endpoint: usize,
    svix_id: String,
    event_type: String,
    body: Arc<[u8]>,
    /// The attempt about to be made, 1-based.
    attempt: u32,
    due_ms: i64,
    /// Enqueue order: ties on `due_ms` go out in the order events happened.
    seq: u64,
}

struct Inner {
    endpoints: Vec<Endpoint>,
    queue: Vec<Pending>,
    log: VecDeque<WebhookDelivery>,
    ids: IdGenerator,
    seq: u64,
}

/// The endpoints, the retry queue and the delivery log of one fake instance.
pub(crate) struct Webhooks {
    inner: Mutex<Inner>,
    /// Whether any endpoint is registered: read on every store operation, so without a lock.
    has_endpoints: AtomicBool,
    clock: Clock,
    /// Wakes the worker when a message is queued.
    wake: Notify,
}

impl std::fmt::Debug for Webhooks {
    // Secrets stay out of Debug output (tests print fakes on failure).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Webhooks")
            .field(
                "endpoints",
                &inner.endpoints.iter().map(|e| &e.url).collect::<Vec<_>>(),
            )
            .field("queued", &inner.queue.len())
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    /// `id_seed`: where the `msg_` ids start. `None` picks a random start, so two fakes (two
    /// runs of a test, a restarted standalone fake) never send the same svix-id: receivers
    /// remember ids to drop redeliveries. A seed makes them reproducible (simulations).
    pub(crate) fn new(clock: Clock, id_seed: Option<u64>) -> Self {
        Self {
            inner: Mutex::new(Inner {
                endpoints: Vec::new(),
                queue: Vec::new(),
                log: VecDeque::new(),
                ids: IdGenerator::starting_at(id_seed.unwrap_or_else(random_u64)),
                seq: 0,
            }),
            has_endpoints: AtomicBool::new(false),
            clock,
            wake: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every mutation is a single push or retain, so a poisoned lock holds consistent data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add_endpoint(&self, url: &str, secret: &str) -> Result<(), WebhookEndpointError> {
        let uri = parse_url(url)?;
        let key = decode_secret(secret)?;
        self.lock().endpoints.push(Endpoint {
            url: url.to_owned(),
            uri,
            key,
        });
        self.has_endpoints.store(true, Ordering::Release);
        Ok(())
    }

    /// Whether events would go anywhere: the store notes changes only then.
    pub(crate) fn has_endpoints(&self) -> bool {
        self.has_endpoints.load(Ordering::Acquire)
    }

    /// Queues one event for every endpoint, due now.
    fn enqueue(&self, event_type: &str, data: Value, now_ms: i64) {
        let envelope = json!({
            "data": data,
            "object": "event",
            "type": event_type,
            "timestamp": now_ms,
            "instance_id": INSTANCE_ID,
        });
        let body: Arc<[u8]> = serde_json::to_vec(&envelope).unwrap_or_default().into();
        let mut inner = self.lock();
        let svix_id = inner.ids.next_id("msg");
        for endpoint in 0..inner.endpoints.len() {
            inner.seq += 1;
            let seq = inner.seq;
            inner.queue.push(Pending {
                endpoint,
                svix_id: svix_id.clone(),
                event_type: event_type.to_owned(),
                body: body.clone(),
                attempt: 1,
                due_ms: now_ms,
                seq,
            });
        }
        drop(inner);
        self.wake.notify_one();
    }

    /// Makes every attempt due on the fake's clock, one at a time in the order they became due,
    /// and returns how many were made. Failures are rescheduled at least 5 s later, so they are
    /// not due again within this call.
    pub(crate) async fn deliver_due(&self) -> usize {
        let now_ms = self.clock.now_ms();
        let mut due = {
            let mut inner = self.lock();
            let (due, waiting) = std::mem::take(&mut inner.queue)
                .into_iter()
                .partition(|p: &Pending| p.due_ms <= now_ms);
            inner.queue = waiting;
            due
        };
        due.sort_by_key(|p| (p.due_ms, p.seq));
        let attempts = due.len();
        for pending in due {
            self.attempt(pending).await;
        }
        attempts
    }

    async fn attempt(&self, pending: Pending) {
        let Some((uri, url, key)) = self
            .lock()
            .endpoints
            .get(pending.endpoint)
            .map(|e| (e.uri.clone(), e.url.clone(), e.key.clone()))
        else {
            return;
        };
        let attempted_at_ms = self.clock.now_ms();
        let signed_at = system_now_secs();
        let signature = sign(&key, &pending.svix_id, signed_at, &pending.body);
        let outcome = post(&uri, &pending, signed_at, &signature).await;
        let next_attempt_at_ms = if outcome.is_success() {
            None
        } else {
            usize::try_from(pending.attempt)
                .ok()
                .and_then(|attempt| WEBHOOK_RETRY_SCHEDULE.get(attempt))
                .map(|delay| {
                    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                    attempted_at_ms.saturating_add(delay_ms)
                })
        };
        let mut inner = self.lock();
        if inner.log.len() >= DELIVERY_LOG_CAP {
            inner.log.pop_front();
        }
        inner.log.push_back(WebhookDelivery {
            endpoint_url: url,
            event_type: pending.event_type.clone(),
            svix_id: pending.svix_id.clone(),
            attempt: pending.attempt,
            attempted_at_ms,
            signed_at,
            body: pending.body.to_vec(),
            outcome,
            next_attempt_at_ms,
        });
        if let Some(due_ms) = next_attempt_at_ms {
            inner.queue.push(Pending {
                attempt: pending.attempt + 1,
                due_ms,
                ..pending
            });
        }
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.lock().log.iter().cloned().collect()
    }

    pub(crate) fn pending_attempts(&self) -> usize {
        self.lock().queue.len()
    }

    pub(crate) fn next_attempt_at_ms(&self) -> Option<i64> {
        self.lock().queue.iter().map(|p| p.due_ms).min()
    }

    /// Delivers what becomes due until `shutdown`: woken at once by new messages, and at most
    /// 200 ms (real time) later for retries, since a virtual clock moves without telling anyone.
    pub(crate) async fn run_worker(self: Arc<Self>, shutdown: CancellationToken) {
        const POLL: Duration = Duration::from_millis(200);
        loop {
            tokio::select! {
                _ = self.deliver_due() => {}
                () = shutdown.cancelled() => return,
            }
            let wait = self.next_attempt_at_ms().map(|due_ms| {
                let ms = due_ms.saturating_sub(self.clock.now_ms()).max(0);
                Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(POLL)
            });
            tokio::select! {
                () = self.wake.notified() => {}
                () = sleep_or_forever(wait) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

/// A new `whsec_` secret of 24 bytes, the length Svix generates.
///
/// Not from a CSPRNG: the fake's secrets guard a local loop, not data
/// ([`random_u64`] keeps them different across runs without a `rand` dependency).
pub(crate) fn generate_secret() -> String {
    let mut bytes = Vec::with_capacity(24);
    while bytes.len() < 24 {
        bytes.extend_from_slice(&random_u64().to_le_bytes());
    }
    format!("whsec_{}", STANDARD.encode(&bytes[..24]))
}

fn parse_url(url: &str) -> Result<Uri, WebhookEndpointError> {
    let invalid = |reason| WebhookEndpointError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(invalid("https is not supported; use a local http:// URL")),
        _ => return Err(invalid("the scheme must be http://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    Ok(uri)
}

/// The signing key of `whsec_<base64>`, or of bare `<base64>`: the forms `clerk-orgs` (and the
/// Svix libraries) accept, so one secret configures both sides. Surrounding whitespace (a
/// trailing newline from a secrets file) is ignored.
fn decode_secret(secret: &str) -> Result<Vec<u8>, WebhookEndpointError> {
    let secret = secret.trim();
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    if encoded.is_empty() {
        return Err(WebhookEndpointError::InvalidSecret {
            reason: "it is empty",
        });
    }
    STANDARD
        .decode(encoded)
        .map_err(|_| WebhookEndpointError::InvalidSecret {
            reason: "it is not standard, padded base64 (after an optional whsec_)",
        })
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
fn sign(key: &[u8], svix_id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; the error arm only satisfies the API.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return String::new();
    };
    mac.update(svix_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// One POST over a fresh HTTP/1.1 connection, bounded by [`WEBHOOK_ATTEMPT_TIMEOUT`].
///
/// hyper's connection API rather than reqwest: the workspace builds reqwest with rustls but no
/// crypto provider, which a fake should not have to pick, and endpoints are plain http anyway.
async fn post(uri: &Uri, pending: &Pending, signed_at: i64, signature: &str) -> DeliveryOutcome {
    let attempt = async {
        // parse_url checked the host; IPv6 literals arrive bracketed.
        let host = uri.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(80);
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let request = Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
            .header(HOST, uri.authority().map_or(host, |a| a.as_str()))
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LENGTH, pending.body.len())
            .header(USER_AGENT, "Svix-Webhooks/1.0 (clerk-fake)")
            .header("svix-id", pending.svix_id.as_str())
            .header("svix-timestamp", signed_at)
            .header("svix-signature", signature)
            .body(Body::from(pending.body.to_vec()))
            .map_err(|e| format!("request: {e}"))?;
        // The connection future does the I/O and hands the response to `response`. It can
        // finish first even after a response arrived: a receiver that answers with
        // `Connection: close` and closes at once (HTTP/1.0 style) is parsed and seen closed in
        // one poll. So when it finishes, the response future decides: it resolves at once now
        // that the connection is gone, with the response if one was parsed (a 2xx received is
        // delivered, never retried), else with an error, and only then the close is the outcome.
        let response = sender.send_request(request);
        tokio::pin!(connection, response);
        tokio::select! {
            answered = &mut response => answered
                .map(|response| response.status().as_u16())
                .map_err(|e| format!("send: {e}")),
            closed = &mut connection => match response.await {
                Ok(response) => Ok(response.status().as_u16()),
                Err(_) => Err(match closed {
                    Ok(()) => "connection closed before a response".to_owned(),
                    Err(e) => format!("connection: {e}"),
                }),
            },
        }
    };
    match tokio::time::timeout(WEBHOOK_ATTEMPT_TIMEOUT, attempt).await {
        Ok(Ok(status)) => DeliveryOutcome::Status(status),
        Ok(Err(error)) => DeliveryOutcome::Failed(error),
        Err(_) => DeliveryOutcome::Failed(format!(
            "no response within {} s",
            WEBHOOK_ATTEMPT_TIMEOUT.as_secs()
        )),
    }
}

fn system_now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

// --- Events, from the store's changes ---------------------------------------------------------

impl Webhooks {
    /// Turns the changes one operation made into events for every endpoint, in order. Called
    /// under the store's lock right after the operation, so each payload shows the state the
    /// change left (a deleted membership carries its last state).
    pub(crate) fn announce(&self, store: &Store, changes: Vec<Change>, now_ms: i64) {
        for change in changes {
            let (event_type, bytes) = match change {
                Change::InvitationCreated(id) => (
                    "organizationInvitation.created",
                    invitation_data(store, &id, now_ms),
                ),
                Change::InvitationRevoked(id) => (
                    "organizationInvitation.revoked",
                    invitation_data(store, &id, now_ms),
                ),
                Change::InvitationAccepted {
                    invitation_id,
                    user_id,
                } => {
                    let data = invitation_data(store, &invitation_id, now_ms).map(|bytes| {
                        let mut data: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                        if let Value::Object(fields) = &mut data {
                            fields.insert("user_id".into(), json!(user_id));
                        }
                        data
                    });
                    if let Some(data) = data {
                        self.enqueue("organizationInvitation.accepted", data, now_ms);
                    }
                    continue;
                }
                Change::MembershipCreated {
                    organization_id,
                    user_id,
                } => (
                    "organizationMembership.created",
                    store
                        .membership(&organization_id, &user_id)
                        .map(|m| wire::membership(store, m, now_ms)),
                ),
                Change::MembershipUpdated {
                    organization_id,
                    user_id,
                } => (
                    "organizationMembership.updated",
                    store
                        .membership(&organization_id, &user_id)
                        .map(|m| wire::membership(store, m, now_ms)),
                ),
                Change::MembershipDeleted(membership) => (
                    "organizationMembership.deleted",
                    Some(wire::membership(store, &membership, now_ms)),
                ),
            };
            if let Some(data) = bytes.and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
                self.enqueue(event_type, data, now_ms);
            }
        }
    }
}

/// An invitation as the `organizationInvitation.*` events carry it: the API's shape.
fn invitation_data(store: &Store, invitation_id: &str, now_ms: i64) -> Option<Vec<u8>> {
    let invitation = store.invitation(invitation_id, now_ms)?;
    Some(wire::invitation(store, &invitation, Shape::Plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        // From the Standard Webhooks specification's reference tests.
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn refuses_bad_urls_and_secrets() {
        assert!(parse_url("https://example.com/hook").is_err());
        assert!(parse_url("127.0.0.1:8788/hook").is_err());
        assert!(parse_url("http://127.0.0.1:8788/hook").is_ok());
        assert!(decode_secret("whsec_not base64!").is_err());
        assert!(decode_secret("whsec_").is_err());
        assert!(decode_secret("  ").is_err());
    }

    #[test]
    fn secrets_with_and_without_the_prefix_are_the_same_key() {
        let with = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            decode_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap(),
            with
        );
        assert_eq!(
            decode_secret(" whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").unwrap(),
            with
        );
    }

    #[test]
    fn generated_secrets_decode_to_24_bytes_and_differ() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        assert_eq!(decode_secret(&a).unwrap().len(), 24);
    }

    #[test]
    fn the_schedule_is_svix_s() {
        let total: Duration = WEBHOOK_RETRY_SCHEDULE.iter().sum();
        assert_eq!(
            total,
            Duration::from_secs(5 + 300 + 1800 + (2 + 5 + 10 + 10) * 3600)
        );
    }
}
