//! The one way tests listen to `tracing`: [`capture`].
//!
//! Why not a plain `tracing::subscriber::set_default` per test: `tracing` caches, per callsite
//! and for the whole process, whether anyone listens to it. While a single `Dispatch` exists,
//! `tracing-core` (0.1.36) works that interest out from the default of whichever thread reaches
//! the callsite first. When that is a sibling test's thread, with no subscriber, the callsite
//! is cached as "never" and its events are dropped on every thread, the listening test's
//! included (tokio-rs/tracing#3611). With 16 test threads that happened in most runs.
//!
//! So [`capture`] first installs, once per process, a global subscriber that wants nothing but
//! never says "never" ([`Floor`]): from then on a callsite's cached interest is at worst
//! "sometimes", and each event asks the current thread's subscriber. Then it installs the test's
//! collector as this thread's default, which (through `Dispatch::new`) also recomputes the
//! interest of every callsite already registered, repairing any "never" cached before.
//!
//! The one window left: a callsite whose first registration read the dispatchers before the
//! floor was installed and stored its "never" after this thread's collector was installed (a
//! sibling thread preempted inside those few instructions, once per process).
//!
//! Rules for tests (TESTING.md): listen only through [`capture`]; never install a subscriber
//! that answers "never" or filters in `enabled` (filter the captured events instead); run the
//! code under test on the test's own thread (`#[tokio::test]`'s default current-thread runtime),
//! since the collector is this thread's default.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::sync::{Arc, Mutex, Once};

use tracing::subscriber::{DefaultGuard, Interest};
use tracing::{Level, Metadata, Subscriber, span};

/// One event as a test sees it: level, target and fields (`Debug` text; strings quoted).
#[derive(Debug, Clone)]
pub struct Event {
    pub level: Level,
    pub target: String,
    pub fields: Vec<(String, String)>,
}

impl Event {
    /// A field's `Debug` text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The event's message.
    pub fn message(&self) -> Option<&str> {
        self.field("message")
    }

    /// All fields as ` name=value` pairs, for assertion messages.
    pub fn line(&self) -> String {
        self.fields
            .iter()
            .map(|(key, value)| format!(" {key}={value}"))
            .collect()
    }
}

/// The events this thread has emitted since [`capture`], until dropped.
pub struct Captured {
    events: Arc<Mutex<Vec<Event>>>,
    _guard: DefaultGuard,
}

impl Captured {
    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// The events whose message is exactly `message`.
    pub fn with_message(&self, message: &str) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|event| event.message() == Some(message))
            .collect()
    }

    /// The events at `level`.
    pub fn at(&self, level: Level) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|event| event.level == level)
            .collect()
    }

    /// The [`Event::line`]s of the events at `level` whose line contains `text`.
    pub fn lines(&self, level: Level, text: &str) -> Vec<String> {
        self.at(level)
            .iter()
            .map(Event::line)
            .filter(|line| line.contains(text))
            .collect()
    }
}

/// Starts collecting every `tracing` event of this thread (see the module docs for why this
/// is the only way tests listen).
#[must_use = "events are collected only while the returned value lives"]
pub fn capture() -> Captured {
    static FLOOR: Once = Once::new();
    FLOOR.call_once(|| {
        tracing::subscriber::set_global_default(Floor).expect(
            "tests listen to tracing only through support::events::capture, \
             which owns the global default",
        );
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let guard = tracing::subscriber::set_default(Collector(events.clone()));
    Captured {
        events,
        _guard: guard,
    }
}

/// The process-wide default: enables nothing, but keeps every callsite at "sometimes" so that
/// each event is asked of the current thread's subscriber.
struct Floor;

impl Subscriber for Floor {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }
    // No hint: with `Some(OFF)`, `tracing` would turn every level off whenever the floor is
    // the only live subscriber, and a collector installed then would see nothing until the
    // next rebuild.
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        None
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

/// A test's collector: wants everything (it must never answer "never") and keeps every event.
struct Collector(Arc<Mutex<Vec<Event>>>);

impl Subscriber for Collector {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(Vec<(String, String)>);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push((field.name().to_owned(), format!("{value:?}")));
            }
        }
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(Event {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields: fields.0,
        });
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}
