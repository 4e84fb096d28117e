//! A cooperative scheduler on virtual time, and the client clock that feeds it.
//!
//! Each actor of a run is a future the scheduler owns (not a tokio task). Exactly one actor runs
//! at a time: the scheduler polls it, letting tokio drive the network I/O the actor waits on
//! (the fake's server and the client's connections are ordinary tokio tasks), until the actor
//! either finishes or sleeps on the [`SimClock`]. A sleep is the only point where another actor
//! may run, and which one runs is drawn from the seeded PRNG. When every live actor sleeps, the
//! fake's virtual clock jumps to the earliest deadline.
//!
//! So the order of every request the fake sees is a function of the seed, whatever real time the
//! I/O takes, and every request logged while an actor runs is that actor's.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use clerk_orgs::clock::{Clock, Sleep};

#[derive(Debug, Default)]
struct State {
    /// The actor being polled, if any.
    current: Option<usize>,
    /// Actors asleep: their deadline (fake clock, Unix ms) and the flag that wakes them.
    sleeping: BTreeMap<usize, (i64, Arc<AtomicBool>)>,
}

/// The fake's virtual clock as the client's clock, with sleeps that yield to the scheduler.
///
/// Outside an actor (seeding the world), a sleep advances the clock itself and completes at once.
#[derive(Debug, Clone)]
pub struct SimClock {
    clock: clerk_fake::Clock,
    state: Arc<Mutex<State>>,
}

impl SimClock {
    pub(crate) fn new(clock: clerk_fake::Clock) -> Self {
        Self {
            clock,
            state: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

fn ceil_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(i64::MAX)
}

impl Clock for SimClock {
    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.clock.now_ms()).unwrap_or(0))
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self.clock.now_ms().saturating_add(ceil_ms(duration));
        Box::pin(SimSleep {
            clock: self.clone(),
            deadline,
            fired: None,
        })
    }
}

struct SimSleep {
    clock: SimClock,
    deadline: i64,
    fired: Option<Arc<AtomicBool>>,
}

impl Future for SimSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if let Some(fired) = &self.fired {
            return if fired.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            };
        }
        let mut state = self.clock.lock();
        let Some(actor) = state.current else {
            drop(state);
            // Not under the scheduler: behave like a plain virtual clock.
            let now = self.clock.clock.now_ms();
            if self.deadline > now {
                let by = u64::try_from(self.deadline - now).unwrap_or(0);
                self.clock.clock.advance(Duration::from_millis(by));
            }
            return Poll::Ready(());
        };
        let fired = Arc::new(AtomicBool::new(false));
        state.sleeping.insert(actor, (self.deadline, fired.clone()));
        drop(state);
        self.fired = Some(fired);
        // The scheduler polls this actor again once it picks it; no waker is needed.
        Poll::Pending
    }
}

/// One actor: a future the scheduler owns.
pub(crate) type Actor<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Why the scheduler stopped before every actor finished.
#[derive(Debug)]
pub(crate) enum Stuck {
    /// More scheduling steps than the cap: something loops.
    TooManySteps(usize),
    /// The virtual clock went past the cap.
    TooLong(i64),
}

impl std::fmt::Display for Stuck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stuck::TooManySteps(steps) => write!(f, "{steps} scheduling steps"),
            Stuck::TooLong(deadline) => write!(f, "a sleep until {deadline} ms, past 30 days"),
        }
    }
}

/// Runs the actors to completion in a seeded interleaving. `after_step(actor)` runs after each
/// stretch of an actor (the request log is read there). Stops at `max_steps` or when the clock
/// passes `deadline_ms`.
pub(crate) async fn run(
    clock: &SimClock,
    mut actors: Vec<Option<Actor<'_>>>,
    rng: &mut fastrand::Rng,
    max_steps: usize,
    deadline_ms: i64,
    mut after_step: impl FnMut(usize),
) -> Result<(), Stuck> {
    let mut steps = 0;
    loop {
        let now = clock.now_ms();
        let (runnable, earliest) = {
            let state = clock.lock();
            let mut runnable = Vec::new();
            let mut earliest: Option<i64> = None;
            for (id, actor) in actors.iter().enumerate() {
                if actor.is_none() {
                    continue;
                }
                match state.sleeping.get(&id) {
                    Some((deadline, _)) if *deadline > now => {
                        earliest = Some(earliest.map_or(*deadline, |e| e.min(*deadline)));
                    }
                    _ => runnable.push(id),
                }
            }
            (runnable, earliest)
        };
        if runnable.is_empty() {
            match earliest {
                None => return Ok(()),
                Some(deadline) => {
                    if deadline > deadline_ms {
                        return Err(Stuck::TooLong(deadline));
                    }
                    let by = u64::try_from(deadline - now).unwrap_or(0);
                    clock.clock.advance(Duration::from_millis(by));
                    continue;
                }
            }
        }
        steps += 1;
        if steps > max_steps {
            return Err(Stuck::TooManySteps(steps));
        }
        let pick = runnable[rng.usize(..runnable.len())];
        if let Some((_, fired)) = clock.lock().sleeping.remove(&pick) {
            fired.store(true, Ordering::SeqCst);
        }
        let Some(actor) = actors[pick].as_mut() else {
            continue;
        };
        let finished = std::future::poll_fn(|cx| {
            clock.lock().current = Some(pick);
            let polled = actor.as_mut().poll(cx);
            let mut state = clock.lock();
            state.current = None;
            match polled {
                Poll::Ready(()) => Poll::Ready(true),
                Poll::Pending if state.sleeping.contains_key(&pick) => Poll::Ready(false),
                // Waiting on I/O: tokio wakes this future when it is ready.
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        after_step(pick);
        if finished {
            actors[pick] = None;
        }
    }
}
