//! `clerk-orgs members`, run as a user runs it, against a clerk-fake over real HTTP: what it
//! prints, how it exits, and what reached the fake and changed there.
//!
//! Most tests point the binary at a fake of their own (`support::instance`, as at Clerk with a
//! key), so they can script faults and read the store; the JSON shape is snapshotted against the
//! embedded fake, whose demo world is the README's.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use clerk_fake::{ADMIN_ROLE, Fault, MEMBER_ROLE, RetryAfter, Route, User};
use serde_json::Value;
use support::{
    ADMIN, MEMBER, MEMBER_EMAIL, ORG, describe, instance, key_env, requests, rows_with, run,
    run_async, strings, text,
};

const MEMBERSHIPS: &str = "/v1/organizations/org_example/memberships";

/// `members ACTION... --org org_example` against `fake`.
async fn members(fake: &clerk_fake::FakeClerk, args: &[&str]) -> Output {
    let mut all = vec!["members"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--org", ORG]);
    run_async(strings(&all), key_env(fake)).await
}

fn role_of(fake: &clerk_fake::FakeClerk, user_id: &str) -> Option<String> {
    fake.membership(ORG, user_id).map(|m| m.role)
}

// ---- list -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_prints_every_member_of_every_page_in_a_table() {
    let fake = instance().await;
    for n in 0..248 {
        let user_id = format!("user_{n:03}");
        fake.add_user(User::new(&user_id, format!("p{n:03}@example.test")));
        fake.add_membership(ORG, &user_id, MEMBER_ROLE).unwrap();
    }
    let output = members(&fake, &["list"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["USER_ID", "EMAIL", "NAME", "ROLE", "MEMBER", "SINCE"]
    );
    assert_eq!(lines.len(), 1 + 250, "a header and every member");
    assert_eq!(rows_with(&stdout, "org:member").len(), 249);
    let admin = rows_with(&stdout, ADMIN);
    assert_eq!(admin.len(), 1, "{stdout}");
    assert!(
        admin[0].contains("admin@example.test")
            && admin[0].contains("Ada Admin")
            && admin[0].contains("org:admin"),
        "{}",
        admin[0]
    );
    assert!(text(&output.stderr).contains("250 member(s) of org_example"));
    // Streamed page by page (100 per page), nothing else sent.
    assert_eq!(requests(&fake, "GET", MEMBERSHIPS), 3);
    assert_eq!(fake.request_log().requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_passes_every_filter_to_clerk() {
    let fake = instance().await;
    fake.add_role("org:billing", "Billing");
    fake.add_user(User::new("user_bill", "bill@example.test"));
    fake.add_membership(ORG, "user_bill", "org:billing")
        .unwrap();

    let output = members(&fake, &["list", "--role", "admin", "--role", "org:billing"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert_eq!(rows_with(&stdout, ADMIN).len(), 1);
    assert_eq!(rows_with(&stdout, "user_bill").len(), 1);

    let output = members(&fake, &["list", "--email", MEMBER_EMAIL, "--query", "max"]).await;
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert_eq!(rows_with(&stdout, MEMBER).len(), 1);

    let queries: Vec<String> = fake
        .request_log()
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(queries.len(), 2, "{queries:?}");
    assert!(
        queries[0].contains("role=org%3Aadmin") && queries[0].contains("role=org%3Abilling"),
        "{queries:?}"
    );
    assert!(
        queries[1].contains("email_address=member%40example.test")
            && queries[1].contains("query=max"),
        "{queries:?}"
    );
}

#[test]
fn list_as_json_has_one_flat_object_per_member() {
    // The embedded fake: its demo world, ids and virtual clock are the same on every run.
    let output = run(&["members", "list", "--json"], &[]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    let members: Vec<Value> = serde_json::from_str(&stdout).expect("stdout is one JSON array");
    assert_eq!(members.len(), 3);
    assert!(
        stdout
            .lines()
            .skip(1)
            .take(3)
            .all(|line| line.starts_with("{\"user_id\":")),
        "one member per line:\n{stdout}"
    );
    insta::assert_snapshot!("members_list_json", stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_cut_short_leaves_the_json_open_and_says_so() {
    let fake = instance().await;
    for n in 0..148 {
        let user_id = format!("user_{n:03}");
        fake.add_user(User::new(&user_id, format!("p{n:03}@example.test")));
        fake.add_membership(ORG, &user_id, MEMBER_ROLE).unwrap();
    }
    // The second page is refused for an hour: longer than the client waits on its own.
    fake.faults()
        .on(Route::ListMemberships)
        .nth(2, Fault::TooManyRequests(RetryAfter::Seconds(3600)));
    let output = members(&fake, &["list", "--json"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert!(
        serde_json::from_str::<Value>(&stdout).is_err(),
        "an incomplete list is not a whole JSON array"
    );
    assert_eq!(stdout.lines().filter(|l| l.starts_with('{')).count(), 100);
    assert!(!stdout.trim_end().ends_with(']'), "{stdout}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the list stopped after 100 member(s) of org_example, so it is incomplete")
            && stderr.contains("rate limited")
            && stderr.contains("asked to wait 1h 00m 00s"),
        "{stderr}"
    );
}

// ---- set-role -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_role_changes_the_role_and_says_so() {
    let fake = instance().await;
    let output = members(&fake, &["set-role", MEMBER, "admin"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        text(&output.stdout).trim(),
        "user_member is now org:admin in org_example"
    );
    assert_eq!(role_of(&fake, MEMBER).as_deref(), Some(ADMIN_ROLE));
    assert_eq!(requests(&fake, "PATCH", MEMBERSHIPS), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demoting_the_last_admin_is_refused_with_clerks_reason() {
    let fake = instance().await;
    let output = members(&fake, &["set-role", ADMIN, "member"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("refused: last admin: Clerk keeps at least one admin in an organization")
            && stderr.contains("make another member an admin first. Nothing changed"),
        "{stderr}"
    );
    assert!(text(&output.stdout).is_empty());
    assert_eq!(role_of(&fake, ADMIN).as_deref(), Some(ADMIN_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_role_is_named_before_anything_is_sent() {
    let fake = instance().await;
    let output = members(&fake, &["set-role", MEMBER, "org:nope"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("invalid: `role` is not one of this instance's organization roles")
            && stderr.contains("org:admin, org:member")
            && stderr.contains("nothing was sent"),
        "{stderr}"
    );
    // The role list was read; no change was sent.
    assert_eq!(requests(&fake, "PATCH", "/v1/"), 0);
    assert_eq!(requests(&fake, "GET", "/v1/organization_roles"), 1);
    assert_eq!(role_of(&fake, MEMBER).as_deref(), Some(MEMBER_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_role_of_someone_who_is_not_a_member_is_not_found() {
    let fake = instance().await;
    let output = members(&fake, &["set-role", "user_nobody", "admin"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "not found: user_nobody is not a member of org_example, or the organization does \
             not exist"
        ),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_change_says_nothing_changed_and_how_long_to_wait() {
    let fake = instance().await;
    fake.faults()
        .on(Route::UpdateMembership)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(3600)));
    let output = members(&fake, &["set-role", MEMBER, "admin"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .contains("rate limited: Clerk refused the request (429) and asked to wait 1h 00m 00s")
            && stderr.contains("Nothing changed"),
        "{stderr}"
    );
    assert_eq!(role_of(&fake, MEMBER).as_deref(), Some(MEMBER_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_answer_is_lost_and_unsettled_is_reported_as_unknown() {
    let fake = instance().await;
    // Every attempt is processed and its connection dropped, and every lookup fails: the role
    // did change, but the client cannot know.
    for n in 1..=8 {
        fake.faults()
            .on(Route::UpdateMembership)
            .nth(n, Fault::ProcessedThenDropped);
        fake.faults()
            .on(Route::ListMemberships)
            .nth(n, Fault::server_error(503));
    }
    let output = members(&fake, &["set-role", MEMBER, "admin"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("unknown outcome: the change may or may not have been made"),
        "{stderr}"
    );
    assert!(!stderr.contains("Nothing changed"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
    // It had changed: "unknown" was the truth, "failed" would not have been.
    assert_eq!(role_of(&fake, MEMBER).as_deref(), Some(ADMIN_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_cannot_connect_is_not_sent() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let env = vec![
        ("CLERK_SECRET_KEY".to_owned(), "sk_test_closed".to_owned()),
        (
            "CLERK_API_URL".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
    ];
    let args = strings(&["members", "set-role", MEMBER, "admin", "--org", ORG]);
    let output = run_async(args, env).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("not sent: ") && stderr.contains("Nothing was sent, so nothing changed"),
        "{stderr}"
    );
}

// ---- add ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_makes_a_user_a_member_and_is_done_if_they_already_are_with_that_role() {
    let fake = instance().await;
    fake.add_user(User::new("user_new", "new@example.test"));
    let output = members(&fake, &["add", "user_new", "member"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        text(&output.stdout).trim(),
        "added user_new to org_example as org:member"
    );
    assert_eq!(role_of(&fake, "user_new").as_deref(), Some(MEMBER_ROLE));

    // Again, with the same role: nothing to do, and done.
    let output = members(&fake, &["add", "user_new", "org:member"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("already a member: user_new is in org_example as org:member"),
        "{}",
        describe(&output)
    );

    // With another role: not what was asked, and nothing changed.
    let output = members(&fake, &["add", "user_new", "admin"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .contains("already a member: user_new is in org_example as org:member, not org:admin")
            && stderr.contains("members set-role"),
        "{stderr}"
    );
    assert_eq!(role_of(&fake, "user_new").as_deref(), Some(MEMBER_ROLE));
    assert_eq!(fake.memberships(ORG).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_user_who_does_not_exist_is_not_found() {
    let fake = instance().await;
    let output = members(&fake, &["add", "user_ghost", "member"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr)
            .contains("not found: there is no user user_ghost in this instance, or no organization org_example"),
        "{}",
        describe(&output)
    );
    assert_eq!(fake.memberships(ORG).len(), 2);
}

// ---- remove ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_refuses_without_yes_when_it_cannot_ask() {
    let fake = instance().await;
    // stdin is not a terminal (the harness closes it).
    let output = members(&fake, &["remove", MEMBER]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("not removing user_member without a confirmation")
            && stderr.contains("pass --yes")
            && stderr.contains("Nothing was sent"),
        "{stderr}"
    );
    assert!(fake.request_log().requests().is_empty(), "nothing was sent");
    assert_eq!(role_of(&fake, MEMBER).as_deref(), Some(MEMBER_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_with_yes_removes_and_names_who() {
    let fake = instance().await;
    let output = members(&fake, &["remove", MEMBER, "--yes"]).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        text(&output.stdout).trim(),
        "removed user_member (member@example.test) from org_example"
    );
    assert!(fake.membership(ORG, MEMBER).is_none());
    assert_eq!(requests(&fake, "DELETE", MEMBERSHIPS), 1);

    // Again: there is nobody to remove, which is not "removed".
    let output = members(&fake, &["remove", MEMBER, "-y"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("not found: user_member is not a member of org_example"),
        "{}",
        describe(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_last_admin_is_refused() {
    let fake = instance().await;
    let output = members(&fake, &["remove", ADMIN, "--yes"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("refused: last admin"),
        "{}",
        describe(&output)
    );
    assert_eq!(role_of(&fake, ADMIN).as_deref(), Some(ADMIN_ROLE));
}

/// `members remove MEMBER` on a terminal (a pseudo-terminal from util-linux's `script`), the
/// answer typed on it; `None` when `script` is missing (outside CI).
async fn remove_on_a_terminal(fake: &clerk_fake::FakeClerk, answer: &str) -> Option<Output> {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_script {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the terminal tests: util-linux's `script` is missing"
        );
        eprintln!(
            "\n!!!!! SKIPPED: `script` (util-linux) is not installed; the prompt was not tested !!!!!\n"
        );
        return None;
    }
    let command_line = format!(
        "'{}' members remove {MEMBER} --org {ORG}",
        support::bin().display()
    );
    let env = key_env(fake);
    let answer = answer.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("script")
            .args([
                "--quiet",
                "--return",
                "--command",
                &command_line,
                "/dev/null",
            ])
            .envs(env)
            .env_remove("REDIS_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    Some(output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_on_a_terminal_asks_first_and_no_keeps_the_member() {
    let fake = instance().await;
    let Some(output) = remove_on_a_terminal(&fake, "n\n").await else {
        return;
    };
    // On a pseudo-terminal, stdout and stderr are one stream.
    let screen = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{screen}");
    assert!(
        screen.contains(
            "Remove user_member (member@example.test, org:member) from org_example? [y/N]"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("not removed: user_member stays a member of org_example"),
        "{screen}"
    );
    assert_eq!(role_of(&fake, MEMBER).as_deref(), Some(MEMBER_ROLE));
    assert_eq!(requests(&fake, "DELETE", "/v1/"), 0, "no delete was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_on_a_terminal_removes_after_a_yes() {
    let fake = instance().await;
    let Some(output) = remove_on_a_terminal(&fake, "y\n").await else {
        return;
    };
    let screen = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{screen}");
    assert!(
        screen.contains("removed user_member (member@example.test) from org_example"),
        "{screen}"
    );
    assert!(fake.membership(ORG, MEMBER).is_none());
    assert_eq!(requests(&fake, "DELETE", MEMBERSHIPS), 1);
}

// ---- the command line -----------------------------------------------------------------------

#[test]
fn with_a_key_the_organization_is_required() {
    let env = [
        ("CLERK_SECRET_KEY", "sk_test_unused"),
        ("CLERK_API_URL", "http://127.0.0.1:9"),
    ];
    for args in [
        &["members", "list"][..],
        &["members", "set-role", MEMBER, "admin"],
        &["members", "remove", MEMBER, "--yes"],
    ] {
        let output = run(args, &env);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            describe(&output)
        );
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("--org is required when CLERK_SECRET_KEY is set")
                && stderr.contains("nothing was sent"),
            "{stderr}"
        );
    }
}

#[test]
fn without_a_key_changes_go_to_the_embedded_fake_and_say_so() {
    let output = run(&["members", "set-role", "user_maria", "admin"], &[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(
        text(&output.stdout).trim(),
        "user_maria is now org:admin in org_demo"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("LOCAL FAKE Clerk")
            && stderr.contains("the fake's state ends with this command"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["members"][..],
        &["members", "set-role", MEMBER],
        &["members", "frobnicate"],
        &["invite", "--expires-in-days", "soon"],
    ] {
        let output = run(args, &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            describe(&output)
        );
        assert!(text(&output.stdout).is_empty(), "{args:?}");
    }
    let output = run(&["--help"], &[]);
    let help = text(&output.stdout);
    assert!(output.status.success());
    assert!(help.contains("invite") && help.contains("members") && help.contains("WHERE IT SENDS"));
}

#[test]
fn every_run_without_a_key_starts_from_the_demo_world() {
    // Each run has a fresh embedded fake: a change in one is gone in the next, as its notice
    // says.
    let output = run(&["members", "remove", "user_sam", "--yes"], &[]);
    assert!(output.status.success(), "{}", describe(&output));
    let output = run(&["members", "list"], &[]);
    assert_eq!(rows_with(&text(&output.stdout), "user_sam").len(), 1);
}
