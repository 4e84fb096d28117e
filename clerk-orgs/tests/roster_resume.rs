//! Killing an apply halfway: a child process applies a roster plan against `clerk-fake` and is
//! killed (SIGKILL) while one of its bulk invitations is processed but unanswered; planning and
//! applying again then converges, without a duplicate invitation and without sending anything
//! to anyone the killed run had already invited.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clerk_fake::{FakeClerk, Fault, InvitationStatus, RateLimits, Route};
use clerk_orgs::roster::ChangeResult;
use clerk_orgs::{Client, Role, RosterRow};
use futures::StreamExt;
use support::roster::{CAROL, CAROL_EMAIL, FRANK, seed_people};
use support::{ADMIN, ADMIN_EMAIL, MEMBER_EMAIL, ORG, World};

const CHILD: &str = "CLERK_ORGS_ROSTER_RESUME_CHILD";
/// People to invite: four bulk calls of ten.
const NEW_PEOPLE: usize = 40;
/// The bulk call the child is killed in (processed by the fake, its answer held back).
const KILLED_IN_BULK: u64 = 3;

fn rows() -> Vec<RosterRow> {
    let mut rows = vec![
        RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
        RosterRow::new(CAROL_EMAIL, Role::ADMIN),
    ];
    rows.extend((0..NEW_PEOPLE).map(|n| RosterRow::new(support::email(n), Role::MEMBER)));
    rows
}

/// The child: plans and applies `rows()` with a real clock, printing each outcome as it comes.
#[tokio::test]
#[ignore = "run by an_apply_killed_halfway_is_finished_by_the_next_plan in a child process"]
async fn apply_in_a_child_process() {
    let (Ok(url), Ok(key)) = (std::env::var(CHILD), std::env::var("CLERK_SECRET_KEY")) else {
        return;
    };
    let client = Client::builder()
        .secret_key(key)
        .base_url(url)
        // Longer than the test takes to kill this process, so the held answer never times out
        // into a retry.
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let plan = client
        .organization(ORG)
        .roster()
        .plan(rows())
        .prune(true)
        .inviter_user_id(ADMIN)
        .send()
        .await
        .unwrap();
    // With one test thread libtest has printed "test apply_in_a_child_process ... " without a
    // line break: end that line, so every line of ours starts with its tag.
    println!();
    println!("PLANNED {}", plan.summary().changes());
    let mut run = plan.apply().send().await.unwrap();
    while let Some(outcome) = run.next().await {
        println!("OUTCOME {:?} {:?}", outcome.kind, outcome.email_address);
    }
    println!("FINISHED");
}

/// Kills the child when dropped, so a failing test leaves no process behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pending(fake: &FakeClerk) -> Vec<String> {
    fake.invitations()
        .into_iter()
        .filter(|i| i.status == InvitationStatus::Pending)
        .map(|i| i.email_address.to_lowercase())
        .collect()
}

#[tokio::test]
async fn an_apply_killed_halfway_is_finished_by_the_next_plan() {
    let fake = FakeClerk::builder()
        .rate_limits(RateLimits::unlimited())
        .start()
        .await
        .unwrap();
    let world = World::with(fake);
    seed_people(&world.fake);
    // The third bulk call is processed, then its answer is held back far longer than the test.
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .nth(KILLED_IN_BULK, Fault::Delay(Duration::from_secs(3_600)));

    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "apply_in_a_child_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, world.fake.base_url())
        .env("CLERK_SECRET_KEY", world.fake.secret_key())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    // Read the child's outcomes as they come: the promotion and the removal, then the people
    // of the first two bulk calls.
    let stdout = child.0.stdout.take().unwrap();
    let expected = 2 + (KILLED_IN_BULK as usize - 1) * 10;
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("OUTCOME");
            lines.push(line);
            if done && lines.iter().filter(|l| l.starts_with("OUTCOME")).count() == expected {
                break;
            }
        }
        lines
    });
    let lines = tokio::task::spawn_blocking(move || reader.join().unwrap())
        .await
        .unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("PLANNED 42")),
        "40 invitations, a promotion, a removal: {lines:#?}"
    );
    // The child is now in its third bulk call: wait (bounded) until the fake has processed it.
    let processed = KILLED_IN_BULK as usize * 10;
    let deadline = Instant::now() + Duration::from_secs(120);
    while pending(&world.fake).len() < processed {
        assert!(
            Instant::now() < deadline,
            "the third bulk call never arrived"
        );
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "the child ended early"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let invited_before: HashSet<String> = pending(&world.fake).into_iter().collect();
    assert_eq!(invited_before.len(), processed);
    assert_eq!(world.fake.membership(ORG, CAROL).unwrap().role, "org:admin");

    // Plan again: what the killed run did is kept; only the fourth call's people are left.
    world.fake.request_log().clear();
    let client = world.client();
    let roster = client.organization(ORG).roster();
    let plan = roster
        .plan(rows())
        .prune(true)
        .inviter_user_id(ADMIN)
        .send()
        .await
        .unwrap();
    let summary = plan.summary();
    assert_eq!(
        (summary.invite, summary.changes()),
        (NEW_PEOPLE - processed, NEW_PEOPLE - processed),
        "{summary:?}"
    );
    let outcomes: Vec<_> = plan.apply().send().await.unwrap().collect().await;
    assert_eq!(outcomes.len(), NEW_PEOPLE - processed);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o.result, ChangeResult::Done(_))),
        "{outcomes:#?}"
    );

    // Nobody invited twice; nothing sent to anyone the killed run had invited.
    let all = pending(&world.fake);
    assert_eq!(all.len(), NEW_PEOPLE);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), NEW_PEOPLE);
    assert_eq!(
        world.fake.invitations().len(),
        NEW_PEOPLE,
        "no invitation revoked or redone"
    );
    for request in world.requests().iter().filter(|r| r.method == "POST") {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        for item in body.as_array().into_iter().flatten() {
            let email = item["email_address"].as_str().unwrap().to_lowercase();
            assert!(
                !invited_before.contains(&email),
                "{email} was invited again by {}",
                request.path_and_query
            );
        }
    }
    assert!(world.fake.membership(ORG, FRANK).is_none());
    let again = roster.plan(rows()).prune(true).send().await.unwrap();
    assert!(again.is_empty(), "{:?}", again.summary());
}
