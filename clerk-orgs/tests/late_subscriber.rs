//! An application that installs its `tracing` subscriber after the client has already run
//! still gets every span and event: `clerk-orgs` keeps no "nobody listens" state of its own
//! (its spans are checked per call), so only `tracing`'s own interest cache decides, and
//! installing a global default rebuilds it.
//!
//! Its own test binary: a global default can be set once per process.

mod support;

use std::sync::{Arc, Mutex};

use clerk_fake::{Fault, Route};
use support::{ORG, World};
use tracing::{Level, Metadata, Subscriber, span};

/// An application's subscriber, reduced to what this test reads: each event's level and
/// message, and the names of the spans opened.
#[derive(Clone, Default)]
struct App(Arc<Mutex<Vec<String>>>);

impl Subscriber for App {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attributes: &span::Attributes<'_>) -> span::Id {
        let mut seen = self.0.lock().unwrap();
        seen.push(format!("span {}", attributes.metadata().name()));
        span::Id::from_u64(u64::try_from(seen.len()).unwrap())
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let level = *event.metadata().level();
        self.0
            .lock()
            .unwrap()
            .push(format!("{level} {}", message.0));
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

/// Lists once with one 503 on the way, so every callsite of a retried request is reached.
async fn list_through_a_503(world: &World) {
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::server_error(503));
    world
        .client()
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_subscriber_installed_after_calls_gets_the_next_calls_spans_and_events() {
    let world = World::new().await;
    // Before any subscriber: every callsite of the request path is reached unheard.
    list_through_a_503(&world).await;

    let app = App::default();
    tracing::subscriber::set_global_default(app.clone()).unwrap();
    list_through_a_503(&world).await;

    let seen = app.0.lock().unwrap().clone();
    let count = |line: &str| seen.iter().filter(|seen| *seen == line).count();
    assert_eq!(count("span clerk_orgs.request"), 1, "{seen:#?}");
    assert_eq!(count("span clerk_orgs.attempt"), 2, "{seen:#?}");
    assert_eq!(
        count(&format!("{} retrying clerk request", Level::INFO)),
        1,
        "{seen:#?}"
    );
    assert_eq!(
        count(&format!("{} clerk request failed", Level::DEBUG)),
        1,
        "{seen:#?}"
    );
}
