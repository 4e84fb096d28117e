//! The one harness of the CLI's tests: the `clerk-orgs` binary run as a user runs it (its exit
//! code, stdout and stderr), with no Clerk settings from the environment unless a test gives
//! some, and a clerk-fake in the test process standing in for Clerk.
//!
//! Without `CLERK_SECRET_KEY` the binary runs against its own embedded fake. The tests that need
//! to see what reached the server start a clerk-fake here and point the binary at it with
//! `CLERK_SECRET_KEY` and `CLERK_API_URL`, as at a real Clerk instance; its request log and
//! store then show exactly what was sent and what changed.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use clerk_fake::{ADMIN_ROLE, FakeClerk, MEMBER_ROLE, Organization, User};

/// The organization of [`instance`], its admin and an ordinary member.
pub const ORG: &str = "org_example";
pub const ADMIN: &str = "user_admin";
pub const MEMBER: &str = "user_member";
pub const MEMBER_EMAIL: &str = "member@example.test";

/// The binary under test, built by cargo for this test run (with the test's features).
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_clerk-orgs"))
}

/// The binary with `args`, without any Clerk or Redis settings from the environment, stdin
/// closed (not a terminal), plus `env`.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(bin());
    command
        .args(args)
        .env_remove("CLERK_SECRET_KEY")
        .env_remove("CLERK_API_URL")
        .env_remove("REDIS_URL")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs the binary to the end.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().expect("the binary runs")
}

/// Runs the binary off the async runtime, so the in-process fake keeps serving meanwhile.
pub async fn run_async(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&args, &env)
    })
    .await
    .expect("the binary's runner does not panic")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a run printed, for a failed assertion.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// The table's data rows with a cell equal to `cell` (cells are separated by two spaces or
/// more).
pub fn rows_with<'a>(stdout: &'a str, cell: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .skip(1)
        .filter(|line| line.split("  ").map(str::trim).any(|c| c == cell))
        .collect()
}

/// A file in cargo's scratch directory for this package's tests, named after the test.
pub fn scratch_file(name: &str, content: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, content).expect("the scratch file is written");
    path
}

/// A fake Clerk in this process, as a real instance for the binary: `org_example` with its
/// admin `user_admin` and member `user_member`.
pub async fn instance() -> FakeClerk {
    let fake = FakeClerk::start().await;
    fake.add_organization(Organization::new(ORG, "Example Inc"));
    fake.add_user(User::new(ADMIN, "admin@example.test").with_name("Ada", "Admin"));
    fake.add_user(User::new(MEMBER, MEMBER_EMAIL).with_name("Max", "Member"));
    fake.add_membership(ORG, ADMIN, ADMIN_ROLE).unwrap();
    fake.add_membership(ORG, MEMBER, MEMBER_ROLE).unwrap();
    fake
}

/// The environment pointing the binary at `fake` as at Clerk.
pub fn key_env(fake: &FakeClerk) -> Vec<(String, String)> {
    vec![
        ("CLERK_SECRET_KEY".into(), fake.secret_key().to_owned()),
        ("CLERK_API_URL".into(), fake.base_url()),
    ]
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// Requests to `fake` with this method whose path (without the query) starts with `prefix`.
pub fn requests(fake: &FakeClerk, method: &str, prefix: &str) -> usize {
    fake.request_log()
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path_and_query.starts_with(prefix))
        .count()
}

/// The requests that reached `fake` and change something (anything but a GET: an invitation
/// sent, a role set, a member removed), as `METHOD path?query`.
pub fn writes(fake: &FakeClerk) -> Vec<String> {
    fake.request_log()
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}
