//! `clerk-orgs invite`, run as a user runs it: the compiled binary, its exit code and output
//! (moved here with the command from `clerk-orgs/examples/invite.rs`, assertions unchanged).
//!
//! Fake mode (no `CLERK_SECRET_KEY`) runs against the binary's own embedded clerk-fake; the
//! tests that need to see what reached the server point it at a fake of their own
//! (`support::instance`).

mod support;

use std::path::PathBuf;

use clerk_fake::{FakeClerk, Fault, Route};
use support::{
    ADMIN, ORG, describe, instance, key_env, requests, rows_with, run, run_async, strings, text,
    writes,
};

/// The instance's roles, as a refusal names them: `instance()` has Clerk's two.
const INSTANCE_ROLES: &str =
    "is not one of this instance's organization roles (org:admin, org:member)";

fn write_csv(name: &str, content: &str) -> PathBuf {
    support::scratch_file(&format!("invite_{name}.csv"), content)
}

#[test]
fn without_a_key_or_arguments_it_invites_demo_people_into_an_embedded_fake() {
    let output = run(&["invite"], &[]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("LOCAL FAKE Clerk"), "{stderr}");
    assert!(stderr.contains("Nothing reaches Clerk"), "{stderr}");
    let invited = rows_with(&stdout, "invited");
    assert_eq!(invited.len(), 3, "{stdout}");
    assert!(
        invited.iter().all(|row| row.contains("orginv_")),
        "{stdout}"
    );
    assert!(
        invited
            .iter()
            .any(|row| row.contains("grace@example.com") && row.contains("org:admin")),
        "{stdout}"
    );
}

#[test]
fn a_csv_with_bad_rows_names_their_lines_and_sends_nothing() {
    let csv = write_csv(
        "bad_rows",
        "email,role,public.team\n\
         alice@example.com,org:admin,core\n\
         bob@example,,core\n\
         carol@example.com,,design,extra\n\
         dave@example.com,,\n\
         ALICE@example.com,,\n",
    );
    let output = run(&["invite", "--csv", csv.to_str().unwrap()], &[]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("line 3: bob@example: `email_address` must be a valid email address"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4: has 4 field(s), the header has 3"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 6: ALICE@example.com is already listed at line 2"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("line 5"),
        "a valid row is not reported: {stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(
        stdout.is_empty(),
        "no table when nothing was sent: {stdout}"
    );
}

#[test]
fn an_unknown_csv_column_is_an_error_not_ignored() {
    let csv = write_csv("unknown_column", "email,team\nalice@example.com,core\n");
    let output = run(&["invite", "--csv", csv.to_str().unwrap()], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 1: unknown column `team`"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_checks_everyone_and_sends_nothing() {
    let fake = instance().await;
    let csv = write_csv(
        "dry_run",
        "email,role,public.team,private.plan\n\
         alice@example.com,admin,core,pro\n\
         bob@example.com,,,\n",
    );
    let args = strings(&[
        "invite",
        "--org",
        ORG,
        "--inviter",
        ADMIN,
        "--csv",
        csv.to_str().unwrap(),
        "--dry-run",
        "carol@example.com",
    ]);
    let output = run_async(args, key_env(&fake)).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(rows_with(&stdout, "valid").len(), 3, "{stdout}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    // Its one request reads the roles, to check them.
    assert_eq!(fake.request_log().requests().len(), 1);
    assert_eq!(requests(&fake, "GET", "/v1/organization_roles"), 1);
    assert!(fake.invitations().is_empty());

    // The same dry run with an invalid row fails, still without a request.
    let args = strings(&[
        "invite",
        "--org",
        ORG,
        "--dry-run",
        "carol@example.com",
        "not-an-email",
    ]);
    let output = run_async(args, key_env(&fake)).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("arg 2: not-an-email"));
    assert_eq!(
        fake.request_log().requests().len(),
        1,
        "the bad row is found before connecting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_key_it_invites_through_the_api_url_with_every_option() {
    let fake = instance().await;
    let csv = write_csv(
        "with_key",
        "email,role,public.team,private.plan\n\
         alice@example.com,admin,core,pro\n\
         bob@example.com,,,\n",
    );
    let args = strings(&[
        "invite",
        "--org",
        ORG,
        "--inviter",
        ADMIN,
        "--redirect-url",
        "/welcome",
        "--expires-in-days",
        "7",
        "--no-notify",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    let output = run_async(args.clone(), key_env(&fake)).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("FAKE"),
        "with a key it does not start a fake: {stderr}"
    );
    assert_eq!(rows_with(&stdout, "invited").len(), 2, "{stdout}");

    let invitations = fake.invitations();
    assert_eq!(invitations.len(), 2);
    let alice = invitations
        .iter()
        .find(|i| i.email_address == "alice@example.com")
        .expect("alice is invited");
    assert_eq!(alice.role, "org:admin");
    assert_eq!(alice.inviter_id.as_deref(), Some(ADMIN));
    assert_eq!(alice.redirect_url.as_deref(), Some("/welcome"));
    assert!(!alice.notify);
    assert_eq!(alice.expires_at - alice.created_at, 7 * 24 * 3600 * 1000);
    assert_eq!(alice.public_metadata["team"], "core");
    assert_eq!(alice.private_metadata["plan"], "pro");
    let bob = invitations
        .iter()
        .find(|i| i.email_address == "bob@example.com")
        .expect("bob is invited");
    assert_eq!(bob.role, "org:member");
    assert!(bob.public_metadata.is_empty());
    // The roles were read once, to check both, and both went out in one bulk request.
    let bulk = format!("/v1/organizations/{ORG}/invitations/bulk");
    let sent = fake.request_log().requests();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(requests(&fake, "GET", "/v1/organization_roles"), 1);
    assert_eq!(writes(&fake), [format!("POST {bulk}")]);

    // Running it again invites nobody twice and still succeeds.
    let output = run_async(args, key_env(&fake)).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert_eq!(rows_with(&stdout, "already invited").len(), 2, "{stdout}");
    assert_eq!(fake.invitations().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_not_invited_makes_the_exit_code_non_zero() {
    let fake = instance().await;
    // No such organization: Clerk answers 404 and nobody can be invited.
    let args = strings(&[
        "invite",
        "--org",
        "org_missing",
        "alice@example.com",
        "bob@example.com",
    ]);
    let output = run_async(args, key_env(&fake)).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(rows_with(&stdout, "failed").len(), 2, "{stdout}");
    assert!(stderr.contains("2 of 2 not invited"), "{stderr}");
}

#[test]
fn an_empty_org_is_invalid_input_and_sends_nothing() {
    let output = run(&["invite", "--org", "", "alice@example.com"], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--org must not be empty"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
}

#[test]
fn a_csv_with_a_header_and_no_people_is_invalid_input() {
    let csv = write_csv("header_only", "email,role\n");
    let output = run(&["invite", "--csv", csv.to_str().unwrap()], &[]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("nobody to invite"), "{stderr}");
    assert!(!stderr.contains("everyone is invited"), "{stderr}");
}

#[test]
fn an_unknown_role_in_the_arguments_is_invalid_input_on_the_embedded_fake() {
    let output = run(
        &[
            "invite",
            "ann@example.com:nosuch",
            "ben@example.com",
            "cy@example.com:nosuch",
        ],
        &[],
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let refusal = "is not one of this instance's organization roles \
                   (org:admin, org:billing, org:member)";
    assert!(
        stderr.contains(&format!(
            "arg 1: ann@example.com: role `org:nosuch` {refusal}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "arg 3: cy@example.com: role `org:nosuch` {refusal}"
        )),
        "every argument naming the role is reported: {stderr}"
    );
    assert!(!stderr.contains("arg 2"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(
        stdout.is_empty(),
        "no table when nothing was sent: {stdout}"
    );
}

#[test]
fn the_demo_instances_custom_role_is_known() {
    let output = run(&["invite", "ann@example.com:billing"], &[]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", describe(&output));
    let invited = rows_with(&stdout, "invited");
    assert_eq!(invited.len(), 1, "{stdout}");
    assert!(invited[0].contains("org:billing"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_role_in_a_csv_row_or_an_argument_sends_nothing() {
    let fake = instance().await;
    let csv = write_csv(
        "unknown_role",
        "email,role\n\
         alice@example.com,admin\n\
         bob@example.com,org:billing\n\
         carol@example.com,\n",
    );
    for dry_run in [false, true] {
        let mut args = vec![
            "invite",
            "--org",
            ORG,
            "--inviter",
            ADMIN,
            "--csv",
            csv.to_str().unwrap(),
            "dave@example.com:billing",
        ];
        if dry_run {
            args.push("--dry-run");
        }
        let output = run_async(strings(&args), key_env(&fake)).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        assert!(
            stderr.contains(&format!(
                "line 3: bob@example.com: role `org:billing` {INSTANCE_ROLES}"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "arg 1: dave@example.com: role `org:billing` {INSTANCE_ROLES}"
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("line 2"), "{stderr}");
        assert!(!stderr.contains("line 4"), "{stderr}");
        assert!(stderr.contains("nothing was sent"), "{stderr}");
        assert!(text(&output.stdout).is_empty(), "{}", describe(&output));
    }
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert!(fake.invitations().is_empty());
    // One read of the roles a run, however many people and roles.
    assert_eq!(requests(&fake, "GET", "/v1/organization_roles"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_that_cannot_be_read_are_left_to_clerk_with_a_warning() {
    let fake = instance().await;
    fake.add_role("org:billing", "Billing");
    let fail_every_attempt = |fake: &FakeClerk| {
        for n in 1..=8 {
            fake.faults()
                .on(Route::ListRoles)
                .nth(n, Fault::server_error(503));
        }
    };
    fail_every_attempt(&fake);
    let args = |extra: &[&str]| {
        let mut args = strings(&[
            "invite",
            "--org",
            ORG,
            "--inviter",
            ADMIN,
            "ann@example.com:billing",
        ]);
        args.extend(strings(extra));
        args
    };
    let output = run_async(args(&["--dry-run"]), key_env(&fake)).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        stderr.contains("warning: the instance's roles could not be read"),
        "{stderr}"
    );
    assert!(
        stderr.contains("their roles could not be checked"),
        "{stderr}"
    );
    assert!(stdout.contains("role not checked"), "{stdout}");
    assert!(writes(&fake).is_empty());

    fake.faults().clear();
    fail_every_attempt(&fake);
    let output = run_async(args(&[]), key_env(&fake)).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        stderr.contains("warning: the instance's roles could not be read"),
        "{stderr}"
    );
    assert_eq!(rows_with(&stdout, "invited").len(), 1, "{stdout}");
    assert_eq!(fake.invitations().len(), 1);
}
