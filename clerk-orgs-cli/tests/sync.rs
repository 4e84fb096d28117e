//! `clerk-orgs sync`, run as a user runs it, against a clerk-fake over real HTTP: the plan it
//! prints and how it exits (0 nothing to change, 2 changes pending, 3 invalid input, 4 refused
//! by a rail, 1 not done), what reached the fake and what changed there.
//!
//! The embedded fake's state ends with each command, so every test here points the binary at a
//! fake of its own (`support::instance`, as at Clerk with a key): its store persists between the
//! binary's runs (plan, apply, plan again) and its request log shows exactly what was sent.

mod support;

use std::path::PathBuf;
use std::process::Output;

use clerk_fake::{FakeClerk, Fault, MEMBER_ROLE, RetryAfter, Route, User};
use serde_json::Value;
use support::{
    ADMIN, MEMBER, MEMBER_EMAIL, ORG, describe, instance, key_env, rows_with, run, run_async,
    strings, text, writes,
};

fn write_csv(name: &str, content: &str) -> PathBuf {
    support::scratch_file(&format!("sync_{name}.csv"), content)
}

fn scratch(name: &str) -> PathBuf {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// `sync ARGS... --org org_example --inviter user_admin` against `fake`.
async fn sync(fake: &FakeClerk, args: &[&str]) -> Output {
    let mut all = vec!["sync"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--org", ORG]);
    if !args.contains(&"--plan-file") || !args.contains(&"--apply") {
        all.extend_from_slice(&["--inviter", ADMIN]);
    }
    run_async(strings(&all), key_env(fake)).await
}

/// Invites `person` (`EMAIL[:ROLE]`) into the organization with `clerk-orgs invite`.
async fn invite(fake: &FakeClerk, person: &str) {
    let args = strings(&["invite", "--org", ORG, "--inviter", ADMIN, person]);
    let output = run_async(args, key_env(fake)).await;
    assert!(output.status.success(), "{}", describe(&output));
}

/// Ids Clerk (the fake) makes up, redacted for snapshots.
fn redact(output: &str) -> String {
    let mut redacted = String::with_capacity(output.len());
    let mut rest = output;
    while let Some(at) = rest.find("orginv_") {
        redacted.push_str(&rest[..at]);
        redacted.push_str("orginv_[id]");
        rest = rest[at + "orginv_".len()..].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    }
    redacted.push_str(rest);
    redacted
}

/// Five members (room for one removal under the 25 % rail): the admin, `user_member`, and
/// `user_carol`, `user_dan`, `user_erin`.
async fn five_members() -> FakeClerk {
    let fake = instance().await;
    for name in ["carol", "dan", "erin"] {
        let user_id = format!("user_{name}");
        fake.add_user(User::new(&user_id, format!("{name}@example.test")));
        fake.add_membership(ORG, &user_id, MEMBER_ROLE).unwrap();
    }
    fake
}

/// The roster of [`five_members`] without erin, with carol made an admin, and two new people.
fn roster_csv(name: &str) -> PathBuf {
    write_csv(
        name,
        "email,role,public.team\n\
         admin@example.test,admin,\n\
         member@example.test,,\n\
         Carol@Example.test,admin,\n\
         dan@example.test,member,\n\
         fay@example.com,,ops\n\
         gus@example.com,admin,core\n",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_a_table_of_changes_and_exits_2_while_changes_are_pending() {
    let fake = five_members().await;
    // fay is invited already, as an admin: the roster's role differs.
    invite(&fake, "fay@example.com:admin").await;
    fake.request_log().clear();
    let roster = roster_csv("plan_table");
    let output = sync(&fake, &[roster.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    insta::assert_snapshot!("sync_plan_table", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("3 change(s) pending; nothing was changed"),
        "{stderr}"
    );
    // Planning reads: members and invitations once each, the roles checked, the addresses to
    // invite looked up (erin is unclaimed); it changes nothing.
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert_eq!(fake.invitations().len(), 1);

    // --show-unchanged lists the rest too; with --prune erin goes (1 of 5: within the rail).
    let output = sync(
        &fake,
        &[roster.to_str().unwrap(), "--prune", "--show-unchanged"],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert_eq!(rows_with(&stdout, "keep").len(), 3, "{stdout}");
    let removal = rows_with(&stdout, "remove_member");
    assert_eq!(removal.len(), 1, "{stdout}");
    assert!(
        removal[0].contains("erin@example.test") && removal[0].contains("not on the roster"),
        "{stdout}"
    );
    assert!(!stdout.contains("Safety rails"), "{stdout}");
    assert!(writes(&fake).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_as_json_is_the_plan_and_a_matching_roster_exits_0() {
    let fake = five_members().await;
    let roster = roster_csv("plan_json");
    let output = sync(&fake, &[roster.to_str().unwrap(), "--json"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let plan: clerk_orgs::Plan =
        serde_json::from_slice(&output.stdout).expect("stdout is the plan's JSON");
    assert_eq!(plan.organization_id(), ORG);
    let summary = plan.summary();
    assert_eq!(
        (summary.invite, summary.change_role, summary.keep),
        (2, 1, 4)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let kinds: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "keep",
            "keep",
            "change_role",
            "keep",
            "invite",
            "invite",
            "keep"
        ],
        "one change per row in roster order, then erin, kept without --prune"
    );
    assert_eq!(json["changes"][5]["public_metadata"]["team"], "core");

    // The organization as it is: nothing to change, exit 0, in a table and in JSON.
    let matching = write_csv(
        "plan_matching",
        "email,role\nadmin@example.test,admin\nMEMBER@example.test,member\n",
    );
    let fake = instance().await;
    let output = sync(&fake, &[matching.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(
        text(&output.stdout),
        "No changes: org_example matches the roster, 2 unchanged.\n"
    );
    let output = sync(&fake, &[matching.to_str().unwrap(), "--json"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let plan: clerk_orgs::Plan = serde_json::from_slice(&output.stdout).unwrap();
    assert!(plan.is_empty());
    assert!(writes(&fake).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_makes_every_change_and_the_next_plan_is_empty() {
    let fake = five_members().await;
    let roster = roster_csv("apply");
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    insta::assert_snapshot!("sync_apply_table", redact(&text(&output.stdout)));
    assert!(text(&output.stderr).contains("3 done"));

    let carol = fake.membership(ORG, "user_carol").unwrap();
    assert_eq!(carol.role, "org:admin");
    let invitations = fake.invitations();
    assert_eq!(invitations.len(), 2);
    let gus = invitations
        .iter()
        .find(|i| i.email_address == "gus@example.com")
        .unwrap();
    assert_eq!(gus.role, "org:admin");
    assert_eq!(gus.inviter_id.as_deref(), Some(ADMIN));
    assert_eq!(gus.public_metadata["team"], "core");
    assert!(
        fake.membership(ORG, "user_erin").is_some(),
        "kept without --prune"
    );

    // Plan again: nothing left to do.
    fake.request_log().clear();
    let output = sync(&fake, &[roster.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(text(&output.stdout).starts_with("No changes"));
    // And applying again sends nothing; with --json, stdout is still JSON (no outcomes).
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(text(&output.stdout).starts_with("No changes"));
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply", "--json"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(text(&output.stdout), "[]\n");
    assert!(text(&output.stderr).contains("No changes"));
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_removes_members_and_revokes_invitations_not_on_the_roster() {
    let fake = five_members().await;
    // A pending invitation nobody's roster has.
    invite(&fake, "old@example.com").await;
    let roster = roster_csv("prune");

    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply", "--prune"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = text(&output.stdout);
    let removed = rows_with(&stdout, "remove_member");
    assert_eq!(removed.len(), 1, "{stdout}");
    assert!(removed[0].contains("erin@example.test") && removed[0].contains("removed"));
    let revoked = rows_with(&stdout, "revoke_invitation");
    assert_eq!(revoked.len(), 1, "{stdout}");
    assert!(revoked[0].contains("old@example.com"), "{stdout}");
    assert!(fake.membership(ORG, "user_erin").is_none());
    assert!(fake.membership(ORG, MEMBER).is_some());
    let old = fake
        .invitations()
        .into_iter()
        .find(|i| i.email_address == "old@example.com")
        .unwrap();
    assert_eq!(old.status, clerk_fake::InvitationStatus::Revoked);

    let output = sync(&fake, &[roster.to_str().unwrap(), "--prune"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rail_refuses_the_apply_naming_its_override_and_allow_overrides_it() {
    let fake = five_members().await;
    // Only the admin stays: four of five members would go.
    let roster = write_csv("rail", "email,role\nadmin@example.test,admin\n");
    let output = sync(&fake, &[roster.to_str().unwrap(), "--prune"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Safety rails this plan breaks")
            && stdout.contains("max-removals: the plan removes 4 of 5 members")
            && stdout.contains("add --allow max-removals"),
        "{stdout}"
    );

    fake.request_log().clear();
    let output = sync(&fake, &[roster.to_str().unwrap(), "--prune", "--apply"]).await;
    assert_eq!(output.status.code(), Some(4), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("refused: the plan breaks a safety rail; nothing was changed")
            && stderr.contains("max-removals: the plan removes 4 of 5 members")
            && stderr.contains("To apply it anyway, add --allow max-removals."),
        "{stderr}"
    );
    assert!(text(&output.stdout).is_empty());
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert_eq!(fake.memberships(ORG).len(), 5);

    let output = sync(
        &fake,
        &[
            roster.to_str().unwrap(),
            "--prune",
            "--apply",
            "--allow",
            "max-removals",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(rows_with(&text(&output.stdout), "removed").len(), 4);
    let members = fake.memberships(ORG);
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0].user_id, ADMIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_removals_lowers_the_limit_and_the_acting_inviter_is_kept() {
    let fake = five_members().await;
    let roster = write_csv(
        "max_removals",
        "email,role\nadmin@example.test,member\nmember@example.test,admin\n\
         carol@example.test,\ndan@example.test,\nerin@example.test,\n",
    );
    // Demoting the admin the sync acts as.
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply"]).await;
    assert_eq!(output.status.code(), Some(4), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("acting-inviter: the plan demotes user_admin")
            && stderr.contains("--allow acting-inviter"),
        "{stderr}"
    );
    assert!(writes(&fake).is_empty());

    let roster = write_csv(
        "max_removals_two",
        "email,role\nadmin@example.test,admin\nmember@example.test,\ncarol@example.test,\n",
    );
    let output = sync(
        &fake,
        &[
            roster.to_str().unwrap(),
            "--prune",
            "--max-removal-fraction",
            "1",
            "--max-removals",
            "1",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("at most 1 may be removed"),
        "{}",
        describe(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_is_applied_as_reviewed() {
    let fake = five_members().await;
    let roster = roster_csv("saved");
    let plan_file = scratch("sync_saved_plan.json");
    // Settings the plan keeps, for its invitations.
    let settings = [
        "--no-notify",
        "--redirect-url",
        "/welcome",
        "--expires-in-days",
        "7",
    ];
    let mut args = vec![roster.to_str().unwrap()];
    args.extend(settings);
    let output = sync(
        &fake,
        &[&args[..], &["--plan-file", plan_file.to_str().unwrap()]].concat(),
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let saved = std::fs::read_to_string(&plan_file).expect("the plan is saved");
    let plan: clerk_orgs::Plan = serde_json::from_str(&saved).unwrap();
    assert_eq!(plan.summary().changes(), 3);
    assert!(writes(&fake).is_empty());
    // --json prints the same document the file holds.
    let output = sync(&fake, &[&args[..], &["--json"]].concat()).await;
    assert_eq!(text(&output.stdout), saved);

    // Applied later, without the roster: the saved plan names its organization and settings.
    let args = strings(&[
        "sync",
        "--apply",
        "--plan-file",
        plan_file.to_str().unwrap(),
    ]);
    let output = run_async(args.clone(), key_env(&fake)).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(rows_with(&text(&output.stdout), "done").len(), 3);
    assert_eq!(fake.invitations().len(), 2);
    // With the settings the plan was made with.
    for invitation in fake.invitations() {
        assert_eq!(invitation.inviter_id.as_deref(), Some(ADMIN));
        assert!(!invitation.notify);
        assert_eq!(invitation.redirect_url.as_deref(), Some("/welcome"));
        assert_eq!(
            invitation.expires_at - invitation.created_at,
            7 * 24 * 3600 * 1000
        );
    }

    // Applying it a second time: the organization is no longer what it read.
    fake.request_log().clear();
    let output = run_async(args, key_env(&fake)).await;
    assert_eq!(output.status.code(), Some(4), "{}", describe(&output));
    assert!(text(&output.stderr).contains("stale-plan"));
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert_eq!(fake.invitations().len(), 2, "nobody is invited twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_is_refused_once_the_organization_changed() {
    let fake = five_members().await;
    let roster = roster_csv("stale");
    let plan_file = scratch("sync_stale_plan.json");
    let plan_file = plan_file.to_str().unwrap();
    let output = sync(&fake, &[roster.to_str().unwrap(), "--plan-file", plan_file]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));

    // Someone joins meanwhile.
    fake.add_user(User::new("user_hal", "hal@example.test"));
    fake.add_membership(ORG, "user_hal", MEMBER_ROLE).unwrap();
    fake.request_log().clear();
    let apply = strings(&["sync", "--apply", "--plan-file", plan_file]);
    let output = run_async(apply.clone(), key_env(&fake)).await;
    assert_eq!(output.status.code(), Some(4), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("stale-plan: the organization changed since the plan read it")
            && stderr.contains("now); plan again. To apply it anyway, add --allow stale-plan.")
            && stderr.matches("lan again").count() == 1,
        "{stderr}"
    );
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert!(fake.invitations().is_empty());

    // Overridden by name, the reviewed plan is applied as it is.
    let mut allowed = apply;
    allowed.extend(strings(&["--allow", "stale-plan"]));
    let output = run_async(allowed, key_env(&fake)).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(fake.invitations().len(), 2);
    assert!(fake.membership(ORG, "user_hal").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_reported_with_their_lines_and_nothing_is_sent() {
    let fake = five_members().await;
    let roster = write_csv(
        "bad_rows",
        "email,role,public.team\n\
         alice@example.com,org:admin,core\n\
         bob@example,,core\n\
         carol@example.com,,design,extra\n\
         dave@example.com,org:has space,\n\
         ALICE@example.com,,\n\
         ,member,\n",
    );
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply", "--prune"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = text(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        [
            "error: line 3: bob@example: `email_address` must be a valid email address (local@domain.tld)",
            "error: line 4: has 4 field(s), the header has 3",
            "error: line 5: dave@example.com: `role` must not contain whitespace or control characters",
            "error: line 6: ALICE@example.com is already listed at line 2",
            "error: line 7: the email cell is empty",
        ],
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
    assert!(fake.request_log().requests().is_empty(), "nothing is sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_role_is_refused_at_its_line_before_any_change() {
    let fake = five_members().await;
    let roster = write_csv(
        "unknown_role",
        "email,role\nadmin@example.test,admin\nfay@example.com,org:billing\n",
    );
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "error: line 3: fay@example.com: `role` (org:billing) is not one of this instance's \
             organization roles (org:admin, org:member)"
        ),
        "{stderr}"
    );
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert!(fake.invitations().is_empty());
}

#[test]
fn a_bad_command_line_is_invalid_input_exit_3_not_changes_pending() {
    let roster = write_csv("command_line", "email\nann@example.com\n");
    let roster = roster.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["sync", roster, "--allow", "bogus"],
            "unknown rail `bogus`",
        ),
        (
            &["sync", roster, "--plan", "--apply"],
            "cannot be used with",
        ),
        (&["sync", roster, "--bogus"], "unexpected argument"),
        (&["sync"], "no roster: give ROSTER.csv"),
        (
            &["sync", roster, "--apply", "--plan-file", "plan.json"],
            "does not read a roster",
        ),
        (&["sync", "--apply", "--plan-file", roster], "is not a plan"),
    ];
    for (args, message) in cases {
        let output = run(args, &[]);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?}: {}",
            describe(&output)
        );
        assert!(
            text(&output.stderr).contains(message),
            "{args:?}: {}",
            describe(&output)
        );
    }
    let output = run(
        &["sync", "--apply", "--plan-file", "missing.json", "--prune"],
        &[],
    );
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--prune is part of the saved plan")
            && stderr.contains("cannot read the plan file missing.json"),
        "{stderr}"
    );
    // A saved plan (made against the embedded fake) is for its organization only.
    let plan_file = scratch("sync_other_org_plan.json");
    let plan_file = plan_file.to_str().unwrap();
    let output = run(&["sync", roster, "--plan-file", plan_file], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let output = run(
        &[
            "sync",
            "--apply",
            "--plan-file",
            plan_file,
            "--org",
            "org_other",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("is for organization org_demo, not org_other"),
        "{}",
        describe(&output)
    );
    // The other commands keep clap's 2 for a bad command line.
    let output = run(&["invite", "--bogus"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

#[test]
fn help_and_readme_agree_on_the_exit_codes() {
    let output = run(&["sync", "--help"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let help = text(&output.stdout);
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README is readable");
    let section = &readme[readme.find("## `sync`").expect("a sync section")..];
    for (code, help_line, readme_row) in [
        (
            0,
            "0  --plan: nothing to change",
            "| 0 | nothing to change |",
        ),
        (
            1,
            "1  --apply: a change not done",
            "| 1 | the organization could not be read",
        ),
        (2, "2  --plan: changes pending", "| 2 | changes pending |"),
        (
            3,
            "3  invalid input or configuration",
            "| 3 | invalid input",
        ),
        (
            4,
            "4  --apply refused by a safety rail",
            "| 4 | | refused by a safety rail",
        ),
    ] {
        assert!(help.contains(help_line), "code {code} in --help:\n{help}");
        assert!(
            section.contains(readme_row),
            "code {code} in the README's sync section"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_compare_as_clerk_compares_them() {
    // The members listed under other cases of their addresses: kept, not invited.
    let fake = instance().await;
    let roster = write_csv(
        "case",
        &format!(
            "email,role\nADMIN@Example.test,admin\n{},member\n",
            MEMBER_EMAIL.to_uppercase()
        ),
    );
    let output = sync(&fake, &[roster.to_str().unwrap(), "--show-unchanged"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = text(&output.stdout);
    let kept = rows_with(&stdout, "keep");
    assert_eq!(kept.len(), 2, "{stdout}");
    assert!(kept[0].contains("ADMIN@Example.test") && kept[0].contains("a member with this role"));
    assert!(stdout.contains("No changes: org_example matches the roster, 2 unchanged."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_users_are_added_directly_only_when_asked() {
    let fake = instance().await;
    fake.add_user(User::new("user_ivy", "ivy@example.test"));
    let roster = write_csv(
        "existing_users",
        "email,role\nadmin@example.test,admin\nmember@example.test,\nivy@example.test,\n",
    );
    let output = sync(&fake, &[roster.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert_eq!(rows_with(&text(&output.stdout), "invite").len(), 1);

    let output = sync(
        &fake,
        &[roster.to_str().unwrap(), "--add-existing-users", "--apply"],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = text(&output.stdout);
    let added = rows_with(&stdout, "add_member");
    assert_eq!(added.len(), 1, "{}", describe(&output));
    assert!(added[0].contains("ivy@example.test") && added[0].contains("added as org:member"));
    assert!(fake.membership(ORG, "user_ivy").is_some());
    assert!(fake.invitations().is_empty(), "no invitation email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rows_for_one_person_are_refused_naming_both_lines() {
    let fake = instance().await;
    let mut olga = User::new("user_olga", "olga@example.test");
    olga.other_email_addresses.push("olga@alt.test".to_owned());
    fake.add_user(olga);
    fake.add_membership(ORG, "user_olga", MEMBER_ROLE).unwrap();
    let roster = write_csv(
        "one_person",
        "email,role\nadmin@example.test,admin\nolga@example.test,\nolga@alt.test,admin\n",
    );
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains(
            "error: line 4: olga@alt.test: `email_address` is another address of user_olga, who \
             is already line 3"
        ),
        "{}",
        describe(&output)
    );
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_clerk_refuses_is_reported_and_exits_1() {
    let fake = five_members().await;
    // The admin is not on the roster: allowed past the last-admin rail, Clerk itself refuses to
    // remove its last admin.
    let roster = write_csv(
        "refused_by_clerk",
        "email,role\nmember@example.test,\ncarol@example.test,\ndan@example.test,\n\
         erin@example.test,\n",
    );
    let output = run_async(
        strings(&[
            "sync",
            roster.to_str().unwrap(),
            "--org",
            ORG,
            "--prune",
            "--apply",
            "--allow",
            "last-admin",
            "--json",
        ]),
        key_env(&fake),
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let outcomes: Vec<Value> =
        serde_json::from_slice(&output.stdout).expect("stdout is a JSON array of outcomes");
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes[0]["kind"], "remove_member");
    assert_eq!(outcomes[0]["email_address"], "admin@example.test");
    assert_eq!(outcomes[0]["user_id"], ADMIN);
    assert_eq!(outcomes[0]["outcome"], "rejected");
    assert_eq!(outcomes[0]["done"], false);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("1 of 1 change(s) not done, or not known to be done"),
        "{stderr}"
    );
    assert!(fake.membership(ORG, ADMIN).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_cut_short_exits_1_and_running_it_again_converges() {
    let fake = five_members().await;
    // Clerk closes its budget for four hours on the first write (carol's promotion, which goes
    // first): longer than the client waits (an hour), so the run stops sending.
    fake.faults()
        .on(Route::UpdateMembership)
        .nth(1, Fault::TooManyRequests(RetryAfter::Seconds(4 * 3600)));
    let roster = roster_csv("cut_short");
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stdout = text(&output.stdout);
    let not_done = rows_with(&stdout, "not done");
    assert_eq!(not_done.len(), 3, "{stdout}");
    assert!(
        not_done.iter().any(|row| row.contains("rate limited")),
        "{stdout}"
    );
    assert!(
        text(&output.stderr).contains("3 of 3 change(s) not done"),
        "{}",
        describe(&output)
    );
    assert_eq!(role_of(&fake, "user_carol"), "org:member");
    assert!(fake.invitations().is_empty());

    // Run again: everything is made, once.
    let output = sync(&fake, &[roster.to_str().unwrap(), "--apply"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(rows_with(&text(&output.stdout), "done").len(), 3);
    assert_eq!(role_of(&fake, "user_carol"), "org:admin");
    assert_eq!(fake.invitations().len(), 2);
    let output = sync(&fake, &[roster.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

fn role_of(fake: &FakeClerk, user_id: &str) -> String {
    fake.membership(ORG, user_id).expect("a member").role
}
